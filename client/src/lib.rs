//! Browser plumbing shared by the widget and the console: one protocol connection per
//! conversation (driving the sans-IO chat core, `parley_chat_client`), JSON over `fetch`, ids
//! and time.
//!
//! Serde over JavaScript values (`from_json`, `get_json`/`post_json`, the operators' frames)
//! is for the console: generic code the widget never instantiates, so none of it is linked into
//! the widget, which reads what it needs without serde (issue 17: the visitor's frames and the
//! saved outbox through `parley_protocol::flat::Json`).
//!
//! Product decisions stay in `parley_protocol` and `parley_chat_client`; this crate only moves
//! frames.

mod conn;
mod frame;
mod net;

pub use conn::{Connection, Handler, Update};
pub use frame::Side;
pub use net::{get_json, post_blob, post_js, post_json, post_raw, HttpError};
pub use parley_chat_client::{is_stale, ConnState, Delivery, Event, Line, Pending, RatingStep, Session};

pub fn window() -> web_sys::Window {
    web_sys::window().expect("a browser window")
}

/// Parses JSON with the browser's `JSON.parse` into `T`.
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    let value = js_sys::JSON::parse(text).ok()?;
    serde_wasm_bindgen::from_value(value).ok()
}

/// Reads a value `JSON.parse` gave into `T`.
pub fn from_value<T: serde::de::DeserializeOwned>(value: wasm_bindgen::JsValue) -> Option<T> {
    serde_wasm_bindgen::from_value(value).ok()
}

/// `o[k]` (undefined when missing).
pub fn prop(o: &wasm_bindgen::JsValue, k: &str) -> wasm_bindgen::JsValue {
    js_sys::Reflect::get(o, &k.into()).unwrap_or_default()
}

/// Milliseconds since the epoch, from the browser clock.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// A random id such as `m_3fa9…` from `crypto.getRandomValues`.
pub fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 12];
    if let Ok(crypto) = window().crypto() {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    }
    parley_protocol::ids::mint_id(prefix, &bytes)
}

/// Runs `f` once after `ms` milliseconds.
pub fn set_timeout(ms: i32, f: impl FnOnce() + 'static) {
    gloo_timers::callback::Timeout::new(ms.max(0) as u32, f).forget();
}

/// A file as the upload's answer (`attachment`, issue 21) gives it, read from `JSON.parse`'s
/// value field by field (no serde: the widget's size).
pub fn read_attachment(v: &wasm_bindgen::JsValue) -> Option<parley_protocol::protocol::AttachmentView> {
    parley_protocol::flat::read_attachment(&frame::Js(v.clone()))
}

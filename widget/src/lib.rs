//! Parley's visitor widget. `public/widget.js` creates a `<parley-chat>` element with an open
//! Shadow DOM and calls [`mount`]; everything the visitor sees lives in that shadow root, so
//! the host page's CSS cannot change it and the widget changes nothing on the host page.
//!
//! A Leptos CSR app: `state` the typed state, `ui` the components (launcher takeover, panel,
//! transcript, composer, forms, rating and invite cards), `app` the controller and its client
//! driver (`app::driver`), `io` the loader bridge, storage and events outbox.

mod app;
mod invite;
mod io;
mod state;
mod style;
mod ui;
mod viewport;

use io::{call, prop, store, Call};
use parley_protocol::api::Identity;
use wasm_bindgen::prelude::*;
use web_sys::js_sys;

/// Mounts the widget into `root` for channel `channel`, talking to the edge at `base`; `emit`
/// is the loader's `(event, data)` function behind `Parley.on`; `look` the `{accent, position,
/// language}` the loader drew the launcher with (undefined from older loaders). The widget
/// takes over the loader's `.parley` container and `.launcher` (creating them when absent).
#[wasm_bindgen]
pub fn mount(
    root: web_sys::ShadowRoot,
    channel: String,
    base: String,
    emit: js_sys::Function,
    look: JsValue,
) -> Result<(), JsValue> {
    io::set_emit(emit);
    store::init(&channel);
    app::mount(root, channel, base, look)
}

/// `Parley.consent()`: the site says the visitor consented to storage.
#[wasm_bindgen]
pub fn consent() {
    store::consent();
}

/// `Parley.open()` / `Parley.close()`: the chat panel.
#[wasm_bindgen]
pub fn open() {
    call(Call::Open);
}

#[wasm_bindgen]
pub fn close() {
    call(Call::Close);
}

/// `Parley.invite(name)`: shows the invite whose rule is named `name` (case-insensitive) now,
/// whatever its conditions; an unknown name is a console warning.
#[wasm_bindgen]
pub fn invite(name: JsValue) {
    call(Call::Invite(name.as_string().unwrap_or_default()));
}

/// The loader's launcher was clicked at `at` (`event.timeStamp`) before the app listens (the
/// loader hands over every click until the app's own listener took the launcher over; those
/// after it are the listener's).
#[wasm_bindgen]
pub fn click(at: f64) {
    app::early_click(at);
}

/// `Parley.goal(name, value?)`: the site says the visitor reached the goal `name`.
#[wasm_bindgen]
pub fn goal(name: JsValue, value: JsValue) {
    call(Call::Goal(name.as_string().unwrap_or_default(), value.as_f64()));
}

/// `Parley.identify({ id, hash, name, email })`: sent with the session request (again at once
/// when the session is already loaded).
#[wasm_bindgen]
pub fn identify(o: JsValue) {
    let get = |k: &str| prop(&o, k).as_string().unwrap_or_default();
    let id = Identity { id: get("id"), hash: get("hash"), name: get("name"), email: get("email") };
    io::set_identity(id);
    io::with_hook(|f| f(Call::Identify));
}

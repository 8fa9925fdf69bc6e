//! Parley's visitor widget. `public/widget.js` creates a `<parley-chat>` element with an open
//! Shadow DOM and calls [`mount`]; everything the visitor sees lives in that shadow root, so
//! the host page's CSS cannot change it and the widget changes nothing on the host page.

mod app;
mod events;
mod invite;
mod read;
mod state;
mod store;
mod style;
mod ui;

use std::cell::RefCell;

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
    EMIT.with(|e| *e.borrow_mut() = Some(emit));
    store::init(&channel);
    app::mount(root, channel, base, look)
}

/// `Parley.consent()`: the site says the visitor consented to storage.
#[wasm_bindgen]
pub fn consent() {
    store::consent();
}

/// A call of the page's `Parley` API that needs the loaded session.
pub(crate) enum Call {
    Open,
    Close,
    Invite(String),
    Goal(String, Option<f64>),
    /// `Parley.identify` after the session loaded: ask for the session again.
    Identify,
}

pub(crate) type Hook = Box<dyn Fn(Call)>;

thread_local! {
    /// Where calls go once the session is loaded; the calls made before, in order.
    static HOOK: RefCell<Option<Hook>> = const { RefCell::new(None) };
    static EARLY: RefCell<Vec<Call>> = const { RefCell::new(Vec::new()) };
    /// The loader's `emit(event, data)`.
    static EMIT: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
    /// The site's `Parley.identify(..)`, sent with every session request.
    static IDENTITY: RefCell<Option<Identity>> = const { RefCell::new(None) };
}

fn call(c: Call) {
    HOOK.with(|h| match &*h.borrow() {
        Some(f) => f(c),
        None => EARLY.with(|e| e.borrow_mut().push(c)),
    });
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
    IDENTITY.with(|i| *i.borrow_mut() = Some(id));
    HOOK.with(|h| {
        if let Some(f) = &*h.borrow() {
            f(Call::Identify)
        }
    });
}

pub(crate) fn identity() -> Option<Identity> {
    IDENTITY.with(|i| i.borrow().clone())
}

/// The site's identity was refused: the widget goes on anonymously.
pub(crate) fn forget_identity() {
    IDENTITY.with(|i| *i.borrow_mut() = None);
}

/// The session is loaded: `Parley` calls go to `f`, the early ones first, in order.
pub(crate) fn set_hook(f: Hook) {
    let early = EARLY.with(|e| std::mem::take(&mut *e.borrow_mut()));
    for c in early {
        f(c);
    }
    HOOK.with(|h| *h.borrow_mut() = Some(f));
}

/// Tells the page's `Parley.on` listeners (the loader catches what they throw).
pub(crate) fn emit(event: &str, data: &JsValue) {
    EMIT.with(|e| {
        if let Some(f) = &*e.borrow() {
            let _ = f.call2(&JsValue::NULL, &event.into(), data);
        }
    });
}

/// `o[k]` (undefined when missing).
pub(crate) fn prop(o: &JsValue, k: &str) -> JsValue {
    js_sys::Reflect::get(o, &k.into()).unwrap_or_default()
}

/// `JSON.stringify(x)`.
pub(crate) fn stringify(x: &JsValue) -> String {
    js_sys::JSON::stringify(x).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

/// A plain object `{k: v, ..}` for an event's data.
pub(crate) fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &(*k).into(), v);
    }
    o.into()
}

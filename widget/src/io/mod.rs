//! The widget's I/O besides the socket and HTTP calls (`app::driver`, `parley_client`): the
//! loader bridge (the page's `Parley` calls in, `Parley.on` events out, the site's identity),
//! consent-first storage (`store`), the traffic and funnel events' outbox (`events`), the
//! session answer read without serde (`read`).

pub mod events;
pub mod read;
pub mod store;

use std::cell::RefCell;

use parley_protocol::api::Identity;
use wasm_bindgen::JsValue;
use web_sys::js_sys;

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

/// The loader's `emit` (behind `Parley.on`).
pub(crate) fn set_emit(f: js_sys::Function) {
    EMIT.with(|e| *e.borrow_mut() = Some(f));
}

/// The site's `Parley.identify(..)`.
pub(crate) fn set_identity(id: Identity) {
    IDENTITY.with(|i| *i.borrow_mut() = Some(id));
}

/// Calls `f` with the hook, if the session is loaded.
pub(crate) fn with_hook(f: impl FnOnce(&Hook)) {
    HOOK.with(|h| {
        if let Some(h) = &*h.borrow() {
            f(h)
        }
    });
}

/// A `Parley` call: to the hook once the session is loaded, kept in order before.
pub(crate) fn call(c: Call) {
    HOOK.with(|h| match &*h.borrow() {
        Some(f) => f(c),
        None => EARLY.with(|e| e.borrow_mut().push(c)),
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

//! Parley's visitor widget. `public/widget.js` creates a `<parley-chat>` element with an open
//! Shadow DOM and calls [`mount`]; everything the visitor sees lives in that shadow root, so
//! the host page's CSS cannot change it and the widget changes nothing on the host page.

mod app;
mod events;
mod invite;
mod store;
mod style;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Mounts the widget into `root` for channel `channel`, talking to the edge at `base`.
#[wasm_bindgen]
pub fn mount(root: web_sys::ShadowRoot, channel: String, base: String) -> Result<(), JsValue> {
    let doc = parley_client::window().document().ok_or("no document")?;
    let style = doc.create_element("style")?;
    style.set_text_content(Some(style::CSS));
    root.append_child(&style)?;
    let container: web_sys::HtmlElement = doc.create_element("div")?.unchecked_into();
    container.set_class_name("parley");
    root.append_child(&container)?;
    leptos::mount::mount_to(container, move || app::App(app::AppProps { channel, base })).forget();
    Ok(())
}

type InviteHook = Box<dyn Fn(&str)>;

thread_local! {
    /// What `Parley.invite` calls once the session is loaded; the names asked for before.
    static INVITE_HOOK: std::cell::RefCell<Option<InviteHook>> = const { std::cell::RefCell::new(None) };
    static EARLY_INVITES: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `Parley.invite(name)` (the loader forwards calls, also those made before the app loaded):
/// shows the invite whose rule is named `name` (case-insensitive) now, whatever its conditions;
/// an unknown name is a console warning.
#[wasm_bindgen]
pub fn invite(name: String) {
    INVITE_HOOK.with(|h| match &*h.borrow() {
        Some(f) => f(&name),
        None => EARLY_INVITES.with(|e| e.borrow_mut().push(name)),
    });
}

/// The channel's rules are loaded: `Parley.invite` calls go to `f`, the early ones first.
pub(crate) fn set_invite_hook(f: InviteHook) {
    let early = EARLY_INVITES.with(|e| std::mem::take(&mut *e.borrow_mut()));
    for name in &early {
        f(name);
    }
    INVITE_HOOK.with(|h| *h.borrow_mut() = Some(f));
}

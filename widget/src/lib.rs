//! Parley's visitor widget. `public/widget.js` creates a `<parley-chat>` element with an open
//! Shadow DOM and calls [`mount`]; everything the visitor sees lives in that shadow root, so
//! the host page's CSS cannot change it and the widget changes nothing on the host page.

mod app;
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

//! Keeps the open panel inside the visual viewport (issue 17, phones): with the on-screen
//! keyboard open a phone's visual viewport — what the visitor sees — is shorter than the layout
//! viewport that `position: fixed` is placed in, so a panel pinned to the layout viewport's
//! bottom has its composer under the keyboard. [`follow`] listens to `window.visualViewport`'s
//! `resize` and `scroll` and writes its rectangle in CSS custom properties on the widget's
//! `.parley` root (`--parley-vv-top`, `--parley-vv-left`, `--parley-vvw`, `--parley-vvh`, whole
//! CSS px) with a `data-vv` attribute; the panel's rules in `style.rs` place it in that
//! rectangle when `data-vv` is there and keep their own placement otherwise (no visualViewport,
//! or not following: desktops look the same, the rectangle is the layout viewport there).
//! Custom properties set through the CSSOM (`style.setProperty`, as `--accent` is) are allowed
//! by a strict CSP `style-src`; only the root carries them. The [`Follow`] guard removes the
//! listeners, the properties and the attribute when dropped (the panel closes).
//!
//! `visualViewport` is read through `Reflect` (an `EventTarget` with numeric properties) so the
//! widget needs no extra web-sys feature.

use gloo_events::EventListener;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::js_sys::Reflect;
use web_sys::{EventTarget, HtmlElement};

/// The custom properties written on the root, in the order [`rect`] gives them.
const PROPS: [&str; 4] = ["--parley-vv-top", "--parley-vv-left", "--parley-vvw", "--parley-vvh"];
const EVENTS: [&str; 2] = ["resize", "scroll"];

/// Following the visual viewport; dropping it stops.
pub struct Follow {
    /// `None` where the browser has no `visualViewport` (nothing to undo).
    on: Option<On>,
}

/// What following set up: the listeners on the visual viewport (removed when dropped), the
/// `.parley` root.
struct On {
    _listeners: Vec<EventListener>,
    root: HtmlElement,
}

/// Places the panel in the visual viewport now and whenever it moves or resizes, until the
/// returned guard is dropped. `root` is the widget's `.parley` container (the panel's
/// ancestor, where the loader and the app set `data-pos` and `--accent`).
pub fn follow(root: &HtmlElement) -> Follow {
    let Some(vv) = web_sys::window()
        .and_then(|w| Reflect::get(&w, &JsValue::from_str("visualViewport")).ok())
        .and_then(|v| v.dyn_into::<EventTarget>().ok())
    else {
        return Follow { on: None };
    };
    let apply = {
        let (vv, root) = (vv.clone(), root.clone());
        move || place(&root, &vv)
    };
    apply();
    let listeners = EVENTS.map(|e| {
        let apply = apply.clone();
        EventListener::new(&vv, e, move |_| apply())
    });
    Follow { on: Some(On { _listeners: listeners.into(), root: root.clone() }) }
}

/// Places the panel in the visual viewport once, without following it: done when the closed
/// panel is built (in a task of its own), so that opening it changes no layout (`follow` then
/// writes the same values).
pub fn prime(root: &HtmlElement) {
    if let Some(vv) = web_sys::window()
        .and_then(|w| Reflect::get(&w, &JsValue::from_str("visualViewport")).ok())
        .and_then(|v| v.dyn_into::<EventTarget>().ok())
    {
        place(root, &vv);
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        // The listeners go with `on`.
        let Some(On { root, .. }) = self.on.take() else { return };
        let style = root.style();
        for p in PROPS {
            let _ = style.remove_property(p);
        }
        let _ = root.remove_attribute("data-vv");
    }
}

/// Writes the visual viewport's rectangle on the root.
fn place(root: &HtmlElement, vv: &EventTarget) {
    let Some(r) = rect(vv) else { return };
    let style = root.style();
    for (p, v) in PROPS.into_iter().zip(r) {
        // Whole pixels: no float formatting code in the widget.
        let _ = style.set_property(p, &[v.to_string().as_str(), "px"].concat());
    }
    let _ = root.set_attribute("data-vv", "");
}

/// `[top, left, width, height]` of the visual viewport in the layout viewport, in whole CSS
/// pixels inside it (edges rounded inwards).
fn rect(vv: &EventTarget) -> Option<[i32; 4]> {
    let num = |k: &str| Reflect::get(vv, &JsValue::from_str(k)).ok()?.as_f64().filter(|n| n.is_finite());
    let (top, left) = (num("offsetTop")?, num("offsetLeft")?);
    let (bottom, right) = (top + num("height")?, left + num("width")?);
    let (top, left) = (top.ceil() as i32, left.ceil() as i32);
    let (bottom, right) = (bottom.floor() as i32, right.floor() as i32);
    Some([top, left, (right - left).max(0), (bottom - top).max(0)])
}

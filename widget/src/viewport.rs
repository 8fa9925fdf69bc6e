//! Keeps the open panel inside the visual viewport (issue 17, phones): with the on-screen
//! keyboard open a phone's visual viewport — what the visitor sees — is shorter than the layout
//! viewport that `position: fixed` is placed in, so a panel pinned to the layout viewport's
//! bottom has its composer under the keyboard. [`follow`] listens to `window.visualViewport`'s
//! `resize` and `scroll` and writes its rectangle in CSS custom properties on the panel
//! (`--parley-vv-top`, `--parley-vv-left`, `--parley-vvw`, `--parley-vvh`, whole CSS px) and a
//! `data-vv` attribute; the panel's rules in `style.rs` place it in that rectangle when
//! `data-vv` is there and keep their own placement otherwise (no visualViewport, or not
//! following: desktops look the same, the rectangle is the layout viewport there). Custom
//! properties set through the CSSOM (`style.setProperty`) are allowed by a strict CSP
//! `style-src`. The [`Follow`] guard removes the listeners, the properties and the attribute
//! when dropped (the panel closes).
//!
//! `visualViewport` is read through `Reflect` (an `EventTarget` with numeric properties) so the
//! widget needs no extra web-sys feature.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::js_sys::Reflect;
use web_sys::{EventTarget, HtmlElement};

/// The custom properties written on the panel, in the order [`rect`] gives them.
const PROPS: [&str; 4] = ["--parley-vv-top", "--parley-vv-left", "--parley-vvw", "--parley-vvh"];
const EVENTS: [&str; 2] = ["resize", "scroll"];

/// Following the visual viewport; dropping it stops.
pub struct Follow {
    /// `None` where the browser has no `visualViewport` (nothing to undo).
    on: Option<On>,
}

/// What following set up: the visual viewport, the listener on it, the panel.
struct On {
    vv: EventTarget,
    cb: Closure<dyn FnMut()>,
    panel: HtmlElement,
}

/// Places `panel` in the visual viewport now and whenever it moves or resizes, until the
/// returned guard is dropped.
pub fn follow(panel: &HtmlElement) -> Follow {
    let Some(vv) = web_sys::window()
        .and_then(|w| Reflect::get(&w, &JsValue::from_str("visualViewport")).ok())
        .and_then(|v| v.dyn_into::<EventTarget>().ok())
    else {
        return Follow { on: None };
    };
    let apply = {
        let (vv, panel) = (vv.clone(), panel.clone());
        move || place(&panel, &vv)
    };
    apply();
    let cb = Closure::<dyn FnMut()>::new(apply);
    for e in EVENTS {
        let _ = vv.add_event_listener_with_callback(e, cb.as_ref().unchecked_ref());
    }
    Follow { on: Some(On { vv, cb, panel: panel.clone() }) }
}

impl Drop for Follow {
    fn drop(&mut self) {
        let Some(On { vv, cb, panel }) = self.on.take() else { return };
        for e in EVENTS {
            let _ = vv.remove_event_listener_with_callback(e, cb.as_ref().unchecked_ref());
        }
        let style = panel.style();
        for p in PROPS {
            let _ = style.remove_property(p);
        }
        let _ = panel.remove_attribute("data-vv");
    }
}

/// Writes the visual viewport's rectangle on the panel.
fn place(panel: &HtmlElement, vv: &EventTarget) {
    let Some(r) = rect(vv) else { return };
    let style = panel.style();
    for (p, v) in PROPS.into_iter().zip(r) {
        // Whole pixels: no float formatting code in the widget.
        let _ = style.set_property(p, &[v.to_string().as_str(), "px"].concat());
    }
    let _ = panel.set_attribute("data-vv", "");
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

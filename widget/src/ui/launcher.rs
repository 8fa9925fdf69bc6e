//! The launcher takeover: the loader draws the launcher before the app loads (so the page
//! pays nothing for it); the app takes that button over — its label and `aria-expanded`
//! follow the panel, the container's `data-open` too, and an unread badge is added into it.

use leptos::prelude::*;
use parley_protocol::i18n::Texts;
use web_sys::HtmlElement;

use super::{tf, Ui};

/// The badge is mounted first and the effect created after it: both need Leptos' executor,
/// which `mount_to` starts.
pub fn take_over(top: &HtmlElement, launcher: &HtmlElement, ui: Ui, t: &'static Texts) {
    // The first Leptos view of the page (`mount_to` also starts Leptos' task executor).
    leptos::mount::mount_to(launcher.clone(), move || {
        move || {
            let n = ui.unread.get();
            (n > 0).then(|| {
                view! { <span class="badge">{n}<span class="sr">{[" ", t.unread].concat()}</span></span> }
            })
        }
    })
    .forget();
    let (top, b) = (top.clone(), launcher.clone());
    // A render effect (the kind tachys' views use: no second effect machinery), kept for the
    // page's life.
    std::mem::forget(RenderEffect::new(move |_| {
        let open = ui.open.get();
        let _ = top.toggle_attribute_with_force("data-open", open);
        let _ = b.set_attribute("aria-expanded", tf(open));
        let _ = b.set_attribute("aria-label", if open { t.close_chat } else { t.open_chat });
    }));
}

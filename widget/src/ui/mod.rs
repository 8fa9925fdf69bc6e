//! The widget's view: Leptos components fed by the signals in [`Ui`], which the controller
//! (`app::draw`) sets after every change of its state. The panel and the invite card are built
//! when first needed (the panel opens, an invite shows, or in a task of their own after
//! `ready`), never at mount.
//!
//! Size (`widget/SIZE.md`): attributes and texts take the signals themselves (`hidden=ui.x`,
//! `{ui.title}`), so every use of a `RwSignal<bool>` or `RwSignal<String>` shares one
//! instantiation, where a closure per attribute would be one type each; the controls carry a
//! `data-act` read by one listener per event type on the container (`app::on_click`, …)
//! instead of one `on:` handler type per button.

pub mod composer;
pub mod forms;
pub mod invite;
pub mod launcher;
pub mod panel;
pub mod rating;
pub mod transcript;

use leptos::prelude::*;
use leptos::tachys::view::{Mountable, Render};
use web_sys::{Element, Node};

pub use transcript::Row;

/// A pre-chat field, from the channel.
#[derive(Clone, PartialEq)]
pub struct Field {
    pub key: String,
    pub label: String,
    pub required: bool,
}

/// What the views show; the controller writes it (`put`), the views read it. `*_off`: the
/// element is hidden.
#[derive(Clone, Copy)]
pub struct Ui {
    pub open: RwSignal<bool>,
    pub unread: RwSignal<u32>,
    pub panel_off: RwSignal<bool>,
    /// The panel's title (the channel's name) and its second line (who answers).
    pub title: RwSignal<String>,
    pub sub: RwSignal<String>,
    pub end_off: RwSignal<bool>,
    /// A problem (or "reconnecting").
    pub notice: RwSignal<String>,
    pub notice_off: RwSignal<bool>,
    pub greet: RwSignal<String>,
    pub ended_off: RwSignal<bool>,
    pub typing: RwSignal<String>,
    pub offline_off: RwSignal<bool>,
    pub offline_thanks_off: RwSignal<bool>,
    pub rate_off: RwSignal<bool>,
    /// Which rating is picked (good, moderate, bad).
    pub picked: [RwSignal<bool>; 3],
    pub rate_send_off: RwSignal<bool>,
    pub rate_skip_off: RwSignal<bool>,
    pub rate_thanks_off: RwSignal<bool>,
    pub prechat_off: RwSignal<bool>,
    /// The server's message about a pre-chat field: its key, the message.
    pub err_key: RwSignal<String>,
    pub err: RwSignal<String>,
    pub new_off: RwSignal<bool>,
    /// "Email me this chat": its button, its form, what was sent where.
    pub mailme_off: RwSignal<bool>,
    pub mail_off: RwSignal<bool>,
    pub mail_note_off: RwSignal<bool>,
    pub mail_note: RwSignal<String>,
    pub compose_off: RwSignal<bool>,
    pub invite_off: RwSignal<bool>,
    pub invite_text: RwSignal<String>,
}

impl Ui {
    pub fn new() -> Ui {
        let on = || RwSignal::new(true);
        let text = || RwSignal::new(String::new());
        Ui {
            open: RwSignal::new(false),
            unread: RwSignal::new(0),
            panel_off: on(),
            title: text(),
            sub: text(),
            end_off: on(),
            notice: text(),
            notice_off: on(),
            greet: text(),
            ended_off: on(),
            typing: text(),
            offline_off: on(),
            offline_thanks_off: on(),
            rate_off: on(),
            picked: [RwSignal::new(false), RwSignal::new(false), RwSignal::new(false)],
            rate_send_off: on(),
            rate_skip_off: RwSignal::new(false),
            rate_thanks_off: on(),
            prechat_off: on(),
            err_key: text(),
            err: text(),
            new_off: on(),
            mailme_off: on(),
            mail_off: on(),
            mail_note_off: on(),
            mail_note: text(),
            compose_off: RwSignal::new(false),
            invite_off: on(),
            invite_text: text(),
        }
    }
}

/// Sets `sig` to `v` when it differs (a live region announces only changes; no effect reruns
/// for nothing); whether it did.
pub fn put<T: PartialEq + Send + Sync + 'static>(sig: RwSignal<T>, v: T) -> bool {
    let changed = sig.with_untracked(|x| *x != v);
    if changed {
        sig.set(v);
    }
    changed
}

/// Builds `f`'s view under a reactive owner of its own and inserts it into `parent` before
/// `before`; the owner is returned (`cleanup` stops the view's effects; removing its elements
/// is the caller's).
pub fn place<V: IntoView>(parent: &Element, before: Option<&Node>, f: impl FnOnce() -> V) -> Owner {
    let owner = Owner::new();
    owner.with(|| place_here(parent, before, f));
    owner
}

/// Builds `f`'s view under the current reactive owner and inserts it into `parent` before
/// `before` (kept for the owner's life).
pub fn place_here<V: IntoView>(parent: &Element, before: Option<&Node>, f: impl FnOnce() -> V) {
    let mut m = f().into_view().build();
    m.mount(parent, before);
    std::mem::forget(m);
}

pub fn tf(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

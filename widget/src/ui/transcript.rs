//! The transcript: the channel's greeting, the messages keyed by what they show (stored ones
//! by `seq`: added, never redrawn), "chat ended".

use leptos::prelude::*;
use parley_protocol::i18n::Texts;
use web_sys::Element;

use super::{place, Ui};

/// One line of the transcript as it shows.
#[derive(Clone, PartialEq)]
pub struct Row {
    /// `seq` for a stored message; for the visitor's own on their way, their id and state.
    pub key: String,
    /// `msg mine`, `msg theirs`, `msg mine pending`, `msg mine failed`.
    pub class: &'static str,
    pub who: Option<String>,
    pub text: String,
    pub meta: String,
    /// Stuck on its way: a "Retry" button after `meta`.
    pub retry: bool,
    /// A file (issue 21): its id (empty: none), whether it is an image (shown inline, its
    /// link asked for once placed), and its name (an image's alt text) with its size.
    pub file: String,
    pub image: bool,
    pub label: String,
}

pub fn transcript(ui: Ui, t: &'static Texts) -> impl IntoView {
    // Focusable: keyboard users can scroll the transcript (it may hold no control).
    view! {
        <div class="log" role="log" aria-live="polite" aria-label=t.messages tabindex="0">
            <p class="greet">{ui.greet}</p>
            <p class="ended" role="status" hidden=ui.ended_off>{t.chat_ended}</p>
        </div>
    }
}

fn row(r: Row, t: &'static Texts) -> impl IntoView {
    view! {
        <div class=r.class>
            {r.who.map(|w| view! { <span class="who">{w}</span> })}
            {r.text}
            {(!r.file.is_empty()).then(|| if r.image {
                view! { <img class="img" data-file=r.file alt=r.label /> }.into_any()
            } else {
                view! { <a class="file" href="#" data-act="open" data-file=r.file>{r.label}</a> }.into_any()
            })}
            <span class="meta">
                {r.meta}
                {r.retry.then(|| view! { <button class="link" type="button" data-act="retry">{t.retry}</button> })}
            </span>
        </div>
    }
}

/// Shows `rows` in the transcript `log` (before its "chat ended" line `end`): the rows that
/// went are removed, the new ones built and inserted in place; `shown` holds the rows on
/// screen (key, element). Whether anything changed.
pub fn sync(log: &Element, end: &Element, shown: &mut Vec<(String, Element)>, rows: &[Row], t: &'static Texts) -> bool {
    let before = shown.len();
    shown.retain(|(k, e)| {
        let keep = rows.iter().any(|r| r.key == *k);
        if !keep {
            e.remove();
        }
        keep
    });
    let mut changed = before != shown.len();
    for (i, r) in rows.iter().enumerate() {
        if shown.get(i).is_some_and(|(k, _)| *k == r.key) {
            continue;
        }
        let next = shown.get(i).map_or(end, |x| &x.1).clone();
        let r = r.clone();
        let key = r.key.clone();
        // Static markup: no reactive owner to keep.
        drop(place(log, Some(&next), move || row(r, t)));
        if let Some(e) = next.previous_element_sibling() {
            shown.insert(i, (key, e));
        }
        changed = true;
    }
    changed
}

//! The rating card after a chat ends: good / moderate / bad, a comment, send or skip; then
//! thanks.

use leptos::prelude::*;
use parley_protocol::i18n::Texts;

use super::{tf, Ui};

pub fn rating(ui: Ui, t: &'static Texts) -> impl IntoView {
    view! {
        <form class="offline" data-act="rate" aria-label=t.rate_chat hidden=ui.rate_off>
            <p>{t.how_was_it}</p>
            <div class="picks" role="group" aria-label=t.rating>
                {pick(ui, 0, t.good)}
                {pick(ui, 1, t.moderate)}
                {pick(ui, 2, t.bad)}
            </div>
            <label>{t.comment}<textarea name="comment" maxlength="1000"></textarea></label>
            <div class="picks">
                <button class="send wide" type="submit" disabled=ui.rate_send_off>{t.send_rating}</button>
                <button class="pick" type="button" data-act="skip" disabled=ui.rate_skip_off>{t.skip}</button>
            </div>
        </form>
        <p class="offline" role="status" hidden=ui.rate_thanks_off>{t.rating_thanks}</p>
    }
}

/// One of the three ratings (`data-i`: 1 good, 2 moderate, 3 bad).
fn pick(ui: Ui, i: u8, label: &'static str) -> impl IntoView {
    view! {
        <button class="pick" type="button" data-act="pick" data-i=["1", "2", "3"][usize::from(i)]
            aria-pressed=move || tf(ui.picked[usize::from(i)].get())>
            {label}
        </button>
    }
}

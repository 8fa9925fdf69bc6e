//! The invite card: an operator's greeting, "Chat now", and a close button (or Escape) to
//! decline it.

use leptos::prelude::*;
use parley_protocol::i18n::Texts;

use super::Ui;

pub fn invite(ui: Ui, t: &'static Texts) -> impl IntoView {
    view! {
        <section class="invite" role="dialog" aria-label=t.invitation hidden=ui.invite_off>
            <button class="close" type="button" data-act="decline" aria-label=t.close_invitation>"×"</button>
            <p>{ui.invite_text}</p>
            <button class="send" type="button" data-act="accept">{t.chat_now}</button>
        </section>
    }
}

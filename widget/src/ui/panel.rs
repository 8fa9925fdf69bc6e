//! The chat panel: a dialog with its header (the channel's name, who answers, "End chat",
//! minimise), a notice line, the transcript, who types, the forms and the composer.

use leptos::prelude::*;
use parley_protocol::i18n::Texts;

use super::{composer, forms, rating, transcript, Ui};

/// The panel (invisible while closed: `visibility: hidden`, not `display: none`, so that its
/// layout is done when it is built, in a task of its own, and opening it only shows it). Once it is built, `app::build_panel` is the place to
/// follow the phone's visual viewport (the on-screen keyboard) on it.
pub fn panel(ui: Ui, t: &'static Texts) -> impl IntoView {
    view! {
        <section class="panel" class:off=move || ui.panel_off.get() role="dialog" aria-label=t.chat>
            <header class="head">
                <div>
                    <h2>{ui.title}</h2>
                    <p role="status">{ui.sub}</p>
                </div>
                <button class="end" type="button" data-act="end" hidden=ui.end_off>
                    {t.end_chat}
                </button>
                <button class="close" type="button" data-act="mailme" aria-label=t.email_chat title=t.email_chat hidden=ui.mailme_off>
                    "✉"
                </button>
                <button class="close" type="button" data-act="min" aria-label=t.minimize>
                    "×"
                </button>
            </header>
            <p class="status" role="alert" hidden=ui.notice_off>{ui.notice}</p>
            {transcript::transcript(ui, t)}
            <div class="typing" aria-hidden="true">{ui.typing}</div>
            {forms::offline(ui, t)}
            {rating::rating(ui, t)}
            <form class="offline" data-act="mail" aria-label=t.email_chat hidden=ui.mail_off>
                <label>{t.your_email}<input name="email" type="email" required maxlength="254" autocomplete="email"/></label>
                <button class="send wide" type="submit">{t.email_chat}</button>
            </form>
            <p class="offline" role="status" hidden=ui.mail_note_off>{ui.mail_note}</p>
            {forms::prechat(ui, t)}
            {composer::composer(ui, t)}
        </section>
    }
}

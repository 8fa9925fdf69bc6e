//! The composer (hidden behind a form or after the end) and, after the end, "Start a new chat".

use leptos::prelude::*;
use parley_protocol::i18n::Texts;

use super::Ui;

pub fn composer(ui: Ui, t: &'static Texts) -> impl IntoView {
    view! {
        <div class="compose" hidden=ui.new_off>
            <button class="send wide" type="button" data-act="new">{t.new_chat}</button>
        </div>
        <form class="compose" data-act="send" hidden=ui.compose_off>
            <textarea name="text" aria-label=t.message placeholder=t.write_message rows="1"></textarea>
            <label class="att" title=t.attach>
                <input type="file" data-act="file" aria-label=t.attach />
                "+"
            </label>
            <button class="send" type="submit" aria-label=t.send_message>{t.send}</button>
        </form>
    }
}

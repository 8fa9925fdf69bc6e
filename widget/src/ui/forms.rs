//! The panel's forms: the offline form (nobody can take a chat) and the pre-chat form (the
//! channel asks who the visitor is first). The controller reads their values at submit.

use leptos::prelude::*;
use parley_protocol::i18n::Texts;

use web_sys::Element;

use super::{place, Field, Ui};

pub fn offline(ui: Ui, t: &'static Texts) -> impl IntoView {
    view! {
        <form class="offline" data-act="offline" hidden=ui.offline_off>
            <p>{t.offline_intro}</p>
            <input name="name" aria-label=t.your_name placeholder=t.your_name type="text" required maxlength="80" />
            <input name="email" aria-label=t.your_email placeholder=t.your_email type="email" required maxlength="200" />
            <textarea name="note" aria-label=t.your_message placeholder=t.your_message required></textarea>
            <button class="send wide" type="submit">{t.leave_message}</button>
        </form>
        <p class="offline" role="status" hidden=ui.offline_thanks_off>{t.offline_thanks}</p>
    }
}

pub fn prechat(ui: Ui, t: &'static Texts) -> impl IntoView {
    view! {
        <form class="offline" data-act="prechat" aria-label=t.before_start hidden=ui.prechat_off>
            <button class="send wide" type="submit">{t.start_chat}</button>
        </form>
    }
}

/// Shows `fields` in the pre-chat form `form`, before its submit button, in place of the ones
/// it showed; the owner of their views (`cleanup` when they are replaced).
pub fn set_fields(form: &Element, fields: Vec<Field>, ui: Ui) -> Owner {
    while let Some(e) = form.first_element_child().filter(|e| e.tag_name() != "BUTTON") {
        e.remove();
    }
    let submit = form.last_element_child();
    place(form, submit.as_ref().map(AsRef::as_ref), move || fields.into_iter().map(|f| field(ui, f)).collect_view())
}

/// A pre-chat field and the line for the server's message about it.
fn field(ui: Ui, f: Field) -> impl IntoView {
    let kind = if f.key == "email" { "email" } else { "text" };
    let key = f.key;
    view! {
        <label class=f.required.then_some("req")>
            <span>{f.label}</span>
            <input type=kind maxlength="200" required=f.required />
        </label>
        <p class="err" role="alert">
            {move || if ui.err_key.with(|k| *k == key) { ui.err.get() } else { String::new() }}
        </p>
    }
}

//! Canned responses: prepared answers an operator inserts by typing `/shortcut`. Every
//! operator of the account manages them.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::i18n::{fill, t};

use crate::form::load_into;
use leptos::task::spawn_local;
use parley_protocol::admin::{CannedRequest, CannedResponse, FieldError};

use crate::admin_api;
use crate::form::{http_field_error, http_field_error_with, Field, FormError, Notice};

const FIELDS: &[&str] = &["shortcut", "text"];

#[component]
pub fn CannedResponses() -> impl IntoView {
    let list = RwSignal::new(None::<Vec<CannedResponse>>);
    let load_error = RwSignal::new(None::<String>);
    let row_error = RwSignal::new(None::<FieldError>);
    let note = RwSignal::new(None::<String>);
    let shortcut = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let err = RwSignal::new(None::<FieldError>);
    let busy = RwSignal::new(false);

    let reload = move || load_into(list, load_error, admin_api::canned_list());
    reload();

    let delete = move |c: CannedResponse| {
        row_error.set(None);
        note.set(None);
        spawn_local(async move {
            match admin_api::delete_canned(&c.id).await {
                Ok(()) => {
                    note.try_set(Some(fill(t().canned_deleted, &[("shortcut", &c.shortcut)])));
                    reload();
                }
                Err(e) => {
                    row_error.try_set(Some(http_field_error(&e)));
                }
            }
        });
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        note.set(None);
        let body = CannedRequest { shortcut: shortcut.get_untracked(), text: text.get_untracked() };
        // The shortcut as the server reads it, for its "already in use".
        let sent = match body.validate() {
            Ok((shortcut, _)) => shortcut,
            Err(e) => return err.set(Some(e)),
        };
        err.set(None);
        busy.set(true);
        spawn_local(async move {
            match admin_api::create_canned(&body).await {
                Ok(c) => {
                    shortcut.try_set(String::new());
                    text.try_set(String::new());
                    note.try_set(Some(fill(t().canned_added, &[("shortcut", &c.shortcut)])));
                    reload();
                }
                Err(e) => {
                    err.try_set(Some(http_field_error_with(&e, &[("shortcut", &sent)])));
                }
            }
            busy.try_set(false);
        });
    };

    let rows = move || {
        list.get()
            .unwrap_or_default()
            .into_iter()
            .map(|c| {
                let label = {
                    let shortcut = c.shortcut.clone();
                    move || fill(t().delete_canned, &[("shortcut", &shortcut)])
                };
                let shown = format!("/{}", c.shortcut);
                let text = c.text.clone();
                view! {
                    <tr>
                        <td>
                            <code>{shown}</code>
                        </td>
                        <td class="adm-canned-text">{text}</td>
                        <td class="adm-row-actions">
                            <button
                                type="button"
                                class="btn btn-ghost adm-small"
                                aria-label=label
                                on:click=move |_| delete(c.clone())
                            >
                                {move || t().delete}
                            </button>
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };

    view! {
        <section class="adm-section" aria-labelledby="adm-canned-title">
            <h2 id="adm-canned-title">{move || t().canned_responses}</h2>
            <p class="muted">{move || t().canned_intro}</p>
            {move || load_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <FormError err=row_error fields=&[] />
            <Notice note />
            {move || {
                list.with(|l| l.as_ref().is_some_and(Vec::is_empty))
                    .then(|| view! { <p class="muted">{move || t().no_canned}</p> })
            }}
            <table class="adm-table" aria-labelledby="adm-canned-title">
                <thead>
                    <tr>
                        <th scope="col">{move || t().shortcut}</th>
                        <th scope="col">{move || t().text}</th>
                        <th scope="col">
                            <span class="adm-sr">{move || t().actions}</span>
                        </th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <form class="adm-form adm-card" on:submit=submit aria-labelledby="adm-new-canned-title" novalidate>
                <h3 id="adm-new-canned-title">{move || t().add_canned}</h3>
                <Field
                    id="adm-canned-shortcut".into()
                    label=move || t().shortcut
                    field="shortcut"
                    value=shortcut
                    err
                    autocomplete="off"
                    hint=move || t().shortcut_hint
                />
                <Field id="adm-canned-text".into() label=move || t().text field="text" value=text err multiline=true />
                <FormError err fields=FIELDS />
                <div class="adm-actions">
                    <button type="submit" class="btn btn-primary" aria-busy=move || busy.get().to_string()>
                        {move || t().add_canned}
                    </button>
                </div>
            </form>
        </section>
    }
}

//! Admin → Account: the account's name and the time zone its reports use (dates, hours, days
//! of every report and of the Reports section's From/To), and its data retention period.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::i18n::t;
use leptos::task::spawn_local;
use parley_protocol::admin::{AccountUpdate, AccountView, FieldError};
use parley_protocol::data_rights::RetentionSettings;

use crate::admin_api;
use crate::form::{http_field_error, http_field_error_with, Field, FormError, Notice};

const FIELDS: &[&str] = &["name", "time_zone"];

#[component]
pub fn AccountSettings() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let time_zone = RwSignal::new(String::new());
    let loaded = RwSignal::new(false);
    let err = RwSignal::new(None::<FieldError>);
    let note = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let fill = move |a: &AccountView| {
        name.set(a.name.clone());
        time_zone.set(a.time_zone.clone());
    };
    spawn_local(async move {
        match admin_api::account().await {
            Ok(a) => {
                fill(&a);
                loaded.try_set(true);
            }
            Err(e) => {
                err.try_set(Some(http_field_error(&e)));
            }
        }
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        note.set(None);
        let body = AccountUpdate { name: name.get_untracked(), time_zone: time_zone.get_untracked() };
        if let Err(e) = body.validate() {
            return err.set(Some(e));
        }
        err.set(None);
        busy.set(true);
        spawn_local(async move {
            match admin_api::save_account(&body).await {
                Ok(a) => {
                    fill(&a);
                    note.try_set(Some(t().account_saved.to_owned()));
                }
                Err(e) => {
                    let sent = [("time_zone", body.time_zone.as_str()), ("name", body.name.as_str())];
                    err.try_set(Some(http_field_error_with(&e, &sent)));
                }
            }
            busy.try_set(false);
        });
    };

    view! {
        <section class="adm-section" aria-labelledby="adm-account-title">
            <h2 id="adm-account-title">{move || t().account}</h2>
            <p class="muted">{move || t().account_intro}</p>
            <form class="adm-form" on:submit=submit aria-labelledby="adm-account-title" novalidate>
                <Field id="adm-account-name".into() label=move || t().account_name field="name" value=name err />
                <Field
                    id="adm-account-tz".into()
                    label=move || t().time_zone
                    field="time_zone"
                    value=time_zone
                    err
                    hint=move || t().time_zone_hint
                />
                <FormError err fields=FIELDS />
                <Notice note />
                <div class="adm-actions">
                    <button
                        type="submit"
                        class="btn btn-primary"
                        aria-busy=move || busy.get().to_string()
                        disabled=move || !loaded.get()
                    >
                        {move || t().save_account}
                    </button>
                </div>
            </form>
            <Retention />
        </section>
    }
}

/// The account's retention period: closed conversations and offline messages older than it are
/// deleted by the hourly retention job.
#[component]
fn Retention() -> impl IntoView {
    let days = RwSignal::new(String::new());
    let loaded = RwSignal::new(false);
    let err = RwSignal::new(None::<FieldError>);
    let note = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    spawn_local(async move {
        match admin_api::retention().await {
            Ok(r) => {
                days.try_set(r.days.to_string());
                loaded.try_set(true);
            }
            Err(e) => {
                err.try_set(Some(http_field_error(&e)));
            }
        }
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        note.set(None);
        let body = RetentionSettings { days: days.get_untracked().trim().parse().unwrap_or(0) };
        if let Err(e) = body.validate() {
            return err.set(Some(e));
        }
        err.set(None);
        busy.set(true);
        spawn_local(async move {
            match admin_api::save_retention(&body).await {
                Ok(r) => {
                    days.try_set(r.days.to_string());
                    note.try_set(Some(t().retention_saved.to_owned()));
                }
                Err(e) => {
                    err.try_set(Some(http_field_error(&e)));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <h3 id="adm-retention-title">{move || t().retention}</h3>
        <p class="muted">{move || t().retention_intro}</p>
        <form class="adm-form" on:submit=submit aria-labelledby="adm-retention-title" novalidate>
            <Field
                id="adm-retention-days".into()
                label=move || t().retention_days
                field="days"
                value=days
                err
                kind="number"
                hint=move || t().retention_hint
            />
            <FormError err fields=&["days"] />
            <Notice note />
            <div class="adm-actions">
                <button
                    type="submit"
                    class="btn btn-primary"
                    aria-busy=move || busy.get().to_string()
                    disabled=move || !loaded.get()
                >
                    {move || t().save_retention}
                </button>
            </div>
        </form>
    }
}

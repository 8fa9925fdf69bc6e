//! My settings: the operator's online chat name, main and extra languages, max chats; and in
//! this browser, which system notifications the console shows while it is not in front.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::i18n::{t, LangPicker};
use leptos::task::spawn_local;
use parley_protocol::admin::{FieldError, Settings, SettingsUpdate};

use crate::admin_api;
use crate::form::{http_field_error, language_list, parse_max_chats, split_languages, Field, FormError, Notice};
use crate::notify;

const FIELDS: &[&str] = &["chat_name", "languages", "max_chats"];

#[component]
pub fn MySettings() -> impl IntoView {
    // Read here: there is no reactive owner inside the save's async task.
    let shown_name = expect_context::<crate::state::Ctx>().chat_name;
    let chat_name = RwSignal::new(String::new());
    let main_lang = RwSignal::new(String::new());
    let extra_langs = RwSignal::new(String::new());
    let max_chats = RwSignal::new(String::new());
    let loaded = RwSignal::new(None::<Settings>);
    let err = RwSignal::new(None::<FieldError>);
    let note = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let fill = move |s: &Settings| {
        chat_name.set(s.chat_name.clone());
        let (main, extras) = split_languages(&s.languages);
        main_lang.set(main);
        extra_langs.set(extras);
        max_chats.set(s.max_chats.to_string());
    };
    spawn_local(async move {
        match admin_api::settings().await {
            Ok(s) => {
                fill(&s);
                loaded.try_set(Some(s));
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
        let Some(current) = loaded.get_untracked() else { return };
        let body = match (
            language_list(&main_lang.get_untracked(), &extra_langs.get_untracked()),
            parse_max_chats(&max_chats.get_untracked()),
        ) {
            (Ok(languages), Ok(max_chats)) => {
                SettingsUpdate { chat_name: chat_name.get_untracked(), languages, max_chats }
            }
            (Err(e), _) | (_, Err(e)) => return err.set(Some(e)),
        };
        if let Err(e) = body.validate(&current.first_name, &current.last_name) {
            return err.set(Some(e));
        }
        err.set(None);
        busy.set(true);
        spawn_local(async move {
            match admin_api::save_settings(&body).await {
                Ok(s) => {
                    fill(&s);
                    // The top bar shows the new chat name at once.
                    shown_name.try_set(s.chat_name.clone());
                    loaded.try_set(Some(s));
                    note.try_set(Some(t().settings_saved.to_owned()));
                }
                Err(e) => {
                    err.try_set(Some(http_field_error(&e)));
                }
            }
            busy.try_set(false);
        });
    };

    view! {
        <section class="adm-section" aria-labelledby="adm-settings-title">
            <h2 id="adm-settings-title">{move || t().my_settings}</h2>
            <p class="muted">{move || t().settings_intro}</p>
            <div class="field adm-field">
                <LangPicker id="adm-set-console-lang" />
            </div>
            <form class="adm-form" on:submit=submit aria-labelledby="adm-settings-title" novalidate>
                <Field id="adm-set-chat-name".into() label=move || t().online_chat_name field="chat_name" value=chat_name err />
                <Field
                    id="adm-set-main-lang".into()
                    label=move || t().main_language
                    field="languages"
                    value=main_lang
                    err
                    hint=move || t().main_language_hint
                />
                <Field
                    id="adm-set-extra-langs".into()
                    label=move || t().extra_languages
                    field=""
                    value=extra_langs
                    err
                    hint=move || t().extra_languages_hint
                />
                <Field id="adm-set-max-chats".into() label=move || t().max_chats field="max_chats" value=max_chats err kind="number" />
                <FormError err fields=FIELDS />
                <Notice note />
                <div class="adm-actions">
                    <button
                        type="submit"
                        class="btn btn-primary"
                        aria-busy=move || busy.get().to_string()
                        disabled=move || loaded.with(Option::is_none)
                    >
                        {move || t().save_settings}
                    </button>
                </div>
            </form>
            <NotifySettings />
            <crate::accounts::TwoFactorSettings />
        </section>
    }
}

/// Notifications in this browser: the permission (asked on the operator's click, as browsers
/// require) and what notifies them, kept in localStorage (`notify::NOTIFY_KEY`).
#[component]
fn NotifySettings() -> impl IntoView {
    let storage = || parley_client::window().local_storage().ok().flatten();
    let permission = RwSignal::new(crate::state::notification_permission());
    let prefs = RwSignal::new(notify::Prefs::parse(
        storage().and_then(|s| s.get_item(notify::NOTIFY_KEY).ok().flatten()).as_deref(),
    ));
    // Push with the console closed: whether the edge notifies this browser (None: not known
    // yet), and why turning it on failed.
    let push_on = RwSignal::new(None::<bool>);
    let push_error = RwSignal::new(false);
    if crate::push::supported() {
        spawn_local(async move {
            push_on.try_set(Some(crate::push::is_on().await));
        });
    }
    let choices =
        move |p: notify::Prefs| parley_protocol::api::PushChoices { new_chats: p.new_chats, new_messages: p.messages };
    let set_push = move |on: bool| {
        push_error.set(false);
        spawn_local(async move {
            let result = if on {
                crate::push::subscribe(choices(prefs.get_untracked())).await
            } else {
                crate::push::unsubscribe().await
            };
            if result.is_err() {
                push_error.try_set(true);
            }
            push_on.try_set(Some(crate::push::is_on().await));
            permission.try_set(crate::state::notification_permission());
        });
    };
    let save = move |p: notify::Prefs| {
        prefs.set(p);
        if let Some(s) = storage() {
            let _ = s.set_item(notify::NOTIFY_KEY, &p.to_json());
        }
        // The edge keeps the choices of the push it sends: tell it.
        if push_on.get_untracked() == Some(true) {
            set_push(true);
        }
    };
    let ask = move |_| {
        spawn_local(async move {
            if let Ok(promise) = web_sys::Notification::request_permission() {
                let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            }
            permission.try_set(crate::state::notification_permission());
        });
    };
    // A choice: its label, how it reads the prefs, how it sets them.
    let check = move |label: fn() -> &'static str,
                      get: fn(notify::Prefs) -> bool,
                      set: fn(notify::Prefs, bool) -> notify::Prefs| {
        view! {
            <label class="adm-check">
                <input
                    type="checkbox"
                    prop:checked=move || get(prefs.get())
                    on:change=move |ev| save(set(prefs.get_untracked(), event_target_checked(&ev)))
                />
                {label}
            </label>
        }
    };
    let status = move || match permission.get() {
        notify::Permission::Granted => t().notify_on,
        notify::Permission::Denied => t().notify_blocked,
        notify::Permission::Ask => t().notify_off,
        notify::Permission::Unsupported => t().notify_unsupported,
    };
    view! {
        <fieldset class="adm-fieldset adm-notify">
            <legend>{move || t().notify_title}</legend>
            <p class="adm-hint">{move || t().notify_intro}</p>
            <p role="status">{status}</p>
            <Show when=move || permission.get() == notify::Permission::Ask>
                <div class="adm-actions">
                    <button type="button" class="btn" on:click=ask>{move || t().notify_allow}</button>
                </div>
            </Show>
            {check(move || t().notify_new_chats, |p| p.new_chats, |p, on| notify::Prefs { new_chats: on, ..p })}
            {check(move || t().notify_messages, |p| p.messages, |p, on| notify::Prefs { messages: on, ..p })}
            <Show when=move || push_on.get().is_some()>
                <label class="adm-check">
                    <input
                        type="checkbox"
                        class="push-closed"
                        prop:checked=move || push_on.get() == Some(true)
                        on:change=move |ev| set_push(event_target_checked(&ev))
                    />
                    {move || t().notify_closed}
                </label>
            </Show>
            <Show when=move || push_error.get()>
                <p class="error" role="alert">{move || t().notify_closed_failed}</p>
            </Show>
        </fieldset>
    }
}

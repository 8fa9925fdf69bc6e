//! Channels: each with its greeting, accent, default language, launcher position, greetings
//! per language and the website hostnames its widget answers on, and the snippet to paste.
//! Admins create and edit them.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::form::load_into;
use leptos::task::spawn_local;
use parley_protocol::admin::{
    split_list, ChannelView, CreateChannelRequest, FieldError, UpdateChannelRequest, DEFAULT_ACCENT,
};
use parley_protocol::i18n::{Lang, LANGS};
use parley_protocol::invites::Greeting;
use parley_protocol::outcomes::FormField;

use crate::admin::is_admin;
use crate::admin_api;
use crate::form::{http_field_error, Choice, Field, FormError, Notice};
use crate::i18n::{fill, t, Texts};

const FIELDS: &[&str] = &["name", "greeting", "accent", "hosts", "time_zone", "prechat", "greetings"];

fn positions(t: &'static Texts) -> Vec<(&'static str, &'static str)> {
    vec![("right", t.pos_right), ("left", t.pos_left)]
}

/// The label of a language's greeting field: `Greeting in Deutsch`.
fn greeting_label(t: &Texts, l: Lang) -> String {
    fill(t.greeting_in, &[("language", l.name())])
}

/// The greetings per language the form sends: every language but the default one (whose
/// greeting is the Greeting field) with a text.
fn greetings_to_send(language: &str, texts: &[(Lang, String)]) -> Vec<Greeting> {
    texts
        .iter()
        .filter(|(l, t)| l.code() != language && !t.trim().is_empty())
        .map(|(l, t)| Greeting { language: l.code().to_owned(), text: t.clone() })
        .collect()
}

/// The default language changes from `old` to `new`: the Greeting's text becomes `old`'s
/// greeting, and `new`'s greeting (when it has one) becomes the Greeting. Answers the new
/// Greeting and `(language, text)` of the fields to change.
fn switch_language(greeting: &str, old: &str, new: &str, texts: &[(Lang, String)]) -> (String, Vec<(Lang, String)>) {
    let text_of = |code: &str| texts.iter().find(|(l, _)| l.code() == code).map(|(_, t)| t.clone()).unwrap_or_default();
    let mut changes = Vec::new();
    if let Some(old_lang) = Lang::of(old).filter(|l| l.code() == old) {
        changes.push((old_lang, greeting.to_owned()));
    }
    let wanted = text_of(new);
    if wanted.trim().is_empty() {
        return (greeting.to_owned(), changes);
    }
    if let Some(new_lang) = Lang::of(new) {
        changes.push((new_lang, String::new()));
    }
    (wanted, changes)
}

/// One field of the pre-chat form editor.
#[derive(Clone, Copy)]
struct PrechatRow {
    key: u32,
    field_key: RwSignal<String>,
    label: RwSignal<String>,
    required: RwSignal<bool>,
}

#[component]
pub fn Channels() -> impl IntoView {
    let admin = is_admin();
    let list = RwSignal::new(None::<Vec<ChannelView>>);
    let load_error = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<ChannelView>);
    let note = RwSignal::new(None::<String>);
    let reload = move || load_into(list, load_error, admin_api::channels());
    reload();
    let origin = parley_client::window().location().origin().unwrap_or_default();

    let items = move || {
        let origin = origin.clone();
        let t = t();
        list.get()
            .unwrap_or_default()
            .into_iter()
            .map(move |c| {
                let snippet = format!("<script src=\"{origin}/widget.js\" data-channel=\"{}\" async></script>", c.id);
                let edit_label = fill(t.edit_channel, &[("name", &c.name)]);
                let edit_c = c.clone();
                view! {
                    <li class="adm-card adm-channel">
                        <div class="adm-head">
                            <h3>
                                <span class="adm-swatch" style=format!("background:{}", c.accent) aria-hidden="true"></span>
                                {c.name.clone()}
                            </h3>
                            {admin
                                .then(|| {
                                    view! {
                                        <button
                                            type="button"
                                            class="btn btn-ghost adm-small"
                                            aria-label=edit_label
                                            on:click=move |_| editing.set(Some(edit_c.clone()))
                                        >
                                            {t.edit}
                                        </button>
                                    }
                                })}
                        </div>
                        <p class="muted">{t.greeting_colon} {c.greeting.clone()}</p>
                        <p class="muted">{t.time_zone_colon} {c.time_zone.clone()}</p>
                        <p class="muted adm-channel-look">
                            {t.default_language_colon}
                            {Lang::of(&c.language).map_or_else(|| c.language.clone(), |l| l.name().to_owned())}
                            {t.launcher_colon}
                            {if c.position == "left" { t.launcher_left } else { t.launcher_right }}
                        </p>
                        {(!c.prechat.is_empty())
                            .then(|| {
                                let fields = c
                                    .prechat
                                    .iter()
                                    .map(|f| {
                                        if f.required {
                                            fill(t.field_required, &[("label", &f.label)])
                                        } else {
                                            f.label.clone()
                                        }
                                    })
                                    .collect::<Vec<_>>()
                                    .join(", ");
                                view! { <p class="muted adm-prechat-summary">{t.prechat_form_colon} {fields}</p> }
                            })}
                        <p>{t.websites_colon} <span class="adm-hosts">{c.hosts.join(", ")}</span></p>
                        <p class="muted">{t.snippet_colon}</p>
                        <code class="adm-snippet">{snippet}</code>
                    </li>
                }
            })
            .collect_view()
    };

    view! {
        <section class="adm-section" aria-labelledby="adm-channels-title">
            <h2 id="adm-channels-title">{move || t().channels}</h2>
            <p class="muted">{move || t().channels_intro}</p>
            {move || load_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Notice note />
            <ul class="adm-channel-list" aria-label=move || t().channels>
                {items}
            </ul>
            {move || {
                editing
                    .get()
                    .map(|c| {
                        view! {
                            <ChannelForm
                                existing=Some(c)
                                on_done=Callback::new(move |msg: Option<String>| {
                                    editing.set(None);
                                    if let Some(msg) = msg {
                                        note.set(Some(msg));
                                    }
                                    // Also after Cancel: a rotated identity secret is already saved.
                                    reload();
                                })
                            />
                        }
                    })
            }}
            {admin
                .then(|| {
                    view! {
                        <ChannelForm
                            existing=None
                            on_done=Callback::new(move |msg: Option<String>| {
                                if let Some(msg) = msg {
                                    note.set(Some(msg));
                                    reload();
                                }
                            })
                        />
                    }
                })}
        </section>
    }
}

/// The browser's own time zone (a new channel's default), else UTC.
fn browser_time_zone() -> String {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| parley_protocol::admin::DEFAULT_TIME_ZONE.to_owned())
}

/// Create (no `existing`) or edit a channel.
#[component]
fn ChannelForm(existing: Option<ChannelView>, on_done: Callback<Option<String>>) -> impl IntoView {
    let editing = existing.is_some();
    let prefix = if editing { "adm-edit-ch" } else { "adm-new-ch" };
    let name = RwSignal::new(existing.as_ref().map(|c| c.name.clone()).unwrap_or_default());
    let greeting = RwSignal::new(existing.as_ref().map(|c| c.greeting.clone()).unwrap_or_default());
    let accent = RwSignal::new(existing.as_ref().map_or_else(|| DEFAULT_ACCENT.to_owned(), |c| c.accent.clone()));
    let hosts = RwSignal::new(existing.as_ref().map(|c| c.hosts.join("\n")).unwrap_or_default());
    let time_zone = RwSignal::new(existing.as_ref().map_or_else(browser_time_zone, |c| c.time_zone.clone()));
    let language = RwSignal::new(
        existing
            .as_ref()
            .map_or_else(|| parley_protocol::admin::DEFAULT_CHANNEL_LANGUAGE.to_owned(), |c| c.language.clone()),
    );
    let position = RwSignal::new(
        existing.as_ref().map_or_else(|| parley_protocol::admin::DEFAULT_POSITION.to_owned(), |c| c.position.clone()),
    );
    // One text per language (LANGS order); the default language's is the Greeting field.
    let per_lang: Vec<(Lang, RwSignal<String>)> = LANGS
        .into_iter()
        .map(|l| {
            let text = existing
                .as_ref()
                .and_then(|c| c.greetings.iter().find(|g| g.language == l.code()))
                .map(|g| g.text.clone())
                .unwrap_or_default();
            (l, RwSignal::new(text))
        })
        .collect();
    let per_lang = StoredValue::new(per_lang);
    let texts_now = move || per_lang.with_value(|v| v.iter().map(|(l, s)| (*l, s.get_untracked())).collect::<Vec<_>>());
    let change_language = move |new: String| {
        let old = language.get_untracked();
        if new == old {
            return;
        }
        let (g, changes) = switch_language(&greeting.get_untracked(), &old, &new, &texts_now());
        per_lang.with_value(|v| {
            for (lang, text) in changes {
                if let Some((_, sig)) = v.iter().find(|(l, _)| *l == lang) {
                    sig.set(text);
                }
            }
        });
        greeting.set(g);
        language.set(new);
    };
    let next_key = StoredValue::new(0u32);
    let new_row = move |f: &FormField| {
        next_key.update_value(|k| *k += 1);
        PrechatRow {
            key: next_key.get_value(),
            field_key: RwSignal::new(f.key.clone()),
            label: RwSignal::new(f.label.clone()),
            required: RwSignal::new(f.required),
        }
    };
    let prechat =
        RwSignal::new(existing.as_ref().map(|c| c.prechat.iter().map(new_row).collect::<Vec<_>>()).unwrap_or_default());
    let secret = RwSignal::new(existing.as_ref().and_then(|c| c.identity_secret.clone()));
    let confirm_rotate = RwSignal::new(false);
    let secret_note = RwSignal::new(None::<String>);
    let err = RwSignal::new(None::<FieldError>);
    let busy = RwSignal::new(false);
    let title_id = format!("{prefix}-title");
    let labelled_by = title_id.clone();
    let title = {
        let name = existing.as_ref().map(|c| c.name.clone());
        move || match &name {
            Some(n) => fill(t().edit_channel, &[("name", n)]),
            None => t().add_channel.to_owned(),
        }
    };
    let existing = StoredValue::new(existing);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let create = CreateChannelRequest {
            name: name.get_untracked(),
            greeting: Some(greeting.get_untracked()),
            accent: Some(accent.get_untracked()),
            hosts: split_list(&hosts.get_untracked()),
            time_zone: Some(time_zone.get_untracked()),
            prechat: prechat
                .get_untracked()
                .iter()
                .map(|r| FormField {
                    key: r.field_key.get_untracked(),
                    label: r.label.get_untracked(),
                    required: r.required.get_untracked(),
                })
                .collect(),
            language: Some(language.get_untracked()),
            position: Some(position.get_untracked()),
            greetings: greetings_to_send(&language.get_untracked(), &texts_now()),
        };
        if let Err(e) = create.validate() {
            return err.set(Some(e));
        }
        err.set(None);
        busy.set(true);
        let target = existing.get_value().map(|c| c.id);
        spawn_local(async move {
            let result = match &target {
                None => admin_api::create_channel(&create).await,
                Some(id) => {
                    let upd = UpdateChannelRequest {
                        name: Some(create.name.clone()),
                        greeting: create.greeting.clone(),
                        accent: create.accent.clone(),
                        hosts: Some(create.hosts.clone()),
                        time_zone: create.time_zone.clone(),
                        prechat: Some(create.prechat.clone()),
                        language: create.language.clone(),
                        position: create.position.clone(),
                        greetings: Some(create.greetings.clone()),
                    };
                    admin_api::update_channel(id, &upd).await
                }
            };
            match result {
                Ok(c) => {
                    if target.is_none() {
                        for s in [name, greeting, hosts] {
                            s.try_set(String::new());
                        }
                        per_lang.with_value(|v| {
                            for (_, s) in v {
                                s.try_set(String::new());
                            }
                        });
                    }
                    let done = if target.is_some() { t().channel_saved } else { t().channel_created };
                    on_done.run(Some(fill(done, &[("name", &c.name)])));
                }
                Err(e) => {
                    err.try_set(Some(http_field_error(&e)));
                }
            }
            busy.try_set(false);
        });
    };

    view! {
        <form class="adm-form adm-card" on:submit=submit aria-labelledby=labelled_by novalidate>
            <h3 id=title_id>{title}</h3>
            <div class="adm-grid">
                <Field id=format!("{prefix}-name") label=move || t().channel_name field="name" value=name err autocomplete="off" />
                <Field id=format!("{prefix}-accent") label=move || t().accent_colour field="accent" value=accent err kind="color" />
                <Field
                    id=format!("{prefix}-greeting")
                    label=move || t().greeting
                    field="greeting"
                    value=greeting
                    err
                    multiline=true
                    hint=move || t().greeting_hint
                />
                <LanguageSelect id=format!("{prefix}-language") value=language on_change=Callback::new(change_language) />
                <Choice id=format!("{prefix}-position") label=move || t().launcher_position value=position options=positions />
                <Field
                    id=format!("{prefix}-hosts")
                    label=move || t().website_hostnames
                    field="hosts"
                    value=hosts
                    err
                    multiline=true
                    hint=move || t().hosts_hint
                />
                <Field
                    id=format!("{prefix}-time-zone")
                    label=move || t().time_zone
                    field="time_zone"
                    value=time_zone
                    err
                    autocomplete="off"
                    hint=move || t().channel_tz_hint
                />
            </div>
            <GreetingsEditor prefix language per_lang err />
            <PrechatEditor prefix rows=prechat err add=Callback::new(move |()| {
                prechat.update(|v| v.push(new_row(&FormField { key: String::new(), label: String::new(), required: false })))
            }) />
            {move || {
                secret
                    .get()
                    .map(|s| {
                        let id = existing.get_value().map(|c| c.id).unwrap_or_default();
                        view! { <IdentitySecret prefix id secret=s confirm=confirm_rotate note=secret_note on_rotated=Callback::new(move |s: String| secret.set(Some(s))) /> }
                    })
            }}
            {existing
                .get_value()
                .map(|c| view! { <ChannelMailSettings prefix id=c.id /> })}
            <FormError err fields=FIELDS />
            <div class="adm-actions">
                <button type="submit" class="btn btn-primary" aria-busy=move || busy.get().to_string()>
                    {move || if editing { t().save_channel } else { t().create_channel }}
                </button>
                {editing
                    .then(|| {
                        view! {
                            <button type="button" class="btn btn-ghost" on:click=move |_| on_done.run(None)>
                                {move || t().cancel}
                            </button>
                        }
                    })}
            </div>
        </form>
    }
}

/// "Default language": a select of the widget's languages by their own names.
#[component]
fn LanguageSelect(id: String, value: RwSignal<String>, on_change: Callback<String>) -> impl IntoView {
    view! {
        <div class="field adm-field">
            <label for=id.clone()>{move || t().default_language}</label>
            <select id=id prop:value=move || value.get() on:change=move |ev| on_change.run(event_target_value(&ev))>
                {LANGS
                    .into_iter()
                    .map(|l| {
                        view! {
                            <option value=l.code() lang=l.code() selected=move || value.get() == l.code()>
                                {l.name()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

/// "Greeting per language": one text box per language but the default one (whose greeting is
/// the Greeting field); empty = not given.
#[component]
fn GreetingsEditor(
    prefix: &'static str,
    language: RwSignal<String>,
    per_lang: StoredValue<Vec<(Lang, RwSignal<String>)>>,
    err: RwSignal<Option<FieldError>>,
) -> impl IntoView {
    let err_id = format!("{prefix}-greetings-error");
    let hint_id = format!("{prefix}-greetings-hint");
    let described = {
        let (err_id, hint_id) = (err_id.clone(), hint_id.clone());
        move || {
            let bad = err.with(|e| e.as_ref().is_some_and(|e| e.field == "greetings"));
            if bad {
                format!("{hint_id} {err_id}")
            } else {
                hint_id.clone()
            }
        }
    };
    let fields = move || {
        let default = language.get();
        let t = t();
        per_lang.with_value(|v| {
            v.iter()
                .filter(|(l, _)| l.code() != default)
                .map(|(l, text)| {
                    let id = format!("{prefix}-greeting-{}", l.code());
                    let text = *text;
                    view! {
                        <div class="field adm-field">
                            <label for=id.clone()>{greeting_label(t, *l)}</label>
                            <textarea
                                id=id
                                rows="2"
                                lang=l.code()
                                prop:value=move || text.get()
                                on:input=move |ev| text.set(event_target_value(&ev))
                            ></textarea>
                        </div>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <fieldset class="adm-fieldset adm-greetings" aria-describedby=described>
            <legend>{move || t().greeting_per_language}</legend>
            <p class="adm-hint" id=hint_id>
                {move || t().greeting_per_language_hint}
            </p>
            <div class="adm-grid">{fields}</div>
            {move || {
                err.get()
                    .filter(|e| e.field == "greetings")
                    .map(|e| view! { <p class="adm-field-error" id=err_id.clone() role="alert">{e.message}</p> })
            }}
        </fieldset>
    }
}

/// The channel's pre-chat form: fields (label, key, "Required") added and removed here and
/// saved with the channel.
#[component]
fn PrechatEditor(
    prefix: &'static str,
    rows: RwSignal<Vec<PrechatRow>>,
    err: RwSignal<Option<FieldError>>,
    add: Callback<()>,
) -> impl IntoView {
    let err_id = format!("{prefix}-prechat-error");
    let described = {
        let err_id = err_id.clone();
        move || err.with(|e| e.as_ref().is_some_and(|e| e.field == "prechat")).then(|| err_id.clone())
    };
    let n_of = move |key: u32| rows.with(|v| v.iter().position(|x| x.key == key).map_or(0, |i| i + 1));
    view! {
        <fieldset class="adm-fieldset adm-prechat" aria-describedby=described>
            <legend>{move || t().prechat_form}</legend>
            <p class="adm-hint">{move || t().prechat_hint}</p>
            <ul class="adm-oc-list">
                <For
                    each=move || rows.get()
                    key=|r| r.key
                    children=move |r: PrechatRow| {
                        let n = move || n_of(r.key);
                        view! {
                            <li class="adm-cond adm-prechat-field" role="group" aria-label=move || fill(t().prechat_field_n, &[("n", &n().to_string())])>
                                <input
                                    type="text"
                                    class="adm-prechat-label"
                                    placeholder=move || t().your_name_placeholder
                                    aria-label=move || fill(t().prechat_field_label, &[("n", &n().to_string())])
                                    prop:value=move || r.label.get()
                                    on:input=move |ev| r.label.set(event_target_value(&ev))
                                />
                                <input
                                    type="text"
                                    class="adm-prechat-key"
                                    placeholder="name"
                                    spellcheck="false"
                                    autocomplete="off"
                                    aria-label=move || fill(t().prechat_field_key, &[("n", &n().to_string())])
                                    prop:value=move || r.field_key.get()
                                    on:input=move |ev| r.field_key.set(event_target_value(&ev))
                                />
                                <label class="adm-check">
                                    <input
                                        type="checkbox"
                                        aria-label=move || fill(t().prechat_field_required, &[("n", &n().to_string())])
                                        prop:checked=move || r.required.get()
                                        on:change=move |ev| r.required.set(event_target_checked(&ev))
                                    />
                                    {move || t().required}
                                </label>
                                <button
                                    type="button"
                                    class="btn btn-ghost adm-small"
                                    aria-label=move || fill(t().remove_prechat_field, &[("n", &n().to_string())])
                                    on:click=move |_| rows.update(|v| v.retain(|x| x.key != r.key))
                                >
                                    {move || t().remove}
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
            {move || {
                err.get()
                    .filter(|e| e.field == "prechat")
                    .map(|e| view! { <p class="adm-field-error" id=err_id.clone() role="alert">{e.message}</p> })
            }}
            <button type="button" class="btn btn-ghost" on:click=move |_| add.run(())>
                {move || t().add_prechat_field}
            </button>
        </fieldset>
    }
}

/// The channel's identity secret (admins): read-only, with "Rotate secret" (asks once more:
/// hashes made with the old secret stop working at once).
#[component]
fn IdentitySecret(
    prefix: &'static str,
    id: String,
    secret: String,
    confirm: RwSignal<bool>,
    note: RwSignal<Option<String>>,
    on_rotated: Callback<String>,
) -> impl IntoView {
    let input_id = format!("{prefix}-identity-secret");
    let hint_id = format!("{prefix}-identity-secret-hint");
    let busy = RwSignal::new(false);
    let id = StoredValue::new(id);
    let rotate = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let id = id.get_value();
        spawn_local(async move {
            match admin_api::rotate_identity_secret(&id).await {
                Ok(c) => {
                    confirm.try_set(false);
                    note.try_set(Some(t().secret_saved.into()));
                    if let Some(s) = c.identity_secret {
                        on_rotated.run(s);
                    }
                }
                Err(e) => {
                    note.try_set(Some(crate::api::describe(&e)));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <fieldset class="adm-fieldset adm-identity">
            <legend>{move || t().visitor_identity}</legend>
            <div class="field adm-field">
                <label for=input_id.clone()>{move || t().identity_secret}</label>
                <input id=input_id type="text" readonly spellcheck="false" class="adm-secret" aria-describedby=hint_id.clone() prop:value=secret />
                <p class="adm-hint" id=hint_id>
                    {move || t().identity_hint}
                </p>
            </div>
            <p class="adm-notice" role="status">{move || note.get()}</p>
            <div class="adm-actions">
                {move || {
                    if confirm.get() {
                        view! {
                            <span class="adm-confirm">{t().rotate_confirm}</span>
                            <button type="button" class="btn btn-primary" aria-busy=move || busy.get().to_string() on:click=rotate>
                                {t().yes_rotate}
                            </button>
                            <button type="button" class="btn btn-ghost" on:click=move |_| confirm.set(false)>
                                {t().cancel}
                            </button>
                        }
                            .into_any()
                    } else {
                        view! {
                            <button type="button" class="btn btn-ghost" on:click=move |_| confirm.set(true)>
                                {t().rotate_secret}
                            </button>
                        }
                            .into_any()
                    }
                }}
            </div>
        </fieldset>
    }
}

/// The channel's mail settings (issue 20): notification addresses (one a line), the wait before
/// a missed-chat mail, the sender name; saved on their own.
#[component]
fn ChannelMailSettings(prefix: &'static str, id: String) -> impl IntoView {
    let addresses = RwSignal::new(String::new());
    let wait = RwSignal::new(parley_protocol::limits::MISSED_CHAT_WAIT_MINUTES.to_string());
    let sender = RwSignal::new(String::new());
    let note = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // The fields take input once the stored settings are in (else the load would overwrite it).
    let loaded = RwSignal::new(false);
    let id = StoredValue::new(id);
    spawn_local(async move {
        match admin_api::channel_mail(&id.get_value()).await {
            Ok(m) => {
                addresses.try_set(m.addresses.join("\n"));
                wait.try_set(m.missed_wait_minutes.to_string());
                sender.try_set(m.sender_name);
            }
            Err(e) => {
                note.try_set(Some(crate::api::describe(&e)));
            }
        }
        loaded.try_set(true);
    });
    let save = move |_: leptos::ev::MouseEvent| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let body = parley_protocol::admin::ChannelMail {
            addresses: addresses
                .get_untracked()
                .lines()
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect(),
            missed_wait_minutes: wait.get_untracked().trim().parse().unwrap_or(0),
            sender_name: sender.get_untracked(),
        };
        spawn_local(async move {
            match admin_api::save_channel_mail(&id.get_value(), &body).await {
                Ok(m) => {
                    addresses.try_set(m.addresses.join("\n"));
                    note.try_set(Some(t().mail_saved.into()));
                }
                Err(e) => {
                    note.try_set(Some(crate::api::describe(&e)));
                }
            }
            busy.try_set(false);
        });
    };
    let addresses_id = format!("{prefix}-mail-addresses");
    let hint_id = format!("{prefix}-mail-addresses-hint");
    let wait_id = format!("{prefix}-mail-wait");
    let sender_id = format!("{prefix}-mail-sender");
    view! {
        <fieldset class="adm-fieldset adm-mail">
            <legend>{move || t().mail_settings}</legend>
            <div class="field adm-field">
                <label for=addresses_id.clone()>{move || t().mail_addresses}</label>
                <textarea id=addresses_id rows="3" spellcheck="false" prop:disabled=move || !loaded.get() aria-describedby=hint_id.clone() prop:value=move || addresses.get() on:input=move |ev| addresses.set(event_target_value(&ev))></textarea>
                <p class="adm-hint" id=hint_id>{move || t().mail_addresses_hint}</p>
            </div>
            <div class="field adm-field">
                <label for=wait_id.clone()>{move || t().mail_missed_wait}</label>
                <input id=wait_id type="number" min="1" max="1440" prop:disabled=move || !loaded.get() prop:value=move || wait.get() on:input=move |ev| wait.set(event_target_value(&ev)) />
            </div>
            <div class="field adm-field">
                <label for=sender_id.clone()>{move || t().mail_sender_name}</label>
                <input id=sender_id type="text" autocomplete="off" prop:disabled=move || !loaded.get() prop:value=move || sender.get() on:input=move |ev| sender.set(event_target_value(&ev)) />
            </div>
            <p class="adm-notice" role="status">{move || note.get()}</p>
            <div class="adm-actions">
                <button type="button" class="btn btn-ghost" prop:disabled=move || !loaded.get() aria-busy=move || busy.get().to_string() on:click=save>
                    {move || t().save_mail}
                </button>
            </div>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(pairs: &[(Lang, &str)]) -> Vec<(Lang, String)> {
        LANGS
            .into_iter()
            .map(|l| (l, pairs.iter().find(|(x, _)| *x == l).map_or(String::new(), |(_, t)| (*t).to_owned())))
            .collect()
    }

    #[test]
    fn greeting_labels_follow_the_languages() {
        for l in LANGS {
            assert_eq!(greeting_label(&crate::i18n::EN, l), format!("Greeting in {}", l.name()));
        }
        assert_eq!(greeting_label(crate::i18n::texts_of(Lang::De), Lang::Ru), "Begrüßung auf Русский");
    }

    #[test]
    fn the_default_language_greeting_is_the_greeting_field() {
        let t = texts(&[(Lang::En, "Hello"), (Lang::De, "Hallo"), (Lang::Fr, " ")]);
        let sent = greetings_to_send("en", &t);
        assert_eq!(sent, vec![Greeting { language: "de".into(), text: "Hallo".into() }]);
        assert_eq!(greetings_to_send("de", &t), vec![Greeting { language: "en".into(), text: "Hello".into() }]);
    }

    #[test]
    fn switching_the_default_language_swaps_the_greetings() {
        let t = texts(&[(Lang::De, "Hallo")]);
        let (g, changes) = switch_language("Hi!", "en", "de", &t);
        assert_eq!(g, "Hallo");
        assert_eq!(changes, vec![(Lang::En, "Hi!".to_owned()), (Lang::De, String::new())]);
        // No greeting in the new language yet: the Greeting stays (and is kept as the old one's).
        let (g, changes) = switch_language("Hi!", "en", "vi", &t);
        assert_eq!(g, "Hi!");
        assert_eq!(changes, vec![(Lang::En, "Hi!".to_owned())]);
    }
}

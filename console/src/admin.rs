//! The admin area: My settings, Operators (admins), Channels, Canned responses and Offline
//! messages, as tabs. `app.rs` shows [`AdminArea`] in place of the workspace.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::form::load_into;
use leptos::task::spawn_local;
use parley_protocol::admin::{CreateOperatorRequest, FieldError, OperatorView, Profile, Role, UpdateOperatorRequest};

use crate::admin_api;
use crate::api::Operator;
use crate::blocks::Blocks;
use crate::canned::CannedResponses;
use crate::channels::Channels;
use crate::entry_points::EntryPoints;
use crate::form::{
    http_field_error, language_list, parse_max_chats, split_languages, Choice, DataTable, Field, FormError, Notice,
};
use crate::i18n::{fill, t, Texts};
use crate::offline::OfflineMessages;
use crate::outcome_settings::OutcomeSettingsAdmin;
use crate::settings::MySettings;
use crate::state::{Auth, Ctx};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Page {
    Settings,
    Operators,
    Channels,
    EntryPoints,
    Canned,
    Offline,
    Blocks,
    Outcomes,
    Account,
}

impl crate::form::TabKind for Page {
    fn label(self) -> &'static str {
        match self {
            Page::Settings => t().my_settings,
            Page::Operators => t().operators,
            Page::Channels => t().channels,
            Page::EntryPoints => t().entry_points,
            Page::Canned => t().canned_responses,
            Page::Offline => t().offline_messages,
            Page::Blocks => t().blocks,
            Page::Outcomes => t().outcomes,
            Page::Account => t().account,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Page::Settings => "settings",
            Page::Operators => "operators",
            Page::Channels => "channels",
            Page::EntryPoints => "entry-points",
            Page::Canned => "canned",
            Page::Offline => "offline",
            Page::Blocks => "blocks",
            Page::Outcomes => "outcomes",
            Page::Account => "account",
        }
    }
}

/// The logged-in operator, if any (not reactive).
pub fn me() -> Option<Operator> {
    expect_context::<Ctx>().auth.with_untracked(|a| match a {
        Auth::LoggedIn(op) => Some(op.clone()),
        _ => None,
    })
}

pub fn is_admin() -> bool {
    me().is_some_and(|op| op.role == Role::Admin)
}

/// Tabs of the admin area; "Operators", "Entry points", "Blocks", "Outcomes" and "Account" only
/// for admins.
#[component]
pub fn AdminArea() -> impl IntoView {
    let admin = is_admin();
    let pages: Vec<Page> = [
        Page::Settings,
        Page::Operators,
        Page::Channels,
        Page::EntryPoints,
        Page::Canned,
        Page::Offline,
        Page::Blocks,
        Page::Outcomes,
        Page::Account,
    ]
    .into_iter()
    .filter(|p| {
        admin || !matches!(p, Page::Operators | Page::EntryPoints | Page::Blocks | Page::Outcomes | Page::Account)
    })
    .collect();
    let current = RwSignal::new(Page::Settings);
    let panel = |p: Page| match p {
        Page::Settings => view! { <MySettings /> }.into_any(),
        Page::Operators => view! { <Operators /> }.into_any(),
        Page::Channels => view! { <Channels /> }.into_any(),
        Page::EntryPoints => view! { <EntryPoints /> }.into_any(),
        Page::Canned => view! { <CannedResponses /> }.into_any(),
        Page::Offline => view! { <OfflineMessages /> }.into_any(),
        Page::Blocks => view! { <Blocks /> }.into_any(),
        Page::Outcomes => view! { <OutcomeSettingsAdmin /> }.into_any(),
        Page::Account => view! { <crate::account::AccountSettings /> }.into_any(),
    };
    view! {
        <section class="adm" aria-label=move || t().admin>
            {crate::form::tabbed("adm", |t| t.admin_sections, pages, current, |_| {}, panel)}
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// Operators

fn roles(t: &'static Texts) -> Vec<(&'static str, &'static str)> {
    vec![("operator", t.role_operator), ("admin", t.role_admin)]
}

fn profile_of(o: &OperatorView) -> Profile {
    Profile {
        first_name: o.first_name.clone(),
        last_name: o.last_name.clone(),
        email: o.email.clone(),
        chat_name: o.chat_name.clone(),
        role: o.role,
        languages: o.languages.clone(),
        max_chats: o.max_chats,
        disabled: o.disabled,
    }
}

fn full_name(o: &OperatorView) -> String {
    format!("{} {}", o.first_name, o.last_name).trim().to_owned()
}

/// Operators of the account: a table, a form to add one and a form to edit one.
#[component]
fn Operators() -> impl IntoView {
    let list = RwSignal::new(None::<Vec<OperatorView>>);
    let load_error = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<OperatorView>);
    let row_error = RwSignal::new(None::<FieldError>);
    let note = RwSignal::new(None::<String>);
    let me_id = me().map(|m| m.id.0).unwrap_or_default();

    let reload = move || load_into(list, load_error, admin_api::operators());
    reload();

    let set_disabled = move |o: OperatorView, disabled: bool| {
        row_error.set(None);
        note.set(None);
        spawn_local(async move {
            let body = UpdateOperatorRequest { disabled: Some(disabled), ..Default::default() };
            match admin_api::update_operator(&o.id, &body).await {
                Ok(v) => {
                    let what = if disabled { t().op_disabled_note } else { t().op_enabled_note };
                    note.try_set(Some(fill(what, &[("name", &v.username)])));
                    reload();
                }
                Err(e) => {
                    row_error.try_set(Some(http_field_error(&e)));
                }
            }
        });
    };

    let rows =
        move || {
            let me_id = me_id.clone();
            let t = t();
            list.get().unwrap_or_default().into_iter().map(move |o| {
            let is_me = o.id == me_id;
            let (edit_o, toggle_o) = (o.clone(), o.clone());
            let disabled = o.disabled;
            let toggle_label =
                fill(if disabled { t.enable_named } else { t.disable_named }, &[("name", &o.username)]);
            let edit_label = fill(t.edit_named, &[("name", &o.username)]);
            let status = if disabled { t.status_disabled } else { t.status_enabled };
            view! {
                <tr class:adm-disabled=disabled>
                    <td>
                        <span class="adm-username">{o.username.clone()}</span>
                        {is_me.then(|| view! { <span class="muted">{t.you_paren}</span> })}
                    </td>
                    <td>{full_name(&o)}</td>
                    <td>{o.chat_name.clone()}</td>
                    <td>{o.email.clone()}</td>
                    <td>{if o.role == Role::Admin { t.role_admin } else { t.role_operator }}</td>
                    <td>{o.languages.join(", ")}</td>
                    <td class="adm-num">{o.max_chats}</td>
                    <td>
                        <span class=if disabled { "pill pill-closed" } else { "pill pill-active" }>{status}</span>
                    </td>
                    <td class="adm-row-actions">
                        <button
                            type="button"
                            class="btn btn-ghost adm-small"
                            aria-label=edit_label
                            on:click=move |_| {
                                note.set(None);
                                editing.set(Some(edit_o.clone()));
                            }
                        >
                            {t.edit}
                        </button>
                        {(!is_me)
                            .then(|| {
                                view! {
                                    <button
                                        type="button"
                                        class="btn btn-ghost adm-small"
                                        aria-label=toggle_label
                                        on:click=move |_| set_disabled(toggle_o.clone(), !disabled)
                                    >
                                        {if disabled { t.enable } else { t.disable }}
                                    </button>
                                }
                            })}
                    </td>
                </tr>
            }
        }).collect_view()
        };

    view! {
        <section class="adm-section" aria-labelledby="adm-ops-title">
            <h2 id="adm-ops-title">{move || t().operators}</h2>
            <p class="muted">{move || t().operators_intro}</p>
            {move || load_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <FormError err=row_error fields=&[] />
            <Notice note />
            <DataTable
                labelledby="adm-ops-title"
                headers=|t| {
                    vec![t.username, t.name, t.chat_name, t.email, t.role, t.languages, t.max_chats_short, t.status, ""]
                }
            >
                {rows}
            </DataTable>
            {move || {
                editing
                    .get()
                    .map(|o| {
                        view! {
                            <EditOperator
                                o
                                on_done=Callback::new(move |msg: Option<String>| {
                                    editing.set(None);
                                    if let Some(msg) = msg {
                                        note.set(Some(msg));
                                        reload();
                                    }
                                })
                            />
                        }
                    })
            }}
            <NewOperator on_created=Callback::new(move |msg: String| {
                note.set(Some(msg));
                reload();
            }) />
            <crate::accounts::InviteOperator on_invited=Callback::new(move |msg: String| {
                note.set(Some(msg));
                reload();
            }) />
        </section>
    }
}

const NEW_FIELDS: &[&str] =
    &["username", "first_name", "last_name", "email", "password", "chat_name", "languages", "max_chats"];

#[component]
fn NewOperator(on_created: Callback<String>) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let first = RwSignal::new(String::new());
    let last = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let chat_name = RwSignal::new(String::new());
    let role = RwSignal::new("operator".to_owned());
    let main_lang = RwSignal::new("en".to_owned());
    let extra_langs = RwSignal::new(String::new());
    let max_chats = RwSignal::new("4".to_owned());
    let err = RwSignal::new(None::<FieldError>);
    let busy = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let langs = language_list(&main_lang.get_untracked(), &extra_langs.get_untracked());
        let max = parse_max_chats(&max_chats.get_untracked());
        let body = CreateOperatorRequest {
            username: username.get_untracked(),
            first_name: first.get_untracked(),
            last_name: last.get_untracked(),
            email: email.get_untracked(),
            password: password.get_untracked(),
            chat_name: chat_name.get_untracked(),
            role: role.get_untracked(),
            // Placeholders while those two are wrong: they are reported below.
            languages: langs.clone().unwrap_or_else(|_| vec!["en".to_owned()]),
            max_chats: max.clone().unwrap_or(1),
        };
        // Same checks as the server, in form order, so the first wrong field speaks.
        let check = body.validate().map(|_| ()).and(langs.map(|_| ())).and(max.map(|_| ()));
        if let Err(e) = check {
            return err.set(Some(e));
        }
        err.set(None);
        busy.set(true);
        spawn_local(async move {
            match admin_api::create_operator(&body).await {
                Ok(o) => {
                    for s in [username, first, last, email, password, chat_name, extra_langs] {
                        s.try_set(String::new());
                    }
                    on_created.run(fill(t().operator_created, &[("name", &o.username)]));
                }
                Err(e) => {
                    err.try_set(Some(http_field_error(&e)));
                }
            }
            busy.try_set(false);
        });
    };

    view! {
        <form class="adm-form adm-card" on:submit=submit aria-labelledby="adm-new-op-title" novalidate>
            <h3 id="adm-new-op-title">{move || t().add_operator}</h3>
            <div class="adm-grid">
                <Field id="adm-new-username".into() label=move || t().username field="username" value=username err autocomplete="off" hint=move || t().username_hint />
                <Field id="adm-new-first".into() label=move || t().first_name field="first_name" value=first err autocomplete="off" />
                <Field id="adm-new-last".into() label=move || t().last_name field="last_name" value=last err autocomplete="off" />
                <Field id="adm-new-email".into() label=move || t().email field="email" value=email err kind="email" autocomplete="off" />
                <Field id="adm-new-password".into() label=move || t().password field="password" value=password err kind="password" autocomplete="new-password" hint=move || t().password_hint />
                <Field id="adm-new-chat-name".into() label=move || t().online_chat_name field="chat_name" value=chat_name err hint=move || t().chat_name_hint />
                <Choice id="adm-new-role".into() label=move || t().role value=role options=roles />
                <Field id="adm-new-main-lang".into() label=move || t().main_language field="languages" value=main_lang err />
                <Field id="adm-new-extra-langs".into() label=move || t().extra_languages field="" value=extra_langs err hint=move || t().separated_by_commas />
                <Field id="adm-new-max-chats".into() label=move || t().max_chats field="max_chats" value=max_chats err kind="number" />
            </div>
            <FormError err fields=NEW_FIELDS />
            <div class="adm-actions">
                <button type="submit" class="btn btn-primary" aria-busy=move || busy.get().to_string()>
                    {move || t().create_operator}
                </button>
            </div>
        </form>
    }
}

const EDIT_FIELDS: &[&str] = &["first_name", "last_name", "email", "password", "chat_name", "languages", "max_chats"];

#[component]
fn EditOperator(o: OperatorView, on_done: Callback<Option<String>>) -> impl IntoView {
    let is_self = me().is_some_and(|m| m.id == o.id.as_str());
    let current = profile_of(&o);
    let first = RwSignal::new(o.first_name.clone());
    let last = RwSignal::new(o.last_name.clone());
    let email = RwSignal::new(o.email.clone());
    let chat_name = RwSignal::new(o.chat_name.clone());
    let role = RwSignal::new(o.role.as_str().to_owned());
    let (main, extras) = split_languages(&o.languages);
    let main_lang = RwSignal::new(main);
    let extra_langs = RwSignal::new(extras);
    let max_chats = RwSignal::new(o.max_chats.to_string());
    let password = RwSignal::new(String::new());
    let err = RwSignal::new(None::<FieldError>);
    let busy = RwSignal::new(false);
    let id = o.id.clone();
    let title = {
        let name = o.username.clone();
        move || fill(t().edit_named, &[("name", &name)])
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let languages = match language_list(&main_lang.get_untracked(), &extra_langs.get_untracked()) {
            Ok(l) => l,
            Err(e) => return err.set(Some(e)),
        };
        let max = match parse_max_chats(&max_chats.get_untracked()) {
            Ok(m) => m,
            Err(e) => return err.set(Some(e)),
        };
        let pw = password.get_untracked();
        let body = UpdateOperatorRequest {
            first_name: Some(first.get_untracked()),
            last_name: Some(last.get_untracked()),
            email: Some(email.get_untracked()),
            chat_name: Some(chat_name.get_untracked()),
            role: Some(role.get_untracked()),
            languages: Some(languages),
            max_chats: Some(max),
            disabled: None,
            password: (!pw.is_empty()).then_some(pw),
        };
        if let Err(e) = body.apply(&current, is_self) {
            return err.set(Some(e));
        }
        err.set(None);
        busy.set(true);
        let id = id.clone();
        spawn_local(async move {
            match admin_api::update_operator(&id, &body).await {
                Ok(v) => on_done.run(Some(fill(t().changes_saved, &[("name", &v.username)]))),
                Err(e) => {
                    err.try_set(Some(http_field_error(&e)));
                    busy.try_set(false);
                }
            }
        });
    };

    view! {
        <form class="adm-form adm-card" on:submit=submit aria-labelledby="adm-edit-op-title" novalidate>
            <h3 id="adm-edit-op-title">{title}</h3>
            <div class="adm-grid">
                <Field id="adm-edit-first".into() label=move || t().first_name field="first_name" value=first err autocomplete="off" />
                <Field id="adm-edit-last".into() label=move || t().last_name field="last_name" value=last err autocomplete="off" />
                <Field id="adm-edit-email".into() label=move || t().email field="email" value=email err kind="email" autocomplete="off" />
                <Field id="adm-edit-chat-name".into() label=move || t().online_chat_name field="chat_name" value=chat_name err hint=move || t().chat_name_hint />
                <Choice id="adm-edit-role".into() label=move || t().role value=role options=roles />
                <Field id="adm-edit-main-lang".into() label=move || t().main_language field="languages" value=main_lang err />
                <Field id="adm-edit-extra-langs".into() label=move || t().extra_languages field="" value=extra_langs err hint=move || t().separated_by_commas />
                <Field id="adm-edit-max-chats".into() label=move || t().max_chats field="max_chats" value=max_chats err kind="number" />
                <Field id="adm-edit-password".into() label=move || t().new_password field="password" value=password err kind="password" autocomplete="new-password" hint=move || t().new_password_hint />
            </div>
            <FormError err fields=EDIT_FIELDS />
            <div class="adm-actions">
                <button type="submit" class="btn btn-primary" aria-busy=move || busy.get().to_string()>
                    {move || t().save_changes}
                </button>
                <button type="button" class="btn btn-ghost" on:click=move |_| on_done.run(None)>
                    {move || t().cancel}
                </button>
            </div>
        </form>
    }
}

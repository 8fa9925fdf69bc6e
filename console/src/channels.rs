//! Channels: each with its greeting, accent and the website hostnames its widget answers on,
//! and the snippet to paste. Admins create and edit them.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::form::load_into;
use leptos::task::spawn_local;
use parley_shared::admin::{
    split_list, ChannelView, CreateChannelRequest, FieldError, UpdateChannelRequest, DEFAULT_ACCENT,
};

use crate::admin::is_admin;
use crate::admin_api;
use crate::form::{http_field_error, Field, FormError, Notice};

const FIELDS: &[&str] = &["name", "greeting", "accent", "hosts", "time_zone"];

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
        list.get()
            .unwrap_or_default()
            .into_iter()
            .map(move |c| {
                let snippet = format!("<script src=\"{origin}/widget.js\" data-channel=\"{}\" async></script>", c.id);
                let edit_label = format!("Edit channel {}", c.name);
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
                                            "Edit"
                                        </button>
                                    }
                                })}
                        </div>
                        <p class="muted">"Greeting: " {c.greeting.clone()}</p>
                        <p class="muted">"Time zone: " {c.time_zone.clone()}</p>
                        <p>"Websites: " <span class="adm-hosts">{c.hosts.join(", ")}</span></p>
                        <p class="muted">"Snippet:"</p>
                        <code class="adm-snippet">{snippet}</code>
                    </li>
                }
            })
            .collect_view()
    };

    view! {
        <section class="adm-section" aria-labelledby="adm-channels-title">
            <h2 id="adm-channels-title">"Channels"</h2>
            <p class="muted">"The widget answers only on the websites listed for its channel."</p>
            {move || load_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Notice note />
            <ul class="adm-channel-list" aria-label="Channels">
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
                                        reload();
                                    }
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
        .unwrap_or_else(|| parley_shared::admin::DEFAULT_TIME_ZONE.to_owned())
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
    let err = RwSignal::new(None::<FieldError>);
    let busy = RwSignal::new(false);
    let title_id = format!("{prefix}-title");
    let labelled_by = title_id.clone();
    let title = match &existing {
        Some(c) => format!("Edit channel {}", c.name),
        None => "Add channel".to_owned(),
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
            prechat: vec![],
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
                        prechat: None,
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
                    }
                    let verb = if target.is_some() { "saved" } else { "created" };
                    on_done.run(Some(format!("Channel {} {verb}.", c.name)));
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
                <Field id=format!("{prefix}-name") label="Channel name" field="name" value=name err autocomplete="off" />
                <Field id=format!("{prefix}-accent") label="Accent colour" field="accent" value=accent err kind="color" />
                <Field
                    id=format!("{prefix}-greeting")
                    label="Greeting"
                    field="greeting"
                    value=greeting
                    err
                    multiline=true
                    hint="Empty: the default greeting."
                />
                <Field
                    id=format!("{prefix}-hosts")
                    label="Website hostnames"
                    field="hosts"
                    value=hosts
                    err
                    multiline=true
                    hint="One per line, such as shop.example.com (no https://)."
                />
                <Field
                    id=format!("{prefix}-time-zone")
                    label="Time zone"
                    field="time_zone"
                    value=time_zone
                    err
                    autocomplete="off"
                    hint="For the hour and weekday of invite rules, such as Europe/Berlin (empty: UTC)."
                />
            </div>
            <FormError err fields=FIELDS />
            <div class="adm-actions">
                <button type="submit" class="btn btn-primary" aria-busy=move || busy.get().to_string()>
                    {if editing { "Save channel" } else { "Create channel" }}
                </button>
                {editing
                    .then(|| {
                        view! {
                            <button type="button" class="btn btn-ghost" on:click=move |_| on_done.run(None)>
                                "Cancel"
                            </button>
                        }
                    })}
            </div>
        </form>
    }
}

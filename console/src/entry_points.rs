//! Entry points (admins): pick a channel, rename its chat button, list, enable/disable, create
//! and edit its auto-invites. The editor handles one level of conditions ("all" or "any" of a
//! list of rows); a rule with nested groups (made through the API) is shown as a read-only
//! summary and kept as it is. Every field is checked with `parley_protocol`'s validators before
//! sending, and the error shows next to the field (a condition's next to its row).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use parley_protocol::admin::{split_list, ChannelView, FieldError};
use parley_protocol::entry_points::{self as ep, EntryKind, EntryPointRequest, EntryPointView};
use parley_protocol::invites::{Condition, Greeting, InviteSettings};

use crate::admin_api;
use crate::form::{http_field_error_with, load_into, DataTable, Field, FormError, Notice};
use crate::i18n::{fill, t, Texts};

/// The kinds of condition row: key and label of the type select.
fn kinds(t: &'static Texts) -> [(&'static str, &'static str); 9] {
    [
        ("page_url", t.kind_page_url),
        ("time_on_page", t.kind_time_on_page),
        ("time_on_site", t.kind_time_on_site),
        ("pages", t.kind_pages),
        ("returning", t.kind_returning),
        ("referrer", t.kind_referrer),
        ("language", t.kind_language),
        ("hours", t.kind_hours),
        ("weekday", t.kind_weekday),
    ]
}

/// Monday to Sunday: the full name (for the ear) and the short one (shown).
fn days(t: &'static Texts) -> [(&'static str, &'static str); 7] {
    [
        (t.monday, t.mon),
        (t.tuesday, t.tue),
        (t.wednesday, t.wed),
        (t.thursday, t.thu),
        (t.friday, t.fri),
        (t.saturday, t.sat),
        (t.sunday, t.sun),
    ]
}

/// One row of the condition editor as plain data: its kind, up to two text inputs and the
/// weekday boxes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowData {
    pub kind: String,
    pub a: String,
    pub b: String,
    pub days: Vec<u8>,
}

impl RowData {
    /// A fresh row of `kind` with sensible starting values.
    pub fn new(kind: &str) -> RowData {
        let (a, b, days) = match kind {
            "time_on_page" | "time_on_site" => ("10", "", vec![]),
            "pages" => ("2", "", vec![]),
            "returning" => ("yes", "", vec![]),
            "hours" => ("9", "17", vec![]),
            "weekday" => ("", "", vec![0, 1, 2, 3, 4]),
            _ => ("", "", vec![]),
        };
        RowData { kind: kind.to_owned(), a: a.to_owned(), b: b.to_owned(), days }
    }

    /// The row of a condition; `None` for a group (the editor does not nest).
    pub fn from_condition(c: &Condition) -> Option<RowData> {
        let row = |kind: &str, a: String, b: String, days: Vec<u8>| RowData { kind: kind.to_owned(), a, b, days };
        Some(match c {
            Condition::PageUrl { glob } => row("page_url", glob.clone(), String::new(), vec![]),
            Condition::TimeOnPageAtLeast { seconds } => row("time_on_page", seconds.to_string(), String::new(), vec![]),
            Condition::TimeOnSiteAtLeast { seconds } => row("time_on_site", seconds.to_string(), String::new(), vec![]),
            Condition::PagesViewedAtLeast { pages } => row("pages", pages.to_string(), String::new(), vec![]),
            Condition::Returning { returning } => {
                row("returning", if *returning { "yes" } else { "no" }.to_owned(), String::new(), vec![])
            }
            Condition::ReferrerContains { text } => row("referrer", text.clone(), String::new(), vec![]),
            Condition::Language { any_of } => row("language", any_of.join(", "), String::new(), vec![]),
            Condition::HourBetween { from, to } => row("hours", from.to_string(), to.to_string(), vec![]),
            Condition::Weekday { any_of } => row("weekday", String::new(), String::new(), any_of.clone()),
            Condition::All { .. } | Condition::Any { .. } => return None,
        })
    }

    /// The condition this row says, checked with the shared validator; else a sentence.
    pub fn to_condition(&self) -> Result<Condition, String> {
        fn number<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
            s.trim().parse().map_err(|_| fill(t().whole_number, &[("what", what)]))
        }
        let c = match self.kind.as_str() {
            "page_url" => Condition::PageUrl { glob: self.a.clone() },
            "time_on_page" => Condition::TimeOnPageAtLeast { seconds: number(&self.a, t().what_time_on_page)? },
            "time_on_site" => Condition::TimeOnSiteAtLeast { seconds: number(&self.a, t().what_time_on_site)? },
            "pages" => Condition::PagesViewedAtLeast { pages: number(&self.a, t().what_pages_viewed)? },
            "returning" => Condition::Returning { returning: self.a == "yes" },
            "referrer" => Condition::ReferrerContains { text: self.a.clone() },
            "language" => Condition::Language { any_of: split_list(&self.a) },
            "hours" => Condition::HourBetween {
                from: number(&self.a, t().what_hour_from)?,
                to: number(&self.b, t().what_hour_to)?,
            },
            "weekday" => Condition::Weekday { any_of: self.days.clone() },
            other => return Err(fill(t().unknown_condition, &[("kind", other)])),
        };
        ep::rule_condition(&c).map_err(|e| e.message)
    }
}

/// A rule as the editor shows it: `(any, rows)`; `None` when it nests groups.
pub fn flatten(c: &Condition) -> Option<(bool, Vec<RowData>)> {
    match c {
        Condition::All { all } => all.iter().map(RowData::from_condition).collect::<Option<_>>().map(|r| (false, r)),
        Condition::Any { any } => any.iter().map(RowData::from_condition).collect::<Option<_>>().map(|r| (true, r)),
        leaf => RowData::from_condition(leaf).map(|r| (false, vec![r])),
    }
}

/// The rule of the editor's rows: one condition alone, else all/any of them. A bad row
/// answers its index and what is wrong.
pub fn combine(any: bool, rows: &[RowData]) -> Result<Condition, (usize, String)> {
    let mut list =
        rows.iter().enumerate().map(|(i, r)| r.to_condition().map_err(|m| (i, m))).collect::<Result<Vec<_>, _>>()?;
    Ok(match (list.len(), any) {
        (1, _) => list.remove(0),
        (_, true) => Condition::Any { any: list },
        (_, false) => Condition::All { all: list },
    })
}

/// Seconds typed into a box as milliseconds.
pub fn seconds_ms(s: &str, field: &str, what: &str) -> Result<u64, FieldError> {
    s.trim()
        .parse::<u64>()
        .map(|n| n * 1000)
        .map_err(|_| FieldError::new(field, fill(t().whole_seconds, &[("what", what)])))
}

// ---------------------------------------------------------------------------------------------
// The page

#[component]
pub fn EntryPoints() -> impl IntoView {
    let channels = RwSignal::new(None::<Vec<ChannelView>>);
    let load_error = RwSignal::new(None::<String>);
    let channel = RwSignal::new(String::new());
    let list = RwSignal::new(None::<Vec<EntryPointView>>);
    let note = RwSignal::new(None::<String>);
    let row_error = RwSignal::new(None::<FieldError>);
    // `None`: no form; `Some(None)`: a new invite; `Some(Some(ep))`: editing that one.
    let editing = RwSignal::new(None::<Option<EntryPointView>>);

    load_into(channels, load_error, admin_api::channels());
    Effect::new(move |_| {
        if channel.with(String::is_empty) {
            if let Some(first) = channels.with(|c| c.as_ref().and_then(|c| c.first().map(|c| c.id.clone()))) {
                channel.set(first);
            }
        }
    });
    let reload = move || {
        let id = channel.get_untracked();
        if !id.is_empty() {
            load_into(list, load_error, async move { admin_api::entry_points(&id).await });
        }
    };
    Effect::new(move |_| {
        if !channel.with(String::is_empty) {
            list.set(None);
            editing.set(None);
            reload();
        }
    });

    let set_enabled = move |e: EntryPointView, enabled: bool| {
        note.set(None);
        row_error.set(None);
        spawn_local(async move {
            let body = EntryPointRequest { name: e.name.clone(), enabled: Some(enabled), invite: None };
            match admin_api::update_entry_point(&e.id, &body).await {
                Ok(v) => {
                    let done = if enabled { t().ep_enabled_note } else { t().ep_disabled_note };
                    note.try_set(Some(fill(done, &[("name", &v.name)])));
                    reload();
                }
                Err(e) => {
                    row_error.try_set(Some(http_field_error_with(&e, &[("name", &body.name)])));
                }
            }
        });
    };

    let channel_options = move || {
        channels
            .get()
            .unwrap_or_default()
            .into_iter()
            .map(|c| {
                let id = c.id.clone();
                view! {
                    <option value=c.id.clone() selected=move || channel.get() == id>
                        {c.name}
                    </option>
                }
            })
            .collect_view()
    };

    let rows = move || {
        let t = t();
        list.get()
            .unwrap_or_default()
            .into_iter()
            .map(|e| {
                let is_button = e.kind == EntryKind::Button;
                let (edit_e, toggle_e) = (e.clone(), e.clone());
                let enabled = e.enabled;
                let rule = match &e.invite {
                    Some(i) => ep::summary(&i.when),
                    None => t.launcher_every_page.to_owned(),
                };
                let edit_label = fill(if is_button { t.rename_named } else { t.edit_named }, &[("name", &e.name)]);
                view! {
                    <tr class:adm-disabled=!enabled>
                        <td class="adm-username">{e.name.clone()}</td>
                        <td>{if is_button { t.chat_button } else { t.auto_invite }}</td>
                        <td>
                            {if is_button {
                                view! { <span class="muted">{t.always}</span> }.into_any()
                            } else {
                                view! {
                                    <input
                                        type="checkbox"
                                        aria-label=fill(t.enabled_named, &[("name", &e.name)])
                                        prop:checked=enabled
                                        on:change=move |ev| set_enabled(toggle_e.clone(), event_target_checked(&ev))
                                    />
                                }
                                    .into_any()
                            }}
                        </td>
                        <td>{rule}</td>
                        <td class="adm-row-actions">
                            <button
                                type="button"
                                class="btn btn-ghost adm-small"
                                aria-label=edit_label
                                on:click=move |_| {
                                    note.set(None);
                                    editing.set(Some(Some(edit_e.clone())));
                                }
                            >
                                {if is_button { t.rename } else { t.edit }}
                            </button>
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };

    let on_done = Callback::new(move |msg: Option<String>| {
        editing.set(None);
        if let Some(msg) = msg {
            note.set(Some(msg));
            reload();
        }
    });

    view! {
        <section class="adm-section" aria-labelledby="adm-ep-title">
            <h2 id="adm-ep-title">{move || t().entry_points}</h2>
            <p class="muted">{move || t().entry_points_intro}</p>
            {move || load_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div class="field adm-field adm-ep-channel">
                <label for="adm-ep-channel">{move || t().channel}</label>
                <select id="adm-ep-channel" on:change=move |ev| channel.set(event_target_value(&ev))>
                    {channel_options}
                </select>
            </div>
            <FormError err=row_error fields=&[] />
            <Notice note />
            <DataTable labelledby="adm-ep-title" headers=|t| vec![t.name, t.type_, t.enabled, t.rule, ""]>
                {rows}
            </DataTable>
            {move || match editing.get() {
                None => {
                    view! {
                        <div class="adm-actions">
                            <button
                                type="button"
                                class="btn btn-primary"
                                disabled=move || channel.with(String::is_empty)
                                on:click=move |_| {
                                    note.set(None);
                                    editing.set(Some(None));
                                }
                            >
                                {move || t().new_auto_invite}
                            </button>
                        </div>
                    }
                        .into_any()
                }
                Some(Some(e)) if e.kind == EntryKind::Button => view! { <ButtonForm e on_done /> }.into_any(),
                Some(existing) => {
                    view! { <InviteForm channel_id=channel.get_untracked() existing on_done /> }.into_any()
                }
            }}
        </section>
    }
}

/// Renames the chat button.
#[component]
fn ButtonForm(e: EntryPointView, on_done: Callback<Option<String>>) -> impl IntoView {
    let name = RwSignal::new(e.name.clone());
    let err = RwSignal::new(None::<FieldError>);
    let busy = RwSignal::new(false);
    let id = e.id.clone();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let body = EntryPointRequest { name: name.get_untracked(), enabled: None, invite: None };
        if let Err(e) = ep::entry_point_name(&body.name) {
            return err.set(Some(e));
        }
        err.set(None);
        busy.set(true);
        let id = id.clone();
        spawn_local(async move {
            match admin_api::update_entry_point(&id, &body).await {
                Ok(_) => on_done.run(Some(t().saved.to_owned())),
                Err(e) => {
                    err.try_set(Some(http_field_error_with(&e, &[("name", &body.name)])));
                    busy.try_set(false);
                }
            }
        });
    };
    view! {
        <form class="adm-form adm-card" on:submit=submit aria-labelledby="adm-ep-btn-title" novalidate>
            <h3 id="adm-ep-btn-title">{move || t().rename_chat_button}</h3>
            <div class="adm-grid">
                <Field id="adm-ep-btn-name".into() label=move || t().button_name field="name" value=name err autocomplete="off" hint=move || t().reports_name_it />
            </div>
            <FormError err fields=&["name"] />
            <div class="adm-actions">
                <button type="submit" class="btn btn-primary" aria-busy=move || busy.get().to_string()>
                    {move || t().save}
                </button>
                <button type="button" class="btn btn-ghost" on:click=move |_| on_done.run(None)>
                    {move || t().cancel}
                </button>
            </div>
        </form>
    }
}

/// One condition row's signals (`key` is stable while the row lives).
#[derive(Clone, Copy)]
struct Row {
    key: u32,
    kind: RwSignal<String>,
    a: RwSignal<String>,
    b: RwSignal<String>,
    days: RwSignal<Vec<u8>>,
}

impl Row {
    fn new(key: u32, d: RowData) -> Row {
        Row {
            key,
            kind: RwSignal::new(d.kind),
            a: RwSignal::new(d.a),
            b: RwSignal::new(d.b),
            days: RwSignal::new(d.days),
        }
    }

    fn data(&self) -> RowData {
        RowData {
            kind: self.kind.get_untracked(),
            a: self.a.get_untracked(),
            b: self.b.get_untracked(),
            days: self.days.get_untracked(),
        }
    }
}

#[derive(Clone, Copy)]
struct GreetingRow {
    key: u32,
    language: RwSignal<String>,
    text: RwSignal<String>,
}

const INVITE_FIELDS: &[&str] = &["name", "when", "max_per_visitor", "display_timeout_ms", "greetings"];

/// Create (no `existing`) or edit an auto-invite.
#[component]
fn InviteForm(
    channel_id: String,
    existing: Option<EntryPointView>,
    on_done: Callback<Option<String>>,
) -> impl IntoView {
    let settings = existing.as_ref().and_then(|e| e.invite.clone());
    let next_key = StoredValue::new(0u32);
    let fresh_key = move || {
        next_key.update_value(|k| *k += 1);
        next_key.get_value()
    };
    let name = RwSignal::new(existing.as_ref().map(|e| e.name.clone()).unwrap_or_default());
    let (any, start_rows, nested) = match settings.as_ref().map(|s| (&s.when, flatten(&s.when))) {
        None => (false, vec![RowData::new("page_url")], None),
        Some((_, Some((any, rows)))) => (any, rows, None),
        Some((when, None)) => (false, Vec::new(), Some(when.clone())),
    };
    let mode = RwSignal::new(if any { "any" } else { "all" }.to_owned());
    let rows = RwSignal::new(start_rows.into_iter().map(|d| Row::new(fresh_key(), d)).collect::<Vec<_>>());
    let kept_rule = RwSignal::new(nested);
    let always_show = RwSignal::new(settings.as_ref().is_some_and(|s| s.always_show));
    let max_per_visitor = RwSignal::new(settings.as_ref().map_or(1, |s| s.max_per_visitor).to_string());
    let timeout = RwSignal::new(settings.as_ref().map_or(30, |s| s.display_timeout_ms / 1000).to_string());
    let start_greetings = match &settings {
        Some(s) => s.greetings.clone(),
        None => vec![Greeting { language: "en".into(), text: String::new() }],
    };
    let greetings = RwSignal::new(
        start_greetings
            .into_iter()
            .map(|g| GreetingRow { key: fresh_key(), language: RwSignal::new(g.language), text: RwSignal::new(g.text) })
            .collect::<Vec<_>>(),
    );
    let err = RwSignal::new(None::<FieldError>);
    // The row (by key) whose condition is wrong, and what is wrong.
    let row_err = RwSignal::new(None::<(u32, String)>);
    let busy = RwSignal::new(false);
    let target = existing.as_ref().map(|e| e.id.clone());
    let title = match &existing {
        Some(e) => fill(t().edit_named, &[("name", &e.name)]),
        None => t().new_auto_invite.to_owned(),
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        err.set(None);
        row_err.set(None);
        let name_v = name.get_untracked();
        if let Err(e) = ep::entry_point_name(&name_v) {
            return err.set(Some(e));
        }
        let when = match kept_rule.get_untracked() {
            Some(w) => w,
            None => {
                let list = rows.get_untracked();
                if list.is_empty() {
                    return err.set(Some(FieldError::new("when", t().add_one_condition)));
                }
                let data: Vec<RowData> = list.iter().map(Row::data).collect();
                match combine(mode.get_untracked() == "any", &data) {
                    Ok(c) => c,
                    Err((i, message)) => {
                        row_err.set(Some((list[i].key, message)));
                        return;
                    }
                }
            }
        };
        let max = match max_per_visitor.get_untracked().trim().parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                return err.set(Some(FieldError::new("max_per_visitor", t().enter_whole_number_limit)));
            }
        };
        let display_timeout_ms = match seconds_ms(&timeout.get_untracked(), "display_timeout_ms", t().what_display_time)
        {
            Ok(ms) => ms,
            Err(e) => return err.set(Some(e)),
        };
        let invite = InviteSettings {
            when,
            always_show: always_show.get_untracked(),
            max_per_visitor: max,
            display_timeout_ms,
            greetings: greetings
                .get_untracked()
                .iter()
                .map(|g| Greeting { language: g.language.get_untracked(), text: g.text.get_untracked() })
                .collect(),
        };
        if let Err(e) = ep::invite_settings(&invite) {
            return err.set(Some(e));
        }
        let body = EntryPointRequest { name: name_v, enabled: None, invite: Some(invite) };
        busy.set(true);
        let (target, channel_id) = (target.clone(), channel_id.clone());
        spawn_local(async move {
            let result = match &target {
                None => admin_api::create_invite(&channel_id, &body).await,
                Some(id) => admin_api::update_entry_point(id, &body).await,
            };
            match result {
                Ok(_) => on_done.run(Some(t().saved.to_owned())),
                Err(e) => {
                    err.try_set(Some(http_field_error_with(&e, &[("name", &body.name)])));
                    busy.try_set(false);
                }
            }
        });
    };

    let position = move |key: u32| rows.with(|r| r.iter().position(|x| x.key == key).map_or(0, |i| i + 1));
    let condition_rows = move || {
        view! {
            <For
                each=move || rows.get()
                key=|r| r.key
                children=move |row: Row| {
                    let n = move || position(row.key);
                    let err_id = format!("adm-ep-cond-{}-error", row.key);
                    let has_err = move || row_err.with(|e| e.as_ref().is_some_and(|(k, _)| *k == row.key));
                    let described = move || has_err().then(|| format!("adm-ep-cond-{}-error", row.key));
                    let invalid = move || has_err().then_some("true");
                    let inputs = move || {
                        let kind = row.kind.get();
                                                let label = move |what: &str| fill(t().condition_what, &[("n", &n().to_string()), ("what", what)]);
                        let text_input = move |kind_word: &'static str, input_type: &'static str, placeholder: &'static str| {
                                                        view! {
                                <input
                                    type=input_type
                                    class="adm-cond-input"
                                    placeholder=placeholder
                                    aria-label=move || label(kind_word)
                                    aria-invalid=invalid
                                    aria-describedby=described
                                    prop:value=move || row.a.get()
                                    on:input=move |ev| row.a.set(event_target_value(&ev))
                                />
                            }
                        };
                        match kind.as_str() {
                            "returning" => {
                                view! {
                                    <select
                                        aria-label=move || label(t().w_returning_visitor)
                                        prop:value=move || row.a.get()
                                        on:change=move |ev| row.a.set(event_target_value(&ev))
                                    >
                                        <option value="yes" selected=move || row.a.get() == "yes">{move || t().yes}</option>
                                        <option value="no" selected=move || row.a.get() == "no">{move || t().no}</option>
                                    </select>
                                }
                                    .into_any()
                            }
                            "hours" => {
                                view! {
                                    <input
                                        type="number"
                                        class="adm-cond-num"
                                        min="0"
                                        max="23"
                                        aria-label=move || label(t().w_from_hour)
                                        aria-invalid=invalid
                                        aria-describedby=described
                                        prop:value=move || row.a.get()
                                        on:input=move |ev| row.a.set(event_target_value(&ev))
                                    />
                                    <span aria-hidden="true">"–"</span>
                                    <input
                                        type="number"
                                        class="adm-cond-num"
                                        min="1"
                                        max="24"
                                        aria-label=move || label(t().w_to_hour)
                                        aria-invalid=invalid
                                        aria-describedby=described
                                        prop:value=move || row.b.get()
                                        on:input=move |ev| row.b.set(event_target_value(&ev))
                                    />
                                }
                                    .into_any()
                            }
                            "weekday" => {
                                days(t())
                                    .into_iter()
                                    .enumerate()
                                    .map(|(d, (day, short))| {
                                        let d = d as u8;
                                        view! {
                                            <label class="adm-day">
                                                <input
                                                    type="checkbox"
                                                    aria-label=move || label(day)
                                                    prop:checked=move || row.days.with(|v| v.contains(&d))
                                                    on:change=move |ev| {
                                                        let on = event_target_checked(&ev);
                                                        row.days.update(|v| {
                                                            v.retain(|x| *x != d);
                                                            if on {
                                                                v.push(d);
                                                                v.sort_unstable();
                                                            }
                                                        });
                                                    }
                                                />
                                                {short}
                                            </label>
                                        }
                                    })
                                    .collect_view()
                                    .into_any()
                            }
                            "page_url" => text_input(t().w_page_url_pattern, "text", "*/pricing*").into_any(),
                            "time_on_page" => text_input(t().w_seconds_on_page, "number", "").into_any(),
                            "time_on_site" => text_input(t().w_seconds_on_site, "number", "").into_any(),
                            "pages" => text_input(t().w_pages_viewed, "number", "").into_any(),
                            "referrer" => text_input(t().w_referrer_text, "text", t().referrer_placeholder).into_any(),
                            _ => text_input(t().w_languages, "text", "en, de").into_any(),
                        }
                    };
                    view! {
                        <div class="adm-cond" role="group" aria-label=move || fill(t().condition_n, &[("n", &n().to_string())])>
                            <select
                                aria-label=move || fill(t().condition_n_type, &[("n", &n().to_string())])
                                prop:value=move || row.kind.get()
                                on:change=move |ev| {
                                    let d = RowData::new(&event_target_value(&ev));
                                    row.a.set(d.a);
                                    row.b.set(d.b);
                                    row.days.set(d.days);
                                    row.kind.set(d.kind);
                                    row_err.set(None);
                                }
                            >
                                {move || {
                                    kinds(t())
                                        .into_iter()
                                        .map(|(k, l)| {
                                            view! {
                                                <option value=k selected=move || row.kind.get() == k>
                                                    {l}
                                                </option>
                                            }
                                        })
                                        .collect_view()
                                }}
                            </select>
                            {inputs}
                            <button
                                type="button"
                                class="btn btn-ghost adm-small"
                                aria-label=move || fill(t().remove_condition, &[("n", &n().to_string())])
                                on:click=move |_| {
                                    row_err.set(None);
                                    rows.update(|r| r.retain(|x| x.key != row.key));
                                }
                            >
                                {move || t().remove}
                            </button>
                            {move || {
                                row_err
                                    .get()
                                    .filter(|(k, _)| *k == row.key)
                                    .map(|(_, m)| {
                                        view! {
                                            <p class="adm-field-error adm-cond-error" id=err_id.clone() role="alert">
                                                {m}
                                            </p>
                                        }
                                    })
                            }}
                        </div>
                    }
                }
            />
        }
    };

    let greeting_rows = move || {
        view! {
            <For
                each=move || greetings.get()
                key=|g| g.key
                children=move |g: GreetingRow| {
                    let n = move || greetings.with(|v| v.iter().position(|x| x.key == g.key).map_or(0, |i| i + 1));
                    view! {
                        <div class="adm-greeting" role="group" aria-label=move || fill(t().greeting_n, &[("n", &n().to_string())])>
                            <input
                                type="text"
                                class="adm-greeting-lang"
                                placeholder="en"
                                aria-label=move || fill(t().greeting_n_language, &[("n", &n().to_string())])
                                prop:value=move || g.language.get()
                                on:input=move |ev| g.language.set(event_target_value(&ev))
                            />
                            <textarea
                                rows="2"
                                class="adm-greeting-text"
                                aria-label=move || fill(t().greeting_n_text, &[("n", &n().to_string())])
                                prop:value=move || g.text.get()
                                on:input=move |ev| g.text.set(event_target_value(&ev))
                            ></textarea>
                            <button
                                type="button"
                                class="btn btn-ghost adm-small"
                                aria-label=move || fill(t().remove_greeting, &[("n", &n().to_string())])
                                on:click=move |_| greetings.update(|v| v.retain(|x| x.key != g.key))
                            >
                                {move || t().remove}
                            </button>
                        </div>
                    }
                }
            />
        }
    };

    let field_error = move |field: &'static str, id: &'static str| {
        move || {
            err.get().filter(|e| e.field == field).map(|e| {
                view! {
                    <p class="adm-field-error" id=id role="alert">
                        {e.message}
                    </p>
                }
            })
        }
    };

    view! {
        <form class="adm-form adm-card adm-invite-form" on:submit=submit aria-labelledby="adm-ep-form-title" novalidate>
            <h3 id="adm-ep-form-title">{title}</h3>
            <div class="adm-grid">
                <Field id="adm-ep-name".into() label=move || t().name field="name" value=name err autocomplete="off" hint=move || t().reports_name_it />
            </div>
            <fieldset class="adm-fieldset" aria-describedby="adm-ep-when-error">
                <legend>{move || t().conditions}</legend>
                {move || {
                    kept_rule
                        .get()
                        .map(|w| {
                            view! {
                                <p class="adm-kept-rule">
                                    {t().kept_rule}
                                    <strong>{ep::summary(&w)}</strong>
                                </p>
                                <button
                                    type="button"
                                    class="btn btn-ghost adm-small"
                                    on:click=move |_| {
                                        kept_rule.set(None);
                                        rows.set(vec![Row::new(fresh_key(), RowData::new("page_url"))]);
                                    }
                                >
                                    {t().replace_simple_rule}
                                </button>
                            }
                        })
                }}
                <div class="adm-cond-list" class:adm-hidden=move || kept_rule.with(Option::is_some)>
                    <div class="field adm-field adm-ep-mode">
                        <label for="adm-ep-mode">{move || t().show_when}</label>
                        <select id="adm-ep-mode" prop:value=move || mode.get() on:change=move |ev| mode.set(event_target_value(&ev))>
                            <option value="all" selected=move || mode.get() == "all">{move || t().mode_all}</option>
                            <option value="any" selected=move || mode.get() == "any">{move || t().mode_any}</option>
                        </select>
                    </div>
                    {condition_rows}
                    <div class="adm-actions">
                        <button
                            type="button"
                            class="btn btn-ghost adm-small"
                            on:click=move |_| rows.update(|r| r.push(Row::new(fresh_key(), RowData::new("time_on_page"))))
                        >
                            {move || t().add_condition}
                        </button>
                    </div>
                </div>
                {field_error("when", "adm-ep-when-error")}
            </fieldset>
            <div class="adm-grid">
                <Field
                    id="adm-ep-max".into()
                    label=move || t().max_per_visitor
                    field="max_per_visitor"
                    value=max_per_visitor
                    err
                    kind="number"
                />
                <Field id="adm-ep-timeout".into() label=move || t().hide_after field="display_timeout_ms" value=timeout err kind="number" />
            </div>
            <label class="adm-check">
                <input type="checkbox" prop:checked=move || always_show.get() on:change=move |ev| always_show.set(event_target_checked(&ev)) />
                {move || t().always_show}
            </label>
            <fieldset class="adm-fieldset" aria-describedby="adm-ep-greetings-error">
                <legend>{move || t().greetings}</legend>
                <p class="adm-hint">{move || t().greetings_hint}</p>
                {greeting_rows}
                <div class="adm-actions">
                    <button
                        type="button"
                        class="btn btn-ghost adm-small"
                        on:click=move |_| {
                            greetings.update(|v| {
                                v.push(GreetingRow { key: fresh_key(), language: RwSignal::new(String::new()), text: RwSignal::new(String::new()) })
                            })
                        }
                    >
                        {move || t().add_greeting}
                    </button>
                </div>
                {field_error("greetings", "adm-ep-greetings-error")}
            </fieldset>
            <FormError err fields=INVITE_FIELDS />
            <div class="adm-actions">
                <button type="submit" class="btn btn-primary" aria-busy=move || busy.get().to_string()>
                    {move || t().save_invite}
                </button>
                <button type="button" class="btn btn-ghost" on:click=move |_| on_done.run(None)>
                    {move || t().cancel}
                </button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, a: &str) -> RowData {
        RowData { a: a.into(), ..RowData::new(kind) }
    }

    #[test]
    fn rows_become_conditions_and_back() {
        let c = combine(false, &[row("page_url", " */pricing* "), row("time_on_page", "3")]).unwrap();
        assert_eq!(
            c,
            Condition::All {
                all: vec![
                    Condition::PageUrl { glob: "*/pricing*".into() },
                    Condition::TimeOnPageAtLeast { seconds: 3 }
                ]
            }
        );
        assert_eq!(flatten(&c), Some((false, vec![row("page_url", "*/pricing*"), row("time_on_page", "3")])));
        let one = combine(true, &[row("language", "de, FR")]).unwrap();
        assert_eq!(one, Condition::Language { any_of: vec!["de".into(), "fr".into()] });
        assert_eq!(flatten(&one), Some((false, vec![row("language", "de, fr")])));
        let hours = RowData { b: "6".into(), ..row("hours", "22") };
        assert_eq!(hours.to_condition(), Ok(Condition::HourBetween { from: 22, to: 6 }));
        assert_eq!(RowData::new("weekday").to_condition(), Ok(Condition::Weekday { any_of: vec![0, 1, 2, 3, 4] }));
        assert_eq!(row("returning", "no").to_condition(), Ok(Condition::Returning { returning: false }));
        for kind in kinds(&crate::i18n::EN).iter().map(|(k, _)| *k) {
            let d = RowData::new(kind);
            if let Ok(c) = d.to_condition() {
                assert_eq!(RowData::from_condition(&c).map(|r| r.kind), Some(kind.to_owned()));
            }
        }
    }

    #[test]
    fn a_bad_row_is_named() {
        assert_eq!(
            combine(false, &[row("time_on_page", "3"), row("page_url", " ")]),
            Err((1, "The page URL pattern is empty.".into()))
        );
        assert_eq!(row("pages", "two").to_condition().unwrap_err(), "Pages viewed must be a whole number.");
        assert!(row("time_on_site", "-1").to_condition().is_err());
        assert_eq!(seconds_ms("30", "display_timeout_ms", "x"), Ok(30_000));
        assert_eq!(seconds_ms("soon", "display_timeout_ms", "x").unwrap_err().field, "display_timeout_ms");
    }

    #[test]
    fn nested_rules_stay_out_of_the_editor() {
        let nested =
            Condition::All { all: vec![Condition::Any { any: vec![Condition::Returning { returning: true }] }] };
        assert_eq!(flatten(&nested), None);
    }
}

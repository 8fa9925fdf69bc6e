//! Admin → Outcomes (admins): the account's success codes, categories with sub-categories and
//! goals, edited as lists and saved together ("Save outcomes" → `POST
//! /api/v1/console/outcome-settings`). The same checks as the edge run before sending
//! (`OutcomeSettings::validate`); an error shows next to the list it names.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::i18n::{fill as put, t};
use crate::net::{get_json, post_json, HttpError};
use leptos::task::spawn_local;
use parley_protocol::admin::FieldError;
use parley_protocol::outcomes::{Category, Goal, OutcomeSettings};

use crate::form::{http_field_error, FormError, Notice};

const URL: &str = "/api/v1/console/outcome-settings";
const FIELDS: &[&str] = &["success_codes", "categories", "goals"];

pub async fn load() -> Result<OutcomeSettings, HttpError> {
    get_json(URL).await
}

pub async fn save(body: &OutcomeSettings) -> Result<OutcomeSettings, HttpError> {
    post_json(URL, body).await
}

#[derive(Clone, Copy)]
struct NameRow {
    key: u32,
    name: RwSignal<String>,
}

#[derive(Clone, Copy)]
struct CategoryRow {
    key: u32,
    name: RwSignal<String>,
    subs: RwSignal<Vec<NameRow>>,
}

#[derive(Clone)]
struct GoalRow {
    key: u32,
    /// Empty for a goal added here (the server gives it an id).
    id: String,
    name: RwSignal<String>,
    value: RwSignal<String>,
    url: RwSignal<String>,
}

/// Rows keyed for `<For>` (fresh keys from one counter).
#[derive(Clone, Copy)]
struct Keys(StoredValue<u32>);

impl Keys {
    fn next(self) -> u32 {
        self.0.update_value(|k| *k += 1);
        self.0.get_value()
    }
    fn name(self, s: &str) -> NameRow {
        NameRow { key: self.next(), name: RwSignal::new(s.to_owned()) }
    }
    fn category(self, c: &Category) -> CategoryRow {
        CategoryRow {
            key: self.next(),
            name: RwSignal::new(c.name.clone()),
            subs: RwSignal::new(c.subs.iter().map(|s| self.name(s)).collect()),
        }
    }
    fn goal(self, g: &Goal) -> GoalRow {
        GoalRow {
            key: self.next(),
            id: g.id.clone(),
            name: RwSignal::new(g.name.clone()),
            value: RwSignal::new(format_value(g.value)),
            url: RwSignal::new(g.url_glob.clone().unwrap_or_default()),
        }
    }
}

fn format_value(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        v.to_string()
    }
}

/// The 1-based place of `key` in a list (for labels such as "Success code 2").
fn place<T>(list: RwSignal<Vec<T>>, key: u32, key_of: fn(&T) -> u32) -> usize
where
    T: Send + Sync + 'static,
{
    list.with(|v| v.iter().position(|x| key_of(x) == key).map_or(0, |i| i + 1))
}

#[component]
pub fn OutcomeSettingsAdmin() -> impl IntoView {
    let keys = Keys(StoredValue::new(0));
    let codes = RwSignal::new(Vec::<NameRow>::new());
    let categories = RwSignal::new(Vec::<CategoryRow>::new());
    let goals = RwSignal::new(Vec::<GoalRow>::new());
    let loaded = RwSignal::new(false);
    let load_error = RwSignal::new(None::<String>);
    let err = RwSignal::new(None::<FieldError>);
    let note = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let fill = move |s: &OutcomeSettings| {
        codes.set(s.success_codes.iter().map(|c| keys.name(c)).collect());
        categories.set(s.categories.iter().map(|c| keys.category(c)).collect());
        goals.set(s.goals.iter().map(|g| keys.goal(g)).collect());
        loaded.set(true);
    };
    spawn_local(async move {
        match load().await {
            Ok(s) => {
                let _ = loaded.try_get_untracked().map(|_| fill(&s));
            }
            Err(e) => {
                load_error.try_set(Some(crate::api::describe(&e)));
            }
        }
    });

    let body = move || -> Result<OutcomeSettings, FieldError> {
        let mut goal_list = Vec::new();
        for g in goals.get_untracked() {
            let name = g.name.get_untracked();
            let raw = g.value.get_untracked();
            let raw = raw.trim();
            let value = if raw.is_empty() {
                0.0
            } else {
                raw.replace(',', ".")
                    .parse::<f64>()
                    .map_err(|_| FieldError::new("goals", put(t().goal_value_number, &[("name", name.trim())])))?
            };
            let url = g.url.get_untracked();
            goal_list.push(Goal { id: g.id.clone(), name, value, url_glob: Some(url) });
        }
        OutcomeSettings {
            success_codes: codes.get_untracked().iter().map(|c| c.name.get_untracked()).collect(),
            categories: categories
                .get_untracked()
                .iter()
                .map(|c| Category {
                    name: c.name.get_untracked(),
                    subs: c.subs.get_untracked().iter().map(|s| s.name.get_untracked()).collect(),
                })
                .collect(),
            goals: goal_list,
        }
        .validate()
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        note.set(None);
        let settings = match body() {
            Ok(s) => s,
            Err(e) => return err.set(Some(e)),
        };
        err.set(None);
        busy.set(true);
        spawn_local(async move {
            match save(&settings).await {
                Ok(saved) => {
                    if busy.try_get_untracked().is_some() {
                        fill(&saved);
                        note.set(Some(t().outcomes_saved.into()));
                    }
                }
                Err(e) => {
                    // The same checks ran here first: what is left belongs to the whole form.
                    err.try_set(Some(http_field_error(&e)));
                }
            }
            busy.try_set(false);
        });
    };

    let list_error = move |field: &'static str| {
        move || {
            err.get().filter(|e| e.field == field).map(|e| {
                view! {
                    <p class="adm-field-error" id=format!("adm-oc-{field}-error") role="alert">
                        {e.message}
                    </p>
                }
            })
        }
    };
    let described = move |field: &'static str| {
        move || err.with(|e| e.as_ref().is_some_and(|e| e.field == field)).then(|| format!("adm-oc-{field}-error"))
    };

    let code_rows = move || {
        view! {
            <For
                each=move || codes.get()
                key=|r| r.key
                children=move |r: NameRow| {
                    let n = move || place(codes, r.key, |x| x.key);
                    view! {
                        <li class="adm-cond adm-oc-row">
                            <input
                                type="text"
                                class="adm-oc-name"
                                aria-label=move || put(t().success_code_n, &[("n", &n().to_string())])
                                prop:value=move || r.name.get()
                                on:input=move |ev| r.name.set(event_target_value(&ev))
                            />
                            <button
                                type="button"
                                class="btn btn-ghost adm-small"
                                aria-label=move || put(t().remove_success_code, &[("n", &n().to_string())])
                                on:click=move |_| codes.update(|v| v.retain(|x| x.key != r.key))
                            >
                                {move || t().remove}
                            </button>
                        </li>
                    }
                }
            />
        }
    };

    let category_rows = move || {
        view! {
            <For
                each=move || categories.get()
                key=|c| c.key
                children=move |c: CategoryRow| {
                    let n = move || place(categories, c.key, |x| x.key);
                    let cat_name = move || {
                        let t = c.name.get();
                        if t.trim().is_empty() { put(crate::i18n::t().category_lower_n, &[("n", &n().to_string())]) } else { t.trim().to_owned() }
                    };
                    view! {
                        <li>
                            <div class="adm-oc-category" role="group" aria-label=move || put(t().category_n, &[("n", &n().to_string())])>
                                <div class="adm-cond adm-oc-row">
                                    <input
                                        type="text"
                                        class="adm-oc-name"
                                        aria-label=move || put(t().category_n, &[("n", &n().to_string())])
                                        prop:value=move || c.name.get()
                                        on:input=move |ev| c.name.set(event_target_value(&ev))
                                    />
                                    <button
                                        type="button"
                                        class="btn btn-ghost adm-small"
                                        aria-label=move || put(t().remove_category, &[("n", &n().to_string())])
                                        on:click=move |_| categories.update(|v| v.retain(|x| x.key != c.key))
                                    >
                                        {move || t().remove}
                                    </button>
                                </div>
                                <ul class="adm-oc-subs">
                                    <For
                                        each=move || c.subs.get()
                                        key=|s| s.key
                                        children=move |s: NameRow| {
                                            let m = move || place(c.subs, s.key, |x| x.key);
                                            view! {
                                                <li class="adm-cond adm-oc-row">
                                                    <input
                                                        type="text"
                                                        class="adm-oc-name"
                                                        aria-label=move || put(t().sub_category_of, &[("m", &m().to_string()), ("category", &cat_name())])
                                                        prop:value=move || s.name.get()
                                                        on:input=move |ev| s.name.set(event_target_value(&ev))
                                                    />
                                                    <button
                                                        type="button"
                                                        class="btn btn-ghost adm-small"
                                                        aria-label=move || put(t().remove_sub_category_of, &[("m", &m().to_string()), ("category", &cat_name())])
                                                        on:click=move |_| c.subs.update(|v| v.retain(|x| x.key != s.key))
                                                    >
                                                        {move || t().remove}
                                                    </button>
                                                </li>
                                            }
                                        }
                                    />
                                </ul>
                                <button
                                    type="button"
                                    class="btn btn-ghost adm-small"
                                    aria-label=move || put(t().add_sub_category_to, &[("category", &cat_name())])
                                    on:click=move |_| c.subs.update(|v| v.push(keys.name("")))
                                >
                                    {move || t().add_sub_category}
                                </button>
                            </div>
                        </li>
                    }
                }
            />
        }
    };

    let goal_rows = move || {
        view! {
            <For
                each=move || goals.get()
                key=|g| g.key
                children=move |g: GoalRow| {
                    let key = g.key;
                    let n = move || place(goals, key, |x| x.key);
                    view! {
                        <li>
                            <div class="adm-cond adm-oc-row adm-oc-goal" role="group" aria-label=move || put(t().goal_n, &[("n", &n().to_string())])>
                                <input
                                    type="text"
                                    class="adm-oc-name"
                                    aria-label=move || put(t().goal_n_name, &[("n", &n().to_string())])
                                    prop:value=move || g.name.get()
                                    on:input=move |ev| g.name.set(event_target_value(&ev))
                                />
                                <input
                                    type="text"
                                    inputmode="decimal"
                                    class="adm-oc-value"
                                    aria-label=move || put(t().goal_n_value, &[("n", &n().to_string())])
                                    prop:value=move || g.value.get()
                                    on:input=move |ev| g.value.set(event_target_value(&ev))
                                />
                                <input
                                    type="text"
                                    class="adm-oc-url"
                                    placeholder="*/checkout/done*"
                                    spellcheck="false"
                                    aria-label=move || put(t().goal_n_rule, &[("n", &n().to_string())])
                                    prop:value=move || g.url.get()
                                    on:input=move |ev| g.url.set(event_target_value(&ev))
                                />
                                <button
                                    type="button"
                                    class="btn btn-ghost adm-small"
                                    aria-label=move || put(t().remove_goal, &[("n", &n().to_string())])
                                    on:click=move |_| goals.update(|v| v.retain(|x| x.key != key))
                                >
                                    {move || t().remove}
                                </button>
                            </div>
                        </li>
                    }
                }
            />
        }
    };

    view! {
        <section class="adm-section" aria-labelledby="adm-oc-title">
            <h2 id="adm-oc-title">{move || t().outcomes}</h2>
            <p class="muted">{move || t().outcomes_intro}</p>
            {move || load_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || {
                (!loaded.get() && load_error.get().is_none())
                    .then(|| view! { <p class="muted" role="status">{move || t().loading}</p> })
            }}
            <form class="adm-form adm-card adm-oc" on:submit=submit aria-labelledby="adm-oc-title" novalidate hidden=move || !loaded.get()>
                <fieldset class="adm-fieldset" aria-describedby=described("success_codes")>
                    <legend>{move || t().success_codes}</legend>
                    <p class="adm-hint">{move || t().success_codes_hint}</p>
                    <ul class="adm-oc-list">{code_rows}</ul>
                    {list_error("success_codes")}
                    <button type="button" class="btn btn-ghost" on:click=move |_| codes.update(|v| v.push(keys.name("")))>
                        {move || t().add_success_code}
                    </button>
                </fieldset>
                <fieldset class="adm-fieldset" aria-describedby=described("categories")>
                    <legend>{move || t().categories}</legend>
                    <p class="adm-hint">{move || t().categories_hint}</p>
                    <ul class="adm-oc-list">{category_rows}</ul>
                    {list_error("categories")}
                    <button
                        type="button"
                        class="btn btn-ghost"
                        on:click=move |_| categories.update(|v| v.push(keys.category(&Category::default())))
                    >
                        {move || t().add_category}
                    </button>
                </fieldset>
                <fieldset class="adm-fieldset" aria-describedby=described("goals")>
                    <legend>{move || t().goals}</legend>
                    <p class="adm-hint">{move || t().goals_hint}</p>
                    {move || {
                        (!goals.with(Vec::is_empty))
                            .then(|| {
                                view! {
                                    <div class="adm-cond adm-oc-row adm-oc-heads" aria-hidden="true">
                                        <span class="adm-oc-name">{move || t().name}</span>
                                        <span class="adm-oc-value">{move || t().value}</span>
                                        <span class="adm-oc-url">{move || t().page_url_rule_optional}</span>
                                    </div>
                                }
                            })
                    }}
                    <ul class="adm-oc-list">{goal_rows}</ul>
                    {list_error("goals")}
                    <button
                        type="button"
                        class="btn btn-ghost"
                        on:click=move |_| {
                            goals
                                .update(|v| {
                                    v.push(keys.goal(&Goal { id: String::new(), name: String::new(), value: 0.0, url_glob: None }))
                                })
                        }
                    >
                        {move || t().add_goal}
                    </button>
                </fieldset>
                <FormError err fields=FIELDS />
                <Notice note />
                <div class="adm-actions">
                    <button type="submit" class="btn btn-primary" aria-busy=move || busy.get().to_string()>
                        {move || t().save_outcomes}
                    </button>
                </div>
            </form>
        </section>
    }
}

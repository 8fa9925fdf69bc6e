//! The end of a conversation in the console: the wrap-up form (success code, tags, category,
//! sub-category, note → `POST /api/v1/console/conversations/:id/outcome`), the visitor's rating
//! at the end of the transcript, and what the visitor box shows of who the visitor is (e-mail,
//! identity, pre-chat answers, goals, past conversations).

use leptos::prelude::*;
use parley_protocol::admin::FieldError;
use parley_protocol::api::ConversationList;
use parley_protocol::outcomes::{Outcome, OutcomeSettings, ReachedGoal};

use crate::api::{self, ConvSummary, SummaryExt};
use crate::form::{Field, FormError, Notice};
use crate::i18n::{fill, t, Texts};
use crate::list::status_label;
use crate::state::Ctx;
use crate::time::clock;

/// `Rating: Bad — “too slow”`, `Rating: Good`, `Not rated`; `None` while the visitor was not asked.
pub fn rating_line(t: &Texts, survey_result: &str, comment: &str) -> Option<String> {
    let rating = match survey_result {
        "" => return None,
        "not_rated" => return Some(t.not_rated.to_owned()),
        "good" => t.rating_good,
        "moderate" => t.rating_moderate,
        "bad" => t.rating_bad,
        other => other,
    };
    let comment = comment.trim();
    Some(if comment.is_empty() {
        fill(t.rating_line, &[("rating", rating)])
    } else {
        fill(t.rating_line_comment, &[("rating", rating), ("comment", comment)])
    })
}

/// A goal value as people write money: `49`, `49.90`.
fn amount(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// `Goals: Signed up (49), Saw pricing (5) · total 54`; `None` when no goal was reached.
pub fn goals_line(t: &Texts, goals: &[ReachedGoal]) -> Option<String> {
    if goals.is_empty() {
        return None;
    }
    let names: Vec<String> = goals.iter().map(|g| format!("{} ({})", g.name, amount(g.value))).collect();
    let total: f64 = goals.iter().map(|g| g.value).sum();
    Some(fill(t.goals_line, &[("goals", &names.join(", ")), ("total", &amount(total))]))
}

/// Tags typed as "vip, pricing".
pub fn split_tags(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

/// The outcome the form holds, checked with the account's lists (the server checks the same).
pub fn outcome_of(
    settings: &OutcomeSettings,
    code: &str,
    tags: &str,
    category: &str,
    sub: &str,
    note: &str,
) -> Result<Outcome, FieldError> {
    let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let o = Outcome {
        success_code: opt(code),
        tags: split_tags(tags),
        category: opt(category),
        sub_category: opt(sub),
        note: note.to_owned(),
    };
    o.validate(settings)
}

/// Options of a select: the known values, plus the current one when it is no longer listed (a
/// renamed code still shows what the conversation holds).
fn options_with(list: &[String], current: &str) -> Vec<String> {
    let mut v = list.to_vec();
    if !current.is_empty() && !v.iter().any(|x| x == current) {
        v.push(current.to_owned());
    }
    v
}

/// The wrap-up ("Close chat") form: shown once the chat has ended; shows the saved values.
#[component]
pub fn OutcomeForm(id: String, summary: Signal<Option<ConvSummary>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let settings = RwSignal::new(None::<OutcomeSettings>);
    let load_error = RwSignal::new(None::<String>);
    crate::form::load_into(settings, load_error, crate::net::get_json("/api/v1/console/outcome-settings"));

    let code = RwSignal::new(String::new());
    let tags = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let sub = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let err = RwSignal::new(None::<FieldError>);
    let saved = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // The stored values, once the summary is known (later list refreshes leave edits alone).
    let filled = StoredValue::new(false);
    Effect::new(move |_| {
        if filled.get_value() {
            return;
        }
        if let Some(c) = summary.get() {
            filled.set_value(true);
            code.set(c.success_code.unwrap_or_default());
            tags.set(c.tags.join(", "));
            category.set(c.category.unwrap_or_default());
            sub.set(c.sub_category.unwrap_or_default());
            note.set(c.note);
        }
    });

    let codes = move || settings.with(|s| options_with(s.as_ref().map_or(&[][..], |s| &s.success_codes), &code.get()));
    let categories = move || {
        let names: Vec<String> = settings
            .with(|s| s.as_ref().map(|s| s.categories.iter().map(|c| c.name.clone()).collect()).unwrap_or_default());
        options_with(&names, &category.get())
    };
    let subs = move || {
        let cat = category.get();
        let list: Vec<String> = settings.with(|s| {
            s.as_ref()
                .and_then(|s| s.categories.iter().find(|c| c.name == cat).map(|c| c.subs.clone()))
                .unwrap_or_default()
        });
        options_with(&list, &sub.get())
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(None);
        let Some(s) = settings.get_untracked() else {
            err.set(Some(FieldError::new("", t().outcome_loading)));
            return;
        };
        let body = match outcome_of(
            &s,
            &code.get_untracked(),
            &tags.get_untracked(),
            &category.get_untracked(),
            &sub.get_untracked(),
            &note.get_untracked(),
        ) {
            Ok(o) => o,
            Err(e) => {
                err.set(Some(e));
                return;
            }
        };
        err.set(None);
        busy.set(true);
        let id = id.clone();
        leptos::task::spawn_local(async move {
            let url = format!("/api/v1/console/conversations/{id}/outcome");
            match crate::net::post_json::<_, Outcome>(&url, &body).await {
                Ok(o) => {
                    code.try_set(o.success_code.clone().unwrap_or_default());
                    tags.try_set(o.tags.join(", "));
                    category.try_set(o.category.clone().unwrap_or_default());
                    sub.try_set(o.sub_category.clone().unwrap_or_default());
                    note.try_set(o.note.clone());
                    // The list shows it at once (the next poll brings the same).
                    ctx.convs.try_update(|cs| {
                        if let Some(c) = cs.iter_mut().find(|c| c.id == id) {
                            c.success_code = o.success_code;
                            c.tags = o.tags;
                            c.category = o.category;
                            c.sub_category = o.sub_category;
                            c.note = o.note;
                        }
                    });
                    saved.try_set(Some(t().outcome_saved.into()));
                }
                Err(e) => {
                    // The server's 400s name their field: shown next to it.
                    let sent = [
                        ("success_code", body.success_code.as_deref().unwrap_or_default()),
                        ("category", body.category.as_deref().unwrap_or_default()),
                        ("sub_category", body.sub_category.as_deref().unwrap_or_default()),
                    ];
                    err.try_set(Some(FieldError::new(e.field.as_str(), api::describe_with(&e, &sent))));
                }
            }
            busy.try_set(false);
        });
    };

    let select = move |label: fn(&'static Texts) -> &'static str,
                       field: &'static str,
                       value: RwSignal<String>,
                       options: Box<dyn Fn() -> Vec<String> + Send + Sync>,
                       on_change: Option<RwSignal<String>>| {
        let dom_id = format!("outcome-{field}");
        let err_id = format!("{dom_id}-error");
        let has_err = move || err.with(|e| e.as_ref().is_some_and(|e| e.field == field));
        view! {
            <div class="field adm-field">
                <label for=dom_id.clone()>{move || label(t())}</label>
                <select
                    id=dom_id
                    aria-invalid=move || has_err().then_some("true")
                    aria-describedby=move || has_err().then(|| format!("outcome-{field}-error"))
                    prop:value=move || value.get()
                    on:change=move |ev| {
                        value.set(event_target_value(&ev));
                        if let Some(dependent) = on_change {
                            dependent.set(String::new());
                        }
                    }
                >
                    <option value="" selected=move || value.get().is_empty()>"—"</option>
                    {move || {
                        options()
                            .into_iter()
                            .map(|o| {
                                let chosen = o.clone();
                                let label = o.clone();
                                view! {
                                    <option value=o selected=move || value.get() == chosen>
                                        {label}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
                {move || {
                    err.get()
                        .filter(|e| e.field == field)
                        .map(|e| view! { <p class="adm-field-error" id=err_id.clone() role="alert">{e.message}</p> })
                }}
            </div>
        }
    };

    view! {
        <details class="outcome" open>
            <summary>{move || t().close_chat}</summary>
            {move || load_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <form class="adm-form outcome-form" on:submit=submit>
                <div class="adm-grid">
                    {select(|t| t.success_code, "success_code", code, Box::new(codes), None)}
                    <Field
                        id="outcome-tags".into()
                        label=move || t().tags
                        field="tags"
                        value=tags
                        err
                        hint=move || t().tags_hint
                    />
                    {select(|t| t.category, "category", category, Box::new(categories), Some(sub))}
                    {select(|t| t.sub_category, "sub_category", sub, Box::new(subs), None)}
                </div>
                <Field id="outcome-note".into() label=move || t().note field="note" value=note err multiline=true />
                <FormError err fields=&["success_code", "tags", "category", "sub_category", "note"] />
                <div class="outcome-foot">
                    <button type="submit" class="btn btn-primary" prop:disabled=move || busy.get()>
                        {move || t().save_outcome}
                    </button>
                    <Notice note=saved />
                </div>
            </form>
        </details>
    }
}

/// The visitor's rating, at the end of the transcript (nothing while not asked yet).
#[component]
pub fn RatingNote(summary: Signal<Option<ConvSummary>>) -> impl IntoView {
    move || {
        summary
            .with(|s| s.as_ref().and_then(|c| rating_line(t(), &c.survey_result, &c.survey_comment)))
            .map(|text| view! { <p class="rating-note" role="status">{text}</p> })
    }
}

/// Who the visitor is: e-mail, identity, pre-chat answers, goals, and their past conversations.
#[component]
pub fn VisitorIdentity(summary: Signal<Option<ConvSummary>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let email = move || summary.with(|s| s.as_ref().map(|c| c.visitor_email.clone()).filter(|e| !e.is_empty()));
    let identity = move || {
        summary.with(|s| {
            s.as_ref().map(|c| {
                if c.anonymous {
                    t().anonymous.to_owned()
                } else {
                    fill(t().identified_as, &[("id", &c.visitor_identifier)])
                }
            })
        })
    };
    let prechat = move || summary.with(|s| s.as_ref().map(|c| c.prechat.clone()).unwrap_or_default());
    let goals = move || summary.with(|s| s.as_ref().and_then(|c| goals_line(t(), &c.goals)));

    // Past conversations of the same visitor id (fetched once per visitor).
    let past = RwSignal::new(Vec::<ConvSummary>::new());
    let visitor = Memo::new(move |_| summary.with(|s| s.as_ref().map(|c| (c.id.clone(), c.visitor_id.clone()))));
    Effect::new(move |_| {
        let Some((id, visitor_id)) = visitor.get() else { return };
        leptos::task::spawn_local(async move {
            let url = format!("/api/v1/console/conversations?visitor={}", js_sys::encode_uri_component(&visitor_id));
            if let Ok(list) = crate::net::get_json::<ConversationList>(&url).await {
                past.try_set(list.conversations.into_iter().filter(|c| c.id != id).collect());
            }
        });
    });

    view! {
        <div class="visitor-identity">
            <p class="visitor-identified">
                {identity}
                // Neither a pre-chat answer nor `Parley.identify`'s e-mail is proven (the identify
                // hash covers the user id only): say so.
                {move || {
                    email()
                        .map(|e| {
                            view! {
                                " · "
                                <span class="visitor-email">{e}</span>
                                " "
                                <span class="muted visitor-unverified">"(" {t().not_verified} ")"</span>
                            }
                        })
                }}
            </p>
            {move || {
                let answers = prechat();
                (!answers.is_empty())
                    .then(|| {
                        view! {
                            <dl class="visitor-prechat" aria-label=move || t().prechat_answers>
                                {answers
                                    .into_iter()
                                    .map(|(k, v)| view! { <dt>{k}</dt> <dd>{v}</dd> })
                                    .collect_view()}
                            </dl>
                        }
                    })
            }}
            {move || goals().map(|g| view! { <p class="visitor-goals">{g}</p> })}
            {move || {
                let list = past.get();
                (!list.is_empty())
                    .then(|| {
                        view! {
                            <details class="visitor-past">
                                <summary>{fill(t().past_conversations, &[("n", &list.len().to_string())])}</summary>
                                <ul>
                                    {list
                                        .into_iter()
                                        .map(|c| {
                                            let label = format!(
                                                "{} · {} · {}",
                                                clock(c.created_at as f64),
                                                status_label(c.status.as_str()),
                                                if c.preview().is_empty() { t().no_messages } else { c.preview() },
                                            );
                                            let open = c.clone();
                                            view! {
                                                <li>
                                                    <button
                                                        type="button"
                                                        class="btn-link"
                                                        on:click=move |_| ctx.open_conversation(&open)
                                                    >
                                                        {label}
                                                    </button>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </details>
                        }
                    })
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::EN;
    use parley_protocol::outcomes::Category;

    #[test]
    fn rating_lines() {
        assert_eq!(rating_line(&EN, "bad", " too slow "), Some("Rating: Bad — “too slow”".to_owned()));
        assert_eq!(rating_line(&EN, "good", ""), Some("Rating: Good".to_owned()));
        assert_eq!(rating_line(&EN, "not_rated", ""), Some("Not rated".to_owned()));
        assert_eq!(rating_line(&EN, "", ""), None);
        assert_eq!(
            rating_line(crate::i18n::texts_of(crate::i18n::Lang::Fr), "bad", "lent"),
            Some("Évaluation : Mauvais — « lent »".to_owned())
        );
    }

    #[test]
    fn goal_lines() {
        let g = |name: &str, value: f64| ReachedGoal { goal_id: name.into(), name: name.into(), value, at: 1 };
        assert_eq!(
            goals_line(&EN, &[g("Signed up", 49.0), g("Saw pricing", 5.0)]).as_deref(),
            Some("Goals: Signed up (49), Saw pricing (5) · total 54")
        );
        assert_eq!(goals_line(&EN, &[g("Checkout", 49.9)]).as_deref(), Some("Goals: Checkout (49.90) · total 49.90"));
        assert_eq!(goals_line(&EN, &[]), None);
    }

    #[test]
    fn form_values_to_outcome() {
        let settings = OutcomeSettings {
            success_codes: vec!["Sale".into()],
            categories: vec![Category { name: "Billing".into(), subs: vec!["Refund".into()] }],
            goals: Vec::new(),
        };
        let o = outcome_of(&settings, "Sale", " vip, , pricing ", "Billing", "Refund", " ok ").unwrap();
        assert_eq!(o.tags, vec!["vip", "pricing"]);
        assert_eq!(o.sub_category.as_deref(), Some("Refund"));
        assert_eq!(o.note, "ok");
        assert_eq!(outcome_of(&settings, "", "", "", "", "").unwrap(), Outcome::default());
        assert_eq!(outcome_of(&settings, "Win", "", "", "", "").unwrap_err().field, "success_code");
        assert_eq!(outcome_of(&settings, "", "", "", "Refund", "").unwrap_err().field, "sub_category");
        assert_eq!(options_with(&["A".into()], "B"), vec!["A", "B"]);
        assert_eq!(options_with(&["A".into()], ""), vec!["A"]);
    }
}

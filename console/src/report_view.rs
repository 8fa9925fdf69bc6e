//! How any computed report shows: [`ReportView`] (the period and zone, the chart, "Download CSV",
//! the table with a "Transcript" link per conversation row) and the transcript of one
//! conversation, [`TranscriptDialog`], opened by the URL `#/transcript/<conversation_id>`
//! (from a report row, or pasted: the console opens it after login).
//!
//! Choices:
//! - The table's header row is exactly `table.columns` (`th[data-col]`); when a row is about a
//!   conversation, one more column at the end holds its "Transcript" link (its header is named
//!   for screen readers only and carries no `data-col`).
//! - The header shows even when there are no rows ("No rows in this period." under it, and no
//!   chart).
//! - At most [`MAX_ROWS`] rows are drawn ("Showing 500 of N — download the CSV for all"); the
//!   CSV has them all.
//! - Cells are text (never HTML); cells that are numbers align right.
//! - The period shows as the local dates of the query's zone: From = the day `from` is in,
//!   To = the day of the last included instant (`to` − 1 ms).
//! - The transcript (`api::Transcript`) shows the times in the browser's zone
//!   (`YYYY-MM-DD HH:MM:SS`), each message's author (its name, else its role) and text as text,
//!   then the rating line (`outcome::rating_line`: "Rating: Bad — “…”", "Not rated"; "Not asked
//!   for a rating." while the visitor was not asked).

use crate::net::{get_json, HttpError};
use leptos::prelude::*;
use parley_protocol::api::{Transcript, TranscriptMessage};
use parley_reports::table::ReportResponse;
use wasm_bindgen::{JsCast, JsValue};

use crate::api;
use crate::charts::ChartView;

/// Most rows drawn in the console.
pub const MAX_ROWS: usize = 500;

/// The URL fragment of a conversation's transcript.
pub fn transcript_href(conversation_id: &str) -> String {
    format!("#/transcript/{}", String::from(js_sys::encode_uri_component(conversation_id)))
}

/// The conversation a fragment (`#/transcript/<id>`) opens.
pub fn transcript_of(hash: &str) -> Option<String> {
    let id = hash.strip_prefix("#/transcript/")?;
    let id = js_sys::decode_uri_component(id).ok().map(String::from)?;
    (!id.is_empty() && id.len() <= 128 && !id.contains('/')).then_some(id)
}

/// "Showing 500 of N — download the CSV for all", when rows were left out.
pub fn truncation_note(total: usize) -> Option<String> {
    (total > MAX_ROWS).then(|| {
        crate::i18n::fill(
            crate::i18n::t().showing_n_of,
            &[("shown", &MAX_ROWS.to_string()), ("total", &total.to_string())],
        )
    })
}

/// Whether a cell reads as a number (aligned right).
pub fn numeric(cell: &str) -> bool {
    let t = cell.trim().trim_end_matches('%');
    !t.is_empty() && t.parse::<f64>().is_ok()
}

/// `YYYY-MM-DD` of instant `ms` in zone `tz` (the browser's Intl), or the browser's zone if
/// Intl does not know `tz`.
fn local_date(ms: u64, tz: &str) -> String {
    let d = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"timeZone".into(), &tz.into());
    // en-CA writes dates as YYYY-MM-DD.
    match String::from(d.to_locale_date_string("en-CA", &opts)) {
        s if s.len() == 10 => s,
        _ => format!("{:04}-{:02}-{:02}", d.get_full_year(), d.get_month() + 1, d.get_date()),
    }
}

/// A computed report: title, period and zone, the chart (if any), the CSV link, the table.
/// `csv_href`: where "Download CSV" points (the same query as `response`); `None` hides it.
/// A row with a conversation gets a "Transcript" link to `#/transcript/<id>` (empty
/// `table.conversations` → no links, e.g. on a public page).
#[component]
pub fn ReportView(response: ReportResponse, csv_href: Option<String>) -> impl IntoView {
    let ReportResponse { query, title, table } = response;
    let total = table.rows.len();
    let links = table.conversations.iter().any(Option::is_some);
    let period = {
        let (from, to, tz) =
            (local_date(query.from, &query.tz), local_date(query.to.max(1) - 1, &query.tz), query.tz.clone());
        let has_period = query.to > query.from;
        move || {
            let t = crate::i18n::t();
            if has_period {
                crate::i18n::fill(t.period_times_in, &[("from", &from), ("to", &to), ("tz", &tz)])
            } else {
                crate::i18n::fill(t.times_in, &[("tz", &tz)])
            }
        }
    };
    let file = format!("{}.csv", query.report.slug());
    let download = csv_href.map(|href| {
        view! {
            <a class="btn btn-ghost adm-small rep-csv" href=href download=file>
                {move || crate::i18n::t().download_csv}
            </a>
        }
    });
    // No rows, no chart: "No rows in this period." says it once.
    let chart = table.chart.clone().filter(|_| total > 0).map(|chart| view! { <ChartView chart /> });
    let head =
        table.columns.iter().map(|c| view! { <th scope="col" data-col=c.clone()>{c.clone()}</th> }).collect_view();
    let action_head = links.then(|| {
        view! {
            <th scope="col" class="rep-row-actions">
                <span class="adm-sr">{move || crate::i18n::t().transcript}</span>
            </th>
        }
    });
    let rows = table
        .rows
        .iter()
        .take(MAX_ROWS)
        .enumerate()
        .map(|(i, row)| {
            let cells = row
                .iter()
                .map(|cell| {
                    // Long cells are cut with an ellipsis; the whole text is the tooltip.
                    let full = (cell.chars().count() > 40).then(|| cell.clone());
                    view! { <td class:adm-num=numeric(cell) title=full>{cell.clone()}</td> }
                })
                .collect_view();
            let conv = table.conversation(i).map(str::to_owned);
            let action = links.then(|| {
                let link = conv.clone().map(|id| {
                    view! {
                        <a
                            class="btn btn-ghost adm-small rep-transcript"
                            href=transcript_href(&id)
                            aria-label={
                                let id = id.clone();
                                move || crate::i18n::fill(crate::i18n::t().transcript_of, &[("id", &id)])
                            }
                        >
                            {move || crate::i18n::t().transcript}
                        </a>
                    }
                });
                view! { <td class="rep-row-actions">{link}</td> }
            });
            view! {
                <tr data-conversation=conv>
                    {cells}
                    {action}
                </tr>
            }
        })
        .collect_view();
    let caption = title.clone();
    let label = title.clone();
    view! {
        <section class="rep-view" aria-label=label data-report=query.report.slug()>
            <header class="rep-view-head">
                <h3>{title}</h3>
                <p class="muted rep-period">{period}</p>
                {download}
            </header>
            {chart}
            // The header shows even without rows: it says what the report holds. The box scrolls,
            // so it takes focus: keyboard users scroll it with the arrow keys.
            <div class="adm-table-wrap rep-table-wrap" tabindex="0" role="group" aria-label=move || crate::i18n::t().report_table>
                <table class="adm-table rep-table">
                    <caption class="adm-sr">{caption}</caption>
                    <thead>
                        <tr>{head} {action_head}</tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {(total == 0).then(|| view! { <p class="muted rep-empty">{move || crate::i18n::t().no_rows_period}</p> })}
            {truncation_note(total).map(|n| view! { <p class="rep-truncated" role="note">{n}</p> })}
        </section>
    }
}

/// Who wrote a message, as the transcript shows it: its author's name, else its role.
pub fn author_label(m: &TranscriptMessage) -> String {
    match m.author_name.trim() {
        "" => match m.role.as_str() {
            "visitor" => crate::i18n::t().role_visitor.to_owned(),
            "operator" => crate::i18n::t().role_operator_msg.to_owned(),
            "system" | "" => crate::i18n::t().role_system.to_owned(),
            other => other.to_owned(),
        },
        name => name.to_owned(),
    }
}

fn full_time(ms: u64) -> String {
    if ms == 0 {
        return String::new();
    }
    let d = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds()
    )
}

async fn load_transcript(id: String) -> Result<Transcript, HttpError> {
    let id = String::from(js_sys::encode_uri_component(&id));
    get_json(&format!("/api/v1/console/conversations/{id}/transcript")).await
}

/// This page's URL with `#/transcript/<id>`: the copyable link.
pub fn transcript_url(id: &str) -> String {
    let loc = parley_client::window().location();
    format!("{}{}{}", loc.origin().unwrap_or_default(), loc.pathname().unwrap_or_default(), transcript_href(id))
}

/// Copies `text` with the Clipboard API, else by selecting the text box and `execCommand`.
pub async fn copy_text(text: &str, fallback: Option<web_sys::HtmlInputElement>) -> bool {
    let win = parley_client::window();
    let clip = js_sys::Reflect::get(&win, &"navigator".into())
        .and_then(|n| js_sys::Reflect::get(&n, &"clipboard".into()))
        .ok()
        .filter(|c| !c.is_undefined() && !c.is_null());
    if let Some(clip) = clip {
        let write =
            js_sys::Reflect::get(&clip, &"writeText".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(promise) = write.and_then(|w| w.call1(&clip, &text.into()).ok()) {
            if let Ok(p) = promise.dyn_into::<js_sys::Promise>() {
                if wasm_bindgen_futures::JsFuture::from(p).await.is_ok() {
                    return true;
                }
            }
        }
    }
    let Some(el) = fallback else { return false };
    el.select();
    let exec = win
        .document()
        .and_then(|d| js_sys::Reflect::get(&d, &"execCommand".into()).ok().map(|f| (d, f)))
        .and_then(|(d, f)| f.dyn_into::<js_sys::Function>().ok().map(|f| (d, f)));
    exec.and_then(|(d, f)| f.call1(&d, &"copy".into()).ok()).and_then(|v| v.as_bool()).unwrap_or(false)
}

/// The transcript of conversation `id` in a dialog: each message (time, author, text), the
/// rating at the end, and "Copy link". `on_close` runs on "Close" and Escape.
#[component]
pub fn TranscriptDialog(id: String, on_close: Callback<()>) -> impl IntoView {
    let doc = RwSignal::new(None::<Transcript>);
    let error = RwSignal::new(None::<String>);
    let copied = RwSignal::new(None::<&'static str>);
    let link_box = NodeRef::<leptos::html::Input>::new();
    // Focus starts in the dialog (its Close button), so Escape and Tab work at once.
    let close_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = close_button.get() {
            let _ = b.focus();
        }
    });
    {
        let id = id.clone();
        leptos::task::spawn_local(async move {
            match load_transcript(id).await {
                Ok(d) => {
                    doc.try_set(Some(d));
                }
                Err(e) => {
                    let msg = if e.status == 404 {
                        crate::i18n::t().no_such_conversation.to_owned()
                    } else {
                        api::describe(&e)
                    };
                    error.try_set(Some(msg));
                }
            }
        });
    }
    let url = transcript_url(&id);
    let copy = {
        let url = url.clone();
        move |_| {
            let url = url.clone();
            let el = link_box.get_untracked();
            leptos::task::spawn_local(async move {
                let ok = copy_text(&url, el).await;
                copied.try_set(Some(if ok { crate::i18n::t().link_copied } else { crate::i18n::t().copy_from_box }));
            });
        }
    };
    let body = move || {
        if let Some(e) = error.get() {
            return view! { <p class="error" role="alert">{e}</p> }.into_any();
        }
        let Some(d) = doc.get() else {
            return view! { <p class="muted" role="status">{move || crate::i18n::t().loading}</p> }.into_any();
        };
        let rating = crate::outcome::rating_line(crate::i18n::t(), &d.survey_result, &d.survey_comment);
        let lines = d
            .messages
            .iter()
            .map(|m| {
                let role = if m.role.is_empty() { "system" } else { m.role.as_str() };
                view! {
                    <li class=format!("rep-msg rep-msg-{role}")>
                        <time class="rep-msg-time muted">{full_time(m.at)}</time>
                        <strong class="rep-msg-author">{author_label(m)}</strong>
                        <span class="rep-msg-text">{m.text.clone()}</span>
                        {m.attachment.clone().map(|file| {
                            view! { <crate::panel::FileBox conversation=d.conversation.id.0.clone() file /> }
                        })}
                    </li>
                }
            })
            .collect_view();
        let c = &d.conversation;
        let about = crate::i18n::fill(
            crate::i18n::t().transcript_about,
            &[("channel", &c.channel_id), ("when", &full_time(c.created_at)), ("status", c.status.as_str())],
        );
        let empty =
            d.messages.is_empty().then(|| view! { <li class="muted">{move || crate::i18n::t().no_messages_dot}</li> });
        view! {
            <p class="muted rep-transcript-about">{about}</p>
            <ol class="rep-transcript-lines">{lines} {empty}</ol>
            <p class="rep-transcript-rating">{rating.unwrap_or_else(|| crate::i18n::t().not_asked_rating.to_owned())}</p>
        }
        .into_any()
    };
    let close = move |_| on_close.run(());
    view! {
        <div class="rep-overlay" on:click=move |ev| {
            // A click on the backdrop (not inside the dialog) closes it.
            if ev.target() == ev.current_target() {
                on_close.run(());
            }
        }>
            <div
                class="rep-dialog"
                role="dialog"
                aria-modal="true"
                aria-labelledby="rep-transcript-title"
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Escape" {
                        on_close.run(());
                    }
                }
            >
                <header class="rep-dialog-head">
                    <h2 id="rep-transcript-title">{move || crate::i18n::t().transcript}</h2>
                    <button type="button" class="btn btn-ghost adm-small" on:click=close node_ref=close_button>
                        {move || crate::i18n::t().close}
                    </button>
                </header>
                <p class="muted rep-transcript-id">{move || crate::i18n::t().conversation_space} <code>{id.clone()}</code></p>
                <div class="rep-copy">
                    <label class="adm-sr" for="rep-transcript-link">{move || crate::i18n::t().link_to_transcript}</label>
                    <input id="rep-transcript-link" class="rep-link-box" readonly prop:value=url node_ref=link_box />
                    <button type="button" class="btn btn-primary adm-small" on:click=copy>
                        {move || crate::i18n::t().copy_link}
                    </button>
                    <span class="rep-copied" role="status">{move || copied.get()}</span>
                </div>
                <div class="rep-transcript-body">{body}</div>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_only_past_the_limit() {
        assert_eq!(truncation_note(500), None);
        assert_eq!(truncation_note(0), None);
        assert_eq!(truncation_note(1234).as_deref(), Some("Showing 500 of 1234 — download the CSV for all"));
    }

    #[test]
    fn numbers_align_right() {
        assert!(numeric("12"));
        assert!(numeric("-3.5"));
        assert!(numeric("40%"));
        assert!(!numeric(""));
        assert!(!numeric("2026-11-24 10:00:00"));
        assert!(!numeric("op1"));
    }

    #[test]
    fn authors_by_name_else_role() {
        let m = |role: &str, name: &str| TranscriptMessage {
            seq: 1,
            role: role.into(),
            author_name: name.into(),
            text: "<b>hi</b>".into(),
            at: 5,
            attachment: None,
        };
        assert_eq!(author_label(&m("visitor", "")), "Visitor");
        assert_eq!(author_label(&m("operator", " Ann ")), "Ann");
        assert_eq!(author_label(&m("operator", "")), "Operator");
        assert_eq!(author_label(&m("", "")), "System");
    }
}

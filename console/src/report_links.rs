//! Public report links in the console (`parley_reports::links`):
//!
//! - [`ShareLink`]: next to a shown report, "Share link" opens a small form (optional title and
//!   expiry in days) that creates a link to exactly that report and query, then shows its URL
//!   with "Copy".
//! - [`SharedLinks`]: the account's links (report, title, created, expires, status) with
//!   "Revoke"; loaded when opened and after each change.
//! - [`SharedReport`]: the public page. When the console's URL is `#/shared/<slug>?<signed
//!   query>`, `app.rs` shows only this, before any login check: the report fetched from the
//!   public API, read-only ([`ReportView`] without transcript links, whose pages need a login),
//!   its CSV from the public `.csv` URL, or the refusal as a sentence ("This link was
//!   revoked.", "This link has expired.", "This link is not valid.").

use crate::net::{get_json, post_json, HttpError};
use leptos::prelude::*;
use parley_protocol::admin::FieldError;
use parley_protocol::limits::{REPORT_LINK_DEFAULT_TTL_MS, REPORT_LINK_MAX_TTL_MS};
use parley_reports::links::{api_url, LinkQuery, ReportLinkList, ReportLinkRequest, ReportLinkView, PAGE_PREFIX};
use parley_reports::query::{ReportId, ReportQuery};
use parley_reports::table::ReportResponse;
use wasm_bindgen::JsCast;

use crate::api;
use crate::report_view::ReportView;

const BASE: &str = "/api/v1/console/report-links";
const DAY_MS: f64 = 24.0 * 60.0 * 60.0 * 1000.0;
/// Longest expiry offered, in days: the edge's limit (`REPORT_LINK_MAX_TTL_MS`, 366 days).
const MAX_DAYS: u32 = (REPORT_LINK_MAX_TTL_MS / 86_400_000) as u32;
/// The expiry of a link created without one, in days (`REPORT_LINK_DEFAULT_TTL_MS`, 30 days).
const DEFAULT_DAYS: u32 = (REPORT_LINK_DEFAULT_TTL_MS / 86_400_000) as u32;

/// A public link's page as the URL fragment holds it: `#/shared/<slug>?<query>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shared {
    pub slug: String,
    pub query: String,
}

/// The public link a URL fragment opens, if it is one.
pub fn shared_of(hash: &str) -> Option<Shared> {
    // PAGE_PREFIX is `/console/` + this fragment.
    let rest = hash.strip_prefix(PAGE_PREFIX.trim_start_matches("/console/"))?;
    let (slug, query) = rest.split_once('?').unwrap_or((rest, ""));
    ReportId::from_slug(slug)?;
    Some(Shared { slug: slug.to_owned(), query: query.to_owned() })
}

/// The sentence for a failed public report.
fn refusal_text(e: &HttpError) -> String {
    api::describe(e)
}

/// The public page of a link: the report read-only, or why it cannot be shown.
#[component]
pub fn SharedReport(link: Shared) -> impl IntoView {
    let report = RwSignal::new(None::<ReportResponse>);
    let error = RwSignal::new(None::<String>);
    let json = api_url(&link.slug, &link.query, false);
    let csv = api_url(&link.slug, &link.query, true);
    leptos::task::spawn_local(async move {
        match get_json::<ReportResponse>(&json).await {
            Ok(mut r) => {
                // Transcripts open only for operators who log in: no links on a public page.
                r.table.conversations.clear();
                report.try_set(Some(r));
            }
            Err(e) => {
                error.try_set(Some(refusal_text(&e)));
            }
        }
    });
    // Another link (or the console) pasted into this tab changes only the fragment: load it.
    window_event_listener_untyped("hashchange", |_| {
        let _ = parley_client::window().location().reload();
    });
    Effect::new(move |_| {
        if let (Some(r), Some(doc)) = (report.get(), parley_client::window().document()) {
            doc.set_title(&format!("{} · Parley", r.title));
        }
    });
    view! {
        <div class="shell shared-report">
            <header class="topbar">
                <div class="brand">
                    <crate::app::Logo />
                    <span>{move || crate::i18n::t().parley_report}</span>
                </div>
                <span class="muted">{move || crate::i18n::t().shared_read_only}</span>
            </header>
            <main class="main shared-main">
                {move || {
                    if let Some(e) = error.get() {
                        view! { <p class="error shared-refused" role="alert">{e}</p> }.into_any()
                    } else if let Some(response) = report.get() {
                        let csv_href = Some(csv.clone());
                        view! { <ReportView response csv_href /> }.into_any()
                    } else {
                        view! { <p class="muted" role="status">{move || crate::i18n::t().loading}</p> }.into_any()
                    }
                }}
            </main>
        </div>
    }
}

/// The expiry of a new link: empty = none given (the edge then sets its default,
/// [`DEFAULT_DAYS`]), else whole days from now, at most [`MAX_DAYS`].
fn expiry_of(days: &str, now: f64) -> Result<Option<u64>, FieldError> {
    let days = days.trim();
    if days.is_empty() {
        return Ok(None);
    }
    match days.parse::<u32>() {
        Ok(d) if (1..=MAX_DAYS).contains(&d) => Ok(Some((now + f64::from(d) * DAY_MS) as u64)),
        _ => Err(FieldError::new(
            "expires_at",
            crate::i18n::fill(
                crate::i18n::t().give_whole_days,
                &[("max", &MAX_DAYS.to_string()), ("default", &DEFAULT_DAYS.to_string())],
            ),
        )),
    }
}

/// The hint under the expiry: what an empty field means and the longest expiry.
fn expiry_hint(t: &crate::i18n::Texts) -> String {
    crate::i18n::fill(t.expiry_hint, &[("default", &DEFAULT_DAYS.to_string()), ("max", &MAX_DAYS.to_string())])
}

/// This console's origin, so a link is absolute.
fn origin() -> String {
    parley_client::window().location().origin().unwrap_or_default()
}

/// "Share link" for the report `query` shows: creates a public link to it.
#[component]
pub fn ShareLink(query: ReportQuery) -> impl IntoView {
    let open = RwSignal::new(false);
    let title = RwSignal::new(String::new());
    let days = RwSignal::new(String::new());
    let err = RwSignal::new(None::<FieldError>);
    let busy = RwSignal::new(false);
    let created = RwSignal::new(None::<ReportLinkView>);
    let copied = RwSignal::new(None::<&'static str>);
    let link_box = NodeRef::<leptos::html::Input>::new();
    let query = StoredValue::new(query);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let expires_at = match expiry_of(&days.get_untracked(), js_sys::Date::now()) {
            Ok(e) => e,
            Err(e) => return err.set(Some(e)),
        };
        let q = query.get_value();
        let body = ReportLinkRequest {
            report: q.report.slug().to_owned(),
            query: LinkQuery::Canonical(q.canonical()),
            title: title.get_untracked(),
            expires_at,
        };
        busy.set(true);
        err.set(None);
        copied.set(None);
        leptos::task::spawn_local(async move {
            match post_json::<_, ReportLinkView>(BASE, &body).await {
                Ok(v) => {
                    created.try_set(Some(v));
                }
                Err(e) => {
                    err.try_set(Some(FieldError::new(&e.field, api::describe(&e))));
                }
            }
            busy.try_set(false);
        });
    };
    let copy = move |_| {
        let Some(v) = created.get_untracked() else { return };
        let url = format!("{}{}", origin(), v.url);
        let el = link_box.get_untracked();
        leptos::task::spawn_local(async move {
            let ok = crate::report_view::copy_text(&url, el).await;
            copied.try_set(Some(if ok { crate::i18n::t().link_copied } else { crate::i18n::t().copy_from_box }));
        });
    };
    let field_error = move |f: &'static str| {
        move || err.get().filter(|e| e.field == f).map(|e| view! { <p class="error" role="alert">{e.message}</p> })
    };
    let other_error = move || {
        err.get()
            .filter(|e| e.field != "title" && e.field != "expires_at")
            .map(|e| view! { <p class="error" role="alert">{e.message}</p> })
    };
    view! {
        <div class="rep-share">
            <button
                type="button"
                class="btn btn-ghost adm-small"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {move || crate::i18n::t().share_link}
            </button>
            <Show when=move || open.get()>
                <form class="rep-share-form" aria-label=move || crate::i18n::t().share_link on:submit=create>
                    <p class="muted">
                        {move || crate::i18n::t().share_intro}
                    </p>
                    <label for="rep-share-title">{move || crate::i18n::t().title_optional}</label>
                    <input
                        id="rep-share-title"
                        type="text"
                        maxlength="120"
                        prop:value=move || title.get()
                        on:input=move |ev| title.set(event_target_value(&ev))
                    />
                    {field_error("title")}
                    <label for="rep-share-days">{move || crate::i18n::t().expires_after_days}</label>
                    <input
                        id="rep-share-days"
                        type="number"
                        min="1"
                        max=MAX_DAYS.to_string()
                        placeholder=DEFAULT_DAYS.to_string()
                        aria-describedby="rep-share-days-hint"
                        prop:value=move || days.get()
                        on:input=move |ev| days.set(event_target_value(&ev))
                    />
                    <p id="rep-share-days-hint" class="muted">
                        {move || expiry_hint(crate::i18n::t())}
                    </p>
                    {field_error("expires_at")}
                    {other_error}
                    <button type="submit" class="btn btn-primary adm-small" disabled=move || busy.get()>
                        {move || crate::i18n::t().create_link}
                    </button>
                    {move || {
                        created
                            .get()
                            .map(|v| {
                                let url = format!("{}{}", origin(), v.url);
                                view! {
                                    <div class="rep-link-row">
                                        <label for="rep-share-url">{move || crate::i18n::t().link}</label>
                                        <input
                                            id="rep-share-url"
                                            class="rep-link-box"
                                            readonly
                                            prop:value=url
                                            node_ref=link_box
                                        />
                                        <button type="button" class="btn btn-primary adm-small" on:click=copy>
                                            {move || crate::i18n::t().copy}
                                        </button>
                                        <span role="status">{move || copied.get()}</span>
                                    </div>
                                }
                            })
                    }}
                </form>
            </Show>
        </div>
    }
}

/// A date and time in the browser's zone (`YYYY-MM-DD HH:MM`).
fn when(ms: u64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// "Shared links": the account's public links, with "Revoke".
#[component]
pub fn SharedLinks() -> impl IntoView {
    let links = RwSignal::new(None::<Vec<ReportLinkView>>);
    let error = RwSignal::new(None::<String>);
    let load = move || {
        leptos::task::spawn_local(async move {
            match get_json::<ReportLinkList>(BASE).await {
                Ok(l) => {
                    links.try_set(Some(l.links));
                    error.try_set(None);
                }
                Err(e) => {
                    error.try_set(Some(api::describe(&e)));
                }
            }
        });
    };
    let revoke = move |id: String| {
        leptos::task::spawn_local(async move {
            let url = format!("{BASE}/{}/revoke", String::from(js_sys::encode_uri_component(&id)));
            match post_json::<_, ReportLinkView>(&url, &serde_json::json!({})).await {
                Ok(v) => {
                    links.try_update(|l| {
                        if let Some(row) = l.iter_mut().flatten().find(|r| r.id == v.id) {
                            *row = v;
                        }
                    });
                }
                Err(e) => {
                    error.try_set(Some(api::describe(&e)));
                }
            }
        });
    };
    let toggle = move |ev: leptos::ev::Event| {
        let open = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
            .map(|el| el.has_attribute("open"))
            .unwrap_or(false);
        if open {
            load();
        }
    };
    let table = move || {
        let now = js_sys::Date::now() as u64;
        let rows = links.get()?;
        if rows.is_empty() {
            return Some(view! { <p class="muted">{move || crate::i18n::t().no_shared_links}</p> }.into_any());
        }
        let rows = rows
            .into_iter()
            .map(|l| {
                let status = l.status(now);
                let report = ReportId::from_slug(&l.report).map_or(l.report.clone(), |r| r.title().to_owned());
                let id = l.id.clone();
                let label = crate::i18n::fill(
                crate::i18n::t().revoke_link,
                &[("title", if l.title.is_empty() { &report } else { &l.title })],
            );
                let action = (status != "revoked").then(|| {
                    view! {
                        <button
                            type="button"
                            class="btn btn-ghost adm-small"
                            aria-label=label
                            on:click=move |_| revoke(id.clone())
                        >
                            {move || crate::i18n::t().revoke}
                        </button>
                    }
                });
                let href = format!("{}{}", origin(), l.url);
                view! {
                    <tr data-link=l.id.clone()>
                        <td>{report}</td>
                        <td>
                            <a href=href target="_blank" rel="noopener">
                                {if l.title.is_empty() { crate::i18n::t().untitled.to_owned() } else { l.title.clone() }}
                            </a>
                        </td>
                        <td>{when(l.created_at)}</td>
                        <td>{l.expires_at.map_or(crate::i18n::t().never.to_owned(), when)}</td>
                        <td class=format!("rep-link-{status}")>{status}</td>
                        <td>{action}</td>
                    </tr>
                }
            })
            .collect_view();
        Some(
            view! {
                <crate::form::DataTable
                    class="rep-links"
                    headers=|t| vec![t.report, t.title, t.created, t.expires, t.status, ""]
                >
                    {rows}
                </crate::form::DataTable>
            }
            .into_any(),
        )
    };
    view! {
        <details class="rep-shared-links" on:toggle=toggle>
            <summary>{move || crate::i18n::t().shared_links}</summary>
            <button type="button" class="btn btn-ghost adm-small" on:click=move |_| load()>
                {move || crate::i18n::t().refresh}
            </button>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {table}
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_fragments() {
        let s = shared_of("#/shared/by_hour?from=1&to=2&tz=UTC&account=a&link=l&expires=0&sig=ab").unwrap();
        assert_eq!(s.slug, "by_hour");
        assert_eq!(s.query, "from=1&to=2&tz=UTC&account=a&link=l&expires=0&sig=ab");
        assert_eq!(shared_of("#/shared/conversations").map(|s| s.query), Some(String::new()));
        assert_eq!(shared_of("#/shared/nope?from=1"), None);
        assert_eq!(shared_of("#/transcript/c_1"), None);
        assert_eq!(shared_of(""), None);
        assert_eq!(shared_of("/shared/by_hour?x"), None);
    }

    #[test]
    fn expiry_in_days() {
        assert_eq!(expiry_of(" ", 1000.0), Ok(None));
        assert_eq!(expiry_of("2", 1000.0), Ok(Some(1000 + 2 * 86_400_000)));
        // At most the edge's longest lifetime (366 days); empty is the edge's default (30).
        assert_eq!((MAX_DAYS, DEFAULT_DAYS), (366, 30));
        assert_eq!(expiry_of("366", 0.0), Ok(Some(REPORT_LINK_MAX_TTL_MS)));
        for bad in ["0", "-1", "1.5", "x", "367", "3650"] {
            let e = expiry_of(bad, 0.0).unwrap_err();
            assert_eq!(e.field, "expires_at", "{bad}");
            assert!(e.message.contains("366") && e.message.contains("30"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn the_expiry_hint_says_the_default_and_the_longest_in_every_language() {
        for l in crate::i18n::LANGS {
            let t = crate::i18n::texts_of(l);
            let hint = expiry_hint(t);
            assert!(hint.contains("30") && hint.contains("366"), "{}: {hint}", l.code());
            // Nothing says an empty expiry means "never" any more.
            let label = t.expires_after_days.to_lowercase();
            assert!(!label.contains(&t.never.to_lowercase()), "{}: {label}", l.code());
        }
    }

    #[test]
    fn refusal_sentences() {
        use parley_reports::links::Refusal;
        let e = |status, code: &str| HttpError { status, code: code.into(), message: "m".into(), ..Default::default() };
        assert_eq!(refusal_text(&e(410, "revoked")), "This link was revoked.");
        assert_eq!(refusal_text(&e(410, "expired")), "This link has expired.");
        assert_eq!(refusal_text(&e(403, "bad_signature")), "This link is not valid.");
        assert_eq!(refusal_text(&e(500, "internal")), "Something went wrong on the server; try again.");
        assert_eq!(refusal_text(&e(500, "kaput")), "m", "a code the console does not know");
        // The console's English is the reports crate's.
        for code in ["revoked", "expired", "bad_signature"] {
            assert_eq!(refusal_text(&e(410, code)), Refusal::from_code(code).unwrap().message(), "{code}");
        }
    }
}

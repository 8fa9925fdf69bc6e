//! The report engine's endpoints (issue 7) and the facts loader they read.
//!
//! - `GET /api/v1/reports/:slug?<query>` (admins of the account): JSON
//!   [`ReportResponse`] — the query read by `ReportQuery::parse` (400 `invalid` naming the
//!   field; 404 for an unknown report; the account's time zone when `tz` is absent), the facts
//!   of the account and period loaded from D1 ([`load_facts`]), computed by
//!   `parley_reports::compute`.
//! - `GET /api/v1/reports/:slug.csv?<query>`: the same table as CSV, **streamed**. The
//!   `conversations` export and the sessions history are computed page by page (500
//!   conversations at a time — `PARLEY_REPORT_CSV_PAGE` — ordered by `(created_at, id)` like
//!   their rows, each page with only its own child rows: their rows are per conversation, so the
//!   pages joined are the whole report), so a long period never sits in memory whole; every
//!   other report is computed whole and its CSV sent in chunks (message history among them: its
//!   rows are ordered by message time across conversations, which pages would not keep).
//! - `GET /api/v1/console/reports/{invites,traffic,ratings}[.csv]?from=MS&to=MS[&channel=ID][&tz=ZONE]`
//!   (admins; the console's "Invites & traffic" view): the same engine — the query read by
//!   `query::console_period` (UTC unless `tz`; 400 `malformed`), the facts by [`load_facts`],
//!   the rows by `exports::invite_rows` / `exports::traffic_rows` / `sessions::rating_rows` as
//!   JSON `{rows}`, or the engine's table as a CSV download (`automatic-invites.csv`,
//!   `traffic.csv`, `ratings.csv`).
//! - `GET /api/v1/console/conversations/:id/transcript` (any operator of the account): the
//!   conversation's messages from D1 (`api::Transcript`).
//!
//! [`respond`] is the one entry for the console's endpoints and public links alike. Every
//! statement is in `crate::store::reports` (bound parameters, paged reads).

use crate::store::{Db, Shard};
use futures_util::stream;
use parley_protocol::api::Transcript;
use parley_reports::exports::{invite_rows, traffic_rows};
use parley_reports::facts::Facts;
use parley_reports::query::{console_period, Reads, ReportId, ReportQuery};
use parley_reports::sessions::rating_rows;
use parley_reports::table::ReportResponse;
use parley_reports::{compute, Ctx, InviteReport, RatingsReport, TrafficReport};
use worker::{Env, Request, Response, Result};

use crate::guard::Admin;
use crate::http::{self, fail};
use crate::store::operators::OperatorRow;
use crate::store::reports::{self as store, Cursor, Span};
use crate::util::now;
use parley_protocol::error::ErrorCode;

/// Bytes per chunk of a CSV computed whole.
const CSV_CHUNK: usize = 64 * 1024;

/// `GET /api/v1/console/reports/:which` (`which`: `invites`, `traffic`, `ratings`, each also
/// with `.csv`): the console's "Invites & traffic" view, from the engine.
pub async fn console_view(req: Request, env: &Env, op: &Admin, which: &str) -> Result<Response> {
    let (slug, csv) = match which.strip_suffix(".csv") {
        Some(s) => (s, true),
        None => (which, false),
    };
    let (report, filename) = match slug {
        "invites" => (ReportId::Invites, "automatic-invites.csv"),
        "traffic" => (ReportId::Traffic, "traffic.csv"),
        "ratings" => (ReportId::Ratings, "ratings.csv"),
        _ => return fail(ErrorCode::NotFound, "no such report"),
    };
    let url = req.url()?;
    let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let t = now().0;
    let q = match console_period(report, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), t) {
        Ok(q) => q,
        Err(msg) => return fail(ErrorCode::Malformed, &msg),
    };
    let facts = load_facts(env, &op.account_id, &q, report.console_reads()).await?;
    let ctx = Ctx::new(&q, &facts, t, "");
    if csv {
        let text = compute(&ctx).to_csv().map_err(worker::Error::RustError)?;
        let headers = worker::Headers::new();
        headers.set("Content-Type", "text/csv; charset=utf-8")?;
        headers.set("Content-Disposition", &format!("attachment; filename=\"{filename}\""))?;
        return Ok(Response::ok(text)?.with_headers(headers));
    }
    match report {
        ReportId::Invites => http::json(&InviteReport { rows: invite_rows(&ctx) }),
        ReportId::Traffic => {
            http::json(&TrafficReport { rows: traffic_rows(&ctx).into_iter().map(|(_, r)| r).collect() })
        }
        _ => http::json(&RatingsReport { rows: rating_rows(&ctx) }),
    }
}

/// `GET /api/v1/reports/:slug[.csv]` (`slug` as it appears in the path).
pub async fn report(req: Request, env: &Env, op: &Admin, slug: &str) -> Result<Response> {
    let (slug, csv) = match slug.strip_suffix(".csv") {
        Some(s) => (s, true),
        None => (slug, false),
    };
    if ReportId::from_slug(slug).is_none() {
        return fail(ErrorCode::NotFound, "no such report");
    }
    let url = req.url()?;
    let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let tz = account_time_zone(&crate::store::directory(env)?, &op.account_id).await?;
    let q = match ReportQuery::parse(slug, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), &tz) {
        Ok(q) => q,
        Err(e) => return http::invalid(e),
    };
    respond(env, &url.origin().ascii_serialization(), &op.account_id, q, csv).await
}

/// Answers report `q` for `account_id`: JSON [`ReportResponse`], or (`csv`) the streamed CSV
/// download. Transcripts are linked at `<req_origin>/console/#/transcript/<id>`. The caller has
/// checked who may see the account's reports.
pub async fn respond(env: &Env, req_origin: &str, account_id: &str, q: ReportQuery, csv: bool) -> Result<Response> {
    let base = format!("{req_origin}/console/#/transcript/");
    if csv && matches!(q.report, ReportId::Conversations | ReportId::Sessions) {
        let shard = crate::store::shard(env, account_id).await?;
        let statics = load_statics(&crate::store::directory(env)?, &shard, account_id, &q).await?;
        return paged_csv(shard, account_id.to_owned(), q, base, statics, csv_page(env)?);
    }
    let mut facts = load_facts(env, account_id, &q, q.report.reads()).await?;
    crate::files::sign_media_links(env, req_origin, account_id, &mut facts.messages)?;
    let table = compute(&Ctx::new(&q, &facts, now().0, &base));
    if !csv {
        return http::json(&ReportResponse { title: q.report.title().to_owned(), query: q, table });
    }
    let text = table.to_csv().map_err(worker::Error::RustError)?;
    let chunks: Vec<Result<Vec<u8>>> = text.as_bytes().chunks(CSV_CHUNK).map(|c| Ok(c.to_vec())).collect();
    csv_stream(stream::iter(chunks), q.report.slug())
}

fn csv_stream<S>(body: S, slug: &str) -> Result<Response>
where
    S: futures_util::TryStream + 'static,
    S::Ok: Into<Vec<u8>>,
    S::Error: Into<worker::Error>,
{
    let headers = worker::Headers::new();
    headers.set("Content-Type", "text/csv; charset=utf-8")?;
    headers.set("Content-Disposition", &format!("attachment; filename=\"{slug}.csv\""))?;
    use futures_util::TryStreamExt as _;
    // The body keeps counting for this request while it streams (`cost::follow`).
    Ok(Response::from_stream(crate::cost::follow(body.into_stream()))?.with_headers(headers))
}

/// Conversations per streamed CSV page (`PARLEY_REPORT_CSV_PAGE`, default `parley_core::config::REPORT_CSV_PAGE`).
fn csv_page(env: &Env) -> Result<usize> {
    Ok(crate::config::get(env)?.report_csv_page)
}

/// Streams a per-conversation report page by page: each page's rows are computed from its own
/// `page` conversations and their child rows only (the rows of these reports are per
/// conversation and in `(created_at, id)` order, so the pages joined are the whole report).
fn paged_csv(
    d1: Shard,
    account: String,
    q: ReportQuery,
    base: String,
    statics: Facts,
    page: usize,
) -> Result<Response> {
    struct State {
        d1: Shard,
        account: String,
        q: ReportQuery,
        base: String,
        statics: Facts,
        after: Cursor,
        first: bool,
        done: bool,
    }
    let slug = q.report.slug();
    let init = State { d1, account, q, base, statics, after: Cursor::start(), first: true, done: false };
    let body = stream::unfold(init, move |mut st| async move {
        if st.done {
            return None;
        }
        let span = Span { account: &st.account, from: st.q.from, to: st.q.to, after: st.after.clone(), limit: page };
        let step = async {
            let conversations = store::conversations(&st.d1, &span).await?;
            let mut facts = st.statics.clone();
            facts.messages = store::messages(&st.d1, &span).await?;
            facts.assignments = store::assignments(&st.d1, &span).await?;
            facts.blocks = store::blocks(&st.d1, &span).await?;
            let next = conversations.last().map(Cursor::after);
            let full = conversations.len() == page;
            facts.conversations = conversations;
            let table = compute(&Ctx::new(&st.q, &facts, now().0, &st.base));
            let mut text = table.to_csv().map_err(worker::Error::RustError)?;
            if !st.first {
                // The header goes once, with the first page.
                text = text.split_once('\n').map(|(_, rows)| rows.to_owned()).unwrap_or_default();
            }
            Ok::<_, worker::Error>((text, next, full))
        };
        match step.await {
            Ok((text, next, full)) => {
                st.first = false;
                st.done = !full;
                if let Some(next) = next {
                    st.after = next;
                }
                Some((Ok::<Vec<u8>, worker::Error>(text.into_bytes()), st))
            }
            Err(e) => {
                worker::console_error!("report CSV stopped: {e}");
                st.done = true;
                Some((Err(e), st))
            }
        }
    });
    csv_stream(body, slug)
}

// ---------------------------------------------------------------------------------------------
// The facts loader (its statements: `crate::store::reports`).

/// Loads everything report `q` reads for `account_id`, as [`Facts`] documents "in the period":
/// the account's agents, channels, hosts and entry points; activity intervals from
/// `q.activity_since()` to `to`; tallies whose hour starts in `[from, to)`; and as the report
/// `reads` (`ReportId::reads`, or `console_reads` for the console's older views):
/// conversations created in `[from, to)` (and those closed in it when asked) and their
/// messages, assignments and blocks.
pub async fn load_facts(env: &Env, account_id: &str, q: &ReportQuery, reads: Reads) -> Result<Facts> {
    let d1 = crate::store::shard(env, account_id).await?;
    let mut facts = load_statics(&crate::store::directory(env)?, &d1, account_id, q).await?;
    if !reads.conversations {
        return Ok(facts);
    }
    let span = Span { account: account_id, from: q.from, to: q.to, after: Cursor::start(), limit: usize::MAX };
    facts.conversations = store::conversations(&d1, &span).await?;
    if reads.children {
        facts.messages = store::messages(&d1, &span).await?;
        facts.assignments = store::assignments(&d1, &span).await?;
        facts.blocks = store::blocks(&d1, &span).await?;
    }
    if reads.closed_in_period {
        facts.conversations.extend(store::closed_before_created(&d1, account_id, q.from, q.to).await?);
    }
    Ok(facts)
}

/// The account's zone (`accounts.time_zone`), UTC when unset.
pub(crate) async fn account_time_zone(d1: &Db, account_id: &str) -> Result<String> {
    store::account_time_zone(d1, account_id).await
}

/// Everything but the period's conversations and their child rows: the account's settings
/// from the directory (`d1`), its activity and tallies from its shard.
async fn load_statics(d1: &Db, shard: &Shard, account_id: &str, q: &ReportQuery) -> Result<Facts> {
    let account = store::account(d1, account_id).await?;
    let entry_points = store::entry_points(d1, account_id).await?;
    Ok(Facts {
        accounts: vec![account.clone()],
        account,
        agents: store::agents(d1, account_id).await?,
        channels: store::channels(d1, account_id).await?,
        hosts: store::hosts(d1, account_id).await?,
        activity: store::activity(shard, account_id, q.activity_since(), q.to).await?,
        tallies: store::tallies(shard, account_id, q.from, q.to, &entry_points).await?,
        entry_points,
        ..Facts::default()
    })
}

// ---------------------------------------------------------------------------------------------
// Transcripts.

/// `GET /api/v1/console/conversations/:id/transcript` (any operator of the account; another
/// account's conversation is a 404 like a missing one).
pub async fn transcript(env: &Env, op: &OperatorRow, id: &str) -> Result<Response> {
    let d1 = crate::store::shard(env, &op.account_id).await?;
    let Some(conversation) = crate::store::conversations::account_conversation(&d1, id, &op.account_id).await? else {
        return fail(ErrorCode::UnknownConversation, "no such conversation");
    };
    let conversation = conversation.summary();
    let messages = store::transcript(&d1, id, &op.account_id).await?;
    http::json(&Transcript {
        survey_result: conversation.survey_result.clone(),
        survey_comment: conversation.survey_comment.clone(),
        conversation,
        messages,
    })
}

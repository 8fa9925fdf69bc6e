//! The generic report endpoints (issue 7) and the facts loader they read.
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
//! - `GET /api/v1/console/conversations/:id/transcript` (any operator of the account): the
//!   conversation's messages from D1 (`api::Transcript`).
//!
//! [`respond`] is the one entry for the console's endpoints and public links alike.
//!
//! Every read binds its parameters and is paged (1,000 rows per query, by a key), so no D1
//! answer grows with the period. Child rows of the period's conversations are selected with a
//! sub-query on `conversations` (never a long `IN` list of ids).

use crate::store::{f, s};
use futures_util::stream;
use parley_core::conversation::EventKind;
use parley_protocol::api::{ConversationSummary, Transcript, TranscriptMessage};
use parley_reports::facts::{
    AccountFact, ActivityFact, AgentFact, AssignmentFact, AuthorRole, BlockFact, ChannelFact, ConversationFact,
    EntryPointFact, Facts, HostFact, MessageFact, PageFact,
};
use parley_reports::query::{ReportId, ReportQuery};
use parley_reports::table::ReportResponse;
use parley_reports::{compute, Ctx, TallyRow};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, Request, Response, Result};

use crate::db::{self, OperatorRow, CONVERSATION_COLS};
use crate::guard::Admin;
use crate::http::{self, fail};
use crate::util::now;
use parley_protocol::error::ErrorCode;

const DAY_MS: u64 = 24 * 60 * 60 * 1000;
/// Rows per D1 query.
const PAGE: usize = 1000;
/// Bytes per chunk of a CSV computed whole.
const CSV_CHUNK: usize = 64 * 1024;

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
    let tz = account_time_zone(&db::db(env)?, &op.account_id).await?;
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
    let d1 = db::db(env)?;
    if csv && matches!(q.report, ReportId::Conversations | ReportId::Sessions) {
        let statics = load_statics(&d1, account_id, &q).await?;
        return paged_csv(d1, account_id.to_owned(), q, base, statics, csv_page(env)?);
    }
    let facts = load_facts(env, account_id, &q).await?;
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
    Ok(Response::from_stream(body)?.with_headers(headers))
}

/// Conversations per streamed CSV page (`PARLEY_REPORT_CSV_PAGE`, default `parley_core::config::REPORT_CSV_PAGE`).
fn csv_page(env: &Env) -> Result<usize> {
    Ok(crate::config::get(env)?.report_csv_page)
}

/// Streams a per-conversation report page by page: each page's rows are computed from its own
/// `page` conversations and their child rows only (the rows of these reports are per
/// conversation and in `(created_at, id)` order, so the pages joined are the whole report).
fn paged_csv(
    d1: D1Database,
    account: String,
    q: ReportQuery,
    base: String,
    statics: Facts,
    page: usize,
) -> Result<Response> {
    struct State {
        d1: D1Database,
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
            let conversations = load_conversations(&st.d1, &span).await?;
            let mut facts = st.statics.clone();
            facts.messages = load_messages(&st.d1, &span).await?;
            facts.assignments = load_assignments(&st.d1, &span).await?;
            facts.blocks = load_blocks(&st.d1, &span).await?;
            let next = conversations.last().map(|c| Cursor { at: c.created_at as f64, id: c.id.clone() });
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
// The facts loader.

/// A position in the account's conversations, ordered by `(created_at, id)`.
#[derive(Clone)]
struct Cursor {
    at: f64,
    id: String,
}

impl Cursor {
    fn start() -> Cursor {
        Cursor { at: -1.0, id: String::new() }
    }
}

/// The account's conversations created in `[from, to)` after `after`, at most `limit` of them
/// (`usize::MAX`: all): the conversations a load covers and whose child rows it reads.
struct Span<'a> {
    account: &'a str,
    from: u64,
    to: u64,
    after: Cursor,
    limit: usize,
}

/// `?1`–`?6` of every span query.
const SPAN_WHERE: &str = "account_id = ?1 AND created_at >= ?2 AND created_at < ?3 AND (created_at, id) > (?4, ?5)";

impl Span<'_> {
    fn binds(&self) -> Vec<JsValue> {
        let limit = if self.limit == usize::MAX { -1.0 } else { self.limit as f64 };
        vec![s(self.account), f(self.from as f64), f(self.to as f64), f(self.after.at), s(&self.after.id), f(limit)]
    }

    /// The span's conversation ids, as a sub-query.
    fn ids() -> String {
        format!("SELECT id FROM conversations WHERE {SPAN_WHERE} ORDER BY created_at, id LIMIT ?6")
    }
}

/// Runs `sql` (whose `?7`.. are the key of the last row read, bound by `key`) page after page
/// until a page comes back short.
async fn paged<T: DeserializeOwned>(
    d1: &D1Database,
    sql: &str,
    mut binds: Vec<JsValue>,
    first_key: Vec<JsValue>,
    key: impl Fn(&T) -> Vec<JsValue>,
) -> Result<Vec<T>> {
    let fixed = binds.len();
    binds.extend(first_key);
    let mut out: Vec<T> = Vec::new();
    loop {
        let page: Vec<T> = d1.prepare(sql).bind(&binds)?.all().await?.results()?;
        let short = page.len() < PAGE;
        if let Some(last) = page.last() {
            binds.truncate(fixed);
            binds.extend(key(last));
        }
        out.extend(page);
        if short {
            return Ok(out);
        }
    }
}

/// Loads everything report `q` reads for `account_id`, as [`Facts`] documents "in the period":
/// conversations created in `[from, to)` and their messages, assignments and blocks; activity
/// intervals overlapping `[from − 1 day, to)`; tallies whose hour starts in `[from, to)`; the
/// account's agents, channels, hosts and entry points.
pub async fn load_facts(env: &Env, account_id: &str, q: &ReportQuery) -> Result<Facts> {
    let d1 = db::db(env)?;
    let mut facts = load_statics(&d1, account_id, q).await?;
    let span = Span { account: account_id, from: q.from, to: q.to, after: Cursor::start(), limit: usize::MAX };
    facts.conversations = load_conversations(&d1, &span).await?;
    facts.messages = load_messages(&d1, &span).await?;
    facts.assignments = load_assignments(&d1, &span).await?;
    facts.blocks = load_blocks(&d1, &span).await?;
    Ok(facts)
}

/// The account's zone (`accounts.time_zone`), UTC when unset.
pub(crate) async fn account_time_zone(d1: &D1Database, account_id: &str) -> Result<String> {
    #[derive(Deserialize)]
    struct Tz {
        time_zone: String,
    }
    let row: Option<Tz> =
        d1.prepare("SELECT time_zone FROM accounts WHERE id = ?1").bind(&[s(account_id)])?.first(None).await?;
    Ok(row.map(|r| r.time_zone).filter(|t| !t.trim().is_empty()).unwrap_or_else(|| "UTC".to_owned()))
}

/// Everything but the period's conversations and their child rows.
async fn load_statics(d1: &D1Database, account_id: &str, q: &ReportQuery) -> Result<Facts> {
    let acc = vec![s(account_id)];
    let account: AccountFact = d1
        .prepare("SELECT id, name FROM accounts WHERE id = ?1")
        .bind(&acc)?
        .first(None)
        .await?
        .unwrap_or_else(|| AccountFact { id: account_id.to_owned(), name: String::new() });
    #[derive(Deserialize)]
    struct Agent {
        id: String,
        username: String,
        first_name: String,
        last_name: String,
        email: String,
        account_id: String,
        disabled: u32,
        max_chats: u32,
    }
    let agents: Vec<Agent> = paged(
        d1,
        "SELECT id, username, first_name, last_name, email, account_id, disabled, max_chats FROM operators \
         WHERE account_id = ?1 AND id > ?2 ORDER BY id LIMIT 1000",
        acc.clone(),
        vec![s("")],
        |a: &Agent| vec![s(&a.id)],
    )
    .await?;
    let agents = agents
        .into_iter()
        .map(|a| AgentFact {
            id: a.id,
            username: a.username,
            first_name: a.first_name,
            last_name: a.last_name,
            email: a.email,
            account_id: a.account_id,
            disabled: a.disabled != 0,
            max_chats: a.max_chats,
            deleted: false,
        })
        .collect();
    let channels: Vec<ChannelFact> = d1
        .prepare("SELECT id, account_id, name FROM channels WHERE account_id = ?1 ORDER BY name, id")
        .bind(&acc)?
        .all()
        .await?
        .results()?;
    #[derive(Deserialize)]
    struct Host {
        id: String,
        account_id: String,
        hostname: String,
        shared_with: String,
    }
    let hosts: Vec<Host> = d1
        .prepare(
            "SELECT h.id, h.account_id, h.hostname, \
             (SELECT json_group_array(o.account_id) FROM hosts o \
              WHERE o.hostname = h.hostname AND o.account_id != h.account_id) AS shared_with \
             FROM hosts h WHERE h.account_id = ?1 ORDER BY h.hostname, h.id",
        )
        .bind(&acc)?
        .all()
        .await?
        .results()?;
    let hosts = hosts
        .into_iter()
        .map(|h| HostFact {
            id: h.id,
            account_id: h.account_id,
            hostname: h.hostname,
            shared_with: serde_json::from_str(&h.shared_with).unwrap_or_default(),
        })
        .collect();
    let entry_points: Vec<EntryPointFact> = d1
        .prepare("SELECT id, channel_id, name, kind FROM entry_points WHERE account_id = ?1 ORDER BY channel_id, id")
        .bind(&acc)?
        .all()
        .await?
        .results()?;
    // A shift begun the evening before may reach into the period.
    let since = q.from.saturating_sub(DAY_MS) as f64;
    let activity: Vec<ActivityFact> = paged(
        d1,
        "SELECT activity_id, account_id, operator_id, state, start_at AS start, end_at AS \"end\" \
         FROM activity_intervals WHERE account_id = ?1 AND start_at < ?3 AND (end_at IS NULL OR end_at > ?2) \
         AND (start_at, activity_id) > (?4, ?5) ORDER BY start_at, activity_id LIMIT 1000",
        vec![s(account_id), f(since), f(q.to as f64)],
        vec![f(-1.0), s("")],
        |a: &ActivityFact| vec![f(a.start as f64), s(&a.activity_id)],
    )
    .await?;
    let tallies: Vec<TallyRow> = paged(
        d1,
        "SELECT t.account_id, t.channel_id, t.entry_point_id, e.name AS entry_point_name, \
         e.kind AS entry_point_kind, t.hour, t.metric, t.n \
         FROM hourly_tallies t JOIN entry_points e ON e.id = t.entry_point_id \
         WHERE t.account_id = ?1 AND t.hour >= ?2 AND t.hour < ?3 \
         AND (t.hour, t.channel_id, t.entry_point_id, t.metric) > (?4, ?5, ?6, ?7) \
         ORDER BY t.hour, t.channel_id, t.entry_point_id, t.metric LIMIT 1000",
        vec![s(account_id), f(q.from as f64), f(q.to as f64)],
        vec![f(-1.0), s(""), s(""), s("")],
        |t: &TallyRow| vec![f(t.hour as f64), s(&t.channel_id), s(&t.entry_point_id), s(&t.metric)],
    )
    .await?;
    Ok(Facts {
        accounts: vec![account.clone()],
        account,
        agents,
        channels,
        hosts,
        entry_points,
        activity,
        tallies,
        ..Facts::default()
    })
}

/// A conversation row with the columns the console's summary does not carry.
#[derive(Deserialize)]
struct ConversationFactRow {
    #[serde(flatten)]
    c: ConversationSummary,
    entry_point_id: Option<String>,
    outcome_by: Option<String>,
    outcome_at: Option<u64>,
    session_id: Option<String>,
    host_id: Option<String>,
    #[serde(default)]
    pages: Option<String>,
}

fn conversation_fact(r: ConversationFactRow) -> ConversationFact {
    ConversationFact {
        entry_point_id: r.entry_point_id,
        outcome_by: r.outcome_by,
        outcome_at: r.outcome_at,
        session_id: r.session_id.filter(|s| !s.is_empty()),
        host_id: r.host_id,
        pages: r.pages.as_deref().and_then(|p| serde_json::from_str::<Vec<PageFact>>(p).ok()).unwrap_or_default(),
        ..r.c.into()
    }
}

/// The span's conversations, oldest first (pages of [`PAGE`] up to its limit).
async fn load_conversations(d1: &D1Database, span: &Span<'_>) -> Result<Vec<ConversationFact>> {
    let sql = format!(
        "SELECT {CONVERSATION_COLS}, entry_point_id, outcome_by, outcome_at, session_id, host_id, pages \
         FROM conversations WHERE {SPAN_WHERE} ORDER BY created_at, id LIMIT ?6"
    );
    let mut out: Vec<ConversationFact> = Vec::new();
    let mut after = span.after.clone();
    loop {
        let want = span.limit.saturating_sub(out.len()).min(PAGE);
        if want == 0 {
            return Ok(out);
        }
        let page = Span { account: span.account, from: span.from, to: span.to, after: after.clone(), limit: want };
        let rows: Vec<ConversationFactRow> = d1.prepare(&sql).bind(&page.binds())?.all().await?.results()?;
        let short = rows.len() < want;
        out.extend(rows.into_iter().map(conversation_fact));
        match out.last() {
            Some(last) if !short => after = Cursor { at: last.created_at as f64, id: last.id.clone() },
            _ => return Ok(out),
        }
    }
}

/// The rows of `select` (a `SELECT … FROM … WHERE …` of a table keyed by
/// `(conversation_id, seq)`) that belong to the span's conversations, in key order, every page
/// (`key` reads a row's key).
async fn by_conversation_seq<T: DeserializeOwned>(
    d1: &D1Database,
    span: &Span<'_>,
    select: &str,
    key: impl Fn(&T) -> (&str, u64),
) -> Result<Vec<T>> {
    let sql = format!(
        "{select} AND conversation_id IN ({}) AND (conversation_id, seq) > (?7, ?8) \
         ORDER BY conversation_id, seq LIMIT 1000",
        Span::ids()
    );
    paged(d1, &sql, span.binds(), vec![s(""), f(-1.0)], |r: &T| {
        let (conversation_id, seq) = key(r);
        vec![s(conversation_id), f(seq as f64)]
    })
    .await
}

/// The messages of the span's conversations (D1 `messages`).
async fn load_messages(d1: &D1Database, span: &Span<'_>) -> Result<Vec<MessageFact>> {
    #[derive(Deserialize)]
    struct Row {
        conversation_id: String,
        seq: u64,
        role: String,
        operator_id: Option<String>,
        at: u64,
        text: String,
    }
    let rows: Vec<Row> = by_conversation_seq(
        d1,
        span,
        "SELECT conversation_id, seq, role, operator_id, at, text FROM messages WHERE account_id = ?1",
        |r: &Row| (&r.conversation_id, r.seq),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MessageFact {
            conversation_id: r.conversation_id,
            seq: r.seq,
            role: match r.role.as_str() {
                "operator" => AuthorRole::Operator,
                "system" => AuthorRole::System,
                _ => AuthorRole::Visitor,
            },
            operator_id: r.operator_id,
            at: r.at,
            text: r.text,
        })
        .collect())
}

/// Routing gave one of the span's conversations to an operator (`conversation_events` of kind
/// `assigned`, whose `detail` is the core's event JSON).
async fn load_assignments(d1: &D1Database, span: &Span<'_>) -> Result<Vec<AssignmentFact>> {
    #[derive(Deserialize)]
    struct Row {
        conversation_id: String,
        seq: u64,
        at: u64,
        detail: String,
    }
    let rows: Vec<Row> = by_conversation_seq(
        d1,
        span,
        "SELECT conversation_id, seq, at, detail FROM conversation_events WHERE kind = 'assigned'",
        |r: &Row| (&r.conversation_id, r.seq),
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| match serde_json::from_str::<EventKind>(&r.detail) {
            Ok(EventKind::Assigned { operator_id, how, .. }) => {
                Some(AssignmentFact { conversation_id: r.conversation_id, operator_id, at: r.at, how })
            }
            _ => None,
        })
        .collect())
}

/// Blocks made from the span's conversations.
async fn load_blocks(d1: &D1Database, span: &Span<'_>) -> Result<Vec<BlockFact>> {
    let sql = format!(
        "SELECT id, account_id, visitor_id, conversation_id, reason, blocked_by, created_at, lifted_at, lifted_by \
         FROM visitor_blocks WHERE account_id = ?1 AND conversation_id IN ({}) AND id > ?7 ORDER BY id LIMIT 1000",
        Span::ids()
    );
    paged(d1, &sql, span.binds(), vec![s("")], |b: &BlockFact| vec![s(&b.id)]).await
}

// ---------------------------------------------------------------------------------------------
// Transcripts.

/// `GET /api/v1/console/conversations/:id/transcript` (any operator of the account; another
/// account's conversation is a 404 like a missing one).
pub async fn transcript(env: &Env, op: &OperatorRow, id: &str) -> Result<Response> {
    let d1 = db::db(env)?;
    let Some(conversation) = db::account_conversation(&d1, id, &op.account_id).await? else {
        return fail(ErrorCode::UnknownConversation, "no such conversation");
    };
    let messages: Vec<TranscriptMessage> = paged(
        &d1,
        "SELECT seq, role, author_name, text, at FROM messages WHERE conversation_id = ?1 AND account_id = ?2 \
         AND seq > ?3 ORDER BY seq LIMIT 1000",
        vec![s(id), s(&op.account_id)],
        vec![f(0.0)],
        |m: &TranscriptMessage| vec![f(m.seq as f64)],
    )
    .await?;
    http::json(&Transcript {
        survey_result: conversation.survey_result.clone(),
        survey_comment: conversation.survey_comment.clone(),
        conversation,
        messages,
    })
}

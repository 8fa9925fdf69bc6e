//! Reports: every statement the report engine reads D1 with (`crate::reports` orchestrates
//! them into `parley_reports::facts::Facts`), one row struct per statement and its
//! mapper to the engine's fact.
//!
//! Every read binds its parameters and is paged (1,000 rows per query, by a key), so no D1
//! answer grows with the period. Child rows of the period's conversations are selected with a
//! sub-query on `conversations` (never a long `IN` list of ids).

use super::{Db, Shard, Statements};
use parley_core::conversation::EventKind;
use parley_protocol::api::TranscriptMessage;
use parley_protocol::{AccountId, ChannelId, ConversationId, OperatorId, VisitorId};
use parley_reports::facts::{
    AccountFact, ActivityFact, AgentFact, AssignmentFact, AuthorRole, BlockFact, ChannelFact, ConversationFact,
    EntryPointFact, HostFact, MessageFact,
};
use parley_reports::TallyRow;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Result;

use super::{f, s};
use crate::store::conversations::{ConversationRow, CONVERSATION_COLS};

/// Rows per D1 query.
pub const PAGE: usize = 1000;

// ---------------------------------------------------------------------------------------------
// Rows and their mappers.

/// `accounts.time_zone`.
#[derive(Debug, Deserialize)]
pub struct TimeZoneRow {
    pub time_zone: String,
}

/// The account's zone: its `time_zone`, UTC when there is no row or it is blank.
pub fn time_zone_of(row: Option<TimeZoneRow>) -> String {
    row.map(|r| r.time_zone).filter(|t| !t.trim().is_empty()).unwrap_or_else(|| "UTC".to_owned())
}

/// `accounts (id, name)`.
#[derive(Debug, Deserialize)]
pub struct AccountRow {
    pub id: AccountId,
    pub name: String,
}

/// The account's fact; an account without a row is `account_id` with no name.
pub fn account_fact(row: Option<AccountRow>, account_id: &str) -> AccountFact {
    match row {
        Some(r) => AccountFact { id: r.id, name: r.name },
        None => AccountFact { id: account_id.into(), name: String::new() },
    }
}

/// An `operators` row as the reports read it (`disabled` is 0/1).
#[derive(Debug, Deserialize)]
pub struct AgentRow {
    pub id: OperatorId,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub account_id: AccountId,
    pub disabled: u32,
    pub max_chats: u32,
}

pub fn agent_fact(r: AgentRow) -> AgentFact {
    AgentFact {
        id: r.id,
        username: r.username,
        first_name: r.first_name,
        last_name: r.last_name,
        email: r.email,
        account_id: r.account_id,
        disabled: r.disabled != 0,
        max_chats: r.max_chats,
        deleted: false,
    }
}

/// `channels (id, account_id, name)`.
#[derive(Debug, Deserialize)]
pub struct ChannelNameRow {
    pub id: ChannelId,
    pub account_id: AccountId,
    pub name: String,
}

pub fn channel_fact(r: ChannelNameRow) -> ChannelFact {
    ChannelFact { id: r.id, account_id: r.account_id, name: r.name }
}

/// A `hosts` row with the other accounts registering the same hostname (`shared_with`, a
/// JSON array of account ids).
#[derive(Debug, Deserialize)]
pub struct HostRow {
    pub id: String,
    pub account_id: AccountId,
    pub hostname: String,
    pub shared_with: String,
}

/// An unreadable `shared_with` is shared with nobody.
pub fn host_fact(r: HostRow) -> HostFact {
    HostFact {
        id: r.id,
        account_id: r.account_id,
        hostname: r.hostname,
        shared_with: serde_json::from_str(&r.shared_with).unwrap_or_default(),
    }
}

/// `entry_points (id, channel_id, name, kind)`.
#[derive(Debug, Deserialize)]
pub struct EntryPointRow {
    pub id: String,
    pub channel_id: ChannelId,
    pub name: String,
    pub kind: String,
}

pub fn entry_point_fact(r: EntryPointRow) -> EntryPointFact {
    EntryPointFact { id: r.id, channel_id: r.channel_id, name: r.name, kind: r.kind }
}

/// An `activity_intervals` row (`end_at` NULL while open).
#[derive(Debug, Deserialize)]
pub struct ActivityRow {
    pub activity_id: String,
    pub account_id: AccountId,
    pub operator_id: OperatorId,
    pub state: String,
    pub start_at: u64,
    pub end_at: Option<u64>,
}

pub fn activity_fact(r: ActivityRow) -> ActivityFact {
    ActivityFact {
        activity_id: r.activity_id,
        account_id: r.account_id,
        operator_id: r.operator_id,
        state: r.state,
        start: r.start_at,
        end: r.end_at,
    }
}

/// A `messages` row as the reports read it.
#[derive(Debug, Deserialize)]
pub struct MessageRow {
    pub conversation_id: ConversationId,
    pub seq: u64,
    /// `visitor`, `operator` or `system`.
    pub role: String,
    pub operator_id: Option<OperatorId>,
    pub at: u64,
    pub text: String,
    /// The file it carries, as JSON (`AttachmentView`; NULL for text).
    #[serde(default)]
    pub attachment: Option<String>,
}

/// An unknown role is the visitor's; an attachment that does not read is none.
pub fn message_fact(r: MessageRow) -> MessageFact {
    MessageFact {
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
        attachment: r.attachment.and_then(|a| serde_json::from_str(&a).ok()),
        media_link: String::new(),
    }
}

/// A `conversation_events` row of kind `assigned` (`detail` is the core's event JSON).
#[derive(Debug, Deserialize)]
pub struct AssignmentRow {
    pub conversation_id: ConversationId,
    pub seq: u64,
    pub at: u64,
    pub detail: String,
}

/// The assignment the event records; `None` when its detail is not an assignment.
pub fn assignment_fact(r: AssignmentRow) -> Option<AssignmentFact> {
    match serde_json::from_str::<EventKind>(&r.detail) {
        Ok(EventKind::Assigned { operator_id, how, .. }) => {
            Some(AssignmentFact { conversation_id: r.conversation_id, operator_id, at: r.at, how })
        }
        _ => None,
    }
}

/// A `visitor_blocks` row.
#[derive(Debug, Deserialize)]
pub struct BlockRow {
    pub id: String,
    pub account_id: AccountId,
    pub visitor_id: VisitorId,
    pub conversation_id: ConversationId,
    pub reason: String,
    pub blocked_by: OperatorId,
    pub created_at: u64,
    pub lifted_at: Option<u64>,
    pub lifted_by: Option<String>,
}

pub fn block_fact(r: BlockRow) -> BlockFact {
    BlockFact {
        id: r.id,
        account_id: r.account_id,
        visitor_id: r.visitor_id,
        conversation_id: r.conversation_id,
        reason: r.reason,
        blocked_by: r.blocked_by,
        created_at: r.created_at,
        lifted_at: r.lifted_at,
        lifted_by: r.lifted_by,
    }
}

/// A `messages` row as a transcript shows it.
#[derive(Debug, Deserialize)]
pub struct TranscriptRow {
    pub seq: u64,
    pub role: String,
    pub author_name: String,
    pub text: String,
    pub at: u64,
    /// The message's file as JSON (issue 21; NULL for text).
    #[serde(default)]
    pub attachment: Option<String>,
}

pub fn transcript_message(r: TranscriptRow) -> TranscriptMessage {
    TranscriptMessage {
        seq: r.seq,
        role: r.role,
        author_name: r.author_name,
        text: r.text,
        at: r.at,
        attachment: r.attachment.and_then(|j| serde_json::from_str(&j).ok()),
    }
}

// ---------------------------------------------------------------------------------------------
// Spans and paging.

/// A position in the account's conversations, ordered by `(created_at, id)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Cursor {
    pub at: f64,
    pub id: String,
}

impl Cursor {
    /// Before every conversation.
    pub fn start() -> Cursor {
        Cursor { at: -1.0, id: String::new() }
    }

    /// Just after `c`.
    pub fn after(c: &ConversationFact) -> Cursor {
        Cursor { at: c.created_at as f64, id: c.id.to_string() }
    }
}

/// The account's conversations created in `[from, to)` after `after`, at most `limit` of them
/// (`usize::MAX`: all): the conversations a load covers and whose child rows it reads.
pub struct Span<'a> {
    pub account: &'a str,
    pub from: u64,
    pub to: u64,
    pub after: Cursor,
    pub limit: usize,
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

/// Runs `sql` (whose parameters after `binds` are the key of the last row read, bound by
/// `key`) page after page until a page comes back short.
async fn paged<T: DeserializeOwned>(
    d1: &impl Statements,
    sql: &str,
    mut binds: Vec<JsValue>,
    first_key: Vec<JsValue>,
    key: impl Fn(&T) -> Vec<JsValue>,
) -> Result<Vec<T>> {
    let fixed = binds.len();
    binds.extend(first_key);
    let mut out: Vec<T> = Vec::new();
    loop {
        let page: Vec<T> = d1.statement(sql).bind(&binds)?.all().await?.results()?;
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

// ---------------------------------------------------------------------------------------------
// The account's rows.

/// The account's zone (`accounts.time_zone`), UTC when unset.
pub async fn account_time_zone(d1: &Db, account_id: &str) -> Result<String> {
    let row: Option<TimeZoneRow> =
        d1.prepare("SELECT time_zone FROM accounts WHERE id = ?1").bind(&[s(account_id)])?.first(None).await?;
    Ok(time_zone_of(row))
}

pub async fn account(d1: &Db, account_id: &str) -> Result<AccountFact> {
    let row: Option<AccountRow> =
        d1.prepare("SELECT id, name FROM accounts WHERE id = ?1").bind(&[s(account_id)])?.first(None).await?;
    Ok(account_fact(row, account_id))
}

/// The account's operators, by id.
pub async fn agents(d1: &Db, account_id: &str) -> Result<Vec<AgentFact>> {
    let rows: Vec<AgentRow> = paged(
        d1,
        "SELECT id, username, first_name, last_name, email, account_id, disabled, max_chats FROM operators \
         WHERE account_id = ?1 AND id > ?2 ORDER BY id LIMIT 1000",
        vec![s(account_id)],
        vec![s("")],
        |a: &AgentRow| vec![s(&a.id)],
    )
    .await?;
    Ok(rows.into_iter().map(agent_fact).collect())
}

/// The account's channels, by name.
pub async fn channels(d1: &Db, account_id: &str) -> Result<Vec<ChannelFact>> {
    let rows: Vec<ChannelNameRow> = d1
        .prepare("SELECT id, account_id, name FROM channels WHERE account_id = ?1 ORDER BY name, id")
        .bind(&[s(account_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(channel_fact).collect())
}

/// The account's hosts, by hostname, each with the other accounts registering it.
pub async fn hosts(d1: &Db, account_id: &str) -> Result<Vec<HostFact>> {
    let rows: Vec<HostRow> = d1
        .prepare(
            "SELECT h.id, h.account_id, h.hostname, \
             (SELECT json_group_array(o.account_id) FROM hosts o \
              WHERE o.hostname = h.hostname AND o.account_id != h.account_id) AS shared_with \
             FROM hosts h WHERE h.account_id = ?1 ORDER BY h.hostname, h.id",
        )
        .bind(&[s(account_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(host_fact).collect())
}

/// The account's entry points, by channel.
pub async fn entry_points(d1: &Db, account_id: &str) -> Result<Vec<EntryPointFact>> {
    let rows: Vec<EntryPointRow> = d1
        .prepare("SELECT id, channel_id, name, kind FROM entry_points WHERE account_id = ?1 ORDER BY channel_id, id")
        .bind(&[s(account_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(entry_point_fact).collect())
}

/// The account's activity intervals that start before `to` and end after `since` (or are
/// still open), by start.
pub async fn activity(d1: &Shard, account_id: &str, since: u64, to: u64) -> Result<Vec<ActivityFact>> {
    let rows: Vec<ActivityRow> = paged(
        d1,
        "SELECT activity_id, account_id, operator_id, state, start_at, end_at \
         FROM activity_intervals WHERE account_id = ?1 AND start_at < ?3 AND (end_at IS NULL OR end_at > ?2) \
         AND (start_at, activity_id) > (?4, ?5) ORDER BY start_at, activity_id LIMIT 1000",
        vec![s(account_id), f(since as f64), f(to as f64)],
        vec![f(-1.0), s("")],
        |a: &ActivityRow| vec![f(a.start_at as f64), s(&a.activity_id)],
    )
    .await?;
    Ok(rows.into_iter().map(activity_fact).collect())
}

/// The account's hourly tallies whose hour starts in `[from, to)`, with their entry point's
/// name and kind (`TallyRow` is the D1 row; the names come from `entry_points`, the account's
/// from the directory: a tally of an entry point not among them is left out, as the JOIN did
/// before the tallies moved to the account's shard).
pub async fn tallies(
    d1: &Shard,
    account_id: &str,
    from: u64,
    to: u64,
    entry_points: &[EntryPointFact],
) -> Result<Vec<TallyRow>> {
    let rows: Vec<TallyRow> = paged(
        d1,
        "SELECT account_id, channel_id, entry_point_id, '' AS entry_point_name, '' AS entry_point_kind, \
         hour, metric, n FROM hourly_tallies \
         WHERE account_id = ?1 AND hour >= ?2 AND hour < ?3 \
         AND (hour, channel_id, entry_point_id, metric) > (?4, ?5, ?6, ?7) \
         ORDER BY hour, channel_id, entry_point_id, metric LIMIT 1000",
        vec![s(account_id), f(from as f64), f(to as f64)],
        vec![f(-1.0), s(""), s(""), s("")],
        |t: &TallyRow| vec![f(t.hour as f64), s(&t.channel_id), s(&t.entry_point_id), s(&t.metric)],
    )
    .await?;
    Ok(name_tallies(rows, entry_points))
}

/// Gives each tally its entry point's name and kind; drops those of an unknown entry point.
fn name_tallies(rows: Vec<TallyRow>, entry_points: &[EntryPointFact]) -> Vec<TallyRow> {
    let by_id: std::collections::HashMap<&str, &EntryPointFact> =
        entry_points.iter().map(|e| (e.id.as_str(), e)).collect();
    rows.into_iter()
        .filter_map(|mut t| {
            let e = by_id.get(t.entry_point_id.as_str())?;
            t.entry_point_name = e.name.clone();
            t.entry_point_kind = e.kind.clone();
            Some(t)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The period's conversations and their child rows.

/// The span's conversations, oldest first (pages of [`PAGE`] up to its limit).
pub async fn conversations(d1: &Shard, span: &Span<'_>) -> Result<Vec<ConversationFact>> {
    let sql =
        format!("SELECT {CONVERSATION_COLS} FROM conversations WHERE {SPAN_WHERE} ORDER BY created_at, id LIMIT ?6");
    let mut out: Vec<ConversationFact> = Vec::new();
    let mut after = span.after.clone();
    loop {
        let want = span.limit.saturating_sub(out.len()).min(PAGE);
        if want == 0 {
            return Ok(out);
        }
        let page = Span { account: span.account, from: span.from, to: span.to, after: after.clone(), limit: want };
        let rows: Vec<ConversationRow> = d1.prepare(&sql).bind(&page.binds())?.all().await?.results()?;
        let short = rows.len() < want;
        for row in rows {
            out.push(row.into_record()?);
        }
        match out.last() {
            Some(last) if !short => after = Cursor::after(last),
            _ => return Ok(out),
        }
    }
}

/// The account's conversations created before `from` and closed in `[from, to)`, by
/// `(closed_at, id)` (the Ratings count chats by when they closed).
pub async fn closed_before_created(d1: &Shard, account_id: &str, from: u64, to: u64) -> Result<Vec<ConversationFact>> {
    let sql = format!(
        "SELECT {CONVERSATION_COLS} FROM conversations WHERE account_id = ?1 AND closed_at >= ?2 AND closed_at < ?3 AND created_at < ?2 \
         AND (closed_at, id) > (?4, ?5) ORDER BY closed_at, id LIMIT 1000"
    );
    let rows: Vec<ConversationRow> = paged(
        d1,
        &sql,
        vec![s(account_id), f(from as f64), f(to as f64)],
        vec![f(-1.0), s("")],
        |r: &ConversationRow| vec![f(r.columns.closed_at.unwrap_or_default() as f64), s(&r.columns.id)],
    )
    .await?;
    Ok(rows.into_iter().map(ConversationRow::into_record).collect::<serde_json::Result<_>>()?)
}

/// The rows of `select` (a `SELECT … FROM … WHERE …` of a table keyed by
/// `(conversation_id, seq)`) that belong to the span's conversations, in key order, every page
/// (`key` reads a row's key).
async fn by_conversation_seq<T: DeserializeOwned>(
    d1: &Shard,
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
pub async fn messages(d1: &Shard, span: &Span<'_>) -> Result<Vec<MessageFact>> {
    let rows: Vec<MessageRow> = by_conversation_seq(
        d1,
        span,
        "SELECT conversation_id, seq, role, operator_id, at, text, attachment FROM messages WHERE account_id = ?1",
        |r: &MessageRow| (&r.conversation_id, r.seq),
    )
    .await?;
    Ok(rows.into_iter().map(message_fact).collect())
}

/// Routing gave one of the span's conversations to an operator (`conversation_events` of kind
/// `assigned`).
pub async fn assignments(d1: &Shard, span: &Span<'_>) -> Result<Vec<AssignmentFact>> {
    let rows: Vec<AssignmentRow> = by_conversation_seq(
        d1,
        span,
        "SELECT conversation_id, seq, at, detail FROM conversation_events WHERE kind = 'assigned'",
        |r: &AssignmentRow| (&r.conversation_id, r.seq),
    )
    .await?;
    Ok(rows.into_iter().filter_map(assignment_fact).collect())
}

/// Blocks made from the span's conversations.
pub async fn blocks(d1: &Shard, span: &Span<'_>) -> Result<Vec<BlockFact>> {
    let sql = format!(
        "SELECT id, account_id, visitor_id, conversation_id, reason, blocked_by, created_at, lifted_at, lifted_by \
         FROM visitor_blocks WHERE account_id = ?1 AND conversation_id IN ({}) AND id > ?7 ORDER BY id LIMIT 1000",
        Span::ids()
    );
    let rows: Vec<BlockRow> = paged(d1, &sql, span.binds(), vec![s("")], |b: &BlockRow| vec![s(&b.id)]).await?;
    Ok(rows.into_iter().map(block_fact).collect())
}

/// The messages of conversation `id` of `account_id`, in order.
pub async fn transcript(d1: &Shard, id: &str, account_id: &str) -> Result<Vec<TranscriptMessage>> {
    let rows: Vec<TranscriptRow> = paged(
        d1,
        "SELECT seq, role, author_name, text, at, attachment FROM messages WHERE conversation_id = ?1 AND account_id = ?2 \
         AND seq > ?3 ORDER BY seq LIMIT 1000",
        vec![s(id), s(account_id)],
        vec![f(0.0)],
        |m: &TranscriptRow| vec![f(m.seq as f64)],
    )
    .await?;
    Ok(rows.into_iter().map(transcript_message).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_are_named_from_the_directorys_entry_points_and_unknown_ones_dropped() {
        let tally = |ep: &str| TallyRow {
            account_id: AccountId::from("acc"),
            channel_id: ChannelId::from("ch"),
            entry_point_id: ep.to_owned(),
            entry_point_name: String::new(),
            entry_point_kind: String::new(),
            hour: 0,
            metric: "visits".to_owned(),
            n: 2,
        };
        let eps = [EntryPointFact {
            id: "btn_ch".to_owned(),
            channel_id: ChannelId::from("ch"),
            name: "Chat button".to_owned(),
            kind: "button".to_owned(),
        }];
        let named = name_tallies(vec![tally("btn_ch"), tally("gone")], &eps);
        assert_eq!(named.len(), 1, "a tally of an unknown entry point is left out, as the JOIN did");
        assert_eq!((named[0].entry_point_name.as_str(), named[0].entry_point_kind.as_str()), ("Chat button", "button"));
    }
    use parley_core::dispatch::Received;
    use serde_json::json;

    fn row<T: DeserializeOwned>(v: serde_json::Value) -> T {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_zone_is_utc_when_missing_or_blank() {
        assert_eq!(time_zone_of(Some(row(json!({"time_zone": "Europe/Berlin"})))), "Europe/Berlin");
        assert_eq!(time_zone_of(Some(row(json!({"time_zone": "  "})))), "UTC");
        assert_eq!(time_zone_of(None), "UTC");
    }

    #[test]
    fn account_agent_channel_and_entry_point_rows() {
        assert_eq!(account_fact(Some(row(json!({"id": "a1", "name": "Shop"}))), "a1").name, "Shop");
        assert_eq!(account_fact(None, "a2"), AccountFact { id: "a2".into(), name: String::new() });
        let a = agent_fact(row(json!({"id": "op1", "username": "dana", "first_name": "Dana", "last_name": "Demo",
            "email": "d@x.example", "account_id": "a1", "disabled": 1, "max_chats": 3})));
        assert_eq!((a.id.as_str(), a.disabled, a.max_chats, a.deleted), ("op1", true, 3, false));
        assert!(
            !agent_fact(row(json!({"id": "op2", "username": "", "first_name": "", "last_name": "",
            "email": "", "account_id": "a1", "disabled": 0, "max_chats": 0})))
            .disabled
        );
        let c = channel_fact(row(json!({"id": "ch1", "account_id": "a1", "name": "Web"})));
        assert_eq!((c.id.as_str(), c.name.as_str()), ("ch1", "Web"));
        let e = entry_point_fact(row(json!({"id": "inv_a", "channel_id": "ch1", "name": "Rule", "kind": "invite"})));
        assert_eq!((e.id.as_str(), e.channel_id.as_str(), e.kind.as_str()), ("inv_a", "ch1", "invite"));
    }

    #[test]
    fn a_host_lists_the_other_accounts_sharing_it() {
        let h = host_fact(row(json!({"id": "h1", "account_id": "a1", "hostname": "shop.example",
            "shared_with": "[\"a2\",\"a3\"]"})));
        assert_eq!(h.shared_with, ["a2", "a3"]);
        let h = host_fact(row(json!({"id": "h1", "account_id": "a1", "hostname": "x", "shared_with": "oops"})));
        assert!(h.shared_with.is_empty());
    }

    #[test]
    fn activity_rows_keep_open_intervals_open() {
        let a = activity_fact(row(json!({"activity_id": "x1", "account_id": "a1", "operator_id": "op1",
            "state": "online", "start_at": 10, "end_at": null})));
        assert_eq!((a.start, a.end, a.state.as_str()), (10, None, "online"));
        let a = activity_fact(row(json!({"activity_id": "x2", "account_id": "a1", "operator_id": "op1",
            "state": "offline", "start_at": 10, "end_at": 20})));
        assert_eq!(a.end, Some(20));
    }

    #[test]
    fn message_roles_and_assignment_details() {
        let m = |role: &str| {
            message_fact(row(json!({"conversation_id": "c1", "seq": 2, "role": role, "operator_id": null,
                "at": 5, "text": "hi"})))
            .role
        };
        assert_eq!(
            (m("operator"), m("system"), m("visitor"), m("bot")),
            (AuthorRole::Operator, AuthorRole::System, AuthorRole::Visitor, AuthorRole::Visitor)
        );
        let detail = serde_json::to_string(&EventKind::Assigned {
            operator_id: "op1".into(),
            how: Received::Transferred,
            from: None,
        })
        .unwrap();
        let a = assignment_fact(row(json!({"conversation_id": "c1", "seq": 3, "at": 7, "detail": detail})));
        assert_eq!(
            a,
            Some(AssignmentFact {
                conversation_id: "c1".into(),
                operator_id: "op1".into(),
                at: 7,
                how: Received::Transferred
            })
        );
        assert_eq!(assignment_fact(row(json!({"conversation_id": "c1", "seq": 4, "at": 7, "detail": "{}"}))), None);
    }

    #[test]
    fn block_and_transcript_rows() {
        let b = block_fact(row(json!({"id": "b1", "account_id": "a1", "visitor_id": "v1", "conversation_id": "c1",
            "reason": "spam", "blocked_by": "op1", "created_at": 9, "lifted_at": null, "lifted_by": null})));
        assert_eq!((b.id.as_str(), b.reason.as_str(), b.lifted_at), ("b1", "spam", None));
        let t = transcript_message(row(json!({"seq": 1, "role": "visitor", "author_name": "Ann", "text": "Hi",
            "at": 3})));
        assert_eq!(
            (t.seq, t.role.as_str(), t.author_name.as_str(), t.text.as_str(), t.at),
            (1, "visitor", "Ann", "Hi", 3)
        );
    }

    #[test]
    fn cursors_start_before_everything_and_follow_a_conversation() {
        assert_eq!(Cursor::start(), Cursor { at: -1.0, id: String::new() });
        let c = ConversationFact { id: "c9".into(), created_at: 42, ..ConversationFact::default() };
        assert_eq!(Cursor::after(&c), Cursor { at: 42.0, id: "c9".into() });
    }
}

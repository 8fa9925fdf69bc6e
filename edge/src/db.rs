//! D1 queries. Every query binds its parameters; none is built from input.

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use worker::{D1Database, Result};

pub use crate::store::channels::{channel, greetings_of};
pub use crate::store::db;
use crate::store::{n, s};

/// What the loader draws the launcher with (`GET /api/v1/widget/look`): one read by primary key.
pub async fn channel_look(db: &D1Database, id: &str) -> Result<Option<parley_protocol::api::WidgetLook>> {
    db.prepare("SELECT accent, position, language FROM channels WHERE id = ?1").bind(&[s(id)])?.first(None).await
}

/// Whether `hostname` is a registered host of the channel (the widget's origin check).
pub async fn channel_has_host(db: &D1Database, channel_id: &str, hostname: &str) -> Result<bool> {
    Ok(channel_host(db, channel_id, hostname).await?.is_some())
}

/// The `hosts` row (its id) through which `hostname` is a registered host of the channel.
pub async fn channel_host(db: &D1Database, channel_id: &str, hostname: &str) -> Result<Option<String>> {
    #[derive(Deserialize)]
    struct Host {
        id: String,
    }
    let row: Option<Host> = db
        .prepare(
            "SELECT h.id AS id FROM channel_hosts ch JOIN hosts h ON h.id = ch.host_id \
             JOIN channels c ON c.id = ch.channel_id \
             WHERE ch.channel_id = ?1 AND h.hostname = ?2 AND h.account_id = c.account_id",
        )
        .bind(&[s(channel_id), s(hostname)])?
        .first(None)
        .await?;
    Ok(row.map(|h| h.id))
}

#[derive(Clone, Debug, Deserialize)]
pub struct OperatorRow {
    pub id: String,
    pub account_id: String,
    pub username: String,
    pub chat_name: String,
    pub role: String,
    pub password_hash: String,
    pub disabled: u32,
    /// JSON array of language tags, main first.
    pub languages: String,
    pub max_chats: u32,
}

impl OperatorRow {
    pub fn language_list(&self) -> Vec<String> {
        serde_json::from_str(&self.languages).unwrap_or_default()
    }
}

const OPERATOR_COLS: &str = "id, account_id, username, chat_name, role, password_hash, disabled, languages, max_chats";

pub async fn operator_by_username(db: &D1Database, username: &str) -> Result<Option<OperatorRow>> {
    db.prepare(format!("SELECT {OPERATOR_COLS} FROM operators WHERE username = ?1"))
        .bind(&[s(username)])?
        .first(None)
        .await
}

pub async fn insert_session(db: &D1Database, digest: &str, op: &OperatorRow, now: u64, expires_at: u64) -> Result<()> {
    db.prepare(
        "INSERT INTO sessions (token_digest, operator_id, account_id, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(&[s(digest), s(&op.id), s(&op.account_id), n(now), n(expires_at)])?
    .run()
    .await?;
    Ok(())
}

/// The operator behind a live session token digest (not expired, operator not disabled).
pub async fn session_operator(db: &D1Database, digest: &str, now: u64) -> Result<Option<OperatorRow>> {
    db.prepare(
        "SELECT o.id, o.account_id, o.username, o.chat_name, o.role, o.password_hash, o.disabled, o.languages, \
         o.max_chats \
         FROM sessions s JOIN operators o ON o.id = s.operator_id \
         WHERE s.token_digest = ?1 AND s.expires_at > ?2 AND o.disabled = 0 AND o.account_id = s.account_id",
    )
    .bind(&[s(digest), n(now)])?
    .first(None)
    .await
}

pub async fn delete_session(db: &D1Database, digest: &str) -> Result<()> {
    db.prepare("DELETE FROM sessions WHERE token_digest = ?1").bind(&[s(digest)])?.run().await?;
    Ok(())
}

/// A conversation's D1 row is exactly what the console lists.
pub use parley_protocol::api::ConversationSummary as ConversationRow;

pub(crate) const CONVERSATION_COLS: &str = "id, account_id, channel_id, visitor_id, status, created_at, page_url, \
     message_count, last_message_at, last_message_preview, updated_at, closed_at, closed_by, no_operator_response, \
     operator_id, operator_name, visitor_name, visitor_language, visitor_country, current_page, pages_visited, \
     request_type, request_source, decision_ms, survey_result, survey_comment, rated_at, success_code, tags, \
     category, sub_category, note, visitor_email, visitor_identifier, anonymous, prechat, \
     (SELECT json_group_array(json_object('goal_id', g.goal_id, 'name', g.name, 'value', g.value, 'at', g.reached_at)) \
      FROM (SELECT * FROM conversation_goals WHERE conversation_id = conversations.id ORDER BY reached_at, goal_id) g) \
     AS goals";

pub async fn conversation(db: &D1Database, id: &str) -> Result<Option<ConversationRow>> {
    db.prepare(format!("SELECT {CONVERSATION_COLS} FROM conversations WHERE id = ?1")).bind(&[s(id)])?.first(None).await
}

/// The conversation `id` when it belongs to `account_id` (an invalid or foreign id is `None`).
pub async fn account_conversation(db: &D1Database, id: &str, account_id: &str) -> Result<Option<ConversationRow>> {
    if !parley_protocol::ids::is_valid_id(id) {
        return Ok(None);
    }
    Ok(conversation(db, id).await?.filter(|c| c.account_id == account_id))
}

/// The visitor's latest conversation in the channel that is not closed.
pub async fn open_conversation_for(
    db: &D1Database,
    channel_id: &str,
    visitor_id: &str,
) -> Result<Option<ConversationRow>> {
    db.prepare(format!(
        "SELECT {CONVERSATION_COLS} FROM conversations \
         WHERE visitor_id = ?1 AND channel_id = ?2 AND status != 'closed' ORDER BY created_at DESC LIMIT 1"
    ))
    .bind(&[s(visitor_id), s(channel_id)])?
    .first(None)
    .await
}

/// Where a new conversation began, beyond its summary: the entry point it started from, the
/// visitor's website session and the registered host the origin check matched.
pub struct Origin<'a> {
    pub entry_point_id: Option<&'a str>,
    pub session_id: &'a str,
    pub host_id: Option<&'a str>,
}

/// Stores a new conversation's row.
pub async fn insert_conversation(db: &D1Database, row: &ConversationRow, origin: &Origin<'_>) -> Result<()> {
    db.prepare(
        "INSERT INTO conversations (id, account_id, channel_id, visitor_id, status, created_at, page_url, updated_at, \
         operator_id, operator_name, visitor_language, visitor_country, current_page, pages_visited, \
         request_type, request_source, entry_point_id, decision_ms, visitor_name, visitor_email, prechat, \
         visitor_identifier, anonymous, session_id, host_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?7, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, \
         ?22, ?23, ?24)",
    )
    .bind(&[
        s(&row.id),
        s(&row.account_id),
        s(&row.channel_id),
        s(&row.visitor_id),
        s(row.status.as_str()),
        n(row.created_at),
        s(&row.page_url),
        n(row.updated_at),
        row.operator_id.as_deref().map_or(JsValue::NULL, s),
        s(&row.operator_name),
        s(&row.visitor_language),
        s(&row.visitor_country),
        n(u64::from(row.pages_visited)),
        s(&row.request_type),
        s(&row.request_source),
        origin.entry_point_id.map_or(JsValue::NULL, s),
        row.decision_ms.map_or(JsValue::NULL, n),
        s(&row.visitor_name),
        s(&row.visitor_email),
        s(&serde_json::to_string(&row.prechat)?),
        s(&row.visitor_identifier),
        n(u64::from(row.anonymous)),
        s(origin.session_id),
        origin.host_id.map_or(JsValue::NULL, s),
    ])?
    .run()
    .await?;
    Ok(())
}

pub async fn list_conversations(db: &D1Database, account_id: &str, limit: u32) -> Result<Vec<ConversationRow>> {
    db.prepare(format!(
        "SELECT {CONVERSATION_COLS} FROM conversations WHERE account_id = ?1 \
         ORDER BY updated_at DESC LIMIT ?2"
    ))
    .bind(&[s(account_id), n(u64::from(limit))])?
    .all()
    .await?
    .results()
}

/// One visitor's conversations in the account, newest first (past conversations follow an
/// identified visitor, whose id is the same on every device).
pub async fn visitor_conversations(
    db: &D1Database,
    account_id: &str,
    visitor_id: &str,
    limit: u32,
) -> Result<Vec<ConversationRow>> {
    db.prepare(format!(
        "SELECT {CONVERSATION_COLS} FROM conversations WHERE account_id = ?1 AND visitor_id = ?2 \
         ORDER BY created_at DESC LIMIT ?3"
    ))
    .bind(&[s(account_id), s(visitor_id), n(u64::from(limit))])?
    .all()
    .await?
    .results()
}

/// The summary a conversation's object keeps current in D1.
pub struct Summary<'a> {
    pub id: &'a str,
    pub status: &'a str,
    pub message_count: u64,
    pub last_message_at: Option<u64>,
    pub last_message_preview: &'a str,
    pub closed_at: Option<u64>,
    pub closed_by: Option<&'a str>,
    pub no_operator_response: bool,
    pub operator_id: Option<&'a str>,
    pub operator_name: &'a str,
    pub current_page: &'a str,
    pub pages_visited: u64,
    /// The pages the visitor saw, oldest first, as JSON `[{"url","title","at"}]`.
    pub pages: &'a str,
    pub updated_at: u64,
}

/// One state change to copy into D1.
pub struct EventRow {
    pub seq: u64,
    pub at: u64,
    pub kind: String,
    pub detail: String,
}

/// One stored message to copy into D1 `messages` (keyed by the object's sequence).
pub struct MessageRow {
    pub seq: u64,
    /// `visitor`, `operator` or `system`.
    pub role: String,
    /// The operator who wrote it (operator messages).
    pub operator_id: Option<String>,
    pub author_name: String,
    pub text: String,
    pub at: u64,
}

/// Where a conversation's messages belong (copied onto each `messages` row).
pub struct Scope<'a> {
    pub account_id: &'a str,
    pub channel_id: &'a str,
}

/// Bound parameters per `messages` row, and rows per INSERT: D1 takes at most 100 bound
/// parameters per statement.
const MESSAGE_PARAMS: usize = 9;
const MESSAGES_PER_STATEMENT: usize = 100 / MESSAGE_PARAMS;

/// Writes the summary (unless D1 already holds a newer one: a late retry never goes back),
/// copies the events (a retried copy is ignored) and upserts the messages (keyed by
/// `(conversation_id, seq)`: a retried copy overwrites the same rows), in one batch — a D1
/// batch is one transaction, so either all of it lands or none. `sum` None: messages only.
pub async fn sync_conversation(
    db: &D1Database,
    id: &str,
    sum: Option<&Summary<'_>>,
    events: &[EventRow],
    scope: &Scope<'_>,
    messages: &[MessageRow],
) -> Result<()> {
    let mut batch = Vec::new();
    if let Some(sum) = sum {
        batch.push(summary_statement(db, sum)?);
    }
    for e in events {
        batch.push(
            db.prepare(
                "INSERT OR IGNORE INTO conversation_events (conversation_id, seq, at, kind, detail) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(&[s(id), n(e.seq), n(e.at), s(&e.kind), s(&e.detail)])?,
        );
    }
    for chunk in messages.chunks(MESSAGES_PER_STATEMENT) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let p: Vec<String> = (1..=MESSAGE_PARAMS).map(|k| format!("?{}", i * MESSAGE_PARAMS + k)).collect();
                format!("({})", p.join(", "))
            })
            .collect();
        let mut params = Vec::with_capacity(chunk.len() * MESSAGE_PARAMS);
        for m in chunk {
            params.extend([
                s(id),
                n(m.seq),
                s(scope.account_id),
                s(scope.channel_id),
                s(&m.role),
                m.operator_id.as_deref().map_or(JsValue::NULL, s),
                s(&m.author_name),
                s(&m.text),
                n(m.at),
            ]);
        }
        batch.push(
            db.prepare(format!(
                "INSERT INTO messages (conversation_id, seq, account_id, channel_id, role, operator_id, author_name, \
                 text, at) VALUES {} \
                 ON CONFLICT (conversation_id, seq) DO UPDATE SET role = excluded.role, \
                 operator_id = excluded.operator_id, author_name = excluded.author_name, text = excluded.text, \
                 at = excluded.at",
                values.join(", ")
            ))
            .bind(&params)?,
        );
    }
    if !batch.is_empty() {
        db.batch(batch).await?;
    }
    Ok(())
}

fn summary_statement(db: &D1Database, sum: &Summary<'_>) -> Result<worker::D1PreparedStatement> {
    db.prepare(
        "UPDATE conversations SET status = ?2, message_count = ?3, last_message_at = ?4, \
             last_message_preview = ?5, closed_at = ?6, closed_by = ?7, no_operator_response = ?8, updated_at = ?9, \
             operator_id = ?10, operator_name = ?11, current_page = ?12, pages_visited = ?13, pages = ?14 \
             WHERE id = ?1 AND (message_count < ?3 OR (message_count = ?3 AND updated_at <= ?9))",
    )
    .bind(&[
        s(sum.id),
        s(sum.status),
        n(sum.message_count),
        sum.last_message_at.map_or(JsValue::NULL, n),
        s(sum.last_message_preview),
        sum.closed_at.map_or(JsValue::NULL, n),
        sum.closed_by.map_or(JsValue::NULL, s),
        n(u64::from(sum.no_operator_response)),
        n(sum.updated_at),
        sum.operator_id.map_or(JsValue::NULL, s),
        s(sum.operator_name),
        s(sum.current_page),
        n(sum.pages_visited),
        s(sum.pages),
    ])
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct EventOut {
    pub seq: u64,
    pub at: u64,
    pub kind: String,
    pub detail: String,
}

/// A conversation's recorded state changes, oldest first.
pub async fn conversation_events(db: &D1Database, conversation_id: &str) -> Result<Vec<EventOut>> {
    db.prepare("SELECT seq, at, kind, detail FROM conversation_events WHERE conversation_id = ?1 ORDER BY seq")
        .bind(&[s(conversation_id)])?
        .all()
        .await?
        .results()
}

/// Stores an activity interval, or its end (a retried copy changes nothing).
pub async fn upsert_interval(
    db: &D1Database,
    activity_id: &str,
    account_id: &str,
    operator_id: &str,
    state: &str,
    start_at: u64,
    end_at: Option<u64>,
) -> Result<()> {
    db.prepare(
        "INSERT INTO activity_intervals (activity_id, account_id, operator_id, state, start_at, end_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (activity_id) DO UPDATE SET end_at = excluded.end_at",
    )
    .bind(&[s(activity_id), s(account_id), s(operator_id), s(state), n(start_at), end_at.map_or(JsValue::NULL, n)])?
    .run()
    .await?;
    Ok(())
}

/// The account's channels (id and name), by name.
pub async fn account_channels(db: &D1Database, account_id: &str) -> Result<Vec<parley_protocol::api::ChannelRef>> {
    db.prepare("SELECT id, name FROM channels WHERE account_id = ?1 ORDER BY name")
        .bind(&[s(account_id)])?
        .all()
        .await?
        .results()
}

//! One Durable Object per conversation: the conversation's single writer.
//!
//! It keeps the conversation in its own SQLite (`meta`, `messages`, `events`), rebuilds the
//! pure [`Conversation`] core from it on wake, and carries out the core's effects in order: a
//! message is written before it is acknowledged, so nothing acknowledged is lost. Sockets use
//! the hibernation API; each socket's [`Connection`] rides on it as an attachment. One alarm
//! serves the core's deadline (session timeout) and the retry of the D1 copy: after a change the
//! object writes its summary, new events and new messages to D1 (markers `events_synced` and
//! `messages_synced` in `meta` move only after D1 took them); a failed write is retried by the
//! alarm.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use parley_shared::conversation::{
    Config, Connection, Conversation, Effect, Event, Meta, Notice, Participant, Rate, StoredMessage,
};
use parley_shared::dispatch::RouteUpdate;
use parley_shared::ids::ConversationId;
use parley_shared::limits::PREVIEW_CHARS;
use parley_shared::protocol::{
    decode_client, encode_server, Author, ClientMsg, ErrorCode, MessageView, ProtocolError, Role, VisitorInfo,
};
use parley_shared::Millis;
use serde::{Deserialize, Serialize};
use worker::{
    durable_object, js_sys, DurableObject, Env, Request, Response, Result, ScheduledTime, SqlStorage, SqlStorageValue,
    State, WebSocket, WebSocketIncomingMessage, WebSocketPair,
};

use crate::db;
use crate::util::now;

/// Headers set by the worker (never by clients: the object is reachable only through it).
pub const HDR_ROLE: &str = "X-Parley-Role";
pub const HDR_PARTICIPANT_ID: &str = "X-Parley-Participant-Id";
pub const HDR_PARTICIPANT_NAME: &str = "X-Parley-Participant-Name";
/// The SHA-256 digest of an operator's console session token.
pub const HDR_SESSION: &str = "X-Parley-Session";

/// How long to wait before retrying a failed D1 write.
const SYNC_RETRY_MS: u64 = 5_000;
/// Messages copied to D1 per batch (in INSERTs of 11 rows: ≤ 100 bound parameters each).
const MESSAGES_PER_SYNC: usize = 440;

/// A row of the object's `messages` table ([`MESSAGE_COLS`]).
#[derive(Deserialize)]
struct MessageRow {
    seq: u64,
    client_id: String,
    author_id: String,
    author_role: String,
    author_name: String,
    text: String,
    at: u64,
}

const MESSAGE_COLS: &str = "seq, client_id, author_id, author_role, author_name, text, at";

/// A D1-sync marker of `meta` (the last sequence copied), 0 when unset.
fn marker(meta_map: &HashMap<String, String>, key: &str) -> u64 {
    meta_map.get(key).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
}

/// What rides on each socket: a unique id (the runtime may hand out different JS wrappers for
/// one socket, so identity is compared by id) and the core's connection state.
#[derive(Serialize, Deserialize)]
struct Attached {
    id: String,
    conn: Connection,
    /// An operator's session digest: their sends are accepted only while it is valid.
    #[serde(default)]
    session: Option<String>,
}

fn attached(ws: &WebSocket) -> Option<Attached> {
    ws.deserialize_attachment::<Attached>().ok().flatten()
}

#[derive(Serialize, Deserialize)]
pub struct InitBody {
    pub conversation_id: String,
    pub account_id: String,
    pub channel_id: String,
    pub visitor_id: String,
    pub created_at: u64,
    /// Where routing put the conversation when it started.
    pub route: RouteUpdate,
    pub visitor: VisitorInfo,
}

/// The object's SQLite schema, applied in order. Append-only: never edit a landed entry.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE messages (
       seq INTEGER PRIMARY KEY,
       client_id TEXT NOT NULL,
       author_id TEXT NOT NULL,
       author_role TEXT NOT NULL,
       author_name TEXT NOT NULL,
       text TEXT NOT NULL,
       at INTEGER NOT NULL,
       UNIQUE (author_id, client_id)
     );",
    "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL);",
    "CREATE TABLE dispatch_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);",
];

fn migrate(sql: &SqlStorage) -> Result<()> {
    apply_migrations(sql, MIGRATIONS)
}

/// Applies the `migrations` not yet applied to an object's SQLite, in order.
pub fn apply_migrations(sql: &SqlStorage, migrations: &[&str]) -> Result<()> {
    sql.exec("CREATE TABLE IF NOT EXISTS _schema (version INTEGER NOT NULL)", None)?;
    #[derive(Deserialize)]
    struct V {
        version: u64,
    }
    let current = sql.exec("SELECT version FROM _schema", None)?.to_array::<V>()?.first().map_or(0, |v| v.version);
    for (i, stmt) in migrations.iter().enumerate().skip(current as usize) {
        sql.exec(stmt, None)?;
        sql.exec("DELETE FROM _schema", None)?;
        sql.exec("INSERT INTO _schema (version) VALUES (?)", vec![SqlStorageValue::Integer(i as i64 + 1)])?;
    }
    Ok(())
}

/// Deployment settings, from the worker's variables (defaults in `parley_shared::limits`).
fn config(env: &Env) -> Config {
    let var = |name: &str| env.var(name).ok().map(|v| v.to_string());
    let mut config = Config::default();
    if let Some(rate) = var("PARLEY_VISITOR_RATE").and_then(|v| Rate::parse(&v)) {
        config.visitor_rate = rate;
    }
    if let Some(ms) = var("PARLEY_SESSION_TIMEOUT_MS").and_then(|v| v.trim().parse().ok()) {
        config.session_timeout_ms = ms;
    }
    config
}

#[durable_object]
pub struct ConversationObject {
    state: State,
    env: Env,
    core: RefCell<Option<Conversation>>,
    /// The D1 copy failed and awaits a retry.
    sync_pending: Cell<bool>,
    /// A notice to the dispatcher failed and awaits a retry.
    notice_pending: Cell<bool>,
}

impl DurableObject for ConversationObject {
    fn new(state: State, env: Env) -> Self {
        if let Err(e) = migrate(&state.storage().sql()) {
            worker::console_error!("conversation schema migration failed: {e}");
        }
        Self { state, env, core: RefCell::new(None), sync_pending: Cell::new(false), notice_pending: Cell::new(false) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match req.path().as_str() {
            "/init" => {
                let body: InitBody = req.json().await?;
                if self.meta_map()?.contains_key("conversation_id") {
                    return Response::ok("exists");
                }
                let sql = self.sql();
                let (route, visitor, t) = (body.route, body.visitor, Millis(body.created_at));
                for (k, v) in [
                    ("conversation_id", body.conversation_id.clone()),
                    ("account_id", body.account_id),
                    ("channel_id", body.channel_id),
                    ("visitor_id", body.visitor_id),
                ] {
                    sql.exec("INSERT INTO meta (key, value) VALUES (?, ?)", vec![k.into(), v.into()])?;
                }
                let (mut core, mut effects) =
                    Conversation::create(ConversationId(body.conversation_id), config(&self.env), t);
                effects.extend(core.set_visitor(visitor));
                effects.extend(core.handle_route(route, None, t));
                *self.core.borrow_mut() = Some(core);
                self.apply(None, effects).await?;
                Response::ok("ok")
            }
            "/route" => {
                if !self.meta_map()?.contains_key("conversation_id") {
                    return Response::error("unknown conversation", 404);
                }
                let body: crate::dispatch_object::RouteBody = req.json().await?;
                let effects = self.with_core(|core| core.handle_route(body.update, Some(body.seq), now()))?;
                self.apply(None, effects).await?;
                Response::ok("ok")
            }
            // The conversation's status as the object knows it (D1 catches up a moment later).
            "/status" => {
                if !self.meta_map()?.contains_key("conversation_id") {
                    return Response::error("unknown conversation", 404);
                }
                let status = self.with_core(|core| core.status())?;
                Response::ok(status.as_str())
            }
            "/ws" => self.accept(&req),
            _ => Response::error("not found", 404),
        }
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        let Some(Attached { conn, session, .. }) = attached(&ws) else {
            ws.close(Some(1011), Some("lost connection state"))?;
            return Ok(());
        };
        let mut decoded = match message {
            WebSocketIncomingMessage::String(text) => decode_client(&text),
            WebSocketIncomingMessage::Binary(_) => {
                Err(ProtocolError::new(ErrorCode::Malformed, "binary frames are not part of the protocol"))
            }
        };
        // An operator's changes count only while their console session is valid (a disabled
        // or logged-out operator's open sockets stop working at once).
        if let (Ok(msg @ (ClientMsg::Send { .. } | ClientMsg::End)), Some(digest)) = (&decoded, &session) {
            let op = db::session_operator(&db::db(&self.env)?, digest, now().0).await?;
            if op.is_none_or(|op| op.id != conn.participant.id) {
                let client_id = match msg {
                    ClientMsg::Send { client_id, .. } => Some(client_id.clone()),
                    _ => None,
                };
                let e = ProtocolError::new(ErrorCode::SessionEnded, "your session has ended; log in again");
                decoded = Err(e.for_send(client_id.as_deref()));
            }
        }
        let effects = self.with_core(|core| match decoded {
            Ok(msg) => core.handle_client(&conn, msg, now()),
            Err(e) => core.handle_bad_frame(&e),
        })?;
        self.apply(Some(&ws), effects).await
    }

    async fn websocket_close(&self, ws: WebSocket, _code: usize, _reason: String, _clean: bool) -> Result<()> {
        let result = self.disconnected(&ws).await;
        // Complete the closing handshake; the socket may already be gone.
        let _ = ws.close(Some(1000), Some("closed"));
        result
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> Result<()> {
        let result = self.disconnected(&ws).await;
        let _ = ws.close(Some(1011), Some("error"));
        result
    }

    async fn alarm(&self) -> Result<Response> {
        if self.meta_map()?.contains_key("conversation_id") {
            let effects = self.with_core(|core| core.handle_alarm(now()))?;
            self.apply(None, effects).await?;
            // Whatever happened before, make sure D1 and the dispatcher have the latest.
            self.sync().await;
            self.flush_notices().await;
            self.rearm().await;
        }
        Response::ok("ok")
    }
}

impl ConversationObject {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    fn meta_map(&self) -> Result<HashMap<String, String>> {
        #[derive(Deserialize)]
        struct Kv {
            key: String,
            value: String,
        }
        let rows = self.sql().exec("SELECT key, value FROM meta", None)?.to_array::<Kv>()?;
        Ok(rows.into_iter().map(|kv| (kv.key, kv.value)).collect())
    }

    /// Runs `f` on the core, rebuilding it from SQLite first if this instance has not yet.
    fn with_core<T>(&self, f: impl FnOnce(&mut Conversation) -> T) -> Result<T> {
        let mut slot = self.core.borrow_mut();
        if slot.is_none() {
            *slot = Some(self.load()?);
        }
        Ok(f(slot.as_mut().expect("loaded")))
    }

    fn load(&self) -> Result<Conversation> {
        let meta_map = self.meta_map()?;
        let id = meta_map.get("conversation_id").cloned().ok_or("conversation not initialised")?;
        let meta: Meta = match meta_map.get("core") {
            Some(json) => serde_json::from_str(json)?,
            None => return Err("conversation state missing".into()),
        };
        let rows = self
            .sql()
            .exec(&format!("SELECT {MESSAGE_COLS} FROM messages ORDER BY seq"), None)?
            .to_array::<MessageRow>()?;
        let messages = rows
            .into_iter()
            .map(|r| StoredMessage {
                view: MessageView {
                    seq: r.seq,
                    client_id: r.client_id,
                    author: Author {
                        role: if r.author_role == "operator" { Role::Operator } else { Role::Visitor },
                        name: r.author_name,
                    },
                    text: r.text,
                    at: Millis(r.at),
                },
                author_id: r.author_id,
            })
            .collect();
        Ok(Conversation::restore(ConversationId(id), config(&self.env), meta, messages))
    }

    fn accept(&self, req: &Request) -> Result<Response> {
        let meta = self.meta_map()?;
        let Some(visitor_id) = meta.get("visitor_id") else {
            return Response::error("unknown conversation", 404);
        };
        let header = |name: &str| req.headers().get(name).ok().flatten().unwrap_or_default();
        let role = match header(HDR_ROLE).as_str() {
            "visitor" => Role::Visitor,
            "operator" => Role::Operator,
            _ => return Response::error("missing role", 400),
        };
        let participant = Participant { role, id: header(HDR_PARTICIPANT_ID), name: header(HDR_PARTICIPANT_NAME) };
        let session = Some(header(HDR_SESSION)).filter(|s| role == Role::Operator && !s.is_empty());
        if role == Role::Visitor && &participant.id != visitor_id {
            return Response::error("not your conversation", 403);
        }
        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        pair.server.serialize_attachment(Attached {
            id: crate::util::new_id("s"),
            conn: Connection::new(participant),
            session,
        })?;
        Response::from_websocket(pair.client)
    }

    async fn disconnected(&self, ws: &WebSocket) -> Result<()> {
        let Some(Attached { id, conn, .. }) = attached(ws) else { return Ok(()) };
        if !conn.greeted {
            return Ok(());
        }
        let visitors_left = self
            .state
            .get_websockets()
            .iter()
            .filter_map(attached)
            .filter(|a| a.id != id && a.conn.greeted && a.conn.participant.role == Role::Visitor)
            .count();
        let effects = self.with_core(|core| core.handle_disconnect(&conn, visitors_left, now()))?;
        self.apply(Some(ws), effects).await
    }

    /// Carries out the core's effects in order. `ws` is the socket the input came from.
    async fn apply(&self, ws: Option<&WebSocket>, effects: Vec<Effect>) -> Result<()> {
        let mut changed = false;
        let mut meta_changed = false;
        let mut notices = false;
        for effect in effects {
            match effect {
                Effect::Store(m) => {
                    if let Err(e) = self.store(m) {
                        // Forget the in-memory state so it is rebuilt from what was really
                        // stored; nothing after this (no ack) is sent.
                        self.core.borrow_mut().take();
                        return Err(e);
                    }
                    changed = true;
                }
                Effect::SaveMeta(meta) => {
                    self.sql().exec(
                        "INSERT OR REPLACE INTO meta (key, value) VALUES ('core', ?)",
                        vec![serde_json::to_string(&meta)?.into()],
                    )?;
                    changed = true;
                    meta_changed = true;
                }
                Effect::Record(event) => {
                    self.record(&event)?;
                    changed = true;
                }
                Effect::UpdateConnection(conn) => {
                    if let Some((ws, Some(a))) = ws.map(|w| (w, attached(w))) {
                        ws.serialize_attachment(Attached { id: a.id, conn, session: a.session })?;
                    }
                }
                Effect::Reply(msg) => {
                    if let Some(ws) = ws {
                        let _ = ws.send_with_str(encode_server(&msg));
                    }
                }
                Effect::Broadcast(msg) => {
                    let frame = encode_server(&msg);
                    for peer in self.state.get_websockets() {
                        let _ = peer.send_with_str(&frame);
                    }
                }
                Effect::BroadcastOthers(msg) => {
                    let frame = encode_server(&msg);
                    let me = ws.and_then(attached).map(|a| a.id);
                    for peer in self.state.get_websockets() {
                        if attached(&peer).map(|a| a.id) != me {
                            let _ = peer.send_with_str(&frame);
                        }
                    }
                }
                Effect::ToOperators(msg) => {
                    let frame = encode_server(&msg);
                    for peer in self.state.get_websockets() {
                        if attached(&peer).is_some_and(|a| a.conn.participant.role == Role::Operator) {
                            let _ = peer.send_with_str(&frame);
                        }
                    }
                }
                Effect::Dispatch(notice) => {
                    self.sql().exec(
                        "INSERT INTO dispatch_outbox (body) VALUES (?)",
                        vec![serde_json::to_string(&notice)?.into()],
                    )?;
                    notices = true;
                }
                Effect::Close { code, reason } => {
                    if let Some(ws) = ws {
                        let _ = ws.close(Some(code), Some(reason));
                    }
                }
            }
        }
        if changed {
            self.sync().await;
        }
        if notices {
            self.flush_notices().await;
        }
        if meta_changed || self.sync_pending.get() || self.notice_pending.get() {
            self.rearm().await;
        }
        Ok(())
    }

    fn store(&self, m: StoredMessage) -> Result<()> {
        self.sql().exec(
            "INSERT INTO messages (seq, client_id, author_id, author_role, author_name, text, at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![
                SqlStorageValue::Integer(m.view.seq as i64),
                m.view.client_id.into(),
                m.author_id.into(),
                role_str(m.view.author.role).into(),
                m.view.author.name.into(),
                m.view.text.into(),
                SqlStorageValue::Integer(m.view.at.0 as i64),
            ],
        )?;
        Ok(())
    }

    fn record(&self, event: &Event) -> Result<()> {
        self.sql().exec(
            "INSERT INTO events (at, kind, detail) VALUES (?, ?, ?)",
            vec![
                SqlStorageValue::Integer(event.at.0 as i64),
                event.kind.name().into(),
                serde_json::to_string(&event.kind)?.into(),
            ],
        )?;
        Ok(())
    }

    /// Arms the one alarm at the earliest of the core's deadline and a pending D1 retry.
    async fn rearm(&self) {
        let deadline = self.with_core(|core| core.next_deadline()).ok().flatten().map(|d| d.0);
        let retry = (self.sync_pending.get() || self.notice_pending.get()).then(|| now().0 + SYNC_RETRY_MS);
        let storage = self.state.storage();
        let result = match deadline.into_iter().chain(retry).min() {
            // An absolute time (a plain i64 would be read as an offset from now).
            Some(at) => storage.set_alarm(ScheduledTime::new(js_sys::Date::new(&(at as f64).into()))).await,
            None => storage.delete_alarm().await,
        };
        if let Err(e) = result {
            worker::console_error!("could not arm the alarm: {e}");
        }
    }

    /// Copies the summary and the events D1 does not have yet; marks a retry on failure. The
    /// summary is recomputed from the current state and events are keyed by their sequence,
    /// so a retry never counts anything twice.
    async fn sync(&self) {
        match self.try_sync().await {
            Ok(()) => self.sync_pending.set(false),
            Err(e) => {
                worker::console_error!("D1 sync failed, retrying by alarm: {e}");
                self.sync_pending.set(true);
            }
        }
    }

    /// Delivers the notices for the dispatcher in order; a failure is retried by alarm.
    async fn flush_notices(&self) {
        match self.try_flush_notices().await {
            Ok(()) => self.notice_pending.set(false),
            Err(e) => {
                worker::console_error!("dispatch notice failed, retrying by alarm: {e}");
                self.notice_pending.set(true);
            }
        }
    }

    async fn try_flush_notices(&self) -> Result<()> {
        #[derive(Deserialize)]
        struct Row {
            seq: i64,
            body: String,
        }
        let rows = self.sql().exec("SELECT seq, body FROM dispatch_outbox ORDER BY seq", None)?.to_array::<Row>()?;
        if rows.is_empty() {
            return Ok(());
        }
        let meta = self.meta_map()?;
        let (Some(conversation_id), Some(account_id)) = (meta.get("conversation_id"), meta.get("account_id")) else {
            return Ok(());
        };
        for row in rows {
            let notice: Notice = serde_json::from_str(&row.body)?;
            let cmd = crate::dispatch::Command::Notice { conversation_id: conversation_id.clone(), notice };
            // A refusal cannot happen for notices; either way it is delivered.
            let _ = crate::dispatch::call::<serde_json::Value>(&self.env, account_id, &cmd).await?;
            self.sql().exec("DELETE FROM dispatch_outbox WHERE seq = ?", vec![SqlStorageValue::Integer(row.seq)])?;
        }
        Ok(())
    }

    async fn try_sync(&self) -> Result<()> {
        let (id, meta, count, last, nor) = self.with_core(|core| {
            let last = core.messages().last().map(|m| m.view.clone());
            (core.id().0.clone(), core.meta().clone(), core.messages().len() as u64, last, core.no_operator_response())
        })?;
        let meta_map = self.meta_map()?;
        let (events_synced, mut messages_synced) =
            (marker(&meta_map, "events_synced"), marker(&meta_map, "messages_synced"));
        let scope = db::Scope {
            account_id: meta_map.get("account_id").map_or("", String::as_str),
            channel_id: meta_map.get("channel_id").map_or("", String::as_str),
        };
        #[derive(Deserialize)]
        struct Ev {
            seq: u64,
            at: u64,
            kind: String,
            detail: String,
        }
        let events: Vec<db::EventRow> = self
            .sql()
            .exec(
                "SELECT seq, at, kind, detail FROM events WHERE seq > ? ORDER BY seq",
                vec![SqlStorageValue::Integer(events_synced as i64)],
            )?
            .to_array::<Ev>()?
            .into_iter()
            .map(|e| db::EventRow { seq: e.seq, at: e.at, kind: e.kind, detail: e.detail })
            .collect();
        let preview: String = last.as_ref().map(|m| m.text.chars().take(PREVIEW_CHARS).collect()).unwrap_or_default();
        let pages: Vec<serde_json::Value> = meta
            .visitor
            .pages
            .iter()
            .map(|p| serde_json::json!({ "url": p.url, "title": p.title, "at": p.at.0 }))
            .collect();
        let pages = serde_json::to_string(&pages)?;
        let summary = db::Summary {
            id: &id,
            status: meta.status.as_str(),
            message_count: count,
            last_message_at: last.as_ref().map(|m| m.at.0),
            last_message_preview: &preview,
            closed_at: meta.closed_at.map(|t| t.0),
            closed_by: meta.closed_by.map(|b| b.as_str()),
            no_operator_response: nor,
            operator_id: meta.operator.as_ref().map(|o| o.0.as_str()),
            operator_name: meta.operator.as_ref().map_or("", |o| o.1.as_str()),
            current_page: meta.visitor.pages.last().map_or("", |p| p.url.as_str()),
            pages_visited: meta.visitor.pages.len() as u64,
            pages: &pages,
            updated_at: now().0,
        };
        // The summary, the new events and the first messages not yet copied go in one batch;
        // a long backlog (after D1 was unreachable) follows in further batches. Each marker
        // moves only after its batch succeeded, so nothing is lost; rows are keyed by the
        // object's sequence, so a retry (or two syncs racing) never counts anything twice.
        let mut first = true;
        loop {
            let messages = self.unsynced_messages(messages_synced)?;
            let full = messages.len() == MESSAGES_PER_SYNC;
            db::sync_conversation(
                &db::db(&self.env)?,
                &id,
                first.then_some(&summary),
                if first { &events } else { &[] },
                &scope,
                &messages,
            )
            .await?;
            if first {
                if let Some(last) = events.last() {
                    self.advance_marker("events_synced", last.seq)?;
                }
            }
            if let Some(last) = messages.last() {
                messages_synced = last.seq;
                self.advance_marker("messages_synced", last.seq)?;
            }
            first = false;
            if !full {
                return Ok(());
            }
        }
    }

    /// Up to [`MESSAGES_PER_SYNC`] stored messages after `after`, as D1 rows.
    fn unsynced_messages(&self, after: u64) -> Result<Vec<db::MessageRow>> {
        let rows = self
            .sql()
            .exec(
                &format!("SELECT {MESSAGE_COLS} FROM messages WHERE seq > ? ORDER BY seq LIMIT ?"),
                vec![SqlStorageValue::Integer(after as i64), SqlStorageValue::Integer(MESSAGES_PER_SYNC as i64)],
            )?
            .to_array::<MessageRow>()?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let operator = r.author_role == "operator";
                db::MessageRow {
                    seq: r.seq,
                    operator_id: operator.then_some(r.author_id),
                    role: if operator || r.author_role == "system" { r.author_role } else { "visitor".to_owned() },
                    author_name: r.author_name,
                    text: r.text,
                    at: r.at,
                }
            })
            .collect())
    }

    /// Moves a D1-sync marker forward (never back: of two syncs that raced, the later to
    /// finish may have copied less). Read and write are one synchronous step.
    fn advance_marker(&self, key: &str, seq: u64) -> Result<()> {
        if seq > marker(&self.meta_map()?, key) {
            self.sql().exec(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                vec![key.into(), seq.to_string().into()],
            )?;
        }
        Ok(())
    }
}

fn role_str(role: Role) -> &'static str {
    match role {
        Role::Visitor => "visitor",
        Role::Operator => "operator",
    }
}

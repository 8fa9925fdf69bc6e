//! One Durable Object per conversation: the conversation's single writer.
//!
//! It keeps the conversation in its own SQLite (`meta`, `messages`), rebuilds the pure
//! [`Conversation`] core from it on wake, and carries out the core's effects in order: a
//! message is written before it is acknowledged, so nothing acknowledged is lost. Sockets use
//! the hibernation API; each socket's [`Connection`] rides on it as an attachment. After a
//! change, the object upserts its summary row in D1; a failed write is retried by alarm.

use std::cell::RefCell;
use std::collections::HashMap;

use parley_shared::conversation::{Connection, Conversation, Effect, Participant, StoredMessage};
use parley_shared::ids::ConversationId;
use parley_shared::protocol::{decode_client, encode_server, Author, MessageView, Role, Status};
use parley_shared::Millis;
use serde::{Deserialize, Serialize};
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair,
};

use crate::db;
use crate::util::now;

/// Headers set by the worker (never by clients: the object is reachable only through it).
pub const HDR_ROLE: &str = "X-Parley-Role";
pub const HDR_PARTICIPANT_ID: &str = "X-Parley-Participant-Id";
pub const HDR_PARTICIPANT_NAME: &str = "X-Parley-Participant-Name";

/// How long to wait before retrying a failed D1 summary write.
const SUMMARY_RETRY_MS: u64 = 5_000;

#[derive(Serialize, Deserialize)]
pub struct InitBody {
    pub conversation_id: String,
    pub account_id: String,
    pub channel_id: String,
    pub visitor_id: String,
    pub created_at: u64,
}

/// The object's SQLite schema, applied in order. Append-only: never edit a landed entry.
const MIGRATIONS: &[&str] = &["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE messages (
       seq INTEGER PRIMARY KEY,
       client_id TEXT NOT NULL,
       author_id TEXT NOT NULL,
       author_role TEXT NOT NULL,
       author_name TEXT NOT NULL,
       text TEXT NOT NULL,
       at INTEGER NOT NULL,
       UNIQUE (author_id, client_id)
     );"];

fn migrate(sql: &SqlStorage) -> Result<()> {
    sql.exec("CREATE TABLE IF NOT EXISTS _schema (version INTEGER NOT NULL)", None)?;
    #[derive(Deserialize)]
    struct V {
        version: u64,
    }
    let current = sql.exec("SELECT version FROM _schema", None)?.to_array::<V>()?.first().map_or(0, |v| v.version);
    for (i, stmt) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        sql.exec(stmt, None)?;
        sql.exec("DELETE FROM _schema", None)?;
        sql.exec("INSERT INTO _schema (version) VALUES (?)", vec![SqlStorageValue::Integer(i as i64 + 1)])?;
    }
    Ok(())
}

#[durable_object]
pub struct ConversationObject {
    state: State,
    env: Env,
    core: RefCell<Option<Conversation>>,
}

impl DurableObject for ConversationObject {
    fn new(state: State, env: Env) -> Self {
        if let Err(e) = migrate(&state.storage().sql()) {
            worker::console_error!("conversation schema migration failed: {e}");
        }
        Self { state, env, core: RefCell::new(None) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match req.path().as_str() {
            "/init" => {
                let body: InitBody = req.json().await?;
                let sql = self.sql();
                for (k, v) in [
                    ("conversation_id", body.conversation_id),
                    ("account_id", body.account_id),
                    ("channel_id", body.channel_id),
                    ("visitor_id", body.visitor_id),
                    ("created_at", body.created_at.to_string()),
                    ("status", Status::Waiting.as_str().to_owned()),
                ] {
                    sql.exec("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", vec![k.into(), v.into()])?;
                }
                Response::ok("ok")
            }
            "/ws" => self.accept(&req),
            _ => Response::error("not found", 404),
        }
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        let Some(conn) = ws.deserialize_attachment::<Connection>()? else {
            ws.close(Some(1011), Some("lost connection state"))?;
            return Ok(());
        };
        let effects = {
            let mut slot = self.loaded()?;
            let core = slot.as_mut().expect("loaded");
            let decoded = match message {
                WebSocketIncomingMessage::String(text) => decode_client(&text),
                WebSocketIncomingMessage::Binary(_) => Err(parley_shared::protocol::ProtocolError::new(
                    parley_shared::protocol::ErrorCode::Malformed,
                    "binary frames are not part of the protocol",
                )),
            };
            match decoded {
                Ok(msg) => core.handle_client(&conn, msg, now()),
                Err(e) => core.handle_bad_frame(&e),
            }
        };
        self.apply(&ws, effects).await
    }

    async fn websocket_close(&self, ws: WebSocket, _code: usize, _reason: String, _clean: bool) -> Result<()> {
        // Complete the closing handshake; the socket may already be gone.
        let _ = ws.close(Some(1000), Some("closed"));
        Ok(())
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> Result<()> {
        let _ = ws.close(Some(1011), Some("error"));
        Ok(())
    }

    async fn alarm(&self) -> Result<Response> {
        self.sync_summary().await;
        Response::ok("ok")
    }
}

impl ConversationObject {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    fn meta(&self) -> Result<HashMap<String, String>> {
        #[derive(Deserialize)]
        struct Kv {
            key: String,
            value: String,
        }
        let rows = self.sql().exec("SELECT key, value FROM meta", None)?.to_array::<Kv>()?;
        Ok(rows.into_iter().map(|kv| (kv.key, kv.value)).collect())
    }

    /// The core, rebuilt from SQLite if this instance has not loaded it yet.
    fn loaded(&self) -> Result<std::cell::RefMut<'_, Option<Conversation>>> {
        let mut slot = self.core.borrow_mut();
        if slot.is_none() {
            *slot = Some(self.load()?);
        }
        Ok(slot)
    }

    fn load(&self) -> Result<Conversation> {
        let meta = self.meta()?;
        let id = meta.get("conversation_id").cloned().ok_or("conversation not initialised")?;
        let status = meta.get("status").and_then(|s| Status::parse(s)).unwrap_or(Status::Waiting);
        #[derive(Deserialize)]
        struct Row {
            seq: u64,
            client_id: String,
            author_id: String,
            author_role: String,
            author_name: String,
            text: String,
            at: u64,
        }
        let rows = self
            .sql()
            .exec(
                "SELECT seq, client_id, author_id, author_role, author_name, text, at FROM messages ORDER BY seq",
                None,
            )?
            .to_array::<Row>()?;
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
        Ok(Conversation::restore(ConversationId(id), status, messages))
    }

    fn accept(&self, req: &Request) -> Result<Response> {
        let meta = self.meta()?;
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
        if role == Role::Visitor && &participant.id != visitor_id {
            return Response::error("not your conversation", 403);
        }
        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        pair.server.serialize_attachment(Connection::new(participant))?;
        Response::from_websocket(pair.client)
    }

    async fn apply(&self, ws: &WebSocket, effects: Vec<Effect>) -> Result<()> {
        let mut changed = false;
        for effect in effects {
            match effect {
                Effect::Store(m) => {
                    let stored = self.sql().exec(
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
                    );
                    if let Err(e) = stored {
                        // Forget the in-memory state so it is rebuilt from what was really
                        // stored; nothing after this (no ack) is sent.
                        self.core.borrow_mut().take();
                        return Err(e);
                    }
                    changed = true;
                }
                Effect::SetStatus(status) => {
                    self.sql().exec(
                        "INSERT OR REPLACE INTO meta (key, value) VALUES ('status', ?)",
                        vec![status.as_str().into()],
                    )?;
                    changed = true;
                }
                Effect::UpdateConnection(conn) => ws.serialize_attachment(conn)?,
                Effect::Reply(msg) => {
                    let _ = ws.send_with_str(encode_server(&msg));
                }
                Effect::Broadcast(msg) => {
                    let frame = encode_server(&msg);
                    for peer in self.state.get_websockets() {
                        let _ = peer.send_with_str(&frame);
                    }
                }
                Effect::BroadcastOthers(msg) => {
                    let frame = encode_server(&msg);
                    for peer in self.state.get_websockets().into_iter().filter(|p| p != ws) {
                        let _ = peer.send_with_str(&frame);
                    }
                }
                Effect::Close { code, reason } => {
                    let _ = ws.close(Some(code), Some(reason));
                }
            }
        }
        if changed {
            self.sync_summary().await;
        }
        Ok(())
    }

    /// Upserts this conversation's summary row in D1; on failure, retries by alarm. The row is
    /// recomputed from the current state each time, so a retry never counts anything twice.
    async fn sync_summary(&self) {
        let result = async {
            let (id, status, count, last) = {
                let slot = self.loaded()?;
                let core = slot.as_ref().expect("loaded");
                let last = core.messages().last().map(|m| m.view.clone());
                (core.id().0.clone(), core.status(), core.messages().len() as u64, last)
            };
            let preview: String = last.as_ref().map(|m| m.text.chars().take(140).collect()).unwrap_or_default();
            let summary = db::Summary {
                id: &id,
                status: status.as_str(),
                message_count: count,
                last_message_at: last.as_ref().map(|m| m.at.0),
                last_message_preview: &preview,
                updated_at: now().0,
            };
            db::update_summary(&db::db(&self.env)?, &summary).await
        }
        .await;
        if let Err(e) = result {
            worker::console_error!("summary sync failed, retrying by alarm: {e}");
            let _ = self.state.storage().set_alarm(std::time::Duration::from_millis(SUMMARY_RETRY_MS)).await;
        }
    }
}

fn role_str(role: Role) -> &'static str {
    match role {
        Role::Visitor => "visitor",
        Role::Operator => "operator",
    }
}

//! One Durable Object per conversation: the conversation's single writer.
//!
//! It keeps the conversation in its own SQLite (`meta`, `messages`, `events`), rebuilds the
//! pure [`Conversation`] core from it on wake — the meta and the transcript's tail only (one
//! read along the primary key), never the whole transcript — and carries out the core's effects
//! in order: a message is written before it is acknowledged, so nothing acknowledged is lost.
//! The core's questions about older messages ([`Effect::LookUp`], [`Effect::ReadOlder`]) are
//! answered from SQLite in the same synchronous step. Sockets use
//! the hibernation API; each socket's [`Connection`] rides on it as an attachment. Built on the
//! [`kit`]: one alarm serves the core's deadline (session timeout), the D1 copy and its retry
//! (job `sync`) and the outbox of notices for the dispatcher. Called with a
//! [`ConversationRequest`].
//!
//! **The message hot path** (issue 19): decode, idempotency check (in memory, the tail), one
//! SQLite write, ack to the sender, the message to the others (no echo: protocol v2) — nothing
//! else. The socket's attachment is one JSON string; the core's state, meta and the kit's retry
//! times are held in memory (read once per wake) and written only when they change; the alarm
//! is stored only when its earliest deadline moves; the D1 copy (summary, new events, new messages;
//! markers `events_synced` and `messages_synced` in `meta` move only after D1 took them) is
//! coalesced by the core's [`CopyPlan`]: at most one copy per `CONVERSATION_COPY_INTERVAL_MS`
//! while messages come in, run by the alarm, and at once after a recorded event (assignment,
//! transfer, close…); one copy runs at a time, so racing copies never write a message twice.

use parley_core::conversation::copy::{self, CopyPlan, Urgency};
use parley_core::conversation::{Connection, Conversation, Effect, Event, Meta, Notice, Participant, StoredMessage};
use parley_core::keys::Purpose;
use parley_core::login::{SocketCheck, SocketVerdict};
use parley_protocol::error::{ApiError, ErrorCode as ApiCode};
use parley_protocol::ids::ConversationId;
use parley_protocol::limits::PREVIEW_CHARS;
use parley_protocol::protocol::{
    decode_client, encode_server, ClientMsg, ErrorCode, ProtocolError, Role, CLOSE_SESSION_ENDED,
};
use parley_protocol::Millis;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::collections::VecDeque;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, State, WebSocket, WebSocketIncomingMessage,
    WebSocketPair,
};

use crate::objects::kit::{self, Kit, Lazy, OutboxRow};
use crate::store::object_conversation;
use crate::stubs::{ConversationRequest, DispatchStub, InitBody};
use crate::util::now;

/// The retry job of the D1 copy.
const SYNC: &str = "sync";
/// `meta` key: the visitor socket tickets spent here and not yet expired (`NONCE:EXPIRES …`).
const SPENT_TICKETS: &str = "spent_tickets";
/// Outbox rows: a notice for the dispatcher.
const NOTICE: &str = "notice";

/// The close code of the sockets of an erased conversation.
const ERASED_CLOSE: u16 = 4_410;

/// Messages copied to D1 per batch (in INSERTs of 11 rows: ≤ 100 bound parameters each).
const MESSAGES_PER_SYNC: usize = 440;

/// What rides on each socket: a unique id (the core's key for the socket's frame bucket) and the
/// core's connection state.
#[derive(Serialize, Deserialize)]
struct Attached {
    id: String,
    conn: Connection,
    /// An operator's session digest: their sends are accepted only while it is valid.
    #[serde(default)]
    session: Option<String>,
    /// What the socket knows of that session without asking D1 (a lookup at most once a
    /// minute; revocations arrive as [`ConversationRequest::Revoke`]).
    #[serde(default)]
    check: SocketCheck,
}

/// The socket's [`Attached`], read on every frame: kept as one JSON string (one crossing of the
/// wasm boundary, parsed by serde_json) rather than a JS object that `serde_wasm_bindgen` reads
/// field by field. An attachment of an older build (an object) is still read.
fn attached(ws: &WebSocket) -> Option<Attached> {
    match ws.deserialize_attachment::<String>() {
        Ok(Some(json)) => serde_json::from_str(&json).ok(),
        _ => ws.deserialize_attachment::<Attached>().ok().flatten(),
    }
}

/// Attaches `a` to the socket (see [`attached`]).
fn attach(ws: &WebSocket, a: &Attached) -> Result<()> {
    ws.serialize_attachment(serde_json::to_string(a)?)
}

#[durable_object]
pub struct ConversationObject {
    /// The conversation (messages and meta), rebuilt from SQLite on wake.
    conversation: Lazy<Conversation>,
    /// When the D1 copy runs next (in memory; a pending copy survives a restart through the
    /// alarm, and a wake finding D1 behind plans one).
    copy: Cell<CopyPlan>,
    kit: Kit,
}

impl DurableObject for ConversationObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            conversation: Lazy::default(),
            copy: Cell::new(CopyPlan::default()),
            kit: Kit::new(state, env, "conversation", object_conversation::MIGRATIONS),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        self.kit.ready()?;
        let request: ConversationRequest = kit::read(&mut req).await?;
        if !matches!(request, ConversationRequest::Init { .. }) && !self.kit.has_meta("conversation_id")? {
            return Response::error("unknown conversation", 404);
        }
        match request {
            ConversationRequest::Init { init } => {
                if self.kit.has_meta("conversation_id")? {
                    return Response::ok("exists");
                }
                let InitBody {
                    conversation_id,
                    account_id,
                    channel_id,
                    visitor_id,
                    created_at,
                    route,
                    visitor,
                    missed_wait_ms,
                    origin,
                    visitor_email,
                } = *init;
                let t = Millis(created_at);
                let config = crate::config::get(self.kit.env())?.conversation;
                for (k, v) in [
                    ("conversation_id", conversation_id.as_str()),
                    ("account_id", account_id.as_str()),
                    ("channel_id", channel_id.as_str()),
                    ("visitor_id", visitor_id.as_str()),
                    ("origin", origin.as_str()),
                    ("visitor_email", visitor_email.as_str()),
                ] {
                    self.kit.set_meta(k, v)?;
                }
                let (mut core, mut effects) = Conversation::create(conversation_id, config, t);
                core.set_attachment_keys(crate::guard::keys(self.kit.env(), Purpose::AttachmentToken)?);
                effects.extend(core.set_visitor(visitor));
                if missed_wait_ms.is_some() {
                    effects.extend(core.set_missed_wait(missed_wait_ms));
                }
                let mails = crate::mail_out::sender(self.kit.env())?.is_some();
                if mails && parley_mail::compose::is_valid_address(&visitor_email) {
                    effects.extend(core.set_mail_replies(true));
                }
                effects.extend(core.handle_route(route, None, t));
                self.conversation.set(core);
                self.apply(None, effects).await?;
                Response::ok("ok")
            }
            ConversationRequest::Route { seq, update } => {
                let effects = self.with_core(|core| core.handle_route(update, Some(seq), now()))?;
                self.apply(None, effects).await?;
                Response::ok("ok")
            }
            // The conversation's status as the object knows it (D1 catches up a moment later).
            ConversationRequest::Status => Response::ok(self.with_core(|core| core.status())?.as_str()),
            ConversationRequest::Connect { participant, session, ticket, session_valid_until } => {
                // A visitor's ticket opens one socket: spent tickets are kept until they expire.
                if let Some(t) = ticket {
                    let ticket = parley_core::keys::Ticket { nonce: t.nonce, expires_at: t.expires_at };
                    let spent = self.kit.meta(SPENT_TICKETS)?.unwrap_or_default();
                    match parley_core::keys::admit_ticket(&spent, &ticket, now().0) {
                        Ok(spent) => self.kit.set_meta(SPENT_TICKETS, &spent)?,
                        Err(_) => return Response::error("ticket refused", 403),
                    }
                }
                self.accept(participant, session, session_valid_until)
            }
            ConversationRequest::Revoke { sessions } => {
                self.revoke(&sessions)?;
                Response::ok("ok")
            }
            ConversationRequest::Messages => {
                Response::from_json(&object_conversation::messages_between(&self.kit.sql(), 0, i64::MAX as u64)?)
            }
            ConversationRequest::Emailed { client_id, text } => {
                // The visitor, through no socket: the ack has no one to go to, the message goes
                // to every socket (operators and the visitor's own, if one is open).
                let visitor_id = self.kit.meta("visitor_id")?.unwrap_or_default();
                let conn = Connection {
                    participant: Participant { role: Role::Visitor, id: visitor_id, name: "Visitor".to_owned() },
                    greeted: true,
                };
                let msg = ClientMsg::Send { client_id, text, attachment: None };
                let effects = self.with_core(|core| core.handle_client(&conn, msg, now()))?;
                let refusal = effects.iter().find_map(|e| match e {
                    Effect::Reply(parley_protocol::protocol::ServerMsg::Error { code, .. }) => Some(*code),
                    _ => None,
                });
                self.apply(None, effects).await?;
                match refusal {
                    None => Response::ok("stored"),
                    Some(ErrorCode::ConversationClosed) => Response::error("closed", 409),
                    Some(code) => Response::error(code.as_str(), 429),
                }
            }
            ConversationRequest::Erase => {
                for ws in self.kit.state().get_websockets() {
                    let _ = ws.close(Some(ERASED_CLOSE), Some("erased"));
                }
                self.conversation.forget();
                self.copy.set(CopyPlan::default());
                self.kit.erase_all(object_conversation::MIGRATIONS).await?;
                Response::ok("erased")
            }
        }
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        self.kit.ready()?;
        let Some(Attached { id, conn, session, check }) = attached(&ws) else {
            ws.close(Some(1011), Some("lost connection state"))?;
            return Ok(());
        };
        let mut decoded = match message {
            WebSocketIncomingMessage::String(text) => decode_client(&text),
            WebSocketIncomingMessage::Binary(_) => {
                Err(ProtocolError::new(ErrorCode::Malformed, "binary frames are not part of the protocol"))
            }
        };
        // Every frame, of any kind, takes a token of its socket's bucket; over it the frame is
        // refused `rate_limited` and changes nothing (nor is a session looked up for it).
        if self.with_core(|core| core.admit_frame(&id, now()))?.is_err() {
            let client_id = match &decoded {
                Ok(ClientMsg::Send { client_id, .. }) => Some(client_id.clone()),
                _ => None,
            };
            decoded = Err(Conversation::frame_refusal(client_id.as_deref()));
        }
        // An operator's frames count only while their console session is valid: the socket
        // trusts what it holds in memory and looks the session up at most once a minute
        // (`SocketCheck`); logout, disabling and a new password revoke it at once (`revoke`).
        let mut conn = conn;
        let refused = decoded.is_err();
        if let Some(digest) = session.as_ref().filter(|_| !refused) {
            let t = now().0;
            let mut verdict = check.verdict(t);
            if verdict == SocketVerdict::Recheck {
                let until = crate::guard::session_valid_until(self.kit.env(), digest, &conn.participant.id).await?;
                // Other frames may have been handled meanwhile: write onto the current state.
                if let Some(mut a) = attached(&ws) {
                    a.check = a.check.looked_up(t, until);
                    verdict = a.check.verdict(t);
                    conn = a.conn.clone();
                    attach(&ws, &a)?;
                }
            }
            if verdict == SocketVerdict::Ended {
                let client_id = match &decoded {
                    Ok(ClientMsg::Send { client_id, .. }) => Some(client_id.clone()),
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
        self.forget_socket(&ws).await;
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
        self.kit.ready()?;
        self.kit.rang();
        if self.kit.has_meta("conversation_id")? {
            let effects = self.with_core(|core| core.handle_alarm(now()))?;
            self.apply(None, effects).await?;
            // Whatever happened before, make sure D1 and the dispatcher have the latest: the
            // coalesced copy is due, or a retry, or this instance knows nothing of the last.
            self.sync(true).await;
            self.drain().await;
            self.rearm().await;
        }
        Response::ok("ok")
    }
}

impl ConversationObject {
    fn with_core<T>(&self, f: impl FnOnce(&mut Conversation) -> T) -> Result<T> {
        self.conversation.with(|| self.load(), f)
    }

    fn load(&self) -> Result<Conversation> {
        let id = self.kit.meta("conversation_id")?.ok_or("conversation not initialised")?;
        let meta: Meta = match self.kit.meta("core")? {
            Some(json) => serde_json::from_str(&json)?,
            None => return Err("conversation state missing".into()),
        };
        let config = crate::config::get(self.kit.env())?.conversation;
        let sql = self.kit.sql();
        let (tail, bytes) = object_conversation::tail(&sql, config.tail)?;
        let mut core = Conversation::restore(ConversationId(id), config, meta, tail, bytes);
        core.set_attachment_keys(crate::guard::keys(self.kit.env(), Purpose::AttachmentToken)?);
        // A copy cut short (a crash, an eviction) left D1 behind: plan one.
        let behind = self.marker("messages_synced")? < core.last_seq()
            || self.marker("events_synced")? < object_conversation::last_event_seq(&sql)?;
        if behind {
            self.plan(|p| p.changed(Urgency::Soon, now()));
        }
        Ok(core)
    }

    fn accept(&self, participant: Participant, session: String, session_valid_until: u64) -> Result<Response> {
        let Some(visitor_id) = self.kit.meta("visitor_id")? else {
            return Response::error("unknown conversation", 404);
        };
        let session = Some(session).filter(|s| participant.role == Role::Operator && !s.is_empty());
        if participant.role == Role::Visitor && participant.id != visitor_id {
            return Response::error("not your conversation", 403);
        }
        // At most `MAX_SOCKETS_PER_CONVERSATION` sockets (429 `too_many_sockets`, Retry-After).
        if let Err(refused) = parley_core::throttle::admit_socket(self.kit.state().get_websockets().len()) {
            let e = ApiError::new(ApiCode::TooManySockets, "this conversation has too many open connections");
            return crate::guard::too_many(e, refused);
        }
        // The worker looked the session up for this upgrade: the socket trusts that until its
        // first recheck (no D1 read on its first frame; revocations arrive as `Revoke`).
        let t = now().0;
        let check = match &session {
            Some(_) if session_valid_until > t => SocketCheck::opened(t, session_valid_until),
            _ => SocketCheck::default(),
        };
        let pair = WebSocketPair::new()?;
        self.kit.state().accept_web_socket(&pair.server);
        attach(
            &pair.server,
            &Attached { id: crate::util::new_id("s"), conn: Connection::new(participant), session, check },
        )?;
        Response::from_websocket(pair.client)
    }

    /// Closes the sockets of the console sessions `sessions` (digests) at once: each is told
    /// `session_ended` and closed with [`CLOSE_SESSION_ENDED`]; a frame that still arrives is
    /// refused the same way.
    fn revoke(&self, sessions: &[String]) -> Result<()> {
        let e = ProtocolError::new(ErrorCode::SessionEnded, "your session has ended; log in again");
        let frame = encode_server(&e.to_server_msg::<parley_protocol::protocol::Hidden>());
        for ws in self.kit.state().get_websockets() {
            let Some(mut a) = attached(&ws) else { continue };
            if !a.session.as_ref().is_some_and(|s| sessions.contains(s)) {
                continue;
            }
            a.check.revoked = true;
            attach(&ws, &a)?;
            let _ = ws.send_with_str(&frame);
            let _ = ws.close(Some(CLOSE_SESSION_ENDED), Some("session_ended"));
        }
        Ok(())
    }

    /// An operator socket closed: when it was its session's last one here, the session no
    /// longer has a socket in this conversation (nothing to revoke later). Best effort.
    async fn forget_socket(&self, ws: &WebSocket) {
        let Some(Attached { id, session: Some(digest), .. }) = attached(ws) else { return };
        let others = self
            .kit
            .state()
            .get_websockets()
            .iter()
            .filter_map(attached)
            .any(|a| a.id != id && a.session.as_deref() == Some(digest.as_str()));
        let Ok(Some(conversation_id)) = self.kit.meta("conversation_id") else { return };
        if !others {
            let db = match crate::store::directory(self.kit.env()) {
                Ok(db) => db,
                Err(_) => return,
            };
            if let Err(e) = crate::store::sessions::forget_socket(&db, &digest, &conversation_id).await {
                worker::console_error!("forget operator socket: {e}");
            }
        }
    }

    async fn disconnected(&self, ws: &WebSocket) -> Result<()> {
        let Some(Attached { id, conn, .. }) = attached(ws) else { return Ok(()) };
        if self.kit.has_meta("conversation_id")? {
            self.with_core(|core| core.forget_socket(&id))?;
        }
        // An erased conversation has nothing left to update.
        if !conn.greeted || !self.kit.has_meta("conversation_id")? {
            return Ok(());
        }
        let visitors_left = self
            .kit
            .state()
            .get_websockets()
            .iter()
            .filter_map(attached)
            .filter(|a| a.id != id && a.conn.greeted && a.conn.participant.role == Role::Visitor)
            .count();
        let effects = self.with_core(|core| core.handle_disconnect(&conn, visitors_left, now()))?;
        self.apply(Some(ws), effects).await
    }

    /// The missed-chat mail to the channel's notification addresses, sent at once.
    async fn mail_missed(&self, missed: &parley_core::conversation::Missed) -> Result<()> {
        let env = self.kit.env();
        let meta = |k: &str| -> Result<String> { Ok(self.kit.meta(k)?.unwrap_or_default()) };
        let (conversation_id, channel_id, origin) = (meta("conversation_id")?, meta("channel_id")?, meta("origin")?);
        let visitor_name = self.with_core(|core| core.meta().visitor.name.clone())?;
        let link = format!("{origin}/console#/transcript/{conversation_id}");
        let mail = crate::mail_out::MissedMail {
            channel_id: &channel_id,
            conversation_id: &conversation_id,
            link: &link,
            visitor_name: &visitor_name,
            missed,
        };
        if let Some((account_id, queued)) = crate::mail_out::missed_chat(env, &mail, now().0).await? {
            let shard = crate::store::shard(env, &account_id).await?;
            crate::mail_out::send(env, &shard, &queued, now().0).await?;
        }
        Ok(())
    }

    /// The operators' messages from `from_seq` on, mailed to the away visitor with a reply
    /// address, sent at once.
    async fn mail_reply(&self, from_seq: u64) -> Result<()> {
        let env = self.kit.env();
        let meta = |k: &str| -> Result<String> { Ok(self.kit.meta(k)?.unwrap_or_default()) };
        let (conversation_id, channel_id, email) =
            (meta("conversation_id")?, meta("channel_id")?, meta("visitor_email")?);
        let messages =
            object_conversation::messages_between(&self.kit.sql(), from_seq.saturating_sub(1), i64::MAX as u64)?;
        let answers: Vec<_> = messages.iter().filter(|m| m.author.role == Role::Operator).collect();
        let Some(last) = answers.last() else { return Ok(()) };
        let text = answers.iter().map(|m| m.text.trim()).collect::<Vec<_>>().join("\n\n");
        let mail = crate::mail_out::ReplyMail {
            channel_id: &channel_id,
            conversation_id: &conversation_id,
            from_seq,
            to: &email,
            operator: &last.author.name,
            text: &text,
        };
        if let Some((account_id, queued)) = crate::mail_out::operator_reply(env, &mail, now().0).await? {
            let shard = crate::store::shard(env, &account_id).await?;
            crate::mail_out::send(env, &shard, &queued, now().0).await?;
        }
        Ok(())
    }

    /// Carries out the core's effects in order. `ws` is the socket the input came from.
    async fn apply(&self, ws: Option<&WebSocket>, effects: Vec<Effect>) -> Result<()> {
        // What D1 must learn, and how soon (the core's rule: a message soon, an event at once).
        let mut urgency: Option<Urgency> = None;
        let mut notices = false;
        self.kit.ready()?;
        // The answers to the core's questions are carried out where the question was.
        let mut queue = VecDeque::from(effects);
        while let Some(effect) = queue.pop_front() {
            urgency = urgency.max(copy::urgency(std::slice::from_ref(&effect)));
            match effect {
                Effect::LookUp(q) => {
                    let found = object_conversation::earlier(&self.kit.sql(), q.author_id(), q.client_id())?;
                    let answer = self.with_core(|core| core.looked_up(q, found))?;
                    answer.into_iter().rev().for_each(|e| queue.push_front(e));
                }
                Effect::ReadOlder(r) => {
                    let older = object_conversation::messages_between(&self.kit.sql(), r.after(), r.before())?;
                    let answer = self.with_core(|core| core.replay_older(r, older))?;
                    answer.into_iter().rev().for_each(|e| queue.push_front(e));
                }
                Effect::Store { message, bytes_through } => {
                    if let Err(e) = self.store(message, bytes_through) {
                        // Forget the in-memory state so it is rebuilt from what was really
                        // stored; nothing after this (no ack) is sent.
                        self.conversation.forget();
                        self.kit.forget();
                        return Err(e);
                    }
                }
                Effect::SaveMeta(meta) => {
                    self.kit.set_meta("core", &serde_json::to_string(&meta)?)?;
                }
                Effect::Record(event) => {
                    self.record(&event)?;
                }
                Effect::UpdateConnection(conn) => {
                    if let Some((ws, Some(a))) = ws.map(|w| (w, attached(w))) {
                        attach(ws, &Attached { id: a.id, conn, session: a.session, check: a.check })?;
                    }
                }
                Effect::Reply(msg) => {
                    if let Some(ws) = ws {
                        let _ = ws.send_with_str(encode_server(&msg));
                    }
                }
                Effect::Broadcast(msg) => {
                    let frame = encode_server(&msg);
                    for peer in self.kit.state().get_websockets() {
                        let _ = peer.send_with_str(&frame);
                    }
                }
                // Every message but to its sender (protocol v2): the sender is told apart by the
                // JS object itself (workerd hands the handler the very socket object
                // `getWebSockets` lists; pinned by e2e `faults`, "every send frame sent twice…": no client
                // gets a message frame of its own send), not by reading each socket's attachment.
                Effect::BroadcastOthers(msg) => {
                    let frame = encode_server(&msg);
                    for peer in self.kit.state().get_websockets() {
                        if ws != Some(&peer) {
                            let _ = peer.send_with_str(&frame);
                        }
                    }
                }
                Effect::ToOperators(msg) => {
                    let frame = encode_server(&msg);
                    for peer in self.kit.state().get_websockets() {
                        if attached(&peer).is_some_and(|a| a.conn.participant.role == Role::Operator) {
                            let _ = peer.send_with_str(&frame);
                        }
                    }
                }
                Effect::Dispatch(notice) => {
                    self.kit.enqueue(NOTICE, &notice)?;
                    notices = true;
                }
                // Queued in the account's outbox (key `missed/<conversation>`: once), then sent;
                // a failed send is the outbox's to retry. Best effort before that: logged.
                Effect::MailMissed(missed) => {
                    if let Err(e) = self.mail_missed(&missed).await {
                        worker::console_error!("missed-chat mail failed: {e}");
                    }
                }
                // The same, key `reply/<conversation>/<from_seq>`.
                Effect::MailReply { from_seq } => {
                    if let Err(e) = self.mail_reply(from_seq).await {
                        worker::console_error!("reply mail failed: {e}");
                    }
                }
                Effect::Close { code, reason } => {
                    if let Some(ws) = ws {
                        let _ = ws.close(Some(code), Some(reason));
                    }
                }
            }
        }
        if let Some(u) = urgency {
            self.plan(|p| p.changed(u, now()));
            if u == Urgency::Now {
                // An event is copied now; should this instance die meanwhile, the alarm (at
                // the latest a second from now: the kit's guard, gone once the copy is done)
                // makes the copy.
                self.kit.guard(SYNC, now().0);
                self.rearm().await;
            }
            // Runs only when due now (an event); a message waits for the alarm.
            self.sync(false).await;
        }
        if notices {
            self.drain().await;
        }
        // The kit arms only when the earliest deadline moved (a burst of messages arms once).
        self.rearm().await;
        Ok(())
    }

    /// Reads or changes the copy plan.
    fn plan<T>(&self, f: impl FnOnce(&mut CopyPlan) -> T) -> T {
        let mut plan = self.copy.get();
        let out = f(&mut plan);
        self.copy.set(plan);
        out
    }

    fn store(&self, m: StoredMessage, bytes_through: u64) -> Result<()> {
        object_conversation::insert_message(&self.kit.sql(), m, bytes_through)
    }

    fn record(&self, event: &Event) -> Result<()> {
        object_conversation::insert_event(&self.kit.sql(), event)
    }

    /// Arms the one alarm at the earliest of the core's deadline and the planned D1 copy (the
    /// kit adds its jobs' retries, D1 copy and outbox, and guards: all in memory, so a message
    /// reads nothing here and stores nothing unless the earliest deadline moved).
    async fn rearm(&self) {
        let deadline = self.with_core(|core| core.next_deadline()).ok().flatten().map(|d| d.0);
        // While a copy runs, it takes what became due when it ends (no alarm ringing meanwhile).
        let plan = self.copy.get();
        let copy = if plan.running() { None } else { plan.due().map(|d| d.0) };
        self.kit.arm([deadline, copy]).await;
    }

    /// Copies to D1 what it does not have yet when the plan says so (`force`: the alarm, which
    /// copies whatever is left); a failure is retried by alarm with the kit's backoff. One copy
    /// at a time: a change made while one runs is planned for the next, which starts from the
    /// markers this one moved. The summary is recomputed from the current state and rows are
    /// keyed by their sequence, so a retry never counts anything twice.
    async fn sync(&self, mut force: bool) {
        while self.plan(|p| p.start(now(), force)) {
            force = false;
            let result = self.try_sync().await;
            self.plan(|p| p.finished());
            match result {
                Ok(()) => {
                    if let Err(e) = self.kit.succeeded(SYNC) {
                        worker::console_error!("D1 sync: {e}");
                    }
                }
                Err(e) => {
                    let wait = self.kit.failed(SYNC, now().0);
                    worker::console_error!("D1 sync failed, retrying in {wait} ms: {e}");
                    return;
                }
            }
        }
    }

    /// Delivers the notices for the dispatcher in order; a failure is retried by alarm.
    async fn drain(&self) {
        self.kit.drain(now().0, |row| self.deliver(row)).await;
    }

    async fn deliver(&self, row: OutboxRow) -> Result<()> {
        if row.kind != NOTICE {
            return Ok(());
        }
        let (Some(conversation_id), Some(account_id)) =
            (self.kit.meta("conversation_id")?, self.kit.meta("account_id")?)
        else {
            return Ok(());
        };
        let notice: Notice = serde_json::from_str(&row.body)?;
        let cmd = crate::stubs::Command::Notice { conversation_id: ConversationId(conversation_id), notice };
        // A refusal cannot happen for notices; either way it is delivered.
        let _ = DispatchStub::get(self.kit.env(), &account_id)?.command::<serde_json::Value>(cmd).await?;
        Ok(())
    }

    async fn try_sync(&self) -> Result<()> {
        let (id, meta, count, last, nor) = self.with_core(|core| {
            let last = core.last_message().map(|m| m.view.clone());
            // Seqs are dense from 1: the last is the count.
            (core.id().0.clone(), core.meta().clone(), core.last_seq(), last, core.no_operator_response())
        })?;
        let (events_synced, mut messages_synced) = (self.marker("events_synced")?, self.marker("messages_synced")?);
        let (account_id, channel_id) =
            (self.kit.meta("account_id")?.unwrap_or_default(), self.kit.meta("channel_id")?.unwrap_or_default());
        let scope = crate::store::conversations::Scope { account_id: &account_id, channel_id: &channel_id };
        let events = object_conversation::events_after(&self.kit.sql(), events_synced)?;
        let preview: String = last.as_ref().map(|m| m.text.chars().take(PREVIEW_CHARS).collect()).unwrap_or_default();
        let pages: Vec<serde_json::Value> = meta
            .visitor
            .pages
            .iter()
            .map(|p| serde_json::json!({ "url": p.url, "title": p.title, "at": p.at.0 }))
            .collect();
        let pages = serde_json::to_string(&pages)?;
        let summary = crate::store::conversations::Summary {
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
        let (mut statements, mut copied) = (0, 0);
        // The copy goes to the account's shard (found once per isolate).
        let d1 = crate::store::shard(self.kit.env(), &account_id).await?;
        loop {
            let messages = self.unsynced_messages(messages_synced)?;
            let full = messages.len() == MESSAGES_PER_SYNC;
            copied += messages.len();
            statements += crate::store::conversations::sync_conversation(
                &d1,
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
                break;
            }
        }
        // What the copy cost (the delivery benchmark counts D1 statements per message).
        if crate::config::get(self.kit.env())?.debug_cost {
            worker::console_log!("copy {id}: d1={statements} messages={copied} through={messages_synced}");
        }
        Ok(())
    }

    /// Up to [`MESSAGES_PER_SYNC`] stored messages after `after`, as D1 rows.
    fn unsynced_messages(&self, after: u64) -> Result<Vec<crate::store::conversations::MessageRow>> {
        object_conversation::messages_after(&self.kit.sql(), after, MESSAGES_PER_SYNC as u64)
    }

    /// Moves a D1-sync marker forward (never back: of two syncs that raced, the later to
    /// finish may have copied less). Read and write are one synchronous step.
    fn advance_marker(&self, key: &str, seq: u64) -> Result<()> {
        if seq > self.marker(key)? {
            self.kit.set_meta(key, &seq.to_string())?;
        }
        Ok(())
    }

    /// A D1-sync marker of `meta` (the last sequence copied), 0 when unset.
    fn marker(&self, key: &str) -> Result<u64> {
        Ok(self.kit.meta_u64(key)?.unwrap_or(0))
    }
}

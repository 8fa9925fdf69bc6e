//! The conversation state machine (sans-IO).
//!
//! One [`Conversation`] is the whole truth of one chat. The edge's Durable Object rebuilds it
//! from its SQLite rows ([`Conversation::restore`]), feeds it inputs with the current time, and
//! carries out the [`Effect`]s it returns, in order: store first, then acknowledge, then
//! broadcast. Because acknowledging only follows storing, nothing acknowledged is ever lost.
//! Timers are not kept here: after each input the edge arms an alarm at [`Conversation::next_deadline`]
//! and calls [`Conversation::handle_alarm`] when it fires.
//!
//! The core holds only the conversation's tail: its latest [`Config::tail`] messages, plus the
//! facts its rules read of the whole transcript (the last seq, which is the message count since
//! seqs are dense from 1; the bytes of text; whether an operator ever wrote, in [`Meta`]). What it
//! needs of older messages it asks for with a question the edge answers from storage in the same
//! synchronous step: [`Effect::LookUp`] (was this send stored before the tail? answered by
//! [`Conversation::looked_up`]) and [`Effect::ReadOlder`] (the messages a `hello` missed that
//! are older than the tail, answered by [`Conversation::replay_older`]).

pub mod copy;

use crate::dispatch::{Received, RouteUpdate};
use crate::ids::{ConversationId, Millis, OperatorId};
use crate::keys::Keyring;
use crate::limits::{
    CONVERSATION_TAIL_MESSAGES, MAX_CONVERSATION_BYTES, MAX_CONVERSATION_MESSAGES, MAX_PAGES_KEPT, MAX_REPLAY,
    MAX_REPLAY_FRAME_BYTES, PROTOCOL_VERSION, REPLY_MAIL_DELAY_MS, SESSION_TIMEOUT_MS, SOCKET_RATE_BURST,
    SOCKET_RATE_PER_SEC, VISITOR_RATE_BURST, VISITOR_RATE_PER_SEC,
};
use crate::protocol::{
    AttachmentView, Author, ClientMsg, ErrorCode, MessageView, OperatorMsg, PageVisit, ProtocolError, Role, Routing,
    ServerMsg, Status, VisitorInfo,
};
use crate::throttle::{Bucket, Refused};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};

/// Someone connected to the conversation, as established by the edge (never by the client).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub role: Role,
    /// Visitor id or operator id.
    pub id: String,
    /// Name shown to the other side (the operator's online chat name).
    pub name: String,
}

impl Participant {
    pub fn author(&self) -> Author {
        Author { role: self.role, name: self.name.clone() }
    }
}

/// One socket's state. The edge keeps it attached to the socket so it survives hibernation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub participant: Participant,
    /// Whether this connection completed the `hello` handshake.
    pub greeted: bool,
}

impl Connection {
    pub fn new(participant: Participant) -> Self {
        Self { participant, greeted: false }
    }
}

/// A message as stored: what everyone sees plus who wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub view: MessageView,
    pub author_id: String,
}

/// A send rate (see [`crate::throttle`]).
pub use crate::throttle::Rate;

/// Deployment settings of the conversation rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub visitor_rate: Rate,
    /// The session ends this long after the visitor's last socket closed.
    pub session_timeout_ms: u64,
    /// Every socket's frames, of any kind (never stricter than `visitor_rate`: see
    /// [`Config::frame_rate`]).
    pub socket_rate: Rate,
    /// Most messages and bytes of text the conversation holds.
    pub max_messages: usize,
    pub max_bytes: usize,
    /// How many of the latest messages are held in memory (at least one).
    pub tail: usize,
    /// How long after an operator's first answer to a visitor who left it is mailed to them,
    /// with whatever the operators add meanwhile.
    pub reply_mail_delay_ms: u64,
}

impl Config {
    /// The bucket of every socket: `socket_rate`, raised to `visitor_rate` where that is larger
    /// (a deployment that raises the visitor's message rate raises the frames too).
    pub fn frame_rate(&self) -> Rate {
        self.socket_rate.at_least(self.visitor_rate)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            visitor_rate: Rate { burst: VISITOR_RATE_BURST, per_sec: VISITOR_RATE_PER_SEC },
            session_timeout_ms: SESSION_TIMEOUT_MS,
            socket_rate: Rate { burst: SOCKET_RATE_BURST, per_sec: SOCKET_RATE_PER_SEC },
            max_messages: MAX_CONVERSATION_MESSAGES,
            max_bytes: MAX_CONVERSATION_BYTES,
            tail: CONVERSATION_TAIL_MESSAGES,
            reply_mail_delay_ms: REPLY_MAIL_DELAY_MS,
        }
    }
}

/// Who or what ended a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedBy {
    Visitor,
    Operator,
    /// The visitor left the site and did not come back within the session timeout.
    Timeout,
}

impl ClosedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            ClosedBy::Visitor => "visitor",
            ClosedBy::Operator => "operator",
            ClosedBy::Timeout => "timeout",
        }
    }
}

/// The durable state besides the messages; the edge stores it whole after each change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub status: Status,
    pub created_at: Millis,
    /// An operator took the conversation (opened it; routing will assign it).
    pub assigned: bool,
    /// Since when no visitor socket is connected; `None` while one is.
    pub visitor_away_since: Option<Millis>,
    pub closed_at: Option<Millis>,
    pub closed_by: Option<ClosedBy>,
    /// An operator has opened the conversation (recorded once, as `operator_joined`).
    #[serde(default)]
    pub operator_joined: bool,
    /// The operator routing gave the conversation to (id, chat name).
    #[serde(default)]
    pub operator: Option<(String, String)>,
    /// That operator has written since it became theirs.
    #[serde(default)]
    pub operator_answered: bool,
    /// Some operator has written in the conversation (kept here so that no rule reads the
    /// whole transcript; the object's migration 5 set it for conversations older than it).
    #[serde(default)]
    pub operator_wrote: bool,
    /// Where the conversation stands in routing.
    #[serde(default)]
    pub routing: Option<Routing>,
    /// The last routing update applied (updates carry increasing numbers; older ones are
    /// ignored, so a retried update changes nothing).
    #[serde(default)]
    pub routing_seq: u64,
    #[serde(default)]
    pub visitor: VisitorInfo,
    /// The dispatcher was told ([`Notice::VisitorWrote`]) of the visitor's message since an
    /// operator last wrote: it is told once per visitor's turn, not per message.
    #[serde(default)]
    pub visitor_told: bool,
    /// The missed-chat mail (issue 20): how long the visitor's first message may wait for an
    /// operator's answer before the channel's addresses are mailed (`None`: no mail; set at
    /// creation from the channel), since when it waits, whether the mail was asked for.
    #[serde(default)]
    pub missed_wait_ms: Option<u64>,
    #[serde(default)]
    pub first_visitor_at: Option<Millis>,
    #[serde(default)]
    pub missed_mailed: bool,
    /// The visitor gave an address and the deployment mails: an operator's answer while they
    /// are away is mailed to them (set at creation).
    #[serde(default)]
    pub mail_replies: bool,
    /// The first operator's message not yet mailed to the away visitor, and when to mail it
    /// with whatever the operators add meanwhile ([`Config::reply_mail_delay_ms`]).
    #[serde(default)]
    pub reply_mail: Option<(u64, Millis)>,
    /// Read receipts (issue 21): the highest seq of an operator's message the visitor has read…
    #[serde(default)]
    pub visitor_read: u64,
    /// …and of a visitor's message the operators have read (one mark for the operators' side:
    /// any operator reading it counts).
    #[serde(default)]
    pub operator_read: u64,
}

/// A state change, recorded with its time for the reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    Created,
    OperatorJoined {
        operator_id: OperatorId,
    },
    /// The first operator message: waiting → active.
    Active {
        operator_id: OperatorId,
    },
    Closed {
        by: ClosedBy,
    },
    /// Routing gave the conversation to an operator (a received chat for them), `from` the
    /// operator who had it before (a transfer).
    Assigned {
        operator_id: OperatorId,
        how: Received,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<OperatorId>,
    },
}

/// What the conversation tells the account's dispatcher (delivered by the edge, retried until
/// it succeeds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// `operator_id` wrote for the first time since the conversation became theirs, or wrote
    /// in a conversation that was not theirs.
    Answered {
        operator_id: OperatorId,
    },
    Closed,
    /// The visitor wrote in a conversation routing gave an operator, the first time since an
    /// operator last wrote (the dispatcher pushes it to that operator if their console is
    /// closed, issue 20).
    VisitorWrote,
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::OperatorJoined { .. } => "operator_joined",
            EventKind::Active { .. } => "active",
            EventKind::Closed { .. } => "closed",
            EventKind::Assigned { .. } => "assigned",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: Millis,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What the edge must do, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Write this message durably (before anything after it is sent), with the bytes of text of
    /// the whole conversation through it (what [`Conversation::restore`] is given back).
    Store { message: StoredMessage, bytes_through: u64 },
    /// A question: look up whether `(author_id, client_id)` of this send was stored (before the
    /// tail), then call [`Conversation::looked_up`] with the answer and carry out its effects
    /// here, before the rest.
    LookUp(Lookup),
    /// A question: read the stored messages with `after < seq < before` (older than the tail),
    /// oldest first, then call [`Conversation::replay_older`] with them and carry out its
    /// effects here, before the rest.
    ReadOlder(Replay),
    /// Write the conversation's [`Meta`] durably.
    SaveMeta(Meta),
    /// Append this event durably.
    Record(Event),
    /// Replace the sending connection's state.
    UpdateConnection(Connection),
    /// Send to the connection the input came from.
    Reply(OperatorMsg),
    /// Send to every connection of the conversation, the sender included.
    Broadcast(OperatorMsg),
    /// Send to every connection but the sender.
    BroadcastOthers(OperatorMsg),
    /// Send to every operator connection.
    ToOperators(OperatorMsg),
    /// Tell the account's dispatcher (durably: keep it until delivered).
    Dispatch(Notice),
    /// Mail the channel's notification addresses that this chat waited with no answer (once:
    /// the mail's key is the conversation's).
    MailMissed(Missed),
    /// Mail the away visitor the operators' messages from this seq on (once: the mail's key is
    /// the conversation's and this seq).
    MailReply { from_seq: u64 },
    /// Close the sending connection with this WebSocket close code.
    Close { code: u16, reason: String },
}

/// A chat that waited too long for an operator's answer ([`Effect::MailMissed`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missed {
    /// The visitor's first message (from the tail; empty if it has left it).
    pub first_message: String,
    pub started_at: Millis,
    pub waited_ms: u64,
}

/// WebSocket close code sent after `incompatible`.
pub const CLOSE_INCOMPATIBLE: u16 = 4000;

/// WebSocket close code when the storage could not give a replay without a gap (the client
/// reconnects and asks again).
pub const CLOSE_REPLAY_FAILED: u16 = 1011;

/// A send whose client id the tail does not know, in a conversation with messages before the
/// tail ([`Effect::LookUp`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    who: Participant,
    client_id: String,
    text: String,
    attachment: Option<AttachmentView>,
    at: Millis,
}

impl Lookup {
    /// The author's id to look up (with [`Lookup::client_id`], unique in storage).
    pub fn author_id(&self) -> &str {
        &self.who.id
    }
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
}

/// A stored message found by its (author, client id): what its acknowledgement repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Earlier {
    pub seq: u64,
    pub at: Millis,
}

/// A `hello` that missed messages older than the tail ([`Effect::ReadOlder`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replay {
    conn: Connection,
    after: u64,
    before: u64,
}

impl Replay {
    /// The last seq the client holds: read the messages after it…
    pub fn after(&self) -> u64 {
        self.after
    }
    /// …and before this one (the first the core holds).
    pub fn before(&self) -> u64 {
        self.before
    }
}

/// Splits a replay (messages in seq order) into the parts of consecutive frames: each at most
/// [`MAX_REPLAY`] messages and [`MAX_REPLAY_FRAME_BYTES`] bytes of their JSON (a message alone
/// is far below: at most 4,000 characters of 4 bytes). Always at least one part, maybe empty.
pub fn replay_parts(messages: impl IntoIterator<Item = MessageView>) -> Vec<Vec<MessageView>> {
    let mut parts = vec![Vec::new()];
    let mut bytes = 0;
    for m in messages {
        // The message's JSON and the comma before it.
        let len = json_len(&m) + 1;
        let part = parts.last_mut().expect("never empty");
        if !part.is_empty() && (part.len() >= MAX_REPLAY || bytes + len > MAX_REPLAY_FRAME_BYTES) {
            parts.push(vec![m]);
            bytes = len;
        } else {
            part.push(m);
            bytes += len;
        }
    }
    parts
}

/// The length of `value`'s JSON, without building it.
fn json_len(value: &impl Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Plain data: serialising cannot fail.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// The state of one conversation.
#[derive(Clone, Debug)]
pub struct Conversation {
    id: ConversationId,
    config: Config,
    meta: Meta,
    /// The latest messages (at most `config.tail`), in seq order, ending at `last_seq`.
    tail: VecDeque<StoredMessage>,
    /// (author id, client id) → seq of the messages in `tail`, for idempotent sends (older ones
    /// are looked up in storage: [`Effect::LookUp`]).
    by_client_id: HashMap<(String, String), Earlier>,
    /// The highest seq stored, 0 for none: also the number of messages (dense from 1).
    last_seq: u64,
    /// Per-visitor rate buckets. Not durable: a restart forgives, it never loses a message.
    buckets: HashMap<String, Bucket>,
    /// Per-socket frame buckets, by the edge's socket id (not durable either).
    sockets: HashMap<String, Bucket>,
    /// Bytes of text of all messages, the tail and before (against `config.max_bytes`).
    bytes: u64,
    /// The key a `send`'s attachment token is checked with (issue 21); without it every
    /// attachment is refused.
    attachment_keys: Option<Keyring>,
}

impl Conversation {
    /// A new conversation created at `now`, with the effects that record it.
    pub fn create(id: ConversationId, config: Config, now: Millis) -> (Self, Vec<Effect>) {
        let meta = Meta {
            status: Status::Waiting,
            created_at: now,
            assigned: false,
            // Until the visitor's widget connects, they count as away.
            visitor_away_since: Some(now),
            closed_at: None,
            closed_by: None,
            operator_joined: false,
            operator: None,
            operator_answered: false,
            operator_wrote: false,
            routing: None,
            routing_seq: 0,
            visitor: VisitorInfo::default(),
            visitor_told: false,
            missed_wait_ms: None,
            first_visitor_at: None,
            missed_mailed: false,
            mail_replies: false,
            reply_mail: None,
            visitor_read: 0,
            operator_read: 0,
        };
        let conv = Self::restore(id, config, meta.clone(), Vec::new(), 0);
        (conv, vec![Effect::SaveMeta(meta), Effect::Record(Event { at: now, kind: EventKind::Created })])
    }

    /// Rebuilds the state from what the edge stored: the meta, the latest stored messages in seq
    /// order (the last [`Config::tail`] of them are kept: reading more is a waste) and the bytes
    /// of text of the whole conversation (the last message's `bytes_through`).
    pub fn restore(id: ConversationId, config: Config, meta: Meta, latest: Vec<StoredMessage>, bytes: u64) -> Self {
        let mut conv = Self {
            id,
            config,
            meta,
            tail: VecDeque::with_capacity(latest.len().min(config.tail.max(1)) + 1),
            by_client_id: HashMap::new(),
            last_seq: latest.last().map_or(0, |m| m.view.seq),
            buckets: HashMap::new(),
            sockets: HashMap::new(),
            bytes,
            attachment_keys: None,
        };
        let skip = latest.len().saturating_sub(conv.config.tail.max(1));
        for m in latest.into_iter().skip(skip) {
            conv.hold(m);
        }
        conv
    }

    /// The key attachment tokens are checked with ([`crate::attachments::read_attachment_token`]):
    /// a `send` naming a file carries it only when its token was made for this conversation.
    pub fn set_attachment_keys(&mut self, ring: Keyring) {
        self.attachment_keys = Some(ring);
    }

    /// Adds a message to the tail, dropping the oldest beyond [`Config::tail`].
    fn hold(&mut self, m: StoredMessage) {
        let earlier = Earlier { seq: m.view.seq, at: m.view.at };
        self.by_client_id.insert((m.author_id.clone(), m.view.client_id.clone()), earlier);
        self.tail.push_back(m);
        while self.tail.len() > self.config.tail.max(1) {
            if let Some(old) = self.tail.pop_front() {
                self.by_client_id.remove(&(old.author_id, old.view.client_id));
            }
        }
    }

    pub fn id(&self) -> &ConversationId {
        &self.id
    }
    pub fn meta(&self) -> &Meta {
        &self.meta
    }
    pub fn status(&self) -> Status {
        self.meta.status
    }
    /// The messages held: the latest [`Config::tail`] at most, oldest first.
    pub fn tail(&self) -> impl ExactSizeIterator<Item = &StoredMessage> {
        self.tail.iter()
    }
    /// The latest message.
    pub fn last_message(&self) -> Option<&StoredMessage> {
        self.tail.back()
    }
    /// The highest seq stored (0 for none), which is also how many messages are stored.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }
    /// The seq of the oldest message held (`last_seq + 1` when none is).
    pub fn first_held(&self) -> u64 {
        self.tail.front().map_or(self.last_seq + 1, |m| m.view.seq)
    }
    /// Bytes of text of the whole conversation.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// "No operator response": an operator took the conversation but never wrote in it.
    pub fn no_operator_response(&self) -> bool {
        self.meta.assigned && !self.meta.operator_wrote
    }

    /// When [`Conversation::handle_alarm`] must run next, if ever: the session timeout of a
    /// visitor who left, or the missed-chat mail's time.
    pub fn next_deadline(&self) -> Option<Millis> {
        if self.meta.status == Status::Closed {
            // An answer written just before the end still reaches the away visitor.
            return self.meta.reply_mail.map(|(_, at)| at);
        }
        let timeout = self.meta.visitor_away_since.map(|t| Millis(t.0.saturating_add(self.config.session_timeout_ms)));
        [timeout, self.missed_deadline(), self.meta.reply_mail.map(|(_, at)| at)].into_iter().flatten().min()
    }

    /// Mails the away visitor the operators' answers (see [`Meta::mail_replies`]).
    pub fn set_mail_replies(&mut self, on: bool) -> Vec<Effect> {
        self.meta.mail_replies = on;
        vec![Effect::SaveMeta(self.meta.clone())]
    }

    /// When the chat counts as missed: its wait past the visitor's first message, while no
    /// operator has written and no mail was asked for yet.
    pub fn missed_deadline(&self) -> Option<Millis> {
        let m = &self.meta;
        if m.status == Status::Closed || m.operator_wrote || m.missed_mailed {
            return None;
        }
        Some(Millis(m.first_visitor_at?.0.saturating_add(m.missed_wait_ms?)))
    }

    /// Sets the missed-chat wait (the channel's, when it mails missed chats) at creation.
    pub fn set_missed_wait(&mut self, wait_ms: Option<u64>) -> Vec<Effect> {
        self.meta.missed_wait_ms = wait_ms;
        vec![Effect::SaveMeta(self.meta.clone())]
    }

    /// A decoded, validated client frame arrived on `conn` at `now`.
    pub fn handle_client(&mut self, conn: &Connection, msg: ClientMsg, now: Millis) -> Vec<Effect> {
        match msg {
            ClientMsg::Hello { protocol, last_seq } => self.hello(conn, protocol, last_seq, now),
            ClientMsg::Send { client_id, .. } if !conn.greeted => {
                vec![error(ProtocolError::new(ErrorCode::HelloRequired, "send hello first").for_send(Some(&client_id)))]
            }
            _ if !conn.greeted => vec![error(ProtocolError::new(ErrorCode::HelloRequired, "send hello first"))],
            ClientMsg::Send { client_id, text, attachment } => {
                self.send(&conn.participant, client_id, text, attachment, now)
            }
            ClientMsg::Typing { typing } => {
                vec![Effect::BroadcastOthers(ServerMsg::Typing { author: conn.participant.author(), typing })]
            }
            ClientMsg::Ping => vec![Effect::Reply(ServerMsg::Pong)],
            ClientMsg::Page { url, title } => self.page(&conn.participant, url, title, now),
            ClientMsg::Read { seq } => self.read(conn.participant.role, seq),
            ClientMsg::End => match self.meta.status {
                Status::Closed => vec![Effect::Reply(ServerMsg::Status { status: Status::Closed })],
                _ => {
                    let by = match conn.participant.role {
                        Role::Visitor => ClosedBy::Visitor,
                        Role::Operator => ClosedBy::Operator,
                    };
                    self.close(by, now)
                }
            },
        }
    }

    /// A frame of any kind (decodable or not) arrived on the socket the edge calls `socket`:
    /// takes one token of that socket's bucket ([`Config::frame_rate`]). `Err`: refuse the
    /// frame with [`Conversation::frame_refusal`]; nothing else changes.
    pub fn admit_frame(&mut self, socket: &str, now: Millis) -> Result<(), Refused> {
        let rate = self.config.frame_rate();
        self.sockets.entry(socket.to_owned()).or_insert_with(|| Bucket::full(rate, now)).take(rate, now)
    }

    /// The refusal of a frame over its socket's rate (`client_id`: the refused send's).
    pub fn frame_refusal(client_id: Option<&str>) -> ProtocolError {
        ProtocolError::new(ErrorCode::RateLimited, "too many frames, slow down and retry").for_send(client_id)
    }

    /// The socket `socket` closed: its bucket is dropped.
    pub fn forget_socket(&mut self, socket: &str) {
        self.sockets.remove(socket);
    }

    /// A frame that failed to decode arrived: report it, change nothing (close if it was huge).
    pub fn handle_bad_frame(&self, err: &ProtocolError) -> Vec<Effect> {
        let mut effects = vec![Effect::Reply(err.to_server_msg())];
        if let Some(code) = err.close_code() {
            effects.push(Effect::Close { code, reason: err.code.as_str().into() });
        }
        effects
    }

    /// The socket of `conn` closed; `visitors_left` visitor sockets remain connected.
    pub fn handle_disconnect(&mut self, conn: &Connection, visitors_left: usize, now: Millis) -> Vec<Effect> {
        let visitor_gone = conn.participant.role == Role::Visitor && visitors_left == 0;
        if visitor_gone && self.meta.status != Status::Closed && self.meta.visitor_away_since.is_none() {
            self.meta.visitor_away_since = Some(now);
            return vec![Effect::SaveMeta(self.meta.clone())];
        }
        Vec::new()
    }

    /// The alarm armed at [`Conversation::next_deadline`] fired (possibly late, or early).
    pub fn handle_alarm(&mut self, now: Millis) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let (Some(deadline), Some(started_at)) = (self.missed_deadline(), self.meta.first_visitor_at) {
            if now >= deadline {
                self.meta.missed_mailed = true;
                let first_message = self
                    .tail
                    .iter()
                    .find(|m| m.view.author.role == Role::Visitor)
                    .map(|m| m.view.text.clone())
                    .unwrap_or_default();
                effects.push(Effect::SaveMeta(self.meta.clone()));
                effects.push(Effect::MailMissed(Missed {
                    first_message,
                    started_at,
                    waited_ms: now.0.saturating_sub(started_at.0),
                }));
            }
        }
        if let Some((from_seq, at)) = self.meta.reply_mail {
            if now >= at {
                self.meta.reply_mail = None;
                effects.push(Effect::SaveMeta(self.meta.clone()));
                effects.push(Effect::MailReply { from_seq });
            }
        }
        let timeout = self.meta.visitor_away_since.map(|t| Millis(t.0.saturating_add(self.config.session_timeout_ms)));
        if self.meta.status != Status::Closed && timeout.is_some_and(|t| now >= t) {
            effects.extend(self.close(ClosedBy::Timeout, now));
        }
        effects
    }

    fn close(&mut self, by: ClosedBy, now: Millis) -> Vec<Effect> {
        self.meta.status = Status::Closed;
        self.meta.closed_at = Some(now);
        self.meta.closed_by = Some(by);
        vec![
            Effect::SaveMeta(self.meta.clone()),
            Effect::Record(Event { at: now, kind: EventKind::Closed { by } }),
            Effect::Dispatch(Notice::Closed),
            Effect::Broadcast(ServerMsg::Status { status: Status::Closed }),
        ]
    }

    /// Sets what operators see of the visitor when the conversation starts.
    pub fn set_visitor(&mut self, visitor: VisitorInfo) -> Vec<Effect> {
        self.meta.visitor = visitor;
        vec![Effect::SaveMeta(self.meta.clone())]
    }

    /// The dispatcher says where the conversation stands. `seq` numbers its updates; `None`
    /// (the decision made when the conversation started) always applies.
    pub fn handle_route(&mut self, update: RouteUpdate, seq: Option<u64>, now: Millis) -> Vec<Effect> {
        if let Some(seq) = seq {
            if seq <= self.meta.routing_seq {
                return Vec::new();
            }
            self.meta.routing_seq = seq;
        }
        if self.meta.status == Status::Closed {
            return vec![Effect::SaveMeta(self.meta.clone())];
        }
        let mut effects = Vec::with_capacity(4);
        let routing = match update {
            RouteUpdate::Assigned { operator_id, operator_name, how, from } => {
                self.meta.assigned = true;
                self.meta.operator_answered = how == Received::Taken;
                self.meta.operator = Some((operator_id.0.clone(), operator_name.clone()));
                effects.push(Effect::Record(Event { at: now, kind: EventKind::Assigned { operator_id, how, from } }));
                Routing::Assigned { name: operator_name }
            }
            RouteUpdate::Queued { position, estimated_wait_ms } => {
                self.meta.operator = None;
                Routing::Queued { position, estimated_wait_ms }
            }
        };
        self.meta.routing = Some(routing.clone());
        effects.insert(0, Effect::SaveMeta(self.meta.clone()));
        effects.push(Effect::Broadcast(ServerMsg::Routing { routing }));
        effects
    }

    fn page(&mut self, who: &Participant, url: String, title: String, now: Millis) -> Vec<Effect> {
        if who.role != Role::Visitor || self.meta.status == Status::Closed || url.is_empty() {
            return Vec::new();
        }
        let pages = &mut self.meta.visitor.pages;
        match pages.last_mut() {
            // A reload (or the widget's first report of the page the chat started on) is not
            // a new page; it may bring the title.
            Some(last) if last.url == url => {
                if title.is_empty() || last.title == title {
                    return Vec::new();
                }
                last.title = title;
            }
            _ => pages.push(PageVisit { url, title, at: now }),
        }
        if pages.len() > MAX_PAGES_KEPT {
            pages.remove(0);
        }
        vec![
            Effect::SaveMeta(self.meta.clone()),
            Effect::ToOperators(ServerMsg::Visitor { visitor: self.meta.visitor.clone() }),
        ]
    }

    /// How far `role` has read (read receipts, issue 21): up to `seq`, but a mark only counts
    /// through the other side's messages (what the reader can have read of the others): it
    /// becomes the seq of the latest message of the other side, held in the tail, at or below
    /// `seq` (so a mark past the last message is clamped to it). It only ever moves forward:
    /// a repeated, lower or no-op mark changes nothing and sends nothing; a move is saved in
    /// the meta, then told to every other socket (the other side's "Seen", the same side's
    /// other tabs' unread counts). Operators share one mark.
    fn read(&mut self, role: Role, seq: u64) -> Vec<Effect> {
        let mark = match role {
            Role::Visitor => self.meta.visitor_read,
            Role::Operator => self.meta.operator_read,
        };
        let read = self
            .tail
            .iter()
            .rev()
            .skip_while(|m| m.view.seq > seq)
            .take_while(|m| m.view.seq > mark)
            .find(|m| m.view.author.role != role)
            .map(|m| m.view.seq);
        let Some(read) = read else { return Vec::new() };
        let (visitor_read, operator_read) = match role {
            Role::Visitor => (read, 0),
            Role::Operator => (0, read),
        };
        self.meta.visitor_read = self.meta.visitor_read.max(visitor_read);
        self.meta.operator_read = self.meta.operator_read.max(operator_read);
        vec![
            Effect::SaveMeta(self.meta.clone()),
            Effect::BroadcastOthers(ServerMsg::Read { visitor_read, operator_read }),
        ]
    }

    fn hello(&mut self, conn: &Connection, protocol: u32, last_seq: u64, now: Millis) -> Vec<Effect> {
        if protocol != PROTOCOL_VERSION {
            return vec![
                Effect::Reply(ServerMsg::Incompatible {
                    reason: format!("protocol {protocol} is not supported; this server speaks {PROTOCOL_VERSION}"),
                    supported: PROTOCOL_VERSION,
                }),
                Effect::Close { code: CLOSE_INCOMPATIBLE, reason: "incompatible protocol".into() },
            ];
        }
        if conn.greeted {
            // The handshake is once per socket (a client further behind reconnects): a second
            // `hello` would re-send the transcript to anyone who asks in a loop.
            return vec![error(ProtocolError::new(ErrorCode::HelloRequired, "hello was already sent on this socket"))];
        }
        let mut effects = Vec::with_capacity(4);
        effects.push(Effect::UpdateConnection(Connection { greeted: true, ..conn.clone() }));
        let who = &conn.participant;
        let mut changed = false;
        if who.role == Role::Visitor && self.meta.visitor_away_since.is_some() && self.meta.status != Status::Closed {
            self.meta.visitor_away_since = None;
            // Back in the widget: they read the answers there, no mail.
            self.meta.reply_mail = None;
            changed = true;
        }
        if who.role == Role::Operator && !self.meta.operator_joined && self.meta.status != Status::Closed {
            self.meta.operator_joined = true;
            self.meta.assigned = true;
            changed = true;
            effects.push(Effect::Record(Event {
                at: now,
                kind: EventKind::OperatorJoined { operator_id: OperatorId(who.id.clone()) },
            }));
        }
        if changed {
            effects.insert(0, Effect::SaveMeta(self.meta.clone()));
        }
        // Everything after `last_seq` (clamped for clients that claim more than exists); what
        // is older than the tail is asked of storage first.
        let after = last_seq.min(self.last_seq);
        let before = self.first_held();
        if after + 1 < before {
            effects.push(Effect::ReadOlder(Replay { conn: conn.clone(), after, before }));
        } else {
            effects.extend(self.welcome(conn, self.held_after(after)));
        }
        effects
    }

    /// The messages held with a seq above `after`.
    fn held_after(&self, after: u64) -> Vec<MessageView> {
        let skip = usize::try_from(after.saturating_sub(self.first_held() - 1)).unwrap_or(usize::MAX);
        self.tail.iter().skip(skip).map(|m| m.view.clone()).collect()
    }

    /// The answer to [`Effect::ReadOlder`]: `older` are the stored messages with
    /// `replay.after() < seq < replay.before()`, oldest first. The `welcome` (and `history`
    /// frames) replay them and the tail after them; if storage gave anything but exactly those,
    /// the socket is closed instead ([`CLOSE_REPLAY_FAILED`]: the client asks again), never a
    /// replay with a gap.
    pub fn replay_older(&self, replay: Replay, older: Vec<MessageView>) -> Vec<Effect> {
        let Replay { conn, after, before } = replay;
        let mut missed = older;
        missed.extend(self.held_after(before - 1));
        let dense =
            missed.iter().zip(after + 1..).all(|(m, seq)| m.seq == seq) && missed.len() as u64 == self.last_seq - after;
        if !dense {
            return vec![Effect::Close { code: CLOSE_REPLAY_FAILED, reason: "replay unavailable".into() }];
        }
        self.welcome(&conn, missed)
    }

    /// The `welcome` replaying `missed`, and `history` frames when it is more than one frame holds.
    fn welcome(&self, conn: &Connection, missed: Vec<MessageView>) -> Vec<Effect> {
        let mut parts = replay_parts(missed).into_iter();
        let mut effects = vec![Effect::Reply(ServerMsg::Welcome {
            protocol: PROTOCOL_VERSION,
            conversation_id: self.id.clone(),
            status: self.meta.status,
            you: conn.participant.author(),
            history: parts.next().unwrap_or_default(),
            last_seq: self.last_seq,
            routing: self.meta.routing.clone(),
            visitor: (conn.participant.role == Role::Operator).then(|| self.meta.visitor.clone()),
            visitor_read: self.meta.visitor_read,
            operator_read: self.meta.operator_read,
        })];
        effects.extend(parts.map(|history| Effect::Reply(ServerMsg::History { history })));
        effects
    }

    fn send(
        &mut self,
        who: &Participant,
        client_id: String,
        text: String,
        token: Option<String>,
        now: Millis,
    ) -> Vec<Effect> {
        if let Some(&Earlier { seq, at }) = self.by_client_id.get(&(who.id.clone(), client_id.clone())) {
            // A retry: acknowledge again, store nothing.
            return vec![Effect::Reply(ServerMsg::Ack { client_id, seq, at })];
        }
        // A file: only one uploaded to this conversation (its token says so, signed).
        let attachment = match token {
            None => None,
            Some(t) => {
                let ring = self.attachment_keys.as_ref();
                match ring.and_then(|r| crate::attachments::read_attachment_token(r, self.id.as_str(), &t)) {
                    Some(view) => Some(view),
                    None => {
                        let e = ProtocolError::new(ErrorCode::BadAttachment, "not a file of this conversation");
                        return vec![error(e.for_send(Some(&client_id)))];
                    }
                }
            }
        };
        if self.first_held() > 1 {
            // It may be a retry of a message older than the tail: storage knows.
            return vec![Effect::LookUp(Lookup { who: who.clone(), client_id, text, attachment, at: now })];
        }
        self.send_new(who, client_id, text, attachment, now)
    }

    /// The answer to [`Effect::LookUp`]: `found` is the stored message with the send's
    /// (author, client id), if any. A retry is acknowledged with its original seq, else the
    /// send is a new message.
    pub fn looked_up(&mut self, lookup: Lookup, found: Option<Earlier>) -> Vec<Effect> {
        let Lookup { who, client_id, text, attachment, at } = lookup;
        match found {
            Some(Earlier { seq, at }) => vec![Effect::Reply(ServerMsg::Ack { client_id, seq, at })],
            None => self.send_new(&who, client_id, text, attachment, at),
        }
    }

    /// A send whose client id was never stored.
    fn send_new(
        &mut self,
        who: &Participant,
        client_id: String,
        text: String,
        attachment: Option<AttachmentView>,
        now: Millis,
    ) -> Vec<Effect> {
        if self.meta.status == Status::Closed {
            let e = ProtocolError::new(ErrorCode::ConversationClosed, "this conversation is closed");
            return vec![error(e.for_send(Some(&client_id)))];
        }
        // The caps count the whole conversation: `last_seq` messages, `bytes` of text.
        let full_count = self.last_seq >= self.config.max_messages as u64;
        if full_count || self.bytes + text.len() as u64 > self.config.max_bytes as u64 {
            let e = ProtocolError::new(ErrorCode::ConversationFull, "this conversation holds its most messages");
            return vec![error(e.for_send(Some(&client_id)))];
        }
        if who.role == Role::Visitor && !self.take_token(&who.id, now) {
            let e = ProtocolError::new(ErrorCode::RateLimited, "too many messages, slow down and retry");
            return vec![error(e.for_send(Some(&client_id)))];
        }
        let seq = self.last_seq + 1;
        let view = MessageView { seq, client_id, author: who.author(), text, at: now, attachment };
        let stored = StoredMessage { view: view.clone(), author_id: who.id.clone() };
        self.last_seq = seq;
        self.bytes += stored.view.text.len() as u64;
        self.hold(stored.clone());

        let mut effects = vec![Effect::Store { message: stored, bytes_through: self.bytes }];
        let theirs = self.meta.operator.as_ref().is_some_and(|(id, _)| *id == who.id);
        let mut notice = None;
        let mut meta_changed = false;
        if who.role == Role::Operator && !self.meta.operator_wrote {
            self.meta.operator_wrote = true;
            meta_changed = true;
        }
        // An answer while the visitor is away, to mail them (the first one sets the time; the
        // ones after it until then go in the same mail).
        let away = self.meta.visitor_away_since.is_some();
        if who.role == Role::Operator && self.meta.mail_replies && away && self.meta.reply_mail.is_none() {
            self.meta.reply_mail = Some((seq, Millis(now.0.saturating_add(self.config.reply_mail_delay_ms))));
            meta_changed = true;
        }
        // Only a conversation that mails missed chats keeps when its wait began (no write else).
        if who.role == Role::Visitor && self.meta.first_visitor_at.is_none() && self.meta.missed_wait_ms.is_some() {
            self.meta.first_visitor_at = Some(now);
            meta_changed = true;
        }
        if who.role == Role::Operator && (!theirs || !self.meta.operator_answered) {
            // Writing in a conversation that is not theirs takes it over (the dispatcher
            // confirms with an `assigned` update).
            self.meta.operator = Some((who.id.clone(), who.name.clone()));
            self.meta.operator_answered = true;
            meta_changed = true;
            notice = Some(Effect::Dispatch(Notice::Answered { operator_id: OperatorId(who.id.clone()) }));
        }
        // The visitor's turn: the dispatcher hears of its first message (a push to the operator
        // whose console is closed), an operator's message ends the turn.
        let mut told = None;
        if who.role == Role::Visitor && !self.meta.visitor_told && self.meta.operator.is_some() {
            self.meta.visitor_told = true;
            meta_changed = true;
            told = Some(Effect::Dispatch(Notice::VisitorWrote));
        } else if who.role == Role::Operator && self.meta.visitor_told {
            self.meta.visitor_told = false;
            meta_changed = true;
        }
        let activated = who.role == Role::Operator && self.meta.status == Status::Waiting;
        if activated {
            self.meta.status = Status::Active;
        }
        if meta_changed || activated {
            effects.push(Effect::SaveMeta(self.meta.clone()));
        }
        if activated {
            effects.push(Effect::Record(Event {
                at: now,
                kind: EventKind::Active { operator_id: OperatorId(who.id.clone()) },
            }));
        }
        effects.extend(notice);
        effects.extend(told);
        // The ack is all the sender needs (its text, now with a seq and the server's time: the
        // client moves it from its outbox into the transcript); the others get the message.
        effects.push(Effect::Reply(ServerMsg::Ack { client_id: view.client_id.clone(), seq, at: now }));
        effects.push(Effect::BroadcastOthers(ServerMsg::Message { message: view }));
        if activated {
            effects.push(Effect::Broadcast(ServerMsg::Status { status: Status::Active }));
        }
        effects
    }

    /// Takes one message from the visitor's bucket, refilled for the time since last use.
    fn take_token(&mut self, visitor: &str, now: Millis) -> bool {
        let rate = self.config.visitor_rate;
        self.buckets.entry(visitor.to_owned()).or_insert_with(|| Bucket::full(rate, now)).take(rate, now).is_ok()
    }
}

fn error(e: ProtocolError) -> Effect {
    Effect::Reply(e.to_server_msg())
}

#[cfg(test)]
mod tests;

//! Wire protocol v3, spoken over one WebSocket per conversation by the widget and the console.
//!
//! Frames are JSON text objects tagged by `"type"` (snake_case). The first client frame must be
//! `hello`; a peer with another [`PROTOCOL_VERSION`] gets `incompatible` and the socket closes.
//! v2 has v1's frames; what changed is that a sent message comes back to its sender only as its
//! `ack` (the others get the `message`), so a v1 client would miss its own messages' frames.
//! v3 adds read receipts: the client frame `read` (how far this side has read), the server frame
//! `read` (the mark that moved) and both marks in `welcome` (`visitor_read`, `operator_read`,
//! left out while 0).
//! Every client frame is decoded and validated by [`decode_client`]; the edge never forwards a
//! raw client frame, it re-encodes what the core decided ([`encode_server`]).
//!
//! The JSON fixtures under `protocol/tests/fixtures/` pin this format.
//!
//! Visitors and operators read the same frames, except what only operators see of the visitor
//! ([`VisitorInfo`]): [`ServerMsg`] is the visitors' type, where that part has no possible
//! value ([`Hidden`]), and [`OperatorMsg`] the operators' (and the server's). Same wire format;
//! the widget never carries the operators' part.

use crate::ids::{is_valid_id, ConversationId, Millis};
use crate::limits::{MAX_FRAME_BYTES, MAX_MESSAGE_CHARS, MAX_PAGE_TITLE_CHARS, MAX_PAGE_URL_CHARS, PROTOCOL_VERSION};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Who is on the other end of a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Visitor,
    Operator,
}

/// The author of a message as shown to every participant. For operators `name` is their
/// online chat name; visitors are shown as "Visitor" until they identify themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub role: Role,
    pub name: String,
}

/// Client → server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMsg {
    /// First frame of every connection. `last_seq` is the highest sequence number the client
    /// already holds (0 for none); the `welcome` carries everything after it.
    Hello { protocol: u32, last_seq: u64 },
    /// A chat message. `client_id` is minted by the client and makes the send idempotent:
    /// the same id is acknowledged again and stored once.
    ///
    /// With `attachment` (issue 21), the token the upload answered
    /// (`POST /api/v1/conversations/:id/files`): the message carries that file, and its text
    /// may be empty. The conversation checks the token is its own before storing.
    Send {
        client_id: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attachment: Option<String>,
    },
    /// The sender started or stopped typing.
    Typing { typing: bool },
    /// Keep-alive; answered by `pong`.
    Ping,
    /// End the conversation (visitor or operator).
    End,
    /// The visitor is on this page now (sent by the widget after each `welcome`, i.e. on every
    /// page load). Ignored from operators.
    Page { url: String, title: String },
    /// This side has read the conversation up to `seq` (v3; sent while the reader is actually
    /// reading, and only when it moved). The server keeps the highest per role.
    Read { seq: u64 },
}

/// The kinds of client frame, for telling "unknown type" from "malformed".
const CLIENT_TYPES: &[&str] = &["hello", "send", "typing", "ping", "end", "page", "read"];

/// Where a conversation stands in routing, as every participant sees it. Externally tagged
/// (`{"queued":{…}}`): inside the internally tagged `ServerMsg` that costs the widget far less
/// code than a second internal tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// Waiting in line: 1-based `position`, and an estimate unless nobody is online.
    Queued {
        position: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        estimated_wait_ms: Option<u64>,
    },
    /// An operator has the conversation (`name` is their online chat name).
    Assigned { name: String },
}

/// A page the visitor viewed during the conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageVisit {
    pub url: String,
    pub title: String,
    pub at: Millis,
}

/// What operators see of the visitor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorInfo {
    pub name: String,
    /// Browser language (BCP 47), empty when unknown.
    pub language: String,
    /// ISO 3166 country code from the edge, empty when unknown.
    pub country: String,
    /// Pages viewed, oldest first (the last is the current one); at most `MAX_PAGES_KEPT`.
    pub pages: Vec<PageVisit>,
}

/// What a server frame can say of the visitor: [`VisitorInfo`] in the operators' frames,
/// nothing ([`Hidden`]) in the visitors'.
pub trait VisitorPart: Clone + fmt::Debug + PartialEq + Eq + Serialize + DeserializeOwned + 'static {}

impl VisitorPart for VisitorInfo {}
impl VisitorPart for Hidden {}

/// Has no value: a visitor's frame cannot carry what only operators see. A visitor-side
/// decoder refuses a frame that has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hidden {}

impl Serialize for Hidden {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        match *self {}
    }
}

impl<'de> Deserialize<'de> for Hidden {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom("visitor details are for operators only"))
    }
}

/// Server → operator: every [`ServerMsg`] frame, with what operators see of the visitor. The
/// server builds these for everyone (the visitor's part is only ever set for operators).
pub type OperatorMsg = ServerMsg<VisitorInfo>;

/// Conversation status, as in the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not yet answered by an operator.
    Waiting,
    /// An operator has written.
    Active,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Waiting => "waiting",
            Status::Active => "active",
            Status::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "waiting" => Some(Status::Waiting),
            "active" => Some(Status::Active),
            "closed" => Some(Status::Closed),
            _ => None,
        }
    }
}

/// A stored message as every participant sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub seq: u64,
    pub client_id: String,
    pub author: Author,
    pub text: String,
    pub at: Millis,
    /// The file the message carries (issue 21); absent on the wire for a text message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<AttachmentView>,
}

/// A file in the conversation, as its messages carry it (issue 21). Its bytes are read only
/// through a short-lived signed link (`POST /api/v1/conversations/:id/files/:file/link`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentView {
    /// `f_…`, unique in its conversation.
    pub id: String,
    /// The sanitised file name.
    pub name: String,
    /// The type detected from its bytes (never the name's or the browser's claim).
    pub content_type: String,
    /// Bytes stored (after a JPEG's metadata was stripped).
    pub size: u64,
    /// An image's size in pixels, when its header gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

impl AttachmentView {
    /// Whether clients show it inline (an image).
    pub fn is_image(&self) -> bool {
        self.content_type.starts_with("image/")
    }

    /// How a text-only transcript (the transcript mail) names the file: `📎 name (size)`, the
    /// size in whole kB rounded up (language-neutral).
    pub fn label(&self) -> String {
        ["📎 ", &self.name, " (", &self.size.div_ceil(1_000).to_string(), " kB)"].concat()
    }

    /// A message's text with its file named after it, for text-only transcripts.
    pub fn text_with(text: &str, file: Option<&AttachmentView>) -> String {
        match file {
            Some(f) if text.is_empty() => f.label(),
            Some(f) => [text, "\n", &f.label()].concat(),
            None => text.to_owned(),
        }
    }
}

/// The client id of a visitor's message that came by email (their reply to a Parley mail): this
/// prefix and a digest of the mail's Message-ID, so a redelivered mail is stored once. Clients
/// show such a message marked "by email" (no new field: the wire format is unchanged).
pub const EMAIL_CLIENT_ID_PREFIX: &str = "mail-";

impl MessageView {
    /// Whether the message came by email ([`EMAIL_CLIENT_ID_PREFIX`]).
    pub fn by_email(&self) -> bool {
        self.author.role == Role::Visitor && self.client_id.starts_with(EMAIL_CLIENT_ID_PREFIX)
    }
}

/// Server → client, as visitors read it (`V` = [`Hidden`]); [`OperatorMsg`] is the
/// operators'. Read through [`ServerWire`] (one flat struct; same wire format): serde's
/// internally tagged enum code buffers every value first and costs the widget tens of KB.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "ServerWire<V>")]
#[serde(bound(serialize = "V: Serialize", deserialize = "V: DeserializeOwned"))]
pub enum ServerMsg<V = Hidden> {
    /// Answer to `hello`: who you are, the conversation's state and what you missed.
    Welcome {
        protocol: u32,
        conversation_id: ConversationId,
        status: Status,
        you: Author,
        /// Messages with `seq > last_seq` of the hello, oldest first: all of them, or the
        /// first part when `history` frames follow with the rest.
        history: Vec<MessageView>,
        /// Highest sequence number stored so far.
        last_seq: u64,
        /// Where the conversation stands in routing, once known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        routing: Option<Routing>,
        /// The visitor, for operators only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        visitor: Option<V>,
        /// How far the visitor has read (the highest seq of an operator's message they read;
        /// 0, left out, for nothing), v3.
        #[serde(default, skip_serializing_if = "is_zero")]
        visitor_read: u64,
        /// How far the operators have read (any operator reading counts: one shared mark), v3.
        #[serde(default, skip_serializing_if = "is_zero")]
        operator_read: u64,
    },
    /// More of the replay a `welcome` began, right after the messages of the frame before
    /// (oldest first): a replay larger than one frame holds
    /// ([`crate::limits::MAX_REPLAY_FRAME_BYTES`], [`crate::limits::MAX_REPLAY`]) goes on in
    /// `history` frames, sent straight after the `welcome`, before any other frame. A client
    /// holds everything once it holds the welcome's `last_seq`.
    History {
        history: Vec<MessageView>,
    },
    /// The client's protocol version is not spoken here; the socket closes after this.
    Incompatible {
        reason: String,
        supported: u32,
    },
    /// The message with this `client_id` is stored as `seq` at `at` (the server's time). Since
    /// v2 it is all the sender gets of its own message (no `message` frame comes back to the
    /// socket that sent it): the client makes the transcript line from its outbox and this.
    Ack {
        client_id: String,
        seq: u64,
        at: Millis,
    },
    /// A message was stored (sent to every participant, the author included).
    Message {
        message: MessageView,
    },
    /// Someone else started or stopped typing.
    Typing {
        author: Author,
        typing: bool,
    },
    /// The conversation's status changed.
    Status {
        status: Status,
    },
    /// The conversation's place in routing changed (queued, assigned, forwarded, transferred).
    Routing {
        routing: Routing,
    },
    /// What operators see of the visitor changed (sent to operators only).
    Visitor {
        visitor: V,
    },
    /// A side's read mark moved (v3), sent to the other sockets: the mark that moved, named as
    /// in the `welcome` (the other is 0 and left out).
    Read {
        #[serde(default, skip_serializing_if = "is_zero")]
        visitor_read: u64,
        #[serde(default, skip_serializing_if = "is_zero")]
        operator_read: u64,
    },
    /// The last frame was refused; nothing changed. `client_id` names the refused `send`
    /// when it could be read.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
    Pong,
}

/// Every field of any [`ServerMsg`], all optional, and its `type`.
#[derive(Deserialize)]
#[serde(bound(deserialize = "V: DeserializeOwned"))]
pub struct ServerWire<V> {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) protocol: Option<u32>,
    pub(crate) conversation_id: Option<ConversationId>,
    pub(crate) status: Option<Status>,
    pub(crate) you: Option<Author>,
    pub(crate) history: Option<Vec<MessageView>>,
    pub(crate) last_seq: Option<u64>,
    pub(crate) routing: Option<Routing>,
    pub(crate) visitor: Option<V>,
    pub(crate) reason: Option<String>,
    pub(crate) supported: Option<u32>,
    pub(crate) client_id: Option<String>,
    pub(crate) seq: Option<u64>,
    pub(crate) at: Option<Millis>,
    /// A [`MessageView`] in `message`, the error's text in `error`.
    pub(crate) message: Option<TextOrMessage>,
    pub(crate) author: Option<Author>,
    pub(crate) typing: Option<bool>,
    pub(crate) code: Option<ErrorCode>,
    pub(crate) visitor_read: Option<u64>,
    pub(crate) operator_read: Option<u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// `message`: an object in `message` frames, a string in `error` frames.
pub enum TextOrMessage {
    Text(String),
    Message(MessageView),
}

impl<'de> Deserialize<'de> for TextOrMessage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{value::MapAccessDeserializer, Error, MapAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TextOrMessage;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a message or a text")
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<TextOrMessage, E> {
                Ok(TextOrMessage::Text(v.to_owned()))
            }
            fn visit_string<E: Error>(self, v: String) -> Result<TextOrMessage, E> {
                Ok(TextOrMessage::Text(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TextOrMessage, A::Error> {
                MessageView::deserialize(MapAccessDeserializer::new(map)).map(TextOrMessage::Message)
            }
        }
        d.deserialize_any(V)
    }
}

impl<V> TryFrom<ServerWire<V>> for ServerMsg<V> {
    type Error = String;

    fn try_from(w: ServerWire<V>) -> Result<Self, String> {
        use crate::wire::need;
        Ok(match w.kind.as_str() {
            "welcome" => ServerMsg::Welcome {
                protocol: need(w.protocol, "protocol")?,
                conversation_id: need(w.conversation_id, "conversation_id")?,
                status: need(w.status, "status")?,
                you: need(w.you, "you")?,
                history: need(w.history, "history")?,
                last_seq: need(w.last_seq, "last_seq")?,
                routing: w.routing,
                visitor: w.visitor,
                visitor_read: w.visitor_read.unwrap_or(0),
                operator_read: w.operator_read.unwrap_or(0),
            },
            "history" => ServerMsg::History { history: need(w.history, "history")? },
            "incompatible" => ServerMsg::Incompatible {
                reason: need(w.reason, "reason")?,
                supported: need(w.supported, "supported")?,
            },
            "ack" => ServerMsg::Ack {
                client_id: need(w.client_id, "client_id")?,
                seq: need(w.seq, "seq")?,
                at: need(w.at, "at")?,
            },
            "message" => match w.message {
                Some(TextOrMessage::Message(message)) => ServerMsg::Message { message },
                _ => return Err("missing field `message`".into()),
            },
            "typing" => ServerMsg::Typing { author: need(w.author, "author")?, typing: need(w.typing, "typing")? },
            "status" => ServerMsg::Status { status: need(w.status, "status")? },
            "routing" => ServerMsg::Routing { routing: need(w.routing, "routing")? },
            "visitor" => ServerMsg::Visitor { visitor: need(w.visitor, "visitor")? },
            "read" => ServerMsg::Read {
                visitor_read: w.visitor_read.unwrap_or(0),
                operator_read: w.operator_read.unwrap_or(0),
            },
            "error" => match w.message {
                Some(TextOrMessage::Text(message)) => {
                    ServerMsg::Error { code: need(w.code, "code")?, message, client_id: w.client_id }
                }
                _ => return Err("missing field `message`".into()),
            },
            "pong" => ServerMsg::Pong,
            other => return Err(["unknown server message `", other, "`"].concat()),
        })
    }
}

/// Why a frame was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, not an object, or fields of the wrong shape.
    Malformed,
    /// A `type` this protocol version does not have.
    UnknownType,
    /// The frame is larger than [`MAX_FRAME_BYTES`].
    FrameTooLarge,
    /// The message is longer than [`MAX_MESSAGE_CHARS`].
    MessageTooLong,
    /// The message is empty or only white space.
    EmptyMessage,
    /// A `client_id` that is not a valid id.
    BadClientId,
    /// A frame other than `hello` before the handshake, or a second `hello`.
    HelloRequired,
    /// The conversation is closed to new messages.
    ConversationClosed,
    /// Too many frames in too short a time.
    RateLimited,
    /// The operator's console session ended (logged out, expired, or the operator was
    /// disabled): nothing more is accepted on this socket, which closes.
    SessionEnded,
    /// The conversation holds its most messages or bytes
    /// ([`crate::limits::MAX_CONVERSATION_MESSAGES`], [`crate::limits::MAX_CONVERSATION_BYTES`]).
    ConversationFull,
    /// A `send` whose `attachment` is not a file uploaded to this conversation.
    BadAttachment,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Malformed => "malformed",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::FrameTooLarge => "frame_too_large",
            ErrorCode::MessageTooLong => "message_too_long",
            ErrorCode::EmptyMessage => "empty_message",
            ErrorCode::BadClientId => "bad_client_id",
            ErrorCode::HelloRequired => "hello_required",
            ErrorCode::ConversationClosed => "conversation_closed",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::SessionEnded => "session_ended",
            ErrorCode::ConversationFull => "conversation_full",
            ErrorCode::BadAttachment => "bad_attachment",
        }
    }
}

/// WebSocket close code after `session_ended`.
pub const CLOSE_SESSION_ENDED: u16 = 4001;

/// A refused frame: the code the client sees and a human explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolError {
    pub code: ErrorCode,
    pub message: String,
    /// The refused send's id, when it could be read.
    pub client_id: Option<String>,
}

impl ProtocolError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), client_id: None }
    }
    pub fn for_send(mut self, client_id: Option<&str>) -> Self {
        self.client_id = client_id.filter(|id| is_valid_id(id)).map(str::to_owned);
        self
    }
    /// The `error` frame that reports this to the client.
    pub fn to_server_msg<V>(&self) -> ServerMsg<V> {
        ServerMsg::Error { code: self.code, message: self.message.clone(), client_id: self.client_id.clone() }
    }
    /// Whether the socket should be closed after reporting this error, and with which code.
    pub fn close_code(&self) -> Option<u16> {
        match self.code {
            ErrorCode::FrameTooLarge => Some(1009),
            ErrorCode::SessionEnded => Some(CLOSE_SESSION_ENDED),
            _ => None,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

/// Decodes and validates one client text frame. Nothing that fails here reaches the core.
pub fn decode_client(frame: &str) -> Result<ClientMsg, ProtocolError> {
    if frame.len() > MAX_FRAME_BYTES {
        return Err(ProtocolError::new(
            ErrorCode::FrameTooLarge,
            format!("frame of {} bytes exceeds the limit of {MAX_FRAME_BYTES}", frame.len()),
        ));
    }
    // A well-formed frame decodes straight from its text: no JSON tree built and dropped (the
    // worker's CPU profile at saturation, issue 19, showed that tree's maps and allocations at
    // ~15 % of a message's CPU). Whatever this refuses, and the unit variants (whose extra
    // fields serde does not see), takes the checking path below, so every outcome and every
    // error is the same as with that path alone (`the_direct_decode_agrees_with_the_checked_one`).
    if let Ok(msg) = serde_json::from_str::<ClientMsg>(frame) {
        if !matches!(msg, ClientMsg::Ping | ClientMsg::End) {
            return validate(msg);
        }
    }
    let value: serde_json::Value =
        serde_json::from_str(frame).map_err(|e| ProtocolError::new(ErrorCode::Malformed, format!("not JSON: {e}")))?;
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .map(str::to_owned)
        .ok_or_else(|| ProtocolError::new(ErrorCode::Malformed, "expected an object with a string \"type\""))?;
    if !CLIENT_TYPES.contains(&kind.as_str()) {
        let shown: String = kind.chars().take(32).collect();
        return Err(ProtocolError::new(ErrorCode::UnknownType, format!("unknown message type {shown:?}")));
    }
    let client_id = value.get("client_id").and_then(|c| c.as_str()).map(str::to_owned);
    let field_count = value.as_object().map_or(0, |o| o.len());
    let msg: ClientMsg = serde_json::from_value(value).map_err(|e| {
        ProtocolError::new(ErrorCode::Malformed, format!("bad {kind} frame: {e}")).for_send(client_id.as_deref())
    })?;
    // serde's deny_unknown_fields does not reach unit variants of a tagged enum: check here.
    if matches!(msg, ClientMsg::Ping | ClientMsg::End) && field_count > 1 {
        return Err(ProtocolError::new(ErrorCode::Malformed, format!("bad {kind} frame: unknown field")));
    }
    validate(msg)
}

fn validate(msg: ClientMsg) -> Result<ClientMsg, ProtocolError> {
    match msg {
        ClientMsg::Send { client_id, text, attachment } => {
            if !is_valid_id(&client_id) {
                return Err(ProtocolError::new(
                    ErrorCode::BadClientId,
                    "client_id must be 1-64 characters of A-Z a-z 0-9 _ -",
                ));
            }
            let text = match (&attachment, normalize_text(&text)) {
                // A file needs no words.
                (Some(_), Err(e)) if e.code == ErrorCode::EmptyMessage => String::new(),
                (_, r) => r.map_err(|e| e.for_send(Some(&client_id)))?,
            };
            if attachment.as_ref().is_some_and(|a| a.is_empty() || a.len() > MAX_FRAME_BYTES / 2) {
                let e = ProtocolError::new(ErrorCode::BadAttachment, "not a file of this conversation");
                return Err(e.for_send(Some(&client_id)));
            }
            Ok(ClientMsg::Send { client_id, text, attachment })
        }
        ClientMsg::Page { url, title } => {
            if url.chars().count() > MAX_PAGE_URL_CHARS || title.chars().count() > MAX_PAGE_TITLE_CHARS {
                return Err(ProtocolError::new(ErrorCode::Malformed, "page url or title too long"));
            }
            let clean = |t: &str| t.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_owned();
            Ok(ClientMsg::Page { url: clean(&url), title: clean(&title) })
        }
        other => Ok(other),
    }
}

/// Trims a message and checks it is neither empty nor too long. Control characters other than
/// newline and tab are dropped. Markup is kept as typed: clients always render text, never HTML.
pub fn normalize_text(text: &str) -> Result<String, ProtocolError> {
    let cleaned: String = text.chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t').collect();
    let cleaned = cleaned.trim().to_owned();
    let count = cleaned.chars().count();
    if count == 0 {
        return Err(ProtocolError::new(ErrorCode::EmptyMessage, "the message is empty"));
    }
    if count > MAX_MESSAGE_CHARS {
        return Err(ProtocolError::new(
            ErrorCode::MessageTooLong,
            format!("message of {count} characters exceeds the limit of {MAX_MESSAGE_CHARS}"),
        ));
    }
    Ok(cleaned)
}

/// Encodes a server frame. Infallible: every `ServerMsg` is plain data.
pub fn encode_server<V: VisitorPart>(msg: &ServerMsg<V>) -> String {
    serde_json::to_string(msg).expect("ServerMsg always serializes")
}

/// Encodes a client frame (used by the widget and the console).
pub fn encode_client(msg: &ClientMsg) -> String {
    // Strings, numbers and enums only: serialising cannot fail. Not `expect`, whose message
    // would link `Debug` for serde_json's error (and its escape tables) into the widget.
    serde_json::to_string(msg).unwrap_or_default()
}

/// Decodes a server frame (used by the widget and the console).
pub fn decode_server<V: VisitorPart>(frame: &str) -> Result<ServerMsg<V>, ProtocolError> {
    serde_json::from_str(frame).map_err(|e| ProtocolError::new(ErrorCode::Malformed, e.to_string()))
}

/// The `hello` every client sends first.
pub fn hello(last_seq: u64) -> ClientMsg {
    ClientMsg::Hello { protocol: PROTOCOL_VERSION, last_seq }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_keep_their_wire_format() {
        let op = Author { role: Role::Operator, name: "Sam".into() };
        let m = MessageView {
            seq: 3,
            client_id: "m1".into(),
            author: op.clone(),
            text: "hi".into(),
            at: Millis(9),
            attachment: None,
        };
        let all = vec![
            ServerMsg::Welcome {
                protocol: 1,
                conversation_id: "c1".into(),
                status: Status::Active,
                you: op.clone(),
                history: vec![m.clone()],
                last_seq: 3,
                routing: Some(Routing::Queued { position: 2, estimated_wait_ms: None }),
                visitor: Some(VisitorInfo {
                    name: "V".into(),
                    language: "de".into(),
                    country: String::new(),
                    pages: vec![PageVisit { url: "u".into(), title: "t".into(), at: Millis(1) }],
                }),
                visitor_read: 2,
                operator_read: 0,
            },
            ServerMsg::History { history: vec![m.clone()] },
            ServerMsg::Incompatible { reason: "old".into(), supported: 1 },
            ServerMsg::Ack { client_id: "m1".into(), seq: 3, at: Millis(9) },
            ServerMsg::Message { message: m },
            ServerMsg::Typing { author: op, typing: true },
            ServerMsg::Status { status: Status::Closed },
            ServerMsg::Routing { routing: Routing::Assigned { name: "Sam".into() } },
            ServerMsg::Visitor {
                visitor: VisitorInfo { name: "V".into(), language: String::new(), country: "DE".into(), pages: vec![] },
            },
            ServerMsg::Error {
                code: ErrorCode::RateLimited,
                message: "slow down".into(),
                client_id: Some("m2".into()),
            },
            ServerMsg::Error { code: ErrorCode::Malformed, message: "bad".into(), client_id: None },
            ServerMsg::Read { visitor_read: 2, operator_read: 0 },
            ServerMsg::Read { visitor_read: 0, operator_read: 3 },
            ServerMsg::Pong,
        ];
        for msg in all {
            let json = serde_json::to_string(&msg).unwrap();
            assert_eq!(serde_json::from_str::<OperatorMsg>(&json).unwrap(), msg, "{json}");
        }
        let j = serde_json::to_string(&ServerMsg::<Hidden>::Status { status: Status::Waiting }).unwrap();
        assert_eq!(j, r#"{"type":"status","status":"waiting"}"#);
        for bad in [
            r#"{"type":"message","message":"text, not a message"}"#,
            r#"{"type":"error","code":"malformed","message":{"seq":1}}"#,
            r#"{"type":"ack","client_id":"m1"}"#,
            r#"{"type":"history"}"#,
            r#"{"type":"read","visitor_read":"3"}"#,
            r#"{"type":"read","operator_read":-1}"#,
            r#"{"type":"shout"}"#,
            r#"{"status":"closed"}"#,
        ] {
            assert!(serde_json::from_str::<OperatorMsg>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn visitors_frames_cannot_carry_the_operators_part() {
        let visitor = VisitorInfo { name: "V".into(), language: String::new(), country: "DE".into(), pages: vec![] };
        let frame = encode_server(&OperatorMsg::Visitor { visitor });
        assert!(decode_server::<VisitorInfo>(&frame).is_ok());
        assert_eq!(decode_server::<Hidden>(&frame).unwrap_err().code, ErrorCode::Malformed);
        // Every other frame reads the same on both sides.
        let status = encode_server(&ServerMsg::<Hidden>::Status { status: Status::Active });
        assert_eq!(decode_server::<Hidden>(&status).unwrap(), ServerMsg::Status { status: Status::Active });
        assert_eq!(decode_server::<VisitorInfo>(&status).unwrap(), OperatorMsg::Status { status: Status::Active });
    }

    fn code(frame: &str) -> ErrorCode {
        decode_client(frame).unwrap_err().code
    }

    #[test]
    fn a_file_is_named_in_text_only_transcripts() {
        let f = AttachmentView {
            id: "f_1".into(),
            name: "shot.png".into(),
            content_type: "image/png".into(),
            size: 48_213,
            width: None,
            height: None,
        };
        assert_eq!(f.label(), "📎 shot.png (49 kB)");
        assert_eq!(AttachmentView::text_with("", Some(&f)), "📎 shot.png (49 kB)");
        assert_eq!(AttachmentView::text_with("see", Some(&f)), "see\n📎 shot.png (49 kB)");
        assert_eq!(AttachmentView::text_with("hi", None), "hi");
    }

    #[test]
    fn decodes_valid_frames() {
        assert_eq!(decode_client(r#"{"type":"hello","protocol":3,"last_seq":3}"#).unwrap(), hello(3));
        assert_eq!(
            decode_client(r#"{"type":"send","client_id":"m1","text":"  hi \u0007 "}"#).unwrap(),
            ClientMsg::Send { client_id: "m1".into(), text: "hi".into(), attachment: None }
        );
        // Issue 21: a file's message may have no words, a text message may not.
        assert_eq!(
            decode_client(r#"{"type":"send","client_id":"m1","text":" ","attachment":"t.k.s"}"#).unwrap(),
            ClientMsg::Send { client_id: "m1".into(), text: String::new(), attachment: Some("t.k.s".into()) }
        );
        assert_eq!(
            decode_client(r#"{"type":"send","client_id":"m1","text":" "}"#).unwrap_err().code,
            ErrorCode::EmptyMessage
        );
        assert_eq!(
            decode_client(r#"{"type":"send","client_id":"m1","text":"","attachment":""}"#).unwrap_err().code,
            ErrorCode::BadAttachment
        );
        assert_eq!(decode_client(r#"{"type":"ping"}"#).unwrap(), ClientMsg::Ping);
        assert_eq!(decode_client(r#"{"type":"end"}"#).unwrap(), ClientMsg::End);
        assert_eq!(decode_client(r#"{"type":"read","seq":7}"#).unwrap(), ClientMsg::Read { seq: 7 });
    }

    #[test]
    fn send_errors_name_the_send() {
        let e = decode_client(r#"{"type":"send","client_id":"m7","text":" "}"#).unwrap_err();
        assert_eq!((e.code, e.client_id.as_deref()), (ErrorCode::EmptyMessage, Some("m7")));
        let e = decode_client(r#"{"type":"send","client_id":"m8","text":5}"#).unwrap_err();
        assert_eq!((e.code, e.client_id.as_deref()), (ErrorCode::Malformed, Some("m8")));
        // An unreadable id is not echoed back.
        let e = decode_client(r#"{"type":"send","client_id":"<x>","text":5}"#).unwrap_err();
        assert_eq!(e.client_id, None);
        assert_eq!(e.close_code(), None);
        let big = format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat(MAX_FRAME_BYTES));
        assert_eq!(decode_client(&big).unwrap_err().close_code(), Some(1009));
        let ended = ProtocolError::new(ErrorCode::SessionEnded, "log in again").for_send(Some("m9"));
        assert_eq!((ended.close_code(), ended.code.as_str()), (Some(CLOSE_SESSION_ENDED), "session_ended"));
    }

    #[test]
    fn refuses_bad_frames_with_the_right_code() {
        assert_eq!(code("not json"), ErrorCode::Malformed);
        assert_eq!(code("[1,2]"), ErrorCode::Malformed);
        assert_eq!(code(r#"{"kind":"send"}"#), ErrorCode::Malformed);
        assert_eq!(code(r#"{"type":"explode"}"#), ErrorCode::UnknownType);
        assert_eq!(code(r#"{"type":"send","client_id":"m1"}"#), ErrorCode::Malformed);
        assert_eq!(code(r#"{"type":"send","client_id":"m1","text":"x","extra":1}"#), ErrorCode::Malformed);
        assert_eq!(code(r#"{"type":"ping","extra":1}"#), ErrorCode::Malformed);
        assert_eq!(code(r#"{"type":"end","by":"me"}"#), ErrorCode::Malformed);
        assert_eq!(code(r#"{"type":"page","url":"/x"}"#), ErrorCode::Malformed);
        assert_eq!(code(r#"{"type":"read"}"#), ErrorCode::Malformed);
        assert_eq!(code(r#"{"type":"read","seq":-1}"#), ErrorCode::Malformed);
        assert_eq!(code(r#"{"type":"read","seq":"7"}"#), ErrorCode::Malformed);
        assert_eq!(code(r#"{"type":"read","seq":7,"role":"operator"}"#), ErrorCode::Malformed);
        let long = format!(r#"{{"type":"page","url":"/","title":"{}"}}"#, "t".repeat(MAX_PAGE_TITLE_CHARS + 1));
        assert_eq!(code(&long), ErrorCode::Malformed);
        assert_eq!(code(r#"{"type":"send","client_id":"a b","text":"x"}"#), ErrorCode::BadClientId);
        assert_eq!(code(r#"{"type":"send","client_id":"m1","text":"   "}"#), ErrorCode::EmptyMessage);
        let long = format!(r#"{{"type":"send","client_id":"m1","text":"{}"}}"#, "é".repeat(MAX_MESSAGE_CHARS + 1));
        assert_eq!(code(&long), ErrorCode::MessageTooLong);
        let huge = format!(r#"{{"type":"send","client_id":"m1","text":"{}"}}"#, "x".repeat(MAX_FRAME_BYTES));
        assert_eq!(code(&huge), ErrorCode::FrameTooLarge);
    }

    /// The checking path alone (a JSON tree first), as `decode_client` was before its direct path.
    fn decode_checked(frame: &str) -> Result<ClientMsg, ProtocolError> {
        let value: serde_json::Value =
            serde_json::from_str(frame).map_err(|_| ProtocolError::new(ErrorCode::Malformed, ""))?;
        let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or_default().to_owned();
        if !CLIENT_TYPES.contains(&kind.as_str()) {
            return Err(ProtocolError::new(
                if value.get("type").is_some_and(|t| t.is_string()) {
                    ErrorCode::UnknownType
                } else {
                    ErrorCode::Malformed
                },
                "",
            ));
        }
        let fields = value.as_object().map_or(0, |o| o.len());
        let msg: ClientMsg = serde_json::from_value(value).map_err(|_| ProtocolError::new(ErrorCode::Malformed, ""))?;
        if matches!(msg, ClientMsg::Ping | ClientMsg::End) && fields > 1 {
            return Err(ProtocolError::new(ErrorCode::Malformed, ""));
        }
        validate(msg)
    }

    #[test]
    fn the_direct_decode_agrees_with_the_checked_one() {
        let frames = [
            r#"{"type":"hello","protocol":2,"last_seq":3}"#,
            r#"{"last_seq":3,"protocol":2,"type":"hello"}"#,
            r#"{"type":"hello","protocol":1,"last_seq":3}"#,
            r#"{"type":"send","client_id":"m1","text":"  hi \u0007 "}"#,
            r#"{"type":"send","client_id":"m1","text":"a","text":"b"}"#,
            r#"{"type":"send","type":"send","client_id":"m1","text":"a"}"#,
            r#"{"type":"send","client_id":"m1","text":"x","extra":1}"#,
            r#"{"type":"send","client_id":"a b","text":"x"}"#,
            r#"{"type":"send","client_id":"m1","text":"   "}"#,
            r#"{"type":"send","client_id":"m1","text":5}"#,
            r#"{"type":"ping"}"#,
            r#"{"type":"ping","extra":1}"#,
            r#"{"type":"end","by":"me"}"#,
            r#"{"type":"page","url":"/x"}"#,
            r#"{"type":"page","url":"/","title":"t"}"#,
            r#"{"type":"typing","typing":true}"#,
            r#"{"type":"read","seq":7}"#,
            r#"{"seq":7,"type":"read"}"#,
            r#"{"type":"read"}"#,
            r#"{"type":"read","seq":-1}"#,
            r#"{"type":"read","seq":1.5}"#,
            r#"{"type":"read","seq":"7"}"#,
            r#"{"type":"read","seq":7,"role":"operator"}"#,
            r#"{"type":"read","seq":7,"seq":8}"#,
            r#"{"type":"explode"}"#,
            r#"{"type":5}"#,
            r#"{"kind":"send"}"#,
            "[1,2]",
            "not json",
            r#"{"type":"send","client_id":"m1","text":"x"} trailing"#,
        ];
        for f in frames {
            let (direct, checked) = (decode_client(f), decode_checked(f));
            assert_eq!(direct.as_ref().ok(), checked.as_ref().ok(), "{f}");
            assert_eq!(direct.err().map(|e| e.code), checked.err().map(|e| e.code), "{f}");
        }
    }

    #[test]
    fn message_at_the_limit_is_accepted() {
        let text = "é".repeat(MAX_MESSAGE_CHARS);
        let frame = encode_client(&ClientMsg::Send { client_id: "m1".into(), text: text.clone(), attachment: None });
        assert_eq!(decode_client(&frame).unwrap(), ClientMsg::Send { client_id: "m1".into(), text, attachment: None });
    }

    #[test]
    fn markup_is_kept_as_text() {
        let t = normalize_text("<script>alert(1)</script>").unwrap();
        assert_eq!(t, "<script>alert(1)</script>");
    }

    #[test]
    fn server_frames_round_trip() {
        let msg: ServerMsg = ServerMsg::Ack { client_id: "m1".into(), seq: 4, at: Millis(10) };
        assert_eq!(decode_server(&encode_server(&msg)).unwrap(), msg);
    }
}

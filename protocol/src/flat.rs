//! Reads the visitors' server frames ([`ServerMsg`]`<`[`Hidden`]`>`) from a parsed JSON value
//! one field at a time, without serde: in the widget the value is what the browser's
//! `JSON.parse` gave (`parley_client` implements [`Json`] over `JsValue`), and serde's derived
//! deserializers plus `serde_wasm_bindgen` cost it several KB (issue 17).
//!
//! Acceptance is the same as `serde_wasm_bindgen::from_value::<ServerMsg<Hidden>>` on the same
//! value: every field [`ServerWire`] knows is checked whenever it is present and not null,
//! whatever the frame's `type`; the flat struct then becomes a frame by the very same
//! `TryFrom` serde uses. `protocol/tests/flat_frames.rs` compares both paths on every wire
//! fixture and on a list of malformed frames.

use crate::protocol::{
    AttachmentView, Author, ErrorCode, Hidden, MessageView, Role, Routing, ServerMsg, ServerWire, Status, TextOrMessage,
};
use crate::{ConversationId, Millis};

/// A parsed JSON value, as the reader needs it.
pub trait Json: Sized {
    /// `self[k]` when `self` is an object (arrays included) that has `k`; `None` otherwise.
    fn field(&self, k: &str) -> Option<Self>;
    fn is_null(&self) -> bool;
    /// An object (arrays included), as serde reads a struct from.
    fn is_object(&self) -> bool;
    fn is_array(&self) -> bool;
    fn string(&self) -> Option<String>;
    fn boolean(&self) -> Option<bool>;
    /// A whole number as the deserializer reads a `u64` (in JavaScript: a safe integer ≥ 0).
    fn uint(&self) -> Option<u64>;
    /// The items of an array.
    fn items(&self) -> Option<Vec<Self>>;
    /// The entries of an object (array indices as keys), in order.
    fn entries(&self) -> Option<Vec<(String, Self)>>;
}

/// Reads a server frame as a visitor does; `None` exactly when serde would refuse it.
pub fn read_server<J: Json>(v: &J) -> Option<ServerMsg<Hidden>> {
    if !v.is_object() {
        return None;
    }
    // A string in `error` frames, an object (not an array) in `message` frames.
    let text_or_message = match opt(v, "message") {
        None => None,
        Some(m) => match m.string() {
            Some(text) => Some(TextOrMessage::Text(text)),
            None if m.is_object() && !m.is_array() => Some(TextOrMessage::Message(message(&m)?)),
            None => return None,
        },
    };
    if opt(v, "visitor").is_some() {
        return None; // `Hidden` has no value
    }
    let w: ServerWire<Hidden> = ServerWire {
        kind: v.field("type")?.string()?,
        protocol: opt_with(v, "protocol", u32_of)?,
        conversation_id: opt_with(v, "conversation_id", |c| c.string().map(ConversationId))?,
        status: opt_with(v, "status", status)?,
        you: opt_with(v, "you", author)?,
        history: opt_with(v, "history", |h| h.items()?.iter().map(message).collect())?,
        last_seq: opt_with(v, "last_seq", J::uint)?,
        routing: opt_with(v, "routing", routing)?,
        visitor: None,
        reason: opt_with(v, "reason", J::string)?,
        supported: opt_with(v, "supported", u32_of)?,
        client_id: opt_with(v, "client_id", J::string)?,
        seq: opt_with(v, "seq", J::uint)?,
        at: opt_with(v, "at", |a| a.uint().map(Millis))?,
        message: text_or_message,
        author: opt_with(v, "author", author)?,
        typing: opt_with(v, "typing", J::boolean)?,
        code: opt_with(v, "code", error_code)?,
        visitor_read: opt_with(v, "visitor_read", J::uint)?,
        operator_read: opt_with(v, "operator_read", J::uint)?,
    };
    ServerMsg::try_from(w).ok()
}

/// An `Option` field: absent or null is `None`.
fn opt<J: Json>(v: &J, k: &str) -> Option<J> {
    v.field(k).filter(|x| !x.is_null())
}

/// An `Option` field read with `read`: `Some(None)` when absent or null, `None` when present
/// but unreadable.
fn opt_with<J: Json, T>(v: &J, k: &str, read: impl Fn(&J) -> Option<T>) -> Option<Option<T>> {
    match opt(v, k) {
        None => Some(None),
        Some(x) => read(&x).map(Some),
    }
}

fn u32_of<J: Json>(v: &J) -> Option<u32> {
    u32::try_from(v.uint()?).ok()
}

/// A struct's required field.
fn need<J: Json, T>(v: &J, k: &str, read: impl Fn(&J) -> Option<T>) -> Option<T> {
    read(&v.field(k)?)
}

/// An externally tagged enum: `"tag"`, or `{"tag": payload}` (exactly one entry). The payload
/// is `None` for the bare string.
fn tagged<J: Json>(v: &J) -> Option<(String, Option<J>)> {
    if let Some(tag) = v.string() {
        return Some((tag, None));
    }
    let mut entries = v.entries()?;
    if entries.len() != 1 {
        return None;
    }
    let (tag, payload) = entries.pop()?;
    Some((tag, Some(payload)))
}

/// A unit variant's name (`{"name": null}` too, as serde reads it).
fn unit<J: Json>(v: &J) -> Option<String> {
    let (tag, payload) = tagged(v)?;
    payload.is_none_or(|p| p.is_null()).then_some(tag)
}

fn status<J: Json>(v: &J) -> Option<Status> {
    Status::parse(&unit(v)?)
}

fn role<J: Json>(v: &J) -> Option<Role> {
    match unit(v)?.as_str() {
        "visitor" => Some(Role::Visitor),
        "operator" => Some(Role::Operator),
        _ => None,
    }
}

fn error_code<J: Json>(v: &J) -> Option<ErrorCode> {
    let tag = unit(v)?;
    [
        ErrorCode::Malformed,
        ErrorCode::UnknownType,
        ErrorCode::FrameTooLarge,
        ErrorCode::MessageTooLong,
        ErrorCode::EmptyMessage,
        ErrorCode::BadClientId,
        ErrorCode::HelloRequired,
        ErrorCode::ConversationClosed,
        ErrorCode::RateLimited,
        ErrorCode::SessionEnded,
        ErrorCode::ConversationFull,
        ErrorCode::BadAttachment,
    ]
    .into_iter()
    .find(|c| c.as_str() == tag)
}

fn author<J: Json>(v: &J) -> Option<Author> {
    if !v.is_object() {
        return None;
    }
    Some(Author { role: need(v, "role", role)?, name: need(v, "name", J::string)? })
}

fn message<J: Json>(v: &J) -> Option<MessageView> {
    if !v.is_object() {
        return None;
    }
    Some(MessageView {
        seq: need(v, "seq", J::uint)?,
        client_id: need(v, "client_id", J::string)?,
        author: need(v, "author", author)?,
        text: need(v, "text", J::string)?,
        at: Millis(need(v, "at", J::uint)?),
        attachment: opt_with(v, "attachment", attachment)?,
    })
}

/// A file as messages carry it (issue 21): also how the chat client reads a saved outbox's.
pub fn read_attachment<J: Json>(v: &J) -> Option<AttachmentView> {
    attachment(v)
}

fn attachment<J: Json>(v: &J) -> Option<AttachmentView> {
    if !v.is_object() {
        return None;
    }
    Some(AttachmentView {
        id: need(v, "id", J::string)?,
        name: need(v, "name", J::string)?,
        content_type: need(v, "content_type", J::string)?,
        size: need(v, "size", J::uint)?,
        width: opt_with(v, "width", u32_of)?,
        height: opt_with(v, "height", u32_of)?,
    })
}

fn routing<J: Json>(v: &J) -> Option<Routing> {
    let (tag, payload) = tagged(v)?;
    let p = payload.filter(|p| p.is_object())?;
    match tag.as_str() {
        "queued" => Some(Routing::Queued {
            position: need(&p, "position", u32_of)?,
            estimated_wait_ms: opt_with(&p, "estimated_wait_ms", J::uint)?,
        }),
        "assigned" => Some(Routing::Assigned { name: need(&p, "name", J::string)? }),
        _ => None,
    }
}

/// The same reader over `serde_json` values: what the native tests drive.
impl Json for serde_json::Value {
    fn field(&self, k: &str) -> Option<Self> {
        self.as_object()?.get(k).cloned()
    }
    fn is_null(&self) -> bool {
        self.is_null()
    }
    fn is_object(&self) -> bool {
        self.is_object() || self.is_array()
    }
    fn is_array(&self) -> bool {
        self.is_array()
    }
    fn string(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }
    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
    fn uint(&self) -> Option<u64> {
        self.as_u64()
    }
    fn items(&self) -> Option<Vec<Self>> {
        self.as_array().cloned()
    }
    fn entries(&self) -> Option<Vec<(String, Self)>> {
        match self {
            serde_json::Value::Object(o) => Some(o.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            serde_json::Value::Array(a) => {
                Some(a.iter().enumerate().map(|(i, v)| (i.to_string(), v.clone())).collect())
            }
            _ => None,
        }
    }
}

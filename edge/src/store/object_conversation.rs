//! The conversation object's own SQLite (a Durable Object's storage, not D1): its schema, its
//! transcript (`messages`) and its state changes (`events`), and the mappers from those rows to
//! the core's messages and to the D1 copy's rows. Values are bound, never formatted in.
//!
//! The object never reads the whole transcript: on wake its tail ([`tail`], the latest rows by
//! primary key, the last one's `bytes_through` giving the conversation's bytes), and on demand
//! the older messages a `hello` missed ([`messages_between`]) or a retried send by its unique
//! (author, client id) index ([`earlier`]).

use parley_core::conversation::{Earlier, Event, StoredMessage};
use parley_protocol::protocol::{AttachmentView, Author, MessageView, Role};
use parley_protocol::Millis;
use serde::Deserialize;
use worker::{Result, SqlStorage};

use super::conversations::{EventRow, MessageRow as D1MessageRow};
use super::int;

/// The object's SQLite schema, applied in order. Append-only: never edit a landed entry.
pub const MIGRATIONS: &[&str] = &[
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
    // The kit's outbox; queued notices carried over with their numbers.
    "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, body TEXT NOT NULL);
     INSERT INTO outbox (seq, kind, body) SELECT seq, 'notice', body FROM dispatch_outbox;
     DROP TABLE dispatch_outbox;",
    // The tail (issue 18): each message keeps the bytes of text of the conversation through it
    // (what the core's cap counts, read back on wake from the last row alone), and the core's
    // meta whether an operator ever wrote (no rule reads the whole transcript any more). Both
    // computed once here for conversations older than this.
    "ALTER TABLE messages ADD COLUMN bytes_through INTEGER NOT NULL DEFAULT 0;
     UPDATE messages SET bytes_through = t.total
       FROM (SELECT seq, SUM(length(CAST(text AS BLOB))) OVER (ORDER BY seq) AS total FROM messages) AS t
       WHERE messages.seq = t.seq;
     UPDATE meta SET value = json_set(value, '$.operator_wrote',
       json(CASE WHEN EXISTS (SELECT 1 FROM messages WHERE author_role = 'operator') THEN 'true' ELSE 'false' END))
       WHERE key = 'core';",
    // Issue 21: the file a message carries (its `AttachmentView` as JSON; NULL for text).
    "ALTER TABLE messages ADD COLUMN attachment TEXT;",
];

/// A row of the object's `messages` table ([`MESSAGE_COLS`]).
#[derive(Debug, Deserialize)]
pub struct MessageRow {
    pub seq: u64,
    pub client_id: String,
    pub author_id: String,
    pub author_role: String,
    pub author_name: String,
    pub text: String,
    pub at: u64,
    /// Bytes of text of the conversation through this message.
    pub bytes_through: u64,
    /// The file it carries, as JSON (issue 21).
    #[serde(default)]
    pub attachment: Option<String>,
}

const MESSAGE_COLS: &str = "seq, client_id, author_id, author_role, author_name, text, at, bytes_through, attachment";

/// A message's file from its column (a value this code did not write is dropped, never a guess
/// that fails the whole replay).
fn attachment_of(json: Option<&str>) -> Option<AttachmentView> {
    json.and_then(|j| serde_json::from_str(j).ok())
}

fn role_str(role: Role) -> &'static str {
    match role {
        Role::Visitor => "visitor",
        Role::Operator => "operator",
    }
}

impl MessageRow {
    /// The core's message.
    pub fn into_core(self) -> StoredMessage {
        StoredMessage {
            view: MessageView {
                seq: self.seq,
                client_id: self.client_id,
                author: Author {
                    role: if self.author_role == "operator" { Role::Operator } else { Role::Visitor },
                    name: self.author_name,
                },
                text: self.text,
                at: Millis(self.at),
                attachment: attachment_of(self.attachment.as_deref()),
            },
            author_id: self.author_id,
        }
    }

    /// The D1 copy's row (`messages`): an operator's message names its operator.
    pub fn into_d1(self) -> D1MessageRow {
        let operator = self.author_role == "operator";
        D1MessageRow {
            seq: self.seq,
            operator_id: operator.then_some(self.author_id),
            role: if operator || self.author_role == "system" { self.author_role } else { "visitor".to_owned() },
            author_name: self.author_name,
            text: self.text,
            at: self.at,
            attachment: self.attachment,
        }
    }
}

/// The latest `n` messages in order (one read backwards along the primary key) and the bytes of
/// text of the whole conversation (the latest row's `bytes_through`; 0 without messages).
pub fn tail(sql: &SqlStorage, n: usize) -> Result<(Vec<StoredMessage>, u64)> {
    let rows = sql
        .exec(&format!("SELECT {MESSAGE_COLS} FROM messages ORDER BY seq DESC LIMIT ?"), vec![int(n as u64)])?
        .to_array::<MessageRow>()?;
    let bytes = rows.first().map_or(0, |r| r.bytes_through);
    Ok((rows.into_iter().rev().map(MessageRow::into_core).collect(), bytes))
}

/// The messages with `after < seq < before`, in order (a range of the primary key).
pub fn messages_between(sql: &SqlStorage, after: u64, before: u64) -> Result<Vec<MessageView>> {
    let rows = sql
        .exec(
            &format!("SELECT {MESSAGE_COLS} FROM messages WHERE seq > ? AND seq < ? ORDER BY seq"),
            vec![int(after), int(before)],
        )?
        .to_array::<MessageRow>()?;
    Ok(rows.into_iter().map(|r| r.into_core().view).collect())
}

/// The stored message of `author_id` with `client_id`, if any (the unique index).
pub fn earlier(sql: &SqlStorage, author_id: &str, client_id: &str) -> Result<Option<Earlier>> {
    #[derive(Deserialize)]
    struct Row {
        seq: u64,
        at: u64,
    }
    let rows = sql
        .exec(
            "SELECT seq, at FROM messages WHERE author_id = ? AND client_id = ?",
            vec![author_id.into(), client_id.into()],
        )?
        .to_array::<Row>()?;
    Ok(rows.first().map(|r| Earlier { seq: r.seq, at: Millis(r.at) }))
}

/// Up to `limit` stored messages after `after`, as D1 rows.
pub fn messages_after(sql: &SqlStorage, after: u64, limit: u64) -> Result<Vec<D1MessageRow>> {
    let rows = sql
        .exec(
            &format!("SELECT {MESSAGE_COLS} FROM messages WHERE seq > ? ORDER BY seq LIMIT ?"),
            vec![int(after), int(limit)],
        )?
        .to_array::<MessageRow>()?;
    Ok(rows.into_iter().map(MessageRow::into_d1).collect())
}

pub fn insert_message(sql: &SqlStorage, m: StoredMessage, bytes_through: u64) -> Result<()> {
    sql.exec(
        "INSERT INTO messages (seq, client_id, author_id, author_role, author_name, text, at, bytes_through, attachment) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            int(m.view.seq),
            m.view.client_id.into(),
            m.author_id.into(),
            role_str(m.view.author.role).into(),
            m.view.author.name.into(),
            m.view.text.into(),
            int(m.view.at.0),
            int(bytes_through),
            match &m.view.attachment {
                Some(a) => serde_json::to_string(a)?.into(),
                None => worker::SqlStorageValue::Null,
            },
        ],
    )?;
    Ok(())
}

pub fn insert_event(sql: &SqlStorage, event: &Event) -> Result<()> {
    sql.exec(
        "INSERT INTO events (at, kind, detail) VALUES (?, ?, ?)",
        vec![int(event.at.0), event.kind.name().into(), serde_json::to_string(&event.kind)?.into()],
    )?;
    Ok(())
}

/// The seq of the latest state change (0 for none): read on wake, to know whether D1 has it.
pub fn last_event_seq(sql: &SqlStorage) -> Result<u64> {
    #[derive(Deserialize)]
    struct Last {
        seq: Option<u64>,
    }
    let rows = sql.exec("SELECT MAX(seq) AS seq FROM events", None)?.to_array::<Last>()?;
    Ok(rows.first().and_then(|r| r.seq).unwrap_or(0))
}

/// The state changes after `after`, as D1 rows.
pub fn events_after(sql: &SqlStorage, after: u64) -> Result<Vec<EventRow>> {
    #[derive(Deserialize)]
    struct Ev {
        seq: u64,
        at: u64,
        kind: String,
        detail: String,
    }
    Ok(sql
        .exec("SELECT seq, at, kind, detail FROM events WHERE seq > ? ORDER BY seq", vec![int(after)])?
        .to_array::<Ev>()?
        .into_iter()
        .map(|e| EventRow { seq: e.seq, at: e.at, kind: e.kind, detail: e.detail })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(role: &str) -> MessageRow {
        MessageRow {
            seq: 3,
            client_id: "k1".into(),
            author_id: "op_1".into(),
            author_role: role.into(),
            author_name: "Sam".into(),
            text: "hello".into(),
            at: 1000,
            bytes_through: 5,
            attachment: None,
        }
    }

    #[test]
    fn a_message_row_maps_to_the_core_message() {
        let m = row("operator").into_core();
        assert_eq!((m.view.seq, m.view.client_id.as_str(), m.author_id.as_str()), (3, "k1", "op_1"));
        assert_eq!((m.view.author.role, m.view.author.name.as_str()), (Role::Operator, "Sam"));
        assert_eq!((m.view.text.as_str(), m.view.at), ("hello", Millis(1000)));
        assert_eq!(row("visitor").into_core().view.author.role, Role::Visitor);
    }

    #[test]
    fn a_message_row_maps_to_the_d1_copy() {
        let d = row("operator").into_d1();
        assert_eq!((d.seq, d.role.as_str(), d.operator_id.as_deref(), d.at), (3, "operator", Some("op_1"), 1000));
        assert_eq!((d.author_name.as_str(), d.text.as_str()), ("Sam", "hello"));
        let v = row("visitor").into_d1();
        assert_eq!((v.role.as_str(), v.operator_id), ("visitor", None));
        assert_eq!(row("system").into_d1().role, "system");
        assert_eq!(row("anything else").into_d1().role, "visitor");
    }
}

//! The conversation state machine (sans-IO).
//!
//! One [`Conversation`] is the whole truth of one chat. The edge's Durable Object rebuilds it
//! from its SQLite rows ([`Conversation::restore`]), feeds it inputs with the current time, and
//! carries out the [`Effect`]s it returns, in order: store first, then acknowledge, then
//! broadcast. Because acknowledging only follows storing, nothing acknowledged is ever lost.

use crate::ids::{ConversationId, Millis};
use crate::limits::{MAX_REPLAY, PROTOCOL_VERSION};
use crate::protocol::{Author, ClientMsg, ErrorCode, MessageView, ProtocolError, Role, ServerMsg, Status};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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

/// What the edge must do, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Write this message durably (before anything after it is sent).
    Store(StoredMessage),
    /// Record the new status durably.
    SetStatus(Status),
    /// Replace the sending connection's state.
    UpdateConnection(Connection),
    /// Send to the connection the input came from.
    Reply(ServerMsg),
    /// Send to every connection of the conversation, the sender included.
    Broadcast(ServerMsg),
    /// Send to every connection but the sender.
    BroadcastOthers(ServerMsg),
    /// Close the sending connection with this WebSocket close code.
    Close { code: u16, reason: String },
}

/// WebSocket close code sent after `incompatible`.
pub const CLOSE_INCOMPATIBLE: u16 = 4000;

/// The state of one conversation.
#[derive(Clone, Debug)]
pub struct Conversation {
    id: ConversationId,
    status: Status,
    messages: Vec<StoredMessage>,
    /// (author id, client id) → index into `messages`, for idempotent sends.
    by_client_id: HashMap<(String, String), usize>,
}

impl Conversation {
    /// A new, empty conversation.
    pub fn new(id: ConversationId) -> Self {
        Self::restore(id, Status::Waiting, Vec::new())
    }

    /// Rebuilds the state from stored rows (messages in `seq` order).
    pub fn restore(id: ConversationId, status: Status, messages: Vec<StoredMessage>) -> Self {
        let by_client_id =
            messages.iter().enumerate().map(|(i, m)| ((m.author_id.clone(), m.view.client_id.clone()), i)).collect();
        Self { id, status, messages, by_client_id }
    }

    pub fn id(&self) -> &ConversationId {
        &self.id
    }
    pub fn status(&self) -> Status {
        self.status
    }
    pub fn messages(&self) -> &[StoredMessage] {
        &self.messages
    }
    pub fn last_seq(&self) -> u64 {
        self.messages.last().map_or(0, |m| m.view.seq)
    }

    /// A decoded, validated client frame arrived on `conn` at `now`.
    pub fn handle_client(&mut self, conn: &Connection, msg: ClientMsg, now: Millis) -> Vec<Effect> {
        match msg {
            ClientMsg::Hello { protocol, last_seq } => self.hello(conn, protocol, last_seq),
            _ if !conn.greeted => vec![error(ErrorCode::HelloRequired, "send hello first")],
            ClientMsg::Send { client_id, text } => self.send(&conn.participant, client_id, text, now),
            ClientMsg::Typing { typing } => {
                vec![Effect::BroadcastOthers(ServerMsg::Typing { author: conn.participant.author(), typing })]
            }
            ClientMsg::Ping => vec![Effect::Reply(ServerMsg::Pong)],
        }
    }

    /// A frame that failed to decode arrived: report it, change nothing.
    pub fn handle_bad_frame(&self, err: &ProtocolError) -> Vec<Effect> {
        vec![Effect::Reply(err.to_server_msg())]
    }

    fn hello(&self, conn: &Connection, protocol: u32, last_seq: u64) -> Vec<Effect> {
        if protocol != PROTOCOL_VERSION {
            return vec![
                Effect::Reply(ServerMsg::Incompatible {
                    reason: format!("protocol {protocol} is not supported; this server speaks {PROTOCOL_VERSION}"),
                    supported: PROTOCOL_VERSION,
                }),
                Effect::Close { code: CLOSE_INCOMPATIBLE, reason: "incompatible protocol".into() },
            ];
        }
        // Sequence numbers are dense from 1, so the messages after `last_seq` start at index
        // `last_seq` (clamped for clients that claim more than exists).
        let start = usize::try_from(last_seq).unwrap_or(usize::MAX).min(self.messages.len());
        let history = self.messages[start..].iter().take(MAX_REPLAY).map(|m| m.view.clone()).collect();
        let mut effects = Vec::with_capacity(2);
        if !conn.greeted {
            effects.push(Effect::UpdateConnection(Connection { greeted: true, ..conn.clone() }));
        }
        effects.push(Effect::Reply(ServerMsg::Welcome {
            protocol: PROTOCOL_VERSION,
            conversation_id: self.id.0.clone(),
            status: self.status,
            you: conn.participant.author(),
            history,
            last_seq: self.last_seq(),
        }));
        effects
    }

    fn send(&mut self, who: &Participant, client_id: String, text: String, now: Millis) -> Vec<Effect> {
        let key = (who.id.clone(), client_id);
        if let Some(&i) = self.by_client_id.get(&key) {
            // A retry: acknowledge again, store nothing.
            let m = &self.messages[i].view;
            return vec![Effect::Reply(ServerMsg::Ack { client_id: key.1, seq: m.seq, at: m.at })];
        }
        if self.status == Status::Closed {
            return vec![error(ErrorCode::ConversationClosed, "this conversation is closed")];
        }
        let seq = self.last_seq() + 1;
        let view = MessageView { seq, client_id: key.1.clone(), author: who.author(), text, at: now };
        let stored = StoredMessage { view: view.clone(), author_id: who.id.clone() };
        self.by_client_id.insert(key, self.messages.len());
        self.messages.push(stored.clone());

        let mut effects = vec![Effect::Store(stored)];
        let activated = who.role == Role::Operator && self.status == Status::Waiting;
        if activated {
            self.status = Status::Active;
            effects.push(Effect::SetStatus(Status::Active));
        }
        effects.push(Effect::Reply(ServerMsg::Ack { client_id: view.client_id.clone(), seq, at: now }));
        effects.push(Effect::Broadcast(ServerMsg::Message { message: view }));
        if activated {
            effects.push(Effect::Broadcast(ServerMsg::Status { status: Status::Active }));
        }
        effects
    }
}

fn error(code: ErrorCode, message: &str) -> Effect {
    Effect::Reply(ProtocolError::new(code, message).to_server_msg())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::hello;

    fn visitor() -> Connection {
        Connection {
            participant: Participant { role: Role::Visitor, id: "v_1".into(), name: "Visitor".into() },
            greeted: true,
        }
    }
    fn operator() -> Connection {
        Connection {
            participant: Participant { role: Role::Operator, id: "o_1".into(), name: "Ana".into() },
            greeted: true,
        }
    }
    fn send(id: &str, text: &str) -> ClientMsg {
        ClientMsg::Send { client_id: id.into(), text: text.into() }
    }
    fn conv() -> Conversation {
        Conversation::new(ConversationId("c_1".into()))
    }

    #[test]
    fn stores_then_acks_then_broadcasts() {
        let mut c = conv();
        let fx = c.handle_client(&visitor(), send("m1", "hello"), Millis(100));
        assert!(matches!(&fx[0], Effect::Store(m) if m.view.seq == 1 && m.view.text == "hello"));
        assert_eq!(fx[1], Effect::Reply(ServerMsg::Ack { client_id: "m1".into(), seq: 1, at: Millis(100) }));
        assert!(matches!(&fx[2], Effect::Broadcast(ServerMsg::Message { message }) if message.seq == 1));
        assert_eq!(c.last_seq(), 1);
    }

    #[test]
    fn repeated_client_id_is_acked_again_and_stored_once() {
        let mut c = conv();
        c.handle_client(&visitor(), send("m1", "hello"), Millis(100));
        let fx = c.handle_client(&visitor(), send("m1", "hello"), Millis(200));
        assert_eq!(fx, vec![Effect::Reply(ServerMsg::Ack { client_id: "m1".into(), seq: 1, at: Millis(100) })]);
        assert_eq!(c.messages().len(), 1);
        // The same client id from another author is another message.
        let fx = c.handle_client(&operator(), send("m1", "hi"), Millis(300));
        assert!(matches!(&fx[0], Effect::Store(m) if m.view.seq == 2));
    }

    #[test]
    fn first_operator_message_activates() {
        let mut c = conv();
        c.handle_client(&visitor(), send("m1", "hello"), Millis(1));
        assert_eq!(c.status(), Status::Waiting);
        let fx = c.handle_client(&operator(), send("o1", "Hi, I'm Ana"), Millis(2));
        assert!(fx.contains(&Effect::SetStatus(Status::Active)));
        assert!(fx.contains(&Effect::Broadcast(ServerMsg::Status { status: Status::Active })));
        assert_eq!(c.status(), Status::Active);
        let fx = c.handle_client(&operator(), send("o2", "How can I help?"), Millis(3));
        assert!(!fx.iter().any(|e| matches!(e, Effect::SetStatus(_))));
    }

    #[test]
    fn hello_replays_what_was_missed() {
        let mut c = conv();
        for i in 1..=5 {
            c.handle_client(&visitor(), send(&format!("m{i}"), &format!("t{i}")), Millis(i));
        }
        let mut fresh = visitor();
        fresh.greeted = false;
        let fx = c.handle_client(&fresh, hello(3), Millis(9));
        assert_eq!(fx[0], Effect::UpdateConnection(visitor()));
        let Effect::Reply(ServerMsg::Welcome { history, last_seq, you, .. }) = &fx[1] else { panic!("{fx:?}") };
        assert_eq!(history.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![4, 5]);
        assert_eq!(*last_seq, 5);
        assert_eq!(you.role, Role::Visitor);
        // A client claiming more than exists gets nothing, not a panic.
        let fx = c.handle_client(&fresh, hello(99), Millis(9));
        assert!(matches!(&fx[1], Effect::Reply(ServerMsg::Welcome { history, .. }) if history.is_empty()));
    }

    #[test]
    fn restore_keeps_idempotency() {
        let mut c = conv();
        c.handle_client(&visitor(), send("m1", "hello"), Millis(1));
        let mut r = Conversation::restore(c.id().clone(), c.status(), c.messages().to_vec());
        let fx = r.handle_client(&visitor(), send("m1", "hello"), Millis(5));
        assert_eq!(fx.len(), 1);
        let fx = r.handle_client(&visitor(), send("m2", "again"), Millis(6));
        assert!(matches!(&fx[0], Effect::Store(m) if m.view.seq == 2));
    }

    #[test]
    fn wrong_version_is_incompatible_and_closes() {
        let c = conv();
        let mut fresh = visitor();
        fresh.greeted = false;
        let fx = c.clone().handle_client(&fresh, ClientMsg::Hello { protocol: 2, last_seq: 0 }, Millis(1));
        assert!(matches!(&fx[0], Effect::Reply(ServerMsg::Incompatible { supported: 1, .. })));
        assert!(matches!(&fx[1], Effect::Close { code: CLOSE_INCOMPATIBLE, .. }));
    }

    #[test]
    fn nothing_before_hello() {
        let mut c = conv();
        let mut fresh = visitor();
        fresh.greeted = false;
        let fx = c.handle_client(&fresh, send("m1", "x"), Millis(1));
        assert!(matches!(&fx[0], Effect::Reply(ServerMsg::Error { code: ErrorCode::HelloRequired, .. })));
        assert!(c.messages().is_empty());
    }

    #[test]
    fn typing_goes_to_the_others() {
        let mut c = conv();
        let fx = c.handle_client(&operator(), ClientMsg::Typing { typing: true }, Millis(1));
        assert_eq!(
            fx,
            vec![Effect::BroadcastOthers(ServerMsg::Typing {
                author: Author { role: Role::Operator, name: "Ana".into() },
                typing: true
            })]
        );
    }

    #[test]
    fn closed_refuses_new_messages_but_acks_retries() {
        let mut c = conv();
        c.handle_client(&visitor(), send("m1", "hello"), Millis(1));
        let mut closed = Conversation::restore(c.id().clone(), Status::Closed, c.messages().to_vec());
        let fx = closed.handle_client(&visitor(), send("m1", "hello"), Millis(2));
        assert!(matches!(&fx[0], Effect::Reply(ServerMsg::Ack { seq: 1, .. })));
        let fx = closed.handle_client(&visitor(), send("m2", "more"), Millis(2));
        assert!(matches!(&fx[0], Effect::Reply(ServerMsg::Error { code: ErrorCode::ConversationClosed, .. })));
    }
}

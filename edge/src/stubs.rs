//! Typed stubs: the only way the worker and the objects call an object. Each object takes one
//! typed request enum, serialized once by [`send`] (or [`upgrade`]) and read in the object by
//! [`crate::objects::read`]; no caller builds a
//! request by hand.

use parley_core::conversation::{Notice, Participant};
use parley_core::dispatch::{DispatchError, Profile, RouteUpdate};
use parley_core::metrics::{Event, EventsAck};
use parley_core::throttle::Door;
use parley_protocol::protocol::VisitorInfo;
use parley_protocol::{AccountId, ChannelId, ConversationId, OperatorId, VisitorId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{Env, Headers, Method, Request, RequestInit, Response, Result, Stub};

// -- calling an object ------------------------------------------------------------------------

/// The header carrying a typed request that has no body (a WebSocket upgrade).
pub const HDR_REQUEST: &str = "X-Parley-Request";

/// The stub of the object `name` of the namespace `binding`.
pub fn stub(env: &Env, binding: &str, name: &str) -> Result<Stub> {
    env.durable_object(binding)?.id_from_name(name)?.get_stub()
}

/// Sends a typed request (POST, JSON body): the one way objects are called (each call counts
/// one subrequest of the caller's invocation: [`crate::cost`]).
pub async fn send(stub: &Stub, request: &impl Serialize) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(serde_json::to_string(request)?.into()));
    crate::cost::object();
    stub.fetch_with_request(Request::new_with_init("https://object/", &init)?).await
}

/// Hands a WebSocket upgrade to the object with a typed request (in a header: an upgrade has
/// no body).
pub async fn upgrade(stub: &Stub, request: &impl Serialize) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Upgrade", "websocket")?;
    headers.set(HDR_REQUEST, &serde_json::to_string(request)?)?;
    let mut init = RequestInit::new();
    init.with_headers(headers);
    crate::cost::object();
    stub.fetch_with_request(Request::new_with_init("https://object/", &init)?).await
}

// -- ConversationObject -----------------------------------------------------------------------

/// What a conversation is created with.
#[derive(Serialize, Deserialize)]
pub struct InitBody {
    pub conversation_id: ConversationId,
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    pub visitor_id: VisitorId,
    pub created_at: u64,
    /// Where routing put the conversation when it started.
    pub route: RouteUpdate,
    pub visitor: VisitorInfo,
    /// The missed-chat wait when the channel mails missed chats (issue 20), and the
    /// deployment's origin its console link is made from.
    #[serde(default)]
    pub missed_wait_ms: Option<u64>,
    #[serde(default)]
    pub origin: String,
    /// The visitor's address (pre-chat form, `Parley.identify`), empty when unknown: an
    /// operator's answer while they are away is mailed there when mail is on.
    #[serde(default)]
    pub visitor_email: String,
}

/// The requests a `ConversationObject` takes.
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ConversationRequest {
    /// Create the conversation (a second call answers without changing anything).
    Init { init: Box<InitBody> },
    /// A routing update numbered by the dispatcher's outbox (applied once, in order).
    Route { seq: u64, update: RouteUpdate },
    /// The status as the object knows it.
    Status,
    /// Every message of the transcript, in order, from the object's own storage (the D1 copy
    /// may lag behind; the object's memory holds only the tail): a transcript mail's lines.
    Messages,
    /// A WebSocket upgrade of a participant the worker authenticated; `session` is an
    /// operator's console session digest (empty for visitors); `ticket` the visitor's checked
    /// ticket, spent here once.
    Connect {
        participant: Participant,
        session: String,
        #[serde(default)]
        ticket: Option<TicketUse>,
        /// Until when the operator's session is valid as the worker just looked it up (0:
        /// unknown): the socket needs no lookup of its own before its first recheck.
        #[serde(default)]
        session_valid_until: u64,
    },
    /// Close every socket of these console sessions (digests) now: logout, a disabled
    /// operator, a new password, an expired session purged.
    Revoke { sessions: Vec<String> },
    /// Erase the conversation (data rights, retention): close its sockets and delete all of
    /// its storage. Answers 200 once gone (404: there was nothing).
    Erase,
    /// The visitor's reply by email (issue 20), their message under `client_id` (a digest of the
    /// mail's Message-ID: a redelivered mail is stored once). 200 stored (or already), 409 the
    /// conversation is closed, 429 over the visitor's rate or the conversation's cap.
    Emailed { client_id: String, text: String },
}

/// What became of a visitor's emailed reply in its conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emailed {
    Stored,
    Closed,
    Refused,
    Unknown,
}

/// A visitor's socket ticket, checked by the worker, to spend (`parley_core::keys::admit_ticket`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TicketUse {
    pub nonce: String,
    pub expires_at: u64,
}

pub struct ConversationStub(Stub);

impl ConversationStub {
    pub fn get(env: &Env, conversation_id: &str) -> Result<ConversationStub> {
        Ok(ConversationStub(stub(env, "CONVERSATIONS", conversation_id)?))
    }

    pub async fn init(&self, init: InitBody) -> Result<()> {
        let resp = send(&self.0, &ConversationRequest::Init { init: Box::new(init) }).await?;
        match resp.status_code() {
            200 => Ok(()),
            s => Err(worker::Error::RustError(format!("conversation init failed: {s}"))),
        }
    }

    /// Delivers a routing update; `false`: the conversation was never created.
    pub async fn route(&self, seq: u64, update: RouteUpdate) -> Result<bool> {
        let resp = send(&self.0, &ConversationRequest::Route { seq, update }).await?;
        match resp.status_code() {
            200 => Ok(true),
            404 => Ok(false),
            s => Err(worker::Error::RustError(format!("conversation answered {s}"))),
        }
    }

    /// The conversation's status (`open`, `closed`…), None when it is unknown.
    pub async fn status(&self) -> Result<Option<String>> {
        let mut resp = send(&self.0, &ConversationRequest::Status).await?;
        match resp.status_code() {
            200 => Ok(Some(resp.text().await?)),
            404 => Ok(None),
            s => Err(worker::Error::RustError(format!("conversation answered {s}"))),
        }
    }

    /// Closes the sockets of these console sessions (a conversation never created has none).
    pub async fn revoke(&self, sessions: Vec<String>) -> Result<()> {
        let resp = send(&self.0, &ConversationRequest::Revoke { sessions }).await?;
        match resp.status_code() {
            200 | 404 => Ok(()),
            s => Err(worker::Error::RustError(format!("conversation answered {s}"))),
        }
    }

    /// Erases the conversation's object: its sockets closed, all of its storage deleted (a
    /// conversation that is already gone is not an error).
    pub async fn erase(&self) -> Result<()> {
        let resp = send(&self.0, &ConversationRequest::Erase).await?;
        match resp.status_code() {
            200 | 404 => Ok(()),
            s => Err(worker::Error::RustError(format!("conversation erase answered {s}"))),
        }
    }

    /// Every message, in order (`None`: the conversation is unknown).
    pub async fn messages(&self) -> Result<Option<Vec<parley_protocol::protocol::MessageView>>> {
        let mut resp = send(&self.0, &ConversationRequest::Messages).await?;
        match resp.status_code() {
            200 => Ok(Some(resp.json().await?)),
            404 => Ok(None),
            s => Err(worker::Error::RustError(format!("conversation answered {s}"))),
        }
    }

    /// Takes the visitor's emailed reply into the conversation (see [`ConversationRequest::Emailed`]).
    pub async fn emailed(&self, client_id: String, text: String) -> Result<Emailed> {
        let resp = send(&self.0, &ConversationRequest::Emailed { client_id, text }).await?;
        Ok(match resp.status_code() {
            200 => Emailed::Stored,
            409 => Emailed::Closed,
            404 => Emailed::Unknown,
            _ => Emailed::Refused,
        })
    }

    /// Hands a WebSocket upgrade to the conversation (its answer is the client's).
    pub async fn connect(
        &self,
        participant: Participant,
        session: String,
        ticket: Option<parley_core::keys::Ticket>,
        session_valid_until: u64,
    ) -> Result<Response> {
        let ticket = ticket.map(|t| TicketUse { nonce: t.nonce, expires_at: t.expires_at });
        upgrade(&self.0, &ConversationRequest::Connect { participant, session, ticket, session_valid_until }).await
    }
}

// -- DispatchObject ---------------------------------------------------------------------------

/// What the worker asks the dispatch object. Internal: never built from a client frame.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    /// An operator's profile changed (or is needed): add or update it.
    Profile {
        profile: Profile,
    },
    /// Online/offline, join/leave, by the operator with this profile.
    Presence {
        profile: Profile,
        online: Option<bool>,
        join: Option<String>,
        leave: Option<String>,
    },
    /// The operator did something in the console.
    Touch {
        profile: Profile,
    },
    NewChat {
        conversation_id: ConversationId,
        channel: String,
        language: Option<String>,
    },
    /// From a conversation object.
    Notice {
        conversation_id: ConversationId,
        notice: Notice,
    },
    Transfer {
        conversation_id: ConversationId,
        to: OperatorId,
    },
    /// What the console shows, after adding or updating the asking operator's profile (so a
    /// first visit after an upgrade, or a new operator, is known) — one round trip per poll.
    View {
        profile: Profile,
    },
    Available {
        channel: String,
    },
}

/// The request a `DispatchObject` takes: a command for the account it serves.
#[derive(Serialize, Deserialize)]
pub struct DispatchRequest {
    pub account_id: AccountId,
    pub command: Command,
}

/// The dispatch object's answer to a refused command (status 409).
#[derive(Serialize, Deserialize)]
pub struct DispatchRefusal {
    pub error: DispatchError,
}

pub struct DispatchStub {
    stub: Stub,
    account_id: AccountId,
}

impl DispatchStub {
    pub fn get(env: &Env, account_id: &str) -> Result<DispatchStub> {
        Ok(DispatchStub { stub: stub(env, "DISPATCH", account_id)?, account_id: account_id.into() })
    }

    /// Runs `command`: `Ok(Ok(reply))`, or `Ok(Err(refusal))` (the object answered 409 with
    /// [`DispatchRefusal`]).
    pub async fn command<T: DeserializeOwned>(
        &self,
        command: Command,
    ) -> Result<std::result::Result<T, DispatchError>> {
        let request = DispatchRequest { account_id: self.account_id.clone(), command };
        let mut resp = send(&self.stub, &request).await?;
        match resp.status_code() {
            200 => Ok(Ok(resp.json().await?)),
            409 => {
                let DispatchRefusal { error } = resp.json().await?;
                Ok(Err(error))
            }
            s => Err(worker::Error::RustError(format!("dispatch object answered {s}"))),
        }
    }
}

// -- TallyObject ------------------------------------------------------------------------------

/// The request a `TallyObject` takes: a batch of events to count.
#[derive(Serialize, Deserialize)]
pub struct IngestBody {
    /// This object's name, `"{channel_id}/{shard}"` (the key of its flushes in D1).
    pub name: String,
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    /// Events from a widget (`chat` and `no_availability` are the edge's own).
    pub from_widget: bool,
    /// The flood doors the batch passes, counted by the shard before anything is written
    /// (each event counts one); none for the edge's own events.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub doors: Vec<(Door, String)>,
    pub events: Vec<Event>,
}

/// A shard's answer: the acknowledgement, or the flood door that refused the whole batch
/// (nothing of it was written).
#[derive(Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum IngestAnswer {
    Ack(EventsAck),
    Limited { door: Door, retry_after_ms: u64 },
}

pub struct TallyStub(Stub);

impl TallyStub {
    /// The shard named `name` (`"{channel_id}/{shard}"`).
    pub fn get(env: &Env, name: &str) -> Result<TallyStub> {
        Ok(TallyStub(stub(env, "TALLY", name)?))
    }

    pub async fn ingest(&self, batch: IngestBody) -> Result<IngestAnswer> {
        let mut resp = send(&self.0, &batch).await?;
        match resp.status_code() {
            200 => resp.json().await,
            s => Err(worker::Error::RustError(format!("tally shard {} answered {s}", batch.name))),
        }
    }
}

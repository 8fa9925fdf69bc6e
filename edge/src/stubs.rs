//! Typed stubs: the only way the worker and the objects call an object. Each object takes one
//! typed request enum, serialized once by [`crate::objects::kit::send`]; no caller builds a
//! request by hand.

use parley_core::conversation::Participant;
use parley_core::dispatch::RouteUpdate;
use parley_core::metrics::{Event, EventsAck};
use parley_protocol::protocol::VisitorInfo;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{Env, Response, Result, Stub};

use crate::dispatch::{Command, Refused};
use crate::objects::kit;

// -- ConversationObject -----------------------------------------------------------------------

/// What a conversation is created with.
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

/// The requests a `ConversationObject` takes.
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ConversationRequest {
    /// Create the conversation (a second call answers without changing anything).
    Init { init: InitBody },
    /// A routing update numbered by the dispatcher's outbox (applied once, in order).
    Route { seq: u64, update: RouteUpdate },
    /// The status as the object knows it.
    Status,
    /// A WebSocket upgrade of a participant the worker authenticated; `session` is an
    /// operator's console session digest (empty for visitors).
    Connect { participant: Participant, session: String },
}

pub struct ConversationStub(Stub);

impl ConversationStub {
    pub fn get(env: &Env, conversation_id: &str) -> Result<ConversationStub> {
        Ok(ConversationStub(kit::stub(env, "CONVERSATIONS", conversation_id)?))
    }

    pub async fn init(&self, init: InitBody) -> Result<()> {
        let resp = kit::send(&self.0, &ConversationRequest::Init { init }).await?;
        match resp.status_code() {
            200 => Ok(()),
            s => Err(worker::Error::RustError(format!("conversation init failed: {s}"))),
        }
    }

    /// Delivers a routing update; `false`: the conversation was never created.
    pub async fn route(&self, seq: u64, update: RouteUpdate) -> Result<bool> {
        let resp = kit::send(&self.0, &ConversationRequest::Route { seq, update }).await?;
        match resp.status_code() {
            200 => Ok(true),
            404 => Ok(false),
            s => Err(worker::Error::RustError(format!("conversation answered {s}"))),
        }
    }

    /// The conversation's status (`open`, `closed`…), None when it is unknown.
    pub async fn status(&self) -> Result<Option<String>> {
        let mut resp = kit::send(&self.0, &ConversationRequest::Status).await?;
        match resp.status_code() {
            200 => Ok(Some(resp.text().await?)),
            404 => Ok(None),
            s => Err(worker::Error::RustError(format!("conversation answered {s}"))),
        }
    }

    /// Hands a WebSocket upgrade to the conversation (its answer is the client's).
    pub async fn connect(&self, participant: Participant, session: String) -> Result<Response> {
        kit::upgrade(&self.0, &ConversationRequest::Connect { participant, session }).await
    }
}

// -- DispatchObject ---------------------------------------------------------------------------

/// The request a `DispatchObject` takes: a command for the account it serves.
#[derive(Serialize, Deserialize)]
pub struct DispatchRequest {
    pub account_id: String,
    pub command: Command,
}

pub struct DispatchStub {
    stub: Stub,
    account_id: String,
}

impl DispatchStub {
    pub fn get(env: &Env, account_id: &str) -> Result<DispatchStub> {
        Ok(DispatchStub { stub: kit::stub(env, "DISPATCH", account_id)?, account_id: account_id.to_owned() })
    }

    /// Runs `command`: `Ok(Ok(reply))`, or `Ok(Err(refusal))` (the object answered 409).
    pub async fn command<T: DeserializeOwned>(&self, command: Command) -> Result<std::result::Result<T, Refused>> {
        let request = DispatchRequest { account_id: self.account_id.clone(), command };
        let mut resp = kit::send(&self.stub, &request).await?;
        match resp.status_code() {
            200 => Ok(Ok(resp.json().await?)),
            409 => {
                #[derive(Deserialize)]
                struct E {
                    error: Refused,
                }
                Ok(Err(resp.json::<E>().await?.error))
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
    pub account_id: String,
    pub channel_id: String,
    /// Events from a widget (`chat` and `no_availability` are the edge's own).
    pub from_widget: bool,
    pub events: Vec<Event>,
}

pub struct TallyStub(Stub);

impl TallyStub {
    /// The shard named `name` (`"{channel_id}/{shard}"`).
    pub fn get(env: &Env, name: &str) -> Result<TallyStub> {
        Ok(TallyStub(kit::stub(env, "TALLY", name)?))
    }

    pub async fn ingest(&self, batch: IngestBody) -> Result<EventsAck> {
        let name = batch.name.clone();
        let mut resp = kit::send(&self.0, &batch).await?;
        match resp.status_code() {
            200 => resp.json().await,
            s => Err(worker::Error::RustError(format!("tally shard {name} answered {s}"))),
        }
    }
}

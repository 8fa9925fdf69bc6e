//! Calls from the worker (and from conversation objects) to the account's dispatch object,
//! which owns presence, queues and routing ([`crate::objects::dispatch`]), through its typed
//! stub ([`DispatchStub`]).

use parley_core::conversation::Notice;
use parley_core::dispatch::Profile;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use worker::{Env, Result};

use crate::db::OperatorRow;
use crate::stubs::DispatchStub;

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
        conversation_id: String,
        channel: String,
        language: Option<String>,
    },
    /// From a conversation object.
    Notice {
        conversation_id: String,
        notice: Notice,
    },
    Transfer {
        conversation_id: String,
        to: String,
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

/// A refusal from the object: `{"error":{"code","message"}}` with status 409.
#[derive(Debug, Serialize, Deserialize)]
pub struct Refused {
    pub code: String,
    pub message: String,
}

pub fn profile_of(op: &OperatorRow) -> Profile {
    Profile {
        id: op.id.clone(),
        name: op.chat_name.clone(),
        languages: op.language_list(),
        max_chats: op.max_chats,
        disabled: op.disabled != 0,
    }
}

/// Sends `cmd` to the account's object: `Ok(Ok(reply))`, or `Ok(Err(refusal))`.
pub async fn call<T: DeserializeOwned>(
    env: &Env,
    account_id: &str,
    cmd: &Command,
) -> Result<std::result::Result<T, Refused>> {
    DispatchStub::get(env, account_id)?.command(cmd.clone()).await
}

/// Tells the account's dispatch object that an operator's profile changed (chat name,
/// languages, max chats, disabled). Call after every change to an operator row.
pub async fn operator_changed(env: &Env, op: &OperatorRow) -> Result<()> {
    call::<serde_json::Value>(env, &op.account_id, &Command::Profile { profile: profile_of(op) })
        .await?
        .map_err(|r| worker::Error::RustError(r.message))?;
    Ok(())
}

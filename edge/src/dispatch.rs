//! Calls from the worker (and from conversation objects) to the account's dispatch object,
//! which owns presence, queues and routing ([`crate::objects::dispatch`]), through its typed
//! stub ([`DispatchStub`]).

use parley_core::dispatch::{DispatchError, Profile};
use serde::de::DeserializeOwned;
use worker::{Env, Result};

use crate::store::operators::OperatorRow;
use crate::stubs::{Command, DispatchStub};

pub fn profile_of(op: &OperatorRow) -> Profile {
    Profile {
        id: op.id.clone().into(),
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
) -> Result<std::result::Result<T, DispatchError>> {
    DispatchStub::get(env, account_id)?.command(cmd.clone()).await
}

/// Tells the account's dispatch object that an operator's profile changed (chat name,
/// languages, max chats, disabled). Call after every change to an operator row.
pub async fn operator_changed(env: &Env, op: &OperatorRow) -> Result<()> {
    call::<serde_json::Value>(env, &op.account_id, &Command::Profile { profile: profile_of(op) })
        .await?
        .map_err(|e| worker::Error::RustError(e.message().to_owned()))?;
    Ok(())
}

//! Calls from the worker (and from conversation objects) to the account's dispatch object,
//! which owns presence, queues and routing ([`crate::dispatch_object`]).

use parley_shared::conversation::Notice;
use parley_shared::dispatch::Profile;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use worker::{Env, Headers, Method, Request, RequestInit, Result, Stub};

use crate::db::OperatorRow;

/// Header carrying the account the object serves (set by the worker only).
pub const HDR_ACCOUNT: &str = "X-Parley-Account";

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
#[derive(Debug)]
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

fn stub(env: &Env, account_id: &str) -> Result<Stub> {
    env.durable_object("DISPATCH")?.id_from_name(account_id)?.get_stub()
}

/// Sends `cmd` to the account's object: `Ok(Ok(reply))`, or `Ok(Err(refusal))`.
pub async fn call<T: DeserializeOwned>(
    env: &Env,
    account_id: &str,
    cmd: &Command,
) -> Result<std::result::Result<T, Refused>> {
    let headers = Headers::new();
    headers.set(HDR_ACCOUNT, account_id)?;
    headers.set("Content-Type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(serde_json::to_string(cmd)?.into()));
    let mut resp =
        stub(env, account_id)?.fetch_with_request(Request::new_with_init("https://dispatch/command", &init)?).await?;
    match resp.status_code() {
        200 => Ok(Ok(resp.json().await?)),
        409 => {
            #[derive(Deserialize)]
            struct E {
                error: Inner,
            }
            #[derive(Deserialize)]
            struct Inner {
                code: String,
                message: String,
            }
            let e: E = resp.json().await?;
            Ok(Err(Refused { code: e.error.code, message: e.error.message }))
        }
        s => Err(worker::Error::RustError(format!("dispatch object answered {s}"))),
    }
}

/// Tells the account's dispatch object that an operator's profile changed (chat name,
/// languages, max chats, disabled). Call after every change to an operator row.
pub async fn operator_changed(env: &Env, op: &OperatorRow) -> Result<()> {
    call::<serde_json::Value>(env, &op.account_id, &Command::Profile { profile: profile_of(op) })
        .await?
        .map_err(|r| worker::Error::RustError(r.message))?;
    Ok(())
}

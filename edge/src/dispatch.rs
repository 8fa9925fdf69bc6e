//! Calls from the worker to the account's dispatch object (presence, queue, routing).

use worker::{Env, Result};

use crate::db::OperatorRow;

/// Tells the account's dispatch object that an operator's profile changed (chat name,
/// languages, max chats, disabled). Call after every change to an operator row.
pub async fn operator_changed(_env: &Env, _op: &OperatorRow) -> Result<()> {
    Ok(())
}

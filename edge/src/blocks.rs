//! Visitor blocks: an operator blocks a conversation's visitor with a required reason
//! (`POST /api/v1/console/conversations/:id/block`); admins list the account's active blocks
//! (`GET /api/v1/console/blocks`) and lift them (`POST /api/v1/console/blocks/:id/lift`).
//! A blocked visitor cannot start a chat anywhere in the account (`store::blocks::is_blocked`,
//! asked by `create_conversation`), and is never told the reason.
//!
//! Same rules as `admin.rs`: a live session (401 `unauthenticated`), changes from the console's
//! origin (403 `bad_origin`), admin-only routes 403 `forbidden`, and every query filtered by
//! the session's account, so another account's id answers 404 like a missing one.

use parley_protocol::admin::FieldError;
use parley_protocol::ids::is_valid_id;
use parley_protocol::outcomes::{block_reason, BlockList, BlockRequest, BlockView};
use worker::{Env, Request, Response, Result};

use crate::store;

use crate::http::{self, fail, invalid, invalid_with};
use crate::store::operators::OperatorRow;
use crate::util::{new_id, now};
use parley_protocol::error::ErrorCode;

/// Most blocks listed at once (newest first).
const LIST_LIMIT: u32 = 500;

/// Blocks the conversation's visitor. The chat itself goes on until an operator ends it.
pub(crate) async fn block(mut req: Request, env: &Env, me: &OperatorRow, conversation_id: &str) -> Result<Response> {
    let body: BlockRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let d1 = store::shard(env, &me.account_id).await?;
    let conv = crate::store::conversations::account_conversation(&d1, conversation_id, &me.account_id).await?;
    let Some(conv) = conv else {
        return fail(ErrorCode::UnknownConversation, "no such conversation");
    };
    let reason = match block_reason(&body.reason) {
        Ok(r) => r,
        Err(e) => return invalid(e),
    };
    let already = || FieldError::new("reason", "This visitor is already blocked.");
    if store::blocks::active_block(&d1, &me.account_id, &conv.visitor_id).await?.is_some() {
        return invalid_with(ErrorCode::AlreadyBlocked, already());
    }
    let id = new_id("blk");
    let t = now().0;
    let new = store::blocks::NewBlock {
        id: &id,
        account_id: &me.account_id,
        visitor_id: &conv.visitor_id,
        conversation_id: &conv.id,
        reason: &reason,
        blocked_by: &me.id,
        at: t,
    };
    if let Err(e) = store::blocks::insert(&d1, &new).await {
        // Lost a race (the partial UNIQUE index on active blocks): the same answer as above.
        if store::blocks::active_block(&d1, &me.account_id, &conv.visitor_id).await?.is_some() {
            return invalid_with(ErrorCode::AlreadyBlocked, already());
        }
        return Err(e);
    }
    let view = BlockView {
        id,
        visitor_id: conv.visitor_id.clone(),
        conversation_id: conv.id.clone(),
        reason,
        blocked_by: me.id.clone(),
        blocked_by_name: me.chat_name.clone(),
        created_at: t,
    };
    Ok(http::json(&view)?.with_status(201))
}

pub(crate) async fn list(env: &Env, me: &OperatorRow) -> Result<Response> {
    let mut rows = store::blocks::active(&store::shard(env, &me.account_id).await?, &me.account_id, LIST_LIMIT).await?;
    // The blockers' chat names are in the directory (the blocks on the account's shard).
    if !rows.is_empty() {
        let names = store::operators::chat_names(&store::directory(env)?, &me.account_id).await?;
        for row in &mut rows {
            row.blocked_by_name = names.get(&row.blocked_by).cloned().unwrap_or_default();
        }
    }
    http::json(&BlockList { blocks: rows.into_iter().map(store::blocks::BlockRow::into_api).collect() })
}

pub(crate) async fn lift(env: &Env, me: &OperatorRow, id: &str) -> Result<Response> {
    if !is_valid_id(id)
        || !store::blocks::lift(&store::shard(env, &me.account_id).await?, &me.account_id, id, &me.id, now().0).await?
    {
        return fail(ErrorCode::UnknownBlock, "no such block");
    }
    http::json(&serde_json::json!({ "ok": true }))
}

//! Visitor blocks: an operator blocks a conversation's visitor with a required reason
//! (`POST /api/v1/console/conversations/:id/block`); admins list the account's active blocks
//! (`GET /api/v1/console/blocks`) and lift them (`POST /api/v1/console/blocks/:id/lift`).
//! A blocked visitor cannot start a chat anywhere in the account ([`is_blocked`], asked by
//! `create_conversation`), and is never told the reason.
//!
//! Same rules as `admin.rs`: a live session (401 `unauthenticated`), changes from the console's
//! origin (403 `bad_origin`), admin-only routes 403 `forbidden`, and every query filtered by
//! the session's account, so another account's id answers 404 like a missing one.

use crate::store::{n, s};
use parley_shared::admin::FieldError;
use parley_shared::ids::is_valid_id;
use parley_shared::outcomes::{block_reason, BlockList, BlockRequest, BlockView};
use serde::Deserialize;
use worker::{D1Database, Env, Request, Response, Result};

use crate::http::{self, fail, invalid, invalid_with};
use crate::store::operators::OperatorRow;
use crate::util::{new_id, now};
use parley_shared::error::ErrorCode;

/// Most blocks listed at once (newest first).
const LIST_LIMIT: u32 = 500;

/// Blocks the conversation's visitor. The chat itself goes on until an operator ends it.
pub(crate) async fn block(mut req: Request, env: &Env, me: &OperatorRow, conversation_id: &str) -> Result<Response> {
    let body: BlockRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let d1 = crate::store::db(env)?;
    let conv = crate::store::conversations::account_conversation(&d1, conversation_id, &me.account_id).await?;
    let Some(conv) = conv else {
        return fail(ErrorCode::UnknownConversation, "no such conversation");
    };
    let reason = match block_reason(&body.reason) {
        Ok(r) => r,
        Err(e) => return invalid(e),
    };
    let already = || FieldError::new("reason", "This visitor is already blocked.");
    if active_block(&d1, &me.account_id, &conv.visitor_id).await?.is_some() {
        return invalid_with(ErrorCode::AlreadyBlocked, already());
    }
    let id = new_id("blk");
    let t = now().0;
    let insert = d1
        .prepare(
            "INSERT INTO visitor_blocks (id, account_id, visitor_id, conversation_id, reason, blocked_by, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(&[s(&id), s(&me.account_id), s(&conv.visitor_id), s(&conv.id), s(&reason), s(&me.id), n(t)])?
        .run()
        .await;
    if let Err(e) = insert {
        // Lost a race (the partial UNIQUE index on active blocks): the same answer as above.
        if active_block(&d1, &me.account_id, &conv.visitor_id).await?.is_some() {
            return invalid_with(ErrorCode::AlreadyBlocked, already());
        }
        return Err(e);
    }
    let view = BlockView {
        id,
        visitor_id: conv.visitor_id,
        conversation_id: conv.id,
        reason,
        blocked_by: me.id.clone(),
        blocked_by_name: me.chat_name.clone(),
        created_at: t,
    };
    Ok(http::json(&view)?.with_status(201))
}

pub(crate) async fn list(env: &Env, me: &OperatorRow) -> Result<Response> {
    let blocks: Vec<BlockView> = crate::store::db(env)?
        .prepare(
            "SELECT b.id, b.visitor_id, b.conversation_id, b.reason, b.blocked_by, \
             COALESCE(o.chat_name, '') AS blocked_by_name, b.created_at \
             FROM visitor_blocks b LEFT JOIN operators o ON o.id = b.blocked_by AND o.account_id = b.account_id \
             WHERE b.account_id = ?1 AND b.lifted_at IS NULL ORDER BY b.created_at DESC LIMIT ?2",
        )
        .bind(&[s(&me.account_id), n(u64::from(LIST_LIMIT))])?
        .all()
        .await?
        .results()?;
    http::json(&BlockList { blocks })
}

pub(crate) async fn lift(env: &Env, me: &OperatorRow, id: &str) -> Result<Response> {
    if !is_valid_id(id) {
        return fail(ErrorCode::UnknownBlock, "no such block");
    }
    let changed = crate::store::db(env)?
        .prepare(
            "UPDATE visitor_blocks SET lifted_at = ?1, lifted_by = ?2 \
             WHERE id = ?3 AND account_id = ?4 AND lifted_at IS NULL",
        )
        .bind(&[n(now().0), s(&me.id), s(id), s(&me.account_id)])?
        .run()
        .await?
        .meta()?
        .and_then(|m| m.changes)
        .unwrap_or(0);
    if changed == 0 {
        return fail(ErrorCode::UnknownBlock, "no such block");
    }
    http::json(&serde_json::json!({ "ok": true }))
}

#[derive(Deserialize)]
struct Found {
    id: String,
}

async fn active_block(d1: &D1Database, account_id: &str, visitor_id: &str) -> Result<Option<String>> {
    let row: Option<Found> = d1
        .prepare("SELECT id FROM visitor_blocks WHERE account_id = ?1 AND visitor_id = ?2 AND lifted_at IS NULL")
        .bind(&[s(account_id), s(visitor_id)])?
        .first(None)
        .await?;
    Ok(row.map(|r| r.id))
}

/// Whether the visitor has an active block in the account that owns the channel.
pub async fn is_blocked(d1: &D1Database, channel_id: &str, visitor_id: &str) -> Result<bool> {
    let row: Option<Found> = d1
        .prepare(
            "SELECT b.id FROM visitor_blocks b JOIN channels c ON c.account_id = b.account_id \
             WHERE c.id = ?1 AND b.visitor_id = ?2 AND b.lifted_at IS NULL LIMIT 1",
        )
        .bind(&[s(channel_id), s(visitor_id)])?
        .first(None)
        .await?;
    Ok(row.is_some())
}

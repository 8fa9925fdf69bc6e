//! Console sessions (`sessions`, keyed by the token's digest; the token itself is never stored).

use worker::{D1Database, Result};

use super::operators::OperatorRow;
use super::{n, s};

pub async fn insert_session(db: &D1Database, digest: &str, op: &OperatorRow, now: u64, expires_at: u64) -> Result<()> {
    db.prepare(
        "INSERT INTO sessions (token_digest, operator_id, account_id, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(&[s(digest), s(&op.id), s(&op.account_id), n(now), n(expires_at)])?
    .run()
    .await?;
    Ok(())
}

/// The operator behind a live session token digest (not expired, operator not disabled).
pub async fn session_operator(db: &D1Database, digest: &str, now: u64) -> Result<Option<OperatorRow>> {
    db.prepare(
        "SELECT o.id, o.account_id, o.username, o.chat_name, o.role, o.password_hash, o.disabled, o.languages, \
         o.max_chats \
         FROM sessions s JOIN operators o ON o.id = s.operator_id \
         WHERE s.token_digest = ?1 AND s.expires_at > ?2 AND o.disabled = 0 AND o.account_id = s.account_id",
    )
    .bind(&[s(digest), n(now)])?
    .first(None)
    .await
}

pub async fn delete_session(db: &D1Database, digest: &str) -> Result<()> {
    db.prepare("DELETE FROM sessions WHERE token_digest = ?1").bind(&[s(digest)])?.run().await?;
    Ok(())
}

/// Ends the operator's console sessions, but the one with digest `keep` (the caller's own).
pub async fn end_sessions(db: &D1Database, account_id: &str, operator_id: &str, keep: Option<&str>) -> Result<()> {
    db.prepare("DELETE FROM sessions WHERE operator_id = ?1 AND account_id = ?2 AND token_digest != ?3")
        .bind(&[s(operator_id), s(account_id), s(keep.unwrap_or(""))])?
        .run()
        .await?;
    Ok(())
}

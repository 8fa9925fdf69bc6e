//! Console sessions (`sessions`, keyed by the token's digest; the token itself is never stored),
//! the sockets they have open (`operator_sockets`) and login attempts (`login_attempts`). The
//! decisions (is a session live, is its activity worth writing, may an attempt go on) are
//! `parley_core::login`'s; these are the statements.

use super::Db;
use parley_core::login::SessionTimes;
use serde::Deserialize;
use worker::Result;

use super::operators::OperatorRow;
use super::{n, s};

pub async fn insert_session(db: &Db, digest: &str, op: &OperatorRow, now: u64, expires_at: u64) -> Result<()> {
    db.prepare(
        "INSERT INTO sessions (token_digest, operator_id, account_id, created_at, expires_at, last_seen_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
    )
    .bind(&[s(digest), s(&op.id), s(&op.account_id), n(now), n(expires_at)])?
    .run()
    .await?;
    Ok(())
}

/// The operator's columns and the session's times, in one row.
#[derive(Deserialize)]
struct SessionRow {
    id: String,
    account_id: String,
    username: String,
    chat_name: String,
    role: String,
    password_hash: String,
    disabled: u32,
    languages: String,
    max_chats: u32,
    created_at: u64,
    expires_at: u64,
    last_seen_at: u64,
}

/// A live session: its operator and until when it stays valid without further activity.
pub struct LiveSession {
    pub operator: OperatorRow,
    pub valid_until: u64,
}

/// The operator behind a live session token digest (not expired, not idle, operator not
/// disabled). A use is written as the session's last activity when
/// [`SessionTimes::should_touch`] says so (at most once a minute).
pub async fn session_operator(db: &Db, digest: &str, now: u64) -> Result<Option<LiveSession>> {
    let row: Option<SessionRow> = db
        .prepare(
            "SELECT o.id, o.account_id, o.username, o.chat_name, o.role, o.password_hash, o.disabled, o.languages, \
             o.max_chats, s.created_at, s.expires_at, s.last_seen_at \
             FROM sessions s JOIN operators o ON o.id = s.operator_id \
             WHERE s.token_digest = ?1 AND o.disabled = 0 AND o.account_id = s.account_id",
        )
        .bind(&[s(digest)])?
        .first(None)
        .await?;
    let Some(r) = row else { return Ok(None) };
    let mut times = SessionTimes { created_at: r.created_at, expires_at: r.expires_at, last_seen_at: r.last_seen_at };
    if !times.live(now) {
        return Ok(None);
    }
    if times.should_touch(now) {
        db.prepare("UPDATE sessions SET last_seen_at = ?2 WHERE token_digest = ?1 AND last_seen_at < ?2")
            .bind(&[s(digest), n(now)])?
            .run()
            .await?;
        times.last_seen_at = now;
    }
    let operator = OperatorRow {
        id: r.id,
        account_id: r.account_id,
        username: r.username,
        chat_name: r.chat_name,
        role: r.role,
        password_hash: r.password_hash,
        disabled: r.disabled,
        languages: r.languages,
        max_chats: r.max_chats,
    };
    Ok(Some(LiveSession { operator, valid_until: times.valid_until() }))
}

/// Whose session this is (live or not).
#[derive(Deserialize)]
pub struct SessionOwner {
    pub operator_id: String,
    pub account_id: String,
}

pub async fn session_owner(db: &Db, digest: &str) -> Result<Option<SessionOwner>> {
    db.prepare("SELECT operator_id, account_id FROM sessions WHERE token_digest = ?1")
        .bind(&[s(digest)])?
        .first(None)
        .await
}

pub async fn delete_session(db: &Db, digest: &str) -> Result<()> {
    db.prepare("DELETE FROM sessions WHERE token_digest = ?1").bind(&[s(digest)])?.run().await?;
    Ok(())
}

/// Ends the operator's console sessions, but the one with digest `keep` (the caller's own).
pub async fn end_sessions(db: &Db, account_id: &str, operator_id: &str, keep: Option<&str>) -> Result<()> {
    db.prepare("DELETE FROM sessions WHERE operator_id = ?1 AND account_id = ?2 AND token_digest != ?3")
        .bind(&[s(operator_id), s(account_id), s(keep.unwrap_or(""))])?
        .run()
        .await?;
    Ok(())
}

/// Deletes every session past its end or idle since `idle_cutoff` and login attempts at or
/// before `attempts_cutoff`; answers (and deletes) the socket rows of sessions that no longer
/// exist, to be revoked.
pub async fn purge_expired(db: &Db, now: u64, idle_cutoff: u64, attempts_cutoff: u64) -> Result<Vec<SocketRow>> {
    let results = db
        .batch(vec![
            db.prepare("DELETE FROM sessions WHERE expires_at <= ?1 OR MAX(last_seen_at, created_at) <= ?2")
                .bind(&[n(now), n(idle_cutoff)])?,
            db.prepare("DELETE FROM login_attempts WHERE at <= ?1").bind(&[n(attempts_cutoff)])?,
            db.prepare(
                "DELETE FROM operator_sockets WHERE NOT EXISTS \
                 (SELECT 1 FROM sessions s WHERE s.token_digest = operator_sockets.session_digest) \
                 RETURNING session_digest, conversation_id",
            ),
        ])
        .await?;
    results.get(2).map_or(Ok(Vec::new()), |r| r.results())
}

// -- the sockets a session has open -----------------------------------------------------------

/// Remembers that the session `digest` opened a socket in `conversation_id`.
pub async fn record_socket(
    db: &Db,
    digest: &str,
    conversation_id: &str,
    operator_id: &str,
    account_id: &str,
    now: u64,
) -> Result<()> {
    db.prepare(
        "INSERT INTO operator_sockets (session_digest, conversation_id, operator_id, account_id, opened_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (session_digest, conversation_id) DO NOTHING",
    )
    .bind(&[s(digest), s(conversation_id), s(operator_id), s(account_id), n(now)])?
    .run()
    .await?;
    Ok(())
}

/// The session `digest` has no socket left in `conversation_id`.
pub async fn forget_socket(db: &Db, digest: &str, conversation_id: &str) -> Result<()> {
    db.prepare("DELETE FROM operator_sockets WHERE session_digest = ?1 AND conversation_id = ?2")
        .bind(&[s(digest), s(conversation_id)])?
        .run()
        .await?;
    Ok(())
}

#[derive(Deserialize)]
pub struct SocketRow {
    pub session_digest: String,
    pub conversation_id: String,
}

/// The conversations the session `digest` has (or had) sockets in; the rows are deleted.
pub async fn take_session_sockets(db: &Db, digest: &str) -> Result<Vec<SocketRow>> {
    db.prepare("DELETE FROM operator_sockets WHERE session_digest = ?1 RETURNING session_digest, conversation_id")
        .bind(&[s(digest)])?
        .all()
        .await?
        .results()
}

/// The sockets of the operator's sessions but `keep` (the caller's own); the rows are deleted.
pub async fn take_operator_sockets(
    db: &Db,
    account_id: &str,
    operator_id: &str,
    keep: Option<&str>,
) -> Result<Vec<SocketRow>> {
    db.prepare(
        "DELETE FROM operator_sockets WHERE account_id = ?1 AND operator_id = ?2 AND session_digest != ?3 \
         RETURNING session_digest, conversation_id",
    )
    .bind(&[s(account_id), s(operator_id), s(keep.unwrap_or(""))])?
    .all()
    .await?
    .results()
}

// -- login attempts ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct At {
    at: u64,
}

/// Records one attempt (row id `id`) under each key and answers, per key, the times of its
/// attempts after `cutoff` (this one included). One batch: parallel attempts each see every
/// attempt recorded before them.
pub async fn record_attempt(db: &Db, id: &str, keys: &[&str], now: u64, cutoff: u64) -> Result<Vec<Vec<u64>>> {
    let mut batch = Vec::with_capacity(keys.len() * 2);
    for key in keys {
        batch.push(db.prepare("INSERT INTO login_attempts (id, key, at) VALUES (?1, ?2, ?3)").bind(&[
            s(&format!("{id}/{key}")),
            s(key),
            n(now),
        ])?);
    }
    for key in keys {
        batch.push(db.prepare("SELECT at FROM login_attempts WHERE key = ?1 AND at > ?2").bind(&[s(key), n(cutoff)])?);
    }
    let results = db.batch(batch).await?;
    results[keys.len()..].iter().map(|r| Ok(r.results::<At>()?.into_iter().map(|a| a.at).collect())).collect()
}

/// Forgets the attempt `id` under `key` (it was refused, or it succeeded).
pub async fn forget_attempt(db: &Db, id: &str, key: &str) -> Result<()> {
    db.prepare("DELETE FROM login_attempts WHERE id = ?1").bind(&[s(&format!("{id}/{key}"))])?.run().await?;
    Ok(())
}

/// Forgets every attempt under `key` (a username after a successful login).
pub async fn clear_attempts(db: &Db, key: &str) -> Result<()> {
    db.prepare("DELETE FROM login_attempts WHERE key = ?1").bind(&[s(key)])?.run().await?;
    Ok(())
}

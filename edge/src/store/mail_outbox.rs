//! The outbox of mails (migration 0013, on the account's shard): one row per mail and recipient,
//! keyed by its cause (`parley_mail::outbox::row_key`), so a repeated cause queues nothing; the
//! raw message is stored whole, the same bytes at every retry. Carried out by `crate::mail_out`.

use super::{changes, n, s, Shard};
use serde::Deserialize;
use worker::Result;

/// A mail to queue.
pub struct NewMail<'a> {
    pub key: &'a str,
    pub account_id: &'a str,
    pub recipient: &'a str,
    pub sender: &'a str,
    pub raw: &'a str,
    /// `queued` (sent at once by its caller, which holds it until `next_at`) or `limited`.
    pub state: &'a str,
    pub attempts: u32,
    pub next_at: u64,
    pub now: u64,
}

/// A queued mail, as a send needs it.
#[derive(Debug, Deserialize)]
pub struct OutRow {
    pub key: String,
    pub recipient: String,
    pub sender: String,
    pub raw: String,
    pub attempts: u32,
}

#[derive(Deserialize)]
struct Count {
    n: u32,
}

/// Mails queued for `recipient` (in any state) since `since`: the per-recipient limit's count.
pub async fn recent_for_recipient(db: &Shard, recipient: &str, since: u64) -> Result<u32> {
    let row: Option<Count> = db
        .prepare("SELECT COUNT(*) AS n FROM mail_outbox WHERE recipient = ?1 AND created_at >= ?2")
        .bind(&[s(recipient), n(since)])?
        .first(None)
        .await?;
    Ok(row.map_or(0, |r| r.n))
}

/// Queues a mail; false when its key is already there (a repeated cause: nothing queued).
pub async fn insert(db: &Shard, m: &NewMail<'_>) -> Result<bool> {
    let stmt = db
        .prepare(
            "INSERT INTO mail_outbox (key, account_id, recipient, sender, raw, state, attempts, next_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (key) DO NOTHING",
        )
        .bind(&[
            s(m.key),
            s(m.account_id),
            s(m.recipient),
            s(m.sender),
            s(m.raw),
            s(m.state),
            n(u64::from(m.attempts)),
            n(m.next_at),
            n(m.now),
        ])?;
    Ok(changes(stmt).await? > 0)
}

/// Mails due at `now` (queued, their time come), oldest first.
pub async fn due(db: &Shard, now: u64, limit: u32) -> Result<Vec<OutRow>> {
    db.prepare(
        "SELECT key, recipient, sender, raw, attempts FROM mail_outbox \
         WHERE state = 'queued' AND next_at <= ?1 ORDER BY next_at LIMIT ?2",
    )
    .bind(&[n(now), n(u64::from(limit))])?
    .all()
    .await?
    .results()
}

/// Takes a due mail for one send attempt (held until `lease_until`); false when another run
/// took it meanwhile or it is no longer queued.
pub async fn claim(db: &Shard, key: &str, now: u64, lease_until: u64) -> Result<bool> {
    let stmt = db
        .prepare(
            "UPDATE mail_outbox SET attempts = attempts + 1, next_at = ?3 \
             WHERE key = ?1 AND state = 'queued' AND next_at <= ?2",
        )
        .bind(&[s(key), n(now), n(lease_until)])?;
    Ok(changes(stmt).await? > 0)
}

/// The binding took the mail: sent, once.
pub async fn mark_sent(db: &Shard, key: &str, now: u64) -> Result<()> {
    db.prepare(
        "UPDATE mail_outbox SET state = 'sent', sent_at = ?2, last_error = '' WHERE key = ?1 AND state = 'queued'",
    )
    .bind(&[s(key), n(now)])?
    .run()
    .await?;
    Ok(())
}

/// A send failed: retried at `retry_at`, or given up (`None`).
pub async fn mark_failed(db: &Shard, key: &str, retry_at: Option<u64>, error: &str) -> Result<()> {
    let error: String = error.chars().take(500).collect();
    match retry_at {
        Some(at) => db
            .prepare("UPDATE mail_outbox SET next_at = ?2, last_error = ?3 WHERE key = ?1 AND state = 'queued'")
            .bind(&[s(key), n(at), s(&error)])?,
        None => db
            .prepare("UPDATE mail_outbox SET state = 'failed', last_error = ?2 WHERE key = ?1 AND state = 'queued'")
            .bind(&[s(key), s(&error)])?,
    }
    .run()
    .await?;
    Ok(())
}

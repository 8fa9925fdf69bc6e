//! `push_subscriptions` (directory): the browsers each operator asked to be notified in by Web
//! Push when their console is closed, with their choices (issue 20).

use serde::{Deserialize, Serialize};
use worker::Result;

use super::{n, s, Db};

/// One subscription as stored (the keys base64url, as the browser gave them).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SubscriptionRow {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub new_chats: u8,
    pub new_messages: u8,
    /// The console's language (`en`, `es`, …): the notifications' texts.
    pub lang: String,
}

/// Stores (or replaces: same endpoint) a subscription of the operator, then keeps only their
/// `keep` newest: one batch.
#[allow(clippy::too_many_arguments)]
pub async fn subscribe(
    db: &Db,
    account_id: &str,
    operator_id: &str,
    row: &SubscriptionRow,
    now: u64,
    keep: usize,
) -> Result<()> {
    db.batch(vec![
        db.prepare(
            "INSERT INTO push_subscriptions \
             (endpoint, account_id, operator_id, p256dh, auth, new_chats, new_messages, created_at, lang) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT (endpoint) DO UPDATE SET account_id = ?2, operator_id = ?3, p256dh = ?4, auth = ?5, \
             new_chats = ?6, new_messages = ?7, created_at = ?8, lang = ?9",
        )
        .bind(&[
            s(&row.endpoint),
            s(account_id),
            s(operator_id),
            s(&row.p256dh),
            s(&row.auth),
            n(u64::from(row.new_chats)),
            n(u64::from(row.new_messages)),
            n(now),
            s(&row.lang),
        ])?,
        db.prepare(
            "DELETE FROM push_subscriptions WHERE account_id = ?1 AND operator_id = ?2 AND endpoint NOT IN \
             (SELECT endpoint FROM push_subscriptions WHERE account_id = ?1 AND operator_id = ?2 \
             ORDER BY created_at DESC, endpoint LIMIT ?3)",
        )
        .bind(&[s(account_id), s(operator_id), n(keep as u64)])?,
    ])
    .await?;
    Ok(())
}

/// The operator's subscriptions, newest first.
pub async fn subscriptions(db: &Db, account_id: &str, operator_id: &str) -> Result<Vec<SubscriptionRow>> {
    db.prepare(
        "SELECT endpoint, p256dh, auth, new_chats, new_messages, lang FROM push_subscriptions \
         WHERE account_id = ?1 AND operator_id = ?2 ORDER BY created_at DESC, endpoint",
    )
    .bind(&[s(account_id), s(operator_id)])?
    .all()
    .await?
    .results()
}

/// The operator unsubscribed this browser: whether it was theirs.
pub async fn unsubscribe(db: &Db, account_id: &str, operator_id: &str, endpoint: &str) -> Result<bool> {
    let r = db
        .prepare("DELETE FROM push_subscriptions WHERE account_id = ?1 AND operator_id = ?2 AND endpoint = ?3")
        .bind(&[s(account_id), s(operator_id), s(endpoint)])?
        .run()
        .await?;
    Ok(r.meta()?.and_then(|m| m.changes).unwrap_or(0) > 0)
}

/// The push service said the subscription is gone (404, 410).
pub async fn forget(db: &Db, endpoint: &str) -> Result<()> {
    db.prepare("DELETE FROM push_subscriptions WHERE endpoint = ?1").bind(&[s(endpoint)])?.run().await?;
    Ok(())
}

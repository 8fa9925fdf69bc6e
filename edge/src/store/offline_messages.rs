//! Messages visitors leave when nobody is online.

use parley_shared::admin::{OfflineMessage, ValidOfflineMessage};
use worker::{D1Database, Result};

use super::{n, s};

pub struct NewOfflineMessage<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub channel_id: &'a str,
    pub visitor_id: &'a str,
    pub msg: &'a ValidOfflineMessage,
    pub now: u64,
}

pub async fn insert_offline_message(db: &D1Database, m: &NewOfflineMessage<'_>) -> Result<()> {
    db.prepare(
        "INSERT INTO offline_messages (id, account_id, channel_id, visitor_id, name, email, text, page_url, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .bind(&[
        s(m.id),
        s(m.account_id),
        s(m.channel_id),
        s(m.visitor_id),
        s(&m.msg.name),
        s(&m.msg.email),
        s(&m.msg.text),
        s(&m.msg.page_url),
        n(m.now),
    ])?
    .run()
    .await?;
    Ok(())
}

/// The account's offline messages, newest first.
pub async fn offline_messages(db: &D1Database, account_id: &str, limit: u32) -> Result<Vec<OfflineMessage>> {
    db.prepare(
        "SELECT m.id, m.channel_id, COALESCE(c.name, '') AS channel_name, m.visitor_id, m.name, m.email, m.text, \
         m.page_url, m.created_at FROM offline_messages m \
         LEFT JOIN channels c ON c.id = m.channel_id AND c.account_id = m.account_id \
         WHERE m.account_id = ?1 ORDER BY m.created_at DESC, m.id DESC LIMIT ?2",
    )
    .bind(&[s(account_id), n(u64::from(limit))])?
    .all()
    .await?
    .results()
}

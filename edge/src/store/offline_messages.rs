//! Messages visitors leave when nobody is online.

use super::Shard;
use parley_protocol::admin::{OfflineMessage, ValidOfflineMessage};
use worker::Result;

use serde::Deserialize;

use super::{n, s};

/// An `offline_messages` row; its channel's name comes from the directory ([`name_channels`]).
#[derive(Debug, Deserialize)]
pub struct OfflineMessageRow {
    pub id: String,
    pub channel_id: parley_protocol::ChannelId,
    pub channel_name: String,
    pub visitor_id: parley_protocol::VisitorId,
    pub name: String,
    pub email: String,
    pub text: String,
    pub page_url: String,
    pub created_at: u64,
}

impl OfflineMessageRow {
    pub fn into_api(self) -> OfflineMessage {
        OfflineMessage {
            id: self.id,
            channel_id: self.channel_id,
            channel_name: self.channel_name,
            visitor_id: self.visitor_id,
            name: self.name,
            email: self.email,
            text: self.text,
            page_url: self.page_url,
            created_at: self.created_at,
        }
    }
}

pub struct NewOfflineMessage<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub channel_id: &'a str,
    pub visitor_id: &'a str,
    pub msg: &'a ValidOfflineMessage,
    pub now: u64,
}

#[derive(Deserialize)]
struct IdRow {
    id: String,
}

/// The id of the visitor's message with this very text in the channel since `since`, if any
/// (the offline form's de-duplication).
pub async fn same_message_since(
    db: &Shard,
    channel_id: &str,
    visitor_id: &str,
    text: &str,
    since: u64,
) -> Result<Option<String>> {
    let row: Option<IdRow> = db
        .prepare(
            "SELECT id FROM offline_messages WHERE channel_id = ?1 AND visitor_id = ?2 AND created_at >= ?3 \
             AND text = ?4 ORDER BY created_at DESC LIMIT 1",
        )
        .bind(&[s(channel_id), s(visitor_id), n(since), s(text)])?
        .first(None)
        .await?;
    Ok(row.map(|r| r.id))
}

pub async fn insert_offline_message(db: &Shard, m: &NewOfflineMessage<'_>) -> Result<()> {
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

/// Gives each message its channel's name (`names`: the account's channels, from the
/// directory: the messages are on the account's shard).
pub fn name_channels(messages: &mut [OfflineMessage], names: &std::collections::HashMap<String, String>) {
    for m in messages {
        m.channel_name = names.get(m.channel_id.as_str()).cloned().unwrap_or_default();
    }
}

/// The account's offline messages, newest first (channel names empty: [`name_channels`]).
pub async fn offline_messages(db: &Shard, account_id: &str, limit: u32) -> Result<Vec<OfflineMessage>> {
    let rows: Vec<OfflineMessageRow> = db
        .prepare(
            "SELECT id, channel_id, '' AS channel_name, visitor_id, name, email, text, page_url, created_at \
             FROM offline_messages WHERE account_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2",
        )
        .bind(&[s(account_id), n(u64::from(limit))])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(OfflineMessageRow::into_api).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offline_message_row_maps_to_its_view() {
        let row: OfflineMessageRow = serde_json::from_value(serde_json::json!({
            "id": "om_1", "channel_id": "ch_1", "channel_name": "Shop", "visitor_id": "v_1", "name": "Ann",
            "email": "ann@shop.test", "text": "call me", "page_url": "https://shop.test/", "created_at": 9
        }))
        .unwrap();
        let m = row.into_api();
        assert_eq!((m.id.as_str(), m.channel_id.as_str(), m.channel_name.as_str()), ("om_1", "ch_1", "Shop"));
        assert_eq!((m.visitor_id.as_str(), m.name.as_str(), m.email.as_str()), ("v_1", "Ann", "ann@shop.test"));
        assert_eq!((m.text.as_str(), m.page_url.as_str(), m.created_at), ("call me", "https://shop.test/", 9));
    }
}

//! The directory (migration 0012, in `DB` only): which shard holds each account
//! (`account_shards`), who each conversation belongs to (`conversation_parties`), and the
//! anchor rows a shard's foreign keys point at.

use serde::Deserialize;
use worker::Result;

use super::{n, s, Db, Shard};

#[derive(Deserialize)]
struct ShardRow {
    shard: i64,
}

/// The shard number the directory gives `account_id` (unchecked), `None` without a row.
pub async fn shard_of(d1: &Db, account_id: &str) -> Result<Option<i64>> {
    let row: Option<ShardRow> = d1
        .prepare("SELECT shard FROM account_shards WHERE account_id = ?1")
        .bind(&[s(account_id)])?
        .first(None)
        .await?;
    Ok(row.map(|r| r.shard))
}

/// A channel's account and that account's shard number (`None` when it has no directory row).
#[derive(Deserialize)]
pub struct ChannelHome {
    pub account_id: String,
    pub shard: Option<i64>,
}

/// Where `channel_id`'s data lives, in one read; `None` for an unknown channel.
pub async fn channel_home(d1: &Db, channel_id: &str) -> Result<Option<ChannelHome>> {
    d1.prepare(
        "SELECT c.account_id AS account_id, d.shard AS shard FROM channels c \
         LEFT JOIN account_shards d ON d.account_id = c.account_id WHERE c.id = ?1",
    )
    .bind(&[s(channel_id)])?
    .first(None)
    .await
}

/// A conversation's account, channel and visitor.
#[derive(Deserialize)]
pub struct Parties {
    pub account_id: String,
    pub channel_id: String,
    pub visitor_id: String,
}

/// Who conversation `id` belongs to (one read of the directory).
pub async fn parties(d1: &Db, id: &str) -> Result<Option<Parties>> {
    d1.prepare("SELECT account_id, channel_id, visitor_id FROM conversation_parties WHERE id = ?1")
        .bind(&[s(id)])?
        .first(None)
        .await
}

/// Records a new conversation's parties (before its row is written on the account's shard;
/// a retried start writes the same row again).
pub async fn add_parties(
    d1: &Db,
    id: &str,
    account_id: &str,
    channel_id: &str,
    visitor_id: &str,
    at: u64,
) -> Result<()> {
    d1.prepare(
        "INSERT OR IGNORE INTO conversation_parties (id, account_id, channel_id, visitor_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(&[s(id), s(account_id), s(channel_id), s(visitor_id), n(at)])?
    .run()
    .await?;
    Ok(())
}

/// Forgets the parties of a visitor's conversations (its erasure), or of `ids` (retention:
/// those just purged from the shard), one statement.
pub async fn forget_parties(d1: &Db, account_id: &str, visitor_id: Option<&str>, ids: &[String]) -> Result<()> {
    let ids_json = serde_json::to_string(ids).map_err(|e| worker::Error::RustError(e.to_string()))?;
    d1.prepare(
        "DELETE FROM conversation_parties WHERE account_id = ?1 \
         AND ((?2 IS NOT NULL AND visitor_id = ?2) OR id IN (SELECT value FROM json_each(?3)))",
    )
    .bind(&[s(account_id), visitor_id.map_or(wasm_bindgen::JsValue::NULL, s), s(&ids_json)])?
    .run()
    .await?;
    Ok(())
}

/// On a shard other than the directory's, the rows its foreign keys point at
/// (`conversations`, `offline_messages` → `accounts`, `channels`): the account's and its
/// channel's ids, never read there. No-op on shard 0, which holds the real rows. Written before
/// the directory row that makes the channel usable, so a shard never misses its anchor.
pub async fn anchor(shard: &Shard, account_id: &str, channel_id: Option<&str>, at: u64) -> Result<()> {
    if shard.index() == 0 {
        return Ok(());
    }
    let mut batch = vec![shard
        .prepare("INSERT OR IGNORE INTO accounts (id, name, created_at) VALUES (?1, '', ?2)")
        .bind(&[s(account_id), n(at)])?];
    if let Some(channel_id) = channel_id {
        batch.push(
            shard
                .prepare("INSERT OR IGNORE INTO channels (id, account_id, name, created_at) VALUES (?1, ?2, '', ?3)")
                .bind(&[s(channel_id), s(account_id), n(at)])?,
        );
    }
    shard.batch(batch).await?;
    Ok(())
}

//! Data rights (issue 18): every statement of a visitor's erasure and export and of the
//! retention job — the visitor's rows in `conversations`, `messages`, `conversation_events`,
//! `conversation_goals`, `offline_messages`, `identified_visitors` and `visitor_blocks`, and each
//! account's `retention_days`. Aggregate tallies (`hourly_tallies`) hold no visitor and stay.

use std::collections::BTreeMap;

use super::{Db, Shard};
use parley_protocol::admin::OfflineMessage;
use parley_protocol::api::ConversationEvent;
use parley_protocol::data_rights::{ExportBlock, ExportIdentity, ExportMessage};
use parley_protocol::limits::RETENTION_DAYS;
use parley_protocol::outcomes::ReachedGoal;
use serde::Deserialize;
use worker::{D1PreparedStatement, Result};

use super::offline_messages::OfflineMessageRow;
use super::{n, s};

/// How many rows each statement of a batch changed.
async fn batch_changes(d1: &Shard, stmts: Vec<D1PreparedStatement>) -> Result<Vec<u32>> {
    let results = d1.batch(stmts).await?;
    results.iter().map(|r| Ok(r.meta()?.and_then(|m| m.changes).unwrap_or(0) as u32)).collect()
}

/// A conversation as erasure and retention see it: its id and whether it is closed.
#[derive(Debug, Deserialize)]
pub struct ConversationRef {
    pub id: String,
    pub status: String,
}

/// The visitor's conversations in the account.
pub async fn visitor_conversations(d1: &Shard, account_id: &str, visitor_id: &str) -> Result<Vec<ConversationRef>> {
    d1.prepare("SELECT id, status FROM conversations WHERE account_id = ?1 AND visitor_id = ?2 ORDER BY created_at, id")
        .bind(&[s(account_id), s(visitor_id)])?
        .all()
        .await?
        .results()
}

/// What one erasure removed from D1 (per table).
pub struct Erased {
    pub conversations: u32,
    pub offline_messages: u32,
    pub identities: u32,
    pub blocks: u32,
}

/// Removes every D1 row naming the visitor in the account, in one batch (all or nothing).
pub async fn erase_visitor(d1: &Shard, account_id: &str, visitor_id: &str) -> Result<Erased> {
    const MINE: &str = "SELECT id FROM conversations WHERE account_id = ?1 AND visitor_id = ?2";
    let bind = |sql: String| d1.prepare(sql).bind(&[s(account_id), s(visitor_id)]);
    let stmts = vec![
        bind(format!("DELETE FROM messages WHERE conversation_id IN ({MINE})"))?,
        bind(format!("DELETE FROM conversation_events WHERE conversation_id IN ({MINE})"))?,
        bind(format!("DELETE FROM conversation_goals WHERE conversation_id IN ({MINE})"))?,
        bind("DELETE FROM conversations WHERE account_id = ?1 AND visitor_id = ?2".to_owned())?,
        bind("DELETE FROM offline_messages WHERE account_id = ?1 AND visitor_id = ?2".to_owned())?,
        bind("DELETE FROM identified_visitors WHERE account_id = ?1 AND visitor_id = ?2".to_owned())?,
        bind("DELETE FROM visitor_blocks WHERE account_id = ?1 AND visitor_id = ?2".to_owned())?,
    ];
    let c = batch_changes(d1, stmts).await?;
    Ok(Erased { conversations: c[3], offline_messages: c[4], identities: c[5], blocks: c[6] })
}

/// Removes the visitor's first `limit` conversations in [`visitor_conversations`]' order (with
/// their messages, events and goals) from D1, in one batch of four statements whatever `limit`;
/// answers how many conversations went.
pub async fn erase_visitor_conversations(d1: &Shard, account_id: &str, visitor_id: &str, limit: u32) -> Result<u32> {
    const FIRST: &str = "SELECT id FROM conversations WHERE account_id = ?1 AND visitor_id = ?2 \
                         ORDER BY created_at, id LIMIT ?3";
    let bind = |sql: String| d1.prepare(sql).bind(&[s(account_id), s(visitor_id), n(u64::from(limit))]);
    let stmts = vec![
        bind(format!("DELETE FROM messages WHERE conversation_id IN ({FIRST})"))?,
        bind(format!("DELETE FROM conversation_events WHERE conversation_id IN ({FIRST})"))?,
        bind(format!("DELETE FROM conversation_goals WHERE conversation_id IN ({FIRST})"))?,
        bind(format!("DELETE FROM conversations WHERE id IN ({FIRST})"))?,
    ];
    Ok(batch_changes(d1, stmts).await?[3])
}

/// Removes conversations (with their messages, events and goals) from D1, in one batch.
pub async fn delete_conversations(d1: &Shard, account_id: &str, ids: &[String]) -> Result<u32> {
    let mut stmts = Vec::with_capacity(ids.len() * 4);
    for id in ids {
        for sql in [
            "DELETE FROM messages WHERE conversation_id = ?1 AND account_id = ?2",
            "DELETE FROM conversation_events WHERE conversation_id = ?1 \
             AND EXISTS (SELECT 1 FROM conversations WHERE id = ?1 AND account_id = ?2)",
            "DELETE FROM conversation_goals WHERE conversation_id = ?1 \
             AND EXISTS (SELECT 1 FROM conversations WHERE id = ?1 AND account_id = ?2)",
            "DELETE FROM conversations WHERE id = ?1 AND account_id = ?2",
        ] {
            stmts.push(d1.prepare(sql).bind(&[s(id), s(account_id)])?);
        }
    }
    if stmts.is_empty() {
        return Ok(0);
    }
    Ok(batch_changes(d1, stmts).await?.iter().skip(3).step_by(4).sum())
}

// -- export -----------------------------------------------------------------------------------

/// An `identified_visitors` row.
#[derive(Debug, Deserialize)]
pub struct IdentityRow {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub updated_at: u64,
}

impl IdentityRow {
    pub fn into_api(self) -> ExportIdentity {
        ExportIdentity { user_id: self.user_id, name: self.name, email: self.email, updated_at: self.updated_at }
    }
}

pub async fn identity(d1: &Shard, account_id: &str, visitor_id: &str) -> Result<Option<ExportIdentity>> {
    let row: Option<IdentityRow> = d1
        .prepare(
            "SELECT user_id, name, email, updated_at FROM identified_visitors WHERE account_id = ?1 AND visitor_id = ?2",
        )
        .bind(&[s(account_id), s(visitor_id)])?
        .first(None)
        .await?;
    Ok(row.map(IdentityRow::into_api))
}

/// A `messages` row of the D1 copy.
#[derive(Debug, Deserialize)]
pub struct MessageRow {
    pub seq: u64,
    pub role: String,
    pub author_name: String,
    pub text: String,
    pub at: u64,
}

impl MessageRow {
    pub fn into_api(self) -> ExportMessage {
        ExportMessage { seq: self.seq, role: self.role, author_name: self.author_name, text: self.text, at: self.at }
    }
}

/// A `messages` row with its conversation.
#[derive(Debug, Deserialize)]
struct KeyedMessageRow {
    conversation_id: String,
    seq: u64,
    role: String,
    author_name: String,
    text: String,
    at: u64,
}

/// A `conversation_events` row with its conversation.
#[derive(Debug, Deserialize)]
struct KeyedEventRow {
    conversation_id: String,
    seq: u64,
    at: u64,
    kind: String,
    detail: String,
}

/// A `conversation_goals` row with its conversation.
#[derive(Debug, Deserialize)]
struct KeyedGoalRow {
    conversation_id: String,
    goal_id: String,
    name: String,
    value: f64,
    reached_at: u64,
}

/// The child rows of every conversation of the visitor, by conversation: one query per table
/// whatever the number of conversations (a request's D1 queries are capped).
#[derive(Default)]
pub struct VisitorChildren {
    pub messages: BTreeMap<String, Vec<ExportMessage>>,
    pub events: BTreeMap<String, Vec<ConversationEvent>>,
    pub goals: BTreeMap<String, Vec<ReachedGoal>>,
}

/// [`VisitorChildren`] of the visitor in the account (transcripts in order, state changes and
/// goals as the console reads them), in three queries.
pub async fn visitor_children(d1: &Shard, account_id: &str, visitor_id: &str) -> Result<VisitorChildren> {
    const MINE: &str = "SELECT id FROM conversations WHERE account_id = ?1 AND visitor_id = ?2";
    let read = |sql: String| d1.prepare(sql).bind(&[s(account_id), s(visitor_id)]);
    let mut out = VisitorChildren::default();
    let rows: Vec<KeyedMessageRow> = read(format!(
        "SELECT conversation_id, seq, role, author_name, text, at FROM messages \
         WHERE account_id = ?1 AND conversation_id IN ({MINE}) ORDER BY conversation_id, seq"
    ))?
    .all()
    .await?
    .results()?;
    for r in rows {
        let row = MessageRow { seq: r.seq, role: r.role, author_name: r.author_name, text: r.text, at: r.at };
        out.messages.entry(r.conversation_id).or_default().push(row.into_api());
    }
    let rows: Vec<KeyedEventRow> = read(format!(
        "SELECT conversation_id, seq, at, kind, detail FROM conversation_events \
         WHERE conversation_id IN ({MINE}) ORDER BY conversation_id, seq"
    ))?
    .all()
    .await?
    .results()?;
    for r in rows {
        let row = super::conversations::EventReadRow { seq: r.seq, at: r.at, kind: r.kind, detail: r.detail };
        out.events.entry(r.conversation_id).or_default().push(row.into_api());
    }
    let rows: Vec<KeyedGoalRow> = read(format!(
        "SELECT conversation_id, goal_id, name, value, reached_at FROM conversation_goals \
         WHERE conversation_id IN ({MINE}) ORDER BY conversation_id, reached_at, goal_id"
    ))?
    .all()
    .await?
    .results()?;
    for r in rows {
        let row = super::outcomes::ReachedGoalRow {
            goal_id: r.goal_id,
            name: r.name,
            value: r.value,
            reached_at: r.reached_at,
        };
        out.goals.entry(r.conversation_id).or_default().push(row.into_api());
    }
    Ok(out)
}

/// The visitor's offline messages, oldest first (channel names empty:
/// [`super::offline_messages::name_channels`]).
pub async fn offline_messages(d1: &Shard, account_id: &str, visitor_id: &str) -> Result<Vec<OfflineMessage>> {
    let rows: Vec<OfflineMessageRow> = d1
        .prepare(
            "SELECT id, channel_id, '' AS channel_name, visitor_id, name, email, text, page_url, created_at \
             FROM offline_messages WHERE account_id = ?1 AND visitor_id = ?2 ORDER BY created_at, id",
        )
        .bind(&[s(account_id), s(visitor_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(OfflineMessageRow::into_api).collect())
}

/// A `visitor_blocks` row naming the visitor.
#[derive(Debug, Deserialize)]
pub struct BlockRow {
    pub id: String,
    pub conversation_id: parley_protocol::ConversationId,
    pub reason: String,
    pub created_at: u64,
    pub lifted_at: Option<u64>,
}

impl BlockRow {
    pub fn into_api(self) -> ExportBlock {
        ExportBlock {
            id: self.id,
            conversation_id: self.conversation_id,
            reason: self.reason,
            created_at: self.created_at,
            lifted_at: self.lifted_at,
        }
    }
}

pub async fn blocks(d1: &Shard, account_id: &str, visitor_id: &str) -> Result<Vec<ExportBlock>> {
    let rows: Vec<BlockRow> = d1
        .prepare(
            "SELECT id, conversation_id, reason, created_at, lifted_at FROM visitor_blocks \
             WHERE account_id = ?1 AND visitor_id = ?2 ORDER BY created_at, id",
        )
        .bind(&[s(account_id), s(visitor_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(BlockRow::into_api).collect())
}

// -- retention --------------------------------------------------------------------------------

/// An account and its retention period.
#[derive(Debug, Deserialize)]
pub struct RetentionRow {
    pub id: String,
    pub retention_days: Option<u32>,
    /// Its shard (`account_shards`), read with it by the retention job.
    #[serde(default)]
    pub shard: Option<i64>,
}

impl RetentionRow {
    /// The period in days (the default when the row has none).
    pub fn days(&self) -> u32 {
        self.retention_days.unwrap_or(RETENTION_DAYS)
    }
}

pub async fn retention(d1: &Db, account_id: &str) -> Result<Option<RetentionRow>> {
    d1.prepare("SELECT id, retention_days FROM accounts WHERE id = ?1").bind(&[s(account_id)])?.first(None).await
}

pub async fn set_retention(d1: &Db, account_id: &str, days: u32) -> Result<()> {
    d1.prepare("UPDATE accounts SET retention_days = ?2 WHERE id = ?1")
        .bind(&[s(account_id), n(u64::from(days))])?
        .run()
        .await?;
    Ok(())
}

/// Every account with its period and its shard (the retention job's list, one query).
pub async fn retentions(d1: &Db) -> Result<Vec<RetentionRow>> {
    d1.prepare(
        "SELECT a.id AS id, a.retention_days AS retention_days, d.shard AS shard FROM accounts a \
         LEFT JOIN account_shards d ON d.account_id = a.id ORDER BY a.id",
    )
    .all()
    .await?
    .results()
}

/// Up to `limit` of the account's closed conversations closed before `cutoff` (ms).
pub async fn expired_conversations(d1: &Shard, account_id: &str, cutoff: u64, limit: u32) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let rows: Vec<Id> = d1
        .prepare(
            "SELECT id FROM conversations WHERE account_id = ?1 AND status = 'closed' \
             AND COALESCE(closed_at, updated_at) < ?2 ORDER BY closed_at LIMIT ?3",
        )
        .bind(&[s(account_id), n(cutoff), n(u64::from(limit))])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Removes the account's offline messages left before `cutoff` (ms); how many.
pub async fn purge_offline_messages(d1: &Shard, account_id: &str, cutoff: u64) -> Result<u32> {
    let stmt = d1
        .prepare("DELETE FROM offline_messages WHERE account_id = ?1 AND created_at < ?2")
        .bind(&[s(account_id), n(cutoff)])?;
    Ok(super::changes(stmt).await? as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_rows_map_to_their_views() {
        let m: MessageRow = serde_json::from_value(serde_json::json!({
            "seq": 2, "role": "visitor", "author_name": "Ann", "text": "=1+1", "at": 9
        }))
        .unwrap();
        assert_eq!(
            m.into_api(),
            ExportMessage { seq: 2, role: "visitor".into(), author_name: "Ann".into(), text: "=1+1".into(), at: 9 }
        );
        let b: BlockRow = serde_json::from_value(serde_json::json!({
            "id": "b_1", "conversation_id": "c_1", "reason": "spam", "created_at": 5, "lifted_at": null
        }))
        .unwrap();
        let b = b.into_api();
        assert_eq!((b.id.as_str(), b.conversation_id.as_str(), b.lifted_at), ("b_1", "c_1", None));
        let i: IdentityRow = serde_json::from_value(serde_json::json!({
            "user_id": "u_7", "name": "Ann", "email": "ann@shop.test", "updated_at": 3
        }))
        .unwrap();
        assert_eq!(i.into_api().email, "ann@shop.test");
    }

    #[test]
    fn an_account_without_a_period_keeps_the_default() {
        let r: RetentionRow = serde_json::from_value(serde_json::json!({"id": "a_1", "retention_days": null})).unwrap();
        assert_eq!(r.days(), 365);
        let r: RetentionRow = serde_json::from_value(serde_json::json!({"id": "a_1", "retention_days": 30})).unwrap();
        assert_eq!(r.days(), 30);
    }
}

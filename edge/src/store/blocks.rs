//! Visitor blocks (`visitor_blocks`): at most one active block per visitor and account (a
//! partial UNIQUE index), lifted rather than deleted.

use super::Shard;
use parley_protocol::outcomes::BlockView;
use serde::Deserialize;
use worker::Result;

use super::{changes, n, s};

/// A new block.
pub struct NewBlock<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub visitor_id: &'a str,
    pub conversation_id: &'a str,
    pub reason: &'a str,
    pub blocked_by: &'a str,
    pub at: u64,
}

/// Stores the block (an error when the visitor already has an active one: the unique index).
pub async fn insert(d1: &Shard, b: &NewBlock<'_>) -> Result<()> {
    d1.prepare(
        "INSERT INTO visitor_blocks (id, account_id, visitor_id, conversation_id, reason, blocked_by, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(&[s(b.id), s(b.account_id), s(b.visitor_id), s(b.conversation_id), s(b.reason), s(b.blocked_by), n(b.at)])?
    .run()
    .await?;
    Ok(())
}

/// A `visitor_blocks` row; the blocking operator's chat name comes from the directory
/// (`blocked_by_name`, filled by the caller: the operators are not on the account's shard).
#[derive(Debug, Deserialize)]
pub struct BlockRow {
    pub id: String,
    pub visitor_id: parley_protocol::VisitorId,
    pub conversation_id: parley_protocol::ConversationId,
    pub reason: String,
    pub blocked_by: String,
    pub blocked_by_name: String,
    pub created_at: u64,
}

impl BlockRow {
    pub fn into_api(self) -> BlockView {
        BlockView {
            id: self.id,
            visitor_id: self.visitor_id,
            conversation_id: self.conversation_id,
            reason: self.reason,
            blocked_by: self.blocked_by,
            blocked_by_name: self.blocked_by_name,
            created_at: self.created_at,
        }
    }
}

/// The account's active blocks, newest first.
pub async fn active(d1: &Shard, account_id: &str, limit: u32) -> Result<Vec<BlockRow>> {
    d1.prepare(
        "SELECT b.id, b.visitor_id, b.conversation_id, b.reason, b.blocked_by, \
         '' AS blocked_by_name, b.created_at FROM visitor_blocks b \
         WHERE b.account_id = ?1 AND b.lifted_at IS NULL ORDER BY b.created_at DESC LIMIT ?2",
    )
    .bind(&[s(account_id), n(u64::from(limit))])?
    .all()
    .await?
    .results()
}

/// Lifts the account's active block `id`; false when there is none.
pub async fn lift(d1: &Shard, account_id: &str, id: &str, by: &str, at: u64) -> Result<bool> {
    let stmt = d1
        .prepare(
            "UPDATE visitor_blocks SET lifted_at = ?1, lifted_by = ?2 \
             WHERE id = ?3 AND account_id = ?4 AND lifted_at IS NULL",
        )
        .bind(&[n(at), s(by), s(id), s(account_id)])?;
    Ok(changes(stmt).await? > 0)
}

#[derive(Deserialize)]
struct Found {
    id: String,
}

/// The visitor's active block in the account, if any.
pub async fn active_block(d1: &Shard, account_id: &str, visitor_id: &str) -> Result<Option<String>> {
    let row: Option<Found> = d1
        .prepare("SELECT id FROM visitor_blocks WHERE account_id = ?1 AND visitor_id = ?2 AND lifted_at IS NULL")
        .bind(&[s(account_id), s(visitor_id)])?
        .first(None)
        .await?;
    Ok(row.map(|r| r.id))
}

/// Whether the visitor has an active block in the account (the channel's owner).
pub async fn is_blocked(d1: &Shard, account_id: &str, visitor_id: &str) -> Result<bool> {
    Ok(active_block(d1, account_id, visitor_id).await?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_row_maps_to_its_view() {
        let row: BlockRow = serde_json::from_value(serde_json::json!({
            "id": "blk_1", "visitor_id": "v_1", "conversation_id": "c_1", "reason": "spam",
            "blocked_by": "op_1", "blocked_by_name": "Sam", "created_at": 42
        }))
        .unwrap();
        let v = row.into_api();
        assert_eq!(
            (v.id.as_str(), v.visitor_id.as_str(), v.conversation_id.as_str(), v.reason.as_str()),
            ("blk_1", "v_1", "c_1", "spam")
        );
        assert_eq!((v.blocked_by.as_str(), v.blocked_by_name.as_str(), v.created_at), ("op_1", "Sam", 42));
    }

    #[test]
    fn a_block_row_yields_typed_ids_and_the_same_json() {
        let json = serde_json::json!({
            "id": "blk_1", "visitor_id": "v_1", "conversation_id": "c_1", "reason": "",
            "blocked_by": "op_1", "blocked_by_name": "", "created_at": 1
        });
        let row: BlockRow = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(row.visitor_id, parley_protocol::VisitorId::from("v_1"));
        assert_eq!(row.conversation_id, parley_protocol::ConversationId::from("c_1"));
        assert_eq!(serde_json::to_value(row.into_api()).unwrap(), json, "ids stay bare strings on the wire");
    }
}

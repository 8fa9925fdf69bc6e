//! Names kept for the report handlers (`reports.rs`, `report_links.rs`, `ratings.rs`) until the
//! reports branch moves their statements into `store/`: no statement lives here.

use parley_shared::api::ConversationSummary;
use worker::{D1Database, Result};

pub use crate::store::conversations::CONVERSATION_COLS;
pub use crate::store::db;
pub use crate::store::operators::OperatorRow;

/// The account's conversation `id` as the API shows it (`None` when invalid or foreign).
pub async fn account_conversation(db: &D1Database, id: &str, account_id: &str) -> Result<Option<ConversationSummary>> {
    match crate::store::conversations::account_conversation(db, id, account_id).await? {
        Some(row) => Ok(Some(row.into_api()?)),
        None => Ok(None),
    }
}

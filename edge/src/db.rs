//! Names kept for the report handlers (`reports.rs`, `report_links.rs`, `ratings.rs`) until the
//! reports branch moves their statements into `store/`: no statement lives here.

pub use crate::store::conversations::{account_conversation, CONVERSATION_COLS};
pub use crate::store::db;
pub use crate::store::operators::OperatorRow;

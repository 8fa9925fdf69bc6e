//! Operators' activity intervals (`activity_intervals`), written by the dispatcher's outbox.

use super::Shard;
use wasm_bindgen::JsValue;
use worker::Result;

use super::{n, s};

/// Stores an activity interval, or its end (a retried copy changes nothing).
pub async fn upsert_interval(
    db: &Shard,
    activity_id: &str,
    account_id: &str,
    operator_id: &str,
    state: &str,
    start_at: u64,
    end_at: Option<u64>,
) -> Result<()> {
    db.prepare(
        "INSERT INTO activity_intervals (activity_id, account_id, operator_id, state, start_at, end_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (activity_id) DO UPDATE SET end_at = excluded.end_at",
    )
    .bind(&[s(activity_id), s(account_id), s(operator_id), s(state), n(start_at), end_at.map_or(JsValue::NULL, n)])?
    .run()
    .await?;
    Ok(())
}

//! The counters of the public doors' fixed windows (`rate_windows`, migration 0010); what a
//! count means is decided by `parley_core::throttle`.

use super::Db;
use serde::Deserialize;
use worker::Result;

use super::{n, s};

#[derive(Deserialize)]
struct Hits {
    hits: u64,
}

/// Counts a request of `weight` under each `(key, window start)` and returns each count, this
/// request included, in order. A key's rows of earlier windows are deleted in the same batch.
pub async fn count(db: &Db, keys: &[(String, u64)], weight: u64) -> Result<Vec<u64>> {
    let mut batch = Vec::with_capacity(keys.len() * 2);
    for (key, window) in keys {
        batch.push(db.prepare("DELETE FROM rate_windows WHERE key = ?1 AND window < ?2").bind(&[s(key), n(*window)])?);
        batch.push(
            db.prepare(
                "INSERT INTO rate_windows (key, window, hits) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (key, window) DO UPDATE SET hits = hits + ?3 RETURNING hits",
            )
            .bind(&[s(key), n(*window), n(weight)])?,
        );
    }
    let results = db.batch(batch).await?;
    let mut counts = Vec::with_capacity(keys.len());
    for r in results.into_iter().skip(1).step_by(2) {
        let rows: Vec<Hits> = r.results()?;
        counts.push(rows.first().map_or(weight, |h| h.hits));
    }
    Ok(counts)
}

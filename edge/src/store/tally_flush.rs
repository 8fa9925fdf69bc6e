//! The D1 statements of a tally shard's flush (`hourly_tallies`, `tally_flushes`).

use super::Shard as D1Shard;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Result;

/// One combined count of a flush (also the row shape of the shard's `flush` table).
#[derive(Deserialize)]
pub struct FlushRow {
    pub entry_point: String,
    pub hour: u64,
    pub metric: String,
    pub n: u64,
}

/// The shard a flush comes from: its name keys the flushes in D1.
pub struct Shard {
    pub name: String,
    pub account_id: String,
    pub channel_id: String,
}

/// Writes flush `seq` in ONE batch (one transaction): per row an upsert guarded by
/// `NOT EXISTS tally_flushes (shard, seq)`, then the shard's older flush markers are deleted
/// (never retried) and this one inserted. A retry after an unclear failure applies once.
pub async fn write(db: &D1Shard, shard: &Shard, seq: u64, rows: &[FlushRow], at: u64) -> Result<()> {
    let s = |v: &str| JsValue::from_str(v);
    let n = |v: u64| JsValue::from_f64(v as f64);
    let mut batch = Vec::with_capacity(rows.len() + 2);
    for r in rows {
        batch.push(
            db.prepare(
                "INSERT INTO hourly_tallies (account_id, channel_id, entry_point_id, hour, metric, n) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6 \
                 WHERE NOT EXISTS (SELECT 1 FROM tally_flushes WHERE shard = ?7 AND seq = ?8) \
                 ON CONFLICT (channel_id, entry_point_id, hour, metric) DO UPDATE SET n = n + excluded.n",
            )
            .bind(&[
                s(&shard.account_id),
                s(&shard.channel_id),
                s(&r.entry_point),
                n(r.hour),
                s(&r.metric),
                n(r.n),
                s(&shard.name),
                n(seq),
            ])?,
        );
    }
    batch.push(db.prepare("DELETE FROM tally_flushes WHERE shard = ?1 AND seq < ?2").bind(&[s(&shard.name), n(seq)])?);
    batch.push(db.prepare("INSERT OR IGNORE INTO tally_flushes (shard, seq, at) VALUES (?1, ?2, ?3)").bind(&[
        s(&shard.name),
        n(seq),
        n(at),
    ])?);
    db.batch(batch).await?;
    Ok(())
}

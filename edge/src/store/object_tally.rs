//! The tally shard's own SQLite (a Durable Object's storage, not D1): its schema and every
//! statement the shard runs — ids seen (`seen`), invites in flight (`invites`), counts waiting
//! (`pending`) and the flush in flight (`flush`). Values are bound, never formatted in.

use std::collections::{HashMap, HashSet};

use parley_core::metrics::{Event, InviteRecord, Stage, Tally};
use parley_protocol::limits::MAX_EVENTS_PER_BATCH;
use serde::Deserialize;
use worker::{Result, SqlStorage, SqlStorageValue};

use super::int;
use super::tally_flush::FlushRow;

/// The shard's schema, applied in order by the kit. Append-only: never edit a landed entry.
pub const MIGRATIONS: &[&str] = &[
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
     CREATE INDEX seen_at ON seen(at);
     CREATE TABLE invites (id TEXT PRIMARY KEY, entry_point TEXT NOT NULL, hour INTEGER NOT NULL,
       stage TEXT NOT NULL, deadline INTEGER NOT NULL, updated INTEGER NOT NULL);
     CREATE INDEX invites_deadline ON invites(stage, deadline);
     CREATE INDEX invites_updated ON invites(updated);
     CREATE TABLE pending (entry_point TEXT NOT NULL, hour INTEGER NOT NULL, metric TEXT NOT NULL,
       n INTEGER NOT NULL, PRIMARY KEY (entry_point, hour, metric));
     CREATE TABLE flush (entry_point TEXT NOT NULL, hour INTEGER NOT NULL, metric TEXT NOT NULL,
       n INTEGER NOT NULL, PRIMARY KEY (entry_point, hour, metric));",
    // The kit's retry bookkeeping (a flush failing at the upgrade keeps its schedule).
    "UPDATE meta SET key = 'retry_at:flush' WHERE key = 'retry_at';
     UPDATE meta SET key = 'retry_tries:flush' WHERE key = 'flush_tries';",
];

/// An `invites` row.
#[derive(Debug, Deserialize)]
pub struct InviteRow {
    pub id: String,
    pub entry_point: String,
    pub hour: u64,
    pub stage: String,
    pub deadline: u64,
}

impl InviteRow {
    /// The core's record (`None` for a stage this code no longer knows).
    pub fn record(self) -> Option<InviteRecord> {
        Some(InviteRecord {
            id: self.id,
            entry_point: self.entry_point,
            hour: self.hour,
            stage: Stage::parse(&self.stage)?,
            deadline: self.deadline,
        })
    }
}

const INVITE_COLS: &str = "id, entry_point, hour, stage, deadline";

/// Stored records of these invites (one query per batch-sized chunk: ≤ 100 bound values).
pub fn invites(sql: &SqlStorage, ids: &[&str]) -> Result<HashMap<String, InviteRecord>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(MAX_EVENTS_PER_BATCH) {
        let args: Vec<SqlStorageValue> = chunk.iter().map(|id| (*id).into()).collect();
        let marks = vec!["?"; args.len()].join(",");
        let rows = sql
            .exec(&format!("SELECT {INVITE_COLS} FROM invites WHERE id IN ({marks})"), args)?
            .to_array::<InviteRow>()?;
        out.extend(rows.into_iter().filter_map(InviteRow::record).map(|r| (r.id.clone(), r)));
    }
    Ok(out)
}

pub fn put_invite(sql: &SqlStorage, rec: &InviteRecord, t: u64) -> Result<()> {
    sql.exec(
        "INSERT OR REPLACE INTO invites (id, entry_point, hour, stage, deadline, updated) VALUES (?, ?, ?, ?, ?, ?)",
        vec![
            rec.id.as_str().into(),
            rec.entry_point.as_str().into(),
            int(rec.hour),
            rec.stage.as_str().into(),
            int(rec.deadline),
            int(t),
        ],
    )?;
    Ok(())
}

/// Adds combined counts to `pending`.
pub fn add_pending(sql: &SqlStorage, tally: &Tally) -> Result<()> {
    for (k, n) in &tally.0 {
        sql.exec(
            "INSERT INTO pending (entry_point, hour, metric, n) VALUES (?, ?, ?, ?) \
             ON CONFLICT (entry_point, hour, metric) DO UPDATE SET n = n + excluded.n",
            vec![k.entry_point.as_str().into(), int(k.hour), k.metric.as_str().into(), int(*n)],
        )?;
    }
    Ok(())
}

/// Which of these events' ids were acknowledged before.
pub fn seen_among(sql: &SqlStorage, events: &[Event]) -> Result<HashSet<String>> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let mut out = HashSet::new();
    for chunk in events.chunks(MAX_EVENTS_PER_BATCH) {
        let ids: Vec<SqlStorageValue> = chunk.iter().map(|e| e.id.as_str().into()).collect();
        let marks = vec!["?"; ids.len()].join(",");
        let rows = sql.exec(&format!("SELECT id FROM seen WHERE id IN ({marks})"), ids)?.to_array::<Id>()?;
        out.extend(rows.into_iter().map(|r| r.id));
    }
    Ok(out)
}

pub fn mark_seen(sql: &SqlStorage, id: &str, t: u64) -> Result<()> {
    sql.exec("INSERT INTO seen (id, at) VALUES (?, ?)", vec![id.into(), int(t)])?;
    Ok(())
}

/// Shown invites whose deadline has passed.
pub fn overdue_shown(sql: &SqlStorage, t: u64) -> Result<Vec<InviteRecord>> {
    Ok(sql
        .exec(&format!("SELECT {INVITE_COLS} FROM invites WHERE stage = 'shown' AND deadline <= ?"), vec![int(t)])?
        .to_array::<InviteRow>()?
        .into_iter()
        .filter_map(InviteRow::record)
        .collect())
}

/// Forgets ids seen before `old` and invites ended before it.
pub fn forget_before(sql: &SqlStorage, old: u64) -> Result<()> {
    sql.exec("DELETE FROM seen WHERE at < ?", vec![int(old)])?;
    sql.exec("DELETE FROM invites WHERE stage != 'shown' AND updated < ?", vec![int(old)])?;
    Ok(())
}

/// The flush in flight.
pub fn flush_rows(sql: &SqlStorage) -> Result<Vec<FlushRow>> {
    sql.exec("SELECT entry_point, hour, metric, n FROM flush", None)?.to_array::<FlushRow>()
}

pub fn clear_flush(sql: &SqlStorage) -> Result<()> {
    sql.exec("DELETE FROM flush", None)?;
    Ok(())
}

/// Moves up to `max_rows` pending rows into the (empty) flush table; answers whether some are
/// left.
pub fn freeze(sql: &SqlStorage, max_rows: u64) -> Result<bool> {
    sql.exec(
        "INSERT INTO flush (entry_point, hour, metric, n) \
         SELECT entry_point, hour, metric, n FROM pending ORDER BY hour, entry_point, metric LIMIT ?",
        vec![int(max_rows)],
    )?;
    sql.exec(
        "DELETE FROM pending WHERE EXISTS (SELECT 1 FROM flush f WHERE f.entry_point = pending.entry_point \
         AND f.hour = pending.hour AND f.metric = pending.metric)",
        None,
    )?;
    #[derive(Deserialize)]
    struct C {
        c: u64,
    }
    let left = sql.exec("SELECT COUNT(*) AS c FROM pending", None)?.to_array::<C>()?.first().map_or(0, |c| c.c);
    Ok(left > 0)
}

/// The earliest deadline of a shown invite.
pub fn earliest_shown(sql: &SqlStorage) -> Result<Option<u64>> {
    #[derive(Deserialize)]
    struct D {
        deadline: u64,
    }
    Ok(sql
        .exec("SELECT deadline FROM invites WHERE stage = 'shown' ORDER BY deadline LIMIT 1", None)?
        .to_array::<D>()?
        .first()
        .map(|d| d.deadline))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invite_row_maps_to_its_record_and_an_unknown_stage_is_dropped() {
        let row = |stage: &str| InviteRow {
            id: "i_1".into(),
            entry_point: "ep_1".into(),
            hour: 7,
            stage: stage.into(),
            deadline: 99,
        };
        let rec = row("shown").record().unwrap();
        assert_eq!((rec.id.as_str(), rec.entry_point.as_str(), rec.hour, rec.deadline), ("i_1", "ep_1", 7, 99));
        assert_eq!(rec.stage.as_str(), "shown");
        assert!(row("no such stage").record().is_none());
    }
}

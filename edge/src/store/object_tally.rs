//! The tally shard's own SQLite (a Durable Object's storage, not D1): its schema and every
//! statement the shard runs — ids seen (`seen`), invites in flight (`invites`), counts waiting
//! (`pending`) and the flush in flight (`flush`). Values are bound, never formatted in.

use std::collections::{HashMap, HashSet};

use parley_core::metrics::{InviteRecord, Stage, Tally};
use serde::Deserialize;
use worker::{Result, SqlStorage};

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
    // A batch is written by ONE statement (so all of it or nothing): a row of `ingest` (its
    // ids, invite records and counts as JSON arrays) whose trigger spreads it into `seen`,
    // `invites` and `pending` and deletes it again.
    "CREATE TABLE ingest (at INTEGER NOT NULL, seen TEXT NOT NULL, invites TEXT NOT NULL, pending TEXT NOT NULL);
     CREATE TRIGGER ingest_apply AFTER INSERT ON ingest BEGIN
       INSERT INTO seen (id, at) SELECT value, NEW.at FROM json_each(NEW.seen);
       INSERT OR REPLACE INTO invites (id, entry_point, hour, stage, deadline, updated)
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, NEW.at FROM json_each(NEW.invites);
       INSERT INTO pending (entry_point, hour, metric, n)
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(NEW.pending) WHERE true
         ON CONFLICT (entry_point, hour, metric) DO UPDATE SET n = n + excluded.n;
       DELETE FROM ingest;
     END;",
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

/// Stored records of these invites: one query, the ids bound as one JSON array.
pub fn invites(sql: &SqlStorage, ids: &[&str]) -> Result<HashMap<String, InviteRecord>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = sql
        .exec(
            &format!("SELECT {INVITE_COLS} FROM invites WHERE id IN (SELECT value FROM json_each(?))"),
            vec![json_array(ids)?.into()],
        )?
        .to_array::<InviteRow>()?;
    Ok(rows.into_iter().filter_map(InviteRow::record).map(|r| (r.id.clone(), r)).collect())
}

/// Stores these invite records (their final state after a batch): one statement.
pub fn put_invites(sql: &SqlStorage, recs: &[InviteRecord], t: u64) -> Result<()> {
    if recs.is_empty() {
        return Ok(());
    }
    sql.exec(
        "INSERT OR REPLACE INTO invites (id, entry_point, hour, stage, deadline, updated) \
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, ? FROM json_each(?)",
        vec![int(t), json_array(&invite_rows(recs))?.into()],
    )?;
    Ok(())
}

/// Adds combined counts to `pending`: one statement.
pub fn add_pending(sql: &SqlStorage, tally: &Tally) -> Result<()> {
    if tally.0.is_empty() {
        return Ok(());
    }
    sql.exec(
        "INSERT INTO pending (entry_point, hour, metric, n) \
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?) WHERE true \
         ON CONFLICT (entry_point, hour, metric) DO UPDATE SET n = n + excluded.n",
        vec![json_array(&pending_rows(tally))?.into()],
    )?;
    Ok(())
}

/// Which of these ids were acknowledged before: one query.
pub fn seen_among(sql: &SqlStorage, ids: &[&str]) -> Result<HashSet<String>> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let rows = sql
        .exec("SELECT id FROM seen WHERE id IN (SELECT value FROM json_each(?))", vec![json_array(ids)?.into()])?
        .to_array::<Id>()?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Writes what one batch changed — the ids counted, the invite records, the counts to add
/// to `pending` — in ONE statement (the `ingest` row and its trigger): all of it or nothing.
pub fn write_batch(sql: &SqlStorage, seen: &[String], invites: &[InviteRecord], counts: &Tally, t: u64) -> Result<()> {
    if seen.is_empty() && invites.is_empty() && counts.0.is_empty() {
        return Ok(());
    }
    sql.exec(
        "INSERT INTO ingest (at, seen, invites, pending) VALUES (?, ?, ?, ?)",
        vec![
            int(t),
            json_array(seen)?.into(),
            json_array(&invite_rows(invites))?.into(),
            json_array(&pending_rows(counts))?.into(),
        ],
    )?;
    Ok(())
}

type InviteJson<'a> = (&'a str, &'a str, u64, &'a str, u64);

fn invite_rows(recs: &[InviteRecord]) -> Vec<InviteJson<'_>> {
    recs.iter().map(|r| (r.id.as_str(), r.entry_point.as_str(), r.hour, r.stage.as_str(), r.deadline)).collect()
}

fn pending_rows(tally: &Tally) -> Vec<(&str, u64, &str, u64)> {
    tally.0.iter().map(|(k, n)| (k.entry_point.as_str(), k.hour, k.metric.as_str(), *n)).collect()
}

/// A list bound as one parameter (a JSON array read back by `json_each`): any length within
/// the statement's one bound value.
fn json_array<T: serde::Serialize + ?Sized>(items: &T) -> Result<String> {
    Ok(serde_json::to_string(items)?)
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

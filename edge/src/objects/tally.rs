//! Tally shards: Durable Objects that count traffic and invite-funnel events exactly once and
//! write the combined counts to D1 in a few statements per flush, however busy the site.
//!
//! **Names.** One object per channel and shard, named `"{channel_id}/{shard}"` with
//! `shard = parley_shared::metrics::shard_of(visitor_id, shards)` and `shards` the worker
//! variable `PARLEY_TALLY_SHARDS` (default `limits::TALLY_SHARDS`). Every event of one visitor,
//! so every step of one invite, meets in the same object.
//!
//! The decisions are [`parley_shared::tally`]'s (sans-IO, tested natively); this object loads
//! what the core needs, writes what it answers and keeps the one alarm, on the [`kit`].
//!
//! **Exactly once, in the object.** Ingest checks each event (`Event::check`), drops an id it
//! already acknowledged (table `seen`, kept `EVENT_IDS_KEPT_MS`), checks its entry point against
//! the channel's (a cache of D1 `entry_points`, reloaded when an unknown id shows up, at most
//! every `EP_REFRESH_MS`), runs `metrics::apply` on the invite's record (table `invites`) and
//! adds the counts to `pending` (one row per entry point, hour and metric). All writes of one
//! batch are synchronous (no await between them), so the runtime commits them together, and
//! the answer is sent only after that: an acknowledged event is stored, a retried one is a
//! duplicate.
//!
//! **Exactly once, into D1.** An alarm at min(oldest pending + `PARLEY_TALLY_FLUSH_MS`, earliest
//! shown-invite deadline, retry time) counts overdue invites ignored (`metrics::overdue`, grace
//! `PARLEY_INVITE_GRACE_MS`) and flushes: it freezes the pending rows into the numbered flush
//! `seq` (table `flush`, `meta.flush_seq`), then sends ONE D1 `batch()`: per row an upsert
//! `hourly_tallies.n += n` guarded by `NOT EXISTS (tally_flushes WHERE shard = name AND seq)`,
//! then `INSERT OR IGNORE INTO tally_flushes (name, seq)` (and the shard's older flush rows are
//! deleted: they are never retried). D1 runs a batch as one transaction, so a flush retried
//! after an unclear failure (timeout, lost answer) is applied once. The flush is cleared only
//! after D1 said OK; on failure it is retried with the kit's backoff (job `flush`), unchanged. Counts arriving meanwhile
//! go to `pending`, i.e. the next flush.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use parley_shared::limits::{EVENT_IDS_KEPT_MS, MAX_EVENTS_PER_BATCH};
use parley_shared::metrics::{Event, EventsAck, InviteRecord, Stage, Tally};
use parley_shared::tally::{self as core, FlushPlan, Settings, Shard};
use serde::Deserialize;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorageValue, State};

use crate::objects::kit::{self, Kit};
use crate::store::tally_flush::{self, FlushRow};
use crate::stubs::IngestBody;
use crate::util::now;

/// The entry point cache is reloaded from D1 at most this often (when an unknown id shows up):
/// an invite created a moment ago is counted within seconds; garbage ids cost at most one read
/// per shard this often.
const EP_REFRESH_MS: u64 = 2_000;
/// Most pending rows written by one flush (more wait for the next, at once).
const MAX_FLUSH_ROWS: usize = 400;
/// The retry job of the flushes.
const FLUSH: &str = "flush";

const MIGRATIONS: &[&str] = &[
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

fn int(v: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(v as i64)
}

#[durable_object]
pub struct TallyObject {
    kit: Kit,
    /// The channel's entry points (id → is an invite) and when they were read.
    entry_points: RefCell<(HashMap<String, bool>, Option<u64>)>,
    /// The alarm's flush is awaiting D1 (it rearms when it is over).
    flushing: Cell<bool>,
}

impl DurableObject for TallyObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            kit: Kit::new(state, env, "tally", MIGRATIONS),
            entry_points: RefCell::new((HashMap::new(), None)),
            flushing: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        self.kit.ready()?;
        let body: IngestBody = kit::read(&mut req).await?;
        let settings = crate::config::get(self.kit.env())?.tally;
        if self.kit.meta("channel_id")?.is_none() {
            self.kit.set_meta("name", &body.name)?;
            self.kit.set_meta("account_id", &body.account_id)?;
            self.kit.set_meta("channel_id", &body.channel_id)?;
        }
        let t = now().0;
        // Reads from D1 (awaits) come first; the writes below are one synchronous step.
        let unknown = body.events.iter().any(|e| !self.entry_points.borrow().0.contains_key(&e.entry_point));
        let stale = self.entry_points.borrow().1.is_none_or(|at| at + EP_REFRESH_MS <= t);
        if unknown && stale {
            let map = crate::store::entry_points::kinds(&crate::store::db(self.kit.env())?, &body.channel_id).await?;
            *self.entry_points.borrow_mut() = (map, Some(t));
        }
        let ack = self.ingest(&body, t, settings)?;
        self.rearm(settings).await;
        Response::from_json(&ack)
    }

    async fn alarm(&self) -> Result<Response> {
        self.kit.ready()?;
        self.kit.rang();
        let settings = crate::config::get(self.kit.env())?.tally;
        let t = now().0;
        self.expire(t)?;
        self.flush(t, settings).await;
        self.rearm(settings).await;
        Response::ok("ok")
    }
}

#[derive(Deserialize)]
struct InviteRow {
    id: String,
    entry_point: String,
    hour: u64,
    stage: String,
    deadline: u64,
}

impl InviteRow {
    fn record(self) -> Option<InviteRecord> {
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

impl TallyObject {
    /// The flush bookkeeping, from meta.
    fn shard(&self) -> Result<Shard> {
        Ok(Shard {
            pending_since: self.kit.meta_u64("pending_since")?,
            flush_seq: self.kit.meta_u64("flush_seq")?,
            next_seq: self.kit.meta_u64("next_seq")?,
        })
    }

    fn save_shard(&self, s: &Shard) -> Result<()> {
        self.kit.set_meta_u64("pending_since", s.pending_since)?;
        self.kit.set_meta_u64("flush_seq", s.flush_seq)?;
        self.kit.set_meta_u64("next_seq", s.next_seq)
    }

    /// Stored records of these invites.
    fn invites(&self, ids: &[&str]) -> Result<HashMap<String, InviteRecord>> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(MAX_EVENTS_PER_BATCH) {
            let args: Vec<SqlStorageValue> = chunk.iter().map(|id| (*id).into()).collect();
            let marks = vec!["?"; args.len()].join(",");
            let rows = self
                .kit
                .sql()
                .exec(&format!("SELECT {INVITE_COLS} FROM invites WHERE id IN ({marks})"), args)?
                .to_array::<InviteRow>()?;
            out.extend(rows.into_iter().filter_map(InviteRow::record).map(|r| (r.id.clone(), r)));
        }
        Ok(out)
    }

    fn put_invite(&self, rec: &InviteRecord, t: u64) -> Result<()> {
        self.kit.sql().exec(
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

    /// Adds combined counts to `pending` (and notes when the oldest pending count arrived).
    fn add_pending(&self, tally: &Tally, t: u64) -> Result<()> {
        for (k, n) in &tally.0 {
            self.kit.sql().exec(
                "INSERT INTO pending (entry_point, hour, metric, n) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (entry_point, hour, metric) DO UPDATE SET n = n + excluded.n",
                vec![k.entry_point.as_str().into(), int(k.hour), k.metric.as_str().into(), int(*n)],
            )?;
        }
        let mut shard = self.shard()?;
        shard.added(tally, t);
        self.save_shard(&shard)
    }

    /// Which of these events' ids were acknowledged before.
    fn seen_among(&self, events: &[Event]) -> Result<HashSet<String>> {
        #[derive(Deserialize)]
        struct Id {
            id: String,
        }
        let mut out = HashSet::new();
        for chunk in events.chunks(MAX_EVENTS_PER_BATCH) {
            let ids: Vec<SqlStorageValue> = chunk.iter().map(|e| e.id.as_str().into()).collect();
            let marks = vec!["?"; ids.len()].join(",");
            let rows =
                self.kit.sql().exec(&format!("SELECT id FROM seen WHERE id IN ({marks})"), ids)?.to_array::<Id>()?;
            out.extend(rows.into_iter().map(|r| r.id));
        }
        Ok(out)
    }

    /// Checks and counts one batch (the core decides); every write happens here,
    /// synchronously, before the answer.
    fn ingest(&self, body: &IngestBody, t: u64, settings: Settings) -> Result<EventsAck> {
        // A batch has at most MAX_EVENTS_PER_BATCH ids: one query each, within the 100 bound
        // parameters of a statement.
        let seen = self.seen_among(&body.events)?;
        let invites = self.invites(&core::invite_ids(&body.events))?;
        let out =
            core::ingest(&body.events, body.from_widget, t, settings, &seen, &self.entry_points.borrow().0, invites);
        for id in &out.seen {
            self.kit.sql().exec("INSERT INTO seen (id, at) VALUES (?, ?)", vec![id.as_str().into(), int(t)])?;
        }
        for rec in &out.invites {
            self.put_invite(rec, t)?;
        }
        self.add_pending(&out.counts, t)?;
        Ok(out.ack)
    }

    /// Counts overdue shown invites ignored and forgets old ids and ended invites.
    fn expire(&self, t: u64) -> Result<()> {
        let shown: Vec<InviteRecord> = self
            .kit
            .sql()
            .exec(&format!("SELECT {INVITE_COLS} FROM invites WHERE stage = 'shown' AND deadline <= ?"), vec![int(t)])?
            .to_array::<InviteRow>()?
            .into_iter()
            .filter_map(InviteRow::record)
            .collect();
        let (records, counts) = core::overdue(&shown, t);
        for rec in &records {
            self.put_invite(rec, t)?;
        }
        self.add_pending(&counts, t)?;
        let old = int(t.saturating_sub(EVENT_IDS_KEPT_MS));
        self.kit.sql().exec("DELETE FROM seen WHERE at < ?", vec![old.clone()])?;
        self.kit.sql().exec("DELETE FROM invites WHERE stage != 'shown' AND updated < ?", vec![old])?;
        Ok(())
    }

    /// Freezes due pending counts into a numbered flush (if none is in flight) and sends the
    /// flush in flight to D1, until nothing is due.
    async fn flush(&self, t: u64, settings: Settings) {
        if self.flushing.replace(true) {
            return;
        }
        let result = self.try_flush(t, settings).await;
        self.flushing.set(false);
        match result {
            Ok(()) => {
                if let Err(e) = self.kit.succeeded(FLUSH) {
                    worker::console_error!("tally flush: {e}");
                }
            }
            Err(e) => {
                let wait = self.kit.failed(FLUSH, t);
                worker::console_error!("tally flush failed, retrying in {wait} ms: {e}");
            }
        }
    }

    async fn try_flush(&self, t: u64, settings: Settings) -> Result<()> {
        loop {
            let mut shard = self.shard()?;
            let seq = match shard.plan(t, settings) {
                FlushPlan::Idle => return Ok(()),
                FlushPlan::Send(seq) => seq,
                FlushPlan::Freeze(seq) => {
                    let left = self.freeze()?;
                    shard.frozen(seq, left);
                    self.save_shard(&shard)?;
                    seq
                }
            };
            let rows =
                self.kit.sql().exec("SELECT entry_point, hour, metric, n FROM flush", None)?.to_array::<FlushRow>()?;
            self.send(seq, &rows, t).await?;
            self.kit.sql().exec("DELETE FROM flush", None)?;
            let mut shard = self.shard()?;
            shard.flushed();
            self.save_shard(&shard)?;
        }
    }

    /// Moves pending rows into the (empty) flush table; answers whether some are left.
    fn freeze(&self) -> Result<bool> {
        let sql = self.kit.sql();
        sql.exec(
            "INSERT INTO flush (entry_point, hour, metric, n) \
             SELECT entry_point, hour, metric, n FROM pending ORDER BY hour, entry_point, metric LIMIT ?",
            vec![int(MAX_FLUSH_ROWS as u64)],
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

    /// One D1 batch: the guarded upserts, then the flush's marker.
    async fn send(&self, seq: u64, rows: &[FlushRow], t: u64) -> Result<()> {
        let shard = tally_flush::Shard {
            name: self.kit.meta("name")?.unwrap_or_default(),
            account_id: self.kit.meta("account_id")?.unwrap_or_default(),
            channel_id: self.kit.meta("channel_id")?.unwrap_or_default(),
        };
        tally_flush::write(&crate::store::db(self.kit.env())?, &shard, seq, rows, t).await
    }

    /// The one alarm ([`Shard::next_deadline`]).
    async fn rearm(&self, settings: Settings) {
        if self.flushing.get() {
            return; // the alarm handler rearms when its flush is over
        }
        let next = (|| -> Result<Option<u64>> {
            #[derive(Deserialize)]
            struct D {
                deadline: u64,
            }
            let earliest_shown = self
                .kit
                .sql()
                .exec("SELECT deadline FROM invites WHERE stage = 'shown' ORDER BY deadline LIMIT 1", None)?
                .to_array::<D>()?
                .first()
                .map(|d| d.deadline);
            Ok(self.shard()?.next_deadline(now().0, settings, self.kit.retry_at(FLUSH)?, earliest_shown))
        })();
        match next {
            Ok(next) => self.kit.arm([next]).await,
            Err(e) => worker::console_error!("tally alarm: {e}"),
        }
    }
}

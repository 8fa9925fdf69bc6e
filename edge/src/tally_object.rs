//! Tally shards: Durable Objects that count traffic and invite-funnel events exactly once and
//! write the combined counts to D1 in a few statements per flush, however busy the site.
//!
//! **Names.** One object per channel and shard, named `"{channel_id}/{shard}"` with
//! `shard = parley_shared::metrics::shard_of(visitor_id, shards)` and `shards` the worker
//! variable `PARLEY_TALLY_SHARDS` (default `limits::TALLY_SHARDS`). Every event of one visitor,
//! so every step of one invite, meets in the same object.
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
//! after D1 said OK; on failure it is retried with backoff, unchanged. Counts arriving meanwhile
//! go to `pending`, i.e. the next flush.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use parley_shared::limits::{EVENT_IDS_KEPT_MS, INVITE_GRACE_MS, MAX_EVENTS_PER_BATCH, TALLY_FLUSH_MS};
use parley_shared::metrics::{self, Event, EventsAck, InviteRecord, Refusal, RefusedEvent, Stage, Tally};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use worker::{
    durable_object, js_sys, DurableObject, Env, Method, Request, Response, Result, ScheduledTime, SqlStorage,
    SqlStorageValue, State,
};

use crate::util::now;

/// The entry point cache is reloaded from D1 at most this often (when an unknown id shows up):
/// an invite created a moment ago is counted within seconds; garbage ids cost at most one read
/// per shard this often.
const EP_REFRESH_MS: u64 = 2_000;
/// Most pending rows written by one flush (more wait for the next, at once).
const MAX_FLUSH_ROWS: usize = 400;
/// Backoff of a failed flush: first wait, longest wait.
const RETRY_MIN_MS: u64 = 1_000;
const RETRY_MAX_MS: u64 = 60_000;

const MIGRATIONS: &[&str] = &["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
     CREATE INDEX seen_at ON seen(at);
     CREATE TABLE invites (id TEXT PRIMARY KEY, entry_point TEXT NOT NULL, hour INTEGER NOT NULL,
       stage TEXT NOT NULL, deadline INTEGER NOT NULL, updated INTEGER NOT NULL);
     CREATE INDEX invites_deadline ON invites(stage, deadline);
     CREATE INDEX invites_updated ON invites(updated);
     CREATE TABLE pending (entry_point TEXT NOT NULL, hour INTEGER NOT NULL, metric TEXT NOT NULL,
       n INTEGER NOT NULL, PRIMARY KEY (entry_point, hour, metric));
     CREATE TABLE flush (entry_point TEXT NOT NULL, hour INTEGER NOT NULL, metric TEXT NOT NULL,
       n INTEGER NOT NULL, PRIMARY KEY (entry_point, hour, metric));"];

/// What the worker sends to `/ingest`.
#[derive(Serialize, Deserialize)]
pub struct IngestBody {
    /// This object's name, `"{channel_id}/{shard}"` (the key of its flushes in D1).
    pub name: String,
    pub account_id: String,
    pub channel_id: String,
    /// Events from a widget (`chat` and `no_availability` are the edge's own).
    pub from_widget: bool,
    pub events: Vec<Event>,
}

/// Settings, from the worker's variables.
fn var_u64(env: &Env, name: &str) -> Option<u64> {
    env.var(name).ok().and_then(|v| v.to_string().trim().parse::<u64>().ok())
}

fn int(v: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(v as i64)
}

#[durable_object]
pub struct TallyObject {
    state: State,
    env: Env,
    /// The channel's entry points (id → is an invite) and when they were read.
    entry_points: RefCell<(HashMap<String, bool>, Option<u64>)>,
    /// The alarm time this instance set last (None: unknown or none).
    armed: Cell<Option<u64>>,
    flushing: Cell<bool>,
}

impl DurableObject for TallyObject {
    fn new(state: State, env: Env) -> Self {
        if let Err(e) = crate::conversation_object::apply_migrations(&state.storage().sql(), MIGRATIONS) {
            worker::console_error!("tally schema migration failed: {e}");
        }
        Self {
            state,
            env,
            entry_points: RefCell::new((HashMap::new(), None)),
            armed: Cell::new(None),
            flushing: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if req.path() != "/ingest" || req.method() != Method::Post {
            return Response::error("not found", 404);
        }
        let body: IngestBody = req.json().await?;
        if self.meta("channel_id")?.is_none() {
            self.set_meta("name", &body.name)?;
            self.set_meta("account_id", &body.account_id)?;
            self.set_meta("channel_id", &body.channel_id)?;
        }
        let t = now().0;
        // Reads from D1 (awaits) come first; the writes below are one synchronous step.
        let unknown = body.events.iter().any(|e| !self.entry_points.borrow().0.contains_key(&e.entry_point));
        let stale = self.entry_points.borrow().1.is_none_or(|at| at + EP_REFRESH_MS <= t);
        if unknown && stale {
            let map = crate::tally::channel_entry_points(&self.env, &body.channel_id).await?;
            *self.entry_points.borrow_mut() = (map, Some(t));
        }
        let ack = self.ingest(&body, t)?;
        self.rearm().await;
        Response::from_json(&ack)
    }

    async fn alarm(&self) -> Result<Response> {
        self.armed.set(None);
        let t = now().0;
        self.expire(t)?;
        self.flush(t).await;
        self.rearm().await;
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

#[derive(Deserialize)]
struct CountRow {
    entry_point: String,
    hour: u64,
    metric: String,
    n: u64,
}

impl TallyObject {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        #[derive(Deserialize)]
        struct V {
            value: String,
        }
        let rows = self.sql().exec("SELECT value FROM meta WHERE key = ?", vec![key.into()])?.to_array::<V>()?;
        Ok(rows.into_iter().next().map(|v| v.value))
    }

    fn meta_u64(&self, key: &str) -> Result<Option<u64>> {
        Ok(self.meta(key)?.and_then(|v| v.parse().ok()))
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.sql().exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", vec![key.into(), value.into()])?;
        Ok(())
    }

    fn del_meta(&self, key: &str) -> Result<()> {
        self.sql().exec("DELETE FROM meta WHERE key = ?", vec![key.into()])?;
        Ok(())
    }

    fn grace_ms(&self) -> u64 {
        var_u64(&self.env, "PARLEY_INVITE_GRACE_MS").unwrap_or(INVITE_GRACE_MS)
    }

    fn flush_ms(&self) -> u64 {
        var_u64(&self.env, "PARLEY_TALLY_FLUSH_MS").unwrap_or(TALLY_FLUSH_MS)
    }

    fn invite(&self, id: &str) -> Result<Option<InviteRecord>> {
        let rows = self
            .sql()
            .exec("SELECT id, entry_point, hour, stage, deadline FROM invites WHERE id = ?", vec![id.into()])?
            .to_array::<InviteRow>()?;
        Ok(rows.into_iter().next().and_then(InviteRow::record))
    }

    fn put_invite(&self, rec: &InviteRecord, t: u64) -> Result<()> {
        self.sql().exec(
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
        if tally.0.is_empty() {
            return Ok(());
        }
        for (k, n) in &tally.0 {
            self.sql().exec(
                "INSERT INTO pending (entry_point, hour, metric, n) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (entry_point, hour, metric) DO UPDATE SET n = n + excluded.n",
                vec![k.entry_point.as_str().into(), int(k.hour), k.metric.as_str().into(), int(*n)],
            )?;
        }
        if self.meta("pending_since")?.is_none() {
            self.set_meta("pending_since", &t.to_string())?;
        }
        Ok(())
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
            let rows = self.sql().exec(&format!("SELECT id FROM seen WHERE id IN ({marks})"), ids)?.to_array::<Id>()?;
            out.extend(rows.into_iter().map(|r| r.id));
        }
        Ok(out)
    }

    /// Checks and counts one batch; every write happens here, synchronously.
    fn ingest(&self, body: &IngestBody, t: u64) -> Result<EventsAck> {
        let grace = self.grace_ms();
        let mut ack = EventsAck::default();
        let mut tally = Tally::default();
        // Ids of this batch counted before (one query; a batch has at most
        // MAX_EVENTS_PER_BATCH ids, within the 100 bound parameters of a statement), plus the
        // ones counted as this batch goes (an id repeated inside it).
        let mut seen = self.seen_among(&body.events)?;
        for ev in &body.events {
            let outcome = (|| -> Result<std::result::Result<bool, Refusal>> {
                let at = match ev.check(t, body.from_widget) {
                    Ok(at) => at,
                    Err(r) => return Ok(Err(r)),
                };
                if seen.contains(&ev.id) {
                    return Ok(Ok(false));
                }
                let kind = self.entry_points.borrow().0.get(&ev.entry_point).copied();
                match (kind, ev.wants_invite_entry()) {
                    (None, _) => return Ok(Err(Refusal::UnknownEntryPoint)),
                    (Some(is_invite), Some(wants)) if is_invite != wants => return Ok(Err(Refusal::UnknownEntryPoint)),
                    _ => {}
                }
                let record = if ev.invite.is_empty() { None } else { self.invite(&ev.invite)? };
                let step = match metrics::apply(ev, at, record.as_ref(), grace) {
                    Ok(s) => s,
                    Err(r) => return Ok(Err(r)),
                };
                self.sql().exec("INSERT INTO seen (id, at) VALUES (?, ?)", vec![ev.id.as_str().into(), int(t)])?;
                seen.insert(ev.id.clone());
                if let Some(rec) = &step.invite {
                    self.put_invite(rec, t)?;
                }
                for k in step.counts {
                    tally.add(k, 1);
                }
                Ok(Ok(true))
            })()?;
            match outcome {
                Ok(true) => ack.counted += 1,
                Ok(false) => ack.duplicates += 1,
                Err(r) => ack.refused.push(RefusedEvent { id: ev.id.clone(), code: r.code().to_owned() }),
            }
        }
        self.add_pending(&tally, t)?;
        Ok(ack)
    }

    /// Counts overdue shown invites ignored and forgets old ids and ended invites.
    fn expire(&self, t: u64) -> Result<()> {
        let rows = self
            .sql()
            .exec(
                "SELECT id, entry_point, hour, stage, deadline FROM invites WHERE stage = 'shown' AND deadline <= ?",
                vec![int(t)],
            )?
            .to_array::<InviteRow>()?;
        let mut tally = Tally::default();
        for rec in rows.into_iter().filter_map(InviteRow::record) {
            if let Some(step) = metrics::overdue(&rec, t) {
                if let Some(r) = &step.invite {
                    self.put_invite(r, t)?;
                }
                for k in step.counts {
                    tally.add(k, 1);
                }
            }
        }
        self.add_pending(&tally, t)?;
        let old = int(t.saturating_sub(EVENT_IDS_KEPT_MS));
        self.sql().exec("DELETE FROM seen WHERE at < ?", vec![old.clone()])?;
        self.sql().exec("DELETE FROM invites WHERE stage != 'shown' AND updated < ?", vec![old])?;
        Ok(())
    }

    /// Freezes due pending counts into a numbered flush (if none is in flight) and sends the
    /// flush in flight to D1.
    async fn flush(&self, t: u64) {
        if self.flushing.replace(true) {
            return;
        }
        if let Err(e) = self.flush_inner(t).await {
            let tries = self.meta_u64("flush_tries").ok().flatten().unwrap_or(0) + 1;
            let wait = (RETRY_MIN_MS << tries.min(16)).min(RETRY_MAX_MS);
            worker::console_error!("tally flush failed (try {tries}), retrying in {wait} ms: {e}");
            let _ = self.set_meta("flush_tries", &tries.to_string());
            let _ = self.set_meta("retry_at", &(t + wait).to_string());
        }
        self.flushing.set(false);
    }

    async fn flush_inner(&self, t: u64) -> Result<()> {
        loop {
            if self.meta_u64("flush_seq")?.is_none() && !self.freeze(t)? {
                return Ok(());
            }
            let seq = self.meta_u64("flush_seq")?.ok_or("flush vanished")?;
            let rows =
                self.sql().exec("SELECT entry_point, hour, metric, n FROM flush", None)?.to_array::<CountRow>()?;
            let name = self.meta("name")?.unwrap_or_default();
            self.send(&name, seq, &rows, t).await?;
            self.sql().exec("DELETE FROM flush", None)?;
            self.del_meta("flush_seq")?;
            self.del_meta("flush_tries")?;
            self.del_meta("retry_at")?;
        }
    }

    /// Moves due pending rows into a new numbered flush; false when nothing is due.
    fn freeze(&self, t: u64) -> Result<bool> {
        let Some(since) = self.meta_u64("pending_since")? else { return Ok(false) };
        if since + self.flush_ms() > t {
            return Ok(false);
        }
        let seq = self.meta_u64("next_seq")?.unwrap_or(1);
        let sql = self.sql();
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
        if left == 0 {
            self.del_meta("pending_since")?;
        }
        self.set_meta("flush_seq", &seq.to_string())?;
        self.set_meta("next_seq", &(seq + 1).to_string())?;
        Ok(true)
    }

    /// One D1 batch: the guarded upserts, then the flush's marker.
    async fn send(&self, name: &str, seq: u64, rows: &[CountRow], t: u64) -> Result<()> {
        let db = crate::db::db(&self.env)?;
        let account = self.meta("account_id")?.unwrap_or_default();
        let channel = self.meta("channel_id")?.unwrap_or_default();
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
                    s(&account),
                    s(&channel),
                    s(&r.entry_point),
                    n(r.hour),
                    s(&r.metric),
                    n(r.n),
                    s(name),
                    n(seq),
                ])?,
            );
        }
        batch.push(db.prepare("DELETE FROM tally_flushes WHERE shard = ?1 AND seq < ?2").bind(&[s(name), n(seq)])?);
        batch.push(db.prepare("INSERT OR IGNORE INTO tally_flushes (shard, seq, at) VALUES (?1, ?2, ?3)").bind(&[
            s(name),
            n(seq),
            n(t),
        ])?);
        db.batch(batch).await?;
        Ok(())
    }

    /// When the alarm must ring next: a flush in flight or due, the earliest shown-invite
    /// deadline, a retry.
    fn next_alarm(&self) -> Result<Option<u64>> {
        if let Some(at) = self.meta_u64("retry_at")? {
            return Ok(Some(at));
        }
        let mut next: Option<u64> = None;
        let mut earliest = |at: u64| next = Some(next.map_or(at, |n: u64| n.min(at)));
        if self.meta("flush_seq")?.is_some() {
            earliest(now().0); // a flush left in flight (the instance was evicted mid-flush)
        }
        if let Some(since) = self.meta_u64("pending_since")? {
            earliest(since + self.flush_ms());
        }
        #[derive(Deserialize)]
        struct D {
            deadline: u64,
        }
        let d = self
            .sql()
            .exec("SELECT deadline FROM invites WHERE stage = 'shown' ORDER BY deadline LIMIT 1", None)?
            .to_array::<D>()?;
        if let Some(d) = d.first() {
            earliest(d.deadline);
        }
        Ok(next)
    }

    async fn rearm(&self) {
        if self.flushing.get() {
            return; // the alarm handler rearms when its flush is over
        }
        let next = match self.next_alarm() {
            Ok(n) => n,
            Err(e) => {
                worker::console_error!("tally alarm: {e}");
                return;
            }
        };
        if next == self.armed.get() {
            return;
        }
        let storage = self.state.storage();
        let result = match next {
            Some(at) => storage.set_alarm(ScheduledTime::new(js_sys::Date::new(&(at as f64).into()))).await,
            None => storage.delete_alarm().await,
        };
        match result {
            Ok(()) => self.armed.set(next),
            Err(e) => worker::console_error!("could not arm the tally alarm: {e}"),
        }
    }
}

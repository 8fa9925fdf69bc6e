//! Tally shards: Durable Objects that count traffic and invite-funnel events exactly once and
//! write the combined counts to D1 in a few statements per flush, however busy the site.
//!
//! **Names.** One object per channel and shard, named `"{channel_id}/{shard}"` with
//! `shard = parley_core::metrics::shard_of(visitor_id, shards)` and `shards` the worker
//! variable `PARLEY_TALLY_SHARDS` (default `limits::TALLY_SHARDS`). Every event of one visitor,
//! so every step of one invite, meets in the same object.
//!
//! The decisions are [`parley_core::tally`]'s (sans-IO, tested natively); this object loads
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
use std::collections::HashMap;

use parley_core::metrics::{EventsAck, Stage, Tally};
use parley_core::tally::{self as core, FlushPlan, Settings, Shard};
use parley_core::throttle::{Counters, Door};
use parley_protocol::ids::Millis;
use parley_protocol::limits::EVENT_IDS_KEPT_MS;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::objects::kit::{self, Kit};
use crate::store::object_tally;
use crate::store::tally_flush::{self, FlushRow};
use crate::stubs::{IngestAnswer, IngestBody};
use crate::util::now;

/// The entry point cache is reloaded from D1 at most this often (when an unknown id shows up):
/// an invite created a moment ago is counted within seconds; garbage ids cost at most one read
/// per shard this often.
const EP_REFRESH_MS: u64 = 2_000;
/// Most pending rows written by one flush (more wait for the next, at once).
const MAX_FLUSH_ROWS: u64 = 400;
/// The retry job of the flushes.
const FLUSH: &str = "flush";

#[durable_object]
pub struct TallyObject {
    kit: Kit,
    /// The channel's entry points (id → is an invite) and when they were read.
    entry_points: RefCell<(HashMap<String, bool>, Option<u64>)>,
    /// The alarm's flush is awaiting D1 (it rearms when it is over).
    flushing: Cell<bool>,
    /// The events doors' counters (visitors and addresses of this shard), in memory only.
    doors: RefCell<Counters>,
    /// The earliest deadline of a shown invite: `None` unknown (read it), else what is stored
    /// or earlier (an invite answered since then only makes the alarm ring early, harmlessly).
    earliest_shown: Cell<Option<Option<u64>>>,
}

impl DurableObject for TallyObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            kit: Kit::new(state, env, "tally", object_tally::MIGRATIONS),
            entry_points: RefCell::new((HashMap::new(), None)),
            flushing: Cell::new(false),
            doors: RefCell::new(Counters::default()),
            earliest_shown: Cell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        self.kit.ready()?;
        let body: IngestBody = kit::read(&mut req).await?;
        let config = crate::config::get(self.kit.env())?;
        let settings = config.tally;
        let t = now().0;
        // The flood doors first: a refused batch changes nothing.
        if !body.doors.is_empty() {
            let doors: Vec<(Door, &str)> = body.doors.iter().map(|(d, s)| (*d, s.as_str())).collect();
            let verdict = self.doors.borrow_mut().admit(&config.limits, &doors, body.events.len() as u64, Millis(t));
            if let Err((door, refused)) = verdict {
                return Response::from_json(&IngestAnswer::Limited { door, retry_after_ms: refused.retry_after_ms });
            }
        }
        if self.kit.meta("channel_id")?.is_none() {
            self.kit.set_meta("name", &body.name)?;
            self.kit.set_meta("account_id", body.account_id.as_str())?;
            self.kit.set_meta("channel_id", body.channel_id.as_str())?;
        }
        // Reads from D1 (awaits) come first; the writes below are one synchronous step.
        let unknown = body.events.iter().any(|e| !self.entry_points.borrow().0.contains_key(&e.entry_point));
        let stale = self.entry_points.borrow().1.is_none_or(|at| at + EP_REFRESH_MS <= t);
        if unknown && stale {
            let map =
                crate::store::entry_points::kinds(&crate::store::directory(self.kit.env())?, body.channel_id.as_str())
                    .await?;
            *self.entry_points.borrow_mut() = (map, Some(t));
        }
        let ack = self.ingest(&body, t, settings)?;
        self.rearm(settings).await;
        Response::from_json(&IngestAnswer::Ack(ack))
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

    /// Adds combined counts to `pending` (and notes when the oldest pending count arrived).
    fn add_pending(&self, tally: &Tally, t: u64) -> Result<()> {
        object_tally::add_pending(&self.kit.sql(), tally)?;
        let mut shard = self.shard()?;
        shard.added(tally, t);
        self.save_shard(&shard)
    }

    /// Checks and counts one batch (the core decides); every write happens here,
    /// synchronously, before the answer: two reads at most (ids seen, the batch's invites) and
    /// ONE statement writing the ids, invite records and counts together (all or nothing),
    /// whatever the batch's size; meta changes only when the first count waits for a flush.
    fn ingest(&self, body: &IngestBody, t: u64, settings: Settings) -> Result<EventsAck> {
        let sql = self.kit.sql();
        let ids: Vec<&str> = body.events.iter().map(|e| e.id.as_str()).collect();
        let seen = object_tally::seen_among(&sql, &ids)?;
        let invites = object_tally::invites(&sql, &core::invite_ids(&body.events))?;
        let out =
            core::ingest(&body.events, body.from_widget, t, settings, &seen, &self.entry_points.borrow().0, invites);
        let written = (|| -> Result<()> {
            object_tally::write_batch(&sql, &out.seen, &out.invites, &out.counts, t)?;
            let mut shard = self.shard()?;
            shard.added(&out.counts, t);
            self.save_shard(&shard)
        })();
        if let Err(e) = written {
            self.kit.forget(); // meta as stored, on the next call
            self.earliest_shown.set(None);
            return Err(e);
        }
        if let Some(known) = self.earliest_shown.get() {
            let shown = out.invites.iter().filter(|r| r.stage == Stage::Shown).map(|r| r.deadline);
            self.earliest_shown.set(Some(known.into_iter().chain(shown).min()));
        }
        Ok(out.ack)
    }

    /// Counts overdue shown invites ignored and forgets old ids and ended invites.
    fn expire(&self, t: u64) -> Result<()> {
        let sql = self.kit.sql();
        let shown = object_tally::overdue_shown(&sql, t)?;
        let (records, counts) = core::overdue(&shown, t);
        self.earliest_shown.set(None);
        object_tally::put_invites(&sql, &records, t)?;
        self.add_pending(&counts, t)?;
        object_tally::forget_before(&sql, t.saturating_sub(EVENT_IDS_KEPT_MS))
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
                    let left = object_tally::freeze(&self.kit.sql(), MAX_FLUSH_ROWS)?;
                    shard.frozen(seq, left);
                    self.save_shard(&shard)?;
                    seq
                }
            };
            let rows = object_tally::flush_rows(&self.kit.sql())?;
            self.send(seq, &rows, t).await?;
            object_tally::clear_flush(&self.kit.sql())?;
            let mut shard = self.shard()?;
            shard.flushed();
            self.save_shard(&shard)?;
        }
    }

    /// One D1 batch: the guarded upserts, then the flush's marker.
    async fn send(&self, seq: u64, rows: &[FlushRow], t: u64) -> Result<()> {
        let shard = tally_flush::Shard {
            name: self.kit.meta("name")?.unwrap_or_default(),
            account_id: self.kit.meta("account_id")?.unwrap_or_default(),
            channel_id: self.kit.meta("channel_id")?.unwrap_or_default(),
        };
        // The counts go to the channel's account's shard (its directory row, once per isolate).
        let d1 = crate::store::shard(self.kit.env(), &shard.account_id).await?;
        tally_flush::write(&d1, &shard, seq, rows, t).await
    }

    /// The one alarm ([`Shard::next_deadline`]).
    async fn rearm(&self, settings: Settings) {
        if self.flushing.get() {
            return; // the alarm handler rearms when its flush is over
        }
        let next = (|| -> Result<Option<u64>> {
            let earliest_shown = match self.earliest_shown.get() {
                Some(known) => known,
                None => {
                    let stored = object_tally::earliest_shown(&self.kit.sql())?;
                    self.earliest_shown.set(Some(stored));
                    stored
                }
            };
            Ok(self.shard()?.next_deadline(now().0, settings, self.kit.retry_at(FLUSH)?, earliest_shown))
        })();
        match next {
            Ok(next) => self.kit.arm([next]).await,
            Err(e) => worker::console_error!("tally alarm: {e}"),
        }
    }
}

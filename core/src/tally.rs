//! The tally shard's sans-IO core: what one shard (`edge`'s `TallyObject`) decides, with its
//! storage and its clock left to the caller.
//!
//! - [`ingest`]: one batch of events → the acknowledgement, the ids to remember, the invite
//!   records to store and the combined counts to add to `pending`. Order of the checks (the
//!   codes a client sees): [`Event::check`], then an id acknowledged before is a duplicate (in
//!   earlier batches — `seen` — or earlier in this one), then the entry point must be the
//!   channel's and of the right kind, then [`metrics::apply`] runs the invite's stage machine.
//! - [`overdue`]: shown invites past their deadline (timeout + grace) are counted ignored.
//! - [`Shard`]: the numbered flushes. Pending counts are frozen into flush `seq` when the
//!   oldest is `flush_ms` old; a flush in flight is sent again unchanged (same `seq`) until D1
//!   took it, and counts arriving meanwhile wait for the next one, so a retry never counts
//!   twice. [`Shard::next_deadline`] is the one alarm: a retry, a flush in flight or due, the
//!   earliest shown-invite deadline.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::metrics::{self, Event, EventsAck, InviteRecord, Refusal, RefusedEvent, Tally};

/// Settings of a shard (`PARLEY_INVITE_GRACE_MS`, `PARLEY_TALLY_FLUSH_MS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub grace_ms: u64,
    pub flush_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { grace_ms: crate::limits::INVITE_GRACE_MS, flush_ms: crate::limits::TALLY_FLUSH_MS }
    }
}

/// What ingesting one batch changes; the caller writes it all in one synchronous step, then
/// answers `ack`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ingested {
    pub ack: EventsAck,
    /// Ids counted now (to remember as seen).
    pub seen: Vec<String>,
    /// Invite records changed by the batch, in their final state.
    pub invites: Vec<InviteRecord>,
    /// Counts to add to `pending`.
    pub counts: Tally,
}

/// The invite ids a batch refers to (the records the caller loads before [`ingest`]).
pub fn invite_ids(events: &[Event]) -> Vec<&str> {
    let mut ids: Vec<&str> = events.iter().filter(|e| !e.invite.is_empty()).map(|e| e.invite.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Checks and counts one batch. `seen`: the batch's ids acknowledged before; `entry_points`:
/// the channel's entry points (id → is an invite); `invites`: the stored records of the
/// batch's invites ([`invite_ids`]).
pub fn ingest(
    events: &[Event],
    from_widget: bool,
    now: u64,
    settings: Settings,
    seen: &HashSet<String>,
    entry_points: &HashMap<String, bool>,
    mut invites: HashMap<String, InviteRecord>,
) -> Ingested {
    let mut out = Ingested::default();
    let mut counted_now: HashSet<&str> = HashSet::new();
    let mut changed: Vec<String> = Vec::new();
    for ev in events {
        let outcome = (|| -> Result<bool, Refusal> {
            let at = ev.check(now, from_widget)?;
            if seen.contains(&ev.id) || counted_now.contains(ev.id.as_str()) {
                return Ok(false);
            }
            match (entry_points.get(&ev.entry_point).copied(), ev.wants_invite_entry()) {
                (None, _) => return Err(Refusal::UnknownEntryPoint),
                (Some(is_invite), Some(wants)) if is_invite != wants => return Err(Refusal::UnknownEntryPoint),
                _ => {}
            }
            let record = if ev.invite.is_empty() { None } else { invites.get(&ev.invite) };
            let step = metrics::apply(ev, at, record, settings.grace_ms)?;
            if let Some(rec) = step.invite {
                if !changed.contains(&rec.id) {
                    changed.push(rec.id.clone());
                }
                invites.insert(rec.id.clone(), rec);
            }
            for k in step.counts {
                out.counts.add(k, 1);
            }
            Ok(true)
        })();
        match outcome {
            Ok(true) => {
                out.ack.counted += 1;
                counted_now.insert(&ev.id);
                out.seen.push(ev.id.clone());
            }
            Ok(false) => out.ack.duplicates += 1,
            Err(r) => out.ack.refused.push(RefusedEvent { id: ev.id.clone(), code: r.code().to_owned() }),
        }
    }
    out.invites = changed.into_iter().filter_map(|id| invites.remove(&id)).collect();
    out
}

/// Shown invites whose deadline passed are counted ignored: their new records and the counts.
pub fn overdue(shown: &[InviteRecord], now: u64) -> (Vec<InviteRecord>, Tally) {
    let mut records = Vec::new();
    let mut counts = Tally::default();
    for rec in shown {
        if let Some(step) = metrics::overdue(rec, now) {
            records.extend(step.invite);
            for k in step.counts {
                counts.add(k, 1);
            }
        }
    }
    (records, counts)
}

/// What to do with the flushes now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlushPlan {
    /// Nothing is due.
    Idle,
    /// Send flush `seq` (already frozen: a retry sends the same rows under the same number).
    Send(u64),
    /// Freeze the pending counts into flush `seq`, then send it.
    Freeze(u64),
}

/// The shard's flush bookkeeping (kept in the object's meta).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// When the oldest pending count arrived.
    pub pending_since: Option<u64>,
    /// The flush in flight (frozen, not yet confirmed by D1).
    pub flush_seq: Option<u64>,
    /// The number of the next flush (from 1).
    pub next_seq: Option<u64>,
}

impl Shard {
    /// Counts were added to `pending` at `now`.
    pub fn added(&mut self, counts: &Tally, now: u64) {
        if !counts.0.is_empty() && self.pending_since.is_none() {
            self.pending_since = Some(now);
        }
    }

    pub fn plan(&self, now: u64, settings: Settings) -> FlushPlan {
        if let Some(seq) = self.flush_seq {
            return FlushPlan::Send(seq);
        }
        match self.pending_since {
            Some(since) if since + settings.flush_ms <= now => FlushPlan::Freeze(self.next_seq.unwrap_or(1)),
            _ => FlushPlan::Idle,
        }
    }

    /// Pending counts were frozen into flush `seq`; `pending_left`: some did not fit in it.
    pub fn frozen(&mut self, seq: u64, pending_left: bool) {
        self.flush_seq = Some(seq);
        self.next_seq = Some(seq + 1);
        if !pending_left {
            self.pending_since = None;
        }
    }

    /// D1 took the flush in flight.
    pub fn flushed(&mut self) {
        self.flush_seq = None;
    }

    /// When the alarm must ring: `retry_at` (a failed flush) if set, else the earliest of a
    /// flush in flight (now), a due flush and the earliest shown-invite deadline.
    pub fn next_deadline(
        &self,
        now: u64,
        settings: Settings,
        retry_at: Option<u64>,
        earliest_shown: Option<u64>,
    ) -> Option<u64> {
        if retry_at.is_some() {
            return retry_at;
        }
        [self.flush_seq.map(|_| now), self.pending_since.map(|s| s + settings.flush_ms), earliest_shown]
            .into_iter()
            .flatten()
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::tests::ev;
    use crate::metrics::{EventKind, Metric, Stage};

    const T0: u64 = 1_790_000_000_000;
    const S: Settings = Settings { grace_ms: 60_000, flush_ms: 10_000 };

    fn eps() -> HashMap<String, bool> {
        [("btn_demo".to_owned(), false), ("inv_pricing".to_owned(), true)].into()
    }

    /// A shard in memory: the caller's part (storage) around the core.
    #[derive(Default)]
    struct Mem {
        seen: HashSet<String>,
        invites: HashMap<String, InviteRecord>,
        pending: Tally,
        shard: Shard,
        flush: Tally,
        d1: Tally,
        d1_flushes: HashSet<u64>,
    }

    impl Mem {
        fn batch(&mut self, events: &[Event], from_widget: bool, now: u64) -> EventsAck {
            let seen: HashSet<String> =
                events.iter().filter(|e| self.seen.contains(&e.id)).map(|e| e.id.clone()).collect();
            let invites = invite_ids(events)
                .into_iter()
                .filter_map(|id| self.invites.get(id).map(|r| (id.to_owned(), r.clone())))
                .collect();
            let out = ingest(events, from_widget, now, S, &seen, &eps(), invites);
            self.seen.extend(out.seen);
            for r in out.invites {
                self.invites.insert(r.id.clone(), r);
            }
            self.pending.merge(&out.counts);
            self.shard.added(&out.counts, now);
            out.ack
        }

        /// One flush attempt; `ok`: D1 answers (a lost answer after applying is `applied`).
        fn flush(&mut self, now: u64, applied: bool, ok: bool) {
            let seq = match self.shard.plan(now, S) {
                FlushPlan::Idle => return,
                FlushPlan::Send(seq) => seq,
                FlushPlan::Freeze(seq) => {
                    self.flush = std::mem::take(&mut self.pending);
                    self.shard.frozen(seq, false);
                    seq
                }
            };
            if applied && self.d1_flushes.insert(seq) {
                self.d1.merge(&self.flush);
            }
            if ok {
                self.flush = Tally::default();
                self.shard.flushed();
            }
        }
    }

    #[test]
    fn duplicates_in_a_batch_and_across_batches_count_once() {
        let mut m = Mem::default();
        let a = ev("e1", EventKind::View, "", T0);
        let ack = m.batch(&[a.clone(), a.clone()], true, T0);
        assert_eq!((ack.counted, ack.duplicates), (1, 1));
        let ack = m.batch(&[a], true, T0 + 5);
        assert_eq!((ack.counted, ack.duplicates), (0, 1));
        assert_eq!(m.pending.get("btn_demo", metrics::hour_of(T0), Metric::Views), 1);
    }

    #[test]
    fn refusals_carry_their_codes_and_count_nothing() {
        let mut m = Mem::default();
        let mut foreign = ev("e1", EventKind::View, "", T0);
        foreign.entry_point = "ep_other".into();
        let mut wrong_kind = ev("e2", EventKind::View, "", T0);
        wrong_kind.entry_point = "inv_pricing".into();
        let batch = [
            foreign,
            wrong_kind,
            ev("e3", EventKind::Chat, "", T0),
            ev("e4", EventKind::Accepted, "i1", T0),
            ev("e5", EventKind::View, "", T0 - 2 * crate::limits::MAX_EVENT_AGE_MS),
        ];
        let ack = m.batch(&batch, true, T0);
        let codes: Vec<&str> = ack.refused.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["unknown_entry_point", "unknown_entry_point", "not_allowed", "unknown_invite", "too_old"]);
        assert_eq!(ack.counted, 0);
        assert!(m.pending.0.is_empty() && m.shard.pending_since.is_none() && m.seen.is_empty());
        // A refused id is not remembered: the same id, valid now, counts.
        let ack = m.batch(&[ev("e1", EventKind::View, "", T0)], true, T0);
        assert_eq!(ack.counted, 1);
    }

    #[test]
    fn invite_steps_in_one_batch_see_each_other_and_end_stored() {
        let mut m = Mem::default();
        let ack =
            m.batch(&[ev("s", EventKind::Shown, "i1", T0), ev("a", EventKind::Accepted, "i1", T0 + 1)], true, T0 + 2);
        assert_eq!(ack.counted, 2);
        assert_eq!(m.invites["i1"].stage, Stage::Accepted);
        let ack = m.batch(&[ev("d", EventKind::Declined, "i1", T0 + 3)], true, T0 + 3);
        assert_eq!(ack.refused[0].code, "invite_ended");
    }

    #[test]
    fn flush_retries_never_count_twice_and_late_counts_wait() {
        let mut m = Mem::default();
        m.batch(&[ev("e1", EventKind::View, "", T0)], true, T0);
        assert_eq!(m.shard.plan(T0 + 9_999, S), FlushPlan::Idle);
        assert_eq!(m.shard.next_deadline(T0, S, None, None), Some(T0 + 10_000));
        // D1 applied the batch but the answer was lost: flush 1 stays in flight.
        m.flush(T0 + 10_000, true, false);
        assert_eq!(m.shard.flush_seq, Some(1));
        assert_eq!(m.shard.next_deadline(T0 + 10_000, S, None, None), Some(T0 + 10_000));
        assert_eq!(m.shard.next_deadline(T0 + 10_000, S, Some(T0 + 11_000), None), Some(T0 + 11_000));
        // A count arriving meanwhile waits for flush 2.
        m.batch(&[ev("e2", EventKind::View, "", T0 + 10_500)], true, T0 + 10_500);
        m.flush(T0 + 11_000, true, true);
        let hour = metrics::hour_of(T0);
        assert_eq!(m.d1.get("btn_demo", hour, Metric::Views), 1, "the retried flush 1 applied once");
        assert_eq!(m.shard.plan(T0 + 11_000, S), FlushPlan::Idle);
        m.flush(T0 + 20_500, true, true);
        assert_eq!(m.d1.get("btn_demo", hour, Metric::Views), 2);
        assert_eq!(m.shard, Shard { pending_since: None, flush_seq: None, next_seq: Some(3) });
        assert_eq!(m.shard.next_deadline(T0 + 20_500, S, None, None), None);
    }

    #[test]
    fn a_partial_freeze_keeps_the_rest_pending() {
        let mut s = Shard { pending_since: Some(T0), ..Shard::default() };
        assert_eq!(s.plan(T0 + 10_000, S), FlushPlan::Freeze(1));
        s.frozen(1, true);
        s.flushed();
        assert_eq!(s.plan(T0 + 10_001, S), FlushPlan::Freeze(2), "the rest goes at once");
    }

    #[test]
    fn unanswered_invites_are_ignored_after_timeout_and_grace() {
        let mut m = Mem::default();
        m.batch(&[ev("s", EventKind::Shown, "i1", T0)], true, T0);
        let deadline = T0 + 30_000 + 60_000;
        assert_eq!(m.invites["i1"].deadline, deadline);
        assert_eq!(m.shard.next_deadline(T0, S, None, Some(deadline)), Some(T0 + 10_000));
        let shown: Vec<InviteRecord> = m.invites.values().cloned().collect();
        let (records, counts) = overdue(&shown, deadline - 1);
        assert!(records.is_empty() && counts.0.is_empty(), "not before the deadline");
        let (records, counts) = overdue(&shown, deadline);
        assert_eq!(records[0].stage, Stage::Ended);
        assert_eq!(counts.get("inv_pricing", metrics::hour_of(T0), Metric::Ignored), 1);
        m.invites.insert("i1".into(), records[0].clone());
        // A late answer is refused: it was counted ignored.
        let ack = m.batch(&[ev("a", EventKind::Accepted, "i1", T0 + 1)], true, deadline + 1);
        assert_eq!(ack.refused[0].code, "invite_ended");
        let (records, _) = overdue(&[m.invites["i1"].clone()], deadline + 10);
        assert!(records.is_empty(), "counted ignored once");
    }
}

//! Traffic and invite-funnel tallies (pure): the events the widget (and the edge) report, how
//! each one is checked and turned into counts, and the counts combined per channel, entry
//! point, hour and metric before they are written.
//!
//! Exactly-once is shared between this module and its caller: the caller remembers every event
//! id it acknowledged (a repeat is acknowledged again and counts nothing); this module keeps
//! each invite's place in the funnel so that, whatever order or mix of events arrives, every
//! match is either cancelled or shown and every shown invite ends exactly once.
//!
//! Decisions where the spec is silent:
//! - All funnel counts of one invite go to the hour its match happened in (not the hour of
//!   each step), so the funnel sums hold for every hour, not just for whole days.
//! - `match` is never reported alone: the widget reports `shown` or `cancelled` once it knows
//!   whether an operator can take the chat, and each counts one match too. A page closed between
//!   the two is neither — the invite was never displayable.
//! - A shown invite counts one *view* of its entry point, an accepted one a *click* (traffic);
//!   the chat button reports its own views and clicks. *Visits* (page views) go to the
//!   channel's chat button: every page with the snippet carries it.
//! - `no_availability` is counted by the edge when an accepted invite's chat could not be given
//!   to an operator at once (it waits in line or nobody is online).
//! - An invite shown and never answered, with no signal from the page, is counted `ignored` by
//!   the edge `INVITE_GRACE_MS` after its display timeout.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

// The events themselves (what the widget reports, and their checks) are the protocol's.
pub use parley_protocol::metrics::*;

pub const HOUR_MS: u64 = 60 * 60 * 1000;

/// The start of the hour `at_ms` falls in (UTC), in ms.
pub fn hour_of(at_ms: u64) -> u64 {
    at_ms - at_ms % HOUR_MS
}

/// Which of a channel's `shards` tally objects counts this visitor's events (FNV-1a of the
/// visitor id): all events of one visitor, so all steps of one invite, meet in one place, and a
/// busy channel's load spreads over `shards` objects.
pub fn shard_of(visitor_id: &str, shards: u32) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in visitor_id.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h % shards.max(1)
}

/// The events of a page view told by the loader's look request: the page's `visit` and the chat
/// button's `view` (the loader draws the launcher fixed in the viewport as soon as the look
/// arrives), both at the button's entry point `button`, at `at`, with the ids given (drawn by
/// the edge: the visitor has none before the app loads).
pub fn page_view(button: &str, at: u64, ids: [String; 2]) -> Vec<Event> {
    let [visit, view] = ids;
    [(visit, EventKind::Visit), (view, EventKind::View)]
        .map(|(id, kind)| Event { id, at, kind, entry_point: button.to_owned(), invite: String::new(), timeout_ms: 0 })
        .to_vec()
}

/// What is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Visits,
    Views,
    Clicks,
    Chats,
    Match,
    Cancelled,
    Proactive,
    Accepted,
    Declined,
    Ignored,
    Expired,
    NoAvailability,
}

impl Metric {
    pub const ALL: [Metric; 12] = [
        Metric::Visits,
        Metric::Views,
        Metric::Clicks,
        Metric::Chats,
        Metric::Match,
        Metric::Cancelled,
        Metric::Proactive,
        Metric::Accepted,
        Metric::Declined,
        Metric::Ignored,
        Metric::Expired,
        Metric::NoAvailability,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Visits => "visits",
            Metric::Views => "views",
            Metric::Clicks => "clicks",
            Metric::Chats => "chats",
            Metric::Match => "match",
            Metric::Cancelled => "cancelled",
            Metric::Proactive => "proactive",
            Metric::Accepted => "accepted",
            Metric::Declined => "declined",
            Metric::Ignored => "ignored",
            Metric::Expired => "expired",
            Metric::NoAvailability => "no_availability",
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Where one invite is in the funnel, as the edge keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Displayed, waiting for an answer.
    Shown,
    /// Accepted: a `no_availability` may still follow.
    Accepted,
    Ended,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Shown => "shown",
            Stage::Accepted => "accepted",
            Stage::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        [Stage::Shown, Stage::Accepted, Stage::Ended].into_iter().find(|x| x.as_str() == s)
    }
}

/// One invite as the edge keeps it, from its first report until it is forgotten.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRecord {
    pub id: String,
    pub entry_point: String,
    /// The hour its match is counted in; every later step counts there too.
    pub hour: u64,
    pub stage: Stage,
    /// While shown: when the edge counts it ignored if nothing else came.
    pub deadline: u64,
}

/// One count to add.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TallyKey {
    pub entry_point: String,
    /// Start of the hour (ms).
    pub hour: u64,
    pub metric: Metric,
}

impl TallyKey {
    fn new(entry_point: &str, hour: u64, metric: Metric) -> TallyKey {
        TallyKey { entry_point: entry_point.to_owned(), hour, metric }
    }
}

/// What one event does: counts to add, and the invite's new record to store (if it is an
/// invite step).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    pub counts: Vec<TallyKey>,
    pub invite: Option<InviteRecord>,
}

/// The counts and invite change for one checked event. `at` is what [`Event::check`] answered;
/// `record` is the invite's record so far, if the event is an invite step and one exists.
pub fn apply(ev: &Event, at: u64, record: Option<&InviteRecord>, grace_ms: u64) -> Result<Step, Refusal> {
    use EventKind as K;
    let traffic = |metric| Step { counts: vec![TallyKey::new(&ev.entry_point, hour_of(at), metric)], invite: None };
    match ev.kind {
        K::Visit => return Ok(traffic(Metric::Visits)),
        K::View => return Ok(traffic(Metric::Views)),
        K::Click => return Ok(traffic(Metric::Clicks)),
        K::Chat => return Ok(traffic(Metric::Chats)),
        _ => {}
    }
    let begin = |stage: Stage, metrics: &[Metric]| {
        let hour = hour_of(at);
        let mut counts: Vec<TallyKey> = metrics.iter().map(|m| TallyKey::new(&ev.entry_point, hour, *m)).collect();
        if stage == Stage::Shown {
            counts.push(TallyKey::new(&ev.entry_point, hour, Metric::Views));
        }
        let deadline = if stage == Stage::Shown { at + ev.timeout_ms + grace_ms } else { 0 };
        Step {
            counts,
            invite: Some(InviteRecord {
                id: ev.invite.clone(),
                entry_point: ev.entry_point.clone(),
                hour,
                stage,
                deadline,
            }),
        }
    };
    let Some(rec) = record else {
        return match ev.kind {
            K::Shown => Ok(begin(Stage::Shown, &[Metric::Match, Metric::Proactive])),
            K::Cancelled => Ok(begin(Stage::Ended, &[Metric::Match, Metric::Cancelled])),
            _ => Err(Refusal::UnknownInvite),
        };
    };
    if rec.entry_point != ev.entry_point {
        return Err(Refusal::Invalid);
    }
    let next = |stage: Stage, metric: Metric| {
        let mut counts = vec![TallyKey::new(&rec.entry_point, rec.hour, metric)];
        if metric == Metric::Accepted {
            counts.push(TallyKey::new(&rec.entry_point, hour_of(at), Metric::Clicks));
        }
        Step { counts, invite: Some(InviteRecord { stage, deadline: 0, ..rec.clone() }) }
    };
    match (rec.stage, ev.kind) {
        (Stage::Shown, K::Accepted) => Ok(next(Stage::Accepted, Metric::Accepted)),
        (Stage::Shown, K::Declined) => Ok(next(Stage::Ended, Metric::Declined)),
        (Stage::Shown, K::Ignored) => Ok(next(Stage::Ended, Metric::Ignored)),
        (Stage::Shown, K::Expired) => Ok(next(Stage::Ended, Metric::Expired)),
        (Stage::Accepted, K::NoAvailability) => Ok(next(Stage::Ended, Metric::NoAvailability)),
        _ => Err(Refusal::InviteEnded),
    }
}

/// The edge's own timeout: a shown invite past its deadline is counted ignored.
pub fn overdue(rec: &InviteRecord, now: u64) -> Option<Step> {
    (rec.stage == Stage::Shown && rec.deadline <= now).then(|| Step {
        counts: vec![TallyKey::new(&rec.entry_point, rec.hour, Metric::Ignored)],
        invite: Some(InviteRecord { stage: Stage::Ended, deadline: 0, ..rec.clone() }),
    })
}

/// Counts combined before they are written: one entry per key however many events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally(pub BTreeMap<TallyKey, u64>);

impl Tally {
    pub fn add(&mut self, key: TallyKey, n: u64) {
        *self.0.entry(key).or_default() += n;
    }

    pub fn merge(&mut self, other: &Tally) {
        for (k, n) in &other.0 {
            self.add(k.clone(), *n);
        }
    }

    pub fn get(&self, entry_point: &str, hour: u64, metric: Metric) -> u64 {
        self.0.get(&TallyKey::new(entry_point, hour, metric)).copied().unwrap_or(0)
    }
}

/// One invite rule's funnel over some period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funnel {
    pub matched: u64,
    pub cancelled: u64,
    pub proactive: u64,
    pub accepted: u64,
    pub declined: u64,
    pub ignored: u64,
    pub expired: u64,
    pub no_availability: u64,
}

impl Funnel {
    pub fn add(&mut self, metric: Metric, n: u64) {
        let slot = match metric {
            Metric::Match => &mut self.matched,
            Metric::Cancelled => &mut self.cancelled,
            Metric::Proactive => &mut self.proactive,
            Metric::Accepted => &mut self.accepted,
            Metric::Declined => &mut self.declined,
            Metric::Ignored => &mut self.ignored,
            Metric::Expired => &mut self.expired,
            Metric::NoAvailability => &mut self.no_availability,
            _ => return,
        };
        *slot += n;
    }

    /// Adds every count of `other` to this funnel's.
    pub fn merge(&mut self, other: &Funnel) {
        self.matched += other.matched;
        self.cancelled += other.cancelled;
        self.proactive += other.proactive;
        self.accepted += other.accepted;
        self.declined += other.declined;
        self.ignored += other.ignored;
        self.expired += other.expired;
        self.no_availability += other.no_availability;
    }

    /// The spec's sums, given how many shown invites are still waiting for an answer:
    /// match = cancelled + shown; shown = accepted + declined + ignored + expired + open;
    /// no_availability ≤ accepted.
    pub fn sums_hold(&self, still_open: u64) -> bool {
        self.matched == self.cancelled + self.proactive
            && self.proactive == self.accepted + self.declined + self.ignored + self.expired + still_open
            && self.no_availability <= self.accepted
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::limits::MAX_EVENT_AGE_MS;
    use std::collections::HashMap;

    const T0: u64 = 1_790_000_000_000;
    const GRACE: u64 = 60_000;

    /// An event of the demo channel's button (no invite) or its `inv_pricing` invite.
    pub(crate) fn ev(id: &str, kind: EventKind, invite: &str, at: u64) -> Event {
        Event {
            id: id.into(),
            at,
            kind,
            entry_point: if invite.is_empty() { "btn_demo".into() } else { "inv_pricing".into() },
            invite: invite.into(),
            timeout_ms: if kind == EventKind::Shown { 30_000 } else { 0 },
        }
    }

    /// A tiny model of the edge: dedup by id, invite records, combined tally.
    #[derive(Default)]
    struct Edge {
        seen: std::collections::HashSet<String>,
        invites: HashMap<String, InviteRecord>,
        tally: Tally,
    }

    impl Edge {
        fn take(&mut self, e: &Event, now: u64) -> Result<bool, Refusal> {
            let at = e.check(now, e.kind != EventKind::NoAvailability)?;
            if self.seen.contains(&e.id) {
                return Ok(false);
            }
            let step = apply(e, at, self.invites.get(&e.invite), GRACE)?;
            self.seen.insert(e.id.clone());
            for k in step.counts {
                self.tally.add(k, 1);
            }
            if let Some(r) = step.invite {
                self.invites.insert(r.id.clone(), r);
            }
            Ok(true)
        }

        fn tick(&mut self, now: u64) {
            let due: Vec<Step> = self.invites.values().filter_map(|r| overdue(r, now)).collect();
            for step in due {
                for k in step.counts {
                    self.tally.add(k, 1);
                }
                let r = step.invite.unwrap();
                self.invites.insert(r.id.clone(), r);
            }
        }

        fn funnel(&self, hour: u64) -> Funnel {
            let mut f = Funnel::default();
            for m in Metric::ALL {
                f.add(m, self.tally.get("inv_pricing", hour, m));
            }
            f
        }

        fn open(&self) -> u64 {
            self.invites.values().filter(|r| r.stage == Stage::Shown).count() as u64
        }
    }

    #[test]
    fn a_page_view_is_a_visit_and_a_view_of_the_button() {
        let evs = page_view("btn_x", T0, ["e1".into(), "e2".into()]);
        assert_eq!(evs.iter().map(|e| e.kind).collect::<Vec<_>>(), vec![EventKind::Visit, EventKind::View]);
        for e in &evs {
            assert_eq!((e.entry_point.as_str(), e.at, e.invite.as_str()), ("btn_x", T0, ""));
            assert_eq!(e.check(T0, false), Ok(T0), "each is a valid edge event");
        }
        assert_ne!(evs[0].id, evs[1].id);
    }

    #[test]
    fn checks() {
        let e = ev("e1", EventKind::Visit, "", T0);
        assert_eq!(e.check(T0 + 5, true), Ok(T0));
        assert_eq!(ev("e1", EventKind::Visit, "", T0 + 10_000).check(T0, true), Ok(T0), "future clamps to now");
        assert_eq!(e.check(T0 + MAX_EVENT_AGE_MS + 1, true), Err(Refusal::TooOld));
        assert_eq!(ev("bad id", EventKind::Visit, "", T0).check(T0, true), Err(Refusal::Invalid));
        assert_eq!(ev("e2", EventKind::Accepted, "", T0).check(T0, true), Err(Refusal::Invalid), "needs an invite");
        assert_eq!(ev("e2", EventKind::View, "i1", T0).check(T0, true), Err(Refusal::Invalid), "not an invite step");
        let mut shown = ev("e3", EventKind::Shown, "i1", T0);
        shown.timeout_ms = 0;
        assert_eq!(shown.check(T0, true), Err(Refusal::Invalid), "shown needs its timeout");
        assert_eq!(ev("e4", EventKind::Chat, "", T0).check(T0, true), Err(Refusal::NotAllowed));
        assert_eq!(ev("e4", EventKind::NoAvailability, "i1", T0).check(T0, true), Err(Refusal::NotAllowed));
        assert_eq!(ev("e4", EventKind::NoAvailability, "i1", T0).check(T0, false), Ok(T0));
    }

    #[test]
    fn every_path_through_the_funnel() {
        let mut edge = Edge::default();
        let h = hour_of(T0);
        // accepted, then the chat waited in line (no availability)
        edge.take(&ev("a1", EventKind::Shown, "i1", T0), T0).unwrap();
        edge.take(&ev("a2", EventKind::Accepted, "i1", T0 + 4_000), T0 + 4_000).unwrap();
        edge.take(&ev("a3", EventKind::NoAvailability, "i1", T0 + 5_000), T0 + 5_000).unwrap();
        // declined, ignored (page hide), expired, cancelled
        for (i, end) in [EventKind::Declined, EventKind::Ignored, EventKind::Expired].into_iter().enumerate() {
            let inv = format!("i{}", i + 2);
            edge.take(&ev(&format!("s{i}"), EventKind::Shown, &inv, T0), T0).unwrap();
            edge.take(&ev(&format!("t{i}"), end, &inv, T0 + 1_000), T0 + 1_000).unwrap();
        }
        edge.take(&ev("c1", EventKind::Cancelled, "i9", T0), T0).unwrap();
        // shown, then silence: the edge's own timeout counts it ignored
        edge.take(&ev("q1", EventKind::Shown, "i10", T0), T0).unwrap();
        assert!(edge.funnel(h).sums_hold(1));
        edge.tick(T0 + 30_000 + GRACE - 1);
        assert_eq!(edge.open(), 1);
        edge.tick(T0 + 30_000 + GRACE);
        assert_eq!(edge.open(), 0);
        let f = edge.funnel(h);
        assert_eq!(
            f,
            Funnel {
                matched: 6,
                cancelled: 1,
                proactive: 5,
                accepted: 1,
                declined: 1,
                ignored: 2,
                expired: 1,
                no_availability: 1
            }
        );
        assert!(f.sums_hold(0));
        assert_eq!(edge.tally.get("inv_pricing", h, Metric::Views), 5, "every shown invite is a view");
        assert_eq!(edge.tally.get("inv_pricing", h, Metric::Clicks), 1, "an accepted one a click");
    }

    #[test]
    fn retries_and_late_or_forged_steps_count_nothing() {
        let mut edge = Edge::default();
        let h = hour_of(T0);
        edge.take(&ev("a1", EventKind::Shown, "i1", T0), T0).unwrap();
        assert_eq!(edge.take(&ev("a1", EventKind::Shown, "i1", T0), T0), Ok(false), "a retry");
        assert_eq!(edge.take(&ev("a9", EventKind::Shown, "i1", T0), T0), Err(Refusal::InviteEnded), "shown twice");
        assert_eq!(edge.take(&ev("x1", EventKind::Accepted, "nope", T0), T0), Err(Refusal::UnknownInvite));
        edge.take(&ev("a2", EventKind::Declined, "i1", T0 + 1), T0 + 1).unwrap();
        assert_eq!(edge.take(&ev("a3", EventKind::Accepted, "i1", T0 + 2), T0 + 2), Err(Refusal::InviteEnded));
        assert_eq!(edge.take(&ev("a4", EventKind::NoAvailability, "i1", T0 + 2), T0 + 2), Err(Refusal::InviteEnded));
        let f = edge.funnel(h);
        assert_eq!((f.matched, f.proactive, f.declined, f.accepted), (1, 1, 1, 0));
        assert!(f.sums_hold(0));
    }

    #[test]
    fn an_invite_counts_in_the_hour_it_matched() {
        let mut edge = Edge::default();
        let late = hour_of(T0) + HOUR_MS - 1_000;
        edge.take(&ev("a1", EventKind::Shown, "i1", late), late).unwrap();
        edge.take(&ev("a2", EventKind::Accepted, "i1", late + 5_000), late + 5_000).unwrap();
        let f = edge.funnel(hour_of(late));
        assert_eq!((f.matched, f.proactive, f.accepted), (1, 1, 1));
        assert!(f.sums_hold(0));
        // … while the click is traffic of the hour it happened in.
        assert_eq!(edge.tally.get("inv_pricing", hour_of(late) + HOUR_MS, Metric::Clicks), 1);
    }

    /// Whatever a client sends, in any order and with any repeats, the sums hold.
    #[test]
    fn sums_hold_under_any_event_soup() {
        let kinds = [
            EventKind::Shown,
            EventKind::Cancelled,
            EventKind::Accepted,
            EventKind::Declined,
            EventKind::Ignored,
            EventKind::Expired,
            EventKind::NoAvailability,
        ];
        let mut edge = Edge::default();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for i in 0..5_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let kind = kinds[(x % kinds.len() as u64) as usize];
            let invite = format!("i{}", (x >> 8) % 40);
            let id = if (x >> 20).is_multiple_of(5) { format!("e{}", (x >> 24) % (i + 1)) } else { format!("e{i}") };
            let at = T0 + i * 1_000;
            let _ = edge.take(&ev(&id, kind, &invite, at), at);
            if i.is_multiple_of(97) {
                edge.tick(at);
            }
        }
        let mut total = Funnel::default();
        let mut h = hour_of(T0);
        while h <= hour_of(T0 + 5_000 * 1_000) {
            let f = edge.funnel(h);
            total.matched += f.matched;
            assert!(f.matched == f.cancelled + f.proactive, "hour {h}: {f:?}");
            assert!(f.no_availability <= f.accepted);
            h += HOUR_MS;
        }
        let all = {
            let mut f = Funnel::default();
            for (k, n) in &edge.tally.0 {
                f.add(k.metric, *n);
            }
            f
        };
        assert!(all.sums_hold(edge.open()), "{all:?} open {}", edge.open());
        assert!(total.matched > 0);
    }

    #[test]
    fn shards_spread_and_are_stable() {
        let mut seen = [0u32; 8];
        for i in 0..800 {
            seen[shard_of(&format!("v_{i:016x}"), 8) as usize] += 1;
        }
        assert!(seen.iter().all(|n| *n > 50), "{seen:?}");
        assert_eq!(shard_of("v_abc", 8), shard_of("v_abc", 8));
        assert_eq!(shard_of("v_abc", 0), 0);
    }

    #[test]
    fn funnels_merge_every_count() {
        let a = Funnel {
            matched: 1,
            cancelled: 2,
            proactive: 3,
            accepted: 4,
            declined: 5,
            ignored: 6,
            expired: 7,
            no_availability: 8,
        };
        let mut b = a;
        b.merge(&a);
        assert_eq!(
            b,
            Funnel {
                matched: 2,
                cancelled: 4,
                proactive: 6,
                accepted: 8,
                declined: 10,
                ignored: 12,
                expired: 14,
                no_availability: 16
            }
        );
    }

    #[test]
    fn tallies_combine() {
        let mut a = Tally::default();
        a.add(TallyKey::new("btn", 0, Metric::Visits), 2);
        let mut b = Tally::default();
        b.add(TallyKey::new("btn", 0, Metric::Visits), 3);
        b.add(TallyKey::new("btn", HOUR_MS, Metric::Views), 1);
        a.merge(&b);
        assert_eq!(a.get("btn", 0, Metric::Visits), 5);
        assert_eq!(a.0.len(), 2);
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.as_str()), Some(m));
        }
    }
}

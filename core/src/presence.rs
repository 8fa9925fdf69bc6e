//! Operator presence (pure): online/offline activity intervals, channel membership, the
//! inactivity timeout, and the work shifts derived from the intervals.
//!
//! Every change of an operator's state online ↔ offline closes the current activity interval
//! and opens a new one with a fresh random `activity_id` (drawn by the caller). An online
//! operator with no activity for [`OPERATOR_INACTIVITY_MS`] is set offline and removed from
//! every channel. A work shift is the span from going online to going offline on one day; the
//! offline gaps inside it are its breaks. [`crate::dispatch`] owns one per operator.

use crate::ids::Millis;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// An online operator with no activity for this long is set offline (30 minutes).
pub const OPERATOR_INACTIVITY_MS: u64 = 30 * 60 * 1000;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Online,
    Offline,
}

/// One activity interval: a state held from `start` to `end` (open while `None`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub activity_id: String,
    pub state: State,
    pub start: Millis,
    pub end: Option<Millis>,
}

/// Why the operator went offline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfflineReason {
    /// They chose to.
    Manual,
    /// No activity for the inactivity timeout.
    Inactive,
}

/// What changed, for the caller to store and announce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The interval that ended (store its end).
    Closed(Interval),
    /// The interval that started (store it).
    Opened(Interval),
    Left {
        channel: String,
    },
    WentOffline(OfflineReason),
}

/// One operator's presence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    current: Interval,
    channels: BTreeSet<String>,
    last_activity: Millis,
}

impl Presence {
    /// A new operator, offline since `now`.
    pub fn new(now: Millis, activity_id: String) -> Self {
        Presence {
            current: Interval { activity_id, state: State::Offline, start: now, end: None },
            channels: BTreeSet::new(),
            last_activity: now,
        }
    }

    pub fn state(&self) -> State {
        self.current.state
    }
    pub fn current(&self) -> &Interval {
        &self.current
    }
    pub fn channels(&self) -> impl Iterator<Item = &str> {
        self.channels.iter().map(String::as_str)
    }
    pub fn is_online(&self) -> bool {
        self.current.state == State::Online
    }
    pub fn has_joined(&self, channel: &str) -> bool {
        self.channels.contains(channel)
    }
    pub fn last_activity(&self) -> Millis {
        self.last_activity
    }
    pub fn is_available_in(&self, channel: &str) -> bool {
        self.current.state == State::Online && self.channels.contains(channel)
    }

    /// The operator did something (a message, a click in the console) at `now`.
    pub fn touch(&mut self, now: Millis) {
        self.last_activity = self.last_activity.max(now);
    }

    /// Goes online or offline by hand. No change, no new interval.
    pub fn set_state(&mut self, state: State, now: Millis, activity_id: String) -> Vec<Change> {
        self.touch(now);
        if state == self.current.state {
            return Vec::new();
        }
        let mut changes = self.switch(state, now, activity_id);
        if state == State::Offline {
            changes.push(Change::WentOffline(OfflineReason::Manual));
        }
        changes
    }

    pub fn join(&mut self, channel: &str, now: Millis) -> bool {
        self.touch(now);
        self.channels.insert(channel.to_owned())
    }

    pub fn leave(&mut self, channel: &str, now: Millis) -> bool {
        self.touch(now);
        self.channels.remove(channel)
    }

    /// When [`Presence::handle_alarm`] must run: the inactivity deadline while online.
    pub fn next_deadline(&self, inactivity_ms: u64) -> Option<Millis> {
        (self.current.state == State::Online).then(|| Millis(self.last_activity.0.saturating_add(inactivity_ms)))
    }

    /// The alarm fired at `now`: an operator inactive for `inactivity_ms` goes offline and
    /// leaves every channel.
    pub fn handle_alarm(&mut self, now: Millis, inactivity_ms: u64, activity_id: String) -> Vec<Change> {
        match self.next_deadline(inactivity_ms) {
            Some(deadline) if now >= deadline => {
                let mut changes = self.switch(State::Offline, now, activity_id);
                changes.extend(std::mem::take(&mut self.channels).into_iter().map(|channel| Change::Left { channel }));
                changes.push(Change::WentOffline(OfflineReason::Inactive));
                changes
            }
            _ => Vec::new(),
        }
    }

    fn switch(&mut self, state: State, now: Millis, activity_id: String) -> Vec<Change> {
        let mut closed = self.current.clone();
        closed.end = Some(now.max(closed.start));
        self.current = Interval { activity_id, state, start: now, end: None };
        vec![Change::Closed(closed), Change::Opened(self.current.clone())]
    }
}

/// A work shift (spec: "the span from an operator's going online to going offline for the
/// day; breaks are the offline gaps inside it"): the operator's online intervals that *begin*
/// on one local day, from the first one's start to the last one's end, with the gaps between
/// them as breaks. A shift belongs to the day it began: a night shift going online at 22:00
/// and offline at 02:00 is one shift of the first day (it is not split at midnight). The one
/// definition every report uses (ratings, agent performance, working time).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shift {
    pub start: Millis,
    pub end: Millis,
    /// Offline gaps between two online intervals of the shift.
    pub breaks: Vec<(Millis, Millis)>,
}

impl Shift {
    pub fn pause_count(&self) -> usize {
        self.breaks.len()
    }
    pub fn pause_total_ms(&self) -> u64 {
        self.breaks.iter().map(|(a, b)| b.0 - a.0).sum()
    }
    /// Time online: the shift less its breaks.
    pub fn online_ms(&self) -> u64 {
        (self.end.0 - self.start.0) - self.pause_total_ms()
    }
}

/// Derives the work shifts of one operator from their intervals (any order; offline ones are
/// ignored: the breaks are the gaps between online ones), local days being UTC +
/// `utc_offset_ms` (a fixed offset; for a zone with DST use [`work_shifts_of`] with the
/// zone's days). See [`work_shifts_of`].
pub fn work_shifts(intervals: &[Interval], now: Millis, utc_offset_ms: i64) -> Vec<Shift> {
    work_shifts_of(
        intervals.iter().filter(|i| i.state == State::Online).map(|i| (i.start.0, i.end.map(|e| e.0))),
        now.0,
        |t| (t as i64 + utc_offset_ms).div_euclid(DAY_MS),
    )
}

/// The work shifts of one operator from the `(start, end)` of their *online* intervals (ms, any
/// order; `end` `None` while it lasts: it counts up to `now`), ordered by start. `day_of` gives
/// the local day number of an instant (e.g. `ms / DAY` for UTC, or the report zone's date):
/// intervals beginning on the same day form one shift. Empty intervals are dropped.
pub fn work_shifts_of(
    online: impl IntoIterator<Item = (u64, Option<u64>)>,
    now: u64,
    day_of: impl Fn(u64) -> i64,
) -> Vec<Shift> {
    let mut spans: Vec<(u64, u64)> =
        online.into_iter().map(|(a, b)| (a, b.unwrap_or(now).max(a))).filter(|(a, b)| b > a).collect();
    spans.sort_unstable();
    let mut shifts: Vec<(i64, Shift)> = Vec::new();
    for (a, b) in spans {
        let day = day_of(a);
        match shifts.last_mut() {
            Some((d, s)) if *d == day => {
                if a > s.end.0 {
                    s.breaks.push((s.end, Millis(a)));
                }
                s.end = s.end.max(Millis(b));
            }
            _ => shifts.push((day, Shift { start: Millis(a), end: Millis(b), breaks: Vec::new() })),
        }
    }
    shifts.into_iter().map(|(_, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;
    const HOUR: u64 = 60 * MIN;

    fn id(n: u32) -> String {
        format!("a_{n}")
    }

    #[test]
    fn each_state_change_opens_a_new_interval() {
        let mut p = Presence::new(Millis(0), id(0));
        assert_eq!(p.set_state(State::Offline, Millis(5), id(1)), vec![], "no change, no interval");
        let ch = p.set_state(State::Online, Millis(10), id(2));
        assert_eq!(
            ch,
            vec![
                Change::Closed(Interval {
                    activity_id: id(0),
                    state: State::Offline,
                    start: Millis(0),
                    end: Some(Millis(10))
                }),
                Change::Opened(Interval { activity_id: id(2), state: State::Online, start: Millis(10), end: None }),
            ]
        );
        let ch = p.set_state(State::Offline, Millis(20), id(3));
        assert_eq!(ch.last(), Some(&Change::WentOffline(OfflineReason::Manual)));
        assert_eq!(p.current().activity_id, id(3));
    }

    #[test]
    fn inactive_operator_goes_offline_and_leaves_channels() {
        let mut p = Presence::new(Millis(0), id(0));
        p.set_state(State::Online, Millis(0), id(1));
        p.join("sales", Millis(0));
        p.join("support", Millis(0));
        assert!(p.is_available_in("sales"));
        p.touch(Millis(10 * MIN));
        assert_eq!(p.next_deadline(OPERATOR_INACTIVITY_MS), Some(Millis(40 * MIN)));
        assert_eq!(p.handle_alarm(Millis(40 * MIN - 1), OPERATOR_INACTIVITY_MS, id(2)), vec![], "early alarm");
        let ch = p.handle_alarm(Millis(40 * MIN), OPERATOR_INACTIVITY_MS, id(2));
        assert!(ch.contains(&Change::Left { channel: "sales".into() }));
        assert!(ch.contains(&Change::Left { channel: "support".into() }));
        assert_eq!(ch.last(), Some(&Change::WentOffline(OfflineReason::Inactive)));
        assert_eq!(p.state(), State::Offline);
        assert_eq!(p.channels().count(), 0);
        assert_eq!(p.next_deadline(OPERATOR_INACTIVITY_MS), None, "offline operators have no deadline");
    }

    fn online(n: u32, start: u64, end: Option<u64>) -> Interval {
        Interval { activity_id: id(n), state: State::Online, start: Millis(start), end: end.map(Millis) }
    }

    #[test]
    fn shifts_and_breaks_from_intervals() {
        let day = 24 * HOUR;
        let iv = [
            online(1, 9 * HOUR, Some(12 * HOUR)),
            Interval {
                activity_id: id(2),
                state: State::Offline,
                start: Millis(12 * HOUR),
                end: Some(Millis(13 * HOUR)),
            },
            online(3, 13 * HOUR, Some(15 * HOUR)),
            online(4, 15 * HOUR + 30 * MIN, Some(17 * HOUR)),
            // Next day, still open at `now`.
            online(5, day + 8 * HOUR, None),
        ];
        let shifts = work_shifts(&iv, Millis(day + 10 * HOUR), 0);
        assert_eq!(shifts.len(), 2);
        assert_eq!((shifts[0].start, shifts[0].end), (Millis(9 * HOUR), Millis(17 * HOUR)));
        assert_eq!(shifts[0].pause_count(), 2);
        assert_eq!(shifts[0].pause_total_ms(), HOUR + 30 * MIN);
        assert_eq!(shifts[0].online_ms(), 6 * HOUR + 30 * MIN);
        assert_eq!((shifts[1].start, shifts[1].end), (Millis(day + 8 * HOUR), Millis(day + 10 * HOUR)));
        assert!(shifts[1].breaks.is_empty());
    }

    #[test]
    fn a_night_shift_belongs_to_the_day_it_began() {
        // 22:00–02:00 UTC is one night shift of the first day, not split at midnight.
        let iv = [online(1, 22 * HOUR, Some(26 * HOUR))];
        let s = work_shifts(&iv, Millis(30 * HOUR), 0);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].start, s[0].end), (Millis(22 * HOUR), Millis(26 * HOUR)));
        // Back online at 03:00 UTC: a new day began, so a new shift (in UTC)…
        let iv = [online(1, 22 * HOUR, Some(26 * HOUR)), online(2, 27 * HOUR, Some(28 * HOUR))];
        assert_eq!(work_shifts(&iv, Millis(30 * HOUR), 0).len(), 2);
        // …but in UTC−5 both began on the same local day (17:00 and 22:00): one shift, a break.
        let s = work_shifts(&iv, Millis(30 * HOUR), -5 * HOUR as i64);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].breaks, vec![(Millis(26 * HOUR), Millis(27 * HOUR))]);
        assert_eq!(s[0].online_ms(), 5 * HOUR);
        // The same through days given by the caller.
        let day = 24 * HOUR;
        let minus5 = |t: u64| (t as i64 - 5 * HOUR as i64).div_euclid(day as i64);
        let spans = [(22 * HOUR, Some(26 * HOUR)), (27 * HOUR, Some(28 * HOUR))];
        assert_eq!(work_shifts_of(spans, 30 * HOUR, minus5), s);
        // An interval still open ends now.
        let open = work_shifts_of([(27 * HOUR, None)], 29 * HOUR, |t| (t / day) as i64);
        assert_eq!(open[0].end, Millis(29 * HOUR));
    }

    #[test]
    fn empty_and_zero_length_intervals() {
        assert!(work_shifts(&[], Millis(0), 0).is_empty());
        assert!(work_shifts(&[online(1, 5, Some(5))], Millis(9), 0).is_empty());
    }
}

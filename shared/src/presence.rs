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

/// A work shift: first online to last offline within one day, with the offline gaps inside.
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// Derives the work shifts of one operator from their intervals (any order). An interval
/// still open counts up to `now`. Online time is split at local midnight, where local time is
/// UTC + `utc_offset_ms` (the account's time zone offset), so a shift never spans two days.
pub fn work_shifts(intervals: &[Interval], now: Millis, utc_offset_ms: i64) -> Vec<Shift> {
    let mut online: Vec<(u64, u64)> = intervals
        .iter()
        .filter(|i| i.state == State::Online)
        .map(|i| (i.start.0, i.end.unwrap_or(now).0.max(i.start.0)))
        .filter(|(a, b)| b > a)
        .collect();
    online.sort_unstable();
    let day_of = |t: u64| (t as i64 + utc_offset_ms).div_euclid(DAY_MS);
    // Split at local midnights.
    let mut pieces: Vec<(u64, u64)> = Vec::new();
    for (mut a, b) in online {
        while day_of(a) != day_of(b - 1) {
            let next_midnight = ((day_of(a) + 1) * DAY_MS - utc_offset_ms) as u64;
            pieces.push((a, next_midnight));
            a = next_midnight;
        }
        pieces.push((a, b));
    }
    let mut shifts: Vec<Shift> = Vec::new();
    for (a, b) in pieces {
        match shifts.last_mut() {
            Some(s) if day_of(s.start.0) == day_of(a) => {
                if a > s.end.0 {
                    s.breaks.push((s.end, Millis(a)));
                }
                s.end = s.end.max(Millis(b));
            }
            _ => shifts.push(Shift { start: Millis(a), end: Millis(b), breaks: Vec::new() }),
        }
    }
    shifts
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
    fn shifts_split_at_local_midnight() {
        // 22:00–02:00 UTC is one night; in UTC+3 it is 01:00–05:00 of one local day.
        let iv = [online(1, 22 * HOUR, Some(26 * HOUR))];
        let utc = work_shifts(&iv, Millis(30 * HOUR), 0);
        assert_eq!(utc.len(), 2);
        assert_eq!((utc[0].end, utc[1].start), (Millis(24 * HOUR), Millis(24 * HOUR)));
        let plus3 = work_shifts(&iv, Millis(30 * HOUR), 3 * HOUR as i64);
        assert_eq!(plus3.len(), 1);
        // UTC−5: 22:00 UTC is 17:00 local, 02:00 UTC is 21:00 local: one shift.
        let minus5 = work_shifts(&iv, Millis(30 * HOUR), -5 * HOUR as i64);
        assert_eq!(minus5.len(), 1);
    }

    #[test]
    fn empty_and_zero_length_intervals() {
        assert!(work_shifts(&[], Millis(0), 0).is_empty());
        assert!(work_shifts(&[online(1, 5, Some(5))], Millis(9), 0).is_empty());
    }
}

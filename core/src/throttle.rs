//! Flood limits (pure): which public door may be passed how often, decided from counts and
//! the time given in.
//!
//! Two shapes of limit:
//! - a **fixed window** per door and subject ([`Door`], [`Window`]): the edge counts the
//!   requests of one key (`chat_address:203.0.113.9`) in the window that `now` falls in (a
//!   request may weigh more than one: an events batch counts its events) and asks
//!   [`Window::verdict`] with the count *including* this request; a refusal carries how long
//!   until the window ends (`Retry-After`). At a window's edge a client may get up to twice the
//!   limit in a short time; the limits are sized with that in mind.
//! - a **token bucket** ([`Bucket`]) for frames on one socket and a visitor's messages: `burst`
//!   tokens refilled at `per_sec` a second.
//!
//! Every default lives in `parley_protocol::limits`; deployments change a door with
//! `PARLEY_LIMIT_<DOOR>="MAX/SECONDS"` ([`Door::variable`], parsed by [`crate::config`]).

use serde::{Deserialize, Serialize};

use crate::ids::Millis;
use crate::limits;

/// A fixed-window limit: at most `max` requests in each window of `window_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub max: u32,
    pub window_ms: u64,
}

/// A refused request: come back after this many milliseconds (at least one second once
/// rounded up for `Retry-After`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    pub retry_after_ms: u64,
}

impl Refused {
    /// `Retry-After` in whole seconds, rounded up (never 0).
    pub fn retry_after_secs(self) -> u64 {
        self.retry_after_ms.div_ceil(1000).max(1)
    }
}

impl Window {
    pub const fn of((max, window_ms): (u32, u64)) -> Window {
        Window { max, window_ms }
    }

    /// The start of the window `now` falls in (the counter's key together with the door's).
    pub fn start(self, now: Millis) -> u64 {
        let w = self.window_ms.max(1);
        now.0 - now.0 % w
    }

    /// The verdict for a request that is the `count`-th of its key in the current window.
    pub fn verdict(self, count: u64, now: Millis) -> Result<(), Refused> {
        if count <= u64::from(self.max) {
            return Ok(());
        }
        let end = self.start(now) + self.window_ms.max(1);
        Err(Refused { retry_after_ms: end - now.0 })
    }

    /// Parses `"MAX/SECONDS"` (both above 0), e.g. `"5/600"`.
    pub fn parse(s: &str) -> Option<Window> {
        let (m, secs) = s.trim().split_once('/')?;
        let max: u32 = m.trim().parse().ok()?;
        let secs: u64 = secs.trim().parse().ok()?;
        (max > 0 && secs > 0).then_some(Window { max, window_ms: secs.checked_mul(1000)? })
    }
}

/// A door with a fixed-window limit, and whose requests it counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Door {
    /// New chats of one visitor.
    ChatVisitor,
    /// New chats from one client address.
    ChatAddress,
    /// New chats in one channel.
    ChatChannel,
    /// Offline messages of one visitor.
    OfflineVisitor,
    /// Offline messages from one client address.
    OfflineAddress,
    /// Events of one visitor (each event of a batch counts).
    EventsVisitor,
    /// Events from one client address (each event of a batch counts).
    EventsAddress,
    /// Reads of one public report link.
    ReportLink,
    /// Reads of public report links from one client address.
    ReportAddress,
}

impl Door {
    pub const ALL: [Door; 9] = [
        Door::ChatVisitor,
        Door::ChatAddress,
        Door::ChatChannel,
        Door::OfflineVisitor,
        Door::OfflineAddress,
        Door::EventsVisitor,
        Door::EventsAddress,
        Door::ReportLink,
        Door::ReportAddress,
    ];

    /// The door's name in counter keys and in its variable.
    pub const fn name(self) -> &'static str {
        match self {
            Door::ChatVisitor => "chat_visitor",
            Door::ChatAddress => "chat_address",
            Door::ChatChannel => "chat_channel",
            Door::OfflineVisitor => "offline_visitor",
            Door::OfflineAddress => "offline_address",
            Door::EventsVisitor => "events_visitor",
            Door::EventsAddress => "events_address",
            Door::ReportLink => "report_link",
            Door::ReportAddress => "report_address",
        }
    }

    /// The variable that changes this door's window (`PARLEY_LIMIT_CHAT_VISITOR`…).
    pub const fn variable(self) -> &'static str {
        match self {
            Door::ChatVisitor => "PARLEY_LIMIT_CHAT_VISITOR",
            Door::ChatAddress => "PARLEY_LIMIT_CHAT_ADDRESS",
            Door::ChatChannel => "PARLEY_LIMIT_CHAT_CHANNEL",
            Door::OfflineVisitor => "PARLEY_LIMIT_OFFLINE_VISITOR",
            Door::OfflineAddress => "PARLEY_LIMIT_OFFLINE_ADDRESS",
            Door::EventsVisitor => "PARLEY_LIMIT_EVENTS_VISITOR",
            Door::EventsAddress => "PARLEY_LIMIT_EVENTS_ADDRESS",
            Door::ReportLink => "PARLEY_LIMIT_REPORT_LINK",
            Door::ReportAddress => "PARLEY_LIMIT_REPORT_ADDRESS",
        }
    }

    /// The default window, from `parley_protocol::limits`.
    pub const fn default_window(self) -> Window {
        Window::of(match self {
            Door::ChatVisitor => limits::CHATS_PER_VISITOR,
            Door::ChatAddress => limits::CHATS_PER_ADDRESS,
            Door::ChatChannel => limits::CHATS_PER_CHANNEL,
            Door::OfflineVisitor => limits::OFFLINE_PER_VISITOR,
            Door::OfflineAddress => limits::OFFLINE_PER_ADDRESS,
            Door::EventsVisitor => limits::EVENTS_PER_VISITOR,
            Door::EventsAddress => limits::EVENTS_PER_ADDRESS,
            Door::ReportLink => limits::REPORT_READS_PER_LINK,
            Door::ReportAddress => limits::REPORT_READS_PER_ADDRESS,
        })
    }

    /// The counter's key for `subject` (a visitor id, an address, a channel id, a link id).
    pub fn key(self, subject: &str) -> String {
        format!("{}:{subject}", self.name())
    }

    /// The refusal's words (the code is `rate_limited`).
    pub const fn message(self) -> &'static str {
        match self {
            Door::ChatVisitor | Door::ChatAddress => "too many new chats; try again later",
            Door::ChatChannel => "this channel is starting too many chats; try again later",
            Door::OfflineVisitor | Door::OfflineAddress => "too many messages left; try again later",
            Door::EventsVisitor | Door::EventsAddress => "too many events; try again later",
            Door::ReportLink | Door::ReportAddress => "this report was read too often; try again later",
        }
    }
}

/// The windows of every door (defaults, changed by the deployment's settings).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    windows: [Window; Door::ALL.len()],
}

impl Default for Limits {
    fn default() -> Self {
        Limits { windows: Door::ALL.map(Door::default_window) }
    }
}

impl Limits {
    pub fn window(&self, door: Door) -> Window {
        self.windows[door as usize]
    }
    pub fn set(&mut self, door: Door, window: Window) {
        self.windows[door as usize] = window;
    }

    /// The first refusal among `counts` (door, count including this request), with the longest
    /// wait of the refused doors: the request passes only when every door lets it.
    pub fn verdict(&self, counts: &[(Door, u64)], now: Millis) -> Result<(), (Door, Refused)> {
        let mut worst: Option<(Door, Refused)> = None;
        for &(door, count) in counts {
            if let Err(r) = self.window(door).verdict(count, now) {
                if worst.is_none_or(|(_, w)| r.retry_after_ms > w.retry_after_ms) {
                    worst = Some((door, r));
                }
            }
        }
        worst.map_or(Ok(()), Err)
    }
}

/// Fixed-window counters held in memory, for a door counted where its requests already meet
/// (the events doors, in the visitor's tally shard: no storage on the acknowledged path). The
/// same verdicts as the stored counters: each request counts its weight in the window `now`
/// falls in, refused or not, and passes when every door lets it. At most
/// `limits::MAX_MEMORY_COUNTERS` keys are kept: past that the counters of ended windows are
/// dropped, then (a flood of distinct subjects) all of them.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    /// (door, subject) → (window start, weight counted in it).
    hits: std::collections::HashMap<(Door, String), (u64, u64)>,
}

impl Counters {
    /// Counts a request of `weight` at each `(door, subject)` and answers the verdict.
    pub fn admit(
        &mut self,
        limits: &Limits,
        doors: &[(Door, &str)],
        weight: u64,
        now: Millis,
    ) -> Result<(), (Door, Refused)> {
        if self.hits.len() + doors.len() > limits::MAX_MEMORY_COUNTERS {
            self.hits.retain(|(door, _), (start, _)| *start == limits.window(*door).start(now));
            if self.hits.len() + doors.len() > limits::MAX_MEMORY_COUNTERS {
                self.hits.clear();
            }
        }
        let counted: Vec<(Door, u64)> = doors
            .iter()
            .map(|&(door, subject)| {
                let start = limits.window(door).start(now);
                let slot = self.hits.entry((door, subject.to_owned())).or_insert((start, 0));
                if slot.0 != start {
                    *slot = (start, 0);
                }
                slot.1 += weight;
                (door, slot.1)
            })
            .collect();
        limits.verdict(&counted, now)
    }

    /// How many keys are held.
    pub fn len(&self) -> usize {
        self.hits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }
}

/// The client address a request is counted under: `CF-Connecting-IP`, which Cloudflare sets on
/// every request from the connection itself (a client cannot forge it there). `None` — the
/// address doors do not count — when it is absent or a loopback address: only a local
/// `wrangler dev` sees such requests (its own tests and tools), and end-to-end tests play other
/// addresses by sending the header, which `wrangler dev` keeps.
pub fn address_of(cf_connecting_ip: Option<&str>) -> Option<String> {
    let ip = cf_connecting_ip.map(str::trim).filter(|ip| !ip.is_empty() && ip.len() <= 64)?;
    let loopback = ip.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback());
    (!loopback).then(|| ip.to_ascii_lowercase())
}

/// How long a participant refused for too many open sockets waits before trying again.
pub const SOCKETS_RETRY_MS: u64 = 10_000;

/// Whether one more socket may open on a conversation that has `open` sockets.
pub fn admit_socket(open: usize) -> Result<(), Refused> {
    if open < limits::MAX_SOCKETS_PER_CONVERSATION {
        Ok(())
    } else {
        Err(Refused { retry_after_ms: SOCKETS_RETRY_MS })
    }
}

// ---------------------------------------------------------------------------------------------
// Token buckets.

/// A rate: a bucket of `burst` tokens refilled at `per_sec` tokens a second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub per_sec: u32,
}

impl Rate {
    /// Parses `"BURST/PER_SEC"`, e.g. `"20/2"`. Both must be positive.
    pub fn parse(s: &str) -> Option<Rate> {
        let (b, r) = s.trim().split_once('/')?;
        let rate = Rate { burst: b.trim().parse().ok()?, per_sec: r.trim().parse().ok()? };
        (rate.burst > 0 && rate.per_sec > 0).then_some(rate)
    }

    /// The larger of both in each part (a bucket never stricter than `other`).
    pub fn at_least(self, other: Rate) -> Rate {
        Rate { burst: self.burst.max(other.burst), per_sec: self.per_sec.max(other.per_sec) }
    }
}

/// A bucket's budget, in thousandths of a token, and when it was last refilled. Plain data, so
/// it can ride on a socket's attachment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    milli: u64,
    at: Millis,
}

impl Bucket {
    /// A full bucket at `now`.
    pub fn full(rate: Rate, now: Millis) -> Bucket {
        Bucket { milli: u64::from(rate.burst) * 1000, at: now }
    }

    /// Takes one token, refilled for the time since last use; a refusal says when the next
    /// token comes. A refused take changes nothing but the refill.
    pub fn take(&mut self, rate: Rate, now: Millis) -> Result<(), Refused> {
        let cap = u64::from(rate.burst) * 1000;
        let refill = now.0.saturating_sub(self.at.0).saturating_mul(u64::from(rate.per_sec));
        self.milli = self.milli.saturating_add(refill).min(cap);
        self.at = Millis(self.at.0.max(now.0));
        if self.milli >= 1000 {
            self.milli -= 1000;
            Ok(())
        } else {
            let per_sec = u64::from(rate.per_sec.max(1));
            Err(Refused { retry_after_ms: (1000 - self.milli).div_ceil(per_sec) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;

    #[test]
    fn a_window_lets_max_requests_through_then_says_when_it_ends() {
        let w = Window { max: 3, window_ms: 10 * MIN };
        let t = Millis(10 * MIN * 7 + 4 * MIN);
        assert_eq!(w.start(t), 70 * MIN);
        for n in 1..=3 {
            assert_eq!(w.verdict(n, t), Ok(()), "request {n}");
        }
        let r = w.verdict(4, t).unwrap_err();
        assert_eq!(r.retry_after_ms, 6 * MIN);
        assert_eq!(r.retry_after_secs(), 360);
        // The next window starts afresh (the edge counts per window start).
        assert_eq!(w.start(Millis(80 * MIN)), 80 * MIN);
        assert_eq!(Refused { retry_after_ms: 1 }.retry_after_secs(), 1);
        assert_eq!(Refused { retry_after_ms: 0 }.retry_after_secs(), 1);
        assert_eq!(Refused { retry_after_ms: 1001 }.retry_after_secs(), 2);
    }

    #[test]
    fn every_door_has_its_default_name_and_variable() {
        let l = Limits::default();
        assert_eq!(l.window(Door::ChatVisitor), Window { max: 5, window_ms: 10 * MIN });
        assert_eq!(l.window(Door::ChatAddress), Window::of(limits::CHATS_PER_ADDRESS));
        assert_eq!(l.window(Door::ReportAddress), Window::of(limits::REPORT_READS_PER_ADDRESS));
        let mut names = std::collections::HashSet::new();
        for (i, d) in Door::ALL.into_iter().enumerate() {
            assert_eq!(d as usize, i, "ALL is in declaration order");
            assert!(names.insert(d.name()));
            assert_eq!(l.window(d), d.default_window());
            assert_eq!(d.variable(), format!("PARLEY_LIMIT_{}", d.name().to_ascii_uppercase()));
            assert!(d.default_window().max > 0 && d.default_window().window_ms >= 1000, "{d:?}");
        }
        assert_eq!(Door::ChatChannel.variable(), "PARLEY_LIMIT_CHAT_CHANNEL");
        assert_eq!(Door::ChatAddress.key("203.0.113.9"), "chat_address:203.0.113.9");
    }

    #[test]
    fn the_request_passes_only_when_every_door_lets_it() {
        let mut l = Limits::default();
        l.set(Door::ChatVisitor, Window { max: 1, window_ms: MIN });
        l.set(Door::ChatAddress, Window { max: 2, window_ms: 10 * MIN });
        let t = Millis(30_000);
        assert_eq!(l.verdict(&[(Door::ChatVisitor, 1), (Door::ChatAddress, 2)], t), Ok(()));
        assert_eq!(
            l.verdict(&[(Door::ChatVisitor, 2), (Door::ChatAddress, 2)], t),
            Err((Door::ChatVisitor, Refused { retry_after_ms: 30_000 }))
        );
        // Both refuse: the longer wait is told.
        assert_eq!(
            l.verdict(&[(Door::ChatVisitor, 2), (Door::ChatAddress, 3)], t),
            Err((Door::ChatAddress, Refused { retry_after_ms: 10 * MIN - 30_000 }))
        );
    }

    #[test]
    fn memory_counters_give_the_stored_counters_verdicts() {
        let mut limits = Limits::default();
        limits.set(Door::EventsVisitor, Window { max: 200, window_ms: MIN });
        limits.set(Door::EventsAddress, Window { max: 300, window_ms: MIN });
        let mut c = Counters::default();
        let t = Millis(100 * MIN + 10_000);
        let doors = [(Door::EventsVisitor, "v_1"), (Door::EventsAddress, "203.0.113.9")];
        for n in 1..=4 {
            assert_eq!(c.admit(&limits, &doors, 50, t), Ok(()), "batch {n}");
        }
        let (door, r) = c.admit(&limits, &doors, 1, t).unwrap_err();
        assert_eq!((door, r.retry_after_ms), (Door::EventsVisitor, 50_000), "the 201st event");
        // Another visitor from the same address goes on until the address's 300 (the refused
        // event counted there too, as a stored counter does).
        assert_eq!(
            c.admit(&limits, &[(Door::EventsVisitor, "v_2"), (Door::EventsAddress, "203.0.113.9")], 99, t),
            Ok(())
        );
        let (door, _) =
            c.admit(&limits, &[(Door::EventsVisitor, "v_3"), (Door::EventsAddress, "203.0.113.9")], 1, t).unwrap_err();
        assert_eq!(door, Door::EventsAddress);
        // The next window starts afresh.
        assert_eq!(c.admit(&limits, &doors, 200, Millis(101 * MIN)), Ok(()));
        assert_eq!(c.admit(&limits, &doors, 1, Millis(101 * MIN)).unwrap_err().0, Door::EventsVisitor);
    }

    #[test]
    fn memory_counters_are_bounded_dropping_ended_windows_first() {
        let limits = Limits::default();
        let mut c = Counters::default();
        let t = Millis(100 * MIN);
        for i in 0..limits::MAX_MEMORY_COUNTERS {
            c.admit(&limits, &[(Door::EventsVisitor, &format!("v_{i}"))], 1, t).unwrap();
        }
        assert_eq!(c.len(), limits::MAX_MEMORY_COUNTERS);
        // Still in the same window: a new subject makes room by dropping them all.
        c.admit(&limits, &[(Door::EventsVisitor, "v_new")], 1, t).unwrap();
        assert_eq!(c.len(), 1);
        // A key of an ended window goes first, the current ones stay.
        c.admit(&limits, &[(Door::EventsVisitor, "v_new")], 199, t).unwrap();
        let later = Millis(t.0 + 2 * MIN);
        for i in 0..limits::MAX_MEMORY_COUNTERS - 1 {
            c.admit(&limits, &[(Door::EventsVisitor, &format!("w_{i}"))], 1, later).unwrap();
        }
        assert_eq!(c.len(), limits::MAX_MEMORY_COUNTERS);
        c.admit(&limits, &[(Door::EventsVisitor, "w_last")], 1, later).unwrap();
        assert_eq!(c.len(), limits::MAX_MEMORY_COUNTERS, "v_new's ended window was dropped, nothing else");
    }

    #[test]
    fn windows_parse_max_and_seconds() {
        assert_eq!(Window::parse("5/600"), Some(Window { max: 5, window_ms: 600_000 }));
        assert_eq!(Window::parse(" 2 / 1 "), Some(Window { max: 2, window_ms: 1000 }));
        for bad in ["", "5", "0/10", "5/0", "-1/10", "a/b", "5/10/2"] {
            assert_eq!(Window::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn addresses_come_from_cf_connecting_ip_and_local_ones_are_not_counted() {
        assert_eq!(address_of(Some("203.0.113.9")).as_deref(), Some("203.0.113.9"));
        assert_eq!(address_of(Some(" 2001:DB8::1 ")).as_deref(), Some("2001:db8::1"));
        for local in [None, Some(""), Some("127.0.0.1"), Some("::1"), Some(&*"x".repeat(65))] {
            assert_eq!(address_of(local), None, "{local:?}");
        }
    }

    #[test]
    fn a_conversation_takes_its_most_sockets() {
        let max = limits::MAX_SOCKETS_PER_CONVERSATION;
        assert_eq!(admit_socket(0), Ok(()));
        assert_eq!(admit_socket(max - 1), Ok(()));
        assert_eq!(admit_socket(max), Err(Refused { retry_after_ms: SOCKETS_RETRY_MS }));
        assert_eq!(admit_socket(max + 5).unwrap_err().retry_after_secs(), 10);
    }

    #[test]
    fn a_bucket_gives_its_burst_then_one_token_per_refill() {
        let rate = Rate { burst: 3, per_sec: 2 };
        let mut b = Bucket::full(rate, Millis(0));
        for _ in 0..3 {
            assert_eq!(b.take(rate, Millis(0)), Ok(()));
        }
        assert_eq!(b.take(rate, Millis(0)), Err(Refused { retry_after_ms: 500 }));
        assert_eq!(b.take(rate, Millis(250)), Err(Refused { retry_after_ms: 250 }));
        assert_eq!(b.take(rate, Millis(500)), Ok(()));
        // Never more than the burst, however long it rested.
        let mut b2 = b;
        for _ in 0..3 {
            assert_eq!(b2.take(rate, Millis(1_000_000)), Ok(()));
        }
        assert!(b2.take(rate, Millis(1_000_000)).is_err());
        // A clock that goes back does not refill.
        assert!(b2.take(rate, Millis(10)).is_err());
    }

    #[test]
    fn rates_parse_and_fold() {
        assert_eq!(Rate::parse("20/2"), Some(Rate { burst: 20, per_sec: 2 }));
        assert_eq!(Rate::parse("0/2"), None);
        assert_eq!(Rate::parse("2"), None);
        let socket = Rate { burst: 40, per_sec: 5 };
        assert_eq!(socket.at_least(Rate { burst: 20, per_sec: 2 }), socket);
        assert_eq!(
            socket.at_least(Rate { burst: 100_000, per_sec: 100_000 }),
            Rate { burst: 100_000, per_sec: 100_000 }
        );
    }
}

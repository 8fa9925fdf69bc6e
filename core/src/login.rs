//! Login throttling and console-session lifetimes, as pure decisions (time passed in).
//!
//! - [`Throttle`]: a sliding window of attempts per key (a username, a client address). The
//!   edge records an attempt *before* it checks the password, then asks for the
//!   [`Verdict`] over every attempt of the key inside the window — so parallel attempts are
//!   counted too (each sees at least its predecessors) — and forgets the attempt again when it
//!   was refused (a refused attempt does not extend the lock) or succeeded.
//! - [`address_key`], [`username_key`]: the keys (an IPv6 address counts by its /64, which
//!   one machine gets for free).
//! - [`SessionTimes`]: when a console session is live (absolute end and idle timeout), when its
//!   last activity is worth writing, and [`SocketCheck`]: when an operator's open socket must
//!   look its session up again.

use std::net::IpAddr;

use crate::limits::{
    LOGIN_MAX_ATTEMPTS_PER_ADDRESS, LOGIN_MAX_ATTEMPTS_PER_USERNAME, LOGIN_WINDOW_MS, SESSION_IDLE_MS,
    SESSION_RECHECK_MS, SESSION_TOUCH_MS,
};

/// At most `max` attempts per key within `window_ms` (sliding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttle {
    pub max: u32,
    pub window_ms: u64,
}

/// Whether an attempt may go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Refused; the key is free again in `retry_after_ms` (at least 1 s when sent as
    /// `Retry-After`: see [`Verdict::retry_after_secs`]).
    Refuse {
        retry_after_ms: u64,
    },
}

impl Verdict {
    /// The `Retry-After` header's value: whole seconds, rounded up, at least 1.
    pub fn retry_after_secs(self) -> Option<u64> {
        match self {
            Verdict::Allow => None,
            Verdict::Refuse { retry_after_ms } => Some(retry_after_ms.div_ceil(1000).max(1)),
        }
    }

    /// The stricter of two verdicts (the longer wait).
    pub fn and(self, other: Verdict) -> Verdict {
        match (self, other) {
            (Verdict::Allow, v) | (v, Verdict::Allow) => v,
            (Verdict::Refuse { retry_after_ms: a }, Verdict::Refuse { retry_after_ms: b }) => {
                Verdict::Refuse { retry_after_ms: a.max(b) }
            }
        }
    }
}

impl Throttle {
    /// Per username: [`LOGIN_MAX_ATTEMPTS_PER_USERNAME`] in [`LOGIN_WINDOW_MS`].
    pub const USERNAME: Throttle = Throttle { max: LOGIN_MAX_ATTEMPTS_PER_USERNAME, window_ms: LOGIN_WINDOW_MS };
    /// Per client address: [`LOGIN_MAX_ATTEMPTS_PER_ADDRESS`] in [`LOGIN_WINDOW_MS`].
    pub const ADDRESS: Throttle = Throttle { max: LOGIN_MAX_ATTEMPTS_PER_ADDRESS, window_ms: LOGIN_WINDOW_MS };

    /// Attempts at or before this time are outside the window at `now` (and may be purged).
    pub fn cutoff(self, now: u64) -> u64 {
        now.saturating_sub(self.window_ms)
    }

    /// The verdict on the attempt just recorded, given the times of the key's attempts
    /// (`attempts`, in any order, the new one included). Times at or before
    /// [`Throttle::cutoff`] are ignored. Allowed while the attempts in the window are at most
    /// `max`; otherwise the wait until enough of the older ones leave the window for this one
    /// to fit.
    pub fn verdict(self, attempts: &[u64], now: u64) -> Verdict {
        let cutoff = self.cutoff(now);
        let mut live: Vec<u64> = attempts.iter().copied().filter(|&t| t > cutoff).collect();
        if live.len() as u64 <= u64::from(self.max) {
            return Verdict::Allow;
        }
        live.sort_unstable();
        // The earlier attempts (all but this one) must drop to `max - 1`: the one that has to
        // leave is the (len - max)-th oldest.
        let must_leave = live[live.len() - self.max as usize - 1];
        let free_at = must_leave + self.window_ms;
        Verdict::Refuse { retry_after_ms: free_at.saturating_sub(now).max(1) }
    }
}

/// The throttle key of a username (as logins look it up: trimmed, lower case).
pub fn username_key(username: &str) -> String {
    format!("u:{}", username.trim().to_lowercase())
}

/// The throttle key of a client address (`CF-Connecting-IP`): an IPv4 address as is, an
/// IPv6 address by its /64 (one machine gets a whole /64). Without a readable address (local
/// development: no Cloudflare in front) every request shares the key `a:local`.
pub fn address_key(address: Option<&str>) -> String {
    match address.map(str::trim).and_then(|a| a.parse::<IpAddr>().ok()) {
        Some(IpAddr::V4(v4)) => format!("a:{v4}"),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("a:{v4}"),
            None => {
                let s = v6.segments();
                format!("a:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "a:local".to_owned(),
    }
}

/// A console session's times (ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionTimes {
    pub created_at: u64,
    pub expires_at: u64,
    /// The last request or socket frame written for it (0: none since it was created).
    pub last_seen_at: u64,
}

impl SessionTimes {
    /// The last activity known (its creation when nothing was written since).
    pub fn last_activity(self) -> u64 {
        self.last_seen_at.max(self.created_at)
    }

    /// When the session ends if nothing happens: its absolute end or [`SESSION_IDLE_MS`]
    /// after its last activity, whichever is first.
    pub fn valid_until(self) -> u64 {
        self.expires_at.min(self.last_activity().saturating_add(SESSION_IDLE_MS))
    }

    /// Whether the session is live at `now`.
    pub fn live(self, now: u64) -> bool {
        now < self.valid_until()
    }

    /// Whether a use at `now` should be written as its last activity (at most every
    /// [`SESSION_TOUCH_MS`], so a busy console does not write at every request).
    pub fn should_touch(self, now: u64) -> bool {
        now >= self.last_activity().saturating_add(SESSION_TOUCH_MS)
    }

    /// Sessions whose last activity is at or before this time are idle-expired at `now`
    /// (what the purge deletes, with those past `expires_at`).
    pub fn idle_cutoff(now: u64) -> u64 {
        now.saturating_sub(SESSION_IDLE_MS)
    }
}

/// What an operator's open socket knows of its session without asking the database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SocketCheck {
    /// When the session was last looked up (0: never).
    pub checked_at: u64,
    /// Until when that lookup said it is valid.
    pub valid_until: u64,
    /// A revocation (logout, disabled operator, password change) reached the socket.
    pub revoked: bool,
}

/// What an operator frame needs before it counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketVerdict {
    /// Trusted from memory.
    Valid,
    /// Look the session up again (then [`SocketCheck::looked_up`]).
    Recheck,
    /// The session has ended: refuse the frame and close the socket.
    Ended,
}

impl SocketCheck {
    /// The check of a socket opened at `now` for a session valid until `valid_until`.
    pub fn opened(now: u64, valid_until: u64) -> SocketCheck {
        SocketCheck { checked_at: now, valid_until, revoked: false }
    }

    /// Whether a frame at `now` is trusted, needs a lookup, or is refused. A lookup is due
    /// [`SESSION_RECHECK_MS`] after the last one, and whenever the remembered validity ran out
    /// (activity elsewhere may have extended the session).
    pub fn verdict(self, now: u64) -> SocketVerdict {
        if self.revoked {
            SocketVerdict::Ended
        } else if now >= self.valid_until || now >= self.checked_at.saturating_add(SESSION_RECHECK_MS) {
            SocketVerdict::Recheck
        } else {
            SocketVerdict::Valid
        }
    }

    /// After a lookup at `now`: `Some(valid_until)` when the session is live.
    pub fn looked_up(self, now: u64, valid_until: Option<u64>) -> SocketCheck {
        match valid_until {
            Some(until) if now < until => SocketCheck { checked_at: now, valid_until: until, revoked: self.revoked },
            _ => SocketCheck { checked_at: now, valid_until: 0, revoked: true },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;

    #[test]
    fn the_window_allows_max_attempts_then_refuses_until_the_oldest_leaves() {
        let t = Throttle { max: 3, window_ms: 10 * MIN };
        let now = 100 * MIN;
        assert_eq!(t.verdict(&[now], now), Verdict::Allow);
        assert_eq!(t.verdict(&[now - 3 * MIN, now - MIN, now], now), Verdict::Allow);
        // The fourth within ten minutes: wait until the one 9 minutes old leaves (1 minute).
        let v = t.verdict(&[now - 9 * MIN, now - 3 * MIN, now - MIN, now], now);
        assert_eq!(v, Verdict::Refuse { retry_after_ms: MIN });
        assert_eq!(v.retry_after_secs(), Some(60));
        // Attempts outside the window do not count; the order does not matter.
        assert_eq!(t.verdict(&[now, now - 10 * MIN, now - 20 * MIN, now - MIN, now - 2 * MIN], now), Verdict::Allow);
        // More than one too many (parallel attempts): the wait is for the one that makes room.
        let v = t.verdict(&[now - 8 * MIN, now - 7 * MIN, now - 2 * MIN, now - MIN, now], now);
        assert_eq!(v, Verdict::Refuse { retry_after_ms: 3 * MIN });
    }

    #[test]
    fn the_login_throttles_use_the_limits() {
        let now = 1_000_000_000;
        let user: Vec<u64> = (0..=u64::from(LOGIN_MAX_ATTEMPTS_PER_USERNAME)).map(|i| now - i).collect();
        assert_eq!(Throttle::USERNAME.verdict(&user[1..], now), Verdict::Allow, "exactly the limit");
        let v = Throttle::USERNAME.verdict(&user, now);
        assert!(matches!(v, Verdict::Refuse { retry_after_ms } if retry_after_ms > LOGIN_WINDOW_MS - 100));
        let addr: Vec<u64> = (0..=u64::from(LOGIN_MAX_ATTEMPTS_PER_ADDRESS)).map(|i| now - i).collect();
        assert_eq!(Throttle::ADDRESS.verdict(&addr[1..], now), Verdict::Allow);
        assert!(matches!(Throttle::ADDRESS.verdict(&addr, now), Verdict::Refuse { .. }));
        assert_eq!(Throttle::USERNAME.cutoff(now), now - LOGIN_WINDOW_MS);
    }

    #[test]
    fn retry_after_is_whole_seconds_at_least_one() {
        assert_eq!(Verdict::Refuse { retry_after_ms: 1 }.retry_after_secs(), Some(1));
        assert_eq!(Verdict::Refuse { retry_after_ms: 1_001 }.retry_after_secs(), Some(2));
        assert_eq!(Verdict::Allow.retry_after_secs(), None);
        let a = Verdict::Refuse { retry_after_ms: 5 };
        let b = Verdict::Refuse { retry_after_ms: 9 };
        assert_eq!(a.and(b), b);
        assert_eq!(Verdict::Allow.and(a), a);
        assert_eq!(a.and(Verdict::Allow), a);
        assert_eq!(Verdict::Allow.and(Verdict::Allow), Verdict::Allow);
    }

    #[test]
    fn addresses_and_usernames_become_keys() {
        assert_eq!(address_key(Some("203.0.113.7")), "a:203.0.113.7");
        assert_eq!(address_key(Some(" 203.0.113.7 ")), "a:203.0.113.7");
        assert_eq!(address_key(Some("2001:db8:1:2:3:4:5:6")), "a:2001:db8:1:2::/64");
        assert_eq!(address_key(Some("2001:db8:1:2:ffff::1")), address_key(Some("2001:db8:1:2::9")), "same /64");
        assert_ne!(address_key(Some("2001:db8:1:3::1")), address_key(Some("2001:db8:1:2::1")));
        assert_eq!(address_key(Some("::ffff:198.51.100.1")), "a:198.51.100.1");
        assert_eq!(address_key(None), "a:local");
        assert_eq!(address_key(Some("not an address")), "a:local");
        assert_eq!(username_key("  Dana "), "u:dana");
    }

    #[test]
    fn sessions_end_at_their_ttl_or_after_idling() {
        let s = SessionTimes { created_at: 1_000, expires_at: 1_000 + 12 * 60 * MIN, last_seen_at: 0 };
        assert_eq!(s.last_activity(), 1_000);
        assert_eq!(s.valid_until(), 1_000 + SESSION_IDLE_MS);
        assert!(s.live(1_000 + SESSION_IDLE_MS - 1));
        assert!(!s.live(1_000 + SESSION_IDLE_MS));
        // Used a while ago: alive until an idle period after that use, never past the TTL.
        let used = SessionTimes { last_seen_at: s.expires_at - 10 * MIN, ..s };
        assert_eq!(used.valid_until(), s.expires_at);
        assert!(!used.live(s.expires_at));
        assert!(!s.should_touch(1_000 + SESSION_TOUCH_MS - 1));
        assert!(s.should_touch(1_000 + SESSION_TOUCH_MS));
        assert_eq!(SessionTimes::idle_cutoff(SESSION_IDLE_MS + 5), 5);
    }

    #[test]
    fn an_operator_socket_trusts_memory_between_lookups() {
        let c = SocketCheck::opened(0, 30 * MIN);
        assert_eq!(c.verdict(1), SocketVerdict::Valid);
        assert_eq!(c.verdict(SESSION_RECHECK_MS - 1), SocketVerdict::Valid);
        assert_eq!(c.verdict(SESSION_RECHECK_MS), SocketVerdict::Recheck, "a lookup a minute");
        let short = SocketCheck::opened(0, 10);
        assert_eq!(short.verdict(10), SocketVerdict::Recheck, "the remembered validity ran out");
        let again = c.looked_up(SESSION_RECHECK_MS, Some(40 * MIN));
        assert_eq!(again.verdict(SESSION_RECHECK_MS + 1), SocketVerdict::Valid);
        let gone = c.looked_up(SESSION_RECHECK_MS, None);
        assert_eq!(gone.verdict(SESSION_RECHECK_MS + 1), SocketVerdict::Ended);
        assert_eq!(c.looked_up(50, Some(50)).verdict(51), SocketVerdict::Ended, "expired at the lookup");
        let revoked = SocketCheck { revoked: true, ..c };
        assert_eq!(revoked.verdict(1), SocketVerdict::Ended);
        assert_eq!(SocketCheck::default().verdict(0), SocketVerdict::Recheck, "an old socket looks up first");
    }
}

//! When to send typing indicators: `typing: true` at most every [`TYPING_REFRESH_MS`] while
//! keys are pressed, `typing: false` after [`TYPING_IDLE_MS`] without one or when the message
//! is sent. Pure: the caller passes the time and sends what it is told.

use crate::ids::Millis;
use crate::limits::{TYPING_IDLE_MS, TYPING_REFRESH_MS};

#[derive(Clone, Debug, Default)]
pub struct TypingThrottle {
    on: bool,
    last_sent: Millis,
    last_input: Millis,
}

impl TypingThrottle {
    /// A key was pressed at `now`: `Some(true)` when an indicator must be sent.
    pub fn input(&mut self, now: Millis) -> Option<bool> {
        self.last_input = now;
        if !self.on || now.0.saturating_sub(self.last_sent.0) >= TYPING_REFRESH_MS {
            self.on = true;
            self.last_sent = now;
            return Some(true);
        }
        None
    }

    /// Check again at `now` (call [`TYPING_IDLE_MS`] after an input): `Some(false)` when the
    /// typist went idle.
    pub fn tick(&mut self, now: Millis) -> Option<bool> {
        (self.on && now.0.saturating_sub(self.last_input.0) >= TYPING_IDLE_MS).then(|| {
            self.on = false;
            false
        })
    }

    /// Whether the others are being shown "typing".
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// The message was sent: `Some(false)` if the others still see "typing".
    pub fn sent(&mut self) -> Option<bool> {
        self.on.then(|| {
            self.on = false;
            false
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_and_expires() {
        let mut t = TypingThrottle::default();
        assert_eq!(t.input(Millis(1_000)), Some(true));
        assert_eq!(t.input(Millis(1_500)), None);
        assert_eq!(t.input(Millis(2_999)), None);
        assert_eq!(t.input(Millis(3_000)), Some(true), "refreshed every 2 s while typing");
        assert_eq!(t.tick(Millis(5_999)), None);
        assert_eq!(t.tick(Millis(6_000)), Some(false), "idle for 3 s");
        assert_eq!(t.tick(Millis(9_000)), None, "said once");
        assert_eq!(t.sent(), None);
        assert_eq!(t.input(Millis(9_100)), Some(true));
        assert_eq!(t.sent(), Some(false));
        assert_eq!(t.tick(Millis(20_000)), None);
    }
}

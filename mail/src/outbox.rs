//! The outbox's rules, pure (the edge's `mail_out` carries them out over D1 and the `send_email`
//! binding): every mail is queued under an idempotency key, so a repeated cause (a resent
//! offline form, a redelivered request, a second scheduled run) queues nothing new; a mail is
//! sent at most [`parley_protocol::limits::MAIL_PER_RECIPIENT`] times an hour per recipient;
//! a failed send is retried with a doubling backoff and given up after
//! [`parley_protocol::limits::MAIL_MAX_ATTEMPTS`].

use parley_protocol::limits::{
    MAIL_MAX_ATTEMPTS, MAIL_PER_RECIPIENT, MAIL_RECIPIENT_WINDOW_SECS, MAIL_RETRY_FIRST_MS, MAIL_RETRY_MAX_MS,
};

/// The outbox row of a mail for one recipient: its cause's key and the recipient (a mail to
/// several notification addresses is one row each, sent and retried on its own).
pub fn row_key(key: &str, recipient: &str) -> String {
    format!("{key}|{}", recipient.trim().to_ascii_lowercase())
}

/// The Message-ID of a queued mail (without angle brackets), from its row key: the same mail
/// has the same id at every retry, two mails never share one.
pub fn message_id(row_key: &str, domain: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(row_key.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{hex}@{domain}")
}

/// What happens to a mail being queued, given how many mails its recipient was sent (or has
/// queued) since [`window_start`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    Send,
    /// Over the recipient's limit: kept (so a repeat is still recognised) but never sent.
    Limited,
}

pub fn admit(recent_for_recipient: u32) -> Admit {
    if recent_for_recipient < MAIL_PER_RECIPIENT {
        Admit::Send
    } else {
        Admit::Limited
    }
}

/// The start of the recipient's window at `now_ms`.
pub fn window_start(now_ms: u64) -> u64 {
    now_ms.saturating_sub(MAIL_RECIPIENT_WINDOW_SECS * 1_000)
}

/// After a failed send (`attempts` made so far, ≥ 1): when to try again, or `None` to give up.
pub fn retry_at(now_ms: u64, attempts: u32) -> Option<u64> {
    if attempts >= MAIL_MAX_ATTEMPTS {
        return None;
    }
    let shift = attempts.saturating_sub(1).min(20);
    Some(now_ms + (MAIL_RETRY_FIRST_MS << shift).min(MAIL_RETRY_MAX_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipient_gets_at_most_its_limit_per_window() {
        assert_eq!(admit(0), Admit::Send);
        assert_eq!(admit(MAIL_PER_RECIPIENT - 1), Admit::Send);
        assert_eq!(admit(MAIL_PER_RECIPIENT), Admit::Limited);
        assert_eq!(window_start(10_000_000), 10_000_000 - MAIL_RECIPIENT_WINDOW_SECS * 1_000);
    }

    #[test]
    fn failed_sends_back_off_doubling_then_give_up() {
        assert_eq!(retry_at(0, 1), Some(MAIL_RETRY_FIRST_MS));
        assert_eq!(retry_at(0, 2), Some(2 * MAIL_RETRY_FIRST_MS));
        assert_eq!(retry_at(0, 3), Some(4 * MAIL_RETRY_FIRST_MS));
        assert!(retry_at(0, MAIL_MAX_ATTEMPTS - 1).unwrap() <= MAIL_RETRY_MAX_MS);
        assert_eq!(retry_at(0, MAIL_MAX_ATTEMPTS), None);
    }

    #[test]
    fn a_message_id_is_the_row_keys_alone() {
        assert_eq!(message_id("offline/a|x@y.z", "m.example"), message_id("offline/a|x@y.z", "m.example"));
        assert_ne!(message_id("offline/a|x@y.z", "m.example"), message_id("offline/b|x@y.z", "m.example"));
        assert!(message_id("k", "m.example").ends_with("@m.example"));
    }

    #[test]
    fn a_row_key_is_the_cause_and_the_recipient_case_folded() {
        assert_eq!(row_key("offline/om_1", " Ops@Example.com"), "offline/om_1|ops@example.com");
    }
}

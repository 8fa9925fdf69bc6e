//! The transcript of one conversation as the console holds it: stored messages in sequence
//! order, followed by the operator's own messages still waiting for their `ack`.

use leptos::prelude::{ArcRwSignal, GetUntracked, Set};
use parley_shared::limits::UNSENT_AFTER_MS;
use parley_shared::protocol::{Author, MessageView, Role};

/// Whether a reply sent at `since` and still unacknowledged at `now` (both milliseconds since
/// the epoch) has waited longer than [`UNSENT_AFTER_MS`] (the widget's threshold too). A clock
/// that runs behind the send time never counts.
pub fn is_stale(since: f64, now: f64) -> bool {
    now - since > UNSENT_AFTER_MS as f64
}

/// One line of the transcript.
#[derive(Clone)]
pub struct Line {
    pub client_id: String,
    /// `None` until the server has stored it.
    pub seq: Option<u64>,
    pub author: Author,
    pub text: String,
    /// Milliseconds since the epoch.
    pub at: f64,
    /// Sent by this console and not yet acknowledged.
    pub pending: ArcRwSignal<bool>,
}

impl Line {
    /// A message this console just sent.
    pub fn outgoing(client_id: String, author: Author, text: String, at: f64) -> Self {
        Line { client_id, seq: None, author, text, at, pending: ArcRwSignal::new(true) }
    }

    fn stored(m: MessageView) -> Self {
        Line {
            client_id: m.client_id,
            seq: Some(m.seq),
            author: m.author,
            text: m.text,
            at: m.at.0 as f64,
            pending: ArcRwSignal::new(false),
        }
    }

    /// Identity for keyed rendering: stable from sending to acknowledgement.
    pub fn key(&self) -> (Role, String) {
        (self.author.role, self.client_id.clone())
    }
}

/// Adds a stored message, or confirms the line it already is (our own, or a replay).
pub fn merge(lines: &mut Vec<Line>, m: MessageView) {
    let existing = lines
        .iter_mut()
        .find(|l| l.seq == Some(m.seq) || (l.client_id == m.client_id && l.author.role == m.author.role));
    match existing {
        Some(line) => {
            line.seq = Some(m.seq);
            line.at = m.at.0 as f64;
            line.author = m.author;
            line.text = m.text;
            line.pending.set(false);
        }
        None => lines.push(Line::stored(m)),
    }
    order(lines);
}

/// Marks our message `client_id` as stored under `seq`. Returns whether it was known.
pub fn ack(lines: &mut [Line], client_id: &str, seq: u64, at: u64) -> bool {
    let Some(line) = lines.iter_mut().find(|l| l.author.role == Role::Operator && l.client_id == client_id) else {
        return false;
    };
    line.seq = Some(seq);
    line.at = at as f64;
    line.pending.set(false);
    order(lines);
    true
}

/// Whether any of our own lines still waits for its `ack`.
pub fn any_pending(lines: &[Line]) -> bool {
    lines.iter().any(|l| l.pending.get_untracked())
}

/// How many lines the server has stored (pending ones are not counted yet).
pub fn stored_count(lines: &[Line]) -> u64 {
    lines.iter().filter(|l| l.seq.is_some()).count() as u64
}

/// Stored lines by sequence number, then pending ones in the order they were sent.
fn order(lines: &mut [Line]) {
    lines.sort_by_key(|l| l.seq.unwrap_or(u64::MAX));
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_shared::Millis;

    fn stored(seq: u64, id: &str, role: Role, text: &str) -> MessageView {
        MessageView {
            seq,
            client_id: id.into(),
            author: Author { role, name: "x".into() },
            text: text.into(),
            at: Millis(seq * 10),
        }
    }

    fn me() -> Author {
        Author { role: Role::Operator, name: "Ann".into() }
    }

    fn seqs(lines: &[Line]) -> Vec<Option<u64>> {
        lines.iter().map(|l| l.seq).collect()
    }

    #[test]
    fn replays_are_stored_once_and_in_order() {
        let mut lines = Vec::new();
        merge(&mut lines, stored(2, "b", Role::Visitor, "two"));
        merge(&mut lines, stored(1, "a", Role::Visitor, "one"));
        merge(&mut lines, stored(2, "b", Role::Visitor, "two"));
        assert_eq!(seqs(&lines), vec![Some(1), Some(2)]);
    }

    #[test]
    fn own_message_is_pending_until_acked() {
        let mut lines = vec![Line::outgoing("m1".into(), me(), "hi".into(), 5.0)];
        merge(&mut lines, stored(1, "v1", Role::Visitor, "hello"));
        assert_eq!(seqs(&lines), vec![Some(1), None]);
        assert_eq!(stored_count(&lines), 1);
        assert!(lines[1].pending.get_untracked());
        assert!(ack(&mut lines, "m1", 2, 20));
        assert!(!lines[1].pending.get_untracked());
        assert_eq!(seqs(&lines), vec![Some(1), Some(2)]);
        assert_eq!(stored_count(&lines), 2);
        // The broadcast of the same message does not duplicate it.
        merge(&mut lines, stored(2, "m1", Role::Operator, "hi"));
        assert_eq!(lines.len(), 2);
        assert!(!ack(&mut lines, "unknown", 3, 30));
    }

    #[test]
    fn replies_go_stale_after_eight_seconds() {
        assert!(!is_stale(1_000.0, 1_000.0));
        assert!(!is_stale(1_000.0, 9_000.0));
        assert!(is_stale(1_000.0, 9_001.0));
        assert!(is_stale(1_000.0, 600_000.0));
        // A clock behind the send time, or no time at all, is not "too long".
        assert!(!is_stale(9_000.0, 1_000.0));
        assert!(!is_stale(f64::NAN, 9_000.0));
    }

    #[test]
    fn any_pending_follows_acks() {
        let mut lines = vec![Line::outgoing("m1".into(), me(), "hi".into(), 5.0)];
        assert!(any_pending(&lines));
        ack(&mut lines, "m1", 1, 10);
        assert!(!any_pending(&lines));
        assert!(!any_pending(&[]));
    }

    #[test]
    fn broadcast_before_ack_confirms_the_line() {
        let mut lines = vec![Line::outgoing("m1".into(), me(), "hi".into(), 5.0)];
        merge(&mut lines, stored(4, "m1", Role::Operator, "hi"));
        assert_eq!(lines.len(), 1);
        assert!(!lines[0].pending.get_untracked());
        assert_eq!(lines[0].seq, Some(4));
    }
}

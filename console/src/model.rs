//! The transcript of one conversation as the console renders it: the chat core's lines
//! (`parley_chat_client`: stored messages in sequence order, then the operator's own replies
//! still waiting for their `ack`), each with a signal saying whether it still waits, so a keyed
//! list re-renders only what changed.

use std::collections::HashMap;

use leptos::prelude::{ArcRwSignal, GetUntracked, Set};
use parley_client::{Delivery, Session};
use parley_protocol::protocol::{AttachmentView, Author, Role};

/// Whether a reply sent at `since` and still unacknowledged at `now` (both milliseconds since
/// the epoch) has waited too long (the core's rule, the widget's too). A clock that runs behind
/// the send time, or no time at all, never counts.
pub fn is_stale(since: f64, now: f64) -> bool {
    since.is_finite() && now.is_finite() && parley_client::is_stale(since as u64, now as u64)
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
    /// The file it carries (issue 21).
    pub attachment: Option<AttachmentView>,
}

impl Line {
    /// Identity for keyed rendering: stable from sending to acknowledgement.
    pub fn key(&self) -> (Role, String) {
        (self.author.role, self.client_id.clone())
    }
}

/// Makes `lines` show the session's transcript (refused replies are reported, not listed);
/// a line keeps its `pending` signal from one call to the next. Whether anything changed.
pub fn sync(lines: &mut Vec<Line>, session: &Session) -> bool {
    let shown = session.lines().iter().filter(|l| !matches!(l.delivery, Delivery::Refused(..)));
    let same = shown.clone().count() == lines.len()
        && shown.clone().zip(lines.iter()).all(|(l, old)| {
            old.seq == l.seq
                && old.client_id == l.client_id
                && old.author == l.author
                && old.pending.get_untracked() == (l.delivery == Delivery::Sending)
        });
    if same {
        return false;
    }
    let mut signals: HashMap<(Role, String), ArcRwSignal<bool>> =
        lines.drain(..).map(|l| (l.key(), l.pending)).collect();
    for l in shown {
        let waits = l.delivery == Delivery::Sending;
        let pending = match signals.remove(&(l.author.role, l.client_id.clone())) {
            Some(signal) => {
                if signal.get_untracked() != waits {
                    signal.set(waits);
                }
                signal
            }
            None => ArcRwSignal::new(waits),
        };
        lines.push(Line {
            client_id: l.client_id.clone(),
            seq: l.seq,
            author: l.author.clone(),
            text: l.text.clone(),
            at: l.at as f64,
            pending,
            attachment: l.attachment.clone(),
        });
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::protocol::{MessageView, OperatorMsg as ServerMsg};
    use parley_protocol::Millis;

    fn stored(seq: u64, id: &str, role: Role, text: &str) -> MessageView {
        MessageView {
            seq,
            client_id: id.into(),
            author: Author { role, name: "x".into() },
            text: text.into(),
            at: Millis(seq * 10),
            attachment: None,
        }
    }

    fn me() -> Author {
        Author { role: Role::Operator, name: "Ann".into() }
    }

    fn seqs(lines: &[Line]) -> Vec<Option<u64>> {
        lines.iter().map(|l| l.seq).collect()
    }

    #[test]
    fn lines_follow_the_session_and_keep_their_signals() {
        let mut session = Session::new(me(), Vec::new());
        session.opened();
        let mut lines = Vec::new();
        assert!(!sync(&mut lines, &session));
        session.send_text("m1".into(), "hi".into(), 5);
        assert!(sync(&mut lines, &session));
        assert!(any_pending(&lines));
        let signal = lines[0].pending.clone();
        session.receive(&ServerMsg::Message { message: stored(1, "v1", Role::Visitor, "hello") }, 6);
        assert!(sync(&mut lines, &session));
        assert_eq!(seqs(&lines), vec![Some(1), None]);
        assert_eq!(stored_count(&lines), 1);
        assert!(!sync(&mut lines, &session), "nothing new: no re-render");
        session.receive(&ServerMsg::Ack { client_id: "m1".into(), seq: 2, at: Millis(20) }, 7);
        assert!(sync(&mut lines, &session));
        assert_eq!(seqs(&lines), vec![Some(1), Some(2)]);
        assert!(!signal.get_untracked(), "the same signal, now false");
        assert!(!any_pending(&lines));
        // A refused reply is reported, not listed.
        session.send_text("m2".into(), "no".into(), 8);
        session.receive(
            &ServerMsg::Error {
                code: parley_protocol::protocol::ErrorCode::ConversationClosed,
                message: "closed".into(),
                client_id: Some("m2".into()),
            },
            9,
        );
        sync(&mut lines, &session);
        assert_eq!(lines.len(), 2);
        assert!(!any_pending(&[]));
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
}

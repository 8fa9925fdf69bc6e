//! When a conversation's D1 copy is written (issue 19): off the message path, coalesced, one at
//! a time. Pure: the edge's object tells the plan what changed and when, asks it whether to
//! start a copy now, and arms its one alarm at [`CopyPlan::due`].
//!
//! - A message (or a change of the meta that reports only show) makes a copy due
//!   [`CONVERSATION_COPY_INTERVAL_MS`] after the first change not copied yet: a burst of
//!   messages is one copy, and a busy conversation writes D1 at most once per interval.
//! - A recorded event (creation, an operator joining, the first answer, an assignment or a
//!   transfer, the close) makes it due at once: the console's lists and the reports see those
//!   without waiting.
//! - One copy runs at a time ([`CopyPlan::start`] answers false while one runs): a change made
//!   meanwhile waits for the next, which starts from the markers the running one moved, so no
//!   message is copied twice by racing copies.

use super::Effect;
use crate::ids::Millis;
use crate::limits::CONVERSATION_COPY_INTERVAL_MS;

/// How soon a change must reach D1 (`Soon < Now`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    /// Within [`CONVERSATION_COPY_INTERVAL_MS`] (messages, pages, presence).
    Soon,
    /// At once (a recorded event: assignment, transfer, close…).
    Now,
}

/// What the effects of one input ask of the D1 copy: `Now` when they record an event, `Soon`
/// when they store a message or change the meta, `None` when D1 has nothing new to learn.
pub fn urgency(effects: &[Effect]) -> Option<Urgency> {
    let mut out = None;
    for e in effects {
        match e {
            Effect::Record(_) => return Some(Urgency::Now),
            Effect::Store { .. } | Effect::SaveMeta(_) => out = Some(Urgency::Soon),
            _ => {}
        }
    }
    out
}

/// The object's plan of its D1 copies (in memory; what was copied is in its markers, and a
/// pending copy survives a restart through the alarm armed at [`CopyPlan::due`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CopyPlan {
    /// When the next copy must start (None: D1 has everything the plan was told of).
    due: Option<Millis>,
    /// A copy is under way.
    running: bool,
}

impl CopyPlan {
    /// Something D1 does not have changed at `now`.
    pub fn changed(&mut self, urgency: Urgency, now: Millis) {
        let at = match urgency {
            Urgency::Now => now,
            Urgency::Soon => Millis(now.0.saturating_add(CONVERSATION_COPY_INTERVAL_MS)),
        };
        // An earlier due time stands: later changes ride along with it.
        self.due = Some(self.due.map_or(at, |d| d.min(at)));
    }

    /// When a copy is due (the alarm), None when none is.
    pub fn due(&self) -> Option<Millis> {
        self.due
    }

    /// Whether a copy is under way.
    pub fn running(&self) -> bool {
        self.running
    }

    /// Whether to start a copy at `now` (then it is under way until [`CopyPlan::finished`]):
    /// when one is due by then and none is running. `force` (the alarm, a restart) starts one
    /// whenever none is running.
    pub fn start(&mut self, now: Millis, force: bool) -> bool {
        if self.running || !(force || self.due.is_some_and(|d| d <= now)) {
            return false;
        }
        self.running = true;
        self.due = None;
        true
    }

    /// The copy under way ended. When it failed, the object's retry (its backoff) brings the
    /// next; changes made meanwhile keep their due time.
    pub fn finished(&mut self) {
        self.running = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::{Event, EventKind, Notice, StoredMessage};
    use crate::protocol::{Author, MessageView, Role, ServerMsg};

    const I: u64 = CONVERSATION_COPY_INTERVAL_MS;

    fn store() -> Effect {
        let view = MessageView {
            seq: 1,
            client_id: "k".into(),
            author: Author { role: Role::Visitor, name: "V".into() },
            text: "hi".into(),
            at: Millis(1),
            attachment: None,
        };
        Effect::Store { message: StoredMessage { view, author_id: "v".into() }, bytes_through: 2 }
    }

    #[test]
    fn a_message_is_copied_soon_an_event_at_once_a_reply_never() {
        assert_eq!(urgency(&[store(), Effect::Reply(ServerMsg::Pong)]), Some(Urgency::Soon));
        let closed =
            Effect::Record(Event { at: Millis(5), kind: EventKind::Closed { by: super::super::ClosedBy::Visitor } });
        assert_eq!(urgency(&[store(), closed, Effect::Dispatch(Notice::Closed)]), Some(Urgency::Now));
        assert_eq!(urgency(&[Effect::Reply(ServerMsg::Pong), Effect::Broadcast(ServerMsg::Pong)]), None);
    }

    #[test]
    fn the_conversation_asks_for_messages_soon_and_for_assignment_transfer_and_close_at_once() {
        use crate::conversation::{Config, Connection, Conversation, Participant};
        use crate::dispatch::{Received, RouteUpdate};
        use crate::ids::{ConversationId, OperatorId};
        use crate::protocol::ClientMsg;
        let who = |role, id: &str| Connection {
            participant: Participant { role, id: id.into(), name: id.into() },
            greeted: true,
        };
        let (mut c, created) = Conversation::create(ConversationId("c".into()), Config::default(), Millis(0));
        assert_eq!(urgency(&created), Some(Urgency::Now), "created");
        let assigned = |name: &str, from: Option<&str>| RouteUpdate::Assigned {
            operator_id: OperatorId(name.into()),
            operator_name: name.into(),
            how: Received::Routed,
            from: from.map(|f| OperatorId(f.into())),
        };
        assert_eq!(urgency(&c.handle_route(assigned("o_1", None), Some(1), Millis(1))), Some(Urgency::Now), "assigned");
        let send = |id: &str| ClientMsg::Send { client_id: id.into(), text: "hi".into(), attachment: None };
        let v = who(Role::Visitor, "v_1");
        assert_eq!(urgency(&c.handle_client(&v, send("k1"), Millis(2))), Some(Urgency::Soon), "a message");
        assert_eq!(urgency(&c.handle_client(&v, send("k1"), Millis(3))), None, "a retried send: nothing new");
        assert_eq!(urgency(&c.handle_client(&v, ClientMsg::Ping, Millis(3))), None);
        let o = who(Role::Operator, "o_1");
        assert_eq!(urgency(&c.handle_client(&o, send("k2"), Millis(4))), Some(Urgency::Now), "the first answer");
        assert_eq!(urgency(&c.handle_client(&o, send("k3"), Millis(5))), Some(Urgency::Soon), "later answers");
        let transfer = c.handle_route(assigned("o_2", Some("o_1")), Some(2), Millis(6));
        assert_eq!(urgency(&transfer), Some(Urgency::Now), "a transfer");
        assert_eq!(urgency(&c.handle_client(&v, ClientMsg::End, Millis(7))), Some(Urgency::Now), "the close");
    }

    #[test]
    fn a_burst_of_messages_is_one_copy_an_interval_after_the_first() {
        let mut p = CopyPlan::default();
        assert_eq!(p.due(), None);
        p.changed(Urgency::Soon, Millis(1_000));
        for t in 1_001..1_500 {
            p.changed(Urgency::Soon, Millis(t));
            assert!(!p.start(Millis(t), false), "nothing is copied on the message path");
        }
        assert_eq!(p.due(), Some(Millis(1_000 + I)), "later messages ride along");
        assert!(!p.start(Millis(1_000 + I - 1), false));
        assert!(p.start(Millis(1_000 + I), false));
        assert_eq!(p.due(), None);
        p.finished();
        assert!(!p.start(Millis(1_000 + 2 * I), false), "nothing new: no copy");
    }

    #[test]
    fn a_busy_conversation_is_copied_at_most_once_an_interval() {
        let mut p = CopyPlan::default();
        let mut copies = Vec::new();
        // A message every 10 ms for ten intervals; each copy takes 50 ms.
        let mut running_until = None;
        for t in (0..10 * I).step_by(10) {
            let now = Millis(t);
            if running_until.is_some_and(|u| u <= t) {
                p.finished();
                running_until = None;
            }
            p.changed(Urgency::Soon, now);
            if p.start(now, false) {
                copies.push(t);
                running_until = Some(t + 50);
            }
        }
        assert!(copies.windows(2).all(|w| w[1] - w[0] >= I), "{copies:?}");
        assert_eq!(copies.len() as u64, 9, "{copies:?}");
    }

    #[test]
    fn an_event_is_copied_at_once_even_with_messages_pending() {
        let mut p = CopyPlan::default();
        p.changed(Urgency::Soon, Millis(0));
        p.changed(Urgency::Now, Millis(300));
        assert_eq!(p.due(), Some(Millis(300)));
        assert!(p.start(Millis(300), false), "the close, the assignment: at once");
        p.finished();
        p.changed(Urgency::Now, Millis(400));
        assert!(p.start(Millis(400), false));
    }

    #[test]
    fn one_copy_runs_at_a_time_and_what_changed_meanwhile_comes_next() {
        let mut p = CopyPlan::default();
        p.changed(Urgency::Now, Millis(0));
        assert!(p.start(Millis(0), false));
        // While it runs: a message and an event; neither starts a second copy.
        p.changed(Urgency::Soon, Millis(10));
        p.changed(Urgency::Now, Millis(20));
        assert!(!p.start(Millis(20), false));
        assert!(!p.start(Millis(20), true), "not even forced");
        assert!(p.running());
        p.finished();
        assert_eq!(p.due(), Some(Millis(20)));
        assert!(p.start(Millis(30), false), "the next copy takes what changed meanwhile");
    }

    #[test]
    fn the_alarm_forces_a_copy_when_none_runs() {
        let mut p = CopyPlan::default();
        assert!(p.start(Millis(0), true), "after a restart the plan knows nothing: the alarm copies");
        assert!(!p.start(Millis(0), true));
        p.finished();
        assert!(!p.start(Millis(0), false));
    }
}

//! Every case the end-to-end tests know, natively: reload mid-send, duplicate acks, refused
//! sends, rate limits, replay after reconnect, status changes, rating.

use super::*;
use parley_protocol::protocol::{encode_client, Hidden};

/// The frames a visitor's session reads.
type ServerMsg = parley_protocol::protocol::ServerMsg<Hidden>;

fn visitor() -> Author {
    Author { role: Role::Visitor, name: "Visitor".into() }
}

fn op(name: &str) -> Author {
    Author { role: Role::Operator, name: name.into() }
}

fn msg(seq: u64, id: &str, author: Author, text: &str) -> MessageView {
    MessageView { seq, client_id: id.into(), author, text: text.into(), at: Millis(seq * 100), attachment: None }
}

/// Built from its JSON: the same code whether or not `operator` frames are compiled in.
fn welcome_as(status: Status, history: Vec<MessageView>, you: Author, routing: Option<Routing>) -> ServerMsg {
    let last_seq = history.last().map_or(0, |m| m.seq);
    let json = serde_json::json!({
        "type": "welcome", "protocol": 3, "conversation_id": "c1", "status": status, "you": you,
        "history": history, "last_seq": last_seq, "routing": routing,
    });
    serde_json::from_value(json).unwrap()
}

fn welcome(status: Status, history: Vec<MessageView>) -> ServerMsg {
    welcome_as(status, history, visitor(), None)
}

fn ack(id: &str, seq: u64) -> ServerMsg {
    ServerMsg::Ack { client_id: id.into(), seq, at: Millis(seq * 100) }
}

fn sends(out: &Out) -> Vec<(String, String)> {
    out.send
        .iter()
        .filter_map(|m| match m {
            ClientMsg::Send { client_id, text, .. } => Some((client_id.clone(), text.clone())),
            _ => None,
        })
        .collect()
}

fn texts(s: &Session) -> Vec<(Option<u64>, &str, Delivery)> {
    s.lines().iter().map(|l| (l.seq, l.text.as_str(), l.delivery.clone())).collect()
}

/// A visitor session, connected and welcomed into a waiting chat with `history`.
fn live(history: Vec<MessageView>) -> Session {
    let mut s = Session::new(visitor(), Vec::new()).asking_rating(true);
    s.opened();
    s.receive(&welcome(Status::Waiting, history), 0);
    s
}

#[test]
fn hello_then_welcome_shows_history_in_order() {
    let mut s = Session::new(visitor(), Vec::new());
    assert_eq!(s.state(), ConnState::Connecting);
    let out = s.opened();
    assert_eq!(out.send, vec![hello(0)]);
    assert_eq!(out.events, vec![Event::State(ConnState::Open)]);
    let out =
        s.receive(&welcome(Status::Active, vec![msg(1, "a", visitor(), "hi"), msg(2, "b", op("Dana"), "hello")]), 5);
    assert_eq!(out.events, vec![Event::Welcome], "history is not announced as new messages");
    assert!(out.send.is_empty() && !out.save_outbox);
    assert_eq!(s.status(), Some(Status::Active));
    assert_eq!(s.last_seq(), 2);
    assert_eq!(s.stored_count(), 2);
    assert_eq!(s.last_operator(), Some("Dana"));
    assert_eq!(s.lines()[1].author, op("Dana"));
}

#[test]
fn a_message_goes_from_sending_to_stored_and_shows_once() {
    let mut s = live(vec![]);
    let out = s.send_text("m1".into(), "hello?".into(), 1_000);
    assert_eq!(sends(&out), vec![("m1".into(), "hello?".into())]);
    assert!(out.save_outbox);
    assert_eq!(s.outbox().len(), 1);
    assert_eq!(texts(&s), vec![(None, "hello?", Delivery::Sending)]);
    assert!(!s.lines()[0].is_stale(1_000 + UNSENT_AFTER_MS));
    assert!(s.lines()[0].is_stale(1_001 + UNSENT_AFTER_MS), "not sent yet after the limit");

    // The ack is all that comes back of it (protocol v2): it is stored, announced once (the
    // page's `message`), with the server's seq and time.
    let out = s.receive(&ack("m1", 1), 1_100);
    let m = msg(1, "m1", visitor(), "hello?");
    assert!(out.save_outbox);
    assert_eq!(out.events, vec![Event::Message(m.clone())]);
    assert!(s.outbox().is_empty());
    assert_eq!(texts(&s), vec![(Some(1), "hello?", Delivery::Stored)]);
    assert_eq!(s.lines()[0].at, 100, "the server's time");
    assert!(!s.lines()[0].is_stale(100_000));
    assert_eq!(s.last_seq(), 1);

    // Should a `message` frame of it come all the same (another tab's, a replay), it is one
    // line still and no news.
    let out = s.receive(&ServerMsg::Message { message: m.clone() }, 1_200);
    assert!(out.events.is_empty(), "already announced by its ack");
    assert!(!out.save_outbox);
    assert_eq!(s.lines().len(), 1);
    let out = s.receive(&welcome(Status::Active, vec![m]), 1_300);
    assert_eq!(out.events, vec![Event::Welcome]);
    assert_eq!(s.lines().len(), 1);
}

#[test]
fn our_ack_moves_the_last_seq_so_the_next_hello_skips_our_own_messages() {
    let mut s = live(vec![msg(1, "v1", visitor(), "one")]);
    s.receive(&ServerMsg::Message { message: msg(2, "o1", op("Dana"), "two") }, 10);
    // The server writes to a socket in order: what was stored before our message reached us
    // before its ack.
    s.send_text("m3".into(), "three".into(), 20);
    s.receive(&ack("m3", 3), 30);
    s.send_text("m4".into(), "four".into(), 40);
    s.receive(&ack("m4", 4), 50);
    assert_eq!(s.last_seq(), 4);
    s.dropped(0.3);
    assert_eq!(s.opened().send, vec![hello(4)]);
    let out = s.receive(&welcome(Status::Active, vec![]), 60);
    assert_eq!(out.events, vec![Event::Welcome]);
    assert!(out.send.is_empty(), "nothing left to resend");
    assert_eq!(texts(&s).iter().map(|t| t.0).collect::<Vec<_>>(), (1..=4).map(Some).collect::<Vec<_>>());
    // A late ack of an older retry does not move it back.
    s.receive(&ack("m3", 3), 70);
    assert_eq!(s.last_seq(), 4);
}

#[test]
fn duplicate_acks_change_nothing() {
    let mut s = live(vec![]);
    s.send_text("m1".into(), "one".into(), 10);
    s.send_text("m2".into(), "two".into(), 20);
    assert!(s.receive(&ack("m1", 1), 30).save_outbox);
    let before = s.lines().to_vec();
    let again = s.receive(&ack("m1", 1), 40);
    assert_eq!(again, Out::default(), "nothing to save, send or show");
    assert_eq!(s.lines(), &before[..]);
    assert_eq!(s.outbox().iter().map(|p| p.client_id.as_str()).collect::<Vec<_>>(), vec!["m2"]);
    // An ack of an id never sent here is ignored.
    assert_eq!(s.receive(&ack("zz", 9), 50), Out::default());
}

#[test]
fn broadcast_before_ack_confirms_the_line() {
    let mut s = live(vec![]);
    s.send_text("m1".into(), "hi".into(), 10);
    let m = msg(4, "m1", visitor(), "hi");
    let out = s.receive(&ServerMsg::Message { message: m.clone() }, 20);
    assert!(out.save_outbox, "stored: it leaves the outbox");
    assert_eq!(out.events, vec![Event::Message(m)]);
    assert!(s.outbox().is_empty());
    assert_eq!(texts(&s), vec![(Some(4), "hi", Delivery::Stored)]);
    assert_eq!(s.receive(&ack("m1", 4), 30), Out::default());
    assert_eq!(s.lines().len(), 1);
}

#[test]
fn stored_lines_come_first_then_ours_on_their_way() {
    let mut s = live(vec![msg(1, "v0", visitor(), "first")]);
    s.send_text("m1".into(), "mine".into(), 10);
    s.receive(&ServerMsg::Message { message: msg(2, "o1", op("Dana"), "reply") }, 20);
    assert_eq!(
        texts(&s),
        vec![
            (Some(1), "first", Delivery::Stored),
            (Some(2), "reply", Delivery::Stored),
            (None, "mine", Delivery::Sending)
        ]
    );
    s.receive(&ack("m1", 3), 30);
    assert_eq!(s.lines().iter().map(|l| l.seq).collect::<Vec<_>>(), vec![Some(1), Some(2), Some(3)]);
}

#[test]
fn reload_mid_send_restores_the_outbox_and_sends_it_once_after_welcome() {
    // Page 1: written while the socket never answers; the driver stores the outbox.
    let mut page1 = Session::new(visitor(), Vec::new());
    let out = page1.send_text("m2".into(), "written while unreachable".into(), 5_000);
    assert!(out.send.is_empty(), "nothing goes out while the socket is down");
    assert!(out.save_outbox);
    let stored: String = serde_jsonish(page1.outbox());

    // Page 2: the outbox comes back from storage and shows as on its way.
    let restored: Vec<Pending> = serde_json::from_str(&stored).unwrap();
    let mut s = Session::new(visitor(), restored);
    assert_eq!(texts(&s), vec![(None, "written while unreachable", Delivery::Sending)]);
    assert!(s.lines()[0].is_stale(5_001 + UNSENT_AFTER_MS), "its first send time is kept");
    let out = s.opened();
    assert_eq!(out.send, vec![hello(0)], "hello first, no send before the welcome");
    let out = s.receive(&welcome(Status::Active, vec![msg(1, "m1", visitor(), "first, delivered at once")]), 6_000);
    assert_eq!(sends(&out), vec![("m2".into(), "written while unreachable".into())], "sent once");
    let out = s.receive(&ack("m2", 2), 6_100);
    assert!(out.save_outbox && s.outbox().is_empty(), "nothing left to store");
    assert_eq!(
        texts(&s),
        vec![
            (Some(1), "first, delivered at once", Delivery::Stored),
            (Some(2), "written while unreachable", Delivery::Stored)
        ]
    );
    // Another welcome (a reconnect) sends nothing again.
    s.dropped(0.5);
    s.opened();
    assert!(sends(&s.receive(&welcome(Status::Active, vec![]), 7_000)).is_empty());
}

/// The outbox in the JSON shape the driver stores.
fn serde_jsonish(outbox: &[Pending]) -> String {
    let json = serde_json::to_string(outbox).unwrap();
    assert_eq!(json, r#"[{"client_id":"m2","text":"written while unreachable","since":5000}]"#);
    json
}

#[test]
fn the_outbox_is_resent_after_every_welcome_until_acked() {
    let mut s = live(vec![]);
    s.send_text("m1".into(), "a".into(), 1);
    s.send_text("m2".into(), "b".into(), 2);
    s.receive(&ack("m1", 1), 3);
    s.dropped(0.0);
    assert_eq!(s.state(), ConnState::Retrying);
    // Written while down: queued, not sent.
    assert!(s.send_text("m3".into(), "c".into(), 4).send.is_empty());
    s.opened();
    let out = s.receive(&welcome(Status::Waiting, vec![]), 5);
    assert_eq!(sends(&out).into_iter().map(|(id, _)| id).collect::<Vec<_>>(), vec!["m2", "m3"], "oldest first");
    s.dropped(0.0);
    s.opened();
    let out = s.receive(&welcome(Status::Waiting, vec![]), 6);
    assert_eq!(sends(&out).len(), 2, "again until acknowledged");
}

#[test]
fn replay_after_reconnect_asks_from_the_last_seq_and_adds_nothing_twice() {
    let mut s = live(vec![msg(1, "v1", visitor(), "one")]);
    s.receive(&ServerMsg::Message { message: msg(2, "o1", op("Dana"), "two") }, 10);
    // Our message was stored but the socket dropped before its ack came.
    s.send_text("m3".into(), "three".into(), 20);
    assert_eq!(s.last_seq(), 2);
    s.dropped(0.3);
    let out = s.opened();
    assert_eq!(out.send, vec![hello(2)]);
    // The server replays what came after 2, overlapping what we hold.
    let out = s.receive(
        &welcome(
            Status::Active,
            vec![msg(2, "o1", op("Dana"), "two"), msg(3, "o2", op("Dana"), "missed"), msg(4, "m3", visitor(), "three")],
        ),
        40,
    );
    assert_eq!(out.events, vec![Event::Welcome]);
    assert!(out.send.is_empty(), "ours was in the replay: it left the outbox, nothing is resent");
    assert!(s.outbox().is_empty());
    assert_eq!(s.lines().iter().map(|l| l.seq).collect::<Vec<_>>(), vec![Some(1), Some(2), Some(3), Some(4)]);
    assert_eq!(s.lines()[2].text, "missed");
    assert_eq!(s.last_seq(), 4);
    // A late broadcast of a replayed message is no news.
    assert!(s.receive(&ServerMsg::Message { message: msg(3, "o2", op("Dana"), "missed") }, 50).events.is_empty());
    assert_eq!(s.stored_count(), 4);
}

#[test]
fn a_replay_split_over_history_frames_is_merged_in_order_once() {
    let mut s = live(vec![msg(1, "v1", visitor(), "one")]);
    s.dropped(0.5);
    assert_eq!(s.opened().send, vec![hello(1)]);
    // The server replays 2..=6: the welcome carries the first part, `history` frames the rest.
    let mut w = welcome(Status::Active, vec![msg(2, "o1", op("Dana"), "two"), msg(3, "v2", visitor(), "three")]);
    if let ServerMsg::Welcome { last_seq, .. } = &mut w {
        *last_seq = 6;
    }
    assert_eq!(s.receive(&w, 10).events, vec![Event::Welcome]);
    assert_eq!(s.last_seq(), 3);
    let out = s.receive(&ServerMsg::History { history: vec![msg(4, "o2", op("Dana"), "four")] }, 11);
    assert!(out.events.is_empty() && out.send.is_empty(), "a replay is not news: {out:?}");
    s.receive(
        &ServerMsg::History { history: vec![msg(5, "v3", visitor(), "five"), msg(6, "o3", op("Dana"), "six")] },
        12,
    );
    assert_eq!(s.last_seq(), 6, "the next hello asks from the end of the replay");
    assert_eq!(s.lines().iter().map(|l| l.seq).collect::<Vec<_>>(), (1..=6).map(Some).collect::<Vec<_>>());
    // A repeated part (a frame seen twice) adds nothing.
    s.receive(&ServerMsg::History { history: vec![msg(4, "o2", op("Dana"), "four")] }, 13);
    assert_eq!(s.stored_count(), 6);
    assert!(s.receive(&ServerMsg::Message { message: msg(7, "o4", op("Dana"), "seven") }, 14).events.len() == 1);
    assert_eq!(s.last_seq(), 7);
}

#[test]
fn refused_sends_leave_the_outbox_and_say_why() {
    let mut s = live(vec![]);
    s.send_text("m1".into(), "too long".into(), 1);
    s.send_text("m2".into(), "fine".into(), 2);
    let refusal =
        ServerMsg::Error { code: ErrorCode::MessageTooLong, message: "too long".into(), client_id: Some("m1".into()) };
    let out = s.receive(&refusal, 3);
    assert!(out.save_outbox);
    assert_eq!(
        out.events,
        vec![Event::Refused {
            pending: Pending {
                client_id: "m1".into(),
                text: "too long".into(),
                since: 1,
                attachment: None,
                file: None
            },
            code: ErrorCode::MessageTooLong,
            message: "too long".into(),
        }]
    );
    assert_eq!(s.outbox().len(), 1);
    // Refused lines come after those still on their way, and never go stale.
    assert_eq!(
        texts(&s),
        vec![
            (None, "fine", Delivery::Sending),
            (None, "too long", Delivery::Refused(ErrorCode::MessageTooLong, "too long".into()))
        ]
    );
    assert!(!s.lines()[1].is_stale(1_000_000));
    // Not resent after the next welcome; a second refusal of it is ignored.
    assert_eq!(sends(&s.receive(&welcome(Status::Active, vec![]), 4)), vec![("m2".into(), "fine".into())]);
    assert_eq!(s.receive(&refusal, 5), Out::default());
    // Errors about no message are problems to show.
    let out = s.receive(&ServerMsg::Error { code: ErrorCode::Malformed, message: "bad".into(), client_id: None }, 6);
    assert_eq!(out.events, vec![Event::Problem(ErrorCode::Malformed, "bad".into())]);
    // A closed conversation refuses too.
    s.send_text("m3".into(), "late".into(), 7);
    let out = s.receive(
        &ServerMsg::Error {
            code: ErrorCode::ConversationClosed,
            message: "closed".into(),
            client_id: Some("m3".into()),
        },
        8,
    );
    assert!(matches!(&out.events[..], [Event::Refused { code: ErrorCode::ConversationClosed, .. }]));
}

#[test]
fn rate_limited_sends_are_retried_after_the_delay() {
    let mut s = live(vec![]);
    s.send_text("m1".into(), "quick".into(), 1);
    let limited =
        ServerMsg::Error { code: ErrorCode::RateLimited, message: "slow down".into(), client_id: Some("m1".into()) };
    let out = s.receive(&limited, 2);
    assert_eq!(out.timers, vec![Timer::Resend { client_id: "m1".into(), after_ms: RATE_LIMIT_RETRY_MS }]);
    assert!(!out.save_outbox && out.events.is_empty(), "kept, not refused");
    assert_eq!(s.outbox().len(), 1);
    assert_eq!(sends(&s.resend("m1")), vec![("m1".into(), "quick".into())]);
    // Down when the timer fires: the next welcome resends it instead.
    s.dropped(0.5);
    assert!(s.resend("m1").send.is_empty());
    s.opened();
    s.receive(&ack("m1", 1), 3);
    assert!(s.resend("m1").send.is_empty(), "acknowledged meanwhile: nothing to resend");
    // A rate limit for a message no longer waiting sets no timer.
    assert!(s.receive(&limited, 4).timers.is_empty());
}

#[test]
fn reconnects_back_off_with_the_jitter_given() {
    assert_eq!(reconnect_delay(0, 0.5), 500);
    assert_eq!(reconnect_delay(0, 0.0), 250);
    assert_eq!(reconnect_delay(0, 1.0), 750);
    assert_eq!(reconnect_delay(1, 0.5), 1_000);
    assert_eq!(reconnect_delay(4, 0.5), 8_000);
    assert_eq!(reconnect_delay(5, 0.5), 15_000, "capped at 15 s");
    assert_eq!(reconnect_delay(40, 0.0), 7_500);
    assert_eq!(reconnect_delay(2, f64::NAN), 2_000);

    let mut s = Session::new(visitor(), Vec::new());
    let delays: Vec<Timer> = (0..3).flat_map(|_| s.dropped(0.5).timers).collect();
    assert_eq!(delays, vec![Timer::Reconnect(500), Timer::Reconnect(1_000), Timer::Reconnect(2_000)]);
    assert_eq!(s.dropped(0.5).events, vec![Event::State(ConnState::Retrying)]);
    // Open again: the backoff starts over.
    s.opened();
    assert_eq!(s.dropped(0.5).timers, vec![Timer::Reconnect(500)]);
}

#[test]
fn retry_resends_when_open_and_reconnects_at_once_when_down() {
    let mut s = live(vec![]);
    s.send_text("m1".into(), "x".into(), 1);
    assert_eq!(sends(&s.retry()), vec![("m1".into(), "x".into())]);
    s.dropped(0.5);
    s.dropped(0.5);
    assert_eq!(s.retry().timers, vec![Timer::Reconnect(0)]);
    assert_eq!(s.dropped(0.5).timers, vec![Timer::Reconnect(500)], "attempts start over");
    s.connecting();
    assert_eq!(s.retry(), Out::default(), "already dialling");
}

#[test]
fn incompatible_servers_and_closed_sessions_are_not_dialled_again() {
    let mut s = Session::new(visitor(), Vec::new());
    s.opened();
    let out = s.receive(&ServerMsg::Incompatible { reason: "old".into(), supported: 2 }, 1);
    assert_eq!(out.events, vec![Event::State(ConnState::Incompatible), Event::Incompatible("old".into())]);
    assert_eq!(s.dropped(0.5), Out::default());
    assert!(!s.wants_socket());
    assert_eq!(s.retry(), Out::default());

    let mut s = live(vec![]);
    s.send_text("m1".into(), "kept".into(), 1);
    let out = s.close(false);
    assert!(!out.save_outbox && s.outbox().len() == 1, "kept for the next page");
    assert_eq!(s.dropped(0.5), Out::default());
    let mut s = live(vec![]);
    s.send_text("m1".into(), "forgotten".into(), 1);
    let out = s.close(true);
    assert!(out.save_outbox && s.outbox().is_empty() && s.lines().is_empty());
}

#[test]
fn status_and_routing_changes() {
    let mut s = live(vec![]);
    assert_eq!(s.status(), Some(Status::Waiting));
    assert_eq!(s.routing(), None);
    s.receive(&ServerMsg::Routing { routing: Routing::Queued { position: 2, estimated_wait_ms: Some(60_000) } }, 1);
    assert_eq!(s.routing(), Some(&Routing::Queued { position: 2, estimated_wait_ms: Some(60_000) }));
    s.receive(&ServerMsg::Routing { routing: Routing::Assigned { name: "Dana".into() } }, 2);
    assert_eq!(s.routing(), Some(&Routing::Assigned { name: "Dana".into() }));
    assert!(s.receive(&ServerMsg::Status { status: Status::Active }, 3).events.is_empty());
    assert_eq!(s.status(), Some(Status::Active));
    let out = s.receive(&ServerMsg::Status { status: Status::Closed }, 4);
    assert_eq!(out.events, vec![Event::Ended]);
    assert!(s.is_closed());
    assert!(s.receive(&ServerMsg::Status { status: Status::Closed }, 5).events.is_empty(), "ended once");
    // A welcome into a chat already closed (a reload after the end) ends nothing again.
    assert_eq!(s.receive(&welcome(Status::Closed, vec![]), 6).events, vec![Event::Welcome]);
    // A welcome's routing replaces the one held.
    let w = welcome_as(Status::Waiting, vec![], visitor(), Some(Routing::Assigned { name: "Lee".into() }));
    let mut s = live(vec![]);
    s.receive(&w, 7);
    assert_eq!(s.routing(), Some(&Routing::Assigned { name: "Lee".into() }));
}

#[test]
fn a_welcome_into_a_closed_chat_ends_it() {
    let mut s = Session::new(visitor(), Vec::new()).asking_rating(true);
    s.opened();
    assert_eq!(s.receive(&welcome(Status::Closed, vec![]), 1).events, vec![Event::Welcome, Event::Ended]);
    assert_eq!(s.rating.step, RatingStep::Asking);
}

#[test]
fn the_rating_card_follows_the_end_of_the_chat() {
    let mut s = live(vec![]);
    assert_eq!(s.rating.step, RatingStep::Hidden);
    assert_eq!(s.rating.skip(), None, "nothing to rate yet");
    s.receive(&ServerMsg::Status { status: Status::Closed }, 1);
    assert_eq!(s.rating.step, RatingStep::Asking);
    assert!(!s.rating.can_send(), "a rating must be chosen first");
    assert_eq!(s.rating.submit(), None);
    s.rating.choose(7);
    assert_eq!(s.rating.pick, None);
    s.rating.choose(2);
    s.rating.choose(0);
    assert_eq!(s.rating.pick, Some(0), "the last choice counts");
    assert!(s.rating.can_send());
    assert_eq!(s.rating.submit(), Some("good"));
    assert_eq!(s.rating.step, RatingStep::Sending);
    assert_eq!(s.rating.submit(), None, "sent once");
    s.rating.refused();
    assert_eq!(s.rating.step, RatingStep::Asking);
    s.rating.choose(2);
    assert_eq!(s.rating.submit(), Some("bad"));
    s.rating.answered();
    assert_eq!(s.rating.step, RatingStep::Thanked);
    // Reopened and closed again: no second card.
    s.receive(&ServerMsg::Status { status: Status::Active }, 2);
    s.receive(&ServerMsg::Status { status: Status::Closed }, 3);
    assert_eq!(s.rating.step, RatingStep::Thanked);

    let mut skipped = live(vec![]);
    skipped.receive(&ServerMsg::Status { status: Status::Closed }, 1);
    assert_eq!(skipped.rating.skip(), Some(NOT_RATED));

    // Already rated in this browser, or an operator: no card.
    let mut rated = Session::new(visitor(), Vec::new()).asking_rating(false);
    rated.receive(&ServerMsg::Status { status: Status::Closed }, 1);
    assert_eq!(rated.rating.step, RatingStep::Hidden);
}

#[test]
fn typing_both_ways() {
    let mut s = live(vec![]);
    let out = s.typing_input(1_000);
    assert_eq!(out.send, vec![ClientMsg::Typing { typing: true }]);
    assert_eq!(out.timers, vec![Timer::TypingIdle(TYPING_CHECK_MS)]);
    let out = s.typing_input(1_500);
    assert!(out.send.is_empty() && out.timers.is_empty(), "throttled, one check pending");
    // Still typing at the check: check again later; idle: say so.
    s.typing_input(3_500);
    assert_eq!(s.typing_idle(1_000 + TYPING_CHECK_MS).timers, vec![Timer::TypingIdle(TYPING_CHECK_MS)]);
    assert_eq!(s.typing_idle(7_000).send, vec![ClientMsg::Typing { typing: false }]);
    // Sending the message stops the indicator first.
    s.typing_input(8_000);
    let out = s.send_text("m1".into(), "x".into(), 8_100);
    assert_eq!(out.send[0], ClientMsg::Typing { typing: false });
    assert_eq!(encode_client(&out.send[1]), r#"{"type":"send","client_id":"m1","text":"x"}"#);
    // While down, nothing goes out (the throttle still follows the keys).
    s.dropped(0.5);
    assert!(s.typing_input(20_000).send.is_empty());

    // The other side: shown until their message, their "stopped", or 8 s without news.
    let mut s = live(vec![]);
    let out = s.receive(&ServerMsg::Typing { author: op("Dana"), typing: true }, 100);
    assert_eq!(out.timers, vec![Timer::PeerTyping(PEER_TYPING_TIMEOUT_MS)]);
    assert_eq!(s.typist(), Some("Dana"));
    s.receive(&ServerMsg::Message { message: msg(1, "o1", op("Dana"), "hi") }, 200);
    assert_eq!(s.typist(), None);
    s.receive(&ServerMsg::Typing { author: op("Dana"), typing: true }, 1_000);
    s.receive(&ServerMsg::Typing { author: op("Dana"), typing: true }, 5_000);
    assert!(!s.peer_typing_expired(1_000 + PEER_TYPING_TIMEOUT_MS), "refreshed at 5 s");
    assert!(s.peer_typing_expired(5_000 + PEER_TYPING_TIMEOUT_MS));
    assert_eq!(s.typist(), None);
    s.receive(&ServerMsg::Typing { author: op("Dana"), typing: true }, 9_000);
    s.receive(&ServerMsg::Typing { author: op("Dana"), typing: false }, 9_500);
    assert_eq!(s.typist(), None);
}

#[test]
fn operators_see_their_own_lines_the_same_way() {
    let me = op("Ann");
    let mut s = Session::new(
        me.clone(),
        vec![Pending { client_id: "r1".into(), text: "restored".into(), since: 1, attachment: None, file: None }],
    );
    s.opened();
    let w = welcome_as(Status::Active, vec![msg(1, "v1", visitor(), "question")], op("Ann B."), None);
    let out = s.receive(&w, 2);
    assert_eq!(sends(&out), vec![("r1".into(), "restored".into())]);
    assert_eq!(s.me(), &op("Ann B."), "the server's name for us");
    s.send_text("r2".into(), "answer".into(), 3);
    assert_eq!(s.lines()[2].author, op("Ann B."));
    // A visitor's message with the same client id is another message.
    s.receive(&ServerMsg::Message { message: msg(2, "r2", visitor(), "same id, other author") }, 4);
    assert_eq!(s.lines().len(), 4);
    assert_eq!(s.lines()[3].delivery, Delivery::Sending);
    // The server's `typing` from the visitor, then their message, clears it.
    s.receive(&ServerMsg::Typing { author: visitor(), typing: true }, 5);
    s.receive(&ServerMsg::Message { message: msg(3, "v3", visitor(), "more") }, 6);
    assert_eq!(s.typist(), None);
    // Our own broadcast does not hide the visitor's indicator.
    s.receive(&ServerMsg::Typing { author: visitor(), typing: true }, 7);
    s.receive(&ServerMsg::Message { message: msg(4, "r2", me, "answer") }, 8);
    assert_eq!(s.typist(), Some("Visitor"));
    assert_eq!(s.outbox().iter().map(|p| p.client_id.as_str()).collect::<Vec<_>>(), vec!["r1"]);
    s.receive(&ack("r1", 5), 9);
    assert!(!s.has_pending());
}

#[test]
fn frames_for_now_only_go_while_open() {
    let mut s = Session::new(visitor(), Vec::new());
    let page = ClientMsg::Page { url: "/".into(), title: "Home".into() };
    assert!(s.frame(page.clone()).send.is_empty());
    assert!(s.end().send.is_empty());
    s.opened();
    assert_eq!(s.frame(page.clone()).send, vec![page]);
    assert_eq!(s.end().send, vec![ClientMsg::End]);
}

#[test]
fn lines_keep_seq_order_then_sending_then_refused_and_the_sort_is_stable() {
    let mut s = live(vec![]);
    for (id, text) in [("m1", "one"), ("m2", "two"), ("m3", "three"), ("m4", "four")] {
        s.send_text(id.into(), text.into(), 1_000);
    }
    let refuse = |id: &str| ServerMsg::Error {
        code: ErrorCode::MessageTooLong,
        message: "too long".into(),
        client_id: Some(id.into()),
    };
    s.receive(&refuse("m1"), 1_010);
    s.receive(&refuse("m3"), 1_020);
    // Stored messages arrive out of order, after the visitor's own were queued.
    s.receive(&ServerMsg::Message { message: msg(2, "o2", op("Dana"), "second") }, 1_030);
    s.receive(&ServerMsg::Message { message: msg(1, "o1", op("Dana"), "first") }, 1_040);
    assert_eq!(
        texts(&s),
        vec![
            (Some(1), "first", Delivery::Stored),
            (Some(2), "second", Delivery::Stored),
            (None, "two", Delivery::Sending),
            (None, "four", Delivery::Sending),
            // A refused line moves behind those on their way when it is refused; "three" was
            // ahead of "one" (already moved) then, and stays so (the sort is stable).
            (None, "three", Delivery::Refused(ErrorCode::MessageTooLong, "too long".into())),
            (None, "one", Delivery::Refused(ErrorCode::MessageTooLong, "too long".into())),
        ]
    );
    // An ack puts the line among the stored ones, by its seq.
    s.receive(&ack("m4", 3), 1_050);
    assert_eq!(texts(&s)[2], (Some(3), "four", Delivery::Stored));
    assert_eq!(texts(&s)[3], (None, "two", Delivery::Sending));
}

fn reads(out: &Out) -> Vec<u64> {
    out.send
        .iter()
        .filter_map(|m| match m {
            ClientMsg::Read { seq } => Some(*seq),
            _ => None,
        })
        .collect()
}

fn welcome_read(history: Vec<MessageView>, visitor_read: u64, operator_read: u64) -> ServerMsg {
    let last_seq = history.last().map_or(0, |m| m.seq);
    let json = serde_json::json!({
        "type": "welcome", "protocol": 3, "conversation_id": "c1", "status": "active", "you": visitor(),
        "history": history, "last_seq": last_seq, "visitor_read": visitor_read, "operator_read": operator_read,
    });
    serde_json::from_value(json).unwrap()
}

/// Read receipts (issue 21): our mark goes out only while reading, only when it moves, and
/// only for the other side's messages; the unread count and "Seen" follow the marks.
#[test]
fn the_read_mark_is_sent_while_reading_and_only_when_it_moves() {
    let mut s = Session::new(visitor(), Vec::new());
    s.opened();
    let history = vec![msg(1, "v1", visitor(), "hi"), msg(2, "o1", op("Ana"), "hello"), msg(3, "v2", visitor(), "q")];
    let out = s.receive(&welcome_read(history, 0, 1), 0);
    assert!(reads(&out).is_empty(), "not reading: nothing sent");
    assert_eq!(s.unread(), 1);
    assert_eq!(s.seen(), Some(1), "the operators read through 1");
    // The panel opens on a visible page: read through 2 (the operator's latest).
    assert_eq!(reads(&s.reading(true)), vec![2]);
    assert_eq!((s.unread(), s.read_mark()), (0, 2));
    // Nothing moved: nothing sent, however often the driver says so.
    assert!(reads(&s.reading(true)).is_empty());
    // Our own message does not move our mark.
    s.send_text("v3".into(), "more".into(), 5);
    assert!(reads(&s.receive(&ack("v3", 4), 5)).is_empty());
    // The operator's message while reading: marked at once.
    assert_eq!(reads(&s.receive(&ServerMsg::Message { message: msg(5, "o2", op("Ana"), "ok") }, 6)), vec![5]);
    // Not reading (panel closed or page hidden): counted as unread, nothing sent...
    s.reading(false);
    assert!(reads(&s.receive(&ServerMsg::Message { message: msg(6, "o3", op("Ana"), "?") }, 7)).is_empty());
    assert_eq!(s.unread(), 1);
    // ...until reading again.
    assert_eq!(reads(&s.reading(true)), vec![6]);
    // The operators read through 4: "Seen" goes under our message 4; a stale mark is ignored.
    s.receive(&ServerMsg::Read { visitor_read: 0, operator_read: 4 }, 8);
    s.receive(&ServerMsg::Read { visitor_read: 0, operator_read: 3 }, 8);
    assert_eq!(s.seen(), Some(4));
    // Our side read further in another tab: our mark follows, nothing to send here.
    s.reading(false);
    s.receive(&ServerMsg::Message { message: msg(7, "o4", op("Ana"), "!") }, 9);
    assert_eq!(s.unread(), 1);
    s.receive(&ServerMsg::Read { visitor_read: 7, operator_read: 0 }, 9);
    assert_eq!(s.unread(), 0);
    assert!(reads(&s.reading(true)).is_empty());
}

#[test]
fn a_read_mark_lost_with_the_socket_goes_again_after_the_welcome() {
    let mut s = Session::new(visitor(), Vec::new());
    s.opened();
    let history = vec![msg(1, "o1", op("Ana"), "hello")];
    s.receive(&welcome_read(history.clone(), 0, 0), 0);
    assert_eq!(reads(&s.reading(true)), vec![1]);
    // The socket dropped before the server took it: its welcome says 0, so it goes again.
    s.dropped(0.5);
    assert!(reads(&s.reading(true)).is_empty(), "nothing while the socket is down");
    s.opened();
    assert_eq!(reads(&s.receive(&welcome_read(history.clone(), 0, 0), 1)), vec![1]);
    // A welcome that knows it sends nothing.
    s.dropped(0.5);
    s.opened();
    assert!(reads(&s.receive(&welcome_read(history, 1, 0), 2)).is_empty());
    assert_eq!(encode_client(&ClientMsg::Read { seq: 1 }), r#"{"type":"read","seq":1}"#);
}

#[test]
fn reload_mid_send_of_a_file_resends_its_token_once_and_the_line_keeps_the_file() {
    // Issue 21: the upload answered (file and token, under client id "f1"); the socket is down.
    let file = parley_protocol::protocol::AttachmentView {
        id: "f_1".into(),
        name: "shot.png".into(),
        content_type: "image/png".into(),
        size: 9,
        width: Some(3),
        height: Some(2),
    };
    let mut page1 = Session::new(visitor(), Vec::new());
    let out = page1.send_file("f1".into(), String::new(), "tok".into(), file.clone(), 5_000);
    assert!(out.send.is_empty() && out.save_outbox);
    assert_eq!(page1.lines()[0].attachment.as_ref(), Some(&file), "shown at once, on its way");
    let stored = serde_json::to_string(page1.outbox()).unwrap();
    // Read back as the browser does (flat, no serde) and as serde does: the same.
    let value: serde_json::Value = serde_json::from_str(&stored).unwrap();
    let restored = crate::read_outbox(&value).expect("the saved outbox reads back");
    assert_eq!(restored, serde_json::from_str::<Vec<Pending>>(&stored).unwrap());
    let mut s = Session::new(visitor(), restored);
    assert_eq!(s.lines()[0].attachment.as_ref(), Some(&file));
    s.opened();
    let out = s.receive(&welcome(Status::Active, vec![]), 6_000);
    let frames: Vec<&ClientMsg> = out.send.iter().filter(|m| matches!(m, ClientMsg::Send { .. })).collect();
    assert_eq!(
        frames,
        vec![&ClientMsg::Send { client_id: "f1".into(), text: String::new(), attachment: Some("tok".into()) }],
        "the same client id and token, once"
    );
    s.receive(&ack("f1", 1), 6_100);
    assert!(s.outbox().is_empty());
    assert_eq!((s.lines()[0].seq, s.lines()[0].attachment.as_ref()), (Some(1), Some(&file)));
    // A file message replayed from the server shows its file.
    let mut t = live(vec![MessageView { attachment: Some(file.clone()), ..msg(1, "x", op("Ana"), "") }]);
    assert_eq!(t.lines()[0].attachment.as_ref(), Some(&file));
    let _ = &mut t;
}

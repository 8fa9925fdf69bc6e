use super::*;
use crate::dispatch::{Received, RouteUpdate};
use crate::protocol::{hello, Routing};

fn visitor() -> Connection {
    Connection {
        participant: Participant { role: Role::Visitor, id: "v_1".into(), name: "Visitor".into() },
        greeted: true,
    }
}
fn operator() -> Connection {
    Connection {
        participant: Participant { role: Role::Operator, id: "o_1".into(), name: "Ana".into() },
        greeted: true,
    }
}
fn fresh(mut c: Connection) -> Connection {
    c.greeted = false;
    c
}
fn send(id: &str, text: &str) -> ClientMsg {
    ClientMsg::Send { client_id: id.into(), text: text.into(), attachment: None }
}
fn config() -> Config {
    Config { visitor_rate: Rate { burst: 3, per_sec: 1 }, session_timeout_ms: 60_000, ..Config::default() }
}
fn conv() -> Conversation {
    Conversation::create(ConversationId("c_1".into()), Config::default(), Millis(0)).0
}

/// `c` as its object restores it after a restart (its meta, tail and totals).
fn restarted(c: &Conversation) -> Conversation {
    Conversation::restore(c.id().clone(), Config::default(), c.meta().clone(), c.tail().cloned().collect(), c.bytes())
}
fn error_code(fx: &[Effect]) -> Option<(ErrorCode, Option<String>)> {
    fx.iter().find_map(|e| match e {
        Effect::Reply(ServerMsg::Error { code, client_id, .. }) => Some((*code, client_id.clone())),
        _ => None,
    })
}

#[test]
fn create_records_and_saves() {
    let (c, fx) = Conversation::create(ConversationId("c_1".into()), Config::default(), Millis(5));
    assert!(matches!(&fx[0], Effect::SaveMeta(m) if m.status == Status::Waiting && m.created_at == Millis(5)));
    assert_eq!(fx[1], Effect::Record(Event { at: Millis(5), kind: EventKind::Created }));
    assert_eq!(c.last_seq(), 0);
}

#[test]
fn stores_then_acks_then_broadcasts_to_the_others() {
    let mut c = conv();
    let fx = c.handle_client(&visitor(), send("m1", "hello"), Millis(100));
    assert!(matches!(&fx[0], Effect::Store { message: m, .. } if m.view.seq == 1 && m.view.text == "hello"));
    assert_eq!(fx[1], Effect::Reply(ServerMsg::Ack { client_id: "m1".into(), seq: 1, at: Millis(100) }));
    // Protocol v2: no echo to the sender, whose ack carries what it needs.
    assert!(matches!(&fx[2], Effect::BroadcastOthers(ServerMsg::Message { message }) if message.seq == 1));
    assert_eq!(fx.len(), 3);
    assert_eq!(c.last_seq(), 1);
}

#[test]
fn repeated_client_id_is_acked_again_and_stored_once() {
    let mut c = conv();
    c.handle_client(&visitor(), send("m1", "hello"), Millis(100));
    let fx = c.handle_client(&visitor(), send("m1", "hello"), Millis(200));
    assert_eq!(fx, vec![Effect::Reply(ServerMsg::Ack { client_id: "m1".into(), seq: 1, at: Millis(100) })]);
    assert_eq!(c.tail().len(), 1);
    // The same client id from another author is another message.
    let fx = c.handle_client(&operator(), send("m1", "hi"), Millis(300));
    assert!(matches!(&fx[0], Effect::Store { message: m, .. } if m.view.seq == 2));
}

#[test]
fn first_operator_message_activates_and_is_recorded() {
    let mut c = conv();
    c.handle_client(&visitor(), send("m1", "hello"), Millis(1));
    assert_eq!(c.status(), Status::Waiting);
    let fx = c.handle_client(&operator(), send("o1", "Hi, I'm Ana"), Millis(2));
    assert!(fx.iter().any(|e| matches!(e, Effect::SaveMeta(m) if m.status == Status::Active)));
    assert!(
        fx.contains(&Effect::Record(Event { at: Millis(2), kind: EventKind::Active { operator_id: "o_1".into() } }))
    );
    assert!(fx.contains(&Effect::Broadcast(ServerMsg::Status { status: Status::Active })));
    let fx = c.handle_client(&operator(), send("o2", "How can I help?"), Millis(3));
    assert!(!fx.iter().any(|e| matches!(e, Effect::SaveMeta(_) | Effect::Record(_))));
}

#[test]
fn hello_replays_exactly_what_was_missed() {
    let mut c = conv();
    for i in 1..=5 {
        c.handle_client(&visitor(), send(&format!("m{i}"), &format!("t{i}")), Millis(i));
    }
    let fx = c.handle_client(&fresh(visitor()), hello(3), Millis(9));
    assert!(fx.contains(&Effect::UpdateConnection(visitor())));
    let Some(Effect::Reply(ServerMsg::Welcome { history, last_seq, you, .. })) = fx.last() else { panic!("{fx:?}") };
    assert_eq!(history.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![4, 5]);
    assert_eq!(*last_seq, 5);
    assert_eq!(you.role, Role::Visitor);
    // A client claiming more than exists gets nothing, not a panic.
    let fx = c.handle_client(&fresh(visitor()), hello(99), Millis(9));
    assert!(matches!(fx.last(), Some(Effect::Reply(ServerMsg::Welcome { history, .. })) if history.is_empty()));
}

#[test]
fn restore_keeps_idempotency_and_meta() {
    let mut c = conv();
    c.handle_client(&visitor(), send("m1", "hello"), Millis(1));
    let mut r = restarted(&c);
    let fx = r.handle_client(&visitor(), send("m1", "hello"), Millis(5));
    assert_eq!(fx.len(), 1);
    let fx = r.handle_client(&visitor(), send("m2", "again"), Millis(6));
    assert!(matches!(&fx[0], Effect::Store { message: m, .. } if m.view.seq == 2));
}

#[test]
fn wrong_version_is_incompatible_and_closes() {
    let mut c = conv();
    let fx = c.handle_client(&fresh(visitor()), ClientMsg::Hello { protocol: 1, last_seq: 0 }, Millis(1));
    assert!(matches!(&fx[0], Effect::Reply(ServerMsg::Incompatible { supported: 3, .. })));
    assert!(matches!(&fx[1], Effect::Close { code: CLOSE_INCOMPATIBLE, .. }));
}

#[test]
fn nothing_before_hello() {
    let mut c = conv();
    let fx = c.handle_client(&fresh(visitor()), send("m1", "x"), Millis(1));
    assert_eq!(error_code(&fx), Some((ErrorCode::HelloRequired, Some("m1".into()))));
    let fx = c.handle_client(&fresh(visitor()), ClientMsg::Ping, Millis(1));
    assert_eq!(error_code(&fx), Some((ErrorCode::HelloRequired, None)));
    assert_eq!(c.tail().len(), 0);
}

#[test]
fn typing_goes_to_the_others() {
    let mut c = conv();
    let fx = c.handle_client(&operator(), ClientMsg::Typing { typing: true }, Millis(1));
    assert_eq!(
        fx,
        vec![Effect::BroadcastOthers(ServerMsg::Typing {
            author: Author { role: Role::Operator, name: "Ana".into() },
            typing: true
        })]
    );
}

#[test]
fn end_closes_once_and_refuses_new_messages_but_acks_retries() {
    let mut c = conv();
    c.handle_client(&visitor(), send("m1", "hello"), Millis(1));
    let fx = c.handle_client(&visitor(), ClientMsg::End, Millis(7));
    assert!(fx.contains(&Effect::Record(Event { at: Millis(7), kind: EventKind::Closed { by: ClosedBy::Visitor } })));
    assert!(fx.contains(&Effect::Broadcast(ServerMsg::Status { status: Status::Closed })));
    assert_eq!((c.meta().closed_at, c.meta().closed_by), (Some(Millis(7)), Some(ClosedBy::Visitor)));
    // Ending again changes nothing.
    let fx = c.handle_client(&operator(), ClientMsg::End, Millis(8));
    assert_eq!(fx, vec![Effect::Reply(ServerMsg::Status { status: Status::Closed })]);
    let fx = c.handle_client(&visitor(), send("m1", "hello"), Millis(9));
    assert!(matches!(&fx[0], Effect::Reply(ServerMsg::Ack { seq: 1, .. })));
    let fx = c.handle_client(&visitor(), send("m2", "more"), Millis(9));
    assert_eq!(error_code(&fx), Some((ErrorCode::ConversationClosed, Some("m2".into()))));
    assert_eq!(c.tail().len(), 1);
}

#[test]
fn operator_can_end() {
    let mut c = conv();
    let fx = c.handle_client(&operator(), ClientMsg::End, Millis(3));
    assert!(fx.contains(&Effect::Record(Event { at: Millis(3), kind: EventKind::Closed { by: ClosedBy::Operator } })));
}

#[test]
fn visitor_rate_limit_refuses_without_storing_then_refills() {
    let mut c = Conversation::create(ConversationId("c".into()), config(), Millis(0)).0;
    for i in 0..3 {
        let fx = c.handle_client(&visitor(), send(&format!("m{i}"), "x"), Millis(1000));
        assert!(matches!(&fx[0], Effect::Store { .. }), "burst message {i}");
    }
    let fx = c.handle_client(&visitor(), send("m3", "x"), Millis(1000));
    assert_eq!(
        fx,
        vec![error(
            ProtocolError::new(ErrorCode::RateLimited, "too many messages, slow down and retry").for_send(Some("m3"))
        )]
    );
    assert_eq!(c.tail().len(), 3);
    // A retry of a stored message is never limited.
    assert!(matches!(
        &c.handle_client(&visitor(), send("m0", "x"), Millis(1000))[0],
        Effect::Reply(ServerMsg::Ack { .. })
    ));
    // One token a second: after a second the refused message goes through.
    assert!(matches!(&c.handle_client(&visitor(), send("m3", "x"), Millis(2000))[0], Effect::Store { .. }));
    // Operators are not limited.
    for i in 0..10 {
        assert!(matches!(
            &c.handle_client(&operator(), send(&format!("o{i}"), "x"), Millis(2000))[0],
            Effect::Store { .. }
        ));
    }
}

#[test]
fn rate_parses() {
    assert_eq!(Rate::parse("20/2"), Some(Rate { burst: 20, per_sec: 2 }));
    assert_eq!(Rate::parse(" 5 / 1 "), Some(Rate { burst: 5, per_sec: 1 }));
    for bad in ["", "20", "0/1", "1/0", "a/b", "-1/2"] {
        assert_eq!(Rate::parse(bad), None, "{bad}");
    }
}

#[test]
fn session_ends_after_the_visitor_left_for_the_timeout() {
    let mut c = Conversation::create(ConversationId("c".into()), config(), Millis(0)).0;
    // Away from creation until the widget connects.
    assert_eq!(c.next_deadline(), Some(Millis(60_000)));
    let fx = c.handle_client(&fresh(visitor()), hello(0), Millis(10));
    assert!(matches!(&fx[0], Effect::SaveMeta(m) if m.visitor_away_since.is_none()));
    assert_eq!(c.next_deadline(), None);
    // Another visitor tab still open: not away.
    assert!(c.handle_disconnect(&visitor(), 1, Millis(20)).is_empty());
    let fx = c.handle_disconnect(&visitor(), 0, Millis(30));
    assert!(matches!(&fx[0], Effect::SaveMeta(m) if m.visitor_away_since == Some(Millis(30))));
    assert_eq!(c.next_deadline(), Some(Millis(60_030)));
    // An early alarm does nothing; an operator leaving does not count.
    assert!(c.handle_alarm(Millis(60_029)).is_empty());
    assert!(c.handle_disconnect(&operator(), 0, Millis(40)).is_empty());
    let fx = c.handle_alarm(Millis(60_030));
    assert!(
        fx.contains(&Effect::Record(Event { at: Millis(60_030), kind: EventKind::Closed { by: ClosedBy::Timeout } }))
    );
    assert_eq!(c.status(), Status::Closed);
    assert_eq!(c.next_deadline(), None);
}

#[test]
fn coming_back_in_time_keeps_the_session() {
    let mut c = Conversation::create(ConversationId("c".into()), config(), Millis(0)).0;
    c.handle_client(&fresh(visitor()), hello(0), Millis(1));
    c.handle_disconnect(&visitor(), 0, Millis(100));
    c.handle_client(&fresh(visitor()), hello(0), Millis(50_000));
    assert_eq!(c.next_deadline(), None);
    assert!(c.handle_alarm(Millis(60_100)).is_empty());
    assert_eq!(c.status(), Status::Waiting);
}

#[test]
fn no_operator_response_when_assigned_but_silent() {
    let mut c = conv();
    c.handle_client(&visitor(), send("m1", "anyone?"), Millis(1));
    assert!(!c.no_operator_response());
    let fx = c.handle_client(&fresh(operator()), hello(0), Millis(2));
    assert!(fx.contains(&Effect::Record(Event {
        at: Millis(2),
        kind: EventKind::OperatorJoined { operator_id: "o_1".into() }
    })));
    assert!(c.no_operator_response());
    // A second operator socket does not join again.
    let fx = c.handle_client(&fresh(operator()), hello(0), Millis(3));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Record(_))));
    c.handle_client(&operator(), send("o1", "here"), Millis(4));
    assert!(!c.no_operator_response());
}

#[test]
fn bad_frames_change_nothing_and_huge_ones_close() {
    let c = conv();
    let fx = c.handle_bad_frame(&ProtocolError::new(ErrorCode::Malformed, "x"));
    assert_eq!(fx.len(), 1);
    let fx = c.handle_bad_frame(&ProtocolError::new(ErrorCode::FrameTooLarge, "x"));
    assert!(matches!(fx[1], Effect::Close { code: 1009, .. }));
}

#[test]
fn events_serialize_flat() {
    let e = Event { at: Millis(5), kind: EventKind::Closed { by: ClosedBy::Timeout } };
    assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"at":5,"kind":"closed","by":"timeout"}"#);
}

#[test]
fn routing_updates_are_applied_once_in_order_and_broadcast() {
    let mut c = conv();
    let assigned = |name: &str, how| RouteUpdate::Assigned {
        operator_id: OperatorId(format!("o_{name}")),
        operator_name: name.into(),
        how,
        from: None,
    };
    let fx = c.handle_route(RouteUpdate::Queued { position: 2, estimated_wait_ms: Some(60_000) }, None, Millis(1));
    assert!(fx.contains(&Effect::Broadcast(ServerMsg::Routing {
        routing: Routing::Queued { position: 2, estimated_wait_ms: Some(60_000) }
    })));
    let fx = c.handle_route(assigned("Sam", Received::Dequeued), Some(3), Millis(2));
    assert!(fx.contains(&Effect::Record(Event {
        at: Millis(2),
        kind: EventKind::Assigned { operator_id: "o_Sam".into(), how: Received::Dequeued, from: None }
    })));
    assert!(c.meta().assigned);
    // An older or repeated update changes nothing.
    assert!(c.handle_route(assigned("Dana", Received::Forwarded), Some(3), Millis(3)).is_empty());
    assert!(c.handle_route(assigned("Dana", Received::Forwarded), Some(2), Millis(3)).is_empty());
    assert_eq!(c.meta().operator.as_ref().map(|o| o.1.as_str()), Some("Sam"));
    // A visitor who connects now learns where they stand.
    let fx = c.handle_client(&fresh(visitor()), hello(0), Millis(4));
    assert!(fx.iter().any(|e| matches!(e,
        Effect::Reply(ServerMsg::Welcome { routing: Some(Routing::Assigned { name }), visitor: None, .. }) if name == "Sam")));
}

#[test]
fn the_assigned_operators_first_message_answers_once_and_closing_tells_the_dispatcher() {
    let mut c = conv();
    let sam = Connection {
        participant: Participant { role: Role::Operator, id: "o_Sam".into(), name: "Sam".into() },
        greeted: true,
    };
    c.handle_route(
        RouteUpdate::Assigned {
            operator_id: "o_Sam".into(),
            operator_name: "Sam".into(),
            how: Received::Routed,
            from: None,
        },
        None,
        Millis(1),
    );
    let answered = |fx: &[Effect]| fx.iter().filter(|e| matches!(e, Effect::Dispatch(Notice::Answered { .. }))).count();
    assert_eq!(answered(&c.handle_client(&sam, send("s1", "Hola"), Millis(2))), 1);
    assert_eq!(answered(&c.handle_client(&sam, send("s2", "¿Qué tal?"), Millis(3))), 0);
    // Another operator writing takes it over: one notice naming them.
    let fx = c.handle_client(&operator(), send("o1", "I'll take this"), Millis(4));
    assert!(fx.contains(&Effect::Dispatch(Notice::Answered { operator_id: "o_1".into() })));
    assert_eq!(answered(&c.handle_client(&operator(), send("o2", "Hi"), Millis(5))), 0);
    let fx = c.handle_client(&visitor(), ClientMsg::End, Millis(6));
    assert!(fx.contains(&Effect::Dispatch(Notice::Closed)));
}

#[test]
fn pages_are_kept_for_operators_only() {
    let mut c = conv();
    let page = |u: &str| ClientMsg::Page { url: u.into(), title: "T".into() };
    let fx = c.handle_client(&visitor(), page("https://a/1"), Millis(1));
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::ToOperators(ServerMsg::Visitor { visitor }) if visitor.pages.len() == 1)));
    assert!(c.handle_client(&visitor(), page("https://a/1"), Millis(2)).is_empty(), "a reload is not a new page");
    assert!(c.handle_client(&operator(), page("https://evil"), Millis(3)).is_empty(), "operators have no page");
    for i in 0..60 {
        c.handle_client(&visitor(), page(&format!("https://a/{i}")), Millis(10 + i));
    }
    assert_eq!(c.meta().visitor.pages.len(), crate::limits::MAX_PAGES_KEPT);
    assert_eq!(c.meta().visitor.pages.last().unwrap().url, "https://a/59");
    let fx = c.handle_client(&fresh(operator()), hello(0), Millis(100));
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::Reply(ServerMsg::Welcome { visitor: Some(v), .. }) if v.pages.len() == 50)));
}

#[test]
fn a_second_hello_on_a_socket_is_refused_and_resends_nothing() {
    let mut c = conv();
    c.handle_client(&visitor(), send("m1", "private"), Millis(1));
    for who in [visitor(), operator()] {
        let fx = c.handle_client(&who, hello(0), Millis(2));
        assert_eq!(error_code(&fx), Some((ErrorCode::HelloRequired, None)), "{fx:?}");
        assert_eq!(fx.len(), 1, "only the refusal: no welcome, no state change: {fx:?}");
    }
    // A new socket still says hello once and gets the transcript.
    let fx = c.handle_client(&fresh(operator()), hello(0), Millis(3));
    assert!(matches!(fx.last(), Some(Effect::Reply(ServerMsg::Welcome { history, .. })) if history.len() == 1));
}

#[test]
fn every_socket_has_a_frame_bucket_of_its_own() {
    let cfg = Config {
        visitor_rate: Rate { burst: 2, per_sec: 1 },
        socket_rate: Rate { burst: 3, per_sec: 2 },
        ..Config::default()
    };
    // Never stricter than the visitor's message rate, in each part.
    assert_eq!(cfg.frame_rate(), Rate { burst: 3, per_sec: 2 });
    assert_eq!(
        Config { visitor_rate: Rate { burst: 100, per_sec: 100 }, ..cfg }.frame_rate(),
        Rate { burst: 100, per_sec: 100 }
    );
    let mut c = Conversation::create(ConversationId("c".into()), cfg, Millis(0)).0;
    for _ in 0..3 {
        assert_eq!(c.admit_frame("s1", Millis(0)), Ok(()));
    }
    assert_eq!(c.admit_frame("s1", Millis(0)), Err(Refused { retry_after_ms: 500 }));
    // Another socket (the operator's, another tab) is not held back by this one.
    assert_eq!(c.admit_frame("s2", Millis(0)), Ok(()));
    assert_eq!(c.admit_frame("s1", Millis(500)), Ok(()));
    // A closed socket's bucket is dropped (a new socket starts full).
    c.forget_socket("s1");
    for _ in 0..3 {
        assert_eq!(c.admit_frame("s1", Millis(500)), Ok(()));
    }
    // The refusal is `rate_limited`, naming the refused send, and is reported without effect.
    let e = Conversation::frame_refusal(Some("m7"));
    assert_eq!((e.code, e.client_id.as_deref()), (ErrorCode::RateLimited, Some("m7")));
    assert_eq!(c.handle_bad_frame(&e), vec![Effect::Reply(e.to_server_msg())]);
    assert_eq!(c.last_seq(), 0);
}

#[test]
fn a_full_conversation_refuses_sends_but_acks_retries() {
    let cfg = Config { max_messages: 3, max_bytes: 10, ..Config::default() };
    let mut c = Conversation::create(ConversationId("c".into()), cfg, Millis(0)).0;
    c.handle_client(&visitor(), send("m1", "a"), Millis(1));
    c.handle_client(&operator(), send("o1", "b"), Millis(2));
    c.handle_client(&visitor(), send("m2", "c"), Millis(3));
    let fx = c.handle_client(&visitor(), send("m3", "d"), Millis(4));
    assert_eq!(error_code(&fx), Some((ErrorCode::ConversationFull, Some("m3".into()))));
    assert_eq!(fx.len(), 1, "nothing stored: {fx:?}");
    assert_eq!(c.last_seq(), 3);
    // A retry of a stored message is still acknowledged.
    assert!(matches!(
        &c.handle_client(&visitor(), send("m2", "c"), Millis(5))[..],
        [Effect::Reply(ServerMsg::Ack { seq: 3, .. })]
    ));
    // Bytes: 6 + 5 > 10 is refused, 6 + 4 is not; restored conversations count what they hold.
    let cfg = Config { max_messages: 100, max_bytes: 10, ..Config::default() };
    let mut c = Conversation::create(ConversationId("c".into()), cfg, Millis(0)).0;
    c.handle_client(&visitor(), send("m1", "héllo"), Millis(1));
    let mut c = Conversation::restore(c.id().clone(), cfg, c.meta().clone(), c.tail().cloned().collect(), c.bytes());
    let fx = c.handle_client(&operator(), send("o1", "12345"), Millis(2));
    assert_eq!(error_code(&fx), Some((ErrorCode::ConversationFull, Some("o1".into()))));
    let fx = c.handle_client(&operator(), send("o2", "1234"), Millis(3));
    assert_eq!(error_code(&fx), None);
    assert_eq!(c.last_seq(), 2);
}

// ---- The tail: what the core holds, and what it asks of storage. ---------------------------

/// The object's SQLite as the core sees it (every stored row with its `bytes_through`) and the
/// object's loop: effects carried out in order, questions answered from the rows.
#[derive(Default)]
struct Disk {
    rows: Vec<(StoredMessage, u64)>,
    lookups: usize,
    reads: Vec<(u64, u64)>,
}

impl Disk {
    /// Carries out `fx` on `c`; returns what was carried out besides the questions.
    fn run(&mut self, c: &mut Conversation, fx: Vec<Effect>) -> Vec<Effect> {
        let mut queue: std::collections::VecDeque<Effect> = fx.into();
        let mut done = Vec::new();
        while let Some(effect) = queue.pop_front() {
            let answer = match effect {
                Effect::Store { message, bytes_through } => {
                    assert_eq!(message.view.seq, self.rows.len() as u64 + 1, "dense seqs");
                    self.rows.push((message.clone(), bytes_through));
                    done.push(Effect::Store { message, bytes_through });
                    continue;
                }
                Effect::LookUp(q) => {
                    self.lookups += 1;
                    let found = self
                        .rows
                        .iter()
                        .find(|(m, _)| m.author_id == q.author_id() && m.view.client_id == q.client_id())
                        .map(|(m, _)| Earlier { seq: m.view.seq, at: m.view.at });
                    c.looked_up(q, found)
                }
                Effect::ReadOlder(r) => {
                    self.reads.push((r.after(), r.before()));
                    let older = self
                        .rows
                        .iter()
                        .filter(|(m, _)| m.view.seq > r.after() && m.view.seq < r.before())
                        .map(|(m, _)| m.view.clone())
                        .collect();
                    c.replay_older(r, older)
                }
                other => {
                    done.push(other);
                    continue;
                }
            };
            for e in answer.into_iter().rev() {
                queue.push_front(e);
            }
        }
        done
    }

    fn input(&mut self, c: &mut Conversation, who: &Connection, msg: ClientMsg, now: u64) -> Vec<Effect> {
        let fx = c.handle_client(who, msg, Millis(now));
        self.run(c, fx)
    }

    /// The object woken: the last `tail` rows and the last row's `bytes_through`, as the edge
    /// reads them.
    fn wake(&self, c: &Conversation) -> Conversation {
        let tail = c.config.tail;
        let latest = self.rows.iter().skip(self.rows.len().saturating_sub(tail)).map(|(m, _)| m.clone()).collect();
        let bytes = self.rows.last().map_or(0, |r| r.1);
        Conversation::restore(c.id().clone(), c.config, c.meta().clone(), latest, bytes)
    }

    fn text_bytes(&self) -> u64 {
        self.rows.iter().map(|(m, _)| m.view.text.len() as u64).sum()
    }
}

fn unlimited() -> Config {
    Config { visitor_rate: Rate { burst: 100_000, per_sec: 100_000 }, ..Config::default() }
}

/// A conversation of `n` messages (operators write every 7th) stored on a disk.
fn long_conversation(cfg: Config, n: u64) -> (Conversation, Disk) {
    let mut c = Conversation::create(ConversationId("c_long".into()), cfg, Millis(0)).0;
    let mut disk = Disk::default();
    for i in 1..=n {
        let who = if i % 7 == 0 { operator() } else { visitor() };
        let fx = disk.input(&mut c, &who, send(&format!("m{i}"), &format!("message {i}")), i);
        assert!(matches!(&fx[0], Effect::Store { message, .. } if message.view.seq == i), "{i}: {fx:?}");
        assert!(c.tail().len() <= cfg.tail, "the tail stays bounded");
    }
    (c, disk)
}

/// The replay a `hello` got: every frame's messages in order, and how many frames.
fn replayed(fx: &[Effect]) -> (Vec<u64>, usize, u64) {
    let mut seqs = Vec::new();
    let mut frames = 0;
    let mut announced = 0;
    for e in fx {
        match e {
            Effect::Reply(ServerMsg::Welcome { history, last_seq, .. }) => {
                assert_eq!(frames, 0, "the welcome comes first");
                announced = *last_seq;
                seqs.extend(history.iter().map(|m| m.seq));
                frames += 1;
            }
            Effect::Reply(ServerMsg::History { history }) => {
                assert!(frames > 0, "history frames follow the welcome");
                assert!(!history.is_empty(), "no empty history frame");
                seqs.extend(history.iter().map(|m| m.seq));
                frames += 1;
            }
            _ => {}
        }
    }
    (seqs, frames, announced)
}

#[test]
fn waking_a_long_conversation_holds_only_its_tail() {
    let (c, disk) = long_conversation(unlimited(), 1_500);
    assert_eq!(c.tail().len(), CONVERSATION_TAIL_MESSAGES);
    let r = disk.wake(&c);
    assert_eq!(r.tail().len(), CONVERSATION_TAIL_MESSAGES);
    assert_eq!((r.first_held(), r.last_seq()), (1_301, 1_500));
    assert_eq!(r.tail().map(|m| m.view.seq).collect::<Vec<_>>(), (1_301..=1_500).collect::<Vec<_>>());
    assert_eq!(r.bytes(), disk.text_bytes(), "the bytes of the whole conversation, not of the tail");
    assert_eq!(r.last_message().map(|m| m.view.text.as_str()), Some("message 1500"));
    // Given more rows than its tail, it keeps the latest.
    let all = disk.rows.iter().map(|(m, _)| m.clone()).collect();
    let r2 = Conversation::restore(c.id().clone(), c.config, c.meta().clone(), all, disk.text_bytes());
    assert_eq!((r2.tail().len(), r2.first_held()), (CONVERSATION_TAIL_MESSAGES, 1_301));
    // It goes on from there: the next message is 1,501 with the running total.
    let mut r = r;
    let mut disk = disk;
    let fx = disk.input(&mut r, &visitor(), send("next", "hello"), 2_000);
    let total = disk.text_bytes();
    assert!(
        matches!(&fx[0], Effect::Store { message, bytes_through } if message.view.seq == 1_501 && *bytes_through == total)
    );
    assert_eq!((r.tail().len(), r.first_held()), (CONVERSATION_TAIL_MESSAGES, 1_302));
    // An empty conversation wakes empty.
    let e = Conversation::restore(ConversationId("c".into()), Config::default(), c.meta().clone(), Vec::new(), 0);
    assert_eq!((e.last_seq(), e.first_held(), e.tail().len()), (0, 1, 0));
}

#[test]
fn a_hello_from_anywhere_replays_exactly_and_densely() {
    let (c, disk) = long_conversation(unlimited(), 1_500);
    let c = disk.wake(&c);
    for (from, reads_storage) in [
        (0, true),
        (1, true),
        (750, true),
        (1_299, true),
        (1_300, false),
        (1_400, false),
        (1_499, false),
        (1_500, false),
        (9_999, false),
    ] {
        let mut c = c.clone();
        let mut d = Disk { rows: disk.rows.clone(), ..Disk::default() };
        let fx = d.input(&mut c, &fresh(operator()), hello(from), 3_000);
        let (seqs, frames, announced) = replayed(&fx);
        let want: Vec<u64> = (from.min(1_500) + 1..=1_500).collect();
        assert_eq!(seqs, want, "hello({from}) replays exactly what was missed, in order");
        assert_eq!(announced, 1_500);
        assert_eq!(d.reads, if reads_storage { vec![(from, 1_301)] } else { vec![] }, "hello({from})");
        // More than MAX_REPLAY messages take more than one frame.
        assert_eq!(frames, want.len().div_ceil(MAX_REPLAY).max(1), "hello({from})");
        // The handshake is recorded whether the replay read storage or not.
        assert!(fx.contains(&Effect::UpdateConnection(operator())), "hello({from})");
    }
}

#[test]
fn a_replay_storage_cannot_give_whole_closes_the_socket_instead_of_leaving_a_gap() {
    let (c, disk) = long_conversation(Config { tail: 10, ..unlimited() }, 50);
    let mut c = disk.wake(&c);
    let fx = c.handle_client(&fresh(visitor()), hello(5), Millis(100));
    let Some(Effect::ReadOlder(replay)) = fx.last().cloned() else { panic!("{fx:?}") };
    assert_eq!((replay.after(), replay.before()), (5, 41));
    let mut older: Vec<MessageView> =
        disk.rows.iter().map(|(m, _)| m.view.clone()).filter(|m| m.seq > 5 && m.seq < 41).collect();
    older.remove(10);
    assert_eq!(
        c.replay_older(replay, older),
        vec![Effect::Close { code: CLOSE_REPLAY_FAILED, reason: "replay unavailable".into() }]
    );
}

#[test]
fn a_large_replay_is_split_into_frames_below_the_limit() {
    use crate::limits::cloudflare::MAX_WS_MESSAGE_BYTES;
    use crate::protocol::encode_server;
    // 300 messages of 4,000 four-byte characters (16,000 bytes each, 4.8 MB): the heaviest text
    // a message may have, far more than one frame.
    let cfg = Config { max_bytes: usize::MAX, ..unlimited() };
    let mut c = Conversation::create(ConversationId("c_big".into()), cfg, Millis(0)).0;
    let mut disk = Disk::default();
    let heavy = "😀".repeat(crate::limits::MAX_MESSAGE_CHARS);
    for i in 1..=300 {
        disk.input(&mut c, &visitor(), send(&format!("m{i}"), &heavy), i);
    }
    let mut c = disk.wake(&c);
    let fx = disk.input(&mut c, &fresh(visitor()), hello(0), 1_000);
    let (seqs, frames, _) = replayed(&fx);
    assert_eq!(seqs, (1..=300).collect::<Vec<_>>());
    assert!(frames >= 300 * 16_000 / MAX_REPLAY_FRAME_BYTES, "{frames} frames");
    for e in &fx {
        if let Effect::Reply(msg) = e {
            let len = encode_server(msg).len();
            assert!(len <= MAX_REPLAY_FRAME_BYTES + 1_024, "a frame of {len} bytes");
            assert!(len < MAX_WS_MESSAGE_BYTES);
        }
    }
    // Parts are cut by count too, and never empty but for an empty replay.
    let small = |n: u64| {
        (1..=n).map(|seq| MessageView {
            seq,
            client_id: format!("m{seq}"),
            author: visitor().participant.author(),
            text: "x".into(),
            at: Millis(seq),
            attachment: None,
        })
    };
    assert_eq!(replay_parts(small(2_500)).iter().map(Vec::len).collect::<Vec<_>>(), vec![1_000, 1_000, 500]);
    assert_eq!(replay_parts(small(0)), vec![Vec::new()]);
}

#[test]
fn an_old_client_id_retried_is_acked_with_its_original_seq_and_stored_once() {
    let (c, disk) = long_conversation(unlimited(), 1_000);
    let mut c = disk.wake(&c);
    let mut disk = disk;
    let (seq5, at5) = (disk.rows[4].0.view.seq, disk.rows[4].0.view.at);
    assert!(seq5 < c.first_held(), "m5 is older than the tail");
    // The retry of m5 (the visitor's, beyond the tail): asked of storage, acked with seq 5.
    let fx = c.handle_client(&visitor(), send("m5", "message 5"), Millis(5_000));
    assert!(matches!(&fx[..], [Effect::LookUp(q)] if q.author_id() == "v_1" && q.client_id() == "m5"), "{fx:?}");
    let fx = disk.run(&mut c, fx);
    assert_eq!(fx, vec![Effect::Reply(ServerMsg::Ack { client_id: "m5".into(), seq: seq5, at: at5 })]);
    assert_eq!((disk.rows.len(), c.last_seq()), (1_000, 1_000), "stored once");
    // The same client id from another author is another message (the operator never sent m5).
    let fx = disk.input(&mut c, &operator(), send("m5", "mine"), 5_001);
    assert!(matches!(&fx[0], Effect::Store { message, .. } if message.view.seq == 1_001));
    // A retry within the tail needs no storage.
    let lookups = disk.lookups;
    let fx = disk.input(&mut c, &visitor(), send("m999", "message 999"), 5_002);
    assert!(matches!(&fx[..], [Effect::Reply(ServerMsg::Ack { seq: 999, .. })]), "{fx:?}");
    assert_eq!(disk.lookups, lookups);
    // Closed, an old retry is still acknowledged; a new message is refused.
    disk.input(&mut c, &visitor(), ClientMsg::End, 5_003);
    let fx = disk.input(&mut c, &visitor(), send("m5", "message 5"), 5_004);
    assert_eq!(fx, vec![Effect::Reply(ServerMsg::Ack { client_id: "m5".into(), seq: seq5, at: at5 })]);
    let fx = disk.input(&mut c, &visitor(), send("late", "too late"), 5_005);
    assert_eq!(error_code(&fx), Some((ErrorCode::ConversationClosed, Some("late".into()))));
    assert_eq!(disk.rows.len(), 1_001);
}

#[test]
fn the_caps_count_the_whole_conversation_not_the_tail() {
    // 5,000 messages: the 5,001st is refused, before and after a wake; retries are still acked.
    let (c, disk) = long_conversation(unlimited(), MAX_CONVERSATION_MESSAGES as u64);
    for mut c in [c.clone(), disk.wake(&c)] {
        let mut d = Disk { rows: disk.rows.clone(), ..Disk::default() };
        assert_eq!(c.tail().len(), CONVERSATION_TAIL_MESSAGES);
        let fx = d.input(&mut c, &visitor(), send("one_more", "x"), 9_000);
        assert_eq!(error_code(&fx), Some((ErrorCode::ConversationFull, Some("one_more".into()))));
        let fx = d.input(&mut c, &visitor(), send("m1", "message 1"), 9_001);
        assert!(matches!(&fx[..], [Effect::Reply(ServerMsg::Ack { seq: 1, .. })]), "{fx:?}");
        assert_eq!(d.rows.len(), MAX_CONVERSATION_MESSAGES);
    }
    // 2 MiB of text: 524 messages of 4,000 bytes, then only what fits to the byte.
    let mut c = Conversation::create(ConversationId("c_bytes".into()), unlimited(), Millis(0)).0;
    let mut disk = Disk::default();
    for i in 1..=524 {
        disk.input(&mut c, &visitor(), send(&format!("m{i}"), &"x".repeat(4_000)), i);
    }
    let mut c = disk.wake(&c);
    assert_eq!((c.bytes(), c.tail().len()), (524 * 4_000, CONVERSATION_TAIL_MESSAGES));
    let left = MAX_CONVERSATION_BYTES - 524 * 4_000;
    let fx = disk.input(&mut c, &visitor(), send("over", &"x".repeat(left + 1)), 600);
    assert_eq!(error_code(&fx), Some((ErrorCode::ConversationFull, Some("over".into()))));
    let fx = disk.input(&mut c, &visitor(), send("fits", &"x".repeat(left)), 601);
    assert!(matches!(&fx[0], Effect::Store { bytes_through, .. } if *bytes_through == MAX_CONVERSATION_BYTES as u64));
    let mut c = disk.wake(&c);
    let fx = disk.input(&mut c, &visitor(), send("one_byte", "x"), 602);
    assert_eq!(error_code(&fx), Some((ErrorCode::ConversationFull, Some("one_byte".into()))));
}

#[test]
fn whether_an_operator_wrote_is_known_beyond_the_tail() {
    let cfg = Config { tail: 5, ..unlimited() };
    let mut c = Conversation::create(ConversationId("c".into()), cfg, Millis(0)).0;
    let mut disk = Disk::default();
    disk.input(&mut c, &fresh(operator()), hello(0), 1);
    assert!(c.no_operator_response());
    let fx = disk.input(&mut c, &operator(), send("o1", "hello"), 2);
    assert!(fx.iter().any(|e| matches!(e, Effect::SaveMeta(m) if m.operator_wrote)), "{fx:?}");
    for i in 0..20 {
        disk.input(&mut c, &visitor(), send(&format!("m{i}"), "x"), 3 + i);
    }
    let r = disk.wake(&c);
    assert!(r.tail().all(|m| m.view.author.role == Role::Visitor), "the operator's message is not held");
    assert!(!r.no_operator_response());
    // A meta stored before the flag existed reads as "not written" (the object's migration
    // sets it from the stored messages).
    let mut json = serde_json::to_value(c.meta()).unwrap();
    json.as_object_mut().unwrap().remove("operator_wrote");
    assert!(!serde_json::from_value::<Meta>(json).unwrap().operator_wrote);
}

#[test]
fn the_dispatcher_hears_of_a_visitors_turn_once_when_the_chat_has_an_operator() {
    let mut c = conv();
    let told = |fx: &[Effect]| fx.iter().filter(|e| matches!(e, Effect::Dispatch(Notice::VisitorWrote))).count();
    // Not routed yet: the new chat's own push says it.
    assert_eq!(told(&c.handle_client(&visitor(), send("v1", "Hello?"), Millis(1))), 0);
    c.handle_route(
        RouteUpdate::Assigned {
            operator_id: "o_1".into(),
            operator_name: "Dana".into(),
            how: Received::Routed,
            from: None,
        },
        None,
        Millis(2),
    );
    // The visitor's turn: its first message tells, the next ones do not.
    let fx = c.handle_client(&visitor(), send("v2", "Anyone?"), Millis(3));
    assert_eq!(told(&fx), 1);
    assert!(fx.iter().any(|e| matches!(e, Effect::SaveMeta(m) if m.visitor_told)), "kept across a wake");
    assert_eq!(told(&c.handle_client(&visitor(), send("v3", "Hello??"), Millis(4))), 0);
    // A retry of a told message tells nothing.
    assert_eq!(told(&c.handle_client(&visitor(), send("v2", "Anyone?"), Millis(5))), 0);
    // The operator answers: the next visitor message is a new turn.
    assert_eq!(told(&c.handle_client(&operator(), send("o1", "Hi!"), Millis(6))), 0);
    assert_eq!(told(&c.handle_client(&visitor(), send("v4", "Great"), Millis(7))), 1);
}

fn missed(fx: &[Effect]) -> Vec<&Missed> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::MailMissed(m) => Some(m),
            _ => None,
        })
        .collect()
}

#[test]
fn a_chat_unanswered_past_its_wait_is_mailed_once() {
    let mut c = conv();
    c.set_missed_wait(Some(300_000));
    assert_eq!(c.missed_deadline(), None, "no visitor message yet");
    c.handle_client(&visitor(), send("v1", "Anyone there?"), Millis(1_000));
    c.handle_client(&visitor(), send("v2", "Hello?"), Millis(2_000));
    assert_eq!(c.missed_deadline(), Some(Millis(301_000)), "from the first message");
    assert!(c.next_deadline().is_some_and(|d| d <= Millis(301_000)));
    assert!(missed(&c.handle_alarm(Millis(300_999))).is_empty());
    let fx = c.handle_alarm(Millis(301_500));
    let m = missed(&fx);
    assert_eq!(m.len(), 1);
    assert_eq!(*m[0], Missed { first_message: "Anyone there?".into(), started_at: Millis(1_000), waited_ms: 300_500 });
    assert!(fx.iter().any(|e| matches!(e, Effect::SaveMeta(meta) if meta.missed_mailed)));
    // Once: a later alarm (or a restored object) mails nothing more.
    assert_eq!(c.missed_deadline(), None);
    assert!(missed(&c.handle_alarm(Millis(900_000))).is_empty());
    let again = Conversation::restore(c.id().clone(), Config::default(), c.meta().clone(), Vec::new(), 0);
    assert_eq!(again.missed_deadline(), None);
}

#[test]
fn an_answered_or_unconfigured_chat_is_never_missed() {
    let mut answered = conv();
    answered.set_missed_wait(Some(60_000));
    answered.handle_client(&visitor(), send("v1", "Hi"), Millis(1_000));
    answered.handle_client(&operator(), send("o1", "Hello!"), Millis(30_000));
    assert_eq!(answered.missed_deadline(), None);
    assert!(missed(&answered.handle_alarm(Millis(120_000))).is_empty());

    let mut off = conv();
    let fx = off.handle_client(&visitor(), send("v1", "Hi"), Millis(1_000));
    assert!(!fx.iter().any(|e| matches!(e, Effect::SaveMeta(_))), "no wait: the first message writes no meta");
    assert_eq!(off.missed_deadline(), None);

    let mut closed = conv();
    closed.set_missed_wait(Some(60_000));
    closed.handle_client(&visitor(), send("v1", "Hi"), Millis(1_000));
    closed.handle_client(&visitor(), ClientMsg::End, Millis(2_000));
    assert_eq!(closed.missed_deadline(), None);
    assert_eq!(closed.next_deadline(), None);
}

fn away_visitor_conv() -> Conversation {
    // Created at 0: the visitor counts as away until their widget says hello.
    let mut c = conv();
    c.set_mail_replies(true);
    c
}

#[test]
fn answers_to_an_away_visitor_are_mailed_together_after_the_delay() {
    let mut c = away_visitor_conv();
    c.handle_client(&visitor(), send("v1", "Hi, call me back?"), Millis(1_000));
    c.handle_client(&operator(), send("o1", "Sure, when?"), Millis(10_000));
    c.handle_client(&operator(), send("o2", "Tomorrow at 9?"), Millis(20_000));
    let at = Millis(10_000 + REPLY_MAIL_DELAY_MS);
    assert_eq!(c.meta().reply_mail, Some((2, at)), "from the first answer, timed by it");
    assert!(c.next_deadline().is_some_and(|d| d <= at));
    assert!(!c.handle_alarm(Millis(at.0 - 1)).iter().any(|e| matches!(e, Effect::MailReply { .. })));
    let fx = c.handle_alarm(at);
    assert!(fx.contains(&Effect::MailReply { from_seq: 2 }));
    assert!(!c.handle_alarm(Millis(at.0 + 1)).iter().any(|e| matches!(e, Effect::MailReply { .. })), "once");
    // A later answer starts the next mail.
    c.handle_client(&operator(), send("o3", "Or Friday?"), Millis(200_000));
    assert_eq!(c.meta().reply_mail, Some((4, Millis(200_000 + REPLY_MAIL_DELAY_MS))));
}

#[test]
fn a_visitor_back_in_the_widget_or_without_an_address_gets_no_mail() {
    let mut back = away_visitor_conv();
    back.handle_client(&operator(), send("o1", "Hello?"), Millis(1_000));
    assert!(back.meta().reply_mail.is_some());
    back.handle_client(&fresh(visitor()), hello(0), Millis(2_000));
    assert_eq!(back.meta().reply_mail, None, "they read it in the widget");

    let mut here = away_visitor_conv();
    here.handle_client(&fresh(visitor()), hello(0), Millis(500));
    here.handle_client(&operator(), send("o1", "Hello!"), Millis(1_000));
    assert_eq!(here.meta().reply_mail, None, "a visitor with the widget open");

    let mut unknown = conv();
    unknown.handle_client(&operator(), send("o1", "Hello?"), Millis(1_000));
    assert_eq!(unknown.meta().reply_mail, None, "no address");
}

fn read(seq: u64) -> ClientMsg {
    ClientMsg::Read { seq }
}

fn second_operator() -> Connection {
    Connection { participant: Participant { role: Role::Operator, id: "o_2".into(), name: "Bo".into() }, greeted: true }
}

/// Read receipts (issue 21): a mark moves forward only, counts through the other side's
/// messages, is saved before it is told, and is told to the other sockets once.
#[test]
fn read_marks_move_forward_once_and_reach_the_others() {
    let mut c = conv();
    c.handle_client(&visitor(), send("m1", "hello"), Millis(1)); // 1 visitor
    c.handle_client(&visitor(), send("m2", "anyone?"), Millis(2)); // 2 visitor
    c.handle_client(&operator(), send("o1", "Hi"), Millis(3)); // 3 operator
    c.handle_client(&visitor(), send("m3", "great"), Millis(4)); // 4 visitor

    // The operator reads up to 2: saved, then told to every other socket.
    let fx = c.handle_client(&operator(), read(2), Millis(5));
    assert!(matches!(&fx[0], Effect::SaveMeta(m) if m.operator_read == 2 && m.visitor_read == 0), "{fx:?}");
    assert_eq!(fx[1], Effect::BroadcastOthers(ServerMsg::Read { visitor_read: 0, operator_read: 2 }));
    assert_eq!(fx.len(), 2);
    // The same mark again, or a lower one, changes nothing and sends nothing.
    assert_eq!(c.handle_client(&operator(), read(2), Millis(6)), vec![]);
    assert_eq!(c.handle_client(&operator(), read(1), Millis(6)), vec![]);
    // Through 3 is the same as through 2 for the operators (3 is their own message).
    assert_eq!(c.handle_client(&operator(), read(3), Millis(6)), vec![]);
    // Another operator reading counts for the operators' side (one shared mark).
    let fx = c.handle_client(&second_operator(), read(4), Millis(7));
    assert_eq!(fx[1], Effect::BroadcastOthers(ServerMsg::Read { visitor_read: 0, operator_read: 4 }));
    assert_eq!(c.meta().operator_read, 4);

    // The visitor's mark counts only through operators' messages: 1 and 2 are theirs.
    assert_eq!(c.handle_client(&visitor(), read(2), Millis(8)), vec![]);
    // A mark past the last message is clamped to the latest operator's message (3).
    let fx = c.handle_client(&visitor(), read(99), Millis(9));
    assert_eq!(fx[1], Effect::BroadcastOthers(ServerMsg::Read { visitor_read: 3, operator_read: 0 }));
    assert_eq!((c.meta().visitor_read, c.meta().operator_read), (3, 4));
    assert_eq!(c.handle_client(&visitor(), read(4), Millis(9)), vec![]);
}

#[test]
fn read_marks_survive_a_restart_and_come_with_the_welcome() {
    let mut c = conv();
    c.handle_client(&visitor(), send("m1", "hello"), Millis(1));
    c.handle_client(&operator(), send("o1", "Hi"), Millis(2));
    c.handle_client(&operator(), read(1), Millis(3));
    c.handle_client(&visitor(), read(2), Millis(4));
    let mut r = restarted(&c);
    for who in [visitor(), operator()] {
        let fx = r.handle_client(&fresh(who), hello(0), Millis(5));
        let Some(Effect::Reply(ServerMsg::Welcome { visitor_read, operator_read, .. })) = fx.last() else {
            panic!("{fx:?}")
        };
        assert_eq!((*visitor_read, *operator_read), (2, 1));
    }
    // Restored, the marks still only move forward.
    assert_eq!(r.handle_client(&operator(), read(1), Millis(6)), vec![]);
    // A meta saved before read receipts reads as nothing read.
    let mut old = serde_json::to_value(c.meta()).unwrap();
    old.as_object_mut().unwrap().retain(|k, _| !k.ends_with("_read"));
    let old: Meta = serde_json::from_value(old).unwrap();
    assert_eq!((old.visitor_read, old.operator_read), (0, 0));
}

#[test]
fn a_read_mark_needs_the_hello_and_works_after_the_close() {
    let mut c = conv();
    c.handle_client(&visitor(), send("m1", "hello"), Millis(1));
    let fx = c.handle_client(&fresh(operator()), read(1), Millis(2));
    assert_eq!(error_code(&fx), Some((ErrorCode::HelloRequired, None)));
    assert_eq!(c.meta().operator_read, 0);
    c.handle_client(&visitor(), ClientMsg::End, Millis(3));
    // The operator reads the last message after the visitor ended the chat: still a receipt.
    let fx = c.handle_client(&operator(), read(1), Millis(4));
    assert_eq!(fx[1], Effect::BroadcastOthers(ServerMsg::Read { visitor_read: 0, operator_read: 1 }));
}

#[test]
fn a_send_carries_a_file_uploaded_to_this_conversation_only() {
    use crate::attachments::attachment_token;
    use crate::keys::{Keyring, Purpose};
    let ring = Keyring::new(b"0123456789abcdef-current", None, Purpose::AttachmentToken);
    let file = AttachmentView {
        id: "f_1".into(),
        name: "shot.png".into(),
        content_type: "image/png".into(),
        size: 10,
        width: Some(3),
        height: Some(2),
    };
    let with = |id: &str, token: &str| ClientMsg::Send {
        client_id: id.into(),
        text: String::new(),
        attachment: Some(token.into()),
    };
    let mut c = conv();
    // Without the key nothing is trusted.
    let mine = attachment_token(&ring, "c_1", &file);
    let fx = c.handle_client(&visitor(), with("m1", &mine), Millis(1));
    assert_eq!(error_code(&fx), Some((ErrorCode::BadAttachment, Some("m1".into()))));
    c.set_attachment_keys(ring.clone());
    // Another conversation's file, or an altered token: refused, nothing stored.
    let theirs = attachment_token(&ring, "c_2", &file);
    let fx = c.handle_client(&visitor(), with("m1", &theirs), Millis(2));
    assert_eq!(error_code(&fx), Some((ErrorCode::BadAttachment, Some("m1".into()))));
    let fx = c.handle_client(&visitor(), with("m1", &mine.replace('.', ".x")), Millis(2));
    assert_eq!(error_code(&fx), Some((ErrorCode::BadAttachment, Some("m1".into()))));
    assert_eq!(c.last_seq(), 0);
    // Its own: stored with the file, empty text allowed; a retry is acked, stored once.
    let fx = c.handle_client(&visitor(), with("m1", &mine), Millis(3));
    assert!(
        matches!(&fx[0], Effect::Store { message: m, .. } if m.view.attachment.as_ref() == Some(&file) && m.view.text.is_empty())
    );
    assert!(fx.iter().any(|e| matches!(e, Effect::BroadcastOthers(ServerMsg::Message { message }) if message.attachment == Some(file.clone()))));
    let fx = c.handle_client(&visitor(), with("m1", &mine), Millis(4));
    assert_eq!(fx, vec![Effect::Reply(ServerMsg::Ack { client_id: "m1".into(), seq: 1, at: Millis(3) })]);
    assert_eq!(c.last_seq(), 1);
    // A hello replays it with its file.
    let fx = c.handle_client(&fresh(operator()), crate::protocol::hello(0), Millis(5));
    assert!(fx.iter().any(|e| matches!(e, Effect::Reply(ServerMsg::Welcome { history, .. }) if history[0].attachment == Some(file.clone()))));
}

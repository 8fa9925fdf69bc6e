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
    ClientMsg::Send { client_id: id.into(), text: text.into() }
}
fn config() -> Config {
    Config { visitor_rate: Rate { burst: 3, per_sec: 1 }, session_timeout_ms: 60_000, ..Config::default() }
}
fn conv() -> Conversation {
    Conversation::create(ConversationId("c_1".into()), Config::default(), Millis(0)).0
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
fn stores_then_acks_then_broadcasts() {
    let mut c = conv();
    let fx = c.handle_client(&visitor(), send("m1", "hello"), Millis(100));
    assert!(matches!(&fx[0], Effect::Store(m) if m.view.seq == 1 && m.view.text == "hello"));
    assert_eq!(fx[1], Effect::Reply(ServerMsg::Ack { client_id: "m1".into(), seq: 1, at: Millis(100) }));
    assert!(matches!(&fx[2], Effect::Broadcast(ServerMsg::Message { message }) if message.seq == 1));
    assert_eq!(c.last_seq(), 1);
}

#[test]
fn repeated_client_id_is_acked_again_and_stored_once() {
    let mut c = conv();
    c.handle_client(&visitor(), send("m1", "hello"), Millis(100));
    let fx = c.handle_client(&visitor(), send("m1", "hello"), Millis(200));
    assert_eq!(fx, vec![Effect::Reply(ServerMsg::Ack { client_id: "m1".into(), seq: 1, at: Millis(100) })]);
    assert_eq!(c.messages().len(), 1);
    // The same client id from another author is another message.
    let fx = c.handle_client(&operator(), send("m1", "hi"), Millis(300));
    assert!(matches!(&fx[0], Effect::Store(m) if m.view.seq == 2));
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
fn replay_is_capped() {
    let cfg = Config { visitor_rate: Rate { burst: 10_000, per_sec: 1 }, ..Config::default() };
    let mut c = Conversation::create(ConversationId("c".into()), cfg, Millis(0)).0;
    for i in 0..(MAX_REPLAY + 5) {
        c.handle_client(&visitor(), send(&format!("m{i}"), "x"), Millis(1));
    }
    let fx = c.handle_client(&fresh(visitor()), hello(0), Millis(2));
    let Some(Effect::Reply(ServerMsg::Welcome { history, last_seq, .. })) = fx.last() else { panic!() };
    assert_eq!(history.len(), MAX_REPLAY);
    assert_eq!(*last_seq, (MAX_REPLAY + 5) as u64);
}

#[test]
fn restore_keeps_idempotency_and_meta() {
    let mut c = conv();
    c.handle_client(&visitor(), send("m1", "hello"), Millis(1));
    let mut r = Conversation::restore(c.id().clone(), Config::default(), c.meta().clone(), c.messages().to_vec());
    let fx = r.handle_client(&visitor(), send("m1", "hello"), Millis(5));
    assert_eq!(fx.len(), 1);
    let fx = r.handle_client(&visitor(), send("m2", "again"), Millis(6));
    assert!(matches!(&fx[0], Effect::Store(m) if m.view.seq == 2));
}

#[test]
fn wrong_version_is_incompatible_and_closes() {
    let mut c = conv();
    let fx = c.handle_client(&fresh(visitor()), ClientMsg::Hello { protocol: 2, last_seq: 0 }, Millis(1));
    assert!(matches!(&fx[0], Effect::Reply(ServerMsg::Incompatible { supported: 1, .. })));
    assert!(matches!(&fx[1], Effect::Close { code: CLOSE_INCOMPATIBLE, .. }));
}

#[test]
fn nothing_before_hello() {
    let mut c = conv();
    let fx = c.handle_client(&fresh(visitor()), send("m1", "x"), Millis(1));
    assert_eq!(error_code(&fx), Some((ErrorCode::HelloRequired, Some("m1".into()))));
    let fx = c.handle_client(&fresh(visitor()), ClientMsg::Ping, Millis(1));
    assert_eq!(error_code(&fx), Some((ErrorCode::HelloRequired, None)));
    assert!(c.messages().is_empty());
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
    assert_eq!(c.messages().len(), 1);
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
        assert!(matches!(&fx[0], Effect::Store(_)), "burst message {i}");
    }
    let fx = c.handle_client(&visitor(), send("m3", "x"), Millis(1000));
    assert_eq!(
        fx,
        vec![error(
            ProtocolError::new(ErrorCode::RateLimited, "too many messages, slow down and retry").for_send(Some("m3"))
        )]
    );
    assert_eq!(c.messages().len(), 3);
    // A retry of a stored message is never limited.
    assert!(matches!(
        &c.handle_client(&visitor(), send("m0", "x"), Millis(1000))[0],
        Effect::Reply(ServerMsg::Ack { .. })
    ));
    // One token a second: after a second the refused message goes through.
    assert!(matches!(&c.handle_client(&visitor(), send("m3", "x"), Millis(2000))[0], Effect::Store(_)));
    // Operators are not limited.
    for i in 0..10 {
        assert!(matches!(
            &c.handle_client(&operator(), send(&format!("o{i}"), "x"), Millis(2000))[0],
            Effect::Store(_)
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
    let mut c = Conversation::restore(c.id().clone(), cfg, c.meta().clone(), c.messages().to_vec());
    let fx = c.handle_client(&operator(), send("o1", "12345"), Millis(2));
    assert_eq!(error_code(&fx), Some((ErrorCode::ConversationFull, Some("o1".into()))));
    let fx = c.handle_client(&operator(), send("o2", "1234"), Millis(3));
    assert_eq!(error_code(&fx), None);
    assert_eq!(c.last_seq(), 2);
}

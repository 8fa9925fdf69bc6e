use super::*;

const SEC: u64 = 1_000;
const MIN: u64 = 60 * SEC;

fn profile(id: &str, langs: &[&str], max: u32) -> Profile {
    Profile {
        id: id.into(),
        name: id.to_uppercase(),
        languages: langs.iter().map(|l| l.to_string()).collect(),
        max_chats: max,
        disabled: false,
    }
}

/// Dana speaks English (3 chats), Sam Spanish and French (2 chats); both online in `web`.
fn two_operators() -> (Dispatch, Ids) {
    let mut d = Dispatch::new(Config { forward_after_ms: MIN, inactivity_ms: 30 * MIN, ..Config::default() });
    let mut ids = Ids(0);
    d.upsert_profile(profile("dana", &["en"], 3), Millis(0), ids.next());
    d.upsert_profile(profile("sam", &["es", "fr"], 2), Millis(0), ids.next());
    for op in ["dana", "sam"] {
        d.set_online(op, true, Millis(0), ids.next()).unwrap();
        d.join(op, "web", Millis(0)).unwrap();
    }
    (d, ids)
}

struct Ids(u32);
impl Ids {
    fn next(&mut self) -> String {
        self.0 += 1;
        format!("a{}", self.0)
    }
}

fn assigned_to(u: &RouteUpdate) -> &str {
    match u {
        RouteUpdate::Assigned { operator_id, .. } => operator_id.as_str(),
        other => panic!("expected an assignment, got {other:?}"),
    }
}

fn notices(effects: &[Effect]) -> Vec<(String, RouteUpdate)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notify { conversation_id, update } => Some((conversation_id.0.clone(), update.clone())),
            Effect::Interval { .. } | Effect::Push { .. } => None,
        })
        .collect()
}

#[test]
fn visitors_reach_an_operator_who_speaks_their_language() {
    let (mut d, _) = two_operators();
    let (u, _) = d.new_chat("c_en", "web", Some("en-US"), Millis(SEC));
    assert_eq!(assigned_to(&u), "dana");
    let (u, _) = d.new_chat("c_es", "web", Some("es"), Millis(2 * SEC));
    assert_eq!(assigned_to(&u), "sam");
    // Sam has one chat, Dana one: French goes to Sam though both are equally loaded.
    let (u, _) = d.new_chat("c_fr", "web", Some("fr-FR"), Millis(3 * SEC));
    assert_eq!(assigned_to(&u), "sam");
    // Sam is now full (2/2): a Spanish visitor goes to Dana rather than waiting.
    let (u, _) = d.new_chat("c_es2", "web", Some("es"), Millis(4 * SEC));
    assert_eq!(assigned_to(&u), "dana");
    // Asking again about a known chat changes nothing.
    let (again, effects) = d.new_chat("c_es2", "web", Some("es"), Millis(5 * SEC));
    assert_eq!(assigned_to(&again), "dana");
    assert!(effects.is_empty());
}

#[test]
fn without_a_language_the_least_loaded_then_longest_idle_wins() {
    let (mut d, _) = two_operators();
    // Both idle since 0: the id breaks the tie.
    assert_eq!(assigned_to(&d.new_chat("c1", "web", None, Millis(SEC)).0), "dana");
    assert_eq!(assigned_to(&d.new_chat("c2", "web", None, Millis(2 * SEC)).0), "sam");
    // 1 each; Dana got hers earlier, so she has been idle longer.
    assert_eq!(assigned_to(&d.new_chat("c3", "web", None, Millis(3 * SEC)).0), "dana");
}

#[test]
fn beyond_capacity_the_visitor_waits_first_in_line_and_gets_the_freed_slot() {
    let (mut d, mut ids) = two_operators();
    d.set_online("dana", false, Millis(0), ids.next()).unwrap();
    d.new_chat("c1", "web", Some("es"), Millis(SEC));
    d.new_chat("c2", "web", Some("es"), Millis(2 * SEC));
    let (u, _) = d.new_chat("c3", "web", Some("es"), Millis(3 * SEC));
    // Sam's 2 slots, default 5-minute chats: one round of waiting.
    assert_eq!(u, RouteUpdate::Queued { position: 1, estimated_wait_ms: Some(DEFAULT_CHAT_MS) });
    let (u4, _) = d.new_chat("c4", "web", Some("es"), Millis(4 * SEC));
    assert_eq!(u4, RouteUpdate::Queued { position: 2, estimated_wait_ms: Some(DEFAULT_CHAT_MS) });
    assert_eq!(d.view().chats.iter().find(|c| c.conversation_id == "c3").unwrap().position, Some(1));

    let effects = d.closed("c1", Millis(4 * MIN));
    let n = notices(&effects);
    assert_eq!(n[0].0, "c3");
    assert_eq!(
        n[0].1,
        RouteUpdate::Assigned {
            operator_id: "sam".into(),
            operator_name: "SAM".into(),
            how: Received::Dequeued,
            from: None
        }
    );
    // c4 moves up, and its estimate now uses the measured chat length.
    assert!(n.iter().any(|(c, u)| c == "c4" && matches!(u, RouteUpdate::Queued { position: 1, .. })));
}

#[test]
fn with_nobody_online_the_chat_waits_without_an_estimate_until_someone_comes() {
    let mut d = Dispatch::new(Config::default());
    d.upsert_profile(profile("dana", &["en"], 3), Millis(0), "a1".into());
    assert!(!d.available("web"));
    let (u, _) = d.new_chat("c1", "web", Some("en"), Millis(SEC));
    assert_eq!(u, RouteUpdate::Queued { position: 1, estimated_wait_ms: None });
    // Online but not in the channel: still nobody.
    assert!(notices(&d.set_online("dana", true, Millis(2 * SEC), "a2".into()).unwrap()).is_empty());
    let effects = d.join("dana", "web", Millis(3 * SEC)).unwrap();
    assert!(d.available("web"));
    assert_eq!(assigned_to(&notices(&effects)[0].1), "dana");
}

#[test]
fn an_unanswered_chat_is_forwarded_after_the_delay() {
    let (mut d, mut ids) = two_operators();
    let (u, _) = d.new_chat("c1", "web", Some("en"), Millis(0));
    assert_eq!(assigned_to(&u), "dana");
    assert_eq!(d.next_deadline(), Some(Millis(MIN)));
    assert!(notices(&d.handle_alarm(Millis(MIN - 1), || ids.next())).is_empty(), "early alarm");
    let n = notices(&d.handle_alarm(Millis(MIN), || ids.next()));
    assert_eq!(
        n,
        vec![(
            "c1".into(),
            RouteUpdate::Assigned {
                operator_id: "sam".into(),
                operator_name: "SAM".into(),
                how: Received::Forwarded,
                from: Some("dana".into())
            }
        )]
    );
    assert_eq!(d.view().operators.iter().map(|o| o.ongoing).collect::<Vec<_>>(), [0, 1]);
    // Sam answers: no more forwarding.
    d.answered("c1", "sam", Millis(MIN + SEC));
    assert!(notices(&d.handle_alarm(Millis(10 * MIN), || ids.next())).is_empty());
}

#[test]
fn a_forward_with_nobody_else_free_stays_and_is_tried_again() {
    let (mut d, mut ids) = two_operators();
    d.set_online("sam", false, Millis(0), ids.next()).unwrap();
    d.new_chat("c1", "web", None, Millis(0));
    assert!(notices(&d.handle_alarm(Millis(MIN), || ids.next())).is_empty());
    assert_eq!(d.operator_of("c1"), Some("dana"));
    assert_eq!(d.next_deadline(), Some(Millis(2 * MIN)));
}

#[test]
fn transfers_move_the_chat_and_check_the_target() {
    let (mut d, mut ids) = two_operators();
    d.new_chat("c1", "web", Some("en"), Millis(0));
    d.answered("c1", "dana", Millis(SEC));
    assert_eq!(d.transfer("c1", "dana", Millis(2 * SEC)), Err(DispatchError::SameOperator));
    assert_eq!(d.transfer("c1", "nobody", Millis(2 * SEC)), Err(DispatchError::UnknownOperator));
    assert_eq!(d.transfer("cX", "sam", Millis(2 * SEC)), Err(DispatchError::UnknownChat));
    let n = notices(&d.transfer("c1", "sam", Millis(2 * SEC)).unwrap());
    assert_eq!(
        n[0].1,
        RouteUpdate::Assigned {
            operator_id: "sam".into(),
            operator_name: "SAM".into(),
            how: Received::Transferred,
            from: Some("dana".into())
        }
    );
    d.set_online("dana", false, Millis(3 * SEC), ids.next()).unwrap();
    assert_eq!(d.transfer("c1", "dana", Millis(4 * SEC)), Err(DispatchError::TargetUnavailable));
    // A full target is refused too.
    d.new_chat("c2", "web", Some("es"), Millis(5 * SEC));
    d.set_online("dana", true, Millis(6 * SEC), ids.next()).unwrap();
    d.new_chat("c3", "web", Some("en"), Millis(7 * SEC));
    assert_eq!(d.view().operators[1].ongoing, 2);
    assert_eq!(d.transfer("c3", "sam", Millis(8 * SEC)), Err(DispatchError::TargetUnavailable));
}

#[test]
fn an_operator_who_writes_in_someone_elses_chat_takes_it() {
    let (mut d, _) = two_operators();
    d.new_chat("c1", "web", Some("en"), Millis(0));
    let n = notices(&d.answered("c1", "sam", Millis(SEC)));
    assert!(matches!(&n[0].1, RouteUpdate::Assigned { how: Received::Taken, operator_id, .. } if operator_id == "sam"));
    assert_eq!(d.operator_of("c1"), Some("sam"));
    assert_eq!(d.next_deadline(), Some(Millis(30 * MIN)), "answered: only inactivity remains");
}

#[test]
fn inactive_operators_go_offline_leave_and_their_unanswered_chats_go_back_in_line() {
    let mut d = Dispatch::new(Config { forward_after_ms: 10 * MIN, inactivity_ms: 30 * MIN, ..Config::default() });
    let mut ids = Ids(0);
    d.upsert_profile(profile("dana", &["en"], 3), Millis(0), ids.next());
    d.set_online("dana", true, Millis(0), ids.next()).unwrap();
    d.join("dana", "web", Millis(0)).unwrap();
    d.new_chat("c_answered", "web", None, Millis(MIN));
    d.new_chat("c_waiting", "web", None, Millis(2 * MIN));
    d.answered("c_answered", "dana", Millis(3 * MIN));
    d.touch("dana", Millis(5 * MIN)).unwrap();
    // Forward of c_waiting first (12 min): nobody else, it stays.
    assert_eq!(d.next_deadline(), Some(Millis(12 * MIN)));
    d.handle_alarm(Millis(12 * MIN), || ids.next());
    assert_eq!(d.next_deadline(), Some(Millis(22 * MIN)));
    d.handle_alarm(Millis(22 * MIN), || ids.next());
    assert_eq!(d.next_deadline(), Some(Millis(32 * MIN)));
    assert!(d
        .handle_alarm(Millis(35 * MIN - 1), || ids.next())
        .iter()
        .all(|e| matches!(e, Effect::Notify { .. } | Effect::Push { .. })));
    assert!(d.is_online("dana"), "one ms before the timeout");
    let effects = d.handle_alarm(Millis(35 * MIN), || ids.next());
    assert!(!d.is_online("dana"));
    assert!(d.view().operators[0].channels.is_empty(), "removed from the channel");
    let iv: Vec<&Interval> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Interval { interval, .. } => Some(interval),
            Effect::Notify { .. } | Effect::Push { .. } => None,
        })
        .collect();
    assert_eq!(iv.len(), 2, "the online interval ends, an offline one starts");
    assert_eq!((iv[0].state, iv[0].end), (State::Online, Some(Millis(35 * MIN))));
    assert_eq!((iv[1].state, iv[1].start, iv[1].end), (State::Offline, Millis(35 * MIN), None));
    assert_ne!(iv[0].activity_id, iv[1].activity_id);
    // The answered chat stays hers; the unanswered one waits, with nobody online.
    assert_eq!(d.operator_of("c_answered"), Some("dana"));
    assert_eq!(
        notices(&effects),
        vec![("c_waiting".into(), RouteUpdate::Queued { position: 1, estimated_wait_ms: None })]
    );
}

#[test]
fn going_offline_by_hand_forwards_unanswered_chats() {
    let (mut d, mut ids) = two_operators();
    d.new_chat("c1", "web", Some("en"), Millis(0));
    let n = notices(&d.set_online("dana", false, Millis(SEC), ids.next()).unwrap());
    assert!(
        matches!(&n[0].1, RouteUpdate::Assigned { how: Received::Forwarded, operator_id, .. } if operator_id == "sam")
    );
    // Leaving the channel does the same.
    d.set_online("dana", true, Millis(2 * SEC), ids.next()).unwrap();
    d.new_chat("c2", "web", Some("es"), Millis(3 * SEC));
    d.new_chat("c3", "web", Some("es"), Millis(4 * SEC));
    assert_eq!(d.operator_of("c3"), Some("dana"), "Sam is full");
    let effects = d.leave("dana", "web", Millis(5 * SEC)).unwrap();
    assert_eq!(
        notices(&effects),
        vec![("c3".into(), RouteUpdate::Queued { position: 1, estimated_wait_ms: Some(DEFAULT_CHAT_MS) })]
    );
}

#[test]
fn disabling_an_operator_takes_them_offline() {
    let (mut d, mut ids) = two_operators();
    let mut p = profile("dana", &["en"], 3);
    p.disabled = true;
    let effects = d.upsert_profile(p, Millis(SEC), ids.next());
    assert!(!d.is_online("dana"));
    assert!(effects.iter().any(|e| matches!(e, Effect::Interval { .. })));
    assert_eq!(d.set_online("dana", true, Millis(2 * SEC), ids.next()), Err(DispatchError::UnknownOperator));
    assert_eq!(d.view().operators.len(), 1, "disabled operators are not shown");
}

#[test]
fn state_survives_a_round_trip_through_json() {
    let (mut d, _) = two_operators();
    d.new_chat("c1", "web", Some("en"), Millis(0));
    let back = Dispatch::restore(&d.to_json(), d.config).unwrap();
    assert_eq!(back, d);
    assert_eq!(back.next_deadline(), Some(Millis(MIN)));
}

#[test]
fn refusals_keep_their_code() {
    for d in [
        DispatchError::UnknownOperator,
        DispatchError::UnknownChat,
        DispatchError::TargetUnavailable,
        DispatchError::SameOperator,
        DispatchError::QueueFull,
    ] {
        let e = ApiError::from(d.clone());
        assert_eq!((e.code.as_str(), e.message.as_str()), (d.code(), d.message()));
    }
    assert_eq!(ApiError::from(DispatchError::QueueFull).status(), 503);
}

#[test]
fn a_full_queue_refuses_new_chats_and_counts_as_unavailable() {
    let (mut d, _) = two_operators();
    // Dana takes 3, Sam 2: the rest wait.
    let mut n = 0;
    while !d.queue_full("web") {
        assert_eq!(d.admit_chat(&format!("c{n}"), "web"), Ok(()));
        d.new_chat(&format!("c{n}"), "web", None, Millis(n));
        n += 1;
    }
    assert_eq!(n as usize, 5 + MAX_QUEUE_PER_CHANNEL);
    assert!(!d.available("web"), "a full queue sends visitors to the offline form");
    assert_eq!(d.admit_chat("late", "web"), Err(DispatchError::QueueFull));
    // A chat already known is admitted again (its start repeated); other channels are not held.
    assert_eq!(d.admit_chat("c7", "web"), Ok(()));
    assert_eq!(d.admit_chat("late", "shop"), Ok(()));
    // One chat closes: a place frees up.
    d.closed("c0", Millis(10_000));
    assert!(!d.queue_full("web"));
    assert!(d.available("web"));
    assert_eq!(d.admit_chat("late", "web"), Ok(()));
}

#[test]
fn a_chat_whose_start_failed_frees_its_operator_slot_when_closed() {
    // The ghost chat: the dispatcher assigned it, then its object could not be created. The
    // edge then tells the dispatcher it is closed, and the slot is free for the next chat.
    let mut d = Dispatch::new(Config { forward_after_ms: MIN, inactivity_ms: 30 * MIN, ..Config::default() });
    let mut ids = Ids(0);
    d.upsert_profile(profile("dana", &["en"], 1), Millis(0), ids.next());
    d.set_online("dana", true, Millis(0), ids.next()).unwrap();
    d.join("dana", "web", Millis(0)).unwrap();
    let (u, _) = d.new_chat("ghost", "web", None, Millis(1));
    assert_eq!(assigned_to(&u), "dana");
    let (u, _) = d.new_chat("next", "web", None, Millis(2));
    assert!(matches!(u, RouteUpdate::Queued { .. }), "dana's one slot is taken: {u:?}");
    d.closed("ghost", Millis(3));
    assert_eq!(d.operator_of("next"), Some("dana"), "the queued chat gets the freed slot");
    assert_eq!(d.where_is("ghost"), None);
}

fn pushes(effects: &[Effect]) -> Vec<(String, String, PushKind)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Push { operator_id, conversation_id, kind, .. } => {
                Some((operator_id.0.clone(), conversation_id.0.clone(), *kind))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_new_chat_is_pushed_to_its_operator_only_when_their_console_is_closed() {
    let (mut d, _) = two_operators();
    let gone = Config::default().console_gone_ms;
    // Dana's console polled at 0: open. A chat for her at 1 s pushes nothing.
    d.console_seen("dana", Millis(0));
    let (u, fx) = d.new_chat("c_1", "web", Some("en"), Millis(SEC));
    assert_eq!(assigned_to(&u), "dana");
    assert!(pushes(&fx).is_empty(), "{fx:?}");
    // Silent for console_gone_ms: closed. The next chat for her is pushed, to her alone.
    let t = Millis(gone);
    assert!(d.console_open("dana", Millis(gone - 1)) && !d.console_open("dana", t));
    let (u, fx) = d.new_chat("c_2", "web", Some("en"), t);
    assert_eq!(assigned_to(&u), "dana");
    assert_eq!(pushes(&fx), vec![("dana".into(), "c_2".into(), PushKind::NewChat)]);
    // Asking again about the same chat pushes nothing more.
    assert!(pushes(&d.new_chat("c_2", "web", Some("en"), Millis(gone + 1)).1).is_empty());
    // Her console is back: nothing.
    d.console_seen("dana", Millis(gone + 2));
    assert!(pushes(&d.new_chat("c_3", "web", Some("en"), Millis(gone + 3)).1).is_empty());
}

#[test]
fn a_push_names_its_event_once_and_a_take_over_is_not_pushed() {
    let (mut d, _) = two_operators();
    let (_, fx) = d.new_chat("c_1", "web", Some("en"), Millis(SEC));
    let Some(Effect::Push { key, .. }) = fx.iter().find(|e| matches!(e, Effect::Push { .. })) else { panic!("{fx:?}") };
    assert_eq!(key, &format!("c_1/dana/n{SEC}"));
    // Sam writes in Dana's chat: it is his now, and he is at his console.
    let fx = d.answered("c_1", "sam", Millis(2 * SEC));
    assert!(pushes(&fx).is_empty(), "{fx:?}");
    // A transfer to Dana (console closed) is pushed with another key.
    let fx = d.transfer("c_1", "dana", Millis(3 * SEC)).unwrap();
    match fx.iter().find(|e| matches!(e, Effect::Push { .. })) {
        Some(Effect::Push { key, kind: PushKind::NewChat, .. }) => assert_eq!(key, &format!("c_1/dana/n{}", 3 * SEC)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_chat_waiting_in_line_is_pushed_to_a_bounded_number_of_closed_consoles() {
    let mut d = Dispatch::new(Config::default());
    let mut ids = Ids(0);
    for i in 0..6 {
        let id = format!("op{i}");
        d.upsert_profile(profile(&id, &["en"], 1), Millis(0), ids.next());
        d.set_online(&id, true, Millis(0), ids.next()).unwrap();
        d.join(&id, "web", Millis(0)).unwrap();
        d.console_seen(&id, Millis(0));
    }
    // Six chats fill the six slots (consoles open: no push).
    for i in 0..6 {
        assert!(pushes(&d.new_chat(&format!("c{i}"), "web", None, Millis(SEC)).1).is_empty());
    }
    // op0 keeps its console open; the others closed theirs.
    let t = Millis(Config::default().console_gone_ms + SEC);
    d.console_seen("op0", Millis(t.0 - 1));
    let (u, fx) = d.new_chat("c_wait", "web", None, t);
    assert!(matches!(u, RouteUpdate::Queued { position: 1, .. }), "{u:?}");
    let p = pushes(&fx);
    assert_eq!(p.len(), MAX_PUSHED_OPERATORS_PER_CHAT);
    assert!(p.iter().all(|(op, c, k)| op != "op0" && c == "c_wait" && *k == PushKind::Waiting), "{p:?}");
}

#[test]
fn a_visitors_message_is_pushed_to_the_chats_operator_when_their_console_is_closed() {
    let (mut d, _) = two_operators();
    d.new_chat("c_1", "web", Some("en"), Millis(SEC));
    d.console_seen("dana", Millis(2 * SEC));
    assert!(d.visitor_wrote("c_1", Millis(3 * SEC)).is_empty(), "her console is open");
    let t = Millis(2 * SEC + Config::default().console_gone_ms);
    assert_eq!(pushes(&d.visitor_wrote("c_1", t)), vec![("dana".into(), "c_1".into(), PushKind::Message)]);
    assert!(d.visitor_wrote("c_unknown", t).is_empty());
    d.closed("c_1", t);
    assert!(d.visitor_wrote("c_1", t).is_empty(), "a closed chat pushes nothing");
}

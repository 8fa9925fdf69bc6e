//! The client driver: the controller's I/O with the edge — the session request, creating the
//! conversation, its socket (`parley_client::Connection` over the chat core's session), the
//! offline form, goals and ratings — and what each answer changes in the state.

use super::*;

/// Without a conversation, asks whether anyone is online; if not, shows the offline form.
pub(super) fn check_availability(sh: &Shared) {
    let (base, channel_id) = {
        let s = sh.borrow();
        if s.conn.is_some() || s.creating || !s.queued.is_empty() || s.offline == Offline::Sent {
            return;
        }
        (s.base.clone(), s.channel.clone())
    };
    let sh = sh.clone();
    spawn_local(async move {
        if let Some(available) = available(&base, channel_id).await {
            let mut s = sh.borrow_mut();
            s.offline = s.offline.on_available(available);
            render(&mut s);
        }
    });
}

/// Keeps the visitor's id once they interacted.
pub(super) fn save_creds(s: &St) {
    if let Some((id, token)) = &s.creds {
        store::save_json(
            "visitor",
            &obj(&[("visitor_id", id.as_str().into()), ("visitor_token", token.as_str().into())]),
        );
    }
}

/// Sends the offline form.
pub(super) fn send_offline(sh: &Shared, name: String, email: String, text: String) {
    let (base, body) = {
        let s = sh.borrow();
        let Some((id, token)) = s.creds.clone() else { return };
        save_creds(&s);
        // `OfflineMessageRequest`.
        let body = obj(&[
            ("channel_id", s.channel.as_str().into()),
            ("visitor_id", id.into()),
            ("visitor_token", token.into()),
            ("name", name.into()),
            ("email", email.into()),
            ("text", text.into()),
            ("page_url", href().into()),
        ]);
        (s.base.clone(), stringify(&body))
    };
    let sh = sh.clone();
    spawn_local(async move {
        let res = post_js(&[&base, "/api/v1/widget/offline-message"].concat(), body).await;
        let mut s = sh.borrow_mut();
        match res {
            Ok(_) => {
                s.offline = Offline::Sent;
                s.problem = None;
            }
            // Too many messages from here: said in the visitor's language, with when to retry.
            Err(e) if e.code == "rate_limited" => s.problem = Some(s.t.too_many(false, e.retry_after)),
            Err(e) => s.problem = Some(e.message),
        }
        render(&mut s);
    });
}

/// Loads the channel and the visitor's identity (with the site's `Parley.identify`, if any);
/// resumes their open conversation, or sends what they wrote before the last page closed.
/// `first`: the page's first load (then `Parley` calls come in); later loads follow
/// `Parley.identify`.
pub(super) async fn load_session(sh: Shared, first: bool) {
    let (channel, base) = {
        let s = sh.borrow();
        (s.channel.clone(), s.base.clone())
    };
    let stored = store::load_json("visitor").unwrap_or_default();
    let identity = crate::io::identity();
    // `WidgetSessionRequest`.
    let mut body = vec![
        ("channel_id", channel.into()),
        ("visitor_id", prop(&stored, "visitor_id")),
        ("visitor_token", prop(&stored, "visitor_token")),
    ];
    if let Some(i) = &identity {
        let o = obj(&[
            ("id", i.id.as_str().into()),
            ("hash", i.hash.as_str().into()),
            ("name", i.name.as_str().into()),
            ("email", i.email.as_str().into()),
        ]);
        body.push(("identity", o));
    }
    let url = [&base, "/api/v1/widget/session"].concat();
    let res = loop {
        match post_js(&url, stringify(&obj(&body))).await {
            // The site's proof did not check out: go on anonymously.
            Err(e) if e.code == "bad_identity" && body.len() > 3 => {
                web_sys::console::error_2(&"Parley: identify refused:".into(), &e.message.into());
                crate::io::forget_identity();
                body.pop();
            }
            res => {
                break res.and_then(|v| {
                    crate::io::read::session(&v)
                        .ok_or_else(|| parley_client::HttpError { code: "bad_json".into(), ..Default::default() })
                })
            }
        }
    };
    let mut ses = match res {
        Ok(s) => s,
        Err(e) => {
            let mut s = sh.borrow_mut();
            s.problem = Some(fill(s.t.unavailable, &[("why", &e.code)]));
            return render(&mut s);
        }
    };
    let (switched, resume, start) = {
        let mut s = sh.borrow_mut();
        // (The page view and the chat button's view are counted by the edge from the loader's
        // look request: the app may load only at the visitor's first intent.)
        s.events.ready(ses.visitor_id.clone(), ses.visitor_token.clone());
        s.button = ses.channel.button.id.clone();
        // A click on the button before the session (the loader's, or before this answer):
        // counted now, and the entry of the next conversation unless one is under way.
        if let Some(decision_ms) = s.early.take().filter(|_| !s.button.is_empty()) {
            s.events.push(EventKind::Click, &s.button, "", 0);
            if ses.conversation_id.is_none() {
                let entry = EntryChoice { entry_point: s.button.clone(), invite: String::new(), decision_ms };
                store::save_json("entry", &entry_js(&entry));
                s.entry = Some(entry);
            }
        }
        s.rules = std::mem::take(&mut ses.channel.invites);
        s.goals = std::mem::take(&mut ses.channel.goals);
        s.time_zone = ses.channel.time_zone.clone();
        s.identified = ses.identified;
        let switched = s.creds.as_ref().is_some_and(|o| o.0 != ses.visitor_id);
        s.creds = Some((ses.visitor_id, ses.visitor_token));
        let info = ses.channel;
        let _ = s.top.style().set_property("--accent", safe_color(&info.accent));
        attr(&s.top, "data-pos", if info.position == "left" { "left" } else { "right" });
        // The visitor's language, else the channel's: the texts again if it changed.
        let nav = parley_client::window().navigator();
        let langs: Vec<String> = nav.languages().iter().filter_map(|l| l.as_string()).collect();
        let lang = Lang::pick(langs.iter().map(String::as_str), &info.language);
        s.info = Some(info);
        if lang != s.lang {
            s.lang = lang;
            s.t = lang.texts();
            if let Some(d) = s.d.take() {
                d.owner.cleanup();
                d.panel.remove();
                if let Some(invite) = d.invite {
                    invite.remove();
                }
            }
        }
        attr(&s.top, "lang", lang.code());
        show_fields(&mut s);
        render(&mut s);
        let resume = ses.conversation_id.filter(|id| s.conv.as_deref() != Some(id.as_str()));
        let start = !s.queued.is_empty() && !s.creating;
        (switched && s.conn.is_some(), resume, start)
    };
    if let Some(id) = resume {
        connect(&sh, id);
    } else if switched {
        // The identified visitor has no open chat here: the next message starts theirs.
        let old = sh.borrow_mut().conn.take();
        if let Some(old) = old {
            old.close(false);
        }
        let mut s = sh.borrow_mut();
        clear(&mut s);
        render(&mut s);
    } else if start {
        {
            let mut s = sh.borrow_mut();
            s.queued_since = parley_client::now_ms();
            render(&mut s);
        }
        create_conversation(sh.clone());
    }
    if first {
        // In a task of its own (the session's render above is one already).
        parley_client::set_timeout(0, move || after_first_session(sh, identity));
    } else if crate::io::identity() != identity && crate::io::identity().is_some() {
        // `Parley.identify` came while the request was on its way: ask again.
        spawn_local(load_session(sh, false));
    }
}

/// After the first session: the invites' observer, `ready`, the queued `Parley` calls, goals;
/// `identity` is the one the session was asked with.
pub(super) fn after_first_session(sh: Shared, identity: Option<parley_protocol::api::Identity>) {
    sh.borrow_mut().seen_at = launcher_seen().or_else(|| Some(parley_client::now_ms()));
    let identified = sh.borrow().identified;
    emit("ready", &obj(&[("identified", identified.into())]));
    let hook = sh.clone();
    crate::io::set_hook(Box::new(move |c| api(&hook, c)));
    // This page's URL goals.
    let url = href();
    let new = {
        let mut s = sh.borrow_mut();
        let s = &mut *s;
        s.reached.on_page(&s.goals, &url, parley_client::now_ms())
    };
    if !new.is_empty() {
        reached(&sh);
    }
    evaluate(&sh);
    // The panel, in a task of its own before the visitor asks for it (the click then only shows
    // it); built at once instead when the panel opens or an invite shows first.
    // Three tasks, so that none is long on a slow phone: the panel (laid out closed: the visual
    // viewport placed once, read before the panel is added, so the read forces no layout), the
    // invite card, then the pre-chat fields and the panel's texts.
    let idle = sh.clone();
    parley_client::set_timeout(0, move || {
        {
            let mut s = idle.borrow_mut();
            if s.d.is_some() {
                return;
            }
            if !s.open {
                crate::viewport::prime(&s.top);
            }
            s.d = Some(build(&s.top, &s.launcher, s.t, s.ui, false));
        }
        parley_client::set_timeout(0, move || {
            {
                let mut guard = idle.borrow_mut();
                let s = &mut *guard;
                if let Some(d) = s.d.as_mut() {
                    add_invite(d, &s.top, &s.launcher, s.t, s.ui);
                }
            }
            parley_client::set_timeout(0, move || {
                let mut s = idle.borrow_mut();
                show_fields(&mut s);
                render(&mut s);
            });
        });
    });
    // `Parley.identify` came while the request was on its way: ask again.
    if crate::io::identity() != identity && crate::io::identity().is_some() {
        spawn_local(load_session(sh, false));
    }
}

/// Sends `text`, creating the conversation first if there is none yet.
pub(super) fn send(sh: &Shared, text: String) {
    let mut s = sh.borrow_mut();
    // The visitor interacted: from now on their identity is kept in first-party storage.
    save_creds(&s);
    if let Some(conn) = s.conn.clone() {
        conn.send_text(text);
        return render(&mut s);
    }
    if s.queued.is_empty() {
        s.queued_since = parley_client::now_ms();
    }
    s.queued.push(text);
    store::save_json("queued", &s.queued.iter().map(|q| JsValue::from_str(q)).collect::<Array>());
    render(&mut s);
    // Before the session is loaded, `load_session` creates the conversation once it is.
    if s.creating || s.creds.is_none() {
        return;
    }
    drop(s);
    create_conversation(sh.clone());
}

pub(super) fn create_conversation(sh: Shared) {
    let (base, body) = {
        let mut s = sh.borrow_mut();
        let Some((visitor_id, visitor_token)) = s.creds.clone() else { return };
        // The channel asks who the visitor is first (unless the site said so).
        let form = s.info.as_ref().is_some_and(|i| !i.prechat.is_empty());
        if form && !s.identified && s.answers.is_none() {
            s.form = true;
            render(&mut s);
            // The composer is hidden now: keyboard users go on in the form.
            let first = s.d.as_ref().and_then(|d| d.panel.query_selector("[data-act=prechat] input").ok().flatten());
            if let Some(input) = first.and_then(|i| i.dyn_into::<HtmlElement>().ok()) {
                parley_client::set_timeout(0, move || {
                    let _ = input.focus();
                });
            }
            return;
        }
        // The visitor wrote: from now on their identity is kept (also when they wrote before
        // the session was loaded).
        save_creds(&s);
        s.creating = true;
        let nav = parley_client::window().navigator();
        // `CreateConversationRequest`.
        let mut body = vec![
            ("channel_id", s.channel.as_str().into()),
            ("visitor_id", visitor_id.into()),
            ("visitor_token", visitor_token.into()),
            ("page_url", href().into()),
            ("language", nav.language().unwrap_or_default().into()),
        ];
        if let Some(e) = &s.entry {
            body.push(("entry", entry_js(e)));
        }
        if let Some(a) = &s.answers {
            body.push(("prechat", answers_js(a)));
        }
        (s.base.clone(), stringify(&obj(&body)))
    };
    spawn_local(async move {
        let created = post_js(&[&base, "/api/v1/conversations"].concat(), body).await;
        let mut s = sh.borrow_mut();
        s.creating = false;
        match created {
            Ok(c) => {
                // The entry point went with the conversation: done with.
                s.entry = None;
                store::remove("entry");
                drop(s);
                let id = prop(&c, "conversation_id");
                emit("chat_started", &obj(&[("conversation_id", id.clone())]));
                return connect(&sh, id.as_string().unwrap_or_default());
            }
            // A pre-chat answer was refused: the form again, the message next to its field.
            Err(e)
                if e.status == 400 && s.info.as_ref().is_some_and(|i| i.prechat.iter().any(|f| f.key == e.field)) =>
            {
                s.answers = None;
                s.err_field = e.field;
                store::remove("prechat");
                s.form_err = Some(e.message);
                s.form = true;
            }
            // Everyone is busy and the queue is full: leave a message instead.
            Err(e) if e.code == "queue_full" => {
                s.offline = Offline::Shown;
                s.problem = None;
            }
            // Too many chats from here: said in the visitor's language, with when to retry.
            Err(e) if e.code == "rate_limited" => s.problem = Some(s.t.too_many(true, e.retry_after)),
            // 403 (blocked): the server's polite words alone (it never sends the reason).
            Err(e) if e.status == 403 => s.problem = Some(e.message),
            Err(e) => s.problem = Some(fill(s.t.could_not_start, &[("why", &e.message)])),
        }
        render(&mut s);
    });
}

/// Opens the conversation's socket (its outbox kept in storage) and wires its events.
pub(super) fn connect(sh: &Shared, conversation_id: String) {
    let (url, ticket) = {
        let mut s = sh.borrow_mut();
        let Some((id, token)) = s.creds.clone() else { return };
        // Another conversation's connection (if any) is closed below, once this one replaced it.
        s.conv = Some(conversation_id.clone());
        let conv_url = [s.base.as_str(), "/api/v1/conversations/", &conversation_id].concat();
        // The socket opens with a short-lived ticket (`TicketRequest`), minted before every dial.
        let body = stringify(&obj(&[("visitor_id", id.into()), ("visitor_token", token.into())]));
        let url = [conv_url.replacen("http", "ws", 1).as_str(), "/ws?role=visitor"].concat();
        (url, ([conv_url.as_str(), "/ticket"].concat(), body))
    };
    let weak = Rc::downgrade(sh);
    let handler: parley_client::Handler = Rc::new(move |conn: &Connection, update: Update| {
        if let Some(sh) = weak.upgrade() {
            on_conn(&sh, conn, update);
        }
    });
    let outbox_key = store::key(&["outbox:", &conversation_id].concat());
    // The rating card, unless the visitor rated this conversation in this browser.
    let rated = store::load_json("rated").and_then(|r| r.as_string());
    let ask = rated.as_deref() != Some(conversation_id.as_str());
    let me = Author { role: Role::Visitor, name: String::new() };
    let conn = Connection::open_ticketed(url, Some(ticket), me, ask, handler, Some(outbox_key));
    let old = {
        let mut s = sh.borrow_mut();
        for text in std::mem::take(&mut s.queued) {
            conn.send_text(text);
        }
        store::remove("queued");
        let old = s.conn.replace(conn);
        render(&mut s);
        old
    };
    if let Some(old) = old {
        old.close(false);
    }
    // The session's goals belong to this conversation too.
    sync_goals(sh);
}

/// The conversation's session moved on: show it, and tell the page.
pub(super) fn on_conn(sh: &Shared, conn: &Connection, update: Update) {
    let mut out: Vec<(&str, JsValue)> = Vec::new();
    {
        let mut s = sh.borrow_mut();
        // A connection being replaced (or not yet in place) shows nothing.
        if !s.conn.as_ref().is_some_and(|c| c.same(conn)) {
            return;
        }
        for event in update.events {
            match event {
                // On every page load (each welcome), tell the operator where the visitor is.
                parley_client::Event::Welcome => {
                    let w = parley_client::window();
                    let url = w.location().href().unwrap_or_default();
                    let title = w.document().map(|d| d.title()).unwrap_or_default();
                    conn.send_now(ClientMsg::Page { url, title });
                }
                parley_client::Event::Message(message) => {
                    let operator = message.author.role == Role::Operator;
                    let author = obj(&[
                        ("role", if operator { "operator" } else { "visitor" }.into()),
                        ("name", message.author.name.as_str().into()),
                    ]);
                    let data = obj(&[
                        ("text", message.text.as_str().into()),
                        ("author", author),
                        ("at", (message.at.0 as f64).into()),
                    ]);
                    out.push(("message", data));
                }
                parley_client::Event::Ended => {
                    let conv = s.conv.clone().unwrap_or_default();
                    out.push(("chat_ended", obj(&[("conversation_id", conv.as_str().into())])));
                }
                parley_client::Event::Problem(code, _) => s.problem = Some(s.t.refusal(code).to_owned()),
                parley_client::Event::Incompatible(_) => s.problem = Some(s.t.reload.into()),
                _ => {}
            }
        }
        render(&mut s);
    }
    for (ev, data) in out {
        emit(ev, &data);
    }
}

/// A key was pressed in the composer: tell the operator, throttled, and stop after a pause.
pub(super) fn typing_input(sh: &Shared) {
    let conn = sh.borrow().conn.clone();
    if let Some(conn) = conn {
        conn.typing_input();
    }
}

// ---------------------------------------------------------------------------------------------
// Goals and ratings.

/// `Parley.goal(name, value)`: an unknown name or a bad value is a console warning.
pub(super) fn code_goal(sh: &Shared, name: &str, value: Option<f64>) {
    let r = {
        let mut s = sh.borrow_mut();
        let s = &mut *s;
        s.reached.on_code(&s.goals, name, value, parley_client::now_ms())
    };
    match r {
        Ok(Some(_)) => reached(sh),
        Ok(None) => {}
        Err(why) => web_sys::console::warn_3(&"Parley: goal not counted:".into(), &why.into(), &name.into()),
    }
}

/// The goals as JSON values (`JSON.stringify` writes the numbers).
pub(super) fn goals_js(goals: &[ReachedGoal]) -> JsValue {
    goals
        .iter()
        .map(|g| {
            obj(&[
                ("goal_id", g.goal_id.as_str().into()),
                ("name", g.name.as_str().into()),
                ("value", g.value.into()),
                ("at", (g.at as f64).into()),
            ])
        })
        .collect::<Array>()
        .into()
}

/// The goals reached earlier in this session.
pub(super) fn load_goals() -> SessionGoals {
    let list = store::load_session("goals").and_then(|raw| JSON::parse(&raw).ok());
    let Some(list) = list.filter(Array::is_array) else { return SessionGoals::default() };
    let list = Array::from(&list);
    let goals = list.iter().map(|g| {
        let s = |k: &str| prop(&g, k).as_string().unwrap_or_default();
        let n = |k: &str| prop(&g, k).as_f64().unwrap_or(0.0);
        ReachedGoal { goal_id: s("goal_id"), name: s("name"), value: n("value"), at: n("at") as u64 }
    });
    SessionGoals(goals.collect())
}

/// A goal was reached: kept for the session (`sessionStorage`, after consent) and sent.
pub(super) fn reached(sh: &Shared) {
    store::save_session("goals", &stringify(&goals_js(&sh.borrow().reached.0)));
    sync_goals(sh);
}

/// Sends the session's goals to the conversation on screen unless it has them all (the edge
/// records each once, so resending is safe); network failures are retried.
pub(super) fn sync_goals(sh: &Shared) {
    let mut s = sh.borrow_mut();
    let n = s.reached.0.len();
    let (Some(conv), Some((id, token))) = (s.conv.clone(), s.creds.clone()) else { return };
    if s.goals_busy || n == 0 || (s.goals_sent.0 == conv && s.goals_sent.1 == n) {
        return;
    }
    s.goals_busy = true;
    let body = stringify(&obj(&[
        ("channel_id", s.channel.as_str().into()),
        ("visitor_id", id.into()),
        ("visitor_token", token.into()),
        ("conversation_id", conv.as_str().into()),
        ("goals", goals_js(&s.reached.0)),
    ]));
    let url = [&s.base, "/api/v1/widget/goals"].concat();
    drop(s);
    let sh = sh.clone();
    spawn_local(async move {
        let res = post_js(&url, body).await;
        let mut s = sh.borrow_mut();
        s.goals_busy = false;
        match res {
            Err(e) if e.status == 0 => {
                drop(s);
                parley_client::set_timeout(5_000, move || sync_goals(&sh));
            }
            res => {
                if let Err(e) = res {
                    web_sys::console::warn_2(&"Parley: goals not recorded:".into(), &e.message.into());
                }
                s.goals_sent = (conv, n);
                drop(s);
                sync_goals(&sh);
            }
        }
    });
}

/// Sends the visitor's rating (`good`, `moderate`, `bad`; `not_rated`: they skipped it; the
/// rating card already says "sending") as a
/// `SurveyRequest`, the same body again after a network failure; an earlier answer of theirs
/// (409 `already_rated`) counts as done. The body is built with `JSON.stringify` (smaller).
pub(super) fn send_survey(sh: &Shared, rating: &'static str, comment: String, wait: i32) {
    let (url, body, conv) = {
        let mut s = sh.borrow_mut();
        let (Some((id, token)), Some(conv)) = (s.creds.clone(), s.conv.clone()) else { return };
        render(&mut s);
        let survey = if rating == "not_rated" {
            obj(&[("survey", "skipped".into())])
        } else {
            obj(&[("survey", "rated".into()), ("rating", rating.into()), ("comment", comment.as_str().into())])
        };
        let body = stringify(&obj(&[
            ("channel_id", s.channel.as_str().into()),
            ("visitor_id", id.into()),
            ("visitor_token", token.into()),
            ("survey", survey),
        ]));
        let url = [&s.base, "/api/v1/widget/conversations/", &conv, "/survey"].concat();
        (url, body, conv)
    };
    let sh = sh.clone();
    spawn_local(async move {
        let res = post_js(&url, body).await;
        let mut s = sh.borrow_mut();
        if s.conv.as_deref() != Some(&conv) {
            return;
        }
        match res {
            Err(e) if e.status == 0 => {
                drop(s);
                parley_client::set_timeout(wait, move || send_survey(&sh, rating, comment, (wait * 2).min(30_000)));
            }
            Err(e) if e.code != "already_rated" => {
                if let Some(conn) = &s.conn {
                    conn.with_mut(|x| x.rating.refused());
                }
                s.problem = Some(e.message);
                render(&mut s);
            }
            _ => {
                if let Some(conn) = &s.conn {
                    conn.with_mut(|x| x.rating.answered());
                }
                store::save_json("rated", &conv.as_str().into());
                render(&mut s);
                drop(s);
                emit("rated", &obj(&[("rating", rating.into()), ("comment", comment.into())]));
            }
        }
    });
}

/// "Email me this chat": asks the edge to mail the whole chat to `email` (a `TranscriptMailRequest`);
/// the panel then says where it went, or the server's reason in its notice line.
pub(super) fn send_transcript(sh: &Shared, email: String) {
    let (url, body) = {
        let s = sh.borrow();
        let (Some((id, token)), Some(conv)) = (s.creds.clone(), s.conv.clone()) else { return };
        let body = stringify(&obj(&[
            ("channel_id", s.channel.as_str().into()),
            ("visitor_id", id.into()),
            ("visitor_token", token.into()),
            ("email", email.as_str().into()),
            ("lang", s.lang.code().into()),
        ]));
        ([&s.base, "/api/v1/conversations/", &conv, "/transcript"].concat(), body)
    };
    let sh = sh.clone();
    spawn_local(async move {
        let res = post_js(&url, body).await;
        let mut s = sh.borrow_mut();
        match res {
            Ok(_) => {
                s.mail_form = false;
                s.mail_sent = Some(email);
                s.problem = None;
            }
            Err(e) => s.problem = Some(e.message),
        }
        render(&mut s);
    });
}

//! The widget's UI: launcher, panel, transcript and composer, and the conversation's life
//! (start on the first message, resume on any page, end, start again).

use std::cell::RefCell;
use std::rc::Rc;

use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use parley_client::{post_json, ConnEvent, ConnState, Connection, Pending};
use parley_shared::api::{
    Availability, AvailabilityRequest, ChannelInfo, ConversationCreated, CreateConversationRequest, EntryChoice,
    OfflineMessageRequest, WidgetSession, WidgetSessionRequest,
};
use parley_shared::invites::{self, FunnelEvent, Invite, Observed, Rule};
use parley_shared::limits::UNSENT_AFTER_MS;
use parley_shared::metrics::EventKind;
use parley_shared::outcomes::{Goal, ReachedGoal, SessionGoals};
use parley_shared::protocol::{ClientMsg, MessageView, Role, Routing, ServerMsg, Status};
use parley_shared::typing::TypingThrottle;
use parley_shared::Millis;
use serde::{Deserialize, Serialize};

use crate::events::Events;
use crate::invite::{self as page, Visits};
use crate::{emit, obj, store, Call};
use leptos::wasm_bindgen::JsValue;

#[derive(Clone, Serialize, Deserialize)]
struct VisitorCreds {
    visitor_id: String,
    visitor_token: String,
}

/// Non-reactive state shared by the event handlers.
struct Ctx {
    channel: String,
    base: String,
    creds: Option<VisitorCreds>,
    conn: Option<Connection>,
    /// Written before a conversation exists; sent once it does (kept in storage meanwhile).
    queued: Vec<String>,
    creating: bool,
    typing: TypingThrottle,
    /// Traffic and invite events on their way to the edge.
    events: Events,
    /// The entry point of the visitor's last click (button or invite), sent with the
    /// conversation when it is created (kept in storage meanwhile).
    entry: Option<EntryChoice>,
    /// The chat button's entry point id, the channel's invite rules and time zone (once loaded).
    button: String,
    rules: Vec<Rule>,
    time_zone: String,
    /// When the page started loading, and the visitor's cross-page signals.
    loaded: u64,
    visits: Visits,
    /// When the launcher first became visible in the viewport on this page.
    seen_at: Option<u64>,
    /// The invite of this page, from its match until it ends.
    offer: Option<Offer>,
    /// This page already had its (one) automatic invite.
    invited: bool,
    /// Only the newest "check the rules again" timer runs.
    check_gen: u32,
    /// The site identified the visitor (`Parley.identify` checked out): no pre-chat form.
    identified: bool,
    /// The pre-chat form's answers, once given (sent with the conversation); as typed; the
    /// field the edge refused.
    answers: Option<Vec<(String, String)>>,
    draft: Vec<(String, String)>,
    err_field: String,
    /// The account's goals, the goals reached in this session, and how many of them the
    /// conversation (id) already has.
    goals: Vec<Goal>,
    reached: SessionGoals,
    goals_sent: (String, usize),
    goals_busy: bool,
}

/// One invite on this page: its rule (index in `rules`), its random id, its place in the
/// funnel, when it was shown.
struct Offer {
    rule: usize,
    id: String,
    state: Invite,
    shown_at: u64,
}

type Shared = Rc<RefCell<Ctx>>;

/// Everything the view reads.
#[derive(Clone, Copy)]
struct View {
    open: RwSignal<bool>,
    channel: RwSignal<Option<ChannelInfo>>,
    messages: RwSignal<Vec<MessageView>>,
    /// Own messages not yet acknowledged.
    pending: RwSignal<Vec<Pending>>,
    /// Own messages the server refused for good, with the reason.
    failed: RwSignal<Vec<(Pending, String)>>,
    status: RwSignal<Option<Status>>,
    /// Browser clock, refreshed while messages wait, to tell "sending" from "not sent yet".
    clock: RwSignal<u64>,
    typing: RwSignal<Option<String>>,
    link: RwSignal<Option<ConnState>>,
    unread: RwSignal<u32>,
    problem: RwSignal<Option<String>>,
    /// Place in line or the operator, once the conversation knows.
    routing: RwSignal<Option<Routing>>,
    /// The offline form: 0 not shown, 1 shown (nobody online), 2 sent.
    offline: RwSignal<u8>,
    /// The invite on screen (its greeting), and the greeting that replaces the channel's
    /// after an invite was accepted.
    invite: RwSignal<Option<String>>,
    greeting: RwSignal<Option<String>>,
    /// The conversation on screen.
    conv: RwSignal<Option<String>>,
    /// The rating card: 0 not shown, 1 asking, 2 sending, 3 thanked.
    rating: RwSignal<u8>,
    /// The pre-chat form is shown; the field the server refused and why.
    form: RwSignal<bool>,
    form_err: RwSignal<Option<String>>,
}

#[component]
pub fn App(channel: String, base: String) -> impl IntoView {
    let v = View {
        open: RwSignal::new(store::load::<bool>(&channel, "open").unwrap_or(false)),
        channel: RwSignal::new(None),
        messages: RwSignal::new(Vec::new()),
        pending: RwSignal::new(Vec::new()),
        failed: RwSignal::new(Vec::new()),
        status: RwSignal::new(None),
        clock: RwSignal::new(parley_client::now_ms()),
        typing: RwSignal::new(None),
        link: RwSignal::new(None),
        unread: RwSignal::new(0),
        problem: RwSignal::new(None),
        routing: RwSignal::new(None),
        offline: RwSignal::new(0),
        invite: RwSignal::new(None),
        greeting: RwSignal::new(None),
        conv: RwSignal::new(None),
        rating: RwSignal::new(0),
        form: RwSignal::new(false),
        form_err: RwSignal::new(None),
    };
    let queued: Vec<String> = store::load(&channel, "queued").unwrap_or_default();
    let loaded = page::page_loaded_at();
    let visits = page::load(&channel).page_view(parley_client::now_ms());
    page::save(&channel, &visits);
    let shared: Shared = Rc::new(RefCell::new(Ctx {
        events: Events::new(&base, &channel),
        entry: store::load(&channel, "entry"),
        button: String::new(),
        rules: Vec::new(),
        time_zone: String::new(),
        loaded,
        visits,
        seen_at: None,
        offer: None,
        invited: false,
        check_gen: 0,
        identified: false,
        answers: store::load(&channel, "prechat"),
        draft: Vec::new(),
        err_field: String::new(),
        goals: Vec::new(),
        reached: load_goals(&channel),
        goals_sent: (String::new(), 0),
        goals_busy: false,
        channel,
        base,
        creds: None,
        conn: None,
        queued,
        creating: false,
        typing: TypingThrottle::default(),
    }));
    let ctx = StoredValue::new_local(shared.clone());
    let draft = RwSignal::new(String::new());
    let log_ref = NodeRef::<leptos::html::Div>::new();

    let input_ref = NodeRef::<leptos::html::Textarea>::new();
    let launcher_ref = NodeRef::<leptos::html::Button>::new();
    // Leaving the page: an invite on screen was ignored; unsent events go out as beacons.
    let _ = window_event_listener_untyped("pagehide", move |_| {
        let c = ctx.get_value();
        step(&c, v, Observed::Left);
        c.borrow().events.beacon();
    });
    let _ = window_event_listener_untyped("visibilitychange", move |_| {
        if document().hidden() {
            ctx.with_value(|c| c.borrow().events.beacon());
        }
    });

    // Keep the newest message in view.
    Effect::new(move |_| {
        v.messages.track();
        v.pending.track();
        if let Some(el) = log_ref.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    // Refresh the clock while something waits, so a stuck message offers a retry.
    let _ = set_interval_with_handle(
        move || {
            if !v.pending.with_untracked(Vec::is_empty) {
                v.clock.set(parley_client::now_ms());
            }
        },
        std::time::Duration::from_secs(2),
    );

    let set_open = move |now_open: bool| {
        if v.open.get_untracked() != now_open {
            emit(if now_open { "opened" } else { "closed" }, &JsValue::UNDEFINED);
        }
        v.open.set(now_open);
        if now_open {
            v.unread.set(0);
            check_availability(&ctx.get_value(), v);
        } else {
            // Closed without a chat: the rules may still invite on this page.
            evaluate(&ctx.get_value(), v);
        }
        ctx.with_value(|c| store::save(&c.borrow().channel, "open", &now_open));
        // Keyboard users land in the composer when the panel opens, on the launcher when it
        // closes (after the panel's visibility has been applied).
        parley_client::set_timeout(0, move || {
            let _ = if now_open {
                input_ref.get_untracked().map(|el| el.focus())
            } else {
                launcher_ref.get_untracked().map(|el| el.focus())
            };
        });
    };
    // Who is this visitor, and is there a conversation to resume (or a message to send)? Once
    // known, the page's `Parley` calls come in (those made before first, in order).
    let api = move |call: Call| {
        let c = ctx.get_value();
        match call {
            Call::Open => set_open(true),
            Call::Close => set_open(false),
            Call::Invite(name) => invite_by_name(&c, v, &name),
            Call::Goal(name, value) => code_goal(&c, v, &name, value),
            Call::Identify => spawn_local(load_session(c, v, None)),
        }
    };
    spawn_local(load_session(shared, v, Some((launcher_ref, Box::new(api)))));
    let toggle = move |_| set_open(!v.open.get_untracked());
    let launcher_click = move |_| {
        let open = !v.open.get_untracked();
        if open {
            clicked_button(&ctx.get_value(), v);
        }
        set_open(open);
    };
    let accept = move |_| {
        let c = ctx.get_value();
        let c_ref = c.borrow();
        let entry = c_ref.offer.as_ref().map(|o| EntryChoice {
            entry_point: c_ref.rules[o.rule].id.clone(),
            invite: o.id.clone(),
            decision_ms: Some(parley_client::now_ms().saturating_sub(o.shown_at)),
        });
        drop(c_ref);
        let greeting = v.invite.get_untracked();
        step(&c, v, Observed::Clicked);
        if let Some(entry) = entry {
            v.greeting.set(greeting);
            remember_entry(&c, entry);
            set_open(true);
        }
    };
    let decline = move |_| step(&ctx.get_value(), v, Observed::Closed);
    let on_panel_key = move |e: ev::KeyboardEvent| {
        if e.key() == "Escape" {
            set_open(false);
        }
    };
    let submit = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        draft.set(String::new());
        send(&ctx.get_value(), v, text);
    };
    let on_input = move |e: ev::Event| {
        draft.set(event_target_value(&e));
        typing_input(&ctx.get_value());
    };
    let end_chat = move |_| {
        if let Some(conn) = &ctx.get_value().borrow().conn {
            conn.send_now(&ClientMsg::End);
        }
    };
    // The rating card (`pick`: 0 none yet, else 1 + the index in `RATINGS`) and the pre-chat
    // form (its answers in `Ctx::draft`). Few signal types and reactive closures: each costs
    // widget size.
    let pick = RwSignal::new(0u8);
    let comment = RwSignal::new(String::new());
    let send_rating = move |e: ev::SubmitEvent| {
        e.prevent_default();
        if let Some(i) = pick.get_untracked().checked_sub(1) {
            send_survey(&ctx.get_value(), v, RATINGS[i as usize], comment.get_untracked(), 1_000);
        }
    };
    let skip = move |_| send_survey(&ctx.get_value(), v, "not_rated", String::new(), 1_000);
    let pick_button = move |i: u8, label: &'static str| {
        view! { <button type="button" class="pick" aria-pressed=move || (pick.get() == i).to_string() on:click=move |_| pick.set(i)>{label}</button> }
    };
    let start_chat = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let c = ctx.get_value();
        let answers = c.borrow().draft.clone();
        // The visitor answered: kept for their next chats (the form again if refused).
        store::save(&c.borrow().channel, "prechat", &answers);
        c.borrow_mut().answers = Some(answers);
        v.form.set(false);
        v.form_err.set(None);
        create_conversation(c, v);
    };
    let fields = move || {
        let form = v.channel.with(|c| c.as_ref().map(|c| c.prechat.clone()).unwrap_or_default());
        form.into_iter()
            .map(|f| {
                let key = f.key.clone();
                let k2 = f.key.clone();
                let on_input = move |e: ev::Event| {
                    let value = event_target_value(&e);
                    let c = ctx.get_value();
                    let a = &mut c.borrow_mut().draft;
                    match a.iter_mut().find(|(k, _)| *k == key) {
                        Some(x) => x.1 = value,
                        None => a.push((key.clone(), value)),
                    }
                };
                // The edge's message about this field, if it named it.
                let err = move || v.form_err.get().filter(|_| ctx.get_value().borrow().err_field == k2);
                view! {
                    <label class=if f.required { "req" } else { "" }>
                        <span>{f.label}</span>
                        <input type=if f.key == "email" { "email" } else { "text" } required=f.required maxlength="200" on:input=on_input/>
                    </label>
                    <p class="err" role="alert">{err}</p>
                }
            })
            .collect_view()
    };
    let new_chat = move |_| {
        // The ended conversation is done with; the next message starts a new one.
        if let Some(old) = ctx.get_value().borrow_mut().conn.take() {
            old.close(true);
        }
        clear(v);
        pick.set(0);
        comment.set(String::new());
        check_availability(&ctx.get_value(), v);
    };
    let retry = move |_| {
        if let Some(conn) = &ctx.get_value().borrow().conn {
            conn.retry_now();
        }
    };
    let closed = move || v.status.get() == Some(Status::Closed);
    let offline = move || v.offline.get() > 0;
    let (name, email, note) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let leave_message = move |e: ev::SubmitEvent| {
        e.prevent_default();
        send_offline(&ctx.get_value(), v, name.get_untracked(), email.get_untracked(), note.get_untracked());
    };
    let notice = move || {
        v.problem.get().or_else(|| (v.link.get() == Some(ConnState::Retrying)).then(|| "Reconnecting…".to_owned()))
    };

    view! {
        <div style=move || v.channel.get().map(|c| format!("--accent:{}", safe_color(&c.accent))).unwrap_or_default()>
            <section class="panel" role="dialog" aria-label="Chat" prop:hidden=move || !v.open.get() on:keydown=on_panel_key>
                <header class="head">
                    <div style="flex:1">
                        <h2>{move || v.channel.get().map(|c| c.name).unwrap_or_else(|| "Chat".into())}</h2>
                        <p role="status">{move || subtitle(v)}</p>
                    </div>
                    <button class="end" prop:hidden=move || v.status.get().is_none() || closed() on:click=end_chat>"End chat"</button>
                    <button class="close" aria-label="Minimize chat" on:click=toggle>"×"</button>
                </header>
                <p class="status" role="alert" prop:hidden=move || notice().is_none()>{notice}</p>
                <div class="log" role="log" aria-live="polite" aria-label="Messages" node_ref=log_ref>
                    <p class="greet">{move || v.greeting.get().or_else(|| v.channel.get().map(|c| c.greeting)).unwrap_or_default()}</p>
                    <For each=move || rows(v) key=Row::key let:row>
                        {row.view(v, retry)}
                    </For>
                    <p class="ended" role="status" prop:hidden=move || !closed()>"This chat has ended."</p>
                </div>
                <div class="typing" aria-hidden="true">{move || v.typing.get().map(|n| format!("{n} is typing…"))}</div>
                <form class="offline" prop:hidden=move || v.offline.get() != 1 on:submit=leave_message>
                    <p>"No one is online right now. Leave a message and we will reply by email."</p>
                    <input aria-label="Your name" placeholder="Your name" required maxlength="80" on:input=move |e| name.set(event_target_value(&e))/>
                    <input aria-label="Your email" placeholder="Your email" type="email" required maxlength="200" on:input=move |e| email.set(event_target_value(&e))/>
                    <textarea aria-label="Your message" placeholder="Your message" required on:input=move |e| note.set(event_target_value(&e))></textarea>
                    <button class="send wide" type="submit">"Leave a message"</button>
                </form>
                <p class="offline" role="status" prop:hidden=move || v.offline.get() != 2>"Thank you! We got your message and will reply by email."</p>
                <form class="offline" aria-label="Rate this chat" prop:hidden=move || !matches!(v.rating.get(), 1 | 2) on:submit=send_rating>
                    <p>"How was this chat?"</p>
                    <div class="picks" role="group" aria-label="Rating">
                        {pick_button(1, "Good")}
                        {pick_button(2, "Moderate")}
                        {pick_button(3, "Bad")}
                    </div>
                    <label>"Comment"<textarea maxlength="1000" prop:value=move || comment.get() on:input=move |e| comment.set(event_target_value(&e))></textarea></label>
                    <div class="picks">
                        <button class="send wide" type="submit" prop:disabled=move || pick.get() == 0 || v.rating.get() == 2>"Send rating"</button>
                        <button class="pick" type="button" prop:disabled=move || v.rating.get() == 2 on:click=skip>"Skip"</button>
                    </div>
                </form>
                <p class="offline" role="status" prop:hidden=move || v.rating.get() != 3>"Thank you for your feedback."</p>
                <form class="offline" aria-label="Before we start" prop:hidden=move || !v.form.get() on:submit=start_chat>
                    {fields}
                    <button class="send wide" type="submit">"Start chat"</button>
                </form>
                <div class="compose" prop:hidden=move || !closed()>
                    <button class="send wide" on:click=new_chat>"Start a new chat"</button>
                </div>
                <form class="compose" prop:hidden=move || closed() || offline() || v.form.get() on:submit=move |e: ev::SubmitEvent| { e.prevent_default(); submit() }>
                    <textarea
                        node_ref=input_ref
                        aria-label="Message"
                        placeholder="Write a message…"
                        prop:value=move || draft.get()
                        on:input=on_input
                        on:keydown=move |e: ev::KeyboardEvent| {
                            if e.key() == "Enter" && !e.shift_key() {
                                e.prevent_default();
                                submit();
                            }
                        }
                    ></textarea>
                    <button class="send" type="submit" aria-label="Send message">"Send"</button>
                </form>
            </section>
            <section class="invite" role="dialog" aria-label="Chat invitation" prop:hidden=move || v.invite.get().is_none() || v.open.get()>
                <button class="close" aria-label="Close invitation" on:click=decline>"×"</button>
                <p>{move || v.invite.get()}</p>
                <button class="send" on:click=accept>"Chat now"</button>
            </section>
            <button
                node_ref=launcher_ref
                class="launcher"
                aria-label=move || if v.open.get() { "Close chat" } else { "Open chat" }
                aria-expanded=move || v.open.get().to_string()
                on:click=launcher_click
            >
                <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>
                {move || (v.unread.get() > 0).then(|| view! { <span class="badge">{v.unread.get()}<span class="sr">" unread"</span></span> })}
            </button>
        </div>
    }
}

/// One line of the transcript: a stored message, or one of the visitor's own that is still
/// on its way or was refused.
#[derive(Clone)]
enum Row {
    Stored(MessageView),
    Pending(Pending),
    Failed(Pending, String),
}

impl Row {
    fn key(&self) -> String {
        match self {
            Row::Stored(m) => format!("s{}", m.seq),
            Row::Pending(p) => format!("p{}", p.client_id),
            Row::Failed(p, _) => format!("f{}", p.client_id),
        }
    }

    fn view(self, v: View, retry: impl Fn(ev::MouseEvent) + Clone + 'static) -> impl IntoView {
        let (class, who, text, meta) = match self {
            Row::Stored(m) => {
                let mine = m.author.role == Role::Visitor;
                let meta = format!("{}{}", clock(m.at.0), if mine { " · Sent" } else { "" });
                (if mine { "msg mine" } else { "msg theirs" }, (!mine).then_some(m.author.name), m.text, meta)
            }
            Row::Pending(p) => {
                let since = p.since;
                // Waiting for the pre-chat form is not "not sent": the form says what is needed.
                let stale = move || !v.form.get() && v.clock.get().saturating_sub(since) > UNSENT_AFTER_MS;
                return view! {
                    <div class="msg mine pending">
                        {p.text}
                        <span class="meta">
                            {move || if stale() { "Not sent yet · " } else { "Sending…" }}
                            <button class="link" prop:hidden=move || !stale() on:click=retry>"Retry"</button>
                        </span>
                    </div>
                }
                .into_any();
            }
            Row::Failed(p, why) => ("msg mine failed", None, p.text, format!("Not sent: {why}")),
        };
        view! {
            <div class=class>
                {who.map(|n| view! { <span class="who">{n}</span> })}
                {text}
                <span class="meta">{meta}</span>
            </div>
        }
        .into_any()
    }
}

/// The transcript's rows, oldest first, then what is still on its way, then what failed.
fn rows(v: View) -> Vec<Row> {
    let mut rows: Vec<Row> = v.messages.get().into_iter().map(Row::Stored).collect();
    rows.extend(v.pending.get().into_iter().map(Row::Pending));
    rows.extend(v.failed.get().into_iter().map(|(p, why)| Row::Failed(p, why)));
    rows
}

/// The header's second line: the operator, the place in line, or the default.
fn subtitle(v: View) -> String {
    match v.routing.get() {
        Some(Routing::Assigned { name }) => format!("You are chatting with {name}"),
        Some(Routing::Queued { position, estimated_wait_ms: Some(ms) }) => {
            format!("You are number {position} in line · about {} min", ms.div_ceil(60_000))
        }
        Some(Routing::Queued { estimated_wait_ms: None, .. }) => {
            "No one is online right now; we will reply here".into()
        }
        None => operator_name(&v.messages.get())
            .map(|n| format!("You are chatting with {n}"))
            .unwrap_or_else(|| "We reply as soon as we can".into()),
    }
}

/// Without a conversation, asks whether anyone is online; if not, shows the offline form.
fn check_availability(ctx: &Shared, v: View) {
    let c = ctx.borrow();
    if c.conn.is_some() || c.creating || !c.queued.is_empty() || v.offline.get_untracked() == 2 {
        return;
    }
    let (base, channel_id) = (c.base.clone(), c.channel.clone());
    spawn_local(async move {
        if let Some(available) = available(&base, channel_id).await {
            v.offline.set(u8::from(!available));
        }
    });
}

/// An answer whose content the widget does not need (one type, so one copy of its parsing).
#[derive(Deserialize)]
pub(crate) struct Done {}

/// Sends the offline form.
fn send_offline(ctx: &Shared, v: View, name: String, email: String, text: String) {
    let c = ctx.borrow();
    let Some(creds) = c.creds.clone() else { return };
    store::save(&c.channel, "visitor", &creds);
    let body = OfflineMessageRequest {
        channel_id: c.channel.clone(),
        visitor_id: creds.visitor_id,
        visitor_token: creds.visitor_token,
        name,
        email,
        text,
        page_url: parley_client::window().location().href().unwrap_or_default(),
    };
    let base = c.base.clone();
    spawn_local(async move {
        match post_json::<_, Done>(&format!("{base}/api/v1/widget/offline-message"), &body).await {
            Ok(_) => {
                v.offline.set(2);
                v.problem.set(None);
            }
            Err(e) => v.problem.set(Some(e.message)),
        }
    });
}

/// Loads the channel and the visitor's identity (with the site's `Parley.identify`, if any);
/// resumes their open conversation, or sends what they wrote before the last page closed.
/// `first`: the page's first load (then the launcher to watch and where `Parley` calls go);
/// later loads follow `Parley.identify`.
async fn load_session(ctx: Shared, v: View, first: Option<(NodeRef<leptos::html::Button>, crate::Hook)>) {
    let (channel, base) = {
        let c = ctx.borrow();
        (c.channel.clone(), c.base.clone())
    };
    let stored: Option<VisitorCreds> = store::load(&channel, "visitor");
    let identity = crate::identity();
    let mut body = WidgetSessionRequest {
        channel_id: channel.clone(),
        visitor_id: stored.as_ref().map(|c| c.visitor_id.clone()),
        visitor_token: stored.as_ref().map(|c| c.visitor_token.clone()),
        identity: identity.clone(),
    };
    let url = format!("{base}/api/v1/widget/session");
    let res = loop {
        match post_json::<_, WidgetSession>(&url, &body).await {
            // The site's proof did not check out: go on anonymously.
            Err(e) if e.code == "bad_identity" && body.identity.is_some() => {
                web_sys::console::error_1(&format!("Parley: identify refused: {}", e.message).into());
                crate::forget_identity();
                body.identity = None;
            }
            res => break res,
        }
    };
    let mut s = match res {
        Ok(s) => s,
        Err(e) => return v.problem.set(Some(format!("Chat is unavailable ({})", e.code))),
    };
    let switched = {
        let mut c = ctx.borrow_mut();
        c.events.ready(s.visitor_id.clone(), s.visitor_token.clone());
        if first.is_some() {
            c.events.push(EventKind::Visit, &s.channel.button.id, "", 0);
        }
        c.button = s.channel.button.id.clone();
        c.rules = std::mem::take(&mut s.channel.invites);
        c.goals = std::mem::take(&mut s.channel.goals);
        c.time_zone = s.channel.time_zone.clone();
        c.identified = s.identified;
        // An identified visitor's id comes with every session request (nothing stored for it
        // before they interact, as for anyone).
        let switched = c.creds.as_ref().is_some_and(|o| o.visitor_id != s.visitor_id);
        c.creds = Some(VisitorCreds { visitor_id: s.visitor_id, visitor_token: s.visitor_token });
        switched
    };
    v.channel.set(Some(s.channel));
    if let Some(id) = s.conversation_id {
        if v.conv.get_untracked().as_deref() != Some(&id) {
            connect(&ctx, v, id);
        }
    } else if switched && v.status.get_untracked().is_some() {
        // The identified visitor has no open chat here: the next message starts theirs.
        if let Some(old) = ctx.borrow_mut().conn.take() {
            old.close(false);
        }
        clear(v);
    } else if !ctx.borrow().queued.is_empty() && !ctx.borrow().creating {
        v.pending.set(queued_view(&ctx.borrow().queued));
        create_conversation(ctx.clone(), v);
    }
    if let Some((launcher, hook)) = first {
        if let Some(el) = launcher.get_untracked() {
            observe_launcher(&ctx, &el);
        }
        emit("ready", &obj(&[("identified", s.identified.into())]));
        crate::set_hook(hook);
        // This page's URL goals.
        let url = parley_client::window().location().href().unwrap_or_default();
        let new = {
            let mut c = ctx.borrow_mut();
            let c = &mut *c;
            c.reached.on_page(&c.goals, &url, parley_client::now_ms())
        };
        if !new.is_empty() {
            reached(&ctx, v);
        }
        evaluate(&ctx, v);
    }
    // `Parley.identify` came while the request was on its way: ask again.
    if crate::identity() != identity && crate::identity().is_some() {
        spawn_local(load_session(ctx, v, None));
    }
}

/// The survey's ratings (`Rating::as_str`), as the rating card's buttons are numbered.
const RATINGS: [&str; 3] = ["good", "moderate", "bad"];

/// Empties the transcript (another conversation comes, or none).
fn clear(v: View) {
    v.messages.set(Vec::new());
    v.pending.set(Vec::new());
    v.failed.set(Vec::new());
    v.status.set(None);
    v.typing.set(None);
    v.routing.set(None);
    v.conv.set(None);
    v.rating.set(0);
}

/// `Parley.goal(name, value)`: an unknown name or a bad value is a console warning.
fn code_goal(ctx: &Shared, v: View, name: &str, value: Option<f64>) {
    let r = {
        let mut c = ctx.borrow_mut();
        let c = &mut *c;
        c.reached.on_code(&c.goals, name, value, parley_client::now_ms())
    };
    match r {
        Ok(Some(_)) => reached(ctx, v),
        Ok(None) => {}
        Err(why) => web_sys::console::warn_3(&"Parley: goal not counted:".into(), &why.into(), &name.into()),
    }
}

/// The goals as JSON values (`JSON.stringify` writes the numbers).
fn goals_js(goals: &[ReachedGoal]) -> JsValue {
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
        .collect::<web_sys::js_sys::Array>()
        .into()
}

fn stringify(x: &JsValue) -> String {
    web_sys::js_sys::JSON::stringify(x).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

/// The goals reached earlier in this session (read without serde: smaller).
fn load_goals(channel: &str) -> SessionGoals {
    use web_sys::js_sys::{Array, JSON};
    let list = store::load_session(channel, "goals").and_then(|raw| JSON::parse(&raw).ok());
    let Some(list) = list.filter(Array::is_array) else { return SessionGoals::default() };
    let list = Array::from(&list);
    let goals = list.iter().map(|g| {
        let (s, n) = (|k: &str| crate::prop(&g, k).as_string().unwrap_or_default(), |k| crate::prop(&g, k).as_f64());
        ReachedGoal {
            goal_id: s("goal_id"),
            name: s("name"),
            value: n("value").unwrap_or(0.0),
            at: n("at").unwrap_or(0.0) as u64,
        }
    });
    SessionGoals(goals.collect())
}

/// A goal was reached: kept for the session (`sessionStorage`) and sent.
fn reached(ctx: &Shared, v: View) {
    {
        let c = ctx.borrow();
        store::save_session(&c.channel, "goals", &stringify(&goals_js(&c.reached.0)));
    }
    sync_goals(ctx, v);
}

/// Sends the session's goals to the conversation on screen unless it has them all (the edge
/// records each once, so resending is safe); network failures are retried.
fn sync_goals(ctx: &Shared, v: View) {
    let mut c = ctx.borrow_mut();
    let n = c.reached.0.len();
    let (Some(conv), Some(creds)) = (v.conv.get_untracked(), c.creds.clone()) else { return };
    if c.goals_busy || n == 0 || (c.goals_sent.0 == conv && c.goals_sent.1 == n) {
        return;
    }
    c.goals_busy = true;
    let body = stringify(&obj(&[
        ("channel_id", c.channel.as_str().into()),
        ("visitor_id", creds.visitor_id.into()),
        ("visitor_token", creds.visitor_token.into()),
        ("conversation_id", conv.as_str().into()),
        ("goals", goals_js(&c.reached.0)),
    ]));
    let url = format!("{}/api/v1/widget/goals", c.base);
    drop(c);
    let ctx = ctx.clone();
    spawn_local(async move {
        let res = parley_client::post_raw::<Done>(&url, body).await;
        let mut c = ctx.borrow_mut();
        c.goals_busy = false;
        match res {
            Err(e) if e.status == 0 => {
                drop(c);
                parley_client::set_timeout(5_000, move || sync_goals(&ctx, v));
            }
            res => {
                if let Err(e) = res {
                    web_sys::console::warn_2(&"Parley: goals not recorded:".into(), &e.message.into());
                }
                c.goals_sent = (conv, n);
                drop(c);
                sync_goals(&ctx, v);
            }
        }
    });
}

/// Sends the visitor's rating (`good`, `moderate`, `bad`; `not_rated`: they skipped it) as a
/// `SurveyRequest`, the same body again after a network failure; an earlier answer of theirs
/// (409 `already_rated`) counts as done. The body is built with `JSON.stringify` (smaller).
fn send_survey(ctx: &Shared, v: View, rating: &'static str, comment: String, wait: i32) {
    let c = ctx.borrow();
    let (Some(creds), Some(conv)) = (c.creds.clone(), v.conv.get_untracked()) else { return };
    v.rating.set(2);
    let survey = if rating == "not_rated" {
        obj(&[("survey", "skipped".into())])
    } else {
        obj(&[("survey", "rated".into()), ("rating", rating.into()), ("comment", comment.as_str().into())])
    };
    let body = stringify(&obj(&[
        ("channel_id", c.channel.as_str().into()),
        ("visitor_id", creds.visitor_id.into()),
        ("visitor_token", creds.visitor_token.into()),
        ("survey", survey),
    ]));
    let url = format!("{}/api/v1/widget/conversations/{conv}/survey", c.base);
    let channel = c.channel.clone();
    drop(c);
    let ctx = ctx.clone();
    spawn_local(async move {
        let res = parley_client::post_raw::<Done>(&url, body).await;
        if v.conv.get_untracked().as_deref() != Some(&conv) {
            return;
        }
        match res {
            Err(e) if e.status == 0 => {
                parley_client::set_timeout(wait, move || send_survey(&ctx, v, rating, comment, (wait * 2).min(30_000)))
            }
            Err(e) if e.code != "already_rated" => {
                v.rating.set(1);
                v.problem.set(Some(e.message));
            }
            _ => {
                v.rating.set(3);
                store::save(&channel, "rated", &conv);
                emit("rated", &obj(&[("rating", rating.into()), ("comment", comment.into())]));
            }
        }
    });
}

/// Sends `text`, creating the conversation first if there is none yet.
fn send(ctx: &Shared, v: View, text: String) {
    let mut c = ctx.borrow_mut();
    // The visitor interacted: from now on their identity is kept in first-party storage.
    if let Some(creds) = &c.creds {
        store::save(&c.channel, "visitor", creds);
    }
    if c.typing.sent().is_some() {
        if let Some(conn) = &c.conn {
            conn.send_now(&ClientMsg::Typing { typing: false });
        }
    }
    if let Some(conn) = &c.conn {
        conn.send_text(text);
        let pending = conn.pending();
        drop(c);
        v.pending.set(pending);
        return;
    }
    c.queued.push(text);
    store::save(&c.channel, "queued", &c.queued);
    v.pending.set(queued_view(&c.queued));
    // Before the session is loaded, `start` creates the conversation once it is.
    if c.creating || c.creds.is_none() {
        return;
    }
    drop(c);
    create_conversation(ctx.clone(), v);
}

/// Queued texts shown as pending until the conversation exists.
fn queued_view(queued: &[String]) -> Vec<Pending> {
    let now = parley_client::now_ms();
    queued
        .iter()
        .enumerate()
        .map(|(i, t)| Pending { client_id: format!("q{i}"), text: t.clone(), since: now })
        .collect()
}

fn create_conversation(ctx: Shared, v: View) {
    let (channel, base, creds, entry, prechat) = {
        let mut c = ctx.borrow_mut();
        let Some(creds) = c.creds.clone() else { return };
        // The channel asks who the visitor is first (unless the site said so).
        let form = v.channel.with_untracked(|ch| ch.as_ref().is_some_and(|ch| !ch.prechat.is_empty()));
        if form && !c.identified && c.answers.is_none() {
            v.form.set(true);
            return;
        }
        // The visitor wrote: from now on their identity is kept (also when they wrote before
        // the session was loaded).
        store::save(&c.channel, "visitor", &creds);
        c.creating = true;
        (c.channel.clone(), c.base.clone(), creds, c.entry.clone(), c.answers.clone().unwrap_or_default())
    };
    spawn_local(async move {
        let page_url = parley_client::window().location().href().unwrap_or_default();
        let body = CreateConversationRequest {
            channel_id: channel.clone(),
            visitor_id: creds.visitor_id,
            visitor_token: creds.visitor_token,
            page_url,
            language: parley_client::window().navigator().language().unwrap_or_default(),
            entry,
            prechat,
        };
        let created = post_json::<_, ConversationCreated>(&format!("{base}/api/v1/conversations"), &body).await;
        ctx.borrow_mut().creating = false;
        match created {
            Ok(c) => {
                // The entry point went with the conversation: done with.
                let mut ctx_mut = ctx.borrow_mut();
                ctx_mut.entry = None;
                store::remove(&ctx_mut.channel, "entry");
                drop(ctx_mut);
                emit("chat_started", &obj(&[("conversation_id", c.conversation_id.as_str().into())]));
                connect(&ctx, v, c.conversation_id)
            }
            // A pre-chat answer was refused: the form again, the message next to its field.
            Err(e)
                if e.status == 400
                    && v.channel.with_untracked(|ch| {
                        ch.as_ref().is_some_and(|ch| ch.prechat.iter().any(|f| f.key == e.field))
                    }) =>
            {
                let mut c = ctx.borrow_mut();
                c.answers = None;
                c.err_field = e.field;
                drop(c);
                store::remove(&channel, "prechat");
                v.form_err.set(Some(e.message));
                v.form.set(true);
            }
            // 403 (blocked): the server's polite words alone (it never sends the reason).
            Err(e) if e.status == 403 => v.problem.set(Some(e.message)),
            Err(e) => v.problem.set(Some(format!("Could not start the chat ({})", e.message))),
        }
    });
}

/// Opens the conversation's socket (its outbox kept in storage) and wires its events.
fn connect(ctx: &Shared, v: View, conversation_id: String) {
    let (channel, base, creds) = {
        let c = ctx.borrow();
        let Some(creds) = c.creds.clone() else { return };
        (c.channel.clone(), c.base.clone(), creds)
    };
    let ws_base = base.replacen("http", "ws", 1);
    let url = format!(
        "{ws_base}/api/v1/conversations/{conversation_id}/ws?role=visitor&visitor_id={}&visitor_token={}",
        creds.visitor_id, creds.visitor_token
    );
    if v.conv.get_untracked().is_some() {
        clear(v);
    }
    v.conv.set(Some(conversation_id.clone()));
    let weak = Rc::downgrade(ctx);
    let ch = channel.clone();
    let handler: parley_client::Handler = Rc::new(move |event| {
        match event {
            ConnEvent::State(s) => v.link.set(Some(s)),
            ConnEvent::Message(msg) => {
                let welcome = matches!(msg, ServerMsg::Welcome { .. });
                on_message(v, msg, &ch);
                // On every page load (each welcome), tell the operator where the visitor is.
                if let (true, Some(ctx)) = (welcome, weak.upgrade()) {
                    if let Some(conn) = &ctx.borrow().conn {
                        let w = parley_client::window();
                        let url = w.location().href().unwrap_or_default();
                        let title = w.document().map(|d| d.title()).unwrap_or_default();
                        conn.send_now(&ClientMsg::Page { url, title });
                    }
                }
            }
            ConnEvent::Rejected { pending, message, .. } => v.failed.update(|f| f.push((pending, message))),
        }
        if let Some(ctx) = weak.upgrade() {
            if let Some(conn) = &ctx.borrow().conn {
                v.pending.set(conn.pending());
            }
        }
    });
    let outbox_key = store::key(&channel, &format!("outbox:{conversation_id}"));
    let conn = Connection::open(url, 0, handler, Some(outbox_key));
    let mut c = ctx.borrow_mut();
    for text in std::mem::take(&mut c.queued) {
        conn.send_text(text);
    }
    store::remove(&channel, "queued");
    v.pending.set(conn.pending());
    v.status.set(Some(Status::Waiting));
    if let Some(old) = c.conn.replace(conn) {
        old.close(false);
    }
    drop(c);
    // The session's goals belong to this conversation too.
    sync_goals(ctx, v);
}

fn on_message(v: View, msg: ServerMsg, channel: &str) {
    match msg {
        ServerMsg::Welcome { history, status, routing, .. } => {
            set_status(v, status, channel);
            v.routing.set(routing);
            v.messages.update(|all| {
                for m in history {
                    insert(all, m);
                }
            });
        }
        ServerMsg::Message { message } => {
            if message.author.role == Role::Operator {
                v.typing.set(None);
                if !v.open.get_untracked() {
                    v.unread.update(|n| *n += 1);
                }
            }
            let data = obj(&[
                ("text", message.text.as_str().into()),
                (
                    "author",
                    obj(&[
                        ("role", if message.author.role == Role::Operator { "operator" } else { "visitor" }.into()),
                        ("name", message.author.name.as_str().into()),
                    ]),
                ),
                ("at", (message.at.0 as f64).into()),
            ]);
            let mut fresh = false;
            v.messages.update(|all| fresh = insert(all, message));
            if fresh {
                emit("message", &data);
            }
        }
        ServerMsg::Status { status } => set_status(v, status, channel),
        ServerMsg::Routing { routing } => v.routing.set(Some(routing)),
        ServerMsg::Typing { author, typing } => v.typing.set(typing.then_some(author.name)),
        ServerMsg::Error { message, client_id: None, .. } => v.problem.set(Some(message)),
        ServerMsg::Incompatible { .. } => v.problem.set(Some("Please reload the page to keep chatting".into())),
        _ => {}
    }
}

/// A key was pressed in the composer: tell the operator, throttled, and stop after a pause.
fn typing_input(ctx: &Shared) {
    let now = Millis(parley_client::now_ms());
    let c = &mut *ctx.borrow_mut();
    let (Some(conn), Some(typing)) = (&c.conn, c.typing.input(now)) else { return };
    conn.send_now(&ClientMsg::Typing { typing });
    let weak = Rc::downgrade(ctx);
    parley_client::set_timeout(parley_shared::limits::TYPING_IDLE_MS as i32 + 50, move || {
        let Some(ctx) = weak.upgrade() else { return };
        let c = &mut *ctx.borrow_mut();
        if let (Some(conn), Some(typing)) = (&c.conn, c.typing.tick(Millis(parley_client::now_ms()))) {
            conn.send_now(&ClientMsg::Typing { typing });
        }
    });
}

/// Inserts keeping `seq` order; a message already held is not added twice (false).
fn insert(all: &mut Vec<MessageView>, m: MessageView) -> bool {
    match all.binary_search_by_key(&m.seq, |x| x.seq) {
        Err(i) => {
            all.insert(i, m);
            true
        }
        Ok(_) => false,
    }
}

/// The conversation's status; when it becomes closed, the page hears `chat_ended` and the
/// visitor is asked for a rating (unless they answered in this browser).
fn set_status(v: View, status: Status, channel: &str) {
    let was = v.status.get_untracked();
    v.status.set(Some(status));
    if status != Status::Closed || was == Some(Status::Closed) {
        return;
    }
    let conv = v.conv.get_untracked().unwrap_or_default();
    emit("chat_ended", &obj(&[("conversation_id", conv.as_str().into())]));
    if store::load::<String>(channel, "rated").as_deref() != Some(&conv) && v.rating.get_untracked() == 0 {
        v.rating.set(1);
    }
}

fn operator_name(messages: &[MessageView]) -> Option<String> {
    messages.iter().rev().find(|m| m.author.role == Role::Operator).map(|m| m.author.name.clone())
}

/// `#rgb`/`#rrggbb` only: a channel colour never becomes arbitrary CSS.
fn safe_color(c: &str) -> &str {
    let ok = c.starts_with('#') && matches!(c.len(), 4 | 7) && c[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        c
    } else {
        "#2f5bea"
    }
}

/// Local `HH:MM` of a timestamp.
fn clock(ms: u64) -> String {
    let d = leptos::web_sys::js_sys::Date::new(&(ms as f64).into());
    format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
}

// ---------------------------------------------------------------------------------------------
// Entry points: the chat button's views and clicks, automatic invites, decision time.

/// Keeps the entry point of the visitor's last click until the conversation is created. The
/// visitor interacted, so it is stored (it survives a page change before they write).
fn remember_entry(ctx: &Shared, entry: EntryChoice) {
    let mut c = ctx.borrow_mut();
    store::save(&c.channel, "entry", &entry);
    c.entry = Some(entry);
}

/// The launcher was clicked to open the panel: a click on the chat button, decided in the time
/// since the button became visible (the entry point of the next conversation, unless one is
/// under way).
fn clicked_button(ctx: &Shared, v: View) {
    let c = ctx.borrow();
    if c.button.is_empty() {
        return;
    }
    c.events.push(EventKind::Click, &c.button, "", 0);
    if v.status.get_untracked().is_some_and(|s| s != Status::Closed) {
        return;
    }
    let now = parley_client::now_ms();
    let entry = EntryChoice {
        entry_point: c.button.clone(),
        invite: String::new(),
        decision_ms: c.seen_at.map(|t| now.saturating_sub(t)),
    };
    drop(c);
    remember_entry(ctx, entry);
}

/// Reports the chat button's first appearance in the viewport on this page (a view) and keeps
/// its time for the decision time.
fn observe_launcher(ctx: &Shared, el: &web_sys::Element) {
    use leptos::wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{js_sys::Array, IntersectionObserver, IntersectionObserverEntry};
    let weak = Rc::downgrade(ctx);
    let cb =
        Closure::<dyn FnMut(Array, IntersectionObserver)>::new(move |entries: Array, obs: IntersectionObserver| {
            if !entries.iter().any(|e| e.unchecked_into::<IntersectionObserverEntry>().is_intersecting()) {
                return;
            }
            obs.disconnect();
            if let Some(ctx) = weak.upgrade() {
                let mut c = ctx.borrow_mut();
                c.seen_at = Some(parley_client::now_ms());
                c.events.push(EventKind::View, &c.button, "", 0);
            }
        });
    if let Ok(obs) = IntersectionObserver::new(cb.as_ref().unchecked_ref()) {
        obs.observe(el);
    }
    cb.forget();
}

/// A chat is under way (or about to start): no invites then.
fn busy(c: &Ctx, v: View) -> bool {
    v.open.get_untracked()
        || c.creating
        || !c.queued.is_empty()
        || v.status.get_untracked().is_some_and(|s| s != Status::Closed)
}

/// Evaluates the channel's rules on this page's signals: invites on a match, otherwise sets one
/// timer for when waiting could make a rule match. One automatic invite per page at most.
fn evaluate(ctx: &Shared, v: View) {
    let c = ctx.borrow();
    if c.invited || c.offer.is_some() || c.rules.is_empty() || busy(&c, v) {
        return;
    }
    let now = parley_client::now_ms();
    let here = page::Page::read();
    let signals = here.signals(&c.visits, c.loaded, now, &c.time_zone);
    let shown = |id: &str| c.visits.shown(id);
    if let Some(rule) = invites::first_match(&c.rules, &signals, shown) {
        let rule = c.rules.iter().position(|r| std::ptr::eq(r, rule)).unwrap_or(0);
        drop(c);
        offer(ctx, v, rule);
    } else if let Some(ms) = invites::next_check_ms(&c.rules, &signals, shown) {
        drop(c);
        let gen = {
            let mut c = ctx.borrow_mut();
            c.check_gen += 1;
            c.check_gen
        };
        let ctx = ctx.clone();
        parley_client::set_timeout(ms.clamp(100, i32::MAX as u64) as i32, move || {
            if ctx.borrow().check_gen == gen {
                evaluate(&ctx, v);
            }
        });
    }
}

/// `Parley.invite(name)`: the rule named `name` (case-insensitive) invites now, whatever its
/// conditions; availability is still asked.
fn invite_by_name(ctx: &Shared, v: View, name: &str) {
    let rule = ctx.borrow().rules.iter().position(|r| r.name.eq_ignore_ascii_case(name));
    match rule {
        Some(rule) => offer(ctx, v, rule),
        None => web_sys::console::warn_2(&"Parley: no invite named".into(), &name.into()),
    }
}

/// A rule matched: asks whether an operator can take a chat, then shows the invite or
/// cancels it.
fn offer(ctx: &Shared, v: View, rule: usize) {
    let (base, channel_id, always_show) = {
        let mut c = ctx.borrow_mut();
        if c.offer.is_some() || busy(&c, v) {
            return;
        }
        c.invited = true;
        let always_show = c.rules[rule].invite.always_show;
        c.offer = Some(Offer { rule, id: parley_client::random_id("i"), state: Invite::matched().0, shown_at: 0 });
        (c.base.clone(), c.channel.clone(), always_show)
    };
    let ctx = ctx.clone();
    spawn_local(async move {
        let available = available(&base, channel_id).await == Some(true);
        step(&ctx, v, Observed::Availability { available, always_show, now_ms: parley_client::now_ms() });
    });
}

/// Whether an operator can take a chat in the channel now (`None` when the edge cannot say).
async fn available(base: &str, channel_id: String) -> Option<bool> {
    let url = format!("{base}/api/v1/widget/availability");
    post_json::<_, Availability>(&url, &AvailabilityRequest { channel_id }).await.ok().map(|a| a.available)
}

/// Moves this page's invite through its funnel (`invites::Invite`, so it ends once) and
/// reports each step.
fn step(ctx: &Shared, v: View, observed: Observed) {
    let mut guard = ctx.borrow_mut();
    let c = &mut *guard;
    let Some(offer) = c.offer.as_mut() else { return };
    let rule = &c.rules[offer.rule];
    let (next, steps) = offer.state.on(observed);
    offer.state = next;
    for s in steps {
        let kind = match s {
            FunnelEvent::Proactive => EventKind::Shown,
            FunnelEvent::Cancelled => EventKind::Cancelled,
            FunnelEvent::Accepted => EventKind::Accepted,
            FunnelEvent::Declined => EventKind::Declined,
            FunnelEvent::Ignored => EventKind::Ignored,
            FunnelEvent::Expired => EventKind::Expired,
            FunnelEvent::Match | FunnelEvent::NoAvailability => continue,
        };
        let timeout_ms = rule.invite.display_timeout_ms;
        c.events.push(kind, &rule.id, &offer.id, if kind == EventKind::Shown { timeout_ms } else { 0 });
        if kind == EventKind::Shown {
            offer.shown_at = parley_client::now_ms();
            c.visits.count_shown(&rule.id);
            page::save(&c.channel, &c.visits);
            let language = parley_client::window().navigator().language().unwrap_or_default();
            v.invite.set(Some(rule.invite.greeting_for(&language).to_owned()));
            let ctx = ctx.clone();
            parley_client::set_timeout(timeout_ms.min(i32::MAX as u64) as i32 + 50, move || {
                step(&ctx, v, Observed::Tick { now_ms: parley_client::now_ms(), timeout_ms });
            });
        }
    }
    if next == Invite::Done {
        c.offer = None;
        v.invite.set(None);
    }
}

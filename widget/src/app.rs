//! The widget's UI: launcher, panel, transcript and composer.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use parley_client::{post_json, ConnEvent, ConnState, Connection};
use parley_shared::protocol::{MessageView, Role, ServerMsg};
use serde::{Deserialize, Serialize};

use crate::store;

#[derive(Clone, Serialize, Deserialize)]
struct VisitorCreds {
    visitor_id: String,
    visitor_token: String,
}

#[derive(Clone, Deserialize)]
struct ChannelView {
    name: String,
    greeting: String,
    accent: String,
}

#[derive(Deserialize)]
struct Session {
    channel: ChannelView,
    visitor_id: String,
    visitor_token: String,
    conversation_id: Option<String>,
}

#[derive(Serialize)]
struct SessionReq<'a> {
    channel_id: &'a str,
    visitor_id: Option<&'a str>,
    visitor_token: Option<&'a str>,
}

#[derive(Serialize)]
struct CreateReq<'a> {
    channel_id: &'a str,
    visitor_id: &'a str,
    visitor_token: &'a str,
    page_url: &'a str,
}

#[derive(Deserialize)]
struct Created {
    conversation_id: String,
}

/// Non-reactive state shared by the event handlers.
#[derive(Default)]
struct Ctx {
    creds: Option<VisitorCreds>,
    conn: Option<Connection>,
    /// Written before a conversation exists; sent once it does.
    queued: Vec<String>,
    creating: bool,
}

/// Everything the view reads.
#[derive(Clone, Copy)]
struct View {
    open: RwSignal<bool>,
    channel: RwSignal<Option<ChannelView>>,
    messages: RwSignal<Vec<MessageView>>,
    /// Own messages not yet acknowledged: (client id, text).
    pending: RwSignal<Vec<(String, String)>>,
    typing: RwSignal<Option<String>>,
    link: RwSignal<Option<ConnState>>,
    unread: RwSignal<u32>,
    problem: RwSignal<Option<String>>,
}

#[component]
pub fn App(channel: String, base: String) -> impl IntoView {
    let v = View {
        open: RwSignal::new(store::load::<bool>(&channel, "open").unwrap_or(false)),
        channel: RwSignal::new(None),
        messages: RwSignal::new(Vec::new()),
        pending: RwSignal::new(Vec::new()),
        typing: RwSignal::new(None),
        link: RwSignal::new(None),
        unread: RwSignal::new(0),
        problem: RwSignal::new(None),
    };
    let ctx = StoredValue::new_local(Rc::new(RefCell::new(Ctx::default())));
    let cfg = StoredValue::new((channel.clone(), base.clone()));
    let draft = RwSignal::new(String::new());
    let log_ref = NodeRef::<leptos::html::Div>::new();

    // Who is this visitor, and is there a conversation to resume?
    {
        let ctx = ctx.get_value();
        spawn_local(async move {
            let stored: Option<VisitorCreds> = store::load(&channel, "visitor");
            let body = SessionReq {
                channel_id: &channel,
                visitor_id: stored.as_ref().map(|c| c.visitor_id.as_str()),
                visitor_token: stored.as_ref().map(|c| c.visitor_token.as_str()),
            };
            match post_json::<_, Session>(&format!("{base}/api/v1/widget/session"), &body).await {
                Ok(s) => {
                    v.channel.set(Some(s.channel));
                    ctx.borrow_mut().creds =
                        Some(VisitorCreds { visitor_id: s.visitor_id, visitor_token: s.visitor_token });
                    if let Some(id) = s.conversation_id {
                        connect(&ctx, v, &base, &channel, id);
                    }
                }
                Err(e) => v.problem.set(Some(format!("Chat is unavailable ({})", e.code))),
            }
        });
    }

    // Keep the newest message in view.
    Effect::new(move |_| {
        v.messages.track();
        v.pending.track();
        if let Some(el) = log_ref.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });

    let toggle = move |_| {
        let now_open = !v.open.get_untracked();
        v.open.set(now_open);
        if now_open {
            v.unread.set(0);
        }
        cfg.with_value(|(channel, _)| store::save(channel, "open", &now_open));
    };

    let submit = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        draft.set(String::new());
        cfg.with_value(|(channel, base)| send(&ctx.get_value(), v, base, channel, text));
    };

    view! {
        <div style=move || v.channel.get().map(|c| format!("--accent:{}", safe_color(&c.accent))).unwrap_or_default()>
            <Show when=move || v.open.get()>
                <section class="panel" role="dialog" aria-label="Chat">
                    <header class="head">
                        <div style="flex:1">
                            <h2>{move || v.channel.get().map(|c| c.name).unwrap_or_else(|| "Chat".into())}</h2>
                            <p>{move || operator_name(&v.messages.get()).map(|n| format!("You are chatting with {n}")).unwrap_or_else(|| "We reply as soon as we can".into())}</p>
                        </div>
                        <button class="close" aria-label="Minimize chat" on:click=toggle>"×"</button>
                    </header>
                    {move || v.problem.get().map(|p| view! { <p class="status" role="alert">{p}</p> })}
                    {move || (v.link.get() == Some(ConnState::Retrying)).then(|| view! { <p class="status">"Reconnecting…"</p> })}
                    <div class="log" role="log" aria-live="polite" aria-label="Messages" node_ref=log_ref>
                        <p class="greet">{move || v.channel.get().map(|c| c.greeting).unwrap_or_default()}</p>
                        <For each=move || v.messages.get() key=|m| m.seq let:m>
                            <div class=if m.author.role == Role::Visitor { "msg mine" } else { "msg theirs" }>
                                {(m.author.role == Role::Operator).then(|| view! { <span class="who">{m.author.name.clone()}</span> })}
                                {m.text.clone()}
                                <span class="meta">{clock(m.at.0)}</span>
                            </div>
                        </For>
                        <For each=move || v.pending.get() key=|p| p.0.clone() let:p>
                            <div class="msg mine pending">{p.1.clone()}<span class="meta">"Sending…"</span></div>
                        </For>
                    </div>
                    <div class="typing" aria-hidden="true">{move || v.typing.get().map(|n| format!("{n} is typing…"))}</div>
                    <form class="compose" on:submit=move |e: ev::SubmitEvent| { e.prevent_default(); submit() }>
                        <textarea
                            aria-label="Message"
                            placeholder="Write a message…"
                            prop:value=move || draft.get()
                            on:input=move |e| draft.set(event_target_value(&e))
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
            </Show>
            <button
                class="launcher"
                aria-label=move || if v.open.get() { "Close chat" } else { "Open chat" }
                aria-expanded=move || v.open.get().to_string()
                on:click=toggle
            >
                <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>
                {move || (v.unread.get() > 0).then(|| view! { <span class="badge">{v.unread.get()}<span class="sr">" unread"</span></span> })}
            </button>
        </div>
    }
}

/// Sends `text`, creating the conversation first if there is none yet.
fn send(ctx: &Rc<RefCell<Ctx>>, v: View, base: &str, channel: &str, text: String) {
    let mut c = ctx.borrow_mut();
    // The visitor interacted: from now on their identity is kept in first-party storage.
    if let Some(creds) = &c.creds {
        store::save(channel, "visitor", creds);
    }
    if let Some(conn) = &c.conn {
        conn.send_text(text);
        let pending = conn.pending();
        drop(c);
        v.pending.set(pending);
        return;
    }
    c.queued.push(text.clone());
    v.pending.update(|p| p.push((format!("q{}", p.len()), text)));
    if c.creating {
        return;
    }
    let Some(creds) = c.creds.clone() else {
        v.problem.set(Some("Chat is not ready yet, please try again".into()));
        return;
    };
    c.creating = true;
    drop(c);
    let (ctx, base, channel) = (ctx.clone(), base.to_owned(), channel.to_owned());
    spawn_local(async move {
        let page_url = parley_client::window().location().href().unwrap_or_default();
        let body = CreateReq {
            channel_id: &channel,
            visitor_id: &creds.visitor_id,
            visitor_token: &creds.visitor_token,
            page_url: &page_url,
        };
        let created = post_json::<_, Created>(&format!("{base}/api/v1/conversations"), &body).await;
        ctx.borrow_mut().creating = false;
        match created {
            Ok(c) => connect(&ctx, v, &base, &channel, c.conversation_id),
            Err(e) => v.problem.set(Some(format!("Could not start the chat ({})", e.message))),
        }
    });
}

/// Opens the conversation's socket and wires its events to the view.
fn connect(ctx: &Rc<RefCell<Ctx>>, v: View, base: &str, channel: &str, conversation_id: String) {
    let Some(creds) = ctx.borrow().creds.clone() else { return };
    let ws_base = base.replacen("http", "ws", 1);
    let url = format!(
        "{ws_base}/api/v1/conversations/{conversation_id}/ws?role=visitor&visitor_id={}&visitor_token={}",
        creds.visitor_id, creds.visitor_token
    );
    store::save(channel, "conversation", &conversation_id);
    let weak = Rc::downgrade(ctx);
    let handler: parley_client::Handler = Rc::new(move |event| match event {
        ConnEvent::State(s) => v.link.set(Some(s)),
        ConnEvent::Message(msg) => {
            on_message(v, msg);
            if let Some(ctx) = weak.upgrade() {
                if let Some(conn) = &ctx.borrow().conn {
                    v.pending.set(conn.pending());
                }
            }
        }
    });
    let conn = Connection::open(url, 0, handler);
    let queued = std::mem::take(&mut ctx.borrow_mut().queued);
    for text in queued {
        conn.send_text(text);
    }
    v.pending.set(conn.pending());
    ctx.borrow_mut().conn = Some(conn);
}

fn on_message(v: View, msg: ServerMsg) {
    match msg {
        ServerMsg::Welcome { history, .. } => v.messages.update(|all| {
            for m in history {
                insert(all, m);
            }
        }),
        ServerMsg::Message { message } => {
            if message.author.role == Role::Operator {
                v.typing.set(None);
                if !v.open.get_untracked() {
                    v.unread.update(|n| *n += 1);
                }
            }
            v.messages.update(|all| insert(all, message));
        }
        ServerMsg::Typing { author, typing } => v.typing.set(typing.then_some(author.name)),
        ServerMsg::Error { message, .. } => v.problem.set(Some(message)),
        ServerMsg::Incompatible { .. } => v.problem.set(Some("Please reload the page to keep chatting".into())),
        _ => {}
    }
}

/// Inserts keeping `seq` order; a message already held is not added twice.
fn insert(all: &mut Vec<MessageView>, m: MessageView) {
    if let Err(i) = all.binary_search_by_key(&m.seq, |x| x.seq) {
        all.insert(i, m);
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
    let d = js_sys_date(ms);
    format!("{:02}:{:02}", d.0, d.1)
}

fn js_sys_date(ms: u64) -> (u32, u32) {
    let d = leptos::web_sys::js_sys::Date::new(&(ms as f64).into());
    (d.get_hours(), d.get_minutes())
}

//! One open conversation: its protocol connection, what the console shows of it, and the
//! throttle for our own typing indicator.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use parley_client::{set_timeout, ConnEvent, ConnState, Connection, Handler};
use parley_shared::limits::TYPING_IDLE_MS;
use parley_shared::protocol::{
    normalize_text, Author, ClientMsg, ErrorCode, Role, Routing, ServerMsg, Status, VisitorInfo,
};
use parley_shared::typing::TypingThrottle;
use parley_shared::Millis;

use crate::model::{self, Line};

/// Hide the other side's typing indicator if no update arrives for this long.
const PEER_TYPING_TIMEOUT_MS: i32 = 8_000;
/// How often [`ChatView::now`] is refreshed while replies wait for their `ack`.
const CLOCK_TICK: Duration = Duration::from_secs(2);

/// Everything the UI renders about a conversation. Reference-counted signals: they live as
/// long as the conversation stays open, whichever panel is on screen.
#[derive(Clone)]
pub struct ChatView {
    pub lines: ArcRwSignal<Vec<Line>>,
    pub conn_state: ArcRwSignal<ConnState>,
    pub status: ArcRwSignal<Option<Status>>,
    /// Name of whoever else is typing.
    pub peer_typing: ArcRwSignal<Option<String>>,
    pub draft: ArcRwSignal<String>,
    pub error: ArcRwSignal<Option<String>>,
    /// How the server shows us (from `welcome`).
    pub me: ArcRwSignal<Option<Author>>,
    /// Browser clock (ms since the epoch), refreshed only while replies wait, to tell
    /// "sending…" from "Not sent yet".
    pub now: ArcRwSignal<f64>,
    /// Where the conversation stands in routing (live).
    pub routing: ArcRwSignal<Option<Routing>>,
    /// The visitor's language, country and pages (live).
    pub visitor: ArcRwSignal<Option<VisitorInfo>>,
}

/// Our own typing indicator: the shared throttle plus whether an idle check is scheduled.
#[derive(Default)]
struct TypingOut {
    throttle: RefCell<TypingThrottle>,
    idle_timer: Cell<bool>,
}

/// An open conversation.
#[derive(Clone)]
pub struct Chat {
    pub conn: Connection,
    pub view: ChatView,
    my_name: String,
    typing: Rc<TypingOut>,
    /// The interval refreshing `view.now`, while one runs.
    ticker: Rc<Cell<Option<IntervalHandle>>>,
}

impl Chat {
    /// Connects to conversation `id` as the operator shown as `my_name`.
    pub fn open(id: &str, my_name: String) -> Self {
        let view = ChatView {
            lines: ArcRwSignal::new(Vec::new()),
            conn_state: ArcRwSignal::new(ConnState::Connecting),
            status: ArcRwSignal::new(None),
            peer_typing: ArcRwSignal::new(None),
            draft: ArcRwSignal::new(String::new()),
            error: ArcRwSignal::new(None),
            me: ArcRwSignal::new(None),
            now: ArcRwSignal::new(js_sys::Date::now()),
            routing: ArcRwSignal::new(None),
            visitor: ArcRwSignal::new(None),
        };
        let handler: Handler = {
            let view = view.clone();
            let typing_gen = Rc::new(Cell::new(0u32));
            Rc::new(move |event| on_event(&view, &typing_gen, event))
        };
        // Unacknowledged replies survive a reload of the console and are sent again.
        let outbox_key = format!("parley:console:outbox:{id}");
        let conn = Connection::open(crate::api::ws_url(id), 0, handler, Some(outbox_key));
        let me = Author { role: Role::Operator, name: my_name.clone() };
        let restored: Vec<Line> = conn
            .pending()
            .into_iter()
            .map(|p| Line::outgoing(p.client_id, me.clone(), p.text, p.since as f64))
            .collect();
        let waiting = !restored.is_empty();
        view.lines.update(|lines| lines.extend(restored));
        let chat = Chat { conn, view, my_name, typing: Rc::new(TypingOut::default()), ticker: Rc::default() };
        if waiting {
            chat.watch_pending();
        }
        chat
    }

    pub fn is_closed(&self) -> bool {
        self.view.status.get_untracked() == Some(Status::Closed)
    }

    /// Sends the draft. Empty drafts are ignored; refused ones leave the draft in place.
    pub fn send(&self) {
        let draft = self.view.draft.get_untracked();
        let text = match normalize_text(&draft) {
            Ok(text) => text,
            Err(e) if e.code == ErrorCode::EmptyMessage => return,
            Err(e) => {
                self.view.error.set(Some(e.message));
                return;
            }
        };
        if self.is_closed() {
            self.view.error.set(Some(crate::i18n::t().conversation_closed.to_owned()));
            return;
        }
        self.stop_typing();
        let client_id = self.conn.send_text(text.clone());
        let name = self.view.me.with_untracked(|me| me.as_ref().map(|a| a.name.clone()));
        let author = Author { role: Role::Operator, name: name.unwrap_or_else(|| self.my_name.clone()) };
        let line = Line::outgoing(client_id, author, text, js_sys::Date::now());
        self.view.lines.update(|lines| lines.push(line));
        self.view.draft.set(String::new());
        self.view.error.set(None);
        self.watch_pending();
    }

    /// Sends the unacknowledged replies again now, or reconnects at once if the socket is down.
    pub fn retry(&self) {
        self.conn.retry_now();
        self.watch_pending();
    }

    /// The composer changed: tell the visitor we are typing, throttled.
    pub fn on_input(&self, text: &str) {
        if text.trim().is_empty() {
            self.stop_typing();
            return;
        }
        let now = Millis(js_sys::Date::now() as u64);
        if let Some(typing) = self.typing.throttle.borrow_mut().input(now) {
            self.conn.send_now(&ClientMsg::Typing { typing });
        }
        self.watch_idle();
    }

    /// Says we stopped typing, if we said we started.
    pub fn stop_typing(&self) {
        if let Some(typing) = self.typing.throttle.borrow_mut().sent() {
            self.conn.send_now(&ClientMsg::Typing { typing });
        }
    }

    /// Ends the conversation for everyone.
    pub fn end(&self) {
        self.stop_typing();
        self.conn.send_now(&ClientMsg::End);
    }

    /// Closes the connection for good (unsent replies stay queued for the next visit).
    pub fn close(&self) {
        self.stop_typing();
        self.stop_clock();
        self.conn.close(false);
    }

    /// Refreshes the clock now and every [`CLOCK_TICK`] until no reply waits any more.
    fn watch_pending(&self) {
        self.view.now.set(js_sys::Date::now());
        if self.ticker.get().is_some() {
            return;
        }
        let view = self.view.clone();
        let ticker = Rc::clone(&self.ticker);
        let tick = move || {
            if view.lines.with_untracked(|lines| model::any_pending(lines)) {
                view.now.set(js_sys::Date::now());
            } else if let Some(handle) = ticker.take() {
                handle.clear();
            }
        };
        self.ticker.set(set_interval_with_handle(tick, CLOCK_TICK).ok());
    }

    fn stop_clock(&self) {
        if let Some(handle) = self.ticker.take() {
            handle.clear();
        }
    }

    /// Checks for idleness a little after the idle time, until the throttle says "stopped".
    fn watch_idle(&self) {
        if self.typing.idle_timer.replace(true) {
            return;
        }
        let chat = self.clone();
        set_timeout(TYPING_IDLE_MS as i32 + 50, move || {
            chat.typing.idle_timer.set(false);
            let now = Millis(js_sys::Date::now() as u64);
            let stop = chat.typing.throttle.borrow_mut().tick(now);
            match stop {
                Some(typing) => chat.conn.send_now(&ClientMsg::Typing { typing }),
                None => {
                    if chat.typing.throttle.borrow().is_on() {
                        chat.watch_idle();
                    }
                }
            }
        });
    }
}

fn on_event(view: &ChatView, typing_gen: &Rc<Cell<u32>>, event: ConnEvent) {
    let msg = match event {
        ConnEvent::State(state) => {
            view.conn_state.set(state);
            return;
        }
        ConnEvent::Message(msg) => msg,
        ConnEvent::Rejected { pending, message, .. } => {
            view.lines.update(|lines| lines.retain(|l| l.seq.is_some() || l.client_id != pending.client_id));
            view.error.set(Some(crate::i18n::fill(
                crate::i18n::t().not_sent_error,
                &[("message", &message), ("text", &pending.text)],
            )));
            return;
        }
    };
    match msg {
        ServerMsg::Welcome { status, you, history, routing, visitor, .. } => {
            view.status.set(Some(status));
            view.routing.set(routing);
            view.visitor.set(visitor);
            view.me.set(Some(you));
            view.lines.update(|lines| history.into_iter().for_each(|m| model::merge(lines, m)));
        }
        ServerMsg::Message { message } => {
            let author = message.author.name.clone();
            if view.peer_typing.with_untracked(|t| t.as_deref() == Some(author.as_str())) {
                view.peer_typing.set(None);
            }
            view.lines.update(|lines| model::merge(lines, message));
        }
        ServerMsg::Ack { client_id, seq, at } => {
            view.lines.update(|lines| {
                model::ack(lines, &client_id, seq, at.0);
            });
        }
        ServerMsg::Typing { author, typing } => {
            let generation = typing_gen.get().wrapping_add(1);
            typing_gen.set(generation);
            if typing {
                view.peer_typing.set(Some(author.name));
                let peer_typing = view.peer_typing.clone();
                let typing_gen = Rc::clone(typing_gen);
                set_timeout(PEER_TYPING_TIMEOUT_MS, move || {
                    if typing_gen.get() == generation {
                        peer_typing.set(None);
                    }
                });
            } else {
                view.peer_typing.set(None);
            }
        }
        ServerMsg::Status { status } => view.status.set(Some(status)),
        ServerMsg::Routing { routing } => view.routing.set(Some(routing)),
        ServerMsg::Visitor { visitor } => view.visitor.set(Some(visitor)),
        // Errors about one reply arrive as `Rejected` (or are retried, when rate limited).
        ServerMsg::Error { client_id: Some(_), .. } => {}
        ServerMsg::Error { message, .. } => view.error.set(Some(message)),
        ServerMsg::Incompatible { reason, .. } => {
            view.error.set(Some(crate::i18n::fill(crate::i18n::t().out_of_date_error, &[("reason", &reason)])));
        }
        ServerMsg::Pong => {}
    }
}

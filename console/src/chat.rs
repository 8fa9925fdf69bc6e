//! One open conversation: its protocol connection (the chat core, `parley_chat_client`, behind
//! `parley_client::Connection`) and what the console shows of it, as signals.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::Update as _;
use leptos::prelude::*;
use parley_client::{ConnState, Event};
use parley_protocol::protocol::{normalize_text, Author, ErrorCode, Role, Routing, ServerMsg, Status, VisitorInfo};

use crate::model::{self, Line};

/// The operator's side of a connection: its frames carry what operators see of the visitor.
type Connection = parley_client::Connection<VisitorInfo>;
type Handler = parley_client::Handler<VisitorInfo>;
type Update = parley_client::Update<VisitorInfo>;

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
    /// Read receipts: the client id of the last operator's message the visitor has read
    /// ("Seen"; a line's id, unlike its seq, is known from its sending on)…
    pub seen: ArcRwSignal<Option<String>>,
    /// …and whether the operators have read every visitor's message held (the operators' shared
    /// mark: this console's or another's), which clears the unread badge.
    pub caught_up: ArcRwSignal<bool>,
    /// The name of the file being uploaded, while one is (issue 21).
    pub uploading: ArcRwSignal<Option<String>>,
}

/// An open conversation.
#[derive(Clone)]
pub struct Chat {
    /// The conversation's id (its files' routes).
    pub id: String,
    pub conn: Connection,
    pub view: ChatView,
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
            seen: ArcRwSignal::new(None),
            caught_up: ArcRwSignal::new(false),
            uploading: ArcRwSignal::new(None),
        };
        let handler: Handler = {
            let view = view.clone();
            Rc::new(move |conn: &Connection, update: Update| on_update(&view, conn, update))
        };
        // Unacknowledged replies survive a reload of the console and are sent again.
        let outbox_key = format!("parley:console:outbox:{id}");
        let me = Author { role: Role::Operator, name: my_name };
        let conn = Connection::open(crate::api::ws_url(id), me, false, handler, Some(outbox_key));
        let chat = Chat { id: id.to_owned(), conn, view, ticker: Rc::default() };
        chat.show_lines();
        if chat.conn.with(|s| s.has_pending()) {
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
        self.conn.send_text(text);
        self.show_lines();
        self.view.draft.set(String::new());
        self.view.error.set(None);
        self.watch_pending();
    }

    /// Uploads `file` (picked, dropped or pasted; issue 21) and sends it as a reply. A file over
    /// `MAX_ATTACHMENT_BYTES` is refused here, before any upload; a refusal of the edge (type,
    /// count) is said in the console's language. The upload is keyed by the reply's client id:
    /// once it answered, the reply is in the saved outbox like a text.
    pub fn attach(&self, file: web_sys::File) {
        use parley_protocol::limits::MAX_ATTACHMENT_BYTES;
        let t = crate::i18n::t();
        if self.is_closed() {
            self.view.error.set(Some(t.conversation_closed.to_owned()));
            return;
        }
        if file.size() > MAX_ATTACHMENT_BYTES as f64 {
            self.view.error.set(Some(t.err_file_too_large.to_owned()));
            return;
        }
        let name = file.name();
        let client_id = parley_client::random_id("m");
        let q = js_sys::encode_uri_component(&name);
        let url = format!("/api/v1/conversations/{}/files?client_id={client_id}&name={q}", self.id);
        let chat = self.clone();
        self.view.error.set(None);
        self.view.uploading.set(Some(name));
        leptos::task::spawn_local(async move {
            let answer = parley_client::post_blob(&url, &file.into(), &[]).await;
            chat.view.uploading.set(None);
            let up = answer.map(|v| {
                let json = js_sys::JSON::stringify(&v).ok().and_then(|s| s.as_string()).unwrap_or_default();
                serde_json::from_str::<parley_protocol::api::UploadedFile>(&json).ok()
            });
            match up {
                Ok(Some(up)) => {
                    chat.conn.send_file(client_id, String::new(), up.token, up.attachment);
                    chat.show_lines();
                    chat.watch_pending();
                }
                Ok(None) => chat.view.error.set(Some(t.err_internal.to_owned())),
                Err(e) => {
                    let why = match e.api_code() {
                        Some(code) => crate::api::refusal_text(t, code, "", ""),
                        None => t.err_internal,
                    };
                    chat.view.error.set(Some(why.to_owned()));
                }
            }
        });
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
        } else {
            self.conn.typing_input();
        }
    }

    /// Says we stopped typing, if we said we started.
    pub fn stop_typing(&self) {
        self.conn.stop_typing();
    }

    /// Ends the conversation for everyone.
    pub fn end(&self) {
        self.conn.end();
    }

    /// The operator has this chat in front of them (active in a visible console) or not: while
    /// they do, the operators' read mark follows what arrives.
    pub fn reading(&self, on: bool) {
        self.conn.reading(on);
        self.conn.with(|s| set(&self.view.caught_up, s.status().is_some() && s.unread() == 0));
    }

    /// Closes the connection for good (unsent replies stay queued for the next visit).
    pub fn close(&self) {
        self.stop_clock();
        self.conn.close(false);
    }

    /// The transcript as the session holds it now.
    fn show_lines(&self) {
        self.conn.with(|s| self.view.lines.maybe_update(|lines| model::sync(lines, s)));
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
}

/// Sets `signal` to `value` when it differs (no re-render otherwise).
fn set<T: PartialEq + Send + Sync + 'static>(signal: &ArcRwSignal<T>, value: T) {
    signal.maybe_update(|old| {
        let changed = *old != value;
        if changed {
            *old = value;
        }
        changed
    });
}

/// The session moved on: the signals follow it; refusals and problems show as the error.
fn on_update(view: &ChatView, conn: &Connection, update: Update) {
    conn.with(|s| {
        set(&view.conn_state, s.state());
        set(&view.status, s.status());
        set(&view.routing, s.routing().cloned());
        set(&view.peer_typing, s.typist().map(str::to_owned));
        let seen = s.seen().and_then(|seq| s.lines().iter().find(|l| l.seq == Some(seq)));
        set(&view.seen, seen.map(|l| l.client_id.clone()));
        set(&view.caught_up, s.status().is_some() && s.unread() == 0);
        if s.status().is_some() {
            set(&view.me, Some(s.me().clone()));
        }
        view.lines.maybe_update(|lines| model::sync(lines, s));
    });
    match update.frame {
        Some(ServerMsg::Welcome { visitor, .. }) => set(&view.visitor, visitor),
        Some(ServerMsg::Visitor { visitor }) => set(&view.visitor, Some(visitor)),
        _ => {}
    }
    for event in update.events {
        match event {
            // Said in the console's language (the server's message is English, for developers).
            Event::Refused { pending, code, .. } => {
                let why = crate::i18n::lang().texts().refusal(code);
                view.error.set(Some(crate::i18n::fill(
                    crate::i18n::t().not_sent_error,
                    &[("message", why), ("text", &pending.text)],
                )));
            }
            Event::Problem(code, _) => view.error.set(Some(capitalized(crate::i18n::lang().texts().refusal(code)))),
            Event::Incompatible(reason) => {
                view.error.set(Some(crate::i18n::fill(crate::i18n::t().out_of_date_error, &[("reason", &reason)])));
            }
            _ => {}
        }
    }
}

/// `text` as a sentence of its own: its first letter upper-case (the refusal texts are made to
/// sit in a sentence's middle).
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::capitalized;

    #[test]
    fn a_refusal_said_alone_starts_with_a_capital() {
        assert_eq!(capitalized("чат завершён"), "Чат завершён");
        assert_eq!(capitalized("消息太长"), "消息太长");
        assert_eq!(capitalized(""), "");
    }
}

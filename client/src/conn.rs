//! One protocol connection to a conversation: the browser side of a
//! [`parley_chat_client::Session`]. This file only moves things — the WebSocket, the outbox
//! mirrored to localStorage (so it survives navigation and reloads), the timers, the clock and
//! the jitter; every decision (what to send, when to reconnect, what the transcript shows) is
//! the session's, tested natively there.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use parley_chat_client::{read_outbox, Event, Out, Pending, Session, Timer};
use parley_protocol::protocol::{encode_client, AttachmentView, Author, ClientMsg, Hidden, ServerMsg};

use crate::frame::Js;
use crate::Side;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// What the connection tells the app after a step that came from the network or a timer:
/// the session's events, and the server frame that caused them (for what only the app reads,
/// such as the visitor's details in the console).
pub struct Update<V = Hidden> {
    pub events: Vec<Event>,
    pub frame: Option<ServerMsg<V>>,
}

/// Receives every [`Update`]; called on the browser's event loop, never from inside a call the
/// app made (so the app may hold its own state borrowed while it calls the connection).
pub type Handler<V = Hidden> = Rc<dyn Fn(&Connection<V>, Update<V>)>;

struct Inner<V> {
    url: String,
    /// A visitor's socket opens with a fresh ticket each time: `(ticket URL, JSON body)` of the
    /// `POST` that mints it; the socket URL then ends `&ticket=…`.
    ticket: Option<(String, String)>,
    handler: Handler<V>,
    ws: RefCell<Option<WebSocket>>,
    session: RefCell<Session>,
    /// localStorage key the outbox is mirrored to.
    outbox_key: Option<String>,
    /// Bumped on every dial, so a stale reconnect timer does nothing.
    generation: Cell<u32>,
}

/// A live connection; dropping it does not close it, [`Connection::close`] does.
#[derive(Clone)]
pub struct Connection<V = Hidden> {
    inner: Rc<Inner<V>>,
}

impl<V: Side> Connection<V> {
    /// Connects to `url` (a `ws:`/`wss:` URL) as `me`. With `outbox_key`, unacknowledged
    /// messages are kept in localStorage under that key, and the ones left there by an earlier
    /// page are shown and sent again. `ask_rating`: show the rating card when the chat closes.
    pub fn open(url: String, me: Author, ask_rating: bool, handler: Handler<V>, outbox_key: Option<String>) -> Self {
        Self::open_ticketed(url, None, me, ask_rating, handler, outbox_key)
    }

    /// [`Connection::open`], fetching a ticket before every dial when `ticket` is
    /// `Some((ticket URL, JSON body))` (a visitor's socket: the permanent token never goes into
    /// a URL). A failed ticket request counts as a dropped connection (retried with backoff).
    pub fn open_ticketed(
        url: String,
        ticket: Option<(String, String)>,
        me: Author,
        ask_rating: bool,
        handler: Handler<V>,
        outbox_key: Option<String>,
    ) -> Self {
        let saved = outbox_key.as_deref().and_then(load_outbox).unwrap_or_default();
        let inner = Rc::new(Inner {
            url,
            ticket,
            handler,
            ws: RefCell::new(None),
            session: RefCell::new(Session::new(me, saved).asking_rating(ask_rating)),
            outbox_key,
            generation: Cell::new(0),
        });
        dial(&inner);
        Connection { inner }
    }

    /// Whether `other` is this same connection.
    pub fn same(&self, other: &Connection<V>) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    /// Reads the session (the transcript, status, routing…).
    pub fn with<R>(&self, f: impl FnOnce(&Session) -> R) -> R {
        f(&self.inner.session.borrow())
    }

    /// Changes what the session keeps for the UI alone (the rating card).
    pub fn with_mut<R>(&self, f: impl FnOnce(&mut Session) -> R) -> R {
        f(&mut self.inner.session.borrow_mut())
    }

    /// Sends a chat message (normalized text) now, or once the socket is open; returns its id.
    pub fn send_text(&self, text: String) -> String {
        let client_id = crate::random_id("m");
        let out = self.inner.session.borrow_mut().send_text(client_id.clone(), text, crate::now_ms());
        run(&self.inner, out, None, false);
        client_id
    }

    /// Sends an uploaded file (issue 21) as a message under the client id it was uploaded with:
    /// in the outbox (saved) until acknowledged, resent with its token after a reload.
    pub fn send_file(&self, client_id: String, text: String, token: String, file: AttachmentView) {
        let out = self.inner.session.borrow_mut().send_file(client_id, text, token, file, crate::now_ms());
        run(&self.inner, out, None, false);
    }

    /// Sends a frame now if the socket is open (the page the visitor is on); dropped otherwise.
    pub fn send_now(&self, msg: ClientMsg) {
        let out = self.inner.session.borrow().frame(msg);
        run(&self.inner, out, None, false);
    }

    /// The reader is reading (or no longer): the session sends our read mark when it moves.
    pub fn reading(&self, on: bool) {
        let out = self.inner.session.borrow_mut().reading(on);
        run(&self.inner, out, None, false);
    }

    /// A key was pressed in the composer: the typing indicator, throttled.
    pub fn typing_input(&self) {
        let out = self.inner.session.borrow_mut().typing_input(crate::now_ms());
        run(&self.inner, out, None, false);
    }

    /// Says we stopped typing, if we said we started.
    pub fn stop_typing(&self) {
        let out = self.inner.session.borrow_mut().stop_typing();
        run(&self.inner, out, None, false);
    }

    /// Ends the conversation for everyone.
    pub fn end(&self) {
        let out = self.inner.session.borrow_mut().end();
        run(&self.inner, out, None, false);
    }

    /// Resends the outbox now, or reconnects at once if the socket is down.
    pub fn retry_now(&self) {
        let out = self.inner.session.borrow_mut().retry();
        run(&self.inner, out, None, false);
    }

    /// Closes for good. The outbox stays in storage unless `forget_outbox`.
    pub fn close(&self, forget_outbox: bool) {
        let out = self.inner.session.borrow_mut().close(forget_outbox);
        run(&self.inner, out, None, false);
        if let Some(ws) = self.inner.ws.borrow_mut().take() {
            let _ = ws.close();
        }
    }
}

/// The outbox an earlier page saved; `None` (an empty outbox) when there is none or it is not
/// one (a corrupted or foreign value must not break the app). Read with the serde-free reader of
/// `parley_chat_client` over `JSON.parse`'s value: no serde deserializer in the widget.
fn load_outbox(key: &str) -> Option<Vec<Pending>> {
    let raw = crate::window().local_storage().ok()??.get_item(key).ok()??;
    read_outbox(&Js(js_sys::JSON::parse(&raw).ok()?))
}

fn save_outbox<V>(inner: &Inner<V>) {
    let Some(key) = &inner.outbox_key else { return };
    let Some(storage) = crate::window().local_storage().ok().flatten() else { return };
    let session = inner.session.borrow();
    let outbox = session.outbox();
    let _ = if outbox.is_empty() {
        storage.remove_item(key)
    } else {
        storage.set_item(key, &serde_json::to_string(outbox).unwrap_or_default())
    };
}

/// Does what a step of the session asks; with `notify`, tells the app.
fn run<V: Side>(inner: &Rc<Inner<V>>, out: Out, frame: Option<ServerMsg<V>>, notify: bool) {
    if let Some(ws) = inner.ws.borrow().as_ref() {
        for msg in &out.send {
            let _ = ws.send_with_str(&encode_client(msg));
        }
    }
    if out.save_outbox {
        save_outbox(inner);
    }
    for timer in out.timers {
        schedule(inner, timer);
    }
    if notify {
        (inner.handler)(&Connection { inner: inner.clone() }, Update { events: out.events, frame });
    }
}

fn schedule<V: Side>(inner: &Rc<Inner<V>>, timer: Timer) {
    let weak = Rc::downgrade(inner);
    let after = |ms: u64| ms.min(i32::MAX as u64) as i32;
    match timer {
        Timer::Reconnect(ms) => {
            let generation = inner.generation.get();
            crate::set_timeout(after(ms), move || {
                let Some(inner) = weak.upgrade() else { return };
                let current = inner.generation.get() == generation && inner.ws.borrow().is_none();
                if current && inner.session.borrow().wants_socket() {
                    dial(&inner);
                }
            });
        }
        Timer::Resend { client_id, after_ms } => crate::set_timeout(after(after_ms), move || {
            let Some(inner) = weak.upgrade() else { return };
            let out = inner.session.borrow().resend(&client_id);
            run(&inner, out, None, false);
        }),
        Timer::PeerTyping(ms) => crate::set_timeout(after(ms), move || {
            let Some(inner) = weak.upgrade() else { return };
            let expired = inner.session.borrow_mut().peer_typing_expired(crate::now_ms());
            if expired {
                run(&inner, Out::default(), None, true);
            }
        }),
        Timer::TypingIdle(ms) => crate::set_timeout(after(ms), move || {
            let Some(inner) = weak.upgrade() else { return };
            let out = inner.session.borrow_mut().typing_idle(crate::now_ms());
            run(&inner, out, None, false);
        }),
    }
}

fn dropped<V: Side>(inner: &Rc<Inner<V>>) {
    let out = inner.session.borrow_mut().dropped(js_sys::Math::random());
    run(inner, out, None, true);
}

fn dial<V: Side>(inner: &Rc<Inner<V>>) {
    let generation = inner.generation.get().wrapping_add(1);
    inner.generation.set(generation);
    let out = inner.session.borrow_mut().connecting();
    run(inner, out, None, true);
    let Some((ticket_url, body)) = inner.ticket.clone() else {
        return open_socket(inner, &inner.url);
    };
    let weak = Rc::downgrade(inner);
    wasm_bindgen_futures::spawn_local(async move {
        let minted = crate::post_js(&ticket_url, body).await;
        let Some(inner) = weak.upgrade() else { return };
        // Another dial (or a close) happened meanwhile: this ticket is not needed.
        if inner.generation.get() != generation || !inner.session.borrow().wants_socket() {
            return;
        }
        match minted.ok().and_then(|t| crate::prop(&t, "ticket").as_string()) {
            Some(t) => open_socket(&inner, &[inner.url.as_str(), "&ticket=", &t].concat()),
            None => dropped(&inner),
        }
    });
}

fn open_socket<V: Side>(inner: &Rc<Inner<V>>, url: &str) {
    let Ok(ws) = WebSocket::new(url) else {
        dropped(inner);
        return;
    };
    let weak: Weak<Inner<V>> = Rc::downgrade(inner);

    let w = weak.clone();
    let onopen = Closure::<dyn FnMut()>::new(move || {
        if let Some(inner) = w.upgrade() {
            let out = inner.session.borrow_mut().opened();
            run(&inner, out, None, true);
        }
    });
    let w = weak.clone();
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let (Some(inner), Some(text)) = (w.upgrade(), e.data().as_string()) else { return };
        if let Some(msg) = V::read_frame(&text) {
            let out = inner.session.borrow_mut().receive(&msg, crate::now_ms());
            run(&inner, out, Some(msg), true);
        }
    });
    let w = weak;
    let sock = ws.clone();
    let onclose = Closure::<dyn FnMut(CloseEvent)>::new(move |_e: CloseEvent| {
        let Some(inner) = w.upgrade() else { return };
        // Only the current socket's close matters.
        if inner.ws.borrow().as_ref() != Some(&sock) {
            return;
        }
        inner.ws.borrow_mut().take();
        dropped(&inner);
    });
    ws.set_onopen(Some(onopen.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    ws.set_onclose(Some(onclose.as_ref().unchecked_ref()));
    // The socket owns its handlers for its whole life.
    onopen.forget();
    onmessage.forget();
    onclose.forget();
    *inner.ws.borrow_mut() = Some(ws);
}

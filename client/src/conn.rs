//! One protocol connection to a conversation: hello on every (re)connect with the last
//! sequence held, an outbox of unacknowledged messages (optionally kept in localStorage so it
//! survives navigation and reloads) resent after every welcome, and reconnect with backoff and
//! jitter. The server stores each client id once, so resending is always safe.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use parley_shared::protocol::{encode_client, hello, ClientMsg, ErrorCode, ServerMsg};
use serde::{Deserialize, Serialize};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// The connection's state as the UI shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Open,
    /// Dropped; a reconnect is scheduled.
    Retrying,
    /// The server speaks another protocol version; no retry.
    Incompatible,
}

/// A message sent but not yet acknowledged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub client_id: String,
    pub text: String,
    /// When it was first sent (ms since the epoch).
    pub since: u64,
}

/// Receives everything the connection learns. Called on the browser's event loop.
pub type Handler = Rc<dyn Fn(ConnEvent)>;

#[derive(Clone, Debug)]
pub enum ConnEvent {
    State(ConnState),
    Message(ServerMsg),
    /// The server refused this message for good (too long, conversation closed…); it left
    /// the outbox.
    Rejected {
        pending: Pending,
        code: ErrorCode,
        message: String,
    },
}

/// How long to wait before resending a message refused as `rate_limited`.
const RATE_LIMIT_RETRY_MS: i32 = 1_500;

struct Inner {
    url: String,
    handler: Handler,
    ws: RefCell<Option<WebSocket>>,
    last_seq: Cell<u64>,
    /// Sent but not acknowledged, oldest first.
    outbox: RefCell<Vec<Pending>>,
    /// localStorage key the outbox is mirrored to.
    outbox_key: Option<String>,
    attempts: Cell<u32>,
    stopped: Cell<bool>,
    open: Cell<bool>,
    /// Bumped on every dial, so a stale retry timer does nothing.
    generation: Cell<u32>,
}

/// A live connection; dropping it does not close it, [`Connection::close`] does.
#[derive(Clone)]
pub struct Connection {
    inner: Rc<Inner>,
}

impl Connection {
    /// Connects to `url` (a `ws:`/`wss:` URL) and says `hello` with `last_seq`. With
    /// `outbox_key`, unacknowledged messages are kept in localStorage under that key and the
    /// ones left there by an earlier page are sent again.
    pub fn open(url: String, last_seq: u64, handler: Handler, outbox_key: Option<String>) -> Self {
        let saved = outbox_key.as_deref().and_then(load_outbox).unwrap_or_default();
        let inner = Rc::new(Inner {
            url,
            handler,
            ws: RefCell::new(None),
            last_seq: Cell::new(last_seq),
            outbox: RefCell::new(saved),
            outbox_key,
            attempts: Cell::new(0),
            stopped: Cell::new(false),
            open: Cell::new(false),
            generation: Cell::new(0),
        });
        dial(&inner);
        Connection { inner }
    }

    /// Queues a chat message and sends it when the socket is open; returns its client id.
    pub fn send_text(&self, text: String) -> String {
        let client_id = crate::random_id("m");
        let pending = Pending { client_id: client_id.clone(), text: text.clone(), since: crate::now_ms() };
        self.inner.outbox.borrow_mut().push(pending);
        save_outbox(&self.inner);
        if self.inner.open.get() {
            transmit(&self.inner, &ClientMsg::Send { client_id: client_id.clone(), text });
        }
        client_id
    }

    /// Sends a frame now if the socket is open (typing indicators, end, pings); dropped otherwise.
    pub fn send_now(&self, msg: &ClientMsg) {
        if self.inner.open.get() {
            transmit(&self.inner, msg);
        }
    }

    /// Messages not yet acknowledged, oldest first.
    pub fn pending(&self) -> Vec<Pending> {
        self.inner.outbox.borrow().clone()
    }

    pub fn state_open(&self) -> bool {
        self.inner.open.get()
    }

    /// Resends the outbox now, or reconnects at once if the socket is down.
    pub fn retry_now(&self) {
        if self.inner.stopped.get() {
            return;
        }
        if self.inner.open.get() {
            resend_all(&self.inner);
        } else if self.inner.ws.borrow().is_none() {
            self.inner.attempts.set(0);
            dial(&self.inner);
        }
    }

    /// Closes for good. The outbox stays in storage unless `forget_outbox`.
    pub fn close(&self, forget_outbox: bool) {
        self.inner.stopped.set(true);
        if forget_outbox {
            self.inner.outbox.borrow_mut().clear();
            save_outbox(&self.inner);
        }
        if let Some(ws) = self.inner.ws.borrow_mut().take() {
            let _ = ws.close();
        }
    }
}

fn load_outbox(key: &str) -> Option<Vec<Pending>> {
    let raw = crate::window().local_storage().ok()??.get_item(key).ok()??;
    crate::from_json(&raw)
}

fn save_outbox(inner: &Inner) {
    let Some(key) = &inner.outbox_key else { return };
    let Some(storage) = crate::window().local_storage().ok().flatten() else { return };
    let outbox = inner.outbox.borrow();
    let _ = if outbox.is_empty() {
        storage.remove_item(key)
    } else {
        storage.set_item(key, &serde_json::to_string(&*outbox).unwrap_or_default())
    };
}

fn transmit(inner: &Inner, msg: &ClientMsg) {
    if let Some(ws) = inner.ws.borrow().as_ref() {
        let _ = ws.send_with_str(&encode_client(msg));
    }
}

fn resend_all(inner: &Inner) {
    let pending = inner.outbox.borrow().clone();
    for p in pending {
        transmit(inner, &ClientMsg::Send { client_id: p.client_id, text: p.text });
    }
}

fn dial(inner: &Rc<Inner>) {
    inner.generation.set(inner.generation.get().wrapping_add(1));
    (inner.handler)(ConnEvent::State(ConnState::Connecting));
    let Ok(ws) = WebSocket::new(&inner.url) else {
        schedule_retry(inner);
        return;
    };
    let weak: Weak<Inner> = Rc::downgrade(inner);

    let w = weak.clone();
    let onopen = Closure::<dyn FnMut()>::new(move || {
        if let Some(inner) = w.upgrade() {
            inner.open.set(true);
            inner.attempts.set(0);
            transmit(&inner, &hello(inner.last_seq.get()));
            (inner.handler)(ConnEvent::State(ConnState::Open));
        }
    });
    let w = weak.clone();
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let (Some(inner), Some(text)) = (w.upgrade(), e.data().as_string()) else { return };
        if let Some(msg) = crate::from_json::<ServerMsg>(&text) {
            on_server(&inner, msg);
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
        inner.open.set(false);
        inner.ws.borrow_mut().take();
        if !inner.stopped.get() {
            schedule_retry(&inner);
        }
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

fn on_server(inner: &Rc<Inner>, msg: ServerMsg) {
    match &msg {
        ServerMsg::Welcome { history, .. } => {
            if let Some(last) = history.last() {
                inner.last_seq.set(inner.last_seq.get().max(last.seq));
            }
            // Resend everything not yet acknowledged; the server stores each id once.
            resend_all(inner);
        }
        ServerMsg::Message { message } => inner.last_seq.set(inner.last_seq.get().max(message.seq)),
        ServerMsg::Ack { client_id, .. } => {
            inner.outbox.borrow_mut().retain(|p| &p.client_id != client_id);
            save_outbox(inner);
        }
        ServerMsg::Error { code: ErrorCode::RateLimited, client_id: Some(id), .. } => {
            let (weak, id) = (Rc::downgrade(inner), id.clone());
            crate::set_timeout(RATE_LIMIT_RETRY_MS, move || {
                let Some(inner) = weak.upgrade() else { return };
                let p = inner.outbox.borrow().iter().find(|p| p.client_id == id).cloned();
                if let (Some(p), true) = (p, inner.open.get()) {
                    transmit(&inner, &ClientMsg::Send { client_id: p.client_id, text: p.text });
                }
            });
        }
        ServerMsg::Error { code, client_id: Some(id), message } => {
            let removed = {
                let mut outbox = inner.outbox.borrow_mut();
                outbox.iter().position(|p| &p.client_id == id).map(|i| outbox.remove(i))
            };
            if let Some(pending) = removed {
                save_outbox(inner);
                (inner.handler)(ConnEvent::Rejected { pending, code: *code, message: message.clone() });
            }
        }
        ServerMsg::Incompatible { .. } => {
            inner.stopped.set(true);
            (inner.handler)(ConnEvent::State(ConnState::Incompatible));
        }
        _ => {}
    }
    (inner.handler)(ConnEvent::Message(msg));
}

fn schedule_retry(inner: &Rc<Inner>) {
    (inner.handler)(ConnEvent::State(ConnState::Retrying));
    let attempt = inner.attempts.get();
    inner.attempts.set(attempt.saturating_add(1));
    // Exponential backoff from 0.5 s to 15 s, with ±50 % jitter so clients spread out.
    let base = 500f64 * 2f64.powi(attempt.min(5) as i32);
    let delay = (base.min(15_000.0) * (0.5 + js_sys::Math::random())) as i32;
    let weak = Rc::downgrade(inner);
    let generation = inner.generation.get();
    crate::set_timeout(delay, move || {
        if let Some(inner) = weak.upgrade() {
            if !inner.stopped.get() && inner.generation.get() == generation && inner.ws.borrow().is_none() {
                dial(&inner);
            }
        }
    });
}

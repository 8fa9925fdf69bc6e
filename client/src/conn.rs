//! One protocol connection to a conversation: hello on every (re)connect with the last
//! sequence held, resend of unacknowledged messages, reconnect with backoff and jitter.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use parley_shared::protocol::{decode_server, encode_client, hello, ClientMsg, ServerMsg};
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

/// Receives everything the connection learns. Called on the browser's event loop.
pub type Handler = Rc<dyn Fn(ConnEvent)>;

#[derive(Clone, Debug)]
pub enum ConnEvent {
    State(ConnState),
    Message(ServerMsg),
}

struct Inner {
    url: String,
    handler: Handler,
    ws: RefCell<Option<WebSocket>>,
    last_seq: Cell<u64>,
    /// Sent but not acknowledged, oldest first: (client_id, text).
    outbox: RefCell<Vec<(String, String)>>,
    attempts: Cell<u32>,
    stopped: Cell<bool>,
    open: Cell<bool>,
}

/// A live connection; dropping it does not close it, [`Connection::close`] does.
#[derive(Clone)]
pub struct Connection {
    inner: Rc<Inner>,
}

impl Connection {
    /// Connects to `url` (a `ws:`/`wss:` URL) and says `hello` with `last_seq`.
    pub fn open(url: String, last_seq: u64, handler: Handler) -> Self {
        let inner = Rc::new(Inner {
            url,
            handler,
            ws: RefCell::new(None),
            last_seq: Cell::new(last_seq),
            outbox: RefCell::new(Vec::new()),
            attempts: Cell::new(0),
            stopped: Cell::new(false),
            open: Cell::new(false),
        });
        dial(&inner);
        Connection { inner }
    }

    /// Queues a chat message and sends it when the socket is open; returns its client id.
    pub fn send_text(&self, text: String) -> String {
        let client_id = crate::random_id("m");
        self.inner.outbox.borrow_mut().push((client_id.clone(), text.clone()));
        if self.inner.open.get() {
            transmit(&self.inner, &ClientMsg::Send { client_id: client_id.clone(), text });
        }
        client_id
    }

    /// Sends a frame now if the socket is open (typing indicators, pings); dropped otherwise.
    pub fn send_now(&self, msg: &ClientMsg) {
        if self.inner.open.get() {
            transmit(&self.inner, msg);
        }
    }

    /// Messages not yet acknowledged.
    pub fn pending(&self) -> Vec<(String, String)> {
        self.inner.outbox.borrow().clone()
    }

    pub fn close(&self) {
        self.inner.stopped.set(true);
        if let Some(ws) = self.inner.ws.borrow_mut().take() {
            let _ = ws.close();
        }
    }
}

fn transmit(inner: &Inner, msg: &ClientMsg) {
    if let Some(ws) = inner.ws.borrow().as_ref() {
        let _ = ws.send_with_str(&encode_client(msg));
    }
}

fn dial(inner: &Rc<Inner>) {
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
        if let Ok(msg) = decode_server(&text) {
            on_server(&inner, msg);
        }
    });
    let w = weak;
    let onclose = Closure::<dyn FnMut(CloseEvent)>::new(move |_e: CloseEvent| {
        if let Some(inner) = w.upgrade() {
            inner.open.set(false);
            inner.ws.borrow_mut().take();
            if !inner.stopped.get() {
                schedule_retry(&inner);
            }
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
            let pending = inner.outbox.borrow().clone();
            for (client_id, text) in pending {
                transmit(inner, &ClientMsg::Send { client_id, text });
            }
        }
        ServerMsg::Message { message } => inner.last_seq.set(inner.last_seq.get().max(message.seq)),
        ServerMsg::Ack { client_id, .. } => inner.outbox.borrow_mut().retain(|(id, _)| id != client_id),
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
    let base = 500f64 * 2f64.powi(attempt.min(6) as i32);
    let delay = (base.min(15_000.0) * (0.5 + js_sys::Math::random())) as i32;
    let weak = Rc::downgrade(inner);
    crate::set_timeout(delay, move || {
        if let Some(inner) = weak.upgrade() {
            if !inner.stopped.get() {
                dial(&inner);
            }
        }
    });
}

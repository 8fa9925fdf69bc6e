//! The chat client's core, without I/O: one conversation as a visitor's widget or an
//! operator's console holds it.
//!
//! A [`Session`] takes what happens — server frames, the socket opening and dropping, the
//! user's actions, the time, random ids and jitter (all passed in) — and answers with an
//! [`Out`]: the frames to write now, whether the outbox must be saved, what the app may want to
//! react to ([`Event`]) and the timers to set ([`Timer`]). Its state is the transcript view
//! ([`Line`]s: stored messages by sequence number, then our own messages on their way or
//! refused), the connection's state, the conversation's status and routing, who is typing and
//! the rating card.
//!
//! The rules it keeps:
//! - every (re)connect says `hello` with the highest sequence number held, so the `welcome`
//!   (and the `history` frames that carry on a replay too large for one frame) replays only
//!   what was missed; a replayed message is merged, never added twice;
//! - a message is one line whether it arrives by `ack`, by its broadcast or by a replay: lines
//!   are merged by sequence number and by (author's role, client id); our own message comes
//!   back only as its `ack` (protocol v2), which makes it a stored line and announces it
//!   ([`Event::Message`]) once;
//! - the outbox (sent, not acknowledged; the driver persists it) is resent after every
//!   `welcome` — the server stores each client id once, so resending is always safe;
//! - a send refused for good (`error` naming its client id) leaves the outbox and shows as
//!   refused; `rate_limited` is sent again after [`RATE_LIMIT_RETRY_MS`];
//! - a message unacknowledged for longer than [`UNSENT_AFTER_MS`] is "not sent yet";
//! - reconnects back off exponentially from 0.5 s to 15 s with ±50 % jitter; an
//!   `incompatible` server stops them;
//! - the chat becoming closed raises [`Event::Ended`] once and, for visitors who have not rated
//!   it, the rating card;
//! - read receipts (protocol v3): while the driver says the reader is reading
//!   ([`Session::reading`]), our read mark (the latest message of the other side held) is sent
//!   when it moves, and only then; the other side's mark says which of our messages is the last
//!   "Seen" ([`Session::seen`]); [`Session::unread`] counts the other side's messages above our
//!   mark. The server's marks come with every `welcome` and in `read` frames.

use parley_protocol::limits::{TYPING_IDLE_MS, UNSENT_AFTER_MS};
use parley_protocol::protocol::{
    hello, AttachmentView, Author, ClientMsg, ErrorCode, MessageView, Role, Routing, ServerMsg, Status, VisitorPart,
};
use parley_protocol::typing::TypingThrottle;
use parley_protocol::Millis;
use serde::{Deserialize, Serialize};

mod saved;
pub use saved::read_outbox;

/// How long to wait before sending again a message refused as `rate_limited`.
pub const RATE_LIMIT_RETRY_MS: u64 = 1_500;
/// Hide the other side's typing indicator when no update came for this long.
pub const PEER_TYPING_TIMEOUT_MS: u64 = 8_000;
/// When to check whether our own typing went idle after a keystroke.
pub const TYPING_CHECK_MS: u64 = TYPING_IDLE_MS + 50;
/// The survey's ratings as the rating card numbers them (`Rating::as_str`).
pub const RATINGS: [&str; 3] = ["good", "moderate", "bad"];
/// What a skipped rating card sends.
pub const NOT_RATED: &str = "not_rated";

/// Milliseconds to wait before reconnect attempt number `attempt` (0 for the first after a
/// drop): 0.5 s doubling up to 15 s, times 0.5–1.5 by `jitter` (a random number in `[0, 1)`
/// from the caller), so that clients dropped together do not come back together.
pub fn reconnect_delay(attempt: u32, jitter: f64) -> u64 {
    let base = (500u64 << attempt.min(5)).min(15_000) as f64;
    let jitter = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.5 };
    (base * (0.5 + jitter)) as u64
}

/// Whether a message sent at `since` and still unacknowledged at `now` (ms since the epoch) has
/// waited longer than [`UNSENT_AFTER_MS`]. A clock behind the send time never counts.
pub fn is_stale(since: u64, now: u64) -> bool {
    now.saturating_sub(since) > UNSENT_AFTER_MS
}

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

/// A message sent but not yet acknowledged: what the outbox holds (and the driver stores, in
/// this JSON shape).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub client_id: String,
    pub text: String,
    /// When it was first sent (ms since the epoch).
    pub since: u64,
    /// An uploaded file's token (issue 21): the `send` names it; the upload under the same
    /// client id answered it, so a resend after a reload never stores the file twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<String>,
    /// That file as the line shows it while it is on its way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<AttachmentView>,
}

/// Where one of our messages stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Stored by the server (every line not ours is).
    Stored,
    /// On its way: in the outbox, not acknowledged.
    Sending,
    /// Refused for good: the server's code (say it with `Texts::refusal`) and its message.
    Refused(ErrorCode, String),
}

/// One line of the transcript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// `None` until the server stored it.
    pub seq: Option<u64>,
    pub client_id: String,
    pub author: Author,
    pub text: String,
    /// When it was stored, or first sent while it is not (ms since the epoch).
    pub at: u64,
    pub delivery: Delivery,
    /// The file it carries (issue 21).
    pub attachment: Option<AttachmentView>,
    /// It was announced ([`Event::Message`]) or replayed: a `message` frame, a replay, or the
    /// `ack` of our own send.
    heard: bool,
}

impl Line {
    /// On its way for longer than [`UNSENT_AFTER_MS`] at `now`.
    pub fn is_stale(&self, now: u64) -> bool {
        self.delivery == Delivery::Sending && is_stale(self.at, now)
    }
}

/// What the app may want to react to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    State(ConnState),
    /// A `welcome` arrived (on every connect; the widget then says which page it is on).
    Welcome,
    /// A stored message arrived for the first time (not a replay): in a `message` frame, or
    /// ours by its `ack`.
    Message(MessageView),
    /// The conversation became closed.
    Ended,
    /// The server refused this message for good; it left the outbox.
    Refused {
        pending: Pending,
        code: ErrorCode,
        message: String,
    },
    /// The server refused a frame that was not a message: its code (say it with
    /// `Texts::refusal`) and its message.
    Problem(ErrorCode, String),
    /// The server speaks another protocol version (its reason); nothing more will happen.
    Incompatible(String),
}

/// A timer the driver sets; when it fires, it calls the matching [`Session`] method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Dial again after this many ms (unless a socket exists by then).
    Reconnect(u64),
    /// [`Session::resend`] this message after `after_ms`.
    Resend { client_id: String, after_ms: u64 },
    /// [`Session::peer_typing_expired`] after this many ms.
    PeerTyping(u64),
    /// [`Session::typing_idle`] after this many ms.
    TypingIdle(u64),
}

/// What a step asks of the driver.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Out {
    /// Frames to write to the socket now, in order (only ever while it is open).
    pub send: Vec<ClientMsg>,
    /// The outbox changed: store [`Session::outbox`] (remove the key when it is empty).
    pub save_outbox: bool,
    pub events: Vec<Event>,
    pub timers: Vec<Timer>,
}

/// Where the rating card stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RatingStep {
    Hidden,
    Asking,
    /// The answer is on its way.
    Sending,
    Thanked,
}

/// The rating card shown to visitors when the chat closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RatingCard {
    pub step: RatingStep,
    /// The chosen rating, an index in [`RATINGS`].
    pub pick: Option<u8>,
}

impl RatingCard {
    const HIDDEN: RatingCard = RatingCard { step: RatingStep::Hidden, pick: None };

    /// Chooses rating `i` of [`RATINGS`] (ignored when out of range).
    pub fn choose(&mut self, i: u8) {
        if usize::from(i) < RATINGS.len() {
            self.pick = Some(i);
        }
    }
    /// Whether "Send rating" can be pressed.
    pub fn can_send(&self) -> bool {
        self.step == RatingStep::Asking && self.pick.is_some()
    }
    /// "Send rating": the rating to send, if one was chosen.
    pub fn submit(&mut self) -> Option<&'static str> {
        let rating = RATINGS[usize::from(self.pick?)];
        (self.step == RatingStep::Asking).then(|| {
            self.step = RatingStep::Sending;
            rating
        })
    }
    /// "Skip": sends [`NOT_RATED`].
    pub fn skip(&mut self) -> Option<&'static str> {
        (self.step == RatingStep::Asking).then(|| {
            self.step = RatingStep::Sending;
            NOT_RATED
        })
    }
    /// The answer was recorded (or an earlier one was).
    pub fn answered(&mut self) {
        self.step = RatingStep::Thanked;
    }
    /// The answer was refused: ask again.
    pub fn refused(&mut self) {
        self.step = RatingStep::Asking;
    }
}

/// One conversation as a client holds it.
#[derive(Clone, Debug)]
pub struct Session {
    /// How we are shown (the server's `you` once welcomed).
    me: Author,
    state: ConnState,
    /// Reconnect attempts since the socket was last open.
    attempts: u32,
    /// Closed for good (by the app, or an incompatible server).
    stopped: bool,
    /// Highest sequence number received in `message` frames, replays and acks of our sends.
    last_seq: u64,
    outbox: Vec<Pending>,
    lines: Vec<Line>,
    status: Option<Status>,
    routing: Option<Routing>,
    /// Who else is typing, and since when.
    typist: Option<(String, u64)>,
    typing: TypingThrottle,
    typing_check: bool,
    ask_rating: bool,
    pub rating: RatingCard,
    /// How far our side has read (the server's mark, or the one we sent since).
    read: u64,
    /// How far the other side has read.
    their_read: u64,
    /// The driver says the reader is reading (panel open, page visible).
    reading: bool,
}

impl Session {
    /// A session for `me` (role and name until the server's `welcome` says better) with the
    /// outbox an earlier page left (`restored`, oldest first), shown as on their way.
    pub fn new(me: Author, restored: Vec<Pending>) -> Self {
        let lines = restored.iter().map(|p| pending_line(&me, p)).collect();
        Session {
            me,
            state: ConnState::Connecting,
            attempts: 0,
            stopped: false,
            last_seq: 0,
            outbox: restored,
            lines,
            status: None,
            routing: None,
            typist: None,
            typing: TypingThrottle::default(),
            typing_check: false,
            ask_rating: false,
            rating: RatingCard::HIDDEN,
            read: 0,
            their_read: 0,
            reading: false,
        }
    }

    /// Shows the rating card when the chat closes (a visitor who has not rated it yet).
    pub fn asking_rating(mut self, ask: bool) -> Self {
        self.ask_rating = ask;
        self
    }

    // --- Reading. ---------------------------------------------------------------------------

    pub fn state(&self) -> ConnState {
        self.state
    }
    pub fn is_open(&self) -> bool {
        self.state == ConnState::Open
    }
    /// `None` until the first `welcome`.
    pub fn status(&self) -> Option<Status> {
        self.status
    }
    pub fn is_closed(&self) -> bool {
        self.status == Some(Status::Closed)
    }
    pub fn routing(&self) -> Option<&Routing> {
        self.routing.as_ref()
    }
    /// How the server shows us (our name before the first `welcome`).
    pub fn me(&self) -> &Author {
        &self.me
    }
    /// The name of whoever else is typing.
    pub fn typist(&self) -> Option<&str> {
        self.typist.as_ref().map(|(name, _)| name.as_str())
    }
    /// The transcript: stored lines by sequence number, then ours on their way (in the order
    /// they were sent), then ours refused.
    pub fn lines(&self) -> &[Line] {
        &self.lines
    }
    /// Unacknowledged messages, oldest first (what the driver stores).
    pub fn outbox(&self) -> &[Pending] {
        &self.outbox
    }
    pub fn has_pending(&self) -> bool {
        !self.outbox.is_empty()
    }
    /// How many stored messages are held.
    pub fn stored_count(&self) -> u64 {
        self.lines.iter().filter(|l| l.seq.is_some()).count() as u64
    }
    /// The highest sequence number held (what `hello` says).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }
    /// How far our side has read (what the server knows, or what we told it since).
    pub fn read_mark(&self) -> u64 {
        self.read
    }
    /// How far the other side has read.
    pub fn their_read(&self) -> u64 {
        self.their_read
    }
    /// The seq of the last of our messages the other side has read: where "Seen" goes.
    pub fn seen(&self) -> Option<u64> {
        Some(self.last_stored(true, self.their_read)).filter(|&s| s > 0)
    }
    /// The other side's messages above our read mark.
    pub fn unread(&self) -> usize {
        let mut n = 0;
        for l in &self.lines {
            if l.author.role != self.me.role && l.seq.unwrap_or(0) > self.read {
                n += 1;
            }
        }
        n
    }
    /// The highest seq (0 for none) at or below `upto` of a stored line that is ours (`mine`) or
    /// the other side's. One plain loop for both: the widget pays for its code (issue 17).
    fn last_stored(&self, mine: bool, upto: u64) -> u64 {
        let mut last = 0;
        for l in &self.lines {
            match l.seq {
                Some(s) if (l.author.role == self.me.role) == mine && s <= upto => last = last.max(s),
                _ => {}
            }
        }
        last
    }
    /// The reader is (or is no longer) reading, as the driver sees it: our mark goes out when
    /// it moves while reading.
    pub fn reading(&mut self, on: bool) -> Out {
        self.reading = on;
        let mut out = Out::default();
        self.mark_read(&mut out);
        out
    }

    /// The name of the last operator who wrote.
    pub fn last_operator(&self) -> Option<&str> {
        let line = self.lines.iter().rev().find(|l| l.seq.is_some() && l.author.role == Role::Operator)?;
        Some(&line.author.name)
    }

    // --- The socket. --------------------------------------------------------------------------

    /// The driver is dialling.
    pub fn connecting(&mut self) -> Out {
        self.set_state(ConnState::Connecting)
    }

    /// The socket opened: say `hello` with what we hold.
    pub fn opened(&mut self) -> Out {
        self.attempts = 0;
        let mut out = self.set_state(ConnState::Open);
        out.send.push(hello(self.last_seq));
        out
    }

    /// The socket dropped (or could not be made): reconnect after a backoff, with `jitter`
    /// a random number in `[0, 1)`.
    pub fn dropped(&mut self, jitter: f64) -> Out {
        if self.stopped || self.state == ConnState::Incompatible {
            return Out::default();
        }
        let mut out = self.set_state(ConnState::Retrying);
        out.timers.push(Timer::Reconnect(reconnect_delay(self.attempts, jitter)));
        self.attempts = self.attempts.saturating_add(1);
        out
    }

    /// Whether a reconnect timer should still dial (not after [`Session::close`] or an
    /// incompatible server).
    pub fn wants_socket(&self) -> bool {
        !self.stopped
    }

    /// A frame from the server at `now`.
    pub fn receive<V: VisitorPart>(&mut self, msg: &ServerMsg<V>, now: u64) -> Out {
        let mut out = Out::default();
        match msg {
            ServerMsg::Welcome { status, you, history, routing, visitor_read, operator_read, .. } => {
                self.me = you.clone();
                for m in history {
                    self.last_seq = self.last_seq.max(m.seq);
                    self.merge(m, &mut out);
                }
                self.routing = routing.clone();
                // The server's marks: ours as it knows it (a mark lost with a dropped socket
                // goes again below), theirs only forward.
                self.read = 0;
                self.marks(*visitor_read, *operator_read);
                out.events.push(Event::Welcome);
                self.set_status(*status, &mut out);
                // Everything not yet acknowledged goes again; the server stores each id once.
                out.send.extend(self.outbox.iter().map(send_frame));
                self.mark_read(&mut out);
            }
            ServerMsg::Read { visitor_read, operator_read } => self.marks(*visitor_read, *operator_read),
            // The rest of the welcome's replay (in order, before any other frame): merged
            // like the welcome's history, not announced as new messages.
            ServerMsg::History { history } => {
                for m in history {
                    self.last_seq = self.last_seq.max(m.seq);
                    self.merge(m, &mut out);
                }
                self.mark_read(&mut out);
            }
            ServerMsg::Message { message } => {
                self.last_seq = self.last_seq.max(message.seq);
                if message.author.role != self.me.role {
                    self.typist = None;
                }
                if self.merge(message, &mut out) {
                    out.events.push(Event::Message(message.clone()));
                }
                self.mark_read(&mut out);
            }
            // Our message is stored: the ack is all we get of it (protocol v2: no `message`
            // frame comes back to the sender), so it becomes a stored line here, announced once.
            // Everything before it on this socket arrived before it (the server sends in order),
            // so the hello after a drop may ask from its seq.
            ServerMsg::Ack { client_id, seq, at } => {
                self.unqueue(client_id, &mut out);
                let role = self.me.role;
                let line = self.lines.iter_mut().find(|l| l.author.role == role && &l.client_id == client_id);
                if let Some(line) = line.filter(|l| l.seq.is_none()) {
                    self.last_seq = self.last_seq.max(*seq);
                    line.seq = Some(*seq);
                    line.at = at.0;
                    line.delivery = Delivery::Stored;
                    line.heard = true;
                    let view = MessageView {
                        seq: *seq,
                        client_id: line.client_id.clone(),
                        author: line.author.clone(),
                        text: line.text.clone(),
                        at: *at,
                        attachment: line.attachment.clone(),
                    };
                    out.events.push(Event::Message(view));
                    self.order();
                }
            }
            ServerMsg::Typing { author, typing } => {
                self.typist = typing.then(|| (author.name.clone(), now));
                if *typing {
                    out.timers.push(Timer::PeerTyping(PEER_TYPING_TIMEOUT_MS));
                }
            }
            ServerMsg::Status { status } => self.set_status(*status, &mut out),
            ServerMsg::Routing { routing } => self.routing = Some(routing.clone()),
            // Kept in the outbox and sent again later (one no longer waiting is ignored below).
            ServerMsg::Error { code: ErrorCode::RateLimited, client_id: Some(id), .. }
                if self.outbox.iter().any(|p| &p.client_id == id) =>
            {
                out.timers.push(Timer::Resend { client_id: id.clone(), after_ms: RATE_LIMIT_RETRY_MS });
            }
            ServerMsg::Error { code: ErrorCode::RateLimited, .. } => {}
            ServerMsg::Error { code, client_id: Some(id), message } => {
                if let Some(pending) = self.unqueue(id, &mut out) {
                    let role = self.me.role;
                    if let Some(line) =
                        self.lines.iter_mut().find(|l| l.seq.is_none() && l.author.role == role && &l.client_id == id)
                    {
                        line.delivery = Delivery::Refused(*code, message.clone());
                    }
                    self.order();
                    out.events.push(Event::Refused { pending, code: *code, message: message.clone() });
                }
            }
            ServerMsg::Error { code, message, client_id: None } => {
                out.events.push(Event::Problem(*code, message.clone()))
            }
            ServerMsg::Incompatible { reason, .. } => {
                self.stopped = true;
                out = self.set_state(ConnState::Incompatible);
                out.events.push(Event::Incompatible(reason.clone()));
            }
            _ => {}
        }
        out
    }

    // --- The user. ----------------------------------------------------------------------------

    /// Sends `text` (already normalized) as a new message with the random `client_id` the
    /// driver minted, at `now`; it stays in the outbox until acknowledged.
    pub fn send_text(&mut self, client_id: String, text: String, now: u64) -> Out {
        self.send_pending(Pending { client_id, text, since: now, attachment: None, file: None })
    }

    /// Sends an uploaded file (issue 21) as a new message under the `client_id` it was uploaded
    /// with (`token` and `file`: the upload's answer), with `text` (may be empty); it stays in
    /// the outbox, saved, until acknowledged, like a text.
    pub fn send_file(&mut self, client_id: String, text: String, token: String, file: AttachmentView, now: u64) -> Out {
        self.send_pending(Pending { client_id, text, since: now, attachment: Some(token), file: Some(file) })
    }

    /// A new message of ours: shown at once as on its way, sent if the socket is open, and
    /// kept (saved) in the outbox until acknowledged.
    fn send_pending(&mut self, pending: Pending) -> Out {
        let mut out = self.stop_typing();
        self.lines.push(pending_line(&self.me, &pending));
        self.order();
        if self.is_open() {
            out.send.push(send_frame(&pending));
        }
        self.outbox.push(pending);
        out.save_outbox = true;
        out
    }

    /// Sends again the message refused as `rate_limited`, if it still waits.
    pub fn resend(&self, client_id: &str) -> Out {
        let mut out = Out::default();
        if let (Some(p), true) = (self.outbox.iter().find(|p| p.client_id == client_id), self.is_open()) {
            out.send.push(send_frame(p));
        }
        out
    }

    /// "Retry": sends the outbox again now, or reconnects at once when the socket is down.
    pub fn retry(&mut self) -> Out {
        let mut out = Out::default();
        match self.state {
            _ if self.stopped => {}
            ConnState::Open => out.send.extend(self.outbox.iter().map(send_frame)),
            ConnState::Retrying => {
                self.attempts = 0;
                out.timers.push(Timer::Reconnect(0));
            }
            ConnState::Connecting | ConnState::Incompatible => {}
        }
        out
    }

    /// A frame that is only worth sending now (the page the visitor is on, a ping): dropped
    /// while the socket is down.
    pub fn frame(&self, msg: ClientMsg) -> Out {
        let mut out = Out::default();
        if self.is_open() {
            out.send.push(msg);
        }
        out
    }

    /// Ends the conversation for everyone.
    pub fn end(&mut self) -> Out {
        let mut out = self.stop_typing();
        if self.is_open() {
            out.send.push(ClientMsg::End);
        }
        out
    }

    /// A key was pressed in the composer at `now`: a typing indicator, throttled.
    pub fn typing_input(&mut self, now: u64) -> Out {
        let mut out = Out::default();
        if let Some(typing) = self.typing.input(Millis(now)) {
            self.typing_frame(typing, &mut out);
        }
        if !self.typing_check {
            self.typing_check = true;
            out.timers.push(Timer::TypingIdle(TYPING_CHECK_MS));
        }
        out
    }

    /// The [`Timer::TypingIdle`] fired at `now`: "stopped typing" after a pause, else check later.
    pub fn typing_idle(&mut self, now: u64) -> Out {
        let mut out = Out::default();
        self.typing_check = false;
        match self.typing.tick(Millis(now)) {
            Some(typing) => self.typing_frame(typing, &mut out),
            None if self.typing.is_on() => {
                self.typing_check = true;
                out.timers.push(Timer::TypingIdle(TYPING_CHECK_MS));
            }
            None => {}
        }
        out
    }

    /// Says we stopped typing, if we said we started (the draft was emptied or sent).
    pub fn stop_typing(&mut self) -> Out {
        let mut out = Out::default();
        if let Some(typing) = self.typing.sent() {
            self.typing_frame(typing, &mut out);
        }
        out
    }

    /// The [`Timer::PeerTyping`] fired at `now`: whether the indicator went away.
    pub fn peer_typing_expired(&mut self, now: u64) -> bool {
        let expired = self.typist.as_ref().is_some_and(|(_, at)| now.saturating_sub(*at) >= PEER_TYPING_TIMEOUT_MS);
        if expired {
            self.typist = None;
        }
        expired
    }

    /// Closes for good. The outbox stays (for the next page) unless `forget_outbox`.
    pub fn close(&mut self, forget_outbox: bool) -> Out {
        let mut out = self.stop_typing();
        self.stopped = true;
        if forget_outbox {
            self.outbox.clear();
            self.lines.retain(|l| l.delivery != Delivery::Sending);
            out.save_outbox = true;
        }
        out
    }

    // --- Inside. ------------------------------------------------------------------------------

    fn set_state(&mut self, state: ConnState) -> Out {
        self.state = state;
        Out { events: vec![Event::State(state)], ..Out::default() }
    }

    fn set_status(&mut self, status: Status, out: &mut Out) {
        let was = self.status.replace(status);
        if status == Status::Closed && was != Some(Status::Closed) {
            out.events.push(Event::Ended);
            if self.ask_rating && self.rating.step == RatingStep::Hidden {
                self.rating.step = RatingStep::Asking;
            }
        }
    }

    /// Takes in the server's read marks (each only forward).
    fn marks(&mut self, visitor_read: u64, operator_read: u64) {
        let (ours, theirs) = match self.me.role {
            Role::Visitor => (visitor_read, operator_read),
            Role::Operator => (operator_read, visitor_read),
        };
        self.read = self.read.max(ours);
        self.their_read = self.their_read.max(theirs);
    }

    /// Sends our read mark (the latest message of the other side held) if it moved, while the
    /// reader is reading and the socket is open.
    fn mark_read(&mut self, out: &mut Out) {
        let latest = self.last_stored(false, u64::MAX);
        if self.reading && self.is_open() && latest > self.read {
            self.read = latest;
            out.send.push(ClientMsg::Read { seq: latest });
        }
    }

    fn typing_frame(&self, typing: bool, out: &mut Out) {
        if self.is_open() {
            out.send.push(ClientMsg::Typing { typing });
        }
    }

    /// Takes `client_id` out of the outbox.
    fn unqueue(&mut self, client_id: &str, out: &mut Out) -> Option<Pending> {
        let i = self.outbox.iter().position(|p| p.client_id == client_id)?;
        out.save_outbox = true;
        Some(self.outbox.remove(i))
    }

    /// Adds a stored message, or confirms the line it already is (ours, or a replay). Whether
    /// it was heard for the first time.
    fn merge(&mut self, m: &MessageView, out: &mut Out) -> bool {
        if m.author.role == self.me.role {
            self.unqueue(&m.client_id, out);
        }
        let found = self
            .lines
            .iter_mut()
            .find(|l| l.seq == Some(m.seq) || (l.author.role == m.author.role && l.client_id == m.client_id));
        let first = match found {
            Some(line) => {
                let first = !line.heard;
                *line = stored_line(m);
                first
            }
            None => {
                self.lines.push(stored_line(m));
                true
            }
        };
        self.order();
        first
    }

    /// Stored lines by sequence number, then those on their way, then refused ones (each group
    /// keeps its order: the sort is stable). An insertion sort: the lines are already
    /// in order but for the few a frame just added, and it is a few dozen bytes in the widget
    /// where the standard library's stable sort is 3.4 KB (issue 17).
    fn order(&mut self) {
        let key = |l: &Line| (l.seq.unwrap_or(u64::MAX), matches!(l.delivery, Delivery::Refused(..)));
        for i in 1..self.lines.len() {
            let mut j = i;
            while j > 0 && key(&self.lines[j - 1]) > key(&self.lines[j]) {
                self.lines.swap(j - 1, j);
                j -= 1;
            }
        }
    }
}

fn send_frame(p: &Pending) -> ClientMsg {
    ClientMsg::Send { client_id: p.client_id.clone(), text: p.text.clone(), attachment: p.attachment.clone() }
}

fn pending_line(me: &Author, p: &Pending) -> Line {
    Line {
        seq: None,
        client_id: p.client_id.clone(),
        author: me.clone(),
        text: p.text.clone(),
        at: p.since,
        delivery: Delivery::Sending,
        attachment: p.file.clone(),
        heard: false,
    }
}

fn stored_line(m: &MessageView) -> Line {
    Line {
        seq: Some(m.seq),
        client_id: m.client_id.clone(),
        author: m.author.clone(),
        text: m.text.clone(),
        at: m.at.0,
        delivery: Delivery::Stored,
        attachment: m.attachment.clone(),
        heard: true,
    }
}

#[cfg(test)]
mod tests;

//! Traffic and invite-funnel events on their way to the edge (`POST /api/v1/widget/events`).
//!
//! An in-memory outbox: every event keeps the random id it was given until a batch holding it
//! is answered (`EventsAck`: counted, a duplicate or refused, all three are done), so a retry repeats ids and
//! the edge counts each event once. Batches are small (`MAX_EVENTS_PER_BATCH`) and coalesced
//! (at most one a second, at once for invite steps); failures are retried with backoff. When
//! the page is hidden or left, whatever is unanswered goes out with `navigator.sendBeacon` as
//! `text/plain` JSON (a CORS-safe request the page's unload cannot cancel).

use std::cell::RefCell;
use std::rc::Rc;

use parley_protocol::limits::MAX_EVENTS_PER_BATCH;
use parley_protocol::metrics::EventKind;
use wasm_bindgen::JsValue;
use web_sys::js_sys::Array;

use crate::io::{obj, stringify};

/// One event (`metrics::Event` as JSON, built with the browser's objects: smaller than serde).
struct Event {
    id: String,
    json: JsValue,
}

/// `EventKind`'s name on the wire (the kinds the widget reports).
fn kind_str(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Visit => "visit",
        EventKind::View => "view",
        EventKind::Click => "click",
        EventKind::Shown => "shown",
        EventKind::Cancelled => "cancelled",
        EventKind::Accepted => "accepted",
        EventKind::Declined => "declined",
        EventKind::Ignored => "ignored",
        _ => "expired",
    }
}
use wasm_bindgen_futures::spawn_local;

#[derive(Default)]
struct Inner {
    url: String,
    channel: String,
    /// Visitor id and token, once the session is loaded (nothing is sent before).
    creds: Option<(String, String)>,
    queue: Vec<Event>,
    in_flight: bool,
    /// When the earliest armed timer fires (ms since the epoch).
    due: Option<u64>,
    /// Consecutive failures (backoff).
    failures: u32,
}

impl Inner {
    /// A batch of `events` as JSON (`metrics::EventBatch`; none before the session is loaded).
    fn batch(&self, events: &[Event]) -> Option<String> {
        let (id, token) = self.creds.as_ref()?;
        Some(stringify(&obj(&[
            ("channel_id", self.channel.as_str().into()),
            ("visitor_id", id.as_str().into()),
            ("visitor_token", token.as_str().into()),
            ("events", events.iter().map(|e| &e.json).collect::<Array>().into()),
        ])))
    }
}

/// The outbox (cheap to clone: one per page).
#[derive(Clone, Default)]
pub struct Events(Rc<RefCell<Inner>>);

impl Events {
    pub fn new(base: &str, channel: &str) -> Events {
        let inner =
            Inner { url: [base, "/api/v1/widget/events"].concat(), channel: channel.to_owned(), ..Inner::default() };
        Events(Rc::new(RefCell::new(inner)))
    }

    /// The session is loaded: events can be sent from now on.
    pub fn ready(&self, visitor_id: String, visitor_token: String) {
        self.0.borrow_mut().creds = Some((visitor_id, visitor_token));
        self.schedule(0);
    }

    /// Records an event now, with a fresh random id. Invite steps (`urgent`) go out at once,
    /// the rest within about a second.
    pub fn push(&self, kind: EventKind, entry_point: &str, invite: &str, timeout_ms: u64) {
        let urgent = !matches!(kind, EventKind::Visit | EventKind::View | EventKind::Click);
        let id = parley_client::random_id("e");
        let mut fields = vec![
            ("id", id.as_str().into()),
            ("at", (parley_client::now_ms() as f64).into()),
            ("kind", kind_str(kind).into()),
            ("entry_point", entry_point.into()),
        ];
        if !invite.is_empty() {
            fields.push(("invite", invite.into()));
        }
        if timeout_ms > 0 {
            fields.push(("timeout_ms", (timeout_ms as f64).into()));
        }
        let json = obj(&fields);
        self.0.borrow_mut().queue.push(Event { id, json });
        self.schedule(if urgent { 0 } else { 1_000 });
    }

    /// Arms a timer for a send in `ms`, unless one fires sooner already.
    fn schedule(&self, ms: u64) {
        let at = parley_client::now_ms() + ms;
        {
            let mut i = self.0.borrow_mut();
            if i.due.is_some_and(|d| d <= at) {
                return;
            }
            i.due = Some(at);
        }
        let me = self.clone();
        parley_client::set_timeout(ms as i32, move || me.flush());
    }

    /// Sends the oldest unanswered events (one batch at a time).
    fn flush(&self) {
        let (url, body, ids) = {
            let mut i = self.0.borrow_mut();
            i.due = None;
            if i.in_flight || i.queue.is_empty() {
                return;
            }
            let Some(body) = i.batch(&i.queue[..i.queue.len().min(MAX_EVENTS_PER_BATCH)]) else { return };
            i.in_flight = true;
            let ids: Vec<String> = i.queue.iter().take(MAX_EVENTS_PER_BATCH).map(|e| e.id.clone()).collect();
            (i.url.clone(), body, ids)
        };
        let me = self.clone();
        spawn_local(async move {
            // Counted, duplicates and refused alike are done with: the counts are not needed.
            let res = parley_client::post_js(&url, body).await;
            let next = {
                let mut i = me.0.borrow_mut();
                i.in_flight = false;
                // Answered, or refused as a whole for good (a 4xx other than 408/429): done.
                let done = match &res {
                    Ok(_) => true,
                    Err(e) => (400..500).contains(&e.status) && e.status != 408 && e.status != 429,
                };
                if done {
                    i.failures = 0;
                    i.queue.retain(|e| !ids.contains(&e.id));
                    (!i.queue.is_empty()).then_some(0)
                } else {
                    i.failures += 1;
                    Some(1_000u64 << i.failures.min(6))
                }
            };
            if let Some(ms) = next {
                me.schedule(ms);
            }
        });
    }

    /// The page is being hidden or left: hands every unanswered event to `sendBeacon`. They
    /// stay in the outbox: if the page comes back they are sent again with the same ids, which
    /// the edge counts once.
    pub fn beacon(&self) {
        let i = self.0.borrow();
        let nav = parley_client::window().navigator();
        for chunk in i.queue.chunks(MAX_EVENTS_PER_BATCH) {
            if let Some(body) = i.batch(chunk) {
                let _ = nav.send_beacon_with_opt_str(&i.url, Some(&body));
            }
        }
    }
}

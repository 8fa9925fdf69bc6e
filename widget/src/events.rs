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

use parley_shared::limits::MAX_EVENTS_PER_BATCH;
use parley_shared::metrics::{Event, EventBatch, EventKind};
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
    /// A batch of `events` (none before the session is loaded).
    fn batch(&self, events: &[Event]) -> Option<EventBatch> {
        let (visitor_id, visitor_token) = self.creds.clone()?;
        Some(EventBatch { channel_id: self.channel.clone(), visitor_id, visitor_token, events: events.to_vec() })
    }
}

/// The outbox (cheap to clone: one per page).
#[derive(Clone, Default)]
pub struct Events(Rc<RefCell<Inner>>);

impl Events {
    pub fn new(base: &str, channel: &str) -> Events {
        let inner =
            Inner { url: format!("{base}/api/v1/widget/events"), channel: channel.to_owned(), ..Inner::default() };
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
        self.0.borrow_mut().queue.push(Event {
            id: parley_client::random_id("e"),
            at: parley_client::now_ms(),
            kind,
            entry_point: entry_point.to_owned(),
            invite: invite.to_owned(),
            timeout_ms,
        });
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
            let ids: Vec<String> = body.events.iter().map(|e| e.id.clone()).collect();
            (i.url.clone(), body, ids)
        };
        let me = self.clone();
        spawn_local(async move {
            // Counted, duplicates and refused alike are done with: the counts are not needed.
            let res = parley_client::post_json::<_, crate::app::Done>(&url, &body).await;
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
            if let Some(Ok(body)) = i.batch(chunk).map(|b| serde_json::to_string(&b)) {
                let _ = nav.send_beacon_with_opt_str(&i.url, Some(&body));
            }
        }
    }
}

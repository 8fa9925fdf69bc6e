//! Worker side of the tallies: `POST /api/v1/widget/events` (a visitor's batch, forwarded to its
//! tally shard, see [`crate::objects::tally`]), the edge's own events (`chat`,
//! `no_availability`). (The Automatic invites / Traffic reports are the report engine's:
//! `crate::reports`.)

use std::collections::HashMap;

use crate::store;
use crate::store::entry_points::{self, EntryPointBrief};
use parley_core::metrics::{self, Event, EventBatch, EventKind};
use parley_core::record::{ConversationRecord, RequestType};
use parley_core::throttle::{Door, Refused};
use parley_protocol::api::EntryChoice;
use parley_protocol::ids::is_valid_id;
use parley_protocol::limits::MAX_DECISION_MS;
use worker::{Env, Request, Response, Result};

use crate::guard::{self, ChannelOrigin};
use crate::http::{self, fail};
use crate::stubs::{IngestAnswer, IngestBody, TallyStub};
use crate::util::now;
use parley_protocol::error::{ApiError, ErrorCode};

/// How many tally shards each channel has (`PARLEY_TALLY_SHARDS`).
fn shards(env: &Env) -> Result<u32> {
    Ok(crate::config::get(env)?.tally_shards)
}

/// Sends events to the shard `shard_key` picks in the channel (the visitor's: every event of
/// one visitor meets there) and answers its acknowledgement, or the flood door (of `doors`,
/// counted by the shard, each event one) that refused the batch.
pub async fn record(
    env: &Env,
    account_id: &str,
    channel_id: &str,
    shard_key: &str,
    doors: Vec<(Door, String)>,
    events: Vec<Event>,
    from_widget: bool,
) -> Result<IngestAnswer> {
    let name = format!("{channel_id}/{}", metrics::shard_of(shard_key, shards(env)?));
    let body = IngestBody {
        name: name.clone(),
        account_id: account_id.into(),
        channel_id: channel_id.into(),
        from_widget,
        doors,
        events,
    };
    TallyStub::get(env, &name)?.ingest(body).await
}

/// What started a new conversation, checked: the entry point (the channel's button when the
/// request named none), the shown invite and the decision time (capped).
pub struct Entry {
    pub entry_point: Option<EntryPointBrief>,
    pub invite: String,
    pub decision_ms: Option<u64>,
}

impl Entry {
    /// The entry point's kind (D1 checks it is `button` or `invite`); the button without one.
    pub fn request_type(&self) -> RequestType {
        self.entry_point.as_ref().and_then(|e| RequestType::parse(&e.kind)).unwrap_or(RequestType::Button)
    }
    pub fn request_source(&self) -> String {
        self.entry_point.as_ref().map(|e| e.name.clone()).unwrap_or_default()
    }
    pub fn entry_point_id(&self) -> Option<&str> {
        self.entry_point.as_ref().map(|e| e.id.as_str())
    }
}

/// Checks `CreateConversationRequest.entry` against the channel (`Err`: the 400 to send).
pub async fn resolve_entry(
    env: &Env,
    channel_id: &str,
    choice: Option<&EntryChoice>,
) -> Result<std::result::Result<Entry, Response>> {
    let Some(choice) = choice else {
        return Ok(Ok(Entry {
            entry_point: entry_points::brief(&store::directory(env)?, channel_id, None).await?,
            invite: String::new(),
            decision_ms: None,
        }));
    };
    if !is_valid_id(&choice.entry_point) || !(choice.invite.is_empty() || is_valid_id(&choice.invite)) {
        return Ok(Err(fail(ErrorCode::Malformed, "entry.entry_point and entry.invite must be ids")?));
    }
    let Some(ep) = entry_points::brief(&store::directory(env)?, channel_id, Some(&choice.entry_point)).await? else {
        // The one place this code goes with 400: the request names an entry point it cannot have.
        let e = ApiError::new(ErrorCode::UnknownEntryPoint, "no such entry point in this channel").with_status(400);
        return Ok(Err(http::refuse(e)?));
    };
    if !choice.invite.is_empty() && ep.kind != "invite" {
        return Ok(Err(fail(ErrorCode::Malformed, "entry.invite is only for an auto-invite entry point")?));
    }
    Ok(Ok(Entry {
        entry_point: Some(ep),
        invite: choice.invite.clone(),
        decision_ms: choice.decision_ms.map(|ms| ms.min(MAX_DECISION_MS)),
    }))
}

/// Counts a new conversation: a `chat` of its entry point and, when it came from an accepted
/// invite and could not be given to an operator at once, that invite's `no_availability`.
/// Event ids derive from the conversation id, so nothing counts twice. A failure is logged (the
/// conversation stands).
pub async fn record_chat(env: &Env, row: &ConversationRecord, entry: &Entry, assigned: bool) {
    let Some(ep) = &entry.entry_point else { return };
    let t = now().0;
    let ev = |id: String, kind, invite: &str| Event {
        id,
        at: t,
        kind,
        entry_point: ep.id.clone(),
        invite: invite.to_owned(),
        timeout_ms: 0,
    };
    let mut events = vec![ev(format!("chat-{}", row.id), EventKind::Chat, "")];
    if !entry.invite.is_empty() && !assigned {
        events.push(ev(format!("na-{}", row.id), EventKind::NoAvailability, &entry.invite));
    }
    match record(env, &row.account_id, &row.channel_id, &row.visitor_id, Vec::new(), events, false).await {
        Ok(IngestAnswer::Ack(ack)) if ack.refused.is_empty() => {}
        Ok(IngestAnswer::Ack(ack)) => {
            worker::console_warn!("conversation {}: events refused: {:?}", row.id, ack.refused)
        }
        Ok(IngestAnswer::Limited { .. }) => worker::console_error!("conversation {}: its chat was throttled", row.id),
        Err(e) => worker::console_error!("conversation {}: could not count its chat: {e}", row.id),
    }
}

/// `POST /api/v1/widget/events`: a visitor's batch of traffic and invite events (JSON, also
/// sent as `text/plain` by `navigator.sendBeacon`) → [`EventsAck`].
pub async fn events(mut req: Request, env: &Env) -> Result<Response> {
    let body: EventBatch = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let ChannelOrigin { origin, hostname } = match guard::request_origin(&req)? {
        Ok(o) => o,
        Err(resp) => return Ok(resp),
    };
    let Some(account_id) = host_account(env, body.channel_id.as_str(), &hostname).await? else {
        return guard::host_refusal();
    };
    if let Some(refusal) = guard::check_visitor_token(env, body.visitor_id.as_str(), &body.visitor_token, &origin)? {
        return Ok(refusal);
    }
    if !metrics::batch_size_ok(&body) {
        let msg = format!("a batch carries 1 to {} events", parley_protocol::limits::MAX_EVENTS_PER_BATCH);
        return http::with_cors(fail(ErrorCode::Malformed, &msg)?, &origin);
    }
    // Floods: events per visitor and per client address (each event of the batch counts),
    // counted by the visitor's shard before it writes anything (no D1 on this path).
    let mut doors = vec![(Door::EventsVisitor, body.visitor_id.as_str().to_owned())];
    doors.extend(guard::address(&req).map(|a| (Door::EventsAddress, a)));
    let visitor = body.visitor_id.as_str();
    let answer = record(env, &account_id, body.channel_id.as_str(), visitor, doors, body.events, true).await?;
    match answer {
        IngestAnswer::Ack(ack) => http::with_cors(http::json(&ack)?, &origin),
        IngestAnswer::Limited { door, retry_after_ms } => {
            let refused = Refused { retry_after_ms };
            http::with_cors(guard::too_many(ApiError::new(ErrorCode::RateLimited, door.message()), refused)?, &origin)
        }
    }
}

/// A page view as the loader's look request tells it (see [`page_view`]).
pub struct PageView {
    pub channel_id: String,
    /// The host page's hostname (`guard::page_hostname`), if the request told it.
    pub hostname: Option<String>,
    /// The client's address (flood limit), if known.
    pub address: Option<String>,
    /// The channel's chat button (its entry point id).
    pub button: String,
}

/// Counts a page view told by the loader's look request: the page's `visit` and the chat
/// button's `view` (the loader draws the launcher fixed in the viewport as soon as the look
/// arrives), both at the button's entry point, with ids drawn here, into the shard of the
/// client's address (which counts that address's door: exact for page views), or of a fresh
/// visitor id for a local request (the visitor has no id before the app loads). Only for a
/// page on a registered host of the channel; events per client address are limited as the
/// events door's (a refusal is not an error: the page view is simply not counted).
pub async fn page_view(env: &Env, view: PageView) -> Result<()> {
    let Some(hostname) = view.hostname else { return Ok(()) };
    let Some(account_id) = host_account(env, &view.channel_id, &hostname).await? else { return Ok(()) };
    let ids = [crate::util::new_id("e"), crate::util::new_id("e")];
    let events = metrics::page_view(&view.button, now().0, ids);
    // The shard of the client's address (so that one shard counts its door), or any.
    let doors: Vec<(Door, String)> = view.address.iter().map(|a| (Door::EventsAddress, a.clone())).collect();
    let key = view.address.unwrap_or_else(|| crate::util::new_id("v"));
    record(env, &account_id, &view.channel_id, &key, doors, events, false).await?; // a refusal: not counted
    Ok(())
}

/// How long this isolate trusts that a hostname is registered for a channel (and which account
/// the channel is in) before asking D1 again.
const HOST_CACHE_MS: u64 = 30_000;
const HOST_CACHE_MAX: usize = 10_000;

thread_local! {
    /// (channel, hostname) → (account id, trusted until). Only registered pairs are kept.
    static HOSTS: std::cell::RefCell<HashMap<(String, String), (String, u64)>> = Default::default();
}

/// The channel's account when `hostname` is one of its registered hosts. Events are the one
/// per-page-view request, so a busy site must not cost a D1 read per batch: the answer is
/// remembered by this isolate for `HOST_CACHE_MS` (a host removed from a channel may still
/// report events for that long; chats and everything else check D1 every time).
async fn host_account(env: &Env, channel_id: &str, hostname: &str) -> Result<Option<String>> {
    let t = now().0;
    let key = (channel_id.to_owned(), hostname.to_owned());
    let cached = HOSTS.with(|h| h.borrow().get(&key).filter(|(_, until)| *until > t).map(|(a, _)| a.clone()));
    if cached.is_some() {
        return Ok(cached);
    }
    let d1 = crate::store::directory(env)?;
    if !is_valid_id(channel_id) || !crate::store::channels::channel_has_host(&d1, channel_id, hostname).await? {
        return Ok(None);
    }
    let Some(channel) = crate::store::channels::channel(&d1, channel_id).await? else { return Ok(None) };
    HOSTS.with(|h| {
        let mut h = h.borrow_mut();
        if h.len() >= HOST_CACHE_MAX {
            h.clear();
        }
        h.insert(key, (channel.account_id.0.clone(), t + HOST_CACHE_MS));
    });
    Ok(Some(channel.account_id.0))
}

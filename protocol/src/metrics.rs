//! The traffic and invite-funnel events the widget (and the edge) report, and how each one is
//! checked on its own: the `POST /api/v1/widget/events` body and its answer. What the events
//! count, and the funnel they feed, is `parley_core::metrics`.

use serde::{Deserialize, Serialize};

use crate::ids::is_valid_id;
use crate::limits::{MAX_EVENTS_PER_BATCH, MAX_EVENT_AGE_MS, MAX_INVITE_TIMEOUT_MS, MIN_INVITE_TIMEOUT_MS};

/// What happened, as reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A page carrying the snippet was viewed (entry point: the channel's button).
    Visit,
    /// The chat button was seen in the viewport.
    View,
    /// The chat button was clicked.
    Click,
    /// An invite matched and was displayed.
    Shown,
    /// An invite matched but was not displayed: no operator could take the chat.
    Cancelled,
    Accepted,
    Declined,
    /// The visitor left the page with the invite on screen.
    Ignored,
    /// The display timeout passed.
    Expired,
    /// Edge only: a chat was established from the entry point.
    Chat,
    /// Edge only: an accepted invite's chat could not be given to an operator.
    NoAvailability,
}

impl EventKind {
    /// Whether this is a step of a shown invite (it names the invite).
    pub fn is_invite_step(self) -> bool {
        !matches!(self, EventKind::Visit | EventKind::View | EventKind::Click | EventKind::Chat)
    }
}

/// One event. `id` is unique per event (the widget draws it; a retry repeats it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    /// When it happened (ms since the epoch, the reporter's clock; see `Event::check`).
    pub at: u64,
    pub kind: EventKind,
    pub entry_point: String,
    /// The shown invite this step belongs to (invite steps only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub invite: String,
    /// The invite's display timeout (`shown` only).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeout_ms: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// `POST /api/v1/widget/events`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    pub channel_id: crate::ids::ChannelId,
    pub visitor_id: crate::ids::VisitorId,
    pub visitor_token: String,
    pub events: Vec<Event>,
}

/// An event the edge will not count, and why (`code`: see [`Refusal`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedEvent {
    pub id: String,
    pub code: String,
}

/// The answer to a batch: every event in it is either counted now, was counted before (a
/// retry), or refused for good (do not send it again).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsAck {
    pub counted: u32,
    pub duplicates: u32,
    pub refused: Vec<RefusedEvent>,
}

/// Why an event is not counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Malformed: bad id, missing entry point or invite, timeout out of range.
    Invalid,
    /// Older than `MAX_EVENT_AGE_MS`.
    TooOld,
    /// Reported by a widget but only the edge may say it (`chat`, `no_availability`).
    NotAllowed,
    /// The entry point is not one of the channel's (or the wrong kind for the event).
    UnknownEntryPoint,
    /// A step for an invite that was never shown or cancelled here.
    UnknownInvite,
    /// A second beginning, or a step after the invite already ended.
    InviteEnded,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Invalid => "invalid_event",
            Refusal::TooOld => "too_old",
            Refusal::NotAllowed => "not_allowed",
            Refusal::UnknownEntryPoint => "unknown_entry_point",
            Refusal::UnknownInvite => "unknown_invite",
            Refusal::InviteEnded => "invite_ended",
        }
    }
}

/// Checks a batch's shape (not its events): the number of events.
pub fn batch_size_ok(batch: &EventBatch) -> bool {
    !batch.events.is_empty() && batch.events.len() <= MAX_EVENTS_PER_BATCH
}

impl Event {
    /// Checks the event on its own and answers the time to count it at: the reported time, but
    /// never in the future of `now` (a fast clock); older than a day is refused.
    pub fn check(&self, now: u64, from_widget: bool) -> Result<u64, Refusal> {
        if !is_valid_id(&self.id) || !is_valid_id(&self.entry_point) {
            return Err(Refusal::Invalid);
        }
        if from_widget && matches!(self.kind, EventKind::Chat | EventKind::NoAvailability) {
            return Err(Refusal::NotAllowed);
        }
        if self.kind.is_invite_step() == self.invite.is_empty()
            || (!self.invite.is_empty() && !is_valid_id(&self.invite))
        {
            return Err(Refusal::Invalid);
        }
        if self.kind == EventKind::Shown && !(MIN_INVITE_TIMEOUT_MS..=MAX_INVITE_TIMEOUT_MS).contains(&self.timeout_ms)
        {
            return Err(Refusal::Invalid);
        }
        if self.at.saturating_add(MAX_EVENT_AGE_MS) < now {
            return Err(Refusal::TooOld);
        }
        Ok(self.at.min(now))
    }

    /// The entry point kind this event needs: `Some(true)` an invite, `Some(false)` the chat
    /// button, `None` either (a chat).
    pub fn wants_invite_entry(&self) -> Option<bool> {
        match self.kind {
            EventKind::Visit | EventKind::View | EventKind::Click => Some(false),
            EventKind::Chat => None,
            _ => Some(true),
        }
    }
}

//! The account's dispatcher (pure): operators' presence and load, the channels' wait queues,
//! routing of new chats, auto-forward of unanswered chats, transfers and the inactivity
//! timeout. The edge keeps one per account in a Durable Object, stores it whole after every
//! change and carries out its [`Effect`]s; time and fresh activity ids come in as arguments.
//!
//! Decisions the spec leaves open, taken here:
//! - A chat started while nobody is online in its channel waits in the queue (the widget
//!   offers the offline form before that; a chat started anyway is answered by the first
//!   operator who comes online). Its estimated wait is unknown (`None`).
//! - Auto-forward goes to the best *other* operator by the routing rules; when nobody else
//!   can take the chat it stays with the current operator and is tried again one forward
//!   delay later.
//! - An operator who goes offline, leaves the channel, is disabled or times out keeps the
//!   chats they already answered (conversations in progress); their unanswered chats are
//!   forwarded to another operator at once, or go back in line at their original place.
//! - An operator who writes in a chat assigned to someone else takes it over (it is theirs
//!   from then on, counted as received by them).
//! - A manual transfer needs a target who is online, enabled and has a free slot; joining
//!   the chat's channel is not required (a specialist may be called in).
//! - "Longest idle" is the time since the operator last received a chat, or came online.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::{ConversationId, Millis, OperatorId};
use crate::limits::{CONSOLE_GONE_MS, MAX_PUSHED_OPERATORS_PER_CHAT, MAX_QUEUE_PER_CHANNEL};
use crate::presence::{Change, Interval, Presence, State, OPERATOR_INACTIVITY_MS};
use crate::routing::{estimated_wait_ms, route, Candidate, Route, WaitQueue};
pub use parley_protocol::api::{ChatView, OperatorView, PresenceView};
use parley_protocol::error::{ApiError, ErrorCode};

/// An unanswered chat is forwarded after this long (deployments: `PARLEY_FORWARD_AFTER_MS`).
pub const FORWARD_AFTER_MS: u64 = 60_000;
/// The average chat length assumed until a channel has chats of its own to measure.
pub const DEFAULT_CHAT_MS: u64 = 5 * 60_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub forward_after_ms: u64,
    pub inactivity_ms: u64,
    /// A console silent this long is closed: its operator is told of new chats by push.
    pub console_gone_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            forward_after_ms: FORWARD_AFTER_MS,
            inactivity_ms: OPERATOR_INACTIVITY_MS,
            console_gone_ms: CONSOLE_GONE_MS,
        }
    }
}

/// What routing needs to know of an operator (from their D1 row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub id: OperatorId,
    /// Online chat name, shown to visitors.
    pub name: String,
    /// Main language first.
    pub languages: Vec<String>,
    pub max_chats: u32,
    pub disabled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Operator {
    profile: Profile,
    presence: Presence,
    /// Open chats assigned to them.
    chats: BTreeSet<String>,
    idle_since: Millis,
    /// When their console last asked the dispatcher anything (poll, touch, presence change).
    #[serde(default)]
    console_at: Option<Millis>,
}

/// How a chat reached its operator. Every one counts as a received chat for the receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Received {
    /// Routed when the chat started.
    Routed,
    /// Waited in line, then got a free slot.
    Dequeued,
    /// The previous operator did not answer in time, left or went offline.
    Forwarded,
    /// Transferred by hand.
    Transferred,
    /// The operator wrote in it and so took it over.
    Taken,
}

impl Received {
    pub fn as_str(self) -> &'static str {
        match self {
            Received::Routed => "routed",
            Received::Dequeued => "dequeued",
            Received::Forwarded => "forwarded",
            Received::Transferred => "transferred",
            Received::Taken => "taken",
        }
    }
}

/// Where a conversation stands, as its object (and so the visitor) is told.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RouteUpdate {
    Assigned {
        operator_id: OperatorId,
        operator_name: String,
        how: Received,
        /// The operator it came from (forwards, transfers, take-overs).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<OperatorId>,
    },
    /// Waiting in line. `estimated_wait_ms` is `None` when nobody is online in the channel.
    Queued { position: u32, estimated_wait_ms: Option<u64> },
}

/// What a push notification tells an operator whose console is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushKind {
    /// A chat was assigned to them (routed, dequeued, forwarded, transferred).
    NewChat,
    /// A new chat waits in line in a channel they joined, nobody being free.
    Waiting,
    /// The visitor wrote in a chat of theirs (the first message of the visitor's turn).
    Message,
}

/// What the edge must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Tell the operator by push (to the browsers they subscribed, per their choices): their
    /// console is closed. `key` names the event: the same event is never pushed twice.
    Push { operator_id: OperatorId, conversation_id: ConversationId, kind: PushKind, key: String },
    /// Tell the conversation where it stands.
    Notify { conversation_id: ConversationId, update: RouteUpdate },
    /// Store this activity interval (a new one, or the end of the current one).
    Interval { operator_id: OperatorId, interval: Interval },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Chat {
    channel: String,
    language: Option<String>,
    created_at: Millis,
    operator: Option<String>,
    answered: bool,
    /// When an unanswered assigned chat is next considered for forwarding.
    forward_at: Option<Millis>,
    /// The queue position last told, to tell only changes.
    told: Option<(u32, Option<u64>)>,
}

/// Why a command was refused. Nothing changed. (Serialized as its variant's name between the
/// dispatcher's object and its callers; HTTP bodies carry `ApiError::from(e)`.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DispatchError {
    UnknownOperator,
    UnknownChat,
    /// The transfer target is offline, disabled or has no free slot.
    TargetUnavailable,
    SameOperator,
    /// A new chat while the channel's queue is full.
    QueueFull,
}

impl DispatchError {
    pub fn code(&self) -> &'static str {
        match self {
            DispatchError::UnknownOperator => "unknown_operator",
            DispatchError::UnknownChat => "unknown_conversation",
            DispatchError::TargetUnavailable => "operator_unavailable",
            DispatchError::SameOperator => "same_operator",
            DispatchError::QueueFull => "queue_full",
        }
    }
    pub fn message(&self) -> &'static str {
        match self {
            DispatchError::UnknownOperator => "no such operator",
            DispatchError::UnknownChat => "no such open conversation",
            DispatchError::TargetUnavailable => "that operator is offline or has no free slot",
            DispatchError::SameOperator => "the conversation is already theirs",
            DispatchError::QueueFull => "everyone is busy and the queue is full; please leave a message",
        }
    }
}

/// A dispatcher's refusal of a command.
impl From<DispatchError> for ApiError {
    fn from(e: DispatchError) -> Self {
        let code = ErrorCode::parse(e.code()).unwrap_or(ErrorCode::Internal);
        ApiError::new(code, e.message())
    }
}

/// The dispatcher of one account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispatch {
    #[serde(skip)]
    config: Config,
    operators: BTreeMap<String, Operator>,
    /// Open chats (closed ones are forgotten).
    chats: BTreeMap<String, Chat>,
    queues: BTreeMap<String, WaitQueue>,
    /// Average chat length per channel (exponentially weighted).
    average_chat_ms: BTreeMap<String, u64>,
}

impl Dispatch {
    pub fn new(config: Config) -> Self {
        Dispatch { config, ..Default::default() }
    }

    /// Rebuilds from stored JSON, with this deployment's config.
    pub fn restore(json: &str, config: Config) -> serde_json::Result<Self> {
        let mut d: Dispatch = serde_json::from_str(json)?;
        d.config = config;
        Ok(d)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("dispatch state always serializes")
    }

    pub fn is_online(&self, operator_id: &str) -> bool {
        self.operators.get(operator_id).is_some_and(|o| o.presence.is_online())
    }

    pub fn operator_of(&self, conversation_id: &str) -> Option<&str> {
        self.chats.get(conversation_id)?.operator.as_deref()
    }

    /// Whether a new chat in `channel` would reach someone now (routing would not say offline)
    /// and would be admitted ([`Dispatch::admit_chat`]: a full queue counts as unavailable, so
    /// the widget offers its offline form).
    pub fn available(&self, channel: &str) -> bool {
        self.operators.values().any(|o| present_in(o, channel)) && !self.queue_full(channel)
    }

    /// Whether `channel`'s wait queue holds [`MAX_QUEUE_PER_CHANNEL`] chats.
    pub fn queue_full(&self, channel: &str) -> bool {
        self.queues.get(channel).is_some_and(|q| q.len() >= MAX_QUEUE_PER_CHANNEL)
    }

    /// Whether [`Dispatch::new_chat`] may start `conversation_id` in `channel`: a chat already
    /// known always is (its start is repeated); a new one is refused `queue_full` while the
    /// channel's queue is full (then it would only wait behind [`MAX_QUEUE_PER_CHANNEL`] others).
    pub fn admit_chat(&self, conversation_id: &str, channel: &str) -> Result<(), DispatchError> {
        if self.chats.contains_key(conversation_id) || !self.queue_full(channel) {
            return Ok(());
        }
        Err(DispatchError::QueueFull)
    }

    /// Adds an operator (offline) or updates their profile. A disabled operator goes offline.
    pub fn upsert_profile(&mut self, profile: Profile, now: Millis, activity_id: String) -> Vec<Effect> {
        let id = profile.id.0.clone();
        let disabled = profile.disabled;
        let mut effects = Vec::new();
        match self.operators.get_mut(&id) {
            Some(op) => op.profile = profile,
            None => {
                let presence = Presence::new(now, activity_id.clone());
                effects.push(Effect::Interval {
                    operator_id: OperatorId(id.clone()),
                    interval: presence.current().clone(),
                });
                self.operators.insert(
                    id.clone(),
                    Operator { profile, presence, chats: BTreeSet::new(), idle_since: now, console_at: None },
                );
            }
        }
        if disabled && self.is_online(&id) {
            effects.extend(self.set_online(&id, false, now, activity_id).unwrap_or_default());
        }
        self.drain_queues(now, &mut effects);
        effects
    }

    /// Goes online or offline by hand.
    pub fn set_online(
        &mut self,
        operator_id: &str,
        online: bool,
        now: Millis,
        activity_id: String,
    ) -> Result<Vec<Effect>, DispatchError> {
        let op = self.operators.get_mut(operator_id).ok_or(DispatchError::UnknownOperator)?;
        if online && op.profile.disabled {
            return Err(DispatchError::UnknownOperator);
        }
        let state = if online { State::Online } else { State::Offline };
        let was_online = op.presence.is_online();
        let changes = op.presence.set_state(state, now, activity_id);
        if online && !was_online {
            op.idle_since = now;
        }
        let mut effects = intervals(operator_id, changes);
        if !online && was_online {
            effects.extend(self.take_effects_after_offline(operator_id, now));
        }
        self.drain_queues(now, &mut effects);
        Ok(effects)
    }

    pub fn join(&mut self, operator_id: &str, channel: &str, now: Millis) -> Result<Vec<Effect>, DispatchError> {
        let op = self.operators.get_mut(operator_id).ok_or(DispatchError::UnknownOperator)?;
        op.presence.join(channel, now);
        let mut effects = Vec::new();
        self.drain_queues(now, &mut effects);
        Ok(effects)
    }

    pub fn leave(&mut self, operator_id: &str, channel: &str, now: Millis) -> Result<Vec<Effect>, DispatchError> {
        let op = self.operators.get_mut(operator_id).ok_or(DispatchError::UnknownOperator)?;
        if !op.presence.leave(channel, now) {
            return Ok(Vec::new());
        }
        let mut effects = Vec::new();
        self.reroute_unanswered(operator_id, Some(channel), now, &mut effects);
        self.drain_queues(now, &mut effects);
        Ok(effects)
    }

    /// The operator's console asked something at `now` (a poll, a touch, a presence change):
    /// it is open, so no push for them until it has been silent for `console_gone_ms`.
    pub fn console_seen(&mut self, operator_id: &str, now: Millis) {
        if let Some(op) = self.operators.get_mut(operator_id) {
            op.console_at = Some(now);
        }
    }

    /// Whether the operator's console is open (it asked something less than
    /// `console_gone_ms` ago).
    pub fn console_open(&self, operator_id: &str, now: Millis) -> bool {
        self.operators
            .get(operator_id)
            .and_then(|o| o.console_at)
            .is_some_and(|t| now.0.saturating_sub(t.0) < self.config.console_gone_ms)
    }

    /// The operator did something in the console at `now` (keeps them from timing out).
    pub fn touch(&mut self, operator_id: &str, now: Millis) -> Result<(), DispatchError> {
        self.operators.get_mut(operator_id).ok_or(DispatchError::UnknownOperator)?.presence.touch(now);
        Ok(())
    }

    /// A new chat in `channel`: assigned, queued, or queued with nobody online. Starting a
    /// chat that is already known changes nothing and tells where it stands again.
    pub fn new_chat(
        &mut self,
        conversation_id: &str,
        channel: &str,
        language: Option<&str>,
        now: Millis,
    ) -> (RouteUpdate, Vec<Effect>) {
        if let Some(update) = self.where_is(conversation_id) {
            return (update, Vec::new());
        }
        let language = language.map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned);
        self.chats.insert(
            conversation_id.to_owned(),
            Chat {
                channel: channel.to_owned(),
                language,
                created_at: now,
                operator: None,
                answered: false,
                forward_at: None,
                told: None,
            },
        );
        let mut effects = Vec::new();
        match self.route_chat(conversation_id, &[]) {
            Some(operator_id) => self.assign(conversation_id, &operator_id, Received::Routed, None, now, &mut effects),
            None => {
                self.queues.entry(channel.to_owned()).or_default().push(conversation_id, now);
                self.tell_positions(&mut effects);
                // Nobody free: the channel's members whose console is closed hear of it.
                let waiting: Vec<String> = self
                    .operators
                    .values()
                    .filter(|o| !o.profile.disabled && o.presence.has_joined(channel))
                    .map(|o| o.profile.id.0.clone())
                    .filter(|id| !self.console_open(id, now))
                    .take(MAX_PUSHED_OPERATORS_PER_CHAT)
                    .collect();
                for id in waiting {
                    effects.push(push(&id, conversation_id, PushKind::Waiting, 0));
                }
            }
        }
        let update = self.where_is(conversation_id).expect("just added");
        // The caller returns `update` to whoever started the chat; other effects may still
        // concern other chats (none today), so drop only this chat's own notification.
        effects.retain(|e| !matches!(e, Effect::Notify { conversation_id: c, .. } if c.as_str() == conversation_id));
        (update, effects)
    }

    /// Where a chat stands now, if it is open.
    pub fn where_is(&self, conversation_id: &str) -> Option<RouteUpdate> {
        let chat = self.chats.get(conversation_id)?;
        match &chat.operator {
            Some(op) => Some(RouteUpdate::Assigned {
                operator_id: OperatorId(op.clone()),
                operator_name: self.operators.get(op).map(|o| o.profile.name.clone()).unwrap_or_default(),
                how: Received::Routed,
                from: None,
            }),
            None => {
                let (position, estimated_wait_ms) = self.queue_place(conversation_id, &chat.channel)?;
                Some(RouteUpdate::Queued { position, estimated_wait_ms })
            }
        }
    }

    /// An operator wrote in the chat for the first time since it became theirs (or took it).
    pub fn answered(&mut self, conversation_id: &str, operator_id: &str, now: Millis) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let Some(op) = self.operators.get_mut(operator_id) {
            op.presence.touch(now);
        }
        let Some(chat) = self.chats.get(conversation_id) else { return effects };
        if chat.operator.as_deref() == Some(operator_id) {
            let chat = self.chats.get_mut(conversation_id).expect("checked");
            chat.answered = true;
            chat.forward_at = None;
        } else if self.operators.contains_key(operator_id) {
            let from = chat.operator.clone();
            self.assign(conversation_id, operator_id, Received::Taken, from, now, &mut effects);
            let chat = self.chats.get_mut(conversation_id).expect("assigned");
            chat.answered = true;
            chat.forward_at = None;
            self.tell_positions(&mut effects);
        }
        effects
    }

    /// The visitor wrote in the chat (the first message since an operator last wrote): its
    /// operator hears of it by push when their console is closed.
    pub fn visitor_wrote(&self, conversation_id: &str, now: Millis) -> Vec<Effect> {
        match self.chats.get(conversation_id).and_then(|c| c.operator.as_deref()) {
            Some(op) if !self.console_open(op, now) => vec![push(op, conversation_id, PushKind::Message, now.0)],
            _ => Vec::new(),
        }
    }

    /// The chat ended: its slot frees and the next in line gets it.
    pub fn closed(&mut self, conversation_id: &str, now: Millis) -> Vec<Effect> {
        let mut effects = Vec::new();
        let Some(chat) = self.chats.remove(conversation_id) else { return effects };
        if let Some(op) = chat.operator.as_deref().and_then(|id| self.operators.get_mut(id)) {
            op.chats.remove(conversation_id);
            // Only chats that reached an operator say how long chats last.
            let length = now.0.saturating_sub(chat.created_at.0);
            let avg = self.average_chat_ms.entry(chat.channel.clone()).or_insert(length);
            *avg = (*avg * 4 + length) / 5;
        }
        if let Some(q) = self.queues.get_mut(&chat.channel) {
            q.remove(conversation_id);
        }
        self.drain_queues(now, &mut effects);
        self.tell_positions(&mut effects);
        effects
    }

    /// Moves a chat to operator `to` by hand.
    pub fn transfer(&mut self, conversation_id: &str, to: &str, now: Millis) -> Result<Vec<Effect>, DispatchError> {
        let chat = self.chats.get(conversation_id).ok_or(DispatchError::UnknownChat)?;
        let target = self.operators.get(to).ok_or(DispatchError::UnknownOperator)?;
        if chat.operator.as_deref() == Some(to) {
            return Err(DispatchError::SameOperator);
        }
        let p = &target.profile;
        if p.disabled || !target.presence.is_online() || target.chats.len() as u32 >= p.max_chats {
            return Err(DispatchError::TargetUnavailable);
        }
        let from = chat.operator.clone();
        let channel = chat.channel.clone();
        let mut effects = Vec::new();
        if let Some(q) = self.queues.get_mut(&channel) {
            q.remove(conversation_id);
        }
        self.assign(conversation_id, to, Received::Transferred, from, now, &mut effects);
        self.drain_queues(now, &mut effects);
        self.tell_positions(&mut effects);
        Ok(effects)
    }

    /// When [`Dispatch::handle_alarm`] must run next: the earliest inactivity timeout of an
    /// online operator or forward of an unanswered chat.
    pub fn next_deadline(&self) -> Option<Millis> {
        let inactivity = self.operators.values().filter_map(|o| o.presence.next_deadline(self.config.inactivity_ms));
        let forwards = self.chats.values().filter_map(|c| c.forward_at);
        inactivity.chain(forwards).min()
    }

    /// The alarm fired at `now`: inactive operators go offline and leave their channels;
    /// unanswered chats past their time are forwarded. `new_id` draws fresh activity ids.
    pub fn handle_alarm(&mut self, now: Millis, mut new_id: impl FnMut() -> String) -> Vec<Effect> {
        let mut effects = Vec::new();
        let inactivity_ms = self.config.inactivity_ms;
        let timed_out: Vec<String> = self
            .operators
            .iter()
            .filter(|(_, o)| o.presence.next_deadline(inactivity_ms).is_some_and(|d| now >= d))
            .map(|(id, _)| id.clone())
            .collect();
        for id in timed_out {
            let op = self.operators.get_mut(&id).expect("listed");
            let changes = op.presence.handle_alarm(now, inactivity_ms, new_id());
            effects.extend(intervals(&id, changes));
            effects.extend(self.take_effects_after_offline(&id, now));
        }
        let due: Vec<String> = self
            .chats
            .iter()
            .filter(|(_, c)| c.forward_at.is_some_and(|t| now >= t))
            .map(|(id, _)| id.clone())
            .collect();
        for conversation_id in due {
            let current = self.chats[&conversation_id].operator.clone();
            let exclude: Vec<&str> = current.iter().map(String::as_str).collect();
            match self.route_chat(&conversation_id, &exclude) {
                Some(to) => {
                    self.assign(&conversation_id, &to, Received::Forwarded, current, now, &mut effects);
                }
                None => {
                    let chat = self.chats.get_mut(&conversation_id).expect("listed");
                    chat.forward_at = Some(Millis(now.0 + self.config.forward_after_ms));
                }
            }
        }
        self.drain_queues(now, &mut effects);
        self.tell_positions(&mut effects);
        effects
    }

    /// What the console shows.
    pub fn view(&self) -> PresenceView {
        let operators = self
            .operators
            .values()
            .filter(|o| !o.profile.disabled)
            .map(|o| OperatorView {
                id: o.profile.id.0.clone(),
                name: o.profile.name.clone(),
                online: o.presence.is_online(),
                channels: o.presence.channels().map(str::to_owned).collect(),
                ongoing: o.chats.len() as u32,
                max_chats: o.profile.max_chats,
                languages: o.profile.languages.clone(),
            })
            .collect();
        let chats = self
            .chats
            .iter()
            .map(|(id, c)| ChatView {
                conversation_id: ConversationId(id.clone()),
                channel: c.channel.clone(),
                operator_id: c.operator.clone().map(OperatorId),
                answered: c.answered,
                position: self.queues.get(&c.channel).and_then(|q| q.position(id)).map(|p| p as u32),
            })
            .collect();
        PresenceView { operators, chats }
    }

    // -----------------------------------------------------------------------------------------

    fn candidates<'a>(&'a self, channel: &'a str) -> impl Iterator<Item = Candidate<'a>> + 'a {
        self.operators.values().map(move |o| Candidate {
            id: o.profile.id.as_str(),
            online: o.presence.is_online(),
            joined: o.presence.has_joined(channel),
            disabled: o.profile.disabled,
            max_chats: o.profile.max_chats,
            ongoing: o.chats.len() as u32,
            languages: &o.profile.languages,
            idle_since: o.idle_since,
        })
    }

    /// The operator the routing rules pick for a chat, if anyone can take it.
    fn route_chat(&self, conversation_id: &str, exclude: &[&str]) -> Option<String> {
        let chat = self.chats.get(conversation_id)?;
        let candidates: Vec<Candidate> = self.candidates(&chat.channel).collect();
        match route(&candidates, chat.language.as_deref(), exclude) {
            Route::Assign { operator_id, .. } => Some(operator_id.0),
            Route::Queue | Route::Offline => None,
        }
    }

    fn assign(
        &mut self,
        conversation_id: &str,
        to: &str,
        how: Received,
        from: Option<String>,
        now: Millis,
        effects: &mut Vec<Effect>,
    ) {
        if let Some(prev) = from.as_deref().and_then(|id| self.operators.get_mut(id)) {
            prev.chats.remove(conversation_id);
        }
        let op = self.operators.get_mut(to).expect("assign to a known operator");
        op.chats.insert(conversation_id.to_owned());
        op.idle_since = now;
        let operator_name = op.profile.name.clone();
        let chat = self.chats.get_mut(conversation_id).expect("assign a known chat");
        chat.operator = Some(to.to_owned());
        chat.answered = false;
        chat.forward_at = Some(Millis(now.0 + self.config.forward_after_ms));
        chat.told = None;
        let assigned_at = now.0;
        effects.push(Effect::Notify {
            conversation_id: conversation_id.into(),
            update: RouteUpdate::Assigned { operator_id: to.into(), operator_name, how, from: from.map(OperatorId) },
        });
        // An operator who took the chat by writing in it has their console open.
        if how != Received::Taken && !self.console_open(to, now) {
            effects.push(push(to, conversation_id, PushKind::NewChat, assigned_at));
        }
    }

    /// After `operator_id` went offline (or was disabled): their unanswered chats move on.
    fn take_effects_after_offline(&mut self, operator_id: &str, now: Millis) -> Vec<Effect> {
        let mut effects = Vec::new();
        self.reroute_unanswered(operator_id, None, now, &mut effects);
        effects
    }

    /// Forwards the operator's unanswered chats (in `channel`, or all) to someone else, or
    /// puts them back in line at their original place.
    fn reroute_unanswered(&mut self, operator_id: &str, channel: Option<&str>, now: Millis, effects: &mut Vec<Effect>) {
        let Some(op) = self.operators.get(operator_id) else { return };
        let unanswered: Vec<String> = op
            .chats
            .iter()
            .filter(|id| self.chats.get(*id).is_some_and(|c| !c.answered && channel.is_none_or(|ch| c.channel == ch)))
            .cloned()
            .collect();
        for conversation_id in unanswered {
            let from = Some(operator_id.to_owned());
            match self.route_chat(&conversation_id, &[operator_id]) {
                Some(to) => self.assign(&conversation_id, &to, Received::Forwarded, from, now, effects),
                None => {
                    self.operators.get_mut(operator_id).expect("known").chats.remove(&conversation_id);
                    let chat = self.chats.get_mut(&conversation_id).expect("known");
                    chat.operator = None;
                    chat.forward_at = None;
                    chat.told = None;
                    let (channel, since) = (chat.channel.clone(), chat.created_at);
                    self.queues.entry(channel).or_default().push(&conversation_id, since);
                }
            }
        }
        self.tell_positions(effects);
    }

    /// Gives free slots to the chats first in line, channel by channel.
    fn drain_queues(&mut self, now: Millis, effects: &mut Vec<Effect>) {
        let channels: Vec<String> = self.queues.iter().filter(|(_, q)| !q.is_empty()).map(|(c, _)| c.clone()).collect();
        let mut moved = false;
        for channel in channels {
            while let Some((head, _)) = self.queues.get(&channel).and_then(|q| q.front()).cloned() {
                let Some(to) = self.route_chat(&head, &[]) else { break };
                self.queues.get_mut(&channel).expect("listed").pop();
                self.assign(&head, &to, Received::Dequeued, None, now, effects);
                moved = true;
            }
        }
        if moved {
            self.tell_positions(effects);
        }
    }

    /// Place in line and estimated wait of a queued chat.
    fn queue_place(&self, conversation_id: &str, channel: &str) -> Option<(u32, Option<u64>)> {
        let position = self.queues.get(channel)?.position(conversation_id)?;
        let slots: u32 =
            self.operators.values().filter(|o| present_in(o, channel)).map(|o| o.profile.max_chats.max(1)).sum();
        let average = self.average_chat_ms.get(channel).copied().unwrap_or(DEFAULT_CHAT_MS);
        let wait = (slots > 0).then(|| estimated_wait_ms(position, slots as usize, average));
        Some((position as u32, wait))
    }

    /// Tells every queued chat whose place or estimated wait changed.
    fn tell_positions(&mut self, effects: &mut Vec<Effect>) {
        let mut updates = Vec::new();
        for (channel, q) in &self.queues {
            for (id, _) in q.iter() {
                let Some(place) = self.queue_place(id, channel) else { continue };
                if self.chats.get(id).is_some_and(|c| c.told != Some(place)) {
                    updates.push((id.clone(), place));
                }
            }
        }
        for (id, place) in updates {
            self.chats.get_mut(&id).expect("queued chats are open").told = Some(place);
            effects.push(Effect::Notify {
                conversation_id: ConversationId(id),
                update: RouteUpdate::Queued { position: place.0, estimated_wait_ms: place.1 },
            });
        }
    }
}

/// A push for `operator_id` about `conversation_id`, keyed by the event (the conversation,
/// the operator, what happened and when it was assigned: one chat assigned to one operator
/// twice is two events).
fn push(operator_id: &str, conversation_id: &str, kind: PushKind, at: u64) -> Effect {
    let tag = match kind {
        PushKind::NewChat => "n",
        PushKind::Waiting => "w",
        PushKind::Message => "m",
    };
    Effect::Push {
        operator_id: operator_id.into(),
        conversation_id: conversation_id.into(),
        kind,
        key: format!("{conversation_id}/{operator_id}/{tag}{at}"),
    }
}

fn present_in(o: &Operator, channel: &str) -> bool {
    !o.profile.disabled && o.presence.is_online() && o.presence.has_joined(channel)
}

fn intervals(operator_id: &str, changes: Vec<Change>) -> Vec<Effect> {
    changes
        .into_iter()
        .filter_map(|c| match c {
            Change::Closed(interval) | Change::Opened(interval) => {
                Some(Effect::Interval { operator_id: operator_id.into(), interval })
            }
            Change::Left { .. } | Change::WentOffline(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests;

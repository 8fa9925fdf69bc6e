//! The facts every report is computed from (issue 7, point 1), as plain rows the edge fills
//! from D1 ([`Facts`], one bundle per report request); the pure report code reads only these.
//!
//! Where each comes from: `ConversationFact` is D1 `conversations` (+ `conversation_goals`);
//! `MessageFact` is D1 `messages` (copied from each conversation's Durable Object by its
//! retried sync, keyed by the object's sequence); `AssignmentFact` is a `conversation_events`
//! row of kind `assigned` (its `detail` JSON); `BlockFact` is `visitor_blocks`; `AgentFact` is
//! `operators`; `AccountFact` is `accounts`; `ActivityFact` is `activity_intervals` (copied
//! from the account's dispatch object); tallies are `hourly_tallies` ([`super::TallyRow`]);
//! `ChannelFact`, `HostFact`, `EntryPointFact` are `channels`, `hosts`, `entry_points`.
//!
//! Times are ms since the epoch (UTC). A field that D1 does not record today is an `Option`
//! whose doc says "not recorded yet"; the reports write an empty cell for it until it is.

use parley_protocol::{AccountId, ChannelId, ConversationId, OperatorId, VisitorId};
use serde::{Deserialize, Serialize};

pub use parley_core::record::{ClosedBy, ConversationRecord, PageFact, RequestType, SurveyResult};
pub use parley_protocol::protocol::Status;

use crate::dispatch::Received;

/// One row per conversation: THE conversation record ([`ConversationRecord`], D1
/// `conversations` + `conversation_goals`, as the edge's store maps it), read as it is.
pub type ConversationFact = ConversationRecord;

/// One online or offline interval of an operator (D1 `activity_intervals`): a new random
/// `activity_id` per change of state; `end` is `None` while it lasts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityFact {
    pub activity_id: String,
    pub account_id: AccountId,
    pub operator_id: OperatorId,
    /// `online` or `offline`.
    pub state: String,
    pub start: u64,
    pub end: Option<u64>,
}

/// A channel (chat campaign).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelFact {
    pub id: ChannelId,
    pub account_id: AccountId,
    pub name: String,
}

/// A website registered to an account (D1 `hosts`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFact {
    pub id: String,
    pub account_id: AccountId,
    pub hostname: String,
    /// The other accounts that registered the same hostname (for `multiple_acc_id`).
    pub shared_with: Vec<String>,
}

/// A chat button or auto-invite (D1 `entry_points`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryPointFact {
    pub id: String,
    pub channel_id: ChannelId,
    pub name: String,
    /// `button` or `invite`.
    pub kind: String,
}

/// Everything one report request reads, loaded by the edge for the query's account and
/// period (what a report does not need may be left empty by the edge).
///
/// What "in the period" means for each list, as the edge loads it: conversations created in
/// `[from, to)`; their messages, assignments and blocks (whenever they happened); activity
/// intervals that overlap `[from − 1 day, to)` (a shift begun the evening before reaches in);
/// tallies whose hour starts in `[from, to)`; agents, channels, hosts, entry points: all of the
/// account's.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub account: AccountFact,
    /// Every account an operator in these facts belongs to (for `…_account_name`).
    pub accounts: Vec<AccountFact>,
    pub agents: Vec<AgentFact>,
    pub channels: Vec<ChannelFact>,
    pub hosts: Vec<HostFact>,
    pub entry_points: Vec<EntryPointFact>,
    pub conversations: Vec<ConversationFact>,
    pub messages: Vec<MessageFact>,
    pub assignments: Vec<AssignmentFact>,
    pub blocks: Vec<BlockFact>,
    pub activity: Vec<ActivityFact>,
    pub tallies: Vec<super::TallyRow>,
}

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorRole {
    Visitor,
    Operator,
    /// Texts the product writes itself (an opening or closing text when set).
    System,
}

/// One row per stored message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageFact {
    pub conversation_id: ConversationId,
    /// Order within the conversation (1, 2, …).
    pub seq: u64,
    pub role: AuthorRole,
    /// The operator who wrote it (operator messages only).
    pub operator_id: Option<OperatorId>,
    pub at: u64,
    pub text: String,
    /// The file the message carries (issue 21), if any.
    #[serde(default)]
    pub attachment: Option<parley_protocol::protocol::AttachmentView>,
    /// Its signed, expiring link (Message history's `Link media`), made by the edge that loaded
    /// the facts (it holds the key and the clock); empty when there is none.
    #[serde(default)]
    pub media_link: String,
}

impl MessageFact {
    /// A text message (no file): how the loaders' tests and the benchmarks write one.
    pub fn text(
        conversation_id: &str,
        seq: u64,
        role: AuthorRole,
        operator_id: Option<&str>,
        at: u64,
        text: &str,
    ) -> Self {
        MessageFact {
            conversation_id: conversation_id.into(),
            seq,
            role,
            operator_id: operator_id.map(Into::into),
            at,
            text: text.into(),
            attachment: None,
            media_link: String::new(),
        }
    }
}

/// Routing gave a conversation to an operator (a `conversation_events` row of kind `assigned`,
/// [`parley_core::conversation::EventKind::Assigned`]): one received chat for them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentFact {
    pub conversation_id: ConversationId,
    pub operator_id: OperatorId,
    pub at: u64,
    pub how: Received,
}

/// A visitor block made from a conversation (D1 `visitor_blocks`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockFact {
    pub id: String,
    pub account_id: AccountId,
    pub visitor_id: VisitorId,
    pub conversation_id: ConversationId,
    pub reason: String,
    /// The operator who blocked.
    pub blocked_by: OperatorId,
    pub created_at: u64,
    /// When an admin lifted it (the block stays as history).
    pub lifted_at: Option<u64>,
    pub lifted_by: Option<String>,
}

/// One operator (D1 `operators`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentFact {
    pub id: OperatorId,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub account_id: AccountId,
    pub disabled: bool,
    /// Most chats the operator takes at once (D1 `operators.max_chats`, default 4); 0 when not
    /// loaded, which the reports read as 1 (like routing).
    #[serde(default)]
    pub max_chats: u32,
    /// Not recorded yet: Parley never deletes an operator (an admin disables them instead), so
    /// the edge fills `false` until deletion exists.
    pub deleted: bool,
}

/// An account's id and name (D1 `accounts`), for the `…_account_name` columns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFact {
    pub id: AccountId,
    pub name: String,
}

//! The facts the conversation reports are computed from (issue 7, point 1), as plain rows the
//! edge will fill from D1. Nothing here is wired yet: these are the shapes the pure report code
//! (`conversations.rs`, `agents.rs`) reads.
//!
//! Where each comes from: `ConversationFact` is D1 `conversations` (+ `conversation_goals`);
//! `AssignmentFact` is a `conversation_events` row of kind `assigned` (its `detail` JSON);
//! `BlockFact` is `visitor_blocks`; `AgentFact` is `operators`; `AccountFact` is `accounts`.
//! `MessageFact` has no D1 table yet: messages live only in each conversation's Durable Object
//! (its SQLite `messages`), so point 1 still has to copy them (with the author's role and
//! operator id) through the retried outbox.
//!
//! Times are ms since the epoch (UTC). A field that D1 does not record today is an `Option`
//! whose doc says "not recorded yet"; the reports write an empty cell for it until it is.

use serde::{Deserialize, Serialize};

use crate::dispatch::Received;
use crate::outcomes::ReachedGoal;

/// One row per conversation: every column D1 `conversations` has today (migrations 1–6, the
/// same fields as [`crate::api::ConversationSummary`]) plus what the Conversations report
/// needs and is not stored yet.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationFact {
    pub id: String,
    pub account_id: String,
    /// The channel (chat campaign, `chatcampaign_id`).
    pub channel_id: String,
    pub visitor_id: String,
    /// `waiting`, `active` or `closed`.
    pub status: String,
    pub created_at: u64,
    /// The page the conversation started on (`acceptUrl`).
    pub page_url: String,
    pub message_count: u64,
    pub last_message_at: Option<u64>,
    pub last_message_preview: String,
    pub updated_at: u64,
    pub closed_at: Option<u64>,
    /// `visitor`, `operator` or `timeout`.
    pub closed_by: Option<String>,
    /// An operator took the conversation but never wrote in it.
    pub no_operator_response: bool,
    /// The operator it is with now (the last one routing gave it to).
    pub operator_id: Option<String>,
    pub operator_name: String,
    pub visitor_name: String,
    pub visitor_language: String,
    pub visitor_country: String,
    pub current_page: String,
    pub pages_visited: u32,
    /// `button` or `invite` (`requestType`).
    pub request_type: String,
    /// The entry point's name (`requestSource`).
    pub request_source: String,
    pub entry_point_id: Option<String>,
    /// Entry point visible → clicked, in ms (`decisionTime`), when measured.
    pub decision_ms: Option<u64>,
    /// `''` (never answered), `good`, `moderate`, `bad` or `not_rated`.
    pub survey_result: String,
    pub survey_comment: String,
    pub rated_at: Option<u64>,
    pub success_code: Option<String>,
    pub tags: Vec<String>,
    pub category: Option<String>,
    pub sub_category: Option<String>,
    pub note: String,
    pub outcome_by: Option<String>,
    pub outcome_at: Option<u64>,
    /// Goals reached during the visitor's session (D1 `conversation_goals`), in any order.
    pub goals: Vec<ReachedGoal>,
    pub visitor_email: String,
    /// Verified id, else e-mail, else name, else the visitor id (see
    /// [`crate::outcomes::visitor_identifier`]); empty on rows written before migration 6.
    pub visitor_identifier: String,
    pub anonymous: bool,
    pub prechat: Vec<(String, String)>,
    /// The visitor's website session (`session_id`). Not recorded yet: conversations do not
    /// carry the widget session they were started in.
    pub session_id: Option<String>,
    /// The host (website) the conversation started on (`host_id`). Not recorded yet: the edge
    /// knows it from the origin check when the conversation is created but does not store it.
    pub host_id: Option<String>,
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
    pub conversation_id: String,
    /// Order within the conversation (1, 2, …).
    pub seq: u64,
    pub role: AuthorRole,
    /// The operator who wrote it (operator messages only).
    pub operator_id: Option<String>,
    pub at: u64,
    pub text: String,
}

/// Routing gave a conversation to an operator (a `conversation_events` row of kind `assigned`,
/// [`crate::conversation::EventKind::Assigned`]): one received chat for them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentFact {
    pub conversation_id: String,
    pub operator_id: String,
    pub at: u64,
    pub how: Received,
}

/// A visitor block made from a conversation (D1 `visitor_blocks`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockFact {
    pub id: String,
    pub account_id: String,
    pub visitor_id: String,
    pub conversation_id: String,
    pub reason: String,
    /// The operator who blocked.
    pub blocked_by: String,
    pub created_at: u64,
    /// When an admin lifted it (the block stays as history).
    pub lifted_at: Option<u64>,
    pub lifted_by: Option<String>,
}

/// One operator (D1 `operators`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentFact {
    pub id: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub account_id: String,
    pub disabled: bool,
    /// Not recorded yet: Parley never deletes an operator (an admin disables them instead), so
    /// the edge fills `false` until deletion exists.
    pub deleted: bool,
}

/// An account's id and name (D1 `accounts`), for the `…_account_name` columns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFact {
    pub id: String,
    pub name: String,
}

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
    /// The visitor's website session (`session_id`, D1 `conversations.session_id`); `None` on
    /// rows written before migration 7.
    ///
    /// Choice (seed 001: a session "ends when an interaction is over (survey/chat is finished)
    /// or when a visitor leaves the page for more than 30 minutes"): the edge mints a fresh id
    /// (`ss_…`) when it creates a conversation. Both ends of a session are ends of its chat —
    /// the chat is finished, or the visitor was away longer than the session timeout (30 min by
    /// default), which closes the conversation (`closed_by = timeout`) — and a visitor's
    /// open conversation is resumed rather than a new one created, so a session holds exactly
    /// one conversation and two conversations never share a session. The widget sends nothing
    /// for it (no bytes added to its budget); visits without a chat have no row here.
    pub session_id: Option<String>,
    /// The host (website) the conversation started on (`host_id`: the `hosts` row the origin
    /// check matched); `None` on rows written before migration 7.
    pub host_id: Option<String>,
    /// Pages the visitor saw during the chat, oldest first (D1 `conversations.pages`).
    #[serde(default)]
    pub pages: Vec<PageFact>,
}

/// The summary row's fields (D1 `conversations` as [`crate::api::ConversationSummary`] reads
/// it: `no_operator_response` 1 is `true`); the columns the summary does not carry
/// (`entry_point_id`, `outcome_by`, `outcome_at`, `session_id`, `host_id`, `pages`) are left
/// empty for the loader to set.
impl From<crate::api::ConversationSummary> for ConversationFact {
    fn from(c: crate::api::ConversationSummary) -> ConversationFact {
        ConversationFact {
            id: c.id,
            account_id: c.account_id,
            channel_id: c.channel_id,
            visitor_id: c.visitor_id,
            status: c.status.as_str().to_owned(),
            created_at: c.created_at,
            page_url: c.page_url,
            message_count: c.message_count,
            last_message_at: c.last_message_at,
            last_message_preview: c.last_message_preview,
            updated_at: c.updated_at,
            closed_at: c.closed_at,
            closed_by: c.closed_by,
            no_operator_response: c.no_operator_response != 0,
            operator_id: c.operator_id,
            operator_name: c.operator_name,
            visitor_name: c.visitor_name,
            visitor_language: c.visitor_language,
            visitor_country: c.visitor_country,
            current_page: c.current_page,
            pages_visited: c.pages_visited,
            request_type: c.request_type,
            request_source: c.request_source,
            entry_point_id: None,
            decision_ms: c.decision_ms,
            survey_result: c.survey_result,
            survey_comment: c.survey_comment,
            rated_at: c.rated_at,
            success_code: c.success_code,
            tags: c.tags,
            category: c.category,
            sub_category: c.sub_category,
            note: c.note,
            outcome_by: None,
            outcome_at: None,
            goals: c.goals,
            visitor_email: c.visitor_email,
            visitor_identifier: c.visitor_identifier,
            anonymous: c.anonymous,
            prechat: c.prechat,
            session_id: None,
            host_id: None,
            pages: Vec::new(),
        }
    }
}

/// A page the visitor saw during a chat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageFact {
    pub url: String,
    #[serde(default)]
    pub title: String,
    pub at: u64,
}

/// One online or offline interval of an operator (D1 `activity_intervals`): a new random
/// `activity_id` per change of state; `end` is `None` while it lasts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityFact {
    pub activity_id: String,
    pub account_id: String,
    pub operator_id: String,
    /// `online` or `offline`.
    pub state: String,
    pub start: u64,
    pub end: Option<u64>,
}

/// A channel (chat campaign).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelFact {
    pub id: String,
    pub account_id: String,
    pub name: String,
}

/// A website registered to an account (D1 `hosts`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFact {
    pub id: String,
    pub account_id: String,
    pub hostname: String,
    /// The other accounts that registered the same hostname (for `multiple_acc_id`).
    pub shared_with: Vec<String>,
}

/// A chat button or auto-invite (D1 `entry_points`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryPointFact {
    pub id: String,
    pub channel_id: String,
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
/// [`parley_core::conversation::EventKind::Assigned`]): one received chat for them.
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
    pub id: String,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fact_from_a_d1_summary_row() {
        // A D1 row as the edge reads it: flags as 0/1, lists as JSON text.
        let row = serde_json::json!({
            "id": "c1", "account_id": "acc1", "channel_id": "web", "visitor_id": "v1",
            "status": "closed", "created_at": 10, "page_url": "https://x.example/",
            "message_count": 3, "last_message_at": 30, "last_message_preview": "bye",
            "updated_at": 40, "closed_at": 35, "closed_by": "operator", "no_operator_response": 1,
            "operator_id": "dana", "operator_name": "Dana", "pages_visited": 2,
            "decision_ms": 1500, "survey_result": "good", "tags": "[\"vip\",\"sale\"]",
            "prechat": "[[\"Name\",\"Ann\"]]", "anonymous": 0, "visitor_identifier": "ann@x.example"
        });
        let summary: crate::api::ConversationSummary = serde_json::from_value(row).unwrap();
        let f = ConversationFact::from(summary);
        assert_eq!(
            (f.id.as_str(), f.created_at, f.closed_at, f.closed_by.as_deref()),
            ("c1", 10, Some(35), Some("operator"))
        );
        assert!(f.no_operator_response && !f.anonymous);
        assert_eq!(f.tags, ["vip", "sale"]);
        assert_eq!(f.prechat, [("Name".to_owned(), "Ann".to_owned())]);
        assert_eq!((f.decision_ms, f.survey_result.as_str(), f.pages_visited), (Some(1500), "good", 2));
        // What the summary does not carry is left for the loader.
        assert_eq!((f.entry_point_id, f.session_id, f.host_id, f.outcome_at), (None, None, None, None));
        assert!(f.pages.is_empty());
    }
}

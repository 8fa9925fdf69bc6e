//! Bodies of the HTTP API (JSON), shared by the edge that answers and the widget and console
//! that call, so the three cannot drift apart. The WebSocket protocol is in [`crate::protocol`].

use serde::{Deserialize, Serialize};

/// A channel's widget settings, as the widget receives them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelInfo {
    pub id: String,
    pub name: String,
    pub greeting: String,
    pub accent: String,
}

/// `POST /api/v1/widget/session`: who the visitor is (a stored identity to keep, if any).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetSessionRequest {
    pub channel_id: String,
    #[serde(default)]
    pub visitor_id: Option<String>,
    #[serde(default)]
    pub visitor_token: Option<String>,
}

/// The answer: the channel's settings, the visitor's (kept or fresh) identity, and their open
/// conversation in this channel, to resume on any page of the site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetSession {
    pub channel: ChannelInfo,
    pub visitor_id: String,
    pub visitor_token: String,
    pub conversation_id: Option<String>,
}

/// `POST /api/v1/conversations`: the visitor's open conversation, created if there is none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateConversationRequest {
    pub channel_id: String,
    pub visitor_id: String,
    pub visitor_token: String,
    #[serde(default)]
    pub page_url: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationCreated {
    pub conversation_id: String,
    pub status: String,
}

/// `POST /api/v1/auth/login`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// The logged-in operator (`/api/v1/auth/login`, `/api/v1/auth/me`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorInfo {
    pub id: String,
    pub account_id: String,
    pub username: String,
    pub chat_name: String,
    pub role: String,
}

/// One conversation as the console lists it (and as D1 keeps its summary row). Times are
/// milliseconds since the epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: String,
    pub account_id: String,
    pub channel_id: String,
    pub visitor_id: String,
    /// `waiting`, `active` or `closed`.
    pub status: String,
    pub created_at: u64,
    pub page_url: String,
    pub message_count: u64,
    pub last_message_at: Option<u64>,
    pub last_message_preview: String,
    pub updated_at: u64,
    #[serde(default)]
    pub closed_at: Option<u64>,
    /// `visitor`, `operator` or `timeout`.
    #[serde(default)]
    pub closed_by: Option<String>,
    /// 1 when an operator took the conversation but never wrote in it.
    #[serde(default)]
    pub no_operator_response: u32,
}

/// `GET /api/v1/console/conversations`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationList {
    pub conversations: Vec<ConversationSummary>,
}

/// `POST /api/v1/widget/offline-message`: "leave a message" when nobody is online.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineMessageRequest {
    pub channel_id: String,
    pub visitor_id: String,
    pub visitor_token: String,
    pub name: String,
    pub email: String,
    pub text: String,
    #[serde(default)]
    pub page_url: String,
}

//! The HTTP endpoints the console calls, and the shapes they return.

use crate::net::{get_json, post_json, HttpError};
use parley_protocol::api::{ConversationList, LoginRequest};

/// One row of `/api/v1/console/conversations`.
pub use parley_protocol::api::ConversationSummary as ConvSummary;
/// The logged-in operator (`/api/v1/auth/login` and `/api/v1/auth/me`).
pub use parley_protocol::api::OperatorInfo as Operator;

/// What the console shows of a conversation summary.
pub trait SummaryExt {
    fn is_waiting(&self) -> bool;
    fn preview(&self) -> &str;
    /// When something last happened: the last message, else the creation (ms, for JS dates).
    fn last_activity(&self) -> f64;
    /// A short, stable name for the visitor, e.g. `Visitor 3fa9`.
    fn visitor_label(&self) -> String;
}

impl SummaryExt for ConvSummary {
    fn is_waiting(&self) -> bool {
        self.status == parley_protocol::protocol::Status::Waiting
    }

    fn preview(&self) -> &str {
        self.last_message_preview.trim()
    }

    fn last_activity(&self) -> f64 {
        self.last_message_at.unwrap_or(self.created_at) as f64
    }

    fn visitor_label(&self) -> String {
        let tail: Vec<char> = self.visitor_id.chars().rev().take(4).collect();
        if tail.is_empty() {
            crate::i18n::t().visitor.to_owned()
        } else {
            format!("{} {}", crate::i18n::t().visitor, tail.into_iter().rev().collect::<String>())
        }
    }
}

pub async fn me() -> Result<Operator, HttpError> {
    get_json("/api/v1/auth/me").await
}

pub async fn login(username: &str, password: &str) -> Result<Operator, HttpError> {
    let body = LoginRequest { username: username.to_owned(), password: password.to_owned() };
    post_json("/api/v1/auth/login", &body).await
}

/// Ends the session on the server; failures are ignored (the console forgets it anyway).
pub async fn logout() {
    let _ = post_json::<_, serde_json::Value>("/api/v1/auth/logout", &serde_json::json!({})).await;
}

pub async fn conversations() -> Result<Vec<ConvSummary>, HttpError> {
    get_json::<ConversationList>("/api/v1/console/conversations").await.map(|l| l.conversations)
}

/// The operator's protocol socket for conversation `id`, on this page's host.
pub fn ws_url(id: &str) -> String {
    let location = parley_client::window().location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss:",
        _ => "ws:",
    };
    let host = location.host().unwrap_or_default();
    format!("{scheme}//{host}/api/v1/conversations/{id}/ws?role=operator")
}

/// A sentence for the operator about a failed call, in their language (the API's own
/// message, which the edge writes in English, when it sent one).
pub fn describe(e: &HttpError) -> String {
    let t = crate::i18n::t();
    if e.status == 0 {
        t.server_unreachable.to_owned()
    } else if e.message.trim().is_empty() {
        crate::i18n::fill(t.server_status, &[("status", &e.status.to_string())])
    } else {
        e.message.clone()
    }
}

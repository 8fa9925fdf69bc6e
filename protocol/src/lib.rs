//! Parley's wire protocol and HTTP bodies (pure).
//!
//! What the widget, the console and the edge say to each other: the WebSocket frames and their
//! validation, the HTTP request and answer bodies with their field validation, ids, limits,
//! error codes, the widget's texts, and the pure rules the widget runs itself (invite rules,
//! goals, the events it reports). This is the only Parley crate the widget depends on: every
//! byte here may ship to visitors. Operator-only frames are a separate type
//! ([`protocol::OperatorMsg`]), never a feature flag. No I/O, no clock, no randomness.

pub mod accounts;
pub mod admin;
pub mod api;
pub mod data_rights;
pub mod entry_points;
pub mod error;
pub mod flat;
pub mod i18n;
pub mod ids;
pub mod invites;
pub mod limits;
pub mod metrics;
pub mod outcomes;
pub mod protocol;
pub mod typing;
pub mod wire;

pub use ids::{AccountId, ChannelId, ConversationId, Millis, OperatorId, VisitorId};

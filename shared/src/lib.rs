//! Parley's pure core.
//!
//! Everything that decides anything lives here: the wire protocol and its validation, the
//! conversation state machine, and (later) routing, invite rules, tallies and report maths.
//! This crate performs no I/O, reads no clock and draws no random numbers: time and fresh
//! ids always come in as arguments, so every rule is tested natively in milliseconds.

pub mod admin;
pub mod api;
#[cfg(feature = "operator")]
pub mod config;
#[cfg(feature = "operator")]
pub mod conversation;
#[cfg(feature = "operator")]
pub mod dispatch;
pub mod entry_points;
pub mod error;
pub mod i18n;
pub mod ids;
pub mod invites;
pub mod limits;
pub mod metrics;
pub mod outcomes;
pub mod presence;
pub mod protocol;
#[cfg(feature = "operator")]
pub mod reports;
pub mod routing;
#[cfg(feature = "operator")]
pub mod start;
#[cfg(feature = "operator")]
pub mod tally;
pub mod typing;
pub mod wire;

#[cfg(feature = "server")]
pub mod auth;

pub use ids::{AccountId, ChannelId, ConversationId, Millis, OperatorId, VisitorId};

//! Parley's domain core (pure).
//!
//! The decisions behind the protocol: the conversation state machine, the account's
//! dispatcher (presence, routing, wait queues, forwards, transfers), the tally shard's
//! bookkeeping, the deployment's settings, and password and token hashing. The edge keeps
//! this state in Durable Objects and carries out the effects. No I/O, no clock, no randomness:
//! time and fresh ids come in as arguments, so every rule is tested natively in milliseconds.

pub mod attachments;
pub mod auth;
pub mod config;
pub mod conversation;
pub mod dispatch;
pub mod keys;
pub mod login;
pub mod metrics;
pub mod password;
pub mod presence;
pub mod record;
pub mod routing;
pub mod setup;
pub mod shards;
pub mod start;
pub mod tally;
pub mod throttle;
pub mod totp;

// The protocol's modules under their usual names inside this crate (`crate::ids`, …).
use parley_protocol::{ids, limits, protocol};

//! Parley's Durable Objects, each a thin wrapper on the [`kit`]: decode a typed request
//! ([`crate::stubs`]) → call the pure core in `parley_protocol` → carry out its effects.

pub mod conversation;
pub mod dispatch;
pub mod kit;
pub mod tally;

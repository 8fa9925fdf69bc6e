//! D1 statements, one file per aggregate (H2's part: what the Durable Objects send).

pub mod tally_flush;

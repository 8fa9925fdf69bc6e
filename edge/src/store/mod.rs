//! D1: the one place the edge's SQL statements get their database and their bound values.
//!
//! Every statement binds its parameters with these helpers; none is built from input. (The
//! statements themselves still live in `db.rs`, `db_admin.rs` and the handler modules; they move
//! here one aggregate per file.)

pub mod accounts;
pub mod activity;
pub mod blocks;
pub mod canned;
pub mod channels;
pub mod conversations;
pub mod data_rights;
pub mod entry_points;
pub mod object_conversation;
pub mod object_dispatch;
pub mod object_tally;
pub mod offline_messages;
pub mod operators;
pub mod outcome_settings;
pub mod outcomes;
pub mod report_links;
pub mod reports;
pub mod sessions;
pub mod tally_flush;
pub mod throttle;
pub mod visitors;

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env, Result, SqlStorageValue};

/// The account database (`[[d1_databases]]` binding `DB`).
pub fn db(env: &Env) -> Result<D1Database> {
    env.d1("DB")
}

/// A text parameter.
pub fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

/// An integer parameter. D1 takes JS numbers; every integer stored (millis, counts, positions,
/// limits) is far below 2^53.
pub fn n(v: u64) -> JsValue {
    JsValue::from_f64(v as f64)
}

/// A number parameter (report cursors start below every key at `-1`).
pub fn f(v: f64) -> JsValue {
    JsValue::from_f64(v)
}

/// An integer parameter of a Durable Object's own SQLite (the kit's and the objects' tables).
pub fn int(v: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(v as i64)
}

/// An optional integer parameter (`NULL` when absent).
pub fn opt(v: Option<u64>) -> JsValue {
    v.map_or(JsValue::NULL, n)
}

/// The row of an existence check (`SELECT 1 AS one …`).
#[derive(Deserialize)]
pub(crate) struct One {
    #[allow(dead_code)]
    one: u32,
}

/// How many rows a write changed.
pub(crate) async fn changes(stmt: D1PreparedStatement) -> Result<usize> {
    Ok(stmt.run().await?.meta()?.and_then(|m| m.changes).unwrap_or(0))
}

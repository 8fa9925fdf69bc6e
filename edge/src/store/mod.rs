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
use worker::{D1Database, D1PreparedStatement, D1Result, Env, Result, SqlStorageValue};

/// The account database (`[[d1_databases]]` binding `DB`), the only way to it: every statement
/// prepared through it counts one D1 query of the invocation ([`crate::cost`]; Cloudflare caps
/// D1 queries and subrequests per invocation, `wrangler dev` does not).
pub fn db(env: &Env) -> Result<Db> {
    Ok(Db(env.d1("DB")?))
}

/// The D1 binding, counting its queries. A statement is prepared for one execution (run alone
/// or in a batch), so counting at `prepare` counts every query, each statement of a batch
/// included (Cloudflare counts queries; whether a batch is one subrequest is not documented,
/// so the count is an upper bound).
pub struct Db(D1Database);

impl Db {
    /// A statement, counted as one query.
    pub fn prepare(&self, query: impl Into<String>) -> D1PreparedStatement {
        crate::cost::d1(1);
        self.0.prepare(query)
    }

    /// Runs statements prepared by [`Db::prepare`] (each already counted) in one round trip.
    pub async fn batch(&self, statements: Vec<D1PreparedStatement>) -> Result<Vec<D1Result>> {
        self.0.batch(statements).await
    }
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

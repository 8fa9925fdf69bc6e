//! D1: the one place the edge's SQL statements get their database and their bound values.
//!
//! Every statement binds its parameters with these helpers; none is built from input.
//!
//! Two kinds of database (issue 19, ARCHITECTURE "Capacity model"): the **directory** ([`Db`],
//! binding `DB`: accounts, operators, sessions, channels, hosts, entry points, settings, report
//! links, flood windows, which account lives on which shard) and the account's **shard**
//! ([`Shard`], `DB` or `DB_i`: its conversations, messages, events, tallies, activity, offline
//! messages, identities, blocks, goals reached). A function over an account's data takes a
//! `&Shard`, so the compiler keeps every statement on the right side; none spans both.

pub mod accounts;
pub mod activity;
pub mod attachments;
pub mod blocks;
pub mod canned;
pub mod channels;
pub mod conversations;
pub mod credentials;
pub mod data_rights;
pub mod directory;
pub mod entry_points;
pub mod mail_outbox;
pub mod object_conversation;
pub mod object_dispatch;
pub mod object_tally;
pub mod offline_messages;
pub mod operators;
pub mod outcome_settings;
pub mod outcomes;
pub mod push;
pub mod report_links;
pub mod reports;
pub mod sessions;
pub mod setup;
#[cfg(test)]
mod sides;
pub mod tally_flush;
pub mod throttle;
pub mod visitors;

use std::cell::RefCell;
use std::collections::HashMap;

use parley_protocol::limits::SHARD_CACHE_MAX;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result, Env, Result, SqlStorageValue};

/// The directory database (`[[d1_databases]]` binding `DB`, also shard 0), the only way to it:
/// every statement prepared through it counts one D1 query of the invocation ([`crate::cost`];
/// Cloudflare caps D1 queries and subrequests per invocation, `wrangler dev` does not).
pub fn directory(env: &Env) -> Result<Db> {
    Ok(Db(env.d1(&parley_core::shards::binding(0))?))
}

thread_local! {
    /// account id → its shard, and channel id → its account: both never change, so an isolate
    /// keeps what it looked up (bounded by `SHARD_CACHE_MAX`) and a warm request reads no
    /// directory row to find its shard.
    static SHARDS: RefCell<HashMap<String, u32>> = RefCell::new(HashMap::new());
    static CHANNELS: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

fn remember<V>(map: &'static std::thread::LocalKey<RefCell<HashMap<String, V>>>, key: &str, value: V) {
    map.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= SHARD_CACHE_MAX {
            m.clear();
        }
        m.insert(key.to_owned(), value);
    });
}

/// The shard holding `account_id`'s data: from this isolate's memory, else one directory read
/// (an account without a directory row is an error, never a guess).
pub async fn shard(env: &Env, account_id: &str) -> Result<Shard> {
    if let Some(index) = SHARDS.with(|m| m.borrow().get(account_id).copied()) {
        return shard_at(env, index);
    }
    let raw = directory::shard_of(&directory(env)?, account_id).await?;
    placed(env, account_id, raw)
}

/// The shard a directory row read with other columns names for `account_id` (`raw`: `None`
/// when the account has no row, an error), checked against `PARLEY_D1_SHARDS` and remembered.
pub fn placed(env: &Env, account_id: &str, raw: Option<i64>) -> Result<Shard> {
    let Some(raw) = raw else {
        return Err(worker::Error::RustError(format!("account {account_id} has no shard in the directory")));
    };
    let shards = crate::config::get(env)?.d1_shards;
    let index = parley_core::shards::check(raw, shards).map_err(|e| worker::Error::RustError(e.to_string()))?;
    remember(&SHARDS, account_id, index);
    shard_at(env, index)
}

/// The account owning `channel_id` and its shard (memory, else one directory read of both);
/// `None` for an unknown channel.
pub async fn channel_shard(env: &Env, channel_id: &str) -> Result<Option<(String, Shard)>> {
    if let Some(account) = CHANNELS.with(|m| m.borrow().get(channel_id).cloned()) {
        let shard = shard(env, &account).await?;
        return Ok(Some((account, shard)));
    }
    let Some(home) = directory::channel_home(&directory(env)?, channel_id).await? else { return Ok(None) };
    let shard = placed(env, &home.account_id, home.shard)?;
    remember(&CHANNELS, channel_id, home.account_id.clone());
    Ok(Some((home.account_id, shard)))
}

/// Shard `index` (binding `DB` for 0, `DB_<index>` otherwise), for the jobs that go over
/// every shard; requests reach theirs through [`shard`].
pub fn shard_at(env: &Env, index: u32) -> Result<Shard> {
    Ok(Shard { db: Db(env.d1(&parley_core::shards::binding(index))?), index })
}

/// One account's shard: the database of its data. Counts its queries like [`Db`]; a distinct
/// type so that a statement over an account's data cannot be run on the directory by mistake.
pub struct Shard {
    db: Db,
    index: u32,
}

impl Shard {
    /// A statement, counted as one query.
    pub fn prepare(&self, query: impl Into<String>) -> D1PreparedStatement {
        self.db.prepare(query)
    }

    /// Runs statements prepared by [`Shard::prepare`] (each already counted) in one round trip.
    pub async fn batch(&self, statements: Vec<D1PreparedStatement>) -> Result<Vec<D1Result>> {
        self.db.batch(statements).await
    }

    /// Its number (0: the directory's own database).
    pub fn index(&self) -> u32 {
        self.index
    }
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

/// Either database, for the few readers shared by both sides (report pages).
pub(crate) trait Statements {
    fn statement(&self, query: &str) -> D1PreparedStatement;
}

impl Statements for Db {
    fn statement(&self, query: &str) -> D1PreparedStatement {
        self.prepare(query)
    }
}

impl Statements for Shard {
    fn statement(&self, query: &str) -> D1PreparedStatement {
        self.prepare(query)
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

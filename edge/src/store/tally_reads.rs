//! The reads of the older Automatic invites / Traffic and Ratings reports (`hourly_tallies`
//! and a period filter shared with `ratings.rs`). The reports branch retires these reports.

use parley_shared::reports::TallyRow;
use serde::de::DeserializeOwned;
use worker::{D1Database, Result};

use super::{n, s};

/// The account's hourly tallies of `[from, to)`, of one channel when given.
pub async fn tally_rows(
    db: &D1Database,
    account_id: &str,
    from: u64,
    to: u64,
    channel: Option<&str>,
) -> Result<Vec<TallyRow>> {
    let sql = "SELECT t.account_id, t.channel_id, t.entry_point_id, e.name AS entry_point_name, \
               e.kind AS entry_point_kind, t.hour, t.metric, t.n \
               FROM hourly_tallies t JOIN entry_points e ON e.id = t.entry_point_id \
               WHERE t.account_id = ?1 AND t.hour >= ?2 AND t.hour < ?3";
    in_period(db, sql, "t.channel_id", account_id, from, to, channel).await
}

/// Runs a report query whose `?1` is the account and `?2`/`?3` the period, narrowed to one
/// channel (on `channel_col`, bound as `?4`) when given. `sql` and `channel_col` are the
/// caller's constants, never input.
pub async fn in_period<T: DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    channel_col: &str,
    account_id: &str,
    from: u64,
    to: u64,
    channel: Option<&str>,
) -> Result<Vec<T>> {
    let stmt = match channel {
        Some(c) => db.prepare(format!("{sql} AND {channel_col} = ?4")).bind(&[s(account_id), n(from), n(to), s(c)])?,
        None => db.prepare(sql).bind(&[s(account_id), n(from), n(to)])?,
    };
    stmt.all().await?.results()
}

//! Who visitors are: a channel's identity settings and the identified visitors
//! (`identified_visitors`, written by `Parley.identify`).

use super::{Db, Shard};
use serde::Deserialize;
use worker::Result;

use super::{n, s};

/// What identifying a channel's visitor needs of the channel.
#[derive(Deserialize)]
pub struct ChannelIdentity {
    pub account_id: String,
    pub identity_secret: String,
    pub prechat_form: String,
}

pub async fn channel_identity(d1: &Db, channel_id: &str) -> Result<Option<ChannelIdentity>> {
    d1.prepare("SELECT account_id, identity_secret, prechat_form FROM channels WHERE id = ?1")
        .bind(&[s(channel_id)])?
        .first(None)
        .await
}

/// A proven visitor's details.
pub struct Identified<'a> {
    pub visitor_id: &'a str,
    pub account_id: &'a str,
    pub user_id: &'a str,
    pub name: &'a str,
    pub email: &'a str,
}

/// Stores the visitor's details; a page view that changes nothing writes nothing.
pub async fn remember(d1: &Shard, v: &Identified<'_>, at: u64) -> Result<()> {
    d1.prepare(
        "INSERT INTO identified_visitors (visitor_id, account_id, user_id, name, email, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (visitor_id) DO UPDATE SET \
         name = CASE WHEN excluded.name != '' THEN excluded.name ELSE identified_visitors.name END, \
         email = CASE WHEN excluded.email != '' THEN excluded.email ELSE identified_visitors.email END, \
         updated_at = excluded.updated_at \
         WHERE (excluded.name != '' AND excluded.name != identified_visitors.name) \
         OR (excluded.email != '' AND excluded.email != identified_visitors.email)",
    )
    .bind(&[s(v.visitor_id), s(v.account_id), s(v.user_id), s(v.name), s(v.email), n(at)])?
    .run()
    .await?;
    Ok(())
}

/// An identified visitor as stored.
#[derive(Deserialize)]
pub struct IdentifiedRow {
    pub user_id: String,
    pub name: String,
    pub email: String,
}

pub async fn identified(d1: &Shard, visitor_id: &str, account_id: &str) -> Result<Option<IdentifiedRow>> {
    d1.prepare("SELECT user_id, name, email FROM identified_visitors WHERE visitor_id = ?1 AND account_id = ?2")
        .bind(&[s(visitor_id), s(account_id)])?
        .first(None)
        .await
}

//! A fresh deployment's setup (issue 20, migration 0015): whether the directory still waits
//! for its first account, and the one batch that creates it — the claim row first (the
//! `setup_claim` trigger refuses it once any account exists, its primary key a second claim),
//! then the account, its directory row (`account_shards`), its first admin, its first channel
//! with its chat button and hostname. All or nothing.

use parley_protocol::accounts::ValidSetup;
use serde::Deserialize;
use worker::Result;

use super::operators::languages_json;
use super::{n, s, Db};

#[derive(Deserialize)]
struct Counts {
    accounts: u64,
    claims: u64,
}

/// Whether the deployment has no account (and was never claimed): the setup page is open.
pub async fn open(db: &Db) -> Result<bool> {
    let row: Option<Counts> = db
        .prepare("SELECT (SELECT COUNT(*) FROM accounts) AS accounts, (SELECT COUNT(*) FROM setup_claim) AS claims")
        .first(None)
        .await?;
    Ok(row.is_some_and(|r| r.accounts == 0 && r.claims == 0))
}

#[derive(Deserialize)]
struct ShardCount {
    shard: i64,
    accounts: u64,
}

/// How many accounts each shard holds (index = shard), for `parley_core::shards::place`.
pub async fn accounts_per_shard(db: &Db) -> Result<Vec<u64>> {
    let rows: Vec<ShardCount> = db
        .prepare("SELECT shard, COUNT(*) AS accounts FROM account_shards GROUP BY shard ORDER BY shard")
        .all()
        .await?
        .results()?;
    let mut out = Vec::new();
    for r in rows.into_iter().filter(|r| r.shard >= 0) {
        let i = r.shard as usize;
        if out.len() <= i {
            out.resize(i + 1, 0);
        }
        out[i] = r.accounts;
    }
    Ok(out)
}

/// The ids of what a setup creates.
pub struct SetupIds<'a> {
    pub account: &'a str,
    pub shard: u32,
    pub operator: &'a str,
    pub channel: &'a str,
    pub button: &'a str,
    pub identity_secret: &'a str,
    pub host_ids: &'a [String],
}

/// Creates the account, its directory row, its first admin (`password_hash`) and its first
/// channel in one batch, the claim first. An error when the deployment was claimed meanwhile
/// (the batch changed nothing): the caller reads [`open`] again to tell.
pub async fn create(db: &Db, v: &ValidSetup, ids: &SetupIds<'_>, password_hash: &str, now: u64) -> Result<()> {
    let p = &v.admin.profile;
    let mut batch = vec![
        db.prepare("INSERT INTO setup_claim (id, account_id, claimed_at) VALUES (1, ?1, ?2)")
            .bind(&[s(ids.account), n(now)])?,
        db.prepare("INSERT INTO accounts (id, name, created_at) VALUES (?1, ?2, ?3)").bind(&[
            s(ids.account),
            s(&v.account_name),
            n(now),
        ])?,
        db.prepare("INSERT INTO account_shards (account_id, shard) VALUES (?1, ?2)")
            .bind(&[s(ids.account), n(u64::from(ids.shard))])?,
        db.prepare(
            "INSERT INTO operators (id, account_id, username, first_name, last_name, email, chat_name, role, \
             password_hash, languages, max_chats, disabled, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, ?12, ?12)",
        )
        .bind(&[
            s(ids.operator),
            s(ids.account),
            s(&v.admin.username),
            s(&p.first_name),
            s(&p.last_name),
            s(&p.email),
            s(&p.chat_name),
            s(p.role.as_str()),
            s(password_hash),
            s(&languages_json(&p.languages)),
            n(u64::from(p.max_chats)),
            n(now),
        ])?,
    ];
    batch.extend(super::channels::create_channel_statements(
        db,
        ids.account,
        ids.channel,
        ids.button,
        ids.identity_secret,
        &v.channel,
        ids.host_ids,
        now,
    )?);
    db.batch(batch).await?;
    Ok(())
}

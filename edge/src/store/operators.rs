//! Operators: the row the edge works with ([`OperatorRow`]: sessions, dispatch, guards), the
//! columns the console's admin pages see ([`OperatorFull`]), and their writes. Every statement
//! that reads or changes an account's operator is filtered by the account's id.

use super::Db;
use parley_protocol::admin::Profile;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Result;

use super::{changes, n, s, One};

#[derive(Clone, Debug, Deserialize)]
pub struct OperatorRow {
    pub id: String,
    pub account_id: String,
    pub username: String,
    pub chat_name: String,
    pub role: String,
    pub password_hash: String,
    pub disabled: u32,
    /// JSON array of language tags, main first.
    pub languages: String,
    pub max_chats: u32,
}

impl OperatorRow {
    pub fn language_list(&self) -> Vec<String> {
        serde_json::from_str(&self.languages).unwrap_or_default()
    }
}

const OPERATOR_COLS: &str = "id, account_id, username, chat_name, role, password_hash, disabled, languages, max_chats";

pub async fn operator_by_username(db: &Db, username: &str) -> Result<Option<OperatorRow>> {
    db.prepare(format!("SELECT {OPERATOR_COLS} FROM operators WHERE username = ?1"))
        .bind(&[s(username)])?
        .first(None)
        .await
}

/// Every column of an operator the console may see (never the password hash).
#[derive(Clone, Debug, Deserialize)]
pub struct OperatorFull {
    pub id: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub chat_name: String,
    pub role: String,
    pub languages: String,
    pub max_chats: u32,
    pub disabled: u32,
    pub created_at: u64,
}

const FULL_COLS: &str =
    "id, username, first_name, last_name, email, chat_name, role, languages, max_chats, disabled, created_at";
const ROW_COLS: &str = "id, account_id, username, chat_name, role, password_hash, disabled, languages, max_chats";

#[derive(Deserialize)]
struct ChatNameRow {
    id: String,
    chat_name: String,
}

/// The account's operators' chat names by id (for rows of the account's shard that name an
/// operator: blocks).
pub async fn chat_names(db: &Db, account_id: &str) -> Result<std::collections::HashMap<String, String>> {
    let rows: Vec<ChatNameRow> = db
        .prepare("SELECT id, chat_name FROM operators WHERE account_id = ?1")
        .bind(&[s(account_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|r| (r.id, r.chat_name)).collect())
}

/// The account's operators: enabled ones first, then by username.
pub async fn operators(db: &Db, account_id: &str) -> Result<Vec<OperatorFull>> {
    db.prepare(format!("SELECT {FULL_COLS} FROM operators WHERE account_id = ?1 ORDER BY disabled, username"))
        .bind(&[s(account_id)])?
        .all()
        .await?
        .results()
}

pub async fn operator(db: &Db, account_id: &str, id: &str) -> Result<Option<OperatorFull>> {
    db.prepare(format!("SELECT {FULL_COLS} FROM operators WHERE id = ?1 AND account_id = ?2"))
        .bind(&[s(id), s(account_id)])?
        .first(None)
        .await
}

/// The row the rest of the edge works with (sessions, dispatch).
pub async fn operator_row(db: &Db, account_id: &str, id: &str) -> Result<Option<OperatorRow>> {
    db.prepare(format!("SELECT {ROW_COLS} FROM operators WHERE id = ?1 AND account_id = ?2"))
        .bind(&[s(id), s(account_id)])?
        .first(None)
        .await
}

/// Usernames are unique over every account (they log in without naming the account).
pub async fn username_taken(db: &Db, username: &str) -> Result<bool> {
    let row: Option<One> =
        db.prepare("SELECT 1 AS one FROM operators WHERE username = ?1").bind(&[s(username)])?.first(None).await?;
    Ok(row.is_some())
}

pub struct NewOperatorRow<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub username: &'a str,
    pub password_hash: &'a str,
    pub profile: &'a Profile,
    pub now: u64,
}

pub async fn insert_operator(db: &Db, op: &NewOperatorRow<'_>) -> Result<()> {
    let p = op.profile;
    db.prepare(
        "INSERT INTO operators (id, account_id, username, first_name, last_name, email, chat_name, role, \
         password_hash, languages, max_chats, disabled, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
    )
    .bind(&[
        s(op.id),
        s(op.account_id),
        s(op.username),
        s(&p.first_name),
        s(&p.last_name),
        s(&p.email),
        s(&p.chat_name),
        s(p.role.as_str()),
        s(op.password_hash),
        s(&languages_json(&p.languages)),
        n(u64::from(p.max_chats)),
        n(u64::from(p.disabled)),
        n(op.now),
    ])?
    .run()
    .await?;
    Ok(())
}

pub fn languages_json(languages: &[String]) -> String {
    serde_json::to_string(languages).unwrap_or_else(|_| "[\"en\"]".to_owned())
}

/// Writes an operator's profile (and new password hash, if any). Answers whether the
/// operator exists in the account.
pub async fn update_operator(
    db: &Db,
    account_id: &str,
    id: &str,
    p: &Profile,
    password_hash: Option<&str>,
    now: u64,
) -> Result<bool> {
    let stmt = db
        .prepare(
            "UPDATE operators SET first_name = ?3, last_name = ?4, email = ?5, chat_name = ?6, role = ?7, \
             languages = ?8, max_chats = ?9, disabled = ?10, password_hash = COALESCE(?11, password_hash), \
             updated_at = ?12 WHERE id = ?1 AND account_id = ?2",
        )
        .bind(&[
            s(id),
            s(account_id),
            s(&p.first_name),
            s(&p.last_name),
            s(&p.email),
            s(&p.chat_name),
            s(p.role.as_str()),
            s(&languages_json(&p.languages)),
            n(u64::from(p.max_chats)),
            n(u64::from(p.disabled)),
            password_hash.map_or(JsValue::NULL, s),
            n(now),
        ])?;
    Ok(changes(stmt).await? > 0)
}

/// The operator's own settings.
pub async fn update_settings(
    db: &Db,
    account_id: &str,
    id: &str,
    chat_name: &str,
    languages: &[String],
    max_chats: u32,
    now: u64,
) -> Result<bool> {
    let stmt = db
        .prepare(
            "UPDATE operators SET chat_name = ?3, languages = ?4, max_chats = ?5, updated_at = ?6 \
             WHERE id = ?1 AND account_id = ?2 AND disabled = 0",
        )
        .bind(&[s(id), s(account_id), s(chat_name), s(&languages_json(languages)), n(u64::from(max_chats)), n(now)])?;
    Ok(changes(stmt).await? > 0)
}

/// Replaces a password hash by its upgrade (same password, current scheme), unless it changed
/// meanwhile (a new password set while the login ran wins).
pub async fn upgrade_password_hash(db: &Db, id: &str, old_hash: &str, new_hash: &str) -> Result<()> {
    db.prepare("UPDATE operators SET password_hash = ?3 WHERE id = ?1 AND password_hash = ?2")
        .bind(&[s(id), s(old_hash), s(new_hash)])?
        .run()
        .await?;
    Ok(())
}

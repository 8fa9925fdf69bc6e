//! D1 queries of `admin.rs`. Every query binds its parameters; none is built from input.
//! Every query that reads or changes an account's data is filtered by that account's id, so
//! a foreign id finds nothing, exactly like a missing one.

pub use crate::store::channels::{account_channel as channel, channels, ChannelRow as ChannelFull};
use crate::store::{n, s};
use parley_protocol::admin::{CannedResponse, OfflineMessage, Profile, ValidChannel, ValidOfflineMessage};
use parley_protocol::entry_points::{EntryKind, EntryPointView, DEFAULT_BUTTON_NAME};
use parley_protocol::invites::InviteSettings;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Result};

use crate::db::OperatorRow;

#[derive(Deserialize)]
struct One {
    #[allow(dead_code)]
    one: u32,
}

/// How many rows a write changed.
async fn changes(stmt: D1PreparedStatement) -> Result<usize> {
    Ok(stmt.run().await?.meta()?.and_then(|m| m.changes).unwrap_or(0))
}

// ---------------------------------------------------------------------------------------------
// Operators

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

/// The account's operators: enabled ones first, then by username.
pub async fn operators(db: &D1Database, account_id: &str) -> Result<Vec<OperatorFull>> {
    db.prepare(format!("SELECT {FULL_COLS} FROM operators WHERE account_id = ?1 ORDER BY disabled, username"))
        .bind(&[s(account_id)])?
        .all()
        .await?
        .results()
}

pub async fn operator(db: &D1Database, account_id: &str, id: &str) -> Result<Option<OperatorFull>> {
    db.prepare(format!("SELECT {FULL_COLS} FROM operators WHERE id = ?1 AND account_id = ?2"))
        .bind(&[s(id), s(account_id)])?
        .first(None)
        .await
}

/// The row the rest of the edge works with (sessions, dispatch).
pub async fn operator_row(db: &D1Database, account_id: &str, id: &str) -> Result<Option<OperatorRow>> {
    db.prepare(format!("SELECT {ROW_COLS} FROM operators WHERE id = ?1 AND account_id = ?2"))
        .bind(&[s(id), s(account_id)])?
        .first(None)
        .await
}

/// Usernames are unique over every account (they log in without naming the account).
pub async fn username_taken(db: &D1Database, username: &str) -> Result<bool> {
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

pub async fn insert_operator(db: &D1Database, op: &NewOperatorRow<'_>) -> Result<()> {
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
    db: &D1Database,
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

/// Ends the operator's console sessions, but the one with digest `keep` (the caller's own).
pub async fn end_sessions(db: &D1Database, account_id: &str, operator_id: &str, keep: Option<&str>) -> Result<()> {
    db.prepare("DELETE FROM sessions WHERE operator_id = ?1 AND account_id = ?2 AND token_digest != ?3")
        .bind(&[s(operator_id), s(account_id), s(keep.unwrap_or(""))])?
        .run()
        .await?;
    Ok(())
}

/// The operator's own settings.
pub async fn update_settings(
    db: &D1Database,
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

// ---------------------------------------------------------------------------------------------
// Channels and hosts

#[derive(Clone, Debug, Deserialize)]
pub struct ChannelHost {
    pub channel_id: String,
    pub hostname: String,
}

/// Hostnames of the account's channels (of one channel when `channel_id` is given).
pub async fn channel_hosts(db: &D1Database, account_id: &str, channel_id: Option<&str>) -> Result<Vec<ChannelHost>> {
    db.prepare(
        "SELECT ch.channel_id AS channel_id, h.hostname AS hostname FROM channel_hosts ch \
         JOIN channels c ON c.id = ch.channel_id JOIN hosts h ON h.id = ch.host_id \
         WHERE c.account_id = ?1 AND h.account_id = ?1 AND (?2 IS NULL OR ch.channel_id = ?2) \
         ORDER BY h.hostname",
    )
    .bind(&[s(account_id), channel_id.map_or(JsValue::NULL, s)])?
    .all()
    .await?
    .results()
}

/// Statements that tie the channel to exactly `hosts` (host rows of the account are created
/// as needed; `host_ids` are fresh ids, one per hostname, used only for new rows).
fn tie_hosts(
    db: &D1Database,
    account_id: &str,
    channel_id: &str,
    hosts: &[String],
    host_ids: &[String],
    now: u64,
) -> Result<Vec<D1PreparedStatement>> {
    let mut out = vec![db
        .prepare(
            "DELETE FROM channel_hosts WHERE channel_id = ?1 \
             AND channel_id IN (SELECT id FROM channels WHERE account_id = ?2)",
        )
        .bind(&[s(channel_id), s(account_id)])?];
    for (host, host_id) in hosts.iter().zip(host_ids) {
        out.push(
            db.prepare("INSERT OR IGNORE INTO hosts (id, account_id, hostname, created_at) VALUES (?1, ?2, ?3, ?4)")
                .bind(&[s(host_id), s(account_id), s(host), n(now)])?,
        );
        out.push(
            db.prepare(
                "INSERT OR IGNORE INTO channel_hosts (channel_id, host_id) \
                 SELECT ?1, id FROM hosts WHERE account_id = ?2 AND hostname = ?3",
            )
            .bind(&[s(channel_id), s(account_id), s(host)])?,
        );
    }
    Ok(out)
}

/// Creates the channel with its chat button (`button_id`) and identity secret and ties it to
/// its hosts, in one batch (all or nothing).
#[allow(clippy::too_many_arguments)]
pub async fn create_channel(
    db: &D1Database,
    account_id: &str,
    id: &str,
    button_id: &str,
    identity_secret: &str,
    c: &ValidChannel,
    host_ids: &[String],
    now: u64,
) -> Result<()> {
    let mut batch = vec![
        db.prepare(
            "INSERT INTO channels (id, account_id, name, greeting, accent, time_zone, created_at, prechat_form, \
             identity_secret, language, position, greetings) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .bind(&[
            s(id),
            s(account_id),
            s(&c.name),
            s(&c.greeting),
            s(&c.accent),
            s(&c.time_zone),
            n(now),
            s(&prechat_json(c)),
            s(identity_secret),
            s(&c.language),
            s(&c.position),
            s(&greetings_json(c)),
        ])?,
        db.prepare(
            "INSERT INTO entry_points (id, account_id, channel_id, kind, name, enabled, position, created_at, \
             updated_at) VALUES (?1, ?2, ?3, 'button', ?4, 1, 0, ?5, ?5)",
        )
        .bind(&[s(button_id), s(account_id), s(id), s(DEFAULT_BUTTON_NAME), n(now)])?,
    ];
    batch.extend(tie_hosts(db, account_id, id, &c.hosts, host_ids, now)?);
    db.batch(batch).await?;
    Ok(())
}

/// Rewrites the channel's settings and hosts, in one batch. The caller has checked that the
/// channel belongs to the account; every statement checks it again.
pub async fn update_channel(
    db: &D1Database,
    account_id: &str,
    id: &str,
    c: &ValidChannel,
    host_ids: &[String],
    now: u64,
) -> Result<()> {
    let mut batch = vec![db
        .prepare(
            "UPDATE channels SET name = ?3, greeting = ?4, accent = ?5, time_zone = ?6, prechat_form = ?7, \
             language = ?8, position = ?9, greetings = ?10 WHERE id = ?1 AND account_id = ?2",
        )
        .bind(&[
            s(id),
            s(account_id),
            s(&c.name),
            s(&c.greeting),
            s(&c.accent),
            s(&c.time_zone),
            s(&prechat_json(c)),
            s(&c.language),
            s(&c.position),
            s(&greetings_json(c)),
        ])?];
    batch.extend(tie_hosts(db, account_id, id, &c.hosts, host_ids, now)?);
    db.batch(batch).await?;
    Ok(())
}

fn prechat_json(c: &ValidChannel) -> String {
    serde_json::to_string(&c.prechat).unwrap_or_else(|_| "[]".to_owned())
}

fn greetings_json(c: &ValidChannel) -> String {
    serde_json::to_string(&c.greetings).unwrap_or_else(|_| "[]".to_owned())
}

/// Replaces the channel's identity secret; false when no channel of the account has this id.
pub async fn set_identity_secret(db: &D1Database, account_id: &str, id: &str, secret: &str) -> Result<bool> {
    let stmt = db.prepare("UPDATE channels SET identity_secret = ?3 WHERE id = ?1 AND account_id = ?2").bind(&[
        s(id),
        s(account_id),
        s(secret),
    ])?;
    Ok(changes(stmt).await? > 0)
}

// ---------------------------------------------------------------------------------------------
// Entry points (a channel's chat button and its auto-invites)

/// An `entry_points` row as stored (`invite` is `InviteSettings` as JSON).
#[derive(Clone, Debug, Deserialize)]
pub struct EntryPointRow {
    pub id: String,
    pub channel_id: String,
    pub kind: String,
    pub name: String,
    pub enabled: u32,
    #[serde(default)]
    pub invite: Option<String>,
    pub created_at: u64,
    pub updated_at: u64,
}

impl EntryPointRow {
    pub fn kind(&self) -> EntryKind {
        EntryKind::parse(&self.kind).unwrap_or(EntryKind::Invite)
    }

    /// The invite's settings; `None` for the button (or a row that no longer parses, logged).
    pub fn settings(&self) -> Option<InviteSettings> {
        let json = self.invite.as_deref()?;
        match serde_json::from_str(json) {
            Ok(v) => Some(v),
            Err(e) => {
                worker::console_error!("entry point {} has unreadable settings: {e}", self.id);
                None
            }
        }
    }

    pub fn view(self) -> EntryPointView {
        EntryPointView {
            kind: self.kind(),
            invite: self.settings(),
            enabled: self.enabled != 0,
            id: self.id,
            channel_id: self.channel_id,
            name: self.name,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

const EP_COLS: &str = "id, channel_id, kind, name, enabled, invite, created_at, updated_at";

/// A channel's entry points: the button first, then the invites in the order they are tried.
/// `account_id` `None` is the widget's read (the channel was found by its id).
pub async fn entry_points(db: &D1Database, account_id: Option<&str>, channel_id: &str) -> Result<Vec<EntryPointRow>> {
    db.prepare(format!(
        "SELECT {EP_COLS} FROM entry_points WHERE channel_id = ?1 AND (?2 IS NULL OR account_id = ?2) \
         ORDER BY kind = 'button' DESC, position, created_at, id"
    ))
    .bind(&[s(channel_id), account_id.map_or(JsValue::NULL, s)])?
    .all()
    .await?
    .results()
}

pub async fn entry_point(db: &D1Database, account_id: &str, id: &str) -> Result<Option<EntryPointRow>> {
    db.prepare(format!("SELECT {EP_COLS} FROM entry_points WHERE id = ?1 AND account_id = ?2"))
        .bind(&[s(id), s(account_id)])?
        .first(None)
        .await
}

/// Whether another entry point of the channel (not `except_id`) has this name, ignoring case.
pub async fn entry_point_name_taken(
    db: &D1Database,
    channel_id: &str,
    name: &str,
    except_id: Option<&str>,
) -> Result<bool> {
    let row: Option<One> = db
        .prepare("SELECT 1 AS one FROM entry_points WHERE channel_id = ?1 AND name = ?2 COLLATE NOCASE AND id != ?3")
        .bind(&[s(channel_id), s(name), s(except_id.unwrap_or(""))])?
        .first(None)
        .await?;
    Ok(row.is_some())
}

pub struct NewInvite<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub channel_id: &'a str,
    pub name: &'a str,
    pub enabled: bool,
    pub invite: &'a InviteSettings,
    pub now: u64,
}

/// Adds an auto-invite after the channel's last one, unless the channel already has `max`
/// invites. Answers whether it was added.
pub async fn insert_invite(db: &D1Database, i: &NewInvite<'_>, max: usize) -> Result<bool> {
    let stmt = db
        .prepare(
            "INSERT INTO entry_points (id, account_id, channel_id, kind, name, enabled, invite, position, created_at, \
             updated_at) \
             SELECT ?1, ?2, ?3, 'invite', ?4, ?5, ?6, \
               (SELECT COALESCE(MAX(position), 0) + 1 FROM entry_points WHERE channel_id = ?3), ?7, ?7 \
             WHERE (SELECT COUNT(*) FROM entry_points WHERE channel_id = ?3 AND kind = 'invite') < ?8",
        )
        .bind(&[
            s(i.id),
            s(i.account_id),
            s(i.channel_id),
            s(i.name),
            n(u64::from(i.enabled)),
            s(&invite_json(i.invite)),
            n(i.now),
            n(max as u64),
        ])?;
    Ok(changes(stmt).await? > 0)
}

fn invite_json(i: &InviteSettings) -> String {
    serde_json::to_string(i).expect("invite settings serialize")
}

/// Rewrites an entry point's name, enabled flag and (for invites) settings.
pub async fn update_entry_point(
    db: &D1Database,
    account_id: &str,
    id: &str,
    name: &str,
    enabled: bool,
    invite: Option<&InviteSettings>,
    now: u64,
) -> Result<bool> {
    let stmt = db
        .prepare(
            "UPDATE entry_points SET name = ?3, enabled = ?4, invite = ?5, updated_at = ?6 \
             WHERE id = ?1 AND account_id = ?2",
        )
        .bind(&[
            s(id),
            s(account_id),
            s(name),
            n(u64::from(enabled)),
            invite.map_or(JsValue::NULL, |i| s(&invite_json(i))),
            n(now),
        ])?;
    Ok(changes(stmt).await? > 0)
}

// ---------------------------------------------------------------------------------------------
// Canned responses

pub async fn canned(db: &D1Database, account_id: &str) -> Result<Vec<CannedResponse>> {
    db.prepare("SELECT id, shortcut, text, created_at FROM canned_responses WHERE account_id = ?1 ORDER BY shortcut")
        .bind(&[s(account_id)])?
        .all()
        .await?
        .results()
}

pub async fn canned_one(db: &D1Database, account_id: &str, id: &str) -> Result<Option<CannedResponse>> {
    db.prepare("SELECT id, shortcut, text, created_at FROM canned_responses WHERE id = ?1 AND account_id = ?2")
        .bind(&[s(id), s(account_id)])?
        .first(None)
        .await
}

/// Whether another canned response of the account (not `except_id`) has this shortcut.
pub async fn shortcut_taken(
    db: &D1Database,
    account_id: &str,
    shortcut: &str,
    except_id: Option<&str>,
) -> Result<bool> {
    let row: Option<One> = db
        .prepare("SELECT 1 AS one FROM canned_responses WHERE account_id = ?1 AND shortcut = ?2 AND id != ?3")
        .bind(&[s(account_id), s(shortcut), s(except_id.unwrap_or(""))])?
        .first(None)
        .await?;
    Ok(row.is_some())
}

pub async fn insert_canned(db: &D1Database, account_id: &str, c: &CannedResponse) -> Result<()> {
    db.prepare("INSERT INTO canned_responses (id, account_id, shortcut, text, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(&[s(&c.id), s(account_id), s(&c.shortcut), s(&c.text), n(c.created_at)])?
        .run()
        .await?;
    Ok(())
}

pub async fn update_canned(db: &D1Database, account_id: &str, id: &str, shortcut: &str, text: &str) -> Result<bool> {
    let stmt = db
        .prepare("UPDATE canned_responses SET shortcut = ?3, text = ?4 WHERE id = ?1 AND account_id = ?2")
        .bind(&[s(id), s(account_id), s(shortcut), s(text)])?;
    Ok(changes(stmt).await? > 0)
}

pub async fn delete_canned(db: &D1Database, account_id: &str, id: &str) -> Result<bool> {
    let stmt =
        db.prepare("DELETE FROM canned_responses WHERE id = ?1 AND account_id = ?2").bind(&[s(id), s(account_id)])?;
    Ok(changes(stmt).await? > 0)
}

// ---------------------------------------------------------------------------------------------
// Offline messages

pub struct NewOfflineMessage<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub channel_id: &'a str,
    pub visitor_id: &'a str,
    pub msg: &'a ValidOfflineMessage,
    pub now: u64,
}

pub async fn insert_offline_message(db: &D1Database, m: &NewOfflineMessage<'_>) -> Result<()> {
    db.prepare(
        "INSERT INTO offline_messages (id, account_id, channel_id, visitor_id, name, email, text, page_url, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .bind(&[
        s(m.id),
        s(m.account_id),
        s(m.channel_id),
        s(m.visitor_id),
        s(&m.msg.name),
        s(&m.msg.email),
        s(&m.msg.text),
        s(&m.msg.page_url),
        n(m.now),
    ])?
    .run()
    .await?;
    Ok(())
}

/// The account's offline messages, newest first.
pub async fn offline_messages(db: &D1Database, account_id: &str, limit: u32) -> Result<Vec<OfflineMessage>> {
    db.prepare(
        "SELECT m.id, m.channel_id, COALESCE(c.name, '') AS channel_name, m.visitor_id, m.name, m.email, m.text, \
         m.page_url, m.created_at FROM offline_messages m \
         LEFT JOIN channels c ON c.id = m.channel_id AND c.account_id = m.account_id \
         WHERE m.account_id = ?1 ORDER BY m.created_at DESC, m.id DESC LIMIT ?2",
    )
    .bind(&[s(account_id), n(u64::from(limit))])?
    .all()
    .await?
    .results()
}

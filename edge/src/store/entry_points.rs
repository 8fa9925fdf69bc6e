//! Entry points of a channel (its chat button and invites): the statements reading them for the
//! widget, the conversations and the tally shards.

use std::collections::HashMap;

use super::Db;
use parley_protocol::entry_points::{EntryKind, EntryPointView};
use parley_protocol::invites::InviteSettings;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Result;

use super::{changes, n, s, One};

/// An entry point as a conversation records it (what started the chat).
#[derive(Clone, Debug, Deserialize)]
pub struct EntryPointBrief {
    pub id: String,
    pub kind: String,
    pub name: String,
}

/// The channel's entry points: id → is an invite (read by the tally shards).
pub async fn kinds(db: &Db, channel_id: &str) -> Result<HashMap<String, bool>> {
    #[derive(Deserialize)]
    struct Ep {
        id: String,
        kind: String,
    }
    let rows: Vec<Ep> = db
        .prepare("SELECT id, kind FROM entry_points WHERE channel_id = ?1")
        .bind(&[s(channel_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|e| (e.id, e.kind == "invite")).collect())
}

/// The channel's entry point `id`, or (`id` None) its chat button.
pub async fn brief(db: &Db, channel_id: &str, id: Option<&str>) -> Result<Option<EntryPointBrief>> {
    let stmt = match id {
        Some(id) => db
            .prepare("SELECT id, kind, name FROM entry_points WHERE channel_id = ?1 AND id = ?2")
            .bind(&[s(channel_id), s(id)])?,
        None => db
            .prepare("SELECT id, kind, name FROM entry_points WHERE channel_id = ?1 AND kind = 'button'")
            .bind(&[s(channel_id)])?,
    };
    stmt.first(None).await
}

/// An `entry_points` row as stored (`invite` is `InviteSettings` as JSON).
#[derive(Clone, Debug, Deserialize)]
pub struct EntryPointRow {
    pub id: String,
    pub channel_id: parley_protocol::ChannelId,
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
pub async fn entry_points(db: &Db, account_id: Option<&str>, channel_id: &str) -> Result<Vec<EntryPointRow>> {
    db.prepare(format!(
        "SELECT {EP_COLS} FROM entry_points WHERE channel_id = ?1 AND (?2 IS NULL OR account_id = ?2) \
         ORDER BY kind = 'button' DESC, position, created_at, id"
    ))
    .bind(&[s(channel_id), account_id.map_or(JsValue::NULL, s)])?
    .all()
    .await?
    .results()
}

pub async fn entry_point(db: &Db, account_id: &str, id: &str) -> Result<Option<EntryPointRow>> {
    db.prepare(format!("SELECT {EP_COLS} FROM entry_points WHERE id = ?1 AND account_id = ?2"))
        .bind(&[s(id), s(account_id)])?
        .first(None)
        .await
}

/// Whether another entry point of the channel (not `except_id`) has this name, ignoring case.
pub async fn entry_point_name_taken(db: &Db, channel_id: &str, name: &str, except_id: Option<&str>) -> Result<bool> {
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
pub async fn insert_invite(db: &Db, i: &NewInvite<'_>, max: usize) -> Result<bool> {
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
    db: &Db,
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

//! Entry points of a channel (its chat button and invites): the statements reading them for the
//! widget, the conversations and the tally shards.

use std::collections::HashMap;

use serde::Deserialize;
use worker::{D1Database, Result};

use super::s;

/// An entry point as a conversation records it (what started the chat).
#[derive(Clone, Debug, Deserialize)]
pub struct EntryPointBrief {
    pub id: String,
    pub kind: String,
    pub name: String,
}

/// The channel's entry points: id → is an invite (read by the tally shards).
pub async fn kinds(db: &D1Database, channel_id: &str) -> Result<HashMap<String, bool>> {
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
pub async fn brief(db: &D1Database, channel_id: &str, id: Option<&str>) -> Result<Option<EntryPointBrief>> {
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

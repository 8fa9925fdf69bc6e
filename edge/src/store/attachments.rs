//! Files uploaded to conversations (`attachments`, issue 21; the account's shard): one row per
//! file, written after its bytes are in R2, unique per (conversation, client id) so a retried
//! upload finds the first one's row.

use super::Shard;
use parley_protocol::protocol::AttachmentView;
use serde::Deserialize;
use worker::Result;

use super::{n, opt, s};

/// An `attachments` row.
#[derive(Clone, Debug, Deserialize)]
pub struct AttachmentRow {
    pub id: String,
    pub account_id: String,
    pub conversation_id: String,
    pub client_id: String,
    pub uploader_role: String,
    pub uploader_id: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub object_key: String,
    pub created_at: u64,
}

impl AttachmentRow {
    /// The file as messages carry it.
    pub fn into_api(self) -> AttachmentView {
        AttachmentView {
            id: self.id,
            name: self.name,
            content_type: self.content_type,
            size: self.size,
            width: self.width,
            height: self.height,
        }
    }
}

const COLS: &str = "id, account_id, conversation_id, client_id, uploader_role, uploader_id, name, content_type, size, \
                    width, height, object_key, created_at";

/// The conversation's file uploaded under `client_id`, if any.
pub async fn by_client_id(d1: &Shard, conversation_id: &str, client_id: &str) -> Result<Option<AttachmentRow>> {
    d1.prepare(format!("SELECT {COLS} FROM attachments WHERE conversation_id = ?1 AND client_id = ?2"))
        .bind(&[s(conversation_id), s(client_id)])?
        .first::<AttachmentRow>(None)
        .await
}

/// The conversation's file `id`, if any.
pub async fn by_id(d1: &Shard, conversation_id: &str, id: &str) -> Result<Option<AttachmentRow>> {
    d1.prepare(format!("SELECT {COLS} FROM attachments WHERE conversation_id = ?1 AND id = ?2"))
        .bind(&[s(conversation_id), s(id)])?
        .first::<AttachmentRow>(None)
        .await
}

/// How many files the conversation holds.
pub async fn count(d1: &Shard, conversation_id: &str) -> Result<u64> {
    #[derive(Deserialize)]
    struct C {
        c: u64,
    }
    Ok(d1
        .prepare("SELECT COUNT(*) AS c FROM attachments WHERE conversation_id = ?1")
        .bind(&[s(conversation_id)])?
        .first::<C>(None)
        .await?
        .map_or(0, |r| r.c))
}

/// Records a stored file; `false` when the conversation already has one under its client id
/// (a racing retry: the caller answers that one and removes its own bytes).
pub async fn insert(d1: &Shard, r: &AttachmentRow) -> Result<bool> {
    let stmt = d1
        .prepare(format!(
            "INSERT INTO attachments ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
             ON CONFLICT (conversation_id, client_id) DO NOTHING"
        ))
        .bind(&[
            s(&r.id),
            s(&r.account_id),
            s(&r.conversation_id),
            s(&r.client_id),
            s(&r.uploader_role),
            s(&r.uploader_id),
            s(&r.name),
            s(&r.content_type),
            n(r.size),
            opt(r.width.map(u64::from)),
            opt(r.height.map(u64::from)),
            s(&r.object_key),
            n(r.created_at),
        ])?;
    Ok(super::changes(stmt).await? > 0)
}

/// The R2 keys of every file of these conversations (an erasure's, a retention batch's).
pub async fn keys_of(d1: &Shard, conversation_ids: &[String]) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct K {
        object_key: String,
    }
    let ids = serde_json::to_string(conversation_ids)?;
    Ok(d1
        .prepare("SELECT object_key FROM attachments WHERE conversation_id IN (SELECT value FROM json_each(?1))")
        .bind(&[s(&ids)])?
        .all()
        .await?
        .results::<K>()?
        .into_iter()
        .map(|k| k.object_key)
        .collect())
}

/// Forgets the files of these conversations (after their bytes were deleted).
pub async fn delete_of(d1: &Shard, conversation_ids: &[String]) -> Result<()> {
    let ids = serde_json::to_string(conversation_ids)?;
    d1.prepare("DELETE FROM attachments WHERE conversation_id IN (SELECT value FROM json_each(?1))")
        .bind(&[s(&ids)])?
        .run()
        .await?;
    Ok(())
}

/// Every file of these conversations, oldest first (a visitor's export).
pub async fn of_conversations(d1: &Shard, conversation_ids: &[String]) -> Result<Vec<AttachmentRow>> {
    let ids = serde_json::to_string(conversation_ids)?;
    d1.prepare(format!(
        "SELECT {COLS} FROM attachments WHERE conversation_id IN (SELECT value FROM json_each(?1)) \
         ORDER BY created_at, id"
    ))
    .bind(&[s(&ids)])?
    .all()
    .await?
    .results::<AttachmentRow>()
}

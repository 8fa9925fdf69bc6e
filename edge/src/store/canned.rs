//! Canned responses of an account.

use parley_shared::admin::CannedResponse;
use worker::{D1Database, Result};

use super::{changes, n, s, One};

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

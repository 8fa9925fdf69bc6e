//! Canned responses of an account.

use super::Db;
use parley_protocol::admin::CannedResponse;
use worker::Result;

use serde::Deserialize;

use super::{changes, n, s, One};

/// A `canned_responses` row (without its account).
#[derive(Debug, Deserialize)]
pub struct CannedRow {
    pub id: String,
    pub shortcut: String,
    pub text: String,
    pub created_at: u64,
}

impl CannedRow {
    pub fn into_api(self) -> CannedResponse {
        CannedResponse { id: self.id, shortcut: self.shortcut, text: self.text, created_at: self.created_at }
    }
}

pub async fn canned(db: &Db, account_id: &str) -> Result<Vec<CannedResponse>> {
    let rows: Vec<CannedRow> = db
        .prepare("SELECT id, shortcut, text, created_at FROM canned_responses WHERE account_id = ?1 ORDER BY shortcut")
        .bind(&[s(account_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(CannedRow::into_api).collect())
}

pub async fn canned_one(db: &Db, account_id: &str, id: &str) -> Result<Option<CannedResponse>> {
    let row: Option<CannedRow> = db
        .prepare("SELECT id, shortcut, text, created_at FROM canned_responses WHERE id = ?1 AND account_id = ?2")
        .bind(&[s(id), s(account_id)])?
        .first(None)
        .await?;
    Ok(row.map(CannedRow::into_api))
}

/// Whether another canned response of the account (not `except_id`) has this shortcut.
pub async fn shortcut_taken(db: &Db, account_id: &str, shortcut: &str, except_id: Option<&str>) -> Result<bool> {
    let row: Option<One> = db
        .prepare("SELECT 1 AS one FROM canned_responses WHERE account_id = ?1 AND shortcut = ?2 AND id != ?3")
        .bind(&[s(account_id), s(shortcut), s(except_id.unwrap_or(""))])?
        .first(None)
        .await?;
    Ok(row.is_some())
}

pub async fn insert_canned(db: &Db, account_id: &str, c: &CannedResponse) -> Result<()> {
    db.prepare("INSERT INTO canned_responses (id, account_id, shortcut, text, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(&[s(&c.id), s(account_id), s(&c.shortcut), s(&c.text), n(c.created_at)])?
        .run()
        .await?;
    Ok(())
}

pub async fn update_canned(db: &Db, account_id: &str, id: &str, shortcut: &str, text: &str) -> Result<bool> {
    let stmt = db
        .prepare("UPDATE canned_responses SET shortcut = ?3, text = ?4 WHERE id = ?1 AND account_id = ?2")
        .bind(&[s(id), s(account_id), s(shortcut), s(text)])?;
    Ok(changes(stmt).await? > 0)
}

pub async fn delete_canned(db: &Db, account_id: &str, id: &str) -> Result<bool> {
    let stmt =
        db.prepare("DELETE FROM canned_responses WHERE id = ?1 AND account_id = ?2").bind(&[s(id), s(account_id)])?;
    Ok(changes(stmt).await? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_canned_row_maps_to_its_view() {
        let row: CannedRow = serde_json::from_value(
            serde_json::json!({"id": "cr_1", "shortcut": "hi", "text": "Hello!", "created_at": 5}),
        )
        .unwrap();
        let c = row.into_api();
        assert_eq!((c.id.as_str(), c.shortcut.as_str(), c.text.as_str(), c.created_at), ("cr_1", "hi", "Hello!", 5));
    }
}

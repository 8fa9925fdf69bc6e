//! Public report links (`report_links`): the row ([`LinkRow`], with its creator's name joined)
//! and the statements creating, listing, reading and revoking links.

use super::Db;
use parley_reports::links::LinkRecord;
use serde::Deserialize;
use worker::Result;

use super::{n, opt, s};

/// A `report_links` row with the creator's chat name (`None` when the operator is gone).
#[derive(Debug, Deserialize)]
pub struct LinkRow {
    pub id: String,
    pub account_id: String,
    pub report: String,
    pub query: String,
    pub title: String,
    pub expires_at: Option<u64>,
    pub created_by: String,
    pub created_by_name: Option<String>,
    pub created_at: u64,
    pub revoked_at: Option<u64>,
}

pub fn link_record(r: LinkRow) -> LinkRecord {
    LinkRecord {
        id: r.id,
        account_id: r.account_id,
        report: r.report,
        query: r.query,
        title: r.title,
        expires_at: r.expires_at,
        created_by: r.created_by,
        created_by_name: r.created_by_name,
        created_at: r.created_at,
        revoked_at: r.revoked_at,
    }
}

const RECORD_COLS: &str = "l.id, l.account_id, l.report, l.query, l.title, l.expires_at, l.created_by, \
     o.chat_name AS created_by_name, l.created_at, l.revoked_at \
     FROM report_links l LEFT JOIN operators o ON o.id = l.created_by AND o.account_id = l.account_id";

/// Stores a new link (its `created_by_name` is not a column).
pub async fn insert(d1: &Db, r: &LinkRecord) -> Result<()> {
    d1.prepare(
        "INSERT INTO report_links (id, account_id, report, query, title, expires_at, created_by, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .bind(&[
        s(&r.id),
        s(&r.account_id),
        s(&r.report),
        s(&r.query),
        s(&r.title),
        opt(r.expires_at),
        s(&r.created_by),
        n(r.created_at),
    ])?
    .run()
    .await?;
    Ok(())
}

/// The account's newest `limit` links, newest first.
pub async fn list(d1: &Db, account_id: &str, limit: u32) -> Result<Vec<LinkRecord>> {
    let rows: Vec<LinkRow> = d1
        .prepare(format!("SELECT {RECORD_COLS} WHERE l.account_id = ?1 ORDER BY l.created_at DESC, l.id DESC LIMIT ?2"))
        .bind(&[s(account_id), n(limit.into())])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(link_record).collect())
}

/// Link `id` of `account_id`, if it is one.
pub async fn record(d1: &Db, id: &str, account_id: &str) -> Result<Option<LinkRecord>> {
    let row: Option<LinkRow> = d1
        .prepare(format!("SELECT {RECORD_COLS} WHERE l.id = ?1 AND l.account_id = ?2"))
        .bind(&[s(id), s(account_id)])?
        .first(None)
        .await?;
    Ok(row.map(link_record))
}

/// Sets `revoked_at` of link `id` of `account_id` to `at`, once (a revoked link keeps its time).
pub async fn revoke(d1: &Db, id: &str, account_id: &str, at: u64) -> Result<()> {
    d1.prepare("UPDATE report_links SET revoked_at = ?1 WHERE id = ?2 AND account_id = ?3 AND revoked_at IS NULL")
        .bind(&[n(at), s(id), s(account_id)])?
        .run()
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_link_row_with_and_without_its_creator() {
        let row: LinkRow = serde_json::from_value(json!({
            "id": "rl_1", "account_id": "a1", "report": "by-operator", "query": "from=1&to=2&tz=UTC",
            "title": "Weekly", "expires_at": 99, "created_by": "op1", "created_by_name": "Dana",
            "created_at": 5, "revoked_at": null
        }))
        .unwrap();
        let r = link_record(row);
        assert_eq!((r.id.as_str(), r.report.as_str(), r.query.as_str()), ("rl_1", "by-operator", "from=1&to=2&tz=UTC"));
        assert_eq!(
            (r.expires_at, r.created_by_name.as_deref(), r.created_at, r.revoked_at),
            (Some(99), Some("Dana"), 5, None)
        );
        let gone: LinkRow = serde_json::from_value(json!({
            "id": "rl_2", "account_id": "a1", "report": "agents", "query": "", "title": "", "expires_at": null,
            "created_by": "op9", "created_by_name": null, "created_at": 6, "revoked_at": 7
        }))
        .unwrap();
        let r = link_record(gone);
        assert_eq!((r.expires_at, r.created_by_name, r.revoked_at), (None, None, Some(7)));
    }
}

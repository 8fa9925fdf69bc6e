//! Accounts (`accounts`): the name and the time zone reports are computed in.

use super::Db;
use parley_protocol::admin::AccountView;
use serde::Deserialize;
use worker::Result;

use super::s;

/// An `accounts` row.
#[derive(Debug, Deserialize)]
pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub time_zone: String,
}

impl AccountRow {
    pub fn into_api(self) -> AccountView {
        AccountView { id: self.id, name: self.name, time_zone: self.time_zone }
    }
}

pub async fn account(d1: &Db, id: &str) -> Result<Option<AccountRow>> {
    d1.prepare("SELECT id, name, time_zone FROM accounts WHERE id = ?1").bind(&[s(id)])?.first(None).await
}

pub async fn update(d1: &Db, id: &str, name: &str, time_zone: &str) -> Result<()> {
    d1.prepare("UPDATE accounts SET name = ?2, time_zone = ?3 WHERE id = ?1")
        .bind(&[s(id), s(name), s(time_zone)])?
        .run()
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_row_maps_to_its_view() {
        let row: AccountRow =
            serde_json::from_value(serde_json::json!({"id": "a_1", "name": "Shop", "time_zone": "Europe/Paris"}))
                .unwrap();
        assert_eq!(
            row.into_api(),
            AccountView { id: "a_1".into(), name: "Shop".into(), time_zone: "Europe/Paris".into() }
        );
    }
}

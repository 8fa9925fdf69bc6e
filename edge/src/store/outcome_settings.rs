//! The account's outcome settings (`success_codes`, `categories`, `goals`): read for the console
//! and the widget, replaced in ONE batch by an admin's save.

use std::collections::HashMap;

use super::Db;
use parley_protocol::outcomes::{Category, Goal, GoalPlan, OutcomeSettings};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Result;

use super::{n, s};

#[derive(Deserialize)]
struct NameRow {
    name: String,
}

#[derive(Deserialize)]
struct CategoryRow {
    id: String,
    parent_id: Option<String>,
    name: String,
}

#[derive(Deserialize)]
struct GoalRow {
    id: String,
    name: String,
    value: f64,
    url_glob: Option<String>,
    #[serde(default)]
    enabled: u32,
}

impl GoalRow {
    fn goal(self) -> Goal {
        Goal { id: self.id, name: self.name, value: self.value, url_glob: self.url_glob }
    }
}

/// The account's settings: success codes and categories (with their subs) in the admins'
/// order, and the enabled goals.
pub async fn load(d1: &Db, account_id: &str) -> Result<OutcomeSettings> {
    let codes: Vec<NameRow> = d1
        .prepare("SELECT name FROM success_codes WHERE account_id = ?1 ORDER BY position, created_at, id")
        .bind(&[s(account_id)])?
        .all()
        .await?
        .results()?;
    let rows: Vec<CategoryRow> = d1
        .prepare(
            "SELECT id, parent_id, name FROM categories WHERE account_id = ?1 \
             ORDER BY parent_id IS NOT NULL, position, created_at, id",
        )
        .bind(&[s(account_id)])?
        .all()
        .await?
        .results()?;
    let mut categories: Vec<Category> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for r in rows {
        match r.parent_id {
            None => {
                index.insert(r.id, categories.len());
                categories.push(Category { name: r.name, subs: Vec::new() });
            }
            Some(p) => {
                if let Some(&i) = index.get(&p) {
                    categories[i].subs.push(r.name);
                }
            }
        }
    }
    Ok(OutcomeSettings {
        success_codes: codes.into_iter().map(|c| c.name).collect(),
        categories,
        goals: widget_goals(d1, account_id).await?,
    })
}

/// The account's enabled goals in the admins' order (what the widget session carries).
pub async fn widget_goals(d1: &Db, account_id: &str) -> Result<Vec<Goal>> {
    Ok(all_goals(d1, account_id).await?.into_iter().filter(|g| g.enabled == 1).map(GoalRow::goal).collect())
}

async fn all_goals(d1: &Db, account_id: &str) -> Result<Vec<GoalRow>> {
    d1.prepare(
        "SELECT id, name, value, url_glob, enabled FROM goals WHERE account_id = ?1 \
         ORDER BY position, created_at, id",
    )
    .bind(&[s(account_id)])?
    .all()
    .await?
    .results()
}

/// The account's goals as stored (id, name), enabled or not: what a save is planned against.
pub async fn stored_goals(d1: &Db, account_id: &str) -> Result<Vec<(String, String)>> {
    Ok(all_goals(d1, account_id).await?.into_iter().map(|g| (g.id, g.name)).collect())
}

/// What a save writes: the success codes as `[id, name, position]`, the categories as
/// `[id, parent, name, position]` (parents before their subs), the goals with their plan.
pub struct Replacement<'a> {
    pub codes: &'a [serde_json::Value],
    pub categories: &'a [serde_json::Value],
    pub plan: &'a GoalPlan,
    pub goals: &'a [Goal],
}

/// Replaces the account's settings in ONE batch (all or nothing).
pub async fn replace(d1: &Db, account: &str, r: &Replacement<'_>, t: u64) -> Result<()> {
    let mut batch = vec![
        d1.prepare("DELETE FROM success_codes WHERE account_id = ?1").bind(&[s(account)])?,
        d1.prepare("DELETE FROM categories WHERE account_id = ?1 AND parent_id IS NOT NULL").bind(&[s(account)])?,
        d1.prepare("DELETE FROM categories WHERE account_id = ?1").bind(&[s(account)])?,
    ];
    batch.push(
        d1.prepare(
            "INSERT INTO success_codes (id, account_id, name, position, created_at) \
             SELECT json_extract(value, '$[0]'), ?2, json_extract(value, '$[1]'), json_extract(value, '$[2]'), ?3 \
             FROM json_each(?1)",
        )
        .bind(&[s(&serde_json::Value::Array(r.codes.to_vec()).to_string()), s(account), n(t)])?,
    );
    batch.push(
        d1.prepare(
            "INSERT INTO categories (id, account_id, parent_id, name, position, created_at) \
             SELECT json_extract(value, '$[0]'), ?2, json_extract(value, '$[1]'), json_extract(value, '$[2]'), \
             json_extract(value, '$[3]'), ?3 FROM json_each(?1)",
        )
        .bind(&[s(&serde_json::Value::Array(r.categories.to_vec()).to_string()), s(account), n(t)])?,
    );

    // Goals. Names are unique per account (disabled goals included), so kept goals first take
    // a placeholder name (two goals may swap names), a dropped goal holding a name now in use
    // is renamed out of the way, the rest of the dropped ones are disabled, then every kept
    // goal gets its values.
    for id in &r.plan.kept {
        batch.push(
            d1.prepare("UPDATE goals SET name = char(1) || id WHERE id = ?1 AND account_id = ?2")
                .bind(&[s(id), s(account)])?,
        );
    }
    for (id, name) in &r.plan.renamed_away {
        batch.push(d1.prepare("UPDATE goals SET name = ?3, enabled = 0 WHERE id = ?1 AND account_id = ?2").bind(&[
            s(id),
            s(account),
            s(name),
        ])?);
    }
    batch.push(
        d1.prepare(
            "UPDATE goals SET enabled = 0 WHERE account_id = ?1 AND id NOT IN (SELECT value FROM json_each(?2))",
        )
        .bind(&[s(account), s(&serde_json::to_string(&r.plan.kept)?)])?,
    );
    for (i, g) in r.goals.iter().enumerate() {
        let id = r.plan.ids[i].as_str();
        let url = g.url_glob.as_deref().map_or(JsValue::NULL, s);
        let value = JsValue::from_f64(g.value);
        let stmt = if r.plan.kept.iter().any(|k| k == id) {
            d1.prepare(
                "UPDATE goals SET name = ?3, value = ?4, url_glob = ?5, enabled = 1, position = ?6 \
                 WHERE id = ?1 AND account_id = ?2",
            )
            .bind(&[s(id), s(account), s(&g.name), value, url, n(i as u64)])?
        } else {
            d1.prepare(
                "INSERT INTO goals (id, account_id, name, value, url_glob, enabled, position, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7)",
            )
            .bind(&[s(id), s(account), s(&g.name), value, url, n(i as u64), n(t)])?
        };
        batch.push(stmt);
    }
    d1.batch(batch).await?;
    Ok(())
}

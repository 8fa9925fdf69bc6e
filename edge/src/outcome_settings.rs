//! The account's outcome settings: success codes, categories with sub-categories and goals
//! (`GET /api/v1/console/outcome-settings` for any operator of the account — the close form
//! needs them — and `POST` of the whole [`OutcomeSettings`] for admins), plus what the widget
//! session carries of them ([`widget_goals`], [`prechat_of`]).
//!
//! A save replaces the lists in ONE D1 batch (all or nothing). Success codes and categories are
//! rewritten (conversations copy the names they use); goals are matched by id so a rename keeps
//! the goal, goals sent with an empty id are new (or revive a disabled goal of the same name),
//! and goals left out are disabled, never deleted (conversations name them).
//!
//! Same rules as `admin.rs`: a live session (401), changes from the console's origin (403
//! `bad_origin`), changes by admins only (403 `forbidden`), every query filtered by account.

use std::collections::HashMap;

use crate::store::{n, s};
use parley_shared::outcomes::{plan_goals, Category, FormField, Goal, OutcomeSettings, MAX_OUTCOME_SETTINGS_BYTES};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, Request, Response, Result};

use crate::http::{self, fail, invalid};
use crate::store::operators::OperatorRow;
use crate::util::{new_id, now};
use parley_shared::error::ErrorCode;

/// `GET /api/v1/console/outcome-settings` (any operator of the account).
pub(crate) async fn get(env: &Env, me: &OperatorRow) -> Result<Response> {
    http::json(&load(&crate::store::db(env)?, &me.account_id).await?)
}

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
pub async fn load(d1: &D1Database, account_id: &str) -> Result<OutcomeSettings> {
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
pub async fn widget_goals(d1: &D1Database, account_id: &str) -> Result<Vec<Goal>> {
    Ok(all_goals(d1, account_id).await?.into_iter().filter(|g| g.enabled == 1).map(GoalRow::goal).collect())
}

async fn all_goals(d1: &D1Database, account_id: &str) -> Result<Vec<GoalRow>> {
    d1.prepare(
        "SELECT id, name, value, url_glob, enabled FROM goals WHERE account_id = ?1 \
         ORDER BY position, created_at, id",
    )
    .bind(&[s(account_id)])?
    .all()
    .await?
    .results()
}

/// A channel's stored pre-chat form (the `channels.prechat_form` JSON; unreadable → none).
pub fn prechat_of(json: &str) -> Vec<FormField> {
    serde_json::from_str(json).unwrap_or_default()
}

/// `POST /api/v1/console/outcome-settings` (admins): validate, then replace everything in one
/// batch; answers the stored settings.
pub(crate) async fn save(mut req: Request, env: &Env, me: &OperatorRow) -> Result<Response> {
    // Like `http::read_json`, with room for the lists at their limits.
    let Ok(text) = req.text().await else {
        return fail(ErrorCode::Malformed, "unreadable body");
    };
    if text.len() > MAX_OUTCOME_SETTINGS_BYTES {
        return fail(ErrorCode::TooLarge, "request body too large");
    }
    let body: OutcomeSettings = match serde_json::from_str(&text) {
        Ok(b) => b,
        Err(e) => return fail(ErrorCode::Malformed, format!("bad JSON body: {e}")),
    };
    let valid = match body.validate() {
        Ok(v) => v,
        Err(e) => return invalid(e),
    };
    let d1 = crate::store::db(env)?;
    let stored: Vec<(String, String)> =
        all_goals(&d1, &me.account_id).await?.into_iter().map(|g| (g.id, g.name)).collect();
    let fresh: Vec<String> = valid.goals.iter().map(|_| new_id("g")).collect();
    let plan = match plan_goals(&valid.goals, &stored, &fresh) {
        Ok(p) => p,
        Err(e) => return invalid(e),
    };
    let t = now().0;
    let account = me.account_id.as_str();

    let mut batch = vec![
        d1.prepare("DELETE FROM success_codes WHERE account_id = ?1").bind(&[s(account)])?,
        d1.prepare("DELETE FROM categories WHERE account_id = ?1 AND parent_id IS NOT NULL").bind(&[s(account)])?,
        d1.prepare("DELETE FROM categories WHERE account_id = ?1").bind(&[s(account)])?,
    ];
    // Rows travel as one bound JSON array each ([id, name, position] / [id, parent, name,
    // position]), parents before their subs, so a list is one statement whatever its length.
    let codes: Vec<serde_json::Value> =
        valid.success_codes.iter().enumerate().map(|(i, c)| serde_json::json!([new_id("sc"), c, i])).collect();
    batch.push(
        d1.prepare(
            "INSERT INTO success_codes (id, account_id, name, position, created_at) \
             SELECT json_extract(value, '$[0]'), ?2, json_extract(value, '$[1]'), json_extract(value, '$[2]'), ?3 \
             FROM json_each(?1)",
        )
        .bind(&[s(&serde_json::Value::Array(codes).to_string()), s(account), n(t)])?,
    );
    let mut cats: Vec<serde_json::Value> = Vec::new();
    let mut subs: Vec<serde_json::Value> = Vec::new();
    for (i, c) in valid.categories.iter().enumerate() {
        let id = new_id("cat");
        for (j, sub) in c.subs.iter().enumerate() {
            subs.push(serde_json::json!([new_id("cat"), id, sub, j]));
        }
        cats.push(serde_json::json!([id, serde_json::Value::Null, c.name, i]));
    }
    cats.extend(subs);
    batch.push(
        d1.prepare(
            "INSERT INTO categories (id, account_id, parent_id, name, position, created_at) \
             SELECT json_extract(value, '$[0]'), ?2, json_extract(value, '$[1]'), json_extract(value, '$[2]'), \
             json_extract(value, '$[3]'), ?3 FROM json_each(?1)",
        )
        .bind(&[s(&serde_json::Value::Array(cats).to_string()), s(account), n(t)])?,
    );

    // Goals. Names are unique per account (disabled goals included), so kept goals first take
    // a placeholder name (two goals may swap names), a dropped goal holding a name now in use
    // is renamed out of the way, the rest of the dropped ones are disabled, then every kept
    // goal gets its values.
    for id in &plan.kept {
        batch.push(
            d1.prepare("UPDATE goals SET name = char(1) || id WHERE id = ?1 AND account_id = ?2")
                .bind(&[s(id), s(account)])?,
        );
    }
    for (id, name) in &plan.renamed_away {
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
        .bind(&[s(account), s(&serde_json::to_string(&plan.kept)?)])?,
    );
    for (i, g) in valid.goals.iter().enumerate() {
        let id = plan.ids[i].as_str();
        let url = g.url_glob.as_deref().map_or(JsValue::NULL, s);
        let value = JsValue::from_f64(g.value);
        let stmt = if plan.kept.iter().any(|k| k == id) {
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
    http::json(&load(&d1, account).await?)
}

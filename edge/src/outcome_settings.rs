//! The account's outcome settings: success codes, categories with sub-categories and goals
//! (`GET /api/v1/console/outcome-settings` for any operator of the account — the close form
//! needs them — and `POST` of the whole [`OutcomeSettings`] for admins), plus what the widget
//! session carries of them ([`prechat_of`]; the goals: `store::outcome_settings::widget_goals`).
//!
//! A save replaces the lists in ONE D1 batch (all or nothing). Success codes and categories are
//! rewritten (conversations copy the names they use); goals are matched by id so a rename keeps
//! the goal, goals sent with an empty id are new (or revive a disabled goal of the same name),
//! and goals left out are disabled, never deleted (conversations name them).
//!
//! Same rules as `admin.rs`: a live session (401), changes from the console's origin (403
//! `bad_origin`), changes by admins only (403 `forbidden`), every query filtered by account.

use parley_protocol::outcomes::{plan_goals, FormField, OutcomeSettings, MAX_OUTCOME_SETTINGS_BYTES};
use worker::{Env, Request, Response, Result};

use crate::store;

use crate::http::{self, fail, invalid};
use crate::store::operators::OperatorRow;
use crate::util::{new_id, now};
use parley_protocol::error::ErrorCode;

/// `GET /api/v1/console/outcome-settings` (any operator of the account).
pub(crate) async fn get(env: &Env, me: &OperatorRow) -> Result<Response> {
    http::json(&store::outcome_settings::load(&store::directory(env)?, &me.account_id).await?)
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
    let d1 = store::directory(env)?;
    let stored: Vec<(String, String)> = store::outcome_settings::stored_goals(&d1, &me.account_id).await?;
    let fresh: Vec<String> = valid.goals.iter().map(|_| new_id("g")).collect();
    let plan = match plan_goals(&valid.goals, &stored, &fresh) {
        Ok(p) => p,
        Err(e) => return invalid(e),
    };
    let t = now().0;
    let account = me.account_id.as_str();

    // Rows travel as one bound JSON array each ([id, name, position] / [id, parent, name,
    // position]), parents before their subs, so a list is one statement whatever its length.
    let codes: Vec<serde_json::Value> =
        valid.success_codes.iter().enumerate().map(|(i, c)| serde_json::json!([new_id("sc"), c, i])).collect();
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
    let rows =
        store::outcome_settings::Replacement { codes: &codes, categories: &cats, plan: &plan, goals: &valid.goals };
    store::outcome_settings::replace(&d1, account, &rows, t).await?;
    http::json(&store::outcome_settings::load(&d1, account).await?)
}

//! What a conversation's end records on its D1 row and beside it: the visitor's survey, the
//! operator's outcome, the goals reached (`conversation_goals`).

use super::{Db, Shard};
use parley_protocol::outcomes::{Outcome, ReachedGoal};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Result;

use super::{changes, n, s};

/// Stores the survey unless one is already there (the first answer wins): whether it was stored.
pub async fn rate(d1: &Shard, conversation_id: &str, result: &str, comment: &str, at: u64) -> Result<bool> {
    let stmt = d1
        .prepare(
            "UPDATE conversations SET survey_result = ?2, survey_comment = ?3, rated_at = ?4 \
             WHERE id = ?1 AND survey_result = ''",
        )
        .bind(&[s(conversation_id), s(result), s(comment), n(at)])?;
    Ok(changes(stmt).await? > 0)
}

/// Stores the operator's outcome on the account's conversation.
pub async fn set_outcome(
    d1: &Shard,
    conversation_id: &str,
    account_id: &str,
    o: &Outcome,
    by: &str,
    at: u64,
) -> Result<()> {
    let opt = |v: &Option<String>| v.as_deref().map_or(JsValue::NULL, s);
    d1.prepare(
        "UPDATE conversations SET success_code = ?3, tags = ?4, category = ?5, sub_category = ?6, note = ?7, \
         outcome_by = ?8, outcome_at = ?9 WHERE id = ?1 AND account_id = ?2",
    )
    .bind(&[
        s(conversation_id),
        s(account_id),
        opt(&o.success_code),
        s(&serde_json::to_string(&o.tags)?),
        opt(&o.category),
        opt(&o.sub_category),
        s(&o.note),
        s(by),
        n(at),
    ])?
    .run()
    .await?;
    Ok(())
}

#[derive(Deserialize)]
struct GoalRow {
    id: String,
    name: String,
}

/// The account's enabled goals as (id, name).
pub async fn enabled_goals(d1: &Db, account_id: &str) -> Result<Vec<(String, String)>> {
    let rows: Vec<GoalRow> = d1
        .prepare("SELECT id, name FROM goals WHERE account_id = ?1 AND enabled = 1")
        .bind(&[s(account_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|k| (k.id, k.name)).collect())
}

/// Records goals (id, name, value) reached on the conversation, each once, in one batch.
pub async fn reach_goals(d1: &Shard, conversation_id: &str, goals: &[(&str, &str, f64)], at: u64) -> Result<()> {
    let mut batch = Vec::new();
    for (i, (goal_id, name, value)) in goals.iter().enumerate() {
        // Reached in the order sent (a millisecond apart keeps that order on the same clock tick).
        batch.push(
            d1.prepare(
                "INSERT OR IGNORE INTO conversation_goals (conversation_id, goal_id, name, value, reached_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(&[
                s(conversation_id),
                s(goal_id),
                s(name),
                JsValue::from_f64(*value),
                n(at + i as u64),
            ])?,
        );
    }
    if !batch.is_empty() {
        d1.batch(batch).await?;
    }
    Ok(())
}

/// A `conversation_goals` row.
#[derive(Debug, Deserialize)]
pub struct ReachedGoalRow {
    pub goal_id: String,
    pub name: String,
    pub value: f64,
    pub reached_at: u64,
}

impl ReachedGoalRow {
    pub fn into_api(self) -> ReachedGoal {
        ReachedGoal { goal_id: self.goal_id, name: self.name, value: self.value, at: self.reached_at }
    }
}

/// The goals reached on the conversation, in the order reached.
pub async fn recorded_goals(d1: &Shard, conversation_id: &str) -> Result<Vec<ReachedGoal>> {
    let rows: Vec<ReachedGoalRow> = d1
        .prepare(
            "SELECT goal_id, name, value, reached_at FROM conversation_goals WHERE conversation_id = ?1 \
             ORDER BY reached_at, goal_id",
        )
        .bind(&[s(conversation_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(ReachedGoalRow::into_api).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The widget's answer (`GoalsSaved`) is what it was when the row was sent as it came
    /// (`reached_at AS at`).
    #[test]
    fn a_goal_row_maps_to_the_reached_goal() {
        let row = serde_json::json!({"goal_id": "g_1", "name": "Signed up", "value": 49.5, "reached_at": 1700});
        let g = serde_json::from_value::<ReachedGoalRow>(row).unwrap().into_api();
        assert_eq!(g, ReachedGoal { goal_id: "g_1".into(), name: "Signed up".into(), value: 49.5, at: 1700 });
        assert_eq!(
            serde_json::to_string(&g).unwrap(),
            r#"{"goal_id":"g_1","name":"Signed up","value":49.5,"at":1700}"#
        );
    }
}

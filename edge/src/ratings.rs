//! `GET /api/v1/console/reports/ratings[.csv]?from=MS&to=MS[&channel=ID]` (admins of the
//! account): the visitors' ratings per operator and work shift, computed by
//! `parley_reports::ratings` from D1's activity intervals and closed conversations.
//! `channel` narrows the conversations counted (shifts are the operator's, across channels).

use crate::store::{n, s};
use parley_reports::ratings::{self, ActivityRow, RatedConversation};
use parley_reports::{self as reports, RatingsReport};
use worker::{Env, Request, Response, Result};

use crate::guard::Admin;
use crate::http;
use crate::tally::{csv_response, in_period, report_period, Period, DAY_MS};
use crate::util::now;

/// The operator's name as reports show it: first and last name, else the chat name.
const OPERATOR_NAME: &str = "COALESCE(NULLIF(TRIM(o.first_name || ' ' || o.last_name), ''), o.chat_name)";

async fn activity(env: &Env, account_id: &str, p: &Period) -> Result<Vec<ActivityRow>> {
    // From the start of the day before the period: a shift is built from a whole UTC day of
    // intervals, and one begun the evening before may reach into the period.
    let since = (p.from - p.from % DAY_MS).saturating_sub(DAY_MS);
    crate::db::db(env)?
        .prepare(format!(
            "SELECT a.operator_id, {OPERATOR_NAME} AS operator_name, a.state, a.start_at, a.end_at \
             FROM activity_intervals a JOIN operators o ON o.id = a.operator_id \
             WHERE a.account_id = ?1 AND o.account_id = ?1 AND a.state = 'online' AND a.start_at >= ?2 \
             AND a.start_at < ?3"
        ))
        .bind(&[s(account_id), n(since), n(p.to)])?
        .all()
        .await?
        .results()
}

async fn conversations(env: &Env, account_id: &str, p: &Period) -> Result<Vec<RatedConversation>> {
    let sql = format!(
        "SELECT c.operator_id, {OPERATOR_NAME} AS operator_name, c.closed_at, c.survey_result \
         FROM conversations c JOIN operators o ON o.id = c.operator_id \
         WHERE c.account_id = ?1 AND o.account_id = ?1 AND c.status = 'closed' AND c.closed_at >= ?2 \
         AND c.closed_at < ?3"
    );
    in_period(&crate::db::db(env)?, &sql, "c.channel_id", account_id, p).await
}

/// `which`: `ratings` (JSON [`RatingsReport`]) or `ratings.csv`.
pub async fn report(req: Request, env: &Env, op: &Admin, which: &str) -> Result<Response> {
    let p = match report_period(&req)? {
        Ok(p) => p,
        Err(resp) => return Ok(resp),
    };
    let (acts, convs) = (activity(env, &op.account_id, &p).await?, conversations(env, &op.account_id, &p).await?);
    let rows = ratings::rows(&acts, &convs, p.from, p.to, now().0);
    if which == "ratings" {
        return http::json(&RatingsReport { rows });
    }
    csv_response(reports::to_csv(&rows, &ratings::COLUMNS), "ratings.csv")
}

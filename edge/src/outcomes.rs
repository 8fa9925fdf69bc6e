//! How a conversation ends and who the visitor is (the edge side of `parley_protocol::outcomes`):
//!
//! - `POST /api/v1/widget/conversations/:id/survey`: the visitor's rating of a closed chat
//!   (first answer kept; the same answer again is acknowledged, a different one is 409).
//! - `POST /api/v1/widget/goals`: goals reached in the visitor's session, once per goal, on
//!   their conversation (open or closed).
//! - `POST /api/v1/console/conversations/:id/outcome`: the operator's success code, tags,
//!   category, sub-category and note (any operator of the account; while open or after).
//! - [`identify`] (for `widget_session`): `Parley.identify` checked against the channel's
//!   identity secret; the visitor id is derived from (account, user id).
//! - [`visitor_details`] (for `create_conversation`): the pre-chat answers checked against the
//!   channel's form, and who the visitor is (name, e-mail, identifier, anonymous).
//!
//! Refusals with a field answer `{"error":{"code","field","message"}}`; nothing is written
//! before every check passed.

use crate::store::{n, s};
use parley_core::auth;
use parley_protocol::api::{GoalsRequest, GoalsSaved, Identity, SurveyRequest, SurveySaved};
use parley_protocol::ids::is_valid_id;
use parley_protocol::outcomes::{
    accept_goals, prechat_answers, survey_again, visitor_identifier, FormField, Outcome, ReachedGoal, Survey,
};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, Request, Response, Result};

use crate::db::{self, ConversationRow, OperatorRow};
use crate::guard::{self, Visitor};
use crate::http::{self, fail, invalid, invalid_with};
use crate::util::now;
use parley_protocol::error::ErrorCode;

/// Longest user id a site may pass to `Parley.identify`.
pub const MAX_USER_ID_CHARS: usize = 200;
/// Most conversations listed for one visitor.
const VISITOR_LIST_LIMIT: u32 = 100;

/// The conversation when it is this visitor's, in this channel.
async fn visitors_conversation(
    d1: &D1Database,
    id: &str,
    channel_id: &str,
    visitor_id: &str,
) -> Result<Option<ConversationRow>> {
    if !is_valid_id(id) {
        return Ok(None);
    }
    Ok(db::conversation(d1, id).await?.filter(|c| c.channel_id == channel_id && c.visitor_id == visitor_id))
}

/// `POST /api/v1/widget/conversations/:id/survey`.
pub async fn survey(mut req: Request, env: &Env, id: &str) -> Result<Response> {
    let Visitor { body, origin } = match guard::visitor::<SurveyRequest>(&mut req, env).await? {
        Ok(v) => v,
        Err(resp) => return Ok(resp),
    };
    let resp = save_survey(env, id, body).await?;
    http::with_cors(resp, &origin)
}

async fn save_survey(env: &Env, id: &str, body: SurveyRequest) -> Result<Response> {
    let d1 = db::db(env)?;
    let Some(conv) = visitors_conversation(&d1, id, &body.channel_id, &body.visitor_id).await? else {
        return fail(ErrorCode::UnknownConversation, "no such conversation");
    };
    // D1 learns of the end a moment after the visitor does: ask the conversation's object.
    if conv.status != parley_protocol::protocol::Status::Closed && !object_says_closed(env, &conv.id).await? {
        return fail(ErrorCode::NotClosed, "the chat is still going on; rate it once it has ended");
    }
    let survey = match body.survey.validate() {
        Ok(s) => s,
        Err(e) => return invalid(e),
    };
    let result = Survey::result(Some(&survey));
    let comment = match &survey {
        Survey::Rated { comment, .. } => comment.as_str(),
        Survey::Skipped => "",
    };
    // The first answer wins; a retry of the same answer is acknowledged.
    let changed = d1
        .prepare(
            "UPDATE conversations SET survey_result = ?2, survey_comment = ?3, rated_at = ?4 \
             WHERE id = ?1 AND survey_result = ''",
        )
        .bind(&[s(&conv.id), s(result), s(comment), n(now().0)])?
        .run()
        .await?
        .meta()?
        .and_then(|m| m.changes)
        .unwrap_or(0);
    if changed == 0 {
        let stored = db::conversation(&d1, &conv.id).await?.ok_or("conversation vanished")?;
        if let Err(e) = survey_again((&stored.survey_result, &stored.survey_comment), (result, comment)) {
            return invalid_with(ErrorCode::AlreadyRated, e);
        }
    }
    http::json(&SurveySaved { survey_result: result.to_owned() })
}

async fn object_says_closed(env: &Env, conversation_id: &str) -> Result<bool> {
    let status = crate::stubs::ConversationStub::get(env, conversation_id)?.status().await?;
    Ok(status.as_deref() == Some("closed"))
}

#[derive(Deserialize)]
struct GoalRow {
    id: String,
    name: String,
}

/// `POST /api/v1/widget/goals`.
pub async fn goals(mut req: Request, env: &Env) -> Result<Response> {
    let Visitor { body, origin } = match guard::visitor::<GoalsRequest>(&mut req, env).await? {
        Ok(v) => v,
        Err(resp) => return Ok(resp),
    };
    let resp = save_goals(env, body).await?;
    http::with_cors(resp, &origin)
}

async fn save_goals(env: &Env, body: GoalsRequest) -> Result<Response> {
    let d1 = db::db(env)?;
    let Some(conv) = visitors_conversation(&d1, &body.conversation_id, &body.channel_id, &body.visitor_id).await?
    else {
        return fail(ErrorCode::UnknownConversation, "no such conversation");
    };
    let known: Vec<GoalRow> = d1
        .prepare("SELECT id, name FROM goals WHERE account_id = ?1 AND enabled = 1")
        .bind(&[s(&conv.account_id)])?
        .all()
        .await?
        .results()?;
    let known: Vec<(String, String)> = known.into_iter().map(|k| (k.id, k.name)).collect();
    let accepted = match accept_goals(&body.goals, &known) {
        Ok(a) => a,
        Err(e) => return invalid(e),
    };
    let t = now().0;
    let mut batch = Vec::new();
    for (i, (goal_id, name, value)) in accepted.into_iter().enumerate() {
        // Reached in the order sent (a millisecond apart keeps that order on the same clock tick).
        batch.push(
            d1.prepare(
                "INSERT OR IGNORE INTO conversation_goals (conversation_id, goal_id, name, value, reached_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(&[s(&conv.id), s(goal_id), s(name), JsValue::from_f64(value), n(t + i as u64)])?,
        );
    }
    if !batch.is_empty() {
        d1.batch(batch).await?;
    }
    http::json(&GoalsSaved { goals: recorded_goals(&d1, &conv.id).await? })
}

async fn recorded_goals(d1: &D1Database, conversation_id: &str) -> Result<Vec<ReachedGoal>> {
    d1.prepare(
        "SELECT goal_id, name, value, reached_at AS at FROM conversation_goals WHERE conversation_id = ?1 \
         ORDER BY reached_at, goal_id",
    )
    .bind(&[s(conversation_id)])?
    .all()
    .await?
    .results()
}

/// `POST /api/v1/console/conversations/:id/outcome` (body [`Outcome`], answered with the
/// stored one).
pub async fn outcome(mut req: Request, env: &Env, me: &OperatorRow, id: &str) -> Result<Response> {
    let body: Outcome = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let d1 = db::db(env)?;
    let conv = db::account_conversation(&d1, id, &me.account_id).await?;
    let Some(conv) = conv else {
        return fail(ErrorCode::UnknownConversation, "no such conversation");
    };
    let settings = crate::outcome_settings::load(&d1, &me.account_id).await?;
    let o = match body.validate(&settings) {
        Ok(o) => o,
        Err(e) => return invalid(e),
    };
    let opt = |v: &Option<String>| v.as_deref().map_or(JsValue::NULL, s);
    d1.prepare(
        "UPDATE conversations SET success_code = ?3, tags = ?4, category = ?5, sub_category = ?6, note = ?7, \
         outcome_by = ?8, outcome_at = ?9 WHERE id = ?1 AND account_id = ?2",
    )
    .bind(&[
        s(&conv.id),
        s(&me.account_id),
        opt(&o.success_code),
        s(&serde_json::to_string(&o.tags)?),
        opt(&o.category),
        opt(&o.sub_category),
        s(&o.note),
        s(&me.id),
        n(now().0),
    ])?
    .run()
    .await?;
    http::json(&o)
}

/// `GET /api/v1/console/conversations?visitor=<visitor_id>`: that visitor's conversations in
/// the operator's account, newest first.
pub async fn visitor_conversations(env: &Env, account_id: &str, visitor_id: &str) -> Result<Response> {
    let rows = match is_valid_id(visitor_id) {
        true => db::visitor_conversations(&db::db(env)?, account_id, visitor_id, VISITOR_LIST_LIMIT).await?,
        false => Vec::new(),
    };
    http::json(&parley_protocol::api::ConversationList { conversations: rows })
}

#[derive(Deserialize)]
struct ChannelIdentity {
    account_id: String,
    identity_secret: String,
    prechat_form: String,
}

async fn channel_identity(d1: &D1Database, channel_id: &str) -> Result<Option<ChannelIdentity>> {
    d1.prepare("SELECT account_id, identity_secret, prechat_form FROM channels WHERE id = ?1")
        .bind(&[s(channel_id)])?
        .first(None)
        .await
}

/// `Parley.identify` in a widget session: `Ok(visitor_id)` of the proven user (their details
/// stored; a page view that changes nothing writes nothing), or the 403 `bad_identity` refusal
/// (nothing written).
pub async fn identify(
    env: &Env,
    channel_id: &str,
    identity: &Identity,
) -> Result<std::result::Result<String, Response>> {
    let refuse = || fail(ErrorCode::BadIdentity, "The visitor's identity could not be verified.");
    let d1 = db::db(env)?;
    let Some(ch) = channel_identity(&d1, channel_id).await? else {
        return Ok(Err(refuse()?));
    };
    let n_chars = identity.id.chars().count();
    if n_chars == 0
        || n_chars > MAX_USER_ID_CHARS
        || ch.identity_secret.is_empty()
        || !auth::verify_identify(ch.identity_secret.as_bytes(), &identity.id, &identity.hash)
    {
        return Ok(Err(refuse()?));
    }
    let visitor_id = auth::identified_visitor_id(&guard::secret(env)?, &ch.account_id, &identity.id);
    let name: String = identity.name.trim().chars().take(200).collect();
    // An e-mail that is not one is left out rather than refusing a proven user.
    let email = parley_protocol::admin::email("email", &identity.email).unwrap_or_default();
    d1.prepare(
        "INSERT INTO identified_visitors (visitor_id, account_id, user_id, name, email, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (visitor_id) DO UPDATE SET \
         name = CASE WHEN excluded.name != '' THEN excluded.name ELSE identified_visitors.name END, \
         email = CASE WHEN excluded.email != '' THEN excluded.email ELSE identified_visitors.email END, \
         updated_at = excluded.updated_at \
         WHERE (excluded.name != '' AND excluded.name != identified_visitors.name) \
         OR (excluded.email != '' AND excluded.email != identified_visitors.email)",
    )
    .bind(&[s(&visitor_id), s(&ch.account_id), s(&identity.id), s(&name), s(&email), n(now().0)])?
    .run()
    .await?;
    Ok(Ok(visitor_id))
}

/// Who a new conversation's visitor is, from the pre-chat answers and their identity.
pub struct VisitorDetails {
    pub name: String,
    pub email: String,
    pub prechat: Vec<(String, String)>,
    pub identifier: String,
    pub anonymous: bool,
}

#[derive(Deserialize)]
struct IdentifiedRow {
    user_id: String,
    name: String,
    email: String,
}

/// Checks the pre-chat answers against the channel's form (an identified visitor skips the
/// form, so nothing is required of them): `Err` is the 400 naming the field. Writes nothing.
pub async fn visitor_details(
    d1: &D1Database,
    channel_id: &str,
    visitor_id: &str,
    answers: &[(String, String)],
) -> Result<std::result::Result<VisitorDetails, Response>> {
    let Some(ch) = channel_identity(d1, channel_id).await? else {
        return Ok(Err(fail(ErrorCode::UnknownChannel, "no such channel")?));
    };
    let known: Option<IdentifiedRow> = d1
        .prepare("SELECT user_id, name, email FROM identified_visitors WHERE visitor_id = ?1 AND account_id = ?2")
        .bind(&[s(visitor_id), s(&ch.account_id)])?
        .first(None)
        .await?;
    let mut form: Vec<FormField> = serde_json::from_str(&ch.prechat_form).unwrap_or_default();
    if known.is_some() {
        form.iter_mut().for_each(|f| f.required = false);
    }
    let prechat = match prechat_answers(&form, answers) {
        Ok(p) => p,
        Err(e) => return Ok(Err(invalid(e)?)),
    };
    let answer = |k: &str| prechat.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let name = answer("name").or_else(|| known.as_ref().map(|k| k.name.clone())).unwrap_or_default();
    let email = answer("email").or_else(|| known.as_ref().map(|k| k.email.clone())).unwrap_or_default();
    let (identifier, anonymous) =
        visitor_identifier(known.as_ref().map(|k| k.user_id.as_str()), &email, &name, visitor_id);
    let identifier = identifier.to_owned();
    Ok(Ok(VisitorDetails { name, email, prechat, identifier, anonymous }))
}

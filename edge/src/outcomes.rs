//! How a conversation ends and who the visitor is (the edge side of `parley_protocol::outcomes`):
//!
//! - `POST /api/v1/widget/conversations/:id/survey`: the visitor's rating of a closed chat
//!   (first answer kept; the same answer again is acknowledged, a different one is 409).
//! - `POST /api/v1/widget/goals`: goals reached in the visitor's session, once per goal, on
//!   their conversation (open or closed).
//! - `POST /api/v1/console/conversations/:id/outcome`: the operator's success code, tags,
//!   category, sub-category and note (any operator of the account; while open or after).
//! - [`identify`] (for `widget_session`): `Parley.identify` checked by the guard
//!   ([`guard::identified_visitor`]) against the channel's identity secret; the proven user's
//!   details are remembered.
//! - [`visitor_details`] (for `create_conversation`): the pre-chat answers checked against the
//!   channel's form, and who the visitor is (name, e-mail, identifier, anonymous).
//!
//! Refusals with a field answer `{"error":{"code","field","message"}}`; nothing is written
//! before every check passed.

use crate::store::{Db, Shard};
use parley_core::record::ConversationRecord;
use parley_core::start::{self, Known, VisitorDetails};
use parley_protocol::api::{GoalsRequest, GoalsSaved, Identity, SurveyRequest, SurveySaved};
use parley_protocol::ids::is_valid_id;
use parley_protocol::outcomes::{accept_goals, survey_again, FormField, Outcome, Survey};
use worker::{Env, Request, Response, Result};

use crate::store;

use crate::guard::{self, Visitor};
use crate::http::{self, fail, invalid, invalid_with};
use crate::store::operators::OperatorRow;
use crate::util::now;
use parley_protocol::error::ErrorCode;

/// Most conversations listed for one visitor.
const VISITOR_LIST_LIMIT: u32 = 100;

/// The conversation when it is this visitor's, in this channel, with the shard it is on (the
/// channel's account's).
pub(crate) async fn visitors_conversation(
    env: &Env,
    id: &str,
    channel_id: &str,
    visitor_id: &str,
) -> Result<Option<(ConversationRecord, Shard)>> {
    if !is_valid_id(id) || !is_valid_id(channel_id) {
        return Ok(None);
    }
    let Some((_, shard)) = crate::store::channel_shard(env, channel_id).await? else { return Ok(None) };
    let found = crate::store::conversations::conversation(&shard, id)
        .await?
        .filter(|c| c.channel_id == channel_id && c.visitor_id == visitor_id);
    Ok(found.map(|c| (c, shard)))
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
    let Some((conv, d1)) = visitors_conversation(env, id, &body.channel_id, &body.visitor_id).await? else {
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
    if !store::outcomes::rate(&d1, &conv.id, result, comment, now().0).await? {
        let stored = crate::store::conversations::conversation(&d1, &conv.id).await?.ok_or("conversation vanished")?;
        if let Err(e) = survey_again((stored.survey_result.as_str(), &stored.survey_comment), (result, comment)) {
            return invalid_with(ErrorCode::AlreadyRated, e);
        }
    }
    http::json(&SurveySaved { survey_result: result.to_owned() })
}

async fn object_says_closed(env: &Env, conversation_id: &str) -> Result<bool> {
    let status = crate::stubs::ConversationStub::get(env, conversation_id)?.status().await?;
    Ok(status.as_deref() == Some("closed"))
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
    let Some((conv, d1)) =
        visitors_conversation(env, &body.conversation_id, &body.channel_id, &body.visitor_id).await?
    else {
        return fail(ErrorCode::UnknownConversation, "no such conversation");
    };
    let known = store::outcomes::enabled_goals(&crate::store::directory(env)?, &conv.account_id).await?;
    let accepted = match accept_goals(&body.goals, &known) {
        Ok(a) => a,
        Err(e) => return invalid(e),
    };
    store::outcomes::reach_goals(&d1, &conv.id, &accepted, now().0).await?;
    http::json(&GoalsSaved { goals: store::outcomes::recorded_goals(&d1, &conv.id).await? })
}

/// `POST /api/v1/console/conversations/:id/outcome` (body [`Outcome`], answered with the
/// stored one).
pub async fn outcome(mut req: Request, env: &Env, me: &OperatorRow, id: &str) -> Result<Response> {
    let body: Outcome = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let d1 = crate::store::shard(env, &me.account_id).await?;
    let conv = crate::store::conversations::account_conversation(&d1, id, &me.account_id).await?;
    let Some(conv) = conv else {
        return fail(ErrorCode::UnknownConversation, "no such conversation");
    };
    let settings = crate::store::outcome_settings::load(&crate::store::directory(env)?, &me.account_id).await?;
    let o = match body.validate(&settings) {
        Ok(o) => o,
        Err(e) => return invalid(e),
    };
    store::outcomes::set_outcome(&d1, &conv.id, &me.account_id, &o, &me.id, now().0).await?;
    http::json(&o)
}

/// `GET /api/v1/console/conversations?visitor=<visitor_id>`: that visitor's conversations in
/// the operator's account, newest first.
pub async fn visitor_conversations(env: &Env, account_id: &str, visitor_id: &str) -> Result<Response> {
    let rows = match is_valid_id(visitor_id) {
        true => {
            crate::store::conversations::visitor_conversations(
                &crate::store::shard(env, account_id).await?,
                account_id,
                visitor_id,
                VISITOR_LIST_LIMIT,
            )
            .await?
        }
        false => Vec::new(),
    };
    http::json(&parley_protocol::api::ConversationList { conversations: store::conversations::summaries(&rows) })
}

/// `Parley.identify` in a widget session: `Ok(visitor_id)` of the proven user (their details
/// stored; a page view that changes nothing writes nothing), or the 403 `bad_identity` refusal
/// (nothing written).
pub async fn identify(
    env: &Env,
    channel_id: &str,
    identity: &Identity,
) -> Result<std::result::Result<String, Response>> {
    let d1 = crate::store::directory(env)?;
    let Some(ch) = store::visitors::channel_identity(&d1, channel_id).await? else {
        return Ok(Err(http::refuse(guard::bad_identity())?));
    };
    let visitor_id =
        match guard::identified_visitor(&ch.identity_secret, &ch.account_id, identity, &identified_key(env)?) {
            Ok(v) => v,
            Err(e) => return Ok(Err(http::refuse(e)?)),
        };
    let name: String = identity.name.trim().chars().take(200).collect();
    // An e-mail that is not one is left out rather than refusing a proven user.
    let email = parley_protocol::admin::email("email", &identity.email).unwrap_or_default();
    let who = store::visitors::Identified {
        visitor_id: &visitor_id,
        account_id: &ch.account_id,
        user_id: &identity.id,
        name: &name,
        email: &email,
    };
    store::visitors::remember(&crate::store::shard(env, &ch.account_id).await?, &who, now().0).await?;
    Ok(Ok(visitor_id))
}

/// The key identified visitor ids are derived with (the current one: ids do not rotate).
fn identified_key(env: &Env) -> Result<parley_core::keys::Key> {
    Ok(guard::keys(env, parley_core::keys::Purpose::IdentifiedId)?.current)
}

/// Loads what [`parley_core::start::visitor_details`] decides from (the channel's form, the
/// visitor's identity) and asks it: `Err` is the 404 for an unknown channel or the 400 naming
/// the field. Writes nothing.
pub async fn visitor_details(
    d1: &Db,
    shard: &Shard,
    channel_id: &str,
    visitor_id: &str,
    answers: &[(String, String)],
) -> Result<std::result::Result<VisitorDetails, Response>> {
    let Some(ch) = store::visitors::channel_identity(d1, channel_id).await? else {
        return Ok(Err(fail(ErrorCode::UnknownChannel, "no such channel")?));
    };
    let known = store::visitors::identified(shard, visitor_id, &ch.account_id).await?.map(|k| Known {
        user_id: k.user_id,
        name: k.name,
        email: k.email,
    });
    let form: Vec<FormField> = serde_json::from_str(&ch.prechat_form).unwrap_or_default();
    match start::visitor_details(form, known.as_ref(), answers, visitor_id) {
        Ok(who) => Ok(Ok(who)),
        Err(e) => Ok(Err(invalid(e)?)),
    }
}

//! One-time links (issue 20): an admin invites an operator by e-mail (the operator is created
//! without a password and gets a link to choose one), and anyone asks for a password reset by
//! username or e-mail address (a link to the operator's address, the same answer whatever was
//! asked). Only the SHA-256 of a link's token is stored (`store::credentials`); a link works
//! once (its row is deleted and read in one statement) until its expiry
//! (`INVITE_TTL_MS`, `RESET_TTL_MS`); setting a password from one ends the operator's sessions.
//!
//! The mails go through the outbox (`mail_out`: once per cause, sent after the answer).

use parley_core::auth;
use parley_mail::account_mails::{self, Invitation, PasswordReset};
use parley_mail::compose::{Address, Mail};
use parley_protocol::accounts::{InviteRequest, ResetRequest, SetPasswordRequest};
use parley_protocol::admin::FieldError;
use parley_protocol::error::ErrorCode;
use parley_protocol::i18n::Lang;
use parley_protocol::limits::{
    INVITE_TTL_MS, ONE_TIME_TOKEN_BYTES, RESET_MAX_PER_SUBJECT, RESET_TTL_MS, RESET_WINDOW_MS,
};
use worker::{Context, Env, Request, Response, Result};

use crate::http::{self, fail};
use crate::store::credentials::{self, TokenKind};
use crate::store::operators::OperatorRow;
use crate::util::{new_id, now, random_bytes};

/// A new link's token (for the mail) and its digest (for D1).
fn new_token() -> (String, String) {
    let token = auth::encode_token(&random_bytes::<ONE_TIME_TOKEN_BYTES>());
    let digest = auth::token_digest(&token);
    (token, digest)
}

/// The console's page for a link's token, on the origin the request came to.
fn link(req: &Request, token: &str) -> Result<String> {
    Ok(format!("{}/console#/password/{token}", req.url()?.origin().ascii_serialization()))
}

fn lang_of(languages_json: &str) -> Lang {
    serde_json::from_str::<Vec<String>>(languages_json)
        .ok()
        .and_then(|l| l.first().and_then(|t| Lang::of(t)))
        .unwrap_or(Lang::En)
}

/// Queues `content` to `to` under `key` on the account's shard; the rows to send.
async fn queue(
    env: &Env,
    account_id: &str,
    key: &str,
    to: Address,
    content: parley_mail::compose::Content,
) -> Result<Vec<crate::mail_out::Queued>> {
    let t = now().0;
    let shard = crate::store::shard(env, account_id).await?;
    let mail = Mail {
        from: Address::new("Parley", ""),
        to: vec![to],
        reply_to: None,
        message_id: String::new(),
        in_reply_to: None,
        date_s: (t / 1_000) as i64,
        content,
    };
    let out = crate::mail_out::Outgoing { key: key.to_owned(), account_id: account_id.to_owned(), mail };
    crate::mail_out::enqueue(env, &shard, &out, t).await
}

/// [`queue`], then the send after the answer; a failure is logged (the link is stored: an
/// admin can invite again).
async fn mail(
    env: &Env,
    ctx: &Context,
    account_id: &str,
    key: String,
    to: Address,
    content: parley_mail::compose::Content,
) {
    match queue(env, account_id, &key, to, content).await {
        Ok(queued) => crate::mail_out::send_after(ctx, env, account_id.to_owned(), queued),
        Err(e) => worker::console_error!("mail {key}: not queued: {e}"),
    }
}

/// `POST /api/v1/console/operators/invite` (admin): [`InviteRequest`] → 201 `OperatorView`;
/// the operator cannot log in until they chose a password from the mail's link.
pub(crate) async fn invite(mut req: Request, env: &Env, ctx: &Context, me: &OperatorRow) -> Result<Response> {
    let body: InviteRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let new = match body.validate() {
        Ok(v) => v,
        Err(e) => return http::invalid(e),
    };
    let d1 = crate::store::directory(env)?;
    let taken = || FieldError::new("username", "This username is taken; choose another.");
    if crate::store::operators::username_taken(&d1, &new.username).await? {
        return http::invalid_with(ErrorCode::UsernameTaken, taken());
    }
    let (id, t) = (new_id("op"), now().0);
    // No password: no hash verifies against an empty one (the login checks a dummy instead).
    let row = crate::store::operators::NewOperatorRow {
        id: &id,
        account_id: &me.account_id,
        username: &new.username,
        password_hash: "",
        profile: &new.profile,
        now: t,
    };
    if let Err(e) = crate::store::operators::insert_operator(&d1, &row).await {
        if crate::store::operators::username_taken(&d1, &new.username).await? {
            return http::invalid_with(ErrorCode::UsernameTaken, taken());
        }
        return Err(e);
    }
    let (token, digest) = new_token();
    credentials::add_token(&d1, &digest, TokenKind::Invite, &me.account_id, &id, t, t + INVITE_TTL_MS).await?;
    let account = crate::store::accounts::account(&d1, &me.account_id).await?.map(|a| a.name).unwrap_or_default();
    let content = account_mails::invitation(&Invitation {
        lang: lang_of(&me.languages),
        account: &account,
        inviter: &me.chat_name,
        username: &new.username,
        link: &link(&req, &token)?,
        days: INVITE_TTL_MS / 86_400_000,
    });
    let to = Address::new(&new.profile.chat_name, &new.profile.email);
    mail(env, ctx, &me.account_id, format!("invite/{id}/{}", &digest[..16]), to, content).await;
    crate::admin::operator_created(env, &me.account_id, &id).await
}

/// `POST /api/v1/auth/reset` (the console's origin): [`ResetRequest`] → always `{"ok":true}`,
/// answered before anything is looked up (the lookup, the links and the mails are work after
/// the answer), so neither the body nor the time tells whether it names an operator. A
/// username or address of enabled operators with an e-mail address gets each a link, at most
/// `RESET_MAX_PER_SUBJECT` an hour per thing asked (more are answered the same, send nothing).
pub(crate) async fn reset(mut req: Request, env: &Env, ctx: &Context) -> Result<Response> {
    let body: ResetRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let asked = body.login.trim().to_lowercase();
    let same = || http::json(&serde_json::json!({ "ok": true }));
    if asked.is_empty() || asked.len() > parley_protocol::limits::MAX_EMAIL_CHARS {
        return same();
    }
    let d1 = crate::store::directory(env)?;
    let window = parley_core::throttle::Window::of((RESET_MAX_PER_SUBJECT, RESET_WINDOW_MS));
    let t = now();
    let key = (format!("reset:{}", auth::token_digest(&asked)), window.start(t));
    let count = crate::store::throttle::count(&d1, &[key], 1).await?[0];
    if window.verdict(count, t).is_err() {
        return same();
    }
    let origin = req.url()?.origin().ascii_serialization();
    let env = env.clone();
    crate::cost::after(ctx, async move {
        if let Err(e) = send_resets(&env, &asked, &origin, t.0).await {
            worker::console_error!("password reset: {e}");
        }
    });
    same()
}

/// The reset links of the operators `asked` names, and their mails, sent at once.
async fn send_resets(env: &Env, asked: &str, origin: &str, t: u64) -> Result<()> {
    let d1 = crate::store::directory(env)?;
    for op in credentials::reset_targets(&d1, asked).await? {
        let (token, digest) = new_token();
        credentials::add_token(&d1, &digest, TokenKind::Reset, &op.account_id, &op.id, t, t + RESET_TTL_MS).await?;
        let content = account_mails::password_reset(&PasswordReset {
            lang: lang_of(&op.languages),
            username: &op.username,
            link: &format!("{origin}/console#/password/{token}"),
            minutes: RESET_TTL_MS / 60_000,
        });
        let to = Address::new(&op.first_name, &op.email);
        let queued = queue(env, &op.account_id, &format!("reset/{}", &digest[..16]), to, content).await?;
        let shard = crate::store::shard(env, &op.account_id).await?;
        crate::mail_out::send(env, &shard, &queued, now().0).await?;
    }
    Ok(())
}

/// `POST /api/v1/auth/password` (the console's origin): [`SetPasswordRequest`] → `{"ok":true}`;
/// 410 `bad_link` for a token unknown, used or expired. The password is checked before the
/// link is spent; the operator's sessions end.
pub(crate) async fn set_password(mut req: Request, env: &Env) -> Result<Response> {
    let body: SetPasswordRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let password = match parley_protocol::admin::password(&body.password) {
        Ok(p) => p,
        Err(e) => return http::invalid(e),
    };
    let d1 = crate::store::directory(env)?;
    let t = now().0;
    let bad = || fail(ErrorCode::BadLink, "this link is unknown, used or expired");
    if body.token.is_empty() || body.token.len() > 100 {
        return bad();
    }
    let Some(owner) = credentials::take_token(&d1, &auth::token_digest(body.token.trim())).await? else {
        return bad();
    };
    if owner.expires_at <= t {
        return bad();
    }
    let hash = crate::auth::new_password_hash(env, &password).await?;
    if !credentials::set_password(&d1, &owner.account_id, &owner.operator_id, &hash, t).await? {
        return bad();
    }
    crate::auth::end_operator_sessions(env, &owner.account_id, &owner.operator_id, None).await?;
    http::json(&serde_json::json!({ "ok": true, "kind": owner.kind }))
}

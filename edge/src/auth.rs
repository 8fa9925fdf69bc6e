//! Logging in and out, operator passwords, and sessions that end everywhere.
//!
//! - `POST /api/v1/auth/login`: throttled per username and per client address
//!   (`parley_core::login::Throttle`, attempts in D1 `login_attempts`), then one PBKDF2 through
//!   WebCrypto whatever the outcome (an unknown username checks a dummy hash, a disabled
//!   operator's password is checked before the refusal), so timing tells nothing. An older hash
//!   is replaced by the current scheme (`parley_core::password`) at the first successful login;
//!   so is a hash peppered under `PARLEY_SECRET_PREVIOUS` during a rotation of the secret.
//! - Logout, disabling an operator and a new password end the sessions in D1 *and* close their
//!   open sockets: the conversations a session has sockets in are kept in D1
//!   (`operator_sockets`, written when an operator's socket opens), and each is sent a
//!   `Revoke`. Between revocations an operator socket trusts its session from memory and looks
//!   it up at most once a minute ([`parley_core::login::SocketCheck`]).
//! - [`purge_expired_sessions`]: deletes sessions past their end or idle, old login attempts,
//!   and closes the sockets of the sessions it deleted. Called at every successful login; a
//!   scheduled job may call it too.

use std::collections::BTreeMap;

use parley_core::auth;
use parley_core::login::{self, SessionTimes, Throttle};
use parley_core::password::{self, Derive, LoginCheck, Peppers, HASH_BYTES, SALT_BYTES};
use parley_protocol::api::LoginRequest;
use parley_protocol::error::{ApiError, ErrorCode};
use parley_protocol::limits::cloudflare::MAX_REVOKES_PER_REQUEST;
use parley_protocol::limits::{MAX_PASSWORD_LEN, MAX_USERNAME_LEN, SESSION_TTL_MS};
use wasm_bindgen::{JsCast, JsValue};
use worker::js_sys::{self, Array, Object, Reflect, Uint8Array};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Env, Request, Response, Result};

use crate::guard;
use crate::http::{self, fail};
use crate::store::sessions::SocketRow;
use crate::stubs::ConversationStub;
use crate::util::{new_id, now, random_bytes};

/// The peppers of this deployment (from `PARLEY_SECRET` under their own label, as every other
/// purpose's key is: logins need them): the current one and, during a rotation, the previous
/// secret's (`PARLEY_SECRET_PREVIOUS`).
fn peppers(env: &Env) -> Result<Peppers> {
    let config = crate::config::get(env)?;
    let secret = config.secret.as_deref().ok_or_else(|| worker::Error::RustError("PARLEY_SECRET is not set".into()))?;
    Ok(Peppers::from_secrets(secret.as_bytes(), config.previous_secret.as_deref().map(str::as_bytes)))
}

/// The caller's address as Cloudflare saw it (`CF-Connecting-IP`); none in local development.
pub(crate) fn client_address(req: &Request) -> Option<String> {
    req.headers().get("CF-Connecting-IP").ok().flatten()
}

/// PBKDF2-HMAC-SHA256 through WebCrypto (native code: about a tenth of the CPU of the same
/// rounds in wasm). Refuses iteration counts Cloudflare's production would refuse, so a test
/// under `wrangler dev` (which accepts any) cannot pass with them.
async fn pbkdf2(d: &Derive) -> Result<Vec<u8>> {
    if !password::production_accepts(d.iterations) {
        return Err(worker::Error::RustError(format!("PBKDF2 with {} iterations", d.iterations)));
    }
    let subtle = Reflect::get(&Reflect::get(&js_sys::global(), &"crypto".into())?, &"subtle".into())?;
    let method = |name: &str| -> Result<js_sys::Function> {
        Ok(Reflect::get(&subtle, &name.into())?.dyn_into::<js_sys::Function>()?)
    };
    let usages = Array::of1(&"deriveBits".into());
    let args = Array::of5(
        &"raw".into(),
        &Uint8Array::from(d.input.as_slice()).into(),
        &"PBKDF2".into(),
        &JsValue::FALSE,
        &usages.into(),
    );
    let key = JsFuture::from(method("importKey")?.apply(&subtle, &args)?.dyn_into::<js_sys::Promise>()?).await?;
    let alg = Object::new();
    Reflect::set(&alg, &"name".into(), &"PBKDF2".into())?;
    Reflect::set(&alg, &"hash".into(), &password::DIGEST.into())?;
    Reflect::set(&alg, &"salt".into(), &Uint8Array::from(d.salt.as_slice()).into())?;
    Reflect::set(&alg, &"iterations".into(), &JsValue::from(d.iterations))?;
    let bits = method("deriveBits")?.call3(&subtle, &alg, &key, &JsValue::from((HASH_BYTES * 8) as u32))?;
    let bits = JsFuture::from(bits.dyn_into::<js_sys::Promise>()?).await?;
    Ok(Uint8Array::new(&bits).to_vec())
}

/// A new stored hash of `password` under the current pepper (new operators, password changes,
/// upgrades).
pub(crate) async fn new_password_hash(env: &Env, password: &str) -> Result<String> {
    let pepper = peppers(env)?.current;
    let salt = random_bytes::<SALT_BYTES>();
    let derived = pbkdf2(&password::derive_new(password, salt, &pepper)).await?;
    Ok(password::new_hash(salt, &derived, &pepper))
}

/// 429 `too_many_attempts` with `Retry-After`.
fn too_many_attempts(retry_after_secs: u64) -> Result<Response> {
    let minutes = retry_after_secs.div_ceil(60);
    let e = ApiError::new(
        ErrorCode::TooManyAttempts,
        format!("too many login attempts; try again in {minutes} minute{}", if minutes == 1 { "" } else { "s" }),
    );
    let resp = http::refuse(e)?;
    let headers = resp.headers().clone();
    headers.set("Retry-After", &retry_after_secs.to_string())?;
    Ok(resp.with_headers(headers))
}

/// `POST /api/v1/auth/login` (from the console's origin: [`guard::Guard::SameOrigin`]).
pub(crate) async fn login(mut req: Request, env: &Env) -> Result<Response> {
    let body: LoginRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    if body.username.len() > MAX_USERNAME_LEN || body.password.len() > MAX_PASSWORD_LEN {
        return fail(ErrorCode::TooLong, "username or password too long");
    }
    let username = body.username.trim().to_lowercase();
    let peppers = peppers(env)?;
    let d1 = crate::store::directory(env)?;
    let t = now().0;

    // The attempt is recorded before anything is checked, so parallel attempts count too.
    let (user_key, address_key) = (login::username_key(&username), login::address_key(client_address(&req).as_deref()));
    let attempt = new_id("la");
    let cutoff = Throttle::USERNAME.cutoff(t).min(Throttle::ADDRESS.cutoff(t));
    let seen = crate::store::sessions::record_attempt(&d1, &attempt, &[&user_key, &address_key], t, cutoff).await?;
    let verdict = Throttle::USERNAME.verdict(&seen[0], t).and(Throttle::ADDRESS.verdict(&seen[1], t));
    if let Some(secs) = verdict.retry_after_secs() {
        // A refused attempt does not extend the wait.
        for key in [&user_key, &address_key] {
            crate::store::sessions::forget_attempt(&d1, &attempt, key).await?;
        }
        return too_many_attempts(secs);
    }

    // One PBKDF2 of the stored hash's parameters under the pepper it names (the current or,
    // during a rotation, the previous secret's), or of the dummy's (the current ones) for an
    // unknown username, an unreadable hash or one of a forgotten secret; a disabled operator's
    // password is checked too.
    let op = crate::store::operators::operator_by_username(&d1, &username).await?;
    let check = LoginCheck::plan(op.as_ref().map(|o| o.password_hash.as_str()), &body.password, &peppers);
    let derived = pbkdf2(&check.run).await?;
    let matched = check.matches(&derived);
    let Some(op) = op.filter(|o| matched && o.disabled == 0) else {
        return fail(ErrorCode::BadCredentials, "wrong username or password");
    };
    // Two-factor login: the code of the operator's authenticator, once (the attempt counts).
    if let Some(refusal) = crate::two_factor::login_check(&d1, &op, body.totp.as_deref()).await? {
        return Ok(refusal);
    }

    // In: the username's count starts again, this attempt no longer counts for the address.
    crate::store::sessions::clear_attempts(&d1, &user_key).await?;
    crate::store::sessions::forget_attempt(&d1, &attempt, &address_key).await?;
    if check.needs_upgrade(&peppers) {
        let upgraded = new_password_hash(env, &body.password).await?;
        crate::store::operators::upgrade_password_hash(&d1, &op.id, &op.password_hash, &upgraded).await?;
    }
    if let Err(e) = purge_expired_sessions(env, t).await {
        worker::console_error!("purging expired sessions: {e}");
    }
    let token = auth::encode_token(&random_bytes::<32>());
    crate::store::sessions::insert_session(&d1, &auth::token_digest(&token), &op, t, t + SESSION_TTL_MS).await?;
    let resp = http::json(&crate::api::me_of(&op))?;
    let headers = resp.headers().clone();
    headers.set("Set-Cookie", &guard::session_cookie(&req, &token, SESSION_TTL_MS / 1000))?;
    Ok(resp.with_headers(headers))
}

/// `POST /api/v1/auth/logout` (from the console's origin): logs the operator out everywhere —
/// every session of theirs ends and every socket of those sessions closes at once (a console
/// left open in another browser stops receiving the moment they log out here). A session that
/// no longer exists ends its own sockets only.
pub(crate) async fn logout(req: Request, env: &Env) -> Result<Response> {
    if let Some(digest) = guard::session_digest(&req) {
        let d1 = crate::store::directory(env)?;
        match crate::store::sessions::session_owner(&d1, &digest).await? {
            Some(owner) => end_operator_sessions(env, &owner.account_id, &owner.operator_id, None).await?,
            None => {
                crate::store::sessions::delete_session(&d1, &digest).await?;
                let sockets = crate::store::sessions::take_session_sockets(&d1, &digest).await?;
                revoke(env, sockets).await;
            }
        }
    }
    let resp = http::json(&serde_json::json!({ "ok": true }))?;
    let headers = resp.headers().clone();
    headers.set("Set-Cookie", &guard::session_cookie(&req, "", 0))?;
    Ok(resp.with_headers(headers))
}

/// Ends the operator's console sessions but `keep` (the caller's own) and closes their
/// sockets: a disabled operator, a new password.
pub(crate) async fn end_operator_sessions(
    env: &Env,
    account_id: &str,
    operator_id: &str,
    keep: Option<&str>,
) -> Result<()> {
    let d1 = crate::store::directory(env)?;
    crate::store::sessions::end_sessions(&d1, account_id, operator_id, keep).await?;
    let sockets = crate::store::sessions::take_operator_sockets(&d1, account_id, operator_id, keep).await?;
    revoke(env, sockets).await;
    Ok(())
}

/// Deletes the sessions past their end or idle for [`parley_protocol::limits::SESSION_IDLE_MS`]
/// and login attempts outside every window, and closes the deleted sessions' sockets. Called
/// at each successful login; safe to call from anywhere (a scheduled job) at any time.
pub async fn purge_expired_sessions(env: &Env, now_ms: u64) -> Result<()> {
    let d1 = crate::store::directory(env)?;
    let attempts_cutoff = Throttle::USERNAME.cutoff(now_ms).min(Throttle::ADDRESS.cutoff(now_ms));
    let sockets =
        crate::store::sessions::purge_expired(&d1, now_ms, SessionTimes::idle_cutoff(now_ms), attempts_cutoff).await?;
    revoke(env, sockets).await;
    Ok(())
}

/// Tells each conversation to close the sockets of these sessions, all at once: at most
/// [`MAX_REVOKES_PER_REQUEST`] conversations (each call is a subrequest of this request, and
/// Cloudflare caps them: [`parley_protocol::limits::cloudflare`]). A failure, or a conversation
/// past the bound, is logged: its socket still finds out at its next session check (within a
/// minute), the sessions being gone.
async fn revoke(env: &Env, sockets: Vec<SocketRow>) {
    let mut by_conversation: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in sockets {
        by_conversation.entry(row.conversation_id).or_default().push(row.session_digest);
    }
    if by_conversation.len() > MAX_REVOKES_PER_REQUEST {
        worker::console_log!(
            "revoking in {} conversations now; {} more close at their next session check",
            MAX_REVOKES_PER_REQUEST,
            by_conversation.len() - MAX_REVOKES_PER_REQUEST
        );
    }
    let calls = by_conversation.into_iter().take(MAX_REVOKES_PER_REQUEST).map(|(id, sessions)| async move {
        let result = match ConversationStub::get(env, &id) {
            Ok(stub) => stub.revoke(sessions).await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            worker::console_error!("revoking sessions in {id}: {e}");
        }
    });
    futures_util::future::join_all(calls).await;
}

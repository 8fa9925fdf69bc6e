//! A fresh deployment's setup (issue 20): `/console/setup` creates the first account, its
//! admin, its first channel and hostname, and answers the snippet — only with the setup code
//! derived from `PARLEY_SECRET` (`parley_core::setup`, printed by `make setup-code`), so
//! whoever finds a fresh deployment first cannot claim it.
//!
//! - `GET /console/setup`: the console's page while the directory holds no account, 404 after.
//! - `GET /api/v1/setup`: `{"open": bool}`.
//! - `POST /api/v1/setup` (the console's origin): 409 `already_set_up` once there is an
//!   account; wrong codes are counted per client address (`rate_windows`) and refused with
//!   403 `bad_setup_code`, more than `SETUP_MAX_WRONG_CODES` in `SETUP_WINDOW_MS` with 429
//!   `rate_limited` before the code is checked; then the fields; then one batch whose first
//!   statement claims the deployment (`store::setup`): of two racing setups one commits.

use parley_core::setup::is_setup_code;
use parley_core::throttle::Window;
use parley_protocol::accounts::{widget_snippet, SetupDone, SetupRequest, SetupState};
use parley_protocol::error::{ApiError, ErrorCode};
use parley_protocol::limits::{SETUP_MAX_WRONG_CODES, SETUP_WINDOW_MS};
use worker::{Env, Request, Response, Result};

use crate::http::{self, fail};
use crate::store::setup::SetupIds;
use crate::util::{new_id, now, random_bytes};

/// `GET /api/v1/setup`.
pub(crate) async fn state(env: &Env) -> Result<Response> {
    let open = crate::store::setup::open(&crate::store::directory(env)?).await?;
    http::json(&SetupState { open })
}

/// `GET /console/setup`: the console (which shows its setup form on this path) while the
/// deployment has no account; 404 once it has one.
pub(crate) async fn page(req: &Request, env: &Env) -> Result<Response> {
    if !crate::store::setup::open(&crate::store::directory(env)?).await? {
        return fail(ErrorCode::NotFound, "no such page");
    }
    let origin = req.url()?.origin().ascii_serialization();
    let mut page = env.assets("ASSETS")?.fetch(format!("{origin}/console"), None).await?;
    if page.status_code() != 200 {
        return fail(ErrorCode::NotFound, "console page missing from the assets");
    }
    // The console's own headers (public/_headers gives them to `/console`, not to this path).
    let mut resp = Response::from_html(page.text().await?)?;
    let headers = resp.headers_mut();
    headers.set("Content-Security-Policy", CONSOLE_CSP)?;
    headers.set("X-Frame-Options", "DENY")?;
    headers.set("Referrer-Policy", "no-referrer")?;
    headers.set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// `public/_headers`' policy of `/console`.
const CONSOLE_CSP: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
                           img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
                           form-action 'self'; frame-ancestors 'none'";

fn throttle_key(req: &Request) -> String {
    format!("setup:{}", parley_core::login::address_key(crate::auth::client_address(req).as_deref()))
}

/// `POST /api/v1/setup`: [`SetupRequest`] → 201 [`SetupDone`].
pub(crate) async fn setup(mut req: Request, env: &Env) -> Result<Response> {
    let d1 = crate::store::directory(env)?;
    if !crate::store::setup::open(&d1).await? {
        return fail(ErrorCode::AlreadySetUp, "this deployment already has an account");
    }
    let body: SetupRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let config = crate::config::get(env)?;
    let secret = config.secret.as_deref().ok_or_else(|| worker::Error::RustError("PARLEY_SECRET is not set".into()))?;

    // Wrong codes only are counted: read the window's count first (a weight of 0).
    let window = Window::of((SETUP_MAX_WRONG_CODES, SETUP_WINDOW_MS));
    let t = now();
    let key = (throttle_key(&req), window.start(t));
    let wrong_so_far = crate::store::throttle::count(&d1, std::slice::from_ref(&key), 0).await?[0];
    if let Err(refused) = window.verdict(wrong_so_far + 1, t) {
        let resp = http::refuse(ApiError::new(ErrorCode::RateLimited, "too many wrong setup codes; try again later"))?;
        let headers = resp.headers().clone();
        headers.set("Retry-After", &refused.retry_after_secs().to_string())?;
        return Ok(resp.with_headers(headers));
    }
    if !is_setup_code(secret.as_bytes(), &body.code) {
        crate::store::throttle::count(&d1, &[key], 1).await?;
        return http::invalid_with(
            ErrorCode::BadSetupCode,
            parley_protocol::admin::FieldError::new("code", "this is not the setup code of this deployment"),
        );
    }
    let valid = match body.validate() {
        Ok(v) => v,
        Err(e) => return http::invalid(e),
    };
    if crate::store::operators::username_taken(&d1, &valid.admin.username).await? {
        return fail(ErrorCode::UsernameTaken, "username taken");
    }

    let password_hash = crate::auth::new_password_hash(env, &valid.admin.password).await?;
    let (account, operator, channel, button) = (new_id("acc"), new_id("op"), new_id("ch"), new_id("btn"));
    let identity_secret: String = random_bytes::<32>().iter().map(|b| format!("{b:02x}")).collect();
    let host_ids: Vec<String> = valid.channel.hosts.iter().map(|_| new_id("h")).collect();
    // The account's shard: the emptiest (0 on an empty deployment); its anchors first.
    let counts = crate::store::setup::accounts_per_shard(&d1).await?;
    let shard = parley_core::shards::place(&counts, config.d1_shards);
    let at = t.0;
    crate::store::directory::anchor(&crate::store::shard_at(env, shard)?, &account, Some(&channel), at).await?;
    let ids = SetupIds {
        account: &account,
        shard,
        operator: &operator,
        channel: &channel,
        button: &button,
        identity_secret: &identity_secret,
        host_ids: &host_ids,
    };
    if let Err(e) = crate::store::setup::create(&d1, &valid, &ids, &password_hash, at).await {
        // Claimed meanwhile (a racing setup): the batch changed nothing.
        if !crate::store::setup::open(&d1).await? {
            return fail(ErrorCode::AlreadySetUp, "this deployment already has an account");
        }
        return Err(e);
    }
    let origin = req.url()?.origin().ascii_serialization();
    let done = SetupDone {
        account_id: account,
        channel_id: channel.clone(),
        username: valid.admin.username,
        snippet: widget_snippet(&origin, &channel),
    };
    Ok(http::json(&done)?.with_status(201))
}

//! Two-factor login for operators (issue 20): TOTP (RFC 6238, `parley_core::totp`).
//!
//! - `GET /api/v1/console/totp`: `{"enabled": bool}` for the operator.
//! - `POST /api/v1/console/totp/begin`: a new secret (base32 and `otpauth://` URI), kept as
//!   pending; not in force until `POST /api/v1/console/totp/confirm {code}` proves the
//!   authenticator has it.
//! - `POST /api/v1/console/totp/disable {code}`: off, with a current code.
//! - Login (`auth::login`) asks for the code once the password is right (401
//!   `totp_required`); a code is accepted once (its step is stored, atomically later than the
//!   last one), a wrong or replayed one is 401 `bad_totp_code`; every attempt counts in the
//!   login throttle.

use parley_core::totp::{self, Refusal};
use parley_protocol::accounts::{TotpCode, TotpEnrolment, TotpState};
use parley_protocol::error::ErrorCode;
use parley_protocol::limits::TOTP_SECRET_BYTES;
use worker::{Env, Request, Response, Result};

use crate::http::{self, fail};
use crate::store::credentials;
use crate::store::operators::OperatorRow;
use crate::util::{now, random_bytes};

/// The issuer shown in authenticator apps.
const ISSUER: &str = "Parley";

pub(crate) async fn state(env: &Env, me: &OperatorRow) -> Result<Response> {
    let row = credentials::totp(&crate::store::directory(env)?, &me.account_id, &me.id).await?.unwrap_or_default();
    http::json(&TotpState { enabled: row.totp_secret.is_some() })
}

pub(crate) async fn begin(env: &Env, me: &OperatorRow) -> Result<Response> {
    let secret = random_bytes::<TOTP_SECRET_BYTES>();
    let text = totp::base32(&secret);
    credentials::set_pending(&crate::store::directory(env)?, &me.account_id, &me.id, &text).await?;
    http::json(&TotpEnrolment { uri: totp::otpauth_uri(ISSUER, &me.username, &secret), secret: text })
}

fn bad_code(refusal: Refusal) -> Result<Response> {
    match refusal {
        Refusal::Wrong => fail(ErrorCode::BadTotpCode, "wrong two-factor code"),
        Refusal::Replayed => fail(ErrorCode::BadTotpCode, "this two-factor code was already used; wait for the next"),
    }
}

pub(crate) async fn confirm(mut req: Request, env: &Env, me: &OperatorRow) -> Result<Response> {
    let body: TotpCode = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let d1 = crate::store::directory(env)?;
    let row = credentials::totp(&d1, &me.account_id, &me.id).await?.unwrap_or_default();
    let Some(pending) = row.totp_pending else {
        return fail(ErrorCode::Malformed, "no two-factor enrolment under way: begin one first");
    };
    let secret = totp::from_base32(&pending).unwrap_or_default();
    let step = match totp::check(&secret, &body.code, now().0, row.totp_last_step) {
        Ok(step) => step,
        Err(r) => return bad_code(r),
    };
    if !credentials::confirm(&d1, &me.account_id, &me.id, &pending, step).await? {
        return fail(ErrorCode::BadTotpCode, "another enrolment replaced this one");
    }
    http::json(&TotpState { enabled: true })
}

pub(crate) async fn disable(mut req: Request, env: &Env, me: &OperatorRow) -> Result<Response> {
    let body: TotpCode = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let d1 = crate::store::directory(env)?;
    let row = credentials::totp(&d1, &me.account_id, &me.id).await?.unwrap_or_default();
    if let Some(secret) = row.totp_secret.as_deref() {
        match check_and_use(&d1, me, secret, &body.code, row.totp_last_step).await? {
            Ok(()) => credentials::disable(&d1, &me.account_id, &me.id).await?,
            Err(r) => return bad_code(r),
        }
    }
    http::json(&TotpState { enabled: false })
}

/// Checks `code` against the operator's secret in force and spends its step (one statement:
/// of two uses of one code, one passes).
pub(crate) async fn check_and_use(
    d1: &crate::store::Db,
    op: &OperatorRow,
    secret: &str,
    code: &str,
    last_step: u64,
) -> Result<std::result::Result<(), Refusal>> {
    let bytes = totp::from_base32(secret).unwrap_or_default();
    match totp::check(&bytes, code, now().0, last_step) {
        Ok(step) => match credentials::use_step(d1, &op.account_id, &op.id, step).await? {
            true => Ok(Ok(())),
            false => Ok(Err(Refusal::Replayed)),
        },
        Err(r) => Ok(Err(r)),
    }
}

/// The login's second factor: `None` when the operator has none or `code` passes; else the
/// refusal to send (`totp_required` without a code).
pub(crate) async fn login_check(
    d1: &crate::store::Db,
    op: &OperatorRow,
    code: Option<&str>,
) -> Result<Option<Response>> {
    let row = credentials::totp(d1, &op.account_id, &op.id).await?.unwrap_or_default();
    let Some(secret) = row.totp_secret.as_deref() else { return Ok(None) };
    let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
        return fail(ErrorCode::TotpRequired, "enter the code of your authenticator app").map(Some);
    };
    match check_and_use(d1, op, secret, code, row.totp_last_step).await? {
        Ok(()) => Ok(None),
        Err(r) => bad_code(r).map(Some),
    }
}

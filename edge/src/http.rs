//! Small HTTP helpers: JSON answers, typed errors, cookies, CORS for the widget's origin.

use serde::{de::DeserializeOwned, Serialize};
use worker::{Headers, Request, Response, Result};

use parley_shared::limits::MAX_HTTP_BODY_BYTES;

/// A JSON error body: `{"error":{"code":…,"message":…}}`.
pub fn error(status: u16, code: &str, message: &str) -> Result<Response> {
    let body = serde_json::json!({ "error": { "code": code, "message": message } });
    Ok(Response::from_json(&body)?.with_status(status))
}

pub fn json<T: Serialize>(value: &T) -> Result<Response> {
    Response::from_json(value)
}

/// Reads a JSON body of at most [`MAX_HTTP_BODY_BYTES`]; `Err(response)` is the 4xx to send.
pub async fn read_json<T: DeserializeOwned>(req: &mut Request) -> std::result::Result<T, Response> {
    let bad = |status: u16, code: &str, msg: &str| error(status, code, msg).expect("json error response");
    let text = req.text().await.map_err(|_| bad(400, "malformed", "unreadable body"))?;
    if text.len() > MAX_HTTP_BODY_BYTES {
        return Err(bad(413, "too_large", "request body too large"));
    }
    serde_json::from_str(&text).map_err(|e| bad(400, "malformed", &format!("bad JSON body: {e}")))
}

/// The request's `Origin` header, if any.
pub fn origin(req: &Request) -> Option<String> {
    req.headers().get("Origin").ok().flatten()
}

/// The hostname of an origin such as `https://shop.example:8443`.
pub fn origin_hostname(origin: &str) -> Option<String> {
    let url = worker::Url::parse(origin).ok()?;
    url.host_str().map(|h| h.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase())
}

/// Whether the request comes from this worker's own origin (the console).
pub fn is_same_origin(req: &Request) -> bool {
    match (origin(req), req.url()) {
        (Some(o), Ok(url)) => o == url.origin().ascii_serialization(),
        _ => false,
    }
}

/// Adds CORS headers that let `origin` (an already checked, registered host) call the API.
pub fn with_cors(resp: Response, origin: &str) -> Result<Response> {
    let headers = resp.headers().clone();
    headers.set("Access-Control-Allow-Origin", origin)?;
    headers.set("Vary", "Origin")?;
    Ok(resp.with_headers(headers))
}

/// Answer to a CORS preflight. The real request is still checked on arrival.
pub fn preflight(req: &Request) -> Result<Response> {
    let headers = Headers::new();
    if let Some(o) = origin(req) {
        headers.set("Access-Control-Allow-Origin", &o)?;
    }
    headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")?;
    headers.set("Access-Control-Allow-Headers", "Content-Type")?;
    headers.set("Access-Control-Max-Age", "86400")?;
    headers.set("Vary", "Origin")?;
    Ok(Response::empty()?.with_status(204).with_headers(headers))
}

/// The value of cookie `name` in the request.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    let header = req.headers().get("Cookie").ok().flatten()?;
    header.split(';').filter_map(|kv| kv.trim().split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value for the session cookie: HttpOnly, SameSite=Strict, Secure on https.
pub fn session_cookie(req: &Request, value: &str, max_age_secs: u64) -> String {
    let secure = req.url().map(|u| u.scheme() == "https").unwrap_or(true);
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        crate::api::SESSION_COOKIE,
        if secure { "; Secure" } else { "" }
    )
}

/// 400 `invalid`, naming the field: `{"error":{"code":"invalid","field":…,"message":…}}`.
pub fn invalid(e: parley_shared::admin::FieldError) -> Result<Response> {
    invalid_with(400, "invalid", e)
}

/// A refusal naming the field, with its own status and code (e.g. 409 `already_rated`).
pub fn invalid_with(status: u16, code: &str, e: parley_shared::admin::FieldError) -> Result<Response> {
    let body = serde_json::json!({ "error": { "code": code, "field": e.field, "message": e.message } });
    Ok(Response::from_json(&body)?.with_status(status))
}

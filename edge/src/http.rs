//! Small HTTP helpers: JSON answers, refusals ([`ApiError`]), the session cookie's
//! `Set-Cookie`, CORS for the widget's origin.

use serde::{de::DeserializeOwned, Serialize};
use worker::{Headers, Request, Response, Result};

use parley_protocol::admin::FieldError;
use parley_protocol::error::{ApiError, ErrorCode};
use parley_protocol::limits::MAX_HTTP_BODY_BYTES;

/// The response for a refusal: its status and `{"error":{"code":…,"field"?:…,"message":…}}`.
pub fn refuse(e: ApiError) -> Result<Response> {
    let status = e.status();
    Ok(Response::from_json(&e)?.with_status(status))
}

/// A refusal with the code's own status and no field.
pub fn fail(code: ErrorCode, message: impl Into<String>) -> Result<Response> {
    refuse(ApiError::new(code, message))
}

pub fn json<T: Serialize>(value: &T) -> Result<Response> {
    Response::from_json(value)
}

/// Reads a JSON body of at most [`MAX_HTTP_BODY_BYTES`]; `Err(response)` is the 4xx to send.
pub async fn read_json<T: DeserializeOwned>(req: &mut Request) -> std::result::Result<T, Response> {
    let bad = |code: ErrorCode, msg: String| fail(code, msg).expect("json error response");
    let text = req.text().await.map_err(|_| bad(ErrorCode::Malformed, "unreadable body".into()))?;
    if text.len() > MAX_HTTP_BODY_BYTES {
        return Err(bad(ErrorCode::TooLarge, "request body too large".into()));
    }
    serde_json::from_str(&text).map_err(|e| bad(ErrorCode::Malformed, format!("bad JSON body: {e}")))
}

/// The 413 `too_large` for a request whose `Content-Length` is above `limit`, before its body
/// is read (a body without one is still cut off by the reader).
pub fn refuse_by_length(req: &Request, limit: usize) -> Result<Option<Response>> {
    let length = req.headers().get("Content-Length")?.and_then(|v| v.trim().parse::<u64>().ok());
    if length.is_some_and(|n| n > limit as u64) {
        return fail(ErrorCode::TooLarge, format!("request body too large (at most {limit} bytes)")).map(Some);
    }
    Ok(None)
}

/// `X-Content-Type-Options: nosniff` (every answer of the worker: JSON, CSV, pages).
pub fn nosniff(resp: Response) -> Result<Response> {
    let headers = resp.headers().clone();
    headers.set("X-Content-Type-Options", "nosniff")?;
    Ok(resp.with_headers(headers))
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
    if let Some(o) = req.headers().get("Origin").ok().flatten() {
        headers.set("Access-Control-Allow-Origin", &o)?;
    }
    headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")?;
    // The visitor's proof travels in headers where the body is a file (issue 21).
    headers.set("Access-Control-Allow-Headers", "Content-Type, X-Parley-Visitor-Id, X-Parley-Visitor-Token")?;
    headers.set("Access-Control-Max-Age", "86400")?;
    headers.set("Vary", "Origin")?;
    Ok(Response::empty()?.with_status(204).with_headers(headers))
}

/// 400 `invalid`, naming the field: `{"error":{"code":"invalid","field":…,"message":…}}`.
pub fn invalid(e: FieldError) -> Result<Response> {
    refuse(ApiError::invalid(e))
}

/// A refusal naming the field, with its own code (e.g. 409 `already_rated`).
pub fn invalid_with(code: ErrorCode, e: FieldError) -> Result<Response> {
    refuse(ApiError::field(code, e))
}

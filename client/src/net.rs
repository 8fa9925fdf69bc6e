//! JSON over `fetch`.

use parley_protocol::error::{ApiError, ErrorCode};
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestCredentials, RequestInit, Response};

/// A failed call: the HTTP status (0 when the network failed), the server's error code, the
/// field it names (empty when none) and its `Retry-After` in seconds (0 when none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub field: String,
    pub retry_after: u32,
}

impl HttpError {
    /// The API's refusal this is ([`parley_protocol::error`]), when the server sent one of its
    /// codes; `None` for a network failure, an unreadable answer or an unknown code.
    pub fn api_error(&self) -> Option<ApiError> {
        let code = ErrorCode::parse(&self.code)?;
        let mut e = ApiError::new(code, self.message.clone()).with_status(self.status);
        e.field = Some(self.field.clone()).filter(|f| !f.is_empty());
        Some(e)
    }

    /// The API's error code, when the server sent one.
    pub fn api_code(&self) -> Option<ErrorCode> {
        ErrorCode::parse(&self.code)
    }

    fn network(e: JsValue) -> Self {
        HttpError {
            status: 0,
            code: "network".into(),
            message: e.as_string().unwrap_or_else(|| "network error".into()),
            ..Default::default()
        }
    }
}

pub async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, HttpError> {
    parse(call(url, "GET", None).await?)
}

pub async fn post_json<B: Serialize, T: DeserializeOwned>(url: &str, body: &B) -> Result<T, HttpError> {
    let body = serde_json::to_string(body).expect("serializable body");
    parse(call(url, "POST", Some(body)).await?)
}

/// POST of a body already in JSON (built with `JSON.stringify`: no float formatting code in
/// the widget).
pub async fn post_raw<T: DeserializeOwned>(url: &str, body: String) -> Result<T, HttpError> {
    parse(call(url, "POST", Some(body)).await?)
}

/// POST of a body already in JSON; the answer as the browser's `JSON.parse` gives it (not
/// generic: the widget reads the few fields it needs without a serde type per answer).
pub async fn post_js(url: &str, body: String) -> Result<JsValue, HttpError> {
    let text = call(url, "POST", Some(body)).await?;
    js_sys::JSON::parse(&text).map_err(|_| bad_json())
}

/// POST of a file's bytes (a `Blob`: issue 21's uploads) with extra headers (a visitor's proof);
/// the answer as the browser's `JSON.parse` gives it.
pub async fn post_blob(url: &str, body: &JsValue, headers: &[(&str, &str)]) -> Result<JsValue, HttpError> {
    let text = call_with(url, "POST", Some(body), "application/octet-stream", headers).await?;
    js_sys::JSON::parse(&text).map_err(|_| bad_json())
}

fn bad_json() -> HttpError {
    HttpError { status: 200, code: "bad_json".into(), message: "unexpected response".into(), ..Default::default() }
}

fn parse<T: DeserializeOwned>(text: String) -> Result<T, HttpError> {
    crate::from_json(&text).ok_or_else(bad_json)
}

/// The body of a successful call, or the error. Not generic: one copy of the fetch code however
/// many response types there are (it matters for the widget's size).
async fn call(url: &str, method: &str, body: Option<String>) -> Result<String, HttpError> {
    let body = body.map(|b| JsValue::from_str(&b));
    call_with(url, method, body.as_ref(), "application/json", &[]).await
}

async fn call_with(
    url: &str,
    method: &str,
    body: Option<&JsValue>,
    content_type: &str,
    headers: &[(&str, &str)],
) -> Result<String, HttpError> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::SameOrigin);
    if let Some(body) = body {
        init.set_body(body);
    }
    let req = Request::new_with_str_and_init(url, &init).map_err(HttpError::network)?;
    if body.is_some() {
        req.headers().set("Content-Type", content_type).map_err(HttpError::network)?;
    }
    for (k, v) in headers {
        req.headers().set(k, v).map_err(HttpError::network)?;
    }
    let resp: Response = JsFuture::from(crate::window().fetch_with_request(&req))
        .await
        .map_err(HttpError::network)?
        .dyn_into()
        .map_err(HttpError::network)?;
    let text = JsFuture::from(resp.text().map_err(HttpError::network)?).await.map_err(HttpError::network)?;
    let text = text.as_string().unwrap_or_default();
    if !resp.ok() {
        // `{"error": {"code", "message", "field"?}}`, read with the browser's JSON (no serde type).
        let err = js_sys::JSON::parse(&text).ok().map(|b| crate::prop(&b, "error")).filter(|e| e.is_object());
        let get = |k: &str| err.as_ref().and_then(|e| crate::prop(e, k).as_string());
        let (code, message) = match (get("code"), get("message")) {
            (Some(c), Some(m)) => (c, m),
            _ => ("http".into(), text.clone()),
        };
        // Seconds (the edge's form; an HTTP date reads as none). Cross-origin it is readable
        // because the edge exposes it (`Access-Control-Expose-Headers`).
        let retry_after =
            resp.headers().get("Retry-After").ok().flatten().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
        return Err(HttpError {
            status: resp.status(),
            code,
            message,
            field: get("field").unwrap_or_default(),
            retry_after,
        });
    }
    Ok(text)
}

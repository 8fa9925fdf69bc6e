//! The console's JSON calls and timers, over gloo (`gloo-net`'s fetch, `gloo-timers`).
//!
//! The widget keeps `parley_client`'s hand-written, non-generic fetch (one copy of the code
//! whatever the answer's type: every kilobyte ships to every visitor); the console, loaded
//! only by operators, takes the well-kept crate. Errors are the client's [`HttpError`], so
//! every view reads a refusal the same way: status (0 when the network failed), the API's
//! code, message and field.

use gloo_net::http::{Request, RequestBuilder, Response};
pub use parley_client::HttpError;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use web_sys::RequestCredentials;

/// `GET url`, the answer read as `T`.
pub async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, HttpError> {
    let req = with_session(Request::get(url)).build().map_err(network)?;
    answer(req.send().await).await
}

/// `POST url` with `body` as JSON, the answer read as `T`.
pub async fn post_json<B: Serialize, T: DeserializeOwned>(url: &str, body: &B) -> Result<T, HttpError> {
    let req = with_session(Request::post(url)).json(body).map_err(network)?;
    answer(req.send().await).await
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Runs `f` once after `ms` milliseconds.
pub fn after(ms: u32, f: impl FnOnce() + 'static) {
    gloo_timers::callback::Timeout::new(ms, f).forget();
}

/// The session cookie goes along (same origin only).
fn with_session(req: RequestBuilder) -> RequestBuilder {
    req.credentials(RequestCredentials::SameOrigin)
}

/// The API's refusal body: `{"error": {"code", "message", "field"?}}`.
#[derive(Deserialize)]
struct Refusal {
    error: RefusalBody,
}

#[derive(Deserialize)]
struct RefusalBody {
    code: String,
    message: String,
    #[serde(default)]
    field: Option<String>,
}

async fn answer<T: DeserializeOwned>(sent: Result<Response, gloo_net::Error>) -> Result<T, HttpError> {
    let resp = sent.map_err(network)?;
    if resp.ok() {
        return resp.json::<T>().await.map_err(|_| unexpected(resp.status()));
    }
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    Err(refusal(status, &text))
}

/// A non-2xx answer: the API's refusal when the body is one, else the body as the message.
fn refusal(status: u16, text: &str) -> HttpError {
    match serde_json::from_str::<Refusal>(text) {
        Ok(Refusal { error }) => {
            HttpError { status, code: error.code, message: error.message, field: error.field.unwrap_or_default() }
        }
        Err(_) => HttpError { status, code: "http".into(), message: text.to_owned(), field: String::new() },
    }
}

fn unexpected(status: u16) -> HttpError {
    HttpError { status, code: "bad_json".into(), message: "unexpected response".into(), field: String::new() }
}

fn network(e: gloo_net::Error) -> HttpError {
    HttpError { status: 0, code: "network".into(), message: e.to_string(), field: String::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_refusal_keeps_code_message_and_field() {
        let e = refusal(400, r#"{"error":{"code":"invalid","field":"max_chats","message":"Between 1 and 20."}}"#);
        assert_eq!(
            e,
            HttpError {
                status: 400,
                code: "invalid".into(),
                message: "Between 1 and 20.".into(),
                field: "max_chats".into()
            }
        );
        assert_eq!(e.api_code(), Some(parley_protocol::error::ErrorCode::Invalid));
        let e = refusal(403, r#"{"error":{"code":"forbidden","message":"Admins only."}}"#);
        assert_eq!((e.code.as_str(), e.field.as_str()), ("forbidden", ""));
    }

    #[test]
    fn any_other_body_is_the_message_under_code_http() {
        let e = refusal(502, "Bad gateway");
        assert_eq!((e.status, e.code.as_str(), e.message.as_str()), (502, "http", "Bad gateway"));
    }
}

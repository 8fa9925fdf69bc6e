//! The console's JSON calls and timers.
//!
//! Timers are `gloo-timers`'. Fetch stays the client's (`parley_client::{get_json, post_json}`,
//! the widget's too): `gloo-net` 0.6 was tried and measured wrong for us — its
//! `RequestBuilder::build` rewrites a URL that already has a query to end in `&`
//! (`?a=1&sig=…&`), and the edge checks a shared report link's signature over exactly the query
//! it signed, so every public report page answered "This link is not valid" (e2e
//! `report-links`, `a11y`).

pub use parley_client::{get_json, post_json, HttpError};

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Runs `f` once after `ms` milliseconds.
pub fn after(ms: u32, f: impl FnOnce() + 'static) {
    gloo_timers::callback::Timeout::new(ms, f).forget();
}

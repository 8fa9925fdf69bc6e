//! What one invocation spends of Cloudflare's per-invocation budgets (ARCHITECTURE.md, "Limits
//! only Cloudflare's production enforces"): D1 queries, Durable Object calls and outbound
//! fetches, counted at the only doors they go through — [`crate::store::Db`] (every D1
//! statement), [`crate::stubs::send`] / [`crate::stubs::upgrade`] (every object call) and
//! [`fetch`] (assets). `wrangler dev` enforces none of these budgets, so an end-to-end test
//! (`tests/e2e/request-cost.test.mjs`) reads the counts of every route family and asserts them.
//!
//! **Why the counter travels with the request's future, not in a global.** One isolate serves
//! many requests at once: a request that awaits a D1 answer yields, and another request's
//! future runs until *it* awaits. A plain global counter would add both requests' queries
//! together. Here each request (and each scheduled run) is wrapped in [`Metered`]: every time
//! the runtime polls it, it puts *its own* [`Meter`] into the thread-local slot, polls the
//! request, and puts the previous one back. Polls are synchronous and the isolate is single-
//! threaded, so whatever counts during a poll counts for the request being polled, however the
//! requests interleave at their awaits (a task-local, written out). A task a handler spawned on
//! its own, or work left to run after the answer, would escape it: the edge has none (a native
//! check in `prod_limits.rs`). A streamed body (the paged report CSVs) is polled after the handler has
//! returned, so [`follow`] carries the request's meter into the stream the same way, and the
//! request's cost is final only when the stream ends.
//!
//! Counting is always on (a few integer additions), so jobs can spend against a budget
//! ([`spent`], the retention job). Showing the counts is a debug setting
//! (`PARLEY_DEBUG_COST`, off by default): then every answer carries `x-parley-request-id` and,
//! when complete at the time the headers go, `x-parley-cost: d1=3, do=1, fetch=0`; every
//! request's final count is logged and kept (the last [`KEPT`]) for
//! `GET /api/v1/debug/cost/:id` (404 while the setting is off). A caller may name its request
//! with an `x-parley-request-id` header of its own (a WebSocket upgrade's answer carries no
//! header the test could read).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_util::Stream;
use serde::Serialize;

/// The header naming a request's count.
pub const HDR_ID: &str = "x-parley-request-id";
/// The header with a request's count when it is complete as the headers go.
pub const HDR_COST: &str = "x-parley-cost";
/// Finished requests whose count is kept for the debug endpoint.
pub const KEPT: usize = 512;

/// What an invocation spent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Cost {
    /// D1 statements (each statement of a batch counts: Cloudflare counts queries).
    pub d1: u32,
    /// Durable Object calls (a request or a WebSocket upgrade handed to an object).
    #[serde(rename = "do")]
    pub objects: u32,
    /// Outbound fetches (static assets through the `ASSETS` binding).
    pub fetch: u32,
}

impl Cost {
    /// Subrequests as Cloudflare's per-invocation limit counts them (an upper bound: D1
    /// queries, object calls and fetches each count one).
    pub fn subrequests(&self) -> u32 {
        self.d1 + self.objects + self.fetch
    }
    /// `d1=3, do=1, fetch=0` (the header's value).
    pub fn header(&self) -> String {
        format!("d1={}, do={}, fetch={}", self.d1, self.objects, self.fetch)
    }
}

/// One invocation's counter, shared by its future and its streamed body.
#[derive(Default)]
pub struct Meter {
    cost: Cell<Cost>,
    /// A streamed body still reading (the count is not final before it ends).
    streaming: Cell<bool>,
    /// The request's id and label, when its count is to be kept (debug on).
    keep: RefCell<Option<(String, String)>>,
}

impl Meter {
    pub fn new() -> Rc<Meter> {
        Rc::new(Meter::default())
    }
    pub fn cost(&self) -> Cost {
        self.cost.get()
    }
    pub fn streaming(&self) -> bool {
        self.streaming.get()
    }
    /// Keep the final count under `id` (logged with `label`) once the request is done.
    pub fn keep_as(&self, id: String, label: String) {
        *self.keep.borrow_mut() = Some((id, label));
    }
    /// The id its count is kept under (empty when it is not kept).
    pub fn id(&self) -> String {
        self.keep.borrow().as_ref().map(|(id, _)| id.clone()).unwrap_or_default()
    }
    /// The request (and its body) is done: log and keep its count if asked.
    pub fn finish(&self) {
        if let Some((id, label)) = self.keep.borrow_mut().take() {
            let cost = self.cost();
            #[cfg(target_arch = "wasm32")]
            worker::console_log!("cost {label} [{id}]: {}", cost.header());
            #[cfg(not(target_arch = "wasm32"))]
            let _ = label;
            DONE.with(|d| {
                let mut d = d.borrow_mut();
                if d.len() == KEPT {
                    d.pop_front();
                }
                d.push_back((id, cost));
            });
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<Meter>>> = const { RefCell::new(None) };
    static DONE: RefCell<VecDeque<(String, Cost)>> = const { RefCell::new(VecDeque::new()) };
}

fn add(f: impl FnOnce(&mut Cost)) {
    CURRENT.with(|c| {
        if let Some(m) = c.borrow().as_ref() {
            let mut cost = m.cost.get();
            f(&mut cost);
            m.cost.set(cost);
        }
    });
}

/// `n` D1 statements (called by `store::Db` only).
pub fn d1(n: u32) {
    add(|c| c.d1 += n);
}
/// One Durable Object call (called by `stubs::send` / `stubs::upgrade` only).
pub fn object() {
    add(|c| c.objects += 1);
}

/// Fetches `req` through the `ASSETS` binding: the edge's one outbound fetch, counted.
pub async fn fetch(env: &worker::Env, req: worker::Request) -> worker::Result<worker::Response> {
    add(|c| c.fetch += 1);
    env.assets("ASSETS")?.fetch_request(req).await
}

/// Sends one Web Push request (`parley_push::request`) to its push service: the edge's other
/// outbound fetch, counted. Answers the service's status.
pub async fn push_fetch(r: parley_push::Request) -> worker::Result<u16> {
    add(|c| c.fetch += 1);
    let headers = worker::Headers::new();
    for (name, value) in &r.headers {
        headers.set(name, value)?;
    }
    let body = js_sys::Uint8Array::from(r.body.as_slice());
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Post).with_headers(headers).with_body(Some(body.into()));
    let req = worker::Request::new_with_init(&r.url, &init)?;
    Ok(worker::Fetch::Request(req).send().await?.status_code())
}

/// Hands a raw mail to the `MAIL` binding (`[[send_email]]`): the edge's one way to send
/// mail, counted as an outbound request.
pub async fn send_mail(env: &worker::Env, from: &str, to: &str, raw: &str) -> worker::Result<()> {
    add(|c| c.fetch += 1);
    let msg = worker::EmailMessage::new(from, to, raw)
        .map_err(|e| worker::Error::RustError(format!("mail: {}", String::from(e.message()))))?;
    env.send_email("MAIL")?
        .send(&msg)
        .await
        .map_err(|e| worker::Error::RustError(format!("mail: {}", String::from(e.message()))))?;
    Ok(())
}

/// The `FILES` bucket (R2, issue 21): the edge's only way to it. Every operation is counted as
/// an outbound request (an upper bound of what Cloudflare counts).
pub fn files(env: &worker::Env) -> worker::Result<Files> {
    Ok(Files(env.bucket("FILES")?))
}

/// The `FILES` bucket, counted per operation ([`files`]).
pub struct Files(worker::Bucket);

impl Files {
    /// Stores `bytes` under `key` (one atomic put: the object is whole or absent) with the type
    /// and disposition it is served with.
    pub async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str, disposition: &str) -> worker::Result<()> {
        add(|c| c.fetch += 1);
        let meta = worker::HttpMetadata {
            content_type: Some(content_type.to_owned()),
            content_disposition: Some(disposition.to_owned()),
            ..Default::default()
        };
        self.0.put(key, bytes).http_metadata(meta).execute().await?;
        Ok(())
    }

    /// The object under `key`, if any.
    pub async fn get(&self, key: &str) -> worker::Result<Option<worker::Object>> {
        add(|c| c.fetch += 1);
        self.0.get(key).execute().await
    }

    /// Deletes these keys (at most 1,000 a call, R2's own bound).
    pub async fn delete(&self, keys: Vec<String>) -> worker::Result<()> {
        for chunk in keys.chunks(1_000) {
            add(|c| c.fetch += 1);
            self.0.delete_multiple(chunk.to_vec()).await?;
        }
        Ok(())
    }
}

/// What the invocation being polled has spent so far (zero outside one).
pub fn spent() -> Cost {
    CURRENT.with(|c| c.borrow().as_ref().map(|m| m.cost()).unwrap_or_default())
}

/// The kept count of request `id` (debug endpoint): None when unknown or not finished.
pub fn kept(id: &str) -> Option<Cost> {
    DONE.with(|d| d.borrow().iter().rev().find(|(i, _)| i == id).map(|(_, c)| *c))
}

/// Puts `meter` in the slot for the duration of `f`, then the previous one back.
fn with_meter<R>(meter: &Rc<Meter>, f: impl FnOnce() -> R) -> R {
    let previous = CURRENT.with(|c| c.replace(Some(meter.clone())));
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = previous);
    out
}

/// A future that counts into its own meter whenever it is polled.
pub struct Metered<F> {
    inner: Pin<Box<F>>,
    meter: Rc<Meter>,
}

/// Runs `fut` counting into `meter`.
pub fn metered<F: Future>(meter: Rc<Meter>, fut: F) -> Metered<F> {
    Metered { inner: Box::pin(fut), meter }
}

impl<F: Future> Future for Metered<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let meter = this.meter.clone();
        with_meter(&meter, || this.inner.as_mut().poll(cx))
    }
}

/// Runs `work` after the answer (`ctx.wait_until`: the look's page view), counting into the
/// current request's meter: it is still this invocation's work, against the same limits. The
/// request's count is final (logged, kept) when the work ends, as for a streamed body.
pub fn after(ctx: &worker::Context, work: impl Future<Output = ()> + 'static) {
    let Some(meter) = CURRENT.with(|c| c.borrow().clone()) else {
        return ctx.wait_until(work);
    };
    meter.streaming.set(true);
    let m = meter.clone();
    ctx.wait_until(metered(meter, async move {
        work.await;
        m.finish();
    }));
}

/// A streamed body that keeps counting into the meter of the request that made it.
pub struct Follow<S> {
    inner: Pin<Box<S>>,
    meter: Option<Rc<Meter>>,
}

/// Makes `body` count into the current request's meter while it streams; the request's count
/// is final (logged, kept) when the stream ends or is dropped (a client that went away).
pub fn follow<S: Stream>(body: S) -> Follow<S> {
    let meter = CURRENT.with(|c| c.borrow().clone());
    if let Some(m) = &meter {
        m.streaming.set(true);
    }
    Follow { inner: Box::pin(body), meter }
}

impl<S: Stream> Stream for Follow<S> {
    type Item = S::Item;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.get_mut();
        let Some(meter) = this.meter.clone() else { return this.inner.as_mut().poll_next(cx) };
        let out = with_meter(&meter, || this.inner.as_mut().poll_next(cx));
        if let Poll::Ready(None) = out {
            this.meter = None;
            meter.finish();
        }
        out
    }
}

impl<S> Drop for Follow<S> {
    fn drop(&mut self) {
        if let Some(m) = self.meter.take() {
            m.finish();
        }
    }
}

/// `GET /api/v1/debug/cost/:id`: a finished request's count as JSON, 404 unless
/// `PARLEY_DEBUG_COST` is on (or the request is unknown or still streaming).
pub async fn report(env: &worker::Env, id: &str) -> worker::Result<worker::Response> {
    match kept(id) {
        Some(cost) if crate::config::get(env)?.debug_cost => crate::http::json(&cost),
        _ => crate::http::refuse(parley_protocol::error::ApiError::no_route()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    /// A future that yields once (as a request awaiting D1 does) before going on.
    struct YieldOnce(bool);
    impl Future for YieldOnce {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    fn poll_all(futs: &mut [Pin<Box<dyn Future<Output = ()>>>]) {
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut done = vec![false; futs.len()];
        while done.iter().any(|d| !d) {
            for (i, f) in futs.iter_mut().enumerate() {
                if !done[i] && f.as_mut().poll(&mut cx).is_ready() {
                    done[i] = true;
                }
            }
        }
    }

    #[test]
    fn interleaved_requests_each_count_their_own() {
        let (a, b) = (Meter::new(), Meter::new());
        let req = |queries: u32, objects: u32| async move {
            for _ in 0..queries {
                d1(1);
                YieldOnce(false).await;
            }
            for _ in 0..objects {
                object();
                YieldOnce(false).await;
            }
        };
        let first: Pin<Box<dyn Future<Output = ()>>> = Box::pin(metered(a.clone(), req(5, 1)));
        let second: Pin<Box<dyn Future<Output = ()>>> = Box::pin(metered(b.clone(), req(2, 3)));
        let mut futs = vec![first, second];
        poll_all(&mut futs);
        assert_eq!(a.cost(), Cost { d1: 5, objects: 1, fetch: 0 });
        assert_eq!(b.cost(), Cost { d1: 2, objects: 3, fetch: 0 });
        // Outside a request nothing counts and nothing is left in the slot.
        d1(1);
        assert_eq!(spent(), Cost::default());
    }

    #[test]
    fn a_streamed_body_counts_for_its_request_until_it_ends() {
        let m = Meter::new();
        m.keep_as("r1".into(), "GET /x".into());
        let body = metered(m.clone(), async {
            d1(2);
            follow(futures_util::stream::iter(0..3).then(|i| async move {
                d1(1);
                YieldOnce(false).await;
                i
            }))
        });
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut body = Box::pin(body);
        let Poll::Ready(mut stream) = body.as_mut().poll(&mut cx) else { panic!("ready") };
        assert!(m.streaming());
        assert_eq!(kept("r1"), None, "not final while streaming");
        // The stream is polled outside the request's future, interleaved with another request.
        let other = Meter::new();
        let mut n = 0;
        loop {
            match Pin::new(&mut stream).poll_next(&mut cx) {
                Poll::Ready(Some(_)) => n += 1,
                Poll::Ready(None) => break,
                Poll::Pending => {
                    let _ = Box::pin(metered(other.clone(), async { d1(1) })).as_mut().poll(&mut cx);
                }
            }
        }
        assert_eq!(n, 3);
        assert_eq!(m.cost().d1, 5);
        assert_eq!(kept("r1"), Some(Cost { d1: 5, objects: 0, fetch: 0 }));
        assert_eq!(other.cost().d1, 3);
    }
}

//! Public report links (`parley_reports::links`): managers create, list and revoke
//! them in the console; anyone holding one sees its one report without logging in.
//!
//! - `POST /api/v1/console/report-links` (admins, console origin): a [`ReportLinkRequest`] →
//!   the new link's [`ReportLinkView`] (400 `invalid` naming the field: `report`, a query key,
//!   `title`, `expires_at`). The query is read like the report endpoints read theirs (local
//!   dates in the account's zone) and stored in its canonical form.
//! - `GET /api/v1/console/report-links` (admins): the account's links, newest first.
//! - `POST /api/v1/console/report-links/:id/revoke` (admins, console origin): sets
//!   `revoked_at` once (a second call answers the same view); another account's id is a 404.
//! - `GET /api/v1/public/reports/:slug[.csv]?<canonical>&account=…&link=…&expires=…&sig=…`
//!   (no login): the signature with the report-link key (`KID.HEX`, derived from `PARLEY_SECRET`
//!   or, during a rotation, `PARLEY_SECRET_PREVIOUS`), then the expiry by the edge's clock, then
//!   the D1 row of that link in that account (read on every request, so a revocation counts at
//!   once) → the report through `crate::reports::respond` with exactly the signed query.
//!   Refusals: 403 `bad_signature`, 410 `expired`, 410 `revoked`, 429 `rate_limited` (reads
//!   per link and per address). Answers are `no-store`; the edge keeps a JSON answer in its
//!   cache for `REPORT_CACHE_SECS` (`X-Parley-Cache: hit|miss`).

use parley_core::throttle::Door;
use parley_protocol::ids::is_valid_id;
use parley_protocol::limits::REPORT_CACHE_SECS;
use parley_reports::links::{self, LinkRecord, ReportLinkList, ReportLinkRequest, ReportLinkView};
use worker::{Env, Request, Response, Result};

use crate::guard::keys;
use crate::http::{self, fail, invalid};
use crate::reports::account_time_zone;
use crate::store::operators::OperatorRow;
use crate::store::report_links as store;
use crate::util::{new_id, now};
use parley_core::keys::Purpose;
use parley_protocol::error::ErrorCode;

/// Most links listed (newest first).
const LIST_LIMIT: u32 = 500;

pub(crate) async fn create(req: &mut Request, env: &Env, me: &OperatorRow) -> Result<Response> {
    let body: ReportLinkRequest = match http::read_json(req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let d1 = crate::store::directory(env)?;
    let t = now().0;
    let new = match body.validate(&account_time_zone(&d1, &me.account_id).await?, t) {
        Ok(n) => n,
        Err(e) => return invalid(e),
    };
    let record = LinkRecord {
        id: new_id("rl"),
        account_id: me.account_id.clone(),
        report: new.query.report.slug().to_owned(),
        query: new.query.canonical(),
        title: new.title,
        expires_at: new.expires_at,
        created_by: me.id.clone(),
        created_by_name: Some(me.chat_name.clone()),
        created_at: t,
        revoked_at: None,
    };
    store::insert(&d1, &record).await?;
    http::json(&ReportLinkView::of(&keys(env, Purpose::ReportLink)?, &record))
}

pub(crate) async fn list(env: &Env, me: &OperatorRow) -> Result<Response> {
    let rows = store::list(&crate::store::directory(env)?, &me.account_id, LIST_LIMIT).await?;
    let ring = keys(env, Purpose::ReportLink)?;
    http::json(&ReportLinkList { links: rows.iter().map(|r| ReportLinkView::of(&ring, r)).collect() })
}

pub(crate) async fn revoke(env: &Env, me: &OperatorRow, id: &str) -> Result<Response> {
    let d1 = crate::store::directory(env)?;
    if !is_valid_id(id) || store::record(&d1, id, &me.account_id).await?.is_none() {
        return fail(ErrorCode::UnknownLink, "no such link");
    }
    store::revoke(&d1, id, &me.account_id, now().0).await?;
    match store::record(&d1, id, &me.account_id).await? {
        Some(r) => http::json(&ReportLinkView::of(&keys(env, Purpose::ReportLink)?, &r)),
        None => fail(ErrorCode::UnknownLink, "no such link"),
    }
}

/// `GET /api/v1/public/reports/:slug[.csv]` (`path_slug` as in the path): the signed report.
pub async fn public(req: Request, env: &Env, path_slug: &str) -> Result<Response> {
    let (slug, csv) = match path_slug.strip_suffix(".csv") {
        Some(s) => (s, true),
        None => (path_slug, false),
    };
    let url = req.url()?;
    let refuse = |r: links::Refusal| no_store(http::refuse(r.into())?);
    let (link, q) = match links::check(&keys(env, Purpose::ReportLink)?, slug, url.query().unwrap_or(""), now().0) {
        Ok(ok) => ok,
        Err(r) => return refuse(r),
    };
    // Floods: reads per link and per client address (429 + Retry-After).
    let address = crate::guard::address(&req);
    let doors = [(Door::ReportLink, Some(link.link_id.as_str())), (Door::ReportAddress, address.as_deref())];
    if let Err(resp) = crate::guard::throttle(env, &doors).await? {
        return no_store(resp);
    }
    let row = store::record(&crate::store::directory(env)?, &link.link_id, link.account_id.as_str()).await?;
    if let Err(r) = links::check_row(&link, &q, row.as_ref()) {
        return refuse(r);
    }
    // A JSON answer is kept in the edge's cache for `REPORT_CACHE_SECS` under the link's own URL
    // (the row above is still read every time, so a revoked link stops at once).
    let cache = (!csv).then(worker::Cache::default);
    if let Some(cache) = &cache {
        if let Some(hit) = cache.get(url.as_str(), false).await? {
            return cached(hit, "hit");
        }
    }
    let mut resp =
        crate::reports::respond(env, &url.origin().ascii_serialization(), link.account_id.as_str(), q, csv).await?;
    if let (Some(cache), 200) = (&cache, resp.status_code()) {
        let copy = resp.cloned()?;
        let headers = copy.headers().clone();
        headers.set("Cache-Control", &format!("public, max-age={REPORT_CACHE_SECS}"))?;
        if let Err(e) = cache.put(url.as_str(), copy.with_headers(headers)).await {
            worker::console_error!("report cache: {e}");
        }
        resp = cached(resp, "miss")?;
    }
    no_store(resp)
}

/// Marks an answer as read from the cache or not (`X-Parley-Cache`), never cached downstream.
fn cached(resp: Response, how: &str) -> Result<Response> {
    let headers = resp.headers().clone();
    headers.set("X-Parley-Cache", how)?;
    no_store(resp.with_headers(headers))
}

/// Never cached anywhere: a revoked link must stop working at once.
fn no_store(resp: Response) -> Result<Response> {
    let headers = resp.headers().clone();
    headers.set("Cache-Control", "no-store")?;
    headers.set("X-Robots-Tag", "noindex")?;
    Ok(resp.with_headers(headers))
}

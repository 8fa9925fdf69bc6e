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
//!   Refusals: 403 `bad_signature`, 410 `expired`, 410 `revoked`. Answers are `no-store`.

use parley_protocol::ids::is_valid_id;
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
    let d1 = crate::store::db(env)?;
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
    let rows = store::list(&crate::store::db(env)?, &me.account_id, LIST_LIMIT).await?;
    let ring = keys(env, Purpose::ReportLink)?;
    http::json(&ReportLinkList { links: rows.iter().map(|r| ReportLinkView::of(&ring, r)).collect() })
}

pub(crate) async fn revoke(env: &Env, me: &OperatorRow, id: &str) -> Result<Response> {
    let d1 = crate::store::db(env)?;
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
    let row = store::record(&crate::store::db(env)?, &link.link_id, link.account_id.as_str()).await?;
    if let Err(r) = links::check_row(&link, &q, row.as_ref()) {
        return refuse(r);
    }
    let resp =
        crate::reports::respond(env, &url.origin().ascii_serialization(), link.account_id.as_str(), q, csv).await?;
    no_store(resp)
}

/// Never cached anywhere: a revoked link must stop working at once.
fn no_store(resp: Response) -> Result<Response> {
    let headers = resp.headers().clone();
    headers.set("Cache-Control", "no-store")?;
    headers.set("X-Robots-Tag", "noindex")?;
    Ok(resp.with_headers(headers))
}

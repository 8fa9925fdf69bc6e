//! Parley's edge worker: HTTP and WebSocket routes, authentication and origin checks.
//!
//! This crate is a thin adapter. It decodes requests, asks `parley_protocol` what to do and
//! carries out the effects; it decides nothing of its own. One Durable Object per
//! conversation ([`objects::conversation::ConversationObject`]) is that conversation's single
//! writer; D1 holds accounts, hosts, channels, operators, sessions and one summary row per
//! conversation.

mod admin;
mod api;
mod auth;
mod blocks;
mod config;
mod cost;
mod data_rights;
mod dispatch;
mod files;
mod guard;
mod http;
#[cfg(test)]
mod layering;
mod links;
mod mail_in;
mod mail_out;
mod objects;
mod outcome_settings;
mod outcomes;
#[cfg(test)]
mod prod_limits;
mod push;
mod report_links;
mod reports;
mod routes;
mod setup;
mod store;
mod stubs;
mod tally;
mod transcript_mail;
mod two_factor;
mod util;

use worker::{event, Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent};

pub use objects::conversation::ConversationObject;
pub use objects::dispatch::DispatchObject;
pub use objects::tally::TallyObject;

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    // Every request counts its own D1 queries, object calls and fetches (`cost`).
    let meter = cost::Meter::new();
    // A malformed setting fails every request loudly (500, the variable named in the log).
    let debug = config::get(&env).map(|c| c.debug_cost).unwrap_or(false);
    if debug {
        let id = req
            .headers()
            .get(cost::HDR_ID)?
            .filter(|id| !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
            .unwrap_or_else(|| util::new_id("rq"));
        meter.keep_as(id, format!("{:?} {}", req.method(), req.path()));
    }
    let routed = cost::metered(meter.clone(), async {
        match config::get(&env) {
            Ok(_) => routes::route(req, &env, ctx).await,
            Err(e) => Err(e),
        }
    })
    .await;
    let resp = match routed {
        Ok(resp) => resp,
        Err(e) => {
            worker::console_error!("internal error: {e}");
            http::fail(parley_protocol::error::ErrorCode::Internal, "internal error")?
        }
    };
    if !debug {
        return Ok(resp);
    }
    // A streamed body finishes the count when it ends; anything else is done now.
    let streaming = meter.streaming();
    let id = meter.id();
    if !streaming {
        meter.finish();
    }
    if resp.status_code() == 101 {
        return Ok(resp);
    }
    let headers = resp.headers().clone();
    headers.set(cost::HDR_ID, &id)?;
    if !streaming {
        headers.set(cost::HDR_COST, &meter.cost().header())?;
    }
    Ok(resp.with_headers(headers))
}

/// Inbound mail (Email Routing delivers `r-*@<domain>` here; `wrangler dev` takes test mails at
/// `POST /cdn-cgi/handler/email?from=…&to=…`): a visitor's reply joins its conversation, anything
/// else is rejected with the reason its bounce carries (`mail_in`). Counted like a request.
#[event(email)]
async fn email(message: worker::ForwardableEmailMessage, env: Env, _ctx: Context) -> Result<()> {
    let meter = cost::Meter::new();
    if let Err(e) = cost::metered(meter.clone(), mail_in::receive(message, &env)).await {
        worker::console_error!("inbound mail failed: {e}");
        return Err(e);
    }
    meter.finish();
    Ok(())
}

/// The scheduled jobs (`[triggers] crons` in `wrangler.toml`), run as of the time the runtime
/// scheduled them for (`wrangler dev` takes it as `/cdn-cgi/handler/scheduled?time=MS`: the
/// tests' injected clock).
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    // One invocation, one budget of subrequests: counted like a request's (`cost`), always kept.
    // Kept under `cron-<scheduled time>` (a test reads it by the time it injected).
    let now = event.schedule() as u64;
    let meter = cost::Meter::new();
    meter.keep_as(format!("cron-{now}"), "scheduled".to_owned());
    cost::metered(meter.clone(), jobs(now, &env)).await;
    meter.finish();
}

async fn jobs(now: u64, env: &Env) {
    match data_rights::run_retention(env, now).await {
        Ok(p) => worker::console_log!(
            "retention: {} conversations, {} offline messages purged",
            p.conversations,
            p.offline_messages
        ),
        Err(e) => worker::console_error!("retention job failed: {e}"),
    }
    // Console sessions past their end or idle, and login attempts out of their window (also
    // purged at each login; this catches a deployment nobody logs in to).
    if let Err(e) = auth::purge_expired_sessions(env, now).await {
        worker::console_error!("session purge failed: {e}");
    }
    // Mails whose send failed (or whose sender died before marking them), within what the run
    // has left of its subrequests.
    let left =
        parley_protocol::limits::cloudflare::MAX_SUBREQUESTS_FREE.saturating_sub(cost::spent().subrequests() as usize);
    match mail_out::retry_due(env, now, left).await {
        Ok(0) => {}
        Ok(n) => worker::console_log!("mail: {n} retried and sent"),
        Err(e) => worker::console_error!("mail retries failed: {e}"),
    }
}

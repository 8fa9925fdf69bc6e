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
mod data_rights;
mod dispatch;
mod guard;
mod http;
#[cfg(test)]
mod layering;
mod objects;
mod outcome_settings;
mod outcomes;
#[cfg(test)]
mod prod_limits;
mod report_links;
mod reports;
mod routes;
mod store;
mod stubs;
mod tally;
mod util;

use worker::{event, Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent};

pub use objects::conversation::ConversationObject;
pub use objects::dispatch::DispatchObject;
pub use objects::tally::TallyObject;

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    // A malformed setting fails every request loudly (500, the variable named in the log).
    let routed = match config::get(&env) {
        Ok(_) => routes::route(req, &env, ctx).await,
        Err(e) => Err(e),
    };
    match routed {
        Ok(resp) => Ok(resp),
        Err(e) => {
            worker::console_error!("internal error: {e}");
            http::fail(parley_protocol::error::ErrorCode::Internal, "internal error")
        }
    }
}

/// The scheduled jobs (`[triggers] crons` in `wrangler.toml`), run as of the time the runtime
/// scheduled them for (`wrangler dev` takes it as `/cdn-cgi/handler/scheduled?time=MS`: the
/// tests' injected clock).
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let now = event.schedule() as u64;
    match data_rights::run_retention(&env, now).await {
        Ok(p) => worker::console_log!(
            "retention: {} conversations, {} offline messages purged",
            p.conversations,
            p.offline_messages
        ),
        Err(e) => worker::console_error!("retention job failed: {e}"),
    }
    // Console sessions past their end or idle, and login attempts out of their window (also
    // purged at each login; this catches a deployment nobody logs in to).
    if let Err(e) = auth::purge_expired_sessions(&env, now).await {
        worker::console_error!("session purge failed: {e}");
    }
}

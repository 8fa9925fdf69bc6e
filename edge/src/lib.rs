//! Parley's edge worker: HTTP and WebSocket routes, authentication and origin checks.
//!
//! This crate is a thin adapter. It decodes requests, asks `parley_shared` what to do and
//! carries out the effects; it decides nothing of its own. One Durable Object per
//! conversation ([`conversation_object::ConversationObject`]) is that conversation's single
//! writer; D1 holds accounts, hosts, channels, operators, sessions and one summary row per
//! conversation.

mod admin;
mod api;
mod blocks;
mod conversation_object;
mod db;
mod db_admin;
mod dispatch;
mod dispatch_object;
mod guard;
mod http;
mod outcome_settings;
mod outcomes;
mod ratings;
mod report_links;
mod reports;
mod routes;
mod store;
mod tally;
mod tally_object;
mod util;

use worker::{event, Context, Env, Request, Response, Result};

pub use conversation_object::ConversationObject;
pub use dispatch_object::DispatchObject;
pub use tally_object::TallyObject;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    match routes::route(req, &env).await {
        Ok(resp) => Ok(resp),
        Err(e) => {
            worker::console_error!("internal error: {e}");
            http::fail(parley_shared::error::ErrorCode::Internal, "internal error")
        }
    }
}

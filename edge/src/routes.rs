//! The edge's one route table: method, path pattern, guard, handler. The first route whose
//! method and path match is taken; its guard runs before the handler (or, for guards that need
//! the request's body, as the handler's first step through [`crate::guard`]).
//!
//! Paths are matched segment by segment: a literal, literals separated by `|` (any of them),
//! `:name` (any one segment, handed to the handler in order) or a final `*` (the rest, possibly
//! nothing). Under the console's prefixes a
//! path the table does not know is still guarded as its neighbours are (a session, the console's
//! origin for a POST, an admin for admin areas) before the 404, as the API always answered.
//!
//! Nothing imports this module but `lib.rs`: handlers know guards, the store and `http`, never
//! the router.

use std::future::Future;
use std::pin::Pin;

use crate::guard::{Access, Guard, Need};

/// The request's method as the table knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Options,
    /// Any other method (matched only by [`Any`] routes).
    Other,
}

/// Which methods a route takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum On {
    Only(Verb),
    Any,
}

use On::Any;
const GET: On = On::Only(Verb::Get);
const POST: On = On::Only(Verb::Post);
const OPTIONS: On = On::Only(Verb::Options);

impl On {
    fn takes(self, verb: Verb) -> bool {
        match self {
            On::Any => true,
            On::Only(v) => v == verb,
        }
    }
}

/// The path's segments as the routes see them (`/a/b/` → `["a", "b"]`, `/` → `[""]`).
pub fn segments(path: &str) -> Vec<&str> {
    path.trim_matches('/').split('/').collect()
}

/// The `:name` segments of `segs` when they match `pattern`, in order.
pub fn match_path(pattern: &str, segs: &[&str]) -> Option<Vec<String>> {
    let mut params = Vec::new();
    let pat = segments(pattern);
    for (i, p) in pat.iter().enumerate() {
        if *p == "*" && i + 1 == pat.len() {
            return Some(params);
        }
        let seg = segs.get(i)?;
        match p.strip_prefix(':') {
            Some(_) => params.push((*seg).to_owned()),
            None if p.split('|').any(|alt| alt == *seg) => {}
            None => return None,
        }
    }
    (segs.len() == pat.len()).then_some(params)
}

/// The handler of a route, typed by the principal its guard yields.
pub enum Run<C, O, A, F> {
    /// Guards [`Guard::Open`], [`Guard::SameOrigin`] (checked by the router) and the body-bound
    /// guards ([`Guard::Visitor`], [`Guard::ChannelOrigin`], [`Guard::Participant`],
    /// [`Guard::PublicLink`]: the handler's first step).
    Open(fn(C) -> F),
    /// [`Guard::Console`] with [`Need::Operator`].
    Operator(fn(C, O) -> F),
    /// [`Guard::Console`] with [`Need::Admin`].
    Admin(fn(C, A) -> F),
}

pub struct Route<C, O, A, F> {
    pub on: On,
    pub path: &'static str,
    pub guard: Guard,
    pub run: Run<C, O, A, F>,
}

impl<C, O, A, F> Route<C, O, A, F> {
    const fn open(on: On, path: &'static str, guard: Guard, f: fn(C) -> F) -> Self {
        Route { on, path, guard, run: Run::Open(f) }
    }
    const fn operator(on: On, path: &'static str, access: Access, f: fn(C, O) -> F) -> Self {
        Route { on, path, guard: Guard::Console(access, Need::Operator), run: Run::Operator(f) }
    }
    const fn admin(on: On, path: &'static str, access: Access, what: &'static str, f: fn(C, A) -> F) -> Self {
        Route { on, path, guard: Guard::Console(access, Need::Admin(what)), run: Run::Admin(f) }
    }
}

/// A route found, with its `:name` segments.
pub type Found<'t, C, O, A, F> = (&'t Route<C, O, A, F>, Vec<String>);

/// The first route of `table` for `verb` and `path`, with its `:name` segments.
pub fn find<'t, C, O, A, F>(table: &'t [Route<C, O, A, F>], verb: Verb, path: &str) -> Option<Found<'t, C, O, A, F>> {
    let segs = segments(path);
    table.iter().find_map(|r| if r.on.takes(verb) { match_path(r.path, &segs).map(|p| (r, p)) } else { None })
}

// ---------------------------------------------------------------------------------------------
// The table.

/// A route's answer, once its handler has run.
pub type Fut = Pin<Box<dyn Future<Output = worker::Result<worker::Response>>>>;

/// What a handler gets: the request, the bindings, the path's `:name` segments and the
/// request's context (work after the answer, through `cost::after`).
pub struct Call {
    pub req: worker::Request,
    pub env: worker::Env,
    pub p: Vec<String>,
    pub ctx: std::rc::Rc<worker::Context>,
}

pub type EdgeRoute = Route<Call, crate::guard::Operator, crate::guard::Admin, Fut>;

/// `|req, env, p| body` (and `|req, env, p, who| body` with the guard's principal) as a handler.
macro_rules! h {
    (@run $c:ident, $req:ident, $env:ident, $p:ident, $body:expr) => {
        Box::pin(async move {
            #[allow(unused_variables, unused_mut)]
            let Call { req: mut $req, env: $env, p: $p, .. } = $c;
            #[allow(unused_variables)]
            let $env = &$env;
            $body.await
        })
    };
    (|$req:ident, $env:ident, $p:ident| $body:expr) => {
        |c: Call| -> Fut { h!(@run c, $req, $env, $p, $body) }
    };
    (|$req:ident, $env:ident, $p:ident, $who:ident| $body:expr) => {
        |c: Call, $who| -> Fut { h!(@run c, $req, $env, $p, $body) }
    };
}

use crate::{
    admin, api, auth, blocks, data_rights, outcome_settings, outcomes, push, report_links, reports, tally,
    transcript_mail,
};
use Access::{Change, Console, Read};

const DO: &str = "do this";
const SEE: &str = "see reports";
const SHARE: &str = "share reports";

/// Every route of the worker, in the order they are tried (one line each).
#[rustfmt::skip]
pub static ROUTES: &[EdgeRoute] = &[
    EdgeRoute::open(GET, "/", Guard::Open, h!(|req, env, p| api::demo_page(&req, env))),
    EdgeRoute::open(GET, "/demo/*", Guard::Open, h!(|req, env, p| api::demo_page(&req, env))),
    EdgeRoute::open(OPTIONS, "/api/*", Guard::Open, h!(|req, env, p| async move { crate::http::preflight(&req) })),
    EdgeRoute::open(GET, "/api/v1/health", Guard::Open, h!(|req, env, p| api::health())),
    // A request's count of D1 queries, object calls and fetches (404 unless PARLEY_DEBUG_COST).
    EdgeRoute::open(GET, "/api/v1/debug/cost/:id", Guard::Open, h!(|req, env, p| crate::cost::report(env, &p[0]))),
    // The widget (cross-origin from the host page).
    EdgeRoute::open(POST, "/api/v1/widget/session", Guard::ChannelOrigin, h!(|req, env, p| api::widget_session(req, env))),
    EdgeRoute::open(GET, "/api/v1/widget/look", Guard::Open, |c: Call| -> Fut { Box::pin(async move { api::widget_look(&c.req, &c.env, &c.ctx).await }) }),
    EdgeRoute::open(POST, "/api/v1/conversations", Guard::Visitor, h!(|req, env, p| api::create_conversation(req, env))),
    EdgeRoute::open(POST, "/api/v1/widget/availability", Guard::Visitor, h!(|req, env, p| api::availability(req, env))),
    EdgeRoute::open(POST, "/api/v1/widget/events", Guard::Visitor, h!(|req, env, p| tally::events(req, env))),
    EdgeRoute::open(POST, "/api/v1/widget/goals", Guard::Visitor, h!(|req, env, p| outcomes::goals(req, env))),
    EdgeRoute::open(POST, "/api/v1/conversations/:id/transcript", Guard::Visitor, |c: Call| -> Fut { Box::pin(async move { transcript_mail::request(c.req, &c.env, &c.ctx, &c.p[0]).await }) }),
    EdgeRoute::open(POST, "/api/v1/widget/conversations/:id/survey", Guard::Visitor, h!(|req, env, p| outcomes::survey(req, env, &p[0]))),
    // The console.
    EdgeRoute::operator(POST, "/api/v1/console/conversations/:id/outcome", Change, h!(|req, env, p, me| outcomes::outcome(req, env, &me, &p[0]))),
    EdgeRoute::admin(GET, "/api/v1/console/reports/invites", Read, SEE, h!(|req, env, p, me| reports::console_view(req, env, &me, "invites"))),
    EdgeRoute::admin(GET, "/api/v1/console/reports/invites.csv", Read, SEE, h!(|req, env, p, me| reports::console_view(req, env, &me, "invites.csv"))),
    EdgeRoute::admin(GET, "/api/v1/console/reports/traffic", Read, SEE, h!(|req, env, p, me| reports::console_view(req, env, &me, "traffic"))),
    EdgeRoute::admin(GET, "/api/v1/console/reports/traffic.csv", Read, SEE, h!(|req, env, p, me| reports::console_view(req, env, &me, "traffic.csv"))),
    EdgeRoute::admin(GET, "/api/v1/console/reports/ratings", Read, SEE, h!(|req, env, p, me| reports::console_view(req, env, &me, "ratings"))),
    EdgeRoute::admin(GET, "/api/v1/console/reports/ratings.csv", Read, SEE, h!(|req, env, p, me| reports::console_view(req, env, &me, "ratings.csv"))),
    EdgeRoute::admin(GET, "/api/v1/reports/:slug", Read, SEE, h!(|req, env, p, me| reports::report(req, env, &me, &p[0]))),
    EdgeRoute::operator(GET, "/api/v1/console/conversations/:id/transcript", Read, h!(|req, env, p, me| reports::transcript(env, &me, &p[0]))),
    EdgeRoute::operator(GET, "/api/v1/console/presence", Read, h!(|req, env, p, me| api::presence(env, me))),
    EdgeRoute::operator(POST, "/api/v1/console/presence", Console, h!(|req, env, p, me| api::change_presence(req, env, me))),
    EdgeRoute::operator(POST, "/api/v1/console/presence/touch", Console, h!(|req, env, p, me| api::touch(env, &me))),
    EdgeRoute::operator(POST, "/api/v1/console/conversations/:id/transfer", Console, h!(|req, env, p, me| api::transfer(req, env, &me, &p[0]))),
    // Web Push (issue 20): the deployment's public key, my browsers to notify with the console closed.
    EdgeRoute::open(GET, "/api/v1/push/key", Guard::Open, h!(|req, env, p| push::key(env))),
    EdgeRoute::operator(GET, "/api/v1/push/subscriptions", Read, h!(|req, env, p, me| push::list(env, &me))),
    EdgeRoute::operator(POST, "/api/v1/push/subscriptions", Change, h!(|req, env, p, me| push::subscribe(req, env, &me))),
    EdgeRoute::operator(POST, "/api/v1/push/subscriptions/delete", Change, h!(|req, env, p, me| push::unsubscribe(req, env, &me))),
    // Blocks: blocking from a conversation is any operator's; the list is the admins'.
    EdgeRoute::operator(POST, "/api/v1/console/conversations/:id/block", Change, h!(|req, env, p, me| blocks::block(req, env, &me, &p[0]))),
    EdgeRoute::admin(GET, "/api/v1/console/blocks", Read, DO, h!(|req, env, p, me| blocks::list(env, &me))),
    EdgeRoute::admin(POST, "/api/v1/console/blocks/:id/lift", Change, DO, h!(|req, env, p, me| blocks::lift(env, &me, &p[0]))),
    EdgeRoute::admin(POST, "/api/v1/console/blocks/*", Change, DO, h!(|req, env, p, _me| api::no_route())),
    EdgeRoute::admin(Any, "/api/v1/console/blocks/*", Read, DO, h!(|req, env, p, _me| api::no_route())),
    // Outcome settings: read by every operator, changed by admins.
    EdgeRoute::operator(GET, "/api/v1/console/outcome-settings", Read, h!(|req, env, p, me| outcome_settings::get(env, &me))),
    EdgeRoute::admin(POST, "/api/v1/console/outcome-settings", Change, DO, h!(|req, env, p, me| outcome_settings::save(req, env, &me))),
    EdgeRoute::operator(Any, "/api/v1/console/outcome-settings", Read, h!(|req, env, p, _me| api::no_route())),
    // Shared report links (admins).
    EdgeRoute::admin(POST, "/api/v1/console/report-links", Change, SHARE, h!(|req, env, p, me| report_links::create(&mut req, env, &me))),
    EdgeRoute::admin(GET, "/api/v1/console/report-links", Read, SHARE, h!(|req, env, p, me| report_links::list(env, &me))),
    EdgeRoute::admin(POST, "/api/v1/console/report-links/:id/revoke", Change, SHARE, h!(|req, env, p, me| report_links::revoke(env, &me, &p[0]))),
    EdgeRoute::admin(POST, "/api/v1/console/report-links/*", Change, SHARE, h!(|req, env, p, _me| api::no_route())),
    EdgeRoute::admin(Any, "/api/v1/console/report-links/*", Read, SHARE, h!(|req, env, p, _me| api::no_route())),
    EdgeRoute::open(GET, "/api/v1/public/reports/:slug", Guard::PublicLink, h!(|req, env, p| report_links::public(req, env, &p[0]))),
    EdgeRoute::open(GET, "/api/v1/conversations/:id/ws", Guard::Participant, h!(|req, env, p| api::connect(req, env, &p[0]))),
    EdgeRoute::open(POST, "/api/v1/conversations/:id/ticket", Guard::Ticket, h!(|req, env, p| api::ticket(req, env, &p[0]))),
    // Files in the chat (issue 21): upload and link by a participant, read by the signed link.
    EdgeRoute::open(POST, "/api/v1/conversations/:id/files", Guard::Participant, h!(|req, env, p| crate::files::upload(req, env, &p[0]))),
    EdgeRoute::open(POST, "/api/v1/conversations/:id/files/:file/link", Guard::Participant, h!(|req, env, p| crate::files::link(req, env, &p[0], &p[1]))),
    EdgeRoute::open(GET, "/api/v1/files/:account/:conversation/:file", Guard::PublicLink, h!(|req, env, p| crate::files::read(req, env, &p[0], &p[1], &p[2]))),
    // A fresh deployment's setup (issue 20): open while the directory holds no account.
    EdgeRoute::open(GET, "/console/setup", Guard::Open, h!(|req, env, p| crate::setup::page(&req, env))),
    EdgeRoute::open(GET, "/api/v1/setup", Guard::Open, h!(|req, env, p| crate::setup::state(env))),
    EdgeRoute::open(POST, "/api/v1/setup", Guard::SameOrigin("set up"), h!(|req, env, p| crate::setup::setup(req, env))),
    // Two-factor login (TOTP), the operator's own.
    EdgeRoute::operator(GET, "/api/v1/console/totp", Read, h!(|req, env, p, me| crate::two_factor::state(env, &me))),
    EdgeRoute::operator(POST, "/api/v1/console/totp/begin", Change, h!(|req, env, p, me| crate::two_factor::begin(env, &me))),
    EdgeRoute::operator(POST, "/api/v1/console/totp/confirm", Change, h!(|req, env, p, me| crate::two_factor::confirm(req, env, &me))),
    EdgeRoute::operator(POST, "/api/v1/console/totp/disable", Change, h!(|req, env, p, me| crate::two_factor::disable(req, env, &me))),
    // Sessions.
    EdgeRoute::open(POST, "/api/v1/auth/login", Guard::SameOrigin("log in"), h!(|req, env, p| auth::login(req, env))),
    // One-time links: a password from an invitation or a reset, and asking for a reset.
    EdgeRoute::open(POST, "/api/v1/auth/password", Guard::SameOrigin("set a password"), h!(|req, env, p| crate::links::set_password(req, env))),
    EdgeRoute::open(POST, "/api/v1/auth/reset", Guard::SameOrigin("reset a password"), |c: Call| -> Fut { Box::pin(async move { crate::links::reset(c.req, &c.env, &c.ctx).await }) }),
    EdgeRoute::open(POST, "/api/v1/auth/logout", Guard::SameOrigin("log out"), h!(|req, env, p| auth::logout(req, env))),
    EdgeRoute::operator(GET, "/api/v1/auth/me", Read, h!(|req, env, p, me| api::me(&me))),
    EdgeRoute::operator(GET, "/api/v1/console/conversations", Read, h!(|req, env, p, me| api::list_conversations(req, env, &me))),
    EdgeRoute::operator(GET, "/api/v1/console/conversations/:id/events", Read, h!(|req, env, p, me| api::conversation_events(env, &me, &p[0]))),
    // People, channels, canned responses, settings, the account and offline messages.
    EdgeRoute::open(POST, "/api/v1/widget/offline-message", Guard::Visitor, |c: Call| -> Fut { Box::pin(async move { admin::offline_message(c.req, &c.env, &c.ctx).await }) }),
    EdgeRoute::operator(GET, "/api/v1/console/operators", Read, h!(|req, env, p, me| admin::list_operators(env, &me))),
    EdgeRoute::admin(POST, "/api/v1/console/operators", Change, DO, h!(|req, env, p, me| admin::create_operator(req, env, &me))),
    EdgeRoute::admin(POST, "/api/v1/console/operators/invite", Change, DO, |c: Call, me| -> Fut { Box::pin(async move { crate::links::invite(c.req, &c.env, &c.ctx, &me).await }) }),
    EdgeRoute::admin(POST, "/api/v1/console/operators/:id", Change, DO, h!(|req, env, p, me| admin::update_operator(req, env, &me, &p[0]))),
    EdgeRoute::operator(GET, "/api/v1/console/account", Read, h!(|req, env, p, me| admin::get_account(env, &me))),
    EdgeRoute::admin(POST, "/api/v1/console/account", Change, DO, h!(|req, env, p, me| admin::save_account(req, env, &me))),
    EdgeRoute::operator(GET, "/api/v1/console/settings", Read, h!(|req, env, p, me| admin::get_settings(env, &me))),
    EdgeRoute::operator(POST, "/api/v1/console/settings", Change, h!(|req, env, p, me| admin::save_settings(req, env, &me))),
    EdgeRoute::operator(GET, "/api/v1/console/channels", Read, h!(|req, env, p, me| admin::list_channels(env, &me))),
    EdgeRoute::admin(POST, "/api/v1/console/channels", Change, DO, h!(|req, env, p, me| admin::create_channel(req, env, &me))),
    EdgeRoute::admin(POST, "/api/v1/console/channels/:id", Change, DO, h!(|req, env, p, me| admin::update_channel(req, env, &me, &p[0]))),
    EdgeRoute::operator(GET, "/api/v1/console/channels/:id/mail", Read, h!(|req, env, p, me| admin::channel_mail(env, &me, &p[0]))),
    EdgeRoute::admin(POST, "/api/v1/console/channels/:id/mail", Change, DO, h!(|req, env, p, me| admin::set_channel_mail(req, env, &me, &p[0]))),
    EdgeRoute::admin(POST, "/api/v1/console/channels/:id/identity-secret", Change, DO, h!(|req, env, p, me| admin::rotate_identity_secret(env, &me, &p[0]))),
    EdgeRoute::operator(GET, "/api/v1/console/channels/:id/entry-points", Read, h!(|req, env, p, me| admin::list_entry_points(env, &me, &p[0]))),
    EdgeRoute::admin(POST, "/api/v1/console/channels/:id/entry-points", Change, DO, h!(|req, env, p, me| admin::create_invite(req, env, &me, &p[0]))),
    EdgeRoute::admin(POST, "/api/v1/console/entry-points/:id", Change, DO, h!(|req, env, p, me| admin::update_entry_point(req, env, &me, &p[0]))),
    EdgeRoute::operator(GET, "/api/v1/console/canned", Read, h!(|req, env, p, me| admin::list_canned(env, &me))),
    EdgeRoute::operator(POST, "/api/v1/console/canned", Change, h!(|req, env, p, me| admin::save_canned(req, env, &me, None))),
    EdgeRoute::operator(POST, "/api/v1/console/canned/:id", Change, h!(|req, env, p, me| admin::save_canned(req, env, &me, Some(&p[0])))),
    EdgeRoute::operator(POST, "/api/v1/console/canned/:id/delete", Change, h!(|req, env, p, me| admin::delete_canned(env, &me, &p[0]))),
    EdgeRoute::operator(GET, "/api/v1/console/offline-messages", Read, h!(|req, env, p, me| admin::list_offline(env, &me))),
    // Data rights: a visitor's export and erasure, the account's retention period.
    EdgeRoute::admin(GET, "/api/v1/console/visitors/:id/export", Read, DO, h!(|req, env, p, me| data_rights::export(env, &me, &p[0]))),
    EdgeRoute::admin(POST, "/api/v1/console/visitors/:id/erase", Change, DO, h!(|req, env, p, me| data_rights::erase(env, &me, &p[0]))),
    EdgeRoute::admin(POST, "/api/v1/console/visitors/*", Change, DO, h!(|req, env, p, _me| api::no_route())),
    EdgeRoute::admin(Any, "/api/v1/console/visitors/*", Read, DO, h!(|req, env, p, _me| api::no_route())),
    EdgeRoute::operator(GET, "/api/v1/console/account/retention", Read, h!(|req, env, p, me| data_rights::get_retention(env, &me))),
    EdgeRoute::admin(POST, "/api/v1/console/account/retention", Change, DO, h!(|req, env, p, me| data_rights::save_retention(req, env, &me))),
    // Unknown paths in these areas: the area's guard, then 404.
    EdgeRoute::admin(POST, "/api/v1/console/operators|channels|entry-points/*", Change, DO, h!(|req, env, p, _me| api::no_route())),
    EdgeRoute::operator(POST, "/api/v1/console/canned|settings|account|offline-messages/*", Change, h!(|req, env, p, _me| api::no_route())),
    EdgeRoute::operator(Any, "/api/v1/console/operators|channels|entry-points|canned|settings|account|offline-messages/*", Read, h!(|req, env, p, _me| api::no_route())),
    EdgeRoute::open(Any, "/api/*", Guard::Open, h!(|req, env, p| api::no_route())),
    // Everything else is a static asset (the widget, the console).
    EdgeRoute::open(Any, "/*", Guard::Open, h!(|req, env, p| api::asset(req, env))),
];

fn verb(m: &worker::Method) -> Verb {
    match m {
        worker::Method::Get => Verb::Get,
        worker::Method::Post => Verb::Post,
        worker::Method::Options => Verb::Options,
        _ => Verb::Other,
    }
}

/// Runs the request's route: a body larger than its door takes is refused by its
/// `Content-Length` before anything is read; then its guard, then its handler. Every refusal of
/// a widget door carries CORS for the caller's origin (the widget must read its errors).
pub async fn route(req: worker::Request, env: &worker::Env, ctx: worker::Context) -> worker::Result<worker::Response> {
    let path = req.path();
    let widget = crate::guard::widget_door(&path);
    let origin = crate::guard::origin(&req);
    let resp = match crate::http::refuse_by_length(&req, crate::guard::body_limit(&path))? {
        Some(refusal) => refusal,
        None => dispatch(req, env, &path, ctx).await?,
    };
    if resp.status_code() == 101 {
        return Ok(resp);
    }
    let resp = crate::http::nosniff(resp)?;
    match origin {
        Some(o)
            if widget && resp.status_code() >= 400 && resp.headers().get("Access-Control-Allow-Origin")?.is_none() =>
        {
            crate::http::with_cors(resp, &o)
        }
        _ => Ok(resp),
    }
}

async fn dispatch(
    req: worker::Request,
    env: &worker::Env,
    path: &str,
    ctx: worker::Context,
) -> worker::Result<worker::Response> {
    let Some((route, p)) = find(ROUTES, verb(&req.method()), path) else {
        return crate::cost::fetch(env, req).await;
    };
    let ctx = std::rc::Rc::new(ctx);
    let call = |req| Call { req, env: env.clone(), p, ctx };
    match (&route.run, route.guard) {
        (Run::Open(f), Guard::SameOrigin(what)) => match crate::guard::same_origin_only(&req, what)? {
            Ok(()) => f(call(req)).await,
            Err(refusal) => Ok(refusal),
        },
        (Run::Open(f), _) => f(call(req)).await,
        (Run::Operator(f), Guard::Console(access, need)) => match crate::guard::console(&req, env, access, need).await?
        {
            Ok(op) => f(call(req), op).await,
            Err(refusal) => Ok(refusal),
        },
        (Run::Admin(f), Guard::Console(access, need)) => match crate::guard::console(&req, env, access, need).await? {
            Ok(op) => f(call(req), crate::guard::Admin(op)).await,
            Err(refusal) => Ok(refusal),
        },
        (Run::Operator(_) | Run::Admin(_), _) => unreachable!("console handlers are built with a console guard"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(verb: Verb, path: &str) -> Option<(&'static str, Guard, Vec<String>)> {
        find(ROUTES, verb, path).map(|(r, p)| (r.path, r.guard, p))
    }

    #[test]
    fn patterns_match_segments() {
        let segs = segments("/api/v1/console/operators/o_1");
        assert_eq!(match_path("/api/v1/console/operators/:id", &segs), Some(vec!["o_1".to_owned()]));
        assert_eq!(match_path("/api/v1/console/operators", &segs), None);
        assert_eq!(match_path("/api/v1/console/operators/*", &segs), Some(vec![]));
        assert_eq!(match_path("/api/v1/console/operators/*", &segments("/api/v1/console/operators")), Some(vec![]));
        assert_eq!(match_path("/api/v1/console/operators/:id/x", &segs), None);
        assert_eq!(segments("/"), vec![""]);
        assert_eq!(segments("/api/v1/health/"), vec!["api", "v1", "health"]);
        assert_eq!(match_path("/", &segments("/")), Some(vec![]));
        assert_eq!(match_path("/", &segments("/x")), None);
        assert_eq!(match_path("/a/b|c/*", &segments("/a/c/d")), Some(vec![]));
        assert_eq!(match_path("/a/b|c/*", &segments("/a/bc")), None);
    }

    #[test]
    fn routes_declare_their_guards() {
        use Access::{Change, Console, Read};
        let (op, admin) = (Need::Operator, Need::Admin("do this"));
        let cases = [
            (Verb::Get, "/api/v1/console/operators", Guard::Console(Read, op)),
            (Verb::Post, "/api/v1/console/operators/o_9", Guard::Console(Change, admin)),
            (Verb::Post, "/api/v1/console/settings", Guard::Console(Change, op)),
            (Verb::Post, "/api/v1/console/presence", Guard::Console(Console, op)),
            (Verb::Get, "/api/v1/console/report-links", Guard::Console(Read, Need::Admin("share reports"))),
            (Verb::Get, "/api/v1/reports/by-operator.csv", Guard::Console(Read, Need::Admin("see reports"))),
            (Verb::Post, "/api/v1/auth/login", Guard::SameOrigin("log in")),
            (Verb::Get, "/console/setup", Guard::Open),
            (Verb::Get, "/api/v1/setup", Guard::Open),
            (Verb::Post, "/api/v1/setup", Guard::SameOrigin("set up")),
            (Verb::Post, "/api/v1/console/totp/confirm", Guard::Console(Change, op)),
            (Verb::Post, "/api/v1/console/operators/invite", Guard::Console(Change, admin)),
            (Verb::Post, "/api/v1/auth/password", Guard::SameOrigin("set a password")),
            (Verb::Post, "/api/v1/auth/reset", Guard::SameOrigin("reset a password")),
            (Verb::Post, "/api/v1/conversations", Guard::Visitor),
            (Verb::Get, "/api/v1/conversations/c_1/ws", Guard::Participant),
            (Verb::Post, "/api/v1/conversations/c_1/ticket", Guard::Ticket),
            (Verb::Get, "/api/v1/public/reports/r_1", Guard::PublicLink),
            (Verb::Post, "/api/v1/conversations/c_1/files", Guard::Participant),
            (Verb::Post, "/api/v1/conversations/c_1/files/f_1/link", Guard::Participant),
            (Verb::Get, "/api/v1/files/a_1/c_1/f_1", Guard::PublicLink),
            (Verb::Get, "/api/v1/console/visitors/v_1/export", Guard::Console(Read, admin)),
            (Verb::Post, "/api/v1/console/visitors/v_1/erase", Guard::Console(Change, admin)),
            (Verb::Post, "/api/v1/console/visitors/v_1/nope", Guard::Console(Change, admin)),
            (Verb::Get, "/api/v1/console/account/retention", Guard::Console(Read, op)),
            (Verb::Get, "/api/v1/push/key", Guard::Open),
            (Verb::Get, "/api/v1/push/subscriptions", Guard::Console(Read, op)),
            (Verb::Post, "/api/v1/push/subscriptions", Guard::Console(Change, op)),
            (Verb::Post, "/api/v1/push/subscriptions/delete", Guard::Console(Change, op)),
            (Verb::Post, "/api/v1/console/account/retention", Guard::Console(Change, admin)),
            // Unknown paths keep their area's guard before the 404: POST in an admin area needs a
            // session, the console's origin and an admin; `account` is an admin area only as
            // itself; other methods need a session (and an admin under `blocks`).
            (Verb::Post, "/api/v1/console/channels/ch_1/nope", Guard::Console(Change, admin)),
            (Verb::Post, "/api/v1/console/account/x", Guard::Console(Change, op)),
            (Verb::Other, "/api/v1/console/operators", Guard::Console(Read, op)),
            (Verb::Get, "/api/v1/console/blocks/x", Guard::Console(Read, admin)),
            (Verb::Other, "/api/v1/console/outcome-settings", Guard::Console(Read, op)),
            (Verb::Get, "/api/v1/console/outcome-settings/x", Guard::Open),
            (Verb::Get, "/api/v2/anything", Guard::Open),
        ];
        for (verb, path, guard) in cases {
            assert_eq!(at(verb, path).map(|r| r.1), Some(guard), "{verb:?} {path}");
        }
        assert_eq!(at(Verb::Post, "/api/v1/console/operators/o_9").unwrap().2, vec!["o_9".to_owned()]);
        assert_eq!(at(Verb::Get, "/api/v1/reports/by-operator.csv").unwrap().2, vec!["by-operator.csv".to_owned()]);
        let first = |verb, path| at(verb, path).map(|r| r.0);
        assert_eq!(first(Verb::Get, "/api/v1/console/outcome-settings/x"), Some("/api/*"));
        assert_eq!(first(Verb::Get, "/widget/app.js"), Some("/*"));
        assert_eq!(first(Verb::Get, "/demo/csp/page"), Some("/demo/*"));
        assert_eq!(first(Verb::Get, "/"), Some("/"));
        assert_eq!(first(Verb::Options, "/api/v1/widget/session"), Some("/api/*"));
    }

    #[test]
    fn every_route_is_reachable() {
        for r in ROUTES {
            assert!(r.path.starts_with('/'), "{}", r.path);
            assert!(r.path.find('*').is_none_or(|s| s == r.path.len() - 1), "{}: `*` only at the end", r.path);
            // An example path of the route finds the route itself, not an earlier one.
            let example = r.path.replace(":id", "x1").replace(":slug", "x1").replace('*', "zz/zz");
            // The first of alternatives (`a|b/…` → `a/…`).
            let example: Vec<&str> = example.split('/').map(|seg| seg.split('|').next().unwrap_or(seg)).collect();
            let example = example.join("/");
            let verb = match r.on {
                On::Only(v) => v,
                On::Any => Verb::Other,
            };
            let (first, _) = find(ROUTES, verb, &example).expect("some route");
            assert!(std::ptr::eq(first, r), "{} is hidden by {}", r.path, first.path);
        }
    }
}

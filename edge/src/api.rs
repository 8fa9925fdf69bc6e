//! Handlers of the visitor's and the console's core routes (sessions, conversations, presence).
//! Each gets its caller from [`crate::guard`], then either answers from D1 or hands the request
//! to the conversation's Durable Object with headers only this worker can set.

use parley_core::auth;
use parley_core::conversation::Participant;
use parley_core::dispatch::{DispatchError, PresenceView, RouteUpdate};
use parley_core::keys::{self, Purpose};
use parley_core::record::ConversationRecord;
use parley_core::start::{self, NewConversation, Start};
use parley_core::throttle::Door;
use parley_protocol::api::{
    Availability, AvailabilityRequest, ChannelInfo, ConversationCreated, ConversationList, CreateConversationRequest,
    OperatorInfo, PresenceChange, PresenceSnapshot, SocketTicket, TicketRequest, TransferRequest, WidgetSession,
    WidgetSessionRequest,
};
use parley_protocol::entry_points::{EntryKind, EntryPointRef};
use parley_protocol::ids::{is_valid_id, AccountId, ChannelId, ConversationId, OperatorId};
use parley_protocol::invites::Rule;
use parley_protocol::protocol::{Role, VisitorInfo};
use serde::Deserialize;
use worker::{Env, Request, Response, Result};

use crate::dispatch::{self, profile_of};
use crate::guard::{self, Operator, Visitor, VisitorProof, WsRole};
use crate::http::{self, fail};
use crate::store::operators::OperatorRow;
use crate::stubs::{Command, ConversationStub, InitBody};
use crate::util::{new_id, now, random_bytes};
use parley_protocol::error::{ApiError, ErrorCode};

/// `GET /api/v1/health`.
pub(crate) async fn health() -> Result<Response> {
    http::json(&serde_json::json!({ "ok": true }))
}

/// 404 `not_found` for a path the API does not have.
pub(crate) async fn no_route() -> Result<Response> {
    http::refuse(ApiError::no_route())
}

/// Anything outside `/api/`: the static assets (widget, console).
pub(crate) async fn asset(req: Request, env: &Env) -> Result<Response> {
    crate::cost::fetch(env, req).await
}

/// `/` and `/demo/<anything>`: the demo host page (one page standing in for every page of a
/// site, so the widget can be seen across page views), with the snippet pointing at this very
/// origin. Under `/demo/csp/<anything>` the same page comes with [`DEMO_CSP`].
pub(crate) async fn demo_page(req: &Request, env: &Env) -> Result<Response> {
    let origin = req.url()?.origin().ascii_serialization();
    let mut page = env.assets("ASSETS")?.fetch(format!("{origin}/demo"), None).await?;
    if page.status_code() != 200 {
        return fail(ErrorCode::NotFound, "demo page missing from the assets");
    }
    let html = page.text().await?.replace("{{ORIGIN}}", &origin);
    let mut resp = Response::from_html(html)?;
    if req.path().trim_matches('/').split('/').nth(1) == Some("csp") {
        resp.headers_mut().set("Content-Security-Policy", DEMO_CSP)?;
    }
    Ok(resp)
}

/// The strict policy of the demo's `/demo/csp/` pages (README "Strict Content-Security-Policy"):
/// the widget needs no inline script or style (its styles are constructable stylesheets).
const DEMO_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                        connect-src 'self' ws: wss:; img-src 'self' data:";

/// The channel's chat button and its enabled auto-invites in the order they are tried (one
/// query).
async fn widget_entry_points(env: &Env, channel_id: &str) -> Result<(EntryPointRef, Vec<Rule>)> {
    let rows = crate::store::entry_points::entry_points(&crate::store::directory(env)?, None, channel_id).await?;
    let mut button = None;
    let mut invites = Vec::new();
    for row in rows {
        match row.kind() {
            EntryKind::Button => {
                button.get_or_insert(EntryPointRef { id: row.id.clone(), name: row.name.clone() });
            }
            EntryKind::Invite if row.enabled != 0 => {
                if let Some(invite) = row.settings() {
                    invites.push(Rule { id: row.id, name: row.name, invite });
                }
            }
            EntryKind::Invite => {}
        }
    }
    // Every channel has its button row (migration 0004, channel creation); never fail a visitor.
    let button = button.unwrap_or_else(|| EntryPointRef {
        id: format!("btn_{channel_id}"),
        name: parley_protocol::entry_points::DEFAULT_BUTTON_NAME.into(),
    });
    Ok((button, invites))
}

/// `GET /api/v1/widget/look?channel=<id>`: [`parley_protocol::api::WidgetLook`], what the loader
/// draws the launcher with before the app loads, and whether the channel has invites (the
/// loader then loads the app when the page is idle, else at the visitor's first intent). Public
/// and the same for every site (no origin check: accent, corner and language are shown to every
/// visitor anyway), so `*` CORS; one D1 read by primary key. The loader asks once per page, so
/// this is where the page view and the chat button's view are counted ([`crate::tally::page_view`],
/// after the answer, through `cost::after`): the answer is `no-store`. 400 `bad_channel` for a
/// missing or ill-formed id, 404 `unknown_channel`.
pub(crate) async fn widget_look(req: &Request, env: &Env, ctx: &worker::Context) -> Result<Response> {
    let channel = req.url()?.query_pairs().find(|(k, _)| k == "channel").map(|(_, v)| v.into_owned());
    let resp = match channel {
        Some(id) if is_valid_id(&id) => {
            match crate::store::channels::channel_look(&crate::store::directory(env)?, &id).await? {
                Some(row) => {
                    if let Some(button) = row.button.clone() {
                        let view = crate::tally::PageView {
                            channel_id: id,
                            hostname: guard::page_hostname(req),
                            address: guard::address(req),
                            button,
                        };
                        let env = env.clone();
                        crate::cost::after(ctx, async move {
                            if let Err(e) = crate::tally::page_view(&env, view).await {
                                worker::console_error!("page view not counted: {e}");
                            }
                        });
                    }
                    http::json(&row.into_api())?
                }
                None => fail(ErrorCode::UnknownChannel, "no such channel")?,
            }
        }
        _ => fail(ErrorCode::BadChannel, "give the channel id: ?channel=<id>")?,
    };
    let headers = resp.headers().clone();
    headers.set("Access-Control-Allow-Origin", "*")?;
    headers.set("Cache-Control", "no-store")?;
    Ok(resp.with_headers(headers))
}

/// `POST /api/v1/widget/session`: the channel's widget settings and the visitor's identity
/// (kept when its token checks out, else a fresh one; with a valid `identity`, the id derived
/// from the site's user id), with its entry points. Writes only the identified visitor's name
/// and e-mail (`identified_visitors`).
pub(crate) async fn widget_session(mut req: Request, env: &Env) -> Result<Response> {
    let body: WidgetSessionRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    // A failed read is the edge's error (500), never "no such channel".
    let Some(channel) =
        crate::store::channels::channel(&crate::store::directory(env)?, body.channel_id.as_str()).await?
    else {
        return fail(ErrorCode::UnknownChannel, "no such channel");
    };
    let origin = match guard::channel_origin(&req, env, &channel.id).await? {
        Ok(o) => o.origin,
        Err(resp) => return Ok(resp),
    };
    let ring = guard::keys(env, Purpose::VisitorToken)?;
    // `Parley.identify`: a proven user gets the visitor id derived from (account, user id); a
    // bad hash is refused and nothing changes.
    let identified = match &body.identity {
        Some(identity) => match crate::outcomes::identify(env, &channel.id, identity).await? {
            Ok(id) => Some(id),
            Err(resp) => return http::with_cors(resp, &origin),
        },
        None => None,
    };
    let (visitor_id, visitor_token) = match (identified.clone(), body.visitor_id, body.visitor_token) {
        (Some(id), _, _) => {
            let token = keys::visitor_token(&ring, &id);
            (id, token)
        }
        // A token of the previous key (during a rotation) is renewed with the current one.
        (None, Some(id), Some(token)) if guard::visitor_token_ok(&ring, id.as_str(), &token) => {
            let token = keys::visitor_token(&ring, id.as_str());
            (id.0, token)
        }
        _ => {
            let id = new_id("v");
            let token = keys::visitor_token(&ring, &id);
            (id, token)
        }
    };
    let shard = crate::store::shard(env, channel.account_id.as_str()).await?;
    let conversation_id =
        crate::store::conversations::open_conversation_for(&shard, &channel.id, &visitor_id).await?.map(|c| c.id.0);
    let (button, invites) = widget_entry_points(env, &channel.id).await?;
    let resp = http::json(&WidgetSession {
        channel: ChannelInfo {
            button,
            id: channel.id,
            name: channel.name,
            greeting: channel.greeting,
            accent: channel.accent,
            time_zone: channel.time_zone,
            invites,
            prechat: crate::outcome_settings::prechat_of(&channel.prechat_form),
            goals: crate::store::outcome_settings::widget_goals(
                &crate::store::directory(env)?,
                channel.account_id.as_str(),
            )
            .await?,
            language: channel.language,
            position: channel.position,
            greetings: crate::store::channels::greetings_of(&channel.greetings),
        },
        visitor_id,
        visitor_token,
        conversation_id,
        identified: identified.is_some(),
    })?;
    http::with_cors(resp, &origin)
}

/// `POST /api/v1/conversations`: the visitor's open conversation, created if there is none.
pub(crate) async fn create_conversation(mut req: Request, env: &Env) -> Result<Response> {
    let Visitor { body, origin } = match guard::visitor::<CreateConversationRequest>(&mut req, env).await? {
        Ok(v) => v,
        Err(resp) => return Ok(resp),
    };
    let d1 = crate::store::directory(env)?;
    let entry = match crate::tally::resolve_entry(env, body.channel_id.as_str(), body.entry.as_ref()).await? {
        Ok(e) => e,
        Err(resp) => return http::with_cors(resp, &origin),
    };
    // The channel's account says which shard holds the visitor's conversations and blocks.
    let Some((account_id, shard)) = crate::store::channel_shard(env, body.channel_id.as_str()).await? else {
        return http::with_cors(fail(ErrorCode::UnknownChannel, "no such channel")?, &origin);
    };
    let blocked = crate::store::blocks::is_blocked(&shard, &account_id, &body.visitor_id).await?;
    let open = crate::store::conversations::open_conversation_for(&shard, &body.channel_id, &body.visitor_id).await?;
    let (conversation_id, status) = match start::first_step(blocked, open.map(|c| (c.id, c.status))) {
        // A blocked visitor is told so politely; the reason is never revealed.
        Start::Blocked => {
            let resp = fail(ErrorCode::VisitorBlocked, parley_protocol::outcomes::VISITOR_BLOCKED_MESSAGE)?;
            return http::with_cors(resp, &origin);
        }
        Start::Reuse { conversation_id, status } => (conversation_id, status),
        Start::Create => {
            // The pre-chat answers are checked before anything is written (400 naming the field).
            let who =
                match crate::outcomes::visitor_details(&d1, &shard, &body.channel_id, &body.visitor_id, &body.prechat)
                    .await?
                {
                    Ok(w) => w,
                    Err(resp) => return http::with_cors(resp, &origin),
                };
            let channel = crate::store::channels::channel(&d1, &body.channel_id).await?.ok_or("channel vanished")?;
            // A channel with notification addresses mails its missed chats (read with the row).
            let mails_missed = crate::mail_out::sender(env)?.is_some()
                && serde_json::from_str::<Vec<String>>(&channel.mail_addresses).is_ok_and(|a| !a.is_empty());
            let missed_wait_ms = mails_missed.then_some(
                u64::from(channel.mail_missed_wait_minutes.max(1)) * crate::config::get(env)?.mail_minute_ms,
            );
            let self_origin = req.url().map(|u| u.origin().ascii_serialization()).unwrap_or_default();
            // Floods: new chats per visitor, client address and channel (429 + Retry-After).
            let address = guard::address(&req);
            let doors = [
                (Door::ChatVisitor, Some(body.visitor_id.as_str())),
                (Door::ChatAddress, address.as_deref()),
                (Door::ChatChannel, Some(channel.id.as_str())),
            ];
            if let Err(resp) = guard::throttle(env, &doors).await? {
                return http::with_cors(resp, &origin);
            }
            let id = ConversationId(new_id("c"));
            let language = start::language_of(&body.language);
            // Routing first: the object starts knowing where it stands. Should anything below
            // fail, the dispatcher drops the chat when it cannot reach its object.
            let cmd = Command::NewChat {
                conversation_id: id.clone(),
                channel: channel.id.clone(),
                language: Some(language.clone()).filter(|l| !l.is_empty()),
            };
            let route: RouteUpdate = match dispatch::call(env, &channel.account_id, &cmd).await? {
                Ok(r) => r,
                // A full queue: the widget shows its offline form.
                Err(refused @ DispatchError::QueueFull) => {
                    return http::with_cors(http::refuse(ApiError::from(refused))?, &origin)
                }
                Err(refused) => return dispatch_refusal(refused, 409),
            };
            let assigned = matches!(route, RouteUpdate::Assigned { .. });
            // Its website session (see `ConversationRecord::session_id`: a session ends when
            // its chat does, so every new conversation opens one) and the host the origin matched.
            let host_id = match guard::origin_hostname(&origin) {
                Some(hostname) => crate::store::channels::channel_host(&d1, &channel.id, &hostname).await?,
                None => None,
            };
            let (row, visitor) = start::new_conversation(NewConversation {
                id,
                account_id: channel.account_id,
                channel_id: ChannelId(channel.id),
                visitor_id: body.visitor_id,
                at: now(),
                language,
                page_url: start::page_url_of(&body.page_url),
                country: req.cf().and_then(|cf| cf.country()).unwrap_or_default(),
                request_type: entry.request_type(),
                request_source: entry.request_source(),
                entry_point_id: entry.entry_point_id().map(str::to_owned),
                decision_ms: entry.decision_ms,
                session_id: new_id("ss"),
                host_id,
                who,
                route: route.clone(),
            });
            // The object first: a D1 row never points at an object that does not know itself.
            // Should its creation fail, the dispatcher is told the chat is over, so it does not
            // hold an operator's slot or a queue place forever (the ghost chat).
            if let Err(e) = init_object(env, &row, route, visitor, missed_wait_ms, self_origin).await {
                free_slot(env, &row).await;
                return Err(e);
            }
            // Its parties in the directory (the ticket and socket doors read them), then its row
            // on the account's shard.
            let parties = (row.id.as_str(), row.account_id.as_str(), row.channel_id.as_str(), row.visitor_id.as_str());
            let stored = match crate::store::directory::add_parties(
                &d1,
                parties.0,
                parties.1,
                parties.2,
                parties.3,
                row.created_at,
            )
            .await
            {
                Ok(()) => crate::store::conversations::insert_conversation(&shard, &row).await,
                Err(e) => Err(e),
            };
            if let Err(e) = stored {
                // One open conversation per visitor and channel (migration 0010): a second tab
                // that started at the same time lost the race; both go on in the winner's.
                free_slot(env, &row).await;
                // The loser's parties row points at no conversation: forgotten (best effort).
                let lost = [row.id.0.clone()];
                if let Err(e) = crate::store::directory::forget_parties(&d1, row.account_id.as_str(), None, &lost).await
                {
                    worker::console_error!("forgetting the parties of {}: {e}", row.id.as_str());
                }
                return match crate::store::conversations::open_conversation_for(
                    &shard,
                    &row.channel_id,
                    &row.visitor_id,
                )
                .await?
                {
                    Some(open) => http::with_cors(
                        http::json(&ConversationCreated { conversation_id: open.id, status: open.status })?,
                        &origin,
                    ),
                    None => Err(e),
                };
            }
            // Counted once per new conversation (the ids are the conversation's).
            crate::tally::record_chat(env, &row, &entry, assigned).await;
            (row.id, row.status)
        }
    };
    let resp = http::json(&ConversationCreated { conversation_id, status })?;
    http::with_cors(resp, &origin)
}

/// Tells the account's dispatcher that the chat `row` started is over (its start failed after
/// routing): its operator's slot or queue place is free again. Best effort (logged): the
/// request that failed answers its own error.
async fn free_slot(env: &Env, row: &ConversationRecord) {
    let cmd = Command::Notice { conversation_id: row.id.clone(), notice: parley_core::conversation::Notice::Closed };
    match dispatch::call::<serde_json::Value>(env, &row.account_id, &cmd).await {
        Ok(_) => {}
        Err(e) => worker::console_error!("freeing the slot of {}: {e}", row.id.as_str()),
    }
}

async fn init_object(
    env: &Env,
    row: &ConversationRecord,
    route: RouteUpdate,
    visitor: VisitorInfo,
    missed_wait_ms: Option<u64>,
    origin: String,
) -> Result<()> {
    let init = InitBody {
        conversation_id: row.id.clone(),
        account_id: row.account_id.clone(),
        channel_id: row.channel_id.clone(),
        visitor_id: row.visitor_id.clone(),
        created_at: row.created_at,
        route,
        visitor,
        missed_wait_ms,
        origin,
        visitor_email: row.visitor_email.clone(),
    };
    ConversationStub::get(env, &row.id)?.init(init).await
}

#[derive(Deserialize)]
struct WsQuery {
    role: String,
    /// A visitor's ticket (`POST /api/v1/conversations/:id/ticket`).
    ticket: Option<String>,
    /// No longer accepted in the URL: its presence is refused.
    visitor_token: Option<String>,
}

/// The conversation's `(account, channel, visitor)`, or the 404 for an unknown or malformed id.
pub(crate) async fn conversation_parties(
    env: &Env,
    id: &str,
) -> Result<std::result::Result<(String, String, String), Response>> {
    if !is_valid_id(id) {
        return fail(ErrorCode::UnknownConversation, "no such conversation").map(Err);
    }
    match crate::store::directory::parties(&crate::store::directory(env)?, id).await? {
        Some(c) => Ok(Ok((c.account_id, c.channel_id, c.visitor_id))),
        None => fail(ErrorCode::UnknownConversation, "no such conversation").map(Err),
    }
}

/// `GET /api/v1/conversations/:id/ws`: authenticate, then hand the upgrade to the object. A
/// visitor's socket opens with a ticket (`?role=visitor&ticket=…`), never with the permanent
/// visitor token in the URL.
pub(crate) async fn connect(req: Request, env: &Env, id: &str) -> Result<Response> {
    if req.headers().get("Upgrade")?.as_deref() != Some("websocket") {
        return fail(ErrorCode::UpgradeRequired, "expected a WebSocket upgrade");
    }
    let q: WsQuery = match req.query() {
        Ok(q) => q,
        Err(_) => return fail(ErrorCode::Malformed, "expected ?role=visitor|operator"),
    };
    let (account_id, channel_id, visitor_id) = match conversation_parties(env, id).await? {
        Ok(c) => c,
        Err(resp) => return Ok(resp),
    };
    let role = match WsRole::parse(&q.role) {
        Ok(r) => r,
        Err(e) => return http::refuse(e),
    };
    if role == WsRole::Visitor && q.visitor_token.is_some() {
        return http::refuse(guard::bad_ticket(None));
    }
    let proof = VisitorProof::Ticket(q.ticket);
    let who = match guard::participant(&req, env, role, proof, (id, &account_id, &channel_id, &visitor_id)).await? {
        Ok(p) => p,
        Err(resp) => return Ok(resp),
    };
    let role = match who.role {
        WsRole::Visitor => Role::Visitor,
        WsRole::Operator => Role::Operator,
    };
    if role == Role::Operator {
        // Remembered before the socket opens, so a logout from now on reaches it.
        let d1 = crate::store::directory(env)?;
        crate::store::sessions::record_socket(&d1, &who.session, id, &who.id, &account_id, now().0).await?;
    }
    let participant = Participant { role, id: who.id, name: who.name };
    let ticketed = who.ticket.is_some();
    let resp =
        ConversationStub::get(env, id)?.connect(participant, who.session, who.ticket, who.session_valid_until).await?;
    if ticketed && resp.status_code() == 403 {
        // The object refuses a ticket it saw before.
        return http::refuse(guard::bad_ticket(Some(keys::TicketRefusal::Spent)));
    }
    Ok(resp)
}

/// `POST /api/v1/conversations/:id/ticket` (`{visitor_id, visitor_token}`, from a registered
/// host of the conversation's channel): a [`SocketTicket`] opening the conversation's socket
/// once, within `SOCKET_TICKET_TTL_MS`. Refused as the socket was: 404 `unknown_conversation`,
/// 403 `origin_*`, `bad_visitor_token` (no token), `not_your_conversation`.
pub(crate) async fn ticket(mut req: Request, env: &Env, id: &str) -> Result<Response> {
    let body: TicketRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let (account_id, channel_id, visitor_id) = match conversation_parties(env, id).await? {
        Ok(c) => c,
        Err(resp) => return Ok(resp),
    };
    let proof = VisitorProof::Token(body.visitor_id.zip(body.visitor_token));
    let conv = (id, account_id.as_str(), channel_id.as_str(), visitor_id.as_str());
    if let Err(resp) = guard::participant(&req, env, WsRole::Visitor, proof, conv).await? {
        return Ok(resp);
    }
    let nonce = auth::encode_token(&random_bytes::<12>());
    let ring = guard::keys(env, Purpose::SocketTicket)?;
    let (ticket, expires_at) = keys::mint_ticket(&ring, id, &visitor_id, &nonce, now().0);
    let origin = guard::origin(&req).unwrap_or_default();
    http::with_cors(http::json(&SocketTicket { ticket, expires_at })?, &origin)
}

// ---------------------------------------------------------------------------------------------
// Console side (same origin, session cookie).

pub(crate) fn me_of(o: &OperatorRow) -> OperatorInfo {
    OperatorInfo {
        id: OperatorId(o.id.clone()),
        account_id: AccountId(o.account_id.clone()),
        username: o.username.clone(),
        chat_name: o.chat_name.clone(),
        role: parley_protocol::admin::Role::parse(&o.role).unwrap_or(parley_protocol::admin::Role::Operator),
    }
}

/// `GET /api/v1/auth/me`: the logged-in operator.
pub(crate) async fn me(op: &OperatorRow) -> Result<Response> {
    http::json(&me_of(op))
}

/// `GET /api/v1/console/conversations[?visitor=<visitor_id>]`.
pub(crate) async fn list_conversations(req: Request, env: &Env, op: &OperatorRow) -> Result<Response> {
    // `?visitor=<visitor_id>`: that visitor's conversations (the console's "Past conversations").
    if let Some((_, visitor)) = req.url()?.query_pairs().find(|(k, _)| k == "visitor") {
        return crate::outcomes::visitor_conversations(env, &op.account_id, &visitor).await;
    }
    let shard = crate::store::shard(env, &op.account_id).await?;
    let rows = crate::store::conversations::list_conversations(&shard, &op.account_id, 200).await?;
    http::json(&ConversationList { conversations: crate::store::conversations::summaries(&rows) })
}

/// `GET /api/v1/console/conversations/:id/events`: the conversation's state changes.
pub(crate) async fn conversation_events(env: &Env, op: &OperatorRow, id: &str) -> Result<Response> {
    let d1 = crate::store::shard(env, &op.account_id).await?;
    match crate::store::conversations::conversation(&d1, id).await? {
        Some(conv) if conv.account_id == op.account_id => http::json(
            &serde_json::json!({ "events": crate::store::conversations::conversation_events(&d1, id).await? }),
        ),
        _ => fail(ErrorCode::UnknownConversation, "no such conversation"),
    }
}

// ---------------------------------------------------------------------------------------------
// Presence and routing (the account's dispatch object).

/// `POST /api/v1/widget/availability`: is anyone online in the channel? Asked when the
/// visitor opens the widget without a conversation (not on every page view).
pub(crate) async fn availability(mut req: Request, env: &Env) -> Result<Response> {
    let Visitor { body, origin } = match guard::visitor::<AvailabilityRequest>(&mut req, env).await? {
        Ok(v) => v,
        Err(resp) => return Ok(resp),
    };
    let channel = crate::store::channels::channel(&crate::store::directory(env)?, body.channel_id.as_str())
        .await?
        .ok_or("channel vanished")?;
    let cmd = Command::Available { channel: channel.id };
    let answer: Availability = match dispatch::call(env, channel.account_id.as_str(), &cmd).await? {
        Ok(a) => a,
        Err(refused) => return dispatch_refusal(refused, 409),
    };
    http::with_cors(http::json(&answer)?, &origin)
}

/// `GET /api/v1/console/presence`: who is online where, open chats, the account's channels.
pub(crate) async fn presence(env: &Env, op: Operator) -> Result<Response> {
    let view: PresenceView =
        match dispatch::call(env, &op.account_id, &Command::View { profile: profile_of(&op) }).await? {
            Ok(v) => v,
            Err(refused) => return dispatch_refusal(refused, 409),
        };
    let channels = crate::store::channels::account_channels(&crate::store::directory(env)?, &op.account_id).await?;
    http::json(&PresenceSnapshot { me: op.row.id, presence: view, channels })
}

/// `POST /api/v1/console/presence`: go online/offline, join or leave one of the account's channels.
pub(crate) async fn change_presence(mut req: Request, env: &Env, op: Operator) -> Result<Response> {
    let body: PresenceChange = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let channels = crate::store::channels::account_channels(&crate::store::directory(env)?, &op.account_id).await?;
    for ch in [&body.join, &body.leave].into_iter().flatten() {
        if !channels.iter().any(|c| &c.id == ch) {
            return fail(ErrorCode::UnknownChannel, "no such channel");
        }
    }
    let cmd = Command::Presence { profile: profile_of(&op), online: body.online, join: body.join, leave: body.leave };
    if let Err(refused) = dispatch::call::<serde_json::Value>(env, &op.account_id, &cmd).await? {
        return dispatch_refusal(refused, 409);
    }
    presence(env, op).await
}

/// `POST /api/v1/console/presence/touch`: the operator is active in the console.
pub(crate) async fn touch(env: &Env, op: &OperatorRow) -> Result<Response> {
    let cmd = Command::Touch { profile: profile_of(op) };
    if let Err(refused) = dispatch::call::<serde_json::Value>(env, &op.account_id, &cmd).await? {
        return dispatch_refusal(refused, 409);
    }
    http::json(&serde_json::json!({ "ok": true }))
}

/// `POST /api/v1/console/conversations/:id/transfer`: hand the chat to another operator.
pub(crate) async fn transfer(mut req: Request, env: &Env, op: &OperatorRow, id: &str) -> Result<Response> {
    let body: TransferRequest = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    match crate::store::conversations::conversation(&crate::store::shard(env, &op.account_id).await?, id).await? {
        Some(conv) if conv.account_id == op.account_id => {}
        _ => return fail(ErrorCode::UnknownConversation, "no such conversation"),
    }
    // The dispatcher is the account's: an operator of another account is unknown to it.
    let cmd = Command::Transfer { conversation_id: id.into(), to: body.operator_id };
    match dispatch::call::<serde_json::Value>(env, &op.account_id, &cmd).await? {
        Ok(_) => http::json(&serde_json::json!({ "ok": true })),
        Err(e @ (DispatchError::UnknownOperator | DispatchError::UnknownChat)) => dispatch_refusal(e, 404),
        Err(e) => dispatch_refusal(e, 409),
    }
}

/// The dispatcher's refusal, sent with `status` (409, or 404 for a transfer to an unknown
/// operator or conversation).
fn dispatch_refusal(e: DispatchError, status: u16) -> Result<Response> {
    http::refuse(ApiError::from(e).with_status(status))
}

//! Who is calling: every check of a cookie, an `Origin` header or a role is here, and each
//! route of [`crate::routes`] declares the guard it needs. A guard either yields a typed
//! principal ([`Operator`], [`Admin`], [`Visitor`], [`ChannelOrigin`], [`Participant`]) or the
//! refusal to send, always the same status, code and message for the same situation.
//!
//! The decisions themselves ([`console_access`], [`parse_cookie`], [`origin_hostname`],
//! [`same_origin`], [`identified_visitor`]) are pure functions of parsed inputs, tested natively below; the async
//! functions only fetch what they need (the request's headers, D1 rows) to call them.

use parley_core::auth;
use parley_core::keys::{self, Key, Keyring, Purpose, TicketRefusal};
use parley_protocol::admin::Role;
use parley_protocol::error::{ApiError, ErrorCode};
use parley_protocol::ids::is_valid_id;

use crate::store::operators::OperatorRow;

/// The console's session cookie.
pub const SESSION_COOKIE: &str = "parley_session";

/// A `Set-Cookie` value for the session cookie: HttpOnly, SameSite=Strict, Secure on https.
pub fn session_cookie(req: &worker::Request, value: &str, max_age_secs: u64) -> String {
    let secure = req.url().map(|u| u.scheme() == "https").unwrap_or(true);
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        SESSION_COOKIE,
        if secure { "; Secure" } else { "" }
    )
}

/// Longest session token accepted (longer ones are not looked up).
const MAX_TOKEN_LEN: usize = 128;

// ---------------------------------------------------------------------------------------------
// Pure decisions.

/// How a console route checks where the call comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reading: a live session is enough.
    Read,
    /// A change: a live session, then the console's own origin ("changes must come from the
    /// console").
    Change,
    /// A presence or transfer command: the console's own origin first ("use the console"), then
    /// a live session.
    Console,
}

/// Who may use a console route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Any operator of the account.
    Operator,
    /// An admin of the account; the text ends the refusal "only an admin of the account can …".
    Admin(&'static str),
}

/// The guard a route declares (see [`crate::routes::ROUTES`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    /// No check (health, the demo page, the launcher's look).
    Open,
    /// The console's own origin, no session needed (log in, log out; the text ends the refusal).
    SameOrigin(&'static str),
    /// A logged-in operator (or admin) of the account.
    Console(Access, Need),
    /// A visitor request from a registered host of the body's channel, with the visitor's token
    /// when it acts for a visitor ([`visitor`]).
    Visitor,
    /// A request from a registered host of a channel known only once the body is read
    /// ([`channel_origin`]).
    ChannelOrigin,
    /// A conversation's participant opening its WebSocket ([`participant`]): a visitor with a
    /// ticket, an operator with a live session.
    Participant,
    /// A visitor minting the ticket that opens their conversation's WebSocket ([`ticket`]).
    Ticket,
    /// A signed public report link (checked against the link's row by `parley_protocol`).
    PublicLink,
}

pub fn is_admin(op: &OperatorRow) -> bool {
    op.role == Role::Admin.as_str()
}

/// The refusal, if any, for a console call: `same_origin` whether the `Origin` is the
/// console's, `session` the operator behind the session cookie (`None`: no live session).
pub fn console_access(
    access: Access,
    need: Need,
    same_origin: bool,
    session: Option<&OperatorRow>,
) -> Result<(), ApiError> {
    if access == Access::Console && !same_origin {
        return Err(ApiError::new(ErrorCode::BadOrigin, "use the console"));
    }
    let Some(op) = session else {
        return Err(ApiError::unauthenticated());
    };
    if access == Access::Change && !same_origin {
        return Err(ApiError::new(ErrorCode::BadOrigin, "changes must come from the console"));
    }
    match need {
        Need::Admin(what) if !is_admin(op) => Err(ApiError::admins_only(what)),
        _ => Ok(()),
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn parse_cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').filter_map(|kv| kv.trim().split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

/// Whether a session token is worth looking up.
pub fn plausible_token(token: &str) -> bool {
    !token.is_empty() && token.len() <= MAX_TOKEN_LEN
}

/// The hostname of an origin such as `https://shop.example:8443` (lower case, no brackets).
pub fn origin_hostname(origin: &str) -> Option<String> {
    let url = url::Url::parse(origin).ok()?;
    url.host_str().map(|h| h.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase())
}

/// Whether `origin` (the `Origin` header, if any) is the origin of `url` (the request's URL).
pub fn same_origin(origin: Option<&str>, url: &str) -> bool {
    match (origin, url::Url::parse(url)) {
        (Some(o), Ok(url)) => o == url.origin().ascii_serialization(),
        _ => false,
    }
}

/// The `Origin` header's value and hostname, or the refusal when it is missing or unreadable.
pub fn origin_and_host(origin: Option<String>) -> Result<(String, String), ApiError> {
    let Some(origin) = origin else {
        return Err(ApiError::new(ErrorCode::OriginRequired, "requests must carry an Origin header"));
    };
    let Some(hostname) = origin_hostname(&origin) else {
        return Err(ApiError::new(ErrorCode::BadOrigin, "unreadable Origin header"));
    };
    Ok((origin, hostname))
}

pub fn origin_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::OriginNotAllowed, "this site is not a registered host of the channel")
}

/// Whether `path` is one of the widget's doors (called cross-origin from a host page): its
/// refusals carry CORS for the caller's origin.
pub fn widget_door(path: &str) -> bool {
    path.starts_with("/api/v1/widget/") || path == "/api/v1/conversations" || path.starts_with("/api/v1/conversations/")
}

/// `POST /api/v1/conversations/:id/files` (issue 21): its body is a file.
pub fn is_file_upload(path: &str) -> bool {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(segs.as_slice(), ["api", "v1", "conversations", _, "files"])
}

/// The largest body `path`'s door takes, in bytes (`limits.rs`); a larger `Content-Length` is
/// refused before the body is read.
pub fn body_limit(path: &str) -> usize {
    use parley_protocol::limits::*;
    if is_file_upload(path) {
        // Its handler refuses past MAX_ATTACHMENT_BYTES with its own code (`file_too_large`),
        // by Content-Length before reading and on the bytes read.
        usize::MAX
    } else if path.starts_with("/api/v1/auth/") {
        MAX_LOGIN_BODY_BYTES
    } else if path == "/api/v1/console/outcome-settings" {
        parley_protocol::outcomes::MAX_OUTCOME_SETTINGS_BYTES
    } else if path.starts_with("/api/v1/console/") {
        MAX_CONSOLE_BODY_BYTES
    } else if widget_door(path) {
        MAX_WIDGET_BODY_BYTES
    } else {
        MAX_HTTP_BODY_BYTES
    }
}

/// Whether `token` is the visitor token of `visitor_id` under the visitor-token keys.
pub fn visitor_token_ok(ring: &Keyring, visitor_id: &str, token: &str) -> bool {
    is_valid_id(visitor_id) && keys::verify_visitor_token(ring, visitor_id, token)
}

/// The refusal of a visitor socket opened with a bad, expired or spent ticket, or with the
/// visitor token in its URL (no longer accepted: the token is permanent, URLs get logged).
pub fn bad_ticket(why: Option<TicketRefusal>) -> ApiError {
    let message = match why {
        None => "open the socket with a ticket from POST /api/v1/conversations/:id/ticket",
        Some(TicketRefusal::Bad) => "the ticket does not match",
        Some(TicketRefusal::Expired) => "the ticket expired",
        Some(TicketRefusal::Spent) => "the ticket was already used",
        Some(TicketRefusal::TooMany) => "too many sockets opened in the last minute",
    };
    ApiError::new(ErrorCode::BadVisitorToken, message)
}

/// Longest user id a site may pass to `Parley.identify`.
pub const MAX_USER_ID_CHARS: usize = 200;

/// `Parley.identify`: a site proves one of its users with the HMAC of their id under the
/// channel's identity secret (`channel_secret`, empty when the channel has none). The visitor id
/// of the proven user (derived from the account and the user id with the server's secret, so
/// it is the same on every device), or the 403 `bad_identity` refusal: an empty or too long
/// user id, a channel without an identity secret, a wrong hash.
pub fn identified_visitor(
    channel_secret: &str,
    account_id: &str,
    identity: &parley_protocol::api::Identity,
    key: &Key,
) -> Result<String, ApiError> {
    let n_chars = identity.id.chars().count();
    if n_chars == 0
        || n_chars > MAX_USER_ID_CHARS
        || channel_secret.is_empty()
        || !auth::verify_identify(channel_secret.as_bytes(), &identity.id, &identity.hash)
    {
        return Err(bad_identity());
    }
    Ok(keys::identified_visitor_id(key, account_id, &identity.id))
}

/// The refusal of an identity that could not be verified (also for an unknown channel).
pub fn bad_identity() -> ApiError {
    ApiError::new(ErrorCode::BadIdentity, "The visitor's identity could not be verified.")
}

fn bad_visitor_token() -> ApiError {
    ApiError::new(ErrorCode::BadVisitorToken, "the visitor token does not match")
}

/// A WebSocket's `?role=`: who may open it and the refusal otherwise (before any D1 read of the
/// session).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WsRole {
    Visitor,
    Operator,
}

impl WsRole {
    pub fn parse(role: &str) -> Result<WsRole, ApiError> {
        match role {
            "visitor" => Ok(WsRole::Visitor),
            "operator" => Ok(WsRole::Operator),
            _ => Err(ApiError::new(ErrorCode::Malformed, "role must be visitor or operator")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Principals and the guards that make them (worker only).

pub use worker_side::*;

mod worker_side {
    use std::ops::Deref;

    use parley_protocol::api;
    use worker::{Env, Request, Response, Result};

    use super::*;
    use crate::http;
    use crate::util::now;
    use parley_core::throttle::{Door, Refused};

    /// A refusal or a principal: `Err` is the response to send.
    pub type Checked<T> = std::result::Result<T, Response>;

    fn refusal(e: ApiError) -> Result<Response> {
        http::refuse(e)
    }

    /// The keys of `purpose`, derived from `PARLEY_SECRET` (and `PARLEY_SECRET_PREVIOUS` during
    /// a rotation): visitor tokens, report links, identified ids, socket tickets.
    pub(crate) fn keys(env: &Env, purpose: Purpose) -> Result<Keyring> {
        let config = crate::config::get(env)?;
        config.keyring(purpose).map_err(|e| worker::Error::RustError(e.to_string()))
    }

    /// The request's `Origin` header, if any.
    pub fn origin(req: &Request) -> Option<String> {
        req.headers().get("Origin").ok().flatten()
    }

    /// The host page's hostname of the loader's simple GET (the look): its `Origin` when the
    /// browser sent one (a cross-origin request), else its `Referer`'s (a same-origin GET
    /// carries no `Origin`). Only for counting a page view, never for access.
    pub fn page_hostname(req: &Request) -> Option<String> {
        origin(req).or_else(|| req.headers().get("Referer").ok().flatten()).and_then(|o| origin_hostname(&o))
    }

    /// Whether the request comes from this worker's own origin (the console).
    pub fn is_same_origin(req: &Request) -> bool {
        match req.url() {
            Ok(url) => same_origin(origin(req).as_deref(), url.as_str()),
            Err(_) => false,
        }
    }

    fn session_token(req: &Request) -> Option<String> {
        let header = req.headers().get("Cookie").ok().flatten()?;
        parse_cookie(&header, SESSION_COOKIE).map(str::to_owned)
    }

    /// A logged-in operator: the session's row and the digest of its token.
    #[derive(Clone, Debug)]
    pub struct Operator {
        pub row: OperatorRow,
        /// The session token's digest (to keep this session when others end).
        pub session_digest: String,
        /// Until when the session is valid, as just looked up.
        pub valid_until: u64,
    }

    impl Deref for Operator {
        type Target = OperatorRow;
        fn deref(&self) -> &OperatorRow {
            &self.row
        }
    }

    /// An operator with the admin role.
    #[derive(Clone, Debug)]
    pub struct Admin(pub Operator);

    impl Deref for Admin {
        type Target = OperatorRow;
        fn deref(&self) -> &OperatorRow {
            &self.0.row
        }
    }

    /// The operator behind the request's session cookie, if it is live.
    pub async fn session(req: &Request, env: &Env) -> Result<Option<Operator>> {
        let Some(token) = session_token(req) else { return Ok(None) };
        if !plausible_token(&token) {
            return Ok(None);
        }
        let digest = auth::token_digest(&token);
        let live = crate::store::sessions::session_operator(&crate::store::directory(env)?, &digest, now().0).await?;
        Ok(live.map(|live| Operator { row: live.operator, session_digest: digest, valid_until: live.valid_until }))
    }

    /// Until when the console session with this digest stays valid, if it is live and is
    /// `operator_id`'s: an operator's open socket counts their frames only while it is. Asked
    /// by the conversation's object at most once a minute per socket
    /// (`parley_core::login::SocketCheck`); logout, disabling and a new password reach the
    /// object at once as a revocation.
    pub async fn session_valid_until(env: &Env, digest: &str, operator_id: &str) -> Result<Option<u64>> {
        let live = crate::store::sessions::session_operator(&crate::store::directory(env)?, digest, now().0).await?;
        Ok(live.filter(|l| l.operator.id == operator_id).map(|l| l.valid_until))
    }

    /// The digest of the request's session token, live or not (to end it at log-out).
    pub fn session_digest(req: &Request) -> Option<String> {
        session_token(req).map(|t| auth::token_digest(&t))
    }

    /// [`Guard::Console`]: the operator, after the checks of `access` and `need`.
    pub async fn console(req: &Request, env: &Env, access: Access, need: Need) -> Result<Checked<Operator>> {
        let same = is_same_origin(req);
        if access == Access::Console && !same {
            // The origin is refused before the session is looked up.
            if let Err(e) = console_access(access, need, same, None) {
                return refusal(e).map(Err);
            }
        }
        let op = session(req, env).await?;
        match console_access(access, need, same, op.as_ref().map(|o| &o.row)) {
            Ok(()) => Ok(Ok(op.expect("checked"))),
            Err(e) => refusal(e).map(Err),
        }
    }

    /// [`Guard::SameOrigin`]: `Err` when the call does not come from the console.
    pub fn same_origin_only(req: &Request, what: &str) -> Result<Checked<()>> {
        if is_same_origin(req) {
            return Ok(Ok(()));
        }
        refusal(ApiError::new(ErrorCode::BadOrigin, format!("{what} from the console"))).map(Err)
    }

    /// A request from a registered host of a channel: the `Origin` and its hostname.
    #[derive(Clone, Debug)]
    pub struct ChannelOrigin {
        pub origin: String,
        pub hostname: String,
    }

    /// The request's origin and hostname, or the refusal when it has none.
    pub fn request_origin(req: &Request) -> Result<Checked<ChannelOrigin>> {
        match origin_and_host(origin(req)) {
            Ok((origin, hostname)) => Ok(Ok(ChannelOrigin { origin, hostname })),
            Err(e) => refusal(e).map(Err),
        }
    }

    /// [`Guard::ChannelOrigin`]: the origin of a request when it is a registered host of the
    /// channel.
    pub async fn channel_origin(req: &Request, env: &Env, channel_id: &str) -> Result<Checked<ChannelOrigin>> {
        let o = match request_origin(req)? {
            Ok(o) => o,
            Err(resp) => return Ok(Err(resp)),
        };
        if !is_valid_id(channel_id)
            || !crate::store::channels::channel_has_host(&crate::store::directory(env)?, channel_id, &o.hostname)
                .await?
        {
            return refusal(origin_not_allowed()).map(Err);
        }
        Ok(Ok(o))
    }

    /// The refusal of a site that is not a registered host of the channel, for a caller that
    /// looked the host up itself (the events endpoint caches it per isolate).
    pub fn host_refusal() -> Result<Response> {
        refusal(origin_not_allowed())
    }

    /// `None` when `token` is the visitor's; otherwise the refusal (with CORS for `origin`).
    pub fn check_visitor_token(env: &Env, id: &str, token: &str, origin: &str) -> Result<Option<Response>> {
        if visitor_token_ok(&keys(env, Purpose::VisitorToken)?, id, token) {
            return Ok(None);
        }
        Ok(Some(http::with_cors(refusal(bad_visitor_token())?, origin)?))
    }

    /// A visitor's JSON request: which channel it is for and, when it acts for a visitor, the
    /// visitor id and token it must prove.
    pub trait VisitorBody: serde::de::DeserializeOwned {
        fn channel_id(&self) -> &str;
        fn visitor(&self) -> Option<(&str, &str)> {
            None
        }
    }

    /// Bodies with `channel_id`, `visitor_id` and `visitor_token`: they act for the visitor.
    macro_rules! acts_for_visitor {
        ($($t:ty),*) => {$(
            impl VisitorBody for $t {
                fn channel_id(&self) -> &str {
                    self.channel_id.as_str()
                }
                fn visitor(&self) -> Option<(&str, &str)> {
                    Some((self.visitor_id.as_str(), &self.visitor_token))
                }
            }
        )*};
    }

    acts_for_visitor!(
        api::CreateConversationRequest,
        api::OfflineMessageRequest,
        api::SurveyRequest,
        api::GoalsRequest,
        api::TranscriptMailRequest
    );

    /// Availability is asked before there is a visitor to prove: the channel is enough.
    impl VisitorBody for api::AvailabilityRequest {
        fn channel_id(&self) -> &str {
            self.channel_id.as_str()
        }
    }

    /// [`Guard::Visitor`]: the request's body, sent from a registered host of its channel
    /// (`origin`), its visitor proven when it names one.
    pub struct Visitor<T> {
        pub body: T,
        pub origin: String,
    }

    /// Reads and checks a visitor's request. The body is read first (400 `malformed` /
    /// 413 `too_large`), then the origin, then the visitor token (refused with CORS).
    pub async fn visitor<T: VisitorBody>(req: &mut Request, env: &Env) -> Result<Checked<Visitor<T>>> {
        let body: T = match http::read_json(req).await {
            Ok(b) => b,
            Err(resp) => return Ok(Err(resp)),
        };
        let origin = match channel_origin(req, env, body.channel_id()).await? {
            Ok(o) => o.origin,
            Err(resp) => return Ok(Err(resp)),
        };
        if let Some((id, token)) = body.visitor() {
            if let Some(refusal) = check_visitor_token(env, id, token, &origin)? {
                return Ok(Err(refusal));
            }
        }
        Ok(Ok(Visitor { body, origin }))
    }

    /// Who opens a conversation's WebSocket.
    pub struct Participant {
        pub role: WsRole,
        pub id: String,
        pub name: String,
        /// The operator's session digest (empty for a visitor).
        pub session: String,
        /// A visitor's ticket, for the conversation's object to spend (once).
        pub ticket: Option<keys::Ticket>,
        /// Until when the operator's session is valid, as looked up for this upgrade (0 for a
        /// visitor): the socket trusts it until its first recheck.
        pub session_valid_until: u64,
    }

    /// How a visitor proves the conversation is theirs: the ticket of a socket's URL, or the
    /// visitor id and token of a ticket request.
    pub enum VisitorProof {
        Ticket(Option<String>),
        Token(Option<(String, String)>),
    }

    /// [`Guard::Participant`] and [`Guard::Ticket`]: a visitor of the conversation (from a
    /// registered host of its channel, with a ticket — or, to mint one, the conversation's
    /// visitor id and its token) or an operator of its account (console origin, live session).
    /// `conv` is `(conversation_id, account_id, channel_id, visitor_id)`.
    pub async fn participant(
        req: &Request,
        env: &Env,
        role: WsRole,
        proof: VisitorProof,
        conv: (&str, &str, &str, &str),
    ) -> Result<Checked<Participant>> {
        let (conversation_id, account_id, channel_id, visitor_id) = conv;
        match role {
            WsRole::Visitor => {
                let origin = match channel_origin(req, env, channel_id).await? {
                    Ok(o) => o.origin,
                    Err(resp) => return Ok(Err(resp)),
                };
                let refused = |e: ApiError| -> Result<Checked<Participant>> {
                    Ok(Err(http::with_cors(http::refuse(e)?, &origin)?))
                };
                let visitor = |ticket| Participant {
                    role,
                    id: visitor_id.to_owned(),
                    name: "Visitor".to_owned(),
                    session: String::new(),
                    ticket,
                    session_valid_until: 0,
                };
                match proof {
                    VisitorProof::Ticket(None) => refused(bad_ticket(None)),
                    VisitorProof::Ticket(Some(ticket)) => {
                        let ring = keys(env, Purpose::SocketTicket)?;
                        match keys::read_ticket(&ring, conversation_id, visitor_id, &ticket, now().0) {
                            Ok(t) => Ok(Ok(visitor(Some(t)))),
                            Err(why) => refused(bad_ticket(Some(why))),
                        }
                    }
                    VisitorProof::Token(None) => {
                        refused(ApiError::new(ErrorCode::BadVisitorToken, "visitor_id and visitor_token are required"))
                    }
                    VisitorProof::Token(Some((vid, token))) => {
                        // Same answer for a foreign conversation and a bad token: nothing to probe.
                        if vid != visitor_id || !visitor_token_ok(&keys(env, Purpose::VisitorToken)?, &vid, &token) {
                            return refused(ApiError::new(
                                ErrorCode::NotYourConversation,
                                "this conversation is not yours",
                            ));
                        }
                        Ok(Ok(visitor(None)))
                    }
                }
            }
            WsRole::Operator => {
                if !is_same_origin(req) {
                    let e = ApiError::new(ErrorCode::BadOrigin, "the console must connect from its own origin");
                    return refusal(e).map(Err);
                }
                let Some(op) = session(req, env).await? else {
                    return refusal(ApiError::unauthenticated()).map(Err);
                };
                if op.account_id != account_id {
                    return refusal(ApiError::new(ErrorCode::UnknownConversation, "no such conversation")).map(Err);
                }
                let session = session_digest(req).unwrap_or_default();
                let session_valid_until = op.valid_until;
                Ok(Ok(Participant {
                    role,
                    id: op.row.id,
                    name: op.row.chat_name,
                    session,
                    ticket: None,
                    session_valid_until,
                }))
            }
        }
    }

    /// [`Guard::Participant`] for a conversation's files (issue 21; the body is the file, so
    /// the visitor proves itself in headers): a visitor of the conversation with its id and
    /// token in `X-Parley-Visitor-Id` / `X-Parley-Visitor-Token`, from a registered host of its
    /// channel (another visitor: `not_your_conversation`); without them an operator of its
    /// account (console origin, live session; another account: `unknown_conversation`).
    pub async fn file_participant(
        req: &Request,
        env: &Env,
        conv: (&str, &str, &str, &str),
    ) -> Result<Checked<Participant>> {
        let id = req.headers().get("X-Parley-Visitor-Id")?;
        let token = req.headers().get("X-Parley-Visitor-Token")?;
        match (id, token) {
            (None, None) => participant(req, env, WsRole::Operator, VisitorProof::Token(None), conv).await,
            (id, token) => participant(req, env, WsRole::Visitor, VisitorProof::Token(id.zip(token)), conv).await,
        }
    }

    // -- floods (issue 18) ------------------------------------------------------------------

    /// The client address the request is counted under (`CF-Connecting-IP`; `None` for a
    /// local request): [`parley_core::throttle::address_of`].
    pub fn address(req: &Request) -> Option<String> {
        parley_core::throttle::address_of(req.headers().get("CF-Connecting-IP").ok().flatten().as_deref())
    }

    /// The flood guard of a public door: counts this request at each `(door, subject)` (a door
    /// without a subject, such as a local request's address, is not counted) and lets it through
    /// only when every door does; `Err` is the 429 `rate_limited` with `Retry-After` (seconds),
    /// sent before anything changes.
    /// (The events doors are counted by the visitor's tally shard: `crate::tally`.)
    pub async fn throttle(env: &Env, doors: &[(Door, Option<&str>)]) -> Result<Checked<()>> {
        let doors: Vec<(Door, &str)> = doors.iter().filter_map(|&(door, subject)| Some((door, subject?))).collect();
        if doors.is_empty() {
            return Ok(Ok(()));
        }
        let limits = crate::config::get(env)?.limits;
        let t = now();
        let keys: Vec<(String, u64)> =
            doors.iter().map(|&(door, subject)| (door.key(subject), limits.window(door).start(t))).collect();
        let counts = crate::store::throttle::count(&crate::store::directory(env)?, &keys, 1).await?;
        let counted: Vec<(Door, u64)> = doors.iter().map(|&(door, _)| door).zip(counts).collect();
        match limits.verdict(&counted, t) {
            Ok(()) => Ok(Ok(())),
            Err((door, refused)) => too_many(ApiError::new(ErrorCode::RateLimited, door.message()), refused).map(Err),
        }
    }

    /// A 429 (or the code's status) with `Retry-After`, readable by the widget across origins.
    pub fn too_many(e: ApiError, refused: Refused) -> Result<Response> {
        let resp = refusal(e)?;
        let headers = resp.headers().clone();
        headers.set("Retry-After", &refused.retry_after_secs().to_string())?;
        headers.set("Access-Control-Expose-Headers", "Retry-After")?;
        Ok(resp.with_headers(headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(role: &str) -> OperatorRow {
        OperatorRow {
            id: "o_1".into(),
            account_id: "a_1".into(),
            username: "ann".into(),
            chat_name: "Ann".into(),
            role: role.into(),
            password_hash: String::new(),
            disabled: 0,
            languages: "[]".into(),
            max_chats: 3,
        }
    }

    fn code(r: Result<(), ApiError>) -> Option<(u16, &'static str, String)> {
        r.err().map(|e| (e.status(), e.code.as_str(), e.message))
    }

    #[test]
    fn reading_needs_a_session_only() {
        let admin = op("admin");
        assert_eq!(code(console_access(Access::Read, Need::Operator, false, Some(&admin))), None);
        assert_eq!(
            code(console_access(Access::Read, Need::Operator, true, None)),
            Some((401, "unauthenticated", "log in first".into()))
        );
    }

    #[test]
    fn changes_check_the_session_then_the_origin() {
        let me = op("operator");
        // No session and a foreign origin: the session is checked first.
        assert_eq!(code(console_access(Access::Change, Need::Operator, false, None)).unwrap().1, "unauthenticated");
        assert_eq!(
            code(console_access(Access::Change, Need::Operator, false, Some(&me))),
            Some((403, "bad_origin", "changes must come from the console".into()))
        );
        assert_eq!(code(console_access(Access::Change, Need::Operator, true, Some(&me))), None);
    }

    #[test]
    fn console_commands_check_the_origin_first() {
        assert_eq!(
            code(console_access(Access::Console, Need::Operator, false, None)),
            Some((403, "bad_origin", "use the console".into()))
        );
        assert_eq!(code(console_access(Access::Console, Need::Operator, true, None)).unwrap().1, "unauthenticated");
    }

    #[test]
    fn admin_routes_refuse_operators_after_the_origin() {
        let me = op("operator");
        let admin = op("admin");
        let need = Need::Admin("share reports");
        assert_eq!(
            code(console_access(Access::Read, need, true, Some(&me))),
            Some((403, "forbidden", "only an admin of the account can share reports".into()))
        );
        assert_eq!(code(console_access(Access::Change, need, false, Some(&me))).unwrap().1, "bad_origin");
        assert_eq!(code(console_access(Access::Change, need, true, Some(&admin))), None);
        assert!(is_admin(&admin) && !is_admin(&me));
    }

    #[test]
    fn every_door_has_a_body_limit() {
        use parley_protocol::limits::*;
        assert_eq!(body_limit("/api/v1/auth/login"), MAX_LOGIN_BODY_BYTES);
        assert_eq!(body_limit("/api/v1/console/settings"), MAX_CONSOLE_BODY_BYTES);
        assert_eq!(
            body_limit("/api/v1/console/outcome-settings"),
            parley_protocol::outcomes::MAX_OUTCOME_SETTINGS_BYTES
        );
        assert_eq!(body_limit("/api/v1/widget/events"), MAX_WIDGET_BODY_BYTES);
        assert_eq!(body_limit("/api/v1/conversations/c_1/ticket"), MAX_WIDGET_BODY_BYTES);
        assert_eq!(body_limit("/api/v1/conversations"), MAX_WIDGET_BODY_BYTES);
        // A file's upload is refused by its own handler (`file_too_large`); its link is JSON-sized.
        assert_eq!(body_limit("/api/v1/conversations/c_1/files"), usize::MAX);
        assert_eq!(body_limit("/api/v1/conversations/c_1/files/f_1/link"), MAX_WIDGET_BODY_BYTES);
        // No door takes more than the reader would read anyway, but the outcome settings.
        for p in ["/api/v1/auth/login", "/api/v1/console/x", "/api/v1/widget/session", "/api/v2/x"] {
            assert!(body_limit(p) <= MAX_HTTP_BODY_BYTES, "{p}");
        }
        const { assert!(MAX_LOGIN_BODY_BYTES > MAX_USERNAME_LEN + MAX_PASSWORD_LEN + 64, "a login always fits") };
        assert!(widget_door("/api/v1/widget/session") && widget_door("/api/v1/conversations/c_1/ws"));
        assert!(!widget_door("/api/v1/console/conversations") && !widget_door("/api/v1/conversationsx"));
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let h = "a=1; parley_session=tok; parley_session_x=no";
        assert_eq!(parse_cookie(h, SESSION_COOKIE), Some("tok"));
        assert_eq!(parse_cookie("parley_session_x=no", SESSION_COOKIE), None);
        assert_eq!(parse_cookie("x=1;parley_session=", SESSION_COOKIE), Some(""));
        assert_eq!(parse_cookie("", SESSION_COOKIE), None);
        assert!(plausible_token("abc") && !plausible_token("") && !plausible_token(&"x".repeat(129)));
        assert!(plausible_token(&"x".repeat(128)));
    }

    #[test]
    fn origins_become_hostnames() {
        assert_eq!(origin_hostname("https://Shop.Example:8443").as_deref(), Some("shop.example"));
        assert_eq!(origin_hostname("http://[::1]:8787").as_deref(), Some("::1"));
        assert_eq!(origin_hostname("null"), None);
        assert_eq!(origin_and_host(None).unwrap_err().code, ErrorCode::OriginRequired);
        let bad = origin_and_host(Some("garbage".into())).unwrap_err();
        assert_eq!((bad.code, bad.message.as_str()), (ErrorCode::BadOrigin, "unreadable Origin header"));
        assert_eq!(
            origin_and_host(Some("http://localhost:9000".into())).unwrap(),
            ("http://localhost:9000".to_owned(), "localhost".to_owned())
        );
        assert_eq!(origin_not_allowed().status(), 403);
    }

    #[test]
    fn same_origin_compares_scheme_host_and_port() {
        let url = "http://127.0.0.1:8787/api/v1/auth/login";
        assert!(same_origin(Some("http://127.0.0.1:8787"), url));
        assert!(!same_origin(Some("http://127.0.0.1:8788"), url));
        assert!(!same_origin(Some("https://127.0.0.1:8787"), url));
        assert!(!same_origin(None, url));
    }

    #[test]
    fn visitor_tokens_are_checked() {
        let ring = Keyring::new(b"0123456789abcdef0123", None, Purpose::VisitorToken);
        let token = keys::visitor_token(&ring, "v_abc123");
        assert!(visitor_token_ok(&ring, "v_abc123", &token));
        assert!(!visitor_token_ok(&ring, "v_other1", &token));
        assert!(!visitor_token_ok(&ring, "not an id", &token));
        assert_eq!(bad_ticket(None).status(), 403);
        assert_eq!(bad_ticket(Some(TicketRefusal::Spent)).message, "the ticket was already used");
        assert_eq!(WsRole::parse("visitor"), Ok(WsRole::Visitor));
        assert_eq!(WsRole::parse("admin").unwrap_err().code, ErrorCode::Malformed);
    }

    #[test]
    fn an_identity_is_proven_by_the_channel_s_hash() {
        let identity = |id: &str, hash: String| parley_protocol::api::Identity {
            id: id.into(),
            hash,
            name: String::new(),
            email: String::new(),
        };
        let channel = "channel secret";
        let server = &Key::derive(b"server secret 123", Purpose::IdentifiedId);
        let good = identity("u-42", auth::identify_hash(channel.as_bytes(), "u-42"));
        let v = identified_visitor(channel, "acc_1", &good, server).unwrap();
        assert_eq!(v, keys::identified_visitor_id(server, "acc_1", "u-42"));
        let refused = |secret: &str, who: &parley_protocol::api::Identity| {
            identified_visitor(secret, "acc_1", who, server).err().map(|e| (e.status(), e.code, e.message))
        };
        let bad = Some((403, ErrorCode::BadIdentity, "The visitor's identity could not be verified.".to_owned()));
        assert_eq!(refused("", &good), bad, "a channel without an identity secret");
        assert_eq!(refused("another secret", &good), bad, "a wrong hash");
        assert_eq!(refused(channel, &identity("", auth::identify_hash(channel.as_bytes(), ""))), bad, "no user id");
        let long = "u".repeat(MAX_USER_ID_CHARS + 1);
        assert_eq!(refused(channel, &identity(&long, auth::identify_hash(channel.as_bytes(), &long))), bad);
        let longest = "é".repeat(MAX_USER_ID_CHARS);
        let ok = identity(&longest, auth::identify_hash(channel.as_bytes(), &longest));
        assert!(identified_visitor(channel, "acc_1", &ok, server).is_ok(), "characters, not bytes");
    }
}

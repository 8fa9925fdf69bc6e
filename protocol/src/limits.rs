//! Every limit the widget, the console and the edge agree on. Change them here only.

/// Protocol version spoken by this build. A peer announcing another version is refused with
/// `incompatible`. v2 (issue 19): a sender is not sent its own message back; its `ack` (seq and
/// the server's time) is what moves it from the outbox into the transcript. The frames' format
/// is v1's. v3 (issue 21, read receipts): a client says how far it has read (`read`), the server
/// tells the others (`read` with the reader's role) and the `welcome` carries both sides' marks.
pub const PROTOCOL_VERSION: u32 = 3;

/// Largest WebSocket text frame accepted, in bytes. Larger frames are refused before parsing.
pub const MAX_FRAME_BYTES: usize = 16 * 1024;

/// Longest chat message, in characters (Unicode scalar values), after trimming.
pub const MAX_MESSAGE_CHARS: usize = 4_000;

/// Longest id of any kind (conversation, visitor, client message id…).
pub const MAX_ID_LEN: usize = 64;

/// Longest display name (operator's online chat name, visitor name).
pub const MAX_NAME_CHARS: usize = 80;

/// Most messages in one replay frame (a `welcome` or a `history` frame). A `hello` is answered
/// with every message after its `last_seq`, split over as many frames as this and
/// [`MAX_REPLAY_FRAME_BYTES`] need.
pub const MAX_REPLAY: usize = 1_000;

/// Most bytes of messages (their JSON) in one replay frame. With what else a `welcome` carries
/// (at most [`MAX_PAGES_KEPT`] pages of the visitor) every frame the server sends stays below
/// Cloudflare's WebSocket message limit ([`cloudflare::MAX_WS_MESSAGE_BYTES`]; pinned by
/// `edge/src/prod_limits.rs`).
pub const MAX_REPLAY_FRAME_BYTES: usize = 256 * 1024;

/// How many of its latest messages a conversation's object holds in memory (its tail): what it
/// reads on wake. Older ones stay in its SQLite and are read only for a `hello` from further
/// back, or to find the seq of a retried send (by its unique (author, client id) index).
pub const CONVERSATION_TAIL_MESSAGES: usize = 200;

/// A conversation's D1 copy (its row, events and messages, which the console's lists and the
/// reports read) is written at most once per this interval while messages come in, this long
/// after the first change it has not copied yet; at once on assignment, transfer and close
/// (issue 19: off the message path, one copy in flight at a time).
pub const CONVERSATION_COPY_INTERVAL_MS: u64 = 2_000;

/// How long an operator's console session lasts.
pub const SESSION_TTL_MS: u64 = 12 * 60 * 60 * 1000;

/// Longest username and password accepted at login.
pub const MAX_USERNAME_LEN: usize = 120;
pub const MAX_PASSWORD_LEN: usize = 256;

/// Longest JSON body accepted by the HTTP API, in bytes (the largest of the doors below).
pub const MAX_HTTP_BODY_BYTES: usize = 16 * 1024;

/// Longest body per door, in bytes: a larger `Content-Length` is refused (413 `too_large`)
/// before the body is read, and a body without one is cut off at the same size.
/// The widget's requests (session, conversation, events, offline message, survey, goals, ticket).
pub const MAX_WIDGET_BODY_BYTES: usize = 16 * 1024;
/// Log in and log out.
pub const MAX_LOGIN_BODY_BYTES: usize = 1024;
/// The console's changes (settings, channels, operators, report links…).
pub const MAX_CONSOLE_BODY_BYTES: usize = 16 * 1024;

/// A visitor's socket opens with a ticket minted by `POST /api/v1/conversations/:id/ticket`:
/// usable once, for this long.
pub const SOCKET_TICKET_TTL_MS: u64 = 60_000;

/// Attachments (issue 21). Largest file a participant may upload, in bytes: a larger
/// `Content-Length` is refused (413 `file_too_large`) before the body is read, and the bytes
/// read are always counted against it. Clients refuse a larger file before uploading.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
/// Most files uploaded to one conversation (by its visitor and its operators together).
pub const MAX_ATTACHMENTS_PER_CONVERSATION: usize = 20;
/// Longest file name kept, in characters, after sanitising (the extension is kept).
pub const MAX_ATTACHMENT_NAME_CHARS: usize = 120;
/// A signed link reading a file lives this long (the clients ask again for an older one).
pub const ATTACHMENT_LINK_TTL_MS: u64 = 10 * 60 * 1000;
/// How long a file's link in a report (Message history's `Link media`) works: a downloaded CSV
/// is read later than a transcript on screen, so a day, not minutes.
pub const REPORT_MEDIA_LINK_TTL_MS: u64 = 24 * 60 * 60 * 1000;
/// Largest width or height an image is shown at, inline in the transcripts (CSS pixels).
pub const ATTACHMENT_IMAGE_MAX_PX: u32 = 240;

/// A shared report link lives this long when its creator gives no expiry, and at most this long.
pub const REPORT_LINK_DEFAULT_TTL_MS: u64 = 30 * 24 * 60 * 60 * 1000;
pub const REPORT_LINK_MAX_TTL_MS: u64 = 366 * 24 * 60 * 60 * 1000;

/// Per-visitor send rate: a token bucket of `burst` messages refilled at `per_sec` a second.
/// Deployments may change it (`PARLEY_VISITOR_RATE = "BURST/PER_SEC"`); this is the default.
pub const VISITOR_RATE_BURST: u32 = 20;
pub const VISITOR_RATE_PER_SEC: u32 = 2;

/// A session ends this long after the visitor's last socket closed (they left the site).
/// Deployments and tests may change it (`PARLEY_SESSION_TIMEOUT_MS`).
pub const SESSION_TIMEOUT_MS: u64 = 30 * 60 * 1000;

/// Typing indicators: send `typing: true` at most this often while typing, and `typing: false`
/// after this long without a keystroke.
pub const TYPING_REFRESH_MS: u64 = 2_000;
pub const TYPING_IDLE_MS: u64 = 3_000;

/// A sent message without an `ack` for this long is shown as "not sent yet" with a retry.
pub const UNSENT_AFTER_MS: u64 = 8_000;

/// Longest page URL recorded on a conversation, in characters.
pub const MAX_PAGE_URL_CHARS: usize = 2_048;

/// Longest page title recorded, in characters.
pub const MAX_PAGE_TITLE_CHARS: usize = 300;

/// Most pages kept per conversation (the latest ones).
pub const MAX_PAGES_KEPT: usize = 50;

/// Length of the last-message preview kept in the conversation summary, in characters.
pub const PREVIEW_CHARS: usize = 140;

/// Most chats an operator may take at once (their "max concurrent chats" setting).
pub const MAX_CONCURRENT_CHATS: u32 = 20;

/// Most online chat languages per operator (main plus extras).
pub const MAX_LANGUAGES: usize = 10;

/// Usernames of new operators: this many characters at least and at most.
pub const MIN_NEW_USERNAME_CHARS: usize = 3;
pub const MAX_NEW_USERNAME_CHARS: usize = 40;

/// Shortest password for new operators and password changes, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Longest e-mail address, in characters.
pub const MAX_EMAIL_CHARS: usize = 254;

/// Longest canned-response shortcut, in characters.
pub const MAX_SHORTCUT_CHARS: usize = 32;

/// Most hostnames one channel is tied to.
pub const MAX_CHANNEL_HOSTS: usize = 50;

/// Longest channel greeting, in characters.
pub const MAX_GREETING_CHARS: usize = 500;

/// Longest language tag accepted from a browser (`navigator.language`), in characters.
pub const MAX_LANGUAGE_TAG_CHARS: usize = 35;

/// Longest entry point (chat button or auto-invite) name, in characters.
pub const MAX_ENTRY_POINT_NAME_CHARS: usize = 80;

/// Most auto-invites per channel (the chat button not counted).
pub const MAX_INVITES_PER_CHANNEL: usize = 50;

/// An invite rule has at most this many conditions in all (groups counted), nested at most
/// this deep (a top-level group of groups is depth 2).
pub const MAX_RULE_CONDITIONS: usize = 20;
pub const MAX_RULE_DEPTH: usize = 3;

/// Longest text in a rule condition (URL glob, referrer text), in characters.
pub const MAX_RULE_TEXT_CHARS: usize = 300;

/// Longest time-on-page / time-on-site condition, in seconds (a day).
pub const MAX_RULE_SECONDS: u32 = 86_400;

/// Most pages-viewed a condition can ask for.
pub const MAX_RULE_PAGES: u32 = 1_000;

/// An invite's display timeout: at least, at most (after it, an unanswered invite expires).
pub const MIN_INVITE_TIMEOUT_MS: u64 = 2_000;
pub const MAX_INVITE_TIMEOUT_MS: u64 = 10 * 60 * 1000;

/// Highest per-visitor frequency cap (0 = no cap).
pub const MAX_INVITE_CAP: u32 = 100;

/// Most greetings (one per language) per invite.
pub const MAX_GREETINGS: usize = 10;

/// Most events in one `POST /api/v1/widget/events` batch.
pub const MAX_EVENTS_PER_BATCH: usize = 50;

/// Events older than this are refused (`too_old`): the edge remembers event ids for longer
/// (`EVENT_IDS_KEPT_MS`), so a retried event is never counted twice.
pub const MAX_EVENT_AGE_MS: u64 = 24 * 60 * 60 * 1000;
pub const EVENT_IDS_KEPT_MS: u64 = 26 * 60 * 60 * 1000;

/// A shown invite with no answer from the widget this long after its display timeout is
/// counted as ignored by the edge (the visitor left without any signal reaching us).
/// Deployments and tests may change it (`PARLEY_INVITE_GRACE_MS`).
pub const INVITE_GRACE_MS: u64 = 60_000;

/// Tally shards per channel and how often each writes its combined counts to D1.
/// Deployments may change both (`PARLEY_TALLY_SHARDS`, `PARLEY_TALLY_FLUSH_MS`).
pub const TALLY_SHARDS: u32 = 8;
pub const TALLY_FLUSH_MS: u64 = 10_000;

/// D1 databases holding accounts' data (issue 19): `DB` (shard 0, also the directory) alone
/// by default; a deployment binding `DB_1` … sets `PARLEY_D1_SHARDS` to their number.
pub const D1_SHARDS: u32 = 1;
/// Accounts (and channels) whose shard one isolate keeps in memory; past it the map starts
/// over (accounts never move, so an entry is never stale, only evicted).
pub const SHARD_CACHE_MAX: usize = 20_000;

/// Longest decision time recorded on a conversation (longer ones are capped), in ms.
pub const MAX_DECISION_MS: u64 = 24 * 60 * 60 * 1000;

// ---- login and console sessions (issue 18) ------------------------------------------------

/// Login attempts allowed per username within [`LOGIN_WINDOW_MS`] (a sliding window); the
/// next one is refused with 429 `too_many_attempts` and `Retry-After`, right password or not.
/// A successful login clears the username's count.
pub const LOGIN_MAX_ATTEMPTS_PER_USERNAME: u32 = 5;

/// Failed login attempts allowed per client address (`CF-Connecting-IP`; an IPv6 address
/// counts by its /64) within [`LOGIN_WINDOW_MS`]: one address cannot try many usernames.
pub const LOGIN_MAX_ATTEMPTS_PER_ADDRESS: u32 = 20;

/// The sliding window of the login limits.
pub const LOGIN_WINDOW_MS: u64 = 15 * 60 * 1000;

/// A console session ends after this long without any request or socket frame from it (the
/// absolute end is [`SESSION_TTL_MS`]). Expired sessions are purged.
pub const SESSION_IDLE_MS: u64 = 60 * 60 * 1000;

/// A session's last activity is written at most this often (not at every request).
pub const SESSION_TOUCH_MS: u64 = 60 * 1000;

/// An operator's open socket re-reads its session from the database at most this often; in
/// between, the conversation's object trusts what it holds in memory (logout, disabling and a
/// password change reach it at once as a revocation, not through this check).
pub const SESSION_RECHECK_MS: u64 = 60 * 1000;

// ---- end of login and console sessions ------------------------------------------------------

// ---- accounts without SQL (issue 20): setup, two-factor, invites, resets ----------------------

/// Wrong setup codes allowed per client address in [`SETUP_WINDOW_MS`] (a fixed window, D1
/// `rate_windows`); the next attempt is refused with 429 `rate_limited` before the code is
/// checked. Only wrong codes count.
pub const SETUP_MAX_WRONG_CODES: u32 = 5;
/// The window of [`SETUP_MAX_WRONG_CODES`].
pub const SETUP_WINDOW_MS: u64 = 15 * 60 * 1000;
/// Characters of the setup code (base32, 5 bits each: 100 bits of `HMAC(PARLEY_SECRET)`).
pub const SETUP_CODE_CHARS: usize = 20;

/// TOTP (RFC 6238): the time step, the digits of a code, and how many steps before and after
/// the current one a code is still accepted (clock drift).
pub const TOTP_STEP_MS: u64 = 30_000;
pub const TOTP_DIGITS: u32 = 6;
pub const TOTP_SKEW_STEPS: u64 = 1;
/// Bytes of a new TOTP secret (160 bits, RFC 4226's recommendation).
pub const TOTP_SECRET_BYTES: usize = 20;

/// An operator's invitation link (set your password) stays usable this long, once.
pub const INVITE_TTL_MS: u64 = 7 * 24 * 60 * 60 * 1000;
/// A password reset link stays usable this long, once.
pub const RESET_TTL_MS: u64 = 60 * 60 * 1000;
/// Reset mails asked for one address (or username) per [`RESET_WINDOW_MS`]; more are
/// answered the same but send nothing.
pub const RESET_MAX_PER_SUBJECT: u32 = 3;
pub const RESET_WINDOW_MS: u64 = 60 * 60 * 1000;
/// Bytes of randomness in an invitation or reset token (base64url in the link).
pub const ONE_TIME_TOKEN_BYTES: usize = 32;

// ---- end of accounts without SQL --------------------------------------------------------------
/// How long an account keeps its conversations and offline messages, in days: by default, at
/// least and at most (Admin → Account; the scheduled retention job purges what is older).
pub const RETENTION_DAYS: u32 = 365;
pub const MIN_RETENTION_DAYS: u32 = 1;
pub const MAX_RETENTION_DAYS: u32 = 3_650;
/// Most conversations one run of the retention job purges (each is a call to its object and
/// four D1 deletes; Cloudflare caps the subrequests of one invocation); the rest wait for the
/// next run (hourly, `wrangler.toml` `[triggers]`). Purged in batches of
/// `RETENTION_BATCH`.
pub const RETENTION_CONVERSATIONS_PER_RUN: u32 = 200;
pub const RETENTION_BATCH: u32 = 20;
// ---- floods: chats, sockets, offline messages, events, report links (issue 18) --------------

// What one visitor, one client address, one channel or one socket may do in a
// time window. Each door's `(max, window)` is a fixed window counted by the edge (see
// `parley_core::throttle`); a refusal is 429 `rate_limited` with `Retry-After` (HTTP) or an
// `error` frame `rate_limited` (socket), and changes nothing. Deployments may change each
// window with `PARLEY_LIMIT_<DOOR>="MAX/SECONDS"` (the door names are in `parley_core::throttle`).

/// New chats one visitor may start: at most this many per window.
pub const CHATS_PER_VISITOR: (u32, u64) = (5, 10 * 60 * 1000);
/// New chats from one client address (`CF-Connecting-IP`) per window.
pub const CHATS_PER_ADDRESS: (u32, u64) = (20, 10 * 60 * 1000);
/// New chats in one channel per window (all visitors together).
pub const CHATS_PER_CHANNEL: (u32, u64) = (600, 60 * 1000);

/// Offline messages one visitor may leave per window.
pub const OFFLINE_PER_VISITOR: (u32, u64) = (3, 60 * 60 * 1000);
/// Offline messages from one client address per window.
pub const OFFLINE_PER_ADDRESS: (u32, u64) = (20, 60 * 60 * 1000);
/// The same text from the same visitor within this long is stored once (answered as stored).
pub const OFFLINE_DEDUP_MS: u64 = 24 * 60 * 60 * 1000;

/// Traffic/funnel events (`POST /api/v1/widget/events`, each event of a batch counts) per
/// visitor per window.
pub const EVENTS_PER_VISITOR: (u32, u64) = (200, 60 * 1000);
/// Events from one client address per window.
pub const EVENTS_PER_ADDRESS: (u32, u64) = (2_000, 60 * 1000);
/// Most fixed-window counters a tally shard keeps in memory for the events doors (visitors
/// and addresses of its current windows; ~100 bytes each).
pub const MAX_MEMORY_COUNTERS: usize = 50_000;

/// Reads of one public report link per window.
pub const REPORT_READS_PER_LINK: (u32, u64) = (60, 60 * 1000);
/// Reads of public report links from one client address per window.
pub const REPORT_READS_PER_ADDRESS: (u32, u64) = (120, 60 * 1000);
/// How long a public report's JSON answer is kept in the edge's cache (the link's row is still
/// checked on every read, so a revoked link stops at once).
pub const REPORT_CACHE_SECS: u64 = 30;

/// Every socket's frames (of any kind: hello, send, typing, page, ping, end): a token bucket of
/// `burst` frames refilled at `per_sec` a second. A visitor's messages are also limited by
/// `VISITOR_RATE_*` (`PARLEY_VISITOR_RATE`); the socket's bucket is never smaller than that
/// rate, so raising the visitor rate raises it too. Deployments: `PARLEY_SOCKET_RATE`.
pub const SOCKET_RATE_BURST: u32 = 40;
pub const SOCKET_RATE_PER_SEC: u32 = 5;

/// Most sockets open on one conversation at once (the visitor's tabs and the operators').
pub const MAX_SOCKETS_PER_CONVERSATION: usize = 20;

/// Most messages one conversation holds; a send beyond is refused `conversation_full`.
pub const MAX_CONVERSATION_MESSAGES: usize = 5_000;
/// Most text one conversation holds, in bytes (UTF-8) of its messages.
pub const MAX_CONVERSATION_BYTES: usize = 2 * 1024 * 1024;

/// Most chats waiting in one channel's queue; beyond, new chats are refused `queue_full` and
/// the channel counts as unavailable (the widget shows the offline form).
pub const MAX_QUEUE_PER_CHANNEL: usize = 200;

// ---- end of floods ----------------------------------------------------------------------------

// ---- Web Push (operator notifications, issue 20) --------------------------------------------

/// The largest push message body (header and encrypted payload) sent to an operator's browser:
/// every push service must accept 4,096 octets (RFC 8030 §7.2, RFC 8291 §4), so a notification's
/// plaintext stays under 3,993 (crate `push`, `MAX_PLAINTEXT`).
pub const MAX_PUSH_PAYLOAD_BYTES: usize = 4_096;

/// The longest push endpoint URL a browser subscription may name (the services' own are under
/// 400 characters).
pub const MAX_PUSH_ENDPOINT_LEN: usize = 1_024;

/// How long a push service keeps a notification for an offline browser (its `TTL` header): a
/// chat alert older than this is no longer news.
pub const PUSH_TTL_SECS: u64 = 900;

/// How long a VAPID token (RFC 8292) stays valid after it is signed; the RFC allows 24 hours.
pub const PUSH_VAPID_TOKEN_SECS: u64 = 12 * 3_600;

/// Browsers (push subscriptions) an operator may have notified at once; a new one past this
/// replaces their oldest. Each is one `fetch` per notification, so this bounds a push's cost.
pub const MAX_PUSH_SUBSCRIPTIONS_PER_OPERATOR: usize = 4;

/// Operators told by push of one new chat that waits in line (the channel's members whose
/// console is closed, in id order); an assigned chat tells only its operator.
pub const MAX_PUSHED_OPERATORS_PER_CHAT: usize = 3;

/// A console that has not asked the dispatcher anything (its 2 s poll, a touch, a presence
/// change) for this long counts as closed, and its operator is notified by push
/// (`PARLEY_CONSOLE_GONE_MS`). Above a minute: a hidden tab's timers may be throttled to one a
/// minute, and a hidden console still alerts by itself.
pub const CONSOLE_GONE_MS: u64 = 90_000;

/// The VAPID subject (RFC 8292 §2.1) when `PARLEY_PUSH_SUBJECT` is unset: a deployment should
/// set its own contact.
pub const PUSH_SUBJECT: &str = "mailto:push@parley.invalid";

// ---- Mail (issue 20) -------------------------------------------------------------------------

/// The largest inbound mail read as a reply (its raw RFC 5322 bytes): text replies with their
/// quoted history and HTML fit easily; anything larger bounces (files are not taken by mail).
pub const MAX_INBOUND_MAIL_BYTES: usize = 1024 * 1024;

/// How long the reply address of a mail sent to a visitor takes their answers into the chat.
pub const REPLY_ADDRESS_TTL_SECS: u64 = 30 * 24 * 3_600;

/// Transcript mails a conversation's visitor may ask for over its life (each new address or
/// new message counts one): past it, 429 `rate_limited`. Keeps "Email me this chat" from being
/// a way to mail strangers.
pub const TRANSCRIPT_MAILS_PER_CONVERSATION: u32 = 5;

/// Mails sent to one recipient per [`MAIL_RECIPIENT_WINDOW_SECS`] (a channel's notification
/// address, a visitor): past it a mail is kept in the outbox but not sent (`limited`).
pub const MAIL_PER_RECIPIENT: u32 = 30;
/// The window of [`MAIL_PER_RECIPIENT`].
pub const MAIL_RECIPIENT_WINDOW_SECS: u64 = 3_600;
/// A mail whose send failed is retried after 1 min, doubling, at most this long apart.
pub const MAIL_RETRY_MAX_MS: u64 = 6 * 3_600_000;
/// The first retry of a failed send.
pub const MAIL_RETRY_FIRST_MS: u64 = 60_000;
/// After this many failed sends a mail is given up (`failed`).
pub const MAIL_MAX_ATTEMPTS: u32 = 8;
/// A send in progress owns its mail this long: the scheduled retry leaves it alone meanwhile.
pub const MAIL_SEND_LEASE_MS: u64 = 120_000;
/// Mails one scheduled run retries per shard (each: a claim, a send, a mark).
pub const MAIL_RETRIES_PER_RUN: u32 = 5;
/// Notification addresses of a channel.
pub const MAX_NOTIFY_ADDRESSES: usize = 5;
/// A channel's sender name, in characters.
pub const MAX_MAIL_SENDER_NAME_CHARS: usize = 80;
/// The wait before a missed-chat mail, by default (minutes), and its bounds.
pub const MISSED_CHAT_WAIT_MINUTES: u32 = 5;
/// An operator's answer to a visitor who has left is mailed this long after it, with the
/// operators' messages written meanwhile in the same mail (none if the visitor comes back).
pub const REPLY_MAIL_DELAY_MS: u64 = 60_000;
pub const MAX_MISSED_CHAT_WAIT_MINUTES: u32 = 1_440;

/// What Cloudflare enforces in production but `wrangler dev` does not (ARCHITECTURE.md,
/// "Production-only limits"); each is pinned by a native test (`edge/src/prod_limits.rs`).
pub mod cloudflare {
    /// Bound parameters per D1 query, and per query of a Durable Object's SQLite.
    pub const MAX_BOUND_PARAMS: usize = 100;
    /// Longest SQL statement, in bytes (D1 and Durable Object SQLite).
    pub const MAX_SQL_STATEMENT_BYTES: usize = 100_000;
    /// Largest string, BLOB or row in a Durable Object's SQLite, in bytes.
    pub const MAX_DO_ROW_BYTES: usize = 2 * 1024 * 1024;
    /// Largest string, BLOB or row in D1, in bytes (D1 "Limits").
    pub const MAX_D1_STRING_BYTES: usize = 2_000_000;
    /// Largest WebSocket message a Durable Object receives, in bytes (the lowest documented value).
    pub const MAX_WS_MESSAGE_BYTES: usize = 1024 * 1024;
    /// Subrequests per invocation (a request, a scheduled run) on the Workers Free plan: every
    /// `fetch`, every call to a Durable Object and every D1 query counts (Workers "Limits",
    /// developers.cloudflare.com/workers/platform/limits/, table "Account plan limits":
    /// 50/request Free; D1 "Limits", developers.cloudflare.com/d1/platform/limits/: "Queries per
    /// Worker invocation (read subrequest limits) 1000 (Workers Paid) / 50 (Free)"). Whether a
    /// D1 `batch` is one subrequest is not documented: Parley counts each of its statements.
    /// `wrangler dev` enforces none of it: `tests/e2e/request-cost.test.mjs` counts.
    pub const MAX_SUBREQUESTS_FREE: usize = 50;
    /// Subrequests per invocation on the Workers Paid plan (the page says 10,000 today; it said
    /// 1,000 before). D1 queries keep their own cap, [`MAX_D1_QUERIES_PAID`].
    pub const MAX_SUBREQUESTS_PAID: usize = 10_000;
    /// D1 queries per invocation on the Free plan (the same 50 as the subrequests).
    pub const MAX_D1_QUERIES_FREE: usize = 50;
    /// D1 queries per invocation on the Paid plan.
    pub const MAX_D1_QUERIES_PAID: usize = 1_000;
    /// CPU time per request on the Free plan, in ms (Workers "Limits", "CPU time": 10 ms).
    pub const MAX_CPU_MS_FREE: u64 = 10;
    /// CPU time per request on the Paid plan by default, in ms (30 s; `[limits] cpu_ms` in
    /// `wrangler.toml` raises it up to [`MAX_CPU_MS_PAID`]: changelog 2025-03-25, "Run Workers
    /// for up to 5 minutes of CPU-time").
    pub const DEFAULT_CPU_MS_PAID: u64 = 30_000;
    /// The most `[limits] cpu_ms` may ask for, in ms (5 minutes).
    pub const MAX_CPU_MS_PAID: u64 = 300_000;

    // -- Parley's bounds under these -----------------------------------------------------------

    /// Conversations told to close an ended session's sockets (`Revoke`) in one request
    /// (logout, a disabled operator, a new password, the session purge): the others' sockets
    /// find out at their next session check, within a minute.
    pub const MAX_REVOKES_PER_REQUEST: usize = 10;
    /// Conversations one erasure request erases (a call to each one's object, then four D1
    /// deletes for the lot); a visitor with more is erased by repeating the request
    /// (`ErasureReport::remaining`).
    pub const MAX_ERASED_CONVERSATIONS_PER_REQUEST: usize = 30;
    /// What one conversation costs the retention job: a call to its object and the four D1
    /// deletes of its rows.
    pub const RETENTION_COST_PER_CONVERSATION: usize = 5;
    /// Subrequests a scheduled run keeps for the session purge after the retention job (its
    /// batch of deletes and reads, and its revocations).
    pub const SCHEDULED_PURGE_RESERVE: usize = 6 + MAX_REVOKES_PER_REQUEST;
}

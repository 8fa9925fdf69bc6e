//! Every limit the widget, the console and the edge agree on. Change them here only.

/// Protocol version spoken by this build. A peer announcing another version is refused with
/// `incompatible`.
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest WebSocket text frame accepted, in bytes. Larger frames are refused before parsing.
pub const MAX_FRAME_BYTES: usize = 16 * 1024;

/// Longest chat message, in characters (Unicode scalar values), after trimming.
pub const MAX_MESSAGE_CHARS: usize = 4_000;

/// Longest id of any kind (conversation, visitor, client message id…).
pub const MAX_ID_LEN: usize = 64;

/// Longest display name (operator's online chat name, visitor name).
pub const MAX_NAME_CHARS: usize = 80;

/// Most messages replayed in one `welcome`; a client further behind asks again.
pub const MAX_REPLAY: usize = 1_000;

/// How long an operator's console session lasts.
pub const SESSION_TTL_MS: u64 = 12 * 60 * 60 * 1000;

/// Longest username and password accepted at login.
pub const MAX_USERNAME_LEN: usize = 120;
pub const MAX_PASSWORD_LEN: usize = 256;

/// Longest JSON body accepted by the HTTP API, in bytes.
pub const MAX_HTTP_BODY_BYTES: usize = 16 * 1024;

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

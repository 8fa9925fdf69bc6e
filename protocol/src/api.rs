//! Bodies of the HTTP API (JSON), shared by the edge that answers and the widget and console
//! that call, so the three cannot drift apart. The WebSocket protocol is in [`crate::protocol`].

use serde::{Deserialize, Serialize};

use crate::admin::Role;
use crate::ids::{AccountId, ChannelId, ConversationId, OperatorId, VisitorId};
use crate::protocol::Status;

/// A channel's widget settings, as the widget receives them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelInfo {
    pub id: String,
    pub name: String,
    pub greeting: String,
    pub accent: String,
    /// The channel's IANA time zone: invite rules' hour and weekday are read in it.
    #[serde(default = "utc")]
    pub time_zone: String,
    /// The chat button (launcher) entry point.
    pub button: crate::entry_points::EntryPointRef,
    /// The enabled auto-invites, in the order they are tried.
    #[serde(default)]
    pub invites: Vec<crate::invites::Rule>,
    /// The pre-chat form: asked before the first message when not empty (skipped for a visitor
    /// the site has identified).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prechat: Vec<crate::outcomes::FormField>,
    /// The account's enabled goals: reached by a page-URL rule or by `Parley.goal(name, value)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub goals: Vec<crate::outcomes::Goal>,
    /// The channel's default language (`en`, `es`, `fr`, `de`, `vi`): the widget's texts are in
    /// the visitor's browser language when Parley speaks it, else in this one.
    #[serde(default = "english")]
    pub language: String,
    /// Where the launcher sits: `right` (default) or `left` bottom corner.
    #[serde(default = "right")]
    pub position: String,
    /// The greeting per language (`greeting` is the default language's, kept for older
    /// widgets); the widget shows the one of its language, else `greeting`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub greetings: Vec<crate::invites::Greeting>,
}

/// `GET /api/v1/widget/look?channel=<id>`: what the loader needs to draw the launcher before
/// the WebAssembly app loads (public, not cached: the edge counts the page view and the chat
/// button's view from it; unknown channel = 404).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetLook {
    /// `#rrggbb`.
    pub accent: String,
    /// `right` or `left`.
    pub position: String,
    /// The channel's default language code.
    pub language: String,
    /// Whether the channel has enabled automatic invites: the loader then loads the app when
    /// the page is idle (the rules watch the page); otherwise at the visitor's first intent.
    #[serde(default)]
    pub invites: bool,
}

fn english() -> String {
    "en".to_owned()
}

fn right() -> String {
    "right".to_owned()
}

fn utc() -> String {
    "UTC".to_owned()
}

/// What started a chat: an entry point, the shown invite (if it was one) and the decision time
/// (entry point visible in the viewport → clicked).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryChoice {
    pub entry_point: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub invite: String,
    #[serde(default)]
    pub decision_ms: Option<u64>,
}

/// `POST /api/v1/widget/session`: who the visitor is (a stored identity to keep, if any).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetSessionRequest {
    pub channel_id: ChannelId,
    #[serde(default)]
    pub visitor_id: Option<VisitorId>,
    #[serde(default)]
    pub visitor_token: Option<String>,
    /// `Parley.identify(...)`: the site's proof of who its logged-in user is. A bad hash is
    /// refused (403 `bad_identity`, nothing changes); a good one gives the visitor the id derived
    /// from (account, user id), the same on every device, so past conversations follow them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
}

/// What `Parley.identify({ id, hash, name, email })` passes on. `hash` is the lowercase hex
/// HMAC-SHA256 of `id` with the channel's identity secret (`parley_core::auth::identify_hash`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub id: String,
    pub hash: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
}

/// The answer: the channel's settings, the visitor's (kept or fresh) identity, and their open
/// conversation in this channel, to resume on any page of the site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WidgetSession {
    pub channel: ChannelInfo,
    pub visitor_id: String,
    pub visitor_token: String,
    pub conversation_id: Option<String>,
    /// True when the request's identity checked out (the visitor id is the identified one).
    #[serde(default)]
    pub identified: bool,
}

/// `POST /api/v1/conversations/:id/ticket`: the visitor proves the conversation is theirs and
/// gets a [`SocketTicket`] (the permanent token never goes into a URL).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRequest {
    #[serde(default)]
    pub visitor_id: Option<String>,
    #[serde(default)]
    pub visitor_token: Option<String>,
}

/// The answer: `GET /api/v1/conversations/:id/ws?role=visitor&ticket=…` opens the socket, once,
/// until `expires_at` (ms since the epoch; `limits::SOCKET_TICKET_TTL_MS` after minting).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketTicket {
    pub ticket: String,
    pub expires_at: u64,
}

/// `POST /api/v1/conversations/:id/files?client_id=…&name=…` (issue 21; the body is the file):
/// the file as messages carry it, and the token a `send` frame names it with. The same client id
/// answers the same file again (a retried upload stores once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedFile {
    pub attachment: crate::protocol::AttachmentView,
    pub token: String,
}

/// `POST /api/v1/conversations/:id/files/:file/link`: a link reading the file until
/// `expires_at` (`limits::ATTACHMENT_LINK_TTL_MS` after it was made).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLink {
    pub url: String,
    pub expires_at: u64,
}

/// `POST /api/v1/conversations`: the visitor's open conversation, created if there is none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateConversationRequest {
    pub channel_id: ChannelId,
    pub visitor_id: VisitorId,
    pub visitor_token: String,
    #[serde(default)]
    pub page_url: String,
    /// The visitor's browser language (`navigator.language`), for routing.
    #[serde(default)]
    pub language: String,
    /// The entry point the visitor used (the chat button when absent).
    #[serde(default)]
    pub entry: Option<EntryChoice>,
    /// Answers to the channel's pre-chat form, `[key, value]` pairs (checked with
    /// [`crate::outcomes::prechat_answers`]: 400 naming the field when a required one is empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prechat: Vec<(String, String)>,
}

/// `POST /api/v1/conversations/:id/transcript`: the visitor asks for their chat by mail
/// ("Email me this chat"). Every message so far is mailed to `email` once (asking again with no
/// new message sends nothing), with a reply address that takes their answer back into the chat.
/// Answered with [`TranscriptMailed`]; 400 `invalid` (field `email`) for an address no mail can
/// go to, 404 for another visitor's conversation, 429 `rate_limited` past
/// [`crate::limits::TRANSCRIPT_MAILS_PER_CONVERSATION`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptMailRequest {
    pub channel_id: ChannelId,
    pub visitor_id: VisitorId,
    pub visitor_token: String,
    pub email: String,
    /// The widget's language (the mail's); the channel's when absent or unknown.
    #[serde(default)]
    pub lang: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptMailed {
    /// Whether a mail was queued now (false: the same transcript was already sent to this
    /// address, or the deployment sends no mail).
    pub queued: bool,
}

/// `POST /api/v1/widget/conversations/:id/survey`: the visitor's rating of a closed
/// conversation (or that they skipped it). Answered with [`SurveySaved`]; 409 `not_closed`
/// while the chat is open, 409 `already_rated` for a different second answer (the same answer
/// again is acknowledged: retries are safe), 404 for another visitor's conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyRequest {
    pub channel_id: ChannelId,
    pub visitor_id: VisitorId,
    pub visitor_token: String,
    pub survey: crate::outcomes::Survey,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveySaved {
    /// `good`, `moderate`, `bad` or `not_rated`.
    pub survey_result: String,
}

/// `POST /api/v1/widget/goals`: goals the visitor reached in this session, recorded on their
/// conversation `conversation_id` (once per goal; resending is safe). Unknown or disabled goal
/// ids are refused (400 field `goals`) and nothing is recorded. Answered with [`GoalsSaved`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GoalsRequest {
    pub channel_id: ChannelId,
    pub visitor_id: VisitorId,
    pub visitor_token: String,
    pub conversation_id: ConversationId,
    pub goals: Vec<crate::outcomes::ReachedGoal>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GoalsSaved {
    /// Every goal now recorded on the conversation.
    pub goals: Vec<crate::outcomes::ReachedGoal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationCreated {
    pub conversation_id: ConversationId,
    pub status: Status,
}

/// `POST /api/v1/auth/login`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The authenticator's code, for an operator with two-factor login on (the second step,
    /// after a `totp_required` answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp: Option<String>,
}

/// The logged-in operator (`/api/v1/auth/login`, `/api/v1/auth/me`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorInfo {
    pub id: OperatorId,
    pub account_id: AccountId,
    pub username: String,
    pub chat_name: String,
    pub role: Role,
}

/// One conversation as the console lists it: the view `parley_core::record::ConversationRecord::summary`
/// of the conversation record (this is its wire format). Times are milliseconds since the epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    pub visitor_id: VisitorId,
    pub status: Status,
    pub created_at: u64,
    pub page_url: String,
    pub message_count: u64,
    pub last_message_at: Option<u64>,
    pub last_message_preview: String,
    pub updated_at: u64,
    #[serde(default)]
    pub closed_at: Option<u64>,
    /// `visitor`, `operator` or `timeout`.
    #[serde(default)]
    pub closed_by: Option<String>,
    /// 1 when an operator took the conversation but never wrote in it.
    #[serde(default)]
    pub no_operator_response: u32,
    /// The operator routing gave it to.
    #[serde(default)]
    pub operator_id: Option<OperatorId>,
    #[serde(default)]
    pub operator_name: String,
    #[serde(default)]
    pub visitor_name: String,
    #[serde(default)]
    pub visitor_language: String,
    #[serde(default)]
    pub visitor_country: String,
    #[serde(default)]
    pub current_page: String,
    #[serde(default)]
    pub pages_visited: u32,
    /// `button` or `invite` (requestType), and the entry point's name (requestSource).
    #[serde(default)]
    pub request_type: String,
    #[serde(default)]
    pub request_source: String,
    /// Entry point visible → clicked, in ms (decisionTime), when measured.
    #[serde(default)]
    pub decision_ms: Option<u64>,
    /// The visitor's survey: empty until answered, `good` | `moderate` | `bad`, or `not_rated`.
    #[serde(default)]
    pub survey_result: String,
    #[serde(default)]
    pub survey_comment: String,
    #[serde(default)]
    pub rated_at: Option<u64>,
    /// The operator's outcome fields (see [`crate::outcomes::Outcome`]).
    #[serde(default)]
    pub success_code: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub sub_category: Option<String>,
    #[serde(default)]
    pub note: String,
    /// Goals reached during the visitor's session, in the order reached.
    #[serde(default)]
    pub goals: Vec<crate::outcomes::ReachedGoal>,
    /// Who the visitor is: email, the report's visitor_identifier (verified id, else email,
    /// else name, else the visitor id), whether anonymous, and the pre-chat answers.
    #[serde(default)]
    pub visitor_email: String,
    #[serde(default)]
    pub visitor_identifier: String,
    #[serde(default = "yes")]
    pub anonymous: bool,
    #[serde(default)]
    pub prechat: Vec<(String, String)>,
}

fn yes() -> bool {
    true
}

impl ConversationSummary {
    /// What started the conversation, as the console's visitor box shows it: `Pricing help
    /// (auto-invite) · decided in 4 s`, `chat button`; `None` when not recorded.
    pub fn started_from(&self) -> Option<String> {
        let what = match self.request_type.as_str() {
            "button" => "chat button".to_owned(),
            "invite" if self.request_source.trim().is_empty() => "auto-invite".to_owned(),
            "invite" => format!("{} (auto-invite)", self.request_source.trim()),
            _ => return None,
        };
        Some(match self.decision_ms {
            Some(ms) => format!("{what} · decided in {}", duration(ms)),
            None => what,
        })
    }
}

/// A short duration: `350 ms`, `4 s`, `2 min 5 s`, `3 min` (seconds rounded half up).
pub fn duration(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms} ms");
    }
    let s = (ms + 500) / 1000;
    match (s / 60, s % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// `GET /api/v1/console/conversations`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConversationList {
    pub conversations: Vec<ConversationSummary>,
}

/// One recorded state change of a conversation, oldest first
/// (`GET /api/v1/console/conversations/:id/events` → `{"events": [...]}`): `kind` and the JSON
/// text `detail` are the core's event (`parley_core::conversation::EventKind`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationEvent {
    pub seq: u64,
    pub at: u64,
    pub kind: String,
    pub detail: String,
}

/// `POST /api/v1/widget/offline-message`: "leave a message" when nobody is online.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineMessageRequest {
    pub channel_id: ChannelId,
    pub visitor_id: VisitorId,
    pub visitor_token: String,
    pub name: String,
    pub email: String,
    pub text: String,
    #[serde(default)]
    pub page_url: String,
}

/// `POST /api/v1/widget/availability`: can a new chat reach an operator now?
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityRequest {
    pub channel_id: ChannelId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    /// Someone is online in the channel; otherwise the widget offers the offline form.
    pub available: bool,
}

/// A channel as the console's presence controls list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelRef {
    pub id: String,
    pub name: String,
}

/// One operator as the console shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorView {
    pub id: String,
    pub name: String,
    pub online: bool,
    pub channels: Vec<String>,
    pub ongoing: u32,
    pub max_chats: u32,
    pub languages: Vec<String>,
}

/// One open chat as the console shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatView {
    pub conversation_id: ConversationId,
    pub channel: String,
    pub operator_id: Option<OperatorId>,
    pub answered: bool,
    /// 1-based place in line while waiting.
    pub position: Option<u32>,
}

/// The dispatcher's state for the console (`GET /api/v1/console/presence`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceView {
    pub operators: Vec<OperatorView>,
    pub chats: Vec<ChatView>,
}

/// `GET /api/v1/console/presence` (and the answer to `POST`): who is online where, the open
/// chats with their operator or place in line, and the account's channels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceSnapshot {
    /// The logged-in operator's id.
    pub me: String,
    pub presence: PresenceView,
    pub channels: Vec<ChannelRef>,
}

/// `POST /api/v1/console/presence`: go online/offline, join or leave a channel.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresenceChange {
    #[serde(default)]
    pub online: Option<bool>,
    #[serde(default)]
    pub join: Option<String>,
    #[serde(default)]
    pub leave: Option<String>,
}

/// `POST /api/v1/console/conversations/:id/transfer`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    pub operator_id: OperatorId,
}

/// `GET /api/v1/console/conversations/:id/transcript` (any operator of the account): the
/// conversation's messages as D1 keeps them (copied from its Durable Object), with its summary
/// and the visitor's rating (`survey_result`: `''` never answered, `good` | `moderate` | `bad`,
/// or `not_rated`), which the console shows after the last message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    pub conversation: ConversationSummary,
    pub messages: Vec<TranscriptMessage>,
    pub survey_result: String,
    pub survey_comment: String,
}

/// One message of a [`Transcript`], oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptMessage {
    pub seq: u64,
    /// `visitor`, `operator` or `system`.
    pub role: String,
    pub author_name: String,
    pub text: String,
    pub at: u64,
    /// The file the message carries (issue 21).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<crate::protocol::AttachmentView>,
}

// ---- Web Push for operators (issue 20) --------------------------------------------------------

/// `GET /api/v1/push/key`: the deployment's VAPID public key (uncompressed P-256, base64url),
/// the `applicationServerKey` a browser subscribes with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushKey {
    pub key: String,
}

/// A browser's `PushSubscription.toJSON()` (other fields, e.g. `expirationTime`, ignored).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSubscriptionJson {
    pub endpoint: String,
    pub keys: PushKeys,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushKeys {
    pub p256dh: String,
    pub auth: String,
}

/// What notifies an operator by push while their console is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushChoices {
    /// A chat assigned to them, or waiting in a channel they joined.
    pub new_chats: bool,
    /// A visitor's message in a chat of theirs.
    pub new_messages: bool,
}

/// `POST /api/v1/push/subscriptions`: notify me in this browser (again: new choices).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSubscribe {
    pub subscription: PushSubscriptionJson,
    #[serde(flatten)]
    pub choices: PushChoices,
    /// The console's language (a tag; the notifications' texts), English when absent or unknown.
    #[serde(default)]
    pub lang: Option<String>,
}

/// `POST /api/v1/push/subscriptions/delete`: stop notifying me in this browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushUnsubscribe {
    pub endpoint: String,
}

/// One of my subscriptions (`GET /api/v1/push/subscriptions`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSubscriptionView {
    pub endpoint: String,
    #[serde(flatten)]
    pub choices: PushChoices,
}

/// What a push notification carries (encrypted for the browser; its service worker shows it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushPayload {
    /// `new_chat`, `waiting` or `message`.
    pub kind: String,
    pub conversation_id: ConversationId,
    pub title: String,
    pub body: String,
    /// Where a click opens the console (same origin).
    pub url: String,
    /// One notification per event: a repeat replaces it (the notification's `tag`).
    pub tag: String,
}

#[cfg(test)]
mod started_from_tests {
    use super::*;

    fn summary(request_type: &str, request_source: &str, decision_ms: Option<u64>) -> ConversationSummary {
        let mut c: ConversationSummary = serde_json::from_value(serde_json::json!({
            "id": "c1", "account_id": "acc_demo", "channel_id": "demo", "visitor_id": "v1", "status": "active",
            "created_at": 1, "page_url": "", "message_count": 0, "last_message_at": null,
            "last_message_preview": "", "updated_at": 1
        }))
        .unwrap();
        c.request_type = request_type.into();
        c.request_source = request_source.into();
        c.decision_ms = decision_ms;
        c
    }

    #[test]
    fn started_from_labels() {
        assert_eq!(
            summary("invite", "Pricing help", Some(4_000)).started_from().as_deref(),
            Some("Pricing help (auto-invite) · decided in 4 s")
        );
        assert_eq!(summary("button", "Chat button", None).started_from().as_deref(), Some("chat button"));
        assert_eq!(
            summary("button", "Chat button", Some(125_400)).started_from().as_deref(),
            Some("chat button · decided in 2 min 5 s")
        );
        assert_eq!(summary("invite", "", Some(350)).started_from().as_deref(), Some("auto-invite · decided in 350 ms"));
        // Older rows and summaries without the fields.
        assert_eq!(summary("", "", None).started_from(), None);
        assert_eq!(duration(1_499), "1 s");
        assert_eq!(duration(1_500), "2 s");
        assert_eq!(duration(180_000), "3 min");
    }
}

#[cfg(test)]
mod summary_tests {
    use super::ConversationSummary;

    #[test]
    fn the_summary_reads_back_its_own_json_and_defaults_what_is_left_out() {
        let body = serde_json::json!({
            "id": "c_1", "account_id": "a", "channel_id": "ch", "visitor_id": "v", "status": "closed",
            "created_at": 1, "page_url": "", "message_count": 2, "last_message_at": null,
            "last_message_preview": "", "updated_at": 3, "tags": ["vip", "pricing"],
            "prechat": [["name", "Ann"]], "anonymous": false,
            "goals": [{"goal_id": "g1", "name": "Signed up", "value": 49, "at": 5}]
        });
        let s: ConversationSummary = serde_json::from_value(body).unwrap();
        assert_eq!(s.tags, vec!["vip", "pricing"]);
        assert_eq!(s.prechat, vec![("name".to_owned(), "Ann".to_owned())]);
        assert!(!s.anonymous);
        assert_eq!((s.goals[0].name.as_str(), s.goals[0].value, s.goals[0].at), ("Signed up", 49.0, 5));
        let again: ConversationSummary = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(again, s);
        // Fields left out: empty lists, anonymous.
        let bare = serde_json::json!({
            "id": "c_1", "account_id": "a", "channel_id": "ch", "visitor_id": "v", "status": "active",
            "created_at": 1, "page_url": "", "message_count": 0, "last_message_at": null,
            "last_message_preview": "", "updated_at": 3
        });
        let b: ConversationSummary = serde_json::from_value(bare).unwrap();
        assert!(b.tags.is_empty() && b.goals.is_empty() && b.anonymous);
    }
}

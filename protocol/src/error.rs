//! The API's one error type: every refusal the edge sends, as a code with its HTTP status.
//!
//! On the wire an error is `{"error":{"code":…,"field"?:…,"message":…}}`: `code` is
//! [`ErrorCode::as_str`], stable and meant for programs; `message` is for people; `field`
//! names the request field at fault when there is one. The README's API section lists every
//! code once.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::admin::FieldError;

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = ($code:literal, $status:literal),)*) => {
        /// Every error code the API sends, with the HTTP status it usually comes with.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order the README lists them.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The HTTP status this code is sent with (see [`ApiError::with_status`] for the
            /// few places that send it with another).
            pub const fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)*
                }
            }
        }
    };
}

error_codes! {
    /// The body, query or path cannot be read (bad JSON, a missing parameter).
    Malformed = ("malformed", 400),
    /// The body is longer than [`crate::limits::MAX_HTTP_BODY_BYTES`].
    TooLarge = ("too_large", 413),
    /// A login's username or password is longer than allowed.
    TooLong = ("too_long", 400),
    /// A field's value is refused; `field` names it.
    Invalid = ("invalid", 400),
    /// An admin may not make this change to their own row (`field` names it).
    CannotChangeSelf = ("cannot_change_self", 400),
    /// `?channel=` is missing or not an id.
    BadChannel = ("bad_channel", 400),
    /// No session cookie, or an expired one.
    Unauthenticated = ("unauthenticated", 401),
    /// Wrong username or password.
    BadCredentials = ("bad_credentials", 401),
    /// Too many login attempts for the username or from the address: sent with
    /// `Retry-After` (seconds); the password was not checked.
    TooManyAttempts = ("too_many_attempts", 429),
    /// The password is right and the operator has two-factor login on: send it again with
    /// `totp`, the authenticator's code.
    TotpRequired = ("totp_required", 401),
    /// A two-factor code that is wrong, or was already used in its 30-second step.
    BadTotpCode = ("bad_totp_code", 401),
    /// `/console/setup`: the setup code does not derive from this deployment's `PARLEY_SECRET`.
    BadSetupCode = ("bad_setup_code", 403),
    /// `/console/setup`: the deployment already has an account.
    AlreadySetUp = ("already_set_up", 409),
    /// An invitation or password reset link that is unknown, used or past its expiry.
    BadLink = ("bad_link", 410),
    /// A visitor request without an `Origin` header.
    OriginRequired = ("origin_required", 403),
    /// An unreadable `Origin`, or a console call from another origin.
    BadOrigin = ("bad_origin", 403),
    /// The page's site is not a registered host of the channel.
    OriginNotAllowed = ("origin_not_allowed", 403),
    /// The visitor token does not match the visitor id.
    BadVisitorToken = ("bad_visitor_token", 403),
    /// `Parley.identify`: the user hash does not check out.
    BadIdentity = ("bad_identity", 403),
    /// The conversation is not this visitor's (or the token is wrong: the same answer).
    NotYourConversation = ("not_your_conversation", 403),
    /// The visitor is blocked in this channel.
    VisitorBlocked = ("visitor_blocked", 403),
    /// Only an admin of the account may do this.
    Forbidden = ("forbidden", 403),
    /// A shared report link whose signature does not check out.
    BadSignature = ("bad_signature", 403),
    /// No such API route, report or page.
    NotFound = ("not_found", 404),
    UnknownChannel = ("unknown_channel", 404),
    UnknownConversation = ("unknown_conversation", 404),
    UnknownOperator = ("unknown_operator", 404),
    /// Sent with 400 when an event names an entry point the channel does not have.
    UnknownEntryPoint = ("unknown_entry_point", 404),
    UnknownCanned = ("unknown_canned", 404),
    UnknownBlock = ("unknown_block", 404),
    UnknownLink = ("unknown_link", 404),
    /// A shared report link past its expiry.
    Expired = ("expired", 410),
    /// A shared report link that was revoked.
    Revoked = ("revoked", 410),
    UsernameTaken = ("username_taken", 409),
    NameTaken = ("name_taken", 409),
    ShortcutTaken = ("shortcut_taken", 409),
    TooManyInvites = ("too_many_invites", 409),
    AlreadyBlocked = ("already_blocked", 409),
    AlreadyRated = ("already_rated", 409),
    /// The conversation must be closed first.
    NotClosed = ("not_closed", 409),
    /// A transfer to an operator who is offline or has no free slot.
    OperatorUnavailable = ("operator_unavailable", 409),
    /// A transfer to the operator who already has the chat.
    SameOperator = ("same_operator", 409),
    /// `/ws` without a WebSocket upgrade.
    UpgradeRequired = ("upgrade_required", 426),
    /// Too many requests at this door in its window (`Retry-After` says when to come back).
    RateLimited = ("rate_limited", 429),
    /// The conversation has its most sockets open (`Retry-After` says when to try again).
    TooManySockets = ("too_many_sockets", 429),
    /// The channel's wait queue is full: leave a message instead (the widget's offline form).
    QueueFull = ("queue_full", 503),
    /// An upload larger than [`crate::limits::MAX_ATTACHMENT_BYTES`] (refused from its
    /// `Content-Length` before the body is read, else as the bytes come).
    FileTooLarge = ("file_too_large", 413),
    /// The file's bytes are not one of the accepted types (images, PDF, plain text, office).
    FileTypeNotAllowed = ("file_type_not_allowed", 415),
    /// The file's name says one type (`.png`) and its bytes are another, or none.
    FileTypeMismatch = ("file_type_mismatch", 415),
    /// The conversation holds its most files ([`crate::limits::MAX_ATTACHMENTS_PER_CONVERSATION`]).
    TooManyFiles = ("too_many_files", 409),
    /// A file link that is malformed, forged or not for this conversation.
    BadFileLink = ("bad_file_link", 403),
    /// A file link past its expiry: ask the conversation for a new one.
    FileLinkExpired = ("file_link_expired", 410),
    /// No such file in this conversation (never uploaded, or erased).
    UnknownFile = ("unknown_file", 404),
    /// Anything unexpected (logged by the edge).
    Internal = ("internal", 500),
}

impl ErrorCode {
    /// The code named `code` on the wire.
    pub fn parse(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == code)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        ErrorCode::parse(&code).ok_or_else(|| serde::de::Error::custom(format!("unknown error code {code:?}")))
    }
}

/// A refusal: its code, a message for people and, when one field is at fault, its name. The
/// HTTP status is the code's unless [`ApiError::with_status`] says otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    status: u16,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), field: None, status: code.status() }
    }

    /// A refusal naming the field at fault.
    pub fn field(code: ErrorCode, e: FieldError) -> Self {
        ApiError { code, message: e.message, field: Some(e.field), status: code.status() }
    }

    /// 400 `invalid` naming the field.
    pub fn invalid(e: FieldError) -> Self {
        ApiError::field(ErrorCode::Invalid, e)
    }

    /// The same refusal with another status (a code sent with a status not its own).
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    /// 404 `not_found` for a path the API does not have.
    pub fn no_route() -> Self {
        ApiError::new(ErrorCode::NotFound, "no such API route")
    }

    /// 403 `forbidden`: the operator is not an admin; `what` ends "only an admin of the account
    /// can …".
    pub fn admins_only(what: &str) -> Self {
        ApiError::new(ErrorCode::Forbidden, format!("only an admin of the account can {what}"))
    }

    pub fn unauthenticated() -> Self {
        ApiError::new(ErrorCode::Unauthenticated, "log in first")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[derive(Serialize, Deserialize)]
struct Body<T> {
    error: T,
}

/// The body's keys in alphabetical order, as the edge always sent them.
#[derive(Serialize)]
struct Out<'a> {
    code: ErrorCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    message: &'a str,
}

#[derive(Deserialize)]
struct In {
    code: ErrorCode,
    #[serde(default)]
    field: Option<String>,
    message: String,
}

impl Serialize for ApiError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let out = Out { code: self.code, field: self.field.as_deref(), message: &self.message };
        Body { error: out }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for ApiError {
    /// The status is not in the body: it is the code's (set it from the response with
    /// [`ApiError::with_status`]).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Body { error: In { code, field, message } } = Body::<In>::deserialize(d)?;
        Ok(ApiError { code, message, field, status: code.status() })
    }
}

impl ApiError {
    /// Reads an error response: its status and body. `None` when the body is not an API error.
    pub fn from_response(status: u16, body: &str) -> Option<ApiError> {
        serde_json::from_str::<ApiError>(body).ok().map(|e| e.with_status(status))
    }

    /// The JSON body of the response.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an error body serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} listed twice");
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            assert!(code.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
        assert_eq!(ErrorCode::parse("Malformed"), None);
    }

    #[test]
    fn statuses_per_code() {
        let expect = [
            (ErrorCode::Malformed, 400),
            (ErrorCode::TooLarge, 413),
            (ErrorCode::TooLong, 400),
            (ErrorCode::Invalid, 400),
            (ErrorCode::CannotChangeSelf, 400),
            (ErrorCode::BadChannel, 400),
            (ErrorCode::Unauthenticated, 401),
            (ErrorCode::BadCredentials, 401),
            (ErrorCode::TooManyAttempts, 429),
            (ErrorCode::TotpRequired, 401),
            (ErrorCode::BadTotpCode, 401),
            (ErrorCode::BadSetupCode, 403),
            (ErrorCode::AlreadySetUp, 409),
            (ErrorCode::BadLink, 410),
            (ErrorCode::OriginRequired, 403),
            (ErrorCode::BadOrigin, 403),
            (ErrorCode::OriginNotAllowed, 403),
            (ErrorCode::BadVisitorToken, 403),
            (ErrorCode::BadIdentity, 403),
            (ErrorCode::NotYourConversation, 403),
            (ErrorCode::VisitorBlocked, 403),
            (ErrorCode::Forbidden, 403),
            (ErrorCode::BadSignature, 403),
            (ErrorCode::NotFound, 404),
            (ErrorCode::UnknownChannel, 404),
            (ErrorCode::UnknownConversation, 404),
            (ErrorCode::UnknownOperator, 404),
            (ErrorCode::UnknownEntryPoint, 404),
            (ErrorCode::UnknownCanned, 404),
            (ErrorCode::UnknownBlock, 404),
            (ErrorCode::UnknownLink, 404),
            (ErrorCode::Expired, 410),
            (ErrorCode::Revoked, 410),
            (ErrorCode::UsernameTaken, 409),
            (ErrorCode::NameTaken, 409),
            (ErrorCode::ShortcutTaken, 409),
            (ErrorCode::TooManyInvites, 409),
            (ErrorCode::AlreadyBlocked, 409),
            (ErrorCode::AlreadyRated, 409),
            (ErrorCode::NotClosed, 409),
            (ErrorCode::OperatorUnavailable, 409),
            (ErrorCode::SameOperator, 409),
            (ErrorCode::UpgradeRequired, 426),
            (ErrorCode::RateLimited, 429),
            (ErrorCode::TooManySockets, 429),
            (ErrorCode::QueueFull, 503),
            (ErrorCode::FileTooLarge, 413),
            (ErrorCode::FileTypeNotAllowed, 415),
            (ErrorCode::FileTypeMismatch, 415),
            (ErrorCode::TooManyFiles, 409),
            (ErrorCode::BadFileLink, 403),
            (ErrorCode::FileLinkExpired, 410),
            (ErrorCode::UnknownFile, 404),
            (ErrorCode::Internal, 500),
        ];
        assert_eq!(expect.len(), ErrorCode::ALL.len(), "every code has its expected status here");
        for (code, status) in expect {
            assert_eq!(code.status(), status, "{code}");
            assert_eq!(ApiError::new(code, "x").status(), status, "{code}");
        }
        assert_eq!(ApiError::new(ErrorCode::UnknownEntryPoint, "x").with_status(400).status(), 400);
    }

    #[test]
    fn body_is_the_edge_s_exact_bytes() {
        let e = ApiError::new(ErrorCode::Unauthenticated, "log in first");
        assert_eq!(e.to_json(), r#"{"error":{"code":"unauthenticated","message":"log in first"}}"#);
        let e = ApiError::invalid(FieldError::new("name", "Give a name."));
        assert_eq!(e.to_json(), r#"{"error":{"code":"invalid","field":"name","message":"Give a name."}}"#);
        // The same bytes as the `json!` the edge built before this type (keys sorted).
        let old = serde_json::json!({ "error": { "code": "already_rated", "field": "rating", "message": "m" } });
        let new = ApiError::field(ErrorCode::AlreadyRated, FieldError::new("rating", "m"));
        assert_eq!(new.to_json(), serde_json::to_string(&old).unwrap());
        assert_eq!(ApiError::admins_only("do this").message, "only an admin of the account can do this");
        assert_eq!(ApiError::no_route().to_json(), r#"{"error":{"code":"not_found","message":"no such API route"}}"#);
        let e = ApiError::new(ErrorCode::TooManyAttempts, "too many login attempts; try again later");
        assert_eq!(e.status(), 429);
        assert_eq!(
            e.to_json(),
            r#"{"error":{"code":"too_many_attempts","message":"too many login attempts; try again later"}}"#
        );
    }

    #[test]
    fn body_round_trips() {
        for e in [
            ApiError::new(ErrorCode::OriginNotAllowed, "this site is not a registered host of the channel"),
            ApiError::field(ErrorCode::CannotChangeSelf, FieldError::new("role", "no")),
            ApiError::field(ErrorCode::Invalid, FieldError::new("", "empty field name")),
        ] {
            let back = ApiError::from_response(e.status(), &e.to_json()).expect("reads back");
            assert_eq!(back, e);
        }
        let moved = ApiError::from_response(400, r#"{"error":{"code":"unknown_entry_point","message":"m"}}"#);
        assert_eq!(moved.map(|e| (e.code, e.status())), Some((ErrorCode::UnknownEntryPoint, 400)));
        assert_eq!(ApiError::from_response(502, "<html>bad gateway</html>"), None);
        assert_eq!(ApiError::from_response(400, r#"{"error":{"code":"nope","message":"m"}}"#), None);
    }

    #[test]
    fn the_readme_lists_every_code_once() {
        let readme = include_str!("../../README.md");
        let start = readme.find("\n## API\n").expect("README has an API section");
        let section = &readme[start + 1..];
        let section = &section[..section[1..].find("\n## ").map_or(section.len(), |i| i + 1)];
        for code in ErrorCode::ALL {
            let row = format!("| `{}` | {} |", code.as_str(), code.status());
            assert_eq!(section.matches(&row).count(), 1, "README API section: {row}");
        }
        let rows = section.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(rows, ErrorCode::ALL.len(), "README lists codes the API does not have");
    }
}

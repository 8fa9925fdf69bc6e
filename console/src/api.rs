//! The HTTP endpoints the console calls, and the shapes they return.

use crate::i18n::Texts;
use crate::net::{get_json, post_json, HttpError};
use parley_protocol::api::{ConversationList, LoginRequest};
use parley_protocol::error::ErrorCode;

/// One row of `/api/v1/console/conversations`.
pub use parley_protocol::api::ConversationSummary as ConvSummary;
/// The logged-in operator (`/api/v1/auth/login` and `/api/v1/auth/me`).
pub use parley_protocol::api::OperatorInfo as Operator;

/// What the console shows of a conversation summary.
pub trait SummaryExt {
    fn is_waiting(&self) -> bool;
    fn preview(&self) -> &str;
    /// When something last happened: the last message, else the creation (ms, for JS dates).
    fn last_activity(&self) -> f64;
    /// A short, stable name for the visitor, e.g. `Visitor 3fa9`.
    fn visitor_label(&self) -> String;
}

impl SummaryExt for ConvSummary {
    fn is_waiting(&self) -> bool {
        self.status == parley_protocol::protocol::Status::Waiting
    }

    fn preview(&self) -> &str {
        self.last_message_preview.trim()
    }

    fn last_activity(&self) -> f64 {
        self.last_message_at.unwrap_or(self.created_at) as f64
    }

    fn visitor_label(&self) -> String {
        let tail: Vec<char> = self.visitor_id.chars().rev().take(4).collect();
        if tail.is_empty() {
            crate::i18n::t().visitor.to_owned()
        } else {
            format!("{} {}", crate::i18n::t().visitor, tail.into_iter().rev().collect::<String>())
        }
    }
}

pub async fn me() -> Result<Operator, HttpError> {
    get_json("/api/v1/auth/me").await
}

pub async fn login(username: &str, password: &str, totp: Option<String>) -> Result<Operator, HttpError> {
    let body = LoginRequest { username: username.to_owned(), password: password.to_owned(), totp };
    post_json("/api/v1/auth/login", &body).await
}

/// Ends the session on the server; failures are ignored (the console forgets it anyway).
pub async fn logout() {
    let _ = post_json::<_, serde_json::Value>("/api/v1/auth/logout", &serde_json::json!({})).await;
}

pub async fn conversations() -> Result<Vec<ConvSummary>, HttpError> {
    get_json::<ConversationList>("/api/v1/console/conversations").await.map(|l| l.conversations)
}

/// The operator's protocol socket for conversation `id`, on this page's host.
pub fn ws_url(id: &str) -> String {
    let location = parley_client::window().location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss:",
        _ => "ws:",
    };
    let host = location.host().unwrap_or_default();
    format!("{scheme}//{host}/api/v1/conversations/{id}/ws?role=operator")
}

/// A sentence for the operator about a failed call, in their language: the console's own
/// text for the API's error code (and, for a refused value, for the field it names); the
/// server's message (English) only for a code the console does not know.
pub fn describe(e: &HttpError) -> String {
    describe_with(e, &[])
}

/// [`describe`], with what the form sent: `(field, value)` pairs, so a refusal that names its
/// field can say which value it refused (`{value}` in [`refusal_text`]).
pub fn describe_with(e: &HttpError, sent: &[(&str, &str)]) -> String {
    let t = crate::i18n::t();
    let field = field_of(e);
    let value = sent.iter().find(|(f, _)| *f == field).map_or("", |(_, v)| v.trim());
    if e.status == 0 {
        t.server_unreachable.to_owned()
    } else if let Some(code) = e.api_code() {
        let text = refusal_text(t, code, field, value);
        if code == ErrorCode::Invalid && std::ptr::eq(text, t.err_invalid) {
            return invalid_detail(text, &e.message, crate::i18n::lang() == crate::i18n::Lang::En);
        }
        crate::i18n::fill(text, &[("value", value)])
    } else if e.message.trim().is_empty() {
        crate::i18n::fill(t.server_status, &[("status", &e.status.to_string())])
    } else {
        e.message.clone()
    }
}

/// A refused value the console has no text of its own for (a report period over the limit, a
/// filter the server's validation refuses…): the server's sentence says what is wrong, and it
/// speaks English — so in English it is the text, in another language it follows the console's
/// general sentence rather than being lost.
pub fn invalid_detail(general: &str, server: &str, english: bool) -> String {
    let server = server.trim();
    match (server.is_empty(), english) {
        (true, _) => general.to_owned(),
        (false, true) => server.to_owned(),
        (false, false) => format!("{general} ({server})"),
    }
}

/// The request field a refusal is about: the one the server names, else the one its code is
/// about (the server's 409s for taken names).
pub fn field_of(e: &HttpError) -> &str {
    match e.api_code() {
        _ if !e.field.is_empty() => &e.field,
        Some(ErrorCode::UsernameTaken) => "username",
        Some(ErrorCode::ShortcutTaken) => "shortcut",
        Some(ErrorCode::NameTaken) => "name",
        _ => "",
    }
}

/// The console's text for a refusal with `code` naming `field`; texts with `{value}` only when
/// `value` (what the form sent in that field) is known.
pub fn refusal_text(t: &'static Texts, code: ErrorCode, field: &str, value: &str) -> &'static str {
    let known = !value.is_empty();
    match code {
        ErrorCode::Malformed => t.err_malformed,
        ErrorCode::TooLarge => t.err_too_large,
        ErrorCode::TooLong => t.err_too_long,
        ErrorCode::Invalid => match field {
            "time_zone" if known => t.err_time_zone,
            "success_code" if known => t.err_success_code,
            "category" if known => t.err_category,
            "sub_category" if known => t.err_sub_category,
            _ => t.err_invalid,
        },
        ErrorCode::CannotChangeSelf => t.err_cannot_change_self,
        ErrorCode::BadChannel => t.err_bad_channel,
        ErrorCode::Unauthenticated => t.err_unauthenticated,
        ErrorCode::BadCredentials => t.err_bad_credentials,
        ErrorCode::TooManyAttempts => t.err_too_many_attempts,
        ErrorCode::TotpRequired => t.err_totp_required,
        ErrorCode::BadTotpCode => t.err_bad_totp_code,
        ErrorCode::BadSetupCode => t.err_bad_setup_code,
        ErrorCode::AlreadySetUp => t.err_already_set_up,
        ErrorCode::BadLink => t.err_bad_link,
        ErrorCode::Forbidden => t.err_forbidden,
        ErrorCode::BadOrigin => t.err_bad_origin,
        // What only visitors' calls are refused with.
        ErrorCode::OriginRequired
        | ErrorCode::OriginNotAllowed
        | ErrorCode::BadVisitorToken
        | ErrorCode::BadIdentity
        | ErrorCode::NotYourConversation
        | ErrorCode::VisitorBlocked
        | ErrorCode::UnknownEntryPoint
        | ErrorCode::UpgradeRequired
        | ErrorCode::RateLimited
        | ErrorCode::TooManySockets
        | ErrorCode::QueueFull => t.err_refused,
        ErrorCode::BadSignature => t.err_bad_signature,
        ErrorCode::UnknownConversation => t.err_unknown_conversation,
        ErrorCode::NotFound
        | ErrorCode::UnknownChannel
        | ErrorCode::UnknownOperator
        | ErrorCode::UnknownCanned
        | ErrorCode::UnknownBlock
        | ErrorCode::UnknownLink => t.err_gone,
        ErrorCode::Expired => t.err_expired,
        ErrorCode::Revoked => t.err_revoked,
        ErrorCode::UsernameTaken => t.err_username_taken,
        ErrorCode::NameTaken if known => t.err_name_taken,
        ErrorCode::ShortcutTaken if known => t.err_shortcut_taken,
        ErrorCode::NameTaken | ErrorCode::ShortcutTaken => t.err_invalid,
        ErrorCode::TooManyInvites => t.err_too_many_invites,
        ErrorCode::AlreadyBlocked => t.err_already_blocked,
        ErrorCode::AlreadyRated => t.err_already_rated,
        ErrorCode::NotClosed => t.err_not_closed,
        ErrorCode::OperatorUnavailable => t.err_operator_unavailable,
        ErrorCode::SameOperator => t.err_same_operator,
        ErrorCode::FileTooLarge => t.err_file_too_large,
        ErrorCode::FileTypeNotAllowed => t.err_file_type,
        ErrorCode::FileTypeMismatch => t.err_file_mismatch,
        ErrorCode::TooManyFiles => t.err_too_many_files,
        ErrorCode::BadFileLink | ErrorCode::FileLinkExpired => t.err_file_link,
        ErrorCode::UnknownFile => t.err_gone,
        ErrorCode::Internal => t.err_internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{texts_of, EN, LANGS};

    fn refusal(status: u16, code: &str, field: &str, message: &str) -> HttpError {
        HttpError { status, code: code.into(), message: message.into(), field: field.into(), retry_after: 0 }
    }

    #[test]
    fn every_code_has_a_text_in_every_language() {
        for l in LANGS {
            let t = texts_of(l);
            for &code in ErrorCode::ALL {
                for (field, value) in [("", ""), ("time_zone", "Mars/Base"), ("name", "X"), ("shortcut", "bye")] {
                    let text = refusal_text(t, code, field, value);
                    assert!(!text.trim().is_empty(), "{}: {code} {field}", l.code());
                    // `{value}` only when there is one to say.
                    assert!(!value.is_empty() || !text.contains("{value}"), "{}: {code} without a value", l.code());
                }
            }
        }
    }

    #[test]
    fn the_console_says_refusals_in_its_words() {
        // (English here: no language signal in native tests.) The server's English message is
        // not what shows…
        let e = refusal(403, "forbidden", "", "only admins may do this");
        assert_eq!(describe(&e), EN.err_forbidden);
        // …with the value the form sent where the text names it (the e2e tests read these).
        let tz = refusal(400, "invalid", "time_zone", "server words");
        assert_eq!(
            describe_with(&tz, &[("time_zone", "Mars/Base")]),
            "\"Mars/Base\" is not a time zone this server knows; use a name such as UTC or Europe/Berlin."
        );
        // No value to name: the server's own sentence (English, as the console here).
        assert_eq!(describe(&tz), "server words");
        let period = refusal(400, "invalid", "to", "A report covers at most 366 days.");
        assert_eq!(describe(&period), "A report covers at most 366 days.");
        let code = refusal(400, "invalid", "success_code", "server words");
        assert_eq!(
            describe_with(&code, &[("success_code", "E2E Lead")]),
            "\"E2E Lead\" is not one of the success codes."
        );
        let name = refusal(409, "name_taken", "name", "server words");
        assert_eq!(
            describe_with(&name, &[("name", "Welcome invite")]),
            "This channel already has an entry point named \"Welcome invite\"."
        );
        // A 409 without its field still finds it by its code.
        let shortcut = refusal(409, "shortcut_taken", "", "server words");
        assert_eq!(describe_with(&shortcut, &[("shortcut", "bye")]), "The shortcut /bye is already in use.");
    }

    #[test]
    fn a_value_the_console_has_no_text_for_keeps_the_server_detail() {
        let general = "Dieser Wert wird nicht akzeptiert.";
        assert_eq!(invalid_detail(general, "Too far.", false), "Dieser Wert wird nicht akzeptiert. (Too far.)");
        assert_eq!(invalid_detail(general, " ", false), general);
        assert_eq!(invalid_detail(general, "Too far.", true), "Too far.");
    }

    #[test]
    fn the_server_message_only_for_a_code_the_console_does_not_know() {
        assert_eq!(describe(&refusal(418, "teapot", "", "I am a teapot")), "I am a teapot");
        assert_eq!(describe(&refusal(502, "http", "", " ")), "The server answered with status 502.");
        assert_eq!(describe(&refusal(0, "network", "", "boom")), EN.server_unreachable);
    }
}

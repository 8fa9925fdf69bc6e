//! Accounts without SQL (issue 20): the bodies of a fresh deployment's setup
//! (`/console/setup`), two-factor login (TOTP) enrolment, operator invitations and password
//! resets, and their validation (shared by the console and the edge).

use serde::{Deserialize, Serialize};

use crate::admin::{
    email, first_name, last_name, password, username, CreateChannelRequest, FieldError, NewOperator, Profile, Role,
    ValidChannel,
};
use crate::limits::SETUP_CODE_CHARS;

type Valid<T> = Result<T, FieldError>;

/// `GET /api/v1/setup`: whether this deployment still waits for its first account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupState {
    pub open: bool,
}

/// `POST /api/v1/setup`: the setup code (`parley-tools setup-code`, `make setup-code`), the
/// account, its first admin, its first channel and the website's hostname.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupRequest {
    pub code: String,
    pub account_name: String,
    pub username: String,
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    pub email: String,
    pub password: String,
    pub channel_name: String,
    pub hostname: String,
}

/// A valid [`SetupRequest`] (the code normalised, not checked: that is the edge's, against
/// its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidSetup {
    pub code: String,
    pub account_name: String,
    pub admin: NewOperator,
    /// The first channel: its name, the website's hostname, every other setting its default.
    pub channel: ValidChannel,
}

/// A setup code as typed: spaces and dashes dropped, upper case.
pub fn normalise_code(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_uppercase).collect()
}

impl SetupRequest {
    /// Checks fields in form order and answers the first problem.
    pub fn validate(&self) -> Valid<ValidSetup> {
        let code = normalise_code(&self.code);
        if code.is_empty() || code.chars().count() > SETUP_CODE_CHARS * 2 {
            return Err(FieldError::new("code", "Enter the setup code printed by `make setup-code`."));
        }
        let account_name = crate::admin::AccountUpdate { name: self.account_name.clone(), time_zone: "UTC".into() }
            .validate()
            .map_err(|e| FieldError::new("account_name", e.message))?
            .name;
        let username = username(&self.username)?;
        let first = first_name(&self.first_name)?;
        let last = last_name(&self.last_name)?;
        let email = email("email", &self.email)?;
        let password = password(&self.password)?;
        let chat_name = crate::admin::chat_name("", &first, &last)?;
        let channel = CreateChannelRequest {
            name: self.channel_name.clone(),
            greeting: None,
            accent: None,
            hosts: vec![self.hostname.clone()],
            time_zone: None,
            prechat: Vec::new(),
            language: None,
            position: None,
            greetings: Vec::new(),
        }
        .validate()
        .map_err(|e| match e.field.as_str() {
            "name" => FieldError::new("channel_name", e.message),
            "hosts" => FieldError::new("hostname", e.message),
            _ => e,
        })?;
        Ok(ValidSetup {
            code,
            account_name,
            admin: NewOperator {
                username,
                password,
                profile: Profile {
                    first_name: first,
                    last_name: last,
                    email,
                    chat_name,
                    role: Role::Admin,
                    languages: vec!["en".to_owned()],
                    max_chats: 3,
                    disabled: false,
                },
            },
            channel,
        })
    }
}

/// The answer of a setup: the new account, its channel and the snippet to paste.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupDone {
    pub account_id: String,
    pub channel_id: String,
    pub username: String,
    pub snippet: String,
}

/// The tag a site pastes to show channel `channel_id`'s widget, served from `origin`.
pub fn widget_snippet(origin: &str, channel_id: &str) -> String {
    format!("<script src=\"{origin}/widget.js\" data-channel=\"{channel_id}\" async></script>")
}

/// `GET /api/v1/console/totp`: whether the operator's login asks for a code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpState {
    pub enabled: bool,
}

/// `POST /api/v1/console/totp/begin`: a new secret to add to an authenticator app (not in
/// force until confirmed with a code).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// Base32 (RFC 4648, no padding), as authenticator apps take it typed.
    pub secret: String,
    /// `otpauth://totp/…` (the Key Uri Format), for a QR code or a click.
    pub uri: String,
}

/// `POST /api/v1/console/totp/confirm` and `/disable`: a code of the authenticator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpCode {
    pub code: String,
}

/// `POST /api/v1/auth/password`: the one-time token of an invitation or reset link and the
/// new password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetPasswordRequest {
    pub token: String,
    pub password: String,
}

/// `POST /api/v1/auth/reset`: a username or e-mail address. The answer is the same whether
/// it names an operator or not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRequest {
    pub login: String,
}

/// `POST /api/v1/console/operators/invite` (admins): a new operator without a password, who
/// gets a one-time link by e-mail to set one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRequest {
    pub username: String,
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    pub email: String,
    #[serde(default)]
    pub role: Option<String>,
}

impl InviteRequest {
    /// As a new operator (English, the default chats), without a password.
    pub fn validate(&self) -> Valid<NewOperator> {
        let req = crate::admin::CreateOperatorRequest {
            username: self.username.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            password: "x".repeat(crate::limits::MIN_PASSWORD_CHARS),
            chat_name: String::new(),
            role: self.role.clone().unwrap_or_else(|| "operator".to_owned()),
            languages: vec!["en".to_owned()],
            max_chats: 3,
        };
        let mut op = req.validate()?;
        op.password = String::new();
        Ok(op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> SetupRequest {
        SetupRequest {
            code: " abcd-efgh ijkl ".into(),
            account_name: "Acme".into(),
            username: "Ann".into(),
            first_name: "Ann".into(),
            last_name: "Lee".into(),
            email: "ann@acme.example".into(),
            password: "correct horse".into(),
            channel_name: "Support".into(),
            hostname: "www.acme.example".into(),
        }
    }

    #[test]
    fn a_setup_is_validated_field_by_field() {
        let v = good().validate().unwrap();
        assert_eq!(v.code, "ABCDEFGHIJKL");
        assert_eq!(v.admin.username, "ann");
        assert_eq!(v.admin.profile.role, Role::Admin);
        assert_eq!(v.admin.profile.chat_name, "Ann Lee");
        assert_eq!(
            (v.channel.name.as_str(), v.channel.hosts.as_slice()),
            ("Support", &["www.acme.example".to_owned()][..])
        );
        let field = |f: fn(&mut SetupRequest)| {
            let mut r = good();
            f(&mut r);
            r.validate().unwrap_err().field
        };
        assert_eq!(field(|r| r.code = " - ".into()), "code");
        assert_eq!(field(|r| r.account_name = " ".into()), "account_name");
        assert_eq!(field(|r| r.username = "a b".into()), "username");
        assert_eq!(field(|r| r.email = "nope".into()), "email");
        assert_eq!(field(|r| r.password = "short".into()), "password");
        assert_eq!(field(|r| r.channel_name = "".into()), "channel_name");
        assert_eq!(field(|r| r.hostname = "http://x/y".into()), "hostname");
        assert_eq!(field(|r| r.hostname = " ".into()), "hostname");
    }

    #[test]
    fn an_invite_has_no_password_and_a_role() {
        let r = InviteRequest {
            username: "Bob".into(),
            first_name: "Bob".into(),
            last_name: String::new(),
            email: "bob@acme.example".into(),
            role: None,
        };
        let op = r.validate().unwrap();
        assert_eq!((op.username.as_str(), op.password.as_str(), op.profile.role), ("bob", "", Role::Operator));
        assert_eq!(InviteRequest { email: "x".into(), ..r }.validate().unwrap_err().field, "email");
    }

    #[test]
    fn the_snippet_names_the_origin_and_the_channel() {
        assert_eq!(
            widget_snippet("https://chat.example", "ch_1"),
            "<script src=\"https://chat.example/widget.js\" data-channel=\"ch_1\" async></script>"
        );
    }
}

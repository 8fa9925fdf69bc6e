//! Accounts and people: the HTTP bodies of the console's admin API (operators, the operator's
//! own settings, channels and their hosts, canned responses, offline messages) and the pure
//! validation of every field, shared by the edge (which enforces it) and the console (which
//! shows the same errors next to the field before sending).
//!
//! Every validator trims and normalises its input and answers the value to store, or a
//! [`FieldError`] naming the field and saying, in a sentence, what is wrong.

use serde::{Deserialize, Serialize};

use crate::api::OfflineMessageRequest;
use crate::i18n::{Lang, LANGS};
use crate::invites::Greeting;
use crate::limits::{
    MAX_CHANNEL_HOSTS, MAX_CONCURRENT_CHATS, MAX_EMAIL_CHARS, MAX_GREETING_CHARS, MAX_LANGUAGES, MAX_MESSAGE_CHARS,
    MAX_NAME_CHARS, MAX_NEW_USERNAME_CHARS, MAX_PAGE_URL_CHARS, MAX_PASSWORD_LEN, MAX_SHORTCUT_CHARS,
    MIN_NEW_USERNAME_CHARS, MIN_PASSWORD_CHARS,
};
use crate::outcomes::{prechat_form, FormField};

/// What is wrong with one field of a request. `field` is the JSON field's name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError { field: field.to_owned(), message: message.into() }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

type Valid<T> = Result<T, FieldError>;

/// Default greeting and accent of a new channel (as in the D1 schema).
pub const DEFAULT_GREETING: &str = "Hi! How can we help?";
pub const DEFAULT_ACCENT: &str = "#2f5bea";
/// Time zone of a new channel (as in the D1 schema).
pub const DEFAULT_TIME_ZONE: &str = "UTC";
/// Default language and launcher position of a new channel (as in the D1 schema).
pub const DEFAULT_CHANNEL_LANGUAGE: &str = "en";
pub const DEFAULT_POSITION: &str = "right";
/// Where a channel's launcher can sit (bottom corner).
pub const POSITIONS: [&str; 2] = ["right", "left"];
/// Default languages and load of a new operator.
pub const DEFAULT_LANGUAGE: &str = "en";
pub const DEFAULT_MAX_CHATS: u32 = 4;

// ---------------------------------------------------------------------------------------------
// Roles

/// An operator's role in their account (on the wire: `"admin"` / `"operator"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages operators and channels, and chats.
    Admin,
    /// Chats.
    Operator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }
}

pub fn role(s: &str) -> Valid<Role> {
    Role::parse(s.trim()).ok_or_else(|| FieldError::new("role", "Role must be admin or operator."))
}

// ---------------------------------------------------------------------------------------------
// Field validators

/// A single line of text: trimmed, without control characters, `min..=max` characters.
fn line(field: &str, label: &str, s: &str, min: usize, max: usize) -> Valid<String> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min {
        return Err(FieldError::new(field, format!("{label} is required.")));
    }
    if n > max {
        return Err(FieldError::new(field, format!("{label} must be at most {max} characters.")));
    }
    if t.chars().any(char::is_control) {
        return Err(FieldError::new(field, format!("{label} must be a single line of plain text.")));
    }
    Ok(t.to_owned())
}

/// Free text (several lines allowed): trimmed, `1..=max` characters, no control characters
/// but line breaks and tabs.
fn text(field: &str, label: &str, s: &str, max: usize) -> Valid<String> {
    let t = s.trim();
    let n = t.chars().count();
    if n == 0 {
        return Err(FieldError::new(field, format!("{label} is required.")));
    }
    if n > max {
        return Err(FieldError::new(field, format!("{label} must be at most {max} characters.")));
    }
    if t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(FieldError::new(field, format!("{label} contains control characters.")));
    }
    Ok(t.to_owned())
}

/// A new operator's login name: 3–40 characters of `a-z 0-9 . _ -`, lowercased.
pub fn username(s: &str) -> Valid<String> {
    let u = s.trim().to_lowercase();
    let n = u.chars().count();
    if !(MIN_NEW_USERNAME_CHARS..=MAX_NEW_USERNAME_CHARS).contains(&n) {
        return Err(FieldError::new(
            "username",
            format!("Username must be {MIN_NEW_USERNAME_CHARS} to {MAX_NEW_USERNAME_CHARS} characters."),
        ));
    }
    if !u.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')) {
        return Err(FieldError::new(
            "username",
            "Username may contain only letters a-z, digits and the characters . _ -",
        ));
    }
    Ok(u)
}

pub fn first_name(s: &str) -> Valid<String> {
    line("first_name", "First name", s, 1, MAX_NAME_CHARS)
}

/// Optional (some people have one name).
pub fn last_name(s: &str) -> Valid<String> {
    line("last_name", "Last name", s, 0, MAX_NAME_CHARS)
}

/// An e-mail address of the usual shape `local@domain.tld` (no deliverability check).
pub fn email(field: &str, s: &str) -> Valid<String> {
    let bad = || FieldError::new(field, "Enter an e-mail address such as name@example.com.");
    let t = s.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, "E-mail is required."));
    }
    if t.chars().count() > MAX_EMAIL_CHARS {
        return Err(FieldError::new(field, format!("E-mail must be at most {MAX_EMAIL_CHARS} characters.")));
    }
    if t.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"')) {
        return Err(bad());
    }
    let Some((local, domain)) = t.split_once('@') else { return Err(bad()) };
    if local.is_empty() || local.len() > 64 || domain.contains('@') {
        return Err(bad());
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-')) {
        return Err(bad());
    }
    Ok(t.to_owned())
}

/// A new password: at least 10 characters, at most what login accepts.
pub fn password(s: &str) -> Valid<String> {
    if s.chars().count() < MIN_PASSWORD_CHARS {
        return Err(FieldError::new("password", format!("Password must be at least {MIN_PASSWORD_CHARS} characters.")));
    }
    if s.len() > MAX_PASSWORD_LEN {
        return Err(FieldError::new("password", format!("Password must be at most {MAX_PASSWORD_LEN} bytes.")));
    }
    Ok(s.to_owned())
}

/// The name visitors see. Empty means "my name": `First Last`, or the first name alone when
/// that is too long.
pub fn chat_name(s: &str, first: &str, last: &str) -> Valid<String> {
    if s.trim().is_empty() {
        let (first, last) = (first.trim(), last.trim());
        let full = if last.is_empty() { first.to_owned() } else { format!("{first} {last}") };
        let name =
            if full.chars().count() <= MAX_NAME_CHARS { full } else { first.chars().take(MAX_NAME_CHARS).collect() };
        return line("chat_name", "Chat name", &name, 1, MAX_NAME_CHARS);
    }
    line("chat_name", "Chat name", s, 1, MAX_NAME_CHARS)
}

/// Normalises a BCP 47-style language tag: `en`, `pt-BR`, `zh-Hant-TW`, `es-419`. The primary
/// subtag is 2–3 letters (lowercased), then up to three subtags of 1–8 letters or digits
/// (regions uppercased, scripts title-cased). `_` is read as `-`. `None` if it is not one.
pub fn language_tag(s: &str) -> Option<String> {
    let t = s.trim().replace('_', "-");
    if t.is_empty() || t.len() > 35 {
        return None;
    }
    let mut parts = t.split('-');
    let primary = parts.next()?;
    if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let mut out = primary.to_ascii_lowercase();
    for (i, sub) in parts.enumerate() {
        if i >= 3 || !(1..=8).contains(&sub.len()) || !sub.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        out.push('-');
        let alpha = sub.bytes().all(|b| b.is_ascii_alphabetic());
        match (sub.len(), alpha) {
            (2, true) => out.push_str(&sub.to_ascii_uppercase()),
            (4, true) => {
                let lower = sub.to_ascii_lowercase();
                out.push_str(&lower[..1].to_ascii_uppercase());
                out.push_str(&lower[1..]);
            }
            _ => out.push_str(&sub.to_ascii_lowercase()),
        }
    }
    Some(out)
}

/// Chat languages, main first: blanks skipped, each normalised, repeats dropped (the first
/// stays), 1–10 in all.
pub fn languages(list: &[String]) -> Valid<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for raw in list.iter().filter(|l| !l.trim().is_empty()) {
        let Some(tag) = language_tag(raw) else {
            return Err(FieldError::new(
                "languages",
                format!(
                    "\"{}\" is not a language code such as en, de or pt-BR.",
                    raw.trim().chars().take(40).collect::<String>()
                ),
            ));
        };
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.is_empty() {
        return Err(FieldError::new("languages", "Choose a main language (such as en)."));
    }
    if out.len() > MAX_LANGUAGES {
        return Err(FieldError::new("languages", format!("At most {MAX_LANGUAGES} languages.")));
    }
    Ok(out)
}

/// How many chats an operator takes at once: 1–20.
pub fn max_chats(n: u32) -> Valid<u32> {
    if (1..=MAX_CONCURRENT_CHATS).contains(&n) {
        Ok(n)
    } else {
        Err(FieldError::new("max_chats", format!("Max concurrent chats must be between 1 and {MAX_CONCURRENT_CHATS}.")))
    }
}

/// A website's hostname (`shop.example.com`, `localhost`, `127.0.0.1`), lowercased, without
/// scheme, port or path.
pub fn hostname(s: &str) -> Valid<String> {
    let bad = |what: &str| {
        FieldError::new(
            "hosts",
            format!("\"{what}\" is not a hostname such as shop.example.com (no https://, port or path)."),
        )
    };
    let raw = s.trim();
    let shown: String = raw.chars().take(60).collect();
    let h = raw.to_lowercase();
    let h = h.strip_suffix('.').unwrap_or(&h);
    if h.is_empty() || h.len() > 253 {
        return Err(bad(&shown));
    }
    for label in h.split('.') {
        if label.is_empty()
            || label.len() > 63
            || label.starts_with('-')
            || label.ends_with('-')
            || !label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(bad(&shown));
        }
    }
    Ok(h.to_owned())
}

/// A channel's hostnames: blanks skipped, each checked, repeats dropped, 1–50 in all.
pub fn hostnames(list: &[String]) -> Valid<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for raw in list.iter().filter(|h| !h.trim().is_empty()) {
        let h = hostname(raw)?;
        if !out.contains(&h) {
            out.push(h);
        }
    }
    if out.is_empty() {
        return Err(FieldError::new("hosts", "Add at least one website hostname, such as shop.example.com."));
    }
    if out.len() > MAX_CHANNEL_HOSTS {
        return Err(FieldError::new("hosts", format!("At most {MAX_CHANNEL_HOSTS} hostnames per channel.")));
    }
    Ok(out)
}

/// Splits what someone typed into a list box ("en, de" or one hostname per line).
pub fn split_list(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).filter(|p| !p.is_empty()).map(str::to_owned).collect()
}

pub fn channel_name(s: &str) -> Valid<String> {
    line("name", "Channel name", s, 1, MAX_NAME_CHARS)
}

/// A channel's greeting; empty means the default greeting.
pub fn greeting(s: &str) -> Valid<String> {
    if s.trim().is_empty() {
        return Ok(DEFAULT_GREETING.to_owned());
    }
    text("greeting", "Greeting", s, MAX_GREETING_CHARS)
}

/// A channel's accent colour, `#rrggbb` (lowercased); empty means the default.
pub fn accent(s: &str) -> Valid<String> {
    let t = s.trim().to_ascii_lowercase();
    if t.is_empty() {
        return Ok(DEFAULT_ACCENT.to_owned());
    }
    match t.strip_prefix('#') {
        Some(hex) if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(t),
        _ => Err(FieldError::new("accent", "Accent must be a colour such as #2f5bea.")),
    }
}

/// A channel's default language: one of the widget's languages ([`LANGS`] codes, any case);
/// empty means English.
pub fn channel_language(s: &str) -> Valid<String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(DEFAULT_CHANNEL_LANGUAGE.to_owned());
    }
    LANGS
        .into_iter()
        .find(|l| l.code().eq_ignore_ascii_case(t))
        .map(|l| l.code().to_owned())
        .ok_or_else(|| FieldError::new("language", "Default language must be one of en, es, fr, de, vi."))
}

/// Where the launcher sits: `right` or `left` (any case); empty means `right`.
pub fn position(s: &str) -> Valid<String> {
    let t = s.trim().to_ascii_lowercase();
    if t.is_empty() {
        return Ok(DEFAULT_POSITION.to_owned());
    }
    POSITIONS
        .into_iter()
        .find(|p| *p == t)
        .map(str::to_owned)
        .ok_or_else(|| FieldError::new("position", "Launcher position must be right or left."))
}

/// A channel's greetings per language: each language one of the widget's ([`LANGS`] codes,
/// any case), at most one greeting per language, each text checked like the channel's
/// greeting; an entry with an empty text is "not given" and dropped. Answered in [`LANGS`]
/// order.
pub fn channel_greetings(list: &[Greeting]) -> Valid<Vec<Greeting>> {
    let err = |m: String| FieldError::new("greetings", m);
    let mut out: Vec<(Lang, String)> = Vec::new();
    for g in list {
        let code = g.language.trim();
        let Some(lang) = LANGS.into_iter().find(|l| l.code().eq_ignore_ascii_case(code)) else {
            let shown: String = code.chars().take(20).collect();
            return Err(err(format!("\"{shown}\" is not one of the widget's languages (en, es, fr, de, vi).")));
        };
        if g.text.trim().is_empty() {
            continue;
        }
        if out.iter().any(|(l, _)| *l == lang) {
            return Err(err(format!("There are two greetings in {}.", lang.name())));
        }
        let t = text("greetings", &format!("The greeting in {}", lang.name()), &g.text, MAX_GREETING_CHARS)
            .map_err(|e| err(e.message))?;
        out.push((lang, t));
    }
    out.sort_by_key(|(l, _)| LANGS.iter().position(|x| x == l));
    Ok(out.into_iter().map(|(l, text)| Greeting { language: l.code().to_owned(), text }).collect())
}

/// The greeting of `language` in `greetings`, if given.
fn greeting_in<'a>(greetings: &'a [Greeting], language: &str) -> Option<&'a str> {
    greetings.iter().find(|g| g.language == language).map(|g| g.text.as_str())
}

/// A canned response's shortcut, typed after `/` in the composer: 1–32 of `a-z 0-9 _ -`
/// (lowercased; a leading `/` is dropped).
pub fn shortcut(s: &str) -> Valid<String> {
    let t = s.trim();
    let t = t.strip_prefix('/').unwrap_or(t).to_lowercase();
    if t.is_empty() || t.chars().count() > MAX_SHORTCUT_CHARS {
        return Err(FieldError::new("shortcut", format!("Shortcut must be 1 to {MAX_SHORTCUT_CHARS} characters.")));
    }
    if !t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-')) {
        return Err(FieldError::new("shortcut", "Shortcut may contain only letters a-z, digits, _ and -."));
    }
    Ok(t)
}

pub fn canned_text(s: &str) -> Valid<String> {
    text("text", "Text", s, MAX_MESSAGE_CHARS)
}

// ---------------------------------------------------------------------------------------------
// Operators

/// An operator as the console shows it. Never carries the password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorView {
    pub id: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub chat_name: String,
    pub role: Role,
    /// Main language first.
    pub languages: Vec<String>,
    pub max_chats: u32,
    /// Disabled operators stay (for reports) but cannot log in.
    pub disabled: bool,
    pub created_at: u64,
}

/// `GET /api/v1/console/operators`: every operator of the account, disabled ones included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorList {
    pub operators: Vec<OperatorView>,
}

fn default_role() -> String {
    Role::Operator.as_str().to_owned()
}
fn default_languages() -> Vec<String> {
    vec![DEFAULT_LANGUAGE.to_owned()]
}
fn default_max_chats() -> u32 {
    DEFAULT_MAX_CHATS
}

/// `POST /api/v1/console/operators` (admins): a new operator of the admin's account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateOperatorRequest {
    pub username: String,
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    pub email: String,
    pub password: String,
    /// Empty: `First Last`.
    #[serde(default)]
    pub chat_name: String,
    #[serde(default = "default_role")]
    pub role: String,
    #[serde(default = "default_languages")]
    pub languages: Vec<String>,
    #[serde(default = "default_max_chats")]
    pub max_chats: u32,
}

/// An operator's editable profile, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub chat_name: String,
    pub role: Role,
    pub languages: Vec<String>,
    pub max_chats: u32,
    pub disabled: bool,
}

/// A valid [`CreateOperatorRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOperator {
    pub username: String,
    pub password: String,
    pub profile: Profile,
}

impl CreateOperatorRequest {
    /// Checks fields in form order and answers the first problem.
    pub fn validate(&self) -> Valid<NewOperator> {
        let username = username(&self.username)?;
        let first = first_name(&self.first_name)?;
        let last = last_name(&self.last_name)?;
        let email = email("email", &self.email)?;
        let password = password(&self.password)?;
        let chat_name = chat_name(&self.chat_name, &first, &last)?;
        let role = role(&self.role)?;
        let languages = languages(&self.languages)?;
        let max_chats = max_chats(self.max_chats)?;
        Ok(NewOperator {
            username,
            password,
            profile: Profile {
                first_name: first,
                last_name: last,
                email,
                chat_name,
                role,
                languages,
                max_chats,
                disabled: false,
            },
        })
    }
}

/// `POST /api/v1/console/operators/:id` (admins): change what is given, keep the rest.
/// `chat_name: ""` resets it to the operator's name; an empty `password` keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateOperatorRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chats: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// The error code of an admin's attempt to disable or demote themself.
pub const CANNOT_CHANGE_SELF: &str = "cannot_change_self";

impl UpdateOperatorRequest {
    /// Why an admin may not make this change to their own row ([`CANNOT_CHANGE_SELF`]): it
    /// would disable them or take their admin role away, and an account must always keep an
    /// enabled admin. `None` when it is allowed.
    pub fn self_lockout(&self, current: &Profile) -> Option<FieldError> {
        if self.disabled == Some(true) && !current.disabled {
            return Some(FieldError::new("disabled", "You cannot disable yourself; ask another admin."));
        }
        let new_role = self.role.as_deref().and_then(|r| Role::parse(r.trim()));
        if current.role == Role::Admin && new_role == Some(Role::Operator) {
            return Some(FieldError::new("role", "You cannot remove your own admin role; ask another admin."));
        }
        None
    }

    /// The profile after the update, and the new password if one is set. `is_self`: the admin
    /// edits their own row, and may then neither disable nor demote themself (so an account
    /// always keeps an enabled admin); such errors name `disabled` or `role`.
    pub fn apply(&self, current: &Profile, is_self: bool) -> Valid<(Profile, Option<String>)> {
        let first = match &self.first_name {
            Some(f) => first_name(f)?,
            None => current.first_name.clone(),
        };
        let last = match &self.last_name {
            Some(l) => last_name(l)?,
            None => current.last_name.clone(),
        };
        let email = match &self.email {
            Some(e) => email("email", e)?,
            None => current.email.clone(),
        };
        let chat_name = match &self.chat_name {
            Some(c) => chat_name(c, &first, &last)?,
            None => current.chat_name.clone(),
        };
        let role = match &self.role {
            Some(r) => role(r)?,
            None => current.role,
        };
        let languages = match &self.languages {
            Some(l) => languages(l)?,
            None => current.languages.clone(),
        };
        let max_chats = match self.max_chats {
            Some(m) => max_chats(m)?,
            None => current.max_chats,
        };
        let disabled = self.disabled.unwrap_or(current.disabled);
        if let Some(e) = is_self.then(|| self.self_lockout(current)).flatten() {
            return Err(e);
        }
        let password = match self.password.as_deref() {
            None | Some("") => None,
            Some(p) => Some(password(p)?),
        };
        Ok((
            Profile { first_name: first, last_name: last, email, chat_name, role, languages, max_chats, disabled },
            password,
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// My settings

/// `GET /api/v1/console/settings`: the logged-in operator's own chat settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub chat_name: String,
    /// Main language first, then the extra ones.
    pub languages: Vec<String>,
    pub max_chats: u32,
}

/// `POST /api/v1/console/settings`: answers the new [`Settings`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsUpdate {
    /// Empty: the operator's name.
    pub chat_name: String,
    /// Main language first, then the extra ones.
    pub languages: Vec<String>,
    pub max_chats: u32,
}

/// A valid [`SettingsUpdate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidSettings {
    pub chat_name: String,
    pub languages: Vec<String>,
    pub max_chats: u32,
}

impl SettingsUpdate {
    pub fn validate(&self, first: &str, last: &str) -> Valid<ValidSettings> {
        Ok(ValidSettings {
            chat_name: chat_name(&self.chat_name, first, last)?,
            languages: languages(&self.languages)?,
            max_chats: max_chats(self.max_chats)?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Channels

/// A channel and the hostnames its widget answers on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    pub id: String,
    pub name: String,
    pub greeting: String,
    pub accent: String,
    pub hosts: Vec<String>,
    /// IANA name of the zone invite rules read hour and weekday in (`UTC` by default).
    #[serde(default = "utc")]
    pub time_zone: String,
    pub created_at: u64,
    /// The pre-chat form the widget shows before a chat starts (empty: none).
    #[serde(default)]
    pub prechat: Vec<FormField>,
    /// Admins only (absent for operators): the hex secret the site signs `Parley.identify`
    /// with — hash = lowercase hex HMAC-SHA256(secret, user id); see `auth::identify_hash`.
    /// `POST /api/v1/console/channels/:id/identity-secret` replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_secret: Option<String>,
    /// The default language (`en`, `es`, `fr`, `de`, `vi`): the widget speaks the visitor's
    /// browser language when it can, else this one; `greeting` is in this language.
    #[serde(default = "english")]
    pub language: String,
    /// Where the launcher sits: `right` or `left` bottom corner.
    #[serde(default = "right")]
    pub position: String,
    /// The greeting per language (at most one each, in [`LANGS`] order); a visitor whose
    /// language has none gets `greeting`.
    #[serde(default)]
    pub greetings: Vec<Greeting>,
}

fn utc() -> String {
    DEFAULT_TIME_ZONE.to_owned()
}
fn english() -> String {
    DEFAULT_CHANNEL_LANGUAGE.to_owned()
}
fn right() -> String {
    DEFAULT_POSITION.to_owned()
}

/// `GET /api/v1/console/channels`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelList {
    pub channels: Vec<ChannelView>,
}

/// `POST /api/v1/console/channels` (admins): a new channel tied to hostnames of the account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateChannelRequest {
    pub name: String,
    #[serde(default)]
    pub greeting: Option<String>,
    #[serde(default)]
    pub accent: Option<String>,
    pub hosts: Vec<String>,
    /// Empty or absent: `UTC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// The pre-chat form ([`crate::outcomes::prechat_form`]); absent: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prechat: Vec<FormField>,
    /// Empty or absent: `en`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Empty or absent: `right`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// Greetings per language ([`channel_greetings`]); the default language's one, when
    /// given, is the channel's `greeting`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub greetings: Vec<Greeting>,
}

/// `POST /api/v1/console/channels/:id` (admins): change what is given; `hosts` replaces them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateChannelRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts: Option<Vec<String>>,
    /// Empty: `UTC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Replaces the pre-chat form (an empty list removes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prechat: Option<Vec<FormField>>,
    /// Empty: `en`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Empty: `right`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// Replaces the greetings per language (an empty list removes them). See
    /// [`UpdateChannelRequest::apply`] for how they and `greeting` stay in step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greetings: Option<Vec<Greeting>>,
}

/// A channel's settings, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidChannel {
    pub name: String,
    pub greeting: String,
    pub accent: String,
    pub hosts: Vec<String>,
    pub time_zone: String,
    pub prechat: Vec<FormField>,
    /// A [`LANGS`] code.
    pub language: String,
    /// `right` or `left`.
    pub position: String,
    /// At most one per language, in [`LANGS`] order; the entry of `language`, if any, has the
    /// same text as `greeting`.
    pub greetings: Vec<Greeting>,
}

/// A channel's time zone: empty means `UTC`; otherwise an IANA name (shape checked here; the
/// edge also checks the runtime knows it).
pub fn channel_time_zone(s: &str) -> Valid<String> {
    if s.trim().is_empty() {
        return Ok(utc());
    }
    crate::entry_points::time_zone(s)
}

impl CreateChannelRequest {
    /// The greeting of the default language, when `greetings` has one, is the channel's
    /// `greeting` (it wins over `greeting`).
    pub fn validate(&self) -> Valid<ValidChannel> {
        let name = channel_name(&self.name)?;
        let mut greeting = greeting(self.greeting.as_deref().unwrap_or(""))?;
        let accent = accent(self.accent.as_deref().unwrap_or(""))?;
        let hosts = hostnames(&self.hosts)?;
        let time_zone = channel_time_zone(self.time_zone.as_deref().unwrap_or(""))?;
        let prechat = prechat_form(&self.prechat)?;
        let language = channel_language(self.language.as_deref().unwrap_or(""))?;
        let position = position(self.position.as_deref().unwrap_or(""))?;
        let greetings = channel_greetings(&self.greetings)?;
        if let Some(g) = greeting_in(&greetings, &language) {
            g.clone_into(&mut greeting);
        }
        Ok(ValidChannel { name, greeting, accent, hosts, time_zone, prechat, language, position, greetings })
    }
}

impl UpdateChannelRequest {
    /// Changes what is given. `greeting` and the default language's entry of `greetings` stay
    /// one text:
    /// - `greetings` given: its entry of the (new) default language, if any, becomes `greeting`;
    /// - only `greeting` given: it also replaces the default language's entry, if there is one;
    /// - the default language changed without `greetings`: the old greeting is kept as the old
    ///   language's entry (unless it has one), and the new language's entry, if any, becomes
    ///   `greeting` (unless `greeting` is given too).
    pub fn apply(&self, current: &ValidChannel) -> Valid<ValidChannel> {
        let name = self.name.as_deref().map_or_else(|| Ok(current.name.clone()), channel_name)?;
        let given_greeting = self.greeting.as_deref().map(greeting).transpose()?;
        let accent = self.accent.as_deref().map_or_else(|| Ok(current.accent.clone()), accent)?;
        let hosts = self.hosts.as_deref().map_or_else(|| Ok(current.hosts.clone()), hostnames)?;
        let time_zone = self.time_zone.as_deref().map_or_else(|| Ok(current.time_zone.clone()), channel_time_zone)?;
        let prechat = self.prechat.as_deref().map_or_else(|| Ok(current.prechat.clone()), prechat_form)?;
        let language = self.language.as_deref().map_or_else(|| Ok(current.language.clone()), channel_language)?;
        let position = self.position.as_deref().map_or_else(|| Ok(current.position.clone()), position)?;
        let given_greetings = self.greetings.as_deref().map(channel_greetings).transpose()?;

        let mut greeting = given_greeting.clone().unwrap_or_else(|| current.greeting.clone());
        let greetings = match given_greetings {
            Some(list) => {
                if let Some(g) = greeting_in(&list, &language) {
                    g.clone_into(&mut greeting);
                }
                list
            }
            None => {
                let mut list = current.greetings.clone();
                if language != current.language && greeting_in(&list, &current.language).is_none() {
                    list.push(Greeting { language: current.language.clone(), text: current.greeting.clone() });
                }
                match (&given_greeting, list.iter_mut().find(|g| g.language == language)) {
                    (Some(new), Some(entry)) => new.clone_into(&mut entry.text),
                    (None, Some(entry)) => entry.text.clone_into(&mut greeting),
                    (_, None) => {}
                }
                channel_greetings(&list)?
            }
        };
        Ok(ValidChannel { name, greeting, accent, hosts, time_zone, prechat, language, position, greetings })
    }
}

// ---------------------------------------------------------------------------------------------
// Canned responses

/// A prepared answer: typing `/shortcut` in the composer puts `text` in its place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedResponse {
    pub id: String,
    pub shortcut: String,
    pub text: String,
    pub created_at: u64,
}

/// `GET /api/v1/console/canned`: the account's canned responses, by shortcut.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedList {
    pub canned: Vec<CannedResponse>,
}

/// `POST /api/v1/console/canned` (create) and `POST /api/v1/console/canned/:id` (edit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedRequest {
    pub shortcut: String,
    pub text: String,
}

impl CannedRequest {
    /// `(shortcut, text)`, normalised.
    pub fn validate(&self) -> Valid<(String, String)> {
        Ok((shortcut(&self.shortcut)?, canned_text(&self.text)?))
    }
}

/// The canned response a composer's whole text calls for (`/thanks` → its text), if any.
pub fn expand_canned<'a>(typed: &str, canned: &'a [CannedResponse]) -> Option<&'a str> {
    let key = typed.trim().strip_prefix('/')?.to_lowercase();
    canned.iter().find(|c| c.shortcut == key).map(|c| c.text.as_str())
}

/// Canned responses whose shortcut starts with what follows `/` in `typed` (suggestions).
pub fn canned_suggestions<'a>(typed: &str, canned: &'a [CannedResponse]) -> Vec<&'a CannedResponse> {
    let Some(prefix) = typed.trim_start().strip_prefix('/') else { return Vec::new() };
    if prefix.contains(char::is_whitespace) {
        return Vec::new();
    }
    let prefix = prefix.to_lowercase();
    canned.iter().filter(|c| c.shortcut.starts_with(&prefix)).collect()
}

// ---------------------------------------------------------------------------------------------
// Offline messages

/// A visitor's "leave a message", as the console lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineMessage {
    pub id: String,
    pub channel_id: crate::ids::ChannelId,
    pub channel_name: String,
    pub visitor_id: crate::ids::VisitorId,
    pub name: String,
    pub email: String,
    pub text: String,
    pub page_url: String,
    pub created_at: u64,
}

/// `GET /api/v1/console/offline-messages`: newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineMessageList {
    pub messages: Vec<OfflineMessage>,
}

/// The answer to `POST /api/v1/widget/offline-message`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineMessageStored {
    pub id: String,
}

/// The fields of an offline message to store, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidOfflineMessage {
    pub name: String,
    pub email: String,
    pub text: String,
    pub page_url: String,
}

/// Checks a visitor's offline message (the ids and token are the edge's to check).
pub fn offline_message(req: &OfflineMessageRequest) -> Valid<ValidOfflineMessage> {
    Ok(ValidOfflineMessage {
        name: line("name", "Name", &req.name, 1, MAX_NAME_CHARS)?,
        email: email("email", &req.email)?,
        text: text("text", "Message", &req.text, MAX_MESSAGE_CHARS)?,
        page_url: req.page_url.trim().chars().take(MAX_PAGE_URL_CHARS).collect(),
    })
}

/// `GET /api/v1/console/account` (any operator) and the answer of `POST` (admins): the account's
/// name and the time zone its reports are computed in (dates, hours, days).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub id: String,
    pub name: String,
    pub time_zone: String,
}

/// `POST /api/v1/console/account` (admins).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountUpdate {
    pub name: String,
    pub time_zone: String,
}

impl AccountUpdate {
    /// Name 1–80 characters on one line; a time zone name (its existence is the edge's check).
    pub fn validate(&self) -> Valid<AccountUpdate> {
        Ok(AccountUpdate {
            name: line("name", "Name", &self.name, 1, 80)?,
            time_zone: crate::entry_points::time_zone(&self.time_zone)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn field<T: std::fmt::Debug>(r: Valid<T>) -> String {
        r.expect_err("should be refused").field
    }

    #[test]
    fn usernames() {
        assert_eq!(username("  Anna.B_1-x ").unwrap(), "anna.b_1-x");
        assert_eq!(username("abc").unwrap(), "abc");
        assert_eq!(username(&"a".repeat(40)).unwrap().len(), 40);
        for bad in ["ab", "", "   ", &"a".repeat(41), "anna b", "anna@x", "ännä", "a/b", "a+b"] {
            let e = username(bad).unwrap_err();
            assert_eq!(e.field, "username", "{bad}");
            assert!(e.message.starts_with("Username"), "{}", e.message);
        }
    }

    #[test]
    fn names() {
        assert_eq!(first_name("  Zoë ").unwrap(), "Zoë");
        assert_eq!(field(first_name("  ")), "first_name");
        assert_eq!(first_name("").unwrap_err().message, "First name is required.");
        assert_eq!(first_name(&"x".repeat(80)).unwrap().chars().count(), 80);
        assert_eq!(field(first_name(&"x".repeat(81))), "first_name");
        assert_eq!(field(first_name("a\u{7}b")), "first_name");
        assert_eq!(field(first_name("two\nlines")), "first_name");
        assert_eq!(last_name("").unwrap(), "");
        assert_eq!(last_name(" Okafor ").unwrap(), "Okafor");
        assert_eq!(field(last_name(&"y".repeat(81))), "last_name");
    }

    #[test]
    fn emails() {
        assert_eq!(email("email", " ana@shop.example ").unwrap(), "ana@shop.example");
        assert_eq!(email("email", "a.b+c@sub.example.co.uk").unwrap(), "a.b+c@sub.example.co.uk");
        for bad in [
            "",
            "ana",
            "ana@",
            "@shop.example",
            "ana@shop",
            "ana@@shop.example",
            "a@b@shop.example",
            "ana @shop.example",
            "ana@shop..example",
            "ana@.shop.example",
            "ana@shop.example.",
            "ana@-shop.example",
            "<ana@shop.example>",
        ] {
            assert_eq!(field(email("email", bad)), "email", "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(field(email("email", &long)), "email");
        assert_eq!(email("email", "").unwrap_err().message, "E-mail is required.");
    }

    #[test]
    fn passwords() {
        assert!(password("0123456789").is_ok());
        assert_eq!(password("short").unwrap_err().message, "Password must be at least 10 characters.");
        assert_eq!(field(password(&"ä".repeat(9))), "password", "characters, not bytes");
        assert!(password(&"ä".repeat(10)).is_ok());
        assert!(password(&"p".repeat(MAX_PASSWORD_LEN)).is_ok());
        assert_eq!(field(password(&"p".repeat(MAX_PASSWORD_LEN + 1))), "password");
        // Spaces count: passwords are never trimmed.
        assert_eq!(password("  pass word  ").unwrap(), "  pass word  ");
    }

    #[test]
    fn chat_names_default_to_the_name() {
        assert_eq!(chat_name("", "Ana", "Lopez").unwrap(), "Ana Lopez");
        assert_eq!(chat_name("   ", "Ana", "").unwrap(), "Ana");
        assert_eq!(chat_name(" Ana from Support ", "Ana", "Lopez").unwrap(), "Ana from Support");
        let long_last = "L".repeat(80);
        assert_eq!(chat_name("", "Ana", &long_last).unwrap(), "Ana");
        assert_eq!(field(chat_name(&"c".repeat(81), "Ana", "")), "chat_name");
        assert_eq!(field(chat_name("", "", "")), "chat_name");
        assert_eq!(field(chat_name("tab\there", "Ana", "")), "chat_name");
    }

    #[test]
    fn language_tags_are_normalised() {
        assert_eq!(language_tag("EN").as_deref(), Some("en"));
        assert_eq!(language_tag(" pt-br ").as_deref(), Some("pt-BR"));
        assert_eq!(language_tag("pt_BR").as_deref(), Some("pt-BR"));
        assert_eq!(language_tag("zh-hant-tw").as_deref(), Some("zh-Hant-TW"));
        assert_eq!(language_tag("es-419").as_deref(), Some("es-419"));
        assert_eq!(language_tag("gsw").as_deref(), Some("gsw"));
        for bad in ["", "e", "engl", "e1", "en-", "-en", "en--us", "en-toolongsub", "en-a-b-c-d", "de DE", "日本"] {
            assert_eq!(language_tag(bad), None, "{bad}");
        }
    }

    #[test]
    fn language_lists_keep_main_first_and_drop_repeats() {
        assert_eq!(languages(&strings(&["de", "en", "DE", "", " fr "])).unwrap(), strings(&["de", "en", "fr"]));
        assert_eq!(languages(&strings(&["pt-br", "pt-BR"])).unwrap(), strings(&["pt-BR"]));
        let e = languages(&strings(&["en", "klingon"])).unwrap_err();
        assert_eq!(e.field, "languages");
        assert!(e.message.contains("\"klingon\""), "{}", e.message);
        assert_eq!(field(languages(&[])), "languages");
        assert_eq!(field(languages(&strings(&["", " "]))), "languages");
        let ten = strings(&["en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "fi"]);
        assert_eq!(languages(&ten).unwrap().len(), 10);
        let mut eleven = ten.clone();
        eleven.push("pl".into());
        assert_eq!(languages(&eleven).unwrap_err().message, "At most 10 languages.");
    }

    #[test]
    fn max_chats_and_roles() {
        assert_eq!(max_chats(1).unwrap(), 1);
        assert_eq!(max_chats(20).unwrap(), 20);
        assert_eq!(field(max_chats(0)), "max_chats");
        assert_eq!(field(max_chats(21)), "max_chats");
        assert_eq!(role("admin").unwrap(), Role::Admin);
        assert_eq!(role(" operator ").unwrap(), Role::Operator);
        assert_eq!(field(role("root")), "role");
        assert_eq!(field(role("Admin")), "role");
        assert_eq!(Role::parse(Role::Admin.as_str()), Some(Role::Admin));
    }

    #[test]
    fn hostnames_are_plain_and_lowercase() {
        assert_eq!(hostname(" Shop.Example.COM. ").unwrap(), "shop.example.com");
        assert_eq!(hostname("localhost").unwrap(), "localhost");
        assert_eq!(hostname("127.0.0.1").unwrap(), "127.0.0.1");
        assert_eq!(hostname("xn--bcher-kva.example").unwrap(), "xn--bcher-kva.example");
        for bad in [
            "",
            "https://shop.example.com",
            "shop.example.com/path",
            "shop.example.com:8443",
            "shop example.com",
            "-shop.example.com",
            "shop-.example.com",
            "shop..example.com",
            "bücher.example",
            "*.example.com",
        ] {
            let e = hostname(bad).unwrap_err();
            assert_eq!(e.field, "hosts", "{bad}");
        }
        assert_eq!(field(hostname(&format!("{}.com", "a".repeat(64)))), "hosts");
        assert!(hostname("https://x.example").unwrap_err().message.contains("no https://"));
        assert_eq!(
            hostnames(&strings(&["A.example", "a.example", "", "b.example"])).unwrap(),
            strings(&["a.example", "b.example"])
        );
        assert_eq!(field(hostnames(&[])), "hosts");
        let many: Vec<String> = (0..51).map(|i| format!("h{i}.example")).collect();
        assert_eq!(field(hostnames(&many)), "hosts");
        assert_eq!(hostnames(&many[..50]).unwrap().len(), 50);
    }

    #[test]
    fn split_list_reads_commas_and_lines() {
        assert_eq!(split_list(" en, de ;fr\npt-BR  "), strings(&["en", "de", "fr", "pt-BR"]));
        assert!(split_list(" , ").is_empty());
    }

    #[test]
    fn channels() {
        let req = CreateChannelRequest {
            name: " Shop ".into(),
            greeting: None,
            accent: Some("#ABCDEF".into()),
            hosts: strings(&["Shop.example"]),
            time_zone: None,
            prechat: vec![],
            language: None,
            position: None,
            greetings: vec![],
        };
        let v = req.validate().unwrap();
        assert_eq!(
            v,
            ValidChannel {
                name: "Shop".into(),
                greeting: DEFAULT_GREETING.into(),
                accent: "#abcdef".into(),
                hosts: strings(&["shop.example"]),
                time_zone: "UTC".into(),
                prechat: vec![],
                language: "en".into(),
                position: "right".into(),
                greetings: vec![],
            }
        );
        assert_eq!(field(CreateChannelRequest { name: "".into(), ..req.clone() }.validate()), "name");
        assert_eq!(field(CreateChannelRequest { accent: Some("red".into()), ..req.clone() }.validate()), "accent");
        assert_eq!(field(CreateChannelRequest { accent: Some("#12345g".into()), ..req.clone() }.validate()), "accent");
        assert_eq!(field(CreateChannelRequest { hosts: vec![], ..req.clone() }.validate()), "hosts");
        let long = "g".repeat(MAX_GREETING_CHARS + 1);
        assert_eq!(field(CreateChannelRequest { greeting: Some(long), ..req.clone() }.validate()), "greeting");

        let upd = UpdateChannelRequest { greeting: Some("Hello there".into()), ..Default::default() };
        let after = upd.apply(&v).unwrap();
        assert_eq!(after.greeting, "Hello there");
        assert_eq!(after.name, "Shop");
        assert_eq!(after.hosts, v.hosts);
        let upd = UpdateChannelRequest { hosts: Some(strings(&["a.example", "b.example"])), ..Default::default() };
        assert_eq!(upd.apply(&v).unwrap().hosts, strings(&["a.example", "b.example"]));
        let upd = UpdateChannelRequest { hosts: Some(vec![]), ..Default::default() };
        assert_eq!(field(upd.apply(&v)), "hosts");
        let upd = UpdateChannelRequest { greeting: Some(String::new()), ..Default::default() };
        assert_eq!(upd.apply(&v).unwrap().greeting, DEFAULT_GREETING);

        let tz = |t: &str| CreateChannelRequest { time_zone: Some(t.into()), ..req.clone() }.validate();
        assert_eq!(tz(" Europe/Berlin ").unwrap().time_zone, "Europe/Berlin");
        assert_eq!(tz("").unwrap().time_zone, "UTC");
        assert_eq!(field(tz("Europe//Berlin")), "time_zone");
        let upd = UpdateChannelRequest { time_zone: Some("America/New_York".into()), ..Default::default() };
        let after = upd.apply(&v).unwrap();
        assert_eq!(after.time_zone, "America/New_York");
        assert_eq!(UpdateChannelRequest::default().apply(&after).unwrap().time_zone, "America/New_York");
        assert_eq!(
            field(UpdateChannelRequest { time_zone: Some("no zone".into()), ..Default::default() }.apply(&v)),
            "time_zone"
        );

        let ff = |k: &str, l: &str| FormField { key: k.into(), label: l.into(), required: true };
        let with_form = CreateChannelRequest { prechat: vec![ff(" Email", " Your e-mail ")], ..req.clone() };
        assert_eq!(with_form.validate().unwrap().prechat, vec![ff("email", "Your e-mail")]);
        assert_eq!(
            field(CreateChannelRequest { prechat: vec![ff("e mail", "E")], ..req.clone() }.validate()),
            "prechat"
        );
        let shaped = with_form.validate().unwrap();
        assert_eq!(UpdateChannelRequest::default().apply(&shaped).unwrap().prechat, shaped.prechat, "kept");
        let clear = UpdateChannelRequest { prechat: Some(vec![]), ..Default::default() };
        assert_eq!(clear.apply(&shaped).unwrap().prechat, vec![], "removed");
        let dup = UpdateChannelRequest { prechat: Some(vec![ff("name", "A"), ff("name", "B")]), ..Default::default() };
        assert_eq!(field(dup.apply(&shaped)), "prechat");
    }

    fn gr(language: &str, text: &str) -> Greeting {
        Greeting { language: language.into(), text: text.into() }
    }

    fn shop() -> CreateChannelRequest {
        CreateChannelRequest {
            name: "Shop".into(),
            greeting: Some("Hi!".into()),
            accent: None,
            hosts: strings(&["shop.example"]),
            time_zone: None,
            prechat: vec![],
            language: None,
            position: None,
            greetings: vec![],
        }
    }

    #[test]
    fn channel_language_position_and_greetings() {
        let v = shop().validate().unwrap();
        assert_eq!((v.language.as_str(), v.position.as_str()), ("en", "right"));
        let with = |language: &str, position: &str, greetings: Vec<Greeting>| {
            CreateChannelRequest {
                language: Some(language.into()),
                position: Some(position.into()),
                greetings,
                ..shop()
            }
            .validate()
        };
        let ok = with(" DE ", "Left", vec![gr("vi", "Xin chào"), gr(" ES", " ¡Hola! "), gr("fr", "  ")]).unwrap();
        assert_eq!((ok.language.as_str(), ok.position.as_str()), ("de", "left"));
        assert_eq!(ok.greetings, vec![gr("es", "¡Hola!"), gr("vi", "Xin chào")], "LANGS order, blank dropped");
        assert_eq!(ok.greeting, "Hi!", "no German entry: the greeting stays");
        assert_eq!(with("", "", vec![]).unwrap().language, "en");
        assert_eq!(with("", "", vec![]).unwrap().position, "right");

        assert_eq!(field(with("ja", "right", vec![])), "language");
        assert_eq!(field(with("en-US", "right", vec![])), "language");
        assert_eq!(field(with("en", "top", vec![])), "position");
        assert_eq!(field(with("en", "right", vec![gr("ja", "こんにちは")])), "greetings");
        assert_eq!(field(with("en", "right", vec![gr("de", "Hallo"), gr("DE", "Servus")])), "greetings");
        let long = "g".repeat(MAX_GREETING_CHARS + 1);
        assert_eq!(field(with("en", "right", vec![gr("de", &long)])), "greetings");
        assert_eq!(field(with("en", "right", vec![gr("de", "a\u{0}b")])), "greetings");

        // The default language's entry is the greeting.
        let es = with("es", "right", vec![gr("es", "¡Hola!"), gr("en", "Hello!")]).unwrap();
        assert_eq!(es.greeting, "¡Hola!");

        // Updates: greetings replaced; the new default's entry becomes the greeting.
        let upd = UpdateChannelRequest {
            greetings: Some(vec![gr("en", "Hey there"), gr("de", "Hallo")]),
            ..Default::default()
        };
        let after = upd.apply(&v).unwrap();
        assert_eq!(after.greeting, "Hey there");
        assert_eq!(after.greetings, vec![gr("en", "Hey there"), gr("de", "Hallo")]);
        // Only the greeting: the default language's entry follows it.
        let upd = UpdateChannelRequest { greeting: Some("Howdy".into()), ..Default::default() };
        let after2 = upd.apply(&after).unwrap();
        assert_eq!(after2.greeting, "Howdy");
        assert_eq!(after2.greetings, vec![gr("en", "Howdy"), gr("de", "Hallo")]);
        // The default language changes: the old greeting is kept as its language's, the new
        // language's entry becomes the greeting.
        let upd = UpdateChannelRequest { language: Some("de".into()), ..Default::default() };
        let de = upd.apply(&v).unwrap();
        assert_eq!((de.language.as_str(), de.greeting.as_str()), ("de", "Hi!"));
        assert_eq!(de.greetings, vec![gr("en", "Hi!")]);
        let de = UpdateChannelRequest { language: Some("de".into()), ..Default::default() }.apply(&after2).unwrap();
        assert_eq!(de.greeting, "Hallo");
        assert_eq!(de.greetings, vec![gr("en", "Howdy"), gr("de", "Hallo")]);
        // Nothing given: nothing changes; bad values name their field.
        assert_eq!(UpdateChannelRequest::default().apply(&de).unwrap(), de);
        let bad = |u: UpdateChannelRequest| field(u.apply(&de));
        assert_eq!(bad(UpdateChannelRequest { language: Some("xx".into()), ..Default::default() }), "language");
        assert_eq!(bad(UpdateChannelRequest { position: Some("middle".into()), ..Default::default() }), "position");
        assert_eq!(
            bad(UpdateChannelRequest {
                greetings: Some(vec![gr("fr", "Salut"), gr("fr", "Bonjour")]),
                ..Default::default()
            }),
            "greetings"
        );
        let upd = UpdateChannelRequest { position: Some("left".into()), greetings: Some(vec![]), ..Default::default() };
        let cleared = upd.apply(&de).unwrap();
        assert_eq!(
            (cleared.position.as_str(), cleared.greetings.len(), cleared.greeting.as_str()),
            ("left", 0, "Hallo")
        );
    }

    #[test]
    fn channel_views_read_older_json() {
        let old =
            r##"{"id":"ch_1","name":"Shop","greeting":"Hi","accent":"#2f5bea","hosts":["a.example"],"created_at":1}"##;
        let v: ChannelView = serde_json::from_str(old).unwrap();
        assert_eq!((v.language.as_str(), v.position.as_str(), v.greetings.len()), ("en", "right", 0));
        let upd = UpdateChannelRequest { position: Some("left".into()), ..Default::default() };
        assert_eq!(serde_json::to_string(&upd).unwrap(), r#"{"position":"left"}"#);
    }

    #[test]
    fn canned_responses() {
        let ok = CannedRequest { shortcut: " /Thanks ".into(), text: " Thank you for waiting!\nBye ".into() };
        assert_eq!(ok.validate().unwrap(), ("thanks".into(), "Thank you for waiting!\nBye".into()));
        for bad in ["", "/", "two words", "x.y", "ü", &"s".repeat(33)] {
            assert_eq!(field(CannedRequest { shortcut: bad.into(), text: "t".into() }.validate()), "shortcut", "{bad}");
        }
        assert!(shortcut(&"s".repeat(32)).is_ok());
        assert!(shortcut("a_b-1").is_ok());
        assert_eq!(field(CannedRequest { shortcut: "x".into(), text: "  ".into() }.validate()), "text");
        let long = "t".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(field(CannedRequest { shortcut: "x".into(), text: long }.validate()), "text");
        assert_eq!(field(CannedRequest { shortcut: "x".into(), text: "a\u{0}b".into() }.validate()), "text");

        let list = vec![
            CannedResponse { id: "1".into(), shortcut: "thanks".into(), text: "Thank you!".into(), created_at: 0 },
            CannedResponse { id: "2".into(), shortcut: "thx-long".into(), text: "Many thanks.".into(), created_at: 0 },
            CannedResponse { id: "3".into(), shortcut: "hours".into(), text: "9 to 5.".into(), created_at: 0 },
        ];
        assert_eq!(expand_canned("/thanks", &list), Some("Thank you!"));
        assert_eq!(expand_canned(" /HOURS ", &list), Some("9 to 5."));
        assert_eq!(expand_canned("thanks", &list), None);
        assert_eq!(expand_canned("/nope", &list), None);
        let ids = |v: Vec<&CannedResponse>| v.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(canned_suggestions("/th", &list)), vec!["1", "2"]);
        assert_eq!(ids(canned_suggestions("/", &list)), vec!["1", "2", "3"]);
        assert!(canned_suggestions("th", &list).is_empty());
        assert!(canned_suggestions("/th and more", &list).is_empty());
    }

    fn new_op() -> CreateOperatorRequest {
        CreateOperatorRequest {
            username: "Ana.Lopez".into(),
            first_name: "Ana".into(),
            last_name: "Lopez".into(),
            email: "ana@shop.example".into(),
            password: "correct horse".into(),
            chat_name: String::new(),
            role: "operator".into(),
            languages: strings(&["es", "EN"]),
            max_chats: 3,
        }
    }

    #[test]
    fn creating_an_operator() {
        let v = new_op().validate().unwrap();
        assert_eq!(v.username, "ana.lopez");
        assert_eq!(v.password, "correct horse");
        assert_eq!(v.profile.chat_name, "Ana Lopez");
        assert_eq!(v.profile.languages, strings(&["es", "en"]));
        assert_eq!(v.profile.role, Role::Operator);
        assert!(!v.profile.disabled);
        assert_eq!(field(CreateOperatorRequest { username: "x".into(), ..new_op() }.validate()), "username");
        assert_eq!(field(CreateOperatorRequest { first_name: "".into(), ..new_op() }.validate()), "first_name");
        assert_eq!(field(CreateOperatorRequest { email: "nope".into(), ..new_op() }.validate()), "email");
        assert_eq!(field(CreateOperatorRequest { password: "123".into(), ..new_op() }.validate()), "password");
        assert_eq!(field(CreateOperatorRequest { role: "owner".into(), ..new_op() }.validate()), "role");
        assert_eq!(field(CreateOperatorRequest { languages: vec![], ..new_op() }.validate()), "languages");
        assert_eq!(field(CreateOperatorRequest { max_chats: 0, ..new_op() }.validate()), "max_chats");
        // Defaults when the console leaves fields out.
        let json = r#"{"username":"bo","first_name":"Bo","email":"bo@x.example","password":"0123456789"}"#;
        let req: CreateOperatorRequest = serde_json::from_str(json).unwrap();
        assert_eq!((req.role.as_str(), req.languages.clone(), req.max_chats), ("operator", strings(&["en"]), 4));
        assert_eq!(field(req.validate()), "username", "two letters are too short");
    }

    fn profile(role: Role) -> Profile {
        Profile {
            first_name: "Dana".into(),
            last_name: "Demo".into(),
            email: "dana@x.example".into(),
            chat_name: "Dana".into(),
            role,
            languages: strings(&["en"]),
            max_chats: 3,
            disabled: false,
        }
    }

    #[test]
    fn updating_an_operator_changes_only_what_is_given() {
        let cur = profile(Role::Operator);
        let (p, pw) = UpdateOperatorRequest::default().apply(&cur, false).unwrap();
        assert_eq!((p, pw), (cur.clone(), None));

        let upd = UpdateOperatorRequest {
            last_name: Some("Doe".into()),
            chat_name: Some(String::new()),
            languages: Some(strings(&["de", "en"])),
            max_chats: Some(7),
            role: Some("admin".into()),
            password: Some("new password 1".into()),
            ..Default::default()
        };
        let (p, pw) = upd.apply(&cur, false).unwrap();
        assert_eq!(p.chat_name, "Dana Doe", "empty chat name resets to the name");
        assert_eq!(p.languages, strings(&["de", "en"]));
        assert_eq!((p.max_chats, p.role), (7, Role::Admin));
        assert_eq!(pw.as_deref(), Some("new password 1"));

        let upd = UpdateOperatorRequest { password: Some(String::new()), ..Default::default() };
        assert_eq!(upd.apply(&cur, false).unwrap().1, None, "empty password keeps the old one");
        let upd = UpdateOperatorRequest { password: Some("short".into()), ..Default::default() };
        assert_eq!(field(upd.apply(&cur, false)), "password");
        let upd = UpdateOperatorRequest { email: Some("bad".into()), ..Default::default() };
        assert_eq!(field(upd.apply(&cur, false)), "email");
        let upd = UpdateOperatorRequest { max_chats: Some(99), ..Default::default() };
        assert_eq!(field(upd.apply(&cur, false)), "max_chats");

        let upd = UpdateOperatorRequest { disabled: Some(true), ..Default::default() };
        assert!(upd.apply(&cur, false).unwrap().0.disabled);
        let disabled = Profile { disabled: true, ..cur.clone() };
        let upd = UpdateOperatorRequest { disabled: Some(false), ..Default::default() };
        assert!(!upd.apply(&disabled, false).unwrap().0.disabled, "an admin can enable again");
    }

    #[test]
    fn an_admin_cannot_lock_themself_out() {
        let me = profile(Role::Admin);
        let upd = UpdateOperatorRequest { disabled: Some(true), ..Default::default() };
        let e = upd.apply(&me, true).unwrap_err();
        assert_eq!(e.field, "disabled");
        assert!(e.message.contains("cannot disable yourself"));
        let upd = UpdateOperatorRequest { role: Some("operator".into()), ..Default::default() };
        assert_eq!(field(upd.apply(&me, true)), "role");
        // Another admin may do both; and one may keep one's own role or change other fields.
        assert!(UpdateOperatorRequest { role: Some("operator".into()), ..Default::default() }
            .apply(&me, false)
            .is_ok());
        let upd = UpdateOperatorRequest { role: Some("admin".into()), disabled: Some(false), ..Default::default() };
        assert!(upd.apply(&me, true).is_ok());
        assert_eq!(upd.self_lockout(&me), None);
        let upd = UpdateOperatorRequest { disabled: Some(true), ..Default::default() };
        assert_eq!(upd.self_lockout(&me).unwrap().field, "disabled");
        let upd = UpdateOperatorRequest { role: Some("root".into()), ..Default::default() };
        assert_eq!(upd.self_lockout(&me), None, "an unknown role is a plain field error");
        assert_eq!(field(upd.apply(&me, true)), "role");
    }

    #[test]
    fn settings() {
        let s = SettingsUpdate { chat_name: " ".into(), languages: strings(&["DE", "en", "de"]), max_chats: 5 };
        assert_eq!(
            s.validate("Dana", "Demo").unwrap(),
            ValidSettings { chat_name: "Dana Demo".into(), languages: strings(&["de", "en"]), max_chats: 5 }
        );
        assert_eq!(field(SettingsUpdate { max_chats: 0, ..s.clone() }.validate("Dana", "")), "max_chats");
        assert_eq!(
            field(SettingsUpdate { languages: strings(&["??"]), ..s.clone() }.validate("Dana", "")),
            "languages"
        );
        assert_eq!(field(SettingsUpdate { chat_name: "x".repeat(81), ..s }.validate("Dana", "")), "chat_name");
    }

    #[test]
    fn offline_messages() {
        let req = OfflineMessageRequest {
            channel_id: "demo".into(),
            visitor_id: "v_1".into(),
            visitor_token: "t".into(),
            name: " Kim ".into(),
            email: "kim@example.org".into(),
            text: " Please call me back.\nThanks ".into(),
            page_url: format!("https://shop.example/{}", "p".repeat(3000)),
        };
        let v = offline_message(&req).unwrap();
        assert_eq!(v.name, "Kim");
        assert_eq!(v.text, "Please call me back.\nThanks");
        assert_eq!(v.page_url.chars().count(), MAX_PAGE_URL_CHARS);
        assert_eq!(field(offline_message(&OfflineMessageRequest { name: "".into(), ..req.clone() })), "name");
        assert_eq!(field(offline_message(&OfflineMessageRequest { email: "kim".into(), ..req.clone() })), "email");
        assert_eq!(field(offline_message(&OfflineMessageRequest { text: " ".into(), ..req.clone() })), "text");
        let long = "m".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(field(offline_message(&OfflineMessageRequest { text: long, ..req })), "text");
    }

    #[test]
    fn views_round_trip_as_json() {
        let op = OperatorView {
            id: "op_1".into(),
            username: "ana".into(),
            first_name: "Ana".into(),
            last_name: "".into(),
            email: "ana@x.example".into(),
            chat_name: "Ana".into(),
            role: Role::Operator,
            languages: strings(&["es"]),
            max_chats: 2,
            disabled: true,
            created_at: 5,
        };
        let json = serde_json::to_string(&OperatorList { operators: vec![op.clone()] }).unwrap();
        assert!(!json.contains("password"));
        assert!(json.contains(r#""role":"operator""#), "the role keeps its wire name: {json}");
        let back: OperatorList = serde_json::from_str(&json).unwrap();
        assert_eq!(back.operators, vec![op]);
        let upd = UpdateOperatorRequest { disabled: Some(true), ..Default::default() };
        assert_eq!(serde_json::to_string(&upd).unwrap(), r#"{"disabled":true}"#);
    }

    #[test]
    fn account_updates() {
        let ok = AccountUpdate { name: "  Acme ".into(), time_zone: "Europe/Berlin".into() }.validate().unwrap();
        assert_eq!(ok, AccountUpdate { name: "Acme".into(), time_zone: "Europe/Berlin".into() });
        let field = |name: &str, tz: &str| {
            AccountUpdate { name: name.into(), time_zone: tz.into() }.validate().unwrap_err().field
        };
        assert_eq!(field("", "UTC"), "name");
        assert_eq!(field(&"x".repeat(81), "UTC"), "name");
        assert_eq!(field("Acme", "not a zone"), "time_zone");
        assert_eq!(field("Acme", ""), "time_zone");
    }
}

// ---------------------------------------------------------------------------------------------
// A channel's mail settings (issue 20)

/// `GET`/`PUT /api/v1/console/channels/:id/mail`: where a channel's mails go and how they are
/// signed. No address: no offline-message or missed-chat mail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelMail {
    /// Notification addresses: offline messages and missed chats are mailed here.
    #[serde(default)]
    pub addresses: Vec<String>,
    /// Minutes a chat waits with no operator answer before the missed-chat mail.
    #[serde(default = "default_missed_wait")]
    pub missed_wait_minutes: u32,
    /// The display name mails are sent under (empty: the channel's name).
    #[serde(default)]
    pub sender_name: String,
}

fn default_missed_wait() -> u32 {
    crate::limits::MISSED_CHAT_WAIT_MINUTES
}

impl ChannelMail {
    /// Trimmed, de-duplicated (case-insensitively) and checked.
    pub fn validate(&self) -> Valid<ChannelMail> {
        let mut addresses: Vec<String> = Vec::new();
        for a in &self.addresses {
            if a.trim().is_empty() {
                continue;
            }
            let a = email("addresses", a)?;
            if !addresses.iter().any(|b| b.eq_ignore_ascii_case(&a)) {
                addresses.push(a);
            }
        }
        if addresses.len() > crate::limits::MAX_NOTIFY_ADDRESSES {
            return Err(FieldError::new(
                "addresses",
                format!("At most {} notification addresses.", crate::limits::MAX_NOTIFY_ADDRESSES),
            ));
        }
        if !(1..=crate::limits::MAX_MISSED_CHAT_WAIT_MINUTES).contains(&self.missed_wait_minutes) {
            return Err(FieldError::new(
                "missed_wait_minutes",
                format!("The wait must be 1 to {} minutes.", crate::limits::MAX_MISSED_CHAT_WAIT_MINUTES),
            ));
        }
        let sender_name =
            line("sender_name", "Sender name", &self.sender_name, 0, crate::limits::MAX_MAIL_SENDER_NAME_CHARS)?;
        Ok(ChannelMail { addresses, missed_wait_minutes: self.missed_wait_minutes, sender_name })
    }
}

#[cfg(test)]
mod channel_mail_tests {
    use super::*;

    #[test]
    fn channel_mail_settings_are_trimmed_deduplicated_and_bounded() {
        let ok = ChannelMail {
            addresses: vec![" a@example.com ".into(), "A@example.com".into(), "".into(), "b@example.org".into()],
            missed_wait_minutes: 5,
            sender_name: " Acme support ".into(),
        }
        .validate()
        .unwrap();
        assert_eq!(ok.addresses, ["a@example.com", "b@example.org"]);
        assert_eq!(ok.sender_name, "Acme support");
        let bad = ChannelMail { addresses: vec!["nope".into()], ..ok.clone() }.validate().unwrap_err();
        assert_eq!(bad.field, "addresses");
        let many = ChannelMail { addresses: (0..6).map(|i| format!("x{i}@example.com")).collect(), ..ok.clone() };
        assert_eq!(many.validate().unwrap_err().field, "addresses");
        let wait = ChannelMail { missed_wait_minutes: 0, ..ok.clone() };
        assert_eq!(wait.validate().unwrap_err().field, "missed_wait_minutes");
        let name = ChannelMail { sender_name: "a\nb".into(), ..ok };
        assert_eq!(name.validate().unwrap_err().field, "sender_name");
    }
}

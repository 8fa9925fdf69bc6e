//! Every deployment setting (`PARLEY_*`), parsed once from a lookup function (the edge passes
//! its worker variables and secrets). A value that is set but malformed is an error naming the
//! variable — never a silent default; an unset one takes its default from `limits.rs` (or the
//! core that owns it).
//!
//! | variable | type | default |
//! | --- | --- | --- |
//! | `PARLEY_SECRET` | signing key, ≥ 16 chars | none: the routes that sign fail while unset |
//! | `PARLEY_SECRET_PREVIOUS` | the signing key before a rotation, ≥ 16 chars | none |
//! | `PARLEY_VISITOR_RATE` | `BURST/PER_SEC`, both > 0 | `limits::VISITOR_RATE_*` |
//! | `PARLEY_SESSION_TIMEOUT_MS` | ms | `limits::SESSION_TIMEOUT_MS` |
//! | `PARLEY_FORWARD_AFTER_MS` | ms | `dispatch::FORWARD_AFTER_MS` |
//! | `PARLEY_OPERATOR_INACTIVITY_MS` | ms | `presence::OPERATOR_INACTIVITY_MS` |
//! | `PARLEY_TALLY_SHARDS` | 1..=1024 | `limits::TALLY_SHARDS` |
//! | `PARLEY_D1_SHARDS` | 1..=[`MAX_D1_SHARDS`]: bound D1 databases `DB`, `DB_1`, … | `limits::D1_SHARDS` |
//! | `PARLEY_TALLY_FLUSH_MS` | ms | `limits::TALLY_FLUSH_MS` |
//! | `PARLEY_INVITE_GRACE_MS` | ms | `limits::INVITE_GRACE_MS` |
//! | `PARLEY_REPORT_CSV_PAGE` | 1..=[`MAX_REPORT_CSV_PAGE`] | [`REPORT_CSV_PAGE`] |
//! | `PARLEY_SOCKET_RATE` | `BURST/PER_SEC`, both > 0 | `limits::SOCKET_RATE_*` |
//! | `PARLEY_CONVERSATION_CAP` | `MESSAGES/BYTES`, both > 0 | `limits::MAX_CONVERSATION_*` |
//! | `PARLEY_DEBUG_COST` | `1`/`true`/`on` or `0`/`false`/`off` | off: each answer's D1/object/fetch count shown (`x-parley-cost`, `/api/v1/debug/cost/:id`) |
//! | `PARLEY_CONSOLE_GONE_MS` | ms: a console silent this long counts as closed (push notifications) | `limits::CONSOLE_GONE_MS` |
//! | `PARLEY_PUSH_SUBJECT` | `mailto:…` or `https:…`: the VAPID contact sent to push services | `limits::PUSH_SUBJECT` |
//! | `PARLEY_PUSH_ALLOW_HTTP` | like `PARLEY_DEBUG_COST` | off: push endpoints must be `https://`; on only for local tests, whose push service is a plain-HTTP server |
//! | `PARLEY_REPLY_MAIL_DELAY_MS` | ms: an operator's first answer to a visitor who left is mailed this long after it, with the answers written meanwhile | `limits::REPLY_MAIL_DELAY_MS` |
//! | `PARLEY_MAIL_MINUTE_MS` | ms, > 0: the length of one minute of a channel's missed-chat wait (end-to-end tests shorten it) | 60000 |
//! | `PARLEY_MAIL_FROM` | the address mails are sent from (`name@domain`); reply addresses are made at its domain | none: no mail is sent |
//! | `PARLEY_LIMIT_<DOOR>` | `MAX/SECONDS`, both > 0 | [`crate::throttle::Door::default_window`] |

use std::fmt;

use crate::conversation::Rate;
use crate::limits;
use crate::throttle::{Door, Limits, Window};

/// Conversations per streamed CSV page of the per-conversation reports, by default.
pub const REPORT_CSV_PAGE: usize = 500;
/// The largest CSV page (the rows one D1 read returns).
pub const MAX_REPORT_CSV_PAGE: usize = 1_000;
/// Most tally shards per channel.
pub const MAX_TALLY_SHARDS: u32 = 1_024;
/// Most D1 shards (bindings `DB`, `DB_1` … `DB_255`).
pub const MAX_D1_SHARDS: u32 = 256;
/// Shortest signing key.
pub const MIN_SECRET_CHARS: usize = 16;

/// Every variable this module reads (for documentation and tests).
pub const VARIABLES: &[&str] = &[
    "PARLEY_SECRET",
    "PARLEY_SECRET_PREVIOUS",
    "PARLEY_VISITOR_RATE",
    "PARLEY_SESSION_TIMEOUT_MS",
    "PARLEY_FORWARD_AFTER_MS",
    "PARLEY_OPERATOR_INACTIVITY_MS",
    "PARLEY_TALLY_SHARDS",
    "PARLEY_D1_SHARDS",
    "PARLEY_TALLY_FLUSH_MS",
    "PARLEY_INVITE_GRACE_MS",
    "PARLEY_REPORT_CSV_PAGE",
    "PARLEY_SOCKET_RATE",
    "PARLEY_CONVERSATION_CAP",
    "PARLEY_DEBUG_COST",
    "PARLEY_CONSOLE_GONE_MS",
    "PARLEY_PUSH_SUBJECT",
    "PARLEY_PUSH_ALLOW_HTTP",
    "PARLEY_MAIL_FROM",
    "PARLEY_REPLY_MAIL_DELAY_MS",
    "PARLEY_MAIL_MINUTE_MS",
    // and one `PARLEY_LIMIT_<DOOR>` per door of `crate::throttle::Door::ALL`
];

/// The deployment's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `PARLEY_SECRET`, when set (checked: at least [`MIN_SECRET_CHARS`]).
    pub secret: Option<String>,
    /// `PARLEY_SECRET_PREVIOUS`: during a rotation, tokens signed with it still verify.
    pub previous_secret: Option<String>,
    pub conversation: crate::conversation::Config,
    pub dispatch: crate::dispatch::Config,
    pub tally_shards: u32,
    /// `PARLEY_D1_SHARDS`: how many D1 databases hold accounts' data (`crate::shards`).
    pub d1_shards: u32,
    pub tally: crate::tally::Settings,
    pub report_csv_page: usize,
    /// The flood limits of the public doors.
    pub limits: Limits,
    /// `PARLEY_DEBUG_COST`: show what each request spent of Cloudflare's per-invocation budgets
    /// (D1 queries, object calls, fetches). Off in production; the end-to-end tests turn it on.
    pub debug_cost: bool,
    /// `PARLEY_PUSH_SUBJECT`: the VAPID subject (a contact for push services).
    pub push_subject: String,
    /// `PARLEY_PUSH_ALLOW_HTTP`: admit `http://` push endpoints (local tests only; never on by
    /// default).
    pub push_allow_http: bool,
    /// `PARLEY_MAIL_FROM`: the sender address of every mail (issue 20); unset, mail is off.
    pub mail_from: Option<String>,
    /// `PARLEY_MAIL_MINUTE_MS`: one minute of a channel's missed-chat wait, in ms.
    pub mail_minute_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secret: None,
            previous_secret: None,
            conversation: crate::conversation::Config::default(),
            dispatch: crate::dispatch::Config::default(),
            tally_shards: limits::TALLY_SHARDS,
            d1_shards: limits::D1_SHARDS,
            tally: crate::tally::Settings::default(),
            report_csv_page: REPORT_CSV_PAGE,
            limits: Limits::default(),
            debug_cost: false,
            push_subject: limits::PUSH_SUBJECT.to_owned(),
            push_allow_http: false,
            mail_from: None,
            mail_minute_ms: 60_000,
        }
    }
}

/// A variable that is set but malformed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret's value is never printed.
        let shown = if self.variable.starts_with("PARLEY_SECRET") {
            "<hidden>".to_owned()
        } else {
            format!("{:?}", self.value)
        };
        write!(f, "configuration: {} = {} is malformed: expected {}", self.variable, shown, self.expected)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads every setting through `lookup(name)` (None: unset). Blank counts as unset.
    pub fn parse(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let bad =
            |variable: &'static str, value: String, expected: &'static str| ConfigError { variable, value, expected };
        let ms = |variable: &'static str, default: u64| -> Result<u64, ConfigError> {
            match get(variable) {
                None => Ok(default),
                Some(v) => v.trim().parse::<u64>().map_err(|_| bad(variable, v, "a whole number of milliseconds")),
            }
        };
        // A whole number in `range`, or the error saying what was expected.
        fn ranged<N: std::str::FromStr + PartialOrd>(
            v: Option<String>,
            range: std::ops::RangeInclusive<N>,
            variable: &'static str,
            expected: &'static str,
        ) -> Result<Option<N>, ConfigError> {
            v.map(|v| {
                v.trim().parse::<N>().ok().filter(|n| range.contains(n)).ok_or(ConfigError {
                    variable,
                    value: v,
                    expected,
                })
            })
            .transpose()
        }
        let mut c = Config::default();
        if let Some(v) = lookup("PARLEY_SECRET") {
            if v.len() < MIN_SECRET_CHARS {
                return Err(bad("PARLEY_SECRET", v, "at least 16 characters"));
            }
            c.secret = Some(v);
        }
        if let Some(v) = get("PARLEY_SECRET_PREVIOUS") {
            if v.len() < MIN_SECRET_CHARS {
                return Err(bad("PARLEY_SECRET_PREVIOUS", v, "at least 16 characters"));
            }
            c.previous_secret = Some(v);
        }
        if let Some(v) = get("PARLEY_VISITOR_RATE") {
            c.conversation.visitor_rate = Rate::parse(&v)
                .ok_or_else(|| bad("PARLEY_VISITOR_RATE", v, "BURST/PER_SEC, both above 0 (e.g. 20/2)"))?;
        }
        c.conversation.session_timeout_ms = ms("PARLEY_SESSION_TIMEOUT_MS", c.conversation.session_timeout_ms)?;
        c.dispatch.forward_after_ms = ms("PARLEY_FORWARD_AFTER_MS", c.dispatch.forward_after_ms)?;
        c.dispatch.inactivity_ms = ms("PARLEY_OPERATOR_INACTIVITY_MS", c.dispatch.inactivity_ms)?;
        c.tally.flush_ms = ms("PARLEY_TALLY_FLUSH_MS", c.tally.flush_ms)?;
        c.tally.grace_ms = ms("PARLEY_INVITE_GRACE_MS", c.tally.grace_ms)?;
        if let Some(n) = ranged(
            get("PARLEY_TALLY_SHARDS"),
            1..=MAX_TALLY_SHARDS,
            "PARLEY_TALLY_SHARDS",
            "a whole number from 1 to 1024",
        )? {
            c.tally_shards = n;
        }
        if let Some(n) =
            ranged(get("PARLEY_D1_SHARDS"), 1..=MAX_D1_SHARDS, "PARLEY_D1_SHARDS", "a whole number from 1 to 256")?
        {
            c.d1_shards = n;
        }
        if let Some(n) = ranged(
            get("PARLEY_REPORT_CSV_PAGE"),
            1..=MAX_REPORT_CSV_PAGE,
            "PARLEY_REPORT_CSV_PAGE",
            "a whole number from 1 to 1000",
        )? {
            c.report_csv_page = n;
        }
        if let Some(v) = get("PARLEY_SOCKET_RATE") {
            c.conversation.socket_rate = Rate::parse(&v)
                .ok_or_else(|| bad("PARLEY_SOCKET_RATE", v, "BURST/PER_SEC, both above 0 (e.g. 40/5)"))?;
        }
        if let Some(v) = get("PARLEY_CONVERSATION_CAP") {
            let cap = v.split_once('/').and_then(|(m, b)| Some((m.trim().parse().ok()?, b.trim().parse().ok()?)));
            let (messages, bytes): (usize, usize) = cap
                .filter(|&(m, b)| m > 0 && b > 0)
                .ok_or_else(|| bad("PARLEY_CONVERSATION_CAP", v, "MESSAGES/BYTES, both above 0 (e.g. 5000/2097152)"))?;
            c.conversation.max_messages = messages;
            c.conversation.max_bytes = bytes;
        }
        let switch = |variable: &'static str, default: bool| -> Result<bool, ConfigError> {
            match get(variable) {
                None => Ok(default),
                Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                    "1" | "true" | "on" => Ok(true),
                    "0" | "false" | "off" => Ok(false),
                    _ => Err(bad(variable, v, "1, true or on (0, false or off)")),
                },
            }
        };
        c.debug_cost = switch("PARLEY_DEBUG_COST", c.debug_cost)?;
        c.push_allow_http = switch("PARLEY_PUSH_ALLOW_HTTP", c.push_allow_http)?;
        c.dispatch.console_gone_ms = ms("PARLEY_CONSOLE_GONE_MS", c.dispatch.console_gone_ms)?;
        if let Some(v) = get("PARLEY_PUSH_SUBJECT") {
            let v = v.trim().to_owned();
            if !(v.starts_with("mailto:") || v.starts_with("https:")) || v.chars().any(|c| c.is_whitespace()) {
                return Err(bad("PARLEY_PUSH_SUBJECT", v, "a contact: mailto:you@example.com or https://example.com"));
            }
            c.push_subject = v;
        }
        if let Some(v) = get("PARLEY_MAIL_FROM") {
            let t = v.trim();
            let ok = t.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && d.contains('.') && !t.chars().any(|c| c.is_whitespace() || "<>,;\"".contains(c))
            });
            if !ok {
                return Err(bad("PARLEY_MAIL_FROM", v, "an address such as chat@mail.example.com"));
            }
            c.mail_from = Some(t.to_owned());
        }
        c.conversation.reply_mail_delay_ms = ms("PARLEY_REPLY_MAIL_DELAY_MS", c.conversation.reply_mail_delay_ms)?;
        if let Some(n) = ranged(
            get("PARLEY_MAIL_MINUTE_MS"),
            1..=u64::MAX,
            "PARLEY_MAIL_MINUTE_MS",
            "a whole number of milliseconds above 0",
        )? {
            c.mail_minute_ms = n;
        }
        for door in Door::ALL {
            if let Some(v) = get(door.variable()) {
                let w: Window = Window::parse(&v)
                    .ok_or_else(|| bad(door.variable(), v, "MAX/SECONDS, both above 0 (e.g. 5/600)"))?;
                c.limits.set(door, w);
            }
        }
        Ok(c)
    }

    /// The signing key, or an error naming the variable when it is unset.
    pub fn secret(&self) -> Result<&[u8], ConfigError> {
        self.secret.as_deref().map(str::as_bytes).ok_or(ConfigError {
            variable: "PARLEY_SECRET",
            value: String::new(),
            expected: "a secret of at least 16 characters (wrangler secret put PARLEY_SECRET)",
        })
    }

    /// The keys of `purpose` (derived from `PARLEY_SECRET` and, during a rotation,
    /// `PARLEY_SECRET_PREVIOUS`), or an error naming the variable when the secret is unset.
    pub fn keyring(&self, purpose: crate::keys::Purpose) -> Result<crate::keys::Keyring, ConfigError> {
        let previous = self.previous_secret.as_deref().map(str::as_bytes);
        Ok(crate::keys::Keyring::new(self.secret()?, previous, purpose))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::parse(|name| map.get(name).cloned())
    }

    #[test]
    fn unset_means_the_defaults() {
        let c = parse(&[]).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.tally_shards, limits::TALLY_SHARDS);
        assert_eq!(c.tally.flush_ms, limits::TALLY_FLUSH_MS);
        assert_eq!(c.tally.grace_ms, limits::INVITE_GRACE_MS);
        assert_eq!(c.conversation.session_timeout_ms, limits::SESSION_TIMEOUT_MS);
        assert_eq!(c.report_csv_page, REPORT_CSV_PAGE);
        assert_eq!(c.secret().unwrap_err().variable, "PARLEY_SECRET");
        assert_eq!(parse(&[("PARLEY_TALLY_SHARDS", "  ")]).unwrap(), Config::default(), "blank is unset");
    }

    #[test]
    fn every_variable_is_read() {
        let c = parse(&[
            ("PARLEY_SECRET", "0123456789abcdef"),
            ("PARLEY_SECRET_PREVIOUS", "fedcba9876543210"),
            ("PARLEY_VISITOR_RATE", "5/1"),
            ("PARLEY_SESSION_TIMEOUT_MS", "1000"),
            ("PARLEY_FORWARD_AFTER_MS", " 2000 "),
            ("PARLEY_OPERATOR_INACTIVITY_MS", "3000"),
            ("PARLEY_TALLY_SHARDS", "3"),
            ("PARLEY_D1_SHARDS", "2"),
            ("PARLEY_TALLY_FLUSH_MS", "4000"),
            ("PARLEY_INVITE_GRACE_MS", "5000"),
            ("PARLEY_REPORT_CSV_PAGE", "7"),
            ("PARLEY_SOCKET_RATE", "8/4"),
            ("PARLEY_CONVERSATION_CAP", "10/2000"),
            ("PARLEY_LIMIT_CHAT_ADDRESS", "3/60"),
            ("PARLEY_DEBUG_COST", "On"),
            ("PARLEY_CONSOLE_GONE_MS", "1500"),
            ("PARLEY_PUSH_SUBJECT", "mailto:ops@example.com"),
            ("PARLEY_PUSH_ALLOW_HTTP", "1"),
            ("PARLEY_MAIL_FROM", " chat@mail.example.com "),
            ("PARLEY_REPLY_MAIL_DELAY_MS", "1200"),
            ("PARLEY_MAIL_MINUTE_MS", "100"),
        ])
        .unwrap();
        assert_eq!(c.secret().unwrap(), b"0123456789abcdef");
        assert_eq!(c.conversation.visitor_rate, Rate { burst: 5, per_sec: 1 });
        assert_eq!(c.conversation.session_timeout_ms, 1000);
        assert_eq!((c.dispatch.forward_after_ms, c.dispatch.inactivity_ms), (2000, 3000));
        assert_eq!(c.tally_shards, 3);
        assert_eq!((c.d1_shards, Config::default().d1_shards), (2, limits::D1_SHARDS));
        assert_eq!(c.tally, crate::tally::Settings { flush_ms: 4000, grace_ms: 5000 });
        assert_eq!(c.report_csv_page, 7);
        assert_eq!(c.conversation.socket_rate, Rate { burst: 8, per_sec: 4 });
        assert_eq!((c.conversation.max_messages, c.conversation.max_bytes), (10, 2000));
        assert_eq!(c.limits.window(Door::ChatAddress), Window { max: 3, window_ms: 60_000 });
        assert_eq!(c.limits.window(Door::ChatVisitor), Door::ChatVisitor.default_window());
        assert!(c.debug_cost && !Config::default().debug_cost);
        assert!(!parse(&[("PARLEY_DEBUG_COST", "0")]).unwrap().debug_cost);
        assert_eq!(c.dispatch.console_gone_ms, 1500);
        assert_eq!((c.push_subject.as_str(), c.push_allow_http), ("mailto:ops@example.com", true));
        let d = Config::default();
        assert!(!d.push_allow_http, "plain-HTTP push endpoints are never on by default");
        assert_eq!(
            (d.push_subject.as_str(), d.dispatch.console_gone_ms),
            (limits::PUSH_SUBJECT, limits::CONSOLE_GONE_MS)
        );
        assert_eq!(c.mail_from.as_deref(), Some("chat@mail.example.com"));
        assert_eq!(Config::default().mail_from, None);
        assert_eq!((c.conversation.reply_mail_delay_ms, c.mail_minute_ms), (1200, 100));
        assert_eq!((d.conversation.reply_mail_delay_ms, d.mail_minute_ms), (limits::REPLY_MAIL_DELAY_MS, 60_000));
        assert_eq!(VARIABLES.len(), 20);
        let ring = c.keyring(crate::keys::Purpose::VisitorToken).unwrap();
        assert_eq!(
            ring.previous.unwrap().kid,
            crate::keys::Key::derive(b"fedcba9876543210", crate::keys::Purpose::VisitorToken).kid
        );
    }

    #[test]
    fn a_malformed_value_is_an_error_naming_its_variable() {
        let cases = [
            ("PARLEY_SECRET", "short"),
            ("PARLEY_VISITOR_RATE", "20"),
            ("PARLEY_VISITOR_RATE", "0/2"),
            ("PARLEY_SESSION_TIMEOUT_MS", "30m"),
            ("PARLEY_FORWARD_AFTER_MS", "-1"),
            ("PARLEY_OPERATOR_INACTIVITY_MS", "1e6"),
            ("PARLEY_TALLY_SHARDS", "0"),
            ("PARLEY_TALLY_SHARDS", "2000"),
            ("PARLEY_D1_SHARDS", "0"),
            ("PARLEY_D1_SHARDS", "257"),
            ("PARLEY_TALLY_FLUSH_MS", "ten"),
            ("PARLEY_INVITE_GRACE_MS", "1.5"),
            ("PARLEY_REPORT_CSV_PAGE", "1001"),
            ("PARLEY_SOCKET_RATE", "0/1"),
            ("PARLEY_CONVERSATION_CAP", "10"),
            ("PARLEY_CONVERSATION_CAP", "0/10"),
            ("PARLEY_LIMIT_CHAT_VISITOR", "5"),
            ("PARLEY_LIMIT_REPORT_ADDRESS", "0/60"),
            ("PARLEY_REPLY_MAIL_DELAY_MS", "1m"),
            ("PARLEY_MAIL_MINUTE_MS", "0"),
            ("PARLEY_DEBUG_COST", "yes please"),
            ("PARLEY_CONSOLE_GONE_MS", "soon"),
            ("PARLEY_PUSH_SUBJECT", "ops@example.com"),
            ("PARLEY_PUSH_ALLOW_HTTP", "maybe"),
            ("PARLEY_MAIL_FROM", "chat"),
            ("PARLEY_MAIL_FROM", "Chat <chat@example.com>"),
        ];
        for (name, value) in cases {
            let e = parse(&[(name, value)]).unwrap_err();
            assert_eq!(e.variable, name, "{value}");
            assert!(e.to_string().contains(name), "{e}");
        }
        let e = parse(&[("PARLEY_SECRET", "short")]).unwrap_err();
        assert!(!e.to_string().contains("short"), "the secret is never printed: {e}");
        let e = parse(&[("PARLEY_SECRET_PREVIOUS", "short")]).unwrap_err();
        assert!(e.variable == "PARLEY_SECRET_PREVIOUS" && !e.to_string().contains("short"), "{e}");
    }
}

//! Entry points: what can start a chat in a channel — its one chat button (the launcher) and
//! any number of auto-invites — as the console's admin API carries them, with the pure
//! validation of every field (the edge enforces it, the console shows the same errors).

use serde::{Deserialize, Serialize};

use crate::admin::{language_tag, FieldError};
use crate::invites::{Condition, Greeting, InviteSettings};
use crate::limits::{
    MAX_ENTRY_POINT_NAME_CHARS, MAX_GREETINGS, MAX_GREETING_CHARS, MAX_INVITE_CAP, MAX_INVITE_TIMEOUT_MS,
    MAX_RULE_CONDITIONS, MAX_RULE_DEPTH, MAX_RULE_PAGES, MAX_RULE_SECONDS, MAX_RULE_TEXT_CHARS, MIN_INVITE_TIMEOUT_MS,
};

type Valid<T> = Result<T, FieldError>;

/// The name a new channel's chat button gets.
pub const DEFAULT_BUTTON_NAME: &str = "Chat button";

/// The two kinds of entry point; `as_str` is the conversation's `requestType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Button,
    Invite,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Button => "button",
            EntryKind::Invite => "invite",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        match s {
            "button" => Some(EntryKind::Button),
            "invite" => Some(EntryKind::Invite),
            _ => None,
        }
    }
}

/// The id and name of an entry point, as the widget needs them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryPointRef {
    pub id: String,
    pub name: String,
}

/// An entry point as the console lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryPointView {
    pub id: String,
    pub channel_id: crate::ids::ChannelId,
    pub kind: EntryKind,
    pub name: String,
    /// Disabled invites never show; they stay listed for the reports.
    pub enabled: bool,
    /// The rule and texts of an auto-invite; `None` for the chat button.
    #[serde(default)]
    pub invite: Option<InviteSettings>,
    pub created_at: u64,
    pub updated_at: u64,
}

/// `GET /api/v1/console/channels/:id/entry-points`: the button first, then the invites in the
/// order they are tried.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryPointList {
    pub entry_points: Vec<EntryPointView>,
}

/// `POST /api/v1/console/channels/:id/entry-points` creates an auto-invite (`invite` required);
/// `POST /api/v1/console/entry-points/:id` edits one (the button takes only a new name).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryPointRequest {
    pub name: String,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub invite: Option<InviteSettings>,
}

/// An entry point's name, enabled flag and (for invites) settings, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidEntryPoint {
    pub name: String,
    pub enabled: bool,
    pub invite: Option<InviteSettings>,
}

impl EntryPointRequest {
    /// A new auto-invite: name and settings required, enabled unless told otherwise.
    pub fn validate_new(&self) -> Valid<ValidEntryPoint> {
        let name = entry_point_name(&self.name)?;
        let Some(invite) = &self.invite else {
            return Err(FieldError::new("invite", "An auto-invite needs its rule and greetings."));
        };
        Ok(ValidEntryPoint { name, enabled: self.enabled.unwrap_or(true), invite: Some(invite_settings(invite)?) })
    }

    /// An edit of `current`: what is absent stays. The chat button takes only a new name (it
    /// has no settings and cannot be disabled).
    pub fn apply(&self, current: &EntryPointView) -> Valid<ValidEntryPoint> {
        let name = entry_point_name(&self.name)?;
        match current.kind {
            EntryKind::Button => {
                if self.invite.is_some() {
                    return Err(FieldError::new(
                        "invite",
                        "The chat button has no invite rule; only its name can change.",
                    ));
                }
                if self.enabled == Some(false) {
                    return Err(FieldError::new("enabled", "The chat button cannot be disabled."));
                }
                Ok(ValidEntryPoint { name, enabled: true, invite: None })
            }
            EntryKind::Invite => {
                let invite = match (&self.invite, &current.invite) {
                    (Some(new), _) => invite_settings(new)?,
                    (None, Some(old)) => old.clone(),
                    (None, None) => {
                        return Err(FieldError::new("invite", "An auto-invite needs its rule and greetings."))
                    }
                };
                Ok(ValidEntryPoint { name, enabled: self.enabled.unwrap_or(current.enabled), invite: Some(invite) })
            }
        }
    }
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// A rule in one line, for lists: `page URL matches */pricing* and 3 s on the page`.
pub fn summary(c: &Condition) -> String {
    fn inner(c: &Condition, nested: bool) -> String {
        let group = |list: &[Condition], word: &str| {
            let parts: Vec<String> = list.iter().map(|c| inner(c, true)).collect();
            let joined = parts.join(word);
            if nested && parts.len() > 1 {
                format!("({joined})")
            } else {
                joined
            }
        };
        match c {
            Condition::PageUrl { glob } => format!("page URL matches {glob}"),
            Condition::TimeOnPageAtLeast { seconds } => format!("{seconds} s on the page"),
            Condition::TimeOnSiteAtLeast { seconds } => format!("{seconds} s on the site"),
            Condition::PagesViewedAtLeast { pages } => format!("{pages}+ pages viewed"),
            Condition::Returning { returning: true } => "returning visitor".to_owned(),
            Condition::Returning { returning: false } => "new visitor".to_owned(),
            Condition::ReferrerContains { text } if text.is_empty() => "no referrer".to_owned(),
            Condition::ReferrerContains { text } => format!("referrer contains {text}"),
            Condition::Language { any_of } => format!("language {}", any_of.join("/")),
            Condition::HourBetween { from, to } => format!("{from}:00–{to}:00"),
            Condition::Weekday { any_of } => {
                let days: Vec<&str> = any_of.iter().filter_map(|d| WEEKDAYS.get(usize::from(*d)).copied()).collect();
                format!("on {}", days.join(", "))
            }
            Condition::All { all } => group(all, " and "),
            Condition::Any { any } => group(any, " or "),
        }
    }
    inner(c, false)
}

/// An entry point's name: 1–80 characters after trimming.
pub fn entry_point_name(s: &str) -> Valid<String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(FieldError::new("name", "Give the entry point a name."));
    }
    if t.chars().count() > MAX_ENTRY_POINT_NAME_CHARS {
        return Err(FieldError::new("name", format!("Names are at most {MAX_ENTRY_POINT_NAME_CHARS} characters.")));
    }
    Ok(t.to_owned())
}

/// An auto-invite's settings, normalised (trimmed texts, canonical language tags, sorted
/// weekdays), or the first thing wrong with them.
pub fn invite_settings(s: &InviteSettings) -> Valid<InviteSettings> {
    let mut count = 0;
    let when = condition(&s.when, 1, &mut count)?;
    if !(MIN_INVITE_TIMEOUT_MS..=MAX_INVITE_TIMEOUT_MS).contains(&s.display_timeout_ms) {
        return Err(FieldError::new(
            "display_timeout_ms",
            format!(
                "The display timeout must be between {} seconds and {} minutes.",
                MIN_INVITE_TIMEOUT_MS / 1000,
                MAX_INVITE_TIMEOUT_MS / 60_000
            ),
        ));
    }
    if s.max_per_visitor > MAX_INVITE_CAP {
        return Err(FieldError::new(
            "max_per_visitor",
            format!("Show it at most {MAX_INVITE_CAP} times per visitor (0 means no limit)."),
        ));
    }
    Ok(InviteSettings {
        when,
        always_show: s.always_show,
        max_per_visitor: s.max_per_visitor,
        display_timeout_ms: s.display_timeout_ms,
        greetings: greetings(&s.greetings)?,
    })
}

fn greetings(list: &[Greeting]) -> Valid<Vec<Greeting>> {
    let err = |m: String| Err(FieldError::new("greetings", m));
    if list.is_empty() {
        return err("Write a greeting (the first one is used for every other language).".into());
    }
    if list.len() > MAX_GREETINGS {
        return err(format!("At most {MAX_GREETINGS} greetings (one per language)."));
    }
    let mut out: Vec<Greeting> = Vec::with_capacity(list.len());
    for g in list {
        let Some(language) = language_tag(&g.language) else {
            return err(format!(
                "\"{}\" is not a language code such as en, de or pt-BR.",
                g.language.trim().chars().take(40).collect::<String>()
            ));
        };
        if out.iter().any(|o| o.language.eq_ignore_ascii_case(&language)) {
            return err(format!("There are two greetings for {language}."));
        }
        let text = g.text.trim();
        if text.is_empty() {
            return err(format!("The {language} greeting is empty."));
        }
        if text.chars().count() > MAX_GREETING_CHARS {
            return err(format!("Greetings are at most {MAX_GREETING_CHARS} characters."));
        }
        out.push(Greeting { language, text: text.to_owned() });
    }
    Ok(out)
}

/// One condition of a rule checked on its own (the console checks each row of its editor so
/// the error shows next to that row); normalised like [`invite_settings`] does.
pub fn rule_condition(c: &Condition) -> Valid<Condition> {
    condition(c, 1, &mut 0)
}

fn condition(c: &Condition, depth: usize, count: &mut usize) -> Valid<Condition> {
    let err = |m: String| Err(FieldError::new("when", m));
    *count += 1;
    if *count > MAX_RULE_CONDITIONS {
        return err(format!("A rule has at most {MAX_RULE_CONDITIONS} conditions."));
    }
    let text = |t: &str, what: &str, allow_empty: bool| -> Valid<String> {
        let t = t.trim();
        if t.is_empty() && !allow_empty {
            return Err(FieldError::new("when", format!("The {what} is empty.")));
        }
        if t.chars().count() > MAX_RULE_TEXT_CHARS {
            return Err(FieldError::new("when", format!("The {what} is at most {MAX_RULE_TEXT_CHARS} characters.")));
        }
        Ok(t.to_owned())
    };
    let seconds = |n: u32, what: &str| -> Valid<u32> {
        if n > MAX_RULE_SECONDS {
            return Err(FieldError::new("when", format!("{what} is at most {MAX_RULE_SECONDS} seconds (a day).")));
        }
        Ok(n)
    };
    Ok(match c {
        Condition::PageUrl { glob } => Condition::PageUrl { glob: text(glob, "page URL pattern", false)? },
        Condition::TimeOnPageAtLeast { seconds: n } => {
            Condition::TimeOnPageAtLeast { seconds: seconds(*n, "Time on page")? }
        }
        Condition::TimeOnSiteAtLeast { seconds: n } => {
            Condition::TimeOnSiteAtLeast { seconds: seconds(*n, "Time on site")? }
        }
        Condition::PagesViewedAtLeast { pages } => {
            if !(1..=MAX_RULE_PAGES).contains(pages) {
                return err(format!("Pages viewed must be between 1 and {MAX_RULE_PAGES}."));
            }
            Condition::PagesViewedAtLeast { pages: *pages }
        }
        Condition::Returning { returning } => Condition::Returning { returning: *returning },
        Condition::ReferrerContains { text: t } => {
            Condition::ReferrerContains { text: text(t, "referrer text", true)? }
        }
        Condition::Language { any_of } => {
            let mut tags: Vec<String> = Vec::new();
            for l in any_of.iter().filter(|l| !l.trim().is_empty()) {
                let Some(tag) = language_tag(l) else {
                    return err(format!(
                        "\"{}\" is not a language code such as en, de or pt-BR.",
                        l.trim().chars().take(40).collect::<String>()
                    ));
                };
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
            if tags.is_empty() {
                return err("Name at least one visitor language.".into());
            }
            Condition::Language { any_of: tags }
        }
        Condition::HourBetween { from, to } => {
            if *from > 23 || *to > 24 {
                return err("Hours run from 0 to 23 (\"to\" may be 24, the end of the day).".into());
            }
            if from == to {
                return err("The hours \"from\" and \"to\" must differ.".into());
            }
            Condition::HourBetween { from: *from, to: *to }
        }
        Condition::Weekday { any_of } => {
            let mut days = any_of.clone();
            days.sort_unstable();
            days.dedup();
            if days.is_empty() {
                return err("Choose at least one weekday.".into());
            }
            if days.iter().any(|d| *d > 6) {
                return err("Weekdays run from 0 (Monday) to 6 (Sunday).".into());
            }
            Condition::Weekday { any_of: days }
        }
        Condition::All { all: list } | Condition::Any { any: list } => {
            if depth >= MAX_RULE_DEPTH {
                return err(format!("Groups nest at most {MAX_RULE_DEPTH} deep."));
            }
            if list.is_empty() {
                return err("A group needs at least one condition.".into());
            }
            let inner = list.iter().map(|c| condition(c, depth + 1, count)).collect::<Valid<Vec<_>>>()?;
            if matches!(c, Condition::All { .. }) {
                Condition::All { all: inner }
            } else {
                Condition::Any { any: inner }
            }
        }
    })
}

/// An IANA time zone name as written (`UTC`, `Europe/Berlin`, `America/Argentina/Buenos_Aires`):
/// checked for shape only here (the edge checks the name exists with the runtime's `Intl`).
pub fn time_zone(s: &str) -> Valid<String> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.len() <= 64
        && t.split('/').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
        });
    if ok {
        Ok(t.to_owned())
    } else {
        Err(FieldError::new("time_zone", "Use a time zone name such as UTC or Europe/Berlin."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(when: Condition) -> InviteSettings {
        InviteSettings {
            when,
            always_show: false,
            max_per_visitor: 2,
            display_timeout_ms: 30_000,
            greetings: vec![Greeting { language: " EN ".into(), text: " Need help with pricing? ".into() }],
        }
    }

    fn field_of(r: Valid<InviteSettings>) -> String {
        r.unwrap_err().field
    }

    #[test]
    fn valid_settings_are_normalised() {
        let s = settings(Condition::All {
            all: vec![
                Condition::PageUrl { glob: " */pricing* ".into() },
                Condition::TimeOnPageAtLeast { seconds: 3 },
                Condition::Language { any_of: vec!["pt_br".into(), "".into(), "PT-BR".into()] },
                Condition::Weekday { any_of: vec![4, 0, 4] },
            ],
        });
        let v = invite_settings(&s).unwrap();
        let Condition::All { all } = &v.when else { panic!() };
        assert_eq!(all[0], Condition::PageUrl { glob: "*/pricing*".into() });
        assert_eq!(all[2], Condition::Language { any_of: vec!["pt-BR".into()] });
        assert_eq!(all[3], Condition::Weekday { any_of: vec![0, 4] });
        assert_eq!(v.greetings[0], Greeting { language: "en".into(), text: "Need help with pricing?".into() });
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = [
            Condition::PageUrl { glob: "  ".into() },
            Condition::TimeOnPageAtLeast { seconds: MAX_RULE_SECONDS + 1 },
            Condition::PagesViewedAtLeast { pages: 0 },
            Condition::Language { any_of: vec!["english!".into()] },
            Condition::Language { any_of: vec![] },
            Condition::HourBetween { from: 24, to: 2 },
            Condition::HourBetween { from: 5, to: 5 },
            Condition::Weekday { any_of: vec![7] },
            Condition::Weekday { any_of: vec![] },
            Condition::Any { any: vec![] },
            Condition::All { all: vec![Condition::Any { any: vec![Condition::All { all: vec![] }] }] },
            Condition::Any { any: vec![Condition::Returning { returning: true }; MAX_RULE_CONDITIONS] },
        ];
        for c in bad {
            assert_eq!(field_of(invite_settings(&settings(c.clone()))), "when", "{c:?}");
        }
        let ok = Condition::Returning { returning: true };
        let mut s = settings(ok.clone());
        s.display_timeout_ms = 500;
        assert_eq!(field_of(invite_settings(&s)), "display_timeout_ms");
        let mut s = settings(ok.clone());
        s.max_per_visitor = MAX_INVITE_CAP + 1;
        assert_eq!(field_of(invite_settings(&s)), "max_per_visitor");
        for greetings in [
            vec![],
            vec![Greeting { language: "xx-".into(), text: "Hi".into() }],
            vec![Greeting { language: "en".into(), text: " ".into() }],
            vec![
                Greeting { language: "en".into(), text: "Hi".into() },
                Greeting { language: "EN".into(), text: "Yo".into() },
            ],
            vec![Greeting { language: "en".into(), text: "x".repeat(MAX_GREETING_CHARS + 1) }],
        ] {
            let mut s = settings(ok.clone());
            s.greetings = greetings;
            assert_eq!(field_of(invite_settings(&s)), "greetings");
        }
        assert_eq!(entry_point_name(" ").unwrap_err().field, "name");
        assert_eq!(entry_point_name(&"n".repeat(81)).unwrap_err().field, "name");
        assert_eq!(entry_point_name(" Pricing help ").unwrap(), "Pricing help");
    }

    #[test]
    fn greeting_follows_the_visitor_language() {
        let mut s = settings(Condition::Returning { returning: false });
        s.greetings.push(Greeting { language: "de".into(), text: "Hallo".into() });
        assert_eq!(s.greeting_for("de-AT"), "Hallo");
        assert_eq!(s.greeting_for("vi"), " Need help with pricing? ", "unknown language: the first greeting");
    }

    #[test]
    fn requests_for_new_and_edited_entry_points() {
        let s = settings(Condition::TimeOnPageAtLeast { seconds: 8 });
        let req = EntryPointRequest { name: " Welcome ".into(), enabled: None, invite: Some(s.clone()) };
        let v = req.validate_new().unwrap();
        assert_eq!((v.name.as_str(), v.enabled), ("Welcome", true));
        assert_eq!(v.invite.unwrap().greetings[0].language, "en");
        let no_invite = EntryPointRequest { invite: None, ..req.clone() };
        assert_eq!(no_invite.validate_new().unwrap_err().field, "invite");
        let mut bad = s.clone();
        bad.when = Condition::PageUrl { glob: "".into() };
        assert_eq!(EntryPointRequest { invite: Some(bad), ..req.clone() }.validate_new().unwrap_err().field, "when");

        let button = EntryPointView {
            id: "btn_demo".into(),
            channel_id: "demo".into(),
            kind: EntryKind::Button,
            name: "Chat button".into(),
            enabled: true,
            invite: None,
            created_at: 1,
            updated_at: 1,
        };
        let rename = EntryPointRequest { name: "Launcher".into(), enabled: None, invite: None };
        assert_eq!(
            rename.apply(&button).unwrap(),
            ValidEntryPoint { name: "Launcher".into(), enabled: true, invite: None }
        );
        assert_eq!(req.apply(&button).unwrap_err().field, "invite");
        let off = EntryPointRequest { enabled: Some(false), ..rename.clone() };
        assert_eq!(off.apply(&button).unwrap_err().field, "enabled");

        let invite = EntryPointView {
            kind: EntryKind::Invite,
            invite: Some(invite_settings(&s).unwrap()),
            enabled: false,
            ..button.clone()
        };
        let kept = rename.apply(&invite).unwrap();
        assert_eq!((kept.enabled, kept.invite), (false, invite.invite.clone()), "absent fields stay");
        let on = EntryPointRequest { enabled: Some(true), ..rename.clone() };
        assert!(on.apply(&invite).unwrap().enabled);
        assert_eq!(EntryPointRequest { name: " ".into(), ..rename }.apply(&invite).unwrap_err().field, "name");
    }

    #[test]
    fn one_condition_alone() {
        assert_eq!(
            rule_condition(&Condition::PageUrl { glob: " */p* ".into() }),
            Ok(Condition::PageUrl { glob: "*/p*".into() })
        );
        assert_eq!(
            rule_condition(&Condition::PageUrl { glob: "".into() }).unwrap_err().message,
            "The page URL pattern is empty."
        );
    }

    #[test]
    fn one_line_summaries() {
        let c = Condition::All {
            all: vec![
                Condition::PageUrl { glob: "*/pricing*".into() },
                Condition::TimeOnPageAtLeast { seconds: 3 },
                Condition::Any {
                    any: vec![
                        Condition::Language { any_of: vec!["de".into(), "fr".into()] },
                        Condition::Weekday { any_of: vec![5, 6] },
                    ],
                },
            ],
        };
        assert_eq!(summary(&c), "page URL matches */pricing* and 3 s on the page and (language de/fr or on Sat, Sun)");
        assert_eq!(summary(&Condition::ReferrerContains { text: String::new() }), "no referrer");
        assert_eq!(summary(&Condition::HourBetween { from: 22, to: 6 }), "22:00–6:00");
    }

    #[test]
    fn time_zone_names() {
        for ok in ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+2"] {
            assert_eq!(time_zone(ok).unwrap(), ok);
        }
        for bad in ["", "Europe//Berlin", "Europe/Berlin; DROP", "/UTC"] {
            assert!(time_zone(bad).is_err(), "{bad}");
        }
    }
}

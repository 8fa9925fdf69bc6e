//! Automatic invites (pure): the rule engine the widget runs on the visitor's own signals, and
//! the funnel one shown invite goes through. Groundwork of the invites issue: nothing calls it
//! yet (no widget, edge or console wiring, no tallies).
//!
//! A rule is a tree of conditions combined with AND/OR. Time of day and weekday are in the
//! channel's time zone, computed by the caller (the browser's `Intl` can), so this module
//! needs no time-zone data. Funnel (SPEC "Invite funnel"): every match is either cancelled or
//! shown; every shown invite ends in exactly one of accepted / declined / ignored / expired.

use serde::{Deserialize, Serialize};

/// What the widget knows about the visitor when it evaluates rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Signals<'a> {
    /// The page's URL (full, as `location.href`).
    pub url: &'a str,
    pub referrer: &'a str,
    /// Browser language, e.g. `pt-BR`.
    pub language: &'a str,
    pub ms_on_page: u64,
    pub ms_on_site: u64,
    /// Pages viewed in this session, the current one included.
    pub pages_this_session: u32,
    /// Seen on the site in an earlier session.
    pub returning: bool,
    /// Local hour (0–23) and weekday (0 = Monday … 6 = Sunday) in the channel's time zone.
    pub hour: u8,
    pub weekday: u8,
}

/// One condition of a rule. On the wire `{"if": "<kind>", ..fields}`; read through
/// [`ConditionWire`] (one flat struct) rather than serde's internally tagged enum code, which
/// buffers every value first and costs the widget tens of kilobytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "if", rename_all = "snake_case", try_from = "ConditionWire")]
pub enum Condition {
    /// The page URL matches a glob (`*` any run of characters, `?` one character), compared
    /// ASCII-case-insensitively with the full URL.
    PageUrl {
        glob: String,
    },
    TimeOnPageAtLeast {
        seconds: u32,
    },
    TimeOnSiteAtLeast {
        seconds: u32,
    },
    PagesViewedAtLeast {
        pages: u32,
    },
    Returning {
        returning: bool,
    },
    /// The referrer contains this text (ASCII-case-insensitive); empty text means "no referrer".
    ReferrerContains {
        text: String,
    },
    /// The visitor's language has one of these primary subtags (`en` matches `en-GB`).
    Language {
        any_of: Vec<String>,
    },
    /// From `from` (inclusive) to `to` (exclusive); `from > to` wraps past midnight.
    HourBetween {
        from: u8,
        to: u8,
    },
    Weekday {
        any_of: Vec<u8>,
    },
    All {
        all: Vec<Condition>,
    },
    Any {
        any: Vec<Condition>,
    },
}

/// Every field any condition has, all optional; [`Condition`]'s reading.
#[derive(Deserialize)]
pub struct ConditionWire {
    #[serde(rename = "if")]
    kind: String,
    glob: Option<String>,
    seconds: Option<u32>,
    pages: Option<u32>,
    returning: Option<bool>,
    text: Option<String>,
    any_of: Option<Vec<crate::wire::StrOrNum>>,
    from: Option<u8>,
    to: Option<u8>,
    all: Option<Vec<Condition>>,
    any: Option<Vec<Condition>>,
}

impl TryFrom<ConditionWire> for Condition {
    type Error = String;

    fn try_from(w: ConditionWire) -> Result<Self, String> {
        use crate::wire::need;
        Ok(match w.kind.as_str() {
            "page_url" => Condition::PageUrl { glob: need(w.glob, "glob")? },
            "time_on_page_at_least" => Condition::TimeOnPageAtLeast { seconds: need(w.seconds, "seconds")? },
            "time_on_site_at_least" => Condition::TimeOnSiteAtLeast { seconds: need(w.seconds, "seconds")? },
            "pages_viewed_at_least" => Condition::PagesViewedAtLeast { pages: need(w.pages, "pages")? },
            "returning" => Condition::Returning { returning: need(w.returning, "returning")? },
            "referrer_contains" => Condition::ReferrerContains { text: need(w.text, "text")? },
            "language" => Condition::Language {
                any_of: need(w.any_of, "any_of")?.into_iter().map(|x| x.into_str()).collect::<Result<_, _>>()?,
            },
            "hour_between" => Condition::HourBetween { from: need(w.from, "from")?, to: need(w.to, "to")? },
            "weekday" => Condition::Weekday {
                any_of: need(w.any_of, "any_of")?.into_iter().map(|x| x.into_u8()).collect::<Result<_, _>>()?,
            },
            "all" => Condition::All { all: need(w.all, "all")? },
            "any" => Condition::Any { any: need(w.any, "any")? },
            other => return Err(["unknown condition `", other, "`"].concat()),
        })
    }
}

impl Condition {
    pub fn holds(&self, s: &Signals) -> bool {
        match self {
            // ASCII case-folding: URLs and referrers are ASCII (percent-encoded, punycode), and it
            // keeps Unicode case tables out of the widget.
            Condition::PageUrl { glob } => glob_match(&glob.to_ascii_lowercase(), &s.url.to_ascii_lowercase()),
            Condition::TimeOnPageAtLeast { seconds } => s.ms_on_page >= u64::from(*seconds) * 1000,
            Condition::TimeOnSiteAtLeast { seconds } => s.ms_on_site >= u64::from(*seconds) * 1000,
            Condition::PagesViewedAtLeast { pages } => s.pages_this_session >= *pages,
            Condition::Returning { returning } => s.returning == *returning,
            Condition::ReferrerContains { text } if text.is_empty() => s.referrer.is_empty(),
            Condition::ReferrerContains { text } => {
                s.referrer.to_ascii_lowercase().contains(&text.to_ascii_lowercase())
            }
            Condition::Language { any_of } => {
                let want = crate::i18n::primary(s.language);
                any_of.iter().any(|l| crate::i18n::primary(l).eq_ignore_ascii_case(want))
            }
            Condition::HourBetween { from, to } if from <= to => (*from..*to).contains(&s.hour),
            Condition::HourBetween { from, to } => s.hour >= *from || s.hour < *to,
            Condition::Weekday { any_of } => any_of.contains(&s.weekday),
            Condition::All { all } => all.iter().all(|c| c.holds(s)),
            Condition::Any { any } => any.iter().any(|c| c.holds(s)),
        }
    }

    /// When the condition can next become true on this page just by waiting (the time
    /// conditions), in ms from now; `None` if waiting cannot make it hold.
    pub fn wait_ms(&self, s: &Signals) -> Option<u64> {
        let until = |have: u64, need: u32| Some((u64::from(need) * 1000).saturating_sub(have));
        match self {
            Condition::TimeOnPageAtLeast { seconds } => until(s.ms_on_page, *seconds),
            Condition::TimeOnSiteAtLeast { seconds } => until(s.ms_on_site, *seconds),
            Condition::All { all } => {
                all.iter()
                    .try_fold(0, |acc: u64, c| if c.holds(s) { Some(acc) } else { c.wait_ms(s).map(|w| acc.max(w)) })
            }
            Condition::Any { any } => any.iter().filter_map(|c| if c.holds(s) { Some(0) } else { c.wait_ms(s) }).min(),
            other => other.holds(s).then_some(0),
        }
    }
}

/// `*` matches any run of characters (also none), `?` exactly one; everything else itself.
pub fn glob_match(glob: &str, text: &str) -> bool {
    let (g, t): (Vec<char>, Vec<char>) = (glob.chars().collect(), text.chars().collect());
    let (mut gi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if gi < g.len() && (g[gi] == '?' || g[gi] == t[ti]) {
            gi += 1;
            ti += 1;
        } else if gi < g.len() && g[gi] == '*' {
            star = Some((gi, ti));
            gi += 1;
        } else if let Some((sg, st)) = star {
            gi = sg + 1;
            ti = st + 1;
            star = Some((sg, st + 1));
        } else {
            return false;
        }
    }
    g[gi..].iter().all(|c| *c == '*')
}

/// A greeting in one language (the first of a rule's greetings is its default).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Greeting {
    pub language: String,
    pub text: String,
}

/// What an auto-invite entry point does: when it shows, how often, for how long, saying what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteSettings {
    pub when: Condition,
    /// Show even when no operator is available (then never "cancelled").
    #[serde(default)]
    pub always_show: bool,
    /// Shown at most this many times per visitor (0 = no cap).
    #[serde(default)]
    pub max_per_visitor: u32,
    /// An unanswered invite expires after this long.
    pub display_timeout_ms: u64,
    /// One per language; the first is the default.
    pub greetings: Vec<Greeting>,
}

/// An invite rule as the widget receives it: the auto-invite's id and name, and its settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub invite: InviteSettings,
}

impl InviteSettings {
    /// The greeting in the visitor's language (primary subtag), else the default (the first).
    pub fn greeting_for(&self, language: &str) -> &str {
        let want = crate::i18n::primary(language);
        self.greetings
            .iter()
            .find(|g| crate::i18n::primary(&g.language).eq_ignore_ascii_case(want))
            .or(self.greetings.first())
            .map_or("", |g| g.text.as_str())
    }
}

/// The first rule that matches now and has not reached its cap for this visitor.
/// `shown_before(rule_id)` says how many times the visitor was shown that rule.
pub fn first_match<'r>(rules: &'r [Rule], s: &Signals, shown_before: impl Fn(&str) -> u32) -> Option<&'r Rule> {
    rules.iter().find(|r| {
        (r.invite.max_per_visitor == 0 || shown_before(&r.id) < r.invite.max_per_visitor) && r.invite.when.holds(s)
    })
}

/// The soonest time (ms from now) any rule not yet capped could match on this page by waiting;
/// `None` when none can. The widget sets one timer for it instead of polling.
pub fn next_check_ms(rules: &[Rule], s: &Signals, shown_before: impl Fn(&str) -> u32) -> Option<u64> {
    rules
        .iter()
        .filter(|r| r.invite.max_per_visitor == 0 || shown_before(&r.id) < r.invite.max_per_visitor)
        .filter_map(|r| r.invite.when.wait_ms(s))
        .min()
}

/// The funnel events of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunnelEvent {
    Match,
    Cancelled,
    Proactive,
    Accepted,
    Declined,
    Ignored,
    Expired,
    NoAvailability,
}

/// One invite's way through the funnel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Invite {
    Matched,
    Shown {
        since_ms: u64,
    },
    /// Ended (cancelled, accepted, declined, ignored or expired); nothing more is counted.
    Done,
}

/// What happened to an invite, as the widget (or the edge's timeout) observes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observed {
    /// Asked whether an operator can take a chat: the answer.
    Availability {
        available: bool,
        always_show: bool,
        now_ms: u64,
    },
    Clicked,
    Closed,
    /// The visitor left the page (page hide).
    Left,
    Tick {
        now_ms: u64,
        timeout_ms: u64,
    },
}

impl Invite {
    /// A rule matched: the first event.
    pub fn matched() -> (Invite, FunnelEvent) {
        (Invite::Matched, FunnelEvent::Match)
    }

    /// The next state and the events to count; events that do not apply change nothing.
    pub fn on(self, o: Observed) -> (Invite, Vec<FunnelEvent>) {
        use FunnelEvent as E;
        match (self, o) {
            (Invite::Matched, Observed::Availability { available, always_show, now_ms }) => {
                if available || always_show {
                    (Invite::Shown { since_ms: now_ms }, vec![E::Proactive])
                } else {
                    (Invite::Done, vec![E::Cancelled])
                }
            }
            (Invite::Shown { .. }, Observed::Clicked) => (Invite::Done, vec![E::Accepted]),
            (Invite::Shown { .. }, Observed::Closed) => (Invite::Done, vec![E::Declined]),
            (Invite::Shown { .. }, Observed::Left) => (Invite::Done, vec![E::Ignored]),
            (Invite::Shown { since_ms }, Observed::Tick { now_ms, timeout_ms })
                if now_ms.saturating_sub(since_ms) >= timeout_ms =>
            {
                (Invite::Done, vec![E::Expired])
            }
            (state, _) => (state, Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_keep_their_wire_format() {
        let every = Condition::Any {
            any: vec![
                Condition::PageUrl { glob: "*/pricing*".into() },
                Condition::TimeOnPageAtLeast { seconds: 3 },
                Condition::TimeOnSiteAtLeast { seconds: 60 },
                Condition::PagesViewedAtLeast { pages: 2 },
                Condition::Returning { returning: true },
                Condition::ReferrerContains { text: "google".into() },
                Condition::Language { any_of: vec!["de".into(), "fr".into()] },
                Condition::HourBetween { from: 22, to: 6 },
                Condition::Weekday { any_of: vec![0, 6] },
                Condition::All { all: vec![Condition::Returning { returning: false }] },
            ],
        };
        let json = serde_json::to_string(&every).unwrap();
        assert!(json.starts_with(r#"{"if":"any","any":[{"if":"page_url","glob":"*/pricing*"}"#), "{json}");
        assert!(json.contains(r#"{"if":"weekday","any_of":[0,6]}"#), "{json}");
        assert_eq!(serde_json::from_str::<Condition>(&json).unwrap(), every);
        // The tag may come anywhere; unknown fields are ignored as before.
        let c: Condition = serde_json::from_str(r#"{"seconds":5,"x":1,"if":"time_on_page_at_least"}"#).unwrap();
        assert_eq!(c, Condition::TimeOnPageAtLeast { seconds: 5 });
        for bad in [
            r#"{"if":"page_url"}"#,
            r#"{"if":"sometimes"}"#,
            r#"{"glob":"x"}"#,
            r#"{"if":"weekday","any_of":["mon"]}"#,
            r#"{"if":"weekday","any_of":[300]}"#,
            r#"{"if":"language","any_of":[1]}"#,
            r#"{"if":"hour_between","from":-1,"to":3}"#,
            r#"{"if":"all","all":[{"if":"nope"}]}"#,
        ] {
            assert!(serde_json::from_str::<Condition>(bad).is_err(), "{bad}");
        }
    }

    fn signals() -> Signals<'static> {
        Signals {
            url: "https://shop.example/pricing?plan=pro",
            referrer: "https://www.google.com/",
            language: "de-AT",
            ms_on_page: 3_000,
            ms_on_site: 60_000,
            pages_this_session: 2,
            returning: true,
            hour: 22,
            weekday: 5,
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("*/pricing*", "https://shop.example/pricing?plan=pro"));
        assert!(glob_match("https://shop.example/*", "https://shop.example/"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(!glob_match("*/pricing", "https://shop.example/pricing?plan=pro"));
        assert!(glob_match("*a*b*c*", "xxaxxbxxcxx"));
        assert!(!glob_match("*a*b*c*", "xxaxxcxxbxx"));
    }

    #[test]
    fn every_condition() {
        let s = signals();
        let yes = [
            Condition::PageUrl { glob: "*/PRICING*".into() },
            Condition::TimeOnPageAtLeast { seconds: 3 },
            Condition::TimeOnSiteAtLeast { seconds: 60 },
            Condition::PagesViewedAtLeast { pages: 2 },
            Condition::Returning { returning: true },
            Condition::ReferrerContains { text: "Google".into() },
            Condition::Language { any_of: vec!["fr".into(), "de".into()] },
            Condition::HourBetween { from: 20, to: 2 },
            Condition::Weekday { any_of: vec![5, 6] },
        ];
        for c in &yes {
            assert!(c.holds(&s), "{c:?}");
        }
        let no = [
            Condition::PageUrl { glob: "*/checkout*".into() },
            Condition::TimeOnPageAtLeast { seconds: 4 },
            Condition::TimeOnSiteAtLeast { seconds: 61 },
            Condition::PagesViewedAtLeast { pages: 3 },
            Condition::Returning { returning: false },
            Condition::ReferrerContains { text: String::new() },
            Condition::Language { any_of: vec!["en".into()] },
            Condition::HourBetween { from: 9, to: 17 },
            Condition::Weekday { any_of: vec![0, 1, 2, 3, 4] },
        ];
        for c in &no {
            assert!(!c.holds(&s), "{c:?}");
        }
        assert!(Condition::All { all: yes.to_vec() }.holds(&s));
        assert!(!Condition::All { all: vec![yes[0].clone(), no[0].clone()] }.holds(&s));
        assert!(Condition::Any { any: vec![no[0].clone(), yes[1].clone()] }.holds(&s));
        assert!(!Condition::Any { any: no.to_vec() }.holds(&s));
    }

    #[test]
    fn waiting_tells_when_time_conditions_will_hold() {
        let s = Signals { ms_on_page: 1_200, ..signals() };
        let on_pricing_after_3s = Condition::All {
            all: vec![Condition::PageUrl { glob: "*/pricing*".into() }, Condition::TimeOnPageAtLeast { seconds: 3 }],
        };
        assert!(!on_pricing_after_3s.holds(&s));
        assert_eq!(on_pricing_after_3s.wait_ms(&s), Some(1_800));
        let elsewhere = Signals { url: "https://shop.example/", ..s.clone() };
        assert_eq!(on_pricing_after_3s.wait_ms(&elsewhere), None, "waiting does not change the page");
    }

    #[test]
    fn frequency_cap_and_first_match() {
        let rule = |id: &str, glob: &str, cap| Rule {
            id: id.into(),
            name: id.into(),
            invite: InviteSettings {
                when: Condition::PageUrl { glob: glob.into() },
                always_show: false,
                max_per_visitor: cap,
                display_timeout_ms: 30_000,
                greetings: vec![Greeting { language: "en".into(), text: "Hi".into() }],
            },
        };
        let rules = [rule("r1", "*/pricing*", 1), rule("r2", "*", 0)];
        let s = signals();
        assert_eq!(first_match(&rules, &s, |_| 0).map(|r| r.id.as_str()), Some("r1"));
        assert_eq!(first_match(&rules, &s, |id| u32::from(id == "r1")).map(|r| r.id.as_str()), Some("r2"));
    }

    #[test]
    fn funnel_paths_end_once() {
        let (m, e) = Invite::matched();
        assert_eq!(e, FunnelEvent::Match);
        let avail = |available, always_show| Observed::Availability { available, always_show, now_ms: 100 };
        assert_eq!(m.on(avail(false, false)), (Invite::Done, vec![FunnelEvent::Cancelled]));
        let (shown, e) = m.on(avail(false, true));
        assert_eq!(e, vec![FunnelEvent::Proactive], "always show");
        assert_eq!(shown.on(Observed::Clicked).1, vec![FunnelEvent::Accepted]);
        assert_eq!(shown.on(Observed::Closed).1, vec![FunnelEvent::Declined]);
        assert_eq!(shown.on(Observed::Left).1, vec![FunnelEvent::Ignored]);
        assert_eq!(shown.on(Observed::Tick { now_ms: 30_099, timeout_ms: 30_000 }).1, vec![]);
        let (done, e) = shown.on(Observed::Tick { now_ms: 30_100, timeout_ms: 30_000 });
        assert_eq!(e, vec![FunnelEvent::Expired]);
        // Once ended, nothing more is counted.
        for o in [Observed::Clicked, Observed::Closed, Observed::Left, avail(true, false)] {
            assert_eq!(done.on(o), (Invite::Done, vec![]));
        }
    }
}

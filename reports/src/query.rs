//! Which report, over which period, with which filters: one [`ReportQuery`], the same for the
//! console's JSON view, the CSV download and a public link (whose signature covers its
//! [canonical form](ReportQuery::canonical)).
//!
//! The query string: `report` is in the path; `from` and `to` are ms since the epoch (`to`
//! excluded) or local dates `YYYY-MM-DD` in the query's zone (`from` = the start of that day,
//! `to` = the start of the day after: both days included; resolved to ms by the edge, so the
//! canonical form always has ms); `tz` an IANA zone name (default: the account's); then the optional filters
//! `channel`, `host`, `page`, `operator`, `status`, `tag`, `category`, `entry_point`, and two
//! report options: `sla` (minutes, the SLA-X of "by operator", default 1) and `group`
//! (the grouping of "session statistics": `day`, `hour` or `rating`, default `day`).

use serde::{Deserialize, Serialize};

use super::facts::{ConversationFact, Status};
use crate::admin::FieldError;

type Valid<T> = Result<T, FieldError>;

/// Longest period a report covers.
pub const MAX_REPORT_DAYS: u64 = 366;
const DAY_MS: u64 = 24 * 60 * 60 * 1000;
/// Longest filter value.
const MAX_FILTER_LEN: usize = 200;
/// Largest SLA threshold, in minutes.
pub const MAX_SLA_MINUTES: u32 = 24 * 60;

/// Every report of the spec, by family (seed): `001` CSV exports, `000` session reports, `003`
/// conversation statistics, `002` productivity and phrases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportId {
    // 001
    AgentActivity,
    AgentPerformance,
    Agents,
    Conversations,
    Invites,
    Hosts,
    Traffic,
    Slots,
    // 000
    Sessions,
    SessionStatistics,
    OperatorAnalysis,
    Ratings,
    // 003
    Overview,
    ByOperator,
    ByHour,
    ByDate,
    ByChannel,
    WorkingTime,
    MessageHistory,
    Tags,
    // 002
    Productivity,
    WebPages,
    PopularPhrases,
    VisitorPhrases,
}

impl ReportId {
    pub const ALL: [ReportId; 24] = [
        ReportId::AgentActivity,
        ReportId::AgentPerformance,
        ReportId::Agents,
        ReportId::Conversations,
        ReportId::Invites,
        ReportId::Hosts,
        ReportId::Traffic,
        ReportId::Slots,
        ReportId::Sessions,
        ReportId::SessionStatistics,
        ReportId::OperatorAnalysis,
        ReportId::Ratings,
        ReportId::Overview,
        ReportId::ByOperator,
        ReportId::ByHour,
        ReportId::ByDate,
        ReportId::ByChannel,
        ReportId::WorkingTime,
        ReportId::MessageHistory,
        ReportId::Tags,
        ReportId::Productivity,
        ReportId::WebPages,
        ReportId::PopularPhrases,
        ReportId::VisitorPhrases,
    ];

    /// The name in URLs and file names (`conversations` → `conversations.csv`).
    pub fn slug(self) -> &'static str {
        match self {
            ReportId::AgentActivity => "agent_activity",
            ReportId::AgentPerformance => "agent_performance",
            ReportId::Agents => "agents",
            ReportId::Conversations => "conversations",
            ReportId::Invites => "invites",
            ReportId::Hosts => "hosts",
            ReportId::Traffic => "traffic",
            ReportId::Slots => "slots",
            ReportId::Sessions => "sessions",
            ReportId::SessionStatistics => "session_statistics",
            ReportId::OperatorAnalysis => "operator_analysis",
            ReportId::Ratings => "ratings",
            ReportId::Overview => "overview",
            ReportId::ByOperator => "by_operator",
            ReportId::ByHour => "by_hour",
            ReportId::ByDate => "by_date",
            ReportId::ByChannel => "by_channel",
            ReportId::WorkingTime => "working_time",
            ReportId::MessageHistory => "message_history",
            ReportId::Tags => "tags",
            ReportId::Productivity => "productivity",
            ReportId::WebPages => "web_pages",
            ReportId::PopularPhrases => "popular_phrases",
            ReportId::VisitorPhrases => "visitor_phrases",
        }
    }

    pub fn from_slug(s: &str) -> Option<ReportId> {
        ReportId::ALL.into_iter().find(|r| r.slug() == s)
    }

    /// The title the console shows.
    pub fn title(self) -> &'static str {
        match self {
            ReportId::AgentActivity => "Agent activity",
            ReportId::AgentPerformance => "Agent performance",
            ReportId::Agents => "Agents",
            ReportId::Conversations => "Conversations",
            ReportId::Invites => "Automatic invites",
            ReportId::Hosts => "Hosts",
            ReportId::Traffic => "Traffic",
            ReportId::Slots => "Slots",
            ReportId::Sessions => "Sessions history",
            ReportId::SessionStatistics => "Session statistics",
            ReportId::OperatorAnalysis => "Operator analysis",
            ReportId::Ratings => "Ratings",
            ReportId::Overview => "Overview",
            ReportId::ByOperator => "Statistics by operator",
            ReportId::ByHour => "Statistics by hour",
            ReportId::ByDate => "Statistics by date",
            ReportId::ByChannel => "Statistics by channel",
            ReportId::WorkingTime => "Working time",
            ReportId::MessageHistory => "Message history",
            ReportId::Tags => "Tags",
            ReportId::Productivity => "Productivity",
            ReportId::WebPages => "Web pages visited",
            ReportId::PopularPhrases => "Popular phrases",
            ReportId::VisitorPhrases => "Visitor phrases",
        }
    }

    /// The console's group heading (the seed the report comes from).
    pub fn family(self) -> &'static str {
        use ReportId::*;
        match self {
            AgentActivity | AgentPerformance | Agents | Conversations | Invites | Hosts | Traffic | Slots => "Exports",
            Sessions | SessionStatistics | OperatorAnalysis | Ratings => "Sessions",
            Overview | ByOperator | ByHour | ByDate | ByChannel | WorkingTime | MessageHistory | Tags => "Statistics",
            Productivity | WebPages | PopularPhrases | VisitorPhrases => "Productivity",
        }
    }
}

/// The conversation status filter (seed 002).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    #[default]
    All,
    /// Still going (`waiting` or `active`).
    Active,
    Closed,
    /// An operator had it but never wrote in it.
    NoOperatorResponse,
}

impl StatusFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::All => "all",
            StatusFilter::Active => "active",
            StatusFilter::Closed => "closed",
            StatusFilter::NoOperatorResponse => "no_operator_response",
        }
    }
    pub fn parse(s: &str) -> Option<StatusFilter> {
        [StatusFilter::All, StatusFilter::Active, StatusFilter::Closed, StatusFilter::NoOperatorResponse]
            .into_iter()
            .find(|f| f.as_str() == s)
    }
}

/// How "session statistics" groups its rows (seed 000: by creation date, hour, rating).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    #[default]
    Day,
    Hour,
    Rating,
}

impl Grouping {
    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::Day => "day",
            Grouping::Hour => "hour",
            Grouping::Rating => "rating",
        }
    }
    pub fn parse(s: &str) -> Option<Grouping> {
        [Grouping::Day, Grouping::Hour, Grouping::Rating].into_iter().find(|g| g.as_str() == s)
    }
}

/// One report request. Filters that do not apply to a report are ignored by it (and kept in
/// the query, so a link shows what was asked).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportQuery {
    pub report: ReportId,
    /// ms since the epoch, included.
    pub from: u64,
    /// ms since the epoch, excluded.
    pub to: u64,
    /// IANA time zone of dates, hours and days (the account's unless asked).
    pub tz: String,
    pub channel: Option<String>,
    pub host: Option<String>,
    /// A part of the page URL the conversation started on.
    pub page: Option<String>,
    pub operator: Option<String>,
    pub status: StatusFilter,
    pub tag: Option<String>,
    pub category: Option<String>,
    pub entry_point: Option<String>,
    /// SLA threshold in minutes ("by operator").
    pub sla_minutes: u32,
    pub group: Grouping,
}

impl ReportQuery {
    pub fn new(report: ReportId, from: u64, to: u64, tz: &str) -> ReportQuery {
        ReportQuery {
            report,
            from,
            to,
            tz: tz.to_owned(),
            channel: None,
            host: None,
            page: None,
            operator: None,
            status: StatusFilter::All,
            tag: None,
            category: None,
            entry_point: None,
            sla_minutes: 1,
            group: Grouping::Day,
        }
    }

    /// Reads a query from its `key=value` pairs (already URL-decoded). Unknown keys are
    /// refused, so a link cannot carry anything its signature does not cover. `default_tz`
    /// is the account's zone, used when `tz` is absent.
    pub fn parse<'a>(
        report: &str,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        default_tz: &str,
    ) -> Valid<ReportQuery> {
        let report = ReportId::from_slug(report).ok_or_else(|| FieldError::new("report", "No such report."))?;
        let mut q = ReportQuery::new(report, 0, 0, default_tz);
        let (mut from, mut to) = (None, None);
        for (k, v) in pairs {
            let text = |field: &str| -> Valid<Option<String>> {
                let t = v.trim();
                if t.chars().count() > MAX_FILTER_LEN || t.chars().any(char::is_control) {
                    return Err(FieldError::new(field, "This filter is too long or has control characters."));
                }
                Ok((!t.is_empty()).then(|| t.to_owned()))
            };
            match k {
                "from" => from = Some(v.trim().to_owned()),
                "to" => to = Some(v.trim().to_owned()),
                "tz" => q.tz = crate::entry_points::time_zone(v).map_err(|e| FieldError::new("tz", e.message))?,
                "channel" => q.channel = text("channel")?,
                "host" => q.host = text("host")?,
                "page" => q.page = text("page")?,
                "operator" => q.operator = text("operator")?,
                "tag" => q.tag = text("tag")?,
                "category" => q.category = text("category")?,
                "entry_point" => q.entry_point = text("entry_point")?,
                "status" => {
                    q.status = StatusFilter::parse(v)
                        .ok_or_else(|| FieldError::new("status", "Use all, active, closed or no_operator_response."))?
                }
                "group" => {
                    q.group = Grouping::parse(v).ok_or_else(|| FieldError::new("group", "Use day, hour or rating."))?
                }
                "sla" => {
                    q.sla_minutes = v
                        .parse::<u32>()
                        .ok()
                        .filter(|m| (1..=MAX_SLA_MINUTES).contains(m))
                        .ok_or_else(|| FieldError::new("sla", "Give whole minutes from 1 to 1440."))?
                }
                other => return Err(FieldError::new(other, "Unknown report filter.")),
            }
        }
        let (Some(from), Some(to)) = (from, to) else {
            return Err(FieldError::new("from", "Give a period: from and to."));
        };
        if super::zone::Zone::named(&q.tz).is_none() {
            return Err(FieldError::new("tz", "Unknown time zone: use a name such as UTC or Europe/Berlin."));
        }
        let (from, to) = (instant(&from, &q.tz, "from", 0)?, instant(&to, &q.tz, "to", 1)?);
        if to <= from {
            return Err(FieldError::new("to", "The period must end after it starts."));
        }
        if to - from > MAX_REPORT_DAYS * DAY_MS {
            return Err(FieldError::new("to", "A report covers at most 366 days."));
        }
        q.from = from;
        q.to = to;
        Ok(q)
    }

    /// The query as `key=value` pairs in a fixed order, defaults left out: what a public link
    /// signs and what the console puts in URLs. `parse(canonical pairs)` gives back `self`.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("from", self.from.to_string()), ("to", self.to.to_string()), ("tz", self.tz.clone())];
        let opts = [
            ("channel", &self.channel),
            ("host", &self.host),
            ("page", &self.page),
            ("operator", &self.operator),
            ("tag", &self.tag),
            ("category", &self.category),
            ("entry_point", &self.entry_point),
        ];
        for (k, v) in opts {
            if let Some(v) = v {
                out.push((k, v.clone()));
            }
        }
        if self.status != StatusFilter::All {
            out.push(("status", self.status.as_str().to_owned()));
        }
        if self.sla_minutes != 1 {
            out.push(("sla", self.sla_minutes.to_string()));
        }
        if self.group != Grouping::Day {
            out.push(("group", self.group.as_str().to_owned()));
        }
        out
    }

    /// The canonical query string (`from=…&to=…&tz=…&channel=…`), percent-encoded.
    pub fn canonical(&self) -> String {
        self.pairs().into_iter().map(|(k, v)| format!("{k}={}", encode(&v))).collect::<Vec<_>>().join("&")
    }
}

/// The console's "Invites & traffic" URLs (`/api/v1/console/reports/{invites,traffic,ratings}[.csv]`)
/// read as a query of the one engine: `from` / `to` in ms (`to` excluded; default the seven days
/// before `now`), an optional `channel` id and an optional `tz` (UTC unless given: these views
/// have always been in UTC hours); other keys are ignored. The Ratings view counts only closed
/// conversations. The error is the 400 `malformed` message.
pub fn console_period<'a>(
    report: ReportId,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    now: u64,
) -> Result<ReportQuery, String> {
    let (mut from, mut to, mut channel, mut tz) = (None, None, None, "UTC".to_owned());
    for (k, v) in pairs {
        let num = || v.trim().parse::<u64>().map_err(|_| format!("{k} must be a time in ms since the epoch"));
        match k {
            "from" => from = Some(num()?),
            "to" => to = Some(num()?),
            "channel" if crate::ids::is_valid_id(v) => channel = Some(v.to_owned()),
            "channel" => return Err("channel must be a channel id".into()),
            "tz" => match super::zone::Zone::named(v.trim()) {
                Some(z) => tz = z.name().to_owned(),
                None => return Err("tz must be a time zone name such as UTC or Europe/Berlin".into()),
            },
            _ => {}
        }
    }
    let to = to.unwrap_or(now);
    let from = from.unwrap_or(to.saturating_sub(7 * DAY_MS));
    if from >= to {
        return Err("from must be before to".into());
    }
    if to - from > MAX_REPORT_DAYS * DAY_MS {
        return Err(format!("a report covers at most {MAX_REPORT_DAYS} days"));
    }
    let mut q = ReportQuery::new(report, from, to, &tz);
    q.channel = channel;
    if report == ReportId::Ratings {
        q.status = StatusFilter::Closed;
    }
    Ok(q)
}

/// Which of the account's period rows a report reads besides the account's agents, channels,
/// hosts, entry points, activity and tallies (which every load carries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reads {
    /// The conversations created in the period.
    pub conversations: bool,
    /// Their messages, assignments and blocks.
    pub children: bool,
    /// Also the conversations created before the period and closed in it.
    pub closed_in_period: bool,
}

impl ReportId {
    /// What [`Reads`] the report needs: the tallies' reports no conversation, Ratings the
    /// period's conversations without child rows, every other all.
    pub fn reads(self) -> Reads {
        match self {
            ReportId::Invites | ReportId::Traffic => {
                Reads { conversations: false, children: false, closed_in_period: false }
            }
            ReportId::Ratings => Reads { conversations: true, children: false, closed_in_period: false },
            _ => Reads { conversations: true, children: true, closed_in_period: false },
        }
    }

    /// What the console's older view of the report ([`console_period`]) reads: as
    /// [`reads`](ReportId::reads), but its Ratings count every chat closed in the period, also
    /// one created before it (the Ratings report of `/api/v1/reports` counts the chats created
    /// in the period: the golden files pin both).
    pub fn console_reads(self) -> Reads {
        Reads { closed_in_period: self == ReportId::Ratings, ..self.reads() }
    }
}

impl ReportQuery {
    /// The activity intervals a report reads are those starting before `to` that end after
    /// this instant (or are still open): the start of the local day before `from`'s, and at
    /// least a day before `from` — a shift is built from a whole local day of intervals, and
    /// one begun the evening before may reach into the period.
    pub fn activity_since(&self) -> u64 {
        let zone = super::zone::Zone::named(&self.tz).unwrap_or_else(super::zone::Zone::utc);
        let day = zone.day_start(self.from);
        zone.day_start(day.saturating_sub(1)).min(self.from.saturating_sub(DAY_MS))
    }
}

impl ReportQuery {
    /// Whether a conversation passes the query's conversation filters (the period is the
    /// edge's: it loads the conversations created in it). `channel`, `host`, `entry_point`,
    /// `category`: equal; `page`: a part of the URL it started on (ASCII case-insensitive);
    /// `operator`: the operator it is with (the last one routing gave it to); `tag`: one of
    /// its tags (case-insensitive); `status`: [`StatusFilter`].
    pub fn matches(&self, c: &ConversationFact) -> bool {
        let eq = |want: &Option<String>, have: Option<&str>| want.as_deref().is_none_or(|w| have == Some(w));
        eq(&self.channel, Some(&c.channel_id))
            && eq(&self.host, c.host_id.as_deref())
            && eq(&self.entry_point, c.entry_point_id.as_deref())
            && eq(&self.category, c.category.as_deref())
            && eq(&self.operator, c.operator_id.as_deref())
            && self.page.as_deref().is_none_or(|p| c.page_url.to_ascii_lowercase().contains(&p.to_ascii_lowercase()))
            && self.tag.as_deref().is_none_or(|t| c.tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
            && match self.status {
                StatusFilter::All => true,
                StatusFilter::Active => c.status != Status::Closed,
                StatusFilter::Closed => c.status == Status::Closed,
                StatusFilter::NoOperatorResponse => c.no_operator_response,
            }
    }
}

/// A `from`/`to` value: ms since the epoch, or (server builds) a local date `YYYY-MM-DD` in
/// zone `tz`, `days_after` days after its start.
fn instant(v: &str, tz: &str, field: &str, days_after: u64) -> Valid<u64> {
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return v.parse::<u64>().map_err(|_| FieldError::new(field, "Give a time in ms since the epoch."));
    }
    if let (Ok(d), Some(zone)) = (chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d"), super::zone::Zone::named(tz)) {
        if let Some(ms) = d.and_hms_opt(12, 0, 0).map(|t| t.and_utc().timestamp_millis()).filter(|ms| *ms >= 0) {
            // Noon UTC of that date is on that local date in every zone (offsets are ±14 h at
            // most), so its local day start is the date's.
            let start = zone.day_start(ms as u64);
            return Ok(if days_after == 0 { start } else { zone.day_start(start + days_after * DAY_MS + DAY_MS / 2) });
        }
    }
    let _ = (tz, days_after);
    Err(FieldError::new(field, "Give a date (YYYY-MM-DD) or a time in ms since the epoch."))
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for r in ReportId::ALL {
            assert_eq!(ReportId::from_slug(r.slug()), Some(r));
            assert!(seen.insert(r.slug()));
        }
        assert_eq!(ReportId::from_slug("nope"), None);
    }

    #[test]
    fn parse_and_canonical_round_trip() {
        let q = ReportQuery::parse(
            "by_operator",
            [("to", "2000"), ("from", "1000"), ("channel", " demo "), ("sla", "5"), ("status", "closed")],
            "Europe/Berlin",
        )
        .unwrap();
        assert_eq!(q.report, ReportId::ByOperator);
        assert_eq!(q.tz, "Europe/Berlin");
        assert_eq!(q.channel.as_deref(), Some("demo"));
        assert_eq!(q.canonical(), "from=1000&to=2000&tz=Europe%2FBerlin&channel=demo&status=closed&sla=5");
        let pairs = q.pairs();
        let again = ReportQuery::parse("by_operator", pairs.iter().map(|(k, v)| (*k, v.as_str())), "UTC").unwrap();
        assert_eq!(again, q);
    }

    #[test]
    fn bad_queries_name_the_field() {
        let bad =
            |pairs: &[(&str, &str)]| ReportQuery::parse("overview", pairs.iter().copied(), "UTC").unwrap_err().field;
        assert_eq!(bad(&[("to", "5")]), "from");
        assert_eq!(bad(&[("from", "5"), ("to", "5")]), "to");
        assert_eq!(bad(&[("from", "x"), ("to", "5")]), "from");
        assert_eq!(bad(&[("from", "0"), ("to", &(367 * DAY_MS).to_string())]), "to");
        assert_eq!(bad(&[("from", "0"), ("to", "5"), ("status", "open")]), "status");
        assert_eq!(bad(&[("from", "0"), ("to", "5"), ("sla", "0")]), "sla");
        assert_eq!(bad(&[("from", "0"), ("to", "5"), ("tz", "not a zone")]), "tz");
        assert_eq!(bad(&[("from", "0"), ("to", "5"), ("evil", "1")]), "evil");
        assert_eq!(ReportQuery::parse("nope", [("from", "0"), ("to", "5")], "UTC").unwrap_err().field, "report");
        assert_eq!(bad(&[("from", "2026-13-01"), ("to", "5")]), "from");
        assert_eq!(bad(&[("from", "0"), ("to", "5"), ("tz", "Mars/Base")]), "tz");
    }

    #[test]
    fn dates_are_local_days_both_included() {
        let q =
            ReportQuery::parse("overview", [("from", "2026-11-24"), ("to", "2026-11-25")], "Europe/Berlin").unwrap();
        assert_eq!(q.from, 1_795_474_800_000); // 2026-11-23 23:00 UTC
        assert_eq!(q.to, 1_795_474_800_000 + 2 * DAY_MS);
        assert_eq!(q.canonical(), format!("from={}&to={}&tz=Europe%2FBerlin", q.from, q.to));
        // A day with a DST change is 23 hours long.
        let q =
            ReportQuery::parse("overview", [("from", "2026-03-29"), ("to", "2026-03-29")], "Europe/Berlin").unwrap();
        assert_eq!(q.to - q.from, 23 * 3_600_000);
    }

    #[test]
    fn conversation_filters() {
        let c = ConversationFact {
            channel_id: "web".into(),
            status: Status::Closed,
            page_url: "https://shop.example/Pricing?x=1".into(),
            tags: vec!["VIP".into()],
            operator_id: Some("op1".into()),
            host_id: Some("h1".into()),
            ..ConversationFact::default()
        };
        let mut q = ReportQuery::new(ReportId::Conversations, 0, 1, "UTC");
        assert!(q.matches(&c));
        q.page = Some("pricing".into());
        q.tag = Some("vip".into());
        q.status = StatusFilter::Closed;
        q.host = Some("h1".into());
        assert!(q.matches(&c));
        for change in [
            |q: &mut ReportQuery| q.channel = Some("other".into()),
            |q: &mut ReportQuery| q.status = StatusFilter::Active,
            |q: &mut ReportQuery| q.status = StatusFilter::NoOperatorResponse,
            |q: &mut ReportQuery| q.operator = Some("op2".into()),
            |q: &mut ReportQuery| q.category = Some("Billing".into()),
            |q: &mut ReportQuery| q.entry_point = Some("ep".into()),
        ] {
            let mut q2 = q.clone();
            change(&mut q2);
            assert!(!q2.matches(&c));
        }
    }

    #[test]
    fn the_console_period_reads_ms_a_channel_and_a_zone() {
        let now = 1_795_000_000_000;
        let read = |report: ReportId, pairs: &[(&str, &str)]| console_period(report, pairs.iter().copied(), now);
        // Defaults: the seven days before now, UTC, every channel.
        let q = read(ReportId::Invites, &[]).unwrap();
        assert_eq!((q.from, q.to, q.tz.as_str(), q.channel.as_deref()), (now - 7 * DAY_MS, now, "UTC", None));
        assert_eq!(q.status, StatusFilter::All);
        let q = read(ReportId::Traffic, &[("from", " 1000 "), ("to", "5000"), ("channel", "demo"), ("other", "x")])
            .unwrap();
        assert_eq!((q.report, q.from, q.to, q.channel.as_deref()), (ReportId::Traffic, 1000, 5000, Some("demo")));
        let from = (now - DAY_MS).to_string();
        let q = read(ReportId::Ratings, &[("from", &from), ("tz", "Europe/Berlin")]).unwrap();
        assert_eq!((q.from, q.to, q.tz.as_str(), q.status), (now - DAY_MS, now, "Europe/Berlin", StatusFilter::Closed));
        // The refusals keep their messages.
        let bad = |pairs: &[(&str, &str)]| read(ReportId::Invites, pairs).unwrap_err();
        assert_eq!(bad(&[("from", "yesterday")]), "from must be a time in ms since the epoch");
        assert_eq!(bad(&[("to", "-1")]), "to must be a time in ms since the epoch");
        assert_eq!(bad(&[("from", "5"), ("to", "5")]), "from must be before to");
        assert_eq!(bad(&[("from", "0"), ("to", &(367 * DAY_MS).to_string())]), "a report covers at most 366 days");
        assert!(read(ReportId::Invites, &[("from", "0"), ("to", &(366 * DAY_MS).to_string())]).is_ok());
        assert_eq!(bad(&[("channel", "../x")]), "channel must be a channel id");
        assert!(bad(&[("tz", "Mars/Olympus")]).starts_with("tz must be a time zone"));
    }

    #[test]
    fn what_each_report_reads() {
        for r in ReportId::ALL {
            let reads = r.reads();
            match r {
                ReportId::Invites | ReportId::Traffic => assert!(!reads.conversations && !reads.children),
                ReportId::Ratings => assert!(reads.conversations && !reads.children),
                _ => assert!(reads.conversations && reads.children, "{r:?}"),
            }
            assert!(!reads.closed_in_period, "{r:?}");
            let console = r.console_reads();
            assert_eq!(console.closed_in_period, r == ReportId::Ratings);
            assert_eq!((console.conversations, console.children), (reads.conversations, reads.children));
        }
    }

    #[test]
    fn activity_is_read_from_the_local_day_before_the_period() {
        // 2026-11-18 10:00 UTC.
        let from = 1_794_960_000_000 + 10 * 3_600_000;
        let q = ReportQuery::new(ReportId::Ratings, from, from + DAY_MS, "UTC");
        assert_eq!(q.activity_since(), 1_794_960_000_000 - DAY_MS);
        // Berlin (UTC+1): the local day before starts 2026-11-16 23:00 UTC.
        let q = ReportQuery::new(ReportId::Ratings, from, from + DAY_MS, "Europe/Berlin");
        assert_eq!(q.activity_since(), 1_794_960_000_000 - DAY_MS - 3_600_000);
        // Never later than a day before the period.
        let q = ReportQuery::new(ReportId::Ratings, 1_794_960_000_000, from, "UTC");
        assert_eq!(q.activity_since(), 1_794_960_000_000 - DAY_MS);
        assert_eq!(ReportQuery::new(ReportId::Ratings, 5, 10, "UTC").activity_since(), 0);
    }
}

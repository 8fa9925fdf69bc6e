//! The reports of seed `000_…` (sessions history, session statistics, operator analysis,
//! ratings), computed from the [facts](super::facts) of the conversations that pass the query's
//! filters ([`Ctx::conversations`]). A **session** is one conversation.
//!
//! How each measure is read from the seed (the choices where it is ambiguous):
//!
//! - **Messages** are every stored message of the conversation (D1 `messages`), the product's
//!   own texts included, as in the Conversations report; ordered by time, then `seq`.
//! - **Duration** of a session: its creation → `closed_at` ("until the chat is over", like
//!   `duration_total_secs`); a session still open has none (empty cell) and is left out of
//!   averages. Sessions history and session statistics write it in minutes, operator analysis
//!   in seconds (the seed's units).
//! - **Numbers**: averages are means rounded to 2 decimals, written without trailing zeros
//!   (`1.5`, `2`); an average over nothing is an empty cell. Counts are whole numbers.
//! - **Rating** as a number (the seed's "Rating", "Average rating"): good = 5, moderate = 3,
//!   bad = 1 (Odoo's scale); only rated sessions (good, moderate, bad) count. **Not rated**: the
//!   visitor skipped the survey (`not_rated`) or never answered it (`''`). **Happy**: rated good
//!   (moderate and bad are unhappy, spec "Rating").
//! - **Participant** / visitor name: the visitor's name, else e-mail, else `Visitor`.
//!   **Anonymous**: as recorded (no name and no e-mail given).
//! - **Operator of a session** (whose rating it is, whose "first session" counts): the one it
//!   ended with — the conversation's `operator_id`, else its last assignment. **Operators who
//!   participated**: every operator it was assigned to, who wrote in it, or it is with.
//! - **# of speakers**: the distinct authors of its visitor and operator messages (the visitor
//!   once, each operator once; system texts are nobody): 0 when nobody wrote.
//! - **Days of activity**: for a session with an operator, the local calendar days from that
//!   operator's first session among the loaded ones (the report's period, every channel) to
//!   this session's creation (0 on the same day); the group's value is the mean over its
//!   sessions with an operator.
//! - **Time to answer** (session statistics): the chat request (the conversation's creation) →
//!   the first operator message; (operator analysis) for each session the operator took part
//!   in: when they got it (their first assignment in it, else its creation) → their first
//!   message at or after that. Sessions not answered are left out of the mean. In seconds.
//! - **Session statistics** groups (`group`): `day` = local creation date `YYYY-MM-DD`, `hour` =
//!   local creation hour of day `HH:00`, `rating` = Good, Moderate, Bad, Not rated. Only groups
//!   with sessions are rows, in that order. Boolean measures (anonymous, not rated, happy) are
//!   the number of the group's sessions where they hold; the others are means. The chart is
//!   the sessions per group stacked by rating.
//! - **Sessions history**: one row per session, by creation then id. `Session date` is the
//!   local creation time; `Country` the visitor's country as recorded (empty when unknown);
//!   `Rating` is `Good`, `Moderate`, `Bad`, `Not rated` (skipped) or empty (never asked);
//!   `Number of messages` counts every stored message (system texts too). The transcript is one
//!   cell, a line per message `HH:MM:SS Name: text` in the report's zone (the full date first
//!   when the message is on another local day than the session's start); a message's own line
//!   breaks become spaces; the authors are the participant's name, the operator's name (first
//!   and last name, else username) or `System`. The rating ends it as the console writes it:
//!   `Rating: Bad — “too slow”`, `Rating: Good`, `Not rated` (nothing when never asked).
//! - **Operator analysis**: one row per operator who participated in a session (only the
//!   `operator` filter's operator when one is given), by name then id. `# of Sessions` and
//!   `Count` are both the sessions they took part in (the seed's Count counts the report's
//!   records, one per operator and session).
//! - **Ratings**: [`rating_rows`] ([`super::ratings::rows_local`]) over the account's activity intervals and the
//!   filtered conversations closed in the period (those created in it; the console's older
//!   ratings view also loads those created before: `ReportId::console_reads`), each counted for
//!   its `operator_id`; shifts by the report zone's days, their times local). The chart is
//!   each operator's ratings summed over their shifts, stacked by rating.

use std::collections::{BTreeMap, BTreeSet};

use super::facts::{AssignmentFact, AuthorRole, ConversationFact, MessageFact};
use super::query::{Grouping, ReportId};
use super::ratings::{self, ActivityRow, RatedConversation};
use super::table::{Chart, ChartKind, Table};
use super::Ctx;
use crate::outcomes::Rating;

/// Sessions history columns (the seed's words: "session dates, participant name and country,
/// session duration, the number of messages, and the rating", and the transcript).
pub const HISTORY_COLUMNS: [&str; 7] = [
    "Session date",
    "Participant name",
    "Country",
    "Session duration (min)",
    "Number of messages",
    "Rating",
    "Transcript",
];

/// Session statistics measures, the seed's names in its order (after the group's column).
pub const STATISTICS_MEASURES: [&str; 10] = [
    "# of speakers",
    "Days of activity",
    "Duration of Session (min)",
    "Is visitor anonymous",
    "Messages per session",
    "Rating",
    "Session not rated",
    "Time to answer (sec)",
    "Visitor is Happy",
    "Count",
];

/// Operator analysis columns: the operator, then the seed's measures in its order.
pub const OPERATOR_COLUMNS: [&str; 6] =
    ["Operator", "# of Sessions", "Average duration", "Average rating", "Time to answer", "Count"];

/// The rating groups, in their order (also the stacks of the charts).
const RATING_LABELS: [&str; 4] = ["Good", "Moderate", "Bad", "Not rated"];

/// The table of `ctx.q.report` (one of this family's).
pub fn table(ctx: &Ctx) -> Table {
    match ctx.q.report {
        ReportId::SessionStatistics => statistics(ctx),
        ReportId::OperatorAnalysis => operator_analysis(ctx),
        ReportId::Ratings => ratings_table(ctx),
        _ => history(ctx),
    }
}

// ---------------------------------------------------------------------------------------------
// What the family's reports (and productivity's) share.

/// The rating of a survey result, if the visitor gave one.
pub(crate) fn rating_of(survey_result: &str) -> Option<Rating> {
    match survey_result {
        "good" => Some(Rating::Good),
        "moderate" => Some(Rating::Moderate),
        "bad" => Some(Rating::Bad),
        _ => None,
    }
}

/// good = 5, moderate = 3, bad = 1.
pub(crate) fn rating_value(r: Rating) -> f64 {
    match r {
        Rating::Good => 5.0,
        Rating::Moderate => 3.0,
        Rating::Bad => 1.0,
    }
}

/// Index in [`RATING_LABELS`].
fn rating_index(r: Option<Rating>) -> usize {
    match r {
        Some(Rating::Good) => 0,
        Some(Rating::Moderate) => 1,
        Some(Rating::Bad) => 2,
        None => 3,
    }
}

/// The rating line ending a transcript (as the console writes it); `None` when never asked.
pub(crate) fn rating_line(survey_result: &str, comment: &str) -> Option<String> {
    let label = match survey_result {
        "" => return None,
        "not_rated" => return Some("Not rated".to_owned()),
        other => rating_of(other).map_or(other, |r| RATING_LABELS[rating_index(Some(r))]),
    };
    let comment = comment.trim();
    Some(if comment.is_empty() { format!("Rating: {label}") } else { format!("Rating: {label} — “{comment}”") })
}

/// A mean rounded to 2 decimals without trailing zeros; empty over nothing.
pub(crate) fn mean(values: &[f64]) -> String {
    if values.is_empty() {
        return String::new();
    }
    number(values.iter().sum::<f64>() / values.len() as f64)
}

/// A number rounded to 2 decimals, without trailing zeros.
pub(crate) fn number(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    format!("{}", if r == 0.0 { 0.0 } else { r })
}

/// The name reports show for a visitor: name, else e-mail, else `Visitor`.
pub(crate) fn visitor_label(c: &ConversationFact) -> &str {
    [c.visitor_name.trim(), c.visitor_email.trim()].into_iter().find(|s| !s.is_empty()).unwrap_or("Visitor")
}

/// Operator names: first and last name, else username (the agents list), else the name a
/// conversation recorded for its operator, else the id.
pub(crate) struct Names<'a>(BTreeMap<&'a str, String>);

impl<'a> Names<'a> {
    pub(crate) fn new(ctx: &Ctx<'a>) -> Names<'a> {
        let mut map = BTreeMap::new();
        for a in &ctx.facts.agents {
            let full = format!("{} {}", a.first_name.trim(), a.last_name.trim()).trim().to_owned();
            let name = if full.is_empty() { a.username.trim().to_owned() } else { full };
            if !name.is_empty() {
                map.insert(a.id.as_str(), name);
            }
        }
        for c in &ctx.facts.conversations {
            if let Some(op) = c.operator_id.as_deref() {
                if !c.operator_name.trim().is_empty() {
                    map.entry(op).or_insert_with(|| c.operator_name.trim().to_owned());
                }
            }
        }
        Names(map)
    }

    pub(crate) fn get(&self, id: &str) -> String {
        self.0.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }

    /// Per-operator values as `(name, operator id, value)`, ordered by name, then id.
    pub(crate) fn sorted<'o, T>(&self, per: BTreeMap<&'o str, T>) -> Vec<(String, &'o str, T)> {
        let mut rows: Vec<(String, &str, T)> = per.into_iter().map(|(op, v)| (self.get(op), op, v)).collect();
        rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        rows
    }
}

/// One session (conversation) with its messages and assignments in time order.
pub(crate) struct Session<'a> {
    pub c: &'a ConversationFact,
    pub messages: Vec<&'a MessageFact>,
    pub assignments: Vec<&'a AssignmentFact>,
}

impl<'a> Session<'a> {
    pub(crate) fn duration_ms(&self) -> Option<u64> {
        self.c.closed_at.map(|t| t.saturating_sub(self.c.created_at))
    }

    pub(crate) fn rating(&self) -> Option<Rating> {
        rating_of(self.c.survey_result.as_str())
    }

    /// The operator it ended with.
    pub(crate) fn operator(&self) -> Option<&'a str> {
        self.c
            .operator_id
            .as_deref()
            .filter(|o| !o.is_empty())
            .or_else(|| self.assignments.last().map(|a| a.operator_id.as_str()))
    }

    /// Every operator assigned to it, who wrote in it, or it is with.
    pub(crate) fn participants(&self) -> BTreeSet<&'a str> {
        let mut ops: BTreeSet<&str> = self.assignments.iter().map(|a| a.operator_id.as_str()).collect();
        ops.extend(
            self.messages.iter().filter(|m| m.role == AuthorRole::Operator).filter_map(|m| m.operator_id.as_deref()),
        );
        ops.extend(self.c.operator_id.as_deref());
        ops.remove("");
        ops
    }

    /// Distinct authors of visitor and operator messages.
    fn speakers(&self) -> usize {
        let mut who: BTreeSet<Option<&str>> = BTreeSet::new();
        let mut visitor = false;
        for m in &self.messages {
            match m.role {
                AuthorRole::Visitor => visitor = true,
                AuthorRole::Operator => {
                    who.insert(m.operator_id.as_deref());
                }
                AuthorRole::System => {}
            }
        }
        who.len() + usize::from(visitor)
    }

    /// Creation → first operator message, ms.
    fn time_to_answer(&self) -> Option<u64> {
        self.messages.iter().find(|m| m.role == AuthorRole::Operator).map(|m| m.at.saturating_sub(self.c.created_at))
    }

    /// When `op` got it (first assignment, else creation) → their first message at or after, ms.
    fn time_to_answer_by(&self, op: &str) -> Option<u64> {
        let since = self.assignments.iter().find(|a| a.operator_id == op).map_or(self.c.created_at, |a| a.at);
        self.messages
            .iter()
            .find(|m| m.role == AuthorRole::Operator && m.operator_id.as_deref() == Some(op) && m.at >= since)
            .map(|m| m.at - since)
    }
}

/// The sessions of `convs` ordered by creation then id, each with its messages and assignments.
pub(crate) fn sessions<'a>(ctx: &Ctx<'a>, convs: impl Iterator<Item = &'a ConversationFact>) -> Vec<Session<'a>> {
    let mut list: Vec<Session<'a>> =
        convs.map(|c| Session { c, messages: Vec::new(), assignments: Vec::new() }).collect();
    list.sort_by(|a, b| (a.c.created_at, &a.c.id).cmp(&(b.c.created_at, &b.c.id)));
    let index: BTreeMap<&str, usize> = list.iter().enumerate().map(|(i, s)| (s.c.id.as_str(), i)).collect();
    for m in &ctx.facts.messages {
        if let Some(&i) = index.get(m.conversation_id.as_str()) {
            list[i].messages.push(m);
        }
    }
    for a in &ctx.facts.assignments {
        if let Some(&i) = index.get(a.conversation_id.as_str()) {
            list[i].assignments.push(a);
        }
    }
    for s in &mut list {
        s.messages.sort_by_key(|m| (m.at, m.seq));
        s.assignments.sort_by_key(|a| a.at);
    }
    list
}

// ---------------------------------------------------------------------------------------------
// Sessions history.

fn history(ctx: &Ctx) -> Table {
    let names = Names::new(ctx);
    let mut t = Table::new(&HISTORY_COLUMNS);
    for s in sessions(ctx, ctx.conversations()) {
        let c = s.c;
        let rating = match c.survey_result.as_str() {
            "" => "",
            "not_rated" => "Not rated",
            other => rating_of(other).map_or(other, |r| RATING_LABELS[rating_index(Some(r))]),
        };
        t.push(
            vec![
                ctx.zone.datetime(c.created_at),
                visitor_label(c).to_owned(),
                c.visitor_country.clone(),
                s.duration_ms().map(|ms| number(ms as f64 / 60_000.0)).unwrap_or_default(),
                s.messages.len().to_string(),
                rating.to_owned(),
                transcript(ctx, &s, &names),
            ],
            Some(c.id.to_string()),
        );
    }
    t
}

/// The transcript cell: one line per message, the rating line last.
fn transcript(ctx: &Ctx, s: &Session, names: &Names) -> String {
    let start_day = ctx.zone.date(s.c.created_at);
    let mut lines: Vec<String> = s
        .messages
        .iter()
        .map(|m| {
            let when = if ctx.zone.date(m.at) == start_day {
                ctx.zone.datetime(m.at)[11..].to_owned()
            } else {
                ctx.zone.datetime(m.at)
            };
            let who = match m.role {
                AuthorRole::Visitor => visitor_label(s.c).to_owned(),
                AuthorRole::Operator => match m.operator_id.as_deref() {
                    Some(op) => names.get(op),
                    None => "Operator".to_owned(),
                },
                AuthorRole::System => "System".to_owned(),
            };
            let text = m.text.split(['\r', '\n']).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
            format!("{when} {who}: {text}")
        })
        .collect();
    lines.extend(rating_line(s.c.survey_result.as_str(), &s.c.survey_comment));
    lines.join("\n")
}

// ---------------------------------------------------------------------------------------------
// Session statistics.

/// The group's column header.
fn group_column(g: Grouping) -> &'static str {
    match g {
        Grouping::Day => "Creation date",
        Grouping::Hour => "Creation hour",
        Grouping::Rating => "Rating (group)",
    }
}

/// Sessions' first sessions per operator: the earliest creation among the loaded conversations
/// an operator took part in.
fn first_sessions<'a>(ctx: &Ctx<'a>) -> BTreeMap<&'a str, u64> {
    let mut first: BTreeMap<&str, u64> = BTreeMap::new();
    for s in sessions(ctx, ctx.facts.conversations.iter()) {
        for op in s.participants() {
            let t = first.entry(op).or_insert(s.c.created_at);
            *t = (*t).min(s.c.created_at);
        }
    }
    first
}

#[derive(Default)]
struct Group {
    speakers: Vec<f64>,
    days: Vec<f64>,
    minutes: Vec<f64>,
    anonymous: u64,
    messages: Vec<f64>,
    ratings: Vec<f64>,
    not_rated: u64,
    answer_secs: Vec<f64>,
    happy: u64,
    count: u64,
    /// Sessions per rating group.
    by_rating: [u64; 4],
}

fn statistics(ctx: &Ctx) -> Table {
    let group = ctx.q.group;
    let first = first_sessions(ctx);
    // Key: a sort key and the label.
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    for s in sessions(ctx, ctx.conversations()) {
        let c = s.c;
        let rating = s.rating();
        let key = match group {
            Grouping::Day => (ctx.zone.date(c.created_at), ctx.zone.date(c.created_at)),
            Grouping::Hour => {
                let h = format!("{:02}:00", ctx.zone.hour(c.created_at));
                (h.clone(), h)
            }
            Grouping::Rating => {
                let i = rating_index(rating);
                (i.to_string(), RATING_LABELS[i].to_owned())
            }
        };
        let g = groups.entry(key).or_default();
        g.speakers.push(s.speakers() as f64);
        if let Some(op) = s.operator() {
            if let Some(&since) = first.get(op) {
                g.days.push(ctx.zone.days_between(since, c.created_at).max(0) as f64);
            }
        }
        if let Some(ms) = s.duration_ms() {
            g.minutes.push(ms as f64 / 60_000.0);
        }
        g.anonymous += u64::from(c.anonymous);
        g.messages.push(s.messages.len() as f64);
        match rating {
            Some(r) => g.ratings.push(rating_value(r)),
            None => g.not_rated += 1,
        }
        if let Some(ms) = s.time_to_answer() {
            g.answer_secs.push(ms as f64 / 1000.0);
        }
        g.happy += u64::from(rating.is_some_and(Rating::is_happy));
        g.count += 1;
        g.by_rating[rating_index(rating)] += 1;
    }
    let mut columns = vec![group_column(group)];
    columns.extend(STATISTICS_MEASURES);
    let mut t = Table::new(&columns);
    let title = format!("Sessions by {} and rating", group_column(group).to_lowercase());
    let mut chart = Chart::empty(ChartKind::Stacked, title, &RATING_LABELS);
    for ((_, label), g) in groups {
        t.push(
            vec![
                label.clone(),
                mean(&g.speakers),
                mean(&g.days),
                mean(&g.minutes),
                g.anonymous.to_string(),
                mean(&g.messages),
                mean(&g.ratings),
                g.not_rated.to_string(),
                mean(&g.answer_secs),
                g.happy.to_string(),
                g.count.to_string(),
            ],
            None,
        );
        chart.labels.push(label);
        for (series, n) in chart.series.iter_mut().zip(g.by_rating) {
            series.values.push(n as f64);
        }
    }
    t.chart = Some(chart);
    t
}

// ---------------------------------------------------------------------------------------------
// Operator analysis.

#[derive(Default)]
struct OperatorStats {
    sessions: u64,
    seconds: Vec<f64>,
    ratings: Vec<f64>,
    answer_secs: Vec<f64>,
}

fn operator_analysis(ctx: &Ctx) -> Table {
    let names = Names::new(ctx);
    let mut per: BTreeMap<&str, OperatorStats> = BTreeMap::new();
    for s in sessions(ctx, ctx.conversations()) {
        for op in s.participants() {
            if ctx.q.operator.as_deref().is_some_and(|want| want != op) {
                continue;
            }
            let o = per.entry(op).or_default();
            o.sessions += 1;
            if let Some(ms) = s.duration_ms() {
                o.seconds.push(ms as f64 / 1000.0);
            }
            if let Some(ms) = s.time_to_answer_by(op) {
                o.answer_secs.push(ms as f64 / 1000.0);
            }
        }
        if let (Some(op), Some(r)) = (s.operator(), s.rating()) {
            if let Some(o) = per.get_mut(op) {
                o.ratings.push(rating_value(r));
            }
        }
    }
    let rows = names.sorted(per);
    let mut t = Table::new(&OPERATOR_COLUMNS);
    let mut chart = Chart::empty(ChartKind::Bars, "Sessions by operator", &["# of Sessions"]);
    for (name, _, o) in rows {
        t.push(
            vec![
                name.clone(),
                o.sessions.to_string(),
                mean(&o.seconds),
                mean(&o.ratings),
                mean(&o.answer_secs),
                o.sessions.to_string(),
            ],
            None,
        );
        chart.labels.push(name);
        chart.series[0].values.push(o.sessions as f64);
    }
    t.chart = Some(chart);
    t
}

// ---------------------------------------------------------------------------------------------
// Ratings.

/// The Ratings rows of the query (its zone, period and conversation filters; shifts are the
/// operators' across channels): the table's rows, and the rows of the console's ratings view.
pub fn rating_rows(ctx: &Ctx) -> Vec<ratings::RatingRow> {
    let names = Names::new(ctx);
    let wanted = |op: &str| ctx.q.operator.as_deref().is_none_or(|w| w == op);
    let acts: Vec<ActivityRow> = ctx
        .facts
        .activity
        .iter()
        .filter(|a| wanted(&a.operator_id))
        .map(|a| ActivityRow {
            operator_id: a.operator_id.to_string(),
            operator_name: names.get(&a.operator_id),
            state: a.state.clone(),
            start_at: a.start,
            end_at: a.end,
        })
        .collect();
    let convs: Vec<RatedConversation> = ctx
        .conversations()
        .filter_map(|c| {
            let op = c.operator_id.as_deref().filter(|o| !o.is_empty())?;
            Some(RatedConversation {
                operator_id: op.to_owned(),
                operator_name: names.get(op),
                closed_at: c.closed_at,
                survey_result: c.survey_result.as_str().to_owned(),
            })
        })
        .collect();
    let zone = ctx.zone;
    let day_of = move |t: u64| zone.day_number(t);
    let datetime = move |t: u64| zone.datetime(t);
    ratings::rows_local(&acts, &convs, ctx.q.from, ctx.q.to, ctx.now, &day_of, &datetime)
}

fn ratings_table(ctx: &Ctx) -> Table {
    let rows = rating_rows(ctx);
    let mut t = Table::new(&ratings::COLUMNS);
    let mut chart = Chart::empty(ChartKind::Stacked, "Ratings by operator", &RATING_LABELS);
    let mut last_op: Option<String> = None;
    for r in rows {
        let counts = [r.survey_num_good, r.survey_num_moderate, r.survey_num_bad, r.survey_num_not_rated];
        if last_op.as_deref() != Some(r.agent_id.as_str()) {
            chart.labels.push(r.agent_name.clone());
            for s in &mut chart.series {
                s.values.push(0.0);
            }
            last_op = Some(r.agent_id.clone());
        }
        for (s, n) in chart.series.iter_mut().zip(counts) {
            if let Some(v) = s.values.last_mut() {
                *v += n as f64;
            }
        }
        t.push(r.cells(), None);
    }
    t.chart = Some(chart);
    t
}

/// Facts both families' tests use: two operators, six chats over two UTC days.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::super::facts::*;
    use super::super::query::{ReportId, ReportQuery};
    use super::super::table::Table;
    use super::super::Ctx;
    use crate::dispatch::Received;

    /// 2026-11-18 00:00:00 UTC.
    pub const T: u64 = 1_794_960_000_000;
    pub const S: u64 = 1000;
    pub const MIN: u64 = 60 * S;
    pub const H: u64 = 60 * MIN;
    pub const DAY: u64 = 24 * H;

    pub fn conv(id: &str, created: u64) -> ConversationFact {
        ConversationFact {
            id: id.into(),
            account_id: "acc1".into(),
            channel_id: "ch1".into(),
            visitor_id: format!("vis_{id}").into(),
            status: Status::Waiting,
            created_at: created,
            page_url: "https://shop.example/pricing".into(),
            anonymous: true,
            ..ConversationFact::default()
        }
    }

    pub fn closed(mut c: ConversationFact, at: u64, result: &str) -> ConversationFact {
        c.status = Status::Closed;
        c.closed_at = Some(at);
        c.closed_by = Some(ClosedBy::Operator);
        c.survey_result = SurveyResult::parse(result).expect("a survey result");
        c
    }

    pub fn with_op(mut c: ConversationFact, op: &str) -> ConversationFact {
        c.operator_id = Some(op.into());
        if c.status == Status::Waiting {
            c.status = Status::Active;
        }
        c
    }

    pub fn msg(conv: &str, seq: u64, role: AuthorRole, op: Option<&str>, at: u64, text: &str) -> MessageFact {
        MessageFact::text(conv, seq, role, op, at, text)
    }

    pub fn v(conv: &str, seq: u64, at: u64, text: &str) -> MessageFact {
        msg(conv, seq, AuthorRole::Visitor, None, at, text)
    }

    pub fn o(conv: &str, seq: u64, op: &str, at: u64, text: &str) -> MessageFact {
        msg(conv, seq, AuthorRole::Operator, Some(op), at, text)
    }

    pub fn assign(conv: &str, op: &str, at: u64, how: Received) -> AssignmentFact {
        AssignmentFact { conversation_id: conv.into(), operator_id: op.into(), at, how }
    }

    pub fn online(op: &str, start: u64, end: Option<u64>) -> ActivityFact {
        ActivityFact {
            activity_id: format!("act_{op}_{start}"),
            account_id: "acc1".into(),
            operator_id: op.into(),
            state: "online".into(),
            start,
            end,
        }
    }

    pub fn agents() -> Vec<AgentFact> {
        vec![
            AgentFact {
                id: "dana".into(),
                username: "dana".into(),
                first_name: "Dana".into(),
                last_name: "Smith".into(),
                account_id: "acc1".into(),
                ..AgentFact::default()
            },
            AgentFact { id: "sam".into(), username: "sam".into(), account_id: "acc1".into(), ..AgentFact::default() },
        ]
    }

    /// s1 (day 1, 09:00) Dana, good, 3 min; s2 (09:30) Dana then Sam by transfer, moderate, 6 min;
    /// s3 (15:00) nobody, no messages, open; s4 (day 2, 09:00) Dana, bad, 10 min; s5 (12:00) Sam
    /// never answered (open); s6 (13:00) visitor only, no operator (open).
    pub fn facts() -> Facts {
        let s1 = T + 9 * H;
        let s2 = T + 9 * H + 30 * MIN;
        let s4 = T + DAY + 9 * H;
        let (s5, s6) = (T + 12 * H, T + 13 * H);
        let mut c1 = with_op(closed(conv("s1", s1), s1 + 3 * MIN, "good"), "dana");
        c1.anonymous = false;
        c1.visitor_name = "Ann".into();
        let mut c5 = with_op(conv("s5", s5), "sam");
        c5.no_operator_response = true;
        Facts {
            agents: agents(),
            conversations: vec![
                c1,
                with_op(closed(conv("s2", s2), s2 + 6 * MIN, "moderate"), "sam"),
                conv("s3", T + 15 * H),
                with_op(closed(conv("s4", s4), s4 + 10 * MIN, "bad"), "dana"),
                c5,
                conv("s6", s6),
            ],
            // Out of order on purpose: the reports order by time, then seq.
            messages: vec![
                v("s1", 3, s1 + 50 * S, "Thanks  a lot."),
                o("s1", 2, "dana", s1 + 40_900, "Hello"),
                v("s1", 1, s1 + 10 * S, "Hello!"),
                v("s2", 1, s2, "hello"),
                o("s2", 2, "dana", s2 + 20 * S, "One moment…"),
                o("s2", 3, "sam", s2 + 40 * S, "Thanks a lot"),
                v("s4", 1, s4, "¿Price?"),
                o("s4", 2, "dana", s4 + 60_999, "price"),
                v("s5", 1, s5, "Hello!!"),
                v("s5", 2, s5 + 30 * S, "hello"),
                v("s6", 1, s6, "HELLO"),
            ],
            assignments: vec![
                assign("s1", "dana", s1, Received::Routed),
                assign("s2", "dana", s2, Received::Routed),
                assign("s2", "sam", s2 + 25 * S, Received::Transferred),
                assign("s4", "dana", s4, Received::Routed),
                assign("s5", "sam", s5, Received::Routed),
            ],
            activity: vec![online("dana", T + 8 * H, Some(T + 17 * H)), online("sam", T + 9 * H, None)],
            ..Facts::default()
        }
    }

    /// The report over the two days in `tz`, `now` = their end, after `change` to the query.
    pub fn run(report: ReportId, facts: &Facts, tz: &str, change: impl FnOnce(&mut ReportQuery)) -> Table {
        let mut q = ReportQuery::new(report, T, T + 2 * DAY, tz);
        change(&mut q);
        let ctx = Ctx::new(&q, facts, T + 2 * DAY, "https://parley.example/console/#/transcript/");
        super::super::compute(&ctx)
    }

    pub fn row(t: &Table, i: usize) -> Vec<&str> {
        t.rows[i].iter().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::facts::{AuthorRole, ClosedBy, Facts, Status};
    use crate::query::Grouping;

    #[test]
    fn history_rows_with_transcripts_in_the_zone() {
        let c1_at = T + 10 * H; // 11:00 in Berlin (UTC+1)
        let mut c1 = with_op(closed(conv("c1", c1_at), c1_at + 90 * S, "bad"), "dana");
        c1.survey_comment = " too slow ".into();
        c1.visitor_name = "Ann".into();
        c1.visitor_country = "DE".into();
        let mut c2 = conv("c2", T + 11 * H);
        c2.visitor_email = "x@y.example".into();
        let c3_at = T + 22 * H + 30 * MIN; // 23:30 local; its message is after local midnight
        let mut c3 = closed(conv("c3", c3_at), c3_at + 70 * MIN, "not_rated");
        c3.closed_by = Some(ClosedBy::Timeout);
        let facts = Facts {
            agents: agents(),
            conversations: vec![c3, c2, c1],
            messages: vec![
                msg("c1", 3, AuthorRole::System, None, c1_at + 80 * S, "Bye"),
                o("c1", 2, "dana", c1_at + 20 * S, "Hello!"),
                v("c1", 1, c1_at + 5 * S, "Hi\r\nthere"),
                v("c3", 1, c3_at + 40 * MIN, "anyone?"),
            ],
            ..Facts::default()
        };
        let t = run(ReportId::Sessions, &facts, "Europe/Berlin", |_| {});
        assert_eq!(t.columns, HISTORY_COLUMNS);
        assert_eq!(
            row(&t, 0),
            [
                "2026-11-18 11:00:00",
                "Ann",
                "DE",
                "1.5",
                "3",
                "Bad",
                "11:00:05 Ann: Hi there\n11:00:20 Dana Smith: Hello!\n11:01:20 System: Bye\nRating: Bad — “too slow”"
            ]
        );
        // No messages, never asked to rate, still open: no duration, no rating, empty transcript.
        assert_eq!(row(&t, 1), ["2026-11-18 12:00:00", "x@y.example", "", "", "0", "", ""]);
        // Visitor only, skipped the survey; a message on another local day carries its date.
        assert_eq!(
            row(&t, 2),
            [
                "2026-11-18 23:30:00",
                "Visitor",
                "",
                "70",
                "1",
                "Not rated",
                "2026-11-19 00:10:00 Visitor: anyone?\nNot rated"
            ]
        );
        assert_eq!(t.conversations, [Some("c1".to_owned()), Some("c2".to_owned()), Some("c3".to_owned())]);
        assert!(t.chart.is_none());
        assert!(t.to_csv().unwrap().starts_with(
            "Session date,Participant name,Country,Session duration (min),Number of messages,Rating,Transcript\n"
        ));
    }

    #[test]
    fn history_follows_the_filters() {
        let facts = facts();
        let t = run(ReportId::Sessions, &facts, "UTC", |q| q.operator = Some("dana".into()));
        assert_eq!(t.conversations, [Some("s1".to_owned()), Some("s4".to_owned())]);
        let t = run(ReportId::Sessions, &facts, "UTC", |q| q.channel = Some("other".into()));
        assert!(t.rows.is_empty());
    }

    #[test]
    fn statistics_by_day_with_every_measure() {
        let facts = facts();
        let t = run(ReportId::SessionStatistics, &facts, "UTC", |_| {});
        let mut header = vec!["Creation date"];
        header.extend(STATISTICS_MEASURES);
        assert_eq!(t.columns, header);
        // Day 1: s1 (2 speakers, 3 msgs, 3 min, good, answered in 40.9 s, Dana's first day),
        // s2 (3 speakers, 3 msgs, 6 min, moderate, anonymous, 20 s, Sam's first day),
        // s3 (nothing, anonymous, unrated, no operator), s5 (1 speaker, 2 msgs, open, Sam,
        // not answered, anonymous), s6 (1 speaker, 1 msg, no operator, anonymous).
        assert_eq!(row(&t, 0), ["2026-11-18", "1.4", "0", "4.5", "4", "1.8", "4", "3", "30.45", "1", "5"]);
        // Day 2: s4 (2 speakers, 2 msgs, 10 min, bad, 61 s, Dana's first session the day before).
        assert_eq!(row(&t, 1), ["2026-11-19", "2", "1", "10", "1", "2", "1", "0", "61", "0", "1"]);
        let chart = t.chart.unwrap();
        assert_eq!(chart.kind, ChartKind::Stacked);
        assert_eq!(chart.labels, ["2026-11-18", "2026-11-19"]);
        let stacks: Vec<(&str, &[f64])> = chart.series.iter().map(|s| (s.name.as_str(), &s.values[..])).collect();
        assert_eq!(
            stacks,
            [("Good", &[1.0, 0.0][..]), ("Moderate", &[1.0, 0.0]), ("Bad", &[0.0, 1.0]), ("Not rated", &[3.0, 0.0])]
        );
    }

    #[test]
    fn statistics_by_hour_and_by_rating() {
        let facts = facts();
        let t = run(ReportId::SessionStatistics, &facts, "UTC", |q| q.group = Grouping::Hour);
        assert_eq!(t.columns[0], "Creation hour");
        let firsts: Vec<(&str, &str)> = t.rows.iter().map(|r| (r[0].as_str(), r[10].as_str())).collect();
        assert_eq!(firsts, [("09:00", "3"), ("12:00", "1"), ("13:00", "1"), ("15:00", "1")]);
        // 09:00 holds s1, s2 (day 1) and s4 (day 2): days of activity 0, 0, 1.
        assert_eq!(t.rows[0][2], "0.33");
        // In Berlin the same chats start an hour later.
        let t = run(ReportId::SessionStatistics, &facts, "Europe/Berlin", |q| q.group = Grouping::Hour);
        assert_eq!(t.rows[0][0], "10:00");

        let t = run(ReportId::SessionStatistics, &facts, "UTC", |q| q.group = Grouping::Rating);
        assert_eq!(t.columns[0], "Rating (group)");
        let groups: Vec<(&str, &str, &str, &str)> =
            t.rows.iter().map(|r| (r[0].as_str(), r[6].as_str(), r[7].as_str(), r[10].as_str())).collect();
        assert_eq!(
            groups,
            [("Good", "5", "0", "1"), ("Moderate", "3", "0", "1"), ("Bad", "1", "0", "1"), ("Not rated", "", "3", "3")]
        );
        assert_eq!(t.rows[3][9], "0"); // nobody happy among the unrated
    }

    #[test]
    fn statistics_of_nothing_is_empty() {
        let t = run(ReportId::SessionStatistics, &Facts::default(), "UTC", |_| {});
        assert!(t.rows.is_empty());
        assert!(t.chart.unwrap().labels.is_empty());
    }

    #[test]
    fn operator_analysis_per_operator() {
        let facts = facts();
        let t = run(ReportId::OperatorAnalysis, &facts, "UTC", |_| {});
        assert_eq!(t.columns, OPERATOR_COLUMNS);
        // Dana: s1, s2 (wrote before the transfer), s4: durations 180, 360, 600 s; rated s1
        // good and s4 bad (s2's rating is Sam's: it ended with him); answered 40.9, 20, 60.999 s.
        assert_eq!(row(&t, 0), ["Dana Smith", "3", "380", "3", "40.63", "3"]);
        // Sam: s2 (got it at +25 s, wrote at +40 s) and s5 (never answered, open).
        assert_eq!(row(&t, 1), ["sam", "2", "360", "3", "15", "2"]);
        let chart = t.chart.unwrap();
        assert_eq!(
            (chart.kind, &chart.labels[..]),
            (ChartKind::Bars, &["Dana Smith".to_owned(), "sam".to_owned()][..])
        );
        assert_eq!(chart.series[0].values, [3.0, 2.0]);

        let t = run(ReportId::OperatorAnalysis, &facts, "UTC", |q| q.operator = Some("sam".into()));
        assert_eq!(t.rows, [["sam", "2", "360", "3", "15", "2"]]);
        // Only the chat that never got an answer: a session, nothing else.
        let t = run(ReportId::OperatorAnalysis, &facts, "UTC", |q| {
            q.status = crate::query::StatusFilter::NoOperatorResponse
        });
        assert_eq!(t.rows, [["sam", "1", "", "", "", "1"]]);
    }

    #[test]
    fn ratings_per_operator_and_shift() {
        let facts = facts();
        let t = run(ReportId::Ratings, &facts, "UTC", |_| {});
        assert_eq!(t.columns, ratings::COLUMNS);
        assert_eq!(
            t.rows,
            [
                vec!["dana", "Dana Smith", "2026-11-18 08:00:00", "2026-11-18 17:00:00", "1", "0", "0", "0", "100"],
                // s4 closed on day 2, when Dana had no shift.
                vec!["dana", "Dana Smith", "", "", "0", "0", "1", "0", "0"],
                // Sam's shift is still open: it ends now.
                vec!["sam", "sam", "2026-11-18 09:00:00", "2026-11-20 00:00:00", "0", "1", "0", "0", "0"],
            ]
        );
        let chart = t.chart.unwrap();
        assert_eq!(chart.labels, ["Dana Smith", "sam"]);
        let stacks: Vec<&[f64]> = chart.series.iter().map(|s| &s.values[..]).collect();
        assert_eq!(stacks, [&[1.0, 0.0][..], &[0.0, 1.0], &[1.0, 0.0], &[0.0, 0.0]]);
        let t = run(ReportId::Ratings, &facts, "UTC", |q| q.operator = Some("sam".into()));
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0][0], "sam");
    }

    #[test]
    fn the_console_ratings_view_is_the_engines_rows() {
        let mut facts = facts();
        // Created the day before the period, closed in it: counted when loaded (the console's
        // view loads it: `ReportId::console_reads`).
        facts.conversations.push(with_op(closed(conv("s0", T - H), T + 10 * H, "good"), "dana"));
        // A closing time but not closed (reopened): the console's view counts closed chats only.
        let mut reopened = with_op(closed(conv("s7", T + 11 * H), T + 11 * H + MIN, "bad"), "dana");
        reopened.status = Status::Active;
        facts.conversations.push(reopened);
        let pairs = [("from", T.to_string()), ("to", (T + 2 * DAY).to_string())];
        let q = super::super::query::console_period(ReportId::Ratings, pairs.iter().map(|(k, v)| (*k, v.as_str())), T)
            .unwrap();
        let ctx = Ctx::new(&q, &facts, T + 2 * DAY, "");
        let rows = rating_rows(&ctx);
        let brief: Vec<_> = rows
            .iter()
            .map(|r| {
                (r.agent_id.as_str(), r.workshift_start.as_str(), r.survey_num_good, r.survey_num_bad, r.happy_percent)
            })
            .collect();
        assert_eq!(
            brief,
            [
                ("dana", "2026-11-18 08:00:00", 2, 0, Some(100)),
                ("dana", "", 0, 1, Some(0)),
                ("sam", "2026-11-18 09:00:00", 0, 0, Some(0)),
            ]
        );
        // The CSV link's bytes: the engine's table is the rows serialized field by field.
        let csv = super::super::compute(&ctx).to_csv().unwrap();
        assert_eq!(csv, super::super::serde_csv(&rows, &ratings::COLUMNS));

        // In another zone the shifts are local days and local times; the counts stay.
        let pairs = [("from", T.to_string()), ("to", (T + 2 * DAY).to_string()), ("tz", "Europe/Berlin".to_owned())];
        let q = super::super::query::console_period(ReportId::Ratings, pairs.iter().map(|(k, v)| (*k, v.as_str())), T)
            .unwrap();
        let local = rating_rows(&Ctx::new(&q, &facts, T + 2 * DAY, ""));
        let shifts: Vec<_> = local.iter().map(|r| (r.workshift_start.as_str(), r.workshift_end.as_str())).collect();
        assert_eq!(
            shifts,
            [("2026-11-18 09:00:00", "2026-11-18 18:00:00"), ("", ""), ("2026-11-18 10:00:00", "2026-11-20 01:00:00")]
        );
        let total =
            |rows: &[ratings::RatingRow]| rows.iter().map(|r| r.survey_num_good + r.survey_num_bad).sum::<u64>();
        assert_eq!(total(&local), total(&rows));
    }

    #[test]
    fn rating_lines_and_numbers() {
        assert_eq!(rating_line("", "x"), None);
        assert_eq!(rating_line("not_rated", ""), Some("Not rated".to_owned()));
        assert_eq!(rating_line("good", "  "), Some("Rating: Good".to_owned()));
        assert_eq!(rating_line("moderate", "ok"), Some("Rating: Moderate — “ok”".to_owned()));
        assert_eq!(
            (number(1.0 / 3.0), number(2.0), number(0.005), number(-0.0001)),
            ("0.33".into(), "2".into(), "0.01".into(), "0".into())
        );
        assert_eq!(mean(&[]), "");
        assert_eq!(mean(&[1.0, 2.0]), "1.5");
    }
}

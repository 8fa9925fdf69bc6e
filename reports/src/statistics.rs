//! The conversation statistics of seed `003_…` (issue 7): overview, statistics by operator
//! (with SLA-X minutes), by hour, by date, by channel, working time, message history and tags,
//! each one [`Table`] with the seed's field names as columns.
//!
//! # How the seed's words map onto Parley (the choices where it is ambiguous)
//!
//! - A **session** is a conversation (one per website session in Parley). The sessions counted
//!   are the conversations the edge loaded for the period (created in it) that pass the
//!   query's filters ([`Ctx::conversations`]). **Start time** is the conversation's creation
//!   (the visitor's first contact: their click or first message).
//! - **Assigned**: routing gave the session to an operator — an assignment is recorded for it
//!   (routed, dequeued, forwarded, transferred or taken) or it has an `operator_id`. "Assigned
//!   to X" is the same with X: X is in its assignments or is its operator.
//! - **Done / completed**: the conversation is closed (by the operator's "End chat", the
//!   visitor, or the session timeout). Closing is Parley's "mark as done"; the outcome form is an
//!   optional wrap-up made after closing, so a saved outcome is not required. **Pending** /
//!   not completed: still waiting or active.
//! - **Supported**: an operator wrote at least one message in it ("supported by X": X wrote in
//!   it). The product's own texts (role `system`) never count: they are the seed's "automatic
//!   response".
//! - **Waiting time** (seed: "time the employee first sent feedback to the customer − start
//!   time, does not include automatic response"): the first operator message − the creation;
//!   none when no operator wrote.
//! - **Support time** (seed: "time at the agent's last message before closing the session −
//!   time the agent first responded"): for a done session, the last operator message at or
//!   before `closed_at` − the first operator message; none for a pending session (the seed's
//!   by-channel text: "when the conversation is marked as completed") or one no operator wrote
//!   in. One operator message gives 0.
//! - **Averages**, word for word from the seed: Overview "total waiting (support) time / total
//!   sessions" and By channel "the average waiting (support) time of all sessions" divide by
//!   every session of the row; By operator's average waiting time is "the total waiting time of
//!   all waiting instances divided by the total number of sessions being analyzed" (the
//!   sessions in the operator's row) and its average support time "the total support time of all
//!   support instances divided by the total number of support instances". A session nobody
//!   answered adds no waiting time but counts in "total sessions". Empty when the divisor is 0.
//! - **Durations** are whole seconds, rounded down, like the other reports (averages: the mean
//!   in ms, then rounded down). **Percentages** are whole percents rounded half up
//!   ([`super::percent`]), empty when there is no session.
//! - **Chat / Comment**: Parley has only chats. The Comment columns are kept so the CSV has
//!   the seed's columns; they count comment sessions, and Parley has none, so they are 0 (their
//!   percentages empty: 0 of 0). The seed's two-level header ("Chat" → "Done, have support")
//!   is flattened to `Chat: Done, have support` (its names repeat otherwise). The top-level
//!   `Chat` is the number of **contacts** (distinct visitors) who chatted — the seed's
//!   "customer interactions", like the overview's "Contact Interactive" — and `Total` is Chat
//!   + Comment; `Chat: Total` is the number of chat sessions.
//!
//! # The reports
//!
//! - **Overview**: one row. `Contact Interactive` = distinct visitors.
//! - **By operator**: one row per operator (the account's enabled operators, and any other who
//!   was assigned or wrote; the `operator` filter keeps one), `Users` = first and last name,
//!   else username, else id. A session counts for X when it was assigned to X or X wrote in it,
//!   in exactly one of the six assigned × completed × supported columns. The seed lists
//!   "Assigned - completed - supported" twice; the second's text is "did not provide support",
//!   so it is `Assigned - completed - Not supported`. Its fifth header "Not assigned - Not
//!   completed - Not supported" is described as "provided support in completed sessions that
//!   were not assigned to them" (and a session neither assigned to X nor supported by X is not
//!   X's), so it is `Not assigned - completed - supported`. X's **waiting** instances are the
//!   sessions whose first operator message was X's (X ended the wait): `Waiting time` is their
//!   total, `SLA - Xm` (X = the query's `sla`) how many of them waited **less than** X minutes
//!   (the seed: "a response time of less than X minutes"). X's **support** time in a done
//!   session X wrote in: X's last message at or before closing − X's first message. Chart: bars
//!   per operator (assigned, supported, within SLA).
//! - **By hour**: 24 rows, `00`–`23`, the local hour (query zone) of each session's creation
//!   (on a day the clocks go back, both 02:xx hours count in `02`); the by-date columns plus
//!   `SLA - Xm`: sessions answered in less than X minutes (the seed's "How many conversation
//!   sessions are supported within 1 minute"). Chart: bars by hour.
//! - **By date**: one row per local date of the period (`YYYY-MM-DD`, every date, empty ones
//!   too; a 23- or 25-hour day is one date). Chart: bars by day.
//! - **By channel**: one row per channel of the account (the `channel` filter keeps one), by
//!   name, with waiting and support totals and averages as the seed lists them.
//! - **Working time**: one row per operator (as "by operator"): `Time stop` = the number of
//!   pauses ("online pauses"), `Total time stop` = their length in seconds. A pause is a break
//!   of a work shift, the one definition of [`crate::presence::work_shifts_of`] (the online
//!   intervals that begin on one local day of the query zone form a shift; the offline gaps
//!   between them are its breaks; a night shift is not split at midnight, and a gap over the
//!   local midnight before the next day's first interval is no pause). The shifts counted are
//!   those overlapping the period, with all their breaks, as "Agent performance" lists them
//!   (so `Time stop` is the sum of its `num_breaks` over the operator's shifts). An interval
//!   still open ends now. Days follow the zone's DST (a 25-hour day is one day). The
//!   conversation filters do not apply (presence is not per channel).
//! - **Message history**: one row per message of the filtered sessions, in time order (then
//!   conversation, then `seq`), each opening its transcript. `Message ID` =
//!   `<conversation id>:<seq>` (the D1 key); `Initiated by` = `user` (visitor) or `business`
//!   (operator or the product's own text); `Omnichannel` = the channel's name; `From` / `To` =
//!   the visitor id and the operator id (the channel id for a product text, or for an incoming
//!   message: the visitor writes to the channel, not to an operator); `Direction` = `incoming`
//!   (visitor) or `outgoing`; `Timestamp` local `YYYY-MM-DD HH:MM:SS`; `Content type` = `text`,
//!   or `image` / `file` for a message carrying a file (issue 21); `Content` = the text (a file
//!   sent without text: its name); `Link media` = the file's signed link, valid
//!   `REPORT_MEDIA_LINK_TTL_MS` from the report's making (the edge signs it), else empty;
//!   `Template ID`, `Template name` empty (no templates in Parley); `Status` = `received` for incoming, `sent` for outgoing (a
//!   stored message has been delivered to the conversation; there are no read receipts), so
//!   `Status updated at` = `Timestamp`.
//! - **Tags**: one table `Group`, `Tag`, `Page`, `Staff`, `Count` with three groups: `tag`
//!   (sessions with each tag, most first), `page` (sessions with each tag per page: the URL the
//!   conversation started on, without query and fragment, like the `page` filter reads pages)
//!   and `staff` (tags attached per operator: the one who saved the outcome, else the
//!   session's operator; a session with neither is in no staff row). A tag counts once per
//!   session (case as written). Order: `tag` rows by count (most first), then tag; `page` rows
//!   by page, then tag; `staff` rows by `Staff`, then tag. `Staff` is written like By
//!   operator's `Users` (first and last name, else username, else id); `Page` and `Staff` are
//!   empty on the rows of the other groups. Chart: bars by tag.

use std::collections::{BTreeMap, BTreeSet};

use super::facts::{AgentFact, AuthorRole, ConversationFact, MessageFact, Status};
use super::query::ReportId;
use super::table::{Chart, ChartKind, Series, Table};
use super::zone::Zone;
use super::{percent, Ctx};
use crate::presence;
use chrono::Datelike;

/// The table of `ctx.q.report` (one of this family's; any other gives an empty table).
pub fn table(ctx: &Ctx) -> Table {
    match ctx.q.report {
        ReportId::Overview => overview(ctx),
        ReportId::ByOperator => by_operator(ctx),
        ReportId::ByHour => by_hour(ctx),
        ReportId::ByDate => by_date(ctx),
        ReportId::ByChannel => by_channel(ctx),
        ReportId::WorkingTime => working_time(ctx),
        ReportId::MessageHistory => message_history(ctx),
        ReportId::Tags => tags(ctx),
        _ => Table::default(),
    }
}

/// Overview's columns.
pub const OVERVIEW_COLUMNS: [&str; 8] = [
    "Total Conversation",
    "Contact Interactive",
    "Session assigned",
    "Session not assigned",
    "Done Session",
    "Pending",
    "Average waiting time",
    "Average support time",
];

/// Working time's columns (the seed's apostrophe).
pub const WORKING_TIME_COLUMNS: [&str; 3] = ["Employee’s name", "Time stop", "Total time stop"];

/// Message history's columns.
pub const MESSAGE_HISTORY_COLUMNS: [&str; 15] = [
    "Message ID",
    "Conversation ID",
    "Initiated by",
    "Omnichannel",
    "From",
    "To",
    "Direction",
    "Timestamp",
    "Content type",
    "Content",
    "Template ID",
    "Template name",
    "Link media",
    "Status",
    "Status updated at",
];

/// Tags' columns.
pub const TAGS_COLUMNS: [&str; 5] = ["Group", "Tag", "Page", "Staff", "Count"];

/// The chat / comment split columns after the first (`Date`, `Hour` or `Channel`).
const SPLIT_COLUMNS: [&str; 16] = [
    "Chat",
    "Comment",
    "Total",
    "Chat: Done, have support",
    "Chat: Done, no support",
    "Chat: Not done, supported",
    "Chat: Not done, not supported",
    "Chat: % complete",
    "Chat: % support",
    "Chat: Total",
    "Comment: Done, have support",
    "Comment: Done, no support",
    "Comment: Not done, have support",
    "Comment: Not done, not supported",
    "Comment: % complete",
    "Comment: % support",
];

/// The SLA column's header for `minutes`.
pub fn sla_header(minutes: u32) -> String {
    format!("SLA - {minutes}m")
}

/// By operator's columns for an SLA of `sla_minutes`.
pub fn by_operator_columns(sla_minutes: u32) -> Vec<String> {
    let mut c: Vec<String> = [
        "Users",
        "Assigned - completed - supported",
        "Assigned - completed - Not supported",
        "Assigned - Not completed - supported",
        "Assigned - Not completed - Not supported",
        "Not assigned - completed - supported",
        "Not assigned - Not completed - supported",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    c.push(sla_header(sla_minutes));
    c.extend(["Waiting time", "Support time", "Average waiting time", "Average support time"].map(String::from));
    c
}

/// By hour's columns (`Hour`, the splits, the SLA).
pub fn by_hour_columns(sla_minutes: u32) -> Vec<String> {
    let mut c = vec!["Hour".to_owned()];
    c.extend(SPLIT_COLUMNS.iter().map(|s| (*s).to_owned()));
    c.push(sla_header(sla_minutes));
    c
}

/// By date's columns.
pub fn by_date_columns() -> Vec<String> {
    let mut c = vec!["Date".to_owned()];
    c.extend(SPLIT_COLUMNS.iter().map(|s| (*s).to_owned()));
    c
}

/// By channel's columns: the comment `% complete` / `% support` are not in the seed's list
/// for channels, the waiting and support times are.
pub fn by_channel_columns() -> Vec<String> {
    let mut c = vec!["Channel".to_owned()];
    c.extend(SPLIT_COLUMNS[..14].iter().map(|s| (*s).to_owned()));
    c.extend(["Waiting time", "Support time", "Average waiting time", "Average support time"].map(String::from));
    c
}

fn table_of(columns: Vec<String>) -> Table {
    Table { columns, ..Table::default() }
}

// ---------------------------------------------------------------------------------------------
// Sessions: what every count reads from one conversation.

/// One operator's messages in a session.
#[derive(Clone, Copy, Debug)]
struct Writer {
    first: u64,
    /// Their last message at or before the close (done sessions).
    last_before_close: Option<u64>,
}

struct Session<'a> {
    c: &'a ConversationFact,
    done: bool,
    supported: bool,
    /// Operators it was assigned to.
    assigned: BTreeSet<&'a str>,
    /// Operators who wrote, with their first and last messages.
    writers: BTreeMap<&'a str, Writer>,
    /// Who wrote the first operator message (when known).
    first_responder: Option<&'a str>,
    waiting_ms: Option<u64>,
    support_ms: Option<u64>,
}

impl Session<'_> {
    fn is_assigned(&self) -> bool {
        !self.assigned.is_empty()
    }
    /// X's support time in this session (done sessions X wrote in).
    fn support_of(&self, op: &str) -> Option<u64> {
        let w = self.writers.get(op)?;
        if !self.done {
            return None;
        }
        w.last_before_close.map(|l| l.saturating_sub(w.first))
    }
}

/// The filtered conversations as sessions, ordered by creation, then id.
fn sessions<'a>(ctx: &Ctx<'a>) -> Vec<Session<'a>> {
    let mut convs: Vec<&'a ConversationFact> = ctx.conversations().collect();
    convs.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let wanted: BTreeSet<&str> = convs.iter().map(|c| c.id.as_str()).collect();
    let mut messages: BTreeMap<&str, Vec<&'a MessageFact>> = BTreeMap::new();
    for m in &ctx.facts.messages {
        if wanted.contains(m.conversation_id.as_str()) {
            messages.entry(&m.conversation_id).or_default().push(m);
        }
    }
    let mut assigned: BTreeMap<&str, BTreeSet<&'a str>> = BTreeMap::new();
    for a in &ctx.facts.assignments {
        if wanted.contains(a.conversation_id.as_str()) && !a.operator_id.is_empty() {
            assigned.entry(&a.conversation_id).or_default().insert(&a.operator_id);
        }
    }
    convs
        .into_iter()
        .map(|c| {
            let mut msgs = messages.remove(c.id.as_str()).unwrap_or_default();
            msgs.sort_by_key(|m| (m.at, m.seq));
            let mut ops = assigned.remove(c.id.as_str()).unwrap_or_default();
            if let Some(op) = c.operator_id.as_deref().filter(|o| !o.is_empty()) {
                ops.insert(op);
            }
            session(c, &msgs, ops)
        })
        .collect()
}

/// `msgs` ordered by time, then seq.
fn session<'a>(c: &'a ConversationFact, msgs: &[&'a MessageFact], assigned: BTreeSet<&'a str>) -> Session<'a> {
    let done = c.status == Status::Closed;
    let closed_at = c.closed_at.filter(|_| done);
    let before_close = |at: u64| closed_at.is_none_or(|t| at <= t);
    let ops: Vec<&&MessageFact> = msgs.iter().filter(|m| m.role == AuthorRole::Operator).collect();
    let mut writers: BTreeMap<&str, Writer> = BTreeMap::new();
    for m in &ops {
        let Some(op) = m.operator_id.as_deref().filter(|o| !o.is_empty()) else { continue };
        let w = writers.entry(op).or_insert(Writer { first: m.at, last_before_close: None });
        if before_close(m.at) {
            w.last_before_close = Some(m.at);
        }
    }
    let first = ops.first();
    let support_ms = match (done, first) {
        (true, Some(f)) => ops.iter().rev().find(|m| before_close(m.at)).map(|l| l.at.saturating_sub(f.at)),
        _ => None,
    };
    Session {
        c,
        done,
        supported: first.is_some(),
        assigned,
        writers,
        first_responder: first.and_then(|m| m.operator_id.as_deref()).filter(|o| !o.is_empty()),
        waiting_ms: first.map(|m| m.at.saturating_sub(c.created_at)),
        support_ms,
    }
}

/// A running total of a duration and how many instances it has.
#[derive(Clone, Copy, Debug, Default)]
struct Total {
    ms: u64,
    n: u64,
}

impl Total {
    fn add(&mut self, ms: Option<u64>) {
        if let Some(ms) = ms {
            self.ms += ms;
            self.n += 1;
        }
    }
    fn total_cell(&self) -> String {
        (self.ms / 1000).to_string()
    }
    /// The total over its instances.
    fn average_cell(&self) -> String {
        self.average_over(self.n)
    }
    /// The total over `sessions` (the seed's "total sessions").
    fn average_over(&self, sessions: u64) -> String {
        self.ms.checked_div(sessions).map(|avg| (avg / 1000).to_string()).unwrap_or_default()
    }
}

fn pct(part: u64, whole: u64) -> String {
    percent(part, whole).map(|p| p.to_string()).unwrap_or_default()
}

/// The done × supported split of a group of chat sessions.
#[derive(Default)]
struct Split<'a> {
    contacts: BTreeSet<&'a str>,
    done_supported: u64,
    done_unsupported: u64,
    open_supported: u64,
    open_unsupported: u64,
    /// Answered in less than the SLA.
    within_sla: u64,
    waiting: Total,
    support: Total,
}

impl<'a> Split<'a> {
    fn add(&mut self, s: &Session<'a>, sla_ms: u64) {
        self.contacts.insert(&s.c.visitor_id);
        match (s.done, s.supported) {
            (true, true) => self.done_supported += 1,
            (true, false) => self.done_unsupported += 1,
            (false, true) => self.open_supported += 1,
            (false, false) => self.open_unsupported += 1,
        }
        if s.waiting_ms.is_some_and(|w| w < sla_ms) {
            self.within_sla += 1;
        }
        self.waiting.add(s.waiting_ms);
        self.support.add(s.support_ms);
    }
    fn sessions(&self) -> u64 {
        self.done_supported + self.done_unsupported + self.open_supported + self.open_unsupported
    }
    fn supported(&self) -> u64 {
        self.done_supported + self.open_supported
    }
    /// The 16 cells of [`SPLIT_COLUMNS`]: Parley's sessions are all chats, comments are 0.
    fn cells(&self) -> Vec<String> {
        let n = self.sessions();
        let chat = self.contacts.len() as u64;
        let comment = 0u64;
        let mut out = vec![chat.to_string(), comment.to_string(), (chat + comment).to_string()];
        out.extend(
            [self.done_supported, self.done_unsupported, self.open_supported, self.open_unsupported]
                .map(|v| v.to_string()),
        );
        out.push(pct(self.done_supported + self.done_unsupported, n));
        out.push(pct(self.supported(), n));
        out.push(n.to_string());
        // Comment sessions: none in Parley.
        out.extend(["0", "0", "0", "0"].map(String::from));
        out.push(pct(0, 0));
        out.push(pct(0, 0));
        out
    }
}

fn sla_ms(ctx: &Ctx) -> u64 {
    ctx.q.sla_minutes as u64 * 60_000
}

// ---------------------------------------------------------------------------------------------
// Overview

fn overview(ctx: &Ctx) -> Table {
    let list = sessions(ctx);
    let mut t = Table::new(&OVERVIEW_COLUMNS);
    let total = list.len() as u64;
    let contacts: BTreeSet<&str> = list.iter().map(|s| s.c.visitor_id.as_str()).collect();
    let assigned = list.iter().filter(|s| s.is_assigned()).count() as u64;
    let done = list.iter().filter(|s| s.done).count() as u64;
    let (mut waiting, mut support) = (Total::default(), Total::default());
    for s in &list {
        waiting.add(s.waiting_ms);
        support.add(s.support_ms);
    }
    t.push(
        vec![
            total.to_string(),
            contacts.len().to_string(),
            assigned.to_string(),
            (total - assigned).to_string(),
            done.to_string(),
            (total - done).to_string(),
            waiting.average_over(total),
            support.average_over(total),
        ],
        None,
    );
    t
}

// ---------------------------------------------------------------------------------------------
// By operator

/// How the report names an operator: first and last name, else username, else the id.
pub fn operator_name(agent: Option<&AgentFact>, id: &str) -> String {
    let Some(a) = agent else { return id.to_owned() };
    let full = format!("{} {}", a.first_name.trim(), a.last_name.trim()).trim().to_owned();
    if !full.is_empty() {
        full
    } else if !a.username.is_empty() {
        a.username.clone()
    } else {
        id.to_owned()
    }
}

/// The operators a per-operator report lists: the account's enabled operators and `also`
/// (those with something to show), kept to the query's `operator` filter; `(name, id)` ordered
/// by name, then id.
fn operator_rows<'a>(ctx: &Ctx<'a>, also: impl IntoIterator<Item = &'a str>) -> Vec<(String, &'a str)> {
    let agents: BTreeMap<&str, &AgentFact> = ctx.facts.agents.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut ids: BTreeSet<&str> =
        ctx.facts.agents.iter().filter(|a| !a.disabled && !a.deleted).map(|a| a.id.as_str()).collect();
    ids.extend(also);
    let mut rows: Vec<(String, &str)> = ids
        .into_iter()
        .filter(|id| ctx.q.operator.as_deref().is_none_or(|o| o == *id))
        .map(|id| (operator_name(agents.get(id).copied(), id), id))
        .collect();
    rows.sort();
    rows
}

#[derive(Default)]
struct OperatorCounts {
    /// assigned × completed × supported, in the columns' order.
    cells: [u64; 6],
    assigned: u64,
    supported: u64,
    within_sla: u64,
    waiting: Total,
    support: Total,
}

fn by_operator(ctx: &Ctx) -> Table {
    let list = sessions(ctx);
    let sla = sla_ms(ctx);
    let mut counts: BTreeMap<&str, OperatorCounts> = BTreeMap::new();
    for s in &list {
        let involved: BTreeSet<&str> = s.assigned.iter().copied().chain(s.writers.keys().copied()).collect();
        for op in involved {
            let n = counts.entry(op).or_default();
            let assigned = s.assigned.contains(op);
            let supported = s.writers.contains_key(op);
            let col = match (assigned, s.done, supported) {
                (true, true, true) => 0,
                (true, true, false) => 1,
                (true, false, true) => 2,
                (true, false, false) => 3,
                (false, true, _) => 4,
                (false, false, _) => 5,
            };
            n.cells[col] += 1;
            n.assigned += u64::from(assigned);
            n.supported += u64::from(supported);
            n.support.add(s.support_of(op));
        }
        if let (Some(op), Some(w)) = (s.first_responder, s.waiting_ms) {
            let n = counts.entry(op).or_default();
            n.waiting.add(Some(w));
            if w < sla {
                n.within_sla += 1;
            }
        }
    }
    let rows = operator_rows(ctx, counts.keys().copied().collect::<Vec<_>>());
    let mut t = table_of(by_operator_columns(ctx.q.sla_minutes));
    let zero = OperatorCounts::default();
    let sla = sla_header(ctx.q.sla_minutes);
    let mut chart = Chart::empty(ChartKind::Bars, "Sessions by operator", &["Assigned", "Supported", &sla]);
    for (name, id) in rows {
        let n = counts.get(id).unwrap_or(&zero);
        let mut cells = vec![name.clone()];
        cells.extend(n.cells.iter().map(u64::to_string));
        cells.push(n.within_sla.to_string());
        cells.extend([
            n.waiting.total_cell(),
            n.support.total_cell(),
            n.waiting.average_over(n.cells.iter().sum()),
            n.support.average_cell(),
        ]);
        t.push(cells, None);
        chart.labels.push(name);
        chart.series[0].values.push(n.assigned as f64);
        chart.series[1].values.push(n.supported as f64);
        chart.series[2].values.push(n.within_sla as f64);
    }
    t.chart = Some(chart);
    t
}

/// Bars of sessions and supported sessions per label.
fn split_chart(title: &str, labels: Vec<String>, splits: &[Split]) -> Chart {
    Chart {
        kind: ChartKind::Bars,
        title: title.to_owned(),
        labels,
        series: vec![
            Series { name: "Sessions".into(), values: splits.iter().map(|s| s.sessions() as f64).collect() },
            Series { name: "Supported".into(), values: splits.iter().map(|s| s.supported() as f64).collect() },
        ],
    }
}

// ---------------------------------------------------------------------------------------------
// By hour, by date, by channel

fn by_hour(ctx: &Ctx) -> Table {
    let list = sessions(ctx);
    let sla = sla_ms(ctx);
    let mut hours: Vec<Split> = (0..24).map(|_| Split::default()).collect();
    for s in &list {
        hours[ctx.zone.hour(s.c.created_at) as usize % 24].add(s, sla);
    }
    let mut t = table_of(by_hour_columns(ctx.q.sla_minutes));
    let labels: Vec<String> = (0..24).map(|h| format!("{h:02}")).collect();
    for (label, split) in labels.iter().zip(&hours) {
        let mut cells = vec![label.clone()];
        cells.extend(split.cells());
        cells.push(split.within_sla.to_string());
        t.push(cells, None);
    }
    t.chart = Some(split_chart("Sessions by hour", labels, &hours));
    t
}

/// Every local date of `[from, to)` in `zone`, oldest first.
fn dates(zone: &Zone, from: u64, to: u64) -> Vec<chrono::NaiveDate> {
    let mut out = Vec::new();
    if to <= from {
        return out;
    }
    let (mut d, last) = (zone.naive_date(from), zone.naive_date(to - 1));
    while d <= last {
        out.push(d);
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }
    out
}

fn by_date(ctx: &Ctx) -> Table {
    let list = sessions(ctx);
    let sla = sla_ms(ctx);
    let days = dates(&ctx.zone, ctx.q.from, ctx.q.to);
    let mut splits: Vec<Split> = days.iter().map(|_| Split::default()).collect();
    for s in &list {
        if let Ok(i) = days.binary_search(&ctx.zone.naive_date(s.c.created_at)) {
            splits[i].add(s, sla);
        }
    }
    let mut t = table_of(by_date_columns());
    let labels: Vec<String> = days.iter().map(|d| d.format("%Y-%m-%d").to_string()).collect();
    for (label, split) in labels.iter().zip(&splits) {
        let mut cells = vec![label.clone()];
        cells.extend(split.cells());
        t.push(cells, None);
    }
    t.chart = Some(split_chart("Sessions by day", labels, &splits));
    t
}

fn by_channel(ctx: &Ctx) -> Table {
    let list = sessions(ctx);
    let sla = sla_ms(ctx);
    let names: BTreeMap<&str, &str> = ctx.facts.channels.iter().map(|c| (c.id.as_str(), c.name.as_str())).collect();
    let mut splits: BTreeMap<&str, Split> =
        ctx.facts.channels.iter().map(|c| (c.id.as_str(), Split::default())).collect();
    for s in &list {
        splits.entry(&s.c.channel_id).or_default().add(s, sla);
    }
    let mut rows: Vec<(String, &str, Split)> = splits
        .into_iter()
        .filter(|(id, _)| ctx.q.channel.as_deref().is_none_or(|c| c == *id))
        .map(|(id, split)| {
            let name = names.get(id).copied().filter(|n| !n.is_empty()).unwrap_or(id).to_owned();
            (name, id, split)
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let mut t = table_of(by_channel_columns());
    let mut labels = Vec::new();
    let mut done = Vec::new();
    for (name, _, split) in rows {
        let mut cells = vec![name.clone()];
        let mut split_cells = split.cells();
        split_cells.truncate(14);
        cells.extend(split_cells);
        cells.extend([
            split.waiting.total_cell(),
            split.support.total_cell(),
            split.waiting.average_over(split.sessions()),
            split.support.average_over(split.sessions()),
        ]);
        t.push(cells, None);
        labels.push(name);
        done.push(split);
    }
    t.chart = Some(split_chart("Sessions by channel", labels, &done));
    t
}

// ---------------------------------------------------------------------------------------------
// Working time

fn working_time(ctx: &Ctx) -> Table {
    let (from, to, zone) = (ctx.q.from, ctx.q.to, &ctx.zone);
    let day_of = |t: u64| zone.naive_date(t).num_days_from_ce() as i64;
    let mut online: BTreeMap<&str, Vec<(u64, Option<u64>)>> = BTreeMap::new();
    for a in &ctx.facts.activity {
        if a.state == "online" && !a.operator_id.is_empty() {
            online.entry(&a.operator_id).or_default().push((a.start, a.end));
        }
    }
    let mut t = Table::new(&WORKING_TIME_COLUMNS);
    for (name, id) in operator_rows(ctx, online.keys().copied().collect::<Vec<_>>()) {
        let shifts = online
            .get(id)
            .map(|list| presence::work_shifts_of(list.iter().copied(), ctx.now, day_of))
            .unwrap_or_default();
        let pauses: Vec<u64> = shifts
            .iter()
            .filter(|s| s.start.0 < to && s.end.0 > from)
            .flat_map(|s| s.breaks.iter().map(|(a, b)| b.0.saturating_sub(a.0)))
            .collect();
        let total: u64 = pauses.iter().sum();
        t.push(vec![name, pauses.len().to_string(), (total / 1000).to_string()], None);
    }
    t
}

// ---------------------------------------------------------------------------------------------
// Message history

/// Message history's `Content type`: `image` for an image file, `file` for another, else `text`.
fn content_type(m: &MessageFact) -> &'static str {
    match &m.attachment {
        Some(a) if a.is_image() => "image",
        Some(_) => "file",
        None => "text",
    }
}

/// Message history's `Content`: the text; for a file sent without one, the file's name.
fn content(m: &MessageFact) -> String {
    match &m.attachment {
        Some(a) if m.text.is_empty() => a.name.clone(),
        _ => m.text.clone(),
    }
}

fn message_history(ctx: &Ctx) -> Table {
    let convs: BTreeMap<&str, &ConversationFact> = ctx.conversations().map(|c| (c.id.as_str(), c)).collect();
    let channels: BTreeMap<&str, &str> = ctx.facts.channels.iter().map(|c| (c.id.as_str(), c.name.as_str())).collect();
    let mut msgs: Vec<(&MessageFact, &ConversationFact)> =
        ctx.facts.messages.iter().filter_map(|m| convs.get(m.conversation_id.as_str()).map(|c| (m, *c))).collect();
    msgs.sort_by(|(a, _), (b, _)| (a.at, &a.conversation_id, a.seq).cmp(&(b.at, &b.conversation_id, b.seq)));
    let mut t = Table::new(&MESSAGE_HISTORY_COLUMNS);
    for (m, c) in msgs {
        let channel = channels.get(c.channel_id.as_str()).copied().filter(|n| !n.is_empty()).unwrap_or(&c.channel_id);
        let operator = m
            .operator_id
            .as_ref()
            .filter(|o| !o.is_empty())
            .map_or_else(|| c.channel_id.to_string(), |o| o.to_string());
        let (initiated, from, to, direction, status) = match m.role {
            AuthorRole::Visitor => ("user", c.visitor_id.to_string(), c.channel_id.to_string(), "incoming", "received"),
            AuthorRole::Operator => ("business", operator, c.visitor_id.to_string(), "outgoing", "sent"),
            AuthorRole::System => ("business", c.channel_id.to_string(), c.visitor_id.to_string(), "outgoing", "sent"),
        };
        let at = ctx.zone.datetime(m.at);
        t.push(
            vec![
                format!("{}:{}", m.conversation_id, m.seq),
                m.conversation_id.to_string(),
                initiated.to_owned(),
                channel.to_owned(),
                from,
                to,
                direction.to_owned(),
                at.clone(),
                content_type(m).to_owned(),
                content(m),
                String::new(),
                String::new(),
                m.media_link.clone(),
                status.to_owned(),
                at,
            ],
            Some(m.conversation_id.to_string()),
        );
    }
    t
}

// ---------------------------------------------------------------------------------------------
// Tags

/// A page as the tags report groups it: the URL without its query and fragment.
fn page_of(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    &url[..end]
}

fn tags(ctx: &Ctx) -> Table {
    let agents: BTreeMap<&str, &AgentFact> = ctx.facts.agents.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut by_tag: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_page: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut by_staff: BTreeMap<(String, &str, &str), u64> = BTreeMap::new();
    for c in ctx.conversations() {
        let tags: BTreeSet<&str> = c.tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()).collect();
        let staff = c.outcome_by.as_deref().or(c.operator_id.as_deref()).filter(|o| !o.is_empty());
        for tag in tags {
            *by_tag.entry(tag).or_default() += 1;
            *by_page.entry((page_of(&c.page_url), tag)).or_default() += 1;
            if let Some(op) = staff {
                *by_staff.entry((operator_name(agents.get(op).copied(), op), op, tag)).or_default() += 1;
            }
        }
    }
    let mut tag_rows: Vec<(&str, u64)> = by_tag.into_iter().collect();
    tag_rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut t = Table::new(&TAGS_COLUMNS);
    let s = |v: &str| v.to_owned();
    for (tag, n) in &tag_rows {
        t.push(vec![s("tag"), s(tag), String::new(), String::new(), n.to_string()], None);
    }
    for ((page, tag), n) in by_page {
        t.push(vec![s("page"), s(tag), s(page), String::new(), n.to_string()], None);
    }
    for ((name, _, tag), n) in by_staff {
        t.push(vec![s("staff"), s(tag), String::new(), name, n.to_string()], None);
    }
    t.chart = Some(Chart {
        kind: ChartKind::Bars,
        title: "Sessions by tag".into(),
        labels: tag_rows.iter().map(|(tag, _)| (*tag).to_owned()).collect(),
        series: vec![Series { name: "Sessions".into(), values: tag_rows.iter().map(|(_, n)| *n as f64).collect() }],
    });
    t
}

#[cfg(test)]
mod tests;

//! The reports of seed `002_…` (productivity, web pages visited, popular phrases, visitor
//! phrases), computed from the [facts](super::facts) of the conversations that pass the query's
//! filters ([`Ctx::conversations`]; the seed's status filter — all, active, closed, no operator
//! response — is the query's `status`). The seed names no columns: they are named after its
//! words ("messages sent by the operator and the client", "maximum and average response time",
//! "Session id", "Chat date", "Client id"; Parley says visitor for client).
//!
//! How each is read from the seed (the choices where it is ambiguous):
//!
//! - **Productivity**: one row per operator who took part in a chat (assigned to it, wrote in
//!   it, or it is with them), by name then id; then `No operator` for the chats no operator took
//!   part in (only when there are some); then `Total` over all chats. `Chat sessions`: the
//!   chats they took part in. `Operator messages`: the messages they wrote (an operator message
//!   without a recorded author counts for the chat's operator). `Visitor messages`: the visitor
//!   messages of the chats they took part in (so a transferred chat's visitor messages count for
//!   each of its operators; `Total` counts each message once). System texts count for nobody.
//!   A **response time** is exactly the Conversations report's: for each run of visitor
//!   messages, the first of the run → the next operator message (a run nobody answered does not
//!   count); it is credited to the operator who wrote that answer. Max and average in whole
//!   seconds rounded down (the average: the mean in ms, then rounded down); empty when the
//!   operator answered no run.
//! - **Web pages visited**: one row per page visit, by chat (creation, id) then time: the pages
//!   the visitor saw during the chat as recorded (`pages`), and first the page the chat started
//!   on (at its creation, no title) unless the first recorded page already is that URL. Linked to
//!   the chat.
//! - **Popular phrases**: a phrase is a whole visitor or operator message, normalised:
//!   lower-case, line breaks and runs of spaces made one space, punctuation trimmed from both
//!   ends (`Hello!!` = `hello`; `don't` keeps its apostrophe); a message that is only
//!   punctuation is no phrase. Rows: the phrase, how many messages, how many by visitors and by
//!   operators, in how many chats; by count (most first), then phrase; at most
//!   [`MAX_PHRASES`] rows. Each row opens the first chat the phrase was used in. The chart: the
//!   ten most frequent.
//! - **Visitor phrases**: every visitor message (as written), one row each, by time, then chat,
//!   then `seq`, linked to its chat.
//!
//! Times are `YYYY-MM-DD HH:MM:SS` in the report's zone.

use std::collections::BTreeMap;

use super::conversations::responses;
use super::facts::{AuthorRole, MessageFact};
use super::query::ReportId;
use super::sessions::{sessions, visitor_label, Names, Session};
use super::table::{Chart, ChartKind, Series, Table};
use super::Ctx;

pub const PRODUCTIVITY_COLUMNS: [&str; 6] = [
    "Operator",
    "Chat sessions",
    "Operator messages",
    "Visitor messages",
    "Max response time (sec)",
    "Average response time (sec)",
];

pub const WEB_PAGES_COLUMNS: [&str; 7] = ["Session id", "Chat date", "Visitor id", "Visitor", "Time", "URL", "Title"];

pub const POPULAR_PHRASES_COLUMNS: [&str; 5] = ["Phrase", "Count", "By visitors", "By operators", "Chat sessions"];

pub const VISITOR_PHRASES_COLUMNS: [&str; 5] = ["Time", "Session id", "Visitor id", "Visitor", "Phrase"];

/// Most rows of "popular phrases".
pub const MAX_PHRASES: usize = 100;

/// Phrases in the popular phrases chart.
const CHART_PHRASES: usize = 10;

/// The table of `ctx.q.report` (one of this family's).
pub fn table(ctx: &Ctx) -> Table {
    match ctx.q.report {
        ReportId::WebPages => web_pages(ctx),
        ReportId::PopularPhrases => popular_phrases(ctx),
        ReportId::VisitorPhrases => visitor_phrases(ctx),
        _ => productivity(ctx),
    }
}

// ---------------------------------------------------------------------------------------------
// Productivity.

#[derive(Default)]
struct Tally {
    chats: u64,
    operator_messages: u64,
    visitor_messages: u64,
    responses_ms: Vec<u64>,
}

impl Tally {
    fn cells(&self, name: String) -> Vec<String> {
        let n = self.responses_ms.len() as u64;
        vec![
            name,
            self.chats.to_string(),
            self.operator_messages.to_string(),
            self.visitor_messages.to_string(),
            self.responses_ms.iter().max().map(|ms| (ms / 1000).to_string()).unwrap_or_default(),
            if n == 0 { String::new() } else { (self.responses_ms.iter().sum::<u64>() / n / 1000).to_string() },
        ]
    }
}

/// The operator a message counts for: its author, else the chat's operator.
fn author<'a>(s: &Session<'a>, m: &'a MessageFact) -> Option<&'a str> {
    m.operator_id.as_deref().filter(|o| !o.is_empty()).or_else(|| s.operator())
}

fn productivity(ctx: &Ctx) -> Table {
    let names = Names::new(ctx);
    let (mut per, mut nobody, mut total) = (BTreeMap::<&str, Tally>::new(), Tally::default(), Tally::default());
    for s in sessions(ctx, ctx.conversations()) {
        let visitor = s.messages.iter().filter(|m| m.role == AuthorRole::Visitor).count() as u64;
        let participants = s.participants();
        total.chats += 1;
        total.visitor_messages += visitor;
        if participants.is_empty() {
            nobody.chats += 1;
            nobody.visitor_messages += visitor;
        }
        for op in &participants {
            let t = per.entry(op).or_default();
            t.chats += 1;
            t.visitor_messages += visitor;
        }
        for m in s.messages.iter().filter(|m| m.role == AuthorRole::Operator) {
            total.operator_messages += 1;
            match author(&s, m) {
                Some(op) => per.entry(op).or_default().operator_messages += 1,
                None => nobody.operator_messages += 1,
            }
        }
        for (ms, answer) in responses(&s.messages) {
            total.responses_ms.push(ms);
            match author(&s, answer) {
                Some(op) => per.entry(op).or_default().responses_ms.push(ms),
                None => nobody.responses_ms.push(ms),
            }
        }
    }
    let mut rows: Vec<(String, &str, Tally)> = per.into_iter().map(|(op, t)| (names.get(op), op, t)).collect();
    rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let mut t = Table::new(&PRODUCTIVITY_COLUMNS);
    let mut chart = Chart {
        kind: ChartKind::Bars,
        title: "Messages by operator".to_owned(),
        labels: Vec::new(),
        series: vec![
            Series { name: "Operator messages".to_owned(), values: Vec::new() },
            Series { name: "Visitor messages".to_owned(), values: Vec::new() },
        ],
    };
    for (name, _, tally) in rows {
        chart.labels.push(name.clone());
        chart.series[0].values.push(tally.operator_messages as f64);
        chart.series[1].values.push(tally.visitor_messages as f64);
        t.push(tally.cells(name), None);
    }
    if nobody.chats > 0 || nobody.operator_messages > 0 {
        t.push(nobody.cells("No operator".to_owned()), None);
    }
    t.push(total.cells("Total".to_owned()), None);
    t.chart = Some(chart);
    t
}

// ---------------------------------------------------------------------------------------------
// Web pages visited.

fn web_pages(ctx: &Ctx) -> Table {
    let mut t = Table::new(&WEB_PAGES_COLUMNS);
    let mut convs: Vec<_> = ctx.conversations().collect();
    convs.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    for c in convs {
        let mut pages: Vec<(u64, &str, &str)> =
            c.pages.iter().map(|p| (p.at, p.url.as_str(), p.title.as_str())).collect();
        pages.sort_by_key(|p| p.0);
        if !c.page_url.is_empty() && pages.first().is_none_or(|p| p.1 != c.page_url) {
            pages.insert(0, (c.created_at, &c.page_url, ""));
        }
        for (at, url, title) in pages {
            t.push(
                vec![
                    c.id.clone(),
                    ctx.zone.datetime(c.created_at),
                    c.visitor_id.clone(),
                    visitor_label(c).to_owned(),
                    ctx.zone.datetime(at),
                    url.to_owned(),
                    title.to_owned(),
                ],
                Some(c.id.clone()),
            );
        }
    }
    t
}

// ---------------------------------------------------------------------------------------------
// Phrases.

/// A message as a phrase: lower-case, whitespace collapsed, punctuation trimmed from the ends;
/// `None` when nothing is left.
pub fn phrase(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let joined = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    let p = joined.trim_matches(|c: char| c.is_whitespace() || is_punctuation(c));
    (!p.is_empty()).then(|| p.to_owned())
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(
            c,
            '¡' | '¿'
                | '…'
                | '«'
                | '»'
                | '“'
                | '”'
                | '„'
                | '‘'
                | '’'
                | '‚'
                | '–'
                | '—'
                | '·'
                | '。'
                | '、'
                | '！'
                | '？'
                | '，'
                | '：'
                | '；'
        )
}

#[derive(Default)]
struct PhraseCount<'a> {
    visitors: u64,
    operators: u64,
    chats: Vec<&'a str>,
    /// When and in which chat it was first used.
    first: Option<(u64, &'a str)>,
}

fn popular_phrases(ctx: &Ctx) -> Table {
    let mut counts: BTreeMap<String, PhraseCount> = BTreeMap::new();
    for s in sessions(ctx, ctx.conversations()) {
        for m in &s.messages {
            let by_visitor = match m.role {
                AuthorRole::Visitor => true,
                AuthorRole::Operator => false,
                AuthorRole::System => continue,
            };
            let Some(p) = phrase(&m.text) else { continue };
            let e = counts.entry(p).or_default();
            if by_visitor {
                e.visitors += 1;
            } else {
                e.operators += 1;
            }
            if e.chats.last() != Some(&s.c.id.as_str()) {
                e.chats.push(&s.c.id);
            }
            if e.first.is_none_or(|(at, id)| (m.at, s.c.id.as_str()) < (at, id)) {
                e.first = Some((m.at, &s.c.id));
            }
        }
    }
    let mut list: Vec<(String, PhraseCount)> = counts.into_iter().collect();
    // Stable: equal counts stay in phrase order.
    list.sort_by_key(|(_, c)| std::cmp::Reverse(c.visitors + c.operators));
    list.truncate(MAX_PHRASES);
    let mut t = Table::new(&POPULAR_PHRASES_COLUMNS);
    let mut chart = Chart {
        kind: ChartKind::Bars,
        title: "Most popular phrases".to_owned(),
        labels: Vec::new(),
        series: vec![Series { name: "Count".to_owned(), values: Vec::new() }],
    };
    for (p, c) in list {
        let n = c.visitors + c.operators;
        if chart.labels.len() < CHART_PHRASES {
            chart.labels.push(p.clone());
            chart.series[0].values.push(n as f64);
        }
        // A chat's messages are visited together, so its id was pushed once.
        let chats = c.chats.len();
        t.push(
            vec![p, n.to_string(), c.visitors.to_string(), c.operators.to_string(), chats.to_string()],
            c.first.map(|(_, id)| id.to_owned()),
        );
    }
    t.chart = Some(chart);
    t
}

fn visitor_phrases(ctx: &Ctx) -> Table {
    let mut rows: Vec<(u64, &str, u64, Vec<String>)> = Vec::new();
    for s in sessions(ctx, ctx.conversations()) {
        for m in s.messages.iter().filter(|m| m.role == AuthorRole::Visitor) {
            rows.push((
                m.at,
                &s.c.id,
                m.seq,
                vec![
                    ctx.zone.datetime(m.at),
                    s.c.id.clone(),
                    s.c.visitor_id.clone(),
                    visitor_label(s.c).to_owned(),
                    m.text.clone(),
                ],
            ));
        }
    }
    rows.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    let mut t = Table::new(&VISITOR_PHRASES_COLUMNS);
    for (_, id, _, cells) in rows {
        t.push(cells, Some(id.to_owned()));
    }
    t
}

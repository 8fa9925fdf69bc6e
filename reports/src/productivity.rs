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
//!   the chat. `Chat date` is the chat's creation, `Time` the visit's, both local.
//! - **Ids and names** (web pages, visitor phrases): `Session id` is the conversation id (the
//!   seed: "unique identifier that is assigned to the dialogue by the system"; not the website
//!   `session_id` of the Conversations report), `Visitor id` the visitor id (the seed's "Client
//!   id"), `Visitor` the visitor's name, else e-mail, else `Visitor` (as sessions history).
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
use super::table::{Chart, ChartKind, Table};
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
            self.responses_ms.iter().sum::<u64>().checked_div(n).map(|ms| (ms / 1000).to_string()).unwrap_or_default(),
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
    let rows = names.sorted(per);
    let mut t = Table::new(&PRODUCTIVITY_COLUMNS);
    let mut chart = Chart::empty(ChartKind::Bars, "Messages by operator", &["Operator messages", "Visitor messages"]);
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
                    c.id.to_string(),
                    ctx.zone.datetime(c.created_at),
                    c.visitor_id.to_string(),
                    visitor_label(c).to_owned(),
                    ctx.zone.datetime(at),
                    url.to_owned(),
                    title.to_owned(),
                ],
                Some(c.id.to_string()),
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
    let mut chart = Chart::empty(ChartKind::Bars, "Most popular phrases", &["Count"]);
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
                    s.c.id.to_string(),
                    s.c.visitor_id.to_string(),
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

#[cfg(test)]
mod tests {
    use super::super::facts::{Facts, PageFact};
    use super::super::query::StatusFilter;
    use super::super::sessions::fixtures::*;
    use super::*;

    #[test]
    fn productivity_per_operator_then_no_operator_then_total() {
        let facts = facts();
        let t = run(ReportId::Productivity, &facts, "UTC", |_| {});
        assert_eq!(t.columns, PRODUCTIVITY_COLUMNS);
        assert_eq!(
            t.rows,
            [
                // s1, s2, s4: her 3 messages; the visitors' 2 + 1 + 1; she answered runs after
                // 30.9 s, 20 s and 60.999 s: max 60, mean 37.299 s → 37.
                ["Dana Smith", "3", "3", "4", "60", "37"],
                // s2 (transferred to him after Dana answered) and s5 (never answered).
                ["sam", "2", "1", "3", "", ""],
                // s3 (no messages) and s6 (visitor only).
                ["No operator", "2", "0", "1", "", ""],
                ["Total", "6", "4", "7", "60", "37"],
            ]
        );
        assert!(t.conversations.is_empty());
        let chart = t.chart.unwrap();
        assert_eq!(chart.labels, ["Dana Smith", "sam"]);
        assert_eq!((&chart.series[0].values[..], &chart.series[1].values[..]), (&[3.0, 1.0][..], &[4.0, 3.0][..]));
    }

    #[test]
    fn productivity_with_the_status_filter() {
        let facts = facts();
        let t = run(ReportId::Productivity, &facts, "UTC", |q| q.status = StatusFilter::NoOperatorResponse);
        assert_eq!(t.rows, [["sam", "1", "0", "2", "", ""], ["Total", "1", "0", "2", "", ""]]);
        let t = run(ReportId::Productivity, &facts, "UTC", |q| q.status = StatusFilter::Active);
        let names: Vec<&str> = t.rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(names, ["sam", "No operator", "Total"]);
        let t = run(ReportId::Productivity, &Facts::default(), "UTC", |_| {});
        assert_eq!(t.rows, [["Total", "0", "0", "0", "", ""]]);
    }

    #[test]
    fn an_operator_message_without_author_counts_for_the_chats_operator() {
        let mut facts = facts();
        for m in facts.messages.iter_mut().filter(|m| m.conversation_id == "s4") {
            m.operator_id = None;
        }
        let t = run(ReportId::Productivity, &facts, "UTC", |_| {});
        assert_eq!(t.rows[0], ["Dana Smith", "3", "3", "4", "60", "37"]);
    }

    #[test]
    fn web_pages_one_row_per_visit() {
        let page = |url: &str, title: &str, at: u64| PageFact { url: url.into(), title: title.into(), at };
        let mut a = conv("a", T + H);
        a.visitor_name = "Ann".into();
        a.pages = vec![
            page("https://shop.example/cart", "Cart", T + H + 5 * MIN),
            page("https://shop.example/faq", "", T + H + MIN),
        ];
        // The first recorded page is the one the chat started on: not listed twice.
        let mut b = conv("b", T + 2 * H);
        b.page_url = "https://shop.example/faq".into();
        b.pages = vec![page("https://shop.example/faq", "FAQ", T + 2 * H)];
        // Nothing known: no row.
        let mut c = conv("c", T);
        c.page_url = String::new();
        let facts = Facts { conversations: vec![b, c, a], ..Facts::default() };
        let t = run(ReportId::WebPages, &facts, "Europe/Berlin", |_| {});
        assert_eq!(t.columns, WEB_PAGES_COLUMNS);
        assert_eq!(
            t.rows,
            [
                ["a", "2026-11-18 02:00:00", "vis_a", "Ann", "2026-11-18 02:00:00", "https://shop.example/pricing", ""],
                ["a", "2026-11-18 02:00:00", "vis_a", "Ann", "2026-11-18 02:01:00", "https://shop.example/faq", ""],
                [
                    "a",
                    "2026-11-18 02:00:00",
                    "vis_a",
                    "Ann",
                    "2026-11-18 02:05:00",
                    "https://shop.example/cart",
                    "Cart"
                ],
                [
                    "b",
                    "2026-11-18 03:00:00",
                    "vis_b",
                    "Visitor",
                    "2026-11-18 03:00:00",
                    "https://shop.example/faq",
                    "FAQ"
                ],
            ]
        );
        let linked: Vec<&str> = (0..4).filter_map(|i| t.conversation(i)).collect();
        assert_eq!(linked, ["a", "a", "a", "b"]);
    }

    #[test]
    fn phrases_are_normalised_messages() {
        assert_eq!(phrase("  Hello!!  "), Some("hello".into()));
        assert_eq!(phrase("Thanks\n  a   LOT."), Some("thanks a lot".into()));
        assert_eq!(phrase("¿Precio?"), Some("precio".into()));
        assert_eq!(phrase("“don't” …"), Some("don't".into()));
        assert_eq!(phrase("e-mail 2.5"), Some("e-mail 2.5".into()));
        assert_eq!(phrase("?!"), None);
        assert_eq!(phrase("   "), None);
        assert_eq!(phrase("👍"), Some("👍".into()));
    }

    #[test]
    fn popular_phrases_by_count() {
        let facts = facts();
        let t = run(ReportId::PopularPhrases, &facts, "UTC", |_| {});
        assert_eq!(t.columns, POPULAR_PHRASES_COLUMNS);
        assert_eq!(
            t.rows,
            [
                ["hello", "6", "5", "1", "4"],
                ["price", "2", "1", "1", "1"],
                ["thanks a lot", "2", "1", "1", "2"],
                ["one moment", "1", "0", "1", "1"],
            ]
        );
        // Each row opens the first chat it was said in.
        assert_eq!(t.conversations, [Some("s1".to_owned()), Some("s4".into()), Some("s1".into()), Some("s2".into())]);
        let chart = t.chart.unwrap();
        assert_eq!(chart.labels.len(), 4);
        assert_eq!(chart.series[0].values, [6.0, 2.0, 2.0, 1.0]);
        // Closed chats only (s1, s2, s4).
        let t = run(ReportId::PopularPhrases, &facts, "UTC", |q| q.status = StatusFilter::Closed);
        assert_eq!(t.rows[0], ["hello", "3", "2", "1", "2"]);
    }

    #[test]
    fn popular_phrases_are_capped() {
        let mut facts = facts();
        let at = T + 9 * H;
        facts.messages = (0..MAX_PHRASES as u64 + 5).map(|i| v("s1", i, at + i, &format!("phrase {i}"))).collect();
        facts.messages.push(v("s1", 999, at + 999, "phrase 104"));
        let t = run(ReportId::PopularPhrases, &facts, "UTC", |_| {});
        assert_eq!(t.rows.len(), MAX_PHRASES);
        assert_eq!(t.rows[0][..2], ["phrase 104", "2"]);
        assert_eq!(t.chart.unwrap().labels.len(), CHART_PHRASES);
    }

    #[test]
    fn visitor_phrases_every_visitor_message() {
        let facts = facts();
        let t = run(ReportId::VisitorPhrases, &facts, "UTC", |_| {});
        assert_eq!(t.columns, VISITOR_PHRASES_COLUMNS);
        assert_eq!(t.rows.len(), 7);
        assert_eq!(t.rows[0], ["2026-11-18 09:00:10", "s1", "vis_s1", "Ann", "Hello!"]);
        assert_eq!(t.rows[1], ["2026-11-18 09:00:50", "s1", "vis_s1", "Ann", "Thanks  a lot."]);
        assert_eq!(t.rows[6], ["2026-11-19 09:00:00", "s4", "vis_s4", "Visitor", "¿Price?"]);
        let order: Vec<&str> = (0..7).filter_map(|i| t.conversation(i)).collect();
        assert_eq!(order, ["s1", "s1", "s2", "s5", "s5", "s6", "s4"]);
        let t = run(ReportId::VisitorPhrases, &facts, "UTC", |q| q.status = StatusFilter::Closed);
        assert_eq!(t.rows.len(), 4);
        let t = run(ReportId::VisitorPhrases, &Facts::default(), "UTC", |_| {});
        assert!(t.rows.is_empty());
    }
}

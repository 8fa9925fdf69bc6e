//! Native tests of the seed-003 statistics: each report on a small scripted scenario with the
//! expected cells worked out by hand from the module's definitions, and the edge cases (no
//! messages, unassigned, visitor only, never answered, DST days).

use super::*;
use crate::dispatch::Received;
use crate::facts::{ActivityFact, AssignmentFact, ChannelFact, ClosedBy, Facts, Status};
use crate::query::ReportQuery;

/// 2026-11-18 00:00:00 UTC.
const T: u64 = 1_794_960_000_000;
/// 2026-10-25 00:00:00 UTC: Berlin goes back from CEST to CET at 01:00 UTC.
const FALL: u64 = 1_792_886_400_000;
/// 2026-03-29 00:00:00 UTC: Berlin goes forward from CET to CEST at 01:00 UTC.
const SPRING: u64 = 1_774_742_400_000;
const S: u64 = 1000;
const MIN: u64 = 60 * S;
const H: u64 = 60 * MIN;
const DAY: u64 = 24 * H;

fn conv(id: &str, visitor: &str, created: u64) -> ConversationFact {
    ConversationFact {
        id: id.into(),
        account_id: "acc1".into(),
        channel_id: "ch1".into(),
        visitor_id: visitor.into(),
        status: Status::Active,
        created_at: created,
        page_url: "https://shop.example/pricing".into(),
        ..ConversationFact::default()
    }
}

fn closed(mut c: ConversationFact, at: u64) -> ConversationFact {
    c.status = Status::Closed;
    c.closed_at = Some(at);
    c.closed_by = Some(ClosedBy::Operator);
    c
}

fn with_operator(mut c: ConversationFact, op: &str) -> ConversationFact {
    c.operator_id = Some(op.into());
    c
}

fn msg(conv: &str, seq: u64, role: AuthorRole, op: Option<&str>, at: u64, text: &str) -> MessageFact {
    MessageFact::text(conv, seq, role, op, at, text)
}

fn visitor(conv: &str, seq: u64, at: u64) -> MessageFact {
    msg(conv, seq, AuthorRole::Visitor, None, at, "hello")
}

fn operator(conv: &str, seq: u64, op: &str, at: u64) -> MessageFact {
    msg(conv, seq, AuthorRole::Operator, Some(op), at, "hi")
}

fn system(conv: &str, seq: u64, at: u64) -> MessageFact {
    msg(conv, seq, AuthorRole::System, None, at, "Welcome!")
}

fn assigned(conv: &str, op: &str, at: u64, how: Received) -> AssignmentFact {
    AssignmentFact { conversation_id: conv.into(), operator_id: op.into(), at, how }
}

fn agent(id: &str, first: &str, last: &str, username: &str) -> AgentFact {
    AgentFact {
        id: id.into(),
        first_name: first.into(),
        last_name: last.into(),
        username: username.into(),
        account_id: "acc1".into(),
        ..AgentFact::default()
    }
}

fn agents() -> Vec<AgentFact> {
    let mut disabled = agent("op_x", "Xena", "Gone", "xena");
    disabled.disabled = true;
    vec![
        agent("op_a", "Ann", "Alpha", "ann"),
        agent("op_b", "Bob", "Beta", "bob"),
        agent("op_c", "", "", "carl"),
        agent("op_d", "Dora", "Delta", "dora"),
        disabled,
    ]
}

/// The scenario of the module's definitions (UTC, all on 2026-11-18):
/// - c1 00:00 v1, routed to A; a welcome text at +1 s, visitor +2 s, A +30 s, visitor +40 s,
///   A +100 s, closed +200 s: waiting 30 s (the text does not count), support 70 s.
/// - c2 01:00 v2, routed to A (writes +10 s), transferred to B at +60 s (writes +120 s, +300 s),
///   closed +400 s, then a message stored after the close (+500 s): waiting 10 s (A answered),
///   support 290 s; A's own support 0 s, B's 180 s.
/// - c3 02:00 v3, routed to B, the visitor writes, nobody answers, still active.
/// - c4 03:00 v1 again: visitor only, never assigned, waiting.
/// - c5 04:00 v5, no assignment, C writes at +59.999 s (SLA 1 m: yes), closed: support 0 s.
/// - c6 05:00 v6, routed to A, A writes at exactly +60 s (SLA 1 m: no), active.
/// - c7 06:00 v7, no assignment, C writes +5 s, active.
fn scenario() -> Facts {
    let conversations = vec![
        with_operator(closed(conv("c1", "v1", T), T + 200 * S), "op_a"),
        with_operator(closed(conv("c2", "v2", T + H), T + H + 400 * S), "op_b"),
        with_operator(conv("c3", "v3", T + 2 * H), "op_b"),
        {
            let mut c = conv("c4", "v1", T + 3 * H);
            c.status = Status::Waiting;
            c
        },
        closed(conv("c5", "v5", T + 4 * H), T + 4 * H + 90 * S),
        with_operator(conv("c6", "v6", T + 5 * H), "op_a"),
        conv("c7", "v7", T + 6 * H),
    ];
    let messages = vec![
        system("c1", 1, T + S),
        visitor("c1", 2, T + 2 * S),
        operator("c1", 3, "op_a", T + 30 * S),
        visitor("c1", 4, T + 40 * S),
        operator("c1", 5, "op_a", T + 100 * S),
        // Given out of order: sorted by time.
        operator("c2", 3, "op_b", T + H + 120 * S),
        operator("c2", 1, "op_a", T + H + 10 * S),
        operator("c2", 4, "op_b", T + H + 300 * S),
        operator("c2", 5, "op_b", T + H + 500 * S),
        visitor("c3", 1, T + 2 * H + 5 * S),
        visitor("c4", 1, T + 3 * H + 5 * S),
        operator("c5", 1, "op_c", T + 4 * H + 59_999),
        operator("c6", 1, "op_a", T + 5 * H + MIN),
        operator("c7", 1, "op_c", T + 6 * H + 5 * S),
        // A conversation not loaded: ignored.
        operator("zz", 1, "op_d", T + 7 * H),
    ];
    let assignments = vec![
        assigned("c1", "op_a", T, Received::Routed),
        assigned("c2", "op_a", T + H, Received::Routed),
        assigned("c2", "op_b", T + H + MIN, Received::Transferred),
        assigned("c3", "op_b", T + 2 * H, Received::Routed),
        assigned("c6", "op_a", T + 5 * H, Received::Routed),
    ];
    Facts {
        agents: agents(),
        channels: vec![
            ChannelFact { id: "ch1".into(), account_id: "acc1".into(), name: "Web".into() },
            ChannelFact { id: "ch2".into(), account_id: "acc1".into(), name: "App".into() },
        ],
        conversations,
        messages,
        assignments,
        ..Facts::default()
    }
}

fn query(report: ReportId, from: u64, to: u64, tz: &str) -> ReportQuery {
    ReportQuery::new(report, from, to, tz)
}

fn run(q: &ReportQuery, facts: &Facts, now: u64) -> Table {
    let ctx = Ctx::new(q, facts, now, "/console/#/transcript/");
    let t = crate::compute(&ctx);
    for r in &t.rows {
        assert_eq!(r.len(), t.columns.len(), "{:?}: {r:?}", q.report);
    }
    if let Some(chart) = &t.chart {
        for s in &chart.series {
            assert_eq!(s.values.len(), chart.labels.len());
        }
    }
    t
}

fn cells(row: &[String]) -> Vec<&str> {
    row.iter().map(String::as_str).collect()
}

fn row_named<'a>(t: &'a Table, first: &str) -> Vec<&'a str> {
    cells(t.rows.iter().find(|r| r[0] == first).unwrap_or_else(|| panic!("no row {first}: {:?}", t.rows)))
}

#[test]
fn overview_counts_and_averages() {
    let t = run(&query(ReportId::Overview, T, T + DAY, "UTC"), &scenario(), T + DAY);
    assert_eq!(t.columns, OVERVIEW_COLUMNS);
    // 7 sessions, 6 visitors (v1 twice), assigned c1 c2 c3 c6, done c1 c2 c5;
    // "total waiting time / total sessions": (30 + 10 + 59.999 + 60 + 5) s / 7 = 23.57 s → 23;
    // support (70 + 290 + 0) s / 7 = 51.4 → 51.
    assert_eq!(t.rows, vec![["7", "6", "4", "3", "3", "4", "23", "51"].map(String::from).to_vec()]);
}

#[test]
fn overview_edge_cases() {
    // Nothing at all: one row of zeros, no averages.
    let t = run(&query(ReportId::Overview, T, T + DAY, "UTC"), &Facts::default(), T);
    assert_eq!(cells(&t.rows[0]), ["0", "0", "0", "0", "0", "0", "", ""]);
    // Closed without any message, and a visitor-only chat: no waiting, no support time.
    let facts = Facts {
        conversations: vec![closed(conv("c1", "v1", T), T + MIN), conv("c2", "v2", T + S)],
        messages: vec![visitor("c2", 1, T + 2 * S), system("c2", 2, T + 3 * S)],
        ..Facts::default()
    };
    let t = run(&query(ReportId::Overview, T, T + DAY, "UTC"), &facts, T);
    // Nobody answered: no waiting or support time, 0 s over the 2 sessions.
    assert_eq!(cells(&t.rows[0]), ["2", "2", "0", "2", "1", "1", "0", "0"]);
    // An answered chat with one operator message: support time 0 (not empty).
    let facts = Facts {
        conversations: vec![closed(conv("c1", "v1", T), T + MIN)],
        messages: vec![operator("c1", 1, "op_a", T + 7 * S)],
        ..Facts::default()
    };
    let t = run(&query(ReportId::Overview, T, T + DAY, "UTC"), &facts, T);
    assert_eq!(cells(&t.rows[0]), ["1", "1", "0", "1", "1", "0", "7", "0"]);
    // Filters apply: the channel filter leaves nothing of the scenario on ch2.
    let mut q = query(ReportId::Overview, T, T + DAY, "UTC");
    q.channel = Some("ch2".into());
    assert_eq!(cells(&run(&q, &scenario(), T).rows[0]), ["0", "0", "0", "0", "0", "0", "", ""]);
}

#[test]
fn by_operator_splits_sla_and_times() {
    let t = run(&query(ReportId::ByOperator, T, T + DAY, "UTC"), &scenario(), T + DAY);
    assert_eq!(
        t.columns,
        [
            "Users",
            "Assigned - completed - supported",
            "Assigned - completed - Not supported",
            "Assigned - Not completed - supported",
            "Assigned - Not completed - Not supported",
            "Not assigned - completed - supported",
            "Not assigned - Not completed - supported",
            "SLA - 1m",
            "Waiting time",
            "Support time",
            "Average waiting time",
            "Average support time",
        ]
    );
    // Enabled operators and those involved, by name (op_x is disabled and idle: left out).
    let names: Vec<&str> = t.rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["Ann Alpha", "Bob Beta", "Dora Delta", "carl"]);
    // A: c1, c2 assigned done supported; c6 assigned pending supported. Waits c1 30, c2 10,
    // c6 60 (not under 1 m) → SLA 2, total 100, average 33; support c1 70 + c2 0 → 70, avg 35.
    assert_eq!(row_named(&t, "Ann Alpha"), ["Ann Alpha", "2", "0", "1", "0", "0", "0", "2", "100", "70", "33", "35"]);
    // B: c2 assigned done supported (180 s of support); c3 assigned, pending, never answered.
    // B answered no wait first (A did in c2): no waiting instance, 0 s over B's 2 sessions.
    assert_eq!(row_named(&t, "Bob Beta"), ["Bob Beta", "1", "0", "0", "1", "0", "0", "0", "0", "180", "0", "180"]);
    // C: c5 not assigned done supported, c7 not assigned pending supported; waits 59.999 s and
    // 5 s (both under 1 m) → total 64, average 32; support c5 0.
    assert_eq!(row_named(&t, "carl"), ["carl", "0", "0", "0", "0", "1", "1", "2", "64", "0", "32", "0"]);
    assert_eq!(row_named(&t, "Dora Delta"), ["Dora Delta", "0", "0", "0", "0", "0", "0", "0", "0", "0", "", ""]);
    let chart = t.chart.unwrap();
    assert_eq!(chart.kind, ChartKind::Bars);
    assert_eq!(chart.labels, names);
    assert_eq!(chart.series[0].values, [3.0, 2.0, 0.0, 0.0]); // assigned
    assert_eq!(chart.series[1].values, [3.0, 1.0, 0.0, 2.0]); // supported
    assert_eq!(chart.series[2].name, "SLA - 1m");

    // SLA 5 minutes: the header follows, A's 60 s wait counts now.
    let mut q = query(ReportId::ByOperator, T, T + DAY, "UTC");
    q.sla_minutes = 5;
    let t = run(&q, &scenario(), T + DAY);
    assert_eq!(t.columns[7], "SLA - 5m");
    assert_eq!(row_named(&t, "Ann Alpha")[7], "3");

    // The operator filter keeps that operator's row (and their current conversations).
    let mut q = query(ReportId::ByOperator, T, T + DAY, "UTC");
    q.operator = Some("op_b".into());
    let t = run(&q, &scenario(), T + DAY);
    assert_eq!(t.rows.len(), 1);
    assert_eq!(row_named(&t, "Bob Beta")[1..5], ["1", "0", "0", "1"]);
}

#[test]
fn by_operator_counts_an_unknown_operator_and_skips_anonymous_messages() {
    let facts = Facts {
        conversations: vec![conv("c1", "v1", T)],
        messages: vec![
            msg("c1", 1, AuthorRole::Operator, None, T + S, "from nobody"),
            operator("c1", 2, "op_gone", T + 2 * S),
        ],
        ..Facts::default()
    };
    let t = run(&query(ReportId::ByOperator, T, T + DAY, "UTC"), &facts, T);
    // The first operator message has no author: the session is supported, but nobody's wait.
    assert_eq!(t.rows, vec![["op_gone", "0", "0", "0", "0", "0", "1", "0", "0", "0", "0", ""].map(String::from)]);
}

#[test]
fn by_hour_has_every_hour() {
    let t = run(&query(ReportId::ByHour, T, T + DAY, "UTC"), &scenario(), T + DAY);
    assert_eq!(t.columns.len(), 18);
    assert_eq!(t.columns[0], "Hour");
    assert_eq!(t.columns[17], "SLA - 1m");
    assert_eq!(t.rows.len(), 24);
    assert_eq!(t.rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>()[..3], ["00", "01", "02"]);
    let zeros = ["0", "0", "0", "0", "0", "0", "0", "", "", "0", "0", "0", "0", "0", "", "", "0"];
    // c1: done and supported, answered in 30 s.
    let h0 = ["00", "1", "0", "1", "1", "0", "0", "0", "100", "100", "1", "0", "0", "0", "0", "", "", "1"];
    assert_eq!(cells(&t.rows[0]), h0);
    // c3: never answered, pending.
    assert_eq!(cells(&t.rows[2])[..11], ["02", "1", "0", "1", "0", "0", "0", "1", "0", "0", "1"]);
    // c6: pending, supported, 60 s is not under 1 minute.
    assert_eq!(cells(&t.rows[5])[3..], ["1", "0", "0", "1", "0", "0", "100", "1", "0", "0", "0", "0", "", "", "0"]);
    assert_eq!(cells(&t.rows[12])[1..], zeros);
    let chart = t.chart.unwrap();
    assert_eq!(chart.labels.len(), 24);
    assert_eq!(chart.series[0].values[..8], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0]);
    assert_eq!(chart.series[1].values[..8], [1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0]);
}

#[test]
fn by_hour_is_local_and_a_repeated_hour_counts_once() {
    // 00:30 UTC is 02:30 CEST, 01:30 UTC is 02:30 CET: both in local hour 02.
    let facts = Facts {
        conversations: vec![conv("a", "v1", FALL + 30 * MIN), conv("b", "v2", FALL + 90 * MIN)],
        ..Facts::default()
    };
    let t = run(&query(ReportId::ByHour, FALL - 2 * H, FALL + 23 * H, "Europe/Berlin"), &facts, FALL);
    assert_eq!(t.rows.len(), 24);
    assert_eq!(t.rows[2][10], "2"); // Chat: Total
    assert_eq!(t.rows[2][1], "2"); // two contacts
    assert_eq!(t.rows.iter().filter(|r| r[10] != "0").count(), 1);
    // The same times in UTC: hours 00 and 01.
    let t = run(&query(ReportId::ByHour, FALL, FALL + DAY, "UTC"), &facts, FALL);
    assert_eq!((t.rows[0][10].as_str(), t.rows[1][10].as_str()), ("1", "1"));
}

#[test]
fn by_date_lists_every_local_date() {
    // Berlin, 2026-10-24 to 2026-10-26 (the 25th has 25 hours).
    let from = FALL - DAY - 2 * H; // 2026-10-24 00:00 CEST
    let to = FALL + DAY + 23 * H; // 2026-10-27 00:00 CET
    let facts = Facts {
        conversations: vec![
            closed(conv("a", "v1", FALL + 22 * H + 30 * MIN), FALL + 23 * H), // 25th 23:30 CET
            conv("b", "v1", FALL + 23 * H + 30 * MIN),                        // 26th 00:30 CET
            conv("c", "v2", FALL - 150 * MIN),                                // 24th 23:30 CEST
            conv("d", "v3", FALL - H + 30 * MIN),                             // 25th 00:30 CEST
        ],
        messages: vec![operator("b", 1, "op_a", FALL + 24 * H)],
        ..Facts::default()
    };
    let t = run(&query(ReportId::ByDate, from, to, "Europe/Berlin"), &facts, to);
    assert_eq!(t.columns, by_date_columns());
    assert_eq!(t.columns.len(), 17);
    let dates: Vec<&str> = t.rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(dates, ["2026-10-24", "2026-10-25", "2026-10-26"]);
    // 24th: c, pending, unanswered.
    assert_eq!(cells(&t.rows[0])[1..11], ["1", "0", "1", "0", "0", "0", "1", "0", "0", "1"]);
    // 25th: a (done, no support) and d (pending, no support): 50 % complete, 0 % support.
    assert_eq!(cells(&t.rows[1])[1..], ["2", "0", "2", "0", "1", "0", "1", "50", "0", "2", "0", "0", "0", "0", "", ""]);
    // 26th: b, pending, supported.
    assert_eq!(cells(&t.rows[2])[1..11], ["1", "0", "1", "0", "0", "1", "0", "0", "100", "1"]);
    assert_eq!(t.chart.unwrap().labels, dates);

    // A spring day of 23 hours is one date; an empty period day is a row of zeros.
    let from = SPRING - H; // 2026-03-29 00:00 CET
    let to = SPRING + 2 * DAY - 2 * H; // 2026-03-31 00:00 CEST
    let t = run(&query(ReportId::ByDate, from, to, "Europe/Berlin"), &Facts::default(), to);
    assert_eq!(t.rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), ["2026-03-29", "2026-03-30"]);
    assert_eq!(cells(&t.rows[1])[8..10], ["", ""]);
}

#[test]
fn by_channel_lists_the_accounts_channels() {
    let mut facts = scenario();
    facts.conversations.push(conv("c8", "v8", T + 7 * H));
    facts.conversations.last_mut().unwrap().channel_id = "ch9".into();
    let t = run(&query(ReportId::ByChannel, T, T + DAY, "UTC"), &facts, T + DAY);
    assert_eq!(t.columns.len(), 19);
    assert_eq!(t.columns[0], "Channel");
    assert_eq!(t.columns[14], "Comment: Not done, not supported");
    assert_eq!(t.columns[15..], ["Waiting time", "Support time", "Average waiting time", "Average support time"]);
    let names: Vec<&str> = t.rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["App", "Web", "ch9"]);
    assert_eq!(
        cells(&t.rows[0])[1..],
        ["0", "0", "0", "0", "0", "0", "0", "", "", "0", "0", "0", "0", "0", "0", "0", "", ""]
    );
    // Web: the scenario's 7 sessions: done+supported c1 c2 c5, pending+supported c6 c7,
    // pending unsupported c3 c4; waiting 164.999 s (avg 32), support 360 s (avg 120).
    assert_eq!(
        cells(&t.rows[1])[1..],
        ["6", "0", "6", "3", "0", "2", "2", "43", "71", "7", "0", "0", "0", "0", "164", "360", "23", "51"]
    );
    assert_eq!(cells(&t.rows[2])[1..4], ["1", "0", "1"]);
    // The channel filter keeps its row.
    let mut q = query(ReportId::ByChannel, T, T + DAY, "UTC");
    q.channel = Some("ch1".into());
    let t = run(&q, &facts, T + DAY);
    assert_eq!(t.rows.len(), 1);
    assert_eq!(t.rows[0][0], "Web");
}

fn online(op: &str, start: u64, end: Option<u64>) -> ActivityFact {
    ActivityFact {
        activity_id: format!("{op}-{start}"),
        account_id: "acc1".into(),
        operator_id: op.into(),
        state: "online".into(),
        start,
        end,
    }
}

fn offline(op: &str, start: u64, end: Option<u64>) -> ActivityFact {
    ActivityFact { state: "offline".into(), ..online(op, start, end) }
}

#[test]
fn working_time_counts_pauses_in_shifts() {
    let activity = vec![
        // A: 09–12, pause 30 min, 12:30–17, pause 15 min, 17:15–18.
        online("op_a", T + 9 * H, Some(T + 12 * H)),
        offline("op_a", T + 12 * H, Some(T + 12 * H + 30 * MIN)),
        online("op_a", T + 12 * H + 30 * MIN, Some(T + 17 * H)),
        offline("op_a", T + 17 * H, Some(T + 17 * H + 15 * MIN)),
        online("op_a", T + 17 * H + 15 * MIN, Some(T + 18 * H)),
        // 23:00–24:00 (the 5 hours since 18:00 are a pause of the same day's shift), away over
        // midnight (a new day: not a pause), 00:30–01:00, then a pause on the next day (outside
        // the period).
        online("op_a", T + 23 * H, Some(T + DAY)),
        online("op_a", T + DAY + 30 * MIN, Some(T + DAY + H)),
        online("op_a", T + DAY + 2 * H, Some(T + DAY + 3 * H)),
        // B: 08–10, pause 10 min, then online still (open: ends now).
        online("op_b", T + 8 * H, Some(T + 10 * H)),
        offline("op_b", T + 10 * H, Some(T + 10 * H + 10 * MIN)),
        online("op_b", T + 10 * H + 10 * MIN, None),
        // X is disabled but worked: listed. Overlapping intervals make no pause.
        online("op_x", T + 8 * H, Some(T + 9 * H)),
        online("op_x", T + 8 * H + 30 * MIN, Some(T + 9 * H + 30 * MIN)),
        online("op_x", T + 10 * H, Some(T + 11 * H)),
    ];
    let facts = Facts { agents: agents(), activity, ..Facts::default() };
    let t = run(&query(ReportId::WorkingTime, T, T + DAY, "UTC"), &facts, T + 11 * H);
    assert_eq!(t.columns, ["Employee’s name", "Time stop", "Total time stop"]);
    let rows: Vec<Vec<&str>> = t.rows.iter().map(|r| cells(r)).collect();
    assert_eq!(
        rows,
        [
            vec!["Ann Alpha", "3", "20700"],
            vec!["Bob Beta", "1", "600"],
            vec!["Dora Delta", "0", "0"],
            vec!["Xena Gone", "1", "1800"],
            vec!["carl", "0", "0"],
        ]
    );
    // The next day alone: A's pause 01:00–02:00; B is still online, so B's shift of the first
    // day reaches into it and counts with its pause (as agent performance lists it).
    let t = run(&query(ReportId::WorkingTime, T + DAY, T + 2 * DAY, "UTC"), &facts, T + 2 * DAY);
    assert_eq!(row_named(&t, "Ann Alpha")[1..], ["1", "3600"]);
    assert_eq!(row_named(&t, "Bob Beta")[1..], ["1", "600"]);
    // A day later B went offline: nothing overlaps.
    let t = run(&query(ReportId::WorkingTime, T + 2 * DAY, T + 3 * DAY, "UTC"), &facts, T + 2 * DAY);
    assert_eq!(row_named(&t, "Bob Beta")[1..], ["0", "0"]);
    // No activity at all: every enabled operator with zeros; the operator filter keeps one.
    let mut q = query(ReportId::WorkingTime, T, T + DAY, "UTC");
    q.operator = Some("op_d".into());
    let t = run(&q, &Facts { agents: agents(), ..Facts::default() }, T);
    assert_eq!(t.rows, vec![vec!["Dora Delta".to_owned(), "0".into(), "0".into()]]);
}

#[test]
fn working_time_on_a_25_hour_day() {
    // Berlin, 2026-10-25 (25 hours): the local day is 2026-10-24 22:00 UTC → 2026-10-25 23:00
    // UTC. A day of a fixed UTC+1 would start at 23:00 UTC, of a fixed UTC+2 at 22:00 UTC: the
    // gaps before the real midnights' first intervals must not be pauses, the others must.
    let activity = vec![
        // 24th 23:50 → 23:55 CEST, away over midnight (not a pause), 25th 00:05 → 00:50 CEST,
        online("op_a", FALL - 130 * MIN, Some(FALL - 125 * MIN)),
        online("op_a", FALL - 115 * MIN, Some(FALL - 70 * MIN)),
        // a 20-minute pause over 01:00 CEST, 01:10 CEST → 02:30 CEST, away over the change
        // (02:30 CEST → 02:30 CET: one real hour), 02:30 CET → 23:30 CET,
        online("op_a", FALL - 50 * MIN, Some(FALL + 30 * MIN)),
        online("op_a", FALL + 90 * MIN, Some(FALL + 22 * H + 30 * MIN)),
        // a 15-minute pause, 23:45 → 23:55 CET, away over midnight (not a pause), 26th 00:05.
        online("op_a", FALL + 22 * H + 45 * MIN, Some(FALL + 22 * H + 55 * MIN)),
        online("op_a", FALL + 23 * H + 5 * MIN, Some(FALL + 23 * H + 30 * MIN)),
    ];
    let facts = Facts { agents: vec![agent("op_a", "Ann", "Alpha", "ann")], activity, ..Facts::default() };
    let from = FALL - DAY - 2 * H; // 2026-10-24 00:00 CEST
    let to = FALL + DAY + 23 * H; // 2026-10-27 00:00 CET
    let t = run(&query(ReportId::WorkingTime, from, to, "Europe/Berlin"), &facts, to + DAY);
    assert_eq!(cells(&t.rows[0]), ["Ann Alpha", "3", "5700"]);
    // The first day's shift alone has no pause; the period of the 26th sees none.
    let t = run(&query(ReportId::WorkingTime, FALL + 23 * H, to, "Europe/Berlin"), &facts, to + DAY);
    assert_eq!(cells(&t.rows[0]), ["Ann Alpha", "0", "0"]);
}

#[test]
fn message_history_maps_every_message() {
    let mut q = query(ReportId::MessageHistory, T, T + DAY, "Europe/Berlin");
    let t = run(&q, &scenario(), T + DAY);
    assert_eq!(t.columns, MESSAGE_HISTORY_COLUMNS);
    // 14 messages of loaded conversations (not the one of "zz"), in time order.
    assert_eq!(t.rows.len(), 14);
    assert_eq!(
        cells(&t.rows[0]),
        [
            "c1:1",
            "c1",
            "business",
            "Web",
            "ch1",
            "v1",
            "outgoing",
            "2026-11-18 01:00:01",
            "text",
            "Welcome!",
            "",
            "",
            "",
            "sent",
            "2026-11-18 01:00:01"
        ]
    );
    assert_eq!(cells(&t.rows[1])[..8], ["c1:2", "c1", "user", "Web", "v1", "ch1", "incoming", "2026-11-18 01:00:02"]);
    assert_eq!(t.rows[1][13], "received");
    assert_eq!(cells(&t.rows[2])[2..7], ["business", "Web", "op_a", "v1", "outgoing"]);
    let c2: Vec<&str> = t.rows.iter().filter(|r| r[1] == "c2").map(|r| r[0].as_str()).collect();
    assert_eq!(c2, ["c2:1", "c2:3", "c2:4", "c2:5"]);
    assert_eq!(t.conversation(0), Some("c1"));
    assert_eq!(t.conversations.len(), 14);
    // Filters: the closed ones only (c1, c2, c5).
    q.status = crate::query::StatusFilter::Closed;
    let t = run(&q, &scenario(), T + DAY);
    assert_eq!(t.rows.len(), 10);
    // No messages: just the header.
    let t = run(&q, &Facts { conversations: scenario().conversations, ..Facts::default() }, T);
    assert!(t.rows.is_empty());
    assert_eq!(t.to_csv().unwrap().lines().count(), 1);
}

/// Issue 21: a message carrying a file is an `image` or a `file`, its name the content when it
/// has no text, its signed link (made by the edge) in `Link media`.
#[test]
fn message_history_names_files_and_their_links() {
    use parley_protocol::protocol::AttachmentView;
    let file = |name: &str, content_type: &str| AttachmentView {
        id: format!("f_{name}"),
        name: name.into(),
        content_type: content_type.into(),
        size: 10,
        width: None,
        height: None,
    };
    let mut facts = scenario();
    let shot = facts.messages.iter_mut().find(|m| m.conversation_id.as_str() == "c1" && m.seq == 2).unwrap();
    shot.text = String::new();
    shot.attachment = Some(file("shot.png", "image/png"));
    shot.media_link = "https://chat.example/api/v1/files/a/c1/f_shot.png?e=1&s=x".into();
    let pdf = facts.messages.iter_mut().find(|m| m.conversation_id.as_str() == "c1" && m.seq == 3).unwrap();
    pdf.attachment = Some(file("price list.pdf", "application/pdf"));
    pdf.media_link = "https://chat.example/l/pdf".into();
    let pdf_text = pdf.text.clone();
    let t = run(&query(ReportId::MessageHistory, T, T + DAY, "UTC"), &facts, T + DAY);
    let row = |id: &str| t.rows.iter().find(|r| r[0] == id).unwrap().clone();
    let (text, image, other) = (row("c1:1"), row("c1:2"), row("c1:3"));
    assert_eq!((text[8].as_str(), text[12].as_str()), ("text", ""));
    assert_eq!(
        (image[8].as_str(), image[9].as_str(), image[12].as_str()),
        ("image", "shot.png", "https://chat.example/api/v1/files/a/c1/f_shot.png?e=1&s=x")
    );
    assert_eq!(
        (other[8].as_str(), other[9].as_str(), other[12].as_str()),
        ("file", pdf_text.as_str(), "https://chat.example/l/pdf")
    );
    // Still one row per message.
    assert_eq!(t.rows.len(), 14);
}

#[test]
fn tags_by_tag_page_and_staff() {
    let mut c1 = with_operator(closed(conv("c1", "v1", T), T + H), "op_a");
    c1.tags = vec!["VIP".into(), "Billing".into()];
    c1.page_url = "https://shop.example/pricing?utm=x".into();
    c1.outcome_by = Some("op_b".into());
    let mut c2 = with_operator(closed(conv("c2", "v2", T + H), T + 2 * H), "op_a");
    c2.tags = vec!["VIP".into(), "VIP".into(), " ".into()];
    c2.page_url = "https://shop.example/pricing#top".into();
    let mut c3 = conv("c3", "v3", T + 2 * H);
    c3.tags = vec!["Refund".into()];
    c3.page_url = "https://shop.example/".into();
    let c4 = conv("c4", "v4", T + 3 * H); // no tags
    let facts = Facts { agents: agents(), conversations: vec![c1, c2, c3, c4], ..Facts::default() };
    let t = run(&query(ReportId::Tags, T, T + DAY, "UTC"), &facts, T);
    assert_eq!(t.columns, TAGS_COLUMNS);
    let rows: Vec<Vec<&str>> = t.rows.iter().map(|r| cells(r)).collect();
    assert_eq!(
        rows,
        [
            vec!["tag", "VIP", "", "", "2"],
            vec!["tag", "Billing", "", "", "1"],
            vec!["tag", "Refund", "", "", "1"],
            vec!["page", "Refund", "https://shop.example/", "", "1"],
            vec!["page", "Billing", "https://shop.example/pricing", "", "1"],
            vec!["page", "VIP", "https://shop.example/pricing", "", "2"],
            // c2 was tagged by its operator (no outcome_by), c1 by B; c3 has nobody.
            vec!["staff", "VIP", "", "Ann Alpha", "1"],
            vec!["staff", "Billing", "", "Bob Beta", "1"],
            vec!["staff", "VIP", "", "Bob Beta", "1"],
        ]
    );
    let chart = t.chart.unwrap();
    assert_eq!(chart.labels, ["VIP", "Billing", "Refund"]);
    assert_eq!(chart.series[0].values, [2.0, 1.0, 1.0]);
    // The tag filter keeps the conversations with that tag (and counts their other tags).
    let mut q = query(ReportId::Tags, T, T + DAY, "UTC");
    q.tag = Some("billing".into());
    let t = run(&q, &facts, T);
    assert_eq!(t.rows.iter().filter(|r| r[0] == "tag").count(), 2);
    // Nothing tagged: header only, an empty chart.
    let t = run(&query(ReportId::Tags, T, T + DAY, "UTC"), &Facts::default(), T);
    assert!(t.rows.is_empty());
}

#[test]
fn every_report_of_the_family_computes_on_empty_facts() {
    for r in [
        ReportId::Overview,
        ReportId::ByOperator,
        ReportId::ByHour,
        ReportId::ByDate,
        ReportId::ByChannel,
        ReportId::WorkingTime,
        ReportId::MessageHistory,
        ReportId::Tags,
    ] {
        let t = run(&query(r, T, T + 2 * DAY, "Asia/Kolkata"), &Facts::default(), T);
        assert!(!t.columns.is_empty(), "{r:?}");
        let expected_rows = match r {
            ReportId::Overview => 1,
            ReportId::ByHour => 24,
            ReportId::ByDate => 3, // 05:30 IST on the 18th to 05:30 on the 20th
            _ => 0,
        };
        assert_eq!(t.rows.len(), expected_rows, "{r:?}");
        assert!(t.to_csv().is_ok());
    }
    // Another family's report is not computed here.
    let q = query(ReportId::Agents, T, T + DAY, "UTC");
    assert_eq!(table(&Ctx::new(&q, &Facts::default(), T, "")), Table::default());
}

#[test]
fn names_of_operators() {
    assert_eq!(operator_name(None, "op_9"), "op_9");
    assert_eq!(operator_name(Some(&agent("a", " Ann ", "", "ann")), "a"), "Ann");
    assert_eq!(operator_name(Some(&agent("a", "", "", "")), "a"), "a");
    assert_eq!(page_of("https://x.example/a?b#c"), "https://x.example/a");
    assert_eq!(page_of("https://x.example/a#c?d"), "https://x.example/a");
}

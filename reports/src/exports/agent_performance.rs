//! "Agent performance" (seed 001; spec: "per operator per work shift per channel").
//!
//! **Work shift**: [`crate::presence::Shift`], the one definition (the operator's online
//! intervals that begin on one local day of the report's zone, first start → last end, the
//! offline gaps inside are its breaks; an interval still open ends now). A row per shift that
//! overlaps the period and per channel the operator had chats in during it; a shift without
//! any chat is one row with empty `chatcampaign_id` / `chatcampaign_name` and zero chat counts
//! (dropped when the query narrows to a channel). `workshift_id` is the `activity_id` of the
//! online interval that began the shift. Ordered by shift start, operator, channel.
//!
//! A chat is **held** by an operator from each time it is assigned to them (routed, dequeued,
//! forwarded, transferred or taken over) until the next assignment of that conversation (to
//! anyone), its close, or now. All spans are clipped to the shift `[start, end]`.
//!
//! The columns, word for word (durations in whole seconds, rounded down):
//! - `num_chats`: assignments to the operator at a time in the shift, in this channel, every
//!   one counted ("includes all manually transferred and auto-forwarded chats, counts every
//!   time on every chat receiving").
//! - The shift's **chats** are the distinct conversations behind `num_chats`.
//!   `num_ignored`: those without a visitor message at a time in the shift; `num_abandoned`:
//!   those without a message from this operator at a time in the shift.
//! - `num_breaks`: the shift's breaks ("times an agent went offline during the work shift": the
//!   final going offline ends the shift and is no break). Operator-wide, the same on every
//!   channel row of the shift, like the durations below marked so.
//! - `avg_concurrency`: the chats held in this channel, time-weighted over the whole shift
//!   (Σ held time ÷ shift length), 2 decimals.
//! - `first_response_duration`: time during which at least one chat held in this channel was
//!   not yet answered by the operator (from each assignment to their first message in it after
//!   that, or the end of the hold) — a union, not a sum.
//! - `open_duration`: time during which at least one chat of this channel was held;
//!   `closed_duration`: the rest of the shift (no chat of this channel open, offline time
//!   included), so `open + closed = session`.
//! - Operator-wide: `online_duration` (the shift less its breaks), `offline_duration` (the
//!   breaks), `session_duration` (shift end − start), `available_duration` (online and holding
//!   fewer chats than their maximum, all channels), `idle_duration` (online holding none).
//! - `survey_num_good` / `_bad` / `_moderate`: rated conversations of this channel whose last
//!   operator (last assignment, else the conversation's operator) is this one, counted in that
//!   operator's shift containing the conversation's close, else the latest shift of that local
//!   day that began before it (a chat closed after going offline); else in no row. Skipped or
//!   unanswered surveys count nowhere.
//! - `account_id`: the operator's account; chats come from the conversations passing the
//!   query's filters (all but `operator`, which keeps that operator's rows); capacity and idle
//!   time see every loaded chat.
//!
//! Chats of conversations created before the period are not loaded and so not counted.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;

use super::super::facts::{ActivityFact, AssignmentFact, AuthorRole, ConversationFact, MessageFact};
use super::super::table::Table;
use super::super::Ctx;
use super::{secs, without_operator};
use crate::presence::{work_shifts_of, Shift};

/// The seed's columns, in its order.
pub const COLUMNS: [&str; 23] = [
    "chatcampaign_id",
    "agent_id",
    "workshift_id",
    "account_id",
    "chatcampaign_name",
    "workshift_start",
    "workshift_end",
    "num_chats",
    "num_breaks",
    "num_ignored",
    "num_abandoned",
    "avg_concurrency",
    "first_response_duration",
    "open_duration",
    "closed_duration",
    "online_duration",
    "offline_duration",
    "available_duration",
    "idle_duration",
    "session_duration",
    "survey_num_good",
    "survey_num_bad",
    "survey_num_moderate",
];

/// A chat held by an operator.
struct Hold<'a> {
    conv: &'a ConversationFact,
    op: &'a str,
    start: u64,
    end: u64,
    /// The conversation passes the query's filters.
    counted: bool,
}

/// Total length of the union of spans.
fn union_len(mut spans: Vec<(u64, u64)>) -> u64 {
    spans.retain(|(a, b)| b > a);
    spans.sort_unstable();
    let (mut total, mut cur): (u64, Option<(u64, u64)>) = (0, None);
    for (a, b) in spans {
        match cur {
            Some((ca, cb)) if a <= cb => cur = Some((ca, cb.max(b))),
            Some((ca, cb)) => {
                total += cb - ca;
                cur = Some((a, b));
            }
            None => cur = Some((a, b)),
        }
    }
    total + cur.map_or(0, |(a, b)| b - a)
}

fn clip(a: u64, b: u64, s: &Shift) -> (u64, u64) {
    let (a, b) = (a.max(s.start.0), b.min(s.end.0));
    (a, b.max(a))
}

/// The online parts of a shift (the shift less its breaks).
fn online_parts(s: &Shift) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut cur = s.start.0;
    for (a, b) in &s.breaks {
        out.push((cur, a.0));
        cur = b.0;
    }
    out.push((cur, s.end.0));
    out
}

/// (available, idle) ms of a shift given every chat the operator held.
fn capacity(s: &Shift, holds: &[&Hold], max_chats: u32) -> (u64, u64) {
    let cap = max_chats.max(1) as usize;
    let (mut available, mut idle) = (0, 0);
    for (a, b) in online_parts(s) {
        let mut points = vec![a, b];
        for h in holds {
            points.extend([h.start, h.end].into_iter().filter(|p| *p > a && *p < b));
        }
        points.sort_unstable();
        points.dedup();
        for w in points.windows(2) {
            let (p, q) = (w[0], w[1]);
            let n = holds.iter().filter(|h| h.start <= p && h.end >= q).count();
            if n < cap {
                available += q - p;
            }
            if n == 0 {
                idle += q - p;
            }
        }
    }
    (available, idle)
}

/// The shift a close at `at` counts in (see the module doc), as an index into `shifts`.
fn shift_of_close(shifts: &[Shift], at: u64, day_of: &dyn Fn(u64) -> i64) -> Option<usize> {
    if let Some(i) = shifts.iter().position(|s| s.start.0 <= at && at <= s.end.0) {
        return Some(i);
    }
    shifts
        .iter()
        .enumerate()
        .filter(|(_, s)| s.start.0 <= at && day_of(s.start.0) == day_of(at))
        .max_by_key(|(_, s)| s.start)
        .map(|(i, _)| i)
}

/// How rows are ordered: shift start, operator, channel.
type RowKey<'a> = (u64, &'a str, &'a str);

#[derive(Default)]
struct Surveys {
    good: u64,
    bad: u64,
    moderate: u64,
}

pub fn table(ctx: &Ctx) -> Table {
    let (q, f, now, zone) = (ctx.q, ctx.facts, ctx.now, ctx.zone);
    let day_of = |t: u64| zone.naive_date(t).num_days_from_ce() as i64;
    let filter = without_operator(q);

    let convs: BTreeMap<&str, &ConversationFact> = f.conversations.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut assigned: BTreeMap<&str, Vec<&AssignmentFact>> = BTreeMap::new();
    for a in &f.assignments {
        if convs.contains_key(a.conversation_id.as_str()) {
            assigned.entry(&a.conversation_id).or_default().push(a);
        }
    }
    let mut holds: Vec<Hold> = Vec::new();
    let mut last_op: BTreeMap<&str, &str> = BTreeMap::new();
    for (id, list) in assigned.iter_mut() {
        list.sort_by_key(|a| a.at);
        let c = convs[id];
        let counted = filter.matches(c);
        for (i, a) in list.iter().enumerate() {
            let end = list.get(i + 1).map(|n| n.at).or(c.closed_at).unwrap_or(now).max(a.at);
            holds.push(Hold { conv: c, op: &a.operator_id, start: a.at, end, counted });
        }
        if let Some(a) = list.last() {
            last_op.insert(id, &a.operator_id);
        }
    }
    let mut messages: BTreeMap<&str, Vec<&MessageFact>> = BTreeMap::new();
    for m in &f.messages {
        messages.entry(&m.conversation_id).or_default().push(m);
    }
    for list in messages.values_mut() {
        list.sort_by_key(|m| (m.at, m.seq));
    }

    // Each operator's shifts (all of them: a chat closed in the period may count in a shift
    // that began before it) and the interval that began each.
    let mut online: BTreeMap<&str, Vec<&ActivityFact>> = BTreeMap::new();
    for a in f.activity.iter().filter(|a| a.state == "online") {
        if q.operator.as_deref().is_none_or(|o| o == a.operator_id) {
            online.entry(&a.operator_id).or_default().push(a);
        }
    }
    let shifts: BTreeMap<&str, Vec<Shift>> = online
        .iter()
        .map(|(op, list)| (*op, work_shifts_of(list.iter().map(|a| (a.start, a.end)), now, day_of)))
        .collect();

    // Surveys per (operator, shift index, channel).
    let mut surveys: BTreeMap<(&str, usize, &str), Surveys> = BTreeMap::new();
    for c in f.conversations.iter().filter(|c| filter.matches(c)) {
        let (Some(closed), true) = (c.closed_at, matches!(c.survey_result.as_str(), "good" | "bad" | "moderate"))
        else {
            continue;
        };
        let Some(op) = last_op.get(c.id.as_str()).copied().or(c.operator_id.as_deref()) else { continue };
        let Some(list) = shifts.get(op) else { continue };
        let Some(i) = shift_of_close(list, closed, &day_of) else { continue };
        let n = surveys.entry((op, i, c.channel_id.as_str())).or_default();
        match c.survey_result.as_str() {
            "good" => n.good += 1,
            "bad" => n.bad += 1,
            _ => n.moderate += 1,
        }
    }

    let channel_name = |id: &str| f.channels.iter().find(|c| c.id == id).map(|c| c.name.clone()).unwrap_or_default();
    // (shift start, operator, channel) → cells.
    let mut out: Vec<(RowKey, Vec<String>)> = Vec::new();
    for (op, list) in &shifts {
        let agent = f.agents.iter().find(|a| a.id == *op);
        let account = agent.map(|a| a.account_id.clone()).unwrap_or_else(|| online[op][0].account_id.clone());
        let max_chats = agent.map_or(0, |a| a.max_chats);
        let mine: Vec<&Hold> = holds.iter().filter(|h| h.op == *op).collect();
        for (i, s) in list.iter().enumerate() {
            if !(s.start.0 < q.to && s.end.0 > q.from) {
                continue;
            }
            let shift_id = online[op].iter().find(|a| a.start == s.start.0).map(|a| a.activity_id.clone());
            let in_shift = |t: u64| s.start.0 <= t && t <= s.end.0;
            let held: Vec<&&Hold> =
                mine.iter().filter(|h| h.counted && h.start <= s.end.0 && h.end >= s.start.0).collect();
            let received: Vec<&&Hold> = held.iter().copied().filter(|h| in_shift(h.start)).collect();
            let mut channels: BTreeSet<&str> = held.iter().map(|h| h.conv.channel_id.as_str()).collect();
            channels.extend(surveys.keys().filter(|(o, j, _)| o == op && *j == i).map(|(_, _, c)| *c));
            let (available, idle) = capacity(s, &mine, max_chats);
            let session = s.end.0 - s.start.0;
            let row = |channel: &str| {
                let here = |h: &&&Hold| *h.conv.channel_id == *channel;
                let recv: Vec<&&Hold> = received.iter().copied().filter(here).collect();
                let chats: BTreeSet<&str> = recv.iter().map(|h| h.conv.id.as_str()).collect();
                let wrote = |c: &str, visitor: bool| {
                    messages.get(c).is_some_and(|l| {
                        l.iter().any(|m| {
                            in_shift(m.at)
                                && if visitor {
                                    m.role == AuthorRole::Visitor
                                } else {
                                    m.role == AuthorRole::Operator && m.operator_id.as_deref() == Some(op)
                                }
                        })
                    })
                };
                let ignored = chats.iter().filter(|c| !wrote(c, true)).count();
                let abandoned = chats.iter().filter(|c| !wrote(c, false)).count();
                let spans: Vec<(u64, u64)> =
                    held.iter().copied().filter(here).map(|h| clip(h.start, h.end, s)).collect();
                let held_ms: u64 = spans.iter().map(|(a, b)| b - a).sum();
                let open = union_len(spans);
                let waiting: Vec<(u64, u64)> = held
                    .iter()
                    .copied()
                    .filter(here)
                    .map(|h| {
                        let reply = messages.get(h.conv.id.as_str()).and_then(|l| {
                            l.iter().find(|m| {
                                m.role == AuthorRole::Operator
                                    && m.operator_id.as_deref() == Some(op)
                                    && m.at >= h.start
                            })
                        });
                        clip(h.start, reply.map_or(h.end, |m| m.at.min(h.end)), s)
                    })
                    .collect();
                let sv = surveys.get(&(op, i, channel));
                let concurrency = if session == 0 { 0.0 } else { held_ms as f64 / session as f64 };
                vec![
                    channel.to_owned(),
                    (*op).to_owned(),
                    shift_id.clone().unwrap_or_default(),
                    account.clone(),
                    channel_name(channel),
                    zone.datetime(s.start.0),
                    zone.datetime(s.end.0),
                    recv.len().to_string(),
                    s.pause_count().to_string(),
                    ignored.to_string(),
                    abandoned.to_string(),
                    format!("{concurrency:.2}"),
                    secs(union_len(waiting)),
                    secs(open),
                    secs(session - open),
                    secs(s.online_ms()),
                    secs(s.pause_total_ms()),
                    secs(available),
                    secs(idle),
                    secs(session),
                    sv.map_or(0, |n| n.good).to_string(),
                    sv.map_or(0, |n| n.bad).to_string(),
                    sv.map_or(0, |n| n.moderate).to_string(),
                ]
            };
            if channels.is_empty() {
                if q.channel.is_none() {
                    out.push(((s.start.0, op, ""), row("")));
                }
            } else {
                for c in channels {
                    out.push(((s.start.0, op, c), row(c)));
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    let mut t = Table::new(&COLUMNS);
    for (_, cells) in out {
        t.push(cells, None);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::*;
    use crate::dispatch::Received;
    use crate::facts::{ChannelFact, Facts, Status, SurveyResult};
    use crate::query::ReportId;

    /// Column → cell of a row.
    fn get<'a>(t: &'a Table, row: usize, col: &str) -> &'a str {
        let i = COLUMNS.iter().position(|c| *c == col).unwrap();
        &t.rows[row][i]
    }

    fn channels() -> Vec<ChannelFact> {
        vec![
            ChannelFact { id: "web".into(), account_id: "acc1".into(), name: "Website".into() },
            ChannelFact { id: "shop".into(), account_id: "acc1".into(), name: "Shop".into() },
        ]
    }

    /// Dana, max 2 chats: online 09–12, break 12–13, online 13–17 (one shift of 8 h).
    /// c1 (web): routed 09:10, visitor 09:11, Dana 09:15, closed 09:40, rated good.
    /// c2 (web): routed 09:20, visitor 09:21, Dana never writes; transferred to Sam 09:50.
    /// c3 (shop): routed 09:30, Dana 09:31, the visitor never writes; closed 10:30.
    /// c4 (web): forwarded to Dana 13:00, visitor 13:01, Dana 13:10, closed 16:00, not rated.
    fn scenario() -> Facts {
        let closed = |mut c: ConversationFact, at: u64, survey: &str| {
            c.closed_at = Some(at);
            c.status = Status::Closed;
            c.survey_result = SurveyResult::parse(survey).expect("a survey result");
            c
        };
        Facts {
            agents: vec![agent("dana"), agent("sam")],
            channels: channels(),
            activity: vec![
                act("a1", "dana", "online", D + 9 * H, Some(D + 12 * H)),
                act("a2", "dana", "offline", D + 12 * H, Some(D + 13 * H)),
                act("a3", "dana", "online", D + 13 * H, Some(D + 17 * H)),
                act("a4", "dana", "offline", D + 17 * H, None),
            ],
            conversations: vec![
                closed(conv("c1", "web", D + 9 * H + 10 * M), D + 9 * H + 40 * M, "good"),
                conv("c2", "web", D + 9 * H + 20 * M),
                closed(conv("c3", "shop", D + 9 * H + 30 * M), D + 10 * H + 30 * M, "not_rated"),
                closed(conv("c4", "web", D + 12 * H + 50 * M), D + 16 * H, ""),
            ],
            assignments: vec![
                assign("c1", "dana", D + 9 * H + 10 * M, Received::Routed),
                assign("c2", "dana", D + 9 * H + 20 * M, Received::Routed),
                assign("c2", "sam", D + 9 * H + 50 * M, Received::Transferred),
                assign("c3", "dana", D + 9 * H + 30 * M, Received::Routed),
                assign("c4", "dana", D + 13 * H, Received::Forwarded),
            ],
            messages: vec![
                msg("c1", 1, AuthorRole::Visitor, None, D + 9 * H + 11 * M),
                msg("c1", 2, AuthorRole::Operator, Some("dana"), D + 9 * H + 15 * M),
                msg("c2", 1, AuthorRole::Visitor, None, D + 9 * H + 21 * M),
                msg("c3", 1, AuthorRole::Operator, Some("dana"), D + 9 * H + 31 * M),
                msg("c4", 1, AuthorRole::Visitor, None, D + 13 * H + M),
                msg("c4", 2, AuthorRole::Operator, Some("dana"), D + 13 * H + 10 * M),
            ],
            ..Facts::default()
        }
    }

    #[test]
    fn one_row_per_shift_and_channel_word_for_word() {
        let f = scenario();
        let q = query(ReportId::AgentPerformance, D, D + DAY, "UTC");
        let now = D + 18 * H;
        let t = table(&ctx(&q, &f, now));
        assert_eq!(t.rows.len(), 2, "{:?}", t.rows);
        // Rows ordered by channel id: shop, web.
        assert_eq!((get(&t, 0, "chatcampaign_id"), get(&t, 1, "chatcampaign_id")), ("shop", "web"));
        assert_eq!(get(&t, 1, "chatcampaign_name"), "Website");
        assert_eq!((get(&t, 1, "workshift_id"), get(&t, 1, "account_id")), ("a1", "acc1"));
        assert_eq!(
            (get(&t, 1, "workshift_start"), get(&t, 1, "workshift_end")),
            ("2026-11-18 09:00:00", "2026-11-18 17:00:00")
        );
        // web: c1, c2, c4 received (3); c2's transfer to Sam is Sam's receipt.
        assert_eq!(get(&t, 1, "num_chats"), "3");
        assert_eq!(get(&t, 1, "num_breaks"), "1");
        // Every web chat had a visitor message; Dana never wrote in c2.
        assert_eq!((get(&t, 1, "num_ignored"), get(&t, 1, "num_abandoned")), ("0", "1"));
        // Held: c1 09:10–09:40 (30 m), c2 09:20–09:50 (30 m), c4 13:00–16:00 (180 m):
        // 240 m over 480 m.
        assert_eq!(get(&t, 1, "avg_concurrency"), "0.50");
        // Waiting: c1 09:10–09:15, c2 09:20–09:50 (never answered), c4 13:00–13:10:
        // union 5 + 30 + 10 = 45 min.
        assert_eq!(get(&t, 1, "first_response_duration"), "2700");
        // Open: 09:10–09:50 (40 m) + 13:00–16:00 (180 m) = 220 m; closed = 480 − 220 = 260 m.
        assert_eq!((get(&t, 1, "open_duration"), get(&t, 1, "closed_duration")), ("13200", "15600"));
        // Operator-wide: online 7 h, offline 1 h, session 8 h.
        assert_eq!(
            (get(&t, 1, "online_duration"), get(&t, 1, "offline_duration"), get(&t, 1, "session_duration")),
            ("25200", "3600", "28800")
        );
        // All chats held (max 2): 09:10 c1; 09:20 +c2 (2: full); 09:30 +c3 (3); 09:40 −c1 (2);
        // 09:50 −c2 (1); 10:30 −c3 (0); 13:00–16:00 c4 (1). Full 09:20–09:50 = 30 m, so
        // available = 420 − 30 = 390 m; idle = 09:00–09:10 + 10:30–12:00 + 16:00–17:00 = 160 m.
        assert_eq!((get(&t, 1, "available_duration"), get(&t, 1, "idle_duration")), ("23400", "9600"));
        assert_eq!(get(&t, 0, "available_duration"), "23400", "the same on every channel row");
        assert_eq!(
            (get(&t, 1, "survey_num_good"), get(&t, 1, "survey_num_bad"), get(&t, 1, "survey_num_moderate")),
            ("1", "0", "0")
        );
        // shop: c3 only; the visitor never wrote (ignored); skipped survey counts nowhere.
        assert_eq!((get(&t, 0, "num_chats"), get(&t, 0, "num_ignored"), get(&t, 0, "num_abandoned")), ("1", "1", "0"));
        assert_eq!((get(&t, 0, "first_response_duration"), get(&t, 0, "open_duration")), ("60", "3600"));
        assert_eq!(get(&t, 0, "survey_num_good"), "0");
        assert!(t.conversations.is_empty());
    }

    #[test]
    fn shifts_without_chats_filters_and_a_transfer_counts_for_the_receiver() {
        let mut f = scenario();
        f.activity.push(act("s1", "sam", "online", D + 9 * H, Some(D + 10 * H)));
        f.activity.push(act("s2", "sam", "online", D + 14 * H, None));
        let mut q = query(ReportId::AgentPerformance, D, D + DAY, "UTC");
        let t = table(&ctx(&q, &f, D + 15 * H));
        let sam: Vec<usize> = (0..t.rows.len()).filter(|i| get(&t, *i, "agent_id") == "sam").collect();
        // Sam's one shift 09:00–15:00 (open until now) with one break, c2 received by transfer.
        assert_eq!(sam.len(), 1);
        let r = sam[0];
        assert_eq!((get(&t, r, "num_chats"), get(&t, r, "num_breaks")), ("1", "1"));
        assert_eq!(get(&t, r, "workshift_end"), "2026-11-18 15:00:00");
        // Sam never wrote in c2 and the visitor wrote before the transfer (still in the shift).
        assert_eq!((get(&t, r, "num_ignored"), get(&t, r, "num_abandoned")), ("0", "1"));
        // Held from 09:50 until now (open chat): 10 min of the first part, the break, then 1 h.
        assert_eq!(get(&t, r, "open_duration"), "18600");

        // A shift without chats: one row with an empty channel.
        q.operator = Some("sam".into());
        let mut f2 = f.clone();
        f2.assignments.retain(|a| a.operator_id != "sam");
        let t = table(&ctx(&q, &f2, D + 15 * H));
        assert_eq!(t.rows.len(), 1);
        assert_eq!((get(&t, 0, "chatcampaign_id"), get(&t, 0, "num_chats")), ("", "0"));
        assert_eq!((get(&t, 0, "open_duration"), get(&t, 0, "closed_duration")), ("0", "21600"));
        assert_eq!(get(&t, 0, "idle_duration"), get(&t, 0, "online_duration"));
        // …dropped when narrowed to a channel.
        q.channel = Some("web".into());
        assert!(table(&ctx(&q, &f2, D + 15 * H)).rows.is_empty());
        // The channel filter narrows Dana to her web row.
        q.operator = Some("dana".into());
        let t = table(&ctx(&q, &f, D + 15 * H));
        assert_eq!(t.rows.len(), 1);
        assert_eq!(get(&t, 0, "chatcampaign_id"), "web");
    }

    #[test]
    fn a_night_shift_crossing_the_period_and_a_rating_after_it() {
        // Online 22:00 the evening before until 02:00: one shift of the day it began, listed
        // in a period starting at midnight.
        let mut c = conv("c1", "web", D + H);
        c.closed_at = Some(D + 3 * H);
        c.survey_result = SurveyResult::Bad;
        let f = Facts {
            activity: vec![act("n1", "dana", "online", D - 2 * H, Some(D + 2 * H))],
            conversations: vec![c],
            assignments: vec![assign("c1", "dana", D + H, Received::Routed)],
            ..Facts::default()
        };
        let q = query(ReportId::AgentPerformance, D, D + DAY, "UTC");
        let t = table(&ctx(&q, &f, D + DAY));
        assert_eq!(t.rows.len(), 1);
        assert_eq!(get(&t, 0, "workshift_start"), "2026-11-17 22:00:00");
        assert_eq!(get(&t, 0, "session_duration"), "14400");
        // No messages: ignored and abandoned; unanswered the whole hold within the shift (1 h).
        assert_eq!((get(&t, 0, "num_ignored"), get(&t, 0, "num_abandoned")), ("1", "1"));
        assert_eq!(get(&t, 0, "first_response_duration"), "3600");
        // Closed at 03:00 after the shift ended (02:00)… but on another local day than the
        // shift began: counted in no row.
        assert_eq!(get(&t, 0, "survey_num_bad"), "0");
        // In UTC−5 both are on the 17th: the rating counts in that shift.
        let q = query(ReportId::AgentPerformance, D - DAY, D + DAY, "America/New_York");
        let t = table(&ctx(&q, &f, D + DAY));
        assert_eq!(get(&t, 0, "survey_num_bad"), "1");
        assert_eq!(get(&t, 0, "workshift_start"), "2026-11-17 17:00:00");
        // Agent unknown to the agents list: max 1 chat, account from the activity.
        assert_eq!(get(&t, 0, "account_id"), "acc1");
        assert_eq!(get(&t, 0, "available_duration"), "10800");
    }

    #[test]
    fn shifts_follow_local_days_on_a_dst_day() {
        // 2026-03-29, Berlin: 00:00 CET = 2026-03-28 23:00 UTC; 01:00 UTC = 03:00 CEST.
        let day_start = 1_774_738_800_000;
        let f = Facts {
            activity: vec![
                // 2026-03-28 22:30 UTC = 23:30 CET on the 28th: a shift of the 28th.
                act("x1", "dana", "online", day_start - 30 * M, Some(day_start + 30 * M)),
                // 06:00–08:00 UTC = 08:00–10:00 CEST and 09:00–10:00 UTC = 11:00–12:00 CEST:
                // one shift with a break.
                act("x2", "dana", "online", day_start + 7 * H, Some(day_start + 9 * H)),
                act("x3", "dana", "online", day_start + 10 * H, Some(day_start + 11 * H)),
            ],
            ..Facts::default()
        };
        let q = query(ReportId::AgentPerformance, day_start, day_start + 23 * H, "Europe/Berlin");
        let t = table(&ctx(&q, &f, day_start + DAY));
        let got: Vec<_> = (0..t.rows.len())
            .map(|i| (get(&t, i, "workshift_id"), get(&t, i, "workshift_start"), get(&t, i, "num_breaks")))
            .collect();
        assert_eq!(got, [("x1", "2026-03-28 23:30:00", "0"), ("x2", "2026-03-29 08:00:00", "1")]);
        assert_eq!(get(&t, 1, "workshift_end"), "2026-03-29 12:00:00");
        assert_eq!(get(&t, 1, "online_duration"), "10800");
    }

    #[test]
    fn spans() {
        assert_eq!(union_len(vec![]), 0);
        assert_eq!(union_len(vec![(5, 10), (0, 3), (8, 12), (12, 13), (20, 20)]), 11);
    }
}

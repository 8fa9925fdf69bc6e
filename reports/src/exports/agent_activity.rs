//! "Agent activity" (seed 001): the operators' online/offline intervals.
//!
//! Interpretations of the seed:
//! - One row per activity interval (one `activity_id`: a new one at every change online ↔
//!   offline) that overlaps the period, ordered by start, then operator, then id. An empty
//!   interval counts when it starts in the period.
//! - Rows are **not clipped** to the period: `time_start`, `time_end` and `duration_secs` are
//!   the state's own ("the beginning / the ending agent's state"), so one `activity_id` is one
//!   row with the same values whatever period shows it. An interval still open has an empty
//!   `time_end` (it has not ended) and its `duration_secs` runs until now.
//! - `state`: `Online` or `Offline`, as the seed writes them.
//! - `chatcampaign_id` is empty: in Parley an operator's online state is per account (their
//!   chat slots are shared by every channel they joined, and which channels they joined is not
//!   recorded per interval), so an interval belongs to no one channel. The `channel` filter
//!   therefore does not narrow this report; `operator` keeps that operator's intervals.
//! - `account_id`: the interval's account (the operator's).
//! - Chart: hours online per agent (their username, else id) **within** the period (clipped
//!   to it and to now), 2 decimals.

use std::collections::BTreeMap;

use super::super::facts::ActivityFact;
use super::super::table::{Chart, ChartKind, Series, Table};
use super::super::Ctx;
use super::secs;

/// The seed's columns, in its order.
pub const COLUMNS: [&str; 8] =
    ["chatcampaign_id", "agent_id", "time_start", "time_end", "state", "duration_secs", "account_id", "activity_id"];

/// `Online` / `Offline` for `online` / `offline`.
pub(crate) fn state_name(s: &str) -> String {
    match s {
        "online" => "Online".into(),
        "offline" => "Offline".into(),
        other => other.to_owned(),
    }
}

/// The end of an interval (now while open, never before its start).
pub(crate) fn end_of(a: &ActivityFact, now: u64) -> u64 {
    a.end.unwrap_or(now).max(a.start)
}

/// Whether an interval overlaps `[from, to)` (an empty one: starts in it).
pub(crate) fn in_period(a: &ActivityFact, now: u64, from: u64, to: u64) -> bool {
    let end = end_of(a, now);
    a.start < to && (end > from || a.start >= from)
}

/// The intervals of the period that pass the `operator` filter, in the report's order.
pub(crate) fn intervals<'a>(ctx: &Ctx<'a>) -> Vec<&'a ActivityFact> {
    let q = ctx.q;
    let mut list: Vec<&ActivityFact> = ctx
        .facts
        .activity
        .iter()
        .filter(|a| q.operator.as_deref().is_none_or(|o| o == a.operator_id))
        .filter(|a| in_period(a, ctx.now, q.from, q.to))
        .collect();
    list.sort_by(|a, b| (a.start, &a.operator_id, &a.activity_id).cmp(&(b.start, &b.operator_id, &b.activity_id)));
    list
}

pub fn table(ctx: &Ctx) -> Table {
    let (from, to) = (ctx.q.from, ctx.q.to.min(ctx.now.max(ctx.q.from)));
    let mut t = Table::new(&COLUMNS);
    let mut online: BTreeMap<&str, u64> = BTreeMap::new();
    for a in intervals(ctx) {
        let end = end_of(a, ctx.now);
        t.push(
            vec![
                String::new(),
                a.operator_id.to_string(),
                ctx.zone.datetime(a.start),
                a.end.map(|e| ctx.zone.datetime(e)).unwrap_or_default(),
                state_name(&a.state),
                secs(end - a.start),
                a.account_id.to_string(),
                a.activity_id.clone(),
            ],
            None,
        );
        let within = end.min(to).saturating_sub(a.start.max(from));
        let slot = online.entry(&a.operator_id).or_default();
        if a.state == "online" {
            *slot += within;
        }
    }
    let name = |id: &str| {
        ctx.facts.agents.iter().find(|g| g.id == id).map(|g| g.username.clone()).unwrap_or_else(|| id.to_owned())
    };
    t.chart = Some(Chart {
        kind: ChartKind::Bars,
        title: "Hours online per agent".into(),
        labels: online.keys().map(|id| name(id)).collect(),
        series: vec![Series {
            name: "Online hours".into(),
            values: online.values().map(|ms| (*ms as f64 / 36_000.0).round() / 100.0).collect(),
        }],
    });
    t
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::*;
    use crate::facts::Facts;
    use crate::query::ReportId;

    #[test]
    fn intervals_unclipped_open_ones_until_now() {
        let f = Facts {
            agents: vec![agent("dana")],
            activity: vec![
                // Began the evening before the period: listed whole.
                act("a1", "dana", "offline", D - 3 * H, Some(D + 9 * H)),
                act("a2", "dana", "online", D + 9 * H, Some(D + 12 * H + 30 * S)),
                act("a3", "dana", "offline", D + 12 * H + 30 * S, Some(D + 13 * H)),
                // Still open: ends now, no time_end.
                act("a4", "dana", "online", D + 13 * H, None),
                // Sam: ended before the period: not listed.
                act("s1", "sam", "online", D - 5 * H, Some(D - H)),
                // Ends exactly at the period's start: not in it.
                act("s2", "sam", "offline", D - H, Some(D)),
            ],
            ..Facts::default()
        };
        let q = query(ReportId::AgentActivity, D, D + DAY, "UTC");
        let now = D + 15 * H;
        let t = table(&ctx(&q, &f, now));
        assert_eq!(
            t.to_csv().unwrap(),
            "chatcampaign_id,agent_id,time_start,time_end,state,duration_secs,account_id,activity_id\n\
             ,dana,2026-11-17 21:00:00,2026-11-18 09:00:00,Offline,43200,acc1,a1\n\
             ,dana,2026-11-18 09:00:00,2026-11-18 12:00:30,Online,10830,acc1,a2\n\
             ,dana,2026-11-18 12:00:30,2026-11-18 13:00:00,Offline,3570,acc1,a3\n\
             ,dana,2026-11-18 13:00:00,,Online,7200,acc1,a4\n"
        );
        let chart = t.chart.unwrap();
        assert_eq!(chart.labels, ["dana"]);
        // 3 h 0 min 30 s + 2 h (until now) = 5.008 h.
        assert_eq!(chart.series[0].values, [5.01]);
    }

    #[test]
    fn crossing_the_period_end_and_the_operator_filter() {
        let f = Facts {
            activity: vec![
                act("a1", "dana", "online", D + 20 * H, Some(D + DAY + 2 * H)),
                act("b1", "sam", "online", D + 21 * H, Some(D + 22 * H)),
                // An empty interval at the period's start counts.
                act("b0", "sam", "offline", D, Some(D)),
            ],
            ..Facts::default()
        };
        let mut q = query(ReportId::AgentActivity, D, D + DAY, "UTC");
        let t = table(&ctx(&q, &f, D + 2 * DAY));
        let ids: Vec<_> = t.rows.iter().map(|r| r[7].as_str()).collect();
        assert_eq!(ids, ["b0", "a1", "b1"]);
        // The whole interval is listed (6 h), the chart counts the 4 h inside the period;
        // an agent missing from the agents list is labelled with the id.
        assert_eq!(t.rows[1][5], "21600");
        let chart = t.chart.unwrap();
        assert_eq!(chart.labels, ["dana", "sam"]);
        assert_eq!(chart.series[0].values, [4.0, 1.0]);
        q.operator = Some("dana".into());
        q.channel = Some("web".into()); // not per channel: does not narrow
        let t = table(&ctx(&q, &f, D + 2 * DAY));
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0][1], "dana");
    }

    #[test]
    fn local_times_on_a_dst_day() {
        // 2026-10-25: Berlin goes back from UTC+2 to UTC+1 at 01:00 UTC (03:00 → 02:00).
        let t0 = 1_792_886_400_000; // 2026-10-25 00:00 UTC = 02:00 CEST
        let f = Facts { activity: vec![act("a1", "dana", "online", t0, Some(t0 + 2 * H))], ..Facts::default() };
        let q = query(ReportId::AgentActivity, t0 - 2 * H, t0 + DAY, "Europe/Berlin");
        let t = table(&ctx(&q, &f, t0 + DAY));
        // 02:00 CEST → 03:00 CET: two hours on the clock's one.
        assert_eq!(&t.rows[0][2..6], ["2026-10-25 02:00:00", "2026-10-25 03:00:00", "Online", "7200"]);
    }
}

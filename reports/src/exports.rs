//! The eight CSV reports of seed `001_…` ("Exports") as [`Table`]s: columns exactly the seed's,
//! in its order; times `YYYY-MM-DD HH:MM:SS` in the report's zone (`ctx.zone`), `date` as the
//! Unix seconds of the local day's start, durations in whole seconds (rounded down).
//!
//! - Agent activity: [`agent_activity`]; Agent performance: [`agent_performance`]; Hosts:
//!   [`hosts`]; Slots: [`slots`] (each documents its reading of the seed).
//! - Agents: [`super::agents`]. The seed's fifth column has an empty header in the seed's text
//!   ("It is the agent's email"): it is written `email`. The `operator` filter keeps that
//!   operator's row only.
//! - Conversations: [`super::conversations`] (every choice in its doc), for the conversations
//!   passing all the query's conversation filters ([`Ctx::conversations`]); each row opens its
//!   conversation's transcript.
//! - Automatic invites: [`super::invites`], Traffic: [`super::traffic`], from the hourly tallies
//!   whose hour starts in the period; `channel` and `entry_point` (the invite rule for
//!   `filter_id`, the entry point for `entrypoint_id`) narrow them. The tallies are kept per UTC
//!   hour: in a zone whose offset is not a whole hour an hour is written from its local start
//!   (e.g. `05:30:00`), in the local hour of day it starts in.
//!
//! Charts: Automatic invites → a funnel over the whole period (matched → shown → accepted,
//! then how the others ended); Traffic → bars by local hour of day (visits, views, clicks,
//! chats summed over the days); Agent activity → bars of hours online per agent within the
//! period; Slots → bars of chats received by local hour of day, per entry point type.

pub mod agent_activity;
pub mod agent_performance;
pub mod hosts;
pub mod slots;

use super::query::{ReportId, ReportQuery};
use super::table::{Chart, ChartKind, Series, Table};
use super::{agents, conversations, invites, traffic, Ctx};
use crate::metrics::Funnel;

/// The table of `ctx.q.report` (one of this family's; another family's report gives an empty
/// table: [`super::compute`] never sends one here).
pub fn table(ctx: &Ctx) -> Table {
    match ctx.q.report {
        ReportId::AgentActivity => agent_activity::table(ctx),
        ReportId::AgentPerformance => agent_performance::table(ctx),
        ReportId::Agents => agents_table(ctx),
        ReportId::Conversations => conversations_table(ctx),
        ReportId::Invites => invites_table(ctx),
        ReportId::Hosts => hosts::table(ctx),
        ReportId::Traffic => traffic_table(ctx),
        ReportId::Slots => slots::table(ctx),
        _ => Table::default(),
    }
}

/// Whole seconds (rounded down) of a duration in ms.
pub(crate) fn secs(ms: u64) -> String {
    (ms / 1000).to_string()
}

/// The query's conversation filters without `operator`: reports per operator keep every chat
/// an operator received, not only those still with the filtered operator.
pub(crate) fn without_operator(q: &ReportQuery) -> ReportQuery {
    ReportQuery { operator: None, ..q.clone() }
}

/// The 24 labels `00` … `23` of a chart by hour of day.
pub(crate) fn hour_labels() -> Vec<String> {
    (0..24).map(|h| format!("{h:02}")).collect()
}

fn agents_table(ctx: &Ctx) -> Table {
    let list: Vec<_> =
        ctx.facts.agents.iter().filter(|a| ctx.q.operator.as_deref().is_none_or(|o| o == a.id)).cloned().collect();
    let mut t = Table::new(&agents::COLUMNS);
    for r in agents::rows(&list) {
        t.push(r.cells(), None);
    }
    t
}

fn conversations_table(ctx: &Ctx) -> Table {
    let f = ctx.facts;
    let facts = conversations::Facts {
        conversations: &f.conversations,
        messages: &f.messages,
        assignments: &f.assignments,
        blocks: &f.blocks,
        agents: &f.agents,
        accounts: &f.accounts,
    };
    let zone = ctx.zone;
    let mut t = Table::new(&conversations::COLUMNS);
    for (c, r) in
        conversations::rows_of(&facts, ctx.conversations().collect(), ctx.transcript_base, &|ms| zone.datetime(ms))
    {
        t.push(r.cells(), Some(c.id.to_string()));
    }
    t
}

/// The tallies of the period that pass the `channel` and `entry_point` filters.
fn tallies(ctx: &Ctx) -> Vec<super::TallyRow> {
    let q = ctx.q;
    ctx.facts
        .tallies
        .iter()
        .filter(|t| (q.from..q.to).contains(&t.hour))
        .filter(|t| q.channel.as_deref().is_none_or(|c| t.channel_id == c))
        .filter(|t| q.entry_point.as_deref().is_none_or(|e| e == t.entry_point_id))
        .cloned()
        .collect()
}

/// The Automatic invites rows of the query (its zone, period, `channel` and `entry_point`): the
/// table's rows, and the rows of the console's "Invites & traffic" view.
pub fn invite_rows(ctx: &Ctx) -> Vec<invites::InviteRow> {
    let zone = ctx.zone;
    invites::rows_local(&tallies(ctx), &|ms| zone.datetime(ms), &|ms| zone.day_start(ms), &|ms| zone.hour(ms))
}

/// The Traffic rows of the query, each with its hour's start in ms: the table's rows, and the
/// rows of the console's "Invites & traffic" view.
pub fn traffic_rows(ctx: &Ctx) -> Vec<(u64, traffic::TrafficRow)> {
    let zone = ctx.zone;
    traffic::rows_local(&tallies(ctx), &|ms| zone.datetime(ms))
}

fn invites_table(ctx: &Ctx) -> Table {
    let rows = invite_rows(ctx);
    let mut t = Table::new(&invites::COLUMNS);
    let mut f = Funnel::default();
    for r in &rows {
        f.merge(&r.funnel());
        t.push(r.cells(), None);
    }
    let stages = [
        ("Matched", f.matched),
        ("Shown", f.proactive),
        ("Accepted", f.accepted),
        ("Declined", f.declined),
        ("Ignored", f.ignored),
        ("Expired", f.expired),
        ("Cancelled (no agent)", f.cancelled),
        ("Accepted, no agent", f.no_availability),
    ];
    t.chart = Some(Chart {
        kind: ChartKind::Funnel,
        title: "Invite funnel".into(),
        labels: vec!["All invites".into()],
        series: stages.iter().map(|(n, v)| Series { name: (*n).into(), values: vec![*v as f64] }).collect(),
    });
    t
}

fn traffic_table(ctx: &Ctx) -> Table {
    let zone = ctx.zone;
    let rows = traffic_rows(ctx);
    let mut t = Table::new(&traffic::COLUMNS);
    let mut by_hour = [[0u64; 4]; 24];
    for (h, r) in &rows {
        let slot = &mut by_hour[zone.hour(*h) as usize % 24];
        slot[0] += r.visits;
        slot[1] += r.views;
        slot[2] += r.clicks;
        slot[3] += r.chats;
        t.push(r.cells(), None);
    }
    let series = ["Visits", "Views", "Clicks", "Chats"]
        .iter()
        .enumerate()
        .map(|(i, n)| Series { name: (*n).into(), values: by_hour.iter().map(|h| h[i] as f64).collect() })
        .collect();
    t.chart =
        Some(Chart { kind: ChartKind::Bars, title: "Traffic by hour of day".into(), labels: hour_labels(), series });
    t
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::dispatch::Received;
    use crate::facts::*;
    use crate::TallyRow;

    /// 2026-11-18 00:00:00 UTC (a Wednesday; Berlin is UTC+1).
    pub const D: u64 = 1_794_960_000_000;
    pub const S: u64 = 1000;
    pub const M: u64 = 60 * S;
    pub const H: u64 = 60 * M;
    pub const DAY: u64 = 24 * H;

    pub fn query(report: ReportId, from: u64, to: u64, tz: &str) -> ReportQuery {
        ReportQuery::new(report, from, to, tz)
    }

    pub fn ctx<'a>(q: &'a ReportQuery, f: &'a Facts, now: u64) -> Ctx<'a> {
        Ctx::new(q, f, now, "/console/#/transcript/")
    }

    pub fn agent(id: &str) -> AgentFact {
        AgentFact {
            id: id.into(),
            username: id.into(),
            first_name: format!("F{id}"),
            last_name: format!("L{id}"),
            email: format!("{id}@example.com"),
            account_id: "acc1".into(),
            max_chats: 2,
            ..AgentFact::default()
        }
    }

    pub fn act(id: &str, op: &str, state: &str, start: u64, end: Option<u64>) -> ActivityFact {
        ActivityFact {
            activity_id: id.into(),
            account_id: "acc1".into(),
            operator_id: op.into(),
            state: state.into(),
            start,
            end,
        }
    }

    pub fn conv(id: &str, channel: &str, created: u64) -> ConversationFact {
        ConversationFact {
            id: id.into(),
            account_id: "acc1".into(),
            channel_id: channel.into(),
            visitor_id: format!("vis_{id}").into(),
            status: Status::Active,
            created_at: created,
            request_type: RequestType::Button,
            request_source: "Chat button".into(),
            ..ConversationFact::default()
        }
    }

    pub fn assign(c: &str, op: &str, at: u64, how: Received) -> AssignmentFact {
        AssignmentFact { conversation_id: c.into(), operator_id: op.into(), at, how }
    }

    pub fn msg(c: &str, seq: u64, role: AuthorRole, op: Option<&str>, at: u64) -> MessageFact {
        MessageFact {
            conversation_id: c.into(),
            seq,
            role,
            operator_id: op.map(Into::into),
            at,
            text: format!("m{seq}"),
            attachment: None,
            media_link: String::new(),
        }
    }

    fn tally(channel: &str, ep: &str, kind: &str, hour: u64, metric: &str, n: u64) -> TallyRow {
        TallyRow {
            account_id: "acc1".into(),
            channel_id: channel.into(),
            entry_point_id: ep.into(),
            entry_point_name: format!("EP {ep}"),
            entry_point_kind: kind.into(),
            hour,
            metric: metric.into(),
            n,
        }
    }

    #[test]
    fn every_report_has_the_seeds_columns() {
        let f = Facts::default();
        let want: [(ReportId, &str); 8] = [
            (
                ReportId::AgentActivity,
                "chatcampaign_id,agent_id,time_start,time_end,state,duration_secs,account_id,activity_id",
            ),
            (
                ReportId::AgentPerformance,
                "chatcampaign_id,agent_id,workshift_id,account_id,chatcampaign_name,workshift_start,workshift_end,\
                 num_chats,num_breaks,num_ignored,num_abandoned,avg_concurrency,first_response_duration,\
                 open_duration,closed_duration,online_duration,offline_duration,available_duration,idle_duration,\
                 session_duration,survey_num_good,survey_num_bad,survey_num_moderate",
            ),
            (ReportId::Agents, "id,username,firstname,lastname,email,account_id,disabled"),
            (ReportId::Conversations, &conversations::COLUMNS.join(",")),
            (ReportId::Invites, &invites::COLUMNS.join(",")),
            (ReportId::Hosts, "id,account_id,hostname,multiple_acc_id"),
            (ReportId::Traffic, "chatcampaign_id,hour_begin_time,entrypoint_id,entrypoint,visits,views,clicks,chats"),
            (ReportId::Slots, "chatcampaign_id,agent_id,time_start,time_end,state,entrypoint_type,duration"),
        ];
        for (r, cols) in want {
            let q = query(r, D, D + DAY, "UTC");
            let t = table(&ctx(&q, &f, D));
            assert_eq!(t.columns.join(","), cols, "{r:?}");
            assert!(t.rows.is_empty(), "{r:?}: no facts, no rows");
            assert_eq!(t.to_csv().unwrap(), format!("{cols}\n"));
        }
        assert!(conversations::COLUMNS.contains(&"transcriptUrl"));
    }

    #[test]
    fn conversations_are_filtered_linked_and_in_the_zone() {
        let mut a = conv("c1", "web", D + 23 * H + 30 * M);
        a.operator_id = Some("dana".into());
        let b = conv("c2", "shop", D + H);
        let f = Facts { conversations: vec![a, b], agents: vec![agent("dana")], ..Facts::default() };
        let q = query(ReportId::Conversations, D, D + 2 * DAY, "Europe/Berlin");
        let t = table(&ctx(&q, &f, D + 2 * DAY));
        assert_eq!(t.rows.len(), 2);
        // Ordered by creation; 01:00 UTC is 02:00 in Berlin, 23:30 UTC the next day's 00:30.
        assert_eq!(t.rows[0][1], "2026-11-18 02:00:00");
        assert_eq!(t.rows[1][1], "2026-11-19 00:30:00");
        assert_eq!(t.conversations, vec![Some("c2".to_owned()), Some("c1".to_owned())]);
        assert_eq!(t.rows[1][25], "/console/#/transcript/c1");
        assert_eq!(t.rows[0][13], "", "open: no total duration");
        let mut q2 = q.clone();
        q2.channel = Some("web".into());
        let t = table(&ctx(&q2, &f, D + 2 * DAY));
        assert_eq!(t.conversations, vec![Some("c1".to_owned())]);
        let mut q3 = q;
        q3.operator = Some("sam".into());
        assert!(table(&ctx(&q3, &f, D + 2 * DAY)).rows.is_empty());
    }

    #[test]
    fn table_cells_are_the_rows_csv() {
        // Every cell in its column: the table's CSV is the serialized rows' CSV (UTC).
        let mut c = conv("c1", "web", D + H);
        c.closed_at = Some(D + 2 * H);
        c.closed_by = Some(ClosedBy::Operator);
        c.survey_result = SurveyResult::Good;
        c.survey_comment = "Fast, thanks".into();
        c.decision_ms = Some(3_500);
        c.success_code = Some("Sale".into());
        let f = Facts {
            conversations: vec![c],
            agents: vec![agent("dana")],
            assignments: vec![assign("c1", "dana", D + H + S, Received::Routed)],
            messages: vec![
                msg("c1", 1, AuthorRole::Visitor, None, D + H + 2 * S),
                msg("c1", 2, AuthorRole::Operator, Some("dana"), D + H + 9 * S),
            ],
            ..Facts::default()
        };
        let q = query(ReportId::Conversations, D, D + DAY, "UTC");
        let t = table(&ctx(&q, &f, D + DAY));
        let facts = conversations::Facts {
            conversations: &f.conversations,
            messages: &f.messages,
            assignments: &f.assignments,
            agents: &f.agents,
            ..conversations::Facts::default()
        };
        let rows = conversations::rows(&facts, "/console/#/transcript/");
        assert_eq!(t.to_csv().unwrap(), crate::serde_csv(&rows, &conversations::COLUMNS));
        assert!(t.rows[0].contains(&"3".to_owned()) && t.rows[0].contains(&"7".to_owned()));
    }

    #[test]
    fn agents_with_the_operator_filter() {
        let mut sam = agent("sam");
        sam.disabled = true;
        let f = Facts { agents: vec![sam, agent("dana")], ..Facts::default() };
        let mut q = query(ReportId::Agents, D, D + DAY, "UTC");
        let t = table(&ctx(&q, &f, D));
        assert_eq!(
            t.to_csv().unwrap(),
            "id,username,firstname,lastname,email,account_id,disabled\n\
             dana,dana,Fdana,Ldana,dana@example.com,acc1,0\n\
             sam,sam,Fsam,Lsam,sam@example.com,acc1,1\n"
        );
        assert!(t.conversations.is_empty());
        q.operator = Some("sam".into());
        let t = table(&ctx(&q, &f, D));
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0][0], "sam");
    }

    #[test]
    fn invites_in_the_zone_filtered_with_a_funnel() {
        // 23:00 UTC on the 18th is 00:00 on the 19th in Berlin.
        let h = D + 23 * H;
        let f = Facts {
            tallies: vec![
                tally("web", "inv_a", "invite", h, "match", 5),
                tally("web", "inv_a", "invite", h, "proactive", 4),
                tally("web", "inv_a", "invite", h, "accepted", 2),
                tally("web", "inv_a", "invite", h, "declined", 1),
                tally("web", "inv_a", "invite", h, "ignored", 1),
                tally("web", "inv_a", "invite", h, "cancelled", 1),
                tally("web", "inv_b", "invite", h, "match", 1),
                tally("shop", "inv_c", "invite", h, "match", 7),
                tally("web", "btn", "button", h, "visits", 9),
                // Outside the period.
                tally("web", "inv_a", "invite", D + 2 * DAY, "match", 100),
            ],
            ..Facts::default()
        };
        let mut q = query(ReportId::Invites, D, D + 2 * DAY, "Europe/Berlin");
        q.channel = Some("web".into());
        let t = table(&ctx(&q, &f, D + 2 * DAY));
        assert_eq!(t.rows.len(), 2);
        let r = &t.rows[0];
        // date = 2026-11-19 00:00 Berlin = 2026-11-18 23:00 UTC.
        assert_eq!(
            &r[..8],
            ["web", "1795042800", "0", "inv_a", "acc1", "2026-11-19 00:00:00", "2026-11-19 00:59:59", "EP inv_a"]
        );
        assert_eq!(&r[8..], ["4", "2", "1", "5", "1", "0", "0", "1"]);
        let chart = t.chart.unwrap();
        assert_eq!(chart.kind, ChartKind::Funnel);
        let stage = |n: &str| chart.series.iter().find(|s| s.name == n).unwrap().values[0];
        assert_eq!((stage("Matched"), stage("Shown"), stage("Accepted")), (6.0, 4.0, 2.0));
        q.entry_point = Some("inv_b".into());
        let t = table(&ctx(&q, &f, D + 2 * DAY));
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0][3], "inv_b");
    }

    #[test]
    fn invites_on_a_dst_day() {
        // 2026-03-29: Berlin goes from UTC+1 to UTC+2 at 01:00 UTC; the day starts 2026-03-28 23:00 UTC.
        let day_start = 1_774_738_800_000;
        let f = Facts {
            tallies: vec![
                tally("web", "inv_a", "invite", day_start + 2 * H, "match", 1), // 01:00 UTC = 03:00 CEST
                tally("web", "inv_a", "invite", day_start, "match", 1),         // 23:00 UTC = 00:00 CET
            ],
            ..Facts::default()
        };
        let q = query(ReportId::Invites, day_start, day_start + 23 * H, "Europe/Berlin");
        let t = table(&ctx(&q, &f, day_start + DAY));
        let got: Vec<_> = t.rows.iter().map(|r| (r[1].as_str(), r[2].as_str(), r[5].as_str())).collect();
        assert_eq!(got, [("1774738800", "0", "2026-03-29 00:00:00"), ("1774738800", "3", "2026-03-29 03:00:00")]);
    }

    #[test]
    fn traffic_in_the_zone_with_bars_by_hour() {
        let h = D + 10 * H;
        let f = Facts {
            tallies: vec![
                tally("web", "btn", "button", h, "visits", 9),
                tally("web", "btn", "button", h, "views", 8),
                tally("web", "btn", "button", h, "clicks", 2),
                tally("web", "btn", "button", h, "chats", 1),
                tally("web", "btn", "button", h + DAY, "visits", 1),
                tally("web", "inv_a", "invite", h, "views", 3),
                tally("web", "inv_a", "invite", h, "match", 3),
                tally("shop", "btn2", "button", h, "visits", 4),
            ],
            ..Facts::default()
        };
        let mut q = query(ReportId::Traffic, D, D + 2 * DAY, "Asia/Kolkata");
        q.channel = Some("web".into());
        let t = table(&ctx(&q, &f, D + 2 * DAY));
        let csv = t.to_csv().unwrap();
        assert_eq!(
            csv,
            "chatcampaign_id,hour_begin_time,entrypoint_id,entrypoint,visits,views,clicks,chats\n\
             web,2026-11-18 15:30:00,btn,EP btn,9,8,2,1\n\
             web,2026-11-18 15:30:00,inv_a,EP inv_a,0,3,0,0\n\
             web,2026-11-19 15:30:00,btn,EP btn,1,0,0,0\n"
        );
        let chart = t.chart.unwrap();
        assert_eq!(chart.kind, ChartKind::Bars);
        assert_eq!(chart.labels.len(), 24);
        assert_eq!(chart.series[0].name, "Visits");
        assert_eq!(chart.series[0].values[15], 10.0);
        assert_eq!(chart.series[1].values[15], 11.0);
        assert_eq!(chart.series[0].values.iter().sum::<f64>(), 10.0);
        q.entry_point = Some("inv_a".into());
        assert_eq!(table(&ctx(&q, &f, D + 2 * DAY)).rows.len(), 1);
    }

    /// The console's "Invites & traffic" hour: 2026-11-18 11:00 UTC.
    fn console_facts() -> Facts {
        let h = D + 11 * H;
        Facts {
            tallies: vec![
                tally("web", "inv_a", "invite", h, "match", 5),
                tally("web", "inv_a", "invite", h, "proactive", 4),
                tally("web", "inv_a", "invite", h, "accepted", 1),
                tally("web", "inv_a", "invite", h, "no_availability", 1),
                tally("web", "inv_a", "invite", h, "views", 4),
                tally("web", "btn", "button", h, "visits", 9),
                tally("web", "btn", "button", h, "chats", 1),
                tally("shop", "inv_c", "invite", h + DAY, "match", 2),
            ],
            ..Facts::default()
        }
    }

    fn console_query(report: ReportId, pairs: &[(&str, &str)]) -> ReportQuery {
        let mut all = vec![("from".to_owned(), D.to_string()), ("to".to_owned(), (D + 2 * DAY).to_string())];
        all.extend(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        crate::query::console_period(report, all.iter().map(|(k, v)| (k.as_str(), v.as_str())), D).unwrap()
    }

    #[test]
    fn the_console_views_are_the_engines_rows_in_utc() {
        let f = console_facts();
        let q = console_query(ReportId::Invites, &[]);
        let c = ctx(&q, &f, D + 2 * DAY);
        let rows = invite_rows(&c);
        let got: Vec<_> = rows
            .iter()
            .map(|r| {
                (r.chatcampaign_id.as_str(), r.date, r.hour_of_day, r.hour_begin_time.as_str(), r.num_proactive_match)
            })
            .collect();
        assert_eq!(
            got,
            [("web", D / 1000, 11, "2026-11-18 11:00:00", 5), ("shop", (D + DAY) / 1000, 11, "2026-11-19 11:00:00", 2)]
        );
        assert_eq!(rows[0].hour_end_time, "2026-11-18 11:59:59");
        // The CSV link's bytes: the table's CSV is the rows serialized field by field.
        let t = table(&c);
        assert_eq!(t.to_csv().unwrap(), crate::serde_csv(&rows, &invites::COLUMNS));
        // The channel narrows the rows.
        let q = console_query(ReportId::Invites, &[("channel", "shop")]);
        assert_eq!(invite_rows(&ctx(&q, &f, D + 2 * DAY)).len(), 1);

        let q = console_query(ReportId::Traffic, &[]);
        let c = ctx(&q, &f, D + 2 * DAY);
        let rows: Vec<traffic::TrafficRow> = traffic_rows(&c).into_iter().map(|(_, r)| r).collect();
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.entrypoint_id.as_str(), r.hour_begin_time.as_str(), r.visits, r.views, r.chats))
            .collect();
        assert_eq!(got, [("btn", "2026-11-18 11:00:00", 9, 0, 1), ("inv_a", "2026-11-18 11:00:00", 0, 4, 0)]);
        assert_eq!(table(&c).to_csv().unwrap(), crate::serde_csv(&rows, &traffic::COLUMNS));
    }

    #[test]
    fn the_console_views_in_another_zone_write_local_hours() {
        let f = console_facts();
        // Kolkata is UTC+5:30: the 11:00 UTC hour is written from 16:30 local.
        let q = console_query(ReportId::Invites, &[("tz", "Asia/Kolkata")]);
        let rows = invite_rows(&ctx(&q, &f, D + 2 * DAY));
        assert_eq!((rows[0].hour_of_day, rows[0].hour_begin_time.as_str()), (16, "2026-11-18 16:30:00"));
        let q = console_query(ReportId::Traffic, &[("tz", "Asia/Kolkata")]);
        let rows = traffic_rows(&ctx(&q, &f, D + 2 * DAY));
        assert_eq!(rows[0].1.hour_begin_time, "2026-11-18 16:30:00");
        // Counts do not move: the tallies are the same hours.
        assert_eq!(rows.iter().map(|(_, r)| r.visits).sum::<u64>(), 9);
    }
}

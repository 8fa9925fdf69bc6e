//! "Slots" (seed 001): the operators' states over the day with the chats that reached them, to
//! plan working hours ("an overview … on the daily incoming chats, and on the behavior of the
//! active agents of the day").
//!
//! Interpretations of the seed (it lists an agent state with its times and duration *and* the
//! entry point type "that caused a chat", but no count column):
//! - The states are the activity intervals of [Agent activity](super::agent_activity), with
//!   the same period rule, order and values (`time_start`, `time_end` empty while open,
//!   `duration` in whole seconds until now, not clipped to the period).
//! - **One row per chat received** during the state: every assignment of a chat to the
//!   operator (routed, dequeued, forwarded, transferred, taken: "counts every time on every
//!   chat receiving", as Agent performance) at a time in `[time_start, time_end)` and in the
//!   period, in time order, with the chat's channel (`chatcampaign_id`) and its
//!   `entrypoint_type` (`button` or `invite`: the conversation's request type). Counting rows
//!   gives the chats per state, per channel and per entry point type; each such row opens
//!   its conversation.
//! - A state in which no chat was received is one row with empty `chatcampaign_id` and
//!   `entrypoint_type`, so the day's states stay visible — unless the query narrows to a
//!   channel or entry point (then only rows with such chats are listed).
//! - The conversation filters apply to the chats (not `operator`, which keeps that operator's
//!   states); chats of conversations not loaded (created outside the period) are not seen.
//! - Chart: chats received by local hour of day, one series per entry point type.

use std::collections::BTreeMap;

use super::super::facts::{AssignmentFact, ConversationFact};
use super::super::table::{Chart, ChartKind, Series, Table};
use super::super::Ctx;
use super::agent_activity::{end_of, intervals, state_name};
use super::{hour_labels, secs, without_operator};

/// The seed's columns, in its order.
pub const COLUMNS: [&str; 7] =
    ["chatcampaign_id", "agent_id", "time_start", "time_end", "state", "entrypoint_type", "duration"];

pub fn table(ctx: &Ctx) -> Table {
    let q = ctx.q;
    let filter = without_operator(q);
    let convs: BTreeMap<&str, &ConversationFact> =
        ctx.facts.conversations.iter().filter(|c| filter.matches(c)).map(|c| (c.id.as_str(), c)).collect();
    let mut received: BTreeMap<&str, Vec<&AssignmentFact>> = BTreeMap::new();
    for a in ctx.facts.assignments.iter().filter(|a| (q.from..q.to).contains(&a.at)) {
        if convs.contains_key(a.conversation_id.as_str()) {
            received.entry(&a.operator_id).or_default().push(a);
        }
    }
    for list in received.values_mut() {
        list.sort_by(|a, b| (a.at, &a.conversation_id).cmp(&(b.at, &b.conversation_id)));
    }
    let narrowed = q.channel.is_some() || q.entry_point.is_some();
    let mut t = Table::new(&COLUMNS);
    let mut by_hour: BTreeMap<&str, [u64; 24]> = BTreeMap::new();
    for kind in ["button", "invite"] {
        by_hour.insert(kind, [0; 24]);
    }
    for s in intervals(ctx) {
        let end = end_of(s, ctx.now);
        let cells = |channel: &str, kind: &str| {
            vec![
                channel.to_owned(),
                s.operator_id.clone(),
                ctx.zone.datetime(s.start),
                s.end.map(|e| ctx.zone.datetime(e)).unwrap_or_default(),
                state_name(&s.state),
                kind.to_owned(),
                secs(end - s.start),
            ]
        };
        let chats: Vec<&&AssignmentFact> = received
            .get(s.operator_id.as_str())
            .map(|l| l.iter().filter(|a| a.at >= s.start && a.at < end).collect())
            .unwrap_or_default();
        if chats.is_empty() {
            if !narrowed {
                t.push(cells("", ""), None);
            }
            continue;
        }
        for a in chats {
            let c = convs[a.conversation_id.as_str()];
            t.push(cells(&c.channel_id, c.request_type.as_str()), Some(c.id.to_string()));
            by_hour.entry(c.request_type.as_str()).or_insert([0; 24])[ctx.zone.hour(a.at) as usize % 24] += 1;
        }
    }
    t.chart = Some(Chart {
        kind: ChartKind::Bars,
        title: "Chats received by hour of day".into(),
        labels: hour_labels(),
        series: by_hour
            .into_iter()
            .map(|(kind, v)| Series {
                name: if kind.is_empty() { "unknown".into() } else { kind.to_owned() },
                values: v.iter().map(|n| *n as f64).collect(),
            })
            .collect(),
    });
    t
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::*;
    use crate::dispatch::Received;
    use crate::facts::{Facts, RequestType};
    use crate::query::ReportId;

    fn facts() -> Facts {
        let mut inv = conv("c2", "web", D + 10 * H);
        inv.request_type = RequestType::Invite;
        Facts {
            activity: vec![
                act("a1", "dana", "online", D + 9 * H, Some(D + 12 * H)),
                act("a2", "dana", "offline", D + 12 * H, Some(D + 13 * H)),
                act("a3", "dana", "online", D + 13 * H, None),
            ],
            conversations: vec![conv("c1", "web", D + 9 * H + 30 * M), inv, conv("c3", "shop", D + 13 * H)],
            assignments: vec![
                assign("c1", "dana", D + 9 * H + 30 * M, Received::Routed),
                assign("c2", "dana", D + 10 * H, Received::Routed),
                // Transferred away and back: received twice.
                assign("c2", "sam", D + 10 * H + 5 * M, Received::Transferred),
                assign("c2", "dana", D + 11 * H, Received::Transferred),
                // At the very end of a1 = the start of a2 (half-open): in the break.
                assign("c1", "dana", D + 12 * H, Received::Forwarded),
                assign("c3", "dana", D + 13 * H + M, Received::Routed),
            ],
            ..Facts::default()
        }
    }

    #[test]
    fn one_row_per_chat_received_in_each_state() {
        let f = facts();
        let q = query(ReportId::Slots, D, D + DAY, "UTC");
        let t = table(&ctx(&q, &f, D + 14 * H));
        assert_eq!(
            t.to_csv().unwrap(),
            "chatcampaign_id,agent_id,time_start,time_end,state,entrypoint_type,duration\n\
             web,dana,2026-11-18 09:00:00,2026-11-18 12:00:00,Online,button,10800\n\
             web,dana,2026-11-18 09:00:00,2026-11-18 12:00:00,Online,invite,10800\n\
             web,dana,2026-11-18 09:00:00,2026-11-18 12:00:00,Online,invite,10800\n\
             web,dana,2026-11-18 12:00:00,2026-11-18 13:00:00,Offline,button,3600\n\
             shop,dana,2026-11-18 13:00:00,,Online,button,3600\n"
        );
        let convs: Vec<_> = t.conversations.iter().map(|c| c.as_deref().unwrap()).collect();
        assert_eq!(convs, ["c1", "c2", "c2", "c1", "c3"]);
        let chart = t.chart.unwrap();
        let names: Vec<_> = chart.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["button", "invite"]);
        assert_eq!(chart.series[0].values[9], 1.0);
        assert_eq!(chart.series[0].values[12], 1.0);
        assert_eq!(chart.series[1].values[10], 1.0);
        assert_eq!(chart.series[1].values[11], 1.0);
    }

    #[test]
    fn states_without_chats_and_filters() {
        let mut f = facts();
        f.activity.push(act("s1", "sam", "online", D + 10 * H, Some(D + 10 * H + 30 * M)));
        f.activity.push(act("s2", "sam", "offline", D + 10 * H + 30 * M, Some(D + 20 * H)));
        let mut q = query(ReportId::Slots, D, D + DAY, "UTC");
        let t = table(&ctx(&q, &f, D + 14 * H));
        // Sam received c2 in s1; s2 had no chat: one empty row.
        let sam: Vec<_> =
            t.rows.iter().filter(|r| r[1] == "sam").map(|r| (r[0].as_str(), r[4].as_str(), r[5].as_str())).collect();
        assert_eq!(sam, [("web", "Online", "invite"), ("", "Offline", "")]);
        q.channel = Some("shop".into());
        let t = table(&ctx(&q, &f, D + 14 * H));
        assert_eq!(t.rows.len(), 1);
        assert_eq!((t.rows[0][0].as_str(), t.conversation(0)), ("shop", Some("c3")));
        q.channel = None;
        q.operator = Some("sam".into());
        let t = table(&ctx(&q, &f, D + 14 * H));
        assert_eq!(t.rows.len(), 2);
    }
}

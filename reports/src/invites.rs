//! "Automatic invites" (seed 001): per channel, hour and invite rule, the funnel counts.

use std::collections::BTreeMap;

use parley_protocol::{AccountId, ChannelId};
use serde::{Deserialize, Serialize};

use super::TallyRow;
use crate::metrics::{Funnel, Metric, HOUR_MS};

/// The seed's columns, in its order.
pub const COLUMNS: [&str; 16] = [
    "chatcampaign_id",
    "date",
    "hour_of_day",
    "filter_id",
    "account_id",
    "hour_begin_time",
    "hour_end_time",
    "filter_name",
    "num_proactive",
    "num_proactive_accepted",
    "num_proactive_declined",
    "num_proactive_match",
    "num_proactive_cancelled",
    "num_proactive_no_availability",
    "num_proactive_expired",
    "num_proactive_ignored",
];

/// One line of the report (field order = `COLUMNS`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRow {
    pub chatcampaign_id: ChannelId,
    /// Unix seconds of the day's start.
    pub date: u64,
    pub hour_of_day: u8,
    pub filter_id: String,
    pub account_id: AccountId,
    pub hour_begin_time: String,
    pub hour_end_time: String,
    pub filter_name: String,
    pub num_proactive: u64,
    pub num_proactive_accepted: u64,
    pub num_proactive_declined: u64,
    pub num_proactive_match: u64,
    pub num_proactive_cancelled: u64,
    pub num_proactive_no_availability: u64,
    pub num_proactive_expired: u64,
    pub num_proactive_ignored: u64,
}

impl InviteRow {
    pub fn funnel(&self) -> Funnel {
        Funnel {
            matched: self.num_proactive_match,
            cancelled: self.num_proactive_cancelled,
            proactive: self.num_proactive,
            accepted: self.num_proactive_accepted,
            declined: self.num_proactive_declined,
            ignored: self.num_proactive_ignored,
            expired: self.num_proactive_expired,
            no_availability: self.num_proactive_no_availability,
        }
    }
}

/// One row per channel, hour and invite with any funnel count, ordered by hour, channel, rule
/// name. Rows of the chat button and traffic metrics are ignored. The hours are written in the
/// report's local time (`super::exports::invite_rows` passes the query's zone): `datetime`
/// writes an instant, `day_start` gives the start (ms) of its local day (`date` is that in Unix
/// seconds) and `hour` its local hour of day. An hour's end is written 59 min 59 s after its start.
pub fn rows_local(
    tallies: &[TallyRow],
    datetime: &dyn Fn(u64) -> String,
    day_start: &dyn Fn(u64) -> u64,
    hour: &dyn Fn(u64) -> u32,
) -> Vec<InviteRow> {
    let mut by: BTreeMap<(u64, &str, &str), (Funnel, &TallyRow)> = BTreeMap::new();
    for t in tallies.iter().filter(|t| t.entry_point_kind == "invite") {
        let Some(metric) = Metric::parse(&t.metric) else { continue };
        if matches!(metric, Metric::Visits | Metric::Views | Metric::Clicks | Metric::Chats) {
            continue;
        }
        by.entry((t.hour, t.channel_id.as_str(), t.entry_point_id.as_str()))
            .or_insert((Funnel::default(), t))
            .0
            .add(metric, t.n);
    }
    let mut out: Vec<(u64, InviteRow)> = by
        .into_iter()
        .map(|((h, channel, filter), (f, t))| {
            let row = InviteRow {
                chatcampaign_id: channel.into(),
                date: day_start(h) / 1000,
                hour_of_day: hour(h) as u8,
                filter_id: filter.to_owned(),
                account_id: t.account_id.clone(),
                hour_begin_time: datetime(h),
                hour_end_time: datetime(h + HOUR_MS - 1000),
                filter_name: t.entry_point_name.clone(),
                num_proactive: f.proactive,
                num_proactive_accepted: f.accepted,
                num_proactive_declined: f.declined,
                num_proactive_match: f.matched,
                num_proactive_cancelled: f.cancelled,
                num_proactive_no_availability: f.no_availability,
                num_proactive_expired: f.expired,
                num_proactive_ignored: f.ignored,
            };
            (h, row)
        })
        .collect();
    out.sort_by(|(ha, a), (hb, b)| {
        (ha, &a.chatcampaign_id, &a.filter_name).cmp(&(hb, &b.chatcampaign_id, &b.filter_name))
    });
    out.into_iter().map(|(_, r)| r).collect()
}

impl InviteRow {
    /// The row's cells as the CSV writes them (`COLUMNS` order).
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.chatcampaign_id.to_string(),
            self.date.to_string(),
            self.hour_of_day.to_string(),
            self.filter_id.clone(),
            self.account_id.to_string(),
            self.hour_begin_time.clone(),
            self.hour_end_time.clone(),
            self.filter_name.clone(),
            self.num_proactive.to_string(),
            self.num_proactive_accepted.to_string(),
            self.num_proactive_declined.to_string(),
            self.num_proactive_match.to_string(),
            self.num_proactive_cancelled.to_string(),
            self.num_proactive_no_availability.to_string(),
            self.num_proactive_expired.to_string(),
            self.num_proactive_ignored.to_string(),
        ]
    }
}

/// One invite rule's funnel summed over a period (the console's "Funnel per rule").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleFunnel {
    pub filter_id: String,
    pub filter_name: String,
    pub funnel: Funnel,
}

impl RuleFunnel {
    /// Accepted as a percentage of shown (the conversion rate), `None` when none was shown.
    pub fn conversion(&self) -> Option<u64> {
        super::percent(self.funnel.accepted, self.funnel.proactive)
    }
}

/// Each rule's funnel summed over `rows` (all hours and channels), ordered by rule name, then id.
pub fn funnel_by_rule(rows: &[InviteRow]) -> Vec<RuleFunnel> {
    let mut by: BTreeMap<&str, RuleFunnel> = BTreeMap::new();
    for r in rows {
        by.entry(&r.filter_id)
            .or_insert_with(|| RuleFunnel {
                filter_id: r.filter_id.clone(),
                filter_name: r.filter_name.clone(),
                funnel: Funnel::default(),
            })
            .funnel
            .merge(&r.funnel());
    }
    let mut out: Vec<RuleFunnel> = by.into_values().collect();
    out.sort_by(|a, b| (&a.filter_name, &a.filter_id).cmp(&(&b.filter_name, &b.filter_id)));
    out
}

/// Shown and accepted invites per hour of day (the rows' hours, UTC), summed over all days,
/// rules and channels: index = hour of day, value = (shown, accepted).
pub fn by_hour_of_day(rows: &[InviteRow]) -> [(u64, u64); 24] {
    let mut out = [(0, 0); 24];
    for r in rows {
        if let Some(slot) = out.get_mut(r.hour_of_day as usize) {
            slot.0 += r.num_proactive;
            slot.1 += r.num_proactive_accepted;
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::datetime;

    /// [`rows_local`] in UTC.
    pub(crate) fn rows(tallies: &[TallyRow]) -> Vec<InviteRow> {
        rows_local(tallies, &datetime, &|h| h - h % (24 * HOUR_MS), &|h| ((h % (24 * HOUR_MS)) / HOUR_MS) as u32)
    }

    pub(crate) fn t(ep: &str, kind: &str, hour: u64, metric: &str, n: u64) -> TallyRow {
        TallyRow {
            account_id: "acc_demo".into(),
            channel_id: "demo".into(),
            entry_point_id: ep.into(),
            entry_point_name: if ep == "btn_demo" { "Chat button".into() } else { format!("Rule {ep}") },
            entry_point_kind: kind.into(),
            hour,
            metric: metric.into(),
            n,
        }
    }

    #[test]
    fn funnel_rows_per_hour_and_rule() {
        let h = 1_795_000_000_000 - 1_795_000_000_000 % HOUR_MS;
        let tallies = vec![
            t("inv_a", "invite", h, "match", 5),
            t("inv_a", "invite", h, "proactive", 4),
            t("inv_a", "invite", h, "cancelled", 1),
            t("inv_a", "invite", h, "accepted", 1),
            t("inv_a", "invite", h, "declined", 1),
            t("inv_a", "invite", h, "ignored", 1),
            t("inv_a", "invite", h, "expired", 1),
            t("inv_a", "invite", h, "no_availability", 1),
            t("inv_a", "invite", h, "views", 4),
            t("btn_demo", "button", h, "visits", 9),
            t("inv_a", "invite", h + HOUR_MS, "match", 1),
            t("inv_a", "invite", h + HOUR_MS, "cancelled", 1),
        ];
        let rows = rows(&tallies);
        assert_eq!(rows.len(), 2);
        let r = &rows[0];
        assert_eq!(r.hour_begin_time, "2026-11-18 11:00:00");
        assert_eq!(r.hour_end_time, "2026-11-18 11:59:59");
        assert_eq!((r.date, r.hour_of_day), (1_794_960_000, 11));
        assert_eq!(r.filter_name, "Rule inv_a");
        assert!(r.funnel().sums_hold(0));
        assert_eq!((r.num_proactive_match, r.num_proactive, r.num_proactive_no_availability), (5, 4, 1));
        assert!(rows[1].funnel().sums_hold(0));
    }

    #[test]
    fn funnels_summed_per_rule_and_hours_of_day() {
        let h = 1_795_000_000_000 - 1_795_000_000_000 % HOUR_MS; // 11:00 UTC
        let day = 24 * HOUR_MS;
        let mut tallies = vec![
            t("inv_b", "invite", h, "match", 5),
            t("inv_b", "invite", h, "proactive", 4),
            t("inv_b", "invite", h, "cancelled", 1),
            t("inv_b", "invite", h, "accepted", 2),
            t("inv_b", "invite", h, "declined", 1),
            t("inv_b", "invite", h, "ignored", 1),
            t("inv_b", "invite", h, "no_availability", 1),
            // The next day, same hour of day, and two hours later.
            t("inv_b", "invite", h + day, "match", 3),
            t("inv_b", "invite", h + day, "proactive", 3),
            t("inv_b", "invite", h + day, "accepted", 1),
            t("inv_b", "invite", h + day, "expired", 2),
            t("inv_a", "invite", h + 2 * HOUR_MS, "match", 2),
            t("inv_a", "invite", h + 2 * HOUR_MS, "cancelled", 2),
            t("btn_demo", "button", h, "visits", 9),
        ];
        // Another channel's rule with the same name is a rule of its own.
        let mut other = t("inv_c", "invite", h, "match", 1);
        other.channel_id = "other".into();
        other.entry_point_name = "Rule inv_a".into();
        tallies.push(other);
        let rows = rows(&tallies);
        let funnels = funnel_by_rule(&rows);
        let names: Vec<(&str, &str)> = funnels.iter().map(|f| (f.filter_name.as_str(), f.filter_id.as_str())).collect();
        assert_eq!(names, [("Rule inv_a", "inv_a"), ("Rule inv_a", "inv_c"), ("Rule inv_b", "inv_b")]);
        let b = &funnels[2].funnel;
        assert_eq!(
            (b.matched, b.cancelled, b.proactive, b.accepted, b.declined, b.ignored, b.expired, b.no_availability),
            (8, 1, 7, 3, 1, 1, 2, 1)
        );
        assert!(b.sums_hold(0));
        assert_eq!(funnels[2].conversion(), Some(43)); // 3 of 7
        assert_eq!(funnels[0].conversion(), None); // none shown
        assert_eq!(funnels[0].funnel.cancelled, 2);

        let hours = by_hour_of_day(&rows);
        assert_eq!(hours[11], (7, 3));
        assert_eq!(hours[13], (0, 0));
        assert_eq!(hours.iter().map(|h| h.0).sum::<u64>(), 7);
        assert_eq!(by_hour_of_day(&[]), [(0, 0); 24]);
        assert!(funnel_by_rule(&[]).is_empty());
    }

    #[test]
    fn csv_has_exactly_the_seed_columns() {
        let h = 1_795_000_000_000 - 1_795_000_000_000 % HOUR_MS;
        let mut table = crate::table::Table::new(&COLUMNS);
        for r in rows(&[t("inv_a", "invite", h, "match", 1)]) {
            table.push(r.cells(), None);
        }
        let csv = table.to_csv().unwrap();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "chatcampaign_id,date,hour_of_day,filter_id,account_id,hour_begin_time,hour_end_time,filter_name,\
             num_proactive,num_proactive_accepted,num_proactive_declined,num_proactive_match,num_proactive_cancelled,\
             num_proactive_no_availability,num_proactive_expired,num_proactive_ignored"
        );
        assert_eq!(
            lines.next().unwrap(),
            "demo,1794960000,11,inv_a,acc_demo,2026-11-18 11:00:00,2026-11-18 11:59:59,Rule inv_a,0,0,0,1,0,0,0,0"
        );
    }
}

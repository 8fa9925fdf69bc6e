//! "Traffic" (seed 001): per channel, hour and entry point, visits, views, clicks and chats.

use std::collections::BTreeMap;

use parley_protocol::ChannelId;
use serde::{Deserialize, Serialize};

use super::TallyRow;
use crate::metrics::Metric;

/// The seed's columns, in its order.
pub const COLUMNS: [&str; 8] =
    ["chatcampaign_id", "hour_begin_time", "entrypoint_id", "entrypoint", "visits", "views", "clicks", "chats"];

/// One line of the report (field order = `COLUMNS`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficRow {
    pub chatcampaign_id: ChannelId,
    pub hour_begin_time: String,
    pub entrypoint_id: String,
    pub entrypoint: String,
    pub visits: u64,
    pub views: u64,
    pub clicks: u64,
    pub chats: u64,
}

/// One row per channel, hour and entry point with any traffic, ordered by hour, channel and
/// entry point name. Funnel metrics are ignored. `hour_begin_time` is written by `datetime`
/// (the report's local time: `super::exports::traffic_rows` passes the query's zone); each row
/// comes with its hour's start in ms (for charts by local hour of day).
pub fn rows_local(tallies: &[TallyRow], datetime: &dyn Fn(u64) -> String) -> Vec<(u64, TrafficRow)> {
    let mut by: BTreeMap<(u64, &str, &str), TrafficRow> = BTreeMap::new();
    for t in tallies {
        let Some(metric) = Metric::parse(&t.metric) else { continue };
        if !matches!(metric, Metric::Visits | Metric::Views | Metric::Clicks | Metric::Chats) {
            continue;
        }
        let row = by.entry((t.hour, t.channel_id.as_str(), t.entry_point_id.as_str())).or_insert_with(|| TrafficRow {
            chatcampaign_id: t.channel_id.clone(),
            hour_begin_time: datetime(t.hour),
            entrypoint_id: t.entry_point_id.clone(),
            entrypoint: t.entry_point_name.clone(),
            visits: 0,
            views: 0,
            clicks: 0,
            chats: 0,
        });
        match metric {
            Metric::Visits => row.visits += t.n,
            Metric::Views => row.views += t.n,
            Metric::Clicks => row.clicks += t.n,
            _ => row.chats += t.n,
        }
    }
    let mut out: Vec<(u64, TrafficRow)> = by.into_iter().map(|((h, _, _), r)| (h, r)).collect();
    out.sort_by(|(ha, a), (hb, b)| {
        (ha, &a.chatcampaign_id, &a.entrypoint).cmp(&(hb, &b.chatcampaign_id, &b.entrypoint))
    });
    out
}

impl TrafficRow {
    /// The row's cells as the CSV writes them (`COLUMNS` order).
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.chatcampaign_id.to_string(),
            self.hour_begin_time.clone(),
            self.entrypoint_id.clone(),
            self.entrypoint.clone(),
            self.visits.to_string(),
            self.views.to_string(),
            self.clicks.to_string(),
            self.chats.to_string(),
        ]
    }
}

/// One entry point's traffic summed over a period, with its hourly rows (oldest first) for the
/// detail view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryTotals {
    pub chatcampaign_id: ChannelId,
    pub entrypoint_id: String,
    pub entrypoint: String,
    pub visits: u64,
    pub views: u64,
    pub clicks: u64,
    pub chats: u64,
    pub hours: Vec<TrafficRow>,
}

/// Traffic per entry point summed over `rows` (all hours), ordered by channel, then the chat
/// button (`btn_…`) before invites, then name.
pub fn totals_by_entry_point(rows: &[TrafficRow]) -> Vec<EntryTotals> {
    let mut by: BTreeMap<(&str, &str), EntryTotals> = BTreeMap::new();
    for r in rows {
        let e = by.entry((r.chatcampaign_id.as_str(), &r.entrypoint_id)).or_insert_with(|| EntryTotals {
            chatcampaign_id: r.chatcampaign_id.clone(),
            entrypoint_id: r.entrypoint_id.clone(),
            entrypoint: r.entrypoint.clone(),
            visits: 0,
            views: 0,
            clicks: 0,
            chats: 0,
            hours: Vec::new(),
        });
        e.visits += r.visits;
        e.views += r.views;
        e.clicks += r.clicks;
        e.chats += r.chats;
        e.hours.push(r.clone());
    }
    let mut out: Vec<EntryTotals> = by.into_values().collect();
    for e in &mut out {
        e.hours.sort_by(|a, b| a.hour_begin_time.cmp(&b.hour_begin_time));
    }
    out.sort_by(|a, b| {
        let key =
            |e: &EntryTotals| (e.chatcampaign_id.clone(), !e.entrypoint_id.starts_with("btn_"), e.entrypoint.clone());
        key(a).cmp(&key(b))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datetime;
    use crate::invites::tests::t;
    use crate::metrics::HOUR_MS;

    /// [`rows_local`] in UTC.
    fn rows(tallies: &[TallyRow]) -> Vec<TrafficRow> {
        rows_local(tallies, &datetime).into_iter().map(|(_, r)| r).collect()
    }

    #[test]
    fn traffic_rows() {
        let h = 1_795_000_000_000 - 1_795_000_000_000 % HOUR_MS;
        let tallies = vec![
            t("btn_demo", "button", h, "visits", 9),
            t("btn_demo", "button", h, "views", 8),
            t("btn_demo", "button", h, "clicks", 2),
            t("btn_demo", "button", h, "chats", 1),
            t("inv_a", "invite", h, "views", 4),
            t("inv_a", "invite", h, "clicks", 1),
            t("inv_a", "invite", h, "chats", 1),
            t("inv_a", "invite", h, "match", 5),
        ];
        let rows = rows(&tallies);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].entrypoint.as_str(), rows[0].visits, rows[0].views, rows[0].clicks, rows[0].chats),
            ("Chat button", 9, 8, 2, 1)
        );
        assert_eq!(
            (rows[1].entrypoint.as_str(), rows[1].visits, rows[1].views, rows[1].clicks, rows[1].chats),
            ("Rule inv_a", 0, 4, 1, 1)
        );
        {
            let mut table = crate::table::Table::new(&COLUMNS);
            for r in &rows {
                table.push(r.cells(), None);
            }
            let csv = table.to_csv().unwrap();
            assert!(
                csv.starts_with("chatcampaign_id,hour_begin_time,entrypoint_id,entrypoint,visits,views,clicks,chats\n")
            );
            assert!(csv.contains("\ndemo,2026-11-18 11:00:00,btn_demo,Chat button,9,8,2,1\n"));
        }
    }

    #[test]
    fn totals_per_entry_point() {
        let h = 1_795_000_000_000 - 1_795_000_000_000 % HOUR_MS;
        let tallies = vec![
            t("inv_a", "invite", h, "views", 4),
            t("inv_a", "invite", h + HOUR_MS, "views", 2),
            t("inv_a", "invite", h + HOUR_MS, "clicks", 1),
            t("btn_demo", "button", h + 5 * HOUR_MS, "visits", 3),
            t("btn_demo", "button", h, "visits", 9),
            t("btn_demo", "button", h, "chats", 1),
        ];
        let totals = totals_by_entry_point(&rows(&tallies));
        let got: Vec<_> = totals
            .iter()
            .map(|e| (e.entrypoint.as_str(), e.visits, e.views, e.clicks, e.chats, e.hours.len()))
            .collect();
        assert_eq!(got, [("Chat button", 12, 0, 0, 1, 2), ("Rule inv_a", 0, 6, 1, 0, 2)]);
        assert_eq!(totals[0].hours[0].hour_begin_time, "2026-11-18 11:00:00");
        assert_eq!(totals[0].hours[1].hour_begin_time, "2026-11-18 16:00:00");
        assert!(totals_by_entry_point(&[]).is_empty());
    }
}

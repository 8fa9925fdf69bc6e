//! Report rows computed from the facts the edge keeps (pure), one module per report family, and
//! their CSV with exactly the seed's columns.
//!
//! Every report is asked for with one [`query::ReportQuery`] (report, period, time zone,
//! filters) and computes to one [`table::Table`] from the [`facts::Facts`] the edge loads:
//! [`compute`] is the one entry point the edge (JSON, CSV, public links) calls.
//!
//! Times: dates and hours are local to the query's time zone ([`zone::Zone`]);
//! `YYYY-MM-DD HH:MM:SS` for times, `date` as Unix seconds (the seed: "the date as a timestamp
//! (Unix time)") of the day's start. The hourly tallies are kept per UTC hour, so in a zone
//! whose offset is not a whole hour an hour's tally is shown in the local hour it starts in.

pub mod agents;
pub mod conversations;
pub mod exports;
pub mod facts;
pub mod invites;
pub mod links;
pub mod productivity;
pub mod query;
pub mod ratings;
pub mod sessions;
pub mod statistics;
pub mod table;
pub mod traffic;
pub mod zone;

// The other crates' modules under their usual names inside this crate (`crate::dispatch`, …).
use parley_core::{dispatch, metrics, presence};
use parley_protocol::{admin, entry_points, ids, outcomes};

/// What a report computation reads: the query, the facts the edge loaded for it, the zone its
/// dates are in, the edge's clock (intervals still open end now) and the base URL transcripts
/// are linked at (`transcriptUrl` = base + conversation id; empty = no link).
pub struct Ctx<'a> {
    pub q: &'a query::ReportQuery,
    pub facts: &'a facts::Facts,
    pub zone: zone::Zone,
    pub now: u64,
    pub transcript_base: &'a str,
}

impl<'a> Ctx<'a> {
    pub fn new(q: &'a query::ReportQuery, facts: &'a facts::Facts, now: u64, transcript_base: &'a str) -> Ctx<'a> {
        Ctx { q, facts, zone: zone::Zone::named(&q.tz).unwrap_or_else(zone::Zone::utc), now, transcript_base }
    }

    /// The loaded conversations that pass the query's filters.
    pub fn conversations(&self) -> impl Iterator<Item = &'a facts::ConversationFact> + '_ {
        let q = self.q;
        self.facts.conversations.iter().filter(move |c| q.matches(c))
    }
}

/// Computes the query's report: the one entry point for the edge's JSON, CSV and public links.
pub fn compute(ctx: &Ctx) -> table::Table {
    use query::ReportId::*;
    match ctx.q.report {
        AgentActivity | AgentPerformance | Agents | Conversations | Invites | Hosts | Traffic | Slots => {
            exports::table(ctx)
        }
        Sessions | SessionStatistics | OperatorAnalysis | Ratings => sessions::table(ctx),
        Overview | ByOperator | ByHour | ByDate | ByChannel | WorkingTime | MessageHistory | Tags => {
            statistics::table(ctx)
        }
        Productivity | WebPages | PopularPhrases | VisitorPhrases => productivity::table(ctx),
    }
}

use serde::{Deserialize, Serialize};

/// One combined hourly count as D1 keeps it, with its entry point's name and kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TallyRow {
    pub account_id: String,
    pub channel_id: String,
    pub entry_point_id: String,
    pub entry_point_name: String,
    /// `button` or `invite`.
    pub entry_point_kind: String,
    /// Start of the hour, ms since the epoch (UTC).
    pub hour: u64,
    pub metric: String,
    pub n: u64,
}

/// `GET /api/v1/console/reports/invites?from=MS&to=MS[&channel=ID][&tz=ZONE]` (the console's
/// "Invites & traffic" view, [`query::console_period`]): the engine's Automatic invites rows
/// ([`exports::invite_rows`]); `…/invites.csv` is the engine's `invites` table as CSV.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteReport {
    pub rows: Vec<invites::InviteRow>,
}

/// `GET /api/v1/console/reports/traffic?from=MS&to=MS[&channel=ID][&tz=ZONE]` (and `…/traffic.csv`):
/// the engine's Traffic rows ([`exports::traffic_rows`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficReport {
    pub rows: Vec<traffic::TrafficRow>,
}

/// `GET /api/v1/console/reports/ratings?from=MS&to=MS[&channel=ID][&tz=ZONE]` (and `…/ratings.csv`):
/// ratings per operator and work shift, the engine's Ratings rows ([`sessions::rating_rows`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingsReport {
    pub rows: Vec<ratings::RatingRow>,
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of a time in ms.
pub fn datetime(ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// `part` as a whole percentage of `whole`, rounded half up; `None` when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> Option<u64> {
    if whole == 0 {
        return None;
    }
    Some(((part as u128 * 200 + whole as u128) / (whole as u128 * 2)) as u64)
}

/// Rows as CSV through serde (a header line, then each row's fields in declaration order): what
/// the tests compare a table's cells with, so a row's `cells()` cannot drift from its fields.
#[cfg(test)]
pub(crate) fn serde_csv<T: Serialize>(rows: &[T], header: &[&str]) -> String {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    w.write_record(header).unwrap();
    for r in rows {
        w.serialize(r).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes() {
        assert_eq!(datetime(0), "1970-01-01 00:00:00");
        assert_eq!(datetime(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(datetime(1_795_000_000_000 + 59_999), "2026-11-18 11:07:39");
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(0, 0), None);
        assert_eq!(percent(3, 0), None);
        assert_eq!(percent(0, 7), Some(0));
        assert_eq!(percent(1, 3), Some(33));
        assert_eq!(percent(2, 3), Some(67));
        assert_eq!(percent(1, 8), Some(13)); // 12.5 rounds up
        assert_eq!(percent(5, 5), Some(100));
        assert_eq!(percent(u64::MAX, u64::MAX), Some(100));
    }
}

//! Report rows computed from the facts the edge keeps (pure), one module per report family, and
//! their CSV with exactly the seed's columns.
//!
//! Times: hours are UTC hours for now (the account's time zone comes with the reports issue);
//! `hour_begin_time`/`hour_end_time` are written `YYYY-MM-DD HH:MM:SS`, `date` as Unix seconds
//! (the seed: "the date as a timestamp (Unix time)") of the day's start.

pub mod agents;
pub mod conversations;
pub mod facts;
pub mod invites;
pub mod ratings;
pub mod traffic;

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

/// `GET /api/v1/console/reports/invites?from=MS&to=MS[&channel=ID]` (JSON; `…/invites.csv` is the
/// same rows as CSV with `invites::COLUMNS`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteReport {
    pub rows: Vec<invites::InviteRow>,
}

/// `GET /api/v1/console/reports/traffic?from=MS&to=MS[&channel=ID]` (and `…/traffic.csv`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficReport {
    pub rows: Vec<traffic::TrafficRow>,
}

/// `GET /api/v1/console/reports/ratings?from=MS&to=MS[&channel=ID]` (and `…/ratings.csv` with
/// `ratings::COLUMNS`): ratings per operator and work shift.
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

/// Rows as CSV: a header line with the struct's field names, then one line per row.
#[cfg(feature = "server")]
pub fn to_csv<T: Serialize>(rows: &[T], header: &[&str]) -> Result<String, String> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    w.write_record(header).map_err(|e| e.to_string())?;
    for r in rows {
        w.serialize(r).map_err(|e| e.to_string())?;
    }
    String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
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

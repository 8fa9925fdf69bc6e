//! Local time in the report's time zone (the account's unless the query names another): the
//! day and hour a time falls in, and how reports write times.

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone, Timelike};
use chrono_tz::Tz;

/// A time zone reports are computed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Zone(Tz);

impl Zone {
    /// The zone named `name` (IANA, e.g. `Europe/Berlin`); `None` when unknown.
    pub fn named(name: &str) -> Option<Zone> {
        name.parse::<Tz>().ok().map(Zone)
    }

    pub fn utc() -> Zone {
        Zone(Tz::UTC)
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    fn at(&self, ms: u64) -> DateTime<Tz> {
        DateTime::from_timestamp_millis(ms as i64).unwrap_or_default().with_timezone(&self.0)
    }

    /// Offset from UTC at `ms`, in ms (e.g. +3 600 000 for Berlin in winter).
    pub fn offset_ms(&self, ms: u64) -> i64 {
        self.at(ms).offset().fix().local_minus_utc() as i64 * 1000
    }

    /// `YYYY-MM-DD HH:MM:SS` local time.
    pub fn datetime(&self, ms: u64) -> String {
        self.at(ms).format("%Y-%m-%d %H:%M:%S").to_string()
    }

    /// `YYYY-MM-DD` local date.
    pub fn date(&self, ms: u64) -> String {
        self.at(ms).format("%Y-%m-%d").to_string()
    }

    /// Local hour of day, 0–23.
    pub fn hour(&self, ms: u64) -> u32 {
        self.at(ms).hour()
    }

    /// The local calendar date.
    pub fn naive_date(&self, ms: u64) -> NaiveDate {
        self.at(ms).date_naive()
    }

    /// Start (ms) of the local day containing `ms`. On a day that starts inside a DST gap,
    /// the first instant that exists.
    pub fn day_start(&self, ms: u64) -> u64 {
        let d = self.naive_date(ms);
        let mut t = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        for _ in 0..4 {
            if let Some(local) = self.0.from_local_datetime(&t).earliest() {
                return local.timestamp_millis().max(0) as u64;
            }
            t += chrono::Duration::minutes(30);
        }
        ms - ms % 86_400_000
    }

    /// Start (ms) of the local hour containing `ms` (in zones with whole-hour offsets, the UTC
    /// hour start).
    pub fn hour_start(&self, ms: u64) -> u64 {
        let t = self.at(ms);
        let into = (t.minute() as u64 * 60 + t.second() as u64) * 1000 + (ms % 1000);
        ms - into
    }

    /// The local day of `ms` as a day number (consecutive local dates differ by 1).
    pub fn day_number(&self, ms: u64) -> i64 {
        self.naive_date(ms).num_days_from_ce() as i64
    }

    /// Days from the local day of `a` to that of `b` (0 on the same day).
    pub fn days_between(&self, a: u64, b: u64) -> i64 {
        (self.naive_date(b).num_days_from_ce() - self.naive_date(a).num_days_from_ce()) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_days_and_hours() {
        let berlin = Zone::named("Europe/Berlin").unwrap();
        assert!(Zone::named("Mars/Base").is_none());
        // 2026-11-24 23:30 UTC is 2026-11-25 00:30 in Berlin (UTC+1 in winter).
        let t = 1_795_563_000_000;
        assert_eq!(Zone::utc().datetime(t), "2026-11-24 23:30:00");
        assert_eq!(berlin.datetime(t), "2026-11-25 00:30:00");
        assert_eq!(berlin.hour(t), 0);
        assert_eq!(berlin.offset_ms(t), 3_600_000);
        assert_eq!(berlin.day_start(t), 1_795_561_200_000); // 2026-11-24 23:00 UTC
        assert_eq!(berlin.hour_start(t), 1_795_561_200_000);
        assert_eq!(berlin.days_between(t - 3_600_000, t), 1);
        // Summer time: UTC+2.
        assert_eq!(berlin.offset_ms(1_782_000_000_000), 7_200_000);
    }

    #[test]
    fn half_hour_zones_have_local_hours() {
        let kolkata = Zone::named("Asia/Kolkata").unwrap();
        let t = 1_795_563_000_000; // 23:30 UTC = 05:00 IST
        assert_eq!(kolkata.datetime(t), "2026-11-25 05:00:00");
        assert_eq!(kolkata.hour_start(t + 59_000), t);
    }
}

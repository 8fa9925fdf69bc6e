//! Ratings per operator and work shift: how many of each operator's closed conversations the
//! visitors rated good, moderate or bad, or did not rate, and the happy share (seed 001's
//! Agent performance columns `survey_num_good`, `survey_num_moderate`, `survey_num_bad`, plus
//! not rated and happy %).
//!
//! A **work shift** is [`crate::presence::Shift`] (the one definition): the operator's *online*
//! activity intervals grouped by the local day of their start, from the day's first start to
//! the day's last end; an interval still open ends at `now`. Offline intervals are the breaks
//! and are not needed. Days and the written times are the report's zone's
//! ([`rows_local`], called by `super::sessions::rating_rows` for the Ratings report of
//! `/api/v1/reports` and the console's `/api/v1/console/reports/ratings` view alike).
//!
//! A conversation counts in its operator's shift whose span contains its `closed_at`; else in
//! the shift of that operator whose end is the nearest before `closed_at` on the same day
//! (a chat the operator closed after going offline for the day); else in a row of that operator
//! with an empty shift (e.g. a chat closed by the visitor before the operator's shift of the
//! day began, or on a day without activity). Conversations that are not closed are not counted
//! at all; a closed conversation never answered (`survey_result` empty) or skipped
//! (`not_rated`) counts as not rated. Conversations without an operator are not counted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The CSV's columns, in order (the seed's names where it has them).
pub const COLUMNS: [&str; 9] = [
    "agent_id",
    "agent_name",
    "workshift_start",
    "workshift_end",
    "survey_num_good",
    "survey_num_moderate",
    "survey_num_bad",
    "survey_num_not_rated",
    "happy_percent",
];

/// One row of `activity_intervals`, with the operator's name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityRow {
    pub operator_id: String,
    pub operator_name: String,
    /// `online` or `offline`.
    pub state: String,
    pub start_at: u64,
    /// `None` while the interval is open.
    pub end_at: Option<u64>,
}

/// A conversation as the report needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatedConversation {
    pub operator_id: String,
    pub operator_name: String,
    /// `None` while the conversation is open.
    pub closed_at: Option<u64>,
    /// `''` (not answered), `good`, `moderate`, `bad` or `not_rated`.
    pub survey_result: String,
}

/// One line of the report (field order = `COLUMNS`). Shift times are `YYYY-MM-DD HH:MM:SS`
/// (UTC), both empty for the row of conversations outside any shift; `happy_percent` is empty
/// when nothing was rated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingRow {
    pub agent_id: String,
    pub agent_name: String,
    pub workshift_start: String,
    pub workshift_end: String,
    pub survey_num_good: u64,
    pub survey_num_moderate: u64,
    pub survey_num_bad: u64,
    pub survey_num_not_rated: u64,
    pub happy_percent: Option<u64>,
}

impl RatingRow {
    /// The row's cells as the CSV writes them (`COLUMNS` order; no happy share: empty).
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.agent_id.clone(),
            self.agent_name.clone(),
            self.workshift_start.clone(),
            self.workshift_end.clone(),
            self.survey_num_good.to_string(),
            self.survey_num_moderate.to_string(),
            self.survey_num_bad.to_string(),
            self.survey_num_not_rated.to_string(),
            self.happy_percent.map(|p| p.to_string()).unwrap_or_default(),
        ]
    }
}

/// The span of an operator's work shift ([`crate::presence::Shift`]): `[start, end]` in ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shift {
    pub start: u64,
    pub end: u64,
}

/// Each operator's shifts, ordered by start (one per local day on which an online interval
/// began; `day_of` gives the local day number of an instant):
/// [`crate::presence::work_shifts_of`], the one definition of a work shift.
fn shifts_by<'a>(intervals: &'a [ActivityRow], now: u64, day_of: &dyn Fn(u64) -> i64) -> BTreeMap<&'a str, Vec<Shift>> {
    let mut online: BTreeMap<&str, Vec<(u64, Option<u64>)>> = BTreeMap::new();
    for i in intervals.iter().filter(|i| i.state == "online") {
        online.entry(i.operator_id.as_str()).or_default().push((i.start_at, i.end_at));
    }
    online
        .into_iter()
        .map(|(op, spans)| {
            let list = crate::presence::work_shifts_of(spans, now, day_of)
                .into_iter()
                .map(|s| Shift { start: s.start.0, end: s.end.0 })
                .collect();
            (op, list)
        })
        .collect()
}

/// The shift a conversation closed at `at` counts in (see the module's rule), if any.
fn shift_of(shifts: &[Shift], at: u64, day_of: &dyn Fn(u64) -> i64) -> Option<Shift> {
    if let Some(s) = shifts.iter().find(|s| s.start <= at && at <= s.end) {
        return Some(*s);
    }
    shifts.iter().filter(|s| s.end < at && day_of(s.end) == day_of(at)).max_by_key(|s| s.end).copied()
}

#[derive(Default)]
struct Counts {
    good: u64,
    moderate: u64,
    bad: u64,
    not_rated: u64,
}

/// The report for `[from, to)`: one row per operator and shift that overlaps the period (all
/// counts zero when no conversation counts in it), plus a row with an empty shift for an
/// operator's conversations outside every shift. Only conversations closed within the period
/// count. Ordered by operator name, operator id, then shift start (the empty shift last).
/// Local time: `day_of` numbers the local day of an instant (shifts and the "same day" rule),
/// `datetime` writes `workshift_start` / `workshift_end`.
pub fn rows_local(
    intervals: &[ActivityRow],
    conversations: &[RatedConversation],
    from: u64,
    to: u64,
    now: u64,
    day_of: &dyn Fn(u64) -> i64,
    datetime: &dyn Fn(u64) -> String,
) -> Vec<RatingRow> {
    let shifts = shifts_by(intervals, now, day_of);
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    for i in intervals {
        names.insert(&i.operator_id, &i.operator_name);
    }
    for c in conversations {
        names.insert(&c.operator_id, &c.operator_name);
    }
    // Key: (operator id, shift or None for "outside any shift").
    let mut counts: BTreeMap<(&str, Option<Shift>), Counts> = BTreeMap::new();
    for (op, list) in &shifts {
        for s in list.iter().filter(|s| s.start < to && s.end >= from) {
            counts.entry((op, Some(*s))).or_default();
        }
    }
    for c in conversations {
        let Some(at) = c.closed_at.filter(|t| (from..to).contains(t)) else { continue };
        if c.operator_id.is_empty() {
            continue;
        }
        let shift = shifts.get(c.operator_id.as_str()).and_then(|l| shift_of(l, at, day_of));
        let n = counts.entry((&c.operator_id, shift)).or_default();
        match c.survey_result.as_str() {
            "good" => n.good += 1,
            "moderate" => n.moderate += 1,
            "bad" => n.bad += 1,
            _ => n.not_rated += 1,
        }
    }
    let mut out: Vec<(&str, Option<Shift>, RatingRow)> = counts
        .into_iter()
        .map(|((op, shift), n)| {
            let rated = n.good + n.moderate + n.bad;
            let row = RatingRow {
                agent_id: op.to_owned(),
                agent_name: names.get(op).copied().unwrap_or_default().to_owned(),
                workshift_start: shift.map(|s| datetime(s.start)).unwrap_or_default(),
                workshift_end: shift.map(|s| datetime(s.end)).unwrap_or_default(),
                survey_num_good: n.good,
                survey_num_moderate: n.moderate,
                survey_num_bad: n.bad,
                survey_num_not_rated: n.not_rated,
                happy_percent: super::percent(n.good, rated),
            };
            (op, shift, row)
        })
        .collect();
    out.sort_by(|a, b| (&a.2.agent_name, a.0, a.1.is_none(), a.1).cmp(&(&b.2.agent_name, b.0, b.1.is_none(), b.1)));
    out.into_iter().map(|(_, _, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datetime;
    use crate::metrics::HOUR_MS;

    /// 2026-11-18 00:00:00 UTC.
    const D: u64 = 1_794_960_000_000;
    const H: u64 = HOUR_MS;
    const DAY_MS: u64 = 24 * HOUR_MS;

    fn utc_day(t: u64) -> i64 {
        (t / DAY_MS) as i64
    }

    /// [`rows_local`] in UTC.
    fn rows(
        intervals: &[ActivityRow],
        conversations: &[RatedConversation],
        from: u64,
        to: u64,
        now: u64,
    ) -> Vec<RatingRow> {
        rows_local(intervals, conversations, from, to, now, &utc_day, &datetime)
    }

    /// Each operator's shifts by UTC days.
    fn shifts(intervals: &[ActivityRow], now: u64) -> BTreeMap<&str, Vec<Shift>> {
        shifts_by(intervals, now, &utc_day)
    }

    fn online(op: &str, start: u64, end: Option<u64>) -> ActivityRow {
        ActivityRow {
            operator_id: op.into(),
            operator_name: format!("Name {op}"),
            state: "online".into(),
            start_at: start,
            end_at: end,
        }
    }

    fn offline(op: &str, start: u64, end: Option<u64>) -> ActivityRow {
        ActivityRow { state: "offline".into(), ..online(op, start, end) }
    }

    fn conv(op: &str, closed: Option<u64>, result: &str) -> RatedConversation {
        RatedConversation {
            operator_id: op.into(),
            operator_name: format!("Name {op}"),
            closed_at: closed,
            survey_result: result.into(),
        }
    }

    fn counts(r: &RatingRow) -> (u64, u64, u64, u64, Option<u64>) {
        (r.survey_num_good, r.survey_num_moderate, r.survey_num_bad, r.survey_num_not_rated, r.happy_percent)
    }

    #[test]
    fn a_day_with_a_break_is_one_shift() {
        assert_eq!(datetime(D), "2026-11-18 00:00:00");
        let acts = [
            online("dana", D + 9 * H, Some(D + 12 * H)),
            offline("dana", D + 12 * H, Some(D + 13 * H)),
            online("dana", D + 13 * H, Some(D + 17 * H)),
            offline("dana", D + 17 * H, None),
        ];
        let s = shifts(&acts, D + 20 * H);
        assert_eq!(s["dana"], vec![Shift { start: D + 9 * H, end: D + 17 * H }]);
        // Closed during the break: still that shift.
        let convs = [conv("dana", Some(D + 12 * H + 5), "good"), conv("dana", Some(D + 10 * H), "bad")];
        let r = rows(&acts, &convs, D, D + DAY_MS, D + 20 * H);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].agent_id, "dana");
        assert_eq!(r[0].agent_name, "Name dana");
        assert_eq!(r[0].workshift_start, "2026-11-18 09:00:00");
        assert_eq!(r[0].workshift_end, "2026-11-18 17:00:00");
        assert_eq!(counts(&r[0]), (1, 0, 1, 0, Some(50)));
    }

    #[test]
    fn several_shifts_and_operators() {
        let acts = [
            online("dana", D + 9 * H, Some(D + 17 * H)),
            online("dana", D + DAY_MS + 8 * H, Some(D + DAY_MS + 12 * H)),
            online("sam", D + 10 * H, None),
        ];
        let convs = [
            conv("dana", Some(D + 11 * H), "good"),
            conv("dana", Some(D + DAY_MS + 9 * H), "moderate"),
            conv("dana", Some(D + DAY_MS + 10 * H), "good"),
            conv("sam", Some(D + 30 * H), "good"),
        ];
        // Sam's shift is still open: it ends now.
        let now = D + 31 * H;
        let r = rows(&acts, &convs, D, D + 2 * DAY_MS, now);
        let summary: Vec<_> = r.iter().map(|r| (r.agent_id.as_str(), r.workshift_start.as_str(), counts(r))).collect();
        assert_eq!(
            summary,
            vec![
                ("dana", "2026-11-18 09:00:00", (1, 0, 0, 0, Some(100))),
                ("dana", "2026-11-19 08:00:00", (1, 1, 0, 0, Some(50))),
                ("sam", "2026-11-18 10:00:00", (1, 0, 0, 0, Some(100))),
            ]
        );
        assert_eq!(r[2].workshift_end, datetime(now));
    }

    #[test]
    fn a_chat_closed_after_the_shift_counts_in_that_days_shift() {
        let acts = [online("dana", D + 9 * H, Some(D + 17 * H)), offline("dana", D + 17 * H, None)];
        let convs = [conv("dana", Some(D + 18 * H), "bad")];
        let r = rows(&acts, &convs, D, D + DAY_MS, D + 20 * H);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].workshift_start, "2026-11-18 09:00:00");
        assert_eq!(counts(&r[0]), (0, 0, 1, 0, Some(0)));
    }

    #[test]
    fn outside_any_shift_is_a_row_with_an_empty_shift() {
        let acts = [online("dana", D + 9 * H, Some(D + 17 * H))];
        let convs = [
            // Before the day's shift began, and on the next day without any activity.
            conv("dana", Some(D + 7 * H), "good"),
            conv("dana", Some(D + DAY_MS + H), "not_rated"),
        ];
        let r = rows(&acts, &convs, D, D + 2 * DAY_MS, D + 2 * DAY_MS);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].workshift_start.as_str(), counts(&r[0])), ("2026-11-18 09:00:00", (0, 0, 0, 0, None)));
        assert_eq!((r[1].workshift_start.as_str(), r[1].workshift_end.as_str()), ("", ""));
        assert_eq!(counts(&r[1]), (1, 0, 0, 1, Some(100)));
    }

    #[test]
    fn unrated_counts_only_once_closed_and_skipped_is_not_rated() {
        let acts = [online("dana", D + 9 * H, None)];
        let convs = [
            conv("dana", Some(D + 10 * H), ""),
            conv("dana", Some(D + 10 * H), "not_rated"),
            conv("dana", None, ""),
            // No operator (never answered): not counted.
            conv("", Some(D + 10 * H), ""),
        ];
        let r = rows(&acts, &convs, D, D + DAY_MS, D + 11 * H);
        assert_eq!(r.len(), 1);
        assert_eq!(counts(&r[0]), (0, 0, 0, 2, None));
    }

    #[test]
    fn the_period_limits_shifts_and_conversations() {
        let acts = [
            online("dana", D - DAY_MS + 9 * H, Some(D - DAY_MS + 17 * H)),
            // A night shift from the day before the period into it.
            online("sam", D - 2 * H, Some(D + 2 * H)),
        ];
        let convs = [conv("dana", Some(D - DAY_MS + 10 * H), "good"), conv("sam", Some(D + H), "moderate")];
        let r = rows(&acts, &convs, D, D + DAY_MS, D + DAY_MS);
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].agent_id.as_str(), r[0].workshift_start.as_str()), ("sam", "2026-11-17 22:00:00"));
        assert_eq!(counts(&r[0]), (0, 1, 0, 0, Some(0)));
    }

    #[test]
    fn csv_has_the_columns() {
        let acts = [online("dana", D + 9 * H, Some(D + 17 * H))];
        let convs = [conv("dana", Some(D + 10 * H), "bad"), conv("dana", Some(D + 7 * H), "")];
        let mut table = crate::table::Table::new(&COLUMNS);
        for r in rows(&acts, &convs, D, D + DAY_MS, D + DAY_MS) {
            table.push(r.cells(), None);
        }
        let csv = table.to_csv().unwrap();
        assert_eq!(
            csv,
            "agent_id,agent_name,workshift_start,workshift_end,survey_num_good,survey_num_moderate,survey_num_bad,\
             survey_num_not_rated,happy_percent\n\
             dana,Name dana,2026-11-18 09:00:00,2026-11-18 17:00:00,0,0,1,0,0\n\
             dana,Name dana,,,0,0,0,1,\n"
        );
    }

    #[test]
    fn local_days_split_shifts_where_utc_days_do_not() {
        // Online 22:00–22:30 and 23:30–24:00 UTC: one UTC day, but in UTC+1 the second starts
        // on the next local day (00:30), so it is a shift of its own there.
        let acts = [
            online("dana", D + 22 * H, Some(D + 22 * H + H / 2)),
            online("dana", D + 23 * H + H / 2, Some(D + DAY_MS)),
        ];
        let convs = [conv("dana", Some(D + 23 * H + 50 * 60_000), "good")];
        let utc = rows(&acts, &convs, D, D + 2 * DAY_MS, D + 2 * DAY_MS);
        assert_eq!(utc.len(), 1);
        assert_eq!(
            (utc[0].workshift_start.as_str(), utc[0].workshift_end.as_str()),
            ("2026-11-18 22:00:00", "2026-11-19 00:00:00")
        );
        let plus_one = |t: u64| datetime(t + H);
        let day = |t: u64| ((t + H) / DAY_MS) as i64;
        let local = rows_local(&acts, &convs, D, D + 2 * DAY_MS, D + 2 * DAY_MS, &day, &plus_one);
        let shifts: Vec<(&str, &str, u64)> =
            local.iter().map(|r| (r.workshift_start.as_str(), r.workshift_end.as_str(), r.survey_num_good)).collect();
        assert_eq!(
            shifts,
            [("2026-11-18 23:00:00", "2026-11-18 23:30:00", 0), ("2026-11-19 00:30:00", "2026-11-19 01:00:00", 1)]
        );
    }
}

//! The kit's decisions, free of the runtime (tested natively): which migrations to apply and
//! whether the recorded history still matches the code, the retry backoff and the jobs' retries
//! and guards, the one alarm.

/// How long to wait before retry number `tries` (1 = the first retry): doubling from
/// [`RETRY_MIN_MS`] up to [`RETRY_MAX_MS`]. The one retry schedule of every object (D1 copies,
/// outboxes, tally flushes).
pub const RETRY_MIN_MS: u64 = 1_000;
pub const RETRY_MAX_MS: u64 = 60_000;

pub fn backoff_ms(tries: u32) -> u64 {
    let doublings = tries.saturating_sub(1).min(16);
    (RETRY_MIN_MS << doublings).min(RETRY_MAX_MS)
}

/// The one alarm: the earliest of the deadlines given (None: no alarm).
pub fn earliest(deadlines: impl IntoIterator<Item = Option<u64>>) -> Option<u64> {
    deadlines.into_iter().flatten().min()
}

/// What an object knows of its jobs (the outbox, the D1 copy, a tally flush): each failing
/// job's tries and retry time (kept in meta as `retry_tries:JOB` and `retry_at:JOB`, read from
/// it once per instance, then held here and written through on change), and each guarded job's
/// guard (in memory only: a deadline for this instance's alarm while the job runs outside it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Jobs(Vec<Job>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Job {
    name: String,
    tries: u32,
    retry_at: Option<u64>,
    guard: Option<u64>,
}

impl Jobs {
    /// The jobs as the meta rows `(key, value)` describe them (other keys are ignored).
    pub fn from_meta<'a>(meta: impl Iterator<Item = (&'a String, &'a String)>) -> Jobs {
        let mut jobs = Jobs::default();
        for (k, v) in meta {
            if let Some(name) = k.strip_prefix("retry_at:") {
                jobs.get(name).retry_at = v.parse().ok();
            } else if let Some(name) = k.strip_prefix("retry_tries:") {
                jobs.get(name).tries = v.parse().unwrap_or(0);
            }
        }
        jobs
    }

    fn get(&mut self, name: &str) -> &mut Job {
        let i = match self.0.iter().position(|j| j.name == name) {
            Some(i) => i,
            None => {
                self.0.push(Job { name: name.to_owned(), tries: 0, retry_at: None, guard: None });
                self.0.len() - 1
            }
        };
        &mut self.0[i]
    }

    /// When `job` must be retried (None: it is not failing).
    pub fn retry_at(&self, job: &str) -> Option<u64> {
        self.0.iter().find(|j| j.name == job).and_then(|j| j.retry_at)
    }

    /// `job` runs now, outside the alarm: the alarm must ring by [`RETRY_MIN_MS`] from `now`
    /// until it ends (an earlier guard stands).
    pub fn guard(&mut self, job: &str, now: u64) {
        let j = self.get(job);
        j.guard = j.guard.or(Some(now + RETRY_MIN_MS));
    }

    /// `job` failed at `now`: one more try, [`backoff_ms`] later; its guard is over. Answers
    /// (tries, the retry time) to write to meta.
    pub fn failed(&mut self, job: &str, now: u64) -> (u32, u64) {
        let j = self.get(job);
        j.tries = j.tries.saturating_add(1);
        let at = now + backoff_ms(j.tries);
        (j.retry_at, j.guard) = (Some(at), None);
        (j.tries, at)
    }

    /// `job` succeeded: no retry, no guard. Answers whether it was failing (meta to clear).
    pub fn succeeded(&mut self, job: &str) -> bool {
        let j = self.get(job);
        let was = j.tries > 0 || j.retry_at.is_some();
        (j.tries, j.retry_at, j.guard) = (0, None, None);
        was
    }

    /// The earliest retry or guard of any job: a deadline of the one alarm.
    pub fn earliest(&self) -> Option<u64> {
        earliest(self.0.iter().flat_map(|j| [j.retry_at, j.guard]))
    }
}

/// The checksum recorded for an applied migration (FNV-1a, 64 bits, hex): any edit of a
/// landed statement, even of its spacing, changes it.
pub fn checksum(statement: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in statement.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// One step of bringing an object's schema up to date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Migration `version` (from 1) was applied by an older build that recorded no checksum:
    /// record the current one (the history is taken as it is).
    Record { version: u64, checksum: String },
    /// Apply migration `version`, then record it.
    Apply { version: u64, checksum: String },
}

/// Why an object refuses to start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryError {
    /// A migration that was applied has a different text now: history was edited.
    Edited { version: u64 },
    /// The object applied more migrations than the code has: one was removed.
    Missing { applied: u64, known: u64 },
}

impl std::fmt::Display for HistoryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HistoryError::Edited { version } => {
                write!(f, "migration {version} was edited after it was applied (migrations are append-only)")
            }
            HistoryError::Missing { applied, known } => {
                write!(f, "{applied} migrations were applied but the code has only {known}")
            }
        }
    }
}

/// What to do with `migrations` given the `applied` version (rows of the older `_schema`
/// table) and the checksums `recorded` so far (version, checksum).
pub fn plan(migrations: &[&str], applied: u64, recorded: &[(u64, String)]) -> Result<Vec<Step>, HistoryError> {
    let known = migrations.len() as u64;
    let applied = applied.max(recorded.iter().map(|(v, _)| *v).max().unwrap_or(0));
    if applied > known {
        return Err(HistoryError::Missing { applied, known });
    }
    let mut steps = Vec::new();
    for (i, statement) in migrations.iter().enumerate() {
        let version = i as u64 + 1;
        let sum = checksum(statement);
        match recorded.iter().find(|(v, _)| *v == version) {
            Some((_, old)) if *old != sum => return Err(HistoryError::Edited { version }),
            Some(_) => {}
            None if version <= applied => steps.push(Step::Record { version, checksum: sum }),
            None => steps.push(Step::Apply { version, checksum: sum }),
        }
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &[&str] = &["CREATE TABLE a (x);", "CREATE TABLE b (y);"];

    fn recorded(n: usize) -> Vec<(u64, String)> {
        M.iter().take(n).enumerate().map(|(i, m)| (i as u64 + 1, checksum(m))).collect()
    }

    #[test]
    fn a_new_object_applies_everything_in_order() {
        let steps = plan(M, 0, &[]).unwrap();
        assert_eq!(
            steps,
            vec![
                Step::Apply { version: 1, checksum: checksum(M[0]) },
                Step::Apply { version: 2, checksum: checksum(M[1]) }
            ]
        );
        assert_eq!(plan(M, 2, &recorded(2)).unwrap(), vec![], "up to date");
        assert_eq!(plan(M, 1, &recorded(1)).unwrap(), vec![Step::Apply { version: 2, checksum: checksum(M[1]) }]);
    }

    #[test]
    fn an_object_of_an_older_build_records_its_history_then_goes_on() {
        // `_schema` says 1, nothing recorded yet: migration 1 is recorded, 2 applied.
        let steps = plan(M, 1, &[]).unwrap();
        assert_eq!(
            steps,
            vec![
                Step::Record { version: 1, checksum: checksum(M[0]) },
                Step::Apply { version: 2, checksum: checksum(M[1]) }
            ]
        );
    }

    #[test]
    fn an_edited_migration_is_refused() {
        let edited: &[&str] = &["CREATE TABLE a (x, z);", M[1]];
        assert_eq!(plan(edited, 2, &recorded(2)), Err(HistoryError::Edited { version: 1 }));
        let spaced: &[&str] = &[M[0], "CREATE TABLE  b (y);"];
        assert_eq!(plan(spaced, 2, &recorded(2)), Err(HistoryError::Edited { version: 2 }));
        assert!(HistoryError::Edited { version: 2 }.to_string().contains("migration 2 was edited"));
    }

    #[test]
    fn a_removed_migration_is_refused() {
        assert_eq!(plan(&M[..1], 2, &recorded(2)), Err(HistoryError::Missing { applied: 2, known: 1 }));
        assert_eq!(plan(&M[..1], 0, &recorded(2)), Err(HistoryError::Missing { applied: 2, known: 1 }));
    }

    #[test]
    fn checksums_are_stable() {
        // Recorded in objects: must never change for the same text.
        assert_eq!(checksum(""), "cbf29ce484222325");
        assert_eq!(checksum("a"), "af63dc4c8601ec8c");
        assert_ne!(checksum(M[0]), checksum(M[1]));
    }

    #[test]
    fn retries_back_off_from_one_second_to_a_minute() {
        let waits: Vec<u64> = (1..=8).map(backoff_ms).collect();
        assert_eq!(waits, [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
        assert_eq!(backoff_ms(0), 1_000);
        assert_eq!(backoff_ms(u32::MAX), 60_000);
    }

    #[test]
    fn a_failing_job_is_retried_later_each_time_held_in_memory_from_meta_read_once() {
        let meta: Vec<(String, String)> = [("retry_at:sync", "5000"), ("retry_tries:sync", "2"), ("core", "{}")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut jobs = Jobs::from_meta(meta.iter().map(|(k, v)| (k, v)));
        assert_eq!(jobs.retry_at("sync"), Some(5_000));
        assert_eq!(jobs.retry_at("outbox"), None);
        assert_eq!(jobs.earliest(), Some(5_000));
        // Third failure: 4 s later; the next meta rows to write.
        assert_eq!(jobs.failed("sync", 10_000), (3, 14_000));
        assert_eq!(jobs.failed("outbox", 10_000), (1, 11_000));
        assert_eq!(jobs.earliest(), Some(11_000));
        assert!(jobs.succeeded("outbox"), "was failing: its meta is cleared");
        assert!(!jobs.succeeded("outbox"), "nothing to clear twice");
        assert_eq!(jobs.earliest(), Some(14_000));
        assert!(jobs.succeeded("sync"));
        assert_eq!(jobs.earliest(), None);
    }

    #[test]
    fn a_guarded_job_keeps_the_alarm_within_a_second_until_it_ends() {
        let mut jobs = Jobs::default();
        jobs.guard("sync", 100);
        jobs.guard("sync", 600);
        assert_eq!(jobs.earliest(), Some(100 + RETRY_MIN_MS), "the first guard stands");
        assert!(!jobs.succeeded("sync"), "a guard alone is no failure");
        assert_eq!(jobs.earliest(), None, "ended: no guard");
        jobs.guard("sync", 2_000);
        jobs.failed("sync", 2_500);
        assert_eq!(jobs.earliest(), Some(2_500 + RETRY_MIN_MS), "failed: the retry, not the guard");
    }

    #[test]
    fn the_alarm_rings_at_the_earliest_deadline() {
        assert_eq!(earliest([None, None]), None);
        assert_eq!(earliest([Some(30), None, Some(10), Some(20)]), Some(10));
    }
}

//! What every Durable Object of Parley is built from, written once:
//!
//! - **Migrations**: each object lists its SQLite schema as numbered, append-only statements.
//!   Applied ones are recorded with a checksum (`_migrations`), so an edited or removed past
//!   migration is detected and the object refuses to run (every call fails, the log says
//!   which) instead of running on a schema the code does not describe. Older objects (a
//!   `_schema` version only) get their history recorded as it is.
//! - **Meta**: a key-value table `meta` (ids, markers, the flush and retry bookkeeping).
//! - **Outbox**: `outbox (seq, kind, body)`; [`Kit::enqueue`] is a plain synchronous write, so
//!   an object enqueues in the same synchronous step as the state change that produced it;
//!   [`Kit::drain`] delivers in order, stops at the first failure and backs off
//!   ([`plan::backoff_ms`], the one schedule).
//! - **Jobs** (the outbox, the D1 copy, a tally flush): a failed job is retried on the same
//!   schedule, its retry time and tries kept in meta (written when they change) and held in
//!   memory (read once per instance); a job run outside the alarm can be guarded
//!   ([`Kit::guard`]: the alarm rings a moment later should the instance die before the job
//!   ends).
//! - **One alarm** at the earliest deadline ([`Kit::arm`]: absolute times; every job's retry and
//!   guard included), set only when that deadline moved.
//! - **One way of being called**: a typed request, serialized once ([`crate::stubs::send`] /
//!   [`crate::stubs::upgrade`] on the caller's side, [`read`] in the object).

pub mod plan;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;

use crate::store::int;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{js_sys, Env, Request, Result, ScheduledTime, SqlStorage, State};

/// The retry job of the outbox.
pub const OUTBOX: &str = "outbox";

/// One queued delivery.
#[derive(Deserialize)]
pub struct OutboxRow {
    pub seq: u64,
    pub kind: String,
    pub body: String,
}

pub struct Kit {
    state: State,
    env: Env,
    /// Why the schema could not be brought up to date (the object then refuses every call).
    broken: Option<String>,
    /// The alarm this instance set last: `Some(None)` none, `None` unknown.
    armed: Cell<Option<Option<u64>>>,
    draining: Cell<bool>,
    /// Meta read once per instance and kept in step with every write.
    meta: RefCell<Option<HashMap<String, String>>>,
    /// The jobs' retries and guards, in memory (see [`plan::Jobs`]).
    jobs: RefCell<Option<plan::Jobs>>,
}

impl Kit {
    /// Brings the object's schema up to date (`object` names it in the log).
    pub fn new(state: State, env: Env, object: &str, migrations: &[&str]) -> Kit {
        let broken = migrate(&state.storage().sql(), migrations).err().map(|e| {
            let e = format!("{object}: schema migration refused: {e}");
            worker::console_error!("{e}");
            e
        });
        Kit {
            state,
            env,
            broken,
            armed: Cell::new(None),
            draining: Cell::new(false),
            meta: RefCell::new(None),
            jobs: RefCell::new(None),
        }
    }

    /// Fails when the schema could not be migrated: call first in every handler.
    pub fn ready(&self) -> Result<()> {
        match &self.broken {
            Some(e) => Err(worker::Error::RustError(e.clone())),
            None => Ok(()),
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn env(&self) -> &Env {
        &self.env
    }

    pub fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    // -- meta ---------------------------------------------------------------------------------

    fn with_meta<T>(&self, f: impl FnOnce(&mut HashMap<String, String>) -> T) -> Result<T> {
        let mut slot = self.meta.borrow_mut();
        if slot.is_none() {
            #[derive(Deserialize)]
            struct Kv {
                key: String,
                value: String,
            }
            let rows = self.sql().exec("SELECT key, value FROM meta", None)?.to_array::<Kv>()?;
            *slot = Some(rows.into_iter().map(|kv| (kv.key, kv.value)).collect());
        }
        Ok(f(slot.as_mut().expect("loaded")))
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.with_meta(|m| m.get(key).cloned())
    }

    pub fn meta_u64(&self, key: &str) -> Result<Option<u64>> {
        Ok(self.meta(key)?.and_then(|v| v.parse().ok()))
    }

    pub fn has_meta(&self, key: &str) -> Result<bool> {
        self.with_meta(|m| m.contains_key(key))
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        if self.meta(key)?.as_deref() == Some(value) {
            return Ok(());
        }
        self.sql().exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", vec![key.into(), value.into()])?;
        self.with_meta(|m| m.insert(key.to_owned(), value.to_owned()))?;
        Ok(())
    }

    pub fn set_meta_u64(&self, key: &str, value: Option<u64>) -> Result<()> {
        match value {
            Some(v) => self.set_meta(key, &v.to_string()),
            None => self.del_meta(key),
        }
    }

    pub fn del_meta(&self, key: &str) -> Result<()> {
        if !self.has_meta(key)? {
            return Ok(());
        }
        self.sql().exec("DELETE FROM meta WHERE key = ?", vec![key.into()])?;
        self.with_meta(|m| m.remove(key))?;
        Ok(())
    }

    /// Forgets what was read (after a failed write, so the next call reads what was stored).
    /// The jobs are kept: only the kit writes their meta, and what it holds is what it wrote
    /// (a retry whose write failed is still retried by this instance).
    pub fn forget(&self) {
        self.meta.borrow_mut().take();
    }

    // -- jobs ---------------------------------------------------------------------------------

    /// Runs `f` on the jobs, reading their retries from meta the first time.
    fn with_jobs<T>(&self, f: impl FnOnce(&mut plan::Jobs) -> T) -> Result<T> {
        if self.jobs.borrow().is_none() {
            let loaded = self.with_meta(|m| plan::Jobs::from_meta(m.iter()))?;
            *self.jobs.borrow_mut() = Some(loaded);
        }
        Ok(f(self.jobs.borrow_mut().as_mut().expect("loaded")))
    }

    /// When `job` must be retried (None: it is not failing). In memory.
    pub fn retry_at(&self, job: &str) -> Result<Option<u64>> {
        self.with_jobs(|jobs| jobs.retry_at(job))
    }

    /// `job` runs now, outside the alarm: until it ends ([`Kit::succeeded`], [`Kit::failed`]) the
    /// alarm rings at the latest [`plan::RETRY_MIN_MS`] after `now`, so that a job cut short
    /// (the instance evicted or killed meanwhile) is taken up again. Call [`Kit::arm`] before
    /// the job's first await; nothing is stored when an earlier alarm is already set.
    pub fn guard(&self, job: &str, now: u64) {
        let _ = self.with_jobs(|jobs| jobs.guard(job, now));
    }

    /// `job` failed at `now`: the next try waits longer each time (written to meta, held in
    /// memory). Answers the wait.
    pub fn failed(&self, job: &str, now: u64) -> u64 {
        let (tries, at) = self.with_jobs(|jobs| jobs.failed(job, now)).unwrap_or((1, now + plan::RETRY_MIN_MS));
        let _ = self.set_meta(&format!("retry_tries:{job}"), &tries.to_string());
        let _ = self.set_meta(&format!("retry_at:{job}"), &at.to_string());
        at - now
    }

    /// `job` succeeded: no retry pending (meta is written only when one was), no guard.
    pub fn succeeded(&self, job: &str) -> Result<()> {
        let was_failing = self.with_jobs(|jobs| jobs.succeeded(job))?;
        if was_failing {
            self.del_meta(&format!("retry_tries:{job}"))?;
            self.del_meta(&format!("retry_at:{job}"))?;
        }
        Ok(())
    }

    // -- outbox -------------------------------------------------------------------------------

    /// Queues a delivery (a synchronous write: do it in the step that changes the state).
    pub fn enqueue(&self, kind: &str, body: &impl Serialize) -> Result<()> {
        self.sql().exec(
            "INSERT INTO outbox (kind, body) VALUES (?, ?)",
            vec![kind.into(), serde_json::to_string(body)?.into()],
        )?;
        Ok(())
    }

    /// Delivers the outbox in order with `deliver`; a delivered row is deleted. Stops at the
    /// first failure, which is retried by alarm with backoff (job `outbox`). One drain at a
    /// time: one started meanwhile returns at once (the running one takes the new rows too).
    pub async fn drain<F, Fut>(&self, now: u64, mut deliver: F)
    where
        F: FnMut(OutboxRow) -> Fut,
        Fut: Future<Output = Result<()>>,
    {
        if self.draining.replace(true) {
            return;
        }
        let result: Result<()> = async {
            loop {
                let rows = self
                    .sql()
                    .exec("SELECT seq, kind, body FROM outbox ORDER BY seq LIMIT 50", None)?
                    .to_array::<OutboxRow>()?;
                if rows.is_empty() {
                    return Ok(());
                }
                for row in rows {
                    let seq = row.seq;
                    deliver(row).await.map_err(|e| worker::Error::RustError(format!("delivery {seq}: {e}")))?;
                    self.sql().exec("DELETE FROM outbox WHERE seq = ?", vec![int(seq)])?;
                }
            }
        }
        .await;
        match result {
            Ok(()) => {
                if let Err(e) = self.succeeded(OUTBOX) {
                    worker::console_error!("outbox: {e}");
                }
            }
            Err(e) => {
                let wait = self.failed(OUTBOX, now);
                worker::console_error!("outbox stopped, retrying in {wait} ms: {e}");
            }
        }
        self.draining.set(false);
    }

    // -- the alarm ----------------------------------------------------------------------------

    /// Arms the one alarm at the earliest of `deadlines` (absolute ms; the runtime reads a
    /// plain number as an offset) and of every job's retry and guard, or removes it. Nothing is
    /// stored when that is where it is already set. A drain in progress rearms when it is over.
    pub async fn arm(&self, deadlines: impl IntoIterator<Item = Option<u64>>) {
        let jobs = self.with_jobs(|jobs| jobs.earliest()).ok().flatten();
        let next = plan::earliest(deadlines.into_iter().chain([jobs]));
        if self.armed.get() == Some(next) {
            return;
        }
        let storage = self.state.storage();
        let result = match next {
            Some(at) => storage.set_alarm(ScheduledTime::new(js_sys::Date::new(&(at as f64).into()))).await,
            None => storage.delete_alarm().await,
        };
        match result {
            Ok(()) => self.armed.set(Some(next)),
            Err(e) => worker::console_error!("could not arm the alarm: {e}"),
        }
    }

    /// The alarm rang: it is no longer set.
    pub fn rang(&self) {
        self.armed.set(Some(None));
    }

    // -- erasure ------------------------------------------------------------------------------

    /// Deletes everything the object stored (its alarm, then all of its SQLite: `deleteAll`),
    /// then lays its schema down again, empty (`migrations` as given to [`Kit::new`]), so the
    /// object answers as one that was never created.
    pub async fn erase_all(&self, migrations: &[&str]) -> Result<()> {
        let storage = self.state.storage();
        storage.delete_alarm().await?;
        storage.delete_all().await?;
        self.armed.set(Some(None));
        self.forget();
        self.jobs.borrow_mut().take();
        migrate(&self.sql(), migrations).map_err(worker::Error::RustError)
    }
}

/// An object's core, rebuilt from storage on first use by this instance, dropped after a failed
/// write so the next call rebuilds it from what was really stored.
pub struct Lazy<T>(RefCell<Option<T>>);

impl<T> Default for Lazy<T> {
    fn default() -> Self {
        Lazy(RefCell::new(None))
    }
}

impl<T> Lazy<T> {
    /// Runs `f` on the core, loading it with `load` first if needed.
    pub fn with<R>(&self, load: impl FnOnce() -> Result<T>, f: impl FnOnce(&mut T) -> R) -> Result<R> {
        let mut slot = self.0.borrow_mut();
        if slot.is_none() {
            *slot = Some(load()?);
        }
        Ok(f(slot.as_mut().expect("loaded")))
    }

    pub fn set(&self, core: T) {
        *self.0.borrow_mut() = Some(core);
    }

    pub fn forget(&self) {
        self.0.borrow_mut().take();
    }
}

/// Applies what [`plan::plan`] says, recording each migration with its checksum.
fn migrate(sql: &SqlStorage, migrations: &[&str]) -> std::result::Result<(), String> {
    let e = |e: worker::Error| e.to_string();
    sql.exec("CREATE TABLE IF NOT EXISTS _schema (version INTEGER NOT NULL)", None).map_err(e)?;
    sql.exec("CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, checksum TEXT NOT NULL)", None)
        .map_err(e)?;
    #[derive(Deserialize)]
    struct V {
        version: u64,
    }
    #[derive(Deserialize)]
    struct R {
        version: u64,
        checksum: String,
    }
    let applied = sql
        .exec("SELECT version FROM _schema", None)
        .and_then(|c| c.to_array::<V>())
        .map_err(e)?
        .first()
        .map_or(0, |v| v.version);
    let recorded: Vec<(u64, String)> = sql
        .exec("SELECT version, checksum FROM _migrations", None)
        .and_then(|c| c.to_array::<R>())
        .map_err(e)?
        .into_iter()
        .map(|r| (r.version, r.checksum))
        .collect();
    for step in plan::plan(migrations, applied, &recorded).map_err(|h| h.to_string())? {
        let (version, checksum) = match step {
            plan::Step::Record { version, checksum } => (version, checksum),
            plan::Step::Apply { version, checksum } => {
                sql.exec(migrations[version as usize - 1], None).map_err(e)?;
                sql.exec("DELETE FROM _schema", None).map_err(e)?;
                sql.exec("INSERT INTO _schema (version) VALUES (?)", vec![int(version)]).map_err(e)?;
                (version, checksum)
            }
        };
        sql.exec("INSERT INTO _migrations (version, checksum) VALUES (?, ?)", vec![int(version), checksum.into()])
            .map_err(e)?;
    }
    Ok(())
}

/// Reads the typed request an object was called with ([`crate::stubs::send`] or [`crate::stubs::upgrade`]).
pub async fn read<R: DeserializeOwned>(req: &mut Request) -> Result<R> {
    match req.headers().get(crate::stubs::HDR_REQUEST)? {
        Some(json) => Ok(serde_json::from_str(&json)?),
        // The text parsed by serde_json, not `req.json()` (the runtime's JSON.parse, then every
        // field fetched across the wasm boundary one call at a time).
        None => Ok(serde_json::from_str(&req.text().await?)?),
    }
}

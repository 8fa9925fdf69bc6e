//! One Durable Object per account: the dispatcher of its chats (presence, load, queues,
//! routing, auto-forward, transfers, inactivity). A thin adapter over
//! [`parley_shared::dispatch::Dispatch`]: it rebuilds the core from SQLite, runs a
//! [`Command`], stores the whole state and the effects in one go, then carries the effects out
//! from an outbox — routing updates to conversation objects, activity intervals to D1 — and
//! retries what failed by alarm. Routing updates carry the outbox sequence number, so a
//! conversation applies each one once and in order.
//!
//! Why per account and not per channel: an operator's slots are shared by every channel they
//! joined, so one object must see their whole load. Chats start orders of magnitude less often
//! than pages are viewed, and accounts shard across objects.

use std::cell::{Cell, RefCell};

use parley_shared::conversation::Notice;
use parley_shared::dispatch::{Config, Dispatch, DispatchError, Effect};
use parley_shared::presence::State as PresenceState;
use parley_shared::Millis;
use serde::{Deserialize, Serialize};
use worker::{
    durable_object, js_sys, DurableObject, Env, Method, Request, RequestInit, Response, Result, ScheduledTime,
    SqlStorage, SqlStorageValue, State,
};

use crate::dispatch::{Command, HDR_ACCOUNT};
use crate::util::{new_id, now};

/// How long to wait before retrying a failed delivery.
const RETRY_MS: u64 = 5_000;

const MIGRATIONS: &[&str] = &["CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, body TEXT NOT NULL);"];

fn migrate(sql: &SqlStorage) -> Result<()> {
    crate::conversation_object::apply_migrations(sql, MIGRATIONS)
}

fn config(env: &Env) -> Config {
    let var = |name: &str| env.var(name).ok().and_then(|v| v.to_string().trim().parse::<u64>().ok());
    let mut c = Config::default();
    if let Some(ms) = var("PARLEY_FORWARD_AFTER_MS") {
        c.forward_after_ms = ms;
    }
    if let Some(ms) = var("PARLEY_OPERATOR_INACTIVITY_MS") {
        c.inactivity_ms = ms;
    }
    c
}

/// The body a conversation object receives at `/route`.
#[derive(Serialize, Deserialize)]
pub struct RouteBody {
    pub seq: u64,
    pub update: parley_shared::dispatch::RouteUpdate,
}

#[derive(Serialize, Deserialize)]
struct IntervalBody {
    operator_id: String,
    interval: parley_shared::presence::Interval,
}

#[durable_object]
pub struct DispatchObject {
    state: State,
    env: Env,
    core: RefCell<Option<Dispatch>>,
    /// A flush loop is running (it drains whatever is added meanwhile).
    flushing: Cell<bool>,
    retry: Cell<bool>,
}

impl DurableObject for DispatchObject {
    fn new(state: State, env: Env) -> Self {
        if let Err(e) = migrate(&state.storage().sql()) {
            worker::console_error!("dispatch schema migration failed: {e}");
        }
        Self { state, env, core: RefCell::new(None), flushing: Cell::new(false), retry: Cell::new(false) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if req.path() != "/command" || req.method() != Method::Post {
            return Response::error("not found", 404);
        }
        if let Some(account) = req.headers().get(HDR_ACCOUNT)? {
            self.kv_set("account_id", &account)?;
        }
        let cmd: Command = req.json().await?;
        let t = now();
        let result = self.run(cmd, t)?;
        let resp = match result {
            Ok((reply, effects)) => {
                self.commit(effects)?;
                Response::from_json(&reply)?
            }
            Err(e) => {
                let body = serde_json::json!({ "error": { "code": e.code(), "message": e.message() } });
                return Ok(Response::from_json(&body)?.with_status(409));
            }
        };
        self.flush().await;
        self.rearm().await;
        Ok(resp)
    }

    async fn alarm(&self) -> Result<Response> {
        let effects = self.with_core(|d| d.handle_alarm(now(), || new_id("a")))?;
        self.commit(effects)?;
        self.flush().await;
        self.rearm().await;
        Response::ok("ok")
    }
}

impl DispatchObject {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    fn kv_get(&self, key: &str) -> Result<Option<String>> {
        #[derive(Deserialize)]
        struct V {
            value: String,
        }
        let rows = self.sql().exec("SELECT value FROM kv WHERE key = ?", vec![key.into()])?.to_array::<V>()?;
        Ok(rows.into_iter().next().map(|v| v.value))
    }

    fn kv_set(&self, key: &str, value: &str) -> Result<()> {
        self.sql().exec("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", vec![key.into(), value.into()])?;
        Ok(())
    }

    fn with_core<T>(&self, f: impl FnOnce(&mut Dispatch) -> T) -> Result<T> {
        let mut slot = self.core.borrow_mut();
        if slot.is_none() {
            let core = match self.kv_get("state")? {
                Some(json) => Dispatch::restore(&json, config(&self.env))?,
                None => Dispatch::new(config(&self.env)),
            };
            *slot = Some(core);
        }
        Ok(f(slot.as_mut().expect("loaded")))
    }

    /// Runs one command on the core: the JSON reply and the effects to carry out.
    fn run(
        &self,
        cmd: Command,
        t: Millis,
    ) -> Result<std::result::Result<(serde_json::Value, Vec<Effect>), DispatchError>> {
        let ok = serde_json::json!({ "ok": true });
        self.with_core(|d| match cmd {
            Command::Profile { profile } => Ok((ok, d.upsert_profile(profile, t, new_id("a")))),
            Command::Touch { profile } => {
                let fx = d.upsert_profile(profile.clone(), t, new_id("a"));
                d.touch(&profile.id, t)?;
                Ok((ok, fx))
            }
            Command::Presence { profile, online, join, leave } => {
                let id = profile.id.clone();
                let mut fx = d.upsert_profile(profile, t, new_id("a"));
                if let Some(online) = online {
                    fx.extend(d.set_online(&id, online, t, new_id("a"))?);
                }
                if let Some(channel) = join {
                    fx.extend(d.join(&id, &channel, t)?);
                }
                if let Some(channel) = leave {
                    fx.extend(d.leave(&id, &channel, t)?);
                }
                d.touch(&id, t)?;
                Ok((ok, fx))
            }
            Command::NewChat { conversation_id, channel, language } => {
                let (update, fx) = d.new_chat(&conversation_id, &channel, language.as_deref(), t);
                Ok((serde_json::to_value(update).expect("plain data"), fx))
            }
            Command::Notice { conversation_id, notice } => {
                let fx = match notice {
                    Notice::Answered { operator_id } => d.answered(&conversation_id, &operator_id, t),
                    Notice::Closed => d.closed(&conversation_id, t),
                };
                Ok((ok, fx))
            }
            Command::Transfer { conversation_id, to } => Ok((ok, d.transfer(&conversation_id, &to, t)?)),
            Command::View { profile } => {
                let fx = d.upsert_profile(profile, t, new_id("a"));
                Ok((serde_json::to_value(d.view()).expect("plain data"), fx))
            }
            Command::Available { channel } => {
                Ok((serde_json::json!({ "available": d.available(&channel) }), Vec::new()))
            }
        })
    }

    /// Stores the state and queues the effects, in one synchronous step (no await between:
    /// the runtime writes them together).
    fn commit(&self, effects: Vec<Effect>) -> Result<()> {
        let json = self.with_core(|d| d.to_json())?;
        self.kv_set("state", &json)?;
        for effect in effects {
            let (kind, body) = match effect {
                Effect::Notify { conversation_id, update } => {
                    ("notify", serde_json::json!({ "conversation_id": conversation_id, "update": update }))
                }
                Effect::Interval { operator_id, interval } => {
                    ("interval", serde_json::to_value(IntervalBody { operator_id, interval })?)
                }
            };
            self.sql()
                .exec("INSERT INTO outbox (kind, body) VALUES (?, ?)", vec![kind.into(), body.to_string().into()])?;
        }
        Ok(())
    }

    /// Delivers the outbox in order; stops at the first failure and retries by alarm.
    async fn flush(&self) {
        if self.flushing.replace(true) {
            return;
        }
        #[derive(Deserialize)]
        struct Row {
            seq: u64,
            kind: String,
            body: String,
        }
        let mut failed = false;
        'outer: loop {
            let rows = match self
                .sql()
                .exec("SELECT seq, kind, body FROM outbox ORDER BY seq LIMIT 50", None)
                .and_then(|c| c.to_array::<Row>())
            {
                Ok(rows) => rows,
                Err(_) => break,
            };
            if rows.is_empty() {
                break;
            }
            for row in rows {
                if let Err(e) = self.deliver(row.seq, &row.kind, &row.body).await {
                    worker::console_error!("dispatch delivery {} failed, retrying by alarm: {e}", row.seq);
                    failed = true;
                    break 'outer;
                }
                let _ =
                    self.sql().exec("DELETE FROM outbox WHERE seq = ?", vec![SqlStorageValue::Integer(row.seq as i64)]);
            }
        }
        self.retry.set(failed);
        self.flushing.set(false);
    }

    async fn deliver(&self, seq: u64, kind: &str, body: &str) -> Result<()> {
        match kind {
            "notify" => {
                #[derive(Deserialize)]
                struct N {
                    conversation_id: String,
                    update: parley_shared::dispatch::RouteUpdate,
                }
                let n: N = serde_json::from_str(body)?;
                let body = serde_json::to_string(&RouteBody { seq, update: n.update })?;
                let mut init = RequestInit::new();
                init.with_method(Method::Post).with_body(Some(body.into()));
                let stub = self.env.durable_object("CONVERSATIONS")?.id_from_name(&n.conversation_id)?.get_stub()?;
                let resp =
                    stub.fetch_with_request(Request::new_with_init("https://conversation/route", &init)?).await?;
                match resp.status_code() {
                    // 404: the conversation was never created (its start failed): nothing to tell.
                    200 | 404 => Ok(()),
                    s => Err(worker::Error::RustError(format!("conversation answered {s}"))),
                }
            }
            "interval" => {
                let b: IntervalBody = serde_json::from_str(body)?;
                let account = self.kv_get("account_id")?.unwrap_or_default();
                let state = match b.interval.state {
                    PresenceState::Online => "online",
                    PresenceState::Offline => "offline",
                };
                crate::db::upsert_interval(
                    &crate::db::db(&self.env)?,
                    &b.interval.activity_id,
                    &account,
                    &b.operator_id,
                    state,
                    b.interval.start.0,
                    b.interval.end.map(|e| e.0),
                )
                .await
            }
            _ => Ok(()),
        }
    }

    async fn rearm(&self) {
        let deadline = self.with_core(|d| d.next_deadline()).ok().flatten().map(|d| d.0);
        let retry = self.retry.get().then(|| now().0 + RETRY_MS);
        let storage = self.state.storage();
        let result = match deadline.into_iter().chain(retry).min() {
            Some(at) => storage.set_alarm(ScheduledTime::new(js_sys::Date::new(&(at as f64).into()))).await,
            None => storage.delete_alarm().await,
        };
        if let Err(e) = result {
            worker::console_error!("could not arm the dispatch alarm: {e}");
        }
    }
}

//! One Durable Object per account: the dispatcher of its chats (presence, load, queues,
//! routing, auto-forward, transfers, inactivity). A thin adapter over
//! [`parley_core::dispatch::Dispatch`]: it rebuilds the core from SQLite, runs a
//! [`Command`], stores the whole state and the effects in one go, then carries the effects out
//! from an outbox — routing updates to conversation objects, activity intervals to D1 — and
//! retries what failed by alarm. Routing updates carry the outbox sequence number, so a
//! conversation applies each one once and in order.
//!
//! Why per account and not per channel: an operator's slots are shared by every channel they
//! joined, so one object must see their whole load. Chats start orders of magnitude less often
//! than pages are viewed, and accounts shard across objects.

use parley_core::conversation::Notice;
use parley_core::dispatch::{Dispatch, DispatchError, Effect, RouteUpdate};
use parley_core::presence::State as PresenceState;
use parley_protocol::Millis;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::objects::kit::{self, Kit, Lazy, OutboxRow};
use crate::stubs::{Command, ConversationStub, DispatchRefusal, DispatchRequest};
use crate::util::{new_id, now};

/// Outbox rows: a routing update for a conversation, an activity interval for D1, a push to
/// an operator whose console is closed.
const NOTIFY: &str = "notify";
const INTERVAL: &str = "interval";
const PUSH: &str = "push";

#[derive(Serialize, Deserialize)]
struct NotifyBody {
    conversation_id: parley_protocol::ConversationId,
    update: RouteUpdate,
}

#[derive(Serialize, Deserialize)]
struct IntervalBody {
    operator_id: parley_protocol::OperatorId,
    interval: parley_core::presence::Interval,
}

#[durable_object]
pub struct DispatchObject {
    kit: Kit,
    /// The whole dispatcher, one JSON document in meta `state`.
    dispatch: Lazy<Dispatch>,
}

impl DurableObject for DispatchObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            kit: Kit::new(state, env, "dispatch", crate::store::object_dispatch::MIGRATIONS),
            dispatch: Lazy::default(),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        self.kit.ready()?;
        let DispatchRequest { account_id, command } = kit::read(&mut req).await?;
        self.kit.set_meta("account_id", account_id.as_str())?;
        let result = self.run(command, now())?;
        let resp = match result {
            Ok((reply, effects)) => {
                self.commit(effects)?;
                Response::from_json(&reply)?
            }
            Err(error) => return Ok(Response::from_json(&DispatchRefusal { error })?.with_status(409)),
        };
        self.drain().await;
        self.rearm().await;
        Ok(resp)
    }

    async fn alarm(&self) -> Result<Response> {
        self.kit.ready()?;
        self.kit.rang();
        let effects = self.with_core(|d| d.handle_alarm(now(), || new_id("a")))?;
        self.commit(effects)?;
        self.drain().await;
        self.rearm().await;
        Response::ok("ok")
    }
}

impl DispatchObject {
    fn with_core<T>(&self, f: impl FnOnce(&mut Dispatch) -> T) -> Result<T> {
        let load = || -> Result<Dispatch> {
            let config = crate::config::get(self.kit.env())?.dispatch;
            Ok(match self.kit.meta("state")? {
                Some(json) => Dispatch::restore(&json, config)?,
                None => Dispatch::new(config),
            })
        };
        self.dispatch.with(load, f)
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
                d.touch(profile.id.as_str(), t)?;
                d.console_seen(profile.id.as_str(), t);
                Ok((ok, fx))
            }
            Command::Presence { profile, online, join, leave } => {
                let id = profile.id.0.clone();
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
                d.console_seen(&id, t);
                Ok((ok, fx))
            }
            Command::NewChat { conversation_id, channel, language } => {
                // A full queue refuses (`queue_full`): the visitor leaves a message instead.
                d.admit_chat(conversation_id.as_str(), &channel)?;
                let (update, fx) = d.new_chat(conversation_id.as_str(), &channel, language.as_deref(), t);
                Ok((serde_json::to_value(update).expect("plain data"), fx))
            }
            Command::Notice { conversation_id, notice } => {
                let fx = match notice {
                    Notice::Answered { operator_id } => d.answered(conversation_id.as_str(), operator_id.as_str(), t),
                    Notice::Closed => d.closed(conversation_id.as_str(), t),
                    Notice::VisitorWrote => d.visitor_wrote(conversation_id.as_str(), t),
                };
                Ok((ok, fx))
            }
            Command::Transfer { conversation_id, to } => {
                Ok((ok, d.transfer(conversation_id.as_str(), to.as_str(), t)?))
            }
            Command::View { profile } => {
                // The console's poll: it is open.
                let id = profile.id.0.clone();
                let fx = d.upsert_profile(profile, t, new_id("a"));
                d.console_seen(&id, t);
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
        self.kit.set_meta("state", &json)?;
        for effect in effects {
            match effect {
                Effect::Notify { conversation_id, update } => {
                    self.kit.enqueue(NOTIFY, &NotifyBody { conversation_id, update })?
                }
                Effect::Interval { operator_id, interval } => {
                    self.kit.enqueue(INTERVAL, &IntervalBody { operator_id, interval })?
                }
                Effect::Push { operator_id, conversation_id, kind, key } => {
                    self.kit.enqueue(PUSH, &crate::push::PushEvent { operator_id, conversation_id, kind, key })?
                }
            }
        }
        Ok(())
    }

    /// Delivers the outbox in order; stops at the first failure and retries by alarm.
    async fn drain(&self) {
        self.kit.drain(now().0, |row| self.deliver(row)).await;
    }

    /// One outbox row. A routing update carries the row's number, so a conversation applies
    /// each one once and in order.
    async fn deliver(&self, row: OutboxRow) -> Result<()> {
        match row.kind.as_str() {
            NOTIFY => {
                let n: NotifyBody = serde_json::from_str(&row.body)?;
                // false: the conversation was never created (its start failed): nothing to tell.
                ConversationStub::get(self.kit.env(), n.conversation_id.as_str())?.route(row.seq, n.update).await?;
                Ok(())
            }
            INTERVAL => {
                let b: IntervalBody = serde_json::from_str(&row.body)?;
                let account = self.kit.meta("account_id")?.unwrap_or_default();
                let state = match b.interval.state {
                    PresenceState::Online => "online",
                    PresenceState::Offline => "offline",
                };
                crate::store::activity::upsert_interval(
                    &crate::store::shard(self.kit.env(), &account).await?,
                    &b.interval.activity_id,
                    &account,
                    b.operator_id.as_str(),
                    state,
                    b.interval.start.0,
                    b.interval.end.map(|e| e.0),
                )
                .await
            }
            PUSH => {
                // At most once: `deliver` logs a failure and never holds the outbox up.
                let e: crate::push::PushEvent = serde_json::from_str(&row.body)?;
                let account = self.kit.meta("account_id")?.unwrap_or_default();
                crate::push::deliver(self.kit.env(), &account, &e).await;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The one alarm: the core's deadline (inactivity, auto-forward) or an outbox retry.
    async fn rearm(&self) {
        let deadline = self.with_core(|d| d.next_deadline()).ok().flatten().map(|d| d.0);
        // The kit adds its outbox's retry.
        self.kit.arm([deadline]).await;
    }
}

//! Data rights (issue 18), a thin adapter over `store::data_rights` and the conversations'
//! objects:
//!
//! - `GET /api/v1/console/visitors/:id/export` (admins): everything held about the visitor as
//!   JSON ([`VisitorExport`]).
//! - `POST /api/v1/console/visitors/:id/erase` (admins): every conversation of the visitor (its
//!   object's storage first, then its D1 rows, messages, events and goals), their offline
//!   messages, identity and blocks ([`ErasureReport`]). A conversation still open is ended
//!   first, through its object as an operator's "End chat" is ([`end_open_chat`]): its sockets
//!   see it end and the dispatcher frees the operator's slot. At most
//!   `MAX_ERASED_CONVERSATIONS_PER_REQUEST` conversations a request: the answer says how many
//!   remain and the caller repeats. Aggregate tallies stay (no visitor in them).
//! - `GET` / `POST /api/v1/console/account/retention` (reading: any operator; changing: admins):
//!   the account's retention period ([`RetentionSettings`]).
//! - [`run_retention`]: the scheduled job (`lib.rs`, cron in `wrangler.toml`), run with the time
//!   the runtime scheduled it for (so a test injects the clock through the scheduled event).

use parley_core::conversation::{Notice, Participant};
use parley_protocol::data_rights::{
    retention_cutoff, ErasureReport, ExportConversation, RetentionSettings, VisitorExport,
};
use parley_protocol::error::ErrorCode;
use parley_protocol::limits::cloudflare::{
    MAX_ERASED_CONVERSATIONS_PER_REQUEST, MAX_SUBREQUESTS_FREE, RETENTION_COST_PER_CONVERSATION,
    SCHEDULED_PURGE_RESERVE,
};
use parley_protocol::limits::{RETENTION_BATCH, RETENTION_CONVERSATIONS_PER_RUN};
use parley_protocol::protocol::{encode_client, hello, ClientMsg, Role};
use parley_protocol::{ConversationId, VisitorId};
use worker::{Env, Request, Response, Result};

use crate::guard::Admin;
use crate::http::{self, fail, invalid};
use crate::store::data_rights as store;
use crate::store::operators::OperatorRow;
use crate::stubs::{Command, ConversationStub};
use crate::util::now;

/// How long erasing waits for an open conversation to end (its object's answer, then its
/// closed state in D1) before refusing `not_closed`.
const END_WAIT_MS: u64 = 10_000;
/// How often D1 is read meanwhile.
const END_POLL_MS: u64 = 100;

/// `GET /api/v1/console/visitors/:id/export`.
pub(crate) async fn export(env: &Env, me: &Admin, visitor_id: &str) -> Result<Response> {
    let account = me.account_id.as_str();
    let d1 = crate::store::shard(env, account).await?;
    let records = crate::store::conversations::visitor_conversations(&d1, account, visitor_id, u32::MAX).await?;
    // Every conversation's child rows in three queries, whatever their number (a request's D1
    // queries are capped: `parley_protocol::limits::cloudflare`).
    let mut children = store::visitor_children(&d1, account, visitor_id).await?;
    // Their files (issue 21), in one more query.
    let ids: Vec<String> = records.iter().map(|r| r.id.as_str().to_owned()).collect();
    let mut files = std::collections::HashMap::<String, Vec<_>>::new();
    for f in crate::store::attachments::of_conversations(&d1, &ids).await? {
        files.entry(f.conversation_id.clone()).or_default().push(f.into_api());
    }
    let mut conversations = Vec::with_capacity(records.len());
    for record in records.iter().rev() {
        let id = record.id.as_str();
        conversations.push(ExportConversation {
            summary: record.summary(),
            messages: children.messages.remove(id).unwrap_or_default(),
            events: children.events.remove(id).unwrap_or_default(),
            goals: children.goals.remove(id).unwrap_or_default(),
            files: files.remove(id).unwrap_or_default(),
        });
    }
    let export = VisitorExport {
        visitor_id: VisitorId(visitor_id.to_owned()),
        exported_at: now().0,
        identity: store::identity(&d1, account, visitor_id).await?,
        conversations,
        offline_messages: named_offline_messages(env, &d1, account, visitor_id).await?,
        blocks: store::blocks(&d1, account, visitor_id).await?,
    };
    let resp = http::json(&export)?;
    resp.headers().set(
        "Content-Disposition",
        &format!("attachment; filename=\"visitor-{}.json\"", visitor_id.replace(['"', '\\'], "")),
    )?;
    Ok(resp)
}

/// The visitor's offline messages (on the account's shard) with their channels' names (from
/// the directory; one more query only when there are some).
async fn named_offline_messages(
    env: &Env,
    d1: &crate::store::Shard,
    account: &str,
    visitor_id: &str,
) -> Result<Vec<parley_protocol::admin::OfflineMessage>> {
    let mut messages = store::offline_messages(d1, account, visitor_id).await?;
    if !messages.is_empty() {
        let names = crate::store::channels::channel_names(&crate::store::directory(env)?, account).await?;
        crate::store::offline_messages::name_channels(&mut messages, &names);
    }
    Ok(messages)
}

/// What removing a batch's files costs in subrequests: their keys read, one R2 delete (a batch
/// is far below R2's 1,000 keys a call: `MAX_ATTACHMENTS_PER_CONVERSATION` × the batch), their
/// rows deleted.
const FILES_COST_PER_BATCH: usize = 3;

/// Removes the files of these conversations (issue 21): their bytes from R2, then their rows
/// (a failure in between leaves rows whose bytes are gone: the next erasure or retention run
/// finds them again and deletes nothing twice).
async fn remove_files(env: &Env, d1: &crate::store::Shard, ids: &[String]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let keys = crate::store::attachments::keys_of(d1, ids).await?;
    if keys.is_empty() {
        return Ok(());
    }
    crate::cost::files(env)?.delete(keys).await?;
    crate::store::attachments::delete_of(d1, ids).await
}

/// `POST /api/v1/console/visitors/:id/erase`.
pub(crate) async fn erase(env: &Env, me: &Admin, visitor_id: &str) -> Result<Response> {
    let account = me.account_id.as_str();
    let d1 = crate::store::shard(env, account).await?;
    let mut conversations = store::visitor_conversations(&d1, account, visitor_id).await?;
    // An open chat is ended first, then erased with the rest once D1 has it closed (the object
    // copies its close to D1 before anything is deleted, so no late copy brings rows back).
    let open: Vec<String> = conversations.iter().filter(|c| c.status != "closed").map(|c| c.id.clone()).collect();
    if !open.is_empty() {
        for id in &open {
            end_open_chat(env, me, id).await?;
        }
        let mut waited = 0;
        loop {
            conversations = store::visitor_conversations(&d1, account, visitor_id).await?;
            if conversations.iter().all(|c| c.status == "closed") || waited >= END_WAIT_MS {
                break;
            }
            worker::Delay::from(std::time::Duration::from_millis(END_POLL_MS)).await;
            waited += END_POLL_MS;
        }
        if conversations.iter().any(|c| c.status != "closed") {
            return fail(ErrorCode::NotClosed, "the visitor's open conversation did not end; try again");
        }
    }
    // At most MAX_ERASED_CONVERSATIONS_PER_REQUEST conversations a request (a call to each
    // one's object is a subrequest): the first ones now, the caller repeats for the rest.
    let now = conversations.len().min(MAX_ERASED_CONVERSATIONS_PER_REQUEST);
    let remaining = (conversations.len() - now) as u32;
    // The objects first: if D1 failed afterwards, a retry finds the same ids again.
    for c in &conversations[..now] {
        ConversationStub::get(env, &c.id)?.erase().await?;
    }
    let visitor_id_typed = VisitorId(visitor_id.to_owned());
    let ids: Vec<String> = conversations[..now].iter().map(|c| c.id.clone()).collect();
    remove_files(env, &d1, &ids).await?;
    if remaining > 0 {
        let erased = store::erase_visitor_conversations(&d1, account, visitor_id, now as u32).await?;
        crate::store::directory::forget_parties(&crate::store::directory(env)?, account, None, &ids).await?;
        return http::json(&ErasureReport {
            visitor_id: visitor_id_typed,
            conversations: erased,
            remaining,
            ..ErasureReport::default()
        });
    }
    let erased = store::erase_visitor(&d1, account, visitor_id).await?;
    // And who those conversations belonged to, in the directory (it names the visitor).
    crate::store::directory::forget_parties(&crate::store::directory(env)?, account, Some(visitor_id), &ids).await?;
    http::json(&ErasureReport {
        visitor_id: visitor_id_typed,
        conversations: erased.conversations,
        offline_messages: erased.offline_messages,
        identities: erased.identities,
        blocks: erased.blocks,
        remaining: 0,
    })
}

/// Ends the open conversation `id` as the admin's console would: through its object, on a
/// socket of the admin's that says `hello` then `end`. The object closes the chat (closed by an
/// operator) as it always does: every socket in it (the operator's console) sees it end, D1
/// gets the close and the dispatcher its notice, so the operator's slot is free again. The
/// dispatcher is also told here (`Notice::Closed` changes nothing the second time), in case the
/// object's own notice was still on its way when the erasure deletes its outbox. An object
/// that does not answer in time is not waited for: the caller sees the chat still open.
async fn end_open_chat(env: &Env, me: &Admin, id: &str) -> Result<()> {
    let participant = Participant { role: Role::Operator, id: me.id.clone(), name: me.chat_name.clone() };
    // No console session behind this socket: the worker checked the admin's already.
    let resp = ConversationStub::get(env, id)?.connect(participant, String::new(), None, 0).await?;
    if let Some(ws) = resp.websocket() {
        let mut events = ws.events()?;
        ws.accept()?;
        // Past every message: the transcript is not replayed to this socket.
        ws.send_with_str(encode_client(&hello(u64::from(u32::MAX))))?;
        let ended = async {
            use futures_util::StreamExt;
            while let Some(event) = events.next().await {
                let worker::WebsocketEvent::Message(m) = event? else { break };
                let frame: serde_json::Value = m.text().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
                let closed = frame["status"] == "closed";
                match frame["type"].as_str() {
                    Some("welcome" | "status") if closed => return Ok(true),
                    Some("welcome") => ws.send_with_str(encode_client(&ClientMsg::End))?,
                    _ => {}
                }
            }
            Ok::<bool, worker::Error>(false)
        };
        let timeout = worker::Delay::from(std::time::Duration::from_millis(END_WAIT_MS));
        futures_util::pin_mut!(ended, timeout);
        let result = match futures_util::future::select(ended, timeout).await {
            futures_util::future::Either::Left((r, _)) => r,
            futures_util::future::Either::Right(_) => Ok(false),
        };
        let _ = ws.close(Some(1000), Some("ended"));
        if !result? {
            worker::console_error!("erasure: conversation {id} did not confirm its end");
        }
    }
    let cmd = Command::Notice { conversation_id: ConversationId(id.to_owned()), notice: Notice::Closed };
    if let Err(e) = crate::dispatch::call::<serde_json::Value>(env, &me.account_id, &cmd).await {
        worker::console_error!("erasure: freeing the slot of {id}: {e}");
    }
    Ok(())
}

/// `GET /api/v1/console/account/retention`.
pub(crate) async fn get_retention(env: &Env, me: &OperatorRow) -> Result<Response> {
    match store::retention(&crate::store::directory(env)?, &me.account_id).await? {
        Some(row) => http::json(&RetentionSettings { days: row.days() }),
        None => fail(ErrorCode::Unauthenticated, "log in first"),
    }
}

/// `POST /api/v1/console/account/retention` (admins).
pub(crate) async fn save_retention(mut req: Request, env: &Env, me: &Admin) -> Result<Response> {
    let body: RetentionSettings = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    if let Err(e) = body.validate() {
        return invalid(e);
    }
    store::set_retention(&crate::store::directory(env)?, &me.account_id, body.days).await?;
    get_retention(env, me).await
}

/// What one run of the retention job purged.
#[derive(Debug, Default)]
pub struct Purged {
    pub conversations: u32,
    pub offline_messages: u32,
}

/// The retention job as of `now` (ms): in every account, the closed conversations closed more
/// than its retention period before `now` (their objects' storage, then their D1 rows) and the
/// offline messages left before then; at most [`RETENTION_CONVERSATIONS_PER_RUN`] conversations
/// per run, and no more than the run's subrequests allow on the Free plan
/// ([`MAX_SUBREQUESTS_FREE`], less [`SCHEDULED_PURGE_RESERVE`] kept for the session purge that
/// follows; each conversation costs [`RETENTION_COST_PER_CONVERSATION`], counted by
/// [`crate::cost`]). The next run (hourly) takes the rest.
pub async fn run_retention(env: &Env, now: u64) -> Result<Purged> {
    // What is left of this run's subrequests after one more query and the purge's reserve.
    let left = || {
        MAX_SUBREQUESTS_FREE
            .saturating_sub(crate::cost::spent().subrequests() as usize)
            .saturating_sub(SCHEDULED_PURGE_RESERVE + 1)
    };
    let directory = crate::store::directory(env)?;
    let mut purged = Purged::default();
    let mut budget = RETENTION_CONVERSATIONS_PER_RUN;
    for account in store::retentions(&directory).await? {
        if left() == 0 {
            break;
        }
        // The account's rows are on its shard (read with the list: no query per account). An
        // account the directory cannot place is logged and left for a later run, not the others.
        let d1 = match crate::store::placed(env, &account.id, account.shard) {
            Ok(d1) => d1,
            Err(e) => {
                worker::console_error!("retention skips {}: {e}", account.id);
                continue;
            }
        };
        let cutoff = retention_cutoff(now, account.days());
        purged.offline_messages += store::purge_offline_messages(&d1, &account.id, cutoff).await?;
        while budget > 0 {
            // One more query per batch: forgetting the batch's parties in the directory; and
            // FILES_COST_PER_BATCH for their files (issue 21).
            let fits = (left().saturating_sub(1 + FILES_COST_PER_BATCH) / RETENTION_COST_PER_CONVERSATION) as u32;
            let take = budget.min(RETENTION_BATCH).min(fits);
            if take == 0 {
                break;
            }
            let ids = store::expired_conversations(&d1, &account.id, cutoff, take).await?;
            if ids.is_empty() {
                break;
            }
            for id in &ids {
                ConversationStub::get(env, id)?.erase().await?;
            }
            remove_files(env, &d1, &ids).await?;
            purged.conversations += store::delete_conversations(&d1, &account.id, &ids).await?;
            crate::store::directory::forget_parties(&directory, &account.id, None, &ids).await?;
            budget = budget.saturating_sub(ids.len() as u32);
        }
    }
    Ok(purged)
}

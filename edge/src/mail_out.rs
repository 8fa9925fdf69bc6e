//! The outbox: every mail Parley sends goes through here, once (issue 20, ARCHITECTURE
//! invariant "every mail is sent once").
//!
//! How to send a mail (the whole API):
//!
//! 1. Compose it with `parley_mail` (`mails::*` for the text in the recipient's language, then a
//!    [`parley_mail::compose::Mail`] whose `to` names its recipients; `from`'s address and
//!    `message_id` are filled in here, leave them empty).
//! 2. `let queued = mail_out::enqueue(env, &shard, &Outgoing { key, account_id, mail }, now).await?;`
//!    `key` names the mail's cause and must be the same whenever the same cause comes again
//!    (`offline/<offline message id>`, `invite/<invite id>`, `reset/<token id>` …): one outbox
//!    row per (key, recipient) is kept on the account's shard, a repeated key queues nothing.
//!    Over a recipient's hourly limit (`MAIL_PER_RECIPIENT`) the row is kept as `limited`, not sent.
//! 3. After the answer: `mail_out::send_after(ctx, env, account_id, queued)` (or, in a job,
//!    `mail_out::send(env, &shard, &queued, now).await`). Each new row is sent through the
//!    `MAIL` binding (`[[send_email]]`) and marked sent; a failed send is retried by the hourly
//!    scheduled run ([`retry_due`]) with a doubling backoff, given up after `MAIL_MAX_ATTEMPTS`.
//!
//! With `PARLEY_MAIL_FROM` unset, mail is off: [`enqueue`] queues nothing.

use parley_mail::compose::{Address, Mail};
use parley_mail::outbox::{self, Admit};
use parley_protocol::limits::{MAIL_RETRIES_PER_RUN, MAIL_SEND_LEASE_MS};
use worker::{Env, Result};

use crate::store::mail_outbox::{self as rows, NewMail};
use crate::store::Shard;

/// A mail to queue under its cause's key.
pub struct Outgoing {
    pub key: String,
    pub account_id: String,
    pub mail: Mail,
}

/// A row just queued, to send now (its caller holds it for `MAIL_SEND_LEASE_MS`).
#[derive(Clone, Debug)]
pub struct Queued {
    pub key: String,
    pub recipient: String,
    pub sender: String,
    pub raw: String,
}

/// The deployment's sender address (`PARLEY_MAIL_FROM`), `None` when mail is off.
pub fn sender(env: &Env) -> Result<Option<String>> {
    Ok(crate::config::get(env)?.mail_from.clone())
}

/// The domain of the sender address: Message-IDs and reply addresses are made there.
pub fn domain(sender: &str) -> &str {
    sender.rsplit_once('@').map_or(sender, |(_, d)| d)
}

/// Queues `out` once per recipient (see the module's doc); returns the rows to send now.
pub async fn enqueue(env: &Env, shard: &Shard, out: &Outgoing, now: u64) -> Result<Vec<Queued>> {
    let Some(from) = sender(env)? else { return Ok(Vec::new()) };
    let mut queued = Vec::new();
    for to in &out.mail.to {
        if !parley_mail::compose::is_valid_address(&to.email) {
            continue;
        }
        let key = outbox::row_key(&out.key, &to.email);
        let mut mail = out.mail.clone();
        mail.to = vec![to.clone()];
        mail.from = Address::new(&mail.from.name, &from);
        mail.message_id = outbox::message_id(&key, domain(&from));
        let raw = String::from_utf8_lossy(&mail.to_bytes()).into_owned();
        let recipient = to.email.to_ascii_lowercase();
        let recent = rows::recent_for_recipient(shard, &recipient, outbox::window_start(now)).await?;
        let admit = outbox::admit(recent);
        let state = if admit == Admit::Send { "queued" } else { "limited" };
        let new = NewMail {
            key: &key,
            account_id: &out.account_id,
            recipient: &recipient,
            sender: &from,
            raw: &raw,
            state,
            // Sent at once by the caller, which holds it this long (a retry waits).
            attempts: 1,
            next_at: now + MAIL_SEND_LEASE_MS,
            now,
        };
        if rows::insert(shard, &new).await? && admit == Admit::Send {
            queued.push(Queued { key, recipient, sender: from.clone(), raw });
        } else if admit == Admit::Limited {
            worker::console_warn!("mail {key}: over the recipient's hourly limit, kept unsent");
        }
    }
    Ok(queued)
}

/// Sends the rows just queued, after the answer (counted for the request: `cost::after`).
pub fn send_after(ctx: &worker::Context, env: &Env, account_id: String, queued: Vec<Queued>) {
    if queued.is_empty() {
        return;
    }
    let env = env.clone();
    crate::cost::after(ctx, async move {
        let run = async {
            let shard = crate::store::shard(&env, &account_id).await?;
            send(&env, &shard, &queued, crate::util::now().0).await
        };
        if let Err(e) = run.await {
            worker::console_error!("mail send failed: {e}");
        }
    });
}

/// Sends each row through the binding and marks it sent; a failure is left to [`retry_due`].
pub async fn send(env: &Env, shard: &Shard, queued: &[Queued], now: u64) -> Result<()> {
    for q in queued {
        match crate::cost::send_mail(env, &q.sender, &q.recipient, &q.raw).await {
            Ok(()) => rows::mark_sent(shard, &q.key, now).await?,
            Err(e) => {
                worker::console_error!("mail {}: send failed: {e}", q.key);
                rows::mark_failed(shard, &q.key, outbox::retry_at(now, 1), &e.to_string()).await?;
            }
        }
    }
    Ok(())
}

/// The scheduled run's retries: on every shard, the mails due at `now` (a failed send's next
/// try, or one whose sender died before marking it), each claimed before it is sent so that two
/// runs never send it twice, within `budget` subrequests (a claim, a send, a mark each).
pub async fn retry_due(env: &Env, now: u64, budget: usize) -> Result<u32> {
    let shards = crate::config::get(env)?.d1_shards;
    let start = crate::cost::spent().subrequests() as usize;
    let left = |spent: usize| budget.saturating_sub(spent.saturating_sub(start));
    let mut sent = 0;
    for index in 0..shards {
        if left(crate::cost::spent().subrequests() as usize) < 4 {
            break;
        }
        let shard = crate::store::shard_at(env, index)?;
        for row in rows::due(&shard, now, MAIL_RETRIES_PER_RUN).await? {
            if left(crate::cost::spent().subrequests() as usize) < 3 {
                break;
            }
            if !rows::claim(&shard, &row.key, now, now + MAIL_SEND_LEASE_MS).await? {
                continue;
            }
            match crate::cost::send_mail(env, &row.sender, &row.recipient, &row.raw).await {
                Ok(()) => {
                    rows::mark_sent(&shard, &row.key, now).await?;
                    sent += 1;
                }
                Err(e) => {
                    let next = outbox::retry_at(now, row.attempts + 1);
                    rows::mark_failed(&shard, &row.key, next, &e.to_string()).await?;
                }
            }
        }
    }
    Ok(sent)
}

/// The offline message's mail to the channel's notification addresses, Reply-To the visitor
/// (key `offline/<id>`: a resent form, answered as the stored message, queues nothing more).
pub async fn offline_message(
    env: &Env,
    channel_id: &str,
    message_id: &str,
    msg: &parley_protocol::admin::ValidOfflineMessage,
    at_ms: u64,
) -> Result<Option<(String, Vec<Queued>)>> {
    let Some((ch, addresses, lang)) = notified_channel(env, channel_id).await? else {
        return Ok(None);
    };
    let name = msg.name.trim();
    let content = parley_mail::mails::offline_message(&parley_mail::mails::OfflineMessage {
        lang,
        channel: &ch.name,
        visitor_name: (!name.is_empty()).then_some(name),
        visitor_email: &msg.email,
        text: &msg.text,
        page_url: (!msg.page_url.is_empty()).then_some(msg.page_url.as_str()),
        at_ms,
        time_zone: &ch.time_zone,
    });
    let reply_to = parley_mail::compose::is_valid_address(&msg.email).then(|| Address::new(name, &msg.email));
    to_channel(env, &ch, &addresses, content, reply_to, format!("offline/{message_id}"), at_ms).await.map(Some)
}

/// The channel's mail settings when it mails its notification addresses (a sender set, at least
/// one address), with those addresses and its language.
async fn notified_channel(
    env: &Env,
    channel_id: &str,
) -> Result<Option<(crate::store::channels::ChannelMailRow, Vec<String>, parley_protocol::i18n::Lang)>> {
    if sender(env)?.is_none() {
        return Ok(None);
    }
    let Some(ch) = crate::store::channels::channel_mail(&crate::store::directory(env)?, channel_id).await? else {
        return Ok(None);
    };
    let addresses = ch.addresses();
    if addresses.is_empty() {
        return Ok(None);
    }
    let lang = parley_protocol::i18n::Lang::of(&ch.language).unwrap_or(parley_protocol::i18n::Lang::En);
    Ok(Some((ch, addresses, lang)))
}

/// Queues `content` to the channel's notification addresses under `key`, from its sender name.
async fn to_channel(
    env: &Env,
    ch: &crate::store::channels::ChannelMailRow,
    addresses: &[String],
    content: parley_mail::compose::Content,
    reply_to: Option<Address>,
    key: String,
    at_ms: u64,
) -> Result<(String, Vec<Queued>)> {
    let sender_name = if ch.mail_sender_name.is_empty() { ch.name.clone() } else { ch.mail_sender_name.clone() };
    let mail = Mail {
        from: Address::new(&sender_name, ""),
        to: addresses.iter().map(|a| Address::new("", a)).collect(),
        reply_to,
        message_id: String::new(),
        in_reply_to: None,
        date_s: (at_ms / 1_000) as i64,
        content,
    };
    let account_id = ch.account_id.as_str().to_owned();
    let shard = crate::store::shard(env, &account_id).await?;
    let out = Outgoing { key, account_id: account_id.clone(), mail };
    let queued = enqueue(env, &shard, &out, at_ms).await?;
    Ok((account_id, queued))
}

/// A chat that waited with no operator's answer (`parley_core`'s `Effect::MailMissed`).
pub struct MissedMail<'a> {
    pub channel_id: &'a str,
    pub conversation_id: &'a str,
    /// The conversation in the console.
    pub link: &'a str,
    pub visitor_name: &'a str,
    pub missed: &'a parley_core::conversation::Missed,
}

/// The missed-chat mail to the channel's notification addresses (key `missed/<conversation>`:
/// one per chat whatever happens to the object).
pub async fn missed_chat(env: &Env, m: &MissedMail<'_>, now: u64) -> Result<Option<(String, Vec<Queued>)>> {
    let Some((ch, addresses, lang)) = notified_channel(env, m.channel_id).await? else {
        return Ok(None);
    };
    let name = m.visitor_name.trim();
    let content = parley_mail::mails::missed_chat(&parley_mail::mails::MissedChat {
        lang,
        channel: &ch.name,
        visitor_name: (!name.is_empty()).then_some(name),
        first_message: &m.missed.first_message,
        started_at_ms: m.missed.started_at.0,
        waited_minutes: (m.missed.waited_ms / 60_000).max(1),
        time_zone: &ch.time_zone,
        link: m.link,
    });
    to_channel(env, &ch, &addresses, content, None, format!("missed/{}", m.conversation_id), now).await.map(Some)
}

/// The operators' answers to a visitor who has left (`parley_core`'s `Effect::MailReply`).
pub struct ReplyMail<'a> {
    pub channel_id: &'a str,
    pub conversation_id: &'a str,
    pub from_seq: u64,
    pub to: &'a str,
    pub operator: &'a str,
    pub text: &'a str,
}

/// The operator's answer to the away visitor, with the reply address that continues the chat
/// (key `reply/<conversation>/<first seq>`: one mail per batch of answers).
pub async fn operator_reply(env: &Env, m: &ReplyMail<'_>, now: u64) -> Result<Option<(String, Vec<Queued>)>> {
    let Some(from) = sender(env)? else { return Ok(None) };
    let Some(ch) = crate::store::channels::channel_mail(&crate::store::directory(env)?, m.channel_id).await? else {
        return Ok(None);
    };
    let lang = parley_protocol::i18n::Lang::of(&ch.language).unwrap_or(parley_protocol::i18n::Lang::En);
    let content = parley_mail::mails::operator_reply(&parley_mail::mails::OperatorReply {
        lang,
        channel: &ch.name,
        operator: m.operator,
        text: m.text,
    });
    let secret = crate::config::get(env)?.secret().map_err(|e| worker::Error::RustError(e.to_string()))?.to_vec();
    let expires = now / 1_000 + parley_protocol::limits::REPLY_ADDRESS_TTL_SECS;
    let reply = parley_mail::token::address(&secret, m.conversation_id, expires, domain(&from));
    let sender_name = if ch.mail_sender_name.is_empty() { ch.name.clone() } else { ch.mail_sender_name.clone() };
    let mail = Mail {
        from: Address::new(&sender_name, ""),
        to: vec![Address::new("", m.to)],
        reply_to: reply.map(|r| Address::new(&sender_name, &r)),
        message_id: String::new(),
        in_reply_to: None,
        date_s: (now / 1_000) as i64,
        content,
    };
    let account_id = ch.account_id.as_str().to_owned();
    let shard = crate::store::shard(env, &account_id).await?;
    let key = format!("reply/{}/{}", m.conversation_id, m.from_seq);
    let queued = enqueue(env, &shard, &Outgoing { key, account_id: account_id.clone(), mail }, now).await?;
    Ok(Some((account_id, queued)))
}

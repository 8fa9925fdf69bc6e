//! "Email me this chat" (issue 20): `POST /api/v1/conversations/:id/transcript`. The visitor
//! of the conversation (guarded like the widget's other calls) names an address; every message
//! so far, read from the conversation's object (its own storage holds the whole transcript, the
//! D1 copy may lag behind), is mailed there once under the key
//! `transcript/<conversation>/<last seq>` (asking again with nothing new queues nothing), with
//! a signed reply address (`parley_mail::token`) that takes the visitor's answer back into the
//! chat (`mail_in`). A conversation's visitor gets at most
//! `TRANSCRIPT_MAILS_PER_CONVERSATION` of them; each address its hourly outbox limit.

use parley_mail::compose::{is_valid_address, Address, Mail};
use parley_mail::mails::{self, Author, Line};
use parley_protocol::admin::FieldError;
use parley_protocol::api::{TranscriptMailRequest, TranscriptMailed};
use parley_protocol::error::ErrorCode;
use parley_protocol::i18n::Lang;
use parley_protocol::limits::{MAX_EMAIL_CHARS, REPLY_ADDRESS_TTL_SECS};
use parley_protocol::protocol::Role;
use worker::{Context, Env, Request, Response, Result};

use crate::guard::{self, Visitor};
use crate::http::{self, fail, invalid};
use crate::mail_out::{self, Outgoing};

pub async fn request(mut req: Request, env: &Env, ctx: &Context, id: &str) -> Result<Response> {
    let Visitor { body, origin } = match guard::visitor::<TranscriptMailRequest>(&mut req, env).await? {
        Ok(v) => v,
        Err(resp) => return Ok(resp),
    };
    let resp = mail_transcript(env, ctx, id, body).await?;
    http::with_cors(resp, &origin)
}

async fn mail_transcript(env: &Env, ctx: &Context, id: &str, body: TranscriptMailRequest) -> Result<Response> {
    let email = body.email.trim();
    if email.chars().count() > MAX_EMAIL_CHARS || !is_valid_address(email) {
        return invalid(FieldError::new("email", "not an address a mail can be sent to"));
    }
    let Some((conv, shard)) =
        crate::outcomes::visitors_conversation(env, id, &body.channel_id, &body.visitor_id).await?
    else {
        return fail(ErrorCode::UnknownConversation, "no such conversation");
    };
    let Some(sender) = mail_out::sender(env)? else { return http::json(&TranscriptMailed { queued: false }) };
    let Some(messages) = crate::stubs::ConversationStub::get(env, &conv.id)?.messages().await? else {
        return fail(ErrorCode::UnknownConversation, "no such conversation");
    };
    let Some(ch) = crate::store::channels::channel_mail(&crate::store::directory(env)?, &conv.channel_id).await? else {
        return fail(ErrorCode::UnknownConversation, "no such conversation");
    };
    let prefix = format!("transcript/{}/", conv.id);
    let asked = crate::store::mail_outbox::count_with_prefix(&shard, &prefix).await?;
    if !parley_mail::outbox::admit_transcript(asked) {
        return fail(ErrorCode::RateLimited, "this chat was mailed as often as it may be");
    }
    let now = crate::util::now().0;
    let secret = crate::config::get(env)?.secret().map_err(|e| worker::Error::RustError(e.to_string()))?.to_vec();
    let reply =
        parley_mail::token::address(&secret, &conv.id, now / 1_000 + REPLY_ADDRESS_TTL_SECS, mail_out::domain(&sender));
    let lang = Lang::of(&body.lang).or_else(|| Lang::of(&ch.language)).unwrap_or(Lang::En);
    // A message's file is named in the mail (issue 21; its bytes are read in the chat only).
    let texts: Vec<String> = messages
        .iter()
        .map(|m| parley_protocol::protocol::AttachmentView::text_with(&m.text, m.attachment.as_ref()))
        .collect();
    let lines: Vec<Line> = messages
        .iter()
        .zip(&texts)
        .map(|(m, text)| Line {
            author: match m.author.role {
                Role::Visitor => Author::Visitor,
                Role::Operator => Author::Operator(&m.author.name),
            },
            at_ms: m.at.0,
            text,
        })
        .collect();
    let content = mails::transcript(&mails::Transcript {
        lang,
        channel: &ch.name,
        lines: &lines,
        time_zone: &ch.time_zone,
        replies: reply.is_some(),
    });
    let sender_name = if ch.mail_sender_name.is_empty() { ch.name.clone() } else { ch.mail_sender_name.clone() };
    let mail = Mail {
        from: Address::new(&sender_name, ""),
        to: vec![Address::new("", email)],
        reply_to: reply.map(|r| Address::new(&sender_name, &r)),
        message_id: String::new(),
        in_reply_to: None,
        date_s: (now / 1_000) as i64,
        content,
    };
    let last_seq = messages.last().map_or(0, |m| m.seq);
    let account_id = conv.account_id.as_str().to_owned();
    let out = Outgoing { key: format!("{prefix}{last_seq}"), account_id: account_id.clone(), mail };
    let queued = mail_out::enqueue(env, &shard, &out, now).await?;
    let answer = TranscriptMailed { queued: !queued.is_empty() };
    mail_out::send_after(ctx, env, account_id, queued);
    http::json(&answer)
}

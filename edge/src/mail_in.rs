//! Inbound mail (issue 20): the worker's `email()` handler. A visitor's reply to a Parley mail
//! reaches it at the mail's reply address `r-<conversation>-<expiry>-<mac>@<domain>`
//! (`parley_mail::token`, signed with `PARLEY_SECRET`); its new text (quoted history cut,
//! `parley_mail::inbound::read`) goes into that conversation through its object, as the
//! visitor's message under a client id made from the mail's Message-ID (a redelivered mail is
//! stored once), shown "by email" (`MessageView::by_email`). Anything else is rejected with the
//! reason the sender's bounce carries: a forged, altered or unknown address, an expired one, a
//! conversation gone or ended, files, an empty or oversize reply. Automatic replies (out of
//! office, lists) are dropped without a bounce, so two robots never answer each other.

use parley_mail::inbound::{self, Refusal};
use parley_mail::token::{self, TokenError};
use worker::{Env, ForwardableEmailMessage, Result};

use crate::stubs::{ConversationStub, Emailed};

/// What the handler decided: taken into the chat, dropped silently, or bounced with a reason.
enum Verdict {
    Taken,
    Dropped,
    Bounce(&'static str),
}

pub async fn receive(message: ForwardableEmailMessage, env: &Env) -> Result<()> {
    match verdict(&message, env).await? {
        Verdict::Taken | Verdict::Dropped => {}
        Verdict::Bounce(reason) => message.set_reject(reason),
    }
    Ok(())
}

fn refusal(r: Refusal) -> Verdict {
    if r.bounces() {
        Verdict::Bounce(r.reason())
    } else {
        Verdict::Dropped
    }
}

async fn verdict(message: &ForwardableEmailMessage, env: &Env) -> Result<Verdict> {
    let secret = crate::config::get(env)?.secret().map_err(|e| worker::Error::RustError(e.to_string()))?.to_vec();
    let now = crate::util::now().0;
    // The address first: a mail to no conversation is not even read.
    let conversation_id = match token::read(&secret, &message.to(), now / 1_000) {
        Ok(id) => id,
        Err(TokenError::Expired) => return Ok(refusal(Refusal::Expired)),
        Err(TokenError::Malformed | TokenError::Forged) => return Ok(refusal(Refusal::UnknownAddress)),
    };
    if message.raw_size() as usize > parley_protocol::limits::MAX_INBOUND_MAIL_BYTES {
        return Ok(refusal(Refusal::TooLarge));
    }
    let raw = message.raw_bytes().await?;
    let reply = match inbound::read(&raw) {
        Ok(r) => r,
        Err(r) => return Ok(refusal(r)),
    };
    if crate::store::directory::parties(&crate::store::directory(env)?, &conversation_id).await?.is_none() {
        return Ok(refusal(Refusal::Gone));
    }
    let client_id = inbound::client_id(reply.message_id.as_deref(), &raw);
    let stub = ConversationStub::get(env, &conversation_id)?;
    Ok(match stub.emailed(client_id, reply.text).await? {
        Emailed::Stored => Verdict::Taken,
        Emailed::Unknown => refusal(Refusal::Gone),
        // An ended chat is not reopened by mail (yet): the visitor starts a new one.
        Emailed::Closed => refusal(Refusal::Expired),
        Emailed::Refused => Verdict::Bounce("The chat cannot take more messages right now. Please try again later."),
    })
}

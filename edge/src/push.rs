//! Web Push to operators whose console is closed (issue 20): the deployment's VAPID key, the
//! operator's subscriptions (`/api/v1/push/*`) and the delivery of one push event the account's
//! dispatcher decided ([`parley_core::dispatch::Effect::Push`]). Encryption and signing are
//! `parley_push`'s (pure; RustCrypto's P-256, HKDF and AES-GCM compiled to wasm); the keys and
//! salts are drawn here from the runtime's `crypto.getRandomValues` (`util`), and the request
//! goes out through the counted door `cost::push_fetch`.

use parley_core::dispatch::PushKind;
use parley_protocol::admin::FieldError;
use parley_protocol::api::{PushChoices, PushKey, PushPayload, PushSubscribe, PushSubscriptionView, PushUnsubscribe};
use parley_protocol::error::ApiError;
use parley_protocol::i18n::Lang;
use parley_protocol::limits::MAX_PUSH_SUBSCRIPTIONS_PER_OPERATOR;
use parley_protocol::{ConversationId, OperatorId};
use parley_push::texts::About;
use parley_push::{Outcome, PushError, Subscription, Urgency};
use serde::{Deserialize, Serialize};
use worker::{Env, Request, Response, Result};

use crate::guard::Operator;
use crate::http;
use crate::store::push::SubscriptionRow;
use crate::util::{now, random_bytes};

/// The deployment's VAPID private key (derived from `PARLEY_SECRET`: nothing stored).
fn vapid_key(env: &Env) -> Result<[u8; 32]> {
    let config = crate::config::get(env)?;
    let secret = config.secret().map_err(|e| worker::Error::RustError(e.to_string()))?;
    Ok(parley_push::vapid::key_from_secret(secret))
}

/// `GET /api/v1/push/key`: the `applicationServerKey` browsers subscribe with.
pub(crate) async fn key(env: &Env) -> Result<Response> {
    let public = parley_push::public_key(&vapid_key(env)?).map_err(|e| format!("vapid key: {e:?}"))?;
    http::json(&PushKey { key: parley_push::b64url(&public) })
}

/// `GET /api/v1/push/subscriptions`: my browsers and their choices.
pub(crate) async fn list(env: &Env, op: &Operator) -> Result<Response> {
    let rows = crate::store::push::subscriptions(&crate::store::directory(env)?, &op.account_id, &op.id).await?;
    let views: Vec<PushSubscriptionView> = rows
        .into_iter()
        .map(|r| PushSubscriptionView {
            endpoint: r.endpoint,
            choices: PushChoices { new_chats: r.new_chats != 0, new_messages: r.new_messages != 0 },
        })
        .collect();
    http::json(&views)
}

/// `POST /api/v1/push/subscriptions`: notify me in this browser, with these choices. The
/// subscription is checked by `parley_push` (an `https://` endpoint, or `http://` only when
/// `PARLEY_PUSH_ALLOW_HTTP` is on; a P-256 key; a 16-octet secret); my oldest browser past
/// `MAX_PUSH_SUBSCRIPTIONS_PER_OPERATOR` is forgotten.
pub(crate) async fn subscribe(mut req: Request, env: &Env, op: &Operator) -> Result<Response> {
    let body: PushSubscribe = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let allow_http = crate::config::get(env)?.push_allow_http;
    let s = &body.subscription;
    let sub = match Subscription::new(&s.endpoint, &s.keys.p256dh, &s.keys.auth, allow_http) {
        Ok(sub) => sub,
        Err(e) => {
            let (field, message) = match e {
                PushError::PublicKey => ("subscription.keys.p256dh", "Not a P-256 public key."),
                PushError::Auth => ("subscription.keys.auth", "Not a 16-octet secret."),
                _ => ("subscription.endpoint", "Not a push endpoint this deployment accepts."),
            };
            return http::refuse(ApiError::invalid(FieldError::new(field, message)));
        }
    };
    let row = SubscriptionRow {
        endpoint: sub.endpoint,
        p256dh: parley_push::b64url(&sub.p256dh),
        auth: parley_push::b64url(&sub.auth),
        new_chats: u8::from(body.choices.new_chats),
        new_messages: u8::from(body.choices.new_messages),
        lang: body.lang.as_deref().and_then(Lang::of).unwrap_or(Lang::En).code().to_owned(),
    };
    let d1 = crate::store::directory(env)?;
    crate::store::push::subscribe(&d1, &op.account_id, &op.id, &row, now().0, MAX_PUSH_SUBSCRIPTIONS_PER_OPERATOR)
        .await?;
    http::json(&PushSubscriptionView { endpoint: row.endpoint, choices: body.choices })
}

/// `POST /api/v1/push/subscriptions/delete`: stop notifying me in this browser.
pub(crate) async fn unsubscribe(mut req: Request, env: &Env, op: &Operator) -> Result<Response> {
    let body: PushUnsubscribe = match http::read_json(&mut req).await {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let removed =
        crate::store::push::unsubscribe(&crate::store::directory(env)?, &op.account_id, &op.id, &body.endpoint).await?;
    http::json(&serde_json::json!({ "removed": removed }))
}

/// One push event, as the dispatcher's outbox keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushEvent {
    pub operator_id: OperatorId,
    pub conversation_id: ConversationId,
    pub kind: PushKind,
    pub key: String,
}

/// What the operator reads, in their console's language.
fn payload(e: &PushEvent, lang: Lang) -> PushPayload {
    let (kind, about) = match e.kind {
        PushKind::NewChat => ("new_chat", About::NewChat),
        PushKind::Waiting => ("waiting", About::Waiting),
        PushKind::Message => ("message", About::Message),
    };
    let (title, body) = parley_push::texts::notification(lang, about);
    PushPayload {
        kind: kind.to_owned(),
        conversation_id: e.conversation_id.clone(),
        title: title.to_owned(),
        body: body.to_owned(),
        url: format!("/console#/chat/{}", e.conversation_id.as_str()),
        tag: parley_push::topic(&e.key),
    }
}

/// Delivers one event to the operator's browsers that chose it: one encrypted, signed request
/// each (at most `MAX_PUSH_SUBSCRIPTIONS_PER_OPERATOR`), keyed by the event (RFC 8030 `Topic`,
/// the notification's `tag`: a repeat replaces, never adds). A subscription the push service
/// says is gone (404, 410) is forgotten. Pushes are at most once: a failure is logged, never
/// retried (the outbox row behind it, a conversation's routing, must not wait on a push service).
pub async fn deliver(env: &Env, account_id: &str, e: &PushEvent) {
    if let Err(err) = try_deliver(env, account_id, e).await {
        worker::console_error!("push {}: {err}", e.key);
    }
}

async fn try_deliver(env: &Env, account_id: &str, e: &PushEvent) -> Result<()> {
    let config = crate::config::get(env)?;
    let vapid = vapid_key(env)?;
    let d1 = crate::store::directory(env)?;
    let rows = crate::store::push::subscriptions(&d1, account_id, e.operator_id.as_str()).await?;
    let wanted = rows.into_iter().filter(|r| match e.kind {
        PushKind::NewChat | PushKind::Waiting => r.new_chats != 0,
        PushKind::Message => r.new_messages != 0,
    });
    let topic = parley_push::topic(&e.key);
    for row in wanted.take(MAX_PUSH_SUBSCRIPTIONS_PER_OPERATOR) {
        let Ok(sub) = Subscription::new(&row.endpoint, &row.p256dh, &row.auth, config.push_allow_http) else {
            worker::console_error!("push {}: a stored subscription is no longer accepted", e.key);
            continue;
        };
        let plaintext = serde_json::to_vec(&payload(e, Lang::of(&row.lang).unwrap_or(Lang::En)))?;
        let ephemeral = loop {
            let k = random_bytes::<32>();
            if parley_push::public_key(&k).is_ok() {
                break k;
            }
        };
        let mut request = parley_push::request(
            &sub,
            &plaintext,
            &vapid,
            &config.push_subject,
            now().0 / 1_000,
            Urgency::High,
            &ephemeral,
            &random_bytes::<16>(),
        )
        .map_err(|err| format!("push request: {err:?}"))?;
        request.headers.push(("topic", topic.clone()));
        let status = crate::cost::push_fetch(request).await?;
        match parley_push::outcome(status) {
            Outcome::Delivered => {}
            Outcome::Gone => crate::store::push::forget(&d1, &row.endpoint).await?,
            Outcome::Retry | Outcome::Refused => {
                worker::console_error!("push {}: the push service answered {status}; dropped", e.key)
            }
        }
    }
    Ok(())
}

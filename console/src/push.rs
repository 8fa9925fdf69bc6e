//! Push notifications with the console closed (issue 20), the browser's half: the service
//! worker `public/console-sw.js` (scope `/console`) shows what the edge pushes; here the
//! console registers it, subscribes with the deployment's key (`GET /api/v1/push/key`) and
//! hands the subscription and the operator's choices to the edge, which keeps them (the push is
//! sent while no console runs). Browser calls go through `js_sys::Reflect` (no extra web-sys
//! features for service workers and the Push API).

use js_sys::{Object, Reflect, Uint8Array};
use parley_protocol::api::{
    PushChoices, PushKey, PushSubscribe, PushSubscriptionJson, PushSubscriptionView, PushUnsubscribe,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

const SW: &str = "/console-sw.js";
const SCOPE: &str = "/console";

fn get(target: &JsValue, key: &str) -> Result<JsValue, String> {
    Reflect::get(target, &JsValue::from_str(key)).map_err(|_| format!("no {key}"))
}

/// Calls `target.name(args…)`; awaits it when it answers a promise.
async fn call(target: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let f: js_sys::Function = get(target, name)?.dyn_into().map_err(|_| format!("{name} is not a function"))?;
    let array: js_sys::Array = args.iter().collect();
    let out = f.apply(target, &array).map_err(|e| format!("{name}: {e:?}"))?;
    match out.dyn_into::<js_sys::Promise>() {
        Ok(p) => JsFuture::from(p).await.map_err(|e| format!("{name}: {e:?}")),
        Err(v) => Ok(v),
    }
}

fn container() -> Option<JsValue> {
    let sw = get(&parley_client::window().navigator(), "serviceWorker").ok()?;
    let has_push = get(&parley_client::window(), "PushManager").ok().is_some_and(|p| !p.is_undefined());
    (!sw.is_undefined() && has_push).then_some(sw)
}

/// Whether this browser can receive push notifications (a service worker and the Push API).
pub fn supported() -> bool {
    container().is_some()
}

/// This browser's current subscription's endpoint under the console's scope, if any.
pub async fn current_endpoint() -> Option<String> {
    let sw = container()?;
    let reg = call(&sw, "getRegistration", &[JsValue::from_str(SCOPE)]).await.ok()?;
    if reg.is_undefined() {
        return None;
    }
    let sub = call(&get(&reg, "pushManager").ok()?, "getSubscription", &[]).await.ok()?;
    get(&sub, "endpoint").ok()?.as_string()
}

/// Whether the edge notifies this browser (its subscription is one of mine there).
pub async fn is_on() -> bool {
    let Some(endpoint) = current_endpoint().await else { return false };
    crate::net::get_json::<Vec<PushSubscriptionView>>("/api/v1/push/subscriptions")
        .await
        .is_ok_and(|subs| subs.iter().any(|s| s.endpoint == endpoint))
}

fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes: Vec<u8> = s.bytes().filter(|b| *b != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= val(*c)? << (18 - 6 * i);
        }
        let take = chunk.len().saturating_sub(1);
        out.extend_from_slice(&n.to_be_bytes()[1..1 + take]);
    }
    Some(out)
}

/// Registers the service worker, subscribes this browser and gives the edge the subscription
/// with `choices` (again after a change of choices: the same endpoint is replaced).
pub async fn subscribe(choices: PushChoices) -> Result<(), String> {
    let sw = container().ok_or("no push in this browser")?;
    let options = Object::new();
    Reflect::set(&options, &"scope".into(), &SCOPE.into()).map_err(|_| "options")?;
    call(&sw, "register", &[JsValue::from_str(SW), options.into()]).await?;
    let reg = JsFuture::from(get(&sw, "ready")?.dyn_into::<js_sys::Promise>().map_err(|_| "ready")?)
        .await
        .map_err(|e| format!("ready: {e:?}"))?;
    let manager = get(&reg, "pushManager")?;
    let mut sub = call(&manager, "getSubscription", &[]).await?;
    if sub.is_null() || sub.is_undefined() {
        let key = crate::net::get_json::<PushKey>("/api/v1/push/key").await.map_err(|e| e.message)?;
        let key = b64url_decode(&key.key).ok_or("bad key")?;
        let options = Object::new();
        Reflect::set(&options, &"userVisibleOnly".into(), &JsValue::TRUE).map_err(|_| "options")?;
        Reflect::set(&options, &"applicationServerKey".into(), &Uint8Array::from(key.as_slice()).into())
            .map_err(|_| "options")?;
        sub = call(&manager, "subscribe", &[options.into()]).await?;
    }
    let json = js_sys::JSON::stringify(&call(&sub, "toJSON", &[]).await?).map_err(|_| "toJSON")?;
    let subscription: PushSubscriptionJson =
        serde_json::from_str(&String::from(json)).map_err(|e| format!("subscription: {e}"))?;
    crate::net::post_json::<_, PushSubscriptionView>(
        "/api/v1/push/subscriptions",
        &PushSubscribe { subscription, choices, lang: Some(crate::i18n::lang().code().to_owned()) },
    )
    .await
    .map_err(|e| e.message)?;
    Ok(())
}

/// Stops notifying this browser: the edge forgets it, the browser unsubscribes.
pub async fn unsubscribe() -> Result<(), String> {
    let sw = container().ok_or("no push in this browser")?;
    let reg = call(&sw, "getRegistration", &[JsValue::from_str(SCOPE)]).await?;
    if reg.is_undefined() {
        return Ok(());
    }
    let sub = call(&get(&reg, "pushManager")?, "getSubscription", &[]).await?;
    if sub.is_null() || sub.is_undefined() {
        return Ok(());
    }
    if let Some(endpoint) = get(&sub, "endpoint")?.as_string() {
        crate::net::post_json::<_, serde_json::Value>(
            "/api/v1/push/subscriptions/delete",
            &PushUnsubscribe { endpoint },
        )
        .await
        .map_err(|e| e.message)?;
    }
    call(&sub, "unsubscribe", &[]).await?;
    Ok(())
}

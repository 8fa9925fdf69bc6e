//! Web Push, the server's half, as pure functions: what an operator's browser subscription is,
//! how a notification is encrypted for it (RFC 8291 over RFC 8188's `aes128gcm`), how the
//! request to its push service is signed (RFC 8292, VAPID) and what the service's answer
//! means. Keys, salts and the time come in as arguments (the edge draws them from the
//! runtime's WebCrypto `getRandomValues` and its clock), so every byte is reproducible here and
//! tested against the RFCs' own examples.

pub mod ece;
pub mod texts;
pub mod vapid;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use parley_protocol::limits::{MAX_PUSH_ENDPOINT_LEN, MAX_PUSH_PAYLOAD_BYTES, PUSH_TTL_SECS};
use serde::Deserialize;

/// Octets of an uncompressed P-256 public key (0x04, x, y).
pub const PUBLIC_KEY_LEN: usize = 65;
/// Octets of a subscription's authentication secret.
pub const AUTH_LEN: usize = 16;
/// The record size of a push message: one record holds the whole payload.
pub const RECORD_SIZE: u32 = 4096;
/// Octets around the plaintext of a push message: the header (salt, record size, key id
/// length, the 65-octet key id), the delimiter and the tag.
pub const OVERHEAD: usize = ece::SALT_LEN + 5 + PUBLIC_KEY_LEN + 1 + ece::TAG_LEN;
/// The longest plaintext a push message carries ([`MAX_PUSH_PAYLOAD_BYTES`] in all).
pub const MAX_PLAINTEXT: usize = MAX_PUSH_PAYLOAD_BYTES - OVERHEAD;

/// Why a subscription, a key or a message was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushError {
    /// The endpoint is not an `https://` URL (or `http://` where allowed), or too long.
    Endpoint,
    /// `p256dh` is not an uncompressed point on P-256.
    PublicKey,
    /// `auth` is not 16 octets.
    Auth,
    /// A private key is not a valid P-256 scalar.
    PrivateKey,
    /// The plaintext is longer than [`MAX_PLAINTEXT`].
    TooLong,
    /// The body could not be read (see [`ece::EceError`]).
    Body(ece::EceError),
    /// The VAPID subject is neither `mailto:` nor `https:`.
    Subject,
}

/// An operator's browser subscription, as `PushSubscription.toJSON()` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub endpoint: String,
    pub p256dh: [u8; PUBLIC_KEY_LEN],
    pub auth: [u8; AUTH_LEN],
}

#[derive(Deserialize)]
struct SubscriptionJson {
    endpoint: String,
    keys: KeysJson,
}

#[derive(Deserialize)]
struct KeysJson {
    p256dh: String,
    auth: String,
}

impl Subscription {
    /// Reads and checks a subscription. `allow_http` admits `http://` endpoints (local
    /// development and tests, whose push service is a local server); a deployment takes only
    /// `https://`.
    pub fn parse(json: &str, allow_http: bool) -> Result<Self, PushError> {
        let s: SubscriptionJson = serde_json::from_str(json).map_err(|_| PushError::Endpoint)?;
        Self::new(&s.endpoint, &s.keys.p256dh, &s.keys.auth, allow_http)
    }

    /// Checks a subscription's parts (the keys base64url, padded or not).
    pub fn new(endpoint: &str, p256dh: &str, auth: &str, allow_http: bool) -> Result<Self, PushError> {
        origin(endpoint, allow_http)?;
        let key = decode(p256dh).ok_or(PushError::PublicKey)?;
        let p256dh: [u8; PUBLIC_KEY_LEN] = key.try_into().map_err(|_| PushError::PublicKey)?;
        if p256dh[0] != 4 || PublicKey::from_sec1_bytes(&p256dh).is_err() {
            return Err(PushError::PublicKey);
        }
        let auth: [u8; AUTH_LEN] = decode(auth).ok_or(PushError::Auth)?.try_into().map_err(|_| PushError::Auth)?;
        Ok(Self { endpoint: endpoint.to_owned(), p256dh, auth })
    }
}

/// The origin (`scheme://host[:port]`) of a push endpoint: the audience of its VAPID token.
pub fn origin(endpoint: &str, allow_http: bool) -> Result<&str, PushError> {
    if endpoint.len() > MAX_PUSH_ENDPOINT_LEN || endpoint.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(PushError::Endpoint);
    }
    let rest = match endpoint.strip_prefix("https://") {
        Some(rest) => rest,
        None if allow_http => endpoint.strip_prefix("http://").ok_or(PushError::Endpoint)?,
        None => return Err(PushError::Endpoint),
    };
    let host_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..host_len];
    if host.is_empty() || host.contains('@') {
        return Err(PushError::Endpoint);
    }
    Ok(&endpoint[..endpoint.len() - rest.len() + host_len])
}

/// Base64url without padding, as the Web Push specifications write keys.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

/// The uncompressed public key of a private key.
pub fn public_key(private: &[u8; 32]) -> Result<[u8; PUBLIC_KEY_LEN], PushError> {
    let secret = SecretKey::from_slice(private).map_err(|_| PushError::PrivateKey)?;
    let point = secret.public_key().to_encoded_point(false);
    point.as_bytes().try_into().map_err(|_| PushError::PrivateKey)
}

fn ecdh(private: &[u8; 32], public: &[u8]) -> Result<[u8; 32], PushError> {
    let secret = SecretKey::from_slice(private).map_err(|_| PushError::PrivateKey)?;
    let public = PublicKey::from_sec1_bytes(public).map_err(|_| PushError::PublicKey)?;
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), public.as_affine());
    Ok((*shared.raw_secret_bytes()).into())
}

/// RFC 8291 §3.4: the input keying material for the content coding.
fn ikm(shared: &[u8; 32], auth: &[u8; AUTH_LEN], ua_public: &[u8], as_public: &[u8]) -> [u8; 32] {
    let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(auth), shared);
    let mut info = Vec::with_capacity(14 + 2 * PUBLIC_KEY_LEN);
    info.extend_from_slice(b"WebPush: info\0");
    info.extend_from_slice(ua_public);
    info.extend_from_slice(as_public);
    let mut out = [0u8; 32];
    hk.expand(&info, &mut out).expect("32 octets");
    out
}

/// Encrypts a push message for a subscription (RFC 8291): `as_private` is a fresh ephemeral
/// key and `salt` 16 fresh random octets, both drawn by the caller for every message.
pub fn encrypt(
    sub: &Subscription,
    plaintext: &[u8],
    as_private: &[u8; 32],
    salt: &[u8; 16],
) -> Result<Vec<u8>, PushError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(PushError::TooLong);
    }
    let as_public = public_key(as_private)?;
    let shared = ecdh(as_private, &sub.p256dh)?;
    let ikm = ikm(&shared, &sub.auth, &sub.p256dh, &as_public);
    ece::encrypt(&ikm, salt, &as_public, RECORD_SIZE, plaintext).map_err(PushError::Body)
}

/// Decrypts a push message as the browser does (the user agent's private key and auth
/// secret): what a push peer in the tests and the native tests use to check [`encrypt`].
pub fn decrypt(body: &[u8], ua_private: &[u8; 32], auth: &[u8; AUTH_LEN]) -> Result<Vec<u8>, PushError> {
    let h = ece::header(body).map_err(PushError::Body)?;
    let ua_public = public_key(ua_private)?;
    let shared = ecdh(ua_private, h.key_id)?;
    let ikm = ikm(&shared, auth, &ua_public, h.key_id);
    ece::decrypt(&ikm, body).map_err(PushError::Body)
}

/// One request to a push service: POST `url` with these headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// How urgently the push service should deliver (RFC 8030 §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// A new chat or a visitor's message: wake the device.
    High,
    Normal,
}

/// The whole request that delivers `plaintext` to a subscription: encrypted, signed by the
/// deployment's VAPID key (`vapid_private`) for `subject` (`mailto:` or `https:`), valid from
/// `now_s` (Unix seconds).
#[allow(clippy::too_many_arguments)]
pub fn request(
    sub: &Subscription,
    plaintext: &[u8],
    vapid_private: &[u8; 32],
    subject: &str,
    now_s: u64,
    urgency: Urgency,
    as_private: &[u8; 32],
    salt: &[u8; 16],
) -> Result<Request, PushError> {
    let body = encrypt(sub, plaintext, as_private, salt)?;
    // The endpoint was checked when the subscription was read (with or without http).
    let audience = origin(&sub.endpoint, true)?;
    let authorization = vapid::authorization(audience, subject, vapid_private, now_s)?;
    Ok(Request {
        url: sub.endpoint.clone(),
        headers: vec![
            ("authorization", authorization),
            ("content-encoding", "aes128gcm".to_owned()),
            ("content-type", "application/octet-stream".to_owned()),
            ("ttl", PUSH_TTL_SECS.to_string()),
            (
                "urgency",
                match urgency {
                    Urgency::High => "high",
                    Urgency::Normal => "normal",
                }
                .to_owned(),
            ),
        ],
        body,
    })
}

/// The RFC 8030 §5.4 `Topic` of an event named `key`: 32 base64url characters (the first 24
/// octets of its SHA-256), so a push service keeps at most one undelivered message per event
/// and a repeat of the event replaces it; also the notification's tag in the browser.
pub fn topic(key: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(key.as_bytes());
    b64url(&digest[..24])
}

/// What a push service's answer means for the subscription (RFC 8030 §§5–7, RFC 8292 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted (201, or any 2xx).
    Delivered,
    /// The subscription has expired or was removed (404, 410): forget it.
    Gone,
    /// Try again later (429, 5xx).
    Retry,
    /// Refused for good (400, 401, 403, 413 and the rest): keep the subscription, drop this
    /// message, and tell in the logs.
    Refused,
}

/// Reads a push service's status code.
pub fn outcome(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        404 | 410 => Outcome::Gone,
        429 | 500..=599 => Outcome::Retry,
        _ => Outcome::Refused,
    }
}

#[cfg(test)]
pub(crate) fn b64(s: &str) -> Vec<u8> {
    decode(s).expect("base64url")
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 8291 Appendix A, "Intermediate Values for Encryption", base64url as printed there.
    const PLAINTEXT: &str = "V2hlbiBJIGdyb3cgdXAsIEkgd2FudCB0byBiZSBhIHdhdGVybWVsb24";
    const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    const AS_PUBLIC: &str = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    const UA_PRIVATE: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
    const UA_PUBLIC: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const ECDH_SECRET: &str = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs";
    const CEK: &str = "oIhVW04MRdy2XN9CiKLxTg";
    const NONCE: &str = "4h_95klXJ5E_qnoN";
    const BODY: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    fn k32(s: &str) -> [u8; 32] {
        b64(s).try_into().unwrap()
    }

    fn rfc_subscription() -> Subscription {
        Subscription::new("https://push.example.net/push/JzLQ3raZJfFBR0aqvOMsLrt54w4rJUsV", UA_PUBLIC, AUTH, false)
            .unwrap()
    }

    #[test]
    fn rfc8291_appendix_a_byte_for_byte() {
        let sub = rfc_subscription();
        assert_eq!(public_key(&k32(AS_PRIVATE)).unwrap().to_vec(), b64(AS_PUBLIC));
        assert_eq!(public_key(&k32(UA_PRIVATE)).unwrap().to_vec(), b64(UA_PUBLIC));
        let shared = ecdh(&k32(AS_PRIVATE), &sub.p256dh).unwrap();
        assert_eq!(shared.to_vec(), b64(ECDH_SECRET));
        let ikm = ikm(&shared, &sub.auth, &sub.p256dh, &b64(AS_PUBLIC));
        let (cek, nonce) = ece::derive(&ikm, &b64(SALT).try_into().unwrap());
        assert_eq!((cek.to_vec(), nonce.to_vec()), (b64(CEK), b64(NONCE)));
        let body = encrypt(&sub, &b64(PLAINTEXT), &k32(AS_PRIVATE), &b64(SALT).try_into().unwrap()).unwrap();
        assert_eq!(b64url(&body), BODY);
        assert_eq!(
            String::from_utf8(decrypt(&body, &k32(UA_PRIVATE), &sub.auth).unwrap()).unwrap(),
            "When I grow up, I want to be a watermelon"
        );
    }

    #[test]
    fn only_the_subscriber_can_read_it() {
        let sub = rfc_subscription();
        let body = encrypt(&sub, b"new chat", &[3u8; 32], &[4u8; 16]).unwrap();
        assert_eq!(decrypt(&body, &k32(UA_PRIVATE), &sub.auth).unwrap(), b"new chat");
        assert!(matches!(decrypt(&body, &k32(UA_PRIVATE), &[0u8; 16]), Err(PushError::Body(_))));
        assert!(matches!(decrypt(&body, &k32(AS_PRIVATE), &sub.auth), Err(PushError::Body(_))));
    }

    #[test]
    fn payload_limit_is_the_push_services_4096_octets() {
        let sub = rfc_subscription();
        let fits = vec![b'x'; MAX_PLAINTEXT];
        assert_eq!(encrypt(&sub, &fits, &[3u8; 32], &[4u8; 16]).unwrap().len(), MAX_PUSH_PAYLOAD_BYTES);
        assert_eq!(encrypt(&sub, &[fits, vec![b'x']].concat(), &[3u8; 32], &[4u8; 16]), Err(PushError::TooLong));
    }

    #[test]
    fn subscriptions_are_checked() {
        let json = format!(
            r#"{{"endpoint":"https://fcm.googleapis.com/fcm/send/abc","expirationTime":null,"keys":{{"p256dh":"{UA_PUBLIC}","auth":"{AUTH}"}}}}"#
        );
        assert_eq!(Subscription::parse(&json, false).unwrap().endpoint, "https://fcm.googleapis.com/fcm/send/abc");
        let bad = |e: &str, k: &str, a: &str, http: bool| Subscription::new(e, k, a, http).unwrap_err();
        assert_eq!(bad("http://127.0.0.1:9/p", UA_PUBLIC, AUTH, false), PushError::Endpoint);
        assert!(Subscription::new("http://127.0.0.1:9/p", UA_PUBLIC, AUTH, true).is_ok());
        assert_eq!(bad("https://user@evil.example/p", UA_PUBLIC, AUTH, false), PushError::Endpoint);
        assert_eq!(bad("ftp://x/p", UA_PUBLIC, AUTH, true), PushError::Endpoint);
        assert_eq!(
            bad(&format!("https://x/{}", "a".repeat(MAX_PUSH_ENDPOINT_LEN)), UA_PUBLIC, AUTH, false),
            PushError::Endpoint
        );
        assert_eq!(bad("https://x/p", AUTH, AUTH, false), PushError::PublicKey);
        // 65 octets that are not a point on the curve.
        assert_eq!(bad("https://x/p", &b64url(&[4u8; 65]), AUTH, false), PushError::PublicKey);
        assert_eq!(bad("https://x/p", UA_PUBLIC, "AAAA", false), PushError::Auth);
        assert_eq!(origin("https://push.example.net:8443/a?b", false).unwrap(), "https://push.example.net:8443");
        assert_eq!(origin("http://127.0.0.1:5000", true).unwrap(), "http://127.0.0.1:5000");
    }

    #[test]
    fn the_request_carries_body_signature_and_headers() {
        let sub = rfc_subscription();
        let vapid = [5u8; 32];
        let r = request(
            &sub,
            b"hello",
            &vapid,
            "mailto:ops@example.com",
            1_700_000_000,
            Urgency::High,
            &[3u8; 32],
            &[4u8; 16],
        )
        .unwrap();
        assert_eq!(r.url, sub.endpoint);
        let h = |name: &str| r.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(h("content-encoding"), "aes128gcm");
        assert_eq!(h("urgency"), "high");
        assert_eq!(h("ttl"), PUSH_TTL_SECS.to_string());
        let claims = vapid::verify(&h("authorization"), &public_key(&vapid).unwrap()).unwrap();
        assert_eq!(claims.aud, "https://push.example.net");
        assert_eq!(decrypt(&r.body, &k32(UA_PRIVATE), &sub.auth).unwrap(), b"hello");
    }

    #[test]
    fn a_topic_is_32_url_safe_characters_one_per_event() {
        let t = topic("c_1/o_1/n1000");
        assert_eq!(t.len(), 32);
        assert!(t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{t}");
        assert_eq!(t, topic("c_1/o_1/n1000"));
        assert_ne!(t, topic("c_1/o_1/n1001"));
    }

    #[test]
    fn push_service_answers() {
        assert_eq!(outcome(201), Outcome::Delivered);
        assert_eq!(outcome(410), Outcome::Gone);
        assert_eq!(outcome(404), Outcome::Gone);
        assert_eq!(outcome(429), Outcome::Retry);
        assert_eq!(outcome(503), Outcome::Retry);
        assert_eq!(outcome(413), Outcome::Refused);
        assert_eq!(outcome(403), Outcome::Refused);
    }
}

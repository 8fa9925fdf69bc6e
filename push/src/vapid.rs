//! RFC 8292, "Voluntary Application Server Identification (VAPID) for Web Push": every
//! request to a push service carries `Authorization: vapid t=<JWT>, k=<public key>`, the JWT
//! signed with ES256 by the deployment's key, its audience the push service's origin, its
//! expiry at most 24 hours ahead.

use crate::{b64url, decode, public_key, PushError, PUBLIC_KEY_LEN};
use hmac::{Hmac, Mac};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use parley_protocol::limits::PUSH_VAPID_TOKEN_SECS;
use serde::{Deserialize, Serialize};

/// The claims of a VAPID token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub aud: String,
    pub exp: u64,
    pub sub: String,
}

// RFC 8292 §2: a token expires at most 24 hours after it is made.
const _: () = assert!(PUSH_VAPID_TOKEN_SECS <= 24 * 3_600);

const HEADER: &str = r#"{"typ":"JWT","alg":"ES256"}"#;

/// The deployment's VAPID private key, derived from its secret (`PARLEY_SECRET`): stable across
/// restarts and isolates without being stored, different for every deployment. The first
/// HMAC-SHA-256 output that is a valid P-256 scalar (all but a 2^-32 fraction are).
pub fn key_from_secret(secret: &[u8]) -> [u8; 32] {
    (0u32..)
        .map(|i| {
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key");
            mac.update(b"parley/vapid/v1/");
            mac.update(&i.to_be_bytes());
            <[u8; 32]>::from(mac.finalize().into_bytes())
        })
        .find(|k| p256::SecretKey::from_slice(k).is_ok())
        .expect("a valid scalar within a few tries")
}

/// The `Authorization` header's value for a push service at `audience` (its origin).
pub fn authorization(audience: &str, subject: &str, private: &[u8; 32], now_s: u64) -> Result<String, PushError> {
    if !(subject.starts_with("mailto:") || subject.starts_with("https:")) {
        return Err(PushError::Subject);
    }
    let claims = Claims { aud: audience.to_owned(), exp: now_s + PUSH_VAPID_TOKEN_SECS, sub: subject.to_owned() };
    let claims = serde_json::to_string(&claims).map_err(|_| PushError::Subject)?;
    let signing_input = format!("{}.{}", b64url(HEADER.as_bytes()), b64url(claims.as_bytes()));
    let key = SigningKey::from_slice(private).map_err(|_| PushError::PrivateKey)?;
    // RFC 6979 deterministic ECDSA: no randomness needed here.
    let signature: Signature = key.sign(signing_input.as_bytes());
    Ok(format!("vapid t={signing_input}.{}, k={}", b64url(&signature.to_bytes()), b64url(&public_key(private)?)))
}

/// Why an `Authorization` header was refused by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VapidError {
    Format,
    Key,
    Signature,
}

/// Checks an `Authorization: vapid …` header as a push service does: the key it names is
/// `expected_key`, the ES256 signature holds. Returns the claims (the caller checks `aud` and
/// `exp`).
pub fn verify(value: &str, expected_key: &[u8; PUBLIC_KEY_LEN]) -> Result<Claims, VapidError> {
    let rest = value.strip_prefix("vapid ").ok_or(VapidError::Format)?;
    let (mut token, mut key) = (None, None);
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => token = Some(v),
            Some(("k", v)) => key = Some(v),
            _ => return Err(VapidError::Format),
        }
    }
    let (token, key) = (token.ok_or(VapidError::Format)?, key.ok_or(VapidError::Format)?);
    if decode(key).as_deref() != Some(&expected_key[..]) {
        return Err(VapidError::Key);
    }
    let verifying = VerifyingKey::from_sec1_bytes(expected_key).map_err(|_| VapidError::Key)?;
    let (signing_input, sig) = token.rsplit_once('.').ok_or(VapidError::Format)?;
    let sig = Signature::from_slice(&decode(sig).ok_or(VapidError::Format)?).map_err(|_| VapidError::Signature)?;
    verifying.verify(signing_input.as_bytes(), &sig).map_err(|_| VapidError::Signature)?;
    let (header, claims) = signing_input.split_once('.').ok_or(VapidError::Format)?;
    let header: serde_json::Value =
        serde_json::from_slice(&decode(header).ok_or(VapidError::Format)?).map_err(|_| VapidError::Format)?;
    if header["alg"] != "ES256" {
        return Err(VapidError::Format);
    }
    serde_json::from_slice(&decode(claims).ok_or(VapidError::Format)?).map_err(|_| VapidError::Format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_token_verifies_with_its_key_only() {
        let key = key_from_secret(b"deployment secret");
        let public = public_key(&key).unwrap();
        let value = authorization("https://fcm.googleapis.com", "mailto:ops@example.com", &key, 1_000).unwrap();
        let claims = verify(&value, &public).unwrap();
        assert_eq!(
            claims,
            Claims {
                aud: "https://fcm.googleapis.com".into(),
                exp: 1_000 + PUSH_VAPID_TOKEN_SECS,
                sub: "mailto:ops@example.com".into()
            }
        );
        let other = public_key(&key_from_secret(b"another deployment")).unwrap();
        assert_eq!(verify(&value, &other), Err(VapidError::Key));
        // Same key named, claims altered: the signature no longer holds.
        let (t, k) = value.split_once(", k=").unwrap();
        let parts: Vec<&str> = t.trim_start_matches("vapid t=").split('.').collect();
        let forged_claims = b64url(br#"{"aud":"https://evil.example","exp":1,"sub":"mailto:x@y"}"#);
        let forged = format!("vapid t={}.{}.{}, k={k}", parts[0], forged_claims, parts[2]);
        assert_eq!(verify(&forged, &public), Err(VapidError::Signature));
        assert_eq!(verify("Bearer x", &public), Err(VapidError::Format));
    }

    #[test]
    fn the_key_is_stable_per_secret_and_signing_is_deterministic() {
        assert_eq!(key_from_secret(b"s"), key_from_secret(b"s"));
        assert_ne!(key_from_secret(b"s"), key_from_secret(b"t"));
        let k = key_from_secret(b"s");
        assert_eq!(
            authorization("https://a", "https://parley.example", &k, 5).unwrap(),
            authorization("https://a", "https://parley.example", &k, 5).unwrap()
        );
    }

    #[test]
    fn subject_must_be_a_contact() {
        assert_eq!(authorization("https://a", "ops@example.com", &key_from_secret(b"s"), 5), Err(PushError::Subject));
    }
}

//! Credentials: salted slow password hashes and HMAC-signed tokens (server side only); the
//! purpose keys visitor tokens, tickets, report links and identified ids are signed with are
//! [`crate::keys`]'.
//!
//! Salts and tokens are random bytes drawn by the caller; this module only computes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// PBKDF2-HMAC-SHA256 rounds for new hashes. Stored in each hash, so it can be raised later
/// without invalidating existing passwords.
pub const PBKDF2_ROUNDS: u32 = 100_000;

const SCHEME: &str = "pbkdf2-sha256";

/// Hashes `password` with `salt` (at least 16 random bytes) into a self-describing string
/// `pbkdf2-sha256$ROUNDS$SALT$HASH` (base64url).
pub fn hash_password(password: &str, salt: &[u8], rounds: u32) -> String {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, rounds, &mut out);
    format!("{SCHEME}${rounds}${}${}", B64.encode(salt), B64.encode(out))
}

/// Checks `password` against a hash made by [`hash_password`], in constant time.
/// A malformed hash never verifies.
pub fn verify_password(password: &str, encoded: &str) -> bool {
    let mut parts = encoded.split('$');
    let (Some(SCHEME), Some(rounds), Some(salt), Some(hash), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Ok(rounds), Ok(salt), Ok(expected)) = (rounds.parse::<u32>(), B64.decode(salt), B64.decode(hash)) else {
        return false;
    };
    if rounds == 0 || expected.len() != 32 {
        return false;
    }
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), &salt, rounds, &mut out);
    constant_time_eq(&out, &expected)
}

/// HMAC-SHA256 of `data` under `secret`, base64url without padding.
pub fn sign(secret: &[u8], data: &str) -> String {
    B64.encode(mac(secret, data))
}

/// Whether `signature` is [`sign`]`(secret, data)`, compared in constant time.
pub fn verify_signature(secret: &[u8], data: &str, signature: &str) -> bool {
    match B64.decode(signature) {
        Ok(sig) => constant_time_eq(&mac(secret, data), &sig),
        Err(_) => false,
    }
}

fn mac(secret: &[u8], data: &str) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(data.as_bytes());
    m.finalize().into_bytes().into()
}

/// SHA-256 of a session token, hex: what the database keeps instead of the token itself.
pub fn token_digest(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Base64url of random bytes drawn by the caller: a bearer token.
pub fn encode_token(random: &[u8]) -> String {
    B64.encode(random)
}

/// `Parley.identify({id, hash})`: what a site computes on its server to prove who its
/// logged-in user is — lowercase hex of `HMAC-SHA256(channel secret, id)` (the form every
/// language's standard library makes in one line).
pub fn identify_hash(channel_secret: &[u8], user_id: &str) -> String {
    mac(channel_secret, user_id).iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks an identify hash (hex, either case), in constant time.
pub fn verify_identify(channel_secret: &[u8], user_id: &str, hash: &str) -> bool {
    let want = identify_hash(channel_secret, user_id);
    constant_time_eq(want.as_bytes(), hash.trim().to_ascii_lowercase().as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identify_hashes() {
        // RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?").
        let h = identify_hash(b"Jefe", "what do ya want for nothing?");
        assert_eq!(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert!(verify_identify(b"Jefe", "what do ya want for nothing?", &h.to_uppercase()));
        assert!(!verify_identify(b"Jefe", "what do ya want for nothing!", &h));
        assert!(!verify_identify(b"other", "what do ya want for nothing?", &h));
        assert!(!verify_identify(b"Jefe", "what do ya want for nothing?", ""));
    }

    #[test]
    fn password_round_trip() {
        let h = hash_password("correct horse", b"0123456789abcdef", 1_000);
        assert!(h.starts_with("pbkdf2-sha256$1000$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct horsE", &h));
        assert!(!verify_password("", &h));
        // Same password, other salt: other hash.
        assert_ne!(h, hash_password("correct horse", b"fedcba9876543210", 1_000));
    }

    #[test]
    fn known_pbkdf2_vector() {
        // RFC 7914 §11 test vector for PBKDF2-HMAC-SHA256 ("passwd", "salt", 1 round).
        let h = hash_password("passwd", b"salt", 1);
        let hash = h.rsplit('$').next().unwrap();
        let bytes = B64.decode(hash).unwrap();
        assert_eq!(&bytes[..8], &[0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f]);
    }

    #[test]
    fn malformed_hashes_never_verify() {
        for bad in
            ["", "plain", "pbkdf2-sha256$0$AA$AA", "md5$1$AA$AA", "pbkdf2-sha256$x$AA$AA", "pbkdf2-sha256$1$!!$AA"]
        {
            assert!(!verify_password("x", bad), "{bad}");
        }
    }

    #[test]
    fn signatures() {
        let s = sign(b"k", "data");
        assert!(verify_signature(b"k", "data", &s));
        assert!(!verify_signature(b"k", "datA", &s));
        assert!(!verify_signature(b"K", "data", &s));
        assert!(!verify_signature(b"k", "data", "not base64!"));
    }

    #[test]
    fn digest_is_hex_sha256() {
        assert_eq!(token_digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}

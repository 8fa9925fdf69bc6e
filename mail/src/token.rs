//! Signed reply addresses: a mail the visitor may answer carries `Reply-To:
//! r-<conversation>-<expiry>-<mac>@<reply domain>`, so their reply finds its conversation
//! without any lookup table, and a forged or stale address is refused.
//!
//! The local part is lowercase ASCII (some mail servers fold case) and at most 64 octets
//! (RFC 5321 §4.5.3.1.1): the expiry in base 36, the MAC the first 10 octets of
//! HMAC-SHA-256 in hex.

use hmac::{Hmac, Mac};
use sha2::Sha256;

const PREFIX: &str = "r-";
const MAC_LEN: usize = 10;
/// Longest local part mail servers must accept.
pub const MAX_LOCAL_PART: usize = 64;

/// Why a reply address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not an address this deployment makes.
    Malformed,
    /// The MAC does not hold: made up, or altered.
    Forged,
    /// Past its expiry.
    Expired,
}

fn mac(secret: &[u8], conversation_id: &str, expires_at_s: u64) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key");
    m.update(b"parley/reply/v1\0");
    m.update(conversation_id.as_bytes());
    m.update(b"\0");
    m.update(&expires_at_s.to_be_bytes());
    m
}

fn base36(mut n: u64) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    digits.reverse();
    String::from_utf8(digits).expect("ascii")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// The local part of the reply address for a conversation, valid until `expires_at_s` (Unix
/// seconds); `None` when the conversation's id cannot be carried (not lowercase letters,
/// digits and `_`, or too long), in which case the mail goes out without a reply address.
pub fn local_part(secret: &[u8], conversation_id: &str, expires_at_s: u64) -> Option<String> {
    let safe = !conversation_id.is_empty()
        && conversation_id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !safe {
        return None;
    }
    let tag = mac(secret, conversation_id, expires_at_s).finalize().into_bytes();
    let local = format!("{PREFIX}{conversation_id}-{}-{}", base36(expires_at_s), hex(&tag[..MAC_LEN]));
    (local.len() <= MAX_LOCAL_PART).then_some(local)
}

/// The whole reply address at `domain`.
pub fn address(secret: &[u8], conversation_id: &str, expires_at_s: u64, domain: &str) -> Option<String> {
    local_part(secret, conversation_id, expires_at_s).map(|l| format!("{l}@{domain}"))
}

/// The conversation a reply address names, if it is this deployment's, unaltered and not
/// expired at `now_s`. Takes the whole address or its local part, any case.
pub fn read(secret: &[u8], address: &str, now_s: u64) -> Result<String, TokenError> {
    let local = address.rsplit_once('@').map_or(address, |(l, _)| l).trim().to_ascii_lowercase();
    let rest = local.strip_prefix(PREFIX).ok_or(TokenError::Malformed)?;
    let mut parts = rest.rsplitn(3, '-');
    let (tag, exp, conversation_id) = match (parts.next(), parts.next(), parts.next()) {
        (Some(t), Some(e), Some(c)) if !c.is_empty() => (t, e, c),
        _ => return Err(TokenError::Malformed),
    };
    let expires_at_s = u64::from_str_radix(exp, 36).map_err(|_| TokenError::Malformed)?;
    let tag = unhex(tag).filter(|t| t.len() == MAC_LEN).ok_or(TokenError::Malformed)?;
    mac(secret, conversation_id, expires_at_s).verify_truncated_left(&tag).map_err(|_| TokenError::Forged)?;
    if now_s > expires_at_s {
        return Err(TokenError::Expired);
    }
    Ok(conversation_id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"deployment secret";

    #[test]
    fn a_reply_address_names_its_conversation_until_it_expires() {
        let a = address(SECRET, "cv_0123456789abcdef01234567", 1_800_000_000, "reply.example.com").unwrap();
        assert!(a.ends_with("@reply.example.com"));
        assert!(a.split('@').next().unwrap().len() <= MAX_LOCAL_PART);
        assert_eq!(read(SECRET, &a, 1_700_000_000).unwrap(), "cv_0123456789abcdef01234567");
        // Mail servers may fold the case of the local part.
        assert_eq!(read(SECRET, &a.to_ascii_uppercase(), 1_700_000_000).unwrap(), "cv_0123456789abcdef01234567");
        assert_eq!(read(SECRET, &a, 1_800_000_001), Err(TokenError::Expired));
    }

    #[test]
    fn forged_altered_and_foreign_addresses_are_refused() {
        let a = local_part(SECRET, "cv_abc", 1_800_000_000).unwrap();
        assert_eq!(read(b"another deployment", &a, 0), Err(TokenError::Forged));
        // Another conversation with this MAC, or a later expiry.
        assert_eq!(read(SECRET, &a.replace("cv_abc", "cv_abd"), 0), Err(TokenError::Forged));
        let later = a.replace(&format!("-{}-", base36(1_800_000_000)), &format!("-{}-", base36(1_900_000_000)));
        assert_eq!(read(SECRET, &later, 0), Err(TokenError::Forged));
        for bad in ["support@example.com", "r-", "r-cv_abc", "r-cv_abc-zz", "r--1-00", "r-cv_abc-1-xyz"] {
            assert!(matches!(read(SECRET, bad, 0), Err(TokenError::Malformed | TokenError::Forged)), "{bad}");
        }
    }

    #[test]
    fn ids_that_cannot_be_carried_get_no_address() {
        assert_eq!(local_part(SECRET, "CV_Upper", 1), None);
        assert_eq!(local_part(SECRET, "cv-dash", 1), None);
        assert_eq!(local_part(SECRET, &"a".repeat(40), 1), None);
        assert_eq!(local_part(SECRET, "", 1), None);
    }
}

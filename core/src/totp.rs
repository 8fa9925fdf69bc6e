//! Two-factor login codes: TOTP (RFC 6238) over HOTP (RFC 4226), HMAC-SHA1 and six digits as
//! every authenticator app takes them; secrets in base32 (RFC 4648) and as an `otpauth://` URI.
//!
//! Pure: the time and the secret's random bytes come in. A code is accepted for its own 30 s
//! step and [`TOTP_SKEW_STEPS`] either side (clocks drift), and only for a step later than the
//! last one the operator used: a code seen once cannot be replayed, not even within its step.

use hmac::{Hmac, Mac};

use crate::limits::{TOTP_DIGITS, TOTP_SKEW_STEPS, TOTP_STEP_MS};

/// The hash of an HOTP computation. Operators' codes use SHA-1 (what authenticator apps
/// assume); the others are here for RFC 6238's test vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
}

fn hmac_of<M: Mac + hmac::digest::KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = <M as hmac::digest::KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

/// HOTP (RFC 4226 §5.3): dynamic truncation of `HMAC(key, counter)` to `digits` decimal digits.
pub fn hotp(algorithm: Algorithm, key: &[u8], counter: u64, digits: u32) -> String {
    let msg = counter.to_be_bytes();
    let mac = match algorithm {
        Algorithm::Sha1 => hmac_of::<Hmac<sha1::Sha1>>(key, &msg),
        Algorithm::Sha256 => hmac_of::<Hmac<sha2::Sha256>>(key, &msg),
        Algorithm::Sha512 => hmac_of::<Hmac<sha2::Sha512>>(key, &msg),
    };
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let bin = (u32::from(mac[offset]) & 0x7f) << 24
        | u32::from(mac[offset + 1]) << 16
        | u32::from(mac[offset + 2]) << 8
        | u32::from(mac[offset + 3]);
    let code = u64::from(bin) % 10u64.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// The TOTP time step `now_ms` falls in (T0 = 0).
pub fn step_of(now_ms: u64) -> u64 {
    now_ms / TOTP_STEP_MS
}

/// TOTP (RFC 6238 §4) at `now_ms`.
pub fn totp(algorithm: Algorithm, key: &[u8], now_ms: u64, digits: u32) -> String {
    hotp(algorithm, key, step_of(now_ms), digits)
}

/// Why a code was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not the code of any step in the window.
    Wrong,
    /// The code of a step at or before the last one used: a replay.
    Replayed,
}

/// Checks an operator's typed `code` against `secret` at `now_ms`: the step it belongs to, to
/// be stored as the last one used (the caller stores it only if it is still later than the
/// stored one, atomically, so two logins racing with one code cannot both pass), or why not.
pub fn check(secret: &[u8], code: &str, now_ms: u64, last_step: u64) -> Result<u64, Refusal> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != TOTP_DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::Wrong);
    }
    let now = step_of(now_ms);
    let mut found = None;
    for step in now.saturating_sub(TOTP_SKEW_STEPS)..=now + TOTP_SKEW_STEPS {
        // Every step of the window is computed and compared, whatever matched.
        if equal(hotp(Algorithm::Sha1, secret, step, TOTP_DIGITS).as_bytes(), code.as_bytes()) {
            found = Some(step);
        }
    }
    match found {
        None => Err(Refusal::Wrong),
        Some(step) if step <= last_step => Err(Refusal::Replayed),
        Some(step) => Ok(step),
    }
}

fn equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Base32 (RFC 4648 §6) without padding.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for b in bytes {
        buffer = (buffer << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The bytes of a base32 text (case, spaces and `=` padding ignored); `None` if not base32.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let c = c.to_ascii_uppercase() as u8;
        let v = ALPHABET.iter().position(|a| *a == c)? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

fn uri_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The Key Uri Format authenticator apps read: `otpauth://totp/Issuer:account?secret=…`.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={TOTP_DIGITS}&period={}",
        uri_escape(issuer),
        uri_escape(account),
        base32(secret),
        uri_escape(issuer),
        TOTP_STEP_MS / 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: the seeds and the 8-digit codes of each algorithm at each time.
    #[test]
    fn rfc6238_appendix_b_vectors() {
        let sha1 = b"12345678901234567890".to_vec();
        let sha256 = b"12345678901234567890123456789012".to_vec();
        let sha512 = b"1234567890123456789012345678901234567890123456789012345678901234".to_vec();
        let table: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (secs, c1, c256, c512) in table {
            let ms = secs * 1000;
            assert_eq!(totp(Algorithm::Sha1, &sha1, ms, 8), c1, "SHA1 at {secs}");
            assert_eq!(totp(Algorithm::Sha256, &sha256, ms, 8), c256, "SHA256 at {secs}");
            assert_eq!(totp(Algorithm::Sha512, &sha512, ms, 8), c512, "SHA512 at {secs}");
        }
    }

    /// RFC 4226 Appendix D: HOTP values of counters 0–9 (six digits).
    #[test]
    fn rfc4226_appendix_d_vectors() {
        let want = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
        for (counter, code) in want.iter().enumerate() {
            assert_eq!(hotp(Algorithm::Sha1, b"12345678901234567890", counter as u64, 6), *code);
        }
    }

    #[test]
    fn base32_is_rfc4648() {
        // RFC 4648 §10 (without padding).
        for (plain, coded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(plain.as_bytes()), coded);
            assert_eq!(from_base32(coded).unwrap(), plain.as_bytes());
        }
        assert_eq!(from_base32("mzxw 6ytb oi==").unwrap(), b"foobar");
        assert_eq!(from_base32("MZ1"), None);
    }

    #[test]
    fn a_code_passes_once_within_its_window() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111_000;
        let code = totp(Algorithm::Sha1, secret, now, TOTP_DIGITS);
        let step = check(secret, &code, now, 0).expect("the current code");
        assert_eq!(step, step_of(now));
        assert_eq!(check(secret, &code, now, step), Err(Refusal::Replayed), "the same code again");
        assert_eq!(check(secret, &code, now + 5_000, step), Err(Refusal::Replayed), "later in its step");
        // The previous and next steps' codes pass (drift); two steps away does not.
        let before = totp(Algorithm::Sha1, secret, now - TOTP_STEP_MS, TOTP_DIGITS);
        assert_eq!(check(secret, &before, now, 0), Ok(step - 1));
        let after = totp(Algorithm::Sha1, secret, now + TOTP_STEP_MS, TOTP_DIGITS);
        assert_eq!(check(secret, &after, now, step), Ok(step + 1));
        let far = totp(Algorithm::Sha1, secret, now - 2 * TOTP_STEP_MS, TOTP_DIGITS);
        assert_eq!(check(secret, &far, now, 0), Err(Refusal::Wrong));
        assert_eq!(check(secret, "12345", now, 0), Err(Refusal::Wrong));
        assert_eq!(check(secret, "abcdef", now, 0), Err(Refusal::Wrong));
        assert_eq!(check(b"another secret 12345", &code, now, 0), Err(Refusal::Wrong));
        assert_eq!(check(secret, &format!(" {} {} ", &code[..3], &code[3..]), now, 0), Ok(step), "spaces ignored");
    }

    #[test]
    fn the_uri_is_the_key_uri_format() {
        assert_eq!(
            otpauth_uri("Parley", "ann@acme", b"foobar"),
            "otpauth://totp/Parley:ann%40acme?secret=MZXW6YTBOI&issuer=Parley&algorithm=SHA1&digits=6&period=30"
        );
    }
}

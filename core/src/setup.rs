//! The setup code of a fresh deployment (issue 20): who may create its first account at
//! `/console/setup`. Derived from `PARLEY_SECRET`, so only whoever holds the secret (the
//! deployer, through `make setup-code` / `parley-tools setup-code`) can claim the deployment;
//! whoever merely finds its URL first cannot.
//!
//! The code is the first 100 bits of `HMAC-SHA256(secret, "parley setup code v1")` in base32
//! (20 characters, shown in groups of four); a typed code is compared in constant time after
//! dropping spaces and dashes and upper-casing it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::limits::SETUP_CODE_CHARS;
use crate::totp::base32;

/// The setup code of the deployment whose secret is `secret`, in groups of four
/// (`ABCD-EFGH-…`).
pub fn setup_code(secret: &[u8]) -> String {
    let plain = plain_code(secret);
    plain.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

fn plain_code(secret: &[u8]) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(b"parley setup code v1");
    let digest = m.finalize().into_bytes();
    base32(&digest)[..SETUP_CODE_CHARS].to_owned()
}

/// Whether `typed` (as normalised by `parley_protocol::accounts::normalise_code`, or raw: it is
/// normalised again) is this deployment's setup code. Constant time over the code's length.
pub fn is_setup_code(secret: &[u8], typed: &str) -> bool {
    let typed = parley_protocol::accounts::normalise_code(typed);
    let want = plain_code(secret);
    let (a, b) = (typed.as_bytes(), want.as_bytes());
    let mut diff = a.len() ^ b.len();
    for (i, want) in b.iter().enumerate() {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ want);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_derives_from_the_secret_alone() {
        let code = setup_code(b"0123456789abcdef-secret");
        assert_eq!(code.len(), SETUP_CODE_CHARS + SETUP_CODE_CHARS / 4 - 1);
        assert_eq!(code, setup_code(b"0123456789abcdef-secret"), "the same secret, the same code");
        assert_ne!(code, setup_code(b"0123456789abcdef-other"), "another secret, another code");
        assert!(code.chars().all(|c| c == '-' || c.is_ascii_uppercase() || ('2'..='7').contains(&c)));
    }

    #[test]
    fn a_typed_code_is_checked_loosely_in_form_strictly_in_content() {
        let secret = b"0123456789abcdef-secret";
        let code = setup_code(secret);
        assert!(is_setup_code(secret, &code));
        assert!(is_setup_code(secret, &code.to_lowercase().replace('-', " ")));
        assert!(is_setup_code(secret, &format!("  {}  ", code.replace('-', ""))));
        assert!(!is_setup_code(secret, &code[..code.len() - 1]), "a character short");
        assert!(!is_setup_code(secret, &format!("{code}A")), "a character more");
        assert!(!is_setup_code(secret, &setup_code(b"0123456789abcdef-other")));
        assert!(!is_setup_code(secret, ""));
        let mut wrong = code.into_bytes();
        wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
        assert!(!is_setup_code(secret, std::str::from_utf8(&wrong).unwrap()));
    }
}

//! Operator passwords: PBKDF2-HMAC-SHA256 at Cloudflare's ceiling plus a secret pepper, the
//! scheme and its parameters stored with every hash.
//!
//! OWASP's current guidance for PBKDF2-HMAC-SHA256 is 600,000 iterations, but Cloudflare's
//! production runtime refuses WebCrypto PBKDF2 above [`CLOUDFLARE_MAX_ITERATIONS`] (100,000)
//! while `wrangler dev` accepts any count — so new hashes use exactly that ceiling and add a
//! pepper: the password is first replaced by `HMAC-SHA256(pepper key, password)`, the pepper
//! key derived from `PARLEY_SECRET` (never in the database), so a stolen database alone cannot
//! be attacked offline. The edge runs PBKDF2 through WebCrypto (native code, not wasm); this
//! module decides everything else: the stored format, what goes into PBKDF2, whether a hash
//! matches and whether it must be upgraded.
//!
//! Stored: `pbkdf2-sha256$ITERATIONS$SALT$HASH$KID` (base64url, KID names the pepper key).
//! Older hashes `pbkdf2-sha256$ITERATIONS$SALT$HASH` (no pepper, [`crate::auth::hash_password`],
//! what `parley-tools hash-password` and the demo seed make) still verify and are upgraded at
//! the next successful login.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The scheme name at the head of every stored hash.
pub const SCHEME: &str = "pbkdf2-sha256";
/// The WebCrypto hash of the PBKDF2 (`{name: "PBKDF2", hash: DIGEST}`).
pub const DIGEST: &str = "SHA-256";
/// Iterations of new hashes: exactly what Cloudflare's production accepts.
pub const ITERATIONS: u32 = 100_000;
/// The most PBKDF2 iterations Cloudflare's production WebCrypto accepts (`wrangler dev` takes
/// any count: a higher one would pass every local test and fail every login once deployed).
pub const CLOUDFLARE_MAX_ITERATIONS: u32 = 100_000;
/// Random salt of each new hash, in bytes.
pub const SALT_BYTES: usize = 16;
/// PBKDF2 output, in bytes (`deriveBits` length `HASH_BYTES * 8`).
pub const HASH_BYTES: usize = 32;
/// The label the pepper key is derived under from `PARLEY_SECRET`.
const PEPPER_LABEL: &str = "parley/password-pepper/v1";

/// The pepper key and its id (stored with each hash, so a rotated secret is recognised).
#[derive(Clone)]
pub struct Pepper {
    kid: String,
    key: [u8; 32],
}

impl std::fmt::Debug for Pepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pepper({})", self.kid) // never the key
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

impl Pepper {
    /// The pepper of a deployment: `HMAC(PARLEY_SECRET, label)`, its id the first 4 bytes of
    /// the key's SHA-256 in hex.
    pub fn from_secret(secret: &[u8]) -> Pepper {
        let key = hmac(secret, PEPPER_LABEL.as_bytes());
        let kid: String = Sha256::digest(key).iter().take(4).map(|b| format!("{b:02x}")).collect();
        Pepper { kid, key }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// What PBKDF2 runs over instead of the password.
    fn apply(&self, password: &str) -> Vec<u8> {
        hmac(&self.key, password.as_bytes()).to_vec()
    }
}

/// A stored hash, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredHash {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
    /// The pepper key's id; `None` for an older hash made without a pepper.
    pub kid: Option<String>,
}

/// What to run PBKDF2 over (then compare with [`StoredHash::matches`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Derive {
    pub input: Vec<u8>,
    pub salt: Vec<u8>,
    pub iterations: u32,
}

impl StoredHash {
    /// Reads a stored hash; `None` for anything malformed (it never verifies).
    pub fn parse(encoded: &str) -> Option<StoredHash> {
        let mut parts = encoded.split('$');
        let (Some(SCHEME), Some(iterations), Some(salt), Some(hash)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let kid = match (parts.next(), parts.next()) {
            (None, _) => None,
            (Some(kid), None) if !kid.is_empty() && kid.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                Some(kid.to_owned())
            }
            _ => return None,
        };
        let iterations = iterations.parse::<u32>().ok().filter(|&i| i > 0)?;
        let (salt, hash) = (B64.decode(salt).ok()?, B64.decode(hash).ok()?);
        (hash.len() == HASH_BYTES && !salt.is_empty()).then_some(StoredHash { iterations, salt, hash, kid })
    }

    pub fn encode(&self) -> String {
        let base = format!("{SCHEME}${}${}${}", self.iterations, B64.encode(&self.salt), B64.encode(&self.hash));
        match &self.kid {
            Some(kid) => format!("{base}${kid}"),
            None => base,
        }
    }

    /// The PBKDF2 to run to check `password`; `None` when it cannot match here (a hash
    /// peppered with another key, or more iterations than production accepts).
    pub fn derive(&self, password: &str, pepper: &Pepper) -> Option<Derive> {
        if !production_accepts(self.iterations) {
            return None;
        }
        let input = match &self.kid {
            None => password.as_bytes().to_vec(),
            Some(kid) if *kid == pepper.kid => pepper.apply(password),
            Some(_) => return None,
        };
        Some(Derive { input, salt: self.salt.clone(), iterations: self.iterations })
    }

    /// Whether PBKDF2's output is this hash, compared in constant time.
    pub fn matches(&self, derived: &[u8]) -> bool {
        derived.len() == self.hash.len() && derived.iter().zip(&self.hash).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    /// Whether a successful login should store a new hash: no pepper, another pepper key, or
    /// other parameters than today's.
    pub fn needs_upgrade(&self, pepper: &Pepper) -> bool {
        self.iterations != ITERATIONS || self.salt.len() != SALT_BYTES || self.kid.as_deref() != Some(pepper.kid())
    }
}

/// The PBKDF2 of a new hash of `password` with a fresh random `salt`; then [`new_hash`].
pub fn derive_new(password: &str, salt: [u8; SALT_BYTES], pepper: &Pepper) -> Derive {
    Derive { input: pepper.apply(password), salt: salt.to_vec(), iterations: ITERATIONS }
}

/// The stored form of a new hash: PBKDF2's output of [`derive_new`].
pub fn new_hash(salt: [u8; SALT_BYTES], derived: &[u8], pepper: &Pepper) -> String {
    StoredHash { iterations: ITERATIONS, salt: salt.to_vec(), hash: derived.to_vec(), kid: Some(pepper.kid.clone()) }
        .encode()
}

/// What a login checks when the username is unknown: the same work as a real check (same
/// iterations, a pepper), so the answer's timing does not tell whether a username exists.
pub fn dummy(pepper: &Pepper) -> StoredHash {
    StoredHash {
        iterations: ITERATIONS,
        salt: vec![0x5a; SALT_BYTES],
        hash: vec![0; HASH_BYTES],
        kid: Some(pepper.kid.clone()),
    }
}

/// Whether Cloudflare's production runtime runs a PBKDF2 of this many iterations.
pub fn production_accepts(iterations: u32) -> bool {
    (1..=CLOUDFLARE_MAX_ITERATIONS).contains(&iterations)
}

/// The PBKDF2 itself in Rust (tools and tests; the edge uses WebCrypto, which is native code).
pub fn pbkdf2_native(d: &Derive) -> [u8; HASH_BYTES] {
    let mut out = [0u8; HASH_BYTES];
    pbkdf2::pbkdf2_hmac::<Sha256>(&d.input, &d.salt, d.iterations, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pepper() -> Pepper {
        Pepper::from_secret(b"0123456789abcdef-secret")
    }

    /// Every parameter pinned to what Cloudflare's production runtime accepts: a change here
    /// must be checked against production first (`wrangler dev` accepts anything).
    #[test]
    fn every_parameter_is_what_production_accepts() {
        assert_eq!(CLOUDFLARE_MAX_ITERATIONS, 100_000, "Cloudflare refuses PBKDF2 above 100,000 iterations");
        assert!(production_accepts(ITERATIONS), "new hashes must verify in production");
        assert_eq!(ITERATIONS, CLOUDFLARE_MAX_ITERATIONS, "as slow as production allows");
        assert!(!production_accepts(CLOUDFLARE_MAX_ITERATIONS + 1) && !production_accepts(0));
        assert_eq!((SCHEME, DIGEST), ("pbkdf2-sha256", "SHA-256"));
        assert_eq!((SALT_BYTES, HASH_BYTES), (16, 32), "128-bit salt, 256-bit output (deriveBits 256)");
        let d = derive_new("pw", [7; SALT_BYTES], &pepper());
        assert!(production_accepts(d.iterations) && d.salt.len() == SALT_BYTES);
        let dummy = dummy(&pepper());
        assert!(production_accepts(dummy.iterations) && dummy.iterations == ITERATIONS && dummy.kid.is_some());
        // A stored hash above the ceiling is never run (it would fail in production).
        let big = StoredHash { iterations: 600_000, ..dummy };
        assert_eq!(big.derive("pw", &pepper()), None);
    }

    #[test]
    fn a_new_hash_verifies_and_needs_no_upgrade() {
        let p = pepper();
        let salt = [9u8; SALT_BYTES];
        // One real run at the production parameters (slow in a debug build: only this one).
        let d = derive_new("correct horse", salt, &p);
        let stored = new_hash(salt, &pbkdf2_native(&d), &p);
        assert!(stored.starts_with("pbkdf2-sha256$100000$") && stored.ends_with(&format!("${}", p.kid())));
        let h = StoredHash::parse(&stored).unwrap();
        assert_eq!(h.encode(), stored);
        assert!(!h.needs_upgrade(&p));
        assert_eq!(h.derive("correct horse", &p), Some(d), "the check runs what the hash was made with");
        // The same rules at fewer iterations, for the wrong passwords.
        let fast = |password: &str| Derive { iterations: 1_000, ..derive_new(password, salt, &p) };
        let h = StoredHash { iterations: 1_000, hash: pbkdf2_native(&fast("correct horse")).to_vec(), ..h };
        assert!(h.matches(&pbkdf2_native(&h.derive("correct horse", &p).unwrap())));
        assert!(!h.matches(&pbkdf2_native(&h.derive("correct horsE", &p).unwrap())));
        assert!(h.needs_upgrade(&p), "fewer iterations than today's");
        // The pepper is part of the hash: the same password without it does not match.
        let unpeppered = Derive { input: b"correct horse".to_vec(), salt: salt.to_vec(), iterations: 1_000 };
        assert!(!h.matches(&pbkdf2_native(&unpeppered)));
        // Another secret: another key id, so the hash cannot be checked (and says why).
        let other = Pepper::from_secret(b"another secret 1234");
        assert_ne!(other.kid(), p.kid());
        assert_eq!(h.derive("correct horse", &other), None);
        assert!(h.needs_upgrade(&other));
    }

    #[test]
    fn older_hashes_verify_and_are_upgraded() {
        let p = pepper();
        let old = crate::auth::hash_password("correct horse", b"0123456789abcdef", 1_000);
        let h = StoredHash::parse(&old).unwrap();
        assert_eq!((h.kid.as_deref(), h.iterations), (None, 1_000));
        assert_eq!(h.encode(), old);
        assert!(h.matches(&pbkdf2_native(&h.derive("correct horse", &p).unwrap())));
        assert!(!h.matches(&pbkdf2_native(&h.derive("wrong", &p).unwrap())));
        assert!(h.needs_upgrade(&p));
        // The demo seed's kind: 100,000 iterations, no pepper.
        let seed = StoredHash::parse(&crate::auth::hash_password("x", b"0123456789abcdef", ITERATIONS)).unwrap();
        assert!(seed.needs_upgrade(&p));
    }

    #[test]
    fn malformed_hashes_never_parse() {
        for bad in [
            "",
            "plain",
            "md5$1$AAAA$AAAA",
            "pbkdf2-sha256$0$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "pbkdf2-sha256$x$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "pbkdf2-sha256$1$!!$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "pbkdf2-sha256$1$AAAA$AAAA",
            "pbkdf2-sha256$1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$",
            "pbkdf2-sha256$1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$k$extra",
            "pbkdf2-sha256$1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$k-1",
        ] {
            assert_eq!(StoredHash::parse(bad), None, "{bad}");
        }
        assert!(StoredHash::parse("pbkdf2-sha256$1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$ab12").is_some());
    }

    #[test]
    fn the_dummy_costs_a_real_check_and_matches_nothing() {
        let p = pepper();
        let d = dummy(&p);
        let run = d.derive("anything", &p).expect("the dummy is always run");
        assert_eq!((run.iterations, run.salt.len()), (ITERATIONS, SALT_BYTES), "the work of a real check");
        assert_eq!(run.input.len(), 32, "peppered like a real check");
        assert!(!d.matches(&[0x5a; HASH_BYTES]) && !d.matches(&[]));
        assert!(format!("{p:?}").contains(p.kid()) && !format!("{p:?}").contains("key"));
    }
}

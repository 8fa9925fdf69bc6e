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
//!
//! The pepper follows a rotation of `PARLEY_SECRET` like every other key ([`crate::keys`]):
//! while `PARLEY_SECRET_PREVIOUS` is set, [`Peppers`] holds both, a hash peppered under either
//! verifies (its KID says which, so a login still runs ONE PBKDF2) and a login with the previous
//! one is upgraded to the current. [`LoginCheck`] is what a login runs: the stored hash's check,
//! or the same work against a [`dummy`] when there is nothing to check.

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

/// The peppers a login checks against: the current one (every new hash) and, during a rotation
/// of `PARLEY_SECRET`, the previous one (`PARLEY_SECRET_PREVIOUS`).
#[derive(Clone, Debug)]
pub struct Peppers {
    pub current: Pepper,
    pub previous: Option<Pepper>,
}

impl Peppers {
    /// The peppers of the current secret and of the previous one, if any (the same secret as
    /// "previous" adds nothing).
    pub fn from_secrets(secret: &[u8], previous: Option<&[u8]>) -> Peppers {
        Peppers {
            current: Pepper::from_secret(secret),
            previous: previous.filter(|p| *p != secret).map(Pepper::from_secret),
        }
    }

    /// The pepper with id `kid`: the current one first, then the previous one.
    pub fn find(&self, kid: &str) -> Option<&Pepper> {
        std::iter::once(&self.current).chain(&self.previous).find(|p| p.kid == kid)
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

    /// The PBKDF2 to run to check `password`: peppered with the current or the previous pepper,
    /// whichever the hash names; `None` when it cannot match here (a hash peppered with a key
    /// of neither secret, or more iterations than production accepts).
    pub fn derive(&self, password: &str, peppers: &Peppers) -> Option<Derive> {
        if !production_accepts(self.iterations) {
            return None;
        }
        let input = match &self.kid {
            None => password.as_bytes().to_vec(),
            Some(kid) => peppers.find(kid)?.apply(password),
        };
        Some(Derive { input, salt: self.salt.clone(), iterations: self.iterations })
    }

    /// Whether PBKDF2's output is this hash, compared in constant time.
    pub fn matches(&self, derived: &[u8]) -> bool {
        derived.len() == self.hash.len() && derived.iter().zip(&self.hash).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    /// Whether a successful login should store a new hash: no pepper, another pepper key than
    /// the current one (the previous secret's, during a rotation), or other parameters than
    /// today's.
    pub fn needs_upgrade(&self, current: &Pepper) -> bool {
        self.iterations != ITERATIONS || self.salt.len() != SALT_BYTES || self.kid.as_deref() != Some(current.kid())
    }
}

/// What one login attempt checks: exactly one PBKDF2 ([`LoginCheck::run`]) whatever the
/// outcome, so the answer's timing does not tell an unknown or disabled username, an unreadable
/// hash or one of a forgotten secret from a wrong password.
#[derive(Clone, Debug)]
pub struct LoginCheck {
    /// The PBKDF2 to run (WebCrypto at the edge).
    pub run: Derive,
    hash: StoredHash,
    /// Whether `hash` is the account's (not the dummy).
    real: bool,
}

impl LoginCheck {
    /// The check of `password` against `stored` (the account's stored hash; `None` for an
    /// unknown username): the stored hash's PBKDF2 under the pepper it names, or the
    /// [`dummy`]'s under the current pepper when it cannot be checked here.
    pub fn plan(stored: Option<&str>, password: &str, peppers: &Peppers) -> LoginCheck {
        let stored = stored.and_then(StoredHash::parse);
        match stored.and_then(|h| h.derive(password, peppers).map(|run| (h, run))) {
            Some((hash, run)) => LoginCheck { run, hash, real: true },
            None => {
                let hash = dummy(&peppers.current);
                let run = hash.derive(password, peppers).expect("the dummy is peppered with the current key");
                LoginCheck { run, hash, real: false }
            }
        }
    }

    /// Whether PBKDF2's output proves the password (never for the dummy).
    pub fn matches(&self, derived: &[u8]) -> bool {
        self.hash.matches(derived) && self.real
    }

    /// Whether the matched hash is to be replaced by a new one under the current pepper and
    /// today's parameters (the upgrade at login; a hash of the previous secret included).
    pub fn needs_upgrade(&self, peppers: &Peppers) -> bool {
        self.real && self.hash.needs_upgrade(&peppers.current)
    }

    /// The id of the pepper the matched hash was checked with (`None`: no pepper).
    pub fn kid(&self) -> Option<&str> {
        self.hash.kid.as_deref()
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

    /// Only `p`: no rotation under way.
    fn only(p: &Pepper) -> Peppers {
        Peppers { current: p.clone(), previous: None }
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
        assert_eq!(big.derive("pw", &only(&pepper())), None);
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
        assert_eq!(h.derive("correct horse", &only(&p)), Some(d), "the check runs what the hash was made with");
        // The same rules at fewer iterations, for the wrong passwords.
        let fast = |password: &str| Derive { iterations: 1_000, ..derive_new(password, salt, &p) };
        let h = StoredHash { iterations: 1_000, hash: pbkdf2_native(&fast("correct horse")).to_vec(), ..h };
        assert!(h.matches(&pbkdf2_native(&h.derive("correct horse", &only(&p)).unwrap())));
        assert!(!h.matches(&pbkdf2_native(&h.derive("correct horsE", &only(&p)).unwrap())));
        assert!(h.needs_upgrade(&p), "fewer iterations than today's");
        // The pepper is part of the hash: the same password without it does not match.
        let unpeppered = Derive { input: b"correct horse".to_vec(), salt: salt.to_vec(), iterations: 1_000 };
        assert!(!h.matches(&pbkdf2_native(&unpeppered)));
        // Another secret: another key id, so the hash cannot be checked (and says why).
        let other = Pepper::from_secret(b"another secret 1234");
        assert_ne!(other.kid(), p.kid());
        assert_eq!(h.derive("correct horse", &only(&other)), None);
        assert!(h.needs_upgrade(&other));
    }

    #[test]
    fn older_hashes_verify_and_are_upgraded() {
        let p = pepper();
        let old = crate::auth::hash_password("correct horse", b"0123456789abcdef", 1_000);
        let h = StoredHash::parse(&old).unwrap();
        assert_eq!((h.kid.as_deref(), h.iterations), (None, 1_000));
        assert_eq!(h.encode(), old);
        assert!(h.matches(&pbkdf2_native(&h.derive("correct horse", &only(&p)).unwrap())));
        assert!(!h.matches(&pbkdf2_native(&h.derive("wrong", &only(&p)).unwrap())));
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
        let run = d.derive("anything", &only(&p)).expect("the dummy is always run");
        assert_eq!((run.iterations, run.salt.len()), (ITERATIONS, SALT_BYTES), "the work of a real check");
        assert_eq!(run.input.len(), 32, "peppered like a real check");
        assert!(!d.matches(&[0x5a; HASH_BYTES]) && !d.matches(&[]));
        assert!(format!("{p:?}").contains(p.kid()) && !format!("{p:?}").contains("key"));
    }

    /// A hash made under secret A, at `iterations`.
    fn hash_under(p: &Pepper, password: &str, iterations: u32) -> String {
        let salt = [3u8; SALT_BYTES];
        let made = Derive { iterations, ..derive_new(password, salt, p) };
        StoredHash { iterations, salt: salt.to_vec(), hash: pbkdf2_native(&made).to_vec(), kid: Some(p.kid().into()) }
            .encode()
    }

    #[test]
    fn a_hash_of_the_previous_secret_logs_in_during_a_rotation_and_is_upgraded() {
        let (secret_a, secret_b) = (&b"0123456789abcdef-secret-A"[..], &b"0123456789abcdef-secret-B"[..]);
        let a = Pepper::from_secret(secret_a);
        let rotating = Peppers::from_secrets(secret_b, Some(secret_a));
        let after = Peppers::from_secrets(secret_b, None);
        assert_eq!(rotating.current.kid(), after.current.kid());
        assert_eq!(rotating.previous.as_ref().map(Pepper::kid), Some(a.kid()));
        assert!(Peppers::from_secrets(secret_b, Some(secret_b)).previous.is_none(), "the same secret adds nothing");
        // Fewer iterations than today's so the test is quick; the rules are the same.
        let stored = hash_under(&a, "correct horse", 1_000);

        // During the rotation: ONE PBKDF2, peppered with A (the hash's kid says so), matches and
        // is upgraded to the current pepper.
        let check = LoginCheck::plan(Some(&stored), "correct horse", &rotating);
        assert_eq!(check.run.input, a.apply("correct horse"));
        assert_eq!(check.kid(), Some(a.kid()));
        assert!(check.matches(&pbkdf2_native(&check.run)));
        assert!(check.needs_upgrade(&rotating));
        let wrong = LoginCheck::plan(Some(&stored), "correct horsE", &rotating);
        assert!(!wrong.matches(&pbkdf2_native(&wrong.run)));

        // Once A is forgotten the hash cannot be checked: the dummy's work, never a match.
        let gone = LoginCheck::plan(Some(&stored), "correct horse", &after);
        assert!(!gone.matches(&pbkdf2_native(&gone.run)));
        assert!(!gone.needs_upgrade(&after), "nothing matched, nothing to upgrade");
        assert_eq!((gone.run.iterations, gone.run.input.len()), (ITERATIONS, 32));

        // A hash of the current pepper at today's parameters verifies with or without A and
        // needs no upgrade (parameters only: no PBKDF2 run here).
        let current = StoredHash {
            iterations: ITERATIONS,
            salt: vec![1; SALT_BYTES],
            hash: vec![2; HASH_BYTES],
            kid: Some(after.current.kid().into()),
        }
        .encode();
        for peppers in [&rotating, &after] {
            let c = LoginCheck::plan(Some(&current), "pw", peppers);
            assert_eq!(c.run.input, peppers.current.apply("pw"));
            assert!(!c.needs_upgrade(peppers));
        }
        // An upgraded hash under B (what the login stores) logs in after the rotation.
        let upgraded = hash_under(&after.current, "correct horse", 1_000);
        let c = LoginCheck::plan(Some(&upgraded), "correct horse", &after);
        assert!(c.matches(&pbkdf2_native(&c.run)));
    }

    #[test]
    fn every_refused_login_costs_one_pbkdf2_at_todays_parameters() {
        let a = Pepper::from_secret(b"0123456789abcdef-secret-A");
        let peppers = Peppers::from_secrets(b"0123456789abcdef-secret-B", Some(b"0123456789abcdef-secret-A"));
        let forgotten = StoredHash {
            iterations: ITERATIONS,
            salt: vec![1; SALT_BYTES],
            hash: vec![2; HASH_BYTES],
            kid: Some("0badc0de".into()),
        }
        .encode();
        let too_many = StoredHash { iterations: 600_000, kid: None, ..StoredHash::parse(&forgotten).unwrap() }.encode();
        let previous = StoredHash { kid: Some(a.kid().into()), ..StoredHash::parse(&forgotten).unwrap() }.encode();
        // Unknown username, unreadable hash, a pepper of neither secret, a count production
        // refuses: the dummy; a real hash of either pepper: its own. The same work each time.
        for stored in
            [None, Some("not a hash"), Some(forgotten.as_str()), Some(too_many.as_str()), Some(previous.as_str())]
        {
            let c = LoginCheck::plan(stored, "guess", &peppers);
            assert_eq!(
                (c.run.iterations, c.run.salt.len(), c.run.input.len()),
                (ITERATIONS, SALT_BYTES, 32),
                "{stored:?}"
            );
            assert!(!c.matches(&[2; HASH_BYTES]) || stored == Some(previous.as_str()), "{stored:?}");
        }
        let dummy = LoginCheck::plan(None, "guess", &peppers);
        assert!(!dummy.matches(&[0; HASH_BYTES]), "the dummy's own bytes never log in");
        assert_eq!(dummy.kid(), Some(peppers.current.kid()));
    }
}

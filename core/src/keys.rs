//! One signing key per purpose, derived from the deployment's secret, each with a key id
//! (`kid`) carried in what it signs so the secret can rotate.
//!
//! - A purpose key is `HMAC-SHA256(secret, "parley key v1\n" + purpose label)`: a visitor token
//!   can never pass as a report link's signature or a socket ticket, even over the same text.
//! - Its kid is the first 4 bytes (8 hex digits) of `HMAC-SHA256(key, "kid")`: it names the key
//!   without revealing it, and differs per purpose and per secret.
//! - A [`Keyring`] holds the current key and, during a rotation, the previous one
//!   (`PARLEY_SECRET_PREVIOUS`): new tokens are signed with the current key, tokens of either
//!   key verify; a token whose kid is unknown never does.
//! - Socket tickets ([`mint_ticket`], [`read_ticket`], [`admit_ticket`]): the visitor's
//!   WebSocket opens with a ticket that names one conversation and visitor, lives
//!   [`TICKET_TTL_MS`] and is spent once (the conversation's object remembers spent nonces until
//!   they expire).
//!
//! No clock, no randomness: `now` and nonces come in as arguments.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a socket ticket may be used after it was minted.
pub use crate::limits::SOCKET_TICKET_TTL_MS as TICKET_TTL_MS;

/// What a key signs; each purpose has its own key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The visitor token proving a visitor id.
    VisitorToken,
    /// Public report links.
    ReportLink,
    /// The visitor id of a user a site identified.
    IdentifiedId,
    /// Short-lived tickets opening a visitor's socket.
    SocketTicket,
    /// The token a `send` names an uploaded file with (issue 21, [`crate::attachments`]).
    AttachmentToken,
    /// Short-lived links reading a file (issue 21).
    FileLink,
}

impl Purpose {
    pub const ALL: [Purpose; 6] = [
        Purpose::VisitorToken,
        Purpose::ReportLink,
        Purpose::IdentifiedId,
        Purpose::SocketTicket,
        Purpose::AttachmentToken,
        Purpose::FileLink,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Purpose::VisitorToken => "visitor-token",
            Purpose::ReportLink => "report-link",
            Purpose::IdentifiedId => "identified-id",
            Purpose::SocketTicket => "socket-ticket",
            Purpose::AttachmentToken => "attachment-token",
            Purpose::FileLink => "file-link",
        }
    }
}

/// A purpose key and its id.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    pub kid: String,
    bytes: [u8; 32],
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({})", self.kid)
    }
}

fn mac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Key {
    /// The key of `purpose` under `secret`.
    pub fn derive(secret: &[u8], purpose: Purpose) -> Key {
        let bytes = mac(secret, format!("parley key v1\n{}", purpose.label()).as_bytes());
        let kid = hex(&mac(&bytes, b"kid")[..4]);
        Key { kid, bytes }
    }

    /// The raw key, for signers with their own format (report links).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// HMAC-SHA256 of `data` under this key.
    pub fn mac(&self, data: &str) -> [u8; 32] {
        mac(&self.bytes, data.as_bytes())
    }
}

/// The current key of a purpose and, while a rotation is under way, the previous one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyring {
    pub current: Key,
    pub previous: Option<Key>,
}

impl Keyring {
    /// The keys of `purpose` under the current secret and the previous one, if any.
    pub fn new(secret: &[u8], previous: Option<&[u8]>, purpose: Purpose) -> Keyring {
        Keyring {
            current: Key::derive(secret, purpose),
            previous: previous.filter(|p| *p != secret).map(|p| Key::derive(p, purpose)),
        }
    }

    /// The key with id `kid`, current or previous.
    pub fn find(&self, kid: &str) -> Option<&Key> {
        std::iter::once(&self.current).chain(&self.previous).find(|k| k.kid == kid)
    }

    /// `KID.SIG`: the current key's id and the base64url HMAC of `data`.
    pub fn sign(&self, data: &str) -> String {
        format!("{}.{}", self.current.kid, B64.encode(self.current.mac(data)))
    }

    /// Whether `token` is [`Keyring::sign`]`(data)` under the current or the previous key
    /// (constant-time comparison; an unknown kid or a malformed token never verifies).
    pub fn verify(&self, data: &str, token: &str) -> bool {
        let Some((kid, sig)) = token.split_once('.') else { return false };
        let (Some(key), Ok(sig)) = (self.find(kid), B64.decode(sig)) else { return false };
        constant_time_eq(&key.mac(data), &sig)
    }
}

/// The token a visitor presents to prove they own `visitor_id` (`KID.SIG` over
/// `"visitor:" + id`, under the visitor-token key).
pub fn visitor_token(ring: &Keyring, visitor_id: &str) -> String {
    ring.sign(&format!("visitor:{visitor_id}"))
}

/// Checks a visitor token made by [`visitor_token`] with either key of the ring.
pub fn verify_visitor_token(ring: &Keyring, visitor_id: &str, token: &str) -> bool {
    ring.verify(&format!("visitor:{visitor_id}"), token)
}

/// The visitor id of a user a site identified: derived from (account, user id) with the
/// identified-id key, so the same person has the same visitor id on every device while nobody
/// can guess another's id. An id is not a token: it is derived with the current key only, so a
/// rotation of `PARLEY_SECRET` gives identified users new visitor ids (see the README).
pub fn identified_visitor_id(key: &Key, account_id: &str, user_id: &str) -> String {
    let m = key.mac(&format!("identify\n{account_id}\n{user_id}"));
    format!("v_{}", hex(&m[..16]))
}

// ---------------------------------------------------------------------------------------------
// Socket tickets.

/// A ticket that checked out: what the conversation's object must spend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    pub nonce: String,
    pub expires_at: u64,
}

/// Why a ticket was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketRefusal {
    /// Malformed, signed by an unknown key, for another conversation or visitor, or tampered.
    Bad,
    /// Past its expiry.
    Expired,
    /// Already spent.
    Spent,
    /// Too many tickets spent in the last minute ([`MAX_SPENT_TICKETS`]).
    TooMany,
}

/// Most tickets a conversation keeps as spent at once (each lives a minute): past it, new ones
/// are refused until old ones expire, so the list stays small in the object's storage.
pub const MAX_SPENT_TICKETS: usize = 1_000;

/// Longest ticket nonce, in characters (base64url or hex from the caller's random bytes).
pub const MAX_NONCE_CHARS: usize = 32;

fn ticket_data(conversation_id: &str, visitor_id: &str, expires_at: u64, nonce: &str) -> String {
    format!("ticket\n{conversation_id}\n{visitor_id}\n{expires_at}\n{nonce}")
}

fn plausible_nonce(nonce: &str) -> bool {
    !nonce.is_empty()
        && nonce.len() <= MAX_NONCE_CHARS
        && nonce.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A ticket for `visitor_id` to open `conversation_id`'s socket until `now + TICKET_TTL_MS`:
/// `EXPIRES.NONCE.KID.SIG` (`nonce`: base64url of random bytes drawn by the caller).
pub fn mint_ticket(ring: &Keyring, conversation_id: &str, visitor_id: &str, nonce: &str, now: u64) -> (String, u64) {
    debug_assert!(plausible_nonce(nonce));
    let expires_at = now + TICKET_TTL_MS;
    let sig = ring.sign(&ticket_data(conversation_id, visitor_id, expires_at, nonce));
    (format!("{expires_at}.{nonce}.{sig}"), expires_at)
}

/// Checks a ticket for the conversation and its visitor at `now` (signature first, then the
/// expiry). Spending it is [`admit_ticket`]'s, in the conversation's object.
pub fn read_ticket(
    ring: &Keyring,
    conversation_id: &str,
    visitor_id: &str,
    ticket: &str,
    now: u64,
) -> Result<Ticket, TicketRefusal> {
    let mut parts = ticket.splitn(3, '.');
    let (Some(expires), Some(nonce), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(TicketRefusal::Bad);
    };
    let Ok(expires_at) = expires.parse::<u64>() else { return Err(TicketRefusal::Bad) };
    if expires != expires_at.to_string()
        || !plausible_nonce(nonce)
        || !ring.verify(&ticket_data(conversation_id, visitor_id, expires_at, nonce), sig)
    {
        return Err(TicketRefusal::Bad);
    }
    if now >= expires_at {
        return Err(TicketRefusal::Expired);
    }
    Ok(Ticket { nonce: nonce.to_owned(), expires_at })
}

/// Spends `ticket` against `spent`, the conversation's list of spent tickets
/// (`NONCE:EXPIRES` separated by spaces; expired entries are dropped). The new list, or
/// [`TicketRefusal::Spent`] when the nonce was spent before (or `Expired`).
pub fn admit_ticket(spent: &str, ticket: &Ticket, now: u64) -> Result<String, TicketRefusal> {
    if now >= ticket.expires_at {
        return Err(TicketRefusal::Expired);
    }
    let mut kept: Vec<&str> = Vec::new();
    for entry in spent.split(' ').filter(|e| !e.is_empty()) {
        let Some((nonce, expires)) = entry.split_once(':') else { continue };
        if expires.parse::<u64>().is_ok_and(|t| t > now) {
            if nonce == ticket.nonce {
                return Err(TicketRefusal::Spent);
            }
            kept.push(entry);
        }
    }
    if kept.len() >= MAX_SPENT_TICKETS {
        return Err(TicketRefusal::TooMany);
    }
    let new = format!("{}:{}", ticket.nonce, ticket.expires_at);
    kept.push(&new);
    Ok(kept.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &[u8] = b"0123456789abcdef-current";
    const OLD: &[u8] = b"0123456789abcdef-previous";

    #[test]
    fn one_key_per_purpose() {
        let keys: Vec<Key> = Purpose::ALL.iter().map(|p| Key::derive(S, *p)).collect();
        for (i, a) in keys.iter().enumerate() {
            assert_eq!(a.kid.len(), 8);
            assert!(a.kid.bytes().all(|b| b.is_ascii_hexdigit()));
            for b in &keys[i + 1..] {
                assert_ne!(a.bytes(), b.bytes());
                assert_ne!(a.kid, b.kid);
            }
            assert_ne!(a.bytes(), S, "never the secret itself");
        }
        assert_eq!(Key::derive(S, Purpose::VisitorToken), Key::derive(S, Purpose::VisitorToken), "deterministic");
        assert_ne!(Key::derive(S, Purpose::VisitorToken).kid, Key::derive(OLD, Purpose::VisitorToken).kid);
        // A token of one purpose does not verify under another, over the same text.
        let visitor = Keyring::new(S, None, Purpose::VisitorToken);
        let tickets = Keyring::new(S, None, Purpose::SocketTicket);
        assert!(!tickets.verify("visitor:v_1", &visitor.sign("visitor:v_1")));
        assert_eq!(format!("{:?}", visitor.current), format!("Key({})", visitor.current.kid), "Debug hides the key");
    }

    #[test]
    fn known_derivation() {
        // Pinned: changing the derivation would invalidate every token in the field.
        let k = Key::derive(b"0123456789abcdef", Purpose::VisitorToken);
        let expected = hex(&mac(b"0123456789abcdef", b"parley key v1\nvisitor-token"));
        assert_eq!(hex(k.bytes()), expected);
        assert_eq!(k.kid, hex(&mac(k.bytes(), b"kid")[..4]));
    }

    #[test]
    fn tokens_carry_their_kid_and_rotate() {
        let old = Keyring::new(OLD, None, Purpose::VisitorToken);
        let token = visitor_token(&old, "v_abc");
        assert!(token.starts_with(&format!("{}.", old.current.kid)));
        assert!(verify_visitor_token(&old, "v_abc", &token));
        assert!(!verify_visitor_token(&old, "v_abd", &token));
        // Rotation: the new secret is current, the old one previous: both verify; new tokens
        // carry the new kid.
        let rotating = Keyring::new(S, Some(OLD), Purpose::VisitorToken);
        assert!(verify_visitor_token(&rotating, "v_abc", &token));
        let fresh = visitor_token(&rotating, "v_abc");
        assert!(fresh.starts_with(&format!("{}.", rotating.current.kid)));
        assert!(verify_visitor_token(&rotating, "v_abc", &fresh));
        // After the rotation the old key is gone.
        let done = Keyring::new(S, None, Purpose::VisitorToken);
        assert!(!verify_visitor_token(&done, "v_abc", &token));
        assert!(verify_visitor_token(&done, "v_abc", &fresh));
        // The same secret as "previous" adds nothing.
        assert_eq!(Keyring::new(S, Some(S), Purpose::VisitorToken).previous, None);
    }

    #[test]
    fn tampered_tokens_never_verify() {
        let ring = Keyring::new(S, Some(OLD), Purpose::VisitorToken);
        let token = visitor_token(&ring, "v_abc");
        let (kid, sig) = token.split_once('.').unwrap();
        let other_kid = format!("{}{}", if kid.starts_with('0') { '1' } else { '0' }, kid.get(1..).unwrap_or(""));
        for bad in [
            String::new(),
            sig.to_owned(),                                           // the old format: no kid
            format!("{other_kid}.{sig}"),                             // an unknown kid
            format!("{}.{sig}", ring.previous.as_ref().unwrap().kid), // the other key's kid
            format!("{kid}.{sig}x"),
            format!("{kid}.not base64!"),
            format!("{kid}."),
            format!("{kid}.{sig}.{sig}"),
        ] {
            assert!(!verify_visitor_token(&ring, "v_abc", &bad), "{bad:?}");
        }
    }

    #[test]
    fn identified_ids_are_per_account_and_key() {
        let k = Key::derive(S, Purpose::IdentifiedId);
        let a = identified_visitor_id(&k, "acc_1", "u-42");
        assert_eq!(a, identified_visitor_id(&k, "acc_1", "u-42"), "same on every device");
        assert!(a.starts_with("v_") && a.len() == 34 && crate::ids::is_valid_id(&a));
        assert_ne!(a, identified_visitor_id(&k, "acc_2", "u-42"));
        assert_ne!(a, identified_visitor_id(&k, "acc_1", "u-43"));
        assert_ne!(a, identified_visitor_id(&Key::derive(OLD, Purpose::IdentifiedId), "acc_1", "u-42"));
        assert_ne!(a, identified_visitor_id(&Key::derive(S, Purpose::VisitorToken), "acc_1", "u-42"));
    }

    #[test]
    fn tickets_open_one_conversation_for_a_while() {
        let ring = Keyring::new(S, None, Purpose::SocketTicket);
        let (t, expires) = mint_ticket(&ring, "c_1", "v_1", "n0nce", 1_000);
        assert_eq!(expires, 1_000 + TICKET_TTL_MS);
        let ok = read_ticket(&ring, "c_1", "v_1", &t, 1_000).unwrap();
        assert_eq!(ok, Ticket { nonce: "n0nce".into(), expires_at: expires });
        assert_eq!(read_ticket(&ring, "c_1", "v_1", &t, expires - 1).map(|t| t.nonce), Ok("n0nce".into()));
        assert_eq!(read_ticket(&ring, "c_1", "v_1", &t, expires), Err(TicketRefusal::Expired));
        assert_eq!(read_ticket(&ring, "c_2", "v_1", &t, 1_000), Err(TicketRefusal::Bad), "another conversation");
        assert_eq!(read_ticket(&ring, "c_1", "v_2", &t, 1_000), Err(TicketRefusal::Bad), "another visitor");
        // Tampering: a later expiry, another nonce, a forged kid, another purpose's key.
        let parts: Vec<&str> = t.split('.').collect();
        let later = format!("{}.{}.{}.{}", expires + 60_000, parts[1], parts[2], parts[3]);
        let nonce = format!("{}.other.{}.{}", parts[0], parts[2], parts[3]);
        let kid = format!("{}.{}.deadbeef.{}", parts[0], parts[1], parts[3]);
        let padded = format!("0{t}");
        let visitor_key = Keyring::new(S, None, Purpose::VisitorToken);
        let foreign = mint_ticket(&visitor_key, "c_1", "v_1", "n0nce", 1_000).0;
        for bad in [later, nonce, kid, padded, foreign, String::new(), "1.2".into(), "x.n.k.s".into()] {
            assert_eq!(read_ticket(&ring, "c_1", "v_1", &bad, 1_000), Err(TicketRefusal::Bad), "{bad:?}");
        }
        // A ticket of the previous key still opens during a rotation.
        let rotated = Keyring::new(b"0123456789abcdef-newer!!", Some(S), Purpose::SocketTicket);
        assert!(read_ticket(&rotated, "c_1", "v_1", &t, 1_000).is_ok());
    }

    #[test]
    fn a_ticket_is_spent_once() {
        let t = |nonce: &str, expires_at: u64| Ticket { nonce: nonce.into(), expires_at };
        let spent = admit_ticket("", &t("a", 100), 10).unwrap();
        assert_eq!(spent, "a:100");
        assert_eq!(admit_ticket(&spent, &t("a", 100), 20), Err(TicketRefusal::Spent));
        let spent = admit_ticket(&spent, &t("b", 150), 20).unwrap();
        assert_eq!(spent, "a:100 b:150");
        // Expired entries are forgotten (their tickets can no longer be read anyway).
        assert_eq!(admit_ticket(&spent, &t("c", 300), 120).unwrap(), "b:150 c:300");
        assert_eq!(admit_ticket(&spent, &t("c", 100), 100), Err(TicketRefusal::Expired));
        // A bounded list: past the cap, refused until entries expire.
        let full: String = (0..MAX_SPENT_TICKETS).map(|i| format!("n{i}:500 ")).collect();
        assert_eq!(admit_ticket(&full, &t("x", 400), 10), Err(TicketRefusal::TooMany));
        assert!(admit_ticket(&full, &t("x", 900), 500).is_ok(), "once they expired");
        // Garbage in the list is dropped, not trusted.
        assert_eq!(admit_ticket("junk x:y z:999", &t("d", 500), 10).unwrap(), "z:999 d:500");
    }
}

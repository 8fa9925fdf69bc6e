//! Public report links: a manager shares one report of their account, with its filters, as a
//! URL that opens without logging in.
//!
//! The URL carries everything needed to show the report, signed with the report-link key
//! derived from the server's secret (`parley_core::keys`; HMAC-SHA256, hex, after the key's id:
//! `KID.HEX`, so the secret can rotate): the report's [canonical query](ReportQuery::canonical)
//! followed by `account`, `link` (the link's id), `expires` (ms since the epoch, `0` = never: only
//! links made before lifetimes were capped) and `sig`:
//!
//! ```text
//! /console/#/shared/<slug>?from=…&to=…&tz=…[&filters]&account=acc_…&link=rl_…&expires=…&sig=<kid>.<hex>
//! /api/v1/public/reports/<slug>[.csv]?<the same query>
//! ```
//!
//! The signed message is [`message`]: a version line, then the link id, the account id, the
//! report slug, the canonical query and the expiry, one per line. None of them can hold a line
//! break (ids are `[A-Za-z0-9_-]`, slugs are fixed, the canonical query is percent-encoded,
//! the expiry is digits), so two different links never sign the same text.
//!
//! Decisions (tested below):
//! - The query used is exactly the signed one: the part of the URL before the four link keys
//!   must be byte for byte the canonical form of the query it parses to, and the signature is
//!   checked over that form. Reordered, repeated, extra or re-encoded filters are refused as
//!   `bad_signature` even when they would mean the same report.
//! - Order of the checks: malformed or unsigned → 403 `bad_signature`; then the expiry
//!   (the edge's clock; a link expiring at `t` is refused from `t` on) → 410 `expired`; then
//!   the stored row (same id, same account, same report, query and expiry, else
//!   `bad_signature`) and its revocation → 410 `revoked`. The row is read on every request, so
//!   a revocation takes effect at once.
//! - A new link's expiry must be in the future and at most `REPORT_LINK_MAX_TTL_MS` away
//!   (400 `expires_at`); without one it expires `REPORT_LINK_DEFAULT_TTL_MS` after its creation.
//! - The period is the one of the link (fixed `from`/`to` in ms): a link does not slide with
//!   time. Local dates sent when creating it are resolved to ms first.
//! - The title is optional (at most [`MAX_TITLE_CHARS`] characters, no control characters);
//!   the public page shows the report's own title when it is empty.

use hmac::Mac;
use parley_core::keys::Keyring;
use parley_protocol::limits::{REPORT_LINK_DEFAULT_TTL_MS, REPORT_LINK_MAX_TTL_MS};
use parley_protocol::AccountId;
use serde::{Deserialize, Serialize};

use super::query::{encode, ReportQuery};
use crate::admin::FieldError;
use crate::ids::is_valid_id;
use parley_protocol::error::{ApiError, ErrorCode};

/// First line of every signed message; a new format gets a new version.
pub const VERSION: &str = "parley-report-link-v1";
/// Longest link title.
pub const MAX_TITLE_CHARS: usize = 120;
/// Longest query string a link may carry (public URL or creation request).
pub const MAX_QUERY_CHARS: usize = 4096;
/// The keys the link adds after the report's canonical query, in this order.
pub const LINK_KEYS: [&str; 4] = ["account", "link", "expires", "sig"];

/// Where the public page of a link lives, before `<slug>?<query>`.
pub const PAGE_PREFIX: &str = "/console/#/shared/";
/// Where the public API of a link lives, before `<slug>[.csv]?<query>`.
pub const API_PREFIX: &str = "/api/v1/public/reports/";

/// The text a link's signature covers.
pub fn message(link_id: &str, account_id: &str, report: &str, canonical: &str, expires_at: Option<u64>) -> String {
    format!("{VERSION}\n{link_id}\n{account_id}\n{report}\n{canonical}\n{}", expires_at.unwrap_or(0))
}

/// Whether the parts can be signed unambiguously (no part can carry a line break).
fn well_formed(link_id: &str, account_id: &str, report: &str, canonical: &str) -> bool {
    is_valid_id(link_id)
        && is_valid_id(account_id)
        && super::query::ReportId::from_slug(report).is_some()
        && !canonical.contains(['\n', '\r'])
}

/// The link's signature: lowercase hex of HMAC-SHA256(secret, [`message`]).
pub fn sign(
    secret: &[u8],
    link_id: &str,
    account_id: &str,
    report: &str,
    canonical: &str,
    expires_at: Option<u64>,
) -> String {
    let tag = mac(secret, &message(link_id, account_id, report, canonical, expires_at)).finalize().into_bytes();
    tag.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `sig` is the link's signature (compared in constant time; a malformed part or
/// signature never verifies).
pub fn verify(
    secret: &[u8],
    link_id: &str,
    account_id: &str,
    report: &str,
    canonical: &str,
    expires_at: Option<u64>,
    sig: &str,
) -> bool {
    let Some(sig) = unhex(sig) else { return false };
    if sig.len() != 32 || !well_formed(link_id, account_id, report, canonical) {
        return false;
    }
    mac(secret, &message(link_id, account_id, report, canonical, expires_at)).verify_slice(&sig).is_ok()
}

/// HMAC-SHA256 keyed with `secret`, fed `data` (a link's [`message`]).
fn mac(secret: &[u8], data: &str) -> hmac::Hmac<sha2::Sha256> {
    let mut m = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(data.as_bytes());
    m
}

/// Lowercase hex only (what [`sign`] writes), so a signature has one spelling.
fn unhex(s: &str) -> Option<Vec<u8>> {
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes().chunks(2).map(|p| Some(digit(p[0])? << 4 | digit(p[1])?)).collect()
}

/// The public query string: the canonical query, then the four link keys.
pub fn public_query(canonical: &str, account_id: &str, link_id: &str, expires_at: Option<u64>, sig: &str) -> String {
    format!(
        "{canonical}&account={}&link={}&expires={}&sig={}",
        encode(account_id),
        encode(link_id),
        expires_at.unwrap_or(0),
        encode(sig)
    )
}

/// Path and query of the public console page of a link.
pub fn page_url(report: &str, public_query: &str) -> String {
    format!("{PAGE_PREFIX}{report}?{public_query}")
}

/// Path and query of the public API of a link (`csv`: the CSV download).
pub fn api_url(report: &str, public_query: &str, csv: bool) -> String {
    format!("{API_PREFIX}{report}{}?{public_query}", if csv { ".csv" } else { "" })
}

/// Why a public link is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Malformed, tampered with, unknown, or not of this account: 403.
    BadSignature,
    /// Past its expiry: 410.
    Expired,
    /// Revoked by a manager: 410.
    Revoked,
}

impl Refusal {
    pub fn status(self) -> u16 {
        match self {
            Refusal::BadSignature => 403,
            Refusal::Expired | Refusal::Revoked => 410,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Refusal::BadSignature => "bad_signature",
            Refusal::Expired => "expired",
            Refusal::Revoked => "revoked",
        }
    }
    /// What the public page says.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::BadSignature => "This link is not valid.",
            Refusal::Expired => "This link has expired.",
            Refusal::Revoked => "This link was revoked.",
        }
    }
    pub fn from_code(code: &str) -> Option<Refusal> {
        [Refusal::BadSignature, Refusal::Expired, Refusal::Revoked].into_iter().find(|r| r.code() == code)
    }
}

/// A shared report link's refusal (403 `bad_signature`, 410 `expired` / `revoked`), with the
/// message the public page shows.
impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        let code = ErrorCode::parse(r.code()).unwrap_or(ErrorCode::Internal);
        ApiError::new(code, r.message()).with_status(r.status())
    }
}

/// A public URL's query, split: the four link keys and the report's part before them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicLink {
    pub account_id: AccountId,
    pub link_id: String,
    pub expires_at: Option<u64>,
    pub sig: String,
    /// The query before the link keys, as it came (what must be the canonical query).
    pub rest: String,
    /// `rest` as decoded `key=value` pairs, for [`ReportQuery::parse`].
    pub pairs: Vec<(String, String)>,
}

/// Splits a public query string (without `?`). The four link keys must come last, in the
/// order of [`LINK_KEYS`], once each; anything else is [`Refusal::BadSignature`].
pub fn split_public(query: &str) -> Result<PublicLink, Refusal> {
    let bad = Refusal::BadSignature;
    if query.len() > MAX_QUERY_CHARS {
        return Err(bad);
    }
    let parts: Vec<&str> = query.split('&').collect();
    if parts.len() < LINK_KEYS.len() {
        return Err(bad);
    }
    let (report_parts, link_parts) = parts.split_at(parts.len() - LINK_KEYS.len());
    let mut values = Vec::with_capacity(LINK_KEYS.len());
    for (part, key) in link_parts.iter().zip(LINK_KEYS) {
        let (k, v) = part.split_once('=').ok_or(bad)?;
        if k != key {
            return Err(bad);
        }
        values.push(decode(v).ok_or(bad)?);
    }
    let pairs = split_query(&report_parts.join("&")).map_err(|_| bad)?;
    if pairs.iter().any(|(k, _)| LINK_KEYS.contains(&k.as_str())) {
        return Err(bad);
    }
    let [account_id, link_id, expires, sig] = <[String; 4]>::try_from(values).map_err(|_| bad)?;
    let expires_at = match expires.parse::<u64>() {
        Ok(0) if expires == "0" => None,
        Ok(t) if expires == t.to_string() => Some(t),
        _ => return Err(bad),
    };
    if !is_valid_id(&account_id) || !is_valid_id(&link_id) {
        return Err(bad);
    }
    Ok(PublicLink { account_id: AccountId(account_id), link_id, expires_at, sig, rest: report_parts.join("&"), pairs })
}

/// Checks a public request for report `slug` with query string `query` (signature, then
/// expiry at `now`); the stored row is checked after with [`check_row`]. Answers the split link
/// and the exact query it signs.
pub fn check(ring: &Keyring, slug: &str, query: &str, now: u64) -> Result<(PublicLink, ReportQuery), Refusal> {
    let bad = Refusal::BadSignature;
    let link = split_public(query)?;
    // `KID.HEX`: the key named by the link (the current one or, during a rotation, the previous).
    let (kid, sig) = link.sig.split_once('.').ok_or(bad)?;
    let secret = ring.find(kid).ok_or(bad)?.bytes();
    // The canonical query always names its zone, so the default is never used.
    let q =
        ReportQuery::parse(slug, link.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), "UTC").map_err(|_| bad)?;
    let canonical = q.canonical();
    if canonical != link.rest
        || !verify(secret, &link.link_id, link.account_id.as_str(), slug, &canonical, link.expires_at, sig)
    {
        return Err(bad);
    }
    if link.expires_at.is_some_and(|t| now >= t) {
        return Err(Refusal::Expired);
    }
    Ok((link, q))
}

/// A `report_links` row as D1 keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRecord {
    pub id: String,
    pub account_id: String,
    pub report: String,
    pub query: String,
    pub title: String,
    pub expires_at: Option<u64>,
    /// The operator (id) who created it.
    pub created_by: String,
    /// Their name at the time of listing (joined; empty when unknown).
    #[serde(default)]
    pub created_by_name: Option<String>,
    pub created_at: u64,
    pub revoked_at: Option<u64>,
}

/// The stored row of a checked link (looked up by link id AND the link's account): it must
/// exist, say the same report, query and expiry as the signed URL, and not be revoked.
pub fn check_row(link: &PublicLink, q: &ReportQuery, row: Option<&LinkRecord>) -> Result<(), Refusal> {
    let Some(row) = row else { return Err(Refusal::BadSignature) };
    if row.id != link.link_id
        || link.account_id != row.account_id.as_str()
        || row.report != q.report.slug()
        || row.query != q.canonical()
        || row.expires_at != link.expires_at
    {
        return Err(Refusal::BadSignature);
    }
    if row.revoked_at.is_some() {
        return Err(Refusal::Revoked);
    }
    Ok(())
}

/// Splits `k=v&k=v` into percent-decoded pairs (`+` is a space, as in forms). Empty parts are
/// skipped; a bad escape or invalid UTF-8 names the part.
pub fn split_query(s: &str) -> Result<Vec<(String, String)>, FieldError> {
    let mut out = Vec::new();
    for part in s.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let (Some(k), Some(v)) = (decode(k), decode(v)) else {
            return Err(FieldError::new("query", format!("Bad percent-encoding in “{part}”.")));
        };
        out.push((k, v));
    }
    Ok(out)
}

/// Percent-decodes one query component (`+` is a space).
pub fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The query of a new link: the canonical string (`from=…&to=…`, as the console's URLs carry
/// it) or `[key, value]` pairs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LinkQuery {
    Canonical(String),
    Pairs(Vec<(String, String)>),
}

impl Default for LinkQuery {
    fn default() -> Self {
        LinkQuery::Canonical(String::new())
    }
}

/// `POST /api/v1/console/report-links`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportLinkRequest {
    /// The report's slug.
    pub report: String,
    #[serde(default)]
    pub query: LinkQuery,
    #[serde(default)]
    pub title: String,
    /// ms since the epoch; `None` = never expires.
    #[serde(default)]
    pub expires_at: Option<u64>,
}

/// A checked [`ReportLinkRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLink {
    pub query: ReportQuery,
    pub title: String,
    pub expires_at: Option<u64>,
}

impl ReportLinkRequest {
    /// Checks the report, its query (as [`ReportQuery::parse`] does, dates in `default_tz`,
    /// the account's), the title and the expiry (after `now`). The error names the field:
    /// `report`, a query key (`from`, `channel`…), `query`, `title` or `expires_at`.
    pub fn validate(&self, default_tz: &str, now: u64) -> Result<NewLink, FieldError> {
        let pairs = match &self.query {
            LinkQuery::Canonical(s) => {
                if s.len() > MAX_QUERY_CHARS {
                    return Err(FieldError::new("query", "This query is too long."));
                }
                split_query(s.trim_start_matches('?'))?
            }
            LinkQuery::Pairs(p) => p.clone(),
        };
        let query =
            ReportQuery::parse(self.report.trim(), pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), default_tz)?;
        let title = self.title.trim();
        if title.chars().count() > MAX_TITLE_CHARS || title.chars().any(char::is_control) {
            return Err(FieldError::new("title", format!("Use at most {MAX_TITLE_CHARS} characters, on one line.")));
        }
        if self.expires_at.is_some_and(|t| t <= now) {
            return Err(FieldError::new("expires_at", "The expiry must be in the future."));
        }
        if self.expires_at.is_some_and(|t| t > now + REPORT_LINK_MAX_TTL_MS) {
            let days = REPORT_LINK_MAX_TTL_MS / 86_400_000;
            return Err(FieldError::new("expires_at", format!("A link can live at most {days} days.")));
        }
        let expires_at = Some(self.expires_at.unwrap_or(now + REPORT_LINK_DEFAULT_TTL_MS));
        Ok(NewLink { query, title: title.to_owned(), expires_at })
    }
}

/// A link as the console lists it (`POST` answers the new one, `GET` lists them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportLinkView {
    pub id: String,
    /// The report's slug.
    pub report: String,
    pub title: String,
    /// The canonical query the link shows.
    pub query: String,
    /// Path and query of the public console page.
    pub url: String,
    /// Path and query of the public JSON report.
    pub api_url: String,
    /// Path and query of the public CSV.
    pub csv_url: String,
    pub expires_at: Option<u64>,
    pub created_at: u64,
    /// The operator (id) who created it, and their name.
    pub created_by: String,
    #[serde(default)]
    pub created_by_name: String,
    pub revoked_at: Option<u64>,
}

impl ReportLinkView {
    /// The view of a stored link, its URLs signed with the ring's current key (`KID.HEX`).
    pub fn of(ring: &Keyring, r: &LinkRecord) -> ReportLinkView {
        let key = &ring.current;
        let sig = format!("{}.{}", key.kid, sign(key.bytes(), &r.id, &r.account_id, &r.report, &r.query, r.expires_at));
        let public = public_query(&r.query, &r.account_id, &r.id, r.expires_at, &sig);
        ReportLinkView {
            id: r.id.clone(),
            report: r.report.clone(),
            title: r.title.clone(),
            query: r.query.clone(),
            url: page_url(&r.report, &public),
            api_url: api_url(&r.report, &public, false),
            csv_url: api_url(&r.report, &public, true),
            expires_at: r.expires_at,
            created_at: r.created_at,
            created_by: r.created_by.clone(),
            created_by_name: r.created_by_name.clone().unwrap_or_default(),
            revoked_at: r.revoked_at,
        }
    }

    /// `active`, `expired` or `revoked` at `now`.
    pub fn status(&self, now: u64) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.expires_at.is_some_and(|t| now >= t) {
            "expired"
        } else {
            "active"
        }
    }
}

/// `GET /api/v1/console/report-links`: the account's links, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportLinkList {
    pub links: Vec<ReportLinkView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_their_code_and_status() {
        for r in [Refusal::BadSignature, Refusal::Expired, Refusal::Revoked] {
            let e = ApiError::from(r);
            assert_eq!((e.code.as_str(), e.status(), e.message.as_str()), (r.code(), r.status(), r.message()));
            assert_eq!(e.code.status(), r.status());
        }
    }

    const SECRET: &[u8] = b"a server secret of some length";

    fn ring() -> Keyring {
        Keyring::new(SECRET, None, parley_core::keys::Purpose::ReportLink)
    }
    const NOW: u64 = 1_795_000_000_000;

    fn record(expires_at: Option<u64>) -> LinkRecord {
        let q = ReportQuery::parse(
            "by_operator",
            [
                ("from", "1795000000000"),
                ("to", "1795086400000"),
                ("tz", "Europe/Berlin"),
                ("channel", "demo"),
                ("sla", "5"),
            ],
            "UTC",
        )
        .unwrap();
        LinkRecord {
            id: "rl_0123abcd".into(),
            account_id: "acc_demo".into(),
            report: "by_operator".into(),
            query: q.canonical(),
            title: "Week".into(),
            expires_at,
            created_by: "op_demo".into(),
            created_by_name: Some("Dana".into()),
            created_at: NOW - 1000,
            revoked_at: None,
        }
    }

    /// The public query of a record, as the console's link carries it.
    fn public(r: &LinkRecord) -> String {
        let v = ReportLinkView::of(&ring(), r);
        v.api_url.split_once('?').unwrap().1.to_owned()
    }

    #[test]
    fn known_signature_and_message() {
        assert_eq!(
            message("rl_1", "acc_1", "overview", "from=1&to=2&tz=UTC", None),
            "parley-report-link-v1\nrl_1\nacc_1\noverview\nfrom=1&to=2&tz=UTC\n0"
        );
        let s = sign(b"k", "rl_1", "acc_1", "overview", "from=1&to=2&tz=UTC", Some(5));
        assert_eq!(s.len(), 64);
        assert!(s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert!(verify(b"k", "rl_1", "acc_1", "overview", "from=1&to=2&tz=UTC", Some(5), &s));
        assert!(!verify(b"k", "rl_1", "acc_1", "overview", "from=1&to=2&tz=UTC", Some(5), &s.to_uppercase()));
        assert!(!verify(b"k", "rl_1", "acc_1", "overview", "from=1&to=2&tz=UTC", Some(5), &s[..62]));
        assert!(!verify(b"k", "rl_1", "acc_1", "overview", "from=1&to=2&tz=UTC", Some(5), ""));
        assert!(!verify(b"k2", "rl_1", "acc_1", "overview", "from=1&to=2&tz=UTC", Some(5), &s));
        // Never verifies parts that could be ambiguous.
        let nl = sign(b"k", "rl_1", "acc_1\nx", "overview", "q", None);
        assert!(!verify(b"k", "rl_1", "acc_1\nx", "overview", "q", None, &nl));
        let nope = sign(b"k", "rl_1", "acc_1", "nope", "q", None);
        assert!(!verify(b"k", "rl_1", "acc_1", "nope", "q", None, &nope));
    }

    #[test]
    fn round_trip() {
        let r = record(Some(NOW + 60_000));
        let v = ReportLinkView::of(&ring(), &r);
        assert!(v
            .url
            .starts_with("/console/#/shared/by_operator?from=1795000000000&to=1795086400000&tz=Europe%2FBerlin"));
        assert!(v.api_url.starts_with("/api/v1/public/reports/by_operator?"));
        assert!(v.csv_url.starts_with("/api/v1/public/reports/by_operator.csv?"));
        assert_eq!(v.url.split_once('?').unwrap().1, public(&r));
        assert!(public(&r).contains(&format!("&account=acc_demo&link=rl_0123abcd&expires={}&sig=", NOW + 60_000)));
        let (link, q) = check(&ring(), "by_operator", &public(&r), NOW).unwrap();
        assert_eq!(link.account_id, "acc_demo");
        assert_eq!(link.link_id, "rl_0123abcd");
        assert_eq!(link.expires_at, Some(NOW + 60_000));
        assert_eq!(q.channel.as_deref(), Some("demo"));
        assert_eq!(q.sla_minutes, 5);
        assert_eq!(q.tz, "Europe/Berlin");
        assert_eq!(check_row(&link, &q, Some(&r)), Ok(()));
        assert!(public(&r).contains(&format!("&sig={}.", ring().current.kid)), "the key's id before the signature");
        // A rotation: links signed with the previous key still open; an unknown kid does not.
        let rotated = Keyring::new(b"the next server secret!", Some(SECRET), parley_core::keys::Purpose::ReportLink);
        assert!(check(&rotated, "by_operator", &public(&r), NOW).is_ok());
        let kid = &ring().current.kid;
        let forged = public(&r).replace(&format!("&sig={kid}."), "&sig=00000000.");
        assert_eq!(check(&ring(), "by_operator", &forged, NOW).map(|_| ()), Err(Refusal::BadSignature));
        let bare = public(&r).replace(&format!("&sig={kid}."), "&sig=");
        assert_eq!(check(&ring(), "by_operator", &bare, NOW).map(|_| ()), Err(Refusal::BadSignature));
        // Never expires: `expires=0`.
        let r0 = record(None);
        assert!(public(&r0).contains("&expires=0&sig="));
        let (link, q) = check(&ring(), "by_operator", &public(&r0), u64::MAX).unwrap();
        assert_eq!(link.expires_at, None);
        assert_eq!(check_row(&link, &q, Some(&r0)), Ok(()));
    }

    #[test]
    fn every_changed_part_is_refused() {
        let r = record(Some(NOW + 60_000));
        let good = public(&r);
        let bad = Err(Refusal::BadSignature);
        let swap = |from: &str, to: &str| {
            assert!(good.contains(from), "{from}");
            good.replacen(from, to, 1)
        };
        // The report.
        assert_eq!(check(&ring(), "by_hour", &good, NOW).map(|_| ()), bad);
        assert_eq!(check(&ring(), "nope", &good, NOW).map(|_| ()), bad);
        // A filter changed, removed, added, repeated or reordered; the period; the zone.
        for q in [
            swap("channel=demo", "channel=other"),
            swap("channel=demo&", ""),
            swap("&account=", "&status=closed&account="),
            swap("&account=", "&channel=demo&account="),
            swap("tz=Europe%2FBerlin&channel=demo", "channel=demo&tz=Europe%2FBerlin"),
            swap("from=1795000000000", "from=1794000000000"),
            swap("to=1795086400000", "to=1795172800000"),
            swap("tz=Europe%2FBerlin", "tz=UTC"),
            swap("tz=Europe%2FBerlin", "tz=Europe/Berlin"),
            swap("sla=5", "sla=05"),
            // The account, the link id, the expiry (later or never), the signature.
            swap("account=acc_demo", "account=acc_other"),
            swap("link=rl_0123abcd", "link=rl_0123abce"),
            swap(&format!("expires={}", NOW + 60_000), &format!("expires={}", NOW + 120_000)),
            swap(&format!("expires={}", NOW + 60_000), "expires=0"),
            swap(&format!("expires={}", NOW + 60_000), &format!("expires=0{}", NOW + 60_000)),
            swap(&format!("expires={}", NOW + 60_000), "expires=00"),
            swap("&sig=", "&sig=00"),
            format!("{}0", &good[..good.len() - 1]),
            // Link keys missing, out of order, or doubled.
            swap("&account=acc_demo", ""),
            swap("&sig=", "&sig=&sig="),
            swap("account=acc_demo&link=rl_0123abcd", "link=rl_0123abcd&account=acc_demo"),
            format!("account=acc_demo&{good}"),
            String::new(),
            "&&&&".into(),
        ] {
            assert_eq!(check(&ring(), "by_operator", &q, NOW).map(|_| ()), bad, "{q}");
        }
        // Another secret.
        assert_eq!(
            check(
                &Keyring::new(b"another server secret!!", None, parley_core::keys::Purpose::ReportLink),
                "by_operator",
                &good,
                NOW
            )
            .map(|_| ()),
            bad
        );
    }

    #[test]
    fn expiry() {
        let r = record(Some(NOW));
        assert!(check(&ring(), "by_operator", &public(&r), NOW - 1).is_ok());
        assert_eq!(check(&ring(), "by_operator", &public(&r), NOW).map(|_| ()), Err(Refusal::Expired));
        assert_eq!(check(&ring(), "by_operator", &public(&r), NOW + 1).map(|_| ()), Err(Refusal::Expired));
        // A tampered expiry is a bad signature, not "expired".
        let later = public(&r).replace(&format!("expires={NOW}"), &format!("expires={}", NOW - 5));
        assert_eq!(check(&ring(), "by_operator", &later, NOW).map(|_| ()), Err(Refusal::BadSignature));
        let v = ReportLinkView::of(&ring(), &r);
        assert_eq!((v.status(NOW - 1), v.status(NOW)), ("active", "expired"));
    }

    #[test]
    fn stored_row_decides_revocation_and_ownership() {
        let r = record(None);
        let (link, q) = check(&ring(), "by_operator", &public(&r), NOW).unwrap();
        assert_eq!(check_row(&link, &q, None), Err(Refusal::BadSignature));
        let revoked = LinkRecord { revoked_at: Some(NOW), ..r.clone() };
        assert_eq!(check_row(&link, &q, Some(&revoked)), Err(Refusal::Revoked));
        assert_eq!(ReportLinkView::of(&ring(), &revoked).status(NOW), "revoked");
        for other in [
            LinkRecord { account_id: "acc_other".into(), ..r.clone() },
            LinkRecord { id: "rl_other".into(), ..r.clone() },
            LinkRecord { report: "by_hour".into(), ..r.clone() },
            LinkRecord { query: r.query.replace("demo", "other"), ..r.clone() },
            LinkRecord { expires_at: Some(NOW), ..r.clone() },
        ] {
            assert_eq!(check_row(&link, &q, Some(&other)), Err(Refusal::BadSignature), "{other:?}");
        }
    }

    #[test]
    fn refusals() {
        for r in [Refusal::BadSignature, Refusal::Expired, Refusal::Revoked] {
            assert_eq!(Refusal::from_code(r.code()), Some(r));
        }
        assert_eq!(
            (Refusal::BadSignature.status(), Refusal::Expired.status(), Refusal::Revoked.status()),
            (403, 410, 410)
        );
        assert_eq!(Refusal::Revoked.message(), "This link was revoked.");
        assert_eq!(Refusal::from_code("nope"), None);
    }

    #[test]
    fn creation_requests() {
        let req = |query: LinkQuery, title: &str, expires_at: Option<u64>| ReportLinkRequest {
            report: "conversations".into(),
            query,
            title: title.into(),
            expires_at,
        };
        // Local dates in the account's zone become ms; the canonical form is stored.
        let n = req(LinkQuery::Canonical("from=2026-11-24&to=2026-11-24&channel=demo".into()), " Daily ", None)
            .validate("Europe/Berlin", NOW)
            .unwrap();
        assert_eq!(n.query.canonical(), "from=1795474800000&to=1795561200000&tz=Europe%2FBerlin&channel=demo");
        assert_eq!(n.title, "Daily");
        // No expiry given: the default lifetime; at most the maximum.
        assert_eq!(n.expires_at, Some(NOW + REPORT_LINK_DEFAULT_TTL_MS));
        let far = req(LinkQuery::Canonical("from=0&to=10".into()), "", Some(NOW + REPORT_LINK_MAX_TTL_MS));
        assert_eq!(far.validate("UTC", NOW).unwrap().expires_at, Some(NOW + REPORT_LINK_MAX_TTL_MS));
        let too_far = req(LinkQuery::Canonical("from=0&to=10".into()), "", Some(NOW + REPORT_LINK_MAX_TTL_MS + 1));
        let e = too_far.validate("UTC", NOW).unwrap_err();
        assert_eq!((e.field.as_str(), e.message.as_str()), ("expires_at", "A link can live at most 366 days."));
        let pairs = vec![("from".to_owned(), "0".to_owned()), ("to".to_owned(), "10".to_owned())];
        let n = req(LinkQuery::Pairs(pairs), "", Some(NOW + 1)).validate("UTC", NOW).unwrap();
        assert_eq!((n.query.from, n.query.to, n.expires_at), (0, 10, Some(NOW + 1)));
        // Percent-encoded filters are decoded before parsing.
        let n = req(LinkQuery::Canonical("?from=0&to=10&page=%2Fpricing+page&tz=Europe%2FBerlin".into()), "", None)
            .validate("UTC", NOW)
            .unwrap();
        assert_eq!(n.query.page.as_deref(), Some("/pricing page"));
        assert_eq!(n.query.tz, "Europe/Berlin");
        let field = |r: ReportLinkRequest| r.validate("UTC", NOW).unwrap_err().field;
        assert_eq!(field(req(LinkQuery::Canonical("from=0&to=10".into()), "", Some(NOW))), "expires_at");
        assert_eq!(field(req(LinkQuery::Canonical("from=0&to=10".into()), &"x".repeat(121), None)), "title");
        assert_eq!(field(req(LinkQuery::Canonical("from=0&to=10".into()), "a\nb", None)), "title");
        assert_eq!(field(req(LinkQuery::Canonical("from=0&to=10&evil=1".into()), "", None)), "evil");
        assert_eq!(field(req(LinkQuery::Canonical("from=0&to=10&sig=1".into()), "", None)), "sig");
        assert_eq!(field(req(LinkQuery::Canonical("from=0".into()), "", None)), "from");
        assert_eq!(field(req(LinkQuery::Canonical("from=0&to=10&page=%zz".into()), "", None)), "query");
        assert_eq!(field(ReportLinkRequest { report: "nope".into(), ..req(LinkQuery::default(), "", None) }), "report");
        // The JSON body: a string or pairs; unknown fields refused.
        let r: ReportLinkRequest =
            serde_json::from_str(r#"{"report":"tags","query":[["from","0"],["to","5"]]}"#).unwrap();
        assert_eq!(r.query, LinkQuery::Pairs(vec![("from".into(), "0".into()), ("to".into(), "5".into())]));
        let r: ReportLinkRequest = serde_json::from_str(r#"{"report":"tags","query":"from=0&to=5"}"#).unwrap();
        assert_eq!(r.query, LinkQuery::Canonical("from=0&to=5".into()));
        assert!(serde_json::from_str::<ReportLinkRequest>(r#"{"report":"tags","account":"acc_x"}"#).is_err());
    }

    #[test]
    fn decoding() {
        assert_eq!(decode("a%2Fb+c%C3%A9").as_deref(), Some("a/b cé"));
        assert_eq!(decode("%"), None);
        assert_eq!(decode("%2"), None);
        assert_eq!(decode("%+1"), None);
        assert_eq!(decode("%FF"), None);
        assert_eq!(encode("a/b cé"), "a%2Fb%20c%C3%A9");
        assert_eq!(decode(&encode("x&y=z é")).as_deref(), Some("x&y=z é"));
    }
}

//! An operator's credentials besides the password hash (issue 20, migration 0015): the
//! two-factor secret (TOTP) and its last used step, and one-time links (invitations, password
//! resets) kept as the SHA-256 of their token. Every statement names the operator's account.

use serde::Deserialize;
use worker::Result;

use super::{changes, n, s, Db};

/// An operator's two-factor columns.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TotpRow {
    /// Base32; `None`: two-factor login is off.
    pub totp_secret: Option<String>,
    /// A secret being enrolled, not in force until confirmed with a code.
    pub totp_pending: Option<String>,
    pub totp_last_step: u64,
}

pub async fn totp(db: &Db, account_id: &str, operator_id: &str) -> Result<Option<TotpRow>> {
    db.prepare("SELECT totp_secret, totp_pending, totp_last_step FROM operators WHERE id = ?1 AND account_id = ?2")
        .bind(&[s(operator_id), s(account_id)])?
        .first(None)
        .await
}

/// Keeps `secret` as the operator's secret being enrolled (replacing an earlier one).
pub async fn set_pending(db: &Db, account_id: &str, operator_id: &str, secret: &str) -> Result<bool> {
    let stmt = db.prepare("UPDATE operators SET totp_pending = ?3 WHERE id = ?1 AND account_id = ?2").bind(&[
        s(operator_id),
        s(account_id),
        s(secret),
    ])?;
    Ok(changes(stmt).await? > 0)
}

/// Puts the enrolled secret `pending` in force with `step` as its last used step, unless
/// another enrolment replaced it meanwhile.
pub async fn confirm(db: &Db, account_id: &str, operator_id: &str, pending: &str, step: u64) -> Result<bool> {
    let stmt = db
        .prepare(
            "UPDATE operators SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = ?4 \
             WHERE id = ?1 AND account_id = ?2 AND totp_pending = ?3",
        )
        .bind(&[s(operator_id), s(account_id), s(pending), n(step)])?;
    Ok(changes(stmt).await? > 0)
}

/// Turns two-factor login off.
pub async fn disable(db: &Db, account_id: &str, operator_id: &str) -> Result<()> {
    db.prepare("UPDATE operators SET totp_secret = NULL, totp_pending = NULL WHERE id = ?1 AND account_id = ?2")
        .bind(&[s(operator_id), s(account_id)])?
        .run()
        .await?;
    Ok(())
}

/// Records `step` as the operator's last used step if it is later than the stored one; false
/// when it is not (the code was used already, maybe by a racing login): one statement.
pub async fn use_step(db: &Db, account_id: &str, operator_id: &str, step: u64) -> Result<bool> {
    let stmt = db
        .prepare("UPDATE operators SET totp_last_step = ?3 WHERE id = ?1 AND account_id = ?2 AND totp_last_step < ?3")
        .bind(&[s(operator_id), s(account_id), n(step)])?;
    Ok(changes(stmt).await? > 0)
}

// -- one-time links ---------------------------------------------------------------------------

/// What a one-time link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Invite,
    Reset,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Invite => "invite",
            TokenKind::Reset => "reset",
        }
    }
}

/// Keeps a new link's token digest; drops the expired ones and the operator's earlier links
/// of the same kind (the newest link is the one that works).
#[allow(clippy::too_many_arguments)]
pub async fn add_token(
    db: &Db,
    digest: &str,
    kind: TokenKind,
    account_id: &str,
    operator_id: &str,
    now: u64,
    expires_at: u64,
) -> Result<()> {
    db.batch(vec![
        db.prepare(
            "DELETE FROM operator_tokens WHERE expires_at <= ?1 OR (operator_id = ?2 AND account_id = ?3 AND kind = ?4)",
        )
        .bind(&[n(now), s(operator_id), s(account_id), s(kind.as_str())])?,
        db.prepare(
            "INSERT INTO operator_tokens (token_digest, kind, account_id, operator_id, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&[s(digest), s(kind.as_str()), s(account_id), s(operator_id), n(now), n(expires_at)])?,
    ])
    .await?;
    Ok(())
}

/// Whose link a spent token was.
#[derive(Clone, Debug, Deserialize)]
pub struct TokenOwner {
    pub account_id: String,
    pub operator_id: String,
    pub kind: String,
    pub expires_at: u64,
}

/// Spends the link of `digest`: its row is deleted and returned in one statement, so of two
/// uses only one gets it. The caller checks the expiry.
pub async fn take_token(db: &Db, digest: &str) -> Result<Option<TokenOwner>> {
    db.prepare(
        "DELETE FROM operator_tokens WHERE token_digest = ?1 RETURNING account_id, operator_id, kind, expires_at",
    )
    .bind(&[s(digest)])?
    .first(None)
    .await
}

/// The operator a reset is asked for: by username, or every enabled operator with this e-mail
/// address (case aside).
#[derive(Clone, Debug, Deserialize)]
pub struct ResetTarget {
    pub id: String,
    pub account_id: String,
    pub username: String,
    pub first_name: String,
    pub email: String,
    pub languages: String,
}

pub async fn reset_targets(db: &Db, login: &str) -> Result<Vec<ResetTarget>> {
    db.prepare(
        "SELECT id, account_id, username, first_name, email, languages FROM operators \
         WHERE disabled = 0 AND email != '' AND (username = lower(?1) OR lower(email) = lower(?1)) LIMIT 10",
    )
    .bind(&[s(login)])?
    .all()
    .await?
    .results()
}

/// Sets a new password hash from a one-time link (an invited operator's first one, a reset);
/// false when the operator is gone or disabled.
pub async fn set_password(db: &Db, account_id: &str, operator_id: &str, hash: &str, now: u64) -> Result<bool> {
    let stmt = db
        .prepare(
            "UPDATE operators SET password_hash = ?3, updated_at = ?4 WHERE id = ?1 AND account_id = ?2 AND disabled = 0",
        )
        .bind(&[s(operator_id), s(account_id), s(hash), n(now)])?;
    Ok(changes(stmt).await? > 0)
}

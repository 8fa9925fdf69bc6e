//! Channels: the one channel row ([`ChannelRow`]), its hosts (`hosts`, `channel_hosts`: the
//! widget's origin check) and the statements reading and writing them.

use super::Db;
use parley_protocol::admin::ValidChannel;
use parley_protocol::api::{ChannelRef, WidgetLook};
use parley_protocol::entry_points::DEFAULT_BUTTON_NAME;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1PreparedStatement, Result};

use super::{changes, n, s};

/// A `channels` row: what the widget, routing and the admin pages read of a channel.
#[derive(Clone, Debug, Deserialize)]
pub struct ChannelRow {
    pub id: String,
    pub account_id: parley_protocol::AccountId,
    #[serde(default)]
    pub created_at: u64,
    pub name: String,
    pub greeting: String,
    pub accent: String,
    /// IANA zone of the channel's invite rules.
    #[serde(default = "utc")]
    pub time_zone: String,
    /// The pre-chat form as JSON (`[FormField]`); see `outcome_settings::prechat_of`.
    #[serde(default)]
    pub prechat_form: String,
    /// Hex secret `Parley.identify` hashes are checked with (`auth::verify_identify`).
    #[serde(default)]
    pub identity_secret: String,
    /// Default language code (migration 0008).
    #[serde(default = "english")]
    pub language: String,
    /// `right` or `left`.
    #[serde(default = "right")]
    pub position: String,
    /// The greetings per language as JSON (`[Greeting]`); see [`greetings_of`].
    #[serde(default)]
    pub greetings: String,
    /// The channel's notification addresses as JSON (migration 0013): a new conversation
    /// learns from them whether it mails a missed chat, and after how long.
    #[serde(default)]
    pub mail_addresses: String,
    #[serde(default)]
    pub mail_missed_wait_minutes: u32,
}

fn utc() -> String {
    parley_protocol::admin::DEFAULT_TIME_ZONE.to_owned()
}
fn english() -> String {
    parley_protocol::admin::DEFAULT_CHANNEL_LANGUAGE.to_owned()
}
fn right() -> String {
    parley_protocol::admin::DEFAULT_POSITION.to_owned()
}

/// A channel's stored greetings per language (`[]` when unreadable: never fail a visitor).
pub fn greetings_of(json: &str) -> Vec<parley_protocol::invites::Greeting> {
    serde_json::from_str(json).unwrap_or_default()
}

const CHANNEL_COLS: &str = "id, account_id, created_at, name, greeting, accent, time_zone, prechat_form, \
     identity_secret, language, position, greetings, mail_addresses, mail_missed_wait_minutes FROM channels";

/// The channel `id`, whatever its account (the widget's calls name only the channel).
pub async fn channel(db: &Db, id: &str) -> Result<Option<ChannelRow>> {
    db.prepare(format!("SELECT {CHANNEL_COLS} WHERE id = ?1")).bind(&[s(id)])?.first(None).await
}

/// The account's channels, oldest first.
pub async fn channels(db: &Db, account_id: &str) -> Result<Vec<ChannelRow>> {
    db.prepare(format!("SELECT {CHANNEL_COLS} WHERE account_id = ?1 ORDER BY created_at, id"))
        .bind(&[s(account_id)])?
        .all()
        .await?
        .results()
}

/// The account's channel `id` (`None` for another account's).
pub async fn account_channel(db: &Db, account_id: &str, id: &str) -> Result<Option<ChannelRow>> {
    db.prepare(format!("SELECT {CHANNEL_COLS} WHERE id = ?1 AND account_id = ?2"))
        .bind(&[s(id), s(account_id)])?
        .first(None)
        .await
}

/// The launcher's columns of a channel, whether it has enabled invites, and the chat button's
/// entry point (what the edge counts a page view at).
#[derive(Debug, Deserialize)]
pub struct LookRow {
    pub accent: String,
    pub position: String,
    pub language: String,
    pub invites: u32,
    pub button: Option<String>,
}

impl LookRow {
    pub fn into_api(self) -> WidgetLook {
        WidgetLook { accent: self.accent, position: self.position, language: self.language, invites: self.invites != 0 }
    }
}

/// What the loader draws the launcher with (`GET /api/v1/widget/look`): one read by primary key
/// (the two sub-selects use `entry_points`' channel index).
pub async fn channel_look(db: &Db, id: &str) -> Result<Option<LookRow>> {
    db.prepare(
        "SELECT c.accent AS accent, c.position AS position, c.language AS language, \
         EXISTS (SELECT 1 FROM entry_points e WHERE e.channel_id = c.id AND e.kind = 'invite' AND e.enabled = 1) \
         AS invites, \
         (SELECT e.id FROM entry_points e WHERE e.channel_id = c.id AND e.kind = 'button') AS button \
         FROM channels c WHERE c.id = ?1",
    )
    .bind(&[s(id)])?
    .first(None)
    .await
}

/// Whether `hostname` is a registered host of the channel (the widget's origin check).
pub async fn channel_has_host(db: &Db, channel_id: &str, hostname: &str) -> Result<bool> {
    Ok(channel_host(db, channel_id, hostname).await?.is_some())
}

/// The `hosts` row (its id) through which `hostname` is a registered host of the channel.
pub async fn channel_host(db: &Db, channel_id: &str, hostname: &str) -> Result<Option<String>> {
    #[derive(Deserialize)]
    struct Host {
        id: String,
    }
    let row: Option<Host> = db
        .prepare(
            "SELECT h.id AS id FROM channel_hosts ch JOIN hosts h ON h.id = ch.host_id \
             JOIN channels c ON c.id = ch.channel_id \
             WHERE ch.channel_id = ?1 AND h.hostname = ?2 AND h.account_id = c.account_id",
        )
        .bind(&[s(channel_id), s(hostname)])?
        .first(None)
        .await?;
    Ok(row.map(|h| h.id))
}

/// The account's channels (id and name), by name.
/// The account's channels' names by id (for rows of the account's shard naming a channel).
pub async fn channel_names(db: &Db, account_id: &str) -> Result<std::collections::HashMap<String, String>> {
    Ok(account_channels(db, account_id).await?.into_iter().map(|c| (c.id, c.name)).collect())
}

pub async fn account_channels(db: &Db, account_id: &str) -> Result<Vec<ChannelRef>> {
    #[derive(Deserialize)]
    struct Named {
        id: String,
        name: String,
    }
    let rows: Vec<Named> = db
        .prepare("SELECT id, name FROM channels WHERE account_id = ?1 ORDER BY name")
        .bind(&[s(account_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|r| ChannelRef { id: r.id, name: r.name }).collect())
}

#[derive(Clone, Debug, Deserialize)]
pub struct ChannelHost {
    pub channel_id: parley_protocol::ChannelId,
    pub hostname: String,
}

/// Hostnames of the account's channels (of one channel when `channel_id` is given).
pub async fn channel_hosts(db: &Db, account_id: &str, channel_id: Option<&str>) -> Result<Vec<ChannelHost>> {
    db.prepare(
        "SELECT ch.channel_id AS channel_id, h.hostname AS hostname FROM channel_hosts ch \
         JOIN channels c ON c.id = ch.channel_id JOIN hosts h ON h.id = ch.host_id \
         WHERE c.account_id = ?1 AND h.account_id = ?1 AND (?2 IS NULL OR ch.channel_id = ?2) \
         ORDER BY h.hostname",
    )
    .bind(&[s(account_id), channel_id.map_or(JsValue::NULL, s)])?
    .all()
    .await?
    .results()
}

/// Statements that tie the channel to exactly `hosts` (host rows of the account are created
/// as needed; `host_ids` are fresh ids, one per hostname, used only for new rows).
fn tie_hosts(
    db: &Db,
    account_id: &str,
    channel_id: &str,
    hosts: &[String],
    host_ids: &[String],
    now: u64,
) -> Result<Vec<D1PreparedStatement>> {
    let mut out = vec![db
        .prepare(
            "DELETE FROM channel_hosts WHERE channel_id = ?1 \
             AND channel_id IN (SELECT id FROM channels WHERE account_id = ?2)",
        )
        .bind(&[s(channel_id), s(account_id)])?];
    for (host, host_id) in hosts.iter().zip(host_ids) {
        out.push(
            db.prepare("INSERT OR IGNORE INTO hosts (id, account_id, hostname, created_at) VALUES (?1, ?2, ?3, ?4)")
                .bind(&[s(host_id), s(account_id), s(host), n(now)])?,
        );
        out.push(
            db.prepare(
                "INSERT OR IGNORE INTO channel_hosts (channel_id, host_id) \
                 SELECT ?1, id FROM hosts WHERE account_id = ?2 AND hostname = ?3",
            )
            .bind(&[s(channel_id), s(account_id), s(host)])?,
        );
    }
    Ok(out)
}

/// Creates the channel with its chat button (`button_id`) and identity secret and ties it to
/// its hosts, in one batch (all or nothing).
#[allow(clippy::too_many_arguments)]
pub async fn create_channel(
    db: &Db,
    account_id: &str,
    id: &str,
    button_id: &str,
    identity_secret: &str,
    c: &ValidChannel,
    host_ids: &[String],
    now: u64,
) -> Result<()> {
    let batch = create_channel_statements(db, account_id, id, button_id, identity_secret, c, host_ids, now)?;
    db.batch(batch).await?;
    Ok(())
}

/// The statements of [`create_channel`], for a batch that creates more (a setup's).
#[allow(clippy::too_many_arguments)]
pub(crate) fn create_channel_statements(
    db: &Db,
    account_id: &str,
    id: &str,
    button_id: &str,
    identity_secret: &str,
    c: &ValidChannel,
    host_ids: &[String],
    now: u64,
) -> Result<Vec<D1PreparedStatement>> {
    let mut batch = vec![
        db.prepare(
            "INSERT INTO channels (id, account_id, name, greeting, accent, time_zone, created_at, prechat_form, \
             identity_secret, language, position, greetings) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .bind(&[
            s(id),
            s(account_id),
            s(&c.name),
            s(&c.greeting),
            s(&c.accent),
            s(&c.time_zone),
            n(now),
            s(&prechat_json(c)),
            s(identity_secret),
            s(&c.language),
            s(&c.position),
            s(&greetings_json(c)),
        ])?,
        db.prepare(
            "INSERT INTO entry_points (id, account_id, channel_id, kind, name, enabled, position, created_at, \
             updated_at) VALUES (?1, ?2, ?3, 'button', ?4, 1, 0, ?5, ?5)",
        )
        .bind(&[s(button_id), s(account_id), s(id), s(DEFAULT_BUTTON_NAME), n(now)])?,
    ];
    batch.extend(tie_hosts(db, account_id, id, &c.hosts, host_ids, now)?);
    Ok(batch)
}

/// Rewrites the channel's settings and hosts, in one batch. The caller has checked that the
/// channel belongs to the account; every statement checks it again.
pub async fn update_channel(
    db: &Db,
    account_id: &str,
    id: &str,
    c: &ValidChannel,
    host_ids: &[String],
    now: u64,
) -> Result<()> {
    let mut batch = vec![db
        .prepare(
            "UPDATE channels SET name = ?3, greeting = ?4, accent = ?5, time_zone = ?6, prechat_form = ?7, \
             language = ?8, position = ?9, greetings = ?10 WHERE id = ?1 AND account_id = ?2",
        )
        .bind(&[
            s(id),
            s(account_id),
            s(&c.name),
            s(&c.greeting),
            s(&c.accent),
            s(&c.time_zone),
            s(&prechat_json(c)),
            s(&c.language),
            s(&c.position),
            s(&greetings_json(c)),
        ])?];
    batch.extend(tie_hosts(db, account_id, id, &c.hosts, host_ids, now)?);
    db.batch(batch).await?;
    Ok(())
}

fn prechat_json(c: &ValidChannel) -> String {
    serde_json::to_string(&c.prechat).unwrap_or_else(|_| "[]".to_owned())
}

fn greetings_json(c: &ValidChannel) -> String {
    serde_json::to_string(&c.greetings).unwrap_or_else(|_| "[]".to_owned())
}

/// Replaces the channel's identity secret; false when no channel of the account has this id.
pub async fn set_identity_secret(db: &Db, account_id: &str, id: &str, secret: &str) -> Result<bool> {
    let stmt = db.prepare("UPDATE channels SET identity_secret = ?3 WHERE id = ?1 AND account_id = ?2").bind(&[
        s(id),
        s(account_id),
        s(secret),
    ])?;
    Ok(changes(stmt).await? > 0)
}

/// A channel's mail settings and what its mails need of the channel (migration 0013).
#[derive(Debug, Deserialize)]
pub struct ChannelMailRow {
    pub account_id: parley_protocol::AccountId,
    pub name: String,
    pub language: String,
    pub time_zone: String,
    /// JSON array of addresses.
    pub mail_addresses: String,
    pub mail_missed_wait_minutes: u32,
    pub mail_sender_name: String,
}

impl ChannelMailRow {
    pub fn addresses(&self) -> Vec<String> {
        serde_json::from_str(&self.mail_addresses).unwrap_or_default()
    }
    pub fn into_api(self) -> parley_protocol::admin::ChannelMail {
        parley_protocol::admin::ChannelMail {
            addresses: self.addresses(),
            missed_wait_minutes: self.mail_missed_wait_minutes,
            sender_name: self.mail_sender_name,
        }
    }
}

/// The channel's mail settings (`None`: no such channel).
pub async fn channel_mail(db: &Db, id: &str) -> Result<Option<ChannelMailRow>> {
    db.prepare(
        "SELECT account_id, name, language, time_zone, mail_addresses, mail_missed_wait_minutes, \
         mail_sender_name FROM channels WHERE id = ?1",
    )
    .bind(&[s(id)])?
    .first(None)
    .await
}

/// Sets the account's channel's mail settings; false when it is not the account's.
pub async fn set_channel_mail(
    db: &Db,
    account_id: &str,
    id: &str,
    m: &parley_protocol::admin::ChannelMail,
) -> Result<bool> {
    let addresses = serde_json::to_string(&m.addresses).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let stmt = db
        .prepare(
            "UPDATE channels SET mail_addresses = ?3, mail_missed_wait_minutes = ?4, mail_sender_name = ?5 \
             WHERE id = ?1 AND account_id = ?2",
        )
        .bind(&[s(id), s(account_id), s(&addresses), n(u64::from(m.missed_wait_minutes)), s(&m.sender_name)])?;
    Ok(changes(stmt).await? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::admin::{DEFAULT_CHANNEL_LANGUAGE, DEFAULT_POSITION, DEFAULT_TIME_ZONE};

    #[test]
    fn a_row_without_the_later_columns_gets_their_defaults() {
        let row: ChannelRow = serde_json::from_value(serde_json::json!({
            "id": "ch_1", "account_id": "a_1", "name": "Shop", "greeting": "Hi", "accent": "#123456"
        }))
        .unwrap();
        assert_eq!((row.id.as_str(), row.account_id.as_str(), row.created_at), ("ch_1", "a_1", 0));
        assert_eq!(row.time_zone, DEFAULT_TIME_ZONE);
        assert_eq!(row.language, DEFAULT_CHANNEL_LANGUAGE);
        assert_eq!(row.position, DEFAULT_POSITION);
        assert!(row.prechat_form.is_empty() && row.identity_secret.is_empty());
        assert!(greetings_of(&row.greetings).is_empty());
    }

    #[test]
    fn a_look_row_maps_to_the_launcher_look() {
        let row: LookRow = serde_json::from_value(serde_json::json!(
            {"accent": "#123456", "position": "left", "language": "fr", "invites": 1, "button": "btn_x"}
        ))
        .unwrap();
        assert_eq!(row.button.as_deref(), Some("btn_x"));
        let look = row.into_api();
        assert_eq!((look.accent.as_str(), look.position.as_str(), look.language.as_str()), ("#123456", "left", "fr"));
        assert!(look.invites);
    }

    #[test]
    fn stored_greetings_are_read_and_bad_ones_ignored() {
        let g = greetings_of(r#"[{"language":"fr","text":"Bonjour"}]"#);
        assert_eq!((g.len(), g[0].language.as_str(), g[0].text.as_str()), (1, "fr", "Bonjour"));
        assert!(greetings_of("not json").is_empty());
    }
}

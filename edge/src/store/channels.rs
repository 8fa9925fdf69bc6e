//! Channels: the one channel row ([`ChannelRow`]) and the statements reading it.

use serde::Deserialize;
use worker::{D1Database, Result};

use super::s;

/// A `channels` row: what the widget, routing and the admin pages read of a channel.
#[derive(Clone, Debug, Deserialize)]
pub struct ChannelRow {
    pub id: String,
    pub account_id: String,
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
     identity_secret, language, position, greetings FROM channels";

/// The channel `id`, whatever its account (the widget's calls name only the channel).
pub async fn channel(db: &D1Database, id: &str) -> Result<Option<ChannelRow>> {
    db.prepare(format!("SELECT {CHANNEL_COLS} WHERE id = ?1")).bind(&[s(id)])?.first(None).await
}

/// The account's channels, oldest first.
pub async fn channels(db: &D1Database, account_id: &str) -> Result<Vec<ChannelRow>> {
    db.prepare(format!("SELECT {CHANNEL_COLS} WHERE account_id = ?1 ORDER BY created_at, id"))
        .bind(&[s(account_id)])?
        .all()
        .await?
        .results()
}

/// The account's channel `id` (`None` for another account's).
pub async fn account_channel(db: &D1Database, account_id: &str, id: &str) -> Result<Option<ChannelRow>> {
    db.prepare(format!("SELECT {CHANNEL_COLS} WHERE id = ?1 AND account_id = ?2"))
        .bind(&[s(id), s(account_id)])?
        .first(None)
        .await
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
    fn stored_greetings_are_read_and_bad_ones_ignored() {
        let g = greetings_of(r#"[{"language":"fr","text":"Bonjour"}]"#);
        assert_eq!((g.len(), g[0].language.as_str(), g[0].text.as_str()), (1, "fr", "Bonjour"));
        assert!(greetings_of("not json").is_empty());
    }
}

//! The admin API the console calls: operators, my settings, channels, canned responses and
//! offline messages. Bodies are `parley_protocol::admin`'s, the ones the edge answers with.

use crate::net::{get_json, post_json, HttpError};
use parley_protocol::admin::{
    AccountUpdate, AccountView, CannedList, CannedRequest, CannedResponse, ChannelList, ChannelView,
    CreateChannelRequest, CreateOperatorRequest, OfflineMessage, OfflineMessageList, OperatorList, OperatorView,
    Settings, SettingsUpdate, UpdateChannelRequest, UpdateOperatorRequest,
};
use parley_protocol::entry_points::{EntryPointList, EntryPointRequest, EntryPointView};

const BASE: &str = "/api/v1/console";

/// A channel's entry points: the button first, then the invites in the order they are tried.
pub async fn entry_points(channel_id: &str) -> Result<Vec<EntryPointView>, HttpError> {
    get_json::<EntryPointList>(&format!("{BASE}/channels/{channel_id}/entry-points")).await.map(|l| l.entry_points)
}

pub async fn create_invite(channel_id: &str, body: &EntryPointRequest) -> Result<EntryPointView, HttpError> {
    post_json(&format!("{BASE}/channels/{channel_id}/entry-points"), body).await
}

pub async fn update_entry_point(id: &str, body: &EntryPointRequest) -> Result<EntryPointView, HttpError> {
    post_json(&format!("{BASE}/entry-points/{id}"), body).await
}

/// The account's operators (disabled ones included, flagged).
pub async fn operators() -> Result<Vec<OperatorView>, HttpError> {
    get_json::<OperatorList>(&format!("{BASE}/operators")).await.map(|l| l.operators)
}

pub async fn create_operator(body: &CreateOperatorRequest) -> Result<OperatorView, HttpError> {
    post_json(&format!("{BASE}/operators"), body).await
}

pub async fn update_operator(id: &str, body: &UpdateOperatorRequest) -> Result<OperatorView, HttpError> {
    post_json(&format!("{BASE}/operators/{id}"), body).await
}

/// The account's name and report time zone.
pub async fn account() -> Result<AccountView, HttpError> {
    get_json(&format!("{BASE}/account")).await
}

pub async fn save_account(body: &AccountUpdate) -> Result<AccountView, HttpError> {
    post_json(&format!("{BASE}/account"), body).await
}

pub async fn settings() -> Result<Settings, HttpError> {
    get_json(&format!("{BASE}/settings")).await
}

pub async fn save_settings(body: &SettingsUpdate) -> Result<Settings, HttpError> {
    post_json(&format!("{BASE}/settings"), body).await
}

pub async fn channels() -> Result<Vec<ChannelView>, HttpError> {
    get_json::<ChannelList>(&format!("{BASE}/channels")).await.map(|l| l.channels)
}

pub async fn create_channel(body: &CreateChannelRequest) -> Result<ChannelView, HttpError> {
    post_json(&format!("{BASE}/channels"), body).await
}

pub async fn update_channel(id: &str, body: &UpdateChannelRequest) -> Result<ChannelView, HttpError> {
    post_json(&format!("{BASE}/channels/{id}"), body).await
}

/// The channel's mail settings (issue 20).
pub async fn channel_mail(id: &str) -> Result<parley_protocol::admin::ChannelMail, HttpError> {
    get_json(&format!("{BASE}/channels/{id}/mail")).await
}

pub async fn save_channel_mail(
    id: &str,
    body: &parley_protocol::admin::ChannelMail,
) -> Result<parley_protocol::admin::ChannelMail, HttpError> {
    post_json(&format!("{BASE}/channels/{id}/mail"), body).await
}

/// A new identity secret for the channel (hashes made with the old one stop verifying).
pub async fn rotate_identity_secret(id: &str) -> Result<ChannelView, HttpError> {
    post_json(&format!("{BASE}/channels/{id}/identity-secret"), &serde_json::json!({})).await
}

/// The account's canned responses, by shortcut (for the composer too: see
/// `parley_protocol::admin::{expand_canned, canned_suggestions}`).
pub async fn canned_list() -> Result<Vec<CannedResponse>, HttpError> {
    get_json::<CannedList>(&format!("{BASE}/canned")).await.map(|l| l.canned)
}

pub async fn create_canned(body: &CannedRequest) -> Result<CannedResponse, HttpError> {
    post_json(&format!("{BASE}/canned"), body).await
}

pub async fn update_canned(id: &str, body: &CannedRequest) -> Result<CannedResponse, HttpError> {
    post_json(&format!("{BASE}/canned/{id}"), body).await
}

pub async fn delete_canned(id: &str) -> Result<(), HttpError> {
    post_json::<_, serde_json::Value>(&format!("{BASE}/canned/{id}/delete"), &serde_json::json!({})).await.map(|_| ())
}

/// The account's offline messages, newest first.
pub async fn offline_messages() -> Result<Vec<OfflineMessage>, HttpError> {
    get_json::<OfflineMessageList>(&format!("{BASE}/offline-messages")).await.map(|l| l.messages)
}

/// The account's active visitor blocks, newest first (admins).
pub async fn blocks() -> Result<Vec<parley_protocol::outcomes::BlockView>, HttpError> {
    get_json::<parley_protocol::outcomes::BlockList>(&format!("{BASE}/blocks")).await.map(|l| l.blocks)
}

pub async fn lift_block(id: &str) -> Result<(), HttpError> {
    post_json::<_, serde_json::Value>(&format!("{BASE}/blocks/{id}/lift"), &serde_json::json!({})).await.map(|_| ())
}

/// The account's retention period (any operator reads it, admins change it).
pub async fn retention() -> Result<parley_protocol::data_rights::RetentionSettings, HttpError> {
    get_json(&format!("{BASE}/account/retention")).await
}

pub async fn save_retention(
    body: &parley_protocol::data_rights::RetentionSettings,
) -> Result<parley_protocol::data_rights::RetentionSettings, HttpError> {
    post_json(&format!("{BASE}/account/retention"), body).await
}

/// Where an admin downloads everything held about a visitor (JSON).
pub fn visitor_export_url(visitor_id: &str) -> String {
    format!("{BASE}/visitors/{}/export", js_sys::encode_uri_component(visitor_id))
}

/// Erases the visitor (admins): every conversation, message, offline message, identity and block.
/// One request erases a bounded number of conversations (Cloudflare caps a request's
/// subrequests): it is repeated while the answer says some remain, and the answers are summed.
pub async fn erase_visitor(visitor_id: &str) -> Result<parley_protocol::data_rights::ErasureReport, HttpError> {
    let url = format!("{BASE}/visitors/{}/erase", js_sys::encode_uri_component(visitor_id));
    let mut total = parley_protocol::data_rights::ErasureReport::default();
    loop {
        let r: parley_protocol::data_rights::ErasureReport = post_json(&url, &serde_json::json!({})).await?;
        total.visitor_id = r.visitor_id;
        total.conversations += r.conversations;
        total.offline_messages += r.offline_messages;
        total.identities += r.identities;
        total.blocks += r.blocks;
        // No progress: stop rather than loop (the admin can try again).
        if r.remaining == 0 || r.conversations == 0 {
            total.remaining = r.remaining;
            return Ok(total);
        }
    }
}

//! What the widget keeps in the visitor's first-party storage, per channel. Nothing is written
//! before the visitor interacts with the widget, except the invite rules' page-view signals
//! (`invite::save`, the one place, to be gated by consent-first storage) and the goals reached
//! in this session, kept in `sessionStorage` (`save_session`, called by `app::reach_goals` —
//! the second place for consent-first storage to gate). After the visitor interacted: the
//! pre-chat answers (`prechat`) and the last conversation they rated (`rated`).

use serde::{de::DeserializeOwned, Serialize};

fn storage() -> Option<web_sys::Storage> {
    parley_client::window().local_storage().ok().flatten()
}

pub fn key(channel: &str, name: &str) -> String {
    format!("parley:{channel}:{name}")
}

pub fn load<T: DeserializeOwned>(channel: &str, name: &str) -> Option<T> {
    let raw = storage()?.get_item(&key(channel, name)).ok()??;
    parley_client::from_json(&raw)
}

pub fn save<T: Serialize>(channel: &str, name: &str, value: &T) {
    if let (Some(s), Ok(raw)) = (storage(), serde_json::to_string(value)) {
        let _ = s.set_item(&key(channel, name), &raw);
    }
}

pub fn remove(channel: &str, name: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&key(channel, name));
    }
}

fn session() -> Option<web_sys::Storage> {
    parley_client::window().session_storage().ok().flatten()
}

/// Raw text in `sessionStorage` (the goals of this session, see the module doc).
pub fn load_session(channel: &str, name: &str) -> Option<String> {
    session()?.get_item(&key(channel, name)).ok()?
}

pub fn save_session(channel: &str, name: &str, raw: &str) {
    if let Some(s) = session() {
        let _ = s.set_item(&key(channel, name), raw);
    }
}

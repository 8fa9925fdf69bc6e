//! What the widget keeps in the visitor's first-party storage, per channel (`parley:<channel>:<name>`).
//!
//! Consent-first: nothing is written to `localStorage` or `sessionStorage` until the visitor
//! interacts with the widget (a click on one of its buttons, typing in or submitting one of its
//! forms) or the site calls `Parley.consent()`. Until then every value lives in memory here
//! (invite signals, the open panel, the session's goals…); at consent the memory values are
//! written. Keys of this channel already in storage mean an earlier consent: storage is used at
//! once. The client crate's outbox mirror only starts with a conversation, after interaction.

use std::cell::RefCell;

use web_sys::js_sys::JSON;
use web_sys::Storage;

struct Store {
    prefix: String,
    consent: bool,
    /// Writes waiting for consent: (session storage?, key, value; `None` = removed).
    mem: Vec<(bool, String, Option<String>)>,
}

thread_local! {
    static S: RefCell<Store> = const { RefCell::new(Store { prefix: String::new(), consent: false, mem: Vec::new() }) };
}

fn storage(session: bool) -> Option<Storage> {
    let w = parley_client::window();
    if session { w.session_storage() } else { w.local_storage() }.ok().flatten()
}

fn has_ours(s: Option<Storage>, prefix: &str) -> bool {
    let Some(s) = s else { return false };
    let n = s.length().unwrap_or(0);
    (0..n).any(|i| s.key(i).ok().flatten().is_some_and(|k| k.starts_with(prefix)))
}

/// The channel's keys; consent is on when some are already stored (an earlier consent).
pub fn init(channel: &str) {
    let prefix = ["parley:", channel, ":"].concat();
    let consent = has_ours(storage(false), &prefix) || has_ours(storage(true), &prefix);
    S.with(|s| {
        let mut s = s.borrow_mut();
        s.prefix = prefix;
        s.consent = consent;
    });
}

pub fn key(name: &str) -> String {
    S.with(|s| [s.borrow().prefix.as_str(), name].concat())
}

/// The visitor interacted or the site said they consented: storage from now on, the memory
/// values written now.
pub fn consent() {
    let mem = S.with(|s| {
        let mut s = s.borrow_mut();
        if s.consent {
            return Vec::new();
        }
        s.consent = true;
        std::mem::take(&mut s.mem)
    });
    for (session, k, v) in mem {
        write(session, &k, v.as_deref());
    }
}

fn write(session: bool, key: &str, value: Option<&str>) {
    if let Some(s) = storage(session) {
        let _ = match value {
            Some(v) => s.set_item(key, v),
            None => s.remove_item(key),
        };
    }
}

fn set(session: bool, name: &str, value: Option<&str>) {
    let k = key(name);
    let held = S.with(|s| {
        let mut s = s.borrow_mut();
        if s.consent {
            return false;
        }
        s.mem.retain(|(ss, kk, _)| *ss != session || *kk != k);
        s.mem.push((session, k.clone(), value.map(str::to_owned)));
        true
    });
    if !held {
        write(session, &k, value);
    }
}

fn get(session: bool, name: &str) -> Option<String> {
    let k = key(name);
    let held = S.with(|s| s.borrow().mem.iter().find(|(ss, kk, _)| *ss == session && *kk == k).map(|x| x.2.clone()));
    match held {
        Some(v) => v,
        None => storage(session)?.get_item(&k).ok()?,
    }
}

/// Raw text in `localStorage` (or memory before consent).
pub fn load(name: &str) -> Option<String> {
    get(false, name)
}

pub fn save(name: &str, raw: &str) {
    set(false, name, Some(raw));
}

pub fn remove(name: &str) {
    set(false, name, None);
}

/// A stored JSON value.
pub fn load_json(name: &str) -> Option<wasm_bindgen::JsValue> {
    JSON::parse(&load(name)?).ok()
}

pub fn save_json(name: &str, value: &wasm_bindgen::JsValue) {
    save(name, &crate::io::stringify(value));
}

/// Raw text in `sessionStorage` (the goals of this session).
pub fn load_session(name: &str) -> Option<String> {
    get(true, name)
}

pub fn save_session(name: &str, raw: &str) {
    set(true, name, Some(raw));
}

//! The console's shared state and the actions that change it.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ConvSummary, Operator};
use crate::chat::Chat;

/// How often the conversation list is refreshed.
const POLL_MS: i32 = 2_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// Asking `/auth/me` whether the cookie is still good.
    Checking,
    LoggedOut,
    LoggedIn(Operator),
}

/// An open conversation tab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tab {
    pub id: String,
    pub label: String,
}

/// Shared by every component through context. All fields are arena handles, so it is `Copy`.
#[derive(Clone, Copy)]
pub struct Ctx {
    pub auth: RwSignal<Auth>,
    /// Shown on the login screen (e.g. "session expired").
    pub notice: RwSignal<Option<String>>,
    pub convs: RwSignal<Vec<ConvSummary>>,
    /// The list has been fetched at least once since login.
    pub convs_loaded: RwSignal<bool>,
    pub list_error: RwSignal<Option<String>>,
    pub tabs: RwSignal<Vec<Tab>>,
    pub active: RwSignal<Option<String>>,
    /// Open conversations by id; kept while their tab is open, shown or not.
    chats: StoredValue<HashMap<String, Chat>, LocalStorage>,
    /// Bumped to stop the current polling loop.
    poll_gen: StoredValue<u32>,
}

impl Ctx {
    pub fn new() -> Self {
        Ctx {
            auth: RwSignal::new(Auth::Checking),
            notice: RwSignal::new(None),
            convs: RwSignal::new(Vec::new()),
            convs_loaded: RwSignal::new(false),
            list_error: RwSignal::new(None),
            tabs: RwSignal::new(Vec::new()),
            active: RwSignal::new(None),
            chats: StoredValue::new_local(HashMap::new()),
            poll_gen: StoredValue::new(0),
        }
    }

    /// Number of waiting conversations (reactive).
    pub fn waiting(&self) -> usize {
        self.convs.with(|cs| cs.iter().filter(|c| c.is_waiting()).count())
    }

    pub fn chat(&self, id: &str) -> Option<Chat> {
        self.chats.with_value(|m| m.get(id).cloned())
    }

    /// Checks the session cookie on load.
    pub fn restore_session(self) {
        spawn_local(async move {
            match api::me().await {
                Ok(op) => self.logged_in(op),
                Err(e) => {
                    if e.status != 401 {
                        self.notice.set(Some(api::describe(&e)));
                    }
                    self.auth.set(Auth::LoggedOut);
                }
            }
        });
    }

    pub fn logged_in(self, op: Operator) {
        self.notice.set(None);
        self.auth.set(Auth::LoggedIn(op));
        self.start_polling();
    }

    pub fn logout(self) {
        self.forget_session(None);
        spawn_local(api::logout());
    }

    /// Stops polling, closes every conversation and returns to the login screen.
    fn forget_session(self, notice: Option<String>) {
        self.poll_gen.update_value(|g| *g = g.wrapping_add(1));
        let chats: Vec<Chat> = self.chats.try_update_value(|m| m.drain().map(|(_, c)| c).collect()).unwrap_or_default();
        chats.iter().for_each(Chat::close);
        self.active.set(None);
        self.tabs.set(Vec::new());
        self.convs.set(Vec::new());
        self.convs_loaded.set(false);
        self.list_error.set(None);
        self.notice.set(notice);
        self.auth.set(Auth::LoggedOut);
    }

    fn start_polling(self) {
        self.poll_gen.update_value(|g| *g = g.wrapping_add(1));
        let generation = self.poll_gen.get_value();
        let current = move || self.poll_gen.try_get_value() == Some(generation);
        spawn_local(async move {
            while current() {
                let result = api::conversations().await;
                if !current() {
                    break;
                }
                match result {
                    Ok(list) => {
                        self.convs.set(list);
                        self.convs_loaded.set(true);
                        self.list_error.set(None);
                    }
                    Err(e) if e.status == 401 => {
                        self.forget_session(Some("Your session has ended. Please log in again.".to_owned()));
                        break;
                    }
                    Err(e) => self.list_error.set(Some(api::describe(&e))),
                }
                api::sleep(POLL_MS).await;
            }
        });
    }

    /// Opens (or switches to) a conversation's tab.
    pub fn open_conversation(self, conv: &ConvSummary) {
        if self.chat(&conv.id).is_none() {
            let Auth::LoggedIn(op) = self.auth.get_untracked() else { return };
            // Connect outside any signal update: the connection reports its state at once.
            let chat = Chat::open(&conv.id, op.chat_name);
            self.chats.update_value(|m| {
                m.insert(conv.id.clone(), chat);
            });
            self.tabs.update(|tabs| tabs.push(Tab { id: conv.id.clone(), label: conv.visitor_label() }));
        }
        self.show(&conv.id);
    }

    /// Brings an open conversation to the front (no re-render when it already is).
    pub fn show(self, id: &str) {
        if self.active.with_untracked(|a| a.as_deref() != Some(id)) {
            self.active.set(Some(id.to_owned()));
        }
    }

    /// Closes a tab and its connection; the neighbouring tab becomes active.
    pub fn close_conversation(self, id: &str) {
        if let Some(chat) = self.chats.try_update_value(|m| m.remove(id)).flatten() {
            chat.close();
        }
        let tabs = self.tabs.get_untracked();
        let index = tabs.iter().position(|t| t.id == id);
        let remaining: Vec<Tab> = tabs.into_iter().filter(|t| t.id != id).collect();
        if self.active.get_untracked().as_deref() == Some(id) {
            let next = index.and_then(|i| remaining.get(i.min(remaining.len().saturating_sub(1))));
            self.active.set(next.map(|t| t.id.clone()));
        }
        self.tabs.set(remaining);
    }
}

//! The console's shared state and the actions that change it.

use crate::api::SummaryExt;
use std::collections::{HashMap, HashSet};

use parley_protocol::admin::CannedResponse;
use parley_protocol::api::PresenceSnapshot;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ConvSummary, Operator};
use crate::chat::Chat;
use crate::model;
use crate::notify;
use crate::unread::{self, Seen, SEEN_KEY};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// How often the conversation list is refreshed.
const POLL_MS: u32 = 2_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// Asking `/auth/me` whether the cookie is still good.
    Checking,
    LoggedOut,
    LoggedIn(Operator),
}

/// Which conversations the list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFilter {
    /// Nobody has answered yet (in line, or assigned and unanswered).
    Waiting,
    /// Routed to me and not closed.
    Mine,
    All,
}

/// Activity in the console is reported to the server at most this often (it keeps the
/// operator from the inactivity timeout).
const TOUCH_EVERY_MS: f64 = 60_000.0;

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
    /// Messages seen per conversation id, mirrored to localStorage.
    pub seen: RwSignal<Seen>,
    /// The browser tab is on screen (`document.hidden` is false).
    pub page_visible: RwSignal<bool>,
    /// Open conversations by id; kept while their tab is open, shown or not.
    chats: StoredValue<HashMap<String, Chat>, LocalStorage>,
    /// Bumped to stop the current polling loop.
    poll_gen: StoredValue<u32>,
    /// Presence, open chats and channels, polled with the list.
    pub presence: RwSignal<Option<PresenceSnapshot>>,
    pub presence_error: RwSignal<Option<String>>,
    pub filter: RwSignal<ListFilter>,
    /// The admin area is shown instead of the workspace.
    pub admin_open: RwSignal<bool>,
    pub canned: RwSignal<Vec<CannedResponse>>,
    /// Alerts (sound and title) raised since login; the title shows the last one until the
    /// operator does something.
    pub alerts: RwSignal<u32>,
    pub alert_text: RwSignal<Option<String>>,
    /// The logged-in operator's online chat name, as the top bar shows it (changes with My
    /// settings without re-rendering the console).
    pub chat_name: RwSignal<String>,
    /// Conversation ids already listed, and the unread total, at the last poll.
    known: StoredValue<Option<(HashSet<String>, u64)>>,
    last_touch: StoredValue<f64>,
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
            seen: RwSignal::new(load_seen()),
            page_visible: RwSignal::new(page_visible()),
            chats: StoredValue::new_local(HashMap::new()),
            poll_gen: StoredValue::new(0),
            presence: RwSignal::new(None),
            presence_error: RwSignal::new(None),
            filter: RwSignal::new(ListFilter::All),
            admin_open: RwSignal::new(false),
            canned: RwSignal::new(Vec::new()),
            alerts: RwSignal::new(0),
            alert_text: RwSignal::new(None),
            chat_name: RwSignal::new(String::new()),
            known: StoredValue::new(None),
            last_touch: StoredValue::new(0.0),
        }
    }

    /// The logged-in operator's id (reactive).
    pub fn my_id(&self) -> Option<String> {
        self.auth.with(|a| match a {
            Auth::LoggedIn(op) => Some(op.id.0.clone()),
            _ => None,
        })
    }

    /// Whether I am online (reactive).
    pub fn online(&self) -> bool {
        self.presence
            .with(|p| p.as_ref().is_some_and(|p| p.presence.operators.iter().any(|o| o.id == p.me && o.online)))
    }

    /// Whether a listed conversation passes `filter` for operator `me`.
    pub fn passes(filter: ListFilter, c: &ConvSummary, me: Option<&str>) -> bool {
        match filter {
            ListFilter::Waiting => c.is_waiting(),
            ListFilter::Mine => {
                c.status != parley_protocol::protocol::Status::Closed
                    && c.operator_id.as_deref().is_some_and(|o| Some(o) == me)
            }
            ListFilter::All => true,
        }
    }

    /// Conversations passing `filter` (reactive).
    pub fn count(&self, filter: ListFilter) -> usize {
        let me = self.my_id();
        self.convs.with(|cs| cs.iter().filter(|c| Self::passes(filter, c, me.as_deref())).count())
    }

    /// Applies a presence change (online/offline, join/leave) and shows the new state.
    pub fn change_presence(self, change: parley_protocol::api::PresenceChange) {
        spawn_local(async move {
            match crate::net::post_json::<_, PresenceSnapshot>("/api/v1/console/presence", &change).await {
                Ok(p) => {
                    self.presence.set(Some(p));
                    self.presence_error.set(None);
                }
                Err(e) => self.presence_error.set(Some(api::describe(&e))),
            }
        });
    }

    /// The operator did something: clear the alert, and tell the server (throttled).
    pub fn activity(self) {
        if self.alert_text.get_untracked().is_some() {
            self.alert_text.set(None);
        }
        let now = js_sys::Date::now();
        if now - self.last_touch.get_value() < TOUCH_EVERY_MS
            || self.auth.with_untracked(|a| !matches!(a, Auth::LoggedIn(_)))
        {
            return;
        }
        self.last_touch.set_value(now);
        spawn_local(async move {
            let _ =
                crate::net::post_json::<_, serde_json::Value>("/api/v1/console/presence/touch", &serde_json::json!({}))
                    .await;
        });
    }

    /// Sound and title for something new; a system notification too when the console is not
    /// in front and the operator chose it (`notify`).
    fn alert(self, text: &str, kind: notify::Kind, about: Option<(String, String)>) {
        self.alerts.update(|n| *n += 1);
        self.alert_text.set(Some(text.to_owned()));
        beep();
        if let Some(body) = parley_client::window().document().and_then(|d| d.body()) {
            let _ = body.set_attribute("data-alerts", &self.alerts.get_untracked().to_string());
        }
        let prefs =
            notify::Prefs::parse(storage().and_then(|s| s.get_item(notify::NOTIFY_KEY).ok().flatten()).as_deref());
        if notify::should_notify(kind, prefs, notification_permission(), in_front()) {
            let (visitor, preview) = about.unwrap_or_default();
            show_notification(text, &notify::body(&visitor, &preview));
        }
    }

    /// Compares a fresh list with the last one: a new chat for me (or waiting), or more
    /// unread messages, raises an alert. The first list after login raises none.
    fn check_alerts(self) {
        let me = self.my_id_untracked();
        let ids: HashSet<String> = self.convs.with_untracked(|cs| cs.iter().map(|c| c.id.to_string()).collect());
        let unread = self.total_unread_untracked();
        let about = |c: &ConvSummary| (c.visitor_name.clone(), c.last_message_preview.clone());
        // The new chat (for me, or waiting) the alert and its notification are about.
        let new_chat = self.known.with_value(|k| {
            let (known, _) = k.as_ref()?;
            self.convs.with_untracked(|cs| {
                cs.iter()
                    .find(|c| {
                        !known.contains(c.id.as_str())
                            && c.status != parley_protocol::protocol::Status::Closed
                            && (c.is_waiting() || c.operator_id.as_deref() == me.as_deref())
                    })
                    .map(about)
            })
        });
        let more_unread = self.known.with_value(|k| k.as_ref().is_some_and(|(_, before)| unread > *before));
        self.known.set_value(Some((ids, unread)));
        if new_chat.is_some() {
            self.alert(crate::i18n::t().alert_new_chat, notify::Kind::NewChat, new_chat);
        } else if more_unread {
            // More unread messages: my latest conversation.
            let latest = self.convs.with_untracked(|cs| {
                cs.iter()
                    .filter(|c| c.operator_id.as_deref() == me.as_deref())
                    .max_by_key(|c| c.last_message_at)
                    .map(about)
            });
            self.alert(crate::i18n::t().alert_new_message, notify::Kind::NewMessage, latest);
        }
    }

    fn my_id_untracked(&self) -> Option<String> {
        self.auth.with_untracked(|a| match a {
            Auth::LoggedIn(op) => Some(op.id.0.clone()),
            _ => None,
        })
    }

    fn total_unread_untracked(&self) -> u64 {
        untrack(|| self.total_unread())
    }

    /// Number of waiting conversations (reactive).
    pub fn waiting(&self) -> usize {
        self.convs.with(|cs| cs.iter().filter(|c| c.is_waiting()).count())
    }

    pub fn chat(&self, id: &str) -> Option<Chat> {
        self.chats.with_value(|m| m.get(id).cloned())
    }

    /// Messages stored in conversation `id` (reactive): the polled count, or more when its
    /// open connection has already received newer ones.
    pub fn message_count(&self, id: &str) -> u64 {
        let listed = self.convs.with(|cs| cs.iter().find(|c| c.id == id).map_or(0, |c| c.message_count));
        listed.max(self.live_count(id))
    }

    /// Messages the open connection to `id` has received (reactive; 0 when it is not open).
    fn live_count(&self, id: &str) -> u64 {
        // Tabs change right after a connection is added or removed.
        self.tabs.track();
        self.chat(id).map_or(0, |chat| chat.view.lines.with(|lines| model::stored_count(lines)))
    }

    /// Unread messages of conversation `id` (reactive): none once the operators' shared read
    /// mark covers every visitor's message its open connection holds (read receipts).
    pub fn unread(&self, id: &str) -> u64 {
        if self.caught_up(id) {
            return 0;
        }
        let count = self.message_count(id);
        self.seen.with(|seen| unread::unread_in(seen, id, count))
    }

    /// Whether the open connection to `id` says the operators have read it all (reactive).
    fn caught_up(&self, id: &str) -> bool {
        self.tabs.track();
        self.chat(id).is_some_and(|chat| chat.view.caught_up.with(|c| *c))
    }

    /// Unread messages over every listed conversation (reactive).
    pub fn total_unread(&self) -> u64 {
        let counts: Vec<(String, u64)> =
            self.convs.with(|cs| cs.iter().map(|c| (c.id.to_string(), c.message_count)).collect());
        let counts: Vec<(String, u64)> = counts
            .into_iter()
            .map(|(id, listed)| {
                let n = listed.max(self.live_count(&id));
                (id, n)
            })
            .collect();
        let counts: Vec<(String, u64)> = counts.into_iter().filter(|(id, _)| !self.caught_up(id)).collect();
        self.seen.with(|seen| counts.iter().map(|(id, n)| unread::unread_in(seen, id, *n)).sum())
    }

    /// Keeps the seen map current: everything in the active conversation counts as seen while
    /// the page is visible, and other console tabs' progress (through localStorage) is taken in.
    pub fn track_seen(self) {
        // Read receipts: the active conversation of a visible console is being read; no other.
        Effect::new(move |_| {
            self.tabs.track();
            let reading = if self.page_visible.get() { self.active.get() } else { None };
            let chats: Vec<(String, Chat)> =
                self.chats.with_value(|m| m.iter().map(|(k, c)| (k.clone(), c.clone())).collect());
            for (id, chat) in chats {
                chat.reading(reading.as_deref() == Some(id.as_str()));
            }
        });
        Effect::new(move |_| {
            if !self.page_visible.get() {
                return;
            }
            let Some(id) = self.active.get() else { return };
            let count = self.message_count(&id);
            self.mark_seen(&id, count);
        });
        // `visibilitychange` is fired at the document and bubbles up to the window.
        window_event_listener_untyped("visibilitychange", move |_| {
            let visible = page_visible();
            if self.page_visible.try_get_untracked() != Some(visible) {
                self.page_visible.try_set(visible);
            }
        });
        window_event_listener_untyped("storage", move |_| {
            let stored = load_seen();
            if self.seen.try_with_untracked(|seen| stored.iter().any(|(id, n)| seen.get(id).is_none_or(|m| m < n)))
                == Some(true)
            {
                self.seen.update(|seen| {
                    unread::merge_seen(seen, &stored);
                });
            }
        });
    }

    /// Records that the first `count` messages of `id` have been seen, and saves the map.
    fn mark_seen(self, id: &str, count: u64) {
        if self.seen.with_untracked(|seen| seen.get(id).copied().unwrap_or(0) >= count) {
            return;
        }
        self.seen.update(|seen| {
            unread::mark_seen(seen, id, count);
            // Another console tab may have seen more meanwhile.
            unread::merge_seen(seen, &load_seen());
            self.convs.with_untracked(|cs| unread::prune_seen(seen, |id| cs.iter().any(|c| c.id == id)));
        });
        self.seen.with_untracked(save_seen);
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
        self.chat_name.set(op.chat_name.clone());
        self.auth.set(Auth::LoggedIn(op));
        self.known.set_value(None);
        self.start_polling();
        self.load_canned();
    }

    /// Loads the account's canned responses for the composer.
    pub fn load_canned(self) {
        spawn_local(async move {
            if let Ok(list) = crate::admin_api::canned_list().await {
                self.canned.set(list);
            }
        });
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
                let presence = crate::net::get_json::<PresenceSnapshot>("/api/v1/console/presence").await;
                if !current() {
                    break;
                }
                match presence {
                    Ok(p) => {
                        if self.presence.with_untracked(|old| old.as_ref() != Some(&p)) {
                            self.presence.set(Some(p));
                        }
                    }
                    Err(e) if e.status != 401 => self.presence_error.set(Some(api::describe(&e))),
                    Err(_) => {}
                }
                match result {
                    Ok(list) => {
                        self.convs.set(list);
                        self.convs_loaded.set(true);
                        self.list_error.set(None);
                        self.check_alerts();
                    }
                    Err(e) if e.status == 401 => {
                        self.forget_session(Some(crate::i18n::t().session_ended.to_owned()));
                        break;
                    }
                    Err(e) => self.list_error.set(Some(api::describe(&e))),
                }
                crate::net::sleep(POLL_MS).await;
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
                m.insert(conv.id.to_string(), chat);
            });
            self.tabs.update(|tabs| tabs.push(Tab { id: conv.id.to_string(), label: conv.visitor_label() }));
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

fn storage() -> Option<web_sys::Storage> {
    parley_client::window().local_storage().ok().flatten()
}

/// The seen map as stored; empty when there is none or it cannot be read.
fn load_seen() -> Seen {
    storage()
        .and_then(|s| s.get_item(SEEN_KEY).ok().flatten())
        .map(|json| unread::parse_seen(&json))
        .unwrap_or_default()
}

fn save_seen(seen: &Seen) {
    if let Some(s) = storage() {
        let _ = s.set_item(SEEN_KEY, &unread::seen_to_json(seen));
    }
}

/// A short two-tone chime (Web Audio); silent when the browser does not allow sound yet.
fn beep() {
    let Ok(ctx) = web_sys::AudioContext::new() else { return };
    let t = ctx.current_time();
    for (i, freq) in [880.0_f32, 1320.0].into_iter().enumerate() {
        let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else { return };
        osc.frequency().set_value(freq);
        let start = t + i as f64 * 0.12;
        gain.gain().set_value(0.0);
        let _ = gain.gain().linear_ramp_to_value_at_time(0.15, start + 0.01);
        let _ = gain.gain().linear_ramp_to_value_at_time(0.0, start + 0.11);
        let _ = osc.connect_with_audio_node(&gain);
        let _ = gain.connect_with_audio_node(&ctx.destination());
        let _ = osc.start_with_when(start);
        let _ = osc.stop_with_when(start + 0.12);
    }
    // Release the audio device once the chime is over.
    crate::net::after(600, move || {
        let _ = ctx.close();
    });
}

/// Whether the operator is looking at the console: its tab shown and its window focused.
fn in_front() -> bool {
    parley_client::window().document().is_none_or(|d| !d.hidden() && d.has_focus().unwrap_or(true))
}

/// `Notification.permission`, or unsupported when the browser has no notifications.
pub fn notification_permission() -> notify::Permission {
    let has = js_sys::Reflect::has(&parley_client::window(), &"Notification".into()).unwrap_or(false);
    if !has {
        return notify::Permission::Unsupported;
    }
    let value = match web_sys::Notification::permission() {
        web_sys::NotificationPermission::Granted => "granted",
        web_sys::NotificationPermission::Denied => "denied",
        _ => "default",
    };
    notify::Permission::of(Some(value))
}

/// Shows a system notification (one at a time: a newer one replaces it). Clicking it brings
/// the console to the front. Each one shown is counted in the page's `data-notified`.
fn show_notification(title: &str, body: &str) {
    let opts = web_sys::NotificationOptions::new();
    opts.set_body(body);
    opts.set_tag("parley-console");
    let Ok(n) = web_sys::Notification::new_with_options(title, &opts) else { return };
    // Owned by the notification from here on (the JS garbage collector frees them with it).
    let shown = Closure::<dyn FnMut()>::new(|| {
        if let Some(body) = parley_client::window().document().and_then(|d| d.body()) {
            let count = body.get_attribute("data-notified").and_then(|c| c.parse::<u32>().ok()).unwrap_or(0) + 1;
            let _ = body.set_attribute("data-notified", &count.to_string());
        }
    })
    .into_js_value();
    n.set_onshow(Some(shown.unchecked_ref()));
    let n2 = n.clone();
    let clicked = Closure::<dyn FnMut()>::new(move || {
        let _ = parley_client::window().focus();
        n2.close();
    })
    .into_js_value();
    n.set_onclick(Some(clicked.unchecked_ref()));
}

fn page_visible() -> bool {
    parley_client::window().document().is_none_or(|d| !d.hidden())
}

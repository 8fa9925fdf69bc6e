//! Routing a new chat to an operator, from a snapshot of presence (pure).
//!
//! The rules, in order (SPEC "Routing to operators"):
//! 1. only operators who are online, have joined the channel, are not disabled and have a free
//!    slot (fewer ongoing chats than their maximum) can take the chat;
//! 2. among them, prefer one who speaks the visitor's language (main or extra) — a preference
//!    only: it never makes an available operator unavailable or a busy one available;
//! 3. then the fewest ongoing chats;
//! 4. then the longest idle (earliest `idle_since`);
//! 5. then the operator id, so the choice is deterministic.
//!
//! When nobody can take it but someone online has joined the channel, the visitor waits in the
//! FIFO [`WaitQueue`]; when nobody is online in the channel the widget offers the offline form.
//! [`crate::dispatch`] feeds it live presence and carries out its decisions.

use crate::ids::{Millis, OperatorId};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// One operator as the channel's presence sees them at decision time (borrowed from the
/// dispatcher's state, so a decision allocates nothing per operator).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub id: &'a str,
    pub online: bool,
    /// Joined this channel.
    pub joined: bool,
    pub disabled: bool,
    pub max_chats: u32,
    pub ongoing: u32,
    /// Main language first, then the extra ones (BCP 47 tags such as `en`, `pt-BR`).
    pub languages: &'a [String],
    /// Since when the operator has had no new chat (or since they came online).
    pub idle_since: Millis,
}

impl Candidate<'_> {
    fn present(&self) -> bool {
        self.online && self.joined && !self.disabled
    }
    fn has_free_slot(&self) -> bool {
        self.ongoing < self.max_chats
    }
    /// Speaks `lang`, comparing primary subtags case-insensitively (`pt-BR` matches `pt`).
    pub fn speaks(&self, lang: &str) -> bool {
        let want = primary(lang);
        !want.is_empty() && self.languages.iter().any(|l| primary(l).eq_ignore_ascii_case(want))
    }
}

pub use parley_protocol::i18n::primary;

/// Where a new chat goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Assign {
        operator_id: OperatorId,
        speaks_language: bool,
    },
    /// Someone is online in the channel, but nobody has a free slot: wait in the queue.
    Queue,
    /// Nobody is online in the channel: offer the "leave a message" form.
    Offline,
}

/// Chooses where a new chat goes. `exclude` lists operators who must not get it (the one who
/// did not answer, when auto-forwarding).
pub fn route(candidates: &[Candidate], visitor_language: Option<&str>, exclude: &[&str]) -> Route {
    let eligible = |c: &&Candidate| c.present() && !exclude.contains(&c.id);
    let want = visitor_language.map(primary).filter(|w| !w.is_empty());
    let speaks = |c: &Candidate| want.is_some_and(|w| c.languages.iter().any(|l| primary(l).eq_ignore_ascii_case(w)));
    // One key per candidate; `false < true`, so "does not speak" puts speakers first.
    let best = candidates
        .iter()
        .filter(eligible)
        .filter(|c| c.has_free_slot())
        .min_by_key(|c| (!speaks(c), c.ongoing, c.idle_since, c.id));
    match best {
        Some(c) => Route::Assign { operator_id: c.id.into(), speaks_language: speaks(c) },
        None if candidates.iter().any(|c| c.present()) => Route::Queue,
        None => Route::Offline,
    }
}

/// The visitors waiting for an operator, first come first served (by the time they started
/// waiting, so a chat put back in line keeps its place).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitQueue {
    entries: VecDeque<(String, Millis)>,
}

impl WaitQueue {
    /// Adds a conversation at the back (once); returns its 1-based position.
    pub fn push(&mut self, conversation_id: &str, since: Millis) -> usize {
        if let Some(p) = self.position(conversation_id) {
            return p;
        }
        // After every entry that started waiting at or before `since`.
        let at = self.entries.iter().rposition(|(_, t)| *t <= since).map_or(0, |i| i + 1);
        self.entries.insert(at, (conversation_id.to_owned(), since));
        at + 1
    }

    /// The waiting conversations, first in line first.
    pub fn iter(&self) -> impl Iterator<Item = &(String, Millis)> {
        self.entries.iter()
    }

    /// The conversation first in line.
    pub fn front(&self) -> Option<&(String, Millis)> {
        self.entries.front()
    }

    /// 1-based position of a waiting conversation.
    pub fn position(&self, conversation_id: &str) -> Option<usize> {
        self.entries.iter().position(|(id, _)| id == conversation_id).map(|i| i + 1)
    }

    /// Takes the conversation that waited longest (when a slot frees).
    pub fn pop(&mut self) -> Option<(String, Millis)> {
        self.entries.pop_front()
    }

    /// Removes a conversation that stopped waiting (the visitor left or ended it).
    pub fn remove(&mut self, conversation_id: &str) -> bool {
        let before = self.entries.len();
        self.entries.retain(|(id, _)| id != conversation_id);
        self.entries.len() != before
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Estimated wait for the visitor at `position`: about `slots` chats end per
/// `average_chat_ms` (a slot is one of the max concurrent chats of an operator online in the
/// channel), so the wait is `ceil(position / slots) × average_chat_ms` (at least one slot).
pub fn estimated_wait_ms(position: usize, slots: usize, average_chat_ms: u64) -> u64 {
    let rounds = position.div_ceil(slots.max(1)) as u64;
    rounds.saturating_mul(average_chat_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(id: &'static str, langs: &[&str], ongoing: u32, max: u32, idle: u64) -> Candidate<'static> {
        let languages: Vec<String> = langs.iter().map(|l| l.to_string()).collect();
        Candidate {
            id,
            online: true,
            joined: true,
            disabled: false,
            max_chats: max,
            ongoing,
            languages: Vec::leak(languages),
            idle_since: Millis(idle),
        }
    }
    fn assigned(r: Route) -> String {
        match r {
            Route::Assign { operator_id, .. } => operator_id.0,
            other => panic!("expected an assignment, got {other:?}"),
        }
    }

    #[test]
    fn only_online_joined_enabled_operators_with_a_free_slot() {
        let mut offline = op("offline", &["en"], 0, 4, 0);
        offline.online = false;
        let mut not_joined = op("not_joined", &["en"], 0, 4, 0);
        not_joined.joined = false;
        let mut disabled = op("disabled", &["en"], 0, 4, 0);
        disabled.disabled = true;
        let full = op("full", &["en"], 4, 4, 0);
        let free = op("free", &["en"], 3, 4, 99);
        let all = [offline, not_joined, disabled, full, free];
        assert_eq!(assigned(route(&all, Some("en"), &[])), "free");
    }

    #[test]
    fn language_is_preferred_but_never_overrides_availability() {
        let busy_speaker = op("busy_fr", &["fr"], 2, 2, 0);
        let free_other = op("free_en", &["en"], 1, 4, 0);
        assert_eq!(
            route(&[busy_speaker.clone(), free_other.clone()], Some("fr"), &[]),
            Route::Assign { operator_id: "free_en".into(), speaks_language: false }
        );
        // A free speaker wins over a less loaded non-speaker.
        let free_speaker = op("free_fr", &["en", "fr"], 3, 4, 50);
        assert_eq!(
            route(&[free_other, free_speaker, busy_speaker], Some("fr-CA"), &[]),
            Route::Assign { operator_id: "free_fr".into(), speaks_language: true }
        );
    }

    #[test]
    fn extra_languages_and_regional_tags_count() {
        let a = op("a", &["de"], 0, 4, 0);
        let b = op("b", &["en", "pt-BR"], 2, 4, 0);
        assert_eq!(assigned(route(&[a.clone(), b.clone()], Some("pt"), &[])), "b");
        assert_eq!(assigned(route(&[a.clone(), b.clone()], Some("PT_pt"), &[])), "b");
        // Without a visitor language there is no preference: the least loaded wins.
        assert_eq!(assigned(route(&[a.clone(), b.clone()], None, &[])), "a");
        assert_eq!(assigned(route(&[a, b], Some(""), &[])), "a");
    }

    #[test]
    fn then_fewest_ongoing_then_longest_idle_then_id() {
        let busy = op("busy", &["en"], 2, 4, 0);
        let light_recent = op("light_recent", &["en"], 1, 4, 500);
        let light_idle = op("light_idle", &["en"], 1, 4, 100);
        assert_eq!(assigned(route(&[busy, light_recent.clone(), light_idle.clone()], Some("en"), &[])), "light_idle");
        let twin = op("a_twin", &["en"], 1, 4, 100);
        assert_eq!(assigned(route(&[light_idle, twin, light_recent], Some("en"), &[])), "a_twin");
    }

    #[test]
    fn queue_when_all_busy_offline_when_nobody_online() {
        let full = op("full", &["en"], 2, 2, 0);
        assert_eq!(route(std::slice::from_ref(&full), Some("en"), &[]), Route::Queue);
        let mut away = full.clone();
        away.online = false;
        assert_eq!(route(&[away], Some("en"), &[]), Route::Offline);
        assert_eq!(route(&[], Some("en"), &[]), Route::Offline);
    }

    #[test]
    fn forwarding_excludes_the_silent_operator() {
        let silent = op("silent", &["en"], 0, 4, 0);
        let other = op("other", &["en"], 3, 4, 0);
        assert_eq!(assigned(route(&[silent.clone(), other], Some("en"), &["silent"])), "other");
        // If only the silent one is there, the chat waits rather than going back to them.
        assert_eq!(route(&[silent], Some("en"), &["silent"]), Route::Queue);
    }

    #[test]
    fn fifo_queue_with_positions() {
        let mut q = WaitQueue::default();
        assert_eq!(q.push("c1", Millis(1)), 1);
        assert_eq!(q.push("c2", Millis(2)), 2);
        assert_eq!(q.push("c3", Millis(3)), 3);
        assert_eq!(q.push("c2", Millis(9)), 2, "pushing again keeps the place");
        assert!(q.remove("c2"));
        assert!(!q.remove("c2"));
        assert_eq!(q.position("c3"), Some(2));
        assert_eq!(q.pop(), Some(("c1".into(), Millis(1))));
        assert_eq!(q.position("c3"), Some(1));
        assert_eq!(q.len(), 1);
        // A chat put back in line goes by when it started waiting.
        assert_eq!(q.push("c0", Millis(0)), 1);
        assert_eq!(q.push("c5", Millis(5)), 3);
        assert_eq!(q.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["c0", "c3", "c5"]);
    }

    #[test]
    fn estimated_wait() {
        assert_eq!(estimated_wait_ms(1, 1, 300_000), 300_000);
        assert_eq!(estimated_wait_ms(3, 2, 300_000), 600_000);
        assert_eq!(estimated_wait_ms(2, 0, 1_000), 2_000, "no operator counts as one");
    }
}

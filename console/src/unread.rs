//! Unread counts: how many messages of each conversation the operator has seen, and the
//! arithmetic on top of it. Pure, so it is unit tested natively; `state` keeps the map in a
//! signal and mirrors it to localStorage under [`SEEN_KEY`].

use std::collections::BTreeMap;

use crate::i18n::{fill, Texts};

/// localStorage key of the seen map: a JSON object, conversation id → messages seen.
pub const SEEN_KEY: &str = "parley:console:seen";

/// Above this many entries, ids that are no longer listed are dropped from the seen map.
pub const SEEN_CAP: usize = 500;

/// Conversation id → how many of its messages the operator has seen.
pub type Seen = BTreeMap<String, u64>;

/// Messages not seen yet. A conversation never opened has `seen == 0`: all of it is unread.
pub fn unread(message_count: u64, seen: u64) -> u64 {
    message_count.saturating_sub(seen)
}

/// Unread messages of conversation `id`, which holds `message_count` messages.
pub fn unread_in(seen: &Seen, id: &str, message_count: u64) -> u64 {
    unread(message_count, seen.get(id).copied().unwrap_or(0))
}

/// Records that the first `count` messages of `id` have been seen. Counts only grow (messages
/// are never deleted), so a lower count changes nothing. Returns whether the map changed.
pub fn mark_seen(seen: &mut Seen, id: &str, count: u64) -> bool {
    let known = seen.get(id).copied().unwrap_or(0);
    if count <= known {
        return false;
    }
    seen.insert(id.to_owned(), count);
    true
}

/// Takes in what `other` has seen (e.g. another console tab, through localStorage): per
/// conversation the larger count wins. Returns whether `into` changed.
pub fn merge_seen(into: &mut Seen, other: &Seen) -> bool {
    let mut changed = false;
    for (id, &count) in other {
        changed |= mark_seen(into, id, count);
    }
    changed
}

/// Reads a stored seen map, keeping only well-formed entries; anything unreadable is empty.
pub fn parse_seen(json: &str) -> Seen {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(json) else {
        return Seen::new();
    };
    map.into_iter().filter_map(|(id, v)| v.as_u64().map(|n| (id, n))).filter(|(_, n)| *n > 0).collect()
}

pub fn seen_to_json(seen: &Seen) -> String {
    serde_json::to_string(seen).unwrap_or_else(|_| "{}".to_owned())
}

/// Keeps the map bounded: past [`SEEN_CAP`] entries, forgets conversations `listed` says are
/// gone from the list.
pub fn prune_seen(seen: &mut Seen, listed: impl Fn(&str) -> bool) {
    if seen.len() > SEEN_CAP {
        seen.retain(|id, _| listed(id));
    }
}

/// The tab title: waiting conversations plus unread messages, e.g. `(4) Parley console`.
pub fn title(base: &str, waiting: usize, unread: u64) -> String {
    match waiting as u64 + unread {
        0 => base.to_owned(),
        n => format!("({n}) {base}"),
    }
}

/// `1 unread message`, `3 unread messages` (in the console's language).
pub fn unread_label(n: u64) -> String {
    crate::i18n::plural(crate::i18n::t().n_unread_messages, n)
}

/// The accessible name of a list row; always starts with `Open conversation:`.
pub fn open_label(t: &Texts, preview: &str, unread: u64) -> String {
    let preview = if preview.is_empty() { t.no_messages_yet_paren } else { preview };
    match unread {
        0 => fill(t.open_conversation, &[("preview", preview)]),
        n => fill(t.open_conversation_unread, &[("preview", preview), ("n", &n.to_string())]),
    }
}

/// The accessible name of an open-conversation tab.
pub fn tab_label(t: &Texts, label: &str, unread: u64) -> String {
    match unread {
        0 => label.to_owned(),
        n => fill(t.tab_unread, &[("label", label), ("n", &n.to_string())]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{texts_of, Lang, EN};

    fn map(entries: &[(&str, u64)]) -> Seen {
        entries.iter().map(|(id, n)| ((*id).to_owned(), *n)).collect()
    }

    #[test]
    fn unread_is_what_is_not_seen() {
        assert_eq!(unread(5, 0), 5);
        assert_eq!(unread(5, 3), 2);
        assert_eq!(unread(5, 5), 0);
        // A stale count from the list never goes negative.
        assert_eq!(unread(3, 5), 0);
        let seen = map(&[("a", 2)]);
        assert_eq!(unread_in(&seen, "a", 4), 2);
        assert_eq!(unread_in(&seen, "never-opened", 4), 4);
    }

    #[test]
    fn marking_only_raises() {
        let mut seen = Seen::new();
        assert!(mark_seen(&mut seen, "a", 3));
        assert!(!mark_seen(&mut seen, "a", 3));
        assert!(!mark_seen(&mut seen, "a", 1));
        assert!(!mark_seen(&mut seen, "b", 0));
        assert_eq!(seen, map(&[("a", 3)]));
        assert!(mark_seen(&mut seen, "a", 4));
        assert_eq!(seen["a"], 4);
    }

    #[test]
    fn merge_keeps_the_larger_count() {
        let mut mine = map(&[("a", 3), ("b", 1)]);
        let theirs = map(&[("a", 2), ("b", 4), ("c", 1)]);
        assert!(merge_seen(&mut mine, &theirs));
        assert_eq!(mine, map(&[("a", 3), ("b", 4), ("c", 1)]));
        assert!(!merge_seen(&mut mine, &theirs));
    }

    #[test]
    fn storage_round_trip_and_bad_input() {
        let seen = map(&[("a", 3), ("b", 12)]);
        assert_eq!(parse_seen(&seen_to_json(&seen)), seen);
        assert_eq!(seen_to_json(&Seen::new()), "{}");
        assert!(parse_seen("").is_empty());
        assert!(parse_seen("not json").is_empty());
        assert!(parse_seen("[1,2]").is_empty());
        assert_eq!(parse_seen(r#"{"a":2,"b":"x","c":-1,"d":1.5,"e":0,"f":7}"#), map(&[("a", 2), ("f", 7)]));
    }

    #[test]
    fn pruning_only_past_the_cap() {
        let mut seen = map(&[("a", 1), ("b", 1)]);
        prune_seen(&mut seen, |id| id == "a");
        assert_eq!(seen.len(), 2);
        let mut big: Seen = (0..=SEEN_CAP).map(|i| (format!("c{i}"), 1)).collect();
        prune_seen(&mut big, |id| id == "c7");
        assert_eq!(big, map(&[("c7", 1)]));
    }

    #[test]
    fn title_counts_waiting_and_unread() {
        assert_eq!(title("Parley console", 0, 0), "Parley console");
        assert_eq!(title("Parley console", 2, 0), "(2) Parley console");
        assert_eq!(title("Parley console", 1, 3), "(4) Parley console");
        assert_eq!(title("Parley console", 0, 5), "(5) Parley console");
    }

    #[test]
    fn labels() {
        assert_eq!(crate::i18n::form_of(EN.n_unread_messages, "one"), "{n} unread message");
        assert_eq!(crate::i18n::form_of(EN.n_unread_messages, "other"), "{n} unread messages");
        assert_eq!(open_label(&EN, "Hi there", 0), "Open conversation: Hi there");
        assert_eq!(open_label(&EN, "Hi there", 3), "Open conversation: Hi there (3 unread)");
        assert_eq!(open_label(&EN, "", 0), "Open conversation: (no messages yet)");
        assert!(open_label(&EN, "", 2).starts_with("Open conversation:"));
        assert_eq!(tab_label(&EN, "Visitor 3fa9", 0), "Visitor 3fa9");
        assert_eq!(tab_label(&EN, "Visitor 3fa9", 2), "Visitor 3fa9 (2 unread)");
        assert_eq!(open_label(texts_of(Lang::De), "Hallo", 2), "Unterhaltung öffnen: Hallo (2 ungelesen)");
    }
}

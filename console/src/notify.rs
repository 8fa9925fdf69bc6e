//! System notifications while the console is not in front: the operator's choices (kept in
//! this browser under [`NOTIFY_KEY`]) and when a new chat or message shows one. Pure, so it is
//! unit tested natively; `state` shows the notification, `settings` offers the choices.

use serde::{Deserialize, Serialize};

/// localStorage key of the operator's choices in this browser.
pub const NOTIFY_KEY: &str = "parley:console:notify";

/// What notifies the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// A chat waiting for anyone, or assigned to me.
    pub new_chats: bool,
    /// A new message in a chat of mine.
    pub messages: bool,
}

impl Default for Prefs {
    fn default() -> Self {
        Self { new_chats: true, messages: true }
    }
}

impl Prefs {
    /// The stored choices; the defaults when there are none or they cannot be read.
    pub fn parse(json: Option<&str>) -> Self {
        json.and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default()
    }

    pub fn to_json(self) -> String {
        serde_json::to_string(&self).unwrap_or_default()
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    NewChat,
    NewMessage,
}

/// The browser's answer to "may the console show notifications?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Granted,
    Denied,
    /// Not asked yet.
    Ask,
    /// The browser has no notifications.
    Unsupported,
}

impl Permission {
    /// `Notification.permission`'s value.
    pub fn of(value: Option<&str>) -> Self {
        match value {
            Some("granted") => Permission::Granted,
            Some("denied") => Permission::Denied,
            Some(_) => Permission::Ask,
            None => Permission::Unsupported,
        }
    }
}

/// Whether to show a system notification: allowed, chosen, and the console is not what the
/// operator is looking at (its tab hidden, or its window not focused); in front, the chime and
/// the title say it.
pub fn should_notify(kind: Kind, prefs: Prefs, permission: Permission, in_front: bool) -> bool {
    permission == Permission::Granted
        && !in_front
        && match kind {
            Kind::NewChat => prefs.new_chats,
            Kind::NewMessage => prefs.messages,
        }
}

/// The notification's body: who, and what they wrote (cut to a line).
pub fn body(visitor: &str, preview: &str) -> String {
    const MAX: usize = 120;
    let preview: String = preview.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = preview.chars().take(MAX).collect();
    let preview = if cut.len() < preview.len() { format!("{cut}…") } else { cut };
    match (visitor.trim(), preview.is_empty()) {
        ("", _) => preview,
        (v, true) => v.to_owned(),
        (v, false) => format!("{v}: {preview}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifies_only_when_allowed_chosen_and_out_of_sight() {
        let all = Prefs::default();
        assert!(should_notify(Kind::NewChat, all, Permission::Granted, false));
        assert!(!should_notify(Kind::NewChat, all, Permission::Granted, true), "in front: chime only");
        for p in [Permission::Denied, Permission::Ask, Permission::Unsupported] {
            assert!(!should_notify(Kind::NewChat, all, p, false));
        }
        let chats_only = Prefs { new_chats: true, messages: false };
        assert!(should_notify(Kind::NewChat, chats_only, Permission::Granted, false));
        assert!(!should_notify(Kind::NewMessage, chats_only, Permission::Granted, false));
    }

    #[test]
    fn choices_read_back_and_default_on() {
        let p = Prefs { new_chats: false, messages: true };
        assert_eq!(Prefs::parse(Some(&p.to_json())), p);
        assert_eq!(Prefs::parse(Some("not json")), Prefs::default());
        assert_eq!(Prefs::parse(None), Prefs::default());
        assert_eq!(Prefs::parse(Some(r#"{"messages":false}"#)), Prefs { new_chats: true, messages: false });
        assert_eq!(Permission::of(Some("default")), Permission::Ask);
        assert_eq!(Permission::of(None), Permission::Unsupported);
    }

    #[test]
    fn the_body_says_who_and_what_in_one_line() {
        assert_eq!(body("Ada", "Do you have\n tents?"), "Ada: Do you have tents?");
        assert_eq!(body("", "Hi"), "Hi");
        assert_eq!(body("Ada", ""), "Ada");
        let long = body("Ada", &"é".repeat(200));
        assert!(long.ends_with('…') && long.chars().count() == "Ada: ".len() + 121);
    }
}

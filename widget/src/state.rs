//! The widget's typed state: what the visitor's actions are and where the offline form is.
//! Pure (no DOM, no I/O): the controller in `app` holds it and the views in `ui` show it.

/// What a control of the widget does (the views call `app::act` with it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// The launcher: opens or closes the panel.
    Toggle,
    /// The panel's minimise button (and Escape).
    Minimize,
    /// "End chat".
    End,
    /// The invite card's "Chat now" and its close button.
    Accept,
    Decline,
    /// A rating: 0 good, 1 moderate, 2 bad.
    Pick(u8),
    Skip,
    /// "Start a new chat" after the end.
    New,
    /// "Retry" on a message stuck on its way.
    Retry,
    /// "Email me this chat": sent at once to the address the visitor gave (pre-chat form,
    /// `Parley.identify`), else its form asks for one.
    MailMe,
}

/// The offline form: shown when nobody can take a chat, then sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Offline {
    #[default]
    Hidden,
    Shown,
    Sent,
}

impl Offline {
    /// The availability answer: nobody online shows the form (a sent form stays sent).
    pub fn on_available(self, available: bool) -> Offline {
        match (self, available) {
            (Offline::Sent, _) => Offline::Sent,
            (_, true) => Offline::Hidden,
            (_, false) => Offline::Shown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_form_follows_availability_until_sent() {
        assert_eq!(Offline::Hidden.on_available(false), Offline::Shown);
        assert_eq!(Offline::Shown.on_available(true), Offline::Hidden);
        assert_eq!(Offline::Sent.on_available(false), Offline::Sent);
        assert_eq!(Offline::Sent.on_available(true), Offline::Sent);
    }
}

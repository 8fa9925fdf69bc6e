//! Parley's mails, pure: what each mail says in the recipient's language ([`mails`],
//! [`texts`]), the RFC 5322 message the `send_email` binding takes ([`compose`]), the signed
//! reply address that brings a visitor's answer back into their conversation ([`token`]), and
//! the reading of that answer ([`inbound`]). The edge carries out: its outbox sends each mail
//! once, its `email()` handler hands inbound mails to [`inbound::read`] and [`token::read`].

pub mod account_mails;
pub mod compose;
pub mod inbound;
pub mod mails;
pub mod outbox;
pub mod texts;
pub mod token;

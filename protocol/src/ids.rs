//! Identifier newtypes and time. Ids are opaque strings minted by the edge (random) and
//! checked here for shape only, so a hostile client cannot smuggle anything through them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Milliseconds since the Unix epoch, as passed in by the caller (never read here).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Millis(pub u64);

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps `s` when it has the shape of an id (see [`is_valid_id`]).
            pub fn parse(s: &str) -> Option<Self> {
                is_valid_id(s).then(|| Self(s.to_owned()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        /// Trusted text (a stored row, a test): no shape check, see [`Self::parse`] for that.
        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        /// Read as the text it is (`&id`, `opt.as_deref()` where a `&str` is wanted).
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A tenant.
    AccountId
);
id_type!(
    /// A chat campaign (channel) of an account.
    ChannelId
);
id_type!(
    /// One conversation; also the name of its Durable Object.
    ConversationId
);
id_type!(
    /// An anonymous browser, kept in first-party storage.
    VisitorId
);
id_type!(
    /// An operator (agent).
    OperatorId
);

/// Ids are 1..=64 characters of `[A-Za-z0-9_-]`.
pub fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= crate::limits::MAX_ID_LEN
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Hex-encodes random bytes drawn by the caller into an id with a readable prefix,
/// e.g. `mint_id("c", &bytes)` → `c_3f9a…`.
pub fn mint_id(prefix: &str, random: &[u8]) -> String {
    let mut s = String::with_capacity(prefix.len() + 1 + random.len() * 2);
    s.push_str(prefix);
    s.push('_');
    for b in random {
        s.push(char::from(HEX[(b >> 4) as usize]));
        s.push(char::from(HEX[(b & 15) as usize]));
    }
    s
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_shape() {
        assert!(is_valid_id("c_0af3"));
        assert!(is_valid_id("demo-channel"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("a b"));
        assert!(!is_valid_id("<script>"));
        assert!(!is_valid_id(&"x".repeat(65)));
        assert_eq!(ConversationId::parse("c_1").unwrap().as_str(), "c_1");
        assert!(ConversationId::parse("../etc").is_none());
    }

    #[test]
    fn mint() {
        assert_eq!(mint_id("c", &[0x00, 0xff, 0x1a]), "c_00ff1a");
        assert!(is_valid_id(&mint_id("v", &[7u8; 16])));
    }
}

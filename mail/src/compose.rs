//! A mail as RFC 5322 bytes (what Cloudflare's `send_email` binding takes as its raw message):
//! plain text and HTML alternatives, the display names and subject encoded as RFC 2047 needs,
//! `Auto-Submitted: auto-generated` (RFC 3834) so that out-of-office replies do not answer it.
//! Date, Message-ID and the MIME boundary come from the mail itself: the same mail is the same
//! bytes, so a retried send is recognisably the same message.

use mail_builder::headers::address::Address as MbAddress;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::MimePart;
use mail_builder::MessageBuilder;
use sha2::{Digest, Sha256};

/// A mailbox: an optional display name and an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub name: String,
    pub email: String,
}

impl Address {
    pub fn new(name: &str, email: &str) -> Self {
        Self { name: clean(name), email: email.trim().to_owned() }
    }
}

/// What a mail says: its subject, its plain text and its HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A whole mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub from: Address,
    pub to: Vec<Address>,
    pub reply_to: Option<Address>,
    /// Without angle brackets: `<id>@<domain>`.
    pub message_id: String,
    /// The mail this one follows in the recipient's thread (without angle brackets).
    pub in_reply_to: Option<String>,
    /// Unix seconds.
    pub date_s: i64,
    pub content: Content,
}

/// Control characters (a CR or LF in a name or subject would start a new header) become spaces.
fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned()
}

/// Whether an address is one a mail may be sent to: `local@domain`, no spaces, controls,
/// brackets or quotes, a dot in the domain, at most 254 octets (RFC 5321).
pub fn is_valid_address(a: &str) -> bool {
    let Some((local, domain)) = a.rsplit_once('@') else { return false };
    a.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && a.chars().all(|c| c.is_ascii_graphic() && !"<>()[]\\,;:\"".contains(c))
        && a.matches('@').count() == 1
}

fn mb(a: &Address) -> MbAddress<'static> {
    let name = (!a.name.is_empty()).then(|| a.name.clone());
    MbAddress::new_address(name, a.email.clone())
}

impl Mail {
    /// The RFC 5322 message.
    pub fn to_bytes(&self) -> Vec<u8> {
        let c = &self.content;
        let boundary = {
            let digest = Sha256::digest(self.message_id.as_bytes());
            let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
            format!("=_parley_{hex}")
        };
        let body = MimePart::new(
            ContentType::new("multipart/alternative").attribute("boundary", boundary),
            vec![
                MimePart::new(ContentType::new("text/plain").attribute("charset", "utf-8"), c.text.clone()),
                MimePart::new(ContentType::new("text/html").attribute("charset", "utf-8"), c.html.clone()),
            ],
        );
        let to: Vec<MbAddress> = self.to.iter().map(mb).collect();
        let mut m = MessageBuilder::new()
            .from(mb(&self.from))
            .to(MbAddress::new_list(to))
            .subject(clean(&c.subject))
            .message_id(self.message_id.clone())
            .date(self.date_s)
            .header("Auto-Submitted", Raw::new("auto-generated"));
        if let Some(r) = &self.reply_to {
            m = m.reply_to(mb(r));
        }
        if let Some(id) = &self.in_reply_to {
            m = m.in_reply_to(id.clone()).references(id.clone());
        }
        m.body(body).write_to_vec().expect("writing to a Vec cannot fail")
    }
}

/// Escapes text for HTML.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    fn mail() -> Mail {
        Mail {
            from: Address::new("Acme Support", "support@acme.example"),
            to: vec![Address::new("", "team@acme.example"), Address::new("Zoë", "zoe@acme.example")],
            reply_to: Some(Address::new("Ada\r\nBcc: victim@example.com", "ada@visitor.example")),
            message_id: "om_1234@acme.example".into(),
            in_reply_to: Some("earlier@acme.example".into()),
            date_s: 1_765_000_000,
            content: Content {
                subject: "Nouveau message de Zoë — Acme\r\nBcc: x@y.z".into(),
                text: "Bonjour, ça va ?\nLigne 2".into(),
                html: "<p>Bonjour, ça va ?</p>".into(),
            },
        }
    }

    #[test]
    fn a_mail_reads_back_as_written() {
        let bytes = mail().to_bytes();
        let m = MessageParser::default().parse(&bytes).unwrap();
        assert_eq!(m.subject().unwrap(), "Nouveau message de Zoë — Acme  Bcc: x@y.z");
        assert_eq!(m.from().unwrap().first().unwrap().address().unwrap(), "support@acme.example");
        let to: Vec<_> = m.to().unwrap().iter().map(|a| a.address().unwrap().to_owned()).collect();
        assert_eq!(to, ["team@acme.example", "zoe@acme.example"]);
        assert_eq!(m.reply_to().unwrap().first().unwrap().address().unwrap(), "ada@visitor.example");
        assert_eq!(m.message_id().unwrap(), "om_1234@acme.example");
        assert_eq!(m.in_reply_to().as_text().unwrap(), "earlier@acme.example");
        assert_eq!(m.body_text(0).unwrap().replace("\r\n", "\n"), "Bonjour, ça va ?\nLigne 2");
        assert_eq!(m.body_html(0).unwrap(), "<p>Bonjour, ça va ?</p>");
        assert_eq!(m.date().unwrap().to_timestamp(), 1_765_000_000);
        assert_eq!(m.header_raw("Auto-Submitted").unwrap().trim(), "auto-generated");
        // A CR LF in a name or subject never starts a header of its own.
        let raw = String::from_utf8_lossy(&bytes);
        assert!(!raw.lines().any(|l| l.starts_with("Bcc:")), "{raw}");
    }

    #[test]
    fn the_same_mail_is_the_same_bytes() {
        assert_eq!(mail().to_bytes(), mail().to_bytes());
        let mut other = mail();
        other.message_id = "om_5678@acme.example".into();
        assert_ne!(mail().to_bytes(), other.to_bytes());
    }

    #[test]
    fn addresses_are_checked() {
        for ok in ["a@b.co", "first.last+tag@sub.example.org"] {
            assert!(is_valid_address(ok), "{ok}");
        }
        for bad in
            ["", "a", "a@b", "@b.co", "a@.co", "a@b.co.", "a b@c.co", "a@b@c.co", "a<b>@c.co", "a@c.co\r\nBcc: x"]
        {
            assert!(!is_valid_address(bad), "{bad}");
        }
        assert!(!is_valid_address(&format!("{}@b.co", "a".repeat(65))));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(html_escape("<b>\"Tom\" & 'Jerry'</b>"), "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;");
    }
}

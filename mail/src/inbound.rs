//! A visitor's emailed reply, read: its new text without the history their mail program quotes,
//! or why it is refused (what the bounce says). Which conversation it joins comes from the
//! address it was sent to ([`crate::token`]).

use crate::mails::MARKER;
use mail_parser::decoders::html::html_to_text;
use mail_parser::{MessageParser, MimeHeaders, PartType};
use parley_protocol::limits::{MAX_INBOUND_MAIL_BYTES, MAX_MESSAGE_CHARS};

/// A reply that joins its conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The new text, quoted history and signature cut.
    pub text: String,
    /// Its `Message-ID`, to thread what is sent back.
    pub message_id: Option<String>,
}

/// Why a mail does not join a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Larger than [`MAX_INBOUND_MAIL_BYTES`].
    TooLarge,
    /// Not a mail that can be read.
    Unreadable,
    /// Carries files (not taken by mail yet).
    Attachments,
    /// Nothing new once the quoted history is cut.
    Empty,
    /// Longer than a chat message may be.
    TooLong,
    /// An automatic reply (out of office, a list, a bounce): dropped without a bounce, so two
    /// robots never answer each other.
    Automatic,
    /// The address names no conversation of this deployment, or its MAC does not hold.
    UnknownAddress,
    /// The address's time has passed.
    Expired,
    /// The conversation is gone (erased, or past retention).
    Gone,
}

impl Refusal {
    /// What the bounce tells the sender (an SMTP reject reason: one line, English).
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::TooLarge => {
                "This message is too large for the chat. Please send a shorter reply without attachments."
            }
            Refusal::Unreadable => "This message could not be read.",
            Refusal::Attachments => "Files cannot be sent to the chat by email. Please reply with text only.",
            Refusal::Empty => "This reply has no text above the quoted conversation.",
            Refusal::TooLong => {
                "This reply is longer than a chat message may be (4,000 characters). Please shorten it."
            }
            Refusal::Automatic => "Automatic replies are not taken into the chat.",
            Refusal::UnknownAddress => "This address does not belong to a conversation.",
            Refusal::Expired => {
                "This conversation can no longer be answered by email. Please start a new chat on the website."
            }
            Refusal::Gone => "This conversation no longer exists. Please start a new chat on the website.",
        }
    }

    /// Whether the sender is told (every refusal but an automatic mail's).
    pub fn bounces(self) -> bool {
        self != Refusal::Automatic
    }
}

/// The client id the reply is stored under in its conversation: a digest of its Message-ID
/// (of the whole mail when it has none), so the same mail delivered twice is one message.
pub fn client_id(message_id: Option<&str>, raw: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = match message_id.map(str::trim).filter(|m| !m.is_empty()) {
        Some(id) => Sha256::digest(id.trim_matches(['<', '>']).as_bytes()),
        None => Sha256::digest(raw),
    };
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{}{hex}", parley_protocol::protocol::EMAIL_CLIENT_ID_PREFIX)
}

/// Reads a raw RFC 5322 mail.
pub fn read(raw: &[u8]) -> Result<Reply, Refusal> {
    if raw.len() > MAX_INBOUND_MAIL_BYTES {
        return Err(Refusal::TooLarge);
    }
    let m = MessageParser::default().parse(raw).ok_or(Refusal::Unreadable)?;
    let header = |name: &str| m.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    let auto_submitted = header("Auto-Submitted").is_some_and(|v| v != "no");
    let precedence = header("Precedence").is_some_and(|v| ["bulk", "junk", "list", "auto_reply"].contains(&v.as_str()));
    let robot = m.header_raw("X-Autoreply").is_some() || m.header_raw("X-Autorespond").is_some();
    let report = m.content_type().is_some_and(|c| {
        c.c_type.eq_ignore_ascii_case("multipart") && c.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    if auto_submitted || precedence || robot || report {
        return Err(Refusal::Automatic);
    }
    let files = m.attachments().any(|p| {
        p.content_disposition().is_some_and(|d| d.c_type.eq_ignore_ascii_case("attachment"))
            || p.attachment_name().is_some() && p.content_id().is_none()
    });
    if files {
        return Err(Refusal::Attachments);
    }
    // The plain text alternative when there is one; else the HTML with its quoted history cut
    // before it becomes text (its blocks would run together with the new text).
    let plain = m.text_body.iter().filter_map(|&i| m.parts.get(i as usize)).find_map(|p| match &p.body {
        PartType::Text(t) => Some(t.to_string()),
        _ => None,
    });
    let body = match plain {
        Some(t) => t,
        None => html_to_text(html_before_quote(&m.body_html(0).ok_or(Refusal::Empty)?)),
    };
    let text = new_text(&body);
    if text.is_empty() {
        return Err(Refusal::Empty);
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(Refusal::TooLong);
    }
    Ok(Reply { text, message_id: m.message_id().map(str::to_owned) })
}

/// An HTML reply up to where the mail programs put the quoted history: Gmail's `gmail_quote`,
/// Outlook's `divRplyFwdMsg` and `appendonsend`, Thunderbird's `moz-cite-prefix`, Apple Mail's and
/// everyone's `<blockquote`.
fn html_before_quote(html: &str) -> &str {
    let lower = html.to_ascii_lowercase();
    let cut =
        ["class=\"gmail_quote", "id=\"divrplyfwdmsg", "id=\"appendonsend", "class=\"moz-cite-prefix", "<blockquote"]
            .iter()
            .filter_map(|m| lower.find(m))
            .min()
            .map_or(html.len(), |at| lower[..at].rfind('<').unwrap_or(at));
    &html[..cut]
}

fn unquoted(line: &str) -> &str {
    line.trim_start_matches(['>', ' '])
}

/// A line that introduces quoted history, possibly wrapped onto `next`.
fn is_attribution(line: &str, next: Option<&str>) -> bool {
    let l = line.trim();
    let joined = match next {
        Some(n) => format!("{l} {}", n.trim()),
        None => l.to_owned(),
    };
    let ends = |s: &str, suffixes: &[&str]| suffixes.iter().any(|x| s.ends_with(x));
    let intro = |prefixes: &[&str], suffixes: &[&str]| {
        prefixes.iter().any(|p| l.starts_with(p)) && (ends(l, suffixes) || ends(&joined, suffixes))
    };
    intro(&["On "], &["wrote:"])
        || intro(&["Le "], &["a écrit :", "a écrit:", "a écrit :"])
        || intro(&["Am "], &[":"]) && joined.contains("schrieb")
        || intro(&["El "], &["escribió:"])
        || intro(&["Vào "], &["đã viết:"])
        || ends(l, &["写道：", "写道:"])
        || (l.contains("написал") || l.contains("пишет")) && l.ends_with(':')
        || l.starts_with("-----") && {
            let low = l.to_lowercase();
            ["original", "ursprüngliche", "origine", "исходное", "原始"].iter().any(|w| low.contains(w))
        }
        || l.len() >= 20 && l.chars().all(|c| c == '_')
}

/// The lines a reply adds above what its mail program quotes: up to the reply marker, an
/// attribution line ("On … wrote:" in the seven languages, Outlook's headers and rule), or a
/// signature separator; trailing quoted lines and blank lines dropped. A reply written below
/// the quote (bottom-posting) is found too: when nothing new is above it, the unquoted lines
/// are taken.
pub fn new_text(body: &str) -> String {
    let body = body.replace("\r\n", "\n");
    let lines: Vec<&str> = body.lines().collect();
    let outlook_headers = |i: usize| {
        unquoted(lines[i]).starts_with("From: ")
            && lines[i + 1..].iter().take(3).any(|l| {
                let l = unquoted(l);
                l.starts_with("Sent: ") || l.starts_with("Date: ")
            })
    };
    let cut = (0..lines.len())
        .find(|&i| {
            let l = unquoted(lines[i]);
            l.starts_with(MARKER)
                || is_attribution(l, lines.get(i + 1).copied())
                || outlook_headers(i)
                || lines[i] == "-- "
                || lines[i] == "--"
        })
        .unwrap_or(lines.len());
    let mut top: Vec<&str> = lines[..cut].to_vec();
    while top.last().is_some_and(|l| l.trim().is_empty() || l.trim_start().starts_with('>')) {
        top.pop();
    }
    if top.iter().all(|l| l.trim().is_empty()) {
        // Bottom-posted: what is not quoted, after the history.
        top = lines[cut.min(lines.len())..]
            .iter()
            .copied()
            .filter(|l| !l.trim_start().starts_with('>') && !unquoted(l).starts_with(MARKER))
            .skip_while(|l| l.trim().is_empty() || is_attribution(l, None))
            .take_while(|l| *l != "-- " && *l != "--")
            .collect();
    }
    let mut out = String::new();
    let mut blank = 0;
    for l in top.iter().map(|l| l.trim_end()) {
        if l.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(l);
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_reply_is_stored_under_its_message_id_once() {
        let a = client_id(Some("<abc@mail.example>"), b"x");
        assert_eq!(a, client_id(Some("abc@mail.example"), b"other bytes"));
        assert_ne!(a, client_id(Some("<abd@mail.example>"), b"x"));
        assert!(a.starts_with("mail-") && a.len() <= 64, "{a}");
        assert!(parley_protocol::ids::is_valid_id(&a));
        assert_eq!(client_id(None, b"raw"), client_id(Some(" "), b"raw"));
    }
    use super::*;

    fn mail(headers: &str, body: &str) -> Vec<u8> {
        format!("From: Ada <ada@visitor.example>\r\nTo: r-cv_1-abc-00@reply.example\r\nSubject: Re: Your chat\r\nMessage-ID: <m1@visitor.example>\r\n{headers}{body}").into_bytes()
    }

    #[test]
    fn gmail_reply_keeps_only_the_new_text() {
        let body = "Content-Type: text/plain; charset=utf-8\r\n\r\nThanks, that works!\r\nSee you.\r\n\r\nOn Mon, Dec 7, 2026 at 8:00 PM Acme Support <\r\nsupport@acme.example> wrote:\r\n\r\n> ##- Reply above this line to continue the chat -##\r\n>\r\n> Here is your chat with Acme\r\n";
        let r = read(&mail("MIME-Version: 1.0\r\n", body)).unwrap();
        assert_eq!(r.text, "Thanks, that works!\nSee you.");
        assert_eq!(r.message_id.as_deref(), Some("m1@visitor.example"));
    }

    #[test]
    fn outlook_and_other_languages() {
        let outlook = "Merci !\n\n________________________________\nFrom: Acme Support <support@acme.example>\nSent: Monday, 7 December 2026 20:00\nSubject: Votre discussion\n";
        assert_eq!(new_text(outlook), "Merci !");
        let outlook_plain = "Yes please.\n\nFrom: Acme <support@acme.example>\nSent: Monday\nTo: me\n";
        assert_eq!(new_text(outlook_plain), "Yes please.");
        assert_eq!(
            new_text("D'accord.\n\nLe lun. 7 déc. 2026 à 20:00, Acme <s@a.example> a écrit :\n> texte"),
            "D'accord."
        );
        assert_eq!(
            new_text("Danke.\n\nAm Mo., 7. Dez. 2026 um 20:00 Uhr schrieb Acme <s@a.example>:\n> Text"),
            "Danke."
        );
        assert_eq!(
            new_text("Gracias.\n\nEl lun, 7 dic 2026 a las 20:00, Acme (<s@a.example>) escribió:\n> x"),
            "Gracias."
        );
        assert_eq!(new_text("Спасибо.\n\n7 дек. 2026 г., в 20:00, Acme <s@a.example> написал:\n> x"), "Спасибо.");
        assert_eq!(new_text("好的。\n\nAcme <s@a.example> 于2026年12月7日周一 20:00写道：\n> x"), "好的。");
        assert_eq!(
            new_text("Cảm ơn.\n\nVào Th 2, 7 thg 12, 2026 lúc 20:00 Acme <s@a.example> đã viết:\n> x"),
            "Cảm ơn."
        );
        assert_eq!(new_text("Ok\n\n-----Original Message-----\nFrom: x"), "Ok");
        assert_eq!(new_text("Ok\n-- \nAda Lovelace\nAnalytical Engines Ltd"), "Ok");
        // The marker alone (a mail program that quotes without an attribution line).
        assert_eq!(new_text("Sure.\n##- Reply above this line to continue the chat -##\nolder"), "Sure.");
    }

    #[test]
    fn bottom_posted_replies_are_found() {
        assert_eq!(
            new_text("On Mon, Acme wrote:\n> Do you need help?\n\nYes, with my order.\n"),
            "Yes, with my order."
        );
    }

    #[test]
    fn html_only_and_quoted_printable_bodies() {
        let html = "Content-Type: text/html; charset=utf-8\r\n\r\n<div>Bonjour <b>ça</b> marche</div><div><br></div><div>Le lun. 7 déc. 2026, Acme a écrit :</div><blockquote>ancien</blockquote>";
        let r = read(&mail("MIME-Version: 1.0\r\n", html)).unwrap();
        assert_eq!(r.text, "Bonjour ça marche");
        let qp = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C3=87a marche tr=C3=A8s bien, merci pour votre r=C3=A9ponse rapide et d=\r\n=C3=A9taill=C3=A9e.\r\n";
        assert_eq!(
            read(&mail("MIME-Version: 1.0\r\n", qp)).unwrap().text,
            "Ça marche très bien, merci pour votre réponse rapide et détaillée."
        );
    }

    #[test]
    fn refusals() {
        let plain = "Content-Type: text/plain\r\n\r\nHi\r\n";
        assert_eq!(read(&mail("Auto-Submitted: auto-replied\r\n", plain)), Err(Refusal::Automatic));
        assert_eq!(read(&mail("Precedence: bulk\r\n", plain)), Err(Refusal::Automatic));
        assert_eq!(read(&mail("Auto-Submitted: no\r\n", plain)).unwrap().text, "Hi");
        let with_file = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n";
        assert_eq!(read(&mail("", with_file)), Err(Refusal::Attachments));
        assert_eq!(
            read(&mail("", "Content-Type: text/plain\r\n\r\nOn Mon, Acme wrote:\r\n> only history\r\n")),
            Err(Refusal::Empty)
        );
        let long = format!("Content-Type: text/plain\r\n\r\n{}\r\n", "word ".repeat(MAX_MESSAGE_CHARS / 5 + 10));
        assert_eq!(read(&mail("", &long)), Err(Refusal::TooLong));
        assert_eq!(read(&vec![b'a'; MAX_INBOUND_MAIL_BYTES + 1]), Err(Refusal::TooLarge));
        assert!(!Refusal::Automatic.bounces() && Refusal::Attachments.bounces());
    }
}

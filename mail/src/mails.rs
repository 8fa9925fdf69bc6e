//! What each mail says, in its recipient's language and time zone.
//!
//! - [`offline_message`]: a visitor's offline message, to the channel's notification
//!   addresses (the edge sets `Reply-To` to the visitor).
//! - [`missed_chat`]: a chat that waited with no operator answer, to the same addresses.
//! - [`transcript`]: the whole chat, to the visitor who asked for it.
//! - [`operator_reply`]: an operator's answer, to a visitor who has left.
//!
//! The two mails a visitor gets start with the "reply above this line" marker, so that their
//! emailed reply can be cut from the history their mail program quotes below it.

use crate::compose::{html_escape, Content};
use crate::texts::{fill, texts};
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use parley_protocol::i18n::Lang;

/// The marker line's decoration: a reply is read up to the first line that starts with it.
pub const MARKER: &str = "##-";

/// A local time as `YYYY-MM-DD HH:MM` in an IANA time zone (UTC when unknown).
pub fn local_time(at_ms: u64, tz: &str) -> String {
    let utc = DateTime::<Utc>::from_timestamp_millis(at_ms as i64).unwrap_or_default();
    match tz.parse::<Tz>() {
        Ok(tz) => tz.from_utc_datetime(&utc.naive_utc()).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => format!("{} UTC", utc.format("%Y-%m-%d %H:%M")),
    }
}

fn local_date(at_ms: u64, tz: &str) -> String {
    local_time(at_ms, tz).chars().take(10).collect()
}

fn marker(lang: Lang) -> String {
    format!("{MARKER} {} -##", texts(lang).reply_above)
}

/// Text as HTML paragraphs, line breaks kept.
fn paragraphs(text: &str) -> String {
    text.split("\n\n").map(|p| format!("<p>{}</p>", html_escape(p).replace('\n', "<br>"))).collect()
}

fn page(html_body: &str, lang: Lang) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><body style=\"font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:15px;line-height:1.5;color:#1d2330\">{html_body}</body></html>",
        lang.code()
    )
}

fn quote_html(text: &str) -> String {
    format!("<blockquote style=\"margin:0 0 1em;padding:.5em 1em;border-left:3px solid #4e73ec;background:#f4f6fb\">{}</blockquote>", paragraphs(text))
}

/// A visitor's offline message.
pub struct OfflineMessage<'a> {
    pub lang: Lang,
    pub channel: &'a str,
    pub visitor_name: Option<&'a str>,
    pub visitor_email: &'a str,
    pub text: &'a str,
    pub page_url: Option<&'a str>,
    pub at_ms: u64,
    pub time_zone: &'a str,
}

fn who(lang: Lang, name: Option<&str>, email: Option<&str>) -> String {
    match (name.map(str::trim).filter(|n| !n.is_empty()), email) {
        (Some(n), Some(e)) => format!("{n} <{e}>"),
        (Some(n), None) => n.to_owned(),
        (None, Some(e)) => e.to_owned(),
        (None, None) => texts(lang).a_visitor.to_owned(),
    }
}

pub fn offline_message(m: &OfflineMessage) -> Content {
    let t = texts(m.lang);
    let visitor = who(m.lang, m.visitor_name, Some(m.visitor_email));
    let short = m.visitor_name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(m.visitor_email);
    let time = local_time(m.at_ms, m.time_zone);
    let intro = fill(t.offline_intro, &[("visitor", &visitor), ("channel", m.channel), ("time", &time)]);
    let hint = fill(t.offline_reply_hint, &[("visitor", short)]);
    let page_line = m.page_url.map(|p| fill(t.offline_page, &[("page", p)]));
    let mut text = format!("{intro}\n\n{}\n\n", m.text.trim());
    if let Some(p) = &page_line {
        text.push_str(p);
        text.push_str("\n\n");
    }
    text.push_str(&hint);
    let mut html = format!("<p>{}</p>{}", html_escape(&intro), quote_html(m.text.trim()));
    if let Some(p) = &page_line {
        html.push_str(&format!("<p>{}</p>", html_escape(p)));
    }
    html.push_str(&format!("<p style=\"color:#5a6275\">{}</p>", html_escape(&hint)));
    Content {
        subject: fill(t.offline_subject, &[("visitor", short), ("channel", m.channel)]),
        text,
        html: page(&html, m.lang),
    }
}

/// A chat that waited with no answer.
pub struct MissedChat<'a> {
    pub lang: Lang,
    pub channel: &'a str,
    pub visitor_name: Option<&'a str>,
    pub first_message: &'a str,
    pub started_at_ms: u64,
    pub waited_minutes: u64,
    pub time_zone: &'a str,
    /// The conversation in the console.
    pub link: &'a str,
}

pub fn missed_chat(m: &MissedChat) -> Content {
    let t = texts(m.lang);
    let visitor = who(m.lang, m.visitor_name, None);
    let minutes = m.waited_minutes.to_string();
    let time = local_time(m.started_at_ms, m.time_zone);
    let intro =
        fill(t.missed_intro, &[("visitor", &visitor), ("channel", m.channel), ("time", &time), ("minutes", &minutes)]);
    let open = fill(t.missed_open, &[("link", m.link)]);
    let text = format!("{intro}\n\n{}\n{}\n\n{open}", t.missed_first, m.first_message.trim());
    let html = format!(
        "<p>{}</p><p>{}</p>{}<p><a href=\"{}\">{}</a></p>",
        html_escape(&intro),
        html_escape(t.missed_first),
        quote_html(m.first_message.trim()),
        html_escape(m.link),
        html_escape(&open)
    );
    Content {
        subject: fill(t.missed_subject, &[("minutes", &minutes), ("channel", m.channel)]),
        text,
        html: page(&html, m.lang),
    }
}

/// Who wrote a line of a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Author<'a> {
    Visitor,
    Operator(&'a str),
}

/// One message of a transcript.
pub struct Line<'a> {
    pub author: Author<'a>,
    pub at_ms: u64,
    pub text: &'a str,
}

/// The whole chat, for the visitor.
pub struct Transcript<'a> {
    pub lang: Lang,
    pub channel: &'a str,
    pub lines: &'a [Line<'a>],
    pub time_zone: &'a str,
    /// Whether a reply continues the chat (a reply address could be made).
    pub replies: bool,
}

pub fn transcript(m: &Transcript) -> Content {
    let t = texts(m.lang);
    let date = m.lines.first().map(|l| local_date(l.at_ms, m.time_zone)).unwrap_or_default();
    let intro = fill(t.transcript_intro, &[("channel", m.channel), ("date", &date)]);
    let mut text = String::new();
    let mut html = String::new();
    if m.replies {
        text.push_str(&marker(m.lang));
        text.push_str("\n\n");
        html.push_str(&format!("<p style=\"color:#5a6275;font-size:13px\">{}</p>", html_escape(&marker(m.lang))));
    }
    text.push_str(&intro);
    text.push_str("\n\n");
    html.push_str(&format!("<p>{}</p><table style=\"border-collapse:collapse\">", html_escape(&intro)));
    for l in m.lines {
        let name = match &l.author {
            Author::Visitor => t.you,
            Author::Operator(n) => n,
        };
        let time: String = local_time(l.at_ms, m.time_zone).chars().skip(11).collect();
        text.push_str(&format!("[{time}] {name}: {}\n", l.text.trim()));
        html.push_str(&format!(
            "<tr><td style=\"vertical-align:top;padding:4px 8px 4px 0;color:#5a6275;white-space:nowrap\">{time}</td><td style=\"vertical-align:top;padding:4px 8px 4px 0;font-weight:600;white-space:nowrap\">{}</td><td style=\"padding:4px 0\">{}</td></tr>",
            html_escape(name),
            html_escape(l.text.trim()).replace('\n', "<br>")
        ));
    }
    html.push_str("</table>");
    if m.replies {
        text.push_str(&format!("\n{}", t.transcript_continue));
        html.push_str(&format!("<p style=\"color:#5a6275\">{}</p>", html_escape(t.transcript_continue)));
    }
    Content { subject: fill(t.transcript_subject, &[("channel", m.channel)]), text, html: page(&html, m.lang) }
}

/// An operator's answer to a visitor who has left.
pub struct OperatorReply<'a> {
    pub lang: Lang,
    pub channel: &'a str,
    pub operator: &'a str,
    pub text: &'a str,
}

pub fn operator_reply(m: &OperatorReply) -> Content {
    let t = texts(m.lang);
    let intro = fill(t.reply_intro, &[("operator", m.operator), ("channel", m.channel)]);
    let text = format!("{}\n\n{intro}\n\n{}\n\n{}", marker(m.lang), m.text.trim(), t.transcript_continue);
    let html = format!(
        "<p style=\"color:#5a6275;font-size:13px\">{}</p><p>{}</p>{}<p style=\"color:#5a6275\">{}</p>",
        html_escape(&marker(m.lang)),
        html_escape(&intro),
        quote_html(m.text.trim()),
        html_escape(t.transcript_continue)
    );
    Content {
        subject: fill(t.reply_subject, &[("operator", m.operator), ("channel", m.channel)]),
        text,
        html: page(&html, m.lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: u64 = 1_765_137_600_000; // 2025-12-07 20:00 UTC

    #[test]
    fn an_offline_message_names_the_visitor_quotes_them_and_says_how_to_answer() {
        let c = offline_message(&OfflineMessage {
            lang: Lang::Fr,
            channel: "Acme",
            visitor_name: Some("Ada"),
            visitor_email: "ada@example.com",
            text: "  Avez-vous des tentes <4 places> ?  ",
            page_url: Some("https://acme.example/tentes"),
            at_ms: AT,
            time_zone: "Europe/Paris",
        });
        assert_eq!(c.subject, "Nouveau message de Ada — Acme");
        assert!(
            c.text.starts_with("Ada <ada@example.com> a laissé un message sur Acme à 2025-12-07 21:00 :"),
            "{}",
            c.text
        );
        assert!(c.text.contains("\n\nAvez-vous des tentes <4 places> ?\n\n"));
        assert!(c.text.contains("Page : https://acme.example/tentes"));
        assert!(c.text.ends_with("Répondez à ce courriel pour écrire directement à Ada."));
        assert!(c.html.contains("Avez-vous des tentes &lt;4 places&gt; ?"));
        assert!(c.html.contains("lang=\"fr\""));
        // No name: the address stands for the visitor.
        let anon = offline_message(&OfflineMessage {
            lang: Lang::En,
            channel: "Acme",
            visitor_name: None,
            visitor_email: "x@y.z",
            text: "hi",
            page_url: None,
            at_ms: AT,
            time_zone: "nowhere",
        });
        assert_eq!(anon.subject, "New message from x@y.z — Acme");
        assert!(anon.text.contains("at 2025-12-07 20:00 UTC:"), "{}", anon.text);
    }

    #[test]
    fn a_missed_chat_says_how_long_and_links_the_console() {
        let c = missed_chat(&MissedChat {
            lang: Lang::De,
            channel: "Acme",
            visitor_name: None,
            first_message: "Hallo?",
            started_at_ms: AT,
            waited_minutes: 5,
            time_zone: "Europe/Berlin",
            link: "https://chat.acme.example/console#c=cv_1",
        });
        assert_eq!(c.subject, "Chat seit 5 Min. ohne Antwort — Acme");
        assert!(c.text.starts_with("Ein Besucher hat um 2025-12-07 21:00 einen Chat auf Acme begonnen"), "{}", c.text);
        assert!(c.text.contains("Die erste Nachricht:\nHallo?"));
        assert!(c.html.contains("href=\"https://chat.acme.example/console#c=cv_1\""));
    }

    #[test]
    fn a_transcript_holds_every_message_in_order_under_the_reply_marker() {
        let lines = [
            Line { author: Author::Visitor, at_ms: AT, text: "Do you ship to Hanoi?" },
            Line { author: Author::Operator("Linh"), at_ms: AT + 60_000, text: "Yes, in 5 days." },
            Line { author: Author::Visitor, at_ms: AT + 120_000, text: "Great <3" },
        ];
        let c = transcript(&Transcript {
            lang: Lang::Vi,
            channel: "Acme",
            lines: &lines,
            time_zone: "Asia/Ho_Chi_Minh",
            replies: true,
        });
        assert_eq!(c.subject, "Cuộc trò chuyện của bạn với Acme");
        assert!(c.text.starts_with("##- Trả lời phía trên dòng này để tiếp tục cuộc trò chuyện -##\n\n"));
        let body: Vec<&str> = c.text.lines().filter(|l| l.starts_with('[')).collect();
        assert_eq!(
            body,
            ["[03:00] Bạn: Do you ship to Hanoi?", "[03:01] Linh: Yes, in 5 days.", "[03:02] Bạn: Great <3"]
        );
        assert!(c.text.contains("ngày 2025-12-08"));
        assert!(c.html.contains("Great &lt;3"));
        let no_reply = transcript(&Transcript {
            lang: Lang::En,
            channel: "Acme",
            lines: &lines,
            time_zone: "UTC",
            replies: false,
        });
        assert!(!no_reply.text.contains(MARKER));
    }

    #[test]
    fn an_operator_reply_says_who_answered() {
        let c =
            operator_reply(&OperatorReply { lang: Lang::Zh, channel: "Acme", operator: "Mei", text: "已发货。" });
        assert_eq!(c.subject, "Mei 已回复 — Acme");
        assert!(c.text.starts_with("##- 请在此行上方回复以继续对话 -##"));
        assert!(c.text.contains("Acme 的 Mei 回复了您：\n\n已发货。"));
    }
}

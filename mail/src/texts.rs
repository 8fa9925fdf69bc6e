//! Every text of every mail, in the seven languages the widget speaks. A mail to the team is in
//! the channel's language, a mail to a visitor in theirs. `{name}` marks what [`fill`] puts in.

use parley_protocol::i18n::Lang;

/// The texts of the mails in one language.
pub struct Texts {
    /// The line above which a reply is read (quoted history below it is dropped).
    pub reply_above: &'static str,
    pub offline_subject: &'static str,
    pub offline_intro: &'static str,
    pub offline_page: &'static str,
    pub offline_reply_hint: &'static str,
    pub missed_subject: &'static str,
    pub missed_intro: &'static str,
    pub missed_first: &'static str,
    pub missed_open: &'static str,
    pub transcript_subject: &'static str,
    pub transcript_intro: &'static str,
    pub transcript_continue: &'static str,
    pub reply_subject: &'static str,
    pub reply_intro: &'static str,
    /// The visitor, in their own transcript.
    pub you: &'static str,
    /// A visitor who gave no name.
    pub a_visitor: &'static str,
}

const EN: Texts = Texts {
    reply_above: "Reply above this line to continue the chat",
    offline_subject: "New message from {visitor} — {channel}",
    offline_intro: "{visitor} left a message on {channel} at {time}:",
    offline_page: "Page: {page}",
    offline_reply_hint: "Reply to this mail to answer {visitor} directly.",
    missed_subject: "Chat without an answer for {minutes} min — {channel}",
    missed_intro: "{visitor} started a chat on {channel} at {time} and has had no answer for {minutes} minutes.",
    missed_first: "Their first message:",
    missed_open: "Open the chat: {link}",
    transcript_subject: "Your chat with {channel}",
    transcript_intro: "Here is your chat with {channel} of {date}.",
    transcript_continue: "Reply to this mail to continue the chat.",
    reply_subject: "{operator} replied — {channel}",
    reply_intro: "{operator} of {channel} answered you:",
    you: "You",
    a_visitor: "A visitor",
};

const ES: Texts = Texts {
    reply_above: "Responda encima de esta línea para continuar el chat",
    offline_subject: "Nuevo mensaje de {visitor} — {channel}",
    offline_intro: "{visitor} dejó un mensaje en {channel} a las {time}:",
    offline_page: "Página: {page}",
    offline_reply_hint: "Responda a este correo para contestar directamente a {visitor}.",
    missed_subject: "Chat sin respuesta desde hace {minutes} min — {channel}",
    missed_intro: "{visitor} inició un chat en {channel} a las {time} y lleva {minutes} minutos sin respuesta.",
    missed_first: "Su primer mensaje:",
    missed_open: "Abrir el chat: {link}",
    transcript_subject: "Su chat con {channel}",
    transcript_intro: "Esta es su conversación con {channel} del {date}.",
    transcript_continue: "Responda a este correo para continuar el chat.",
    reply_subject: "{operator} le ha respondido — {channel}",
    reply_intro: "{operator}, de {channel}, le ha respondido:",
    you: "Usted",
    a_visitor: "Un visitante",
};

const FR: Texts = Texts {
    reply_above: "Répondez au-dessus de cette ligne pour poursuivre la discussion",
    offline_subject: "Nouveau message de {visitor} — {channel}",
    offline_intro: "{visitor} a laissé un message sur {channel} à {time} :",
    offline_page: "Page : {page}",
    offline_reply_hint: "Répondez à ce courriel pour écrire directement à {visitor}.",
    missed_subject: "Discussion sans réponse depuis {minutes} min — {channel}",
    missed_intro:
        "{visitor} a commencé une discussion sur {channel} à {time} et attend une réponse depuis {minutes} minutes.",
    missed_first: "Son premier message :",
    missed_open: "Ouvrir la discussion : {link}",
    transcript_subject: "Votre discussion avec {channel}",
    transcript_intro: "Voici votre discussion avec {channel} du {date}.",
    transcript_continue: "Répondez à ce courriel pour poursuivre la discussion.",
    reply_subject: "{operator} vous a répondu — {channel}",
    reply_intro: "{operator}, de {channel}, vous a répondu :",
    you: "Vous",
    a_visitor: "Un visiteur",
};

const DE: Texts = Texts {
    reply_above: "Antworten Sie oberhalb dieser Zeile, um den Chat fortzusetzen",
    offline_subject: "Neue Nachricht von {visitor} — {channel}",
    offline_intro: "{visitor} hat um {time} eine Nachricht auf {channel} hinterlassen:",
    offline_page: "Seite: {page}",
    offline_reply_hint: "Antworten Sie auf diese E-Mail, um {visitor} direkt zu schreiben.",
    missed_subject: "Chat seit {minutes} Min. ohne Antwort — {channel}",
    missed_intro:
        "{visitor} hat um {time} einen Chat auf {channel} begonnen und wartet seit {minutes} Minuten auf eine Antwort.",
    missed_first: "Die erste Nachricht:",
    missed_open: "Chat öffnen: {link}",
    transcript_subject: "Ihr Chat mit {channel}",
    transcript_intro: "Hier ist Ihr Chat mit {channel} vom {date}.",
    transcript_continue: "Antworten Sie auf diese E-Mail, um den Chat fortzusetzen.",
    reply_subject: "{operator} hat geantwortet — {channel}",
    reply_intro: "{operator} von {channel} hat Ihnen geantwortet:",
    you: "Sie",
    a_visitor: "Ein Besucher",
};

const VI: Texts = Texts {
    reply_above: "Trả lời phía trên dòng này để tiếp tục cuộc trò chuyện",
    offline_subject: "Tin nhắn mới từ {visitor} — {channel}",
    offline_intro: "{visitor} đã để lại tin nhắn trên {channel} lúc {time}:",
    offline_page: "Trang: {page}",
    offline_reply_hint: "Trả lời email này để phản hồi trực tiếp cho {visitor}.",
    missed_subject: "Cuộc trò chuyện chưa được trả lời sau {minutes} phút — {channel}",
    missed_intro: "{visitor} đã bắt đầu trò chuyện trên {channel} lúc {time} và chưa được trả lời sau {minutes} phút.",
    missed_first: "Tin nhắn đầu tiên:",
    missed_open: "Mở cuộc trò chuyện: {link}",
    transcript_subject: "Cuộc trò chuyện của bạn với {channel}",
    transcript_intro: "Đây là cuộc trò chuyện của bạn với {channel} ngày {date}.",
    transcript_continue: "Trả lời email này để tiếp tục cuộc trò chuyện.",
    reply_subject: "{operator} đã trả lời — {channel}",
    reply_intro: "{operator} từ {channel} đã trả lời bạn:",
    you: "Bạn",
    a_visitor: "Một khách truy cập",
};

const RU: Texts = Texts {
    reply_above: "Ответьте над этой строкой, чтобы продолжить чат",
    offline_subject: "Новое сообщение от {visitor} — {channel}",
    offline_intro: "{visitor} оставил(а) сообщение на {channel} в {time}:",
    offline_page: "Страница: {page}",
    offline_reply_hint: "Ответьте на это письмо, чтобы написать посетителю ({visitor}) напрямую.",
    missed_subject: "Чат без ответа {minutes} мин — {channel}",
    missed_intro: "{visitor} начал(а) чат на {channel} в {time} и ждёт ответа уже {minutes} мин.",
    missed_first: "Первое сообщение:",
    missed_open: "Открыть чат: {link}",
    transcript_subject: "Ваш чат с {channel}",
    transcript_intro: "Ваш чат с {channel} от {date}.",
    transcript_continue: "Ответьте на это письмо, чтобы продолжить чат.",
    reply_subject: "{operator} ответил(а) — {channel}",
    reply_intro: "{operator} ({channel}) ответил(а) вам:",
    you: "Вы",
    a_visitor: "Посетитель",
};

const ZH: Texts = Texts {
    reply_above: "请在此行上方回复以继续对话",
    offline_subject: "来自 {visitor} 的新留言 — {channel}",
    offline_intro: "{visitor} 于 {time} 在 {channel} 留言：",
    offline_page: "页面：{page}",
    offline_reply_hint: "直接回复此邮件即可答复 {visitor}。",
    missed_subject: "对话已 {minutes} 分钟无人回复 — {channel}",
    missed_intro: "{visitor} 于 {time} 在 {channel} 发起对话，已 {minutes} 分钟无人回复。",
    missed_first: "第一条消息：",
    missed_open: "打开对话：{link}",
    transcript_subject: "您与 {channel} 的对话",
    transcript_intro: "以下是您于 {date} 与 {channel} 的对话。",
    transcript_continue: "回复此邮件即可继续对话。",
    reply_subject: "{operator} 已回复 — {channel}",
    reply_intro: "{channel} 的 {operator} 回复了您：",
    you: "您",
    a_visitor: "一位访客",
};

/// The texts in a language.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::En => &EN,
        Lang::Es => &ES,
        Lang::Fr => &FR,
        Lang::De => &DE,
        Lang::Vi => &VI,
        Lang::Ru => &RU,
        Lang::Zh => &ZH,
    }
}

/// Puts the values in a template's `{name}` places in one pass (a value that itself contains
/// `{…}` stays as it is). An unknown name stays as written.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)) {
            Some((name, close)) if values.iter().any(|(k, _)| *k == name) => {
                out.push_str(values.iter().find(|(k, _)| *k == name).map(|(_, v)| *v).unwrap_or_default());
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Lang; 7] = [Lang::En, Lang::Es, Lang::Fr, Lang::De, Lang::Vi, Lang::Ru, Lang::Zh];

    fn fields(t: &Texts) -> [&'static str; 16] {
        [
            t.reply_above,
            t.offline_subject,
            t.offline_intro,
            t.offline_page,
            t.offline_reply_hint,
            t.missed_subject,
            t.missed_intro,
            t.missed_first,
            t.missed_open,
            t.transcript_subject,
            t.transcript_intro,
            t.transcript_continue,
            t.reply_subject,
            t.reply_intro,
            t.you,
            t.a_visitor,
        ]
    }

    fn names(s: &str) -> Vec<&str> {
        s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(n, _)| n)).collect()
    }

    /// Every language has every text with the same places as English, and none is English's
    /// own text left untranslated.
    #[test]
    fn every_language_fills_the_same_places() {
        for lang in ALL {
            for (i, (t, en)) in fields(texts(lang)).iter().zip(fields(texts(Lang::En))).enumerate() {
                assert!(!t.trim().is_empty(), "{lang:?} #{i}");
                let (mut a, mut b) = (names(t), names(en));
                a.sort();
                b.sort();
                assert_eq!(a, b, "{lang:?} #{i}: {t}");
                if lang != Lang::En && i != 3 {
                    assert_ne!(*t, en, "{lang:?} #{i} untranslated");
                }
            }
        }
    }

    #[test]
    fn fill_is_one_pass() {
        assert_eq!(fill("{a} and {b}", &[("a", "{b}"), ("b", "x")]), "{b} and x");
        assert_eq!(fill("{unknown} {a", &[("a", "1")]), "{unknown} {a");
    }
}

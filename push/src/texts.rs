//! What a push notification says (title, body), in the operator's console language (sent with
//! the subscription; English when unknown). Every language fills every text.

use parley_protocol::i18n::Lang;

/// What the notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About {
    /// A chat assigned to the operator.
    NewChat,
    /// A new chat waiting in line in a channel they joined.
    Waiting,
    /// The visitor wrote in a chat of theirs.
    Message,
}

/// The notification's title and body.
pub fn notification(lang: Lang, about: About) -> (&'static str, &'static str) {
    use About::*;
    match (lang, about) {
        (Lang::En, NewChat) => ("New chat", "A visitor is waiting for your answer."),
        (Lang::En, Waiting) => ("Chat waiting", "A visitor is waiting in line: nobody is free."),
        (Lang::En, Message) => ("New message", "A visitor wrote in one of your chats."),
        (Lang::Es, NewChat) => ("Nuevo chat", "Un visitante espera tu respuesta."),
        (Lang::Es, Waiting) => ("Chat en espera", "Un visitante espera en la cola: no hay nadie libre."),
        (Lang::Es, Message) => ("Nuevo mensaje", "Un visitante escribió en uno de tus chats."),
        (Lang::Fr, NewChat) => ("Nouvelle discussion", "Un visiteur attend votre réponse."),
        (Lang::Fr, Waiting) => ("Discussion en attente", "Un visiteur attend dans la file : personne n’est libre."),
        (Lang::Fr, Message) => ("Nouveau message", "Un visiteur a écrit dans une de vos discussions."),
        (Lang::De, NewChat) => ("Neuer Chat", "Ein Besucher wartet auf Ihre Antwort."),
        (Lang::De, Waiting) => ("Chat wartet", "Ein Besucher wartet in der Schlange: niemand ist frei."),
        (Lang::De, Message) => ("Neue Nachricht", "Ein Besucher hat in einem Ihrer Chats geschrieben."),
        (Lang::Vi, NewChat) => ("Cuộc trò chuyện mới", "Một khách truy cập đang chờ bạn trả lời."),
        (Lang::Vi, Waiting) => ("Cuộc trò chuyện đang chờ", "Một khách truy cập đang xếp hàng: không ai rảnh."),
        (Lang::Vi, Message) => ("Tin nhắn mới", "Một khách truy cập đã viết trong một cuộc trò chuyện của bạn."),
        (Lang::Ru, NewChat) => ("Новый чат", "Посетитель ждёт вашего ответа."),
        (Lang::Ru, Waiting) => ("Чат в очереди", "Посетитель ждёт в очереди: свободных операторов нет."),
        (Lang::Ru, Message) => ("Новое сообщение", "Посетитель написал в одном из ваших чатов."),
        (Lang::Zh, NewChat) => ("新会话", "有访客在等待您的回复。"),
        (Lang::Zh, Waiting) => ("会话排队中", "有访客在排队：目前无人空闲。"),
        (Lang::Zh, Message) => ("新消息", "有访客在您的会话中留言。"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::i18n::LANGS;

    #[test]
    fn every_language_says_every_notification_in_its_own_words() {
        for about in [About::NewChat, About::Waiting, About::Message] {
            let en = notification(Lang::En, about);
            for lang in LANGS {
                let (title, body) = notification(lang, about);
                assert!(!title.is_empty() && !body.is_empty(), "{lang:?} {about:?}");
                if lang != Lang::En {
                    assert_ne!((title, body), en, "{lang:?} {about:?} copies English");
                }
            }
        }
    }
}

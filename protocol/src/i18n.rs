//! The widget's own words in the languages Parley speaks, and which language a visitor gets.
//!
//! The visitor's browser languages (`navigator.languages`, in order) are tried first, then
//! the channel's default language, then English. Operators' words (greetings, invite texts)
//! are per language in the channel's and invites' settings; these are the widget's fixed texts.
//! Placeholders are `{name}`, `{position}` and `{minutes}`, filled by [`fill`] (no format
//! machinery: every byte of this ships to every visitor).

/// A language of the widget's texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
    Fr,
    De,
    Vi,
    Ru,
    /// Chinese in Simplified characters (any `zh` tag).
    Zh,
}

/// The primary subtag of a language tag (`pt` of `pt-BR`), trimmed.
pub fn primary(tag: &str) -> &str {
    tag.split(['-', '_']).next().unwrap_or("").trim()
}

/// Every language, in the order the console lists them.
pub const LANGS: [Lang; 7] = [Lang::En, Lang::Es, Lang::Fr, Lang::De, Lang::Vi, Lang::Ru, Lang::Zh];

impl Lang {
    /// The language of a BCP 47 tag (its primary subtag, any case): `de-AT` is German.
    pub fn of(tag: &str) -> Option<Lang> {
        let primary = primary(tag.trim());
        LANGS.into_iter().find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    /// The first of the visitor's languages Parley speaks, else the channel's default, else
    /// English.
    pub fn pick<'a>(browser: impl IntoIterator<Item = &'a str>, channel_default: &str) -> Lang {
        browser.into_iter().find_map(Lang::of).or_else(|| Lang::of(channel_default)).unwrap_or(Lang::En)
    }

    /// The ISO 639-1 code (`en`, `es`, `fr`, `de`, `vi`, `ru`, `zh`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::Vi => "vi",
            Lang::Ru => "ru",
            Lang::Zh => "zh",
        }
    }

    /// The language's own name (for pickers).
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Español",
            Lang::Fr => "Français",
            Lang::De => "Deutsch",
            Lang::Vi => "Tiếng Việt",
            Lang::Ru => "Русский",
            Lang::Zh => "中文（简体）",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Es => &ES,
            Lang::Fr => &FR,
            Lang::De => &DE,
            Lang::Vi => &VI,
            Lang::Ru => &RU,
            Lang::Zh => &ZH,
        }
    }
}

/// Replaces each `{key}` in `template` with its value.
pub fn fill(template: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (k, v) in pairs {
        out = out.replace(&["{", k, "}"].concat(), v);
    }
    out
}

/// The widget's fixed texts in one language.
#[derive(Debug)]
pub struct Texts {
    /// The launcher's label when the panel is closed / open.
    pub open_chat: &'static str,
    pub close_chat: &'static str,
    /// The panel's title when the channel has no name yet.
    pub chat: &'static str,
    pub minimize: &'static str,
    pub end_chat: &'static str,
    pub messages: &'static str,
    pub message: &'static str,
    pub write_message: &'static str,
    pub send: &'static str,
    pub send_message: &'static str,
    pub sending: &'static str,
    pub not_sent_yet: &'static str,
    pub retry: &'static str,
    /// `{why}`: the server's reason.
    pub not_sent: &'static str,
    pub you: &'static str,
    pub sent: &'static str,
    /// Under the visitor's last message the operators have read (read receipts).
    pub seen: &'static str,
    pub unread: &'static str,
    pub reconnecting: &'static str,
    pub reload: &'static str,
    pub chat_ended: &'static str,
    pub new_chat: &'static str,
    /// `{name}`: the operator.
    pub chatting_with: &'static str,
    /// `{position}`, `{minutes}`.
    pub in_line: &'static str,
    pub nobody_reply_here: &'static str,
    pub reply_soon: &'static str,
    /// `{name}`.
    pub typing: &'static str,
    pub offline_intro: &'static str,
    pub your_name: &'static str,
    pub your_email: &'static str,
    pub your_message: &'static str,
    pub leave_message: &'static str,
    pub offline_thanks: &'static str,
    pub rate_chat: &'static str,
    pub how_was_it: &'static str,
    pub rating: &'static str,
    pub good: &'static str,
    pub moderate: &'static str,
    pub bad: &'static str,
    pub comment: &'static str,
    pub send_rating: &'static str,
    pub skip: &'static str,
    pub rating_thanks: &'static str,
    /// "Email me this chat": the panel's action and its form's button.
    pub email_chat: &'static str,
    /// The transcript mail is on its way, `{email}`: where to.
    pub chat_emailed: &'static str,
    pub before_start: &'static str,
    pub start_chat: &'static str,
    pub invitation: &'static str,
    pub close_invitation: &'static str,
    pub chat_now: &'static str,
    /// `{why}`.
    pub could_not_start: &'static str,
    /// `{why}`.
    pub unavailable: &'static str,
    /// The channel's greeting when it has none in any language.
    pub greeting: &'static str,
    /// A chat start refused for too many chats (429 `rate_limited`), `{minutes}`: when to try
    /// again ([`Texts::too_many`]).
    pub many_chats: &'static str,
    /// The offline form refused for too many messages (429 `rate_limited`), `{minutes}`.
    pub many_messages: &'static str,
    /// Why the server refused a frame ([`Texts::refusal`]), in a sentence's middle.
    pub why_too_long: &'static str,
    pub why_closed: &'static str,
    /// The conversation holds as many messages or bytes as it may.
    pub why_full: &'static str,
    pub why_busy: &'static str,
    /// An operator's console session ended (the console only).
    pub why_ended: &'static str,
    pub why_refused: &'static str,
    /// Files (issue 21): the attach control's label; a file over the size limit, refused before
    /// it is uploaded; a file the server refused (its type, or too many).
    pub attach: &'static str,
    pub file_too_large: &'static str,
    pub file_refused: &'static str,
}

impl Texts {
    /// Why the server refused a frame, said in this language (the server's own message is
    /// English and for developers): the widget's "Not sent: {why}", the console's errors.
    pub fn refusal(&self, code: crate::protocol::ErrorCode) -> &'static str {
        use crate::protocol::ErrorCode as C;
        match code {
            C::MessageTooLong | C::FrameTooLarge => self.why_too_long,
            C::ConversationClosed => self.why_closed,
            C::ConversationFull => self.why_full,
            C::RateLimited => self.why_busy,
            C::SessionEnded => self.why_ended,
            C::Malformed | C::UnknownType | C::EmptyMessage | C::BadClientId | C::HelloRequired | C::BadAttachment => {
                self.why_refused
            }
        }
    }

    /// A chat start (`chats`) or an offline message refused with 429 `rate_limited`, said in
    /// this language (the server's message is English): when to try again, in whole minutes
    /// from its `Retry-After` (seconds; at least a minute, also when the header is missing).
    pub fn too_many(&self, chats: bool, retry_after_secs: u32) -> String {
        let minutes = retry_after_secs.div_ceil(60).max(1);
        fill(if chats { self.many_chats } else { self.many_messages }, &[("minutes", &minutes.to_string())])
    }
}

pub static EN: Texts = Texts {
    open_chat: "Open chat",
    close_chat: "Close chat",
    chat: "Chat",
    minimize: "Minimize chat",
    end_chat: "End chat",
    messages: "Messages",
    message: "Message",
    write_message: "Write a message…",
    send: "Send",
    send_message: "Send message",
    sending: "Sending…",
    not_sent_yet: "Not sent yet",
    retry: "Retry",
    not_sent: "Not sent: {why}",
    you: "You",
    sent: "Sent",
    seen: "Seen",
    unread: "unread",
    reconnecting: "Reconnecting…",
    reload: "Please reload the page to keep chatting",
    chat_ended: "This chat has ended.",
    new_chat: "Start a new chat",
    chatting_with: "You are chatting with {name}",
    in_line: "You are number {position} in line · about {minutes} min",
    nobody_reply_here: "No one is online right now; we will reply here",
    reply_soon: "We reply as soon as we can",
    typing: "{name} is typing…",
    offline_intro: "No one is online right now. Leave a message and we will reply by email.",
    your_name: "Your name",
    your_email: "Your email",
    your_message: "Your message",
    leave_message: "Leave a message",
    offline_thanks: "Thank you! We got your message and will reply by email.",
    rate_chat: "Rate this chat",
    how_was_it: "How was this chat?",
    rating: "Rating",
    good: "Good",
    moderate: "Moderate",
    bad: "Bad",
    comment: "Comment",
    send_rating: "Send rating",
    skip: "Skip",
    rating_thanks: "Thank you for your feedback.",
    email_chat: "Email me this chat",
    chat_emailed: "We sent this chat to {email}. Reply to that email to continue it.",
    before_start: "Before we start",
    start_chat: "Start chat",
    invitation: "Chat invitation",
    close_invitation: "Close invitation",
    chat_now: "Chat now",
    could_not_start: "Could not start the chat ({why})",
    unavailable: "Chat is unavailable ({why})",
    greeting: "Hi! How can we help you today?",
    many_chats: "Too many chats were started from here. Please try again in about {minutes} min.",
    many_messages: "Too many messages were left from here. Please try again in about {minutes} min.",
    why_too_long: "the message is too long",
    why_closed: "the chat has ended",
    why_full: "this chat is full; start a new one",
    why_busy: "too many messages at once; try again in a moment",
    why_ended: "your session ended; log in again",
    why_refused: "the server refused it",
    attach: "Attach a file",
    file_too_large: "This file is too large to send (10 MB at most).",
    file_refused: "This file cannot be sent: only images, PDF, text and office documents.",
};

pub static ES: Texts = Texts {
    open_chat: "Abrir chat",
    close_chat: "Cerrar chat",
    chat: "Chat",
    minimize: "Minimizar chat",
    end_chat: "Terminar chat",
    messages: "Mensajes",
    message: "Mensaje",
    write_message: "Escribe un mensaje…",
    send: "Enviar",
    send_message: "Enviar mensaje",
    sending: "Enviando…",
    not_sent_yet: "Aún no enviado",
    retry: "Reintentar",
    not_sent: "No enviado: {why}",
    you: "Tú",
    sent: "Enviado",
    seen: "Visto",
    unread: "sin leer",
    reconnecting: "Reconectando…",
    reload: "Recarga la página para seguir chateando",
    chat_ended: "Este chat ha terminado.",
    new_chat: "Iniciar un chat nuevo",
    chatting_with: "Estás chateando con {name}",
    in_line: "Eres el número {position} en la fila · unos {minutes} min",
    nobody_reply_here: "No hay nadie conectado ahora; te responderemos aquí",
    reply_soon: "Respondemos lo antes posible",
    typing: "{name} está escribiendo…",
    offline_intro: "No hay nadie conectado ahora. Déjanos un mensaje y te responderemos por correo.",
    your_name: "Tu nombre",
    your_email: "Tu correo electrónico",
    your_message: "Tu mensaje",
    leave_message: "Dejar un mensaje",
    offline_thanks: "¡Gracias! Recibimos tu mensaje y te responderemos por correo.",
    rate_chat: "Valora este chat",
    how_was_it: "¿Qué tal fue este chat?",
    rating: "Valoración",
    good: "Bien",
    moderate: "Regular",
    bad: "Mal",
    comment: "Comentario",
    send_rating: "Enviar valoración",
    skip: "Omitir",
    rating_thanks: "Gracias por tu opinión.",
    email_chat: "Enviarme este chat por correo",
    chat_emailed: "Hemos enviado este chat a {email}. Responde a ese correo para continuarlo.",
    before_start: "Antes de empezar",
    start_chat: "Iniciar chat",
    invitation: "Invitación al chat",
    close_invitation: "Cerrar invitación",
    chat_now: "Chatear ahora",
    could_not_start: "No se pudo iniciar el chat ({why})",
    unavailable: "El chat no está disponible ({why})",
    greeting: "¡Hola! ¿En qué podemos ayudarte hoy?",
    many_chats: "Se han iniciado demasiados chats desde aquí. Inténtalo de nuevo en unos {minutes} min.",
    many_messages: "Se han dejado demasiados mensajes desde aquí. Inténtalo de nuevo en unos {minutes} min.",
    why_too_long: "el mensaje es demasiado largo",
    why_closed: "el chat ha terminado",
    why_full: "este chat está lleno; empieza uno nuevo",
    why_busy: "demasiados mensajes a la vez; inténtalo de nuevo en un momento",
    why_ended: "tu sesión ha terminado; vuelve a iniciar sesión",
    why_refused: "el servidor lo rechazó",
    attach: "Adjuntar un archivo",
    file_too_large: "Este archivo es demasiado grande para enviarlo (10 MB como máximo).",
    file_refused: "Este archivo no se puede enviar: solo imágenes, PDF, texto y documentos de oficina.",
};

pub static FR: Texts = Texts {
    open_chat: "Ouvrir le chat",
    close_chat: "Fermer le chat",
    chat: "Chat",
    minimize: "Réduire le chat",
    end_chat: "Terminer le chat",
    messages: "Messages",
    message: "Message",
    write_message: "Écrivez un message…",
    send: "Envoyer",
    send_message: "Envoyer le message",
    sending: "Envoi…",
    not_sent_yet: "Pas encore envoyé",
    retry: "Réessayer",
    not_sent: "Non envoyé : {why}",
    you: "Vous",
    sent: "Envoyé",
    seen: "Vu",
    unread: "non lus",
    reconnecting: "Reconnexion…",
    reload: "Rechargez la page pour continuer la discussion",
    chat_ended: "Cette discussion est terminée.",
    new_chat: "Commencer une nouvelle discussion",
    chatting_with: "Vous discutez avec {name}",
    in_line: "Vous êtes n° {position} dans la file · environ {minutes} min",
    nobody_reply_here: "Personne n’est en ligne pour le moment ; nous répondrons ici",
    reply_soon: "Nous répondons dès que possible",
    typing: "{name} écrit…",
    offline_intro: "Personne n’est en ligne pour le moment. Laissez un message, nous répondrons par e-mail.",
    your_name: "Votre nom",
    your_email: "Votre e-mail",
    your_message: "Votre message",
    leave_message: "Laisser un message",
    offline_thanks: "Merci ! Nous avons reçu votre message et répondrons par e-mail.",
    rate_chat: "Évaluez cette discussion",
    how_was_it: "Comment s’est passée cette discussion ?",
    rating: "Évaluation",
    good: "Bien",
    moderate: "Moyen",
    bad: "Mauvais",
    comment: "Commentaire",
    send_rating: "Envoyer l’évaluation",
    skip: "Passer",
    rating_thanks: "Merci pour votre avis.",
    email_chat: "M’envoyer cette discussion par e-mail",
    chat_emailed: "Nous avons envoyé cette discussion à {email}. Répondez à cet e-mail pour la poursuivre.",
    before_start: "Avant de commencer",
    start_chat: "Commencer",
    invitation: "Invitation à discuter",
    close_invitation: "Fermer l’invitation",
    chat_now: "Discuter",
    could_not_start: "Impossible de démarrer la discussion ({why})",
    unavailable: "Le chat n’est pas disponible ({why})",
    greeting: "Bonjour ! Comment pouvons-nous vous aider ?",
    many_chats:
        "Trop de discussions ont été ouvertes depuis cet endroit. Veuillez réessayer dans environ {minutes} min.",
    many_messages:
        "Trop de messages ont été laissés depuis cet endroit. Veuillez réessayer dans environ {minutes} min.",
    why_too_long: "le message est trop long",
    why_closed: "la discussion est terminée",
    why_full: "cette discussion est pleine ; commencez-en une nouvelle",
    why_busy: "trop de messages à la fois ; réessayez dans un instant",
    why_ended: "votre session a pris fin ; reconnectez-vous",
    why_refused: "le serveur l’a refusé",
    attach: "Joindre un fichier",
    file_too_large: "Ce fichier est trop volumineux pour être envoyé (10 Mo au plus).",
    file_refused: "Ce fichier ne peut pas être envoyé : images, PDF, texte et documents bureautiques uniquement.",
};

pub static DE: Texts = Texts {
    open_chat: "Chat öffnen",
    close_chat: "Chat schließen",
    chat: "Chat",
    minimize: "Chat minimieren",
    end_chat: "Chat beenden",
    messages: "Nachrichten",
    message: "Nachricht",
    write_message: "Nachricht schreiben…",
    send: "Senden",
    send_message: "Nachricht senden",
    sending: "Wird gesendet…",
    not_sent_yet: "Noch nicht gesendet",
    retry: "Erneut versuchen",
    not_sent: "Nicht gesendet: {why}",
    you: "Sie",
    sent: "Gesendet",
    seen: "Gesehen",
    unread: "ungelesen",
    reconnecting: "Verbindung wird wiederhergestellt…",
    reload: "Bitte laden Sie die Seite neu, um weiterzuchatten",
    chat_ended: "Dieser Chat wurde beendet.",
    new_chat: "Neuen Chat beginnen",
    chatting_with: "Sie chatten mit {name}",
    in_line: "Sie sind Nummer {position} in der Warteschlange · etwa {minutes} Min.",
    nobody_reply_here: "Gerade ist niemand online; wir antworten hier",
    reply_soon: "Wir antworten so schnell wie möglich",
    typing: "{name} schreibt…",
    offline_intro: "Gerade ist niemand online. Hinterlassen Sie eine Nachricht, wir antworten per E-Mail.",
    your_name: "Ihr Name",
    your_email: "Ihre E-Mail-Adresse",
    your_message: "Ihre Nachricht",
    leave_message: "Nachricht hinterlassen",
    offline_thanks: "Danke! Wir haben Ihre Nachricht erhalten und antworten per E-Mail.",
    rate_chat: "Diesen Chat bewerten",
    how_was_it: "Wie war dieser Chat?",
    rating: "Bewertung",
    good: "Gut",
    moderate: "Mittel",
    bad: "Schlecht",
    comment: "Kommentar",
    send_rating: "Bewertung senden",
    skip: "Überspringen",
    rating_thanks: "Danke für Ihr Feedback.",
    email_chat: "Diesen Chat per E-Mail senden",
    chat_emailed: "Wir haben diesen Chat an {email} gesendet. Antworten Sie auf diese E-Mail, um ihn fortzusetzen.",
    before_start: "Bevor wir beginnen",
    start_chat: "Chat starten",
    invitation: "Chat-Einladung",
    close_invitation: "Einladung schließen",
    chat_now: "Jetzt chatten",
    could_not_start: "Der Chat konnte nicht gestartet werden ({why})",
    unavailable: "Der Chat ist nicht verfügbar ({why})",
    greeting: "Hallo! Wie können wir Ihnen helfen?",
    many_chats: "Von hier aus wurden zu viele Chats gestartet. Bitte versuchen Sie es in etwa {minutes} Min. erneut.",
    many_messages:
        "Von hier aus wurden zu viele Nachrichten hinterlassen. Bitte versuchen Sie es in etwa {minutes} Min. erneut.",
    why_too_long: "die Nachricht ist zu lang",
    why_closed: "der Chat ist beendet",
    why_full: "dieser Chat ist voll; beginnen Sie einen neuen",
    why_busy: "zu viele Nachrichten auf einmal; versuchen Sie es gleich noch einmal",
    why_ended: "Ihre Sitzung ist beendet; melden Sie sich erneut an",
    why_refused: "der Server hat sie abgelehnt",
    attach: "Datei anhängen",
    file_too_large: "Diese Datei ist zu groß zum Senden (höchstens 10 MB).",
    file_refused: "Diese Datei kann nicht gesendet werden: nur Bilder, PDF, Text und Office-Dokumente.",
};

pub static VI: Texts = Texts {
    open_chat: "Mở trò chuyện",
    close_chat: "Đóng trò chuyện",
    chat: "Trò chuyện",
    minimize: "Thu nhỏ trò chuyện",
    end_chat: "Kết thúc trò chuyện",
    messages: "Tin nhắn",
    message: "Tin nhắn",
    write_message: "Viết tin nhắn…",
    send: "Gửi",
    send_message: "Gửi tin nhắn",
    sending: "Đang gửi…",
    not_sent_yet: "Chưa gửi được",
    retry: "Thử lại",
    not_sent: "Không gửi được: {why}",
    you: "Bạn",
    sent: "Đã gửi",
    seen: "Đã xem",
    unread: "chưa đọc",
    reconnecting: "Đang kết nối lại…",
    reload: "Vui lòng tải lại trang để tiếp tục trò chuyện",
    chat_ended: "Cuộc trò chuyện đã kết thúc.",
    new_chat: "Bắt đầu cuộc trò chuyện mới",
    chatting_with: "Bạn đang trò chuyện với {name}",
    in_line: "Bạn đang ở vị trí số {position} · khoảng {minutes} phút",
    nobody_reply_here: "Hiện không có ai trực tuyến; chúng tôi sẽ trả lời tại đây",
    reply_soon: "Chúng tôi sẽ trả lời sớm nhất có thể",
    typing: "{name} đang nhập…",
    offline_intro: "Hiện không có ai trực tuyến. Hãy để lại lời nhắn, chúng tôi sẽ trả lời qua email.",
    your_name: "Tên của bạn",
    your_email: "Email của bạn",
    your_message: "Lời nhắn của bạn",
    leave_message: "Để lại lời nhắn",
    offline_thanks: "Cảm ơn bạn! Chúng tôi đã nhận được lời nhắn và sẽ trả lời qua email.",
    rate_chat: "Đánh giá cuộc trò chuyện",
    how_was_it: "Cuộc trò chuyện thế nào?",
    rating: "Đánh giá",
    good: "Tốt",
    moderate: "Bình thường",
    bad: "Tệ",
    comment: "Nhận xét",
    send_rating: "Gửi đánh giá",
    skip: "Bỏ qua",
    rating_thanks: "Cảm ơn bạn đã góp ý.",
    email_chat: "Gửi cuộc trò chuyện này qua email",
    chat_emailed: "Chúng tôi đã gửi cuộc trò chuyện này tới {email}. Hãy trả lời email đó để tiếp tục.",
    before_start: "Trước khi bắt đầu",
    start_chat: "Bắt đầu trò chuyện",
    invitation: "Lời mời trò chuyện",
    close_invitation: "Đóng lời mời",
    chat_now: "Trò chuyện ngay",
    could_not_start: "Không thể bắt đầu trò chuyện ({why})",
    unavailable: "Trò chuyện hiện không khả dụng ({why})",
    greeting: "Xin chào! Chúng tôi có thể giúp gì cho bạn?",
    many_chats: "Có quá nhiều cuộc trò chuyện được bắt đầu từ đây. Vui lòng thử lại sau khoảng {minutes} phút.",
    many_messages: "Có quá nhiều lời nhắn được gửi từ đây. Vui lòng thử lại sau khoảng {minutes} phút.",
    why_too_long: "tin nhắn quá dài",
    why_closed: "cuộc trò chuyện đã kết thúc",
    why_full: "cuộc trò chuyện này đã đầy; hãy bắt đầu cuộc mới",
    why_busy: "quá nhiều tin nhắn cùng lúc; vui lòng thử lại sau giây lát",
    why_ended: "phiên của bạn đã kết thúc; vui lòng đăng nhập lại",
    why_refused: "máy chủ đã từ chối",
    attach: "Đính kèm tệp",
    file_too_large: "Tệp này quá lớn để gửi (tối đa 10 MB).",
    file_refused: "Không thể gửi tệp này: chỉ hình ảnh, PDF, văn bản và tài liệu văn phòng.",
};

pub static RU: Texts = Texts {
    open_chat: "Открыть чат",
    close_chat: "Закрыть чат",
    chat: "Чат",
    minimize: "Свернуть чат",
    end_chat: "Завершить чат",
    messages: "Сообщения",
    message: "Сообщение",
    write_message: "Напишите сообщение…",
    send: "Отправить",
    send_message: "Отправить сообщение",
    sending: "Отправка…",
    not_sent_yet: "Ещё не отправлено",
    retry: "Повторить",
    not_sent: "Не отправлено: {why}",
    you: "Вы",
    sent: "Отправлено",
    seen: "Просмотрено",
    unread: "непрочитанных",
    reconnecting: "Переподключение…",
    reload: "Перезагрузите страницу, чтобы продолжить чат",
    chat_ended: "Чат завершён.",
    new_chat: "Начать новый чат",
    chatting_with: "Вы общаетесь с {name}",
    in_line: "Вы {position}-й в очереди · около {minutes} мин",
    nobody_reply_here: "Сейчас никого нет в сети; мы ответим здесь",
    reply_soon: "Мы ответим как можно скорее",
    typing: "{name} печатает…",
    offline_intro: "Сейчас никого нет в сети. Оставьте сообщение, и мы ответим по электронной почте.",
    your_name: "Ваше имя",
    your_email: "Ваш e-mail",
    your_message: "Ваше сообщение",
    leave_message: "Оставить сообщение",
    offline_thanks: "Спасибо! Мы получили ваше сообщение и ответим по электронной почте.",
    rate_chat: "Оцените этот чат",
    how_was_it: "Как прошёл этот чат?",
    rating: "Оценка",
    good: "Хорошо",
    moderate: "Нормально",
    bad: "Плохо",
    comment: "Комментарий",
    send_rating: "Отправить оценку",
    skip: "Пропустить",
    rating_thanks: "Спасибо за отзыв.",
    email_chat: "Отправить этот чат на почту",
    chat_emailed: "Мы отправили этот чат на {email}. Ответьте на это письмо, чтобы продолжить его.",
    before_start: "Прежде чем начать",
    start_chat: "Начать чат",
    invitation: "Приглашение в чат",
    close_invitation: "Закрыть приглашение",
    chat_now: "Начать чат сейчас",
    could_not_start: "Не удалось начать чат ({why})",
    unavailable: "Чат недоступен ({why})",
    greeting: "Здравствуйте! Чем мы можем помочь?",
    many_chats: "Отсюда начато слишком много чатов. Попробуйте снова примерно через {minutes} мин.",
    many_messages: "Отсюда оставлено слишком много сообщений. Попробуйте снова примерно через {minutes} мин.",
    why_too_long: "сообщение слишком длинное",
    why_closed: "чат завершён",
    why_full: "этот чат переполнен; начните новый",
    why_busy: "слишком много сообщений сразу; попробуйте чуть позже",
    why_ended: "сеанс завершён; войдите снова",
    why_refused: "сервер отклонил его",
    attach: "Прикрепить файл",
    file_too_large: "Файл слишком большой для отправки (не более 10 МБ).",
    file_refused: "Этот файл нельзя отправить: только изображения, PDF, текст и офисные документы.",
};

pub static ZH: Texts = Texts {
    open_chat: "打开聊天",
    close_chat: "关闭聊天",
    chat: "在线聊天",
    minimize: "最小化聊天窗口",
    end_chat: "结束聊天",
    messages: "消息",
    message: "消息",
    write_message: "输入消息…",
    send: "发送",
    send_message: "发送消息",
    sending: "正在发送…",
    not_sent_yet: "尚未发送",
    retry: "重试",
    not_sent: "未发送：{why}",
    you: "您",
    sent: "已发送",
    seen: "已读",
    unread: "条未读",
    reconnecting: "正在重新连接…",
    reload: "请刷新页面以继续聊天",
    chat_ended: "本次聊天已结束。",
    new_chat: "开始新的聊天",
    chatting_with: "您正在与 {name} 聊天",
    in_line: "您前面还有 {position} 位 · 约 {minutes} 分钟",
    nobody_reply_here: "目前没有客服在线；我们会在这里回复您",
    reply_soon: "我们会尽快回复",
    typing: "{name} 正在输入…",
    offline_intro: "目前没有客服在线。请留言，我们会通过电子邮件回复您。",
    your_name: "您的姓名",
    your_email: "您的电子邮箱",
    your_message: "您的留言",
    leave_message: "留言",
    offline_thanks: "谢谢！我们已收到您的留言，会通过电子邮件回复您。",
    rate_chat: "评价本次聊天",
    how_was_it: "本次聊天体验如何？",
    rating: "评价",
    good: "满意",
    moderate: "一般",
    bad: "不满意",
    comment: "备注",
    send_rating: "提交评价",
    skip: "跳过",
    rating_thanks: "感谢您的反馈。",
    email_chat: "通过邮件发送此对话",
    chat_emailed: "我们已将此对话发送至 {email}。回复该邮件即可继续对话。",
    before_start: "开始之前",
    start_chat: "开始聊天",
    invitation: "聊天邀请",
    close_invitation: "关闭邀请",
    chat_now: "立即聊天",
    could_not_start: "无法开始聊天（{why}）",
    unavailable: "聊天暂不可用（{why}）",
    greeting: "您好！有什么可以帮您？",
    many_chats: "从这里发起的聊天过多。请约 {minutes} 分钟后再试。",
    many_messages: "从这里提交的留言过多。请约 {minutes} 分钟后再试。",
    why_too_long: "消息太长",
    why_closed: "对话已结束",
    why_full: "此对话已满，请开始新的对话",
    why_busy: "消息过于频繁，请稍后再试",
    why_ended: "会话已结束，请重新登录",
    why_refused: "服务器拒绝了该消息",
    attach: "附加文件",
    file_too_large: "文件太大，无法发送（最多 10 MB）。",
    file_refused: "无法发送此文件：仅限图片、PDF、纯文本和办公文档。",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_frames_are_said_in_every_language() {
        use crate::protocol::ErrorCode as C;
        let codes = [
            C::Malformed,
            C::UnknownType,
            C::FrameTooLarge,
            C::MessageTooLong,
            C::EmptyMessage,
            C::BadClientId,
            C::HelloRequired,
            C::ConversationClosed,
            C::RateLimited,
            C::SessionEnded,
            C::ConversationFull,
        ];
        for lang in LANGS {
            let t = lang.texts();
            for code in codes {
                assert!(!t.refusal(code).trim().is_empty(), "{lang:?} {code:?}");
            }
            // A message too long, a closed chat and a rate limit each say what they are.
            let said = [
                C::MessageTooLong,
                C::ConversationClosed,
                C::ConversationFull,
                C::RateLimited,
                C::SessionEnded,
                C::Malformed,
            ]
            .map(|c| t.refusal(c));
            let mut distinct = said.to_vec();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), said.len(), "{lang:?}: {said:?}");
            if lang != Lang::En {
                assert_ne!(t.refusal(C::MessageTooLong), EN.why_too_long, "{lang:?} is translated");
            }
        }
        assert_eq!(Lang::Fr.texts().refusal(C::FrameTooLarge), "le message est trop long");
    }

    #[test]
    fn the_browser_language_wins_then_the_channel_default_then_english() {
        assert_eq!(Lang::pick(["de-AT", "en"], "fr"), Lang::De);
        assert_eq!(Lang::pick(["ja", "VI-vn"], "fr"), Lang::Vi, "the first language Parley speaks");
        assert_eq!(Lang::pick(["ja", "ko"], "fr"), Lang::Fr, "none spoken: the channel's default");
        assert_eq!(Lang::pick([], "es-MX"), Lang::Es);
        assert_eq!(Lang::pick(["ja"], "xx"), Lang::En);
        assert_eq!(Lang::pick([""], ""), Lang::En);
    }

    #[test]
    fn russian_and_chinese_are_picked() {
        assert_eq!(Lang::pick(["ru-RU", "en"], "en"), Lang::Ru);
        assert_eq!(Lang::pick(["ja", "zh-CN"], "fr"), Lang::Zh, "the first language Parley speaks");
        assert_eq!(Lang::pick(["zh-Hans-CN"], "en"), Lang::Zh);
        assert_eq!(Lang::pick(["ja"], "RU"), Lang::Ru, "the channel's default");
        assert_eq!(Lang::pick([], "zh"), Lang::Zh);
        assert_eq!(fill(Lang::Ru.texts().typing, &[("name", "Саша")]), "Саша печатает…");
        assert_eq!(fill(Lang::Zh.texts().chatting_with, &[("name", "小王")]), "您正在与 小王 聊天");
    }

    fn all(t: &Texts) -> [&'static str; 53] {
        [
            t.open_chat,
            t.close_chat,
            t.chat,
            t.minimize,
            t.end_chat,
            t.messages,
            t.message,
            t.write_message,
            t.send,
            t.send_message,
            t.sending,
            t.not_sent_yet,
            t.retry,
            t.not_sent,
            t.you,
            t.sent,
            t.seen,
            t.unread,
            t.reconnecting,
            t.reload,
            t.chat_ended,
            t.new_chat,
            t.chatting_with,
            t.in_line,
            t.nobody_reply_here,
            t.reply_soon,
            t.typing,
            t.offline_intro,
            t.your_name,
            t.your_email,
            t.your_message,
            t.leave_message,
            t.offline_thanks,
            t.rate_chat,
            t.how_was_it,
            t.rating,
            t.good,
            t.moderate,
            t.bad,
            t.comment,
            t.send_rating,
            t.skip,
            t.rating_thanks,
            t.before_start,
            t.start_chat,
            t.invitation,
            t.close_invitation,
            t.chat_now,
            t.could_not_start,
            t.unavailable,
            t.greeting,
            t.many_chats,
            t.many_messages,
        ]
    }

    #[test]
    fn every_language_has_every_text_translated() {
        let en = all(Lang::En.texts());
        for l in LANGS {
            let t = all(l.texts());
            assert!(t.iter().all(|s| !s.trim().is_empty()), "{}: an empty text", l.code());
            if l != Lang::En {
                // "Chat", "Message(s)" are the same word in some languages; no more than that.
                let same: Vec<_> = t.iter().zip(en).filter(|(a, b)| *a == b).map(|(a, _)| *a).collect();
                assert!(same.len() <= 3, "{}: English copies {same:?}", l.code());
            }
        }
    }

    #[test]
    fn a_refused_start_says_when_to_try_again_in_every_language() {
        let en = Lang::En.texts();
        assert_eq!(en.too_many(true, 600), "Too many chats were started from here. Please try again in about 10 min.");
        assert_eq!(en.too_many(true, 61), "Too many chats were started from here. Please try again in about 2 min.");
        assert!(en.too_many(false, 0).ends_with("in about 1 min."), "at least a minute, also without Retry-After");
        assert!(en.too_many(false, 3_600).starts_with("Too many messages"));
        assert_eq!(
            Lang::De.texts().too_many(true, 540),
            "Von hier aus wurden zu viele Chats gestartet. Bitte versuchen Sie es in etwa 9 Min. erneut."
        );
        for l in LANGS {
            let t = l.texts();
            let (chats, messages) = (t.too_many(true, 120), t.too_many(false, 120));
            assert!(chats.contains('2') && !chats.contains('{'), "{} {chats}", l.code());
            assert_ne!(chats, messages, "{}", l.code());
            if l != Lang::En {
                assert_ne!(chats, en.too_many(true, 120), "{} is translated", l.code());
            }
        }
    }

    #[test]
    fn placeholders_are_filled() {
        let t = Lang::En.texts();
        assert_eq!(fill(t.in_line, &[("position", "2"), ("minutes", "3")]), "You are number 2 in line · about 3 min");
        assert_eq!(fill(Lang::De.texts().typing, &[("name", "Sam")]), "Sam schreibt…");
    }

    #[test]
    fn every_language_keeps_every_placeholder() {
        for l in LANGS {
            let t = l.texts();
            for (s, keys) in [
                (t.chatting_with, &["{name}"][..]),
                (t.typing, &["{name}"]),
                (t.in_line, &["{position}", "{minutes}"]),
                (t.not_sent, &["{why}"]),
                (t.could_not_start, &["{why}"]),
                (t.unavailable, &["{why}"]),
                (t.many_chats, &["{minutes}"]),
                (t.many_messages, &["{minutes}"]),
            ] {
                for k in keys {
                    assert!(s.contains(k), "{} {s:?} lacks {k}", l.code());
                }
            }
            assert_eq!(Lang::of(l.code()), Some(l));
        }
    }
}

//! The mails of accounts without SQL (issue 20), in the operator's language: an invitation to
//! join an account (a one-time link to choose a password) and a password reset (a one-time
//! link). Kept apart from [`crate::mails`] and [`crate::texts`]: their own texts, the same
//! `{name}` placeholders filled by [`crate::texts::fill`].

use crate::compose::{html_escape, Content};
use crate::texts::fill;
use parley_protocol::i18n::Lang;

/// The texts of the two mails in one language.
pub struct AccountTexts {
    pub invite_subject: &'static str,
    pub invite_intro: &'static str,
    pub invite_action: &'static str,
    pub invite_expiry: &'static str,
    pub reset_subject: &'static str,
    pub reset_intro: &'static str,
    pub reset_action: &'static str,
    pub reset_expiry: &'static str,
    pub ignore: &'static str,
}

const EN: AccountTexts = AccountTexts {
    invite_subject: "You are invited to {account} on Parley",
    invite_intro: "{inviter} invited you to answer the visitors of {account} on Parley. Your username is {username}.",
    invite_action: "Choose your password to start: {link}",
    invite_expiry: "The link works once, for {days} days.",
    reset_subject: "Reset your Parley password",
    reset_intro: "Someone asked to reset the password of the Parley username {username}.",
    reset_action: "Choose a new password: {link}",
    reset_expiry: "The link works once, for {minutes} minutes. Your other sessions end when you use it.",
    ignore: "If you did not expect this mail, ignore it: nothing changes.",
};

const ES: AccountTexts = AccountTexts {
    invite_subject: "Te invitan a {account} en Parley",
    invite_intro:
        "{inviter} te invitó a atender a los visitantes de {account} en Parley. Tu nombre de usuario es {username}.",
    invite_action: "Elige tu contraseña para empezar: {link}",
    invite_expiry: "El enlace funciona una vez, durante {days} días.",
    reset_subject: "Restablece tu contraseña de Parley",
    reset_intro: "Alguien pidió restablecer la contraseña del usuario de Parley {username}.",
    reset_action: "Elige una contraseña nueva: {link}",
    reset_expiry: "El enlace funciona una vez, durante {minutes} minutos. Tus otras sesiones terminan al usarlo.",
    ignore: "Si no esperabas este correo, ignóralo: no cambia nada.",
};

const FR: AccountTexts = AccountTexts {
    invite_subject: "Vous êtes invité à {account} sur Parley",
    invite_intro: "{inviter} vous a invité à répondre aux visiteurs de {account} sur Parley. Votre nom d'utilisateur est {username}.",
    invite_action: "Choisissez votre mot de passe pour commencer : {link}",
    invite_expiry: "Le lien fonctionne une fois, pendant {days} jours.",
    reset_subject: "Réinitialisez votre mot de passe Parley",
    reset_intro: "Quelqu'un a demandé à réinitialiser le mot de passe de l'utilisateur Parley {username}.",
    reset_action: "Choisissez un nouveau mot de passe : {link}",
    reset_expiry: "Le lien fonctionne une fois, pendant {minutes} minutes. Vos autres sessions se terminent quand vous l'utilisez.",
    ignore: "Si vous n'attendiez pas ce message, ignorez-le : rien ne change.",
};

const DE: AccountTexts = AccountTexts {
    invite_subject: "Einladung zu {account} auf Parley",
    invite_intro: "{inviter} hat Sie eingeladen, die Besucher von {account} auf Parley zu betreuen. Ihr Benutzername ist {username}.",
    invite_action: "Wählen Sie Ihr Passwort, um zu beginnen: {link}",
    invite_expiry: "Der Link funktioniert einmal, {days} Tage lang.",
    reset_subject: "Setzen Sie Ihr Parley-Passwort zurück",
    reset_intro: "Jemand hat das Zurücksetzen des Passworts für den Parley-Benutzernamen {username} angefordert.",
    reset_action: "Wählen Sie ein neues Passwort: {link}",
    reset_expiry: "Der Link funktioniert einmal, {minutes} Minuten lang. Ihre anderen Sitzungen enden, wenn Sie ihn verwenden.",
    ignore: "Wenn Sie diese Mail nicht erwartet haben, ignorieren Sie sie: Es ändert sich nichts.",
};

const VI: AccountTexts = AccountTexts {
    invite_subject: "Bạn được mời tham gia {account} trên Parley",
    invite_intro:
        "{inviter} đã mời bạn trả lời khách truy cập của {account} trên Parley. Tên đăng nhập của bạn là {username}.",
    invite_action: "Chọn mật khẩu để bắt đầu: {link}",
    invite_expiry: "Liên kết dùng được một lần, trong {days} ngày.",
    reset_subject: "Đặt lại mật khẩu Parley",
    reset_intro: "Có người đã yêu cầu đặt lại mật khẩu của tên đăng nhập Parley {username}.",
    reset_action: "Chọn mật khẩu mới: {link}",
    reset_expiry:
        "Liên kết dùng được một lần, trong {minutes} phút. Các phiên khác của bạn sẽ kết thúc khi bạn dùng nó.",
    ignore: "Nếu bạn không chờ thư này, hãy bỏ qua: không có gì thay đổi.",
};

const RU: AccountTexts = AccountTexts {
    invite_subject: "Приглашение в {account} на Parley",
    invite_intro:
        "{inviter} приглашает вас отвечать посетителям {account} на Parley. Ваше имя пользователя: {username}.",
    invite_action: "Выберите пароль, чтобы начать: {link}",
    invite_expiry: "Ссылка действует один раз в течение {days} дней.",
    reset_subject: "Сброс пароля Parley",
    reset_intro: "Кто-то запросил сброс пароля для имени пользователя Parley {username}.",
    reset_action: "Выберите новый пароль: {link}",
    reset_expiry:
        "Ссылка действует один раз в течение {minutes} минут. Другие ваши сеансы завершатся, когда вы её используете.",
    ignore: "Если вы не ждали этого письма, не обращайте внимания: ничего не изменится.",
};

const ZH: AccountTexts = AccountTexts {
    invite_subject: "邀请您加入 Parley 上的 {account}",
    invite_intro: "{inviter} 邀请您在 Parley 上接待 {account} 的访客。您的用户名是 {username}。",
    invite_action: "设置密码即可开始：{link}",
    invite_expiry: "此链接只能使用一次，{days} 天内有效。",
    reset_subject: "重置您的 Parley 密码",
    reset_intro: "有人请求重置 Parley 用户名 {username} 的密码。",
    reset_action: "设置新密码：{link}",
    reset_expiry: "此链接只能使用一次，{minutes} 分钟内有效。使用后您的其他会话将结束。",
    ignore: "如果您没有预期收到此邮件，请忽略它：不会有任何改变。",
};

pub fn account_texts(lang: Lang) -> &'static AccountTexts {
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

fn content(subject: String, lines: &[String], lang: Lang) -> Content {
    let text = lines.join("\n\n") + "\n";
    let body: String = lines.iter().map(|l| format!("<p>{}</p>", html_escape(l))).collect();
    let html = format!(
        "<!doctype html><html lang=\"{}\"><body style=\"font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:15px;line-height:1.5;color:#1d2330\">{body}</body></html>",
        lang.code()
    );
    Content { subject, text, html }
}

/// An operator's invitation.
pub struct Invitation<'a> {
    pub lang: Lang,
    pub account: &'a str,
    pub inviter: &'a str,
    pub username: &'a str,
    /// The one-time link (`…/console#/password/<token>`).
    pub link: &'a str,
    pub days: u64,
}

pub fn invitation(m: &Invitation) -> Content {
    let t = account_texts(m.lang);
    let values = [
        ("account", m.account),
        ("inviter", m.inviter),
        ("username", m.username),
        ("link", m.link),
        ("days", &m.days.to_string()),
    ];
    let lines = [t.invite_intro, t.invite_action, t.invite_expiry, t.ignore].map(|l| fill(l, &values)).to_vec();
    content(fill(t.invite_subject, &values), &lines, m.lang)
}

/// A password reset.
pub struct PasswordReset<'a> {
    pub lang: Lang,
    pub username: &'a str,
    pub link: &'a str,
    pub minutes: u64,
}

pub fn password_reset(m: &PasswordReset) -> Content {
    let t = account_texts(m.lang);
    let values = [("username", m.username), ("link", m.link), ("minutes", &m.minutes.to_string())];
    let lines = [t.reset_intro, t.reset_action, t.reset_expiry, t.ignore].map(|l| fill(l, &values)).to_vec();
    content(fill(t.reset_subject, &values), &lines, m.lang)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::i18n::LANGS;

    fn all(t: &AccountTexts) -> [&'static str; 9] {
        [
            t.invite_subject,
            t.invite_intro,
            t.invite_action,
            t.invite_expiry,
            t.reset_subject,
            t.reset_intro,
            t.reset_action,
            t.reset_expiry,
            t.ignore,
        ]
    }

    fn places(s: &str) -> Vec<&str> {
        let mut v: Vec<&str> = s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(k, _)| k)).collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn every_language_fills_the_same_places_in_its_own_words() {
        let en = all(account_texts(Lang::En));
        for lang in LANGS {
            let texts = all(account_texts(lang));
            for (text, english) in texts.iter().zip(en) {
                assert!(!text.trim().is_empty(), "{}: empty", lang.code());
                assert_eq!(places(text), places(english), "{}: {text}", lang.code());
                if lang != Lang::En {
                    assert_ne!(*text, english, "{}: an English copy", lang.code());
                }
            }
        }
    }

    #[test]
    fn the_mails_carry_their_link_and_expiry() {
        let link = "https://chat.example/console#/password/abc";
        for lang in LANGS {
            let c = invitation(&Invitation { lang, account: "Acme", inviter: "Ann", username: "bob", link, days: 7 });
            assert!(c.text.contains(link) && c.text.contains("bob") && c.text.contains('7'), "{}", lang.code());
            assert!(c.subject.contains("Acme") && c.html.contains(link));
            let r = password_reset(&PasswordReset { lang, username: "bob", link, minutes: 60 });
            assert!(r.text.contains(link) && r.text.contains("60") && !r.subject.is_empty());
        }
        let c =
            invitation(&Invitation { lang: Lang::En, account: "<b>", inviter: "Ann", username: "bob", link, days: 7 });
        assert!(c.html.contains("&lt;b&gt;") && !c.html.contains("<b>"), "HTML is escaped");
    }
}

//! The console in the operator's language: English, Spanish, French, German, Vietnamese,
//! Russian and Chinese (Simplified).
//!
//! Each language is one table ([`Texts`], a struct with one `&'static str` field per text):
//! English (`en.rs`) declares the fields, every other language must fill all of them or the
//! crate does not compile. The language is a signal in context ([`UiLang`]); views read
//! texts through [`t`] inside reactive closures, so picking another language redraws every
//! text without a reload. The choice is kept in localStorage under [`LANG_KEY`]; without one
//! the browser's languages decide (`navigator.languages`, the first Parley speaks, else
//! English). Dates, times and numbers are formatted by the browser's `Intl` for the language
//! ([`locale`], `crate::time`, [`num`]). Placeholders are `{name}`-style, filled by [`fill`];
//! texts that count (`{n}`) hold their plural forms separated by `|` (see [`plural`]).
//!
//! The edge's refusals are said by the console in the language too (`api::describe`: a text
//! per error code); the edge's own English message shows only for a code the console does not
//! know.

use std::cell::Cell;

use leptos::prelude::*;
pub use parley_protocol::i18n::{fill, Lang, LANGS};

/// Declares [`Texts`] and the English table from `key: "English text",` pairs.
macro_rules! texts {
    ($($key:ident: $en:literal,)*) => {
        /// The console's texts in one language.
        pub struct Texts {
            $(pub $key: &'static str,)*
        }

        /// English: the texts the end-to-end tests find controls by (keep them as they are).
        pub static EN: Texts = Texts { $($key: $en,)* };

        impl Texts {
            /// Every `(key, text)`, in declaration order.
            #[cfg(test)]
            pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($key), self.$key),)*]
            }
        }
    };
}

mod de;
mod en;
mod es;
mod fr;
mod ru;
mod vi;
mod zh;

pub use en::{Texts, EN};

/// localStorage key of the operator's language (a [`Lang`] code).
pub const LANG_KEY: &str = "parley:console:lang";

/// The table of `lang`.
pub fn texts_of(lang: Lang) -> &'static Texts {
    match lang {
        Lang::En => &EN,
        Lang::Es => &es::ES,
        Lang::Fr => &fr::FR,
        Lang::De => &de::DE,
        Lang::Vi => &vi::VI,
        Lang::Ru => &ru::RU,
        Lang::Zh => &zh::ZH,
    }
}

/// The console's language, provided as context by the root component.
#[derive(Clone, Copy)]
pub struct UiLang(pub RwSignal<Lang>);

thread_local! {
    /// The same signal, for code running outside the component tree (event handlers, tasks).
    static CURRENT: Cell<Option<RwSignal<Lang>>> = const { Cell::new(None) };
}

fn signal() -> Option<RwSignal<Lang>> {
    CURRENT.get().or_else(|| use_context::<UiLang>().map(|u| u.0))
}

/// Creates the language signal (stored choice, else the browser's languages), provides it as
/// context and keeps `<html lang>` in step with it.
pub fn provide() {
    let lang = RwSignal::new(initial());
    CURRENT.set(Some(lang));
    provide_context(UiLang(lang));
    Effect::new(move |_| {
        let code = lang.get().code();
        if let Some(root) = parley_client::window().document().and_then(|d| d.document_element()) {
            let _ = root.set_attribute("lang", if code == "zh" { "zh-Hans" } else { code });
        }
    });
}

fn storage() -> Option<web_sys::Storage> {
    parley_client::window().local_storage().ok().flatten()
}

/// The browser's languages, most wanted first.
fn browser_languages() -> Vec<String> {
    let nav = parley_client::window().navigator();
    let list: Vec<String> = nav.languages().iter().filter_map(|v| v.as_string()).collect();
    if list.is_empty() {
        nav.language().into_iter().collect()
    } else {
        list
    }
}

fn initial() -> Lang {
    let stored = storage().and_then(|s| s.get_item(LANG_KEY).ok().flatten());
    chosen_or_browser(stored.as_deref(), &browser_languages())
}

/// The stored choice when it is a language Parley speaks, else the first of the browser's.
pub fn chosen_or_browser(stored: Option<&str>, browser: &[String]) -> Lang {
    stored
        .and_then(|s| LANGS.into_iter().find(|l| l.code() == s))
        .unwrap_or_else(|| Lang::pick(browser.iter().map(String::as_str), "en"))
}

/// The console's language (tracked when read in a reactive closure).
pub fn lang() -> Lang {
    signal().map_or(Lang::En, |s| s.get())
}

/// The console's texts in its language (tracked when read in a reactive closure).
pub fn t() -> &'static Texts {
    texts_of(lang())
}

/// Switches the console to `lang` (every text follows, no reload) and remembers the choice.
pub fn set_lang(lang: Lang) {
    if let Some(s) = signal() {
        s.set(lang);
    }
    if let Some(s) = storage() {
        let _ = s.set_item(LANG_KEY, lang.code());
    }
}

/// The BCP 47 tag `Intl` formats with: the browser's own tag for the language when it has
/// one (`de-AT`, `en-GB`: the operator's regional habits), else the language's code.
pub fn locale() -> String {
    let lang = lang();
    locale_for(lang, &browser_languages())
}

/// See [`locale`].
pub fn locale_for(lang: Lang, browser: &[String]) -> String {
    browser.iter().find(|tag| Lang::of(tag) == Some(lang)).cloned().unwrap_or_else(|| match lang {
        Lang::Zh => "zh-CN".to_owned(),
        l => l.code().to_owned(),
    })
}

/// A number as the language writes it (`1,234.5`, `1.234,5`, `1 234,5`).
pub fn num(n: f64) -> String {
    js_sys::Number::from(n).to_locale_string(&locale()).into()
}

/// `forms` (`one|few|many` … separated by `|`, see [`form_of`]) for `n`, with `{n}` filled.
pub fn plural(forms: &str, n: u64) -> String {
    let locales = js_sys::Array::of1(&locale().into());
    let rules = js_sys::Intl::PluralRules::new(&locales, &js_sys::Object::new());
    let category: String = rules.select(n as f64).into();
    fill(form_of(forms, &category), &[("n", &num(n as f64))])
}

/// The form of `forms` for a CLDR plural `category`. One form: always it. Two: `one|other`.
/// Three (Russian): `one|few|many` (`other`, for fractions, reads as `many`).
pub fn form_of<'a>(forms: &'a str, category: &str) -> &'a str {
    let all: Vec<&str> = forms.split('|').collect();
    let index = match (all.len(), category) {
        (_, "one") => 0,
        (2, _) => 1,
        (3, "few") => 1,
        (3, _) => 2,
        _ => 0,
    };
    all.get(index).copied().unwrap_or(forms)
}

/// The language picker: every language by its own name; switching redraws the console.
#[component]
pub fn LangPicker(#[prop(optional)] id: Option<&'static str>) -> impl IntoView {
    let current = move || lang().code();
    view! {
        <span class="lang-pick">
            <span aria-hidden="true">"🌐"</span>
            <select
                id=id
                aria-label=move || t().language_picker
                prop:value=current
                on:change=move |ev| {
                    if let Some(l) = LANGS.into_iter().find(|l| l.code() == event_target_value(&ev)) {
                        set_lang(l);
                    }
                }
            >
                {LANGS
                    .into_iter()
                    .map(|l| {
                        view! {
                            <option value=l.code() lang=l.code() selected=move || lang() == l>
                                {l.name()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> Vec<&str> {
        let mut out: Vec<&str> =
            s.match_indices('{').filter_map(|(i, _)| s[i..].find('}').map(|j| &s[i..=i + j])).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn every_language_fills_every_text() {
        let en = EN.entries();
        assert!(!en.is_empty());
        for l in LANGS {
            let entries = texts_of(l).entries();
            assert_eq!(entries.len(), en.len());
            for ((key, text), (_, english)) in entries.iter().zip(&en) {
                assert!(!text.trim().is_empty(), "{}: {key} is empty", l.code());
                assert_eq!(
                    placeholders(text),
                    placeholders(english),
                    "{}: {key} {text:?} has other placeholders",
                    l.code()
                );
                let forms = text.split('|').count();
                let want = match (english.contains('|'), l) {
                    (false, _) => 1,
                    (true, Lang::Ru) => 3,
                    (true, Lang::Vi | Lang::Zh) => 1,
                    (true, _) => 2,
                };
                assert_eq!(forms, want, "{}: {key} {text:?} needs {want} plural forms", l.code());
            }
        }
    }

    #[test]
    fn translations_are_not_english_copies() {
        let en = EN.entries();
        for l in LANGS.into_iter().filter(|l| *l != Lang::En) {
            let same: Vec<_> = texts_of(l)
                .entries()
                .into_iter()
                .zip(&en)
                .filter(|((_, t), (_, e))| t == e && e.chars().any(char::is_alphabetic))
                .map(|((k, _), _)| k)
                .collect();
            // Brand names, "OK", "E-mail", "CSV"… may be the same word: a handful at most.
            assert!(same.len() * 20 <= en.len(), "{}: {} English copies: {same:?}", l.code(), same.len());
        }
    }

    #[test]
    fn the_stored_choice_then_the_browser_then_english() {
        let langs = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(chosen_or_browser(Some("ru"), &langs(&["de-DE"])), Lang::Ru);
        assert_eq!(chosen_or_browser(Some("xx"), &langs(&["ja", "zh-CN", "en"])), Lang::Zh);
        assert_eq!(chosen_or_browser(None, &langs(&["vi-VN"])), Lang::Vi);
        assert_eq!(chosen_or_browser(None, &langs(&["ja", "ko"])), Lang::En);
        assert_eq!(chosen_or_browser(None, &[]), Lang::En);
    }

    #[test]
    fn the_locale_keeps_the_browser_region() {
        let langs = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(locale_for(Lang::De, &langs(&["en-US", "de-AT"])), "de-AT");
        assert_eq!(locale_for(Lang::Fr, &langs(&["en-US"])), "fr");
        assert_eq!(locale_for(Lang::Zh, &langs(&["en-US"])), "zh-CN");
    }

    #[test]
    fn plural_forms() {
        assert_eq!(form_of("{n} message|{n} messages", "one"), "{n} message");
        assert_eq!(form_of("{n} message|{n} messages", "other"), "{n} messages");
        let ru = "{n} сообщение|{n} сообщения|{n} сообщений";
        assert_eq!(form_of(ru, "one"), "{n} сообщение");
        assert_eq!(form_of(ru, "few"), "{n} сообщения");
        assert_eq!(form_of(ru, "many"), "{n} сообщений");
        assert_eq!(form_of("{n} 条消息", "other"), "{n} 条消息");
    }
}

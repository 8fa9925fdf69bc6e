//! Form pieces of the admin area: labelled fields that show their own error, and a form-level
//! alert for errors that belong to no field shown.

use crate::net::HttpError;
use leptos::prelude::*;
use leptos::text_prop::TextProp;
use parley_protocol::admin::FieldError;
use parley_protocol::error::ErrorCode;

use crate::api;
use crate::i18n::{t, Texts};

/// A failed call as a field error: the server's 409s name their field; anything else (network,
/// refusals) belongs to the whole form.
/// Loads a list into `list` in the background; a failure goes to `error` (cleared on success).
pub fn load_into<T: Send + Sync + 'static>(
    list: RwSignal<Option<T>>,
    error: RwSignal<Option<String>>,
    fetch: impl std::future::Future<Output = Result<T, HttpError>> + 'static,
) {
    leptos::task::spawn_local(async move {
        match fetch.await {
            Ok(v) => {
                list.try_set(Some(v));
                error.try_set(None);
            }
            Err(e) => {
                error.try_set(Some(api::describe(&e)));
            }
        }
    });
}

pub fn http_field_error(e: &HttpError) -> FieldError {
    http_field_error_with(e, &[])
}

/// [`http_field_error`], the text saying which value was refused (`sent`: the form's
/// `(field, value)` pairs, see [`api::describe_with`]).
pub fn http_field_error_with(e: &HttpError, sent: &[(&str, &str)]) -> FieldError {
    let field = match e.api_code() {
        Some(ErrorCode::UsernameTaken | ErrorCode::ShortcutTaken | ErrorCode::NameTaken) => api::field_of(e),
        _ => "",
    };
    FieldError::new(field, api::describe_with(e, sent))
}

/// The form's error, unless a field of `fields` shows it.
#[component]
pub fn FormError(err: RwSignal<Option<FieldError>>, fields: &'static [&'static str]) -> impl IntoView {
    move || {
        err.get()
            .filter(|e| !fields.contains(&e.field.as_str()))
            .map(|e| view! { <p class="error adm-form-error" role="alert">{e.message}</p> })
    }
}

/// A success note (`role="status"`).
#[component]
pub fn Notice(note: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <p class="adm-notice" role="status">
            {move || note.get()}
        </p>
    }
}

/// A labelled input bound to `value`; shows `err` when it names `field`.
#[component]
pub fn Field(
    id: String,
    #[prop(into)] label: TextProp,
    field: &'static str,
    value: RwSignal<String>,
    err: RwSignal<Option<FieldError>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "")] autocomplete: &'static str,
    #[prop(optional, into)] hint: Option<TextProp>,
    #[prop(default = false)] multiline: bool,
) -> impl IntoView {
    let err_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let has_err = move || err.with(|e| e.as_ref().is_some_and(|e| !field.is_empty() && e.field == field));
    let has_hint = hint.is_some();
    let described = {
        let (err_id, hint_id) = (err_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if has_err() {
                ids.push(err_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let invalid = move || has_err().then_some("true");
    let autocomplete = (!autocomplete.is_empty()).then_some(autocomplete);
    let input = if multiline {
        view! {
            <textarea
                id=id.clone()
                rows="3"
                aria-invalid=invalid
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=id.clone()
                type=kind
                autocomplete=autocomplete
                spellcheck="false"
                aria-invalid=invalid
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        }
        .into_any()
    };
    view! {
        <div class="field adm-field">
            <label for=id>{move || label.get().to_string()}</label>
            {input}
            {hint.map(|hint| view! { <p class="adm-hint" id=hint_id>{move || hint.get().to_string()}</p> })}
            {move || {
                err.get()
                    .filter(|e| !field.is_empty() && e.field == field)
                    .map(|e| {
                        view! {
                            <p class="adm-field-error" id=err_id.clone() role="alert">
                                {e.message}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// A labelled `<select>` of `(value, label)` options bound to `value`.
#[component]
pub fn Choice(
    id: String,
    #[prop(into)] label: TextProp,
    value: RwSignal<String>,
    /// `(value, label)` in the given language.
    options: fn(&'static Texts) -> Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    view! {
        <div class="field adm-field">
            <label for=id.clone()>{move || label.get().to_string()}</label>
            <select id=id prop:value=move || value.get() on:change=move |ev| value.set(event_target_value(&ev))>
                {move || {
                    options(t())
                        .into_iter()
                        .map(|(v, l)| {
                            view! {
                                <option value=v selected=move || value.get() == v>
                                    {l}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
        </div>
    }
}

/// `max_chats` typed into a number box.
pub fn parse_max_chats(s: &str) -> Result<u32, FieldError> {
    s.trim()
        .parse::<u32>()
        .map_err(|_| FieldError::new("max_chats", t().max_chats_number))
        .and_then(parley_protocol::admin::max_chats)
}

/// Main language plus the extra ones typed as a list ("de, fr"), checked.
pub fn language_list(main: &str, extras: &str) -> Result<Vec<String>, FieldError> {
    if main.trim().is_empty() {
        return Err(FieldError::new("languages", t().choose_main_language));
    }
    let mut all = vec![main.trim().to_owned()];
    all.extend(parley_protocol::admin::split_list(extras));
    parley_protocol::admin::languages(&all)
}

/// `(main, "extra, extra")` of a language list.
pub fn split_languages(languages: &[String]) -> (String, String) {
    let main = languages.first().cloned().unwrap_or_default();
    (main, languages.iter().skip(1).cloned().collect::<Vec<_>>().join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_chats_from_the_number_box() {
        assert_eq!(parse_max_chats(" 6 "), Ok(6));
        assert_eq!(parse_max_chats("").unwrap_err().message, "Max concurrent chats must be a number.");
        assert_eq!(parse_max_chats("abc").unwrap_err().field, "max_chats");
        assert_eq!(parse_max_chats("-1").unwrap_err().field, "max_chats");
        assert!(parse_max_chats("21").unwrap_err().message.contains("between 1 and 20"));
    }

    #[test]
    fn languages_from_main_and_extras() {
        assert_eq!(language_list("FR", "es, de-at; es").unwrap(), vec!["fr", "es", "de-AT"]);
        assert_eq!(language_list("en", "").unwrap(), vec!["en"]);
        assert_eq!(language_list(" ", "de").unwrap_err().field, "languages");
        assert!(language_list("en", "xx-!!").unwrap_err().message.contains("xx-!!"));
        assert_eq!(split_languages(&["fr".into(), "es".into(), "de-AT".into()]), ("fr".into(), "es, de-AT".into()));
        assert_eq!(split_languages(&[]), (String::new(), String::new()));
    }

    #[test]
    fn server_errors_find_their_field() {
        let e =
            |code: &str| HttpError { status: 409, code: code.into(), message: "taken".into(), ..Default::default() };
        // The console's text, not the server's.
        assert_eq!(
            http_field_error(&e("username_taken")),
            FieldError::new("username", "This username is taken; choose another.")
        );
        assert_eq!(http_field_error(&e("shortcut_taken")).field, "shortcut");
        assert_eq!(
            http_field_error_with(&e("shortcut_taken"), &[("text", "Bye!"), ("shortcut", " bye ")]),
            FieldError::new("shortcut", "The shortcut /bye is already in use.")
        );
        assert_eq!(http_field_error(&e("forbidden")).field, "");
        let net = HttpError { status: 0, code: "network".into(), ..Default::default() };
        assert!(http_field_error(&net).message.contains("Could not reach the server"));
    }
}

/// The console's data table: a scrolling wrapper, the table named by a heading
/// (`labelledby`) or a caption (`caption`, visually hidden when `hide_caption`), one header
/// cell per column — an empty header is the row actions' column, named for screen readers
/// only — and the rows as children.
#[component]
pub fn DataTable(
    /// The column headers in the given language.
    headers: fn(&'static Texts) -> Vec<&'static str>,
    children: Children,
    #[prop(optional)] labelledby: Option<&'static str>,
    #[prop(optional, into)] caption: Option<TextProp>,
    #[prop(optional)] hide_caption: bool,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    let class = if class.is_empty() { "adm-table".to_owned() } else { format!("adm-table {class}") };
    let head = move || {
        let t = t();
        headers(t)
            .into_iter()
            .map(|h| {
                if h.is_empty() {
                    view! { <th scope="col"><span class="adm-sr">{t.actions}</span></th> }.into_any()
                } else {
                    view! { <th scope="col">{h}</th> }.into_any()
                }
            })
            .collect_view()
    };
    view! {
        <div class="adm-table-wrap">
            <table class=class aria-labelledby=labelledby>
                {caption.map(|c| view! { <caption class:adm-sr=hide_caption>{move || c.get().to_string()}</caption> })}
                <thead>
                    <tr>{head}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// A tab of [`tabbed`]: its key (in element ids) and its label.
pub trait TabKind: Copy + PartialEq + Send + Sync + 'static {
    fn key(self) -> &'static str;
    fn label(self) -> &'static str;
}

/// A tab list with its panel (ARIA tabs), as the Admin and Reports sections use: a button
/// `<prefix>-tab-<key>` per tab, the selected one in the tab order, all
/// controlling the panel `<prefix>-panel`, which shows `panel(current)`. `on_pick` runs after
/// a click selected a tab (e.g. to remember it).
pub fn tabbed<T: TabKind>(
    prefix: &'static str,
    name: fn(&'static Texts) -> &'static str,
    tabs: Vec<T>,
    current: RwSignal<T>,
    on_pick: impl Fn(T) + Clone + Send + Sync + 'static,
    panel: impl Fn(T) -> AnyView + Send + Sync + 'static,
) -> impl IntoView {
    let buttons = tabs
        .into_iter()
        .map(|t| {
            let selected = move || current.get() == t;
            let on_pick = on_pick.clone();
            view! {
                <button
                    type="button"
                    role="tab"
                    id=format!("{prefix}-tab-{}", t.key())
                    class="adm-tab"
                    aria-controls=format!("{prefix}-panel")
                    aria-selected=move || selected().to_string()
                    tabindex=move || if selected() { "0" } else { "-1" }
                    on:click=move |_| {
                        current.set(t);
                        on_pick(t);
                    }
                >
                    {move || t.label()}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="adm-tabs" role="tablist" aria-label=move || name(t())>
            {buttons}
        </div>
        <div
            class="adm-panel"
            id=format!("{prefix}-panel")
            role="tabpanel"
            aria-labelledby=move || format!("{prefix}-tab-{}", current.get().key())
        >
            {move || panel(current.get())}
        </div>
    }
}

//! Accounts without SQL (issue 20): a fresh deployment's setup page (`/console/setup`),
//! two-factor login enrolment (My settings), and the pages of one-time links: choosing a
//! password from an invitation or reset (`#/password/<token>`) and asking for a reset.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use parley_protocol::accounts::{
    InviteRequest, ResetRequest, SetPasswordRequest, SetupDone, SetupRequest, TotpCode, TotpEnrolment, TotpState,
};
use parley_protocol::admin::FieldError;

use crate::app::Logo;
use crate::form::{Field, FormError, Notice};
use crate::i18n::{t, LangPicker};
use crate::net::{get_json, post_json, HttpError};

/// Whether the page is the setup page.
pub fn is_setup_page() -> bool {
    parley_client::window().location().pathname().is_ok_and(|p| p.trim_end_matches('/') == "/console/setup")
}

/// The token of a `#/password/<token>` link (an invitation's or a reset's).
pub fn password_token(hash: &str) -> Option<String> {
    let token = hash.strip_prefix("#/password/")?;
    (!token.is_empty() && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| token.to_owned())
}

/// A refusal as a field error: the field the server names (a setup's `code`, a form field),
/// the text in the console's language.
fn field_error(e: &HttpError) -> FieldError {
    FieldError::new(crate::api::field_of(e), crate::api::describe(e))
}

const SETUP_FIELDS: &[&str] =
    &["code", "account_name", "first_name", "last_name", "email", "username", "password", "channel_name", "hostname"];

/// `/console/setup`: the deployment's first account, its admin, channel and hostname; then
/// the snippet.
#[component]
pub fn Setup() -> impl IntoView {
    let f = || RwSignal::new(String::new());
    let (code, account, first, last, email) = (f(), f(), f(), f(), f());
    let (username, password, channel, host) = (f(), f(), f(), f());
    let err = RwSignal::new(None::<FieldError>);
    let done = RwSignal::new(None::<SetupDone>);
    let busy = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let body = SetupRequest {
            code: code.get_untracked(),
            account_name: account.get_untracked(),
            username: username.get_untracked(),
            first_name: first.get_untracked(),
            last_name: last.get_untracked(),
            email: email.get_untracked(),
            password: password.get_untracked(),
            channel_name: channel.get_untracked(),
            hostname: host.get_untracked(),
        };
        if let Err(e) = body.validate() {
            return err.set(Some(e));
        }
        err.set(None);
        busy.set(true);
        spawn_local(async move {
            match post_json::<_, SetupDone>("/api/v1/setup", &body).await {
                Ok(d) => {
                    done.try_set(Some(d));
                }
                Err(e) => {
                    err.try_set(Some(field_error(&e)));
                }
            }
            busy.try_set(false);
        });
    };

    let form = move || {
        view! {
            <form class="adm-form" on:submit=submit aria-labelledby="setup-title" novalidate>
                <Field
                    id="setup-code".into()
                    label=move || t().setup_code
                    field="code"
                    value=code
                    err
                    autocomplete="off"
                    hint=move || t().setup_code_hint
                />
                <Field id="setup-account".into() label=move || t().account_name field="account_name" value=account err />
                <h2>{move || t().setup_admin}</h2>
                <Field id="setup-first".into() label=move || t().first_name field="first_name" value=first err />
                <Field id="setup-last".into() label=move || t().last_name field="last_name" value=last err />
                <Field id="setup-email".into() label=move || t().email field="email" value=email err kind="email" />
                <Field
                    id="setup-username".into()
                    label=move || t().username
                    field="username"
                    value=username
                    err
                    autocomplete="username"
                    hint=move || t().username_hint
                />
                <Field
                    id="setup-password".into()
                    label=move || t().password
                    field="password"
                    value=password
                    err
                    kind="password"
                    autocomplete="new-password"
                />
                <h2>{move || t().setup_channel}</h2>
                <Field id="setup-channel".into() label=move || t().channel_name field="channel_name" value=channel err />
                <Field
                    id="setup-hostname".into()
                    label=move || t().website_hostname
                    field="hostname"
                    value=host
                    err
                    hint=move || t().website_hostname_hint
                />
                <FormError err fields=SETUP_FIELDS />
                <button type="submit" class="btn btn-primary" aria-busy=move || busy.get().to_string()>
                    {move || t().create_account}
                </button>
            </form>
        }
    };
    let finished = move |d: SetupDone| {
        view! {
            <div class="adm-form" role="status">
                <p>{move || t().setup_done}</p>
                <code class="adm-snippet setup-snippet">{d.snippet.clone()}</code>
                <p>
                    <a class="btn btn-primary" href="/console">
                        {move || t().go_to_console}
                    </a>
                </p>
            </div>
        }
    };

    view! {
        <main class="login-wrap">
            <div class="card login setup">
                <div class="login-brand">
                    <Logo />
                    <h1 id="setup-title">{move || t().setup_title}</h1>
                </div>
                <p class="muted">{move || t().setup_intro}</p>
                {move || match done.get() {
                    Some(d) => finished(d).into_any(),
                    None => form().into_any(),
                }}
                <p class="login-lang">
                    <LangPicker />
                </p>
            </div>
        </main>
    }
}

/// `#/password/<token>`: an invited operator's first password, or a new one after a reset.
#[component]
pub fn ChoosePassword(token: String) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let err = RwSignal::new(None::<FieldError>);
    let note = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let done = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() || done.get_untracked() {
            return;
        }
        let pass = password.get_untracked();
        if let Err(e) = parley_protocol::admin::password(&pass) {
            return err.set(Some(e));
        }
        err.set(None);
        busy.set(true);
        let body = SetPasswordRequest { token: token.clone(), password: pass };
        spawn_local(async move {
            match post_json::<_, serde_json::Value>("/api/v1/auth/password", &body).await {
                Ok(_) => {
                    done.try_set(true);
                    note.try_set(Some(t().password_set.to_owned()));
                }
                Err(e) => {
                    err.try_set(Some(field_error(&e)));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <main class="login-wrap">
            <form class="card login" on:submit=submit aria-labelledby="password-title" novalidate>
                <div class="login-brand">
                    <Logo />
                    <h1 id="password-title">{move || t().choose_password_title}</h1>
                </div>
                <Field
                    id="choose-password".into()
                    label=move || t().new_password
                    field="password"
                    value=password
                    err
                    kind="password"
                    autocomplete="new-password"
                />
                <FormError err fields=&["password"] />
                <Notice note />
                <Show when=move || !done.get()>
                    <button type="submit" class="btn btn-primary btn-block" aria-busy=move || busy.get().to_string()>
                        {move || t().set_password}
                    </button>
                </Show>
                <a href="/console" class="login-link">
                    {move || t().back_to_login}
                </a>
            </form>
        </main>
    }
}

/// "Forgot your password?": asks for a reset link by username or e-mail address; the answer
/// is the same whether it names an operator or not.
#[component]
pub fn ForgotPassword(back: Callback<()>) -> impl IntoView {
    let login = RwSignal::new(String::new());
    let err = RwSignal::new(None::<FieldError>);
    let note = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let body = ResetRequest { login: login.get_untracked().trim().to_owned() };
        if body.login.is_empty() {
            return err.set(Some(FieldError::new("login", t().login_or_email)));
        }
        err.set(None);
        busy.set(true);
        spawn_local(async move {
            match post_json::<_, serde_json::Value>("/api/v1/auth/reset", &body).await {
                Ok(_) => {
                    note.try_set(Some(t().reset_sent.to_owned()));
                }
                Err(e) => {
                    err.try_set(Some(field_error(&e)));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <main class="login-wrap">
            <form class="card login" on:submit=submit aria-labelledby="reset-title" novalidate>
                <div class="login-brand">
                    <Logo />
                    <h1 id="reset-title">{move || t().reset_title}</h1>
                </div>
                <p class="muted">{move || t().reset_intro}</p>
                <Field
                    id="reset-login".into()
                    label=move || t().login_or_email
                    field="login"
                    value=login
                    err
                    autocomplete="username"
                />
                <FormError err fields=&["login"] />
                <Notice note />
                <button type="submit" class="btn btn-primary btn-block" aria-busy=move || busy.get().to_string()>
                    {move || t().send_reset_link}
                </button>
                <button type="button" class="btn-link" on:click=move |_| back.run(())>
                    {move || t().back_to_login}
                </button>
            </form>
        </main>
    }
}

/// My settings → two-factor login: on (a code to turn it off) or off (a new key, confirmed
/// with a code of the authenticator).
#[component]
pub fn TwoFactorSettings() -> impl IntoView {
    let enabled = RwSignal::new(None::<bool>);
    let enrolment = RwSignal::new(None::<TotpEnrolment>);
    let code = RwSignal::new(String::new());
    let err = RwSignal::new(None::<FieldError>);
    let note = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    spawn_local(async move {
        match get_json::<TotpState>("/api/v1/console/totp").await {
            Ok(s) => {
                enabled.try_set(Some(s.enabled));
            }
            Err(e) => {
                err.try_set(Some(field_error(&e)));
            }
        }
    });
    let begin = move |_| {
        note.set(None);
        err.set(None);
        spawn_local(async move {
            match post_json::<_, TotpEnrolment>("/api/v1/console/totp/begin", &serde_json::json!({})).await {
                Ok(e) => {
                    enrolment.try_set(Some(e));
                }
                Err(e) => {
                    err.try_set(Some(field_error(&e)));
                }
            }
        });
    };
    let send = move |path: &'static str| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        err.set(None);
        note.set(None);
        let body = TotpCode { code: code.get_untracked() };
        spawn_local(async move {
            match post_json::<_, TotpState>(path, &body).await {
                Ok(s) => {
                    enabled.try_set(Some(s.enabled));
                    enrolment.try_set(None);
                    code.try_set(String::new());
                    note.try_set(Some(if s.enabled { t().totp_now_on } else { t().totp_now_off }.to_owned()));
                }
                Err(e) => {
                    err.try_set(Some(FieldError::new("totp", crate::api::describe(&e))));
                }
            }
            busy.try_set(false);
        });
    };
    let confirm = move |ev: SubmitEvent| {
        ev.prevent_default();
        send("/api/v1/console/totp/confirm");
    };
    let turn_off = move |ev: SubmitEvent| {
        ev.prevent_default();
        send("/api/v1/console/totp/disable");
    };
    let code_field = move || {
        view! {
            <Field
                id="totp-code".into()
                label=move || t().totp_code
                field="totp"
                value=code
                err
                autocomplete="one-time-code"
            />
        }
    };
    view! {
        <fieldset class="adm-fieldset adm-notify">
            <legend>{move || t().totp_title}</legend>
            <p class="adm-hint">{move || t().totp_intro}</p>
            <p role="status">
                {move || match enabled.get() {
                    Some(true) => t().totp_state_on,
                    Some(false) => t().totp_state_off,
                    None => t().loading,
                }}
            </p>
            {move || match (enabled.get(), enrolment.get()) {
                (Some(false), None) => {
                    view! {
                        <div class="adm-actions">
                            <button type="button" class="btn" on:click=begin>
                                {move || t().totp_turn_on}
                            </button>
                        </div>
                    }
                        .into_any()
                }
                (Some(false), Some(e)) => {
                    view! {
                        <form class="adm-form" on:submit=confirm novalidate>
                            <p>{move || t().totp_scan}</p>
                            <p>
                                {move || t().totp_key} " " <code class="totp-secret">{e.secret.clone()}</code>
                            </p>
                            <p>
                                <a class="totp-uri" href=e.uri.clone()>
                                    {move || t().totp_link}
                                </a>
                            </p>
                            {code_field()}
                            <div class="adm-actions">
                                <button type="submit" class="btn btn-primary" aria-busy=move || busy.get().to_string()>
                                    {move || t().totp_confirm}
                                </button>
                            </div>
                        </form>
                    }
                        .into_any()
                }
                (Some(true), _) => {
                    view! {
                        <form class="adm-form" on:submit=turn_off novalidate>
                            {code_field()}
                            <div class="adm-actions">
                                <button type="submit" class="btn" aria-busy=move || busy.get().to_string()>
                                    {move || t().totp_turn_off}
                                </button>
                            </div>
                        </form>
                    }
                        .into_any()
                }
                (None, _) => ().into_any(),
            }}
            <FormError err fields=&["totp"] />
            <Notice note />
        </fieldset>
    }
}

const INVITE_FIELDS: &[&str] = &["username", "first_name", "last_name", "email", "role"];

/// Admin → Operators → "Invite by e-mail": a new operator without a password, who gets a
/// one-time link to choose one. The form is drawn only once asked for (its labels are the new
/// operator form's).
#[component]
pub fn InviteOperator(on_invited: Callback<String>) -> impl IntoView {
    let open = RwSignal::new(false);
    let f = || RwSignal::new(String::new());
    let (username, first, last, email) = (f(), f(), f(), f());
    let admin = RwSignal::new(false);
    let err = RwSignal::new(None::<FieldError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let body = InviteRequest {
            username: username.get_untracked(),
            first_name: first.get_untracked(),
            last_name: last.get_untracked(),
            email: email.get_untracked(),
            role: Some(if admin.get_untracked() { "admin" } else { "operator" }.to_owned()),
        };
        if let Err(e) = body.validate() {
            return err.set(Some(e));
        }
        err.set(None);
        busy.set(true);
        spawn_local(async move {
            match post_json::<_, serde_json::Value>("/api/v1/console/operators/invite", &body).await {
                Ok(_) => {
                    on_invited.run(crate::i18n::fill(t().invite_sent, &[("email", body.email.trim())]));
                    for s in [username, first, last, email] {
                        s.try_set(String::new());
                    }
                    open.try_set(false);
                }
                Err(e) => {
                    err.try_set(Some(FieldError::new(crate::api::field_of(&e), crate::api::describe(&e))));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <Show
            when=move || open.get()
            fallback=move || {
                view! {
                    <div class="adm-actions">
                        <button type="button" class="btn" on:click=move |_| open.set(true)>
                            {move || t().invite_operator}
                        </button>
                    </div>
                }
            }
        >
            <form class="adm-form adm-card" on:submit=submit aria-labelledby="adm-invite-title" novalidate>
                <h3 id="adm-invite-title">{move || t().invite_operator}</h3>
                <Field id="inv-username".into() label=move || t().username field="username" value=username err />
                <Field id="inv-first".into() label=move || t().first_name field="first_name" value=first err />
                <Field id="inv-last".into() label=move || t().last_name field="last_name" value=last err />
                <Field id="inv-email".into() label=move || t().email field="email" value=email err kind="email" />
                <label class="adm-check">
                    <input
                        type="checkbox"
                        prop:checked=move || admin.get()
                        on:change=move |ev| admin.set(event_target_checked(&ev))
                    />
                    {move || t().role_admin}
                </label>
                <FormError err fields=INVITE_FIELDS />
                <div class="adm-actions">
                    <button type="submit" class="btn btn-primary" aria-busy=move || busy.get().to_string()>
                        {move || t().invite_operator}
                    </button>
                </div>
            </form>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_link_names_its_token() {
        assert_eq!(password_token("#/password/abc_D-9"), Some("abc_D-9".to_owned()));
        assert_eq!(password_token("#/password/"), None);
        assert_eq!(password_token("#/password/a b"), None);
        assert_eq!(password_token("#/shared/x"), None);
    }
}

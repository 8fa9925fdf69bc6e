//! The login screen.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::app::Logo;
use crate::i18n::{t, LangPicker};
use crate::state::Ctx;

#[component]
pub fn Login() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // Two-factor login: after a `totp_required` answer the form asks for the code too.
    let code = RwSignal::new(String::new());
    let needs_code = RwSignal::new(false);
    let forgot = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        ctx.notice.set(None);
        let (user, pass) = (username.get_untracked(), password.get_untracked());
        let totp = needs_code.get_untracked().then(|| code.get_untracked());
        spawn_local(async move {
            match api::login(user.trim(), &pass, totp).await {
                Ok(op) => ctx.logged_in(op),
                Err(e) if e.api_code() == Some(parley_protocol::error::ErrorCode::TotpRequired) => {
                    needs_code.try_set(true);
                    busy.try_set(false);
                }
                Err(e) => {
                    error.try_set(Some(api::describe(&e)));
                    busy.try_set(false);
                }
            }
        });
    };

    let message = move || error.get().or_else(|| ctx.notice.get());

    let back = Callback::new(move |_: ()| forgot.set(false));
    move || {
        if forgot.get() {
            return view! { <crate::accounts::ForgotPassword back /> }.into_any();
        }
        view! {
        <main class="login-wrap">
            <form class="card login" on:submit=submit aria-labelledby="login-title" novalidate>
                <div class="login-brand">
                    <Logo />
                    <h1 id="login-title">{move || t().console_title}</h1>
                </div>
                <p class="muted">{move || t().login_intro}</p>
                <div class="field">
                    <label for="login-username">{move || t().username}</label>
                    <input
                        id="login-username"
                        name="username"
                        type="text"
                        autocomplete="username"
                        autocapitalize="none"
                        spellcheck="false"
                        prop:value=move || username.get()
                        on:input=move |ev| username.set(event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for="login-password">{move || t().password}</label>
                    <input
                        id="login-password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                </div>
                <Show when=move || needs_code.get()>
                    <div class="field">
                        <label for="login-totp">{move || t().totp_code}</label>
                        <input
                            id="login-totp"
                            name="totp"
                            type="text"
                            inputmode="numeric"
                            autocomplete="one-time-code"
                            aria-describedby="login-totp-hint"
                            prop:value=move || code.get()
                            on:input=move |ev| code.set(event_target_value(&ev))
                        />
                        <p class="muted" id="login-totp-hint">{move || t().totp_login_hint}</p>
                    </div>
                </Show>
                {move || message().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                <button type="submit" class="btn btn-primary btn-block" aria-busy=move || busy.get().to_string()>
                    {move || t().log_in}
                </button>
                <button type="button" class="btn-link" on:click=move |_| forgot.set(true)>
                    {move || t().forgot_password}
                </button>
                <p class="login-lang">
                    <LangPicker />
                </p>
            </form>
        </main>
        }
        .into_any()
    }
}

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

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        ctx.notice.set(None);
        let (user, pass) = (username.get_untracked(), password.get_untracked());
        spawn_local(async move {
            match api::login(user.trim(), &pass).await {
                Ok(op) => ctx.logged_in(op),
                Err(e) => {
                    error.try_set(Some(api::describe(&e)));
                    busy.try_set(false);
                }
            }
        });
    };

    let message = move || error.get().or_else(|| ctx.notice.get());

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
                {move || message().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                <button type="submit" class="btn btn-primary btn-block" aria-busy=move || busy.get().to_string()>
                    {move || t().log_in}
                </button>
                <p class="login-lang">
                    <LangPicker />
                </p>
            </form>
        </main>
    }
}

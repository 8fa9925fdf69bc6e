//! The root component: login screen or console, and the tab title (waiting plus unread).

use leptos::prelude::*;

use crate::admin::AdminArea;
use crate::i18n::{self, t, LangPicker};
use crate::list::ConversationList;
use crate::login::Login;
use crate::panel::Workspace;
use crate::report_view::{transcript_of, TranscriptDialog};
use crate::reports::Reports;
use crate::state::{Auth, Ctx};
use crate::unread;

#[component]
pub fn App() -> impl IntoView {
    // A public report link (`#/shared/<slug>?<signed query>`) shows only its report, without
    // logging in: before the session check.
    i18n::provide();
    let hash = parley_client::window().location().hash().unwrap_or_default();
    if let Some(link) = crate::report_links::shared_of(&hash) {
        return view! { <crate::report_links::SharedReport link /> }.into_any();
    }
    // A fresh deployment's setup page, and the password page of an invitation or reset link:
    // no session either.
    if crate::accounts::is_setup_page() {
        return view! { <crate::accounts::Setup /> }.into_any();
    }
    if let Some(token) = crate::accounts::password_token(&hash) {
        return view! { <crate::accounts::ChoosePassword token /> }.into_any();
    }
    let ctx = Ctx::new();
    provide_context(ctx);
    ctx.restore_session();
    ctx.track_seen();
    // Any key or click counts as activity (keeps the operator online, clears the alert).
    window_event_listener_untyped("keydown", move |_| ctx.activity());
    window_event_listener_untyped("pointerdown", move |_| ctx.activity());

    Effect::new(move |_| {
        let logged_in = ctx.auth.with(|a| matches!(a, Auth::LoggedIn(_)));
        let base = t().console_title;
        let title = if logged_in { unread::title(base, ctx.waiting(), ctx.total_unread()) } else { base.to_owned() };
        // An alert shows first in the tab title until the operator does something.
        let title = match ctx.alert_text.get() {
            Some(alert) if logged_in => format!("🔔 {alert} · {title}"),
            _ => title,
        };
        if let Some(doc) = parley_client::window().document() {
            doc.set_title(&title);
        }
    });

    (move || match ctx.auth.get() {
        Auth::Checking => view! { <p class="boot" role="status">{move || t().loading}</p> }.into_any(),
        Auth::LoggedOut => view! { <Login /> }.into_any(),
        Auth::LoggedIn(_) => view! { <Console /> }.into_any(),
    })
    .into_any()
}

#[component]
fn Console() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // "Reports" (admins) is shown instead of the workspace, like the admin area.
    let reports_open = RwSignal::new(false);
    let admin = crate::admin::is_admin();
    // `#/transcript/<conversation_id>` (a report row's link, or pasted) opens that transcript.
    let hash = || parley_client::window().location().hash().unwrap_or_default();
    let transcript = RwSignal::new(transcript_of(&hash()));
    window_event_listener_untyped("hashchange", move |_| {
        transcript.try_set(transcript_of(&hash()));
    });
    // `#/chat/<conversation_id>` (a push notification's click, `public/console-sw.js`) opens
    // that chat's tab once the list holds it.
    let chat_of = |h: &str| {
        let id = h.strip_prefix("#/chat/")?;
        let id = js_sys::decode_uri_component(id).ok().map(String::from)?;
        (!id.is_empty() && id.len() <= 128 && !id.contains('/')).then_some(id)
    };
    let wanted = RwSignal::new(chat_of(&hash()));
    window_event_listener_untyped("hashchange", move |_| {
        if let Some(id) = chat_of(&hash()) {
            wanted.try_set(Some(id));
        }
    });
    Effect::new(move |_| {
        let Some(id) = wanted.get() else { return };
        let conv = ctx.convs.with(|cs| cs.iter().find(|c| c.id.as_str() == id).cloned());
        if let Some(conv) = conv {
            wanted.set(None);
            // The chat in front, whatever area was open.
            ctx.admin_open.set(false);
            reports_open.set(false);
            ctx.open_conversation(&conv);
            let _ = parley_client::window().location().set_hash("");
        }
    });
    let close_transcript = Callback::new(move |_: ()| {
        transcript.set(None);
        let _ = parley_client::window().location().set_hash("");
    });
    view! {
        <div class="shell">
            <header class="topbar">
                <div class="brand">
                    <Logo />
                    <span>{move || t().console_title}</span>
                </div>
                <div class="who">
                    <span class="signed-in">
                        {move || t().signed_in_as} <strong class="chat-name">{move || ctx.chat_name.get()}</strong>
                    </span>
                    <button
                        type="button"
                        class="btn btn-ghost"
                        aria-pressed=move || ctx.admin_open.get().to_string()
                        on:click=move |_| {
                            reports_open.set(false);
                            ctx.admin_open.update(|o| *o = !*o)
                        }
                    >
                        {move || t().admin}
                    </button>
                    {admin
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    class="btn btn-ghost"
                                    aria-pressed=move || reports_open.get().to_string()
                                    on:click=move |_| {
                                        ctx.admin_open.set(false);
                                        reports_open.update(|o| *o = !*o)
                                    }
                                >
                                    {move || t().reports}
                                </button>
                            }
                        })}
                    <LangPicker />
                    <button type="button" class="btn btn-ghost" on:click=move |_| ctx.logout()>
                        {move || t().log_out}
                    </button>
                </div>
            </header>
            <main class="main">
                <ConversationList />
                {move || {
                    if reports_open.get() {
                        view! { <Reports /> }.into_any()
                    } else if ctx.admin_open.get() {
                        view! { <AdminArea /> }.into_any()
                    } else {
                        view! { <Workspace /> }.into_any()
                    }
                }}
            </main>
            {move || transcript.get().map(|id| view! { <TranscriptDialog id on_close=close_transcript /> })}
        </div>
    }
}

/// Two speech bubbles.
#[component]
pub fn Logo() -> impl IntoView {
    view! {
        <svg class="logo" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
            <path
                fill="currentColor"
                d="M4 3h11a2 2 0 0 1 2 2v7a2 2 0 0 1-2 2H9l-4 3v-3H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"
            ></path>
            <path
                fill="currentColor"
                opacity="0.45"
                d="M19 8h1a2 2 0 0 1 2 2v7a2 2 0 0 1-2 2h-1v3l-4-3h-4a2 2 0 0 1-2-2v-1h6a4 4 0 0 0 4-4z"
            ></path>
        </svg>
    }
}

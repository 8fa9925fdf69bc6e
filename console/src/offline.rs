//! Offline messages: what visitors left when nobody was online, newest first.

use leptos::prelude::*;

use crate::form::load_into;
use parley_protocol::admin::OfflineMessage;

use crate::admin_api;
use crate::i18n::t;
use crate::time::clock;

#[component]
pub fn OfflineMessages() -> impl IntoView {
    let messages = RwSignal::new(None::<Vec<OfflineMessage>>);
    let error = RwSignal::new(None::<String>);
    let load = move || load_into(messages, error, admin_api::offline_messages());
    load();

    view! {
        <section class="adm-section" aria-labelledby="adm-offline-title">
            <div class="adm-head">
                <h2 id="adm-offline-title">{move || t().offline_messages}</h2>
                <button type="button" class="btn btn-ghost" on:click=move |_| load()>
                    {move || t().refresh}
                </button>
            </div>
            <p class="muted">{move || t().offline_intro}</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || match messages.get() {
                None => view! { <p class="muted" role="status">{move || t().loading}</p> }.into_any(),
                Some(list) if list.is_empty() => view! { <p class="muted">{move || t().no_offline}</p> }.into_any(),
                Some(list) => {
                    view! {
                        <ul class="adm-offline-list" aria-label=move || t().offline_messages>
                            {list.into_iter().map(|m| view! { <OfflineItem m /> }).collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn OfflineItem(m: OfflineMessage) -> impl IntoView {
    let mailto = format!("mailto:{}", m.email);
    let created_at = m.created_at as f64;
    let when = move || clock(created_at);
    let page = (!m.page_url.is_empty()).then(|| m.page_url.clone());
    let channel = if m.channel_name.is_empty() { m.channel_id.to_string() } else { m.channel_name.clone() };
    view! {
        <li class="adm-offline">
            <div class="adm-offline-top">
                <strong class="adm-offline-name">{m.name}</strong>
                <a href=mailto class="adm-offline-email">
                    {m.email}
                </a>
                <span class="adm-offline-time">{when}</span>
            </div>
            <p class="adm-offline-text">{m.text}</p>
            <p class="adm-offline-meta muted">
                {move || t().channel_colon}
                {channel}
                {page.map(|p| view! { {move || t().page_colon} <span class="adm-offline-page">{p}</span> })}
            </p>
        </li>
    }
}

//! The conversation list: waiting conversations first, refreshed by polling, each with its
//! unread count.

use crate::api::SummaryExt;
use leptos::prelude::*;

use crate::api::ConvSummary;
use crate::i18n::{fill, plural, t};
use crate::state::{Ctx, ListFilter};
use crate::time::clock;
use crate::unread;
use parley_protocol::api::PresenceChange;

#[component]
pub fn ConversationList() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let sorted = move || {
        let (filter, me) = (ctx.filter.get(), ctx.my_id());
        let mut convs: Vec<ConvSummary> =
            ctx.convs.get().into_iter().filter(|c| Ctx::passes(filter, c, me.as_deref())).collect();
        // Stable: newest first within each group, as the server sends them.
        convs.sort_by_key(|c| !c.is_waiting());
        convs
    };
    let waiting = move || ctx.waiting();

    view! {
        <section class="sidebar" aria-labelledby="conversations-heading">
            <div class="sidebar-head">
                <h2 id="conversations-heading">{move || t().conversations}</h2>
                <span
                    class="badge"
                    class:badge-zero=move || waiting() == 0
                    title=move || t().waiting_conversations
                    aria-live="polite"
                >
                    {move || fill(t().n_waiting, &[("n", &waiting().to_string())])}
                </span>
            </div>
            <PresenceBar />
            <div class="filters" role="group" aria-label=move || t().show_conversations>
                <FilterButton filter=ListFilter::Waiting label=|| t().filter_waiting />
                <FilterButton filter=ListFilter::Mine label=|| t().filter_mine />
                <FilterButton filter=ListFilter::All label=|| t().filter_all />
            </div>
            {move || ctx.list_error.get().map(|e| view! { <p class="list-error" role="status">{e}</p> })}
            {move || {
                (ctx.convs_loaded.get() && ctx.convs.with(Vec::is_empty))
                    .then(|| view! { <p class="list-empty">{move || t().no_conversations}</p> })
            }}
            {move || (!ctx.convs_loaded.get()).then(|| view! { <p class="list-empty">{move || t().loading_conversations}</p> })}
            <ul class="conv-list">
                <For
                    each=sorted
                    key=|c| {
                        (
                            c.id.clone(),
                            c.operator_name.clone(),
                            c.status,
                            c.message_count,
                            c.last_message_preview.clone(),
                            c.last_activity().to_bits(),
                        )
                    }
                    children=move |c| view! { <ConvItem conv=c /> }
                />
            </ul>
        </section>
    }
}

#[component]
fn FilterButton(filter: ListFilter, label: fn() -> &'static str) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <button
            type="button"
            class="filter"
            aria-pressed=move || (ctx.filter.get() == filter).to_string()
            on:click=move |_| ctx.filter.set(filter)
        >
            {label}
            " "
            <span class="filter-count">{move || ctx.count(filter)}</span>
        </button>
    }
}

/// Online/offline and the channels I take chats from.
#[component]
fn PresenceBar() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let online = move || ctx.online();
    let toggle = move |_| ctx.change_presence(PresenceChange { online: Some(!online()), ..Default::default() });
    let channels = move || {
        ctx.presence.with(|p| {
            let Some(p) = p else { return Vec::new() };
            let mine = p.presence.operators.iter().find(|o| o.id == p.me);
            p.channels
                .iter()
                .map(|c| (c.id.clone(), c.name.clone(), mine.is_some_and(|o| o.channels.contains(&c.id))))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="presence">
            <div class="presence-row">
                <span class="presence-dot" class:presence-on=online aria-hidden="true"></span>
                <span class="presence-state" role="status">{move || if online() { t().you_are_online } else { t().you_are_offline }}</span>
                <button type="button" class="btn btn-ghost" aria-pressed=move || online().to_string() on:click=toggle>
                    {move || if online() { t().go_offline } else { t().go_online }}
                </button>
            </div>
            <fieldset class="presence-channels">
                <legend>{move || t().channels_i_take}</legend>
                <For
                    each=channels
                    key=|c| c.clone()
                    children=move |(id, name, joined)| {
                        let change = move |_| {
                            let id = Some(id.clone());
                            let change = if joined {
                                PresenceChange { leave: id, ..Default::default() }
                            } else {
                                PresenceChange { join: id, ..Default::default() }
                            };
                            ctx.change_presence(change);
                        };
                        view! {
                            <label class="presence-channel">
                                <input type="checkbox" prop:checked=joined on:change=change />
                                {name}
                            </label>
                        }
                    }
                />
            </fieldset>
            {move || ctx.presence_error.get().map(|e| view! { <p class="list-error" role="alert">{e}</p> })}
        </div>
    }
}

#[component]
fn ConvItem(conv: ConvSummary) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let preview = conv.preview().to_owned();
    let unread = {
        let id = conv.id.clone();
        Memo::new(move |_| ctx.unread(&id))
    };
    let has_unread = Memo::new(move |_| unread.get() > 0);
    let id = conv.id.clone();
    let current = move || ctx.active.with(|a| a.as_deref() == Some(id.as_str())).then_some("true");
    let status = conv.status.as_str();
    let message_count = conv.message_count;
    let count = move || plural(t().n_messages, message_count);
    let shown_preview = {
        let preview = preview.clone();
        move || if preview.is_empty() { t().no_messages_yet.to_owned() } else { preview.clone() }
    };
    let class = if conv.is_waiting() { "conv conv-waiting" } else { "conv" };
    let visitor = {
        let conv = conv.clone();
        move || conv.visitor_label()
    };
    let last_activity = conv.last_activity();
    let when = move || clock(last_activity);
    let owner = (!conv.operator_name.is_empty()).then(|| format!("→ {}", conv.operator_name));
    // The name says what the card shows, in the same order (the preview first, as in
    // "Open conversation: <preview>"), so the visible text is part of the name; words in
    // brackets only help the ear. The preview comes first in the DOM and `order` draws the
    // top row above it.
    let label = {
        let shown_preview = shown_preview.clone();
        let visitor = visitor.clone();
        let owner = conv.operator_name.clone();
        move || {
            let t = t();
            let name = unread::open_label(t, &shown_preview(), 0);
            let mut details = vec![status_label(status), visitor(), when()];
            if let n @ 1.. = unread.get() {
                details.push(fill(t.n_unread_paren, &[("n", &n.to_string())]));
            }
            if !owner.is_empty() {
                details.push(fill(t.assigned_to, &[("name", &owner)]));
            }
            details.push(count());
            format!("{name} — {}", details.join(", "))
        }
    };

    view! {
        <li>
            <button
                type="button"
                class=class
                class:conv-unread=has_unread
                aria-label=label
                aria-current=current
                on:click=move |_| ctx.open_conversation(&conv)
            >
                // Spaces between the parts: the card's text reads as words, not "WaitingVisitor".
                <span class="conv-preview">{shown_preview}</span>
                " "
                <span class="conv-top">
                    <span class=format!("pill pill-{status}")>{
                        move || status_label(status)
                    }</span>
                    " "
                    <span class="conv-visitor">{visitor}</span>
                    " "
                    <span class="conv-time">{when}</span>
                    " "
                    <UnreadBadge unread />
                </span>
                " "
                {owner.map(|o| view! { <span class="conv-owner">{o}</span> })}
                " "
                <span class="conv-count">{count}</span>
            </button>
        </li>
    }
}

/// The unread count, shown only when there is something unread.
#[component]
pub fn UnreadBadge(#[prop(into)] unread: Signal<u64>) -> impl IntoView {
    move || {
        let n = unread.get();
        (n > 0).then(|| view! { <span class="unread" aria-label=unread::unread_label(n)>{n}</span> })
    }
}

pub fn status_label(status: &str) -> String {
    let t = t();
    match status {
        "waiting" => t.status_waiting.to_owned(),
        "active" => t.status_active.to_owned(),
        "closed" => t.status_closed.to_owned(),
        other => other.to_owned(),
    }
}

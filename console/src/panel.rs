//! Open conversations: a tab strip and the active conversation's transcript and composer.

use crate::api::SummaryExt;
use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use parley_client::ConnState;
use parley_protocol::api::TransferRequest;
use parley_protocol::outcomes::{block_reason, BlockRequest};
use parley_protocol::protocol::{Role, Routing, Status};
use parley_protocol::OperatorId;
use wasm_bindgen::JsCast;

use crate::chat::Chat;
use crate::i18n::{fill, t};
use crate::list::{status_label, UnreadBadge};
use crate::model::{self, Line};
use crate::outcome::{OutcomeForm, RatingNote, VisitorIdentity};
use crate::state::{Ctx, Tab};
use crate::time::clock;
use crate::unread;

#[component]
pub fn Workspace() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <section class="workspace" aria-label=move || t().open_conversations>
            <Show when=move || ctx.tabs.with(|t| !t.is_empty())>
                <nav class="tabs" aria-label=move || t().open_tabs>
                    <For each=move || ctx.tabs.get() key=|t| t.id.clone() children=move |tab| view! { <TabItem tab /> } />
                </nav>
            </Show>
            {move || {
                let chat = ctx.active.get().and_then(|id| ctx.chat(&id).map(|chat| (id, chat)));
                match chat {
                    Some((id, chat)) => view! { <ChatPanel id chat /> }.into_any(),
                    None => {
                        view! {
                            <div class="placeholder">
                                <p>{move || t().select_conversation}</p>
                                <p class="muted">{move || t().waiting_listed_first}</p>
                            </div>
                        }
                            .into_any()
                    }
                }
            }}
        </section>
    }
}

#[component]
fn TabItem(tab: Tab) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let Tab { id, label } = tab;
    let selected = {
        let id = id.clone();
        Memo::new(move |_| ctx.active.with(|a| a.as_deref() == Some(id.as_str())))
    };
    let waiting = {
        let id = id.clone();
        move || ctx.convs.with(|cs| cs.iter().any(|c| c.id == id && c.is_waiting()))
    };
    let unread = {
        let id = id.clone();
        Memo::new(move |_| ctx.unread(&id))
    };
    let main_label = {
        let label = label.clone();
        move || unread::tab_label(crate::i18n::t(), &label, unread.get())
    };
    let open_id = id.clone();
    let close_label = {
        let label = label.clone();
        move || fill(t().close_tab_named, &[("label", &label)])
    };
    view! {
        <div class="tab" class:tab-active=selected>
            <button
                type="button"
                class="tab-main"
                aria-label=main_label
                aria-current=move || selected.get().then_some("page")
                on:click=move |_| ctx.show(&open_id)
            >
                <span class="dot" class:dot-waiting=waiting aria-hidden="true"></span>
                {label}
                <UnreadBadge unread />
            </button>
            <button
                type="button"
                class="tab-close"
                aria-label=close_label
                title=move || t().close_tab
                on:click=move |_| ctx.close_conversation(&id)
            >
                <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" focusable="false">
                    <path d="M4 4l8 8M12 4l-8 8" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"></path>
                </svg>
            </button>
        </div>
    }
}

#[component]
fn ChatPanel(id: String, chat: Chat) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let v = &chat.view;
    let lines = RwSignal::from(v.lines.clone());
    let conn_state = RwSignal::from(v.conn_state.clone());
    let status = RwSignal::from(v.status.clone());
    let peer_typing = RwSignal::from(v.peer_typing.clone());
    let draft = RwSignal::from(v.draft.clone());
    let error = RwSignal::from(v.error.clone());
    let now = RwSignal::from(v.now.clone());
    let routing = RwSignal::from(v.routing.clone());
    let visitor = RwSignal::from(v.visitor.clone());
    let seen = RwSignal::from(v.seen.clone());
    let uploading = RwSignal::from(v.uploading.clone());
    // The connection is not `Send`: bubbles reach it through this handle, from click handlers.
    let this_chat = StoredValue::new_local(chat.clone());

    let summary = {
        let id = id.clone();
        move || ctx.convs.with(|cs| cs.iter().find(|c| c.id == id).cloned())
    };
    let title = {
        let summary = summary.clone();
        move || summary().map(|c| c.visitor_label()).unwrap_or_else(|| t().visitor.to_owned())
    };
    let page_url = {
        let summary = summary.clone();
        move || {
            visitor
                .with(|v| v.as_ref().and_then(|v| v.pages.last().map(|p| p.url.clone())))
                .or_else(|| summary().map(|c| c.current_page).filter(|u| !u.is_empty()))
        }
    };
    let routing_line = move || match routing.get() {
        Some(Routing::Assigned { name }) => Some(fill(t().assigned_to_name, &[("name", &name)])),
        Some(Routing::Queued { position, .. }) => {
            Some(fill(t().waiting_in_line, &[("position", &position.to_string())]))
        }
        None => None,
    };
    let closed = move || status.get() == Some(Status::Closed);

    // Keep the newest message (and the visitor's rating, shown after it) in view.
    let rating = {
        let summary = summary.clone();
        Memo::new(move |_| summary().map(|c| (c.survey_result, c.survey_comment)))
    };
    let log_ref = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        lines.track();
        peer_typing.track();
        rating.track();
        // Closing shows the wrap-up form below, which shortens the transcript.
        status.track();
        if let Some(el) = log_ref.get() {
            el.set_scroll_top(el.scroll_height());
            // Again once the frame is laid out (the rating line and the form render after this).
            request_animation_frame(move || el.set_scroll_top(el.scroll_height()));
        }
    });
    let reply_ref = NodeRef::<html::Textarea>::new();
    reply_ref.on_load(|el| {
        let _ = el.focus();
    });

    let on_input = {
        let chat = chat.clone();
        move |ev| {
            let text = event_target_value(&ev);
            draft.set(text.clone());
            chat.on_input(&text);
        }
    };
    let on_keydown = {
        let chat = chat.clone();
        move |ev: KeyboardEvent| {
            if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                ev.prevent_default();
                chat.send();
            }
        }
    };
    let on_submit = {
        let chat = chat.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            chat.send();
            if let Some(el) = reply_ref.get_untracked() {
                let _ = el.focus();
            }
        }
    };
    let on_end = {
        let chat = chat.clone();
        move |_: leptos::ev::MouseEvent| chat.end()
    };
    // Files (issue 21): picked, pasted into the reply, or dropped on the conversation.
    let on_pick = {
        let chat = chat.clone();
        move |ev: leptos::ev::Event| {
            let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                chat.attach(file);
            }
            input.set_value("");
        }
    };
    let on_paste = {
        let chat = chat.clone();
        move |ev: leptos::ev::ClipboardEvent| {
            if let Some(file) = ev.clipboard_data().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                ev.prevent_default();
                chat.attach(file);
            }
        }
    };
    let on_drop = {
        let chat = chat.clone();
        move |ev: leptos::ev::DragEvent| {
            if let Some(file) = ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                ev.prevent_default();
                chat.attach(file);
            }
        }
    };
    let on_dragover = move |ev: leptos::ev::DragEvent| ev.prevent_default();
    let on_blur = {
        let chat = chat.clone();
        move |_| chat.stop_typing()
    };
    // Canned responses: "/shortcut" then Tab, or a click on a suggestion.
    let suggestions = move || {
        let d = draft.get();
        let Some(prefix) = d.strip_prefix('/').filter(|p| !p.contains(char::is_whitespace)) else { return Vec::new() };
        ctx.canned
            .with(|list| list.iter().filter(|c| c.shortcut.starts_with(prefix)).take(5).cloned().collect::<Vec<_>>())
    };
    let on_keydown = {
        let on_keydown = on_keydown.clone();
        move |ev: KeyboardEvent| {
            if ev.key() == "Tab" && !ev.shift_key() {
                if let Some(first) = suggestions().into_iter().next() {
                    ev.prevent_default();
                    draft.set(first.text);
                    return;
                }
            }
            on_keydown(ev);
        }
    };

    view! {
        <article class="chat" aria-labelledby="chat-title" on:drop=on_drop on:dragover=on_dragover>
            <header class="chat-head">
                <div class="chat-title">
                    <h2 id="chat-title">{title}</h2>
                    {move || {
                        status
                            .get()
                            .map(|s| {
                                view! { <span class=format!("pill pill-{}", s.as_str())>{status_label(s.as_str())}</span> }
                            })
                    }}
                    <span class=move || format!("conn conn-{}", conn_class(conn_state.get()))>
                        {move || conn_label(conn_state.get())}
                    </span>
                </div>
                {move || page_url().map(|u| view! { <p class="chat-page" title=u.clone()>{move || t().on_page} {u.clone()}</p> })}
                <p class="chat-routing" role="status">{routing_line}</p>
                <div class="chat-actions">
                    <Transfer id=id.clone() closed=Signal::derive(closed) />
                    <BlockVisitor id=id.clone() />
                    {crate::admin::is_admin()
                        .then(|| {
                            let summary = summary.clone();
                            view! { <VisitorData visitor_id=Signal::derive(move || summary().map(|c| c.visitor_id.0)) /> }
                        })}
                    <button type="button" class="btn end-chat" prop:hidden=closed on:click=on_end>{move || t().end_chat}</button>
                </div>
            </header>
            <VisitorBox visitor summary=Signal::derive(summary.clone()) />
            <div
                class="transcript"
                role="log"
                aria-live="polite"
                aria-label=move || t().transcript
                tabindex="0"
                node_ref=log_ref
            >
                {move || lines.with(Vec::is_empty).then(|| view! { <p class="empty">{move || t().no_messages_yet_dot}</p> })}
                <For each=move || lines.get() key=Line::key children=move |line| view! { <Bubble line now seen chat=this_chat /> } />
                <RatingNote summary=Signal::derive(summary.clone()) />
            </div>
            <p class="typing" aria-live="polite">
                {move || peer_typing.get().map(|name| fill(t().peer_typing, &[("name", &name)]))}
            </p>
            {move || {
                error
                    .get()
                    .map(|e| {
                        view! {
                            <div class="error error-bar" role="alert">
                                <span>{e}</span>
                                <button type="button" class="btn-link" on:click=move |_| error.set(None)>
                                    {move || t().dismiss}
                                </button>
                            </div>
                        }
                    })
            }}
            {move || closed().then(|| view! { <p class="closed-note">{move || t().conversation_closed}</p> })}
            // The wrap-up form, once the chat has ended (by either side).
            <Show when=closed>
                <OutcomeForm id=id.clone() summary=Signal::derive(summary.clone()) />
            </Show>
            <ul class="canned-suggestions" aria-label=move || t().canned_responses>
                <For
                    each=suggestions
                    key=|c| c.id.clone()
                    children=move |c| {
                        let text = c.text.clone();
                        let shortcut = c.shortcut.clone();
                        view! {
                            <li>
                                <button
                                    type="button"
                                    class="btn-link"
                                    aria-label=move || fill(t().use_canned, &[("shortcut", &shortcut)])
                                    on:click=move |_| draft.set(text.clone())
                                >
                                    {format!("/{}", c.shortcut)}
                                </button>
                                " "
                                <span class="muted">{c.text}</span>
                            </li>
                        }
                    }
                />
            </ul>
            <form class="composer" on:submit=on_submit>
                <textarea
                    aria-label=move || t().reply
                    rows="2"
                    placeholder=move || t().reply_placeholder
                    node_ref=reply_ref
                    prop:value=move || draft.get()
                    prop:disabled=closed
                    on:input=on_input
                    on:keydown=on_keydown
                    on:blur=on_blur
                    on:paste=on_paste
                ></textarea>
                <label class="btn attach" title=move || t().attach_file>
                    <input
                        type="file"
                        class="attach-input"
                        aria-label=move || t().attach_file
                        prop:disabled=closed
                        on:change=on_pick
                    />
                    <span aria-hidden="true">"📎"</span>
                </label>
                <button type="submit" class="btn btn-primary send" aria-label=move || t().send_reply prop:disabled=closed>
                    <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true" focusable="false">
                        <path fill="currentColor" d="M2.5 2.6l15 7.1a.35.35 0 0 1 0 .6l-15 7.1a.35.35 0 0 1-.5-.4L4 10 2 3a.35.35 0 0 1 .5-.4zM4 10h7"></path>
                    </svg>
                    <span>{move || t().send}</span>
                </button>
            </form>
            {move || uploading.get().map(|name| view! { <p class="uploading" role="status">{fill(t().uploading, &[("name", &name)])}</p> })}
        </article>
    }
}

/// What the operator knows of the visitor: language, country, current page, pages visited.
#[component]
fn VisitorBox(
    visitor: RwSignal<Option<parley_protocol::protocol::VisitorInfo>>,
    summary: Signal<Option<crate::api::ConvSummary>>,
) -> impl IntoView {
    let field = move |f: fn(&parley_protocol::protocol::VisitorInfo) -> String,
                      g: fn(&crate::api::ConvSummary) -> String| {
        move || {
            let live = visitor.with(|v| v.as_ref().map(f)).filter(|s| !s.is_empty());
            live.or_else(|| summary.with(|s| s.as_ref().map(g))).filter(|s| !s.is_empty()).unwrap_or_else(|| "—".into())
        }
    };
    let name = move || {
        summary.with(|s| {
            s.as_ref().map(|c| if c.visitor_name.is_empty() { c.visitor_label() } else { c.visitor_name.clone() })
        })
    };
    let pages = move || visitor.with(|v| v.as_ref().map(|v| v.pages.clone()).unwrap_or_default());
    let newest_first = move || {
        let mut p = pages();
        p.reverse();
        p
    };
    view! {
        <aside class="visitor-box" aria-label=move || t().visitor>
            <dl>
                <dt>{move || t().name}</dt>
                <dd>{name}</dd>
                <dt>{move || t().language}</dt>
                <dd class="visitor-language">{field(|v| v.language.clone(), |c| c.visitor_language.clone())}</dd>
                <dt>{move || t().country}</dt>
                <dd class="visitor-country">{field(|v| v.country.clone(), |c| c.visitor_country.clone())}</dd>
            </dl>
            {move || {
                summary
                    .with(|s| s.as_ref().and_then(|c| c.started_from()))
                    .map(|text| view! { <p class="visitor-entry">{move || t().started_from} {text}</p> })
            }}
            <VisitorIdentity summary />
            <details>
                <summary>{move || fill(t().pages_visited, &[("n", &pages().len().to_string())])}</summary>
                <ol class="visitor-pages">
                    <For
                        each=newest_first
                        key=|p| (p.url.clone(), p.at)
                        children=|p| {
                            let label = if p.title.is_empty() { p.url.clone() } else { format!("{} — {}", p.title, p.url) };
                            view! { <li>{move || clock(p.at.0 as f64)} " " {label}</li> }
                        }
                    />
                </ol>
            </details>
        </aside>
    }
}

/// Hands the conversation to another online operator with a free slot.
#[component]
fn Transfer(id: String, closed: Signal<bool>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let target = RwSignal::new(String::new());
    let note = RwSignal::new(None::<String>);
    let options = move || {
        ctx.presence.with(|p| {
            p.as_ref()
                .map(|p| {
                    p.presence
                        .operators
                        .iter()
                        .filter(|o| o.id != p.me && o.online)
                        .map(|o| (o.id.clone(), format!("{} ({}/{})", o.name, o.ongoing, o.max_chats)))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let transfer = move |_| {
        let to = target.get_untracked();
        if to.is_empty() {
            note.set(Some(t().choose_operator_first.into()));
            return;
        }
        let id = id.clone();
        leptos::task::spawn_local(async move {
            let url = format!("/api/v1/console/conversations/{id}/transfer");
            let body = TransferRequest { operator_id: OperatorId(to) };
            note.set(Some(match crate::net::post_json::<_, serde_json::Value>(&url, &body).await {
                Ok(_) => t().transferred.into(),
                Err(e) => crate::api::describe(&e),
            }));
        });
    };
    view! {
        <div class="transfer" prop:hidden=move || closed.get()>
            <select aria-label=move || t().transfer_to on:change=move |ev| target.set(event_target_value(&ev))>
                <option value="">{move || t().transfer_to_ellipsis}</option>
                <For each=options key=|o| o.clone() children=|(id, label)| view! { <option value=id>{label}</option> } />
            </select>
            <button type="button" class="btn btn-ghost" on:click=transfer>{move || t().transfer}</button>
            <span class="muted" role="status">{move || note.get()}</span>
        </div>
    }
}

/// Blocks the conversation's visitor from starting chats, with a required reason (admins see
/// it; the visitor never does). The chat itself goes on until someone ends it.
#[component]
fn BlockVisitor(id: String) -> impl IntoView {
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let note = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = BlockRequest { reason: reason.get_untracked() };
        if let Err(e) = block_reason(&body.reason) {
            note.set(Some(e.message));
            return;
        }
        let url = format!("/api/v1/console/conversations/{id}/block");
        leptos::task::spawn_local(async move {
            match crate::net::post_json::<_, serde_json::Value>(&url, &body).await {
                Ok(_) => {
                    open.try_set(false);
                    reason.try_set(String::new());
                    note.try_set(Some(t().visitor_blocked.into()))
                }
                Err(e) => note.try_set(Some(crate::api::describe(&e))),
            };
        });
    };
    view! {
        <div class="block-visitor">
            <button
                type="button"
                class="btn btn-ghost"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {move || t().block_visitor}
            </button>
            <form class="block-form" prop:hidden=move || !open.get() on:submit=submit>
                <label>
                    {move || t().reason_for_blocking}
                    <textarea
                        required
                        maxlength="1000"
                        prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev))
                    ></textarea>
                </label>
                <button type="submit" class="btn">{move || t().block}</button>
            </form>
            <span class="muted" role="status">{move || note.get()}</span>
        </div>
    }
}

/// Admins: the visitor's data (data rights) — download everything held about them as JSON, or
/// erase them for good after a confirmation (refused while the chat is open).
#[component]
fn VisitorData(visitor_id: Signal<Option<String>>) -> impl IntoView {
    let open = RwSignal::new(false);
    let note = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let erase = move |_| {
        let Some(vid) = visitor_id.get_untracked() else { return };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            match crate::admin_api::erase_visitor(&vid).await {
                Ok(_) => {
                    open.try_set(false);
                    note.try_set(Some(t().visitor_erased.into()))
                }
                Err(e) => note.try_set(Some(crate::api::describe(&e))),
            };
            busy.try_set(false);
        });
    };
    view! {
        <div class="visitor-data" role="group" aria-label=move || t().visitor_data>
            <a
                class="btn btn-ghost export-visitor"
                href=move || visitor_id.get().map(|v| crate::admin_api::visitor_export_url(&v))
                download=move || visitor_id.get().map(|v| format!("visitor-{v}.json"))
            >
                {move || t().export_visitor}
            </a>
            <button
                type="button"
                class="btn btn-ghost erase-visitor"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {move || t().erase_visitor}
            </button>
            <div class="erase-confirm" prop:hidden=move || !open.get()>
                <p>{move || t().erase_visitor_warning}</p>
                <button type="button" class="btn" aria-busy=move || busy.get().to_string() on:click=erase>
                    {move || t().erase_for_good}
                </button>
                <button type="button" class="btn" on:click=move |_| open.set(false)>{move || t().cancel}</button>
            </div>
            <span class="muted" role="status">{move || note.get()}</span>
        </div>
    }
}

/// One transcript line. Our own replies show "sending…" until their `ack`, and "Not sent yet"
/// with a retry button once they have waited longer than `parley_protocol::limits::UNSENT_AFTER_MS`.
#[component]
fn Bubble(
    line: Line,
    now: RwSignal<f64>,
    seen: RwSignal<Option<String>>,
    chat: StoredValue<Chat, LocalStorage>,
) -> impl IntoView {
    let operator = line.author.role == Role::Operator;
    let class = if operator { "msg msg-operator" } else { "msg msg-visitor" };
    let pending = RwSignal::from(line.pending.clone());
    // A visitor's reply by email (issue 20): its client id says so.
    let by_email = !operator && line.client_id.starts_with(parley_protocol::protocol::EMAIL_CLIENT_ID_PREFIX);
    let since = line.at;
    // Only waiting lines follow the clock; the memo re-renders on a change of state, not per tick.
    let stale = Memo::new(move |_| pending.get() && model::is_stale(since, now.get()));
    let retry = move |_: leptos::ev::MouseEvent| chat.with_value(Chat::retry);
    // Read receipts: "Seen" under the last of our replies the visitor has read.
    let id = line.client_id.clone();
    let is_seen = move || operator && seen.with(|s| s.as_ref() == Some(&id));
    let delivery = move || {
        pending.get().then(|| {
            if stale.get() {
                view! {
                    <span class="msg-unsent">{move || t().not_sent_yet}</span>
                    <button type="button" class="btn-link msg-retry" aria-label=move || t().retry_sending on:click=retry>
                        {move || t().retry}
                    </button>
                }
                .into_any()
            } else {
                view! { <span class="msg-sending">{move || t().sending}</span> }.into_any()
            }
        })
    };
    view! {
        <div class=class class:msg-pending=move || pending.get() class:msg-stale=move || stale.get()>
            <div class="msg-meta">
                <span class="msg-author">{line.author.name}</span>
                <span class="msg-time">{move || clock(line.at)}</span>
                {by_email.then(|| view! { <span class="msg-by-email">{move || t().by_email}</span> })}
                {delivery}
            </div>
            {(!line.text.is_empty() || line.attachment.is_none()).then(|| view! { <p class="msg-text">{line.text}</p> })}
            {line.attachment.map(|file| view! { <FileBox conversation=chat.with_value(|c| c.id.clone()) file /> })}
            {move || is_seen().then(|| view! { <span class="msg-seen">{move || t().seen_receipt}</span> })}
        </div>
    }
}

/// A message's file (issue 21): an image inline at a bounded size, anything else a named link
/// with its size. Both read through a short-lived signed link asked for when shown (an image)
/// or clicked (a file), so an old transcript never holds an expired one.
#[component]
pub(crate) fn FileBox(conversation: String, file: parley_protocol::protocol::AttachmentView) -> impl IntoView {
    use parley_protocol::limits::ATTACHMENT_IMAGE_MAX_PX;
    let link = format!("/api/v1/conversations/{conversation}/files/{}/link", file.id);
    let fetch_link = move |link: String| async move {
        let v = parley_client::post_blob(&link, &wasm_bindgen::JsValue::NULL, &[]).await.ok()?;
        js_sys::Reflect::get(&v, &"url".into()).ok()?.as_string()
    };
    if file.is_image() {
        let src = RwSignal::new(None::<String>);
        leptos::task::spawn_local(async move { src.set(fetch_link(link).await) });
        // Bounded, keeping the image's proportions when its size is known.
        let (w, h) = match (file.width, file.height) {
            (Some(w), Some(h)) if w > 0 && h > 0 => {
                let scale = (ATTACHMENT_IMAGE_MAX_PX as f64 / w.max(h) as f64).min(1.0);
                (((w as f64) * scale).round() as u32, ((h as f64) * scale).round() as u32)
            }
            _ => (ATTACHMENT_IMAGE_MAX_PX, ATTACHMENT_IMAGE_MAX_PX),
        };
        view! {
            <img class="msg-image" alt=file.name.clone() title=file.name width=w height=h src=move || src.get() />
        }
        .into_any()
    } else {
        let open = move |ev: leptos::ev::MouseEvent| {
            ev.prevent_default();
            let link = link.clone();
            leptos::task::spawn_local(async move {
                if let Some(url) = fetch_link(link).await {
                    let _ = window().location().set_href(&url);
                }
            });
        };
        view! {
            <a class="msg-file" href="#" on:click=open>
                <span class="msg-file-name">{file.name}</span>
                " "
                <span class="msg-file-size">{human_size(file.size)}</span>
            </a>
        }
        .into_any()
    }
}

/// A file's size for people: bytes, KB or MB (decimal, one digit).
fn human_size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} KB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

fn conn_label(state: ConnState) -> &'static str {
    let t = t();
    match state {
        ConnState::Connecting => t.conn_connecting,
        ConnState::Open => t.conn_connected,
        ConnState::Retrying => t.conn_reconnecting,
        ConnState::Incompatible => t.conn_out_of_date,
    }
}

fn conn_class(state: ConnState) -> &'static str {
    match state {
        ConnState::Connecting | ConnState::Retrying => "wait",
        ConnState::Open => "ok",
        ConnState::Incompatible => "bad",
    }
}

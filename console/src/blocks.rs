//! Blocks (admins): the account's blocked visitors, newest first, each with "Lift block".

use leptos::prelude::*;
use parley_protocol::outcomes::BlockView;

use crate::admin_api;
use crate::form::{load_into, DataTable, Notice};
use crate::i18n::t;
use crate::time::clock;

#[component]
pub fn Blocks() -> impl IntoView {
    let blocks = RwSignal::new(None::<Vec<BlockView>>);
    let error = RwSignal::new(None::<String>);
    let note = RwSignal::new(None::<String>);
    let load = move || load_into(blocks, error, admin_api::blocks());
    load();
    let lift = move |id: String| {
        leptos::task::spawn_local(async move {
            match admin_api::lift_block(&id).await {
                Ok(()) => {
                    note.try_set(Some(t().block_lifted.into()));
                    blocks.try_update(|b| {
                        if let Some(b) = b {
                            b.retain(|x| x.id != id)
                        }
                    });
                }
                Err(e) => {
                    error.try_set(Some(crate::api::describe(&e)));
                }
            }
        });
    };

    view! {
        <section class="adm-section" aria-labelledby="adm-blocks-title">
            <div class="adm-head">
                <h2 id="adm-blocks-title">{move || t().blocks}</h2>
                <button type="button" class="btn btn-ghost" on:click=move |_| load()>
                    {move || t().refresh}
                </button>
            </div>
            <p class="muted">{move || t().blocks_intro}</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Notice note />
            {move || match blocks.get() {
                None => view! { <p class="muted" role="status">{move || t().loading}</p> }.into_any(),
                Some(list) if list.is_empty() => view! { <p class="muted">{move || t().no_blocks}</p> }.into_any(),
                Some(list) => {
                    view! {
                        <DataTable
                            labelledby="adm-blocks-title"
                            headers=|t| vec![t.visitor, t.reason, t.blocked_by, t.when, t.conversation, ""]
                        >
                                    {list
                                        .into_iter()
                                        .map(|b| {
                                            let id = b.id.clone();
                                            let who = if b.blocked_by_name.is_empty() {
                                                b.blocked_by.clone()
                                            } else {
                                                b.blocked_by_name.clone()
                                            };
                                            view! {
                                                <tr class="adm-block">
                                                    <td>{b.visitor_id.0}</td>
                                                    <td class="adm-block-reason">{b.reason}</td>
                                                    <td>{who}</td>
                                                    <td>{move || clock(b.created_at as f64)}</td>
                                                    <td>{b.conversation_id.0}</td>
                                                    <td>
                                                        <button
                                                            type="button"
                                                            class="btn btn-ghost"
                                                            on:click=move |_| lift(id.clone())
                                                        >
                                                            {move || t().lift_block}
                                                        </button>
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                        </DataTable>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

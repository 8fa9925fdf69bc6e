//! Parley's operator console, served at `/console` by `public/console.html`.
//!
//! Operators log in, watch the conversation list (polled every two seconds, waiting ones
//! first) and answer visitors in tabs, one protocol connection per open conversation. All
//! chat text is rendered as text nodes, never as HTML.

mod account;
mod accounts;
pub mod admin;
pub mod admin_api;
mod api;
mod app;
mod blocks;
mod canned;
mod channels;
mod charts;
mod chat;
mod entry_points;
mod form;
pub mod i18n;
mod list;
mod login;
mod model;
mod net;
mod notify;
mod offline;
mod outcome;
mod outcome_settings;
mod panel;
mod push;
mod report_links;
pub mod report_view;
mod reports;
mod settings;
mod state;
mod time;
mod unread;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Mounts the console into `<div id="app">`.
#[wasm_bindgen(start)]
pub fn start() {
    let Some(root) = parley_client::window().document().and_then(|d| d.get_element_by_id("app")) else {
        return;
    };
    let root: web_sys::HtmlElement = root.unchecked_into();
    // Drop the static "Loading…" placeholder of console.html.
    root.set_text_content(None);
    leptos::mount::mount_to(root, app::App).forget();
}

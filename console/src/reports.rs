//! "Invites & traffic" (admins): the automatic-invite funnel per rule, invites by hour of day,
//! traffic per entry point, the visitors' ratings per operator and work shift, and the three CSV
//! downloads, for a date range and channel.
//!
//! Dates are the browser's local days: From is the start of its day, To the start of the day
//! after (exclusive). The rows' hours are UTC hours. The sums and percentages are
//! `parley_shared::reports`'s.

use std::collections::HashMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use js_sys::Date;
use parley_client::{get_json, HttpError};
use parley_shared::admin::ChannelView;
use parley_shared::metrics::Funnel;
use parley_shared::reports::invites::{by_hour_of_day, funnel_by_rule, RuleFunnel};
use parley_shared::reports::traffic::{totals_by_entry_point, TrafficRow};
use parley_shared::reports::{percent, InviteReport, RatingsReport, TrafficReport};

use crate::admin_api;
use crate::api;
use crate::form::{load_into, DataTable};

const BASE: &str = "/api/v1/console/reports";

/// The filters a report was asked with.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Filters {
    from: u64,
    to: u64,
    channel: String,
}

impl Filters {
    fn query(&self) -> String {
        let mut q = format!("from={}&to={}", self.from, self.to);
        if !self.channel.is_empty() {
            q.push_str("&channel=");
            q.push_str(&String::from(js_sys::encode_uri_component(&self.channel)));
        }
        q
    }
}

/// `YYYY-MM-DD` of a local day, `offset` days from today.
fn local_day(offset: i32) -> String {
    let now = Date::new_0();
    let d = Date::new_with_year_month_day(now.get_full_year(), now.get_month() as i32, now.get_date() as i32 + offset);
    format!("{:04}-{:02}-{:02}", d.get_full_year(), d.get_month() + 1, d.get_date())
}

/// The start (ms) of local day `YYYY-MM-DD`, plus `days` days.
fn day_start(value: &str, days: i32) -> Option<u64> {
    let mut parts = value.trim().splitn(3, '-').map(|p| p.parse::<i32>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let t = Date::new_with_year_month_day(y as u32, m - 1, d + days).get_time();
    (t.is_finite() && t >= 0.0).then_some(t as u64)
}

async fn invites(f: Filters) -> Result<InviteReport, HttpError> {
    get_json(&format!("{BASE}/invites?{}", f.query())).await
}

async fn traffic(f: Filters) -> Result<TrafficReport, HttpError> {
    get_json(&format!("{BASE}/traffic?{}", f.query())).await
}

async fn ratings(f: Filters) -> Result<RatingsReport, HttpError> {
    get_json(&format!("{BASE}/ratings?{}", f.query())).await
}

#[component]
pub fn Reports() -> impl IntoView {
    let from = RwSignal::new(local_day(-6));
    let to = RwSignal::new(local_day(0));
    let channel = RwSignal::new(String::new());
    let channels = RwSignal::new(None::<Vec<ChannelView>>);
    let channels_error = RwSignal::new(None::<String>);
    load_into(channels, channels_error, admin_api::channels());

    let applied = RwSignal::new(None::<Filters>);
    let invite_rows = RwSignal::new(None::<InviteReport>);
    let traffic_rows = RwSignal::new(None::<TrafficReport>);
    let rating_rows = RwSignal::new(None::<RatingsReport>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let generation = StoredValue::new(0u32);

    let show = move || {
        let (f, t) = (from.get_untracked(), to.get_untracked());
        let (Some(start), Some(end)) = (day_start(&f, 0), day_start(&t, 1)) else {
            error.set(Some("Enter both dates as YYYY-MM-DD.".into()));
            return;
        };
        if start >= end {
            error.set(Some("From must be on or before To.".into()));
            return;
        }
        let filters = Filters { from: start, to: end, channel: channel.get_untracked() };
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let (i, t, r) =
                (invites(filters.clone()).await, traffic(filters.clone()).await, ratings(filters.clone()).await);
            // A later "Show" wins.
            if generation.try_get_value() != Some(mine) {
                return;
            }
            busy.try_set(false);
            match (i, t, r) {
                (Ok(i), Ok(t), Ok(r)) => {
                    invite_rows.try_set(Some(i));
                    traffic_rows.try_set(Some(t));
                    rating_rows.try_set(Some(r));
                    applied.try_set(Some(filters));
                }
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                    error.try_set(Some(api::describe(&e)));
                }
            }
        });
    };
    show();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        show();
    };

    let channel_options = move || {
        channels
            .get()
            .unwrap_or_default()
            .into_iter()
            .map(|c| view! { <option value=c.id.clone()>{c.name.clone()}</option> })
            .collect_view()
    };
    let csv = move |name: &'static str| {
        move || applied.with(|f| f.as_ref().map(|f| format!("{BASE}/{name}.csv?{}", f.query())))
    };

    view! {
        <section class="adm" aria-label="Invites and traffic">
            <div class="adm-panel">
                <div class="adm-section rep">
                    <h2>"Invites & traffic"</h2>
                    <form class="rep-filters" on:submit=on_submit aria-busy=move || busy.get().to_string()>
                        <div class="adm-field rep-field">
                            <label for="rep-from">"From"</label>
                            <input
                                id="rep-from"
                                type="date"
                                required
                                prop:value=move || from.get()
                                on:input=move |ev| from.set(event_target_value(&ev))
                            />
                        </div>
                        <div class="adm-field rep-field">
                            <label for="rep-to">"To"</label>
                            <input
                                id="rep-to"
                                type="date"
                                required
                                prop:value=move || to.get()
                                on:input=move |ev| to.set(event_target_value(&ev))
                            />
                        </div>
                        <div class="adm-field rep-field">
                            <label for="rep-channel">"Channel"</label>
                            <select id="rep-channel" on:change=move |ev| channel.set(event_target_value(&ev))>
                                <option value="">"All"</option>
                                {channel_options}
                            </select>
                        </div>
                        <button type="submit" class="btn btn-primary">"Show"</button>
                    </form>
                    <p class="muted">"Hours are UTC."</p>
                    {move || channels_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    <p class="rep-status" role="status">{move || busy.get().then_some("Loading…")}</p>
                    <div class="adm-actions rep-downloads">
                        {move || {
                            csv("invites")()
                                .map(|href| {
                                    view! {
                                        <a class="btn btn-ghost adm-small" href=href download="automatic-invites.csv">
                                            "Download Automatic invites (CSV)"
                                        </a>
                                    }
                                })
                        }}
                        {move || {
                            csv("traffic")()
                                .map(|href| {
                                    view! {
                                        <a class="btn btn-ghost adm-small" href=href download="traffic.csv">
                                            "Download Traffic (CSV)"
                                        </a>
                                    }
                                })
                        }}
                        {move || {
                            csv("ratings")()
                                .map(|href| {
                                    view! {
                                        <a class="btn btn-ghost adm-small" href=href download="ratings.csv">
                                            "Download Ratings (CSV)"
                                        </a>
                                    }
                                })
                        }}
                    </div>
                    <InviteSection rows=invite_rows />
                    <TrafficSection rows=traffic_rows channels />
                    <RatingsSection rows=rating_rows />
                </div>
            </div>
        </section>
    }
}

/// The funnel of each rule, then invites by hour of day.
#[component]
fn InviteSection(rows: RwSignal<Option<InviteReport>>) -> impl IntoView {
    let funnels = Memo::new(move |_| rows.with(|r| r.as_ref().map(|r| funnel_by_rule(&r.rows))));
    let hours = Memo::new(move |_| rows.with(|r| r.as_ref().map(|r| by_hour_of_day(&r.rows))));
    view! {
        <section class="rep-part" aria-labelledby="rep-invites-title">
            <h2 id="rep-invites-title">"Automatic invites"</h2>
            {move || {
                funnels
                    .get()
                    .map(|funnels| {
                        if funnels.is_empty() {
                            view! { <p class="muted rep-empty">"No invites shown in this period."</p> }.into_any()
                        } else {
                            let cards = funnels.into_iter().map(|f| view! { <RuleCard f /> }).collect_view();
                            view! {
                                <div class="rep-rules">{cards}</div>
                                <HourBars hours=hours.get().unwrap_or([(0, 0); 24]) />
                            }
                                .into_any()
                        }
                    })
            }}
        </section>
    }
}

/// One rule: its name, conversion rate and funnel (a table with a bar per step).
#[component]
fn RuleCard(f: RuleFunnel) -> impl IntoView {
    let Funnel { matched, cancelled, proactive, accepted, declined, ignored, expired, no_availability } = f.funnel;
    let steps = [
        ("Matched", matched),
        ("Shown (proactive)", proactive),
        ("Accepted", accepted),
        ("Declined", declined),
        ("Ignored", ignored),
        ("Expired", expired),
        ("Cancelled (no operator)", cancelled),
        ("No availability", no_availability),
    ];
    let conversion = match f.conversion() {
        Some(p) => format!("Conversion rate: {p}% ({accepted} accepted of {proactive} shown)"),
        None => "Conversion rate: — (none shown)".to_owned(),
    };
    let rows = steps
        .into_iter()
        .map(|(label, n)| {
            let share = percent(n, matched);
            let width = share.unwrap_or(0).min(100);
            view! {
                <tr>
                    <th scope="row">{label}</th>
                    <td class="adm-num">{n}</td>
                    <td class="adm-num">{share.map(|p| format!("{p}%")).unwrap_or_else(|| "—".into())}</td>
                    <td class="rep-bar-cell" aria-hidden="true">
                        <span class="rep-bar" style=format!("width:{width}%")></span>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let title = f.filter_name.clone();
    view! {
        <article class="adm-card rep-rule" aria-label=format!("Rule {title}")>
            <h3>{title.clone()}</h3>
            <p class="rep-conversion">{conversion}</p>
            <div class="adm-table-wrap">
                <table class="adm-table rep-funnel">
                    <caption class="adm-sr">{format!("Funnel of {title}")}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Step"</th>
                            <th scope="col">"Count"</th>
                            <th scope="col">"Of matched"</th>
                            <th scope="col" aria-hidden="true"></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </article>
    }
}

/// Shown and accepted invites for each hour of day, as bars (values in text for screen readers
/// and as tooltips).
#[component]
fn HourBars(hours: [(u64, u64); 24]) -> impl IntoView {
    let top = hours.iter().map(|h| h.0.max(h.1)).max().unwrap_or(0).max(1);
    let bars = hours
        .iter()
        .enumerate()
        .map(|(hour, &(shown, accepted))| {
            let text = format!("{hour:02}:00: {shown} shown, {accepted} accepted");
            let height = |n: u64| format!("height:{}%", n * 100 / top);
            let title = text.clone();
            view! {
                <li class="rep-hour" title=title>
                    <span class="rep-hour-bars" aria-hidden="true">
                        <span class="rep-col rep-col-shown" style=height(shown)></span>
                        <span class="rep-col rep-col-accepted" style=height(accepted)></span>
                    </span>
                    <span class="rep-hour-label" aria-hidden="true">{hour}</span>
                    <span class="adm-sr">{text}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <figure class="rep-hours-fig">
            <figcaption>"Invites by hour of day"</figcaption>
            <p class="rep-legend muted" aria-hidden="true">
                <span class="rep-key rep-col-shown"></span>
                " Shown "
                <span class="rep-key rep-col-accepted"></span>
                " Accepted"
            </p>
            <ol class="rep-hours" aria-label="Invites by hour of day (UTC)">
                {bars}
            </ol>
        </figure>
    }
}

/// Traffic per entry point, with an hourly detail table on request.
#[component]
fn TrafficSection(
    rows: RwSignal<Option<TrafficReport>>,
    channels: RwSignal<Option<Vec<ChannelView>>>,
) -> impl IntoView {
    let detail = RwSignal::new(false);
    view! {
        <section class="rep-part" aria-labelledby="rep-traffic-title">
            <h2 id="rep-traffic-title">"Traffic"</h2>
            {move || {
                rows.with(|r| {
                    r.as_ref()
                        .map(|r| {
                            if r.rows.is_empty() {
                                view! { <p class="muted rep-empty">"No traffic in this period."</p> }.into_any()
                            } else {
                                let names = channels.with(|c| {
                                    c.iter().flatten().map(|c| (c.id.clone(), c.name.clone())).collect()
                                });
                                traffic_tables(&r.rows, &names, detail).into_any()
                            }
                        })
                })
            }}
        </section>
    }
}

fn traffic_tables(rows: &[TrafficRow], names: &HashMap<String, String>, detail: RwSignal<bool>) -> impl IntoView {
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let totals = totals_by_entry_point(rows)
        .into_iter()
        .map(|e| {
            view! {
                <tr>
                    <th scope="row">{e.entrypoint}</th>
                    <td>{name(&e.chatcampaign_id)}</td>
                    <td class="adm-num">{e.visits}</td>
                    <td class="adm-num">{e.views}</td>
                    <td class="adm-num">{e.clicks}</td>
                    <td class="adm-num">{e.chats}</td>
                </tr>
            }
        })
        .collect_view();
    let hourly = rows
        .iter()
        .map(|r| {
            view! {
                <tr>
                    <td class="adm-num">{r.hour_begin_time.clone()}</td>
                    <th scope="row">{r.entrypoint.clone()}</th>
                    <td>{name(&r.chatcampaign_id)}</td>
                    <td class="adm-num">{r.visits}</td>
                    <td class="adm-num">{r.views}</td>
                    <td class="adm-num">{r.clicks}</td>
                    <td class="adm-num">{r.chats}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable
            class="rep-traffic"
            caption="Traffic"
            hide_caption=true
            headers=&["Entry point", "Channel", "Visits", "Views", "Clicks", "Chats"]
        >
            {totals}
        </DataTable>
        <button
            type="button"
            class="btn btn-ghost adm-small"
            aria-expanded=move || detail.get().to_string()
            aria-controls="rep-traffic-hours"
            on:click=move |_| detail.update(|d| *d = !*d)
        >
            {move || if detail.get() { "Hide hourly detail" } else { "Show hourly detail" }}
        </button>
        <div id="rep-traffic-hours" prop:hidden=move || !detail.get()>
            <DataTable
                class="rep-traffic-hours"
                caption="Traffic by hour (UTC)"
                headers=&["Hour", "Entry point", "Channel", "Visits", "Views", "Clicks", "Chats"]
            >
                {hourly}
            </DataTable>
        </div>
    }
}

/// The visitors' ratings per operator and work shift (a shift is the day's span from going
/// online to going offline, UTC; an empty shift holds chats closed outside every shift).
#[component]
fn RatingsSection(rows: RwSignal<Option<RatingsReport>>) -> impl IntoView {
    view! {
        <section class="rep-part" aria-labelledby="rep-ratings-title">
            <h2 id="rep-ratings-title">"Ratings"</h2>
            {move || {
                rows.with(|r| {
                    r.as_ref()
                        .map(|r| {
                            if r.rows.is_empty() {
                                view! { <p class="muted rep-empty">"No work shifts or rated chats in this period."</p> }
                                    .into_any()
                            } else {
                                let body = r
                                    .rows
                                    .iter()
                                    .map(|r| {
                                        let shift = if r.workshift_start.is_empty() {
                                            "Outside a shift".to_owned()
                                        } else {
                                            format!("{} – {}", r.workshift_start, r.workshift_end)
                                        };
                                        let happy =
                                            r.happy_percent.map(|p| format!("{p}%")).unwrap_or_else(|| "—".into());
                                        view! {
                                            <tr>
                                                <th scope="row">{r.agent_name.clone()}</th>
                                                <td class="adm-num">{shift}</td>
                                                <td class="adm-num">{r.survey_num_good}</td>
                                                <td class="adm-num">{r.survey_num_moderate}</td>
                                                <td class="adm-num">{r.survey_num_bad}</td>
                                                <td class="adm-num">{r.survey_num_not_rated}</td>
                                                <td class="adm-num">{happy}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view();
                                view! {
                                    <DataTable
                                        class="rep-ratings"
                                        caption="Ratings per operator and work shift (UTC)"
                                        hide_caption=true
                                        headers=&["Operator", "Work shift", "Good", "Moderate", "Bad", "Not rated", "Happy"]
                                    >
                                        {body}
                                    </DataTable>
                                }
                                    .into_any()
                            }
                        })
                })
            }}
        </section>
    }
}

//! "Reports" (admins), two tabs:
//!
//! - **All reports** ([`ReportExplorer`]): a report picker grouped by `ReportId::family()`, a
//!   period (From/To dates sent as `from=YYYY-MM-DD&to=YYYY-MM-DD`: the edge reads them as days
//!   of the account's time zone, both included; the zone shows with the result), the spec's
//!   filters (channel, host, page, operator, status, tag, category, entry point; SLA minutes
//!   for "Statistics by operator", grouping for "Session statistics"), "Show" →
//!   `GET /api/v1/reports/<slug>?<query>` rendered by [`ReportView`] with its CSV link
//!   `/api/v1/reports/<slug>.csv?<the answer's canonical query>` (the very period, zone and
//!   filters shown). A 400 naming a field shows next to that field, anything else as an alert.
//! - **Invites & traffic** ([`InvitesTraffic`], the first view of this section): the
//!   automatic-invite funnel per rule, invites by hour of day, traffic per entry point, the
//!   visitors' ratings per operator and work shift, and the three CSV downloads, for a date
//!   range and channel. Its dates are the browser's local days: From is the start of its day,
//!   To the start of the day after (exclusive). The rows are the report engine's (its
//!   Automatic invites, Traffic and Ratings rows, asked without `tz`: UTC hours and days). The
//!   sums and percentages are `parley_reports`'s.
//!
//! The tab last chosen is remembered in `localStorage` (`parley.reports.tab`); "Invites &
//! traffic" until one is chosen.

use std::collections::HashMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::i18n::{fill, t, Texts};

use crate::net::{get_json, HttpError};
use js_sys::Date;
use parley_core::metrics::Funnel;
use parley_protocol::admin::ChannelView;
use parley_reports::invites::{by_hour_of_day, funnel_by_rule, RuleFunnel};
use parley_reports::traffic::{totals_by_entry_point, TrafficRow};
use parley_reports::{percent, InviteReport, RatingsReport, TrafficReport};

use parley_protocol::admin::{FieldError, OperatorView};
use parley_protocol::entry_points::EntryPointView;
use parley_protocol::outcomes::OutcomeSettings;
use parley_reports::query::{encode, ReportId};
use parley_reports::table::ReportResponse;

use crate::admin_api;
use crate::api;
use crate::form::{load_into, DataTable, TabKind};
use crate::report_view::ReportView;

const BASE: &str = "/api/v1/console/reports";
/// The report endpoints of issue 7 (`:slug` JSON, `:slug.csv`).
const REPORTS: &str = "/api/v1/reports";
const TAB_KEY: &str = "parley.reports.tab";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    All,
    InvitesTraffic,
}

impl crate::form::TabKind for Tab {
    fn key(self) -> &'static str {
        match self {
            Tab::All => "all",
            Tab::InvitesTraffic => "invites",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Tab::All => t().all_reports,
            Tab::InvitesTraffic => t().invites_traffic_tab,
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    parley_client::window().local_storage().ok().flatten()
}

fn stored_tab() -> Tab {
    match storage().and_then(|s| s.get_item(TAB_KEY).ok().flatten()).as_deref() {
        Some("all") => Tab::All,
        _ => Tab::InvitesTraffic,
    }
}

/// The Reports section (admins): "All reports" and "Invites & traffic" as tabs.
#[component]
pub fn Reports() -> impl IntoView {
    let current = RwSignal::new(stored_tab());
    let remember = |t: Tab| {
        if let Some(s) = storage() {
            let _ = s.set_item(TAB_KEY, t.key());
        }
    };
    let panel = |t: Tab| match t {
        Tab::All => view! { <ReportExplorer /> }.into_any(),
        Tab::InvitesTraffic => view! { <InvitesTraffic /> }.into_any(),
    };
    let tabs = vec![Tab::All, Tab::InvitesTraffic];
    view! {
        <section class="adm" aria-label=move || t().reports>
            {crate::form::tabbed("rep", |t| t.report_sections, tabs, current, remember, panel)}
        </section>
    }
}

/// The filters of the report form, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportForm {
    pub from: String,
    pub to: String,
    pub channel: String,
    pub host: String,
    pub page: String,
    pub operator: String,
    /// `all`, `active`, `closed`, `no_operator_response`.
    pub status: String,
    pub tag: String,
    pub category: String,
    pub entry_point: String,
    /// Minutes ("Statistics by operator" only).
    pub sla: String,
    /// `day`, `hour`, `rating` ("Session statistics" only).
    pub group: String,
}

impl ReportForm {
    /// The query string of `report` (percent-encoded; empty filters, `status=all`, and the
    /// options of other reports left out), or the field that is wrong.
    pub fn query(&self, report: ReportId) -> Result<String, FieldError> {
        let date = |field: &str, v: &str| -> Result<String, FieldError> {
            let v = v.trim();
            let ok = v.len() == 10
                && v.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
            if ok {
                Ok(v.to_owned())
            } else {
                Err(FieldError::new(field, t().enter_date))
            }
        };
        let (from, to) = (date("from", &self.from)?, date("to", &self.to)?);
        if to < from {
            return Err(FieldError::new("to", t().to_after_from));
        }
        let mut pairs = vec![("from", from), ("to", to)];
        let texts = [
            ("channel", &self.channel),
            ("host", &self.host),
            ("page", &self.page),
            ("operator", &self.operator),
            ("tag", &self.tag),
            ("category", &self.category),
            ("entry_point", &self.entry_point),
        ];
        for (k, v) in texts {
            if !v.trim().is_empty() {
                pairs.push((k, v.trim().to_owned()));
            }
        }
        if !self.status.is_empty() && self.status != "all" {
            pairs.push(("status", self.status.clone()));
        }
        if report == ReportId::ByOperator && !self.sla.trim().is_empty() {
            let sla = self.sla.trim();
            if !sla.parse::<u32>().is_ok_and(|m| (1..=1440).contains(&m)) {
                return Err(FieldError::new("sla", t().sla_minutes_error));
            }
            pairs.push(("sla", sla.to_owned()));
        }
        if report == ReportId::SessionStatistics && !self.group.is_empty() && self.group != "day" {
            pairs.push(("group", self.group.clone()));
        }
        Ok(pairs.into_iter().map(|(k, v)| format!("{k}={}", encode(&v))).collect::<Vec<_>>().join("&"))
    }
}

/// The CSV of exactly what a response shows: its report with its canonical query (the period
/// resolved to ms, the zone and the filters as the edge understood them).
pub fn csv_href(r: &ReportResponse) -> String {
    format!("{REPORTS}/{}.csv?{}", r.query.report.slug(), r.query.canonical())
}

/// The account's hosts as `(id, hostname)`, read from the Hosts report (seed 001 columns `id`,
/// `hostname`), which lists all of them whatever the period.
pub fn hosts_of(r: &ReportResponse) -> Vec<(String, String)> {
    let col = |name: &str| r.table.columns.iter().position(|c| c == name);
    let (Some(id), Some(host)) = (col("id"), col("hostname")) else {
        return Vec::new();
    };
    r.table.rows.iter().filter_map(|row| Some((row.get(id)?.clone(), row.get(host)?.clone()))).collect()
}

/// What the console reads of `GET /api/v1/console/account`.
#[derive(serde::Deserialize)]
struct AccountZone {
    time_zone: String,
}

/// The reports in picker order, grouped by family.
fn families() -> Vec<(&'static str, Vec<ReportId>)> {
    let mut out: Vec<(&'static str, Vec<ReportId>)> = Vec::new();
    for r in ReportId::ALL {
        match out.iter_mut().find(|(f, _)| *f == r.family()) {
            Some((_, list)) => list.push(r),
            None => out.push((r.family(), vec![r])),
        }
    }
    out
}

/// The report form's fields: each a label, its control bound to one [`ReportForm`] text, and
/// the error of its field (a 400 naming it, or the browser's check) under it, the control then
/// `aria-invalid`.
#[derive(Clone, Copy)]
struct FormFields {
    form: RwSignal<ReportForm>,
    error: RwSignal<Option<FieldError>>,
}

impl FormFields {
    /// The error of `field`, if any, shown under it (`#rpt-<field>-error`).
    fn error_of(self, field: &'static str) -> impl IntoView {
        let error = self.error;
        move || {
            error.get().filter(|e| e.field == field).map(|e| {
                view! {
                    <span class="error rep-field-error" id=format!("rpt-{field}-error") role="alert">
                        {e.message}
                    </span>
                }
            })
        }
    }

    fn invalid(self, field: &'static str) -> impl Fn() -> String + Copy {
        let error = self.error;
        move || error.with(|e| e.as_ref().is_some_and(|e| e.field == field)).to_string()
    }

    /// `<input type=kind>` (`date` inputs are required; `number` is the SLA's 1–1440 minutes).
    fn input(
        self,
        field: &'static str,
        label: fn(&'static Texts) -> &'static str,
        kind: &'static str,
        placeholder: fn(&'static Texts) -> &'static str,
        get: fn(&ReportForm) -> String,
        set: fn(&mut ReportForm, String),
    ) -> impl IntoView {
        let form = self.form;
        let number = kind == "number";
        view! {
            <div class="adm-field rep-field">
                <label for=format!("rpt-{field}")>{move || label(t())}</label>
                <input
                    id=format!("rpt-{field}")
                    type=kind
                    required=kind == "date"
                    min=number.then_some("1")
                    max=number.then_some("1440")
                    step=number.then_some("1")
                    placeholder=move || Some(placeholder(t())).filter(|p| !p.is_empty())
                    aria-invalid=self.invalid(field)
                    prop:value=move || form.with(get)
                    on:input=move |ev| form.update(|f| set(f, event_target_value(&ev)))
                />
                {self.error_of(field)}
            </div>
        }
    }

    /// `<select>` of `options`.
    fn select(
        self,
        field: &'static str,
        label: fn(&'static Texts) -> &'static str,
        get: fn(&ReportForm) -> String,
        set: fn(&mut ReportForm, String),
        options: impl IntoView + 'static,
    ) -> impl IntoView {
        let form = self.form;
        view! {
            <div class="adm-field rep-field">
                <label for=format!("rpt-{field}")>{move || label(t())}</label>
                <select
                    id=format!("rpt-{field}")
                    aria-invalid=self.invalid(field)
                    prop:value=move || form.with(get)
                    on:change=move |ev| form.update(|f| set(f, event_target_value(&ev)))
                >
                    {options}
                </select>
                {self.error_of(field)}
            </div>
        }
    }
}

/// Every report, one form: pick, period, filters, Show; the answer in a [`ReportView`].
#[component]
fn ReportExplorer() -> impl IntoView {
    let report = RwSignal::new(ReportId::Conversations);
    let form = RwSignal::new(ReportForm {
        from: local_day(-6),
        to: local_day(0),
        status: "all".into(),
        sla: "1".into(),
        group: "day".into(),
        ..ReportForm::default()
    });
    let channels = RwSignal::new(None::<Vec<ChannelView>>);
    let operators = RwSignal::new(None::<Vec<OperatorView>>);
    let outcome = RwSignal::new(None::<OutcomeSettings>);
    let entry_points = RwSignal::new(Vec::<EntryPointView>::new());
    // The account's hosts (id, hostname) from the Hosts report, and its time zone; without
    // them the host is typed and the zone shows with the first answer.
    let hosts = RwSignal::new(Vec::<(String, String)>::new());
    let zone = RwSignal::new(None::<String>);
    leptos::task::spawn_local(async move {
        let today = local_day(0);
        if let Ok(r) = get_json::<ReportResponse>(&format!("{REPORTS}/hosts?from={today}&to={today}")).await {
            hosts.try_set(hosts_of(&r));
        }
    });
    leptos::task::spawn_local(async move {
        if let Ok(a) = get_json::<AccountZone>("/api/v1/console/account").await {
            zone.try_set(Some(a.time_zone));
        }
    });
    let list_error = RwSignal::new(None::<String>);
    load_into(channels, list_error, admin_api::channels());
    load_into(operators, list_error, admin_api::operators());
    load_into(outcome, list_error, crate::outcome_settings::load());
    // Every channel's entry points, once the channels are known.
    Effect::new(move |_| {
        let ids: Vec<String> = channels.with(|c| c.iter().flatten().map(|c| c.id.clone()).collect());
        leptos::task::spawn_local(async move {
            let mut all = Vec::new();
            for id in ids {
                if let Ok(list) = admin_api::entry_points(&id).await {
                    all.extend(list);
                }
            }
            entry_points.try_set(all);
        });
    });

    let response = RwSignal::new(None::<ReportResponse>);
    let error = RwSignal::new(None::<FieldError>);
    let busy = RwSignal::new(false);
    let generation = StoredValue::new(0u32);

    let show = move || {
        let which = report.get_untracked();
        let query = match form.with_untracked(|f| f.query(which)) {
            Ok(q) => q,
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let r = get_json::<ReportResponse>(&format!("{REPORTS}/{}?{query}", which.slug())).await;
            // A later "Show" wins.
            if generation.try_get_value() != Some(mine) {
                return;
            }
            busy.try_set(false);
            match r {
                Ok(r) => {
                    response.try_set(Some(r));
                }
                Err(e) => {
                    error.try_set(Some(FieldError::new(&e.field, api::describe(&e))));
                }
            }
        });
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        show();
    };

    let picker = families()
        .into_iter()
        .map(|(family, list)| {
            let options = list
                .into_iter()
                .map(|r| view! { <option value=r.slug() selected={r == ReportId::Conversations}>{r.title()}</option> })
                .collect_view();
            view! { <optgroup label=family>{options}</optgroup> }
        })
        .collect_view();

    let channel_options = move || {
        channels.with(|c| {
            c.iter().flatten().map(|c| view! { <option value=c.id.clone()>{c.name.clone()}</option> }).collect_view()
        })
    };
    let operator_options = move || {
        operators.with(|o| {
            o.iter()
                .flatten()
                .map(|o| {
                    let name = if o.chat_name.trim().is_empty() { o.username.clone() } else { o.chat_name.clone() };
                    view! { <option value=o.id.clone()>{name}</option> }
                })
                .collect_view()
        })
    };
    let category_options = move || {
        outcome.with(|s| {
            s.iter()
                .flat_map(|s| s.categories.iter())
                .map(|c| view! { <option value=c.name.clone()>{c.name.clone()}</option> })
                .collect_view()
        })
    };
    let host_options = move || {
        hosts.with(|h| {
            h.iter().map(|(id, name)| view! { <option value=id.clone()>{name.clone()}</option> }).collect_view()
        })
    };
    let entry_options = move || {
        let names: HashMap<String, String> =
            channels.with(|c| c.iter().flatten().map(|c| (c.id.clone(), c.name.clone())).collect());
        entry_points.with(|eps| {
            eps.iter()
                .map(|e| {
                    let channel = names.get(e.channel_id.as_str()).cloned().unwrap_or_else(|| e.channel_id.to_string());
                    view! { <option value=e.id.clone()>{format!("{} — {channel}", e.name)}</option> }
                })
                .collect_view()
        })
    };

    let fields = FormFields { form, error };
    let field_error = move |field: &'static str| fields.error_of(field);
    const SHOWN_FIELDS: [&str; 13] = [
        "report",
        "from",
        "to",
        "channel",
        "host",
        "page",
        "operator",
        "status",
        "tag",
        "category",
        "entry_point",
        "sla",
        "group",
    ];

    view! {
        <div class="adm-section rep rpt">
            <h2>{move || t().reports}</h2>
            <form class="rep-filters rpt-filters" on:submit=on_submit aria-busy=move || busy.get().to_string() novalidate>
                <div class="adm-field rep-field rpt-report">
                    <label for="rpt-report">{move || t().report}</label>
                    <select
                        id="rpt-report"
                        on:change=move |ev| {
                            if let Some(r) = ReportId::from_slug(&event_target_value(&ev)) {
                                report.set(r);
                            }
                        }
                    >
                        {picker}
                    </select>
                    {field_error("report")}
                </div>
                {fields.input("from", |t| t.from, "date", |_| "", |f| f.from.clone(), |f, v| f.from = v)}
                {fields.input("to", |t| t.to, "date", |_| "", |f| f.to.clone(), |f, v| f.to = v)}
                {fields.select("channel", |t| t.channel, |f| f.channel.clone(), |f, v| f.channel = v, view! {
                    <option value="">{move || t().all}</option>
                    {channel_options}
                })}
                {move || if hosts.with(Vec::is_empty) {
                    fields.input("host", |t| t.host, "text", |t| t.host_id, |f| f.host.clone(), |f, v| f.host = v).into_any()
                } else {
                    fields.select("host", |t| t.host, |f| f.host.clone(), |f, v| f.host = v, view! {
                        <option value="">{move || t().all}</option>
                        {host_options}
                    }).into_any()
                }}
                {fields.input("page", |t| t.page_contains, "text", |_| "/pricing", |f| f.page.clone(), |f, v| f.page = v)}
                {fields.select("operator", |t| t.operator, |f| f.operator.clone(), |f, v| f.operator = v, view! {
                    <option value="">{move || t().all}</option>
                    {operator_options}
                })}
                {fields.select("status", |t| t.status, |f| f.status.clone(), |f, v| f.status = v, view! {
                    <option value="all">{move || t().all}</option>
                    <option value="active">{move || t().status_active}</option>
                    <option value="closed">{move || t().status_closed}</option>
                    <option value="no_operator_response">{move || t().no_operator_response}</option>
                })}
                {fields.input("tag", |t| t.tag, "text", |_| "", |f| f.tag.clone(), |f, v| f.tag = v)}
                {fields.select("category", |t| t.category, |f| f.category.clone(), |f, v| f.category = v, view! {
                    <option value="">{move || t().all}</option>
                    {category_options}
                })}
                {fields.select("entry_point", |t| t.entry_point, |f| f.entry_point.clone(), |f, v| f.entry_point = v, view! {
                    <option value="">{move || t().all}</option>
                    {entry_options}
                })}
                {move || (report.get() == ReportId::ByOperator).then(|| {
                    fields.input("sla", |t| t.sla_minutes, "number", |_| "", |f| f.sla.clone(), |f, v| f.sla = v)
                })}
                {move || (report.get() == ReportId::SessionStatistics).then(|| {
                    fields.select("group", |t| t.group_by, |f| f.group.clone(), |f, v| f.group = v, view! {
                        <option value="day">{move || t().creation_date}</option>
                        <option value="hour">{move || t().creation_hour}</option>
                        <option value="rating">{move || t().rating}</option>
                    })
                })}
                <button type="submit" class="btn btn-primary">{move || t().show}</button>
            </form>
            <p class="muted rpt-zone">
                {move || match response.with(|r| r.as_ref().map(|r| r.query.tz.clone())).or_else(|| zone.get()) {
                    Some(tz) => fill(t().dates_in_zone, &[("tz", &tz)]),
                    None => t().dates_in_account_zone.to_owned(),
                }}
            </p>
            {move || list_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || {
                error
                    .get()
                    .filter(|e| !SHOWN_FIELDS.contains(&e.field.as_str()))
                    .map(|e| view! { <p class="error" role="alert">{e.message}</p> })
            }}
            <p class="rep-status" role="status">{move || busy.get().then(|| t().loading)}</p>
            {move || {
                response.get().map(|r| {
                    let href = csv_href(&r);
                    let query = r.query.clone();
                    view! {
                        <crate::report_links::ShareLink query />
                        <ReportView response=r csv_href=Some(href) />
                    }
                })
            }}
            <crate::report_links::SharedLinks />
        </div>
    }
}

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
fn InvitesTraffic() -> impl IntoView {
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
            error.set(Some(crate::i18n::t().enter_both_dates.into()));
            return;
        };
        if start >= end {
            error.set(Some(crate::i18n::t().from_before_to.into()));
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
        <section aria-label=move || t().invites_and_traffic>
            <div>
                <div class="adm-section rep">
                    <h2>{move || t().invites_traffic_tab}</h2>
                    <form class="rep-filters" on:submit=on_submit aria-busy=move || busy.get().to_string()>
                        <div class="adm-field rep-field">
                            <label for="rep-from">{move || t().from}</label>
                            <input
                                id="rep-from"
                                type="date"
                                required
                                prop:value=move || from.get()
                                on:input=move |ev| from.set(event_target_value(&ev))
                            />
                        </div>
                        <div class="adm-field rep-field">
                            <label for="rep-to">{move || t().to}</label>
                            <input
                                id="rep-to"
                                type="date"
                                required
                                prop:value=move || to.get()
                                on:input=move |ev| to.set(event_target_value(&ev))
                            />
                        </div>
                        <div class="adm-field rep-field">
                            <label for="rep-channel">{move || t().channel}</label>
                            <select id="rep-channel" on:change=move |ev| channel.set(event_target_value(&ev))>
                                <option value="">{move || t().all}</option>
                                {channel_options}
                            </select>
                        </div>
                        <button type="submit" class="btn btn-primary">{move || t().show}</button>
                    </form>
                    <p class="muted">{move || t().hours_utc}</p>
                    {move || channels_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    <p class="rep-status" role="status">{move || busy.get().then(|| t().loading)}</p>
                    <div class="adm-actions rep-downloads">
                        {move || {
                            csv("invites")()
                                .map(|href| {
                                    view! {
                                        <a class="btn btn-ghost adm-small" href=href download="automatic-invites.csv">
                                            {move || t().download_invites_csv}
                                        </a>
                                    }
                                })
                        }}
                        {move || {
                            csv("traffic")()
                                .map(|href| {
                                    view! {
                                        <a class="btn btn-ghost adm-small" href=href download="traffic.csv">
                                            {move || t().download_traffic_csv}
                                        </a>
                                    }
                                })
                        }}
                        {move || {
                            csv("ratings")()
                                .map(|href| {
                                    view! {
                                        <a class="btn btn-ghost adm-small" href=href download="ratings.csv">
                                            {move || t().download_ratings_csv}
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
            <h2 id="rep-invites-title">{move || t().automatic_invites}</h2>
            {move || {
                funnels
                    .get()
                    .map(|funnels| {
                        if funnels.is_empty() {
                            view! { <p class="muted rep-empty">{move || t().no_invites_period}</p> }.into_any()
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
    let t = t();
    let steps = [
        (t.f_matched, matched),
        (t.f_shown, proactive),
        (t.f_accepted, accepted),
        (t.f_declined, declined),
        (t.f_ignored, ignored),
        (t.f_expired, expired),
        (t.f_cancelled, cancelled),
        (t.f_no_availability, no_availability),
    ];
    let conversion = match f.conversion() {
        Some(p) => fill(
            t.conversion_rate,
            &[("p", &p.to_string()), ("accepted", &accepted.to_string()), ("shown", &proactive.to_string())],
        ),
        None => t.conversion_none.to_owned(),
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
        <article class="adm-card rep-rule" aria-label=fill(t.rule_named, &[("title", &title)])>
            <h3>{title.clone()}</h3>
            <p class="rep-conversion">{conversion}</p>
            // Focusable: longer labels (Spanish, French, German, Russian) make it scroll sideways.
            <div class="adm-table-wrap" tabindex="0" role="group" aria-label=fill(t.funnel_of, &[("title", &title)])>
                <table class="adm-table rep-funnel">
                    <caption class="adm-sr">{fill(t.funnel_of, &[("title", &title)])}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{t.step}</th>
                            <th scope="col">{t.count}</th>
                            <th scope="col">{t.of_matched}</th>
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
            let text = fill(
                t().hour_shown_accepted,
                &[("hour", &format!("{hour:02}")), ("shown", &shown.to_string()), ("accepted", &accepted.to_string())],
            );
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
            <figcaption>{move || t().invites_by_hour}</figcaption>
            <p class="rep-legend muted" aria-hidden="true">
                <span class="rep-key rep-col-shown"></span>
                {move || t().shown_space}
                <span class="rep-key rep-col-accepted"></span>
                {move || t().accepted_space}
            </p>
            <ol class="rep-hours" aria-label=move || t().invites_by_hour_utc>
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
            <h2 id="rep-traffic-title">{move || t().traffic}</h2>
            {move || {
                rows.with(|r| {
                    r.as_ref()
                        .map(|r| {
                            if r.rows.is_empty() {
                                view! { <p class="muted rep-empty">{move || t().no_traffic}</p> }.into_any()
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
                    <td>{name(e.chatcampaign_id.as_str())}</td>
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
                    <td>{name(r.chatcampaign_id.as_str())}</td>
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
            caption=move || t().traffic
            hide_caption=true
            headers=|t| vec![t.entry_point, t.channel, t.visits, t.views, t.clicks, t.chats]
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
            {move || if detail.get() { t().hide_hourly } else { t().show_hourly }}
        </button>
        <div id="rep-traffic-hours" prop:hidden=move || !detail.get()>
            <DataTable
                class="rep-traffic-hours"
                caption=move || t().traffic_by_hour
                headers=|t| vec![t.hour, t.entry_point, t.channel, t.visits, t.views, t.clicks, t.chats]
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
            <h2 id="rep-ratings-title">{move || t().ratings}</h2>
            {move || {
                rows.with(|r| {
                    r.as_ref()
                        .map(|r| {
                            if r.rows.is_empty() {
                                view! { <p class="muted rep-empty">{move || t().no_shifts}</p> }
                                    .into_any()
                            } else {
                                let body = r
                                    .rows
                                    .iter()
                                    .map(|r| {
                                        let shift = if r.workshift_start.is_empty() {
                                            t().outside_shift.to_owned()
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
                                        caption=move || t().ratings_caption
                                        hide_caption=true
                                        headers=|t| vec![t.operator, t.work_shift, t.rating_good, t.rating_moderate, t.rating_bad, t.not_rated, t.happy]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ReportForm {
        ReportForm {
            from: "2026-11-01".into(),
            to: "2026-11-07".into(),
            status: "all".into(),
            sla: "1".into(),
            group: "day".into(),
            ..ReportForm::default()
        }
    }

    #[test]
    fn query_has_dates_and_only_the_filters_set() {
        assert_eq!(form().query(ReportId::Conversations).unwrap(), "from=2026-11-01&to=2026-11-07");
        let mut f = form();
        f.channel = "demo".into();
        f.page = " /pricing?a=1 ".into();
        f.status = "no_operator_response".into();
        f.tag = "VIP & co".into();
        assert_eq!(
            f.query(ReportId::Conversations).unwrap(),
            "from=2026-11-01&to=2026-11-07&channel=demo&page=%2Fpricing%3Fa%3D1&tag=VIP%20%26%20co&status=no_operator_response"
        );
    }

    #[test]
    fn report_options_only_for_their_report() {
        let mut f = form();
        f.sla = "5".into();
        f.group = "rating".into();
        assert_eq!(f.query(ReportId::ByOperator).unwrap(), "from=2026-11-01&to=2026-11-07&sla=5");
        assert_eq!(f.query(ReportId::SessionStatistics).unwrap(), "from=2026-11-01&to=2026-11-07&group=rating");
        assert_eq!(f.query(ReportId::Overview).unwrap(), "from=2026-11-01&to=2026-11-07");
        f.sla = "0".into();
        assert_eq!(f.query(ReportId::ByOperator).unwrap_err().field, "sla");
        assert!(f.query(ReportId::Overview).is_ok(), "the SLA of another report is not checked");
    }

    #[test]
    fn bad_dates_name_their_field() {
        let mut f = form();
        f.from = String::new();
        assert_eq!(f.query(ReportId::Tags).unwrap_err().field, "from");
        let mut f = form();
        f.to = "2026-11-7".into();
        assert_eq!(f.query(ReportId::Tags).unwrap_err().field, "to");
        let mut f = form();
        f.to = "2026-10-31".into();
        let e = f.query(ReportId::Tags).unwrap_err();
        assert_eq!((e.field.as_str(), e.message.as_str()), ("to", "To must be on or after From."));
        f.to = f.from.clone();
        assert!(f.query(ReportId::Tags).is_ok(), "one day");
    }

    #[test]
    fn picker_groups_every_report_by_family() {
        let fam = families();
        assert_eq!(
            fam.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
            ["Exports", "Sessions", "Statistics", "Productivity"]
        );
        assert_eq!(fam.iter().map(|(_, l)| l.len()).sum::<usize>(), ReportId::ALL.len());
        assert!(fam.iter().all(|(f, l)| l.iter().all(|r| r.family() == *f)));
    }

    #[test]
    fn hosts_from_the_hosts_report() {
        use parley_reports::query::ReportQuery;
        use parley_reports::table::Table;
        let mut t = Table::new(&["id", "account_id", "hostname", "multiple_acc_id"]);
        t.push(vec!["h1".into(), "acc".into(), "shop.example".into(), String::new()], None);
        t.push(vec!["h2".into(), "acc".into(), "blog.example".into(), String::new()], None);
        let r =
            ReportResponse { query: ReportQuery::new(ReportId::Hosts, 0, 1, "UTC"), title: String::new(), table: t };
        assert_eq!(hosts_of(&r), vec![("h1".into(), "shop.example".into()), ("h2".into(), "blog.example".into())]);
        let other = ReportResponse { table: Table::new(&["x"]), ..r };
        assert!(hosts_of(&other).is_empty());
    }

    #[test]
    fn csv_link_is_the_answers_canonical_query() {
        use parley_reports::query::ReportQuery;
        use parley_reports::table::Table;
        let mut q = ReportQuery::new(ReportId::ByHour, 1000, 2000, "Europe/Berlin");
        q.channel = Some("demo".into());
        let r = ReportResponse { query: q, title: "Statistics by hour".into(), table: Table::new(&["hour"]) };
        assert_eq!(csv_href(&r), "/api/v1/reports/by_hour.csv?from=1000&to=2000&tz=Europe%2FBerlin&channel=demo");
    }
}

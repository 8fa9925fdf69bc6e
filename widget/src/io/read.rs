//! Reads the session answer (`parley_protocol::api::WidgetSession`: the channel's settings, its
//! invite rules and their conditions, goals, pre-chat form) from the value the browser's
//! `JSON.parse` gave, one property at a time. Same wire and same types as the shared crate; a
//! missing required field makes the whole answer unreadable, as with serde. Measured (issue 17):
//! serde's derived deserializers for these types and the `serde_wasm_bindgen` paths they pull in
//! cost the widget more than these readers: app 101.1 → 96.8 KB brotli (wasm 274.1 → 254.1 KB
//! raw; twiggy: serde_wasm_bindgen 20.4 → 8.6 KB, derived impls 14.4 → 7.0 KB; what is left
//! reads the protocol's frames in `parley_client`).

use parley_protocol::api::{ChannelInfo, WidgetSession};
use parley_protocol::entry_points::EntryPointRef;
use parley_protocol::invites::{Condition, Greeting, InviteSettings, Rule};
use parley_protocol::outcomes::{FormField, Goal};
use wasm_bindgen::JsValue;

use crate::io::prop;

/// A required string.
fn text(o: &JsValue, k: &str) -> Option<String> {
    prop(o, k).as_string()
}

/// A string with a default when absent.
fn text_or(o: &JsValue, k: &str, default: &str) -> Option<String> {
    let v = prop(o, k);
    if v.is_undefined() {
        return Some(default.to_owned());
    }
    v.as_string()
}

/// A whole number in `0..=max`.
fn whole(o: &JsValue, k: &str, max: f64) -> Option<u64> {
    let n = prop(o, k).as_f64()?;
    (n >= 0.0 && n.fract() == 0.0 && n <= max).then_some(n as u64)
}

/// A bool, `false` when absent.
fn flag(o: &JsValue, k: &str) -> Option<bool> {
    let v = prop(o, k);
    if v.is_undefined() {
        return Some(false);
    }
    v.as_bool()
}

/// A list read item by item; `None` when absent (the caller says whether that is allowed) or
/// when one item is unreadable.
fn list<T>(v: &JsValue, read: impl Fn(&JsValue) -> Option<T>) -> Option<Vec<T>> {
    if !web_sys::js_sys::Array::is_array(v) {
        return None;
    }
    web_sys::js_sys::Array::from(v).iter().map(|x| read(&x)).collect()
}

/// A list that defaults to empty when absent.
fn list_or_empty<T>(o: &JsValue, k: &str, read: impl Fn(&JsValue) -> Option<T>) -> Option<Vec<T>> {
    let v = prop(o, k);
    if v.is_undefined() {
        return Some(Vec::new());
    }
    list(&v, read)
}

pub fn session(v: &JsValue) -> Option<WidgetSession> {
    let conversation_id = prop(v, "conversation_id");
    Some(WidgetSession {
        channel: channel(&prop(v, "channel"))?,
        visitor_id: text(v, "visitor_id")?,
        visitor_token: text(v, "visitor_token")?,
        conversation_id: if conversation_id.is_null() || conversation_id.is_undefined() {
            None
        } else {
            Some(conversation_id.as_string()?)
        },
        identified: flag(v, "identified")?,
    })
}

fn channel(c: &JsValue) -> Option<ChannelInfo> {
    let button = prop(c, "button");
    Some(ChannelInfo {
        id: text(c, "id")?,
        name: text(c, "name")?,
        greeting: text(c, "greeting")?,
        accent: text(c, "accent")?,
        time_zone: text_or(c, "time_zone", "UTC")?,
        button: EntryPointRef { id: text(&button, "id")?, name: text(&button, "name")? },
        invites: list_or_empty(c, "invites", rule)?,
        prechat: list_or_empty(c, "prechat", |f| {
            Some(FormField { key: text(f, "key")?, label: text(f, "label")?, required: flag(f, "required")? })
        })?,
        goals: list_or_empty(c, "goals", goal)?,
        language: text_or(c, "language", "en")?,
        position: text_or(c, "position", "right")?,
        greetings: list_or_empty(c, "greetings", greeting)?,
    })
}

fn greeting(g: &JsValue) -> Option<Greeting> {
    Some(Greeting { language: text(g, "language")?, text: text(g, "text")? })
}

fn goal(g: &JsValue) -> Option<Goal> {
    let glob = prop(g, "url_glob");
    Some(Goal {
        id: text_or(g, "id", "")?,
        name: text(g, "name")?,
        value: prop(g, "value").as_f64()?,
        url_glob: if glob.is_null() || glob.is_undefined() { None } else { Some(glob.as_string()?) },
    })
}

fn rule(r: &JsValue) -> Option<Rule> {
    let i = prop(r, "invite");
    Some(Rule {
        id: text(r, "id")?,
        name: text(r, "name")?,
        invite: InviteSettings {
            when: condition(&prop(&i, "when"))?,
            always_show: flag(&i, "always_show")?,
            max_per_visitor: match prop(&i, "max_per_visitor").is_undefined() {
                true => 0,
                false => whole(&i, "max_per_visitor", u32::MAX.into())? as u32,
            },
            display_timeout_ms: whole(&i, "display_timeout_ms", 9.0e15)?,
            greetings: list(&prop(&i, "greetings"), greeting)?,
        },
    })
}

/// `{"if": "<kind>", ..fields}` (`parley_protocol::invites::ConditionWire`).
fn condition(c: &JsValue) -> Option<Condition> {
    let u32_of = |k: &str| whole(c, k, u32::MAX.into()).map(|n| n as u32);
    let u8_of = |k: &str| whole(c, k, 255.0).map(|n| n as u8);
    let all = |k: &str| list(&prop(c, k), condition);
    Some(match text(c, "if")?.as_str() {
        "page_url" => Condition::PageUrl { glob: text(c, "glob")? },
        "time_on_page_at_least" => Condition::TimeOnPageAtLeast { seconds: u32_of("seconds")? },
        "time_on_site_at_least" => Condition::TimeOnSiteAtLeast { seconds: u32_of("seconds")? },
        "pages_viewed_at_least" => Condition::PagesViewedAtLeast { pages: u32_of("pages")? },
        "returning" => Condition::Returning { returning: prop(c, "returning").as_bool()? },
        "referrer_contains" => Condition::ReferrerContains { text: text(c, "text")? },
        "language" => Condition::Language { any_of: list(&prop(c, "any_of"), JsValue::as_string)? },
        "hour_between" => Condition::HourBetween { from: u8_of("from")?, to: u8_of("to")? },
        "weekday" => Condition::Weekday {
            any_of: list(&prop(c, "any_of"), |d| {
                let n = d.as_f64()?;
                (n >= 0.0 && n.fract() == 0.0 && n <= 255.0).then_some(n as u8)
            })?,
        },
        "all" => Condition::All { all: all("all")? },
        "any" => Condition::Any { any: all("any")? },
        _ => return None,
    })
}

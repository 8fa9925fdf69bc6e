//! Timestamps as the operator reads them, from the browser's clock and time zone, written
//! the console language's way by the browser's `Intl` (`14:05` / `2:05 PM`, `3 Mar, 14:05` /
//! `3 мар., 14:05` / `3月3日 14:05`). Read in a reactive closure, they follow the language.

use js_sys::{Date, Object, Reflect};
use wasm_bindgen::JsValue;

fn options(pairs: &[(&str, &str)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    o.into()
}

/// The time of day for today, day, month and time for another day; empty for no time.
pub fn clock(ms: f64) -> String {
    if !ms.is_finite() || ms <= 0.0 {
        return String::new();
    }
    let d = Date::new(&JsValue::from_f64(ms));
    if d.get_time().is_nan() {
        return String::new();
    }
    let now = Date::new_0();
    let locale = crate::i18n::locale();
    let same_day =
        d.get_full_year() == now.get_full_year() && d.get_month() == now.get_month() && d.get_date() == now.get_date();
    if same_day {
        d.to_locale_time_string_with_options(&locale, &options(&[("hour", "2-digit"), ("minute", "2-digit")])).into()
    } else {
        let o = options(&[("day", "numeric"), ("month", "short"), ("hour", "2-digit"), ("minute", "2-digit")]);
        d.to_locale_string(&locale, &o).into()
    }
}

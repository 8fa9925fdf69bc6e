//! Timestamps as the operator reads them, from the browser's clock and time zone.

use js_sys::Date;
use wasm_bindgen::JsValue;

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `14:05` for today, `3 Mar 14:05` for another day, empty for no time.
pub fn clock(ms: f64) -> String {
    if !ms.is_finite() || ms <= 0.0 {
        return String::new();
    }
    let d = Date::new(&JsValue::from_f64(ms));
    if d.get_time().is_nan() {
        return String::new();
    }
    let now = Date::new_0();
    let hm = format!("{:02}:{:02}", d.get_hours(), d.get_minutes());
    let same_day =
        d.get_full_year() == now.get_full_year() && d.get_month() == now.get_month() && d.get_date() == now.get_date();
    if same_day {
        hm
    } else {
        let month = MONTHS.get(d.get_month() as usize).copied().unwrap_or("");
        format!("{} {month} {hm}", d.get_date())
    }
}

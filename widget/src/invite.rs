//! The page's side of automatic invites: the visitor's signals (what `parley_protocol::invites`
//! evaluates rules on) and what is remembered across pages for them. The rules, the matching
//! and the funnel of one invite are `parley_protocol::invites`.

use parley_protocol::invites::Signals;
use wasm_bindgen::prelude::*;
use web_sys::js_sys;

/// A site session ends after this long without a page view.
const SESSION_GAP_MS: u64 = 30 * 60 * 1000;

/// What invite rules need to remember across pages (one stored value per channel).
#[derive(Clone, Default)]
pub struct Visits {
    /// First page view ever on this site (ms); 0 = never.
    first_seen: u64,
    session_start: u64,
    last_seen: u64,
    /// Pages viewed in this session, this one included.
    pages: u32,
    /// Seen in an earlier session.
    returning: bool,
    /// How many times each rule was shown to this visitor (the frequency cap).
    shown: Vec<(String, u32)>,
}

impl Visits {
    /// Counts this page view at `now`: a new session after `SESSION_GAP_MS` without one.
    pub fn page_view(mut self, now: u64) -> Visits {
        if self.last_seen == 0 || now.saturating_sub(self.last_seen) > SESSION_GAP_MS {
            self.returning = self.first_seen != 0;
            self.session_start = now;
            self.pages = 0;
        }
        if self.first_seen == 0 {
            self.first_seen = now;
        }
        self.pages += 1;
        self.last_seen = now;
        self
    }

    pub fn shown(&self, rule_id: &str) -> u32 {
        self.shown.iter().find(|(id, _)| id == rule_id).map_or(0, |(_, n)| *n)
    }

    pub fn count_shown(&mut self, rule_id: &str) {
        match self.shown.iter_mut().find(|(id, _)| id == rule_id) {
            Some((_, n)) => *n += 1,
            None => self.shown.push((rule_id.to_owned(), 1)),
        }
    }
}

const KEY: &str = "visits";

pub fn load() -> Visits {
    crate::io::store::load(KEY).map(|t| Visits::decode(t.trim_matches('"'))).unwrap_or_default()
}

/// The invite signals, kept in the visitor's first-party storage once they consented
/// (`store`: in memory before; then rules see a one-page session and no cap memory).
pub fn save(visits: &Visits) {
    crate::io::store::save(KEY, &visits.encode());
}

impl Visits {
    /// `first start last pages returning rule:n…`, space-separated (ids have no spaces or
    /// colons): smaller in the widget than a serde type.
    fn encode(&self) -> String {
        let mut t =
            [self.first_seen, self.session_start, self.last_seen, u64::from(self.pages), u64::from(self.returning)]
                .map(|n| n.to_string())
                .join(" ");
        for (id, n) in &self.shown {
            t += " ";
            t += id;
            t += ":";
            t += &n.to_string();
        }
        t
    }

    /// The stored text; anything unreadable counts as a first visit.
    fn decode(t: &str) -> Visits {
        let mut words = t.split(' ');
        let mut num = || words.next().and_then(|w| w.parse::<u64>().ok()).unwrap_or(0);
        let mut v = Visits {
            first_seen: num(),
            session_start: num(),
            last_seen: num(),
            pages: num() as u32,
            returning: num() == 1,
            shown: Vec::new(),
        };
        for w in t.split(' ').skip(5) {
            if let Some((id, n)) = w.split_once(':') {
                v.shown.push((id.to_owned(), n.parse().unwrap_or(0)));
            }
        }
        v
    }
}

/// Strings the signals borrow.
pub struct Page {
    pub url: String,
    pub referrer: String,
    pub language: String,
}

impl Page {
    pub fn read() -> Page {
        let w = parley_client::window();
        Page {
            url: w.location().href().unwrap_or_default(),
            referrer: w.document().map(|d| d.referrer()).unwrap_or_default(),
            language: w.navigator().language().unwrap_or_default(),
        }
    }

    /// The signals at `now`; `loaded` is when the page started loading.
    pub fn signals<'a>(&'a self, visits: &Visits, loaded: u64, now: u64, time_zone: &str) -> Signals<'a> {
        let (hour, weekday) = hour_and_weekday(time_zone, now);
        Signals {
            url: &self.url,
            referrer: &self.referrer,
            language: &self.language,
            ms_on_page: now.saturating_sub(loaded),
            ms_on_site: now.saturating_sub(visits.session_start),
            pages_this_session: visits.pages,
            returning: visits.returning,
            hour,
            weekday,
        }
    }
}

/// When the page started loading (ms since the epoch): navigation start.
pub fn page_loaded_at() -> u64 {
    let since = parley_client::window().performance().map_or(0.0, |p| p.now());
    parley_client::now_ms().saturating_sub(since as u64)
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Intl)]
    type DateTimeFormat;
    #[wasm_bindgen(constructor, catch, js_namespace = Intl)]
    fn new(locale: &str, options: &JsValue) -> Result<DateTimeFormat, JsValue>;
    #[wasm_bindgen(method, js_name = formatToParts)]
    fn format_to_parts(this: &DateTimeFormat, at: f64) -> js_sys::Array;
}

/// Hour (0–23) and weekday (0 = Monday) at `now` in `zone`, by the browser's `Intl`; UTC when
/// the zone is unknown to it.
fn hour_and_weekday(zone: &str, now: u64) -> (u8, u8) {
    let options = |zone: &str| {
        let o = js_sys::Object::new();
        for (k, v) in [("timeZone", zone), ("hour", "numeric"), ("hourCycle", "h23"), ("weekday", "short")] {
            let _ = js_sys::Reflect::set(&o, &k.into(), &v.into());
        }
        o
    };
    let Ok(f) = DateTimeFormat::new("en-US", &options(zone)).or_else(|_| DateTimeFormat::new("en-US", &options("UTC")))
    else {
        return (0, 0);
    };
    let (mut hour, mut weekday) = (0, 0);
    for part in f.format_to_parts(now as f64).iter() {
        let get = |k: &str| js_sys::Reflect::get(&part, &k.into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
        match get("type").as_str() {
            "hour" => hour = get("value").parse::<u8>().unwrap_or(0) % 24,
            "weekday" => {
                let day = get("value");
                weekday =
                    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].iter().position(|d| *d == day).unwrap_or(0) as u8
            }
            _ => {}
        }
    }
    (hour, weekday)
}

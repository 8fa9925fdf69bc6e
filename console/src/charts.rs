//! The report charts, drawn as inline SVG (no chart crate): a [`Chart`] of
//! `parley_reports::table` becomes
//!
//! - `Bars`: one group per label, the series side by side (grouped bars);
//! - `Stacked`: one bar per label, the series stacked bottom-up in their order (e.g. by rating),
//!   with a legend;
//! - `Funnel`: one horizontal bar per series (a stage), each as long as its share of the largest
//!   stage, labelled with its value and its % of the *first* stage. A stage's value is the sum
//!   of its values over the labels (a funnel normally has one label).
//!
//! x labels that are names are cut to their slot with "…"; hours, dates and numbers are thinned
//! to every n-th label instead (see [`layout`]).
//!
//! Every bar carries an SVG `<title>` ("label — series: value") that is its tooltip and its
//! accessible name; the SVG is a `role="img"` named by the chart's title. The geometry is pure
//! ([`layout`]) and tested natively; negative and non-finite values draw as 0.

use leptos::prelude::*;
use parley_reports::table::{Chart, ChartKind};

/// The drawing's coordinate box (the SVG scales to its container's width).
pub const WIDTH: f64 = 720.0;
pub const HEIGHT: f64 = 260.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 32.0;
/// Funnel: room for the stage names on the left.
const FUNNEL_LEFT: f64 = 170.0;
/// Colours (CSS classes `chart-s0` … `chart-s7`), reused after 8 series.
const PALETTE: usize = 8;
/// Widest bar (a few labels would otherwise draw slabs).
const MAX_BAR: f64 = 56.0;
/// At most this many x-axis labels are written (every n-th label otherwise).
const MAX_X_LABELS: usize = 24;

/// One drawn bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    /// Index of its series (its colour).
    pub series: usize,
    /// Index of its label.
    pub label: usize,
    pub value: f64,
    /// The tooltip / accessible name.
    pub title: String,
}

/// A text on an axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub x: f64,
    pub y: f64,
    pub text: String,
}

/// Everything the SVG draws.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Layout {
    pub bars: Vec<Bar>,
    /// x-axis labels (Bars/Stacked) or stage names (Funnel).
    pub labels: Vec<Tick>,
    /// The y-axis scale (Bars/Stacked: 0 and the top value) or the stage values (Funnel).
    pub values: Vec<Tick>,
    /// Height of the drawing (a funnel grows with its stages).
    pub height: f64,
}

/// A value as people read it: integers without decimals, others with at most two.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_owned();
    }
    if (v - v.round()).abs() < 1e-9 {
        return format!("{}", v.round() as i64);
    }
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn clean(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 {
        v
    } else {
        0.0
    }
}

fn value(chart: &Chart, series: usize, label: usize) -> f64 {
    clean(chart.series.get(series).and_then(|s| s.values.get(label)).copied().unwrap_or(0.0))
}

/// Where every bar and text goes.
pub fn layout(chart: &Chart) -> Layout {
    match chart.kind {
        ChartKind::Bars => columns(chart, false),
        ChartKind::Stacked => columns(chart, true),
        ChartKind::Funnel => funnel(chart),
    }
}

fn columns(chart: &Chart, stacked: bool) -> Layout {
    let n = chart.labels.len();
    let k = chart.series.len();
    let mut out = Layout { height: HEIGHT, ..Layout::default() };
    if n == 0 || k == 0 {
        return out;
    }
    let top = (0..n)
        .map(|l| {
            if stacked {
                (0..k).map(|s| value(chart, s, l)).sum::<f64>()
            } else {
                (0..k).map(|s| value(chart, s, l)).fold(0.0, f64::max)
            }
        })
        .fold(0.0, f64::max);
    let scale = if top > 0.0 { top } else { 1.0 };
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let base = TOP + plot_h;
    let group = plot_w / n as f64;
    let pad = group * 0.1;
    let bar_w = if stacked { group - 2.0 * pad } else { (group - 2.0 * pad) / k as f64 }.min(MAX_BAR);
    // The bars of a label, centred in its slot.
    let inset = (group - if stacked { bar_w } else { bar_w * k as f64 }) / 2.0;
    for l in 0..n {
        let mut y = base;
        for s in 0..k {
            let v = value(chart, s, l);
            let h = v / scale * plot_h;
            let (x, top_y) = if stacked {
                y -= h;
                (LEFT + l as f64 * group + inset, y)
            } else {
                (LEFT + l as f64 * group + inset + s as f64 * bar_w, base - h)
            };
            let name = &chart.series[s].name;
            let title = if k == 1 && name.is_empty() {
                format!("{}: {}", chart.labels[l], number(v))
            } else {
                format!("{} — {}: {}", chart.labels[l], name, number(v))
            };
            out.bars.push(Bar { x, y: top_y, w: bar_w, h, series: s, label: l, value: v, title });
        }
    }
    // Labels side by side (≈ 6.5 units per character at 11 px, 10 between): names (labels not
    // all starting with a digit) are each cut to their slot with "…" while that keeps 3
    // characters (the bar's tooltip has the whole name); hours, dates and numbers, or names
    // too many for that, are thinned to every n-th label, at most 24.
    let widest = chart.labels.iter().map(|l| l.chars().count()).max().unwrap_or(1).max(1);
    let slot_chars = ((group - 10.0) / 6.5).max(0.0) as usize;
    let ordered = chart.labels.iter().all(|l| l.starts_with(|c: char| c.is_ascii_digit()));
    let (every, cut) = if !ordered && widest > slot_chars && slot_chars >= 3 && n <= MAX_X_LABELS {
        (1, slot_chars)
    } else {
        let fit = ((plot_w / (widest as f64 * 6.5 + 10.0)) as usize).clamp(1, MAX_X_LABELS);
        (n.div_ceil(fit).max(1), widest)
    };
    out.labels = (0..n)
        .filter(|l| l % every == 0)
        .map(|l| Tick { x: LEFT + (l as f64 + 0.5) * group, y: base + 18.0, text: ellipsis(&chart.labels[l], cut) })
        .collect();
    out.values = vec![
        Tick { x: LEFT - 6.0, y: base, text: "0".into() },
        Tick { x: LEFT - 6.0, y: TOP + 10.0, text: number(top) },
    ];
    out
}

/// `text` cut to `max` characters, the last of them "…" when cut.
pub fn ellipsis(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn funnel(chart: &Chart) -> Layout {
    let stages: Vec<(String, f64)> = chart
        .series
        .iter()
        .enumerate()
        .map(|(s, x)| (x.name.clone(), (0..x.values.len()).map(|l| value(chart, s, l)).sum::<f64>()))
        .collect();
    let row = 30.0;
    let mut out = Layout { height: TOP + row * stages.len() as f64 + 8.0, ..Layout::default() };
    let first = stages.first().map(|s| s.1).unwrap_or(0.0);
    let top = stages.iter().map(|s| s.1).fold(0.0, f64::max);
    let scale = if top > 0.0 { top } else { 1.0 };
    let plot_w = WIDTH - FUNNEL_LEFT - RIGHT - 110.0;
    for (i, (name, v)) in stages.iter().enumerate() {
        let y = TOP + i as f64 * row;
        let w = v / scale * plot_w;
        let share = percent_of(*v, first);
        out.bars.push(Bar {
            x: FUNNEL_LEFT,
            y,
            w,
            h: row - 8.0,
            series: i,
            label: 0,
            value: *v,
            title: format!("{name}: {} ({share} of {})", number(*v), stages[0].0),
        });
        out.labels.push(Tick { x: FUNNEL_LEFT - 8.0, y: y + row / 2.0, text: name.clone() });
        out.values
            .push(Tick { x: FUNNEL_LEFT + w + 6.0, y: y + row / 2.0, text: format!("{} · {share}", number(*v)) });
    }
    out
}

/// `v` as a whole percentage of `first` ("—" when the first stage is 0).
pub fn percent_of(v: f64, first: f64) -> String {
    if first > 0.0 {
        format!("{}%", (v / first * 100.0).round() as i64)
    } else {
        "—".to_owned()
    }
}

fn f(v: f64) -> String {
    format!("{v:.1}")
}

/// The SVG `<text>`s of `ticks`, anchored at `anchor` (`start`, `middle`, `end`).
fn texts(ticks: &[Tick], class: &'static str, anchor: &'static str) -> impl IntoView {
    ticks
        .iter()
        .map(|t| {
            view! {
                <text class=class x=f(t.x) y=f(t.y) text-anchor=anchor dominant-baseline="middle">
                    {t.text.clone()}
                </text>
            }
        })
        .collect_view()
}

/// The colour class of series `i`: ratings keep their meaning (good green, moderate amber, bad
/// red, not rated grey) whatever their order; other series take the palette in turn.
fn colour(chart: &Chart, i: usize) -> String {
    match chart.series.get(i).map(|s| s.name.as_str()) {
        Some("Good") => "chart-good".to_owned(),
        Some("Moderate") => "chart-moderate".to_owned(),
        Some("Bad") => "chart-bad".to_owned(),
        Some("Not rated") => "chart-unrated".to_owned(),
        _ => format!("chart-s{}", i % PALETTE),
    }
}

/// The chart of a report, with its title and (several series) a legend.
#[component]
pub fn ChartView(chart: Chart) -> impl IntoView {
    let lay = layout(&chart);
    let funnel = chart.kind == ChartKind::Funnel;
    let kind = match chart.kind {
        ChartKind::Bars => "bars",
        ChartKind::Stacked => "stacked",
        ChartKind::Funnel => "funnel",
    };
    let label = crate::i18n::fill(crate::i18n::t().chart_suffix, &[("title", &chart.title)]);
    let bars = lay
        .bars
        .iter()
        .map(|b| {
            let class = format!("chart-bar {}", colour(&chart, b.series));
            view! {
                <g class="chart-item">
                    <title>{b.title.clone()}</title>
                    <rect
                        class=class
                        x=f(b.x)
                        y=f(b.y)
                        width=f(b.w.max(0.0))
                        height=f(b.h.max(0.0))
                        data-value=number(b.value)
                        rx="2"
                    ></rect>
                </g>
            }
        })
        .collect_view();
    // Stage names right-aligned before a funnel's bars, x labels centred under columns; the
    // values after a funnel's bars, the y scale right-aligned left of the axis.
    let labels = texts(&lay.labels, "chart-label", if funnel { "end" } else { "middle" });
    let values = texts(&lay.values, "chart-value", if funnel { "start" } else { "end" });
    let axis = (!funnel).then(|| {
        let base = HEIGHT - BOTTOM;
        view! {
            <line class="chart-axis" x1=f(LEFT) y1=f(base) x2=f(WIDTH - RIGHT) y2=f(base)></line>
            <line class="chart-axis" x1=f(LEFT) y1=f(TOP) x2=f(LEFT) y2=f(base)></line>
        }
    });
    let legend = (chart.series.len() > 1 && !funnel).then(|| {
        let items = chart
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                view! {
                    <li>
                        <span class=format!("chart-key {}", colour(&chart, i)) aria-hidden="true"></span>
                        {s.name.clone()}
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="chart-legend" aria-label=move || crate::i18n::t().legend>{items}</ul> }
    });
    // Nothing but zeros: say so instead of drawing an empty frame.
    let empty = lay.bars.iter().all(|b| b.value == 0.0);
    let height = f(lay.height);
    let svg = (!empty).then(move || {
        view! {
            <svg
                class="chart-svg"
                viewBox=format!("0 0 {WIDTH} {height}")
                role="img"
                aria-label=label
                preserveAspectRatio="xMinYMin meet"
            >
                {axis}
                {bars}
                {labels}
                {values}
            </svg>
        }
    });
    view! {
        <figure class=format!("chart chart-{kind}")>
            <figcaption>{chart.title.clone()}</figcaption>
            {svg}
            {(!empty).then_some(legend).flatten()}
            {empty.then(|| view! { <p class="muted chart-empty">{move || crate::i18n::t().nothing_to_draw}</p> })}
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_reports::table::Series;

    fn chart(kind: ChartKind, labels: &[&str], series: &[(&str, &[f64])]) -> Chart {
        Chart {
            kind,
            title: "t".into(),
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
            series: series.iter().map(|(n, v)| Series { name: (*n).to_owned(), values: v.to_vec() }).collect(),
        }
    }

    #[test]
    fn grouped_bars_side_by_side_scaled_to_the_top_value() {
        let c = chart(ChartKind::Bars, &["00", "01"], &[("a", &[2.0, 4.0]), ("b", &[1.0, 0.0])]);
        let l = layout(&c);
        assert_eq!(l.bars.len(), 4);
        let plot_h = HEIGHT - TOP - BOTTOM;
        let tallest = l.bars.iter().find(|b| b.label == 1 && b.series == 0).unwrap();
        assert!((tallest.h - plot_h).abs() < 1e-9);
        assert!((tallest.y - TOP).abs() < 1e-9);
        let half = l.bars.iter().find(|b| b.label == 0 && b.series == 0).unwrap();
        assert!((half.h - plot_h / 2.0).abs() < 1e-9);
        // Same label: series next to each other, same width.
        let b = l.bars.iter().find(|b| b.label == 0 && b.series == 1).unwrap();
        assert!((b.x - (half.x + half.w)).abs() < 1e-9);
        assert_eq!(b.title, "00 — b: 1");
        assert_eq!(l.values.last().unwrap().text, "4");
        assert_eq!(l.labels.len(), 2);
    }

    #[test]
    fn few_labels_draw_narrow_centred_bars() {
        let l = layout(&chart(ChartKind::Stacked, &["only"], &[("a", &[1.0])]));
        let b = &l.bars[0];
        assert_eq!(b.w, MAX_BAR);
        let plot_mid = LEFT + (WIDTH - LEFT - RIGHT) / 2.0;
        assert!((b.x + b.w / 2.0 - plot_mid).abs() < 1e-9);
    }

    #[test]
    fn stacked_bars_pile_up_in_series_order() {
        let c = chart(ChartKind::Stacked, &["d1"], &[("good", &[3.0]), ("bad", &[1.0])]);
        let l = layout(&c);
        let plot_h = HEIGHT - TOP - BOTTOM;
        let (good, bad) = (&l.bars[0], &l.bars[1]);
        assert!((good.h - plot_h * 0.75).abs() < 1e-9);
        assert!((bad.h - plot_h * 0.25).abs() < 1e-9);
        assert!((bad.y + bad.h - good.y).abs() < 1e-9, "bad sits on good");
        assert!((bad.y - TOP).abs() < 1e-9, "the stack reaches the top");
        assert_eq!(good.x, bad.x);
    }

    #[test]
    fn funnel_stages_shrink_with_percent_of_the_first() {
        let c = chart(ChartKind::Funnel, &["rule"], &[("Shown", &[10.0]), ("Accepted", &[4.0]), ("Chats", &[0.0])]);
        let l = layout(&c);
        assert_eq!(l.bars.len(), 3);
        assert!(l.bars[0].w > l.bars[1].w && l.bars[1].w > l.bars[2].w);
        assert_eq!(l.bars[2].w, 0.0);
        assert_eq!(l.values[1].text, "4 · 40%");
        assert_eq!(l.values[0].text, "10 · 100%");
        assert_eq!(l.bars[1].title, "Accepted: 4 (40% of Shown)");
        assert!(l.bars[1].y > l.bars[0].y);
        let none = chart(ChartKind::Funnel, &["r"], &[("Shown", &[0.0]), ("Accepted", &[0.0])]);
        assert_eq!(layout(&none).values[1].text, "0 · —");
    }

    #[test]
    fn empty_odd_and_many_values() {
        assert!(layout(&chart(ChartKind::Bars, &[], &[("a", &[])])).bars.is_empty());
        assert!(layout(&chart(ChartKind::Stacked, &["x"], &[])).bars.is_empty());
        // All zero: no division by zero, bars of height 0.
        let l = layout(&chart(ChartKind::Bars, &["x"], &[("a", &[0.0])]));
        assert_eq!(l.bars[0].h, 0.0);
        // Negative, NaN and missing values draw as 0.
        let l = layout(&chart(ChartKind::Bars, &["x", "y", "z"], &[("a", &[-3.0, f64::NAN])]));
        assert!(l.bars.iter().all(|b| b.h == 0.0 && b.h.is_finite()));
        // 60 labels: at most 24 written.
        let labels: Vec<String> = (0..60).map(|i| i.to_string()).collect();
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let l = layout(&chart(ChartKind::Bars, &refs, &[("a", &[1.0; 60])]));
        assert_eq!(l.bars.len(), 60);
        assert!(l.labels.len() <= MAX_X_LABELS && l.labels.len() >= 20);
    }

    #[test]
    fn long_labels_are_thinned_so_they_do_not_overlap() {
        let days: Vec<String> = (1..=31).map(|d| format!("2026-12-{d:02}")).collect();
        let refs: Vec<&str> = days.iter().map(String::as_str).collect();
        let l = layout(&chart(ChartKind::Bars, &refs, &[("a", &[1.0; 31])]));
        assert_eq!(l.bars.len(), 31);
        let gap = l.labels[1].x - l.labels[0].x;
        assert!(gap >= 10.0 * 6.5 + 10.0, "{gap}");
        assert_eq!(l.labels[0].text, "2026-12-01");
        // Seven days all fit.
        let l = layout(&chart(ChartKind::Bars, &refs[..7], &[("a", &[1.0; 7])]));
        assert_eq!(l.labels.len(), 7);
    }

    #[test]
    fn long_names_are_cut_to_their_slot_not_thinned() {
        let phrases: Vec<String> = (0..8).map(|i| format!("phrase number {i} that is rather long")).collect();
        let refs: Vec<&str> = phrases.iter().map(String::as_str).collect();
        let l = layout(&chart(ChartKind::Bars, &refs, &[("a", &[1.0; 8])]));
        assert_eq!(l.labels.len(), 8, "every bar keeps its label");
        let slot = (WIDTH - LEFT - RIGHT) / 8.0;
        for t in &l.labels {
            assert!(t.text.ends_with('…'), "{}", t.text);
            assert!(t.text.chars().count() as f64 * 6.5 + 10.0 <= slot, "{} fits {slot}", t.text);
        }
        assert!(l.labels[0].text.starts_with("phrase nu"));
        assert_eq!(l.bars[0].title, "phrase number 0 that is rather long — a: 1", "the tooltip is whole");
        // Short names stay whole; too many names for 3 characters each are thinned.
        let l = layout(&chart(ChartKind::Bars, &["Dana Demo", "Sam Sample"], &[("a", &[1.0, 2.0])]));
        assert_eq!(l.labels.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(), ["Dana Demo", "Sam Sample"]);
        let many: Vec<String> = (0..60).map(|i| format!("tag-{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let l = layout(&chart(ChartKind::Bars, &refs, &[("a", &[1.0; 60])]));
        assert!(l.labels.len() < 60 && l.labels.iter().all(|t| !t.text.ends_with('…')));
        assert_eq!(ellipsis("abcdef", 4), "abc…");
        assert_eq!(ellipsis("abc", 3), "abc");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(1.0 / 3.0), "0.33");
        assert_eq!(number(f64::NAN), "0");
        assert_eq!(percent_of(1.0, 3.0), "33%");
    }
}

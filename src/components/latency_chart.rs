//! A prefix's latency as a chart: the p50 line over the p50–p95 band, for the window the URL
//! names (`latency=6h|12h|1d|7d|30d`, default 1 day); a read-out of the bucket under the
//! pointer; drag across to zoom into a span, and a button back; gaps where there is no data
//! (a bucket without samples is not drawn through). Hand-written SVG with presentation
//! attributes and classes only, so it draws under the strict CSP.

use crate::api::{self, ApiError};
use crate::routing::{use_navigate, use_query_map, use_route, NavigateOptions};
use crate::state::Session;
use leptos::prelude::*;
use peering_model::telemetry::{LatencyBucket, LatencySeries, Window};

/// The query key of the chosen window on a connection's page.
pub const WINDOW_KEY: &str = "latency";

const W: f64 = 720.0;
const H: f64 = 180.0;
const LEFT: f64 = 44.0;
const TOP: f64 = 8.0;
const PLOT_W: f64 = W - LEFT - 8.0;
const PLOT_H: f64 = H - TOP - 22.0;

/// The span shown (Unix seconds) and the top of the scale (ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub from: i64,
    pub to: i64,
    pub top: f64,
}

impl Frame {
    /// Where `t` is drawn; a bucket that reaches past the span (zoomed in) stops at its edge.
    pub fn x(&self, t: i64) -> f64 {
        let frac = (t - self.from) as f64 / (self.to - self.from).max(1) as f64;
        LEFT + frac.clamp(0.0, 1.0) * PLOT_W
    }

    pub fn y(&self, ms: f64) -> f64 {
        TOP + PLOT_H - (ms / self.top).clamp(0.0, 1.0) * PLOT_H
    }

    /// The time under a point `frac` (0–1) of the way across the drawn width.
    pub fn time_at(&self, frac: f64) -> i64 {
        let x = frac * W;
        self.from + (((x - LEFT) / PLOT_W).clamp(0.0, 1.0) * (self.to - self.from) as f64) as i64
    }
}

/// A round top for the scale: the next 1, 2 or 5 × 10ⁿ above `max`.
pub fn nice_top(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 10.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|v| *v >= max * 1.05)
        .unwrap_or(10.0 * magnitude)
}

/// The runs of buckets without a gap between them (a missing bucket starts a new run).
pub fn runs(buckets: &[LatencyBucket], width: i64) -> Vec<&[LatencyBucket]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=buckets.len() {
        if i == buckets.len() || buckets[i].start - buckets[i - 1].start > width {
            out.push(&buckets[start..i]);
            start = i;
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// The p50 line and the p50–p95 band of each run, as SVG path data. A run of one bucket is
/// drawn across its own width, so a lone point still shows.
pub fn paths(buckets: &[LatencyBucket], width: i64, f: &Frame) -> (String, String) {
    let mut line = String::new();
    let mut band = String::new();
    for run in runs(buckets, width) {
        let xs: Vec<f64> = if run.len() == 1 {
            vec![f.x(run[0].start), f.x(run[0].start + width)]
        } else {
            run.iter().map(|b| f.x(b.start + width / 2)).collect()
        };
        let get = |i: usize| &run[i.min(run.len() - 1)];
        for (i, x) in xs.iter().enumerate() {
            line.push_str(&format!(
                "{}{x:.1},{:.1}",
                if i == 0 { "M" } else { "L" },
                f.y(get(i).p50)
            ));
            band.push_str(&format!(
                "{}{x:.1},{:.1}",
                if i == 0 { "M" } else { "L" },
                f.y(get(i).p95)
            ));
        }
        for (i, x) in xs.iter().enumerate().rev() {
            band.push_str(&format!("L{x:.1},{:.1}", f.y(get(i).p50)));
        }
        band.push('Z');
    }
    (line, band)
}

/// `YYYY-MM-DD HH:MM` (UTC) of Unix seconds.
pub fn utc(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// What the read-out says about one bucket.
pub fn readout(b: &LatencyBucket, width: i64) -> String {
    format!(
        "{}–{} UTC: p50 {:.1} ms, p95 {:.1} ms (min {:.1}, max {:.1}; {} samples)",
        utc(b.start),
        &utc(b.start + width)[11..],
        b.p50,
        b.p95,
        b.min,
        b.max,
        b.count
    )
}

/// The chosen window from the page's query.
fn window_of(q: &crate::routing::ParamsMap) -> Window {
    q.get(WINDOW_KEY)
        .and_then(|w| w.parse().ok())
        .unwrap_or(Window::Day1)
}

/// The window selector: buttons that write the window into the URL.
#[component]
pub fn WindowPicker() -> impl IntoView {
    let query = use_query_map();
    let route = use_route();
    let navigate = use_navigate();
    let buttons = Window::ALL
        .iter()
        .map(|&w| {
            let navigate = navigate.clone();
            let pick = move |_| {
                let path = route.with_untracked(|r| r.path.clone());
                navigate(&format!("{path}?{WINDOW_KEY}={}", w.as_str()), NavigateOptions::default());
            };
            view! {
                <button type="button" class="button small" data-window=w.as_str()
                    aria-pressed=move || (query.with(window_of) == w).to_string() on:click=pick>{w.label()}</button>
            }
        })
        .collect_view();
    view! { <div class="window-picker" role="group" aria-label="Show latency for the last">{buttons}</div> }
}

/// One prefix's chart; it loads again on the page's refresh interval, on focus, and whenever
/// `reload` changes (the page's data did).
#[component]
pub fn LatencyChart(name: String, prefix: String, reload: Signal<u32>) -> impl IntoView {
    let session = expect_context::<Session>();
    let query = use_query_map();
    let window = Memo::new(move |_| query.with(window_of));
    let p = prefix.clone();
    let series = LocalResource::new(move || {
        reload.track();
        let (s, p, w) = (session.clone(), p.clone(), window.get());
        async move { api::prefix_latency(&s, &p, w).await }
    });
    // New samples arrive whether or not anything else on the page changes.
    crate::components::freshness::on_interval_and_focus(move || series.refetch());
    let zoom = RwSignal::new(None::<(i64, i64)>);
    let hover = RwSignal::new(None::<i64>);
    let drag = RwSignal::new(None::<(i64, i64)>);
    Effect::new(move |_| {
        window.track();
        zoom.set(None);
    });
    let label = format!("Latency of {name} ({prefix})");
    let heading = label.clone();
    let chart = move |s: LatencySeries| {
        let width = s.bucket_seconds;
        let (from, to) = zoom.get().unwrap_or((s.from, s.to));
        let shown: Vec<LatencyBucket> = s
            .buckets
            .iter()
            .filter(|b| b.start + width > from && b.start < to)
            .cloned()
            .collect();
        if shown.is_empty() {
            let message = if zoom.get_untracked().is_some() {
                "No latency samples in the span chosen.".to_owned()
            } else {
                format!("No latency samples in the last {}.", s.window.label())
            };
            return view! { <p class="state empty small latency-empty">{message}</p> }.into_any();
        }
        let top = nice_top(shown.iter().map(|b| b.p95).fold(0.0, f64::max));
        let f = Frame { from, to, top };
        let (line, band) = paths(&shown, width, &f);
        let at = move |ev: &web_sys::MouseEvent| -> Option<i64> {
            use wasm_bindgen::JsCast;
            let el = ev.current_target()?.dyn_into::<web_sys::Element>().ok()?;
            let r = el.get_bounding_client_rect();
            (r.width() > 0.0).then(|| f.time_at((f64::from(ev.client_x()) - r.left()) / r.width()))
        };
        let nearest = {
            let shown = shown.clone();
            move |t: i64| {
                shown
                    .iter()
                    .min_by_key(|b| (b.start + width / 2 - t).abs())
                    .cloned()
            }
        };
        let near2 = nearest.clone();
        let ticks = (0..=4)
            .map(|i| {
                let t = from + (to - from) * i / 4;
                let x = f.x(t);
                let text = if to - from > 2 * 86_400 { utc(t)[5..10].to_owned() } else { utc(t)[11..].to_owned() };
                let anchor = match i {
                    0 => "start",
                    4 => "end",
                    _ => "middle",
                };
                view! { <text class="tick" x=format!("{x:.1}") y=format!("{:.1}", H - 6.0) text-anchor=anchor>{text}</text> }
            })
            .collect_view();
        let grid = [0.0, 0.5, 1.0]
            .into_iter()
            .map(|k| {
                let y = f.y(top * k);
                view! {
                    <line class="grid-line" x1=format!("{LEFT}") x2=format!("{:.1}", LEFT + PLOT_W) y1=format!("{y:.1}") y2=format!("{y:.1}")/>
                    <text class="tick" x=format!("{:.1}", LEFT - 4.0) y=format!("{:.1}", y + 4.0) text-anchor="end">{format!("{}", top * k)}</text>
                }
            })
            .collect_view();
        let summary = format!(
            "{}: p50 from {:.0} to {:.0} ms over {} buckets",
            label,
            shown.iter().map(|b| b.p50).fold(f64::INFINITY, f64::min),
            shown.iter().map(|b| b.p50).fold(0.0, f64::max),
            shown.len()
        );
        view! {
            <svg class="latency-chart" viewBox=format!("0 0 {W} {H}") role="img" aria-label=summary
                on:mousemove=move |ev| {
                    if let Some(t) = at(&ev) {
                        hover.set(Some(t));
                        drag.update(|d| if let Some(d) = d { d.1 = t });
                    }
                }
                on:mouseleave=move |_| { hover.set(None); drag.set(None); }
                on:mousedown=move |ev| if let Some(t) = at(&ev) { drag.set(Some((t, t))) }
                on:mouseup=move |_| {
                    if let Some((a, b)) = drag.get_untracked() {
                        let (a, b) = (a.min(b), a.max(b));
                        // A click is not a zoom: it takes at least two buckets' width.
                        if b - a >= 2 * width {
                            zoom.set(Some((a, b)));
                        }
                    }
                    drag.set(None);
                }>
                {grid}
                {ticks}
                <path class="band" d=band/>
                <path class="p50" d=line/>
                {move || drag.get().filter(|(a, b)| a != b).map(|(a, b)| {
                    let (x0, x1) = (f.x(a.min(b)), f.x(a.max(b)));
                    view! { <rect class="selection" x=format!("{x0:.1}") y=format!("{TOP}") width=format!("{:.1}", x1 - x0) height=format!("{PLOT_H}")/> }
                })}
                {move || hover.get().and_then(&nearest).map(|b| {
                    let x = f.x(b.start + width / 2);
                    view! {
                        <line class="cursor" x1=format!("{x:.1}") x2=format!("{x:.1}") y1=format!("{TOP}") y2=format!("{:.1}", TOP + PLOT_H)/>
                        <circle class="p50-dot" cx=format!("{x:.1}") cy=format!("{:.1}", f.y(b.p50)) r="3"/>
                    }
                })}
            </svg>
            <p class="readout" aria-live="polite">{move || match hover.get().and_then(&near2) {
                Some(b) => readout(&b, width),
                None => "Point at the chart for a bucket's figures; drag across it to zoom in.".to_owned(),
            }}</p>
        }
        .into_any()
    };
    view! {
        <section class="latency" data-prefix=prefix.clone()>
            <h3>{heading}
                <Show when=move || zoom.get().is_some()>
                    <button type="button" class="button small reset-zoom" on:click=move |_| zoom.set(None)>"Show the whole window"</button>
                </Show>
            </h3>
            <Transition fallback=|| view! { <p class="state loading" role="status">"Loading latency…"</p> }>
                {move || series.get().map(|r: Result<LatencySeries, ApiError>| match r {
                    Ok(s) => chart(s),
                    Err(e) => view! { <p class="msg error" role="alert">{format!("Latency could not be loaded: {}", e.message)}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(start: i64, p50: f64) -> LatencyBucket {
        LatencyBucket {
            start,
            count: 1,
            min: p50,
            p50,
            p95: p50 * 2.0,
            max: p50 * 2.0,
        }
    }

    #[test]
    fn gaps_split_the_line_and_the_band() {
        let buckets = [
            b(0, 10.0),
            b(60, 12.0),
            b(240, 11.0),
            b(300, 9.0),
            b(600, 8.0),
        ];
        assert_eq!(
            runs(&buckets, 60)
                .iter()
                .map(|r| r.len())
                .collect::<Vec<_>>(),
            [2, 2, 1]
        );
        let f = Frame {
            from: 0,
            to: 660,
            top: 50.0,
        };
        let (line, band) = paths(&buckets, 60, &f);
        assert_eq!(line.matches('M').count(), 3, "{line}");
        assert_eq!(band.matches('Z').count(), 3);
    }

    #[test]
    fn scales_and_times_read_as_people_read_them() {
        assert_eq!(nice_top(43.0), 50.0);
        assert_eq!(nice_top(9.6), 10.0);
        assert_eq!(nice_top(180.0), 200.0);
        assert_eq!(utc(1_796_040_000), "2026-11-30 12:00");
        assert_eq!(utc(0), "1970-01-01 00:00");
        let f = Frame {
            from: 1000,
            to: 2000,
            top: 10.0,
        };
        assert_eq!(f.time_at(LEFT / W), 1000);
        assert_eq!(f.time_at(1.0), 2000);
        assert_eq!(f.y(0.0), TOP + PLOT_H);
        assert_eq!(f.y(10.0), TOP);
        assert_eq!(
            readout(&b(1_796_040_000, 12.0), 300),
            "2026-11-30 12:00–12:05 UTC: p50 12.0 ms, p95 24.0 ms (min 12.0, max 24.0; 1 samples)"
        );
    }
}

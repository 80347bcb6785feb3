//! A connection monitor test's recent round trips as a small line (newest on the right),
//! failed runs marked; the figures in its label for screen readers and on hover.

use crate::api;
use crate::state::Session;
use leptos::prelude::*;
use peering_model::telemetry::MonitorTestRun;
use peering_model::ServiceId;

/// How many runs the line shows.
pub const RUNS: u32 = 60;
const W: f64 = 120.0;
const H: f64 = 24.0;

/// The line (oldest first, left to right) and the x of each failed run, for `runs` newest
/// first as the server sends them.
pub fn shape(runs: &[MonitorTestRun]) -> (String, Vec<f64>) {
    let oldest_first: Vec<&MonitorTestRun> = runs.iter().rev().collect();
    let top = oldest_first
        .iter()
        .filter_map(|r| r.rtt_ms)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let step = W / (oldest_first.len().max(2) - 1) as f64;
    let mut d = String::new();
    let mut failed = Vec::new();
    for (i, r) in oldest_first.iter().enumerate() {
        let x = i as f64 * step;
        if !r.success {
            failed.push(x);
        }
        if let Some(ms) = r.rtt_ms {
            let y = H - 2.0 - ms / top * (H - 4.0);
            d.push_str(&format!(
                "{}{x:.1},{y:.1}",
                if d.is_empty() { "M" } else { "L" }
            ));
        }
    }
    (d, failed)
}

#[component]
pub fn RttSparkline(service: ServiceId, test: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let t = test.clone();
    let runs = LocalResource::new(move || {
        let (s, service, t) = (session.clone(), service.clone(), t.clone());
        async move { api::monitor_test_results(&s, &service, &t, RUNS).await }
    });
    crate::components::freshness::on_interval_and_focus(move || runs.refetch());
    move || match runs.get() {
        Some(Ok(r)) if !r.is_empty() => {
            let (d, failed) = shape(&r);
            // The newest run's round trip, if it measured one.
            let label = match r.first().and_then(|x| x.rtt_ms) {
                Some(last) => format!(
                    "Round trip of {test}: last {last:.1} ms; {} of the last {} runs failed",
                    failed.len(),
                    r.len()
                ),
                None => format!(
                    "{} of the last {} runs of {test} failed",
                    failed.len(),
                    r.len()
                ),
            };
            let marks = failed
                .into_iter()
                .map(|x| view! { <line class="failed-run" x1=format!("{x:.1}") x2=format!("{x:.1}") y1="0" y2=format!("{H}")/> })
                .collect_view();
            let title = label.clone();
            view! {
                <svg class="rtt-sparkline" viewBox=format!("0 0 {W} {H}") role="img" aria-label=label>
                    <title>{title}</title>
                    {marks}
                    <path class="rtt" d=d/>
                </svg>
            }
            .into_any()
        }
        _ => ().into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(ms: f64, success: bool) -> MonitorTestRun {
        MonitorTestRun {
            timestamp: String::new(),
            success,
            hops: Vec::new(),
            rtt_ms: Some(ms),
        }
    }

    #[test]
    fn the_newest_run_is_on_the_right_and_failures_are_marked() {
        // Newest first, as the server sends them.
        let (d, failed) = shape(&[run(10.0, true), run(40.0, false), run(20.0, true)]);
        assert!(d.starts_with("M0.0,"), "{d}");
        assert!(d.contains(&format!("L{W:.1},")), "{d}");
        assert_eq!(failed, [W / 2.0]);
        // The slowest run touches the top (y = 2).
        assert!(d.contains(",2.0"), "{d}");
    }
}

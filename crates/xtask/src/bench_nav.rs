//! Browser benchmark of a navigation to the connections list, served by the real
//! `peering-server` (release app, `synchronous=FULL` as it runs) from a database holding 1,000
//! and 10,000 connections with a prefix each, in headless Chromium. It prints figures from the
//! page's own Performance API and asserts only that the list showed up:
//! - first rows: navigation start → the first page of rows painted (the app's User Timing mark
//!   `peering:first-rows`, made after the frame);
//! - all rows: → every connection loaded and shown (`peering:all-rows`);
//! - Largest Contentful Paint and First Contentful Paint, as Chromium reports them;
//! - the wasm's transfer size and fetch time.
//!
//! The first navigation has a cold HTTP cache; the median is over it and four reloads.

use crate::e2e::{start_server, Driver};
use crate::{cmd, root, run};
use fantoccini::Client;
use serde_json::Value;
use std::path::{Path, PathBuf};

const RUNS: usize = 5;

/// A database with `n` connections made by the `seed` example, kept under `target/bench/` and
/// reused by later runs (seeding 10,000 takes about 40 s).
fn seeded(n: usize) -> Result<PathBuf, String> {
    let dir = root().join(format!("target/bench/nav-{n}"));
    let db = dir.join("seed.db");
    if db.exists() {
        return Ok(db);
    }
    // Seeded into a side directory and renamed whole, so a run stopped half-way leaves
    // nothing that looks finished (the WAL beside the file included).
    let partial = root().join(format!("target/bench/nav-{n}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).map_err(|e| e.to_string())?;
    run(cmd("cargo")
        .args([
            "run",
            "--quiet",
            "--profile",
            "server",
            "-p",
            "peering-server",
        ])
        .args(["--example", "seed", "--", "--db"])
        .arg(partial.join("seed.db"))
        .args(["--connections", &n.to_string()]))?;
    std::fs::rename(&partial, &dir).map_err(|e| e.to_string())?;
    Ok(db)
}

/// Waits in the page for both marks, then reads every figure.
const READ_FIGURES: &str = r#"
    const done = arguments[0];
    const started = performance.now();
    const mark = n => performance.getEntriesByName(n)[0];
    const read = () => {
        const first = mark('peering:first-rows'), all = mark('peering:all-rows');
        if (!(first && all)) {
            if (performance.now() - started > 120000) { done({error: 'no rows after 120 s'}); return; }
            setTimeout(read, 50);
            return;
        }
        let lcp = null;
        new PerformanceObserver(list => {
            const e = list.getEntries();
            lcp = e[e.length - 1].startTime;
        }).observe({type: 'largest-contentful-paint', buffered: true});
        setTimeout(() => {
            const fcp = performance.getEntriesByName('first-contentful-paint')[0];
            const wasm = performance.getEntriesByType('resource').find(r => r.name.endsWith('.wasm'));
            done({
                first: first.startTime, all: all.startTime, lcp,
                fcp: fcp ? fcp.startTime : null,
                wasmFetch: wasm ? wasm.responseEnd - wasm.startTime : null,
                wasmBytes: wasm ? wasm.transferSize : null,
                rows: document.querySelectorAll('table.grid tbody tr').length,
                shown: (document.querySelector('span.count') || {}).textContent || '',
            });
        }, 100);
    };
    read();
"#;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Measures one build at `n` connections; gives the median Largest Contentful Paint.
async fn measure(
    c: &Client,
    url: &str,
    token: &str,
    n: usize,
    build: &str,
) -> Result<Option<f64>, String> {
    let mut runs: Vec<Value> = Vec::new();
    for i in 0..RUNS {
        if i == 0 {
            c.goto(&format!("{url}/#token={token}")).await
        } else {
            c.refresh().await
        }
        .map_err(|e| format!("navigating: {e}"))?;
        let figures = c
            .execute_async(READ_FIGURES, vec![])
            .await
            .map_err(|e| format!("reading the figures: {e}"))?;
        if let Some(e) = figures.get("error") {
            return Err(format!("{n} connections: {e}"));
        }
        let rows = figures["rows"].as_u64().unwrap_or(0);
        if rows == 0 || rows >= 100 {
            return Err(format!("{n} connections: {rows} rows in the DOM"));
        }
        let shown = figures["shown"].as_str().unwrap_or_default();
        if !shown.contains(&format!("of {n} shown")) {
            return Err(format!("{n} connections: the list says '{shown}'"));
        }
        runs.push(figures);
    }
    let column = |k: &str| -> Vec<f64> { runs.iter().filter_map(|r| r[k].as_f64()).collect() };
    let show = |label: &str, k: &str| {
        let all = column(k);
        if all.is_empty() {
            println!("  {label:<38} not reported");
            return;
        }
        println!(
            "  {label:<38} median {:>7.0} ms   cold {:>7.0} ms   ({} runs)",
            median(all.clone()),
            all[0],
            all.len()
        );
    };
    println!("navigation to the list, {n} connections stored, {build}:");
    show("→ first rows painted", "first");
    show("→ every row loaded and shown", "all");
    show("Largest Contentful Paint", "lcp");
    show("First Contentful Paint", "fcp");
    show("wasm fetched (request → last byte)", "wasmFetch");
    if let Some(bytes) = runs[0]["wasmBytes"].as_f64() {
        println!(
            "  wasm transferred (cold)                {:>7.0} KB",
            bytes / 1024.0
        );
    }
    let lcp = column("lcp");
    Ok((!lcp.is_empty()).then(|| median(lcp)))
}

/// Each build of `builds` (a label, its `dist/`) at 1,000 and 10,000 connections; the first is
/// the one shipped, the others baselines, each given as a ratio against it.
pub fn run_all(server_bin: &Path, builds: &[(&str, &Path)]) -> Result<(), String> {
    let (_driver, port) = Driver::start()?;
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    for n in [1_000, 10_000] {
        let db = seeded(n)?;
        let mut lcps = Vec::new();
        for (label, dist) in builds {
            let listen = format!("127.0.0.1:{}", crate::e2e::free_port()?);
            let server = start_server(server_bin, &db, dist, &listen)?;
            let lcp = rt.block_on(async {
                let c = crate::webdriver::connect(port).await?;
                let r = measure(&c, &server.url, &server.token, n, label).await;
                let _ = c.close().await;
                r
            })?;
            lcps.push((label, lcp));
        }
        if let Some((shipped, Some(ours))) = lcps.first() {
            for (label, lcp) in &lcps[1..] {
                if let Some(theirs) = lcp {
                    println!(
                        "  Largest Contentful Paint at {n}: {shipped} / {label} = {:.2}",
                        ours / theirs
                    );
                }
            }
        }
    }
    Ok(())
}

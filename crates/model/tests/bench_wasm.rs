//! Browser benchmark: a 10,000-row prefix import validated with `validate_batch` against an
//! index of 100,000 stored prefixes, in headless Chromium, timed with `performance.now()`.
//! It prints the figures (`console_log!`, shown by wasm-bindgen-test-runner) and asserts only
//! correctness, never time.
//!
//! `cargo test -p peering-model --target wasm32-unknown-unknown --release --test bench_wasm`
//! gives the optimised figure; without `--release` the build is a debug one and much slower.

#![cfg(target_arch = "wasm32")]

#[path = "common/gen.rs"]
mod gen;

use peering_model::index::{validate_batch, PrefixIndex};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// `performance.now()` of whatever global scope the test runs in (window or worker).
fn now() -> f64 {
    let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .expect("performance is defined in browsers");
    performance.unchecked_into::<web_sys::Performance>().now()
}

const ROWS: usize = 10_000;
const STORED: usize = 100_000;
const RUNS: usize = 5;

#[wasm_bindgen_test]
fn validate_a_10000_row_import_in_the_browser() {
    let stored = gen::stored(1, STORED);
    let t0 = now();
    let index: PrefixIndex = stored.iter().cloned().collect();
    let build_ms = now() - t0;
    assert_eq!(index.len(), STORED);
    let rows = gen::import_rows(2, ROWS, &stored);

    let mut times = Vec::with_capacity(RUNS);
    let mut last = Vec::new();
    for _ in 0..RUNS {
        let t0 = now();
        last = validate_batch(&index, &rows);
        times.push(now() - t0);
    }
    let errors = gen::assert_import_results(&rows, &last);
    assert!(errors > 0);

    times.sort_by(f64::total_cmp);
    let profile = if cfg!(debug_assertions) {
        "debug build"
    } else {
        "release build"
    };
    console_log!(
        "browser ({profile}): validate_batch of {ROWS} rows against {STORED} stored prefixes: median {:.1} ms, best {:.1} ms, worst {:.1} ms over {RUNS} runs ({errors} rows with errors); index of {STORED} built in {:.1} ms",
        times[RUNS / 2],
        times[0],
        times[RUNS - 1],
        build_ms,
    );
}

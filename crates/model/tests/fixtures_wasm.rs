//! The shared findings fixture in headless Chromium: the same file and the same runner as
//! `tests/fixtures.rs`, compiled to wasm32, so the browser is proven to produce the very same
//! codes and messages as the server.
//!
//! `cargo test -p peering-model --target wasm32-unknown-unknown` (needs wasm-bindgen-test-runner,
//! chromedriver and `CHROMEDRIVER=/usr/bin/chromedriver`; see crates/model/README.md).

#![cfg(target_arch = "wasm32")]

#[path = "common/fixtures.rs"]
mod runner;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn every_fixture_case_produces_exactly_its_findings_in_the_browser() {
    let json = include_str!("fixtures/findings.json");
    match runner::run_all(json) {
        Ok(n) => {
            assert_eq!(n, runner::case_count(json), "cases skipped");
            assert!(n >= runner::MIN_CASES, "only {n} cases");
            console_log!("findings.json: {n} cases passed in the browser");
        }
        Err(failures) => panic!("{} failing cases:\n{}", failures.len(), failures.join("\n")),
    }
}

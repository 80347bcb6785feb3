//! The shared findings fixture, natively. `tests/fixtures_wasm.rs` runs the same file in
//! headless Chromium.

#![cfg(not(target_arch = "wasm32"))]

#[path = "common/fixtures.rs"]
mod runner;

use peering_model::Code;

#[test]
fn every_fixture_case_produces_exactly_its_findings() {
    match runner::run_all(runner::FINDINGS_JSON) {
        // Every case ran: as many as the file holds (read here without the runner's types), and
        // never fewer than the file held when this was written.
        Ok(n) => {
            assert_eq!(
                n,
                runner::case_count(runner::FINDINGS_JSON),
                "cases skipped"
            );
            assert!(n >= runner::MIN_CASES, "only {n} cases");
        }
        Err(failures) => panic!("{} failing cases:\n{}", failures.len(), failures.join("\n")),
    }
}

#[test]
fn the_fixture_covers_every_code() {
    let file: runner::FixtureFile = serde_json::from_str(runner::FINDINGS_JSON).unwrap();
    let used: std::collections::HashSet<Code> = file
        .cases
        .iter()
        .flat_map(|c| c.expect.iter().map(|e| e.code))
        .collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !used.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(missing.is_empty(), "no fixture case for {missing:?}");
}

#[test]
fn a_wrong_expectation_is_reported() {
    // The runner itself must fail on a mismatch, not pass vacuously.
    let json = r#"{"cases":[{"id":"x","check":"prefix","input":"10.0.0.0/8","expect":[]}]}"#;
    let failures = runner::run_all(json).unwrap_err();
    assert_eq!(failures.len(), 1);
    assert!(failures[0].starts_with("x: expected"), "{}", failures[0]);
}

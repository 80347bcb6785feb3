//! A 10,000-row bulk import against an index of 100,000 stored prefixes, natively: every
//! planted conflict is reported on the right rows and nothing else is. `tests/bench_wasm.rs`
//! runs the same import in headless Chromium and times it.

#![cfg(not(target_arch = "wasm32"))]

#[path = "common/gen.rs"]
mod gen;

use peering_model::index::{validate_batch, PrefixIndex};

#[test]
fn ten_thousand_row_import_reports_exactly_the_planted_conflicts() {
    let stored = gen::stored(1, 100_000);
    let index: PrefixIndex = stored.iter().cloned().collect();
    assert_eq!(index.len(), 100_000);
    let rows = gen::import_rows(2, 10_000, &stored);
    let results = validate_batch(&index, &rows);
    let errors = gen::assert_import_results(&rows, &results);
    // Every planted row, and only those, has an error.
    let planted = (0..rows.len())
        .filter(|&i| gen::planted(i, rows.len()) != gen::Planted::Clean)
        .count();
    assert_eq!(errors, planted);
    assert!(errors > 300, "{errors}");
}

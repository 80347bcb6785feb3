//! The bulk-import check on arbitrary rows: no panic, one result per row, and every row whose
//! value is accepted is checked against the index and the other rows consistently with the
//! pairwise relation (a row with no overlap finding overlaps nothing).

#![no_main]

use libfuzzer_sys::fuzz_target;
use peering_model::index::{validate_batch, validate_batch_into, PrefixIndex, PrefixRow};
use peering_model::prefix::{relation, ExistingPrefix, Ipv4Prefix};
use peering_model::Code;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    // Lines "stored" as "=a.b.c.d/n", rows as "name prefix [key]".
    let mut index = PrefixIndex::new();
    let mut stored = Vec::new();
    let mut rows = Vec::new();
    for (i, line) in s.lines().take(64).enumerate() {
        if let Some(p) = line.strip_prefix('=') {
            if let Ok(p) = Ipv4Prefix::parse(p) {
                // Two resource groups, so an import into one connection meets the prefixes of
                // its namesake in the other group.
                let resource_group = if i % 2 == 0 { "rg" } else { "RG-b" };
                let e = ExistingPrefix {
                    prefix: p,
                    resource_group: resource_group.into(),
                    connection: "c".into(),
                    name: format!("s{i}"),
                };
                stored.push(p);
                index.insert(e);
            }
            continue;
        }
        let mut parts = line.splitn(3, ' ');
        rows.push(PrefixRow {
            name: parts.next().unwrap_or("").to_owned(),
            prefix: parts.next().unwrap_or("").to_owned(),
            key: parts.next().map(str::to_owned),
        });
    }
    let results = validate_batch(&index, &rows);
    assert_eq!(results.len(), rows.len());
    let into = validate_batch_into(&index, "RG", "C", &rows);
    assert_eq!(into.len(), rows.len());
    for (a, b) in results.iter().zip(&into) {
        // Into an existing connection, a row is only ever spared overlaps with its own stored
        // prefix: it never has more overlap findings than into a new connection.
        let count = |r: &peering_model::index::RowResult| {
            r.findings.iter().filter(|f| f.code == Code::PrefixOverlaps).count()
        };
        assert_eq!(a.prefix, b.prefix);
        assert!(count(b) <= count(a));
    }
    for r in &results {
        let overlaps = r.findings.iter().any(|f| f.code == Code::PrefixOverlaps);
        if let (Some(p), false) = (r.prefix, r.findings.has_errors()) {
            assert!(!overlaps);
            assert!(stored.iter().all(|&q| relation(p, q).is_none()));
        }
    }
});

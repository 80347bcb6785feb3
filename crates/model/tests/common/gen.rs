//! Deterministic test data shared by the tests and the benchmarks (no dependencies, so the
//! wasm tests can use it too): public prefixes, stored prefixes and bulk-import rows.

#![allow(dead_code)]

use peering_model::index::PrefixRow;
use peering_model::prefix::{non_public_block, ExistingPrefix, Ipv4Prefix};
use std::collections::HashSet;

/// xorshift64*: small, fast and the same on every target.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.next_u32() % (hi - lo + 1)
    }
}

/// `n` distinct public prefixes of length `len` (so no two overlap) whose address, masked by
/// `mask`, equals `bits`.
pub fn distinct_public(rng: &mut Rng, n: usize, len: u8, mask: u32, bits: u32) -> Vec<Ipv4Prefix> {
    let mut seen = HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let p = Ipv4Prefix::new_truncating((rng.next_u32() & !mask) | bits, len);
        if non_public_block(p).is_none() && seen.insert(p) {
            out.push(p);
        }
    }
    out
}

/// Bit 9 of the address: 0 in every stored prefix, 1 in every import row, so rows and stored
/// prefixes only meet where a row is made to.
const STORED_BIT: u32 = 1 << 9;
/// Bit 8: 1 in every import row's /24, so the /23 over a row never covers another row.
const ROW_BIT: u32 = 1 << 8;

/// `n` stored prefixes: distinct public /24s, 100 per connection, 10 connections per
/// resource group.
pub fn stored(seed: u64, n: usize) -> Vec<ExistingPrefix> {
    let mut rng = Rng::new(seed);
    distinct_public(&mut rng, n, 24, STORED_BIT, 0)
        .into_iter()
        .enumerate()
        .map(|(i, prefix)| ExistingPrefix {
            prefix,
            resource_group: format!("rg-{}", i / 1000),
            connection: format!("conn-{}", i / 100),
            name: format!("prefix-{i}"),
        })
        .collect()
}

/// `n` overlap queries: public prefixes of length /20 to /28.
pub fn queries(seed: u64, n: usize) -> Vec<Ipv4Prefix> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| loop {
            let len = rng.range(20, 28) as u8;
            let p = Ipv4Prefix::new_truncating(rng.next_u32(), len);
            if non_public_block(p).is_none() {
                break p;
            }
        })
        .collect()
}

/// What [`import_rows`] planted in row `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Planted {
    /// A fresh public /24 (with a valid key on even rows): no finding at all.
    Clean,
    /// Repeats a stored prefix: one overlap with the index.
    RepeatsStored,
    /// The /23 over the previous row's /24: contains row `i - 1`.
    CoversPrevious,
    /// The row the next one covers: lies inside row `i + 1`.
    CoveredByNext,
    /// Host bits set: one not-canonical error, no overlap check.
    HostBits,
}

pub fn planted(i: usize, n: usize) -> Planted {
    if i % 250 == 123 {
        Planted::HostBits
    } else if i % 50 == 17 {
        Planted::RepeatsStored
    } else if i % 100 == 61 {
        Planted::CoversPrevious
    } else if i % 100 == 60 && i + 1 < n {
        Planted::CoveredByNext
    } else {
        Planted::Clean
    }
}

/// `n` rows of a bulk import with the conflicts of [`planted`] and no others.
pub fn import_rows(seed: u64, n: usize, stored: &[ExistingPrefix]) -> Vec<PrefixRow> {
    let mut rng = Rng::new(seed);
    let fresh = distinct_public(&mut rng, n, 24, STORED_BIT | ROW_BIT, STORED_BIT | ROW_BIT);
    (0..n)
        .map(|i| {
            let p = fresh[i];
            let prefix = match planted(i, n) {
                Planted::HostBits => {
                    let [a, b, c, _] = p.addr().to_be_bytes();
                    format!("{a}.{b}.{c}.7/24")
                }
                Planted::RepeatsStored if !stored.is_empty() => {
                    stored[i % stored.len()].prefix.to_string()
                }
                Planted::CoversPrevious => {
                    Ipv4Prefix::new_truncating(fresh[i - 1].addr(), 23).to_string()
                }
                _ => p.to_string(),
            };
            PrefixRow {
                name: format!("import-{i}"),
                prefix,
                key: (i % 2 == 0).then(|| format!("6a7f0d42-e49c-4eea-a930-{i:012x}")),
            }
        })
        .collect()
}

/// Checks the results of validating [`import_rows`] against an index of `stored` with
/// [`peering_model::index::validate_batch`]; returns the number of rows with an error.
pub fn assert_import_results(
    rows: &[PrefixRow],
    results: &[peering_model::index::RowResult],
) -> usize {
    use peering_model::Code;
    assert_eq!(results.len(), rows.len());
    let n = rows.len();
    let mut errors = 0;
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.row, i);
        let codes: Vec<Code> = r.findings.iter().map(|f| f.code).collect();
        let msg = |k: usize| r.findings.0[k].message.as_str();
        match planted(i, n) {
            Planted::Clean => assert!(codes.is_empty(), "row {i}: {:?}", r.findings),
            Planted::HostBits => assert_eq!(codes, [Code::PrefixNotCanonical], "row {i}"),
            Planted::RepeatsStored => {
                assert_eq!(codes, [Code::PrefixOverlaps], "row {i}");
                assert!(msg(0).contains(" is already registered as "), "{}", msg(0));
                assert!(msg(0).contains(" of connection 'rg-"), "{}", msg(0));
            }
            Planted::CoversPrevious => {
                assert_eq!(codes, [Code::PrefixOverlaps], "row {i}");
                let want = format!("(row {i}, prefix 'import-{}') of this import", i - 1);
                assert!(
                    msg(0).contains(" contains ") && msg(0).contains(&want),
                    "{}",
                    msg(0)
                );
            }
            Planted::CoveredByNext => {
                assert_eq!(codes, [Code::PrefixOverlaps], "row {i}");
                let want = format!("(row {}, prefix 'import-{}') of this import", i + 2, i + 1);
                assert!(
                    msg(0).contains(" lies inside ") && msg(0).contains(&want),
                    "{}",
                    msg(0)
                );
            }
        }
        if !r.is_ok() {
            errors += 1;
        }
    }
    errors
}

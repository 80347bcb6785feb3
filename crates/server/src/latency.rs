//! Latency as quantile sketches (`sketches-ddsketch`, relative accuracy 1%): samples are
//! folded per prefix into one sketch per bucket of each tier (60 s, 300 s, 3600 s), sketches
//! merge exactly (a merged sketch is the sketch of the union), and a window's series is its
//! tier's buckets merged to the window's bucket width. Backend-independent: a store keeps
//! the sketches as the opaque bytes [`encode`] makes.

use peering_model::prefix::Ipv4Prefix;
use peering_model::telemetry::{LatencyBucket, Window};
use sketches_ddsketch::{Config, DDSketch};
use std::collections::BTreeMap;

/// The bucket widths kept, finest first.
pub const TIERS: [i64; 3] = [60, 300, 3600];

/// The tier a window's series is made from (its bucket width is a multiple of the tier's).
pub fn tier_of(window: Window) -> i64 {
    match window {
        Window::Hours6 => 60,
        Window::Hours12 | Window::Day1 => 300,
        Window::Days7 | Window::Days30 => 3600,
    }
}

pub fn new_sketch() -> DDSketch {
    DDSketch::new(Config::defaults())
}

pub fn encode(s: &DDSketch) -> Vec<u8> {
    s.to_java_bytes()
}

/// A stored sketch; one that does not decode is counted as empty (the server wrote it, so
/// that would be a bug, and one bad bucket must not hide a whole chart).
pub fn decode(bytes: &[u8]) -> DDSketch {
    DDSketch::from_java_bytes(bytes).unwrap_or_else(|_| new_sketch())
}

/// One sample, checked: the prefix it is kept under, when (Unix seconds), and the round trip.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    pub prefix: Ipv4Prefix,
    pub at: i64,
    pub rtt_ms: f64,
}

/// The samples folded per (prefix, tier, bucket start): what a store merges into its rows.
pub fn fold(points: &[Point]) -> BTreeMap<(Ipv4Prefix, i64, i64), DDSketch> {
    let mut out: BTreeMap<(Ipv4Prefix, i64, i64), DDSketch> = BTreeMap::new();
    // Fold into the finest tier first, then merge those into the coarser ones: one add per
    // sample, not three.
    let mut finest: BTreeMap<(Ipv4Prefix, i64), DDSketch> = BTreeMap::new();
    for p in points {
        finest
            .entry((p.prefix, p.at.div_euclid(TIERS[0]) * TIERS[0]))
            .or_insert_with(new_sketch)
            .add(p.rtt_ms);
    }
    for ((prefix, start), s) in finest {
        for tier in TIERS {
            let bucket = start.div_euclid(tier) * tier;
            match out.entry((prefix, tier, bucket)) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(s.clone());
                }
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    // Same configuration on both sides: merging cannot fail.
                    let _ = o.get_mut().merge(&s);
                }
            }
        }
    }
    out
}

/// The series of `window` ending at `now` from the stored buckets of its tier (start, sketch
/// bytes), merged to the window's bucket width; buckets without samples are left out.
pub fn series(rows: &[(i64, Vec<u8>)], window: Window, now: i64) -> (i64, i64, Vec<LatencyBucket>) {
    let width = window.bucket_seconds();
    let to = (now.div_euclid(width) + 1) * width;
    let from = to - window.seconds();
    let mut merged: BTreeMap<i64, DDSketch> = BTreeMap::new();
    for (start, bytes) in rows {
        if *start < from || *start >= to {
            continue;
        }
        let s = decode(bytes);
        match merged.entry(start.div_euclid(width) * width) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(s);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                let _ = o.get_mut().merge(&s);
            }
        }
    }
    let buckets = merged
        .into_iter()
        .filter_map(|(start, s)| {
            let (min, max) = (s.min()?, s.max()?);
            // A sketch's quantiles are within 1% of the truth; min and max are exact, and a
            // quantile is never shown outside them.
            let q = |q: f64| s.quantile(q).ok().flatten().map(|v| v.clamp(min, max));
            Some(LatencyBucket {
                start,
                count: s.count() as u64,
                min,
                p50: q(0.5)?,
                p95: q(0.95)?,
                max,
            })
        })
        .collect();
    (from, to, buckets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Ipv4Prefix {
        Ipv4Prefix::parse(s).unwrap()
    }

    #[test]
    fn samples_fold_into_every_tier_and_survive_encoding() {
        let points: Vec<Point> = (0..600)
            .map(|i| Point {
                prefix: p("8.8.8.0/24"),
                at: 7200 + i,
                rtt_ms: 10.0 + (i % 100) as f64,
            })
            .collect();
        let folded = fold(&points);
        // 600 s from 02:00: ten minute buckets, two five-minute buckets, one hour bucket.
        let per_tier = |t: i64| folded.keys().filter(|k| k.1 == t).count();
        assert_eq!((per_tier(60), per_tier(300), per_tier(3600)), (10, 2, 1));
        let hour = &folded[&(p("8.8.8.0/24"), 3600, 7200)];
        assert_eq!(hour.count(), 600);
        let back = decode(&encode(hour));
        assert_eq!(back.count(), 600);
        let p50 = back.quantile(0.5).unwrap().unwrap();
        assert!((p50 - 59.5).abs() / 59.5 < 0.02, "{p50}");
    }

    #[test]
    fn a_series_merges_to_the_window_width_and_leaves_gaps() {
        let mut rows = Vec::new();
        // Hourly buckets over 30 days, one sample each at 20 ms, except a day with none.
        let now = 40 * 86_400;
        for h in 0..(31 * 24) {
            let start = now - h * 3600;
            let start = start - start % 3600;
            if (start / 86_400) == 35 {
                continue;
            }
            let mut s = new_sketch();
            s.add(20.0);
            s.add(40.0);
            rows.push((start, encode(&s)));
        }
        let (from, to, buckets) = series(&rows, Window::Days30, now);
        assert_eq!(to - from, 30 * 86_400);
        assert!(
            buckets.len() <= 180 && buckets.len() >= 170,
            "{}",
            buckets.len()
        );
        assert!(buckets.iter().all(|b| b.start % (4 * 3600) == 0));
        assert!(
            buckets
                .windows(2)
                .any(|w| w[1].start - w[0].start > 4 * 3600),
            "a gap"
        );
        let b = &buckets[buckets.len() / 2];
        assert_eq!(b.count, 8);
        assert!((b.min - 20.0).abs() < 0.5 && (b.max - 40.0).abs() < 0.5);
    }
}

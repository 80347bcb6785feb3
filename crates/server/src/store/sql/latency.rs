//! Latency sketches: a batch's folded buckets merged into the stored ones, retention by tier,
//! and the buckets a series is made from.

use super::db::{params, OptionalExtension, Tx};
use crate::error::ApiResult;
use crate::latency;
use crate::store::LatencyRow;
use peering_model::prefix::Ipv4Prefix;

/// From how many buckets of one (tier, start) a batch reads them all at once.
pub const GROUP_READ: usize = 8;

/// Merges each folded sketch into its stored bucket, then applies the retention.
pub(super) fn ingest_latency(
    tx: &Tx<'_>,
    sub: &str,
    folded: Vec<LatencyRow>,
    keep_from: &[(i64, i64)],
) -> ApiResult<()> {
    // The stored buckets a batch merges into: a batch of many prefixes reads each (tier,
    // start) of theirs in one statement (the age index), a batch of few reads each bucket.
    // `folded` holds each bucket once (`latency::fold` makes a map), so a bucket read is
    // merged into exactly one row.
    let mut groups: std::collections::BTreeMap<(i64, i64), usize> = Default::default();
    for (_, tier, start, _) in &folded {
        *groups.entry((*tier, *start)).or_default() += 1;
    }
    let mut stored: std::collections::HashMap<(u32, u8, i64, i64), Vec<u8>> = Default::default();
    for (&(tier, start), &n) in &groups {
        if n < GROUP_READ {
            continue;
        }
        let rows = tx
            .prepare_cached(
                "SELECT prefix_addr, prefix_len, sketch FROM latency_sketches WHERE subscription = ?1 AND tier = ?2 AND start = ?3",
            )?
            .query_map(params![sub, tier, start], |r| {
                Ok(((r.get::<u32>(0)?, r.get::<u8>(1)?, tier, start), r.get::<Vec<u8>>(2)?))
            })?;
        for row in rows {
            let (k, v) = row?;
            stored.insert(k, v);
        }
    }
    for (prefix, tier, start, mut sketch) in folded {
        let key = (prefix.addr(), prefix.len(), tier, start);
        let bytes = if groups[&(tier, start)] >= GROUP_READ {
            stored.remove(&key)
        } else {
            tx.prepare_cached(
                "SELECT sketch FROM latency_sketches WHERE subscription = ?1 AND prefix_addr = ?2 AND prefix_len = ?3 AND tier = ?4 AND start = ?5",
            )?
            .query_row(params![sub, prefix.addr(), prefix.len(), tier, start], |r| r.get(0))
            .optional()?
        };
        if let Some(bytes) = bytes {
            // Same configuration on both sides: merging cannot fail.
            let _ = sketch.merge(&latency::decode(&bytes));
        }
        tx.prepare_cached(
            "INSERT INTO latency_sketches (subscription, prefix_addr, prefix_len, tier, start, samples, sketch) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (subscription, prefix_addr, prefix_len, tier, start) DO UPDATE SET samples = excluded.samples, sketch = excluded.sketch",
        )?
        .execute(params![sub, prefix.addr(), prefix.len(), tier, start, sketch.count() as i64, latency::encode(&sketch)])?;
    }
    for (tier, from) in keep_from {
        // A bucket goes once its end is past the retention (the ingestion keeps the same
        // ones), so no sample is removed before its retention ends.
        tx.prepare_cached(
            "DELETE FROM latency_sketches WHERE subscription = ?1 AND tier = ?2 AND start + tier <= ?3",
        )?
        .execute(params![sub, tier, from])?;
    }
    Ok(())
}

/// The buckets of `tier` from `from` of the prefixes `prefix` covers (itself and longer ones
/// inside it: a /22's chart is its /24s merged). The unary `+` keeps SQLite off the age index
/// (which would read every prefix's rows of the tier): the primary key's (subscription,
/// prefix_addr) range reads only these prefixes' rows.
pub(super) fn latency_rows(
    tx: &Tx<'_>,
    sub: &str,
    prefix: Ipv4Prefix,
    tier: i64,
    from: i64,
) -> super::db::Result<Vec<(i64, Vec<u8>)>> {
    tx.prepare_cached(
        "SELECT start, sketch FROM latency_sketches
         WHERE subscription = ?1 AND prefix_addr BETWEEN ?2 AND ?3 AND prefix_len >= ?4 AND +tier = ?5 AND +start >= ?6
         ORDER BY start",
    )?
    .query_map(params![sub, prefix.addr(), prefix.last(), prefix.len(), tier, from], |r| Ok((r.get(0)?, r.get(1)?)))?
    .collect()
}

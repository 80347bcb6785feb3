//! Each connection's prefixes counted by validation state, with the prefixes themselves
//! (the `peeringServicePrefixSummaries` extension): one pass, a page of connections at a time.

use super::db::{params, Tx};
use crate::store::{PrefixCounts, PrefixCountsPage};

/// Prefixes counted per connection and validation state, for `limit` connections after
/// `after`, in key order. One pass in the primary key's order (subscription, rg_key,
/// service_key, …): the groups come out of the index already sorted, each state is a sum, and
/// the scan stops after `limit + 1` connections, so a page costs its own rows only.
pub(super) fn prefix_counts(
    tx: &Tx<'_>,
    sub: &str,
    after: Option<(String, String)>,
    limit: usize,
    since: i64,
) -> super::db::Result<PrefixCountsPage> {
    use peering_model::wire::PrefixValidationState;
    let (after_rg, after_name) = after.unwrap_or_default();
    let sums: Vec<String> = PrefixValidationState::ALL
        .iter()
        .map(|s| {
            format!(
                "COUNT(CASE WHEN p.validation_state = '{}' THEN 1 END)",
                s.as_str()
            )
        })
        .collect();
    // The prefixes themselves in the same pass: fields joined by U+001F, prefixes by U+001E
    // (neither can occur in a name, an IPv4 prefix, a key or a state).
    let mut st = tx.prepare_cached(&format!(
        "SELECT p.rg_key, p.service_key, s.resource_group, s.name, {},
                string_agg(p.name || ?5 || p.prefix || ?5 || coalesce(p.prefix_key, '')
                           || ?5 || p.validation_state, ?6)
         FROM prefixes p JOIN peering_services s
           ON s.subscription = p.subscription AND s.rg_key = p.rg_key AND s.name_key = p.service_key
         WHERE p.subscription = ?1 AND (p.rg_key, p.service_key) > (?2, ?3)
         GROUP BY p.rg_key, p.service_key, s.resource_group, s.name
         ORDER BY p.rg_key, p.service_key
         LIMIT ?4",
        sums.join(", ")
    ))?;
    let mut rows = st.query(params![
        sub,
        after_rg,
        after_name,
        (limit + 1) as i64,
        "\u{1f}",
        "\u{1e}"
    ])?;
    let mut out: Vec<PrefixCounts> = Vec::new();
    let mut last: Option<(String, String)> = None;
    while let Some(r) = rows.next()? {
        if out.len() == limit {
            // One more connection than the page: there is a next page, after the last.
            return Ok((out, last));
        }
        let mut by_state = Vec::new();
        for (k, state) in PrefixValidationState::ALL.iter().enumerate() {
            let n: i64 = r.get(4 + k)?;
            if n > 0 {
                by_state.push((*state, u32::try_from(n).unwrap_or(u32::MAX)));
            }
        }
        let listed: String = r.get(4 + PrefixValidationState::ALL.len())?;
        let mut prefixes: Vec<peering_model::wire::SummaryPrefix> = listed
            .split('\u{1e}')
            .filter_map(|item| {
                let f: Vec<&str> = item.split('\u{1f}').collect();
                let [name, prefix, key, state] = f.as_slice() else {
                    return None;
                };
                Some(peering_model::wire::SummaryPrefix {
                    name: (*name).to_owned(),
                    prefix: (*prefix).to_owned(),
                    peering_service_prefix_key: (!key.is_empty()).then(|| (*key).to_owned()),
                    prefix_validation_state: state
                        .parse()
                        .unwrap_or(PrefixValidationState::Unknown),
                })
            })
            .collect();
        prefixes.sort_by_key(|p| p.name.to_ascii_lowercase());
        let (rg_key, service_key): (String, String) = (r.get(0)?, r.get(1)?);
        out.push(PrefixCounts {
            resource_group: r.get(2)?,
            connection: r.get(3)?,
            by_state,
            latency_p50_ms: median_since(tx, sub, &prefixes, since)?,
            latest_event: latest_event(tx, sub, &rg_key, &service_key)?,
            prefixes,
        });
        last = Some((r.get(0)?, r.get(1)?));
    }
    Ok((out, None))
}

/// The median of the samples of `prefixes` from the hour `since` falls in, from the hourly
/// sketches merged (for "the last day": 24 or 25 of them per prefix, whole hours).
fn median_since(
    tx: &Tx<'_>,
    sub: &str,
    prefixes: &[peering_model::wire::SummaryPrefix],
    since: i64,
) -> super::db::Result<Option<f64>> {
    let mut all = crate::latency::new_sketch();
    for p in prefixes {
        let Ok(prefix) = peering_model::prefix::Ipv4Prefix::parse(&p.prefix) else {
            continue;
        };
        let kept = peering_model::telemetry::latency_prefix(prefix);
        for (_, bytes) in super::latency::latency_rows(tx, sub, kept, 3600, since - since % 3600)? {
            // Same configuration on both sides: merging cannot fail.
            let _ = all.merge(&crate::latency::decode(&bytes));
        }
    }
    let (min, max) = (all.min(), all.max());
    Ok(all
        .quantile(0.5)
        .ok()
        .flatten()
        .zip(min.zip(max))
        .map(|(q, (lo, hi))| q.clamp(lo, hi)))
}

/// The newest event of a connection's prefixes, with the prefix's name.
fn latest_event(
    tx: &Tx<'_>,
    sub: &str,
    rg_key: &str,
    service_key: &str,
) -> super::db::Result<Option<(String, peering_model::wire::PrefixEvent)>> {
    use super::children::wire;
    use super::db::OptionalExtension;
    tx.prepare_cached(
        "SELECT p.name, e.event_timestamp, e.event_type, e.event_summary, e.event_level, e.event_description
         FROM prefix_events e JOIN prefixes p
           ON p.subscription = e.subscription AND p.rg_key = e.rg_key AND p.service_key = e.service_key AND p.name_key = e.prefix_key
         WHERE e.subscription = ?1 AND e.rg_key = ?2 AND e.service_key = ?3
         ORDER BY e.event_timestamp DESC, e.seq DESC LIMIT 1",
    )?
    .query_row(params![sub, rg_key, service_key], |r| {
        Ok((
            r.get(0)?,
            peering_model::wire::PrefixEvent {
                event_timestamp: r.get(1)?,
                event_type: wire(r, 2)?,
                event_summary: r.get(3)?,
                event_level: wire(r, 4)?,
                event_description: r.get(5)?,
            },
        ))
    })
    .optional()
}

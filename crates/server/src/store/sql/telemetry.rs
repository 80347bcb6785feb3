//! Telemetry: what the provider's sessions last said about each prefix, the keys
//! providers registered, monitor test results, and the prefix validation they drive.
//!
//! Re-evaluation is what keeps a prefix's stored state true: every write that can change a
//! verdict (an observation, a registration, a prefix created or given a new key, a connection
//! replaced) re-evaluates the prefixes it can affect inside its own transaction, with
//! `peering_model::observation::evaluate`, so a read never sees a state older than the data
//! it was decided from.

use super::alerting::Touched;
use super::db::{params, OptionalExtension, Tx};
use super::verdicts::{self, owner_of, route_from, Owner, Scope, OWNER_COLUMNS};
use crate::error::{ApiError, ApiResult};
use crate::latency;
use crate::store::{IngestReport, LatencyRow, Observed, RegisteredKey};
use peering_model::catalog::match_key;
use peering_model::observation::{self, Route, Session};
use peering_model::prefix::Ipv4Prefix;
use peering_model::ServiceId;

/// The route a session last reported for a prefix, with when.
fn stored_route(
    tx: &Tx<'_>,
    sub: &str,
    s: &Session,
    prefix: &str,
) -> super::db::Result<Option<(Route, String)>> {
    tx.prepare_cached(
        "SELECT origin_asn, as_path, communities, announced, observed_at FROM bgp_routes
         WHERE subscription = ?1 AND provider_key = ?2 AND location_key = ?3 AND router = ?4 AND prefix = ?5",
    )?
    .query_row(
        params![sub, match_key(&s.provider), match_key(&s.peering_location), s.router, prefix],
        |r| {
            let path: String = r.get(1)?;
            let communities: String = r.get(2)?;
            Ok((
                route_from(s.clone(), prefix.to_owned(), r.get(0)?, &path, &communities, r.get(3)?),
                r.get::<String>(4)?,
            ))
        },
    )
    .optional()
}

fn owner(tx: &Tx<'_>, sub: &str, provider: &str, prefix: &str) -> super::db::Result<Option<Owner>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {OWNER_COLUMNS} FROM prefixes p
         JOIN peering_services s ON s.subscription = p.subscription AND s.rg_key = p.rg_key AND s.name_key = p.service_key
         WHERE p.subscription = ?1 AND p.prefix_addr = ?2 AND p.prefix_len = ?3"
    ))?;
    // The index on (subscription, prefix_addr) finds it; both values are canonical (the
    // observation's prefix was checked, the stored one was parsed before it was written).
    let Ok(p) = Ipv4Prefix::parse(prefix) else {
        return Ok(None);
    };
    let rows = st.query_map(params![sub, p.addr(), p.len()], |r| owner_of(r, sub))?;
    for r in rows {
        let (o, _, _) = r?;
        if match_key(&o.provider) == match_key(provider) {
            return Ok(Some(o));
        }
    }
    Ok(None)
}

/// Each prefix's next event number and the events stored in this batch, so a batch reads
/// each prefix's newest number once and prunes its history once, at the end: the same rows as
/// numbering and pruning after every observation (pruning keeps the newest `keep` either way),
/// in fewer statements. Nothing else writes the subscription's events meanwhile (its lock).
#[derive(Default)]
struct EventLog {
    next: Vec<((ServiceId, String), i64)>,
}

impl EventLog {
    fn add(
        &mut self,
        tx: &Tx<'_>,
        o: &Owner,
        at: &str,
        events: &[(peering_model::wire::PrefixEventType, String)],
    ) -> super::db::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let (sub, rg, svc) = (&o.id.subscription, o.id.rg_key(), o.id.name_key());
        let slot = match self
            .next
            .iter()
            .position(|((id, key), _)| *id == o.id && *key == o.name_key)
        {
            Some(i) => i,
            None => {
                let next: i64 = tx
                    .prepare_cached(
                        "SELECT COALESCE(MAX(seq), 0) + 1 FROM prefix_events
                         WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND prefix_key = ?4",
                    )?
                    .query_row(params![sub, rg, svc, o.name_key], |r| r.get(0))?;
                self.next.push(((o.id.clone(), o.name_key.clone()), next));
                self.next.len() - 1
            }
        };
        let mut insert = tx.prepare_cached(
            "INSERT INTO prefix_events (subscription, rg_key, service_key, prefix_key, seq, event_timestamp, event_type, event_summary, event_level, event_description)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for (t, summary) in events {
            let seq = self.next[slot].1;
            insert.execute(params![
                sub,
                rg,
                svc,
                o.name_key,
                seq,
                at,
                t.as_str(),
                summary,
                t.level().as_str(),
                t.description()
            ])?;
            self.next[slot].1 += 1;
        }
        Ok(())
    }

    /// Keeps the newest `keep` events of every prefix this batch added to.
    fn prune(&self, tx: &Tx<'_>, keep: usize) -> super::db::Result<()> {
        let mut delete = tx.prepare_cached(
            "DELETE FROM prefix_events WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND prefix_key = ?4 AND seq <= ?5",
        )?;
        for ((id, key), next) in &self.next {
            delete.execute(params![
                id.subscription,
                id.rg_key(),
                id.name_key(),
                key,
                next - 1 - keep as i64
            ])?;
        }
        Ok(())
    }
}

/// A session observed in this batch: as first stored, and its newest observation.
struct SessionSeen {
    provider_key: String,
    location_key: String,
    session: Session,
    first_at: String,
    first_address: String,
    at: String,
}

/// Stores what a session said at `at`: its address, unless the stored one is newer.
fn store_session(
    tx: &Tx<'_>,
    sub: &str,
    pk: &str,
    lk: &str,
    s: &Session,
    at: &str,
) -> super::db::Result<()> {
    tx.prepare_cached(
        "INSERT INTO bgp_sessions (subscription, provider_key, location_key, router, provider, peering_location, address, last_seen)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (subscription, provider_key, location_key, router) DO UPDATE SET
             address = CASE WHEN excluded.last_seen >= bgp_sessions.last_seen THEN excluded.address ELSE bgp_sessions.address END,
             last_seen = CASE WHEN excluded.last_seen >= bgp_sessions.last_seen THEN excluded.last_seen ELSE bgp_sessions.last_seen END",
    )?
    .execute(params![sub, pk, lk, s.router, s.provider, s.peering_location, s.address, at])?;
    Ok(())
}

/// Stores route observations in time order (an observation older than what its session last
/// said about the prefix is stale and skipped), records the events each change makes for the
/// customer prefix it concerns, then re-evaluates the providers' prefixes.
pub(super) fn ingest_routes(
    tx: &Tx<'_>,
    sub: &str,
    mut items: Vec<Observed>,
    keep_events: usize,
    alerts: &mut Touched,
) -> ApiResult<IngestReport> {
    // Stable: observations of one moment keep the order they were sent in.
    items.sort_by(|a, b| a.at.cmp(&b.at));
    let mut report = IngestReport::default();
    // Per provider: whether a session is new (every prefix of the provider is decided again:
    // the session counts for each), else the prefixes whose routes changed.
    let mut touched: Vec<(String, bool, Vec<String>)> = Vec::new();
    // Within the batch (nothing else writes the subscription meanwhile): each session's row is
    // read once and written when it is first seen and once more at the end with what its
    // newest observation said; each prefix's owner is looked up once (routes change no
    // owner); events are numbered and pruned per prefix ([`EventLog`]).
    let mut sessions: Vec<SessionSeen> = Vec::new();
    let mut owners: Vec<((String, String), Option<Owner>)> = Vec::new();
    let mut log = EventLog::default();
    for Observed { route, at } in items {
        let s = &route.session;
        let (pk, lk) = (match_key(&s.provider), match_key(&s.peering_location));
        let seen = sessions.iter().position(|x| {
            x.provider_key == pk && x.location_key == lk && x.session.router == s.router
        });
        let known = match seen {
            Some(i) => {
                // Items are in time order: this one is the session's newest so far.
                let x = &mut sessions[i];
                x.session.address.clone_from(&s.address);
                x.at.clone_from(&at);
                true
            }
            None => {
                let known = tx
                    .prepare_cached(
                        "SELECT 1 FROM bgp_sessions WHERE subscription = ?1 AND provider_key = ?2 AND location_key = ?3 AND router = ?4",
                    )?
                    .exists(params![sub, pk, lk, s.router])?;
                store_session(tx, sub, &pk, &lk, s, &at)?;
                sessions.push(SessionSeen {
                    provider_key: pk.clone(),
                    location_key: lk.clone(),
                    session: s.clone(),
                    first_at: at.clone(),
                    first_address: s.address.clone(),
                    at: at.clone(),
                });
                known
            }
        };
        let entry = match touched.iter().position(|(k, _, _)| *k == pk) {
            Some(i) => i,
            None => {
                touched.push((pk.clone(), false, Vec::new()));
                touched.len() - 1
            }
        };
        touched[entry].1 |= !known;
        let before = stored_route(tx, sub, s, &route.prefix)?;
        if before.as_ref().is_some_and(|(_, seen)| *seen >= at) {
            report.stale += 1;
            continue;
        }
        tx.prepare_cached(
            "INSERT INTO bgp_routes (subscription, provider_key, location_key, router, prefix, origin_asn, as_path, communities, announced, observed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (subscription, provider_key, prefix, location_key, router) DO UPDATE SET
                 origin_asn = excluded.origin_asn, as_path = excluded.as_path, communities = excluded.communities,
                 announced = excluded.announced, observed_at = excluded.observed_at",
        )?
        .execute(params![
            sub, pk, lk, s.router, route.prefix, route.origin_asn,
            serde_json::to_string(&route.as_path).map_err(ApiError::internal)?,
            serde_json::to_string(&route.communities).map_err(ApiError::internal)?,
            route.announced, at
        ])?;
        report.accepted += 1;
        if !touched[entry].2.contains(&route.prefix) {
            touched[entry].2.push(route.prefix.clone());
        }
        let key = (pk.clone(), route.prefix.clone());
        let o = match owners.iter().find(|(k, _)| *k == key) {
            Some((_, o)) => o.clone(),
            None => {
                let o = owner(tx, sub, &s.provider, &route.prefix)?;
                owners.push((key, o.clone()));
                o
            }
        };
        let Some(o) = o else {
            continue;
        };
        let Ok(prefix) = Ipv4Prefix::parse(&route.prefix) else {
            continue;
        };
        if let Some(role) = observation::role(&o.subject(prefix), s) {
            let events = observation::events(role, before.as_ref().map(|(r, _)| r), &route);
            report.events += events.len();
            log.add(tx, &o, &at, &events)?;
            for (t, _) in &events {
                alerts.event(&o.id, &o.name_key, t.level());
            }
        }
    }
    log.prune(tx, keep_events)?;
    for x in &sessions {
        if x.at != x.first_at || x.session.address != x.first_address {
            store_session(tx, sub, &x.provider_key, &x.location_key, &x.session, &x.at)?;
        }
    }
    for (pk, all, prefixes) in &touched {
        let scopes: Vec<Scope<'_>> = if *all {
            vec![Scope::Provider(pk)]
        } else {
            prefixes.iter().map(|p| Scope::Prefix(pk, p)).collect()
        };
        for scope in scopes {
            let owners = verdicts::reevaluate(tx, sub, scope)?;
            report.reevaluated += owners.len();
            owners.iter().for_each(|id| alerts.connection(id));
        }
    }
    Ok(report)
}

/// Stores providers' prefix keys (an empty key removes the registration), then re-evaluates.
pub(super) fn ingest_keys(
    tx: &Tx<'_>,
    sub: &str,
    items: Vec<RegisteredKey>,
    touched: &mut Touched,
) -> ApiResult<IngestReport> {
    let mut report = IngestReport::default();
    let mut providers: Vec<String> = Vec::new();
    for k in items {
        let pk = match_key(&k.provider);
        match &k.key {
            Some(key) => tx
                .prepare_cached(
                    "INSERT INTO provider_prefixes (subscription, provider_key, prefix, prefix_key, registered_at) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (subscription, provider_key, prefix) DO UPDATE SET prefix_key = excluded.prefix_key, registered_at = excluded.registered_at",
                )?
                .execute(params![sub, pk, k.prefix.to_string(), key, k.at])?,
            None => tx
                .prepare_cached("DELETE FROM provider_prefixes WHERE subscription = ?1 AND provider_key = ?2 AND prefix = ?3")?
                .execute(params![sub, pk, k.prefix.to_string()])?,
        };
        report.accepted += 1;
        if !providers.contains(&pk) {
            providers.push(pk);
        }
    }
    for p in &providers {
        let owners = verdicts::reevaluate(tx, sub, Scope::Provider(p))?;
        report.reevaluated += owners.len();
        owners.iter().for_each(|id| touched.connection(id));
    }
    Ok(report)
}

/// Merges each folded sketch into its stored bucket, then applies the retention.
/// From how many buckets of one (tier, start) a batch reads them all at once.
const GROUP_READ: usize = 8;

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

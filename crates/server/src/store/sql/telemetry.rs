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
use crate::store::{IngestReport, Observed, RegisteredKey};
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
    next: std::collections::HashMap<(ServiceId, String), i64>,
}

impl EventLog {
    /// Stores `events` of the prefix `o` (none: the prefix is still pruned at the end, as an
    /// observation of it always pruned its history).
    fn add(
        &mut self,
        tx: &Tx<'_>,
        o: &Owner,
        at: &str,
        events: &[(peering_model::wire::PrefixEventType, String)],
    ) -> super::db::Result<()> {
        let (sub, rg, svc) = (&o.id.subscription, o.id.rg_key(), o.id.name_key());
        let key = (o.id.clone(), o.name_key.clone());
        let next = match self.next.get_mut(&key) {
            Some(next) => next,
            None => {
                let next: i64 = tx
                    .prepare_cached(
                        "SELECT COALESCE(MAX(seq), 0) + 1 FROM prefix_events
                         WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND prefix_key = ?4",
                    )?
                    .query_row(params![sub, rg, svc, o.name_key], |r| r.get(0))?;
                self.next.entry(key).or_insert(next)
            }
        };
        if events.is_empty() {
            return Ok(());
        }
        let mut insert = tx.prepare_cached(
            "INSERT INTO prefix_events (subscription, rg_key, service_key, prefix_key, seq, event_timestamp, event_type, event_summary, event_level, event_description)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for (t, summary) in events {
            insert.execute(params![
                sub,
                rg,
                svc,
                o.name_key,
                *next,
                at,
                t.as_str(),
                summary,
                t.level().as_str(),
                t.description()
            ])?;
            *next += 1;
        }
        Ok(())
    }

    /// Keeps the newest `keep` events of every prefix this batch observed.
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
    let mut owners: std::collections::HashMap<(String, String), Option<Owner>> =
        std::collections::HashMap::new();
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
        if observation::is_stale(
            before.as_ref().map(|(r, seen)| (r, seen.as_str())),
            &route,
            &at,
        ) {
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
        let o = match owners.get(&key) {
            Some(o) => o.clone(),
            None => {
                let o = owner(tx, sub, &s.provider, &route.prefix)?;
                owners.insert(key, o.clone());
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

//! `peering-server --demo`: connections from the real catalog in subscription
//! [`SUBSCRIPTION`], fed by a **simulated** collector, so the console is alive out of the box.
//!
//! Everything goes through the API's own endpoints, in this process (the router, without a
//! socket): the sites are created with a contributor token of their own, the telemetry is sent
//! with a collector token to the ingestion endpoints, so it is checked, stored and evaluated
//! exactly as a real collector's would be. Both tokens live only in memory and grant only the
//! demo subscription. What is simulated says so: the resource group is `demo-simulated`,
//! every connection carries the tag `simulated=true`, the routers are `sim-…`.
//!
//! The mix is fixed, so what a user sees is predictable: half the prefixes are Verified; the
//! others lack the Peering Service community, have a long AS path, a private ASN in it, or a
//! key the provider did not register, each Failed with the documented reason; and each
//! tick one healthy site's backup session withdraws the prefix (Failed, naming the session)
//! and announces it again on the next (Verified), which makes events.

mod sites;

use crate::auth::{Grant, Role};
use axum::body::Body;
use axum::http::{header, Method, Request};
use axum::Router;
use peering_model::alerts::{AlertKind, AlertRule, AlertRuleProperties};
use peering_model::catalog::Catalog;
use peering_model::telemetry::{
    LatencySample, MonitorResult, ProviderPrefix, RouteObservation, SIMULATED_TAG,
};
use peering_model::wire::EventLevel;
use peering_model::wire::{
    ConnectionMonitorTest, ConnectionMonitorTestProperties, PeeringService, PeeringServicePrefix,
    PeeringServiceProperties, PrefixProperties,
};
use serde_json::{json, Value};
use sites::{agent, session_address, sites, slug, Flaw, Site};
use std::time::Duration;
use tower::ServiceExt;

/// The subscription the console opens by default (`public/config.json`).
pub const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";
/// Where the simulated connections live.
pub const RESOURCE_GROUP: &str = "demo-simulated";
/// How often the simulated collector reports.
pub const TICK: Duration = Duration::from_secs(5);
/// How many simulated sites there are.
pub const SITES: usize = 12;
const API: &str = "api-version=2025-05-01";

/// The demo's two in-memory tokens.
pub struct Demo {
    seeder: String,
    collector: String,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Default for Demo {
    fn default() -> Self {
        Demo {
            seeder: random_token(),
            collector: random_token(),
        }
    }
}

impl Demo {
    /// The grants to add to the server's tokens: a contributor and a collector, both for the
    /// demo subscription only.
    pub fn grants(&self) -> Vec<Grant> {
        vec![
            Grant::new(
                self.seeder.clone(),
                vec![SUBSCRIPTION.into()],
                Role::Contributor,
            )
            .named("demo seeder"),
            Grant::new(
                self.collector.clone(),
                vec![SUBSCRIPTION.into()],
                Role::Collector,
            )
            .named("demo collector"),
        ]
    }

    /// Creates the sites (again: every write is idempotent), then reports every [`TICK`]
    /// until the server stops. Failures are logged and the next tick tries again.
    pub async fn run(self, router: Router) {
        let mut seeded = false;
        let mut tick: u64 = 0;
        loop {
            if !seeded {
                match self.seed(&router).await {
                    Ok(()) => {
                        seeded = true;
                        tracing::info!("demo: {SITES} simulated sites created");
                    }
                    Err(e) => tracing::warn!("demo: creating the sites failed: {e}"),
                }
            }
            if seeded {
                match self.report(&router, tick).await {
                    Ok(()) => tick += 1,
                    // Someone deleted a simulated site or its test (the console allows it):
                    // create the sites again, then report this tick again. Any other
                    // failure (a busy server) only retries the tick.
                    Err(e) if e.contains("UnknownMonitorTest") || e.contains(" 404 ") => {
                        tracing::warn!(
                            "demo: a simulated site is gone, creating the sites again: {e}"
                        );
                        seeded = false;
                    }
                    Err(e) => tracing::warn!("demo: a simulated report failed; trying again: {e}"),
                }
            }
            tokio::time::sleep(TICK).await;
        }
    }

    /// Creates (or replaces, unchanged) every site with its prefix and monitor test.
    pub async fn seed(&self, router: &Router) -> Result<(), String> {
        for s in &sites(Catalog::embedded()) {
            let connection = PeeringService {
                location: Some(s.location.azure_region.clone()),
                tags: Some([(SIMULATED_TAG.to_owned(), "true".to_owned())].into()),
                properties: Some(PeeringServiceProperties {
                    peering_service_location: Some(s.location.state.trim().to_owned()),
                    peering_service_provider: Some(s.provider.name.clone()),
                    provider_primary_peering_location: Some(s.primary.to_owned()),
                    provider_backup_peering_location: Some(s.backup.unwrap_or("None").to_owned()),
                    ..Default::default()
                }),
                ..Default::default()
            };
            let prefix = PeeringServicePrefix {
                properties: Some(PrefixProperties {
                    prefix: Some(s.prefix()),
                    peering_service_prefix_key: Some(s.key()),
                    ..Default::default()
                }),
                ..Default::default()
            };
            let test = ConnectionMonitorTest {
                properties: Some(ConnectionMonitorTestProperties {
                    source_agent: Some(agent(s)),
                    destination: Some("www.microsoft.com".into()),
                    destination_port: Some(443),
                    test_frequency_in_sec: Some(30),
                    ..Default::default()
                }),
                ..Default::default()
            };
            let put =
                |path: String, body: Value| send(router, &self.seeder, Method::PUT, path, body);
            put(s.path(), to_value(&connection)?).await?;
            put(format!("{}/prefixes/site", s.path()), to_value(&prefix)?).await?;
            put(
                format!("{}/connectionMonitorTests/reachability", s.path()),
                to_value(&test)?,
            )
            .await?;
            // Alerts: a withdrawal (Warning) opens one until the route is back, and a prefix
            // that fails validation keeps one open.
            for (rule, properties) in [
                (
                    "route-withdrawn",
                    AlertRuleProperties {
                        kind: Some(AlertKind::EventLevel),
                        level: Some(EventLevel::Warning),
                        ..Default::default()
                    },
                ),
                (
                    "prefix-failed",
                    AlertRuleProperties {
                        kind: Some(AlertKind::PrefixFailed),
                        ..Default::default()
                    },
                ),
            ] {
                let body = AlertRule {
                    properties: Some(properties),
                    ..Default::default()
                };
                put(format!("{}/alertRules/{rule}", s.path()), to_value(&body)?).await?;
            }
        }
        Ok(())
    }

    /// One round of the simulated collector: on tick 0 the providers' key registrations,
    /// then every tick each session's word on each site's prefix and each test's result.
    pub async fn report(&self, router: &Router, tick: u64) -> Result<(), String> {
        let sites = sites(Catalog::embedded());
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| e.to_string())?;
        let healthy: Vec<&Site<'_>> = sites
            .iter()
            .filter(|s| s.flaw == Flaw::None && s.backup.is_some())
            .collect();
        // The healthy site whose backup session withdraws this tick (each in turn, every
        // other tick, so it is announced again in between).
        let flapping = (tick % 2 == 1)
            .then(|| healthy.get((tick / 2) as usize % healthy.len().max(1)))
            .flatten()
            .map(|s| s.index);
        if tick == 0 {
            let keys: Vec<Value> = sites
                .iter()
                .map(|s| {
                    let key = if s.flaw == Flaw::WrongKey {
                        format!("5e1a0000-0000-4000-9000-{:012x}", s.index)
                    } else {
                        s.key()
                    };
                    to_value(&ProviderPrefix {
                        provider: s.provider.name.clone(),
                        prefix: s.prefix(),
                        prefix_key: key,
                    })
                })
                .collect::<Result<_, String>>()?;
            self.ingest(router, "ingestProviderPrefixKeys", keys)
                .await?;
        }
        let mut routes = Vec::new();
        let mut results = Vec::new();
        for s in &sites {
            // Every peering location of a provider has two simulated sessions, and a site's
            // prefix is announced from both at its primary and at its backup location (the
            // checks count every session the provider has there, whoever's prefix it carries).
            let mut places = vec![(s.primary, false)];
            places.extend(s.backup.map(|b| (b, true)));
            for (location, backup) in places {
                for n in 1..=2 {
                    let announced = !(backup && n == 1 && flapping == Some(s.index));
                    routes.push(to_value(&RouteObservation {
                        provider: s.provider.name.clone(),
                        peering_location: location.to_owned(),
                        router: format!("sim-{}-{n}", slug(location)),
                        address: session_address(&s.provider.name, location, n),
                        prefix: s.prefix(),
                        origin_asn: s.asn(),
                        as_path: s.as_path(),
                        communities: s.communities(),
                        announced,
                        timestamp: now.clone(),
                    })?);
                }
            }
            let slow = flapping == Some(s.index);
            results.push(to_value(&MonitorResult {
                resource_group: RESOURCE_GROUP.into(),
                peering_service: s.name.clone(),
                test: "reachability".into(),
                timestamp: now.clone(),
                success: !slow,
                hops: vec![
                    agent(s),
                    format!("{} edge ({})", s.provider.name, s.primary),
                    "Microsoft edge".into(),
                ],
                rtt_ms: Some(
                    8.0 + ((s.index as u64 * 7 + tick * 3) % 25) as f64
                        + if slow { 120.0 } else { 0.0 },
                ),
            })?);
        }
        self.ingest(router, "ingestRouteObservations", routes)
            .await?;
        self.ingest(router, "ingestMonitorTestResults", results)
            .await?;
        // Latency: on the first tick the last six hours (so a chart has a shape at once), then
        // each tick's own samples; the flapping site is slow while its backup is gone.
        let now_secs = time::OffsetDateTime::now_utc().unix_timestamp();
        // A restart finds the last hours there already: no second backfill (sketches merge,
        // so samples sent twice would count twice).
        let backfill = tick == 0 && !self.has_recent_latency(router, &sites[0].prefix()).await;
        let span = if backfill {
            6 * 3600
        } else {
            TICK.as_secs() as i64
        };
        let mut samples = Vec::new();
        for s in &sites {
            let slow = if flapping == Some(s.index) { 60.0 } else { 0.0 };
            // Ten samples a minute in the backfill, one a second after it.
            for back in (0..span).step_by(if backfill { 6 } else { 1 }) {
                let at = now_secs - back;
                samples.push(to_value(&LatencySample {
                    prefix: s.prefix(),
                    timestamp: time::OffsetDateTime::from_unix_timestamp(at)
                        .map_err(|e| e.to_string())?
                        .format(&time::format_description::well_known::Rfc3339)
                        .map_err(|e| e.to_string())?,
                    rtt_ms: s.latency(at) + slow,
                    source: agent(s),
                })?);
            }
        }
        // Half the largest batch: ten thousand of these would pass the default 1 MB body limit.
        for batch in samples.chunks(peering_model::telemetry::MAX_BATCH / 2) {
            self.ingest(router, "ingestLatencySamples", batch.to_vec())
                .await?;
        }
        Ok(())
    }

    async fn has_recent_latency(&self, router: &Router, prefix: &str) -> bool {
        let path = format!(
            "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Peering/peeringServicePrefixLatency?prefix={prefix}&window=6h"
        );
        send(router, &self.seeder, Method::GET, path, Value::Null)
            .await
            .ok()
            .and_then(|s| s["buckets"].as_array().map(|b| !b.is_empty()))
            .unwrap_or(false)
    }

    async fn ingest(&self, router: &Router, op: &str, items: Vec<Value>) -> Result<(), String> {
        let path = format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Peering/{op}");
        send(
            router,
            &self.collector,
            Method::POST,
            path,
            json!({ "value": items }),
        )
        .await
        .map(drop)
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, String> {
    serde_json::to_value(v).map_err(|e| e.to_string())
}

/// One request through the router, as a client would send it.
async fn send(
    router: &Router,
    token: &str,
    method: Method,
    path: String,
    body: Value,
) -> Result<Value, String> {
    let uri = if path.contains('?') {
        format!("{path}&{API}")
    } else {
        format!("{path}?{API}")
    };
    let request = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .map_err(|e| e.to_string())?;
    let response = router
        .clone()
        .oneshot(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 4 * 1024 * 1024)
        .await
        .unwrap_or_default();
    if status.is_success() {
        return Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null));
    }
    Err(format!(
        "{method} {path}: {status} {}",
        String::from_utf8_lossy(&bytes)
    ))
}

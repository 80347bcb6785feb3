//! What a collector sends the server (`docs/domain.md` §1.8): route observations from a
//! provider's BGP sessions, the prefix keys providers registered, and connection monitor test
//! results, each item checked on its own so a batch's errors name every bad item and field.
//!
//! The wire names of the items' fields are spelled once, here (the serde renames below and
//! [`fields`]); the server's ingestion endpoints, its OpenAPI document and the demo collector
//! all use these types. Timestamps are checked by the server (RFC 3339, made UTC there), which
//! owns the clock; everything else about an item is decided here.

use crate::catalog::Catalog;
use crate::names::is_guid;
use crate::observation::{Route, Session};
use crate::prefix::Ipv4Prefix;
use serde::{Deserialize, Serialize};

mod latency;
pub use latency::*;

/// The tag (set to "true") of what `peering-server --demo` made up, so the console can say
/// it is simulated.
pub const SIMULATED_TAG: &str = "simulated";

/// The most items one ingestion request may carry.
pub const MAX_BATCH: usize = 10_000;
/// The longest AS path an observation may carry (a real path is a handful of ASNs).
pub const MAX_PATH_LEN: usize = 64;
/// The most hops a monitor test result may list.
pub const MAX_HOPS: usize = 64;
/// The longest router id, address, community or hop text accepted.
const MAX_TEXT: usize = 256;

/// The field names of the items, as targets of their errors (`value[3].prefix`).
pub mod fields {
    pub const PROVIDER: &str = "provider";
    pub const PEERING_LOCATION: &str = "peeringLocation";
    pub const ROUTER: &str = "router";
    pub const ADDRESS: &str = "address";
    pub const PREFIX: &str = "prefix";
    pub const ORIGIN_ASN: &str = "originAsn";
    pub const AS_PATH: &str = "asPath";
    pub const COMMUNITIES: &str = "communities";
    pub const TIMESTAMP: &str = "timestamp";
    pub const PREFIX_KEY: &str = "prefixKey";
    pub const RESOURCE_GROUP: &str = "resourceGroup";
    pub const PEERING_SERVICE: &str = "peeringService";
    pub const TEST: &str = "test";
    /// `peeringServiceAlerts?state=open`: only the open alerts.
    pub const STATE: &str = "state";
    pub const HOPS: &str = "hops";
    pub const RTT_MS: &str = "rttMs";
    pub const SOURCE: &str = "source";
    /// The query parameter naming a latency series' window.
    pub const WINDOW: &str = "window";
    /// The array of items in every ingestion body.
    pub const VALUE: &str = "value";
}

/// The target of a field of item `index`: `value[3].prefix` (or `value[3]` for the item).
pub fn item_target(index: usize, field: Option<&str>) -> String {
    match field {
        Some(f) => format!("{}[{index}].{f}", fields::VALUE),
        None => format!("{}[{index}]", fields::VALUE),
    }
}

/// One session's word about one prefix at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteObservation {
    pub provider: String,
    pub peering_location: String,
    /// The session's router (or session) id.
    pub router: String,
    /// The session's address.
    pub address: String,
    pub prefix: String,
    pub origin_asn: u32,
    #[serde(default)]
    pub as_path: Vec<u32>,
    #[serde(default)]
    pub communities: Vec<String>,
    /// False: the session withdrew the prefix.
    pub announced: bool,
    pub timestamp: String,
}

/// The key a provider registered for a customer prefix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProviderPrefix {
    pub provider: String,
    pub prefix: String,
    /// Empty: the registration is withdrawn.
    pub prefix_key: String,
}

/// One run of a connection monitor test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MonitorResult {
    pub resource_group: String,
    pub peering_service: String,
    pub test: String,
    pub timestamp: String,
    pub success: bool,
    /// The hops from the source agent to the destination.
    #[serde(default)]
    pub hops: Vec<String>,
    #[serde(default)]
    pub rtt_ms: Option<f64>,
}

/// One stored run of a connection monitor test (the `connectionMonitorTestResults`
/// extension answers them newest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorTestRun {
    pub timestamp: String,
    pub success: bool,
    #[serde(default)]
    pub hops: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<f64>,
}

/// What is wrong with one field of an item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemError {
    pub field: &'static str,
    pub message: String,
}

pub(crate) fn err(field: &'static str, message: String) -> ItemError {
    ItemError { field, message }
}

pub(crate) fn text(field: &'static str, what: &str, s: &str, out: &mut Vec<ItemError>) {
    if s.trim().is_empty() {
        out.push(err(field, format!("The {what} is required.")));
    } else if s.chars().count() > MAX_TEXT {
        out.push(err(
            field,
            format!("The {what} is longer than {MAX_TEXT} characters."),
        ));
    }
}

/// The provider in the catalog's spelling, or the error naming it.
fn provider<'c>(
    catalog: &'c Catalog,
    name: &str,
) -> Result<&'c crate::catalog::Provider, ItemError> {
    catalog.provider(name).ok_or_else(|| {
        err(
            fields::PROVIDER,
            format!(
                "'{}' is not a Peering Service provider in the catalog.",
                name.trim()
            ),
        )
    })
}

/// A prefix a provider's session can carry: IPv4 in canonical form.
pub(crate) fn prefix(s: &str) -> Result<Ipv4Prefix, ItemError> {
    let p = Ipv4Prefix::parse(s).map_err(|f| err(fields::PREFIX, f.message))?;
    Ok(p)
}

/// A community is two 16-bit numbers, `8075:8007`.
fn is_community(s: &str) -> bool {
    let mut parts = s.trim().split(':');
    let mut half = || parts.next().and_then(|p| p.parse::<u16>().ok()).is_some();
    half() && half() && parts.next().is_none()
}

impl RouteObservation {
    /// Checks the item; `Ok` is the route it says, with the catalog's spellings of the
    /// provider and the peering location and the canonical prefix.
    pub fn check(&self, catalog: &Catalog) -> Result<Route, Vec<ItemError>> {
        let mut errors = Vec::new();
        let provider = match provider(catalog, &self.provider) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let location = provider.and_then(|p| {
            let found = catalog.provider_location(p, &self.peering_location);
            if found.is_none() {
                errors.push(err(
                    fields::PEERING_LOCATION,
                    format!(
                        "'{}' is not a peering location of {}.",
                        self.peering_location.trim(),
                        p.name
                    ),
                ));
            }
            found
        });
        text(fields::ROUTER, "router id", &self.router, &mut errors);
        if self.address.trim().parse::<std::net::IpAddr>().is_err() {
            errors.push(err(
                fields::ADDRESS,
                format!("'{}' is not an IP address.", self.address.trim()),
            ));
        }
        let prefix = prefix(&self.prefix).map_err(|e| errors.push(e)).ok();
        if self.as_path.len() > MAX_PATH_LEN {
            errors.push(err(
                fields::AS_PATH,
                format!("The AS path has more than {MAX_PATH_LEN} ASNs."),
            ));
        }
        if self.announced && self.as_path.last().is_some_and(|&o| o != self.origin_asn) {
            errors.push(err(
                fields::ORIGIN_ASN,
                format!(
                    "The origin ASN {} is not the last ASN of the AS path.",
                    self.origin_asn
                ),
            ));
        }
        if let Some(c) = self.communities.iter().find(|c| !is_community(c)) {
            errors.push(err(
                fields::COMMUNITIES,
                format!(
                    "'{}' is not a BGP community (two numbers 0–65535, as in 8075:8007).",
                    c.chars().take(40).collect::<String>()
                ),
            ));
        }
        match (provider, location, prefix, errors.is_empty()) {
            (Some(p), Some(l), Some(prefix), true) => Ok(Route {
                session: Session {
                    provider: p.name.clone(),
                    peering_location: l.to_owned(),
                    router: self.router.trim().to_owned(),
                    address: self.address.trim().to_owned(),
                },
                prefix: prefix.to_string(),
                origin_asn: self.origin_asn,
                as_path: self.as_path.clone(),
                communities: self
                    .communities
                    .iter()
                    .map(|c| c.trim().to_owned())
                    .collect(),
                announced: self.announced,
            }),
            _ => Err(errors),
        }
    }
}

impl ProviderPrefix {
    /// Checks the item; `Ok` is (the provider's catalog name, the prefix, the key or None
    /// when withdrawn).
    pub fn check(
        &self,
        catalog: &Catalog,
    ) -> Result<(String, Ipv4Prefix, Option<String>), Vec<ItemError>> {
        let mut errors = Vec::new();
        let p = provider(catalog, &self.provider)
            .map_err(|e| errors.push(e))
            .ok();
        let prefix = prefix(&self.prefix).map_err(|e| errors.push(e)).ok();
        let key = self.prefix_key.trim();
        if !key.is_empty() && !is_guid(key) {
            errors.push(err(
                fields::PREFIX_KEY,
                "The prefix key is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx); an empty key withdraws the registration.".to_owned(),
            ));
        }
        match (p, prefix, errors.is_empty()) {
            (Some(p), Some(prefix), true) => Ok((
                p.name.clone(),
                prefix,
                (!key.is_empty()).then(|| key.to_ascii_lowercase()),
            )),
            _ => Err(errors),
        }
    }
}

impl MonitorResult {
    /// Checks what can be checked without the store (the test must also exist there).
    pub fn check(&self) -> Result<(), Vec<ItemError>> {
        let mut errors = Vec::new();
        text(
            fields::RESOURCE_GROUP,
            "resource group",
            &self.resource_group,
            &mut errors,
        );
        text(
            fields::PEERING_SERVICE,
            "connection name",
            &self.peering_service,
            &mut errors,
        );
        text(fields::TEST, "test name", &self.test, &mut errors);
        if self.hops.len() > MAX_HOPS {
            errors.push(err(fields::HOPS, format!("More than {MAX_HOPS} hops.")));
        } else if self
            .hops
            .iter()
            .any(|h| h.trim().is_empty() || h.len() > MAX_TEXT)
        {
            errors.push(err(
                fields::HOPS,
                format!("Each hop is 1–{MAX_TEXT} characters."),
            ));
        }
        if self
            .rtt_ms
            .is_some_and(|r| !r.is_finite() || !(0.0..=600_000.0).contains(&r))
        {
            errors.push(err(
                fields::RTT_MS,
                "The round trip is a number of milliseconds from 0 to 600000.".to_owned(),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observation() -> RouteObservation {
        RouteObservation {
            provider: "equinix maps".into(),
            peering_location: "seattle".into(),
            router: "r1".into(),
            address: "10.0.0.1".into(),
            prefix: "8.8.8.0/24".into(),
            origin_asn: 15169,
            as_path: vec![3356, 15169],
            communities: vec!["8075:8007".into()],
            announced: true,
            timestamp: "2026-12-01T10:00:00Z".into(),
        }
    }

    #[test]
    fn a_good_observation_is_the_route_in_catalog_spelling() {
        let catalog = Catalog::embedded();
        let provider = &catalog.providers[0];
        let o = RouteObservation {
            provider: provider.name.to_lowercase(),
            peering_location: provider.peering_locations[0].to_uppercase(),
            ..observation()
        };
        let r = o.check(catalog).unwrap();
        assert_eq!(r.session.provider, provider.name);
        assert_eq!(r.session.peering_location, provider.peering_locations[0]);
        assert_eq!(r.prefix, "8.8.8.0/24");
    }

    #[test]
    fn every_bad_field_is_named() {
        let catalog = Catalog::embedded();
        let provider = catalog.providers[0].name.clone();
        let o = RouteObservation {
            provider,
            peering_location: "Atlantis".into(),
            router: " ".into(),
            address: "ten".into(),
            prefix: "8.8.8.1/24".into(),
            origin_asn: 1,
            as_path: vec![3356, 15169],
            communities: vec!["8075".into()],
            ..observation()
        };
        let fields: Vec<&str> = o
            .check(catalog)
            .unwrap_err()
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                fields::PEERING_LOCATION,
                fields::ROUTER,
                fields::ADDRESS,
                fields::PREFIX,
                fields::ORIGIN_ASN,
                fields::COMMUNITIES
            ]
        );
        let unknown = RouteObservation {
            provider: "Nobody".into(),
            ..observation()
        };
        assert_eq!(
            unknown.check(catalog).unwrap_err()[0].field,
            fields::PROVIDER
        );
    }

    #[test]
    fn a_withdrawal_needs_no_path() {
        let catalog = Catalog::embedded();
        let provider = &catalog.providers[0];
        let o = RouteObservation {
            provider: provider.name.clone(),
            peering_location: provider.peering_locations[0].clone(),
            announced: false,
            as_path: vec![],
            origin_asn: 0,
            ..observation()
        };
        assert!(!o.check(catalog).unwrap().announced);
    }

    #[test]
    fn provider_prefix_keys_are_guids_or_empty() {
        let catalog = Catalog::embedded();
        let provider = catalog.providers[0].name.clone();
        let item = |key: &str| ProviderPrefix {
            provider: provider.clone(),
            prefix: "8.8.8.0/24".into(),
            prefix_key: key.into(),
        };
        let key = "6A7F0D42-E49C-4EEA-A930-280610671C3F";
        assert_eq!(
            item(key).check(catalog).unwrap().2.as_deref(),
            Some(key.to_ascii_lowercase().as_str())
        );
        assert_eq!(item("").check(catalog).unwrap().2, None);
        assert_eq!(
            item("nope").check(catalog).unwrap_err()[0].field,
            fields::PREFIX_KEY
        );
    }

    #[test]
    fn monitor_results_are_bounded() {
        let r = MonitorResult {
            resource_group: "rg".into(),
            peering_service: "c".into(),
            test: "t".into(),
            timestamp: "2026-12-01T10:00:00Z".into(),
            success: true,
            hops: vec!["a".into(), "b".into()],
            rtt_ms: Some(12.5),
        };
        assert!(r.check().is_ok());
        let bad = MonitorResult {
            test: "".into(),
            hops: vec!["".into()],
            rtt_ms: Some(f64::NAN),
            ..r
        };
        let fields: Vec<&str> = bad.check().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, [fields::TEST, fields::HOPS, fields::RTT_MS]);
    }

    #[test]
    fn targets_point_into_the_batch() {
        assert_eq!(item_target(3, Some(fields::PREFIX)), "value[3].prefix");
        assert_eq!(item_target(0, None), "value[0]");
    }
}

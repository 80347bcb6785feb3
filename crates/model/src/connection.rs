//! A connection as a whole: names, the customer location cascade, the provider and its
//! primary/backup peering locations, the Azure region, tags; and connection monitor tests.

use crate::catalog::Catalog;
use crate::finding::{Code, Finding, Findings};
use crate::geo;
use crate::names::{NameKind, ResourceName};
use crate::tags::check_tags;
use std::collections::BTreeMap;

pub const NAME: &str = "name";
pub const COUNTRY: &str = "country";
pub const LOCATION: &str = "properties.peeringServiceLocation";
pub const PROVIDER: &str = "properties.peeringServiceProvider";
pub const PRIMARY: &str = "properties.providerPrimaryPeeringLocation";
pub const BACKUP: &str = "properties.providerBackupPeeringLocation";
pub const REGION: &str = "location";

/// What the user (or an API client) asks for. `country` is only known to the app; the API has
/// no country field, so the server passes `None` and any catalog location is accepted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectionDraft {
    pub name: String,
    pub country: Option<String>,
    pub location: String,
    pub provider: String,
    pub primary: String,
    /// `None`, empty or "None" all mean no backup (fail over to the internet).
    pub backup: Option<String>,
    /// The ARM region; empty means the location's Azure region.
    pub azure_region: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// A connection that passed every error check, in catalog spelling.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidConnection {
    pub name: ResourceName,
    pub country: String,
    pub location: String,
    pub azure_region: String,
    pub provider: String,
    pub primary: String,
    pub backup: Option<String>,
    pub tags: BTreeMap<String, String>,
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

/// Whether a backup value means "no backup".
pub fn is_no_backup(backup: Option<&str>) -> bool {
    match backup {
        None => true,
        Some(b) => b.trim().is_empty() || b.trim().eq_ignore_ascii_case("none"),
    }
}

/// Validate a whole connection. Returns the canonical connection when there is no error.
pub fn validate_connection(
    catalog: &Catalog,
    d: &ConnectionDraft,
) -> (Option<ValidConnection>, Findings) {
    let mut f = Findings::default();
    let name = ResourceName::parse(NameKind::Connection, NAME, &d.name)
        .map_err(|e| f.push(e))
        .ok();

    // Country → location.
    let mut country_ok = true;
    let country = match d.country.as_deref() {
        None => None,
        Some("") => {
            country_ok = false;
            f.push(Finding::error(
                COUNTRY,
                Code::Required,
                "Choose the country of the customer site.",
            ));
            None
        }
        Some(c) => match catalog.country(c) {
            Some(c) => Some(c),
            None => {
                country_ok = false;
                f.push(Finding::error(COUNTRY, Code::UnknownCountry, format!(
                    "'{c}' is not a Peering Service country; choose one of the {} countries in the list.",
                    catalog.countries.len()
                )));
                None
            }
        },
    };
    let location = if d.location.trim().is_empty() {
        let what = match country {
            Some(c) if c.name == "United States" => {
                "Choose the state of the customer site.".to_owned()
            }
            Some(c) => format!(
                "Choose the state or province in {} of the customer site.",
                c.name
            ),
            None => "The customer location (state/province) is required.".to_owned(),
        };
        if country_ok {
            f.push(Finding::error(LOCATION, Code::Required, what));
        }
        None
    } else {
        match (country, catalog.location(&d.location)) {
            (_, None) => {
                f.push(Finding::error(LOCATION, Code::UnknownLocation, format!(
                    "'{}' is not a Peering Service customer location; choose a state or province from the catalog (for the United States, the full state name such as 'Virginia').",
                    d.location.trim()
                )));
                None
            }
            (Some(c), Some((lc, l))) if lc.name != c.name => {
                f.push(Finding::error(
                    LOCATION,
                    Code::UnknownLocation,
                    format!(
                        "{} is in {}, not in {}; choose a state or province of {}.",
                        l.state.trim(),
                        lc.name,
                        c.name,
                        c.name
                    ),
                ));
                None
            }
            (_, Some((c, l))) => Some((c, l)),
        }
    };

    // Provider → primary → backup.
    let provider = if d.provider.trim().is_empty() {
        f.push(Finding::error(
            PROVIDER,
            Code::Required,
            "Choose the connectivity provider.",
        ));
        None
    } else {
        match catalog.provider(&d.provider) {
            Some(p) => Some(p),
            None => {
                f.push(Finding::error(
                    PROVIDER,
                    Code::UnknownProvider,
                    format!(
                        "'{}' is not a Peering Service provider; choose one from the list.",
                        d.provider.trim()
                    ),
                ));
                None
            }
        }
    };
    let primary = match provider {
        _ if d.primary.trim().is_empty() => {
            if provider.is_some() {
                f.push(Finding::error(
                    PRIMARY,
                    Code::Required,
                    "Choose the provider's primary peering location.",
                ));
            }
            None
        }
        None => None,
        Some(p) => match catalog.provider_location(p, &d.primary) {
            Some(l) => Some(l),
            None => {
                f.push(Finding::error(
                    PRIMARY,
                    Code::InvalidPrimaryLocation,
                    format!(
                        "{} is not a peering location of provider {}; it offers: {}.",
                        d.primary.trim(),
                        p.name,
                        list(&p.peering_locations)
                    ),
                ));
                None
            }
        },
    };
    let mut backup_ok = true;
    let backup = match (provider, d.backup.as_deref()) {
        (_, b) if is_no_backup(b) => None,
        (None, _) => None,
        (Some(p), Some(b)) => match catalog.provider_location(p, b) {
            None => {
                backup_ok = false;
                f.push(Finding::error(
                    BACKUP,
                    Code::InvalidBackupLocation,
                    format!(
                    "{} is not a peering location of provider {}; it offers: {} (or choose None).",
                    b.trim(), p.name, list(&p.peering_locations)
                ),
                ));
                None
            }
            Some(l) if Some(l) == primary => {
                backup_ok = false;
                f.push(Finding::error(BACKUP, Code::BackupEqualsPrimary, format!(
                    "The backup peering location must differ from the primary ({l}); choose another location or None."
                )));
                None
            }
            Some(l) => Some(l),
        },
        (Some(_), None) => None,
    };

    // Availability (a warning: the rule is documented, but the catalog is a snapshot).
    if let (Some((_, l)), Some(p)) = (location, provider) {
        match geo::reach(catalog, l, p) {
            Some(r) if !r.available() => f.push(Finding::warning(PROVIDER, Code::ProviderNotAvailable, format!(
                "{} has no peering location within 1000 miles of {}: its nearest, {}, is {:.0} miles away; the service may not be available there, so prefer a provider nearer to the customer site.",
                p.name, l.state.trim(), r.nearest, r.miles
            ))),
            _ => {}
        }
    }

    // Azure region: given, or the location's.
    let azure_region = match d.azure_region.as_deref().map(str::trim) {
        Some(r) if !r.is_empty() => Some(r.to_owned()),
        Some(_) if d.azure_region.as_deref() != Some("") => {
            f.push(Finding::error(
                REGION,
                Code::InvalidRegion,
                "The Azure region must not be blank.",
            ));
            None
        }
        _ => location.map(|(_, l)| l.azure_region.clone()),
    };

    f.extend(check_tags(&d.tags).0);

    if f.has_errors() || !backup_ok {
        return (None, f);
    }
    match (name, location, provider, primary, azure_region) {
        (Some(name), Some((c, l)), Some(p), Some(primary), Some(azure_region)) => (
            Some(ValidConnection {
                name,
                country: c.name.clone(),
                location: l.state.clone(),
                azure_region,
                provider: p.name.clone(),
                primary: primary.to_owned(),
                backup: backup.map(str::to_owned),
                tags: d.tags.clone(),
            }),
            f,
        ),
        _ => (None, f),
    }
}

/// What a connection monitor test asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonitorTestDraft {
    pub source_agent: String,
    pub destination: String,
    pub destination_port: i64,
    pub test_frequency_in_sec: i64,
}

pub fn validate_monitor_test(d: &MonitorTestDraft) -> Findings {
    let mut f = Findings::default();
    if d.source_agent.trim().is_empty() {
        f.push(Finding::error(
            "properties.sourceAgent",
            Code::InvalidSourceAgent,
            "The source agent is required; pick one of the connection's connected agents.",
        ));
    }
    if !is_ip_or_host(&d.destination) {
        f.push(Finding::error(
            "properties.destination",
            Code::InvalidDestination,
            format!(
            "'{}' is neither an IP address nor a host name (such as 1.1.1.1 or www.example.com).",
            d.destination.chars().take(64).collect::<String>()
        ),
        ));
    }
    if !(1..=65535).contains(&d.destination_port) {
        f.push(Finding::error(
            "properties.destinationPort",
            Code::InvalidPort,
            format!(
                "Destination port {} is out of range; use 1–65535.",
                d.destination_port
            ),
        ));
    }
    if !(30..=86400).contains(&d.test_frequency_in_sec) {
        f.push(Finding::error(
            "properties.testFrequencyInSec",
            Code::InvalidFrequency,
            format!(
                "Test frequency {} s is out of range; use 30–86400 seconds.",
                d.test_frequency_in_sec
            ),
        ));
    }
    f
}

/// An IPv4/IPv6 address or an RFC 1123 host name.
pub fn is_ip_or_host(s: &str) -> bool {
    if s.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let host = s.strip_suffix('.').unwrap_or(s);
    !host.is_empty()
        && host.len() <= 253
        && !host
            .split('.')
            .all(|l| l.bytes().all(|b| b.is_ascii_digit()))
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ConnectionDraft {
        ConnectionDraft {
            name: "seattle-office".into(),
            country: Some("United States".into()),
            location: "washington".into(),
            provider: "equinix maps".into(),
            primary: "Seattle".into(),
            backup: Some("san jose".into()),
            azure_region: None,
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn valid_connection_is_canonicalised() {
        let (v, f) = validate_connection(Catalog::embedded(), &draft());
        assert!(f.is_empty(), "{f:?}");
        let v = v.unwrap();
        assert_eq!(v.location, "Washington");
        assert_eq!(v.provider, "equinix MAPS");
        assert_eq!(v.primary, "seattle");
        assert_eq!(v.backup.as_deref(), Some("san Jose"));
        assert_eq!(v.azure_region, "West US 2");
    }

    #[test]
    fn location_must_be_of_the_country() {
        let d = ConnectionDraft {
            location: "Bavaria".into(),
            ..draft()
        };
        let (v, f) = validate_connection(Catalog::embedded(), &d);
        assert!(v.is_none());
        let e = f.for_target(LOCATION).unwrap();
        assert_eq!(e.code, Code::UnknownLocation);
        assert_eq!(e.message, "Bavaria is in Germany, not in United States; choose a state or province of United States.");
    }

    #[test]
    fn primary_must_be_offered_and_backup_must_differ() {
        let d = ConnectionDraft {
            primary: "London".into(),
            ..draft()
        };
        let (_, f) = validate_connection(Catalog::embedded(), &d);
        assert_eq!(f.for_target(PRIMARY).unwrap().message, "London is not a peering location of provider equinix MAPS; it offers: ashburn, dallas, atlanta, seattle, chicago, san Jose.");
        let d = ConnectionDraft {
            backup: Some("SEATTLE".into()),
            ..draft()
        };
        let (v, f) = validate_connection(Catalog::embedded(), &d);
        assert!(v.is_none());
        assert_eq!(
            f.for_target(BACKUP).unwrap().code,
            Code::BackupEqualsPrimary
        );
        let d = ConnectionDraft {
            backup: Some("None".into()),
            ..draft()
        };
        let (v, _) = validate_connection(Catalog::embedded(), &d);
        assert_eq!(v.unwrap().backup, None);
    }

    #[test]
    fn distant_provider_warns_but_does_not_block() {
        let d = ConnectionDraft {
            provider: "IIJ".into(),
            primary: "Tokyo".into(),
            backup: None,
            ..draft()
        };
        let (v, f) = validate_connection(Catalog::embedded(), &d);
        assert!(v.is_some());
        assert_eq!(
            f.for_target(PROVIDER).unwrap().code,
            Code::ProviderNotAvailable
        );
    }

    #[test]
    fn monitor_tests() {
        let ok = MonitorTestDraft {
            source_agent: "agent".into(),
            destination: "1.1.1.1".into(),
            destination_port: 443,
            test_frequency_in_sec: 30,
        };
        assert!(validate_monitor_test(&ok).is_empty());
        let bad = MonitorTestDraft {
            source_agent: " ".into(),
            destination: "bad host!".into(),
            destination_port: 0,
            test_frequency_in_sec: 10,
        };
        assert_eq!(validate_monitor_test(&bad).0.len(), 4);
        assert!(is_ip_or_host("www.example.com"));
        assert!(!is_ip_or_host("1.2.3.256"));
    }
}

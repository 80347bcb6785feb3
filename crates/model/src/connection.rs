//! A connection as a whole: names, the customer location cascade, the provider and its
//! primary/backup peering locations, the Azure region, the SKU, tags; and what a replacement
//! may not change. Connection monitor tests are in [`crate::monitor_test`].

use crate::catalog::{match_key, Catalog, Country};
use crate::finding::{Code, Finding, Findings};
use crate::geo;
use crate::names::{NameKind, ResourceName};
use crate::tags::check_tags;
use std::collections::BTreeMap;

use crate::targets::{BACKUP, COUNTRY, LOCATION, NAME, PRIMARY, PROVIDER, REGION, SKU_NAME};

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
    /// `sku.name`, when given.
    pub sku: Option<String>,
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
    pub sku: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// The longest `sku.name` accepted.
pub const MAX_SKU_NAME: usize = 64;

/// Checks `sku.name`: up to [`MAX_SKU_NAME`] letters, digits and `_` (as ARM's SKU names,
/// such as `Standard_Free`, are).
pub fn check_sku(name: &str) -> Option<Finding> {
    let n = name.chars().count();
    let bad = if n == 0 {
        "The SKU name must not be empty; leave sku out for the default.".to_owned()
    } else if n > MAX_SKU_NAME {
        format!("The SKU name is {n} characters long; the most allowed is {MAX_SKU_NAME}.")
    } else if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        format!("The SKU name contains {c:?}; use only letters, digits and '_' (such as Standard_Free).")
    } else {
        return None;
    };
    Some(Finding::error(SKU_NAME, Code::InvalidSku, bad))
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

// The findings of the customer location and the provider, shared by `validate_connection` and
// `geo::check_availability` (which names the fields without `properties.`), so both say the
// same words.

/// An empty customer location; `country` is the chosen country, when the caller knows it.
pub(crate) fn location_required(target: &str, country: Option<&Country>) -> Finding {
    let what = match country {
        Some(c) if c.name == "United States" => "Choose the state of the customer site.".to_owned(),
        Some(c) => format!(
            "Choose the state or province in {} of the customer site.",
            c.name
        ),
        None => "The customer location (state/province) is required.".to_owned(),
    };
    Finding::error(target, Code::Required, what)
}

/// A customer location that is not in the catalog.
pub(crate) fn unknown_location(target: &str, location: &str) -> Finding {
    Finding::error(target, Code::UnknownLocation, format!(
        "'{}' is not a Peering Service customer location; choose a state or province from the catalog (for the United States, the full state name such as 'Virginia').",
        location.trim()
    ))
}

/// An empty provider.
pub(crate) fn provider_required(target: &str) -> Finding {
    Finding::error(target, Code::Required, "Choose the connectivity provider.")
}

/// A provider that is not in the catalog.
pub(crate) fn unknown_provider(target: &str, provider: &str) -> Finding {
    Finding::error(
        target,
        Code::UnknownProvider,
        format!(
            "'{}' is not a Peering Service provider; choose one from the list.",
            provider.trim()
        ),
    )
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
        if country_ok {
            f.push(location_required(LOCATION, country));
        }
        None
    } else {
        match (country, catalog.location(&d.location)) {
            (_, None) => {
                f.push(unknown_location(LOCATION, &d.location));
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
        f.push(provider_required(PROVIDER));
        None
    } else {
        match catalog.provider(&d.provider) {
            Some(p) => Some(p),
            None => {
                f.push(unknown_provider(PROVIDER, &d.provider));
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
    // A far primary while a nearer one exists: traffic would travel further than it must.
    if let (Some((_, l)), Some(p), Some(chosen)) = (location, provider, primary) {
        f.extend(geo::check_primary_distance(catalog, l, p, chosen));
    }

    // Azure region: given (one of Azure's, stored as its display name), or the location's.
    let azure_region = match d.azure_region.as_deref() {
        None | Some("") => location.map(|(_, l)| l.azure_region.clone()),
        Some(r) => crate::region::parse(r)
            .map(str::to_owned)
            .map_err(|e| f.push(e))
            .ok(),
    };

    if let Some(e) = d.sku.as_deref().and_then(check_sku) {
        f.push(e);
    }
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
                sku: d.sku.clone(),
                tags: d.tags.clone(),
            }),
            f,
        ),
        _ => (None, f),
    }
}

/// The fields a connection keeps from its creation: its Azure region (top-level `location`,
/// x-ms-mutability read+create) and its primary and backup peering locations, which customers
/// cannot change (docs/domain.md, "Create-only and immutable fields"). A stored connection gives them as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateOnly<'a> {
    pub azure_region: &'a str,
    pub primary: &'a str,
    /// `None` (or empty, or "None"): no backup.
    pub backup: Option<&'a str>,
}

impl ValidConnection {
    /// This connection's create-only fields, to check a later replacement against.
    pub fn create_only(&self) -> CreateOnly<'_> {
        CreateOnly {
            azure_region: &self.azure_region,
            primary: &self.primary,
            backup: self.backup.as_deref(),
        }
    }
}

/// Whether two peering-location spellings name the same place (case-insensitive, and any
/// spelling of the same metro, as [`Catalog::provider_location`] accepts).
fn same_peering_location(catalog: &Catalog, a: &str, b: &str) -> bool {
    match_key(a) == match_key(b)
        || matches!((catalog.metro(a), catalog.metro(b)), (Some((x, _)), Some((y, _))) if x == y)
}

/// The fix named by [`Code::PeeringLocationImmutable`].
const PEERING_LOCATION_FIX: &str = "delete and re-create the connection, or ask peeringservice@microsoft.com (with the connection's resource id and the new location) to change it";

/// Checks a PUT that replaces the stored connection `existing` with `new` (already validated by
/// [`validate_connection`]): the Azure region ([`Code::InvalidResourceLocation`], target
/// `location`) and the primary and backup peering locations ([`Code::PeeringLocationImmutable`])
/// must stay as they are. Adding or removing a backup is a change too. Everything else of a
/// connection may change. Empty when the replacement is allowed.
pub fn check_replace(
    catalog: &Catalog,
    existing: CreateOnly<'_>,
    new: &ValidConnection,
) -> Findings {
    let mut f = Findings::default();
    if !crate::region::same(existing.azure_region, &new.azure_region) {
        f.push(Finding::error(
            REGION,
            Code::InvalidResourceLocation,
            format!(
                "Connection '{}' is in Azure region '{}' and cannot be moved to '{}': the region is set when a connection is created. Send location '{}' (or leave it out), or delete the connection and create it in the other region.",
                new.name,
                existing.azure_region.trim(),
                new.azure_region,
                existing.azure_region.trim()
            ),
        ));
    }
    if !same_peering_location(catalog, existing.primary, &new.primary) {
        f.push(Finding::error(
            PRIMARY,
            Code::PeeringLocationImmutable,
            format!(
                "The primary peering location of connection '{}' is {} and cannot be changed to {} by a PUT; {PEERING_LOCATION_FIX}.",
                new.name,
                existing.primary.trim(),
                new.primary
            ),
        ));
    }
    let old_backup = existing
        .backup
        .filter(|b| !is_no_backup(Some(b)))
        .map(str::trim);
    let changed = match (old_backup, new.backup.as_deref()) {
        (None, None) => false,
        (Some(a), Some(b)) => !same_peering_location(catalog, a, b),
        _ => true,
    };
    if changed {
        f.push(Finding::error(
            BACKUP,
            Code::PeeringLocationImmutable,
            format!(
                "The backup peering location of connection '{}' is {} and cannot be changed to {} by a PUT; {PEERING_LOCATION_FIX}.",
                new.name,
                old_backup.unwrap_or("None"),
                new.backup.as_deref().unwrap_or("None")
            ),
        ));
    }
    f
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
            sku: None,
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
    fn a_replacement_keeps_the_region_and_the_peering_locations() {
        let c = Catalog::embedded();
        let (stored, _) = validate_connection(c, &draft());
        let stored = stored.unwrap();
        let replace = |d: ConnectionDraft| {
            let (v, f) = validate_connection(c, &d);
            let v = v.unwrap_or_else(|| panic!("{f:?}"));
            check_replace(c, stored.create_only(), &v)
        };
        // Unchanged, or changed only in spelling, tags or customer location: allowed.
        assert!(replace(draft()).is_empty());
        let respelled = ConnectionDraft {
            azure_region: Some("westus2".into()),
            primary: "SEATTLE".into(),
            backup: Some("San Jose".into()),
            location: "Oregon".into(),
            tags: BTreeMap::from([("a".to_owned(), "b".to_owned())]),
            ..draft()
        };
        assert!(replace(respelled).is_empty());

        let f = replace(ConnectionDraft {
            azure_region: Some("East US".into()),
            ..draft()
        });
        assert_eq!(f.0.len(), 1, "{f:?}");
        assert_eq!(
            (f.0[0].target.as_str(), f.0[0].code),
            (REGION, Code::InvalidResourceLocation)
        );
        assert_eq!(f.0[0].message, "Connection 'seattle-office' is in Azure region 'West US 2' and cannot be moved to 'East US': the region is set when a connection is created. Send location 'West US 2' (or leave it out), or delete the connection and create it in the other region.");

        let f = replace(ConnectionDraft {
            primary: "Dallas".into(),
            ..draft()
        });
        assert_eq!(f.0.len(), 1, "{f:?}");
        assert_eq!(
            (f.0[0].target.as_str(), f.0[0].code),
            (PRIMARY, Code::PeeringLocationImmutable)
        );
        assert_eq!(f.0[0].message, "The primary peering location of connection 'seattle-office' is seattle and cannot be changed to dallas by a PUT; delete and re-create the connection, or ask peeringservice@microsoft.com (with the connection's resource id and the new location) to change it.");

        // Removing, adding or moving the backup are changes.
        for (backup, to) in [(None, "None"), (Some("chicago"), "chicago")] {
            let f = replace(ConnectionDraft {
                backup: backup.map(Into::into),
                ..draft()
            });
            assert_eq!(f.0.len(), 1, "{f:?}");
            assert_eq!(
                (f.0[0].target.as_str(), f.0[0].code),
                (BACKUP, Code::PeeringLocationImmutable)
            );
            assert!(f.0[0].message.starts_with(&format!("The backup peering location of connection 'seattle-office' is san Jose and cannot be changed to {to} by a PUT;")), "{}", f.0[0].message);
        }
        let no_backup = CreateOnly {
            backup: Some("None"),
            ..stored.create_only()
        };
        let (v, _) = validate_connection(c, &draft());
        let f = check_replace(c, no_backup, &v.unwrap());
        assert!(
            f.0[0]
                .message
                .contains("is None and cannot be changed to san Jose"),
            "{f:?}"
        );

        // Every change at once: one finding each, in field order.
        let f = replace(ConnectionDraft {
            azure_region: Some("East US".into()),
            primary: "Dallas".into(),
            backup: None,
            ..draft()
        });
        let targets: Vec<&str> = f.iter().map(|f| f.target.as_str()).collect();
        assert_eq!(targets, [REGION, PRIMARY, BACKUP]);
    }
}

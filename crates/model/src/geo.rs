//! Great-circle distances and the documented availability rule: a provider is available for a
//! customer location when one of its peering locations lies within 1000 miles of it.

use crate::catalog::{Catalog, Location, Provider};
use crate::connection::{location_required, provider_required, unknown_location, unknown_provider};
use crate::finding::{Code, Finding};

pub const EARTH_RADIUS_KM: f64 = 6371.0088;
pub const KM_PER_MILE: f64 = 1.609344;
pub const AVAILABILITY_RADIUS_MILES: f64 = 1000.0;

/// Haversine distance in kilometres between two WGS84 points given in degrees.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

/// How far a provider's nearest peering location is from a customer location.
#[derive(Debug, Clone, PartialEq)]
pub struct Reach<'a> {
    pub provider: &'a Provider,
    /// The nearest peering location, in the provider's spelling.
    pub nearest: &'a str,
    pub miles: f64,
}

impl Reach<'_> {
    pub fn available(&self) -> bool {
        self.miles <= AVAILABILITY_RADIUS_MILES
    }
}

/// The nearest peering location of a provider to a customer location (None when the catalog
/// has no coordinates for any of its locations).
pub fn reach<'a>(
    catalog: &Catalog,
    location: &Location,
    provider: &'a Provider,
) -> Option<Reach<'a>> {
    provider
        .peering_locations
        .iter()
        .filter_map(|l| {
            let (_, m) = catalog.metro(l)?;
            let km = distance_km(location.lat, location.lon, m.lat, m.lon);
            Some((l.as_str(), km / KM_PER_MILE))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(nearest, miles)| Reach {
            provider,
            nearest,
            miles,
        })
}

/// The answer of `checkServiceProviderAvailability`.
pub fn is_available(catalog: &Catalog, location: &Location, provider: &Provider) -> bool {
    reach(catalog, location, provider).is_some_and(|r| r.available())
}

use crate::targets::{AVAILABILITY_LOCATION, AVAILABILITY_PROVIDER};

/// `checkServiceProviderAvailability`: whether `provider` has a peering location within 1000
/// miles of the customer `location` (both matched as the catalog matches them). An empty or
/// unknown location or provider is an error finding with the words of
/// [`crate::connection::validate_connection`], targeted at the input's field names
/// ([`AVAILABILITY_LOCATION`], [`AVAILABILITY_PROVIDER`]); the location is checked first.
pub fn check_availability(
    catalog: &Catalog,
    location: &str,
    provider: &str,
) -> Result<bool, Finding> {
    if location.trim().is_empty() {
        return Err(location_required(AVAILABILITY_LOCATION, None));
    }
    let Some((_, location)) = catalog.location(location) else {
        return Err(unknown_location(AVAILABILITY_LOCATION, location));
    };
    if provider.trim().is_empty() {
        return Err(provider_required(AVAILABILITY_PROVIDER));
    }
    let Some(provider) = catalog.provider(provider) else {
        return Err(unknown_provider(AVAILABILITY_PROVIDER, provider));
    };
    Ok(is_available(catalog, location, provider))
}

/// Every provider with its nearest peering location, nearest first (ties by name).
pub fn providers_by_distance<'a>(catalog: &'a Catalog, location: &Location) -> Vec<Reach<'a>> {
    let mut all: Vec<Reach<'a>> = catalog
        .providers
        .iter()
        .filter_map(|p| reach(catalog, location, p))
        .collect();
    all.sort_by(|a, b| {
        a.miles
            .total_cmp(&b.miles)
            .then_with(|| a.provider.name.cmp(&b.provider.name))
    });
    all
}

/// A provider's peering locations ordered by distance from the customer location, with miles.
pub fn locations_by_distance<'a>(
    catalog: &Catalog,
    location: &Location,
    provider: &'a Provider,
) -> Vec<(&'a str, Option<f64>)> {
    let mut all: Vec<(&str, Option<f64>)> = provider
        .peering_locations
        .iter()
        .map(|l| {
            let miles = catalog
                .metro(l)
                .map(|(_, m)| distance_km(location.lat, location.lon, m.lat, m.lon) / KM_PER_MILE);
            (l.as_str(), miles)
        })
        .collect();
    all.sort_by(|a, b| {
        a.1.unwrap_or(f64::INFINITY)
            .total_cmp(&b.1.unwrap_or(f64::INFINITY))
    });
    all
}

/// A warning ([`Code::DistantPrimaryLocation`], at the primary) when the chosen primary
/// peering location is over [`AVAILABILITY_RADIUS_MILES`] from the customer location while
/// another of the provider's is nearer.
pub fn check_primary_distance(
    catalog: &Catalog,
    location: &Location,
    provider: &Provider,
    chosen: &str,
) -> Option<Finding> {
    let ranked = locations_by_distance(catalog, location, provider);
    let far = ranked
        .iter()
        .find(|(n, _)| *n == chosen)
        .and_then(|(_, m)| *m)?;
    let (nearest, near) = ranked.first().and_then(|(n, m)| Some((*n, (*m)?)))?;
    (far > AVAILABILITY_RADIUS_MILES && near < far).then(|| {
        Finding::warning(
            crate::targets::PRIMARY,
            Code::DistantPrimaryLocation,
            format!(
                "{chosen} is {far:.0} miles from {}; {nearest} is nearer ({near:.0} miles). Choose the nearest peering location as the primary unless you have a reason not to.",
                location.state.trim()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        // London to Paris is about 344 km.
        let d = distance_km(51.5074, -0.1278, 48.8566, 2.3522);
        assert!((d - 344.0).abs() < 2.0, "{d}");
        assert_eq!(distance_km(10.0, 20.0, 10.0, 20.0), 0.0);
    }

    #[test]
    fn availability_follows_the_1000_mile_rule() {
        let c = Catalog::embedded();
        let (_, osaka) = c.location("Osaka").unwrap();
        let iij = c.provider("IIJ").unwrap();
        assert!(is_available(c, osaka, iij));
        let (_, texas) = c.location("Texas").unwrap();
        assert!(!is_available(c, texas, iij));
        let ranked = providers_by_distance(c, texas);
        assert!(ranked.windows(2).all(|w| w[0].miles <= w[1].miles));
        assert!(ranked[0].available());
    }

    #[test]
    fn availability_check_speaks_the_words_of_validate_connection() {
        use crate::connection::{validate_connection, ConnectionDraft};
        use crate::finding::Code;
        use crate::targets::{LOCATION, PROVIDER};
        let c = Catalog::embedded();
        assert_eq!(check_availability(c, "osaka", "iij"), Ok(true));
        assert_eq!(check_availability(c, "Texas", "IIJ"), Ok(false));
        let draft = ConnectionDraft {
            name: "c".into(),
            location: "Atlantis".into(),
            provider: "Nobody".into(),
            primary: "x".into(),
            ..ConnectionDraft::default()
        };
        let (_, f) = validate_connection(c, &draft);
        let e = check_availability(c, "Atlantis", "IIJ").unwrap_err();
        assert_eq!(
            (e.target.as_str(), e.code),
            (AVAILABILITY_LOCATION, Code::UnknownLocation)
        );
        assert_eq!(e.message, f.for_target(LOCATION).unwrap().message);
        let e = check_availability(c, "Osaka", "Nobody").unwrap_err();
        assert_eq!(
            (e.target.as_str(), e.code),
            (AVAILABILITY_PROVIDER, Code::UnknownProvider)
        );
        assert_eq!(e.message, f.for_target(PROVIDER).unwrap().message);

        let empty = ConnectionDraft {
            name: "c".into(),
            ..ConnectionDraft::default()
        };
        let (_, f) = validate_connection(c, &empty);
        let e = check_availability(c, " ", "IIJ").unwrap_err();
        assert_eq!(
            (e.target.as_str(), e.code),
            (AVAILABILITY_LOCATION, Code::Required)
        );
        assert_eq!(e.message, f.for_target(LOCATION).unwrap().message);
        let e = check_availability(c, "Osaka", "").unwrap_err();
        assert_eq!(
            (e.target.as_str(), e.code),
            (AVAILABILITY_PROVIDER, Code::Required)
        );
        assert_eq!(e.message, f.for_target(PROVIDER).unwrap().message);
        // Both wrong: the location is named first.
        assert_eq!(
            check_availability(c, "", "").unwrap_err().target,
            AVAILABILITY_LOCATION
        );
    }
}

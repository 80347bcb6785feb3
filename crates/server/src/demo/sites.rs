//! The simulated sites: which catalog places, providers and flaws, and the names and numbers
//! the simulated collector reports for them (the same on every start).

use super::{RESOURCE_GROUP, SITES, SUBSCRIPTION};
use peering_model::catalog::{Catalog, Location, Provider};
use peering_model::geo;

/// What is wrong with a site's routes, if anything.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Flaw {
    None,
    NoCommunity,
    LongPath,
    PrivateAsn,
    WrongKey,
}

/// Half the sites are healthy; each flaw appears at least once in [`SITES`].
pub(super) const FLAWS: [Flaw; 8] = [
    Flaw::None,
    Flaw::NoCommunity,
    Flaw::None,
    Flaw::LongPath,
    Flaw::None,
    Flaw::PrivateAsn,
    Flaw::None,
    Flaw::WrongKey,
];

pub(super) struct Site<'c> {
    pub(super) index: usize,
    pub(super) name: String,
    pub(super) location: &'c Location,
    pub(super) provider: &'c Provider,
    pub(super) primary: &'c str,
    pub(super) backup: Option<&'c str>,
    pub(super) flaw: Flaw,
}

impl Site<'_> {
    pub(super) fn prefix(&self) -> String {
        // One /24 each in 45.60.0.0/16, which the simulation pretends the sites own.
        format!("45.60.{}.0/24", self.index)
    }

    pub(super) fn key(&self) -> String {
        format!("5e1a0000-0000-4000-8000-{:012x}", self.index)
    }

    pub(super) fn asn(&self) -> u32 {
        396_000 + self.index as u32
    }

    pub(super) fn as_path(&self) -> Vec<u32> {
        let provider_asn = 1_000 + (self.index as u32 % 7);
        match self.flaw {
            Flaw::LongPath => vec![provider_asn, 174, 3257, 2914, self.asn()],
            Flaw::PrivateAsn => vec![provider_asn, 64_512, self.asn()],
            _ => vec![provider_asn, self.asn()],
        }
    }

    pub(super) fn communities(&self) -> Vec<String> {
        if self.flaw == Flaw::NoCommunity {
            vec![]
        } else {
            vec![peering_model::observation::PEERING_SERVICE_COMMUNITY.to_owned()]
        }
    }

    /// A simulated round trip at `at` (Unix seconds): a base per site, a slow daily swell,
    /// and a jitter that repeats every few seconds (the same on every start).
    pub(super) fn latency(&self, at: i64) -> f64 {
        let base = 8.0 + (self.index % 6) as f64 * 6.0;
        let day = (at % 86_400) as f64 / 86_400.0 * std::f64::consts::TAU;
        // A spread within each minute (so a bucket's p95 stands above its p50), repeating.
        let jitter = ((at * 7919 + self.index as i64 * 13).rem_euclid(97)) as f64 / 97.0 * 12.0;
        base * (1.0 + 0.25 * day.sin()) + jitter
    }

    pub(super) fn path(&self) -> String {
        format!(
            "/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Peering/peeringServices/{}",
            self.name
        )
    }
}

pub(super) fn slug(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
}

pub(super) fn agent(s: &Site<'_>) -> String {
    format!("sim-agent-{}", slug(&s.location.state))
}

/// A session's address, the same on every start: 10.x.y.n from the provider and location.
pub(super) fn session_address(provider: &str, location: &str, n: u8) -> String {
    // FNV-1a: stable across builds and platforms, unlike the std hasher.
    let h = format!("{provider}|{location}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("10.{}.{}.{n}", (h >> 8) as u8, h as u8)
}

/// The first [`SITES`] countries' first customer location that has a provider within reach,
/// with its nearest provider, the nearest peering location as primary and the next as backup.
pub(super) fn sites(catalog: &Catalog) -> Vec<Site<'_>> {
    let mut out = Vec::new();
    for country in &catalog.countries {
        let Some((location, reach)) = country.locations.iter().find_map(|l| {
            let r = geo::providers_by_distance(catalog, l).into_iter().next()?;
            r.available().then_some((l, r))
        }) else {
            continue;
        };
        let near = geo::locations_by_distance(catalog, location, reach.provider);
        let index = out.len();
        out.push(Site {
            index,
            name: format!("sim-{}", slug(&location.state)),
            location,
            provider: reach.provider,
            primary: near[0].0,
            backup: near.get(1).map(|b| b.0),
            flaw: FLAWS[index % FLAWS.len()],
        });
        if out.len() == SITES {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sites_are_a_fixed_mix_from_the_catalog() {
        let sites = sites(Catalog::embedded());
        assert_eq!(sites.len(), SITES);
        for f in FLAWS {
            assert!(sites.iter().any(|s| s.flaw == f), "{f:?}");
        }
        let names: std::collections::HashSet<&str> =
            sites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names.len(), SITES, "names are unique");
        for s in &sites {
            assert!(
                peering_model::names::ResourceName::parse(
                    peering_model::names::NameKind::Connection,
                    peering_model::targets::NAME,
                    &s.name
                )
                .is_ok(),
                "{}",
                s.name
            );
        }
    }
}

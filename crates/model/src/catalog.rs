//! The catalog: countries, customer locations (state/province) with their Azure region and
//! coordinates, providers with their peering locations, and metro coordinates.
//!
//! It is compiled in from `data/catalog.json` so the server and the browser validate against
//! the very same data. Matching is case-insensitive and forgiving about surrounding spaces and
//! typographic apostrophes; every lookup returns the catalog's own spelling.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// The catalog spelling, used verbatim (it may carry a trailing space).
    pub state: String,
    pub azure_region: String,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Country {
    pub name: String,
    pub iso2: String,
    pub locations: Vec<Location>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provider {
    pub name: String,
    pub peering_locations: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metro {
    pub lat: f64,
    pub lon: f64,
    pub country: String,
    pub spellings: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct RawCatalog {
    attribution: String,
    countries: Vec<Country>,
    providers: Vec<Provider>,
    metros: BTreeMap<String, Metro>,
}

#[derive(Debug)]
pub struct Catalog {
    pub attribution: String,
    pub countries: Vec<Country>,
    pub providers: Vec<Provider>,
    pub metros: BTreeMap<String, Metro>,
    country_index: HashMap<String, usize>,
    location_index: HashMap<String, (usize, usize)>,
    provider_index: HashMap<String, usize>,
    metro_index: HashMap<String, String>,
}

/// The key two spellings share when they name the same thing.
pub fn match_key(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '\u{2019}' | '\u{2018}' | '`' => '\'',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

const EMBEDDED: &str = include_str!("../../../data/catalog.json");

impl Catalog {
    /// The catalog compiled into this crate from `data/catalog.json`.
    pub fn embedded() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            Catalog::from_json(EMBEDDED).expect("data/catalog.json is valid (checked by tests)")
        })
    }

    pub fn from_json(json: &str) -> Result<Catalog, serde_json::Error> {
        let raw: RawCatalog = serde_json::from_str(json)?;
        let mut country_index = HashMap::new();
        let mut location_index = HashMap::new();
        for (ci, c) in raw.countries.iter().enumerate() {
            country_index.insert(match_key(&c.name), ci);
            for (li, l) in c.locations.iter().enumerate() {
                location_index.insert(match_key(&l.state), (ci, li));
            }
        }
        let provider_index = raw
            .providers
            .iter()
            .enumerate()
            .map(|(i, p)| (match_key(&p.name), i))
            .collect();
        let mut metro_index = HashMap::new();
        for (key, m) in &raw.metros {
            metro_index.insert(match_key(key), key.clone());
            for s in &m.spellings {
                metro_index.insert(match_key(s), key.clone());
            }
        }
        Ok(Catalog {
            attribution: raw.attribution,
            countries: raw.countries,
            providers: raw.providers,
            metros: raw.metros,
            country_index,
            location_index,
            provider_index,
            metro_index,
        })
    }

    pub fn country(&self, name: &str) -> Option<&Country> {
        self.country_index
            .get(&match_key(name))
            .map(|&i| &self.countries[i])
    }

    /// A customer location anywhere in the catalog, with its country. State names are unique
    /// across countries in the catalog, so the name alone is the key (as in the ARM API).
    pub fn location(&self, state: &str) -> Option<(&Country, &Location)> {
        self.location_index.get(&match_key(state)).map(|&(ci, li)| {
            let c = &self.countries[ci];
            (c, &c.locations[li])
        })
    }

    /// A customer location of the given country.
    pub fn location_in<'a>(&'a self, country: &Country, state: &str) -> Option<&'a Location> {
        self.location(state)
            .filter(|(c, _)| c.name == country.name)
            .map(|(_, l)| l)
    }

    pub fn provider(&self, name: &str) -> Option<&Provider> {
        self.provider_index
            .get(&match_key(name))
            .map(|&i| &self.providers[i])
    }

    /// The metro a peering-location spelling stands for (`Marseilles` → `marseille`).
    pub fn metro(&self, spelling: &str) -> Option<(&str, &Metro)> {
        let key = self.metro_index.get(&match_key(spelling))?;
        self.metros.get_key_value(key).map(|(k, m)| (k.as_str(), m))
    }

    /// One of the provider's peering locations, in the provider's spelling. Accepts any
    /// spelling of the same metro ("Marseilles" for a provider listing "Marseille").
    pub fn provider_location<'a>(&self, provider: &'a Provider, spelling: &str) -> Option<&'a str> {
        let key = match_key(spelling);
        if let Some(l) = provider
            .peering_locations
            .iter()
            .find(|l| match_key(l) == key)
        {
            return Some(l);
        }
        let (metro, _) = self.metro(spelling)?;
        provider
            .peering_locations
            .iter()
            .find(|l| self.metro(l).is_some_and(|(m, _)| m == metro))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_is_complete() {
        let c = Catalog::embedded();
        assert_eq!(c.countries.len(), 26);
        assert_eq!(
            c.countries.iter().map(|c| c.locations.len()).sum::<usize>(),
            639
        );
        assert_eq!(c.providers.len(), 35);
        assert_eq!(c.country("United States").unwrap().locations.len(), 50);
        for p in &c.providers {
            for l in &p.peering_locations {
                assert!(c.metro(l).is_some(), "no coordinates for {l}");
            }
        }
    }

    #[test]
    fn matching_returns_catalog_spelling() {
        let c = Catalog::embedded();
        assert_eq!(c.country("united states").unwrap().name, "United States");
        assert_eq!(c.location("kuala lumpur").unwrap().1.state, "Kuala Lumpur ");
        assert_eq!(c.location("georgia").unwrap().0.name, "United States");
        let us = c.country("United States").unwrap();
        assert!(c.location_in(us, "virginia").is_some());
        assert!(c.location_in(us, "Bavaria").is_none());
        let vodafone = c.provider("vodafone global network as1273").unwrap();
        assert_eq!(
            c.provider_location(vodafone, "Marseilles"),
            Some("Marseille")
        );
        assert_eq!(c.provider_location(vodafone, "LONDON"), Some("London"));
        assert_eq!(c.provider_location(vodafone, "Tokyo"), None);
    }
}

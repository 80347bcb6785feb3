//! A row of the connections list, flattened from the ARM shape, and what the list computes
//! from rows (search text, counts for the filters).

use peering_model::wire::PeeringService;
use peering_model::{Catalog, ResourceId};
use std::collections::BTreeMap;

/// One row of the table, flattened from the ARM shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    pub resource_group: String,
    pub country: String,
    pub state: String,
    pub provider: String,
    pub primary: String,
    pub backup: String,
    pub region: String,
    /// `properties.provisioningState` as sent.
    pub provisioning: String,
}

impl Row {
    /// What a column sorts by (case-insensitive), then the name as a tie-breaker.
    pub fn sort_key(&self, column: &str) -> (String, String) {
        let v = match column {
            "rg" => &self.resource_group,
            "country" => &self.country,
            "state" => &self.state,
            "provider" => &self.provider,
            "primary" => &self.primary,
            "backup" => &self.backup,
            "region" => &self.region,
            _ => &self.name,
        };
        (v.to_lowercase(), self.name.to_lowercase())
    }

    /// Whether any shown column contains `needle` (already lower-case).
    pub fn matches(&self, needle: &str) -> bool {
        [
            &self.name,
            &self.resource_group,
            &self.country,
            &self.state,
            &self.provider,
            &self.primary,
            &self.backup,
            &self.region,
        ]
        .iter()
        .any(|v| v.to_lowercase().contains(needle))
    }

    pub fn from_wire(s: &PeeringService) -> Row {
        let p = s.properties.clone().unwrap_or_default();
        let state = p.peering_service_location.unwrap_or_default();
        let country = Catalog::embedded()
            .location(&state)
            .map(|(c, _)| c.name.clone())
            .unwrap_or_default();
        Row {
            name: s.name.clone().unwrap_or_default(),
            resource_group: s
                .id
                .as_deref()
                .and_then(|id| ResourceId::parse(id).ok())
                .map(|id| id.service.resource_group)
                .unwrap_or_default(),
            country,
            state: state.trim().to_owned(),
            provider: p.peering_service_provider.unwrap_or_default(),
            primary: p.provider_primary_peering_location.unwrap_or_default(),
            backup: p
                .provider_backup_peering_location
                .unwrap_or_else(|| "None".into()),
            region: s.location.clone().unwrap_or_default(),
            provisioning: p
                .provisioning_state
                .map(|s| s.to_string())
                .unwrap_or_default(),
        }
    }
}

pub fn counts<'a>(keys: impl Iterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for k in keys {
        *m.entry(k.to_owned()).or_insert(0) += 1;
    }
    m
}

/// What a row is searched by: its shown columns in lower case, once.
pub fn haystack(r: &Row) -> String {
    [
        &r.name,
        &r.resource_group,
        &r.country,
        &r.state,
        &r.provider,
        &r.primary,
        &r.backup,
        &r.region,
    ]
    .iter()
    .map(|v| v.to_lowercase())
    .collect::<Vec<_>>()
    .join("\u{1f}")
}

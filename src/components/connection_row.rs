//! A row of the connections list, flattened from the ARM shape, and what the list computes
//! from rows (search text, counts for the filters).

use peering_model::index::PrefixRow;
use peering_model::wire::{PeeringService, PrefixEvent, PrefixSummary, PrefixValidationState};
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
    /// Its prefixes by validation state; `None` until known (or when the server lacks the
    /// summaries extension).
    pub prefixes: Option<Prefixes>,
    pub tags: BTreeMap<String, String>,
}

/// The list's columns: (key in the URL and the column chooser, heading).
pub const COLUMNS: [(&str, &str); 12] = [
    ("name", "Name"),
    ("rg", "Resource group"),
    ("country", "Country"),
    ("state", "State/province"),
    ("provider", "Provider"),
    ("primary", "Primary"),
    ("backup", "Backup"),
    ("region", "Azure region"),
    ("prefixes", "Prefixes"),
    ("latency", "Latency, 1 d"),
    ("event", "Latest event"),
    ("tags", "Tags"),
];

/// A connection's prefixes counted by validation state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prefixes {
    pub total: u32,
    pub states: BTreeMap<PrefixValidationState, u32>,
    /// The prefixes themselves (name, prefix, key), for an export.
    pub list: Vec<PrefixRow>,
    /// The median round trip over the last day, ms.
    pub latency_p50: Option<f64>,
    /// The newest event of any of the prefixes.
    pub latest_event: Option<PrefixEvent>,
}

impl From<&PrefixSummary> for Prefixes {
    fn from(s: &PrefixSummary) -> Prefixes {
        Prefixes {
            total: s.prefix_count,
            states: s.validation_states.clone(),
            list: s
                .prefixes
                .iter()
                .map(|p| PrefixRow {
                    name: p.name.clone(),
                    prefix: p.prefix.clone(),
                    key: p.peering_service_prefix_key.clone(),
                })
                .collect(),
            latency_p50: s.latency_p50_ms,
            latest_event: s.latest_event.clone(),
        }
    }
}

/// The roll-up values of the validation filter, worst first.
pub const ROLLUPS: [&str; 5] = ["Failed", "Warning", "Pending", "Verified", "No prefixes"];

impl Prefixes {
    /// The worst state among the prefixes: Failed (or Invalid) before Warning before Pending
    /// (or not yet known) before Verified; "No prefixes" when there are none.
    pub fn rollup(&self) -> &'static str {
        use PrefixValidationState as S;
        let has = |s: &[S]| s.iter().any(|s| self.states.get(s).is_some_and(|n| *n > 0));
        if self.total == 0 {
            "No prefixes"
        } else if has(&[S::Failed, S::Invalid]) {
            "Failed"
        } else if has(&[S::Warning]) {
            "Warning"
        } else if has(&[S::Pending, S::Unknown, S::None]) {
            "Pending"
        } else {
            "Verified"
        }
    }

    /// "3 · 1 Failed · 2 Pending": the count, then each state but Verified with its count
    /// ("2 · all Verified" when every one is).
    pub fn label(&self) -> String {
        if self.total == 0 {
            return "0".to_owned();
        }
        // Worst first, as the roll-up ranks them.
        let rank = |s: &PrefixValidationState| match s {
            PrefixValidationState::Failed | PrefixValidationState::Invalid => 0,
            PrefixValidationState::Warning => 1,
            _ => 2,
        };
        let mut others: Vec<(&PrefixValidationState, &u32)> = self
            .states
            .iter()
            .filter(|(s, n)| **s != PrefixValidationState::Verified && **n > 0)
            .collect();
        others.sort_by_key(|(s, _)| rank(s));
        let others: Vec<String> = others.iter().map(|(s, n)| format!("{n} {s}")).collect();
        if others.is_empty() {
            format!("{} · all Verified", self.total)
        } else {
            format!("{} · {}", self.total, others.join(" · "))
        }
    }
}

/// A connection's identity in the list: its resource group and name as ARM compares them
/// (case-insensitively), as `ServiceId::rg_key`/`name_key` spell them.
pub type RowKey = (String, String);

impl Row {
    pub fn key(&self) -> RowKey {
        (
            self.resource_group.to_lowercase(),
            self.name.to_ascii_lowercase(),
        )
    }

    /// What a column shows.
    pub fn cell(&self, column: &str) -> String {
        match column {
            "rg" => self.resource_group.clone(),
            "country" => self.country.clone(),
            "state" => self.state.clone(),
            "provider" => self.provider.clone(),
            "primary" => self.primary.clone(),
            "backup" => self.backup.clone(),
            "region" => self.region.clone(),
            "prefixes" => self
                .prefixes
                .as_ref()
                .map_or_else(|| "—".to_owned(), Prefixes::label),
            "latency" => self
                .prefixes
                .as_ref()
                .and_then(|p| p.latency_p50)
                .map_or_else(|| "—".to_owned(), |ms| format!("{ms:.1} ms")),
            "event" => self
                .prefixes
                .as_ref()
                .and_then(|p| p.latest_event.as_ref())
                .map_or_else(
                    || "—".to_owned(),
                    |e| format!("{} · {}", e.event_level, e.event_type),
                ),
            "tags" => peering_model::connections_import::write_tags(&self.tags),
            _ => self.name.clone(),
        }
    }

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
            "prefixes" => {
                let n = self.prefixes.as_ref().map_or(0, |p| p.total);
                return (format!("{n:010}"), self.name.to_lowercase());
            }
            "latency" => {
                // Slowest last when ascending; none after every measured one.
                let ms = self.prefixes.as_ref().and_then(|p| p.latency_p50);
                let key = ms.map_or_else(|| "~".to_owned(), |ms| format!("{:012.3}", ms.max(0.0)));
                return (key, self.name.to_lowercase());
            }
            "event" => {
                let at = self
                    .prefixes
                    .as_ref()
                    .and_then(|p| p.latest_event.as_ref())
                    .map(|e| e.event_timestamp.clone())
                    .unwrap_or_default();
                return (at, self.name.to_lowercase());
            }
            "tags" => return (self.cell("tags").to_lowercase(), self.name.to_lowercase()),
            _ => &self.name,
        };
        (v.to_lowercase(), self.name.to_lowercase())
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
            prefixes: None,
            tags: s.tags.clone().unwrap_or_default(),
        }
    }
}

/// Two versions of a connection field by field, as the list shows them (for the conflict
/// dialog): (heading, theirs, the one shown).
pub fn row_sides(theirs: &Row, shown: &Row) -> Vec<(String, Option<String>, Option<String>)> {
    COLUMNS
        .iter()
        // What telemetry moves (prefix states, latency, events) is nobody's change.
        .filter(|(k, _)| !matches!(*k, "name" | "rg" | "prefixes" | "latency" | "event"))
        .map(|(k, label)| {
            (
                (*label).to_owned(),
                Some(theirs.cell(k)),
                Some(shown.cell(k)),
            )
        })
        .chain([(
            "Provisioning state".to_owned(),
            Some(theirs.provisioning.clone()),
            Some(shown.provisioning.clone()),
        )])
        .collect()
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
    COLUMNS
        .iter()
        .filter(|(k, _)| !matches!(*k, "prefixes" | "latency" | "event"))
        .map(|(k, _)| r.cell(k).to_lowercase())
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use PrefixValidationState as S;

    fn p(states: &[(S, u32)]) -> Prefixes {
        Prefixes {
            total: states.iter().map(|(_, n)| n).sum(),
            states: states.iter().copied().collect(),
            list: Vec::new(),
            ..Default::default()
        }
    }

    #[test]
    fn the_rollup_is_the_worst_state_and_the_label_counts_the_rest() {
        assert_eq!(
            (p(&[]).rollup(), p(&[]).label().as_str()),
            ("No prefixes", "0")
        );
        let v = p(&[(S::Verified, 2)]);
        assert_eq!(
            (v.rollup(), v.label().as_str()),
            ("Verified", "2 · all Verified")
        );
        let f = p(&[(S::Verified, 2), (S::Failed, 1)]);
        assert_eq!((f.rollup(), f.label().as_str()), ("Failed", "3 · 1 Failed"));
        let m = p(&[(S::Pending, 2), (S::Warning, 1)]);
        assert_eq!(
            (m.rollup(), m.label().as_str()),
            ("Warning", "3 · 1 Warning · 2 Pending")
        );
        assert_eq!(p(&[(S::Unknown, 1)]).rollup(), "Pending");
        assert_eq!(p(&[(S::Invalid, 1), (S::Warning, 1)]).rollup(), "Failed");
        assert!(ROLLUPS.contains(&m.rollup()));
    }

    #[test]
    fn latency_and_the_latest_event_are_shown_and_sorted() {
        use peering_model::wire::{EventLevel, PrefixEventType};
        let mut r = Row::from_wire(&PeeringService::default());
        assert_eq!(
            (r.cell("latency").as_str(), r.cell("event").as_str()),
            ("—", "—")
        );
        r.prefixes = Some(Prefixes {
            latency_p50: Some(23.456),
            latest_event: Some(PrefixEvent {
                event_timestamp: "2026-12-01T10:00:00.000Z".into(),
                event_type: PrefixEventType::PrefixWithdrawalEvent,
                event_summary: String::new(),
                event_level: EventLevel::Warning,
                event_description: String::new(),
            }),
            ..Default::default()
        });
        assert_eq!(r.cell("latency"), "23.5 ms");
        assert_eq!(r.cell("event"), "Warning · PrefixWithdrawalEvent");
        let mut slow = r.clone();
        slow.prefixes.as_mut().unwrap().latency_p50 = Some(150.0);
        assert!(r.sort_key("latency") < slow.sort_key("latency"));
        let none = Row::from_wire(&PeeringService::default());
        assert!(
            slow.sort_key("latency") < none.sort_key("latency"),
            "unmeasured last"
        );
    }
}

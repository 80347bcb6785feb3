//! Runs the cases of `tests/fixtures/findings.json`: each names a check, its input and every
//! finding it must produce (target, code, severity and the exact message). The same runner is
//! compiled natively (`tests/fixtures.rs`) and to wasm32 for headless Chromium
//! (`tests/fixtures_wasm.rs`), so both prove the same words come out.
//!
//! Checks and their inputs:
//! * `resourceName` `{kind: connection|prefix|monitorTest, value}`; `resourceGroupName`,
//!   `subscriptionId`: a string.
//! * `connection`: a draft `{name, country?, location, provider, primary, backup?,
//!   azureRegion?, tags?}`; an optional `canonical` object lists fields of the validated
//!   connection (catalog spelling) that must come back.
//! * `prefix`: the prefix text ([`check_prefix_value`]); `prefixKey`: a string or null.
//! * `overlap` `{existing: [{prefix, resourceGroup, connection, name}], candidate}`: every
//!   overlap finding.
//! * `batch` `{existing, into?: {resourceGroup, connection}, rows: [{name, prefix, key?}]}`:
//!   [`validate_batch`], or [`validate_batch_into`] that connection; findings carry `row`
//!   (from 0).
//! * `immutable` `{name, stored, requested}`.
//! * `monitorTest` `{sourceAgent, destination, destinationPort?, testFrequencyInSec?}` (a
//!   missing port or frequency is `None`).
//! * `tags`: an object of tag names to values.
//! * `alertRule`: an alert rule's properties `{kind?, thresholdMs?, forMinutes?, level?,
//!   consecutive?}` ([`peering_model::alerts::validate_rule`]).
//! * `replace` `{existing: {azureRegion, primary, backup?}, draft}`: a PUT replacing a stored
//!   connection; `draft` is a `connection` draft that must validate, then [`check_replace`]
//!   gives the findings.
//! * `availability` `{location, provider}`: [`check_availability`]; an error is the one
//!   finding, and the answer comes back as the canonical `{"available": bool}`.

#![allow(dead_code)]

use peering_model::connection::{check_replace, validate_connection, ConnectionDraft, CreateOnly};
use peering_model::geo::check_availability;
use peering_model::index::{validate_batch, validate_batch_into, PrefixIndex, PrefixRow};
use peering_model::monitor_test::{validate_monitor_test, MonitorTestDraft};
use peering_model::names::{NameKind, ResourceGroupName, ResourceName, SubscriptionId};
use peering_model::prefix::{
    check_prefix_key, check_prefix_value, immutable_finding, ExistingPrefix, Ipv4Prefix,
};
use peering_model::tags::check_tags;
use peering_model::{Catalog, Code, Finding, Severity};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub const FINDINGS_JSON: &str = include_str!("../fixtures/findings.json");

/// The number of cases the fixture held when its last case was added: it only grows.
pub const MIN_CASES: usize = 120;

/// How many cases the file holds, counted from its JSON alone.
pub fn case_count(json: &str) -> usize {
    serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| v.get("cases")?.as_array().map(Vec::len))
        .unwrap_or(0)
}

#[derive(Debug, Deserialize)]
pub struct FixtureFile {
    pub cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
pub struct Case {
    pub id: String,
    pub check: String,
    pub input: Value,
    pub expect: Vec<Expected>,
    #[serde(default)]
    pub canonical: Option<BTreeMap<String, Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    pub target: String,
    pub code: Code,
    pub severity: Severity,
    pub message: String,
}

impl Expected {
    fn of(row: Option<usize>, f: Finding) -> Expected {
        Expected {
            row,
            target: f.target,
            code: f.code,
            severity: f.severity,
            message: f.message,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Draft {
    name: String,
    #[serde(default)]
    country: Option<String>,
    location: String,
    provider: String,
    primary: String,
    #[serde(default)]
    backup: Option<String>,
    #[serde(default)]
    azure_region: Option<String>,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Existing {
    prefix: String,
    resource_group: String,
    connection: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    resource_group: String,
    connection: String,
}

#[derive(Deserialize)]
struct Row {
    name: String,
    prefix: String,
    #[serde(default)]
    key: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MonitorTest {
    source_agent: String,
    destination: String,
    #[serde(default)]
    destination_port: Option<i64>,
    #[serde(default)]
    test_frequency_in_sec: Option<i64>,
}

impl Draft {
    fn into_draft(self) -> ConnectionDraft {
        ConnectionDraft {
            name: self.name,
            country: self.country,
            location: self.location,
            provider: self.provider,
            primary: self.primary,
            backup: self.backup,
            azure_region: self.azure_region,
            sku: self.sku,
            tags: self.tags,
        }
    }
}

fn input<T: for<'de> Deserialize<'de>>(case: &Case) -> Result<T, String> {
    serde_json::from_value(case.input.clone()).map_err(|e| format!("bad input: {e}"))
}

fn prefix(s: &str) -> Result<Ipv4Prefix, String> {
    Ipv4Prefix::parse(s).map_err(|f| format!("fixture prefix {s:?}: {}", f.message))
}

fn index(existing: Vec<Existing>) -> Result<PrefixIndex, String> {
    existing
        .into_iter()
        .map(|e| {
            Ok(ExistingPrefix {
                prefix: prefix(&e.prefix)?,
                resource_group: e.resource_group,
                connection: e.connection,
                name: e.name,
            })
        })
        .collect()
}

fn all(findings: impl IntoIterator<Item = Finding>) -> Vec<Expected> {
    findings
        .into_iter()
        .map(|f| Expected::of(None, f))
        .collect()
}

/// The findings a case's check produces, and the canonical connection (for `connection`).
pub fn actual(case: &Case) -> Result<(Vec<Expected>, Option<Value>), String> {
    let catalog = Catalog::embedded();
    let found = match case.check.as_str() {
        "resourceName" => {
            #[derive(Deserialize)]
            struct I {
                kind: String,
                value: String,
            }
            let i: I = input(case)?;
            let kind = match i.kind.as_str() {
                "connection" => NameKind::Connection,
                "prefix" => NameKind::Prefix,
                "monitorTest" => NameKind::MonitorTest,
                k => return Err(format!("unknown name kind {k}")),
            };
            all(ResourceName::parse(kind, "name", &i.value).err())
        }
        "resourceGroupName" => all(ResourceGroupName::parse(&input::<String>(case)?).err()),
        "subscriptionId" => all(SubscriptionId::parse(&input::<String>(case)?).err()),
        "prefix" => all(check_prefix_value(&input::<String>(case)?).1 .0),
        "prefixKey" => all(check_prefix_key(input::<Option<String>>(case)?.as_deref())),
        "overlap" => {
            #[derive(Deserialize)]
            struct I {
                existing: Vec<Existing>,
                candidate: String,
            }
            let i: I = input(case)?;
            all(index(i.existing)?.check_all(prefix(&i.candidate)?))
        }
        "batch" => {
            #[derive(Deserialize)]
            struct I {
                existing: Vec<Existing>,
                #[serde(default)]
                into: Option<Target>,
                rows: Vec<Row>,
            }
            let i: I = input(case)?;
            let idx = index(i.existing)?;
            let rows: Vec<PrefixRow> = i
                .rows
                .into_iter()
                .map(|r| PrefixRow {
                    name: r.name,
                    prefix: r.prefix,
                    key: r.key,
                })
                .collect();
            let results = match &i.into {
                None => validate_batch(&idx, &rows),
                Some(t) => validate_batch_into(&idx, &t.resource_group, &t.connection, &rows),
            };
            results
                .into_iter()
                .flat_map(|r| {
                    let row = r.row;
                    r.findings
                        .0
                        .into_iter()
                        .map(move |f| Expected::of(Some(row), f))
                })
                .collect()
        }
        "immutable" => {
            #[derive(Deserialize)]
            struct I {
                name: String,
                stored: String,
                requested: String,
            }
            let i: I = input(case)?;
            all([immutable_finding(
                &i.name,
                prefix(&i.stored)?,
                prefix(&i.requested)?,
            )])
        }
        "alertRule" => {
            let p: peering_model::alerts::AlertRuleProperties = input(case)?;
            all(peering_model::alerts::validate_rule(&p).1 .0)
        }
        "monitorTest" => {
            let m: MonitorTest = input(case)?;
            all(validate_monitor_test(&MonitorTestDraft {
                source_agent: m.source_agent,
                destination: m.destination,
                destination_port: m.destination_port,
                test_frequency_in_sec: m.test_frequency_in_sec,
            })
            .0)
        }
        "tags" => all(check_tags(&input::<BTreeMap<String, String>>(case)?).0),
        "replace" => {
            #[derive(Deserialize)]
            #[serde(rename_all = "camelCase")]
            struct Stored {
                azure_region: String,
                primary: String,
                #[serde(default)]
                backup: Option<String>,
            }
            #[derive(Deserialize)]
            struct I {
                existing: Stored,
                draft: Draft,
            }
            let i: I = input(case)?;
            let (valid, findings) = validate_connection(catalog, &i.draft.into_draft());
            let valid =
                valid.ok_or_else(|| format!("the draft does not validate: {findings:?}"))?;
            let existing = CreateOnly {
                azure_region: &i.existing.azure_region,
                primary: &i.existing.primary,
                backup: i.existing.backup.as_deref(),
            };
            all(check_replace(catalog, existing, &valid).0)
        }
        "availability" => {
            #[derive(Deserialize)]
            struct I {
                location: String,
                provider: String,
            }
            let i: I = input(case)?;
            return Ok(
                match check_availability(catalog, &i.location, &i.provider) {
                    Ok(available) => (
                        Vec::new(),
                        Some(serde_json::json!({ "available": available })),
                    ),
                    Err(f) => (all([f]), None),
                },
            );
        }
        "connection" => {
            let d: Draft = input(case)?;
            let (valid, findings) = validate_connection(catalog, &d.into_draft());
            let canonical = valid.map(|v| {
                serde_json::json!({
                    "name": v.name.as_str(),
                    "country": v.country,
                    "location": v.location,
                    "azureRegion": v.azure_region,
                    "provider": v.provider,
                    "primary": v.primary,
                    "backup": v.backup,
                })
            });
            return Ok((all(findings.0), canonical));
        }
        other => return Err(format!("unknown check {other}")),
    };
    Ok((found, None))
}

/// Runs every case; returns the number of cases, or one line per failing case.
pub fn run_all(json: &str) -> Result<usize, Vec<String>> {
    let file: FixtureFile =
        serde_json::from_str(json).map_err(|e| vec![format!("findings.json: {e}")])?;
    let mut failures = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for case in &file.cases {
        if !ids.insert(case.id.clone()) {
            failures.push(format!("{}: duplicate case id", case.id));
        }
        match actual(case) {
            Err(e) => failures.push(format!("{}: {e}", case.id)),
            Ok((found, canonical)) => {
                if found != case.expect {
                    failures.push(format!(
                        "{}: expected {}\n  got {}",
                        case.id,
                        serde_json::to_string_pretty(&case.expect).unwrap(),
                        serde_json::to_string_pretty(&found).unwrap()
                    ));
                }
                if let Some(want) = &case.canonical {
                    match &canonical {
                        None => failures.push(format!(
                            "{}: expected a valid connection, got none",
                            case.id
                        )),
                        Some(got) => {
                            for (k, v) in want {
                                if got.get(k) != Some(v) {
                                    failures.push(format!(
                                        "{}: canonical {k}: expected {v}, got {:?}",
                                        case.id,
                                        got.get(k)
                                    ));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    if failures.is_empty() {
        Ok(file.cases.len())
    } else {
        Err(failures)
    }
}

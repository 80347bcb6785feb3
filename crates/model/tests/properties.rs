//! Property tests of the validation engine: canonical form, the prefix index against a naive
//! pairwise model, round trips of the wire types, and no panic on arbitrary input.

#![cfg(not(target_arch = "wasm32"))]

use peering_model::catalog::match_key;
use peering_model::connection::{validate_connection, ConnectionDraft};
use peering_model::index::{validate_batch, validate_batch_into, PrefixIndex, PrefixRow};
use peering_model::monitor_test::{is_ip_or_host, validate_monitor_test, MonitorTestDraft};
use peering_model::names::{NameKind, ResourceGroupName, ResourceName, SubscriptionId};
use peering_model::prefix::{
    check_prefix_key, check_prefix_value, overlap_finding, relation, ExistingPrefix, Ipv4Prefix,
    Relation,
};
use peering_model::tags::check_tags;
use peering_model::targets::PREFIX as PREFIX_TARGET;
use peering_model::wire::{
    ConnectionMonitorTest, ConnectionMonitorTestProperties, CreatedByType, ErrorDetail,
    ErrorResponse, EventLevel, LearnedType, ListResult, PeeringService, PeeringServicePrefix,
    PeeringServiceProperties, PrefixEvent, PrefixEventType, PrefixProperties,
    PrefixValidationState, ProvisioningState, ProxyResource, Sku, SystemData,
};
use peering_model::{Catalog, Code, Finding, Findings, Severity};
use proptest::prelude::*;
use proptest::sample::select;
use std::collections::BTreeMap;

#[path = "common/reference.rs"]
mod reference;
use reference::reference_parse;

// ---------------------------------------------------------------------------------------------
// Strategies.

fn any_prefix() -> impl Strategy<Value = Ipv4Prefix> {
    (any::<u32>(), 0u8..=32).prop_map(|(a, l)| Ipv4Prefix::new_truncating(a, l))
}

/// Prefixes packed into a few /16s (two public /8s and 10/8) with mostly short lengths, so
/// random sets overlap a lot; now and then any length, /0 included.
fn crowded_prefix() -> impl Strategy<Value = Ipv4Prefix> {
    (
        select(vec![10u32, 20, 21]),
        0u32..4,
        any::<u16>(),
        prop_oneof![9 => 6u8..=18, 1 => 0u8..=32],
    )
        .prop_map(|(a, b, low, len)| {
            Ipv4Prefix::new_truncating((a << 24) | (b << 16) | u32::from(low), len)
        })
}

/// Resource groups that differ only in case (ASCII and not) and ones that differ.
const RESOURCE_GROUPS: [&str; 5] = ["rg", "RG", "Grün", "GRÜN", "rg2"];

fn existing() -> impl Strategy<Value = ExistingPrefix> {
    (
        crowded_prefix(),
        select(RESOURCE_GROUPS.to_vec()),
        select(vec!["a", "b", "c"]),
        0u8..6,
    )
        .prop_map(|(prefix, rg, c, n)| ExistingPrefix {
            prefix,
            resource_group: rg.to_owned(),
            connection: format!("conn-{c}"),
            name: format!("p{n}"),
        })
}

/// The same prefix resource, as ARM compares identities: the resource group by its Unicode
/// lower case, the connection and prefix names by their ASCII lower case.
fn naive_same(e: &ExistingPrefix, rg: &str, conn: &str, name: &str) -> bool {
    e.resource_group.to_lowercase() == rg.to_lowercase()
        && e.connection.eq_ignore_ascii_case(conn)
        && e.name.eq_ignore_ascii_case(name)
}

/// Text that is often close to a prefix: digits, dots, slashes, colons, spaces, hex.
fn prefixish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9./]{0,20}",
        "[0-9]{1,4}\\.[0-9]{1,4}\\.[0-9]{1,4}\\.[0-9]{1,4}(/[0-9]{1,3})?",
        "[ 0-9a-fA-F:./]{0,40}",
        any::<String>(),
    ]
}

fn opt_string() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(any::<String>())
}

fn sku() -> impl Strategy<Value = Sku> {
    opt_string().prop_map(|name| Sku { name })
}

/// Any variant of a wire enum, or none.
fn opt_of<T: Copy + std::fmt::Debug + 'static>(
    all: &'static [T],
) -> impl Strategy<Value = Option<T>> {
    proptest::option::of(select(all))
}

fn system_data() -> impl Strategy<Value = SystemData> {
    (
        opt_string(),
        opt_of(CreatedByType::ALL),
        opt_string(),
        opt_string(),
        opt_of(CreatedByType::ALL),
        opt_string(),
    )
        .prop_map(|(a, b, c, d, e, f)| SystemData {
            created_by: a,
            created_by_type: b,
            created_at: c,
            last_modified_by: d,
            last_modified_by_type: e,
            last_modified_at: f,
        })
}

fn properties() -> impl Strategy<Value = PeeringServiceProperties> {
    (
        opt_string(),
        opt_string(),
        opt_string(),
        opt_string(),
        opt_of(ProvisioningState::ALL),
        proptest::option::of(proptest::collection::vec("[a-z0-9-]{1,12}", 0..3)),
    )
        .prop_map(|(a, b, c, d, e, agents)| PeeringServiceProperties {
            peering_service_location: a,
            peering_service_provider: b,
            provider_primary_peering_location: c,
            provider_backup_peering_location: d,
            provisioning_state: e,
            log_analytics_workspace_properties: agents.map(|a| {
                peering_model::wire::LogAnalyticsWorkspaceProperties {
                    connected_agents: Some(a),
                }
            }),
        })
}

fn peering_service() -> impl Strategy<Value = PeeringService> {
    (
        opt_string(),
        opt_string(),
        opt_string(),
        opt_string(),
        proptest::option::of(proptest::collection::btree_map(
            any::<String>(),
            any::<String>(),
            0..4,
        )),
        proptest::option::of(sku()),
        proptest::option::of(properties()),
        proptest::option::of(system_data()),
    )
        .prop_map(
            |(id, name, kind, location, tags, sku, properties, system_data)| PeeringService {
                id,
                name,
                kind,
                location,
                tags,
                sku,
                properties,
                system_data,
            },
        )
}

fn prefix_event() -> impl Strategy<Value = PrefixEvent> {
    (
        any::<String>(),
        select(PrefixEventType::ALL),
        any::<String>(),
        select(EventLevel::ALL),
        any::<String>(),
    )
        .prop_map(|(a, b, c, d, e)| PrefixEvent {
            event_timestamp: a,
            event_type: b,
            event_summary: c,
            event_level: d,
            event_description: e,
        })
}

fn prefix_properties() -> impl Strategy<Value = PrefixProperties> {
    (
        opt_string(),
        opt_of(PrefixValidationState::ALL),
        opt_of(LearnedType::ALL),
        opt_string(),
        opt_string(),
        proptest::option::of(proptest::collection::vec(prefix_event(), 0..3)),
        opt_of(ProvisioningState::ALL),
    )
        .prop_map(|(a, b, c, d, e, events, f)| PrefixProperties {
            prefix: a,
            prefix_validation_state: b,
            learned_type: c,
            error_message: d,
            peering_service_prefix_key: e,
            events,
            provisioning_state: f,
        })
}

/// A child resource (prefix, monitor test) with properties from `properties`.
fn proxy_resource<P: std::fmt::Debug>(
    properties: impl Strategy<Value = P>,
) -> impl Strategy<Value = ProxyResource<P>> {
    (
        opt_string(),
        opt_string(),
        opt_string(),
        proptest::option::of(properties),
        proptest::option::of(system_data()),
    )
        .prop_map(|(id, name, kind, properties, system_data)| ProxyResource {
            id,
            name,
            kind,
            properties,
            system_data,
        })
}

fn monitor_test_properties() -> impl Strategy<Value = ConnectionMonitorTestProperties> {
    (
        opt_string(),
        opt_string(),
        proptest::option::of(any::<i32>()),
        proptest::option::of(any::<i32>()),
        proptest::option::of(any::<bool>()),
        proptest::option::of(proptest::collection::vec(any::<String>(), 0..4)),
        opt_of(ProvisioningState::ALL),
    )
        .prop_map(
            |(a, b, port, frequency, ok, path, state)| ConnectionMonitorTestProperties {
                source_agent: a,
                destination: b,
                destination_port: port,
                test_frequency_in_sec: frequency,
                is_test_successful: ok,
                path,
                provisioning_state: state,
            },
        )
}

fn error_detail() -> impl Strategy<Value = ErrorDetail> {
    let leaf =
        (any::<String>(), any::<String>(), opt_string()).prop_map(|(code, message, target)| {
            ErrorDetail {
                code,
                message,
                target,
                details: Vec::new(),
            }
        });
    leaf.prop_recursive(3, 12, 4, |inner| {
        (
            any::<String>(),
            any::<String>(),
            opt_string(),
            proptest::collection::vec(inner, 0..4),
        )
            .prop_map(|(code, message, target, details)| ErrorDetail {
                code,
                message,
                target,
                details,
            })
    })
}

fn finding() -> impl Strategy<Value = Finding> {
    (
        any::<String>(),
        select(Code::ALL),
        any::<String>(),
        any::<bool>(),
    )
        .prop_map(|(target, code, message, error)| Finding {
            target,
            code,
            message,
            severity: if error {
                Severity::Error
            } else {
                Severity::Warning
            },
        })
}

/// Catalog names and near misses: right names in odd casing, with spaces, and noise.
fn catalogish() -> impl Strategy<Value = String> {
    let c = Catalog::embedded();
    let mut known: Vec<String> = Vec::new();
    known.extend(c.countries.iter().map(|c| c.name.clone()));
    known.extend(
        c.countries
            .iter()
            .flat_map(|c| c.locations.iter().map(|l| l.state.clone())),
    );
    known.extend(c.providers.iter().map(|p| p.name.clone()));
    known.extend(
        c.providers
            .iter()
            .flat_map(|p| p.peering_locations.iter().cloned()),
    );
    prop_oneof![
        select(known.clone()),
        (select(known), any::<bool>(), any::<bool>()).prop_map(|(s, upper, pad)| {
            let s = if upper {
                s.to_uppercase()
            } else {
                s.to_lowercase()
            };
            if pad {
                format!("  {s} ")
            } else {
                s
            }
        }),
        any::<String>(),
        Just(String::new()),
        Just("None".to_owned()),
    ]
}

// ---------------------------------------------------------------------------------------------
// Naive models.

fn rank(r: Relation) -> u8 {
    match r {
        Relation::Equals => 0,
        Relation::LiesInside => 1,
        Relation::Contains => 2,
    }
}

type Conflict = (u8, Ipv4Prefix, String, String, String);

fn naive_conflicts(stored: &[ExistingPrefix], candidate: Ipv4Prefix) -> Vec<Conflict> {
    let mut v: Vec<Conflict> = stored
        .iter()
        .filter_map(|e| {
            relation(candidate, e.prefix).map(|r| {
                (
                    rank(r),
                    e.prefix,
                    e.resource_group.clone(),
                    e.connection.clone(),
                    e.name.clone(),
                )
            })
        })
        .collect();
    v.sort();
    v
}

/// The stored set after inserting `items` in order, as the index defines insert: an entry of
/// the same value, resource group, connection and name ([`naive_same`]) is replaced.
fn naive_insert_all(items: &[ExistingPrefix]) -> Vec<ExistingPrefix> {
    let mut out: Vec<ExistingPrefix> = Vec::new();
    for e in items {
        match out.iter_mut().find(|o| {
            o.prefix == e.prefix && naive_same(o, &e.resource_group, &e.connection, &e.name)
        }) {
            Some(o) => *o = e.clone(),
            None => out.push(e.clone()),
        }
    }
    out
}

fn index_conflicts(index: &PrefixIndex, candidate: Ipv4Prefix) -> Vec<Conflict> {
    let mut v: Vec<Conflict> = index
        .conflicts(candidate)
        .into_iter()
        .map(|(r, e)| {
            (
                rank(r),
                e.prefix,
                e.resource_group.clone(),
                e.connection.clone(),
                e.name.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The suggestion of a "did you mean X?" message.
fn suggestion(f: &Finding) -> Option<&str> {
    f.message
        .rsplit_once("did you mean ")
        .map(|(_, s)| s.trim_end_matches('?'))
}

/// A prefix text and what it canonicalises to: the prefix itself, or the one the
/// not-canonical error suggests.
fn canonicalise(s: &str) -> Option<Ipv4Prefix> {
    match Ipv4Prefix::parse(s) {
        Ok(p) => Some(p),
        Err(f) if f.code == Code::PrefixNotCanonical => {
            let suggested = suggestion(&f).expect("a not-canonical error suggests a prefix");
            Some(Ipv4Prefix::parse(suggested).expect("the suggestion is canonical"))
        }
        Err(_) => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Properties.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn truncation_is_idempotent(a in any::<u32>(), l in 0u8..=40) {
        let p = Ipv4Prefix::new_truncating(a, l);
        prop_assert_eq!(Ipv4Prefix::new_truncating(p.addr(), p.len()), p);
        prop_assert!(p.len() <= 32);
        prop_assert!(p.contains(Ipv4Prefix::new_truncating(a, 32)));
    }

    #[test]
    fn canonicalisation_is_idempotent(s in prefixish()) {
        if let Some(p) = canonicalise(&s) {
            prop_assert_eq!(canonicalise(&p.to_string()), Some(p));
            prop_assert_eq!(Ipv4Prefix::parse(&p.to_string()), Ok(p));
        }
    }

    #[test]
    fn sloppy_spellings_canonicalise_to_the_true_prefix(
        a in any::<u32>(), l in 0u8..=32, zeros in proptest::collection::vec(0usize..3, 5), space in any::<bool>()
    ) {
        let [b0, b1, b2, b3] = a.to_be_bytes();
        let pad = |n: u32, z: usize| format!("{}{n}", "0".repeat(z));
        let text = format!(
            "{}{}.{}.{}.{}/{}",
            if space { " " } else { "" },
            pad(b0.into(), zeros[0]), pad(b1.into(), zeros[1]), pad(b2.into(), zeros[2]), pad(b3.into(), zeros[3]),
            pad(l.into(), zeros[4]),
        );
        let want = Ipv4Prefix::new_truncating(a, l);
        // Only three-digit fields are accepted; longer zero-padded ones are invalid.
        let too_long = [b0, b1, b2, b3].iter().zip(&zeros).any(|(b, z)| b.to_string().len() + z > 3)
            || l.to_string().len() + zeros[4] > 3;
        if too_long {
            prop_assert_eq!(Ipv4Prefix::parse(&text).unwrap_err().code, Code::InvalidPrefix);
        } else {
            prop_assert_eq!(canonicalise(&text), Some(want));
        }
    }

    #[test]
    fn prefix_reader_agrees_with_the_reference(s in prefixish()) {
        prop_assert_eq!(Ipv4Prefix::parse(&s).map_err(|f| f.code), reference_parse(&s));
    }

    #[test]
    fn prefix_display_parse_round_trip(p in any_prefix()) {
        let text = p.to_string();
        prop_assert_eq!(Ipv4Prefix::parse(&text), Ok(p));
        prop_assert_eq!(text.parse::<Ipv4Prefix>(), Ok(p));
    }

    #[test]
    fn only_the_canonical_spelling_parses(s in prefixish()) {
        if let Ok(p) = Ipv4Prefix::parse(&s) {
            prop_assert_eq!(p.to_string(), s);
        }
    }

    #[test]
    fn index_agrees_with_pairwise_model(
        stored in proptest::collection::vec(existing(), 0..40),
        candidates in proptest::collection::vec(crowded_prefix(), 1..20),
    ) {
        let index: PrefixIndex = stored.iter().cloned().collect();
        let model = naive_insert_all(&stored);
        prop_assert_eq!(index.len(), model.len());
        for &c in &candidates {
            let want = naive_conflicts(&model, c);
            prop_assert_eq!(index_conflicts(&index, c), want.clone());
            prop_assert_eq!(index.conflict_count(c), want.len());
            prop_assert_eq!(index.overlaps(c), !want.is_empty());
            // `check` reports the first conflict in the documented order.
            let all = index.conflicts(c);
            prop_assert!(all.windows(2).all(|w| rank(w[0].0) <= rank(w[1].0)));
            let first = all.first().map(|(r, e)| overlap_finding(c, *r, e));
            prop_assert_eq!(index.check(c), first);
            prop_assert_eq!(index.check_all(c).len(), want.len());
        }
    }

    #[test]
    fn index_agrees_with_model_after_removals(
        stored in proptest::collection::vec(existing(), 0..40),
        removals in proptest::collection::vec((crowded_prefix(), any::<bool>(), select(RESOURCE_GROUPS.to_vec()), select(vec!["a", "b"]), 0u8..6), 0..20),
        candidates in proptest::collection::vec(crowded_prefix(), 1..10),
    ) {
        let mut index: PrefixIndex = stored.iter().cloned().collect();
        let mut model = naive_insert_all(&stored);
        for (p, whole, rg, c, n) in removals {
            // Half of the removals hit a stored value.
            let p = if whole && !model.is_empty() { model[n as usize % model.len()].prefix } else { p };
            if whole {
                let mut got: Vec<_> = index.remove(p).into_iter().map(|e| (e.resource_group, e.connection, e.name)).collect();
                let mut want: Vec<_> = model.iter().filter(|e| e.prefix == p).map(|e| (e.resource_group.clone(), e.connection.clone(), e.name.clone())).collect();
                got.sort();
                want.sort();
                prop_assert_eq!(got, want);
                model.retain(|e| e.prefix != p);
            } else {
                let (conn, name) = (format!("conn-{c}"), format!("p{n}"));
                let got = index.remove_named(p, rg, &conn, &name);
                let pos = model.iter().position(|e| e.prefix == p && naive_same(e, rg, &conn, &name));
                prop_assert_eq!(got.is_some(), pos.is_some());
                if let Some(i) = pos { model.remove(i); }
            }
            prop_assert_eq!(index.len(), model.len());
        }
        prop_assert_eq!(index.iter().count(), model.len());
        for &c in &candidates {
            prop_assert_eq!(index_conflicts(&index, c), naive_conflicts(&model, c));
        }
    }

    #[test]
    fn batch_agrees_with_pairwise_model(
        stored in proptest::collection::vec(existing(), 0..15),
        rows in proptest::collection::vec(crowded_prefix(), 0..15),
    ) {
        // Rows in 10/8 (or covering it) are not public and must take no part in overlaps.
        let index: PrefixIndex = stored.iter().cloned().collect();
        let model = naive_insert_all(&stored);
        let rows: Vec<PrefixRow> = rows
            .iter()
            .enumerate()
            .map(|(i, p)| PrefixRow { name: format!("r{i}"), prefix: p.to_string(), key: None })
            .collect();
        let results = validate_batch(&index, &rows);
        prop_assert_eq!(results.len(), rows.len());
        for (i, r) in results.iter().enumerate() {
            prop_assert_eq!(r.row, i);
            let (p, value) = check_prefix_value(&rows[i].prefix);
            prop_assert_eq!(r.prefix, p);
            let takes_part = p.is_some() && !value.has_errors();
            let overlaps = r.findings.iter().filter(|f| f.code == Code::PrefixOverlaps).count();
            if !takes_part {
                prop_assert_eq!(overlaps, 0);
                continue;
            }
            let p = p.unwrap();
            let with_index = naive_conflicts(&model, p).len();
            let with_rows = rows.iter().enumerate().filter(|(j, other)| {
                if *j == i { return false; }
                let (q, f) = check_prefix_value(&other.prefix);
                q.is_some() && !f.has_errors() && relation(p, q.unwrap()).is_some()
            }).count();
            prop_assert_eq!(overlaps, with_index + with_rows, "row {}: {:?}", i, r.findings);
            prop_assert_eq!(r.is_ok(), with_index + with_rows == 0);
        }
    }

    #[test]
    fn wire_types_round_trip(s in peering_service(), next in opt_string(), more in proptest::collection::vec(peering_service(), 0..3)) {
        let json = serde_json::to_string(&s).unwrap();
        prop_assert_eq!(serde_json::from_str::<PeeringService>(&json).unwrap(), s.clone());
        let mut value = vec![s];
        value.extend(more);
        let list = ListResult { value, next_link: next };
        let json = serde_json::to_string(&list).unwrap();
        prop_assert_eq!(serde_json::from_str::<ListResult<PeeringService>>(&json).unwrap(), list);
    }

    #[test]
    fn child_wire_types_round_trip(
        prefixes in proptest::collection::vec(proxy_resource(prefix_properties()), 0..3),
        tests in proptest::collection::vec(proxy_resource(monitor_test_properties()), 0..3),
        next in opt_string(),
    ) {
        for p in &prefixes {
            let json = serde_json::to_string(p).unwrap();
            prop_assert_eq!(&serde_json::from_str::<PeeringServicePrefix>(&json).unwrap(), p);
        }
        for t in &tests {
            let json = serde_json::to_string(t).unwrap();
            prop_assert_eq!(&serde_json::from_str::<ConnectionMonitorTest>(&json).unwrap(), t);
        }
        let list = ListResult { value: prefixes, next_link: next.clone() };
        let json = serde_json::to_string(&list).unwrap();
        prop_assert_eq!(serde_json::from_str::<ListResult<PeeringServicePrefix>>(&json).unwrap(), list);
        let list = ListResult { value: tests, next_link: next };
        let json = serde_json::to_string(&list).unwrap();
        prop_assert_eq!(serde_json::from_str::<ListResult<ConnectionMonitorTest>>(&json).unwrap(), list);
    }

    #[test]
    fn error_bodies_round_trip(error in error_detail()) {
        let body = ErrorResponse { error };
        let json = serde_json::to_string(&body).unwrap();
        prop_assert_eq!(serde_json::from_str::<ErrorResponse>(&json).unwrap(), body);
    }

    #[test]
    fn findings_round_trip(all in proptest::collection::vec(finding(), 0..5)) {
        let findings = Findings(all);
        let json = serde_json::to_string(&findings).unwrap();
        prop_assert_eq!(serde_json::from_str::<Findings>(&json).unwrap(), findings.clone());
        for f in findings.iter() {
            // The code's string form is its JSON form.
            prop_assert_eq!(serde_json::to_string(&f.code).unwrap(), format!("\"{}\"", f.code.as_str()));
        }
    }

    #[test]
    fn names_round_trip_and_never_panic(s in any::<String>(), t in "[A-Za-z0-9_.()-]{0,100}") {
        for input in [&s, &t] {
            for kind in [NameKind::Connection, NameKind::Prefix, NameKind::MonitorTest] {
                if let Ok(n) = ResourceName::parse(kind, "name", input) {
                    prop_assert_eq!(n.to_string(), input.clone());
                    prop_assert_eq!(ResourceName::parse(kind, "name", &n.to_string()), Ok(n));
                } else {
                    let e = ResourceName::parse(kind, "name", input).unwrap_err();
                    prop_assert!(e.is_error() && e.target == "name");
                }
            }
            if let Ok(g) = ResourceGroupName::parse(input) {
                prop_assert_eq!(ResourceGroupName::parse(&g.to_string()), Ok(g));
            }
            if let Ok(id) = SubscriptionId::parse(input) {
                prop_assert_eq!(SubscriptionId::parse(&id.to_string()), Ok(id));
            }
        }
    }

    #[test]
    fn subscription_ids_round_trip(g in "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}") {
        let id = SubscriptionId::parse(&g).unwrap();
        prop_assert_eq!(id.as_str(), g.to_ascii_lowercase());
        prop_assert_eq!(SubscriptionId::parse(id.as_str()), Ok(id.clone()));
        prop_assert!(check_prefix_key(Some(&g)).is_none());
    }

    #[test]
    fn prefix_parsers_never_panic(s in prefixish()) {
        let parsed = Ipv4Prefix::parse(&s);
        if let Err(f) = &parsed {
            prop_assert_eq!(f.target.as_str(), PREFIX_TARGET);
            prop_assert!(f.is_error());
            prop_assert!(matches!(f.code, Code::Required | Code::InvalidPrefix | Code::PrefixNotCanonical));
        }
        let (p, findings) = check_prefix_value(&s);
        prop_assert_eq!(p.is_some(), parsed.is_ok());
        prop_assert!(p.is_some() || findings.has_errors());
        let _ = check_prefix_key(Some(&s));
        let _ = is_ip_or_host(&s);
    }

    #[test]
    fn catalog_lookups_never_panic(s in catalogish()) {
        let c = Catalog::embedded();
        let _ = match_key(&s);
        if let Some(country) = c.country(&s) {
            prop_assert_eq!(c.country(&country.name).map(|x| &x.name), Some(&country.name));
        }
        if let Some((country, l)) = c.location(&s) {
            prop_assert!(c.location_in(country, &s).is_some());
            prop_assert_eq!(&c.location(&l.state).unwrap().1.state, &l.state);
        }
        if let Some(p) = c.provider(&s) {
            prop_assert_eq!(&c.provider(&p.name).unwrap().name, &p.name);
        }
        let _ = c.metro(&s);
        for p in &c.providers {
            if let Some(l) = c.provider_location(p, &s) {
                prop_assert!(p.peering_locations.iter().any(|x| x == l));
            }
        }
    }

    #[test]
    fn connection_validation_never_panics(
        name in prop_oneof![any::<String>(), "[a-z-]{1,20}"],
        country in proptest::option::of(catalogish()),
        location in catalogish(),
        provider in catalogish(),
        primary in catalogish(),
        backup in proptest::option::of(catalogish()),
        azure_region in proptest::option::of(prop_oneof![
            any::<String>(),
            select(peering_model::region::REGIONS).prop_map(|(d, _)| d.to_owned()),
            select(peering_model::region::REGIONS).prop_map(|(_, n)| n.to_uppercase()),
        ]),
        sku in proptest::option::of(prop_oneof![any::<String>(), "[A-Za-z0-9_]{1,70}"]),
        tags in proptest::collection::btree_map(any::<String>(), any::<String>(), 0..4),
    ) {
        let d = ConnectionDraft { name, country, location, provider, primary, backup, azure_region, sku, tags };
        let (valid, findings) = validate_connection(Catalog::embedded(), &d);
        // A connection comes back exactly when nothing blocks it.
        prop_assert_eq!(valid.is_some(), !findings.has_errors());
        if let Some(v) = valid {
            // The canonical connection validates again, unchanged.
            let again = ConnectionDraft {
                name: v.name.to_string(),
                country: Some(v.country.clone()),
                location: v.location.clone(),
                provider: v.provider.clone(),
                primary: v.primary.clone(),
                backup: v.backup.clone(),
                azure_region: Some(v.azure_region.clone()),
                sku: v.sku.clone(),
                tags: v.tags.clone(),
            };
            let (v2, f2) = validate_connection(Catalog::embedded(), &again);
            prop_assert!(!f2.has_errors(), "{:?}", f2);
            prop_assert_eq!(v2, Some(v));
        }
    }

    #[test]
    fn batch_into_agrees_with_pairwise_model(
        stored in proptest::collection::vec(existing(), 0..15),
        rows in proptest::collection::vec((0u8..8, crowded_prefix()), 0..12),
        rg in select(RESOURCE_GROUPS.to_vec()),
        conn in select(vec!["conn-a", "CONN-B"]),
    ) {
        // Rows named p0..p7 into (rg, conn): a row named like a stored prefix of that very
        // connection (resource group included) is that prefix: it must keep its value and does
        // not overlap itself; every other stored prefix it overlaps is a conflict. A
        // well-formed subscription has one value per prefix resource, so the stored prefixes
        // are made unique by identity.
        let mut model: Vec<ExistingPrefix> = Vec::new();
        for e in stored {
            if !model.iter().any(|o| naive_same(o, &e.resource_group, &e.connection, &e.name)) {
                model.push(e);
            }
        }
        let index: PrefixIndex = model.iter().cloned().collect();
        let mut seen = std::collections::HashSet::new();
        let rows: Vec<PrefixRow> = rows
            .into_iter()
            .filter(|(n, _)| seen.insert(*n))
            .map(|(n, p)| PrefixRow { name: format!("p{n}"), prefix: p.to_string(), key: None })
            .collect();
        let results = validate_batch_into(&index, rg, conn, &rows);
        prop_assert_eq!(results.len(), rows.len());
        for (i, r) in results.iter().enumerate() {
            let (p, value) = check_prefix_value(&rows[i].prefix);
            if p.is_none() || value.has_errors() {
                continue;
            }
            let p = p.unwrap();
            let own = model.iter().find(|e| naive_same(e, rg, conn, &rows[i].name));
            let immutable = r.findings.iter().filter(|f| f.code == Code::PrefixImmutable).count();
            prop_assert_eq!(immutable, usize::from(own.is_some_and(|e| e.prefix != p)), "{:?}", r.findings);
            let with_index = model
                .iter()
                .filter(|e| !naive_same(e, rg, conn, &rows[i].name) && relation(p, e.prefix).is_some())
                .count();
            let with_rows = rows.iter().enumerate().filter(|(j, other)| {
                let (q, f) = check_prefix_value(&other.prefix);
                *j != i && q.is_some() && !f.has_errors() && relation(p, q.unwrap()).is_some()
            }).count();
            let overlaps = r.findings.iter().filter(|f| f.code == Code::PrefixOverlaps).count();
            prop_assert_eq!(overlaps, with_index + with_rows, "row {}: {:?}", i, r.findings);
        }
    }

    #[test]
    fn monitor_tests_and_tags_never_panic(
        source in any::<String>(), dest in prop_oneof![any::<String>(), "[a-z0-9.-]{0,30}"],
        port in proptest::option::of(any::<i64>()), freq in proptest::option::of(any::<i64>()),
        tags in proptest::collection::btree_map(any::<String>(), any::<String>(), 0..60),
    ) {
        let f = validate_monitor_test(&MonitorTestDraft {
            source_agent: source, destination: dest, destination_port: port, test_frequency_in_sec: freq,
        });
        prop_assert_eq!(f.iter().any(|x| x.code == Code::InvalidPort), port.is_some_and(|p| !(1..=65535).contains(&p)));
        prop_assert_eq!(f.iter().any(|x| x.code == Code::InvalidFrequency), freq.is_some_and(|s| !(30..=86400).contains(&s)));
        prop_assert_eq!(f.iter().any(|x| x.code == Code::Required && x.target == "properties.destinationPort"), port.is_none());
        prop_assert_eq!(f.iter().any(|x| x.code == Code::Required && x.target == "properties.testFrequencyInSec"), freq.is_none());
        let t = check_tags(&tags);
        prop_assert_eq!(t.iter().any(|x| x.code == Code::TooManyTags), tags.len() > 50);
    }

    #[test]
    fn batch_never_panics_on_arbitrary_rows(
        rows in proptest::collection::vec((any::<String>(), prefixish(), opt_string()), 0..12),
        stored in proptest::collection::vec(existing(), 0..8),
        resource_group in any::<String>(),
        connection in any::<String>(),
    ) {
        let rows: Vec<PrefixRow> = rows.into_iter().map(|(name, prefix, key)| PrefixRow { name, prefix, key }).collect();
        let index: PrefixIndex = stored.into_iter().collect();
        prop_assert_eq!(validate_batch(&index, &rows).len(), rows.len());
        prop_assert_eq!(validate_batch_into(&index, &resource_group, &connection, &rows).len(), rows.len());
    }
}

#[test]
fn tags_at_the_limits() {
    let ok: BTreeMap<String, String> = (0..50)
        .map(|i| (format!("k{i}"), "v".repeat(256)))
        .collect();
    assert!(check_tags(&ok).is_empty());
}

proptest! {
    /// Any resource id built by the model parses back to itself, whatever its names hold
    /// (slashes, `%`, spaces, non-ASCII), so a name never leaks into another segment.
    #[test]
    fn resource_ids_round_trip(
        sub in "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        rg in any::<String>(),
        name in any::<String>().prop_filter("a name is not empty", |s| !s.is_empty()),
        child in proptest::option::of((
            select(peering_model::ChildKind::ALL.to_vec()),
            any::<String>().prop_filter("a name is not empty", |s| !s.is_empty()),
        )),
    ) {
        let service = peering_model::ServiceId::new(&sub, &rg, &name);
        let id = peering_model::ResourceId { service, child };
        let text = id.to_string();
        prop_assert!(text.is_ascii(), "{}", text);
        prop_assert_eq!(peering_model::ResourceId::parse(&text), Ok(id));
    }
}

proptest! {
    /// Any records written by `csv::write` read back the same with `csv::parse`: commas,
    /// quotes, line breaks, leading spaces, would-be formulas, non-ASCII. (A field that itself
    /// starts with `'` followed by a formula character reads back without the `'`, as in a
    /// spreadsheet; the generator leaves such fields out.)
    #[test]
    fn csv_written_reads_back(
        records in proptest::collection::vec(
            proptest::collection::vec("[a-z=+@ ,\"\n\r\t'é-]{0,12}", 3),
            0..8,
        )
    ) {
        let records: Vec<Vec<String>> = records
            .into_iter()
            .filter(|r| r.iter().all(|f| !f.starts_with('\'')))
            .collect();
        let text = peering_model::csv::write(&["a", "b", "c"], records.iter().cloned());
        let back = peering_model::csv::parse(&text);
        prop_assert_eq!(&back[0], &vec!["a".to_owned(), "b".into(), "c".into()]);
        prop_assert_eq!(&back[1..], &records[..]);
    }
}

//! The activity log: every write recorded with who made it and what it changed. The names
//! here are the ones both sides agree on: the operations in ARM's words, the record the
//! server serves and the console reads ([`ActivityRecord`]), the query parameters of the
//! console's own view of the log, what a deleted connection's last representation holds
//! ([`DeletedChildren`]), and the field-by-field difference of two representations
//! ([`property_changes`]), decided once here for both.

use crate::wire::{ConnectionMonitorTest, CreatedByType, PeeringService, PeeringServicePrefix};
use crate::ChildKind;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The api-version of Azure's Activity Log API (`Microsoft.Insights/eventtypes/management`).
pub const INSIGHTS_API_VERSION: &str = "2015-04-01";

/// The resource provider every recorded operation belongs to.
pub const RESOURCE_PROVIDER: &str = crate::resource_id::NAMESPACE;

/// The query parameters of the log as the console reads it (`.../activityLog`): unlike
/// Azure's `$filter`, every one may be combined with the others.
pub mod query {
    /// The oldest moment (RFC 3339), inclusive.
    pub const FROM: &str = "from";
    /// The newest moment (RFC 3339), inclusive.
    pub const TO: &str = "to";
    /// Who made the change (`caller` as recorded), exactly.
    pub const CALLER: &str = "caller";
    /// The resource group, in any case.
    pub const RESOURCE_GROUP: &str = "resourceGroup";
    /// One [`super::Operation`]'s wire name.
    pub const OPERATION: &str = "operation";
    /// [`super::Outcome`]: `Succeeded` or `Failed`.
    pub const STATUS: &str = "status";
    /// A resource id: its records and those of the resources under it (a connection's
    /// history holds its prefixes', monitor tests' and alert rules').
    pub const RESOURCE: &str = "resourceUri";
    /// How many records a page holds at most.
    pub const TOP: &str = "$top";
}

wire_enum! {
    /// What a record is of, in ARM's words (`operationName` of Azure's Activity Log). A tags
    /// update is a `write`, as in ARM.
    pub enum Operation {
        ServiceWrite = "Microsoft.Peering/peeringServices/write",
        ServiceDelete = "Microsoft.Peering/peeringServices/delete",
        PrefixWrite = "Microsoft.Peering/peeringServices/prefixes/write",
        PrefixDelete = "Microsoft.Peering/peeringServices/prefixes/delete",
        MonitorTestWrite = "Microsoft.Peering/peeringServices/connectionMonitorTests/write",
        MonitorTestDelete = "Microsoft.Peering/peeringServices/connectionMonitorTests/delete",
        AlertRuleWrite = "Microsoft.Peering/peeringServices/alertRules/write",
        AlertRuleDelete = "Microsoft.Peering/peeringServices/alertRules/delete",
        InitializeConnectionMonitor = "Microsoft.Peering/initializeConnectionMonitor/action",
    }
}

impl Operation {
    /// The write or delete of a connection's child of `kind`.
    pub fn of_child(kind: ChildKind, delete: bool) -> Operation {
        match (kind, delete) {
            (ChildKind::Prefix, false) => Operation::PrefixWrite,
            (ChildKind::Prefix, true) => Operation::PrefixDelete,
            (ChildKind::MonitorTest, false) => Operation::MonitorTestWrite,
            (ChildKind::MonitorTest, true) => Operation::MonitorTestDelete,
            (ChildKind::AlertRule, false) => Operation::AlertRuleWrite,
            (ChildKind::AlertRule, true) => Operation::AlertRuleDelete,
        }
    }

    pub fn is_delete(self) -> bool {
        matches!(
            self,
            Operation::ServiceDelete
                | Operation::PrefixDelete
                | Operation::MonitorTestDelete
                | Operation::AlertRuleDelete
        )
    }

    /// The words a person reads (`localizedValue`).
    pub fn words(self) -> &'static str {
        match self {
            Operation::ServiceWrite => "Create or update connection",
            Operation::ServiceDelete => "Delete connection",
            Operation::PrefixWrite => "Create or update prefix",
            Operation::PrefixDelete => "Delete prefix",
            Operation::MonitorTestWrite => "Create or update monitor test",
            Operation::MonitorTestDelete => "Delete monitor test",
            Operation::AlertRuleWrite => "Create or update alert rule",
            Operation::AlertRuleDelete => "Delete alert rule",
            Operation::InitializeConnectionMonitor => "Initialize connection monitor",
        }
    }
}

wire_enum! {
    /// How a recorded write ended (`status` of Azure's Activity Log).
    pub enum Outcome {
        Succeeded = "Succeeded",
        Failed = "Failed",
    }
}

wire_enum! {
    /// What a write that succeeded did to its resource (ARM's resource changes).
    pub enum ChangeType {
        Create = "Create",
        Update = "Update",
        Delete = "Delete",
        /// A delete of something that was not there, a PATCH without tags: nothing changed.
        NoChange = "NoChange",
    }
}

impl ChangeType {
    /// From whether there was a representation before and after.
    pub fn of(before: bool, after: bool, same: bool) -> ChangeType {
        match (before, after) {
            (false, true) => ChangeType::Create,
            (true, false) => ChangeType::Delete,
            (true, true) if !same => ChangeType::Update,
            _ => ChangeType::NoChange,
        }
    }
}

wire_enum! {
    /// How one property changed.
    pub enum PropertyChangeType {
        Insert = "Insert",
        Update = "Update",
        Remove = "Remove",
    }
}

/// One property's change: `propertyName` is its JSON path (`properties.provider`,
/// `tags.env`), as in ARM's resource changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyChange {
    pub property_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_value: Option<Value>,
    pub property_change_type: PropertyChangeType,
}

/// One recorded write, as `.../providers/Microsoft.Peering/activityLog` serves it. The list
/// leaves the snapshots out; one record (`.../activityLog/{eventDataId}`) has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityRecord {
    pub event_data_id: String,
    /// RFC 3339, UTC, with milliseconds.
    pub event_timestamp: String,
    pub caller: String,
    pub caller_type: CreatedByType,
    pub operation_name: Operation,
    pub status: Outcome,
    /// A refused write's error code (`PreconditionFailed`, `InvalidPrefix` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_status: Option<String>,
    /// A refused write's error message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub http_status: u16,
    pub resource_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group_name: Option<String>,
    /// `x-ms-correlation-request-id` when the client sent one, else the request id.
    pub correlation_id: String,
    /// The server's `x-ms-request-id` of the request.
    pub request_id: String,
    /// `x-ms-client-request-id` when the client sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip_address: Option<String>,
    /// What a write that succeeded did; none for a refused one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_type: Option<ChangeType>,
    /// Field by field: every property a create inserted or a delete removed, what an update
    /// changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub property_changes: Vec<PropertyChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_snapshot: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_snapshot: Option<Value>,
}

/// A page of records, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityPage {
    pub value: Vec<ActivityRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// The member of a deleted connection's last representation that holds what went with it.
pub const CHILDREN: &str = "children";

/// What a connection's delete took with it, kept in the record's `beforeSnapshot` under
/// [`CHILDREN`] beside the connection's own representation, so it can be restored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedChildren {
    #[serde(default)]
    pub prefixes: Vec<PeeringServicePrefix>,
    #[serde(default)]
    pub connection_monitor_tests: Vec<ConnectionMonitorTest>,
    #[serde(default)]
    pub alert_rules: Vec<crate::alerts::AlertRule>,
}

/// A deleted connection read back from its record's `beforeSnapshot`.
pub fn deleted_connection(snapshot: &Value) -> Option<(PeeringService, DeletedChildren)> {
    let service: PeeringService = serde_json::from_value(snapshot.clone()).ok()?;
    let children = match snapshot.get(CHILDREN) {
        Some(c) => serde_json::from_value(c.clone()).ok()?,
        None => DeletedChildren::default(),
    };
    Some((service, children))
}

/// What restoring a deleted connection writes, in order: the connection, then each child
/// with its name. Only what people set is written again (no state, events or results the
/// server keeps), so every rule applies to it as to any new write.
#[derive(Debug, Clone, PartialEq)]
pub struct RestorePlan {
    pub connection: PeeringService,
    pub children: Vec<(ChildKind, String, Value)>,
}

/// The plan that restores the connection a delete record's `beforeSnapshot` holds.
pub fn restore_plan(snapshot: &Value) -> Option<RestorePlan> {
    use crate::wire::{
        ConnectionMonitorTestProperties, PeeringServiceProperties, PrefixProperties,
    };
    let (service, kids) = deleted_connection(snapshot)?;
    let p = service.properties.unwrap_or_default();
    let connection = PeeringService {
        location: service.location,
        tags: service.tags,
        sku: service.sku,
        properties: Some(PeeringServiceProperties {
            peering_service_location: p.peering_service_location,
            peering_service_provider: p.peering_service_provider,
            provider_primary_peering_location: p.provider_primary_peering_location,
            provider_backup_peering_location: p.provider_backup_peering_location,
            ..Default::default()
        }),
        ..Default::default()
    };
    fn body<P: Serialize>(properties: P) -> Value {
        serde_json::json!({ "properties": properties })
    }
    let mut children = Vec::new();
    for c in kids.prefixes {
        let p = c.properties.unwrap_or_default();
        let props = PrefixProperties {
            prefix: p.prefix,
            peering_service_prefix_key: p.peering_service_prefix_key,
            ..Default::default()
        };
        children.push((ChildKind::Prefix, c.name.unwrap_or_default(), body(props)));
    }
    for c in kids.connection_monitor_tests {
        let t = c.properties.unwrap_or_default();
        let props = ConnectionMonitorTestProperties {
            source_agent: t.source_agent,
            destination: t.destination,
            destination_port: t.destination_port,
            test_frequency_in_sec: t.test_frequency_in_sec,
            ..Default::default()
        };
        children.push((
            ChildKind::MonitorTest,
            c.name.unwrap_or_default(),
            body(props),
        ));
    }
    for c in kids.alert_rules {
        let mut props = c.properties.unwrap_or_default();
        props.provisioning_state = None;
        children.push((
            ChildKind::AlertRule,
            c.name.unwrap_or_default(),
            body(props),
        ));
    }
    Some(RestorePlan {
        connection,
        children,
    })
}

/// Members that say which resource, when and by whom rather than what: never a change of
/// their own (a deleted connection's children have records of their own).
const NOT_CHANGES: &[&str] = &["id", "name", "type", "systemData", "etag", CHILDREN];

/// The difference between two representations, property by property, in path order:
/// objects are descended into (`tags.env`), anything else (arrays included) compared whole.
/// A create is the difference from nothing (every property inserted), a delete to nothing.
pub fn property_changes(before: &Value, after: &Value) -> Vec<PropertyChange> {
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    out
}

fn walk(path: &str, before: &Value, after: &Value, out: &mut Vec<PropertyChange>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                if path.is_empty() && NOT_CHANGES.contains(&k.as_str()) {
                    continue;
                }
                let nothing = Value::Object(Default::default());
                match (b.get(k), a.get(k)) {
                    (Some(bv), Some(av)) => walk(&join(k), bv, av, out),
                    // An object that came or went is its properties, each inserted or removed.
                    (Some(bv @ Value::Object(_)), None) => walk(&join(k), bv, &nothing, out),
                    (None, Some(av @ Value::Object(_))) => walk(&join(k), &nothing, av, out),
                    (Some(bv), None) => out.push(PropertyChange {
                        property_name: join(k),
                        before_value: Some(bv.clone()),
                        after_value: None,
                        property_change_type: PropertyChangeType::Remove,
                    }),
                    (None, Some(av)) => out.push(PropertyChange {
                        property_name: join(k),
                        before_value: None,
                        after_value: Some(av.clone()),
                        property_change_type: PropertyChangeType::Insert,
                    }),
                    (None, None) => {}
                }
            }
        }
        (b, a) if b != a => out.push(PropertyChange {
            property_name: path.to_owned(),
            before_value: Some(b.clone()),
            after_value: Some(a.clone()),
            property_change_type: PropertyChangeType::Update,
        }),
        _ => {}
    }
}

/// The resource group named in a resource id, if any.
pub fn resource_group_of(resource_id: &str) -> Option<&str> {
    let mut segs = resource_id.trim_start_matches('/').split('/');
    while let Some(s) = segs.next() {
        if s.eq_ignore_ascii_case("resourceGroups") {
            return segs.next();
        }
    }
    None
}

/// A record's caller type from its stored spelling (`Key` for what older tokens wrote).
pub fn caller_type(stored: &str) -> CreatedByType {
    stored.parse().unwrap_or(CreatedByType::Key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_name_each_property_and_skip_who_and_when() {
        let before = json!({
            "properties": {"provider": "A", "backup": "x"},
            "tags": {"env": "prod"},
            "systemData": {"lastModifiedAt": "1"}
        });
        let after = json!({
            "properties": {"provider": "B"},
            "tags": {"env": "prod", "team": "net"},
            "systemData": {"lastModifiedAt": "2"}
        });
        let c = property_changes(&before, &after);
        let names: Vec<(&str, PropertyChangeType)> = c
            .iter()
            .map(|c| (c.property_name.as_str(), c.property_change_type))
            .collect();
        assert_eq!(
            names,
            vec![
                ("properties.backup", PropertyChangeType::Remove),
                ("properties.provider", PropertyChangeType::Update),
                ("tags.team", PropertyChangeType::Insert),
            ]
        );
        assert_eq!(c[1].before_value, Some(json!("A")));
        assert_eq!(c[1].after_value, Some(json!("B")));
        assert!(property_changes(&before, &before).is_empty());
        // A create is each property inserted, nested ones too.
        let created = property_changes(&json!({}), &after);
        let names: Vec<&str> = created.iter().map(|c| c.property_name.as_str()).collect();
        assert_eq!(names, ["properties.provider", "tags.env", "tags.team"]);
    }

    #[test]
    fn change_types_follow_the_snapshots() {
        assert_eq!(ChangeType::of(false, true, false), ChangeType::Create);
        assert_eq!(ChangeType::of(true, false, false), ChangeType::Delete);
        assert_eq!(ChangeType::of(true, true, false), ChangeType::Update);
        assert_eq!(ChangeType::of(true, true, true), ChangeType::NoChange);
        assert_eq!(ChangeType::of(false, false, true), ChangeType::NoChange);
    }

    #[test]
    fn a_deleted_connection_reads_back_with_its_children() {
        let snap = json!({
            "name": "c1", "location": "East US",
            "properties": {"peeringServiceLocation": "Virginia"},
            "children": {"prefixes": [{"name": "p1", "properties": {"prefix": "10.0.0.0/24"}}]}
        });
        let (s, ch) = deleted_connection(&snap).unwrap();
        assert_eq!(s.name.as_deref(), Some("c1"));
        assert_eq!(ch.prefixes.len(), 1);
        assert!(ch.alert_rules.is_empty());
    }

    #[test]
    fn a_restore_writes_only_what_people_set() {
        let snap = json!({
            "name": "c1", "location": "East US", "tags": {"team": "net"},
            "properties": {"peeringServiceLocation": "Virginia", "peeringServiceProvider": "A",
                "providerPrimaryPeeringLocation": "x", "provisioningState": "Succeeded"},
            "systemData": {"createdBy": "someone"},
            "children": {
                "prefixes": [{"name": "p1", "properties": {"prefix": "45.60.8.0/24",
                    "prefixValidationState": "Verified", "peeringServicePrefixKey": "k"}}],
                "connectionMonitorTests": [{"name": "t1", "properties": {"sourceAgent": "a",
                    "destination": "1.1.1.1", "destinationPort": 443, "testFrequencyInSec": 30,
                    "isTestSuccessful": true}}],
                "alertRules": [{"name": "r1", "properties": {"kind": "PrefixFailed",
                    "provisioningState": "Succeeded"}}]
            }
        });
        let plan = restore_plan(&snap).unwrap();
        let c = serde_json::to_value(&plan.connection).unwrap();
        assert_eq!(
            c,
            json!({"location": "East US", "tags": {"team": "net"}, "properties": {
                "peeringServiceLocation": "Virginia", "peeringServiceProvider": "A",
                "providerPrimaryPeeringLocation": "x"}})
        );
        assert_eq!(
            plan.children,
            vec![
                (
                    ChildKind::Prefix,
                    "p1".to_owned(),
                    json!({"properties": {"prefix": "45.60.8.0/24", "peeringServicePrefixKey": "k"}})
                ),
                (
                    ChildKind::MonitorTest,
                    "t1".to_owned(),
                    json!({"properties": {"sourceAgent": "a",
                    "destination": "1.1.1.1", "destinationPort": 443, "testFrequencyInSec": 30}})
                ),
                (
                    ChildKind::AlertRule,
                    "r1".to_owned(),
                    json!({"properties": {"kind": "PrefixFailed"}})
                ),
            ]
        );
    }

    #[test]
    fn resource_groups_are_read_from_ids() {
        assert_eq!(
            resource_group_of("/subscriptions/s/resourceGroups/Rg1/providers/X/y/z"),
            Some("Rg1")
        );
        assert_eq!(resource_group_of("/subscriptions/s/providers/X/y"), None);
    }

    #[test]
    fn operations_of_children() {
        for k in ChildKind::ALL {
            assert!(!Operation::of_child(k, false).is_delete());
            assert!(Operation::of_child(k, true).is_delete());
            assert!(Operation::of_child(k, true).as_str().contains(k.segment()));
        }
    }
}

//! Prefixes and connection monitor tests as ARM sends them.

use crate::store::{ChildMeta, ChildRecord, MonitorTestRecord, PrefixRecord};
use peering_model::wire::{
    ConnectionMonitorTest, ConnectionMonitorTestProperties, PeeringServicePrefix, PrefixProperties,
    ProvisioningState, SystemData, MONITOR_TEST_TYPE, PREFIX_TYPE,
};
use peering_model::{ApiVersion, ChildKind};
use serde::Serialize;

fn id(m: &ChildMeta, kind: ChildKind) -> String {
    m.parent().child(kind, &m.name).to_string()
}

fn system_data(m: &ChildMeta, v: ApiVersion) -> Option<SystemData> {
    super::system_data(
        v,
        &m.created_at,
        (&m.created_by, &m.created_by_type),
        &m.modified_at,
        (&m.modified_by, &m.modified_by_type),
    )
}

/// `expand`: with the events (`$expand=events`), an empty list when there are none.
pub(crate) fn prefix(p: &PrefixRecord, v: ApiVersion, expand: bool) -> PeeringServicePrefix {
    PeeringServicePrefix {
        id: Some(id(&p.meta, ChildKind::Prefix)),
        name: Some(p.meta.name.clone()),
        kind: Some(PREFIX_TYPE.to_owned()),
        properties: Some(PrefixProperties {
            prefix: Some(p.prefix.clone()),
            prefix_validation_state: Some(p.validation_state),
            learned_type: Some(p.learned_type),
            error_message: p.error_message.clone(),
            peering_service_prefix_key: p.key.clone(),
            events: expand.then(|| p.events.clone()),
            provisioning_state: Some(ProvisioningState::Succeeded),
        }),
        system_data: system_data(&p.meta, v),
    }
}

/// `isTestSuccessful` and `path` are the newest result a collector reported; both are left
/// out until there is one (no made-up `false` before a test has run).
pub(crate) fn monitor_test(t: &MonitorTestRecord, v: ApiVersion) -> ConnectionMonitorTest {
    ConnectionMonitorTest {
        id: Some(id(&t.meta, ChildKind::MonitorTest)),
        name: Some(t.meta.name.clone()),
        kind: Some(MONITOR_TEST_TYPE.to_owned()),
        properties: Some(ConnectionMonitorTestProperties {
            source_agent: Some(t.source_agent.clone()),
            destination: Some(t.destination.clone()),
            destination_port: Some(t.destination_port),
            test_frequency_in_sec: Some(t.frequency_sec),
            is_test_successful: t.last.as_ref().map(|l| l.success),
            path: t.last.as_ref().map(|l| l.hops.clone()),
            provisioning_state: Some(ProvisioningState::Succeeded),
        }),
        system_data: system_data(&t.meta, v),
    }
}

/// A child's representation, whichever kind it is.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum ChildJson {
    Prefix(PeeringServicePrefix),
    MonitorTest(ConnectionMonitorTest),
    AlertRule(peering_model::alerts::AlertRule),
}

/// An alert rule: its kind and the kind's own parameters.
pub(crate) fn alert_rule(
    r: &crate::store::AlertRuleRecord,
    v: ApiVersion,
) -> peering_model::alerts::AlertRule {
    let mut properties = r.condition.properties();
    properties.provisioning_state = Some(ProvisioningState::Succeeded);
    peering_model::alerts::AlertRule {
        id: Some(id(&r.meta, ChildKind::AlertRule)),
        name: Some(r.meta.name.clone()),
        kind: Some(peering_model::wire::ALERT_RULE_TYPE.to_owned()),
        properties: Some(properties),
        system_data: system_data(&r.meta, v),
    }
}

pub(crate) fn json(c: &ChildRecord, v: ApiVersion, expand: bool) -> ChildJson {
    match c {
        ChildRecord::Prefix(p) => ChildJson::Prefix(prefix(p, v, expand)),
        ChildRecord::MonitorTest(t) => ChildJson::MonitorTest(monitor_test(t, v)),
        ChildRecord::AlertRule(r) => ChildJson::AlertRule(alert_rule(r, v)),
    }
}

/// A child as the activity log keeps it: the newest api-version's representation, without
/// its events (telemetry, not a change anyone made).
pub(crate) fn snapshot(c: &ChildRecord) -> String {
    serde_json::to_string(&json(c, ApiVersion::NEWEST, false)).unwrap_or_default()
}

/// A hash of the fullest representation (newest api-version, expanded), the same whatever
/// api-version or `$expand` a request used.
pub(crate) fn etag(c: &ChildRecord) -> String {
    super::etag_of_value(&json(c, ApiVersion::NEWEST, true))
}

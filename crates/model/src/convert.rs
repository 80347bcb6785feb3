//! Wire ↔ draft: what a request body asks for, and the body that asks for a checked draft.
//! Both sides convert here, so the app sends exactly the fields the server reads.

use crate::connection::{ConnectionDraft, ValidConnection};
use crate::index::PrefixRow;
use crate::monitor_test::MonitorTestDraft;
use crate::wire::{
    ConnectionMonitorTest, ConnectionMonitorTestProperties, PeeringService, PeeringServicePrefix,
    PeeringServiceProperties, PrefixProperties, Sku,
};

/// What a PUT body asks for. The name is the body's (a request's path names the resource, so
/// the server sets it from there); the API has no country.
impl From<&PeeringService> for ConnectionDraft {
    fn from(body: &PeeringService) -> ConnectionDraft {
        let props = body.properties.clone().unwrap_or_default();
        ConnectionDraft {
            name: body.name.clone().unwrap_or_default(),
            country: None,
            location: props.peering_service_location.unwrap_or_default(),
            provider: props.peering_service_provider.unwrap_or_default(),
            primary: props.provider_primary_peering_location.unwrap_or_default(),
            backup: props.provider_backup_peering_location,
            azure_region: body.location.clone(),
            sku: body.sku.as_ref().and_then(|s| s.name.clone()),
            tags: body.tags.clone().unwrap_or_default(),
        }
    }
}

/// The PUT body of a checked connection: only what a client may write.
impl From<&ValidConnection> for PeeringService {
    fn from(v: &ValidConnection) -> PeeringService {
        PeeringService {
            location: Some(v.azure_region.clone()),
            tags: (!v.tags.is_empty()).then(|| v.tags.clone()),
            sku: v.sku.clone().map(|name| Sku { name: Some(name) }),
            properties: Some(PeeringServiceProperties {
                peering_service_location: Some(v.location.clone()),
                peering_service_provider: Some(v.provider.clone()),
                provider_primary_peering_location: Some(v.primary.clone()),
                provider_backup_peering_location: v.backup.clone(),
                provisioning_state: None,
                log_analytics_workspace_properties: None,
            }),
            ..PeeringService::default()
        }
    }
}

impl From<&ConnectionMonitorTest> for MonitorTestDraft {
    fn from(body: &ConnectionMonitorTest) -> MonitorTestDraft {
        let p = body.properties.clone().unwrap_or_default();
        MonitorTestDraft {
            source_agent: p.source_agent.unwrap_or_default(),
            destination: p.destination.unwrap_or_default(),
            destination_port: p.destination_port.map(i64::from),
            test_frequency_in_sec: p.test_frequency_in_sec.map(i64::from),
        }
    }
}

/// The PUT body of a monitor test. A number outside `i32` (which no valid draft holds) is
/// left out, so the server answers "required" rather than a wrapped value.
impl From<&MonitorTestDraft> for ConnectionMonitorTest {
    fn from(d: &MonitorTestDraft) -> ConnectionMonitorTest {
        ConnectionMonitorTest {
            properties: Some(ConnectionMonitorTestProperties {
                source_agent: Some(d.source_agent.clone()),
                destination: Some(d.destination.clone()),
                destination_port: d.destination_port.and_then(|v| i32::try_from(v).ok()),
                test_frequency_in_sec: d.test_frequency_in_sec.and_then(|v| i32::try_from(v).ok()),
                ..ConnectionMonitorTestProperties::default()
            }),
            ..ConnectionMonitorTest::default()
        }
    }
}

/// The PUT body of one imported prefix row.
impl From<&PrefixRow> for PeeringServicePrefix {
    fn from(r: &PrefixRow) -> PeeringServicePrefix {
        PeeringServicePrefix {
            properties: Some(PrefixProperties {
                prefix: Some(r.prefix.clone()),
                peering_service_prefix_key: r.key.clone().filter(|k| !k.is_empty()),
                ..PrefixProperties::default()
            }),
            ..PeeringServicePrefix::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::validate_connection;
    use crate::Catalog;

    /// A checked draft sent as a body reads back as the same draft (the round trip the app and
    /// the server make).
    #[test]
    fn a_valid_connection_survives_the_wire() {
        let d = ConnectionDraft {
            name: "c".into(),
            country: None,
            location: "Washington".into(),
            provider: "equinix MAPS".into(),
            primary: "seattle".into(),
            backup: Some("san Jose".into()),
            azure_region: Some("West US 2".into()),
            sku: Some("Standard_Free".into()),
            tags: [("a".to_owned(), "b".to_owned())].into(),
        };
        let (v, f) = validate_connection(Catalog::embedded(), &d);
        let v = v.unwrap_or_else(|| panic!("{f:?}"));
        let body = PeeringService::from(&v);
        let back = ConnectionDraft {
            name: "c".into(),
            ..ConnectionDraft::from(&body)
        };
        assert_eq!(back, d);

        let t = MonitorTestDraft {
            source_agent: "agent".into(),
            destination: "1.1.1.1".into(),
            destination_port: Some(443),
            test_frequency_in_sec: Some(30),
        };
        assert_eq!(MonitorTestDraft::from(&ConnectionMonitorTest::from(&t)), t);
        let huge = MonitorTestDraft {
            destination_port: Some(i64::MAX),
            ..t
        };
        assert_eq!(
            MonitorTestDraft::from(&ConnectionMonitorTest::from(&huge)).destination_port,
            None
        );
    }
}

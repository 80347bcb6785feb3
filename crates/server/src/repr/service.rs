//! A connection as ARM sends it. Serialised from borrowed strings when a connection is
//! written, into the representation stored with it ([`StoredRepr`]); every response that
//! carries a connection is that stored text, so a list item and a GET are the same bytes.

use crate::store::{ServiceRecord, StoredRepr};
use peering_model::wire::{CreatedByType, ProvisioningState, PEERING_SERVICE_TYPE};
use peering_model::{ApiVersion, ServiceId};
use serde::Serialize;
use serde_json::value::RawValue;

/// The version of [`StoredRepr`]'s format: change it whenever the representation of a
/// connection changes, and the server rewrites the stored ones when it opens the database.
pub(crate) const FORMAT: i64 = 2;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServiceJson<'a> {
    #[serde(serialize_with = "serde_display")]
    id: ServiceId,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    location: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sku: Option<&'a RawValue>,
    properties: ServicePropertiesJson<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_data: Option<SystemDataJson<'a>>,
}

fn serde_display<S: serde::Serializer>(v: &ServiceId, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServicePropertiesJson<'a> {
    peering_service_location: &'a str,
    peering_service_provider: &'a str,
    provider_primary_peering_location: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider_backup_peering_location: Option<&'a str>,
    provisioning_state: ProvisioningState,
    /// The agents that reported monitor test results, once one has.
    #[serde(skip_serializing_if = "Option::is_none")]
    log_analytics_workspace_properties: Option<LogAnalyticsJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogAnalyticsJson<'a> {
    connected_agents: &'a RawValue,
}

/// `systemData` (2025-05-01): who created and last changed a resource, and when.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SystemDataJson<'a> {
    created_by: &'a str,
    created_by_type: CreatedByType,
    created_at: &'a str,
    last_modified_by: &'a str,
    last_modified_by_type: CreatedByType,
    last_modified_at: &'a str,
}

/// Stored JSON text (tags, sku) as it is; text that does not parse is left out.
fn raw(json: Option<&str>) -> Option<&RawValue> {
    json.and_then(|t| serde_json::from_str::<&RawValue>(t).ok())
}

/// The connection's representation for api-version `v`.
pub(crate) fn json(r: &ServiceRecord, v: ApiVersion) -> ServiceJson<'_> {
    ServiceJson {
        id: ServiceId::new(&r.subscription, &r.resource_group, &r.name),
        name: &r.name,
        kind: PEERING_SERVICE_TYPE,
        location: &r.location,
        tags: raw(r.tags.as_deref()),
        sku: raw(r.sku.as_deref()),
        properties: ServicePropertiesJson {
            peering_service_location: &r.peering_service_location,
            peering_service_provider: &r.provider,
            provider_primary_peering_location: &r.primary,
            provider_backup_peering_location: r.backup.as_deref(),
            provisioning_state: ProvisioningState::Succeeded,
            log_analytics_workspace_properties: raw(r.connected_agents.as_deref())
                .map(|connected_agents| LogAnalyticsJson { connected_agents }),
        },
        system_data: v.has_system_data().then_some(SystemDataJson {
            created_by: &r.created_by,
            created_by_type: super::author_type(&r.created_by_type),
            created_at: &r.created_at,
            last_modified_by: &r.modified_by,
            last_modified_by_type: super::author_type(&r.modified_by_type),
            last_modified_at: &r.modified_at,
        }),
    }
}

/// The representation of every api-version, as it is stored with the connection.
pub(crate) fn stored(r: &ServiceRecord) -> Result<StoredRepr, String> {
    let full = json(r, ApiVersion::NEWEST);
    let system_data = serde_json::to_string(&full.system_data).map_err(|e| e.to_string())?;
    let full = serde_json::to_string(&full).map_err(|e| e.to_string())?;
    // `systemData` is the last member: the JSON of earlier api-versions is `full` without it.
    let body = full
        .strip_suffix('}')
        .and_then(|f| f.strip_suffix(system_data.as_str()))
        .and_then(|f| f.strip_suffix(",\"systemData\":"))
        .ok_or("systemData is not the last member of a connection")?;
    Ok(StoredRepr {
        system_data: full[body.len()..full.len() - 1].to_owned(),
        etag: super::etag_of(full.as_bytes()),
        body: body.to_owned(),
    })
}

/// A connection's JSON for api-version `v` from its stored parts.
pub(crate) fn write_json(out: &mut Vec<u8>, body: &[u8], system_data: &[u8], v: ApiVersion) {
    out.extend_from_slice(body);
    if v.has_system_data() {
        out.extend_from_slice(system_data);
    }
    out.push(b'}');
}

/// The stored representation for api-version `v`.
pub(crate) fn render(s: &StoredRepr, v: ApiVersion) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.body.len() + s.system_data.len() + 1);
    write_json(&mut out, s.body.as_bytes(), s.system_data.as_bytes(), v);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ETag: a hash of the fullest representation, the same for every api-version.
    fn etag(r: &ServiceRecord) -> String {
        super::super::etag_of_value(&json(r, ApiVersion::NEWEST))
    }

    fn row(tags: Option<&str>, sku: Option<&str>, backup: Option<&str>) -> ServiceRecord {
        ServiceRecord {
            subscription: "00000000-0000-0000-0000-0000000000aa".into(),
            resource_group: "Rg-(1) ü".into(),
            name: "Conn.a_b".into(),
            location: "West US 2".into(),
            tags: tags.map(Into::into),
            sku: sku.map(Into::into),
            peering_service_location: "Washington".into(),
            provider: "equinix MAPS".into(),
            primary: "seattle".into(),
            backup: backup.map(Into::into),
            created_at: "2025-01-02T03:04:05Z".into(),
            created_by: "token-\"quoted\"".into(),
            modified_at: "2025-01-02T03:04:06Z".into(),
            modified_by: "token-b".into(),
            created_by_type: "User".into(),
            modified_by_type: "Application".into(),
            connected_agents: None,
        }
    }

    /// The stored representation is byte for byte what serialising the connection gives, in
    /// every api-version, and its ETag is the connection's.
    #[test]
    fn stored_json_is_the_serialised_connection() {
        for r in [
            row(None, None, None),
            row(
                Some(r#"{"a b":"<&>\"\u00e9","x":"1"}"#),
                Some(r#"{"name":"Standard_Free"}"#),
                Some("san Jose"),
            ),
        ] {
            let s = stored(&r).unwrap();
            for v in ApiVersion::ALL {
                assert_eq!(
                    String::from_utf8(render(&s, *v)).unwrap(),
                    serde_json::to_string(&json(&r, *v)).unwrap()
                );
            }
            assert_eq!(s.etag, etag(&r));
            assert!(s.system_data.starts_with(",\"systemData\":{"));
            assert!(
                s.body.contains("/resourceGroups/Rg-(1)%20%C3%BC/"),
                "{}",
                s.body
            );
        }
    }
}

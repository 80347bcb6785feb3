//! ARM JSON shapes of `Microsoft.Peering` (api-version 2022-10-01, with the 2025-05-01
//! additions), shared by the server (which writes them) and the app (which reads them).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

wire_enum! {
    /// `provisioningState` of every resource (2025-05-01 adds `Canceled`).
    pub enum ProvisioningState {
        Succeeded = "Succeeded",
        Updating = "Updating",
        Deleting = "Deleting",
        Failed = "Failed",
        Canceled = "Canceled",
    }
}

wire_enum! {
    /// `prefixValidationState` of a prefix.
    pub enum PrefixValidationState {
        None = "None",
        Invalid = "Invalid",
        Verified = "Verified",
        Failed = "Failed",
        Pending = "Pending",
        Warning = "Warning",
        Unknown = "Unknown",
    }
}

wire_enum! {
    /// `learnedType`: how Microsoft learned a prefix.
    pub enum LearnedType {
        None = "None",
        ViaServiceProvider = "ViaServiceProvider",
        ViaSession = "ViaSession",
    }
}

wire_enum! {
    /// `eventLevel` of a prefix event.
    pub enum EventLevel {
        Information = "Information",
        Warning = "Warning",
        Error = "Error",
        Critical = "Critical",
    }
}

wire_enum! {
    /// `eventType` of a prefix event: the eight the telemetry documentation lists.
    pub enum PrefixEventType {
        PrefixAnnouncementEvent = "PrefixAnnouncementEvent",
        PrefixWithdrawalEvent = "PrefixWithdrawalEvent",
        PrefixBackupRouteAnnouncementEvent = "PrefixBackupRouteAnnouncementEvent",
        PrefixBackupRouteWithdrawalEvent = "PrefixBackupRouteWithdrawalEvent",
        PrefixActivePath = "PrefixActivePath",
        PrefixBackupPath = "PrefixBackupPath",
        PrefixOriginAsChangeEvent = "PrefixOriginAsChangeEvent",
        PrefixBackupRouteOriginAsChangeEvent = "PrefixBackupRouteOriginAsChangeEvent",
    }
}

impl PrefixEventType {
    /// The level the documentation gives each type.
    pub fn level(self) -> EventLevel {
        use PrefixEventType::*;
        match self {
            PrefixAnnouncementEvent
            | PrefixBackupRouteAnnouncementEvent
            | PrefixActivePath
            | PrefixBackupPath => EventLevel::Information,
            PrefixWithdrawalEvent | PrefixBackupRouteWithdrawalEvent => EventLevel::Warning,
            PrefixBackupRouteOriginAsChangeEvent => EventLevel::Error,
            PrefixOriginAsChangeEvent => EventLevel::Critical,
        }
    }

    /// The documented description of the type.
    pub fn description(self) -> &'static str {
        use PrefixEventType::*;
        match self {
            PrefixAnnouncementEvent => "Prefix announcement was received.",
            PrefixWithdrawalEvent => "Prefix withdrawal was received.",
            PrefixBackupRouteAnnouncementEvent => "Prefix backup route announcement was received.",
            PrefixBackupRouteWithdrawalEvent => "Prefix backup route withdrawal was received.",
            PrefixActivePath => "Current prefix active route.",
            PrefixBackupPath => "Current prefix backup route.",
            PrefixOriginAsChangeEvent => {
                "Exact prefix received with different origin ASN (active route)."
            }
            PrefixBackupRouteOriginAsChangeEvent => {
                "Prefix received with different origin ASN (backup route)."
            }
        }
    }
}

wire_enum! {
    /// `systemData.createdByType`.
    pub enum CreatedByType {
        User = "User",
        Application = "Application",
        ManagedIdentity = "ManagedIdentity",
        Key = "Key",
    }
}

pub const PEERING_SERVICE_TYPE: &str = "Microsoft.Peering/peeringServices";
pub const PREFIX_TYPE: &str = "Microsoft.Peering/peeringServices/prefixes";
pub const MONITOR_TEST_TYPE: &str = "Microsoft.Peering/peeringServices/connectionMonitorTests";
pub const ALERT_RULE_TYPE: &str = "Microsoft.Peering/peeringServices/alertRules";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeeringService {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<Sku>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<PeeringServiceProperties>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_data: Option<SystemData>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sku {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeeringServiceProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peering_service_location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peering_service_provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_primary_peering_location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_backup_peering_location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// Read-only: the monitor agents that have reported (the server's connected agents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_analytics_workspace_properties: Option<LogAnalyticsWorkspaceProperties>,
}

/// `logAnalyticsWorkspaceProperties` of a connection (read-only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogAnalyticsWorkspaceProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connected_agents: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_type: Option<CreatedByType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_by_type: Option<CreatedByType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_at: Option<String>,
}

/// One connection's prefixes by validation state (the `peeringServicePrefixSummaries`
/// extension): `id` is the connection's resource id; states without prefixes are left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrefixSummary {
    pub id: String,
    pub prefix_count: u32,
    pub validation_states: BTreeMap<PrefixValidationState, u32>,
    /// The prefixes themselves, by name (what an export of the list needs).
    #[serde(default)]
    pub prefixes: Vec<SummaryPrefix>,
    /// The median round trip of all its prefixes' samples over the last day (ms); absent
    /// without samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_p50_ms: Option<f64>,
    /// The newest event of any of its prefixes, and that prefix's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_event: Option<PrefixEvent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_event_prefix: Option<String>,
}

/// One prefix of a [`PrefixSummary`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryPrefix {
    pub name: String,
    pub prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peering_service_prefix_key: Option<String>,
    pub prefix_validation_state: PrefixValidationState,
}

/// `{ value, nextLink }`; `nextLink` is absent on the last page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResult<T> {
    pub value: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// The ARM error body. `target` names the field; `details` (2025-05-01) lists every finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
}

/// An ARM proxy resource (a child of a connection): id, name, type, its properties and, with
/// 2025-05-01, `systemData`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyResource<P> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default = "Option::default", skip_serializing_if = "Option::is_none")]
    pub properties: Option<P>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_data: Option<SystemData>,
}

/// `PeeringServicePrefix` (child of a connection).
pub type PeeringServicePrefix = ProxyResource<PrefixProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrefixProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_validation_state: Option<PrefixValidationState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned_type: Option<LearnedType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peering_service_prefix_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<PrefixEvent>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
}

/// A BGP route event of a prefix (`$expand=events`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrefixEvent {
    pub event_timestamp: String,
    pub event_type: PrefixEventType,
    #[serde(default)]
    pub event_summary: String,
    pub event_level: EventLevel,
    #[serde(default)]
    pub event_description: String,
}

/// `ConnectionMonitorTest` (child of a connection).
pub type ConnectionMonitorTest = ProxyResource<ConnectionMonitorTestProperties>;

/// What a connection monitor test checks; `isTestSuccessful` and `path` are its last result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionMonitorTestProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_frequency_in_sec: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_test_successful: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
}

//! The one table of the server's routes. The dispatcher answers 405 (with `Allow`) from it,
//! and `/openapi.json` is generated from it, so the two cannot drift apart; a test sends every
//! method to every path of the generated document and checks it against the router.

use peering_model::resource_id::PathError;
use peering_model::ArmPath;

mod kinds;
mod ops;
pub use kinds::{kind_of, RouteKind};
use ops::*;

/// Parses an API path (see [`ArmPath::parse`]).
pub fn parse_route(path: &str) -> Result<ArmPath, PathError> {
    ArmPath::parse(path)
}

/// One operation of a path.
#[derive(Debug)]
pub struct Op {
    pub method: &'static str,
    pub operation_id: &'static str,
    pub summary: &'static str,
    /// Query parameters besides `api-version`.
    pub query: &'static [QueryParam],
    /// The schema of the request body, if the operation takes one.
    pub request: Option<&'static str>,
    /// Success statuses and the schema of each body (`None`: no body).
    pub responses: &'static [(u16, Option<&'static str>)],
    /// Which roles may call it.
    pub access: Access,
}

/// Who may call an operation: readers read; contributors read and write; collectors only
/// ingest telemetry, and only they do (an operator's token cannot pose as a collector).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Ingest,
}

#[derive(Debug, Clone, Copy)]
pub struct QueryParam {
    pub name: &'static str,
    pub description: &'static str,
    pub kind: &'static str,
}

#[derive(Debug)]
pub struct RouteSpec {
    pub kind: RouteKind,
    /// The path template; `{...}` are parameters.
    pub path: &'static str,
    /// Whether requests need a token and an api-version (everything but `/openapi.json`).
    pub arm: bool,
    pub ops: &'static [Op],
}

impl RouteSpec {
    pub fn op(&self, method: &str) -> Option<&'static Op> {
        self.ops
            .iter()
            .find(|o| o.method.eq_ignore_ascii_case(method))
    }

    /// The methods for an `Allow` header.
    pub fn allow(&self) -> String {
        self.ops
            .iter()
            .map(|o| o.method)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

macro_rules! sub_path {
    ($tail:literal) => {
        concat!(
            "/subscriptions/{subscriptionId}/providers/Microsoft.Peering/",
            $tail
        )
    };
}
macro_rules! ps_path {
    ($tail:literal) => {
        concat!(
            "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Peering/peeringServices",
            $tail
        )
    };
}

/// Indexed by `RouteKind::index`.
pub static ROUTES: [RouteSpec; 28] = [
    RouteSpec {
        kind: RouteKind::OpenApi,
        path: "/openapi.json",
        arm: false,
        ops: &[get("OpenApi_Get", "This document: every route of the server.", &[], &[(200, Some("OpenApiDocument"))])],
    },
    RouteSpec {
        kind: RouteKind::Operations,
        path: "/providers/Microsoft.Peering/operations",
        arm: true,
        ops: &[get("Operations_List", "The operations of the Microsoft.Peering provider.", PAGED, &[(200, Some("OperationListResult"))])],
    },
    RouteSpec {
        kind: RouteKind::ServicesBySubscription,
        path: sub_path!("peeringServices"),
        arm: true,
        ops: &[get("PeeringServices_ListBySubscription", "Connections of a subscription, by resource group and name.", PAGED, &[(200, Some("PeeringServiceListResult"))])],
    },
    RouteSpec {
        kind: RouteKind::Countries,
        path: sub_path!("peeringServiceCountries"),
        arm: true,
        ops: &[get("PeeringServiceCountries_List", "Countries with Peering Service locations.", PAGED, &[(200, Some("PeeringServiceCountryListResult"))])],
    },
    RouteSpec {
        kind: RouteKind::Locations,
        path: sub_path!("peeringServiceLocations"),
        arm: true,
        ops: &[get("PeeringServiceLocations_List", "Customer locations (states/provinces).", COUNTRY, &[(200, Some("PeeringServiceLocationListResult"))])],
    },
    RouteSpec {
        kind: RouteKind::Providers,
        path: sub_path!("peeringServiceProviders"),
        arm: true,
        ops: &[get("PeeringServiceProviders_List", "Peering Service providers and their peering locations.", PAGED, &[(200, Some("PeeringServiceProviderListResult"))])],
    },
    RouteSpec {
        kind: RouteKind::CheckAvailability,
        path: sub_path!("checkServiceProviderAvailability"),
        arm: true,
        ops: &[Op {
            method: "POST",
            operation_id: "CheckServiceProviderAvailability",
            summary: "Whether a provider has a peering location within 1000 miles of a customer location.",
            query: &[],
            request: Some("CheckServiceProviderAvailabilityInput"),
            responses: &[(200, Some("ServiceProviderAvailability"))],
            access: Access::Write,
        }],
    },
    RouteSpec {
        kind: RouteKind::InitializeConnectionMonitor,
        path: sub_path!("initializeConnectionMonitor"),
        arm: true,
        ops: &[Op {
            method: "POST",
            operation_id: "PeeringServices_InitializeConnectionMonitor",
            summary: "Initialise the subscription for connection monitor tests: recorded once (who and when); a repeat changes nothing.",
            query: &[],
            request: None,
            responses: &[(200, None)],
            access: Access::Write,
        }],
    },
    RouteSpec {
        kind: RouteKind::ServicesInGroup,
        path: ps_path!(""),
        arm: true,
        ops: &[get("PeeringServices_ListByResourceGroup", "Connections of a resource group, by name.", PAGED, &[(200, Some("PeeringServiceListResult"))])],
    },
    RouteSpec {
        kind: RouteKind::Service,
        path: ps_path!("/{peeringServiceName}"),
        arm: true,
        ops: &[
            get("PeeringServices_Get", "A connection.", &[], &[(200, Some("PeeringService"))]),
            put(
                "PeeringServices_CreateOrUpdate",
                "Create (201) or replace (200) a connection. A replacement keeps the Azure region (400 InvalidResourceLocation) and the primary and backup peering locations (409 PeeringLocationImmutable); leaving location out keeps the stored one.",
                "PeeringService",
                &[(200, Some("PeeringService")), (201, Some("PeeringService"))],
            ),
            Op {
                method: "PATCH",
                operation_id: "PeeringServices_Update",
                summary: "Replace a connection's tags; a body without tags (or with \"tags\": null) changes nothing.",
                query: &[],
                request: Some("ResourceTags"),
                responses: &[(200, Some("PeeringService"))],
                access: Access::Write,
            },
            delete("PeeringServices_Delete", "Delete a connection with its prefixes and tests (200), or 204 when absent."),
        ],
    },
    RouteSpec {
        kind: RouteKind::Prefixes,
        path: ps_path!("/{peeringServiceName}/prefixes"),
        arm: true,
        ops: &[get("Prefixes_ListByPeeringService", "Prefixes of a connection, by name.", PAGED_EXPAND, &[(200, Some("PeeringServicePrefixListResult"))])],
    },
    RouteSpec {
        kind: RouteKind::Prefix,
        path: ps_path!("/{peeringServiceName}/prefixes/{prefixName}"),
        arm: true,
        ops: &[
            get("Prefixes_Get", "A prefix.", EXPAND, &[(200, Some("PeeringServicePrefix"))]),
            put(
                "Prefixes_CreateOrUpdate",
                "Create (201) or update (200) a prefix; its value cannot change and must not overlap another prefix of the subscription.",
                "PeeringServicePrefix",
                &[(200, Some("PeeringServicePrefix")), (201, Some("PeeringServicePrefix"))],
            ),
            delete("Prefixes_Delete", "Delete a prefix (200), or 204 when absent."),
        ],
    },
    RouteSpec {
        kind: RouteKind::MonitorTests,
        path: ps_path!("/{peeringServiceName}/connectionMonitorTests"),
        arm: true,
        ops: &[get("ConnectionMonitorTests_ListByPeeringService", "Connection monitor tests of a connection, by name.", PAGED, &[(200, Some("ConnectionMonitorTestListResult"))])],
    },
    RouteSpec {
        kind: RouteKind::MonitorTest,
        path: ps_path!("/{peeringServiceName}/connectionMonitorTests/{connectionMonitorTestName}"),
        arm: true,
        ops: &[
            get("ConnectionMonitorTests_Get", "A connection monitor test.", &[], &[(200, Some("ConnectionMonitorTest"))]),
            put(
                "ConnectionMonitorTests_CreateOrUpdate",
                "Create (201) or replace (200) a connection monitor test.",
                "ConnectionMonitorTest",
                &[(200, Some("ConnectionMonitorTest")), (201, Some("ConnectionMonitorTest"))],
            ),
            delete("ConnectionMonitorTests_Delete", "Delete a connection monitor test (200), or 204 when absent."),
        ],
    },
    RouteSpec {
        kind: RouteKind::PrefixSummaries,
        path: sub_path!("peeringServicePrefixSummaries"),
        arm: true,
        ops: &[get(
            "PeeringServicePrefixSummaries_List",
            "Extension (not in ARM): for each connection of the subscription that has prefixes, how many it has in each validation state; by resource group and name, paged. A list shows a roll-up from it without a request per connection.",
            PAGED,
            &[(200, Some("PrefixSummaryListResult"))],
        )],
    },
    RouteSpec {
        kind: RouteKind::IngestRoutes,
        path: sub_path!("ingestRouteObservations"),
        arm: true,
        ops: &[ingest(
            "Telemetry_IngestRouteObservations",
            "Extension (not in ARM), role collector only: what the provider's BGP sessions say about prefixes (announced or withdrawn, with AS path and communities). Each item is checked; if any is wrong nothing is stored and every bad item is a detail (target value[i].field). Prefix validation states are re-evaluated and prefix events recorded in the same transaction. An observation older than what its session last said about the prefix is counted as stale and skipped.",
            "RouteObservationBatch",
        )],
    },
    RouteSpec {
        kind: RouteKind::IngestPrefixKeys,
        path: sub_path!("ingestProviderPrefixKeys"),
        arm: true,
        ops: &[ingest(
            "Telemetry_IngestProviderPrefixKeys",
            "Extension (not in ARM), role collector only: the prefix key a provider registered for a customer prefix (an empty key withdraws it). Checked and stored as a whole, like route observations; the prefixes concerned are re-evaluated.",
            "ProviderPrefixKeyBatch",
        )],
    },
    RouteSpec {
        kind: RouteKind::IngestMonitorResults,
        path: sub_path!("ingestMonitorTestResults"),
        arm: true,
        ops: &[ingest(
            "Telemetry_IngestMonitorTestResults",
            "Extension (not in ARM), role collector only: results of connection monitor tests; each names a stored test, or nothing is stored. The newest result sets the test's isTestSuccessful and path.",
            "MonitorTestResultBatch",
        )],
    },
    RouteSpec {
        kind: RouteKind::IngestLatency,
        path: sub_path!("ingestLatencySamples"),
        arm: true,
        ops: &[ingest(
            "Telemetry_IngestLatencySamples",
            "Extension (not in ARM), role collector only: round trips from clients in a prefix to the Microsoft edge. A prefix longer than /24 is kept under its /24. Samples are folded into quantile sketches per prefix per minute, 5 minutes and hour; samples older than the hourly retention are counted as stale and not stored.",
            "LatencySampleBatch",
        )],
    },
    RouteSpec {
        kind: RouteKind::PrefixLatency,
        path: sub_path!("peeringServicePrefixLatency"),
        arm: true,
        ops: &[get(
            "PeeringServicePrefixLatency_Get",
            "Extension (not in ARM): a prefix's latency over a window (6h, 12h, 1d, 7d or 30d; default 1d): buckets of count, min, p50, p95 and max ms, oldest first; a bucket without samples is left out. A prefix longer than /24 reads its /24; a shorter one merges the prefixes inside it.",
            LATENCY,
            &[(200, Some("LatencySeries"))],
        )],
    },
    RouteSpec {
        kind: RouteKind::MonitorTestResults,
        path: sub_path!("connectionMonitorTestResults"),
        arm: true,
        ops: &[get(
            "ConnectionMonitorTestResults_List",
            "Extension (not in ARM): a connection monitor test's newest results (at most $top, default 100, up to 1000), newest first: when, success, hops and round trip. 404 when there is no such test.",
            MONITOR_RESULTS,
            &[(200, Some("MonitorTestRunList"))],
        )],
    },
    RouteSpec {
        kind: RouteKind::AlertRules,
        path: ps_path!("/{peeringServiceName}/alertRules"),
        arm: true,
        ops: &[get("AlertRules_ListByPeeringService", "Extension (not in ARM): the connection's alert rules, by name.", PAGED, &[(200, Some("AlertRuleListResult"))])],
    },
    RouteSpec {
        kind: RouteKind::AlertRule,
        path: ps_path!("/{peeringServiceName}/alertRules/{alertRuleName}"),
        arm: true,
        ops: &[
            get("AlertRules_Get", "Extension (not in ARM): an alert rule of a connection.", &[], &[(200, Some("AlertRule"))]),
            put(
                "AlertRules_CreateOrUpdate",
                "Extension (not in ARM): create (201) or replace (200) an alert rule: LatencyP95 {thresholdMs, forMinutes}, EventLevel {level}, PrefixFailed, or MonitorFailures {consecutive}. Checked as the console checks it (peering_model::alerts). The connection's rules are evaluated whenever its telemetry changes (and when a rule is written): an active rule opens an alert, which resolves when the rule is no longer active; both are delivered to the --alert-webhook URLs.",
                "AlertRule",
                &[(200, Some("AlertRule")), (201, Some("AlertRule"))],
            ),
            delete("AlertRules_Delete", "Extension (not in ARM): delete an alert rule (200) with its alerts, or 204 when absent."),
        ],
    },
    RouteSpec {
        kind: RouteKind::Alerts,
        path: sub_path!("peeringServiceAlerts"),
        arm: true,
        ops: &[get(
            "PeeringServiceAlerts_List",
            "Extension (not in ARM): the alerts the subscription's alert rules opened, newest first (at most $top, default 100, up to 1000), open ones without resolvedAt; resourceGroup and peeringService narrow it to one connection.",
            ALERTS,
            &[(200, Some("AlertList"))],
        )],
    },
    RouteSpec {
        kind: RouteKind::AlertDeliveries,
        path: sub_path!("alertWebhookDeliveries"),
        arm: true,
        ops: &[get(
            "AlertWebhookDeliveries_List",
            "Extension (not in ARM): the webhook deliveries of the subscription's alerts, newest first (at most $top, default 100), each with every attempt (when, the HTTP status or the error), and whether it was delivered, is to be tried again (when) or was given up.",
            PAGED_TOP,
            &[(200, Some("WebhookDeliveryList"))],
        )],
    },
    RouteSpec {
        kind: RouteKind::ActivityLog,
        path: sub_path!("activityLog"),
        arm: true,
        ops: &[get(
            "ActivityLog_List",
            "Extension (not in ARM): the subscription's recorded writes, refused ones included, newest first, paged by nextLink: who (caller, callerType), when, the operation, the resource, the outcome (status, subStatus, httpStatus), the request's ids and address, and for an update what changed property by property. Every filter may be combined with the others; from defaults to the start of retention, to to now. Readers and contributors of the subscription may read it.",
            ACTIVITY,
            &[(200, Some("ActivityPage"))],
        )],
    },
    RouteSpec {
        kind: RouteKind::ActivityRecord,
        path: sub_path!("activityLog/{eventDataId}"),
        arm: true,
        ops: &[get(
            "ActivityLog_Get",
            "Extension (not in ARM): one recorded write with the resource's representation before and after (beforeSnapshot, afterSnapshot; a deleted connection's holds its prefixes, monitor tests and alert rules under children) and what changed property by property.",
            &[],
            &[(200, Some("ActivityRecord"))],
        )],
    },
    RouteSpec {
        kind: RouteKind::ActivityEvents,
        path: "/subscriptions/{subscriptionId}/providers/Microsoft.Insights/eventtypes/management/values",
        arm: true,
        ops: &[get(
            "ActivityLogs_List",
            "Azure's Activity Log (api-version 2015-04-01) of this server's writes: $filter is eventTimestamp ge '…' [and eventTimestamp le '…'] with at most one of resourceGroupName, resourceUri, resourceProvider, correlationId or caller eq '…'; $select names EventData properties; newest first, paged by nextLink.",
            INSIGHTS,
            &[(200, Some("EventDataCollection"))],
        )],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_kind() {
        for kind in RouteKind::ALL {
            assert_eq!(kind.spec().kind, kind);
        }
        for (i, r) in ROUTES.iter().enumerate() {
            assert_eq!(r.kind.index(), i);
            assert!(!r.ops.is_empty(), "{}", r.path);
            for op in r.ops {
                assert!(
                    !op.responses.is_empty(),
                    "{} {}",
                    op.method,
                    op.operation_id
                );
            }
        }
    }
}

//! What each path is: the kinds of route, in one exhaustive list.

use super::{RouteSpec, ROUTES};
use peering_model::resource_id::SubscriptionOp;
use peering_model::{ArmPath, ChildKind};

/// The kind of route a parsed path is.
pub fn kind_of(p: &ArmPath) -> RouteKind {
    match p {
        ArmPath::Operations => RouteKind::Operations,
        ArmPath::Subscription { op, .. } => match op {
            SubscriptionOp::PeeringServices => RouteKind::ServicesBySubscription,
            SubscriptionOp::Countries => RouteKind::Countries,
            SubscriptionOp::Locations => RouteKind::Locations,
            SubscriptionOp::Providers => RouteKind::Providers,
            SubscriptionOp::CheckAvailability => RouteKind::CheckAvailability,
            SubscriptionOp::InitializeConnectionMonitor => RouteKind::InitializeConnectionMonitor,
            SubscriptionOp::PrefixSummaries => RouteKind::PrefixSummaries,
            SubscriptionOp::IngestRoutes => RouteKind::IngestRoutes,
            SubscriptionOp::IngestPrefixKeys => RouteKind::IngestPrefixKeys,
            SubscriptionOp::IngestMonitorResults => RouteKind::IngestMonitorResults,
            SubscriptionOp::IngestLatency => RouteKind::IngestLatency,
            SubscriptionOp::PrefixLatency => RouteKind::PrefixLatency,
            SubscriptionOp::MonitorTestResults => RouteKind::MonitorTestResults,
            SubscriptionOp::Alerts => RouteKind::Alerts,
            SubscriptionOp::AlertDeliveries => RouteKind::AlertDeliveries,
            SubscriptionOp::ActivityLog => RouteKind::ActivityLog,
        },
        ArmPath::ActivityRecord { .. } => RouteKind::ActivityRecord,
        ArmPath::ActivityEvents { .. } => RouteKind::ActivityEvents,
        ArmPath::ServicesInGroup { .. } => RouteKind::ServicesInGroup,
        ArmPath::Service(_) => RouteKind::Service,
        ArmPath::Children(_, ChildKind::Prefix) => RouteKind::Prefixes,
        ArmPath::Child(_, ChildKind::Prefix, _) => RouteKind::Prefix,
        ArmPath::Children(_, ChildKind::MonitorTest) => RouteKind::MonitorTests,
        ArmPath::Child(_, ChildKind::MonitorTest, _) => RouteKind::MonitorTest,
        ArmPath::Children(_, ChildKind::AlertRule) => RouteKind::AlertRules,
        ArmPath::Child(_, ChildKind::AlertRule, _) => RouteKind::AlertRule,
    }
}

/// What a path names, without its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteKind {
    OpenApi,
    Operations,
    ServicesBySubscription,
    Countries,
    Locations,
    Providers,
    CheckAvailability,
    InitializeConnectionMonitor,
    ServicesInGroup,
    Service,
    Prefixes,
    Prefix,
    MonitorTests,
    MonitorTest,
    PrefixSummaries,
    IngestRoutes,
    IngestPrefixKeys,
    IngestMonitorResults,
    IngestLatency,
    PrefixLatency,
    MonitorTestResults,
    AlertRules,
    AlertRule,
    Alerts,
    AlertDeliveries,
    ActivityLog,
    ActivityRecord,
    ActivityEvents,
}

impl RouteKind {
    /// Every kind. `index` below is an exhaustive match, so a new kind cannot be added
    /// without deciding its place here.
    pub const ALL: [RouteKind; 28] = [
        RouteKind::OpenApi,
        RouteKind::Operations,
        RouteKind::ServicesBySubscription,
        RouteKind::Countries,
        RouteKind::Locations,
        RouteKind::Providers,
        RouteKind::CheckAvailability,
        RouteKind::InitializeConnectionMonitor,
        RouteKind::ServicesInGroup,
        RouteKind::Service,
        RouteKind::Prefixes,
        RouteKind::Prefix,
        RouteKind::MonitorTests,
        RouteKind::MonitorTest,
        RouteKind::PrefixSummaries,
        RouteKind::IngestRoutes,
        RouteKind::IngestPrefixKeys,
        RouteKind::IngestMonitorResults,
        RouteKind::IngestLatency,
        RouteKind::PrefixLatency,
        RouteKind::MonitorTestResults,
        RouteKind::AlertRules,
        RouteKind::AlertRule,
        RouteKind::Alerts,
        RouteKind::AlertDeliveries,
        RouteKind::ActivityLog,
        RouteKind::ActivityRecord,
        RouteKind::ActivityEvents,
    ];

    pub const fn index(self) -> usize {
        match self {
            RouteKind::OpenApi => 0,
            RouteKind::Operations => 1,
            RouteKind::ServicesBySubscription => 2,
            RouteKind::Countries => 3,
            RouteKind::Locations => 4,
            RouteKind::Providers => 5,
            RouteKind::CheckAvailability => 6,
            RouteKind::InitializeConnectionMonitor => 7,
            RouteKind::ServicesInGroup => 8,
            RouteKind::Service => 9,
            RouteKind::Prefixes => 10,
            RouteKind::Prefix => 11,
            RouteKind::MonitorTests => 12,
            RouteKind::MonitorTest => 13,
            RouteKind::PrefixSummaries => 14,
            RouteKind::IngestRoutes => 15,
            RouteKind::IngestPrefixKeys => 16,
            RouteKind::IngestMonitorResults => 17,
            RouteKind::IngestLatency => 18,
            RouteKind::PrefixLatency => 19,
            RouteKind::MonitorTestResults => 20,
            RouteKind::AlertRules => 21,
            RouteKind::AlertRule => 22,
            RouteKind::Alerts => 23,
            RouteKind::AlertDeliveries => 24,
            RouteKind::ActivityLog => 25,
            RouteKind::ActivityRecord => 26,
            RouteKind::ActivityEvents => 27,
        }
    }

    pub fn spec(self) -> &'static RouteSpec {
        &ROUTES[self.index()]
    }
}

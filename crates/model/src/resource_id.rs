//! ARM resource ids and API paths of `Microsoft.Peering`, built and parsed here only.
//!
//! A path is split at `/` first and each segment percent-decoded after, so an encoded `/`
//! stays inside its name; the provider namespace, `subscriptions`, `resourceGroups` and the
//! resource types are matched case-insensitively; names keep the casing given. Building encodes
//! every byte of a name but RFC 3986's unreserved characters and `( )` (which resource group
//! names may hold), so `parse(build(x)) == x` for every name (a property test checks it).
//! Subscription ids are GUIDs, compared case-insensitively, and are held in lower case.

use std::fmt;

pub use crate::percent::{decode, encode_segment, Encoded};

// tidy: long file: every API path is built and parsed here, one grammar in one place, so
// the server and the console cannot disagree on one.
pub const NAMESPACE: &str = "Microsoft.Peering";
/// The namespace of Azure's Activity Log API, which this server also answers for its own writes.
pub const INSIGHTS: &str = "Microsoft.Insights";

/// The kinds of resource under a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChildKind {
    Prefix,
    MonitorTest,
    /// An extension: the connection's alert rules (`alerts`).
    AlertRule,
}

impl ChildKind {
    pub const ALL: [ChildKind; 3] = [
        ChildKind::Prefix,
        ChildKind::MonitorTest,
        ChildKind::AlertRule,
    ];

    /// The path segment under a connection, as ARM spells it.
    pub const fn segment(self) -> &'static str {
        match self {
            ChildKind::Prefix => "prefixes",
            ChildKind::MonitorTest => "connectionMonitorTests",
            ChildKind::AlertRule => "alertRules",
        }
    }

    /// The kind of name it has (for the wording of name findings).
    pub fn name_kind(self) -> crate::names::NameKind {
        match self {
            ChildKind::Prefix => crate::names::NameKind::Prefix,
            ChildKind::MonitorTest => crate::names::NameKind::MonitorTest,
            ChildKind::AlertRule => crate::names::NameKind::AlertRule,
        }
    }

    fn from_segment(s: &str) -> Option<ChildKind> {
        ChildKind::ALL
            .into_iter()
            .find(|k| k.segment().eq_ignore_ascii_case(s))
    }
}

/// The operations directly under `/subscriptions/{id}/providers/Microsoft.Peering/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionOp {
    PeeringServices,
    Countries,
    Locations,
    Providers,
    CheckAvailability,
    InitializeConnectionMonitor,
    /// An extension (not in ARM): per connection of the subscription, how many prefixes it has
    /// in each validation state, so a list shows a roll-up without a request per connection.
    PrefixSummaries,
    /// Extensions for collectors (role `collector`): route observations, providers' prefix
    /// key registrations, and monitor test results (`peering_model::telemetry`).
    IngestRoutes,
    IngestPrefixKeys,
    IngestMonitorResults,
    IngestLatency,
    /// An extension: a prefix's latency series over a window (`telemetry::LatencySeries`).
    PrefixLatency,
    /// An extension: a connection monitor test's newest results (`telemetry::MonitorTestRun`).
    MonitorTestResults,
    /// An extension: alerts opened and resolved by connections' alert rules (`alerts::Alert`).
    Alerts,
    /// An extension: the alert webhook deliveries, with every attempt.
    AlertDeliveries,
    /// An extension: the subscription's recorded writes, every filter combinable
    /// (`activity::ActivityRecord`); one record is `activityLog/{eventDataId}`.
    ActivityLog,
}

impl SubscriptionOp {
    pub const ALL: [SubscriptionOp; 16] = [
        SubscriptionOp::PeeringServices,
        SubscriptionOp::Countries,
        SubscriptionOp::Locations,
        SubscriptionOp::Providers,
        SubscriptionOp::CheckAvailability,
        SubscriptionOp::InitializeConnectionMonitor,
        SubscriptionOp::PrefixSummaries,
        SubscriptionOp::IngestRoutes,
        SubscriptionOp::IngestPrefixKeys,
        SubscriptionOp::IngestMonitorResults,
        SubscriptionOp::IngestLatency,
        SubscriptionOp::PrefixLatency,
        SubscriptionOp::MonitorTestResults,
        SubscriptionOp::Alerts,
        SubscriptionOp::AlertDeliveries,
        SubscriptionOp::ActivityLog,
    ];

    pub const fn segment(self) -> &'static str {
        match self {
            SubscriptionOp::PeeringServices => "peeringServices",
            SubscriptionOp::Countries => "peeringServiceCountries",
            SubscriptionOp::Locations => "peeringServiceLocations",
            SubscriptionOp::Providers => "peeringServiceProviders",
            SubscriptionOp::CheckAvailability => "checkServiceProviderAvailability",
            SubscriptionOp::InitializeConnectionMonitor => "initializeConnectionMonitor",
            SubscriptionOp::PrefixSummaries => "peeringServicePrefixSummaries",
            SubscriptionOp::IngestRoutes => "ingestRouteObservations",
            SubscriptionOp::IngestPrefixKeys => "ingestProviderPrefixKeys",
            SubscriptionOp::IngestMonitorResults => "ingestMonitorTestResults",
            SubscriptionOp::IngestLatency => "ingestLatencySamples",
            SubscriptionOp::PrefixLatency => "peeringServicePrefixLatency",
            SubscriptionOp::MonitorTestResults => "connectionMonitorTestResults",
            SubscriptionOp::Alerts => "peeringServiceAlerts",
            SubscriptionOp::AlertDeliveries => "alertWebhookDeliveries",
            SubscriptionOp::ActivityLog => "activityLog",
        }
    }

    fn from_segment(s: &str) -> Option<SubscriptionOp> {
        SubscriptionOp::ALL
            .into_iter()
            .find(|k| k.segment().eq_ignore_ascii_case(s))
    }
}

/// A connection: `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Peering/peeringServices/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceId {
    /// Lower case.
    pub subscription: String,
    pub resource_group: String,
    pub name: String,
}

impl ServiceId {
    pub fn new(subscription: &str, resource_group: &str, name: &str) -> ServiceId {
        ServiceId {
            subscription: subscription.to_ascii_lowercase(),
            resource_group: resource_group.to_owned(),
            name: name.to_owned(),
        }
    }

    /// The resource group as names are unique under it (case-insensitive; ARM's resource
    /// group names may hold Unicode letters).
    pub fn rg_key(&self) -> String {
        self.resource_group.to_lowercase()
    }

    /// The connection's name as names are unique (ASCII only, case-insensitive).
    pub fn name_key(&self) -> String {
        self.name.to_ascii_lowercase()
    }

    /// A child of this connection.
    pub fn child(&self, kind: ChildKind, name: &str) -> ResourceId {
        ResourceId {
            service: self.clone(),
            child: Some((kind, name.to_owned())),
        }
    }

    /// The path of this connection's children of one kind (their list).
    pub fn children_path(&self, kind: ChildKind) -> String {
        format!("{self}/{}", kind.segment())
    }
}

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "/subscriptions/{}/resourceGroups/{}/providers/{NAMESPACE}/peeringServices/{}",
            Encoded(&self.subscription),
            Encoded(&self.resource_group),
            Encoded(&self.name)
        )
    }
}

/// A connection or a resource under one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceId {
    pub service: ServiceId,
    pub child: Option<(ChildKind, String)>,
}

impl ResourceId {
    /// Parses a resource id (as the `id` field of a resource holds it).
    pub fn parse(id: &str) -> Result<ResourceId, PathError> {
        match ArmPath::parse(id)? {
            ArmPath::Service(service) => Ok(ResourceId {
                service,
                child: None,
            }),
            ArmPath::Child(service, kind, name) => Ok(ResourceId {
                service,
                child: Some((kind, name)),
            }),
            _ => Err(PathError::NotAResource),
        }
    }
}

impl From<ServiceId> for ResourceId {
    fn from(service: ServiceId) -> ResourceId {
        ResourceId {
            service,
            child: None,
        }
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.service)?;
        if let Some((kind, name)) = &self.child {
            write!(f, "/{}/{}", kind.segment(), Encoded(name))?;
        }
        Ok(())
    }
}

/// Everything an API path of `Microsoft.Peering` can name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArmPath {
    /// `/providers/Microsoft.Peering/operations`
    Operations,
    /// `/subscriptions/{sub}/providers/Microsoft.Peering/{op}`
    Subscription {
        subscription: String,
        op: SubscriptionOp,
    },
    /// `.../resourceGroups/{rg}/providers/Microsoft.Peering/peeringServices`
    ServicesInGroup {
        subscription: String,
        resource_group: String,
    },
    Service(ServiceId),
    /// The list of a connection's children of one kind.
    Children(ServiceId, ChildKind),
    Child(ServiceId, ChildKind, String),
    /// One recorded write: `/subscriptions/{sub}/providers/Microsoft.Peering/activityLog/{id}`.
    ActivityRecord {
        subscription: String,
        event_id: String,
    },
    /// Azure's Activity Log of the subscription:
    /// `/subscriptions/{sub}/providers/Microsoft.Insights/eventtypes/management/values`.
    ActivityEvents {
        subscription: String,
    },
}

/// Why a path is not an API path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// A segment is not UTF-8 once percent-decoded.
    NotUtf8 { segment: String },
    /// A segment holds a control character (NUL, a line break …) once percent-decoded.
    ControlCharacter { segment: String },
    /// The path names no resource or operation of `Microsoft.Peering`.
    Unknown,
    /// A valid API path, but of a list or an operation where a resource id was expected.
    NotAResource,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::NotUtf8 { segment } => write!(
                f,
                "The path segment '{segment}' is not valid UTF-8 after percent-decoding."
            ),
            PathError::ControlCharacter { segment } => write!(
                f,
                "The path segment '{segment}' holds a control character after percent-decoding; names never do."
            ),
            PathError::Unknown => write!(
                f,
                "The path does not name a {NAMESPACE} resource or operation."
            ),
            PathError::NotAResource => {
                write!(f, "The path names a list or an operation, not a resource.")
            }
        }
    }
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl ArmPath {
    /// Whether a request path is for the API (as opposed to the app's files): it starts with
    /// `/subscriptions` or `/providers`.
    pub fn is_api_path(path: &str) -> bool {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        eq(first, "subscriptions") || eq(first, "providers")
    }

    /// Parses a path (one trailing `/` allowed).
    pub fn parse(raw: &str) -> Result<ArmPath, PathError> {
        let mut segs = raw
            .trim_start_matches('/')
            .split('/')
            .map(|s| match crate::percent::decode_cow(s) {
                None => Err(PathError::NotUtf8 { segment: s.into() }),
                Some(d) if d.contains(char::is_control) => {
                    Err(PathError::ControlCharacter { segment: s.into() })
                }
                Some(d) => Ok(d),
            })
            .collect::<Result<Vec<std::borrow::Cow<'_, str>>, PathError>>()?;
        if segs.len() > 1 && segs.last().is_some_and(|s| s.is_empty()) {
            segs.pop();
        }
        let s: Vec<&str> = segs.iter().map(|s| s.as_ref()).collect();
        match s.as_slice() {
            [p, ns, ops] if eq(p, "providers") && eq(ns, NAMESPACE) && eq(ops, "operations") => {
                Ok(ArmPath::Operations)
            }
            [subs, sub, p, ns, log, id]
                if eq(subs, "subscriptions")
                    && eq(p, "providers")
                    && eq(ns, NAMESPACE)
                    && eq(log, SubscriptionOp::ActivityLog.segment()) =>
            {
                Ok(ArmPath::ActivityRecord {
                    subscription: sub.to_ascii_lowercase(),
                    event_id: id.to_string(),
                })
            }
            [subs, sub, p, ns, types, mgmt, values]
                if eq(subs, "subscriptions")
                    && eq(p, "providers")
                    && eq(ns, INSIGHTS)
                    && eq(types, "eventtypes")
                    && eq(mgmt, "management")
                    && eq(values, "values") =>
            {
                Ok(ArmPath::ActivityEvents {
                    subscription: sub.to_ascii_lowercase(),
                })
            }
            [subs, sub, p, ns, op]
                if eq(subs, "subscriptions") && eq(p, "providers") && eq(ns, NAMESPACE) =>
            {
                Ok(ArmPath::Subscription {
                    subscription: sub.to_ascii_lowercase(),
                    op: SubscriptionOp::from_segment(op).ok_or(PathError::Unknown)?,
                })
            }
            [subs, sub, rgs, rg, p, ns, ty, rest @ ..]
                if eq(subs, "subscriptions")
                    && eq(rgs, "resourceGroups")
                    && eq(p, "providers")
                    && eq(ns, NAMESPACE)
                    && eq(ty, "peeringServices") =>
            {
                let (subscription, resource_group) = (sub.to_ascii_lowercase(), rg.to_string());
                let [name, tail @ ..] = rest else {
                    return Ok(ArmPath::ServicesInGroup {
                        subscription,
                        resource_group,
                    });
                };
                let service = ServiceId {
                    subscription,
                    resource_group,
                    name: name.to_string(),
                };
                match tail {
                    [] => Ok(ArmPath::Service(service)),
                    [t] => Ok(ArmPath::Children(
                        service,
                        ChildKind::from_segment(t).ok_or(PathError::Unknown)?,
                    )),
                    [t, n] => Ok(ArmPath::Child(
                        service,
                        ChildKind::from_segment(t).ok_or(PathError::Unknown)?,
                        n.to_string(),
                    )),
                    _ => Err(PathError::Unknown),
                }
            }
            _ => Err(PathError::Unknown),
        }
    }

    /// The subscription the path is under, if any.
    pub fn subscription(&self) -> Option<&str> {
        match self {
            ArmPath::Operations => None,
            ArmPath::Subscription { subscription, .. }
            | ArmPath::ServicesInGroup { subscription, .. }
            | ArmPath::ActivityRecord { subscription, .. }
            | ArmPath::ActivityEvents { subscription } => Some(subscription),
            ArmPath::Service(s) | ArmPath::Children(s, _) | ArmPath::Child(s, _, _) => {
                Some(&s.subscription)
            }
        }
    }
}

impl fmt::Display for ArmPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArmPath::Operations => write!(f, "/providers/{NAMESPACE}/operations"),
            ArmPath::Subscription { subscription, op } => write!(
                f,
                "/subscriptions/{}/providers/{NAMESPACE}/{}",
                Encoded(subscription),
                op.segment()
            ),
            ArmPath::ServicesInGroup {
                subscription,
                resource_group,
            } => write!(
                f,
                "/subscriptions/{}/resourceGroups/{}/providers/{NAMESPACE}/peeringServices",
                Encoded(subscription),
                Encoded(resource_group)
            ),
            ArmPath::Service(s) => write!(f, "{s}"),
            ArmPath::Children(s, kind) => write!(f, "{s}/{}", kind.segment()),
            ArmPath::Child(s, kind, name) => write!(f, "{s}/{}/{}", kind.segment(), Encoded(name)),
            ArmPath::ActivityRecord {
                subscription,
                event_id,
            } => write!(
                f,
                "/subscriptions/{}/providers/{NAMESPACE}/{}/{}",
                Encoded(subscription),
                SubscriptionOp::ActivityLog.segment(),
                Encoded(event_id)
            ),
            ArmPath::ActivityEvents { subscription } => write!(
                f,
                "/subscriptions/{}/providers/{INSIGHTS}/eventtypes/management/values",
                Encoded(subscription)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "00000000-0000-0000-0000-0000000000aa";

    #[test]
    fn ids_are_built_encoded_and_parsed_back() {
        let s = ServiceId::new(&SUB.to_uppercase(), "Rg (1) ü", "a/b c");
        assert_eq!(s.subscription, SUB);
        let id = s.child(ChildKind::Prefix, "p%1");
        let text = id.to_string();
        assert_eq!(
            text,
            format!("/subscriptions/{SUB}/resourceGroups/Rg%20(1)%20%C3%BC/providers/Microsoft.Peering/peeringServices/a%2Fb%20c/prefixes/p%251")
        );
        assert_eq!(ResourceId::parse(&text), Ok(id));
        assert_eq!(ResourceId::parse(&s.to_string()), Ok(s.clone().into()));
    }

    #[test]
    fn paths_are_case_insensitive_and_decoded_after_split() {
        let r = ArmPath::parse(
            "/SUBSCRIPTIONS/S/resourcegroups/rg/providers/microsoft.peering/PEERINGSERVICES/a%2Fb/CONNECTIONMONITORTESTS/",
        )
        .unwrap();
        assert_eq!(
            r,
            ArmPath::Children(ServiceId::new("s", "rg", "a/b"), ChildKind::MonitorTest)
        );
        assert_eq!(
            ArmPath::parse("/subscriptions/s/providers/Microsoft.Other/peeringServices"),
            Err(PathError::Unknown)
        );
        assert_eq!(
            ArmPath::parse("/providers/Microsoft.Peering/operations/"),
            Ok(ArmPath::Operations)
        );
        assert_eq!(
            ArmPath::parse("/subscriptions/s/providers/Microsoft.Peering/peeringservicecountries"),
            Ok(ArmPath::Subscription {
                subscription: "s".into(),
                op: SubscriptionOp::Countries
            })
        );
        assert_eq!(
            ArmPath::parse(
                "/subscriptions/s/resourceGroups/%FF/providers/Microsoft.Peering/peeringServices"
            ),
            Err(PathError::NotUtf8 {
                segment: "%FF".into()
            })
        );
        assert_eq!(
            ArmPath::parse(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Peering/peeringServices/a%00"
            ),
            Err(PathError::ControlCharacter {
                segment: "a%00".into()
            })
        );
        assert_eq!(
            ResourceId::parse("/providers/Microsoft.Peering/operations"),
            Err(PathError::NotAResource)
        );
        assert_eq!(decode("100%"), Some("100%".into()));
        assert_eq!(decode("%zz%41"), Some("%zzA".into()));
        assert!(ArmPath::is_api_path("/Subscriptions/x") && !ArmPath::is_api_path("/c/rg/name"));
    }

    #[test]
    fn every_path_displays_as_it_parses() {
        let s = ServiceId::new(SUB, "rg", "n");
        let mut paths = vec![
            ArmPath::Operations,
            ArmPath::ServicesInGroup {
                subscription: SUB.into(),
                resource_group: "r g".into(),
            },
            ArmPath::Service(s.clone()),
        ];
        paths.extend(SubscriptionOp::ALL.map(|op| ArmPath::Subscription {
            subscription: SUB.into(),
            op,
        }));
        paths.extend(ChildKind::ALL.map(|k| ArmPath::Children(s.clone(), k)));
        paths.extend(ChildKind::ALL.map(|k| ArmPath::Child(s.clone(), k, "x y".into())));
        for p in paths {
            assert_eq!(ArmPath::parse(&p.to_string()), Ok(p.clone()), "{p}");
        }
    }
}

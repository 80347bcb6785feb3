//! The telemetry extensions the console reads: a prefix's latency series, a monitor test's
//! results.

use super::{send, url, ApiError, Precondition};
use crate::state::Session;
use gloo_net::http::Method;
use peering_model::resource_id::SubscriptionOp;
use peering_model::telemetry::{fields, LatencySeries, MonitorTestRun, Window};
use peering_model::wire::ListResult;
use peering_model::{ArmPath, ServiceId};

/// The latency of `prefix` over `window` (`peeringServicePrefixLatency`).
pub async fn prefix_latency(
    s: &Session,
    prefix: &str,
    window: Window,
) -> Result<LatencySeries, ApiError> {
    let path = ArmPath::Subscription {
        subscription: s.subscription.clone(),
        op: SubscriptionOp::PrefixLatency,
    };
    let u = url(
        &s.config,
        &path.to_string(),
        &[(fields::PREFIX, prefix), (fields::WINDOW, window.as_str())],
    );
    Ok(send::<()>(s, Method::GET, &u, Precondition::None, None)
        .await?
        .json::<LatencySeries>()
        .await?
        .value)
}

/// The newest `top` results of a connection monitor test, newest first
/// (`connectionMonitorTestResults`).
pub async fn monitor_test_results(
    s: &Session,
    service: &ServiceId,
    test: &str,
    top: u32,
) -> Result<Vec<MonitorTestRun>, ApiError> {
    let path = ArmPath::Subscription {
        subscription: s.subscription.clone(),
        op: SubscriptionOp::MonitorTestResults,
    };
    let top = top.to_string();
    let u = url(
        &s.config,
        &path.to_string(),
        &[
            (fields::RESOURCE_GROUP, &service.resource_group),
            (fields::PEERING_SERVICE, &service.name),
            (fields::TEST, test),
            (peering_model::targets::TOP, &top),
        ],
    );
    Ok(send::<()>(s, Method::GET, &u, Precondition::None, None)
        .await?
        .json::<ListResult<MonitorTestRun>>()
        .await?
        .value
        .value)
}

/// The newest alerts of the subscription, or of one connection (`peeringServiceAlerts`);
/// only the open ones when `open_only` (however old: a list of the newest would lose a
/// long-open alert behind newer resolved ones).
pub async fn alerts(
    s: &Session,
    connection: Option<&ServiceId>,
    open_only: bool,
) -> Result<Vec<peering_model::alerts::Alert>, ApiError> {
    let path = ArmPath::Subscription {
        subscription: s.subscription.clone(),
        op: SubscriptionOp::Alerts,
    };
    let mut query: Vec<(&str, &str)> = match connection {
        Some(c) => vec![
            (fields::RESOURCE_GROUP, c.resource_group.as_str()),
            (fields::PEERING_SERVICE, c.name.as_str()),
        ],
        None => Vec::new(),
    };
    if open_only {
        query.push((fields::STATE, "open"));
    }
    let u = url(&s.config, &path.to_string(), &query);
    Ok(send::<()>(s, Method::GET, &u, Precondition::None, None)
        .await?
        .json::<ListResult<peering_model::alerts::Alert>>()
        .await?
        .value
        .value)
}

/// The subscription's newest webhook deliveries, each with its attempts
/// (`alertWebhookDeliveries`).
pub async fn webhook_deliveries(
    s: &Session,
) -> Result<Vec<peering_model::alerts::WebhookDelivery>, ApiError> {
    let path = ArmPath::Subscription {
        subscription: s.subscription.clone(),
        op: SubscriptionOp::AlertDeliveries,
    };
    let u = url(&s.config, &path.to_string(), &[]);
    Ok(send::<()>(s, Method::GET, &u, Precondition::None, None)
        .await?
        .json::<ListResult<peering_model::alerts::WebhookDelivery>>()
        .await?
        .value
        .value)
}

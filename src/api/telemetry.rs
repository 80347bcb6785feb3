//! The telemetry extensions the console reads: a prefix's latency series.

use super::{send, url, ApiError, Precondition};
use crate::state::Session;
use gloo_net::http::Method;
use peering_model::resource_id::SubscriptionOp;
use peering_model::telemetry::{fields, LatencySeries, Window};
use peering_model::ArmPath;

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

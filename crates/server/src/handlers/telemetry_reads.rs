//! What the console reads of telemetry (the extensions beside ARM): a prefix's latency series,
//! a monitor test's results, alerts and their webhook deliveries; and
//! `initializeConnectionMonitor`.

use crate::error::{ApiError, ApiResult};
use crate::http::request::Ctx;
use crate::latency;
use axum::response::{IntoResponse, Response};
use axum::Json;
use peering_model::prefix::Ipv4Prefix;
use peering_model::telemetry::{fields, latency_prefix, LatencySeries, Window};

/// `peeringServicePrefixLatency?prefix=…&window=…`: the prefix's series over the window.
pub(crate) async fn prefix_latency(ctx: Ctx, subscription: String) -> ApiResult<Response> {
    let prefix = ctx
        .query
        .get(fields::PREFIX)
        .map(String::as_str)
        .unwrap_or("");
    let prefix = Ipv4Prefix::parse(prefix.trim()).map_err(|f| {
        ApiError::bad_request("InvalidParameter", f.message).with_target(fields::PREFIX)
    })?;
    let window = match ctx.query.get(fields::WINDOW).map(|w| w.trim()) {
        None | Some("") => Window::Day1,
        Some(w) => w.parse::<Window>().map_err(|e| {
            ApiError::bad_request("InvalidParameter", format!("window: {e}"))
                .with_target(fields::WINDOW)
        })?,
    };
    let kept = latency_prefix(prefix);
    let tier = latency::tier_of(window);
    let from = ctx.now - window.seconds() - window.bucket_seconds();
    let rows = ctx.store.latency(subscription, kept, tier, from).await?;
    let (from, to, buckets) = latency::series(&rows, window, ctx.now);
    Ok(Json(LatencySeries {
        prefix: kept.to_string(),
        window,
        bucket_seconds: window.bucket_seconds(),
        from,
        to,
        buckets,
    })
    .into_response())
}

/// `connectionMonitorTestResults?resourceGroup=&peeringService=&test=`: the test's newest
/// results, newest first.
pub(crate) async fn monitor_test_results(ctx: Ctx, subscription: String) -> ApiResult<Response> {
    let param = |name: &'static str| -> ApiResult<String> {
        match ctx.query.get(&name.to_ascii_lowercase()).map(|v| v.trim()) {
            Some(v) if !v.is_empty() => Ok(v.to_owned()),
            _ => Err(ApiError::bad_request(
                "InvalidParameter",
                format!("The query parameter {name} is required."),
            )
            .with_target(name)),
        }
    };
    let (rg, service, test) = (
        param(fields::RESOURCE_GROUP)?,
        param(fields::PEERING_SERVICE)?,
        param(fields::TEST)?,
    );
    let limit = match ctx.query.get(peering_model::targets::TOP) {
        None => 100,
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request("InvalidParameter", "$top is a whole number from 1 to 1000.")
                    .with_target(peering_model::targets::TOP)
            })?,
    };
    let parent = peering_model::ServiceId::new(&subscription, &rg, &service);
    match ctx.store.monitor_results(parent, test.clone(), limit).await? {
        Some(value) => Ok(Json(serde_json::json!({ "value": value })).into_response()),
        None => Err(ApiError::not_found(
            "ResourceNotFound",
            format!("There is no connection monitor test '{test}' under connection '{service}' in resource group '{rg}'."),
        )),
    }
}

/// `initializeConnectionMonitor`: records the subscription as initialized (once; a repeat
/// changes nothing) and answers 200 without a body, as ARM does.
pub(crate) async fn initialize_connection_monitor(
    ctx: Ctx,
    subscription: String,
) -> ApiResult<Response> {
    let activity = ctx.write_record()?;
    ctx.store
        .initialize_connection_monitor(subscription, activity)
        .await?;
    Ok(axum::http::StatusCode::OK.into_response())
}

/// `peeringServiceAlerts[?resourceGroup=&peeringService=][&state=open]`: alerts newest first.
pub(crate) async fn alerts(ctx: Ctx, subscription: String) -> ApiResult<Response> {
    let get = |name: &str| {
        ctx.query
            .get(&name.to_ascii_lowercase())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let connection = match (get(fields::RESOURCE_GROUP), get(fields::PEERING_SERVICE)) {
        (Some(rg), Some(name)) => Some(peering_model::ServiceId::new(&subscription, &rg, &name)),
        (None, None) => None,
        _ => {
            return Err(ApiError::bad_request(
                "InvalidParameter",
                "resourceGroup and peeringService go together: both name one connection.",
            )
            .with_target(fields::PEERING_SERVICE))
        }
    };
    let open_only = match get(fields::STATE).as_deref() {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("open") => true,
        Some(_) => {
            return Err(ApiError::bad_request(
                "InvalidParameter",
                "state is 'open' (only the open alerts) or absent (every alert).",
            )
            .with_target(fields::STATE))
        }
    };
    let limit = top(&ctx)?;
    let value = ctx
        .store
        .alerts(subscription, connection.clone(), open_only, limit)
        .await?;
    match (value, connection) {
        (Some(value), _) => Ok(Json(serde_json::json!({ "value": value })).into_response()),
        // Only a named connection can be missing.
        (None, c) => Err(ApiError::not_found(
            "ResourceNotFound",
            match c {
                Some(c) => format!(
                    "There is no connection '{}' in resource group '{}'.",
                    c.name, c.resource_group
                ),
                None => "There is no such connection.".to_owned(),
            },
        )
        .with_target(fields::PEERING_SERVICE)),
    }
}

/// `$top`: 1 to 1000, default 100.
fn top(ctx: &Ctx) -> ApiResult<usize> {
    match ctx.query.get(peering_model::targets::TOP) {
        None => Ok(100),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request("InvalidParameter", "$top is a whole number from 1 to 1000.")
                    .with_target(peering_model::targets::TOP)
            }),
    }
}

/// `alertWebhookDeliveries`: the deliveries newest first, with their attempts.
pub(crate) async fn deliveries(ctx: Ctx, subscription: String) -> ApiResult<Response> {
    let limit = top(&ctx)?;
    let value = ctx.store.deliveries(subscription, limit).await?;
    Ok(Json(serde_json::json!({ "value": value })).into_response())
}

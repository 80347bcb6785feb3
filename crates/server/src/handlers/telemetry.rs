//! The ingestion endpoints (role `collector`): a batch `{"value": [...]}` of route
//! observations, provider prefix keys or monitor test results.
//!
//! Every item is checked first (its shape here, its meaning by `peering_model::telemetry`);
//! when any is wrong, nothing is stored and the 400 lists each bad item's field as
//! `value[i].field`. Then the store writes the whole batch, and what it drives (validation
//! states, events), in one transaction.

use crate::error::{ApiError, ApiResult};
use crate::http::request::{json_body, Ctx};
use crate::latency;
use crate::store::{IngestReport, MonitorRun, Observed, RegisteredKey};
use axum::response::{IntoResponse, Response};
use axum::Json;
use peering_model::prefix::Ipv4Prefix;
use peering_model::telemetry::{
    fields, item_target, latency_prefix, ItemError, LatencySample, LatencySeries, MonitorResult,
    ProviderPrefix, RouteObservation, Window, MAX_BATCH,
};
use peering_model::Catalog;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    value: Vec<serde_json::Value>,
}

/// How far ahead of the server's clock a timestamp may be (clocks differ a little).
const MAX_AHEAD: time::Duration = time::Duration::minutes(5);

/// A timestamp as stored: UTC with milliseconds, so text order is time order.
pub(crate) fn canonical_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

fn timestamp(s: &str, now: i64) -> Result<String, ItemError> {
    instant(s, now).map(canonical_time)
}

/// An RFC 3339 timestamp, not ahead of the server's clock (`now`, Unix seconds: the
/// injectable one) by more than [`MAX_AHEAD`].
fn instant(s: &str, now: i64) -> Result<OffsetDateTime, ItemError> {
    let t = OffsetDateTime::parse(s.trim(), &Rfc3339).map_err(|_| ItemError {
        field: fields::TIMESTAMP,
        message: format!(
            "'{}' is not an RFC 3339 date-time (as in 2026-12-01T10:00:00Z).",
            s.chars().take(40).collect::<String>()
        ),
    })?;
    if t.unix_timestamp() - now > MAX_AHEAD.whole_seconds() {
        return Err(ItemError {
            field: fields::TIMESTAMP,
            message: format!(
                "{} is in the future; check the collector's clock.",
                s.trim()
            ),
        });
    }
    Ok(t)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Typed<T> {
    value: Vec<T>,
}

/// Parses and checks every item with `check`; all of them, or every error.
fn items<T: DeserializeOwned, U>(
    ctx: &Ctx,
    check: impl Fn(T) -> Result<U, Vec<ItemError>>,
) -> ApiResult<Vec<U>> {
    // The common case first, straight into the items' types (a collector sends large
    // batches); only a body that does not parse so is read again item by item, to name
    // each bad one.
    let json = ctx
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if json {
        if let Ok(batch) = serde_json::from_slice::<Typed<T>>(&ctx.body) {
            if batch.value.len() <= MAX_BATCH {
                let mut out = Vec::with_capacity(batch.value.len());
                let mut errors = Vec::new();
                for (i, item) in batch.value.into_iter().enumerate() {
                    match check(item) {
                        Ok(u) => out.push(u),
                        Err(es) => errors.extend(es.into_iter().map(|e| {
                            (
                                item_target(i, Some(e.field)),
                                format!("Item {i}: {}", e.message),
                            )
                        })),
                    }
                }
                return if errors.is_empty() {
                    Ok(out)
                } else {
                    Err(ApiError::items("InvalidTelemetryItem", errors))
                };
            }
        }
    }
    let batch: Batch = json_body(&ctx.headers, &ctx.body, &[""])?;
    if batch.value.len() > MAX_BATCH {
        return Err(ApiError::bad_request(
            "BatchTooLarge",
            format!(
                "A batch holds at most {MAX_BATCH} items, not {}; send it in parts.",
                batch.value.len()
            ),
        )
        .with_target(fields::VALUE));
    }
    let mut out = Vec::with_capacity(batch.value.len());
    let mut errors = Vec::new();
    for (i, v) in batch.value.into_iter().enumerate() {
        match serde_path_to_error::deserialize::<_, T>(v) {
            Err(e) => {
                let path = e.path().to_string();
                let field = (path != "." && path != "?").then_some(path);
                let target = match &field {
                    Some(f) => format!("{}.{f}", item_target(i, None)),
                    None => item_target(i, None),
                };
                errors.push((target, format!("Item {i} is invalid: {}.", e.into_inner())));
            }
            Ok(item) => match check(item) {
                Ok(u) => out.push(u),
                Err(es) => errors.extend(es.into_iter().map(|e| {
                    (
                        item_target(i, Some(e.field)),
                        format!("Item {i}: {}", e.message),
                    )
                })),
            },
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::items("InvalidTelemetryItem", errors))
    }
}

fn with_time<U>(
    u: Result<U, Vec<ItemError>>,
    at: &str,
    now: i64,
) -> Result<(U, String), Vec<ItemError>> {
    match (u, timestamp(at, now)) {
        (Ok(u), Ok(t)) => Ok((u, t)),
        (Err(mut es), Err(e)) => {
            es.push(e);
            Err(es)
        }
        (Err(es), _) => Err(es),
        (_, Err(e)) => Err(vec![e]),
    }
}

pub(crate) async fn routes(ctx: Ctx, subscription: String) -> ApiResult<Response> {
    let catalog = Catalog::embedded();
    let items = items(&ctx, |o: RouteObservation| {
        with_time(o.check(catalog), &o.timestamp, ctx.now).map(|(route, at)| Observed { route, at })
    })?;
    let report = ctx
        .store
        .ingest_routes(subscription, items, ctx.retention.events_per_prefix)
        .await?;
    Ok(Json(report).into_response())
}

pub(crate) async fn prefix_keys(ctx: Ctx, subscription: String) -> ApiResult<Response> {
    let catalog = Catalog::embedded();
    let at = canonical_time(OffsetDateTime::now_utc());
    let items = items(&ctx, |k: ProviderPrefix| {
        k.check(catalog)
            .map(|(provider, prefix, key)| RegisteredKey {
                provider,
                prefix,
                key,
                at: at.clone(),
            })
    })?;
    let report = ctx.store.ingest_keys(subscription, items).await?;
    Ok(Json(report).into_response())
}

pub(crate) async fn monitor_results(ctx: Ctx, subscription: String) -> ApiResult<Response> {
    let items = items(&ctx, |r: MonitorResult| {
        with_time(r.check(), &r.timestamp, ctx.now).map(|((), at)| MonitorRun {
            resource_group: r.resource_group.trim().to_owned(),
            peering_service: r.peering_service.trim().to_owned(),
            test: r.test.trim().to_owned(),
            at,
            success: r.success,
            hops: r.hops.iter().map(|h| h.trim().to_owned()).collect(),
            rtt_ms: r.rtt_ms,
        })
    })?;
    let report = ctx
        .store
        .ingest_results(subscription, items, ctx.retention.results_per_test)
        .await?;
    Ok(Json(report).into_response())
}

pub(crate) async fn latency_samples(ctx: Ctx, subscription: String) -> ApiResult<Response> {
    let points = items(&ctx, |s: LatencySample| {
        match (s.check(), instant(&s.timestamp, ctx.now)) {
            (Ok(prefix), Ok(at)) => Ok(latency::Point {
                prefix,
                at: at.unix_timestamp(),
                rtt_ms: s.rtt_ms,
            }),
            (Err(mut es), Err(e)) => {
                es.push(e);
                Err(es)
            }
            (Err(es), _) => Err(es),
            (_, Err(e)) => Err(vec![e]),
        }
    })?;
    // Samples older than the coarsest tier keeps are not stored: they would be removed at once.
    let keep_from: Vec<(i64, i64)> = latency::TIERS
        .iter()
        .map(|&t| (t, ctx.now - ctx.retention.of_tier(t)))
        .collect();
    let oldest_kept = ctx.now - ctx.retention.of_tier(latency::TIERS[2]);
    let (kept, old): (Vec<latency::Point>, Vec<latency::Point>) =
        points.into_iter().partition(|p| p.at >= oldest_kept);
    let report = IngestReport {
        accepted: kept.len(),
        stale: old.len(),
        reevaluated: 0,
        events: 0,
    };
    let folded = latency::fold(&kept)
        .into_iter()
        .filter(|((_, tier, start), _)| *start + tier > ctx.now - ctx.retention.of_tier(*tier))
        .map(|((prefix, tier, start), s)| (prefix, tier, start, s))
        .collect();
    ctx.store
        .ingest_latency(subscription, folded, keep_from)
        .await?;
    Ok(Json(report).into_response())
}

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
    caller: crate::auth::Caller,
    subscription: String,
) -> ApiResult<Response> {
    let author = crate::store::Author {
        id: caller.id,
        at: crate::handlers::services::now_rfc3339(),
    };
    ctx.store
        .initialize_connection_monitor(subscription, author)
        .await?;
    Ok(axum::http::StatusCode::OK.into_response())
}

/// `peeringServiceAlerts[?resourceGroup=&peeringService=]`: alerts newest first.
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
    let limit = top(&ctx)?;
    let value = ctx.store.alerts(subscription, connection, limit).await?;
    Ok(Json(serde_json::json!({ "value": value })).into_response())
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

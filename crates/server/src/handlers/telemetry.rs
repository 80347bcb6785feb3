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
use peering_model::telemetry::{
    fields, item_target, ItemError, LatencySample, MonitorResult, ProviderPrefix, RouteObservation,
    MAX_BATCH,
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
    // The server's clock (injectable), as every other time it stamps.
    let at = canonical_time(
        OffsetDateTime::from_unix_timestamp(ctx.now).unwrap_or(OffsetDateTime::UNIX_EPOCH),
    );
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

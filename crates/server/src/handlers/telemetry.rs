//! The ingestion endpoints (role `collector`): a batch `{"value": [...]}` of route
//! observations, provider prefix keys or monitor test results.
//!
//! Every item is checked first (its shape here, its meaning by `peering_model::telemetry`);
//! when any is wrong, nothing is stored and the 400 lists each bad item's field as
//! `value[i].field`. Then the store writes the whole batch, and what it drives (validation
//! states, events), in one transaction.

use crate::error::{ApiError, ApiResult};
use crate::http::request::{json_body, Ctx};
use crate::store::{MonitorRun, Observed, RegisteredKey};
use axum::response::{IntoResponse, Response};
use axum::Json;
use peering_model::telemetry::{
    fields, item_target, ItemError, MonitorResult, ProviderPrefix, RouteObservation, MAX_BATCH,
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

fn timestamp(s: &str) -> Result<String, ItemError> {
    let t = OffsetDateTime::parse(s.trim(), &Rfc3339).map_err(|_| ItemError {
        field: fields::TIMESTAMP,
        message: format!(
            "'{}' is not an RFC 3339 date-time (as in 2026-12-01T10:00:00Z).",
            s.chars().take(40).collect::<String>()
        ),
    })?;
    if t - OffsetDateTime::now_utc() > MAX_AHEAD {
        return Err(ItemError {
            field: fields::TIMESTAMP,
            message: format!("{s} is in the future; check the collector's clock."),
        });
    }
    Ok(canonical_time(t))
}

/// Parses and checks every item with `check`; all of them, or every error.
fn items<T: DeserializeOwned, U>(
    ctx: &Ctx,
    check: impl Fn(T) -> Result<U, Vec<ItemError>>,
) -> ApiResult<Vec<U>> {
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

fn with_time<U>(u: Result<U, Vec<ItemError>>, at: &str) -> Result<(U, String), Vec<ItemError>> {
    match (u, timestamp(at)) {
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
        with_time(o.check(catalog), &o.timestamp).map(|(route, at)| Observed { route, at })
    })?;
    let report = ctx.store.ingest_routes(subscription, items).await?;
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
        with_time(r.check(), &r.timestamp).map(|((), at)| MonitorRun {
            resource_group: r.resource_group.trim().to_owned(),
            peering_service: r.peering_service.trim().to_owned(),
            test: r.test.trim().to_owned(),
            at,
            success: r.success,
            hops: r.hops.iter().map(|h| h.trim().to_owned()).collect(),
            rtt_ms: r.rtt_ms,
        })
    })?;
    let report = ctx.store.ingest_results(subscription, items).await?;
    Ok(Json(report).into_response())
}

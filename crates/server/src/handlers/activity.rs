//! The activity log read back as the console reads it: every filter combinable, what changed
//! property by property, and one record with its snapshots. Azure's own shape of it is
//! [`super::insights`].

use crate::error::{ApiError, ApiResult};
use crate::http::paging::{Page, PageRequest};
use crate::http::request::Ctx;
use crate::http::response::json_response;
use crate::store::{rfc3339_ms, ActivityQuery, ActivityRow};
use axum::http::StatusCode;
use axum::response::Response;
use peering_model::activity::{
    property_changes, query as q, ActivityPage, ActivityRecord, ChangeType, Operation, Outcome,
};
use peering_model::targets;
use serde_json::Value;

pub(super) fn parse_time(v: &str, target: &str) -> ApiResult<i64> {
    time::OffsetDateTime::parse(v.trim(), &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| {
            ApiError::bad_request(
                "InvalidParameter",
                format!("'{v}' is not a time in RFC 3339 form (2026-12-08T09:30:00Z)."),
            )
            .with_target(target.to_owned())
        })
}

/// The oldest moment still kept: records older than `--keep-activity` are never served, even
/// before expiry has removed them.
fn kept_from(ctx: &Ctx) -> i64 {
    (ctx.now - ctx.retention.activity_secs) * 1000
}

fn page_after(page: &PageRequest) -> ApiResult<Option<(i64, i64)>> {
    page.after
        .as_ref()
        .map(|(a, b)| match (a.parse(), b.parse()) {
            (Ok(a), Ok(b)) => Ok((a, b)),
            _ => Err(ApiError::bad_request(
                "InvalidParameter",
                "The $skipToken is not one this server issued; start again from the first page.",
            )
            .with_target(targets::SKIP_TOKEN)),
        })
        .transpose()
}

/// Reads a page of `query` and the key of the next.
pub(super) async fn read_page(
    ctx: &Ctx,
    mut query: ActivityQuery,
) -> ApiResult<(Vec<ActivityRow>, Option<String>)> {
    let page = PageRequest::from_query(&ctx.query)?;
    query.after = page_after(&page)?;
    query.limit = page.size + 1;
    query.from_ms = query.from_ms.max(kept_from(ctx));
    let rows = ctx.store.activity(query).await?;
    let page = Page::cut(rows, page.size, |r| {
        (r.activity.at_ms.to_string(), r.id.to_string())
    });
    Ok((page.items, page.next.map(|k| ctx.next_link(&k))))
}

fn parse_json(text: &Option<String>) -> Option<Value> {
    text.as_deref().and_then(|t| serde_json::from_str(t).ok())
}

/// A stored record as the console reads it; `snapshots` with the representations.
fn to_record(r: ActivityRow, snapshots: bool) -> ActivityRecord {
    let (before, after) = (parse_json(&r.before), parse_json(&r.after));
    let nothing = Value::Object(Default::default());
    let property_changes = match r.change_type {
        Some(ChangeType::Create | ChangeType::Update | ChangeType::Delete) => property_changes(
            before.as_ref().unwrap_or(&nothing),
            after.as_ref().unwrap_or(&nothing),
        ),
        _ => Vec::new(),
    };
    let a = r.activity;
    ActivityRecord {
        event_data_id: a.event_id,
        event_timestamp: rfc3339_ms(a.at_ms),
        caller: a.caller,
        caller_type: peering_model::activity::caller_type(a.caller_type),
        operation_name: a.operation,
        status: r.status,
        sub_status: r.sub_status,
        message: r.message,
        http_status: r.http_status,
        resource_id: a.resource_id,
        resource_group_name: a.resource_group,
        correlation_id: a.correlation_id,
        request_id: a.request_id,
        client_request_id: a.client_request_id,
        client_ip_address: a.client_ip,
        change_type: r.change_type,
        property_changes,
        before_snapshot: if snapshots { before } else { None },
        after_snapshot: if snapshots { after } else { None },
    }
}

/// `.../providers/Microsoft.Peering/activityLog`: every filter combinable.
pub(crate) async fn log(ctx: Ctx, subscription: String) -> ApiResult<Response> {
    let get = |name: &str| {
        ctx.query
            .get(&name.to_ascii_lowercase())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    fn parsed<T: std::str::FromStr<Err = peering_model::UnknownVariant>>(
        value: Option<String>,
        target: &'static str,
    ) -> ApiResult<Option<T>> {
        value
            .map(|v| {
                v.parse::<T>().map_err(|e| {
                    ApiError::bad_request("InvalidParameter", format!("{e}.")).with_target(target)
                })
            })
            .transpose()
    }
    let operation: Option<Operation> = parsed(get(q::OPERATION), q::OPERATION)?;
    let status: Option<Outcome> = parsed(get(q::STATUS), q::STATUS)?;
    let from_ms = match get(q::FROM) {
        Some(v) => parse_time(&v, q::FROM)?,
        None => i64::MIN,
    };
    let to_ms = match get(q::TO) {
        Some(v) => parse_time(&v, q::TO)?,
        None => i64::MAX,
    };
    let query = ActivityQuery {
        subscription,
        from_ms,
        to_ms,
        caller: get(q::CALLER),
        rg_key: get(q::RESOURCE_GROUP).map(|g| g.to_lowercase()),
        operation,
        status,
        resource: get(q::RESOURCE).map(|r| (r.trim_end_matches('/').to_lowercase(), true)),
        with_changes: true,
        ..Default::default()
    };
    let (rows, next_link) = read_page(&ctx, query).await?;
    Ok(json_response(
        StatusCode::OK,
        &ActivityPage {
            value: rows.into_iter().map(|r| to_record(r, false)).collect(),
            next_link,
        },
    ))
}

/// `.../providers/Microsoft.Peering/activityLog/{eventDataId}`: one record, with snapshots.
pub(crate) async fn record(
    ctx: Ctx,
    subscription: String,
    event_id: String,
) -> ApiResult<Response> {
    let kept = kept_from(&ctx);
    match ctx
        .store
        .activity_record(subscription, event_id.clone())
        .await?
    {
        Some(r) if r.activity.at_ms >= kept => {
            Ok(json_response(StatusCode::OK, &to_record(r, true)))
        }
        _ => Err(ApiError::not_found(
            "ActivityRecordNotFound",
            format!("No record '{event_id}' is kept in this subscription's activity log."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_milliseconds() {
        assert_eq!(rfc3339_ms(1_796_083_200_005), "2026-12-01T00:00:00.005Z");
    }
}

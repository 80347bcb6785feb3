//! Azure's Activity Log API (`Microsoft.Insights/eventtypes/management/values`, api-version
//! 2015-04-01) over the activity log: the `$filter` Azure accepts (a window and at most one
//! equality), `$select`, and each record in the shape of Azure's `EventData`, which the
//! official clients (`azure-mgmt-monitor`) read.

use super::activity::{parse_time, read_page};
use crate::error::{ApiError, ApiResult};
use crate::http::request::Ctx;
use crate::http::response::json_response;
use crate::store::{rfc3339_ms, ActivityQuery, ActivityRow};
use axum::http::StatusCode;
use axum::response::Response;
use peering_model::activity::{Operation, Outcome, INSIGHTS_API_VERSION, RESOURCE_PROVIDER};
use peering_model::{targets, ApiVersion};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The one api-version of Azure's Activity Log API.
pub(crate) fn insights_api_version(query: &HashMap<String, String>) -> ApiResult<ApiVersion> {
    match query.get(targets::API_VERSION) {
        Some(v) if v == INSIGHTS_API_VERSION => Ok(ApiVersion::NEWEST),
        other => Err(ApiError::bad_request(
            if other.is_none() {
                "MissingApiVersionParameter"
            } else {
                "InvalidApiVersionParameter"
            },
            format!("The Activity Log API is served at api-version {INSIGHTS_API_VERSION} only."),
        )
        .with_target(targets::API_VERSION)),
    }
}

/// One clause of Azure's `$filter`.
#[derive(Debug, PartialEq)]
enum Clause {
    From(i64),
    To(i64),
    Eq(&'static str, String),
}

/// The properties `$filter` may test for equality (at most one of them), in Azure's spelling.
const EQ_FIELDS: [&str; 5] = [
    targets::RESOURCE_GROUP,
    "resourceUri",
    "resourceProvider",
    "correlationId",
    "caller",
];

fn filter_error(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidFilter", message).with_target("$filter")
}

/// Parses `field op 'value' [and …]`: single quotes around values, `''` for a quote inside.
fn parse_filter(f: &str) -> ApiResult<Vec<Clause>> {
    let mut out = Vec::new();
    let mut rest = f.trim();
    while !rest.is_empty() {
        let mut words = rest.splitn(3, char::is_whitespace);
        let (field, op, tail) = (
            words.next().unwrap_or(""),
            words.next().unwrap_or(""),
            words.next().unwrap_or("").trim_start(),
        );
        let Some(body) = tail.strip_prefix('\'') else {
            return Err(filter_error(format!(
                "Expected a quoted value after '{field} {op}' in $filter."
            )));
        };
        let (mut value, mut end) = (String::new(), None);
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().map(|(_, c)| *c) == Some('\'') {
                    chars.next();
                    value.push('\'');
                } else {
                    end = Some(i + 1);
                    break;
                }
            } else {
                value.push(c);
            }
        }
        let Some(end) = end else {
            return Err(filter_error("A quoted value in $filter is not closed."));
        };
        let clause = if field.eq_ignore_ascii_case("eventTimestamp") {
            let t = parse_time(&value, "$filter")?;
            match op.to_ascii_lowercase().as_str() {
                "ge" => Clause::From(t),
                "le" => Clause::To(t),
                _ => {
                    return Err(filter_error(format!(
                        "eventTimestamp is compared with ge or le, not '{op}'."
                    )))
                }
            }
        } else {
            let Some(name) = EQ_FIELDS.iter().find(|n| n.eq_ignore_ascii_case(field)) else {
                return Err(filter_error(format!(
                    "'{field}' cannot be filtered on here; $filter takes eventTimestamp ge/le and at most one of {} eq.",
                    EQ_FIELDS.join(", ")
                )));
            };
            if !op.eq_ignore_ascii_case("eq") {
                return Err(filter_error(format!(
                    "{name} is compared with eq, not '{op}'."
                )));
            }
            Clause::Eq(name, value)
        };
        out.push(clause);
        rest = body[end..].trim_start();
        if rest.is_empty() {
            break;
        }
        match rest.split_once(char::is_whitespace) {
            Some((and, tail)) if and.eq_ignore_ascii_case("and") => rest = tail.trim_start(),
            _ => return Err(filter_error("Clauses of $filter are joined with 'and'.")),
        }
    }
    Ok(out)
}

/// The query a `$filter` asks for; `None` when it can match nothing (another provider).
fn events_query(
    subscription: String,
    filter: &str,
    now_ms: i64,
) -> ApiResult<Option<ActivityQuery>> {
    let clauses = parse_filter(filter)?;
    let mut query = ActivityQuery {
        subscription,
        from_ms: i64::MIN,
        to_ms: now_ms,
        ..Default::default()
    };
    let (mut from, mut eq) = (None, None);
    for c in clauses {
        match c {
            Clause::From(t) if from.is_none() => from = Some(t),
            Clause::To(t) => query.to_ms = t,
            Clause::Eq(name, v) if eq.is_none() => eq = Some((name, v)),
            Clause::From(_) => return Err(filter_error("eventTimestamp ge is given twice.")),
            Clause::Eq(..) => {
                return Err(filter_error(format!(
                    "$filter takes at most one of {} eq.",
                    EQ_FIELDS.join(", ")
                )))
            }
        }
    }
    query.from_ms = from.ok_or_else(|| {
        filter_error("$filter must start the window: eventTimestamp ge '2026-12-01T00:00:00Z'.")
    })?;
    match eq {
        Some((targets::RESOURCE_GROUP, g)) => query.rg_key = Some(g.to_lowercase()),
        Some(("resourceUri", r)) => {
            query.resource = Some((r.trim_end_matches('/').to_lowercase(), false))
        }
        Some(("resourceProvider", p)) if !p.eq_ignore_ascii_case(RESOURCE_PROVIDER) => {
            return Ok(None)
        }
        Some(("correlationId", c)) => query.correlation_id = Some(c),
        Some(("caller", c)) => query.caller = Some(c),
        _ => {}
    }
    Ok(Some(query))
}

fn localizable(value: &str, localized: &str) -> Value {
    json!({"value": value, "localizedValue": localized})
}

/// .NET ticks (100 ns since 0001-01-01), as the ids of Azure's events carry them.
fn ticks(ms: i64) -> i64 {
    ms * 10_000 + 621_355_968_000_000_000
}

/// A record in the shape of Azure's `EventData`.
fn event_data(r: &ActivityRow) -> Map<String, Value> {
    let a = &r.activity;
    let failed = r.status == Outcome::Failed;
    let http = StatusCode::from_u16(r.http_status).ok();
    let reason = http.and_then(|s| s.canonical_reason()).unwrap_or("");
    let sub_status = r
        .sub_status
        .clone()
        .unwrap_or_else(|| reason.replace(' ', ""));
    let resource_type = a
        .operation
        .as_str()
        .rsplit_once('/')
        .map_or(a.operation.as_str(), |(t, _)| t);
    let mut properties = json!({
        "statusCode": reason.replace(' ', ""),
        "serviceRequestId": a.request_id,
        "callerType": a.caller_type,
    });
    if let (Some(code), Some(message)) = (&r.sub_status, &r.message) {
        properties["statusMessage"] =
            Value::String(json!({"error": {"code": code, "message": message}}).to_string());
    }
    if let Some(c) = r.change_type {
        properties["changeType"] = Value::String(c.as_str().to_owned());
    }
    let mut http_request = json!({"method": a.method, "uri": a.resource_id});
    if let Some(c) = &a.client_request_id {
        http_request["clientRequestId"] = Value::String(c.clone());
    }
    if let Some(ip) = &a.client_ip {
        http_request["clientIpAddress"] = Value::String(ip.clone());
    }
    let v = json!({
        "authorization": {"action": a.operation.as_str(), "scope": a.resource_id},
        "caller": a.caller,
        "channels": "Operation",
        "claims": {},
        "correlationId": a.correlation_id,
        "description": "",
        "eventDataId": a.event_id,
        "eventName": localizable("EndRequest", "End request"),
        "category": localizable("Administrative", "Administrative"),
        "httpRequest": http_request,
        "id": format!("{}/events/{}/ticks/{}", a.resource_id, a.event_id, ticks(a.at_ms)),
        "level": if failed { "Error" } else { "Informational" },
        (targets::RESOURCE_GROUP): a.resource_group,
        "resourceProviderName": localizable(RESOURCE_PROVIDER, RESOURCE_PROVIDER),
        "resourceId": a.resource_id,
        "resourceType": localizable(resource_type, resource_type),
        "operationId": a.request_id,
        "operationName": localizable(a.operation.as_str(), a.operation.words()),
        "properties": properties,
        "status": localizable(r.status.as_str(), r.status.as_str()),
        "subStatus": localizable(&sub_status, &format!("{sub_status} (HTTP Status Code: {})", r.http_status)),
        "eventTimestamp": rfc3339_ms(a.at_ms),
        "submissionTimestamp": rfc3339_ms(a.at_ms),
        (targets::SUBSCRIPTION): a.subscription,
        "tenantId": "",
    });
    match v {
        Value::Object(mut m) => {
            // A subscription's operation has no resource group: the property is left out.
            m.retain(|_, v| !v.is_null());
            m
        }
        _ => Map::new(),
    }
}

/// `$select`'s names in the spelling of `EventData`, refused when one is not a property.
fn selection(select: Option<&String>) -> ApiResult<Option<Vec<String>>> {
    let Some(select) = select.filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    // The properties of any record (every one of them always has them all).
    let sample = event_data(&ActivityRow {
        id: 0,
        activity: crate::store::Activity {
            event_id: String::new(),
            at_ms: 0,
            subscription: String::new(),
            resource_id: String::new(),
            resource_group: None,
            operation: Operation::ServiceWrite,
            method: String::new(),
            caller: String::new(),
            caller_type: "User",
            request_id: String::new(),
            correlation_id: String::new(),
            client_request_id: None,
            client_ip: None,
        },
        status: Outcome::Succeeded,
        http_status: 200,
        sub_status: None,
        message: None,
        change_type: None,
        before: None,
        after: None,
    });
    select
        .split(',')
        .map(|n| {
            let n = n.trim();
            sample
                .keys()
                .find(|k| k.eq_ignore_ascii_case(n))
                .cloned()
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "InvalidParameter",
                        format!(
                            "'{n}' is not a property of an event; $select takes: {}.",
                            sample.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    )
                    .with_target("$select")
                })
        })
        .collect::<ApiResult<Vec<_>>>()
        .map(Some)
}

/// `/subscriptions/{id}/providers/Microsoft.Insights/eventtypes/management/values`.
pub(crate) async fn events(ctx: Ctx, subscription: String) -> ApiResult<Response> {
    let filter = ctx.query.get("$filter").cloned().ok_or_else(|| {
        filter_error("$filter is required: eventTimestamp ge '…' names where the window starts.")
    })?;
    let select = selection(ctx.query.get("$select"))?;
    let now_ms = ctx.now * 1000 + 999;
    let (rows, next_link) = match events_query(subscription, &filter, now_ms)? {
        Some(query) => read_page(&ctx, query).await?,
        None => (Vec::new(), None),
    };
    let value: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut e = event_data(r);
            if let Some(keep) = &select {
                e.retain(|k, _| keep.contains(k));
            }
            Value::Object(e)
        })
        .collect();
    let mut body = json!({ "value": value });
    if let Some(n) = next_link {
        body["nextLink"] = Value::String(n);
    }
    Ok(json_response(StatusCode::OK, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_as_azure_writes_them() {
        let c = parse_filter(
            "eventTimestamp ge '2026-12-01T00:00:00Z' and eventTimestamp le '2026-12-02T00:00:00.5Z' and caller eq 'o''brien@example.com'",
        )
        .unwrap();
        assert_eq!(
            c,
            vec![
                Clause::From(1_796_083_200_000),
                Clause::To(1_796_169_600_500),
                Clause::Eq("caller", "o'brien@example.com".into()),
            ]
        );
        for bad in [
            "status eq 'Failed'",
            "eventTimestamp eq '2026-12-01T00:00:00Z'",
            "eventTimestamp ge '2026-12-01T00:00:00Z' or caller eq 'x'",
            "eventTimestamp ge '2026-12-01",
            "caller eq x",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
        let two = "eventTimestamp ge '2026-12-01T00:00:00Z' and caller eq 'a' and resourceGroupName eq 'b'";
        assert!(events_query("s".into(), two, 0).is_err());
        let none = "eventTimestamp ge '2026-12-01T00:00:00Z' and caller eq 'a'";
        assert!(events_query("s".into(), none, 0).unwrap().is_some());
        assert!(events_query("s".into(), "caller eq 'a'", 0).is_err());
        let other =
            "eventTimestamp ge '2026-12-01T00:00:00Z' and resourceProvider eq 'Microsoft.Compute'";
        assert!(events_query("s".into(), other, 0).unwrap().is_none());
    }
}

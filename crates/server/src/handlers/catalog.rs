//! Read-only catalog operations and the availability check, answered from the embedded
//! catalog; and the read-only prefix-summaries extension.

use crate::error::{ApiError, ApiResult};
use crate::http::paging::{Page, PageRequest};
use crate::http::request::{json_body, Ctx};
use crate::http::response::json_response;
use axum::http::StatusCode;
use axum::response::Response;
use peering_model::catalog::match_key;
use peering_model::resource_id::{encode_segment, SubscriptionOp, NAMESPACE};
use peering_model::targets;
use peering_model::wire::ListResult;
use peering_model::ArmPath;
use peering_model::{geo, Catalog};
use serde::Deserialize;
use serde_json::{json, Value};

/// Pages over an in-memory list; the key is the item's position, zero-padded.
fn paged(ctx: &Ctx, items: Vec<Value>) -> ApiResult<Response> {
    let page = PageRequest::from_query(&ctx.query)?;
    let start = match &page.after {
        None => 0,
        // A crafted token may hold any number: usize::MAX + 1 must not overflow.
        Some((_, i)) => i
            .parse::<usize>()
            .ok()
            .and_then(|i| i.checked_add(1))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "InvalidSkipToken",
                    "The $skipToken is not one this server issued; start the list again without it.",
                )
                .with_target(targets::SKIP_TOKEN)
            })?,
    };
    let rows: Vec<(usize, Value)> = items
        .into_iter()
        .enumerate()
        .skip(start)
        .take(page.size + 1)
        .collect();
    let page = Page::cut(rows, page.size, |(i, _)| (String::new(), format!("{i:08}")));
    let next = page.next.map(|k| ctx.next_link(&k));
    let value: Vec<Value> = page.items.into_iter().map(|(_, v)| v).collect();
    Ok(json_response(
        StatusCode::OK,
        &ListResult {
            value,
            next_link: next,
        },
    ))
}

pub(crate) fn countries(ctx: &Ctx, sub: &str) -> ApiResult<Response> {
    let items = Catalog::embedded()
        .countries
        .iter()
        .map(|c| {
            json!({
                "id": format!("{}/{}", ArmPath::Subscription { subscription: sub.to_owned(), op: SubscriptionOp::Countries }, encode_segment(&c.name)),
                "name": c.name,
                "type": "Microsoft.Peering/peeringServiceCountries",
            })
        })
        .collect();
    paged(ctx, items)
}

pub(crate) fn locations(ctx: &Ctx, sub: &str) -> ApiResult<Response> {
    let filter = ctx.query.get("country").map(|c| match_key(c));
    let items = Catalog::embedded()
        .countries
        .iter()
        .filter(|c| filter.as_ref().is_none_or(|f| *f == match_key(&c.name)))
        .flat_map(|c| {
            c.locations.iter().map(move |l| {
                json!({
                    "id": format!("{}/{}", ArmPath::Subscription { subscription: sub.to_owned(), op: SubscriptionOp::Locations }, encode_segment(&l.state)),
                    "name": l.state,
                    "type": "Microsoft.Peering/peeringServiceLocations",
                    "properties": { "country": c.name, "state": l.state, "azureRegion": l.azure_region },
                })
            })
        })
        .collect();
    paged(ctx, items)
}

pub(crate) fn providers(ctx: &Ctx) -> ApiResult<Response> {
    let items = Catalog::embedded()
        .providers
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "type": "Microsoft.Peering/peeringServiceProviders",
                "properties": { "serviceProviderName": p.name, "peeringLocations": p.peering_locations },
            })
        })
        .collect();
    paged(ctx, items)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AvailabilityInput {
    #[serde(default)]
    peering_service_location: Option<String>,
    #[serde(default)]
    peering_service_provider: Option<String>,
}

/// `"Available"` when one of the provider's peering locations is within 1000 miles. An empty
/// or unknown location or provider is a 400 with the model's finding (the words of a
/// connection's validation).
pub(crate) fn check_availability(ctx: &Ctx) -> ApiResult<Response> {
    let input: AvailabilityInput = json_body(&ctx.headers, &ctx.body, &[""])?;
    let available = geo::check_availability(
        Catalog::embedded(),
        input
            .peering_service_location
            .as_deref()
            .unwrap_or_default(),
        input
            .peering_service_provider
            .as_deref()
            .unwrap_or_default(),
    )
    .map_err(|f| ApiError::finding(&f))?;
    let answer = if available {
        "Available"
    } else {
        "Unavailable"
    };
    Ok(json_response(StatusCode::OK, &answer))
}

pub(crate) fn operations(ctx: &Ctx) -> ApiResult<Response> {
    let op = |name: &str, resource: &str, operation: &str, description: &str| {
        json!({
            "name": format!("{NAMESPACE}/{name}"),
            "display": { "provider": NAMESPACE, "resource": resource, "operation": operation, "description": description },
            "isDataAction": false,
        })
    };
    let items = vec![
        op(
            "peeringServiceCountries/read",
            "peeringServiceCountries",
            "Read",
            "List Peering Service countries",
        ),
        op(
            "peeringServiceLocations/read",
            "peeringServiceLocations",
            "Read",
            "List Peering Service locations",
        ),
        op(
            "peeringServiceProviders/read",
            "peeringServiceProviders",
            "Read",
            "List Peering Service providers",
        ),
        op(
            "peeringServices/read",
            "peeringServices",
            "Read",
            "Read Peering Service connections",
        ),
        op(
            "peeringServices/write",
            "peeringServices",
            "Write",
            "Create or update Peering Service connections",
        ),
        op(
            "peeringServices/delete",
            "peeringServices",
            "Delete",
            "Delete Peering Service connections",
        ),
        op(
            "peeringServices/prefixes/read",
            "prefixes",
            "Read",
            "Read Peering Service prefixes",
        ),
        op(
            "peeringServices/prefixes/write",
            "prefixes",
            "Write",
            "Create or update Peering Service prefixes",
        ),
        op(
            "peeringServices/prefixes/delete",
            "prefixes",
            "Delete",
            "Delete Peering Service prefixes",
        ),
        op(
            "peeringServices/connectionMonitorTests/read",
            "connectionMonitorTests",
            "Read",
            "Read connection monitor tests",
        ),
        op(
            "peeringServices/connectionMonitorTests/write",
            "connectionMonitorTests",
            "Write",
            "Create or update connection monitor tests",
        ),
        op(
            "peeringServices/connectionMonitorTests/delete",
            "connectionMonitorTests",
            "Delete",
            "Delete connection monitor tests",
        ),
        op(
            "checkServiceProviderAvailability/action",
            "checkServiceProviderAvailability",
            "Action",
            "Check whether a provider is available for a customer location",
        ),
    ];
    paged(ctx, items)
}

/// `peeringServicePrefixSummaries` (an extension): each connection's prefixes by validation
/// state, paged by connection key like the list of connections.
pub(crate) async fn prefix_summaries(ctx: Ctx, sub: String) -> ApiResult<Response> {
    let page = PageRequest::from_query(&ctx.query)?;
    let (counts, next) = ctx
        .store
        .prefix_counts(sub.clone(), page.after, page.size, ctx.now - 86_400)
        .await?;
    let value: Vec<peering_model::wire::PrefixSummary> = counts
        .into_iter()
        .map(|c| peering_model::wire::PrefixSummary {
            id: peering_model::ServiceId::new(&sub, &c.resource_group, &c.connection).to_string(),
            prefix_count: c.by_state.iter().map(|(_, n)| n).sum(),
            validation_states: c.by_state.into_iter().collect(),
            prefixes: c.prefixes,
            latency_p50_ms: c.latency_p50_ms,
            latest_event_prefix: c.latest_event.as_ref().map(|(n, _)| n.clone()),
            latest_event: c.latest_event.map(|(_, e)| e),
        })
        .collect();
    let next = next.map(|k| ctx.next_link(&k));
    Ok(json_response(
        StatusCode::OK,
        &ListResult {
            value,
            next_link: next,
        },
    ))
}

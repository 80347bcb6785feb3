//! `Microsoft.Peering/peeringServices`: create/replace, read, tag update, delete, lists.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{check_write_with, has_preconditions, read_bytes_response};
use crate::http::paging::PageRequest;
use crate::http::request::{json_body, Ctx};
use crate::http::response::{delete_response, json_bytes_response, put_status, ListBody};
use crate::repr::service as repr;
use crate::store::{ServiceListQuery, ServiceRecord, ServiceWrite, StoredService};
use axum::http::StatusCode;
use axum::response::Response;
use peering_model::connection::{check_replace, validate_connection, ConnectionDraft, CreateOnly};
use peering_model::names::{NameKind, ResourceGroupName, ResourceName};
use peering_model::resource_id::NAMESPACE;
use peering_model::wire::PeeringService;
use peering_model::{targets, Catalog, Code, ServiceId};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A page of connections stops growing past this many bytes (a connection with 50 long tags
/// is some 40 KB, so 1,000 of them would be 40 MB).
const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub(crate) fn not_found(id: &ServiceId) -> ApiError {
    ApiError::not_found(
        "ResourceNotFound",
        format!(
            "The Resource '{NAMESPACE}/peeringServices/{}' under resource group '{}' was not found.",
            id.name, id.resource_group
        ),
    )
}

/// Checks on the path of a connection: the resource group and the name.
pub(crate) fn check_path(id: &ServiceId) -> ApiResult<()> {
    ResourceGroupName::parse(&id.resource_group).map_err(|f| ApiError::finding(&f))?;
    ResourceName::parse(NameKind::Connection, targets::NAME, &id.name)
        .map_err(|f| ApiError::finding(&f))?;
    Ok(())
}

/// The ETag a client's precondition is checked against: the stored one, the one GET sends.
fn stored_etag(s: &StoredService) -> String {
    s.etag.clone()
}

/// Stored JSON text of a field given in the body.
fn to_json<T: serde::Serialize>(v: Option<&T>) -> Option<String> {
    v.map(|t| serde_json::to_string(t).unwrap_or_default())
}

fn to_write(r: ServiceRecord) -> ApiResult<ServiceWrite> {
    let repr = repr::stored(&r).map_err(ApiError::internal)?;
    Ok(ServiceWrite {
        record: r,
        repr,
        changed: true,
    })
}

pub(crate) async fn put(ctx: Ctx, caller: Caller, id: ServiceId) -> ApiResult<Response> {
    check_path(&id)?;
    let body: PeeringService = json_body(
        &ctx.headers,
        &ctx.body,
        &["", "properties", "sku", "systemData"],
    )?;
    let draft = ConnectionDraft {
        name: id.name.clone(),
        ..ConnectionDraft::from(&body)
    };
    let (valid, findings) = validate_connection(Catalog::embedded(), &draft);
    let Some(mut valid) = valid else {
        return Err(ApiError::findings(&findings));
    };
    // A replacement that leaves `location` out keeps the stored region (it is create-only); a
    // new connection gets its customer location's region.
    let region_given = body.location.as_deref().is_some_and(|l| !l.is_empty());
    let now = now_rfc3339();
    let version = ctx.version;
    let (tags, sku) = (to_json(body.tags.as_ref()), to_json(body.sku.as_ref()));
    let activity = ctx.write_record()?;
    let headers = ctx.headers;
    let (created, stored_repr) = ctx
        .store
        .write_service(
            id.clone(),
            activity,
            Box::new(move |stored| {
                check_write_with(&headers, stored.as_ref(), stored_etag)?;
                let existing = stored.map(|s| s.record);
                if let Some(e) = &existing {
                    if !region_given {
                        valid.azure_region = e.location.clone();
                    }
                    replace_allowed(e, &valid)?;
                }
                let keep = |f: fn(&ServiceRecord) -> &String, new: &String| {
                    existing.as_ref().map_or(new.clone(), |e| f(e).clone())
                };
                to_write(ServiceRecord {
                    subscription: id.subscription.clone(),
                    resource_group: keep(|e| &e.resource_group, &id.resource_group),
                    name: keep(|e| &e.name, &id.name),
                    // Create-only: a replacement keeps the stored spelling of the same region.
                    location: keep(|e| &e.location, &valid.azure_region),
                    tags,
                    sku,
                    peering_service_location: valid.location.clone(),
                    provider: valid.provider.clone(),
                    primary: valid.primary.clone(),
                    backup: valid.backup.clone(),
                    created_at: keep(|e| &e.created_at, &now),
                    created_by: keep(|e| &e.created_by, &caller.id),
                    created_by_type: keep(
                        |e| &e.created_by_type,
                        &caller.created_by_type().to_owned(),
                    ),
                    modified_at: now.clone(),
                    modified_by: caller.id.clone(),
                    modified_by_type: caller.created_by_type().to_owned(),
                    // What the monitor agents reported; no PUT sets it.
                    connected_agents: existing.as_ref().and_then(|e| e.connected_agents.clone()),
                })
            }),
        )
        .await?;
    Ok(json_bytes_response(
        put_status(created),
        repr::render(&stored_repr, version),
        Some(&stored_repr.etag),
    ))
}

pub(crate) async fn get(ctx: Ctx, id: ServiceId) -> ApiResult<Response> {
    let found = ctx.store.get_service(id.clone()).await?;
    let s = found.ok_or_else(|| not_found(&id))?;
    Ok(read_bytes_response(
        &ctx.headers,
        repr::render(&s, ctx.version),
        &s.etag,
    ))
}

/// A PUT replacing the stored connection `e` with `valid`: the create-only fields (region,
/// primary and backup peering locations) must not change. Checked by the model; a changed
/// region is 400 (ARM's `InvalidResourceLocation`), a changed peering location 409 (a conflict
/// with the stored connection, as a changed prefix value is).
fn replace_allowed(
    e: &ServiceRecord,
    valid: &peering_model::connection::ValidConnection,
) -> ApiResult<()> {
    let stored = CreateOnly {
        azure_region: &e.location,
        primary: &e.primary,
        backup: e.backup.as_deref(),
    };
    let findings = check_replace(Catalog::embedded(), stored, valid);
    match findings.first_error() {
        None => Ok(()),
        Some(first) => {
            let status = if first.code == Code::InvalidResourceLocation {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::CONFLICT
            };
            Err(ApiError::findings(&findings).with_status(status))
        }
    }
}

#[derive(Deserialize)]
struct TagsBody {
    /// Absent or null: the tags stay as they are (ARM leaves absent properties unchanged).
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
}

pub(crate) async fn patch(ctx: Ctx, caller: Caller, id: ServiceId) -> ApiResult<Response> {
    let body: TagsBody = json_body(&ctx.headers, &ctx.body, &[""])?;
    if let Some(tags) = &body.tags {
        let findings = peering_model::tags::check_tags(tags);
        if findings.has_errors() {
            return Err(ApiError::findings(&findings));
        }
    }
    let version = ctx.version;
    let now = now_rfc3339();
    let activity = ctx.write_record()?;
    let headers = ctx.headers;
    let missing = not_found(&id);
    let (_, s) = ctx
        .store
        .write_service(
            id,
            activity,
            Box::new(move |stored| {
                let stored = stored.ok_or(missing)?;
                check_write_with(&headers, Some(&stored), stored_etag)?;
                let mut row = stored.record;
                let Some(tags) = body.tags else {
                    // Nothing to change: the connection as it is, not even its modification time.
                    let mut w = to_write(row)?;
                    w.changed = false;
                    return Ok(w);
                };
                row.tags = Some(serde_json::to_string(&tags).map_err(ApiError::internal)?);
                row.modified_at = now;
                row.modified_by = caller.id.clone();
                row.modified_by_type = caller.created_by_type().to_owned();
                to_write(row)
            }),
        )
        .await?;
    Ok(json_bytes_response(
        StatusCode::OK,
        repr::render(&s, version),
        Some(&s.etag),
    ))
}

pub(crate) async fn delete(ctx: Ctx, id: ServiceId) -> ApiResult<Response> {
    let activity = ctx.write_record()?;
    let headers = ctx.headers;
    let check = has_preconditions(&headers).then(|| -> crate::store::CheckDelete<StoredService> {
        Box::new(move |existing| check_write_with(&headers, existing, stored_etag))
    });
    let existed = ctx.store.delete_service(id, activity, check).await?;
    Ok(delete_response(existed))
}

/// List by subscription (`rg` None) or by resource group, in (resource group, name) order,
/// paged by key so pages stay stable while items come and go. The items are the stored
/// representations, copied into the response one after the other.
pub(crate) async fn list(ctx: Ctx, sub: String, rg: Option<String>) -> ApiResult<Response> {
    if let Some(rg) = &rg {
        ResourceGroupName::parse(rg).map_err(|f| ApiError::finding(&f))?;
    }
    let page = PageRequest::from_query(&ctx.query)?;
    let version = ctx.version;
    let found = ctx
        .store
        .list_services(ServiceListQuery {
            subscription: sub,
            resource_group: rg,
            after: page.after,
            limit: page.size,
            max_bytes: MAX_PAGE_BYTES,
        })
        .await?;
    let mut body = ListBody::with_capacity(found.text.len() + 2 * found.items.len());
    for (b, s) in found.items() {
        repr::write_json(body.next_item(), b, s, version);
    }
    let next = found.next.map(|k| ctx.next_link(&k));
    Ok(body.into_response(next.as_deref()))
}

//! What prefixes and connection monitor tests share: they live under a connection, and are
//! read, deleted and listed the same way; only their bodies and checks differ
//! ([`super::prefixes`], [`super::monitor_tests`]).

use super::services::check_path;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{check_write_with, has_preconditions, read_response};
use crate::http::paging::{Page, PageRequest};
use crate::http::request::Ctx;
use crate::http::response::{delete_response, json_response, put_status, resource_response};
use crate::repr::child as repr;
use crate::store::{CheckDelete, ChildRecord, Lookup};
use axum::http::StatusCode;
use axum::response::Response;
use peering_model::names::ResourceName;
use peering_model::resource_id::NAMESPACE;
use peering_model::wire::ListResult;
use peering_model::{targets, ChildKind, ServiceId};

/// A child was addressed under a connection that does not exist.
pub(crate) fn parent_not_found(p: &ServiceId, kind: ChildKind) -> ApiError {
    ApiError::not_found(
        "ParentResourceNotFound",
        format!(
            "Cannot use resources of type '{NAMESPACE}/peeringServices/{}' because the parent resource '{NAMESPACE}/peeringServices/{}' under resource group '{}' was not found.",
            kind.segment(), p.name, p.resource_group
        ),
    )
}

pub(crate) fn not_found(p: &ServiceId, kind: ChildKind, name: &str) -> ApiError {
    ApiError::not_found(
        "ResourceNotFound",
        format!(
            "The Resource '{NAMESPACE}/peeringServices/{}/{}/{name}' under resource group '{}' was not found.",
            p.name,
            kind.segment(),
            p.resource_group
        ),
    )
}

/// Checks on the path of a child: the connection's resource group and name, and its own name.
pub(crate) fn check_child_path(p: &ServiceId, kind: ChildKind, name: &str) -> ApiResult<()> {
    check_path(p)?;
    ResourceName::parse(kind.name_kind(), targets::NAME, name)
        .map_err(|f| ApiError::finding(&f))?;
    Ok(())
}

/// Whether the request asks for the kind's `$expand`: a prefix's `events`; a monitor test has
/// none (the parameter is then ignored, as ARM does).
fn expand(ctx: &Ctx, kind: ChildKind) -> ApiResult<bool> {
    match kind {
        ChildKind::Prefix => super::prefixes::expand(&ctx.query),
        ChildKind::MonitorTest | ChildKind::AlertRule => Ok(false),
    }
}

pub(crate) async fn get(
    ctx: Ctx,
    p: ServiceId,
    kind: ChildKind,
    name: String,
) -> ApiResult<Response> {
    let expand = expand(&ctx, kind)?;
    match ctx.store.get_child(p.clone(), kind, name.clone()).await? {
        Lookup::Found(c) => Ok(read_response(
            &ctx.headers,
            &repr::json(&c, ctx.version, expand),
            &repr::etag(&c),
        )),
        Lookup::Missing => Err(not_found(&p, kind, &name)),
        Lookup::NoParent => Err(parent_not_found(&p, kind)),
    }
}

/// Create or replace: the connection must exist and the preconditions hold against the stored
/// child; the kind's checks decide what is written. Answers 201 or 200 with what was stored.
pub(crate) async fn put(
    ctx: Ctx,
    p: ServiceId,
    kind: ChildKind,
    name: String,
) -> ApiResult<Response> {
    check_child_path(&p, kind, &name)?;
    let (overlapping, decide) = match kind {
        ChildKind::Prefix => super::prefixes::decide(&ctx, &p, &name)?,
        ChildKind::MonitorTest => super::monitor_tests::decide(&ctx, &name)?,
        ChildKind::AlertRule => super::alert_rules::decide(&ctx, &name)?,
    };
    let headers = ctx.headers.clone();
    let activity = ctx.write_record()?;
    let written = ctx
        .store
        .write_child(
            p.clone(),
            kind,
            name,
            overlapping,
            activity,
            Box::new(move |existing, candidates| {
                check_write_with(&headers, existing.as_ref(), repr::etag)?;
                decide(existing, candidates)
            }),
        )
        .await?;
    let (created, c) = written.ok_or_else(|| parent_not_found(&p, kind))?;
    Ok(resource_response(
        put_status(created),
        &repr::json(&c, ctx.version, false),
        &repr::etag(&c),
    ))
}

/// 200 when the child was deleted, 204 when there was none.
pub(crate) async fn delete(
    ctx: Ctx,
    p: ServiceId,
    kind: ChildKind,
    name: String,
) -> ApiResult<Response> {
    let activity = ctx.write_record()?;
    let headers = ctx.headers;
    let check = has_preconditions(&headers).then(|| -> CheckDelete<ChildRecord> {
        Box::new(move |existing| check_write_with(&headers, existing, repr::etag))
    });
    match ctx
        .store
        .delete_child(p.clone(), kind, name, activity, check)
        .await?
    {
        Some(existed) => Ok(delete_response(existed)),
        None => Err(parent_not_found(&p, kind)),
    }
}

/// The children of a connection by name, paged by name. Related rows (a prefix's events) are
/// read only when expanded: list items carry no ETag.
pub(crate) async fn list(ctx: Ctx, p: ServiceId, kind: ChildKind) -> ApiResult<Response> {
    let expand = expand(&ctx, kind)?;
    let page = PageRequest::from_query(&ctx.query)?;
    let after = page.after.clone().map(|(_, n)| n).unwrap_or_default();
    let rows = ctx
        .store
        .list_children(p.clone(), kind, after, page.size + 1, expand)
        .await?
        .ok_or_else(|| parent_not_found(&p, kind))?;
    let page = Page::cut(rows, page.size, |r| {
        (String::new(), r.meta().name_key.clone())
    });
    let next = page.next.map(|k| ctx.next_link(&k));
    let value: Vec<repr::ChildJson> = page
        .items
        .iter()
        .map(|r| repr::json(r, ctx.version, expand))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &ListResult {
            value,
            next_link: next,
        },
    ))
}

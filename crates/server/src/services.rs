//! `Microsoft.Peering/peeringServices`: create/replace, read, tag update, delete, lists.

use crate::arm::{encode_segment, json_body, json_response, ApiVersion, ServicePath, NAMESPACE};
use crate::error::{ApiError, ApiResult};
use crate::paging::{Page, PageRequest};
use crate::{now_rfc3339, Caller, Ctx};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use peering_model::connection::{validate_connection, ConnectionDraft};
use peering_model::names::{NameKind, ResourceGroupName, ResourceName};
use peering_model::wire::{PeeringService, PeeringServiceProperties, Sku, SystemData, PEERING_SERVICE_TYPE};
use peering_model::Catalog;
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A stored connection.
#[derive(Debug, Clone)]
pub struct ServiceRow {
    pub subscription: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub tags: Option<BTreeMap<String, String>>,
    pub sku: Option<Sku>,
    pub peering_service_location: String,
    pub provider: String,
    pub primary: String,
    pub backup: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub modified_at: String,
    pub modified_by: String,
}

const COLUMNS: &str = "subscription, resource_group, name, location, tags, sku, peering_service_location, provider, primary_location, backup_location, created_at, created_by, modified_at, modified_by";

fn from_row(r: &Row<'_>) -> rusqlite::Result<ServiceRow> {
    let tags: Option<String> = r.get(4)?;
    let sku: Option<String> = r.get(5)?;
    Ok(ServiceRow {
        subscription: r.get(0)?,
        resource_group: r.get(1)?,
        name: r.get(2)?,
        location: r.get(3)?,
        tags: tags.and_then(|t| serde_json::from_str(&t).ok()),
        sku: sku.and_then(|t| serde_json::from_str(&t).ok()),
        peering_service_location: r.get(6)?,
        provider: r.get(7)?,
        primary: r.get(8)?,
        backup: r.get(9)?,
        created_at: r.get(10)?,
        created_by: r.get(11)?,
        modified_at: r.get(12)?,
        modified_by: r.get(13)?,
    })
}

impl ServiceRow {
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{NAMESPACE}/peeringServices/{}",
            self.subscription,
            encode_segment(&self.resource_group),
            encode_segment(&self.name)
        )
    }

    pub fn to_wire(&self, v: ApiVersion) -> PeeringService {
        PeeringService {
            id: Some(self.id()),
            name: Some(self.name.clone()),
            kind: Some(PEERING_SERVICE_TYPE.to_owned()),
            location: Some(self.location.clone()),
            tags: self.tags.clone(),
            sku: self.sku.clone(),
            properties: Some(PeeringServiceProperties {
                peering_service_location: Some(self.peering_service_location.clone()),
                peering_service_provider: Some(self.provider.clone()),
                provider_primary_peering_location: Some(self.primary.clone()),
                provider_backup_peering_location: self.backup.clone(),
                provisioning_state: Some("Succeeded".to_owned()),
            }),
            system_data: v.has_system_data().then(|| SystemData {
                created_by: Some(self.created_by.clone()),
                created_by_type: Some("Key".to_owned()),
                created_at: Some(self.created_at.clone()),
                last_modified_by: Some(self.modified_by.clone()),
                last_modified_by_type: Some("Key".to_owned()),
                last_modified_at: Some(self.modified_at.clone()),
            }),
        }
    }
}

pub fn get_row(tx: &Transaction<'_>, sub: &str, rg: &str, name: &str) -> rusqlite::Result<Option<ServiceRow>> {
    tx.query_row(
        &format!("SELECT {COLUMNS} FROM peering_services WHERE subscription = ?1 AND rg_key = ?2 AND name_key = ?3"),
        params![sub, rg.to_lowercase(), name.to_ascii_lowercase()],
        from_row,
    )
    .optional()
}

pub fn not_found(p: &ServicePath) -> ApiError {
    ApiError::not_found(
        "ResourceNotFound",
        format!(
            "The Resource '{NAMESPACE}/peeringServices/{}' under resource group '{}' was not found.",
            p.name, p.rg
        ),
    )
}

/// Checks on the path of a connection: the resource group and the name.
pub fn check_path(p: &ServicePath) -> ApiResult<()> {
    ResourceGroupName::parse(&p.rg).map_err(|f| ApiError::finding(&f))?;
    ResourceName::parse(NameKind::Connection, "name", &p.name).map_err(|f| ApiError::finding(&f))?;
    Ok(())
}

/// Applies the precondition headers of a write to the current representation.
fn check_preconditions(ctx: &Ctx, current: Option<&ServiceRow>) -> ApiResult<()> {
    let etag = current.map(|r| crate::arm::etag_of(&serde_json::to_vec(&r.to_wire(ctx.version)).unwrap_or_default()));
    crate::conditional::check_write(&ctx.headers, etag.as_deref())
}

pub async fn put(ctx: Ctx, caller: Caller, p: ServicePath) -> ApiResult<Response> {
    check_path(&p)?;
    let body: PeeringService = json_body(&ctx.headers, &ctx.body)?;
    let props = body.properties.clone().unwrap_or_default();
    let draft = ConnectionDraft {
        name: p.name.clone(),
        country: None,
        location: props.peering_service_location.clone().unwrap_or_default(),
        provider: props.peering_service_provider.clone().unwrap_or_default(),
        primary: props.provider_primary_peering_location.clone().unwrap_or_default(),
        backup: props.provider_backup_peering_location.clone(),
        azure_region: body.location.clone(),
        tags: body.tags.clone().unwrap_or_default(),
    };
    let (valid, findings) = validate_connection(Catalog::embedded(), &draft);
    let Some(valid) = valid else {
        return Err(ApiError::findings(&findings));
    };
    let now = now_rfc3339();
    let version = ctx.version;
    let tags_json = body.tags.as_ref().map(|t| serde_json::to_string(t).unwrap_or_default());
    let sku_json = body.sku.as_ref().map(|s| serde_json::to_string(s).unwrap_or_default());
    let db = ctx.db.clone();
    let (created, row) = db
        .write(move |tx| -> ApiResult<(bool, ServiceRow)> {
            let existing = get_row(tx, &p.sub, &p.rg, &p.name)?;
            check_preconditions(&ctx, existing.as_ref())?;
            let row = ServiceRow {
                subscription: p.sub.clone(),
                resource_group: existing.as_ref().map_or(p.rg.clone(), |e| e.resource_group.clone()),
                name: existing.as_ref().map_or(p.name.clone(), |e| e.name.clone()),
                location: valid.azure_region.clone(),
                tags: body.tags.clone(),
                sku: body.sku.clone(),
                peering_service_location: valid.location.clone(),
                provider: valid.provider.clone(),
                primary: valid.primary.clone(),
                backup: valid.backup.clone(),
                created_at: existing.as_ref().map_or(now.clone(), |e| e.created_at.clone()),
                created_by: existing.as_ref().map_or(caller.id.clone(), |e| e.created_by.clone()),
                modified_at: now.clone(),
                modified_by: caller.id.clone(),
            };
            tx.execute(
                "INSERT INTO peering_services (subscription, rg_key, name_key, resource_group, name, location, tags, sku, peering_service_location, provider, primary_location, backup_location, created_at, created_by, modified_at, modified_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
                 ON CONFLICT (subscription, rg_key, name_key) DO UPDATE SET
                   location = excluded.location, tags = excluded.tags, sku = excluded.sku,
                   peering_service_location = excluded.peering_service_location, provider = excluded.provider,
                   primary_location = excluded.primary_location, backup_location = excluded.backup_location,
                   modified_at = excluded.modified_at, modified_by = excluded.modified_by",
                params![
                    row.subscription, p.rg.to_lowercase(), p.name.to_ascii_lowercase(), row.resource_group, row.name,
                    row.location, tags_json, sku_json, row.peering_service_location, row.provider, row.primary,
                    row.backup, row.created_at, row.created_by, row.modified_at, row.modified_by
                ],
            )?;
            Ok((existing.is_none(), row))
        })
        .await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(json_response(status, &row.to_wire(version), true))
}

pub async fn get(ctx: Ctx, p: ServicePath) -> ApiResult<Response> {
    let version = ctx.version;
    let q = p.clone();
    let row = ctx.db.read(move |tx| get_row(tx, &q.sub, &q.rg, &q.name)).await?;
    let row = row.ok_or_else(|| not_found(&p))?;
    Ok(crate::conditional::read_response(&ctx.headers, &row.to_wire(version)))
}

#[derive(Deserialize)]
struct TagsBody {
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
}

pub async fn patch(ctx: Ctx, caller: Caller, p: ServicePath) -> ApiResult<Response> {
    let body: TagsBody = json_body(&ctx.headers, &ctx.body)?;
    let tags = body.tags.unwrap_or_default();
    let findings = peering_model::tags::check_tags(&tags);
    if findings.has_errors() {
        return Err(ApiError::findings(&findings));
    }
    let version = ctx.version;
    let now = now_rfc3339();
    let db = ctx.db.clone();
    let row = db
        .write(move |tx| -> ApiResult<ServiceRow> {
            let mut row = get_row(tx, &p.sub, &p.rg, &p.name)?.ok_or_else(|| not_found(&p))?;
            check_preconditions(&ctx, Some(&row))?;
            row.tags = Some(tags.clone());
            row.modified_at = now;
            row.modified_by = caller.id.clone();
            tx.execute(
                "UPDATE peering_services SET tags = ?4, modified_at = ?5, modified_by = ?6 WHERE subscription = ?1 AND rg_key = ?2 AND name_key = ?3",
                params![p.sub, p.rg.to_lowercase(), p.name.to_ascii_lowercase(), serde_json::to_string(&tags).unwrap_or_default(), row.modified_at, row.modified_by],
            )?;
            Ok(row)
        })
        .await?;
    Ok(json_response(StatusCode::OK, &row.to_wire(version), true))
}

pub async fn delete(ctx: Ctx, p: ServicePath) -> ApiResult<Response> {
    let db = ctx.db.clone();
    let existed = db
        .write(move |tx| -> ApiResult<bool> {
            let existing = get_row(tx, &p.sub, &p.rg, &p.name)?;
            check_preconditions(&ctx, existing.as_ref())?;
            let n = tx.execute(
                "DELETE FROM peering_services WHERE subscription = ?1 AND rg_key = ?2 AND name_key = ?3",
                params![p.sub, p.rg.to_lowercase(), p.name.to_ascii_lowercase()],
            )?;
            Ok(n > 0)
        })
        .await?;
    Ok(if existed { StatusCode::OK } else { StatusCode::NO_CONTENT }.into_response())
}

/// List by subscription (`rg` None) or by resource group, in (resource group, name) order,
/// paged by key so pages stay stable while items come and go.
pub async fn list(ctx: Ctx, sub: String, rg: Option<String>) -> ApiResult<Response> {
    if let Some(rg) = &rg {
        ResourceGroupName::parse(rg).map_err(|f| ApiError::finding(&f))?;
    }
    let page = PageRequest::from_query(&ctx.query)?;
    let version = ctx.version;
    let p = page.clone();
    let rows = ctx
        .db
        .read(move |tx| -> ApiResult<Vec<ServiceRow>> {
            let (after_rg, after_name) = p.after.clone().unwrap_or_default();
            let limit = (p.size + 1) as i64;
            let rows = match &rg {
                None => {
                    let mut st = tx.prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM peering_services WHERE subscription = ?1 AND (rg_key, name_key) > (?2, ?3) ORDER BY rg_key, name_key LIMIT ?4"
                    ))?;
                    let rows = st.query_map(params![sub, after_rg, after_name, limit], from_row)?.collect::<Result<Vec<_>, _>>()?;
                    rows
                }
                Some(rg) => {
                    let mut st = tx.prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM peering_services WHERE subscription = ?1 AND rg_key = ?2 AND name_key > ?3 ORDER BY name_key LIMIT ?4"
                    ))?;
                    let rows = st.query_map(params![sub, rg.to_lowercase(), after_name, limit], from_row)?.collect::<Result<Vec<_>, _>>()?;
                    rows
                }
            };
            Ok(rows)
        })
        .await?;
    let page = Page::cut(rows, page.size, |r| (r.resource_group.to_lowercase(), r.name.to_ascii_lowercase()));
    let next = page.next.map(|k| ctx.next_link(&k));
    let value: Vec<PeeringService> = page.items.iter().map(|r| r.to_wire(version)).collect();
    Ok(json_response(StatusCode::OK, &peering_model::wire::ListResult { value, next_link: next }, false))
}

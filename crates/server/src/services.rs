//! `Microsoft.Peering/peeringServices`: create/replace, read, tag update, delete, lists.

use crate::arm::{
    encode_segment_display, etag_of_value, json_body, resource_response, ApiVersion, ServicePath,
    NAMESPACE,
};
use crate::error::{ApiError, ApiResult};
use crate::paging::PageRequest;
use crate::{now_rfc3339, Caller, Ctx};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use peering_model::connection::{validate_connection, ConnectionDraft};
use peering_model::names::{NameKind, ResourceGroupName, ResourceName};
use peering_model::wire::{PeeringService, PEERING_SERVICE_TYPE};
use peering_model::Catalog;
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// A stored connection. `tags` and `sku` hold the JSON text they were stored as.
#[derive(Debug, Clone)]
pub struct ServiceRow {
    pub subscription: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub tags: Option<String>,
    pub sku: Option<String>,
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
    Ok(ServiceRow {
        subscription: r.get(0)?,
        resource_group: r.get(1)?,
        name: r.get(2)?,
        location: r.get(3)?,
        tags: r.get(4)?,
        sku: r.get(5)?,
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

/// A text column of a row, borrowed.
fn text<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    r.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn opt_text<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    r.get_ref(i)?.as_str_or_null().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// `PeeringService` as ARM sends it, serialised straight from borrowed strings (a row of the
/// database or a `ServiceRow`), so a list of 100 copies nothing. Every response that carries a
/// connection goes through this one type: a list item and a GET are the same bytes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceJson<'a> {
    id: ServiceId<'a>,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    location: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sku: Option<&'a RawValue>,
    properties: ServicePropertiesJson<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_data: Option<SystemDataJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServicePropertiesJson<'a> {
    peering_service_location: &'a str,
    peering_service_provider: &'a str,
    provider_primary_peering_location: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider_backup_peering_location: Option<&'a str>,
    provisioning_state: &'static str,
}

/// `systemData` (2025-05-01): who created and last changed a resource, and when.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemDataJson<'a> {
    created_by: &'a str,
    created_by_type: &'static str,
    created_at: &'a str,
    last_modified_by: &'a str,
    last_modified_by_type: &'static str,
    last_modified_at: &'a str,
}

impl<'a> SystemDataJson<'a> {
    pub fn new(
        v: ApiVersion,
        created_at: &'a str,
        created_by: &'a str,
        modified_at: &'a str,
        modified_by: &'a str,
    ) -> Option<Self> {
        v.has_system_data().then_some(SystemDataJson {
            created_by,
            created_by_type: "Key",
            created_at,
            last_modified_by: modified_by,
            last_modified_by_type: "Key",
            last_modified_at: modified_at,
        })
    }
}

struct ServiceId<'a> {
    sub: &'a str,
    rg: &'a str,
    name: &'a str,
}

impl std::fmt::Display for ServiceId<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "/subscriptions/{}/resourceGroups/{}/providers/{NAMESPACE}/peeringServices/{}",
            self.sub,
            encode_segment_display(self.rg),
            encode_segment_display(self.name)
        )
    }
}

impl Serialize for ServiceId<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Stored JSON text (tags, sku) as it is; text that does not parse is left out.
fn raw(json: Option<&str>) -> Option<&RawValue> {
    json.and_then(|t| serde_json::from_str::<&RawValue>(t).ok())
}

impl<'a> ServiceJson<'a> {
    /// From a row selected with `COLUMNS`.
    fn from_columns(r: &'a Row<'_>, v: ApiVersion) -> rusqlite::Result<ServiceJson<'a>> {
        let sub = text(r, 0)?;
        let rg = text(r, 1)?;
        let name = text(r, 2)?;
        Ok(ServiceJson {
            id: ServiceId { sub, rg, name },
            name,
            kind: PEERING_SERVICE_TYPE,
            location: text(r, 3)?,
            tags: raw(opt_text(r, 4)?),
            sku: raw(opt_text(r, 5)?),
            properties: ServicePropertiesJson {
                peering_service_location: text(r, 6)?,
                peering_service_provider: text(r, 7)?,
                provider_primary_peering_location: text(r, 8)?,
                provider_backup_peering_location: opt_text(r, 9)?,
                provisioning_state: "Succeeded",
            },
            system_data: SystemDataJson::new(
                v,
                text(r, 10)?,
                text(r, 11)?,
                text(r, 12)?,
                text(r, 13)?,
            ),
        })
    }
}

impl ServiceRow {
    pub fn id(&self) -> String {
        ServiceId {
            sub: &self.subscription,
            rg: &self.resource_group,
            name: &self.name,
        }
        .to_string()
    }

    pub fn json(&self, v: ApiVersion) -> ServiceJson<'_> {
        ServiceJson {
            id: ServiceId {
                sub: &self.subscription,
                rg: &self.resource_group,
                name: &self.name,
            },
            name: &self.name,
            kind: PEERING_SERVICE_TYPE,
            location: &self.location,
            tags: raw(self.tags.as_deref()),
            sku: raw(self.sku.as_deref()),
            properties: ServicePropertiesJson {
                peering_service_location: &self.peering_service_location,
                peering_service_provider: &self.provider,
                provider_primary_peering_location: &self.primary,
                provider_backup_peering_location: self.backup.as_deref(),
                provisioning_state: "Succeeded",
            },
            system_data: SystemDataJson::new(
                v,
                &self.created_at,
                &self.created_by,
                &self.modified_at,
                &self.modified_by,
            ),
        }
    }

    /// The ETag: a hash of the fullest representation, the same for every api-version.
    pub fn etag(&self) -> String {
        etag_of_value(&self.json(ApiVersion::V2025_05_01))
    }
}

pub fn get_row(
    tx: &Transaction<'_>,
    sub: &str,
    rg: &str,
    name: &str,
) -> rusqlite::Result<Option<ServiceRow>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM peering_services WHERE subscription = ?1 AND rg_key = ?2 AND name_key = ?3"
    ))?;
    st.query_row(
        params![sub, rg.to_lowercase(), name.to_ascii_lowercase()],
        from_row,
    )
    .optional()
}

/// Whether the connection exists (the parent of prefixes and monitor tests).
pub fn exists(tx: &Transaction<'_>, p: &ServicePath) -> rusqlite::Result<bool> {
    let mut st = tx.prepare_cached(
        "SELECT 1 FROM peering_services WHERE subscription = ?1 AND rg_key = ?2 AND name_key = ?3",
    )?;
    st.exists(params![
        p.sub,
        p.rg.to_lowercase(),
        p.name.to_ascii_lowercase()
    ])
}

/// The connection's name as first written (for messages), if it exists.
pub fn display_name(tx: &Transaction<'_>, p: &ServicePath) -> rusqlite::Result<Option<String>> {
    let mut st = tx.prepare_cached(
        "SELECT name FROM peering_services WHERE subscription = ?1 AND rg_key = ?2 AND name_key = ?3",
    )?;
    st.query_row(
        params![p.sub, p.rg.to_lowercase(), p.name.to_ascii_lowercase()],
        |r| r.get(0),
    )
    .optional()
}

/// A child resource (prefix, monitor test) was addressed under a connection that does not exist.
pub fn parent_not_found(p: &ServicePath, child_type: &str) -> ApiError {
    ApiError::not_found(
        "ParentResourceNotFound",
        format!(
            "Cannot use resources of type '{NAMESPACE}/peeringServices/{child_type}' because the parent resource '{NAMESPACE}/peeringServices/{}' under resource group '{}' was not found.",
            p.name, p.rg
        ),
    )
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
    ResourceName::parse(NameKind::Connection, "name", &p.name)
        .map_err(|f| ApiError::finding(&f))?;
    Ok(())
}

/// Applies the precondition headers of a write to the current representation.
fn check_preconditions(ctx: &Ctx, current: Option<&ServiceRow>) -> ApiResult<()> {
    if !crate::conditional::has_preconditions(&ctx.headers) {
        return Ok(());
    }
    let etag = current.map(ServiceRow::etag);
    crate::conditional::check_write(&ctx.headers, etag.as_deref())
}

pub async fn put(ctx: Ctx, caller: Caller, p: ServicePath) -> ApiResult<Response> {
    check_path(&p)?;
    let body: PeeringService = json_body(
        &ctx.headers,
        &ctx.body,
        &["", "properties", "sku", "systemData"],
    )?;
    let props = body.properties.clone().unwrap_or_default();
    let draft = ConnectionDraft {
        name: p.name.clone(),
        country: None,
        location: props.peering_service_location.clone().unwrap_or_default(),
        provider: props.peering_service_provider.clone().unwrap_or_default(),
        primary: props
            .provider_primary_peering_location
            .clone()
            .unwrap_or_default(),
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
    let tags_json = body
        .tags
        .as_ref()
        .map(|t| serde_json::to_string(t).unwrap_or_default());
    let sku_json = body
        .sku
        .as_ref()
        .map(|s| serde_json::to_string(s).unwrap_or_default());
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
                tags: tags_json.clone(),
                sku: sku_json.clone(),
                peering_service_location: valid.location.clone(),
                provider: valid.provider.clone(),
                primary: valid.primary.clone(),
                backup: valid.backup.clone(),
                created_at: existing.as_ref().map_or(now.clone(), |e| e.created_at.clone()),
                created_by: existing.as_ref().map_or(caller.id.clone(), |e| e.created_by.clone()),
                modified_at: now.clone(),
                modified_by: caller.id.clone(),
            };
            tx.prepare_cached(
                "INSERT INTO peering_services (subscription, rg_key, name_key, resource_group, name, location, tags, sku, peering_service_location, provider, primary_location, backup_location, created_at, created_by, modified_at, modified_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
                 ON CONFLICT (subscription, rg_key, name_key) DO UPDATE SET
                   location = excluded.location, tags = excluded.tags, sku = excluded.sku,
                   peering_service_location = excluded.peering_service_location, provider = excluded.provider,
                   primary_location = excluded.primary_location, backup_location = excluded.backup_location,
                   modified_at = excluded.modified_at, modified_by = excluded.modified_by",
            )?
            .execute(params![
                row.subscription, p.rg.to_lowercase(), p.name.to_ascii_lowercase(), row.resource_group, row.name,
                row.location, row.tags, row.sku, row.peering_service_location, row.provider, row.primary,
                row.backup, row.created_at, row.created_by, row.modified_at, row.modified_by
            ])?;
            Ok((existing.is_none(), row))
        })
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(resource_response(status, &row.json(version), &row.etag()))
}

pub async fn get(ctx: Ctx, p: ServicePath) -> ApiResult<Response> {
    let version = ctx.version;
    let q = p.clone();
    let row = ctx
        .db
        .read(move |tx| get_row(tx, &q.sub, &q.rg, &q.name))
        .await?;
    let row = row.ok_or_else(|| not_found(&p))?;
    Ok(crate::conditional::read_response(
        &ctx.headers,
        &row.json(version),
        &row.etag(),
    ))
}

#[derive(Deserialize)]
struct TagsBody {
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
}

pub async fn patch(ctx: Ctx, caller: Caller, p: ServicePath) -> ApiResult<Response> {
    let body: TagsBody = json_body(&ctx.headers, &ctx.body, &[""])?;
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
            row.tags = Some(serde_json::to_string(&tags).map_err(ApiError::internal)?);
            row.modified_at = now;
            row.modified_by = caller.id.clone();
            tx.prepare_cached(
                "UPDATE peering_services SET tags = ?4, modified_at = ?5, modified_by = ?6 WHERE subscription = ?1 AND rg_key = ?2 AND name_key = ?3",
            )?
            .execute(params![p.sub, p.rg.to_lowercase(), p.name.to_ascii_lowercase(), row.tags, row.modified_at, row.modified_by])?;
            Ok(row)
        })
        .await?;
    Ok(resource_response(
        StatusCode::OK,
        &row.json(version),
        &row.etag(),
    ))
}

pub async fn delete(ctx: Ctx, p: ServicePath) -> ApiResult<Response> {
    let db = ctx.db.clone();
    let existed = db
        .write(move |tx| -> ApiResult<bool> {
            let existing = get_row(tx, &p.sub, &p.rg, &p.name)?;
            check_preconditions(&ctx, existing.as_ref())?;
            let n = tx
                .prepare_cached("DELETE FROM peering_services WHERE subscription = ?1 AND rg_key = ?2 AND name_key = ?3")?
                .execute(params![p.sub, p.rg.to_lowercase(), p.name.to_ascii_lowercase()])?;
            Ok(n > 0)
        })
        .await?;
    Ok(if existed {
        StatusCode::OK
    } else {
        StatusCode::NO_CONTENT
    }
    .into_response())
}

/// The key of a connection in list order: (resource group, name), both lower case.
type PageKey = (String, String);

/// List by subscription (`rg` None) or by resource group, in (resource group, name) order,
/// paged by key so pages stay stable while items come and go. The items are written to the
/// response straight from the rows.
pub async fn list(ctx: Ctx, sub: String, rg: Option<String>) -> ApiResult<Response> {
    if let Some(rg) = &rg {
        ResourceGroupName::parse(rg).map_err(|f| ApiError::finding(&f))?;
    }
    let page = PageRequest::from_query(&ctx.query)?;
    let version = ctx.version;
    let (items, next) = ctx
        .db
        .read(move |tx| -> ApiResult<(Vec<u8>, Option<PageKey>)> {
            let (after_rg, after_name) = page.after.clone().unwrap_or_default();
            let limit = (page.size + 1) as i64;
            let mut st = match &rg {
                None => tx.prepare_cached(&format!(
                    "SELECT {COLUMNS}, rg_key, name_key FROM peering_services WHERE subscription = ?1 AND (rg_key, name_key) > (?2, ?3) ORDER BY rg_key, name_key LIMIT ?4"
                ))?,
                Some(_) => tx.prepare_cached(&format!(
                    "SELECT {COLUMNS}, rg_key, name_key FROM peering_services WHERE subscription = ?1 AND rg_key = ?2 AND name_key > ?3 ORDER BY name_key LIMIT ?4"
                ))?,
            };
            let mut rows = match &rg {
                None => st.query(params![sub, after_rg, after_name, limit])?,
                Some(rg) => st.query(params![sub, rg.to_lowercase(), after_name, limit])?,
            };
            let mut items = Vec::with_capacity(page.size * 640);
            let mut count = 0;
            let mut last: Option<(String, String)> = None;
            while let Some(r) = rows.next()? {
                if count == page.size {
                    // One more row than the page: there is a next page, after the last item.
                    return Ok((items, last));
                }
                if count > 0 {
                    items.push(b',');
                }
                serde_json::to_writer(&mut items, &ServiceJson::from_columns(r, version)?).map_err(ApiError::internal)?;
                count += 1;
                if count == page.size {
                    last = Some((text(r, 14)?.to_owned(), text(r, 15)?.to_owned()));
                }
            }
            Ok((items, None))
        })
        .await?;
    let next = next.map(|k| ctx.next_link(&k));
    Ok(crate::arm::list_response(items, next.as_deref()))
}

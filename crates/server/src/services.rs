//! `Microsoft.Peering/peeringServices`: create/replace, read, tag update, delete, lists.

use crate::arm::{
    encode_segment_display, etag_of, etag_of_value, json_body, json_bytes_response, ApiVersion,
    ListBody, ServicePath, NAMESPACE,
};
use crate::error::{ApiError, ApiResult};
use crate::paging::PageRequest;
use crate::{now_rfc3339, Caller, Ctx};
use axum::http::StatusCode;
use axum::response::Response;
use peering_model::connection::{check_replace, validate_connection, ConnectionDraft, CreateOnly};
use peering_model::names::{NameKind, ResourceGroupName, ResourceName};
use peering_model::wire::{PeeringService, PEERING_SERVICE_TYPE};
use peering_model::Catalog;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
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

/// `PeeringService` as ARM sends it, serialised from borrowed strings when a connection is
/// written, into the representation stored with it ([`StoredJson`]); every response that
/// carries a connection is that stored text, so a list item and a GET are the same bytes.
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

    /// The representation of every api-version, as it is stored with the connection.
    pub fn stored_json(&self) -> ApiResult<StoredJson> {
        let full = self.json(ApiVersion::V2025_05_01);
        let system_data = serde_json::to_string(&full.system_data).map_err(ApiError::internal)?;
        let full = serde_json::to_string(&full).map_err(ApiError::internal)?;
        // `systemData` is the last member: the JSON of earlier api-versions is `full` without it.
        let body = full
            .strip_suffix('}')
            .and_then(|f| f.strip_suffix(system_data.as_str()))
            .and_then(|f| f.strip_suffix(",\"systemData\":"))
            .ok_or_else(|| {
                ApiError::internal("systemData is not the last member of a connection")
            })?;
        Ok(StoredJson {
            system_data: full[body.len()..full.len() - 1].to_owned(),
            etag: etag_of(full.as_bytes()),
            body: body.to_owned(),
        })
    }
}

/// The version of [`StoredJson`]'s format: change it whenever the representation of a
/// connection changes, and the server rewrites the stored ones when it opens the database.
const JSON_FORMAT: i64 = 1;

/// A connection's representation as stored in `peering_service_json` (migration 0003).
pub struct StoredJson {
    /// The JSON object without its closing brace: the same for every api-version.
    pub body: String,
    /// `,"systemData":{...}`, added for 2025-05-01.
    pub system_data: String,
    /// The hash of the fullest representation.
    pub etag: String,
}

impl StoredJson {
    /// The JSON for api-version `v`.
    pub fn render(&self, v: ApiVersion) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + self.system_data.len() + 1);
        write_json(
            &mut out,
            self.body.as_bytes(),
            self.system_data.as_bytes(),
            v,
        );
        out
    }

    /// Stores it as the representation of the connection with keys (rg_key, name_key).
    fn store(
        &self,
        tx: &Connection,
        sub: &str,
        rg_key: &str,
        name_key: &str,
    ) -> rusqlite::Result<()> {
        tx.prepare_cached(
            "INSERT INTO peering_service_json (subscription, rg_key, name_key, format, body, system_data, etag)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (subscription, rg_key, name_key) DO UPDATE SET
               format = excluded.format, body = excluded.body, system_data = excluded.system_data, etag = excluded.etag",
        )?
        .execute(params![sub, rg_key, name_key, JSON_FORMAT, self.body, self.system_data, self.etag])?;
        Ok(())
    }
}

/// A connection's JSON for api-version `v` from its stored parts.
fn write_json(out: &mut Vec<u8>, body: &[u8], system_data: &[u8], v: ApiVersion) {
    out.extend_from_slice(body);
    if v.has_system_data() {
        out.extend_from_slice(system_data);
    }
    out.push(b'}');
}

/// A text column of a row as bytes (no copy, no UTF-8 check: it goes out as it is).
fn bytes<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<&'r [u8]> {
    r.get_ref(i)?.as_bytes().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Writes the stored representation of every connection that has none, or one of another
/// format (a database written before migration 0003, or by an older server). Runs when the
/// database is opened; returns how many it wrote.
pub fn sync_stored_json(conn: &Connection) -> rusqlite::Result<usize> {
    let tx = conn.unchecked_transaction()?;
    let stale: Vec<(String, String, ServiceRow)> = {
        let mut st = tx.prepare(&format!(
            "SELECT {COLUMNS}, s.rg_key, s.name_key FROM peering_services s
             WHERE NOT EXISTS (SELECT 1 FROM peering_service_json j WHERE j.subscription = s.subscription
                 AND j.rg_key = s.rg_key AND j.name_key = s.name_key AND j.format = ?1)"
        ))?;
        let rows = st.query_map(params![JSON_FORMAT], |r| {
            Ok((r.get(14)?, r.get(15)?, from_row(r)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    for (rg_key, name_key, row) in &stale {
        let json = row
            .stored_json()
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.message.into()))?;
        json.store(&tx, &row.subscription, rg_key, name_key)?;
    }
    tx.commit()?;
    Ok(stale.len())
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
    st.exists(params![p.sub, p.rg_key(), p.name_key()])
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
    let Some(mut valid) = valid else {
        return Err(ApiError::findings(&findings));
    };
    // A replacement that leaves `location` out keeps the stored region (it is create-only); a
    // new connection gets its customer location's region.
    let region_given = body.location.as_deref().is_some_and(|l| !l.is_empty());
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
    let (created, json) = db
        .write(move |tx| -> ApiResult<(bool, StoredJson)> {
            let existing = get_row(tx, &p.sub, &p.rg, &p.name)?;
            crate::conditional::check_write_with(&ctx.headers, existing.as_ref(), ServiceRow::etag)?;
            if let Some(e) = &existing {
                if !region_given {
                    valid.azure_region = e.location.clone();
                }
                replace_allowed(e, &valid)?;
            }
            let row = ServiceRow {
                subscription: p.sub.clone(),
                resource_group: existing.as_ref().map_or(p.rg.clone(), |e| e.resource_group.clone()),
                name: existing.as_ref().map_or(p.name.clone(), |e| e.name.clone()),
                // Create-only: a replacement keeps the stored spelling of the same region.
                location: existing.as_ref().map_or(valid.azure_region.clone(), |e| e.location.clone()),
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
                row.subscription, p.rg_key(), p.name_key(), row.resource_group, row.name,
                row.location, row.tags, row.sku, row.peering_service_location, row.provider, row.primary,
                row.backup, row.created_at, row.created_by, row.modified_at, row.modified_by
            ])?;
            let json = row.stored_json()?;
            json.store(tx, &p.sub, &p.rg_key(), &p.name_key())?;
            Ok((existing.is_none(), json))
        })
        .await?;
    let status = crate::arm::put_status(created);
    Ok(json_bytes_response(
        status,
        json.render(version),
        Some(&json.etag),
    ))
}

pub async fn get(ctx: Ctx, p: ServicePath) -> ApiResult<Response> {
    let version = ctx.version;
    let q = p.clone();
    let found = ctx
        .db
        .read(move |tx| -> rusqlite::Result<Option<(Vec<u8>, String)>> {
            let mut st = tx.prepare_cached(
                "SELECT body, system_data, etag FROM peering_service_json WHERE subscription = ?1 AND rg_key = ?2 AND name_key = ?3",
            )?;
            let mut rows = st.query(params![q.sub, q.rg_key(), q.name_key()])?;
            let Some(r) = rows.next()? else {
                return Ok(None);
            };
            let mut json = Vec::with_capacity(1024);
            write_json(&mut json, bytes(r, 0)?, bytes(r, 1)?, version);
            Ok(Some((json, r.get(2)?)))
        })
        .await?;
    let (json, etag) = found.ok_or_else(|| not_found(&p))?;
    Ok(crate::conditional::read_bytes_response(
        &ctx.headers,
        json,
        &etag,
    ))
}

/// A PUT replacing the stored connection `e` with `valid`: the create-only fields (region,
/// primary and backup peering locations) must not change. Checked by the model; a changed
/// region is 400 (ARM's `InvalidResourceLocation`), a changed peering location 409 (a conflict
/// with the stored connection, as a changed prefix value is).
fn replace_allowed(
    e: &ServiceRow,
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
            let status = if first.code == peering_model::Code::InvalidResourceLocation {
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

pub async fn patch(ctx: Ctx, caller: Caller, p: ServicePath) -> ApiResult<Response> {
    let body: TagsBody = json_body(&ctx.headers, &ctx.body, &[""])?;
    if let Some(tags) = &body.tags {
        let findings = peering_model::tags::check_tags(tags);
        if findings.has_errors() {
            return Err(ApiError::findings(&findings));
        }
    }
    let version = ctx.version;
    let now = now_rfc3339();
    let db = ctx.db.clone();
    let json = db
        .write(move |tx| -> ApiResult<StoredJson> {
            let mut row = get_row(tx, &p.sub, &p.rg, &p.name)?.ok_or_else(|| not_found(&p))?;
            crate::conditional::check_write_with(&ctx.headers, Some(&row), ServiceRow::etag)?;
            let Some(tags) = body.tags else {
                // Nothing to change: the connection as it is, not even its modification time.
                return row.stored_json();
            };
            row.tags = Some(serde_json::to_string(&tags).map_err(ApiError::internal)?);
            row.modified_at = now;
            row.modified_by = caller.id.clone();
            tx.prepare_cached(
                "UPDATE peering_services SET tags = ?4, modified_at = ?5, modified_by = ?6 WHERE subscription = ?1 AND rg_key = ?2 AND name_key = ?3",
            )?
            .execute(params![p.sub, p.rg_key(), p.name_key(), row.tags, row.modified_at, row.modified_by])?;
            let json = row.stored_json()?;
            json.store(tx, &p.sub, &p.rg_key(), &p.name_key())?;
            Ok(json)
        })
        .await?;
    Ok(json_bytes_response(
        StatusCode::OK,
        json.render(version),
        Some(&json.etag),
    ))
}

pub async fn delete(ctx: Ctx, p: ServicePath) -> ApiResult<Response> {
    let db = ctx.db.clone();
    let existed = db
        .write(move |tx| -> ApiResult<bool> {
            let existing = get_row(tx, &p.sub, &p.rg, &p.name)?;
            crate::conditional::check_write_with(&ctx.headers, existing.as_ref(), ServiceRow::etag)?;
            let n = tx
                .prepare_cached("DELETE FROM peering_services WHERE subscription = ?1 AND rg_key = ?2 AND name_key = ?3")?
                .execute(params![p.sub, p.rg_key(), p.name_key()])?;
            Ok(n > 0)
        })
        .await?;
    Ok(crate::arm::delete_response(existed))
}

/// The key of a connection in list order: (resource group, name), both lower case.
type PageKey = (String, String);

/// List by subscription (`rg` None) or by resource group, in (resource group, name) order,
/// paged by key so pages stay stable while items come and go. The items are the stored
/// representations, copied into the response one after the other.
pub async fn list(ctx: Ctx, sub: String, rg: Option<String>) -> ApiResult<Response> {
    if let Some(rg) = &rg {
        ResourceGroupName::parse(rg).map_err(|f| ApiError::finding(&f))?;
    }
    let page = PageRequest::from_query(&ctx.query)?;
    let version = ctx.version;
    let (body, next) = ctx
        .db
        .read(move |tx| -> rusqlite::Result<(ListBody, Option<PageKey>)> {
            let (after_rg, after_name) = page.after.clone().unwrap_or_default();
            let limit = (page.size + 1) as i64;
            let mut st = match &rg {
                None => tx.prepare_cached(
                    "SELECT body, system_data, rg_key, name_key FROM peering_service_json WHERE subscription = ?1 AND (rg_key, name_key) > (?2, ?3) ORDER BY rg_key, name_key LIMIT ?4",
                )?,
                Some(_) => tx.prepare_cached(
                    "SELECT body, system_data, rg_key, name_key FROM peering_service_json WHERE subscription = ?1 AND rg_key = ?2 AND name_key > ?3 ORDER BY name_key LIMIT ?4",
                )?,
            };
            let mut rows = match &rg {
                None => st.query(params![sub, after_rg, after_name, limit])?,
                Some(rg) => st.query(params![sub, rg.to_lowercase(), after_name, limit])?,
            };
            let mut body = ListBody::with_capacity(page.size * 768);
            let mut count = 0;
            let mut last: Option<PageKey> = None;
            while let Some(r) = rows.next()? {
                if count == page.size {
                    // One more row than the page: there is a next page, after the last item.
                    return Ok((body, last));
                }
                write_json(body.next_item(), bytes(r, 0)?, bytes(r, 1)?, version);
                count += 1;
                if count == page.size {
                    last = Some((r.get(2)?, r.get(3)?));
                }
            }
            Ok((body, None))
        })
        .await?;
    let next = next.map(|k| ctx.next_link(&k));
    Ok(body.into_response(next.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(tags: Option<&str>, sku: Option<&str>, backup: Option<&str>) -> ServiceRow {
        ServiceRow {
            subscription: "00000000-0000-0000-0000-0000000000aa".into(),
            resource_group: "Rg-(1) ü".into(),
            name: "Conn.a_b".into(),
            location: "West US 2".into(),
            tags: tags.map(Into::into),
            sku: sku.map(Into::into),
            peering_service_location: "Washington".into(),
            provider: "equinix MAPS".into(),
            primary: "seattle".into(),
            backup: backup.map(Into::into),
            created_at: "2025-01-02T03:04:05Z".into(),
            created_by: "token-\"quoted\"".into(),
            modified_at: "2025-01-02T03:04:06Z".into(),
            modified_by: "token-b".into(),
        }
    }

    /// The stored representation is byte for byte what serialising the connection gives, in
    /// every api-version, and its ETag is the connection's.
    #[test]
    fn stored_json_is_the_serialised_connection() {
        for r in [
            row(None, None, None),
            row(
                Some(r#"{"a b":"<&>\"\u00e9","x":"1"}"#),
                Some(r#"{"name":"Standard_Free"}"#),
                Some("san Jose"),
            ),
        ] {
            let stored = r.stored_json().unwrap();
            for v in [
                ApiVersion::V2021_06_01,
                ApiVersion::V2022_10_01,
                ApiVersion::V2025_05_01,
            ] {
                assert_eq!(
                    String::from_utf8(stored.render(v)).unwrap(),
                    serde_json::to_string(&r.json(v)).unwrap()
                );
            }
            assert_eq!(stored.etag, r.etag());
            assert!(stored.system_data.starts_with(",\"systemData\":{"));
        }
    }
}

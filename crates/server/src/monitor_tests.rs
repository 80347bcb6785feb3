//! `peeringServices/{name}/connectionMonitorTests`: create/replace, read, delete, list.
//! Tests are stored as written; no agent runs them yet, so `isTestSuccessful` is false and
//! `path` is empty.

use crate::arm::{
    encode_segment, etag_of_value, json_body, json_response, resource_response, ApiVersion,
    ServicePath, NAMESPACE,
};
use crate::error::{ApiError, ApiResult};
use crate::paging::{Page, PageRequest};
use crate::services::{self, check_path, parent_not_found};
use crate::{now_rfc3339, system_data, Caller, Ctx};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use peering_model::connection::{validate_monitor_test, MonitorTestDraft};
use peering_model::names::{NameKind, ResourceName};
use peering_model::wire::{ListResult, SystemData, MONITOR_TEST_TYPE};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorTestProperties {
    pub source_agent: String,
    pub destination: String,
    pub destination_port: i64,
    pub test_frequency_in_sec: i64,
    pub is_test_successful: bool,
    pub path: Vec<String>,
    pub provisioning_state: &'static str,
}

/// `ConnectionMonitorTest` as ARM sends it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorTestWire {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub properties: MonitorTestProperties,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_data: Option<SystemData>,
}

#[derive(Debug, Default, Deserialize)]
struct MonitorTestBody {
    #[serde(default)]
    properties: Option<MonitorTestBodyProperties>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MonitorTestBodyProperties {
    #[serde(default)]
    source_agent: Option<String>,
    #[serde(default)]
    destination: Option<String>,
    #[serde(default)]
    destination_port: Option<i64>,
    #[serde(default)]
    test_frequency_in_sec: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct MonitorTestRow {
    pub subscription: String,
    pub resource_group: String,
    pub connection: String,
    pub name: String,
    pub source_agent: String,
    pub destination: String,
    pub destination_port: i64,
    pub frequency_sec: i64,
    pub created_at: String,
    pub created_by: String,
    pub modified_at: String,
    pub modified_by: String,
}

const SELECT: &str = "SELECT t.subscription, s.resource_group, s.name, t.name, t.source_agent, t.destination, t.destination_port, t.frequency_sec, t.created_at, t.created_by, t.modified_at, t.modified_by
     FROM monitor_tests t JOIN peering_services s ON s.subscription = t.subscription AND s.rg_key = t.rg_key AND s.name_key = t.service_key";

fn from_row(r: &Row<'_>) -> rusqlite::Result<MonitorTestRow> {
    Ok(MonitorTestRow {
        subscription: r.get(0)?,
        resource_group: r.get(1)?,
        connection: r.get(2)?,
        name: r.get(3)?,
        source_agent: r.get(4)?,
        destination: r.get(5)?,
        destination_port: r.get(6)?,
        frequency_sec: r.get(7)?,
        created_at: r.get(8)?,
        created_by: r.get(9)?,
        modified_at: r.get(10)?,
        modified_by: r.get(11)?,
    })
}

impl MonitorTestRow {
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{NAMESPACE}/peeringServices/{}/connectionMonitorTests/{}",
            self.subscription,
            encode_segment(&self.resource_group),
            encode_segment(&self.connection),
            encode_segment(&self.name)
        )
    }

    pub fn to_wire(&self, v: ApiVersion) -> MonitorTestWire {
        MonitorTestWire {
            id: self.id(),
            name: self.name.clone(),
            kind: MONITOR_TEST_TYPE,
            properties: MonitorTestProperties {
                source_agent: self.source_agent.clone(),
                destination: self.destination.clone(),
                destination_port: self.destination_port,
                test_frequency_in_sec: self.frequency_sec,
                is_test_successful: false,
                path: Vec::new(),
                provisioning_state: "Succeeded",
            },
            system_data: system_data(
                v,
                &self.created_at,
                &self.created_by,
                &self.modified_at,
                &self.modified_by,
            ),
        }
    }

    pub fn etag(&self) -> String {
        etag_of_value(&self.to_wire(ApiVersion::V2025_05_01))
    }
}

fn keys(p: &ServicePath) -> (String, String) {
    (p.rg.to_lowercase(), p.name.to_ascii_lowercase())
}

fn get_row(
    tx: &Transaction<'_>,
    p: &ServicePath,
    name: &str,
) -> rusqlite::Result<Option<MonitorTestRow>> {
    let (rg_key, service_key) = keys(p);
    let mut st = tx.prepare_cached(&format!(
        "{SELECT} WHERE t.subscription = ?1 AND t.rg_key = ?2 AND t.service_key = ?3 AND t.name_key = ?4"
    ))?;
    st.query_row(
        params![p.sub, rg_key, service_key, name.to_ascii_lowercase()],
        from_row,
    )
    .optional()
}

pub fn not_found(p: &ServicePath, name: &str) -> ApiError {
    ApiError::not_found(
        "ResourceNotFound",
        format!(
            "The Resource '{NAMESPACE}/peeringServices/{}/connectionMonitorTests/{name}' under resource group '{}' was not found.",
            p.name, p.rg
        ),
    )
}

fn check_preconditions(ctx: &Ctx, current: Option<&MonitorTestRow>) -> ApiResult<()> {
    if !crate::conditional::has_preconditions(&ctx.headers) {
        return Ok(());
    }
    let etag = current.map(MonitorTestRow::etag);
    crate::conditional::check_write(&ctx.headers, etag.as_deref())
}

pub async fn put(ctx: Ctx, caller: Caller, p: ServicePath, name: String) -> ApiResult<Response> {
    check_path(&p)?;
    ResourceName::parse(NameKind::MonitorTest, "name", &name).map_err(|f| ApiError::finding(&f))?;
    let body: MonitorTestBody = json_body(&ctx.headers, &ctx.body, &["", "properties"])?;
    let props = body.properties.unwrap_or_default();
    let draft = MonitorTestDraft {
        source_agent: props.source_agent.unwrap_or_default(),
        destination: props.destination.unwrap_or_default(),
        destination_port: props.destination_port.unwrap_or(0),
        test_frequency_in_sec: props.test_frequency_in_sec.unwrap_or(0),
    };
    let findings = validate_monitor_test(&draft);
    if findings.has_errors() {
        return Err(ApiError::findings(&findings));
    }
    let version = ctx.version;
    let now = now_rfc3339();
    let db = ctx.db.clone();
    let (created, row) = db
        .write(move |tx| -> ApiResult<(bool, MonitorTestRow)> {
            if !services::exists(tx, &p)? {
                return Err(parent_not_found(&p, "connectionMonitorTests"));
            }
            let existing = get_row(tx, &p, &name)?;
            check_preconditions(&ctx, existing.as_ref())?;
            let (rg_key, service_key) = keys(&p);
            tx.prepare_cached(
                "INSERT INTO monitor_tests (subscription, rg_key, service_key, name_key, name, source_agent, destination, destination_port, frequency_sec,
                     created_at, modified_at, created_by, modified_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?11)
                 ON CONFLICT (subscription, rg_key, service_key, name_key) DO UPDATE SET
                     source_agent = excluded.source_agent, destination = excluded.destination,
                     destination_port = excluded.destination_port, frequency_sec = excluded.frequency_sec,
                     modified_at = excluded.modified_at, modified_by = excluded.modified_by",
            )?
            .execute(params![
                p.sub, rg_key, service_key, name.to_ascii_lowercase(), name, draft.source_agent, draft.destination,
                draft.destination_port, draft.test_frequency_in_sec, now, caller.id
            ])?;
            let row = get_row(tx, &p, &name)?.ok_or_else(|| ApiError::internal("monitor test vanished inside its transaction"))?;
            Ok((existing.is_none(), row))
        })
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(resource_response(
        status,
        &row.to_wire(version),
        &row.etag(),
    ))
}

pub async fn get(ctx: Ctx, p: ServicePath, name: String) -> ApiResult<Response> {
    let version = ctx.version;
    let q = p.clone();
    let row = ctx
        .db
        .read(move |tx| -> ApiResult<MonitorTestRow> {
            match get_row(tx, &q, &name)? {
                Some(row) => Ok(row),
                None if !services::exists(tx, &q)? => {
                    Err(parent_not_found(&q, "connectionMonitorTests"))
                }
                None => Err(not_found(&q, &name)),
            }
        })
        .await?;
    Ok(crate::conditional::read_response(
        &ctx.headers,
        &row.to_wire(version),
        &row.etag(),
    ))
}

pub async fn delete(ctx: Ctx, p: ServicePath, name: String) -> ApiResult<Response> {
    let db = ctx.db.clone();
    let existed = db
        .write(move |tx| -> ApiResult<bool> {
            if !services::exists(tx, &p)? {
                return Err(parent_not_found(&p, "connectionMonitorTests"));
            }
            let existing = if crate::conditional::has_preconditions(&ctx.headers) { get_row(tx, &p, &name)? } else { None };
            check_preconditions(&ctx, existing.as_ref())?;
            let (rg_key, service_key) = keys(&p);
            let n = tx
                .prepare_cached("DELETE FROM monitor_tests WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND name_key = ?4")?
                .execute(params![p.sub, rg_key, service_key, name.to_ascii_lowercase()])?;
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

pub async fn list(ctx: Ctx, p: ServicePath) -> ApiResult<Response> {
    let page = PageRequest::from_query(&ctx.query)?;
    let version = ctx.version;
    let req = page.clone();
    let rows = ctx
        .db
        .read(move |tx| -> ApiResult<Vec<MonitorTestRow>> {
            if !services::exists(tx, &p)? {
                return Err(parent_not_found(&p, "connectionMonitorTests"));
            }
            let (rg_key, service_key) = keys(&p);
            let after = req.after.map(|(_, n)| n).unwrap_or_default();
            let mut st = tx.prepare_cached(&format!(
                "{SELECT} WHERE t.subscription = ?1 AND t.rg_key = ?2 AND t.service_key = ?3 AND t.name_key > ?4 ORDER BY t.name_key LIMIT ?5"
            ))?;
            let rows = st
                .query_map(params![p.sub, rg_key, service_key, after, (req.size + 1) as i64], from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await?;
    let page = Page::cut(rows, page.size, |r| {
        (String::new(), r.name.to_ascii_lowercase())
    });
    let next = page.next.map(|k| ctx.next_link(&k));
    let value: Vec<MonitorTestWire> = page.items.iter().map(|r| r.to_wire(version)).collect();
    Ok(json_response(
        StatusCode::OK,
        &ListResult {
            value,
            next_link: next,
        },
    ))
}

//! `peeringServices/{name}/prefixes`: create/update, read (with `$expand=events`), delete, list.
//!
//! A prefix's value is checked by `peering-model` (IPv4, canonical, public), its key must be
//! a GUID, its value cannot change once stored, and it must not overlap any other prefix of
//! the subscription. The overlap check reads the stored prefixes that can overlap the
//! candidate through the `(subscription, prefix_addr)` index inside the write transaction; the
//! one writer connection serialises writers, so two overlapping PUTs can never both pass.

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
use peering_model::names::{NameKind, ResourceName};
use peering_model::prefix::{
    check_prefix_key, check_prefix_value, immutable_finding, overlap_finding, relation,
    ExistingPrefix, Ipv4Prefix,
};
use peering_model::wire::{ListResult, SystemData, PREFIX_TYPE};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};

/// The validation state of a new prefix: there is no route telemetry yet to decide it.
pub const INITIAL_STATE: &str = "Pending";
pub const INITIAL_LEARNED_TYPE: &str = "None";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrefixEvent {
    pub event_timestamp: String,
    pub event_type: String,
    pub event_summary: String,
    pub event_level: String,
    pub event_description: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrefixProperties {
    pub prefix: String,
    pub prefix_validation_state: String,
    pub learned_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peering_service_prefix_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<PrefixEvent>>,
    pub provisioning_state: &'static str,
}

/// `PeeringServicePrefix` as ARM sends it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrefixWire {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub properties: PrefixProperties,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_data: Option<SystemData>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrefixBody {
    #[serde(default)]
    properties: Option<PrefixBodyProperties>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrefixBodyProperties {
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    peering_service_prefix_key: Option<String>,
}

/// A stored prefix, with the casing of its connection and resource group.
#[derive(Debug, Clone)]
pub struct PrefixRow {
    pub subscription: String,
    pub resource_group: String,
    pub connection: String,
    pub name: String,
    pub prefix: String,
    pub key: Option<String>,
    pub validation_state: String,
    pub learned_type: String,
    pub error_message: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub modified_at: String,
    pub modified_by: String,
    pub events: Vec<PrefixEvent>,
}

const SELECT: &str = "SELECT p.subscription, s.resource_group, s.name, p.name, p.prefix, p.prefix_key, p.validation_state, p.learned_type, p.error_message, p.created_at, p.created_by, p.modified_at, p.modified_by
     FROM prefixes p JOIN peering_services s ON s.subscription = p.subscription AND s.rg_key = p.rg_key AND s.name_key = p.service_key";

fn from_row(r: &Row<'_>) -> rusqlite::Result<PrefixRow> {
    Ok(PrefixRow {
        subscription: r.get(0)?,
        resource_group: r.get(1)?,
        connection: r.get(2)?,
        name: r.get(3)?,
        prefix: r.get(4)?,
        key: r.get(5)?,
        validation_state: r.get(6)?,
        learned_type: r.get(7)?,
        error_message: r.get(8)?,
        created_at: r.get(9)?,
        created_by: r.get(10)?,
        modified_at: r.get(11)?,
        modified_by: r.get(12)?,
        events: Vec::new(),
    })
}

impl PrefixRow {
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{NAMESPACE}/peeringServices/{}/prefixes/{}",
            self.subscription,
            encode_segment(&self.resource_group),
            encode_segment(&self.connection),
            encode_segment(&self.name)
        )
    }

    pub fn to_wire(&self, v: ApiVersion, expand_events: bool) -> PrefixWire {
        PrefixWire {
            id: self.id(),
            name: self.name.clone(),
            kind: PREFIX_TYPE,
            properties: PrefixProperties {
                prefix: self.prefix.clone(),
                prefix_validation_state: self.validation_state.clone(),
                learned_type: self.learned_type.clone(),
                error_message: self.error_message.clone(),
                peering_service_prefix_key: self.key.clone(),
                events: expand_events.then(|| self.events.clone()),
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

    /// A hash of the fullest representation (2025-05-01, events included).
    pub fn etag(&self) -> String {
        etag_of_value(&self.to_wire(ApiVersion::V2025_05_01, true))
    }
}

fn keys(p: &ServicePath) -> (String, String) {
    (p.rg.to_lowercase(), p.name.to_ascii_lowercase())
}

fn load_events(
    tx: &Transaction<'_>,
    row: &mut PrefixRow,
    rg_key: &str,
    service_key: &str,
) -> rusqlite::Result<()> {
    let mut st = tx.prepare_cached(
        "SELECT event_timestamp, event_type, event_summary, event_level, event_description FROM prefix_events
         WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND prefix_key = ?4 ORDER BY seq",
    )?;
    row.events = st
        .query_map(
            params![
                row.subscription,
                rg_key,
                service_key,
                row.name.to_ascii_lowercase()
            ],
            |r| {
                Ok(PrefixEvent {
                    event_timestamp: r.get(0)?,
                    event_type: r.get(1)?,
                    event_summary: r.get(2)?,
                    event_level: r.get(3)?,
                    event_description: r.get(4)?,
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    Ok(())
}

/// One prefix with its events.
fn get_row(
    tx: &Transaction<'_>,
    p: &ServicePath,
    name: &str,
) -> rusqlite::Result<Option<PrefixRow>> {
    let (rg_key, service_key) = keys(p);
    let mut st = tx.prepare_cached(&format!(
        "{SELECT} WHERE p.subscription = ?1 AND p.rg_key = ?2 AND p.service_key = ?3 AND p.name_key = ?4"
    ))?;
    let row = st
        .query_row(
            params![p.sub, rg_key, service_key, name.to_ascii_lowercase()],
            from_row,
        )
        .optional()?;
    match row {
        None => Ok(None),
        Some(mut row) => {
            load_events(tx, &mut row, &rg_key, &service_key)?;
            Ok(Some(row))
        }
    }
}

/// A stored prefix that may overlap a candidate, with where it lives.
struct Stored {
    existing: ExistingPrefix,
    key: (String, String, String),
}

/// Every stored prefix of the subscription that overlaps `candidate`. Two CIDR prefixes
/// overlap exactly when one contains the other, so the overlapping ones are (a) those whose
/// first address lies inside the candidate (one index range) and (b) those that contain the
/// candidate and start before it: for each shorter length there is only one such value, so
/// these are at most 32 index lookups. No scan of the subscription's prefixes.
fn overlapping(
    tx: &Transaction<'_>,
    sub: &str,
    candidate: Ipv4Prefix,
) -> rusqlite::Result<Vec<Stored>> {
    let columns = "SELECT p.prefix, p.name, s.name, p.rg_key, p.service_key, p.name_key
         FROM prefixes p JOIN peering_services s ON s.subscription = p.subscription AND s.rg_key = p.rg_key AND s.name_key = p.service_key";
    let map = |r: &Row<'_>| -> rusqlite::Result<(String, String, String, String, String, String)> {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    };
    let mut raw = Vec::new();
    {
        let mut st = tx.prepare_cached(&format!(
            "{columns} WHERE p.subscription = ?1 AND p.prefix_addr BETWEEN ?2 AND ?3 ORDER BY p.prefix_addr, p.prefix_len"
        ))?;
        for r in st.query_map(params![sub, candidate.addr(), candidate.last()], map)? {
            raw.push(r?);
        }
    }
    {
        let mut st = tx.prepare_cached(&format!(
            "{columns} WHERE p.subscription = ?1 AND p.prefix_addr = ?2 AND p.prefix_len = ?3"
        ))?;
        for len in (0..candidate.len()).rev() {
            let container = Ipv4Prefix::new_truncating(candidate.addr(), len);
            if container.addr() == candidate.addr() {
                continue; // found by the range above
            }
            for r in st.query_map(params![sub, container.addr(), container.len()], map)? {
                raw.push(r?);
            }
        }
    }
    Ok(raw
        .into_iter()
        .filter_map(|(value, name, connection, rg_key, service_key, name_key)| {
            // Stored values were parsed before they were written; an unreadable one is skipped
            // rather than blocking every write of the subscription.
            let prefix = Ipv4Prefix::parse(&value).ok()?;
            Some(Stored {
                existing: ExistingPrefix {
                    prefix,
                    connection,
                    name,
                },
                key: (rg_key, service_key, name_key),
            })
        })
        .collect())
}

fn parse_name(name: &str) -> ApiResult<()> {
    ResourceName::parse(NameKind::Prefix, "name", name).map_err(|f| ApiError::finding(&f))?;
    Ok(())
}

fn expand_events(ctx: &Ctx) -> ApiResult<bool> {
    match ctx.query.get("$expand").map(|s| s.trim()) {
        None | Some("") => Ok(false),
        Some(e) if e.eq_ignore_ascii_case("events") => Ok(true),
        Some(e) => Err(ApiError::bad_request(
            "InvalidParameter",
            format!("$expand='{e}' is not supported; the only expansion of a prefix is 'events'."),
        )
        .with_target("$expand")),
    }
}

fn check_preconditions(ctx: &Ctx, current: Option<&PrefixRow>) -> ApiResult<()> {
    if !crate::conditional::has_preconditions(&ctx.headers) {
        return Ok(());
    }
    let etag = current.map(PrefixRow::etag);
    crate::conditional::check_write(&ctx.headers, etag.as_deref())
}

pub async fn put(ctx: Ctx, caller: Caller, p: ServicePath, name: String) -> ApiResult<Response> {
    check_path(&p)?;
    parse_name(&name)?;
    let body: PrefixBody = json_body(&ctx.headers, &ctx.body, &["", "properties"])?;
    let props = body.properties.unwrap_or_default();
    let value = props.prefix.unwrap_or_default();
    let (candidate, findings) = check_prefix_value(&value);
    let mut findings = findings;
    if let Some(f) = check_prefix_key(props.peering_service_prefix_key.as_deref()) {
        findings.push(f);
    }
    let candidate = match candidate {
        Some(c) if !findings.has_errors() => c,
        _ => return Err(ApiError::findings(&findings)),
    };
    let key = props.peering_service_prefix_key.filter(|k| !k.is_empty());
    let version = ctx.version;
    let now = now_rfc3339();
    let db = ctx.db.clone();
    let (created, row) = db
        .write(move |tx| -> ApiResult<(bool, PrefixRow)> {
            if !services::exists(tx, &p)? {
                return Err(parent_not_found(&p, "prefixes"));
            }
            let existing = get_row(tx, &p, &name)?;
            check_preconditions(&ctx, existing.as_ref())?;
            if let Some(e) = &existing {
                match Ipv4Prefix::parse(&e.prefix) {
                    Ok(stored) if stored == candidate => {}
                    Ok(stored) => return Err(ApiError::conflict_findings(&[immutable_finding(&e.name, stored, candidate)])),
                    Err(_) => {
                        return Err(ApiError::conflict(
                            "PrefixImmutable",
                            format!("Prefix '{}' is stored as '{}' and cannot be changed; delete it and re-create it.", e.name, e.prefix),
                        )
                        .with_target(peering_model::prefix::PREFIX_TARGET))
                    }
                }
            }
            let (rg_key, service_key) = keys(&p);
            let name_key = name.to_ascii_lowercase();
            let conflicts: Vec<_> = overlapping(tx, &p.sub, candidate)?
                .into_iter()
                .filter(|s| s.key != (rg_key.clone(), service_key.clone(), name_key.clone()))
                .filter_map(|s| relation(candidate, s.existing.prefix).map(|rel| overlap_finding(candidate, rel, &s.existing)))
                .collect();
            if !conflicts.is_empty() {
                return Err(ApiError::conflict_findings(&conflicts));
            }
            match &existing {
                None => {
                    tx.prepare_cached(
                        "INSERT INTO prefixes (subscription, rg_key, service_key, name_key, name, prefix, prefix_addr, prefix_len, prefix_key,
                             validation_state, learned_type, error_message, created_at, modified_at, created_by, modified_by)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, ?12, ?12, ?13, ?13)",
                    )?
                    .execute(params![
                        p.sub, rg_key, service_key, name_key, name, candidate.to_string(), candidate.addr(), candidate.len(), key,
                        INITIAL_STATE, INITIAL_LEARNED_TYPE, now, caller.id
                    ])?;
                    tx.prepare_cached(
                        "INSERT INTO prefix_events (subscription, rg_key, service_key, prefix_key, seq, event_timestamp, event_type, event_summary, event_level, event_description)
                         VALUES (?1, ?2, ?3, ?4, 1, ?5, 'PrefixRegisteredEvent', 'Prefix registered', 'Information', ?6)",
                    )?
                    .execute(params![
                        p.sub, rg_key, service_key, name_key, now,
                        format!("Prefix {candidate} was registered and is pending validation.")
                    ])?;
                }
                Some(e) => {
                    // A new key means the provider's registration must be checked again.
                    let key_changed = e.key.as_deref().map(str::to_ascii_lowercase) != key.as_deref().map(str::to_ascii_lowercase);
                    tx.prepare_cached(
                        "UPDATE prefixes SET prefix_key = ?5, modified_at = ?6, modified_by = ?7,
                             validation_state = CASE WHEN ?8 THEN ?9 ELSE validation_state END,
                             learned_type = CASE WHEN ?8 THEN ?10 ELSE learned_type END,
                             error_message = CASE WHEN ?8 THEN NULL ELSE error_message END
                         WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND name_key = ?4",
                    )?
                    .execute(params![
                        p.sub, rg_key, service_key, name_key, key, now, caller.id, key_changed, INITIAL_STATE, INITIAL_LEARNED_TYPE
                    ])?;
                }
            }
            let row = get_row(tx, &p, &name)?.ok_or_else(|| ApiError::internal("prefix vanished inside its transaction"))?;
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
        &row.to_wire(version, false),
        &row.etag(),
    ))
}

pub async fn get(ctx: Ctx, p: ServicePath, name: String) -> ApiResult<Response> {
    let expand = expand_events(&ctx)?;
    let version = ctx.version;
    let q = p.clone();
    let n = name.clone();
    let row = ctx
        .db
        .read(move |tx| -> ApiResult<PrefixRow> {
            match get_row(tx, &q, &n)? {
                Some(row) => Ok(row),
                None if !services::exists(tx, &q)? => Err(parent_not_found(&q, "prefixes")),
                None => Err(not_found(&q, &n)),
            }
        })
        .await?;
    Ok(crate::conditional::read_response(
        &ctx.headers,
        &row.to_wire(version, expand),
        &row.etag(),
    ))
}

pub fn not_found(p: &ServicePath, name: &str) -> ApiError {
    ApiError::not_found(
        "ResourceNotFound",
        format!(
            "The Resource '{NAMESPACE}/peeringServices/{}/prefixes/{name}' under resource group '{}' was not found.",
            p.name, p.rg
        ),
    )
}

pub async fn delete(ctx: Ctx, p: ServicePath, name: String) -> ApiResult<Response> {
    let db = ctx.db.clone();
    let existed = db
        .write(move |tx| -> ApiResult<bool> {
            if !services::exists(tx, &p)? {
                return Err(parent_not_found(&p, "prefixes"));
            }
            let existing = if crate::conditional::has_preconditions(&ctx.headers) { get_row(tx, &p, &name)? } else { None };
            check_preconditions(&ctx, existing.as_ref())?;
            let (rg_key, service_key) = keys(&p);
            let n = tx
                .prepare_cached("DELETE FROM prefixes WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND name_key = ?4")?
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

/// The prefixes of a connection by name, paged by key.
pub async fn list(ctx: Ctx, p: ServicePath) -> ApiResult<Response> {
    let expand = expand_events(&ctx)?;
    let page = PageRequest::from_query(&ctx.query)?;
    let version = ctx.version;
    let req = page.clone();
    let rows = ctx
        .db
        .read(move |tx| -> ApiResult<Vec<PrefixRow>> {
            if !services::exists(tx, &p)? {
                return Err(parent_not_found(&p, "prefixes"));
            }
            let (rg_key, service_key) = keys(&p);
            let after = req.after.map(|(_, n)| n).unwrap_or_default();
            let mut st = tx.prepare_cached(&format!(
                "{SELECT} WHERE p.subscription = ?1 AND p.rg_key = ?2 AND p.service_key = ?3 AND p.name_key > ?4 ORDER BY p.name_key LIMIT ?5"
            ))?;
            let mut rows = st
                .query_map(params![p.sub, rg_key, service_key, after, (req.size + 1) as i64], from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            if expand {
                for row in &mut rows {
                    load_events(tx, row, &rg_key, &service_key)?;
                }
            }
            Ok(rows)
        })
        .await?;
    let page = Page::cut(rows, page.size, |r| {
        (String::new(), r.name.to_ascii_lowercase())
    });
    let next = page.next.map(|k| ctx.next_link(&k));
    let value: Vec<PrefixWire> = page
        .items
        .iter()
        .map(|r| r.to_wire(version, expand))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &ListResult {
            value,
            next_link: next,
        },
    ))
}

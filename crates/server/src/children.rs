//! What prefixes and connection monitor tests share. Both live under a connection, are keyed
//! by (subscription, resource group, connection, name) in lower case with the first casing
//! kept, carry who created and last changed them, and are read, written, deleted and listed
//! the same way: only their own columns, their body checks and their representation differ.

use crate::arm::{
    delete_response, encode_segment, etag_of_value, json_response, resource_response, ApiVersion,
    ServicePath, NAMESPACE,
};
use crate::error::{ApiError, ApiResult};
use crate::paging::{Page, PageRequest};
use crate::services::{self, check_path};
use crate::{conditional, system_data, Ctx};
use axum::http::StatusCode;
use axum::response::Response;
use peering_model::names::{NameKind, ResourceName};
use peering_model::wire::{ListResult, SystemData};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::Serialize;
use std::collections::HashMap;

/// The columns every child row starts with: `c` is the child's table, `s` its connection.
const META_COLUMNS: &str = "c.subscription, c.rg_key, c.service_key, c.name_key, s.resource_group, s.name, c.name, c.created_at, c.created_by, c.modified_at, c.modified_by";
const META_LEN: usize = 11;

/// Where a child lives and who made it, with the casing of its connection and resource group.
#[derive(Debug, Clone)]
pub struct ChildMeta {
    pub subscription: String,
    pub rg_key: String,
    pub service_key: String,
    pub name_key: String,
    pub resource_group: String,
    pub connection: String,
    pub name: String,
    pub created_at: String,
    pub created_by: String,
    pub modified_at: String,
    pub modified_by: String,
}

impl ChildMeta {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<ChildMeta> {
        Ok(ChildMeta {
            subscription: r.get(0)?,
            rg_key: r.get(1)?,
            service_key: r.get(2)?,
            name_key: r.get(3)?,
            resource_group: r.get(4)?,
            connection: r.get(5)?,
            name: r.get(6)?,
            created_at: r.get(7)?,
            created_by: r.get(8)?,
            modified_at: r.get(9)?,
            modified_by: r.get(10)?,
        })
    }

    /// The resource id; `segment` is the kind's path segment under the connection.
    pub fn id(&self, segment: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{NAMESPACE}/peeringServices/{}/{segment}/{}",
            self.subscription,
            encode_segment(&self.resource_group),
            encode_segment(&self.connection),
            encode_segment(&self.name)
        )
    }

    pub fn system_data(&self, v: ApiVersion) -> Option<SystemData> {
        system_data(
            v,
            &self.created_at,
            &self.created_by,
            &self.modified_at,
            &self.modified_by,
        )
    }
}

/// A kind of child resource, as stored and as sent.
pub trait Child: Sized + Send + 'static {
    /// The table; it has the key columns (subscription, rg_key, service_key, name_key), name
    /// and the audit columns.
    const TABLE: &'static str;
    /// The path segment under a connection (also the end of the resource type).
    const SEGMENT: &'static str;
    /// The kind of name it has.
    const NAME_KIND: NameKind;
    /// The kind's own columns, prefixed `c.`; read after the shared ones.
    const COLUMNS: &'static str;

    type Wire: Serialize;

    /// From a row whose kind's own columns start at `first`.
    fn from_row(meta: ChildMeta, r: &Row<'_>, first: usize) -> rusqlite::Result<Self>;

    fn meta(&self) -> &ChildMeta;

    /// Reads what the kind keeps in other tables (a prefix's events).
    fn load_related(&mut self, _tx: &Transaction<'_>) -> rusqlite::Result<()> {
        Ok(())
    }

    /// Whether the request asks for the kind's `$expand` (none by default: the parameter is
    /// then ignored, as ARM does).
    fn expand(_query: &HashMap<String, String>) -> ApiResult<bool> {
        Ok(false)
    }

    /// The representation for an api-version; `expand` is the `$expand` the kind supports.
    fn to_wire(&self, v: ApiVersion, expand: bool) -> Self::Wire;

    /// A hash of the fullest representation (2025-05-01, expanded), the same whatever
    /// api-version or `$expand` a request used.
    fn etag(&self) -> String {
        etag_of_value(&self.to_wire(ApiVersion::V2025_05_01, true))
    }
}

fn select<C: Child>(filter: &str) -> String {
    format!(
        "SELECT {META_COLUMNS}, {} FROM {} c
         JOIN peering_services s ON s.subscription = c.subscription AND s.rg_key = c.rg_key AND s.name_key = c.service_key
         WHERE c.subscription = ?1 AND c.rg_key = ?2 AND c.service_key = ?3 AND {filter}",
        C::COLUMNS,
        C::TABLE
    )
}

fn from_row<C: Child>(r: &Row<'_>) -> rusqlite::Result<C> {
    C::from_row(ChildMeta::from_row(r)?, r, META_LEN)
}

/// One child with what it keeps in other tables, or None.
pub fn get_row<C: Child>(
    tx: &Transaction<'_>,
    p: &ServicePath,
    name: &str,
) -> rusqlite::Result<Option<C>> {
    let mut st = tx.prepare_cached(&select::<C>("c.name_key = ?4"))?;
    let row = st
        .query_row(
            params![p.sub, p.rg_key(), p.name_key(), name.to_ascii_lowercase()],
            from_row::<C>,
        )
        .optional()?;
    match row {
        None => Ok(None),
        Some(mut row) => {
            row.load_related(tx)?;
            Ok(Some(row))
        }
    }
}

/// 404 `ParentResourceNotFound` when the connection does not exist.
pub fn require_parent<C: Child>(tx: &Transaction<'_>, p: &ServicePath) -> ApiResult<()> {
    if services::exists(tx, p)? {
        Ok(())
    } else {
        Err(services::parent_not_found(p, C::SEGMENT))
    }
}

pub fn not_found<C: Child>(p: &ServicePath, name: &str) -> ApiError {
    ApiError::not_found(
        "ResourceNotFound",
        format!(
            "The Resource '{NAMESPACE}/peeringServices/{}/{}/{name}' under resource group '{}' was not found.",
            p.name,
            C::SEGMENT,
            p.rg
        ),
    )
}

/// Checks on the path of a child: the connection's resource group and name, and its own name.
pub fn check_child_path<C: Child>(p: &ServicePath, name: &str) -> ApiResult<()> {
    check_path(p)?;
    ResourceName::parse(C::NAME_KIND, "name", name).map_err(|f| ApiError::finding(&f))?;
    Ok(())
}

/// Create or replace, in one write transaction: the connection must exist and the
/// preconditions hold against the stored child; `write` stores the child (it is given the
/// stored one, if any). Answers 201 or 200 with what was stored.
pub async fn put<C, F>(ctx: Ctx, p: ServicePath, name: String, write: F) -> ApiResult<Response>
where
    C: Child,
    F: FnOnce(&Transaction<'_>, &ServicePath, &str, Option<&C>) -> ApiResult<()> + Send + 'static,
{
    let version = ctx.version;
    let db = ctx.db.clone();
    let (created, row) = db
        .write(move |tx| -> ApiResult<(bool, C)> {
            require_parent::<C>(tx, &p)?;
            let existing = get_row::<C>(tx, &p, &name)?;
            conditional::check_write_with(&ctx.headers, existing.as_ref(), C::etag)?;
            write(tx, &p, &name, existing.as_ref())?;
            let row = get_row::<C>(tx, &p, &name)?.ok_or_else(|| {
                ApiError::internal(format!("{} vanished inside its transaction", C::SEGMENT))
            })?;
            Ok((existing.is_none(), row))
        })
        .await?;
    let status = crate::arm::put_status(created);
    Ok(resource_response(
        status,
        &row.to_wire(version, false),
        &row.etag(),
    ))
}

pub async fn get<C: Child>(ctx: Ctx, p: ServicePath, name: String) -> ApiResult<Response> {
    let expand = C::expand(&ctx.query)?;
    let version = ctx.version;
    let row = ctx
        .db
        .read(move |tx| -> ApiResult<C> {
            match get_row::<C>(tx, &p, &name)? {
                Some(row) => Ok(row),
                None => {
                    require_parent::<C>(tx, &p)?;
                    Err(not_found::<C>(&p, &name))
                }
            }
        })
        .await?;
    Ok(conditional::read_response(
        &ctx.headers,
        &row.to_wire(version, expand),
        &row.etag(),
    ))
}

/// 200 when the child was deleted, 204 when there was none.
pub async fn delete<C: Child>(ctx: Ctx, p: ServicePath, name: String) -> ApiResult<Response> {
    let db = ctx.db.clone();
    let existed = db
        .write(move |tx| -> ApiResult<bool> {
            require_parent::<C>(tx, &p)?;
            if conditional::has_preconditions(&ctx.headers) {
                let existing = get_row::<C>(tx, &p, &name)?;
                conditional::check_write_with(&ctx.headers, existing.as_ref(), C::etag)?;
            }
            let sql = format!(
                "DELETE FROM {} WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND name_key = ?4",
                C::TABLE
            );
            let n = tx.prepare_cached(&sql)?.execute(params![
                p.sub,
                p.rg_key(),
                p.name_key(),
                name.to_ascii_lowercase()
            ])?;
            Ok(n > 0)
        })
        .await?;
    Ok(delete_response(existed))
}

/// The children of a connection by name, paged by name. Related rows (a prefix's events) are
/// read only when expanded: list items carry no ETag.
pub async fn list<C: Child>(ctx: Ctx, p: ServicePath) -> ApiResult<Response> {
    let expand = C::expand(&ctx.query)?;
    let page = PageRequest::from_query(&ctx.query)?;
    let version = ctx.version;
    let req = page.clone();
    let rows = ctx
        .db
        .read(move |tx| -> ApiResult<Vec<C>> {
            require_parent::<C>(tx, &p)?;
            let after = req.after.map(|(_, n)| n).unwrap_or_default();
            let mut st =
                tx.prepare_cached(&select::<C>("c.name_key > ?4 ORDER BY c.name_key LIMIT ?5"))?;
            let mut rows = st
                .query_map(
                    params![
                        p.sub,
                        p.rg_key(),
                        p.name_key(),
                        after,
                        (req.size + 1) as i64
                    ],
                    from_row::<C>,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            if expand {
                for row in &mut rows {
                    row.load_related(tx)?;
                }
            }
            Ok(rows)
        })
        .await?;
    let page = Page::cut(rows, page.size, |r| {
        (String::new(), r.meta().name_key.clone())
    });
    let next = page.next.map(|k| ctx.next_link(&k));
    let value: Vec<C::Wire> = page
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

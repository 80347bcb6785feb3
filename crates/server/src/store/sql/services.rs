//! Connections: `peering_services` (the columns) and `peering_service_json` (the
//! stored representation, migration 0003), always written together.

use super::db::{params, OptionalExtension, Row, Tx};
use crate::error::ApiResult;
use crate::store::{
    CheckDelete, DecideService, Render, ServiceListQuery, ServicePage, ServiceRecord, StoredRepr,
    StoredService,
};
use peering_model::ServiceId;

const COLUMNS: &str = "subscription, resource_group, name, location, tags, sku, peering_service_location, provider, primary_location, backup_location, created_at, created_by, modified_at, modified_by, connected_agents, created_by_type, modified_by_type";
/// How many columns [`COLUMNS`] names: a query's own columns come after them.
const COLUMN_COUNT: usize = 17;

fn from_row(r: &Row<'_>) -> super::db::Result<ServiceRecord> {
    Ok(ServiceRecord {
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
        connected_agents: r.get(14)?,
        created_by_type: r.get(15)?,
        modified_by_type: r.get(COLUMN_COUNT - 1)?,
    })
}

fn key(id: &ServiceId) -> (String, String, String) {
    (id.subscription.clone(), id.rg_key(), id.name_key())
}

pub(super) fn get(tx: &Tx<'_>, id: &ServiceId) -> super::db::Result<Option<ServiceRecord>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM peering_services WHERE subscription = ?1 AND rg_key = ?2 AND name_key = ?3"
    ))?;
    let (sub, rg, name) = key(id);
    st.query_row(params![sub, rg, name], from_row).optional()
}

/// The connection with the ETag of its stored representation. A connection always has one
/// (written in the same transaction, and at open for older files); were it missing, the ETag
/// is empty, which no `If-Match` names, so a conditional write is refused rather than allowed.
fn get_stored(tx: &Tx<'_>, id: &ServiceId) -> super::db::Result<Option<StoredService>> {
    let Some(record) = get(tx, id)? else {
        return Ok(None);
    };
    let etag = get_repr(tx, id)?.map(|r| r.etag).unwrap_or_default();
    Ok(Some(StoredService { record, etag }))
}

/// Whether the connection exists (the parent of prefixes and monitor tests).
pub(super) fn exists(tx: &Tx<'_>, id: &ServiceId) -> super::db::Result<bool> {
    let mut st = tx.prepare_cached(
        "SELECT 1 FROM peering_services WHERE subscription = ?1 AND rg_key = ?2 AND name_key = ?3",
    )?;
    let (sub, rg, name) = key(id);
    st.exists(params![sub, rg, name])
}

pub(super) fn get_repr(tx: &Tx<'_>, id: &ServiceId) -> super::db::Result<Option<StoredRepr>> {
    let mut st = tx.prepare_cached(
        "SELECT body, system_data, etag FROM peering_service_json WHERE subscription = ?1 AND rg_key = ?2 AND name_key = ?3",
    )?;
    let (sub, rg, name) = key(id);
    st.query_row(params![sub, rg, name], |r| {
        Ok(StoredRepr {
            body: r.get(0)?,
            system_data: r.get(1)?,
            etag: r.get(2)?,
        })
    })
    .optional()
}

/// Stores `repr` as the representation of the connection with keys (rg_key, name_key).
pub(super) fn store_repr(
    tx: &Tx<'_>,
    sub: &str,
    rg_key: &str,
    name_key: &str,
    repr: &StoredRepr,
    format: i64,
) -> super::db::Result<()> {
    tx.prepare_cached(
        "INSERT INTO peering_service_json (subscription, rg_key, name_key, format, body, system_data, etag)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (subscription, rg_key, name_key) DO UPDATE SET
           format = excluded.format, body = excluded.body, system_data = excluded.system_data, etag = excluded.etag",
    )?
    .execute(params![sub, rg_key, name_key, format, repr.body, repr.system_data, repr.etag])?;
    Ok(())
}

/// Stores what `decide` makes of the stored connection; `format` is the version of the
/// representation's format (the store's [`super::Options::format`]).
pub(super) fn write(
    tx: &Tx<'_>,
    id: &ServiceId,
    decide: DecideService,
    format: i64,
) -> ApiResult<(bool, StoredRepr)> {
    let existing = get_stored(tx, id)?;
    let created = existing.is_none();
    let w = decide(existing)?;
    if !w.changed {
        return Ok((created, w.repr));
    }
    let (sub, rg_key, name_key) = key(id);
    let r = &w.record;
    tx.prepare_cached(
        "INSERT INTO peering_services (subscription, rg_key, name_key, resource_group, name, location, tags, sku, peering_service_location, provider, primary_location, backup_location, created_at, created_by, modified_at, modified_by, created_by_type, modified_by_type)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
         ON CONFLICT (subscription, rg_key, name_key) DO UPDATE SET
           location = excluded.location, tags = excluded.tags, sku = excluded.sku,
           peering_service_location = excluded.peering_service_location, provider = excluded.provider,
           primary_location = excluded.primary_location, backup_location = excluded.backup_location,
           modified_at = excluded.modified_at, modified_by = excluded.modified_by,
           modified_by_type = excluded.modified_by_type",
    )?
    .execute(params![
        sub, rg_key, name_key, r.resource_group, r.name, r.location, r.tags, r.sku,
        r.peering_service_location, r.provider, r.primary, r.backup, r.created_at, r.created_by,
        r.modified_at, r.modified_by, r.created_by_type, r.modified_by_type
    ])?;
    store_repr(tx, &sub, &rg_key, &name_key, &w.repr, format)?;
    Ok((created, w.repr))
}

pub(super) fn delete(
    tx: &Tx<'_>,
    id: &ServiceId,
    check: Option<CheckDelete<StoredService>>,
) -> ApiResult<bool> {
    if let Some(check) = check {
        check(get_stored(tx, id)?.as_ref())?;
    }
    let (sub, rg, name) = key(id);
    let n = tx
        .prepare_cached(
            "DELETE FROM peering_services WHERE subscription = ?1 AND rg_key = ?2 AND name_key = ?3",
        )?
        .execute(params![sub, rg, name])?;
    Ok(n > 0)
}

/// A page in (resource group, name) order, by key, so pages stay stable while items come and
/// go. One more row than the page is read only to know whether there is a next page.
pub(super) fn list(tx: &Tx<'_>, q: &ServiceListQuery) -> super::db::Result<ServicePage> {
    let (after_rg, after_name) = q.after.clone().unwrap_or_default();
    let limit = (q.limit + 1) as i64;
    let mut st = match &q.resource_group {
        None => tx.prepare_cached(
            "SELECT body, system_data, rg_key, name_key FROM peering_service_json WHERE subscription = ?1 AND (rg_key, name_key) > (?2, ?3) ORDER BY rg_key, name_key LIMIT ?4",
        )?,
        Some(_) => tx.prepare_cached(
            "SELECT body, system_data, rg_key, name_key FROM peering_service_json WHERE subscription = ?1 AND rg_key = ?2 AND name_key > ?3 ORDER BY name_key LIMIT ?4",
        )?,
    };
    let mut rows = match &q.resource_group {
        None => st.query(params![q.subscription, after_rg, after_name, limit])?,
        Some(rg) => st.query(params![
            q.subscription,
            rg.to_lowercase(),
            after_name,
            limit
        ])?,
    };
    let mut items = Vec::with_capacity(q.limit.min(1000));
    let mut text = Vec::with_capacity(q.limit.min(1000) * 768);
    let mut last: Option<(String, String)> = None;
    while let Some(r) = rows.next()? {
        if items.len() == q.limit || text.len() >= q.max_bytes {
            // There is a next page, after the last item taken.
            return Ok(ServicePage {
                text,
                items,
                next: last,
            });
        }
        let mut part = |i: usize| -> super::db::Result<std::ops::Range<usize>> {
            let start = text.len();
            text.extend_from_slice(r.bytes(i)?);
            Ok(start..text.len())
        };
        let body = part(0)?;
        let system_data = part(1)?;
        items.push((body, system_data));
        last = Some((r.get(2)?, r.get(3)?));
    }
    Ok(ServicePage {
        text,
        items,
        next: None,
    })
}

/// Writes the stored representation of every connection that has none, or one of another
/// format (a database written before migration 0003, or by an older server). Runs when the
/// database is opened; returns how many it wrote.
/// `only`: the connections of that subscription (PostgreSQL rewrites one subscription at a
/// time, under its lock, as other instances may be writing); `None`: every connection.
pub(crate) fn sync_stored_json(
    tx: &Tx<'_>,
    render: Render,
    format: i64,
    only: Option<&str>,
) -> ApiResult<usize> {
    let stale: Vec<(String, String, ServiceRecord)> = tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, s.rg_key, s.name_key FROM peering_services s
             WHERE (CAST(?2 AS TEXT) IS NULL OR s.subscription = ?2) AND NOT EXISTS (SELECT 1 FROM peering_service_json j
                 WHERE j.subscription = s.subscription AND j.rg_key = s.rg_key AND j.name_key = s.name_key AND j.format = ?1)"
        ))?
        .query_map(params![format, only], |r| {
            Ok((r.get(COLUMN_COUNT)?, r.get(COLUMN_COUNT + 1)?, from_row(r)?))
        })?
        .collect::<super::db::Result<_>>()?;
    for (rg_key, name_key, row) in &stale {
        let repr = render(row).map_err(crate::error::ApiError::internal)?;
        store_repr(tx, &row.subscription, rg_key, name_key, &repr, format)?;
    }
    Ok(stale.len())
}

/// The subscriptions that have a connection without a representation of `format`.
pub(crate) fn stale_subscriptions(tx: &Tx<'_>, format: i64) -> ApiResult<Vec<String>> {
    Ok(tx
        .prepare_cached(
            "SELECT DISTINCT s.subscription FROM peering_services s
             WHERE NOT EXISTS (SELECT 1 FROM peering_service_json j WHERE j.subscription = s.subscription
                 AND j.rg_key = s.rg_key AND j.name_key = s.name_key AND j.format = ?1)
             ORDER BY s.subscription",
        )?
        .query_map(params![format], |r| r.get(0))?
        .collect::<super::db::Result<_>>()?)
}

/// Stores a connection's connected agents (JSON array text) and writes its representation
/// again with them; nothing when they are what is stored.
pub(super) fn set_connected_agents(
    tx: &Tx<'_>,
    id: &ServiceId,
    agents: Option<&str>,
    render: Render,
    format: i64,
) -> ApiResult<()> {
    let Some(mut record) = get(tx, id)? else {
        return Ok(());
    };
    if record.connected_agents.as_deref() == agents {
        return Ok(());
    }
    let (sub, rg_key, name_key) = key(id);
    tx.prepare_cached(
        "UPDATE peering_services SET connected_agents = ?4 WHERE subscription = ?1 AND rg_key = ?2 AND name_key = ?3",
    )?
    .execute(params![sub, rg_key, name_key, agents])?;
    record.connected_agents = agents.map(str::to_owned);
    let repr = render(&record).map_err(crate::error::ApiError::internal)?;
    store_repr(tx, &sub, &rg_key, &name_key, &repr, format)?;
    Ok(())
}

//! The activity log's statements: a record written inside the write it describes (or alone,
//! for a refused write), pages read newest first by whichever index the filter names, and
//! expiry that walks the time index from its oldest end.

use super::db::{params, OptionalExtension, Param, Row, Tx};
use crate::store::{Activity, ActivityQuery, ActivityRow, Recorded};
use peering_model::activity::{caller_type, ChangeType, Operation, Outcome};

/// Stores the record of `a` ending as `r`.
pub(super) fn record(tx: &Tx<'_>, a: &Activity, r: &Recorded) -> super::db::Result<()> {
    let change = match r.status {
        Outcome::Succeeded => Some(ChangeType::of(
            r.before.is_some(),
            r.after.is_some(),
            r.before == r.after,
        )),
        Outcome::Failed => None,
    };
    let (sub_status, message) = match &r.error {
        Some((code, message)) => (Some(code.as_str()), Some(message.as_str())),
        None => (None, None),
    };
    tx.prepare_cached(
        "INSERT INTO activity (event_id, subscription, at_ms, operation, status, http_status, sub_status, message, change_type, method,
           resource_id, resource_key, resource_group, rg_key, caller, caller_type, request_id, correlation_id, client_request_id, client_ip, before_json, after_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
    )?
    .execute(params![
        a.event_id,
        a.subscription,
        a.at_ms,
        a.operation.as_str(),
        r.status.as_str(),
        i64::from(r.http_status),
        sub_status,
        message,
        change.map(ChangeType::as_str),
        a.method,
        a.resource_id,
        a.resource_id.to_lowercase(),
        a.resource_group,
        a.resource_group.as_ref().map(|g| g.to_lowercase()),
        a.caller,
        a.caller_type,
        a.request_id,
        a.correlation_id,
        a.client_request_id,
        a.client_ip,
        r.before,
        r.after
    ])?;
    Ok(())
}

const COLUMNS: &str = "id, event_id, subscription, at_ms, operation, status, http_status, sub_status, message, change_type, method, resource_id, resource_group, caller, caller_type, request_id, correlation_id, client_request_id, client_ip";

fn from_row(r: &Row<'_>) -> super::db::Result<ActivityRow> {
    let operation: String = r.get(4)?;
    let status: String = r.get(5)?;
    let change: Option<String> = r.get(9)?;
    let http: i64 = r.get(6)?;
    let stored_type: String = r.get(14)?;
    Ok(ActivityRow {
        id: r.get(0)?,
        activity: Activity {
            event_id: r.get(1)?,
            subscription: r.get(2)?,
            at_ms: r.get(3)?,
            operation: operation
                .parse::<Operation>()
                .map_err(|e| super::db::Error::conversion(4, e))?,
            method: r.get(10)?,
            resource_id: r.get(11)?,
            resource_group: r.get(12)?,
            caller: r.get(13)?,
            caller_type: caller_type(&stored_type).as_str(),
            request_id: r.get(15)?,
            correlation_id: r.get(16)?,
            client_request_id: r.get(17)?,
            client_ip: r.get(18)?,
        },
        status: status
            .parse()
            .map_err(|e| super::db::Error::conversion(5, e))?,
        http_status: u16::try_from(http).map_err(|e| super::db::Error::conversion(6, e))?,
        sub_status: r.get(7)?,
        message: r.get(8)?,
        change_type: change
            .map(|c| c.parse())
            .transpose()
            .map_err(|e| super::db::Error::conversion(9, e))?,
        before: r.get(19)?,
        after: r.get(20)?,
    })
}

/// One record with both snapshots.
pub(super) fn get(
    tx: &Tx<'_>,
    subscription: &str,
    event_id: &str,
) -> super::db::Result<Option<ActivityRow>> {
    tx.prepare_cached(&format!(
        "SELECT {COLUMNS}, before_json, after_json FROM activity WHERE subscription = ?1 AND event_id = ?2"
    ))?
    .query_row(params![subscription, event_id], from_row)
    .optional()
}

/// Up to `q.limit` records, newest first. Every filter is an equality on a column that leads
/// an index after `subscription`, and the time bounds and the page's key follow it in that
/// index, so a page reads its own rows and no more.
pub(super) fn list(tx: &Tx<'_>, q: &ActivityQuery) -> super::db::Result<Vec<ActivityRow>> {
    let mut sql = format!(
        "SELECT {COLUMNS}, {snap} FROM activity WHERE subscription = ?1 AND at_ms >= ?2 AND at_ms <= ?3",
        snap = if q.with_changes {
            "before_json, after_json"
        } else {
            "NULL, NULL"
        }
    );
    let (after_at, after_id) = q.after.unwrap_or((i64::MAX, i64::MAX));
    let limit = q.limit as i64;
    let operation = q.operation.map(Operation::as_str);
    let status = q.status.map(Outcome::as_str);
    let (resource, under_from, under_to) = match &q.resource {
        Some((r, _)) => (Some(r.clone()), format!("{r}/"), format!("{r}0")),
        None => (None, String::new(), String::new()),
    };
    let mut values: Vec<&dyn Param> = vec![&q.subscription, &q.from_ms, &q.to_ms];
    if let Some(c) = &q.caller {
        bind(&mut sql, &mut values, " AND caller = ?N", c);
    }
    if let Some(g) = &q.rg_key {
        bind(&mut sql, &mut values, " AND rg_key = ?N", g);
    }
    if let Some(o) = &operation {
        bind(&mut sql, &mut values, " AND operation = ?N", o);
    }
    if let Some(s) = &status {
        bind(&mut sql, &mut values, " AND status = ?N", s);
    }
    if let Some(c) = &q.correlation_id {
        bind(&mut sql, &mut values, " AND correlation_id = ?N", c);
    }
    if let Some(r) = &resource {
        bind(&mut sql, &mut values, " AND (resource_key = ?N", r);
        if q.resource.as_ref().is_some_and(|(_, under)| *under) {
            bind(&mut sql, &mut values, " OR (resource_key > ?N", &under_from);
            bind(&mut sql, &mut values, " AND resource_key < ?N)", &under_to);
        }
        sql.push(')');
    }
    bind(&mut sql, &mut values, " AND (at_ms < ?N", &after_at);
    bind(&mut sql, &mut values, " OR (at_ms = ?N", &after_at);
    bind(&mut sql, &mut values, " AND id < ?N))", &after_id);
    bind(
        &mut sql,
        &mut values,
        " ORDER BY at_ms DESC, id DESC LIMIT ?N",
        &limit,
    );
    let mut st = tx.prepare_cached(&sql)?;
    let rows = st.query_map(&values, from_row)?;
    rows.collect()
}

/// Appends `clause` with its `?N` numbered as the next parameter, `v`.
fn bind<'a>(sql: &mut String, values: &mut Vec<&'a dyn Param>, clause: &str, v: &'a dyn Param) {
    values.push(v);
    sql.push_str(&clause.replace("?N", &format!("?{}", values.len())));
}

/// Removes up to `limit` records older than `before_ms`, oldest first, by the time index;
/// answers how many.
pub(super) fn expire(tx: &Tx<'_>, before_ms: i64, limit: usize) -> super::db::Result<usize> {
    tx.prepare_cached(
        "DELETE FROM activity WHERE id IN (SELECT id FROM activity WHERE at_ms < ?1 ORDER BY at_ms LIMIT ?2)",
    )?
    .execute(params![before_ms, limit as i64])
}

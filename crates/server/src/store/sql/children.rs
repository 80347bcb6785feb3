//! Prefixes and connection monitor tests. Both live under a connection, are keyed by
//! (subscription, rg_key, service_key, name_key), carry who created and last changed them, and
//! are read, deleted and listed the same way: only their own columns differ.

use super::db::{params, Dialect, OptionalExtension, Row, Tx};
use crate::error::{ApiError, ApiResult};
use crate::store::{
    AlertRuleRecord, Author, ChildMeta, ChildRecord, ChildWrite, LastResult, MonitorTestRecord,
    PrefixRecord, MAX_EVENTS,
};
use peering_model::prefix::{ExistingPrefix, Ipv4Prefix};
use peering_model::wire::PrefixEvent;
use peering_model::{ChildKind, ServiceId};

/// The columns every child row starts with: `c` is the child's table, `s` its connection.
const META_COLUMNS: &str = "c.subscription, c.rg_key, c.service_key, c.name_key, s.resource_group, s.name, c.name, c.created_at, c.created_by, c.modified_at, c.modified_by, c.created_by_type, c.modified_by_type";
const META_LEN: usize = 13;

fn table(kind: ChildKind) -> &'static str {
    match kind {
        ChildKind::Prefix => "prefixes",
        ChildKind::MonitorTest => "monitor_tests",
        ChildKind::AlertRule => "alert_rules",
    }
}

/// The kind's own columns, read after the shared ones.
fn columns(kind: ChildKind, dialect: Dialect) -> &'static str {
    match kind {
        ChildKind::Prefix => {
            "c.prefix, c.prefix_key, c.validation_state, c.learned_type, c.error_message"
        }
        // The newest result, when a collector reported one (a correlated lookup on the
        // results' primary key, newest first).
        ChildKind::MonitorTest => match dialect {
            Dialect::Sqlite => {
                "c.source_agent, c.destination, c.destination_port, c.frequency_sec,
                 (SELECT json_array(r.at, json(CASE WHEN r.success THEN 'true' ELSE 'false' END), json(r.hops)) FROM monitor_results r
                  WHERE r.subscription = c.subscription AND r.rg_key = c.rg_key AND r.service_key = c.service_key AND r.test_key = c.name_key
                  ORDER BY r.at DESC LIMIT 1)"
            }
            Dialect::Postgres => {
                "c.source_agent, c.destination, c.destination_port, c.frequency_sec,
                 (SELECT CAST(json_build_array(r.at, r.success, CAST(r.hops AS json)) AS text) FROM monitor_results r
                  WHERE r.subscription = c.subscription AND r.rg_key = c.rg_key AND r.service_key = c.service_key AND r.test_key = c.name_key
                  ORDER BY r.at DESC LIMIT 1)"
            }
        },
        ChildKind::AlertRule => "c.kind, c.threshold_ms, c.for_minutes, c.level, c.consecutive",
    }
}

/// A stored enum value; one that no longer parses is an error (the server wrote it).
pub(super) fn wire<T: std::str::FromStr>(r: &Row<'_>, i: usize) -> super::db::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let s: String = r.get(i)?;
    s.parse().map_err(|e| super::db::Error::conversion(i, e))
}

fn from_row(kind: ChildKind, r: &Row<'_>) -> super::db::Result<ChildRecord> {
    let meta = ChildMeta {
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
        created_by_type: r.get(11)?,
        modified_by_type: r.get(12)?,
    };
    let i = META_LEN;
    Ok(match kind {
        ChildKind::Prefix => ChildRecord::Prefix(PrefixRecord {
            meta,
            prefix: r.get(i)?,
            key: r.get(i + 1)?,
            validation_state: wire(r, i + 2)?,
            learned_type: wire(r, i + 3)?,
            error_message: r.get(i + 4)?,
            events: Vec::new(),
        }),
        ChildKind::MonitorTest => ChildRecord::MonitorTest(MonitorTestRecord {
            meta,
            source_agent: r.get(i)?,
            destination: r.get(i + 1)?,
            destination_port: r.get(i + 2)?,
            frequency_sec: r.get(i + 3)?,
            last: r
                .get::<Option<String>>(i + 4)?
                .and_then(|j| serde_json::from_str::<(String, bool, Vec<String>)>(&j).ok())
                .map(|(at, success, hops)| LastResult { at, success, hops }),
        }),
        ChildKind::AlertRule => {
            let properties = peering_model::alerts::AlertRuleProperties {
                kind: Some(wire(r, i)?),
                threshold_ms: r.get(i + 1)?,
                for_minutes: r.get(i + 2)?,
                level: r
                    .get::<Option<String>>(i + 3)?
                    .map(|l| l.parse())
                    .transpose()
                    .map_err(|e| super::db::Error::conversion(i + 3, e))?,
                consecutive: r.get(i + 4)?,
                provisioning_state: None,
            };
            // The server checked it before storing it.
            let condition = peering_model::alerts::validate_rule(&properties)
                .0
                .ok_or_else(|| {
                    super::db::Error::conversion(i, "a stored alert rule no longer validates")
                })?;
            ChildRecord::AlertRule(AlertRuleRecord { meta, condition })
        }
    })
}

fn select(kind: ChildKind, filter: &str, dialect: Dialect) -> String {
    format!(
        "SELECT {META_COLUMNS}, {} FROM {} c
         JOIN peering_services s ON s.subscription = c.subscription AND s.rg_key = c.rg_key AND s.name_key = c.service_key
         WHERE c.subscription = ?1 AND c.rg_key = ?2 AND c.service_key = ?3 AND {filter}",
        columns(kind, dialect),
        table(kind)
    )
}

/// A prefix's events, newest first.
fn load_events(tx: &Tx<'_>, p: &mut PrefixRecord) -> super::db::Result<()> {
    let m = &p.meta;
    // The newest MAX_EVENTS (a prefix's history grows without end), newest first by when
    // they happened (a late observation's events sort by their time, not their arrival):
    // what a timeline shows on top, and what a client reading only the first few wants.
    let mut st = tx.prepare_cached(
        "SELECT seq, event_timestamp, event_type, event_summary, event_level, event_description FROM prefix_events
         WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND prefix_key = ?4 ORDER BY event_timestamp DESC, seq DESC LIMIT ?5",
    )?;
    p.events = st
        .query_map(
            params![
                m.subscription,
                m.rg_key,
                m.service_key,
                m.name_key,
                MAX_EVENTS as i64
            ],
            |r| {
                Ok(PrefixEvent {
                    event_timestamp: r.get(1)?,
                    event_type: wire(r, 2)?,
                    event_summary: r.get(3)?,
                    event_level: wire(r, 4)?,
                    event_description: r.get(5)?,
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    Ok(())
}

fn load_related(tx: &Tx<'_>, c: &mut ChildRecord) -> super::db::Result<()> {
    match c {
        ChildRecord::Prefix(p) => load_events(tx, p),
        ChildRecord::MonitorTest(_) | ChildRecord::AlertRule(_) => Ok(()),
    }
}

/// One child with what it keeps in other tables, or None.
pub(super) fn get(
    tx: &Tx<'_>,
    parent: &ServiceId,
    kind: ChildKind,
    name: &str,
) -> super::db::Result<Option<ChildRecord>> {
    let mut st = tx.prepare_cached(&select(kind, "c.name_key = ?4", tx.dialect()))?;
    let row = st
        .query_row(
            params![
                parent.subscription,
                parent.rg_key(),
                parent.name_key(),
                name.to_ascii_lowercase()
            ],
            |r| from_row(kind, r),
        )
        .optional()?;
    match row {
        None => Ok(None),
        Some(mut row) => {
            load_related(tx, &mut row)?;
            Ok(Some(row))
        }
    }
}

pub(super) fn list(
    tx: &Tx<'_>,
    parent: &ServiceId,
    kind: ChildKind,
    after: &str,
    limit: usize,
    expand: bool,
) -> super::db::Result<Vec<ChildRecord>> {
    let mut st = tx.prepare_cached(&select(
        kind,
        "c.name_key > ?4 ORDER BY c.name_key LIMIT ?5",
        tx.dialect(),
    ))?;
    let mut rows = st
        .query_map(
            params![
                parent.subscription,
                parent.rg_key(),
                parent.name_key(),
                after,
                limit as i64
            ],
            |r| from_row(kind, r),
        )?
        .collect::<Result<Vec<_>, _>>()?;
    if expand {
        for row in &mut rows {
            load_related(tx, row)?;
        }
    }
    Ok(rows)
}

pub(super) fn delete(
    tx: &Tx<'_>,
    parent: &ServiceId,
    kind: ChildKind,
    name: &str,
) -> super::db::Result<bool> {
    let sql = format!(
        "DELETE FROM {} WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND name_key = ?4",
        table(kind)
    );
    let n = tx.prepare_cached(&sql)?.execute(params![
        parent.subscription,
        parent.rg_key(),
        parent.name_key(),
        name.to_ascii_lowercase()
    ])?;
    Ok(n > 0)
}

/// Stores a decided write: inserts when `created`, else updates the child's own fields.
pub(super) fn store(
    tx: &Tx<'_>,
    parent: &ServiceId,
    write: &ChildWrite,
    author: &Author,
    created: bool,
) -> ApiResult<()> {
    let (sub, rg_key, service_key) = (&parent.subscription, parent.rg_key(), parent.name_key());
    match write {
        ChildWrite::Prefix {
            name,
            prefix,
            key,
            reset_state,
        } => {
            let name_key = name.to_ascii_lowercase();
            if created {
                let (state, learned) = reset_state.ok_or_else(|| {
                    ApiError::internal("a new prefix was written without its initial state")
                })?;
                tx.prepare_cached(
                    "INSERT INTO prefixes (subscription, rg_key, service_key, name_key, name, prefix, prefix_addr, prefix_len, prefix_key,
                         validation_state, learned_type, error_message, created_at, modified_at, created_by, modified_by, created_by_type, modified_by_type)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, ?12, ?12, ?13, ?13, ?14, ?14)",
                )?
                .execute(params![
                    sub, rg_key, service_key, name_key, name, prefix.to_string(), prefix.addr(), prefix.len(), key,
                    state.as_str(), learned.as_str(), author.at, author.id, author.kind
                ])?;
            } else {
                let reset = reset_state.is_some();
                let (state, learned) = reset_state.unzip();
                tx.prepare_cached(
                    "UPDATE prefixes SET prefix_key = ?5, modified_at = ?6, modified_by = ?7, modified_by_type = ?11,
                         validation_state = CASE WHEN ?8 THEN ?9 ELSE validation_state END,
                         learned_type = CASE WHEN ?8 THEN ?10 ELSE learned_type END,
                         error_message = CASE WHEN ?8 THEN NULL ELSE error_message END
                     WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND name_key = ?4",
                )?
                .execute(params![
                    sub, rg_key, service_key, name_key, key, author.at, author.id, reset,
                    state.map(|s| s.as_str()), learned.map(|l| l.as_str()), author.kind
                ])?;
            }
        }
        ChildWrite::AlertRule { name, condition } => {
            let p = condition.properties();
            tx.prepare_cached(
                "INSERT INTO alert_rules (subscription, rg_key, service_key, name_key, name, kind, threshold_ms, for_minutes, level, consecutive,
                     created_at, modified_at, created_by, modified_by, created_by_type, modified_by_type)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?12, ?13, ?13)
                 ON CONFLICT (subscription, rg_key, service_key, name_key) DO UPDATE SET
                     kind = excluded.kind, threshold_ms = excluded.threshold_ms, for_minutes = excluded.for_minutes,
                     level = excluded.level, consecutive = excluded.consecutive,
                     modified_at = excluded.modified_at, modified_by = excluded.modified_by, modified_by_type = excluded.modified_by_type",
            )?
            .execute(params![
                sub, rg_key, service_key, name.to_ascii_lowercase(), name, condition.kind().as_str(),
                p.threshold_ms, p.for_minutes, p.level.map(|l| l.as_str()), p.consecutive, author.at, author.id, author.kind
            ])?;
        }
        ChildWrite::MonitorTest {
            name,
            source_agent,
            destination,
            destination_port,
            frequency_sec,
        } => {
            tx.prepare_cached(
                "INSERT INTO monitor_tests (subscription, rg_key, service_key, name_key, name, source_agent, destination, destination_port, frequency_sec,
                     created_at, modified_at, created_by, modified_by, created_by_type, modified_by_type)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?11, ?12, ?12)
                 ON CONFLICT (subscription, rg_key, service_key, name_key) DO UPDATE SET
                     source_agent = excluded.source_agent, destination = excluded.destination,
                     destination_port = excluded.destination_port, frequency_sec = excluded.frequency_sec,
                     modified_at = excluded.modified_at, modified_by = excluded.modified_by, modified_by_type = excluded.modified_by_type",
            )?
            .execute(params![
                sub, rg_key, service_key, name.to_ascii_lowercase(), name, source_agent, destination,
                destination_port, frequency_sec, author.at, author.id, author.kind
            ])?;
        }
    }
    Ok(())
}

/// The stored prefixes of subscription `sub` that can overlap `candidate`, for the model to
/// judge.
///
/// This is only a prefilter: which stored prefixes conflict, in which order, how many are
/// listed and with which words is decided by the model, exactly as the browser decides it on
/// its index of the whole subscription. That is sound because the model's verdict on a
/// candidate depends only on the stored prefixes that overlap it, and this returns every one
/// of them (a superset would do as well; the model skips the rest).
///
/// Two CIDR prefixes overlap exactly when one contains the other, so the overlapping ones are
/// (a) those whose first address lies inside the candidate (one index range; it also holds the
/// containers that start where the candidate starts) and (b) those that contain the candidate
/// and start before it: for each shorter length there is only one such value, so these are at
/// most 32 index lookups. No scan of the subscription's prefixes.
pub(super) fn overlapping(
    tx: &Tx<'_>,
    sub: &str,
    candidate: Ipv4Prefix,
) -> super::db::Result<Vec<ExistingPrefix>> {
    let columns = "SELECT p.prefix, s.resource_group, s.name, p.name
         FROM prefixes p JOIN peering_services s ON s.subscription = p.subscription AND s.rg_key = p.rg_key AND s.name_key = p.service_key";
    // Stored values were parsed before they were written; an unreadable one is skipped rather
    // than blocking every write of the subscription.
    let map = |r: &Row<'_>| -> super::db::Result<Option<ExistingPrefix>> {
        let Ok(prefix) = Ipv4Prefix::parse(&r.get::<String>(0)?) else {
            return Ok(None);
        };
        Ok(Some(ExistingPrefix {
            prefix,
            resource_group: r.get(1)?,
            connection: r.get(2)?,
            name: r.get(3)?,
        }))
    };
    let mut found = Vec::new();
    {
        let mut st = tx.prepare_cached(&format!(
            "{columns} WHERE p.subscription = ?1 AND p.prefix_addr BETWEEN ?2 AND ?3"
        ))?;
        for r in st.query_map(params![sub, candidate.addr(), candidate.last()], map)? {
            found.extend(r?);
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
                found.extend(r?);
            }
        }
    }
    Ok(found)
}

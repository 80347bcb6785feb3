//! Connection monitor tests' results: stored as collectors report them, read
//! newest first, and the connected agents of a connection they make.

use super::db::{params, Tx};
use crate::error::{ApiError, ApiResult};
use crate::store::{IngestReport, MonitorRun};
use peering_model::telemetry::{fields, item_target};
use peering_model::ServiceId;

/// Stores monitor test results; every item must name a stored test, else nothing is written
/// and the error names each item that does not.
pub(super) fn ingest_results(
    tx: &Tx<'_>,
    sub: &str,
    items: Vec<MonitorRun>,
    keep: usize,
    render: crate::store::Render,
    format: i64,
    touched: &mut super::alerting::Touched,
) -> ApiResult<IngestReport> {
    let mut missing = Vec::new();
    let mut report = IngestReport::default();
    for (i, run) in items.iter().enumerate() {
        let id = ServiceId::new(sub, &run.resource_group, &run.peering_service);
        let test_key = run.test.to_ascii_lowercase();
        let exists = tx
            .prepare_cached(
                "SELECT 1 FROM monitor_tests WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND name_key = ?4",
            )?
            .exists(params![sub, id.rg_key(), id.name_key(), test_key])?;
        if !exists {
            missing.push((
                item_target(i, Some(fields::TEST)),
                format!(
                    "There is no connection monitor test '{}' under connection '{}' in resource group '{}'.",
                    run.test, run.peering_service, run.resource_group
                ),
            ));
            continue;
        }
        let n = tx
            .prepare_cached(
                "INSERT INTO monitor_results (subscription, rg_key, service_key, test_key, at, success, hops, rtt_ms, agent)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, t.source_agent FROM monitor_tests t
                 WHERE t.subscription = ?1 AND t.rg_key = ?2 AND t.service_key = ?3 AND t.name_key = ?4
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                sub, id.rg_key(), id.name_key(), test_key, run.at, run.success,
                serde_json::to_string(&run.hops).map_err(ApiError::internal)?, run.rtt_ms
            ])?;
        if n == 0 {
            report.stale += 1;
            continue;
        }
        report.accepted += 1;
        touched.result(&id, &test_key, &run.at);
        tx.prepare_cached(
            "DELETE FROM monitor_results WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND test_key = ?4
             AND at < (SELECT at FROM monitor_results WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND test_key = ?4
                       ORDER BY at DESC LIMIT 1 OFFSET ?5)",
        )?
        .execute(params![sub, id.rg_key(), id.name_key(), test_key, keep as i64 - 1])?;
    }
    if !missing.is_empty() {
        return Err(ApiError::items("UnknownMonitorTest", missing));
    }
    // The connections' agents that have reported (a test's source agent, once it has a
    // result), sent as logAnalyticsWorkspaceProperties.connectedAgents.
    let mut connections: Vec<ServiceId> = Vec::new();
    for run in &items {
        let id = ServiceId::new(sub, &run.resource_group, &run.peering_service);
        if !connections
            .iter()
            .any(|c| c.rg_key() == id.rg_key() && c.name_key() == id.name_key())
        {
            connections.push(id);
        }
    }
    for id in connections {
        refresh_connected_agents(tx, &id, render, format)?;
    }
    Ok(report)
}

/// A test's newest results, newest first; None when there is no such test.
pub(super) fn monitor_results(
    tx: &Tx<'_>,
    parent: &ServiceId,
    test: &str,
    limit: usize,
) -> super::db::Result<Option<Vec<peering_model::telemetry::MonitorTestRun>>> {
    let key = test.to_ascii_lowercase();
    let exists = tx
        .prepare_cached(
            "SELECT 1 FROM monitor_tests WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND name_key = ?4",
        )?
        .exists(params![parent.subscription, parent.rg_key(), parent.name_key(), key])?;
    if !exists {
        return Ok(None);
    }
    tx.prepare_cached(
        "SELECT at, success, hops, rtt_ms FROM monitor_results
         WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND test_key = ?4 ORDER BY at DESC LIMIT ?5",
    )?
    .query_map(
        params![parent.subscription, parent.rg_key(), parent.name_key(), key, limit as i64],
        |r| {
            let hops: String = r.get(2)?;
            Ok(peering_model::telemetry::MonitorTestRun {
                timestamp: r.get(0)?,
                success: r.get(1)?,
                hops: serde_json::from_str(&hops).unwrap_or_default(),
                rtt_ms: r.get(3)?,
            })
        },
    )?
    .collect::<super::db::Result<Vec<_>>>()
    .map(Some)
}

/// Writes a connection's connected agents again: the agents its stored results came from
/// (none left: none listed), and its representation with them.
pub(super) fn refresh_connected_agents(
    tx: &Tx<'_>,
    id: &ServiceId,
    render: crate::store::Render,
    format: i64,
) -> ApiResult<()> {
    let agents: Vec<String> = tx
        .prepare_cached(
            "SELECT DISTINCT agent FROM monitor_results
             WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND agent IS NOT NULL
             ORDER BY agent",
        )?
        .query_map(params![id.subscription, id.rg_key(), id.name_key()], |r| {
            r.get(0)
        })?
        .collect::<super::db::Result<_>>()?;
    let json = if agents.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&agents).map_err(ApiError::internal)?)
    };
    super::services::set_connected_agents(tx, id, json.as_deref(), render, format)
}

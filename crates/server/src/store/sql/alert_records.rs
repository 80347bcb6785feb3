//! Alert records: opening and resolving an alert (each queued for every configured
//! webhook in the same transaction, `webhook_deliveries`), resolving the alerts of a rule about
//! to be changed or deleted, the bounds on what is kept, and the alerts as read.

use super::alerting::{rfc3339, Alerting};
use super::db::{params, Tx};
use crate::error::{ApiError, ApiResult};
use peering_model::alerts::{Alert, AlertKind};
use peering_model::ServiceId;

/// Resolved alerts kept per connection (the newest); older ones are removed as new ones
/// resolve, so the table cannot grow without bound under a flapping site.
pub(super) const KEEP_RESOLVED: i64 = 1000;
/// Finished (delivered or given up) webhook deliveries kept per subscription, the newest.
pub(super) const KEEP_DELIVERIES: i64 = 10_000;

/// Opens an alert of `rule` (key, name, kind) and queues its deliveries; answers its id.
pub(super) fn open_alert(
    tx: &Tx<'_>,
    id: &ServiceId,
    (rule_key, rule, kind): (&str, &str, AlertKind),
    at: &str,
    summary: &str,
    a: Alerting<'_>,
) -> ApiResult<i64> {
    let alert_id: i64 = tx.prepare_cached(
        "INSERT INTO alerts (subscription, rg_key, service_key, rule_key, kind, opened_at, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
    )?
    .query_row(params![id.subscription, id.rg_key(), id.name_key(), rule_key, kind.as_str(), at, summary], |r| r.get(0))?;
    let alert = Alert {
        connection: id.to_string(),
        rule: rule.to_owned(),
        kind,
        opened_at: at.to_owned(),
        resolved_at: None,
        summary: summary.to_owned(),
    };
    enqueue(tx, &id.subscription, "alert.opened", alert_id, &alert, a)?;
    Ok(alert_id)
}

/// Resolves an open alert, queues its deliveries and prunes the connection's oldest resolved
/// alerts.
#[allow(clippy::too_many_arguments)]
pub(super) fn resolve(
    tx: &Tx<'_>,
    id: &ServiceId,
    alert_id: i64,
    rule: &str,
    kind: AlertKind,
    at: &str,
    summary: String,
    a: Alerting<'_>,
) -> ApiResult<()> {
    tx.prepare_cached("UPDATE alerts SET resolved_at = ?2, summary = ?3 WHERE id = ?1")?
        .execute(params![alert_id, at, summary])?;
    let opened_at: String = tx
        .prepare_cached("SELECT opened_at FROM alerts WHERE id = ?1")?
        .query_row(params![alert_id], |r| r.get(0))?;
    let alert = Alert {
        connection: id.to_string(),
        rule: rule.to_owned(),
        kind,
        opened_at,
        resolved_at: Some(at.to_owned()),
        summary,
    };
    enqueue(tx, &id.subscription, "alert.resolved", alert_id, &alert, a)?;
    // Only the newest resolved alerts of a connection are kept.
    tx.prepare_cached(
        "DELETE FROM alerts WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND resolved_at IS NOT NULL
         AND id < (SELECT id FROM alerts WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND resolved_at IS NOT NULL
                   ORDER BY id DESC LIMIT 1 OFFSET ?4)",
    )?
    .execute(params![id.subscription, id.rg_key(), id.name_key(), KEEP_RESOLVED - 1])?;
    Ok(())
}

/// Resolves the open alerts of a connection (of one rule when given) whose rule is about to
/// be deleted or changed, so that a webhook receiver hears the end of every alert it heard
/// open; `why` is added to the summary. (The alert records go with their rule.)
pub(super) fn resolve_open(
    tx: &Tx<'_>,
    id: &ServiceId,
    rule_key: Option<&str>,
    why: &str,
    a: Alerting<'_>,
) -> ApiResult<()> {
    let open: Vec<(i64, String, String, String)> = tx
        .prepare_cached(
            "SELECT a.id, r.name, a.kind, a.summary FROM alerts a
             JOIN alert_rules r ON r.subscription = a.subscription AND r.rg_key = a.rg_key AND r.service_key = a.service_key AND r.name_key = a.rule_key
             WHERE a.subscription = ?1 AND a.rg_key = ?2 AND a.service_key = ?3 AND (CAST(?4 AS TEXT) IS NULL OR a.rule_key = ?4) AND a.resolved_at IS NULL",
        )?
        .query_map(params![id.subscription, id.rg_key(), id.name_key(), rule_key], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<super::db::Result<_>>()?;
    let at = rfc3339(a.now);
    for (alert_id, rule, kind, summary) in open {
        let kind = kind.parse().map_err(ApiError::internal)?;
        resolve(
            tx,
            id,
            alert_id,
            &rule,
            kind,
            &at,
            format!("{summary} ({why})"),
            a,
        )?;
    }
    Ok(())
}

/// Queues one delivery of `alert` to each webhook; the body is what is signed and sent.
fn enqueue(
    tx: &Tx<'_>,
    sub: &str,
    event: &str,
    alert_id: i64,
    alert: &Alert,
    a: Alerting<'_>,
) -> ApiResult<()> {
    if a.webhooks.is_empty() {
        return Ok(());
    }
    // `alertId` pairs a resolution with its opening.
    let body = serde_json::json!({ "type": event, "subscription": sub, "alertId": alert_id, "alert": alert })
        .to_string();
    for url in a.webhooks {
        tx.prepare_cached(
            "INSERT INTO webhook_deliveries (subscription, url, body, created_at, next_attempt) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![sub, url, body, rfc3339(a.now), a.now])?;
    }
    // Only the newest finished deliveries are kept (their attempts go with them).
    tx.prepare_cached(
        "DELETE FROM webhook_deliveries WHERE subscription = ?1 AND (delivered_at IS NOT NULL OR gave_up_at IS NOT NULL)
         AND id < (SELECT id FROM webhook_deliveries WHERE subscription = ?1 AND (delivered_at IS NOT NULL OR gave_up_at IS NOT NULL)
                   ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    )?
    .execute(params![sub, KEEP_DELIVERIES - 1])?;
    Ok(())
}

/// The alerts of the subscription (or one connection), newest first.
pub(super) fn list(
    tx: &Tx<'_>,
    sub: &str,
    connection: Option<&ServiceId>,
    open_only: bool,
    limit: usize,
) -> ApiResult<Vec<Alert>> {
    let (rg, svc) = connection.map_or((None, None), |c| (Some(c.rg_key()), Some(c.name_key())));
    let rows = tx
        .prepare_cached(
            "SELECT s.resource_group, s.name, r.name, a.kind, a.opened_at, a.resolved_at, a.summary
             FROM alerts a
             JOIN alert_rules r ON r.subscription = a.subscription AND r.rg_key = a.rg_key AND r.service_key = a.service_key AND r.name_key = a.rule_key
             JOIN peering_services s ON s.subscription = a.subscription AND s.rg_key = a.rg_key AND s.name_key = a.service_key
             WHERE a.subscription = ?1 AND (CAST(?2 AS TEXT) IS NULL OR (a.rg_key = ?2 AND a.service_key = ?3)) AND (?5 = 0 OR a.resolved_at IS NULL)
             ORDER BY a.opened_at DESC, a.id DESC LIMIT ?4",
        )?
        .query_map(params![sub, rg, svc, limit as i64, open_only], |r| {
            Ok((
                r.get::<String>(0)?,
                r.get::<String>(1)?,
                r.get::<String>(2)?,
                r.get::<String>(3)?,
                r.get::<String>(4)?,
                r.get::<Option<String>>(5)?,
                r.get::<String>(6)?,
            ))
        })?
        .collect::<super::db::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(rg, name, rule, kind, opened_at, resolved_at, summary)| {
            Ok(Alert {
                connection: ServiceId::new(sub, &rg, &name).to_string(),
                rule,
                kind: kind.parse().map_err(ApiError::internal)?,
                opened_at,
                resolved_at,
                summary,
            })
        })
        .collect()
}

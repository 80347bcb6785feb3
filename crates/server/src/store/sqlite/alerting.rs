//! Alerts in SQLite: every write that changes a connection's telemetry evaluates the alert
//! rules of the connections it can affect, in its own transaction, with
//! `peering_model::alerts::active`. A rule that becomes active opens an alert; one that stops
//! being active resolves it; each opening and resolution is queued for every configured webhook
//! (`webhook_deliveries`), so a delivery exists exactly when the change it reports was
//! committed.

use crate::error::{ApiError, ApiResult};
use crate::latency;
use peering_model::alerts::{
    active, validate_rule, Alert, AlertRuleProperties, Condition, Now, MAX_CONSECUTIVE,
};
use peering_model::prefix::Ipv4Prefix;
use peering_model::telemetry::latency_prefix;
use peering_model::wire::EventLevel;
use peering_model::ServiceId;
use rusqlite::{params, OptionalExtension, Transaction};
use std::collections::BTreeMap;

/// What evaluation needs besides the data: the time and where changes are delivered.
#[derive(Clone, Copy)]
pub(super) struct Alerting<'a> {
    pub now: i64,
    pub webhooks: &'a [String],
}

/// UTC RFC 3339 with milliseconds, as every stored time.
pub(super) fn rfc3339(unix: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

struct Rule {
    key: String,
    name: String,
    condition: Condition,
}

fn rules(tx: &Transaction<'_>, id: &ServiceId) -> ApiResult<Vec<Rule>> {
    let rows: Vec<(String, String, AlertRuleProperties)> = tx
        .prepare_cached(
            "SELECT name_key, name, kind, threshold_ms, for_minutes, level, consecutive FROM alert_rules
             WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3",
        )?
        .query_map(params![id.subscription, id.rg_key(), id.name_key()], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                AlertRuleProperties {
                    kind: r.get::<_, String>(2)?.parse().ok(),
                    threshold_ms: r.get(3)?,
                    for_minutes: r.get(4)?,
                    level: r.get::<_, Option<String>>(5)?.and_then(|l| l.parse().ok()),
                    consecutive: r.get(6)?,
                    provisioning_state: None,
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows
        .into_iter()
        // Stored rules were checked; one that no longer is would be a bug, and is skipped.
        .filter_map(|(key, name, p)| {
            validate_rule(&p).0.map(|condition| Rule {
                key,
                name,
                condition,
            })
        })
        .collect())
}

/// What the connection's telemetry says now, as far as its rules need it.
fn now_of(tx: &Transaction<'_>, id: &ServiceId, rules: &[Rule], now: i64) -> ApiResult<Now> {
    let (sub, rg, svc) = (id.subscription.as_str(), id.rg_key(), id.name_key());
    let mut out = Now {
        minute: now - now.rem_euclid(60),
        ..Default::default()
    };
    let longest = rules
        .iter()
        .filter_map(|r| match r.condition {
            Condition::LatencyP95 { for_minutes, .. } => Some(i64::from(for_minutes)),
            _ => None,
        })
        .max();
    let prefixes: Vec<(String, String, String)> = tx
        .prepare_cached("SELECT name, name_key, prefix FROM prefixes WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3")?
        .query_map(params![sub, rg, svc], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if let Some(minutes) = longest {
        let from = out.minute - 60 * (minutes + 1);
        let mut per_minute: BTreeMap<i64, sketches_ddsketch::DDSketch> = BTreeMap::new();
        for (_, _, value) in &prefixes {
            let Ok(p) = Ipv4Prefix::parse(value) else {
                continue;
            };
            for (start, bytes) in
                super::telemetry::latency_rows(tx, sub, latency_prefix(p), 60, from)?
            {
                let s = latency::decode(&bytes);
                match per_minute.entry(start) {
                    std::collections::btree_map::Entry::Vacant(v) => {
                        v.insert(s);
                    }
                    std::collections::btree_map::Entry::Occupied(mut o) => {
                        // Same configuration on both sides: merging cannot fail.
                        let _ = o.get_mut().merge(&s);
                    }
                }
            }
        }
        out.minute_p95 = per_minute
            .into_iter()
            .rev()
            .filter_map(|(start, s)| s.quantile(0.95).ok().flatten().map(|q| (start, q)))
            .collect();
    }
    for (name, key, _) in &prefixes {
        let level: Option<String> = tx
            .prepare_cached(
                "SELECT event_level FROM prefix_events WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND prefix_key = ?4
                 ORDER BY event_timestamp DESC, seq DESC LIMIT 1",
            )?
            .query_row(params![sub, rg, svc, key], |r| r.get(0))
            .optional()?;
        if let Some(level) = level.and_then(|l| l.parse::<EventLevel>().ok()) {
            out.newest_events.push((name.clone(), level));
        }
    }
    out.failed_prefixes = tx
        .prepare_cached(
            "SELECT name FROM prefixes WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND validation_state = 'Failed' ORDER BY name_key",
        )?
        .query_map(params![sub, rg, svc], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if rules
        .iter()
        .any(|r| matches!(r.condition, Condition::MonitorFailures { .. }))
    {
        let tests: Vec<(String, String)> = tx
            .prepare_cached("SELECT name, name_key FROM monitor_tests WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3")?
            .query_map(params![sub, rg, svc], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (name, key) in tests {
            let newest: Vec<bool> = tx
                .prepare_cached(
                    "SELECT success FROM monitor_results WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND test_key = ?4
                     ORDER BY at DESC LIMIT ?5",
                )?
                .query_map(params![sub, rg, svc, key, MAX_CONSECUTIVE], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let failures = newest.iter().take_while(|ok| !**ok).count() as u32;
            out.failures_in_a_row.push((name, failures));
        }
    }
    Ok(out)
}

/// Evaluates the rules of `connections` (every connection of `sub` that has rules when None)
/// and opens or resolves their alerts.
pub(super) fn evaluate(
    tx: &Transaction<'_>,
    sub: &str,
    connections: Option<&[ServiceId]>,
    a: Alerting<'_>,
) -> ApiResult<()> {
    let ids: Vec<ServiceId> = match connections {
        Some(c) => c.to_vec(),
        None => tx
            .prepare_cached(
                "SELECT DISTINCT s.resource_group, s.name FROM alert_rules r
                 JOIN peering_services s ON s.subscription = r.subscription AND s.rg_key = r.rg_key AND s.name_key = r.service_key
                 WHERE r.subscription = ?1",
            )?
            .query_map(params![sub], |r| {
                Ok(ServiceId::new(sub, &r.get::<_, String>(0)?, &r.get::<_, String>(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?,
    };
    let at = rfc3339(a.now);
    for id in ids {
        let rules = rules(tx, &id)?;
        if rules.is_empty() {
            continue;
        }
        let now = now_of(tx, &id, &rules, a.now)?;
        for rule in &rules {
            let open: Option<(i64, String)> = tx
                .prepare_cached(
                    "SELECT id, summary FROM alerts WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND rule_key = ?4 AND resolved_at IS NULL",
                )?
                .query_row(params![id.subscription, id.rg_key(), id.name_key(), rule.key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            match (active(rule.condition, &now), open) {
                (Some(summary), None) => {
                    tx.prepare_cached(
                        "INSERT INTO alerts (subscription, rg_key, service_key, rule_key, kind, opened_at, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )?
                    .execute(params![id.subscription, id.rg_key(), id.name_key(), rule.key, rule.condition.kind().as_str(), at, summary])?;
                    let alert = Alert {
                        connection: id.to_string(),
                        rule: rule.name.clone(),
                        kind: rule.condition.kind(),
                        opened_at: at.clone(),
                        resolved_at: None,
                        summary,
                    };
                    enqueue(tx, sub, "alert.opened", &alert, a)?;
                }
                (Some(summary), Some((alert_id, was))) if summary != was => {
                    tx.prepare_cached("UPDATE alerts SET summary = ?2 WHERE id = ?1")?
                        .execute(params![alert_id, summary])?;
                }
                (None, Some((alert_id, summary))) => {
                    tx.prepare_cached("UPDATE alerts SET resolved_at = ?2 WHERE id = ?1")?
                        .execute(params![alert_id, at])?;
                    let opened_at: String = tx
                        .prepare_cached("SELECT opened_at FROM alerts WHERE id = ?1")?
                        .query_row(params![alert_id], |r| r.get(0))?;
                    let alert = Alert {
                        connection: id.to_string(),
                        rule: rule.name.clone(),
                        kind: rule.condition.kind(),
                        opened_at,
                        resolved_at: Some(at.clone()),
                        summary,
                    };
                    enqueue(tx, sub, "alert.resolved", &alert, a)?;
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Queues one delivery of `alert` to each webhook; the body is what is signed and sent.
fn enqueue(
    tx: &Transaction<'_>,
    sub: &str,
    event: &str,
    alert: &Alert,
    a: Alerting<'_>,
) -> ApiResult<()> {
    if a.webhooks.is_empty() {
        return Ok(());
    }
    let body =
        serde_json::json!({ "type": event, "subscription": sub, "alert": alert }).to_string();
    for url in a.webhooks {
        tx.prepare_cached(
            "INSERT INTO webhook_deliveries (subscription, url, body, created_at, next_attempt) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![sub, url, body, rfc3339(a.now), a.now])?;
    }
    Ok(())
}

/// The alerts of the subscription (or one connection), newest first.
pub(super) fn list(
    tx: &Transaction<'_>,
    sub: &str,
    connection: Option<&ServiceId>,
    limit: usize,
) -> ApiResult<Vec<Alert>> {
    let (rg, svc) = connection.map_or((None, None), |c| (Some(c.rg_key()), Some(c.name_key())));
    let rows = tx
        .prepare_cached(
            "SELECT s.resource_group, s.name, r.name, a.kind, a.opened_at, a.resolved_at, a.summary
             FROM alerts a
             JOIN alert_rules r ON r.subscription = a.subscription AND r.rg_key = a.rg_key AND r.service_key = a.service_key AND r.name_key = a.rule_key
             JOIN peering_services s ON s.subscription = a.subscription AND s.rg_key = a.rg_key AND s.name_key = a.service_key
             WHERE a.subscription = ?1 AND (?2 IS NULL OR (a.rg_key = ?2 AND a.service_key = ?3))
             ORDER BY a.opened_at DESC, a.id DESC LIMIT ?4",
        )?
        .query_map(params![sub, rg, svc, limit as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
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

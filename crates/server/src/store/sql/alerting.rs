//! Alerts: every write that changes a connection's telemetry evaluates the alert
//! rules of the connections it can affect, in its own transaction, with
//! `peering_model::alerts::active`. A rule that becomes active opens an alert; one that stops
//! being active resolves it; each opening and resolution is queued for every configured webhook
//! (`webhook_deliveries`), so a delivery exists exactly when the change it reports was
//! committed.

use super::db::{params, OptionalExtension, Tx};
use crate::error::ApiResult;
use crate::latency;
use peering_model::alerts::{
    active, held_during, new_failure_runs, validate_rule, AlertRuleProperties, Condition, Now,
    MAX_CONSECUTIVE,
};
use peering_model::prefix::Ipv4Prefix;
use peering_model::telemetry::latency_prefix;
use peering_model::wire::EventLevel;
use peering_model::ServiceId;

pub(super) use super::alert_records::{list, resolve_open};
use super::alert_records::{open_alert, resolve};
use std::collections::BTreeMap;

/// What evaluation needs besides the data: the time and where changes are delivered.
#[derive(Clone, Copy)]
pub(super) struct Alerting<'a> {
    pub now: i64,
    pub webhooks: &'a [String],
}

/// What a write changed, for the alert rules it may affect: only these connections are
/// evaluated (a write never pays for connections it cannot have changed).
#[derive(Default)]
pub(super) struct Touched {
    connections: Vec<ServiceId>,
    /// Also every connection of the subscription that has a latency rule (samples are kept
    /// per prefix, and the sender of a sample does not say whose it is).
    latency: bool,
    /// The events the write recorded: connection, prefix key, level.
    events: Vec<(ServiceId, String, EventLevel)>,
    /// The monitor results the write stored: connection, test key, when.
    results: Vec<(ServiceId, String, String)>,
}

fn same(a: &ServiceId, b: &ServiceId) -> bool {
    a.subscription == b.subscription && a.rg_key() == b.rg_key() && a.name_key() == b.name_key()
}

impl Touched {
    pub(super) fn one(id: &ServiceId) -> Touched {
        let mut t = Touched::default();
        t.connection(id);
        t
    }
    pub(super) fn latency() -> Touched {
        Touched {
            latency: true,
            ..Default::default()
        }
    }
    pub(super) fn connection(&mut self, id: &ServiceId) {
        if !self.connections.iter().any(|c| same(c, id)) {
            self.connections.push(id.clone());
        }
    }
    pub(super) fn event(&mut self, id: &ServiceId, prefix_key: &str, level: EventLevel) {
        self.connection(id);
        self.events.push((id.clone(), prefix_key.to_owned(), level));
    }
    pub(super) fn result(&mut self, id: &ServiceId, test_key: &str, at: &str) {
        self.connection(id);
        self.results
            .push((id.clone(), test_key.to_owned(), at.to_owned()));
    }
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

fn rules(tx: &Tx<'_>, id: &ServiceId) -> ApiResult<Vec<Rule>> {
    let rows: Vec<(String, String, AlertRuleProperties)> = tx
        .prepare_cached(
            "SELECT name_key, name, kind, threshold_ms, for_minutes, level, consecutive FROM alert_rules
             WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 ORDER BY name_key",
        )?
        .query_map(params![id.subscription, id.rg_key(), id.name_key()], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                AlertRuleProperties {
                    kind: r.get::<String>(2)?.parse().ok(),
                    threshold_ms: r.get(3)?,
                    for_minutes: r.get(4)?,
                    level: r.get::<Option<String>>(5)?.and_then(|l| l.parse().ok()),
                    consecutive: r.get(6)?,
                    provisioning_state: None,
                },
            ))
        })?
        .collect::<super::db::Result<_>>()?;
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
fn now_of(
    tx: &Tx<'_>,
    id: &ServiceId,
    rules: &[Rule],
    now: i64,
    touched: &Touched,
) -> ApiResult<Now> {
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
        .prepare_cached("SELECT name, name_key, prefix FROM prefixes WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 ORDER BY name_key")?
        .query_map(params![sub, rg, svc], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<super::db::Result<_>>()?;
    if let Some(minutes) = longest {
        // The run may end up to LATE_MINUTES before the last whole minute.
        let from = out.minute - 60 * (minutes + 1 + peering_model::alerts::LATE_MINUTES);
        let mut per_minute: BTreeMap<i64, sketches_ddsketch::DDSketch> = BTreeMap::new();
        for (_, _, value) in &prefixes {
            let Ok(p) = Ipv4Prefix::parse(value) else {
                continue;
            };
            for (start, bytes) in
                super::latency::latency_rows(tx, sub, latency_prefix(p), 60, from)?
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
        for (c, prefix_key, level) in &touched.events {
            if same(c, id) && prefix_key == key {
                out.new_events.push((name.clone(), *level));
            }
        }
    }
    out.failed_prefixes = tx
        .prepare_cached(
            "SELECT name FROM prefixes WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND validation_state = 'Failed' ORDER BY name_key",
        )?
        .query_map(params![sub, rg, svc], |r| r.get(0))?
        .collect::<super::db::Result<_>>()?;
    if rules
        .iter()
        .any(|r| matches!(r.condition, Condition::MonitorFailures { .. }))
    {
        let tests: Vec<(String, String)> = tx
            .prepare_cached("SELECT name, name_key FROM monitor_tests WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 ORDER BY name_key")?
            .query_map(params![sub, rg, svc], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<super::db::Result<_>>()?;
        for (name, key) in tests {
            let newest: Vec<bool> = tx
                .prepare_cached(
                    "SELECT success FROM monitor_results WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND test_key = ?4
                     ORDER BY at DESC LIMIT ?5",
                )?
                .query_map(params![sub, rg, svc, key, MAX_CONSECUTIVE], |r| r.get(0))?
                .collect::<super::db::Result<_>>()?;
            let failures = newest.iter().take_while(|ok| !**ok).count() as u32;
            out.failures_in_a_row.push((name.clone(), failures));
            let new: Vec<&str> = touched
                .results
                .iter()
                .filter(|(c, t, _)| same(c, id) && *t == key)
                .map(|(_, _, at)| at.as_str())
                .collect();
            if new.is_empty() {
                continue;
            }
            // The newest results, oldest first, as many as the new ones plus the longest run
            // a rule can ask for.
            let limit = MAX_CONSECUTIVE as i64 + new.len() as i64;
            let mut runs: Vec<(String, bool)> = tx
                .prepare_cached(
                    "SELECT at, success FROM monitor_results WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND test_key = ?4
                     ORDER BY at DESC LIMIT ?5",
                )?
                .query_map(params![sub, rg, svc, key, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<super::db::Result<_>>()?;
            runs.reverse();
            // A full window that starts with a failure may cut a longer run: it is taken as
            // long enough to have been reported already (no duplicate alert for a late
            // result), by as many old failures before it as any rule can count.
            let cut = if runs.len() as i64 == limit && runs.first().is_some_and(|(_, ok)| !ok) {
                MAX_CONSECUTIVE as usize
            } else {
                0
            };
            let oks: Vec<bool> = std::iter::repeat_n(false, cut)
                .chain(runs.iter().map(|(_, ok)| *ok))
                .collect();
            let is_new = |i: usize| i >= cut && new.contains(&runs[i - cut].0.as_str());
            for (len, before) in new_failure_runs(&oks, is_new) {
                out.new_failure_runs.push((name.clone(), len, before));
            }
        }
    }
    Ok(out)
}

/// Evaluates the rules of the connections `touched` names and opens or resolves their alerts.
pub(super) fn evaluate(
    tx: &Tx<'_>,
    sub: &str,
    touched: &Touched,
    a: Alerting<'_>,
) -> ApiResult<()> {
    let mut ids: Vec<ServiceId> = touched.connections.clone();
    if touched.latency {
        let with_latency_rules: Vec<ServiceId> = tx
            .prepare_cached(
                "SELECT DISTINCT s.resource_group, s.name FROM alert_rules r
                 JOIN peering_services s ON s.subscription = r.subscription AND s.rg_key = r.rg_key AND s.name_key = r.service_key
                 WHERE r.subscription = ?1 AND r.kind = 'LatencyP95'",
            )?
            .query_map(params![sub], |r| {
                Ok(ServiceId::new(sub, &r.get::<String>(0)?, &r.get::<String>(1)?))
            })?
            .collect::<super::db::Result<_>>()?;
        for id in with_latency_rules {
            if !ids.iter().any(|c| same(c, &id)) {
                ids.push(id);
            }
        }
    }
    // Most connections have no rule: one read of the subscription's rule owners spares a
    // query per touched connection (an ingestion batch touches hundreds).
    if !ids.is_empty() {
        let owners: Vec<(String, String)> = tx
            .prepare_cached(
                "SELECT DISTINCT rg_key, service_key FROM alert_rules WHERE subscription = ?1",
            )?
            .query_map(params![sub], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<super::db::Result<_>>()?;
        ids.retain(|id| {
            owners
                .iter()
                .any(|(rg, svc)| *rg == id.rg_key() && *svc == id.name_key())
        });
    }
    let at = rfc3339(a.now);
    for id in ids {
        let rules = rules(tx, &id)?;
        if rules.is_empty() {
            continue;
        }
        let now = now_of(tx, &id, &rules, a.now, touched)?;
        for rule in &rules {
            let open: Option<(i64, String)> = tx
                .prepare_cached(
                    "SELECT id, summary FROM alerts WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND rule_key = ?4 AND resolved_at IS NULL",
                )?
                .query_row(params![id.subscription, id.rg_key(), id.name_key(), rule.key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            match (active(rule.condition, &now), open) {
                (Some(summary), None) => {
                    open_alert(
                        tx,
                        &id,
                        (&rule.key, &rule.name, rule.condition.kind()),
                        &at,
                        &summary,
                        a,
                    )?;
                }
                (Some(summary), Some((alert_id, was))) if summary != was => {
                    tx.prepare_cached("UPDATE alerts SET summary = ?2 WHERE id = ?1")?
                        .execute(params![alert_id, summary])?;
                }
                (None, Some((alert_id, summary))) => {
                    resolve(
                        tx,
                        &id,
                        alert_id,
                        &rule.name,
                        rule.condition.kind(),
                        &at,
                        summary,
                        a,
                    )?;
                }
                (None, None) => {
                    // It held for a moment of this write only: opened and resolved at once.
                    if let Some(summary) = held_during(rule.condition, &now) {
                        let rule_of =
                            (rule.key.as_str(), rule.name.as_str(), rule.condition.kind());
                        let alert_id = open_alert(tx, &id, rule_of, &at, &summary, a)?;
                        resolve(
                            tx,
                            &id,
                            alert_id,
                            &rule.name,
                            rule.condition.kind(),
                            &at,
                            summary,
                            a,
                        )?;
                    }
                }
                (Some(_), Some(_)) => {}
            }
        }
    }
    Ok(())
}

/// The condition a stored rule holds now (None when there is no such rule).
pub(super) fn condition_of(
    tx: &Tx<'_>,
    id: &ServiceId,
    rule_key: &str,
) -> ApiResult<Option<Condition>> {
    Ok(rules(tx, id)?
        .into_iter()
        .find(|r| r.key == rule_key)
        .map(|r| r.condition))
}

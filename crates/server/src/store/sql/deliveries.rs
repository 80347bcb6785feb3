//! Webhook deliveries: the due ones claimed by the sender, each attempt recorded with
//! its outcome, and every delivery readable with its attempts.

use super::alerting::rfc3339;
use super::db::{params, Tx};
use crate::error::ApiResult;
use crate::store::{Attempt, DueDelivery};
use peering_model::alerts::{WebhookAttempt, WebhookDelivery};

/// Claims up to `limit` deliveries due at `now`, first attempts before retries (a receiver
/// that keeps failing cannot crowd out everyone else's first try), oldest first: each is not due again before
/// `until`, so an attempt whose outcome could not be recorded is not repeated at once, and
/// a second sender (another instance) does not send it meanwhile.
pub(super) fn claim(
    tx: &Tx<'_>,
    now: i64,
    until: i64,
    limit: usize,
) -> ApiResult<Vec<DueDelivery>> {
    let due: Vec<DueDelivery> = tx
        .prepare_cached(
            "SELECT id, url, body, attempts FROM webhook_deliveries
             WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt <= ?1
             ORDER BY attempts, next_attempt, id LIMIT ?2",
        )?
        .query_map(params![now, limit as i64], |r| {
            Ok(DueDelivery {
                id: r.get(0)?,
                url: r.get(1)?,
                body: r.get(2)?,
                attempts: r.get(3)?,
            })
        })?
        .collect::<super::db::Result<_>>()?;
    for d in &due {
        tx.prepare_cached("UPDATE webhook_deliveries SET next_attempt = ?2 WHERE id = ?1")?
            .execute(params![d.id, until])?;
    }
    Ok(due)
}

/// Records an attempt and what follows it: delivered, another attempt at a time, or given up.
pub(super) fn record(tx: &Tx<'_>, id: i64, a: &Attempt) -> ApiResult<()> {
    let at = rfc3339(a.at);
    let attempt: i64 = tx
        .prepare_cached("SELECT attempts + 1 FROM webhook_deliveries WHERE id = ?1")?
        .query_row(params![id], |r| r.get(0))?;
    tx.prepare_cached("INSERT INTO webhook_attempts (delivery_id, attempt, at, status, error) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![id, attempt, at, a.status, a.error])?;
    match a.retry_at {
        _ if a.delivered => tx
            .prepare_cached(
                "UPDATE webhook_deliveries SET attempts = ?2, delivered_at = ?3 WHERE id = ?1",
            )?
            .execute(params![id, attempt, at])?,
        Some(next) => tx
            .prepare_cached(
                "UPDATE webhook_deliveries SET attempts = ?2, next_attempt = ?3 WHERE id = ?1",
            )?
            .execute(params![id, attempt, next])?,
        None => tx
            .prepare_cached(
                "UPDATE webhook_deliveries SET attempts = ?2, gave_up_at = ?3 WHERE id = ?1",
            )?
            .execute(params![id, attempt, at])?,
    };
    Ok(())
}

/// (id, url, body, created, delivered, given up, next attempt) as stored.
type Row = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
);

/// The subscription's newest `limit` deliveries with their attempts.
pub(super) fn list(tx: &Tx<'_>, sub: &str, limit: usize) -> ApiResult<Vec<WebhookDelivery>> {
    let rows: Vec<Row> = tx
        .prepare_cached(
            "SELECT id, url, body, created_at, delivered_at, gave_up_at, next_attempt FROM webhook_deliveries
             WHERE subscription = ?1 ORDER BY id DESC LIMIT ?2",
        )?
        .query_map(params![sub, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
        })?
        .collect::<super::db::Result<_>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, url, body, created_at, delivered_at, gave_up_at, next) in rows {
        let attempts = tx
            .prepare_cached("SELECT at, status, error FROM webhook_attempts WHERE delivery_id = ?1 ORDER BY attempt")?
            .query_map(params![id], |r| {
                Ok(WebhookAttempt {
                    at: r.get(0)?,
                    status: r.get(1)?,
                    error: r.get(2)?,
                })
            })?
            .collect::<super::db::Result<_>>()?;
        // The body is the server's own JSON.
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let text = |p: &str| {
            v.pointer(p)
                .and_then(|x| x.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let pending = delivered_at.is_none() && gave_up_at.is_none();
        out.push(WebhookDelivery {
            id,
            url: crate::webhooks::shown_url(&url),
            event: text("/type"),
            rule: text("/alert/rule"),
            connection: text("/alert/connection"),
            created_at,
            delivered_at,
            gave_up_at,
            next_attempt_at: pending.then(|| rfc3339(next)),
            attempts,
        });
    }
    Ok(out)
}

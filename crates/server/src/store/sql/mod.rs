//! The store's logic, written once over [`db::Tx`] for both backends: each module holds the
//! statements of one concern, and [`SqlStore`] runs each [`Store`] operation as one
//! transaction on the backend it was opened on ([`crate::store::sqlite`] or
//! [`crate::store::postgres`]).
//!
//! Writes are serialised per subscription: SQLite has one writer; PostgreSQL's writes take the
//! subscription's advisory lock first ([`lock_of`]). Every rule that spans rows (prefix
//! overlap, alert runs, event sequence numbers) reads and writes one subscription's rows only,
//! so inside the lock the rows it decides from cannot change until it commits, and the
//! model's functions stay the one judge on both backends. The webhook queue, shared by all
//! subscriptions, has its own lock ([`DELIVERIES_LOCK`]).

// tidy: long file: most of it is the one `impl Store for SqlStore`, which Rust cannot split
// across files; each method only opens its transaction and calls one module's function.

mod activity;
mod alert_records;
mod alerting;
mod children;
pub mod db;
mod deliveries;
mod latency;
pub use latency::GROUP_READ as LATENCY_GROUP_READ;
mod monitor;
pub(crate) mod services;
mod summaries;
mod telemetry;
mod values;
mod verdicts;

use crate::error::{ApiError, ApiResult};
use crate::store::{Activity, ActivityQuery, ActivityRow, Recorded};
use crate::store::{
    Attempt, CheckDelete, ChildRecord, ChildWrite, DecideChild, DecideService, DueDelivery,
    IngestReport, LatencyRow, Lookup, MonitorRun, Observed, PrefixCountsPage, RegisteredKey,
    Render, RenderChild, ServiceListQuery, ServicePage, Store, StoreFuture, StoredRepr,
};
use db::{params, Tx};
use peering_model::activity::Outcome;
use peering_model::prefix::Ipv4Prefix;
use peering_model::{ChildKind, ServiceId};
use sha2::Digest;

/// The database a [`SqlStore`] runs on.
pub(crate) enum Backend {
    Sqlite(crate::store::sqlite::Pools),
    Postgres(crate::store::postgres::Pools),
}

pub struct SqlStore {
    pub(crate) backend: Backend,
    format: i64,
    render: Render,
    render_child: RenderChild,
    /// Where alert openings and resolutions are delivered (`--alert-webhook`).
    webhooks: std::sync::Arc<Vec<String>>,
    /// Now, in Unix seconds (alerts' times; tests stop it).
    clock: fn() -> i64,
}

/// The lock a write of `subscription` takes: the first 8 bytes of a SHA-256 of its lower-case
/// form (PostgreSQL's advisory locks are named by one 64-bit number; a collision between two
/// subscriptions only serialises them, never lets two writes of one run together).
pub fn lock_of(subscription: &str) -> i64 {
    let h = sha2::Sha256::digest(format!("subscription:{}", subscription.to_lowercase()));
    i64::from_be_bytes(h[..8].try_into().expect("8 bytes"))
}

/// The lock of the webhook queue ("webhook" in ASCII), taken to claim and record deliveries.
pub(crate) const DELIVERIES_LOCK: i64 = 0x0077_6562_686f_6f6b;

impl SqlStore {
    pub(crate) fn new(
        backend: Backend,
        render: Render,
        render_child: RenderChild,
        format: i64,
    ) -> SqlStore {
        SqlStore {
            backend,
            format,
            render,
            render_child,
            webhooks: std::sync::Arc::new(Vec::new()),
            clock: crate::settings::unix_now,
        }
    }

    /// Delivers alert openings and resolutions to these webhooks.
    pub fn with_webhooks(mut self, urls: Vec<String>) -> Self {
        self.webhooks = std::sync::Arc::new(urls);
        self
    }

    /// Uses `clock` (Unix seconds) for the times of alerts.
    pub fn with_clock(mut self, clock: fn() -> i64) -> Self {
        self.clock = clock;
        self
    }

    /// Which database it runs on.
    pub fn dialect(&self) -> db::Dialect {
        match self.backend {
            Backend::Sqlite(_) => db::Dialect::Sqlite,
            Backend::Postgres(_) => db::Dialect::Postgres,
        }
    }

    /// Keeps the SQLite writer busy and its queue full until the guard is dropped, so every
    /// write meanwhile is refused with 503 (for tests; feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn saturate_writer(&self) -> Result<crate::store::pool::Hold, String> {
        match &self.backend {
            Backend::Sqlite(p) => p.saturate_writer(),
            Backend::Postgres(_) => Err("only the SQLite backend has one writer".into()),
        }
    }

    /// A write that also evaluates the alert rules of `connections` (None: every connection
    /// of `sub` with rules) before it commits.
    async fn write_alerting<T, F>(&self, sub: String, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>, alerting::Alerting<'_>) -> ApiResult<(T, alerting::Touched)>
            + Send
            + 'static,
    {
        let (webhooks, clock) = (self.webhooks.clone(), self.clock);
        self.write(lock_of(&sub), move |tx| {
            let a = alerting::Alerting {
                now: clock(),
                webhooks: &webhooks,
            };
            let (out, touched) = f(tx, a)?;
            alerting::evaluate(tx, &sub, &touched, a)?;
            Ok(out)
        })
        .await
    }

    /// Runs `f` in one write transaction holding `lock`; it commits only when `f` returns
    /// `Ok`.
    async fn write<T, F>(&self, lock: i64, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> ApiResult<T> + Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite(p) => p.write(f).await,
            Backend::Postgres(p) => p.write(lock, f).await,
        }
    }

    /// Runs `f` inside one read transaction (a consistent snapshot).
    async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> ApiResult<T> + Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite(p) => p.read(f).await,
            Backend::Postgres(p) => p.read(f).await,
        }
    }
}

impl Store for SqlStore {
    fn get_service(&self, id: ServiceId) -> StoreFuture<'_, Option<StoredRepr>> {
        Box::pin(self.read(move |tx| Ok(services::get_repr(tx, &id)?)))
    }

    fn list_services(&self, q: ServiceListQuery) -> StoreFuture<'_, ServicePage> {
        Box::pin(self.read(move |tx| Ok(services::list(tx, &q)?)))
    }

    fn write_service(
        &self,
        id: ServiceId,
        activity: Activity,
        decide: DecideService,
    ) -> StoreFuture<'_, (bool, StoredRepr)> {
        let format = self.format;
        Box::pin(self.write_alerting(id.subscription.clone(), move |tx, _| {
            let before = services::get_repr(tx, &id)?.map(|r| service_snapshot(&r));
            let out = services::write(tx, &id, decide, format)?;
            let status = if out.0 { 201 } else { 200 };
            let after = Some(service_snapshot(&out.1));
            activity::record(tx, &activity, &succeeded(status, before, after))?;
            // A replaced connection may name another provider or backup: its prefixes are
            // decided again.
            verdicts::reevaluate(tx, &id.subscription, verdicts::Scope::Service(&id))?;
            Ok((out, alerting::Touched::one(&id)))
        }))
    }

    fn delete_service(
        &self,
        id: ServiceId,
        activity: Activity,
        check: Option<CheckDelete<crate::store::StoredService>>,
    ) -> StoreFuture<'_, bool> {
        let render_child = self.render_child;
        Box::pin(self.write_alerting(id.subscription.clone(), move |tx, a| {
            // Its alerts go with it: their receivers hear them resolved first. (A refused
            // delete rolls this back with everything else.)
            alerting::resolve_open(tx, &id, None, "connection deleted", a)?;
            let before = deleted_snapshot(tx, &id, render_child)?;
            let existed = services::delete(tx, &id, check)?;
            let status = if existed { 200 } else { 204 };
            activity::record(tx, &activity, &succeeded(status, before, None))?;
            Ok((existed, alerting::Touched::default()))
        }))
    }

    fn get_child(
        &self,
        parent: ServiceId,
        kind: ChildKind,
        name: String,
    ) -> StoreFuture<'_, Lookup<ChildRecord>> {
        Box::pin(self.read(move |tx| {
            Ok(match children::get(tx, &parent, kind, &name)? {
                Some(c) => Lookup::Found(c),
                None if services::exists(tx, &parent)? => Lookup::Missing,
                None => Lookup::NoParent,
            })
        }))
    }

    fn list_children(
        &self,
        parent: ServiceId,
        kind: ChildKind,
        after: String,
        limit: usize,
        expand: bool,
    ) -> StoreFuture<'_, Option<Vec<ChildRecord>>> {
        Box::pin(self.read(move |tx| {
            if !services::exists(tx, &parent)? {
                return Ok(None);
            }
            Ok(Some(children::list(
                tx, &parent, kind, &after, limit, expand,
            )?))
        }))
    }

    fn write_child(
        &self,
        parent: ServiceId,
        kind: ChildKind,
        name: String,
        overlapping: Option<Ipv4Prefix>,
        activity: Activity,
        decide: DecideChild,
    ) -> StoreFuture<'_, Option<(bool, ChildRecord)>> {
        let render_child = self.render_child;
        Box::pin(
            self.write_alerting(parent.subscription.clone(), move |tx, a| {
                let touched = alerting::Touched::one(&parent);
                if !services::exists(tx, &parent)? {
                    return Ok((None, touched));
                }
                let existing = children::get(tx, &parent, kind, &name)?;
                let candidates = match overlapping {
                    Some(p) => children::overlapping(tx, &parent.subscription, p)?,
                    None => Vec::new(),
                };
                let created = existing.is_none();
                let before = existing.as_ref().map(render_child);
                let write = decide(existing, candidates)?;
                let rule_key = name.to_ascii_lowercase();
                let rule_before = match kind {
                    ChildKind::AlertRule if !created => {
                        alerting::condition_of(tx, &parent, &rule_key)?
                    }
                    _ => None,
                };
                children::store(tx, &parent, &write, &activity.author(), created)?;
                // A rule that now watches something else ends its open alert; the evaluation
                // below opens one under the new condition if it holds.
                if let Some(before) = rule_before {
                    if alerting::condition_of(tx, &parent, &rule_key)? != Some(before) {
                        alerting::resolve_open(tx, &parent, Some(&rule_key), "rule changed", a)?;
                    }
                }
                // A new prefix, or one with a new key, is decided from the telemetry stored.
                if let ChildWrite::Prefix {
                    reset_state: Some(_),
                    ..
                } = &write
                {
                    verdicts::initial(tx, &parent)?;
                }
                let stored = children::get(tx, &parent, kind, &name)?.ok_or_else(|| {
                    ApiError::internal(format!(
                        "{} vanished inside its transaction",
                        kind.segment()
                    ))
                })?;
                let status = if created { 201 } else { 200 };
                let after = Some(render_child(&stored));
                activity::record(tx, &activity, &succeeded(status, before, after))?;
                Ok((Some((created, stored)), touched))
            }),
        )
    }

    fn prefix_counts(
        &self,
        subscription: String,
        after: Option<(String, String)>,
        limit: usize,
        since: i64,
    ) -> StoreFuture<'_, PrefixCountsPage> {
        Box::pin(self.read(move |tx| {
            Ok(summaries::prefix_counts(
                tx,
                &subscription,
                after,
                limit,
                since,
            )?)
        }))
    }

    fn ingest_routes(
        &self,
        subscription: String,
        items: Vec<Observed>,
        keep_events: usize,
    ) -> StoreFuture<'_, IngestReport> {
        Box::pin(self.write_alerting(subscription.clone(), move |tx, _| {
            let mut touched = alerting::Touched::default();
            let report =
                telemetry::ingest_routes(tx, &subscription, items, keep_events, &mut touched)?;
            Ok((report, touched))
        }))
    }

    fn ingest_keys(
        &self,
        subscription: String,
        items: Vec<RegisteredKey>,
    ) -> StoreFuture<'_, IngestReport> {
        Box::pin(self.write_alerting(subscription.clone(), move |tx, _| {
            let mut touched = alerting::Touched::default();
            let report = telemetry::ingest_keys(tx, &subscription, items, &mut touched)?;
            Ok((report, touched))
        }))
    }

    fn ingest_results(
        &self,
        subscription: String,
        items: Vec<MonitorRun>,
        keep: usize,
    ) -> StoreFuture<'_, IngestReport> {
        let (render, format) = (self.render, self.format);
        Box::pin(self.write_alerting(subscription.clone(), move |tx, _| {
            let mut touched = alerting::Touched::default();
            let report = monitor::ingest_results(
                tx,
                &subscription,
                items,
                keep,
                render,
                format,
                &mut touched,
            )?;
            Ok((report, touched))
        }))
    }

    fn ingest_latency(
        &self,
        subscription: String,
        folded: Vec<LatencyRow>,
        keep_from: Vec<(i64, i64)>,
    ) -> StoreFuture<'_, ()> {
        Box::pin(self.write_alerting(subscription.clone(), move |tx, _| {
            latency::ingest_latency(tx, &subscription, folded, &keep_from)?;
            Ok(((), alerting::Touched::latency()))
        }))
    }

    fn latency(
        &self,
        subscription: String,
        prefix: Ipv4Prefix,
        tier: i64,
        from: i64,
    ) -> StoreFuture<'_, Vec<(i64, Vec<u8>)>> {
        Box::pin(self.read(move |tx| {
            Ok(latency::latency_rows(
                tx,
                &subscription,
                prefix,
                tier,
                from,
            )?)
        }))
    }

    fn initialize_connection_monitor(
        &self,
        subscription: String,
        activity: Activity,
    ) -> StoreFuture<'_, bool> {
        Box::pin(self.write(lock_of(&subscription), move |tx| {
            let author = activity.author();
            let n = tx
                .prepare_cached(
                    "INSERT INTO connection_monitor_subscriptions (subscription, initialized_at, initialized_by) VALUES (?1, ?2, ?3)
                     ON CONFLICT (subscription) DO NOTHING",
                )?
                .execute(params![subscription, author.at, author.id])?;
            // The first initialization is a change; a repeat records that nothing changed.
            let after = (n > 0).then(|| {
                serde_json::json!({"initializedAt": author.at, "initializedBy": author.id})
                    .to_string()
            });
            activity::record(tx, &activity, &succeeded(200, None, after))?;
            Ok(n == 0)
        }))
    }

    fn monitor_results(
        &self,
        parent: ServiceId,
        test: String,
        limit: usize,
    ) -> StoreFuture<'_, Option<Vec<peering_model::telemetry::MonitorTestRun>>> {
        Box::pin(self.read(move |tx| Ok(monitor::monitor_results(tx, &parent, &test, limit)?)))
    }

    fn alerts(
        &self,
        subscription: String,
        connection: Option<ServiceId>,
        open_only: bool,
        limit: usize,
    ) -> StoreFuture<'_, Option<Vec<peering_model::alerts::Alert>>> {
        Box::pin(self.read(move |tx| {
            if let Some(c) = &connection {
                if !services::exists(tx, c)? {
                    return Ok(None);
                }
            }
            Ok(Some(alerting::list(
                tx,
                &subscription,
                connection.as_ref(),
                open_only,
                limit,
            )?))
        }))
    }

    fn claim_deliveries(
        &self,
        now: i64,
        until: i64,
        limit: usize,
    ) -> StoreFuture<'_, Vec<DueDelivery>> {
        Box::pin(self.write(DELIVERIES_LOCK, move |tx| {
            deliveries::claim(tx, now, until, limit)
        }))
    }

    fn evaluate_time_alerts(&self) -> StoreFuture<'_, usize> {
        Box::pin(async move {
            let subs: Vec<String> = self
                .read(|tx| {
                    Ok(tx
                        .prepare_cached(
                            "SELECT DISTINCT subscription FROM alert_rules WHERE kind = 'LatencyP95'",
                        )?
                        .query_map(params![], |r| r.get(0))?
                        .collect::<db::Result<_>>()?)
                })
                .await?;
            // One transaction per subscription, under its lock, as every other write of it.
            // One subscription's failure (a full queue, a lock wait timed out) is logged and
            // the others are still evaluated; it is tried again at the next minute.
            let mut done = 0;
            for sub in &subs {
                match self
                    .write_alerting(sub.clone(), |_, _| Ok(((), alerting::Touched::latency())))
                    .await
                {
                    Ok(()) => done += 1,
                    Err(e) => tracing::warn!(
                        subscription = %sub,
                        "latency alerts not evaluated this minute: {}",
                        e.cause()
                    ),
                }
            }
            Ok(done)
        })
    }

    fn record_attempt(&self, id: i64, attempt: Attempt) -> StoreFuture<'_, ()> {
        Box::pin(self.write(DELIVERIES_LOCK, move |tx| {
            deliveries::record(tx, id, &attempt)
        }))
    }

    fn deliveries(
        &self,
        subscription: String,
        limit: usize,
    ) -> StoreFuture<'_, Vec<peering_model::alerts::WebhookDelivery>> {
        Box::pin(self.read(move |tx| deliveries::list(tx, &subscription, limit)))
    }

    fn delete_child(
        &self,
        parent: ServiceId,
        kind: ChildKind,
        name: String,
        activity: Activity,
        check: Option<CheckDelete<ChildRecord>>,
    ) -> StoreFuture<'_, Option<bool>> {
        let (render, format, render_child) = (self.render, self.format, self.render_child);
        Box::pin(
            self.write_alerting(parent.subscription.clone(), move |tx, a| {
                let touched = alerting::Touched::one(&parent);
                if !services::exists(tx, &parent)? {
                    return Ok((None, touched));
                }
                let stored = children::get(tx, &parent, kind, &name)?;
                if let Some(check) = check {
                    check(stored.as_ref())?;
                }
                let before = stored.as_ref().map(render_child);
                // A rule's alerts go with it: their receivers hear them resolved first.
                if kind == ChildKind::AlertRule {
                    let key = name.to_ascii_lowercase();
                    alerting::resolve_open(tx, &parent, Some(&key), "rule deleted", a)?;
                }
                let deleted = children::delete(tx, &parent, kind, &name)?;
                // A test's results went with it: its agent may no longer have reported.
                if deleted && kind == ChildKind::MonitorTest {
                    monitor::refresh_connected_agents(tx, &parent, render, format)?;
                }
                let status = if deleted { 200 } else { 204 };
                activity::record(tx, &activity, &succeeded(status, before, None))?;
                Ok((Some(deleted), touched))
            }),
        )
    }

    fn record_refusal(
        &self,
        activity: Activity,
        http_status: u16,
        code: String,
        message: String,
    ) -> StoreFuture<'_, ()> {
        Box::pin(self.write(lock_of(&activity.subscription), move |tx| {
            let r = Recorded {
                status: Outcome::Failed,
                http_status,
                error: Some((code, message)),
                before: None,
                after: None,
            };
            Ok(activity::record(tx, &activity, &r)?)
        }))
    }

    fn activity(&self, q: ActivityQuery) -> StoreFuture<'_, Vec<ActivityRow>> {
        Box::pin(self.read(move |tx| Ok(activity::list(tx, &q)?)))
    }

    fn activity_record(
        &self,
        subscription: String,
        event_id: String,
    ) -> StoreFuture<'_, Option<ActivityRow>> {
        Box::pin(self.read(move |tx| Ok(activity::get(tx, &subscription, &event_id)?)))
    }

    fn expire_activity(&self, before_ms: i64, limit: usize) -> StoreFuture<'_, usize> {
        Box::pin(self.write(ACTIVITY_EXPIRY_LOCK, move |tx| {
            Ok(activity::expire(tx, before_ms, limit)?)
        }))
    }
}

/// The lock expiry takes on PostgreSQL ("activity" in ASCII): two instances expiring at once
/// take turns instead of deleting the same rows.
const ACTIVITY_EXPIRY_LOCK: i64 = 0x6163_7469_7669_7479;

/// A write that succeeded, with its resource before and after.
fn succeeded(http_status: u16, before: Option<String>, after: Option<String>) -> Recorded {
    Recorded {
        status: Outcome::Succeeded,
        http_status,
        error: None,
        before,
        after,
    }
}

/// A connection's stored representation as one JSON object (the newest api-version's).
fn service_snapshot(r: &StoredRepr) -> String {
    format!("{}{}}}", r.body, r.system_data)
}

/// What a connection's delete takes with it: its representation with its prefixes, monitor
/// tests and alert rules under `children`, so it can be restored.
fn deleted_snapshot(
    tx: &Tx<'_>,
    id: &ServiceId,
    render_child: RenderChild,
) -> ApiResult<Option<String>> {
    let Some(repr) = services::get_repr(tx, id)? else {
        return Ok(None);
    };
    let mut value: serde_json::Value =
        serde_json::from_str(&service_snapshot(&repr)).map_err(ApiError::internal)?;
    fn parse<T: serde::de::DeserializeOwned>(json: String) -> ApiResult<T> {
        serde_json::from_str(&json).map_err(ApiError::internal)
    }
    let all = |kind| children::list(tx, id, kind, "", i64::MAX as usize, false);
    let mut kids = peering_model::activity::DeletedChildren::default();
    for c in all(ChildKind::Prefix)? {
        kids.prefixes.push(parse(render_child(&c))?);
    }
    for c in all(ChildKind::MonitorTest)? {
        kids.connection_monitor_tests.push(parse(render_child(&c))?);
    }
    for c in all(ChildKind::AlertRule)? {
        kids.alert_rules.push(parse(render_child(&c))?);
    }
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            peering_model::activity::CHILDREN.to_owned(),
            serde_json::to_value(&kids).map_err(ApiError::internal)?,
        );
    }
    Ok(Some(value.to_string()))
}

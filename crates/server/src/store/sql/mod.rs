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
use crate::store::{
    Attempt, Author, CheckDelete, ChildRecord, ChildWrite, DecideChild, DecideService, DueDelivery,
    IngestReport, LatencyRow, Lookup, MonitorRun, Observed, PrefixCountsPage, RegisteredKey,
    Render, ServiceListQuery, ServicePage, Store, StoreFuture, StoredRepr,
};
use db::{params, Tx};
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
    pub(crate) fn new(backend: Backend, render: Render, format: i64) -> SqlStore {
        SqlStore {
            backend,
            format,
            render,
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
        decide: DecideService,
    ) -> StoreFuture<'_, (bool, StoredRepr)> {
        let format = self.format;
        Box::pin(self.write_alerting(id.subscription.clone(), move |tx, _| {
            let out = services::write(tx, &id, decide, format)?;
            // A replaced connection may name another provider or backup: its prefixes are
            // decided again.
            verdicts::reevaluate(tx, &id.subscription, verdicts::Scope::Service(&id))?;
            Ok((out, alerting::Touched::one(&id)))
        }))
    }

    fn delete_service(
        &self,
        id: ServiceId,
        check: Option<CheckDelete<crate::store::StoredService>>,
    ) -> StoreFuture<'_, bool> {
        Box::pin(self.write_alerting(id.subscription.clone(), move |tx, a| {
            // Its alerts go with it: their receivers hear them resolved first. (A refused
            // delete rolls this back with everything else.)
            alerting::resolve_open(tx, &id, None, "connection deleted", a)?;
            Ok((
                services::delete(tx, &id, check)?,
                alerting::Touched::default(),
            ))
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
        author: Author,
        decide: DecideChild,
    ) -> StoreFuture<'_, Option<(bool, ChildRecord)>> {
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
                let write = decide(existing, candidates)?;
                let rule_key = name.to_ascii_lowercase();
                let rule_before = match kind {
                    ChildKind::AlertRule if !created => {
                        alerting::condition_of(tx, &parent, &rule_key)?
                    }
                    _ => None,
                };
                children::store(tx, &parent, &write, &author, created)?;
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
        author: Author,
    ) -> StoreFuture<'_, bool> {
        Box::pin(self.write(lock_of(&subscription), move |tx| {
            let n = tx
                .prepare_cached(
                    "INSERT INTO connection_monitor_subscriptions (subscription, initialized_at, initialized_by) VALUES (?1, ?2, ?3)
                     ON CONFLICT (subscription) DO NOTHING",
                )?
                .execute(params![subscription, author.at, author.id])?;
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
        check: Option<CheckDelete<ChildRecord>>,
    ) -> StoreFuture<'_, Option<bool>> {
        let (render, format) = (self.render, self.format);
        Box::pin(
            self.write_alerting(parent.subscription.clone(), move |tx, a| {
                let touched = alerting::Touched::one(&parent);
                if !services::exists(tx, &parent)? {
                    return Ok((None, touched));
                }
                if let Some(check) = check {
                    check(children::get(tx, &parent, kind, &name)?.as_ref())?;
                }
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
                Ok((Some(deleted), touched))
            }),
        )
    }
}

//! The embedded backend: SQLite in WAL mode, embedded migrations, one writer thread and a few
//! reader threads ([`pool`]).
//!
//! Durability: the writer commits with `synchronous=FULL`, so the WAL is synced to disk before
//! a commit returns, and a write the API acknowledged survives power loss (with `NORMAL`, WAL
//! mode survives a crash of the process but may lose the last commits on power loss).

// tidy: long file: most of it is the one `impl Store for SqliteStore`, which Rust cannot
// split across files; each method only opens its transaction and calls one module's function.

mod alert_records;
mod alerting;
mod children;
mod deliveries;
mod monitor;
mod pool;
mod schema;
mod services;
mod summaries;
mod telemetry;
mod verdicts;

use crate::error::{ApiError, ApiResult};
use crate::store::{
    Attempt, Author, CheckDelete, ChildRecord, ChildWrite, DecideChild, DecideService, DueDelivery,
    IngestReport, LatencyRow, Lookup, MonitorRun, Observed, PrefixCountsPage, RegisteredKey,
    Render, ServiceListQuery, ServicePage, Store, StoreFuture, StoredRepr,
};
use peering_model::prefix::Ipv4Prefix;
use peering_model::{ChildKind, ServiceId};
#[cfg(feature = "test-util")]
pub use pool::Hold;
use pool::Pool;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use schema::{check_schema, migrate};
pub use schema::{inspect, Inspection, SCHEMA_VERSION};
use std::path::Path;

/// How to open a database.
#[derive(Clone, Copy)]
pub struct Options {
    /// Reader threads (at least 1).
    pub readers: usize,
    /// Jobs that may wait for the writer, and for the readers, before requests get 503.
    pub queue: usize,
    /// The representation of a connection, to rewrite stored ones of an older format.
    pub render: Render,
    /// The version of [`StoredRepr`]'s format that `render` makes.
    pub format: i64,
    /// The writer's `PRAGMA synchronous`: `FULL` (what the server runs: an acknowledged write
    /// survives power loss) or `NORMAL` (only for measuring what `FULL` costs).
    pub synchronous: &'static str,
}

pub struct SqliteStore {
    writer: Pool,
    readers: Pool,
    format: i64,
    render: Render,
    /// Where alert openings and resolutions are delivered (`--alert-webhook`).
    webhooks: std::sync::Arc<Vec<String>>,
    /// Now, in Unix seconds (alerts' times; tests stop it).
    clock: fn() -> i64,
}

fn configure(conn: &Connection, synchronous: &str) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", synchronous)?;
    // Reads map the file instead of copying each page into every connection's own cache.
    conn.pragma_update(None, "mmap_size", 256i64 * 1024 * 1024)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

impl SqliteStore {
    /// Opens (creating and migrating) the database. Refuses a database written by a newer
    /// server (a schema version above [`SCHEMA_VERSION`]).
    pub fn open(path: &Path, options: Options) -> Result<SqliteStore, String> {
        let shown = path.display();
        let writer = Connection::open(path).map_err(|e| format!("cannot open {shown}: {e}"))?;
        // Refuse a newer schema before anything (even the journal mode) is changed.
        check_schema(&writer).map_err(|e| format!("{shown}: {e}"))?;
        let mode: String = writer
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(|e| format!("cannot enable WAL on {shown}: {e}"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(format!(
                "{shown} does not support WAL (journal_mode={mode})"
            ));
        }
        if !matches!(options.synchronous, "FULL" | "NORMAL") {
            return Err(format!(
                "synchronous={} is not FULL or NORMAL",
                options.synchronous
            ));
        }
        configure(&writer, options.synchronous).map_err(|e| e.to_string())?;
        migrate(&writer).map_err(|e| format!("{shown}: {e}"))?;
        services::sync_stored_json(&writer, options.render, options.format)
            .map_err(|e| format!("writing the stored connections of {shown}: {e}"))?;
        let readers = (0..options.readers.max(1))
            .map(|_| {
                let c = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(|e| e.to_string())?;
                // Readers write nothing; their setting only matters for checkpoints.
                configure(&c, "NORMAL").map_err(|e| e.to_string())?;
                Ok(c)
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(SqliteStore {
            writer: Pool::spawn("db-writer", vec![writer], options.queue)?,
            readers: Pool::spawn("db-reader", readers, options.queue)?,
            format: options.format,
            render: options.render,
            webhooks: std::sync::Arc::new(Vec::new()),
            clock: crate::settings::unix_now,
        })
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

    /// A write that also evaluates the alert rules of `connections` (None: every connection
    /// of `sub` with rules) before it commits.
    async fn write_alerting<T, F>(&self, sub: String, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>, alerting::Alerting<'_>) -> ApiResult<(T, alerting::Touched)>
            + Send
            + 'static,
    {
        let (webhooks, clock) = (self.webhooks.clone(), self.clock);
        self.write(move |tx| {
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

    /// Keeps the writer busy and its queue full until the guard is dropped, so every write
    /// meanwhile is refused with 503 (for tests; feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn saturate_writer(&self) -> Result<Hold, String> {
        self.writer.saturate(1)
    }

    /// Runs `f` in one write transaction (IMMEDIATE, on the one writer); it commits only when
    /// `f` returns `Ok`.
    async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> ApiResult<T> + Send + 'static,
    {
        self.writer
            .run(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let out = f(&tx)?;
                tx.commit()?;
                Ok(out)
            })
            .await
    }

    /// Runs `f` on a reader connection, inside one read transaction (a consistent snapshot).
    async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> ApiResult<T> + Send + 'static,
    {
        self.readers
            .run(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
                let out = f(&tx)?;
                tx.finish()?;
                Ok(out)
            })
            .await
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::internal(e)
    }
}

impl Store for SqliteStore {
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
            telemetry::ingest_latency(tx, &subscription, folded, &keep_from)?;
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
            Ok(telemetry::latency_rows(
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
        Box::pin(self.write(move |tx| {
            let n = tx
                .prepare_cached(
                    "INSERT INTO connection_monitor_subscriptions (subscription, initialized_at, initialized_by) VALUES (?1, ?2, ?3)
                     ON CONFLICT (subscription) DO NOTHING",
                )?
                .execute(rusqlite::params![subscription, author.at, author.id])?;
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
        Box::pin(self.write(move |tx| deliveries::claim(tx, now, until, limit)))
    }

    fn evaluate_time_alerts(&self) -> StoreFuture<'_, usize> {
        let (webhooks, clock) = (self.webhooks.clone(), self.clock);
        Box::pin(self.write(move |tx| {
            let a = alerting::Alerting {
                now: clock(),
                webhooks: &webhooks,
            };
            let subs: Vec<String> = tx
                .prepare_cached(
                    "SELECT DISTINCT subscription FROM alert_rules WHERE kind = 'LatencyP95'",
                )?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for sub in &subs {
                alerting::evaluate(tx, sub, &alerting::Touched::latency(), a)?;
            }
            Ok(subs.len())
        }))
    }

    fn record_attempt(&self, id: i64, attempt: Attempt) -> StoreFuture<'_, ()> {
        Box::pin(self.write(move |tx| deliveries::record(tx, id, &attempt)))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn options(synchronous: &'static str) -> Options {
        Options {
            readers: 1,
            queue: 4,
            render: |_| Err("no connections here".into()),
            format: 1,
            synchronous,
        }
    }

    /// The writer commits with `synchronous=FULL` (2): a crash test cannot tell it from
    /// `NORMAL` (the OS keeps the page cache), so the setting itself is checked.
    #[tokio::test]
    async fn the_writer_syncs_every_commit() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("x.db"), options("FULL")).unwrap();
        let sync: i64 = store
            .writer
            .run(|c| Ok(c.pragma_query_value(None, "synchronous", |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(sync, 2);
        assert!(SqliteStore::open(&dir.path().join("y.db"), options("OFF")).is_err());
    }

    /// A newer schema is refused before the file is touched: a database in rollback-journal
    /// mode stays so.
    #[test]
    fn a_newer_schema_is_refused_before_anything_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newer.db");
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(c);
        let e = SqliteStore::open(&path, options("FULL")).err().unwrap();
        assert!(e.contains("written by a newer peering-server"), "{e}");
        let i = inspect(&path).unwrap();
        assert_eq!(
            (i.journal_mode.as_str(), i.user_version),
            ("delete", SCHEMA_VERSION + 1)
        );
    }
}

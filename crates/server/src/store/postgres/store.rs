//! The store on PostgreSQL: a fixed pool of threads, each holding one connection (the
//! `postgres` client, tokio-postgres driven synchronously), running the store's logic
//! ([`crate::store::sql`]) as SQLite's threads do.
//!
//! Why threads and not async tasks: the logic is written once, synchronously, for both
//! backends, and a fixed pool with a bounded queue refuses work with 503 when the database
//! falls behind instead of queuing it in memory, as the SQLite backend does.
//!
//! Transactions: a read is `REPEATABLE READ READ ONLY`, one snapshot for all its statements,
//! as a SQLite read transaction. A write is `READ COMMITTED` and takes its lock
//! (`pg_advisory_xact_lock`) before its first statement: every write of a subscription takes
//! the same lock, so the rows it decides from are the ones the previous holder committed and
//! none changes before it commits (see [`crate::store::sql`]). Nothing is cached in the
//! process between requests, so instances never disagree: an ETag, a paging token or a
//! precondition is checked against the database by whichever instance gets the request.

use crate::error::{ApiError, ApiResult};
use crate::store::pool::Pool;
use crate::store::sql::db::{PgTx, Tx};
use crate::store::sql::{Backend, SqlStore};
use crate::store::Render;
use std::cell::RefCell;
use std::collections::HashMap;

/// One connection and the statements prepared on it.
pub(crate) struct Conn {
    config: postgres::Config,
    client: Option<postgres::Client>,
    cache: RefCell<HashMap<String, postgres::Statement>>,
}

/// The pool of connection threads.
pub(crate) struct Pools {
    pool: Pool<Conn>,
}

/// How to open the store on PostgreSQL.
pub struct PgOptions {
    /// Connections (and threads) of this instance.
    pub connections: usize,
    /// Jobs that may wait for a connection before requests get 503.
    pub queue: usize,
    pub render: Render,
    pub format: i64,
}

/// Opens the store on the database of `url`, migrating it first (under the migration lock, so
/// instances starting together migrate once) and refusing a newer schema.
pub async fn open(url: &str, options: PgOptions) -> Result<SqlStore, String> {
    let async_config = super::config(url)?;
    let migrator = super::pool(async_config.clone(), 1)?;
    super::migrate(&migrator).await?;
    drop(migrator);
    let config = postgres::Config::from(async_config);
    // The synchronous client runs its own runtime, which cannot start on a tokio thread:
    // connections are made on a thread of their own.
    let (render, format, n) = (options.render, options.format, options.connections.max(1));
    let conns = tokio::task::spawn_blocking(move || -> Result<Vec<Conn>, String> {
        let mut conns = Vec::with_capacity(n);
        for i in 0..n {
            let client = config
                .connect(postgres::NoTls)
                .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
            let mut conn = Conn {
                config: config.clone(),
                client: Some(client),
                cache: RefCell::new(HashMap::new()),
            };
            if i == 0 {
                // Representations of an older format are written again, under a lock of their
                // own: of instances starting together one does it, the others find it done.
                run_write(&mut conn, None, |tx| {
                    crate::store::sql::services::sync_stored_json(tx, render, format)
                })
                .map_err(|e| format!("writing the stored connections: {}", e.cause()))?;
            }
            conns.push(conn);
        }
        Ok(conns)
    })
    .await
    .map_err(|e| format!("connecting to PostgreSQL: {e}"))??;
    let pools = Pools {
        pool: Pool::spawn("db-postgres", conns, options.queue)?,
    };
    Ok(SqlStore::new(Backend::Postgres(pools), render, format))
}

/// The lock `sync_stored_json` takes at start ("rewrite" in ASCII).
const REWRITE_LOCK: i64 = 0x0072_6577_7269_7465;

fn run_write<T>(
    conn: &mut Conn,
    lock: Option<i64>,
    f: impl FnOnce(&Tx<'_>) -> ApiResult<T>,
) -> ApiResult<T> {
    let Conn {
        client,
        config,
        cache,
    } = conn;
    let cache: &RefCell<_> = cache;
    let mut t = conn_client(client, config, cache)?.transaction()?;
    t.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&lock.unwrap_or(REWRITE_LOCK)],
    )?;
    let tx = Tx::Postgres(PgTx {
        tx: RefCell::new(t),
        cache,
    });
    let out = f(&tx)?;
    let Tx::Postgres(p) = tx else { unreachable!() };
    p.tx.into_inner().commit()?;
    Ok(out)
}

/// The client, connected again when the last one was closed (the database restarted, or the
/// connection broke): one request sees the failure, the next reconnects.
fn conn_client<'c>(
    client: &'c mut Option<postgres::Client>,
    config: &postgres::Config,
    cache: &RefCell<HashMap<String, postgres::Statement>>,
) -> ApiResult<&'c mut postgres::Client> {
    if client.as_ref().is_none_or(postgres::Client::is_closed) {
        cache.borrow_mut().clear();
        *client = None;
        let c = config
            .connect(postgres::NoTls)
            .map_err(|e| ApiError::unavailable(format!("cannot connect to PostgreSQL: {e}")))?;
        *client = Some(c);
    }
    Ok(client.as_mut().expect("connected above"))
}

impl Pools {
    /// Runs `f` in one write transaction holding `lock`; it commits only when `f` returns
    /// `Ok` (else the transaction is rolled back as it is dropped).
    pub(crate) async fn write<T, F>(&self, lock: i64, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> ApiResult<T> + Send + 'static,
    {
        self.pool
            .run(move |conn| run_write(conn, Some(lock), f))
            .await
    }

    /// Runs `f` in one read-only transaction on one snapshot.
    pub(crate) async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> ApiResult<T> + Send + 'static,
    {
        self.pool
            .run(move |conn| {
                let Conn {
                    client,
                    config,
                    cache,
                } = conn;
                let cache: &RefCell<_> = cache;
                let t = conn_client(client, config, cache)?
                    .build_transaction()
                    .isolation_level(postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()?;
                let tx = Tx::Postgres(PgTx {
                    tx: RefCell::new(t),
                    cache,
                });
                let out = f(&tx)?;
                let Tx::Postgres(p) = tx else { unreachable!() };
                p.tx.into_inner().commit()?;
                Ok(out)
            })
            .await
    }
}

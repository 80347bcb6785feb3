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
//!
//! Waiting: inside one instance, writes of one subscription wait for each other in an async
//! mutex (one of [`STRIPES`]) before they take a connection thread, so a burst of writes to
//! one subscription never holds every thread while reads of others wait. Across instances a
//! write waits for the lock at most [`LOCK_TIMEOUT`] (then 503, nothing written), and a
//! transaction an instance left open is ended by the database after [`IDLE_TIMEOUT`].

use crate::error::{ApiError, ApiResult};
use crate::store::pool::Pool;
use crate::store::sql::db::{PgTx, Tx};
use crate::store::sql::{lock_of, Backend, SqlStore};
use crate::store::Render;
use std::cell::RefCell;
use std::collections::HashMap;

/// One connection and the statements prepared on it.
pub(crate) struct Conn {
    config: postgres::Config,
    tls: super::Tls,
    client: Option<postgres::Client>,
    cache: RefCell<HashMap<String, postgres::Statement>>,
}

/// The pool of connection threads, and the in-process queues of writes in front of it.
pub(crate) struct Pools {
    pool: Pool<Conn>,
    stripes: Vec<tokio::sync::Mutex<()>>,
}

/// How to open the store on PostgreSQL.
pub struct PgOptions {
    /// Connections (and threads) of this instance.
    pub connections: usize,
    /// Jobs that may wait for a connection before requests get 503.
    pub queue: usize,
    pub render: Render,
    /// A child's representation as the activity log keeps it.
    pub render_child: crate::store::RenderChild,
    pub format: i64,
}

/// Striped in-process locks in front of the database's: writes whose locks fall on one stripe
/// queue here without holding a thread.
const STRIPES: usize = 64;

/// The longest a write waits for its turn among this instance's writes of its subscription.
const TURN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The longest a statement waits for a lock (a write for its subscription's): then 503.
const LOCK_TIMEOUT: &str = "10s";

/// A transaction left idle this long (its instance hung, or lost its network) is ended by the
/// database, releasing its locks.
const IDLE_TIMEOUT: &str = "60s";

/// Opens the store on the database of `url`, migrating it first (under the migration lock, so
/// instances starting together migrate once) and refusing a newer schema.
pub async fn open(url: &str, options: PgOptions) -> Result<SqlStore, String> {
    let async_config = super::config(url)?;
    let migrator = super::pool(async_config.clone(), 1)?;
    super::migrate(&migrator).await?;
    drop(migrator);
    let tls = async_config.tls.clone();
    let mut config = postgres::Config::from(async_config.config.clone());
    // A database that cannot be reached is said so in seconds, not after the OS gives up; a
    // peer that vanished is noticed by keepalives.
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(5));
    }
    config.keepalives(true);
    config.keepalives_idle(std::time::Duration::from_secs(30));
    // The synchronous client runs its own runtime, which cannot start on a tokio thread:
    // connections are made on a thread of their own.
    let (render, format, n) = (options.render, options.format, options.connections.max(1));
    let conns = tokio::task::spawn_blocking(move || -> Result<Vec<Conn>, String> {
        let mut conns = Vec::with_capacity(n);
        for _ in 0..n {
            let mut conn = Conn {
                config: config.clone(),
                tls: tls.clone(),
                client: None,
                cache: RefCell::new(HashMap::new()),
            };
            conn_client(&mut conn.client, (&conn.config, &conn.tls), &conn.cache)
                .map_err(|e| e.cause().to_owned())?;
            conns.push(conn);
        }
        // Representations of an older format are written again, a subscription at a time
        // under its lock, as other instances may be writing it meanwhile; of instances
        // starting together the first does it and the others find it done.
        let conn = &mut conns[0];
        let stale = run_read(conn, |tx| {
            crate::store::sql::services::stale_subscriptions(tx, format)
        })
        .map_err(|e| format!("reading the stored connections: {}", e.cause()))?;
        for sub in stale {
            run(conn, Kind::Patient, Some(lock_of(&sub)), |tx| {
                crate::store::sql::services::sync_stored_json(tx, render, format, Some(&sub))
            })
            .map_err(|e| format!("writing the stored connections: {}", e.cause()))?;
        }
        Ok(conns)
    })
    .await
    .map_err(|e| format!("connecting to PostgreSQL: {e}"))??;
    let pools = Pools {
        pool: Pool::spawn("db-postgres", conns, options.queue)?,
        stripes: (0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
    };
    Ok(SqlStore::new(
        Backend::Postgres(pools),
        render,
        options.render_child,
        format,
    ))
}

/// The client, connected again when the last one was closed (the database restarted, or the
/// connection broke): one request sees the failure, the next reconnects.
fn conn_client<'c>(
    client: &'c mut Option<postgres::Client>,
    (config, tls): (&postgres::Config, &super::Tls),
    cache: &RefCell<HashMap<String, postgres::Statement>>,
) -> ApiResult<&'c mut postgres::Client> {
    if client.as_ref().is_none_or(postgres::Client::is_closed) {
        cache.borrow_mut().clear();
        *client = None;
        let unavailable = |e: postgres::Error| {
            ApiError::unavailable(format!(
                "cannot connect to PostgreSQL: {}",
                crate::error::chain(&e)
            ))
        };
        let mut c = match tls {
            super::Tls::Plain => config.connect(postgres::NoTls),
            super::Tls::Rustls(t) => config.connect(t.clone()),
        }
        .map_err(unavailable)?;
        c.batch_execute(&format!(
            "SET lock_timeout = '{LOCK_TIMEOUT}'; SET idle_in_transaction_session_timeout = '{IDLE_TIMEOUT}'"
        ))
        .map_err(unavailable)?;
        *client = Some(c);
    }
    Ok(client.as_mut().expect("connected above"))
}

/// Runs `f` in a transaction begun by `begin` and commits it when `f` answers `Ok`; an error
/// rolls it back (the transaction is dropped). After a database error the connection's
/// prepared statements are forgotten, in case the schema changed under them.
/// How a transaction waits for its lock and what its COMMIT failing means.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Read,
    /// A request's write: waits at most `LOCK_TIMEOUT`.
    Write,
    /// The rewrite at start: waits as long as another instance holds the lock.
    Patient,
}

fn run<T>(
    conn: &mut Conn,
    kind: Kind,
    lock: Option<i64>,
    f: impl FnOnce(&Tx<'_>) -> ApiResult<T>,
) -> ApiResult<T> {
    let Conn {
        client,
        config,
        tls,
        cache,
    } = conn;
    let cache: &RefCell<_> = cache;
    let c = conn_client(client, (config, tls), cache)?;
    let mut t = match kind {
        Kind::Read => c
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?,
        Kind::Write | Kind::Patient => c.transaction()?,
    };
    if kind == Kind::Patient {
        t.batch_execute("SET LOCAL lock_timeout = 0")?;
    }
    if let Some(lock) = lock {
        t.execute("SELECT pg_advisory_xact_lock($1)", &[&lock])?;
    }
    let tx = Tx::Postgres(PgTx {
        tx: RefCell::new(t),
        cache,
    });
    let out = match f(&tx) {
        Ok(out) => out,
        Err(e) => {
            if e.status.is_server_error() {
                cache.borrow_mut().clear();
            }
            return Err(e);
        }
    };
    let Tx::Postgres(p) = tx else { unreachable!() };
    p.tx.into_inner().commit().map_err(|e| {
        let e = crate::store::sql::db::Error::from(e);
        match kind {
            // Nothing to lose: a retry reads again.
            Kind::Read => ApiError::from(e),
            // The commit may have reached the database before the connection broke: say
            // so rather than "nothing was written", which a client or proxy would retry on.
            Kind::Write | Kind::Patient => ApiError::outcome_unknown(format!("COMMIT: {e}")),
        }
    })?;
    Ok(out)
}

fn run_write<T>(
    conn: &mut Conn,
    lock: i64,
    f: impl FnOnce(&Tx<'_>) -> ApiResult<T>,
) -> ApiResult<T> {
    run(conn, Kind::Write, Some(lock), f)
}

fn run_read<T>(conn: &mut Conn, f: impl FnOnce(&Tx<'_>) -> ApiResult<T>) -> ApiResult<T> {
    run(conn, Kind::Read, None, f)
}

impl Pools {
    /// Runs `f` in one write transaction holding `lock`; it commits only when `f` returns
    /// `Ok` (else the transaction is rolled back as it is dropped).
    pub(crate) async fn write<T, F>(&self, lock: i64, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> ApiResult<T> + Send + 'static,
    {
        // Its turn among this instance's writes of the subscription, at most LOCK_TIMEOUT
        // (then 503, as a wait for the database's lock would end).
        let stripe = &self.stripes[(lock as u64 % STRIPES as u64) as usize];
        let _turn = tokio::time::timeout(TURN_TIMEOUT, stripe.lock())
            .await
            .map_err(|_| ApiError::busy("subscription's write"))?;
        self.pool.run(move |conn| run_write(conn, lock, f)).await
    }

    /// Runs `f` in one read-only transaction on one snapshot.
    pub(crate) async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> ApiResult<T> + Send + 'static,
    {
        self.pool.run(move |conn| run_read(conn, f)).await
    }
}

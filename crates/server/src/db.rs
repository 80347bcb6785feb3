//! SQLite storage: WAL mode, embedded migrations, one writer thread (so checks that span rows,
//! such as prefix overlap, are serialised) and a small fixed pool of reader threads, each with
//! its own connection.
//!
//! Requests hand their work to these threads through queues and await the answer. A fixed
//! pool (rather than tokio's blocking pool, which grows a thread per waiting request) keeps the
//! number of runnable threads near the number of cores, so under load requests are served in
//! order instead of being time-sliced, which keeps the latency tail short.

use rusqlite::{Connection, OpenFlags};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};

/// Migrations run in order, each once; the applied count lives in `PRAGMA user_version`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_audit_columns.sql"),
    include_str!("../migrations/0003_service_json.sql"),
];

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

/// Dropping the last `Db` drops the queues; the threads then finish and close their
/// connections.
struct Inner {
    writer: Sender<Job>,
    readers: Sender<Job>,
    path: PathBuf,
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Reads map the file instead of copying each page into every connection's own cache.
    conn.pragma_update(None, "mmap_size", 256i64 * 1024 * 1024)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Threads that take jobs from one queue, each with its own connection.
fn spawn_pool(name: &str, connections: Vec<Connection>) -> Result<Sender<Job>, String> {
    let (tx, rx) = channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    for (i, mut conn) in connections.into_iter().enumerate() {
        let rx = rx.clone();
        std::thread::Builder::new()
            .name(format!("{name}-{i}"))
            .spawn(move || loop {
                let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                match job {
                    // A panicking job loses only its own answer (its caller sees an error).
                    Ok(job) => drop(std::panic::catch_unwind(AssertUnwindSafe(|| {
                        job(&mut conn)
                    }))),
                    Err(_) => return,
                }
            })
            .map_err(|e| format!("cannot start a database thread: {e}"))?;
    }
    Ok(tx)
}

fn failed<E: From<rusqlite::Error>>(what: &str) -> E {
    E::from(rusqlite::Error::InvalidParameterName(format!(
        "the database {what}"
    )))
}

async fn submit<T, E, F>(queue: &Sender<Job>, f: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<rusqlite::Error> + Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move |conn| {
        let _ = tx.send(f(conn));
    });
    if queue.send(job).is_err() {
        return Err(failed("is closed"));
    }
    rx.await.unwrap_or_else(|_| Err(failed("task failed")))
}

impl Db {
    /// Opens (creating and migrating) the database with `readers` reader threads.
    pub fn open(path: &Path, readers: usize) -> Result<Db, String> {
        let writer =
            Connection::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let mode: String = writer
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(|e| format!("cannot enable WAL on {}: {e}", path.display()))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(format!(
                "{} does not support WAL (journal_mode={mode})",
                path.display()
            ));
        }
        configure(&writer).map_err(|e| e.to_string())?;
        migrate(&writer).map_err(|e| format!("migrating {}: {e}", path.display()))?;
        // Connections are served from their stored representation: write any that are missing
        // or of an older format (a database from before migration 3).
        crate::services::sync_stored_json(&writer)
            .map_err(|e| format!("writing the stored connections of {}: {e}", path.display()))?;
        let readers = (0..readers.max(1))
            .map(|_| {
                let c = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(|e| e.to_string())?;
                configure(&c).map_err(|e| e.to_string())?;
                Ok(c)
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Db {
            inner: Arc::new(Inner {
                writer: spawn_pool("db-writer", vec![writer])?,
                readers: spawn_pool("db-reader", readers)?,
                path: path.to_owned(),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Run `f` in one write transaction (IMMEDIATE, on the one writer); it commits only when
    /// `f` returns `Ok`.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<rusqlite::Error> + Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, E> + Send + 'static,
    {
        submit(&self.inner.writer, move |conn: &mut Connection| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    /// Run `f` on a reader connection, inside one read transaction (a consistent snapshot).
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<rusqlite::Error> + Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, E> + Send + 'static,
    {
        submit(&self.inner.readers, move |conn: &mut Connection| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
            let out = f(&tx)?;
            tx.finish()?;
            Ok(out)
        })
        .await
    }
}

fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let applied: usize =
        conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// What a database file says about itself: its journal mode and how many migrations ran.
pub struct Inspection {
    pub journal_mode: String,
    pub user_version: i64,
}

pub fn inspect(path: &Path) -> rusqlite::Result<Inspection> {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    Ok(Inspection {
        journal_mode: c.pragma_query_value(None, "journal_mode", |r| r.get(0))?,
        user_version: c.pragma_query_value(None, "user_version", |r| r.get(0))?,
    })
}

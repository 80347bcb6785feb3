//! The embedded backend: SQLite in WAL mode, embedded migrations, one writer thread and a few
//! reader threads ([`Pool`]), running the store's logic ([`crate::store::sql`]).
//!
//! Durability: the writer commits with `synchronous=FULL`, so the WAL is synced to disk before
//! a commit returns, and a write the API acknowledged survives power loss (with `NORMAL`, WAL
//! mode survives a crash of the process but may lose the last commits on power loss).
//!
//! One writer serialises every write, so the store's per-subscription locks are nothing here.

mod schema;

use crate::error::ApiResult;
use crate::store::pool::Pool;
use crate::store::sql::db::Tx;
use crate::store::sql::{Backend, SqlStore};
use crate::store::Render;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
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
    /// A child's representation as the activity log keeps it.
    pub render_child: crate::store::RenderChild,
    /// The version of [`crate::store::StoredRepr`]'s format that `render` makes.
    pub format: i64,
    /// The writer's `PRAGMA synchronous`: `FULL` (what the server runs: an acknowledged write
    /// survives power loss) or `NORMAL` (only for measuring what `FULL` costs).
    pub synchronous: &'static str,
}

/// The writer's and the readers' threads.
pub(crate) struct Pools {
    writer: Pool<Connection>,
    readers: Pool<Connection>,
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

/// Creates a missing database file readable by its owner only (0600): it holds webhook URLs
/// and everything else. SQLite gives its WAL and shared-memory files the database file's
/// permissions, so they are private too. An existing file is left as the operator made it.
#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn create_private(_: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Opens (creating and migrating) the database. Refuses a database written by a newer
/// server (a schema version above [`SCHEMA_VERSION`]).
pub fn open(path: &Path, options: Options) -> Result<SqlStore, String> {
    let shown = path.display();
    create_private(path).map_err(|e| format!("cannot create {shown}: {e}"))?;
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
    {
        let tx = writer.unchecked_transaction().map_err(|e| e.to_string())?;
        crate::store::sql::services::sync_stored_json(
            &Tx::Sqlite(&tx),
            options.render,
            options.format,
            None,
        )
        .map_err(|e| format!("writing the stored connections of {shown}: {}", e.cause()))?;
        tx.commit().map_err(|e| e.to_string())?;
    }
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
    let pools = Pools {
        writer: Pool::spawn("db-writer", vec![writer], options.queue)?,
        readers: Pool::spawn("db-reader", readers, options.queue)?,
    };
    Ok(SqlStore::new(
        Backend::Sqlite(pools),
        options.render,
        options.render_child,
        options.format,
    ))
}

impl Pools {
    /// Runs `f` in one write transaction (IMMEDIATE, on the one writer); it commits only when
    /// `f` returns `Ok`.
    pub(crate) async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> ApiResult<T> + Send + 'static,
    {
        self.writer
            .run(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(crate::store::sql::db::Error::from)?;
                let out = f(&Tx::Sqlite(&tx))?;
                tx.commit().map_err(crate::store::sql::db::Error::from)?;
                Ok(out)
            })
            .await
    }

    /// Runs `f` on a reader connection, inside one read transaction (a consistent snapshot).
    pub(crate) async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> ApiResult<T> + Send + 'static,
    {
        self.readers
            .run(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Deferred)
                    .map_err(crate::store::sql::db::Error::from)?;
                let out = f(&Tx::Sqlite(&tx))?;
                tx.finish().map_err(crate::store::sql::db::Error::from)?;
                Ok(out)
            })
            .await
    }

    #[cfg(feature = "test-util")]
    pub(crate) fn saturate_writer(&self) -> Result<crate::store::pool::Hold, String> {
        self.writer.saturate(1)
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
            render_child: |_| String::new(),
            format: 1,
            synchronous,
        }
    }

    /// The writer commits with `synchronous=FULL` (2): a crash test cannot tell it from
    /// `NORMAL` (the OS keeps the page cache), so the setting itself is checked.
    #[tokio::test]
    async fn the_writer_syncs_every_commit() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir.path().join("x.db"), options("FULL")).unwrap();
        let Backend::Sqlite(pools) = &store.backend else {
            unreachable!("opened on SQLite")
        };
        let sync: i64 = pools
            .writer
            .run(|c| Ok(c.pragma_query_value(None, "synchronous", |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(sync, 2);
        assert!(open(&dir.path().join("y.db"), options("OFF")).is_err());
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
        let e = open(&path, options("FULL")).err().unwrap();
        assert!(e.contains("written by a newer peering-server"), "{e}");
        let i = inspect(&path).unwrap();
        assert_eq!(
            (i.journal_mode.as_str(), i.user_version),
            ("delete", SCHEMA_VERSION + 1)
        );
    }
}

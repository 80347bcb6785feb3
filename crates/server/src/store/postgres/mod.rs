//! PostgreSQL, for several `peering-server` instances on one database: the `--db` URL, the
//! pool of connections, and the schema, migrated at start under an advisory lock so that
//! instances starting together migrate once, and refused when it is newer than this server.
//!
//! The store itself runs on its own pool of synchronous connections ([`store`]); this pool
//! (async, deadpool) migrates, and `peering-server migrate` copies a SQLite database here
//! ([`copy`]).

pub mod copy;
mod store;

pub(crate) use store::Pools;
pub use store::{open, PgOptions};

pub use deadpool_postgres::Pool;
use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod};
use tokio_postgres::NoTls;

/// Migrations run in order, each once, in one transaction with the version they reach.
pub const MIGRATIONS: &[&str] = &[include_str!("../../../migrations/postgres/0001_schema.sql")];

/// The schema version this server writes: the number of migrations it knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The advisory lock every instance takes to migrate ("peering" in ASCII): a second instance
/// waits for the first to commit, then finds nothing left to do.
const MIGRATION_LOCK: i64 = 0x0070_6565_7269_6e67;

/// Whether `--db` names a PostgreSQL database (a libpq URL) rather than a SQLite file.
pub fn is_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// The connection settings of a libpq URL, `postgres://user[:password]@host[:port]/dbname`.
/// An error never repeats the URL, which may hold a password.
pub fn config(url: &str) -> Result<tokio_postgres::Config, String> {
    const FORM: &str = "postgres://user[:password]@host[:port]/dbname";
    if !is_url(url) {
        return Err(format!("a PostgreSQL URL starts with postgres:// ({FORM})"));
    }
    let c: tokio_postgres::Config = url
        .parse()
        .map_err(|e| format!("the PostgreSQL URL cannot be read ({FORM}): {e}"))?;
    if c.get_hosts().is_empty() {
        return Err(format!("the PostgreSQL URL names no host ({FORM})"));
    }
    if c.get_dbname().is_none_or(str::is_empty) {
        return Err(format!("the PostgreSQL URL names no database ({FORM})"));
    }
    if c.get_user().is_none_or(str::is_empty) {
        return Err(format!("the PostgreSQL URL names no user ({FORM})"));
    }
    Ok(c)
}

/// The URL without its password, for logs: `postgres://user@host:port/dbname`.
pub fn shown(url: &str) -> Result<String, String> {
    let c = config(url)?;
    let host = match c.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => String::new(),
    };
    let port = c.get_ports().first().copied().unwrap_or(5432);
    Ok(format!(
        "postgres://{}@{host}:{port}/{}",
        c.get_user().unwrap_or_default(),
        c.get_dbname().unwrap_or_default()
    ))
}

/// A pool of at most `size` connections; none is opened until one is needed.
pub fn pool(config: tokio_postgres::Config, size: usize) -> Result<Pool, String> {
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size.max(1))
        .build()
        .map_err(|e| format!("the PostgreSQL pool cannot be made: {e}"))
}

/// Brings the schema to [`SCHEMA_VERSION`] in one transaction under [`MIGRATION_LOCK`];
/// answers how many migrations this call applied. A newer schema is refused and left as it is.
pub async fn migrate(pool: &Pool) -> Result<i64, String> {
    let db = |e: tokio_postgres::Error| format!("PostgreSQL: {e}");
    let mut client = pool
        .get()
        .await
        .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
    let tx = client.transaction().await.map_err(db)?;
    // Held until the transaction ends; taken before anything is read, so the version read
    // below is the one the previous holder committed.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(db)?;
    // Looked up first: `CREATE TABLE IF NOT EXISTS` would log a notice at every start.
    let exists: bool = tx
        .query_one("SELECT to_regclass('peering_schema') IS NOT NULL", &[])
        .await
        .map_err(db)?
        .get(0);
    if !exists {
        tx.batch_execute(
            "CREATE TABLE peering_schema (
                 version    BIGINT PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .await
        .map_err(db)?;
    }
    let applied: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM peering_schema", &[])
        .await
        .map_err(db)?
        .get(0);
    if applied > SCHEMA_VERSION {
        return Err(format!(
            "the database has schema version {applied}, but this peering-server knows versions up to {SCHEMA_VERSION}: it was written by a newer peering-server. Run that version (or newer); nothing was changed."
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
        let version = i as i64 + 1;
        tx.batch_execute(sql)
            .await
            .map_err(|e| format!("PostgreSQL migration {version} failed: {e}"))?;
        tx.execute(
            "INSERT INTO peering_schema (version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(SCHEMA_VERSION - applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_libpq_url_is_read_and_its_password_never_repeated() {
        let c = config("postgres://peering:s3cret@db.internal:5433/peering").unwrap();
        assert_eq!(c.get_user(), Some("peering"));
        assert_eq!(c.get_password(), Some(&b"s3cret"[..]));
        assert_eq!(c.get_dbname(), Some("peering"));
        assert_eq!(c.get_ports(), [5433]);
        assert!(config("postgresql://peering@localhost/peering").is_ok());
        for bad in [
            "postgres://peering:s3cret@db.internal:5433",
            "postgres://db.internal/peering",
            "postgres://peering:s3cret@db.internal:notaport/peering",
            "peering.db",
        ] {
            let e = config(bad).unwrap_err();
            assert!(!e.contains("s3cret"), "{e}");
        }
        assert!(is_url("postgres://x@h/d") && !is_url("./postgres.db"));
    }
}

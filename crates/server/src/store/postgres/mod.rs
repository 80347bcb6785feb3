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
use tokio_postgres::config::SslMode;
use tokio_postgres::NoTls;

/// Migrations run in order, each once, in one transaction with the version they reach.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/postgres/0001_schema.sql"),
    include_str!("../../../migrations/postgres/0002_author_types.sql"),
    include_str!("../../../migrations/postgres/0003_activity.sql"),
];

/// The schema version this server writes: the number of migrations it knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The advisory lock every instance takes to migrate ("peering" in ASCII): a second instance
/// waits for the first to commit, then finds nothing left to do.
const MIGRATION_LOCK: i64 = 0x0070_6565_7269_6e67;

/// Whether `--db` names a PostgreSQL database (a libpq URL) rather than a SQLite file.
pub fn is_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// The connection settings of a libpq URL, `postgres://user[:password]@host[:port]/dbname`,
/// and how connections are made: plain, or TLS when the URL says `sslmode=require` (or
/// `verify-ca`, `verify-full`: every TLS connection is verified, its chain against the web's
/// roots or the URL's `sslrootcert=FILE`, and the server's name). An error never repeats the
/// URL, which may hold a password.
#[derive(Clone)]
pub struct PgConfig {
    pub config: tokio_postgres::Config,
    pub tls: Tls,
}

/// Names the TLS choice only: the settings may hold a password.
impl std::fmt::Debug for PgConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tls = match self.tls {
            Tls::Plain => "plain",
            Tls::Rustls(_) => "TLS",
        };
        write!(f, "PgConfig({tls})")
    }
}

impl std::ops::Deref for PgConfig {
    type Target = tokio_postgres::Config;
    fn deref(&self) -> &tokio_postgres::Config {
        &self.config
    }
}

/// How connections are made.
#[derive(Clone)]
pub enum Tls {
    Plain,
    Rustls(tokio_postgres_rustls::MakeRustlsConnect),
}

const FORM: &str =
    "postgres://user[:password]@host[:port]/dbname[?sslmode=require[&sslrootcert=FILE]]";

/// The URL without `sslrootcert` (which tokio-postgres does not read), `verify-ca` and
/// `verify-full` read as `require` (which here verifies as fully); and the root file.
fn split_tls_options(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut root = None;
    let mut kept = Vec::new();
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    for pair in query.split('&') {
        // Keys and values are matched as tokio-postgres reads them: percent-decoded.
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match (decode(k).as_str(), decode(v).as_str()) {
            ("sslrootcert", v) => root = Some(v.to_owned()),
            ("sslmode", "verify-ca" | "verify-full") => kept.push("sslmode=require"),
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, root)
}

fn rustls(root: Option<&str>) -> Result<Tls, String> {
    let mut roots = rustls::RootCertStore::empty();
    match root {
        Some(path) => {
            use rustls_pki_types::pem::PemObject;
            let certs = rustls_pki_types::CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("sslrootcert {path}: {e}"))?;
            for cert in certs {
                let cert = cert.map_err(|e| format!("sslrootcert {path}: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("sslrootcert {path}: {e}"))?;
            }
            if roots.is_empty() {
                return Err(format!("sslrootcert {path}: no certificate in it"));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Tls::Rustls(tokio_postgres_rustls::MakeRustlsConnect::new(
        config,
    )))
}

pub fn config(url: &str) -> Result<PgConfig, String> {
    if !is_url(url) {
        return Err(format!("a PostgreSQL URL starts with postgres:// ({FORM})"));
    }
    let (stripped, root) = split_tls_options(url);
    let c: tokio_postgres::Config = stripped
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
    let socket = c
        .get_hosts()
        .iter()
        .any(|h| !matches!(h, tokio_postgres::config::Host::Tcp(_)));
    let tls = match (c.get_ssl_mode(), root) {
        (SslMode::Require, _) if socket => {
            return Err(format!(
                "sslmode=require is for a host reached over TCP, not a Unix socket ({FORM})"
            ))
        }
        (SslMode::Require, root) => rustls(root.as_deref())?,
        (_, Some(_)) => {
            return Err(format!(
                "sslrootcert is for TLS: add sslmode=require to the PostgreSQL URL ({FORM})"
            ))
        }
        _ => Tls::Plain,
    };
    Ok(PgConfig { config: c, tls })
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
pub fn pool(config: PgConfig, size: usize) -> Result<Pool, String> {
    let mc = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = match config.tls {
        Tls::Plain => Manager::from_config(config.config, NoTls, mc),
        Tls::Rustls(t) => Manager::from_config(config.config, t, mc),
    };
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
        .map_err(|e| format!("cannot connect to PostgreSQL: {}", crate::error::chain(&e)))?;
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
        // TLS: asked by sslmode (verify-* read as require, which verifies fully); a root
        // file only with it, and read.
        assert!(matches!(
            config("postgres://u@h/d").unwrap().tls,
            Tls::Plain
        ));
        for mode in ["require", "verify-ca", "verify-full"] {
            let c = config(&format!("postgres://u@h/d?sslmode={mode}")).unwrap();
            assert!(matches!(c.tls, Tls::Rustls(_)), "{mode}");
        }
        let e = config("postgres://u:s3cret@h/d?sslrootcert=/x.pem").unwrap_err();
        assert!(
            e.contains("sslmode=require") && !e.contains("s3cret"),
            "{e}"
        );
        let e =
            config("postgres://u@h/d?sslmode=require&sslrootcert=/nonexistent.pem").unwrap_err();
        assert!(e.contains("/nonexistent.pem"), "{e}");
        assert!(matches!(
            config("postgres://u@h/d?sslmode=verify%2Dfull")
                .unwrap()
                .tls,
            Tls::Rustls(_)
        ));
        assert!(config("postgres://u@%2Frun%2Fpostgresql/d?sslmode=require")
            .unwrap_err()
            .contains("Unix socket"));
        assert_eq!(
            split_tls_options("postgres://u@h/d?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&connect_timeout=3"),
            (
                "postgres://u@h/d?sslmode=require&connect_timeout=3".to_owned(),
                Some("/tmp/ca.pem".to_owned())
            )
        );
    }
}

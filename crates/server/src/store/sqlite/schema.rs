//! The schema: embedded migrations, run in order and once each, and the refusal of a file
//! written by a newer server.

use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// Migrations run in order, each once; the applied count lives in `PRAGMA user_version`.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/0001_init.sql"),
    include_str!("../../../migrations/0002_audit_columns.sql"),
    include_str!("../../../migrations/0003_service_json.sql"),
    include_str!("../../../migrations/0004_telemetry.sql"),
    include_str!("../../../migrations/0005_latency.sql"),
    include_str!("../../../migrations/0006_connection_monitor.sql"),
    include_str!("../../../migrations/0007_alerts.sql"),
    include_str!("../../../migrations/0008_alert_rule_limits.sql"),
    include_str!("../../../migrations/0009_alert_ids_never_reused.sql"),
    include_str!("../../../migrations/0010_author_types.sql"),
    include_str!("../../../migrations/0011_activity.sql"),
];

/// The schema version this server writes: the number of migrations it knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The schema version of the file, refused when it is newer than this server's.
pub(super) fn check_schema(conn: &Connection) -> Result<i64, String> {
    let applied: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if applied > SCHEMA_VERSION {
        return Err(format!(
            "the database has schema version {applied}, but this peering-server knows versions up to {SCHEMA_VERSION}: it was written by a newer peering-server. Run that version (or newer), or restore a backup made for this one; nothing was changed."
        ));
    }
    Ok(applied)
}

pub(super) fn migrate(conn: &Connection) -> Result<(), String> {
    let applied = check_schema(conn)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied.max(0) as usize) {
        let run = || -> rusqlite::Result<()> {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()
        };
        run().map_err(|e| format!("migration {} failed: {e}", i + 1))?;
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

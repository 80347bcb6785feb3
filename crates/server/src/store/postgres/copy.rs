//! `peering-server migrate --from peering.db --to postgres://…`: copies every row of a SQLite
//! database into PostgreSQL, in one PostgreSQL transaction that first empties the target's
//! tables, so the target ends as an exact copy whatever it held (a re-run is harmless) and a
//! failed copy leaves it as it was. Before committing, each table's row count and a SHA-256
//! checksum over its rows (in primary-key order, every value in a canonical form) are read back
//! from PostgreSQL and compared with the source's; any difference rolls everything back.
//!
//! The columns come from PostgreSQL's own catalog and must be exactly the SQLite table's, so a
//! schema that drifted between the backends is refused by name rather than copied in part.

use super::Pool;
use futures_util::{pin_mut, TryStreamExt};
use rusqlite::types::Value;
use sha2::{Digest, Sha256};
use std::path::Path;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

/// Every table, parents before children (the order rows are inserted in).
pub const TABLES: &[&str] = &[
    "peering_services",
    "peering_service_json",
    "prefixes",
    "prefix_events",
    "monitor_tests",
    "monitor_results",
    "bgp_sessions",
    "bgp_routes",
    "provider_prefixes",
    "latency_sketches",
    "connection_monitor_subscriptions",
    "alert_rules",
    "alerts",
    "webhook_deliveries",
    "webhook_attempts",
    "activity",
];

/// Tables whose `id` PostgreSQL generates: its sequence continues after the copied ids.
const IDENTITY: &[&str] = &["alerts", "webhook_deliveries", "activity"];

/// What was copied of one table, and whether PostgreSQL holds exactly that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    pub table: &'static str,
    pub rows: u64,
    /// SHA-256 (hex) of the source's rows.
    pub checksum: String,
}

/// A value in the form both sides are compared in.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Bytes(Vec<u8>),
}

impl Cell {
    fn hash(&self, h: &mut Sha256) {
        match self {
            Cell::Null => h.update([0u8]),
            Cell::Text(s) => {
                h.update([1u8]);
                h.update((s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
            Cell::Int(i) => {
                h.update([2u8]);
                h.update(i.to_le_bytes());
            }
            Cell::Float(f) => {
                h.update([3u8]);
                h.update(f.to_bits().to_le_bytes());
            }
            Cell::Bool(b) => h.update([4u8, u8::from(*b)]),
            Cell::Bytes(b) => {
                h.update([5u8]);
                h.update((b.len() as u64).to_le_bytes());
                h.update(b);
            }
        }
    }
}

/// A PostgreSQL column: its name and type (`information_schema` spelling).
struct Column {
    name: String,
    ty: String,
}

/// The SQLite value as the PostgreSQL column's type holds it.
fn from_sqlite(v: Value, c: &Column, table: &str) -> Result<Cell, String> {
    let bad = |v: &Value| {
        format!(
            "{table}.{}: a {:?} cannot go into a PostgreSQL {} column",
            c.name,
            v.data_type(),
            c.ty
        )
    };
    Ok(match (c.ty.as_str(), v) {
        (_, Value::Null) => Cell::Null,
        ("text", Value::Text(s)) => Cell::Text(s),
        ("bigint" | "integer" | "smallint", Value::Integer(i)) => Cell::Int(i),
        ("double precision", Value::Real(f)) => Cell::Float(f),
        // REAL affinity keeps an integer-valued number as written in some cases.
        ("double precision", Value::Integer(i)) => Cell::Float(i as f64),
        ("boolean", Value::Integer(i)) => Cell::Bool(i != 0),
        ("bytea", Value::Blob(b)) => Cell::Bytes(b),
        (_, v) => return Err(bad(&v)),
    })
}

fn to_param(cell: &Cell, c: &Column) -> Result<Box<dyn ToSql + Sync + Send>, String> {
    let range = |i: i64| format!("{}: {i} is out of the column's range", c.name);
    Ok(match (c.ty.as_str(), cell) {
        ("text", Cell::Null) => Box::new(None::<String>),
        ("bigint", Cell::Null) => Box::new(None::<i64>),
        ("integer", Cell::Null) => Box::new(None::<i32>),
        ("smallint", Cell::Null) => Box::new(None::<i16>),
        ("double precision", Cell::Null) => Box::new(None::<f64>),
        ("boolean", Cell::Null) => Box::new(None::<bool>),
        ("bytea", Cell::Null) => Box::new(None::<Vec<u8>>),
        (_, Cell::Text(s)) => Box::new(s.clone()),
        ("bigint", Cell::Int(i)) => Box::new(*i),
        ("integer", Cell::Int(i)) => Box::new(i32::try_from(*i).map_err(|_| range(*i))?),
        ("smallint", Cell::Int(i)) => Box::new(i16::try_from(*i).map_err(|_| range(*i))?),
        (_, Cell::Float(f)) => Box::new(*f),
        (_, Cell::Bool(b)) => Box::new(*b),
        (_, Cell::Bytes(b)) => Box::new(b.clone()),
        (ty, cell) => return Err(format!("{}: {cell:?} is no {ty}", c.name)),
    })
}

fn from_postgres(row: &tokio_postgres::Row, i: usize, c: &Column) -> Result<Cell, String> {
    let e = |e: tokio_postgres::Error| format!("{}: {e}", c.name);
    Ok(match c.ty.as_str() {
        "text" => row
            .try_get::<_, Option<String>>(i)
            .map_err(e)?
            .map(Cell::Text),
        "bigint" => row.try_get::<_, Option<i64>>(i).map_err(e)?.map(Cell::Int),
        "integer" => row
            .try_get::<_, Option<i32>>(i)
            .map_err(e)?
            .map(|v| Cell::Int(v.into())),
        "smallint" => row
            .try_get::<_, Option<i16>>(i)
            .map_err(e)?
            .map(|v| Cell::Int(v.into())),
        "double precision" => row
            .try_get::<_, Option<f64>>(i)
            .map_err(e)?
            .map(Cell::Float),
        "boolean" => row
            .try_get::<_, Option<bool>>(i)
            .map_err(e)?
            .map(Cell::Bool),
        "bytea" => row
            .try_get::<_, Option<Vec<u8>>>(i)
            .map_err(e)?
            .map(Cell::Bytes),
        ty => return Err(format!("{}: the type {ty} is not copied", c.name)),
    }
    .unwrap_or(Cell::Null))
}

fn pg_type(c: &Column) -> Result<Type, String> {
    Ok(match c.ty.as_str() {
        "text" => Type::TEXT,
        "bigint" => Type::INT8,
        "integer" => Type::INT4,
        "smallint" => Type::INT2,
        "double precision" => Type::FLOAT8,
        "boolean" => Type::BOOL,
        "bytea" => Type::BYTEA,
        ty => return Err(format!("{}: the type {ty} is not copied", c.name)),
    })
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Copies `sqlite` into the PostgreSQL database of `pool` (migrated first); answers what
/// each table holds now.
pub async fn copy_from_sqlite(sqlite: &Path, pool: &Pool) -> Result<Vec<TableCopy>, String> {
    let db = |e: tokio_postgres::Error| format!("PostgreSQL: {e}");
    let lite = |e: rusqlite::Error| format!("{}: {e}", sqlite.display());
    if !sqlite.exists() {
        return Err(format!("{}: no such SQLite database", sqlite.display()));
    }
    let mut file =
        rusqlite::Connection::open_with_flags(sqlite, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(lite)?;
    // One read transaction: every table is read from the same moment, even if a server is
    // writing the file meanwhile (WAL keeps the snapshot).
    let source = file.transaction().map_err(lite)?;
    let version: i64 = source
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(lite)?;
    if version != crate::store::sqlite::SCHEMA_VERSION {
        return Err(format!(
            "{} has schema version {version}, this peering-server copies version {}: start this peering-server on it once (it migrates the file), then copy",
            sqlite.display(),
            crate::store::sqlite::SCHEMA_VERSION
        ));
    }
    super::migrate(pool).await?;
    let mut client = pool
        .get()
        .await
        .map_err(|e| format!("cannot connect to PostgreSQL: {}", crate::error::chain(&e)))?;
    let tx = client.transaction().await.map_err(db)?;
    let all = TABLES
        .iter()
        .map(|t| quote(t))
        .collect::<Vec<_>>()
        .join(", ");
    tx.batch_execute(&format!("TRUNCATE {all}"))
        .await
        .map_err(db)?;
    let mut out = Vec::new();
    for &table in TABLES {
        let columns: Vec<Column> = tx
            .query(
                "SELECT column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                &[&table],
            )
            .await
            .map_err(db)?
            .iter()
            .map(|r| Column {
                name: r.get(0),
                ty: r.get(1),
            })
            .collect();
        let key: Vec<String> = tx
            .query(
                "SELECT a.attname::text FROM pg_index i
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                 WHERE i.indrelid = $1::text::regclass AND i.indisprimary
                 ORDER BY array_position(i.indkey::int2[], a.attnum)",
                &[&table],
            )
            .await
            .map_err(db)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut in_sqlite: Vec<String> = source
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .map_err(lite)?
            .query_map([], |r| r.get(0))
            .map_err(lite)?
            .collect::<Result<_, _>>()
            .map_err(lite)?;
        let mut in_pg: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        in_sqlite.sort();
        in_pg.sort();
        if in_sqlite != in_pg {
            return Err(format!(
                "{table}: the SQLite columns {in_sqlite:?} are not PostgreSQL's {in_pg:?}"
            ));
        }
        let names = columns
            .iter()
            .map(|c| quote(&c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let order = key.iter().map(|k| quote(k)).collect::<Vec<_>>().join(", ");
        let types = columns.iter().map(pg_type).collect::<Result<Vec<_>, _>>()?;
        // Binary COPY: one stream per table instead of a round trip per row.
        let sink = tx
            .copy_in(&format!(
                "COPY {} ({names}) FROM STDIN (FORMAT binary)",
                quote(table)
            ))
            .await
            .map_err(db)?;
        let writer = BinaryCopyInWriter::new(sink, &types);
        pin_mut!(writer);
        let mut st = source
            .prepare(&format!(
                "SELECT {names} FROM {} ORDER BY {order}",
                quote(table)
            ))
            .map_err(lite)?;
        let mut rows = st.query([]).map_err(lite)?;
        let (mut hash, mut count) = (Sha256::new(), 0u64);
        while let Some(r) = rows.next().map_err(lite)? {
            let mut cells = Vec::with_capacity(columns.len());
            for (i, c) in columns.iter().enumerate() {
                let v: Value = r.get(i).map_err(lite)?;
                cells.push(from_sqlite(v, c, table)?);
            }
            cells.iter().for_each(|c| c.hash(&mut hash));
            let params = cells
                .iter()
                .zip(&columns)
                .map(|(cell, c)| to_param(cell, c))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{table}.{e}"))?;
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            writer
                .as_mut()
                .write(&refs)
                .await
                .map_err(|e| format!("{table}: {e}"))?;
            count += 1;
        }
        writer.finish().await.map_err(|e| format!("{table}: {e}"))?;
        let checksum = hex(&hash.finalize());
        // Read back what PostgreSQL now holds, in the same order, as a stream, and compare.
        let back = tx
            .query_raw(
                &format!("SELECT {names} FROM {} ORDER BY {order}", quote(table)),
                std::iter::empty::<i64>(),
            )
            .await
            .map_err(db)?;
        pin_mut!(back);
        let (mut again, mut stored_rows) = (Sha256::new(), 0u64);
        while let Some(row) = back.try_next().await.map_err(db)? {
            for (i, c) in columns.iter().enumerate() {
                from_postgres(&row, i, c)
                    .map_err(|e| format!("{table}.{e}"))?
                    .hash(&mut again);
            }
            stored_rows += 1;
        }
        let stored = hex(&again.finalize());
        if stored_rows != count || stored != checksum {
            return Err(format!(
                "{table}: PostgreSQL holds {stored_rows} rows (checksum {stored}) where SQLite has {count} (checksum {checksum}); nothing was changed"
            ));
        }
        if IDENTITY.contains(&table) {
            // The next generated id follows the copied ones. `ALTER … RESTART` is part of the
            // transaction (a sequence's setval is not), so a refused copy leaves it as it was.
            let next: i64 = tx
                .query_one(
                    &format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"),
                    &[],
                )
                .await
                .map_err(db)?
                .get(0);
            tx.batch_execute(&format!(
                "ALTER TABLE {table} ALTER COLUMN id RESTART WITH {next}"
            ))
            .await
            .map_err(db)?;
        }
        out.push(TableCopy {
            table,
            rows: count,
            checksum,
        });
    }
    tx.commit().await.map_err(db)?;
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

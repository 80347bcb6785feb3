//! One way to run SQL on either backend, so the store's logic is written once.
//!
//! The store's modules speak a small subset of rusqlite's interface (`prepare_cached`, a
//! statement's `execute`, `query_map`, `query_row`, `exists`, `query` with `next`), over a
//! [`Tx`] that is a SQLite transaction or a PostgreSQL one. What differs is handled here, not
//! in each statement:
//!
//! * placeholders: statements are written with `?N`; PostgreSQL gets `$N`;
//! * parameter types: a parameter is a [`Value`] (integer, real, text, blob, null) and is
//!   encoded as the type PostgreSQL inferred for its place (an integer fits an `INT2`, `INT4`,
//!   `INT8` or `BOOLEAN` column, refused with an error when it does not fit), as SQLite takes
//!   any value anywhere;
//! * column types: a column is read as a Rust integer from any PostgreSQL integer type or a
//!   boolean, so SQLite's integer affinity and PostgreSQL's narrower columns read alike.
//!
//! The few statements whose text must differ (aggregates, JSON) choose with [`Tx::dialect`].
//! Rows come back in full before a closure sees them, so a closure may run another statement
//! on the same transaction (PostgreSQL's client is borrowed once per statement).

pub use super::values::{FromColumn, Param, Value};
pub use crate::sql_params as params;
use postgres::types::ToSql;
use std::cell::RefCell;
use std::collections::HashMap;

/// What a statement failed with.
#[derive(Debug)]
pub enum Error {
    Sqlite(rusqlite::Error),
    Postgres(postgres::Error),
    /// A stored value that does not read as what the server wrote (the column, and why).
    Conversion(usize, String),
    /// `query_row` found no row.
    NoRows,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A stored value in column `i` that no longer reads as its type.
    pub fn conversion(i: usize, why: impl std::fmt::Display) -> Self {
        Error::Conversion(i, why.to_string())
    }

    /// Whether the database could not be reached (so a retry may succeed), rather than a
    /// statement being wrong.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Postgres(e) => {
                e.is_closed()
                    || e.code().is_some_and(|c| {
                        c.code().starts_with("08")
                            || c.code().starts_with("57P")
                            || *c == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
                            || *c == postgres::error::SqlState::T_R_DEADLOCK_DETECTED
                            // lock_timeout: another instance holds the subscription's lock.
                            || *c == postgres::error::SqlState::LOCK_NOT_AVAILABLE
                    })
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Sqlite(e) => write!(f, "SQLite: {e}"),
            // The error's source holds the server's message (`{e}` alone says "db error").
            Error::Postgres(e) => match e.as_db_error() {
                Some(d) => write!(f, "PostgreSQL: {}: {}", d.code().code(), d.message()),
                None => write!(f, "PostgreSQL: {e}"),
            },
            Error::Conversion(i, why) => write!(f, "stored column {i} does not read: {why}"),
            Error::NoRows => f.write_str("the statement found no row"),
        }
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Sqlite(e)
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        Error::Postgres(e)
    }
}

impl From<rusqlite::Error> for crate::error::ApiError {
    fn from(e: rusqlite::Error) -> Self {
        Error::Sqlite(e).into()
    }
}

impl From<postgres::Error> for crate::error::ApiError {
    fn from(e: postgres::Error) -> Self {
        Error::Postgres(e).into()
    }
}

impl From<Error> for crate::error::ApiError {
    fn from(e: Error) -> Self {
        if e.is_unavailable() {
            return crate::error::ApiError::unavailable(e);
        }
        crate::error::ApiError::internal(e)
    }
}

/// `query_row`'s "no row" as `None`, as rusqlite's extension of the same name.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Which SQL a [`Tx`] speaks, for the statements whose text differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// One row of a result.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r postgres::Row),
}

impl Row<'_> {
    /// Column `i` as `T`.
    pub fn get<T: FromColumn>(&self, i: usize) -> Result<T> {
        match self {
            Row::Sqlite(r) => Ok(T::sqlite(r, i)?),
            Row::Postgres(r) => T::postgres(r, i),
        }
    }

    /// Text column `i` as bytes, without copying it.
    pub fn bytes(&self, i: usize) -> Result<&[u8]> {
        match self {
            Row::Sqlite(r) => r
                .get_ref(i)?
                .as_bytes()
                .map_err(|e| Error::conversion(i, e)),
            Row::Postgres(r) => Ok(r.try_get::<_, &str>(i)?.as_bytes()),
        }
    }
}

/// What a statement needs of a PostgreSQL transaction (a trait object, so a [`Stmt`] does not
/// carry the transaction's own lifetime).
pub trait PgRun {
    fn execute(&self, s: &postgres::Statement, p: &[&(dyn ToSql + Sync)]) -> Result<u64>;
    fn query(
        &self,
        s: &postgres::Statement,
        p: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>>;
}

impl PgRun for PgTx<'_> {
    fn execute(&self, s: &postgres::Statement, p: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        Ok(self.tx.borrow_mut().execute(s, p)?)
    }
    fn query(
        &self,
        s: &postgres::Statement,
        p: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>> {
        Ok(self.tx.borrow_mut().query(s, p)?)
    }
}

/// A PostgreSQL transaction with its connection's prepared statements.
pub struct PgTx<'t> {
    pub(crate) tx: RefCell<postgres::Transaction<'t>>,
    pub(crate) cache: &'t RefCell<HashMap<String, postgres::Statement>>,
}

/// A transaction on either backend: everything the store's modules run goes through it.
pub enum Tx<'t> {
    Sqlite(&'t rusqlite::Connection),
    Postgres(PgTx<'t>),
}

/// `?N` → `$N`, and a bare `?` → the next number, as SQLite numbers them.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let (mut chars, mut highest) = (sql.chars().peekable(), 0u32);
    while let Some(c) = chars.next() {
        if c != '?' {
            out.push(c);
            continue;
        }
        let mut n = 0u32;
        let mut digits = false;
        while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
            n = n * 10 + d;
            digits = true;
            chars.next();
        }
        if !digits {
            n = highest + 1;
        }
        highest = highest.max(n);
        out.push('$');
        out.push_str(&n.to_string());
    }
    out
}

impl Tx<'_> {
    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A statement, prepared once per connection.
    pub fn prepare_cached(&self, sql: &str) -> Result<Stmt<'_>> {
        match self {
            Tx::Sqlite(c) => Ok(Stmt::Sqlite(c.prepare_cached(sql)?)),
            Tx::Postgres(p) => {
                if let Some(s) = p.cache.borrow().get(sql) {
                    return Ok(Stmt::Postgres(p, s.clone()));
                }
                let s = p.tx.borrow_mut().prepare(&numbered(sql))?;
                p.cache.borrow_mut().insert(sql.to_owned(), s.clone());
                Ok(Stmt::Postgres(p, s))
            }
        }
    }

    /// Statements without parameters, one after the other.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Tx::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Tx::Postgres(p) => Ok(p.tx.borrow_mut().batch_execute(sql)?),
        }
    }
}

/// A prepared statement of a [`Tx`].
pub enum Stmt<'t> {
    Sqlite(rusqlite::CachedStatement<'t>),
    Postgres(&'t dyn PgRun, postgres::Statement),
}

fn values<'a>(params: &'a [&'a dyn Param]) -> Vec<Value<'a>> {
    params.iter().map(|p| p.value()).collect()
}

fn pg_refs<'a>(values: &'a [Value<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

impl Stmt<'_> {
    /// Runs it; answers how many rows it changed.
    pub fn execute(&mut self, params: &[&dyn Param]) -> Result<usize> {
        let values = values(params);
        match self {
            Stmt::Sqlite(s) => Ok(s.execute(rusqlite::params_from_iter(values.iter()))?),
            Stmt::Postgres(p, s) => Ok(p.execute(s, &pg_refs(&values))? as usize),
        }
    }

    /// Every row, each through `f`.
    pub fn query_map<T, F>(
        &mut self,
        params: &[&dyn Param],
        mut f: F,
    ) -> Result<std::vec::IntoIter<Result<T>>>
    where
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        let mut out = Vec::new();
        let mut rows = self.query(params)?;
        while let Some(r) = rows.next()? {
            out.push(f(&r));
        }
        Ok(out.into_iter())
    }

    /// The first row through `f`; [`Error::NoRows`] when there is none.
    pub fn query_row<T, F>(&mut self, params: &[&dyn Param], f: F) -> Result<T>
    where
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        let mut rows = self.query(params)?;
        match rows.next()? {
            Some(r) => f(&r),
            None => Err(Error::NoRows),
        }
    }

    /// Whether it answers a row.
    pub fn exists(&mut self, params: &[&dyn Param]) -> Result<bool> {
        Ok(self.query(params)?.next()?.is_some())
    }

    /// Its rows, to step through with [`Rows::next`].
    pub fn query(&mut self, params: &[&dyn Param]) -> Result<Rows<'_>> {
        let values = values(params);
        match self {
            Stmt::Sqlite(s) => Ok(Rows::Sqlite(
                s.query(rusqlite::params_from_iter(values.iter()))?,
            )),
            Stmt::Postgres(p, s) => {
                let rows = p.query(s, &pg_refs(&values))?;
                Ok(Rows::Postgres(rows.into_iter(), None))
            }
        }
    }
}

/// The rows of a statement.
pub enum Rows<'s> {
    Sqlite(rusqlite::Rows<'s>),
    Postgres(std::vec::IntoIter<postgres::Row>, Option<postgres::Row>),
}

impl Rows<'_> {
    /// The next row (rusqlite's lending `next`: a row borrows the rows, so this is not an
    /// `Iterator`).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Row<'_>>> {
        match self {
            Rows::Sqlite(r) => Ok(r.next()?.map(Row::Sqlite)),
            Rows::Postgres(rest, current) => {
                *current = rest.next();
                Ok(current.as_ref().map(Row::Postgres))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_as_sqlite_numbers_them() {
        assert_eq!(
            numbered("SELECT ?1, ?2 WHERE a = ?1 AND b > ?12"),
            "SELECT $1, $2 WHERE a = $1 AND b > $12"
        );
        assert_eq!(numbered("VALUES (?, ?, ?3, ?)"), "VALUES ($1, $2, $3, $4)");
        assert_eq!(numbered("SELECT 'x'"), "SELECT 'x'");
    }
}

//! What crosses between the store's Rust and either database: parameters ([`Value`],
//! [`Param`]) and columns ([`FromColumn`]).

use super::db::{Error, Result};
use postgres::types::{IsNull, ToSql, Type};

/// A parameter's value, as both databases take it.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Null,
    Int(i64),
    /// An unsigned integer beyond `i64::MAX`: refused by both databases' binding.
    OutOfRange(u64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// What may be bound to a placeholder.
pub trait Param {
    fn value(&self) -> Value<'_>;
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> Value<'_> {
                // Every integer the store binds fits in 64 signed bits (counts, times, ids).
                match i64::try_from(*self) {
                    Ok(i) => Value::Int(i),
                    Err(_) => Value::OutOfRange(*self as u64),
                }
            }
        }
    )*};
}
int_param!(i64, i32, i16, u8, u16, u32, u64, usize);

impl Param for bool {
    fn value(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}
impl Param for f64 {
    fn value(&self) -> Value<'_> {
        Value::Real(*self)
    }
}
impl Param for str {
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
}
impl Param for String {
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
}
impl Param for [u8] {
    fn value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}
impl Param for Vec<u8> {
    fn value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}
impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value<'_> {
        (**self).value()
    }
}
impl<T: Param> Param for Option<T> {
    fn value(&self) -> Value<'_> {
        match self {
            Some(v) => v.value(),
            None => Value::Null,
        }
    }
}

/// The parameters of a statement, as rusqlite's macro of the same name.
#[macro_export]
#[doc(hidden)]
macro_rules! sql_params {
    () => { &[] as &[&dyn $crate::store::sql::db::Param] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::store::sql::db::Param),+] as &[&dyn $crate::store::sql::db::Param] };
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::ValueRef;
        Ok(rusqlite::types::ToSqlOutput::Borrowed(match *self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(i),
            Value::Real(f) => ValueRef::Real(f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
            Value::OutOfRange(u) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("{u} does not fit in 64 signed bits").into(),
                ))
            }
        }))
    }
}

impl ToSql for Value<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
                Type::BOOL => (i != 0).to_sql(ty, out),
                Type::FLOAT8 => (i as f64).to_sql(ty, out),
                _ => Err(format!("an integer cannot be a {ty} parameter").into()),
            },
            // Each checked against the type PostgreSQL inferred, so a value in the wrong place
            // is an error rather than bytes read as another type.
            Value::Real(f) if <f64 as ToSql>::accepts(ty) => f.to_sql(ty, out),
            Value::Text(s) if <&str as ToSql>::accepts(ty) => s.to_sql(ty, out),
            Value::Blob(b) if <&[u8] as ToSql>::accepts(ty) => b.to_sql(ty, out),
            Value::OutOfRange(u) => Err(format!("{u} does not fit in 64 signed bits").into()),
            v => Err(format!("{v:?} cannot be a {ty} parameter").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Checked per value in `to_sql`, which knows the value.
        true
    }

    postgres::types::to_sql_checked!();
}

/// A Rust type a column reads as, on both backends.
pub trait FromColumn: Sized {
    fn sqlite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self>;
    fn postgres(r: &postgres::Row, i: usize) -> Result<Self>;
}

/// An integer column of any width (or a boolean), read as i64; None when NULL.
fn pg_int(r: &postgres::Row, i: usize) -> Result<Option<i64>> {
    let ty = r.columns()[i].type_().clone();
    Ok(match ty {
        Type::INT8 => r.try_get::<_, Option<i64>>(i)?,
        Type::INT4 => r.try_get::<_, Option<i32>>(i)?.map(i64::from),
        Type::INT2 => r.try_get::<_, Option<i16>>(i)?.map(i64::from),
        Type::BOOL => r.try_get::<_, Option<bool>>(i)?.map(i64::from),
        _ => return Err(Error::conversion(i, format!("{ty} is not an integer"))),
    })
}

macro_rules! int_column {
    ($($t:ty),*) => {$(
        impl FromColumn for $t {
            fn sqlite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
                r.get(i)
            }
            fn postgres(r: &postgres::Row, i: usize) -> Result<Self> {
                let v = pg_int(r, i)?.ok_or_else(|| Error::conversion(i, "NULL"))?;
                <$t>::try_from(v).map_err(|e| Error::conversion(i, e))
            }
        }
        impl FromColumn for Option<$t> {
            fn sqlite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
                r.get(i)
            }
            fn postgres(r: &postgres::Row, i: usize) -> Result<Self> {
                pg_int(r, i)?
                    .map(|v| <$t>::try_from(v).map_err(|e| Error::conversion(i, e)))
                    .transpose()
            }
        }
    )*};
}
int_column!(i64, i32, u8, u16, u32, usize);

impl FromColumn for bool {
    fn sqlite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        r.get(i)
    }
    fn postgres(r: &postgres::Row, i: usize) -> Result<Self> {
        Ok(pg_int(r, i)?.ok_or_else(|| Error::conversion(i, "NULL"))? != 0)
    }
}

/// A floating column; PostgreSQL's integer columns read as one too (SQLite converts alike).
fn pg_real(r: &postgres::Row, i: usize) -> Result<Option<f64>> {
    match *r.columns()[i].type_() {
        Type::FLOAT8 => Ok(r.try_get::<_, Option<f64>>(i)?),
        Type::FLOAT4 => Ok(r.try_get::<_, Option<f32>>(i)?.map(f64::from)),
        _ => Ok(pg_int(r, i)?.map(|v| v as f64)),
    }
}

impl FromColumn for f64 {
    fn sqlite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        r.get(i)
    }
    fn postgres(r: &postgres::Row, i: usize) -> Result<Self> {
        pg_real(r, i)?.ok_or_else(|| Error::conversion(i, "NULL"))
    }
}
impl FromColumn for Option<f64> {
    fn sqlite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        r.get(i)
    }
    fn postgres(r: &postgres::Row, i: usize) -> Result<Self> {
        pg_real(r, i)
    }
}

macro_rules! plain_column {
    ($($t:ty),*) => {$(
        impl FromColumn for $t {
            fn sqlite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
                r.get(i)
            }
            fn postgres(r: &postgres::Row, i: usize) -> Result<Self> {
                Ok(r.try_get(i)?)
            }
        }
    )*};
}
plain_column!(String, Option<String>, Vec<u8>, Option<Vec<u8>>);

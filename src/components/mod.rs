//! Reusable view pieces.

pub mod field;
pub use field::Field;

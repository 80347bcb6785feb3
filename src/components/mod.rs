//! Reusable view pieces.

pub mod feedback;
pub mod field;
pub mod monitor_tests;
pub use field::Field;

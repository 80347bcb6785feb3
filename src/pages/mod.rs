//! One file per route.

pub mod connections;
pub mod new_connection;

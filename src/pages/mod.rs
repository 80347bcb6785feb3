//! One file per route.

pub mod connection_detail;
pub mod connections;
pub mod new_connection;

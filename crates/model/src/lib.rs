//! `peering-model`: the one place where the rules of Peering Service connections live.
//!
//! The server and the browser app both call into this crate, so the browser rejects exactly
//! what the server rejects, with the same words. Nothing here does I/O.

pub mod catalog;
pub mod connection;
pub mod finding;
pub mod geo;
pub mod names;
pub mod prefix;
pub mod tags;
pub mod wire;

pub use catalog::Catalog;
pub use finding::{Code, Finding, Findings, Severity};

/// The api-versions the server speaks.
pub const API_VERSIONS: &[&str] = &["2021-06-01", "2022-10-01", "2025-05-01"];
/// The api-version the app sends.
pub const DEFAULT_API_VERSION: &str = "2022-10-01";

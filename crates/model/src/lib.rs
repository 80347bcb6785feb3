//! `peering-model`: the one place where the rules of Peering Service connections live.
//!
//! The server and the browser app both call into this crate, so the browser rejects exactly
//! what the server rejects, with the same words. Nothing here does I/O, and everything builds
//! for `wasm32-unknown-unknown`.
//!
//! Every check returns [`Finding`]s `{target, code, message, severity}`: `target` is the ARM
//! JSON path of the field, [`Code`] is one documented enum, the message names the field and
//! the fix, and only [`Severity::Error`] blocks a write.
//!
//! * [`names`]: resource names, resource groups, subscription ids.
//! * [`catalog`], [`geo`]: the embedded catalog (case-insensitive, canonical spelling) and the
//!   1000-mile availability rule ([`geo::check_availability`]).
//! * [`connection`]: a whole connection, what a replacement may not change
//!   ([`connection::check_replace`]), and connection monitor tests; [`tags`].
//! * [`prefix`]: one prefix value; [`index`]: the subscription's prefixes in a trie, overlap
//!   queries, and bulk-import validation ([`validate_batch`]).
//! * [`wire`]: the ARM JSON shapes.
//!
//! `tests/fixtures/findings.json` pins the exact findings of each rule, checked natively and
//! in headless Chromium; see the crate's README.md.

pub mod catalog;
pub mod connection;
pub mod finding;
pub mod geo;
pub mod import;
pub mod index;
pub mod names;
pub mod prefix;
pub mod tags;
pub mod wire;

pub use catalog::Catalog;
pub use finding::{Code, Finding, Findings, Severity};
pub use index::{validate_batch, validate_batch_into, PrefixIndex, PrefixRow, RowResult};

/// The api-versions the server speaks.
pub const API_VERSIONS: &[&str] = &["2021-06-01", "2022-10-01", "2025-05-01"];
/// The api-version the app sends.
pub const DEFAULT_API_VERSION: &str = "2022-10-01";

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
//! * [`connection`]: a whole connection and what a replacement may not change
//!   ([`connection::check_replace`]); [`monitor_test`]; [`tags`].
//! * [`prefix`]: one prefix value; [`index`]: the subscription's prefixes in a trie, overlap
//!   queries, and bulk-import validation ([`validate_batch`]).
//! * [`wire`]: the ARM JSON shapes and their enums; [`api_version`]; [`resource_id`]: ARM
//!   resource ids and paths, built and parsed in one place.
//! * [`targets`]: every field target; [`messages`]: user-facing words both sides show;
//!   [`region`]: the Azure regions a connection may be in.
//!
//! `tests/fixtures/findings.json` pins the exact findings of each rule, checked natively and
//! in headless Chromium; see the crate's README.md.

/// An enum with a fixed wire spelling per variant: `ALL` (every variant, in declaration order,
/// generated from the same list so a new variant cannot be left out), `as_str`, `FromStr`,
/// `Display`, and serde as the bare string. Parsing is exact: the wire spelling is the one
/// ARM documents.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire spelling.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::UnknownVariant;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err($crate::UnknownVariant {
                        what: stringify!($name),
                        value: s.to_owned(),
                        expected: &[$($wire),+],
                    }),
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

pub mod activity;
pub mod alerts;
pub mod api_version;
pub mod batch;
pub mod catalog;
pub mod connection;
pub mod connections_import;
pub mod convert;
pub mod csv;
pub mod finding;
pub mod geo;
pub mod import;
pub mod index;
pub mod messages;
pub mod monitor_test;
pub mod names;
pub mod observation;
pub mod percent;
pub mod prefix;
pub mod region;
pub mod resource_id;
pub mod tags;
pub mod targets;
pub mod telemetry;
pub mod wire;

pub use api_version::ApiVersion;
pub use catalog::Catalog;
pub use finding::{Code, Finding, Findings, Severity};
pub use index::{validate_batch, validate_batch_into, PrefixIndex, PrefixRow, RowResult};
pub use resource_id::{ArmPath, ChildKind, ResourceId, ServiceId};

/// A string that is not the wire spelling of any variant of a [`wire_enum!`] type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVariant {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static [&'static str],
}

impl std::fmt::Display for UnknownVariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "'{}' is not one of the {} values: {}",
            self.value,
            self.what,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for UnknownVariant {}

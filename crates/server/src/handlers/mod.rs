//! Request handlers: one module per resource. A handler checks the request with
//! `peering-model`, asks the store (never SQL), and renders the answer with [`crate::repr`].

pub(crate) mod activity;
pub(crate) mod alert_rules;
pub(crate) mod catalog;
pub(crate) mod children;
pub(crate) mod insights;
pub(crate) mod monitor_tests;
pub(crate) mod prefixes;
pub(crate) mod services;
pub(crate) mod telemetry;
pub(crate) mod telemetry_reads;

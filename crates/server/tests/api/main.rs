//! Black-box API tests: the real server on a random port with a fresh database per test.

mod activity;
mod alerts;
mod auth;
mod conditional;
mod contract;
mod demo;
mod hardening;
mod helpers;
mod latency;
mod limits;
mod monitor_tests;
mod oidc;
mod oidc_provider;
mod openapi;
mod overlap_agreement;
mod paging;
mod peering_services;
mod postgres;
mod prefixes;
mod process;
mod static_files;
mod storage;
mod telemetry;
mod two_instances;
mod webhooks;

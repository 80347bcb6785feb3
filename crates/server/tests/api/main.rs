//! Black-box API tests: the real server on a random port with a fresh database per test.

mod helpers;
mod peering_services;

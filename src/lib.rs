//! Peering Console browser app (Leptos, client-side rendered).

pub mod api;
pub mod app;
pub mod components;
pub mod embed;
pub mod lazy;
pub mod outbox;
pub mod pages;
pub mod routing;
pub mod signin;
pub mod state;
pub mod timing;

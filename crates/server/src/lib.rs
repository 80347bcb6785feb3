//! `peering-server`: the ARM-compatible `Microsoft.Peering` API and the host of the built
//! browser app. Layers, each depending only on those below it:
//!
//! * [`serve`]: the socket (connection cap, header timeout, graceful drain);
//! * `http`: dispatch, request reading, responses, conditional requests, paging, rate limit,
//!   security headers, observability, `/openapi.json`;
//! * `handlers`: one module per resource; they check with `peering-model` and call the store;
//! * `repr`: how records are sent (per api-version) and their ETags;
//! * [`store`]: the [`store::Store`] trait and its backends (`store::sqlite`); no backend
//!   calls a handler;
//! * [`settings`], [`auth`], [`routes`] (the one route table) and `error` (the ARM error);
//! * [`demo`]: `--demo`'s simulated sites and collector, a client of the router like any other;
//! * [`webhooks`]: the sender of alert webhooks (signed, retried), reading the store's queue.
//!
//! `ARCHITECTURE.md` at the repository root is the map and its invariants.

pub mod activity_expiry;
pub mod alert_clock;
pub mod auth;
pub mod demo;
pub(crate) mod error;
pub(crate) mod handlers;
pub(crate) mod http;
pub mod latency;
pub(crate) mod repr;
pub mod routes;
pub mod serve;
pub mod settings;
pub mod store;
pub mod webhooks;

pub use http::paging::encode_token;
pub use http::security::{cors_layer, is_csp_source};
pub use settings::{parse_public_url, Settings};

use crate::auth::Tokens;
use crate::error::ApiError;
use crate::http::dispatch::{handle, Shared};
use crate::http::ratelimit::RateLimiter;
use crate::store::sql::SqlStore;
use crate::store::sqlite::Options;
use crate::store::Store;
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::path::Path;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;

pub struct AppState {
    pub store: Arc<dyn Store>,
    pub tokens: Tokens,
    pub settings: Settings,
}

/// Opens the SQLite store at `path` with `readers` reader threads, as the server runs it.
pub fn open_sqlite(path: &Path, readers: usize) -> Result<SqlStore, String> {
    open_sqlite_with(path, readers, 1024, "FULL")
}

/// [`open_sqlite`] with a chosen queue length and writer `synchronous` setting: tests fill a
/// short queue, the load benchmark measures what `FULL` costs against `NORMAL`. The server
/// itself always runs `FULL`.
pub fn open_sqlite_with(
    path: &Path,
    readers: usize,
    queue: usize,
    synchronous: &'static str,
) -> Result<SqlStore, String> {
    store::sqlite::open(
        path,
        Options {
            readers,
            queue,
            render: repr::service::stored,
            render_child: repr::child::snapshot,
            format: repr::service::FORMAT,
            synchronous,
        },
    )
}

/// Opens the store on the PostgreSQL database of `url` with `connections` connections (and
/// as many queued requests per connection before 503), migrating it first.
pub async fn open_postgres(url: &str, connections: usize) -> Result<SqlStore, String> {
    store::postgres::open(
        url,
        store::postgres::PgOptions {
            connections,
            queue: 128 * connections.max(1),
            render: repr::service::stored,
            render_child: repr::child::snapshot,
            format: repr::service::FORMAT,
        },
    )
    .await
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("a request handler panicked").into_response()
}

/// The whole application, drivable without a socket.
pub fn app(state: Arc<AppState>) -> Router {
    let limiter = state
        .settings
        .rate_limit
        .map(|n| Arc::new(RateLimiter::new(n)));
    let cors = match cors_layer(&state.settings.cors_origins) {
        Ok(c) if !state.settings.cors_origins.is_empty() => Some(c),
        Ok(_) => None,
        Err(e) => {
            // main() validates origins before it builds the app; a bad one here allows none.
            tracing::error!("{e}; CORS stays off");
            None
        }
    };
    let settings = Arc::new(state.settings.clone());
    let router = Router::new()
        .fallback(handle)
        .with_state(Shared { state, limiter })
        .layer(axum::middleware::from_fn(
            http::conditional::list_validators,
        ))
        .layer(CatchPanicLayer::custom(panic_response));
    let router = match cors {
        Some(c) => router.layer(c),
        None => router,
    };
    router
        .layer(axum::middleware::from_fn_with_state(
            settings,
            http::security::headers,
        ))
        .layer(axum::middleware::from_fn(http::observe::trace))
}

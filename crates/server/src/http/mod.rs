//! The HTTP layer: dispatch, request reading, responses, conditional requests, paging, the
//! rate limit, security headers, observability and the OpenAPI document. Handlers are called
//! from [`dispatch`] only.

pub mod client;
pub(crate) mod conditional;
pub(crate) mod dispatch;
pub(crate) mod observe;
pub(crate) mod openapi;
mod openapi_activity;
mod openapi_telemetry;
pub mod paging;
pub(crate) mod ratelimit;
pub(crate) mod request;
pub(crate) mod response;
pub mod security;
pub mod static_files;

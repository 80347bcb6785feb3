//! One error type for the whole API, rendered in the ARM error shape with `x-ms-error-code`.
//!
//! Nothing is logged here: an internal error keeps its cause, which travels with the response
//! (as an [`ErrorCause`] extension) to the request-logging middleware, and the client sees
//! only that nothing was written. This module depends on nothing of the server but the model,
//! so every layer may use it.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use peering_model::wire::{ErrorDetail, ErrorResponse};
use peering_model::{Finding, Findings};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub target: Option<String>,
    pub details: Vec<ErrorDetail>,
    pub retry_after: Option<u32>,
    /// What few errors carry besides, boxed so that every `Result` stays small.
    extra: Option<Box<Extra>>,
}

#[derive(Debug, Clone, Default)]
struct Extra {
    /// The `Allow` header of a 405.
    allow: Option<String>,
    /// The `WWW-Authenticate` challenge of a 401 (RFC 6750).
    challenge: Option<HeaderValue>,
    /// What went wrong inside the server (never sent to the client; logged).
    cause: Option<String>,
}

/// The cause of a 5xx, for the logs; attached to the response by [`ApiError::into_response`].
#[derive(Debug, Clone)]
pub struct ErrorCause(pub String);

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            target: None,
            details: Vec::new(),
            retry_after: None,
            extra: None,
        }
    }

    fn extra(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// What went wrong inside the server, else the message (for errors outside a request,
    /// such as opening the store).
    pub fn cause(&self) -> &str {
        self.extra
            .as_ref()
            .and_then(|x| x.cause.as_deref())
            .unwrap_or(&self.message)
    }

    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn internal(what: impl std::fmt::Display) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "The server could not complete the request; nothing was written. Try again.",
        );
        e.extra().cause = Some(what.to_string());
        e
    }

    /// A storage queue is full: 503, retry in a second. Nothing was written.
    pub fn busy(queue: &str) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServerBusy",
            "The server has too many requests waiting for its database; nothing was written. Retry after the time in Retry-After.",
        );
        e.retry_after = Some(1);
        e.extra().cause = Some(format!("the {queue} queue is full"));
        e
    }

    /// The database cannot be reached, or gave up a transaction it may take on a retry: 503,
    /// retry in a second. Nothing was written.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "DatabaseUnavailable",
            "The server could not reach its database; nothing was written. Retry after the time in Retry-After.",
        );
        e.retry_after = Some(1);
        e.extra().cause = Some(cause.to_string());
        e
    }

    /// The database connection broke while a write committed: it may or may not have been
    /// applied, so (unlike every other 5xx) the client is not told that nothing was written.
    pub fn outcome_unknown(cause: impl std::fmt::Display) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "CommitOutcomeUnknown",
            "The server lost its database connection while committing: the change may or may not have been made. Read the resource before trying again.",
        );
        e.extra().cause = Some(cause.to_string());
        e
    }

    /// A single finding (an error) as a 400.
    pub fn finding(f: &Finding) -> Self {
        Self::bad_request(f.code.as_str(), f.message.clone()).with_target(f.target.clone())
    }

    /// Validation failures: the first error is the top-level error; every error is a detail.
    pub fn findings(findings: &Findings) -> Self {
        let Some(first) = findings.first_error() else {
            return Self::bad_request("InvalidRequestContent", "The request content is invalid.");
        };
        let mut e = Self::finding(first);
        e.details = findings
            .errors()
            .map(|f| ErrorDetail {
                code: f.code.as_str().to_owned(),
                message: f.message.clone(),
                target: Some(f.target.clone()),
                details: Vec::new(),
            })
            .collect();
        e
    }

    /// A batch refused for its items: the first is the top-level error; every item's error
    /// (target `value[i].field`) is a detail.
    pub fn items(code: &'static str, errors: Vec<(String, String)>) -> Self {
        let n = errors.len();
        let Some((target, message)) = errors.first().cloned() else {
            return Self::bad_request(code, "The batch is invalid.");
        };
        let message = if n > 1 {
            format!("{message} ({n} items have errors; each is in details; nothing was stored.)")
        } else {
            format!("{message} (Nothing was stored.)")
        };
        let mut e = Self::bad_request(code, message).with_target(target);
        e.details = errors
            .into_iter()
            .map(|(target, message)| ErrorDetail {
                code: code.to_owned(),
                message,
                target: Some(target),
                details: Vec::new(),
            })
            .collect();
        e
    }

    /// A conflict with stored data (an overlapping or changed prefix): 409, every finding a
    /// detail.
    pub fn conflict_findings(findings: &[Finding]) -> Self {
        let mut e = Self::findings(&Findings(findings.to_vec()));
        e.status = StatusCode::CONFLICT;
        e
    }

    pub fn method_not_allowed(method: &str, allow: String) -> Self {
        let mut e = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("{method} is not supported on this path; it allows {allow}."),
        );
        e.extra().allow = Some(allow);
        e
    }

    /// A 401's `WWW-Authenticate` challenge.
    pub fn with_challenge(mut self, challenge: HeaderValue) -> Self {
        self.extra().challenge = Some(challenge);
        self
    }

    fn body(&self) -> ErrorResponse {
        ErrorResponse {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message.clone(),
                target: self.target.clone(),
                details: self.details.clone(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        if let Ok(v) = HeaderValue::from_str(self.code) {
            h.insert("x-ms-error-code", v);
        }
        if let Some(s) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        let extra = self.extra.map(|b| *b).unwrap_or_default();
        if let Some(v) = extra.allow.and_then(|a| HeaderValue::from_str(&a).ok()) {
            res.headers_mut().insert(header::ALLOW, v);
        }
        if let Some(v) = extra.challenge {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        if let Some(cause) = extra.cause {
            res.extensions_mut().insert(ErrorCause(cause));
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// An error with its causes, each once ("error performing TLS handshake: invalid peer
/// certificate: UnknownIssuer"): what a log line or an error's cause says.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

//! The app's one error type for API calls, with its kind.

use peering_model::messages;
use peering_model::names::NameKind;

/// What kind of failure a call met: decided once, here, from the status or the situation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request was cancelled (its owner went away); nothing to show.
    Aborted,
    /// No answer at all.
    Network,
    /// 401: the token was refused.
    Unauthorized,
    /// 403.
    Forbidden,
    /// 404 (or 410): the resource does not exist (any more).
    NotFound,
    /// 412: `If-Match` no longer matches (changed elsewhere), or `If-None-Match: *` met an
    /// existing resource (the name is taken).
    PreconditionFailed,
    /// 409.
    Conflict,
    /// Any other 4xx: the request was refused as it stands.
    Invalid,
    /// 429.
    Throttled,
    /// 5xx.
    Server,
    /// An answer the app cannot read (or a status it does not expect).
    BadResponse,
    /// A `nextLink` that leads away from the API's origin; not followed.
    UntrustedLink,
}

impl ErrorKind {
    /// The kind of a failed answer with this status (0: no answer).
    pub fn of_status(status: u16) -> ErrorKind {
        match status {
            0 => ErrorKind::Network,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 | 410 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            412 => ErrorKind::PreconditionFailed,
            429 => ErrorKind::Throttled,
            400..=499 => ErrorKind::Invalid,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::BadResponse,
        }
    }
}

/// A failed call: an ARM error from the server, or no (usable) answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub kind: ErrorKind,
    /// The HTTP status; 0 when there was no answer.
    pub status: u16,
    pub code: String,
    pub message: String,
    pub target: Option<String>,
    /// Seconds the server asked to wait before trying again (`Retry-After` of a 429 or 503).
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            status: 0,
            code: code.to_owned(),
            message: message.into(),
            target: None,
            retry_after: None,
        }
    }

    /// A failure that may pass if the same request is sent again later: no answer, a 5xx
    /// (503 included), or 429. Such a write goes to the outbox instead of being lost.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Network | ErrorKind::Server | ErrorKind::Throttled
        )
    }

    pub(super) fn aborted() -> ApiError {
        ApiError::new(ErrorKind::Aborted, "Aborted", "The request was cancelled.")
    }

    pub(super) fn network(e: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            ErrorKind::Network,
            "NetworkError",
            messages::unreachable(&e.to_string()),
        )
    }

    /// The resource is not the version the page showed (found out before sending anything).
    pub fn changed(kind: NameKind, name: &str) -> ApiError {
        ApiError::new(
            ErrorKind::PreconditionFailed,
            "PreconditionFailed",
            messages::changed_elsewhere(kind, name),
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

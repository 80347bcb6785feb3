//! Who is calling and what they may do.
//!
//! A request's bearer token is either a static token of the tokens file ([`tokens`]: machines,
//! scripts, the single-user default) or, with `--oidc-issuer`, an OpenID Connect access token
//! ([`oidc`]: people). Either way it becomes a [`Principal`]: a name for `systemData` and the
//! logs, whether it is a person, and the roles it holds on which subscriptions.

mod file;
mod jwks;
pub mod oidc;
mod tokens;

pub use oidc::{CONTRIBUTOR_APP_ROLE, READER_APP_ROLE};
pub use tokens::{Grant, Holder, IdentityGrant, Tokens};

use crate::error::ApiError;
use crate::routes::Access;
use axum::http::{HeaderValue, StatusCode};
use peering_model::wire::CreatedByType;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Reader,
    Contributor,
    /// Sends telemetry through the ingestion endpoints, and nothing else.
    Collector,
}

impl Role {
    /// Of two roles granted on one subscription, the one that allows more. A collector's
    /// rights are of another kind; it never combines (only static tokens are collectors, and
    /// a static token has one role).
    fn stronger(self, other: Role) -> Role {
        match (self, other) {
            (Role::Contributor, _) | (_, Role::Contributor) => Role::Contributor,
            (Role::Reader, _) | (_, Role::Reader) => Role::Reader,
            _ => Role::Collector,
        }
    }
}

/// A role on some subscriptions (`"*"`: every one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub subscriptions: Vec<String>,
    pub role: Role,
}

impl Scope {
    pub fn everywhere(role: Role) -> Scope {
        Scope {
            subscriptions: vec!["*".into()],
            role,
        }
    }

    fn covers(&self, subscription: &str) -> bool {
        self.subscriptions
            .iter()
            .any(|s| s == "*" || s.eq_ignore_ascii_case(subscription))
    }
}

/// Whether a caller is a person (signed in with the identity provider) or an application (a
/// static token: a script, a collector, the generated admin token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Application,
}

impl Kind {
    pub fn created_by_type(self) -> CreatedByType {
        match self {
            Kind::User => CreatedByType::User,
            Kind::Application => CreatedByType::Application,
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// What `systemData` and the logs name: a person's `preferred_username` (else `email`,
    /// else `sub`), or a static grant's name.
    pub name: String,
    pub kind: Kind,
    /// The caller's own key for the rate limit: one bucket per person or per static grant.
    pub key: String,
    pub scopes: Vec<Scope>,
}

impl Principal {
    /// The strongest role granted on `subscription`, if any.
    pub fn role_in(&self, subscription: &str) -> Option<Role> {
        self.scopes
            .iter()
            .filter(|s| s.covers(subscription))
            .map(|s| s.role)
            .reduce(Role::stronger)
    }

    /// The strongest role granted anywhere (for operations outside a subscription).
    pub fn any_role(&self) -> Option<Role> {
        self.scopes.iter().map(|s| s.role).reduce(Role::stronger)
    }

    /// Who wrote, as handlers record it.
    pub fn caller(&self) -> Caller {
        Caller {
            id: self.name.clone(),
            kind: self.kind,
        }
    }
}

/// Who wrote a resource, as `systemData` says it.
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: String,
    pub kind: Kind,
}

impl Caller {
    pub fn created_by_type(&self) -> &'static str {
        self.kind.created_by_type().as_str()
    }
}

/// 401 for a request without a usable credential. RFC 6750: the challenge names the scheme,
/// and `error="invalid_token"` when a token was sent but refused.
pub fn unauthorized(message: impl Into<String>, token_sent: bool) -> ApiError {
    let challenge = if token_sent {
        "Bearer error=\"invalid_token\""
    } else {
        "Bearer"
    };
    ApiError::new(StatusCode::UNAUTHORIZED, "AuthenticationFailed", message)
        .with_challenge(HeaderValue::from_static(challenge))
}

/// 403 for a subscription the token does not grant; the same answer whether or not anything
/// exists there.
pub fn forbidden_subscription(sub: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
        format!("The access token does not grant access to subscription '{sub}'."),
    )
}

/// 403 for a valid token that grants nothing at all (a person without an app role or a
/// mapped grant).
pub fn no_grant(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
        format!("'{name}' is signed in but holds no role here: ask an administrator for the app role Peering.Reader or Peering.Contributor, or a grant in the server's tokens file."),
    )
}

/// Whether `role` may call an operation of `access`; the 403 saying why not.
pub fn authorize(role: Role, access: Access) -> Result<(), ApiError> {
    let message = match (role, access) {
        (Role::Reader, Access::Read)
        | (Role::Contributor, Access::Read | Access::Write)
        | (Role::Collector, Access::Ingest) => return Ok(()),
        (Role::Reader, Access::Write) => {
            "The access token has the reader role; writes need a contributor token."
        }
        (Role::Collector, _) => {
            "The access token has the collector role: it may only send telemetry to the ingestion endpoints."
        }
        (Role::Reader | Role::Contributor, Access::Ingest) => {
            "Only a collector token may send telemetry; this token has the reader or contributor role."
        }
    };
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
        message,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "00000000-0000-0000-0000-0000000000aa";
    const OTHER: &str = "00000000-0000-0000-0000-0000000000bb";

    #[test]
    fn the_strongest_role_of_a_subscription_wins() {
        let p = Principal {
            name: "alice".into(),
            kind: Kind::User,
            key: "user:alice".into(),
            scopes: vec![
                Scope::everywhere(Role::Reader),
                Scope {
                    subscriptions: vec![SUB.to_uppercase()],
                    role: Role::Contributor,
                },
            ],
        };
        assert_eq!(p.role_in(SUB), Some(Role::Contributor));
        assert_eq!(p.role_in(OTHER), Some(Role::Reader));
        assert_eq!(p.any_role(), Some(Role::Contributor));
        let none = Principal {
            scopes: vec![],
            ..p.clone()
        };
        assert_eq!(none.role_in(SUB), None);
        assert_eq!(none.any_role(), None);
    }
}

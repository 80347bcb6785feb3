//! Bearer tokens: each grants a set of subscriptions (or all, `"*"`) and a role.

use crate::error::ApiError;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Reader,
    Contributor,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Grant {
    pub token: String,
    pub subscriptions: Vec<String>,
    pub role: Role,
}

impl Grant {
    pub fn allows(&self, subscription: &str) -> bool {
        self.subscriptions
            .iter()
            .any(|s| s == "*" || s.eq_ignore_ascii_case(subscription))
    }
}

#[derive(Debug, Clone, Default)]
pub struct Tokens {
    /// Keyed by the SHA-256 of the token, so lookups do not compare secrets byte by byte.
    by_hash: HashMap<[u8; 32], Grant>,
}

fn digest(token: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).into()
}

impl Tokens {
    pub fn load(path: &Path) -> Result<Tokens, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read tokens file {}: {e}", path.display()))?;
        let grants: Vec<Grant> = serde_json::from_str(&text)
            .map_err(|e| format!("tokens file {}: {e}", path.display()))?;
        if grants.iter().any(|g| g.token.len() < 16) {
            return Err(format!(
                "tokens file {}: every token must be at least 16 characters",
                path.display()
            ));
        }
        Ok(Tokens::from_grants(grants))
    }

    pub fn from_grants(grants: Vec<Grant>) -> Tokens {
        Tokens {
            by_hash: grants.into_iter().map(|g| (digest(&g.token), g)).collect(),
        }
    }

    /// One contributor token for every subscription, 32 random bytes as hex.
    pub fn generate() -> (Tokens, String) {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let grant = Grant {
            token: token.clone(),
            subscriptions: vec!["*".into()],
            role: Role::Contributor,
        };
        (Tokens::from_grants(vec![grant]), token)
    }

    /// The grant for a request's `Authorization: Bearer` header.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<&Grant, ApiError> {
        let unauthorized =
            |msg: &str| ApiError::new(StatusCode::UNAUTHORIZED, "AuthenticationFailed", msg);
        let value = headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("Authentication failed: the Authorization header is missing; send 'Authorization: Bearer <token>'."))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| {
                unauthorized(
                    "Authentication failed: the Authorization header must be 'Bearer <token>'.",
                )
            })?;
        self.lookup(token)
            .ok_or_else(|| unauthorized("Authentication failed: the access token is not valid."))
    }

    fn lookup(&self, token: &str) -> Option<&Grant> {
        self.by_hash.get(&digest(token))
    }
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

pub fn forbidden_write() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
        "The access token has the reader role; writes need a contributor token.",
    )
}

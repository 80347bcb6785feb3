//! Bearer tokens: each grants a set of subscriptions (or all, `"*"`) and a role.

use crate::error::ApiError;
use crate::routes::Access;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Reader,
    Contributor,
    /// Sends telemetry through the ingestion endpoints, and nothing else.
    Collector,
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
    /// Reads and checks a tokens file; see [`Tokens::parse`].
    pub fn load(path: &Path) -> Result<Tokens, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read tokens file {}: {e}", path.display()))?;
        Tokens::parse(&text).map_err(|e| format!("tokens file {}: {e}", path.display()))
    }

    /// The grants of a tokens file's JSON, checked so that a mistake stops the server at
    /// startup instead of silently granting less (or more) than meant. Every token is at least
    /// 16 characters, has no surrounding whitespace (a request's token is trimmed, so it could
    /// never match) and appears once (a second grant would silently replace the first); every
    /// subscription entry is `"*"` or a subscription id (a GUID). An error names the entry
    /// (counted from 1) and never the token itself.
    pub fn parse(json: &str) -> Result<Tokens, String> {
        let grants: Vec<Grant> = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut seen: HashMap<[u8; 32], usize> = HashMap::with_capacity(grants.len());
        for (i, g) in grants.iter().enumerate() {
            let entry = i + 1;
            if g.token.trim() != g.token {
                return Err(format!(
                    "entry {entry}: the token has leading or trailing whitespace; remove it (a request's token is trimmed, so this one could never match)"
                ));
            }
            let len = g.token.chars().count();
            if len < 16 {
                return Err(format!(
                    "entry {entry}: the token is {len} characters long; every token must be at least 16 characters"
                ));
            }
            if let Some(first) = seen.insert(digest(&g.token), entry) {
                return Err(format!(
                    "entries {first} and {entry} have the same token; give every entry its own token"
                ));
            }
            if let Some(bad) = g
                .subscriptions
                .iter()
                .find(|s| s.as_str() != "*" && !peering_model::names::is_guid(s))
            {
                return Err(format!(
                    "entry {entry}: subscription {bad:?} is neither \"*\" (every subscription) nor a subscription id (a GUID such as 00000000-0000-0000-0000-000000000000)"
                ));
            }
        }
        Ok(Tokens::from_grants(grants))
    }

    pub fn from_grants(grants: Vec<Grant>) -> Tokens {
        Tokens {
            by_hash: grants.into_iter().map(|g| (digest(&g.token), g)).collect(),
        }
    }

    /// Adds grants (the demo's own tokens).
    pub fn add(&mut self, grants: Vec<Grant>) {
        self.by_hash
            .extend(grants.into_iter().map(|g| (digest(&g.token), g)));
    }

    /// One contributor token for every subscription, 32 random bytes as hex.
    pub fn generate() -> (Tokens, String) {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        (Tokens::admin(token.clone()), token)
    }

    fn admin(token: String) -> Tokens {
        Tokens::from_grants(vec![Grant {
            token,
            subscriptions: vec!["*".into()],
            role: Role::Contributor,
        }])
    }

    /// The generated contributor token kept in `file` (beside the database), so an open tab or
    /// a bookmarked `#token=` link keeps working across a restart. A missing file, or `renew`,
    /// makes a new token; it is written to a temporary file created with mode 0600 and renamed
    /// over `file`, so the token is never readable by others, not even for a moment, and a crash
    /// mid-write leaves the old token or the new one, never half of one. A file others can read
    /// is refused rather than used: the token may already have leaked, and the operator should
    /// know (and can start with `--new-token`).
    pub fn kept_in(file: &Path, renew: bool) -> Result<(Tokens, String), String> {
        let shown = file.display();
        if !renew {
            match std::fs::read_to_string(file) {
                Ok(text) => {
                    check_private(file)?;
                    let token = text.trim().to_owned();
                    if token.len() < 16 {
                        return Err(format!(
                            "the token file {shown} holds no token; delete it or start with --new-token"
                        ));
                    }
                    return Ok((Tokens::admin(token.clone()), token));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("cannot read the token file {shown}: {e}")),
            }
        }
        let (tokens, token) = Tokens::generate();
        let tmp = file.with_extension("token-new");
        let _ = std::fs::remove_file(&tmp);
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut f = private_file(&tmp)?;
            f.write_all(format!("{token}\n").as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, file)
        };
        write().map_err(|e| format!("cannot write the token file {shown}: {e}"))?;
        Ok((tokens, token))
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

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| format!("cannot read the token file {}: {e}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "the token file {} can be read by other users (mode {:o}); run 'chmod 600' on it if it has not leaked, or start with --new-token",
            path.display(),
            mode & 0o777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), String> {
    Ok(())
}

/// Who is calling: a short fingerprint of the token (never the token) and its role. The
/// fingerprint is what `systemData` and the logs name.
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: String,
    pub role: Role,
}

impl Caller {
    pub fn of(grant: &Grant) -> Caller {
        let hex: String = digest(&grant.token)[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Caller {
            id: format!("token-{hex}"),
            role: grant.role,
        }
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

    fn entry(token: &str, subscription: &str) -> String {
        format!(r#"{{"token": {token:?}, "subscriptions": [{subscription:?}], "role": "reader"}}"#)
    }

    fn parse(entries: &[String]) -> Result<Tokens, String> {
        Tokens::parse(&format!("[{}]", entries.join(",")))
    }

    #[test]
    fn a_good_file_is_accepted() {
        let t = parse(&[
            entry("reader-0123456789abcdef", SUB),
            entry("writer-0123456789abcdef", "*"),
            entry("other-0123456789abcdef", &SUB.to_uppercase()),
        ])
        .unwrap();
        assert_eq!(t.by_hash.len(), 3);
    }

    #[test]
    fn duplicate_tokens_are_refused_naming_both_entries() {
        let e = parse(&[
            entry("reader-0123456789abcdef", SUB),
            entry("writer-0123456789abcdef", "*"),
            entry("reader-0123456789abcdef", "*"),
        ])
        .unwrap_err();
        assert_eq!(
            e,
            "entries 1 and 3 have the same token; give every entry its own token"
        );
        assert!(!e.contains("reader-0123"), "the error never shows a token");
    }

    #[test]
    fn tokens_with_surrounding_whitespace_are_refused() {
        for token in [
            " reader-0123456789abcdef",
            "reader-0123456789abcdef\n",
            "\treader-0123456789abcdef ",
        ] {
            let e = parse(&[entry("writer-0123456789abcdef", "*"), entry(token, SUB)]).unwrap_err();
            assert!(
                e.starts_with("entry 2: the token has leading or trailing whitespace"),
                "{token:?}: {e}"
            );
        }
    }

    #[test]
    fn subscriptions_must_be_a_star_or_a_guid() {
        for bad in [
            "",
            "**",
            "all",
            "00000000-0000-0000-0000-0000000000a",
            " 00000000-0000-0000-0000-0000000000aa",
        ] {
            let e = parse(&[entry("reader-0123456789abcdef", bad)]).unwrap_err();
            assert_eq!(
                e,
                format!("entry 1: subscription {bad:?} is neither \"*\" (every subscription) nor a subscription id (a GUID such as 00000000-0000-0000-0000-000000000000)")
            );
        }
    }

    #[test]
    fn short_tokens_are_refused_naming_the_entry() {
        let e = parse(&[entry("writer-0123456789abcdef", "*"), entry("short", "*")]).unwrap_err();
        assert_eq!(
            e,
            "entry 2: the token is 5 characters long; every token must be at least 16 characters"
        );
    }
}

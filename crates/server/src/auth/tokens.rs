//! The tokens file: static bearer tokens (machines, scripts, the generated admin token), each
//! granting a role on a set of subscriptions (or all, `"*"`), and, with `--oidc-issuer`, the
//! grants of people signed in with the identity provider (by subject, group or app role). It
//! is read at start and again on SIGHUP ([`Tokens::reload`]), so a token is revoked without a
//! restart.

use super::file::{no_provider, parse_set, read_set};
use super::oidc::{person, Claims, Verifier};
#[cfg(test)]
use super::oidc::{CONTRIBUTOR_APP_ROLE, READER_APP_ROLE};
use super::{unauthorized, Kind, Principal, Role, Scope};
use crate::error::ApiError;
use axum::http::HeaderMap;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

/// A static token's grant.
#[derive(Debug, Clone)]
pub struct Grant {
    pub token: String,
    /// What `systemData` and the logs call the token's holder (the file's `name`; without
    /// one, a short fingerprint of the token, never the token).
    pub name: String,
    pub subscriptions: Vec<String>,
    pub role: Role,
    /// When the token stops working (Unix seconds), if ever.
    pub expires: Option<i64>,
}

impl Grant {
    /// A grant named by its token's fingerprint, that never expires.
    pub fn new(token: impl Into<String>, subscriptions: Vec<String>, role: Role) -> Grant {
        let token = token.into();
        Grant {
            name: fingerprint(&token),
            token,
            subscriptions,
            role,
            expires: None,
        }
    }

    pub fn named(mut self, name: impl Into<String>) -> Grant {
        self.name = name.into();
        self
    }

    fn principal(&self) -> Principal {
        Principal {
            name: self.name.clone(),
            kind: Kind::Application,
            key: fingerprint(&self.token),
            scopes: vec![Scope {
                subscriptions: self.subscriptions.clone(),
                role: self.role,
            }],
        }
    }
}

/// Whom an identity grant is for: a person's `sub`, a value of the `groups` claim, or a value
/// of the `roles` claim (an app role other than the two built-in ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    Subject(String),
    Group(String),
    AppRole(String),
}

/// A role on some subscriptions for people signed in with the identity provider.
#[derive(Debug, Clone)]
pub struct IdentityGrant {
    pub holder: Holder,
    pub scope: Scope,
}

impl IdentityGrant {
    pub(super) fn holds(&self, claims: &Claims) -> bool {
        match &self.holder {
            Holder::Subject(s) => claims.sub == *s,
            Holder::Group(g) => claims.groups.iter().any(|x| x == g),
            Holder::AppRole(r) => claims.roles.iter().any(|x| x == r),
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct Set {
    /// Keyed by the SHA-256 of the token, so lookups do not compare secrets byte by byte.
    pub(super) by_hash: HashMap<[u8; 32], Grant>,
    pub(super) identities: Vec<IdentityGrant>,
    /// Grants the server added itself (`--demo`'s), kept across a reload of the file.
    pub(super) added: Vec<Grant>,
}

/// The credentials the server accepts: the static tokens and identity grants of the tokens
/// file (replaced as a whole on reload; clones share them), and the identity provider's
/// access tokens when one is configured.
#[derive(Clone, Default)]
pub struct Tokens {
    set: Arc<RwLock<Arc<Set>>>,
    oidc: Option<Arc<Verifier>>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = self.current();
        f.debug_struct("Tokens")
            .field("static_tokens", &set.by_hash.len())
            .field("identity_grants", &set.identities.len())
            .field("oidc", &self.oidc.is_some())
            .finish()
    }
}

pub(super) fn digest(token: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).into()
}

/// A short fingerprint of a token (never the token): `token-` and 8 hex digits.
fn fingerprint(token: &str) -> String {
    let hex: String = digest(token)[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("token-{hex}")
}

impl Tokens {
    /// Reads and checks a tokens file; see [`Tokens::parse`].
    pub fn load(path: &Path) -> Result<Tokens, String> {
        Ok(Tokens::of(read_set(path)?))
    }

    /// Reads the tokens file again and, when it is good, replaces every static token and
    /// identity grant with its own (in every clone of these tokens); a bad file changes
    /// nothing. The count of static tokens and identity grants now in force.
    pub fn reload(&self, path: &Path) -> Result<(usize, usize), String> {
        let mut set = read_set(path)?;
        if !set.identities.is_empty() && self.oidc.is_none() {
            return Err(no_provider(path));
        }
        set.added = self.current().added.clone();
        set.by_hash
            .extend(set.added.iter().map(|g| (digest(&g.token), g.clone())));
        let counts = (set.by_hash.len(), set.identities.len());
        *self.set.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
        Ok(counts)
    }

    /// The grants of a tokens file's JSON; see [`parse_set`].
    pub fn parse(json: &str) -> Result<Tokens, String> {
        Ok(Tokens::of(parse_set(json)?))
    }

    fn of(set: Set) -> Tokens {
        Tokens {
            set: Arc::new(RwLock::new(Arc::new(set))),
            oidc: None,
        }
    }

    pub fn from_grants(grants: Vec<Grant>) -> Tokens {
        let mut t = Tokens::default();
        t.add(grants);
        t
    }

    /// Adds grants (the demo's own tokens).
    pub fn add(&mut self, grants: Vec<Grant>) {
        self.update(|set| {
            set.by_hash
                .extend(grants.iter().map(|g| (digest(&g.token), g.clone())));
            set.added.extend(grants);
        });
    }

    /// Adds identity grants (tests, and files: [`Tokens::parse`]).
    pub fn add_identities(&mut self, grants: Vec<IdentityGrant>) {
        self.update(|set| set.identities.extend(grants));
    }

    /// Replaces the set in force with a changed copy of it.
    fn update(&mut self, change: impl FnOnce(&mut Set)) {
        let mut lock = self.set.write().unwrap_or_else(|p| p.into_inner());
        let mut set = Set {
            by_hash: lock.by_hash.clone(),
            identities: lock.identities.clone(),
            added: lock.added.clone(),
        };
        change(&mut set);
        *lock = Arc::new(set);
    }

    /// These tokens, and the access tokens of the identity provider `verifier` checks.
    pub fn with_oidc(mut self, verifier: Arc<Verifier>) -> Tokens {
        self.oidc = Some(verifier);
        self
    }

    /// Refuses identity grants without an identity provider: they could never match, and the
    /// operator meant something.
    pub fn check_provider(&self, path: &Path) -> Result<(), String> {
        if !self.current().identities.is_empty() && self.oidc.is_none() {
            return Err(no_provider(path));
        }
        Ok(())
    }

    fn current(&self) -> Arc<Set> {
        self.set.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// One contributor token for every subscription, 32 random bytes as hex.
    pub fn generate() -> (Tokens, String) {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        (Tokens::admin(token.clone()), token)
    }

    fn admin(token: String) -> Tokens {
        // Named for what it is: systemData then says "admin (generated token)" wrote it.
        Tokens::from_grants(vec![
            Grant::new(token, vec!["*".into()], Role::Contributor).named("admin (generated token)")
        ])
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

    /// Who sent a request, from its `Authorization: Bearer` header, at `now` (Unix
    /// seconds): a static token of the file (while it has not expired), else, with an identity
    /// provider, one of its access tokens. Every refusal is a 401 with an RFC 6750 challenge.
    pub async fn authenticate(&self, headers: &HeaderMap, now: i64) -> Result<Principal, ApiError> {
        let value = headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("Authentication failed: the Authorization header is missing; send 'Authorization: Bearer <token>'.", false))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                unauthorized(
                    "Authentication failed: the Authorization header must be 'Bearer <token>'.",
                    false,
                )
            })?;
        let set = self.current();
        if let Some(grant) = set.by_hash.get(&digest(token)) {
            if let Some(end) = grant.expires.filter(|end| now >= *end) {
                return Err(unauthorized(
                    format!(
                        "Authentication failed: the access token '{}' expired at {}; ask for a new one.",
                        grant.name,
                        rfc3339(end)
                    ),
                    true,
                ));
            }
            return Ok(grant.principal());
        }
        match &self.oidc {
            Some(verifier) if token.split('.').count() == 3 => {
                let claims = verifier.verify(token).await?;
                Ok(person(&claims, &set.identities))
            }
            _ => Err(unauthorized(
                "Authentication failed: the access token is not valid.",
                true,
            )),
        }
    }
}

/// Unix seconds as RFC 3339 (for messages).
fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
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
        assert_eq!(t.current().by_hash.len(), 3);
    }

    fn claims(sub: &str, roles: &[&str], groups: &[&str]) -> Claims {
        serde_json::from_value(serde_json::json!({"sub": sub, "roles": roles, "groups": groups}))
            .unwrap()
    }

    #[test]
    fn people_get_roles_from_app_roles_and_from_the_file() {
        let t = parse(&[
            format!(r#"{{"subject": "s-1", "subscriptions": ["{SUB}"], "role": "contributor"}}"#),
            r#"{"group": "netops", "subscriptions": ["*"], "role": "reader"}"#.into(),
            format!(r#"{{"appRole": "Peering.Sub.AA", "subscriptions": ["{SUB}"], "role": "contributor"}}"#),
        ])
        .unwrap();
        let set = t.current();
        assert_eq!(set.identities.len(), 3);
        let other = "00000000-0000-0000-0000-0000000000bb";
        let p = person(&claims("s-1", &[], &[]), &set.identities);
        assert_eq!(
            (p.role_in(SUB), p.role_in(other)),
            (Some(Role::Contributor), None)
        );
        assert_eq!(p.name, "s-1", "named by sub without a username or email");
        let p = person(&claims("x", &[], &["netops"]), &set.identities);
        assert_eq!(
            (p.role_in(SUB), p.role_in(other)),
            (Some(Role::Reader), Some(Role::Reader))
        );
        let p = person(&claims("x", &["Peering.Sub.AA"], &[]), &set.identities);
        assert_eq!(p.role_in(SUB), Some(Role::Contributor));
        let p = person(&claims("x", &[READER_APP_ROLE], &[]), &[]);
        assert_eq!(p.role_in(other), Some(Role::Reader));
        let p = person(
            &claims("x", &[CONTRIBUTOR_APP_ROLE, READER_APP_ROLE], &[]),
            &[],
        );
        assert_eq!(p.role_in(other), Some(Role::Contributor));
        let p = person(
            &claims("x", &["Something.Else"], &["other"]),
            &set.identities,
        );
        assert_eq!(p.any_role(), None);
        assert_eq!(p.kind, Kind::User);
    }

    #[test]
    fn entries_name_one_holder_and_people_are_never_collectors() {
        for (entry, says) in [
            (
                r#"{"subscriptions": ["*"], "role": "reader"}"#,
                "entry 1: name exactly one of",
            ),
            (
                r#"{"token": "reader-0123456789abcdef", "group": "g", "subscriptions": ["*"], "role": "reader"}"#,
                "entry 1: name exactly one of",
            ),
            (
                r#"{"group": "g", "subscriptions": ["*"], "role": "collector"}"#,
                "a person cannot be a collector",
            ),
            (
                r#"{"subject": "g", "subscriptions": ["*"], "role": "reader", "expires": "2030-01-01T00:00:00Z"}"#,
                "\"expires\" is for static tokens",
            ),
            (
                r#"{"token": "reader-0123456789abcdef", "subscriptions": ["*"], "role": "reader", "expires": "tomorrow"}"#,
                "not an RFC 3339 time",
            ),
            (
                r#"{"token": "reader-0123456789abcdef", "name": " ", "subscriptions": ["*"], "role": "reader"}"#,
                "the name must be 1 to 64 characters",
            ),
        ] {
            let e = parse(&[entry.into()]).unwrap_err();
            assert!(e.contains(says), "{entry}: {e}");
            assert!(
                !e.contains("reader-0123"),
                "the error never shows a token: {e}"
            );
        }
        let e = parse(&[
            r#"{"token": "reader-0123456789abcdef", "name": "ci", "subscriptions": ["*"], "role": "reader"}"#.into(),
            r#"{"token": "writer-0123456789abcdef", "name": "ci", "subscriptions": ["*"], "role": "reader"}"#.into(),
        ])
        .unwrap_err();
        assert!(e.starts_with("entries 1 and 2 have the same name"), "{e}");
    }

    #[tokio::test]
    async fn a_static_token_works_until_it_expires_and_names_its_grant() {
        let t = parse(&[
            r#"{"token": "reader-0123456789abcdef", "name": "nightly export", "subscriptions": ["*"], "role": "reader", "expires": "2027-01-31T00:00:00Z"}"#.into(),
        ])
        .unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::AUTHORIZATION,
            "Bearer reader-0123456789abcdef".parse().unwrap(),
        );
        let end = 1_801_353_600; // 2027-01-31T00:00:00Z
        let p = t.authenticate(&h, end - 1).await.unwrap();
        assert_eq!(
            (p.name.as_str(), p.kind),
            ("nightly export", Kind::Application)
        );
        let e = t.authenticate(&h, end).await.unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::UNAUTHORIZED);
        assert!(
            e.message
                .contains("'nightly export' expired at 2027-01-31T00:00:00Z"),
            "{}",
            e.message
        );
    }

    #[tokio::test]
    async fn a_reload_keeps_the_grants_the_server_added() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens.json");
        std::fs::write(
            &file,
            format!("[{}]", entry("reader-0123456789abcdef", SUB)),
        )
        .unwrap();
        let mut t = Tokens::load(&file).unwrap();
        t.add(vec![Grant::new(
            "demo-collector-0123456789",
            vec![SUB.into()],
            Role::Collector,
        )]);
        std::fs::write(&file, format!("[{}]", entry("other-0123456789abcdef", SUB))).unwrap();
        assert_eq!(t.reload(&file).unwrap(), (2, 0));
        let bearer = |token: &str| {
            let mut h = HeaderMap::new();
            h.insert(
                axum::http::header::AUTHORIZATION,
                format!("Bearer {token}").parse().unwrap(),
            );
            h
        };
        assert!(t
            .authenticate(&bearer("demo-collector-0123456789"), 0)
            .await
            .is_ok());
        assert!(t
            .authenticate(&bearer("other-0123456789abcdef"), 0)
            .await
            .is_ok());
        assert!(t
            .authenticate(&bearer("reader-0123456789abcdef"), 0)
            .await
            .is_err());
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

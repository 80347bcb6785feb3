//! The tokens file as written: each entry a static token or a grant to people, checked so
//! that a mistake stops the server at start (or leaves a reload without effect) instead of
//! silently granting less, or more, than meant.

use super::tokens::{digest, Grant, Holder, IdentityGrant, Set};
use super::{Role, Scope};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

/// One entry of the tokens file, as written.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    app_role: Option<String>,
    #[serde(default)]
    name: Option<String>,
    subscriptions: Vec<String>,
    role: Role,
    #[serde(default)]
    expires: Option<String>,
}

pub(super) fn no_provider(path: &Path) -> String {
    format!(
        "tokens file {}: it grants roles to people (subject, group or appRole entries), which needs --oidc-issuer and --oidc-audience",
        path.display()
    )
}

pub(super) fn read_set(path: &Path) -> Result<Set, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read tokens file {}: {e}", path.display()))?;
    parse_set(&text).map_err(|e| format!("tokens file {}: {e}", path.display()))
}

/// The grants of a tokens file's JSON, checked so that a mistake stops the server at startup
/// (or leaves a reload without effect) instead of silently granting less (or more) than
/// meant. Each entry names exactly one of `token`, `subject`, `group`, `appRole`. Every token
/// is at least 16 characters, has no surrounding whitespace (a request's token is trimmed, so
/// it could never match) and appears once (a second grant would silently replace the first);
/// `expires` is an RFC 3339 time; names are unique; a person is never a collector; every
/// subscription entry is `"*"` or a subscription id (a GUID). An error names the entry
/// (counted from 1) and never the token itself.
pub(super) fn parse_set(json: &str) -> Result<Set, String> {
    let entries: Vec<Entry> = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let mut set = Set::default();
    let mut seen: HashMap<[u8; 32], usize> = HashMap::with_capacity(entries.len());
    let mut names: HashMap<String, usize> = HashMap::new();
    for (i, e) in entries.into_iter().enumerate() {
        let entry = i + 1;
        if let Some(bad) = e
            .subscriptions
            .iter()
            .find(|s| s.as_str() != "*" && !peering_model::names::is_guid(s))
        {
            return Err(format!(
                "entry {entry}: subscription {bad:?} is neither \"*\" (every subscription) nor a subscription id (a GUID such as 00000000-0000-0000-0000-000000000000)"
            ));
        }
        let scope = Scope {
            subscriptions: e.subscriptions,
            role: e.role,
        };
        let holder = match (e.token, e.subject, e.group, e.app_role) {
            (Some(token), None, None, None) => {
                if token.trim() != token {
                    return Err(format!(
                        "entry {entry}: the token has leading or trailing whitespace; remove it (a request's token is trimmed, so this one could never match)"
                    ));
                }
                let len = token.chars().count();
                if len < 16 {
                    return Err(format!(
                        "entry {entry}: the token is {len} characters long; every token must be at least 16 characters"
                    ));
                }
                if let Some(first) = seen.insert(digest(&token), entry) {
                    return Err(format!(
                        "entries {first} and {entry} have the same token; give every entry its own token"
                    ));
                }
                let expires = match e.expires {
                    None => None,
                    Some(t) => Some(
                        time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339)
                            .map_err(|_| format!("entry {entry}: expires {t:?} is not an RFC 3339 time such as 2027-01-31T00:00:00Z"))?
                            .unix_timestamp(),
                    ),
                };
                let mut grant = Grant::new(token, scope.subscriptions, scope.role);
                grant.expires = expires;
                if let Some(name) = e.name {
                    let name = name.trim().to_owned();
                    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
                        return Err(format!("entry {entry}: the name must be 1 to 64 characters, without control characters"));
                    }
                    if let Some(first) = names.insert(name.clone(), entry) {
                        return Err(format!("entries {first} and {entry} have the same name {name:?}; give every token its own name, so that what it did can be told apart"));
                    }
                    grant.name = name;
                }
                set.by_hash.insert(digest(&grant.token), grant);
                continue;
            }
            (None, Some(s), None, None) => Holder::Subject(s),
            (None, None, Some(g), None) => Holder::Group(g),
            (None, None, None, Some(r)) => Holder::AppRole(r),
            _ => {
                return Err(format!(
                    "entry {entry}: name exactly one of \"token\" (a static token), \"subject\", \"group\" or \"appRole\" (people signed in with the identity provider)"
                ))
            }
        };
        if scope.role == Role::Collector {
            return Err(format!(
                "entry {entry}: a person cannot be a collector; give collectors a static token"
            ));
        }
        if e.expires.is_some() {
            return Err(format!(
                "entry {entry}: \"expires\" is for static tokens; a person's access ends with their access token"
            ));
        }
        set.identities.push(IdentityGrant { holder, scope });
    }
    Ok(set)
}

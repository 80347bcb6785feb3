//! OpenID Connect access tokens: JWTs signed by the identity provider `--oidc-issuer` names,
//! for the audience `--oidc-audience`.
//!
//! The provider's signing keys come from its discovery document's `jwks_uri` and are kept in
//! memory. A token signed with a key not among them makes the keys be fetched again, at most
//! once per [`OidcConfig::refetch_interval`] (a minute), so a stream of made-up key ids cannot
//! turn the server against the provider; a fetch that fails keeps the keys it had, so tokens
//! of known keys are accepted while the provider is down. Only asymmetric algorithms are
//! accepted, and only those the key allows: `none` and HMAC never, whatever the header says
//! (an HMAC "signed" with a public key is the classic forgery). The cryptography is
//! `jsonwebtoken`'s (ring).

use super::jwks::{Key, ASYMMETRIC};
use super::tokens::IdentityGrant;
use super::{unauthorized, Kind, Principal, Role, Scope};
use crate::error::ApiError;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::Validation;
use serde::Deserialize;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The app roles that grant a role on every subscription (Entra ID's app-role convention: the
/// `roles` claim of the access token).
pub const READER_APP_ROLE: &str = "Peering.Reader";
pub const CONTRIBUTOR_APP_ROLE: &str = "Peering.Contributor";

/// The clock skew allowed on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 60;

/// What the server trusts: one issuer and one audience.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The issuer, exactly as the tokens' `iss` says it (and the discovery document's
    /// `issuer`); its discovery document is `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// What the tokens' `aud` must contain: the console's API (Entra ID: the application ID
    /// URI, such as `api://peering-console`).
    pub audience: String,
    /// The least time between two fetches of the keys (a minute; tests shorten it).
    pub refetch_interval: Duration,
}

impl OidcConfig {
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> OidcConfig {
        OidcConfig {
            issuer: issuer.into(),
            audience: audience.into(),
            refetch_interval: Duration::from_secs(60),
        }
    }

    /// The discovery document's URL.
    pub fn discovery_url(&self) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        )
    }
}

/// The origin (`scheme://host[:port]`) of a URL, for a CSP source list.
pub fn origin_of(url: &str) -> Option<String> {
    let u: axum::http::Uri = url.parse().ok()?;
    Some(format!("{}://{}", u.scheme_str()?, u.authority()?))
}

/// The claims of an access token the server reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// App roles (Entra ID's convention): `Peering.Reader`, `Peering.Contributor`, or others a
    /// tokens file maps.
    #[serde(default, deserialize_with = "one_or_many")]
    pub roles: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub groups: Vec<String>,
}

/// A claim sent as one string or as an array of strings.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

/// The provider's keys, as last fetched.
#[derive(Default)]
struct KeySet {
    keys: Vec<Key>,
    /// When they were fetched; None until the first fetch succeeds.
    fetched: Option<Instant>,
}

impl KeySet {
    fn knows(&self, kid: Option<&str>) -> bool {
        match kid {
            Some(kid) => self.keys.iter().any(|k| k.kid.as_deref() == Some(kid)),
            None => !self.keys.is_empty(),
        }
    }
}

/// Checks access tokens against the provider's keys, fetching them when needed.
pub struct Verifier {
    config: OidcConfig,
    client: reqwest::Client,
    keys: RwLock<Arc<KeySet>>,
    /// When the last fetch was tried; held while fetching, so concurrent requests that meet
    /// the same new key wait for one fetch instead of each making their own.
    last_attempt: tokio::sync::Mutex<Option<Instant>>,
    clock: fn() -> Instant,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.config.issuer)
            .field("audience", &self.config.audience)
            .finish()
    }
}

fn refused(why: impl std::fmt::Display) -> ApiError {
    unauthorized(format!("Authentication failed: {why}."), true)
}

impl Verifier {
    pub fn new(config: OidcConfig) -> Result<Verifier, String> {
        Verifier::with_clock(config, Instant::now)
    }

    /// A verifier whose fetch throttle reads `clock` (tests move it).
    pub fn with_clock(config: OidcConfig, clock: fn() -> Instant) -> Result<Verifier, String> {
        // https, or http to this machine only (a provider started beside the server, as
        // the tests do): keys fetched in the clear from elsewhere could be anyone's.
        let ok = config.issuer.parse::<axum::http::Uri>().is_ok_and(|u| {
            let loopback = u.host().is_some_and(|h| {
                h == "localhost"
                    || h.trim_matches(['[', ']'])
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            });
            u.host().is_some()
                && (u.scheme_str() == Some("https") || (u.scheme_str() == Some("http") && loopback))
        });
        if !ok {
            return Err(format!(
                "--oidc-issuer '{}' is not an https:// URL such as https://login.microsoftonline.com/<tenant>/v2.0",
                config.issuer
            ));
        }
        if config.audience.trim().is_empty() {
            return Err("--oidc-audience is empty; give the audience the access tokens are issued for, such as api://peering-console".into());
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot make the HTTP client for the identity provider: {e}"))?;
        Ok(Verifier {
            config,
            client,
            keys: RwLock::new(Arc::new(KeySet::default())),
            last_attempt: tokio::sync::Mutex::new(None),
            clock,
        })
    }

    fn current(&self) -> Arc<KeySet> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Fetches the keys unless a fetch was tried less than the refetch interval ago; a
    /// failure is logged and keeps the keys already held. Whether the keys were replaced.
    pub async fn refresh(&self) -> bool {
        let mut last = self.last_attempt.lock().await;
        let now = (self.clock)();
        if last.is_some_and(|at| now.saturating_duration_since(at) < self.config.refetch_interval) {
            return false;
        }
        *last = Some(now);
        match self.fetch().await {
            Ok(keys) => {
                tracing::info!(
                    issuer = %self.config.issuer,
                    keys = keys.len(),
                    "identity provider's signing keys fetched"
                );
                *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(KeySet {
                    keys,
                    fetched: Some(now),
                });
                true
            }
            Err(e) => {
                tracing::warn!(
                    issuer = %self.config.issuer,
                    error = %e,
                    "cannot fetch the identity provider's signing keys; keeping the ones held"
                );
                false
            }
        }
    }

    async fn get_json(&self, url: &str) -> Result<serde_json::Value, String> {
        let res = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| format!("{url}: {}", crate::error::chain(&e)))?;
        if !res.status().is_success() {
            return Err(format!("{url} answered {}", res.status()));
        }
        let body = res
            .bytes()
            .await
            .map_err(|e| format!("{url}: {}", crate::error::chain(&e)))?;
        serde_json::from_slice(&body).map_err(|e| format!("{url}: not JSON: {e}"))
    }

    async fn fetch(&self) -> Result<Vec<Key>, String> {
        let discovery = self.get_json(&self.config.discovery_url()).await?;
        // OpenID Connect Discovery 1.0 §4.3: the document's issuer is exactly the one asked
        // for, or nothing from it is used.
        if discovery.get("issuer").and_then(|i| i.as_str()) != Some(&self.config.issuer) {
            return Err(format!(
                "the discovery document names issuer {}, not {}",
                discovery.get("issuer").unwrap_or(&serde_json::Value::Null),
                self.config.issuer
            ));
        }
        let jwks_uri = discovery
            .get("jwks_uri")
            .and_then(|u| u.as_str())
            .ok_or("the discovery document has no jwks_uri")?;
        let set = self.get_json(jwks_uri).await?;
        let keys: Vec<Key> = set
            .get("keys")
            .and_then(|k| k.as_array())
            .ok_or_else(|| format!("{jwks_uri} holds no \"keys\""))?
            .iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .filter_map(|jwk| Key::from_jwk(&jwk))
            .collect();
        if keys.is_empty() {
            return Err(format!(
                "{jwks_uri} holds no signing key this server can use"
            ));
        }
        Ok(keys)
    }

    /// The claims of a valid access token; a 401 saying why for any other.
    pub async fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        // A header that does not parse includes `alg: none` (not an algorithm here).
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            refused("the access token is not a JWT signed with an algorithm this server accepts")
        })?;
        if !ASYMMETRIC.contains(&header.alg) {
            return Err(refused(format!(
                "the access token is signed with {:?}; only the identity provider's asymmetric signatures (RS256, PS256, ES256 …) are accepted",
                header.alg
            )));
        }
        let kid = header.kid.as_deref();
        let mut keys = self.current();
        if !keys.knows(kid) {
            self.refresh().await;
            keys = self.current();
        }
        let candidates: Vec<&Key> = keys
            .keys
            .iter()
            .filter(|k| kid.is_none() || k.kid.as_deref() == kid)
            .collect();
        if candidates.is_empty() {
            return Err(if keys.fetched.is_none() {
                refused("the identity provider's signing keys could not be fetched, so the access token cannot be checked; try again shortly")
            } else {
                refused(format!(
                    "the access token is signed with a key the identity provider does not publish (kid {})",
                    kid.unwrap_or("none")
                ))
            });
        }
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let mut error = None;
        for key in candidates {
            if !key.allows(header.alg) {
                error.get_or_insert_with(|| {
                    format!(
                        "the access token's algorithm {:?} is not one its key allows",
                        header.alg
                    )
                });
                continue;
            }
            match jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation) {
                Ok(data) => return Ok(data.claims),
                Err(e) => error = Some(self.why(&e)),
            }
        }
        Err(refused(error.unwrap_or_default()))
    }

    fn why(&self, e: &jsonwebtoken::errors::Error) -> String {
        use jsonwebtoken::errors::ErrorKind as E;
        match e.kind() {
            E::ExpiredSignature => "the access token has expired; sign in again".into(),
            E::ImmatureSignature => "the access token is not valid yet (nbf)".into(),
            E::InvalidAudience => format!(
                "the access token is for another audience; it must name '{}'",
                self.config.audience
            ),
            E::InvalidIssuer => format!(
                "the access token was issued by another issuer; this server trusts '{}'",
                self.config.issuer
            ),
            E::InvalidSignature => "the access token's signature does not verify".into(),
            E::MissingRequiredClaim(c) => format!("the access token has no '{c}' claim"),
            _ => "the access token is not valid".into(),
        }
    }
}

/// A person signed in with the identity provider: named by `preferred_username`, else
/// `email`, else `sub`; every built-in app role in `roles` grants its role on every
/// subscription, and every identity grant they hold adds its own.
pub(super) fn person(claims: &Claims, identities: &[IdentityGrant]) -> Principal {
    let name = [&claims.preferred_username, &claims.email]
        .into_iter()
        .flatten()
        .find(|n| !n.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| claims.sub.clone());
    let mut scopes: Vec<Scope> = claims
        .roles
        .iter()
        .filter_map(|r| match r.as_str() {
            READER_APP_ROLE => Some(Scope::everywhere(Role::Reader)),
            CONTRIBUTOR_APP_ROLE => Some(Scope::everywhere(Role::Contributor)),
            _ => None,
        })
        .collect();
    scopes.extend(
        identities
            .iter()
            .filter(|g| g.holds(claims))
            .map(|g| g.scope.clone()),
    );
    Principal {
        name,
        kind: Kind::User,
        key: format!("user:{}", claims.sub),
        scopes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://login.microsoftonline.com/tenant/v2.0").as_deref(),
            Some("https://login.microsoftonline.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:4000").as_deref(),
            Some("http://127.0.0.1:4000")
        );
        assert_eq!(origin_of("not a url"), None);
    }

    #[test]
    fn roles_and_groups_are_read_as_one_or_many() {
        let c: Claims =
            serde_json::from_str(r#"{"sub":"s","roles":"Peering.Reader","groups":["a","b"]}"#)
                .unwrap();
        assert_eq!(c.roles, ["Peering.Reader"]);
        assert_eq!(c.groups, ["a", "b"]);
        let c: Claims = serde_json::from_str(r#"{"sub":"s"}"#).unwrap();
        assert!(c.roles.is_empty() && c.groups.is_empty());
    }

    static NOW: std::sync::Mutex<Option<Instant>> = std::sync::Mutex::new(None);
    fn clock() -> Instant {
        NOW.lock().unwrap().expect("set by the test")
    }

    #[tokio::test]
    async fn keys_are_fetched_again_at_most_once_an_interval() {
        // A provider that is not there: every fetch fails, but each one that is tried counts.
        let start = Instant::now();
        *NOW.lock().unwrap() = Some(start);
        let v =
            Verifier::with_clock(OidcConfig::new("http://127.0.0.1:9", "api://x"), clock).unwrap();
        assert!(!v.refresh().await);
        let first = *v.last_attempt.lock().await;
        assert_eq!(first, Some(start));
        *NOW.lock().unwrap() = Some(start + Duration::from_secs(59));
        v.refresh().await;
        assert_eq!(
            *v.last_attempt.lock().await,
            first,
            "not tried again within a minute"
        );
        *NOW.lock().unwrap() = Some(start + Duration::from_secs(60));
        v.refresh().await;
        assert_eq!(
            *v.last_attempt.lock().await,
            Some(start + Duration::from_secs(60)),
            "tried again after a minute"
        );
        let refusal = v
            .verify("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.e30.c2ln")
            .await
            .unwrap_err();
        assert_eq!(refusal.status, axum::http::StatusCode::UNAUTHORIZED);
        assert!(
            refusal.message.contains("could not be fetched"),
            "{}",
            refusal.message
        );
    }
}

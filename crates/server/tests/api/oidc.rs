//! Signing in with an OpenID Provider: the real `oidc-provider` on loopback issues the access
//! tokens (`oidc_provider.rs`); the server checks them against the keys it publishes.

use crate::helpers::*;
use crate::oidc_provider::{compact, free_port, parts, Provider, AUDIENCE};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use peering_server::auth::oidc::{OidcConfig, Verifier};
use peering_server::auth::{Holder, IdentityGrant, Role, Scope};
use peering_server::AppState;
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// The server with the test tokens, `identities`, and the provider at `issuer` (keys fetched
/// again at most every `refetch`).
async fn spawn_signed_in(
    issuer: &str,
    refetch: Duration,
    identities: Vec<IdentityGrant>,
) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = OidcConfig::new(issuer, AUDIENCE);
    config.refetch_interval = refetch;
    let mut tokens = tokens();
    tokens.add_identities(identities);
    let tokens = tokens.with_oidc(Arc::new(Verifier::new(config).unwrap()));
    let store = open_store(dir.path()).await;
    let state = Arc::new(AppState {
        store: Arc::new(store),
        tokens,
        settings: peering_server::Settings::default(),
    });
    spawn_state(dir, state).await
}

fn netops_contributes_to_sub() -> Vec<IdentityGrant> {
    vec![IdentityGrant {
        holder: Holder::Group("netops".into()),
        scope: Scope {
            subscriptions: vec![SUB.into()],
            role: Role::Contributor,
        },
    }]
}

async fn status_as(
    app: &TestApp,
    token: &str,
    method: Method,
    url: &str,
    body: Option<&Value>,
) -> u16 {
    app.send_as(token, method, url, &[], body)
        .await
        .status()
        .as_u16()
}

/// A 401 with RFC 6750's challenge for a refused token, and the ARM error body.
async fn refused(app: &TestApp, token: &str, why: &str) -> String {
    let res = app
        .send_as(token, Method::GET, &app.service_url("rg", "c"), &[], None)
        .await;
    assert_eq!(res.status().as_u16(), 401, "{why}");
    assert_eq!(
        res.headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap()),
        Some("Bearer error=\"invalid_token\""),
        "{why}"
    );
    let (code, message, _) = arm_error(res, 401).await;
    assert_eq!(code, "AuthenticationFailed", "{why}");
    message
}

fn now() -> i64 {
    peering_server::settings::unix_now()
}

#[tokio::test]
async fn people_sign_in_with_the_provider_and_are_named_as_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Provider::start(dir.path(), free_port(), false);
    let app = spawn_signed_in(
        &provider.issuer,
        Duration::from_secs(60),
        netops_contributes_to_sub(),
    )
    .await;
    let alice = provider.token_for("alice").await;
    let (header, claims) = parts(&alice);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(
        claims["aud"], AUDIENCE,
        "the provider's token is for the console's API"
    );

    // A contributor (app role Peering.Contributor) creates; systemData names her.
    let url = with_version(&app.service_url("rg", "c"), "2025-05-01");
    let res = app
        .send_as(&alice, Method::PUT, &url, &[], Some(&connection_body()))
        .await;
    let created: Value = expect_status(res, 201).json().await.unwrap();
    let sd = &created["systemData"];
    assert_eq!(sd["createdBy"], "alice@contoso.example");
    assert_eq!(sd["createdByType"], "User");
    assert_eq!(sd["lastModifiedByType"], "User");

    // A static token beside OIDC: an application, named by its grant.
    let patch = json!({"tags": {"team": "netops"}});
    let res = app.send(Method::PATCH, &url, &[], Some(&patch)).await;
    let patched: Value = expect_status(res, 200).json().await.unwrap();
    assert_eq!(patched["systemData"]["createdBy"], "alice@contoso.example");
    assert_eq!(patched["systemData"]["lastModifiedByType"], "Application");
    assert!(patched["systemData"]["lastModifiedBy"]
        .as_str()
        .unwrap()
        .starts_with("token-"));

    // A reader reads, and may not write.
    let rita = provider.token_for("rita").await;
    assert_eq!(status_as(&app, &rita, Method::GET, &url, None).await, 200);
    let res = app
        .send_as(&rita, Method::PUT, &url, &[], Some(&connection_body()))
        .await;
    let (code, message, _) = arm_error(res, 403).await;
    assert_eq!(code, "AuthorizationFailed");
    assert!(message.contains("reader role"), "{message}");

    // Signed in, but granted nothing: 403, saying what to ask for.
    let nobody = provider.token_for("nobody").await;
    let res = app.send_as(&nobody, Method::GET, &url, &[], None).await;
    let (_, message, _) = arm_error(res, 403).await;
    assert!(message.contains("nobody@contoso.example"), "{message}");
    assert!(message.contains("Peering.Reader"), "{message}");

    // A group the tokens file maps to one subscription: contributor there, nothing elsewhere;
    // named by email when preferred_username is empty.
    let gina = provider.token_for("gina").await;
    let other = with_version(&app.service_url("rg", "g"), "2025-05-01");
    let res = app
        .send_as(&gina, Method::PUT, &other, &[], Some(&connection_body()))
        .await;
    let made: Value = expect_status(res, 201).json().await.unwrap();
    assert_eq!(made["systemData"]["createdBy"], "gina@contoso.example");
    let elsewhere = other.replace(SUB, OTHER_SUB);
    let res = app.send_as(&gina, Method::GET, &elsewhere, &[], None).await;
    let (_, message, _) = arm_error(res, 403).await;
    assert!(message.contains(OTHER_SUB), "{message}");
}

#[tokio::test]
async fn tokens_the_provider_did_not_issue_as_they_are_get_401() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Provider::start(dir.path(), free_port(), false);
    let app = spawn_signed_in(&provider.issuer, Duration::from_secs(60), vec![]).await;
    let valid = provider.token_for("alice").await;
    let url = app.service_url("rg", "c");
    assert_eq!(status_as(&app, &valid, Method::GET, &url, None).await, 404);

    let keys = provider.key_file();
    let (rsa, ec) = (&keys[0], &keys[1]);
    let kid = |k: &Value| k["jwk"]["kid"].as_str().unwrap().to_owned();
    let sign = |alg: Algorithm, key: &Value, claims: &Value| -> String {
        let pem = key["pem"].as_str().unwrap().as_bytes();
        let enc = match alg {
            Algorithm::ES256 => EncodingKey::from_ec_pem(pem).unwrap(),
            _ => EncodingKey::from_rsa_pem(pem).unwrap(),
        };
        let mut header = Header::new(alg);
        header.kid = Some(kid(key));
        jsonwebtoken::encode(&header, claims, &enc).unwrap()
    };
    let claims = |change: Value| -> Value {
        let mut c = json!({
            "iss": provider.issuer, "aud": AUDIENCE, "sub": "alice", "iat": now(),
            "exp": now() + 300, "roles": ["Peering.Contributor"],
        });
        for (k, v) in change.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };

    // Accepted: the provider's keys in each algorithm they allow, and a clock 30 s behind.
    for (alg, key, c, why) in [
        (Algorithm::RS256, rsa, claims(json!({})), "RS256"),
        (Algorithm::PS256, rsa, claims(json!({})), "PS256"),
        (Algorithm::ES256, ec, claims(json!({})), "ES256"),
        (
            Algorithm::RS256,
            rsa,
            claims(json!({"exp": now() - 30})),
            "expired 30 s ago: within the skew",
        ),
        (
            Algorithm::RS256,
            rsa,
            claims(json!({"nbf": now() + 30})),
            "valid in 30 s: within the skew",
        ),
        (
            Algorithm::RS256,
            rsa,
            claims(json!({"aud": ["api://other", AUDIENCE]})),
            "one of several audiences",
        ),
    ] {
        let token = sign(alg, key, &c);
        assert_eq!(
            status_as(&app, &token, Method::GET, &url, None).await,
            404,
            "{why}"
        );
    }

    // Refused, each with the reason in the message.
    let ec_under_rsa_kid = {
        let mut k = ec.clone();
        k["jwk"]["kid"] = rsa["jwk"]["kid"].clone();
        k
    };
    let cases = [
        (
            sign(
                Algorithm::RS256,
                rsa,
                &claims(json!({"iss": "http://127.0.0.1:1"})),
            ),
            "wrong issuer",
            "another issuer",
        ),
        (
            sign(
                Algorithm::RS256,
                rsa,
                &claims(json!({"aud": "api://other"})),
            ),
            "wrong audience",
            "another audience",
        ),
        (
            sign(Algorithm::RS256, rsa, &claims(json!({"aud": null}))),
            "no audience",
            "'aud'",
        ),
        (
            sign(Algorithm::RS256, rsa, &claims(json!({"exp": now() - 120}))),
            "expired",
            "expired",
        ),
        (
            sign(Algorithm::RS256, rsa, &claims(json!({"nbf": now() + 120}))),
            "not yet valid",
            "not valid yet",
        ),
        (
            sign(Algorithm::RS256, rsa, &claims(json!({"exp": null}))),
            "no expiry",
            "'exp'",
        ),
        (
            sign(Algorithm::ES256, &ec_under_rsa_kid, &claims(json!({}))),
            "ES256 under an RSA key's kid",
            "not one its key allows",
        ),
    ];
    for (token, why, says) in cases {
        let message = refused(&app, &token, why).await;
        assert!(message.contains(says), "{why}: {message}");
    }
    // The provider's own token with one signature byte changed.
    let mut tampered: Vec<char> = valid.chars().collect();
    let at = tampered.len() - 20;
    tampered[at] = if tampered[at] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    let message = refused(&app, &tampered, "tampered signature").await;
    assert!(message.contains("signature does not verify"), "{message}");
    // alg none, unsigned.
    let (mut header, body) = parts(&valid);
    header["alg"] = json!("none");
    refused(&app, &compact(&header, &body, b""), "alg none").await;
    // HS256 "signed" with the provider's public keys as the secret: never HMAC.
    let public = reqwest::get(format!("{}/jwks", provider.issuer))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(kid(rsa));
    let forged = jsonwebtoken::encode(
        &hs,
        &claims(json!({})),
        &EncodingKey::from_secret(public.as_bytes()),
    )
    .unwrap();
    let message = refused(&app, &forged, "HS256 with the public key").await;
    assert!(message.contains("asymmetric"), "{message}");
    // A key the provider does not publish.
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("not-a-published-key".into());
    let unknown = jsonwebtoken::encode(
        &header,
        &claims(json!({})),
        &EncodingKey::from_rsa_pem(rsa["pem"].as_str().unwrap().as_bytes()).unwrap(),
    )
    .unwrap();
    let message = refused(&app, &unknown, "unknown kid").await;
    assert!(message.contains("does not publish"), "{message}");
    // Not a JWT at all, and no token: 401s, the latter with the bare challenge.
    refused(&app, "not-a-token-0123456789.x.y", "garbage").await;
    let res = app.send_as("", Method::GET, &url, &[], None).await;
    assert_eq!(
        res.headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap()),
        Some("Bearer")
    );
    arm_error(res, 401).await;
}

#[tokio::test]
async fn keys_rotate_and_known_keys_outlive_the_provider() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let provider = Provider::start(dir.path(), port, false);
    // Refetching is not throttled here (its once-a-minute bound has a unit test), so the
    // rotation is seen at once.
    let app = spawn_signed_in(&provider.issuer, Duration::ZERO, vec![]).await;
    let url = app.service_url("rg", "c");
    let first = provider.token_for("alice").await;
    assert_eq!(status_as(&app, &first, Method::GET, &url, None).await, 404);

    // The provider rotates: a new key signs, the old one is still published.
    drop(provider);
    let provider = Provider::start(dir.path(), port, true);
    let second = provider.token_for("alice").await;
    assert_ne!(parts(&first).0["kid"], parts(&second).0["kid"]);
    assert_eq!(
        status_as(&app, &second, Method::GET, &url, None).await,
        404,
        "new key"
    );
    assert_eq!(
        status_as(&app, &first, Method::GET, &url, None).await,
        404,
        "old key"
    );

    // The provider goes away: the keys held still verify; an unknown key is a 401, not a 500.
    drop(provider);
    assert_eq!(status_as(&app, &first, Method::GET, &url, None).await, 404);
    assert_eq!(status_as(&app, &second, Method::GET, &url, None).await, 404);
    let (mut header, body) = parts(&second);
    header["kid"] = json!("rotated-away");
    let sig = second.rsplit('.').next().unwrap();
    let unknown = format!(
        "{}.{sig}",
        compact(&header, &body, b"").trim_end_matches('.')
    );
    let message = refused(&app, &unknown, "unknown kid, provider down").await;
    assert!(message.contains("does not publish"), "{message}");

    // A server that never reached its provider refuses every provider token with a 401.
    let app = spawn_signed_in(&format!("http://127.0.0.1:{port}"), Duration::ZERO, vec![]).await;
    let message = refused(&app, &first, "provider never reached").await;
    assert!(message.contains("could not be fetched"), "{message}");
    let url = app.service_url("rg", "c");
    assert_eq!(
        status_as(&app, CONTRIBUTOR, Method::GET, &url, None).await,
        404,
        "static tokens work on"
    );
}

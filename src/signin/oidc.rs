//! Signing in with the organisation's OpenID Provider, from the browser alone: the
//! authorization code flow with PKCE (S256), `state` and `nonce`, as a public client (no
//! secret, no server of ours in between). The redirect URI is the console's own address
//! without query or fragment, so it works from any host and sub-path.
//!
//! Where things live: the access token in the tab's `sessionStorage` (as a static token is);
//! the refresh token, the ID token (for sign-out) and the expiry beside it, also per tab. The
//! access token is renewed before it expires with the refresh token, which the provider
//! rotates (a public client's refresh token is single-use): a `fetch` to the token endpoint,
//! which the strict CSP allows (the provider's origin is in `connect-src`), with no reload and
//! no frame, so nothing on screen is touched.

use super::codec::{b64url, claims, random_b64, sha256};
use crate::state::OidcConfig;
use gloo_net::http::Request;
use serde::{Deserialize, Serialize};

/// What a sign-in in progress keeps across the provider's redirect.
const PENDING_KEY: &str = "peering-console.oidc.pending";
/// The signed-in session's refresh token, ID token and expiry (not the access token, which
/// is `state::TOKEN_KEY`).
const SESSION_KEY: &str = "peering-console.oidc.session";

/// The provider's endpoints, from its discovery document.
#[derive(Debug, Clone, Deserialize)]
pub struct Endpoints {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    state: String,
    verifier: String,
    nonce: String,
    /// The route that was asked for (`#/c/rg/name`), opened once signed in.
    route: String,
    /// A try without a login page (`prompt=none`): a refusal then just offers Sign in.
    silent: bool,
}

/// A signed-in session, as kept for the tab.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Signed {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub id_token: Option<String>,
    /// When the access token expires (ms since the epoch).
    pub expires_at: f64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    expires_in: Option<f64>,
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The provider's endpoints, fetched once per page load (a renewal every few minutes needs no
/// second fetch of the same document).
pub async fn discover(issuer: &str) -> Result<Endpoints, String> {
    thread_local! {
        static KNOWN: std::cell::RefCell<Option<Endpoints>> = const { std::cell::RefCell::new(None) };
    }
    if let Some(e) = KNOWN
        .with(|k| k.borrow().clone())
        .filter(|e| e.issuer == issuer)
    {
        return Ok(e);
    }
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let res = Request::get(&url)
        .send()
        .await
        .map_err(|e| format!("The identity provider {issuer} cannot be reached: {e}"))?;
    if !res.ok() {
        return Err(format!(
            "The identity provider {issuer} answered {} for its configuration.",
            res.status()
        ));
    }
    let e: Endpoints = res
        .json()
        .await
        .map_err(|e| format!("The identity provider's configuration is not valid: {e}"))?;
    if e.issuer != issuer {
        return Err(format!(
            "The identity provider at {issuer} says it is {}; check the issuer in config.json.",
            e.issuer
        ));
    }
    KNOWN.with(|k| *k.borrow_mut() = Some(e.clone()));
    Ok(e)
}

fn enc(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

/// The console's own address, without query or fragment: the redirect URI.
pub fn redirect_uri() -> String {
    web_sys::window()
        .map(|w| {
            let l = w.location();
            format!(
                "{}{}",
                l.origin().unwrap_or_default(),
                l.pathname().unwrap_or_default()
            )
        })
        .unwrap_or_default()
}

/// Sends the browser to the provider to sign in (with `silent`, without a login page: the
/// provider answers at once from its own session, or says it cannot). The route asked for is
/// opened once signed in.
pub async fn begin(config: &OidcConfig, silent: bool) -> Result<(), String> {
    let endpoints = discover(&config.issuer).await?;
    let verifier = random_b64(32)?;
    let challenge = b64url(&sha256(verifier.as_bytes()).await?);
    let route = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .filter(|h| h.starts_with("#/"))
        .unwrap_or_default();
    let pending = Pending {
        state: random_b64(16)?,
        verifier,
        nonce: random_b64(16)?,
        route,
        silent,
    };
    let storage = session_storage().ok_or("This browser keeps no session storage.")?;
    storage
        .set_item(
            PENDING_KEY,
            &serde_json::to_string(&pending).map_err(|e| e.to_string())?,
        )
        .map_err(|_| "This browser keeps no session storage.")?;
    let mut url = format!(
        "{}?response_type=code&client_id={}&redirect_uri={}&scope={}&state={}&nonce={}&code_challenge={challenge}&code_challenge_method=S256",
        endpoints.authorization_endpoint,
        enc(&config.client_id),
        enc(&redirect_uri()),
        enc(&config.scopes),
        enc(&pending.state),
        enc(&pending.nonce),
    );
    if let Some(r) = &config.resource {
        url.push_str(&format!("&resource={}", enc(r)));
    }
    if silent {
        url.push_str("&prompt=none");
    }
    web_sys::window()
        .ok_or("no window")?
        .location()
        .assign(&url)
        .map_err(|_| "The browser did not go to the identity provider.".to_owned())
}

/// What the address says after the provider sent the browser back.
pub enum Return {
    /// Not a return from the provider.
    None,
    /// Signed in.
    Signed(Signed),
    /// A silent try that the provider could not answer without a login page.
    NeedsLogin,
    /// Something went wrong; what to say.
    Failed(String),
}

/// Completes a sign-in when the address carries the provider's answer (`?code=…&state=…`, or
/// `?error=…`): checks `state`, trades the code and the PKCE verifier for tokens, checks the
/// ID token's `nonce`, keeps the session for the tab, and puts the route that was asked for
/// back in the address (the query is removed, so a reload does not try the code again).
pub async fn complete(config: &OidcConfig) -> Return {
    let Some(window) = web_sys::window() else {
        return Return::None;
    };
    let search = window.location().search().unwrap_or_default();
    let params: Vec<(String, String)> = search
        .trim_start_matches('?')
        .split('&')
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((
                k.to_owned(),
                String::from(js_sys::decode_uri_component(&v.replace('+', " ")).ok()?),
            ))
        })
        .collect();
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let (code, state, error) = (get("code"), get("state"), get("error"));
    if state.is_none() || (code.is_none() && error.is_none()) {
        return Return::None;
    }
    let storage = session_storage();
    let pending: Option<Pending> = storage
        .as_ref()
        .and_then(|s| s.get_item(PENDING_KEY).ok().flatten())
        .and_then(|t| serde_json::from_str(&t).ok());
    if let Some(s) = &storage {
        let _ = s.remove_item(PENDING_KEY);
    }
    let route = pending
        .as_ref()
        .map(|p| p.route.clone())
        .unwrap_or_default();
    if let Ok(history) = window.history() {
        let path = window.location().pathname().unwrap_or_default();
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}{route}")),
        );
    }
    let Some(pending) = pending.filter(|p| Some(&p.state) == state.as_ref()) else {
        return Return::Failed(
            "The sign-in answer does not match a sign-in started in this tab; sign in again."
                .into(),
        );
    };
    if let Some(e) = error {
        if pending.silent {
            return Return::NeedsLogin;
        }
        let why = get("error_description").unwrap_or(e);
        return Return::Failed(format!("The identity provider did not sign you in: {why}"));
    }
    let code = code.unwrap_or_default();
    let result = async {
        let endpoints = discover(&config.issuer).await?;
        let body = format!(
            "grant_type=authorization_code&code={}&redirect_uri={}&client_id={}&code_verifier={}",
            enc(&code),
            enc(&redirect_uri()),
            enc(&config.client_id),
            enc(&pending.verifier)
        );
        let signed = token_request(&endpoints.token_endpoint, body, None).await?;
        let nonce = signed
            .id_token
            .as_deref()
            .and_then(claims)
            .and_then(|c| c.nonce);
        if signed.id_token.is_some() && nonce.as_deref() != Some(pending.nonce.as_str()) {
            return Err(
                "The identity provider's answer is not for this sign-in (nonce); sign in again."
                    .to_owned(),
            );
        }
        Ok(signed)
    }
    .await;
    match result {
        Ok(s) => {
            keep(&s);
            Return::Signed(s)
        }
        Err(e) => Return::Failed(e),
    }
}

async fn token_request(
    endpoint: &str,
    body: String,
    old_refresh: Option<&str>,
) -> Result<Signed, String> {
    let res = Request::post(endpoint)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| format!("The identity provider cannot be reached: {e}"))?;
    if !res.ok() {
        let text = res.text().await.unwrap_or_default();
        let why = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("error_description")
                    .or_else(|| v.get("error"))
                    .and_then(|e| e.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| format!("answer {}", res.status()));
        return Err(format!("The identity provider refused: {why}"));
    }
    let t: TokenAnswer = res
        .json()
        .await
        .map_err(|e| format!("The identity provider's answer is not valid: {e}"))?;
    let lifetime = t.expires_in.unwrap_or(300.0).max(10.0);
    Ok(Signed {
        access_token: t.access_token,
        refresh_token: t.refresh_token.or_else(|| old_refresh.map(str::to_owned)),
        id_token: t.id_token,
        expires_at: js_sys::Date::now() + lifetime * 1000.0,
    })
}

/// A new access token for the refresh token of `signed` (the provider rotates it). Not kept
/// here: the caller keeps it only if the session is still the one in use (not signed out
/// meanwhile). Err(None) when there is no refresh token; Err(Some(why)) when the provider refused
/// or could not be reached.
pub async fn renew(config: &OidcConfig, signed: &Signed) -> Result<Signed, Option<String>> {
    let refresh = signed.refresh_token.as_deref().ok_or(None)?;
    let endpoints = discover(&config.issuer).await.map_err(Some)?;
    let body = format!(
        "grant_type=refresh_token&refresh_token={}&client_id={}",
        enc(refresh),
        enc(&config.client_id)
    );
    let mut s = token_request(&endpoints.token_endpoint, body, Some(refresh))
        .await
        .map_err(Some)?;
    if s.id_token.is_none() {
        s.id_token = signed.id_token.clone();
    }
    Ok(s)
}

/// Keeps the session for this tab: the access token where a static one is kept, the rest
/// beside it.
pub fn keep(s: &Signed) {
    if let Some(st) = session_storage() {
        let _ = st.set_item(crate::state::TOKEN_KEY, &s.access_token);
        if let Ok(text) = serde_json::to_string(s) {
            let _ = st.set_item(SESSION_KEY, &text);
        }
    }
}

/// The session kept for this tab, if its access token is the one in use.
pub fn kept(access_token: &str) -> Option<Signed> {
    let text = session_storage()?.get_item(SESSION_KEY).ok()??;
    serde_json::from_str::<Signed>(&text)
        .ok()
        .filter(|s| s.access_token == access_token)
}

/// Forgets the session kept for this tab (the access token is `state::forget_token`'s).
pub fn forget() {
    if let Some(st) = session_storage() {
        let _ = st.remove_item(SESSION_KEY);
        let _ = st.remove_item(PENDING_KEY);
    }
}

/// Ends the provider's session too, when it offers `end_session_endpoint`: the browser goes
/// there and comes back to the console. Whether it went.
pub async fn end_session(config: &OidcConfig, id_token: Option<&str>) -> bool {
    let Ok(endpoints) = discover(&config.issuer).await else {
        return false;
    };
    let Some(end) = endpoints.end_session_endpoint else {
        return false;
    };
    let mut url = format!(
        "{end}?client_id={}&post_logout_redirect_uri={}",
        enc(&config.client_id),
        enc(&redirect_uri())
    );
    if let Some(t) = id_token {
        url.push_str(&format!("&id_token_hint={}", enc(t)));
    }
    web_sys::window()
        .and_then(|w| w.location().assign(&url).ok())
        .is_some()
}

/// Whether the address is the provider's answer to a sign-in (`?code=` or `?error=` with
/// `state`).
pub fn is_return() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|s| s.contains("state=") && (s.contains("code=") || s.contains("error=")))
}

//! The session: where the API is, the access token, the subscription, and whose data this is.
//!
//! The token comes from the identity provider (`signin::oidc`), from a portal, from the URL
//! fragment (`#token=...`, as printed by `peering-server`) or pasted on the sign-in page, and
//! is kept in `sessionStorage` for this tab only (so a reload keeps working); it is never put
//! in `localStorage`. The fragment is removed from the address bar once read.
//!
//! What is kept in `localStorage` (drafts, the outbox) belongs to one identity: its keys end in
//! `@` and the identity's key ([`identity_of`]), so one person's drafts and unsent writes are
//! never shown, or sent, under another's token, and sign-out removes exactly that person's.

use peering_model::ServiceId;
use serde::Deserialize;

pub const TOKEN_KEY: &str = "peering-console.token";
pub const SUBSCRIPTION_KEY: &str = "peering-console.subscription";

/// Runtime settings from `config.json` (an embedding host can ship its own).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Config {
    /// Base URL of the API ("" = same origin).
    pub api_base: String,
    /// The subscription used when the URL does not name one.
    pub subscription_id: String,
    /// The resource group new connections go to by default.
    pub default_resource_group: String,
    /// The exact origins of portals allowed to frame the app and talk to it
    /// (`docs/embedding.md`); empty: no portal.
    pub allowed_parent_origins: Vec<String>,
    /// Sign-in with the organisation's OpenID Provider; without it, static tokens only.
    pub oidc: Option<OidcConfig>,
}

/// `config.json`'s `"oidc"`: the provider and the console's registration there (a public
/// client: no secret).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OidcConfig {
    /// The issuer, exactly as the provider's discovery document (and the server's
    /// `--oidc-issuer`) says it.
    pub issuer: String,
    pub client_id: String,
    /// The scopes asked for (space-separated): Entra ID wants the API's, such as
    /// `api://peering-console/.default openid profile offline_access`.
    #[serde(default = "default_scopes")]
    pub scopes: String,
    /// A resource indicator (RFC 8707) to ask the access token for, for providers that take
    /// one (Auth0 calls it `audience`).
    #[serde(default)]
    pub resource: Option<String>,
}

fn default_scopes() -> String {
    "openid profile email offline_access".into()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            api_base: String::new(),
            subscription_id: "00000000-0000-0000-0000-000000000000".into(),
            default_resource_group: "default".into(),
            allowed_parent_origins: Vec::new(),
            oidc: None,
        }
    }
}

/// The access token, shared by every copy of the session: a portal's refresh replaces it in
/// place (the next request sends the new one; nothing on screen is rebuilt). Never printed.
#[derive(Clone)]
pub struct Token(
    std::sync::Arc<std::sync::Mutex<String>>,
    /// The last token the server refused (see [`Token::refused_first_time`]).
    std::sync::Arc<std::sync::Mutex<Option<String>>>,
);

impl Token {
    /// Whether this is the first refusal of the token in use: a portal is asked for a new
    /// token once per token, so one that keeps sending a refused token is not asked forever.
    pub fn refused_first_time(&self) -> bool {
        let now = self.get();
        match self.1.lock() {
            Ok(mut last) if last.as_deref() != Some(now.as_str()) => {
                *last = Some(now);
                true
            }
            _ => false,
        }
    }

    pub fn get(&self) -> String {
        self.0.lock().map(|t| t.clone()).unwrap_or_default()
    }

    pub fn replace(&self, token: String) {
        if let Ok(mut t) = self.0.lock() {
            *t = token;
        }
    }
}

impl From<String> for Token {
    fn from(t: String) -> Token {
        Token(
            std::sync::Arc::new(std::sync::Mutex::new(t)),
            std::sync::Arc::new(std::sync::Mutex::new(None)),
        )
    }
}

impl From<&str> for Token {
    fn from(t: &str) -> Token {
        Token::from(t.to_owned())
    }
}

impl PartialEq for Token {
    fn eq(&self, other: &Token) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0) || self.get() == other.get()
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Config {
    /// Refuses an `allowedParentOrigins` entry that is not one exact origin
    /// (`https://host[:port]`): `*`, `null`, a path or a trailing slash would either open the
    /// app to any page or silently never match (`event.origin` has no slash).
    pub fn check(&self) -> Result<(), String> {
        for o in &self.allowed_parent_origins {
            let rest = o
                .strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"))
                .unwrap_or("");
            let host_ok = !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
            if !host_ok {
                return Err(format!(
                    "config.json: allowedParentOrigins has '{o}', which is not an origin such as https://portal.example.com (scheme, host and port only; no path, no trailing slash, no wildcard)."
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub config: Config,
    pub token: Token,
    pub subscription: String,
}

impl Session {
    /// The id of a connection of this session's subscription.
    pub fn service(&self, resource_group: &str, name: &str) -> ServiceId {
        ServiceId::new(&self.subscription, resource_group, name)
    }
}

/// `key=value` pairs of a URL fragment (without the leading `#`).
pub fn fragment_params(fragment: &str) -> Vec<(String, String)> {
    fragment
        .trim_start_matches('#')
        .split('&')
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            let v = peering_model::resource_id::decode(v)?;
            Some((k.to_owned(), v))
        })
        .collect()
}

/// The token a fragment hands over (`token=…`, not empty, decodable), if it is not a route.
pub fn fragment_token(fragment: &str) -> Option<String> {
    if fragment.trim_start_matches('#').starts_with('/') {
        return None;
    }
    fragment_params(fragment)
        .into_iter()
        .find(|(k, v)| k == "token" && !v.trim().is_empty())
        .map(|(_, v)| v)
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// Reads the token (and optional subscription) from the fragment, remembers them for this tab,
/// and clears the fragment so the token does not linger in the address bar or history. A route
/// (`#/…`) is not credentials. With `use_stored` false (framed by a portal, whose token always
/// wins) a token kept from before is not used: the portal is asked for the current one.
pub fn take_credentials(use_stored: bool) -> (Option<String>, Option<String>) {
    let Some(window) = web_sys::window() else {
        return (None, None);
    };
    let storage = session_storage();
    let hash = window.location().hash().unwrap_or_default();
    let params = if hash.trim_start_matches('#').starts_with('/') {
        Vec::new()
    } else {
        fragment_params(&hash)
    };
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let (mut token, sub) = (fragment_token(&hash), get("subscription"));
    // A link that would sign this tab in as someone else asks first: a link can be anyone's,
    // and what the tab holds (drafts, unsent writes) is the signed-in person's.
    let kept = storage
        .as_ref()
        .and_then(|s| s.get_item(TOKEN_KEY).ok().flatten());
    if let (Some(new), Some(old)) = (&token, &kept) {
        if identity_of(new) != identity_of(old)
            && !window
                .confirm_with_message(peering_model::messages::REPLACE_IDENTITY)
                .unwrap_or(false)
        {
            token = None;
        }
    }
    if let Some(s) = &storage {
        if let Some(t) = &token {
            let _ = s.set_item(TOKEN_KEY, t);
        }
        if let Some(sub) = &sub {
            let _ = s.set_item(SUBSCRIPTION_KEY, sub);
        }
    }
    if fragment_token(&hash).is_some() {
        if let Ok(history) = window.history() {
            let loc = window.location();
            let url = format!(
                "{}{}",
                loc.pathname().unwrap_or_default(),
                loc.search().unwrap_or_default()
            );
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
    let stored = |k: &str| {
        storage
            .as_ref()
            .filter(|_| use_stored)
            .and_then(|s| s.get_item(k).ok().flatten())
    };
    (
        token.or_else(|| stored(TOKEN_KEY)),
        sub.or_else(|| stored(SUBSCRIPTION_KEY)),
    )
}

/// Keeps a token (and subscription) a portal handed over, for this tab, as the fragment's are.
pub fn keep_credentials(token: &str, subscription: Option<&str>) {
    if let Some(s) = session_storage() {
        let _ = s.set_item(TOKEN_KEY, token);
        if let Some(sub) = subscription {
            let _ = s.set_item(SUBSCRIPTION_KEY, sub);
        }
    }
}

/// Signs out: the token leaves this tab's `sessionStorage` (the caller drops it from memory).
pub fn forget_token() {
    if let Some(s) = session_storage() {
        let _ = s.remove_item(TOKEN_KEY);
    }
}

/// The key of the identity a token is for ([`peering_model::names::storage_identity`]): a
/// person's issuer and subject when the token is a JWT that names them, else the token.
pub fn identity_of(token: &str) -> String {
    let claims = crate::signin::codec::claims(token).unwrap_or_default();
    let person = claims.iss.as_deref().zip(claims.sub.as_deref());
    peering_model::names::storage_identity(person, token)
}

thread_local! {
    /// The identity whose drafts are read and written (set when the signed-in shell is built).
    static IDENTITY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Makes `identity` the one whose drafts this tab reads and writes.
pub fn set_identity(identity: &str) {
    IDENTITY.with(|i| *i.borrow_mut() = identity.to_owned());
}

/// `key` of the current identity (unchanged when none is signed in, as in tests of a part).
pub fn scoped(key: &str) -> String {
    IDENTITY.with(|i| {
        let i = i.borrow();
        if i.is_empty() {
            key.to_owned()
        } else {
            format!("{key}@{i}")
        }
    })
}

/// Removes everything `identity` kept in `localStorage` (drafts, the outbox): sign-out.
pub fn forget_identity(identity: &str) {
    let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) else {
        return;
    };
    let suffix = format!("@{identity}");
    let keys: Vec<String> = (0..s.length().unwrap_or(0))
        .filter_map(|i| s.key(i).ok().flatten())
        .filter(|k| k.starts_with("peering-console.") && k.ends_with(&suffix))
        .collect();
    for k in keys {
        let _ = s.remove_item(&k);
    }
}

/// Drafts of unfinished forms live in `localStorage` (never tokens), per identity.
pub fn load_draft(key: &str) -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item(&scoped(key))
        .ok()?
}

pub fn save_draft(key: &str, value: &str) {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.set_item(&scoped(key), value);
    }
}

pub fn clear_draft(key: &str) {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.remove_item(&scoped(key));
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn allowed_parent_origins_are_exact_origins() {
        let with = |o: &str| Config {
            allowed_parent_origins: vec![o.to_owned()],
            ..Config::default()
        };
        for ok in [
            "https://portal.example.com",
            "http://127.0.0.1:8080",
            "http://[::1]:80",
        ] {
            assert_eq!(with(ok).check(), Ok(()), "{ok}");
        }
        for bad in [
            "*",
            "null",
            "https://portal.example.com/",
            "https://p.example/app",
            "portal.example.com",
            "https://",
            "https://a b",
        ] {
            assert!(with(bad).check().is_err(), "{bad}");
        }
    }
}

//! A real OpenID Provider for the sign-in tests: `tests/oidc/provider.mjs` (npm
//! `oidc-provider`, which `cargo xtask setup` installs into `.tools/`) on a loopback port,
//! stopped when dropped; and tokens obtained from it the way a browser does (the authorization
//! code flow with PKCE, through its own login form).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const AUDIENCE: &str = "api://peering-console";
pub const CLIENT_ID: &str = "peering-console";
/// Where the browser would be sent back; never contacted (the test reads the redirect).
const REDIRECT: &str = "http://127.0.0.1:9/callback";

pub struct Provider {
    child: Child,
    pub issuer: String,
    /// The signing keys, with their private PEMs (`[{"jwk": …, "pem": …}]`), first the one
    /// that signs.
    pub keys: PathBuf,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_owned()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The accounts of the test provider: a contributor, a reader, one with no role, and one whose
/// role comes from a group the tokens file maps.
pub fn accounts() -> Value {
    json!({
        "alice": {"roles": ["Peering.Contributor"], "preferred_username": "alice@contoso.example"},
        "rita": {"roles": ["Peering.Reader"], "preferred_username": "rita@contoso.example"},
        "nobody": {"roles": [], "preferred_username": "nobody@contoso.example"},
        "gina": {"roles": [], "groups": ["netops"], "email": "gina@contoso.example", "preferred_username": ""},
    })
}

impl Provider {
    /// Starts the provider on `port` with the keys of `dir` (made on first start; with
    /// `rotate`, a new signing key put first).
    pub fn start(dir: &Path, port: u16, rotate: bool) -> Provider {
        let module = root().join(".tools/node_modules/oidc-provider");
        assert!(
            module.join("package.json").exists(),
            "the OpenID Provider is not installed at {}: run `cargo xtask setup`",
            module.display()
        );
        let keys = dir.join("keys.json");
        let config = dir.join(format!("provider-{port}.json"));
        std::fs::write(
            &config,
            json!({
                "module": module,
                "port": port,
                "audience": AUDIENCE,
                "keys": keys,
                "rotate": rotate,
                "accessTokenTTL": 300,
                "clientId": CLIENT_ID,
                "redirectUris": [REDIRECT],
                "accounts": accounts(),
            })
            .to_string(),
        )
        .unwrap();
        let mut child = Command::new("node")
            .arg(root().join("crates/server/tests/oidc/provider.mjs"))
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let issuer = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(i) = line.strip_prefix("ready ") {
                        break i.to_owned();
                    }
                }
                _ => panic!("the OpenID Provider exited before it was ready"),
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Provider {
            child,
            issuer,
            keys,
        }
    }

    /// The signing keys as the file holds them.
    pub fn key_file(&self) -> Vec<Value> {
        serde_json::from_str(&std::fs::read_to_string(&self.keys).unwrap()).unwrap()
    }

    /// An access token for `user`, through the authorization code flow with PKCE: the
    /// authorization request, the provider's login form, the redirect with the code, the
    /// token request with the verifier.
    pub async fn token_for(&self, user: &str) -> String {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw).unwrap();
        let verifier = B64.encode(raw);
        let challenge = {
            use sha2::Digest;
            B64.encode(sha2::Sha256::digest(verifier.as_bytes()))
        };
        let location = |res: &reqwest::Response| -> String {
            let l = res
                .headers()
                .get("location")
                .unwrap_or_else(|| panic!("no redirect: {}", res.status()))
                .to_str()
                .unwrap()
                .to_owned();
            if l.starts_with('/') {
                format!("{}{l}", self.issuer)
            } else {
                l
            }
        };
        let res = http
            .get(format!("{}/auth", self.issuer))
            .query(&[
                ("client_id", CLIENT_ID),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT),
                ("scope", "openid profile email offline_access"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("state", "s-1"),
                ("nonce", "n-1"),
            ])
            .send()
            .await
            .unwrap();
        let interaction = location(&res);
        let res = http
            .post(&interaction)
            .form(&[("prompt", "login"), ("login", user), ("password", "any")])
            .send()
            .await
            .unwrap();
        let mut next = location(&res);
        // Back to the authorization endpoint, which redirects to the client with the code.
        while !next.starts_with(REDIRECT) {
            let res = http.get(&next).send().await.unwrap();
            next = location(&res);
        }
        let url = reqwest::Url::parse(&next).unwrap();
        let code = url
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap_or_else(|| panic!("no code in {next}"))
            .1
            .into_owned();
        let res = http
            .post(format!("{}/token", self.issuer))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("client_id", CLIENT_ID),
                ("code_verifier", &verifier),
            ])
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {body}"))
            .to_owned()
    }
}

/// The decoded header and claims of a JWT (not verified: for the test's own use).
pub fn parts(jwt: &str) -> (Value, Value) {
    let mut it = jwt.split('.');
    let mut next = || serde_json::from_slice(&B64.decode(it.next().unwrap()).unwrap()).unwrap();
    (next(), next())
}

/// `header.claims.` with `signature` appended, each part encoded as a JWT's are.
pub fn compact(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string()),
        B64.encode(signature)
    )
}

//! Signing in with a real OpenID Provider: the npm `oidc-provider` the API tests use
//! (`crates/server/tests/oidc/provider.mjs`), on loopback, with access tokens that live 20 s.
//! The console, served by `peering-server` and from a files-only host under `/console/`, signs
//! in on the provider's own login page (after a silent try that the provider cannot answer
//! without one), shows the person's name, writes as them, renews its token past its expiry
//! without a reload and without losing a half-filled form, and signs out: asked first, with
//! the unsent write's question, removing that person's outbox and drafts, and ending the
//! provider's session.

use super::static_host::{copy_flat, file_server};
use super::{free_port, start_server_with};
use crate::webdriver::{api, click_centered, exec, load, wait_for, wait_for_text};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const AUDIENCE: &str = "api://peering-console";
const CLIENT_ID: &str = "peering-console";
const SUB: &str = "00000000-0000-0000-0000-000000000000";
/// A static contributor token beside OIDC, for the test's own checks.
const ADMIN: &str = "e2e-oidc-admin-token-0123456789";
/// How long the provider's access tokens live: short, so a renewal happens within the test.
const TTL_SECONDS: u64 = 20;

struct Provider(Child);

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The provider on `port`, allowing the console at each of `consoles` (their addresses are
/// the redirect URIs) and the example portal at `portal` (a client of its own); its issuer.
fn provider(
    dir: &Path,
    port: u16,
    consoles: &[String],
    portal: &str,
) -> Result<(Provider, String), String> {
    let module = crate::root().join(".tools/node_modules/oidc-provider");
    if !module.join("package.json").exists() {
        return Err("oidc-provider is not installed in .tools: run cargo xtask setup".into());
    }
    let config = dir.join("oidc-provider.json");
    let accounts = json!({
        "alice": {"roles": ["Peering.Contributor"], "preferred_username": "alice@contoso.example"},
        "rita": {"roles": ["Peering.Reader"], "preferred_username": "rita@contoso.example"},
    });
    std::fs::write(
        &config,
        json!({
            "module": module, "port": port, "audience": AUDIENCE, "keys": dir.join("oidc-keys.json"),
            "accessTokenTTL": TTL_SECONDS, "clientId": CLIENT_ID, "redirectUris": consoles,
            "postLogoutRedirectUris": consoles, "accounts": accounts,
            "clients": [{"clientId": "contoso-portal", "redirectUris": [format!("{portal}/index.html")]}],
        })
        .to_string(),
    )
    .map_err(|e| e.to_string())?;
    let mut child = Command::new("node")
        .arg(crate::root().join("crates/server/tests/oidc/provider.mjs"))
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start node: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let child = Provider(child);
    let mut lines = BufReader::new(stdout).lines();
    while let Some(Ok(line)) = lines.next() {
        if let Some(issuer) = line.strip_prefix("ready ") {
            std::thread::spawn(move || for _ in lines {});
            return Ok((child, issuer.to_owned()));
        }
    }
    Err("the OpenID Provider exited before it was ready".into())
}

/// `dist/` with a `config.json` that signs in with `issuer` (and calls `api_base`), framed by
/// `portal`.
fn app_with_sign_in(
    dist: &Path,
    to: &Path,
    issuer: &str,
    api_base: &str,
    portal: &str,
) -> Result<(), String> {
    copy_flat(dist, to)?;
    let config = json!({
        "apiBase": api_base, "subscriptionId": SUB, "defaultResourceGroup": "default",
        "oidc": {"issuer": issuer, "clientId": CLIENT_ID}, "allowedParentOrigins": [portal],
    });
    std::fs::write(to.join("config.json"), config.to_string()).map_err(|e| e.to_string())
}

async fn text_of(c: &Client, script: &str) -> Result<Value, String> {
    exec(c, script, vec![]).await
}

/// The access token the console holds.
async fn held_token(c: &Client) -> Result<String, String> {
    Ok(
        text_of(c, "return sessionStorage.getItem('peering-console.token');")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// Signs in on the provider's login page as `login`, from a console that offers Sign in.
async fn sign_in_as(c: &Client, login: &str) -> Result<(), String> {
    click_centered(c, "#sign-in").await?;
    let field = wait_for(c, "input[name=login]").await?;
    field.send_keys(login).await.map_err(|e| e.to_string())?;
    c.find(Locator::Css("input[name=password]"))
        .await
        .map_err(|e| e.to_string())?
        .send_keys("any password")
        .await
        .map_err(|e| e.to_string())?;
    c.find(Locator::Css("button[type=submit]"))
        .await
        .map_err(|e| e.to_string())?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn service_path(name: &str, version: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/default/providers/Microsoft.Peering/peeringServices/{name}?api-version={version}")
}

pub async fn sign_in(c: &Client, bin: &Path, dist: &Path, dir: &Path) -> Result<(), String> {
    let (server_port, provider_port, cdn_port, portal_port) =
        (free_port()?, free_port()?, free_port()?, free_port()?);
    let server_url = format!("http://127.0.0.1:{server_port}");
    let cdn = format!("http://127.0.0.1:{cdn_port}");
    let portal = format!("http://127.0.0.1:{portal_port}");
    let consoles = [format!("{server_url}/"), format!("{cdn}/console/")];
    let (_provider, issuer) = provider(dir, provider_port, &consoles, &portal)?;
    let app = dir.join("oidc-dist");
    app_with_sign_in(dist, &app, &issuer, "", &portal)?;
    let tokens = dir.join("oidc-tokens.json");
    std::fs::write(
        &tokens,
        json!([{"token": ADMIN, "name": "e2e admin", "subscriptions": ["*"], "role": "contributor"}])
            .to_string(),
    )
    .map_err(|e| e.to_string())?;
    let server = start_server_with(
        bin,
        &dir.join("oidc.db"),
        &app,
        &format!("127.0.0.1:{server_port}"),
        &[
            "--oidc-issuer",
            &issuer,
            "--oidc-audience",
            AUDIENCE,
            "--tokens",
            tokens.to_str().unwrap_or_default(),
            "--cors-origin",
            &cdn,
            "--frame-ancestor",
            &portal,
        ],
    )?;

    // A new tab without a credential: the silent try comes back without a session, and the
    // console offers Sign in (and the field for a static token).
    load(c, &format!("{server_url}/#/")).await?;
    wait_for(c, "#sign-in").await?;
    wait_for(c, "#token-input").await?;
    sign_in_as(c, "alice").await?;
    wait_for_text(c, "#signed-in-as", "alice@contoso.example").await?;
    let first = held_token(c).await?;

    // She writes as herself: systemData names her, a person.
    let body = json!({"location": "West US 2", "properties": {
        "peeringServiceLocation": "Washington", "peeringServiceProvider": "equinix MAPS",
        "providerPrimaryPeeringLocation": "seattle"}});
    let (status, made, _) = api(
        c,
        &first,
        "PUT",
        &service_path("oidc-alice", "2025-05-01"),
        Some(body),
        None,
    )
    .await?;
    if status != 201
        || made["systemData"]["createdBy"] != "alice@contoso.example"
        || made["systemData"]["createdByType"] != "User"
    {
        return Err(format!(
            "a create with alice's token answered {status}: {made}"
        ));
    }
    // A new tab (nothing in its storage) opened on a deep link: signed in silently through
    // the provider's session, no login page, and the page asked for opens.
    exec(c, "sessionStorage.clear(); return null;", vec![]).await?;
    load(c, &format!("{server_url}/#/c/default/oidc-alice")).await?;
    wait_for_text(c, "dl.overview", "by alice@contoso.example (User)").await?;
    wait_for_text(c, "#signed-in-as", "alice@contoso.example").await?;

    // A form half-filled while the access token expires: it is renewed in place (no reload,
    // nothing lost), and the new token works.
    c.goto(&format!("{server_url}/#/new"))
        .await
        .map_err(|e| e.to_string())?;
    let name = wait_for(c, "#name").await?;
    name.send_keys("half-typed")
        .await
        .map_err(|e| e.to_string())?;
    text_of(c, "window.sameDocument = true; return null;").await?;
    let before = held_token(c).await?;
    let deadline = Instant::now() + Duration::from_secs(TTL_SECONDS * 3);
    let renewed = loop {
        let now = held_token(c).await?;
        if now != before && !now.is_empty() {
            break now;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the access token was not renewed within {} s",
                TTL_SECONDS * 3
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    if text_of(c, "return window.sameDocument === true;").await? != json!(true) {
        return Err("the page reloaded to renew the token".into());
    }
    let typed = text_of(c, "return document.getElementById('name').value;").await?;
    if typed != json!("half-typed") {
        return Err(format!("the half-filled form lost its name: {typed}"));
    }
    let (status, _, _) = api(
        c,
        &renewed,
        "GET",
        &service_path("oidc-alice", "2022-10-01"),
        None,
        None,
    )
    .await?;
    if status != 200 {
        return Err(format!("the renewed token answered {status}"));
    }

    // Sign-out with a write not sent: it asks, and Discard removes alice's outbox and drafts.
    let identity = text_of(
        c,
        "return Object.keys(localStorage).find(k => k.startsWith('peering-console.draft.new-connection@'));",
    )
    .await?;
    let identity = identity
        .as_str()
        .and_then(|k| k.split_once('@'))
        .map(|(_, i)| i.to_owned())
        .ok_or("the half-filled form kept no draft of alice's")?;
    let queued = json!([{"key": 7, "label": "Save the tags of connection 'oidc-alice'",
        "write": {"verb": "patch", "id": format!("/subscriptions/{SUB}/resourceGroups/default/providers/Microsoft.Peering/peeringServices/oidc-alice"),
                  "etag": "\"stale\"", "body": {"tags": {"site": "queued"}}},
        // Due in 2100: it stays unsent while the test looks (and shows a far-off time is safe).
        "attempts": 1, "nextAt": 4102444800000u64, "lastError": "no answer", "status": "waiting"}]);
    exec(
        c,
        "localStorage.setItem(arguments[0], JSON.stringify(arguments[1]));",
        vec![
            format!("peering-console.outbox..{SUB}@{identity}").into(),
            queued,
        ],
    )
    .await?;
    // A page load, so the outbox reads what is stored.
    load(c, &format!("{server_url}/#/")).await?;
    wait_for_text(c, "#outbox-count", "1").await?;
    click_centered(c, "#sign-out").await?;
    wait_for_text(c, "#sign-out-dialog", "1 change has not been sent yet").await?;
    click_centered(c, "#sign-out-discard").await?;
    // The provider asks to end its session too, then sends the browser back.
    let yes = wait_for(c, "button[name=logout][value=yes]").await?;
    yes.click().await.map_err(|e| e.to_string())?;
    wait_for(c, "#sign-in").await?;
    let left = text_of(
        c,
        &format!("return Object.keys(localStorage).filter(k => k.endsWith('@{identity}'));"),
    )
    .await?;
    if left != json!([]) {
        return Err(format!(
            "alice's data is still in the browser after sign-out: {left}"
        ));
    }
    if !held_token(c).await?.is_empty() {
        return Err("a token is still held after sign-out".into());
    }
    // Signed out of the provider too: Sign in shows its login page again (no silent entry).
    click_centered(c, "#sign-in").await?;
    wait_for(c, "input[name=login]").await?;

    // From a files-only host under /console/, a reader signs in: her name, the list.
    let root = dir.join("oidc-cdn");
    let _ = std::fs::remove_dir_all(&root);
    app_with_sign_in(dist, &root.join("console"), &issuer, &server_url, &portal)?;
    let _files = file_server(&root, cdn_port)?;
    load(c, &format!("{cdn}/console/#/")).await?;
    wait_for(c, "#sign-in").await?;
    sign_in_as(c, "rita").await?;
    wait_for_text(c, "#signed-in-as", "rita@contoso.example").await?;
    wait_for_text(c, "table.grid tbody", "oidc-alice").await?;
    let rita = held_token(c).await?;
    let (status, _, _) = api(
        c,
        &rita,
        "DELETE",
        &format!("{server_url}{}", service_path("oidc-alice", "2022-10-01")),
        None,
        None,
    )
    .await?;
    if status != 403 {
        return Err(format!("a reader's delete answered {status}"));
    }

    // The example portal signs in itself (the provider still knows rita: no login page) and
    // hands the console an access token it got for the console's audience; then a fresh one
    // before that expires, taken in place (no reload of the frame).
    let portal_dir = dir.join("oidc-portal");
    let _ = std::fs::remove_dir_all(&portal_dir);
    copy_flat(&crate::root().join("examples/portal"), &portal_dir)?;
    std::fs::write(
        portal_dir.join("console.json"),
        json!({"consoleUrl": format!("{server_url}/"),
               "oidc": {"issuer": issuer, "clientId": "contoso-portal"}})
        .to_string(),
    )
    .map_err(|e| e.to_string())?;
    let _portal_files = file_server(&portal_dir, portal_port)?;
    load(c, &format!("{portal}/index.html")).await?;
    let frame = wait_for(c, "iframe#console[src]").await?;
    frame.enter_frame().await.map_err(|e| e.to_string())?;
    wait_for_text(c, "table.grid tbody", "oidc-alice").await?;
    let handed = held_token(c).await?;
    let claims = handed
        .split('.')
        .nth(1)
        .and_then(|p| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .unwrap_or_default();
    if claims["aud"] != AUDIENCE || claims["sub"] != "rita" {
        return Err(format!("the portal handed over {claims}"));
    }
    text_of(c, "window.sameFrame = true; return null;").await?;
    let deadline = Instant::now() + Duration::from_secs(TTL_SECONDS * 3);
    while held_token(c).await? == handed {
        if Instant::now() > deadline {
            return Err("the portal never handed over a fresh token".into());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    if text_of(c, "return window.sameFrame === true;").await? != json!(true) {
        return Err("the console's frame reloaded for the portal's fresh token".into());
    }
    c.enter_parent_frame().await.map_err(|e| e.to_string())?;
    drop(server);
    eprintln!("e2e: signed in with the OpenID Provider, renewed past expiry, signed out; the portal handed its token over");
    Ok(())
}

//! End to end: the real server (fresh database, random port) serving the built app, driven in
//! headless Chromium through WebDriver (chromedriver + fantoccini): create a connection through
//! the form, see it in the list, after a reload, and after a server restart.

use fantoccini::{Client, ClientBuilder, Locator};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    url: String,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server on a free port and reads the URL and token it prints.
fn start_server(bin: &Path, db: &Path, dist: &Path, listen: &str) -> Result<Server, String> {
    let mut child = Command::new(bin)
        .args(["--listen", listen, "--db"])
        .arg(db)
        .arg("--static")
        .arg(dist)
        .stdout(Stdio::piped())
        // Only warnings and errors: a line per request would bury the test's own output.
        .env("RUST_LOG", "warn")
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    while let Some(Ok(line)) = lines.next() {
        if let Some(rest) = line.strip_prefix("open ") {
            let (url, token) = rest
                .split_once("/#token=")
                .ok_or_else(|| format!("unexpected line: {line}"))?;
            // Keep draining stdout so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines.by_ref() {});
            return Ok(Server {
                child,
                url: url.to_owned(),
                token: token.to_owned(),
            });
        }
    }
    Err("the server exited before printing its URL".into())
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

pub fn run(server_bin: &Path, dist: &Path) -> Result<(), String> {
    if !dist.join("index.html").exists() {
        return Err(format!(
            "{} has no index.html; run trunk build first",
            dist.display()
        ));
    }
    let dir = crate::root().join("target/e2e");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db = dir.join("e2e.db");
    let port = free_port()?;
    let listen = format!("127.0.0.1:{port}");
    let driver_port = free_port()?;
    let _driver = Driver(
        Command::new(crate::setup::CHROMEDRIVER)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start chromedriver: {e}"))?,
    );
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let client = connect(driver_port).await?;
        let result = scenario(&client, server_bin, &db, dist, &listen, &dir).await;
        if result.is_err() {
            if let Ok(png) = client.screenshot().await {
                let path = dir.join("failure.png");
                let _ = std::fs::write(&path, png);
                eprintln!("e2e: screenshot of the failure: {}", path.display());
            }
        }
        let _ = client.close().await;
        result
    })?;
    eprintln!("e2e: passed");
    Ok(())
}

async fn connect(port: u16) -> Result<Client, String> {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": crate::setup::CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--window-size=1280,900"]
        }),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match ClientBuilder::rustls()
            .map_err(|e| e.to_string())?
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return Ok(c),
            Err(e) if Instant::now() > deadline => {
                return Err(format!("cannot reach chromedriver: {e}"))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Waits for an element; the app renders asynchronously.
async fn wait_for(c: &Client, css: &str) -> Result<fantoccini::elements::Element, String> {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .map_err(|e| format!("waiting for {css}: {e}"))
}

/// Clicks `css` after scrolling it to the middle of the window (at the top, the sticky top
/// bar would take the click).
async fn click_centered(c: &Client, css: &str) -> Result<(), String> {
    let el = wait_for(c, css).await?;
    c.execute(
        "arguments[0].scrollIntoView({block: 'center'});",
        vec![serde_json::to_value(&el).map_err(|e| e.to_string())?],
    )
    .await
    .map_err(|e| format!("scrolling to {css}: {e}"))?;
    el.click().await.map_err(|e| format!("clicking {css}: {e}"))
}

async fn wait_for_text(c: &Client, css: &str, text: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = match c.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if found.contains(text) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "'{css}' never showed '{text}' (it shows '{found}')"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn select(c: &Client, css: &str, value: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let el = wait_for(c, css).await?;
        // Options appear as the cascade resolves; retry until this one is there.
        match el.select_by_value(value).await {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() > deadline => {
                return Err(format!("selecting '{value}' in {css}: {e}"))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

async fn scenario(
    c: &Client,
    bin: &Path,
    db: &Path,
    dist: &Path,
    listen: &str,
    _dir: &PathBuf,
) -> Result<(), String> {
    let server = start_server(bin, db, dist, listen)?;
    let token = server.token.clone();
    let nav = |u: String| async move { c.goto(&u).await.map_err(|e| format!("goto {u}: {e}")) };

    nav(format!("{}/#token={}", server.url, token)).await?;
    wait_for_text(c, ".state.empty", "No connections yet").await?;
    wait_for(c, ".state.empty a.button")
        .await?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_for(c, "form.form").await?;

    // Bad input first: the model's message appears next to the field as you type.
    let name = wait_for(c, "#name").await?;
    name.send_keys("bad name")
        .await
        .map_err(|e| e.to_string())?;
    wait_for_text(c, "#name-msg", "contains a space").await?;
    name.clear().await.map_err(|e| e.to_string())?;
    name.send_keys("e2e-seattle")
        .await
        .map_err(|e| e.to_string())?;

    select(c, "#country", "United States").await?;
    select(c, "#location", "Washington").await?;
    select(c, "#provider", "equinix MAPS").await?;
    select(c, "#primary", "seattle").await?;
    select(c, "#backup", "san Jose").await?;
    wait_for(c, "#create")
        .await?
        .click()
        .await
        .map_err(|e| e.to_string())?;

    wait_for_text(c, "table.grid tbody", "e2e-seattle").await?;
    wait_for_text(c, "table.grid tbody", "Washington").await?;

    c.refresh().await.map_err(|e| e.to_string())?;
    wait_for_text(c, "table.grid tbody", "e2e-seattle").await?;

    // The same name in another casing is refused by the server (412 on If-None-Match) and the
    // message appears at the name field; nothing is replaced.
    wait_for(c, ".page-head a.button.primary")
        .await?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    let name = wait_for(c, "#name").await?;
    name.send_keys("E2E-Seattle")
        .await
        .map_err(|e| e.to_string())?;
    select(c, "#country", "United States").await?;
    select(c, "#location", "Texas").await?;
    select(c, "#provider", "equinix MAPS").await?;
    select(c, "#primary", "dallas").await?;
    wait_for(c, "#create")
        .await?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_for_text(c, "#name-msg", "already exists in resource group 'default'").await?;
    nav(format!("{}/", server.url)).await?;
    wait_for_text(c, "table.grid tbody", "Washington").await?;

    // Open it and register a prefix by pasting it; the preview checks it first.
    wait_for(c, "table.grid tbody td.name a")
        .await?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    let import = wait_for(c, "#import").await?;
    import
        .send_keys("web,8.8.8.0/24")
        .await
        .map_err(|e| e.to_string())?;
    wait_for_text(c, "#import-preview tbody", "OK").await?;
    wait_for(c, "#add-prefixes")
        .await?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_for_text(c, "#prefixes tbody", "8.8.8.0/24").await?;
    wait_for_text(c, "#prefixes tbody", "Pending").await?;

    // And a connection monitor test, through its form.
    for (css, value) in [
        ("#mt-name", "https-probe"),
        ("#mt-agent", "agent-1"),
        ("#mt-destination", "1.1.1.1"),
    ] {
        wait_for(c, css)
            .await?
            .send_keys(value)
            .await
            .map_err(|e| e.to_string())?;
    }
    wait_for(c, "#add-test")
        .await?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_for_text(c, "#monitor-tests tbody", "https-probe").await?;

    // A tag, saved with PATCH and If-Match.
    click_centered(c, "#add-tag").await?;
    wait_for(c, "form.tags input.tag-key")
        .await?
        .send_keys("team")
        .await
        .map_err(|e| e.to_string())?;
    wait_for(c, "form.tags input.tag-value")
        .await?
        .send_keys("network")
        .await
        .map_err(|e| e.to_string())?;
    click_centered(c, "#save-tags").await?;
    wait_for_text(c, "form.tags", "Tags saved.").await?;

    // Restart the server on the same database: the connection is still there.
    drop(server);
    let server = start_server(bin, db, dist, listen)?;
    nav(format!("{}/#token={}", server.url, server.token)).await?;
    wait_for_text(c, "table.grid tbody", "e2e-seattle").await?;
    nav(format!("{}/c/default/e2e-seattle", server.url)).await?;
    wait_for_text(c, "#prefixes tbody", "8.8.8.0/24").await?;
    let value = wait_for(c, "form.tags input.tag-value")
        .await?
        .prop("value")
        .await
        .map_err(|e| e.to_string())?;
    if value.as_deref() != Some("network") {
        return Err(format!("the saved tag came back as {value:?}"));
    }

    // Change the prefix's value: one action that deletes and re-creates it.
    click_centered(c, "#prefixes button.change").await?;
    let input = wait_for(c, "#prefixes input.new-prefix").await?;
    input.clear().await.map_err(|e| e.to_string())?;
    input
        .send_keys("8.8.9.0/24")
        .await
        .map_err(|e| e.to_string())?;
    click_centered(c, "#prefixes button.replace").await?;
    wait_for_text(c, "#prefixes tbody td.mono", "8.8.9.0/24").await?;
    if c.find(Locator::Css(".change-prefix .msg.error"))
        .await
        .is_ok()
    {
        return Err("changing the prefix reported an error".into());
    }

    // Delete the prefix through its confirmation (the app sends If-Match with the ETag of the
    // version shown), then sign out: the token is gone from the tab.
    for css in ["#prefixes button.delete", "#prefixes button.confirm"] {
        wait_for(c, css)
            .await?
            .click()
            .await
            .map_err(|e| format!("clicking {css}: {e}"))?;
    }
    wait_for_text(c, ".state.empty.small", "No prefixes yet").await?;
    wait_for(c, "#sign-out")
        .await?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_for_text(c, "#sign-in-state", "You are signed out").await?;
    nav(format!("{}/", server.url)).await?;
    wait_for_text(c, "#sign-in-state", "No access token").await?;
    Ok(())
}

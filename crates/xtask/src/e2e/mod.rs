//! End to end: the real server (fresh database, random port) serving the built app, driven in
//! headless Chromium through WebDriver (chromedriver + fantoccini): create a connection through
//! the form, see it in the list, after a reload, and after a server restart.

use crate::webdriver::connect;
mod a11y;
mod embedding;
mod scenario;
mod signin;
mod static_host;
mod telemetry;

use scenario::scenario;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
    pub(crate) token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server on a free port and reads the URL and token it prints.
pub(crate) fn start_server(
    bin: &Path,
    db: &Path,
    dist: &Path,
    listen: &str,
) -> Result<Server, String> {
    start_server_with(bin, db, dist, listen, &[])
}

/// Where every server of the run appends the CSP violation reports browsers send it.
fn csp_log() -> std::path::PathBuf {
    crate::root().join("target/e2e/csp-reports.jsonl")
}

/// The reports logged so far, one JSON object per line.
fn csp_reports() -> Vec<String> {
    std::fs::read_to_string(csp_log())
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Proof that the policy is enforced and its violations would have been seen: an inline
/// script and a `style` attribute put into the page are both refused and reported.
async fn violations_are_reported(c: &fantoccini::Client, server: &Server) -> Result<(), String> {
    c.goto(&format!("{}/#token={}", server.url, server.token))
        .await
        .map_err(|e| e.to_string())?;
    crate::webdriver::wait_for(c, "table.grid, .state.empty").await?;
    let ran = c
        .execute(
            "const s = document.createElement('script'); s.textContent = 'window.__inline = 1;';
             document.body.appendChild(s);
             document.body.setAttribute('style', 'outline: 1px solid red');
             return window.__inline === 1;",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    if ran.as_bool() != Some(false) {
        return Err("an inline script ran under the app's policy".into());
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let all = csp_reports().join("\n");
        if all.contains("script-src") && all.contains("style-src") {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("the violations were not both reported: {all}"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Opens `server`'s app with its token (an empty list) and creates `names` through the API:
/// connections in Washington with equinix MAPS at seattle, with `tags`.
pub(crate) async fn open_with_connections(
    c: &fantoccini::Client,
    server: &Server,
    names: &[&str],
    tags: serde_json::Value,
) -> Result<(), String> {
    c.goto(&format!("{}/#token={}", server.url, server.token))
        .await
        .map_err(|e| e.to_string())?;
    crate::webdriver::wait_for_text(c, ".state.empty", "No connections yet").await?;
    for name in names {
        let body = serde_json::json!({"location": "West US 2", "tags": tags, "properties": {
            "peeringServiceLocation": "Washington", "peeringServiceProvider": "equinix MAPS",
            "providerPrimaryPeeringLocation": "seattle"}});
        let path = scenario::connection_path(name);
        let (status, _, _) =
            crate::webdriver::api(c, &server.token, "PUT", &path, Some(body), None).await?;
        if status != 201 {
            return Err(format!("creating {name} answered {status}"));
        }
    }
    Ok(())
}

/// [`start_server`] with more arguments.
pub(crate) fn start_server_with(
    bin: &Path,
    db: &Path,
    dist: &Path,
    listen: &str,
    extra: &[&str],
) -> Result<Server, String> {
    let mut child = Command::new(bin)
        .args(["--listen", listen, "--db"])
        .arg(db)
        .arg("--static")
        .arg(dist)
        .arg("--csp-report-log")
        .arg(csp_log())
        .args(extra)
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
            // stdout is a pipe, not a terminal: a generated token is not printed, the line
            // names the file that holds it.
            let token = match token
                .strip_prefix("<the token in ")
                .and_then(|f| f.strip_suffix('>'))
            {
                Some(file) => std::fs::read_to_string(file)
                    .map_err(|e| format!("cannot read the token file {file}: {e}"))?
                    .trim()
                    .to_owned(),
                None => token.to_owned(),
            };
            // Keep draining stdout so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines.by_ref() {});
            return Ok(Server {
                child,
                url: url.to_owned(),
                token,
            });
        }
    }
    Err("the server exited before printing its URL".into())
}

pub(crate) struct Driver(Child);

impl Driver {
    /// chromedriver on a free port; the port.
    pub(crate) fn start() -> Result<(Driver, u16), String> {
        let port = free_port()?;
        let child = Command::new(crate::setup::CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .env("TMPDIR", crate::chromium_tmp()?)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start chromedriver: {e}"))?;
        Ok((Driver(child), port))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        crate::remove_chromium_tmp();
    }
}

pub(crate) fn free_port() -> Result<u16, String> {
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
    let (_driver, driver_port) = Driver::start()?;
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let client = connect(driver_port).await?;
        // PEERING_E2E_ONLY=<part> runs one part (scenario, static_host, embedding, a11y,
        // telemetry, signin), for working on it; CI runs them all.
        let only = std::env::var("PEERING_E2E_ONLY").ok();
        let wanted = |part: &str| only.as_deref().is_none_or(|o| o == part);
        let mut result = Ok(());
        if wanted("scenario") {
            result = scenario(&client, server_bin, &db, dist, &listen, &dir).await;
        }
        if result.is_ok() && wanted("static_host") {
            result = static_host::static_host(&client, server_bin, dist, &dir).await;
        }
        if result.is_ok() && wanted("embedding") {
            result = embedding::embedding(&client, server_bin, dist, &dir).await;
        }
        if result.is_ok() && wanted("a11y") {
            result = a11y::accessibility(&client, server_bin, dist, &dir).await;
        }
        if result.is_ok() && wanted("telemetry") {
            result = telemetry::demo(&client, server_bin, dist, &dir).await;
        }
        if result.is_ok() && wanted("signin") {
            result = signin::sign_in(&client, server_bin, dist, &dir).await;
        }
        // The whole run under the strict policy produced no violation report; then one made
        // on purpose is reported, so the silence means something.
        if result.is_ok() {
            // Reports are sent by the browser in its own time: wait until none has come for
            // two seconds (at most fifteen) before reading them.
            let settle = std::time::Instant::now() + std::time::Duration::from_secs(15);
            let mut seen = csp_reports().len();
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                let now = csp_reports().len();
                if now == seen || std::time::Instant::now() > settle {
                    break;
                }
                seen = now;
            }
            let reports = csp_reports();
            result = if reports.is_empty() {
                eprintln!("e2e: no CSP violation reported in the whole run");
                let server = start_server(server_bin, &dir.join("csp.db"), dist, &listen)?;
                violations_are_reported(&client, &server).await
            } else {
                Err(format!("CSP violations reported:\n{}", reports.join("\n")))
            };
        }
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

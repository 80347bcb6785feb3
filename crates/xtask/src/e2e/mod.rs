//! End to end: the real server (fresh database, random port) serving the built app, driven in
//! headless Chromium through WebDriver (chromedriver + fantoccini): create a connection through
//! the form, see it in the list, after a reload, and after a server restart.

use crate::webdriver::connect;
mod scenario;

use scenario::scenario;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

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

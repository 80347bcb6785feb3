//! The server as a process, as operators run it: durability under `kill -9`, a database from a
//! newer server refused, SIGTERM and Ctrl-C draining requests in flight, and the log.

use crate::helpers::{connection_body, API, CONTRIBUTOR, SUB};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_peering-server");

struct Server {
    child: Child,
    base: String,
    /// The token of the printed link (`#token=…`): with stdout not a terminal, the link names
    /// the file that holds it, and this is what that file holds.
    link_token: String,
    /// The printed link, as it was printed.
    link: String,
    log: PathBuf,
}

fn tokens_file(dir: &Path) -> PathBuf {
    let path = dir.join("tokens.json");
    std::fs::write(
        &path,
        format!(r#"[{{"token": "{CONTRIBUTOR}", "name": "ci pipeline", "subscriptions": ["*"], "role": "contributor"}}]"#),
    )
    .unwrap();
    path
}

impl Server {
    /// Starts `peering-server` on a free port with the database `db.sqlite` of `dir`; its log
    /// goes to `dir/log-N.txt`.
    fn start(dir: &Path, extra: &[&str]) -> Server {
        let tokens = tokens_file(dir);
        let mut args = vec!["--tokens", tokens.to_str().unwrap()];
        args.extend_from_slice(extra);
        Server::start_with(dir, &args)
    }

    /// Starts the server with exactly `args` besides the address and the database.
    fn start_with(dir: &Path, args: &[&str]) -> Server {
        let n = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
        let log = dir.join(format!("log-{n}.txt"));
        let mut child = Command::new(BIN)
            .args(["--listen", "127.0.0.1:0", "--db"])
            .arg(dir.join("db.sqlite"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("peering-server starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut next = || {
            lines
                .next()
                .unwrap_or_else(|| {
                    panic!(
                        "the server exited: {}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    )
                })
                .unwrap()
        };
        let base = loop {
            if let Some(addr) = next().strip_prefix("listening on ") {
                break addr.to_owned();
            }
        };
        let link = next();
        let shown = link.rsplit_once("#token=").expect(&link).1;
        let link_token = match shown
            .strip_prefix("<the token in ")
            .and_then(|f| f.strip_suffix('>'))
        {
            Some(file) => std::fs::read_to_string(file)
                .map(|t| t.trim().to_owned())
                .unwrap_or_default(),
            None => shown.to_owned(),
        };
        // Keep reading stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            base,
            link_token,
            link,
            log,
        }
    }

    fn url(&self, name: &str) -> String {
        format!("{}/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Peering/peeringServices/{name}?{API}", self.base)
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    }

    /// Waits for the process to end (at most 30 s) and returns its exit code.
    fn wait(mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the server did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The status of a GET of `url` with `token`.
async fn status_of(url: String, token: impl std::fmt::Display) -> u16 {
    reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kill -9` while several clients write: every write the server acknowledged (201) is there
/// after a restart. (With `synchronous=FULL` it would survive power loss too; a test cannot cut
/// the power, so the note argues that part.)
#[tokio::test]
async fn a_kill_9_under_concurrent_writes_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let client = reqwest::Client::new();
    let stop_at = Instant::now() + Duration::from_millis(1500);
    let mut writers = Vec::new();
    for w in 0..4 {
        let (client, base) = (client.clone(), server.base.clone());
        writers.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0.. {
                if Instant::now() > stop_at {
                    break;
                }
                let name = format!("w{w}-{i:05}");
                let url = format!("{base}/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Peering/peeringServices/{name}?{API}");
                match client.put(&url).bearer_auth(CONTRIBUTOR).json(&connection_body()).send().await {
                    Ok(r) if r.status().as_u16() == 201 => acknowledged.push(name),
                    // Killed mid-request: not acknowledged, may or may not be stored.
                    _ => break,
                }
            }
            acknowledged
        }));
    }
    // Kill while the writers are still writing.
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.signal("-KILL");
    let mut acknowledged = Vec::new();
    for w in writers {
        acknowledged.extend(w.await.unwrap());
    }
    drop(server);
    assert!(
        acknowledged.len() >= 20,
        "only {} writes before the kill",
        acknowledged.len()
    );

    let server = Server::start(dir.path(), &[]);
    for name in &acknowledged {
        let res = client
            .get(server.url(name))
            .bearer_auth(CONTRIBUTOR)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status().as_u16(),
            200,
            "{name} was acknowledged, then lost"
        );
    }
}

#[test]
fn a_database_from_a_newer_server_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    drop(peering_server::open_sqlite(&path, 1).unwrap());
    let newer = peering_server::store::sqlite::SCHEMA_VERSION + 7;
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", newer)
        .unwrap();
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--db"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "the database has schema version {newer}, but this peering-server knows versions up to {}: it was written by a newer peering-server",
            newer - 7
        )),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening on"));
    let still = peering_server::store::sqlite::inspect(&path).unwrap();
    assert_eq!(still.user_version, newer, "nothing was changed");
}

/// A PostgreSQL URL is not taken for a SQLite file name: without shared tokens it is refused
/// (a generated token would open one instance only); with them, a database that cannot be
/// reached is said so, and the password (given in `PEERING_DB`) is never printed, in an error
/// or in `--help`. Nothing is created either way.
#[test]
fn a_postgres_url_needs_shared_tokens_and_never_shows_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let url = "postgres://peering:s3cret@127.0.0.1:1/peering";
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .current_dir(dir.path())
            .env("PEERING_DB", url)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!text.contains("s3cret"), "{text}");
        (out.status.code(), text)
    };
    let (code, text) = run(&[]);
    assert!(code == Some(1) && text.contains("--tokens"), "{text}");
    std::fs::write(
        dir.path().join("tokens.json"),
        r#"[{"token": "contributor-token-0123456789", "subscriptions": ["*"], "role": "contributor"}]"#,
    )
    .unwrap();
    let (code, text) = run(&["--tokens", "tokens.json"]);
    assert!(
        code == Some(1) && text.contains("cannot connect to PostgreSQL"),
        "{text}"
    );
    let (code, text) = run(&["--help"]);
    assert!(code == Some(0) && text.contains("PEERING_DB"), "{text}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing created beside the tokens"
    );
}

/// SIGTERM (and Ctrl-C, SIGINT) stops accepting, lets the request in flight finish, and
/// exits 0.
#[tokio::test]
async fn sigterm_and_ctrl_c_drain_requests_in_flight_and_exit_0() {
    for signal in ["-TERM", "-INT"] {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(dir.path(), &[]);
        let addr = server.base.trim_start_matches("http://").to_owned();
        let body = connection_body().to_string();
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "PUT /subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Peering/peeringServices/inflight?{API} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {CONTRIBUTOR}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(&body.as_bytes()[..10]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        server.signal(signal);
        tokio::time::sleep(Duration::from_millis(300)).await;
        // The listener is closed: no new connection is accepted.
        assert!(
            tokio::net::TcpStream::connect(&addr).await.is_err(),
            "{signal}: still accepting"
        );
        s.write_all(&body.as_bytes()[10..]).await.unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 201"), "{signal}: {answer}");
        let log = server.log();
        assert_eq!(server.wait(), Some(0), "{signal}: {log}");
    }
}

/// `--log-format json`: one JSON object per line; a span per request with its id, method,
/// route template, status and latency; security events (a failed authentication, a write with
/// the caller's fingerprint); never a token.
#[tokio::test]
async fn the_json_log_has_a_span_per_request_and_security_events_without_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--log-format", "json"]);
    let client = reqwest::Client::new();
    let bad = "wrong-token-value-0123456789";
    let res = client
        .get(server.url("c"))
        .bearer_auth(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let res = client
        .put(server.url("c"))
        .bearer_auth(CONTRIBUTOR)
        .json(&connection_body())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let id = res.headers()["x-ms-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    server.signal("-TERM");
    // Read once the process has exited: a request's log lines may be written after its
    // answer reached the client, and the drain flushes them before exit 0.
    let path = server.log.clone();
    assert_eq!(server.wait(), Some(0));
    let log = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        !log.contains(bad) && !log.contains(CONTRIBUTOR),
        "a token in the log:\n{log}"
    );
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let failed = lines
        .iter()
        .find(|l| l["security"] == "authentication-failed")
        .unwrap_or_else(|| panic!("no failed authentication in:\n{log}"));
    assert_eq!(failed["span"]["status"], 401, "{failed}");
    let write = lines
        .iter()
        .find(|l| l["security"] == "write")
        .unwrap_or_else(|| panic!("no write in:\n{log}"));
    let span = &write["span"];
    assert_eq!(span["request_id"], id.as_str());
    assert_eq!(span["method"], "PUT");
    assert_eq!(span["status"], 201);
    assert!(span["latency_ms"].as_f64().is_some(), "{span}");
    assert_eq!(
        span["route"],
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Peering/peeringServices/{peeringServiceName}"
    );
    // Who wrote (the grant's name, never the token) and what.
    assert_eq!(write["caller"], "ci pipeline", "{write}");
    assert_eq!(write["caller_type"], "Application", "{write}");
    assert_eq!(
        write["resource"],
        format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Peering/peeringServices/c"
        ),
        "{write}"
    );
}

/// SIGHUP reads the tokens file again: a token removed from it stops working and a new one
/// starts, without a restart; a file that does not parse changes nothing.
#[tokio::test]
async fn the_tokens_file_is_read_again_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let (old, new) = ("old-token-0123456789abcdef", "new-token-0123456789abcdef");
    let grant = |token: &str| {
        format!(r#"[{{"token": "{token}", "subscriptions": ["*"], "role": "reader"}}]"#)
    };
    std::fs::write(&file, grant(old)).unwrap();
    let server = Server::start_with(dir.path(), &["--tokens", file.to_str().unwrap()]);
    let status = |token: &'static str| status_of(server.url("c"), token);
    assert_eq!((status(old).await, status(new).await), (404, 401));
    std::fs::write(&file, grant(new)).unwrap();
    server.signal("-HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    while status(old).await != 401 {
        assert!(
            Instant::now() < deadline,
            "the old token still works:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status(new).await, 404, "the new token works at once");
    std::fs::write(&file, "[{\"token\": \"short\"").unwrap();
    server.signal("-HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.log().contains("the tokens in force are unchanged") {
        assert!(
            Instant::now() < deadline,
            "no word of the bad file:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status(new).await, 404, "a bad file changes nothing");
}

/// The identity provider's two settings go together, and grants to people need them.
#[test]
fn oidc_settings_are_checked_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .current_dir(dir.path())
            .env_remove("PEERING_OIDC_ISSUER")
            .env_remove("PEERING_OIDC_AUDIENCE")
            .args(["--listen", "127.0.0.1:0", "--db", "x.db"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, text) = run(&["--oidc-issuer", "https://login.example.com"]);
    assert!(
        code == Some(2) && text.contains("--oidc-audience"),
        "{text}"
    );
    let (code, text) = run(&["--oidc-audience", "api://x"]);
    assert!(code == Some(2) && text.contains("--oidc-issuer"), "{text}");
    let (code, text) = run(&[
        "--oidc-issuer",
        "http://login.example.com",
        "--oidc-audience",
        "api://x",
    ]);
    assert!(
        code == Some(1) && text.contains("is not an https:// URL"),
        "{text}"
    );
    std::fs::write(
        dir.path().join("people.json"),
        r#"[{"group": "netops", "subscriptions": ["*"], "role": "reader"}]"#,
    )
    .unwrap();
    let (code, text) = run(&["--tokens", "people.json"]);
    assert!(
        code == Some(1) && text.contains("needs --oidc-issuer"),
        "{text}"
    );
    let (code, text) = run(&["--trusted-proxy", "10.0.0.0/33"]);
    assert!(code == Some(2) && text.contains("CIDR"), "{text}");
}

/// Without `--tokens`, the generated token is kept beside the database with mode 0600 and
/// reused after a restart, so an open tab keeps working; `--new-token` replaces it, and the old
/// one is then refused. A token file others can read stops the server instead of being used.
#[tokio::test]
async fn the_generated_token_survives_a_restart_until_a_new_one_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("db.sqlite.token");
    let status = |base: &str, token: &str| {
        let url =
            format!("{base}/subscriptions/{SUB}/providers/Microsoft.Peering/peeringServices?{API}");
        status_of(url, token.to_owned())
    };
    let first = Server::start_with(dir.path(), &[]);
    let token = first.link_token.clone();
    assert_eq!(status(&first.base, &token).await, 200);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the token file's mode");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), token);
    // Standard output is a pipe here, as under a service manager: the line names the file,
    // never the token.
    assert!(!first.link.contains(&token), "{}", first.link);
    assert!(
        first.link.contains(file.to_str().unwrap()),
        "{}",
        first.link
    );
    drop(first);

    let again = Server::start_with(dir.path(), &[]);
    assert_eq!(
        again.link_token, token,
        "the restarted server prints the same token"
    );
    assert_eq!(status(&again.base, &token).await, 200);
    drop(again);

    let renewed = Server::start_with(dir.path(), &["--new-token"]);
    assert_ne!(renewed.link_token, token);
    assert_eq!(
        status(&renewed.base, &token).await,
        401,
        "the old token is refused"
    );
    assert_eq!(status(&renewed.base, &renewed.link_token).await, 200);
    drop(renewed);

    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--db"])
        .arg(dir.path().join("db.sqlite"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("can be read by other users"), "{err}");
    assert!(!err.contains(&token), "the error shows the token: {err}");
}

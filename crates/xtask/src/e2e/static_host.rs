//! The app from a plain static file server under a sub-path, the API on another origin:
//! `dist/` copied as files to `/console/` of `python3 -m http.server` (files only: no rewrite,
//! no fallback, no headers of ours), `config.json`'s `apiBase` naming `peering-server`, which
//! lets that origin in with `--cors-origin`. List → detail → the detail's deep link and a
//! filtered list opened in new tabs; the file server never answered anything but a file.

use super::{free_port, open_with_connections, start_server_with};
use crate::webdriver::{click_centered, exec, wait_for_text};
use fantoccini::Client;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

pub(super) struct FileServer {
    child: Child,
    pub(super) log: Arc<Mutex<Vec<String>>>,
}

impl Drop for FileServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `python3 -m http.server` on `port` serving `root`; its request log is collected.
pub(super) fn file_server(root: &Path, port: u16) -> Result<FileServer, String> {
    let mut child = Command::new("python3")
        .args([
            "-u",
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .arg("--directory")
        .arg(root)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start python3 -m http.server: {e}"))?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let log = Arc::new(Mutex::new(Vec::new()));
    let lines = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            lines.lock().unwrap().push(line);
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if std::time::Instant::now() > deadline {
            return Err("the static file server did not start".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Ok(FileServer { child, log })
}

/// Copies the files of `from` (not its subdirectories: `dist/` is flat) into `to`.
pub(super) fn copy_flat(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for e in std::fs::read_dir(from).map_err(|e| e.to_string())? {
        let e = e.map_err(|e| e.to_string())?;
        if e.file_type().map_err(|e| e.to_string())?.is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

pub async fn static_host(c: &Client, bin: &Path, dist: &Path, dir: &Path) -> Result<(), String> {
    let cdn_port = free_port()?;
    let cdn = format!("http://127.0.0.1:{cdn_port}");
    let listen = format!("127.0.0.1:{}", free_port()?);
    let server = start_server_with(
        bin,
        &dir.join("static-host.db"),
        dist,
        &listen,
        &["--cors-origin", &cdn],
    )?;
    // One connection, made on the server's own origin.
    open_with_connections(c, &server, &["cdn-1"], json!({})).await?;

    // dist/ as files under /console/, its config.json pointing at the API.
    let root = dir.join("cdn");
    let _ = std::fs::remove_dir_all(&root);
    copy_flat(dist, &root.join("console"))?;
    let config =
        json!({"apiBase": server.url, "subscriptionId": "00000000-0000-0000-0000-000000000000"});
    std::fs::write(root.join("console/config.json"), config.to_string())
        .map_err(|e| e.to_string())?;
    let files = file_server(&root, cdn_port)?;

    let goto = |u: String| async move { crate::webdriver::load(c, &u).await };
    // A module that cannot be fetched (offline, or a deploy that replaced the files) is said
    // so, with a Retry that fetches it again once it is there: the connection page's module is
    // missing from the host until the test puts it back.
    // This build's (dist/ also keeps the build before it, under that build's hash).
    let index =
        std::fs::read_to_string(root.join("console/index.html")).map_err(|e| e.to_string())?;
    let hash = index
        .split("data-wasm=\"./peering-console-")
        .nth(1)
        .and_then(|r| r.split("_bg.wasm").next())
        .ok_or("index.html loads no main module")?;
    let page_module = root.join(format!("console/split_connection_page-{hash}_bg.wasm"));
    if !page_module.exists() {
        return Err(format!("dist/ has no {}", page_module.display()));
    }
    let hidden = page_module.with_extension("hidden");
    std::fs::rename(&page_module, &hidden).map_err(|e| e.to_string())?;
    goto(format!("{cdn}/console/#token={}", server.token)).await?;
    wait_for_text(c, "table.grid tbody", "cdn-1").await?;
    // The list is drawn from the main module alone; the other modules are fetched (from
    // beside the app, under the sub-path) once its rows are on screen: every part's.
    let parts = [
        "split_new_connection_page-",
        "split_connection_import-",
        "split_bulk_bar-",
        "split_outbox_list-",
        "split_map_panel-",
    ];
    let mut ahead = Vec::new();
    for _ in 0..100 {
        ahead = wasm_fetched(c).await?;
        if parts.iter().all(|p| ahead.iter().any(|m| m.starts_with(p))) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if !parts.iter().all(|p| ahead.iter().any(|m| m.starts_with(p))) {
        return Err(format!(
            "the parts' modules were not fetched ahead: {ahead:?}"
        ));
    }
    // Asked after, not only finished after (a resource's startTime is when it was asked for).
    let early = exec(
        c,
        "const rows = performance.getEntriesByName('peering:first-rows')[0]; \
             return performance.getEntriesByType('resource').filter(e => e.name.endsWith('.wasm') \
               && !new URL(e.name).pathname.split('/').pop().startsWith('peering-console-') \
               && (!rows || e.startTime < rows.startTime)).map(e => e.name);",
        vec![],
    )
    .await?;
    if early.as_array().is_none_or(|a| !a.is_empty()) {
        return Err(format!(
            "modules fetched before the list's rows were drawn: {early}"
        ));
    }
    // The connection page's module is missing: opening a connection says so; Retry, once it
    // is back, fetches it (a 200 this time) and shows the page.
    click_centered(c, "table.grid tbody a[href='#/c/default/cdn-1']").await?;
    wait_for_text(c, "#main .state.error", "could not be loaded").await?;
    if page_module_found(c).await? != 0 {
        return Err("the connection page's module was found while it was missing".into());
    }
    std::fs::rename(&hidden, &page_module).map_err(|e| e.to_string())?;
    click_centered(c, "#main .lazy-retry").await?;
    wait_for_text(c, "h1", "cdn-1").await?;
    if page_module_found(c).await? == 0 {
        return Err("Retry showed the page without fetching its module".into());
    }
    let detail = c
        .current_url()
        .await
        .map_err(|e| e.to_string())?
        .to_string();
    if detail != format!("{cdn}/console/#/c/default/cdn-1") {
        return Err(format!("the detail page is at {detail}"));
    }
    // The deep links, each opened in a new tab (which starts with a copy of this tab's
    // session, as a tab opened from a link does).
    let home = c.window().await.map_err(|e| e.to_string())?;
    for (link, shows, css) in [
        (detail.clone(), "cdn-1", "h1"),
        (
            format!("{cdn}/console/#/?country=United%20States&state=Washington"),
            "1 of 1 shown",
            ".filters .count",
        ),
    ] {
        let before = c.windows().await.map_err(|e| e.to_string())?;
        c.execute(
            "window.open(arguments[0], '_blank');",
            vec![link.clone().into()],
        )
        .await
        .map_err(|e| e.to_string())?;
        let after = c.windows().await.map_err(|e| e.to_string())?;
        let tab = after
            .into_iter()
            .find(|w| !before.contains(w))
            .ok_or("no new tab opened")?;
        c.switch_to_window(tab).await.map_err(|e| e.to_string())?;
        wait_for_text(c, css, shows)
            .await
            .map_err(|e| format!("the deep link {link}: {e}"))?;
        c.close_window().await.map_err(|e| e.to_string())?;
        c.switch_to_window(home.clone())
            .await
            .map_err(|e| e.to_string())?;
    }
    // Every request the file server saw was for a file it has.
    let log = files.log.lock().unwrap().clone();
    let requests: Vec<&String> = log.iter().filter(|l| l.contains("\"GET ")).collect();
    if requests.is_empty() {
        return Err("the file server saw no request".into());
    }
    let missing = page_module
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    // The one request that was made to fail, above, is the only one that may have.
    let answered = |l: &str| l.contains("\" 200 ") || l.contains("\" 304 ");
    let made_to_fail = |l: &str| l.contains(missing) && l.contains("\" 404 ");
    if let Some(bad) = requests.iter().find(|l| !answered(l) && !made_to_fail(l)) {
        return Err(format!("the file server answered: {bad}"));
    }
    eprintln!(
        "e2e: static host under /console/: list drawn from the main module alone, the other modules fetched after it, one missing then fetched by Retry, detail, two deep links in new tabs ({} file requests)",
        requests.len()
    );
    Ok(())
}

/// The wasm modules this page has fetched, by file name, in order.
async fn wasm_fetched(c: &Client) -> Result<Vec<String>, String> {
    let v = exec(
        c,
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname.split('/').pop()).filter(n => n.endsWith('.wasm'));",
        vec![],
    )
    .await?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// How many fetches of the connection page's module this page made that found it (200).
async fn page_module_found(c: &Client) -> Result<u64, String> {
    let v = exec(
        c,
        "return performance.getEntriesByType('resource').filter(e => new URL(e.name).pathname.split('/').pop().startsWith('split_connection_page-') && e.responseStatus === 200).length;",
        vec![],
    )
    .await?;
    Ok(v.as_u64().unwrap_or(0))
}

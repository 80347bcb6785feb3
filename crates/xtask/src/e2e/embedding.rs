//! The portal protocol (`docs/embedding.md`) end to end, on three origins: the example portal
//! (`examples/portal/`, served as files) frames the console served by `peering-server` (allowed
//! by `--frame-ancestor` and `config.json`'s `allowedParentOrigins`). Strangers speak first and
//! are ignored: a page on a third origin framed beside the console, and a frame of the portal's
//! own origin that is not the console's parent. Then the portal hands over the token, its
//! theme applies, the console's route shows in the portal's address bar, a refused token
//! handed over later is used at once without a reload, and a good one after it recovers.

use super::static_host::{copy_flat, file_server};
use super::{free_port, open_with_connections, start_server_with};
use crate::webdriver::{click_centered, exec, wait_for, wait_for_text};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// From the portal: posts a token message to the console's frame, as the portal's refresh
/// would.
async fn post_token(c: &Client, console_origin: &str, token: &str) -> Result<(), String> {
    exec(
        c,
        "document.getElementById('console').contentWindow.postMessage({type: 'peering-console:token', token: arguments[1]}, arguments[0]);",
        vec![console_origin.into(), token.into()],
    )
    .await
    .map(|_| ())
}

/// Into the console's frame (the portal's `iframe#console`), from the portal or from inside
/// the console.
async fn in_console(c: &Client) -> Result<(), String> {
    c.enter_parent_frame().await.map_err(|e| e.to_string())?;
    let frame = c
        .find(Locator::Css("iframe#console"))
        .await
        .map_err(|e| format!("the portal has no console frame: {e}"))?;
    frame.enter_frame().await.map_err(|e| e.to_string())
}

/// In the console's frame: waits until the console has taken `token` (it keeps what it takes
/// in its tab's `sessionStorage`), since a posted message arrives in its own time.
async fn until_taken(c: &Client, token: &str) -> Result<(), String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let kept = exec(
            c,
            "return sessionStorage.getItem('peering-console.token');",
            vec![],
        )
        .await?;
        if kept.as_str() == Some(token) {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("the console never took the token {token}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Back to the portal from the console's frame.
async fn in_portal(c: &Client) -> Result<(), String> {
    c.enter_parent_frame().await.map_err(|e| e.to_string())
}

pub async fn embedding(c: &Client, bin: &Path, dist: &Path, dir: &Path) -> Result<(), String> {
    let portal_port = free_port()?;
    let portal = format!("http://127.0.0.1:{portal_port}");
    let stranger_port = free_port()?;
    let stranger = format!("http://127.0.0.1:{stranger_port}");
    // The console's files with the portal allowed in config.json.
    let console_dist = dir.join("embedded-dist");
    let _ = std::fs::remove_dir_all(&console_dist);
    copy_flat(dist, &console_dist)?;
    let config = json!({"apiBase": "", "subscriptionId": "00000000-0000-0000-0000-000000000000",
                        "allowedParentOrigins": [portal]});
    std::fs::write(console_dist.join("config.json"), config.to_string())
        .map_err(|e| e.to_string())?;
    let listen = format!("127.0.0.1:{}", free_port()?);
    let server = start_server_with(
        bin,
        &dir.join("embedding.db"),
        &console_dist,
        &listen,
        &["--frame-ancestor", &portal],
    )?;
    open_with_connections(c, &server, &["emb-1"], json!({})).await?;
    // Leave the console's origin with no token kept (a fresh tab's state).
    exec(c, "sessionStorage.clear();", vec![]).await?;

    // The example portal as shipped, told where the console is by its console.json.
    let portal_dir = dir.join("portal");
    let _ = std::fs::remove_dir_all(&portal_dir);
    copy_flat(&crate::root().join("examples/portal"), &portal_dir)?;
    std::fs::write(
        portal_dir.join("console.json"),
        json!({"consoleUrl": format!("{}/", server.url)}).to_string(),
    )
    .map_err(|e| e.to_string())?;
    let _portal_files = file_server(&portal_dir, portal_port)?;
    // The stranger: a page that posts the token it stole to the frame beside it.
    let stranger_dir = dir.join("stranger");
    std::fs::create_dir_all(&stranger_dir).map_err(|e| e.to_string())?;
    std::fs::write(
        stranger_dir.join("index.html"),
        "<!doctype html><title>stranger</title><script src=\"stranger.js\"></script>",
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(
        stranger_dir.join("stranger.js"),
        format!(
            "parent.frames[0].postMessage({{type: 'peering-console:token', token: '{}'}}, '*');\n\
             parent.postMessage('stranger-posted', '*');",
            server.token
        ),
    )
    .map_err(|e| e.to_string())?;
    let _stranger_files = file_server(&stranger_dir, stranger_port)?;

    c.goto("about:blank").await.map_err(|e| e.to_string())?;
    c.goto(&format!(
        "{portal}/index.html#token={}&manual",
        server.token
    ))
    .await
    .map_err(|e| e.to_string())?;
    in_console(c).await?;
    wait_for(c, "#waiting-for-portal").await?;
    in_portal(c).await?;
    // A page on a third origin, framed beside the console, posts the token; and a frame of the
    // portal's own origin that is not the console's parent posts it too.
    exec(
        c,
        "window.strangerPosted = false;
         addEventListener('message', e => { if (e.data === 'stranger-posted') window.strangerPosted = true; });
         const f = document.createElement('iframe'); f.src = arguments[0] + '/index.html';
         document.body.appendChild(f);
         const same = document.createElement('iframe'); document.body.appendChild(same);
         new same.contentWindow.Function('t', 'o',
             \"parent.frames[0].postMessage({type: 'peering-console:token', token: t}, o);\")(arguments[1], arguments[2]);",
        vec![stranger.clone().into(), server.token.clone().into(), server.url.clone().into()],
    )
    .await?;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while exec(c, "return window.strangerPosted;", vec![]).await? != Value::Bool(true) {
        if std::time::Instant::now() > deadline {
            return Err("the stranger's page never posted".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    in_console(c).await?;
    wait_for(c, "#waiting-for-portal")
        .await
        .map_err(|e| format!("a stranger's token was taken: {e}"))?;
    if c.find(Locator::Css(".topbar")).await.is_ok() {
        return Err("a stranger's token was taken".into());
    }

    // The portal hands over the token: the list, the theme, the route in the portal's URL.
    in_portal(c).await?;
    if exec(c, "return portal.handOver();", vec![]).await? != Value::Bool(true) {
        return Err("the console never said it was ready".into());
    }
    in_console(c).await?;
    wait_for_text(c, "table.grid tbody", "emb-1").await?;
    let accent = exec(
        c,
        "window.keptAcrossTheRefresh = true;
         return getComputedStyle(document.documentElement).getPropertyValue('--accent').trim();",
        vec![],
    )
    .await?;
    if accent != "#00796b" {
        return Err(format!(
            "the portal's theme did not apply: --accent is {accent}"
        ));
    }
    click_centered(c, "table.grid tbody a[href='#/c/default/emb-1']").await?;
    wait_for_text(c, "h1", "emb-1").await?;
    in_portal(c).await?;
    wait_for_text(c, "#console-path", "/c/default/emb-1").await?;
    let url = c
        .current_url()
        .await
        .map_err(|e| e.to_string())?
        .to_string();
    if !url.contains("path=%2Fc%2Fdefault%2Femb-1") {
        return Err(format!("the portal's address bar does not follow: {url}"));
    }

    // A refresh with a token the server refuses is used at once, with no reload; the good one
    // handed over after it brings the list back by itself.
    post_token(c, &server.url, "refused-token-0000000000").await?;
    in_console(c).await?;
    until_taken(c, "refused-token-0000000000").await?;
    click_centered(c, "a.brand").await?;
    wait_for(c, ".state.error")
        .await
        .map_err(|e| format!("the list with a refused token: {e}"))?;
    if exec(c, "return window.keptAcrossTheRefresh === true;", vec![]).await? != Value::Bool(true) {
        return Err("the console reloaded on a token refresh".into());
    }
    in_portal(c).await?;
    exec(c, "return portal.handOver();", vec![]).await?;
    in_console(c).await?;
    wait_for_text(c, "table.grid tbody", "emb-1").await?;
    // The same on a connection's page: refused, then the portal's token brings it back. (A
    // token of another identity gets a console of its own, on the same route: nothing of the
    // previous holder's is kept.)
    click_centered(c, "table.grid tbody a[href='#/c/default/emb-1']").await?;
    wait_for_text(c, "h1", "emb-1").await?;
    in_portal(c).await?;
    post_token(c, &server.url, "refused-token-0000000001").await?;
    in_console(c).await?;
    until_taken(c, "refused-token-0000000001").await?;
    if let Err(e) = wait_for(c, ".state.error").await {
        let shows = exec(c, "return document.body.innerText.slice(0, 600) + ' | token: ' + sessionStorage.getItem('peering-console.token');", vec![]).await?;
        return Err(format!(
            "a connection's page with a refused token: {e}; it shows {shows}"
        ));
    }
    in_portal(c).await?;
    exec(c, "return portal.handOver();", vec![]).await?;
    in_console(c).await?;
    wait_for_text(c, "h1", "emb-1").await?;
    wait_for_text(c, ".page", "West US 2").await?;
    c.enter_parent_frame().await.map_err(|e| e.to_string())?;
    // The portal loaded again with nobody signed in: the framed console does not fall back
    // on the token its tab kept from before; it waits for the portal's.
    c.goto("about:blank").await.map_err(|e| e.to_string())?;
    c.goto(&format!("{portal}/index.html#manual"))
        .await
        .map_err(|e| e.to_string())?;
    in_console(c).await?;
    wait_for(c, "#waiting-for-portal")
        .await
        .map_err(|e| format!("a token kept from before was used in the frame: {e}"))?;
    c.enter_parent_frame().await.map_err(|e| e.to_string())?;
    eprintln!("e2e: embedded in the example portal: strangers ignored, token, theme, route mirrored, token refreshed");
    Ok(())
}

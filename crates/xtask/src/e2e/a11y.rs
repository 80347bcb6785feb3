//! Accessibility: axe-core (npm `axe-core`, from `.tools/`) injected into the browser session
//! and run on every page and state a user meets, in the light and the dark scheme. Any
//! violation of impact "serious" or "critical" fails the run, all of them listed at once. The
//! keyboard half (focus kept in open dialogs and given back, Escape) is asserted by the
//! component tests and the scenario; here, that every state is reachable at all.

use super::scenario::connection_path;
use super::{free_port, open_with_connections, start_server};
use crate::webdriver::{api, click_centered, exec, select, wait_for, wait_for_text};
use fantoccini::Client;
use serde_json::{json, Value};
use std::path::Path;

/// Runs axe on the page as it is; the serious and critical violations, one line each.
pub(super) async fn audit(c: &Client, axe: &str, state: &str) -> Result<Vec<String>, String> {
    let loaded = c
        .execute("return typeof window.axe === 'object';", vec![])
        .await
        .map_err(|e| e.to_string())?;
    if loaded != Value::Bool(true) {
        c.execute(&format!("{axe}\nreturn true;"), vec![])
            .await
            .map_err(|e| format!("injecting axe-core: {e}"))?;
    }
    let result = c
        .execute_async(
            "const done = arguments[0];
             axe.run(document, {resultTypes: ['violations']})
                .then(r => done(r.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at ' +
                        v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))))
                .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .map_err(|e| format!("running axe on {state}: {e}"))?;
    Ok(result
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(Value::as_str)
                .map(|s| format!("{state}: {s}"))
                .collect()
        })
        .unwrap_or_default())
}

/// A picture of the page under `target/e2e/`, for a person to look at (not compared).
pub(super) async fn save_screenshot(c: &Client, name: &str) {
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(crate::root().join("target/e2e").join(name), png);
    }
}

/// Every state below, audited in the current colour scheme.
async fn tour(c: &Client, axe: &str, url: &str, token: &str) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    let goto = |u: String| async move { crate::webdriver::load(c, &u).await };
    goto(format!("{url}/#token={token}")).await?;
    wait_for_text(c, "table.grid tbody", "a11y-1").await?;
    found.extend(audit(c, axe, "the list").await?);
    select(c, "#filter-country", "United States").await?;
    wait_for(c, "#filter-state:not([disabled])").await?;
    click_centered(c, "details.columns summary").await?;
    click_centered(c, "#select-all").await?;
    wait_for(c, ".bulk .selected-count").await?;
    click_centered(c, "#import-toggle").await?;
    // The import's code is fetched when it is first opened.
    wait_for(c, "#connection-import").await?;
    found.extend(audit(c, axe, "the list filtered, columns, bulk bar, import open").await?);

    // The map: shown on request, a region clicked sets the same filter as the dropdowns, and
    // the list of regions under it does the same from the keyboard.
    goto(format!("{url}/")).await?;
    wait_for_text(c, "table.grid tbody", "a11y-1").await?;
    click_centered(c, "#map-toggle").await?;
    wait_for(c, "svg.map path[data-region='United States']").await?;
    found.extend(audit(c, axe, "the world map").await?);
    save_screenshot(c, "map-world.png").await;
    // A click inside the country (its bounding box, Alaska included, is mostly sea).
    c.execute(
        "document.querySelector(\"svg.map path[data-region='United States']\")
            .dispatchEvent(new MouseEvent('click', {bubbles: true}));",
        vec![],
    )
    .await
    .map_err(|e| e.to_string())?;
    wait_for(c, "svg.map path[data-region='Washington']").await?;
    let picked = exec(
        c,
        "return document.getElementById('filter-country').value;",
        vec![],
    )
    .await?;
    if picked != "United States" {
        return Err(format!("a click on the map chose {picked} in the dropdown"));
    }
    found.extend(audit(c, axe, "the US map").await?);
    save_screenshot(c, "map-us.png").await;
    let washington = wait_for(c, ".map-regions button[data-region='Washington']").await?;
    c.execute(
        "arguments[0].focus();",
        vec![serde_json::to_value(&washington).map_err(|e| e.to_string())?],
    )
    .await
    .map_err(|e| e.to_string())?;
    washington
        .send_keys("\u{E007}")
        .await
        .map_err(|e| e.to_string())?;
    wait_for(
        c,
        ".map-regions button[data-region='Washington'][aria-pressed='true']",
    )
    .await?;
    let state = exec(
        c,
        "return document.getElementById('filter-state').value;",
        vec![],
    )
    .await?;
    if state != "Washington" {
        return Err(format!(
            "Enter on the map's list chose '{state}' as the state"
        ));
    }
    wait_for_text(c, ".filters .count", "2 of 2 shown").await?;

    // No draft from another run on this origin (ports are reused).
    c.execute("localStorage.clear();", vec![])
        .await
        .map_err(|e| e.to_string())?;
    goto(format!("{url}/#/new")).await?;
    wait_for(c, "#name").await?;
    click_centered(c, "#next").await?;
    wait_for(c, "#step-error").await?;
    found.extend(audit(c, axe, "wizard basics with an error").await?);
    wait_for(c, "#name")
        .await?
        .send_keys("a11y-new")
        .await
        .map_err(|e| e.to_string())?;
    click_centered(c, "#next").await?;
    select(c, "#country", "United States").await?;
    select(c, "#location", "Washington").await?;
    found.extend(audit(c, axe, "wizard customer location").await?);
    click_centered(c, "#next").await?;
    select(c, "#provider", "equinix MAPS").await?;
    found.extend(audit(c, axe, "wizard provider").await?);
    click_centered(c, "#next").await?;
    wait_for(c, "#wizard-prefixes").await?;
    found.extend(audit(c, axe, "wizard prefixes").await?);
    click_centered(c, "#next").await?;
    wait_for(c, "#review").await?;
    found.extend(audit(c, axe, "wizard review").await?);

    goto(format!("{url}/#/c/default/a11y-1")).await?;
    wait_for_text(c, "h1", "a11y-1").await?;
    found.extend(audit(c, axe, "connection page").await?);
    let etag = api(c, token, "GET", &connection_path("a11y-1"), None, None)
        .await?
        .2;
    wait_for(c, "#confirm-delete")
        .await?
        .send_keys("a11y-1")
        .await
        .map_err(|e| e.to_string())?;
    found.extend(audit(c, axe, "delete, name typed").await?);
    // Changed elsewhere meanwhile: the delete meets a 412 and the conflict dialog opens.
    api(
        c,
        token,
        "PATCH",
        &connection_path("a11y-1"),
        Some(json!({"tags": {"owner": "elsewhere"}})),
        etag.as_deref(),
    )
    .await?;
    click_centered(c, "#confirm-delete-submit").await?;
    wait_for(c, ".dialog.conflict").await?;
    found.extend(audit(c, axe, "conflict dialog").await?);

    goto(format!("{url}/#/no-such-page")).await?;
    wait_for_text(c, "h1", "Not found").await?;
    found.extend(audit(c, axe, "not found").await?);
    c.execute("sessionStorage.clear();", vec![])
        .await
        .map_err(|e| e.to_string())?;
    goto(format!("{url}/")).await?;
    wait_for(c, "#sign-in-state").await?;
    found.extend(audit(c, axe, "no token").await?);
    Ok(found)
}

/// Emulates `prefers-color-scheme: dark` (or stops) through the DevTools protocol.
async fn set_dark(c: &Client, dark: bool) -> Result<(), String> {
    let features =
        json!([{"name": "prefers-color-scheme", "value": if dark { "dark" } else { "light" }}]);
    crate::webdriver::cdp(
        c,
        "Emulation.setEmulatedMedia",
        json!({"features": features}),
    )
    .await
}

/// Presses `keys` on whatever has the focus, as a keyboard does.
async fn press(c: &Client, keys: &str) -> Result<(), String> {
    let el = c.active_element().await.map_err(|e| e.to_string())?;
    el.send_keys(keys).await.map_err(|e| e.to_string())
}

/// Tabs forward (at most 40 times) until the element with `id` has the focus.
async fn tab_to(c: &Client, id: &str) -> Result<(), String> {
    for _ in 0..40 {
        let focused = c
            .execute(
                "return document.activeElement && document.activeElement.id;",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        if focused.as_str() == Some(id) {
            return Ok(());
        }
        press(c, "\u{E004}").await?;
    }
    Err(format!("Tab never reached #{id}"))
}

/// The wizard from the keyboard alone: Tab to each field, type, choose options by typing
/// their names, Enter for "Next" (the step is a form), and the create button by Enter.
async fn wizard_by_keyboard(c: &Client, url: &str, token: &str) -> Result<(), String> {
    const ENTER: &str = "\u{E007}";
    c.goto(&format!("{url}/#token={token}"))
        .await
        .map_err(|e| e.to_string())?;
    wait_for(c, ".topbar").await?;
    c.execute("localStorage.clear();", vec![])
        .await
        .map_err(|e| e.to_string())?;
    c.goto("about:blank").await.map_err(|e| e.to_string())?;
    c.goto(&format!("{url}/#/new"))
        .await
        .map_err(|e| e.to_string())?;
    wait_for(c, "#name").await?;
    tab_to(c, "name").await?;
    press(c, "kbd-only").await?;
    press(c, ENTER).await?;
    wait_for(c, "#country").await?;
    tab_to(c, "country").await?;
    press(c, "United States").await?;
    wait_for(c, "#location:not([disabled])").await?;
    tab_to(c, "location").await?;
    press(c, "Washington").await?;
    tab_to(c, "next").await?;
    press(c, ENTER).await?;
    wait_for(c, "#provider").await?;
    tab_to(c, "provider").await?;
    press(c, "equinix MAPS").await?;
    tab_to(c, "next").await?;
    press(c, ENTER).await?;
    wait_for(c, "#wizard-prefixes").await?;
    tab_to(c, "next").await?;
    press(c, ENTER).await?;
    wait_for_text(c, "#review", "kbd-only").await?;
    tab_to(c, "create").await?;
    press(c, ENTER).await?;
    wait_for_text(c, "#created", "Created connection kbd-only").await
}

pub async fn accessibility(c: &Client, bin: &Path, dist: &Path, dir: &Path) -> Result<(), String> {
    let axe_path = crate::root().join(".tools/node_modules/axe-core/axe.min.js");
    let axe = std::fs::read_to_string(&axe_path).map_err(|e| {
        format!(
            "{}: {e} (cargo xtask setup installs it)",
            axe_path.display()
        )
    })?;
    let listen = format!("127.0.0.1:{}", free_port()?);
    let server = start_server(bin, &dir.join("a11y.db"), dist, &listen)?;
    open_with_connections(c, &server, &["a11y-1", "a11y-2"], json!({"team": "net"})).await?;
    let mut found = tour(c, &axe, &server.url, &server.token).await?;
    // The same tour in the dark scheme (its own colours, its own contrast).
    set_dark(c, true).await?;
    let dark = tour(c, &axe, &server.url, &server.token).await;
    set_dark(c, false).await?;
    found.extend(dark?.into_iter().map(|f| format!("dark: {f}")));
    if let Err(e) = wizard_by_keyboard(c, &server.url, &server.token).await {
        found.push(format!("the wizard by keyboard alone: {e}"));
    }
    if found.is_empty() {
        eprintln!("e2e: axe-core: no serious or critical violation on any page or state; the wizard by keyboard alone");
        Ok(())
    } else {
        found.sort();
        found.dedup();
        Err(format!(
            "accessibility: {} problems:\n{}",
            found.len(),
            found.join("\n")
        ))
    }
}

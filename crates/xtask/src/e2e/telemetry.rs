//! The console alive out of the box: `peering-server --demo` seeds simulated connections and
//! feeds their telemetry through the ingestion endpoints; the list says they are simulated, a
//! connection whose prefix failed shows the documented reason and its events as a timeline,
//! its monitor test its last result; axe-core finds nothing serious on that page.

use super::a11y::{audit, save_screenshot};
use super::{free_port, start_server_with};
use crate::webdriver::{api, click_centered, exec, select, wait_for, wait_for_text};
use fantoccini::Client;
use serde_json::json;
use std::path::Path;

const DEMO_SUB: &str = "00000000-0000-0000-0000-000000000000";
const DEMO_RG: &str = "demo-simulated";

pub async fn demo(c: &Client, bin: &Path, dist: &Path, dir: &Path) -> Result<(), String> {
    let axe_path = crate::root().join(".tools/node_modules/axe-core/axe.min.js");
    let axe =
        std::fs::read_to_string(&axe_path).map_err(|e| format!("{}: {e}", axe_path.display()))?;
    let listen = format!("127.0.0.1:{}", free_port()?);
    // A webhook nobody listens on: every delivery fails and waits for its next try, as the
    // list's deliveries must say.
    let hook = format!("http://127.0.0.1:{}/hook", free_port()?);
    let secret = dir.join("webhook.secret");
    std::fs::write(&secret, "e2e-webhook-secret-0123456789\n").map_err(|e| e.to_string())?;
    let secret = secret.to_string_lossy().into_owned();
    let server = start_server_with(
        bin,
        &dir.join("demo.db"),
        dist,
        &listen,
        &[
            "--demo",
            "--alert-webhook",
            &hook,
            "--alert-webhook-secret-file",
            &secret,
        ],
    )?;
    c.goto(&format!("{}/#token={}", server.url, server.token))
        .await
        .map_err(|e| e.to_string())?;
    // The demo seeds its sites as the server starts: the page may have loaded before the last
    // one, so wait for all twelve, then load it again.
    let list = format!(
        "/subscriptions/{DEMO_SUB}/providers/Microsoft.Peering/peeringServices?api-version=2022-10-01"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, body, _) = api(c, &server.token, "GET", &list, None, None).await?;
        if body["value"].as_array().is_some_and(|v| v.len() == 12) {
            break;
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("the demo never seeded its twelve sites: {body}"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    c.refresh().await.map_err(|e| e.to_string())?;
    wait_for_text(c, ".simulated", "12 of these connections").await?;

    // A connection whose prefix the simulated collector made fail (the summaries say which).
    let path = format!("/subscriptions/{DEMO_SUB}/providers/Microsoft.Peering/peeringServicePrefixSummaries?api-version=2022-10-01");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let failed = loop {
        let (status, body, _) = api(c, &server.token, "GET", &path, None, None).await?;
        if status != 200 {
            return Err(format!("GET {path}: {status} {body}"));
        }
        let found = body["value"].as_array().and_then(|v| {
            v.iter()
                .find(|s| {
                    s["validationStates"]["Failed"].as_u64() == Some(1)
                        && s["prefixes"][0]["name"] == "site"
                })
                .and_then(|s| s["id"].as_str())
                .and_then(|id| id.rsplit('/').next())
                .map(str::to_owned)
        });
        match found {
            Some(name) => break name,
            None if std::time::Instant::now() > deadline => {
                return Err(format!("no demo prefix failed within 30 s: {body}"))
            }
            None => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
        }
    };
    c.goto(&format!("{}/#/c/{DEMO_RG}/{failed}", server.url))
        .await
        .map_err(|e| e.to_string())?;
    wait_for_text(c, "#prefixes", "Failed").await?;
    // The connection lists the agent whose monitor test reported.
    wait_for_text(c, ".overview", "sim-agent-").await?;
    let reasons = [
        peering_model::observation::reasons::COMMUNITY,
        peering_model::observation::reasons::AS_PATH,
        peering_model::observation::reasons::PRIVATE_ASN,
        peering_model::observation::reasons::KEY_MISMATCH,
    ];
    let shown = wait_for(c, "#prefixes td.wrap")
        .await?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    if !reasons.iter().any(|r| shown.contains(r)) {
        return Err(format!(
            "{failed}: the prefix's reason is not one of the documented ones: '{shown}'"
        ));
    }
    wait_for_text(c, ".events-row summary", "Events (").await?;
    click_centered(c, ".events-row summary").await?;
    wait_for_text(c, ".timeline", "PrefixAnnouncementEvent").await?;
    wait_for_text(c, ".timeline", "Prefix announcement was received.").await?;
    wait_for_text(c, "#monitor-tests", "Succeeded").await?;
    // Its alert rules, and the alert its failing prefix keeps open.
    wait_for_text(c, "#alert-rules", "a prefix is Failed").await?;
    wait_for_text(c, "ul.alerts", "Open").await?;
    wait_for_text(c, "ul.alerts", "prefix-failed").await?;
    // A rule added through the form: the model's own message as a wrong threshold is typed,
    // then, fixed, the rule in the table, said as the model says it.
    let typed = |css: &'static str, text: &'static str| async move {
        let e = wait_for(c, css).await?;
        e.clear().await.map_err(|e| e.to_string())?;
        e.send_keys(text).await.map_err(|e| e.to_string())
    };
    typed("#ar-name", "slow-site").await?;
    select(c, "#ar-kind", "LatencyP95").await?;
    typed("#ar-threshold", "0").await?;
    wait_for_text(c, "#ar-threshold-msg", "above 0").await?;
    typed("#ar-threshold", "80").await?;
    typed("#ar-minutes", "5").await?;
    click_centered(c, "#add-rule").await?;
    wait_for_text(c, "#alert-rules", "p95 latency above 80 ms for 5 min").await?;
    // The test's recent round trips as a line.
    wait_for(c, "#monitor-tests svg.rtt-sparkline path.rtt").await?;
    // The latency chart: a line and a band, a read-out under the pointer, drag to zoom, and
    // the window in the URL.
    wait_for(c, "svg.latency-chart path.p50").await?;
    let d = exec(
        c,
        "return document.querySelector('svg.latency-chart path.p50').getAttribute('d');",
        vec![],
    )
    .await?;
    if !d
        .as_str()
        .is_some_and(|d| d.starts_with('M') && d.matches('L').count() > 50)
    {
        return Err(format!(
            "the p50 line of six hours of five-minute buckets is not drawn: {d}"
        ));
    }
    let mouse = r#"
        const [type, frac] = arguments;
        const svg = document.querySelector('svg.latency-chart');
        const r = svg.getBoundingClientRect();
        svg.dispatchEvent(new MouseEvent(type, {bubbles: true, clientX: r.left + r.width * frac, clientY: r.top + r.height / 2}));
        return true;"#;
    exec(c, mouse, vec![json!("mousemove"), json!(0.9)]).await?;
    wait_for_text(c, ".latency .readout", "p50").await?;
    wait_for_text(c, ".latency .readout", "samples)").await?;
    for (kind, frac) in [("mousedown", 0.7), ("mousemove", 0.95), ("mouseup", 0.95)] {
        exec(c, mouse, vec![json!(kind), json!(frac)]).await?;
    }
    wait_for(c, ".latency .reset-zoom").await?;
    click_centered(c, "[data-window='6h']").await?;
    wait_for(c, "[data-window='6h'][aria-pressed='true']").await?;
    let url = c.current_url().await.map_err(|e| e.to_string())?;
    if !url.as_str().contains("latency=6h") {
        return Err(format!("the window is not in the URL: {url}"));
    }
    save_screenshot(c, "demo-connection.png").await;
    let mut found = audit(
        c,
        &axe,
        "a demo connection with its events, chart and results",
    )
    .await?;
    // Back on the list (loaded again, after the first reports): each connection's median
    // latency over the last day and its newest event.
    c.goto(&format!("{}/#/", server.url))
        .await
        .map_err(|e| e.to_string())?;
    wait_for_text(c, "table.grid tbody td.latency", " ms").await?;
    wait_for_text(c, "table.grid tbody td.event", " · Prefix").await?;
    // The subscription's open alerts above the list.
    wait_for_text(c, ".open-alerts summary", "open alert").await?;
    click_centered(c, ".open-alerts summary").await?;
    wait_for_text(c, ".open-alerts li.open", "prefix-failed").await?;
    // The webhook deliveries of those alerts, failing against a receiver that is down.
    wait_for_text(c, ".webhook-deliveries summary", "not delivered").await?;
    click_centered(c, ".webhook-deliveries summary").await?;
    wait_for_text(c, "#webhook-deliveries", "alert.opened").await?;
    wait_for_text(c, "#webhook-deliveries", "Next try").await?;
    save_screenshot(c, "demo-list.png").await;
    found.extend(audit(c, &axe, "the demo list with latency and events").await?);
    if !found.is_empty() {
        return Err(found.join("\n"));
    }
    eprintln!("e2e: --demo: 12 simulated connections; {failed} shows its documented failure reason, its events, its monitor test's result, a latency chart (read-out, zoom, window in the URL) and its open alert; the list shows the open alerts and their webhook deliveries failing against a receiver that is down");
    Ok(())
}

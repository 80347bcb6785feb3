//! `--demo`: the simulated sites and collector, through the real router and store, make the
//! mix the console is meant to show: Verified prefixes, Failed ones with each documented
//! reason, events, a backup withdrawal that fails a prefix and heals on the next report, and
//! monitor test results.

use crate::helpers::*;
use peering_model::observation::reasons;
use peering_server::demo::{Demo, RESOURCE_GROUP, SITES, SUBSCRIPTION};
use peering_server::{app, AppState, Settings};
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Every demo prefix: (connection, state, errorMessage, events), as ADMIN reads them.
async fn prefixes(app: &TestApp) -> BTreeMap<String, (String, String, Vec<Value>)> {
    let base = format!(
        "{}/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Peering/peeringServices",
        app.base
    );
    let get = |url: String| async move {
        let res = app.send_as(ADMIN, Method::GET, &url, &[], None).await;
        expect_status(res, 200).json::<Value>().await.unwrap()
    };
    let list = get(format!("{base}?{API}")).await;
    let mut out = BTreeMap::new();
    for c in list["value"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap().to_owned();
        let p = get(format!("{base}/{name}/prefixes/site?{API}&$expand=events")).await;
        let props = &p["properties"];
        out.insert(
            name,
            (
                props["prefixValidationState"].as_str().unwrap().to_owned(),
                props["errorMessage"].as_str().unwrap_or("").to_owned(),
                props["events"].as_array().unwrap().clone(),
            ),
        );
    }
    out
}

#[tokio::test]
async fn the_demo_shows_verified_and_failed_prefixes_events_and_results() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::default();
    let mut tokens = tokens();
    tokens.add(demo.grants());
    let store = open_store(dir.path()).await;
    let state = Arc::new(AppState {
        store: Arc::new(store),
        tokens,
        settings: Settings::default(),
    });
    let router = app(state.clone());
    demo.seed(&router).await.unwrap();
    // A restart seeds again: nothing changes and nothing fails.
    demo.seed(&router).await.unwrap();
    demo.report(&router, 0).await.unwrap();
    let app = spawn_state(dir, state).await;

    let first = prefixes(&app).await;
    assert_eq!(first.len(), SITES);
    let verified = first.values().filter(|p| p.0 == "Verified").count();
    assert_eq!(verified, SITES / 2, "{first:#?}");
    for reason in [
        reasons::COMMUNITY,
        reasons::AS_PATH,
        reasons::PRIVATE_ASN,
        reasons::KEY_MISMATCH,
    ] {
        assert!(
            first.values().any(|p| p.0 == "Failed" && p.1 == reason),
            "no prefix failed only for: {reason}\n{first:#?}"
        );
    }
    assert!(
        first.values().all(|p| !p.2.is_empty()),
        "every prefix has events"
    );

    // Tick 1: one healthy site's backup session withdraws; tick 2 it announces again.
    demo.report(&router, 1).await.unwrap();
    let second = prefixes(&app).await;
    let flapped: Vec<&String> = first
        .keys()
        .filter(|k| first[*k].0 == "Verified" && second[*k].0 == "Failed")
        .collect();
    assert_eq!(flapped.len(), 1, "{second:#?}");
    let (_, message, events) = &second[flapped[0]];
    assert!(
        message.starts_with("Not receiving prefix advertisement from IP 10."),
        "{message}"
    );
    assert_eq!(events[0]["eventType"], "PrefixBackupRouteWithdrawalEvent");
    let alerts_of = |name: &str| {
        let url = format!(
            "{}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Peering/peeringServiceAlerts?{API}&resourceGroup={RESOURCE_GROUP}&peeringService={name}",
            app.base
        );
        let app = &app;
        async move {
            let res = app.send_as(ADMIN, Method::GET, &url, &[], None).await;
            let v: Value = expect_status(res, 200).json().await.unwrap();
            v["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (
                        a["rule"].as_str().unwrap().to_owned(),
                        a.get("resolvedAt").is_none(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let during = alerts_of(flapped[0]).await;
    assert!(
        during.contains(&("route-withdrawn".to_owned(), true)),
        "{during:?}"
    );
    assert!(
        during.contains(&("prefix-failed".to_owned(), true)),
        "{during:?}"
    );
    demo.report(&router, 2).await.unwrap();
    let after = alerts_of(flapped[0]).await;
    assert!(
        after.iter().all(|(_, open)| !open),
        "both resolve once the route is back: {after:?}"
    );
    // A site whose prefix keeps failing keeps its alert open.
    let failing = first.keys().find(|k| first[*k].0 == "Failed").unwrap();
    assert!(alerts_of(failing)
        .await
        .contains(&("prefix-failed".to_owned(), true)));
    let third = prefixes(&app).await;
    assert_eq!(third[flapped[0]].0, "Verified");
    assert_eq!(third[flapped[0]].2[0]["eventType"], "PrefixBackupPath");
    assert_eq!(
        third[flapped[0]].2[1]["eventType"],
        "PrefixBackupRouteAnnouncementEvent"
    );

    // Every site's monitor test has a result.
    let test = format!(
        "{}/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Peering/peeringServices/{}/connectionMonitorTests/reachability?{API}",
        app.base, flapped[0]
    );
    let res = app.send_as(ADMIN, Method::GET, &test, &[], None).await;
    let t: Value = expect_status(res, 200).json().await.unwrap();
    assert_eq!(t["properties"]["isTestSuccessful"], true);
    assert_eq!(t["properties"]["path"][2], "Microsoft edge");

    // The first report fills six hours of latency, so every chart has a shape at once.
    let latency = format!(
        "{}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Peering/peeringServicePrefixLatency?{API}&prefix=45.60.0.0/24&window=6h",
        app.base
    );
    let res = app.send_as(ADMIN, Method::GET, &latency, &[], None).await;
    let s: Value = expect_status(res, 200).json().await.unwrap();
    let buckets = s["buckets"].as_array().unwrap();
    assert!(buckets.len() >= 355, "{}", buckets.len());
    assert!(buckets.iter().all(|b| b["p50"].as_f64().unwrap() > 0.0));
    let count = |s: &Value| -> u64 {
        s["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_u64().unwrap())
            .sum()
    };
    let before = count(&s);
    // A restart reports tick 0 again: the six hours are there, so they are not sent twice.
    demo.report(&router, 0).await.unwrap();
    let res = app.send_as(ADMIN, Method::GET, &latency, &[], None).await;
    let again: Value = expect_status(res, 200).json().await.unwrap();
    assert!(count(&again) - before <= 10, "{before} → {}", count(&again));

    // The list's summaries carry each connection's median latency and its newest event.
    let res = app
        .send_as(
            ADMIN,
            Method::GET,
            &format!("{}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Peering/peeringServicePrefixSummaries?{API}", app.base),
            &[],
            None,
        )
        .await;
    let summaries: Value = expect_status(res, 200).json().await.unwrap();
    let all = summaries["value"].as_array().unwrap();
    assert_eq!(all.len(), SITES);
    for s in all {
        let p50 = s["latencyP50Ms"].as_f64().unwrap_or(0.0);
        assert!((1.0..200.0).contains(&p50), "{s}");
        assert_eq!(s["latestEventPrefix"], "site");
        assert!(s["latestEvent"]["eventType"].is_string(), "{s}");
    }
    let flapped_summary = all
        .iter()
        .find(|s| {
            s["id"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/{}", flapped[0]))
        })
        .unwrap();
    assert_eq!(
        flapped_summary["latestEvent"]["eventType"],
        "PrefixBackupPath"
    );
}

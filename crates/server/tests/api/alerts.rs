//! Alert rules: checked like the console checks them, evaluated as telemetry arrives, each
//! opening an alert when it becomes active and resolving it when it no longer is.

use crate::helpers::*;
use serde_json::{json, Value};
use std::sync::Arc;

/// 2026-11-30T12:00:30Z: the store's and the server's clock in these tests.
const T: i64 = 1_796_040_030;

fn clock() -> i64 {
    T
}

async fn spawn() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await.with_clock(clock);
    let state = Arc::new(peering_server::AppState {
        store: Arc::new(store),
        tokens: tokens(),
        settings: peering_server::Settings {
            wall_clock: clock,
            ..Default::default()
        },
    });
    spawn_state(dir, state).await
}

fn rule_url(app: &TestApp, rule: &str) -> String {
    app.url("rg", "c", &format!("/alertRules/{rule}"))
}

async fn put_rule(app: &TestApp, rule: &str, properties: Value) -> reqwest::Response {
    app.put_json(&rule_url(app, rule), &json!({ "properties": properties }))
        .await
}

/// The connection's alerts, newest first: (rule, open?, summary).
async fn alerts(app: &TestApp) -> Vec<(String, bool, String)> {
    let url = format!(
        "{}&resourceGroup=rg&peeringService=c",
        app.sub_url("peeringServiceAlerts")
    );
    let got = app.get_json(&url).await;
    got["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["rule"].as_str().unwrap().to_owned(),
                a.get("resolvedAt").is_none(),
                a["summary"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn route(router: &str, address: &str, location: &str, at: i64, announced: bool) -> Value {
    route_observation(location, router, address, &rfc3339(at), announced)
}

#[tokio::test]
async fn rules_are_checked_stored_and_listed() {
    let app = spawn().await;
    app.create_connection("rg", "c").await;
    let res = put_rule(
        &app,
        "slow",
        json!({"kind": "LatencyP95", "thresholdMs": -1}),
    )
    .await;
    let body: Value = expect_status(res, 400).json().await.unwrap();
    assert_eq!(body["error"]["target"], "properties.thresholdMs");
    let res = put_rule(
        &app,
        "slow",
        json!({"kind": "LatencyP95", "thresholdMs": 80, "forMinutes": 5, "level": "Critical"}),
    )
    .await;
    let got: Value = expect_status(res, 201).json().await.unwrap();
    assert_eq!(got["type"], "Microsoft.Peering/peeringServices/alertRules");
    assert_eq!(
        got["properties"],
        json!({"kind": "LatencyP95", "thresholdMs": 80.0, "forMinutes": 5, "provisioningState": "Succeeded"}),
        "only the kind's own parameters are kept"
    );
    let (items, _) = app.list_all(&app.url("rg", "c", "/alertRules")).await;
    assert_eq!(items.len(), 1);
    app.delete_and_check_gone(&rule_url(&app, "slow")).await;
}

#[tokio::test]
async fn alerts_open_and_resolve_with_the_telemetry() {
    let app = spawn().await;
    app.create_connection("rg", "c").await;
    let key = "6a7f0d42-e49c-4eea-a930-280610671c3f";
    let res = app
        .put_json(
            &app.prefix_url("rg", "c", "p"),
            &json!({"properties": {"prefix": "8.8.8.0/24", "peeringServicePrefixKey": key}}),
        )
        .await;
    expect_status(res, 201);
    app.create_monitor_test("rg", "c", "t").await;
    for (name, p) in [
        ("failed", json!({"kind": "PrefixFailed"})),
        ("warned", json!({"kind": "EventLevel", "level": "Warning"})),
        ("down", json!({"kind": "MonitorFailures", "consecutive": 2})),
        (
            "slow",
            json!({"kind": "LatencyP95", "thresholdMs": 50, "forMinutes": 2}),
        ),
    ] {
        expect_status(put_rule(&app, name, p).await, 201);
    }
    assert_eq!(
        alerts(&app).await,
        vec![],
        "Pending, no event, no result, no latency: nothing is active"
    );

    // One primary session: Failed, and an announcement (Information) is no warning.
    app.ingest(
        "ingestRouteObservations",
        json!([route("r1", "10.0.0.1", "Seattle", T - 300, true)]),
    )
    .await;
    let open = alerts(&app).await;
    assert_eq!(
        open,
        vec![("failed".into(), true, "a prefix is Failed: p".into())]
    );

    // Every session and the key: Verified, so the alert resolves.
    app.ingest(
        "ingestRouteObservations",
        json!([
            route("r2", "10.0.0.2", "Seattle", T - 290, true),
            route("r3", "10.0.1.1", "San Jose", T - 290, true),
        ]),
    )
    .await;
    app.ingest(
        "ingestProviderPrefixKeys",
        json!([{"provider": "Equinix MAPS", "prefix": "8.8.8.0/24", "prefixKey": key}]),
    )
    .await;
    assert_eq!(
        alerts(&app).await,
        vec![("failed".into(), false, "a prefix is Failed: p".into())]
    );

    // A withdrawal (Warning) opens the event rule and fails the prefix; announcing again resolves both.
    app.ingest(
        "ingestRouteObservations",
        json!([route("r3", "10.0.1.1", "San Jose", T - 200, false)]),
    )
    .await;
    let now: Vec<(String, bool)> = alerts(&app)
        .await
        .into_iter()
        .map(|(r, o, _)| (r, o))
        .collect();
    assert!(
        now.contains(&("warned".into(), true)) && now.contains(&("failed".into(), true)),
        "{now:?}"
    );
    app.ingest(
        "ingestRouteObservations",
        json!([route("r3", "10.0.1.1", "San Jose", T - 100, true)]),
    )
    .await;
    assert!(alerts(&app).await.iter().all(|(_, open, _)| !open));

    // Two failed results in a row, then a success.
    let result = |at: i64, success: bool| {
        json!({"resourceGroup": "rg", "peeringService": "c", "test": "t",
        "timestamp": rfc3339(at),
        "success": success})
    };
    app.ingest("ingestMonitorTestResults", json!([result(T - 90, false)]))
        .await;
    assert!(
        alerts(&app)
            .await
            .iter()
            .all(|(r, open, _)| r != "down" || !open),
        "one failure is not two"
    );
    app.ingest("ingestMonitorTestResults", json!([result(T - 60, false)]))
        .await;
    assert!(alerts(&app).await.contains(&(
        "down".into(),
        true,
        "a monitor test failed 2 times in a row: t (2)".into()
    )));
    app.ingest("ingestMonitorTestResults", json!([result(T - 30, true)]))
        .await;
    assert!(alerts(&app).await.iter().all(|(_, open, _)| !open));

    // p95 above 50 ms in each of the last two whole minutes (11:58 and 11:59).
    let sample = |at: i64, ms: f64| {
        json!({"prefix": "8.8.8.0/24", "rttMs": ms, "source": "a",
        "timestamp": rfc3339(at)})
    };
    app.ingest("ingestLatencySamples", json!([sample(T - 150, 120.0)]))
        .await;
    assert!(
        alerts(&app)
            .await
            .iter()
            .all(|(r, open, _)| r != "slow" || !open),
        "one minute is not two"
    );
    app.ingest("ingestLatencySamples", json!([sample(T - 80, 90.0)]))
        .await;
    let slow: Vec<String> = alerts(&app)
        .await
        .into_iter()
        .filter(|(r, o, _)| r == "slow" && *o)
        .map(|a| a.2)
        .collect();
    assert_eq!(slow.len(), 1);
    assert!(
        slow[0].starts_with("p95 latency above 50 ms for 2 min: up to 120"),
        "{}",
        slow[0]
    );

    // Across the subscription too, newest first.
    let all = app.get_json(&app.sub_url("peeringServiceAlerts")).await;
    let all = all["value"].as_array().unwrap();
    assert_eq!(all.len(), 5);
    assert!(all[0]["connection"]
        .as_str()
        .unwrap()
        .ends_with("/peeringServices/c"));
}

/// A connection whose prefix is Verified: both Seattle sessions and the San Jose backup
/// announce it, and the provider registered its key.
async fn verified(app: &TestApp) {
    app.create_connection("rg", "c").await;
    let key = "6a7f0d42-e49c-4eea-a930-280610671c3f";
    let res = app
        .put_json(
            &app.prefix_url("rg", "c", "p"),
            &json!({"properties": {"prefix": "8.8.8.0/24", "peeringServicePrefixKey": key}}),
        )
        .await;
    expect_status(res, 201);
    app.ingest(
        "ingestRouteObservations",
        json!([
            route("r1", "10.0.0.1", "Seattle", T - 300, true),
            route("r2", "10.0.0.2", "Seattle", T - 300, true),
            route("r3", "10.0.1.1", "San Jose", T - 300, true),
        ]),
    )
    .await;
    app.ingest(
        "ingestProviderPrefixKeys",
        json!([{"provider": "Equinix MAPS", "prefix": "8.8.8.0/24", "prefixKey": key}]),
    )
    .await;
}

#[tokio::test]
async fn what_held_only_inside_one_batch_opens_and_resolves_an_alert() {
    let app = spawn().await;
    verified(&app).await;
    app.create_monitor_test("rg", "c", "t").await;
    expect_status(
        put_rule(
            &app,
            "warned",
            json!({"kind": "EventLevel", "level": "Warning"}),
        )
        .await,
        201,
    );
    expect_status(
        put_rule(
            &app,
            "down",
            json!({"kind": "MonitorFailures", "consecutive": 2}),
        )
        .await,
        201,
    );
    expect_status(
        put_rule(&app, "failed", json!({"kind": "PrefixFailed"})).await,
        201,
    );
    assert_eq!(alerts(&app).await, vec![]);

    // The backup withdraws and announces again in one batch: the newest event is an
    // announcement, but the withdrawal (Warning) happened.
    app.ingest(
        "ingestRouteObservations",
        json!([
            route("r3", "10.0.1.1", "San Jose", T - 200, false),
            route("r3", "10.0.1.1", "San Jose", T - 100, true),
        ]),
    )
    .await;
    let got = alerts(&app).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0].0.as_str(), got[0].1), ("warned", false));
    assert!(got[0].2.contains("p (Warning)"), "{}", got[0].2);

    // Two failures then a success, in one batch; and one failure alone is not two.
    let result = |at: i64, success: bool| {
        json!({"resourceGroup": "rg", "peeringService": "c", "test": "t",
        "timestamp": rfc3339(at),
        "success": success})
    };
    app.ingest(
        "ingestMonitorTestResults",
        json!([result(T - 90, false), result(T - 60, true)]),
    )
    .await;
    assert_eq!(alerts(&app).await.len(), 1);
    app.ingest(
        "ingestMonitorTestResults",
        json!([
            result(T - 50, false),
            result(T - 40, false),
            result(T - 30, true)
        ]),
    )
    .await;
    let got = alerts(&app).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        got.iter().filter(|a| a.0 == "down").collect::<Vec<_>>(),
        [&(
            "down".to_owned(),
            false,
            "a monitor test failed 2 times in a row: t (2)".to_owned()
        )]
    );
    // A late failure inside that run, already reported, is no new episode.
    app.ingest("ingestMonitorTestResults", json!([result(T - 45, false)]))
        .await;
    assert_eq!(
        alerts(&app).await.len(),
        2,
        "no second alert for the same run"
    );
}

/// The queued webhook deliveries (no sender runs): (event, rule, summary), oldest first.
async fn queued(app: &TestApp) -> Vec<(String, String, String)> {
    let got = app.get_json(&app.sub_url("alertWebhookDeliveries")).await;
    let mut out: Vec<(String, String, String)> = got["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["event"].as_str().unwrap().to_owned(),
                d["rule"].as_str().unwrap().to_owned(),
                d["url"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.reverse();
    out
}

#[tokio::test]
async fn a_rule_changed_or_deleted_ends_its_alert_and_receivers_hear_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path())
        .await
        .with_clock(clock)
        .with_webhooks(vec!["https://u:pw@hooks.example.com/in?token=s3cret".into()]);
    let state = Arc::new(peering_server::AppState {
        store: Arc::new(store),
        tokens: tokens(),
        settings: peering_server::Settings {
            wall_clock: clock,
            ..Default::default()
        },
    });
    let app = spawn_state(dir, state).await;
    app.create_connection("rg", "c").await;
    app.create_prefix("rg", "c", "p", "8.8.8.0/24").await;
    app.ingest(
        "ingestRouteObservations",
        json!([route("r1", "10.0.0.1", "Seattle", T - 300, true)]),
    )
    .await;
    expect_status(
        put_rule(&app, "r", json!({"kind": "PrefixFailed"})).await,
        201,
    );
    assert!(alerts(&app).await[0].1, "Failed: open");
    // Now it watches events at Information or above (the announcement): the PrefixFailed
    // alert ends and an EventLevel one opens.
    expect_status(
        put_rule(
            &app,
            "r",
            json!({"kind": "EventLevel", "level": "Information"}),
        )
        .await,
        200,
    );
    let got = alerts(&app).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got[0].1
            && got[0]
                .2
                .starts_with("a prefix event at Information or above")
    );
    assert!(!got[1].1 && got[1].2.ends_with("(rule changed)"), "{got:?}");
    // The same rule written again changes nothing.
    expect_status(
        put_rule(
            &app,
            "r",
            json!({"kind": "EventLevel", "level": "Information"}),
        )
        .await,
        200,
    );
    assert_eq!(alerts(&app).await.len(), 2);

    expect_status(app.delete(&rule_url(&app, "r")).await, 200);
    assert_eq!(alerts(&app).await, vec![], "the alerts go with their rule");
    expect_status(
        put_rule(&app, "f", json!({"kind": "PrefixFailed"})).await,
        201,
    );
    assert_eq!(alerts(&app).await.len(), 1);
    let open_only = app
        .get_json(&format!(
            "{}&state=open",
            app.sub_url("peeringServiceAlerts")
        ))
        .await;
    assert_eq!(open_only["value"].as_array().unwrap().len(), 1);
    let res = app
        .get(&format!(
            "{}&state=closed",
            app.sub_url("peeringServiceAlerts")
        ))
        .await;
    let body: Value = expect_status(res, 400).json().await.unwrap();
    assert_eq!(body["error"]["target"], "state");

    app.delete_and_check_gone(&app.service_url("rg", "c")).await;
    let res = app
        .get(&format!(
            "{}&resourceGroup=rg&peeringService=c",
            app.sub_url("peeringServiceAlerts")
        ))
        .await;
    expect_status(res, 404);

    let shown = "https://hooks.example.com/in (credentials hidden)";
    let q = |e: &str, r: &str| (e.to_owned(), r.to_owned(), shown.to_owned());
    assert_eq!(
        queued(&app).await,
        vec![
            q("alert.opened", "r"),
            q("alert.resolved", "r"),
            q("alert.opened", "r"),
            q("alert.resolved", "r"),
            q("alert.opened", "f"),
            q("alert.resolved", "f"),
        ],
        "each opening is followed by its end: changed, deleted, connection deleted"
    );
    // Every opening has an alertId of its own, though the alerts of the first two are gone
    // with their rule (an id is never given twice), and each end names its opening's.
    let ids: Vec<(String, i64)> = app
        .sql("SELECT body FROM webhook_deliveries ORDER BY id")
        .await
        .into_iter()
        .map(|b| {
            let v: Value = serde_json::from_str(&b).unwrap();
            (
                v["type"].as_str().unwrap().to_owned(),
                v["alertId"].as_i64().unwrap(),
            )
        })
        .collect();
    let opened: Vec<i64> = ids
        .iter()
        .filter(|(t, _)| t == "alert.opened")
        .map(|x| x.1)
        .collect();
    let resolved: Vec<i64> = ids
        .iter()
        .filter(|(t, _)| t == "alert.resolved")
        .map(|x| x.1)
        .collect();
    assert_eq!(opened, resolved);
    assert!(opened.windows(2).all(|w| w[0] < w[1]), "{opened:?}");
}

static MOVING: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(T);

fn moving() -> i64 {
    MOVING.load(std::sync::atomic::Ordering::SeqCst)
}

#[tokio::test]
async fn a_latency_alert_resolves_when_the_samples_stop() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open_store(dir.path()).await.with_clock(moving));
    let state = Arc::new(peering_server::AppState {
        store: store.clone(),
        tokens: tokens(),
        settings: peering_server::Settings {
            wall_clock: moving,
            ..Default::default()
        },
    });
    let app = spawn_state(dir, state).await;
    app.create_connection("rg", "c").await;
    app.create_prefix("rg", "c", "p", "8.8.8.0/24").await;
    expect_status(
        put_rule(
            &app,
            "slow",
            json!({"kind": "LatencyP95", "thresholdMs": 50, "forMinutes": 2}),
        )
        .await,
        201,
    );
    let sample = |at: i64| {
        json!({"prefix": "8.8.8.0/24", "rttMs": 120.0, "source": "a",
        "timestamp": rfc3339(at)})
    };
    app.ingest(
        "ingestLatencySamples",
        json!([sample(T - 150), sample(T - 80)]),
    )
    .await;
    assert!(alerts(&app).await[0].1);
    use peering_server::store::Store;
    // Still 12:00: nothing has changed.
    assert_eq!(store.evaluate_time_alerts().await.unwrap(), 1);
    assert!(alerts(&app).await[0].1);
    // 12:01:30 and 12:02:30: no sample since 11:59, but samples may come up to two minutes
    // late, so it holds.
    for late in [60, 120] {
        MOVING.store(T + late, std::sync::atomic::Ordering::SeqCst);
        store.evaluate_time_alerts().await.unwrap();
        assert!(alerts(&app).await[0].1, "{late} s later");
    }
    // 12:03:30: none in 12:00, 12:01 or 12:02, and no write came: the minute's evaluation
    // resolves it.
    MOVING.store(T + 180, std::sync::atomic::Ordering::SeqCst);
    store.evaluate_time_alerts().await.unwrap();
    let got = alerts(&app).await;
    assert_eq!(got.len(), 1);
    assert!(!got[0].1, "{got:?}");

    // Newest first by when they opened, not by when they were stored: a rule that opens at
    // 12:03:30 lists above one whose alert opened at 12:00:30 though stored after it.
    expect_status(
        put_rule(&app, "failed", json!({"kind": "PrefixFailed"})).await,
        201,
    );
    app.ingest(
        "ingestRouteObservations",
        json!([route("r1", "10.0.0.1", "Seattle", T - 300, true)]),
    )
    .await;
    MOVING.store(T, std::sync::atomic::Ordering::SeqCst);
    app.ingest("ingestLatencySamples", json!([sample(T - 20)]))
        .await;
    let order: Vec<(String, bool)> = alerts(&app).await.into_iter().map(|a| (a.0, a.1)).collect();
    assert_eq!(
        order,
        vec![
            ("failed".to_owned(), true),
            ("slow".to_owned(), true),
            ("slow".to_owned(), false)
        ]
    );
}

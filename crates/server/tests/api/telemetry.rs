//! Telemetry ingestion: who may send it, how a batch is checked, and what it drives (prefix
//! validation states with the documented reasons, prefix events, monitor test results).

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

const KEY: &str = "6a7f0d42-e49c-4eea-a930-280610671c3f";

/// Equinix MAPS: the connection's primary is Seattle, its backup San Jose.
fn route(location: &str, router: &str, address: &str, at: &str) -> Value {
    route_observation(location, router, address, at, true)
}

async fn prefix(app: &TestApp) -> Value {
    app.get_json(&format!(
        "{}&$expand=events",
        app.prefix_url("rg", "c", "p")
    ))
    .await["properties"]
        .clone()
}

async fn with_key(app: &TestApp) {
    app.create_connection("rg", "c").await;
    let res = app
        .put_json(
            &app.prefix_url("rg", "c", "p"),
            &json!({"properties": {"prefix": "8.8.8.0/24", "peeringServicePrefixKey": KEY}}),
        )
        .await;
    expect_status(res, 201);
}

#[tokio::test]
async fn only_a_collector_ingests_and_a_collector_does_nothing_else() {
    let app = spawn_app().await;
    app.create_connection("rg", "c").await;
    for token in [READER, CONTRIBUTOR] {
        let res = app
            .ingest_as(token, "ingestRouteObservations", json!([]))
            .await;
        let (code, message, _) = arm_error(res, 403).await;
        assert_eq!(code, "AuthorizationFailed");
        assert!(message.contains("collector"), "{message}");
    }
    for (method, url) in [
        (Method::GET, app.service_url("rg", "c")),
        (Method::DELETE, app.service_url("rg", "c")),
        (Method::GET, app.sub_url("peeringServiceProviders")),
    ] {
        let res = app
            .send_as(COLLECTOR, method.clone(), &url, &[], None)
            .await;
        let (_, message, _) = arm_error(res, 403).await;
        assert!(
            message.contains("only send telemetry"),
            "{method} {message}"
        );
    }
    app.get_json(&app.service_url("rg", "c")).await;
    // An empty batch is a batch.
    let report = app.ingest("ingestRouteObservations", json!([])).await;
    assert_eq!(
        report,
        json!({"accepted": 0, "stale": 0, "reevaluated": 0, "events": 0})
    );
}

#[tokio::test]
async fn a_batch_with_a_bad_item_names_each_and_stores_nothing() {
    let app = spawn_app().await;
    with_key(&app).await;
    let mut bad = route("Atlantis", "r2", "ten", "yesterday");
    bad["communities"] = json!(["8075"]);
    let items = json!([
        route("Seattle", "r1", "10.0.0.1", "2026-11-30T10:00:00Z"),
        bad,
        {"provider": "Equinix MAPS"},
        route("Seattle", "r3", "10.0.0.3", "2999-01-01T00:00:00Z"),
    ]);
    let res = app
        .ingest_as(COLLECTOR, "ingestRouteObservations", items)
        .await;
    let body: Value = expect_status(res, 400).json().await.unwrap();
    let targets: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            "value[1].peeringLocation",
            "value[1].address",
            "value[1].communities",
            "value[1].timestamp",
            "value[2]",
            "value[3].timestamp"
        ]
    );
    assert_eq!(body["error"]["target"], "value[1].peeringLocation");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("nothing was stored"));
    // The good first item was not stored either: still nothing observed.
    assert_eq!(prefix(&app).await["prefixValidationState"], "Pending");
    assert_eq!(prefix(&app).await["events"], json!([]));

    let res = app
        .ingest_as(
            COLLECTOR,
            "ingestProviderPrefixKeys",
            json!([{"provider": "Nobody", "prefix": "8.8.8.1/24", "prefixKey": "x"}]),
        )
        .await;
    let body: Value = expect_status(res, 400).json().await.unwrap();
    assert_eq!(body["error"]["details"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn observations_drive_validation_with_the_documented_reasons() {
    let app = spawn_app().await;
    with_key(&app).await;
    let p = prefix(&app).await;
    assert_eq!(p["prefixValidationState"], "Pending");
    assert_eq!(p["learnedType"], "None");

    // One primary session only, no backup session, no registered key.
    let report = app
        .ingest(
            "ingestRouteObservations",
            json!([route("seattle", "r1", "10.0.0.1", "2026-11-30T10:00:00Z")]),
        )
        .await;
    assert_eq!(report["accepted"], 1);
    assert_eq!(report["reevaluated"], 1);
    let p = prefix(&app).await;
    assert_eq!(p["prefixValidationState"], "Failed");
    assert_eq!(
        p["errorMessage"],
        "Provider has fewer than two sessions in its primary location\n\
         Provider has no sessions in its backup location\n\
         The prefix key doesn't match the key the Peering Service provider registered for this prefix, contact Peering Service provider."
    );

    // Everything in place: Verified, learned via the provider.
    app.ingest(
        "ingestRouteObservations",
        json!([
            route("Seattle", "r2", "10.0.0.2", "2026-11-30T10:00:01Z"),
            route("San Jose", "r3", "10.0.1.1", "2026-11-30T10:00:01Z"),
        ]),
    )
    .await;
    app.ingest("ingestProviderPrefixKeys", json!([{"provider": "equinix maps", "prefix": "8.8.8.0/24", "prefixKey": KEY.to_uppercase()}])).await;
    let p = prefix(&app).await;
    assert_eq!(p["prefixValidationState"], "Verified");
    assert_eq!(p["learnedType"], "ViaServiceProvider");
    assert!(p.get("errorMessage").is_none(), "{p}");

    // A withdrawal names the session; a changed route breaks the path rules.
    let mut withdrawn = route("Seattle", "r2", "10.0.0.2", "2026-11-30T10:05:00Z");
    withdrawn["announced"] = json!(false);
    let mut leaky = route("San Jose", "r3", "10.0.1.1", "2026-11-30T10:05:00Z");
    leaky["asPath"] = json!([3356, 64512, 174, 15169]);
    leaky["communities"] = json!([]);
    app.ingest("ingestRouteObservations", json!([withdrawn, leaky]))
        .await;
    let p = prefix(&app).await;
    assert_eq!(p["prefixValidationState"], "Failed");
    assert_eq!(
        p["errorMessage"],
        "Not receiving prefix advertisement from IP 10.0.0.2 for prefix 8.8.8.0/24\n\
         Received route for prefix should have the Peering Service community 8075:8007\n\
         AS path length for prefix should be <=3 for prefix\n\
         AS path for prefix shouldn't have any private ASN"
    );
    // The list's roll-up sees the same state.
    let summaries = app
        .get_json(&app.sub_url("peeringServicePrefixSummaries"))
        .await;
    assert_eq!(
        summaries["value"][0]["validationStates"],
        json!({"Failed": 1})
    );
}

/// A withdrawal and a re-announcement within one second are both news; the same words at the
/// same moment (a batch sent again) are stale.
#[tokio::test]
async fn a_change_within_one_second_counts_and_a_repeat_is_stale() {
    let app = spawn_app().await;
    with_key(&app).await;
    let at = "2026-11-30T10:00:00Z";
    let up = route("San Jose", "r3", "10.0.1.1", at);
    let mut down = up.clone();
    down["announced"] = json!(false);
    let counts = |r: &Value| (r["accepted"].clone(), r["stale"].clone());
    let r = app.ingest("ingestRouteObservations", json!([up])).await;
    assert_eq!(counts(&r), (json!(1), json!(0)), "{r}");
    let r = app.ingest("ingestRouteObservations", json!([down])).await;
    assert_eq!(
        counts(&r),
        (json!(1), json!(0)),
        "the withdrawal in the same second: {r}"
    );
    let r = app.ingest("ingestRouteObservations", json!([up])).await;
    assert_eq!(
        counts(&r),
        (json!(1), json!(0)),
        "announced again in the same second: {r}"
    );
    assert!(r["events"].as_u64().unwrap() >= 1, "{r}");
    let r = app.ingest("ingestRouteObservations", json!([up])).await;
    assert_eq!(
        counts(&r),
        (json!(0), json!(1)),
        "the same words again: {r}"
    );
    let r = app
        .ingest("ingestRouteObservations", json!([down, up]))
        .await;
    assert_eq!(counts(&r), (json!(2), json!(0)), "both in one batch: {r}");
}

#[tokio::test]
async fn observations_make_events_newest_first_and_late_ones_are_stale() {
    let app = spawn_app().await;
    with_key(&app).await;
    app.ingest("ingestRouteObservations", json!([
        route("Seattle", "r1", "10.0.0.1", "2026-11-30T10:00:00Z"),
        route("San Jose", "r3", "10.0.1.1", "2026-11-30T10:00:00Z"),
        // A session of another provider location says nothing about this connection.
        {"provider": "Equinix MAPS", "peeringLocation": "Chicago", "router": "r9", "address": "10.9.9.9", "prefix": "8.8.8.0/24",
         "originAsn": 15169, "asPath": [15169], "announced": true, "timestamp": "2026-11-30T10:00:00Z"},
    ])).await;
    let mut hijack = route("Seattle", "r1", "10.0.0.1", "2026-11-30T11:15:00+01:00");
    hijack["originAsn"] = json!(666);
    hijack["asPath"] = json!([3356, 666]);
    let mut gone = route("San Jose", "r3", "10.0.1.1", "2026-11-30T10:30:00Z");
    gone["announced"] = json!(false);
    let report = app
        .ingest("ingestRouteObservations", json!([gone, hijack]))
        .await;
    assert_eq!(report["events"], 3, "{report}");
    // Older than what r1 said last: skipped, no event.
    let report = app
        .ingest(
            "ingestRouteObservations",
            json!([route("Seattle", "r1", "10.0.0.1", "2026-11-30T09:00:00Z")]),
        )
        .await;
    assert_eq!(
        (report["accepted"].clone(), report["stale"].clone()),
        (json!(0), json!(1))
    );

    let events = prefix(&app).await["events"].clone();
    let got: Vec<(&str, &str, &str)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["eventTimestamp"].as_str().unwrap(),
                e["eventType"].as_str().unwrap(),
                e["eventLevel"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // 11:15+01:00 is 10:15Z: made UTC, it sorts before the 10:30 withdrawal.
            (
                "2026-11-30T10:30:00.000Z",
                "PrefixBackupRouteWithdrawalEvent",
                "Warning"
            ),
            (
                "2026-11-30T10:15:00.000Z",
                "PrefixActivePath",
                "Information"
            ),
            (
                "2026-11-30T10:15:00.000Z",
                "PrefixOriginAsChangeEvent",
                "Critical"
            ),
            (
                "2026-11-30T10:00:00.000Z",
                "PrefixBackupPath",
                "Information"
            ),
            (
                "2026-11-30T10:00:00.000Z",
                "PrefixBackupRouteAnnouncementEvent",
                "Information"
            ),
            (
                "2026-11-30T10:00:00.000Z",
                "PrefixActivePath",
                "Information"
            ),
            (
                "2026-11-30T10:00:00.000Z",
                "PrefixAnnouncementEvent",
                "Information"
            ),
        ]
    );
    assert_eq!(
        events[2]["eventSummary"],
        "8.8.8.0/24 from 10.0.0.1 (seattle): origin AS 666 instead of 15169"
    );
    assert_eq!(
        events[2]["eventDescription"],
        "Exact prefix received with different origin ASN (active route)."
    );
}

#[tokio::test]
async fn a_prefix_created_later_is_decided_from_what_is_stored() {
    let app = spawn_app().await;
    app.create_connection("rg", "c").await;
    app.ingest(
        "ingestRouteObservations",
        json!([
            route("Seattle", "r1", "10.0.0.1", "2026-11-30T10:00:00Z"),
            route("Seattle", "r2", "10.0.0.2", "2026-11-30T10:00:00Z"),
            route("San Jose", "r3", "10.0.1.1", "2026-11-30T10:00:00Z"),
        ]),
    )
    .await;
    app.ingest(
        "ingestProviderPrefixKeys",
        json!([{"provider": "Equinix MAPS", "prefix": "8.8.8.0/24", "prefixKey": KEY}]),
    )
    .await;
    app.create_prefix("rg", "c", "p", "8.8.8.0/24").await;
    let p = prefix(&app).await;
    assert_eq!(
        p["prefixValidationState"], "Failed",
        "no key given: it cannot match"
    );
    // Given the registered key, the same prefix verifies.
    let res = app
        .put_json(
            &app.prefix_url("rg", "c", "p"),
            &json!({"properties": {"prefix": "8.8.8.0/24", "peeringServicePrefixKey": KEY}}),
        )
        .await;
    expect_status(res, 200);
    assert_eq!(prefix(&app).await["prefixValidationState"], "Verified");
}

#[tokio::test]
async fn monitor_results_set_the_tests_newest_result() {
    let app = spawn_app().await;
    app.create_connection("rg", "c").await;
    app.create_monitor_test("rg", "c", "t").await;
    let url = app.test_url("rg", "c", "t");
    let run = |at: &str, success: bool, hops: Value| json!({"resourceGroup": "RG", "peeringService": "C", "test": "T", "timestamp": at, "success": success, "hops": hops, "rttMs": 20.5});
    // A result for a test that does not exist refuses the batch.
    let res = app.ingest_as(COLLECTOR, "ingestMonitorTestResults", json!([
        run("2026-11-30T10:00:00Z", true, json!(["agent", "edge"])),
        {"resourceGroup": "rg", "peeringService": "c", "test": "nope", "timestamp": "2026-11-30T10:00:00Z", "success": true},
    ])).await;
    let (code, _, target) = arm_error(res, 400).await;
    assert_eq!(
        (code.as_str(), target.as_deref()),
        ("UnknownMonitorTest", Some("value[1].test"))
    );
    assert!(app.get_json(&url).await["properties"]
        .get("isTestSuccessful")
        .is_none());

    // Out of order: the newest wins; a replay is stale.
    let report = app
        .ingest(
            "ingestMonitorTestResults",
            json!([
                run("2026-11-30T10:01:00Z", false, json!(["agent", "hop1"])),
                run("2026-11-30T10:00:00Z", true, json!(["agent", "edge"])),
            ]),
        )
        .await;
    assert_eq!(report["accepted"], 2);
    let report = app
        .ingest(
            "ingestMonitorTestResults",
            json!([run("2026-11-30T10:00:00Z", true, json!([]))]),
        )
        .await;
    assert_eq!(report["stale"], 1);
    let props = app.get_json(&url).await["properties"].clone();
    assert_eq!(props["isTestSuccessful"], false);
    assert_eq!(props["path"], json!(["agent", "hop1"]));
    // The test's agent has reported: the connection lists it among its connected agents.
    let connection = app.get_json(&app.service_url("rg", "c")).await;
    assert_eq!(
        connection["properties"]["logAnalyticsWorkspaceProperties"],
        json!({"connectedAgents": ["agent-1"]})
    );

    // The newest results, newest first, with their round trips.
    let results = app
        .get_json(&format!(
            "{}&resourceGroup=rg&peeringService=c&test=T&$top=1",
            app.sub_url("connectionMonitorTestResults")
        ))
        .await;
    assert_eq!(
        results["value"],
        json!([{"timestamp": "2026-11-30T10:01:00.000Z", "success": false, "hops": ["agent", "hop1"], "rttMs": 20.5}])
    );
    let all = app
        .get_json(&format!(
            "{}&resourceGroup=rg&peeringService=c&test=t",
            app.sub_url("connectionMonitorTestResults")
        ))
        .await;
    assert_eq!(all["value"].as_array().unwrap().len(), 2);
    let (code, _, _) = arm_error(
        app.get(&format!(
            "{}&resourceGroup=rg&peeringService=c&test=nope",
            app.sub_url("connectionMonitorTestResults")
        ))
        .await,
        404,
    )
    .await;
    assert_eq!(code, "ResourceNotFound");

    // initializeConnectionMonitor is recorded once, with who and when.
    for _ in 0..2 {
        let res = app
            .send(
                Method::POST,
                &app.sub_url("initializeConnectionMonitor"),
                &[],
                None,
            )
            .await;
        expect_status(res, 200);
    }
    let rows = app
        .sql(&format!(
            "SELECT count(*) FROM connection_monitor_subscriptions WHERE subscription = '{SUB}'"
        ))
        .await;
    assert_eq!(rows, ["1"]);

    // Its test deleted, the agent no longer counts as having reported.
    expect_status(app.delete(&url).await, 200);
    let connection = app.get_json(&app.service_url("rg", "c")).await;
    assert!(
        connection["properties"]
            .get("logAnalyticsWorkspaceProperties")
            .is_none(),
        "{connection}"
    );
}

/// Events and monitor results are kept by count, per kind, as configured.
#[tokio::test]
async fn events_and_results_are_kept_as_configured() {
    let app = spawn_app_with(peering_server::Settings {
        retention: peering_server::settings::Retention {
            events_per_prefix: 3,
            results_per_test: 2,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    with_key(&app).await;
    app.create_monitor_test("rg", "c", "t").await;
    for minute in 0..4 {
        let mut r = route(
            "Seattle",
            "r1",
            "10.0.0.1",
            &format!("2026-11-30T10:0{minute}:00Z"),
        );
        r["announced"] = json!(minute % 2 == 0);
        app.ingest("ingestRouteObservations", json!([r])).await;
        app.ingest(
            "ingestMonitorTestResults",
            json!([{"resourceGroup": "rg", "peeringService": "c", "test": "t",
            "timestamp": format!("2026-11-30T10:0{minute}:00Z"), "success": true}]),
        )
        .await;
    }
    let events = prefix(&app).await["events"].as_array().unwrap().clone();
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[0]["eventTimestamp"], "2026-11-30T10:03:00.000Z");
    let results = app
        .get_json(&format!(
            "{}&resourceGroup=rg&peeringService=c&test=t",
            app.sub_url("connectionMonitorTestResults")
        ))
        .await;
    let kept: Vec<&str> = results["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["timestamp"].as_str().unwrap())
        .collect();
    assert_eq!(
        kept,
        ["2026-11-30T10:03:00.000Z", "2026-11-30T10:02:00.000Z"]
    );
}

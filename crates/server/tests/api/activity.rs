//! The activity log: every write recorded with its author, outcome and before/after, in its
//! own transaction; refused writes too; read through the console's view (every filter) and
//! Azure's Activity Log API; retention by an injectable clock.

use crate::helpers::*;
use peering_server::auth::{Grant, Role, Tokens};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// 2026-12-01T00:00:00Z.
const T: i64 = 1_796_083_200;
static NOW: AtomicI64 = AtomicI64::new(T);

fn clock() -> i64 {
    NOW.load(Ordering::SeqCst)
}

const OTHER_READER: &str = "other-reader-token-0123456789";

/// A server whose static grants have names (as a tokens file gives them), and a reader of
/// another subscription.
async fn app_with(settings: peering_server::Settings) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    let state = Arc::new(peering_server::AppState {
        store: Arc::new(store),
        tokens: Tokens::from_grants(vec![
            Grant::new(CONTRIBUTOR, vec![SUB.into()], Role::Contributor).named("ops-automation"),
            Grant::new(READER, vec![SUB.into()], Role::Reader).named("noc-dashboard"),
            Grant::new(COLLECTOR, vec![SUB.into()], Role::Collector).named("collector-1"),
            Grant::new(OTHER_READER, vec![OTHER_SUB.into()], Role::Reader).named("elsewhere"),
        ]),
        settings,
    });
    spawn_state(dir, state).await
}

async fn app() -> TestApp {
    app_with(Default::default()).await
}

fn log_url(app: &TestApp, query: &str) -> String {
    format!("{}{query}", app.sub_url("activityLog"))
}

/// Every record the console's view answers for `query`, following nextLinks.
async fn log(app: &TestApp, query: &str) -> Vec<Value> {
    let (items, _) = app.list_all(&log_url(app, query)).await;
    items
}

fn ops(records: &[Value]) -> Vec<(String, String)> {
    records
        .iter()
        .map(|r| {
            (
                r["operationName"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn rule_body() -> Value {
    json!({"properties": {"kind": "PrefixFailed"}})
}

/// Every kind of write, then its delete: what the log says of each, newest first.
#[tokio::test]
async fn every_write_is_recorded_with_its_author_and_outcome() {
    let app = app().await;
    let conn = app.service_url("rg", "c");
    let res = app
        .send(
            Method::PUT,
            &conn,
            &[
                ("x-ms-client-request-id", "client-1"),
                ("x-ms-correlation-request-id", "corr-1"),
            ],
            Some(&connection_body()),
        )
        .await;
    let request_id = expect_status(res, 201).headers()["x-ms-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let tags = json!({"tags": {"env": "prod"}});
    expect_status(app.send(Method::PATCH, &conn, &[], Some(&tags)).await, 200);
    app.create_prefix("rg", "c", "p1", "45.60.8.0/24").await;
    app.create_monitor_test("rg", "c", "t1").await;
    expect_status(
        app.put_json(&app.url("rg", "c", "/alertRules/r1"), &rule_body())
            .await,
        201,
    );
    let init = app.sub_url("initializeConnectionMonitor");
    expect_status(app.send(Method::POST, &init, &[], None).await, 200);
    expect_status(app.delete(&app.test_url("rg", "c", "t1")).await, 200);
    expect_status(app.delete(&conn).await, 200);
    // Telemetry is not a change.
    let sample = json!({"prefix": "45.60.8.0/24", "timestamp": rfc3339(peering_server::settings::unix_now() - 5), "rttMs": 5.0, "source": "agent-1"});
    app.ingest("ingestLatencySamples", json!([sample])).await;

    let records = log(&app, "").await;
    let expected = [
        "Microsoft.Peering/peeringServices/delete",
        "Microsoft.Peering/peeringServices/connectionMonitorTests/delete",
        "Microsoft.Peering/initializeConnectionMonitor/action",
        "Microsoft.Peering/peeringServices/alertRules/write",
        "Microsoft.Peering/peeringServices/connectionMonitorTests/write",
        "Microsoft.Peering/peeringServices/prefixes/write",
        "Microsoft.Peering/peeringServices/write",
        "Microsoft.Peering/peeringServices/write",
    ];
    assert_eq!(
        ops(&records),
        expected
            .iter()
            .map(|o| (o.to_string(), "Succeeded".to_string()))
            .collect::<Vec<_>>()
    );
    for r in &records {
        assert_eq!(r["caller"], "ops-automation");
        assert_eq!(r["callerType"], "Application");
        // The subscription's operation has no resource group.
        let init = r["operationName"] == "Microsoft.Peering/initializeConnectionMonitor/action";
        assert_eq!(r.get("resourceGroupName").is_none(), init, "{r}");
        assert!(r["clientIpAddress"].as_str().unwrap().starts_with("127."));
    }
    let create = records.last().unwrap();
    assert_eq!(create["changeType"], "Create");
    // A create is every property inserted.
    let inserted: Vec<&str> = create["propertyChanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["propertyChangeType"], "Insert");
            c["propertyName"].as_str().unwrap()
        })
        .collect();
    assert!(
        inserted.contains(&"properties.peeringServiceLocation"),
        "{inserted:?}"
    );
    assert!(!inserted.contains(&"systemData.createdBy"), "{inserted:?}");
    assert_eq!(create["httpStatus"], 201);
    assert_eq!(create["requestId"], request_id.as_str());
    assert_eq!(create["clientRequestId"], "client-1");
    assert_eq!(create["correlationId"], "corr-1");
    assert_eq!(
        create["resourceId"],
        format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Peering/peeringServices/c"
        )
    );
    // The tags update, property by property.
    let patch = &records[6];
    assert_eq!(patch["changeType"], "Update");
    assert_eq!(
        patch["propertyChanges"],
        json!([{"propertyName": "tags.env", "afterValue": "prod", "propertyChangeType": "Insert"}])
    );
    // Without its own correlation id, a record is correlated by its request id.
    assert_eq!(records[0]["correlationId"], records[0]["requestId"]);
}

#[tokio::test]
async fn refused_writes_are_recorded_and_change_nothing() {
    let app = app().await;
    let conn = app.service_url("rg", "c");
    app.create_connection("rg", "c").await;
    // 403: a reader's write.
    let res = app
        .send_as(READER, Method::PUT, &conn, &[], Some(&connection_body()))
        .await;
    expect_status(res, 403);
    // 412: a stale If-Match.
    let tags = json!({"tags": {"a": "b"}});
    let res = app
        .send(
            Method::PATCH,
            &conn,
            &[("If-Match", "\"stale\"")],
            Some(&tags),
        )
        .await;
    expect_status(res, 412);
    // 400: a bad prefix; 404: a child of no connection; 409: an overlap.
    expect_status(app.put_prefix("rg", "c", "bad", "45.60.8.0/33").await, 400);
    expect_status(app.put_prefix("rg", "none", "p", "45.60.9.0/24").await, 404);
    app.create_prefix("rg", "c", "p1", "45.60.8.0/24").await;
    expect_status(app.put_prefix("rg", "c", "p2", "45.60.8.0/25").await, 409);

    let failed = log(&app, "&status=Failed").await;
    let got: Vec<(String, u64, String, String)> = failed
        .iter()
        .map(|r| {
            (
                r["operationName"].as_str().unwrap().to_owned(),
                r["httpStatus"].as_u64().unwrap(),
                r["subStatus"].as_str().unwrap().to_owned(),
                r["caller"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let prefix_write = "Microsoft.Peering/peeringServices/prefixes/write".to_string();
    assert_eq!(got[0].0, prefix_write);
    assert_eq!((got[0].1, got[0].3.as_str()), (409, "ops-automation"));
    assert_eq!((got[1].1, got[2].1), (404, 400));
    assert_eq!(
        (got[3].1, got[3].2.as_str()),
        (412, "PreconditionFailed"),
        "{failed:?}"
    );
    assert_eq!((got[4].1, got[4].3.as_str()), (403, "noc-dashboard"));
    assert_eq!(got.len(), 5);
    for r in &failed {
        assert!(r.get("changeType").is_none(), "{r}");
        assert!(!r["message"].as_str().unwrap().is_empty());
    }
    // Nothing of the refused writes was stored: the one prefix, the tags as they were.
    let (prefixes, _) = app.list_all(&app.url("rg", "c", "/prefixes")).await;
    assert_eq!(prefixes.len(), 1);
    assert!(app.get_json(&conn).await.get("tags").is_none());
    // Reads are not on the record.
    app.get(&conn).await;
    assert_eq!(log(&app, "").await.len(), 2 + 5);
}

/// A connection's delete keeps its last representation with everything that went with it;
/// one record has both snapshots.
#[tokio::test]
async fn a_delete_keeps_the_connection_with_its_children() {
    let app = app().await;
    let conn = app.service_url("rg", "c");
    let mut body = connection_body();
    body["tags"] = json!({"team": "net"});
    expect_status(app.put_json(&conn, &body).await, 201);
    app.create_prefix("rg", "c", "p1", "45.60.8.0/24").await;
    app.create_monitor_test("rg", "c", "t1").await;
    expect_status(
        app.put_json(&app.url("rg", "c", "/alertRules/r1"), &rule_body())
            .await,
        201,
    );
    expect_status(app.delete(&conn).await, 200);

    let deleted = log(&app, "&operation=Microsoft.Peering/peeringServices/delete").await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["changeType"], "Delete");
    assert!(
        deleted[0].get("beforeSnapshot").is_none(),
        "a list has no snapshots"
    );
    let id = deleted[0]["eventDataId"].as_str().unwrap();
    let one = app
        .get_json(&format!(
            "{}/{id}?{API}",
            app.sub_url("activityLog").split('?').next().unwrap()
        ))
        .await;
    let before = &one["beforeSnapshot"];
    assert_eq!(before["name"], "c");
    assert_eq!(before["tags"]["team"], "net");
    assert_eq!(before["properties"]["peeringServiceLocation"], "Washington");
    let kids = &before["children"];
    assert_eq!(kids["prefixes"][0]["properties"]["prefix"], "45.60.8.0/24");
    assert_eq!(kids["connectionMonitorTests"][0]["name"], "t1");
    assert_eq!(kids["alertRules"][0]["properties"]["kind"], "PrefixFailed");
    assert!(one.get("afterSnapshot").is_none());
    // The model reads it back as what is needed to restore it.
    let (service, children) =
        peering_model::activity::deleted_connection(before).expect("a deleted connection");
    assert_eq!(service.name.as_deref(), Some("c"));
    assert_eq!(children.prefixes.len(), 1);
    // An id that is not kept.
    let missing = format!(
        "{}/nope?{API}",
        app.sub_url("activityLog").split('?').next().unwrap()
    );
    arm_error(app.get(&missing).await, 404).await;
}

#[tokio::test]
async fn every_filter_narrows_and_pages_follow() {
    let app = app().await;
    for (rg, name) in [("rg-a", "c1"), ("rg-a", "c2"), ("rg-b", "c3")] {
        app.create_connection(rg, name).await;
    }
    app.create_prefix("rg-a", "c1", "p1", "45.60.8.0/24").await;
    let res = app
        .send_as(
            READER,
            Method::DELETE,
            &app.service_url("rg-b", "c3"),
            &[],
            None,
        )
        .await;
    expect_status(res, 403);
    expect_status(app.delete(&app.service_url("rg-a", "c2")).await, 200);

    assert_eq!(log(&app, "").await.len(), 6);
    assert_eq!(log(&app, "&resourceGroup=RG-A").await.len(), 4);
    assert_eq!(log(&app, "&caller=noc-dashboard").await.len(), 1);
    assert_eq!(
        log(&app, "&status=Succeeded&resourceGroup=rg-b")
            .await
            .len(),
        1
    );
    let c1 = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-a/providers/Microsoft.Peering/peeringServices/C1"
    );
    let history = log(&app, &format!("&resourceUri={c1}")).await;
    assert_eq!(
        ops(&history),
        [
            (
                "Microsoft.Peering/peeringServices/prefixes/write".into(),
                "Succeeded".into()
            ),
            (
                "Microsoft.Peering/peeringServices/write".into(),
                "Succeeded".into()
            ),
        ],
        "a connection's history holds its children's records"
    );
    // A prefix of a name is not its child.
    app.create_connection("rg-a", "c10").await;
    assert_eq!(log(&app, &format!("&resourceUri={c1}")).await.len(), 2);
    // Time bounds.
    assert_eq!(log(&app, "&from=2100-01-01T00:00:00Z").await.len(), 0);
    assert_eq!(log(&app, "&to=2000-01-01T00:00:00Z").await.len(), 0);
    // Pages of two, newest first, none repeated.
    let (items, pages) = app.list_all(&log_url(&app, "&$top=2")).await;
    assert_eq!((items.len(), pages), (7, 4));
    let ids: std::collections::HashSet<&str> = items
        .iter()
        .map(|r| r["eventDataId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 7);
    let times: Vec<&str> = items
        .iter()
        .map(|r| r["eventTimestamp"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    // Bad parameters name themselves.
    for (q, target) in [
        ("&operation=Microsoft.Peering/nothing", "operation"),
        ("&status=Maybe", "status"),
        ("&from=yesterday", "from"),
        ("&$skipToken=zz", "$skipToken"),
    ] {
        let (_, _, t) = arm_error(app.get(&log_url(&app, q)).await, 400).await;
        assert_eq!(t.as_deref(), Some(target), "{q}");
    }
}

#[tokio::test]
async fn only_readers_of_the_subscription_read_its_log() {
    let app = app().await;
    app.create_connection("rg", "c").await;
    expect_status(
        app.send_as(READER, Method::GET, &log_url(&app, ""), &[], None)
            .await,
        200,
    );
    for token in [OTHER_READER, COLLECTOR] {
        let res = app
            .send_as(token, Method::GET, &log_url(&app, ""), &[], None)
            .await;
        expect_status(res, 403);
    }
    let events = events_url(&app, "eventTimestamp ge '2000-01-01T00:00:00Z'");
    expect_status(
        app.send_as(OTHER_READER, Method::GET, &events, &[], None)
            .await,
        403,
    );
    expect_status(
        app.send_as(READER, Method::GET, &events, &[], None).await,
        200,
    );
}

fn events_url(app: &TestApp, filter: &str) -> String {
    format!(
        "{}/subscriptions/{SUB}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01&$filter={}",
        app.base,
        percent_encoding::utf8_percent_encode(filter, percent_encoding::NON_ALPHANUMERIC)
    )
}

#[tokio::test]
async fn azure_activity_log_api_answers_in_event_data_shape() {
    let app = app().await;
    app.create_connection("rg-a", "c1").await;
    app.create_connection("rg-b", "c2").await;
    let res = app
        .send(
            Method::PATCH,
            &app.service_url("rg-b", "c2"),
            &[
                ("If-Match", "\"stale\""),
                ("x-ms-correlation-request-id", "corr-9"),
            ],
            Some(&json!({"tags": {}})),
        )
        .await;
    expect_status(res, 412);
    let window =
        "eventTimestamp ge '2000-01-01T00:00:00Z' and eventTimestamp le '2100-01-01T00:00:00Z'";
    let all = app.get_json(&events_url(&app, window)).await;
    let events = all["value"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    let failed = &events[0];
    assert_eq!(failed["status"]["value"], "Failed");
    assert_eq!(failed["subStatus"]["value"], "PreconditionFailed");
    assert_eq!(failed["level"], "Error");
    assert_eq!(
        failed["operationName"]["value"],
        "Microsoft.Peering/peeringServices/write"
    );
    assert_eq!(failed["correlationId"], "corr-9");
    assert_eq!(failed["httpRequest"]["method"], "PATCH");
    assert_eq!(failed["caller"], "ops-automation");
    assert_eq!(failed["resourceGroupName"], "rg-b");
    assert_eq!(failed["resourceProviderName"]["value"], "Microsoft.Peering");
    assert_eq!(failed["subscriptionId"], SUB);
    let created = &events[2];
    assert_eq!(created["status"]["value"], "Succeeded");
    assert_eq!(created["level"], "Informational");
    assert_eq!(created["subStatus"]["value"], "Created");
    assert!(created["id"].as_str().unwrap().contains("/events/"));
    // One equality beside the window, each of them.
    let count = |f: String| {
        let url = events_url(&app, &format!("{window} and {f}"));
        let app = &app;
        async move { app.get_json(&url).await["value"].as_array().unwrap().len() }
    };
    assert_eq!(count("resourceGroupName eq 'RG-A'".into()).await, 1);
    let c2 = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-b/providers/Microsoft.Peering/peeringServices/c2"
    );
    assert_eq!(count(format!("resourceUri eq '{c2}'")).await, 2);
    assert_eq!(
        count("resourceProvider eq 'Microsoft.Peering'".into()).await,
        3
    );
    assert_eq!(
        count("resourceProvider eq 'Microsoft.Compute'".into()).await,
        0
    );
    assert_eq!(count("correlationId eq 'corr-9'".into()).await, 1);
    assert_eq!(count("caller eq 'ops-automation'".into()).await, 3);
    assert_eq!(count("caller eq 'someone-else'".into()).await, 0);
    // $select keeps only what it names.
    let url = format!(
        "{}&$select=eventTimestamp,operationName",
        events_url(&app, window)
    );
    let selected = app.get_json(&url).await;
    let keys: Vec<&String> = selected["value"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["eventTimestamp", "operationName"]);
    // Pages follow nextLink.
    let (items, pages) = app
        .list_all(&format!("{}&$top=1", events_url(&app, window)))
        .await;
    assert_eq!((items.len(), pages), (3, 3));
    // What Azure would refuse is refused with a clear 400.
    for bad in [
        "eventTimestamp ge '2000-01-01T00:00:00Z' and status eq 'Failed'".to_string(),
        format!("{window} and caller eq 'a' and resourceGroupName eq 'b'"),
        "caller eq 'ops-automation'".to_string(),
    ] {
        let (code, msg, target) = arm_error(app.get(&events_url(&app, &bad)).await, 400).await;
        assert_eq!(
            (code.as_str(), target.as_deref()),
            ("InvalidFilter", Some("$filter")),
            "{msg}"
        );
    }
    let wrong_version = events_url(&app, window).replace("2015-04-01", "2022-10-01");
    let (_, _, target) = arm_error(app.get(&wrong_version).await, 400).await;
    assert_eq!(target.as_deref(), Some("api-version"));
    let bad_select = format!("{}&$select=nope", events_url(&app, window));
    let (_, _, target) = arm_error(app.get(&bad_select).await, 400).await;
    assert_eq!(target.as_deref(), Some("$select"));
}

#[tokio::test]
async fn records_are_kept_for_their_retention_only() {
    NOW.store(T, Ordering::SeqCst);
    let app = app_with(peering_server::Settings {
        wall_clock: clock,
        ..Default::default()
    })
    .await;
    app.create_connection("rg", "old").await;
    NOW.store(T + 60 * 86_400, Ordering::SeqCst);
    app.create_connection("rg", "new").await;
    assert_eq!(log(&app, "").await.len(), 2);
    // 91 days after the first: it is no longer served, though not yet removed.
    NOW.store(T + 91 * 86_400, Ordering::SeqCst);
    let kept = log(&app, "").await;
    assert_eq!(kept.len(), 1);
    assert!(kept[0]["resourceId"].as_str().unwrap().ends_with("/new"));
    let stored = "SELECT COUNT(*) FROM activity";
    assert_eq!(app.sql(stored).await, ["2"]);
    // Expiry removes exactly what is past retention, from the oldest end.
    let store = open_store(app.dir.path()).await;
    let removed = peering_server::activity_expiry::expire(&store, 90 * 86_400, clock() * 1000)
        .await
        .unwrap();
    assert_eq!(removed, 1);
    assert_eq!(app.sql(stored).await, ["1"]);
}

/// A write whose transaction fails is not acknowledged and leaves nothing, its record
/// included: here the record itself cannot be written.
#[tokio::test]
async fn no_write_is_acknowledged_without_its_record() {
    let app = app().await;
    if !on_sqlite("no_write_is_acknowledged_without_its_record") {
        return;
    }
    let db = rusqlite::Connection::open(app.db_path()).unwrap();
    db.execute_batch("CREATE TRIGGER no_records BEFORE INSERT ON activity BEGIN SELECT RAISE(ABORT, 'the record cannot be written'); END;")
        .unwrap();
    let conn = app.service_url("rg", "c");
    expect_status(app.put_json(&conn, &connection_body()).await, 500);
    arm_error(app.get(&conn).await, 404).await;
    db.execute_batch("DROP TRIGGER no_records;").unwrap();
    assert_eq!(app.sql("SELECT COUNT(*) FROM activity").await, ["0"]);
}

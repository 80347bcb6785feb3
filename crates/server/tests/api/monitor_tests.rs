use crate::helpers::*;
use serde_json::{json, Value};

#[tokio::test]
async fn create_replace_read_list_delete() {
    let app = spawn_app().await;
    app.create_connection("rg1", "c").await;
    let url = app.test_url("rg1", "c", "Latency-Check");
    let res = app.put_json(&url, &monitor_test_body()).await;
    assert_eq!(res.status().as_u16(), 201);
    assert!(res.headers().get("etag").is_some());
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["name"], "Latency-Check");
    assert_eq!(
        got["type"],
        "Microsoft.Peering/peeringServices/connectionMonitorTests"
    );
    assert_eq!(
        got["properties"],
        json!({"sourceAgent": "agent-1", "destination": "1.1.1.1", "destinationPort": 443, "testFrequencyInSec": 30,
               "provisioningState": "Succeeded"}),
        "no result yet: neither isTestSuccessful nor path is made up"
    );

    let body = json!({"properties": {"sourceAgent": "agent-2", "destination": "www.example.com", "destinationPort": 80, "testFrequencyInSec": 60, "isTestSuccessful": true}});
    let res = app
        .put_json(&app.test_url("rg1", "C", "latency-check"), &body)
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let got = app.get_json(&url).await;
    assert_eq!(got["name"], "Latency-Check");
    assert_eq!(got["properties"]["destination"], "www.example.com");
    assert_eq!(got["properties"]["destinationPort"], 80);
    assert_eq!(
        got["properties"]["isTestSuccessful"],
        Value::Null,
        "read-only fields are ignored: a client cannot claim a result"
    );

    app.create_monitor_test("rg1", "c", "another").await;
    let (items, _) = app
        .list_all(&app.url("rg1", "c", "/connectionMonitorTests"))
        .await;
    let names: Vec<&str> = items.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["another", "Latency-Check"]);

    let v2025 = app.get_json(&with_version(&url, "2025-05-01")).await;
    assert_eq!(v2025["systemData"]["createdByType"], "Application");
    assert!(got.get("systemData").is_none());

    app.delete_and_check_gone(&url).await;
}

#[tokio::test]
async fn invalid_tests_name_the_field() {
    let app = spawn_app().await;
    app.create_connection("rg1", "c").await;
    let with = |k: &str, v: Value| {
        let mut b = monitor_test_body();
        b["properties"][k] = v;
        b
    };
    let cases = [
        (
            with("sourceAgent", json!(" ")),
            "InvalidSourceAgent",
            "properties.sourceAgent",
        ),
        (
            with("destination", json!("not a host!")),
            "InvalidDestination",
            "properties.destination",
        ),
        (
            with("destinationPort", json!(0)),
            "InvalidPort",
            "properties.destinationPort",
        ),
        (
            with("destinationPort", json!(65536)),
            "InvalidPort",
            "properties.destinationPort",
        ),
        (
            with("testFrequencyInSec", json!(10)),
            "InvalidFrequency",
            "properties.testFrequencyInSec",
        ),
        (
            with("destinationPort", json!("443")),
            "InvalidRequestContent",
            "properties.destinationPort",
        ),
        (
            with("destinationPort", json!(4.5)),
            "InvalidRequestContent",
            "properties.destinationPort",
        ),
        (
            with("destinationPort", json!(2_147_483_648_i64)),
            "InvalidRequestContent",
            "properties.destinationPort",
        ),
        (
            with("testFrequencyInSec", json!(1e30)),
            "InvalidRequestContent",
            "properties.testFrequencyInSec",
        ),
        (
            json!({"properties": {}}),
            "InvalidSourceAgent",
            "properties.sourceAgent",
        ),
    ];
    for (body, code, target) in cases {
        put_refused(&app, &app.test_url("rg1", "c", "t"), &body, code, target).await;
    }
    // 2025-05-01 lists every finding.
    let url = with_version(&app.test_url("rg1", "c", "t"), "2025-05-01");
    let res = app
        .put_json(&url, &json!({"properties": {"destinationPort": 0}}))
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["details"].as_array().unwrap().len(), 4);
    let (tests, _) = app
        .list_all(&app.url("rg1", "c", "/connectionMonitorTests"))
        .await;
    assert!(tests.is_empty());
}

/// A missing (or null) port or frequency is "required", not "port 0 is out of range".
#[tokio::test]
async fn a_missing_port_or_frequency_is_required() {
    let app = spawn_app().await;
    app.create_connection("rg1", "c").await;
    let url = app.test_url("rg1", "c", "t");
    for (field, message) in [
        (
            "destinationPort",
            "The destination port is required (1–65535).",
        ),
        (
            "testFrequencyInSec",
            "The test frequency is required (30–86400 seconds).",
        ),
    ] {
        let mut absent = monitor_test_body();
        absent["properties"].as_object_mut().unwrap().remove(field);
        let mut null = monitor_test_body();
        null["properties"][field] = Value::Null;
        for body in [absent, null] {
            let target = format!("properties.{field}");
            let got = put_refused(&app, &url, &body, "Required", &target).await;
            assert_eq!(got, message, "{body}");
        }
    }
    // With 2025-05-01 both are listed, each as required.
    let res = app
        .put_json(
            &with_version(&url, "2025-05-01"),
            &json!({"properties": {"sourceAgent": "a", "destination": "1.1.1.1"}}),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    let details: Vec<(&str, &str)> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["target"].as_str().unwrap()))
        .collect();
    assert_eq!(
        details,
        [
            ("Required", "properties.destinationPort"),
            ("Required", "properties.testFrequencyInSec")
        ]
    );
}

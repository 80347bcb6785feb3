use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;

#[tokio::test]
async fn create_read_update_list_delete() {
    let app = spawn_app().await;
    app.create_connection("rg1", "Conn-A").await;
    let url = app.prefix_url("rg1", "conn-a", "Office-Net");
    let body = json!({"properties": {"prefix": "8.8.8.0/24", "peeringServicePrefixKey": "00000000-0000-0000-0000-00000000abcd", "prefixValidationState": "Verified"}});
    let res = app.put_json(&url, &body).await;
    assert_eq!(res.status().as_u16(), 201);
    assert!(res.headers().get("etag").is_some());
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["name"], "Office-Net");
    assert_eq!(got["type"], "Microsoft.Peering/peeringServices/prefixes");
    assert_eq!(
        got["id"],
        format!("/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Peering/peeringServices/Conn-A/prefixes/Office-Net")
    );
    let p = &got["properties"];
    assert_eq!(p["prefix"], "8.8.8.0/24");
    assert_eq!(
        p["prefixValidationState"], "Pending",
        "read-only fields in the body are ignored"
    );
    assert_eq!(p["learnedType"], "None");
    assert_eq!(p["provisioningState"], "Succeeded");
    assert_eq!(
        p["peeringServicePrefixKey"],
        "00000000-0000-0000-0000-00000000abcd"
    );
    assert!(p.get("events").is_none(), "events only with $expand");
    assert!(
        got.get("systemData").is_none(),
        "systemData only with 2025-05-01"
    );

    // Same value again (other casing of the name): 200, the first casing stays.
    let res = app
        .put_prefix("RG1", "CONN-A", "office-net", "8.8.8.0/24")
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["name"], "Office-Net");
    assert!(
        got["properties"].get("peeringServicePrefixKey").is_none(),
        "PUT replaces the key"
    );

    // $expand=events in any case, in any order of the query. There is no route telemetry for
    // the prefix, so there are no events: an empty list, nothing made up.
    let expand_url = format!("{url}&$expand=Events");
    let got = app.get_json(&expand_url).await;
    assert_eq!(got["properties"]["events"], json!([]));
    let without = app.get_json(&url).await;
    assert!(without["properties"].get("events").is_none());
    let (code, _, target) = arm_error(app.get(&format!("{url}&$expand=routes")).await, 400).await;
    assert_eq!(
        (code.as_str(), target.as_deref()),
        ("InvalidParameter", Some("$expand"))
    );

    // A second prefix; the list is in name order; with $expand every item has its events.
    app.create_prefix("rg1", "Conn-A", "a-first", "9.9.0.0/16")
        .await;
    let list_url = app.url("rg1", "Conn-A", "/prefixes");
    let list = app.get_json(&list_url).await;
    let items = list["value"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a-first", "Office-Net"]);
    assert!(items
        .iter()
        .all(|v| v["properties"].get("events").is_none()));
    let list = app.get_json(&format!("{list_url}&$expand=events")).await;
    let items = list["value"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|v| v["properties"]["events"] == json!([])));

    app.delete_and_check_gone(&url).await;
}

#[tokio::test]
async fn invalid_prefixes_name_the_field_with_the_model_message() {
    let app = spawn_app().await;
    app.create_connection("rg1", "c").await;
    let cases: [(&str, Value, &str, &str); 9] = [
        (
            "p",
            json!({"properties": {"prefix": "10.0.0.0/8"}}),
            "PrefixNotPublic",
            "properties.prefix",
        ),
        (
            "p",
            json!({"properties": {"prefix": "2001:db8::/32"}}),
            "InvalidPrefix",
            "properties.prefix",
        ),
        (
            "p",
            json!({"properties": {"prefix": "8.8.8.8/24"}}),
            "PrefixNotCanonical",
            "properties.prefix",
        ),
        (
            "p",
            json!({"properties": {}}),
            "Required",
            "properties.prefix",
        ),
        ("p", json!({}), "Required", "properties.prefix"),
        (
            "p",
            json!({"properties": {"prefix": "8.8.8.0/24", "peeringServicePrefixKey": "not-a-guid"}}),
            "InvalidPrefixKey",
            "properties.peeringServicePrefixKey",
        ),
        (
            "p",
            json!({"properties": {"prefix": 8}}),
            "InvalidRequestContent",
            "properties.prefix",
        ),
        (
            "bad%20name",
            json!({"properties": {"prefix": "8.8.8.0/24"}}),
            "InvalidName",
            "name",
        ),
        (
            "p",
            json!({"properties": []}),
            "InvalidRequestContent",
            "properties",
        ),
    ];
    for (name, body, code, target) in cases {
        put_refused(&app, &app.prefix_url("rg1", "c", name), &body, code, target).await;
    }
    // The server's words are the model's.
    let (_, message, _) = arm_error(app.put_prefix("rg1", "c", "p", "8.8.8.8/24").await, 400).await;
    let expected = peering_model::prefix::Ipv4Prefix::parse("8.8.8.8/24")
        .unwrap_err()
        .message;
    assert_eq!(message, expected);
    let (items, _) = app.list_all(&app.url("rg1", "c", "/prefixes")).await;
    assert!(items.is_empty(), "nothing was written");
    // A prefix longer than /24 only warns: it is stored.
    app.create_prefix("rg1", "c", "small", "8.8.4.128/25").await;
}

#[tokio::test]
async fn overlapping_prefixes_are_refused_naming_the_other() {
    let app = spawn_app().await;
    app.create_connection("rg1", "Seattle").await;
    app.create_connection("rg2", "Boston").await;
    app.create_prefix("rg1", "Seattle", "hq", "20.1.0.0/16")
        .await;
    for (value, verb) in [
        ("20.1.0.0/16", "is already registered as"),
        ("20.1.2.0/24", "lies inside"),
        ("20.0.0.0/8", "contains"),
        ("0.0.0.0/0", "contains"),
    ] {
        let res = app.put_prefix("rg2", "Boston", "x", value).await;
        if value == "0.0.0.0/0" {
            // Covers private blocks: the value check comes first.
            let (code, _, _) = arm_error(res, 400).await;
            assert_eq!(code, "PrefixNotPublic");
            continue;
        }
        let (code, message, target) = arm_error(res, 409).await;
        assert_eq!(code, "PrefixOverlaps");
        assert_eq!(target.as_deref(), Some("properties.prefix"));
        assert!(message.contains(verb), "{message}");
        assert!(
            message.contains("(prefix 'hq' of connection 'rg1/Seattle')"),
            "{message}"
        );
    }
    // Within the same connection too.
    let (code, _, _) = arm_error(
        app.put_prefix("rg1", "Seattle", "other", "20.1.128.0/17")
            .await,
        409,
    )
    .await;
    assert_eq!(code, "PrefixOverlaps");
    // Neighbours that do not overlap are fine, on both sides.
    app.create_prefix("rg2", "Boston", "below", "20.0.255.0/24")
        .await;
    app.create_prefix("rg2", "Boston", "above", "20.2.0.0/16")
        .await;
    // Another subscription has its own prefixes.
    let other = app
        .prefix_url("rg1", "Seattle", "hq")
        .replace(SUB, OTHER_SUB);
    let conn_other = app.service_url("rg1", "Seattle").replace(SUB, OTHER_SUB);
    let body = json!({"properties": {"prefix": "20.1.0.0/16"}});
    for (url, body) in [(conn_other, connection_body()), (other, body)] {
        let res = app
            .send_as(ADMIN, Method::PUT, &url, &[], Some(&body))
            .await;
        expect_status(res, 201);
    }
}

#[tokio::test]
async fn details_list_every_overlap_with_2025_05_01_only() {
    let app = spawn_app().await;
    app.create_connection("rg1", "c").await;
    app.create_prefix("rg1", "c", "a", "20.1.0.0/16").await;
    app.create_prefix("rg1", "c", "b", "20.2.0.0/16").await;
    let url = with_version(&app.prefix_url("rg1", "c", "wide"), "2025-05-01");
    let res = app
        .put_json(&url, &json!({"properties": {"prefix": "20.0.0.0/8"}}))
        .await;
    assert_eq!(res.status().as_u16(), 409);
    let body: Value = res.json().await.unwrap();
    let details = body["error"]["details"]
        .as_array()
        .expect("details with 2025-05-01");
    assert_eq!(details.len(), 2);
    assert!(details
        .iter()
        .all(|d| d["code"] == "PrefixOverlaps" && d["target"] == "properties.prefix"));
    let res = app.put_prefix("rg1", "c", "wide", "20.0.0.0/8").await;
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"].get("details").is_none(),
        "no details before 2025-05-01"
    );
}

#[tokio::test]
async fn a_prefix_value_cannot_change() {
    let app = spawn_app().await;
    app.create_connection("rg1", "c").await;
    app.create_prefix("rg1", "c", "p", "8.8.8.0/24").await;
    let (code, message, target) =
        arm_error(app.put_prefix("rg1", "c", "p", "8.8.9.0/24").await, 409).await;
    assert_eq!(code, "PrefixImmutable");
    assert_eq!(target.as_deref(), Some("properties.prefix"));
    assert_eq!(
        message,
        "Prefix 'p' is 8.8.8.0/24 and cannot be changed to 8.8.9.0/24; delete it and re-create it."
    );
    let got = app.get_json(&app.prefix_url("rg1", "c", "p")).await;
    assert_eq!(got["properties"]["prefix"], "8.8.8.0/24");
}

/// A stored value that no longer parses (written by something else than this server) cannot
/// be changed either; the refusal is the model's, naming the value as stored.
#[tokio::test]
async fn an_unreadable_stored_value_cannot_change_either() {
    let app = spawn_app().await;
    app.create_connection("rg1", "c").await;
    app.create_prefix("rg1", "c", "p", "8.8.8.0/24").await;
    let changed = app
        .sql("UPDATE prefixes SET prefix = '8.8.8.0/24 (old)' WHERE name = 'p' RETURNING name")
        .await;
    assert_eq!(changed, ["p"]);
    let (code, message, target) =
        arm_error(app.put_prefix("rg1", "c", "p", "8.8.8.0/24").await, 409).await;
    assert_eq!(
        (code.as_str(), target.as_deref()),
        ("PrefixImmutable", Some("properties.prefix"))
    );
    let model = peering_model::prefix::immutable_finding(
        "p",
        "8.8.8.0/24 (old)",
        peering_model::prefix::Ipv4Prefix::parse("8.8.8.0/24").unwrap(),
    );
    assert_eq!(message, model.message);
    assert_eq!(
        message,
        "Prefix 'p' is 8.8.8.0/24 (old) and cannot be changed to 8.8.8.0/24; delete it and re-create it."
    );
}

/// A prefix is identified by its resource group, connection and name: the prefix `p` of
/// connection `c` in another resource group is another prefix, so the same value there
/// overlaps (naming the resource group), and another value is no change of the first one.
#[tokio::test]
async fn the_same_names_in_another_resource_group_are_another_prefix() {
    let app = spawn_app().await;
    app.create_connection("rg1", "c").await;
    app.create_connection("rg2", "c").await;
    app.create_prefix("rg1", "c", "p", "8.8.8.0/24").await;
    let (code, message, _) =
        arm_error(app.put_prefix("rg2", "c", "p", "8.8.8.0/24").await, 409).await;
    assert_eq!(code, "PrefixOverlaps");
    assert_eq!(
        message,
        "8.8.8.0/24 is already registered as 8.8.8.0/24 (prefix 'p' of connection 'rg1/c'); prefixes of a subscription must not overlap."
    );
    app.create_prefix("rg2", "c", "p", "9.9.9.0/24").await;
    // Re-sending a stored prefix is not an overlap with itself, whatever the casing.
    let res = app.put_prefix("RG2", "C", "P", "9.9.9.0/24").await;
    assert_eq!(res.status().as_u16(), 200);
    let (code, message, _) =
        arm_error(app.put_prefix("Rg1", "c", "p", "9.9.9.0/24").await, 409).await;
    assert_eq!(code, "PrefixImmutable", "{message}");
}

#[tokio::test]
async fn missing_parent_is_404_for_every_child_operation() {
    let app = spawn_app().await;
    let body = json!({"properties": {"prefix": "8.8.8.0/24"}});
    let checks = [
        app.put_json(&app.prefix_url("rg1", "nope", "p"), &body)
            .await,
        app.get(&app.prefix_url("rg1", "nope", "p")).await,
        app.delete(&app.prefix_url("rg1", "nope", "p")).await,
        app.get(&app.url("rg1", "nope", "/prefixes")).await,
        app.put_json(&app.test_url("rg1", "nope", "t"), &monitor_test_body())
            .await,
        app.get(&app.test_url("rg1", "nope", "t")).await,
        app.delete(&app.test_url("rg1", "nope", "t")).await,
        app.get(&app.url("rg1", "nope", "/connectionMonitorTests"))
            .await,
    ];
    for res in checks {
        let (code, message, _) = arm_error(res, 404).await;
        assert_eq!(code, "ParentResourceNotFound");
        assert!(
            message.contains("'Microsoft.Peering/peeringServices/nope'"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn deleting_a_connection_deletes_its_prefixes_events_and_tests() {
    let app = spawn_app().await;
    app.create_connection("rg1", "c").await;
    app.create_prefix("rg1", "c", "p", "8.8.8.0/24").await;
    app.insert_prefix_event("rg1", "c", "p", 1, "PrefixAnnouncementEvent")
        .await;
    app.create_monitor_test("rg1", "c", "t").await;
    expect_status(app.delete(&app.service_url("rg1", "c")).await, 200);
    app.create_connection("rg1", "c").await;
    let (prefixes, _) = app.list_all(&app.url("rg1", "c", "/prefixes")).await;
    let (tests, _) = app
        .list_all(&app.url("rg1", "c", "/connectionMonitorTests"))
        .await;
    assert!(prefixes.is_empty() && tests.is_empty());
    // The value is free again, and the new prefix has none of the old one's events.
    app.create_prefix("rg1", "c", "p", "8.8.8.0/24").await;
    let got = app
        .get_json(&format!(
            "{}&$expand=events",
            app.prefix_url("rg1", "c", "p")
        ))
        .await;
    assert_eq!(got["properties"]["events"], json!([]));
}

/// Events are route telemetry stored for a prefix (ingestion is not part of the API): they are
/// sent in order with `$expand=events` only, and the ETag covers them.
#[tokio::test]
async fn events_come_from_stored_telemetry() {
    let app = spawn_app().await;
    app.create_connection("rg1", "Conn").await;
    app.create_prefix("rg1", "Conn", "P", "8.8.8.0/24").await;
    let url = app.prefix_url("rg1", "Conn", "P");
    let before = app.get(&url).await.headers()["etag"].clone();
    app.insert_prefix_event("RG1", "conn", "p", 2, "PrefixActivePath")
        .await;
    app.insert_prefix_event("rg1", "Conn", "P", 1, "PrefixAnnouncementEvent")
        .await;
    let got = app.get_json(&format!("{url}&$expand=events")).await;
    let events = got["properties"]["events"].as_array().expect("events");
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["PrefixActivePath", "PrefixAnnouncementEvent"],
        "newest first"
    );
    assert_eq!(
        events[1],
        json!({"eventTimestamp": "2025-03-04T05:06:07Z", "eventType": "PrefixAnnouncementEvent", "eventSummary": "Route seen",
               "eventLevel": "Information", "eventDescription": "Learned from the provider's BGP session."})
    );
    assert!(app.get_json(&url).await["properties"]
        .get("events")
        .is_none());
    let res = app.get(&url).await;
    assert_ne!(res.headers()["etag"], before, "the ETag covers the events");
    let list = app
        .get_json(&format!(
            "{}&$expand=events",
            app.url("rg1", "Conn", "/prefixes")
        ))
        .await;
    assert_eq!(
        list["value"][0]["properties"]["events"],
        got["properties"]["events"]
    );
}

/// 50 PUTs of mutually overlapping prefixes into 50 connections at once: the writer lock and
/// the transaction let exactly one in, and every other one is told which.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_overlapping_puts_leave_exactly_one() {
    let app = Arc::new(spawn_app().await);
    let results = race_overlapping_prefixes(std::slice::from_ref(&app), "rg1", "30.0.0.0").await;
    let winners: Vec<_> = results.iter().filter(|r| r.1 == 201).collect();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        results.iter().map(|r| r.1).collect::<Vec<_>>()
    );
    let w = winners[0].0;
    for (i, status, body) in &results {
        if *i == w {
            continue;
        }
        assert_eq!(*status, 409, "{body}");
        assert_eq!(body["error"]["code"], "PrefixOverlaps");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("prefix 'pfx-{w}' of connection 'rg1/conn-{w}'")),
            "{message}"
        );
    }
    // And only the winner is stored.
    let mut stored = 0;
    for i in 0..50 {
        let (items, _) = app
            .list_all(&app.url("rg1", &format!("conn-{i}"), "/prefixes"))
            .await;
        stored += items.len();
    }
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn system_data_with_2025_05_01() {
    let app = spawn_app().await;
    app.create_connection("rg1", "c").await;
    let url = with_version(&app.prefix_url("rg1", "c", "p"), "2025-05-01");
    let res = app
        .put_json(&url, &json!({"properties": {"prefix": "8.8.8.0/24"}}))
        .await;
    let got: Value = res.json().await.unwrap();
    let sd = &got["systemData"];
    assert_eq!(sd["createdByType"], "Application");
    assert!(sd["createdBy"].as_str().unwrap().starts_with("token-"));
    assert_eq!(sd["createdAt"], sd["lastModifiedAt"]);
    let got = app
        .get_json(&with_version(
            &app.prefix_url("rg1", "c", "p"),
            "2021-06-01",
        ))
        .await;
    assert!(got.get("systemData").is_none());
}

/// A prefix's history grows without end; a read sends its newest 100 events, newest first.
#[tokio::test]
async fn only_the_newest_events_are_sent() {
    let app = spawn_app().await;
    app.create_connection("rg", "c").await;
    app.create_prefix("rg", "c", "p", "8.8.8.0/24").await;
    for seq in 1..=105 {
        let kind = if seq % 2 == 0 {
            "PrefixWithdrawalEvent"
        } else {
            "PrefixAnnouncementEvent"
        };
        app.insert_prefix_event("rg", "c", "p", seq, kind).await;
    }
    let got = app
        .get_json(&format!(
            "{}&$expand=events",
            app.prefix_url("rg", "c", "p")
        ))
        .await;
    let events = got["properties"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 100);
    // Seq 105 (odd: an announcement) is the newest, seq 6 (even) the oldest kept.
    assert_eq!(events[0]["eventType"], "PrefixAnnouncementEvent");
    assert_eq!(events[99]["eventType"], "PrefixWithdrawalEvent");
}

/// The `peeringServicePrefixSummaries` extension: each connection that has prefixes, with
/// their count per validation state and the prefixes themselves, in (resource group, name)
/// order, paged by connection.
#[tokio::test]
async fn prefix_summaries_count_each_connections_prefixes_by_state() {
    let app = spawn_app().await;
    for (rg, c) in [("rg1", "A"), ("rg1", "b"), ("rg2", "c"), ("rg2", "empty")] {
        app.create_connection(rg, c).await;
    }
    app.create_prefix("rg1", "A", "p1", "8.8.8.0/24").await;
    app.create_prefix("rg1", "A", "p2", "8.8.9.0/24").await;
    app.create_prefix("rg1", "b", "p3", "8.8.10.0/24").await;
    app.create_prefix("rg2", "c", "p4", "8.8.11.0/24").await;
    // Telemetry would move states; here the table is set as it would.
    app.sql("UPDATE prefixes SET validation_state = 'Failed' WHERE name_key = 'p2'")
        .await;
    let url = app.sub_url("peeringServicePrefixSummaries");
    let (all, pages) = app.list_all(&url).await;
    assert_eq!(pages, 1);
    let id = |rg: &str, c: &str| {
        format!("/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Peering/peeringServices/{c}")
    };
    assert_eq!(
        all,
        vec![
            json!({"id": id("rg1", "A"), "prefixCount": 2, "validationStates": {"Failed": 1, "Pending": 1},
                "prefixes": [
                    {"name": "p1", "prefix": "8.8.8.0/24", "prefixValidationState": "Pending"},
                    {"name": "p2", "prefix": "8.8.9.0/24", "prefixValidationState": "Failed"}]}),
            json!({"id": id("rg1", "b"), "prefixCount": 1, "validationStates": {"Pending": 1},
                "prefixes": [{"name": "p3", "prefix": "8.8.10.0/24", "prefixValidationState": "Pending"}]}),
            json!({"id": id("rg2", "c"), "prefixCount": 1, "validationStates": {"Pending": 1},
                "prefixes": [{"name": "p4", "prefix": "8.8.11.0/24", "prefixValidationState": "Pending"}]}),
        ]
    );
    let (paged, pages) = app.list_all(&format!("{url}&$top=1")).await;
    assert_eq!((paged, pages), (all, 3));
    // Another subscription's token sees nothing of this one.
    let res = app
        .send_as(
            READER,
            reqwest::Method::GET,
            &url.replace(SUB, OTHER_SUB),
            &[],
            None,
        )
        .await;
    assert_eq!(res.status().as_u16(), 403);
}

//! Our `/openapi.json` against the router: every path and method it lists is served, every
//! other method of those paths is 405, every route the dispatcher knows is listed, and real
//! answers match the schemas it declares.

use crate::helpers::*;
use peering_server::routes::{kind_of, parse_route, RouteKind};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashMap;

const METHODS: [&str; 7] = ["GET", "PUT", "PATCH", "DELETE", "POST", "HEAD", "OPTIONS"];

async fn document(app: &TestApp) -> Value {
    let res = app.get_public("/openapi.json").await;
    assert_eq!(res.status().as_u16(), 200, "no token needed");
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    res.json().await.unwrap()
}

fn fill(path: &str) -> String {
    path.replace("{subscriptionId}", SUB)
        .replace("{resourceGroupName}", "rg")
        .replace("{peeringServiceName}", "c")
        .replace("{prefixName}", "p")
        .replace("{connectionMonitorTestName}", "t")
        .replace("{alertRuleName}", "a")
        .replace("{eventDataId}", "e")
}

/// A request for each operation that should succeed once `c`, `p` and `t` exist.
fn sample(operation_id: &str) -> (Option<Value>, &'static str) {
    match operation_id {
        "PeeringServices_CreateOrUpdate" => (Some(connection_body()), ""),
        "PeeringServices_Update" => (Some(json!({"tags": {"k": "v"}})), ""),
        "Prefixes_CreateOrUpdate" => (Some(json!({"properties": {"prefix": "8.8.8.0/24"}})), ""),
        "Prefixes_Get" | "Prefixes_ListByPeeringService" => (None, "&$expand=events"),
        "ConnectionMonitorTests_CreateOrUpdate" => (Some(monitor_test_body()), ""),
        "CheckServiceProviderAvailability" => (
            Some(json!({"peeringServiceLocation": "Osaka", "peeringServiceProvider": "IIJ"})),
            "",
        ),
        "PeeringServiceLocations_List" => (None, "&country=japan"),
        "Telemetry_IngestRouteObservations" => (
            Some(
                json!({"value": [{"provider": "Equinix MAPS", "peeringLocation": "Seattle", "router": "r1",
                "address": "10.0.0.1", "prefix": "8.8.8.0/24", "originAsn": 15169, "asPath": [3356, 15169],
                "communities": ["8075:8007"], "announced": true, "timestamp": "2026-11-30T10:00:00Z"}]}),
            ),
            "",
        ),
        "Telemetry_IngestProviderPrefixKeys" => (
            Some(
                json!({"value": [{"provider": "Equinix MAPS", "prefix": "8.8.8.0/24",
                "prefixKey": "6a7f0d42-e49c-4eea-a930-280610671c3f"}]}),
            ),
            "",
        ),
        "Telemetry_IngestLatencySamples" => (
            Some(
                json!({"value": [{"prefix": "8.8.8.0/24", "timestamp": "2026-11-30T10:00:00Z", "rttMs": 12.5, "source": "agent"}]}),
            ),
            "",
        ),
        "PeeringServicePrefixLatency_Get" => (None, "&prefix=8.8.8.0/24&window=6h"),
        "AlertRules_CreateOrUpdate" => (
            Some(json!({"properties": {"kind": "EventLevel", "level": "Warning"}})),
            "",
        ),
        "AlertRules_Get" | "AlertRules_ListByPeeringService" | "AlertRules_Delete" => (None, ""),
        "PeeringServiceAlerts_List" | "AlertWebhookDeliveries_List" => (None, ""),
        "ConnectionMonitorTestResults_List" => (None, "&resourceGroup=rg&peeringService=c&test=t"),
        "Telemetry_IngestMonitorTestResults" => (
            Some(
                json!({"value": [{"resourceGroup": "rg", "peeringService": "c", "test": "t",
                "timestamp": "2026-11-30T10:00:00Z", "success": true, "hops": ["agent", "edge"], "rttMs": 12.5}]}),
            ),
            "",
        ),
        "OpenApi_Get"
        | "Operations_List"
        | "PeeringServices_ListBySubscription"
        | "PeeringServiceCountries_List"
        | "PeeringServiceProviders_List"
        | "PeeringServices_InitializeConnectionMonitor"
        | "PeeringServices_ListByResourceGroup"
        | "PeeringServices_Get"
        | "PeeringServices_Delete"
        | "Prefixes_Delete"
        | "ConnectionMonitorTests_ListByPeeringService"
        | "ConnectionMonitorTests_Get"
        | "ConnectionMonitorTests_Delete"
        | "PeeringServicePrefixSummaries_List" => (None, ""),
        "ActivityLog_List" => (None, "&status=Succeeded"),
        // The id of the newest record is put in the path.
        "ActivityLog_Get" => (None, ""),
        // Its own api-version (the last given is the one read).
        "ActivityLogs_List" => (
            None,
            "&api-version=2015-04-01&$filter=eventTimestamp%20ge%20%272000-01-01T00:00:00Z%27",
        ),
        other => panic!("no sample request for {other}: add one when adding a route"),
    }
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    query: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let url = format!("{}{}?{API}{query}", app.base, fill(path));
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    app.send(method, &url, &[], body).await
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_the_router_serves() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();

    // Every route kind of the dispatcher has exactly one path in the document, and each path
    // parses to the kind it is listed for (also with namespace and types in other casing).
    let mut kinds: HashMap<RouteKind, &String> = HashMap::new();
    for path in paths.keys() {
        let kind = if path == "/openapi.json" {
            RouteKind::OpenApi
        } else {
            let kind = kind_of(
                &parse_route(&fill(path)).unwrap_or_else(|e| panic!("{path} does not route: {e}")),
            );
            let shouting = fill(path)
                .replace("Microsoft.Peering", "MICROSOFT.peering")
                .replace("peeringServices", "PeeringServices")
                .replace("prefixes", "Prefixes");
            assert_eq!(
                kind_of(&parse_route(&shouting).unwrap()),
                kind,
                "{shouting}"
            );
            kind
        };
        assert_eq!(kind.spec().path, path);
        assert!(kinds.insert(kind, path).is_none(), "{kind:?} twice");
    }
    for kind in RouteKind::ALL {
        assert!(
            kinds.contains_key(&kind),
            "{kind:?} is not in /openapi.json"
        );
    }

    // Every method of every path: served when listed, else 405 with the listed methods.
    app.create_connection("rg", "c").await;
    for (path, item) in paths {
        let listed: Vec<String> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_ascii_uppercase())
            .collect();
        for method in METHODS {
            let res = send(&app, method, path, "", Some(&json!({}))).await;
            let status = res.status().as_u16();
            if listed.iter().any(|m| m == method) {
                assert_ne!(status, 405, "{method} {path} is listed but not served");
                let code = res
                    .headers()
                    .get("x-ms-error-code")
                    .map(|v| v.to_str().unwrap().to_owned());
                assert_ne!(
                    code.as_deref(),
                    Some("InvalidResourceType"),
                    "{method} {path}"
                );
            } else {
                assert_eq!(
                    status, 405,
                    "{method} {path} is not listed but answers {status}"
                );
                let mut allow: Vec<String> = res.headers()["allow"]
                    .to_str()
                    .unwrap()
                    .split(", ")
                    .map(str::to_owned)
                    .collect();
                allow.sort();
                let mut want = listed.clone();
                want.sort();
                assert_eq!(allow, want, "{path}");
            }
        }
    }
}

#[tokio::test]
async fn answers_match_the_documented_schemas() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let components = doc["components"].clone();
    let validate = |schema: &Value, instance: &Value| -> Result<(), String> {
        let root = json!({"components": components, "allOf": [schema]});
        let v = jsonschema::draft4::options()
            .should_validate_formats(true)
            .should_ignore_unknown_formats(true)
            .build(&root)
            .map_err(|e| e.to_string())?;
        let errors: Vec<String> = v
            .iter_errors(instance)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    };

    // Every operation once with a request that succeeds; deletes last, children first.
    let mut ops: Vec<(String, String, Value)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops.push((path.clone(), method.to_ascii_uppercase(), op.clone()));
        }
    }
    ops.sort_by_key(|(path, method, _)| {
        let creates = method == "PUT";
        let deletes = method == "DELETE";
        (
            deletes,
            !creates,
            if deletes {
                usize::MAX - path.len()
            } else {
                path.len()
            },
        )
    });
    for version in ["2022-10-01", "2025-05-01"] {
        for (path, method, op) in &ops {
            let id = op["operationId"].as_str().unwrap();
            let (body, query) = sample(id);
            let mut url = format!("{}{}?api-version={version}{query}", app.base, fill(path));
            if id == "ActivityLog_Get" {
                let log = app.get_json(&app.sub_url("activityLog")).await;
                let newest = log["value"][0]["eventDataId"].as_str().unwrap().to_owned();
                url = url.replace("/activityLog/e?", &format!("/activityLog/{newest}?"));
            }
            let m = Method::from_bytes(method.as_bytes()).unwrap();
            let token = if id.starts_with("Telemetry_") {
                COLLECTOR
            } else {
                CONTRIBUTOR
            };
            let res = app.send_as(token, m, &url, &[], body.as_ref()).await;
            let status = res.status().as_u16().to_string();
            let text = res.text().await.unwrap();
            let declared = &op["responses"][&status];
            assert!(
                declared.is_object(),
                "{version} {method} {path}: {status} is not documented: {text}"
            );
            match declared["content"]["application/json"]["schema"].as_object() {
                None => assert!(text.is_empty(), "{method} {path}: undocumented body {text}"),
                Some(schema) => {
                    let instance: Value = serde_json::from_str(&text).unwrap();
                    validate(&Value::Object(schema.clone()), &instance)
                        .unwrap_or_else(|e| panic!("{version} {method} {path}: {e}\n{text}"));
                }
            }
        }
        // Recreate what the deletes removed, for the next version.
        app.create_connection("rg", "c").await;
    }

    // Errors match ErrorResponse.
    let res = app.get(&app.service_url("rg", "nope")).await;
    let instance: Value = res.json().await.unwrap();
    validate(
        &json!({"$ref": "#/components/schemas/ErrorResponse"}),
        &instance,
    )
    .unwrap();
}

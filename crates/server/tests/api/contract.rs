//! Azure's contract: every status code and response body the server gives for the Peering
//! Service operations conforms to Azure's OpenAPI document (tests/fixtures/, see its README).
//!
//! Requests are built from the document's own path templates; each answer is checked against
//! the operation's declared responses: a declared status must have a body valid against its
//! schema (or no body when none is declared), an error status must have a body valid against
//! the `default` (ErrorResponse) schema, and any other status is a violation. Success bodies
//! are also checked for properties the document does not declare (`systemData` is allowed with
//! 2025-05-01 only, which adds it).

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

const SPEC: &str = include_str!("../fixtures/azure-peering-2022-10-01.openapi.json");
const VERSIONS: [&str; 3] = ["2021-06-01", "2022-10-01", "2025-05-01"];

struct Contract {
    spec: Value,
    /// operationId -> (method, path template)
    ops: HashMap<String, (Method, String)>,
    validators: Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>,
    /// (operationId, status) pairs seen.
    seen: Mutex<BTreeSet<(String, u16)>>,
}

/// The Peering Service part of the document (the partner-side peerings are not served).
fn is_peering_service_path(path: &str) -> bool {
    [
        "peeringService",
        "checkServiceProviderAvailability",
        "initializeConnectionMonitor",
        "/operations",
    ]
    .iter()
    .any(|k| path.contains(k))
}

impl Contract {
    fn load() -> Contract {
        let spec: Value = serde_json::from_str(SPEC).unwrap();
        let mut ops = HashMap::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                    let m = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
                    ops.insert(id.to_owned(), (m, path.clone()));
                }
            }
        }
        Contract {
            spec,
            ops,
            validators: Mutex::new(HashMap::new()),
            seen: Mutex::new(BTreeSet::new()),
        }
    }

    fn peering_service_ops(&self) -> BTreeSet<String> {
        self.ops
            .iter()
            .filter(|(_, (_, p))| is_peering_service_path(p))
            .map(|(id, _)| id.clone())
            .collect()
    }

    fn responses(&self, op_id: &str) -> &Map<String, Value> {
        let (m, path) = &self.ops[op_id];
        self.spec["paths"][path][m.as_str().to_ascii_lowercase()]["responses"]
            .as_object()
            .unwrap()
    }

    fn resolve<'a>(&'a self, mut schema: &'a Value) -> &'a Value {
        while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = r.strip_prefix("#/definitions/").expect("local $ref");
            schema = &self.spec["definitions"][name];
        }
        schema
    }

    fn validator(&self, schema: &Value) -> std::sync::Arc<jsonschema::Validator> {
        let key = schema.to_string();
        let mut cache = self.validators.lock().unwrap();
        cache
            .entry(key)
            .or_insert_with(|| {
                let root = json!({ "definitions": self.spec["definitions"], "allOf": [schema] });
                let v = jsonschema::draft4::options()
                    .should_validate_formats(true)
                    .should_ignore_unknown_formats(true)
                    .build(&root)
                    .expect("the document's schemas compile");
                std::sync::Arc::new(v)
            })
            .clone()
    }

    /// The properties a schema declares (its own and those of its allOf), and whether it takes
    /// any others (additionalProperties).
    fn declared<'a>(
        &'a self,
        schema: &'a Value,
        props: &mut Map<String, Value>,
    ) -> Option<&'a Value> {
        let schema = self.resolve(schema);
        let mut additional = schema
            .get("additionalProperties")
            .filter(|a| !matches!(a, Value::Bool(false)));
        if let Some(p) = schema.get("properties").and_then(Value::as_object) {
            for (k, v) in p {
                props.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            additional = additional.or(self.declared(part, props));
        }
        additional
    }

    fn undeclared(
        &self,
        schema: &Value,
        instance: &Value,
        path: &str,
        system_data: bool,
        out: &mut Vec<String>,
    ) {
        let schema = self.resolve(schema);
        match instance {
            Value::Object(map) => {
                let mut props = Map::new();
                let additional = self.declared(schema, &mut props).cloned();
                for (k, v) in map {
                    let here = format!("{path}.{k}");
                    match (props.get(k), &additional) {
                        (Some(s), _) => self.undeclared(s, v, &here, system_data, out),
                        (None, Some(a)) if a.is_object() => {
                            self.undeclared(a, v, &here, system_data, out)
                        }
                        (None, Some(_)) => {}
                        (None, None) if k == "systemData" && system_data => {}
                        (None, None) => out.push(here),
                    }
                }
            }
            Value::Array(items) => {
                if let Some(s) = schema.get("items") {
                    for (i, v) in items.iter().enumerate() {
                        self.undeclared(s, v, &format!("{path}[{i}]"), system_data, out);
                    }
                }
            }
            _ => {}
        }
    }

    fn url(
        &self,
        base: &str,
        op_id: &str,
        version: &str,
        names: &Names,
        query: &str,
    ) -> (Method, String) {
        let (m, template) = &self.ops[op_id];
        let path = template
            .replace("{subscriptionId}", &names.sub)
            .replace("{resourceGroupName}", &names.rg)
            .replace("{peeringServiceName}", &names.service)
            .replace("{prefixName}", &names.prefix)
            .replace("{connectionMonitorTestName}", &names.test);
        (
            m.clone(),
            format!("{base}{path}?api-version={version}{query}"),
        )
    }

    /// Checks one answer; returns what is wrong.
    fn check(
        &self,
        op_id: &str,
        version: &str,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Result<(), String> {
        self.seen.lock().unwrap().insert((op_id.to_owned(), status));
        let responses = self.responses(op_id);
        let (declared, schema) = match responses.get(&status.to_string()) {
            Some(r) => (true, r.get("schema")),
            None if status >= 400 => (
                false,
                responses.get("default").and_then(|d| d.get("schema")),
            ),
            None => {
                return Err(format!(
                    "{op_id}: status {status} is not among the declared {:?}",
                    responses.keys().collect::<Vec<_>>()
                ))
            }
        };
        let Some(schema) = schema else {
            return if body.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{op_id} {status}: declares no body but got {}",
                    String::from_utf8_lossy(body)
                ))
            };
        };
        let ct = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct.starts_with("application/json") {
            return Err(format!("{op_id} {status}: content-type '{ct}'"));
        }
        let instance: Value = serde_json::from_slice(body)
            .map_err(|e| format!("{op_id} {status}: body is not JSON: {e}"))?;
        let validator = self.validator(schema);
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if !errors.is_empty() {
            return Err(format!("{op_id} {status}: {errors:?} in {instance}"));
        }
        if declared {
            let mut extra = Vec::new();
            self.undeclared(schema, &instance, "$", version == "2025-05-01", &mut extra);
            if !extra.is_empty() {
                return Err(format!(
                    "{op_id} {status}: properties the contract does not declare: {extra:?}"
                ));
            }
        } else if headers.get("x-ms-error-code").is_none() {
            return Err(format!(
                "{op_id} {status}: an error without x-ms-error-code"
            ));
        }
        Ok(())
    }
}

#[derive(Clone)]
struct Names {
    sub: String,
    rg: String,
    service: String,
    prefix: String,
    test: String,
}

impl Names {
    fn new(service: &str) -> Names {
        Names {
            sub: SUB.into(),
            rg: "rg-contract".into(),
            service: service.into(),
            prefix: "pfx".into(),
            test: "cmt".into(),
        }
    }
    fn with(&self, f: impl FnOnce(&mut Names)) -> Names {
        let mut n = self.clone();
        f(&mut n);
        n
    }
}

/// A call that must fail: the status, the operation, the names in its path, the body, extra
/// headers and the token (None: the contributor's; empty: none).
type ErrorCall<'a> = (
    u16,
    &'static str,
    &'a Names,
    Option<Value>,
    &'a [(&'a str, &'a str)],
    Option<&'a str>,
);

/// One call of a contract run: the status expected, the operation, the names in its path, the
/// query after the api-version and the body.
type Step<'a> = (u16, &'static str, &'a Names, &'static str, Option<Value>);

struct Run<'a> {
    app: &'a TestApp,
    c: &'a Contract,
    version: &'static str,
    failures: Vec<String>,
}

impl Run<'_> {
    /// Calls an operation and checks the answer; returns the status and the JSON body.
    async fn call(
        &mut self,
        op_id: &str,
        names: &Names,
        query: &str,
        body: Option<Value>,
        extra: &[(&str, &str)],
        token: Option<&str>,
    ) -> (u16, Value) {
        let (m, url) = self
            .c
            .url(&self.app.base, op_id, self.version, names, query);
        let mut req = self.app.client.request(m, &url);
        if let Some(t) = token.or(Some(CONTRIBUTOR)).filter(|t| !t.is_empty()) {
            req = req.bearer_auth(t);
        }
        for (h, v) in extra {
            req = req.header(*h, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.unwrap();
        if let Err(e) = self.c.check(op_id, self.version, status, &headers, &bytes) {
            self.failures.push(format!("[{}] {e}", self.version));
        }
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Checks an answer to a request made by hand, which must have `status`.
    async fn check_response(&mut self, op_id: &str, res: reqwest::Response, status: u16) {
        let (got, headers) = (res.status().as_u16(), res.headers().clone());
        assert_eq!(got, status, "{op_id}");
        let body = res.bytes().await.unwrap();
        if let Err(e) = self.c.check(op_id, self.version, got, &headers, &body) {
            self.failures.push(format!("[{}] {e}", self.version));
        }
    }

    /// [`Run::expect`] for each step in turn: (status, operation, names, query, body).
    async fn expect_all(&mut self, steps: Vec<Step<'_>>) {
        for (status, op_id, names, query, body) in steps {
            self.expect(status, op_id, names, query, body).await;
        }
    }

    async fn expect(
        &mut self,
        status: u16,
        op_id: &str,
        names: &Names,
        query: &str,
        body: Option<Value>,
    ) -> Value {
        let (got, json) = self.call(op_id, names, query, body, &[], None).await;
        if got != status {
            self.failures.push(format!(
                "[{}] {op_id} {names_q}: expected {status}, got {got}: {json}",
                self.version,
                names_q = query
            ));
        }
        json
    }
}

#[tokio::test]
async fn the_server_keeps_azures_contract_for_peering_service_operations() {
    let contract = Contract::load();
    let mut failures = Vec::new();
    for version in VERSIONS {
        let app = spawn_app().await;
        let mut run = Run {
            app: &app,
            c: &contract,
            version,
            failures: Vec::new(),
        };
        let n = Names::new("Conn-1");
        let other = Names::new("Conn-2");
        let missing = Names::new("missing");
        let conn = connection_body();
        let prefix = |p: &str| json!({"properties": {"prefix": p, "peeringServicePrefixKey": "6a7f0d42-e49c-4eea-a930-280610671c3f"}});

        let bad_name = Names::new("bad name");
        let no_prefix = n.with(|x| x.prefix = "none".into());
        let no_test = n.with(|x| x.test = "none".into());
        let tags = |k: &str| Some(json!({"tags": {k: "b"}}));
        let availability = |location: &str| {
            Some(json!({"peeringServiceLocation": location, "peeringServiceProvider": "IIJ"}))
        };

        // Catalog and provider-wide operations.
        run.expect_all(vec![
            (200, "Operations_List", &n, "", None),
            (200, "PeeringServiceCountries_List", &n, "", None),
            (
                200,
                "PeeringServiceLocations_List",
                &n,
                "&country=Japan",
                None,
            ),
            (200, "PeeringServiceLocations_List", &n, "", None),
            (200, "PeeringServiceProviders_List", &n, "", None),
        ])
        .await;
        let avail = run
            .expect(
                200,
                "CheckServiceProviderAvailability",
                &n,
                "",
                availability("Osaka"),
            )
            .await;
        assert_eq!(avail, json!("Available"));
        run.expect_all(vec![
            (
                200,
                "CheckServiceProviderAvailability",
                &n,
                "",
                availability("Washington"),
            ),
            (
                400,
                "CheckServiceProviderAvailability",
                &n,
                "",
                Some(json!({"peeringServiceLocation": "Atlantis"})),
            ),
            (
                200,
                "PeeringServices_InitializeConnectionMonitor",
                &n,
                "",
                None,
            ),
        ])
        .await;

        // Connections.
        let replaced = json!({"location": "West US 2", "sku": {"name": "Standard_Free"}, "tags": {"env": "test"}, "properties": conn["properties"]});
        let nobody = json!({"properties": {"peeringServiceProvider": "nobody"}});
        run.expect_all(vec![
            (
                201,
                "PeeringServices_CreateOrUpdate",
                &n,
                "",
                Some(conn.clone()),
            ),
            (
                200,
                "PeeringServices_CreateOrUpdate",
                &n,
                "",
                Some(replaced),
            ),
            (
                201,
                "PeeringServices_CreateOrUpdate",
                &other,
                "",
                Some(conn.clone()),
            ),
            (
                400,
                "PeeringServices_CreateOrUpdate",
                &missing,
                "",
                Some(nobody),
            ),
            (
                400,
                "PeeringServices_CreateOrUpdate",
                &bad_name,
                "",
                Some(conn.clone()),
            ),
            (200, "PeeringServices_Get", &n, "", None),
            (404, "PeeringServices_Get", &missing, "", None),
            (200, "PeeringServices_Update", &n, "", tags("a")),
            (404, "PeeringServices_Update", &missing, "", tags("a")),
            (400, "PeeringServices_Update", &n, "", tags("a<")),
            (200, "PeeringServices_ListByResourceGroup", &n, "", None),
        ])
        .await;
        let page = run
            .expect(
                200,
                "PeeringServices_ListByResourceGroup",
                &n,
                "&$top=1",
                None,
            )
            .await;
        assert!(page["nextLink"].is_string());
        run.expect_all(vec![
            (200, "PeeringServices_ListBySubscription", &n, "", None),
            (
                200,
                "PeeringServices_ListBySubscription",
                &n,
                "&$top=1",
                None,
            ),
            (
                400,
                "PeeringServices_ListBySubscription",
                &n,
                "&$top=0",
                None,
            ),
        ])
        .await;

        // Prefixes.
        run.expect_all(vec![
            (
                201,
                "Prefixes_CreateOrUpdate",
                &n,
                "",
                Some(prefix("20.30.0.0/16")),
            ),
            (
                200,
                "Prefixes_CreateOrUpdate",
                &n,
                "",
                Some(prefix("20.30.0.0/16")),
            ),
            (
                409,
                "Prefixes_CreateOrUpdate",
                &other,
                "",
                Some(prefix("20.30.40.0/24")),
            ),
            (
                409,
                "Prefixes_CreateOrUpdate",
                &n,
                "",
                Some(prefix("20.31.0.0/16")),
            ),
            (
                400,
                "Prefixes_CreateOrUpdate",
                &other,
                "",
                Some(prefix("10.0.0.0/8")),
            ),
            (
                404,
                "Prefixes_CreateOrUpdate",
                &missing,
                "",
                Some(prefix("20.40.0.0/16")),
            ),
            (200, "Prefixes_Get", &n, "", None),
        ])
        .await;
        // Without telemetry there are no events; with a stored one, its shape is checked too.
        let expanded = run
            .expect(200, "Prefixes_Get", &n, "&$expand=events", None)
            .await;
        assert_eq!(expanded["properties"]["events"], json!([]));
        app.insert_prefix_event(&n.rg, &n.service, &n.prefix, 1, "PrefixAnnouncementEvent")
            .await;
        let expanded = run
            .expect(200, "Prefixes_Get", &n, "&$expand=events", None)
            .await;
        assert_eq!(
            expanded["properties"]["events"].as_array().map(Vec::len),
            Some(1)
        );
        run.expect_all(vec![
            (404, "Prefixes_Get", &no_prefix, "", None),
            (404, "Prefixes_Get", &missing, "", None),
            (200, "Prefixes_ListByPeeringService", &n, "", None),
            (
                200,
                "Prefixes_ListByPeeringService",
                &n,
                "&$expand=events",
                None,
            ),
            (404, "Prefixes_ListByPeeringService", &missing, "", None),
        ])
        .await;

        // Connection monitor tests.
        let bad_test = json!({"properties": {"destinationPort": 0}});
        run.expect_all(vec![
            (
                201,
                "ConnectionMonitorTests_CreateOrUpdate",
                &n,
                "",
                Some(monitor_test_body()),
            ),
            (
                200,
                "ConnectionMonitorTests_CreateOrUpdate",
                &n,
                "",
                Some(monitor_test_body()),
            ),
            (
                400,
                "ConnectionMonitorTests_CreateOrUpdate",
                &n,
                "",
                Some(bad_test),
            ),
            (
                404,
                "ConnectionMonitorTests_CreateOrUpdate",
                &missing,
                "",
                Some(monitor_test_body()),
            ),
            (200, "ConnectionMonitorTests_Get", &n, "", None),
            (404, "ConnectionMonitorTests_Get", &no_test, "", None),
            (
                200,
                "ConnectionMonitorTests_ListByPeeringService",
                &n,
                "",
                None,
            ),
            (
                404,
                "ConnectionMonitorTests_ListByPeeringService",
                &missing,
                "",
                None,
            ),
        ])
        .await;

        // Errors every operation can give: 401, 403, 412, 413, 415, 400 (api-version).
        let foreign = n.with(|x| x.sub = OTHER_SUB.into());
        let stale = [("If-Match", "\"stale\"")];
        let mut big = conn.clone();
        big["tags"] = json!({"x": "y".repeat(2 * 1024 * 1024)});
        let prefix_body = Some(prefix("20.30.0.0/16"));
        let errors: [ErrorCall<'_>; 6] = [
            (401, "PeeringServices_Get", &n, None, &[], Some("")),
            (403, "PeeringServices_Get", &foreign, None, &[], None),
            (
                403,
                "Prefixes_CreateOrUpdate",
                &n,
                prefix_body.clone(),
                &[],
                Some(READER),
            ),
            (
                412,
                "PeeringServices_CreateOrUpdate",
                &n,
                Some(conn.clone()),
                &stale,
                None,
            ),
            (412, "ConnectionMonitorTests_Delete", &n, None, &stale, None),
            (
                413,
                "PeeringServices_CreateOrUpdate",
                &n,
                Some(big),
                &[],
                None,
            ),
        ];
        for (status, op_id, names, body, headers, token) in errors {
            let (got, _) = run.call(op_id, names, "", body, headers, token).await;
            assert_eq!(got, status, "{op_id}");
        }
        let (m, url) = contract.url(&app.base, "PeeringServices_CreateOrUpdate", version, &n, "");
        let text = app.request(m, &url).header("Content-Type", "text/plain");
        let res = text.body("x").send().await.unwrap();
        run.check_response("PeeringServices_CreateOrUpdate", res, 415)
            .await;
        let (m, url) = contract.url(&app.base, "Prefixes_CreateOrUpdate", version, &n, "");
        let res = app
            .send(
                m,
                &url.replace(version, "2020-01-01"),
                &[],
                prefix_body.as_ref(),
            )
            .await;
        run.check_response("Prefixes_CreateOrUpdate", res, 400)
            .await;

        // Deletes, children first: 200, then 204 when gone.
        run.expect_all(vec![
            (200, "Prefixes_Delete", &n, "", None),
            (204, "Prefixes_Delete", &n, "", None),
            (404, "Prefixes_Delete", &missing, "", None),
            (200, "ConnectionMonitorTests_Delete", &n, "", None),
            (204, "ConnectionMonitorTests_Delete", &n, "", None),
            (200, "PeeringServices_Delete", &n, "", None),
            (204, "PeeringServices_Delete", &n, "", None),
        ])
        .await;
        failures.extend(run.failures);
    }
    assert!(failures.is_empty(), "{failures:#?}");

    // Every Peering Service operation of the document was exercised, with each of its declared
    // success statuses.
    let seen = contract.seen.lock().unwrap().clone();
    let seen_ops: BTreeSet<String> = seen.iter().map(|(op, _)| op.clone()).collect();
    let all = contract.peering_service_ops();
    assert_eq!(all.len(), 20);
    assert_eq!(seen_ops, all);
    for op in &all {
        for status in contract.responses(op).keys().filter(|k| *k != "default") {
            let status: u16 = status.parse().unwrap();
            assert!(
                seen.contains(&(op.clone(), status)),
                "{op} never answered its declared {status}"
            );
        }
    }
}

/// Every method a Peering Service path of the document does not have answers 405 in the ARM
/// error shape; every other path of the document (partner-side peerings, which this server does
/// not serve) answers a 4xx in the ARM shape, never a 5xx.
#[tokio::test]
async fn methods_a_path_does_not_have_are_405_and_nothing_is_5xx() {
    let contract = Contract::load();
    let app = spawn_app().await;
    app.create_connection("rg-contract", "Conn-1").await;
    let error_schema = json!({"$ref": "#/definitions/ErrorResponse"});
    let validator = contract.validator(&error_schema);
    let names = Names::new("Conn-1");
    for (path, item) in contract.spec["paths"].as_object().unwrap() {
        let declared: Vec<String> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.to_ascii_uppercase())
            .collect();
        let url = format!(
            "{}{}?api-version=2022-10-01",
            app.base,
            path.replace("{subscriptionId}", SUB)
                .replace("{resourceGroupName}", &names.rg)
                .replace("{peeringServiceName}", &names.service)
                .replace("{prefixName}", "p")
                .replace("{connectionMonitorTestName}", "t")
                .replace("{peeringName}", "peering1")
                .replace("{peerAsnName}", "asn1")
                .replace("{registeredAsnName}", "asn1")
                .replace("{registeredPrefixName}", "p1")
        );
        for method in ["GET", "PUT", "PATCH", "DELETE", "POST"] {
            let ours = is_peering_service_path(path);
            if ours && declared.iter().any(|d| d == method) {
                continue;
            }
            let res = app
                .request(Method::from_bytes(method.as_bytes()).unwrap(), &url)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let allow = res
                .headers()
                .get("allow")
                .map(|v| v.to_str().unwrap().to_owned());
            let body: Value = res.json().await.unwrap();
            assert!(validator.is_valid(&body), "{method} {path}: {body}");
            if ours {
                assert_eq!(status, 405, "{method} {path}");
                let allow = allow.expect("Allow header");
                let mut allowed: Vec<&str> = allow.split(", ").collect();
                allowed.sort();
                let mut want: Vec<&str> = declared.iter().map(String::as_str).collect();
                want.sort();
                assert_eq!(allowed, want, "{path}");
            } else {
                assert!((400..500).contains(&status), "{method} {path}: {status}");
            }
        }
    }
}

/// The checker itself finds what it is meant to find.
#[test]
fn the_checker_catches_violations() {
    let c = Contract::load();
    let json_headers = |code: Option<&str>| {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("content-type", "application/json".parse().unwrap());
        if let Some(code) = code {
            h.insert("x-ms-error-code", code.parse().unwrap());
        }
        h
    };
    let ok = json!({"id": "x", "name": "c", "type": "Microsoft.Peering/peeringServices", "location": "West US 2", "properties": {"provisioningState": "Succeeded"}});
    let body = |v: &Value| serde_json::to_vec(v).unwrap();
    assert!(c
        .check(
            "PeeringServices_Get",
            "2022-10-01",
            200,
            &json_headers(None),
            &body(&ok)
        )
        .is_ok());
    let mut wrong_type = ok.clone();
    wrong_type["properties"]["peeringServiceLocation"] = json!(5);
    assert!(c
        .check(
            "PeeringServices_Get",
            "2022-10-01",
            200,
            &json_headers(None),
            &body(&wrong_type)
        )
        .is_err());
    let mut no_location = ok.clone();
    no_location.as_object_mut().unwrap().remove("location");
    assert!(c
        .check(
            "PeeringServices_Get",
            "2022-10-01",
            200,
            &json_headers(None),
            &body(&no_location)
        )
        .is_err());
    let mut extra = ok.clone();
    extra["properties"]["peeringServicePrefixkey"] = json!("typo");
    assert!(c
        .check(
            "PeeringServices_Get",
            "2022-10-01",
            200,
            &json_headers(None),
            &body(&extra)
        )
        .is_err());
    let mut system = ok.clone();
    system["systemData"] = json!({"createdBy": "me"});
    assert!(c
        .check(
            "PeeringServices_Get",
            "2022-10-01",
            200,
            &json_headers(None),
            &body(&system)
        )
        .is_err());
    assert!(c
        .check(
            "PeeringServices_Get",
            "2025-05-01",
            200,
            &json_headers(None),
            &body(&system)
        )
        .is_ok());
    assert!(
        c.check(
            "PeeringServices_Get",
            "2022-10-01",
            202,
            &json_headers(None),
            &body(&ok)
        )
        .is_err(),
        "undeclared success status"
    );
    assert!(
        c.check(
            "PeeringServices_Delete",
            "2022-10-01",
            200,
            &json_headers(None),
            b"{}"
        )
        .is_err(),
        "a body where none is declared"
    );
    assert!(c
        .check(
            "PeeringServices_Delete",
            "2022-10-01",
            204,
            &json_headers(None),
            b""
        )
        .is_ok());
    let err = body(&json!({"error": {"code": "X", "message": "m"}}));
    assert!(c
        .check(
            "PeeringServices_Get",
            "2022-10-01",
            404,
            &json_headers(Some("X")),
            &err
        )
        .is_ok());
    assert!(
        c.check(
            "PeeringServices_Get",
            "2022-10-01",
            404,
            &json_headers(None),
            &err
        )
        .is_err(),
        "x-ms-error-code is required"
    );
    assert!(c
        .check(
            "PeeringServices_Get",
            "2022-10-01",
            404,
            &json_headers(Some("X")),
            &body(&json!({"error": {"code": 5}}))
        )
        .is_err());
    let avail = |v: Value| {
        c.check(
            "CheckServiceProviderAvailability",
            "2022-10-01",
            200,
            &json_headers(None),
            &body(&v),
        )
    };
    assert!(avail(json!("Available")).is_ok());
    assert!(avail(json!("Maybe")).is_err());
    let ev = json!({"id": "x", "name": "p", "type": "t", "properties": {"events": [{"eventTimestamp": "yesterday"}]}});
    assert!(
        c.check(
            "Prefixes_Get",
            "2022-10-01",
            200,
            &json_headers(None),
            &body(&ev)
        )
        .is_err(),
        "date-time format is checked"
    );
}

use peering_server::auth::{Grant, Role, Tokens};
use peering_server::db::Db;
use peering_server::{app, AppState, Settings};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;
use std::sync::Arc;

pub const SUB: &str = "00000000-0000-0000-0000-0000000000aa";
pub const OTHER_SUB: &str = "00000000-0000-0000-0000-0000000000bb";
pub const CONTRIBUTOR: &str = "contributor-token-0123456789";
pub const READER: &str = "reader-token-0123456789abcdef";
/// A contributor for every subscription.
pub const ADMIN: &str = "admin-token-0123456789abcdef";
pub const API: &str = "api-version=2022-10-01";

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub _dir: tempfile::TempDir,
}

/// Starts the server on 127.0.0.1:0 with a new database and two tokens for `SUB`.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Settings::default()).await
}

pub async fn spawn_app_with(settings: Settings) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::open(&dir.path().join("test.db"), 2).expect("database opens");
    let tokens = Tokens::from_grants(vec![
        Grant {
            token: CONTRIBUTOR.into(),
            subscriptions: vec![SUB.into()],
            role: Role::Contributor,
        },
        Grant {
            token: READER.into(),
            subscriptions: vec![SUB.into()],
            role: Role::Reader,
        },
        Grant {
            token: ADMIN.into(),
            subscriptions: vec!["*".into()],
            role: Role::Contributor,
        },
    ]);
    let state = Arc::new(AppState {
        db,
        tokens,
        settings,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });
    TestApp {
        base: format!("http://{addr}"),
        client: Client::new(),
        _dir: dir,
    }
}

impl TestApp {
    /// `/subscriptions/SUB/resourceGroups/{rg}/providers/Microsoft.Peering/peeringServices/{name}` + `tail`, with the api-version.
    pub fn url(&self, rg: &str, name: &str, tail: &str) -> String {
        format!("{}/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Peering/peeringServices/{name}{tail}?{API}", self.base)
    }

    pub fn prefix_url(&self, rg: &str, conn: &str, prefix: &str) -> String {
        self.url(rg, conn, &format!("/prefixes/{prefix}"))
    }

    pub fn test_url(&self, rg: &str, conn: &str, test: &str) -> String {
        self.url(rg, conn, &format!("/connectionMonitorTests/{test}"))
    }

    pub fn sub_url(&self, op: &str) -> String {
        format!(
            "{}/subscriptions/{SUB}/providers/Microsoft.Peering/{op}?{API}",
            self.base
        )
    }

    pub async fn delete(&self, url: &str) -> Response {
        self.request(Method::DELETE, url)
            .send()
            .await
            .expect("request")
    }

    /// Creates a connection and asserts 201.
    pub async fn create_connection(&self, rg: &str, name: &str) {
        let res = self
            .put_json(&self.service_url(rg, name), &connection_body())
            .await;
        assert_eq!(res.status().as_u16(), 201, "creating {rg}/{name}");
    }

    /// Creates a prefix and returns the response.
    pub async fn put_prefix(&self, rg: &str, conn: &str, name: &str, value: &str) -> Response {
        self.put_json(
            &self.prefix_url(rg, conn, name),
            &serde_json::json!({"properties": {"prefix": value}}),
        )
        .await
    }

    /// Every item of a list, following nextLink; also returns the number of pages.
    pub async fn list_all(&self, url: &str) -> (Vec<Value>, usize) {
        let mut items = Vec::new();
        let mut pages = 0;
        let mut next = Some(url.to_owned());
        while let Some(url) = next {
            let res = self.get(&url).await;
            assert_eq!(res.status().as_u16(), 200, "{url}");
            let body: Value = res.json().await.unwrap();
            items.extend(body["value"].as_array().unwrap().iter().cloned());
            pages += 1;
            next = body
                .get("nextLink")
                .map(|l| l.as_str().expect("nextLink is a string").to_owned());
        }
        (items, pages)
    }

    pub fn service_url(&self, rg: &str, name: &str) -> String {
        format!("{}/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Peering/peeringServices/{name}?{API}", self.base)
    }

    pub fn request(&self, method: Method, url: &str) -> RequestBuilder {
        self.client.request(method, url).bearer_auth(CONTRIBUTOR)
    }

    pub async fn put_json(&self, url: &str, body: &Value) -> Response {
        self.request(Method::PUT, url)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, url: &str) -> Response {
        self.request(Method::GET, url)
            .send()
            .await
            .expect("request")
    }
}

pub fn monitor_test_body() -> Value {
    serde_json::json!({"properties": {"sourceAgent": "agent-1", "destination": "1.1.1.1", "destinationPort": 443, "testFrequencyInSec": 30}})
}

pub fn connection_body() -> Value {
    serde_json::json!({
        "location": "West US 2",
        "properties": {
            "peeringServiceLocation": "Washington",
            "peeringServiceProvider": "equinix MAPS",
            "providerPrimaryPeeringLocation": "seattle",
            "providerBackupPeeringLocation": "san Jose"
        }
    })
}

/// Asserts the ARM error shape and returns (code, message, target).
pub async fn arm_error(res: Response, status: u16) -> (String, String, Option<String>) {
    assert_eq!(res.status().as_u16(), status);
    let header = res
        .headers()
        .get("x-ms-error-code")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = res.json().await.expect("JSON error body");
    let e = &body["error"];
    let code = e["code"].as_str().expect("code").to_owned();
    assert_eq!(header.as_deref(), Some(code.as_str()));
    (
        code,
        e["message"].as_str().expect("message").to_owned(),
        e["target"].as_str().map(str::to_owned),
    )
}

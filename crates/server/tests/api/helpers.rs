use peering_server::auth::{Grant, Role, Tokens};
use peering_server::store::sql::SqlStore;
use peering_server::{app, AppState, Settings};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;
use std::sync::Arc;

pub const SUB: &str = "00000000-0000-0000-0000-0000000000aa";
pub const OTHER_SUB: &str = "00000000-0000-0000-0000-0000000000bb";
pub const CONTRIBUTOR: &str = "contributor-token-0123456789";
pub const READER: &str = "reader-token-0123456789abcdef";
/// A collector for `SUB`: may only ingest telemetry.
pub const COLLECTOR: &str = "collector-token-0123456789ab";
/// A contributor for every subscription.
pub const ADMIN: &str = "admin-token-0123456789abcdef";
pub const API: &str = "api-version=2022-10-01";

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

/// Starts the server on 127.0.0.1:0 with a new database and two tokens for `SUB`.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Settings::default()).await
}

pub async fn spawn_app_with(settings: Settings) -> TestApp {
    spawn_app_in(tempfile::tempdir().expect("temp dir"), settings).await
}

/// The admin URL of the PostgreSQL server the suite runs on when `PEERING_TEST_PG` names one
/// (`cargo xtask test` starts a throw-away cluster and runs the suite again on it); else the
/// suite runs on SQLite.
pub fn postgres_admin() -> Option<String> {
    std::env::var("PEERING_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Whether the suite runs on SQLite: a test that reads or writes the database file itself
/// (its format, its journal, rows the API never writes) runs only there, and says so.
pub fn on_sqlite(test: &str) -> bool {
    let sqlite = postgres_admin().is_none();
    if !sqlite {
        eprintln!("{test}: reads the SQLite file itself, so it runs on SQLite only");
    }
    sqlite
}

/// The store of a test's folder: SQLite's `test.db` in it; on PostgreSQL a database of its own
/// ([`test_database`]).
pub async fn open_store(dir: &std::path::Path) -> SqlStore {
    match test_database(dir).await {
        None => peering_server::open_sqlite(&dir.join("test.db"), 2).expect("database opens"),
        Some(url) => peering_server::open_postgres(&url, 3)
            .await
            .expect("database opens"),
    }
}

/// On PostgreSQL, the URL of the test folder's database, made on first use and named in the
/// folder's `pg-database`, so a server started again on the folder finds it.
pub async fn test_database(dir: &std::path::Path) -> Option<String> {
    let admin = postgres_admin()?;
    let marker = dir.join("pg-database");
    let name = match std::fs::read_to_string(&marker) {
        Ok(name) => name,
        Err(_) => {
            // The folder's random name, made a valid identifier: unique among live folders.
            let tail: String = dir
                .file_name()
                .unwrap()
                .to_string_lossy()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            let name = format!("t_{}", tail.to_ascii_lowercase());
            pg_client(&admin)
                .await
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .await
                .expect("a test database");
            std::fs::write(&marker, &name).unwrap();
            name
        }
    };
    Some(format!("{}/{name}", admin.rsplit_once('/').unwrap().0))
}

/// Runs statements without parameters on the database of a test folder, SQLite or PostgreSQL
/// (for rows the API never writes), and answers the first column of the rows the last
/// one returns, as text.
pub async fn sql_in(dir: &std::path::Path, sql: &str) -> Vec<String> {
    if let Some(url) = test_database(dir).await {
        let (mut rows, mut last) = (Vec::new(), Vec::new());
        for m in pg_client(&url).await.simple_query(sql).await.expect(sql) {
            match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => {
                    rows.push(r.get(0).unwrap_or_default().to_owned())
                }
                // A statement's rows come before its end: the last one's are kept.
                tokio_postgres::SimpleQueryMessage::CommandComplete(_) => {
                    last = std::mem::take(&mut rows)
                }
                _ => {}
            }
        }
        return last;
    }
    let db = rusqlite::Connection::open(dir.join("test.db")).expect("database opens");
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    db.pragma_update(None, "foreign_keys", "ON").unwrap();
    let (init, last) = match sql.trim_end().trim_end_matches(';').rsplit_once(';') {
        Some((init, last)) => (init, last),
        None => ("", sql),
    };
    db.execute_batch(init).expect(sql);
    let mut st = db.prepare(last).expect(sql);
    let mut rows = st.query([]).expect(sql);
    let mut out = Vec::new();
    while let Some(r) = rows.next().expect(sql) {
        out.push(match r.get_ref(0).unwrap() {
            rusqlite::types::ValueRef::Integer(i) => i.to_string(),
            rusqlite::types::ValueRef::Real(f) => f.to_string(),
            rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
            v => format!("{v:?}"),
        });
    }
    out
}

async fn pg_client(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("the test PostgreSQL answers");
    tokio::spawn(conn);
    client
}

/// The state of a server on the database of `dir` ([`open_store`]), with the tokens of
/// [`spawn_app`].
pub async fn app_state(dir: &std::path::Path, settings: Settings) -> Arc<AppState> {
    let store = open_store(dir).await;
    Arc::new(AppState {
        store: Arc::new(store),
        tokens: tokens(),
        settings,
    })
}

/// The tokens of [`spawn_app`].
pub fn tokens() -> Tokens {
    Tokens::from_grants(vec![
        Grant::new(CONTRIBUTOR, vec![SUB.into()], Role::Contributor),
        Grant::new(READER, vec![SUB.into()], Role::Reader),
        Grant::new(COLLECTOR, vec![SUB.into()], Role::Collector),
        Grant::new(ADMIN, vec!["*".into()], Role::Contributor),
    ])
}

/// Starts the server on the database `test.db` of `dir`, creating it if it is not there.
pub async fn spawn_app_in(dir: tempfile::TempDir, settings: Settings) -> TestApp {
    let state = app_state(dir.path(), settings).await;
    spawn_state(dir, state).await
}

/// 50 connections `conn-i` of `rg`, then 50 PUTs at once of prefixes `pfx-i` that all
/// contain `net` (`{net}/8` to `/32`, so every two overlap), the i-th (and its connection)
/// through `apps[i % apps.len()]`: each PUT's index, status and body, in index order.
pub async fn race_overlapping_prefixes(
    apps: &[Arc<TestApp>],
    rg: &str,
    net: &str,
) -> Vec<(usize, u16, Value)> {
    for i in 0..50 {
        apps[i % apps.len()]
            .create_connection(rg, &format!("conn-{i}"))
            .await;
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(50));
    let mut tasks = Vec::new();
    for i in 0..50 {
        let app = apps[i % apps.len()].clone();
        let barrier = barrier.clone();
        let (rg, value) = (rg.to_owned(), format!("{net}/{}", 8 + (i % 25)));
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let res = app
                .put_prefix(&rg, &format!("conn-{i}"), &format!("pfx-{i}"), &value)
                .await;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            (i, status, body)
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    results
}

/// Starts the server on `store` (with the tokens of [`spawn_app`] and default settings), in a
/// folder of its own.
pub async fn spawn_store(store: SqlStore) -> TestApp {
    let state = Arc::new(AppState {
        store: Arc::new(store),
        tokens: tokens(),
        settings: Settings::default(),
    });
    spawn_state(tempfile::tempdir().expect("temp dir"), state).await
}

/// Starts the server with `state` (its store is the caller's), keeping `dir` alive.
pub async fn spawn_state(dir: tempfile::TempDir, state: Arc<AppState>) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().unwrap();
    let settings = state.settings.clone();
    let server = tokio::spawn(async move {
        peering_server::serve::serve(listener, app(state), &settings, std::future::pending())
            .await
            .unwrap();
    });
    TestApp {
        base: format!("http://{addr}"),
        client: Client::new(),
        dir,
        server,
    }
}

impl TestApp {
    /// A collector's ingestion operation at api-version 2025-05-01 (the error shape that lists
    /// every bad item).
    pub fn ingest_url(&self, op: &str) -> String {
        format!(
            "{}/subscriptions/{SUB}/providers/Microsoft.Peering/{op}?api-version=2025-05-01",
            self.base
        )
    }

    /// POSTs a telemetry batch `{"value": items}` with `token`.
    pub async fn ingest_as(&self, token: &str, op: &str, items: Value) -> Response {
        let body = serde_json::json!({ "value": items });
        self.send_as(token, Method::POST, &self.ingest_url(op), &[], Some(&body))
            .await
    }

    /// Sends a batch as the collector and asserts 200; answers the report.
    pub async fn ingest(&self, op: &str, items: Value) -> Value {
        let res = self.ingest_as(COLLECTOR, op, items).await;
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_eq!(status, 200, "{op}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Stops the server and hands back its folder, to start another on the same database.
    pub async fn stop(self) -> tempfile::TempDir {
        self.server.abort();
        let _ = self.server.await;
        self.dir
    }

    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir.path().join("test.db")
    }

    /// Runs statements without parameters on the server's database ([`sql_in`]).
    pub async fn sql(&self, sql: &str) -> Vec<String> {
        sql_in(self.dir.path(), sql).await
    }

    /// Stores a route event of a prefix straight into the database, as telemetry ingestion
    /// would: the API itself never writes one.
    pub async fn insert_prefix_event(
        &self,
        rg: &str,
        conn: &str,
        prefix: &str,
        seq: i64,
        event_type: &str,
    ) {
        let stored = self
            .sql(&format!(
                "INSERT INTO prefix_events (subscription, rg_key, service_key, prefix_key, seq, event_timestamp, event_type, event_summary, event_level, event_description)
                 VALUES ('{SUB}', '{}', '{}', '{}', {seq}, '2025-03-04T05:06:07Z', '{event_type}', 'Route seen', 'Information', 'Learned from the provider''s BGP session.') RETURNING seq",
                rg.to_lowercase(),
                conn.to_ascii_lowercase(),
                prefix.to_ascii_lowercase()
            ))
            .await;
        assert_eq!(stored, [seq.to_string()], "event stored");
    }

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

    /// GET that must answer 200; the JSON body.
    pub async fn get_json(&self, url: &str) -> Value {
        let res = expect_status(self.get(url).await, 200);
        res.json().await.expect("a JSON body")
    }

    /// A request with `token` (none when empty), extra headers and a JSON body.
    pub async fn send_as(
        &self,
        token: &str,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Response {
        let mut req = self.client.request(method, url);
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        for (h, v) in headers {
            req = req.header(*h, *v);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request")
    }

    /// [`TestApp::send_as`] the contributor.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Response {
        self.send_as(CONTRIBUTOR, method, url, headers, body).await
    }

    /// GET of a path of the server (`/`, `/openapi.json`) without a token.
    pub async fn get_public(&self, path: &str) -> Response {
        self.send_as("", Method::GET, &format!("{}{path}", self.base), &[], None)
            .await
    }

    /// DELETE answers 200, then 204 as the resource is gone, and GET then answers 404.
    pub async fn delete_and_check_gone(&self, url: &str) {
        expect_status(self.delete(url).await, 200);
        expect_status(self.delete(url).await, 204);
        let (code, _, _) = arm_error(self.get(url).await, 404).await;
        assert_eq!(code, "ResourceNotFound", "{url}");
    }

    /// Creates a prefix and asserts 201.
    pub async fn create_prefix(&self, rg: &str, conn: &str, name: &str, value: &str) {
        let res = self.put_prefix(rg, conn, name, value).await;
        assert_eq!(res.status().as_u16(), 201, "creating {conn}/{name} {value}");
    }

    /// Creates a connection monitor test from [`monitor_test_body`] and asserts 201.
    pub async fn create_monitor_test(&self, rg: &str, conn: &str, name: &str) {
        let res = self
            .put_json(&self.test_url(rg, conn, name), &monitor_test_body())
            .await;
        assert_eq!(res.status().as_u16(), 201, "creating {conn}/{name}");
    }
}

/// Asserts that a PUT of `body` to `url` is refused with 400, `code` and `target`; returns the
/// message.
pub async fn put_refused(
    app: &TestApp,
    url: &str,
    body: &Value,
    code: &str,
    target: &str,
) -> String {
    let (c, message, t) = arm_error(app.put_json(url, body).await, 400).await;
    assert_eq!(
        (c.as_str(), t.as_deref()),
        (code, Some(target)),
        "{body} -> {message}"
    );
    message
}

/// Asserts the status of a response and hands it back.
#[track_caller]
pub fn expect_status(res: Response, status: u16) -> Response {
    assert_eq!(res.status().as_u16(), status, "{}", res.url());
    res
}

/// `url` with another api-version than the default one.
pub fn with_version(url: &str, version: &str) -> String {
    url.replace(API, &format!("api-version={version}"))
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

/// UTC RFC 3339 of Unix seconds, as collectors send times.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// What an Equinix MAPS session says about 8.8.8.0/24 (AS path 3356 15169, community
/// 8075:8007: every check but the sessions' passes).
pub fn route_observation(
    location: &str,
    router: &str,
    address: &str,
    timestamp: &str,
    announced: bool,
) -> Value {
    serde_json::json!({"provider": "Equinix MAPS", "peeringLocation": location, "router": router, "address": address,
           "prefix": "8.8.8.0/24", "originAsn": 15169, "asPath": [3356, 15169], "communities": ["8075:8007"],
           "announced": announced, "timestamp": timestamp})
}

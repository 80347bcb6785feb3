//! Limits against abuse: bounded fields, timeouts, the connection cap, bounded storage queues,
//! failed authentications per address, and list pages of bounded size.

use crate::helpers::*;
use peering_server::{AppState, Settings};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn the_region_must_be_an_azure_region_and_is_stored_in_one_spelling() {
    let app = spawn_app().await;
    let mut body = connection_body();
    body["location"] = json!("Moon Base 1");
    let message = put_refused(
        &app,
        &app.service_url("rg", "c"),
        &body,
        "InvalidRegion",
        "location",
    )
    .await;
    assert!(
        message.starts_with("'Moon Base 1' is not an Azure region"),
        "{message}"
    );
    body["location"] = json!("x".repeat(100_000));
    let message = put_refused(
        &app,
        &app.service_url("rg", "c"),
        &body,
        "InvalidRegion",
        "location",
    )
    .await;
    assert!(
        message.len() < 300,
        "the message quotes a bounded part: {}",
        message.len()
    );
    for (given, rg) in [("westus2", "a"), ("WEST US 2", "b"), ("West US 2", "c")] {
        body["location"] = json!(given);
        let created = expect_status(app.put_json(&app.service_url(rg, "c"), &body).await, 201);
        let v: Value = created.json().await.unwrap();
        assert_eq!(v["location"], "West US 2", "{given}");
    }
    // A replacement may spell the stored region either way.
    body["location"] = json!("westus2");
    expect_status(app.put_json(&app.service_url("c", "c"), &body).await, 200);
}

#[tokio::test]
async fn sku_and_monitor_test_fields_are_bounded() {
    let app = spawn_app().await;
    let mut body = connection_body();
    body["sku"] = json!({"name": "S".repeat(65)});
    let m = put_refused(
        &app,
        &app.service_url("rg", "c"),
        &body,
        "InvalidSku",
        "sku.name",
    )
    .await;
    assert_eq!(
        m,
        "The SKU name is 65 characters long; the most allowed is 64."
    );
    body["sku"] = json!({"name": "Standard_Free"});
    expect_status(app.put_json(&app.service_url("rg", "c"), &body).await, 201);

    let url = app.test_url("rg", "c", "t");
    let mut t = monitor_test_body();
    t["properties"]["sourceAgent"] = json!("a".repeat(257));
    put_refused(
        &app,
        &url,
        &t,
        "InvalidSourceAgent",
        "properties.sourceAgent",
    )
    .await;
    let mut t = monitor_test_body();
    t["properties"]["destination"] = json!(format!("{}.com", "a".repeat(300)));
    put_refused(
        &app,
        &url,
        &t,
        "InvalidDestination",
        "properties.destination",
    )
    .await;
    let mut t = monitor_test_body();
    t["properties"]["destination"] = json!("www.example.com");
    expect_status(app.put_json(&url, &t).await, 201);
}

/// The writer's queue is bounded: when it is full a write is refused at once with 503 and
/// `Retry-After` (never queued in memory without limit), reads go on, and once the writer is
/// free again writes pass.
#[tokio::test]
async fn a_full_database_queue_is_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        peering_server::open_sqlite_with(&dir.path().join("test.db"), 1, 1, "FULL").unwrap(),
    );
    let state = Arc::new(AppState {
        store: store.clone(),
        tokens: tokens(),
        settings: Settings::default(),
    });
    let app = spawn_state(dir, state).await;
    app.create_connection("rg", "before").await;
    let hold = store.saturate_writer().unwrap();
    let res = app
        .put_json(&app.service_url("rg", "c"), &connection_body())
        .await;
    assert_eq!(res.headers()["retry-after"], "1");
    let (code, message, _) = arm_error(res, 503).await;
    assert_eq!(code, "ServerBusy");
    assert!(message.contains("nothing was written"), "{message}");
    expect_status(app.get(&app.service_url("rg", "before")).await, 200);
    drop(hold);
    // The writer first runs the jobs that filled its queue; then writes pass again.
    let mut status = 0;
    for _ in 0..100 {
        status = app
            .put_json(&app.service_url("rg", "c"), &connection_body())
            .await
            .status()
            .as_u16();
        if status != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, 201);
}

fn stopped_clock() -> std::time::Instant {
    static AT: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *AT.get_or_init(std::time::Instant::now)
}

/// With `--rate-limit N`, an address gets N failed authentications (per second), then 429
/// whatever token it sends, good ones included; other addresses are not affected.
#[tokio::test]
async fn failed_authentications_are_limited_per_client_address() {
    let app = spawn_app_with(Settings {
        rate_limit: Some(3),
        clock: stopped_clock,
        ..Settings::default()
    })
    .await;
    let url = app.sub_url("peeringServiceCountries");
    for i in 0..3 {
        let res = app
            .send_as(
                &format!("guess-{i}-0123456789abcdef"),
                Method::GET,
                &url,
                &[],
                None,
            )
            .await;
        arm_error(res, 401).await;
    }
    let res = app
        .send_as("guess-4-0123456789abcdef", Method::GET, &url, &[], None)
        .await;
    assert!(res.headers().contains_key("retry-after"));
    let (_, message, _) = arm_error(res, 429).await;
    assert_eq!(
        message,
        "More than 3 requests from this address failed to authenticate in a second; retry after 1 s."
    );
    assert_eq!(
        app.get(&url).await.status().as_u16(),
        200,
        "a good token is never refused for the address's failures"
    );
    let res = app
        .send_as("guess-5-0123456789abcdef", Method::GET, &url, &[], None)
        .await;
    arm_error(res, 429).await;
    // Another address (the loopback network is 127/8) is not.
    let other = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let res = other
        .get(&url)
        .bearer_auth(CONTRIBUTOR)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn only_a_trusted_proxy_names_the_client_whose_failures_count() {
    let limited = |trusted: Vec<ipnet::IpNet>| {
        spawn_app_with(Settings {
            rate_limit: Some(2),
            clock: stopped_clock,
            trusted_proxies: trusted,
            ..Settings::default()
        })
    };
    // Behind a trusted proxy (the test's loopback address), each client named by it has its
    // own allowance of failures.
    let app = limited(vec!["127.0.0.0/8".parse().unwrap()]).await;
    assert_eq!(guess(&app, "203.0.113.1").await, 401);
    assert_eq!(guess(&app, "203.0.113.1").await, 401);
    assert_eq!(guess(&app, "203.0.113.1").await, 429);
    assert_eq!(guess(&app, "203.0.113.2").await, 401, "another client");
    assert_eq!(
        guess(&app, "203.0.113.2, 203.0.113.1").await,
        429,
        "the nearest hop the proxy names is the client; what the client wrote before it is not"
    );
    // Anyone else's X-Forwarded-For is ignored: every guess counts against the peer.
    let app = limited(vec!["10.0.0.0/8".parse().unwrap()]).await;
    assert_eq!(guess(&app, "203.0.113.1").await, 401);
    assert_eq!(guess(&app, "203.0.113.2").await, 401);
    assert_eq!(guess(&app, "203.0.113.3").await, 429);
    assert_eq!(
        app.get(&app.sub_url("peeringServiceCountries"))
            .await
            .status()
            .as_u16(),
        200,
        "a valid token from the same address is served"
    );
}

/// A failed authentication that says it comes, through a proxy, from `from`.
async fn guess(app: &TestApp, from: &str) -> u16 {
    app.send_as(
        "guess-0123456789abcdef",
        Method::GET,
        &app.sub_url("peeringServiceCountries"),
        &[("X-Forwarded-For", from)],
        None,
    )
    .await
    .status()
    .as_u16()
}

/// A raw connection to the server, for requests a client library would not send.
async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads what the server sends until it closes the connection (or `limit` passes).
async fn read_until_closed(s: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut out = Vec::new();
    let read = tokio::time::timeout(limit, s.read_to_end(&mut out)).await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn a_client_slow_to_send_its_headers_is_cut_off() {
    let app = spawn_app_with(Settings {
        header_timeout: Duration::from_millis(300),
        ..Settings::default()
    })
    .await;
    let mut s = connect(&app).await;
    s.write_all(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut s, Duration::from_secs(10))
        .await
        .expect("the server closes the connection");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_408() {
    let app = spawn_app_with(Settings {
        request_timeout: Duration::from_millis(300),
        ..Settings::default()
    })
    .await;
    let mut s = connect(&app).await;
    let head = format!(
        "PUT /subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Peering/peeringServices/c?{API} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {CONTRIBUTOR}\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{{\"location\""
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut s, Duration::from_secs(10))
        .await
        .expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"RequestTimeout\""), "{answer}");
    // Nothing was written.
    let (code, _, _) = arm_error(app.get(&app.service_url("rg", "c")).await, 404).await;
    assert_eq!(code, "ResourceNotFound");
}

/// At most `max_connections` are served at once; the next waits until one closes.
#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_one() {
    let app = spawn_app_with(Settings {
        max_connections: 1,
        ..Settings::default()
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let request = b"GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let mut first = TcpStream::connect(&addr).await.unwrap();
    // The first connection is served (and stays open, idle).
    first
        .write_all(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 12];
    first.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"HTTP/1.1 200");
    let mut second = TcpStream::connect(&addr).await.unwrap();
    second.write_all(request).await.unwrap();
    let mut byte = [0u8; 1];
    let waited = tokio::time::timeout(Duration::from_millis(500), second.read(&mut byte)).await;
    assert!(
        waited.is_err(),
        "the second connection is not served while the first is open"
    );
    drop(first);
    let answer = read_until_closed(&mut second, Duration::from_secs(10))
        .await
        .expect("served once the first closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// A list page never builds more than a few MB: with large connections (50 tags of 512 + 256
/// characters, some 40 KB each) a page of `$top=1000` stops early, with a `nextLink` to the
/// rest, and every connection is still listed once.
#[tokio::test]
async fn a_list_page_stops_at_a_few_megabytes() {
    let app = spawn_app().await;
    let mut body = connection_body();
    let tags: serde_json::Map<String, Value> = (0..50)
        .map(|i| (format!("{i:02}{}", "k".repeat(510)), json!("v".repeat(256))))
        .collect();
    body["tags"] = Value::Object(tags);
    let total = 130;
    for i in 0..total {
        expect_status(
            app.put_json(&app.service_url("rg", &format!("c{i:03}")), &body)
                .await,
            201,
        );
    }
    let url = format!("{}&$top=1000", app.sub_url("peeringServices"));
    let res = expect_status(app.get(&url).await, 200);
    let bytes = res.bytes().await.unwrap();
    assert!(
        bytes.len() <= 4 * 1024 * 1024 + 64 * 1024,
        "{} bytes",
        bytes.len()
    );
    let page: Value = serde_json::from_slice(&bytes).unwrap();
    let n = page["value"].as_array().unwrap().len();
    assert!(n < total, "the page stopped early ({n} of {total})");
    assert!(page["nextLink"].is_string());
    let (all, pages) = app.list_all(&url).await;
    assert_eq!((all.len(), pages), (total, 2));
}

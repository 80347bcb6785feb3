//! Alert webhooks against a local receiver that is down at first: the delivery is retried
//! with backoff, each attempt is visible, and once the receiver is up it gets the opening and
//! then the resolution, signed with HMAC-SHA256 over the exact body.

use crate::helpers::*;
use axum::extract::State;
use axum::http::HeaderMap;
use peering_server::webhooks::{signature, Sender, DELIVERY_HEADER, SIGNATURE_HEADER};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &[u8] = b"webhook-secret-0123456789";
type Received = Arc<Mutex<Vec<(HeaderMap, String)>>>;

async fn receive(State(got): State<Received>, headers: HeaderMap, body: String) -> &'static str {
    got.lock().unwrap().push((headers, body));
    "ok"
}

async fn deliveries(app: &TestApp) -> Vec<Value> {
    app.get_json(&app.sub_url("alertWebhookDeliveries")).await["value"]
        .as_array()
        .unwrap()
        .clone()
}

async fn until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check().await {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn route(router: &str, address: &str, location: &str) -> Value {
    route_observation(location, router, address, "2026-11-30T10:00:00Z", true)
}

/// A server whose alert changes go to `url`, `sender` delivering them, with a connection whose
/// prefix has a PrefixFailed rule (no key is registered: it fails at its first observation).
async fn spawn_watched(url: &str, sender: Sender) -> (TestApp, tokio::task::JoinHandle<()>) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn peering_server::store::Store> = Arc::new(
        open_store(dir.path())
            .await
            .with_webhooks(vec![url.to_owned()]),
    );
    let sending = tokio::spawn(sender.run(store.clone()));
    let state = Arc::new(peering_server::AppState {
        store,
        tokens: tokens(),
        settings: Default::default(),
    });
    let app = spawn_state(dir, state).await;
    app.create_connection("rg", "c").await;
    app.create_prefix("rg", "c", "p", "8.8.8.0/24").await;
    expect_status(
        app.put_json(
            &app.url("rg", "c", "/alertRules/failed"),
            &json!({"properties": {"kind": "PrefixFailed"}}),
        )
        .await,
        201,
    );
    (app, sending)
}

#[tokio::test]
async fn a_receiver_down_for_a_while_gets_every_change_signed() {
    // A port nothing listens on yet: the receiver is down.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let sender = Sender {
        poll: Duration::from_millis(100),
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(1),
        timeout: Duration::from_secs(2),
        ..Sender::new(SECRET.to_vec())
    };
    let (app, sending) = spawn_watched(&url, sender).await;

    // The prefix fails (no key): an alert opens, and its delivery fails while nobody listens.
    app.ingest(
        "ingestRouteObservations",
        json!([route("r1", "10.0.0.1", "Seattle")]),
    )
    .await;
    until("a failed attempt", || async {
        deliveries(&app)
            .await
            .first()
            .is_some_and(|d| d["attempts"].as_array().is_some_and(|a| !a.is_empty()))
    })
    .await;
    let d = deliveries(&app).await[0].clone();
    assert_eq!(d["event"], "alert.opened");
    assert_eq!(d["url"], url.as_str());
    assert!(
        d["attempts"][0].get("status").is_none() && d["attempts"][0]["error"].is_string(),
        "{d}"
    );
    // The cause is said, and the URL (which may hold credentials) is not.
    let error = d["attempts"][0]["error"].as_str().unwrap().to_lowercase();
    assert!(
        error.contains("refused") && !error.contains("127.0.0.1"),
        "{error}"
    );
    assert!(
        d["nextAttemptAt"].is_string() && d.get("deliveredAt").is_none(),
        "{d}"
    );

    // The receiver comes up: the retry is delivered.
    let got: Received = Arc::default();
    let receiver = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
    until("the opening delivered", || async {
        !got.lock().unwrap().is_empty()
    })
    .await;

    // Resolve it: every session and the key would be needed; deleting the prefix is quicker.
    expect_status(app.delete(&app.prefix_url("rg", "c", "p")).await, 200);
    until("the resolution delivered", || async {
        got.lock().unwrap().len() == 2
    })
    .await;

    let received = got.lock().unwrap().clone();
    let ids: Vec<i64> = received
        .iter()
        .map(|(_, b)| {
            serde_json::from_str::<Value>(b).unwrap()["alertId"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(
        ids[0], ids[1],
        "alertId pairs the resolution with its opening"
    );
    for (i, (headers, body)) in received.iter().enumerate() {
        assert_eq!(
            headers[SIGNATURE_HEADER].to_str().unwrap(),
            signature(SECRET, body.as_bytes()),
            "signed over the exact body"
        );
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["type"], ["alert.opened", "alert.resolved"][i]);
        assert_eq!(v["alert"]["rule"], "failed");
        assert_eq!(v["alert"]["kind"], "PrefixFailed");
        assert!(headers[DELIVERY_HEADER]
            .to_str()
            .unwrap()
            .parse::<i64>()
            .is_ok());
    }
    let all = deliveries(&app).await;
    assert_eq!(all.len(), 2);
    let opened = &all[1];
    let attempts = opened["attempts"].as_array().unwrap();
    assert!(attempts.len() >= 2, "{opened}");
    assert_eq!(attempts.last().unwrap()["status"], 200);
    assert!(opened["deliveredAt"].is_string() && opened.get("nextAttemptAt").is_none());
    sending.abort();
}

async fn refuse(
    State(got): State<Received>,
    headers: HeaderMap,
    body: String,
) -> axum::http::StatusCode {
    got.lock().unwrap().push((headers, body));
    axum::http::StatusCode::INTERNAL_SERVER_ERROR
}

#[tokio::test]
async fn a_receiver_that_keeps_failing_is_given_up_after_the_last_attempt() {
    let got: Received = Arc::default();
    let receiver = axum::Router::new()
        .route("/hook", axum::routing::post(refuse))
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
    let sender = Sender {
        poll: Duration::from_millis(100),
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(2),
        max_attempts: 3,
        timeout: Duration::from_secs(2),
        ..Sender::new(SECRET.to_vec())
    };
    let (app, sending) = spawn_watched(&url, sender).await;
    app.ingest(
        "ingestRouteObservations",
        json!([route("r1", "10.0.0.1", "Seattle")]),
    )
    .await;
    until("given up", || async {
        deliveries(&app)
            .await
            .first()
            .is_some_and(|d| d["gaveUpAt"].is_string())
    })
    .await;
    let d = deliveries(&app).await[0].clone();
    let attempts = d["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3, "{d}");
    assert!(attempts.iter().all(|a| a["status"] == 500), "{d}");
    assert!(d.get("nextAttemptAt").is_none() && d.get("deliveredAt").is_none());
    assert_eq!(got.lock().unwrap().len(), 3, "no attempt after the last");
    // The waits grew: 1 s, then 2 s (each at most half as much again of jitter).
    let at: Vec<i64> = attempts
        .iter()
        .map(|a| {
            time::OffsetDateTime::parse(
                a["at"].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap()
            .unix_timestamp()
        })
        .collect();
    assert!(at[1] - at[0] >= 1 && at[2] - at[1] >= 2, "{at:?}");
    sending.abort();
}

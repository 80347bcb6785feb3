use crate::helpers::*;
use peering_server::Settings;
use reqwest::Method;
use serde_json::{json, Value};

fn header(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

fn static_settings(frame_ancestors: Vec<String>) -> (Settings, tempfile::TempDir) {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>Peering Console</title>",
    )
    .unwrap();
    std::fs::write(dist.path().join("app.js"), "console.log(1)").unwrap();
    let settings = Settings {
        static_dir: Some(dist.path().to_owned()),
        frame_ancestors,
        ..Settings::default()
    };
    (settings, dist)
}

#[tokio::test]
async fn nosniff_everywhere_and_csp_on_the_app() {
    let (settings, _dist) = static_settings(Vec::new());
    let app = spawn_app_with(settings).await;
    app.create_connection("rg", "c").await;
    let responses = [
        app.get(&app.service_url("rg", "c")).await,
        app.get(&app.service_url("rg", "missing")).await,
        app.send_as("", Method::GET, &app.service_url("rg", "c"), &[], None)
            .await,
        app.get_public("/openapi.json").await,
        app.get_public("/").await,
        app.get_public("/app.js").await,
        app.get_public("/index.html").await,
        app.send_as("", Method::POST, &format!("{}/", app.base), &[], None)
            .await,
    ];
    for res in &responses {
        assert_eq!(
            header(res, "x-content-type-options").as_deref(),
            Some("nosniff"),
            "{}",
            res.url()
        );
    }
    let csp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
    for res in &responses[4..7] {
        assert_eq!(res.status().as_u16(), 200, "{}", res.url());
        assert_eq!(
            header(res, "content-security-policy").as_deref(),
            Some(csp),
            "{}",
            res.url()
        );
    }
    assert_eq!(responses[7].status().as_u16(), 405);

    let (settings, _dist) = static_settings(vec![
        "https://portal.example.com".into(),
        "https://admin.example.org".into(),
    ]);
    let app = spawn_app_with(settings).await;
    let res = app.get_public("/").await;
    let csp = header(&res, "content-security-policy").unwrap();
    assert!(
        csp.ends_with("frame-ancestors https://portal.example.com https://admin.example.org"),
        "{csp}"
    );
}

#[tokio::test]
async fn cors_is_off_by_default() {
    let app = spawn_app().await;
    let evil = [("Origin", "https://evil.example")];
    let res = app
        .send(Method::GET, &app.sub_url("peeringServices"), &evil, None)
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(header(&res, "access-control-allow-origin").is_none());
    let preflight = [
        ("Origin", "https://evil.example"),
        ("Access-Control-Request-Method", "GET"),
    ];
    let url = app.sub_url("peeringServices");
    let res = app
        .send_as("", Method::OPTIONS, &url, &preflight, None)
        .await;
    assert!(header(&res, "access-control-allow-origin").is_none());
    assert!(res.status().as_u16() >= 400);
}

#[tokio::test]
async fn cors_allows_exactly_the_configured_origins() {
    let app = spawn_app_with(Settings {
        cors_origins: vec!["https://portal.example.com".into()],
        ..Settings::default()
    })
    .await;
    app.create_connection("rg", "c").await;
    let url = app.service_url("rg", "c");
    let res = app
        .send(
            Method::GET,
            &url,
            &[("Origin", "https://portal.example.com")],
            None,
        )
        .await;
    assert_eq!(
        header(&res, "access-control-allow-origin").as_deref(),
        Some("https://portal.example.com")
    );
    let exposed = header(&res, "access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        exposed.contains("etag") && exposed.contains("x-ms-error-code"),
        "{exposed}"
    );

    let preflight = [
        ("Origin", "https://portal.example.com"),
        ("Access-Control-Request-Method", "PUT"),
        (
            "Access-Control-Request-Headers",
            "authorization, content-type, if-match, if-none-match",
        ),
    ];
    let url = app.service_url("rg", "c");
    let res = app
        .send_as("", Method::OPTIONS, &url, &preflight, None)
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        header(&res, "access-control-allow-origin").as_deref(),
        Some("https://portal.example.com")
    );
    let allowed = header(&res, "access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for h in ["authorization", "content-type", "if-match", "if-none-match"] {
        assert!(allowed.contains(h), "{allowed}");
    }
    assert!(header(&res, "access-control-allow-methods")
        .unwrap()
        .contains("PATCH"));
    assert_eq!(
        header(&res, "x-content-type-options").as_deref(),
        Some("nosniff")
    );

    for origin in [
        "https://evil.example",
        "https://portal.example.com.evil.example",
        "http://portal.example.com",
    ] {
        let res = app
            .send(Method::GET, &url, &[("Origin", origin)], None)
            .await;
        assert!(
            header(&res, "access-control-allow-origin").is_none(),
            "{origin}"
        );
    }
    assert!(peering_server::cors_layer(&["portal.example.com".into()]).is_err());
    assert!(peering_server::cors_layer(&["https://portal.example.com/path".into()]).is_err());
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_in_the_arm_shape() {
    let app = spawn_app_with(Settings {
        body_limit: 4096,
        ..Settings::default()
    })
    .await;
    let mut body = connection_body();
    body["tags"] = json!({"big": "x".repeat(5000)});
    let (code, message, _) =
        arm_error(app.put_json(&app.service_url("rg", "c"), &body).await, 413).await;
    assert_eq!(code, "RequestEntityTooLarge");
    assert!(message.contains("4096"), "{message}");
    // The default limit is 1 MiB.
    let app = spawn_app().await;
    let mut body = connection_body();
    body["tags"] = json!({"big": "x".repeat(1024 * 1024)});
    let (code, _, _) = arm_error(app.put_json(&app.service_url("rg", "c"), &body).await, 413).await;
    assert_eq!(code, "RequestEntityTooLarge");
    let (items, _) = app.list_all(&app.sub_url("peeringServices")).await;
    assert!(items.is_empty());
}

#[tokio::test]
async fn content_type_and_malformed_json() {
    let app = spawn_app().await;
    let url = app.service_url("rg", "c");
    let body = connection_body().to_string();
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut req = app.request(Method::PUT, &url).body(body.clone());
        if let Some(ct) = ct {
            req = req.header("Content-Type", ct);
        }
        let (code, _, _) = arm_error(req.send().await.unwrap(), 415).await;
        assert_eq!(code, "UnsupportedMediaType");
    }
    let res = app
        .request(Method::PUT, &url)
        .header("Content-Type", "application/json; charset=utf-8")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    for (raw, target) in [
        ("", None),
        ("{", None),
        (
            "{\"properties\": {\"peeringServiceLocation\": ",
            Some("properties.peeringServiceLocation"),
        ),
        ("[]", None),
        ("{\"location\": 5}", Some("location")),
        ("{\"tags\": {\"a\": 1}}", Some("tags.a")),
    ] {
        let res = app
            .request(Method::PUT, &url)
            .header("Content-Type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        let (code, message, t) = arm_error(res, 400).await;
        assert_eq!(code, "InvalidRequestContent", "{raw}");
        assert_eq!(t.as_deref(), target, "{raw}: {message}");
    }
    // Unknown fields are ignored.
    let mut b = connection_body();
    b["unknown"] = json!({"x": [1, 2]});
    b["properties"]["whatever"] = json!(true);
    assert_eq!(app.put_json(&url, &b).await.status().as_u16(), 200);
}

#[tokio::test]
async fn a_method_a_path_does_not_have_is_405() {
    let app = spawn_app().await;
    let cases = [
        (
            Method::POST,
            app.service_url("rg", "c"),
            "GET, PUT, PATCH, DELETE",
        ),
        (
            Method::PATCH,
            app.prefix_url("rg", "c", "p"),
            "GET, PUT, DELETE",
        ),
        (Method::PUT, app.sub_url("peeringServices"), "GET"),
        (
            Method::GET,
            app.sub_url("checkServiceProviderAvailability"),
            "POST",
        ),
        (
            Method::DELETE,
            format!("{}/providers/Microsoft.Peering/operations?{API}", app.base),
            "GET",
        ),
        (
            Method::HEAD,
            app.service_url("rg", "c"),
            "GET, PUT, PATCH, DELETE",
        ),
    ];
    for (m, url, allow) in cases {
        let res = app.request(m.clone(), &url).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 405, "{m} {url}");
        assert_eq!(header(&res, "allow").as_deref(), Some(allow));
        if m != Method::HEAD {
            let (code, _, _) = arm_error(res, 405).await;
            assert_eq!(code, "MethodNotAllowed");
        }
    }
    let url = format!("{}/openapi.json", app.base);
    let res = app.send_as("", Method::DELETE, &url, &[], None).await;
    assert_eq!(res.status().as_u16(), 405);
}

/// The clock of the rate-limit tests: stopped at its first reading, so no request ever earns
/// a refill however slowly the machine runs them.
fn stopped_clock() -> std::time::Instant {
    static AT: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *AT.get_or_init(std::time::Instant::now)
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let app = spawn_app_with(Settings {
        rate_limit: Some(5),
        clock: stopped_clock,
        ..Settings::default()
    })
    .await;
    let url = app.sub_url("peeringServiceCountries");
    // A burst of exactly the rate passes; with the clock stopped, every later request is over.
    for i in 0..5 {
        assert_eq!(app.get(&url).await.status().as_u16(), 200, "request {i}");
    }
    for _ in 0..3 {
        let res = app.get(&url).await;
        let retry = header(&res, "retry-after").expect("Retry-After");
        assert_eq!(retry, "1", "one request refills in 1/5 s, announced as 1 s");
        let (code, message, _) = arm_error(res, 429).await;
        assert_eq!(code, "TooManyRequests");
        assert_eq!(
            message,
            "This token made more than 5 requests in a second; retry after 1 s."
        );
    }
    // The limit comes before everything else, writes and unknown paths included.
    let res = app
        .put_json(&app.service_url("rg", "c"), &connection_body())
        .await;
    arm_error(res, 429).await;
    // Each token has its own budget.
    let res = app.send_as(READER, Method::GET, &url, &[], None).await;
    assert_eq!(res.status().as_u16(), 200);
    // Without --rate-limit there is no limit.
    let app = spawn_app_with(Settings {
        clock: stopped_clock,
        ..Settings::default()
    })
    .await;
    let url = app.sub_url("peeringServiceCountries");
    for _ in 0..50 {
        assert_eq!(app.get(&url).await.status().as_u16(), 200);
    }
}

/// A body that breaks off: the client went away, or sent a malformed chunk.
struct BrokenBody;

impl hyper::body::Body for BrokenBody {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset by peer",
        ))))
    }
}

/// A body that cannot be read is 400 InvalidRequestContent, not 413: only a body over the
/// limit is too large. Driven without a socket, since a real client that breaks off never
/// reads the answer.
#[tokio::test]
async fn an_unreadable_body_is_400_not_413() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let app = peering_server::app(app_state(dir.path(), Settings::default()).await);
    let uri = format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Peering/peeringServices/c?{API}");
    let send = |body: axum::body::Body| {
        let req = axum::http::Request::builder()
            .method("PUT")
            .uri(&uri)
            .header("authorization", format!("Bearer {CONTRIBUTOR}"))
            .header("content-type", "application/json")
            .body(body)
            .unwrap();
        app.clone().oneshot(req)
    };
    let res = send(axum::body::Body::new(BrokenBody)).await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(res.headers()["x-ms-error-code"], "InvalidRequestContent");
    let body = axum::body::to_bytes(res.into_body(), 1 << 16)
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("The request body could not be read"),
        "{message}"
    );
    // The same path, a body over the limit: 413.
    let big = serde_json::to_vec(&json!({"tags": {"x": "y".repeat(2 << 20)}})).unwrap();
    let res = send(axum::body::Body::from(big)).await.unwrap();
    assert_eq!(res.status().as_u16(), 413);
    assert_eq!(res.headers()["x-ms-error-code"], "RequestEntityTooLarge");
}

/// A small deterministic generator, so the test needs no extra crate and every run is the same.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() as usize) % items.len()]
    }
}

/// A control character in a path segment, a query value or a decoded `$skipToken` is a 400
/// naming where it is, on either database (PostgreSQL refuses a NUL in text with an error,
/// which was a 500).
#[tokio::test]
async fn control_characters_are_400_before_any_database() {
    let app = spawn_app().await;
    app.create_connection("rg", "c").await;
    let base = |path: &str, query: &str| {
        format!(
            "{}/subscriptions/{SUB}{path}?api-version=2022-10-01{query}",
            app.base
        )
    };
    let services = "/providers/Microsoft.Peering/peeringServices";
    for (url, code, target) in [
        (
            base(
                "/resourceGroups/rg/providers/Microsoft.Peering/peeringServices/%00",
                "",
            ),
            "InvalidPath",
            None,
        ),
        (
            base(
                "/resourceGroups/r%0Ag/providers/Microsoft.Peering/peeringServices/c",
                "",
            ),
            "InvalidPath",
            None,
        ),
        (
            base(services, "&$skipToken=00.00"),
            "InvalidSkipToken",
            Some("$skipToken"),
        ),
        (
            base(services, "&$skipToken=6162.0a0b"),
            "InvalidSkipToken",
            Some("$skipToken"),
        ),
        (
            base(services, "&$top=1%00"),
            "InvalidQueryParameter",
            Some("$top"),
        ),
    ] {
        let (got, _, t) = arm_error(app.get(&url).await, 400).await;
        assert_eq!(got, code, "{url}");
        assert_eq!(t.as_deref(), target, "{url}");
    }
    // The same names without the control character still work.
    let ok = base(
        "/resourceGroups/rg/providers/Microsoft.Peering/peeringServices/c",
        "",
    );
    assert_eq!(app.get(&ok).await.status().as_u16(), 200);
}

#[tokio::test]
async fn no_input_gets_a_5xx() {
    let app = spawn_app().await;
    app.create_connection("rg", "c").await;
    app.create_prefix("rg", "c", "p", "8.8.8.0/24").await;
    let segments = [
        "subscriptions",
        SUB,
        OTHER_SUB,
        "resourceGroups",
        "rg",
        "providers",
        "Microsoft.Peering",
        "microsoft.PEERING",
        "peeringServices",
        "c",
        "prefixes",
        "p",
        "connectionMonitorTests",
        "t",
        "operations",
        "peeringServiceLocations",
        "checkServiceProviderAvailability",
        "%FF",
        "%2F",
        "a%20b",
        "",
        "..",
        "%C3%BC",
        "%00",
        "x".repeat(300).leak(),
        "ü",
        "(rg)",
    ];
    let queries = [
        "api-version=2022-10-01",
        "api-version=2025-05-01",
        "api-version=1999-01-01",
        "",
        "$top=-1",
        "$skipToken=%FF%FE",
        "$expand=events",
        "country=%00",
        "api-version=2022-10-01&$skipToken=00.00",
        "api-version=2022-10-01&$skipToken=6162.0a",
        "api-version=2022-10-01&$top=1%00",
        "api-version=2022-10-01&api-version=2021-06-01",
        "%ZZ=1",
    ];
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"{\"properties\": null}".to_vec(),
        b"{\"properties\": {\"prefix\": \"8.8.8.0/24\"}}".to_vec(),
        b"{\"properties\": {\"destinationPort\": 99999999999999999999999}}".to_vec(),
        b"{\"tags\": {\"\": \"\"}}".to_vec(),
        "[".repeat(5000).into_bytes(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        serde_json::to_vec(&connection_body()).unwrap(),
        b"{\"location\": \"\\ud800\"}".to_vec(),
    ];
    let methods = [
        Method::GET,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::POST,
        Method::OPTIONS,
        Method::HEAD,
    ];
    let headers = [
        ("If-Match", "garbage"),
        ("If-None-Match", "*"),
        ("Content-Type", "application/json"),
        ("Content-Type", "application/merge-patch+json"),
        ("X-Forwarded-Proto", "gopher"),
    ];
    let mut rng = Lcg(7);
    for _ in 0..600 {
        let depth = 1 + rng.next() as usize % 12;
        let path: Vec<&str> = (0..depth).map(|_| *rng.pick(&segments)).collect();
        let url = format!("{}/{}?{}", app.base, path.join("/"), rng.pick(&queries));
        let method = rng.pick(&methods).clone();
        let mut req = app
            .request(method.clone(), &url)
            .body(rng.pick(&bodies).clone());
        let (h, v) = *rng.pick(&headers);
        req = req.header(h, v);
        if rng.next().is_multiple_of(2) {
            req = req.header("Content-Type", "application/json");
        }
        let res = req.send().await.unwrap();
        assert!(
            res.status().as_u16() < 500,
            "{method} {url} -> {}",
            res.status()
        );
    }
    // A structured sweep: every route with every body.
    let urls = [
        app.service_url("rg", "c"),
        app.prefix_url("rg", "c", "p"),
        app.prefix_url("rg", "c", "q"),
        app.test_url("rg", "c", "t"),
        app.sub_url("checkServiceProviderAvailability"),
        with_version(&app.service_url("rg", "c"), "2025-05-01"),
    ];
    for url in &urls {
        for body in &bodies {
            for m in [Method::PUT, Method::PATCH, Method::POST] {
                let res = app
                    .request(m.clone(), url)
                    .header("Content-Type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                let text = res.text().await.unwrap();
                assert!(
                    status < 500,
                    "{m} {url} {:?} -> {status} {text}",
                    String::from_utf8_lossy(body)
                );
                if status >= 400 {
                    let v: Value = serde_json::from_str(&text).expect("errors are JSON");
                    assert!(
                        v["error"]["code"].is_string() && v["error"]["message"].is_string(),
                        "{text}"
                    );
                }
            }
        }
    }
}

/// Every API answer (errors included) is `no-store` with the JSON policy, every answer has
/// `Referrer-Policy: no-referrer`, each carries a fresh `x-ms-request-id`, a client's
/// `x-ms-client-request-id` comes back, and HSTS is sent only when the public URL is https.
#[tokio::test]
async fn security_headers_on_api_and_app_answers() {
    let (settings, _dist) = static_settings(Vec::new());
    let app = spawn_app_with(settings).await;
    app.create_connection("rg", "c").await;
    let api = [
        app.get(&app.service_url("rg", "c")).await,
        app.get(&app.service_url("rg", "missing")).await,
        app.send_as("", Method::GET, &app.service_url("rg", "c"), &[], None)
            .await,
        app.send_as(
            "not-a-valid-token-at-all",
            Method::GET,
            &app.sub_url("peeringServices"),
            &[],
            None,
        )
        .await,
    ];
    let mut ids = std::collections::HashSet::new();
    for res in &api {
        assert_eq!(
            header(res, "cache-control").as_deref(),
            Some("no-store"),
            "{}",
            res.url()
        );
        assert_eq!(
            header(res, "referrer-policy").as_deref(),
            Some("no-referrer")
        );
        assert_eq!(
            header(res, "content-security-policy").as_deref(),
            Some("default-src 'none'; frame-ancestors 'none'"),
            "{} {}",
            res.url(),
            res.status()
        );
        assert!(header(res, "strict-transport-security").is_none());
        let id = header(res, "x-ms-request-id").expect("a request id");
        assert!(peering_model::names::is_guid(&id), "{id}");
        assert!(ids.insert(id), "request ids are fresh");
    }
    let page = app.get_public("/").await;
    assert_eq!(
        header(&page, "referrer-policy").as_deref(),
        Some("no-referrer")
    );
    assert_eq!(
        header(&page, "cache-control").as_deref(),
        Some("no-cache"),
        "the app's page may be kept and is asked for each time (never no-store like the API)"
    );
    assert!(header(&page, "content-security-policy")
        .unwrap()
        .starts_with("default-src 'self'"));
    let res = app
        .send(
            Method::GET,
            &app.service_url("rg", "c"),
            &[("x-ms-client-request-id", "my-id-42")],
            None,
        )
        .await;
    assert_eq!(
        header(&res, "x-ms-client-request-id").as_deref(),
        Some("my-id-42")
    );

    let app = spawn_app_with(Settings {
        public_url: Some(peering_server::parse_public_url("https://peering.example.com").unwrap()),
        ..Settings::default()
    })
    .await;
    let res = app.get(&app.sub_url("peeringServiceCountries")).await;
    assert_eq!(
        header(&res, "strict-transport-security").as_deref(),
        Some("max-age=31536000")
    );
}

use crate::helpers::*;
use peering_server::auth::{Role, Tokens};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn missing_or_invalid_tokens_get_401_everywhere() {
    let app = spawn_app().await;
    let urls = [
        app.service_url("rg", "c"),
        app.prefix_url("rg", "c", "p"),
        app.sub_url("peeringServiceCountries"),
        format!("{}/providers/Microsoft.Peering/operations?{API}", app.base),
    ];
    for url in &urls {
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            let res = app.send_as("", method.clone(), url, &[], None).await;
            let (code, message, _) = arm_error(res, 401).await;
            assert_eq!(code, "AuthenticationFailed");
            assert!(
                message.contains("Authorization header is missing"),
                "{message}"
            );
            for header in [
                "Basic dXNlcjpwYXNz",
                "Bearer wrong-token-000000000",
                "Bearer",
                "bearer  ",
            ] {
                let headers = [("Authorization", header)];
                let res = app.send_as("", method.clone(), url, &headers, None).await;
                arm_error(res, 401).await;
            }
        }
    }
    // Lower-case scheme is accepted.
    let lower = format!("bearer {CONTRIBUTOR}");
    let res = app
        .send_as(
            "",
            Method::GET,
            &urls[2],
            &[("Authorization", &lower)],
            None,
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn forbidden_subscription_answers_the_same_whether_or_not_things_exist() {
    let app = spawn_app().await;
    // In OTHER_SUB, "exists" exists (with a prefix and a test) and "absent" does not.
    let other = |url: String| url.replace(SUB, OTHER_SUB);
    for (url, body) in [
        (app.service_url("rg", "exists"), connection_body()),
        (
            app.prefix_url("rg", "exists", "p"),
            json!({"properties": {"prefix": "8.8.8.0/24"}}),
        ),
        (app.test_url("rg", "exists", "t"), monitor_test_body()),
    ] {
        let res = app
            .send_as(ADMIN, Method::PUT, &other(url), &[], Some(&body))
            .await;
        expect_status(res, 201);
    }

    let pairs = |name: &str| {
        vec![
            (Method::GET, other(app.service_url("rg", name)), None),
            (
                Method::PUT,
                other(app.service_url("rg", name)),
                Some(connection_body()),
            ),
            (
                Method::PATCH,
                other(app.service_url("rg", name)),
                Some(json!({"tags": {}})),
            ),
            (Method::DELETE, other(app.service_url("rg", name)), None),
            (Method::GET, other(app.prefix_url("rg", name, "p")), None),
            (
                Method::PUT,
                other(app.prefix_url("rg", name, "p")),
                Some(json!({"properties": {"prefix": "9.9.9.0/24"}})),
            ),
            (Method::GET, other(app.url("rg", name, "/prefixes")), None),
            (Method::GET, other(app.test_url("rg", name, "t")), None),
        ]
    };
    async fn answer(
        app: &TestApp,
        token: &str,
        method: Method,
        url: &str,
        body: Option<Value>,
    ) -> (u16, Option<String>, String) {
        let res = app.send_as(token, method, url, &[], body.as_ref()).await;
        let code = res
            .headers()
            .get("x-ms-error-code")
            .map(|v| v.to_str().unwrap().to_owned());
        (res.status().as_u16(), code, res.text().await.unwrap())
    }
    for token in [CONTRIBUTOR, READER] {
        for ((m, url_exists, body_exists), (_, url_absent, body_absent)) in
            pairs("exists").into_iter().zip(pairs("absent"))
        {
            let a = answer(&app, token, m.clone(), &url_exists, body_exists).await;
            let b = answer(&app, token, m.clone(), &url_absent, body_absent).await;
            assert_eq!(a.0, 403, "{m} {url_exists}: {}", a.2);
            assert_eq!(a.1.as_deref(), Some("AuthorizationFailed"));
            assert_eq!(a, b, "{m}: the answer must not reveal what exists");
        }
    }
    // The subscription-wide list too.
    let (code, message, _) =
        arm_error(app.get(&other(app.sub_url("peeringServices"))).await, 403).await;
    assert_eq!(code, "AuthorizationFailed");
    assert!(message.contains(OTHER_SUB));
    // Nothing was changed by the refused writes.
    let url = other(app.prefix_url("rg", "exists", "p"));
    let res = app.send_as(ADMIN, Method::GET, &url, &[], None).await;
    let got: Value = expect_status(res, 200).json().await.unwrap();
    assert_eq!(got["properties"]["prefix"], "8.8.8.0/24");
}

#[tokio::test]
async fn a_reader_reads_and_every_write_is_403() {
    let app = spawn_app().await;
    app.create_connection("rg", "c").await;
    app.create_prefix("rg", "c", "p", "8.8.8.0/24").await;
    app.create_monitor_test("rg", "c", "t").await;
    for url in [
        app.service_url("rg", "c"),
        app.sub_url("peeringServices"),
        format!("{}/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Peering/peeringServices?{API}", app.base),
        app.prefix_url("rg", "c", "p"),
        app.url("rg", "c", "/prefixes"),
        app.test_url("rg", "c", "t"),
        app.url("rg", "c", "/connectionMonitorTests"),
        app.sub_url("peeringServiceCountries"),
        app.sub_url("peeringServiceLocations"),
        app.sub_url("peeringServiceProviders"),
        format!("{}/providers/Microsoft.Peering/operations?{API}", app.base),
    ] {
        let res = app.send_as(READER, Method::GET, &url, &[], None).await;
        assert_eq!(res.status().as_u16(), 200, "{url}");
    }
    let writes = [
        (
            Method::PUT,
            app.service_url("rg", "c"),
            Some(connection_body()),
        ),
        (
            Method::PUT,
            app.service_url("rg", "new"),
            Some(connection_body()),
        ),
        (
            Method::PATCH,
            app.service_url("rg", "c"),
            Some(json!({"tags": {"a": "b"}})),
        ),
        (Method::DELETE, app.service_url("rg", "c"), None),
        (
            Method::PUT,
            app.prefix_url("rg", "c", "q"),
            Some(json!({"properties": {"prefix": "9.9.9.0/24"}})),
        ),
        (Method::DELETE, app.prefix_url("rg", "c", "p"), None),
        (
            Method::PUT,
            app.test_url("rg", "c", "t"),
            Some(monitor_test_body()),
        ),
        (Method::DELETE, app.test_url("rg", "c", "t"), None),
        (
            Method::POST,
            app.sub_url("checkServiceProviderAvailability"),
            Some(json!({"peeringServiceLocation": "Osaka", "peeringServiceProvider": "IIJ"})),
        ),
        (
            Method::POST,
            app.sub_url("initializeConnectionMonitor"),
            None,
        ),
    ];
    for (m, url, body) in writes {
        let res = app
            .send_as(READER, m.clone(), &url, &[], body.as_ref())
            .await;
        let (code, message, _) = arm_error(res, 403).await;
        assert_eq!(code, "AuthorizationFailed", "{m} {url}");
        assert!(message.contains("reader"), "{message}");
    }
    // Everything is still there.
    for url in [
        app.service_url("rg", "c"),
        app.prefix_url("rg", "c", "p"),
        app.test_url("rg", "c", "t"),
    ] {
        assert_eq!(app.get(&url).await.status().as_u16(), 200);
    }
    let (code, _, _) = arm_error(app.get(&app.service_url("rg", "new")).await, 404).await;
    assert_eq!(code, "ResourceNotFound");
}

#[tokio::test]
async fn tokens_file_is_read_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    std::fs::write(
        &path,
        r#"[{"token": "reader-0123456789abcdef", "subscriptions": ["00000000-0000-0000-0000-0000000000AA"], "role": "reader"},
            {"token": "writer-0123456789abcdef", "subscriptions": ["*"], "role": "contributor"}]"#,
    )
    .unwrap();
    let tokens = Tokens::load(&path).unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "authorization",
        "Bearer reader-0123456789abcdef".parse().unwrap(),
    );
    let caller = tokens.authenticate(&headers, 0).await.unwrap();
    assert_eq!(
        caller.role_in(SUB),
        Some(Role::Reader),
        "subscription ids compare case-insensitively"
    );
    assert_eq!(caller.role_in(OTHER_SUB), None);
    std::fs::write(
        &path,
        r#"[{"token": "short", "subscriptions": ["*"], "role": "reader"}]"#,
    )
    .unwrap();
    assert!(Tokens::load(&path)
        .unwrap_err()
        .contains("at least 16 characters"));
    std::fs::write(
        &path,
        r#"[{"token": "writer-0123456789abcdef", "subscriptions": ["*"], "role": "owner"}]"#,
    )
    .unwrap();
    assert!(Tokens::load(&path).is_err());
}

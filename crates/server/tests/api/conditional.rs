use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

fn etag(res: &reqwest::Response) -> String {
    res.headers()
        .get("etag")
        .expect("ETag header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// The three kinds of resource, each with a URL, a body to create it and a body that changes it.
fn resources(app: &TestApp) -> Vec<(String, Value, Value)> {
    let mut changed_test = monitor_test_body();
    changed_test["properties"]["destinationPort"] = json!(8443);
    vec![
        (
            app.service_url("rg", "c"),
            connection_body(),
            json!({"location": "West US 2", "tags": {"a": "b"}, "properties": connection_body()["properties"]}),
        ),
        (
            app.prefix_url("rg", "c", "p"),
            json!({"properties": {"prefix": "8.8.8.0/24"}}),
            json!({"properties": {"prefix": "8.8.8.0/24", "peeringServicePrefixKey": "00000000-0000-0000-0000-000000000001"}}),
        ),
        (
            app.test_url("rg", "c", "t"),
            monitor_test_body(),
            changed_test,
        ),
    ]
}

#[tokio::test]
async fn etags_and_preconditions_on_every_resource() {
    let app = spawn_app().await;
    // If-None-Match: * creates only what is absent.
    let conn = app.service_url("rg", "c");
    let res = app
        .send(
            Method::PUT,
            &conn,
            &[("If-None-Match", "*")],
            Some(&connection_body()),
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    for (url, create, change) in resources(&app) {
        if url != conn {
            // If-Match on a resource that does not exist.
            let res = app
                .send(Method::PUT, &url, &[("If-Match", "*")], Some(&create))
                .await;
            let (code, _, _) = arm_error(res, 412).await;
            assert_eq!(code, "PreconditionFailed");
            let res = app
                .send(Method::PUT, &url, &[("If-None-Match", "*")], Some(&create))
                .await;
            assert_eq!(res.status().as_u16(), 201, "{url}");
        }
        let res = app
            .send(Method::PUT, &url, &[("If-None-Match", "*")], Some(&create))
            .await;
        arm_error(res, 412).await;

        // GET: an ETag, the same for every api-version and expansion; 304 when it matches.
        let res = app.get(&url).await;
        assert_eq!(res.status().as_u16(), 200);
        let tag = etag(&res);
        assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");
        for other in [
            with_version(&url, "2025-05-01"),
            with_version(&url, "2021-06-01"),
            format!("{url}&$expand=events"),
        ] {
            if other.contains("$expand") && !url.contains("/prefixes/") {
                continue;
            }
            assert_eq!(etag(&app.get(&other).await), tag, "{other}");
        }
        let res = app
            .send(Method::GET, &url, &[("If-None-Match", &tag)], None)
            .await;
        assert_eq!(res.status().as_u16(), 304);
        assert_eq!(etag(&res), tag);
        let res = app
            .send(Method::GET, &url, &[("If-None-Match", "\"other\"")], None)
            .await;
        assert_eq!(res.status().as_u16(), 200);

        // A stale If-Match is refused and nothing changes; the current one passes.
        let res = app
            .send(
                Method::PUT,
                &url,
                &[("If-Match", "\"stale\"")],
                Some(&change),
            )
            .await;
        let (code, _, _) = arm_error(res, 412).await;
        assert_eq!(code, "PreconditionFailed");
        assert_eq!(etag(&app.get(&url).await), tag);
        let res = app
            .send(Method::PUT, &url, &[("If-Match", &tag)], Some(&change))
            .await;
        assert_eq!(res.status().as_u16(), 200, "{url}");
        let new_tag = etag(&res);
        assert_ne!(new_tag, tag, "a change changes the ETag");
        assert_eq!(
            etag(&app.get(&url).await),
            new_tag,
            "the PUT answers with the stored ETag"
        );
        let res = app
            .send(Method::GET, &url, &[("If-None-Match", &tag)], None)
            .await;
        assert_eq!(res.status().as_u16(), 200, "the old ETag no longer matches");
    }

    // PATCH honours If-Match.
    let tag = etag(&app.get(&conn).await);
    let res = app
        .send(
            Method::PATCH,
            &conn,
            &[("If-Match", "\"stale\"")],
            Some(&json!({"tags": {"x": "y"}})),
        )
        .await;
    arm_error(res, 412).await;
    let res = app
        .send(
            Method::PATCH,
            &conn,
            &[("If-Match", &tag)],
            Some(&json!({"tags": {"x": "y"}})),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["tags"], json!({"x": "y"}));

    // DELETE honours If-Match, children first.
    for (url, _, _) in resources(&app).into_iter().rev() {
        let res = app
            .send(Method::DELETE, &url, &[("If-Match", "\"stale\"")], None)
            .await;
        arm_error(res, 412).await;
        let tag = etag(&app.get(&url).await);
        let res = app
            .send(Method::DELETE, &url, &[("If-Match", &tag)], None)
            .await;
        assert_eq!(res.status().as_u16(), 200, "{url}");
    }
}

/// `If-Match` uses the strong comparison: a weak tag never matches, even one with the current
/// opaque value. `If-None-Match` uses the weak one: `W/"x"` matches the ETag `"x"`.
#[tokio::test]
async fn if_match_is_strong_and_if_none_match_weak() {
    let app = spawn_app().await;
    app.create_connection("rg", "c").await;
    app.create_prefix("rg", "c", "p", "8.8.8.0/24").await;
    app.create_monitor_test("rg", "c", "t").await;
    for (url, body) in [
        (app.service_url("rg", "c"), connection_body()),
        (
            app.prefix_url("rg", "c", "p"),
            json!({"properties": {"prefix": "8.8.8.0/24"}}),
        ),
        (app.test_url("rg", "c", "t"), monitor_test_body()),
    ] {
        let tag = etag(&app.get(&url).await);
        let weak = format!("W/{tag}");
        for if_match in [weak.clone(), format!("\"other\", {weak}")] {
            let res = app
                .send(Method::PUT, &url, &[("If-Match", &if_match)], Some(&body))
                .await;
            let (code, _, _) = arm_error(res, 412).await;
            assert_eq!(code, "PreconditionFailed", "{url} If-Match: {if_match}");
            let res = app
                .send(Method::DELETE, &url, &[("If-Match", &if_match)], None)
                .await;
            arm_error(res, 412).await;
        }
        // The strong tag itself still matches.
        let res = app
            .send(
                Method::PUT,
                &url,
                &[("If-Match", &format!("{weak}, {tag}"))],
                Some(&body),
            )
            .await;
        assert_eq!(res.status().as_u16(), 200, "{url}");
        // If-None-Match with the weak tag: 304 on a read, 412 on a write.
        let tag = etag(&res);
        let weak = format!("W/{tag}");
        let res = app
            .send(Method::GET, &url, &[("If-None-Match", &weak)], None)
            .await;
        assert_eq!(res.status().as_u16(), 304, "{url}");
        let res = app
            .send(Method::PUT, &url, &[("If-None-Match", &weak)], Some(&body))
            .await;
        arm_error(res, 412).await;
    }
    // PATCH too.
    let url = app.service_url("rg", "c");
    let weak = format!("W/{}", etag(&app.get(&url).await));
    let res = app
        .send(
            Method::PATCH,
            &url,
            &[("If-Match", &weak)],
            Some(&json!({"tags": {"a": "b"}})),
        )
        .await;
    arm_error(res, 412).await;
}

/// Lists carry a validator of their own (a digest of the answer): polling with `If-None-Match`
/// costs a 304 without a body until something in the list changes; a resource keeps its
/// stored ETag.
#[tokio::test]
async fn a_list_polled_with_if_none_match_answers_304_until_it_changes() {
    let app = spawn_app().await;
    app.create_connection("rg", "a").await;
    let poll = |url: String, tag: String| {
        let req = app.request(Method::GET, &url).header("If-None-Match", tag);
        async move { req.send().await.unwrap() }
    };
    let lists = [
        app.sub_url("peeringServices"),
        app.url("rg", "a", "/prefixes"),
    ];
    let mut tags = Vec::new();
    for url in &lists {
        let tag = etag(&expect_status(app.get(url).await, 200));
        assert!(tag.starts_with("\"l-"), "{tag}");
        let again = poll(url.clone(), tag.clone()).await;
        assert_eq!(again.status(), 304, "{url}");
        assert_eq!(etag(&again), tag);
        assert!(again.bytes().await.unwrap().is_empty());
        tags.push(tag);
    }
    // A change in each list: a new validator, and the list again.
    app.create_connection("rg", "b").await;
    app.create_prefix("rg", "a", "p", "8.8.8.0/24").await;
    for (url, tag) in lists.iter().zip(tags) {
        let changed = poll(url.clone(), tag.clone()).await;
        assert_eq!(changed.status(), 200, "{url}");
        assert_ne!(etag(&changed), tag);
    }
    // A resource keeps the ETag of its stored version.
    let one = expect_status(app.get(&app.service_url("rg", "a")).await, 200);
    assert!(!etag(&one).starts_with("\"l-"));
}

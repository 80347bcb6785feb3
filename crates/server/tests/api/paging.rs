use crate::helpers::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::Arc;

/// Creates `names` in parallel (8 at a time).
async fn create_many(app: &Arc<TestApp>, names: Vec<(String, String)>) {
    let mut set = tokio::task::JoinSet::new();
    for chunk in names.chunks(names.len().div_ceil(8)) {
        let app = app.clone();
        let chunk = chunk.to_vec();
        set.spawn(async move {
            for (rg, name) in chunk {
                app.create_connection(&rg, &name).await;
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
}

fn key(v: &Value) -> (String, String) {
    let id = v["id"].as_str().unwrap();
    let rg = id.split('/').nth(4).unwrap().to_lowercase();
    (rg, v["name"].as_str().unwrap().to_ascii_lowercase())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_connections_in_pages_of_100() {
    let app = Arc::new(spawn_app().await);
    let names: Vec<(String, String)> = (0..1000)
        .map(|i| (format!("rg-{}", i % 3), format!("conn-{i:04}")))
        .collect();
    create_many(&app, names.clone()).await;

    let first = app.get_json(&app.sub_url("peeringServices")).await;
    assert_eq!(
        first["value"].as_array().unwrap().len(),
        100,
        "the default page size is 100"
    );
    let next = first["nextLink"].as_str().unwrap();
    assert!(
        next.starts_with(&format!(
            "{}/subscriptions/{SUB}/providers/Microsoft.Peering/peeringServices?",
            app.base
        )),
        "{next}"
    );
    assert!(next.contains("api-version=2022-10-01"), "{next}");

    let (items, pages) = app.list_all(&app.sub_url("peeringServices")).await;
    assert_eq!(pages, 10);
    assert_eq!(items.len(), 1000);
    let keys: Vec<_> = items.iter().map(key).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "stable (resource group, name) order");
    assert_eq!(
        keys.iter().collect::<HashSet<_>>().len(),
        1000,
        "no item twice"
    );

    // By resource group, with another page size.
    let url = format!("{}/subscriptions/{SUB}/resourceGroups/RG-1/providers/Microsoft.Peering/peeringServices?$top=50&{API}", app.base);
    let (items, pages) = app.list_all(&url).await;
    assert_eq!(items.len(), 333);
    assert_eq!(pages, 7);
    assert!(items.iter().all(|v| key(v).0 == "rg-1"));
}

#[tokio::test]
async fn pages_stay_stable_while_items_come_and_go() {
    let app = Arc::new(spawn_app().await);
    let names: Vec<(String, String)> = (0..30)
        .map(|i| ("rg".to_owned(), format!("c{:02}", i * 2)))
        .collect();
    create_many(&app, names).await;
    let url = format!("{}&$top=10", app.sub_url("peeringServices"));
    let page1 = app.get_json(&url).await;
    let mut seen: Vec<String> = page1["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen.first().map(String::as_str), Some("c00"));
    assert_eq!(seen.last().map(String::as_str), Some("c18"));

    // Between pages: delete one already seen and one not yet seen; create one before the
    // cursor and two after it.
    expect_status(app.delete(&app.service_url("rg", "c04")).await, 200);
    expect_status(app.delete(&app.service_url("rg", "c30")).await, 200);
    app.create_connection("rg", "c05").await;
    app.create_connection("rg", "c19").await;
    app.create_connection("rg", "c99").await;

    let (rest, _) = app.list_all(page1["nextLink"].as_str().unwrap()).await;
    seen.extend(rest.iter().map(|v| v["name"].as_str().unwrap().to_owned()));
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no item twice: {seen:?}");
    for i in 0..30 {
        let name = format!("c{:02}", i * 2);
        if name != "c30" {
            assert!(
                unique.contains(&name),
                "{name}, there the whole time, was listed"
            );
        }
    }
    assert!(
        !unique.contains(&"c30".to_owned()),
        "deleted before its page"
    );
    assert!(
        !unique.contains(&"c05".to_owned()),
        "created behind the cursor"
    );
    assert!(
        unique.contains(&"c19".to_owned()) && unique.contains(&"c99".to_owned()),
        "created ahead of the cursor"
    );
}

#[tokio::test]
async fn child_and_catalog_lists_page_too() {
    let app = spawn_app().await;
    app.create_connection("rg", "c").await;
    for i in 0..5 {
        let res = app
            .put_prefix("rg", "c", &format!("p{i}"), &format!("40.{i}.0.0/16"))
            .await;
        assert_eq!(res.status().as_u16(), 201);
        let res = app
            .put_json(
                &app.test_url("rg", "c", &format!("t{i}")),
                &monitor_test_body(),
            )
            .await;
        assert_eq!(res.status().as_u16(), 201);
    }
    let (items, pages) = app
        .list_all(&format!(
            "{}&$top=2&$expand=events",
            app.url("rg", "c", "/prefixes")
        ))
        .await;
    assert_eq!((items.len(), pages), (5, 3));
    assert!(
        items.iter().all(|v| v["properties"]["events"].is_array()),
        "$expand is kept in nextLink"
    );
    let (items, pages) = app
        .list_all(&format!(
            "{}&$top=2",
            app.url("rg", "c", "/connectionMonitorTests")
        ))
        .await;
    assert_eq!((items.len(), pages), (5, 3));
    let (all, pages) = app.list_all(&app.sub_url("peeringServiceLocations")).await;
    assert!(pages > 1, "more than 100 locations in the catalog");
    let (us, _) = app
        .list_all(&format!(
            "{}&country=united%20STATES",
            app.sub_url("peeringServiceLocations")
        ))
        .await;
    assert_eq!(us.len(), 50);
    assert!(all.len() > us.len());
    let (countries, _) = app.list_all(&app.sub_url("peeringServiceCountries")).await;
    assert!(countries.iter().any(|c| c["name"] == "United States"));
}

#[tokio::test]
async fn bad_paging_parameters_are_400() {
    let app = spawn_app().await;
    for (q, target) in [
        ("$top=0", "$top"),
        ("$top=1001", "$top"),
        ("$top=x", "$top"),
        ("$skipToken=zz", "$skipToken"),
        ("$skipToken=ff.fg", "$skipToken"),
    ] {
        let (code, _, t) = arm_error(
            app.get(&format!("{}&{q}", app.sub_url("peeringServices")))
                .await,
            400,
        )
        .await;
        assert_eq!(t.as_deref(), Some(target), "{q}: {code}");
    }
    let res = app
        .get(&format!("{}&$top=1000", app.sub_url("peeringServices")))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({"value": []}), "no nextLink on the last page");
}

/// A crafted `$skipToken` of a catalog list holding the largest position must not overflow
/// (a panic, so a 500, in a debug build; wrapping to the first page in a release build).
#[tokio::test]
async fn a_skip_token_at_the_largest_position_is_400() {
    let app = spawn_app().await;
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    for position in [
        usize::MAX.to_string(),
        "99999999999999999999999".to_owned(),
        "-1".to_owned(),
    ] {
        let token = format!(".{}", hex(&position));
        for list in [
            "peeringServiceCountries",
            "peeringServiceLocations",
            "peeringServiceProviders",
        ] {
            let url = format!("{}&$skipToken={token}", app.sub_url(list));
            let (code, _, target) = arm_error(app.get(&url).await, 400).await;
            assert_eq!(
                (code.as_str(), target.as_deref()),
                ("InvalidSkipToken", Some("$skipToken")),
                "{list} {position}"
            );
        }
        let url = format!(
            "{}/providers/Microsoft.Peering/operations?{API}&$skipToken={token}",
            app.base
        );
        let (code, _, _) = arm_error(app.get(&url).await, 400).await;
        assert_eq!(code, "InvalidSkipToken");
    }
    // The largest position that still has a successor is past the end: an empty last page.
    let token = format!(".{}", hex(&(usize::MAX - 1).to_string()));
    let body = app
        .get_json(&format!(
            "{}&$skipToken={token}",
            app.sub_url("peeringServiceCountries")
        ))
        .await;
    assert_eq!(body, json!({"value": []}));
}

/// Without `--public-url`, nextLink is built from the address the client connected to (one of
/// the server's own): a `Host` or `X-Forwarded-Proto` header sent by anyone is never echoed,
/// so a forged one cannot send the next request (and its token) elsewhere.
#[tokio::test]
async fn next_link_is_the_listen_address_whatever_the_host_header_says() {
    let app = spawn_app().await;
    let url = format!("{}&$top=2", app.sub_url("peeringServiceCountries"));
    let path = format!("/subscriptions/{SUB}/providers/Microsoft.Peering/peeringServiceCountries?");
    let ours = format!("{}{path}", app.base);
    let page = app.get_json(&url).await;
    let next = page["nextLink"].as_str().unwrap();
    assert!(next.starts_with(&ours), "{next}");
    for forged in [
        &[("Host", "evil.example:8443")][..],
        &[("X-Forwarded-Proto", "https")],
        &[
            ("Host", "evil.example"),
            ("X-Forwarded-Host", "evil.example"),
        ],
    ] {
        let res = app.send(reqwest::Method::GET, &url, forged, None).await;
        let page: Value = expect_status(res, 200).json().await.unwrap();
        let next = page["nextLink"].as_str().unwrap();
        assert!(next.starts_with(&ours), "{forged:?}: {next}");
        assert!(!next.contains("evil"), "{next}");
    }
    // The loopback name of the same address and port is ours too: a page opened as
    // http://localhost:PORT follows links on its own origin.
    let port = app.base.rsplit(':').next().unwrap();
    let localhost = format!("localhost:{port}");
    let res = app
        .send(reqwest::Method::GET, &url, &[("Host", &localhost)], None)
        .await;
    let page: Value = expect_status(res, 200).json().await.unwrap();
    let next = page["nextLink"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("http://{localhost}{path}")),
        "{next}"
    );
}

/// With `--public-url`, every nextLink starts with it, whatever Host and X-Forwarded-Proto say.
#[tokio::test]
async fn next_link_uses_the_public_url() {
    let public = peering_server::parse_public_url("https://peering.example.com/api/").unwrap();
    let app = spawn_app_with(peering_server::Settings {
        public_url: Some(public.clone()),
        ..peering_server::Settings::default()
    })
    .await;
    for name in ["a", "b", "c"] {
        app.create_connection("rg", name).await;
    }
    for (list, headers) in [
        (format!("{}&$top=2", app.sub_url("peeringServices")), vec![]),
        (
            format!("{}&$top=2", app.sub_url("peeringServiceLocations")),
            vec![
                ("X-Forwarded-Proto", "http"),
                ("Host", "elsewhere.example.org"),
            ],
        ),
        (format!("{}&$top=2", app.url("rg", "", "")), vec![]),
    ] {
        let res = app.send(reqwest::Method::GET, &list, &headers, None).await;
        let page: Value = expect_status(res, 200).json().await.unwrap();
        let next = page["nextLink"].as_str().unwrap();
        let rest = next
            .strip_prefix("https://peering.example.com/api/subscriptions/")
            .unwrap_or_else(|| panic!("{next}"));
        assert!(
            rest.contains("api-version=2022-10-01") && rest.contains("$skipToken="),
            "{next}"
        );
        // Behind the proxy the link names this server's page.
        let here = next.replacen(&public, &app.base, 1);
        let page: Value = app.get_json(&here).await;
        assert!(!page["value"].as_array().unwrap().is_empty(), "{here}");
    }
}

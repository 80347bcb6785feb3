use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn put_creates_then_replaces_and_get_returns_it() {
    let app = spawn_app().await;
    let url = app.service_url("rg1", "Seattle-Office");
    let res = app.put_json(&url, &connection_body()).await;
    assert_eq!(res.status().as_u16(), 201);
    assert!(res.headers().get("etag").is_some());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["name"], "Seattle-Office");
    assert_eq!(body["type"], "Microsoft.Peering/peeringServices");
    assert_eq!(body["properties"]["provisioningState"], "Succeeded");

    let res = app
        .put_json(
            &app.service_url("RG1", "seattle-office"),
            &connection_body(),
        )
        .await;
    assert_eq!(
        res.status().as_u16(),
        200,
        "same name in another casing replaces"
    );
    let got = app.get_json(&url).await;
    assert_eq!(got["name"], "Seattle-Office", "the first casing is kept");
    assert_eq!(
        got["properties"]["providerBackupPeeringLocation"],
        "san Jose"
    );
}

#[tokio::test]
async fn catalog_spelling_is_stored_and_region_defaults_to_the_location() {
    let app = spawn_app().await;
    let body = json!({"properties": {"peeringServiceLocation": "washington", "peeringServiceProvider": "EQUINIX maps", "providerPrimaryPeeringLocation": "SEATTLE"}});
    let res = app.put_json(&app.service_url("rg1", "c1"), &body).await;
    assert_eq!(res.status().as_u16(), 201);
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["location"], "West US 2");
    assert_eq!(got["properties"]["peeringServiceLocation"], "Washington");
    assert_eq!(got["properties"]["peeringServiceProvider"], "equinix MAPS");
    assert_eq!(
        got["properties"]["providerPrimaryPeeringLocation"],
        "seattle"
    );
}

#[tokio::test]
async fn invalid_connections_are_refused_with_the_model_message() {
    let app = spawn_app().await;
    let cases = [
        ("bad name!", connection_body(), "InvalidName", "name"),
        (
            "ok",
            json!({"properties": {"peeringServiceLocation": "Atlantis", "peeringServiceProvider": "equinix MAPS", "providerPrimaryPeeringLocation": "seattle"}}),
            "UnknownLocation",
            "properties.peeringServiceLocation",
        ),
        (
            "ok",
            json!({"properties": {"peeringServiceLocation": "Washington", "peeringServiceProvider": "equinix MAPS", "providerPrimaryPeeringLocation": "London"}}),
            "InvalidPrimaryLocation",
            "properties.providerPrimaryPeeringLocation",
        ),
        (
            "ok",
            json!({"properties": {"peeringServiceLocation": "Washington", "peeringServiceProvider": "equinix MAPS", "providerPrimaryPeeringLocation": "seattle", "providerBackupPeeringLocation": "Seattle"}}),
            "BackupEqualsPrimary",
            "properties.providerBackupPeeringLocation",
        ),
        (
            "ok",
            json!({"properties": {"peeringServiceLocation": "Washington", "peeringServiceProvider": 7}}),
            "InvalidRequestContent",
            "properties.peeringServiceProvider",
        ),
    ];
    for (name, body, code, target) in cases {
        put_refused(
            &app,
            &app.service_url("rg1", &urlencode(name)),
            &body,
            code,
            target,
        )
        .await;
    }
    // Nothing was written.
    let list = app.get_json(&app.sub_url("peeringServices")).await;
    assert_eq!(list["value"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn server_and_model_say_the_same_words() {
    let app = spawn_app().await;
    let body = json!({"properties": {"peeringServiceLocation": "Washington", "peeringServiceProvider": "equinix MAPS", "providerPrimaryPeeringLocation": "London"}});
    let (_, message, _) =
        arm_error(app.put_json(&app.service_url("rg1", "c"), &body).await, 400).await;
    let draft = peering_model::connection::ConnectionDraft {
        name: "c".into(),
        location: "Washington".into(),
        provider: "equinix MAPS".into(),
        primary: "London".into(),
        ..Default::default()
    };
    let (_, findings) =
        peering_model::connection::validate_connection(peering_model::Catalog::embedded(), &draft);
    assert_eq!(message, findings.first_error().unwrap().message);
}

fn urlencode(s: &str) -> String {
    s.replace(' ', "%20").replace('!', "%21")
}

#[tokio::test]
async fn list_by_subscription_and_group_delete_and_missing() {
    let app = spawn_app().await;
    for (rg, name) in [("rg1", "a"), ("rg1", "b"), ("rg2", "c")] {
        assert_eq!(
            app.put_json(&app.service_url(rg, name), &connection_body())
                .await
                .status()
                .as_u16(),
            201
        );
    }
    let by_sub = app.get_json(&app.sub_url("peeringServices")).await;
    let names: Vec<&str> = by_sub["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert!(by_sub.get("nextLink").is_none());
    let by_rg = app.get_json(&app.url("rg2", "", "")).await;
    assert_eq!(by_rg["value"].as_array().unwrap().len(), 1);

    app.delete_and_check_gone(&app.service_url("rg1", "a"))
        .await;
}

#[tokio::test]
async fn tokens_are_required_and_scoped() {
    let app = spawn_app().await;
    let url = app.service_url("rg1", "a");
    let res = app.send_as("", Method::GET, &url, &[], None).await;
    let (code, _, _) = arm_error(res, 401).await;
    assert_eq!(code, "AuthenticationFailed");
    let wrong = "wrong-token-000000000";
    arm_error(app.send_as(wrong, Method::GET, &url, &[], None).await, 401).await;
    let other = url.replace(SUB, OTHER_SUB);
    let (code, _, _) = arm_error(app.get(&other).await, 403).await;
    assert_eq!(code, "AuthorizationFailed");
    let body = connection_body();
    let res = app
        .send_as(READER, Method::PUT, &url, &[], Some(&body))
        .await;
    arm_error(res, 403).await;
    let res = app.send_as(READER, Method::GET, &url, &[], None).await;
    assert_eq!(res.status().as_u16(), 404, "a reader can read");
}

#[tokio::test]
async fn unknown_api_version_is_refused() {
    let app = spawn_app().await;
    let url = with_version(&app.service_url("rg1", "a"), "2019-01-01");
    let (code, _, target) = arm_error(app.get(&url).await, 400).await;
    assert_eq!(code, "InvalidApiVersionParameter");
    assert_eq!(target.as_deref(), Some("api-version"));
}

#[tokio::test]
async fn catalog_operations() {
    let app = spawn_app().await;
    let url = format!("{}/subscriptions/{SUB}/providers/Microsoft.Peering/peeringServiceLocations?country=UNITED%20STATES&{API}", app.base);
    let body = app.get_json(&url).await;
    assert_eq!(body["value"].as_array().unwrap().len(), 50);
    assert_eq!(body["value"][0]["properties"]["country"], "United States");
    let url = format!(
        "{}/subscriptions/{SUB}/providers/microsoft.peering/checkServiceProviderAvailability?{API}",
        app.base
    );
    let body = json!({"peeringServiceLocation": "Osaka", "peeringServiceProvider": "IIJ"});
    let res = app.send(Method::POST, &url, &[], Some(&body)).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!("Available"));
}

#[tokio::test]
async fn list_items_are_the_same_bytes_as_get() {
    let app = spawn_app().await;
    app.create_connection("Rg-(1)", "a").await;
    let mut body = connection_body();
    body["tags"] = json!({"x": "1", "a b": "<&>\"\u{e9}"});
    body["sku"] = json!({"name": "Standard_Free"});
    body["properties"]["providerBackupPeeringLocation"] = Value::Null;
    assert_eq!(
        app.put_json(&app.service_url("Rg-(1)", "b.c_d-e"), &body)
            .await
            .status()
            .as_u16(),
        201
    );
    for version in ["2021-06-01", "2022-10-01", "2025-05-01"] {
        let list_url = format!("{}/subscriptions/{SUB}/providers/Microsoft.Peering/peeringServices?api-version={version}", app.base);
        let list = app.get_json(&list_url).await;
        let items = list["value"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        for item in items {
            let url = format!(
                "{}{}?api-version={version}",
                app.base,
                item["id"].as_str().unwrap()
            );
            let got = app.get_json(&url).await;
            assert_eq!(&got, item, "{version}");
            assert_eq!(got.get("systemData").is_some(), version == "2025-05-01");
        }
        assert_eq!(items[1]["tags"]["a b"], "<&>\"\u{e9}");
        assert_eq!(items[1]["sku"]["name"], "Standard_Free");
        assert!(items[1]["properties"]
            .get("providerBackupPeeringLocation")
            .is_none());
        assert_eq!(items[0]["id"], format!("/subscriptions/{SUB}/resourceGroups/Rg-(1)/providers/Microsoft.Peering/peeringServices/a"));
    }
}

#[tokio::test]
async fn patch_replaces_tags_and_keeps_the_rest() {
    let app = spawn_app().await;
    let url = app.service_url("rg1", "c");
    let mut body = connection_body();
    body["tags"] = json!({"old": "1"});
    app.put_json(&url, &body).await;
    let res = app
        .send(
            Method::PATCH,
            &url,
            &[],
            Some(&json!({"tags": {"new": "2"}})),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers().get("etag").is_some());
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["tags"], json!({"new": "2"}));
    assert_eq!(got["properties"]["peeringServiceProvider"], "equinix MAPS");
    let bad = json!({"tags": {"bad/key": "x"}});
    let res = app.send(Method::PATCH, &url, &[], Some(&bad)).await;
    let (code, _, target) = arm_error(res, 400).await;
    assert_eq!((code.as_str(), target.is_some()), ("InvalidTagName", true));
    let missing = app.service_url("rg1", "missing");
    let res = app
        .send(Method::PATCH, &missing, &[], Some(&json!({"tags": {}})))
        .await;
    let (code, _, _) = arm_error(res, 404).await;
    assert_eq!(code, "ResourceNotFound");
    let got = app.get_json(&with_version(&url, "2025-05-01")).await;
    let sd = &got["systemData"];
    assert!(sd["lastModifiedAt"].as_str().unwrap() >= sd["createdAt"].as_str().unwrap());
}

/// ARM leaves absent properties unchanged: a PATCH without `tags` (or with `"tags": null`)
/// answers the connection as it is and changes nothing, not even its ETag or modification
/// time; `"tags": {}` is what clears them.
#[tokio::test]
async fn patch_without_tags_leaves_the_tags() {
    let app = spawn_app().await;
    let url = app.service_url("rg1", "c");
    let mut body = connection_body();
    body["tags"] = json!({"keep": "me"});
    expect_status(app.put_json(&url, &body).await, 201);
    let v2025 = with_version(&url, "2025-05-01");
    let before = app.get(&v2025).await;
    let tag = before.headers()["etag"].to_str().unwrap().to_owned();
    let before: Value = before.json().await.unwrap();
    for patch in [json!({}), json!({"tags": null}), json!({"unknown": 1})] {
        let res = app.send(Method::PATCH, &v2025, &[], Some(&patch)).await;
        assert_eq!(res.status().as_u16(), 200, "{patch}");
        assert_eq!(res.headers()["etag"].to_str().unwrap(), tag, "{patch}");
        let got: Value = res.json().await.unwrap();
        assert_eq!(got, before, "{patch}");
        assert_eq!(app.get_json(&v2025).await, before, "{patch}");
    }
    // Still a write: it needs the connection, a contributor and a current If-Match.
    let res = app
        .send(
            Method::PATCH,
            &app.service_url("rg1", "missing"),
            &[],
            Some(&json!({})),
        )
        .await;
    arm_error(res, 404).await;
    let res = app
        .send(
            Method::PATCH,
            &url,
            &[("If-Match", "\"stale\"")],
            Some(&json!({})),
        )
        .await;
    arm_error(res, 412).await;
    let res = app
        .send_as(READER, Method::PATCH, &url, &[], Some(&json!({})))
        .await;
    arm_error(res, 403).await;
    // An empty object clears them.
    let res = app
        .send(Method::PATCH, &url, &[], Some(&json!({"tags": {}})))
        .await;
    let got: Value = expect_status(res, 200).json().await.unwrap();
    assert_eq!(got["tags"], json!({}));
}

/// The Azure region (`location`, x-ms-mutability read+create) and the primary and backup
/// peering locations (docs/domain.md, "Create-only and immutable fields") cannot change in a PUT that replaces a connection; the
/// refusal comes from the model's `check_replace`, and nothing is written.
#[tokio::test]
async fn a_replacement_keeps_the_region_and_the_peering_locations() {
    let app = spawn_app().await;
    let url = app.service_url("rg1", "c");
    app.create_connection("rg1", "c").await;
    let tag = |res: &reqwest::Response| res.headers()["etag"].to_str().unwrap().to_owned();
    let stored = tag(&app.get(&url).await);

    let mut moved = connection_body();
    moved["location"] = json!("East US");
    let (code, message, target) = arm_error(app.put_json(&url, &moved).await, 400).await;
    assert_eq!(
        (code.as_str(), target.as_deref()),
        ("InvalidResourceLocation", Some("location"))
    );
    let model = |body: &Value| {
        let p = &body["properties"];
        let s = |v: &Value| v.as_str().map(str::to_owned);
        let draft = peering_model::connection::ConnectionDraft {
            name: "c".into(),
            location: s(&p["peeringServiceLocation"]).unwrap_or_default(),
            provider: s(&p["peeringServiceProvider"]).unwrap_or_default(),
            primary: s(&p["providerPrimaryPeeringLocation"]).unwrap_or_default(),
            backup: s(&p["providerBackupPeeringLocation"]),
            azure_region: s(&body["location"]),
            ..Default::default()
        };
        let catalog = peering_model::Catalog::embedded();
        let (valid, _) = peering_model::connection::validate_connection(catalog, &draft);
        let existing = peering_model::connection::CreateOnly {
            azure_region: "West US 2",
            primary: "seattle",
            backup: Some("san Jose"),
        };
        peering_model::connection::check_replace(catalog, existing, &valid.unwrap())
    };
    assert_eq!(
        message,
        model(&moved).first_error().unwrap().message,
        "the model's words"
    );

    let mut primary = connection_body();
    primary["properties"]["providerPrimaryPeeringLocation"] = json!("Dallas");
    let mut no_backup = connection_body();
    no_backup["properties"]["providerBackupPeeringLocation"] = Value::Null;
    let mut other_backup = connection_body();
    other_backup["properties"]["providerBackupPeeringLocation"] = json!("chicago");
    for (body, target) in [
        (&primary, "properties.providerPrimaryPeeringLocation"),
        (&no_backup, "properties.providerBackupPeeringLocation"),
        (&other_backup, "properties.providerBackupPeeringLocation"),
    ] {
        let (code, message, t) = arm_error(app.put_json(&url, body).await, 409).await;
        assert_eq!(
            (code.as_str(), t.as_deref()),
            ("PeeringLocationImmutable", Some(target)),
            "{body}"
        );
        assert_eq!(message, model(body).first_error().unwrap().message);
        assert!(
            message.contains(
                "delete and re-create the connection, or ask peeringservice@microsoft.com"
            ),
            "{message}"
        );
    }
    // Every change at once, with 2025-05-01: one detail each; the region's 400 comes first.
    let mut all = primary.clone();
    all["location"] = json!("East US");
    all["properties"]["providerBackupPeeringLocation"] = Value::Null;
    let res = app.put_json(&with_version(&url, "2025-05-01"), &all).await;
    assert_eq!(res.status().as_u16(), 400);
    let body: Value = res.json().await.unwrap();
    let details: Vec<(&str, &str)> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["target"].as_str().unwrap()))
        .collect();
    assert_eq!(
        details,
        [
            ("InvalidResourceLocation", "location"),
            (
                "PeeringLocationImmutable",
                "properties.providerPrimaryPeeringLocation"
            ),
            (
                "PeeringLocationImmutable",
                "properties.providerBackupPeeringLocation"
            ),
        ]
    );
    // A stale If-Match is answered first.
    let res = app
        .send(
            Method::PUT,
            &url,
            &[("If-Match", "\"stale\"")],
            Some(&moved),
        )
        .await;
    arm_error(res, 412).await;
    // Nothing was written.
    assert_eq!(tag(&app.get(&url).await), stored);

    // The same values in another spelling, another customer location or new tags: allowed,
    // and the stored region keeps its spelling.
    let mut same = connection_body();
    same["location"] = json!("westus2");
    same["tags"] = json!({"a": "b"});
    same["properties"]["peeringServiceLocation"] = json!("Oregon");
    same["properties"]["providerPrimaryPeeringLocation"] = json!("SEATTLE");
    let got: Value = expect_status(app.put_json(&url, &same).await, 200)
        .json()
        .await
        .unwrap();
    assert_eq!(got["location"], "West US 2");
    assert_eq!(got["properties"]["peeringServiceLocation"], "Oregon");
    assert_eq!(got["tags"], json!({"a": "b"}));
    // A new connection may be created anywhere, and a replacement that leaves the region out
    // keeps the stored one rather than the customer location's default.
    let url2 = app.service_url("rg1", "elsewhere");
    let mut central = connection_body();
    central["location"] = json!("Central US");
    expect_status(app.put_json(&url2, &central).await, 201);
    let mut unsaid = connection_body();
    unsaid.as_object_mut().unwrap().remove("location");
    let got: Value = expect_status(app.put_json(&url2, &unsaid).await, 200)
        .json()
        .await
        .unwrap();
    assert_eq!(got["location"], "Central US");
}

/// `checkServiceProviderAvailability` refuses an empty or unknown location or provider with
/// the model's words (the same as a connection's), naming the input's field.
#[tokio::test]
async fn availability_check_speaks_the_model_words() {
    let app = spawn_app().await;
    let url = app.sub_url("checkServiceProviderAvailability");
    for (location, provider, code, target) in [
        (
            "Atlantis",
            "IIJ",
            "UnknownLocation",
            "peeringServiceLocation",
        ),
        ("", "IIJ", "Required", "peeringServiceLocation"),
        (
            "Osaka",
            "Nobody",
            "UnknownProvider",
            "peeringServiceProvider",
        ),
        ("Osaka", "", "Required", "peeringServiceProvider"),
    ] {
        let body = json!({"peeringServiceLocation": location, "peeringServiceProvider": provider});
        let res = app.send(Method::POST, &url, &[], Some(&body)).await;
        let (c, message, t) = arm_error(res, 400).await;
        assert_eq!((c.as_str(), t.as_deref()), (code, Some(target)), "{body}");
        let model = peering_model::geo::check_availability(
            peering_model::Catalog::embedded(),
            location,
            provider,
        )
        .unwrap_err();
        assert_eq!(message, model.message);
        // The words of a connection's validation of the same value.
        let draft = peering_model::connection::ConnectionDraft {
            name: "c".into(),
            location: location.into(),
            provider: provider.into(),
            ..Default::default()
        };
        let (_, f) = peering_model::connection::validate_connection(
            peering_model::Catalog::embedded(),
            &draft,
        );
        let field = format!("properties.{target}");
        assert_eq!(message, f.for_target(&field).unwrap().message, "{body}");
    }
    // Absent fields are empty ones.
    let res = app.send(Method::POST, &url, &[], Some(&json!({}))).await;
    let (c, _, t) = arm_error(res, 400).await;
    assert_eq!(
        (c.as_str(), t.as_deref()),
        ("Required", Some("peeringServiceLocation"))
    );
}

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

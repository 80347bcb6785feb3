//! The end-to-end scenario: what a network admin does, clicked through in Chromium against
//! the real server. Like the black-box API tests, it spells the wire out itself (JSON bodies,
//! paths) instead of borrowing the model's constants, so it checks them independently.

use super::start_server;
use crate::webdriver::{api, click_centered, select, wait_for, wait_for_text};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

pub async fn scenario(
    c: &Client,
    bin: &Path,
    db: &Path,
    dist: &Path,
    listen: &str,
    _dir: &PathBuf,
) -> Result<(), String> {
    let server = start_server(bin, db, dist, listen)?;
    let token = server.token.clone();
    // Every visit is a page load, as a user opening the link would have.
    let nav = |u: String| async move { crate::webdriver::load(c, &u).await };

    nav(format!("{}/#token={}", server.url, token)).await?;
    wait_for_text(c, ".state.empty", "No connections yet").await?;
    wait_for(c, ".state.empty a.button")
        .await?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_for(c, "form.form").await?;

    // The wizard. Bad input first: the model's message appears next to the field as you type,
    // and "Next" stays on the step.
    let name = wait_for(c, "#name").await?;
    name.send_keys("bad name")
        .await
        .map_err(|e| e.to_string())?;
    wait_for_text(c, "#name-msg", "contains a space").await?;
    click_centered(c, "#next").await?;
    wait_for_text(c, "#step-error", "Fix the fields marked above").await?;
    name.clear().await.map_err(|e| e.to_string())?;
    name.send_keys("e2e-seattle")
        .await
        .map_err(|e| e.to_string())?;
    click_centered(c, "#next").await?;
    select(c, "#country", "United States").await?;
    select(c, "#location", "Washington").await?;
    click_centered(c, "#next").await?;
    select(c, "#provider", "equinix MAPS").await?;
    select(c, "#primary", "seattle").await?;
    select(c, "#backup", "san Jose").await?;
    click_centered(c, "#next").await?;
    wait_for(c, "#wizard-prefixes").await?;
    click_centered(c, "#next").await?;
    wait_for_text(c, "#review", "e2e-seattle").await?;
    click_centered(c, "#create").await?;
    wait_for_text(c, "#created", "Created connection e2e-seattle").await?;
    nav(format!("{}/", server.url)).await?;
    wait_for_text(c, "table.grid tbody", "e2e-seattle").await?;
    wait_for_text(c, "table.grid tbody", "Washington").await?;

    c.refresh().await.map_err(|e| e.to_string())?;
    wait_for_text(c, "table.grid tbody", "e2e-seattle").await?;

    // The same name in another casing is refused by the server (412 on If-None-Match): the
    // wizard goes back to the name and says so there; nothing is replaced.
    wait_for(c, ".page-head a.button.primary")
        .await?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    let name = wait_for(c, "#name").await?;
    name.send_keys("E2E-Seattle")
        .await
        .map_err(|e| e.to_string())?;
    click_centered(c, "#step-location").await?;
    select(c, "#country", "United States").await?;
    select(c, "#location", "Texas").await?;
    click_centered(c, "#step-provider").await?;
    select(c, "#provider", "equinix MAPS").await?;
    select(c, "#primary", "dallas").await?;
    click_centered(c, "#step-prefixes").await?;
    wait_for(c, "#wizard-prefixes")
        .await?
        .send_keys("wiz-a,8.8.4.0/24\nwiz-b,8.8.5.0/24")
        .await
        .map_err(|e| e.to_string())?;
    wait_for_text(c, "#import-preview tbody", "OK").await?;
    click_centered(c, "#step-review").await?;
    click_centered(c, "#create").await?;
    wait_for_text(c, "#name-msg", "already exists in resource group 'default'").await?;

    // A failure part-way: another client takes 8.8.5.0/24 after the preview was checked, so
    // the connection and its first prefix are created and the second is refused. Once that
    // prefix is free again, "Retry what failed" creates only what is missing.
    let name = wait_for(c, "#name").await?;
    name.clear().await.map_err(|e| e.to_string())?;
    name.send_keys("e2e-dallas")
        .await
        .map_err(|e| e.to_string())?;
    let taken = child_path("e2e-seattle", "prefixes/taken");
    let (status, _, _) = api(
        c,
        &token,
        "PUT",
        &taken,
        Some(json!({"properties": {"prefix": "8.8.5.0/24"}})),
        None,
    )
    .await?;
    if status != 201 {
        return Err(format!("taking 8.8.5.0/24 answered {status}"));
    }
    click_centered(c, "#step-review").await?;
    click_centered(c, "#create").await?;
    wait_for_text(
        c,
        "#create-progress",
        "Prefix wiz-b (8.8.5.0/24): Not created",
    )
    .await?;
    wait_for_text(c, "#create-progress", "Prefix wiz-a (8.8.4.0/24): Created").await?;
    wait_for_text(c, "#create-progress", "Connection e2e-dallas: Created").await?;
    api(c, &token, "DELETE", &taken, None, None).await?;
    wait_for_text(c, "#create", "Retry what failed").await?;
    click_centered(c, "#create").await?;
    wait_for_text(c, "#created", "Created connection e2e-dallas").await?;
    wait_for_text(c, "#create-progress", "Prefix wiz-b (8.8.5.0/24): Created").await?;
    let dallas = child_path("e2e-dallas", "prefixes");
    let (_, page, _) = api(c, &token, "GET", &dallas, None, None).await?;
    if page["value"].as_array().map(Vec::len) != Some(2) {
        return Err(format!("e2e-dallas has prefixes {page}"));
    }
    nav(format!("{}/", server.url)).await?;
    wait_for_text(c, "table.grid tbody", "Washington").await?;

    // Open it and register a prefix by pasting it; the preview checks it first.
    click_centered(c, "table.grid tbody a[href='#/c/default/e2e-seattle']").await?;
    let import = wait_for(c, "#import").await?;
    import
        .send_keys("web,8.8.8.0/24")
        .await
        .map_err(|e| e.to_string())?;
    wait_for_text(c, "#import-preview tbody", "OK").await?;
    wait_for(c, "#add-prefixes")
        .await?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_for_text(c, "#prefixes tbody", "8.8.8.0/24").await?;
    wait_for_text(c, "#prefixes tbody", "Pending").await?;

    // And a connection monitor test, through its form.
    for (css, value) in [
        ("#mt-name", "https-probe"),
        ("#mt-agent", "agent-1"),
        ("#mt-destination", "1.1.1.1"),
    ] {
        wait_for(c, css)
            .await?
            .send_keys(value)
            .await
            .map_err(|e| e.to_string())?;
    }
    wait_for(c, "#add-test")
        .await?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_for_text(c, "#monitor-tests tbody", "https-probe").await?;

    // A tag, saved with PATCH and If-Match.
    click_centered(c, "#add-tag").await?;
    wait_for(c, "form.tags input.tag-key")
        .await?
        .send_keys("team")
        .await
        .map_err(|e| e.to_string())?;
    wait_for(c, "form.tags input.tag-value")
        .await?
        .send_keys("network")
        .await
        .map_err(|e| e.to_string())?;
    click_centered(c, "#save-tags").await?;
    wait_for_text(c, "form.tags", "Tags saved.").await?;

    // A 412 resolved in the dialog: while a tag is being added here, someone else changes the
    // tags; the save opens the dialog with both versions, and "theirs + my change" keeps both.
    click_centered(c, "#add-tag").await?;
    last(c, "form.tags input.tag-key")
        .await?
        .send_keys("cost")
        .await
        .map_err(|e| e.to_string())?;
    last(c, "form.tags input.tag-value")
        .await?
        .send_keys("42")
        .await
        .map_err(|e| e.to_string())?;
    let (_, _, etag) = api(
        c,
        &token,
        "GET",
        &connection_path("e2e-seattle"),
        None,
        None,
    )
    .await?;
    let theirs = json!({"tags": {"team": "platform", "owner": "ann"}});
    let (status, _, _) = api(
        c,
        &token,
        "PATCH",
        &connection_path("e2e-seattle"),
        Some(theirs),
        etag.as_deref(),
    )
    .await?;
    if status != 200 {
        return Err(format!("the other client's PATCH answered {status}"));
    }
    click_centered(c, "#save-tags").await?;
    wait_for_text(c, ".dialog.conflict", "platform").await?;
    wait_for_text(c, ".dialog.conflict", "42").await?;
    click_centered(c, "#conflict-merge").await?;
    wait_for_text(c, "form.tags", "Tags saved.").await?;
    expect_tags(
        c,
        &token,
        json!({"team": "platform", "owner": "ann", "cost": "42"}),
    )
    .await?;

    // Restart the server on the same database: the connection is still there.
    drop(server);
    let server = start_server(bin, db, dist, listen)?;
    nav(format!("{}/#token={}", server.url, server.token)).await?;
    wait_for_text(c, "table.grid tbody", "e2e-seattle").await?;
    nav(format!("{}/#/c/default/e2e-seattle", server.url)).await?;
    wait_for_text(c, "#prefixes tbody", "8.8.8.0/24").await?;
    wait_for(c, "form.tags input.tag-value").await?;
    let mut values = Vec::new();
    for el in c
        .find_all(Locator::Css("form.tags input.tag-value"))
        .await
        .map_err(|e| e.to_string())?
    {
        values.push(
            el.prop("value")
                .await
                .map_err(|e| e.to_string())?
                .unwrap_or_default(),
        );
    }
    if values != ["42", "ann", "platform"] {
        return Err(format!("the saved tags came back as {values:?}"));
    }

    // A save while the server is stopped waits in the outbox and is delivered once the server
    // is back (same database, same kept token), with no click. The page reloads its data after
    // the delivery without ever putting the whole app back to "Starting…" (watched from now on).
    let loads_before = c
        .execute(
            "return Number(document.querySelector('section.page').dataset.loads);",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    c.execute(
        "window.suspendedSince = false;
         new MutationObserver(() => { if (document.body.innerText.includes('Starting…')) window.suspendedSince = true; })
             .observe(document.body, {childList: true, subtree: true, characterData: true});",
        vec![],
    )
    .await
    .map_err(|e| e.to_string())?;
    drop(server);
    let owner = c
        .find_all(Locator::Css("form.tags input.tag-value"))
        .await
        .map_err(|e| e.to_string())?;
    owner[1].clear().await.map_err(|e| e.to_string())?;
    owner[1].send_keys("bob").await.map_err(|e| e.to_string())?;
    click_centered(c, "#save-tags").await?;
    wait_for_text(c, "form.tags .queued", "in the outbox").await?;
    wait_for_text(c, "#outbox-count", "1").await?;
    let server = start_server(bin, db, dist, listen)?;
    wait_for_text(c, "form.tags", "Tags saved.").await?;
    wait_gone(c, "#outbox-count").await?;
    expect_tags(
        c,
        &token,
        json!({"team": "platform", "owner": "bob", "cost": "42"}),
    )
    .await?;
    // The page did reload its data after the delivery (so the watch below saw a reload).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let now = c
            .execute(
                "return Number(document.querySelector('section.page').dataset.loads);",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        if now.as_f64() > loads_before.as_f64() {
            break;
        }
        if std::time::Instant::now() > deadline {
            return Err(format!(
                "the page never reloaded after the delivery ({loads_before} loads)"
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let suspended = c
        .execute("return window.suspendedSince;", vec![])
        .await
        .map_err(|e| e.to_string())?;
    if suspended != Value::Bool(false) {
        return Err(
            "the connection's page put the whole app back to \"Starting…\" while it reloaded"
                .into(),
        );
    }

    // Changed elsewhere while open: when the window gets the focus back, the page probes
    // (If-None-Match), says so, and shows the current version.
    let (_, _, etag) = api(
        c,
        &token,
        "GET",
        &connection_path("e2e-seattle"),
        None,
        None,
    )
    .await?;
    let carol = json!({"tags": {"team": "platform", "owner": "carol", "cost": "42"}});
    api(
        c,
        &token,
        "PATCH",
        &connection_path("e2e-seattle"),
        Some(carol),
        etag.as_deref(),
    )
    .await?;
    focus(c).await?;
    wait_for_text(c, "#changed-elsewhere", "changed elsewhere").await?;
    wait_for_value(
        c,
        "form.tags .tag-row:nth-child(2) input.tag-value",
        "carol",
    )
    .await?;

    // A wizard create while the server is stopped: the connection and its prefix wait in the
    // outbox, in order, and are delivered once the server is back.
    nav(format!("{}/#/new", server.url)).await?;
    wait_for(c, "#name")
        .await?
        .send_keys("e2e-queued")
        .await
        .map_err(|e| e.to_string())?;
    click_centered(c, "#step-location").await?;
    select(c, "#country", "United States").await?;
    select(c, "#location", "Washington").await?;
    click_centered(c, "#step-provider").await?;
    select(c, "#provider", "equinix MAPS").await?;
    click_centered(c, "#step-prefixes").await?;
    wait_for(c, "#wizard-prefixes")
        .await?
        .send_keys("q,8.8.7.0/24")
        .await
        .map_err(|e| e.to_string())?;
    click_centered(c, "#step-review").await?;
    wait_for_text(c, "#review", "e2e-queued").await?;
    drop(server);
    click_centered(c, "#create").await?;
    wait_for_text(c, "#created", "waits in the outbox").await?;
    wait_for_text(c, "#outbox-count", "2").await?;
    let server = start_server(bin, db, dist, listen)?;
    wait_gone(c, "#outbox-count").await?;
    let queued_prefix = child_path("e2e-queued", "prefixes/q");
    let (status, _, _) = api(c, &token, "GET", &queued_prefix, None, None).await?;
    if status != 200 {
        return Err(format!("the queued prefix answers {status}"));
    }
    api(
        c,
        &token,
        "DELETE",
        &connection_path("e2e-queued"),
        None,
        None,
    )
    .await?;
    nav(format!("{}/#/c/default/e2e-seattle", server.url)).await?;
    wait_for(c, "#prefixes tbody").await?;

    // Change the prefix's value: one action that deletes and re-creates it.
    click_centered(c, "#prefixes button.change").await?;
    let input = wait_for(c, "#prefixes input.new-prefix").await?;
    input.clear().await.map_err(|e| e.to_string())?;
    input
        .send_keys("8.8.9.0/24")
        .await
        .map_err(|e| e.to_string())?;
    click_centered(c, "#prefixes button.replace").await?;
    wait_for_text(c, "#prefixes tbody td.mono", "8.8.9.0/24").await?;
    if c.find(Locator::Css(".change-prefix .msg.error"))
        .await
        .is_ok()
    {
        return Err("changing the prefix reported an error".into());
    }

    // Delete the prefix through its confirmation (the app sends If-Match with the ETag of the
    // version shown). Another client gives it a prefix key first: the confirmation opens the
    // conflict dialog with both versions, and "Delete their version" deletes it.
    let web = child_path("e2e-seattle", "prefixes/web");
    let keyed = json!({"properties": {"prefix": "8.8.9.0/24", "peeringServicePrefixKey": "00000000-0000-0000-0000-000000000001"}});
    let (status, _, _) = api(c, &token, "PUT", &web, Some(keyed), None).await?;
    if status != 200 {
        return Err(format!("the other client's prefix PUT answered {status}"));
    }
    for css in ["#prefixes button.delete", "#prefixes button.confirm"] {
        wait_for(c, css)
            .await?
            .click()
            .await
            .map_err(|e| format!("clicking {css}: {e}"))?;
    }
    wait_for_text(c, ".dialog.conflict", "peeringServicePrefixKey").await?;
    click_centered(c, "#conflict-overwrite").await?;
    wait_for_text(c, ".state.empty.small", "No prefixes yet").await?;
    // The reload after a delete made from inside the table (whose dialog then goes) still
    // scans the subscription's other prefixes to the end.
    let paste = wait_for(c, "#import").await?;
    paste
        .send_keys("9.9.9.0/24")
        .await
        .map_err(|e| e.to_string())?;
    wait_for_text(c, "#import-scope", "other prefixes of the subscription").await?;
    paste.clear().await.map_err(|e| e.to_string())?;

    // Bulk delete of a filtered set: three connections in Texas, filtered, all selected,
    // deleted with one confirmation; the one in Washington stays.
    for n in 1..=3 {
        let body = json!({"location": "South Central US", "properties": {
            "peeringServiceLocation": "Texas", "peeringServiceProvider": "equinix MAPS",
            "providerPrimaryPeeringLocation": "dallas"}});
        let (status, _, _) = api(
            c,
            &token,
            "PUT",
            &connection_path(&format!("bulk-{n}")),
            Some(body),
            None,
        )
        .await?;
        if status != 201 {
            return Err(format!("creating bulk-{n} answered {status}"));
        }
    }
    nav(format!(
        "{}/#/?country=United%20States&state=Texas",
        server.url
    ))
    .await?;
    wait_for_text(c, ".filters .count", "4 of 5 shown").await?;
    click_centered(c, "#select-all").await?;
    wait_for_text(c, ".bulk .selected-count", "4 connections selected").await?;
    click_centered(c, "#bulk-delete").await?;
    wait_for_text(c, ".bulk .confirm", "Delete 4 connections").await?;
    click_centered(c, "#bulk-delete-confirm").await?;
    wait_for_text(c, ".bulk-results", "all 4 done").await?;
    wait_for_text(c, ".filters .count", "0 of 1 shown").await?;
    // The list learns its new validators after its own deletes (no banner for those), then
    // tells of a connection created elsewhere and shows it on request.
    let probes = |c: &Client| {
        let c = c.clone();
        async move {
            let v = c
                .execute(
                    "return Number(document.querySelector('section.page').dataset.probes || 0);",
                    vec![],
                )
                .await
                .map_err(|e| e.to_string())?;
            Ok::<u64, String>(v.as_u64().unwrap_or(0))
        }
    };
    let before = probes(c).await?;
    focus(c).await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while probes(c).await? == before {
        if std::time::Instant::now() > deadline {
            return Err("the list never probed after the focus".into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if c.find(Locator::Css("#list-stale")).await.is_ok() {
        return Err("the list's own deletes were reported as a change made elsewhere".into());
    }
    let body = json!({"location": "South Central US", "properties": {
        "peeringServiceLocation": "Texas", "peeringServiceProvider": "equinix MAPS",
        "providerPrimaryPeeringLocation": "dallas"}});
    api(
        c,
        &token,
        "PUT",
        &connection_path("bulk-4"),
        Some(body),
        None,
    )
    .await?;
    focus(c).await?;
    wait_for_text(c, "#list-stale", "changed elsewhere").await?;
    click_centered(c, "#list-stale button").await?;
    wait_for_text(c, ".filters .count", "1 of 2 shown").await?;
    let list = format!(
        "/subscriptions/{SUB}/providers/Microsoft.Peering/peeringServices?api-version={}",
        peering_model::ApiVersion::DEFAULT
    );
    let (_, page, _) = api(c, &token, "GET", &list, None, None).await?;
    let names: Vec<&str> = page["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str())
        .collect();
    if names != ["bulk-4", "e2e-seattle"] {
        return Err(format!("after the bulk delete the server lists {names:?}"));
    }

    // A CSV import with one bad row: the preview shows every row's findings before anything
    // is written; the good rows are imported, each with its result; the same file again
    // writes nothing.
    nav(format!("{}/", server.url)).await?;
    click_centered(c, "#import-toggle").await?;
    let csv = "Name,State/province,Provider,Primary,Backup,Tags,Prefix list\n\
        imp-1,Texas,equinix MAPS,dallas,None,env=test,web:8.8.6.0/24\n\
        imp-2,Washington,equinix MAPS,seattle,,,\n\
        bad name,Texas,equinix MAPS,dallas,,,\n";
    let area = wait_for(c, "#import-csv").await?;
    c.execute(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        vec![serde_json::to_value(&area).map_err(|e| e.to_string())?, csv.into()],
    )
    .await
    .map_err(|e| e.to_string())?;
    wait_for_text(
        c,
        "#import-summary",
        "2 new, 0 stored already, 1 with errors (skipped)",
    )
    .await?;
    wait_for_text(c, "#import-rows", "contains a space").await?;
    click_centered(c, "#import-run").await?;
    wait_for_text(c, "#import-results", "Imported: 2 rows.").await?;
    wait_for_text(c, "#import-results", "Line 2, imp-1: Created (2 written)").await?;
    wait_for_text(c, "#import-results", "Line 3, imp-2: Created").await?;
    wait_for_text(
        c,
        "#import-summary",
        "0 new, 2 stored already, 1 with errors",
    )
    .await?;
    click_centered(c, "#import-run").await?;
    wait_for_text(
        c,
        "#import-results",
        "Line 2, imp-1: Unchanged; nothing written",
    )
    .await?;
    wait_for_text(
        c,
        "#import-results",
        "Line 3, imp-2: Unchanged; nothing written",
    )
    .await?;
    let imp = child_path("imp-1", "prefixes");
    let (_, page, _) = api(c, &token, "GET", &imp, None, None).await?;
    if page["value"].as_array().map(Vec::len) != Some(1) {
        return Err(format!("imp-1 has prefixes {page}"));
    }

    // The list fits a 1280-px window with long values: a 63-character name, long tags. They
    // are cut with an ellipsis and whole in the cell's title.
    let long = "long-name-".repeat(6) + "abc";
    let tags =
        json!({"description": "x".repeat(200), "owner": "network-operations-team-emea-west"});
    let body = json!({"location": "West US 2", "tags": tags, "properties": {
        "peeringServiceLocation": "Washington", "peeringServiceProvider": "equinix MAPS",
        "providerPrimaryPeeringLocation": "seattle", "providerBackupPeeringLocation": "san Jose"}});
    api(c, &token, "PUT", &connection_path(&long), Some(body), None).await?;
    nav(format!("{}/", server.url)).await?;
    wait_for_text(c, "table.grid tbody", "long-name-").await?;
    let fits = c
        .execute(
            "const w = document.querySelector('.table-wrap'); const cell = [...document.querySelectorAll('td.name')].find(td => td.textContent.startsWith('long-name-'));\
             return [w.scrollWidth, w.clientWidth, window.innerWidth, cell.title.length, cell.scrollWidth > cell.clientWidth];",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    let n = |i: usize| fits[i].as_u64().unwrap_or(0);
    if n(0) > n(1) || n(2) > 1280 || n(3) != 63 || fits[4] != json!(true) {
        return Err(format!(
            "the list does not fit the window (scroll width, width, window, title, cut): {fits}"
        ));
    }
    api(c, &token, "DELETE", &connection_path(&long), None, None).await?;

    // A replay that meets its own earlier success: the outbox holds a create whose first
    // attempt reached the server though its answer was lost (the connection is there, as the
    // write says). After a reload the outbox sends it again, gets 412, finds the stored
    // connection holds what it wrote, and counts it delivered, not a conflict.
    let own = json!({"location": "West US 2", "properties": {
        "peeringServiceLocation": "Washington", "peeringServiceProvider": "equinix MAPS",
        "providerPrimaryPeeringLocation": "seattle"}});
    api(
        c,
        &token,
        "PUT",
        &connection_path("e2e-own"),
        Some(own.clone()),
        None,
    )
    .await?;
    let own_id = connection_id("e2e-own");
    let queued = json!([{"key": 1, "label": "Create connection 'e2e-own'",
        "write": {"verb": "create", "id": own_id, "body": own},
        "attempts": 1, "nextAt": 0, "lastError": "no answer", "status": "waiting"}]);
    let outbox_key = outbox_key_of(&token);
    c.execute(
        "localStorage.setItem(arguments[0], JSON.stringify(arguments[1]));",
        vec![outbox_key.clone().into(), queued],
    )
    .await
    .map_err(|e| e.to_string())?;
    nav(format!("{}/", server.url)).await?;
    wait_for_text(c, "table.grid tbody", "e2e-own").await?;
    wait_gone(c, "#outbox-count").await?;
    let left = c
        .execute(
            "return localStorage.getItem(arguments[0]);",
            vec![outbox_key.into()],
        )
        .await
        .map_err(|e| e.to_string())?;
    if !left.is_null() {
        return Err(format!("the outbox kept the replayed create: {left}"));
    }
    api(c, &token, "DELETE", &connection_path("e2e-own"), None, None).await?;

    // A queued change that someone else's change overtook stops in the outbox (412, and the
    // stored tags are not what it wrote); "Compare" shows both, and "Write mine over theirs"
    // sends it against their version.
    let seattle_id = connection_id("e2e-seattle");
    let stale = json!([{"key": 2, "label": "Save the tags of connection 'e2e-seattle'",
        "write": {"verb": "patch", "id": seattle_id, "etag": "\"stale\"", "body": {"tags": {"site": "queued"}}},
        "attempts": 1, "nextAt": 0, "lastError": "no answer", "status": "waiting"}]);
    let stale_key = outbox_key_of(&token);
    c.execute(
        "localStorage.setItem(arguments[0], JSON.stringify(arguments[1]));",
        vec![stale_key.into(), stale],
    )
    .await
    .map_err(|e| e.to_string())?;
    nav(format!("{}/", server.url)).await?;
    click_centered(c, "#outbox-toggle").await?;
    wait_for_text(c, "#outbox li", "Not sent").await?;
    click_centered(c, "#outbox li button.compare").await?;
    wait_for_text(c, ".dialog.conflict", "queued").await?;
    click_centered(c, "#conflict-overwrite").await?;
    wait_for_text(c, "#outbox", "Everything has been sent.").await?;
    let (_, got, _) = api(
        c,
        &token,
        "GET",
        &connection_path("e2e-seattle"),
        None,
        None,
    )
    .await?;
    if got["tags"] != json!({"site": "queued"}) {
        return Err(format!(
            "after the outbox's overwrite the tags are {}",
            got["tags"]
        ));
    }

    // A delete that meets a change made elsewhere opens the conflict dialog with both
    // versions; "Delete their version" deletes it against its new ETag.
    nav(format!("{}/#/c/default/imp-2", server.url)).await?;
    wait_for(c, "#confirm-delete")
        .await?
        .send_keys("imp-2")
        .await
        .map_err(|e| e.to_string())?;
    let (_, _, etag) = api(c, &token, "GET", &connection_path("imp-2"), None, None).await?;
    api(
        c,
        &token,
        "PATCH",
        &connection_path("imp-2"),
        Some(json!({"tags": {"owner": "dan"}})),
        etag.as_deref(),
    )
    .await?;
    click_centered(c, "#confirm-delete-submit").await?;
    wait_for_text(c, ".dialog.conflict", "owner=dan").await?;
    click_centered(c, "#conflict-overwrite").await?;
    wait_for_text(c, ".page-head h1", "Connections").await?;
    let (status, _, _) = api(c, &token, "GET", &connection_path("imp-2"), None, None).await?;
    if status != 404 {
        return Err(format!("imp-2 answers {status} after its delete"));
    }
    wait_for(c, "#sign-out")
        .await?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    // Sign-out asks first.
    click_centered(c, "#sign-out-confirm").await?;
    wait_for_text(c, "#sign-in-state", "You are signed out").await?;
    nav(format!("{}/#/new", server.url)).await?;
    wait_for_text(c, "#sign-in-state", "No access token").await?;
    // A token pasted into the field (never into the address) opens the page that was asked
    // for.
    let field = wait_for(c, "#token-input").await?;
    field.send_keys(&token).await.map_err(|e| e.to_string())?;
    click_centered(c, "#use-token").await?;
    wait_for(c, "#name").await?;
    let href = crate::webdriver::exec(c, "return location.href;", vec![]).await?;
    if href.as_str().unwrap_or_default().contains(&token) {
        return Err(format!("the pasted token is in the address: {href}"));
    }
    // A link with another token asks before it replaces the one in use; declined, nothing
    // changes.
    let other = format!("{}/#token=someone-else-0123456789abcdef", server.url);
    let _ = nav(other).await; // the question may interrupt the load
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let asked = loop {
        match c.get_alert_text().await {
            Ok(t) => break t,
            Err(_) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await
            }
            Err(e) => return Err(format!("the link did not ask: {e}")),
        }
    };
    if !asked.contains("another access token") {
        return Err(format!("the link asked: {asked}"));
    }
    c.dismiss_alert().await.map_err(|e| e.to_string())?;
    wait_for(c, "#sign-out").await?;
    let kept = crate::webdriver::exec(
        c,
        "return sessionStorage.getItem('peering-console.token');",
        vec![],
    )
    .await?;
    if kept.as_str() != Some(token.as_str()) {
        return Err("a declined link replaced the token in use".into());
    }
    // Leave the origin as a fresh tab finds it (later parts reuse this address).
    crate::webdriver::exec(c, "sessionStorage.clear(); return null;", vec![]).await?;
    Ok(())
}

/// Where the console keeps the outbox of the subscription for `token`'s identity.
fn outbox_key_of(token: &str) -> String {
    format!(
        "peering-console.outbox..{SUB}@{}",
        peering_model::names::storage_identity(None, token)
    )
}

/// The subscription of the app's default `config.json`.
const SUB: &str = "00000000-0000-0000-0000-000000000000";

/// The id of a connection of resource group `default`.
fn connection_id(name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/default/providers/Microsoft.Peering/peeringServices/{name}")
}

/// A connection of resource group `default`, with the api-version.
pub(super) fn connection_path(name: &str) -> String {
    format!(
        "{}?api-version={}",
        connection_id(name),
        peering_model::ApiVersion::DEFAULT
    )
}

/// `tail` (`prefixes`, `prefixes/web`) under a connection of `default`, with the api-version.
fn child_path(name: &str, tail: &str) -> String {
    format!(
        "{}/{tail}?api-version={}",
        connection_id(name),
        peering_model::ApiVersion::DEFAULT
    )
}

/// The last element matching `css`.
async fn last(c: &Client, css: &str) -> Result<fantoccini::elements::Element, String> {
    wait_for(c, css).await?;
    c.find_all(Locator::Css(css))
        .await
        .map_err(|e| e.to_string())?
        .pop()
        .ok_or_else(|| format!("no {css}"))
}

/// The server's tags of e2e-seattle are `want`.
async fn expect_tags(c: &Client, token: &str, want: Value) -> Result<(), String> {
    let (_, got, _) = api(c, token, "GET", &connection_path("e2e-seattle"), None, None).await?;
    if got["tags"] != want {
        return Err(format!(
            "the server has tags {} instead of {want}",
            got["tags"]
        ));
    }
    Ok(())
}

/// Waits until nothing matches `css`.
async fn wait_gone(c: &Client, css: &str) -> Result<(), String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while c.find(Locator::Css(css)).await.is_ok() {
        if std::time::Instant::now() > deadline {
            return Err(format!("'{css}' is still shown"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(())
}

/// What the window does when the user comes back to it.
async fn focus(c: &Client) -> Result<(), String> {
    c.execute("window.dispatchEvent(new Event('focus'));", vec![])
        .await
        .map(drop)
        .map_err(|e| format!("focus: {e}"))
}

/// Waits until the input `css` holds `want`.
async fn wait_for_value(c: &Client, css: &str, want: &str) -> Result<(), String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let got = match c.find(Locator::Css(css)).await {
            Ok(e) => e.prop("value").await.ok().flatten().unwrap_or_default(),
            Err(_) => String::new(),
        };
        if got == want {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("'{css}' holds '{got}', not '{want}'"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

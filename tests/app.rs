//! Browser tests of the app: components mounted in headless Chromium.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use leptos::task::tick;
use peering_console::pages::connections::{ConnectionsView, Row};
use peering_console::pages::new_connection::{FormState, NewConnectionForm};
use peering_console::routing::Router;
use peering_model::connection::{validate_connection, ConnectionDraft};
use peering_model::{Catalog, Code, ServiceId};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

const SUB: &str = "00000000-0000-0000-0000-0000000000aa";

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A fresh container for one test.
fn container() -> HtmlElement {
    let doc = document();
    let el: HtmlElement = doc.create_element("div").unwrap().unchecked_into();
    doc.body().unwrap().append_child(&el).unwrap();
    el
}

fn find<T: JsCast>(root: &HtmlElement, css: &str) -> T {
    root.query_selector(css)
        .unwrap()
        .unwrap_or_else(|| panic!("no {css}"))
        .unchecked_into()
}

fn text(root: &HtmlElement, css: &str) -> String {
    root.query_selector(css)
        .unwrap()
        .map(|e| e.text_content().unwrap_or_default())
        .unwrap_or_default()
}

fn type_into(input: &HtmlInputElement, value: &str) {
    input.set_value(value);
    input
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
}

fn choose(select: &HtmlSelectElement, value: &str) {
    select.set_value(value);
    assert_eq!(select.value(), value, "option {value} exists");
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
}

fn option_values(select: &HtmlSelectElement) -> Vec<String> {
    let opts = select.options();
    (0..opts.length())
        .map(|i| {
            opts.item(i)
                .unwrap()
                .unchecked_into::<web_sys::HtmlOptionElement>()
                .value()
        })
        .collect()
}

fn mount_form(root: &HtmlElement) {
    mount_form_at(root, "/new");
}

/// Mounts the wizard at `url` (its step is in the query), with no draft.
fn mount_form_at(root: &HtmlElement, url: &str) {
    web_sys::window()
        .unwrap()
        .history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("#{url}")))
        .unwrap();
    let handle = leptos::mount::mount_to(root.clone(), || {
        view! { <Router><NewConnectionForm initial=FormState { resource_group: "rg".into(), ..Default::default() }/></Router> }
    });
    handle.forget();
}

#[wasm_bindgen_test]
async fn name_error_appears_as_you_type_with_the_model_message() {
    let root = container();
    mount_form(&root);
    tick().await;
    let name: HtmlInputElement = find(&root, "#name");
    type_into(&name, "bad name");
    tick().await;
    let draft = ConnectionDraft {
        name: "bad name".into(),
        ..Default::default()
    };
    let (_, findings) = validate_connection(Catalog::embedded(), &draft);
    let expected = findings.for_target("name").unwrap().message.clone();
    assert_eq!(text(&root, "#name-msg"), expected);
    assert_eq!(name.get_attribute("aria-invalid").as_deref(), Some("true"));
    type_into(&name, "good-name");
    tick().await;
    // Once fixed, the field shows its hint again (not an error) and the input is valid.
    assert_eq!(
        text(&root, "#name-msg"),
        "1–63 letters, digits, '_', '.' or '-'; not ending in '.'"
    );
    assert_eq!(
        find::<HtmlElement>(&root, "#name-msg").class_name(),
        "msg hint"
    );
    assert_eq!(name.get_attribute("aria-invalid").as_deref(), Some("false"));
}

#[wasm_bindgen_test]
async fn united_states_lists_its_states_and_cascade_narrows_choices() {
    let root = container();
    mount_form_at(&root, "/new?step=location");
    tick().await;
    let location: HtmlSelectElement = find(&root, "#location");
    assert!(location.disabled(), "state waits for a country");
    choose(&find(&root, "#country"), "United States");
    tick().await;
    let states = option_values(&location);
    assert_eq!(states.len(), 51, "placeholder + 50 (49 states and DC)");
    assert!(states.contains(&"Washington".to_owned()));
    assert!(!states.contains(&"Bavaria".to_owned()));
    choose(&location, "Washington");
    tick().await;
    find::<HtmlElement>(&root, "#step-provider").click();
    settle(|| root.query_selector("#provider").unwrap().is_some()).await;

    // Providers are ordered nearest first once the location is known.
    let providers = option_values(&find(&root, "#provider"));
    assert_eq!(providers.len(), Catalog::embedded().providers.len() + 1);
    assert_eq!(
        providers[1], "equinix MAPS",
        "Seattle is the nearest peering location to Washington"
    );
    choose(&find(&root, "#provider"), "equinix MAPS");
    tick().await;
    let primary: HtmlSelectElement = find(&root, "#primary");
    let mut offered = option_values(&primary)[1..].to_vec();
    offered.sort();
    let mut expected = Catalog::embedded()
        .provider("equinix MAPS")
        .unwrap()
        .peering_locations
        .clone();
    expected.sort();
    assert_eq!(offered, expected);
    choose(&primary, "seattle");
    tick().await;
    let backup = option_values(&find(&root, "#backup"));
    assert_eq!(backup[0], "", "None comes first");
    assert!(
        !backup.contains(&"seattle".to_owned()),
        "the primary is not offered as backup"
    );
}

#[wasm_bindgen_test]
async fn create_button_says_why_it_is_blocked() {
    let root = container();
    mount_form_at(&root, "/new?step=review");
    tick().await;
    let why = text(&root, "#create-why");
    assert!(why.starts_with("To create, fix: "), "{why}");
    assert!(
        why.contains("Name (Basics)")
            && why.contains("Country (Customer location)")
            && why.contains("Provider (Provider)"),
        "{why}"
    );
    find::<HtmlElement>(&root, "#create").click();
    tick().await;
    assert!(
        root.query_selector("#create-progress").unwrap().is_none(),
        "nothing sent"
    );
    assert!(text(&root, "#review-findings").contains("The connection name is required."));
    // Each finding offers its step.
    find::<HtmlElement>(&root, "#review-findings button").click();
    settle(|| root.query_selector("#name").unwrap().is_some()).await;
    assert_eq!(text(&root, "#name-msg"), "The connection name is required.");
}

/// The query of the route in the fragment (`#/new?step=location` → `?step=location`).
fn route_query() -> String {
    let hash = web_sys::window().unwrap().location().hash().unwrap();
    hash.find('?')
        .map_or(String::new(), |i| hash[i..].to_owned())
}

/// The wizard, step by step with an error fixed on the way: "Next" stays on a step with an
/// error and says so; each step is in the URL; the provider step preselects the nearest
/// primary and the next nearest backup and warns of a far primary; prefix rows are checked
/// against each other; the review shows everything that will be written; the draft is kept.
#[wasm_bindgen_test]
async fn the_wizard_walks_the_steps_with_an_error_fixed_on_the_way() {
    use peering_console::pages::new_connection::DRAFT_KEY;
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let root = container();
    mount_form(&root);
    tick().await;
    type_into(&find(&root, "#name"), "bad name");
    find::<HtmlElement>(&root, "#next").click();
    tick().await;
    assert!(text(&root, "#step-error").contains("Fix the fields marked above"));
    assert!(text(&root, "#name-msg").contains("contains a space"));
    assert_eq!(route_query(), "", "still on the first step");
    type_into(&find(&root, "#name"), "wiz-1");
    find::<HtmlElement>(&root, "#next").click();
    settle(|| route_query() == "?step=location").await;
    assert_eq!(route_query(), "?step=location");
    tick().await;
    assert!(root.query_selector("#step-error").unwrap().is_none());
    choose(&find(&root, "#country"), "United States");
    tick().await;
    choose(&find(&root, "#location"), "Washington");
    find::<HtmlElement>(&root, "#next").click();
    settle(|| root.query_selector("#provider").unwrap().is_some()).await;
    assert_eq!(route_query(), "?step=provider");
    choose(&find(&root, "#provider"), "equinix MAPS");
    tick().await;
    let primary: HtmlSelectElement = find(&root, "#primary");
    assert_eq!(primary.value(), "seattle", "the nearest is preselected");
    let backup: HtmlSelectElement = find(&root, "#backup");
    assert!(
        !backup.value().is_empty() && backup.value() != "seattle",
        "the next nearest"
    );
    choose(&primary, "dallas");
    tick().await;
    assert!(text(&root, "#primary-msg").contains("seattle is nearer"));
    choose(&primary, "seattle");
    find::<HtmlElement>(&root, "#next").click();
    settle(|| root.query_selector("#wizard-prefixes").unwrap().is_some()).await;
    let rows: web_sys::HtmlTextAreaElement = find(&root, "#wizard-prefixes");
    rows.set_value("8.8.8.0/24\n8.8.8.0/25");
    rows.dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    tick().await;
    assert!(
        text(&root, "#import-preview").contains("overlap"),
        "{}",
        text(&root, "#import-preview")
    );
    find::<HtmlElement>(&root, "#next").click();
    tick().await;
    assert!(text(&root, "#step-error").contains("prefix rows with errors"));
    assert_eq!(route_query(), "?step=prefixes");
    rows.set_value("8.8.8.0/24\nweb2,8.8.9.0/24");
    rows.dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    tick().await;
    find::<HtmlElement>(&root, "#next").click();
    settle(|| root.query_selector("#review").unwrap().is_some()).await;
    let review = text(&root, "#review");
    for want in [
        "wiz-1",
        "Washington, United States",
        "equinix MAPS",
        "seattle",
        "8.8.9.0/24 as web2",
        "West US 2",
    ] {
        assert!(review.contains(want), "{want} in {review}");
    }
    assert_eq!(text(&root, "#create-why"), "");
    let draft = storage.get_item(DRAFT_KEY).unwrap().unwrap();
    assert!(
        draft.contains("wiz-1") && draft.contains("8.8.9.0/24"),
        "{draft}"
    );
    find::<HtmlElement>(&root, "#back").click();
    settle(|| {
        root.query_selector("#wizard-prefixes").unwrap().is_some() && !rows_value(&root).is_empty()
    })
    .await;
    assert_eq!(route_query(), "?step=prefixes");
    assert_eq!(
        rows_value(&root),
        "8.8.8.0/24\nweb2,8.8.9.0/24",
        "nothing typed is lost"
    );
    storage.remove_item(DRAFT_KEY).unwrap();
}

fn rows_value(root: &HtmlElement) -> String {
    find::<web_sys::HtmlTextAreaElement>(root, "#wizard-prefixes").value()
}

fn row(name: &str, country: &str, state: &str) -> Row {
    Row {
        name: name.into(),
        resource_group: "rg".into(),
        country: country.into(),
        state: state.into(),
        provider: "p".into(),
        primary: "x".into(),
        backup: "None".into(),
        region: "r".into(),
        provisioning: "Succeeded".into(),
        prefixes: None,
        tags: Default::default(),
    }
}

#[wasm_bindgen_test]
async fn empty_list_offers_to_create_a_connection() {
    let root = container();
    leptos::mount::mount_to(
        root.clone(),
        || view! { <Router><ConnectionsView rows=vec![]/></Router> },
    )
    .forget();
    tick().await;
    assert!(text(&root, ".state.empty").contains("No connections yet"));
    assert_eq!(
        find::<HtmlElement>(&root, ".state.empty a")
            .get_attribute("href")
            .as_deref(),
        Some("#/new")
    );
}

#[wasm_bindgen_test]
async fn geo_filter_counts_per_country() {
    let root = container();
    let rows = vec![
        row("a", "United States", "Washington"),
        row("b", "United States", "Texas"),
        row("c", "Japan", "Osaka"),
    ];
    leptos::mount::mount_to(
        root.clone(),
        move || view! { <Router><ConnectionsView rows=rows.clone()/></Router> },
    )
    .forget();
    tick().await;
    let countries: HtmlSelectElement = find(&root, "#filter-country");
    let labels: Vec<String> = (0..countries.options().length())
        .map(|i| countries.options().item(i).unwrap().text_content().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["All countries (3)", "Japan (1)", "United States (2)"]
    );
    assert_eq!(
        root.query_selector_all("table.grid tbody tr:not(.spacer)")
            .unwrap()
            .length(),
        3
    );
}

#[wasm_bindgen_test]
async fn pasted_prefixes_are_previewed_with_the_model_findings() {
    use peering_console::components::prefix_import::{OtherPrefixes, PrefixImport};
    use peering_model::import::parse_import;
    use peering_model::index::{validate_batch_into, PrefixIndex};
    use peering_model::prefix::{ExistingPrefix, Ipv4Prefix};

    let existing = ExistingPrefix {
        prefix: Ipv4Prefix::parse("8.8.8.0/24").unwrap(),
        resource_group: "other-rg".into(),
        connection: "other".into(),
        name: "web".into(),
    };
    let index: PrefixIndex = [existing].into_iter().collect();
    let root = container();
    let idx = index.clone();
    leptos::mount::mount_to(root.clone(), move || {
        let idx = idx.clone();
        view! { <Router><PrefixImport service=ServiceId::new(SUB, "rg", "conn") index=Signal::derive(move || idx.clone()) scope=Signal::derive(|| OtherPrefixes::Loaded(vec![])) on_done=|| ()/></Router> }
    })
    .forget();
    tick().await;
    let area: web_sys::HtmlTextAreaElement = find(&root, "#import");
    let pasted = "9.9.9.0/24\nmail,8.8.8.128/25\n10.0.0.0/8";
    area.set_value(pasted);
    area.dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    tick().await;
    let rows = root.query_selector_all("#import-preview tbody tr").unwrap();
    assert_eq!(rows.length(), 3);
    let cell = |i: u32| rows.item(i).unwrap().text_content().unwrap();
    assert!(cell(0).ends_with("OK"), "{}", cell(0));
    // The same rows, checked by the model as the app checks them.
    let expected = validate_batch_into(&index, "rg", "conn", &parse_import(pasted));
    let overlap = expected[1].findings.first_error().unwrap();
    assert_eq!(overlap.code, Code::PrefixOverlaps);
    assert!(
        cell(1).contains(&overlap.message),
        "{} should contain {}",
        cell(1),
        overlap.message
    );
    let private = expected[2].findings.first_error().unwrap();
    assert_eq!(private.code, Code::PrefixNotPublic);
    assert!(cell(2).contains(&private.message), "{}", cell(2));
    assert_eq!(text(&root, "#add-prefixes"), "Add 3 prefixes");
    assert_eq!(
        find::<HtmlElement>(&root, "#add-prefixes")
            .get_attribute("aria-disabled")
            .as_deref(),
        Some("true")
    );
}

/// A long list is rendered as a window: the DOM holds under 100 rows whatever the count, the
/// table says how many rows there are (`aria-rowcount`) and where each shown one is
/// (`aria-rowindex`), and scrolling brings the later rows in.
#[wasm_bindgen_test]
async fn long_lists_render_only_a_window_of_rows() {
    use peering_console::pages::connections::ROW_HEIGHT;
    let root = container();
    let rows: Vec<Row> = (0..5000)
        .map(|i| row(&format!("c{i:04}"), "United States", "Texas"))
        .collect();
    leptos::mount::mount_to(
        root.clone(),
        move || view! { <Router><ConnectionsView rows=rows.clone()/></Router> },
    )
    .forget();
    tick().await;
    let shown = || {
        root.query_selector_all("table.grid tbody tr:not(.spacer)")
            .unwrap()
            .length()
    };
    let n = shown();
    assert!(n > 10 && n < 100, "{n} rows in the DOM");
    let table: HtmlElement = find(&root, "table.grid");
    assert_eq!(
        table.get_attribute("aria-rowcount").as_deref(),
        Some("5001")
    );
    let first: HtmlElement = find(&root, "table.grid tbody tr:not(.spacer)");
    assert_eq!(first.get_attribute("aria-rowindex").as_deref(), Some("2"));
    assert_eq!(
        text(&root, "table.grid tbody tr:not(.spacer) td.name"),
        "c0000"
    );
    // Scroll to row 4000: it is rendered, with its index, and the first rows are gone.
    let wrap: HtmlElement = find(&root, ".table-wrap");
    // The stylesheet is not loaded here: give the wrap the height it has in the app.
    wrap.style().set_property("max-height", "400px").unwrap();
    wrap.style().set_property("overflow", "auto").unwrap();
    wrap.set_scroll_top((4000.0 * ROW_HEIGHT) as i32);
    wrap.dispatch_event(&web_sys::Event::new("scroll").unwrap())
        .unwrap();
    tick().await;
    let names: Vec<String> = {
        let list = root.query_selector_all("table.grid tbody td.name").unwrap();
        (0..list.length())
            .map(|i| list.item(i).unwrap().text_content().unwrap())
            .collect()
    };
    assert!(names.contains(&"c4000".to_owned()), "{names:?}");
    assert!(!names.contains(&"c0000".to_owned()));
    assert!(shown() < 100);
    let idx = root
        .query_selector("table.grid tbody tr[aria-rowindex=\"4002\"] td.name")
        .unwrap()
        .map(|e| e.text_content().unwrap());
    assert_eq!(idx.as_deref(), Some("c4000"));
}

#[wasm_bindgen_test]
async fn search_filters_rows_and_says_when_nothing_matches() {
    let root = container();
    let rows = vec![
        row("seattle-office", "United States", "Washington"),
        row("osaka-dc", "Japan", "Osaka"),
    ];
    leptos::mount::mount_to(
        root.clone(),
        move || view! { <Router><ConnectionsView rows=rows.clone()/></Router> },
    )
    .forget();
    tick().await;
    let search: HtmlInputElement = find(&root, "#filter-search");
    type_into(&search, "OSAKA");
    // The search lives in the URL; the router applies it on the next turns of the event loop.
    settle(|| {
        root.query_selector_all("table.grid tbody tr:not(.spacer)")
            .unwrap()
            .length()
            == 1
    })
    .await;
    // Exactly the one matching row is shown.
    assert_eq!(
        root.query_selector_all("table.grid tbody tr:not(.spacer)")
            .unwrap()
            .length(),
        1
    );
    assert_eq!(text(&root, "table.grid tbody td.name"), "osaka-dc");
    type_into(&search, "nowhere");
    settle(|| text(&root, "table.grid tbody").contains("No connection matches")).await;
    assert!(text(&root, "table.grid tbody").contains("No connection matches these filters."));
    // Leave the shared test page's URL clean for the other tests.
    type_into(&search, "");
    for _ in 0..20 {
        tick().await;
        sleep_ms(20).await;
    }
}

/// Lets the app settle (the router applies a URL change on later turns of the event loop):
/// up to 20 turns, until `done` holds.
async fn settle(done: impl Fn() -> bool) {
    for _ in 0..20 {
        tick().await;
        if done() {
            break;
        }
        sleep_ms(20).await;
    }
}

async fn sleep_ms(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

#[wasm_bindgen_test]
async fn columns_sort_both_ways_from_the_url() {
    let root = container();
    let rows = vec![
        row("b-conn", "United States", "Texas"),
        row("a-conn", "Japan", "Osaka"),
        row("c-conn", "United States", "Washington"),
    ];
    leptos::mount::mount_to(
        root.clone(),
        move || view! { <Router><ConnectionsView rows=rows.clone()/></Router> },
    )
    .forget();
    tick().await;
    let names = |root: &HtmlElement| -> Vec<String> {
        let cells = root.query_selector_all("table.grid tbody td.name").unwrap();
        (0..cells.length())
            .map(|i| cells.item(i).unwrap().text_content().unwrap())
            .collect()
    };
    let name_header = || find::<HtmlElement>(&root, "table.grid thead th:first-child button");
    name_header().click();
    settle(|| names(&root) == ["a-conn", "b-conn", "c-conn"]).await;
    assert_eq!(names(&root), ["a-conn", "b-conn", "c-conn"]);
    assert_eq!(
        find::<HtmlElement>(&root, "table.grid thead th:first-child")
            .get_attribute("aria-sort")
            .as_deref(),
        Some("ascending")
    );
    name_header().click();
    settle(|| names(&root) == ["c-conn", "b-conn", "a-conn"]).await;
    assert_eq!(names(&root), ["c-conn", "b-conn", "a-conn"]);
    // Leave the shared test page's URL clean for the other tests.
    let nav = web_sys::window().unwrap().history().unwrap();
    nav.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"))
        .unwrap();
}

#[wasm_bindgen_test]
async fn monitor_test_form_speaks_the_model_words() {
    use peering_console::components::monitor_tests::{MonitorTestForm, TestForm};
    let root = container();
    leptos::mount::mount_to(root.clone(), || view! { <Router><MonitorTestForm service=ServiceId::new(SUB, "rg", "conn") on_done=|| ()/></Router> }).forget();
    tick().await;
    type_into(&find(&root, "#mt-port"), "0");
    type_into(&find(&root, "#mt-destination"), "bad host!");
    tick().await;
    let form = TestForm {
        port: "0".into(),
        destination: "bad host!".into(),
        frequency: "30".into(),
        ..Default::default()
    };
    let f = form.findings();
    assert_eq!(
        text(&root, "#mt-port-msg"),
        f.for_target("properties.destinationPort").unwrap().message
    );
    assert_eq!(
        text(&root, "#mt-destination-msg"),
        f.for_target("properties.destination").unwrap().message
    );
    assert_eq!(
        find::<HtmlElement>(&root, "#mt-port")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true")
    );
    find::<HtmlElement>(&root, "#add-test").click();
    tick().await;
    assert_eq!(
        text(&root, "#mt-name-msg"),
        "The monitor test name is required."
    );
    assert!(text(&root, "#mt-agent-msg").starts_with("The source agent is required"));
}

// ---- The app's plumbing: next links, error kinds, aborts -------------------------------------

#[wasm_bindgen_test]
fn next_links_are_followed_only_to_the_api_origin() {
    use peering_console::api::{checked_next, ErrorKind};
    const BASE: &str = "http://127.0.0.1:8080";
    for link in [
        "/\\evil.example/x",
        "/\t/evil.example/x",
        "//evil.example/x",
        "https://evil.example/x",
        "http://127.0.0.1:9/x",
    ] {
        let e = checked_next(BASE, link).expect_err(link);
        assert_eq!(e.kind, ErrorKind::UntrustedLink, "{link:?}");
    }
    let path = "/subscriptions/s/providers/Microsoft.Peering/peeringServices?api-version=2022-10-01&$skipToken=abc";
    assert_eq!(checked_next(BASE, path), Ok(format!("{BASE}{path}")));
    let own = format!("{BASE}/subscriptions/s/providers/Microsoft.Peering/peeringServices");
    assert_eq!(checked_next(BASE, &own), Ok(own.clone()));
}

#[wasm_bindgen_test]
fn error_kinds_follow_the_status() {
    use peering_console::api::ErrorKind::{self, *};
    let cases = [
        (0, Network),
        (400, Invalid),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (405, Invalid),
        (409, Conflict),
        (410, NotFound),
        (412, PreconditionFailed),
        (422, Invalid),
        (429, Throttled),
        (500, Server),
        (503, Server),
        (200, BadResponse),
        (304, BadResponse),
    ];
    for (status, kind) in cases {
        assert_eq!(ErrorKind::of_status(status), kind, "{status}");
    }
}

fn session() -> peering_console::state::Session {
    peering_console::state::Session {
        config: peering_console::state::Config::default(),
        token: "test-token".into(),
        subscription: SUB.into(),
    }
}

#[wasm_bindgen_test]
async fn a_request_is_aborted_when_its_owner_is_cleaned_up() {
    use leptos::task::spawn_local_scoped;
    use peering_console::api::{self, ErrorKind};
    use std::cell::RefCell;
    use std::rc::Rc;

    let out = Rc::new(RefCell::new(None));
    let owner = Owner::new();
    let o = out.clone();
    owner.with(|| {
        spawn_local_scoped(async move {
            let res = api::list_connections(&session()).await;
            *o.borrow_mut() = Some(res);
        })
    });
    tick().await;
    assert!(out.borrow().is_none(), "the request is in flight");
    owner.cleanup();
    for _ in 0..50 {
        if out.borrow().is_some() {
            break;
        }
        sleep_ms(10).await;
    }
    let res = out.borrow_mut().take().expect("the request ended");
    assert_eq!(res.map_err(|e| e.kind), Err(ErrorKind::Aborted));
}

// ---- Components: the state pill, the delete confirmation, sign-out, Feedback ------------------

#[wasm_bindgen_test]
async fn state_pill_shows_each_state_with_its_colour() {
    use peering_console::components::state_pill::{StatePill, TestResult};
    use peering_model::wire::{PrefixValidationState as V, ProvisioningState as P};

    async fn shown<S: peering_console::components::state_pill::PillState>(
        state: S,
    ) -> (String, String) {
        let root = container();
        leptos::mount::mount_to(root.clone(), move || view! { <StatePill state=state/> }).forget();
        tick().await;
        let pill: HtmlElement = find(&root, "span");
        (pill.class_name(), pill.text_content().unwrap())
    }
    let validation = [
        (V::None, "pill"),
        (V::Invalid, "pill failed"),
        (V::Verified, "pill verified"),
        (V::Failed, "pill failed"),
        (V::Pending, "pill pending"),
        (V::Warning, "pill warning"),
        (V::Unknown, "pill"),
    ];
    assert_eq!(validation.len(), V::ALL.len(), "every state is listed");
    for (state, class) in validation {
        assert_eq!(
            shown(state).await,
            (class.to_owned(), state.as_str().to_owned())
        );
    }
    let provisioning = [
        (P::Succeeded, "pill verified"),
        (P::Updating, "pill pending"),
        (P::Deleting, "pill pending"),
        (P::Failed, "pill failed"),
        (P::Canceled, "pill warning"),
    ];
    assert_eq!(provisioning.len(), P::ALL.len(), "every state is listed");
    for (state, class) in provisioning {
        assert_eq!(
            shown(state).await,
            (class.to_owned(), state.as_str().to_owned())
        );
    }
    for (result, class, label) in [
        (TestResult::of(Some(true)), "pill verified", "Succeeded"),
        (TestResult::of(Some(false)), "pill failed", "Failed"),
        // Before a collector reports a result, the server sends no isTestSuccessful at all.
        (TestResult::of(None), "pill", "No result yet"),
    ] {
        assert_eq!(shown(result).await, (class.to_owned(), label.to_owned()));
    }
}

/// A delete that answers after `ms` with `answer`, counting its calls.
fn counted_delete(
    calls: std::rc::Rc<std::cell::Cell<u32>>,
    ms: i32,
    answer: Result<(), peering_console::api::ApiError>,
) -> impl Fn() -> peering_console::components::confirm_delete::DeleteFuture + 'static {
    move || {
        calls.set(calls.get() + 1);
        let answer = answer.clone();
        Box::pin(async move {
            sleep_ms(ms).await;
            answer
        })
    }
}

fn changed_answer() -> Result<(), peering_console::api::ApiError> {
    use peering_console::api::{ApiError, ErrorKind};
    Err(ApiError {
        status: 412,
        ..ApiError::new(
            ErrorKind::PreconditionFailed,
            "PreconditionFailed",
            "The resource was changed by someone else.",
        )
    })
}

#[wasm_bindgen_test]
async fn inline_confirmation_asks_first_and_sends_once() {
    use peering_console::components::confirm_delete::{ConfirmDelete, ConfirmMode};
    use peering_model::{messages, names::NameKind};
    use std::cell::Cell;
    use std::rc::Rc;

    let (calls, reloads) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    let root = container();
    let (c, r) = (calls.clone(), reloads.clone());
    leptos::mount::mount_to(root.clone(), move || {
        let r = r.clone();
        view! {
            <ConfirmDelete kind=NameKind::Prefix name="web".to_owned() mode=ConfirmMode::Inline
                on_confirm=counted_delete(c.clone(), 100, changed_answer())
                on_reload=move || r.set(r.get() + 1)/>
        }
    })
    .forget();
    tick().await;
    let delete = || find::<HtmlElement>(&root, "button.delete");
    assert_eq!(
        delete().get_attribute("aria-label").as_deref(),
        Some("Delete prefix web")
    );
    assert!(root.query_selector(".confirm").unwrap().is_none());

    // Delete asks; Cancel takes it back and nothing is sent.
    delete().click();
    tick().await;
    assert_eq!(text(&root, ".confirm .question"), "Delete prefix web?");
    let confirm = || find::<HtmlElement>(&root, "button.confirm");
    let active = || document().active_element().map(|e| e.class_name());
    assert_eq!(
        active(),
        Some(confirm().class_name()),
        "the focus moves to Confirm"
    );
    find::<HtmlElement>(&root, "button.cancel").click();
    tick().await;
    assert!(root.query_selector(".confirm").unwrap().is_none());
    assert_eq!(
        active(),
        Some(delete().class_name()),
        "the focus returns to Delete"
    );
    assert_eq!(calls.get(), 0);

    // Confirm sends once; another click while it is pending does nothing.
    delete().click();
    tick().await;
    confirm().click();
    tick().await;
    assert_eq!(calls.get(), 1);
    assert_eq!(confirm().text_content().unwrap(), "Deleting…");
    assert_eq!(
        confirm().get_attribute("aria-disabled").as_deref(),
        Some("true")
    );
    confirm().click();
    find::<HtmlElement>(&root, "button.cancel").click();
    tick().await;
    assert_eq!(calls.get(), 1, "a second click while pending is ignored");
    assert!(
        root.query_selector(".confirm").unwrap().is_some(),
        "Cancel is ignored while pending"
    );

    // The server says it changed: the model's words, and a reload.
    for _ in 0..50 {
        if root.query_selector("[role=alert]").unwrap().is_some() {
            break;
        }
        sleep_ms(10).await;
    }
    assert_eq!(
        text(&root, "[role=alert] p"),
        messages::changed_elsewhere(NameKind::Prefix, "web")
    );
    find::<HtmlElement>(&root, "button.reload").click();
    tick().await;
    assert_eq!(reloads.get(), 1);
}

#[wasm_bindgen_test]
async fn typed_confirmation_needs_the_exact_name_and_sends_once() {
    use peering_console::components::confirm_delete::{ConfirmDelete, ConfirmMode};
    use peering_model::names::NameKind;
    use std::cell::Cell;
    use std::rc::Rc;

    let calls = Rc::new(Cell::new(0));
    let root = container();
    let c = calls.clone();
    leptos::mount::mount_to(root.clone(), move || {
        view! {
            <ConfirmDelete kind=NameKind::Connection name="seattle".to_owned() mode=ConfirmMode::TypeName
                consequence=" with all its prefixes and monitor tests"
                on_confirm=counted_delete(c.clone(), 100, Ok(())) on_reload=|| ()/>
        }
    })
    .forget();
    tick().await;
    assert_eq!(
        text(&root, "label[for=confirm-delete]"),
        "Type the connection name to delete it with all its prefixes and monitor tests"
    );
    let button = || find::<HtmlElement>(&root, "#confirm-delete-submit");
    let input: HtmlInputElement = find(&root, "#confirm-delete");
    assert_eq!(
        button().get_attribute("aria-disabled").as_deref(),
        Some("true")
    );
    button().click();
    type_into(&input, "Seattle");
    tick().await;
    button().click();
    tick().await;
    assert_eq!(
        calls.get(),
        0,
        "nothing is sent until the exact name is typed"
    );

    type_into(&input, "seattle");
    tick().await;
    assert_eq!(
        button().get_attribute("aria-disabled").as_deref(),
        Some("false")
    );
    button().click();
    tick().await;
    assert_eq!(calls.get(), 1);
    assert_eq!(button().text_content().unwrap(), "Deleting…");
    assert_eq!(
        button().get_attribute("aria-disabled").as_deref(),
        Some("true")
    );
    button().click();
    tick().await;
    assert_eq!(calls.get(), 1, "a second submit while pending is ignored");
    for _ in 0..50 {
        if button().text_content().unwrap() == "Deleted" {
            break;
        }
        sleep_ms(10).await;
    }
    assert_eq!(button().text_content().unwrap(), "Deleted");
    button().click();
    tick().await;
    assert_eq!(calls.get(), 1, "nothing is sent after the delete succeeded");
}

#[wasm_bindgen_test]
async fn sign_out_removes_the_token_from_the_tab() {
    use peering_console::app::Authenticated;
    use peering_console::state::{Config, TOKEN_KEY};
    use peering_model::messages;

    let storage = web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap();
    storage.set_item(TOKEN_KEY, "test-token").unwrap();
    let root = container();
    let token = RwSignal::new(Some("test-token".to_owned()));
    leptos::mount::mount_to(root.clone(), move || {
        view! { <Authenticated config=Config::default() token=token subscription=Some(SUB.to_owned())/> }
    })
    .forget();
    tick().await;
    assert_eq!(text(&root, ".topbar .sub"), SUB);
    find::<HtmlElement>(&root, "#sign-out").click();
    tick().await;
    // Asked first: Cancel changes nothing, and has the focus (not the button that acts).
    assert!(text(&root, "#sign-out-dialog").contains("Sign out?"));
    let cancel = root
        .query_selector("#sign-out-dialog button:not(#sign-out-confirm)")
        .unwrap()
        .unwrap();
    assert_eq!(
        web_sys::window()
            .unwrap()
            .document()
            .unwrap()
            .active_element(),
        Some(cancel.clone())
    );
    cancel.dyn_into::<HtmlElement>().unwrap().click();
    tick().await;
    assert!(root.query_selector("#sign-out-dialog").unwrap().is_none());
    assert_eq!(
        storage.get_item(TOKEN_KEY).unwrap().as_deref(),
        Some("test-token")
    );
    find::<HtmlElement>(&root, "#sign-out").click();
    tick().await;
    find::<HtmlElement>(&root, "#sign-out-confirm").click();
    tick().await;
    assert_eq!(storage.get_item(TOKEN_KEY).unwrap(), None);
    assert_eq!(
        token.get_untracked(),
        None,
        "the token is gone from memory too"
    );
    assert_eq!(text(&root, "#sign-in-state"), messages::SIGNED_OUT);
    assert!(
        root.query_selector(".topbar").unwrap().is_none(),
        "the shell is gone"
    );
    let nav = web_sys::window().unwrap().history().unwrap();
    nav.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"))
        .unwrap();
}

#[wasm_bindgen_test]
fn feedback_shows_server_codes_parsed_with_from_str() {
    use peering_console::api::{ApiError, ErrorKind};
    use peering_console::components::feedback::Feedback;
    use peering_model::names::NameKind;
    use peering_model::targets::{NAME, PORT};
    use peering_model::{messages, Findings};

    let owner = Owner::new();
    owner.with(|| {
        let feedback = Feedback::new(Memo::new(|_| Findings::default()));
        let refusal = |code: &str| ApiError {
            status: 400,
            target: Some(PORT.to_owned()),
            ..ApiError::new(
                ErrorKind::Invalid,
                code,
                "Destination port 0 is out of range; use 1–65535.",
            )
        };
        // Every model code lands at its field, as that code.
        for code in Code::ALL {
            feedback.server_error.set(Some(refusal(code.as_str())));
            let f = feedback
                .finding_for(PORT)
                .get_untracked()
                .expect("shown at the port");
            assert_eq!((f.code, f.is_error()), (*code, true));
            assert_eq!(
                f.message,
                "Destination port 0 is out of range; use 1–65535."
            );
            assert!(feedback.untargeted(&[PORT]).is_none());
        }
        // A code the model does not know is not passed off as one: the form-wide box says it.
        feedback.server_error.set(Some(refusal("invalidport")));
        assert!(feedback.finding_for(PORT).get_untracked().is_none());
        assert_eq!(
            feedback.untargeted(&[PORT]).map(|e| e.code),
            Some("invalidport".to_owned())
        );
        // A 412 on create is the taken name, at the name.
        let taken = messages::name_taken(NameKind::MonitorTest, "probe", "conn");
        feedback.refused(
            ApiError {
                status: 412,
                ..ApiError::new(
                    ErrorKind::PreconditionFailed,
                    "PreconditionFailed",
                    "exists",
                )
            },
            NAME,
            taken.clone(),
        );
        let f = feedback
            .finding_for(NAME)
            .get_untracked()
            .expect("shown at the name");
        assert_eq!((f.code, f.message), (Code::InvalidName, taken));
    });
}

/// The search filters at once as letters are typed, and writes the URL once typing pauses,
/// replacing the current history entry: a word typed adds no history state.
#[wasm_bindgen_test]
async fn search_filters_as_you_type_and_writes_the_url_when_typing_pauses() {
    let window = web_sys::window().unwrap();
    let history = window.history().unwrap();
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"))
        .unwrap();
    let root = container();
    let rows = vec![
        row("osaka-dc", "Japan", "Osaka"),
        row("seattle-1", "United States", "Washington"),
        row("seattle-2", "United States", "Washington"),
    ];
    leptos::mount::mount_to(
        root.clone(),
        move || view! { <Router><ConnectionsView rows=rows.clone()/></Router> },
    )
    .forget();
    tick().await;
    let before = history.length().unwrap();
    let search: HtmlInputElement = find(&root, "#filter-search");
    for t in ["s", "se", "sea", "seat"] {
        type_into(&search, t);
        tick().await;
    }
    assert_eq!(
        text(&root, ".filters .count"),
        "2 of 3 shown",
        "filtered while typing"
    );
    assert!(!route_query().contains("q="), "the URL waits for a pause");
    sleep_ms(500).await;
    tick().await;
    assert_eq!(route_query(), "?q=seat");
    assert_eq!(
        history.length().unwrap(),
        before,
        "no history entry per letter"
    );
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"))
        .unwrap();
}

/// The provider and provisioning filters list every value with its count, narrow the rows and
/// live in the URL.
#[wasm_bindgen_test]
async fn provider_and_provisioning_filters_narrow_the_list() {
    let history = web_sys::window().unwrap().history().unwrap();
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"))
        .unwrap();
    let root = container();
    let mut rows = vec![
        row("a", "Japan", "Osaka"),
        row("b", "Japan", "Tokyo"),
        row("c", "Japan", "Tokyo"),
    ];
    rows[0].provider = "IIJ".into();
    rows[2].provisioning = "Failed".into();
    leptos::mount::mount_to(
        root.clone(),
        move || view! { <Router><ConnectionsView rows=rows.clone()/></Router> },
    )
    .forget();
    tick().await;
    let providers: HtmlSelectElement = find(&root, "#filter-provider");
    assert_eq!(option_values(&providers), ["", "IIJ", "p"]);
    assert_eq!(
        providers.options().item(1).unwrap().text_content().unwrap(),
        "IIJ (1)"
    );
    choose(&providers, "p");
    settle(|| text(&root, ".filters .count") == "2 of 3 shown").await;
    assert_eq!(text(&root, ".filters .count"), "2 of 3 shown");
    assert!(route_query().contains("provider=p"));
    choose(
        &find::<HtmlSelectElement>(&root, "#filter-provisioning"),
        "Failed",
    );
    settle(|| text(&root, ".filters .count") == "1 of 3 shown").await;
    assert_eq!(text(&root, "table.grid tbody tr:not(.spacer) td.name"), "c");
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"))
        .unwrap();
}

/// Each connection's prefixes are rolled up in their column ("3 · 1 Failed"), and the
/// validation filter narrows to a roll-up; rows whose prefixes are unknown show a dash.
#[wasm_bindgen_test]
async fn prefixes_are_rolled_up_and_filtered_by_validation() {
    use peering_console::components::connection_row::Prefixes;
    use peering_model::wire::PrefixValidationState as S;
    let history = web_sys::window().unwrap().history().unwrap();
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"))
        .unwrap();
    let root = container();
    let mut rows = vec![
        row("a", "Japan", "Osaka"),
        row("b", "Japan", "Tokyo"),
        row("c", "Japan", "Tokyo"),
    ];
    rows[0].prefixes = Some(Prefixes {
        total: 3,
        states: [(S::Verified, 2), (S::Failed, 1)].into(),
        list: Vec::new(),
        ..Default::default()
    });
    rows[1].prefixes = Some(Prefixes {
        total: 2,
        states: [(S::Verified, 2)].into(),
        list: Vec::new(),
        ..Default::default()
    });
    leptos::mount::mount_to(
        root.clone(),
        move || view! { <Router><ConnectionsView rows=rows.clone()/></Router> },
    )
    .forget();
    tick().await;
    let cells = root
        .query_selector_all("table.grid tbody td.prefixes")
        .unwrap();
    let labels: Vec<String> = (0..cells.length())
        .map(|i| cells.item(i).unwrap().text_content().unwrap())
        .collect();
    assert_eq!(labels, ["3 · 1 Failed", "2 · all Verified", "—"]);
    let filter: HtmlSelectElement = find(&root, "#filter-validation");
    assert_eq!(option_values(&filter), ["", "Failed", "Verified"]);
    choose(&filter, "Failed");
    settle(|| text(&root, ".filters .count") == "1 of 3 shown").await;
    assert_eq!(text(&root, "table.grid tbody tr:not(.spacer) td.name"), "a");
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"))
        .unwrap();
}

/// Rows that change after they are shown (their prefixes arrive, or more pages of the list) are
/// shown as they are now.
#[wasm_bindgen_test]
async fn rows_that_change_while_shown_are_rendered_anew() {
    use peering_console::components::connection_row::Prefixes;
    use peering_model::wire::PrefixValidationState as S;
    let root = container();
    let rows = RwSignal::new(vec![row("a", "Japan", "Osaka")]);
    leptos::mount::mount_to(
        root.clone(),
        move || view! { <Router><ConnectionsView rows=rows/></Router> },
    )
    .forget();
    tick().await;
    assert_eq!(text(&root, "table.grid tbody td.prefixes"), "—");
    rows.update(|r| {
        r[0].prefixes = Some(Prefixes {
            total: 1,
            states: [(S::Pending, 1)].into(),
            list: Vec::new(),
            ..Default::default()
        });
        r.push(row("b", "Japan", "Tokyo"));
    });
    tick().await;
    assert_eq!(text(&root, "table.grid tbody td.prefixes"), "1 · 1 Pending");
    assert_eq!(text(&root, ".filters .count"), "2 of 2 shown");
}

/// Tags have a column and a filter (by `key=value`); the column chooser hides a column and
/// remembers it in this browser.
#[wasm_bindgen_test]
async fn tags_filter_and_the_column_chooser_remembers_its_choice() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.remove_item("peering-console.list.columns").unwrap();
    let history = web_sys::window().unwrap().history().unwrap();
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"))
        .unwrap();
    let mut rows = vec![row("a", "Japan", "Osaka"), row("b", "Japan", "Tokyo")];
    rows[0].tags = [
        ("team".to_owned(), "net".to_owned()),
        ("env".to_owned(), "prod".to_owned()),
    ]
    .into();
    rows[1].tags = [("team".to_owned(), "ops".to_owned())].into();
    let mount = |rows: Vec<Row>| {
        let root = container();
        leptos::mount::mount_to(
            root.clone(),
            move || view! { <Router><ConnectionsView rows=rows.clone()/></Router> },
        )
        .forget();
        root
    };
    let root = mount(rows.clone());
    tick().await;
    assert_eq!(
        text(&root, "table.grid tbody td.tags"),
        "env=prod, team=net"
    );
    let filter: HtmlSelectElement = find(&root, "#filter-tag");
    assert_eq!(
        option_values(&filter),
        ["", "env=prod", "team=net", "team=ops"]
    );
    choose(&filter, "team=ops");
    settle(|| text(&root, ".filters .count") == "1 of 2 shown").await;
    assert_eq!(text(&root, "table.grid tbody tr:not(.spacer) td.name"), "b");
    let headers = |root: &HtmlElement| -> Vec<String> {
        let ths = root.query_selector_all("table.grid thead th").unwrap();
        (0..ths.length())
            .map(|i| ths.item(i).unwrap().text_content().unwrap())
            .collect()
    };
    assert!(headers(&root).contains(&"Backup".to_owned()));
    let backup: HtmlInputElement = find(&root, "#column-backup");
    backup.set_checked(false);
    backup
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    tick().await;
    assert!(!headers(&root).contains(&"Backup".to_owned()));
    assert_eq!(
        root.query_selector_all("table.grid tbody td.backup")
            .unwrap()
            .length(),
        0
    );
    // Remembered: a list mounted later shows the same columns.
    let again = mount(rows);
    tick().await;
    assert!(!headers(&again).contains(&"Backup".to_owned()));
    assert!(headers(&again).contains(&"Tags".to_owned()));
    storage.remove_item("peering-console.list.columns").unwrap();
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"))
        .unwrap();
}

/// The tags editor checks each tag with the model as it is typed (and a name given twice),
/// and offers to save only a change that passes.
#[wasm_bindgen_test]
async fn tags_editor_checks_tags_as_they_are_typed() {
    use peering_console::components::tags_editor::TagsEditor;
    use peering_console::state::{Config, Session};
    use peering_model::ServiceId;
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(Session {
            config: Config::default(),
            token: "t".into(),
            subscription: SUB.into(),
        });
        let tags = Signal::stored([("team".to_owned(), "net".to_owned())].into_iter().collect());
        view! { <TagsEditor service=ServiceId::new(SUB, "rg", "c") tags=tags etag=Signal::stored(Some("\"e\"".to_owned())) on_reload=|| ()/> }
    })
    .forget();
    tick().await;
    let save: HtmlElement = find(&root, "#save-tags");
    assert_eq!(
        save.get_attribute("aria-disabled").as_deref(),
        Some("true"),
        "nothing changed yet"
    );
    find::<HtmlElement>(&root, "#add-tag").click();
    tick().await;
    let keys = root.query_selector_all("input.tag-key").unwrap();
    assert_eq!(keys.length(), 2);
    let second: HtmlInputElement = keys.item(1).unwrap().unchecked_into();
    type_into(&second, "team");
    tick().await;
    assert_eq!(
        text(&root, "form.tags .msg.error"),
        peering_model::messages::duplicate_tag("team")
    );
    assert_eq!(save.get_attribute("aria-disabled").as_deref(), Some("true"));
    type_into(&second, "bad/name");
    tick().await;
    assert!(
        text(&root, "form.tags .msg.error").contains("must not contain"),
        "{}",
        text(&root, "form.tags .msg.error")
    );
    type_into(&second, "env");
    tick().await;
    assert!(root
        .query_selector("form.tags .msg.error")
        .unwrap()
        .is_none());
    assert_eq!(
        save.get_attribute("aria-disabled").as_deref(),
        Some("false")
    );
}

/// "Change" says plainly that it deletes and re-creates the prefix, checks the new value with
/// the model, and offers Replace only for a value that passes.
#[wasm_bindgen_test]
async fn changing_a_prefix_says_it_deletes_and_recreates() {
    use peering_console::components::change_prefix::ChangePrefix;
    use peering_console::state::{Config, Session};
    use peering_model::wire::{PeeringServicePrefix, PrefixProperties};
    use peering_model::ServiceId;
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(Session {
            config: Config::default(),
            token: "t".into(),
            subscription: SUB.into(),
        });
        let shown = PeeringServicePrefix {
            name: Some("web".into()),
            properties: Some(PrefixProperties {
                prefix: Some("8.8.8.0/24".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        view! { <ChangePrefix service=ServiceId::new(SUB, "rg", "c") shown=shown on_done=|| ()/> }
    })
    .forget();
    tick().await;
    find::<HtmlElement>(&root, "button.change").click();
    tick().await;
    assert!(text(&root, ".change-prefix .msg.hint").starts_with(
        "A prefix cannot be edited: this deletes web (8.8.8.0/24) and creates it again"
    ));
    let input: HtmlInputElement = find(&root, "input.new-prefix");
    type_into(&input, "10.0.0.0/8");
    tick().await;
    let replace: HtmlElement = find(&root, "button.replace");
    assert_eq!(
        replace.get_attribute("aria-disabled").as_deref(),
        Some("true")
    );
    let (_, findings) = peering_model::prefix::check_prefix_value("10.0.0.0/8");
    assert_eq!(
        text(&root, ".change-prefix .msg.error"),
        findings.first_error().unwrap().message
    );
    type_into(&input, "8.8.9.0/24");
    tick().await;
    assert_eq!(
        replace.get_attribute("aria-disabled").as_deref(),
        Some("false")
    );
    find::<HtmlElement>(&root, "button.cancel").click();
    tick().await;
    assert!(root.query_selector("input.new-prefix").unwrap().is_none());
}

fn click(el: &HtmlElement, shift: bool) {
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_shift_key(shift);
    let ev = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).unwrap();
    el.dispatch_event(&ev).unwrap();
}

/// Bulk actions: a click and a shift-click select a range, "select all matching" takes every
/// row the filter shows, one confirmation names the count, each row gets its result, and the
/// row that failed stays selected for a retry. A tag is checked by the model before it is sent.
/// A new filter starts a new selection.
#[wasm_bindgen_test]
async fn bulk_delete_and_tag_report_each_row_and_keep_failures_selected() {
    use peering_console::components::bulk::{BulkActions, BulkOp, Outcome, RowChange};
    use std::sync::{Arc, Mutex};
    let history = web_sys::window().unwrap().history().unwrap();
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"))
        .unwrap();
    let rows = RwSignal::new(
        ["a", "b", "c", "d", "e", "f"]
            .iter()
            .map(|n| {
                row(
                    n,
                    if *n == "f" { "Japan" } else { "United States" },
                    "Texas",
                )
            })
            .collect::<Vec<_>>(),
    );
    let calls = Arc::new(Mutex::new(Vec::<(BulkOp, String)>::new()));
    let seen = calls.clone();
    let actions = BulkActions(Arc::new(move |op: BulkOp, row: Row| {
        seen.lock().unwrap().push((op.clone(), row.name.clone()));
        Box::pin(async move {
            match op {
                BulkOp::Delete if row.name == "c" => Outcome::Failed {
                    message: "The server answered 500.".into(),
                    current: None,
                },
                BulkOp::Delete => Outcome::Removed,
                op => {
                    let mut r = row.clone();
                    r.tags = op.retag(&r.tags).unwrap_or_default();
                    Outcome::Updated(r)
                }
            }
        })
    }));
    let on_change = Callback::new(move |change: RowChange| rows.update(|r| change.apply(r)));
    let root = container();
    let a2 = actions.clone();
    leptos::mount::mount_to(root.clone(), move || {
        view! { <Router><ConnectionsView rows=rows actions=a2.clone() on_change=on_change/></Router> }
    })
    .forget();
    tick().await;
    let boxes = |root: &HtmlElement| -> Vec<HtmlInputElement> {
        let l = root
            .query_selector_all("table.grid tbody td.select input")
            .unwrap();
        (0..l.length())
            .map(|i| l.item(i).unwrap().dyn_into().unwrap())
            .collect()
    };
    assert_eq!(boxes(&root).len(), 6);
    assert!(
        root.query_selector(".bulk").unwrap().is_none(),
        "no bar before a selection"
    );
    click(&boxes(&root)[0], false);
    click(&boxes(&root)[2], true);
    settle(|| root.query_selector(".bulk").unwrap().is_some()).await;
    assert_eq!(
        text(&root, ".bulk .selected-count"),
        "3 connections selected"
    );
    let checked: Vec<bool> = boxes(&root).iter().map(|b| b.checked()).collect();
    assert_eq!(checked, [true, true, true, false, false, false]);
    // A new filter starts a new selection.
    choose(&find(&root, "#filter-country"), "United States");
    settle(|| text(&root, ".filters .count") == "5 of 6 shown").await;
    assert!(root.query_selector(".bulk").unwrap().is_none());
    // Select all matching: the five shown, not Japan's.
    click(&boxes(&root)[1], false);
    settle(|| {
        root.query_selector("#select-all-matching")
            .unwrap()
            .is_some()
    })
    .await;
    click(&find(&root, "#select-all-matching"), false);
    settle(|| text(&root, ".bulk .selected-count") == "5 connections selected").await;
    let all: HtmlInputElement = find(&root, "#select-all");
    assert!(all.checked());
    // One confirmation naming the count; nothing is sent before it.
    click(&find(&root, "#bulk-delete"), false);
    tick().await;
    assert!(text(&root, ".bulk .confirm").contains("Delete 5 connections with all their prefixes"));
    assert!(calls.lock().unwrap().is_empty());
    click(&find(&root, "#bulk-delete-confirm"), false);
    settle(|| text(&root, ".bulk-results").contains("failed")).await;
    assert_eq!(calls.lock().unwrap().len(), 5, "one write per row");
    assert!(
        text(&root, ".bulk-results")
            .contains("4 done, 1 failed; the failed ones are still selected"),
        "{}",
        text(&root, ".bulk-results")
    );
    assert!(text(&root, ".bulk-results .failed-rows").contains("c: The server answered 500."));
    assert_eq!(
        text(&root, ".bulk .selected-count"),
        "1 connection selected"
    );
    assert_eq!(text(&root, ".filters .count"), "1 of 2 shown");
    assert_eq!(text(&root, "table.grid tbody tr.selected td.name"), "c");
    // A tag the model refuses is not offered; a good one is added to the selected row.
    let key: HtmlInputElement = find(&root, "#bulk-tag-key");
    type_into(&key, "a/b");
    tick().await;
    assert!(find::<HtmlElement>(&root, "#bulk-add-tag").has_attribute("disabled"));
    assert!(text(&root, ".bulk .msg.error").contains("must not contain"));
    type_into(&key, "env");
    type_into(&find(&root, "#bulk-tag-value"), "prod");
    tick().await;
    assert!(!find::<HtmlElement>(&root, "#bulk-add-tag").has_attribute("disabled"));
    calls.lock().unwrap().clear();
    click(&find(&root, "#bulk-add-tag"), false);
    settle(|| text(&root, ".bulk-results").contains("all 1 done")).await;
    assert_eq!(
        calls.lock().unwrap().as_slice(),
        [(
            BulkOp::AddTag {
                key: "env".into(),
                value: "prod".into()
            },
            "c".to_owned()
        )]
    );
    assert_eq!(text(&root, "table.grid tbody td.tags"), "env=prod");
    assert_eq!(
        text(&root, ".bulk .selected-count"),
        "0 connections selected"
    );
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"))
        .unwrap();
}

/// The outbox keeps a failed write in `localStorage` (without the token), so a reload finds
/// it; a retry that meets no answer again is counted and put off with a backoff; the top bar
/// shows the count and the list; "Discard" removes it, from storage too.
#[wasm_bindgen_test]
async fn the_outbox_keeps_writes_across_a_reload_and_retries_them() {
    use peering_console::api::{ApiError, ErrorKind, Replay};
    use peering_console::components::outbox_panel::OutboxPanel;
    use peering_console::outbox::{storage_key, Outbox, Status};
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    // Nothing listens on port 9 of loopback: every attempt meets no answer.
    let mut s = session();
    s.config.api_base = "http://127.0.0.1:9".into();
    s.token = "secret-token-never-stored".into();
    let key = storage_key(&s);
    storage.remove_item(&key).unwrap();
    let write = Replay::Patch {
        id: format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Peering/peeringServices/a"
        ),
        etag: "\"1\"".into(),
        body: serde_json::json!({"tags": {"env": "prod"}}),
    };
    let owner = Owner::new();
    let first = owner.with(|| Outbox::new(s.clone()));
    let offline = ApiError::new(ErrorKind::Network, "NetworkError", "no answer");
    owner.with(|| {
        first.push(
            "Save the tags of connection 'a'".into(),
            write.clone(),
            &offline,
        )
    });
    let stored = storage
        .get_item(&key)
        .unwrap()
        .expect("kept in localStorage");
    assert!(
        stored.contains("Save the tags of connection 'a'"),
        "{stored}"
    );
    assert!(
        !stored.contains("secret-token"),
        "the token is never stored: {stored}"
    );
    owner.cleanup();

    // A reload: a new outbox finds the write and shows it in the top bar.
    let root = container();
    let again = RwSignal::new(None::<Outbox>);
    let s2 = s.clone();
    leptos::mount::mount_to(root.clone(), move || {
        let o = Outbox::new(s2.clone());
        again.set(Some(o));
        provide_context(o);
        view! { <OutboxPanel/> }
    })
    .forget();
    tick().await;
    let outbox = again.get_untracked().expect("mounted");
    let pending = outbox.pending();
    assert_eq!(pending.with_untracked(Vec::len), 1);
    assert_eq!(pending.with_untracked(|p| p[0].write.clone()), write);
    assert_eq!(text(&root, "#outbox-count"), "1");
    // Retry now: it is sent, meets no answer, and waits again with one more attempt.
    let first_key = pending.with_untracked(|p| p[0].key);
    outbox.retry_now(first_key);
    for _ in 0..100 {
        sleep_ms(20).await;
        if pending.with_untracked(|p| p[0].attempts) == 2 {
            break;
        }
    }
    let p = pending.with_untracked(|p| p[0].clone());
    assert_eq!((p.attempts, p.status), (2, Status::Waiting));
    assert!(
        p.next_at > js_sys::Date::now(),
        "put off, not retried at once"
    );
    assert!(p.last_error.unwrap().contains("could not be reached"));
    click(&find(&root, "#outbox-toggle"), false);
    tick().await;
    assert!(text(&root, "#outbox li").contains("Save the tags of connection 'a'"));
    assert!(text(&root, "#outbox li").contains("attempt 3 at"));
    click(&find(&root, "#outbox li button.discard"), false);
    tick().await;
    assert_eq!(pending.with_untracked(Vec::len), 0);
    assert!(storage.get_item(&key).unwrap().is_none());
    assert!(text(&root, "#outbox").contains("Everything has been sent."));
}

/// The import preview: every row's findings before anything is written, and what importing
/// does with each (new, stored already, differing from what is stored, blocked by an error).
#[wasm_bindgen_test]
async fn a_csv_import_previews_every_row_and_skips_the_bad_one() {
    use peering_console::components::connection_import::ConnectionImport;
    let mut stored = row("same", "United States", "Texas");
    stored.resource_group = "default".into();
    stored.provider = "equinix MAPS".into();
    stored.primary = "dallas".into();
    stored.region = "South Central US".into();
    let mut other = stored.clone();
    other.name = "moved".into();
    let existing = vec![stored, other];
    let root = container();
    leptos::mount::mount_to(root.clone(), move || {
        let open = RwSignal::new(true);
        view! { <ConnectionImport existing=existing.clone() open=open on_done=Callback::new(|()| {})/> }
    })
    .forget();
    tick().await;
    let csv = "Name,State/province,Provider,Primary,Prefix list\n\
        same,Texas,equinix MAPS,dallas,\n\
        moved,Washington,equinix MAPS,seattle,\n\
        fresh,Texas,equinix MAPS,dallas,8.8.8.0/24; 8.8.8.0/25\n\
        bad name,Texas,equinix MAPS,dallas,\n";
    let area: web_sys::HtmlTextAreaElement = find(&root, "#import-csv");
    area.set_value(csv);
    area.dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    settle(|| root.query_selector("#import-rows").unwrap().is_some()).await;
    assert_eq!(
        text(&root, "#import-summary"),
        "0 new, 1 stored already, 2 with errors (skipped), 1 differing from what is stored (skipped)"
    );
    let table = text(&root, "#import-rows");
    assert!(table.contains("contains a space"), "{table}");
    assert!(
        table.contains("stored with another state/province, primary, Azure region"),
        "{table}"
    );
    assert!(
        table.contains("8.8.8.0/25: 8.8.8.0/25 lies inside 8.8.8.0/24"),
        "{table}"
    );
    assert_eq!(text(&root, "#import-run"), "Import 1 connection");
    // A heading without a required column says which.
    area.set_value("Name,Provider\nx,y\n");
    area.dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    tick().await;
    assert!(text(&root, "#import-error").contains("no 'State/province' column"));
}

/// The geo filter in the URL: country, then state, each a history entry; Back and Forward
/// restore the view (selects and rows); a URL opened with every setting shows them all and a
/// change writes them back unchanged (the URL round trip).
#[wasm_bindgen_test]
async fn country_then_state_then_back_and_forward_restore_the_view() {
    let history = web_sys::window().unwrap().history().unwrap();
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"))
        .unwrap();
    let rows = vec![
        row("a", "United States", "Texas"),
        row("b", "United States", "Washington"),
        row("c", "Japan", "Osaka"),
    ];
    let root = container();
    let r2 = rows.clone();
    leptos::mount::mount_to(
        root.clone(),
        move || view! { <Router><ConnectionsView rows=r2.clone()/></Router> },
    )
    .forget();
    tick().await;
    let count = |root: &HtmlElement| text(root, ".filters .count");
    choose(&find(&root, "#filter-country"), "United States");
    settle(|| count(&root) == "2 of 3 shown").await;
    assert_eq!(route_query(), "?country=United%20States");
    choose(&find(&root, "#filter-state"), "Texas");
    settle(|| count(&root) == "1 of 3 shown").await;
    assert_eq!(route_query(), "?country=United%20States&state=Texas");
    history.back().unwrap();
    settle(|| count(&root) == "2 of 3 shown").await;
    assert_eq!(count(&root), "2 of 3 shown");
    assert_eq!(
        find::<HtmlSelectElement>(&root, "#filter-state").value(),
        ""
    );
    assert_eq!(
        find::<HtmlSelectElement>(&root, "#filter-country").value(),
        "United States"
    );
    history.back().unwrap();
    settle(|| count(&root) == "3 of 3 shown").await;
    assert_eq!(
        find::<HtmlSelectElement>(&root, "#filter-country").value(),
        ""
    );
    history.forward().unwrap();
    settle(|| count(&root) == "2 of 3 shown").await;
    history.forward().unwrap();
    settle(|| count(&root) == "1 of 3 shown").await;
    assert_eq!(
        find::<HtmlSelectElement>(&root, "#filter-state").value(),
        "Texas"
    );
    assert_eq!(text(&root, "table.grid tbody tr:not(.spacer) td.name"), "a");

    // The round trip: every setting from the URL, and written back as it came.
    let url =
        "/?country=United%20States&provider=p&provisioning=Succeeded&q=tex&sort=name&dir=desc";
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("#{url}")))
        .unwrap();
    let root = container();
    leptos::mount::mount_to(
        root.clone(),
        move || view! { <Router><ConnectionsView rows=rows.clone()/></Router> },
    )
    .forget();
    tick().await;
    assert_eq!(
        find::<HtmlSelectElement>(&root, "#filter-country").value(),
        "United States"
    );
    assert_eq!(
        find::<HtmlSelectElement>(&root, "#filter-provider").value(),
        "p"
    );
    assert_eq!(
        find::<HtmlSelectElement>(&root, "#filter-provisioning").value(),
        "Succeeded"
    );
    assert_eq!(
        find::<HtmlInputElement>(&root, "#filter-search").value(),
        "tex"
    );
    assert_eq!(count(&root), "1 of 3 shown");
    choose(&find(&root, "#filter-state"), "Texas");
    settle(|| route_query().contains("state=")).await;
    assert_eq!(
        route_query(),
        "?country=United%20States&state=Texas&provider=p&provisioning=Succeeded&q=tex&sort=name&dir=desc"
    );
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"))
        .unwrap();
}

/// A bulk delete that finds a row changed elsewhere keeps it (selected, the list showing
/// their version) and offers both versions side by side; "Delete their version" deletes it.
#[wasm_bindgen_test]
async fn a_bulk_row_changed_elsewhere_is_compared_and_resolved() {
    use peering_console::components::bulk::{BulkActions, BulkOp, Outcome, RowChange};
    use std::sync::{Arc, Mutex};
    let history = web_sys::window().unwrap().history().unwrap();
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"))
        .unwrap();
    let rows = RwSignal::new(vec![row("a", "Japan", "Osaka")]);
    let calls = Arc::new(Mutex::new(Vec::<Row>::new()));
    let seen = calls.clone();
    let actions = BulkActions(Arc::new(move |op: BulkOp, r: Row| {
        seen.lock().unwrap().push(r.clone());
        Box::pin(async move {
            assert_eq!(op, BulkOp::Delete);
            if r.provider == "p" {
                // Someone moved it to another provider meanwhile.
                let mut theirs = r.clone();
                theirs.provider = "q".into();
                Outcome::Failed {
                    message: "changed elsewhere".into(),
                    current: Some(theirs),
                }
            } else {
                Outcome::Removed
            }
        })
    }));
    let on_change = Callback::new(move |change: RowChange| rows.update(|r| change.apply(r)));
    let root = container();
    leptos::mount::mount_to(root.clone(), move || {
        view! { <Router><ConnectionsView rows=rows actions=actions.clone() on_change=on_change/></Router> }
    })
    .forget();
    tick().await;
    click(&find(&root, "#select-all"), false);
    settle(|| root.query_selector("#bulk-delete").unwrap().is_some()).await;
    click(&find(&root, "#bulk-delete"), false);
    tick().await;
    click(&find(&root, "#bulk-delete-confirm"), false);
    settle(|| {
        root.query_selector(".bulk-results button.compare")
            .unwrap()
            .is_some()
    })
    .await;
    assert_eq!(
        text(&root, "table.grid tbody td.provider"),
        "q",
        "the list shows theirs"
    );
    assert_eq!(
        text(&root, ".bulk .selected-count"),
        "1 connection selected"
    );
    click(&find(&root, ".bulk-results button.compare"), false);
    tick().await;
    let dialog = text(&root, ".dialog.conflict");
    assert!(
        dialog.contains("Provider") && dialog.contains("q") && dialog.contains("p"),
        "{dialog}"
    );
    click(&find(&root, "#conflict-overwrite"), false);
    settle(|| root.query_selector(".dialog.conflict").unwrap().is_none()).await;
    assert!(root.query_selector(".dialog.conflict").unwrap().is_none());
    assert_eq!(calls.lock().unwrap().len(), 2);
    assert_eq!(
        calls.lock().unwrap()[1].provider,
        "q",
        "their version was deleted"
    );
    assert_eq!(text(&root, ".filters .count"), "0 of 0 shown");
    assert!(text(&root, ".bulk-results").contains("a: Deleted"));
}

/// A prefix's failed validation shows every reason in the model's words, and its events a
/// timeline, newest first, with each level's pill and the documented description.
#[wasm_bindgen_test]
async fn prefix_reasons_and_events_are_shown() {
    use peering_console::components::prefix_table::PrefixTable;
    use peering_console::state::{Config, Session};
    use peering_model::observation::reasons;
    use peering_model::wire::{
        EventLevel, PeeringServicePrefix, PrefixEvent, PrefixEventType, PrefixProperties,
        PrefixValidationState,
    };
    use peering_model::ServiceId;
    let root = container();
    let event = |t: PrefixEventType, at: &str, summary: &str| PrefixEvent {
        event_timestamp: at.into(),
        event_type: t,
        event_summary: summary.into(),
        event_level: t.level(),
        event_description: t.description().into(),
    };
    let row = PeeringServicePrefix {
        name: Some("web".into()),
        properties: Some(PrefixProperties {
            prefix: Some("8.8.8.0/24".into()),
            prefix_validation_state: Some(PrefixValidationState::Failed),
            error_message: Some(format!(
                "{}\n{}",
                reasons::FEW_PRIMARY_SESSIONS,
                reasons::COMMUNITY
            )),
            events: Some(vec![
                event(
                    PrefixEventType::PrefixOriginAsChangeEvent,
                    "2026-11-30T10:15:00.000Z",
                    "origin AS 666 instead of 15169",
                ),
                event(
                    PrefixEventType::PrefixAnnouncementEvent,
                    "2026-11-30T10:00:00.000Z",
                    "announced",
                ),
            ]),
            ..Default::default()
        }),
        ..Default::default()
    };
    leptos::mount::mount_to(root.clone(), move || {
        provide_context(Session {
            config: Config::default(),
            token: "t".into(),
            subscription: SUB.into(),
        });
        view! { <PrefixTable service=ServiceId::new(SUB, "rg", "c") rows=vec![row.clone()] on_change=|| ()/> }
    })
    .forget();
    tick().await;
    let items = root.query_selector_all(".reasons li").unwrap();
    let shown: Vec<String> = (0..items.length())
        .map(|i| items.item(i).unwrap().text_content().unwrap())
        .collect();
    assert_eq!(shown, [reasons::FEW_PRIMARY_SESSIONS, reasons::COMMUNITY]);
    assert_eq!(
        text(&root, ".events-row summary"),
        "Events (2) · latest: origin AS 666 instead of 15169"
    );
    let first = find::<HtmlElement>(&root, ".timeline li");
    assert_eq!(text(&first, ".event-type"), "PrefixOriginAsChangeEvent");
    assert_eq!(text(&first, ".pill"), EventLevel::Critical.as_str());
    assert_eq!(
        find::<HtmlElement>(&first, ".pill").class_name(),
        "pill failed"
    );
    assert_eq!(
        text(&first, ".hint"),
        PrefixEventType::PrefixOriginAsChangeEvent.description()
    );
    assert_eq!(text(&first, "time"), "2026-11-30 10:15:00Z");
    assert_eq!(root.query_selector_all(".timeline li").unwrap().length(), 2);
}

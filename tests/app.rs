//! Browser tests of the app: components mounted in headless Chromium.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use leptos::task::tick;
use leptos_router::components::Router;
use peering_console::pages::connections::{ConnectionsView, Row};
use peering_console::pages::new_connection::{FormState, NewConnectionForm};
use peering_model::connection::{validate_connection, ConnectionDraft};
use peering_model::Catalog;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

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
    type_into(&name, "good-name");
    tick().await;
    assert!(
        !text(&root, "#name-msg").contains("contains"),
        "the error clears once fixed"
    );
}

#[wasm_bindgen_test]
async fn united_states_lists_its_states_and_cascade_narrows_choices() {
    let root = container();
    mount_form(&root);
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
    mount_form(&root);
    tick().await;
    let why = text(&root, "#create-why");
    assert!(why.starts_with("To create, fix: "), "{why}");
    assert!(
        why.contains("Name") && why.contains("Country") && why.contains("Provider"),
        "{why}"
    );
    find::<HtmlElement>(&root, "#create").click();
    tick().await;
    assert_eq!(text(&root, "#name-msg"), "The connection name is required.");
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
        Some("/new")
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
        root.query_selector_all("table.grid tbody tr")
            .unwrap()
            .length(),
        3
    );
}

#[wasm_bindgen_test]
async fn pasted_prefixes_are_previewed_with_the_model_findings() {
    use peering_console::pages::connection_detail::{OtherPrefixes, PrefixImport};
    use peering_model::index::{validate_batch_into, PrefixIndex, PrefixRow};
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
        view! { <Router><PrefixImport rg="rg".to_owned() name="conn".to_owned() index=Signal::derive(move || idx.clone()) scope=Signal::derive(|| OtherPrefixes::Loaded(vec![])) on_done=|| ()/></Router> }
    })
    .forget();
    tick().await;
    let area: web_sys::HtmlTextAreaElement = find(&root, "#import");
    area.set_value("9.9.9.0/24\nmail,8.8.8.128/25\n10.0.0.0/8");
    area.dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    tick().await;
    let rows = root.query_selector_all("#import-preview tbody tr").unwrap();
    assert_eq!(rows.length(), 3);
    let cell = |i: u32| rows.item(i).unwrap().text_content().unwrap();
    assert!(cell(0).ends_with("OK"), "{}", cell(0));
    let expected = validate_batch_into(
        &index,
        "rg",
        "conn",
        &[PrefixRow {
            name: "mail".into(),
            prefix: "8.8.8.128/25".into(),
            key: None,
        }],
    );
    let overlap = expected[0].findings.first_error().unwrap().message.clone();
    assert!(
        cell(1).contains(&overlap),
        "{} should contain {overlap}",
        cell(1)
    );
    assert!(cell(2).contains("not globally reachable"), "{}", cell(2));
    assert_eq!(text(&root, "#add-prefixes"), "Add 3 prefixes");
    assert_eq!(
        find::<HtmlElement>(&root, "#add-prefixes")
            .get_attribute("aria-disabled")
            .as_deref(),
        Some("true")
    );
}

#[wasm_bindgen_test]
async fn long_lists_render_in_pages() {
    let root = container();
    let rows: Vec<Row> = (0..620)
        .map(|i| row(&format!("c{i:04}"), "United States", "Texas"))
        .collect();
    leptos::mount::mount_to(
        root.clone(),
        move || view! { <Router><ConnectionsView rows=rows.clone()/></Router> },
    )
    .forget();
    tick().await;
    assert_eq!(
        root.query_selector_all("table.grid tbody tr")
            .unwrap()
            .length(),
        500
    );
    let more: HtmlElement = find(&root, ".more button");
    assert_eq!(more.text_content().unwrap(), "Show 120 more");
    more.click();
    tick().await;
    assert_eq!(
        root.query_selector_all("table.grid tbody tr")
            .unwrap()
            .length(),
        620
    );
    assert!(root.query_selector(".more button").unwrap().is_none());
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
    for _ in 0..20 {
        tick().await;
        if root
            .query_selector_all("table.grid tbody tr")
            .unwrap()
            .length()
            == 1
        {
            break;
        }
        sleep_ms(20).await;
    }
    assert_eq!(
        text(&root, "table.grid tbody"),
        text(&root, "table.grid tbody tr")
    );
    assert!(text(&root, "table.grid tbody").contains("osaka-dc"));
    type_into(&search, "nowhere");
    for _ in 0..20 {
        tick().await;
        if text(&root, "table.grid tbody").contains("No connection matches") {
            break;
        }
        sleep_ms(20).await;
    }
    assert!(text(&root, "table.grid tbody").contains("No connection matches these filters."));
    type_into(&search, "");
    for _ in 0..20 {
        tick().await;
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
    for _ in 0..20 {
        tick().await;
        if names(&root) == ["a-conn", "b-conn", "c-conn"] {
            break;
        }
        sleep_ms(20).await;
    }
    assert_eq!(names(&root), ["a-conn", "b-conn", "c-conn"]);
    assert_eq!(
        find::<HtmlElement>(&root, "table.grid thead th:first-child")
            .get_attribute("aria-sort")
            .as_deref(),
        Some("ascending")
    );
    name_header().click();
    for _ in 0..20 {
        tick().await;
        if names(&root) == ["c-conn", "b-conn", "a-conn"] {
            break;
        }
        sleep_ms(20).await;
    }
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
    leptos::mount::mount_to(root.clone(), || view! { <Router><MonitorTestForm rg="rg".to_owned() name="conn".to_owned() on_done=|| ()/></Router> }).forget();
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

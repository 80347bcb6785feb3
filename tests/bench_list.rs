//! Browser benchmark of the connections list at 10,000 connections (`cargo xtask bench
//! browser`, release build, headless Chromium): time from a change to the next painted frame,
//! measured with the Performance API. Prints figures; asserts only that the list shows what
//! it should (a benchmark is not a timed test).
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use peering_console::pages::connections::{ConnectionsView, Row};
use peering_console::routing::Router;
use peering_model::Catalog;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

const N: usize = 10_000;

fn now() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

/// Resolves after the next frame has been produced: a `requestAnimationFrame` callback runs
/// just before the frame's style, layout and paint, and a task queued from it runs after.
async fn painted() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let w = web_sys::window().unwrap();
        let after = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = web_sys::window()
                .unwrap()
                .set_timeout_with_callback(resolve.unchecked_ref());
        });
        w.request_animation_frame(after.unchecked_ref()).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

/// 10,000 rows over every catalog location, a few providers and resource groups.
fn rows() -> Vec<Row> {
    let c = Catalog::embedded();
    let places: Vec<(&str, &str)> = c
        .countries
        .iter()
        .flat_map(|co| {
            co.locations
                .iter()
                .map(move |l| (co.name.as_str(), l.state.as_str()))
        })
        .collect();
    (0..N)
        .map(|i| {
            let (country, state) = places[i % places.len()];
            let p = &c.providers[i % c.providers.len()];
            Row {
                name: format!("site-{i:05}"),
                resource_group: format!("rg-{}", i % 17),
                country: country.to_owned(),
                state: state.trim().to_owned(),
                provider: p.name.clone(),
                primary: p.peering_locations[0].clone(),
                backup: "None".to_owned(),
                region: "West US 2".to_owned(),
                provisioning: "Succeeded".to_owned(),
                prefixes: None,
                tags: Default::default(),
            }
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn rows_in_dom(root: &HtmlElement) -> u32 {
    root.query_selector_all("table.grid tbody tr")
        .unwrap()
        .length()
}

#[wasm_bindgen_test]
async fn connections_list_at_10000() {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root: HtmlElement = doc.create_element("div").unwrap().unchecked_into();
    doc.body().unwrap().append_child(&root).unwrap();
    let rows = rows();
    let all = rows.clone();
    let count_text = |root: &HtmlElement| {
        root.query_selector(".filters .count")
            .unwrap()
            .map(|e| e.text_content().unwrap_or_default())
            .unwrap_or_default()
    };

    let t0 = now();
    leptos::mount::mount_to(
        root.clone(),
        move || view! { <Router><ConnectionsView rows=rows.clone()/></Router> },
    )
    .forget();
    painted().await;
    let first_rows = now() - t0;
    assert!(rows_in_dom(&root) > 0);

    let country: HtmlSelectElement = root
        .query_selector("#filter-country")
        .unwrap()
        .unwrap()
        .unchecked_into();
    let mut filter = Vec::new();
    for c in [
        "United States",
        "Japan",
        "United Kingdom",
        "Germany",
        "",
        "Finland",
        "United States",
        "",
    ] {
        // Timed until a frame is painted that shows this filter's rows (the count says so), so
        // a frame painted before the filter applied is never what is measured.
        let want = all
            .iter()
            .filter(|r| c.is_empty() || r.country == c)
            .count();
        let t = now();
        country.set_value(c);
        country
            .dispatch_event(&web_sys::Event::new("change").unwrap())
            .unwrap();
        painted().await;
        for _ in 0..100 {
            if count_text(&root).starts_with(&format!("{want} of ")) {
                break;
            }
            painted().await;
        }
        assert!(
            count_text(&root).starts_with(&format!("{want} of ")),
            "{c}: {}",
            count_text(&root)
        );
        filter.push(now() - t);
    }

    let search: HtmlInputElement = root
        .query_selector("#filter-search")
        .unwrap()
        .unwrap()
        .unchecked_into();
    let mut keystroke = Vec::new();
    for text in [
        "s",
        "si",
        "sit",
        "site",
        "site-",
        "site-0",
        "site-00",
        "site-001",
        "site-0012",
    ] {
        let t = now();
        search.set_value(text);
        search
            .dispatch_event(&web_sys::Event::new("input").unwrap())
            .unwrap();
        painted().await;
        keystroke.push(now() - t);
    }
    painted().await;
    let shown = root
        .query_selector(".filters .count")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(shown.starts_with("10 of 10000 shown"), "{shown}");

    console_log!(
        "connections list, {N} rows: navigation -> first rows {first_rows:.1} ms; filter change -> painted median {:.1} ms (max {:.1}); search keystroke -> painted median {:.1} ms (max {:.1}); rows in the DOM {}",
        median(filter.clone()),
        filter.iter().copied().fold(0.0, f64::max),
        median(keystroke.clone()),
        keystroke.iter().copied().fold(0.0, f64::max),
        rows_in_dom(&root)
    );
}

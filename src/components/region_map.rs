//! The map beside the list: connection counts as a choropleth by country, and for the United
//! States by state, with the providers' peering locations as points. Clicking a region sets
//! the same `country` / `state` of the URL the dropdowns set (one state, so back/forward, the
//! dropdowns and the map always agree). The list of regions under it is the keyboard and
//! screen-reader equivalent: every region, its count, a button.
//!
//! The boundaries are `map.json` beside `index.html` (made at build time by `cargo xtask
//! map`), fetched the first time the map is shown and kept for the page's life; they are not
//! in the wasm. Paths are drawn with classes and SVG presentation attributes only (no `style`
//! attribute: the CSP forbids it).

use crate::components::connection_row::Row;
use crate::components::list_query::query_writer;
use crate::lazy::{lazy_view, split};
use crate::routing::use_query_map;
use leptos::prelude::*;
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MapData {
    pub world: Layer,
    pub us: Layer,
    pub attribution: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Layer {
    pub width: f64,
    pub height: f64,
    pub regions: Vec<Region>,
    pub points: Vec<Point>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Region {
    /// The catalog's name; None for a region the catalog does not serve (drawn, not chosen).
    #[serde(default)]
    pub name: Option<String>,
    pub d: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Point {
    pub name: String,
    pub x: f64,
    pub y: f64,
    pub providers: Vec<String>,
}

/// The United States, whose map is by state.
const US: &str = "United States";

thread_local! {
    /// `map.json` once loaded: showing the map again costs no request.
    static LOADED: RefCell<Option<Arc<MapData>>> = const { RefCell::new(None) };
}

/// The shade of a count against the largest: 0 for none, then 1–5.
pub fn shade(n: usize, max: usize) -> usize {
    if n == 0 || max == 0 {
        0
    } else {
        (n * 5).div_ceil(max).clamp(1, 5)
    }
}

fn count_by<'a>(rows: impl Iterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in rows {
        *m.entry(r.to_owned()).or_insert(0) += 1;
    }
    m
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 connection".to_owned()
    } else {
        format!("{n} connections")
    }
}

#[component]
pub fn RegionMap(#[prop(into)] rows: Signal<Vec<Row>>) -> impl IntoView {
    let query = use_query_map();
    let shown = Memo::new(move |_| query.with(|q| q.get("map").as_deref() == Some("1")));
    let write = query_writer(query);
    let toggle = move |_| {
        write(vec![(
            "map",
            if shown.get_untracked() { "" } else { "1" }.to_owned(),
        )])
    };
    view! {
        <div class="map-bar">
            <button type="button" class="button small" id="map-toggle" aria-expanded=move || shown.get().to_string()
                aria-controls="region-map" on:click=toggle>{move || if shown.get() { "Hide map" } else { "Show map" }}</button>
        </div>
        <Show when=move || shown.get()>
            <section id="region-map" class="region-map" aria-label="Connections by region">
                {lazy_view(Some("Loading the map…"), move || map_panel(rows))}
            </section>
        </Show>
    }
}

split! {
    /// [`MapPanel`], fetched when the map is first shown.
    pub(crate) fn map_panel(rows: Signal<Vec<Row>>) -> AnyView; preload fetch_map_panel {
        view! { <MapPanel rows=rows/> }.into_any()
    }
}

/// The map itself, while it is shown: `map.json` (fetched once), the layer of the world or
/// of the United States, and the way back to the world.
#[component]
fn MapPanel(rows: Signal<Vec<Row>>) -> impl IntoView {
    let query = use_query_map();
    let country = Memo::new(move |_| query.with(|q| q.get("country").unwrap_or_default()));
    let state = Memo::new(move |_| query.with(|q| q.get("state").unwrap_or_default()));
    let write = query_writer(query);
    let data = RwSignal::new(LOADED.with(|l| l.borrow().clone()).map(Ok::<_, String>));
    if data.with_untracked(Option::is_none) {
        leptos::task::spawn_local_scoped(async move {
            let got = crate::api::file_beside_the_app("map.json")
                .await
                .and_then(|t| t.ok_or_else(|| "map.json is not on this host.".to_owned()))
                .and_then(|t| {
                    serde_json::from_str::<MapData>(&t)
                        .map_err(|e| format!("map.json is not valid: {e}"))
                })
                .map(Arc::new);
            if let Ok(m) = &got {
                LOADED.with(|l| *l.borrow_mut() = Some(m.clone()));
            }
            data.try_set(Some(got));
        });
    }
    // Counts by country, and by state for the US view.
    let us_view = Memo::new(move |_| country.get() == US);
    let counts = Memo::new(move |_| {
        let us = us_view.get();
        rows.with(|r| {
            if us {
                count_by(
                    r.iter()
                        .filter(|r| r.country == US)
                        .map(|r| r.state.as_str()),
                )
            } else {
                count_by(r.iter().map(|r| r.country.as_str()))
            }
        })
    });
    let w2 = write.clone();
    let choose = Callback::new(move |name: String| {
        if us_view.get_untracked() {
            let next = if state.get_untracked() == name {
                String::new()
            } else {
                name
            };
            w2(vec![("state", next)]);
        } else {
            let next = if country.get_untracked() == name {
                String::new()
            } else {
                name
            };
            w2(vec![("country", next), ("state", String::new())]);
        }
    });
    let w3 = write.clone();
    let to_world =
        Callback::new(move |()| w3(vec![("country", String::new()), ("state", String::new())]));
    let selected = Memo::new(move |_| {
        if us_view.get() {
            state.get()
        } else {
            country.get()
        }
    });
    view! {
                {move || match data.get() {
                    None => view! { <p class="state loading" role="status">"Loading the map…"</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="state error small" role="alert">{e}</p> }.into_any(),
                    Some(Ok(m)) => {
                        let us = us_view.get();
                        let layer = if us { m.us.clone() } else { m.world.clone() };
                        view! {
                            <MapLayer layer=layer counts=counts selected=selected choose=choose
                                label=if us { "Connections in the United States by state" } else { "Connections by country" }/>
                            {us.then(|| view! { <button type="button" class="button small" id="map-world" on:click=move |_| to_world.run(())>"Back to the world"</button> })}
                            <p class="map-attribution">{m.attribution.clone()}</p>
                        }.into_any()
                    }
                }}
    }
}

/// One layer: the regions shaded by count, the peering locations, and the list of regions.
#[component]
fn MapLayer(
    layer: Layer,
    counts: Memo<BTreeMap<String, usize>>,
    selected: Memo<String>,
    choose: Callback<String>,
    label: &'static str,
) -> impl IntoView {
    let max = Memo::new(move |_| counts.with(|c| c.values().copied().max().unwrap_or(0)));
    let named: Vec<String> = {
        let mut n: Vec<String> = layer
            .regions
            .iter()
            .filter_map(|r| r.name.clone())
            .collect();
        n.sort();
        n.dedup();
        n
    };
    let paths = layer
        .regions
        .into_iter()
        .map(|r| match r.name {
            None => view! { <path class="region" d=r.d></path> }.into_any(),
            Some(name) => {
                let (n1, n2, n3) = (name.clone(), name.clone(), name.clone());
                let class = move || {
                    let n = counts.with(|c| c.get(&n1).copied().unwrap_or(0));
                    let mut class = format!("region named c{}", shade(n, max.get()));
                    if selected.get() == n1 {
                        class.push_str(" selected");
                    }
                    class
                };
                let title = move || {
                    format!("{n2}: {}", plural(counts.with(|c| c.get(&n2).copied().unwrap_or(0))))
                };
                view! {
                    <path class=class d=r.d data-region=name on:click=move |_| choose.run(n3.clone())>
                        <title>{title}</title>
                    </path>
                }
                .into_any()
            }
        })
        .collect_view();
    let points = layer
        .points
        .into_iter()
        .map(|p| {
            let title = format!("{}: {}", p.name, p.providers.join(", "));
            view! { <circle class="peering-point" cx=p.x cy=p.y r="2.5"><title>{title}</title></circle> }
        })
        .collect_view();
    let list = named
        .into_iter()
        .map(|name| {
            let (n1, n2, n3, n4) = (name.clone(), name.clone(), name.clone(), name.clone());
            view! {
                <li>
                    <button type="button" class="region-choice" data-region=n4 aria-pressed=move || (selected.get() == n1).to_string()
                        on:click=move |_| choose.run(n2.clone())>
                        {name}" "<span class="count">{move || counts.with(|c| c.get(&n3).copied().unwrap_or(0))}</span>
                    </button>
                </li>
            }
        })
        .collect_view();
    view! {
        <svg class="map" viewBox=format!("0 0 {} {}", layer.width, layer.height) role="img" aria-label=label>
            <g class="regions">{paths}</g>
            <g class="points">{points}</g>
        </svg>
        <ul class="map-regions" aria-label=format!("{label}: choose one")>{list}</ul>
    }
}

#[cfg(test)]
mod tests {
    use super::shade;

    #[test]
    fn shades_rise_with_the_count() {
        assert_eq!(shade(0, 10), 0);
        assert_eq!(shade(1, 10), 1);
        assert_eq!(shade(2, 10), 1);
        assert_eq!(shade(3, 10), 2);
        assert_eq!(shade(10, 10), 5);
        assert_eq!(shade(1, 1), 5);
        assert_eq!(shade(3, 0), 0);
    }
}

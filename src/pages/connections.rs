//! The connections list: geo filter (country → state/province, with counts) first, held in the
//! URL so a filtered view can be bookmarked.

use crate::api::{self, ApiError};
use crate::state::Session;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use peering_model::wire::PeeringService;
use peering_model::Catalog;
use std::collections::BTreeMap;

/// One row of the table, flattened from the ARM shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    pub resource_group: String,
    pub country: String,
    pub state: String,
    pub provider: String,
    pub primary: String,
    pub backup: String,
    pub region: String,
}

fn resource_group_of(id: &str) -> String {
    let mut it = id.split('/');
    while let Some(s) = it.next() {
        if s.eq_ignore_ascii_case("resourceGroups") {
            let rg = it.next().unwrap_or_default();
            return js_sys::decode_uri_component(rg)
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_else(|| rg.to_owned());
        }
    }
    String::new()
}

impl Row {
    /// Whether any shown column contains `needle` (already lower-case).
    pub fn matches(&self, needle: &str) -> bool {
        [
            &self.name,
            &self.resource_group,
            &self.country,
            &self.state,
            &self.provider,
            &self.primary,
            &self.backup,
            &self.region,
        ]
        .iter()
        .any(|v| v.to_lowercase().contains(needle))
    }

    pub fn from_wire(s: &PeeringService) -> Row {
        let p = s.properties.clone().unwrap_or_default();
        let state = p.peering_service_location.unwrap_or_default();
        let country = Catalog::embedded()
            .location(&state)
            .map(|(c, _)| c.name.clone())
            .unwrap_or_default();
        Row {
            name: s.name.clone().unwrap_or_default(),
            resource_group: resource_group_of(s.id.as_deref().unwrap_or_default()),
            country,
            state: state.trim().to_owned(),
            provider: p.peering_service_provider.unwrap_or_default(),
            primary: p.provider_primary_peering_location.unwrap_or_default(),
            backup: p
                .provider_backup_peering_location
                .unwrap_or_else(|| "None".into()),
            region: s.location.clone().unwrap_or_default(),
        }
    }
}

fn counts<'a>(keys: impl Iterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for k in keys {
        *m.entry(k.to_owned()).or_insert(0) += 1;
    }
    m
}

/// Rows rendered at a time.
const PAGE: usize = 500;

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let controller = StoredValue::new_local(None::<web_sys::AbortController>);
    let list = LocalResource::new(move || {
        let s = session.clone();
        if let Some(c) = controller.get_value() {
            c.abort();
        }
        let c = web_sys::AbortController::new().ok();
        let signal = c.as_ref().map(|c| c.signal());
        controller.set_value(c);
        async move { api::list_connections(&s, signal.as_ref()).await }
    });
    on_cleanup(move || {
        if let Some(c) = controller.get_value() {
            c.abort();
        }
    });
    view! {
        <section class="page">
            <header class="page-head">
                <h1>"Connections"</h1>
                <A href="/new" attr:class="button primary">"New connection"</A>
            </header>
            <Transition fallback=|| view! { <p class="state loading" role="status">"Loading connections…"</p> }>
                {move || list.get().map(|res| match res {
                    Ok(items) => {
                        let rows: Vec<Row> = items.iter().map(Row::from_wire).collect();
                        view! { <ConnectionsView rows=rows/> }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e on_retry=move || list.refetch()/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn LoadError(error: ApiError, on_retry: impl Fn() + 'static + Send + Sync) -> impl IntoView {
    let message = if error.status == 401 {
        "The access token was refused. Open the URL that peering-server printed (it ends in #token=…).".to_owned()
    } else {
        error.message.clone()
    };
    view! {
        <div class="state error" role="alert">
            <p><strong>"Connections could not be loaded. "</strong>{message}</p>
            <button class="button" on:click=move |_| on_retry()>"Retry"</button>
        </div>
    }
}

/// The filter and the table for a set of rows; the filter lives in the URL query.
#[component]
pub fn ConnectionsView(rows: Vec<Row>) -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let country = Memo::new(move |_| query.with(|q| q.get("country").unwrap_or_default()));
    let state = Memo::new(move |_| query.with(|q| q.get("state").unwrap_or_default()));
    let search = Memo::new(move |_| query.with(|q| q.get("q").unwrap_or_default()));
    if rows.is_empty() {
        return view! {
            <div class="state empty">
                <h2>"No connections yet"</h2>
                <p>"A connection registers where your site is, which provider carries your traffic to Microsoft, and the prefixes it announces."</p>
                <A href="/new" attr:class="button primary">"New connection"</A>
            </div>
        }
        .into_any();
    }
    let rows = StoredValue::new(rows);
    let by_country = rows.with_value(|r| counts(r.iter().map(|r| r.country.as_str())));
    let total = rows.with_value(Vec::len);
    let nav = navigate.clone();
    let set_filter = move |c: String, s: String, text: String| {
        let mut q = Vec::new();
        for (k, v) in [("country", &c), ("state", &s), ("q", &text)] {
            if !v.is_empty() {
                q.push(format!("{k}={}", js_sys::encode_uri_component(v)));
            }
        }
        let url = if q.is_empty() {
            "/".to_owned()
        } else {
            format!("/?{}", q.join("&"))
        };
        // Typing in the search box must not pile up history entries.
        let replace = !text.is_empty();
        nav(
            &url,
            leptos_router::NavigateOptions {
                replace,
                ..Default::default()
            },
        );
    };
    let set_country = set_filter.clone();
    let set_state = set_filter.clone();
    let set_search = set_filter;
    let states = Memo::new(move |_| {
        let c = country.get();
        rows.with_value(|r| {
            counts(
                r.iter()
                    .filter(|r| r.country == c)
                    .map(|r| r.state.as_str()),
            )
        })
    });
    // Rendering is paged so the page stays responsive with 10,000 connections.
    let shown = RwSignal::new(PAGE);
    let visible = Memo::new(move |_| {
        let (c, s, text) = (country.get(), state.get(), search.get().to_lowercase());
        rows.with_value(|r| {
            r.iter()
                .filter(|r| (c.is_empty() || r.country == c) && (s.is_empty() || r.state == s))
                .filter(|r| text.is_empty() || r.matches(&text))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    view! {
        <div class="filters" role="search">
            <label for="filter-country">"Country"</label>
            <select id="filter-country" on:change=move |ev| set_country(event_target_value(&ev), String::new(), search.get_untracked())>
                <option value="" selected=move || country.get().is_empty()>{format!("All countries ({total})")}</option>
                {by_country.into_iter().map(|(c, n)| {
                    let v = c.clone();
                    view! { <option value=c.clone() selected=move || country.get() == v>{format!("{c} ({n})")}</option> }
                }).collect_view()}
            </select>
            <label for="filter-state">{move || if country.get() == "United States" { "State" } else { "State/province" }}</label>
            <select id="filter-state" disabled=move || country.get().is_empty()
                on:change=move |ev| set_state(country.get_untracked(), event_target_value(&ev), search.get_untracked())>
                <option value="" selected=move || state.get().is_empty()>"All"</option>
                {move || states.get().into_iter().map(|(s, n)| {
                    let v = s.clone();
                    view! { <option value=s.clone() selected=move || state.get() == v>{format!("{s} ({n})")}</option> }
                }).collect_view()}
            </select>
            <label for="filter-search">"Search"</label>
            <input id="filter-search" type="search" placeholder="Name, provider, location…" autocomplete="off"
                prop:value=move || search.get()
                on:input=move |ev| set_search(country.get_untracked(), state.get_untracked(), event_target_value(&ev))/>
            <span class="count" aria-live="polite">{move || format!("{} of {total} shown", visible.with(Vec::len))}</span>
        </div>
        <div class="table-wrap">
            <table class="grid">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Resource group"</th>
                        <th scope="col">"Country"</th>
                        <th scope="col">"State/province"</th>
                        <th scope="col">"Provider"</th>
                        <th scope="col">"Primary"</th>
                        <th scope="col">"Backup"</th>
                        <th scope="col">"Azure region"</th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || visible.with(|v| v.iter().take(shown.get()).cloned().collect::<Vec<_>>()) key=|r| (r.resource_group.to_lowercase(), r.name.to_lowercase()) let:r>
                        <tr>
                            <td class="name"><A href=format!("/c/{}/{}", js_sys::encode_uri_component(&r.resource_group), js_sys::encode_uri_component(&r.name))>{r.name}</A></td>
                            <td>{r.resource_group}</td>
                            <td>{r.country}</td>
                            <td>{r.state}</td>
                            <td>{r.provider}</td>
                            <td>{r.primary}</td>
                            <td>{r.backup}</td>
                            <td>{r.region}</td>
                        </tr>
                    </For>
                    <Show when=move || visible.with(Vec::is_empty)>
                        <tr><td colspan="8" class="none">"No connection matches these filters."</td></tr>
                    </Show>
                </tbody>
            </table>
        </div>
        <Show when=move || { visible.with(Vec::len) > shown.get() }>
            <p class="more">
                <button class="button" on:click=move |_| shown.update(|n| *n += PAGE)>
                    {move || format!("Show {} more", (visible.with(Vec::len) - shown.get()).min(PAGE))}
                </button>
            </p>
        </Show>
    }
    .into_any()
}

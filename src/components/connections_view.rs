//! The connections list's filters and table for a set of rows (which may grow while the list
//! loads). Every setting lives in the URL query; the table is rendered as a window of rows.

use crate::components::bulk::{bulk_bar, click_select, BulkActions, RowChange};
use crate::components::column_chooser::{remembered_columns, ColumnChooser};
use crate::components::connection_row::{counts, haystack, Prefixes, Row, RowKey, COLUMNS};
use crate::components::export::ExportButtons;
use crate::components::facet::facet;
use crate::components::list_query::{debounced_search, query_writer};
use crate::components::virtual_rows::{viewport_height, window, DEFAULT_VIEWPORT, ROW_HEIGHT};
use crate::lazy::Lazy;
use crate::routing::use_query_map;
use crate::routing::A;
use leptos::prelude::*;
use peering_model::resource_id::encode_segment;
use std::collections::{BTreeMap, HashSet};

/// A hash of everything a row shows.
fn fingerprint(r: &Row) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for (k, _) in COLUMNS {
        r.cell(k).hash(&mut h);
    }
    h.finish()
}

/// The filter and the table for a set of rows; the filter lives in the URL query.
#[component]
pub fn ConnectionsView(
    /// The rows so far (more may arrive while the list loads).
    #[prop(into)]
    rows: Signal<Vec<Row>>,
    /// Bulk actions on selected rows; without them the table has no selection column.
    #[prop(optional)]
    actions: Option<BulkActions>,
    /// Applies what a bulk action changed to the rows.
    #[prop(optional)]
    on_change: Option<Callback<RowChange>>,
) -> impl IntoView {
    let query = use_query_map();
    let country = Memo::new(move |_| query.with(|q| q.get("country").unwrap_or_default()));
    let state = Memo::new(move |_| query.with(|q| q.get("state").unwrap_or_default()));
    let provider = Memo::new(move |_| query.with(|q| q.get("provider").unwrap_or_default()));
    let provisioning =
        Memo::new(move |_| query.with(|q| q.get("provisioning").unwrap_or_default()));
    let validation = Memo::new(move |_| query.with(|q| q.get("validation").unwrap_or_default()));
    let tag = Memo::new(move |_| query.with(|q| q.get("tag").unwrap_or_default()));
    let search = Memo::new(move |_| query.with(|q| q.get("q").unwrap_or_default()));
    if rows.with_untracked(Vec::is_empty) {
        return view! {
            <div class="state empty">
                <h2>"No connections yet"</h2>
                <p>"A connection registers where your site is, which provider carries your traffic to Microsoft, and the prefixes it announces."</p>
                <A href="/new" attr:class="button primary">"New connection"</A>
            </div>
        }
        .into_any();
    }
    let haystacks = Memo::new(move |_| rows.with(|r| r.iter().map(haystack).collect::<Vec<_>>()));
    let by_country =
        Memo::new(move |_| rows.with(|r| counts(r.iter().map(|r| r.country.as_str()))));
    let total = Memo::new(move |_| rows.with(Vec::len));
    // Every list setting lives in the URL query, so a view can be bookmarked and shared.
    let update_query = query_writer(query);
    let u1 = update_query.clone();
    let set_country = move |c: String| u1(vec![("country", c), ("state", String::new())]);
    let u2 = update_query.clone();
    let set_state = move |s: String| u2(vec![("state", s)]);
    let u4 = update_query.clone();
    let set_provider = move |p: String| u4(vec![("provider", p)]);
    let u5 = update_query.clone();
    let set_provisioning = move |p: String| u5(vec![("provisioning", p)]);
    let by_provider =
        Memo::new(move |_| rows.with(|r| counts(r.iter().map(|r| r.provider.as_str()))));
    let by_provisioning =
        Memo::new(move |_| rows.with(|r| counts(r.iter().map(|r| r.provisioning.as_str()))));
    let u6 = update_query.clone();
    let set_validation = move |v: String| u6(vec![("validation", v)]);
    // The validation roll-up of each connection, when the server says it.
    let by_validation = Memo::new(move |_| {
        rows.with(|r| {
            counts(
                r.iter()
                    .filter_map(|r| r.prefixes.as_ref().map(Prefixes::rollup)),
            )
        })
    });
    let u7 = update_query.clone();
    let set_tag = move |v: String| u7(vec![("tag", v)]);
    let by_tag = Memo::new(move |_| {
        rows.with(|r| {
            let pairs: Vec<String> = r
                .iter()
                .flat_map(|r| r.tags.iter().map(|(k, v)| format!("{k}={v}")))
                .collect();
            counts(pairs.iter().map(String::as_str))
        })
    });
    let u3 = update_query.clone();
    let set_search = move |t: String| u3(vec![("q", t)]);
    // The search filters as you type; the URL follows once typing pauses.
    let (typed, on_search) = debounced_search(search, set_search);
    let sort = Memo::new(move |_| query.with(|q| q.get("sort").unwrap_or_default()));
    let desc = Memo::new(move |_| query.with(|q| q.get("dir").as_deref() == Some("desc")));
    let header = move |key: &'static str, label: &'static str| {
        let u = update_query.clone();
        let toggle = move |_| {
            let dir = if sort.get_untracked() == key && !desc.get_untracked() {
                "desc"
            } else {
                ""
            };
            u(vec![("sort", key.to_owned()), ("dir", dir.to_owned())]);
        };
        let aria = move || match (sort.get() == key, desc.get()) {
            (true, false) => "ascending",
            (true, true) => "descending",
            _ => "none",
        };
        let arrow = move || match (sort.get() == key, desc.get()) {
            (true, false) => " ▲",
            (true, true) => " ▼",
            _ => "",
        };
        view! {
            <th scope="col" class=key aria-sort=aria>
                <button type="button" class="sort" on:click=toggle>{label}<span aria-hidden="true">{arrow}</span></button>
            </th>
        }
    };
    let states = Memo::new(move |_| {
        let c = country.get();
        rows.with(|r| {
            counts(
                r.iter()
                    .filter(|r| r.country == c)
                    .map(|r| r.state.as_str()),
            )
        })
    });
    // The rows that pass the filter, as indices in display order: filtering and sorting move
    // numbers, not rows, so a change costs one pass over the rows and no copies.
    let visible = Memo::new(move |_| {
        let (c, st, text) = (country.get(), state.get(), typed.get().to_lowercase());
        let (pv, ps, va) = (provider.get(), provisioning.get(), validation.get());
        let tg = tag.get();
        let mut all: Vec<u32> = rows.with(|r| {
            haystacks.with(|h| {
                (0..r.len())
                    .filter(|&i| {
                        (c.is_empty() || r[i].country == c)
                            && (st.is_empty() || r[i].state == st)
                            && (pv.is_empty() || r[i].provider == pv)
                            && (ps.is_empty() || r[i].provisioning == ps)
                            && (tg.is_empty()
                                || r[i].tags.iter().any(|(k, v)| format!("{k}={v}") == tg))
                            && (va.is_empty()
                                || r[i].prefixes.as_ref().is_some_and(|p| p.rollup() == va))
                            && (text.is_empty() || h[i].contains(&text))
                    })
                    .map(|i| i as u32)
                    .collect()
            })
        });
        let key = sort.get();
        if !key.is_empty() {
            rows.with(|r| all.sort_by_cached_key(|&i| r[i as usize].sort_key(&key)));
            if desc.get() {
                all.reverse();
            }
        }
        all
    });
    // Virtual rendering: only the rows in (and just around) the viewport are in the DOM; two
    // spacer rows stand in for the others, sized through `style:` (CSSOM, so the strict CSP
    // allows it).
    let shown = RwSignal::new(remembered_columns());
    // Selection, for bulk actions: by key, so it survives sorting and pages arriving.
    let bulk = actions.is_some();
    let selected = RwSignal::new(HashSet::<RowKey>::new());
    let anchor = StoredValue::new(None::<usize>);
    let visible_keys = move || {
        visible.with(|v| rows.with(|r| v.iter().map(|&i| r[i as usize].key()).collect::<Vec<_>>()))
    };
    let click = move |pos: usize, shift: bool| {
        let keys = visible_keys();
        selected.update(|s| click_select(s, &keys, anchor.get_value(), pos, shift));
        anchor.set_value(Some(pos));
    };
    let select_all = move || selected.set(visible_keys().into_iter().collect());
    let all_selected = Memo::new(move |_| {
        selected.with(|s| {
            !s.is_empty()
                && visible
                    .with(|v| rows.with(|r| v.iter().all(|&i| s.contains(&r[i as usize].key()))))
        })
    });
    let chosen = move || {
        selected.with_untracked(|s| {
            visible.with_untracked(|v| {
                rows.with_untracked(|r| {
                    v.iter()
                        .map(|&i| &r[i as usize])
                        .filter(|row| s.contains(&row.key()))
                        .cloned()
                        .collect::<Vec<_>>()
                })
            })
        })
    };
    let span = move || shown.with(Vec::len) + usize::from(bulk);
    let scroll_top = RwSignal::new(0.0f64);
    let viewport = RwSignal::new(DEFAULT_VIEWPORT);
    let wrap = NodeRef::<leptos::html::Div>::new();
    let on_scroll = move |_| {
        if let Some(el) = wrap.get_untracked() {
            scroll_top.set(f64::from(el.scroll_top()));
            let h = viewport_height(&el);
            if h > 0.0 && (h - viewport.get_untracked()).abs() > 1.0 {
                viewport.set(h);
            }
        }
    };
    // The viewport as laid out, once the table is in the page (not only after a scroll).
    Effect::new(move |_| {
        if let Some(el) = wrap.get() {
            let h = viewport_height(&el);
            if h > 0.0 {
                viewport.set(h);
            }
        }
    });
    // A new filter or order starts at the top (pages arriving while the list loads do not
    // move the view).
    Effect::new(move |_| {
        country.track();
        state.track();
        provider.track();
        provisioning.track();
        validation.track();
        tag.track();
        typed.track();
        sort.track();
        desc.track();
        if let Some(el) = wrap.get_untracked() {
            el.set_scroll_top(0);
        }
        scroll_top.set(0.0);
        // A selection is of rows the user saw: a new filter starts a new one, so an action
        // never reaches rows the filter now hides.
        selected.set(HashSet::new());
    });
    // Rows no longer shown (deleted, reloaded, or changed by a bulk action so that they no
    // longer match the filter) leave the selection: what is selected is what is acted on.
    Effect::new(move |_| {
        visible.track();
        if selected.with_untracked(HashSet::is_empty) {
            return;
        }
        let shown: HashSet<RowKey> =
            visible.with(|v| rows.with(|r| v.iter().map(|&i| r[i as usize].key()).collect()));
        if selected.with_untracked(|s| s.iter().any(|k| !shown.contains(k))) {
            selected.update(|s| s.retain(|k| shown.contains(k)));
        }
    });
    let range =
        Memo::new(move |_| visible.with(|v| window(v.len(), scroll_top.get(), viewport.get())));
    // Rows are keyed by (a fingerprint of what they show, position, index): a row whose data
    // or position changed (its prefixes arrived, it moved) is rendered anew, while one that did
    // not keeps its DOM node, and the keyboard focus on it, as more pages arrive.
    let slice = move || {
        let (start, end) = range.get();
        visible.with(|v| {
            rows.with(|r| {
                v[start..end]
                    .iter()
                    .enumerate()
                    .map(|(k, &i)| {
                        let row = &r[i as usize];
                        (fingerprint(row), start + k, i, row.clone())
                    })
                    .collect::<Vec<_>>()
            })
        })
    };
    let above = move || format!("{}px", range.get().0 as f64 * ROW_HEIGHT);
    let below = move || {
        let (_, end) = range.get();
        format!(
            "{}px",
            visible.with(Vec::len).saturating_sub(end) as f64 * ROW_HEIGHT
        )
    };
    view! {
        <div class="filters" role="search">
            <label for="filter-country">"Country"</label>
            <select id="filter-country" on:change=move |ev| set_country(event_target_value(&ev))>
                <option value="" selected=move || country.get().is_empty()>{move || format!("All countries ({})", total.get())}</option>
                {move || by_country.get().into_iter().map(|(c, n)| {
                    let v = c.clone();
                    view! { <option value=c.clone() selected=move || country.get() == v>{format!("{c} ({n})")}</option> }
                }).collect_view()}
            </select>
            <label for="filter-state">{move || if country.get() == "United States" { "State" } else { "State/province" }}</label>
            <select id="filter-state" disabled=move || country.get().is_empty()
                on:change=move |ev| set_state(event_target_value(&ev))>
                <option value="" selected=move || state.get().is_empty()>"All"</option>
                {move || states.get().into_iter().map(|(s, n)| {
                    let v = s.clone();
                    view! { <option value=s.clone() selected=move || state.get() == v>{format!("{s} ({n})")}</option> }
                }).collect_view()}
            </select>
            {facet("filter-provider", "Provider", provider, by_provider, set_provider)}
            {facet("filter-provisioning", "Provisioning", provisioning, by_provisioning, set_provisioning)}
            <Show when=move || !by_validation.with(BTreeMap::is_empty) || !validation.with(String::is_empty)>
                {let set = set_validation.clone(); move || facet("filter-validation", "Prefixes", validation, by_validation, set.clone())}
            </Show>
            <Show when=move || !by_tag.with(BTreeMap::is_empty) || !tag.with(String::is_empty)>
                {let set = set_tag.clone(); move || facet("filter-tag", "Tag", tag, by_tag, set.clone())}
            </Show>
            <ColumnChooser shown=shown/>
            <ExportButtons rows=rows visible=visible shown=shown/>
            <label for="filter-search">"Search"</label>
            <input id="filter-search" type="search" placeholder="Name, provider, location…" autocomplete="off"
                prop:value=move || typed.get()
                on:input=move |ev| on_search(event_target_value(&ev))/>
            <span class="count" aria-live="polite">{move || format!("{} of {} shown", visible.with(Vec::len), total.get())}</span>
        </div>
        {actions.map(|actions| {
            let matching = Signal::derive(move || visible.with(Vec::len));
            let select_all = Callback::new(move |()| select_all());
            let chosen = Callback::new(move |()| chosen());
            let on_change = on_change.unwrap_or_else(|| Callback::new(|_| {}));
            // Fetched when a row is first selected; kept after, so a run's results stay.
            view! {
                <Lazy when=move || selected.with(|s| !s.is_empty())
                    load=move || bulk_bar(selected, matching, select_all, chosen, actions.clone(), on_change)/>
            }
        })}
        <div class="table-wrap" node_ref=wrap on:scroll=on_scroll tabindex="0" role="region" aria-label="Connections; scroll for more">
            <table class="grid virtual" aria-rowcount=move || visible.with(Vec::len) + 1>
                <thead>
                    <tr aria-rowindex="1">
                        {bulk.then(|| view! {
                            <th scope="col" class="select">
                                <input type="checkbox" id="select-all" aria-label=move || format!("Select all {} matching", visible.with(Vec::len))
                                    prop:checked=move || all_selected.get()
                                    prop:indeterminate=move || !all_selected.get() && selected.with(|s| !s.is_empty())
                                    on:click=move |_| if all_selected.get_untracked() { selected.set(HashSet::new()) } else { select_all() }/>
                            </th>
                        })}
                        {move || shown.get().into_iter().map(|k| {
                            let label = COLUMNS.iter().find(|(c, _)| *c == k).map_or("", |(_, l)| *l);
                            header(k, label)
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    <tr class="spacer" aria-hidden="true"><td colspan=span style:height=above></td></tr>
                    <For each=slice key=|(v, pos, i, _)| (*v, *pos, *i) let:item>
                        {
                            let (_, pos, _, r) = item;
                            let href = format!("/c/{}/{}", encode_segment(&r.resource_group), encode_segment(&r.name));
                            let key = r.key();
                            let label = format!("Select {}", r.name);
                            view! {
                                <tr aria-rowindex=pos + 2 class:selected=move || selected.with(|s| s.contains(&key))>
                                    {bulk.then(|| {
                                        let key = r.key();
                                        view! {
                                            <td class="select">
                                                <input type="checkbox" aria-label=label.clone()
                                                    prop:checked=move || selected.with(|s| s.contains(&key))
                                                    on:click=move |ev| click(pos, ev.shift_key())/>
                                            </td>
                                        }
                                    })}
                                    {move || shown.get().into_iter().map(|k| {
                                        let (text, title) = (r.cell(k), r.cell(k));
                                        if k == "name" {
                                            view! { <td class="name" title=title><A href=href.clone()>{text}</A></td> }.into_any()
                                        } else {
                                            view! { <td class=k title=title>{text}</td> }.into_any()
                                        }
                                    }).collect_view()}
                                </tr>
                            }
                        }
                    </For>
                    <tr class="spacer" aria-hidden="true"><td colspan=span style:height=below></td></tr>
                    <Show when=move || visible.with(Vec::is_empty)>
                        <tr><td colspan=span class="none">"No connection matches these filters."</td></tr>
                    </Show>
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

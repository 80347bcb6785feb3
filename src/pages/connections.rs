//! The connections list: geo filter (country → state/province, with counts) first, held in the
//! URL so a filtered view can be bookmarked.

use crate::api::{self, ApiError, ErrorKind, Validators};
use crate::components::alerts_panel::OpenAlerts;
use crate::components::bulk::{server_actions, RowChange};
use crate::components::connection_import::ConnectionImport;
use crate::components::connection_row::Prefixes;
pub use crate::components::connection_row::Row;
pub use crate::components::connections_view::ConnectionsView;
use crate::components::freshness::on_interval_and_focus;
use crate::components::load_error::LoadError;
use crate::components::region_map::RegionMap;
pub use crate::components::virtual_rows::ROW_HEIGHT;
use crate::components::webhook_deliveries::WebhookDeliveries;
use crate::lazy::{split, Lazy};
use crate::outbox::Outbox;
use crate::routing::{Prefetch, A};
use crate::state::Session;
use leptos::prelude::*;
use peering_model::telemetry::SIMULATED_TAG;
use peering_model::ResourceId;
use std::collections::HashMap;

/// Where loading the list stands.
#[derive(Debug, Clone, PartialEq)]
enum Load {
    Loading,
    Done,
    Failed(ApiError),
}

split! {
    /// The CSV import, fetched when it is first opened.
    pub(crate) fn connection_import(existing: Signal<Vec<Row>>, open: RwSignal<bool>, on_done: Callback<()>) -> AnyView; preload fetch_connection_import {
        view! { <ConnectionImport existing=existing open=open on_done=on_done/> }.into_any()
    }
}

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let rows = RwSignal::new(Vec::<Row>::new());
    let load = RwSignal::new(Load::Loading);
    let attempt = RwSignal::new(0u32);
    // How the list was read (each page's ETag), to tell later whether it changed elsewhere.
    let validators = RwSignal::new(Validators::default());
    let summary_validators = RwSignal::new(Validators::default());
    // Each page is shown as it arrives: the first 1,000 connections appear while the rest
    // load. Retrying, or leaving the page, aborts the requests in flight (see `api`): the task
    // belongs to this effect's run.
    Effect::new(move |_| {
        let generation = attempt.get();
        let s = session.clone();
        rows.set(Vec::new());
        load.set(Load::Loading);
        validators.set(Validators::default());
        leptos::task::spawn_local_scoped(async move {
            let result = api::list_connection_pages(&s, |page| {
                // A page of an attempt that was retried since is dropped.
                if attempt.try_get_untracked() == Some(generation) {
                    rows.update(|r| r.extend(page.iter().map(Row::from_wire)));
                }
            })
            .await;
            match result {
                Ok(v) => {
                    validators.try_set(v);
                    load.try_set(Load::Done)
                }
                Err(e) if e.kind == ErrorKind::Aborted => None,
                Err(e) => load.try_set(Load::Failed(e)),
            };
        });
    });
    // The prefixes of every connection in one more list (not a request per connection). A
    // server without the extension, or a failure, leaves the column empty: the list works on.
    let summaries = RwSignal::new(None::<HashMap<(String, String), Prefixes>>);
    let s2 = expect_context::<Session>();
    Effect::new(move |_| {
        attempt.track();
        let s = s2.clone();
        summaries.set(None);
        leptos::task::spawn_local_scoped(async move {
            let mut found = HashMap::new();
            let result = api::list_prefix_summary_pages(&s, |page| {
                for p in &page {
                    if let Ok(id) = ResourceId::parse(&p.id) {
                        found.insert(
                            (id.service.rg_key(), id.service.name_key()),
                            Prefixes::from(p),
                        );
                    }
                }
            })
            .await;
            if let Ok(v) = result {
                summary_validators.try_set(v);
                summaries.try_set(Some(found));
            }
        });
    });
    let merged = Memo::new(move |_| {
        let mut all = rows.get();
        summaries.with(|m| {
            if let Some(m) = m {
                for r in &mut all {
                    r.prefixes = Some(m.get(&r.key()).cloned().unwrap_or_default());
                }
            }
        });
        all
    });
    let retry = move || attempt.update(|n| *n += 1);
    // A new token (a portal's refresh) after this one was refused: load again with it.
    crate::app::reload_on_new_token(
        move || {
            load.with_untracked(
                |l| matches!(l, Load::Failed(e) if e.kind == ErrorKind::Unauthorized),
            )
        },
        retry,
    );
    // Changed elsewhere? Each page is probed with its ETag on an interval and on focus (a 304
    // each while nothing changed). The list is not reloaded by itself: a reload of 10,000 rows
    // would move the view and drop the selection, so the user is told and chooses when.
    // After this tab's own writes (bulk actions) the validators are re-learnt on the next
    // probe instead of counting as a change made elsewhere.
    let stale = RwSignal::new(false);
    // Probes finished, on the page (`data-probes`) so a test can wait for one.
    let probes = RwSignal::new(0u32);
    let relearn = StoredValue::new(false);
    let probing = StoredValue::new(false);
    let s4 = expect_context::<Session>();
    on_interval_and_focus(move || {
        if load.get_untracked() != Load::Done || stale.get_untracked() || probing.get_value() {
            return;
        }
        probing.set_value(true);
        let s = s4.clone();
        leptos::task::spawn_local_scoped(async move {
            let mut changed = false;
            for v in [validators, summary_validators] {
                let Some(current) = v.try_get_untracked() else {
                    return;
                };
                if let Ok(Some((c, now))) = api::probe_list(&s, &current).await {
                    changed |= c;
                    v.try_set(now);
                }
            }
            if changed && !relearn.try_get_value().unwrap_or(true) {
                stale.try_set(true);
            }
            relearn.try_set_value(false);
            probing.try_set_value(false);
            probes.try_update(|n| *n += 1);
        });
    });
    Effect::new(move |_| {
        attempt.track();
        stale.set(false);
    });
    // Writes delivered from the outbox: show the list as it is now, once the outbox has sent
    // what it can (one reload for a burst of deliveries, not one per write).
    if let Some(o) = use_context::<Outbox>() {
        let (delivered, pending) = (o.delivered(), o.pending());
        Effect::new(move |first: Option<()>| {
            delivered.track();
            pending.track();
            if first.is_some() && o.idle() {
                retry();
            }
        });
    }
    // What a bulk action changed, applied to the rows in place (no reload of 10,000 rows).
    let on_change = Callback::new(move |change: RowChange| {
        relearn.set_value(true);
        rows.update(|r| change.apply(r))
    });
    let session2 = expect_context::<Session>();
    let importing = RwSignal::new(false);
    let imported = Callback::new(move |()| retry());
    let has_rows = Memo::new(move |_| !rows.with(Vec::is_empty));
    // What `peering-server --demo` made up says so.
    let simulated = Memo::new(move |_| {
        rows.with(|r| {
            r.iter()
                .filter(|row| row.tags.get(SIMULATED_TAG).is_some_and(|v| v == "true"))
                .count()
        })
    });
    // For `cargo xtask bench browser`: navigation → first rows painted, and → every row.
    Effect::new(move |_| {
        if has_rows.get() {
            crate::timing::mark_after_paint(crate::timing::FIRST_ROWS);
        }
        // The rest of the app's code, once the list is on screen (see `lazy`).
        if has_rows.get() || load.get() == Load::Done {
            if let Some(Prefetch { all, .. }) = use_context() {
                all.run(());
            }
        }
        if load.get() == Load::Done {
            crate::timing::mark_after_paint(crate::timing::ALL_ROWS);
        }
    });
    view! {
        <section class="page" data-probes=move || probes.get()>
            <header class="page-head">
                <h1>"Connections"</h1>
                <span class="head-actions">
                    <button type="button" class="button" id="import-toggle" aria-expanded=move || importing.get().to_string()
                        aria-controls="connection-import" on:click=move |_| importing.update(|o| *o = !*o)>"Import CSV…"</button>
                    <A href="/new" attr:class="button primary">"New connection"</A>
                </span>
            </header>
            <Lazy when=move || importing.get() load=move || connection_import(rows.into(), importing, imported)/>
            {move || match (load.get(), has_rows.get()) {
                (Load::Loading, false) => view! { <p class="state loading" role="status">"Loading connections…"</p> }.into_any(),
                (Load::Failed(e), false) => view! { <LoadError error=e on_retry=retry/> }.into_any(),
                (Load::Loading, true) => view! {
                    <p class="msg hint loading-more" role="status">{move || format!("{} connections loaded; loading the rest…", rows.with(Vec::len))}</p>
                }.into_any(),
                (Load::Failed(e), true) => view! {
                    <div class="state error small" role="alert">
                        <p><strong>{format!("Loading stopped after {} connections. ", rows.with_untracked(Vec::len))}</strong>{e.message}</p>
                        <button class="button" on:click=move |_| retry()>"Load again"</button>
                    </div>
                }.into_any(),
                (Load::Done, _) => ().into_any(),
            }}
            <Show when=move || { simulated.get() > 0 }>
                <p class="msg hint simulated" role="note">{move || format!(
                    "{} of these connections, and all their telemetry, are simulated: peering-server --demo made them up (tag {SIMULATED_TAG}=true).",
                    simulated.get()
                )}</p>
            </Show>
            <OpenAlerts/>
            <WebhookDeliveries/>
            <Show when=move || stale.get()>
                <p class="msg warning stale" role="status" id="list-stale">
                    "Connections were changed elsewhere since this list loaded. "
                    <button type="button" class="button small" on:click=move |_| retry()>"Show the current list"</button>
                </p>
            </Show>
            <Show when=move || has_rows.get()>
                <RegionMap rows=Signal::from(rows)/>
            </Show>
            <Show when=move || has_rows.get() || load.get() == Load::Done>
                <ConnectionsView rows=Signal::from(merged) actions=server_actions(session2.clone(), use_context::<Outbox>()) on_change=on_change/>
            </Show>
        </section>
    }
}

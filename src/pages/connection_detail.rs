//! One connection: its overview, prefixes, the prefix import, monitor tests, and deletion.
//! The page loads the connection (with its ETag) and its prefixes, and scans the
//! subscription's other prefixes for the import preview without waiting for it.

use crate::api::{self, ApiError, ErrorKind, Tagged, Validators};
use crate::components::alerts_panel::AlertsPanel;
use crate::components::delete_connection::DeleteConnection;
use crate::components::freshness::on_interval_and_focus;
use crate::components::latency_chart::{LatencyChart, WindowPicker};
use crate::components::monitor_tests::MonitorTests;
use crate::components::overview::Overview;
use crate::components::prefix_import::{subscription_prefixes, OtherPrefixes, PrefixImport};
use crate::components::prefix_table::PrefixTable;
use crate::components::tags_editor::TagsEditor;
use crate::routing::use_params_map;
use crate::routing::A;
use crate::state::Session;
use leptos::prelude::*;
use peering_model::index::PrefixIndex;
use peering_model::prefix::{ExistingPrefix, Ipv4Prefix};
use peering_model::targets::EXPAND;
use peering_model::wire::{PeeringService, PeeringServicePrefix};
use peering_model::{ChildKind, ResourceId};

#[component]
pub fn ConnectionDetailPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let params = use_params_map();
    let rg = Memo::new(move |_| params.with(|p| p.get("rg").unwrap_or_default()));
    let name = Memo::new(move |_| params.with(|p| p.get("name").unwrap_or_default()));
    let s1 = session.clone();
    let service = Memo::new(move |_| s1.service(&rg.get(), &name.get()));
    let s2 = session.clone();
    let list_validators = RwSignal::new(Validators::default());
    // Whether the last load was refused for its token, and how many loads have finished (on
    // the page as `data-loads`, so a test can tell a reload happened).
    let refused = RwSignal::new(false);
    let loads = RwSignal::new(0u32);
    // "Changed elsewhere" is for changes someone made. A probe that saw only the prefixes'
    // list change (new events, a validation the server decided) reloads quietly; the banner
    // shows only if the reload finds a prefix added, removed or changed by someone.
    let changed_elsewhere = RwSignal::new(false);
    let compare_next = StoredValue::new(false);
    let last_prefixes = StoredValue::new(Vec::<PeeringServicePrefix>::new());
    let last_connection = StoredValue::new(None::<PeeringService>);
    let open_events = RwSignal::new(std::collections::BTreeSet::<String>::new());
    let data = LocalResource::new(move || {
        let (s, service) = (s2.clone(), service.get());
        async move {
            let loaded = async {
                let c: Tagged<PeeringService> = api::get(&s, &service.clone().into()).await?;
                let (p, v): (Vec<PeeringServicePrefix>, Validators) = api::list_children_tagged(
                    &s,
                    &service,
                    ChildKind::Prefix,
                    &[(EXPAND, "events")],
                )
                .await?;
                list_validators.set(v);
                if compare_next.try_get_value() == Some(true) {
                    compare_next.try_set_value(false);
                    let before = last_prefixes.try_get_value().unwrap_or_default();
                    let connection_before = last_connection.try_get_value().flatten();
                    let same_connection = match (connection_before, serde_json::to_value(&c.value))
                    {
                        (Some(b), Ok(now)) => serde_json::to_value(&b)
                            .is_ok_and(|b| crate::api::same_properties(&b, &now)),
                        _ => false,
                    };
                    if !same_prefixes(&before, &p) || !same_connection {
                        changed_elsewhere.try_set(true);
                    }
                }
                last_prefixes.try_set_value(p.clone());
                last_connection.try_set_value(Some(c.value.clone()));
                Ok::<_, ApiError>((c, p))
            }
            .await;
            refused.try_set(matches!(&loaded, Err(e) if e.kind == ErrorKind::Unauthorized));
            loads.try_update(|n| *n += 1);
            loaded
        }
    });
    // The subscription's other prefixes, scanned by a task of their own into a plain signal:
    // the page never waits for the scan (the preview says what it has checked so far). Each
    // scan runs under an owner of its own, a child of the page's: whoever asked for it (a
    // row's dialog inside the Transition, which a reload rebuilds) can go without cancelling
    // it, a new scan cancels the one before, and leaving the page cancels both.
    let others_now = RwSignal::new(OtherPrefixes::Loading);
    let page = Owner::current();
    let current_scan = StoredValue::new(None::<Owner>);
    let scans = StoredValue::new(0u32);
    let s3 = session.clone();
    let scan = Callback::new(move |()| {
        let Some(page) = page.clone() else {
            return;
        };
        scans.update_value(|n| *n += 1);
        let mine = scans.get_value();
        let owner = page.child();
        if let Some(Some(before)) = current_scan.try_get_value() {
            before.cleanup();
        }
        current_scan.try_set_value(Some(owner.clone()));
        let s = s3.clone();
        owner.with(|| {
            untrack(|| {
                leptos::task::spawn_local_scoped(async move {
                    let found = subscription_prefixes(&s).await;
                    // A scan cancelled by a newer one says nothing.
                    if scans.try_get_value() == Some(mine) {
                        others_now.try_set(found);
                    }
                })
            })
        });
    });
    scan.run(());
    let refresh = move || {
        data.refetch();
        scan.run(());
    };
    // Changed elsewhere? The connection (its ETag) and its prefixes (the list's) are probed on
    // an interval and on focus: a 304 each while nothing changed. A change reloads the page's
    // data, which is safe while the user edits (the forms are outside the Transition and keep
    // what is typed; a save still names the version it was edited from), and says so.
    // A write delivered from the outbox (a prefix added, tags saved): show what is stored now.
    if let Some(o) = use_context::<crate::outbox::Outbox>() {
        let delivered = o.delivered();
        Effect::new(move |first: Option<()>| {
            delivered.track();
            if first.is_some() {
                refresh();
            }
        });
    }
    // A new token (a portal's refresh) after this one was refused: load again with it.
    crate::app::reload_on_new_token(move || refused.get_untracked(), refresh);
    let probing = StoredValue::new(false);
    let s5 = session.clone();
    on_interval_and_focus(move || {
        let Some(Some(Ok((c, _)))) = data.try_get_untracked() else {
            return;
        };
        let Some(etag) = c.etag else { return };
        if probing.get_value() {
            return;
        }
        probing.set_value(true);
        let (s, id) = (s5.clone(), ResourceId::from(service.get_untracked()));
        leptos::task::spawn_local_scoped(async move {
            let conn = api::probe_resource(&s, &id, &etag).await;
            let kids = api::probe_list(&s, &list_validators.get_untracked()).await;
            // (the connection changed, the prefixes' list changed)
            let (conn, kids) = match (conn, kids) {
                (Err(e), _) => (e.kind == ErrorKind::NotFound, false),
                (Ok(c), Ok(Some((k, _)))) => (c.is_some(), k),
                (Ok(c), _) => (c.is_some(), false),
            };
            probing.try_set_value(false);
            // Reload, then say "changed elsewhere" only if someone changed something (what
            // the server moves itself, telemetry, changes ETags too).
            if conn || kids {
                compare_next.try_set_value(true);
            }
            if conn || kids {
                refresh();
            }
        });
    });
    // What the forms below need from the loaded data. The forms are outside the Transition, so
    // a reload (after a delete, an import, or a change elsewhere) never rebuilds them and
    // nothing the user is typing, nor the import's list of refused rows, is lost.
    let loaded = Memo::new(move |_| matches!(data.get(), Some(Ok(_))));
    // The prefixes that get a latency chart, kept across reloads while they stay the same
    // (the charts are outside the Transition and load again on their own).
    let charted = Memo::new(move |_| match data.get() {
        Some(Ok((_, prefixes))) => prefixes
            .iter()
            .filter_map(|p| Some((p.name.clone()?, p.properties.as_ref()?.prefix.clone()?)))
            .collect::<Vec<_>>(),
        _ => Vec::new(),
    });
    let etag = Signal::derive(move || match data.get() {
        Some(Ok((c, _))) => c.etag,
        _ => None,
    });
    let shown = Signal::derive(move || match data.get() {
        Some(Ok((c, _))) => Some(c),
        _ => None,
    });
    let tags = Signal::derive(move || match data.get() {
        Some(Ok((c, _))) => c.value.tags.unwrap_or_default(),
        _ => Default::default(),
    });
    let own = Memo::new(move |_| match data.get() {
        Some(Ok((_, prefixes))) => existing(&service.get(), &prefixes),
        _ => Vec::new(),
    });
    let index = Signal::derive(move || {
        let mut idx: PrefixIndex = own.get().into_iter().collect();
        if let OtherPrefixes::Loaded(o) = others_now.get() {
            idx.extend(o)
        }
        idx
    });
    view! {
        <section class="page" data-loads=move || loads.get()>
            <p class="crumbs"><A href="/">"Connections"</A>" / "{move || name.get()}</p>
            <Show when=move || changed_elsewhere.get()>
                <p class="msg warning" role="status" id="changed-elsewhere">
                    "This connection was changed elsewhere; the page now shows the current version. "
                    <button type="button" class="button small" on:click=move |_| changed_elsewhere.set(false)>"OK"</button>
                </p>
            </Show>
            <Transition fallback=|| view! { <p class="state loading" role="status">"Loading connection…"</p> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! {
                        <div class="state error" role="alert">
                            <p><strong>{match e.kind {
                                ErrorKind::NotFound => "This connection does not exist (it may have been deleted). ",
                                _ => "The connection could not be loaded. ",
                            }}</strong>{e.message.clone()}</p>
                            <A href="/" attr:class="button">"Back to connections"</A>
                        </div>
                    }.into_any(),
                    Ok((c, prefixes)) => view! {
                        <Overview connection=c.value/>
                        <PrefixTable service=service.get_untracked() rows=prefixes on_change=refresh open_events=open_events/>
                    }.into_any(),
                })}
            </Transition>
            <Show when=move || !charted.with(Vec::is_empty)>
                <section class="latency-charts">
                    <h2>"Latency"</h2>
                    <WindowPicker/>
                    <For each=move || charted.get() key=|p| p.clone() let:p>
                        <LatencyChart name=p.0 prefix=p.1 reload=Signal::derive(move || loads.get())/>
                    </For>
                </section>
            </Show>
            <Show when=move || loaded.get()>
                {move || {
                    let service = service.get();
                    view! {
                        <TagsEditor service=service.clone() tags=tags etag=etag on_reload=refresh/>
                        <PrefixImport service=service.clone() index=index scope=Signal::derive(move || others_now.get()) on_done=refresh/>
                        <MonitorTests service=service.clone()/>
                        <AlertsPanel service=service.clone()/>
                        <DeleteConnection service=service shown=shown on_reload=refresh/>
                    }
                }}
            </Show>
        </section>
    }
}

/// This connection's prefixes as the index holds them.
fn existing(
    service: &peering_model::ServiceId,
    prefixes: &[PeeringServicePrefix],
) -> Vec<ExistingPrefix> {
    prefixes
        .iter()
        .filter_map(|p| {
            let props = p.properties.as_ref()?;
            Some(ExistingPrefix {
                prefix: Ipv4Prefix::parse(props.prefix.as_deref()?).ok()?,
                resource_group: service.resource_group.clone(),
                connection: service.name.clone(),
                name: p.name.clone().unwrap_or_default(),
            })
        })
        .collect()
}

/// Whether two lists of prefixes hold the same prefixes as people set them (what the server
/// moves itself, validation and events, aside).
fn same_prefixes(a: &[PeeringServicePrefix], b: &[PeeringServicePrefix]) -> bool {
    let key = |p: &PeeringServicePrefix| p.name.clone().unwrap_or_default().to_ascii_lowercase();
    a.len() == b.len()
        && a.iter().all(|x| {
            b.iter().find(|y| key(y) == key(x)).is_some_and(|y| {
                match (serde_json::to_value(x), serde_json::to_value(y)) {
                    (Ok(x), Ok(y)) => crate::api::same_properties(&x, &y),
                    _ => x == y,
                }
            })
        })
}

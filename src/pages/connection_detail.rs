//! One connection: overview, its prefixes with validation state, adding prefixes one by one or
//! by pasting a list (each row checked by `peering-model` against the subscription's prefixes
//! before anything is sent), and deletion confirmed by typing the name.

use crate::api::{self, ApiError};
use crate::state::{clear_draft, load_draft, save_draft, Session};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use peering_model::import::parse_import;
use peering_model::index::{validate_batch_into, PrefixIndex, RowResult};
use peering_model::prefix::{ExistingPrefix, Ipv4Prefix};
use peering_model::wire::{PeeringService, PeeringServicePrefix, PrefixProperties};
use peering_model::Catalog;

/// Past this many connections the browser checks only this connection's prefixes and leaves
/// the rest of the subscription to the server (which always checks).
const MAX_CONNECTIONS_TO_SCAN: usize = 200;

#[derive(Debug, Clone, PartialEq)]
pub struct PrefixView {
    pub name: String,
    pub prefix: String,
    pub key: String,
    pub state: String,
    pub error: String,
}

impl PrefixView {
    pub fn from_wire(p: &PeeringServicePrefix) -> PrefixView {
        let props = p.properties.clone().unwrap_or_default();
        PrefixView {
            name: p.name.clone().unwrap_or_default(),
            prefix: props.prefix.unwrap_or_default(),
            key: props.peering_service_prefix_key.unwrap_or_default(),
            state: props
                .prefix_validation_state
                .unwrap_or(peering_model::wire::PrefixValidationState::Unknown)
                .to_string(),
            error: props.error_message.unwrap_or_default(),
        }
    }
}

/// A status pill: colour and text.
#[component]
pub fn StatePill(state: String) -> impl IntoView {
    let class = match state.as_str() {
        "Verified" => "pill verified",
        "Pending" => "pill pending",
        "Failed" | "Invalid" => "pill failed",
        "Warning" => "pill warning",
        _ => "pill",
    };
    view! { <span class=class>{state}</span> }
}

/// What the browser knows of the subscription's other prefixes, for the overlap preview.
#[derive(Debug, Clone, PartialEq)]
pub enum OtherPrefixes {
    Loading,
    Loaded(Vec<ExistingPrefix>),
    TooMany(usize),
    Failed(String),
}

/// Every prefix of the subscription (when it is small enough to scan), for the overlap check.
async fn subscription_prefixes(s: &Session) -> OtherPrefixes {
    match scan_subscription(s).await {
        Ok(o) => o,
        Err(e) => OtherPrefixes::Failed(e.message),
    }
}

async fn scan_subscription(s: &Session) -> Result<OtherPrefixes, ApiError> {
    let connections = api::list_connections(s, None).await?;
    if connections.len() > MAX_CONNECTIONS_TO_SCAN {
        return Ok(OtherPrefixes::TooMany(connections.len()));
    }
    let mut all = Vec::new();
    for c in connections {
        let name = c.name.clone().unwrap_or_default();
        let rg = crate::pages::connections::Row::from_wire(&c).resource_group;
        for p in api::list_prefixes(s, &rg, &name, None).await? {
            let text = p
                .properties
                .as_ref()
                .and_then(|x| x.prefix.clone())
                .unwrap_or_default();
            if let Ok(prefix) = Ipv4Prefix::parse(&text) {
                all.push(ExistingPrefix {
                    prefix,
                    resource_group: rg.clone(),
                    connection: name.clone(),
                    name: p.name.clone().unwrap_or_default(),
                });
            }
        }
    }
    Ok(OtherPrefixes::Loaded(all))
}

#[component]
pub fn ConnectionDetailPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let params = use_params_map();
    let rg = Memo::new(move |_| params.with(|p| p.get("rg").unwrap_or_default()));
    let name = Memo::new(move |_| params.with(|p| p.get("name").unwrap_or_default()));
    let s1 = session.clone();
    let data = LocalResource::new(move || {
        let (s, rg, name) = (s1.clone(), rg.get(), name.get());
        async move {
            let c = api::get_connection(&s, &rg, &name, None).await?;
            let p = api::list_prefixes(&s, &rg, &name, None).await?;
            Ok::<(PeeringService, Vec<PeeringServicePrefix>), ApiError>((c, p))
        }
    });
    let s2 = session.clone();
    let others = LocalResource::new(move || {
        let s = s2.clone();
        async move { subscription_prefixes(&s).await }
    });
    // Copied into a plain signal outside the Transition, so the page never waits for the
    // scan: the preview says what it has checked so far.
    let others_now = RwSignal::new(OtherPrefixes::Loading);
    Effect::new(move |_| others_now.set(others.get().unwrap_or(OtherPrefixes::Loading)));
    let refresh = move || {
        data.refetch();
        others.refetch();
    };
    view! {
        <section class="page">
            <p class="crumbs"><A href="/">"Connections"</A>" / "{move || name.get()}</p>
            <Transition fallback=|| view! { <p class="state loading" role="status">"Loading connection…"</p> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! {
                        <div class="state error" role="alert">
                            <p><strong>{if e.status == 404 { "This connection does not exist (it may have been deleted). " } else { "The connection could not be loaded. " }}</strong>{e.message.clone()}</p>
                            <A href="/" attr:class="button">"Back to connections"</A>
                        </div>
                    }.into_any(),
                    Ok((c, prefixes)) => {
                        let views: Vec<PrefixView> = prefixes.iter().map(PrefixView::from_wire).collect();
                        let own: Vec<ExistingPrefix> = views.iter().filter_map(|v| Some(ExistingPrefix {
                            prefix: Ipv4Prefix::parse(&v.prefix).ok()?, resource_group: rg.get_untracked(), connection: name.get_untracked(), name: v.name.clone(),
                        })).collect();
                        let index = Signal::derive(move || {
                            let mut idx: PrefixIndex = own.iter().cloned().collect();
                            if let OtherPrefixes::Loaded(o) = others_now.get() { idx.extend(o) }
                            idx
                        });
                        view! {
                            <Overview connection=c/>
                            <PrefixTable rows=views rg=rg.get_untracked() name=name.get_untracked() on_change=refresh/>
                            <PrefixImport rg=rg.get_untracked() name=name.get_untracked() index=index scope=Signal::derive(move || others_now.get()) on_done=refresh/>
                            <crate::components::monitor_tests::MonitorTests rg=rg.get_untracked() name=name.get_untracked()/>
                            <DeleteConnection rg=rg.get_untracked() name=name.get_untracked()/>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Overview(connection: PeeringService) -> impl IntoView {
    let p = connection.properties.clone().unwrap_or_default();
    let state = p.peering_service_location.clone().unwrap_or_default();
    let country = Catalog::embedded()
        .location(&state)
        .map(|(c, _)| c.name.clone())
        .unwrap_or_default();
    let item = |k: &'static str, v: String| view! { <dt>{k}</dt><dd>{v}</dd> };
    view! {
        <header class="page-head"><h1>{connection.name.clone().unwrap_or_default()}</h1></header>
        <dl class="overview">
            {item("Country", country)}
            {item("State/province", state.trim().to_owned())}
            {item("Provider", p.peering_service_provider.clone().unwrap_or_default())}
            {item("Primary location", p.provider_primary_peering_location.clone().unwrap_or_default())}
            {item("Backup location", p.provider_backup_peering_location.clone().unwrap_or_else(|| "None".into()))}
            {item("Azure region", connection.location.clone().unwrap_or_default())}
            {item("Provisioning", p.provisioning_state.map(|s| s.to_string()).unwrap_or_default())}
        </dl>
    }
}

#[component]
fn PrefixTable(
    rows: Vec<PrefixView>,
    rg: String,
    name: String,
    on_change: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let error = RwSignal::new(None::<String>);
    if rows.is_empty() {
        return view! {
            <h2>"Prefixes"</h2>
            <div class="state empty small"><p>"No prefixes yet. Add the public IPv4 prefixes this site announces through the provider."</p></div>
        }.into_any();
    }
    let body = rows.into_iter().map(|r| {
        let (s, rg, name, on_change) = (session.clone(), rg.clone(), name.clone(), on_change.clone());
        let pname = r.name.clone();
        let remove = move |_| {
            let confirmed = web_sys::window().and_then(|w| w.confirm_with_message(&format!("Delete prefix {pname}?")).ok()).unwrap_or(false);
            if !confirmed { return; }
            let (s, rg, name, pname, on_change) = (s.clone(), rg.clone(), name.clone(), pname.clone(), on_change.clone());
            spawn_local(async move {
                match api::delete_prefix(&s, &rg, &name, &pname).await {
                    Ok(()) => on_change(),
                    Err(e) => error.set(Some(format!("Prefix {pname} was not deleted: {}", e.message))),
                }
            });
        };
        view! {
            <tr>
                <td class="name">{r.name.clone()}</td>
                <td class="mono">{r.prefix}</td>
                <td><StatePill state=r.state/></td>
                <td class="wrap">{r.error}</td>
                <td class="mono">{r.key}</td>
                <td><button class="button small" on:click=remove aria-label=format!("Delete prefix {}", r.name)>"Delete"</button></td>
            </tr>
        }
    }).collect_view();
    view! {
        <h2>"Prefixes"</h2>
        {move || error.get().map(|e| view! { <div class="state error" role="alert"><p>{e}</p></div> })}
        <div class="table-wrap">
            <table class="grid" id="prefixes">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Prefix"</th><th scope="col">"Validation"</th>
                    <th scope="col">"Message"</th><th scope="col">"Prefix key"</th><th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }.into_any()
}

/// Add prefixes by pasting a list: every row is validated as you type.
#[component]
pub fn PrefixImport(
    rg: String,
    name: String,
    index: Signal<PrefixIndex>,
    /// How much of the subscription the preview checks against.
    scope: Signal<OtherPrefixes>,
    on_done: impl Fn() + Clone + 'static,
) -> impl IntoView {
    let session = use_context::<Session>();
    let draft_key = format!("peering-console.draft.prefixes.{rg}.{name}");
    let text = RwSignal::new(load_draft(&draft_key).unwrap_or_default());
    let dk = draft_key.clone();
    Effect::new(move |_| {
        let t = text.get();
        if t.is_empty() {
            clear_draft(&dk)
        } else {
            save_draft(&dk, &t)
        }
    });
    let connection = name.clone();
    let import_rg = rg.clone();
    let rows = Memo::new(move |_| text.with(|t| parse_import(t)));
    let results = Memo::new(move |_| -> Vec<RowResult> {
        let rows = rows.get();
        index.with(|idx| validate_batch_into(idx, &import_rg, &connection, &rows))
    });
    let blocked = move || results.with(|r| r.iter().filter(|r| r.findings.has_errors()).count());
    let sending = RwSignal::new(false);
    let failures = RwSignal::new(Vec::<String>::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() || blocked() > 0 || rows.with_untracked(Vec::is_empty) {
            return;
        }
        let Some(s) = session.clone() else { return };
        let (rg, name, on_done) = (rg.clone(), name.clone(), on_done.clone());
        let todo = rows.get_untracked();
        sending.set(true);
        failures.set(Vec::new());
        spawn_local(async move {
            let mut kept = Vec::new();
            let mut errors = Vec::new();
            for r in &todo {
                let body = PeeringServicePrefix {
                    properties: Some(PrefixProperties {
                        prefix: Some(r.prefix.clone()),
                        peering_service_prefix_key: r.key.clone(),
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                if let Err(e) = api::create_prefix(&s, &rg, &name, &r.name, &body).await {
                    let why = if e.status == 412 {
                        format!("a prefix named '{}' already exists in this connection and was left unchanged; choose another name", r.name)
                    } else {
                        e.message
                    };
                    errors.push(format!("{} ({}): {why}", r.name, r.prefix));
                    kept.push(format!(
                        "{},{},{}",
                        r.name,
                        r.prefix,
                        r.key.clone().unwrap_or_default()
                    ));
                }
            }
            // Rows the server refused stay in the box, so nothing typed is lost.
            text.set(kept.join("\n"));
            failures.set(errors);
            sending.set(false);
            on_done();
        });
    };
    view! {
        <form class="form import" on:submit=submit>
            <h2>"Add prefixes"</h2>
            <div class="field">
                <label for="import">"One prefix per line, or CSV: name,prefix[,prefix key]"</label>
                <textarea id="import" rows="5" spellcheck="false" placeholder="8.8.4.0/24\nweb,8.8.8.0/24,6a7f0d42-e49c-4eea-a930-280610671c3f"
                    prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            </div>
            <Show when=move || !rows.with(Vec::is_empty)>
                <p class="msg hint" id="import-scope">{move || match scope.get() {
                    OtherPrefixes::Loading => "Checked against this connection's prefixes; the subscription's other prefixes are still loading.".to_owned(),
                    OtherPrefixes::Loaded(o) => format!("Checked against this connection's prefixes and {} other prefixes of the subscription.", o.len()),
                    OtherPrefixes::TooMany(n) => format!("Checked against this connection's prefixes only ({n} connections are too many to scan here); the server checks the whole subscription when you add."),
                    OtherPrefixes::Failed(e) => format!("Checked against this connection's prefixes only: the other prefixes could not be loaded ({e}); the server still checks them when you add."),
                }}</p>
                <div class="table-wrap">
                    <table class="grid" id="import-preview">
                        <thead><tr><th class="num" scope="col">"#"</th><th scope="col">"Name"</th><th scope="col">"Prefix"</th><th scope="col">"Check"</th></tr></thead>
                        <tbody>
                            {move || {
                                let rows = rows.get();
                                results.get().into_iter().map(|r| {
                                    let row = rows.get(r.row).cloned().unwrap_or_default();
                                    let msgs = if r.findings.is_empty() {
                                        view! { <span class="msg ok">"OK"</span> }.into_any()
                                    } else {
                                        r.findings.iter().map(|f| {
                                            let class = if f.is_error() { "msg error" } else { "msg warning" };
                                            view! { <p class=class data-code=f.code.as_str()>{f.message.clone()}</p> }
                                        }).collect_view().into_any()
                                    };
                                    view! { <tr><td class="num">{r.row + 1}</td><td>{row.name}</td><td class="mono">{row.prefix}</td><td class="wrap">{msgs}</td></tr> }
                                }).collect_view()
                            }}
                        </tbody>
                    </table>
                </div>
            </Show>
            {move || (!failures.get().is_empty()).then(|| view! {
                <div class="state error" role="alert">
                    <p><strong>"The server refused some prefixes (they are still in the box above):"</strong></p>
                    <ul>{failures.get().into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}</ul>
                </div>
            })}
            <div class="actions">
                <button type="submit" class="button primary" id="add-prefixes"
                    aria-disabled=move || (blocked() > 0 || rows.with(Vec::is_empty) || sending.get()).to_string()>
                    {move || if sending.get() { "Adding…".to_owned() } else { format!("Add {} prefixes", rows.with(Vec::len)) }}
                </button>
                <p class="msg hint" aria-live="polite">{move || match blocked() {
                    0 => String::new(),
                    1 => "1 row has an error; fix or remove it to add.".to_owned(),
                    n => format!("{n} rows have errors; fix or remove them to add."),
                }}</p>
            </div>
        </form>
    }
}

#[component]
fn DeleteConnection(rg: String, name: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let navigate = use_navigate();
    let typed = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let deleting = RwSignal::new(false);
    let n2 = name.clone();
    let matches = move || typed.get() == n2;
    let m2 = matches.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !m2() {
            return;
        }
        let (s, rg, name, navigate) = (session.clone(), rg.clone(), name.clone(), navigate.clone());
        spawn_local(async move {
            match api::delete_connection(&s, &rg, &name).await {
                Ok(()) => navigate("/", Default::default()),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <form class="form danger" on:submit=submit>
            <h2>"Delete connection"</h2>
            <div class="field">
                <label for="confirm-delete">"Type the connection name to delete it with all its prefixes and monitor tests"</label>
                <input id="confirm-delete" type="text" autocomplete="off" prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
            </div>
            {move || error.get().map(|e| view! { <p class="msg error" role="alert">{e}</p> })}
            <button type="submit" class="button danger" aria-disabled=move || (!matches() || deleting.get()).to_string()>
                {move || if deleting.get() { "Deleting…" } else { "Delete" }}
            </button>
        </form>
    }
}

//! Adding prefixes by pasting a list: every row is checked by `peering-model` against the
//! subscription's prefixes as you type, before anything is sent.

use crate::api::{self, ApiError, ErrorKind};
use crate::outbox::Outbox;
use crate::state::{clear_draft, load_draft, save_draft, Session};
use leptos::prelude::*;
use leptos::task::spawn_local_scoped;
use peering_model::import::parse_import;
use peering_model::index::{validate_batch_into, PrefixIndex, PrefixRow, RowResult};
use peering_model::messages;
use peering_model::names::NameKind;
use peering_model::prefix::{ExistingPrefix, Ipv4Prefix};
use peering_model::wire::PeeringServicePrefix;
use peering_model::{ChildKind, ResourceId, ServiceId};

/// Past this many connections the browser checks only this connection's prefixes and leaves
/// the rest of the subscription to the server (which always checks).
const MAX_CONNECTIONS_TO_SCAN: usize = 200;

/// What the browser knows of the subscription's other prefixes, for the overlap preview.
#[derive(Debug, Clone, PartialEq)]
pub enum OtherPrefixes {
    Loading,
    Loaded(Vec<ExistingPrefix>),
    TooMany(usize),
    Failed(String),
}

/// Every prefix of the subscription (when it is small enough to scan), for the overlap check.
pub async fn subscription_prefixes(s: &Session) -> OtherPrefixes {
    match scan_subscription(s).await {
        Ok(o) => o,
        Err(e) => OtherPrefixes::Failed(e.message),
    }
}

async fn scan_subscription(s: &Session) -> Result<OtherPrefixes, ApiError> {
    let connections = api::list_connections(s).await?;
    if connections.len() > MAX_CONNECTIONS_TO_SCAN {
        return Ok(OtherPrefixes::TooMany(connections.len()));
    }
    let mut all = Vec::new();
    for c in connections {
        let Some(service) =
            c.id.as_deref()
                .and_then(|id| ResourceId::parse(id).ok())
                .map(|id| id.service)
        else {
            continue;
        };
        let prefixes: Vec<PeeringServicePrefix> =
            api::list_children(s, &service, ChildKind::Prefix).await?;
        for p in prefixes {
            let text = p
                .properties
                .as_ref()
                .and_then(|x| x.prefix.clone())
                .unwrap_or_default();
            if let Ok(prefix) = Ipv4Prefix::parse(&text) {
                all.push(ExistingPrefix {
                    prefix,
                    resource_group: service.resource_group.clone(),
                    connection: service.name.clone(),
                    name: p.name.clone().unwrap_or_default(),
                });
            }
        }
    }
    Ok(OtherPrefixes::Loaded(all))
}

/// What the checks of pasted prefix rows cover, said under the preview.
fn scope_message(scope: &OtherPrefixes) -> String {
    match scope {
        OtherPrefixes::Loading => "Checked against this connection's prefixes; the subscription's other prefixes are still loading.".to_owned(),
        OtherPrefixes::Loaded(o) => format!("Checked against this connection's prefixes and {} other prefixes of the subscription.", o.len()),
        OtherPrefixes::TooMany(n) => format!("Checked against this connection's prefixes only ({n} connections are too many to scan here); the server checks the whole subscription when you add."),
        OtherPrefixes::Failed(e) => format!("Checked against this connection's prefixes only: the other prefixes could not be loaded ({e}); the server still checks them when you add."),
    }
}

/// The rows of a prefix list with each one's findings (or "OK"), and what they were checked
/// against; nothing while there are no rows.
#[component]
pub fn PrefixPreview(
    #[prop(into)] rows: Signal<Vec<PrefixRow>>,
    #[prop(into)] results: Signal<Vec<RowResult>>,
    scope: Signal<OtherPrefixes>,
) -> impl IntoView {
    view! {
        <Show when=move || !rows.with(Vec::is_empty)>
            <p class="msg hint" id="import-scope">{move || scope.with(scope_message)}</p>
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
    }
}

/// Add prefixes by pasting a list: every row is validated as you type.
#[component]
pub fn PrefixImport(
    service: ServiceId,
    index: Signal<PrefixIndex>,
    /// How much of the subscription the preview checks against.
    scope: Signal<OtherPrefixes>,
    on_done: impl Fn() + Clone + 'static,
) -> impl IntoView {
    let session = use_context::<Session>();
    let draft_key = format!(
        "peering-console.draft.prefixes.{}.{}",
        service.resource_group, service.name
    );
    let text = RwSignal::new(load_draft(&draft_key).unwrap_or_default());
    Effect::new(move |_| {
        let t = text.get();
        if t.is_empty() {
            clear_draft(&draft_key)
        } else {
            save_draft(&draft_key, &t)
        }
    });
    let (import_rg, connection) = (service.resource_group.clone(), service.name.clone());
    let rows = Memo::new(move |_| text.with(|t| parse_import(t)));
    let results = Memo::new(move |_| -> Vec<RowResult> {
        let rows = rows.get();
        index.with(|idx| validate_batch_into(idx, &import_rg, &connection, &rows))
    });
    let blocked = move || results.with(|r| r.iter().filter(|r| r.findings.has_errors()).count());
    let sending = RwSignal::new(false);
    let failures = RwSignal::new(Vec::<String>::new());
    let queued = RwSignal::new(0usize);
    let outbox = use_context::<Outbox>();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() || blocked() > 0 || rows.with_untracked(Vec::is_empty) {
            return;
        }
        let Some(s) = session.clone() else { return };
        let (service, on_done) = (service.clone(), on_done.clone());
        let todo = rows.get_untracked();
        sending.set(true);
        failures.set(Vec::new());
        queued.set(0);
        spawn_local_scoped(async move {
            let mut kept = Vec::new();
            let mut errors = Vec::new();
            for r in &todo {
                let id = service.child(ChildKind::Prefix, &r.name);
                let body = PeeringServicePrefix::from(r);
                let Err(e) = api::create(&s, &id, &body).await else {
                    continue;
                };
                // No answer (or a 5xx, a 429): the outbox sends it when it can.
                if let (true, Some(o)) = (e.is_transient(), outbox) {
                    let label = format!(
                        "Add prefix {} ({}) to connection '{}'",
                        r.name, r.prefix, service.name
                    );
                    o.push_create(label, &id, &body, &e);
                    queued.set(queued.get_untracked() + 1);
                    continue;
                }
                let why = match e.kind {
                    // The page went away: nothing more is sent, nothing is shown.
                    ErrorKind::Aborted => return,
                    ErrorKind::PreconditionFailed => {
                        messages::name_taken(NameKind::Prefix, &r.name, &service.name)
                    }
                    _ => e.message,
                };
                errors.push(format!("{} ({}): {why}", r.name, r.prefix));
                kept.push(format!(
                    "{},{},{}",
                    r.name,
                    r.prefix,
                    r.key.clone().unwrap_or_default()
                ));
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
                    prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))
                    prop:readOnly=move || sending.get() aria-busy=move || sending.get().to_string()></textarea>
            </div>
            <PrefixPreview rows=rows results=results scope=scope/>
            {move || (queued.get() > 0).then(|| view! {
                <p class="msg warning" role="status">{format!("The server did not answer; {} prefixes wait in the outbox (top bar) and are sent when it does.", queued.get())}</p>
            })}
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

//! Importing connections with their prefixes from a CSV file (or pasted CSV): every row's
//! findings are previewed (the model's checks, overlaps with the subscription's stored
//! prefixes and within the file) before anything is written; then each connection is written
//! in turn (then its prefixes), with a progress bar and a result per row.
//!
//! Importing is idempotent: a connection stored exactly as its row says is not written again,
//! and of its prefixes only the missing ones are created, so importing the same file twice
//! reports every row as unchanged and writes nothing. A stored connection that differs from
//! its row is never overwritten: the row says what differs and is skipped.

use crate::api::{self, ErrorKind};
use crate::components::connection_row::{Row, RowKey};
use crate::components::create_items::{create_once, Item};
use crate::components::prefix_import::{subscription_prefixes, OtherPrefixes};
use crate::state::Session;
use leptos::prelude::*;
use peering_model::connection::validate_connection;
use peering_model::connections_import::{check_import, read_connections, ImportCheck, ImportRow};
use peering_model::index::PrefixIndex;
use peering_model::names::NameKind;
use peering_model::wire::{PeeringService, PeeringServicePrefix};
use peering_model::{Catalog, ChildKind, ResourceId};
use std::collections::HashMap;
use wasm_bindgen::JsCast;

/// At most this many rows are listed in the preview (those with findings first); the rest
/// are counted.
const PREVIEW_ROWS: usize = 300;

/// What importing a row will do, as far as the list shows.
#[derive(Debug, Clone, PartialEq)]
enum Plan {
    /// Blocked by a finding.
    Invalid,
    New,
    /// Stored as the row says; only missing prefixes are created.
    Stored,
    /// Stored with other values: skipped, with what differs.
    Differs(String),
}

/// The stored row a file row would be, to compare with what is stored.
fn as_stored(r: &ImportRow) -> Option<Row> {
    let valid = validate_connection(Catalog::embedded(), &r.draft).0?;
    let mut row = Row::from_wire(&PeeringService::from(&valid));
    // The body carries neither; the list's rows have both.
    row.resource_group = r.resource_group.clone();
    row.name = r.draft.name.clone();
    Some(row)
}

fn differences(want: &Row, have: &Row) -> Vec<&'static str> {
    let mut d = Vec::new();
    let same = |a: &str, b: &str| {
        peering_model::catalog::match_key(a) == peering_model::catalog::match_key(b)
    };
    if !same(&want.state, &have.state) {
        d.push("state/province");
    }
    if !same(&want.provider, &have.provider) {
        d.push("provider");
    }
    if !same(&want.primary, &have.primary) {
        d.push("primary");
    }
    if !same(&want.backup, &have.backup) {
        d.push("backup");
    }
    if !same(&want.region, &have.region) {
        d.push("Azure region");
    }
    if want.tags != have.tags {
        d.push("tags");
    }
    d
}

fn plan(r: &ImportRow, check: &ImportCheck, stored: &HashMap<RowKey, Row>) -> Plan {
    if check.has_errors() {
        return Plan::Invalid;
    }
    let Some(want) = as_stored(r) else {
        return Plan::Invalid;
    };
    match stored.get(&want.key()) {
        None => Plan::New,
        Some(have) => match differences(&want, have).as_slice() {
            [] => Plan::Stored,
            d => Plan::Differs(format!(
                "A connection of this name is stored with another {}; it is left as it is (an import never overwrites).",
                d.join(", ")
            )),
        },
    }
}

/// Writes one row: the connection if it is new, then each prefix not stored yet.
async fn import_row(s: &Session, r: &ImportRow, new: bool) -> Result<String, String> {
    let valid = validate_connection(Catalog::embedded(), &r.draft)
        .0
        .ok_or("The row no longer passes the checks.")?;
    let service = s.service(&r.resource_group, &r.draft.name);
    let mut written = 0;
    if new {
        let id = ResourceId::from(service.clone());
        let body = PeeringService::from(&valid);
        match create_once(s, &id, &body, NameKind::Connection, &r.resource_group).await {
            Ok(Item::Created) => written += 1,
            Ok(_) => {}
            Err(e) => return Err(e.message),
        }
    }
    let stored: Vec<PeeringServicePrefix> =
        match api::list_children(s, &service, ChildKind::Prefix).await {
            Ok(p) => p,
            Err(e) if e.kind == ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e.message),
        };
    let mut failed = Vec::new();
    for p in &r.prefixes {
        let have = stored.iter().find(|x| {
            x.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&p.name))
        });
        if let Some(have) = have {
            let value = have.properties.as_ref().and_then(|x| x.prefix.clone());
            if value.as_deref() != Some(p.prefix.as_str()) {
                failed.push(format!(
                    "prefix '{}' is stored as {} (prefixes cannot be changed; use another name)",
                    p.name,
                    value.unwrap_or_default()
                ));
            }
            continue;
        }
        let id = service.child(ChildKind::Prefix, &p.name);
        match create_once(
            s,
            &id,
            &PeeringServicePrefix::from(p),
            NameKind::Prefix,
            &r.draft.name,
        )
        .await
        {
            Ok(Item::Created) => written += 1,
            Ok(_) => {}
            Err(e) => failed.push(format!("prefix '{}': {}", p.name, e.message)),
        }
    }
    match (written, failed.is_empty()) {
        (_, false) => Err(format!(
            "Written {written}; not written: {}.",
            failed.join("; ")
        )),
        (0, true) => Ok("Unchanged; nothing written".into()),
        (1, true) if new && r.prefixes.is_empty() => Ok("Created".into()),
        (n, true) => Ok(format!("Created ({n} written)")),
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
struct Run {
    total: usize,
    /// (line, name, result).
    results: Vec<(usize, String, Result<String, String>)>,
    running: bool,
}

#[component]
pub fn ConnectionImport(
    /// The connections stored (as the list shows them).
    #[prop(into)]
    existing: Signal<Vec<Row>>,
    /// Whether the panel is shown (its toggle is in the page's header).
    open: RwSignal<bool>,
    /// Called after an import wrote something, to reload the list.
    on_done: Callback<()>,
) -> impl IntoView {
    let session = use_context::<Session>();
    let text = RwSignal::new(String::new());
    let run = RwSignal::new(None::<Run>);
    let default_rg = session
        .as_ref()
        .map(|s| s.config.default_resource_group.clone())
        .unwrap_or_else(|| "default".into());
    let s1 = session.clone();
    let scope = LocalResource::new(move || {
        let s = s1.clone();
        async move {
            match s {
                Some(s) if open.get() => subscription_prefixes(&s).await,
                _ => OtherPrefixes::Loading,
            }
        }
    });
    let read = Memo::new(move |_| {
        text.with(|t| (!t.trim().is_empty()).then(|| read_connections(t, &default_rg)))
    });
    let checked = Memo::new(move |_| {
        let Some(Ok(rows)) = read.get() else {
            return Vec::new();
        };
        let index: PrefixIndex = match scope.get() {
            Some(OtherPrefixes::Loaded(o)) => o.into_iter().collect(),
            _ => PrefixIndex::new(),
        };
        let checks = check_import(Catalog::embedded(), &index, &rows);
        let stored: HashMap<RowKey, Row> =
            existing.with(|e| e.iter().map(|r| (r.key(), r.clone())).collect());
        rows.into_iter()
            .zip(checks)
            .map(|(r, c)| {
                let p = plan(&r, &c, &stored);
                (r, c, p)
            })
            .collect::<Vec<_>>()
    });
    let count =
        move |f: fn(&Plan) -> bool| checked.with(|c| c.iter().filter(|(_, _, p)| f(p)).count());
    let importable = move || count(|p| matches!(p, Plan::New | Plan::Stored));
    let on_file = move |ev: leptos::ev::Event| {
        let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            return;
        };
        leptos::task::spawn_local(async move {
            if let Ok(t) = wasm_bindgen_futures::JsFuture::from(file.text()).await {
                text.try_set(t.as_string().unwrap_or_default());
            }
        });
    };
    let start = move || {
        let Some(s) = session.clone() else { return };
        if run.with_untracked(|r| r.as_ref().is_some_and(|r| r.running)) {
            return;
        }
        let todo: Vec<(ImportRow, bool)> = checked.with_untracked(|c| {
            c.iter()
                .filter_map(|(r, _, p)| match p {
                    Plan::New => Some((r.clone(), true)),
                    Plan::Stored => Some((r.clone(), false)),
                    _ => None,
                })
                .collect()
        });
        run.set(Some(Run {
            total: todo.len(),
            results: Vec::new(),
            running: true,
        }));
        // Not scoped: an import that has started is finished even if the list reloads.
        leptos::task::spawn_local(async move {
            let mut wrote = false;
            for (r, new) in todo {
                let result = import_row(&s, &r, new).await;
                wrote |= !matches!(&result, Ok(m) if m.starts_with("Unchanged"));
                run.try_update(|x| {
                    if let Some(x) = x {
                        x.results.push((r.line, r.draft.name.clone(), result));
                    }
                });
            }
            run.try_update(|x| {
                if let Some(x) = x {
                    x.running = false;
                }
            });
            if wrote {
                on_done.run(());
            }
        });
    };
    let start = StoredValue::new(start);
    view! {
        <Show when=move || open.get()>
            <section class="form connection-import" id="connection-import" aria-label="Import connections from CSV">
                <header class="row">
                    <h2>"Import connections"</h2>
                    <button type="button" class="button small" on:click=move |_| open.set(false)>"Close"</button>
                </header>
                <p class="msg hint">"A CSV file with a heading line: Name, State/province, Provider, Primary (required); Resource group, Country, Backup, Azure region, Tags (name=value, …) and Prefix list (name:prefix; …) (optional). Nothing is written before you confirm; stored connections are never overwritten."</p>
                <div class="row">
                    <label for="import-file">"CSV file"</label>
                    <input id="import-file" type="file" accept=".csv,text/csv" on:change=on_file/>
                </div>
                <div class="field">
                    <label for="import-csv">"Or paste it here"</label>
                    <textarea id="import-csv" rows="5" spellcheck="false" prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                </div>
                {move || match read.get() {
                    Some(Err(e)) => Some(view! { <p class="msg error" role="alert" id="import-error">{e}</p> }.into_any()),
                    Some(Ok(_)) => Some(preview(checked, scope).into_any()),
                    None => None,
                }}
                <div class="actions">
                    <button type="button" class="button primary" id="import-run"
                        disabled=move || importable() == 0 || run.with(|r| r.as_ref().is_some_and(|r| r.running))
                        on:click=move |_| start.with_value(|f| f())>
                        {move || match importable() { 1 => "Import 1 connection".to_owned(), n => format!("Import {n} connections") }}
                    </button>
                    <p class="msg hint" aria-live="polite" id="import-summary">{move || {
                        let (bad, differ) = (count(|p| *p == Plan::Invalid), count(|p| matches!(p, Plan::Differs(_))));
                        let mut s = format!("{} new, {} stored already", count(|p| *p == Plan::New), count(|p| *p == Plan::Stored));
                        if bad > 0 { s.push_str(&format!(", {bad} with errors (skipped)")); }
                        if differ > 0 { s.push_str(&format!(", {differ} differing from what is stored (skipped)")); }
                        s
                    }}</p>
                </div>
                {move || run.get().map(|r| {
                    let done = r.results.len();
                    view! {
                        <div class="bulk-results" id="import-results">
                            <p role="status">{if r.running { format!("Importing: {done} of {} rows…", r.total) } else { format!("Imported: {done} rows.") }}</p>
                            <progress max=r.total value=done aria-label="Import progress"></progress>
                            <ul>{r.results.into_iter().map(|(line, name, res)| {
                                let (class, msg) = match res { Ok(m) => ("ok", m), Err(m) => ("failed", m) };
                                view! { <li class=class><strong>{format!("Line {line}, {name}")}</strong>": "{msg}</li> }
                            }).collect_view()}</ul>
                        </div>
                    }
                })}
            </section>
        </Show>
    }
}

/// The rows with their findings and what importing does with each: rows with findings
/// first, at most [`PREVIEW_ROWS`].
fn preview(
    checked: Memo<Vec<(ImportRow, ImportCheck, Plan)>>,
    scope: LocalResource<OtherPrefixes>,
) -> impl IntoView {
    let rows = move || {
        checked.with(|c| {
            let mut order: Vec<usize> = (0..c.len()).collect();
            order.sort_by_key(|&i| !matches!(c[i].2, Plan::Invalid | Plan::Differs(_)));
            order
                .into_iter()
                .take(PREVIEW_ROWS)
                .map(|i| c[i].clone())
                .collect::<Vec<_>>()
        })
    };
    view! {
        <p class="msg hint">{move || match scope.get() {
            Some(OtherPrefixes::Loaded(o)) => format!("Prefixes are checked against each other and the {} stored prefixes of the subscription.", o.len()),
            Some(OtherPrefixes::TooMany(n)) => format!("Prefixes are checked against each other; the subscription's {n} connections are too many to scan here, so the server checks the stored ones as each is written."),
            _ => "Prefixes are checked against each other; the stored ones are still loading (the server checks them too).".to_owned(),
        }}</p>
        <div class="table-wrap">
            <table class="grid" id="import-rows">
                <thead><tr><th class="num" scope="col">"Line"</th><th scope="col">"Connection"</th><th scope="col">"Location"</th><th scope="col">"Provider"</th><th scope="col">"Prefixes"</th><th scope="col">"Import"</th></tr></thead>
                <tbody>
                    {move || rows().into_iter().map(|(r, c, p)| {
                        let mut msgs: Vec<(bool, String)> = c.connection.iter().map(|f| (f.is_error(), f.message.clone())).collect();
                        for (res, row) in c.prefixes.iter().zip(&r.prefixes) {
                            msgs.extend(res.findings.iter().map(|f| (f.is_error(), format!("{}: {}", row.prefix, f.message))));
                        }
                        let status = match &p {
                            Plan::Invalid => "Has errors: skipped".to_owned(),
                            Plan::New => "New".to_owned(),
                            Plan::Stored => "Stored: only missing prefixes are added".to_owned(),
                            Plan::Differs(d) => d.clone(),
                        };
                        view! {
                            <tr class:invalid=matches!(p, Plan::Invalid | Plan::Differs(_))>
                                <td class="num">{r.line}</td>
                                <td>{format!("{}/{}", r.resource_group, r.draft.name)}</td>
                                <td>{r.draft.location.clone()}</td>
                                <td>{format!("{} ({})", r.draft.provider, r.draft.primary)}</td>
                                <td class="mono">{r.prefixes.iter().map(|p| p.prefix.clone()).collect::<Vec<_>>().join(" ")}</td>
                                <td class="wrap">
                                    <p class="status">{status}</p>
                                    {msgs.into_iter().map(|(e, m)| view! { <p class=if e { "msg error" } else { "msg warning" }>{m}</p> }).collect_view()}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {move || {
            let n = checked.with(Vec::len);
            (n > PREVIEW_ROWS).then(|| view! { <p class="msg hint">{format!("Showing {PREVIEW_ROWS} of {n} rows (those with findings first).")}</p> })
        }}
    }
}

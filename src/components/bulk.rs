//! Bulk actions on the selected rows of the connections list: delete, add a tag, remove a tag.
//!
//! * One confirmation for a delete, naming the count; tags are checked by `peering-model`
//!   before anything is sent.
//! * Rows are written one after another, with a progress bar; each row gets its own result.
//!   A row that succeeds leaves the selection, a failed one stays selected, so "retry" is one
//!   click on the same button.
//! * Every write names the version it changes (`If-Match`). A list item carries no ETag, so
//!   each row is read first: a delete goes ahead only if the connection is still what the list
//!   showed (otherwise the list is brought up to date and the row stays selected, so the user
//!   sees what changed before deleting it); a tag change is applied to the current tags, so a
//!   change made elsewhere is kept, never overwritten.

use crate::api::{self, ErrorKind};
use crate::components::connection_row::{Row, RowKey};
use crate::state::Session;
use leptos::prelude::*;
use peering_model::messages;
use peering_model::names::NameKind;
use peering_model::tags::check_tags;
use peering_model::wire::PeeringService;
use peering_model::ResourceId;
use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub enum BulkOp {
    Delete,
    AddTag { key: String, value: String },
    RemoveTag { key: String },
}

impl BulkOp {
    fn progress(&self) -> String {
        match self {
            BulkOp::Delete => "Deleting".into(),
            BulkOp::AddTag { key, value } => format!("Adding tag {key}={value} to"),
            BulkOp::RemoveTag { key } => format!("Removing tag {key} from"),
        }
    }

    fn success(&self) -> &'static str {
        match self {
            BulkOp::Delete => "Deleted",
            BulkOp::AddTag { .. } => "Tag added",
            BulkOp::RemoveTag { .. } => "Tag removed",
        }
    }

    /// The tags of a connection after this change; `None` when there is nothing to change.
    pub fn retag(&self, tags: &BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
        let mut next = tags.clone();
        match self {
            BulkOp::Delete => return None,
            BulkOp::AddTag { key, value } => {
                next.insert(key.clone(), value.clone());
            }
            BulkOp::RemoveTag { key } => {
                next.remove(key);
            }
        }
        (next != *tags).then_some(next)
    }
}

/// What happened to one row.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Deleted (or found already deleted).
    Removed,
    /// Written; the row as it now is.
    Updated(Row),
    /// It was already so; nothing was sent.
    Unchanged,
    /// The connection no longer exists; it leaves the list.
    Gone(String),
    /// Not written. `current` is the row as it now is, when it was found changed elsewhere.
    Failed {
        message: String,
        current: Option<Row>,
    },
}

impl Outcome {
    fn failed(message: String) -> Outcome {
        Outcome::Failed {
            message,
            current: None,
        }
    }

    fn succeeded(&self) -> bool {
        !matches!(self, Outcome::Failed { .. })
    }
}

/// A change to the list's rows that a bulk action made.
#[derive(Debug, Clone, PartialEq)]
pub enum RowChange {
    Removed(RowKey),
    Replaced(Box<Row>),
}

pub type OutcomeFuture = Pin<Box<dyn Future<Output = Outcome>>>;

/// What runs one row of a bulk action: against the server in the app ([`server_actions`]),
/// something else in a test.
#[derive(Clone)]
pub struct BulkActions(pub Arc<dyn Fn(BulkOp, Row) -> OutcomeFuture + Send + Sync>);

/// Bulk actions against the API of `session`.
pub fn server_actions(session: Session) -> BulkActions {
    BulkActions(Arc::new(move |op, row| {
        let s = session.clone();
        Box::pin(async move { run_on_server(&s, &op, &row).await })
    }))
}

async fn run_on_server(s: &Session, op: &BulkOp, row: &Row) -> Outcome {
    let id = ResourceId::from(s.service(&row.resource_group, &row.name));
    let current = match api::get::<PeeringService>(s, &id).await {
        Ok(c) => c,
        Err(e) if e.kind == ErrorKind::NotFound && *op == BulkOp::Delete => {
            return Outcome::Removed
        }
        Err(e) if e.kind == ErrorKind::NotFound => return Outcome::Gone(e.message),
        Err(e) => return Outcome::failed(e.message),
    };
    let Some(etag) = current.etag else {
        return Outcome::failed(api::no_etag(NameKind::Connection, &row.name).message);
    };
    let now = Row::from_wire(&current.value);
    let changed = |message: String| Outcome::Failed {
        message,
        current: Some(now.clone()),
    };
    if *op == BulkOp::Delete {
        let shown = Row {
            prefixes: None,
            ..row.clone()
        };
        if now != shown {
            return changed(format!(
                "{} The list now shows its current version; it is still selected.",
                messages::changed_elsewhere(NameKind::Connection, &row.name)
            ));
        }
        return match api::delete(s, &id, &etag).await {
            Ok(()) => Outcome::Removed,
            Err(e) if e.kind == ErrorKind::NotFound => Outcome::Removed,
            Err(e) => Outcome::failed(e.message),
        };
    }
    let Some(tags) = op.retag(&now.tags) else {
        return Outcome::Unchanged;
    };
    if let Some(f) = check_tags(&tags).errors().next() {
        return Outcome::failed(f.message.clone());
    }
    match api::update_tags(s, &id, &tags, &etag).await {
        Ok(t) => Outcome::Updated(Row::from_wire(&t.value)),
        Err(e) if e.kind == ErrorKind::NotFound => Outcome::Gone(e.message),
        Err(e) => Outcome::failed(e.message),
    }
}

/// Shift-click: selects (or clears) every row from the last one clicked, `anchor`, to `pos`,
/// as the clicked one becomes; a plain click toggles one row. `keys` are the rows matching
/// the filter, in display order.
pub fn click_select(
    selected: &mut HashSet<RowKey>,
    keys: &[RowKey],
    anchor: Option<usize>,
    pos: usize,
    shift: bool,
) {
    let Some(key) = keys.get(pos) else { return };
    let on = !selected.contains(key);
    let (from, to) = match anchor {
        Some(a) if shift && a < keys.len() => (a.min(pos), a.max(pos)),
        _ => (pos, pos),
    };
    for k in &keys[from..=to] {
        if on {
            selected.insert(k.clone());
        } else {
            selected.remove(k);
        }
    }
}

/// One row's result, as the results list shows it.
#[derive(Debug, Clone, PartialEq)]
struct Result1 {
    name: String,
    ok: bool,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct Run {
    title: String,
    total: usize,
    results: Vec<Result1>,
    running: bool,
}

/// The bar above the table while rows are selected: the count, "select all matching", the
/// actions, the progress and the results of the last run.
#[component]
pub fn BulkBar(
    selected: RwSignal<HashSet<RowKey>>,
    /// How many rows match the filter.
    #[prop(into)]
    matching: Signal<usize>,
    /// Selects every row matching the filter.
    select_all: Callback<()>,
    /// The selected rows, in display order.
    chosen: impl Fn() -> Vec<Row> + 'static,
    actions: BulkActions,
    /// Applies a result to the list's rows.
    on_change: Callback<RowChange>,
) -> impl IntoView {
    let count = Memo::new(move |_| selected.with(HashSet::len));
    let run = RwSignal::new(None::<Run>);
    let confirming = RwSignal::new(false);
    let tag_key = RwSignal::new(String::new());
    let tag_value = RwSignal::new(String::new());
    let running = Memo::new(move |_| run.with(|r| r.as_ref().is_some_and(|r| r.running)));
    // The tag as it would be written, checked by the model before anything is sent.
    let tag_problem = Memo::new(move |_| {
        let key = tag_key.get();
        if key.trim().is_empty() {
            return Some("Name the tag first.".to_owned());
        }
        let one = BTreeMap::from([(key, tag_value.get())]);
        check_tags(&one).errors().next().map(|f| f.message.clone())
    });
    // The confirmation takes the focus when it opens and gives it back to "Delete…" when it
    // is cancelled (Escape or Cancel).
    let confirm_ref = NodeRef::<leptos::html::Button>::new();
    let delete_ref = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = confirm_ref.get() {
            let _ = b.focus();
        }
    });
    let cancel_delete = move || {
        confirming.set(false);
        if let Some(b) = delete_ref.get_untracked() {
            let _ = b.focus();
        }
    };
    let chosen = StoredValue::new_local(chosen);
    let actions = StoredValue::new(actions);
    let start = move |op: BulkOp| {
        if running.get_untracked() {
            return;
        }
        confirming.set(false);
        let rows = chosen.with_value(|f| f());
        let total = rows.len();
        if total == 0 {
            return;
        }
        let title = format!("{} {}", op.progress(), plural(total));
        run.set(Some(Run {
            title,
            total,
            results: Vec::new(),
            running: true,
        }));
        let runner = actions.get_value();
        // Not scoped: a bulk action started is finished even if the list reloads meanwhile.
        leptos::task::spawn_local(async move {
            for row in rows {
                let outcome = (runner.0)(op.clone(), row.clone()).await;
                let key = row.key();
                let text = match &outcome {
                    Outcome::Removed | Outcome::Updated(_) => op.success().to_owned(),
                    Outcome::Unchanged => "Already so; nothing written".to_owned(),
                    Outcome::Gone(m) | Outcome::Failed { message: m, .. } => m.clone(),
                };
                let ok = outcome.succeeded();
                match outcome {
                    Outcome::Removed | Outcome::Gone(_) => {
                        on_change.run(RowChange::Removed(key.clone()))
                    }
                    Outcome::Updated(r) => on_change.run(RowChange::Replaced(Box::new(r))),
                    Outcome::Failed {
                        current: Some(r), ..
                    } => on_change.run(RowChange::Replaced(Box::new(r))),
                    _ => {}
                }
                if ok {
                    selected.try_update(|s| s.remove(&key));
                }
                let name = row.name.clone();
                run.try_update(|r| {
                    if let Some(r) = r {
                        r.results.push(Result1 { name, ok, text });
                    }
                });
            }
            run.try_update(|r| {
                if let Some(r) = r {
                    r.running = false;
                }
            });
        });
    };
    view! {
        <Show when=move || { count.get() > 0 || run.with(Option::is_some) }>
            <div class="bulk" role="region" aria-label="Bulk actions">
                <div class="row">
                    <strong class="selected-count" aria-live="polite">{move || format!("{} selected", plural(count.get()))}</strong>
                    <Show when=move || { count.get() < matching.get() }>
                        <button type="button" class="button small" id="select-all-matching" on:click=move |_| select_all.run(())>
                            {move || format!("Select all {} matching", matching.get())}
                        </button>
                    </Show>
                    <button type="button" class="button small" on:click=move |_| selected.set(HashSet::new())
                        disabled=move || count.get() == 0>"Clear selection"</button>
                    <button type="button" class="button small danger" id="bulk-delete" node_ref=delete_ref
                        disabled=move || count.get() == 0 || running.get()
                        on:click=move |_| confirming.set(true)>"Delete…"</button>
                    <label for="bulk-tag-key">"Tag"</label>
                    <input id="bulk-tag-key" type="text" placeholder="name" autocomplete="off"
                        prop:value=move || tag_key.get() on:input=move |ev| tag_key.set(event_target_value(&ev))/>
                    <label for="bulk-tag-value" class="sr-only">"Tag value"</label>
                    <input id="bulk-tag-value" type="text" placeholder="value" autocomplete="off"
                        prop:value=move || tag_value.get() on:input=move |ev| tag_value.set(event_target_value(&ev))/>
                    <button type="button" class="button small" id="bulk-add-tag"
                        disabled=move || count.get() == 0 || running.get() || tag_problem.with(Option::is_some)
                        title=move || tag_problem.get().unwrap_or_default()
                        on:click=move |_| start(BulkOp::AddTag { key: tag_key.get_untracked().trim().to_owned(), value: tag_value.get_untracked() })>"Add tag"</button>
                    <button type="button" class="button small" id="bulk-remove-tag"
                        disabled=move || count.get() == 0 || running.get() || tag_key.with(|k| k.trim().is_empty())
                        on:click=move |_| start(BulkOp::RemoveTag { key: tag_key.get_untracked().trim().to_owned() })>"Remove tag"</button>
                </div>
                {move || tag_problem.get().filter(|_| !tag_key.with(String::is_empty)).map(|p| view! { <p class="msg error" role="alert">{p}</p> })}
                <Show when=move || confirming.get()>
                    <div class="confirm" role="alertdialog" aria-labelledby="bulk-delete-question"
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { cancel_delete() }>
                        <p id="bulk-delete-question">{move || format!("Delete {} with all their prefixes and monitor tests? This cannot be undone.", plural(count.get()))}</p>
                        <button type="button" class="button danger" id="bulk-delete-confirm" node_ref=confirm_ref
                            on:click=move |_| start(BulkOp::Delete)>{move || format!("Delete {}", plural(count.get()))}</button>
                        <button type="button" class="button" on:click=move |_| cancel_delete()>"Cancel"</button>
                    </div>
                </Show>
                {move || run.get().map(|r| results_view(r, run))}
            </div>
        </Show>
    }
}

fn results_view(r: Run, run: RwSignal<Option<Run>>) -> impl IntoView {
    let done = r.results.len();
    let failed: Vec<Result1> = r.results.iter().filter(|x| !x.ok).cloned().collect();
    let ok: Vec<Result1> = r.results.iter().filter(|x| x.ok).cloned().collect();
    let summary = if r.running {
        format!("{}: {done} of {} done…", r.title, r.total)
    } else if failed.is_empty() {
        format!("{}: all {done} done.", r.title)
    } else {
        format!(
            "{}: {} done, {} failed; the failed ones are still selected, to retry.",
            r.title,
            ok.len(),
            failed.len()
        )
    };
    let item = |x: Result1| view! { <li class=if x.ok { "ok" } else { "failed" }><strong>{x.name}</strong>": "{x.text}</li> };
    view! {
        <div class="bulk-results">
            <p role="status" class=if failed.is_empty() { "msg ok" } else { "msg error" }>{summary}</p>
            <progress max=r.total value=done aria-label="Progress"></progress>
            {(!failed.is_empty()).then(|| view! { <ul class="failed-rows">{failed.into_iter().map(item).collect_view()}</ul> })}
            {(!ok.is_empty()).then(|| view! {
                <details><summary>{format!("{} succeeded", ok.len())}</summary><ul>{ok.into_iter().map(item).collect_view()}</ul></details>
            })}
            {(!r.running).then(|| view! { <button type="button" class="button small" on:click=move |_| run.set(None)>"Dismiss"</button> })}
        </div>
    }
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 connection".to_owned()
    } else {
        format!("{n} connections")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: usize) -> Vec<RowKey> {
        (0..n).map(|i| ("rg".into(), format!("c{i}"))).collect()
    }

    #[test]
    fn shift_click_selects_or_clears_the_range_from_the_last_click() {
        let k = keys(10);
        let mut s = HashSet::new();
        click_select(&mut s, &k, None, 2, false);
        click_select(&mut s, &k, Some(2), 6, true);
        let mut got: Vec<_> = s.iter().map(|(_, n)| n.clone()).collect();
        got.sort();
        assert_eq!(got, ["c2", "c3", "c4", "c5", "c6"]);
        // Upwards, clearing (the clicked row was selected).
        click_select(&mut s, &k, Some(6), 4, true);
        let mut got: Vec<_> = s.iter().map(|(_, n)| n.clone()).collect();
        got.sort();
        assert_eq!(got, ["c2", "c3"]);
        // A plain click toggles one; an anchor beyond the rows (they shrank) is ignored.
        click_select(&mut s, &k, Some(40), 9, true);
        assert!(s.contains(&k[9]) && s.len() == 3);
    }

    #[test]
    fn retag_adds_replaces_removes_and_says_when_nothing_changes() {
        let tags = BTreeMap::from([("env".to_owned(), "prod".to_owned())]);
        let add = |k: &str, v: &str| BulkOp::AddTag {
            key: k.into(),
            value: v.into(),
        };
        assert_eq!(add("env", "prod").retag(&tags), None);
        assert_eq!(
            add("env", "test").retag(&tags),
            Some(BTreeMap::from([("env".into(), "test".into())]))
        );
        assert_eq!(add("team", "").retag(&tags).map(|t| t.len()), Some(2));
        let rm = |k: &str| BulkOp::RemoveTag { key: k.into() };
        assert_eq!(rm("team").retag(&tags), None);
        assert_eq!(rm("env").retag(&tags), Some(BTreeMap::new()));
        assert_eq!(BulkOp::Delete.retag(&tags), None);
    }
}

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

pub use crate::components::bulk_ops::{
    click_select, server_actions, BulkActions, BulkOp, Outcome, OutcomeFuture, RowChange,
};
use crate::components::conflict::{Choice, ConflictDialog};
use crate::components::connection_row::{row_sides, Row, RowKey};
use crate::lazy::split;
use leptos::prelude::*;
use peering_model::tags::check_tags;
use std::collections::{BTreeMap, HashSet};

/// One row's result, as the results list shows it.
#[derive(Debug, Clone, PartialEq)]
struct Result1 {
    name: String,
    ok: bool,
    text: String,
    /// (the row shown, theirs) when it was found changed elsewhere.
    versions: Option<(Row, Row)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct Run {
    op: Option<BulkOp>,
    title: String,
    total: usize,
    results: Vec<Result1>,
    running: bool,
}

split! {
    /// [`BulkBar`], fetched when a row is first selected.
    pub fn bulk_bar(
        selected: RwSignal<HashSet<RowKey>>,
        matching: Signal<usize>,
        select_all: Callback<()>,
        chosen: Callback<(), Vec<Row>>,
        actions: BulkActions,
        on_change: Callback<RowChange>,
    ) -> AnyView; preload fetch_bulk_bar {
        view! {
            <BulkBar selected=selected matching=matching select_all=select_all chosen=move || chosen.run(())
                actions=actions on_change=on_change/>
        }
        .into_any()
    }
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
    // A result reaches the list only while the list is there (a run outlives its page).
    let change = move |c: RowChange| {
        if run.try_get_untracked().is_some() {
            on_change.run(c);
        }
    };
    // A row found changed elsewhere: its two versions side by side, and the choice.
    let compare = RwSignal::new(None::<(Row, Row)>);
    let comparing_busy = RwSignal::new(false);
    let chosen = StoredValue::new_local(chosen);
    let actions = StoredValue::new(actions);
    let on_compare = Callback::new(move |c: Choice| {
        let Some((shown, theirs)) = compare.get_untracked() else {
            return;
        };
        match c {
            Choice::Cancel => compare.set(None),
            Choice::KeepTheirs | Choice::Merge => {
                compare.set(None);
                selected.update(|s| {
                    s.remove(&shown.key());
                });
                forget_result(
                    run,
                    &shown.key(),
                    true,
                    "Kept their version; nothing written",
                );
            }
            Choice::Overwrite => {
                let Some(op) = run.with_untracked(|r| r.as_ref().and_then(|r| r.op.clone())) else {
                    return;
                };
                let runner = actions.get_value();
                comparing_busy.set(true);
                leptos::task::spawn_local(async move {
                    let outcome = (runner.0)(op.clone(), theirs.clone()).await;
                    let key = theirs.key();
                    let text = match &outcome {
                        Outcome::Removed | Outcome::Updated(_) => op.success().to_owned(),
                        Outcome::Unchanged => "Already so; nothing written".to_owned(),
                        Outcome::Gone(m)
                        | Outcome::Queued(m)
                        | Outcome::Failed { message: m, .. } => m.clone(),
                    };
                    let ok = outcome.succeeded();
                    if ok {
                        selected.try_update(|s| s.remove(&key));
                    }
                    match outcome {
                        Outcome::Removed | Outcome::Gone(_) => change(RowChange::Removed(key)),
                        Outcome::Updated(r)
                        | Outcome::Failed {
                            current: Some(r), ..
                        } => change(RowChange::Replaced(Box::new(r))),
                        _ => {}
                    }
                    forget_result(run, &theirs.key(), ok, &text);
                    comparing_busy.try_set(false);
                    compare.try_set(None);
                });
            }
        }
    });
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
            op: Some(op.clone()),
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
                    Outcome::Gone(m) | Outcome::Queued(m) | Outcome::Failed { message: m, .. } => {
                        m.clone()
                    }
                };
                let ok = outcome.succeeded();
                let versions = match &outcome {
                    Outcome::Failed {
                        current: Some(now), ..
                    } => Some((row.clone(), now.clone())),
                    _ => None,
                };
                match outcome {
                    Outcome::Removed | Outcome::Gone(_) => change(RowChange::Removed(key.clone())),
                    Outcome::Updated(r) => change(RowChange::Replaced(Box::new(r))),
                    Outcome::Failed {
                        current: Some(r), ..
                    } => change(RowChange::Replaced(Box::new(r))),
                    _ => {}
                }
                if ok {
                    selected.try_update(|s| s.remove(&key));
                }
                let name = row.name.clone();
                run.try_update(|r| {
                    if let Some(r) = r {
                        r.results.push(Result1 {
                            name,
                            ok,
                            text,
                            versions,
                        });
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
                {move || run.get().map(|r| results_view(r, run, compare))}
                {move || compare.get().map(|(shown, theirs)| view! {
                    <ConflictDialog subject=format!("connection '{}'", shown.name) field="Field"
                        sides=row_sides(&theirs, &shown) yours="The version you chose"
                        overwrite=if run.with_untracked(|r| r.as_ref().and_then(|r| r.op.clone())) == Some(BulkOp::Delete) { "Delete their version" } else { "Apply to their version" }
                        busy=comparing_busy error=Signal::derive(|| None::<String>) on_choose=on_compare/>
                })}
            </div>
        </Show>
    }
}

fn results_view(
    r: Run,
    run: RwSignal<Option<Run>>,
    compare: RwSignal<Option<(Row, Row)>>,
) -> impl IntoView {
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
    let item = move |x: Result1| {
        let versions = x.versions.clone();
        view! {
            <li class=if x.ok { "ok" } else { "failed" }><strong>{x.name}</strong>": "{x.text}
                {versions.map(|v| view! {
                    " "<button type="button" class="button small compare" on:click=move |_| compare.set(Some(v.clone()))>"Compare versions"</button>
                })}
            </li>
        }
    };
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

/// The result of row `name` after a choice in the compare dialog.
fn forget_result(run: RwSignal<Option<Run>>, key: &RowKey, ok: bool, text: &str) {
    run.try_update(|r| {
        if let Some(x) = r.as_mut().and_then(|r| {
            r.results.iter_mut().find(|x| {
                x.versions
                    .as_ref()
                    .is_some_and(|(shown, _)| shown.key() == *key)
            })
        }) {
            x.ok = ok;
            x.text = text.to_owned();
            x.versions = None;
        }
    });
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 connection".to_owned()
    } else {
        format!("{n} connections")
    }
}

//! Which columns of the connections list are shown, remembered in this browser.

use crate::components::connection_row::COLUMNS;
use crate::state::{load_draft, save_draft};
use leptos::prelude::*;

/// Where the column chooser remembers which columns are shown (this browser only).
const COLUMNS_KEY: &str = "peering-console.list.columns";

/// The columns shown: as remembered, else all. The name is always shown (it is the link).
pub fn remembered_columns() -> Vec<&'static str> {
    let saved = load_draft(COLUMNS_KEY);
    COLUMNS
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| {
            *k == "name"
                || saved
                    .as_deref()
                    .is_none_or(|s| s.split(',').any(|c| c == *k))
        })
        .collect()
}

/// Checkboxes for every column but the name; a change is remembered at once.
#[component]
pub fn ColumnChooser(shown: RwSignal<Vec<&'static str>>) -> impl IntoView {
    view! {
            <details class="columns">
        <summary>"Columns"</summary>
        {COLUMNS.iter().filter(|(k, _)| *k != "name").map(|(k, label)| {
            let key: &'static str = k;
            let (id, for_id) = (format!("column-{key}"), format!("column-{key}"));
            view! {
                <label for=for_id>
                    <input type="checkbox" id=id prop:checked=move || shown.with(|s| s.contains(&key))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            shown.update(|s| {
                                s.retain(|c| *c != key);
                                if on {
                                    s.push(key);
                                    s.sort_by_key(|c| COLUMNS.iter().position(|(k, _)| k == c));
                                }
                            });
                            save_draft(COLUMNS_KEY, &shown.with_untracked(|s| s.join(",")));
                        }/>
                    {*label}
                </label>
            }
        }).collect_view()}
    </details>
    }
}

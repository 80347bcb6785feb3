//! A filter select over one column of a list.

use leptos::prelude::*;
use std::collections::BTreeMap;

/// A filter select over one column: "All" and every value with its count, held in the URL.
pub fn facet(
    id: &'static str,
    label: &'static str,
    current: Memo<String>,
    options: Memo<BTreeMap<String, usize>>,
    set: impl Fn(String) + 'static,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <select id=id on:change=move |ev| set(event_target_value(&ev))>
            <option value="" selected=move || current.get().is_empty()>"All"</option>
            {move || {
                // The current value is offered even when no row has it (yet): the select then
                // shows it, and choosing "All" clears it.
                let mut all = options.get();
                let c = current.get();
                if !c.is_empty() {
                    all.entry(c).or_insert(0);
                }
                all
            }.into_iter().map(|(v, n)| {
                let value = v.clone();
                view! { <option value=v.clone() selected=move || current.get() == value>{format!("{v} ({n})")}</option> }
            }).collect_view()}
        </select>
    }
}

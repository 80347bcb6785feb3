//! The connections list's settings as a URL query: written in one order, empty values left
//! out, and the search box debounced so typing a word is one history entry, not one per letter.

use crate::routing::use_navigate;
use crate::routing::ParamsMap;
use leptos::prelude::*;
use peering_model::resource_id::encode_segment;

/// How long the search waits after the last keystroke before it writes the URL.
pub const SEARCH_DEBOUNCE_MS: u64 = 300;

/// The URL query keys of the list, in the order they are written.
pub const QUERY_KEYS: [&str; 10] = [
    "country",
    "state",
    "provider",
    "provisioning",
    "validation",
    "tag",
    "q",
    "sort",
    "dir",
    "map",
];

/// A function that writes `changes` into the URL query, keeping the other keys. A change of
/// the search replaces the history entry instead of adding one.
pub fn query_writer(
    query: Memo<ParamsMap>,
) -> impl Fn(Vec<(&'static str, String)>) + Clone + 'static {
    let navigate = use_navigate();
    move |changes: Vec<(&'static str, String)>| {
        let mut params: Vec<(&'static str, String)> = QUERY_KEYS
            .iter()
            .filter_map(|k| query.with_untracked(|q| q.get(k)).map(|v| (*k, v)))
            .collect();
        let replace = changes.iter().any(|(k, _)| *k == "q");
        for (k, v) in changes {
            params.retain(|(pk, _)| *pk != k);
            params.push((k, v));
        }
        params.retain(|(_, v)| !v.is_empty());
        params.sort_by_key(|(k, _)| QUERY_KEYS.iter().position(|q| q == k));
        let q: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_segment(v)))
            .collect();
        let url = if q.is_empty() {
            "/".to_owned()
        } else {
            format!("/?{}", q.join("&"))
        };
        navigate(&url, crate::routing::NavigateOptions { replace });
    }
}

/// The search as typed (it filters at once), and the handler for the box: the URL follows once
/// typing pauses. Back/forward (a URL this view did not write) brings its search into the box,
/// and a search still waiting to be written must not overwrite it.
pub fn debounced_search(
    search: Memo<String>,
    write: impl Fn(String) + Clone + 'static,
) -> (RwSignal<String>, impl Fn(String) + Clone + 'static) {
    let typed = RwSignal::new(search.get_untracked());
    let written = StoredValue::new(search.get_untracked());
    let pending = StoredValue::new(0u32);
    Effect::new(move |_| {
        let q = search.get();
        if q != written.get_value() {
            pending.update_value(|n| *n += 1);
            written.set_value(q.clone());
            typed.set(q);
        }
    });
    let on_search = move |v: String| {
        typed.set(v.clone());
        pending.update_value(|n| *n += 1);
        let mine = pending.get_value();
        let write = write.clone();
        set_timeout(
            move || {
                if pending.try_get_value() == Some(mine) {
                    written.set_value(v.clone());
                    write(v);
                }
            },
            std::time::Duration::from_millis(SEARCH_DEBOUNCE_MS),
        );
    };
    (typed, on_search)
}

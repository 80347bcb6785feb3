//! The dialog a write answered 412 opens: someone else changed the resource since it was
//! loaded. It shows their version (stored now) and yours side by side, field by field, and
//! lets the user keep theirs, apply their version plus the user's change, or overwrite; the
//! caller writes the choice with the ETag of their version, so a third change in between is
//! caught the same way.
//!
//! A modal dialog: the focus moves into it, Tab stays inside it, Escape closes it (back to
//! editing, nothing lost), and the focus returns to where it was.

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// What the user chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Drop my change; show their version.
    KeepTheirs,
    /// Their version plus my change.
    Merge,
    /// My version, replacing theirs.
    Overwrite,
    /// Close the dialog and go on editing.
    Cancel,
}

/// One row of the comparison: the field, their value, mine (`None`: the version lacks it).
pub type Side = (String, Option<String>, Option<String>);

#[component]
pub fn ConflictDialog(
    /// "connection 'x'".
    subject: String,
    /// What the fields are ("Tag").
    field: &'static str,
    sides: Vec<Side>,
    /// The merged version, as rows of the same shape (their value, merged value); without it
    /// (a delete: there is nothing to merge) "theirs + my change" is not offered.
    #[prop(optional)]
    merged: Option<Vec<Side>>,
    /// What "overwrite" does, on its button.
    #[prop(default = "Overwrite with mine")]
    overwrite: &'static str,
    /// What the right-hand column is.
    #[prop(default = "Your version")]
    yours: &'static str,
    /// A write of the choice is in flight.
    #[prop(into)]
    busy: Signal<bool>,
    /// Why the last choice could not be written.
    #[prop(into)]
    error: Signal<Option<String>>,
    on_choose: Callback<Choice>,
) -> impl IntoView {
    let dialog = NodeRef::<html::Div>::new();
    // Where the focus was, to return it when the dialog closes.
    let before = document()
        .active_element()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    let before = StoredValue::new_local(before);
    on_cleanup(move || {
        before.try_with_value(|b| {
            if let Some(b) = b {
                let _ = b.focus();
            }
        });
    });
    Effect::new(move |_| {
        let merge = dialog.get().and_then(|d| {
            let first = |css: &str| d.query_selector(css).ok().flatten();
            first("#conflict-merge").or_else(|| first("#conflict-keep"))
        });
        if let Some(b) = merge.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = b.focus();
        }
    });
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            // While a choice is being written, the dialog stays (and keeps the focus).
            if !busy.get_untracked() {
                on_choose.run(Choice::Cancel);
            }
            return;
        }
        if ev.key() != "Tab" {
            return;
        }
        let Some(d) = dialog.get_untracked() else {
            return;
        };
        let all = buttons(&d);
        let (Some(first), Some(last)) = (all.first(), all.last()) else {
            return;
        };
        let active = document().active_element();
        let at = |e: &web_sys::HtmlElement| active.as_ref() == Some(e.unchecked_ref());
        if ev.shift_key() && at(first) {
            ev.prevent_default();
            let _ = last.focus();
        } else if !ev.shift_key() && at(last) {
            ev.prevent_default();
            let _ = first.focus();
        }
    };
    let cell = |v: Option<String>| match v {
        Some(v) if v.is_empty() => view! { <td class="empty-value">"(empty)"</td> }.into_any(),
        Some(v) => {
            let title = v.clone();
            view! { <td title=title>{v}</td> }.into_any()
        }
        None => view! { <td class="absent">"—"</td> }.into_any(),
    };
    let table = move |caption: &'static str, right: &'static str, rows: Vec<Side>| {
        view! {
            <table class="grid conflict-sides">
                <caption>{caption}</caption>
                <thead><tr><th scope="col">{field}</th><th scope="col">"Their version (stored now)"</th><th scope="col">{right}</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|(k, theirs, mine)| {
                        let differs = theirs != mine;
                        view! { <tr class:differs=differs><th scope="row">{k}</th>{cell(theirs)}{cell(mine)}</tr> }
                    }).collect_view()}
                </tbody>
            </table>
        }
    };
    let choose = move |c: Choice| {
        if !busy.get_untracked() {
            on_choose.run(c);
        }
    };
    view! {
        <div class="modal-backdrop">
            <div class="dialog conflict" role="dialog" aria-modal="true" aria-labelledby="conflict-title"
                aria-describedby="conflict-what" node_ref=dialog on:keydown=on_keydown>
                <h2 id="conflict-title">"Changed by someone else"</h2>
                <p id="conflict-what">{format!("The {subject} was changed by someone else after this page loaded, so nothing was written. Compare the two versions and choose what to keep.")}</p>
                {table("Theirs and yours", yours, sides)}
                {merged.clone().map(|merged| view! {
                    <details>
                        <summary>"What “theirs + my change” writes"</summary>
                        {table("Theirs plus your change", "Theirs + your change", merged)}
                    </details>
                })}
                {move || error.get().map(|e| view! { <p class="msg error" role="alert">{e}</p> })}
                <div class="row">
                    <button type="button" class="button" id="conflict-keep" aria-disabled=move || busy.get().to_string()
                        on:click=move |_| choose(Choice::KeepTheirs)>"Keep theirs"</button>
                    {merged.is_some().then(|| view! {
                        <button type="button" class="button primary" id="conflict-merge" aria-disabled=move || busy.get().to_string()
                            on:click=move |_| choose(Choice::Merge)>"Theirs + my change"</button>
                    })}
                    <button type="button" class="button danger" id="conflict-overwrite" aria-disabled=move || busy.get().to_string()
                        on:click=move |_| choose(Choice::Overwrite)>{overwrite}</button>
                    <button type="button" class="button" id="conflict-cancel" aria-disabled=move || busy.get().to_string()
                        on:click=move |_| choose(Choice::Cancel)>"Back to editing"</button>
                </div>
                <p class="msg hint" role="status">{move || if busy.get() { "Saving…" } else { "Only the last choice replaces their change; the others keep it." }}</p>
            </div>
        </div>
    }
}

/// The dialog's enabled buttons, in order.
fn buttons(d: &web_sys::HtmlDivElement) -> Vec<web_sys::HtmlElement> {
    let Ok(list) = d.query_selector_all("button:not([disabled]), summary") else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
        .collect()
}

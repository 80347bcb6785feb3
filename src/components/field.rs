//! A labelled form field with its finding (error or warning) shown right under it.

use leptos::prelude::*;
use peering_model::Finding;

#[component]
pub fn Field(
    /// The visible label.
    label: &'static str,
    /// The id of the control inside (for the label and the message).
    id: &'static str,
    /// What validation says about this field now.
    finding: Signal<Option<Finding>>,
    /// A hint shown when there is nothing to say.
    #[prop(optional)]
    hint: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field" class:has-error=move || finding.with(|f| f.as_ref().is_some_and(Finding::is_error))>
            <label for=id>{label}</label>
            {children()}
            {move || match finding.get() {
                Some(f) => {
                    let class = if f.is_error() { "msg error" } else { "msg warning" };
                    view! { <p class=class id=format!("{id}-msg") aria-live="polite" data-code=f.code.as_str()>{f.message}</p> }.into_any()
                }
                None => match hint {
                    Some(h) => view! { <p class="msg hint" id=format!("{id}-msg")>{h}</p> }.into_any(),
                    None => ().into_any(),
                },
            }}
        </div>
    }
}

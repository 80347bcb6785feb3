//! The wizard's prefixes step: rows typed or pasted, or read from a CSV file, each checked by
//! `peering-model` against the subscription's prefixes and the other rows before anything is
//! written. Prefixes are optional: a connection can be created without any.

use crate::components::prefix_import::{OtherPrefixes, PrefixPreview};
use crate::pages::new_connection::FormState;
use leptos::prelude::*;
use peering_model::index::{PrefixRow, RowResult};
use wasm_bindgen::JsCast;

#[component]
pub fn WizardPrefixes(
    form: RwSignal<FormState>,
    rows: Memo<Vec<PrefixRow>>,
    results: Memo<Vec<RowResult>>,
    scope: Signal<OtherPrefixes>,
) -> impl IntoView {
    let file_error = RwSignal::new(None::<String>);
    // A CSV file's text replaces the box's (and is then edited there like typed rows).
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        file_error.set(None);
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(text) => {
                    let text = text.as_string().unwrap_or_default();
                    form.try_update(|f| f.prefixes = text);
                }
                Err(_) => {
                    file_error
                        .try_set(Some(format!("The file {} could not be read.", file.name())));
                }
            }
        });
    };
    view! {
        <fieldset>
            <legend>"Prefixes"</legend>
            <p class="msg hint">"Optional: the IPv4 prefixes this connection announces. They are created right after the connection."</p>
            <div class="field">
                <label for="wizard-prefixes">"One prefix per line, or CSV: name,prefix[,prefix key]"</label>
                <textarea id="wizard-prefixes" rows="6" spellcheck="false" placeholder="8.8.4.0/24\nweb,8.8.8.0/24,6a7f0d42-e49c-4eea-a930-280610671c3f"
                    prop:value=move || form.with(|f| f.prefixes.clone())
                    on:input=move |ev| form.update(|f| f.prefixes = event_target_value(&ev))></textarea>
            </div>
            <div class="field">
                <label for="wizard-prefix-file">"Or read a CSV file"</label>
                <input id="wizard-prefix-file" type="file" accept=".csv,.txt,text/csv,text/plain" on:change=on_file/>
                {move || file_error.get().map(|e| view! { <p class="msg error" role="alert">{e}</p> })}
            </div>
            <PrefixPreview rows=rows results=results scope=scope/>
        </fieldset>
    }
}

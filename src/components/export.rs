//! Export of the list's filtered view, as shown (its columns, its order), to CSV or JSON.
//! The file is made in the browser: nothing is sent anywhere.

use crate::components::connection_row::{Row, COLUMNS};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The shown columns' (key, heading) in their order.
fn columns(shown: &[&'static str]) -> Vec<(&'static str, &'static str)> {
    COLUMNS
        .iter()
        .filter(|(k, _)| shown.contains(k))
        .copied()
        .collect()
}

/// The rows `visible` (indices into `rows`) as CSV with a header of the column headings.
pub fn to_csv(rows: &[Row], visible: &[u32], shown: &[&'static str]) -> String {
    let cols = columns(shown);
    let header: Vec<&str> = cols.iter().map(|(_, h)| *h).collect();
    peering_model::csv::write(
        &header,
        visible
            .iter()
            .map(|&i| cols.iter().map(|(k, _)| rows[i as usize].cell(k)).collect()),
    )
}

/// The same as JSON: an array of objects keyed by column key.
pub fn to_json(rows: &[Row], visible: &[u32], shown: &[&'static str]) -> String {
    let cols = columns(shown);
    let items: Vec<serde_json::Map<String, serde_json::Value>> = visible
        .iter()
        .map(|&i| {
            cols.iter()
                .map(|(k, _)| ((*k).to_owned(), rows[i as usize].cell(k).into()))
                .collect()
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_default()
}

/// Offers `text` as a file download.
fn download(name: &str, mime: &str, text: &str) -> Option<()> {
    let window = web_sys::window()?;
    let document = window.document()?;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a").ok()?.dyn_into().ok()?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    // The download reads the URL after this turn of the event loop: free it later.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    let _ = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000);
    Some(())
}

#[component]
pub fn ExportButtons(
    rows: Signal<Vec<Row>>,
    visible: Memo<Vec<u32>>,
    shown: RwSignal<Vec<&'static str>>,
) -> impl IntoView {
    let export = move |json: bool| {
        let text = rows.with_untracked(|r| {
            visible.with_untracked(|v| {
                shown.with_untracked(|s| {
                    if json {
                        to_json(r, v, s)
                    } else {
                        to_csv(r, v, s)
                    }
                })
            })
        });
        let _ = if json {
            download("connections.json", "application/json", &text)
        } else {
            // A byte-order mark, so spreadsheets read the file as UTF-8.
            download(
                "connections.csv",
                "text/csv;charset=utf-8",
                &format!("\u{feff}{text}"),
            )
        };
    };
    view! {
        <span class="export">
            <button type="button" class="button small" id="export-csv" on:click=move |_| export(false)>"Export CSV"</button>
            <button type="button" class="button small" id="export-json" on:click=move |_| export(true)>"Export JSON"</button>
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str) -> Row {
        Row {
            name: name.into(),
            resource_group: "rg".into(),
            country: "Japan".into(),
            state: "Osaka".into(),
            provider: "IIJ".into(),
            primary: "Osaka".into(),
            backup: "None".into(),
            region: "Japan West".into(),
            provisioning: "Succeeded".into(),
            prefixes: None,
            tags: [
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "2".to_owned()),
            ]
            .into(),
        }
    }

    /// The export is the view as shown: the filtered rows in their order, the shown columns.
    #[test]
    fn the_export_is_the_filtered_view_as_shown() {
        let rows = vec![row("x"), row("=y"), row("z")];
        let csv = to_csv(&rows, &[2, 1], &["name", "tags"]);
        assert_eq!(csv, "Name,Tags\r\nz,\"a=1, b=2\"\r\n'=y,\"a=1, b=2\"\r\n");
        let json: serde_json::Value =
            serde_json::from_str(&to_json(&rows, &[0], &["name", "region"])).unwrap();
        assert_eq!(
            json,
            serde_json::json!([{"name": "x", "region": "Japan West"}])
        );
    }
}

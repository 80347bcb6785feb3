//! Export of the list's filtered view, as shown (its columns, its order), to CSV or JSON,
//! prefixes included: a `Prefix list` column (`name:prefix[:key]; …`, what the import reads)
//! whenever the server said each connection's prefixes. A CSV exported with the columns the
//! import needs imports back as it was. The file is made in the browser: nothing is sent.

use crate::components::connection_row::{Row, COLUMNS};
use leptos::prelude::*;
use peering_model::connections_import::write_prefix_list;
use peering_model::index::PrefixRow;
use wasm_bindgen::JsCast;

/// The shown columns' (key, heading) in their order.
fn columns(shown: &[&'static str]) -> Vec<(&'static str, &'static str)> {
    COLUMNS
        .iter()
        .filter(|(k, _)| shown.contains(k))
        .copied()
        .collect()
}

/// Whether the rows carry their prefixes (the server's summaries arrived).
fn with_prefixes(rows: &[Row]) -> bool {
    rows.iter().any(|r| r.prefixes.is_some())
}

fn prefix_list(r: &Row) -> Vec<PrefixRow> {
    r.prefixes
        .as_ref()
        .map(|p| p.list.clone())
        .unwrap_or_default()
}

/// The rows `visible` (indices into `rows`) as CSV with a header of the column headings.
pub fn to_csv(rows: &[Row], visible: &[u32], shown: &[&'static str]) -> String {
    let cols = columns(shown);
    let list = with_prefixes(rows);
    let mut header: Vec<&str> = cols.iter().map(|(_, h)| *h).collect();
    if list {
        header.push(PREFIX_LIST);
    }
    peering_model::csv::write(
        &header,
        visible.iter().map(|&i| {
            let r = &rows[i as usize];
            let mut cells: Vec<String> = cols.iter().map(|(k, _)| r.cell(k)).collect();
            if list {
                cells.push(write_prefix_list(&prefix_list(r)));
            }
            cells
        }),
    )
}

/// The CSV heading the import reads prefixes from.
const PREFIX_LIST: &str = "Prefix list";

/// The same as JSON: an array of objects keyed by column key.
pub fn to_json(rows: &[Row], visible: &[u32], shown: &[&'static str]) -> String {
    let cols = columns(shown);
    let items: Vec<serde_json::Map<String, serde_json::Value>> = visible
        .iter()
        .map(|&i| {
            cols.iter()
                .map(|(k, _)| ((*k).to_owned(), rows[i as usize].cell(k).into()))
                .chain(with_prefixes(rows).then(|| {
                    let list: Vec<serde_json::Value> = prefix_list(&rows[i as usize])
                        .into_iter()
                        .map(|p| serde_json::json!({"name": p.name, "prefix": p.prefix, "peeringServicePrefixKey": p.key}))
                        .collect();
                    ("prefixList".to_owned(), list.into())
                }))
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

    /// With the prefixes known, the export carries them, and a CSV export with the columns
    /// the import needs reads back into the same connections and prefixes.
    #[test]
    fn an_export_with_prefixes_imports_back() {
        use crate::components::connection_row::Prefixes;
        use peering_model::connections_import::read_connections;
        let mut r = row("osaka-1");
        r.prefixes = Some(Prefixes {
            total: 2,
            list: vec![
                PrefixRow {
                    name: "web".into(),
                    prefix: "8.8.8.0/24".into(),
                    key: None,
                },
                PrefixRow {
                    name: "mail".into(),
                    prefix: "8.8.9.0/24".into(),
                    key: Some("6a7f0d42-e49c-4eea-a930-280610671c3f".into()),
                },
            ],
            ..Prefixes::default()
        });
        let rows = vec![r];
        let all: Vec<&str> = COLUMNS.iter().map(|(k, _)| *k).collect();
        let csv = to_csv(&rows, &[0], &all);
        let back = read_connections(&csv, "other").unwrap();
        assert_eq!(back.len(), 1);
        let b = &back[0];
        assert_eq!(
            (b.resource_group.as_str(), b.draft.name.as_str()),
            ("rg", "osaka-1")
        );
        assert_eq!(
            (b.draft.location.as_str(), b.draft.provider.as_str()),
            ("Osaka", "IIJ")
        );
        assert_eq!(b.draft.tags, rows[0].tags);
        assert_eq!(b.prefixes, rows[0].prefixes.as_ref().unwrap().list);
        let json: serde_json::Value =
            serde_json::from_str(&to_json(&rows, &[0], &["name"])).unwrap();
        assert_eq!(
            json[0]["prefixList"][1]["peeringServicePrefixKey"],
            "6a7f0d42-e49c-4eea-a930-280610671c3f"
        );
    }
}

//! Reading pasted or uploaded prefix lists (one prefix per line, or CSV) into rows for
//! [`crate::index::validate_batch_into`].

use crate::index::PrefixRow;
use crate::names::is_guid;

/// The name given to a row that has none: `p-8-8-8-0-24` for `8.8.8.0/24`.
pub fn default_prefix_name(prefix: &str) -> String {
    let body: String = prefix
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(60)
        .collect();
    format!("p-{}", body.trim_matches('-'))
}

fn looks_like_prefix(s: &str) -> bool {
    s.contains('/') || s.chars().filter(|c| *c == '.').count() == 3 || s.contains(':')
}

/// Rows from text: each line is `prefix`, `name,prefix`, `prefix,key` or `name,prefix,key`,
/// separated by commas, semicolons or tabs. Blank lines, `#` comments and a header line
/// (`name,prefix,...`) are skipped. Cells are trimmed.
pub fn parse_import(text: &str) -> Vec<PrefixRow> {
    let mut rows = Vec::new();
    // A file saved by a spreadsheet may start with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split([',', ';', '\t']).map(str::trim).collect();
        let first = cells[0].to_ascii_lowercase();
        if i == 0 && (first == "name" || first == "prefix") {
            continue;
        }
        let key = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let row = match cells.as_slice() {
            [p] => PrefixRow {
                name: default_prefix_name(p),
                prefix: p.to_string(),
                key: None,
            },
            [a, b] if looks_like_prefix(a) && (is_guid(b) || b.is_empty()) => PrefixRow {
                name: default_prefix_name(a),
                prefix: a.to_string(),
                key: key(b),
            },
            [a, b] => PrefixRow {
                name: a.to_string(),
                prefix: b.to_string(),
                key: None,
            },
            [a, b, c, ..] => PrefixRow {
                name: a.to_string(),
                prefix: b.to_string(),
                key: key(c),
            },
            [] => continue,
        };
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_usual_shapes() {
        let text = "\u{feff}name,prefix,key\n\n# comment\n8.8.8.0/24\nweb, 1.1.1.0/24\n9.9.9.0/24,6a7f0d42-e49c-4eea-a930-280610671c3f\nmail;4.4.4.0/24;00000000-0000-0000-0000-000000000000\n";
        let rows = parse_import(text);
        assert_eq!(rows.len(), 4);
        assert_eq!(
            rows[0],
            PrefixRow {
                name: "p-8-8-8-0-24".into(),
                prefix: "8.8.8.0/24".into(),
                key: None
            }
        );
        assert_eq!(rows[1].name, "web");
        assert_eq!(
            rows[2].key.as_deref(),
            Some("6a7f0d42-e49c-4eea-a930-280610671c3f")
        );
        assert_eq!(
            (rows[3].name.as_str(), rows[3].prefix.as_str()),
            ("mail", "4.4.4.0/24")
        );
    }
}

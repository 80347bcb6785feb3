//! Importing connections with their prefixes from a CSV file: the file read into rows
//! ([`read_connections`]), and every row checked ([`check_import`]) with the same rules as a
//! connection and a prefix typed into the app, plus what only a file can get wrong: the same
//! connection twice, and prefixes of different rows that overlap.
//!
//! The columns are found by their heading (any order, any case), which are the list's export
//! headings: `Name`, `State/province`, `Provider`, `Primary` are required; `Resource group`,
//! `Country`, `Backup` ("None" or empty for none), `Azure region`, `Tags` (`k=v, k2=v2`, see [`write_tags`]) and
//! `Prefix list` (`name:prefix[:key]` or just `prefix`, separated by `;`, spaces or line
//! breaks) are optional. Other columns (the export's `Prefixes` roll-up, `Provisioning`) are
//! ignored.

use crate::batch::{validate_batch_into, PrefixRow, RowResult, MAX_LISTED_CONFLICTS};
use crate::connection::{validate_connection, ConnectionDraft};
use crate::finding::{Code, Finding, Findings};
use crate::import::default_prefix_name;
use crate::index::PrefixIndex;
use crate::names::ResourceGroupName;
use crate::prefix::{ExistingPrefix, Ipv4Prefix, Relation};
use crate::targets::{NAME, PREFIX, TAGS};
use crate::Catalog;
use std::collections::{BTreeMap, HashMap};

/// One connection of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// The file's line (record) it came from, counting the heading as line 1.
    pub line: usize,
    pub resource_group: String,
    pub draft: ConnectionDraft,
    pub prefixes: Vec<PrefixRow>,
    /// What could not even be read (a tag without `=`).
    pub problems: Findings,
}

/// What the checks say about one row.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportCheck {
    pub connection: Findings,
    pub prefixes: Vec<RowResult>,
}

impl ImportCheck {
    pub fn has_errors(&self) -> bool {
        self.connection.has_errors() || self.prefixes.iter().any(|p| !p.is_ok())
    }
}

const REQUIRED: [(&str, &[&str]); 4] = [
    ("Name", &["name"]),
    ("State/province", &["state/province", "state", "location"]),
    ("Provider", &["provider"]),
    ("Primary", &["primary", "primary peering location"]),
];

/// The rows of a CSV file. `default_rg` is the resource group of rows without one. The error
/// says which required column the heading lacks.
pub fn read_connections(text: &str, default_rg: &str) -> Result<Vec<ImportRow>, String> {
    let mut records = crate::csv::parse(text).into_iter();
    let heading: Vec<String> = records
        .next()
        .ok_or("The file is empty; it needs a heading line and a line per connection.")?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let col = |names: &[&str]| heading.iter().position(|h| names.contains(&h.as_str()));
    let mut required = Vec::new();
    for (label, names) in REQUIRED {
        required.push(col(names).ok_or_else(|| {
            format!(
                "The file has no '{label}' column; its heading must name at least Name, State/province, Provider and Primary."
            )
        })?);
    }
    let (name, state, provider, primary) = (required[0], required[1], required[2], required[3]);
    let rg = col(&["resource group", "resource_group", "resourcegroup"]);
    let country = col(&["country"]);
    let backup = col(&["backup", "backup peering location"]);
    let region = col(&["azure region", "region", "location (azure)"]);
    let tags = col(&["tags"]);
    let prefix_list = col(&["prefix list"]);
    let mut rows = Vec::new();
    for (i, record) in records.enumerate() {
        let cell = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        let optional = |c: Option<usize>| Some(cell(c)).filter(|s| !s.is_empty());
        let mut problems = Findings::default();
        let tag_map = match read_tags(&cell(tags)) {
            Ok(t) => t,
            Err(pair) => {
                problems.push(Finding::error(
                    TAGS,
                    Code::InvalidTagName,
                    format!("The tag '{pair}' has no '='; write tags as name=value, separated by commas."),
                ));
                BTreeMap::new()
            }
        };
        rows.push(ImportRow {
            line: i + 2,
            resource_group: optional(rg).unwrap_or_else(|| default_rg.to_owned()),
            draft: ConnectionDraft {
                name: cell(Some(name)),
                country: optional(country),
                location: cell(Some(state)),
                provider: cell(Some(provider)),
                primary: cell(Some(primary)),
                backup: optional(backup),
                azure_region: optional(region),
                sku: None,
                tags: tag_map,
            },
            prefixes: read_prefix_list(&cell(prefix_list)),
            problems,
        });
    }
    Ok(rows)
}

/// `name:prefix[:key]` or `prefix` items, separated by `;`, spaces or line breaks.
pub fn read_prefix_list(cell: &str) -> Vec<PrefixRow> {
    cell.split([';', ' ', '\n', '\r', '\t'])
        .filter(|s| !s.is_empty())
        .map(|item| {
            let parts: Vec<&str> = item.split(':').collect();
            match parts.as_slice() {
                [p] => PrefixRow {
                    name: default_prefix_name(p),
                    prefix: (*p).to_owned(),
                    key: None,
                },
                [n, p] => PrefixRow {
                    name: (*n).to_owned(),
                    prefix: (*p).to_owned(),
                    key: None,
                },
                [n, p, k, ..] => PrefixRow {
                    name: (*n).to_owned(),
                    prefix: (*p).to_owned(),
                    key: Some((*k).to_owned()).filter(|k| !k.is_empty()),
                },
                [] => PrefixRow::default(),
            }
        })
        .collect()
}

/// A `Tags` cell: `name=value` pairs separated by `, `, with `\`, `,` and `=` inside a name or
/// a value written `\\`, `\,` and `\=`, so every tag comes back as it was ([`read_tags`]).
/// Hand-written cells without those characters read as they look.
pub fn write_tags(tags: &BTreeMap<String, String>) -> String {
    let esc = |s: &str| {
        s.replace('\\', "\\\\")
            .replace(',', "\\,")
            .replace('=', "\\=")
    };
    tags.iter()
        .map(|(k, v)| format!("{}={}", esc(k), esc(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The tags of a `Tags` cell ([`write_tags`]); a pair without an unescaped `=` is the error,
/// as written.
pub fn read_tags(cell: &str) -> Result<BTreeMap<String, String>, String> {
    // Each pair as (raw text, name, value so far, whether its `=` was seen).
    let mut pairs: Vec<(String, String, String, bool)> = vec![Default::default()];
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        let Some(pair) = pairs.last_mut() else {
            break;
        };
        let (literal, c) = match c {
            '\\' => match chars.next() {
                Some(n) => (true, n),
                None => (true, '\\'),
            },
            c => (false, c),
        };
        if !literal && c == ',' {
            pairs.push(Default::default());
            continue;
        }
        pair.0.push(c);
        if !literal && c == '=' && !pair.3 {
            pair.3 = true;
        } else if pair.3 {
            pair.2.push(c);
        } else {
            pair.1.push(c);
        }
    }
    let mut tags = BTreeMap::new();
    for (raw, name, value, has_eq) in pairs {
        if raw.trim().is_empty() {
            continue;
        }
        if !has_eq {
            return Err(raw.trim().to_owned());
        }
        tags.insert(name.trim().to_owned(), value.trim().to_owned());
    }
    Ok(tags)
}

/// `prefix:name[:key]` items as [`read_prefix_list`] reads them.
pub fn write_prefix_list(rows: &[PrefixRow]) -> String {
    rows.iter()
        .map(|r| match &r.key {
            Some(k) => format!("{}:{}:{k}", r.name, r.prefix),
            None => format!("{}:{}", r.name, r.prefix),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Every row's findings: the connection as [`validate_connection`] checks it (and its resource
/// group), a connection named twice in the file, each row's prefixes as
/// [`validate_batch_into`] checks them against `stored` (the subscription's prefixes) and each
/// other, and prefixes that overlap a prefix of another row of the file.
pub fn check_import(
    catalog: &Catalog,
    stored: &PrefixIndex,
    rows: &[ImportRow],
) -> Vec<ImportCheck> {
    // The file's own prefixes, to find overlaps between rows; by connection → its line.
    let mut in_file = PrefixIndex::new();
    let mut line_of: HashMap<(String, String), usize> = HashMap::new();
    let mut first_line: HashMap<(String, String), usize> = HashMap::new();
    for r in rows {
        let key = (
            r.resource_group.to_lowercase(),
            r.draft.name.to_ascii_lowercase(),
        );
        line_of.entry(key).or_insert(r.line);
        for p in &r.prefixes {
            if let Ok(prefix) = Ipv4Prefix::parse(&p.prefix) {
                in_file.insert(ExistingPrefix {
                    prefix,
                    resource_group: r.resource_group.clone(),
                    connection: r.draft.name.clone(),
                    name: p.name.clone(),
                });
            }
        }
    }
    rows.iter()
        .map(|r| {
            let mut connection = r.problems.clone();
            if let Err(e) = ResourceGroupName::parse(&r.resource_group) {
                connection.push(e);
            }
            connection.extend(validate_connection(catalog, &r.draft).1 .0);
            let key = (r.resource_group.to_lowercase(), r.draft.name.to_ascii_lowercase());
            match first_line.get(&key) {
                Some(first) => connection.push(Finding::error(
                    NAME,
                    Code::InvalidName,
                    format!(
                        "Line {first} already imports connection '{}' in resource group '{}'; each connection may appear once.",
                        r.draft.name, r.resource_group
                    ),
                )),
                None => {
                    first_line.insert(key.clone(), r.line);
                }
            }
            let mut prefixes =
                validate_batch_into(stored, &r.resource_group, &r.draft.name, &r.prefixes);
            for result in &mut prefixes {
                let Some(p) = result.prefix else { continue };
                let others: Vec<_> = in_file
                    .conflicts(p)
                    .into_iter()
                    .filter(|(_, e)| {
                        !(e.connection.eq_ignore_ascii_case(&r.draft.name)
                            && e.resource_group.to_lowercase() == key.0)
                    })
                    .collect();
                for (relation, e) in others.iter().take(MAX_LISTED_CONFLICTS) {
                    let line = line_of
                        .get(&(e.resource_group.to_lowercase(), e.connection.to_ascii_lowercase()))
                        .copied()
                        .unwrap_or_default();
                    result.findings.push(file_overlap(p, *relation, e, line));
                }
                if others.len() > MAX_LISTED_CONFLICTS {
                    result.findings.push(Finding::error(
                        PREFIX,
                        Code::PrefixOverlaps,
                        format!(
                            "{p} overlaps {} more prefixes of other lines of this file.",
                            others.len() - MAX_LISTED_CONFLICTS
                        ),
                    ));
                }
            }
            ImportCheck {
                connection,
                prefixes,
            }
        })
        .collect()
}

fn file_overlap(p: Ipv4Prefix, relation: Relation, other: &ExistingPrefix, line: usize) -> Finding {
    let verb = match relation {
        Relation::Equals => "is also given as",
        Relation::Contains => "contains",
        Relation::LiesInside => "lies inside",
    };
    Finding::error(
        PREFIX,
        Code::PrefixOverlaps,
        format!(
            "{p} {verb} {} (prefix '{}' of connection '{}' on line {line} of this file); prefixes of a subscription must not overlap, so keep only one of them.",
            other.prefix, other.name, other.connection
        ),
    )
}

#[cfg(test)]
mod tag_cell_tests {
    use super::*;

    #[test]
    fn tags_with_commas_equals_and_backslashes_come_back_as_they_were() {
        let tags: BTreeMap<String, String> = [
            ("team", "net"),
            ("note", "a, b = c"),
            ("path", "C:\\x\\"),
            ("k=1", "v"),
            ("empty", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let cell = write_tags(&tags);
        assert_eq!(read_tags(&cell), Ok(tags));
        // A hand-written cell reads as it looks.
        let plain = read_tags("team=net, env = prod").unwrap();
        assert_eq!(plain.get("env").map(String::as_str), Some("prod"));
        assert_eq!(read_tags("team=net, oops"), Err("oops".to_owned()));
        assert_eq!(read_tags("  "), Ok(BTreeMap::new()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "Resource group,Name,Country,State/province,Provider,Primary,Backup,Tags,Prefix list\r\n\
        rg,seattle,United States,Washington,equinix MAPS,seattle,san Jose,\"env=prod, team=net\",web:8.8.8.0/24; 8.8.4.0/24\r\n\
        rg,bad name,United States,Texas,equinix MAPS,dallas,None,,1.1.1.0/24\r\n\
        rg,dallas,United States,Texas,equinix MAPS,dallas,,,inner:8.8.8.128/25\r\n\
        RG,Seattle,United States,Washington,equinix MAPS,seattle,,,\r\n";

    #[test]
    fn a_file_reads_into_rows_by_heading() {
        let rows = read_connections(FILE, "default").unwrap();
        assert_eq!(rows.len(), 4);
        let r = &rows[0];
        assert_eq!(
            (r.line, r.resource_group.as_str(), r.draft.name.as_str()),
            (2, "rg", "seattle")
        );
        assert_eq!(r.draft.backup.as_deref(), Some("san Jose"));
        assert_eq!(r.draft.tags.get("team").map(String::as_str), Some("net"));
        assert_eq!(
            r.prefixes,
            [
                PrefixRow {
                    name: "web".into(),
                    prefix: "8.8.8.0/24".into(),
                    key: None
                },
                PrefixRow {
                    name: "p-8-8-4-0-24".into(),
                    prefix: "8.8.4.0/24".into(),
                    key: None
                },
            ]
        );
        assert_eq!(rows[2].draft.backup, None);
        assert_eq!(
            read_prefix_list(&write_prefix_list(&r.prefixes)),
            r.prefixes,
            "the written list reads back"
        );
        let e = read_connections("Name,Provider\nx,y\n", "rg").unwrap_err();
        assert!(e.contains("'State/province'"), "{e}");
    }

    #[test]
    fn every_row_is_checked_and_the_file_against_itself() {
        let rows = read_connections(FILE, "default").unwrap();
        let checks = check_import(Catalog::embedded(), &PrefixIndex::new(), &rows);
        assert!(
            !checks[0].connection.has_errors(),
            "{:?}",
            checks[0].connection
        );
        assert!(checks[0].prefixes[1].is_ok(), "8.8.4.0/24 overlaps nothing");
        // Line 3: a bad name, with the model's message.
        assert_eq!(
            checks[1].connection.for_target(NAME).unwrap().code,
            Code::InvalidName
        );
        // Line 4: its prefix lies inside line 2's.
        let inner = &checks[2].prefixes[0].findings;
        assert!(
            inner.iter().any(|f| f.message.contains(
                "lies inside 8.8.8.0/24 (prefix 'web' of connection 'seattle' on line 2"
            )),
            "{inner:?}"
        );
        // ... and line 2's contains it, on line 4.
        assert!(checks[0].prefixes[0]
            .findings
            .iter()
            .any(|f| f.message.contains("on line 4")));
        // Line 5: the same connection as line 2 (names are not case-sensitive).
        let twice = checks[3].connection.for_target(NAME).unwrap();
        assert!(
            twice
                .message
                .starts_with("Line 2 already imports connection 'Seattle'"),
            "{}",
            twice.message
        );
        assert!(!checks[3].prefixes.iter().any(|p| !p.is_ok()));
    }
}

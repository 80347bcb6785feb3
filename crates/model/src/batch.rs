//! Bulk validation of new prefixes: [`validate_batch`] checks the rows of an import, each
//! row's name, value and key, each row against the subscription's [`PrefixIndex`], and every
//! row against every other row of the import (through a second trie built from the rows).
//! Every conflict is reported, on both rows of a pair; see [`MAX_LISTED_CONFLICTS`] for how a
//! row with very many conflicts is summarised.

use crate::finding::{Code, Finding, Findings};
use crate::index::{key, same_resource, PrefixIndex};
use crate::names::{NameKind, ResourceName};
use crate::prefix::{
    check_prefix_key, check_prefix_value, immutable_finding, overlap_finding, same_resource_group,
    ExistingPrefix, Ipv4Prefix, Relation,
};
use crate::targets::PREFIX as PREFIX_TARGET;
use prefix_trie::PrefixMap;
use std::collections::HashMap;

/// One row of a bulk prefix import: a prefix resource to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrefixRow {
    /// The prefix resource name.
    pub name: String,
    /// The prefix as typed, e.g. `198.51.100.0/24`.
    pub prefix: String,
    /// The optional `peeringServicePrefixKey`.
    pub key: Option<String>,
}

/// What the batch check says about one row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowResult {
    /// The row's position in the input, from 0 (messages count rows from 1).
    pub row: usize,
    /// The parsed prefix, when its text is a valid IPv4 prefix in canonical form.
    pub prefix: Option<Ipv4Prefix>,
    /// Name, value, key, then overlap findings.
    pub findings: Findings,
}

impl RowResult {
    /// True when nothing blocks creating this row (warnings allowed).
    pub fn is_ok(&self) -> bool {
        !self.findings.has_errors()
    }
}

/// At most this many overlap findings are listed one by one for a row, per kind (stored
/// prefixes; other rows of the import). Further conflicts of the same kind are counted in one
/// more finding, so a pathological import (thousands of copies of one prefix) stays linear in
/// size instead of quadratic, and every conflict is still accounted for.
pub const MAX_LISTED_CONFLICTS: usize = 20;

/// The finding for a row that conflicts with another row of the same import.
pub fn batch_overlap_finding(
    candidate: Ipv4Prefix,
    relation: Relation,
    other: Ipv4Prefix,
    other_row: usize,
    other_name: &str,
) -> Finding {
    let verb = match relation {
        Relation::Equals => "is also given as",
        Relation::Contains => "contains",
        Relation::LiesInside => "lies inside",
    };
    Finding::error(
        PREFIX_TARGET,
        Code::PrefixOverlaps,
        format!(
            "{candidate} {verb} {other} (row {}, prefix '{other_name}') of this import; prefixes of a subscription must not overlap, so keep only one of them.",
            other_row + 1
        ),
    )
}

/// Validates the rows of a bulk import into a new connection: see [`validate_batch_into`].
pub fn validate_batch(index: &PrefixIndex, rows: &[PrefixRow]) -> Vec<RowResult> {
    validate_rows(index, None, rows)
}

/// Validates the rows of a bulk import into the existing connection `connection` of resource
/// group `resource_group`. As [`validate_batch`], and besides: a row named like a stored prefix
/// of that connection (same resource group, connection and name, see [`ExistingPrefix::is`])
/// is a PUT of that resource, so it must keep its value ([`Code::PrefixImmutable`]) and does
/// not overlap with itself. A connection of the same name in another resource group is
/// another connection.
///
/// For every row, in order: the name (a prefix name, unique within the import), the value
/// ([`check_prefix_value`]), the key ([`check_prefix_key`]); then, for a row whose value has no
/// error, every stored prefix it equals, contains or lies inside, and every other row (whose
/// value has no error either) it equals, contains or lies inside, naming that row. Rows whose
/// value is refused anyway (not IPv4, not canonical, not public) take no part in overlaps.
pub fn validate_batch_into(
    index: &PrefixIndex,
    resource_group: &str,
    connection: &str,
    rows: &[PrefixRow],
) -> Vec<RowResult> {
    validate_rows(index, Some((resource_group, connection)), rows)
}

/// `target`: the (resource group, connection) the rows go into, when it exists.
fn validate_rows(
    index: &PrefixIndex,
    target: Option<(&str, &str)>,
    rows: &[PrefixRow],
) -> Vec<RowResult> {
    let mut results: Vec<RowResult> = Vec::with_capacity(rows.len());
    // Rows that take part in overlap checks, by value: row numbers in input order.
    let mut batch: PrefixMap<(u32, u8), Vec<u32>> = PrefixMap::new();
    let mut in_batch = vec![false; rows.len()];
    // Names seen so far (ASCII-lower-cased, as ARM compares names) → first row.
    let mut names: HashMap<String, usize> = HashMap::with_capacity(rows.len());
    // The stored prefixes of the target connection, by lower-cased name (one pass over the
    // index, so the immutability check is a hash lookup per row).
    let own: HashMap<String, &ExistingPrefix> = match target {
        None => HashMap::new(),
        Some((rg, c)) => index
            .iter()
            .filter(|e| {
                e.connection.eq_ignore_ascii_case(c) && same_resource_group(&e.resource_group, rg)
            })
            .map(|e| (e.name.to_ascii_lowercase(), e))
            .collect(),
    };

    for (i, row) in rows.iter().enumerate() {
        let mut findings = Findings::default();
        match ResourceName::parse(NameKind::Prefix, crate::targets::NAME, &row.name) {
            Err(f) => findings.push(f),
            Ok(name) => {
                if let Some(&first) = names.get(&name.key()) {
                    findings.push(Finding::error(
                        crate::targets::NAME,
                        Code::InvalidName,
                        format!(
                            "The prefix name '{}' is already used by row {} of this import; give every prefix its own name.",
                            row.name,
                            first + 1
                        ),
                    ));
                } else {
                    names.insert(name.key(), i);
                }
            }
        }
        let (prefix, value_findings) = check_prefix_value(&row.prefix);
        let value_ok = prefix.is_some() && !value_findings.has_errors();
        findings.extend(value_findings.0);
        if let Some(f) = check_prefix_key(row.key.as_deref()) {
            findings.push(f);
        }
        if let (Some(p), true) = (prefix, value_ok) {
            // A stored prefix of this connection with this name is the same resource: a PUT
            // that must keep its value, and that does not overlap with itself.
            let stored = target.and_then(|_| own.get(&row.name.to_ascii_lowercase()));
            if let Some(stored) = stored {
                if stored.prefix != p {
                    findings.push(immutable_finding(&stored.name, stored.prefix, p));
                }
            }
            let mut listed = 0usize;
            let mut more = 0usize;
            index.each_conflict(p, |r, e| {
                if let (Some((rg, c)), Some(_)) = (target, stored) {
                    if same_resource(e, rg, c, &row.name) {
                        return true;
                    }
                }
                if listed < MAX_LISTED_CONFLICTS {
                    findings.push(overlap_finding(p, r, e));
                    listed += 1;
                } else {
                    more += 1;
                }
                true
            });
            if more > 0 {
                findings.push(Finding::error(
                    PREFIX_TARGET,
                    Code::PrefixOverlaps,
                    format!("{p} also overlaps {more} more prefixes of the subscription; prefixes of a subscription must not overlap."),
                ));
            }
            batch.entry(key(p)).or_default().push(i as u32);
            in_batch[i] = true;
        }
        results.push(RowResult {
            row: i,
            prefix,
            findings,
        });
    }

    // Rows against each other: each row asks the batch trie for what covers it and what lies
    // below it, so both rows of a conflicting pair get a finding naming the other.
    for (i, result) in results.iter_mut().enumerate() {
        let (true, Some(p)) = (in_batch[i], result.prefix) else {
            continue;
        };
        let k = key(p);
        let mut listed = 0usize;
        let mut more = 0usize;
        let mut visit = |r: Relation, other: Ipv4Prefix, j: u32| {
            let j = j as usize;
            if j == i {
                return;
            }
            if listed < MAX_LISTED_CONFLICTS {
                result
                    .findings
                    .push(batch_overlap_finding(p, r, other, j, &rows[j].name));
                listed += 1;
            } else {
                more += 1;
            }
        };
        for ((a, l), rs) in batch.cover(&k) {
            let other = Ipv4Prefix::new_truncating(a, l);
            let r = if (a, l) == k {
                Relation::Equals
            } else {
                Relation::LiesInside
            };
            for &j in rs {
                visit(r, other, j);
            }
        }
        for ((a, l), rs) in batch.children(&k) {
            if (a, l) == k {
                continue;
            }
            let other = Ipv4Prefix::new_truncating(a, l);
            for &j in rs {
                visit(Relation::Contains, other, j);
            }
        }
        if more > 0 {
            result.findings.push(Finding::error(
                PREFIX_TARGET,
                Code::PrefixOverlaps,
                format!("{p} also overlaps {more} more rows of this import; prefixes of a subscription must not overlap, so keep only one of them."),
            ));
        }
    }
    results
}

//! The prefixes of a subscription in a prefix trie, and bulk validation of new prefixes.
//!
//! [`PrefixIndex`] answers, for a candidate prefix, which stored prefixes (and so which
//! connections) it equals, contains or lies inside. It is a TreeBitMap trie from the
//! `prefix-trie` crate keyed by `(address, length)`, so a query costs one walk down the trie
//! for the stored prefixes that cover the candidate plus one walk over the sub-trie below it,
//! whatever the number of stored prefixes; there is no pairwise loop.
//!
//! Bulk validation against an index is in [`crate::batch`] (re-exported here).

use crate::finding::Finding;
use crate::prefix::{overlap_finding, ExistingPrefix, Ipv4Prefix, Relation};
use prefix_trie::PrefixMap;

pub use crate::batch::{
    batch_overlap_finding, validate_batch, validate_batch_into, PrefixRow, RowResult,
    MAX_LISTED_CONFLICTS,
};

/// The trie key of a prefix.
pub(crate) fn key(p: Ipv4Prefix) -> (u32, u8) {
    (p.addr(), p.len())
}

/// Everything stored under one prefix value. A well-formed subscription has one prefix per
/// value, but the index does not refuse duplicates: it reports them.
#[derive(Debug, Clone)]
struct Slot {
    first: ExistingPrefix,
    more: Vec<ExistingPrefix>,
}

impl Slot {
    fn iter(&self) -> impl Iterator<Item = &ExistingPrefix> {
        std::iter::once(&self.first).chain(self.more.iter())
    }
}

/// Whether `e` is the prefix `name` of `connection` in `resource_group`: see
/// [`ExistingPrefix::is`].
pub(crate) fn same_resource(
    e: &ExistingPrefix,
    resource_group: &str,
    connection: &str,
    name: &str,
) -> bool {
    e.is(resource_group, connection, name)
}

fn same_entry(a: &ExistingPrefix, b: &ExistingPrefix) -> bool {
    same_resource(a, &b.resource_group, &b.connection, &b.name)
}

/// All prefixes of a subscription, keyed by value, for overlap queries.
#[derive(Clone, Default)]
pub struct PrefixIndex {
    trie: PrefixMap<(u32, u8), Slot>,
    len: usize,
}

impl std::fmt::Debug for PrefixIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PrefixIndex {
    pub fn new() -> PrefixIndex {
        PrefixIndex::default()
    }

    /// The number of stored prefixes (duplicates counted).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Stores a prefix. A prefix of the same resource group, connection and name (compared
    /// case-insensitively, see [`ExistingPrefix::is`]) with the same value is replaced; any
    /// other entry with the same value is kept beside it.
    pub fn insert(&mut self, existing: ExistingPrefix) {
        let k = key(existing.prefix);
        match self.trie.get_mut(&k) {
            None => {
                self.trie.insert(
                    k,
                    Slot {
                        first: existing,
                        more: Vec::new(),
                    },
                );
                self.len += 1;
            }
            Some(slot) => {
                if same_entry(&slot.first, &existing) {
                    slot.first = existing;
                } else if let Some(e) = slot.more.iter_mut().find(|e| same_entry(e, &existing)) {
                    *e = existing;
                } else {
                    slot.more.push(existing);
                    self.len += 1;
                }
            }
        }
    }

    /// Removes every entry with this value; returns them (empty when there was none).
    pub fn remove(&mut self, prefix: Ipv4Prefix) -> Vec<ExistingPrefix> {
        match self.trie.remove(&key(prefix)) {
            None => Vec::new(),
            Some(slot) => {
                let mut all = Vec::with_capacity(1 + slot.more.len());
                all.push(slot.first);
                all.extend(slot.more);
                self.len -= all.len();
                all
            }
        }
    }

    /// Removes the one entry of this resource group, connection and name (case-insensitive)
    /// with this value.
    pub fn remove_named(
        &mut self,
        prefix: Ipv4Prefix,
        resource_group: &str,
        connection: &str,
        name: &str,
    ) -> Option<ExistingPrefix> {
        let k = key(prefix);
        let slot = self.trie.get_mut(&k)?;
        let removed = if same_resource(&slot.first, resource_group, connection, name) {
            if slot.more.is_empty() {
                return self.remove(prefix).pop();
            }
            let next = slot.more.remove(0);
            Some(std::mem::replace(&mut slot.first, next))
        } else {
            let i = slot
                .more
                .iter()
                .position(|e| same_resource(e, resource_group, connection, name))?;
            Some(slot.more.remove(i))
        };
        self.len -= 1;
        removed
    }

    /// Every stored entry, by value in address order.
    pub fn iter(&self) -> impl Iterator<Item = &ExistingPrefix> {
        self.trie.values().flat_map(Slot::iter)
    }

    /// The entries stored with exactly this value.
    pub fn get(&self, prefix: Ipv4Prefix) -> impl Iterator<Item = &ExistingPrefix> {
        self.trie.get(&key(prefix)).into_iter().flat_map(Slot::iter)
    }

    /// Every stored prefix that overlaps `candidate`, with how the candidate relates to it:
    /// first the one it equals ([`Relation::Equals`]), then those it lies inside
    /// ([`Relation::LiesInside`], shortest first), then those inside it ([`Relation::Contains`],
    /// in address order).
    pub fn conflicts(&self, candidate: Ipv4Prefix) -> Vec<(Relation, &ExistingPrefix)> {
        let mut out = Vec::new();
        self.each_conflict(candidate, |r, e| {
            out.push((r, e));
            true
        });
        out.sort_by_key(|(r, _)| match r {
            Relation::Equals => 0,
            Relation::LiesInside => 1,
            Relation::Contains => 2,
        });
        out
    }

    /// The number of stored prefixes that overlap `candidate`.
    pub fn conflict_count(&self, candidate: Ipv4Prefix) -> usize {
        let mut n = 0;
        self.each_conflict(candidate, |_, _| {
            n += 1;
            true
        });
        n
    }

    /// Whether any stored prefix overlaps `candidate`.
    pub fn overlaps(&self, candidate: Ipv4Prefix) -> bool {
        self.first_conflict(candidate, |_| true).is_some()
    }

    /// The overlap error for `candidate`, naming the first conflicting prefix and its
    /// connection (the order of [`PrefixIndex::conflicts`]), or `None`.
    pub fn check(&self, candidate: Ipv4Prefix) -> Option<Finding> {
        self.first_conflict(candidate, |_| true)
            .map(|(r, e)| overlap_finding(candidate, r, e))
    }

    /// As [`PrefixIndex::check`], but the prefix `name` of `connection` in `resource_group`
    /// itself does not count: re-sending a stored prefix unchanged is not an overlap with
    /// itself.
    pub fn check_ignoring(
        &self,
        candidate: Ipv4Prefix,
        resource_group: &str,
        connection: &str,
        name: &str,
    ) -> Option<Finding> {
        self.first_conflict(candidate, |e| {
            !same_resource(e, resource_group, connection, name)
        })
        .map(|(r, e)| overlap_finding(candidate, r, e))
    }

    /// One overlap error per conflicting stored prefix, in the order of
    /// [`PrefixIndex::conflicts`].
    pub fn check_all(&self, candidate: Ipv4Prefix) -> Vec<Finding> {
        self.conflicts(candidate)
            .into_iter()
            .map(|(r, e)| overlap_finding(candidate, r, e))
            .collect()
    }

    /// The first conflict in the order of [`PrefixIndex::conflicts`] whose entry passes `keep`,
    /// without collecting the others.
    fn first_conflict(
        &self,
        candidate: Ipv4Prefix,
        keep: impl Fn(&ExistingPrefix) -> bool,
    ) -> Option<(Relation, &ExistingPrefix)> {
        if let Some(e) = self.get(candidate).find(|e| keep(e)) {
            return Some((Relation::Equals, e));
        }
        let k = key(candidate);
        for (p, slot) in self.trie.cover(&k) {
            if p != k {
                if let Some(e) = slot.iter().find(|e| keep(e)) {
                    return Some((Relation::LiesInside, e));
                }
            }
        }
        for (p, slot) in self.trie.children(&k) {
            if p != k {
                if let Some(e) = slot.iter().find(|e| keep(e)) {
                    return Some((Relation::Contains, e));
                }
            }
        }
        None
    }

    /// Calls `f` for every conflict (in trie order) until it returns false.
    pub(crate) fn each_conflict<'a>(
        &'a self,
        candidate: Ipv4Prefix,
        mut f: impl FnMut(Relation, &'a ExistingPrefix) -> bool,
    ) {
        let k = key(candidate);
        // Equal first, then the prefixes that contain it (shortest first), then those inside
        // it: the same order as `conflicts`, so every answer lists conflicts alike.
        if let Some(slot) = self.trie.get(&k) {
            for e in slot.iter() {
                if !f(Relation::Equals, e) {
                    return;
                }
            }
        }
        for (p, slot) in self.trie.cover(&k) {
            if p == k {
                continue;
            }
            for e in slot.iter() {
                if !f(Relation::LiesInside, e) {
                    return;
                }
            }
        }
        for (p, slot) in self.trie.children(&k) {
            if p == k {
                continue;
            }
            for e in slot.iter() {
                if !f(Relation::Contains, e) {
                    return;
                }
            }
        }
    }
}

impl FromIterator<ExistingPrefix> for PrefixIndex {
    /// Builds the index in address order: the trie then grows node by node along one path,
    /// which is markedly faster than inserting in random order.
    fn from_iter<I: IntoIterator<Item = ExistingPrefix>>(iter: I) -> Self {
        let mut all: Vec<ExistingPrefix> = iter.into_iter().collect();
        // Stable, so entries of one value keep their input order.
        all.sort_by_key(|e| key(e.prefix));
        let mut index = PrefixIndex::new();
        index.extend(all);
        index
    }
}

impl Extend<ExistingPrefix> for PrefixIndex {
    fn extend<I: IntoIterator<Item = ExistingPrefix>>(&mut self, iter: I) {
        for e in iter {
            self.insert(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Code;

    fn p(s: &str) -> Ipv4Prefix {
        Ipv4Prefix::parse(s).unwrap()
    }

    fn e(prefix: &str, resource_group: &str, connection: &str, name: &str) -> ExistingPrefix {
        ExistingPrefix {
            prefix: p(prefix),
            resource_group: resource_group.into(),
            connection: connection.into(),
            name: name.into(),
        }
    }

    fn row(name: &str, prefix: &str) -> PrefixRow {
        PrefixRow {
            name: name.into(),
            prefix: prefix.into(),
            key: None,
        }
    }

    fn index() -> PrefixIndex {
        [
            e("20.0.0.0/16", "rg", "conn-a", "big"),
            e("20.1.2.0/24", "rg", "conn-a", "small"),
            e("20.1.3.0/24", "rg", "conn-b", "other"),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn answers_equal_contains_and_lies_inside() {
        let i = index();
        assert_eq!(i.len(), 3);
        let c = i.conflicts(p("20.1.2.0/24"));
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].0, c[0].1.name.as_str()), (Relation::Equals, "small"));
        let c = i.conflicts(p("20.1.0.0/16"));
        let got: Vec<_> = c.iter().map(|(r, e)| (*r, e.name.as_str())).collect();
        assert_eq!(
            got,
            [(Relation::Contains, "small"), (Relation::Contains, "other")]
        );
        let c = i.conflicts(p("20.0.0.128/25"));
        assert_eq!(
            (c[0].0, c[0].1.name.as_str()),
            (Relation::LiesInside, "big")
        );
        assert!(i.conflicts(p("21.0.0.0/8")).is_empty());
        assert_eq!(i.conflict_count(p("20.0.0.0/8")), 3);
        assert!(i.overlaps(p("20.0.0.0/8")));
        assert!(!i.overlaps(p("8.8.8.0/24")));
    }

    #[test]
    fn check_names_the_other_connection_and_prefix() {
        let i = index();
        let f = i.check(p("20.1.2.128/25")).unwrap();
        assert_eq!(f.code, Code::PrefixOverlaps);
        assert_eq!(f.message, "20.1.2.128/25 lies inside 20.1.2.0/24 (prefix 'small' of connection 'rg/conn-a'); prefixes of a subscription must not overlap.");
        assert!(i
            .check_ignoring(p("20.1.3.0/24"), "RG", "CONN-B", "Other")
            .is_none());
        assert!(i
            .check_ignoring(p("20.1.3.0/24"), "rg", "conn-a", "other")
            .is_some());
        // The same connection and prefix name in another resource group is another prefix.
        assert!(i
            .check_ignoring(p("20.1.3.0/24"), "rg2", "conn-b", "other")
            .is_some());
        assert_eq!(i.check_all(p("20.1.2.0/23")).len(), 2);
    }

    #[test]
    fn insert_replaces_the_same_resource_and_remove_takes_it_out() {
        let mut i = index();
        i.insert(e("20.1.2.0/24", "RG", "CONN-A", "SMALL"));
        assert_eq!(i.len(), 3);
        i.insert(e("20.1.2.0/24", "rg", "conn-c", "dup"));
        assert_eq!(i.len(), 4);
        // Same connection and name, another resource group: another resource, kept beside it.
        i.insert(e("20.1.2.0/24", "rg2", "conn-a", "small"));
        assert_eq!(i.len(), 5);
        assert_eq!(i.get(p("20.1.2.0/24")).count(), 3);
        assert!(i
            .remove_named(p("20.1.2.0/24"), "rg3", "conn-a", "small")
            .is_none());
        assert_eq!(
            i.remove_named(p("20.1.2.0/24"), "rg", "conn-a", "small")
                .unwrap()
                .connection,
            "CONN-A"
        );
        assert_eq!(i.len(), 4);
        assert_eq!(i.get(p("20.1.2.0/24")).next().unwrap().name, "dup");
        assert!(i
            .remove_named(p("20.1.2.0/24"), "rg", "conn-a", "small")
            .is_none());
        assert_eq!(
            i.remove_named(p("20.1.2.0/24"), "RG2", "conn-a", "small")
                .unwrap()
                .resource_group,
            "rg2"
        );
        assert_eq!(i.remove(p("20.1.2.0/24")).len(), 1);
        assert!(i.remove(p("20.1.2.0/24")).is_empty());
        assert_eq!(i.len(), 2);
        assert_eq!(i.iter().count(), 2);
    }

    #[test]
    fn batch_reports_every_conflict_on_both_rows() {
        let i = index();
        let rows = [
            row("a", "8.8.8.0/24"),
            row("b", "8.8.0.0/16"),
            row("c", "20.1.2.0/24"),
            row("d", "10.0.0.0/8"),
            row("e", "8.8.8.0/24"),
            row("f", "9.9.9.0/24"),
        ];
        let r = validate_batch(&i, &rows);
        assert_eq!(r.len(), 6);
        let msgs =
            |k: usize| -> Vec<&str> { r[k].findings.iter().map(|f| f.message.as_str()).collect() };
        assert_eq!(msgs(0), [
            "8.8.8.0/24 lies inside 8.8.0.0/16 (row 2, prefix 'b') of this import; prefixes of a subscription must not overlap, so keep only one of them.",
            "8.8.8.0/24 is also given as 8.8.8.0/24 (row 5, prefix 'e') of this import; prefixes of a subscription must not overlap, so keep only one of them.",
        ]);
        assert_eq!(msgs(1).len(), 2);
        assert!(msgs(1)[0].starts_with("8.8.0.0/16 contains 8.8.8.0/24 (row 1, prefix 'a')"));
        assert_eq!(msgs(2), ["20.1.2.0/24 is already registered as 20.1.2.0/24 (prefix 'small' of connection 'rg/conn-a'); prefixes of a subscription must not overlap."]);
        // A non-public row is refused for that alone and takes no part in overlaps.
        assert_eq!(r[3].findings.0.len(), 1);
        assert_eq!(r[3].findings.0[0].code, Code::PrefixNotPublic);
        assert_eq!(msgs(4).len(), 2);
        assert!(r[5].is_ok() && r[5].findings.is_empty());
    }

    #[test]
    fn batch_checks_names_keys_and_immutability() {
        let i = index();
        let mut rows = vec![
            row("x", "8.8.8.0/24"),
            row("X", "9.9.9.0/24"),
            row("bad name", "8.8.4.0/24"),
        ];
        rows[0].key = Some("nope".into());
        let r = validate_batch(&i, &rows);
        assert_eq!(r[0].findings.0[0].code, Code::InvalidPrefixKey);
        assert_eq!(r[1].findings.0[0].message, "The prefix name 'X' is already used by row 1 of this import; give every prefix its own name.");
        assert_eq!(r[2].findings.0[0].code, Code::InvalidName);

        // Into conn-a: 'small' unchanged is fine, 'big' with another value is immutable.
        let rows = [row("small", "20.1.2.0/24"), row("big", "20.0.0.0/17")];
        let r = validate_batch_into(&i, "rg", "conn-a", &rows);
        assert!(r[0].findings.is_empty(), "{:?}", r[0].findings);
        assert_eq!(r[1].findings.0.len(), 1, "{:?}", r[1].findings);
        assert_eq!(r[1].findings.0[0].message, "Prefix 'big' is 20.0.0.0/16 and cannot be changed to 20.0.0.0/17; delete it and re-create it.");
        // A changed value still overlaps the other stored prefixes it covers (not itself).
        let r = validate_batch_into(&i, "rg", "conn-a", &[row("big", "20.0.0.0/15")]);
        let codes: Vec<Code> = r[0].findings.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            [
                Code::PrefixImmutable,
                Code::PrefixOverlaps,
                Code::PrefixOverlaps
            ]
        );
        // Into a new connection the same row is an overlap, not a change.
        let r = validate_batch(&i, &[row("small", "20.1.2.0/24")]);
        assert_eq!(r[0].findings.0[0].code, Code::PrefixOverlaps);
        // So it is into the connection of the same name in another resource group, and a
        // changed value there is no PrefixImmutable of the other group's prefix.
        let r = validate_batch_into(
            &i,
            "rg2",
            "conn-a",
            &[row("small", "20.1.2.0/24"), row("big", "20.0.0.0/17")],
        );
        assert_eq!(r[0].findings.0.len(), 1, "{:?}", r[0].findings);
        assert_eq!(r[0].findings.0[0].message, "20.1.2.0/24 is already registered as 20.1.2.0/24 (prefix 'small' of connection 'rg/conn-a'); prefixes of a subscription must not overlap.");
        assert_eq!(r[1].findings.0.len(), 1, "{:?}", r[1].findings);
        assert_eq!(r[1].findings.0[0].message, "20.0.0.0/17 lies inside 20.0.0.0/16 (prefix 'big' of connection 'rg/conn-a'); prefixes of a subscription must not overlap.");
        // The resource group compares without case, Unicode included.
        let i: PrefixIndex = [e("8.8.8.0/24", "Grün", "c", "p")].into_iter().collect();
        let r = validate_batch_into(&i, "GRÜN", "C", &[row("P", "8.8.8.0/23")]);
        assert_eq!(r[0].findings.0.len(), 1, "{:?}", r[0].findings);
        assert_eq!(r[0].findings.0[0].code, Code::PrefixImmutable);
    }

    #[test]
    fn many_conflicts_are_counted_beyond_the_listed_ones() {
        let rows: Vec<PrefixRow> = (0..30)
            .map(|k| row(&format!("r{k}"), "8.8.8.0/24"))
            .collect();
        let r = validate_batch(&PrefixIndex::new(), &rows);
        let f = &r[0].findings.0;
        assert_eq!(f.len(), MAX_LISTED_CONFLICTS + 1);
        assert_eq!(f.last().unwrap().message, "8.8.8.0/24 also overlaps 9 more rows of this import; prefixes of a subscription must not overlap, so keep only one of them.");
    }
}

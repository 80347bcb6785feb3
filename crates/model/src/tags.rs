//! ARM tag limits: at most 50 pairs, name 1–512 without `< > % & \ ? /`, value up to 256.

use crate::finding::{Code, Finding, Findings};
use std::collections::BTreeMap;

pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_NAME: usize = 512;
pub const MAX_TAG_VALUE: usize = 256;
const FORBIDDEN: &[char] = &['<', '>', '%', '&', '\\', '?', '/'];

pub fn check_tags(tags: &BTreeMap<String, String>) -> Findings {
    let mut findings = Findings::default();
    if tags.len() > MAX_TAGS {
        findings.push(Finding::error(
            crate::targets::TAGS,
            Code::TooManyTags,
            format!(
                "There are {} tags; the most allowed is {MAX_TAGS}.",
                tags.len()
            ),
        ));
    }
    for (k, v) in tags {
        let target = crate::targets::tag(k);
        let n = k.chars().count();
        if n == 0 {
            findings.push(Finding::error(
                crate::targets::TAGS,
                Code::InvalidTagName,
                "A tag name is empty; give every tag a name.",
            ));
        } else if n > MAX_TAG_NAME {
            findings.push(Finding::error(
                &target,
                Code::InvalidTagName,
                format!("Tag name is {n} characters long; the most allowed is {MAX_TAG_NAME}."),
            ));
        } else if let Some(c) = k.chars().find(|c| FORBIDDEN.contains(c)) {
            findings.push(Finding::error(
                &target,
                Code::InvalidTagName,
                format!(
                    "Tag name '{k}' contains '{c}'; tag names must not contain < > % & \\ ? /."
                ),
            ));
        }
        let m = v.chars().count();
        if m > MAX_TAG_VALUE {
            findings.push(Finding::error(&target, Code::InvalidTagValue, format!("The value of tag '{}' is {m} characters long; the most allowed is {MAX_TAG_VALUE}.", k.chars().take(40).collect::<String>())));
        }
    }
    findings
}

/// Tags as a map, the shape of `tags` on the wire.
pub type Tags = BTreeMap<String, String>;

/// "Their version plus your change": the edits that turned `base` (the tags the editor
/// loaded) into `mine`, applied to `theirs` (the tags stored now, after someone else's
/// change). A tag neither side touched keeps their value; one only they changed keeps theirs;
/// one the user set, changed or removed gets the user's edit, even where they changed it too
/// (the user is choosing to apply their change). So nothing either side did is lost unless
/// both changed the same tag.
pub fn merge_tags(base: &Tags, mine: &Tags, theirs: &Tags) -> Tags {
    let mut out = theirs.clone();
    for k in base.keys().chain(mine.keys()) {
        match (base.get(k), mine.get(k)) {
            (b, Some(m)) if b != Some(m) => {
                out.insert(k.clone(), m.clone());
            }
            (Some(_), None) => {
                out.remove(k);
            }
            _ => {}
        }
    }
    out
}

/// The tags two versions disagree on, for a side-by-side view: (name, theirs, mine) for every
/// name in either, in name order, with `None` where a version lacks it.
pub fn tag_sides(theirs: &Tags, mine: &Tags) -> Vec<(String, Option<String>, Option<String>)> {
    let names: std::collections::BTreeSet<&String> = theirs.keys().chain(mine.keys()).collect();
    names
        .into_iter()
        .map(|k| (k.clone(), theirs.get(k).cloned(), mine.get(k).cloned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn merge_keeps_their_changes_and_applies_mine() {
        let base = t(&[("env", "prod"), ("team", "net"), ("old", "x")]);
        // Mine: changed team, removed old, added cost.
        let mine = t(&[("env", "prod"), ("team", "ops"), ("cost", "42")]);
        // Theirs: changed env, added owner, left old.
        let theirs = t(&[
            ("env", "test"),
            ("team", "net"),
            ("old", "x"),
            ("owner", "ann"),
        ]);
        assert_eq!(
            merge_tags(&base, &mine, &theirs),
            t(&[
                ("env", "test"),
                ("team", "ops"),
                ("cost", "42"),
                ("owner", "ann")
            ])
        );
        // Both changed the same tag: mine is applied.
        let theirs = t(&[("env", "prod"), ("team", "sec"), ("old", "x")]);
        assert_eq!(merge_tags(&base, &mine, &theirs)["team"], "ops");
        // Nothing changed by me: theirs as is.
        assert_eq!(merge_tags(&base, &base, &theirs), theirs);
        // They removed a tag I did not touch: it stays removed.
        let theirs = t(&[("env", "prod")]);
        let mine = t(&[("env", "prod"), ("team", "net"), ("old", "x"), ("new", "1")]);
        assert_eq!(
            merge_tags(&base, &mine, &theirs),
            t(&[("env", "prod"), ("new", "1")])
        );
    }

    #[test]
    fn sides_list_every_name_once_in_order() {
        let sides = tag_sides(&t(&[("b", "1"), ("a", "2")]), &t(&[("a", "3"), ("c", "4")]));
        assert_eq!(
            sides,
            [
                ("a".into(), Some("2".into()), Some("3".into())),
                ("b".into(), Some("1".into()), None),
                ("c".into(), None, Some("4".into())),
            ]
        );
    }

    #[test]
    fn tag_limits() {
        let mut t = BTreeMap::new();
        t.insert("env".to_owned(), "prod".to_owned());
        assert!(check_tags(&t).is_empty());
        t.insert("a/b".to_owned(), "x".to_owned());
        assert_eq!(check_tags(&t).0[0].code, Code::InvalidTagName);
        let many: BTreeMap<_, _> = (0..51).map(|i| (format!("k{i}"), String::new())).collect();
        assert_eq!(check_tags(&many).0[0].code, Code::TooManyTags);
        let mut long = BTreeMap::new();
        long.insert("k".to_owned(), "v".repeat(257));
        assert_eq!(check_tags(&long).0[0].code, Code::InvalidTagValue);
    }
}

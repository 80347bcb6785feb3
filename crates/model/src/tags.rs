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

#[cfg(test)]
mod tests {
    use super::*;

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

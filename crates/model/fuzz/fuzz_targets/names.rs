//! The name parsers on arbitrary bytes: no panic; an accepted name round-trips and keeps the
//! rules (length, characters, no trailing '.'); a refused one yields one error.

#![no_main]

use libfuzzer_sys::fuzz_target;
use peering_model::names::{
    is_guid, NameKind, ResourceGroupName, ResourceName, SubscriptionId, MAX_NAME_LEN,
    MAX_RESOURCE_GROUP_LEN,
};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    for kind in [NameKind::Connection, NameKind::Prefix, NameKind::MonitorTest] {
        match ResourceName::parse(kind, "name", s) {
            Ok(n) => {
                assert_eq!(n.as_str(), s);
                assert!(!s.is_empty() && s.len() <= MAX_NAME_LEN && !s.ends_with('.'));
                assert!(s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)));
                assert_eq!(n.key(), s.to_ascii_lowercase());
            }
            Err(f) => assert!(f.is_error() && f.target == "name" && !f.message.is_empty()),
        }
    }
    match ResourceGroupName::parse(s) {
        Ok(g) => {
            assert_eq!(g.as_str(), s);
            assert!(!s.is_empty() && s.chars().count() <= MAX_RESOURCE_GROUP_LEN);
            assert!(!s.ends_with('.'));
        }
        Err(f) => assert!(f.is_error()),
    }
    match SubscriptionId::parse(s) {
        Ok(id) => {
            assert!(is_guid(s));
            assert_eq!(id.as_str(), s.to_ascii_lowercase());
        }
        Err(f) => assert!(f.is_error() && !is_guid(s)),
    }
});

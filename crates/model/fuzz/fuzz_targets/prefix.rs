//! The prefix parser and value checks on arbitrary bytes: no panic; the reader agrees with the
//! reference model; anything accepted is spelt canonically and round-trips; the suggestion of a
//! not-canonical error is itself canonical (canonicalisation is idempotent).

#![no_main]

use libfuzzer_sys::fuzz_target;
use peering_model::connection::is_ip_or_host;
use peering_model::prefix::{check_prefix_key, check_prefix_value, Ipv4Prefix};
use peering_model::Code;

#[path = "../../tests/common/reference.rs"]
mod reference;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = Ipv4Prefix::parse(s);
    assert_eq!(parsed.clone().map_err(|f| f.code), reference::reference_parse(s), "{s:?}");
    match &parsed {
        Ok(p) => {
            assert_eq!(p.to_string(), s);
            assert_eq!(Ipv4Prefix::parse(&p.to_string()), Ok(*p));
        }
        Err(f) if f.code == Code::PrefixNotCanonical => {
            let (_, suggestion) = f.message.rsplit_once("did you mean ").expect("suggests");
            let suggestion = suggestion.trim_end_matches('?');
            let p = Ipv4Prefix::parse(suggestion).expect("the suggestion parses");
            assert_eq!(p.to_string(), suggestion);
        }
        Err(_) => {}
    }
    let (p, findings) = check_prefix_value(s);
    assert_eq!(p.is_some(), parsed.is_ok());
    assert!(p.is_some() || findings.has_errors());
    let _ = check_prefix_key(Some(s));
    let _ = is_ip_or_host(s);
});

//! IPv4 prefixes of a connection: parsing, canonical form, the public-address rule, overlap.

use crate::finding::{Code, Finding, Findings};
use crate::names::is_guid;
use std::fmt;
use std::str::FromStr;

pub const PREFIX_TARGET: &str = "properties.prefix";
pub const PREFIX_KEY_TARGET: &str = "properties.peeringServicePrefixKey";

/// The documented portal message for a prefix that is not IPv4 CIDR.
pub const DOC_INVALID_PREFIX: &str =
    "Invalid Peering Service prefix, the prefix should be valid format, only IPv4 prefix is supported currently.";

/// An IPv4 prefix in canonical form: host bits are zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv4Prefix {
    addr: u32,
    len: u8,
}

impl Ipv4Prefix {
    /// A prefix from an address and length, with host bits cleared.
    pub fn new_truncating(addr: u32, len: u8) -> Ipv4Prefix {
        let len = len.min(32);
        Ipv4Prefix {
            addr: addr & mask(len),
            len,
        }
    }

    pub fn addr(self) -> u32 {
        self.addr
    }

    pub fn len(self) -> u8 {
        self.len
    }

    /// The last address in the prefix.
    pub fn last(self) -> u32 {
        self.addr | !mask(self.len)
    }

    /// True when `other` lies inside `self` (or equals it).
    pub fn contains(self, other: Ipv4Prefix) -> bool {
        self.len <= other.len && (other.addr & mask(self.len)) == self.addr
    }

    pub fn overlaps(self, other: Ipv4Prefix) -> bool {
        self.contains(other) || other.contains(self)
    }

    /// Parse a prefix. Every way the text can be wrong becomes one finding with a message that
    /// names the fix; a prefix with host bits set suggests the canonical form.
    pub fn parse(s: &str) -> Result<Ipv4Prefix, Finding> {
        let invalid = |why: String| Finding::error(PREFIX_TARGET, Code::InvalidPrefix, why);
        if s.is_empty() {
            return Err(Finding::error(
                PREFIX_TARGET,
                Code::Required,
                "The prefix is required, in CIDR form such as 198.51.100.0/24 (IPv4 only).",
            ));
        }
        if s.contains(':') {
            return Err(invalid(format!(
                "{} '{}' looks like IPv6.",
                DOC_INVALID_PREFIX,
                shorten(s)
            )));
        }
        let lenient = parse_lenient(s.trim());
        let Some((addr, len, canonical_text)) = lenient else {
            return Err(invalid(format!(
                "{} '{}' is not of the form a.b.c.d/n.",
                DOC_INVALID_PREFIX,
                shorten(s)
            )));
        };
        let canonical = Ipv4Prefix::new_truncating(addr, len);
        if canonical.addr != addr {
            return Err(Finding::error(
                PREFIX_TARGET,
                Code::PrefixNotCanonical,
                format!("{} has host bits set; did you mean {canonical}?", shorten(s.trim())),
            ));
        }
        if !canonical_text || s != canonical.to_string() {
            return Err(Finding::error(
                PREFIX_TARGET,
                Code::PrefixNotCanonical,
                format!("'{}' is not in canonical form; did you mean {canonical}?", shorten(s)),
            ));
        }
        Ok(canonical)
    }
}

fn shorten(s: &str) -> String {
    const MAX: usize = 48;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    }
}

fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len.min(32)))
    }
}

/// Reads `a.b.c.d/n` accepting leading zeros and a missing `/n` (taken as /32); says whether
/// the text was already canonical in spelling (no leading zeros, length given).
fn parse_lenient(s: &str) -> Option<(u32, u8, bool)> {
    let (ip, len, has_len) = match s.split_once('/') {
        Some((ip, len)) => (ip, len, true),
        None => (s, "32", false),
    };
    let mut canonical = has_len;
    let number = |t: &str, max: u32, canonical: &mut bool| -> Option<u32> {
        if t.is_empty() || t.len() > 3 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if t.len() > 1 && t.starts_with('0') {
            *canonical = false;
        }
        let v: u32 = t.parse().ok()?;
        (v <= max).then_some(v)
    };
    let len = number(len, 32, &mut canonical)? as u8;
    let mut parts = ip.split('.');
    let mut addr = 0u32;
    for _ in 0..4 {
        addr = (addr << 8) | number(parts.next()?, 255, &mut canonical)?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some((addr, len, canonical))
}

impl fmt::Display for Ipv4Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.addr.to_be_bytes();
        write!(f, "{a}.{b}.{c}.{d}/{}", self.len)
    }
}

impl FromStr for Ipv4Prefix {
    type Err = Finding;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ipv4Prefix::parse(s)
    }
}

/// IANA special-purpose IPv4 blocks that are not globally reachable, plus multicast.
pub const NON_PUBLIC_BLOCKS: &[(&str, &str)] = &[
    ("0.0.0.0/8", "\"this network\""),
    ("10.0.0.0/8", "private use"),
    ("100.64.0.0/10", "shared address space (CGNAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link local"),
    ("172.16.0.0/12", "private use"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation (TEST-NET-1)"),
    ("192.168.0.0/16", "private use"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation (TEST-NET-2)"),
    ("203.0.113.0/24", "documentation (TEST-NET-3)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("255.255.255.255/32", "limited broadcast"),
];

fn non_public_blocks() -> impl Iterator<Item = (Ipv4Prefix, &'static str)> {
    NON_PUBLIC_BLOCKS.iter().map(|(p, what)| {
        let (addr, len, _) = parse_lenient(p).expect("constant blocks parse");
        (Ipv4Prefix { addr, len }, *what)
    })
}

/// The special-purpose block a prefix overlaps, if any.
pub fn non_public_block(p: Ipv4Prefix) -> Option<(Ipv4Prefix, &'static str)> {
    non_public_blocks().find(|(b, _)| b.overlaps(p))
}

/// Checks on a prefix value alone (no other prefixes): syntax, canonical form, public range,
/// and the longer-than-/24 warning.
pub fn check_prefix_value(s: &str) -> (Option<Ipv4Prefix>, Findings) {
    let mut findings = Findings::default();
    let p = match Ipv4Prefix::parse(s) {
        Ok(p) => p,
        Err(f) => {
            findings.push(f);
            return (None, findings);
        }
    };
    if let Some((block, what)) = non_public_block(p) {
        let relation = if block.contains(p) { "lies in" } else { "covers" };
        findings.push(Finding::error(
            PREFIX_TARGET,
            Code::PrefixNotPublic,
            format!("{p} {relation} {block} ({what}), which is not globally reachable; use a public IPv4 prefix."),
        ));
        return (Some(p), findings);
    }
    if p.len() > 24 {
        findings.push(Finding::warning(
            PREFIX_TARGET,
            Code::PrefixLongerThan24,
            format!("{p} is longer than /24; latency for it is approximated at /24, and the provider must register it for you."),
        ));
    }
    (Some(p), findings)
}

/// The optional prefix key: empty or a GUID.
pub fn check_prefix_key(key: Option<&str>) -> Option<Finding> {
    match key {
        None | Some("") => None,
        Some(k) if is_guid(k) => None,
        Some(k) => Some(Finding::error(
            PREFIX_KEY_TARGET,
            Code::InvalidPrefixKey,
            format!("The prefix key '{}' is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx); use the key your provider gave you.", shorten(k)),
        )),
    }
}

/// A prefix already stored in the subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingPrefix {
    pub prefix: Ipv4Prefix,
    pub connection: String,
    pub name: String,
}

/// How a candidate relates to an existing prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Equals,
    Contains,
    LiesInside,
}

/// The finding for a candidate that conflicts with an existing prefix.
pub fn overlap_finding(candidate: Ipv4Prefix, relation: Relation, existing: &ExistingPrefix) -> Finding {
    let verb = match relation {
        Relation::Equals => "is already registered as",
        Relation::Contains => "contains",
        Relation::LiesInside => "lies inside",
    };
    Finding::error(
        PREFIX_TARGET,
        Code::PrefixOverlaps,
        format!(
            "{candidate} {verb} {} (prefix '{}' of connection '{}'); prefixes of a subscription must not overlap.",
            existing.prefix, existing.name, existing.connection
        ),
    )
}

/// The relation of `candidate` to `existing`, if they overlap.
pub fn relation(candidate: Ipv4Prefix, existing: Ipv4Prefix) -> Option<Relation> {
    if candidate == existing {
        Some(Relation::Equals)
    } else if candidate.contains(existing) {
        Some(Relation::Contains)
    } else if existing.contains(candidate) {
        Some(Relation::LiesInside)
    } else {
        None
    }
}

/// The finding for a PUT that changes the value of an existing prefix.
pub fn immutable_finding(name: &str, stored: Ipv4Prefix, requested: Ipv4Prefix) -> Finding {
    Finding::error(
        PREFIX_TARGET,
        Code::PrefixImmutable,
        format!("Prefix '{name}' is {stored} and cannot be changed to {requested}; delete it and re-create it."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Ipv4Prefix {
        Ipv4Prefix::parse(s).unwrap()
    }

    #[test]
    fn parses_canonical_prefixes() {
        assert_eq!(p("8.8.8.0/24").to_string(), "8.8.8.0/24");
        assert_eq!(p("0.0.0.0/0").len(), 0);
        assert_eq!(p("1.2.3.4/32").addr(), 0x01020304);
    }

    #[test]
    fn suggests_the_canonical_form() {
        let e = Ipv4Prefix::parse("203.0.113.7/24").unwrap_err();
        assert_eq!(e.code, Code::PrefixNotCanonical);
        assert_eq!(e.message, "203.0.113.7/24 has host bits set; did you mean 203.0.113.0/24?");
        let e = Ipv4Prefix::parse("8.8.8.8").unwrap_err();
        assert_eq!(e.message, "'8.8.8.8' is not in canonical form; did you mean 8.8.8.8/32?");
        let e = Ipv4Prefix::parse("8.8.08.0/24").unwrap_err();
        assert_eq!(e.code, Code::PrefixNotCanonical);
    }

    #[test]
    fn rejects_ipv6_and_garbage() {
        for s in ["2001:db8::/32", "1.2.3/24", "1.2.3.4/33", "a.b.c.d/8", "1.2.3.4/", "256.0.0.0/8"] {
            let e = Ipv4Prefix::parse(s).unwrap_err();
            assert_eq!(e.code, Code::InvalidPrefix, "{s}");
            assert!(e.message.starts_with(DOC_INVALID_PREFIX));
        }
    }

    #[test]
    fn non_public_ranges_are_refused() {
        for s in ["10.1.0.0/16", "192.168.1.0/24", "224.0.0.0/8", "0.0.0.0/0", "100.64.0.0/10", "255.255.255.255/32"] {
            let (_, f) = check_prefix_value(s);
            assert_eq!(f.first_error().unwrap().code, Code::PrefixNotPublic, "{s}");
        }
        let (_, f) = check_prefix_value("8.0.0.0/7");
        assert!(f.is_empty(), "{f:?}");
        let (_, f) = check_prefix_value("8.0.0.0/6");
        assert_eq!(f.first_error().unwrap().message, "8.0.0.0/6 covers 10.0.0.0/8 (private use), which is not globally reachable; use a public IPv4 prefix.");
    }

    #[test]
    fn long_prefixes_warn_without_blocking() {
        let (p, f) = check_prefix_value("8.8.8.0/25");
        assert!(p.is_some());
        assert!(!f.has_errors());
        assert_eq!(f.0[0].code, Code::PrefixLongerThan24);
    }
}

//! IPv4 prefixes of a connection: parsing, canonical form, the public-address rule, overlap.

use crate::finding::{Code, Finding, Findings};
use crate::names::is_guid;
use std::fmt;
use std::str::FromStr;

use crate::targets::{PREFIX as PREFIX_TARGET, PREFIX_KEY as PREFIX_KEY_TARGET};

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

    /// The prefix length (0–32), not a size: there is no `is_empty`.
    #[allow(clippy::len_without_is_empty)]
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
                "The prefix is required: enter an IPv4 prefix in CIDR form a.b.c.d/n.",
            ));
        }
        if s.contains(':') {
            return Err(invalid(format!(
                "{} '{}' is an IPv6 prefix; enter an IPv4 prefix in CIDR form a.b.c.d/n.",
                DOC_INVALID_PREFIX,
                shorten(s)
            )));
        }
        let lenient = parse_lenient(s.trim());
        let Some((addr, len, canonical_text)) = lenient else {
            return Err(invalid(format!(
                "{} '{}' is not of the form a.b.c.d/n; use four numbers 0–255 and a length 0–32.",
                DOC_INVALID_PREFIX,
                shorten(s)
            )));
        };
        let canonical = Ipv4Prefix::new_truncating(addr, len);
        if canonical.addr != addr {
            return Err(Finding::error(
                PREFIX_TARGET,
                Code::PrefixNotCanonical,
                format!(
                    "{} has host bits set; did you mean {canonical}?",
                    shorten(s.trim())
                ),
            ));
        }
        // With no leading zeros and an explicit length, the text can differ from the canonical
        // spelling only by surrounding space: checked without formatting the prefix.
        if !canonical_text || s.len() != s.trim().len() {
            return Err(Finding::error(
                PREFIX_TARGET,
                Code::PrefixNotCanonical,
                format!(
                    "'{}' is not in canonical form; did you mean {canonical}?",
                    shorten(s)
                ),
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
/// the text was already canonical in spelling (no leading zeros, length given). Each number
/// has one to three digits. One pass over the bytes, no allocation.
fn parse_lenient(s: &str) -> Option<(u32, u8, bool)> {
    let b = s.as_bytes();
    let mut canonical = true;
    let mut addr = 0u32;
    let mut i = 0;
    for part in 0..4 {
        let (v, next) = read_number(b, i, &mut canonical)?;
        if v > 255 {
            return None;
        }
        addr = (addr << 8) | v;
        i = next;
        if part < 3 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    match b.get(i) {
        None => Some((addr, 32, false)),
        Some(b'/') => {
            let (len, end) = read_number(b, i + 1, &mut canonical)?;
            (end == b.len() && len <= 32).then_some((addr, len as u8, canonical))
        }
        Some(_) => None,
    }
}

/// One to three decimal digits at `start`; a fourth digit makes the text invalid. A leading
/// zero (in more than one digit) marks the text as not canonical.
fn read_number(b: &[u8], start: usize, canonical: &mut bool) -> Option<(u32, usize)> {
    let mut v = 0u32;
    let mut i = start;
    while i < b.len() && b[i].is_ascii_digit() {
        if i - start == 3 {
            return None;
        }
        v = v * 10 + u32::from(b[i] - b'0');
        i += 1;
    }
    if i == start {
        return None;
    }
    if i - start > 1 && b[start] == b'0' {
        *canonical = false;
    }
    Some((v, i))
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

/// [`NON_PUBLIC_BLOCKS`] as numbers, in the same order (a unit test keeps the two in step).
const NON_PUBLIC: [(u32, u8); 15] = [
    (0x0000_0000, 8),
    (0x0A00_0000, 8),
    (0x6440_0000, 10),
    (0x7F00_0000, 8),
    (0xA9FE_0000, 16),
    (0xAC10_0000, 12),
    (0xC000_0000, 24),
    (0xC000_0200, 24),
    (0xC0A8_0000, 16),
    (0xC612_0000, 15),
    (0xC633_6400, 24),
    (0xCB00_7100, 24),
    (0xE000_0000, 4),
    (0xF000_0000, 4),
    (0xFFFF_FFFF, 32),
];

/// The special-purpose block a prefix overlaps, if any: the most specific block that contains
/// it (255.255.255.255/32 is the limited broadcast address more than it is in 240.0.0.0/4),
/// else the first block it covers.
pub fn non_public_block(p: Ipv4Prefix) -> Option<(Ipv4Prefix, &'static str)> {
    let mut found: Option<(Ipv4Prefix, &'static str)> = None;
    for (&(addr, len), &(_, what)) in NON_PUBLIC.iter().zip(NON_PUBLIC_BLOCKS) {
        let b = Ipv4Prefix { addr, len };
        if !b.overlaps(p) {
            continue;
        }
        match found {
            None => found = Some((b, what)),
            Some((f, _)) if b.contains(p) && (!f.contains(p) || b.len > f.len) => {
                found = Some((b, what))
            }
            Some(_) => {}
        }
    }
    found
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
        let message = if block == p {
            format!("{p} is the {what} block, which is not globally reachable; use a public IPv4 prefix.")
        } else {
            let relation = if block.contains(p) {
                "lies in"
            } else {
                "covers"
            };
            format!("{p} {relation} {block} ({what}), which is not globally reachable; use a public IPv4 prefix.")
        };
        findings.push(Finding::error(
            PREFIX_TARGET,
            Code::PrefixNotPublic,
            message,
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

/// A prefix already stored in the subscription. A prefix resource is identified by its
/// resource group, its connection and its name, compared as ARM compares them: the resource
/// group by its Unicode lower case, the names by their ASCII lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingPrefix {
    pub prefix: Ipv4Prefix,
    /// The resource group of the connection.
    pub resource_group: String,
    pub connection: String,
    pub name: String,
}

impl ExistingPrefix {
    /// Whether this is the prefix `name` of connection `connection` in `resource_group`.
    pub fn is(&self, resource_group: &str, connection: &str, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            && self.connection.eq_ignore_ascii_case(connection)
            && same_resource_group(&self.resource_group, resource_group)
    }
}

/// Whether two resource group names are the same resource group: ARM compares them without
/// case, Unicode letters included (the same key as [`crate::names::ResourceGroupName::key`]).
pub fn same_resource_group(a: &str, b: &str) -> bool {
    // Equal ignoring ASCII case implies equal lower case; two ASCII names are equal exactly
    // then. Only a non-ASCII name needs the Unicode lower case.
    a.eq_ignore_ascii_case(b)
        || (!(a.is_ascii() && b.is_ascii()) && a.to_lowercase() == b.to_lowercase())
}

/// How a candidate relates to an existing prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Equals,
    Contains,
    LiesInside,
}

/// The finding for a candidate that conflicts with an existing prefix.
pub fn overlap_finding(
    candidate: Ipv4Prefix,
    relation: Relation,
    existing: &ExistingPrefix,
) -> Finding {
    let verb = match relation {
        Relation::Equals => "is already registered as",
        Relation::Contains => "contains",
        Relation::LiesInside => "lies inside",
    };
    Finding::error(
        PREFIX_TARGET,
        Code::PrefixOverlaps,
        format!(
            "{candidate} {verb} {} (prefix '{}' of connection '{}/{}'); prefixes of a subscription must not overlap.",
            existing.prefix, existing.name, existing.resource_group, existing.connection
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

/// The finding for a PUT that changes the value of an existing prefix. `stored` is the stored
/// value: an [`Ipv4Prefix`], or the stored text when it does not parse.
pub fn immutable_finding(
    name: &str,
    stored: impl std::fmt::Display,
    requested: Ipv4Prefix,
) -> Finding {
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
        assert_eq!(
            e.message,
            "203.0.113.7/24 has host bits set; did you mean 203.0.113.0/24?"
        );
        let e = Ipv4Prefix::parse("8.8.8.8").unwrap_err();
        assert_eq!(
            e.message,
            "'8.8.8.8' is not in canonical form; did you mean 8.8.8.8/32?"
        );
        let e = Ipv4Prefix::parse("8.8.08.0/24").unwrap_err();
        assert_eq!(e.code, Code::PrefixNotCanonical);
    }

    #[test]
    fn rejects_ipv6_and_garbage() {
        for s in [
            "2001:db8::/32",
            "1.2.3/24",
            "1.2.3.4/33",
            "a.b.c.d/8",
            "1.2.3.4/",
            "256.0.0.0/8",
        ] {
            let e = Ipv4Prefix::parse(s).unwrap_err();
            assert_eq!(e.code, Code::InvalidPrefix, "{s}");
            assert!(e.message.starts_with(DOC_INVALID_PREFIX));
        }
    }

    #[test]
    fn non_public_ranges_are_refused() {
        for s in [
            "10.1.0.0/16",
            "192.168.1.0/24",
            "224.0.0.0/8",
            "0.0.0.0/0",
            "100.64.0.0/10",
            "255.255.255.255/32",
        ] {
            let (_, f) = check_prefix_value(s);
            assert_eq!(f.first_error().unwrap().code, Code::PrefixNotPublic, "{s}");
        }
        let (_, f) = check_prefix_value("8.0.0.0/7");
        assert!(f.is_empty(), "{f:?}");
        let (_, f) = check_prefix_value("8.0.0.0/6");
        assert_eq!(f.first_error().unwrap().message, "8.0.0.0/6 covers 10.0.0.0/8 (private use), which is not globally reachable; use a public IPv4 prefix.");
    }

    #[test]
    fn numeric_blocks_match_their_text() {
        assert_eq!(NON_PUBLIC.len(), NON_PUBLIC_BLOCKS.len());
        for (&(addr, len), (text, _)) in NON_PUBLIC.iter().zip(NON_PUBLIC_BLOCKS) {
            assert_eq!(Ipv4Prefix { addr, len }, p(text), "{text}");
        }
    }

    #[test]
    fn surrounding_space_is_not_canonical() {
        let e = Ipv4Prefix::parse(" 8.8.8.0/24").unwrap_err();
        assert_eq!(e.code, Code::PrefixNotCanonical);
        assert_eq!(
            e.message,
            "' 8.8.8.0/24' is not in canonical form; did you mean 8.8.8.0/24?"
        );
    }

    #[test]
    fn long_prefixes_warn_without_blocking() {
        let (p, f) = check_prefix_value("8.8.8.0/25");
        assert!(p.is_some());
        assert!(!f.has_errors());
        assert_eq!(f.0[0].code, Code::PrefixLongerThan24);
    }

    #[test]
    fn prefix_identity_includes_the_resource_group() {
        let e = ExistingPrefix {
            prefix: p("8.8.8.0/24"),
            resource_group: "Rg-Ü".into(),
            connection: "Conn".into(),
            name: "Web".into(),
        };
        assert!(e.is("rg-ü", "CONN", "web"));
        assert!(!e.is("other", "Conn", "Web"));
        assert!(!e.is("Rg-Ü", "other", "Web"));
        assert!(!e.is("Rg-Ü", "Conn", "other"));
        assert!(same_resource_group("ΣΑΣ", "σας") && same_resource_group("RG", "rg"));
        assert!(!same_resource_group("rg1", "rg2") && !same_resource_group("rgü", "rgu"));
        let f = overlap_finding(p("8.8.8.0/25"), Relation::LiesInside, &e);
        assert_eq!(f.message, "8.8.8.0/25 lies inside 8.8.8.0/24 (prefix 'Web' of connection 'Rg-Ü/Conn'); prefixes of a subscription must not overlap.");
        // The stored text of a value that no longer parses is named as it is.
        assert_eq!(
            immutable_finding("web", "8.8.8.0/23x", p("8.8.8.0/24")).message,
            "Prefix 'web' is 8.8.8.0/23x and cannot be changed to 8.8.8.0/24; delete it and re-create it."
        );
    }
}

//! A reference model of `Ipv4Prefix::parse`, shared by the property tests and the fuzz target
//! (`fuzz/fuzz_targets/prefix.rs`) for differential testing.

use peering_model::prefix::Ipv4Prefix;
use peering_model::Code;

/// The prefix reader as first written (split on '/' and '.', `str::parse` per number): the
/// single-pass reader in `prefix.rs` must accept and classify exactly the same texts.
pub fn reference_parse(s: &str) -> Result<Ipv4Prefix, Code> {
    fn lenient(s: &str) -> Option<(u32, u8, bool)> {
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
    if s.is_empty() {
        return Err(Code::Required);
    }
    if s.contains(':') {
        return Err(Code::InvalidPrefix);
    }
    let (addr, len, canonical) = lenient(s.trim()).ok_or(Code::InvalidPrefix)?;
    let p = Ipv4Prefix::new_truncating(addr, len);
    if p.addr() != addr || !canonical || s != p.to_string() {
        return Err(Code::PrefixNotCanonical);
    }
    Ok(p)
}

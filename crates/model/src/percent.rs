//! Percent-encoding of one path segment or query value, and decoding. Kept: RFC 3986's
//! unreserved characters and `( )` (which resource group names may hold); every other byte of
//! the UTF-8 text is `%XX`. So an encoded name never holds a `/`, `?`, `#`, `&` or `=`, and
//! decoding gives back exactly the name.

use std::fmt;

/// Whether a byte stays as it is in a path segment: RFC 3986 unreserved, and `( )`.
fn is_kept(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'(' | b')')
}

/// A string written percent-encoded as one path segment (or one query value), without
/// allocating.
pub struct Encoded<'a>(pub &'a str);

impl fmt::Display for Encoded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut rest = self.0;
        while !rest.is_empty() {
            let kept = rest.bytes().take_while(|b| is_kept(*b)).count();
            f.write_str(&rest[..kept])?;
            rest = &rest[kept..];
            let encoded = rest.bytes().take_while(|b| !is_kept(*b)).count();
            for b in rest[..encoded].bytes() {
                let hex = [b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]];
                // Always ASCII.
                f.write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)?;
            }
            rest = &rest[encoded..];
        }
        Ok(())
    }
}

/// `s` percent-encoded as one path segment.
pub fn encode_segment(s: &str) -> String {
    Encoded(s).to_string()
}

/// Percent-decodes one segment; `None` when the bytes are not UTF-8. A `%` not followed by two
/// hex digits stays as it is (as browsers and `percent-encoding` do).
pub fn decode(s: &str) -> Option<String> {
    decode_cow(s).map(std::borrow::Cow::into_owned)
}

/// [`decode`] without a copy when there is nothing to decode.
pub fn decode_cow(s: &str) -> Option<std::borrow::Cow<'_, str>> {
    if !s.contains('%') {
        return Some(std::borrow::Cow::Borrowed(s));
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(hi << 4 | lo);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok().map(std::borrow::Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_keeps_only_unreserved_characters_and_parentheses() {
        assert_eq!(encode_segment("a-b.c_d~e(f)"), "a-b.c_d~e(f)");
        assert_eq!(
            encode_segment("a b/c?d#e&f=g%ü"),
            "a%20b%2Fc%3Fd%23e%26f%3Dg%25%C3%BC"
        );
        assert_eq!(decode("a%20b%2Fc%3fd%C3%BC"), Some("a b/c?dü".to_owned()));
        assert_eq!(decode("%C3"), None, "not UTF-8");
    }
}

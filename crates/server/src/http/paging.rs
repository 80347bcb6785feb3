//! Key-set paging: a page ends after `size` items and `nextLink` carries the last key, so a
//! page never repeats or skips an item that was there the whole time, even while others are
//! created or deleted between pages.

use crate::error::{ApiError, ApiResult};
use peering_model::targets;
use std::collections::HashMap;

pub const DEFAULT_PAGE_SIZE: usize = 100;
pub const MAX_PAGE_SIZE: usize = 1000;

#[derive(Debug, Clone)]
pub struct PageRequest {
    pub size: usize,
    /// The key of the last item of the previous page.
    pub after: Option<(String, String)>,
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<String> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let bytes = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    // A key is a name, which never holds a control character; a made-up token with one (a NUL
    // that PostgreSQL would refuse) is not one this server issued.
    String::from_utf8(bytes)
        .ok()
        .filter(|s| !s.chars().any(char::is_control))
}

pub fn encode_token(key: &(String, String)) -> String {
    format!("{}.{}", hex(&key.0), hex(&key.1))
}

impl PageRequest {
    pub fn from_query(q: &HashMap<String, String>) -> ApiResult<PageRequest> {
        let size = match q.get(targets::TOP) {
            None => DEFAULT_PAGE_SIZE,
            Some(t) => match t.parse::<usize>() {
                Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
                _ => {
                    return Err(ApiError::bad_request(
                        "InvalidParameter",
                        format!(
                            "$top must be a whole number from 1 to {MAX_PAGE_SIZE}, not '{t}'."
                        ),
                    )
                    .with_target(targets::TOP))
                }
            },
        };
        let after = match q.get(targets::SKIP_TOKEN.to_ascii_lowercase().as_str()) {
            None => None,
            Some(t) => {
                let bad = || {
                    ApiError::bad_request("InvalidSkipToken", "The $skipToken is not one this server issued; start the list again without it.")
                        .with_target(targets::SKIP_TOKEN)
                };
                let (a, b) = t.split_once('.').ok_or_else(bad)?;
                Some((unhex(a).ok_or_else(bad)?, unhex(b).ok_or_else(bad)?))
            }
        };
        Ok(PageRequest { size, after })
    }
}

pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<(String, String)>,
}

impl<T> Page<T> {
    /// `rows` holds up to `size + 1` items; the extra one only says there is a next page.
    pub fn cut(mut rows: Vec<T>, size: usize, key: impl Fn(&T) -> (String, String)) -> Page<T> {
        let more = rows.len() > size;
        rows.truncate(size);
        let next = if more { rows.last().map(key) } else { None };
        Page { items: rows, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        let key = ("rg (1)".to_owned(), "naïve".to_owned());
        let mut q = HashMap::new();
        q.insert("$skiptoken".to_owned(), encode_token(&key));
        assert_eq!(PageRequest::from_query(&q).unwrap().after, Some(key));
        q.insert("$skiptoken".to_owned(), "zz".to_owned());
        assert!(PageRequest::from_query(&q).is_err());
    }
}

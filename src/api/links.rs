//! Where `nextLink`s may lead: only to the API's own origin, so the token never goes elsewhere.

use super::{ApiError, ErrorKind};
use crate::state::Config;

/// The base `nextLink`s are resolved against and whose origin they must keep: the configured
/// API base, or this page's origin when the API is on the same origin.
pub fn api_origin_base(config: &Config) -> String {
    if config.api_base.is_empty() {
        web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default()
    } else {
        config.api_base.clone()
    }
}

/// A `nextLink` resolved as a URL against the API base, accepted only when it keeps the API's
/// origin (scheme, host and port); returns the absolute URL to fetch. Resolving (rather than
/// comparing strings) is what the browser will do with it, so `/\host`, a tab inside `//`,
/// `//host` and other ports are refused as what they are: another origin.
pub fn checked_next(api_origin_base: &str, link: &str) -> Result<String, ApiError> {
    let refused = || {
        ApiError::new(
            ErrorKind::UntrustedLink,
            "UntrustedNextLink",
            format!(
                "The server's next page link ({}) does not lead to {api_origin_base}; the list was not followed there. If the server is reached under another name or behind a proxy, start it with --public-url set to the address this page uses.",
                link.escape_debug()
            ),
        )
    };
    let base = web_sys::Url::new(api_origin_base).map_err(|_| refused())?;
    let next = web_sys::Url::new_with_base(link, api_origin_base).map_err(|_| refused())?;
    let origin = base.origin();
    if origin != "null" && next.origin() == origin {
        Ok(next.href())
    } else {
        Err(refused())
    }
}

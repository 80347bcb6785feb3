//! The server's settings: what the command line (or a test) decides, checked once.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Settings beyond the store and the tokens.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The built app (`dist/`), served for every path that is not an API path.
    pub static_dir: Option<PathBuf>,
    /// Origins allowed to frame the app (CSP `frame-ancestors`); empty means `'none'`.
    pub frame_ancestors: Vec<String>,
    /// Request bodies larger than this get 413.
    pub body_limit: usize,
    /// Origins allowed to call the API from a browser (CORS); empty means CORS is off.
    pub cors_origins: Vec<String>,
    /// Requests per second allowed per token, and failed authentications per second per
    /// client address; None means no limit.
    pub rate_limit: Option<u32>,
    /// The clock of the rate limit. Tests stop it (a function returning one fixed instant), so
    /// what passes does not depend on how fast the machine runs the requests.
    pub clock: fn() -> Instant,
    /// The public base URL of the API (`--public-url`, checked by [`parse_public_url`]), used
    /// for every `nextLink`. None: the address the client connected to (one of ours), never
    /// the request's `Host`.
    pub public_url: Option<String>,
    /// The longest a request may take, from its first byte to its answer (408 after).
    pub request_timeout: Duration,
    /// The longest a client may take to send a request's headers (the connection is closed).
    pub header_timeout: Duration,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// How long a shutdown waits for requests in flight.
    pub drain_timeout: Duration,
    /// Where CSP violation reports are appended (`--csp-report-log`); None: the policy asks
    /// for no reports.
    pub csp_report_log: Option<PathBuf>,
    /// Now, in Unix seconds: what telemetry retention counts from. Tests set a fixed time.
    pub wall_clock: fn() -> i64,
    /// How long each kind of telemetry is kept.
    pub retention: Retention,
    /// Proxies (`--trusted-proxy`) whose `Forwarded` / `X-Forwarded-For` name the client's
    /// address; anyone else's are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Origins the app's pages may fetch from besides their own (CSP `connect-src`): the
    /// identity provider's, so the console can sign in.
    pub connect_sources: Vec<String>,
}

/// How long telemetry is kept, per kind, in seconds. Latency is kept at three bucket widths;
/// each sample is in all three from the start, so removing a finer bucket past its window
/// loses nothing a coarser one does not hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retention {
    /// One-minute buckets (what the 6-hour window shows).
    pub latency_minute: i64,
    /// Five-minute buckets (12 hours and 1 day).
    pub latency_five_minutes: i64,
    /// One-hour buckets (7 and 30 days).
    pub latency_hour: i64,
    /// The newest events kept per prefix (a count: events are read newest first).
    pub events_per_prefix: usize,
    /// The newest results kept per monitor test.
    pub results_per_test: usize,
    /// How long the activity log keeps a record (`--keep-activity`), in seconds.
    pub activity_secs: i64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            latency_minute: 7 * 3600,
            latency_five_minutes: 25 * 3600,
            latency_hour: 31 * 86_400,
            events_per_prefix: 1000,
            results_per_test: 1000,
            // As long as Azure keeps its Activity Log.
            activity_secs: 90 * 86_400,
        }
    }
}

/// `90m`, `7h`, `31d` (or plain seconds) as seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = n
        .parse()
        .map_err(|_| format!("'{s}' is not a duration such as 90m, 7h or 31d"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("'{s}' is not a duration such as 90m, 7h or 31d")),
    };
    n.checked_mul(scale)
        .ok_or_else(|| format!("'{s}' is too long"))
}

impl Retention {
    /// Refuses a retention shorter than what the longest window its tier serves reads (the
    /// window, one of its buckets and one of the tier's: a chart would lose its oldest
    /// bucket), a count of zero, or one over a million.
    pub fn check(&self) -> Result<(), String> {
        for (what, kept, needed) in [
            ("--keep-latency-1m", self.latency_minute, 6 * 3600 + 60 + 60),
            (
                "--keep-latency-5m",
                self.latency_five_minutes,
                86_400 + 300 + 300,
            ),
            (
                "--keep-latency-1h",
                self.latency_hour,
                30 * 86_400 + 4 * 3600 + 3600,
            ),
        ] {
            if kept < needed {
                return Err(format!(
                    "{what} keeps {kept} s, less than the {needed} s of the longest window it serves"
                ));
            }
        }
        if self.activity_secs < 3600 {
            return Err(format!(
                "--keep-activity keeps {} s; it keeps at least an hour",
                self.activity_secs
            ));
        }
        if !(1..=1_000_000).contains(&self.events_per_prefix)
            || !(1..=1_000_000).contains(&self.results_per_test)
        {
            return Err("--keep-events and --keep-monitor-results are from 1 to 1,000,000".into());
        }
        Ok(())
    }

    /// How long buckets of `tier` seconds are kept.
    pub fn of_tier(&self, tier: i64) -> i64 {
        match tier {
            60 => self.latency_minute,
            300 => self.latency_five_minutes,
            _ => self.latency_hour,
        }
    }
}

/// The system clock in Unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            static_dir: None,
            frame_ancestors: Vec::new(),
            body_limit: 1024 * 1024,
            cors_origins: Vec::new(),
            rate_limit: None,
            clock: Instant::now,
            public_url: None,
            request_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
            drain_timeout: Duration::from_secs(30),
            csp_report_log: None,
            wall_clock: unix_now,
            retention: Retention::default(),
            trusted_proxies: Vec::new(),
            connect_sources: Vec::new(),
        }
    }
}

impl Settings {
    /// Whether the API is served over https (then responses carry HSTS).
    pub fn is_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

/// Checks a `--public-url`: `http://` or `https://`, a host (a name, an IPv4 address or a
/// bracketed IPv6 address), an optional port (1–65535) and an optional path; no user info,
/// query or fragment. Returns it without a trailing `/`, as the base that request paths
/// (`/subscriptions/...`) are appended to.
pub fn parse_public_url(s: &str) -> Result<String, String> {
    let bad = |why: &str| {
        format!("--public-url '{s}' is not a base URL such as https://peering.example.com or https://example.com:8443/peering: {why}")
    };
    let lower = s.to_ascii_lowercase();
    let (scheme, rest) = if lower.starts_with("https://") {
        ("https", &s[8..])
    } else if lower.starts_with("http://") {
        ("http", &s[7..])
    } else {
        return Err(bad("it must start with http:// or https://"));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(bad("it must not hold a user name or password"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("an IPv6 address needs its closing ']'"))?;
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad("the address in [...] is not an IPv6 address"));
        }
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| bad("only ':port' may follow the IPv6 address"))?,
            ),
        };
        (authority, port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let host_ok = host.starts_with('[')
        || (!host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            }));
    if !host_ok {
        return Err(bad(
            "the host must be a name such as peering.example.com or an IP address",
        ));
    }
    if let Some(p) = port {
        if !(p.bytes().all(|b| b.is_ascii_digit()) && matches!(p.parse::<u32>(), Ok(1..=65535))) {
            return Err(bad("the port must be a number from 1 to 65535"));
        }
    }
    if let Some(c) = path
        .chars()
        .find(|c| !c.is_ascii_graphic() || matches!(c, '?' | '#'))
    {
        return Err(bad(&format!(
            "the path must not hold {c:?} (no query, fragment, spaces or non-ASCII characters)"
        )));
    }
    Ok(format!(
        "{scheme}://{authority}{}",
        path.trim_end_matches('/')
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_retention_are_checked() {
        assert_eq!(parse_duration("90m"), Ok(5400));
        assert_eq!(parse_duration("7h"), Ok(25_200));
        assert_eq!(parse_duration("31d"), Ok(2_678_400));
        assert_eq!(parse_duration("45"), Ok(45));
        assert!(parse_duration("7 hours").is_err());
        assert!(parse_duration("h").is_err());
        assert!(Retention::default().check().is_ok());
        let short = Retention {
            latency_minute: 3600,
            ..Retention::default()
        };
        assert!(short.check().unwrap_err().contains("--keep-latency-1m"));
        let none = Retention {
            events_per_prefix: 0,
            ..Retention::default()
        };
        assert!(none.check().is_err());
    }

    #[test]
    fn public_urls_are_checked_and_lose_their_trailing_slash() {
        for (given, base) in [
            ("https://peering.example.com", "https://peering.example.com"),
            (
                "https://peering.example.com/",
                "https://peering.example.com",
            ),
            ("HTTP://127.0.0.1:8080", "http://127.0.0.1:8080"),
            (
                "https://example.com:8443/peering/api/",
                "https://example.com:8443/peering/api",
            ),
            ("http://[::1]:8080/x", "http://[::1]:8080/x"),
            ("http://[2001:db8::1]", "http://[2001:db8::1]"),
            ("https://my-host", "https://my-host"),
        ] {
            assert_eq!(parse_public_url(given).as_deref(), Ok(base), "{given}");
        }
        for bad in [
            "",
            "peering.example.com",
            "ftp://peering.example.com",
            "https://",
            "https:///path",
            "https://user:pw@peering.example.com",
            "https://peering.example.com:0",
            "https://peering.example.com:65536",
            "https://peering.example.com:",
            "https://peering.example.com:80x",
            "https://peering..example.com",
            "https://peer_ing.example.com",
            "https://peering.example.com/a?b=c",
            "https://peering.example.com/a#top",
            "https://peering.example.com/a b",
            "https://peering.example.com/ü",
            "http://[::1",
            "http://[not-v6]:80",
            "http://[::1]x",
        ] {
            let e = parse_public_url(bad).unwrap_err();
            assert!(
                e.starts_with(&format!("--public-url '{bad}' is not a base URL")),
                "{bad}: {e}"
            );
        }
    }
}

//! Latency: the samples a collector sends, and the series the server answers per window.

use super::{err, fields, prefix, text, ItemError};
use crate::prefix::Ipv4Prefix;
use serde::{Deserialize, Serialize};

/// One latency measurement: a client in `prefix` to the Microsoft edge, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LatencySample {
    pub prefix: String,
    pub timestamp: String,
    pub rtt_ms: f64,
    /// Who measured (an agent, a client population).
    pub source: String,
}

/// The prefix latency is kept for: the prefix itself, or its /24 when it is longer (as the
/// portal approximates them).
pub fn latency_prefix(p: Ipv4Prefix) -> Ipv4Prefix {
    if p.len() > 24 {
        Ipv4Prefix::new_truncating(p.addr(), 24)
    } else {
        p
    }
}

/// The longest round trip accepted, in milliseconds (ten minutes: anything longer is a
/// broken clock, not a measurement).
pub const MAX_RTT_MS: f64 = 600_000.0;

impl LatencySample {
    /// Checks the item; `Ok` is the prefix the sample is kept under.
    pub fn check(&self) -> Result<Ipv4Prefix, Vec<ItemError>> {
        let mut errors = Vec::new();
        let p = prefix(&self.prefix).map_err(|e| errors.push(e)).ok();
        if !self.rtt_ms.is_finite() || !(0.0..=MAX_RTT_MS).contains(&self.rtt_ms) {
            errors.push(err(
                fields::RTT_MS,
                format!("The round trip is a number of milliseconds from 0 to {MAX_RTT_MS}."),
            ));
        }
        text(fields::SOURCE, "source", &self.source, &mut errors);
        match p {
            Some(p) if errors.is_empty() => Ok(latency_prefix(p)),
            _ => Err(errors),
        }
    }
}

wire_enum! {
    /// The windows a latency chart offers (the portal's "Show data for last").
    pub enum Window {
        Hours6 = "6h",
        Hours12 = "12h",
        Day1 = "1d",
        Days7 = "7d",
        Days30 = "30d",
    }
}

impl Window {
    /// How far back the window reaches, in seconds.
    pub const fn seconds(self) -> i64 {
        match self {
            Window::Hours6 => 6 * 3600,
            Window::Hours12 => 12 * 3600,
            Window::Day1 => 86_400,
            Window::Days7 => 7 * 86_400,
            Window::Days30 => 30 * 86_400,
        }
    }

    /// The width of one bucket of its series: a few hundred buckets per window.
    pub const fn bucket_seconds(self) -> i64 {
        match self {
            Window::Hours6 => 60,
            Window::Hours12 | Window::Day1 => 300,
            Window::Days7 => 3600,
            Window::Days30 => 4 * 3600,
        }
    }

    /// What the console's selector says.
    pub const fn label(self) -> &'static str {
        match self {
            Window::Hours6 => "6 hours",
            Window::Hours12 => "12 hours",
            Window::Day1 => "1 day",
            Window::Days7 => "7 days",
            Window::Days30 => "30 days",
        }
    }
}

/// One bucket of a latency series: the samples from `start` (Unix seconds) for one bucket
/// width. Buckets without samples are not sent: a chart shows a gap there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencyBucket {
    pub start: i64,
    pub count: u64,
    pub min: f64,
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
}

/// A prefix's latency over a window (the `peeringServicePrefixLatency` extension).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencySeries {
    /// The prefix the samples are kept under (a /24 for a longer prefix).
    pub prefix: String,
    pub window: Window,
    pub bucket_seconds: i64,
    /// The window's start and end (Unix seconds); buckets lie in between, oldest first.
    pub from: i64,
    pub to: i64,
    pub buckets: Vec<LatencyBucket>,
}

//! What the telemetry operations of [`super::Store`] take and answer.

use peering_model::prefix::Ipv4Prefix;

/// A checked route observation and when it was made (UTC RFC 3339 with milliseconds, so
/// text order is time order).
#[derive(Debug, Clone)]
pub struct Observed {
    pub route: peering_model::observation::Route,
    pub at: String,
}

/// A provider's registration of a customer prefix's key (None: withdrawn).
#[derive(Debug, Clone)]
pub struct RegisteredKey {
    pub provider: String,
    pub prefix: Ipv4Prefix,
    pub key: Option<String>,
    pub at: String,
}

/// A checked monitor test result (`at` as for [`Observed`]).
#[derive(Debug, Clone)]
pub struct MonitorRun {
    pub resource_group: String,
    pub peering_service: String,
    pub test: String,
    pub at: String,
    pub success: bool,
    pub hops: Vec<String>,
    pub rtt_ms: Option<f64>,
}

/// One folded latency bucket: the prefix its samples are kept under, the tier (bucket width
/// in seconds), the bucket's start, and its sketch.
pub type LatencyRow = (Ipv4Prefix, i64, i64, sketches_ddsketch::DDSketch);

/// A webhook delivery that is due: where, what (the exact bytes to sign and send), and how
/// many attempts it has had.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: i64,
    pub url: String,
    pub body: String,
    pub attempts: u32,
}

/// One attempt at a delivery: when (Unix seconds), the answer's status or the error, and what
/// follows: delivered, another attempt at `retry_at`, or (neither) given up.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: i64,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub delivered: bool,
    pub retry_at: Option<i64>,
}

/// What an ingestion did: items stored, items older than (or the same as) what was stored
/// and so skipped, prefixes re-evaluated, and events made.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestReport {
    pub accepted: usize,
    pub stale: usize,
    pub reevaluated: usize,
    pub events: usize,
}

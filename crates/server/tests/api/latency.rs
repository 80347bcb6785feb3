//! Latency: samples in, quantile series out, per window; longer prefixes at /24; retention
//! by tier with an injectable clock (nothing is lost before its retention ends).

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicI64, Ordering};

/// 2026-11-30T12:00:00Z.
const T: i64 = 1_796_040_000;
static NOW: AtomicI64 = AtomicI64::new(T);

fn clock() -> i64 {
    NOW.load(Ordering::SeqCst)
}

/// A server whose wall clock reads `NOW`, set to `T`.
async fn app_at_t() -> TestApp {
    NOW.store(T, Ordering::SeqCst);
    spawn_app_with(peering_server::Settings {
        wall_clock: clock,
        ..Default::default()
    })
    .await
}

fn sample(prefix: &str, at: i64, rtt: f64) -> Value {
    json!({"prefix": prefix, "timestamp": rfc3339(at), "rttMs": rtt, "source": "agent-1"})
}

async fn ingest(app: &TestApp, items: Vec<Value>) -> Value {
    app.ingest("ingestLatencySamples", Value::Array(items))
        .await
}

async fn series(app: &TestApp, prefix: &str, window: &str) -> Value {
    let url = format!(
        "{}&prefix={prefix}&window={window}",
        app.sub_url("peeringServicePrefixLatency")
    );
    // A reader may read it.
    let res = app.send_as(READER, Method::GET, &url, &[], None).await;
    expect_status(res, 200).json().await.unwrap()
}

#[tokio::test]
async fn samples_become_series_per_window_with_gaps_and_retention() {
    let app = app_at_t().await;
    // Two hours of samples, one a second, every minute but 11:30's; values 10..=109 ms.
    let mut items = Vec::new();
    for s in 0..7200 {
        let at = T - 7200 + s;
        if (at / 60) * 60 == T - 1800 {
            continue;
        }
        items.push(sample("8.8.8.0/24", at, 10.0 + (s % 100) as f64));
    }
    // A /25 is kept under its /24.
    items.push(sample("8.8.8.128/25", T - 30, 500.0));
    let report = ingest(&app, items).await;
    assert_eq!(report["accepted"], 7200 - 60 + 1);

    let six = series(&app, "8.8.8.0/24", "6h").await;
    assert_eq!(six["bucketSeconds"], 60);
    assert_eq!(
        six["to"].as_i64().unwrap() - six["from"].as_i64().unwrap(),
        6 * 3600
    );
    let buckets = six["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 119, "120 minutes, one without samples");
    assert!(
        !buckets.iter().any(|b| b["start"] == T - 1800),
        "the gap is left out"
    );
    let b = &buckets[0];
    assert_eq!(b["count"], 60);
    let p50 = b["p50"].as_f64().unwrap();
    assert!((35.0..45.0).contains(&p50), "{b}");
    assert!(
        b["p95"].as_f64().unwrap() > p50
            && b["max"].as_f64().unwrap() >= b["p95"].as_f64().unwrap()
    );
    // The /25's sample is in the /24's last minute; asking for the /25 reads its /24.
    assert_eq!(
        buckets.last().unwrap()["max"].as_f64().unwrap().round(),
        500.0
    );
    assert_eq!(
        series(&app, "8.8.8.128/25", "6h").await["prefix"],
        "8.8.8.0/24"
    );
    // A /22 merges the /24s inside it.
    ingest(&app, vec![sample("8.8.9.0/24", T - 100, 1000.0)]).await;
    let wide = series(&app, "8.8.8.0/22", "1d").await;
    let total: u64 = wide["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 7200 - 60 + 2);
    for (window, width) in [("12h", 300), ("1d", 300), ("7d", 3600), ("30d", 14_400)] {
        let s = series(&app, "8.8.8.0/24", window).await;
        assert_eq!(s["bucketSeconds"], width, "{window}");
        let n: u64 = s["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_u64().unwrap())
            .sum();
        assert_eq!(n, 7200 - 60 + 1, "every sample in {window}");
    }

    // Six and a half hours later the first minutes are past the minute tier's 7 h: they go at
    // the next ingestion, and the 12-hour and 7-day series still count every sample.
    NOW.store(T + 6 * 3600 + 1800, Ordering::SeqCst);
    ingest(&app, vec![sample("1.1.1.0/24", T + 6 * 3600 + 1800, 5.0)]).await;
    let oldest_minute: i64 = app
        .sql("SELECT MIN(start) FROM latency_sketches WHERE tier = 60 AND prefix_len = 24 AND prefix_addr = 134744064")
        .await[0]
        .parse()
        .unwrap();
    assert!(
        oldest_minute >= T + 6 * 3600 + 1800 - 7 * 3600,
        "pruned: {oldest_minute}"
    );
    for window in ["12h", "7d"] {
        let s = series(&app, "8.8.8.0/24", window).await;
        let n: u64 = s["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_u64().unwrap())
            .sum();
        assert_eq!(n, 7200 - 60 + 1, "nothing lost in {window}");
    }
    // Older than the hourly tier's 31 days: stale, not stored.
    let report = ingest(&app, vec![sample("8.8.8.0/24", T - 40 * 86_400, 1.0)]).await;
    assert_eq!(
        (report["accepted"].clone(), report["stale"].clone()),
        (json!(0), json!(1))
    );
}

#[tokio::test]
async fn bad_samples_and_parameters_are_named() {
    let app = spawn_app().await;
    let url = format!(
        "{}/subscriptions/{SUB}/providers/Microsoft.Peering/ingestLatencySamples?api-version=2025-05-01",
        app.base
    );
    let body = json!({"value": [
        {"prefix": "8.8.8.0/24", "timestamp": "2026-11-30T10:00:00Z", "rttMs": 3.0, "source": "a"},
        {"prefix": "8.8.8.1/24", "timestamp": "soon", "rttMs": -1.0, "source": ""},
    ]});
    let res = app
        .send_as(COLLECTOR, Method::POST, &url, &[], Some(&body))
        .await;
    let err: Value = expect_status(res, 400).json().await.unwrap();
    let targets: Vec<&str> = err["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            "value[1].prefix",
            "value[1].rttMs",
            "value[1].source",
            "value[1].timestamp"
        ]
    );
    let (code, _, target) = arm_error(
        app.get(&format!(
            "{}&prefix=8.8.8.0/24&window=2h",
            app.sub_url("peeringServicePrefixLatency")
        ))
        .await,
        400,
    )
    .await;
    assert_eq!(
        (code.as_str(), target.as_deref()),
        ("InvalidParameter", Some("window"))
    );
    let (_, _, target) = arm_error(
        app.get(&format!(
            "{}&prefix=nope",
            app.sub_url("peeringServicePrefixLatency")
        ))
        .await,
        400,
    )
    .await;
    assert_eq!(target.as_deref(), Some("prefix"));
}

static NOW2: AtomicI64 = AtomicI64::new(T + 1800);

fn clock2() -> i64 {
    NOW2.load(Ordering::SeqCst)
}

/// A sample inside its retention stays, even when its bucket started before the cutoff.
#[tokio::test]
async fn a_bucket_is_kept_while_any_of_it_is_in_retention() {
    let app = spawn_app_with(peering_server::Settings {
        wall_clock: clock2,
        ..Default::default()
    })
    .await;
    // Now is 12:30; the hourly tier keeps 31 days, so the cutoff is 12:30 31 days ago. A
    // sample ten minutes after it is in the 12:00 bucket, which starts before the cutoff.
    let cutoff = T + 1800 - 31 * 86_400;
    let report = ingest(&app, vec![sample("9.9.9.0/24", cutoff + 600, 7.0)]).await;
    assert_eq!(report["accepted"], 1);
    let kept: i64 = app
        .sql(&format!(
            "SELECT count(*) FROM latency_sketches WHERE tier = 3600 AND start = {}",
            cutoff - 1800
        ))
        .await[0]
        .parse()
        .unwrap();
    assert_eq!(
        kept, 1,
        "the 12:00 bucket holds a sample inside its retention"
    );
}

/// Batches of many prefixes merge into the buckets already stored, as batches of one prefix
/// do (the store reads a minute's buckets of many prefixes in one statement, of few one by
/// one): every sample counts, in every tier, whichever way the batch was read.
#[tokio::test]
async fn batches_of_many_prefixes_merge_into_what_is_stored() {
    let app = app_at_t().await;
    // More prefixes in a batch than the store reads one by one.
    let n = peering_server::store::sql::LATENCY_GROUP_READ + 4;
    let prefixes: Vec<String> = (0..n).map(|i| format!("9.9.{i}.0/24")).collect();
    let minute = T - 600;
    // Three batches in one minute: all the prefixes, all of them again, then one of them.
    for round in 0..2 {
        let items = prefixes
            .iter()
            .map(|p| sample(p, minute + 10 * round, 20.0 + round as f64))
            .collect();
        ingest(&app, items).await;
    }
    ingest(&app, vec![sample(&prefixes[3], minute + 30, 99.0)]).await;
    for (i, p) in prefixes.iter().enumerate() {
        let want = if i == 3 { 3 } else { 2 };
        for window in ["6h", "1d", "7d"] {
            let s = series(&app, p, window).await;
            let n: u64 = s["buckets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["count"].as_u64().unwrap())
                .sum();
            assert_eq!(n, want, "{p} {window}: {s}");
        }
    }
}

//! The alert rules that time alone can change: a p95 rule holds while each of its last minutes
//! has samples above the threshold, so when samples stop (a collector goes quiet) it stops
//! holding without any write. Every write evaluates the rules it can affect; this task
//! evaluates the time-dependent ones once a minute besides, so such an alert resolves (and its
//! webhooks hear it) within a minute of its last bad minute.

use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;

/// How often the time-dependent rules are evaluated: a p95 rule's unit is the minute.
pub const PERIOD: Duration = Duration::from_secs(60);

/// Evaluates the time-dependent rules every `period` until the task is dropped.
pub async fn run(store: Arc<dyn Store>, period: Duration) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = store.evaluate_time_alerts().await {
            tracing::warn!("alert rules: the minute's evaluation failed: {}", e.message);
        }
    }
}

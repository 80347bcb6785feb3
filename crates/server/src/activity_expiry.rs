//! Removes activity records once `--keep-activity` has passed: at start, then every few
//! minutes, in batches taken from the oldest end of the time index, so a removal never scans
//! the table and never holds the writer for long. Reads never serve an expired record in
//! between (`handlers::activity` cuts the window at the same moment).

use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;

/// How often expired records are removed.
pub const PERIOD: Duration = Duration::from_secs(300);

/// Records removed per transaction.
pub const BATCH: usize = 1000;

/// Removes what expired before `now_ms - keep_secs`, batch by batch; answers how many.
pub async fn expire(store: &dyn Store, keep_secs: i64, now_ms: i64) -> Result<usize, String> {
    let before = now_ms - keep_secs * 1000;
    let mut removed = 0;
    loop {
        let n = store
            .expire_activity(before, BATCH)
            .await
            .map_err(|e| e.cause().to_string())?;
        removed += n;
        if n < BATCH {
            return Ok(removed);
        }
        // Writes wait behind each batch, never behind the whole backlog.
        tokio::task::yield_now().await;
    }
}

/// Expires records every `period` until the task is dropped.
pub async fn run(store: Arc<dyn Store>, keep_secs: i64, period: Duration) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now_ms = crate::settings::unix_now() * 1000;
        match expire(store.as_ref(), keep_secs, now_ms).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "activity records past --keep-activity removed"),
            Err(e) => tracing::warn!("activity records not expired this time: {e}"),
        }
    }
}

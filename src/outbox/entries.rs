//! What the outbox keeps for each write, and the pure rules it follows: when a write is due
//! again (backoff), which writes wait behind a stopped one, when another tab's send counts as
//! abandoned, where the outbox is stored.

use crate::api::Replay;
use crate::state::Session;
use serde::{Deserialize, Serialize};

pub const OUTBOX_KEY: &str = "peering-console.outbox";
const FIRST_DELAY_MS: f64 = 1_000.0;
pub(super) const MAX_DELAY_MS: f64 = 60_000.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Sent again at `next_at`.
    Waiting,
    Sending,
    /// Refused for good; kept until discarded, with the reason.
    Stopped(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pending {
    /// Unique within the outbox.
    pub key: u64,
    /// What the write does, for people ("Save the tags of connection 'x'").
    pub label: String,
    pub write: Replay,
    pub attempts: u32,
    /// When it is next sent (ms since the epoch).
    pub next_at: f64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub status: Status,
}

/// A write another tab marked as sending but has not finished within a minute (the tab was
/// closed mid-send): it is sent again (a replay recognises an earlier success).
pub(super) fn abandoned(w: &Pending) -> bool {
    w.status == Status::Sending && now_ms() - w.next_at > SENDING_TIMEOUT_MS
}

pub(super) const SENDING_TIMEOUT_MS: f64 = 60_000.0;

/// Whether the resource `id` is one of `stopped` or lies under one (lower-cased ids).
pub(super) fn depends_on_any(id: &str, stopped: &[String]) -> bool {
    let id = id.to_ascii_lowercase();
    stopped
        .iter()
        .any(|s| id == *s || id.starts_with(&format!("{s}/")))
}

/// The delay before attempt `attempts + 1`, with `unit` in [0, 1) for the jitter.
pub fn backoff_ms(attempts: u32, retry_after: Option<u32>, unit: f64) -> f64 {
    let full = (FIRST_DELAY_MS * 2f64.powi(attempts.min(16) as i32)).min(MAX_DELAY_MS);
    let jittered = full * (0.5 + unit.clamp(0.0, 1.0) / 2.0);
    jittered.max(retry_after.map_or(0.0, |s| f64::from(s) * 1000.0))
}

/// `OUTBOX_KEY` for the session's API, subscription and identity: one person's unsent writes
/// are never sent, or shown, under another's token.
pub fn storage_key(s: &Session) -> String {
    format!(
        "{OUTBOX_KEY}.{}.{}@{}",
        s.config.api_base.trim_end_matches('/'),
        s.subscription.to_ascii_lowercase(),
        crate::state::identity_of(&s.token.get())
    )
}

pub(super) fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub(super) fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_under_a_stopped_one_waits() {
        let stopped = vec![
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.peering/peeringservices/a"
                .to_owned(),
        ];
        let under = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Peering/peeringServices/a/prefixes/p";
        assert!(depends_on_any(under, &stopped));
        assert!(depends_on_any(&stopped[0].to_uppercase(), &stopped));
        assert!(
            !depends_on_any(&format!("{}b", stopped[0]), &stopped),
            "another connection: ab"
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_a_cap_and_honours_retry_after() {
        assert_eq!(backoff_ms(0, None, 0.0), 500.0);
        assert_eq!(backoff_ms(0, None, 1.0), 1000.0);
        assert_eq!(backoff_ms(3, None, 1.0), 8000.0);
        assert_eq!(backoff_ms(30, None, 1.0), MAX_DELAY_MS);
        assert_eq!(backoff_ms(30, None, 0.0), MAX_DELAY_MS / 2.0);
        assert_eq!(backoff_ms(0, Some(7), 0.5), 7000.0);
        assert_eq!(backoff_ms(5, Some(1), 1.0), 32000.0);
    }
}

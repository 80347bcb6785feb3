//! Alert webhooks: each opening and resolution of an alert is POSTed as JSON to every
//! `--alert-webhook` URL, signed with HMAC-SHA256 over the exact body
//! (`X-Peering-Signature: sha256=<hex>`; the receiver computes the same with the shared
//! secret and compares). A delivery is retried with exponential backoff and jitter until it is
//! answered with a 2xx or [`Sender::max_attempts`] attempts have failed; every attempt is
//! logged and stored, and `alertWebhookDeliveries` shows them.
//!
//! The deliveries are rows written in the same transaction as the alert change they report, so
//! a change is delivered exactly when it was committed, and a restart loses nothing: the sender
//! picks up whatever is due.

use crate::store::{Attempt, DueDelivery, Store};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Peering-Signature";
/// The header naming the delivery (the same on every retry, so a receiver can drop repeats).
pub const DELIVERY_HEADER: &str = "X-Peering-Delivery";

/// `sha256=<hex>` of HMAC-SHA256 of `body` with `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// How the sender works.
#[derive(Clone)]
pub struct Sender {
    pub secret: Vec<u8>,
    /// How often due deliveries are looked for.
    pub poll: Duration,
    /// The wait before the second attempt; it doubles with each failure, up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    pub max_attempts: u32,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// Now, in Unix seconds.
    pub clock: fn() -> i64,
}

impl Sender {
    pub fn new(secret: Vec<u8>) -> Sender {
        Sender {
            secret,
            poll: Duration::from_secs(1),
            base_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(600),
            max_attempts: 20,
            timeout: Duration::from_secs(10),
            clock: crate::settings::unix_now,
        }
    }

    /// The wait after `failures` failed attempts, with up to half as much again of jitter
    /// (`jitter` in 0–1), in whole seconds (at least one).
    pub fn delay(&self, failures: u32, jitter: f64) -> i64 {
        let base =
            self.base_delay.as_secs_f64() * 2f64.powi(failures.saturating_sub(1).min(30) as i32);
        let d = base.min(self.max_delay.as_secs_f64()) * (1.0 + 0.5 * jitter.clamp(0.0, 1.0));
        (d.ceil() as i64).max(1)
    }

    /// Sends what is due until the task is dropped. Each poll claims as many due deliveries
    /// as there are free slots (up to [`IN_FLIGHT`] in flight; a claimed one is not due again
    /// until its attempt could have ended) and sends them concurrently; first attempts are
    /// claimed before retries, so a receiver that keeps failing holds back nobody's first try.
    pub async fn run(self, store: Arc<dyn Store>) {
        let this = Arc::new(self);
        let client = match reqwest::Client::builder()
            .timeout(this.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("alert webhooks: no HTTP client: {e}");
                return;
            }
        };
        let mut sending = tokio::task::JoinSet::new();
        loop {
            while sending.try_join_next().is_some() {}
            let free = IN_FLIGHT.saturating_sub(sending.len());
            if free > 0 {
                let now = (this.clock)();
                // Long enough for the attempt and its recording (retried below).
                let until = now + this.timeout.as_secs() as i64 + (1 << RECORD_TRIES) + 5;
                match store.claim_deliveries(now, until, free).await {
                    Ok(due) => {
                        for d in due {
                            let (this, client, store) =
                                (this.clone(), client.clone(), store.clone());
                            sending.spawn(async move { this.attempt(&client, &store, d).await });
                        }
                    }
                    Err(e) => tracing::warn!(
                        "alert webhooks: claiming the due deliveries failed: {}",
                        e.message
                    ),
                }
            }
            tokio::time::sleep(this.poll).await;
        }
    }

    async fn attempt(&self, client: &reqwest::Client, store: &Arc<dyn Store>, d: DueDelivery) {
        let sent = client
            .post(&d.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature(&self.secret, d.body.as_bytes()))
            .header(DELIVERY_HEADER, d.id.to_string())
            .body(d.body.clone())
            .send()
            .await;
        let (status, error) = match sent {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
            Ok(r) => (
                Some(r.status().as_u16()),
                Some(format!("answered {}", r.status())),
            ),
            Err(e) => (None, Some(error_chain(e))),
        };
        let now = (self.clock)();
        let failures = d.attempts + 1;
        let delivered = error.is_none();
        let retry_at = (!delivered && failures < self.max_attempts)
            .then(|| now + self.delay(failures, jitter()));
        let url = shown_url(&d.url);
        match (&error, retry_at) {
            (None, _) => {
                tracing::info!(delivery = d.id, url = %url, attempt = failures, "alert webhook delivered")
            }
            (Some(e), Some(at)) => {
                tracing::warn!(delivery = d.id, url = %url, attempt = failures, retry_in_s = at - now, "alert webhook failed: {e}")
            }
            (Some(e), None) => {
                tracing::error!(delivery = d.id, url = %url, attempt = failures, "alert webhook failed, giving up: {e}")
            }
        }
        let attempt = Attempt {
            at: now,
            status,
            error,
            delivered,
            retry_at,
        };
        // The attempt happened: it is recorded even when the database is busy for a while
        // (a full writer queue), so every attempt stays visible.
        for i in 0..RECORD_TRIES {
            match store.record_attempt(d.id, attempt.clone()).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(
                        delivery = d.id,
                        "alert webhooks: recording an attempt failed: {}",
                        e.message
                    );
                    if i + 1 < RECORD_TRIES {
                        tokio::time::sleep(Duration::from_secs(1 << i)).await;
                    }
                }
            }
        }
    }
}

/// What went wrong, with its causes ("connection refused" is a cause of reqwest's "error
/// sending request"), and without the URL, which may hold credentials.
fn error_chain(e: reqwest::Error) -> String {
    crate::error::chain(&e.without_url())
}

/// Deliveries sent at once at most.
const IN_FLIGHT: usize = 16;
/// Tries at recording an attempt (waiting 1, then 2 s between them).
const RECORD_TRIES: u32 = 3;

/// A webhook URL as any reader may see it: scheme, host, port and path; a user, password or
/// query (where receivers often put a token) is left out.
pub fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => {
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            let hidden = u.query().is_some() || !u.username().is_empty() || u.password().is_some();
            format!(
                "{}://{}{port}{}{}",
                u.scheme(),
                u.host_str().unwrap_or_default(),
                u.path(),
                if hidden { " (credentials hidden)" } else { "" }
            )
        }
        Err(_) => "(not a URL)".to_owned(),
    }
}

/// A number in 0–1 from the OS's random source (0 if it fails: no jitter, still a retry).
fn jitter() -> f64 {
    let mut b = [0u8; 4];
    match getrandom::fill(&mut b) {
        Ok(()) => f64::from(u32::from_le_bytes(b)) / f64::from(u32::MAX),
        Err(_) => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_shown_url_keeps_no_credentials() {
        assert_eq!(
            shown_url("https://u:p@hooks.example.com:8443/in?token=s3cret"),
            "https://hooks.example.com:8443/in (credentials hidden)"
        );
        assert_eq!(
            shown_url("http://127.0.0.1:9000/alerts"),
            "http://127.0.0.1:9000/alerts"
        );
    }

    #[test]
    fn the_delay_doubles_up_to_its_limit_with_jitter_on_top() {
        let s = Sender::new(Vec::new());
        assert_eq!(
            (s.delay(1, 0.0), s.delay(2, 0.0), s.delay(3, 0.0)),
            (5, 10, 20)
        );
        assert_eq!(s.delay(30, 0.0), 600);
        assert_eq!(s.delay(1, 1.0), 8, "up to half again");
    }
}

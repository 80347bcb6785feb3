//! Keeping a signed-in session alive: the access token renewed before it expires.

use super::oidc::{self, Signed};
use leptos::prelude::*;

/// Renews the access token of `s` before it expires (a quarter of its life before, at most a
/// minute), with the refresh token the provider rotates; `on_new` takes the new session. A
/// renewal that fails is tried again every 5 s while the token is still good; after that the
/// session has ended and `ended` says why (what is typed stays: drafts are kept).
pub fn renew_before_expiry(
    cfg: crate::state::OidcConfig,
    s: Signed,
    current: RwSignal<Option<Signed>>,
    ended: RwSignal<Option<String>>,
    on_new: impl Fn(Signed) + 'static,
) {
    leptos::task::spawn_local(async move {
        let remaining = s.expires_at - js_sys::Date::now();
        sleep_ms(remaining - (remaining / 4.0).min(60_000.0)).await;
        loop {
            if current.try_get_untracked().flatten().as_ref() != Some(&s) {
                return; // renewed elsewhere, or signed out
            }
            match oidc::renew(&cfg, &s).await {
                Ok(n) => return on_new(n),
                Err(why) if js_sys::Date::now() + 5_000.0 >= s.expires_at || why.is_none() => {
                    ended.set(Some(why.unwrap_or_else(|| {
                        "the identity provider gave no refresh token".into()
                    })));
                    return;
                }
                Err(_) => sleep_ms(5_000.0).await,
            }
        }
    });
}

/// Waits `ms` (at least a second) on the browser's timer.
async fn sleep_ms(ms: f64) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                ms.clamp(1_000.0, 2_147_000_000.0) as i32,
            );
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

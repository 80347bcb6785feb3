//! A signed-in session with the identity provider: how it starts (the provider's answer, the
//! tab's kept session, or a silent try), and how it is kept alive (the access token renewed
//! before it expires).

use super::oidc::{self, Return, Signed};
use super::{mark_signed_out, signed_out_here};
use crate::state::OidcConfig;
use leptos::prelude::*;

/// What the shell shows of a sign-in with the identity provider.
#[derive(Clone, Copy)]
pub struct SignedIn {
    /// The session, while signed in.
    pub signed: RwSignal<Option<Signed>>,
    /// The person's name.
    pub person: RwSignal<Option<String>>,
    /// Why the session ended, when it could not be renewed.
    pub ended: RwSignal<Option<String>>,
    /// What went wrong with a sign-in.
    pub error: RwSignal<Option<String>>,
    /// A sign-in (or a silent try) is under way.
    pub signing_in: RwSignal<bool>,
}

impl Default for SignedIn {
    fn default() -> SignedIn {
        SignedIn {
            signed: RwSignal::new(None),
            person: RwSignal::new(None),
            ended: RwSignal::new(None),
            error: RwSignal::new(None),
            signing_in: RwSignal::new(false),
        }
    }
}

impl SignedIn {
    /// Takes session `s`: its access token becomes the one in use.
    fn adopt(self, s: Signed, token: RwSignal<Option<String>>) {
        self.person.set(super::codec::display_name(&s));
        self.ended.set(None);
        token.set(Some(s.access_token.clone()));
        self.signed.set(Some(s));
    }

    /// Completes the provider's answer in the address, or resumes the tab's session, or (a new
    /// tab, a bookmark, a colleague's link; not after a sign-out) tries a silent sign-in
    /// through the provider's own session, which comes back signed in or to Sign in. Then keeps
    /// the session renewed; `on_renewed` runs after each renewal.
    pub fn start(
        self,
        cfg: OidcConfig,
        token: RwSignal<Option<String>>,
        on_renewed: impl Fn() + Clone + 'static,
    ) {
        let renewal = cfg.clone();
        if oidc::is_return() {
            self.signing_in.set(true);
            leptos::task::spawn_local(async move {
                match super::complete(cfg).await {
                    Return::Signed(s) => {
                        mark_signed_out(false);
                        self.adopt(s, token);
                    }
                    Return::Failed(e) => self.error.set(Some(e)),
                    Return::NeedsLogin | Return::None => {}
                }
                self.signing_in.set(false);
            });
        } else if let Some(s) = token.get_untracked().and_then(|t| oidc::kept(&t)) {
            self.adopt(s, token);
        } else if token.with_untracked(Option::is_none) && !signed_out_here() {
            self.signing_in.set(true);
            leptos::task::spawn_local(async move {
                if let Err(e) = super::begin(cfg, true).await {
                    self.error.set(Some(e));
                    self.signing_in.set(false);
                }
            });
        }
        Effect::new(move |_| {
            if let Some(s) = self.signed.get() {
                let on_renewed = on_renewed.clone();
                renew_before_expiry(renewal.clone(), s, self.signed, self.ended, move |n| {
                    self.adopt(n, token);
                    on_renewed();
                });
            }
        });
    }
}

/// Renews the access token of `s` before it expires (a quarter of its life before, at most a
/// minute), with the refresh token the provider rotates; `on_new` takes the new session. A
/// renewal that fails is tried again every 5 s while the token is still good; after that the
/// session has ended and `ended` says why (what is typed stays: drafts are kept).
fn renew_before_expiry(
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
            match super::renew(cfg.clone(), s.clone()).await {
                // Signed out (or renewed elsewhere) while the provider answered: the answer
                // is dropped, not kept, so a sign-out stays one.
                Ok(n) if current.try_get_untracked().flatten().as_ref() == Some(&s) => {
                    oidc::keep(&n);
                    return on_new(n);
                }
                Ok(_) => return,
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

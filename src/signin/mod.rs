//! Signing in and out: the page shown without a credential (Sign in with the identity
//! provider, or a static token pasted in a field, never put in the address), and the sign-out
//! dialog, which asks what to do with writes not yet sent before it removes the person's
//! outbox and drafts.

pub mod codec;
pub mod oidc;
pub mod session;

use crate::lazy::{split, LoadFailed, LOAD_FAILED};
use crate::outbox::{Outbox, Status};
use crate::state::{Config, OidcConfig};
use leptos::prelude::*;
use oidc::{Return, Signed};
use peering_model::messages;

/// A step of the provider's protocol, run from its split module.
pub type Protocol<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T>>>;

// Only a tab without a credential, a sign-out or the provider's protocol needs these: they are
// out of the main module (`lazy`), which a signed-in visit to the list starts on alone.
split! {
    /// [`SignIn`], fetched when a tab has no credential.
    pub fn sign_in_page(
        config: Config,
        signed_out: bool,
        error: RwSignal<Option<String>>,
        on_token: Callback<String>,
    ) -> AnyView {
        view! { <SignIn config=config signed_out=signed_out error=error on_token=on_token/> }.into_any()
    }
    /// [`SignOutDialog`], fetched when Sign out is chosen (or ahead, with the other parts).
    pub fn sign_out_dialog(on_confirm: Callback<()>, on_cancel: Callback<()>) -> AnyView; preload fetch_sign_out_dialog {
        view! { <SignOutDialog on_confirm=on_confirm on_cancel=on_cancel/> }.into_any()
    }
    fn complete_protocol(config: OidcConfig) -> Protocol<Return> {
        Box::pin(async move { oidc::complete(&config).await })
    }
    fn begin_protocol(config: OidcConfig, silent: bool) -> Protocol<Result<(), String>> {
        Box::pin(async move { oidc::begin(&config, silent).await })
    }
    fn renew_protocol(config: OidcConfig, s: Signed) -> Protocol<Result<Signed, Option<String>>> {
        Box::pin(async move { oidc::renew(&config, &s).await })
    }
    fn end_protocol(config: OidcConfig, id_token: Option<String>) -> Protocol<bool> {
        Box::pin(async move { oidc::end_session(&config, id_token.as_deref()).await })
    }
}

/// [`oidc::complete`], from its module.
pub async fn complete(config: OidcConfig) -> Return {
    match complete_protocol(config).await {
        Ok(f) => f.await,
        Err(LoadFailed) => Return::Failed(LOAD_FAILED.into()),
    }
}

/// [`oidc::begin`], from its module.
pub async fn begin(config: OidcConfig, silent: bool) -> Result<(), String> {
    begin_protocol(config, silent)
        .await
        .map_err(|_| LOAD_FAILED.to_owned())?
        .await
}

/// [`oidc::renew`], from its module.
pub async fn renew(config: OidcConfig, s: Signed) -> Result<Signed, Option<String>> {
    renew_protocol(config, s)
        .await
        .map_err(|_| Some(LOAD_FAILED.to_owned()))?
        .await
}

/// [`oidc::end_session`], from its module.
pub async fn end_session(config: OidcConfig, id_token: Option<String>) -> bool {
    match end_protocol(config, id_token).await {
        Ok(f) => f.await,
        Err(LoadFailed) => false,
    }
}

/// Set in the tab by a sign-out: no silent sign-in follows until the person asks for one.
const SIGNED_OUT_KEY: &str = "peering-console.signed-out";

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// Whether this tab was signed out (and has not signed in since).
pub fn signed_out_here() -> bool {
    session_storage()
        .and_then(|s| s.get_item(SIGNED_OUT_KEY).ok().flatten())
        .is_some()
}

pub fn mark_signed_out(yes: bool) {
    if let Some(s) = session_storage() {
        let _ = if yes {
            s.set_item(SIGNED_OUT_KEY, "1")
        } else {
            s.remove_item(SIGNED_OUT_KEY)
        };
    }
}

/// Sends the browser to the provider's sign-in; an error (the provider unreachable) is put in
/// `error`.
pub fn start_sign_in(config: OidcConfig, error: RwSignal<Option<String>>) {
    mark_signed_out(false);
    leptos::task::spawn_local(async move {
        if let Err(e) = begin(config, false).await {
            error.set(Some(e));
        }
    });
}

/// The page without a credential: why, and the ways in. `error`: what went wrong with a
/// sign-in, if anything.
#[component]
pub fn SignIn(
    config: Config,
    signed_out: bool,
    error: RwSignal<Option<String>>,
    on_token: Callback<String>,
) -> impl IntoView {
    let message = if signed_out {
        messages::SIGNED_OUT
    } else if config.oidc.is_some() {
        messages::SIGN_IN
    } else {
        messages::NO_TOKEN
    };
    let oidc = config.oidc.clone();
    let pasted = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = pasted.get_untracked().trim().to_owned();
        if t.is_empty() {
            error.set(Some(messages::PASTE_A_TOKEN.into()));
            return;
        }
        pasted.set(String::new());
        on_token.run(t);
    };
    view! {
        <section class="page narrow sign-in">
            <h1>"Peering Console"</h1>
            <div class={if signed_out { "state signed-out" } else { "state" }} role="status">
                <p id="sign-in-state">{message}</p>
            </div>
            {move || error.get().map(|e| view! { <div class="state error" role="alert"><p id="sign-in-error">{e}</p></div> })}
            {oidc.map(|cfg| view! {
                <p>
                    <button type="button" class="button primary" id="sign-in"
                        on:click=move |_| start_sign_in(cfg.clone(), error)>"Sign in"</button>
                </p>
            })}
            <form class="paste-token" on:submit=submit>
                <label for="token-input">"Or paste an access token"</label>
                <input id="token-input" type="password" autocomplete="off" spellcheck="false"
                    prop:value=move || pasted.get()
                    on:input=move |ev| pasted.set(event_target_value(&ev))/>
                <button type="submit" class="button" id="use-token">"Use this token"</button>
            </form>
        </section>
    }
}

/// What signing out does with the writes not sent yet.
#[derive(Clone, Copy, PartialEq)]
enum Unsent {
    Ask,
    Sending,
}

/// Sign-out, asked first: with writes not yet sent, whether to send them now (then sign out
/// once they are delivered) or discard them. `on_confirm` then removes the person's data and
/// credentials; Cancel (or Escape) leaves everything as it was.
#[component]
pub fn SignOutDialog(on_confirm: Callback<()>, on_cancel: Callback<()>) -> impl IntoView {
    let outbox = use_context::<Outbox>();
    let pending = move || outbox.map(|o| o.pending().get()).unwrap_or_default();
    let unsent = move || pending().len();
    let stopped = move || {
        pending()
            .iter()
            .filter(|w| matches!(w.status, Status::Stopped(_)))
            .count()
    };
    let mode = RwSignal::new(Unsent::Ask);
    // Once sending, sign out as soon as nothing is left.
    Effect::new(move |_| {
        if mode.get() == Unsent::Sending && unsent() == 0 {
            on_confirm.run(());
        }
    });
    let send_now = move |_| {
        if let Some(o) = outbox {
            o.send_all_now();
        }
        mode.set(Unsent::Sending);
    };
    let discard = move |_| {
        if let Some(o) = outbox {
            for w in o.pending().get_untracked() {
                o.discard(w.key);
            }
        }
        on_confirm.run(());
    };
    let keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            on_cancel.run(());
        }
    };
    let cancel_ref = NodeRef::<leptos::html::Button>::new();
    // Focus goes to Cancel, never to the button that acts.
    Effect::new(move |_| {
        if let Some(b) = cancel_ref.get() {
            let _ = b.focus();
        }
    });
    view! {
        <div class="modal-backdrop">
            <div class="dialog" role="alertdialog" aria-modal="true" aria-labelledby="sign-out-title"
                aria-describedby="sign-out-text" id="sign-out-dialog" on:keydown=keydown>
                <h2 id="sign-out-title">"Sign out?"</h2>
                {move || if unsent() == 0 {
                    view! {
                        <p id="sign-out-text">"Your drafts in this browser are removed when you sign out."</p>
                        <div class="row">
                            <button type="button" class="button danger" id="sign-out-confirm"
                                on:click=move |_| on_confirm.run(())>"Sign out"</button>
                            <button type="button" class="button" node_ref=cancel_ref
                                on:click=move |_| on_cancel.run(())>"Cancel"</button>
                        </div>
                    }.into_any()
                } else {
                    let n = unsent();
                    let what = if n == 1 { "1 change has".to_owned() } else { format!("{n} changes have") };
                    view! {
                        <p id="sign-out-text">{format!("{what} not been sent yet. Send them now, or discard them? Either way your drafts in this browser are removed.")}</p>
                        {move || (mode.get() == Unsent::Sending).then(|| view! {
                            <p class="state loading" role="status">
                                {move || if stopped() > 0 {
                                    format!("{} could not be sent (see the outbox). Discard them, or cancel.", stopped())
                                } else {
                                    "Sending…".to_owned()
                                }}
                            </p>
                        })}
                        <div class="row">
                            <button type="button" class="button primary" id="sign-out-send"
                                disabled=move || mode.get() == Unsent::Sending on:click=send_now>"Send now, then sign out"</button>
                            <button type="button" class="button danger" id="sign-out-discard" on:click=discard>"Discard and sign out"</button>
                            <button type="button" class="button" node_ref=cancel_ref
                                on:click=move |_| on_cancel.run(())>"Cancel"</button>
                        </div>
                    }.into_any()
                }}
            </div>
        </div>
    }
}

//! Router and layout. The session (config, token, subscription) is set up before any page;
//! signing out drops the token from this tab and from memory.

use crate::api;
use crate::components::outbox_panel::OutboxPanel;
use crate::outbox::Outbox;
use crate::pages::connection_detail::ConnectionDetailPage;
use crate::pages::connections::ConnectionsPage;
use crate::pages::new_connection::NewConnectionPage;
use crate::routing::{use_page, Page, Router, A};
use crate::state::{forget_token, take_credentials, Config, Session};
use leptos::prelude::*;
use peering_model::messages;

#[component]
pub fn App() -> impl IntoView {
    let (token, subscription) = take_credentials();
    // The one place the token lives in memory: a sign-out empties it, and nothing else keeps
    // a copy (the session handed to pages is dropped with the shell).
    let token = RwSignal::new(token);
    let config = LocalResource::new(api::load_config);
    view! {
        <Suspense fallback=|| view! { <p class="state loading" role="status">"Starting…"</p> }>
            {move || config.get().map(|config| match config {
                Ok(config) => view! {
                    <Authenticated config=config token=token subscription=subscription.clone()/>
                }.into_any(),
                Err(e) => view! {
                    <section class="page narrow"><div class="state error" role="alert"><p>{e}</p></div></section>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// The shell while there is a token; after a sign-out (or without one), why there is none.
#[component]
pub fn Authenticated(
    config: Config,
    token: RwSignal<Option<String>>,
    subscription: Option<String>,
) -> impl IntoView {
    let signed_out = RwSignal::new(false);
    let subscription = subscription.unwrap_or_else(|| config.subscription_id.clone());
    let sign_out = Callback::new(move |()| {
        forget_token();
        token.set(None);
        signed_out.set(true);
    });
    move || match token.get() {
        None => view! { <SignIn signed_out=signed_out.get_untracked()/> }.into_any(),
        Some(token) => {
            let session = Session {
                config: config.clone(),
                token,
                subscription: subscription.clone(),
            };
            view! { <Shell session=session on_sign_out=sign_out/> }.into_any()
        }
    }
}

/// The layout around every page, with the session in context.
#[component]
pub fn Shell(session: Session, on_sign_out: Callback<()>) -> impl IntoView {
    let subscription = session.subscription.clone();
    provide_context(Outbox::new(session.clone()));
    provide_context(session);
    view! {
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">"Peering Console"</A>
                <span class="sub" title="Subscription">{subscription}</span>
                <OutboxPanel/>
                <button type="button" class="button small" id="sign-out" on:click=move |_| on_sign_out.run(())>"Sign out"</button>
            </header>
            <main id="main">
                <Pages/>
            </main>
            <footer class="footer">{peering_model::Catalog::embedded().attribution.clone()}</footer>
        </Router>
    }
}

/// The page the route names; a new page starts at the top of the window.
#[component]
fn Pages() -> impl IntoView {
    let page = use_page();
    move || {
        if let Some(w) = web_sys::window() {
            w.scroll_to_with_x_and_y(0.0, 0.0);
        }
        match page.get() {
            Page::Connections => view! { <ConnectionsPage/> }.into_any(),
            Page::NewConnection => view! { <NewConnectionPage/> }.into_any(),
            Page::Connection { .. } => view! { <ConnectionDetailPage/> }.into_any(),
            Page::NotFound => view! {
                <section class="page"><h1>"Not found"</h1><p><A href="/">"Back to connections"</A></p></section>
            }
            .into_any(),
        }
    }
}

#[component]
fn SignIn(signed_out: bool) -> impl IntoView {
    let message = if signed_out {
        messages::SIGNED_OUT
    } else {
        messages::NO_TOKEN
    };
    view! {
        <section class="page narrow">
            <h1>"Peering Console"</h1>
            <div class={if signed_out { "state signed-out" } else { "state error" }} role="alert">
                <p id="sign-in-state">{message}</p>
            </div>
        </section>
    }
}

//! Router and layout. The session (config, token, subscription) is set up before any page.

use crate::api;
use crate::pages::connection_detail::ConnectionDetailPage;
use crate::pages::connections::ConnectionsPage;
use crate::pages::new_connection::NewConnectionPage;
use crate::state::{take_credentials, Session};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

#[component]
pub fn App() -> impl IntoView {
    let (token, subscription) = take_credentials();
    let config = LocalResource::new(api::load_config);
    view! {
        <Suspense fallback=|| view! { <p class="state loading" role="status">"Starting…"</p> }>
            {move || config.get().map(|config| {
                let config = match config {
                    Ok(c) => c,
                    Err(e) => return view! {
                        <section class="page narrow"><div class="state error" role="alert"><p>{e}</p></div></section>
                    }.into_any(),
                };
                match token.clone() {
                    None => view! { <SignIn/> }.into_any(),
                    Some(token) => {
                        let subscription = subscription.clone().unwrap_or_else(|| config.subscription_id.clone());
                        view! { <Shell session=Session { config, token, subscription }/> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The layout around every page, with the session in context.
#[component]
pub fn Shell(session: Session) -> impl IntoView {
    let subscription = session.subscription.clone();
    provide_context(session);
    view! {
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">"Peering Console"</A>
                <span class="sub" title="Subscription">{subscription}</span>
            </header>
            <main id="main">
                <Routes fallback=|| view! { <section class="page"><h1>"Not found"</h1><p><A href="/">"Back to connections"</A></p></section> }>
                    <Route path=path!("/") view=ConnectionsPage/>
                    <Route path=path!("/new") view=NewConnectionPage/>
                    <Route path=path!("/c/:rg/:name") view=ConnectionDetailPage/>
                </Routes>
            </main>
            <footer class="footer">{peering_model::Catalog::embedded().attribution.clone()}</footer>
        </Router>
    }
}

#[component]
fn SignIn() -> impl IntoView {
    view! {
        <section class="page narrow">
            <h1>"Peering Console"</h1>
            <div class="state error" role="alert">
                <p>"No access token. Open the address that "<code>"peering-server"</code>" printed when it started: it ends in "<code>"#token=…"</code>"."</p>
            </div>
        </section>
    }
}

//! Router and layout. The session (config, token, subscription) is set up before any page:
//! from the identity provider's answer or the tab's kept session (renewed before it expires),
//! a portal, a `#token=` link or a pasted token. Signing out (asked first) drops the token from
//! this tab and from memory, removes the person's outbox and drafts, and ends the provider's
//! session when it offers to.

use crate::api;
use crate::components::outbox_panel::OutboxPanel;
use crate::embed;
use crate::lazy::{lazy_view, split};
use crate::outbox::Outbox;
use crate::pages::connection_detail::ConnectionDetailPage;
use crate::pages::connections::ConnectionsPage;
use crate::pages::new_connection::NewConnectionPage;
use crate::routing::{use_page, Page, Prefetch, Router, A};
use crate::signin::oidc;
use crate::signin::session::SignedIn;
use crate::signin::{
    self as signin, mark_signed_out, sign_in_page, sign_out_dialog, start_sign_in,
};
use crate::state::{
    forget_identity, forget_token, identity_of, keep_credentials, set_identity, take_credentials,
    Config, Session, Token,
};
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    // In a frame, the portal's token always wins over one kept from an earlier visit (which
    // may be another user's, or expired): it is asked for (see `Authenticated`).
    let (token, subscription) = take_credentials(!embed::framed());
    // The one place the token lives in memory: a sign-out empties it, and nothing else keeps
    // a copy (the session handed to pages is dropped with the shell).
    let token = RwSignal::new(token);
    let config = LocalResource::new(api::load_config);
    // A token hand-over (`#token=…`) pasted into an open tab (signed in or not) arrives as a
    // fragment change, not a page load: load the page, so the hand-over is read and removed
    // from the address bar as on a first load.
    let handover = leptos::leptos_dom::helpers::window_event_listener_untyped("hashchange", |_| {
        let Some(w) = web_sys::window() else {
            return;
        };
        if crate::routing::is_credentials(&w.location().hash().unwrap_or_default()) {
            let _ = w.location().reload();
        }
    });
    on_cleanup(move || handover.remove());
    // Not a Suspense: one around the whole app would also catch every resource a page reads
    // outside its own Transition, and put the whole app back to "Starting…" each time a page
    // reloads its data.
    let starting = || view! { <p class="state loading" role="status">"Starting…"</p> };
    let failed = |e: String| view! { <section class="page narrow"><div class="state error" role="alert"><p>{e}</p></div></section> };
    move || match config.get() {
        None => starting().into_any(),
        Some(Ok(config)) => {
            let subscription = subscription.clone();
            view! { <Authenticated config=config token=token subscription=subscription/> }
                .into_any()
        }
        Some(Err(e)) => failed(e).into_any(),
    }
}

/// Counts the tokens handed over after the first (a portal's refreshes): a view that failed
/// because its token was refused tries again with the new one.
#[derive(Clone, Copy)]
pub struct TokenRenewed(pub RwSignal<u32>);

/// For a view that loads with the token: when a new token arrives and `refused()` says the
/// last load was refused for its token, `reload()`.
pub fn reload_on_new_token(refused: impl Fn() -> bool + 'static, reload: impl Fn() + 'static) {
    if let Some(TokenRenewed(renewed)) = use_context() {
        Effect::new(move |first: Option<()>| {
            renewed.track();
            if first.is_some() && refused() {
                reload();
            }
        });
    }
}

/// The shell while there is a token; after a sign-out (or without one), why there is none.
///
/// Framed by an allowed portal (`docs/embedding.md`), the app asks its parent for a token when
/// it has none, takes the token messages that pass the checks of [`embed::listen`] and the
/// portal's theme. A later token replaces the one in use in place (the shell and whatever is
/// typed in it stay); a different subscription opens the app on that subscription.
#[component]
pub fn Authenticated(
    config: Config,
    token: RwSignal<Option<String>>,
    subscription: Option<String>,
) -> impl IntoView {
    let signed_out = RwSignal::new(false);
    let subscription =
        RwSignal::new(subscription.unwrap_or_else(|| config.subscription_id.clone()));
    let origins = config.allowed_parent_origins.clone();
    let framed = embed::framed() && !origins.is_empty();
    let renewed = RwSignal::new(0u32);
    provide_context(TokenRenewed(renewed));
    // Signed in with the identity provider: the session (renewed before it expires), the
    // person's name, and why it ended if it could not be renewed.
    let oidc_config = config.oidc.clone().filter(|_| !framed);
    let oidc = SignedIn::default();
    let SignedIn {
        signed,
        person,
        ended,
        error: sign_in_error,
        signing_in,
    } = oidc;
    if let Some(cfg) = oidc_config.clone() {
        oidc.start(cfg, token, move || renewed.update(|n| *n += 1));
    }
    let sign_out = Callback::new(move |()| {
        if let Some(t) = token.get_untracked() {
            forget_identity(&identity_of(&t));
        }
        set_identity("");
        let id_token = signed.get_untracked().and_then(|s| s.id_token);
        forget_token();
        oidc::forget();
        mark_signed_out(true);
        signed.set(None);
        person.set(None);
        token.set(None);
        signed_out.set(true);
        if let (Some(cfg), Some(id)) = (oidc_config.clone(), id_token) {
            leptos::task::spawn_local(async move {
                signin::end_session(cfg, Some(id)).await;
            });
        }
    });
    let again = config.oidc.clone();
    let sign_in_again = Callback::new(move |()| {
        if let Some(cfg) = again.clone() {
            start_sign_in(cfg, ended);
        }
    });
    let pasted = Callback::new(move |t: String| {
        keep_credentials(&t, None);
        sign_in_error.set(None);
        signed_out.set(false);
        token.set(Some(t));
    });
    if framed {
        embed::listen(origins.clone(), move |m| match m {
            embed::Incoming::Token {
                token: t,
                subscription_id,
            } => {
                keep_credentials(&t, subscription_id.as_deref());
                if let Some(sub) = subscription_id {
                    if subscription.get_untracked() != sub {
                        subscription.set(sub);
                    }
                }
                signed_out.set(false);
                token.set(Some(t));
                renewed.update(|n| *n += 1);
            }
            embed::Incoming::Theme { vars } => {
                embed::apply_theme(&vars);
            }
        });
        if token.with_untracked(Option::is_none) {
            embed::post(&serde_json::json!({"type": embed::READY}), &origins);
        }
    }
    // The token of the shell on screen, replaced in place when a new one arrives.
    let current = StoredValue::new(None::<Token>);
    Effect::new(move |_| {
        if let (Some(t), Some(Some(cell))) = (token.get(), current.try_get_value()) {
            // Only the same identity's new token goes into the shell on screen; another's gets
            // a shell of its own (below).
            if identity_of(&t) == identity_of(&cell.get()) {
                cell.replace(t);
            }
        }
    });
    // The shell is built again when the token is another identity's (a portal's or a new
    // sign-in's): its outbox, drafts and typed state are the previous person's and must not be
    // sent or shown under the new token. A renewal of the same identity replaces the token in
    // place.
    let identity = Memo::new(move |_| token.with(|t| t.as_deref().map(identity_of)));
    move || {
        let subscription = subscription.get();
        if identity.with(Option::is_none) {
            current.set_value(None);
            return if framed && !signed_out.get_untracked() {
                view! { <section class="page narrow"><p class="state loading" role="status" id="waiting-for-portal">"Waiting for the portal to sign you in…"</p></section> }.into_any()
            } else if signing_in.get() {
                view! { <section class="page narrow"><p class="state loading" role="status" id="signing-in">"Signing in…"</p></section> }.into_any()
            } else {
                let (config, was_signed_out) = (config.clone(), signed_out.get_untracked());
                lazy_view(None, move || {
                    sign_in_page(config.clone(), was_signed_out, sign_in_error, pasted)
                })
                .into_any()
            };
        }
        let t = token.get_untracked().unwrap_or_default();
        // Drafts and the outbox are this identity's (`state`): another person's are never read.
        set_identity(&identity_of(&t));
        let cell = Token::from(t);
        current.set_value(Some(cell.clone()));
        let session = Session {
            config: config.clone(),
            token: cell,
            subscription,
        };
        view! { <Shell session=session on_sign_out=sign_out person=person.into() ended=ended.into() on_sign_in_again=sign_in_again/> }.into_any()
    }
}

/// Where the map's boundaries come from (data/README.md has the details).
const MAP_ATTRIBUTION: &str =
    "Map boundaries: Natural Earth and the U.S. Census Bureau (public domain).";

/// The layout around every page, with the session in context. `person`: who is signed in (with
/// the identity provider); `ended`: why that sign-in ended, with Sign in again.
#[component]
pub fn Shell(
    session: Session,
    on_sign_out: Callback<()>,
    #[prop(optional)] person: Option<Signal<Option<String>>>,
    #[prop(optional)] ended: Option<Signal<Option<String>>>,
    #[prop(optional)] on_sign_in_again: Option<Callback<()>>,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let subscription = session.subscription.clone();
    // A portal framing the app hears where it is, on every route change (docs/embedding.md).
    let origins = session.config.allowed_parent_origins.clone();
    let on_navigate = (embed::framed() && !origins.is_empty()).then(|| {
        Callback::new(move |path: String| {
            embed::post(
                &serde_json::json!({"type": embed::NAVIGATED, "path": path}),
                &origins,
            )
        })
    });
    provide_context(Prefetch {
        page: Callback::new(prefetch_page),
        all: Callback::new(|()| prefetch_all()),
    });
    provide_context(Outbox::new(session.clone()));
    provide_context(session);
    view! {
        <Router on_navigate=on_navigate>
            <header class="topbar">
                <A href="/" attr:class="brand">"Peering Console"</A>
                <span class="sub" title="Subscription">{subscription}</span>
                <OutboxPanel/>
                {move || person.and_then(|p| p.get()).map(|name| view! {
                    <span class="who" id="signed-in-as" title="Signed in as">{name}</span>
                })}
                <button type="button" class="button small" id="sign-out" on:click=move |_| asking.set(true)>"Sign out"</button>
            </header>
            {move || ended.and_then(|e| e.get()).map(|why| view! {
                <div class="state error session-ended" role="alert" id="session-ended">
                    <p>{format!("Your sign-in has ended ({why}). What you typed is kept.")}</p>
                    <button type="button" class="button" id="sign-in-again"
                        on:click=move |_| if let Some(cb) = on_sign_in_again { cb.run(()) }>"Sign in again"</button>
                </div>
            })}
            {move || asking.get().then(|| {
                let confirm = Callback::new(move |()| { asking.set(false); on_sign_out.run(()); });
                let cancel = Callback::new(move |()| asking.set(false));
                lazy_view(Some("Loading…"), move || sign_out_dialog(confirm, cancel))
            })}
            <main id="main">
                <Pages/>
            </main>
            <footer class="footer">{peering_model::Catalog::embedded().attribution.clone()}" "{MAP_ATTRIBUTION}</footer>
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
        let page = page.get();
        // A visit that starts elsewhere than the list (a deep link, a portal's route) fetches
        // the rest too, once the page it opened on is there.
        if page != Page::Connections {
            prefetch_all();
        }
        match page {
            Page::Connections => view! { <ConnectionsPage/> }.into_any(),
            Page::NewConnection => lazy_view(LOADING, new_connection_page).into_any(),
            Page::Connection { .. } => lazy_view(LOADING, connection_page).into_any(),
            Page::NotFound => view! {
                <section class="page"><h1>"Not found"</h1><p><A href="/">"Back to connections"</A></p></section>
            }
            .into_any(),
        }
    }
}

/// Shown while a page's code is fetched (the first visit only; see `lazy`).
const LOADING: Option<&str> = Some("Loading the page…");

// The list is the page most visits start on, so it is in the main module; the others are
// fetched when first opened.
split! {
    fn new_connection_page() -> AnyView; preload fetch_new_connection_page {
        view! { <NewConnectionPage/> }.into_any()
    }
    fn connection_page() -> AnyView; preload fetch_connection_page {
        view! { <ConnectionDetailPage/> }.into_any()
    }
}

/// Fetches a page's module ahead of a visit (once: a module fetched is kept, and a fetch in
/// flight is shared). A failure is left for the visit, which says so with a Retry.
fn prefetch_page(page: Page) {
    let which = match page {
        Page::NewConnection => 0,
        Page::Connection { .. } => 1,
        Page::Connections | Page::NotFound => return,
    };
    // Pointing along a column of links while a module cannot be fetched (offline) asks again
    // at most every 10 s, not on every row. (A module fetched is kept: asking again is free.)
    thread_local! {
        static LAST: std::cell::Cell<[f64; 2]> = const { std::cell::Cell::new([f64::NEG_INFINITY; 2]) };
    }
    let now = js_sys::Date::now();
    let mut last = LAST.with(|l| l.get());
    if now - last[which] < 10_000.0 {
        return;
    }
    last[which] = now;
    LAST.with(|l| l.set(last));
    if which == 0 {
        in_background(fetch_new_connection_page());
    } else {
        in_background(fetch_connection_page());
    }
}

/// Runs a module's preload, whose result is left for the part's own visit (see `lazy_view`).
fn in_background<E>(preload: impl std::future::Future<Output = Result<(), E>> + 'static) {
    leptos::task::spawn_local(async move {
        let _ = preload.await;
    });
}

/// Every split module, fetched a second after the first page is on screen (the list's rows,
/// or another page; once per load of the app): the first view was drawn from the main module
/// alone, and from then on every page and panel opens at once, and still opens if the network
/// goes away (the outbox matters most then). A fetch that fails is tried again when its part
/// is opened.
fn prefetch_all() {
    thread_local! {
        static STARTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if STARTED.with(|s| s.replace(true)) {
        return;
    }
    set_timeout(
        || {
            in_background(fetch_connection_page());
            in_background(fetch_new_connection_page());
            in_background(crate::pages::connections::fetch_connection_import());
            in_background(crate::components::bulk::fetch_bulk_bar());
            in_background(crate::components::outbox_panel::fetch_outbox_list());
            in_background(crate::components::region_map::fetch_map_panel());
            in_background(crate::signin::fetch_sign_out_dialog());
        },
        std::time::Duration::from_secs(1),
    );
}

//! The app's routes live in the URL fragment: `index.html#/c/rg/name`, `#/?country=…`.
//!
//! Why not the path, as `leptos_router` does: the app must work copied as plain files to any
//! static host under any sub-path (`https://cdn.example.com/console/`), with no rewrite rule.
//! A path route (`/console/c/rg/name`) is a file the host does not have, so a deep link opened
//! in a new tab would be a 404 before any of our code runs. Every fragment URL loads
//! `index.html` from wherever it is, and the fragment never reaches the host (filters and names
//! stay out of its logs and caches). Nothing needs a base: every link is `#…`, resolved
//! against the page itself.
//!
//! The fragment is read on `hashchange` and `popstate` (back, forward, a typed or clicked `#…`
//! link); [`use_navigate`] writes it with `pushState`/`replaceState`, which fire neither, and
//! updates the route itself. A fragment that does not start with `/` is not a route (the
//! token hand-over `#token=…` is read and removed by [`crate::state::take_credentials`] before
//! the router starts) and means the list.

use leptos::leptos_dom::helpers::window_event_listener_untyped;
use leptos::prelude::*;
use peering_model::resource_id::decode;
use std::collections::BTreeMap;

/// A URL query (or route parameters): decoded `key → value`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParamsMap(BTreeMap<String, String>);

impl ParamsMap {
    pub fn get(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    /// `a=1&b=x%20y` (no leading `?`); a pair that cannot be decoded is left out.
    fn parse(query: &str) -> ParamsMap {
        ParamsMap(
            query
                .split('&')
                .filter(|p| !p.is_empty())
                .filter_map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    Some((decode(k)?, decode(&v.replace('+', " "))?))
                })
                .collect(),
        )
    }
}

/// Where the app is: a route path (`/`, `/new`, `/c/rg/name`, segments still encoded) and its
/// query.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub path: String,
    pub query: ParamsMap,
}

impl Route {
    /// The route a fragment names (with or without its `#`).
    pub fn from_fragment(fragment: &str) -> Route {
        let f = fragment.strip_prefix('#').unwrap_or(fragment);
        if !f.starts_with('/') {
            return Route {
                path: "/".into(),
                query: ParamsMap::default(),
            };
        }
        let (path, query) = f.split_once('?').unwrap_or((f, ""));
        Route {
            path: path.to_owned(),
            query: ParamsMap::parse(query),
        }
    }

    fn current() -> Route {
        let hash = web_sys::window()
            .and_then(|w| w.location().hash().ok())
            .unwrap_or_default();
        Route::from_fragment(&hash)
    }
}

/// Whether a fragment is a token hand-over (`#token=…[&subscription=…]`) rather than a route:
/// what [`crate::state::take_credentials`] would take a token from.
pub fn is_credentials(fragment: &str) -> bool {
    crate::state::fragment_token(fragment).is_some()
}

/// The pages, from a route path.
#[derive(Debug, Clone, PartialEq)]
pub enum Page {
    Connections,
    NewConnection,
    Connection {
        resource_group: String,
        name: String,
    },
    NotFound,
}

impl Page {
    pub fn of(path: &str) -> Page {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match segments.as_slice() {
            [""] => Page::Connections,
            ["new"] => Page::NewConnection,
            ["c", rg, name] if !rg.is_empty() && !name.is_empty() => {
                match (decode(rg), decode(name)) {
                    (Some(resource_group), Some(name)) => Page::Connection {
                        resource_group,
                        name,
                    },
                    _ => Page::NotFound,
                }
            }
            _ => Page::NotFound,
        }
    }
}

#[derive(Clone, Copy)]
struct RouterState {
    route: RwSignal<Route>,
    on_navigate: Option<Callback<String>>,
}

impl RouterState {
    /// Moves to `next`, telling `on_navigate` the route as it stands in the fragment.
    fn go(&self, next: Route) {
        if self.route.try_with_untracked(|r| *r != next) == Some(true) {
            self.route.try_set(next);
            self.told();
        }
    }

    fn told(&self) {
        if let Some(f) = self.on_navigate {
            f.run(current_fragment_route());
        }
    }
}

/// The route as written after the `#` (`/c/rg/name`, `/?country=…`); `/` for none.
fn current_fragment_route() -> String {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    match hash.strip_prefix('#') {
        Some(p) if p.starts_with('/') => p.to_owned(),
        _ => "/".to_owned(),
    }
}

/// Holds the route for everything inside it and follows the fragment. `on_navigate` hears
/// the route at the start and after every change.
#[component]
pub fn Router(
    children: Children,
    #[prop(default = None)] on_navigate: Option<Callback<String>>,
) -> impl IntoView {
    let route = RwSignal::new(Route::current());
    let state = RouterState { route, on_navigate };
    provide_context(state);
    state.told();
    // A token hand-over is no route: the page is loaded again for it (see `App`).
    let follow = move || {
        let hash = web_sys::window()
            .and_then(|w| w.location().hash().ok())
            .unwrap_or_default();
        if !is_credentials(&hash) {
            state.go(Route::current())
        }
    };
    let changes = [
        window_event_listener_untyped("hashchange", move |_| follow()),
        window_event_listener_untyped("popstate", move |_| follow()),
    ];
    on_cleanup(move || changes.into_iter().for_each(|h| h.remove()));
    children()
}

fn state() -> RouterState {
    expect_context::<RouterState>()
}

/// The current route.
pub fn use_route() -> Memo<Route> {
    let route = state().route;
    Memo::new(move |_| route.get())
}

/// The current page (changes only when the page does, not with its query).
pub fn use_page() -> Memo<Page> {
    let route = state().route;
    Memo::new(move |_| route.with(|r| Page::of(&r.path)))
}

/// The current query.
pub fn use_query_map() -> Memo<ParamsMap> {
    let route = state().route;
    Memo::new(move |_| route.with(|r| r.query.clone()))
}

/// The current page's parameters (`rg` and `name` on a connection's page).
pub fn use_params_map() -> Memo<ParamsMap> {
    let page = use_page();
    Memo::new(move |_| match page.get() {
        Page::Connection {
            resource_group,
            name,
        } => ParamsMap(BTreeMap::from([
            ("rg".to_owned(), resource_group),
            ("name".to_owned(), name),
        ])),
        _ => ParamsMap::default(),
    })
}

#[derive(Debug, Clone, Copy, Default)]
pub struct NavigateOptions {
    /// Replace the current history entry instead of adding one.
    pub replace: bool,
}

/// Goes to a route (`/new?step=basics`): a history entry (or a replaced one) and the route.
pub fn use_navigate() -> impl Fn(&str, NavigateOptions) + Clone + 'static {
    let state = state();
    move |to: &str, options: NavigateOptions| {
        let Some(w) = web_sys::window() else {
            return;
        };
        if let Ok(history) = w.history() {
            let url = format!("#{to}");
            let _ = if options.replace {
                history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
            } else {
                history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
            };
        }
        state.go(Route::from_fragment(to));
    }
}

/// The `href` of a route, relative to the page (`#/c/rg/name`).
pub fn href(to: &str) -> String {
    format!("#{to}")
}

/// Fetches code ahead of its use (given in context by the shell; see `lazy`): a page's, or
/// (`all`) every part's.
#[derive(Clone, Copy)]
pub struct Prefetch {
    pub page: Callback<Page>,
    pub all: Callback<()>,
}

/// A link to a route: an ordinary `<a href="#…">` (open in a new tab, copy, middle-click all
/// work as on any link). Pointed at or focused, it has its page's code fetched ahead.
#[component]
pub fn A(#[prop(into)] href: String, children: Children) -> impl IntoView {
    let ahead = use_context::<Prefetch>().map(|Prefetch { page: f, .. }| {
        let page = Page::of(href.split('?').next().unwrap_or_default());
        move || f.run(page.clone())
    });
    let (a1, a2) = (ahead.clone(), ahead);
    view! {
        <a href=self::href(&href)
            on:pointerenter=move |_| if let Some(f) = &a1 { f() }
            on:focus=move |_| if let Some(f) = &a2 { f() }>{children()}</a>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_name_routes() {
        let r = Route::from_fragment("#/c/rg%201/my-conn?tab=prefixes&q=a+b");
        assert_eq!(r.path, "/c/rg%201/my-conn");
        assert_eq!(r.query.get("tab").as_deref(), Some("prefixes"));
        assert_eq!(r.query.get("q").as_deref(), Some("a b"));
        assert_eq!(
            Page::of(&r.path),
            Page::Connection {
                resource_group: "rg 1".into(),
                name: "my-conn".into()
            }
        );
        assert_eq!(Route::from_fragment("").path, "/");
        assert_eq!(Route::from_fragment("#token=abc").path, "/");
        assert_eq!(Page::of("/"), Page::Connections);
        assert_eq!(Page::of("/new"), Page::NewConnection);
        assert_eq!(Page::of("/c/rg"), Page::NotFound);
        assert_eq!(Page::of("/c//x"), Page::NotFound);
        assert_eq!(Page::of("/nope"), Page::NotFound);
    }

    #[test]
    fn a_token_hand_over_is_not_a_route() {
        assert!(is_credentials("#token=abc"));
        assert!(is_credentials("#subscription=s&token=abc"));
        assert!(!is_credentials("#/?token=abc"));
        assert!(!is_credentials("#token="), "an empty token is none");
        assert!(!is_credentials("#/c/rg/name"));
        assert!(!is_credentials(""));
    }
}

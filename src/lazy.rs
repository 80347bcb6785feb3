//! Code kept out of the main module, so the list page starts on a smaller wasm.
//!
//! A function declared with [`split!`] becomes `async` and returns `Result<T, LoadFailed>`.
//! In the release build (`cargo xtask dist` builds with `--cfg split`), wasm-split cuts it,
//! and everything only it reaches, out of the main module into a module of its own, fetched
//! (once) the first time it is called or preloaded; what two split functions share goes into
//! a third, so nothing is fetched twice. Elsewhere (`trunk serve`, the wasm tests) it is an
//! ordinary function that is ready at once, so the same call sites run in both.
//!
//! Where the split points are (ARCHITECTURE.md has the list): the pages other than the list,
//! and on the list page what only a click opens (the CSV import, the bulk bar, the outbox
//! panel, the map). When the fetches happen: in the background, a second after the first page
//! is on screen (the list's rows, or the page a visit opened on), every module
//! (`app::prefetch_all`), so pages and panels open at once and still open offline; before
//! that, only what the user asks for: a page's when a link to it is pointed at or focused
//! (`routing::Prefetch`), the map's when the address shows the map (`?map=1`). A split function is called inside [`lazy_view`] or [`Lazy`], which
//! show "Loading…" while its module is not there yet and, if the fetch fails (offline, or a
//! deploy that removed the files), say so with Retry (a failed fetch is not remembered, so
//! Retry fetches again) and Reload (a newer build is then loaded).

use leptos::prelude::*;
use std::future::Future;

/// A split module could not be fetched or instantiated (the browser's console has why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadFailed;

impl From<leptos::wasm_split::SplitLoaderError> for LoadFailed {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        LoadFailed
    }
}

/// What the user reads when a part of the app could not be fetched.
pub const LOAD_FAILED: &str = "This part of the console could not be loaded: the network may be down, or a newer version of the console was installed. Retry, or reload the console.";

/// Declares functions whose code is split out of the main module in the release build; each
/// becomes `async fn name(args) -> Result<T, LoadFailed>` (see the module's documentation).
/// `fn name(…) -> T; preload other { … }` also declares `async fn other()`, which fetches the
/// module without running anything in it (its result says whether it could; nothing to do in
/// an unsplit build).
macro_rules! split {
    ($($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $out:ty $(; preload $pre:ident)? $body:block)*) => {$(
        $(#[$meta])*
        #[cfg(split)]
        #[::leptos::wasm_split::wasm_split($name, wasm_split_path = ::leptos::wasm_split, fallible $(, preload(#[doc(hidden)] $pre))?)]
        $vis fn $name($($arg: $ty),*) -> ::std::result::Result<$out, $crate::lazy::LoadFailed> {
            ::std::result::Result::Ok($body)
        }
        $(#[$meta])*
        #[cfg(not(split))]
        $vis async fn $name($($arg: $ty),*) -> ::std::result::Result<$out, $crate::lazy::LoadFailed> {
            ::std::result::Result::Ok($body)
        }
        $(
            #[cfg(not(split))]
            $vis async fn $pre() -> ::std::result::Result<(), $crate::lazy::LoadFailed> {
                ::std::result::Result::Ok(())
            }
        )?
    )*};
}
pub(crate) use split;

/// Where fetching a module stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Loading,
    Ready,
    Failed,
}

/// Shows the view `load` gives once its module is there: `loading` until then (if given), and
/// [`LOAD_FAILED`] with Retry and Reload if it cannot be fetched. Those two notes show only
/// while `visible()` (a closed panel shows neither).
///
/// `load` runs inside a reactive owner that lives as long as this view, so the view it builds
/// (contexts, effects, cleanups) belongs here as if it had been built in place.
fn lazy_in<V, F, Fut>(loading: Option<&'static str>, visible: V, load: F) -> impl IntoView
where
    V: Fn() -> bool + Send + Sync + 'static,
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, LoadFailed>> + Send + 'static,
{
    let attempt = RwSignal::new(0u32);
    let status = RwSignal::new(Status::Loading);
    // Ready at once when the module is already there (or in an unsplit build): then the view
    // is built in this pass, with no "Loading…" shown for a frame.
    let body = move || {
        attempt.track();
        let fut = load();
        Suspend::new(async move {
            let got = fut.await;
            status.try_set(if got.is_ok() {
                Status::Ready
            } else {
                Status::Failed
            });
            got.ok()
        })
    };
    let retry = move |_| {
        status.set(Status::Loading);
        attempt.update(|n| *n += 1);
    };
    // A module of an earlier build is gone once a new build replaced it (the host kept only
    // the new files): then only a reload, which fetches the new build, helps.
    let reload = |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    };
    let note = move || {
        if !visible() {
            return None;
        }
        match status.get() {
            Status::Ready => None,
            Status::Loading => loading.map(|text| view! { <p class="state loading" role="status">{text}</p> }.into_any()),
            Status::Failed => Some(view! {
                <div class="state error" role="alert">
                    <p>{LOAD_FAILED}</p>
                    <p class="row">
                        <button type="button" class="button small lazy-retry" on:click=retry>"Retry"</button>
                        <button type="button" class="button small lazy-reload" on:click=reload>"Reload the console"</button>
                    </p>
                </div>
            }.into_any()),
        }
    };
    view! { {body}{note} }
}

/// [`lazy_in`], always visible: a page, or a part of one that is shown as long as it exists.
pub fn lazy_view<F, Fut>(loading: Option<&'static str>, load: F) -> impl IntoView
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, LoadFailed>> + Send + 'static,
{
    lazy_in(loading, || true, load)
}

/// Nothing until `when` is first true; from then on the view `load` gives (through
/// [`lazy_in`], its notes shown while `when` is true), kept while `when` turns false again, so
/// what it holds (a half-typed import, a bulk result) is not lost.
#[component]
pub fn Lazy<W, F, Fut>(when: W, load: F) -> impl IntoView
where
    W: Fn() -> bool + Send + Sync + 'static,
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, LoadFailed>> + Send + 'static,
{
    let when = Memo::new(move |_| when());
    let wanted = Memo::new(move |was: Option<&bool>| was == Some(&true) || when.get());
    let load = StoredValue::new(load);
    move || {
        wanted.get().then(|| {
            lazy_in(
                Some("Loading…"),
                move || when.get(),
                move || load.with_value(|l| l()),
            )
        })
    }
}

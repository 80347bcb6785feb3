//! Why a list could not be loaded, with a retry when retrying can help.

use crate::api::{ApiError, ErrorKind};
use leptos::prelude::*;

#[component]
pub fn LoadError(error: ApiError, on_retry: impl Fn() + 'static + Send + Sync) -> impl IntoView {
    // The token refused: retrying cannot help, the message says what will.
    let retry = error.kind != ErrorKind::Unauthorized;
    view! {
        <div class="state error" role="alert">
            <p><strong>"Connections could not be loaded. "</strong>{error.message}</p>
            {retry.then(|| view! { <button class="button" on:click=move |_| on_retry()>"Retry"</button> })}
        </div>
    }
}

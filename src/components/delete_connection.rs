//! Deleting a connection: the name is typed to confirm, and the delete names the version the
//! page showed (`If-Match`).

use crate::api::{self, ApiError};
use crate::components::confirm_delete::{ConfirmDelete, ConfirmMode, DeleteFuture};
use crate::state::Session;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use peering_model::names::NameKind;
use peering_model::{ResourceId, ServiceId};

#[component]
pub fn DeleteConnection(
    service: ServiceId,
    /// The ETag of the version shown (it follows the page's reloads).
    #[prop(into)]
    etag: Signal<Option<String>>,
    /// Reloads the page's connection (offered when it changed elsewhere).
    on_reload: impl Fn() + 'static,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let navigate = use_navigate();
    let name = service.name.clone();
    let id = ResourceId::from(service);
    let on_confirm = move || -> DeleteFuture {
        let (s, id, etag, navigate) = (
            session.clone(),
            id.clone(),
            etag.get_untracked(),
            navigate.clone(),
        );
        Box::pin(async move {
            let name = &id.service.name;
            let etag = etag.ok_or_else(|| api::no_etag(NameKind::Connection, name))?;
            api::delete(&s, &id, &etag).await?;
            navigate("/", Default::default());
            Ok::<(), ApiError>(())
        })
    };
    view! {
        <section class="form danger">
            <h2>"Delete connection"</h2>
            <ConfirmDelete kind=NameKind::Connection name=name mode=ConfirmMode::TypeName
                consequence=" with all its prefixes and monitor tests"
                on_confirm=on_confirm on_reload=on_reload/>
        </section>
    }
}

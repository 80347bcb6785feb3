//! Deleting a connection: the name is typed to confirm, and the delete names the version the
//! page showed (`If-Match`). If someone changed it since (412), the conflict dialog shows
//! their version beside the one the page showed; the user keeps theirs (nothing is deleted)
//! or deletes their version (against its ETag, so a third change is caught the same way).

use crate::api::{self, ApiError, ErrorKind, Replay, Tagged};
use crate::components::confirm_delete::{ConfirmDelete, ConfirmMode, DeleteFuture};
use crate::components::conflict::{Choice, ConflictDialog, Side};
use crate::components::connection_row::{row_sides, Row};
use crate::outbox::Outbox;
use crate::routing::use_navigate;
use crate::state::Session;
use leptos::prelude::*;
use peering_model::names::NameKind;
use peering_model::wire::PeeringService;
use peering_model::{ResourceId, ServiceId};

/// Two versions of a connection field by field, as the list shows them.
fn sides(theirs: &PeeringService, shown: &PeeringService) -> Vec<Side> {
    row_sides(&Row::from_wire(theirs), &Row::from_wire(shown))
}

#[component]
pub fn DeleteConnection(
    service: ServiceId,
    /// The version shown, with its ETag (it follows the page's reloads).
    #[prop(into)]
    shown: Signal<Option<Tagged<PeeringService>>>,
    /// Reloads the page's connection (offered when it changed elsewhere).
    on_reload: impl Fn() + Clone + 'static,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let navigate = use_navigate();
    let name = service.name.clone();
    let id = ResourceId::from(service);
    // Their version, when a delete met a change made elsewhere.
    let conflict = RwSignal::new(None::<(Tagged<PeeringService>, PeeringService)>);
    let outbox = use_context::<Outbox>();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let (s1, id1, nav1) = (session.clone(), id.clone(), navigate.clone());
    let on_confirm = move || -> DeleteFuture {
        let (s, id, shown, navigate) =
            (s1.clone(), id1.clone(), shown.get_untracked(), nav1.clone());
        Box::pin(async move {
            let name = id.service.name.clone();
            let shown = shown.ok_or_else(|| api::no_etag(NameKind::Connection, &name))?;
            let etag = shown
                .etag
                .clone()
                .ok_or_else(|| api::no_etag(NameKind::Connection, &name))?;
            match api::delete(&s, &id, &etag).await {
                Ok(()) => {
                    navigate("/", Default::default());
                    Ok(())
                }
                Err(e) if e.kind == ErrorKind::PreconditionFailed => {
                    match api::get::<PeeringService>(&s, &id).await {
                        Ok(theirs) if theirs.etag.is_some() => {
                            conflict.try_set(Some((theirs, shown.value)));
                            // The dialog takes it from here; the confirmation goes back to idle.
                            Err(ApiError::new(
                                ErrorKind::Aborted,
                                "Conflict",
                                "Shown in the conflict dialog.",
                            ))
                        }
                        _ => Err(e),
                    }
                }
                // No answer (or a 5xx, a 429): the outbox sends the delete when it can.
                Err(e) if e.is_transient() && outbox.is_some() => {
                    if let Some(o) = outbox {
                        let write = Replay::Delete {
                            id: id.to_string(),
                            etag,
                        };
                        o.push(format!("Delete connection '{name}'"), write, &e);
                    }
                    navigate("/", Default::default());
                    Ok(())
                }
                Err(e) => Err(e),
            }
        })
    };
    let reload = StoredValue::new_local(on_reload.clone());
    let choose = Callback::new(move |c: Choice| {
        let Some((theirs, _)) = conflict.get_untracked() else {
            return;
        };
        match c {
            Choice::Cancel => conflict.set(None),
            Choice::KeepTheirs | Choice::Merge => {
                conflict.set(None);
                reload.with_value(|f| f());
            }
            Choice::Overwrite => {
                let (s, id, navigate) = (session.clone(), id.clone(), navigate.clone());
                let etag = theirs.etag.clone().unwrap_or_default();
                busy.set(true);
                error.set(None);
                leptos::task::spawn_local_scoped(async move {
                    match api::delete(&s, &id, &etag).await {
                        Ok(()) => {
                            conflict.set(None);
                            navigate("/", Default::default());
                        }
                        Err(e) if e.kind == ErrorKind::PreconditionFailed => {
                            // Changed once more: show that version instead.
                            if let Ok(now) = api::get::<PeeringService>(&s, &id).await {
                                conflict.update(|c| {
                                    if let Some(c) = c {
                                        c.0 = now;
                                    }
                                });
                            }
                            error.set(Some(e.message));
                        }
                        Err(e) => error.set(Some(e.message)),
                    }
                    busy.set(false);
                });
            }
        }
    });
    let subject = format!("connection '{name}'");
    view! {
        <section class="form danger">
            <h2>"Delete connection"</h2>
            <ConfirmDelete kind=NameKind::Connection name=name mode=ConfirmMode::TypeName
                consequence=" with all its prefixes and monitor tests"
                on_confirm=on_confirm on_reload=on_reload/>
            {move || conflict.get().map(|(theirs, shown)| view! {
                <ConflictDialog subject=subject.clone() field="Field" sides=sides(&theirs.value, &shown)
                    yours="The version you chose to delete" overwrite="Delete their version"
                    busy=busy error=error on_choose=choose/>
            })}
        </section>
    }
}

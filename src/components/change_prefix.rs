//! "Change a prefix": a prefix's value is immutable, so changing it is one action that deletes
//! the prefix (only if it is still the version shown) and creates it again, with the same name
//! and key, as the new value. The form says so plainly. If the create fails after the delete,
//! the state is said as it is (deleted, not re-created) with a retry that creates nothing
//! twice, and a way back to the old value.

use crate::api::{self, ApiError, ErrorKind};
use crate::outbox::Outbox;
use crate::state::Session;
use leptos::prelude::*;
use leptos::task::spawn_local;
use peering_model::names::NameKind;
use peering_model::prefix::check_prefix_value;
use peering_model::wire::{PeeringServicePrefix, PrefixProperties};
use peering_model::{ChildKind, ResourceId, ServiceId};

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Idle,
    Editing,
    Working,
    /// The old prefix is deleted; creating the new one failed.
    Deleted(ApiError),
    Failed(ApiError),
}

fn body(prefix: &str, key: Option<String>) -> PeeringServicePrefix {
    PeeringServicePrefix {
        properties: Some(PrefixProperties {
            prefix: Some(prefix.to_owned()),
            peering_service_prefix_key: key,
            ..PrefixProperties::default()
        }),
        ..PeeringServicePrefix::default()
    }
}

#[component]
pub fn ChangePrefix(
    service: ServiceId,
    /// The prefix as the table shows it.
    shown: PeeringServicePrefix,
    /// Reloads the table after the change.
    on_done: impl Fn() + Clone + 'static,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let name = shown.name.clone().unwrap_or_default();
    let props = shown.properties.clone().unwrap_or_default();
    let old = props.prefix.clone().unwrap_or_default();
    let key = props.peering_service_prefix_key.clone();
    let id: ResourceId = service.child(ChildKind::Prefix, &name);
    let step = RwSignal::new(Step::Idle);
    let value = RwSignal::new(old.clone());
    let finding = Memo::new(move |_| {
        value.with(|v| {
            check_prefix_value(v)
                .1
                .first_error()
                .map(|f| f.message.clone())
        })
    });
    let on_done = StoredValue::new_local(on_done);
    let outbox = use_context::<Outbox>();
    let ctx = StoredValue::new((session, id, shown, key, name.clone(), old.clone()));

    // Creates the prefix as `v`: the second half of a change, a retry of it, or the way back.
    // The tasks are not tied to this row: a reload of the table while a change runs must not
    // abort the create that follows the delete.
    let finish = move |s: Session, id: ResourceId, v: String, key: Option<String>| async move {
        match api::create(&s, &id, &body(&v, key.clone())).await {
            Ok(_) => {
                step.try_set(Step::Idle);
                on_done.try_with_value(|f| f());
            }
            Err(e) if e.kind == ErrorKind::Aborted => {}
            // No answer (or a 5xx, a 429): the outbox creates it when it can, so the prefix
            // is not lost if this row is rebuilt meanwhile.
            Err(e) if e.is_transient() && outbox.is_some() => {
                if let Some(o) = outbox {
                    let label = format!(
                        "Create prefix {} again as {v}",
                        id.child.as_ref().map_or("", |(_, n)| n.as_str())
                    );
                    o.push_create(label, &id, &body(&v, key.clone()), &e);
                }
                step.try_set(Step::Idle);
            }
            Err(e) => {
                step.try_set(Step::Deleted(e));
            }
        }
    };
    let create = move |v: String| {
        let (s, id, _, key, _, _) = ctx.get_value();
        step.set(Step::Working);
        spawn_local(finish(s, id, v, key));
    };
    let replace = move || {
        if step.get_untracked() == Step::Working || finding.get_untracked().is_some() {
            return;
        }
        let (s, id, shown, key, name, old) = ctx.get_value();
        let new = value.get_untracked().trim().to_owned();
        if new == old {
            step.set(Step::Idle);
            return;
        }
        step.set(Step::Working);
        spawn_local(async move {
            if let Err(e) = api::delete_if_unchanged(&s, &id, NameKind::Prefix, &name, &shown).await
            {
                if e.kind != ErrorKind::Aborted {
                    step.try_set(Step::Failed(e));
                }
                return;
            }
            finish(s, id, new, key).await;
        });
    };
    let (n1, n2, o1, o2) = (name.clone(), name.clone(), old.clone(), old.clone());
    view! {
        <span class="change-prefix">
            {move || match step.get() {
                Step::Idle => view! {
                    <button type="button" class="button small change" on:click=move |_| step.set(Step::Editing)>"Change"</button>
                }.into_any(),
                Step::Editing | Step::Working | Step::Failed(_) => view! {
                    <span class="confirm" role="group" aria-label=format!("Change prefix {n1}")>
                        <input type="text" class="mono new-prefix" aria-label=format!("New value of prefix {n1}")
                            prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
                        <button type="button" class="button small danger replace"
                            aria-disabled=move || (finding.get().is_some() || step.get() == Step::Working).to_string()
                            on:click=move |_| replace()>{move || if step.get() == Step::Working { "Replacing…" } else { "Replace" }}</button>
                        <Show when=move || step.get() != Step::Working>
                            <button type="button" class="button small cancel" on:click=move |_| step.set(Step::Idle)>"Cancel"</button>
                        </Show>
                        <span class="msg hint">{format!("A prefix cannot be edited: this deletes {n1} ({o1}) and creates it again with the new value; its validation starts over.")}</span>
                        {move || finding.get().map(|f| view! { <span class="msg error" role="alert">{f}</span> })}
                        {move || match step.get() {
                            Step::Failed(e) => Some(view! { <span class="msg error" role="alert">{e.message}</span> }),
                            _ => None,
                        }}
                    </span>
                }.into_any(),
                Step::Deleted(e) => {
                    let (new, back) = (value.get_untracked(), o2.clone());
                    view! {
                        <span class="msg error" role="alert">
                            {format!("Prefix {n2} ({o2}) was deleted, but creating it as {new} failed: {} ", e.message)}
                            <button type="button" class="button small retry" on:click=move |_| create(value.get_untracked())>"Create again"</button>
                            <button type="button" class="button small restore" on:click=move |_| create(back.clone())>{format!("Restore {o2}")}</button>
                        </span>
                    }.into_any()
                }
            }}
        </span>
    }
}

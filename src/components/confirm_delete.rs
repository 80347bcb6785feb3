//! The one delete confirmation, for connections, prefixes and monitor tests.
//!
//! Nothing is deleted on the first click: [`ConfirmMode::Inline`] (a row of a list) turns the
//! "Delete" button into "Delete prefix web? [Confirm] [Cancel]" with the focus on Confirm;
//! [`ConfirmMode::TypeName`] (a connection, which takes its children with it) asks for the
//! name to be typed. While the delete is in flight the button says "Deleting…" and another
//! confirmation is ignored, so a delete is never sent twice. A refusal because the resource
//! changed elsewhere (412, or gone) says so with `messages::changed_elsewhere` and offers a
//! reload.

use crate::api::{ApiError, ErrorKind};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local_scoped;
use peering_model::messages;
use peering_model::names::NameKind;
use std::future::Future;
use std::pin::Pin;

/// The delete itself, as [`ConfirmDelete`] runs it.
pub type DeleteFuture = Pin<Box<dyn Future<Output = Result<(), ApiError>>>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmMode {
    /// "Delete X? [Confirm] [Cancel]" in place of the button.
    Inline,
    /// Type the name, then "Delete".
    TypeName,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Idle,
    Asking,
    Pending,
    Done,
    Failed(ApiError),
}

#[component]
pub fn ConfirmDelete(
    kind: NameKind,
    name: String,
    mode: ConfirmMode,
    /// Sends the delete (and does what follows a success). Runs once per confirmation.
    on_confirm: impl Fn() -> DeleteFuture + 'static,
    /// Reloads what the page shows; offered when the resource changed elsewhere.
    on_reload: impl Fn() + 'static,
    /// What else goes with it, for the typed confirmation's label (" with all its …").
    #[prop(optional)]
    consequence: &'static str,
) -> impl IntoView {
    let step = RwSignal::new(Step::Idle);
    let on_confirm = StoredValue::new_local(on_confirm);
    let on_reload = StoredValue::new_local(on_reload);
    let noun = kind.noun_only();
    let subject = format!("{noun} {name}");

    let pending = Memo::new(move |_| step.with(|s| matches!(s, Step::Pending | Step::Done)));
    let confirm = move || {
        if pending.get_untracked() {
            return;
        }
        step.set(Step::Pending);
        let delete = on_confirm.with_value(|f| f());
        spawn_local_scoped(async move {
            let next = match delete.await {
                Ok(()) => Step::Done,
                Err(e) if e.kind == ErrorKind::Aborted => Step::Idle,
                Err(e) => Step::Failed(e),
            };
            step.try_set(next);
        });
    };

    let n = name.clone();
    let error = move || {
        let Step::Failed(e) = step.get() else {
            return None;
        };
        let changed = matches!(e.kind, ErrorKind::PreconditionFailed | ErrorKind::NotFound);
        let message = if changed {
            messages::changed_elsewhere(kind, &n)
        } else {
            format!("The {noun} '{n}' was not deleted: {}", e.message)
        };
        Some(view! {
            <div class="msg error confirm-error" role="alert">
                <p>{message}</p>
                {changed.then(|| view! {
                    <button type="button" class="button small reload" on:click=move |_| on_reload.with_value(|f| f())>"Reload"</button>
                })}
            </div>
        })
    };
    let busy = move |idle: &'static str| {
        step.with(|s| match s {
            Step::Pending => "Deleting…",
            Step::Done => "Deleted",
            _ => idle,
        })
    };

    match mode {
        ConfirmMode::Inline => {
            let confirm_ref = NodeRef::<html::Button>::new();
            let delete_ref = NodeRef::<html::Button>::new();
            // Focus follows the question: onto Confirm when it opens, back to Delete on Cancel.
            let back = StoredValue::new(false);
            Effect::new(move |_| {
                if let Some(b) = confirm_ref.get() {
                    let _ = b.focus();
                }
            });
            Effect::new(move |_| {
                if let Some(b) = delete_ref.get() {
                    if back.get_value() {
                        back.set_value(false);
                        let _ = b.focus();
                    }
                }
            });
            let asking =
                move || step.with(|s| matches!(s, Step::Asking | Step::Pending | Step::Done));
            let question = format!("Delete {subject}?");
            let aria = format!("Delete {subject}");
            view! {
                <div class="confirm-delete">
                    <Show when=asking fallback=move || view! {
                        <button type="button" class="button small delete" node_ref=delete_ref aria-label=aria.clone()
                            on:click=move |_| step.set(Step::Asking)>"Delete"</button>
                    }>
                        <span class="confirm" role="group" aria-label=question.clone()>
                            <span class="question">{question.clone()}</span>
                            <button type="button" class="button small danger confirm" node_ref=confirm_ref
                                aria-disabled=move || pending.get().to_string() on:click=move |_| confirm()>{move || busy("Confirm")}</button>
                            <button type="button" class="button small cancel" aria-disabled=move || pending.get().to_string()
                                on:click=move |_| if !pending.get_untracked() { back.set_value(true); step.set(Step::Idle) }>"Cancel"</button>
                        </span>
                    </Show>
                    {error}
                </div>
            }
            .into_any()
        }
        ConfirmMode::TypeName => {
            let typed = RwSignal::new(String::new());
            let n = name.clone();
            let matches = Memo::new(move |_| typed.with(|t| *t == n));
            let submit = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                if matches.get_untracked() {
                    confirm();
                }
            };
            view! {
                <form class="confirm-delete typed" on:submit=submit>
                    <div class="field">
                        <label for="confirm-delete">{format!("Type the {noun} name to delete it{consequence}")}</label>
                        <input id="confirm-delete" type="text" autocomplete="off" spellcheck="false"
                            prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
                    </div>
                    {error}
                    <button type="submit" class="button danger" id="confirm-delete-submit"
                        aria-disabled=move || (!matches.get() || pending.get()).to_string()>
                        {move || busy("Delete")}
                    </button>
                </form>
            }
            .into_any()
        }
    }
}

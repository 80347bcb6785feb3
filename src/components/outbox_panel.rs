//! The outbox in the top bar: a count of writes waiting to be sent, and a list of them with
//! each one's state, "Retry now" and "Discard". A change or delete the server refused because
//! someone else changed the resource (412) offers "Compare": the conflict dialog with the
//! version stored now beside the write, to keep theirs (the write is discarded) or replace it
//! (the write is sent again against their version's ETag).

use crate::api::{self, ErrorKind, Replay, Tagged};
use crate::components::child_conflict::json_sides;
use crate::components::conflict::{Choice, ConflictDialog};
use crate::lazy::{split, Lazy};
use crate::outbox::{Outbox, Status};
use crate::state::Session;
use leptos::prelude::*;
use peering_model::ResourceId;
use serde_json::Value;

/// A stopped write being compared: its key, whether it is a delete, the version stored now,
/// and what the write would leave (the version it meant to delete).
type Resolving = (u64, bool, Tagged<Value>, Value);

fn clock(ms: f64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    d.to_locale_time_string("default").into()
}

#[component]
pub fn OutboxPanel() -> impl IntoView {
    let pending = expect_context::<Outbox>().pending();
    let open = RwSignal::new(false);
    let count = Memo::new(move |_| pending.with(Vec::len));
    view! {
        <Show when=move || { count.get() > 0 || open.get() }>
            <button type="button" class="button small outbox-toggle" id="outbox-toggle"
                aria-expanded=move || open.get().to_string() aria-controls="outbox"
                on:click=move |_| open.update(|o| *o = !*o)>
                "Outbox "<span class="badge" id="outbox-count" aria-live="polite">{count}</span>
            </button>
        </Show>
        <Lazy when=move || open.get() load=move || outbox_list(open)/>
    }
}

split! {
    /// [`OutboxList`], fetched when the outbox is first opened.
    pub(crate) fn outbox_list(open: RwSignal<bool>) -> AnyView; preload fetch_outbox_list {
        view! { <OutboxList open=open/> }.into_any()
    }
}

/// The writes waiting, while `open`, and the conflict dialog of the one being compared.
#[component]
fn OutboxList(open: RwSignal<bool>) -> impl IntoView {
    let outbox = expect_context::<Outbox>();
    let pending = outbox.pending();
    let count = Memo::new(move |_| pending.with(Vec::len));
    let session = use_context::<Session>();
    let resolving = RwSignal::new(None::<Resolving>);
    let resolve_error = RwSignal::new(None::<String>);
    let compare = move |key: u64, write: Replay| {
        let Some(s) = session.clone() else { return };
        let Ok(id) = ResourceId::parse(write.id()) else {
            return;
        };
        resolve_error.set(None);
        leptos::task::spawn_local_scoped(async move {
            match api::get::<Value>(&s, &id).await {
                Ok(theirs) => {
                    let mine = match &write {
                        Replay::Patch { body, .. } => {
                            let mut v = theirs.value.clone();
                            if let (Some(o), Some(b)) = (v.as_object_mut(), body.as_object()) {
                                for (k, x) in b {
                                    o.insert(k.clone(), x.clone());
                                }
                            }
                            v
                        }
                        Replay::DeleteIfUnchanged { shown, .. } => shown.clone(),
                        _ => Value::Null,
                    };
                    let delete = matches!(
                        write,
                        Replay::Delete { .. } | Replay::DeleteIfUnchanged { .. }
                    );
                    if theirs.etag.is_none() {
                        resolve_error.set(Some("The server sent no ETag for the stored version, so it cannot be replaced safely; discard the write and make the change again.".into()));
                        return;
                    }
                    resolving.set(Some((key, delete, theirs, mine)));
                }
                // Gone already: a delete has nothing left to do; a change has nothing to apply to.
                Err(e) if e.kind == ErrorKind::NotFound => {
                    if matches!(
                        write,
                        Replay::Delete { .. } | Replay::DeleteIfUnchanged { .. }
                    ) {
                        outbox.discard(key);
                    } else {
                        resolve_error.set(Some("The resource no longer exists (deleted elsewhere), so this change cannot be applied; discard it.".into()));
                    }
                }
                Err(e) => resolve_error.set(Some(e.message)),
            }
        });
    };
    let compare = StoredValue::new(compare);
    let choose = Callback::new(move |c: Choice| {
        let Some((key, _, theirs, _)) = resolving.get_untracked() else {
            return;
        };
        match c {
            Choice::Cancel => {}
            Choice::KeepTheirs | Choice::Merge => outbox.discard(key),
            Choice::Overwrite => {
                if let Some(etag) = theirs.etag.as_deref() {
                    outbox.retarget(key, etag);
                }
            }
        }
        resolving.set(None);
    });
    view! {
        <Show when=move || open.get()>
            <section id="outbox" class="outbox" aria-label="Outbox: writes waiting to be sent">
                <header class="row">
                    <h2>"Outbox"</h2>
                    <button type="button" class="button small" on:click=move |_| open.set(false)>"Close"</button>
                </header>
                <Show when=move || { count.get() > 0 } fallback=|| view! { <p class="msg ok">"Everything has been sent."</p> }>
                    <ul>
                        <For each=move || pending.get() key=|p| (p.key, p.attempts, format!("{:?}", p.status)) let:p>
                            {
                                let key = p.key;
                                let state = match &p.status {
                                    Status::Sending => "Sending…".to_owned(),
                                    Status::Waiting => format!("Waiting; attempt {} at {}", p.attempts + 1, clock(p.next_at)),
                                    Status::Stopped(why) => format!("Not sent: {why}"),
                                };
                                let stopped = matches!(p.status, Status::Stopped(_));
                                // A refused change or delete can be compared; a refused create
                                // (the name is someone else's) cannot be forced.
                                let comparable = stopped && !matches!(p.write, Replay::Create { .. });
                                let write = p.write.clone();
                                let sending = p.status == Status::Sending;
                                view! {
                                    <li class:stopped=stopped>
                                        <strong>{p.label.clone()}</strong>
                                        <span class="state">{state}</span>
                                        {(!stopped).then(|| p.last_error.clone()).flatten().map(|e| view! { <span class="msg hint">{format!("Last attempt: {e}")}</span> })}
                                        <span class="row">
                                            <button type="button" class="button small retry" disabled=sending
                                                on:click=move |_| outbox.retry_now(key)>"Retry now"</button>
                                            {comparable.then(|| view! {
                                                <button type="button" class="button small compare"
                                                    on:click=move |_| compare.with_value(|f| f(key, write.clone()))>"Compare"</button>
                                            })}
                                            <button type="button" class="button small discard" disabled=sending
                                                on:click=move |_| outbox.discard(key)>"Discard"</button>
                                        </span>
                                    </li>
                                }
                            }
                        </For>
                    </ul>
                </Show>
                {move || resolve_error.get().map(|e| view! { <p class="msg error" role="alert">{e}</p> })}
            </section>
        </Show>
        {move || resolving.get().map(|(_, delete, theirs, mine)| {
            let name = theirs.value.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
            view! {
                <ConflictDialog subject=format!("resource '{name}'") field="Property"
                    sides=json_sides(&theirs.value, &mine)
                    yours=if delete { "The version you chose to delete" } else { "With your change" }
                    overwrite=if delete { "Delete their version" } else { "Write mine over theirs" }
                    busy=Signal::derive(|| false) error=Signal::derive(|| None::<String>) on_choose=choose/>
            }
        })}
    }
}

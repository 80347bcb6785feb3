//! A connection's tags, edited in place and saved with `PATCH` and `If-Match`: the version
//! shown is the one changed, or nothing is. If someone changed it since (412), the conflict
//! dialog shows their tags and the user's side by side and writes the user's choice against
//! their version's ETag. Each tag is checked by `peering-model` as it is typed.

use crate::api::{self, ApiError, ErrorKind, Replay, Tagged};
use crate::components::conflict::{Choice, ConflictDialog};
use crate::outbox::{Outbox, Status};
use crate::state::Session;
use leptos::prelude::*;
use leptos::task::spawn_local_scoped;
use peering_model::names::NameKind;
use peering_model::tags::{check_tags, merge_tags, tag_sides, Tags};
use peering_model::wire::PeeringService;
use peering_model::{messages, ResourceId, ServiceId};
use std::collections::BTreeMap;

/// A save refused because someone else changed the connection: their version, and the tags
/// the user wanted to write.
#[derive(Debug, Clone, PartialEq)]
struct Conflict {
    theirs: Tags,
    etag: String,
    mine: Tags,
}

#[derive(Debug, Clone, PartialEq)]
enum Save {
    Idle,
    Saving,
    Saved,
    /// No answer (or a 5xx, a 429): the save waits in the outbox.
    Queued(String),
    Failed(ApiError),
}

#[component]
pub fn TagsEditor(
    service: ServiceId,
    /// The tags as stored (they follow the page's reloads).
    #[prop(into)]
    tags: Signal<BTreeMap<String, String>>,
    /// The ETag of the version shown.
    #[prop(into)]
    etag: Signal<Option<String>>,
    /// Reloads the page's connection (after a save, or when it changed elsewhere).
    on_reload: impl Fn() + Clone + 'static,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let rows = RwSignal::new(tags.get_untracked().into_iter().collect::<Vec<_>>());
    // The ETag of the version the rows were loaded from: the save names that version, so a
    // change made elsewhere meanwhile is refused (412), never overwritten, even if the page
    // reloaded for another reason while the user was editing.
    let base = RwSignal::new(etag.get_untracked());
    // The tags of that version: "theirs + my change" applies the edits made since.
    let base_tags = RwSignal::new(tags.get_untracked());
    let conflict = RwSignal::new(None::<Conflict>);
    let conflict_error = RwSignal::new(None::<String>);
    let dirty = RwSignal::new(false);
    let save = RwSignal::new(Save::Idle);
    // A reload brings the stored tags in, unless the user is editing.
    Effect::new(move |_| {
        let stored = tags.get();
        let version = etag.get();
        if !dirty.get_untracked() {
            rows.set(stored.clone().into_iter().collect());
            base_tags.set(stored);
            base.set(version);
        }
    });
    let problems = Memo::new(move |_| {
        rows.with(|r| {
            let mut out = Vec::new();
            let mut map = BTreeMap::new();
            for (k, v) in r {
                if map.insert(k.clone(), v.clone()).is_some() {
                    out.push(messages::duplicate_tag(k));
                }
            }
            out.extend(check_tags(&map).errors().map(|f| f.message.clone()));
            out
        })
    });
    let edit = move |i: usize, key: bool, value: String| {
        if save.get_untracked() == Save::Saving {
            return;
        }
        rows.update(|r| {
            if let Some(row) = r.get_mut(i) {
                if key {
                    row.0 = value;
                } else {
                    row.1 = value;
                }
            }
        });
        dirty.set(true);
        save.set(Save::Idle);
    };
    let name = service.name.clone();
    let n = service.name.clone();
    let subject = format!("connection '{}'", service.name);
    let label = format!("Save the tags of connection '{}'", service.name);
    let id = ResourceId::from(service);
    let on_reload = StoredValue::new_local(on_reload);
    // Writes `map` over the version `etag`. A 412 fetches the version stored now and opens the
    // conflict dialog with it; the choice made there is written here again, against its ETag.
    let outbox = use_context::<Outbox>();
    // The save waiting in the outbox, by its key: delivered, it shows what is stored now;
    // discarded or refused there, the edits are still here and it says why.
    let queued_key = StoredValue::new(None::<u64>);
    if let Some(o) = outbox {
        let pending = o.pending();
        Effect::new(move |_| {
            let mine = pending.with(|p| {
                queued_key
                    .get_value()
                    .map(|k| (k, p.iter().find(|w| w.key == k).map(|w| w.status.clone())))
            });
            let Some((key, status)) = mine else { return };
            if !matches!(save.get_untracked(), Save::Queued(_)) {
                return;
            }
            let refused =
                |why: String| Save::Failed(ApiError::new(ErrorKind::Invalid, "NotSent", why));
            match status {
                None if o.was_delivered(key) => {
                    queued_key.set_value(None);
                    dirty.set(false);
                    save.set(Save::Saved);
                    on_reload.with_value(|f| f());
                }
                None => {
                    queued_key.set_value(None);
                    save.set(refused(
                        "The queued save was discarded from the outbox; your edits are still here."
                            .into(),
                    ));
                }
                Some(Status::Stopped(why)) => {
                    queued_key.set_value(None);
                    save.set(refused(format!("The outbox could not save the tags: {why} Your edits are still here; discard it there and save again.")));
                }
                Some(_) => {}
            }
        });
    }
    // `map` is what is sent; `mine` the user's own tags, which a conflict compares and merges
    // (after a merge they differ: the merge is sent, the user's edits stay the user's).
    let write = Callback::new(move |(map, etag, mine): (Tags, String, Tags)| {
        let (s, id, label) = (session.clone(), id.clone(), label.clone());
        // A newer save replaces one still waiting in the outbox (sent later, the older one
        // would put the older tags back).
        if let (Some(o), Some(old)) = (outbox, queued_key.get_value()) {
            o.discard(old);
            queued_key.set_value(None);
        }
        save.set(Save::Saving);
        conflict_error.set(None);
        spawn_local_scoped(async move {
            match api::update_tags(&s, &id, &map, &etag).await {
                Ok(_) => {
                    conflict.set(None);
                    dirty.set(false);
                    save.set(Save::Saved);
                    on_reload.with_value(|f| f());
                }
                Err(e) if e.kind == ErrorKind::Aborted => {}
                Err(e) if e.kind == ErrorKind::PreconditionFailed => {
                    match api::get::<PeeringService>(&s, &id).await {
                        Ok(Tagged {
                            value,
                            etag: Some(etag),
                        }) => {
                            save.set(Save::Idle);
                            conflict.set(Some(Conflict {
                                theirs: value.tags.unwrap_or_default(),
                                etag,
                                mine,
                            }));
                        }
                        // Deleted meanwhile (or no ETag to write against): say so.
                        Ok(_) | Err(_) => {
                            conflict.set(None);
                            save.set(Save::Failed(e));
                        }
                    }
                }
                Err(e) if e.is_transient() && outbox.is_some() => {
                    let body = serde_json::to_value(PeeringService {
                        tags: Some(map),
                        ..PeeringService::default()
                    })
                    .unwrap_or_default();
                    let write = Replay::Patch {
                        id: id.to_string(),
                        etag,
                        body,
                    };
                    if let Some(o) = outbox {
                        queued_key.set_value(Some(o.push(label.clone(), write, &e)));
                    }
                    conflict.set(None);
                    save.set(Save::Queued(e.message));
                }
                Err(e) if conflict.get_untracked().is_some() => {
                    save.set(Save::Idle);
                    conflict_error.set(Some(e.message));
                }
                Err(e) => save.set(Save::Failed(e)),
            }
        });
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !dirty.get_untracked()
            || save.get_untracked() == Save::Saving
            || !problems.with_untracked(Vec::is_empty)
        {
            return;
        }
        let Some(etag) = base.get_untracked() else {
            save.set(Save::Failed(api::no_etag(NameKind::Connection, &name)));
            return;
        };
        let map: BTreeMap<String, String> = rows.get_untracked().into_iter().collect();
        write.run((map.clone(), etag, map));
    };
    let choose = Callback::new(move |c: Choice| {
        let Some(Conflict { theirs, etag, mine }) = conflict.get_untracked() else {
            return;
        };
        match c {
            Choice::Cancel => {
                conflict.set(None);
                save.set(Save::Idle);
            }
            Choice::KeepTheirs => {
                // Shown at once, against their ETag; the reload brings the rest of the page.
                conflict.set(None);
                rows.set(theirs.clone().into_iter().collect());
                base_tags.set(theirs);
                base.set(Some(etag));
                dirty.set(false);
                save.set(Save::Idle);
                on_reload.with_value(|f| f());
            }
            Choice::Merge | Choice::Overwrite => {
                let next = if c == Choice::Merge {
                    merge_tags(&base_tags.get_untracked(), &mine, &theirs)
                } else {
                    mine.clone()
                };
                if let Some(f) = check_tags(&next).errors().next() {
                    conflict_error.set(Some(f.message.clone()));
                    return;
                }
                write.run((next, etag, mine));
            }
        }
    });

    let indices = move || -> Vec<usize> { (0..rows.with(Vec::len)).collect() };
    view! {
        <form class="form tags" on:submit=submit novalidate>
            <h2>"Tags"</h2>
            <Show when=move || !rows.with(Vec::is_empty) fallback=|| view! { <p class="msg hint">"No tags."</p> }>
                <div class="tag-rows">
                    <For each=indices key=|i| *i let:i>
                        <div class="row tag-row">
                            <input type="text" class="tag-key" aria-label=format!("Tag {} name", i + 1)
                                prop:readOnly=move || save.get() == Save::Saving
                                prop:value=move || rows.with(|r| r.get(i).map(|r| r.0.clone()).unwrap_or_default())
                                on:input=move |ev| edit(i, true, event_target_value(&ev))/>
                            <input type="text" class="tag-value" aria-label=format!("Tag {} value", i + 1)
                                prop:readOnly=move || save.get() == Save::Saving
                                prop:value=move || rows.with(|r| r.get(i).map(|r| r.1.clone()).unwrap_or_default())
                                on:input=move |ev| edit(i, false, event_target_value(&ev))/>
                            <button type="button" class="button small remove-tag" aria-label=format!("Remove tag {}", i + 1)
                                on:click=move |_| { rows.update(|r| { if i < r.len() { r.remove(i); } }); dirty.set(true); save.set(Save::Idle); }>"Remove"</button>
                        </div>
                    </For>
                </div>
            </Show>
            {move || problems.get().into_iter().map(|p| view! { <p class="msg error" role="alert">{p}</p> }).collect_view()}
            {move || match save.get() {
                Save::Saved => Some(view! { <p class="msg ok" role="status">"Tags saved."</p> }.into_any()),
                Save::Queued(why) => Some(view! {
                    <p class="msg warning queued" role="status">{format!("Not saved yet: {why} The change is in the outbox and is sent again until the server takes it.")}</p>
                }.into_any()),
                Save::Failed(e) if matches!(e.kind, ErrorKind::PreconditionFailed | ErrorKind::NotFound) => {
                    Some(view! {
                        <div class="msg error" role="alert">
                            <p>{messages::changed_elsewhere(NameKind::Connection, &n)}</p>
                            <button type="button" class="button small" on:click=move |_| { dirty.set(false); save.set(Save::Idle); on_reload.with_value(|f| f()) }>"Reload"</button>
                        </div>
                    }.into_any())
                }
                Save::Failed(e) => Some(view! { <p class="msg error" role="alert">{e.message}</p> }.into_any()),
                _ => None,
            }}
            {move || conflict.get().map(|c| {
                let merged = merge_tags(&base_tags.get_untracked(), &c.mine, &c.theirs);
                view! {
                    <ConflictDialog subject=subject.clone() field="Tag" sides=tag_sides(&c.theirs, &c.mine)
                        merged=tag_sides(&c.theirs, &merged)
                        busy=Signal::derive(move || save.get() == Save::Saving)
                        error=conflict_error on_choose=choose/>
                }
            })}
            <div class="row">
                <button type="button" class="button small" id="add-tag"
                    on:click=move |_| { rows.update(|r| r.push((String::new(), String::new()))); dirty.set(true); }>"Add tag"</button>
                <button type="submit" class="button primary" id="save-tags"
                    aria-disabled=move || (!dirty.get() || !problems.with(Vec::is_empty) || save.get() == Save::Saving).to_string()>
                    {move || if save.get() == Save::Saving { "Saving…" } else { "Save tags" }}
                </button>
            </div>
        </form>
    }
}

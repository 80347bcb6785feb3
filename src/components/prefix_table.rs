//! A connection's prefixes with their validation state, every reason it failed, and its
//! events as a timeline (newest first, as the server sends them); each can be deleted
//! (confirmed inline, and only if it is still the version shown).

use crate::components::change_prefix::ChangePrefix;
use crate::components::child_conflict::{delete_or_compare, ChildConflict, ChildConflictDialog};
use crate::components::confirm_delete::{ConfirmDelete, ConfirmMode, DeleteFuture};
use crate::components::state_pill::StatePill;
use crate::state::Session;
use leptos::prelude::*;
use peering_model::names::NameKind;
use peering_model::wire::{PeeringServicePrefix, PrefixEvent, PrefixValidationState};
use peering_model::{ChildKind, ServiceId};
use std::collections::BTreeSet;

/// One row of the table, flattened from the ARM shape.
#[derive(Debug, Clone, PartialEq)]
pub struct PrefixView {
    pub name: String,
    pub prefix: String,
    pub key: String,
    pub state: PrefixValidationState,
    /// Every reason a validation failed (the server sends them one per line).
    pub reasons: Vec<String>,
    /// Newest first.
    pub events: Vec<PrefixEvent>,
}

impl PrefixView {
    pub fn from_wire(p: &PeeringServicePrefix) -> PrefixView {
        let props = p.properties.clone().unwrap_or_default();
        PrefixView {
            name: p.name.clone().unwrap_or_default(),
            prefix: props.prefix.unwrap_or_default(),
            key: props.peering_service_prefix_key.unwrap_or_default(),
            state: props
                .prefix_validation_state
                .unwrap_or(PrefixValidationState::Unknown),
            reasons: props
                .error_message
                .unwrap_or_default()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            events: props.events.unwrap_or_default(),
        }
    }
}

/// The reasons as a list (one reason reads as a sentence, several as items).
fn reasons(r: Vec<String>) -> AnyView {
    match r.len() {
        0 => ().into_any(),
        1 => r.into_iter().next().into_any(),
        _ => view! { <ul class="reasons">{r.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul> }.into_any(),
    }
}

/// A prefix's events, newest first: when, how serious, what, and the documented meaning.
fn timeline(name: &str, events: Vec<PrefixEvent>, open: RwSignal<BTreeSet<String>>) -> AnyView {
    if events.is_empty() {
        return ().into_any();
    }
    let latest = events[0].event_summary.clone();
    let label = format!("Events of prefix {name}");
    let items = events
        .into_iter()
        .map(|e| {
            let when = e.event_timestamp.replace('T', " ").replace(".000Z", "Z");
            view! {
                <li>
                    <time datetime=e.event_timestamp.clone()>{when}</time>
                    <StatePill state=e.event_level/>
                    <span class="event-type">{e.event_type.as_str()}</span>
                    <span class="event-summary">{e.event_summary}</span>
                    <span class="hint">{e.event_description}</span>
                </li>
            }
        })
        .collect_view();
    let count = items.len();
    let key = name.to_ascii_lowercase();
    let key2 = key.clone();
    view! {
        <tr class="events-row">
            <td colspan="6">
                // Open stays open when the table is drawn again (a reload after new events).
                <details prop:open=open.with_untracked(|o| o.contains(&key)) on:toggle=move |ev| {
                    let is_open = ev
                        .target()
                        .and_then(|t| js_sys::Reflect::get(&t, &"open".into()).ok())
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false);
                    let key = key2.clone();
                    open.update(|o| {
                        if is_open {
                            o.insert(key);
                        } else {
                            o.remove(&key);
                        }
                    });
                }>
                    <summary>{format!("Events ({count}) · latest: {latest}")}</summary>
                    <ol class="timeline" aria-label=label>{items}</ol>
                </details>
            </td>
        </tr>
    }
    .into_any()
}

#[component]
pub fn PrefixTable(
    service: ServiceId,
    /// The prefixes as listed (a delete checks the prefix is still this version).
    rows: Vec<PeeringServicePrefix>,
    /// After a delete, or to reload after a change made elsewhere.
    on_change: impl Fn() + Clone + Send + Sync + 'static,
    /// The prefixes (names in lower case) whose events are open; the page keeps it.
    #[prop(optional)]
    open_events: Option<RwSignal<BTreeSet<String>>>,
) -> impl IntoView {
    let open_events = open_events.unwrap_or_else(|| RwSignal::new(BTreeSet::new()));
    let session = expect_context::<Session>();
    if rows.is_empty() {
        return view! {
            <h2>"Prefixes"</h2>
            <div class="state empty small"><p>"No prefixes yet. Add the public IPv4 prefixes this site announces through the provider."</p></div>
        }
        .into_any();
    }
    let conflict = RwSignal::new(None::<ChildConflict>);
    let outbox = use_context::<crate::outbox::Outbox>();
    let reload = on_change.clone();
    let body = rows
        .into_iter()
        .map(|shown| {
            let r = PrefixView::from_wire(&shown);
            let change = view! { <ChangePrefix service=service.clone() shown=shown.clone() on_done=on_change.clone()/> };
            let id = service.child(ChildKind::Prefix, &r.name);
            let on_reload = on_change.clone();
            let (s, pname, on_change) = (session.clone(), r.name.clone(), on_change.clone());
            let on_confirm = move || -> DeleteFuture {
                let (s, id, pname, shown, on_change) =
                    (s.clone(), id.clone(), pname.clone(), shown.clone(), on_change.clone());
                Box::pin(async move {
                    delete_or_compare(&s, &id, NameKind::Prefix, &pname, &shown, conflict, outbox).await?;
                    on_change();
                    Ok(())
                })
            };
            view! {
                <tr>
                    <td class="name">{r.name.clone()}</td>
                    <td class="mono">{r.prefix}</td>
                    <td><StatePill state=r.state/></td>
                    <td class="wrap">{reasons(r.reasons)}</td>
                    <td class="mono">{r.key}</td>
                    <td class="actions">{change}<ConfirmDelete kind=NameKind::Prefix name=r.name.clone() mode=ConfirmMode::Inline on_confirm=on_confirm on_reload=on_reload/></td>
                </tr>
                {timeline(&r.name, r.events, open_events)}
            }
        })
        .collect_view();
    view! {
        <h2>"Prefixes"</h2>
        <div class="table-wrap">
            <table class="grid" id="prefixes">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Prefix"</th><th scope="col">"Validation"</th>
                    <th scope="col">"Message"</th><th scope="col">"Prefix key"</th><th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>{body}</tbody>
            </table>
            <ChildConflictDialog state=conflict on_done=Callback::new(move |()| reload())/>
        </div>
    }
    .into_any()
}

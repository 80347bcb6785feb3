//! The wizard's review step and the create that follows: everything that will be written and
//! every finding, then the connection and each prefix created in turn, each with its result.
//!
//! A failure part-way leaves the draft as it was and each item's state on screen; "Retry"
//! sends only what is not done yet, and every create is `If-None-Match: *`, so nothing is
//! created twice. When a create is refused because the name exists, what is stored is compared
//! with what this wizard sends: if it is the same (an earlier attempt of this draft got through
//! but its answer was lost, or the page was reloaded part-way), the item counts as done.

use crate::api::{ApiError, ErrorKind};
use crate::components::create_items::{create_once, queue_rest, Item, Progress};
use crate::outbox::Outbox;
use crate::pages::new_connection::{FormState, Step, DRAFT_KEY};
use crate::routing::A;
use crate::state::{clear_draft, Session};
use leptos::prelude::*;
use peering_model::connection::validate_connection;
use peering_model::index::{PrefixRow, RowResult};
use peering_model::names::NameKind;
use peering_model::resource_id::encode_segment;
use peering_model::wire::{PeeringService, PeeringServicePrefix};
use peering_model::{Catalog, ChildKind, Findings, ResourceId};

#[component]
pub fn WizardReview(
    form: RwSignal<FormState>,
    findings: Memo<Findings>,
    rows: Memo<Vec<PrefixRow>>,
    results: Memo<Vec<RowResult>>,
    /// The name is taken: the wizard shows it at the name, on the basics step.
    on_name_taken: Callback<ApiError>,
    /// Opens a step (to fix what it holds).
    go: Callback<Step>,
    /// Where the create stands; held by the page, so it outlives this step.
    progress: RwSignal<Option<Progress>>,
) -> impl IntoView {
    let session = use_context::<Session>();
    let outbox = use_context::<Outbox>();

    let valid =
        Memo::new(move |_| form.with(|f| validate_connection(Catalog::embedded(), &f.draft()).0));
    let row_errors =
        Memo::new(move |_| results.with(|r| r.iter().filter(|r| r.findings.has_errors()).count()));
    let blocking = move || {
        let mut why: Vec<String> = findings.with(|f| {
            f.errors()
                .map(|e| {
                    format!(
                        "{} ({})",
                        Step::label_of(&e.target),
                        Step::of_target(&e.target).title()
                    )
                })
                .collect()
        });
        why.dedup();
        match row_errors.get() {
            0 => {}
            1 => why.push("1 prefix row (Prefixes)".into()),
            n => why.push(format!("{n} prefix rows (Prefixes)")),
        }
        why
    };
    let running = Memo::new(move |_| progress.with(|p| p.as_ref().is_some_and(|p| p.running)));
    let all = move |f: fn(&Item) -> bool| {
        progress.with(|p| {
            p.as_ref().is_some_and(|p| {
                !p.running && f(&p.connection) && p.prefixes.iter().all(|(_, i)| f(i))
            })
        })
    };
    // Done: everything stored, or handed to the outbox (then nothing more is sent from here).
    let finished = Memo::new(move |_| all(Item::done));
    let queued = Memo::new(move |_| {
        finished.get()
            && progress.with(|p| {
                p.as_ref().is_some_and(|p| {
                    p.connection == Item::Queued
                        || p.prefixes.iter().any(|(_, i)| *i == Item::Queued)
                })
            })
    });
    let run = move || {
        if running.get_untracked() || !blocking().is_empty() || finished.get_untracked() {
            return;
        }
        let (Some(s), Some(valid)) = (session.clone(), valid.get_untracked()) else {
            return;
        };
        let f = form.get_untracked();
        let service = s.service(&f.resource_group, &f.name);
        // Items already done stay done; the rest (all of them the first time) are sent.
        let rows_now = rows.get_untracked();
        progress.update(|p| {
            let keep = p
                .take()
                .filter(|p| p.prefixes.iter().map(|(r, _)| r).eq(rows_now.iter()));
            *p = Some(Progress {
                connection: keep
                    .as_ref()
                    .map_or(Item::Waiting, |k| k.connection.clone()),
                prefixes: match keep {
                    Some(k) => k.prefixes,
                    None => rows_now
                        .iter()
                        .map(|r| (r.clone(), Item::Waiting))
                        .collect(),
                },
                running: true,
            });
        });
        let set = move |f: &dyn Fn(&mut Progress)| {
            progress.try_update(|p| {
                if let Some(p) = p {
                    f(p)
                }
            });
        };
        // What is to do, taken now: the task below works from it, never from the page's state,
        // so it finishes (or queues) everything even if the page goes away meanwhile.
        let (done, todo): (bool, Vec<(usize, PrefixRow)>) = progress.with_untracked(|p| {
            let p = p.as_ref().expect("set above");
            let todo = p
                .prefixes
                .iter()
                .enumerate()
                .filter(|(_, (_, i))| !i.done())
                .map(|(n, (r, _))| (n, r.clone()))
                .collect();
            (p.connection.done(), todo)
        });
        let mark_queued = move |connection: bool, from: usize| {
            set(&|p| {
                if connection {
                    p.connection = Item::Queued;
                }
                for (n, (_, i)) in p.prefixes.iter_mut().enumerate() {
                    if n >= from && !i.done() {
                        *i = Item::Queued;
                    }
                }
                p.running = false;
            });
            // The outbox holds what is left: the draft goes only if nothing else failed.
            if progress
                .try_with_untracked(|p| {
                    p.as_ref().is_some_and(|p| {
                        p.connection.done() && p.prefixes.iter().all(|(_, i)| i.done())
                    })
                })
                .unwrap_or(false)
            {
                clear_draft(DRAFT_KEY);
            }
        };
        // Not scoped: a create that has started is finished, whatever happens to the page.
        leptos::task::spawn_local(async move {
            let body = PeeringService::from(&valid);
            let id = ResourceId::from(service.clone());
            if !done {
                set(&|p| p.connection = Item::Sending);
                match create_once(
                    &s,
                    &id,
                    &body,
                    NameKind::Connection,
                    &service.resource_group,
                )
                .await
                {
                    Ok(item) => set(&|p| p.connection = item.clone()),
                    Err(e) if e.is_transient() && outbox.is_some() => {
                        let json = serde_json::to_value(&body).unwrap_or_default();
                        queue_rest(outbox, &e, Some((&id, json)), &todo, &service);
                        mark_queued(true, 0);
                        return;
                    }
                    Err(e) => {
                        let why = e.message.clone();
                        set(&|p| {
                            p.connection = Item::Failed(why.clone());
                            p.running = false;
                        });
                        // Only while the wizard is still shown (its callback lives with it).
                        if e.kind == ErrorKind::PreconditionFailed
                            && progress.try_get_untracked().is_some()
                        {
                            on_name_taken.run(e);
                        }
                        return;
                    }
                }
            }
            let mut all_done = true;
            for (k, (n, row)) in todo.iter().enumerate() {
                let n = *n;
                set(&|p| p.prefixes[n].1 = Item::Sending);
                let child = service.child(ChildKind::Prefix, &row.name);
                let item = match create_once(
                    &s,
                    &child,
                    &PeeringServicePrefix::from(row),
                    NameKind::Prefix,
                    &service.name,
                )
                .await
                {
                    Ok(item) => item,
                    Err(e) if e.is_transient() && outbox.is_some() => {
                        queue_rest(outbox, &e, None, &todo[k..], &service);
                        mark_queued(false, n);
                        return;
                    }
                    Err(e) => Item::Failed(e.message),
                };
                all_done &= item.done();
                set(&|p| p.prefixes[n].1 = item.clone());
            }
            set(&|p| p.running = false);
            if all_done {
                clear_draft(DRAFT_KEY);
            }
        });
    };
    let f = move || form.get();
    let region = move || {
        valid
            .get()
            .map(|v| v.azure_region)
            .unwrap_or_else(|| "—".into())
    };
    let item_view = |label: String, item: Item| {
        let class = match &item {
            Item::Failed(_) => "failed",
            i if i.done() => "ok",
            _ => "pending",
        };
        view! { <li class=class><strong>{label}</strong>": "{item.text()}</li> }
    };
    view! {
        <fieldset>
            <legend>"Review"</legend>
            <dl class="review" id="review">
                <dt>"Resource group"</dt><dd>{move || f().resource_group}</dd>
                <dt>"Name"</dt><dd>{move || f().name}</dd>
                <dt>"Customer location"</dt><dd>{move || { let f = f(); format!("{}, {}", f.location.trim(), f.country) }}</dd>
                <dt>"Azure region"</dt><dd>{region}</dd>
                <dt>"Provider"</dt><dd>{move || f().provider}</dd>
                <dt>"Primary peering location"</dt><dd>{move || f().primary}</dd>
                <dt>"Backup peering location"</dt><dd>{move || { let b = f().backup; if b.is_empty() { "None".to_owned() } else { b } }}</dd>
                <dt>"Prefixes"</dt>
                <dd>{move || {
                    let rows = rows.get();
                    if rows.is_empty() {
                        "None".into_any()
                    } else {
                        view! { <ul class="plain">{rows.into_iter().map(|r| view! {
                            <li><span class="mono">{r.prefix}</span>" as "{r.name}{r.key.map(|k| format!(" (key {k})"))}</li>
                        }).collect_view()}</ul> }.into_any()
                    }
                }}</dd>
            </dl>
            <h3>"Findings"</h3>
            <ul class="findings" id="review-findings">
                {move || {
                    let mut all: Vec<(bool, String, String, Step)> = findings.with(|f| f.iter().map(|x| {
                        (x.is_error(), Step::label_of(&x.target).to_owned(), x.message.clone(), Step::of_target(&x.target))
                    }).collect());
                    let rows = rows.get();
                    for r in results.get() {
                        let label = rows.get(r.row).map(|x| format!("Prefix row {} ({})", r.row + 1, x.prefix)).unwrap_or_default();
                        all.extend(r.findings.iter().map(|x| (x.is_error(), label.clone(), x.message.clone(), Step::Prefixes)));
                    }
                    if all.is_empty() {
                        return view! { <li class="msg ok">"No findings: everything checks out."</li> }.into_any();
                    }
                    all.into_iter().map(|(error, label, message, step)| view! {
                        <li class=if error { "msg error" } else { "msg warning" }>
                            <strong>{if error { "Error" } else { "Warning" }}" · "{label}": "</strong>{message}" "
                            <button type="button" class="button small" on:click=move |_| go.run(step)>{format!("Change in {}", step.title())}</button>
                        </li>
                    }).collect_view().into_any()
                }}
            </ul>
            {move || progress.get().map(|p| view! {
                <ul class="create-progress" id="create-progress" aria-live="polite">
                    {item_view(format!("Connection {}", form.with_untracked(|f| f.name.clone())), p.connection.clone())}
                    {p.prefixes.into_iter().map(|(r, i)| item_view(format!("Prefix {} ({})", r.name, r.prefix), i)).collect_view()}
                </ul>
            })}
            <Show when=move || finished.get()>
                {move || {
                    let f = form.get_untracked();
                    let href = format!("/c/{}/{}", encode_segment(&f.resource_group), encode_segment(&f.name));
                    if queued.get() {
                        view! { <p class="msg warning" role="status" id="created">{format!("The server did not answer: connection {} waits in the outbox (top bar) and is sent when the server answers.", f.name)}</p> }.into_any()
                    } else {
                        view! { <p class="msg ok" role="status" id="created">{format!("Created connection {}. ", f.name)}<A href=href>"Open it"</A></p> }.into_any()
                    }
                }}
            </Show>
            <div class="actions">
                <button type="button" class="button primary" id="create"
                    aria-disabled=move || (!blocking().is_empty() || running.get() || finished.get()).to_string()
                    aria-describedby="create-why" on:click=move |_| run()>
                    {move || match (running.get(), progress.with(Option::is_some)) {
                        (true, _) => "Creating…",
                        (false, true) => "Retry what failed",
                        (false, false) => "Create connection",
                    }}
                </button>
                <p id="create-why" class="msg hint" aria-live="polite">
                    {move || {
                        let b = blocking();
                        if b.is_empty() { String::new() } else { format!("To create, fix: {}.", b.join(", ")) }
                    }}
                </p>
            </div>
        </fieldset>
    }
}

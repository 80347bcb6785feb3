//! Connection monitor tests of one connection: the list with the last result, and a form whose
//! fields are checked by `peering-model` as you type.

use crate::api;
use crate::components::child_conflict::{delete_or_compare, ChildConflict, ChildConflictDialog};
use crate::components::confirm_delete::{ConfirmDelete, ConfirmMode, DeleteFuture};
use crate::components::feedback::Feedback;
use crate::components::rtt_sparkline::RttSparkline;
use crate::components::state_pill::{StatePill, TestResult};
use crate::components::Field;
use crate::outbox::Outbox;
use crate::state::Session;
use leptos::prelude::*;
use leptos::task::spawn_local_scoped;
use peering_model::messages;
use peering_model::monitor_test::{validate_monitor_test, MonitorTestDraft};
use peering_model::names::{NameKind, ResourceName};
use peering_model::targets::{DESTINATION, FREQUENCY, NAME, PORT, SOURCE_AGENT as AGENT};
use peering_model::wire::ConnectionMonitorTest;
use peering_model::{ChildKind, Findings, ServiceId};

/// What the form holds, as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TestForm {
    pub name: String,
    pub agent: String,
    pub destination: String,
    pub port: String,
    pub frequency: String,
}

impl TestForm {
    /// A fresh form: the usual port and the shortest interval.
    pub fn fresh() -> TestForm {
        TestForm {
            frequency: "30".into(),
            port: "443".into(),
            ..Default::default()
        }
    }

    pub fn draft(&self) -> MonitorTestDraft {
        MonitorTestDraft {
            source_agent: self.agent.clone(),
            destination: self.destination.trim().to_owned(),
            destination_port: self.port.trim().parse().ok(),
            test_frequency_in_sec: self.frequency.trim().parse().ok(),
        }
    }

    pub fn findings(&self) -> Findings {
        let mut f = validate_monitor_test(&self.draft());
        if let Err(e) = ResourceName::parse(NameKind::MonitorTest, NAME, &self.name) {
            f.0.insert(0, e);
        }
        f
    }
}

#[component]
pub fn MonitorTests(service: ServiceId) -> impl IntoView {
    let session = expect_context::<Session>();
    let (s1, sv1) = (session.clone(), service.clone());
    let tests = LocalResource::new(move || {
        let (s, service) = (s1.clone(), sv1.clone());
        async move {
            api::list_children::<ConnectionMonitorTest>(&s, &service, ChildKind::MonitorTest).await
        }
    });
    // A test added from the outbox: list them again.
    if let Some(o) = use_context::<Outbox>() {
        let delivered = o.delivered();
        Effect::new(move |first: Option<()>| {
            delivered.track();
            if first.is_some() {
                tests.refetch();
            }
        });
    }
    let conflict = RwSignal::new(None::<ChildConflict>);
    let outbox = use_context::<crate::outbox::Outbox>();
    let (s2, sv2) = (session.clone(), service.clone());
    let row = move |shown: ConnectionMonitorTest| {
        let p = shown.properties.clone().unwrap_or_default();
        let test = shown.name.clone().unwrap_or_default();
        let result = TestResult::of(p.is_test_successful);
        let hops = p.path.clone().unwrap_or_default();
        let sv3 = sv2.clone();
        let id = sv2.child(ChildKind::MonitorTest, &test);
        let (s, t) = (s2.clone(), test.clone());
        let on_confirm = move || -> DeleteFuture {
            let (s, id, t, shown) = (s.clone(), id.clone(), t.clone(), shown.clone());
            Box::pin(async move {
                delete_or_compare(&s, &id, NameKind::MonitorTest, &t, &shown, conflict, outbox)
                    .await?;
                tests.refetch();
                Ok(())
            })
        };
        view! {
            <tr>
                <td class="name">{test.clone()}</td>
                <td>{p.source_agent.unwrap_or_default()}</td>
                <td class="mono">{p.destination.unwrap_or_default()}</td>
                <td class="num">{p.destination_port.map(|v| v.to_string()).unwrap_or_default()}</td>
                <td class="num">{p.test_frequency_in_sec.map(|v| format!("{v} s")).unwrap_or_default()}</td>
                <td><StatePill state=result/>
                    {(!hops.is_empty()).then(|| view! { <span class="hint path" title="The last result's path">{hops.join(" → ")}</span> })}
                    {(result != TestResult::NoResult).then(|| view! { <RttSparkline service=sv3.clone() test=test.clone()/> })}
                </td>
                <td><ConfirmDelete kind=NameKind::MonitorTest name=test mode=ConfirmMode::Inline on_confirm=on_confirm on_reload=move || tests.refetch()/></td>
            </tr>
        }
    };
    view! {
        <h2>"Connection monitor tests"</h2>
        <Transition fallback=|| view! { <p class="state loading" role="status">"Loading monitor tests…"</p> }>
            {
                let row = row.clone();
                move || tests.get().map(|res| match res {
                    Err(e) => view! { <div class="state error" role="alert"><p>{format!("Monitor tests could not be loaded: {}", e.message)}</p></div> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <div class="state empty small"><p>"No monitor tests yet. A test probes a destination from one of your agents at a fixed interval."</p></div>
                    }.into_any(),
                    Ok(list) => {
                        let rows = list.into_iter().map(row.clone()).collect_view();
                        view! {
                            <div class="table-wrap">
                                <table class="grid" id="monitor-tests">
                                    <thead><tr>
                                        <th scope="col">"Name"</th><th scope="col">"Source agent"</th><th scope="col">"Destination"</th>
                                        <th scope="col" class="num">"Port"</th><th scope="col" class="num">"Every"</th><th scope="col">"Last result"</th>
                                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                })
            }
        </Transition>
        <ChildConflictDialog state=conflict on_done=Callback::new(move |()| tests.refetch())/>
        <MonitorTestForm service=service on_done=move || tests.refetch()/>
    }
}

#[component]
pub fn MonitorTestForm(service: ServiceId, on_done: impl Fn() + Clone + 'static) -> impl IntoView {
    let session = use_context::<Session>();
    let form = RwSignal::new(TestForm::fresh());
    let saving = RwSignal::new(false);
    let findings = Memo::new(move |_| form.with(TestForm::findings));
    let feedback = Feedback::new(findings);
    let outbox = use_context::<Outbox>();
    let queued = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !feedback.attempt() || saving.get_untracked() {
            return;
        }
        let Some(s) = session.clone() else { return };
        let f = form.get_untracked();
        let body = ConnectionMonitorTest::from(&f.draft());
        let (id, connection, on_done) = (
            service.child(ChildKind::MonitorTest, &f.name),
            service.name.clone(),
            on_done.clone(),
        );
        saving.set(true);
        queued.set(false);
        spawn_local_scoped(async move {
            let res = api::create(&s, &id, &body).await;
            saving.try_set(false);
            match res {
                Ok(_) => {
                    form.set(TestForm::fresh());
                    feedback.reset();
                    on_done();
                }
                // No answer (or a 5xx, a 429): the outbox sends it when it can.
                Err(e) if e.is_transient() && outbox.is_some() => {
                    if let Some(o) = outbox {
                        let label =
                            format!("Add monitor test '{}' to connection '{connection}'", f.name);
                        o.push_create(label, &id, &body, &e);
                        form.set(TestForm::fresh());
                        feedback.reset();
                        queued.set(true);
                    }
                }
                Err(e) => feedback.refused(
                    e,
                    NAME,
                    messages::name_taken(NameKind::MonitorTest, &f.name, &connection),
                ),
            }
        });
    };
    let fields = [NAME, AGENT, DESTINATION, PORT, FREQUENCY];
    view! {
        <form class="form monitor" on:submit=submit novalidate>
            <h3>"Add a monitor test"</h3>
            <Show when=move || queued.get()>
                <p class="msg warning" role="status">"The server did not answer; the test waits in the outbox (top bar) and is added when it does."</p>
            </Show>
            <div class="row">
                <Field label="Name" id="mt-name" finding=feedback.finding_for(NAME)>
                    <input id="mt-name" type="text" autocomplete="off" aria-describedby="mt-name-msg" aria-invalid=move || feedback.invalid(NAME)
                        prop:value=move || form.with(|f| f.name.clone()) on:input=feedback.edit(form, NAME, |f, v| f.name = v)/>
                </Field>
                <Field label="Source agent" id="mt-agent" finding=feedback.finding_for(AGENT)>
                    <input id="mt-agent" type="text" autocomplete="off" aria-describedby="mt-agent-msg" aria-invalid=move || feedback.invalid(AGENT)
                        prop:value=move || form.with(|f| f.agent.clone()) on:input=feedback.edit(form, AGENT, |f, v| f.agent = v)/>
                </Field>
                <Field label="Destination (IP or host)" id="mt-destination" finding=feedback.finding_for(DESTINATION)>
                    <input id="mt-destination" type="text" autocomplete="off" aria-describedby="mt-destination-msg" aria-invalid=move || feedback.invalid(DESTINATION)
                        prop:value=move || form.with(|f| f.destination.clone()) on:input=feedback.edit(form, DESTINATION, |f, v| f.destination = v)/>
                </Field>
                <Field label="Port" id="mt-port" finding=feedback.finding_for(PORT)>
                    <input id="mt-port" type="number" min="1" max="65535" aria-describedby="mt-port-msg" aria-invalid=move || feedback.invalid(PORT)
                        prop:value=move || form.with(|f| f.port.clone()) on:input=feedback.edit(form, PORT, |f, v| f.port = v)/>
                </Field>
                <Field label="Every (seconds)" id="mt-frequency" finding=feedback.finding_for(FREQUENCY)>
                    <input id="mt-frequency" type="number" min="30" max="86400" aria-describedby="mt-frequency-msg" aria-invalid=move || feedback.invalid(FREQUENCY)
                        prop:value=move || form.with(|f| f.frequency.clone()) on:input=feedback.edit(form, FREQUENCY, |f, v| f.frequency = v)/>
                </Field>
            </div>
            {move || feedback.untargeted(&fields).map(|e| view! {
                <div class="state error" role="alert"><p>{e.message}</p></div>
            })}
            <button type="submit" class="button primary" id="add-test"
                aria-disabled=move || (findings.with(Findings::has_errors) || saving.get()).to_string()>
                {move || if saving.get() { "Adding…" } else { "Add monitor test" }}
            </button>
        </form>
    }
}

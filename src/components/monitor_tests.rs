//! Connection monitor tests of one connection: the list with the last result, and a form whose
//! fields are checked by `peering-model` as you type.

use crate::api;
use crate::components::feedback::Feedback;
use crate::components::Field;
use crate::state::Session;
use leptos::prelude::*;
use leptos::task::spawn_local;
use peering_model::monitor_test::{validate_monitor_test, MonitorTestDraft};
use peering_model::targets::{DESTINATION, FREQUENCY, NAME, PORT, SOURCE_AGENT as AGENT};
use peering_model::names::{NameKind, ResourceName};
use peering_model::wire::{ConnectionMonitorTest, ConnectionMonitorTestProperties};
use peering_model::Findings;


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
pub fn MonitorTests(rg: String, name: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let (s1, rg1, n1) = (session.clone(), rg.clone(), name.clone());
    let tests = LocalResource::new(move || {
        let (s, rg, name) = (s1.clone(), rg1.clone(), n1.clone());
        async move { api::list_monitor_tests(&s, &rg, &name).await }
    });
    let error = RwSignal::new(None::<String>);
    let (s2, rg2, n2) = (session.clone(), rg.clone(), name.clone());
    let remove = move |test: String| {
        let (s, rg, name) = (s2.clone(), rg2.clone(), n2.clone());
        let ok = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message(&format!("Delete monitor test {test}?"))
                    .ok()
            })
            .unwrap_or(false);
        if !ok {
            return;
        }
        spawn_local(async move {
            match api::delete_monitor_test(&s, &rg, &name, &test).await {
                Ok(()) => tests.refetch(),
                Err(e) => error.set(Some(format!(
                    "Monitor test {test} was not deleted: {}",
                    e.message
                ))),
            }
        });
    };
    view! {
        <h2>"Connection monitor tests"</h2>
        {move || error.get().map(|e| view! { <div class="state error" role="alert"><p>{e}</p></div> })}
        <Transition fallback=|| view! { <p class="state loading" role="status">"Loading monitor tests…"</p> }>
            {
                let remove = remove.clone();
                move || tests.get().map(|res| match res {
                    Err(e) => view! { <div class="state error" role="alert"><p>{format!("Monitor tests could not be loaded: {}", e.message)}</p></div> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <div class="state empty small"><p>"No monitor tests yet. A test probes a destination from one of your agents at a fixed interval."</p></div>
                    }.into_any(),
                    Ok(list) => {
                        let remove = remove.clone();
                        let rows = list.into_iter().map(|t| {
                            let p = t.properties.clone().unwrap_or_default();
                            let test = t.name.clone().unwrap_or_default();
                            let (label, class) = match p.is_test_successful {
                                Some(true) => ("Succeeded", "pill verified"),
                                Some(false) if p.path.as_ref().is_some_and(|p| !p.is_empty()) => ("Failed", "pill failed"),
                                _ => ("No result yet", "pill"),
                            };
                            let remove = remove.clone();
                            let t2 = test.clone();
                            view! {
                                <tr>
                                    <td class="name">{test.clone()}</td>
                                    <td>{p.source_agent.unwrap_or_default()}</td>
                                    <td class="mono">{p.destination.unwrap_or_default()}</td>
                                    <td class="num">{p.destination_port.map(|v| v.to_string()).unwrap_or_default()}</td>
                                    <td class="num">{p.test_frequency_in_sec.map(|v| format!("{v} s")).unwrap_or_default()}</td>
                                    <td><span class=class>{label}</span></td>
                                    <td><button class="button small" on:click=move |_| remove(t2.clone()) aria-label=format!("Delete monitor test {test}")>"Delete"</button></td>
                                </tr>
                            }
                        }).collect_view();
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
        <MonitorTestForm rg=rg name=name on_done=move || tests.refetch()/>
    }
}

#[component]
pub fn MonitorTestForm(
    rg: String,
    name: String,
    on_done: impl Fn() + Clone + 'static,
) -> impl IntoView {
    let session = use_context::<Session>();
    let form = RwSignal::new(TestForm {
        frequency: "30".into(),
        port: "443".into(),
        ..Default::default()
    });
    let saving = RwSignal::new(false);
    let findings = Memo::new(move |_| form.with(TestForm::findings));
    let feedback = Feedback::new(findings);
    let finding_for = move |target: &'static str| feedback.finding_for(target);
    let invalid = move |target: &'static str| feedback.invalid(target);
    let edit = move |target: &'static str, apply: fn(&mut TestForm, String)| {
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            form.update(|f| apply(f, v));
            feedback.touch(target);
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !feedback.attempt() || saving.get_untracked() {
            return;
        }
        let Some(s) = session.clone() else { return };
        let f = form.get_untracked();
        let d = f.draft();
        let body = ConnectionMonitorTest {
            properties: Some(ConnectionMonitorTestProperties {
                source_agent: Some(d.source_agent.clone()),
                destination: Some(d.destination.clone()),
                destination_port: d.destination_port.and_then(|v| i32::try_from(v).ok()),
                test_frequency_in_sec: d.test_frequency_in_sec.and_then(|v| i32::try_from(v).ok()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let (rg, name, on_done) = (rg.clone(), name.clone(), on_done.clone());
        saving.set(true);
        spawn_local(async move {
            let res = api::create_monitor_test(&s, &rg, &name, &f.name, &body).await;
            saving.set(false);
            match res {
                Ok(_) => {
                    form.set(TestForm { frequency: "30".into(), port: "443".into(), ..Default::default() });
                    feedback.reset();
                    on_done();
                }
                Err(e) => feedback.refused(
                    e,
                    NAME,
                    format!("A monitor test named '{}' already exists on this connection; choose another name.", f.name),
                ),
            }
        });
    };
    let fields = [NAME, AGENT, DESTINATION, PORT, FREQUENCY];
    view! {
        <form class="form monitor" on:submit=submit novalidate>
            <h3>"Add a monitor test"</h3>
            <div class="row">
                <Field label="Name" id="mt-name" finding=finding_for(NAME)>
                    <input id="mt-name" type="text" autocomplete="off" aria-describedby="mt-name-msg" aria-invalid=move || invalid(NAME)
                        prop:value=move || form.with(|f| f.name.clone()) on:input=edit(NAME, |f, v| f.name = v)/>
                </Field>
                <Field label="Source agent" id="mt-agent" finding=finding_for(AGENT)>
                    <input id="mt-agent" type="text" autocomplete="off" aria-describedby="mt-agent-msg" aria-invalid=move || invalid(AGENT)
                        prop:value=move || form.with(|f| f.agent.clone()) on:input=edit(AGENT, |f, v| f.agent = v)/>
                </Field>
                <Field label="Destination (IP or host)" id="mt-destination" finding=finding_for(DESTINATION)>
                    <input id="mt-destination" type="text" autocomplete="off" aria-describedby="mt-destination-msg" aria-invalid=move || invalid(DESTINATION)
                        prop:value=move || form.with(|f| f.destination.clone()) on:input=edit(DESTINATION, |f, v| f.destination = v)/>
                </Field>
                <Field label="Port" id="mt-port" finding=finding_for(PORT)>
                    <input id="mt-port" type="number" min="1" max="65535" aria-describedby="mt-port-msg" aria-invalid=move || invalid(PORT)
                        prop:value=move || form.with(|f| f.port.clone()) on:input=edit(PORT, |f, v| f.port = v)/>
                </Field>
                <Field label="Every (seconds)" id="mt-frequency" finding=finding_for(FREQUENCY)>
                    <input id="mt-frequency" type="number" min="30" max="86400" aria-describedby="mt-frequency-msg" aria-invalid=move || invalid(FREQUENCY)
                        prop:value=move || form.with(|f| f.frequency.clone()) on:input=edit(FREQUENCY, |f, v| f.frequency = v)/>
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

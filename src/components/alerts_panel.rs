//! A connection's alert rules and alerts: the rules with what each watches, a form whose fields
//! are checked by `peering-model` as you type (the server checks the same), and the alerts the
//! rules opened, open ones first in line with when they opened.

use crate::api;
use crate::components::child_conflict::{delete_or_compare, ChildConflict, ChildConflictDialog};
use crate::components::confirm_delete::{ConfirmDelete, ConfirmMode, DeleteFuture};
use crate::components::feedback::Feedback;
use crate::components::freshness::on_interval_and_focus;
use crate::components::Field;
use crate::state::Session;
use leptos::prelude::*;
use leptos::task::spawn_local_scoped;
use peering_model::alerts::{
    validate_rule, Alert, AlertKind, AlertRule, AlertRuleProperties, MAX_CONSECUTIVE,
    MAX_FOR_MINUTES,
};
use peering_model::messages;
use peering_model::names::{NameKind, ResourceName};
use peering_model::targets::{
    ALERT_CONSECUTIVE, ALERT_FOR_MINUTES, ALERT_KIND, ALERT_LEVEL, ALERT_THRESHOLD, NAME,
};
use peering_model::wire::EventLevel;
use peering_model::{ChildKind, Findings, ServiceId};

/// What the rule form holds, as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleForm {
    pub name: String,
    pub kind: String,
    pub threshold: String,
    pub minutes: String,
    pub level: String,
    pub consecutive: String,
}

impl Default for RuleForm {
    fn default() -> Self {
        RuleForm {
            name: String::new(),
            kind: AlertKind::PrefixFailed.as_str().into(),
            threshold: "100".into(),
            minutes: "5".into(),
            level: EventLevel::Warning.as_str().into(),
            consecutive: "3".into(),
        }
    }
}

impl RuleForm {
    pub fn properties(&self) -> AlertRuleProperties {
        AlertRuleProperties {
            kind: self.kind.parse().ok(),
            threshold_ms: self.threshold.trim().parse().ok(),
            for_minutes: self.minutes.trim().parse().ok(),
            level: self.level.parse().ok(),
            consecutive: self.consecutive.trim().parse().ok(),
            provisioning_state: None,
        }
    }

    pub fn findings(&self) -> Findings {
        let mut f = validate_rule(&self.properties()).1;
        if let Err(e) = ResourceName::parse(NameKind::AlertRule, NAME, &self.name) {
            f.0.insert(0, e);
        }
        f
    }
}

/// "opened 2026-12-01 10:00Z, resolved 10:05Z" / "open since 2026-12-01 10:00Z".
fn when(a: &Alert) -> String {
    let t = |s: &str| s.replace('T', " ").replace(".000Z", "Z");
    match &a.resolved_at {
        Some(r) => format!("{} – {}", t(&a.opened_at), t(r)),
        None => format!("open since {}", t(&a.opened_at)),
    }
}

/// Every open alert however old (of one connection, or of the subscription), then the newest
/// resolved ones; one that resolved between the two reads is shown once, resolved.
async fn open_then_resolved(
    s: &Session,
    connection: Option<&ServiceId>,
) -> Result<Vec<Alert>, api::ApiError> {
    let open = api::alerts(s, connection, true).await?;
    let newest = api::alerts(s, connection, false).await?;
    let resolved: Vec<Alert> = newest
        .into_iter()
        .filter(|a| a.resolved_at.is_some())
        .collect();
    let mut shown: Vec<Alert> = open
        .into_iter()
        .filter(|o| {
            !resolved.iter().any(|r| {
                r.rule == o.rule && r.opened_at == o.opened_at && r.connection == o.connection
            })
        })
        .collect();
    shown.extend(resolved);
    Ok(shown)
}

#[component]
pub fn AlertsPanel(service: ServiceId) -> impl IntoView {
    let session = expect_context::<Session>();
    let (s1, sv1) = (session.clone(), service.clone());
    let rules = LocalResource::new(move || {
        let (s, service) = (s1.clone(), sv1.clone());
        async move { api::list_children::<AlertRule>(&s, &service, ChildKind::AlertRule).await }
    });
    let (s2, sv2) = (session.clone(), service.clone());
    let alerts = LocalResource::new(move || {
        let (s, service) = (s2.clone(), sv2.clone());
        async move { open_then_resolved(&s, Some(&service)).await }
    });
    on_interval_and_focus(move || alerts.refetch());
    let conflict = RwSignal::new(None::<ChildConflict>);
    let outbox = use_context::<crate::outbox::Outbox>();
    let (s3, sv3) = (session.clone(), service.clone());
    let rule_row = move |shown: AlertRule| {
        let name = shown.name.clone().unwrap_or_default();
        let what = validate_rule(&shown.properties.clone().unwrap_or_default())
            .0
            .map_or_else(|| "—".to_owned(), |c| c.describe());
        let id = sv3.child(ChildKind::AlertRule, &name);
        let (s, n) = (s3.clone(), name.clone());
        let on_confirm = move || -> DeleteFuture {
            let (s, id, n, shown) = (s.clone(), id.clone(), n.clone(), shown.clone());
            Box::pin(async move {
                delete_or_compare(&s, &id, NameKind::AlertRule, &n, &shown, conflict, outbox)
                    .await?;
                rules.refetch();
                alerts.refetch();
                Ok(())
            })
        };
        view! {
            <tr>
                <td class="name">{name.clone()}</td>
                <td>{what}</td>
                <td><ConfirmDelete kind=NameKind::AlertRule name=name mode=ConfirmMode::Inline on_confirm=on_confirm on_reload=move || rules.refetch()/></td>
            </tr>
        }
    };
    view! {
        <h2>"Alerts"</h2>
        <Transition fallback=|| view! { <p class="state loading" role="status">"Loading alerts…"</p> }>
            {move || alerts.get().map(|r| match r {
                Err(e) => view! { <p class="msg error" role="alert">{format!("Alerts could not be loaded: {}", e.message)}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="state empty small">"No alert has opened."</p> }.into_any(),
                Ok(list) => view! {
                    <ul class="alerts" aria-label="Alerts of this connection: open ones, then resolved ones, newest first">
                        {list.into_iter().map(|a| {
                            let open = a.resolved_at.is_none();
                            view! {
                                <li class:open=open>
                                    <span class=if open { "pill failed" } else { "pill" }>{if open { "Open" } else { "Resolved" }}</span>
                                    <span class="alert-rule">{a.rule.clone()}</span>
                                    <span class="alert-summary">{a.summary.clone()}</span>
                                    <span class="hint">{when(&a)}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Transition>
        <h3>"Alert rules"</h3>
        <Transition fallback=|| view! { <p class="state loading" role="status">"Loading alert rules…"</p> }>
            {move || rules.get().map(|r| match r {
                Err(e) => view! { <p class="msg error" role="alert">{format!("Alert rules could not be loaded: {}", e.message)}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="state empty small">"No alert rules yet: add one below."</p> }.into_any(),
                Ok(list) => view! {
                    <div class="table-wrap">
                        <table class="grid" id="alert-rules">
                            <thead><tr><th scope="col">"Name"</th><th scope="col">"Opens an alert when"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>{list.into_iter().map(rule_row.clone()).collect_view()}</tbody>
                        </table>
                    </div>
                }.into_any(),
            })}
        </Transition>
        <ChildConflictDialog state=conflict on_done=Callback::new(move |()| rules.refetch())/>
        <RuleFormView service=service on_done=move || { rules.refetch(); alerts.refetch(); }/>
    }
}

#[component]
fn RuleFormView(service: ServiceId, on_done: impl Fn() + Clone + 'static) -> impl IntoView {
    let session = use_context::<Session>();
    let form = RwSignal::new(RuleForm::default());
    let saving = RwSignal::new(false);
    let findings = Memo::new(move |_| form.with(RuleForm::findings));
    let feedback = Feedback::new(findings);
    let kind = Memo::new(move |_| form.with(|f| f.kind.parse::<AlertKind>().ok()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !feedback.attempt() || saving.get_untracked() {
            return;
        }
        let Some(s) = session.clone() else { return };
        let f = form.get_untracked();
        let body = AlertRule {
            properties: Some(f.properties()),
            ..Default::default()
        };
        let (id, connection, on_done) = (
            service.child(ChildKind::AlertRule, &f.name),
            service.name.clone(),
            on_done.clone(),
        );
        saving.set(true);
        spawn_local_scoped(async move {
            let res = api::create(&s, &id, &body).await;
            saving.try_set(false);
            match res {
                Ok(_) => {
                    form.set(RuleForm::default());
                    feedback.reset();
                    on_done();
                }
                Err(e) => feedback.refused(
                    e,
                    NAME,
                    messages::name_taken(NameKind::AlertRule, &f.name, &connection),
                ),
            }
        });
    };
    let fields = [
        NAME,
        ALERT_KIND,
        ALERT_THRESHOLD,
        ALERT_FOR_MINUTES,
        ALERT_LEVEL,
        ALERT_CONSECUTIVE,
    ];
    view! {
        <form class="form alert-rule" on:submit=submit novalidate>
            <h3>"Add an alert rule"</h3>
            <div class="row">
                <Field label="Name" id="ar-name" finding=feedback.finding_for(NAME)>
                    <input id="ar-name" type="text" autocomplete="off" aria-describedby="ar-name-msg" aria-invalid=move || feedback.invalid(NAME)
                        prop:value=move || form.with(|f| f.name.clone()) on:input=feedback.edit(form, NAME, |f, v| f.name = v)/>
                </Field>
                <Field label="Opens an alert when" id="ar-kind" finding=feedback.finding_for(ALERT_KIND)>
                    <select id="ar-kind" aria-describedby="ar-kind-msg" on:change=feedback.edit(form, ALERT_KIND, |f, v| f.kind = v)>
                        {AlertKind::ALL.iter().map(|k| {
                            let v = k.as_str();
                            view! { <option value=v selected=move || form.with(|f| f.kind == v)>{k.label()}</option> }
                        }).collect_view()}
                    </select>
                </Field>
                <Show when=move || kind.get() == Some(AlertKind::LatencyP95)>
                    <Field label="p95 above (ms)" id="ar-threshold" finding=feedback.finding_for(ALERT_THRESHOLD)>
                        <input id="ar-threshold" type="number" min="1" aria-describedby="ar-threshold-msg" aria-invalid=move || feedback.invalid(ALERT_THRESHOLD)
                            prop:value=move || form.with(|f| f.threshold.clone()) on:input=feedback.edit(form, ALERT_THRESHOLD, |f, v| f.threshold = v)/>
                    </Field>
                    <Field label="For (minutes)" id="ar-minutes" finding=feedback.finding_for(ALERT_FOR_MINUTES)>
                        <input id="ar-minutes" type="number" min="1" max=MAX_FOR_MINUTES.to_string() aria-describedby="ar-minutes-msg" aria-invalid=move || feedback.invalid(ALERT_FOR_MINUTES)
                            prop:value=move || form.with(|f| f.minutes.clone()) on:input=feedback.edit(form, ALERT_FOR_MINUTES, |f, v| f.minutes = v)/>
                    </Field>
                </Show>
                <Show when=move || kind.get() == Some(AlertKind::EventLevel)>
                    <Field label="At or above" id="ar-level" finding=feedback.finding_for(ALERT_LEVEL)>
                        <select id="ar-level" aria-describedby="ar-level-msg" on:change=feedback.edit(form, ALERT_LEVEL, |f, v| f.level = v)>
                            {EventLevel::ALL.iter().map(|l| {
                                let v = l.as_str();
                                view! { <option value=v selected=move || form.with(|f| f.level == v)>{v}</option> }
                            }).collect_view()}
                        </select>
                    </Field>
                </Show>
                <Show when=move || kind.get() == Some(AlertKind::MonitorFailures)>
                    <Field label="Failures in a row" id="ar-consecutive" finding=feedback.finding_for(ALERT_CONSECUTIVE)>
                        <input id="ar-consecutive" type="number" min="1" max=MAX_CONSECUTIVE.to_string() aria-describedby="ar-consecutive-msg" aria-invalid=move || feedback.invalid(ALERT_CONSECUTIVE)
                            prop:value=move || form.with(|f| f.consecutive.clone()) on:input=feedback.edit(form, ALERT_CONSECUTIVE, |f, v| f.consecutive = v)/>
                    </Field>
                </Show>
            </div>
            {move || feedback.untargeted(&fields).map(|e| view! {
                <div class="state error" role="alert"><p>{e.message}</p></div>
            })}
            <button type="submit" class="button primary" id="add-rule"
                aria-disabled=move || (findings.with(Findings::has_errors) || saving.get()).to_string()>
                {move || if saving.get() { "Adding…" } else { "Add alert rule" }}
            </button>
        </form>
    }
}

/// Resolved alerts the list's banner shows besides the open ones.
const RESOLVED_SHOWN: usize = 10;

/// The subscription's alerts, above the connections list: every open one and the latest
/// resolved ones, each with a link to its connection.
#[component]
pub fn OpenAlerts() -> impl IntoView {
    let session = expect_context::<Session>();
    let alerts = LocalResource::new(move || {
        let s = session.clone();
        async move { open_then_resolved(&s, None).await }
    });
    on_interval_and_focus(move || alerts.refetch());
    move || {
        let list: Vec<Alert> = match alerts.get() {
            Some(Ok(list)) => list,
            _ => Vec::new(),
        };
        let n = list.iter().filter(|a| a.resolved_at.is_none()).count();
        let shown: Vec<Alert> = list.into_iter().take(n + RESOLVED_SHOWN).collect();
        let any_open = n > 0;
        (!shown.is_empty()).then(|| {
            let resolved = shown.len() - n;
            let summary = match (n, resolved) {
                (0, r) => format!("No open alert; {r} resolved lately"),
                (n, 0) => format!("{n} open alert{}", if n == 1 { "" } else { "s" }),
                (n, r) => format!(
                    "{n} open alert{}; {r} resolved lately",
                    if n == 1 { "" } else { "s" }
                ),
            };
            let items = shown
                .into_iter()
                .map(|a| {
                    let target = peering_model::ResourceId::parse(&a.connection)
                        .ok()
                        .map(|id| id.service);
                    let (label, href) = match &target {
                        Some(s) => (
                            s.name.clone(),
                            format!(
                                "/c/{}/{}",
                                peering_model::resource_id::encode_segment(&s.resource_group),
                                peering_model::resource_id::encode_segment(&s.name)
                            ),
                        ),
                        None => (a.connection.clone(), "/".to_owned()),
                    };
                    let open = a.resolved_at.is_none();
                    view! {
                        <li class:open=open>
                            <span class=if open { "pill failed" } else { "pill" }>{if open { "Open" } else { "Resolved" }}</span>
                            <crate::routing::A href=href>{label}</crate::routing::A>
                            <span class="alert-rule">{a.rule.clone()}</span>
                            <span class="alert-summary">{a.summary.clone()}</span>
                            <span class="hint">{when(&a)}</span>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <details class="open-alerts" class:msg=any_open class:warning=any_open role="status">
                    <summary>{summary}</summary>
                    <ul class="alerts">{items}</ul>
                </details>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_checked_by_the_model() {
        let f = RuleForm {
            name: "slow".into(),
            kind: "LatencyP95".into(),
            threshold: "abc".into(),
            ..Default::default()
        };
        let targets: Vec<String> = f.findings().0.into_iter().map(|f| f.target).collect();
        assert_eq!(targets, [ALERT_THRESHOLD]);
        let ok = RuleForm {
            name: "down".into(),
            ..Default::default()
        };
        assert!(ok.findings().0.is_empty());
    }
}

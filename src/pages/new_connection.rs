//! Create a connection, step by step: basics → customer location (country → state/province)
//! → provider (nearest first; primary and backup preselected) → prefixes → review → create.
//! The step is in the URL (`/new?step=provider`), so Back and Forward move between steps and
//! a reload stays on the step; what is typed is kept as a draft in `localStorage`, so it
//! survives a reload. Every field is checked by `peering-model` as you type; the server
//! checks again and its answer lands next to the same field.

use crate::components::connection_fields::StepFields;
use crate::components::create_items::Progress;
use crate::components::feedback::Feedback;
use crate::components::prefix_import::{subscription_prefixes, OtherPrefixes};
use crate::components::wizard_create::WizardReview;
use crate::components::wizard_prefixes::WizardPrefixes;
use crate::routing::A;
use crate::routing::{use_navigate, use_query_map};
use crate::state::{load_draft, save_draft, Session};
use leptos::prelude::*;
use peering_model::connection::{validate_connection, ConnectionDraft};
use peering_model::geo;
use peering_model::import::parse_import;
use peering_model::index::{validate_batch_into, PrefixIndex};
use peering_model::messages;
use peering_model::names::NameKind;
use peering_model::names::ResourceGroupName;
use peering_model::targets as rules;
use peering_model::targets::RESOURCE_GROUP;
use peering_model::{Catalog, Findings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const DRAFT_KEY: &str = "peering-console.draft.new-connection";

/// What the wizard holds; saved as a draft so nothing typed is lost on a reload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FormState {
    pub resource_group: String,
    pub name: String,
    pub country: String,
    pub location: String,
    pub provider: String,
    pub primary: String,
    /// Empty means "None".
    pub backup: String,
    /// The prefix rows as typed, pasted or read from a file.
    pub prefixes: String,
}

impl FormState {
    pub fn draft(&self) -> ConnectionDraft {
        ConnectionDraft {
            name: self.name.clone(),
            country: Some(self.country.clone()),
            location: self.location.clone(),
            provider: self.provider.clone(),
            primary: self.primary.clone(),
            backup: (!self.backup.is_empty()).then(|| self.backup.clone()),
            azure_region: None,
            sku: None,
            tags: BTreeMap::new(),
        }
    }

    /// Every finding of the form, the resource group included.
    pub fn findings(&self) -> Findings {
        let (_, mut f) = validate_connection(Catalog::embedded(), &self.draft());
        if let Err(e) = ResourceGroupName::parse(&self.resource_group) {
            f.0.insert(0, e);
        }
        f
    }
}

/// The wizard's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Basics,
    Location,
    Provider,
    Prefixes,
    Review,
}

impl Step {
    pub const ALL: [Step; 5] = [
        Step::Basics,
        Step::Location,
        Step::Provider,
        Step::Prefixes,
        Step::Review,
    ];

    /// Its value in the URL (`?step=`).
    pub fn key(self) -> &'static str {
        match self {
            Step::Basics => "basics",
            Step::Location => "location",
            Step::Provider => "provider",
            Step::Prefixes => "prefixes",
            Step::Review => "review",
        }
    }

    pub fn parse(key: &str) -> Step {
        Step::ALL
            .into_iter()
            .find(|s| s.key() == key)
            .unwrap_or(Step::Basics)
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::Basics => "Basics",
            Step::Location => "Customer location",
            Step::Provider => "Provider",
            Step::Prefixes => "Prefixes",
            Step::Review => "Review",
        }
    }

    /// The fields this step holds.
    pub fn targets(self) -> &'static [&'static str] {
        match self {
            Step::Basics => &[RESOURCE_GROUP, rules::NAME],
            Step::Location => &[rules::COUNTRY, rules::LOCATION],
            Step::Provider => &[rules::PROVIDER, rules::PRIMARY, rules::BACKUP],
            Step::Prefixes | Step::Review => &[],
        }
    }

    /// The step that holds `target` (the review for anything else).
    pub fn of_target(target: &str) -> Step {
        Step::ALL
            .into_iter()
            .find(|s| s.targets().contains(&target))
            .unwrap_or(Step::Review)
    }

    /// The label of the field at `target`.
    pub fn label_of(target: &str) -> &'static str {
        match target {
            RESOURCE_GROUP => "Resource group",
            rules::NAME => "Name",
            rules::COUNTRY => "Country",
            rules::LOCATION => "State/province",
            rules::PROVIDER => "Provider",
            rules::PRIMARY => "Primary location",
            rules::BACKUP => "Backup location",
            _ => "Connection",
        }
    }

    fn next(self) -> Option<Step> {
        let i = Step::ALL.iter().position(|s| *s == self)?;
        Step::ALL.get(i + 1).copied()
    }

    fn prev(self) -> Option<Step> {
        let i = Step::ALL.iter().position(|s| *s == self)?;
        i.checked_sub(1).map(|i| Step::ALL[i])
    }
}

/// Whether two peering-location spellings name the same place.
pub fn same_location(a: &str, b: &str) -> bool {
    !a.is_empty() && peering_model::catalog::match_key(a) == peering_model::catalog::match_key(b)
}

/// Once the provider is known, an empty primary becomes its peering location nearest the
/// customer location, and an empty backup the next nearest ("None" if it has only one).
pub fn preselect(f: &mut FormState) {
    let c = Catalog::embedded();
    let Some(p) = c.provider(&f.provider) else {
        return;
    };
    let Some(l) = c
        .country(&f.country)
        .and_then(|k| c.location_in(k, &f.location))
    else {
        return;
    };
    let ranked = geo::locations_by_distance(c, l, p);
    if f.primary.is_empty() {
        if let Some((n, _)) = ranked.first() {
            f.primary = (*n).to_owned();
        }
    }
    if f.backup.is_empty() {
        f.backup = ranked
            .iter()
            .map(|(n, _)| *n)
            .find(|n| !same_location(n, &f.primary))
            .unwrap_or_default()
            .to_owned();
    }
}

#[component]
pub fn NewConnectionPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let initial = load_draft(DRAFT_KEY)
        .and_then(|s| serde_json::from_str::<FormState>(&s).ok())
        .unwrap_or_else(|| FormState {
            resource_group: session.config.default_resource_group.clone(),
            ..Default::default()
        });
    view! { <NewConnectionForm initial=initial/> }
}

#[component]
pub fn NewConnectionForm(initial: FormState) -> impl IntoView {
    let session = use_context::<Session>();
    let navigate = use_navigate();
    let query = use_query_map();
    let form = RwSignal::new(initial);
    Effect::new(move |_| {
        let f = form.get();
        if let Ok(json) = serde_json::to_string(&f) {
            save_draft(DRAFT_KEY, &json);
        }
    });
    let findings = Memo::new(move |_| form.with(FormState::findings));
    let feedback = Feedback::new(findings);
    let step = Memo::new(move |_| query.with(|q| Step::parse(&q.get("step").unwrap_or_default())));
    let go = Callback::new(move |s: Step| {
        navigate(&format!("/new?step={}", s.key()), Default::default());
    });

    // The prefixes, checked against the subscription's (when it is small enough to scan)
    // and each other.
    let others = LocalResource::new(move || {
        let s = session.clone();
        async move {
            match s {
                Some(s) => subscription_prefixes(&s).await,
                None => OtherPrefixes::Loaded(Vec::new()),
            }
        }
    });
    let scope = Signal::derive(move || others.get().unwrap_or(OtherPrefixes::Loading));
    let rows = Memo::new(move |_| form.with(|f| parse_import(&f.prefixes)));
    let results = Memo::new(move |_| {
        let index: PrefixIndex = match scope.get() {
            OtherPrefixes::Loaded(o) => o.into_iter().collect(),
            _ => PrefixIndex::new(),
        };
        let (rg, name) = form.with(|f| (f.resource_group.clone(), f.name.clone()));
        rows.with(|r| validate_batch_into(&index, &rg, &name, r))
    });
    let errors_in = move |s: Step| -> usize {
        match s {
            Step::Prefixes => {
                results.with(|r| r.iter().filter(|r| r.findings.has_errors()).count())
            }
            Step::Review => 0,
            s => findings.with(|f| {
                f.errors()
                    .filter(|e| s.targets().contains(&e.target.as_str()))
                    .count()
            }),
        }
    };
    let step_error = RwSignal::new(None::<String>);
    // Where the create stands, here so it outlives the review step. An edit after a create
    // that stopped part-way starts over: what was done is found again (and not created twice)
    // by the next create.
    let progress = RwSignal::new(None::<Progress>);
    Effect::new(move |first: Option<()>| {
        form.track();
        let running = progress.with_untracked(|p| p.as_ref().is_some_and(|p| p.running));
        if first.is_some() && !running {
            progress.set(None);
        }
    });
    let next = move || {
        let s = step.get_untracked();
        let ok = feedback.attempt_step(s.targets()) && errors_in(s) == 0;
        if !ok {
            step_error.set(Some(match s {
                Step::Prefixes => "Fix or remove the prefix rows with errors to go on.".to_owned(),
                _ => "Fix the fields marked above to go on.".to_owned(),
            }));
            return;
        }
        step_error.set(None);
        if let Some(n) = s.next() {
            go.run(n);
        }
    };
    // From the review, every field has been seen: the step opened shows all its findings.
    let fix = Callback::new(move |s: Step| {
        feedback.attempt();
        go.run(s);
    });
    let on_name_taken = Callback::new(move |e: crate::api::ApiError| {
        let f = form.get_untracked();
        feedback.refused(
            e,
            rules::NAME,
            messages::name_taken(NameKind::Connection, &f.name, &f.resource_group),
        );
        go.run(Step::Basics);
    });
    view! {
        <section class="page narrow">
            <header class="page-head">
                <h1>"New connection"</h1>
                <A href="/" attr:class="button">"Cancel"</A>
            </header>
            <nav aria-label="Steps">
                <ol class="steps">
                    {Step::ALL.into_iter().enumerate().map(|(i, s)| view! {
                        <li class:current=move || step.get() == s class:has-error=move || { feedback.attempted_step(s) && errors_in(s) > 0 }>
                            <button type="button" class="step" id=format!("step-{}", s.key())
                                aria-current=move || (step.get() == s).then_some("step")
                                on:click=move |_| go.run(s)>{format!("{}. {}", i + 1, s.title())}</button>
                        </li>
                    }).collect_view()}
                </ol>
            </nav>
            <form class="form wizard" novalidate on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); next(); }>
                {move || match step.get() {
                    Step::Prefixes => view! { <WizardPrefixes form=form rows=rows results=results scope=scope/> }.into_any(),
                    Step::Review => view! { <WizardReview form=form findings=findings rows=rows results=results on_name_taken=on_name_taken go=fix progress=progress/> }.into_any(),
                    s => view! { <StepFields step=s form=form feedback=feedback/> }.into_any(),
                }}
                {move || feedback.untargeted(&FIELDS).map(|e| view! {
                    <div class="state error" role="alert"><p>{e.message}</p></div>
                })}
                {move || step_error.get().map(|e| view! { <p class="msg error" role="alert" id="step-error">{e}</p> })}
                <div class="actions">
                    <Show when=move || step.get().prev().is_some()>
                        <button type="button" class="button" id="back"
                            on:click=move |_| { if let Some(p) = step.get_untracked().prev() { go.run(p) } }>"Back"</button>
                    </Show>
                    <Show when=move || step.get() != Step::Review>
                        <button type="submit" class="button primary" id="next">
                            {move || format!("Next: {}", step.get().next().map_or("", Step::title))}
                        </button>
                    </Show>
                </div>
            </form>
        </section>
    }
}

/// The fields this wizard shows messages at; server errors for any other target go to the
/// form-wide error box.
const FIELDS: [&str; 7] = [
    RESOURCE_GROUP,
    rules::NAME,
    rules::COUNTRY,
    rules::LOCATION,
    rules::PROVIDER,
    rules::PRIMARY,
    rules::BACKUP,
];

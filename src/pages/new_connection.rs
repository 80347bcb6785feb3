//! Create a connection: resource group, name, country → state/province, provider (nearest
//! first) → primary → backup ("None" allowed). Every field is checked by `peering-model` as
//! you type; the server checks again and its answer lands next to the same field.

use crate::api;
use crate::api::Replay;
use crate::components::feedback::Feedback;
use crate::components::Field;
use crate::outbox::Outbox;
use crate::state::{clear_draft, load_draft, save_draft, Session};
use leptos::prelude::*;
use leptos::task::spawn_local_scoped;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use peering_model::connection::{validate_connection, ConnectionDraft};
use peering_model::geo;
use peering_model::messages;
use peering_model::names::NameKind;
use peering_model::names::ResourceGroupName;
use peering_model::targets as rules;
use peering_model::wire::PeeringService;
use peering_model::{Catalog, Findings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const DRAFT_KEY: &str = "peering-console.draft.new-connection";
use peering_model::targets::RESOURCE_GROUP;

/// What the form holds; saved as a draft so nothing typed is lost on a reload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FormState {
    pub resource_group: String,
    pub name: String,
    pub country: String,
    pub location: String,
    pub provider: String,
    pub primary: String,
    /// Empty means "None".
    pub backup: String,
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

/// The fields this form shows messages at; server errors for any other target go to the
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

/// Whether two peering-location spellings name the same place.
pub fn same_location(a: &str, b: &str) -> bool {
    !a.is_empty() && peering_model::catalog::match_key(a) == peering_model::catalog::match_key(b)
}

fn label_of(target: &str) -> &'static str {
    match target {
        RESOURCE_GROUP => "Resource group",
        rules::NAME => "Name",
        rules::COUNTRY => "Country",
        rules::LOCATION => "State/province",
        rules::PROVIDER => "Provider",
        rules::PRIMARY => "Primary location",
        rules::BACKUP => "Backup location",
        _ => "Tags",
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
    let form = RwSignal::new(initial);
    let saving = RwSignal::new(false);

    Effect::new(move |_| {
        let f = form.get();
        if let Ok(json) = serde_json::to_string(&f) {
            save_draft(DRAFT_KEY, &json);
        }
    });

    let findings = Memo::new(move |_| form.with(FormState::findings));
    let feedback = Feedback::new(findings);

    let catalog = Catalog::embedded();
    let country =
        Memo::new(move |_| form.with(|f| catalog.country(&f.country).map(|c| c.name.clone())));
    let location = Memo::new(move |_| {
        form.with(|f| {
            let c = catalog.country(&f.country)?;
            catalog.location_in(c, &f.location).cloned()
        })
    });
    let provider = Memo::new(move |_| form.with(|f| catalog.provider(&f.provider).cloned()));

    let provider_options = Memo::new(move |_| -> Vec<(String, String)> {
        match location.get() {
            Some(l) => geo::providers_by_distance(catalog, &l)
                .into_iter()
                .map(|r| {
                    let tag = if r.available() {
                        ""
                    } else {
                        ", beyond 1000 mi"
                    };
                    (
                        r.provider.name.clone(),
                        format!("{} — {:.0} mi{tag}", r.provider.name, r.miles),
                    )
                })
                .collect(),
            None => {
                let mut all: Vec<_> = catalog
                    .providers
                    .iter()
                    .map(|p| (p.name.clone(), p.name.clone()))
                    .collect();
                all.sort_by_key(|(n, _)| n.to_lowercase());
                all
            }
        }
    });
    let location_options = Memo::new(move |_| -> Vec<(String, String)> {
        let Some(p) = provider.get() else {
            return Vec::new();
        };
        match location.get() {
            Some(l) => geo::locations_by_distance(catalog, &l, &p)
                .into_iter()
                .map(|(n, miles)| {
                    (
                        n.to_owned(),
                        match miles {
                            Some(m) => format!("{n} — {m:.0} mi"),
                            None => n.to_owned(),
                        },
                    )
                })
                .collect(),
            None => p
                .peering_locations
                .iter()
                .map(|l| (l.clone(), l.clone()))
                .collect(),
        }
    });

    let blocking = move || {
        let f = findings.get();
        let mut labels: Vec<&str> = f.errors().map(|e| label_of(&e.target)).collect();
        labels.dedup();
        labels
    };

    let outbox = use_context::<Outbox>();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !feedback.attempt() || saving.get_untracked() {
            return;
        }
        let Some(session) = session.clone() else {
            return;
        };
        let f = form.get_untracked();
        let (valid, _) = validate_connection(catalog, &f.draft());
        let Some(valid) = valid else { return };
        let body = PeeringService::from(&valid);
        let id = session.service(&f.resource_group, &f.name).into();
        saving.set(true);
        feedback.server_error.set(None);
        let navigate = navigate.clone();
        spawn_local_scoped(async move {
            let res = api::create(&session, &id, &body).await;
            saving.try_set(false);
            match res {
                Ok(_) => {
                    clear_draft(DRAFT_KEY);
                    navigate("/", Default::default());
                }
                // No answer (or a 5xx, a 429): the create waits in the outbox, which holds
                // everything typed, and is sent again until the server takes it.
                Err(e) if e.is_transient() && outbox.is_some() => {
                    if let (Some(o), Ok(body)) = (outbox, serde_json::to_value(&body)) {
                        let label = format!("Create connection '{}'", f.name);
                        o.push(
                            label,
                            Replay::Create {
                                id: id.to_string(),
                                body,
                            },
                            &e,
                        );
                        clear_draft(DRAFT_KEY);
                        navigate("/", Default::default());
                    }
                }
                // The name is taken (any casing): say so at the name, nothing was replaced.
                Err(e) => feedback.refused(
                    e,
                    rules::NAME,
                    messages::name_taken(NameKind::Connection, &f.name, &f.resource_group),
                ),
            }
        });
    };

    let options = |items: Vec<(String, String)>, current: Memo<String>| {
        items
            .into_iter()
            .map(|(value, text)| {
                let v = value.clone();
                view! { <option value=value selected=move || current.get() == v>{text}</option> }
            })
            .collect_view()
    };
    let cur = move |get: fn(&FormState) -> String| Memo::new(move |_| form.with(get));
    let cur_country = cur(|f| f.country.clone());
    let cur_location = cur(|f| f.location.clone());
    let cur_provider = cur(|f| f.provider.clone());
    let cur_primary = cur(|f| f.primary.clone());
    let cur_backup = cur(|f| f.backup.clone());

    view! {
        <section class="page narrow">
            <header class="page-head">
                <h1>"New connection"</h1>
                <A href="/" attr:class="button">"Cancel"</A>
            </header>
            <form class="form" on:submit=submit novalidate>
                <fieldset>
                    <legend>"Basics"</legend>
                    <Field label="Resource group" id="rg" finding=feedback.finding_for(RESOURCE_GROUP)>
                        <input id="rg" name="rg" type="text" autocomplete="off" aria-describedby="rg-msg" aria-invalid=move || feedback.invalid(RESOURCE_GROUP)
                            prop:value=move || form.with(|f| f.resource_group.clone())
                            on:input=feedback.edit(form, RESOURCE_GROUP, |f, v| f.resource_group = v)/>
                    </Field>
                    <Field label="Name" id="name" finding=feedback.finding_for(rules::NAME)
                        hint="1–63 letters, digits, '_', '.' or '-'; not ending in '.'">
                        <input id="name" name="name" type="text" autocomplete="off" aria-describedby="name-msg" aria-invalid=move || feedback.invalid(rules::NAME)
                            prop:value=move || form.with(|f| f.name.clone())
                            on:input=feedback.edit(form, rules::NAME, |f, v| f.name = v)/>
                    </Field>
                </fieldset>
                <fieldset>
                    <legend>"Customer location"</legend>
                    <Field label="Country" id="country" finding=feedback.finding_for(rules::COUNTRY)>
                        <select id="country" name="country" aria-describedby="country-msg" aria-invalid=move || feedback.invalid(rules::COUNTRY)
                            on:change=feedback.edit(form, rules::COUNTRY, |f, v| {
                                let keep = Catalog::embedded().country(&v)
                                    .is_some_and(|c| Catalog::embedded().location_in(c, &f.location).is_some());
                                if !keep { f.location.clear(); }
                                f.country = v;
                            })>
                            <option value="" selected=move || cur_country.get().is_empty()>"Choose a country…"</option>
                            {options(catalog.countries.iter().map(|c| (c.name.clone(), c.name.clone())).collect(), cur_country)}
                        </select>
                    </Field>
                    <Field label="State/province" id="location" finding=feedback.finding_for(rules::LOCATION)>
                        <select id="location" name="location" aria-describedby="location-msg" aria-invalid=move || feedback.invalid(rules::LOCATION)
                            disabled=move || country.get().is_none()
                            on:change=feedback.edit(form, rules::LOCATION, |f, v| f.location = v)>
                            <option value="" selected=move || cur_location.get().is_empty()>
                                {move || match country.get() {
                                    None => "Choose a country first".to_owned(),
                                    Some(c) if c == "United States" => "Choose a state…".to_owned(),
                                    Some(_) => "Choose a state or province…".to_owned(),
                                }}
                            </option>
                            {move || {
                                let items = country.get()
                                    .and_then(|c| catalog.country(&c))
                                    .map(|c| c.locations.iter().map(|l| (l.state.clone(), l.state.trim().to_owned())).collect())
                                    .unwrap_or_default();
                                options(items, cur_location)
                            }}
                        </select>
                    </Field>
                </fieldset>
                <fieldset>
                    <legend>"Provider"</legend>
                    <Field label="Provider" id="provider" finding=feedback.finding_for(rules::PROVIDER)
                        hint="Nearest first once a location is chosen; available means a peering location within 1000 miles.">
                        <select id="provider" name="provider" aria-describedby="provider-msg" aria-invalid=move || feedback.invalid(rules::PROVIDER)
                            on:change=feedback.edit(form, rules::PROVIDER, |f, v| {
                                if let Some(p) = Catalog::embedded().provider(&v) {
                                    let c = Catalog::embedded();
                                    if c.provider_location(p, &f.primary).is_none() { f.primary.clear(); }
                                    if c.provider_location(p, &f.backup).is_none() { f.backup.clear(); }
                                }
                                f.provider = v;
                            })>
                            <option value="" selected=move || cur_provider.get().is_empty()>"Choose a provider…"</option>
                            {move || options(provider_options.get(), cur_provider)}
                        </select>
                    </Field>
                    <Field label="Primary peering location" id="primary" finding=feedback.finding_for(rules::PRIMARY)>
                        <select id="primary" name="primary" aria-describedby="primary-msg" aria-invalid=move || feedback.invalid(rules::PRIMARY)
                            disabled=move || provider.get().is_none()
                            on:change=feedback.edit(form, rules::PRIMARY, |f, v| {
                                // The backup list never offers the primary; do not keep it hidden there.
                                if crate::pages::new_connection::same_location(&f.backup, &v) { f.backup.clear(); }
                                f.primary = v;
                            })>
                            <option value="" selected=move || cur_primary.get().is_empty()>
                                {move || if provider.get().is_none() { "Choose a provider first" } else { "Choose the primary location…" }}
                            </option>
                            {move || options(location_options.get(), cur_primary)}
                        </select>
                    </Field>
                    <Field label="Backup peering location" id="backup" finding=feedback.finding_for(rules::BACKUP)
                        hint="None: traffic fails over to the internet, without geo-redundancy.">
                        <select id="backup" name="backup" aria-describedby="backup-msg" aria-invalid=move || feedback.invalid(rules::BACKUP)
                            disabled=move || provider.get().is_none()
                            on:change=feedback.edit(form, rules::BACKUP, |f, v| f.backup = v)>
                            <option value="" selected=move || cur_backup.get().is_empty()>"None"</option>
                            {move || {
                                let primary = cur_primary.get();
                                let items = location_options.get().into_iter().filter(|(v, _)| *v != primary).collect();
                                options(items, cur_backup)
                            }}
                        </select>
                    </Field>
                </fieldset>
                {move || feedback.untargeted(&FIELDS).map(|e| view! {
                    <div class="state error" role="alert"><p>{e.message}</p></div>
                })}
                <div class="actions">
                    <button type="submit" class="button primary" id="create"
                        aria-disabled=move || (!blocking().is_empty() || saving.get()).to_string()
                        aria-describedby="create-why">
                        {move || if saving.get() { "Creating…" } else { "Create connection" }}
                    </button>
                    <p id="create-why" class="msg hint" aria-live="polite">
                        {move || {
                            let b = blocking();
                            if b.is_empty() { String::new() } else { format!("To create, fix: {}.", b.join(", ")) }
                        }}
                    </p>
                </div>
            </form>
        </section>
    }
}

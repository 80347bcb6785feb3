//! The fields of the wizard's first three steps (basics, customer location, provider), each
//! checked by `peering-model` as it is edited.

use crate::components::feedback::Feedback;
use crate::components::Field;
use crate::pages::new_connection::{preselect, same_location, FormState, Step};
use leptos::prelude::*;
use peering_model::geo;
use peering_model::targets as rules;
use peering_model::targets::RESOURCE_GROUP;
use peering_model::Catalog;

/// The fieldset of `step` (nothing for the later steps).
#[component]
pub fn StepFields(step: Step, form: RwSignal<FormState>, feedback: Feedback) -> impl IntoView {
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

    match step {
        Step::Basics => view! {
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
        }
        .into_any(),
        Step::Location => view! {
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
        }
        .into_any(),
        Step::Provider => view! {
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
                                preselect(f);
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
                                if same_location(&f.backup, &v) { f.backup.clear(); }
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
        }
        .into_any(),
        _ => ().into_any(),
    }
}

//! A connection's overview: where it is, who carries it, its Azure region, and its read-only
//! fields (provisioning state, type, resource id).

use crate::components::state_pill::StatePill;
use leptos::prelude::*;
use peering_model::wire::PeeringService;
use peering_model::Catalog;

#[component]
pub fn Overview(connection: PeeringService) -> impl IntoView {
    let p = connection.properties.clone().unwrap_or_default();
    let state = p.peering_service_location.clone().unwrap_or_default();
    let country = Catalog::embedded()
        .location(&state)
        .map(|(c, _)| c.name.clone())
        .unwrap_or_default();
    let item = |k: &'static str, v: String| view! { <dt>{k}</dt><dd>{v}</dd> };
    view! {
        <header class="page-head"><h1>{connection.name.clone().unwrap_or_default()}</h1></header>
        <dl class="overview">
            {item("Country", country)}
            {item("State/province", state.trim().to_owned())}
            {item("Provider", p.peering_service_provider.clone().unwrap_or_default())}
            {item("Primary location", p.provider_primary_peering_location.clone().unwrap_or_default())}
            {item("Backup location", p.provider_backup_peering_location.clone().unwrap_or_else(|| "None".into()))}
            {item("Azure region", connection.location.clone().unwrap_or_default())}
            <dt>"Provisioning"</dt>
            <dd>{p.provisioning_state.map(|s| view! { <StatePill state=s/> })}</dd>
            {item("Type", connection.kind.clone().unwrap_or_default())}
            <dt>"Resource id"</dt>
            <dd class="mono resource-id">{connection.id.clone().unwrap_or_default()}</dd>
        </dl>
    }
}

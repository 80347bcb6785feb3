//! A connection's overview: where it is, who carries it, its Azure region, and its read-only
//! fields (provisioning state, SKU, type, who created and last changed it and when, resource id).

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
    let sd = connection.system_data.clone().unwrap_or_default();
    view! {
        <header class="page-head"><h1>{connection.name.clone().unwrap_or_default()}</h1></header>
        <dl class="overview">
            {item("Country", country)}
            {item("State/province", state.trim().to_owned())}
            {item("Provider", p.peering_service_provider.clone().unwrap_or_default())}
            {item("Primary location", p.provider_primary_peering_location.clone().unwrap_or_default())}
            {item("Backup location", p.provider_backup_peering_location.clone().unwrap_or_else(|| "None".into()))}
            {item("Azure region", connection.location.clone().unwrap_or_default())}
            {item("Connected agents", p.log_analytics_workspace_properties.as_ref()
                .and_then(|l| l.connected_agents.clone())
                .filter(|a| !a.is_empty())
                .map_or_else(|| "None has reported yet".to_owned(), |a| a.join(", ")))}
            <dt>"Provisioning"</dt>
            <dd>{p.provisioning_state.map(|s| view! { <StatePill state=s/> })}</dd>
            {item("SKU", connection.sku.as_ref().and_then(|s| s.name.clone()).unwrap_or_else(|| "—".into()))}
            {item("Type", connection.kind.clone().unwrap_or_default())}
            {item("Created", who_when(sd.created_by.as_deref(), sd.created_by_type.map(|t| t.to_string()), sd.created_at.as_deref()))}
            {item("Last modified", who_when(sd.last_modified_by.as_deref(), sd.last_modified_by_type.map(|t| t.to_string()), sd.last_modified_at.as_deref()))}
            <dt>"Resource id"</dt>
            <dd class="mono resource-id">{connection.id.clone().unwrap_or_default()}</dd>
        </dl>
    }
}

/// "2026-12-01T12:00:00Z by token-ab12cd (Application)", or "—".
fn who_when(by: Option<&str>, kind: Option<String>, at: Option<&str>) -> String {
    let who = match (by, kind) {
        (Some(b), Some(k)) => format!(" by {b} ({k})"),
        (Some(b), None) => format!(" by {b}"),
        _ => String::new(),
    };
    match at {
        Some(at) => format!("{at}{who}"),
        None if !who.is_empty() => who.trim_start().to_owned(),
        None => "—".into(),
    }
}

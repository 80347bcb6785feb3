//! The subscription's alert webhook deliveries, under its open alerts above the list: each
//! opening or resolution sent to a configured webhook, whether it was delivered, is waiting
//! for its next try or was given up, and what its last attempt got. Shown only when there is a
//! delivery (no webhook configured, nothing to say).

use crate::api;
use crate::components::freshness::on_interval_and_focus;
use crate::state::Session;
use leptos::prelude::*;
use peering_model::alerts::WebhookDelivery;

fn time(s: &str) -> String {
    s.replace('T', " ").replace(".000Z", "Z")
}

/// What became of a delivery, in words.
pub fn outcome(d: &WebhookDelivery) -> String {
    let tries = match d.attempts.len() {
        1 => "1 attempt".to_owned(),
        n => format!("{n} attempts"),
    };
    match (&d.delivered_at, &d.gave_up_at, &d.next_attempt_at) {
        (Some(at), _, _) => format!("Delivered {} ({tries})", time(at)),
        (None, Some(at), _) => format!("Given up {} after {tries}", time(at)),
        (None, None, Some(at)) if d.attempts.is_empty() => format!("Due {}", time(at)),
        (None, None, Some(at)) => format!("Next try {} ({tries} failed)", time(at)),
        (None, None, None) => "Waiting".to_owned(),
    }
}

/// The last attempt's answer: its status, or what went wrong.
pub fn last_answer(d: &WebhookDelivery) -> String {
    match d.attempts.last() {
        None => String::new(),
        Some(a) => match (a.status, &a.error) {
            (Some(s), None) => format!("HTTP {s}"),
            (Some(s), Some(e)) => format!("HTTP {s}: {e}"),
            (None, Some(e)) => e.clone(),
            (None, None) => String::new(),
        },
    }
}

/// The deliveries as a table (newest first, as the server lists them).
#[component]
pub fn DeliveryList(deliveries: Vec<WebhookDelivery>) -> impl IntoView {
    let failing = deliveries
        .iter()
        .filter(|d| d.delivered_at.is_none())
        .count();
    let failing_any = failing > 0;
    let summary = match failing {
        0 => format!("Webhook deliveries: {} delivered", deliveries.len()),
        n => format!("Webhook deliveries: {n} not delivered"),
    };
    let rows = deliveries
        .into_iter()
        .map(|d| {
            let connection = peering_model::ResourceId::parse(&d.connection)
                .map(|id| id.service.name)
                .unwrap_or_else(|_| d.connection.clone());
            let ok = d.delivered_at.is_some();
            view! {
                <tr class:failed=!ok>
                    <td>{time(&d.created_at)}</td>
                    <td>{d.event.clone()}</td>
                    <td>{connection}</td>
                    <td>{d.rule.clone()}</td>
                    <td class="wrap">{outcome(&d)}</td>
                    <td class="wrap">{last_answer(&d)}</td>
                    <td class="wrap hint">{d.url.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <details class="webhook-deliveries">
            <summary class:failing=failing_any>{summary}</summary>
            <div class="table-wrap" tabindex="0" role="region" aria-label="Webhook deliveries, newest first">
                <table class="grid" id="webhook-deliveries">
                    <thead><tr>
                        <th scope="col">"Queued"</th><th scope="col">"Event"</th><th scope="col">"Connection"</th>
                        <th scope="col">"Rule"</th><th scope="col">"Outcome"</th><th scope="col">"Last answer"</th><th scope="col">"Webhook"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </details>
    }
}

/// The subscription's deliveries, refreshed with the page.
#[component]
pub fn WebhookDeliveries() -> impl IntoView {
    let session = expect_context::<Session>();
    let deliveries = LocalResource::new(move || {
        let s = session.clone();
        async move { api::webhook_deliveries(&s).await }
    });
    on_interval_and_focus(move || deliveries.refetch());
    move || match deliveries.get() {
        Some(Ok(list)) if !list.is_empty() => Some(view! { <DeliveryList deliveries=list/> }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use peering_model::alerts::WebhookAttempt;

    fn delivery() -> WebhookDelivery {
        WebhookDelivery {
            id: 1,
            url: "https://hooks.example.com/in".into(),
            event: "alert.opened".into(),
            rule: "failed".into(),
            connection:
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Peering/peeringServices/c"
                    .into(),
            created_at: "2026-11-30T12:00:00.000Z".into(),
            delivered_at: None,
            gave_up_at: None,
            next_attempt_at: Some("2026-11-30T12:00:10.000Z".into()),
            attempts: vec![WebhookAttempt {
                at: "2026-11-30T12:00:00.000Z".into(),
                status: None,
                error: Some("connection refused".into()),
            }],
        }
    }

    #[test]
    fn each_outcome_is_said() {
        let mut d = delivery();
        assert_eq!(
            outcome(&d),
            "Next try 2026-11-30 12:00:10Z (1 attempt failed)"
        );
        assert_eq!(last_answer(&d), "connection refused");
        d.next_attempt_at = None;
        d.gave_up_at = Some("2026-11-30T13:00:00.000Z".into());
        assert_eq!(outcome(&d), "Given up 2026-11-30 13:00:00Z after 1 attempt");
        d.attempts.push(WebhookAttempt {
            at: "2026-11-30T12:00:05.000Z".into(),
            status: Some(200),
            error: None,
        });
        d.gave_up_at = None;
        d.delivered_at = Some("2026-11-30T12:00:05.000Z".into());
        assert_eq!(outcome(&d), "Delivered 2026-11-30 12:00:05Z (2 attempts)");
        assert_eq!(last_answer(&d), "HTTP 200");
    }
}

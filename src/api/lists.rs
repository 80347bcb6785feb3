//! Lists: every page of a collection, following `nextLink` only to the API's own origin.

use super::{api_origin_base, checked_next, send, url, ApiError, ErrorKind, Precondition};
use crate::state::Session;
use gloo_net::http::Method;
use peering_model::resource_id::SubscriptionOp;
use peering_model::targets::TOP;
use peering_model::wire::{ListResult, PeeringService};
use peering_model::{ArmPath, ChildKind, ServiceId};
use serde::de::DeserializeOwned;

/// The validators of a list as it was read: each page's URL and ETag. Sent back with
/// `If-None-Match` ([`unchanged`]), they tell whether the list changed at the cost of a 304
/// per page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Validators(pub Vec<(String, String)>);

/// Probes every page of a list with its ETag: whether any page changed, and the validators
/// as they are now (a page that changed brings its new ETag). `None` for a list read without
/// validators (a server that sends none): it cannot be probed.
pub async fn probe_list(
    s: &Session,
    v: &Validators,
) -> Result<Option<(bool, Validators)>, ApiError> {
    if v.0.is_empty() {
        return Ok(None);
    }
    let mut changed = false;
    let mut now = Vec::with_capacity(v.0.len());
    for (u, etag) in &v.0 {
        match super::probe(s, u, etag).await? {
            None => now.push((u.clone(), etag.clone())),
            Some(new) => {
                changed = true;
                now.push((u.clone(), new));
            }
        }
    }
    Ok(Some((changed, Validators(now))))
}

/// Every item of a list: the first page at `first`, then each `nextLink` (checked by
/// [`checked_next`]) until there is none.
pub async fn list<T: DeserializeOwned>(s: &Session, first: String) -> Result<Vec<T>, ApiError> {
    let mut all = Vec::new();
    list_pages(s, first, |page| all.extend(page)).await?;
    Ok(all)
}

/// The one paging helper of the app: `on_page` gets each page as it arrives (so a long list
/// shows its first rows while the rest loads).
pub async fn list_pages<T: DeserializeOwned>(
    s: &Session,
    first: String,
    mut on_page: impl FnMut(Vec<T>),
) -> Result<Validators, ApiError> {
    let base = api_origin_base(&s.config);
    let mut validators = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut next = Some(first);
    while let Some(u) = next.take() {
        if !seen.insert(u.clone()) {
            return Err(ApiError::new(
                ErrorKind::BadResponse,
                "NextLinkLoop",
                "The server's next page link leads back to a page already read; the list stops there.",
            ));
        }
        let tagged = send::<()>(s, Method::GET, &u, Precondition::None, None)
            .await?
            .json::<ListResult<T>>()
            .await?;
        let page = tagged.value;
        if let Some(etag) = tagged.etag {
            validators.push((u.clone(), etag));
        }
        on_page(page.value);
        next = page
            .next_link
            .map(|link| checked_next(&base, &link))
            .transpose()?;
    }
    // A page without an ETag cannot be probed, so neither can the list.
    if validators.len() < seen.len() {
        validators.clear();
    }
    Ok(Validators(validators))
}

/// The first page of the session's connections.
fn connections_url(s: &Session) -> String {
    let path = ArmPath::Subscription {
        subscription: s.subscription.clone(),
        op: SubscriptionOp::PeeringServices,
    };
    // Large pages: one request per 1,000 connections instead of per 100.
    url(&s.config, &path.to_string(), &[(TOP, "1000")])
}

/// Every connection of the session's subscription.
pub async fn list_connections(s: &Session) -> Result<Vec<PeeringService>, ApiError> {
    list(s, connections_url(s)).await
}

/// Every connection of the session's subscription, a page at a time.
pub async fn list_connection_pages(
    s: &Session,
    on_page: impl FnMut(Vec<PeeringService>),
) -> Result<Validators, ApiError> {
    list_pages(s, connections_url(s), on_page).await
}

/// Each connection's prefixes by validation state (the server's `peeringServicePrefixSummaries`
/// extension), a page at a time.
pub async fn list_prefix_summary_pages(
    s: &Session,
    on_page: impl FnMut(Vec<peering_model::wire::PrefixSummary>),
) -> Result<Validators, ApiError> {
    let path = ArmPath::Subscription {
        subscription: s.subscription.clone(),
        op: SubscriptionOp::PrefixSummaries,
    };
    list_pages(
        s,
        url(&s.config, &path.to_string(), &[(TOP, "1000")]),
        on_page,
    )
    .await
}

/// Every child of one kind (prefixes, monitor tests) of a connection.
pub async fn list_children<T: DeserializeOwned>(
    s: &Session,
    service: &ServiceId,
    kind: ChildKind,
) -> Result<Vec<T>, ApiError> {
    list(s, url(&s.config, &service.children_path(kind), &[])).await
}

/// [`list_children`] with the list's validators; `query` adds parameters (`$expand=events`
/// for prefixes: the list's validators then cover the events too, so a probe sees new ones).
pub async fn list_children_tagged<T: DeserializeOwned>(
    s: &Session,
    service: &ServiceId,
    kind: ChildKind,
    query: &[(&str, &str)],
) -> Result<(Vec<T>, Validators), ApiError> {
    let mut all = Vec::new();
    let first = url(&s.config, &service.children_path(kind), query);
    let v = list_pages(s, first, |page| all.extend(page)).await?;
    Ok((all, v))
}

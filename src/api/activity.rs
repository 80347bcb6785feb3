//! The activity log as the console reads it (`activityLog`): a page of records under any
//! filters, and one record with the representations before and after.

use super::{api_origin_base, checked_next, send, url, ApiError, Precondition};
use crate::state::Session;
use gloo_net::http::Method;
use peering_model::activity::{ActivityPage, ActivityRecord};
use peering_model::resource_id::{encode_segment, SubscriptionOp};
use peering_model::ArmPath;

/// The first page of the session's log under `filters` (`activity::query` names).
pub fn activity_url(s: &Session, filters: &[(&str, &str)]) -> String {
    let path = ArmPath::Subscription {
        subscription: s.subscription.clone(),
        op: SubscriptionOp::ActivityLog,
    };
    url(&s.config, &path.to_string(), filters)
}

/// One page (`url`: the first's, or a `nextLink`), and the next page's link, which only ever
/// leads to the API's own origin.
pub async fn activity_page(s: &Session, url: &str) -> Result<ActivityPage, ApiError> {
    let mut page = send::<()>(s, Method::GET, url, Precondition::None, None)
        .await?
        .json::<ActivityPage>()
        .await?
        .value;
    page.next_link = page
        .next_link
        .map(|link| checked_next(&api_origin_base(&s.config), &link))
        .transpose()?;
    Ok(page)
}

/// One record, with its snapshots.
pub async fn activity_record(s: &Session, event_id: &str) -> Result<ActivityRecord, ApiError> {
    let path = format!(
        "{}/{}",
        ArmPath::Subscription {
            subscription: s.subscription.clone(),
            op: SubscriptionOp::ActivityLog,
        },
        encode_segment(event_id)
    );
    Ok(send::<()>(
        s,
        Method::GET,
        &url(&s.config, &path, &[]),
        Precondition::None,
        None,
    )
    .await?
    .json::<ActivityRecord>()
    .await?
    .value)
}

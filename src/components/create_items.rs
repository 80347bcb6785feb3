//! Creating the wizard's resources once each: an item's state, a create that recognises its
//! own earlier success, and handing what is left to the outbox when the server does not answer.

use crate::api::{self, holds, ApiError, ErrorKind};
use crate::outbox::Outbox;
use crate::state::Session;
use peering_model::index::PrefixRow;
use peering_model::messages;
use peering_model::names::NameKind;
use peering_model::wire::PeeringServicePrefix;
use peering_model::{ChildKind, ResourceId};
use serde::Serialize;

/// Where one item of the create stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Waiting,
    Sending,
    Created,
    /// Found stored exactly as this wizard would write it.
    AlreadyThere,
    Failed(String),
    /// No answer (or a 5xx, a 429): waiting in the outbox, which sends it when it can.
    Queued,
}

impl Item {
    pub fn done(&self) -> bool {
        matches!(self, Item::Created | Item::AlreadyThere | Item::Queued)
    }

    pub fn text(&self) -> String {
        match self {
            Item::Waiting => "Waiting".into(),
            Item::Sending => "Creating…".into(),
            Item::Created => "Created".into(),
            Item::AlreadyThere => "Already created (by an earlier attempt)".into(),
            Item::Failed(why) => format!("Not created: {why}"),
            Item::Queued => "In the outbox: sent when the server answers".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub connection: Item,
    pub prefixes: Vec<(PrefixRow, Item)>,
    pub running: bool,
}

/// Creates `body` at `id` unless it exists; an existing one that holds `body` is done.
pub async fn create_once<T: Serialize + serde::de::DeserializeOwned>(
    s: &Session,
    id: &ResourceId,
    body: &T,
    kind: NameKind,
    parent: &str,
) -> Result<Item, ApiError> {
    match api::create(s, id, body).await {
        Ok(_) => Ok(Item::Created),
        Err(e) if e.kind == ErrorKind::PreconditionFailed => {
            let want = serde_json::to_value(body).unwrap_or_default();
            match api::get::<serde_json::Value>(s, id).await {
                Ok(now) if holds(&now.value, &want) => Ok(Item::AlreadyThere),
                _ => Err(ApiError {
                    message: messages::name_taken(kind, &id_name(id), parent),
                    ..e
                }),
            }
        }
        Err(e) => Err(e),
    }
}

fn id_name(id: &ResourceId) -> String {
    id.child
        .as_ref()
        .map_or_else(|| id.service.name.clone(), |(_, n)| n.clone())
}

/// After a write met no answer: what is not done yet goes to the outbox, in order (the
/// connection first when `connection` is given, then `prefixes`), so the outbox sends it all
/// when the server answers (the caller clears the draft once nothing is left undone). The
/// writes are queued from the values given, not from the page's state, so they are queued even
/// if the page has gone meanwhile. Returns whether they were queued.
pub fn queue_rest(
    outbox: Option<Outbox>,
    e: &ApiError,
    connection: Option<(&ResourceId, serde_json::Value)>,
    prefixes: &[(usize, PrefixRow)],
    service: &peering_model::ServiceId,
) -> bool {
    let Some(outbox) = outbox else { return false };
    if let Some((id, body)) = connection {
        outbox.push_create(
            format!("Create connection '{}'", service.name),
            id,
            &body,
            e,
        );
    }
    for (_, row) in prefixes {
        let child = service.child(ChildKind::Prefix, &row.name);
        let label = format!(
            "Add prefix {} ({}) to connection '{}'",
            row.name, row.prefix, service.name
        );
        outbox.push_create(label, &child, &PeeringServicePrefix::from(row), e);
    }
    true
}

//! Sending a write again from the outbox, and telling a replay that meets its own earlier
//! success (the first attempt reached the server but its answer was lost) from a real conflict.

use super::{get, send, url, ApiError, ErrorKind, Precondition};
use crate::state::Session;
use gloo_net::http::Method;
use peering_model::targets::TAGS;
use peering_model::ResourceId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A write as the outbox keeps it: what to send, never who sends it (no token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verb", rename_all = "camelCase")]
pub enum Replay {
    /// `PUT` with `If-None-Match: *`.
    Create { id: String, body: Value },
    /// `PATCH` with `If-Match`.
    Patch {
        id: String,
        etag: String,
        body: Value,
    },
    /// `DELETE` with `If-Match`.
    Delete { id: String, etag: String },
    /// A list item's delete: it is read first, and deleted (`If-Match` with the ETag read) only
    /// if its properties are still those shown; gone already counts as done.
    DeleteIfUnchanged { id: String, shown: Value },
}

impl Replay {
    /// A later write of the same resource now applies to the version `etag` (the one an earlier
    /// write of the outbox wrote).
    pub fn rebase(&mut self, etag: &str) {
        if let Replay::Patch { etag: e, .. } | Replay::Delete { etag: e, .. } = self {
            *e = etag.to_owned();
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Replay::Create { id, .. }
            | Replay::Patch { id, .. }
            | Replay::Delete { id, .. }
            | Replay::DeleteIfUnchanged { id, .. } => id,
        }
    }
}

/// The resource's name, for a message.
fn id_name(id: &ResourceId) -> String {
    id.child
        .as_ref()
        .map_or_else(|| id.service.name.clone(), |(_, n)| format!("'{n}'"))
}

/// Whether two versions have the same `properties` (members that are null or absent count as
/// the same) and tags: what a list item shows, compared with what is stored now.
pub fn same_properties(a: &Value, b: &Value) -> bool {
    // What the server itself moves (validation, test results, provisioning) is not a change
    // anyone made, so it does not hold a delete back.
    const READ_ONLY: [&str; 8] = [
        "provisioningState",
        "logAnalyticsWorkspaceProperties",
        "prefixValidationState",
        "learnedType",
        "errorMessage",
        "events",
        "isTestSuccessful",
        "path",
    ];
    let props = |v: &Value| -> serde_json::Map<String, Value> {
        v.get("properties")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter(|(k, v)| !v.is_null() && !READ_ONLY.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let tags = |v: &Value| {
        v.get(TAGS)
            .filter(|t| !t.is_null())
            .cloned()
            .unwrap_or(Value::Object(Default::default()))
    };
    props(a) == props(b) && tags(a) == tags(b)
}

/// Whether `have` holds everything `want` says: every member of an object (recursively), and
/// any other value equal. A resource as stored carries more than the write sent
/// (`provisioningState`, `systemData`, ids), so equality would be too strict. Tags are the
/// exception: a write replaces them whole, so they must be equal (none stored = `{}`).
pub fn holds(have: &Value, want: &Value) -> bool {
    match (have, want) {
        (Value::Object(h), Value::Object(w)) => w.iter().all(|(k, v)| {
            if k == TAGS {
                let empty = Value::Object(Default::default());
                let stored = h.get(k).filter(|t| !t.is_null()).unwrap_or(&empty);
                stored == v
            } else {
                h.get(k).is_some_and(|hv| holds(hv, v))
            }
        }),
        _ => have == want,
    }
}

/// Sends `write` once. A refusal that its own earlier delivery would explain (412 on a create
/// or a change, 404 on a delete) is checked against what is stored now: if the resource is as
/// the write would leave it, the write is done; otherwise the refusal stands (someone else
/// changed it, and the user must decide).
///
/// `Ok` carries the ETag of the version the write left, when the server said it.
pub async fn replay(s: &Session, write: &Replay) -> Result<Option<String>, ApiError> {
    let id = ResourceId::parse(write.id())
        .map_err(|e| ApiError::new(ErrorKind::Invalid, "InvalidResourceId", e.to_string()))?;
    let u = url(&s.config, &id.to_string(), &[]);
    if let Replay::DeleteIfUnchanged { shown, .. } = write {
        return match get::<Value>(s, &id).await {
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
            Ok(now) if same_properties(&now.value, shown) => {
                let Some(etag) = now.etag else {
                    return Err(ApiError::new(
                        ErrorKind::BadResponse,
                        "MissingETag",
                        "The server sent no ETag, so the delete cannot name the version it removes.",
                    ));
                };
                match send::<()>(s, Method::DELETE, &u, Precondition::Matches(&etag), None)
                    .await?
                    .empty()
                    .await
                {
                    Ok(()) => Ok(None),
                    Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(e),
                }
            }
            Ok(_) => Err(ApiError::new(
                ErrorKind::PreconditionFailed,
                "PreconditionFailed",
                format!(
                    "{} was changed by someone else since it was shown; it was not deleted.",
                    id_name(&id)
                ),
            )),
        };
    }
    let sent = match write {
        Replay::Create { body, .. } => {
            send(s, Method::PUT, &u, Precondition::Absent, Some(body)).await
        }
        Replay::Patch { etag, body, .. } => {
            send(
                s,
                Method::PATCH,
                &u,
                Precondition::Matches(etag),
                Some(body),
            )
            .await
        }
        Replay::Delete { etag, .. } => {
            send::<()>(s, Method::DELETE, &u, Precondition::Matches(etag), None).await
        }
        Replay::DeleteIfUnchanged { .. } => unreachable!("answered above"),
    }?;
    let written = sent.res.headers().get("ETag");
    let refusal = match sent.empty().await {
        Ok(()) => return Ok(written),
        Err(e) => e,
    };
    let own_success_possible = match write {
        Replay::Delete { .. } => {
            matches!(
                refusal.kind,
                ErrorKind::NotFound | ErrorKind::PreconditionFailed
            )
        }
        _ => refusal.kind == ErrorKind::PreconditionFailed,
    };
    if !own_success_possible {
        return Err(refusal);
    }
    match (write, get::<Value>(s, &id).await) {
        (Replay::Delete { .. }, Err(e)) if e.kind == ErrorKind::NotFound => Ok(None),
        (Replay::Create { body, .. } | Replay::Patch { body, .. }, Ok(now))
            if holds(&now.value, body) =>
        {
            Ok(now.etag)
        }
        _ => Err(refusal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn same_properties_ignores_nulls_and_what_lies_outside_properties() {
        let listed =
            json!({"name": "p", "properties": {"prefix": "8.8.8.0/24", "errorMessage": null}});
        let stored = json!({"name": "p", "systemData": {"createdBy": "x"}, "properties": {"prefix": "8.8.8.0/24"}});
        assert!(same_properties(&stored, &listed));
        let keyed = json!({"properties": {"prefix": "8.8.8.0/24", "peeringServicePrefixKey": "k"}});
        assert!(
            !same_properties(&keyed, &listed),
            "a property added elsewhere is a change"
        );
        let validated =
            json!({"properties": {"prefix": "8.8.8.0/24", "prefixValidationState": "Verified"}});
        assert!(
            same_properties(&validated, &listed),
            "what the server moves is not a change"
        );
    }

    #[test]
    fn a_stored_resource_holds_what_was_written_and_more() {
        let stored = json!({"name": "a", "tags": {"env": "prod"},
            "properties": {"peeringServiceLocation": "Texas", "provisioningState": "Succeeded"}});
        assert!(holds(
            &stored,
            &json!({"properties": {"peeringServiceLocation": "Texas"}})
        ));
        assert!(holds(&stored, &json!({"tags": {"env": "prod"}})));
        assert!(!holds(&stored, &json!({"tags": {"env": "test"}})));
        assert!(!holds(&stored, &json!({"location": "West US 2"})));
        // Tags are replaced whole: a subset is not what was written.
        assert!(!holds(&stored, &json!({"tags": {}})));
        assert!(holds(&json!({"name": "a"}), &json!({"tags": {}})));
        let replay = Replay::Patch {
            id: "/x".into(),
            etag: "\"1\"".into(),
            body: json!({"tags": {}}),
        };
        let text = serde_json::to_string(&replay).unwrap();
        assert!(text.contains(r#""verb":"patch""#), "{text}");
        assert_eq!(serde_json::from_str::<Replay>(&text).unwrap(), replay);
    }
}

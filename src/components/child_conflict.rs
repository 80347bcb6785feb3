//! A prefix or monitor test that someone else changed between the list showing it and the
//! user confirming its delete: the conflict dialog shows their version beside the one shown,
//! field by field; the user keeps theirs (nothing is deleted) or deletes their version
//! (against its ETag, so a further change is caught the same way).

use crate::api::{self, ApiError, ErrorKind, Replay, Tagged};
use crate::components::conflict::{Choice, ConflictDialog, Side};
use crate::outbox::Outbox;
use crate::state::Session;
use leptos::prelude::*;
use peering_model::names::NameKind;
use peering_model::ResourceId;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// A delete held back because the item changed.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildConflict {
    pub id: ResourceId,
    pub kind: NameKind,
    pub name: String,
    /// The version the list showed.
    pub shown: Value,
    /// The version stored now, with its ETag.
    pub theirs: Tagged<Value>,
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The two versions' `properties` (and tags) member by member, in name order.
pub fn json_sides(theirs: &Value, shown: &Value) -> Vec<Side> {
    let props = |v: &Value| {
        v.get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (t, s) = (props(theirs), props(shown));
    let mut keys: Vec<&String> = t.keys().chain(s.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out: Vec<Side> = keys
        .into_iter()
        .map(|k| (k.clone(), text(t.get(k)), text(s.get(k))))
        .collect();
    let tags = |v: &Value| text(v.get("tags"));
    if tags(theirs).is_some() || tags(shown).is_some() {
        out.push(("tags".to_owned(), tags(theirs), tags(shown)));
    }
    out
}

/// The delete a list row's confirmation runs: `Ok` once deleted; if the item changed since
/// the list showed it, nothing is deleted, the dialog opens with both versions, and the
/// confirmation goes back to idle (an `Aborted` error, which it does not show).
pub async fn delete_or_compare<T: Serialize + DeserializeOwned + PartialEq>(
    s: &Session,
    id: &ResourceId,
    kind: NameKind,
    name: &str,
    shown: &T,
    state: RwSignal<Option<ChildConflict>>,
    outbox: Option<Outbox>,
) -> Result<(), ApiError> {
    let outcome = match api::delete_unless_changed(s, id, kind, name, shown).await {
        // No answer (or a 5xx, a 429): the outbox deletes it when it can, if it is still the
        // version shown then.
        Err(e) if e.is_transient() => {
            if let (Some(o), Ok(shown)) = (outbox, serde_json::to_value(shown)) {
                let write = Replay::DeleteIfUnchanged {
                    id: id.to_string(),
                    shown,
                };
                o.push(
                    format!("Delete the {} '{name}'", kind.noun_only()),
                    write,
                    &e,
                );
                return Ok(());
            }
            return Err(e);
        }
        other => other?,
    };
    match outcome {
        None => Ok(()),
        Some(theirs) => {
            state.try_set(Some(ChildConflict {
                id: id.clone(),
                kind,
                name: name.to_owned(),
                shown: serde_json::to_value(shown).unwrap_or_default(),
                theirs,
            }));
            Err(ApiError::new(
                ErrorKind::Aborted,
                "Conflict",
                "Shown in the conflict dialog.",
            ))
        }
    }
}

#[component]
pub fn ChildConflictDialog(
    state: RwSignal<Option<ChildConflict>>,
    /// Reloads the list (after either choice).
    on_done: Callback<()>,
) -> impl IntoView {
    let session = use_context::<Session>();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let choose = Callback::new(move |c: Choice| {
        let Some(conflict) = state.get_untracked() else {
            return;
        };
        match c {
            Choice::Cancel => state.set(None),
            Choice::KeepTheirs | Choice::Merge => {
                state.set(None);
                on_done.run(());
            }
            Choice::Overwrite => {
                let Some(s) = session.clone() else { return };
                let etag = conflict.theirs.etag.clone().unwrap_or_default();
                busy.set(true);
                error.set(None);
                leptos::task::spawn_local_scoped(async move {
                    match api::delete(&s, &conflict.id, &etag).await {
                        Ok(()) => {
                            state.set(None);
                            on_done.run(());
                        }
                        Err(e) if e.kind == ErrorKind::PreconditionFailed => {
                            if let Ok(now) = api::get::<Value>(&s, &conflict.id).await {
                                state.update(|c| {
                                    if let Some(c) = c {
                                        c.theirs = now;
                                    }
                                });
                            }
                            error.set(Some(e.message));
                        }
                        Err(e) => error.set(Some(e.message)),
                    }
                    busy.set(false);
                });
            }
        }
    });
    move || {
        state.get().map(|c| {
            let subject = format!("{} '{}'", c.kind.noun_only(), c.name);
            view! {
                <ConflictDialog subject=subject field="Property" sides=json_sides(&c.theirs.value, &c.shown)
                    yours="The version you chose to delete" overwrite="Delete their version"
                    busy=busy error=error on_choose=choose/>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sides_list_each_property_of_either_version() {
        let theirs =
            json!({"properties": {"prefix": "8.8.8.0/24", "peeringServicePrefixKey": "k2"}});
        let shown = json!({"properties": {"prefix": "8.8.8.0/24"}});
        assert_eq!(
            json_sides(&theirs, &shown),
            [
                ("peeringServicePrefixKey".into(), Some("k2".into()), None),
                (
                    "prefix".into(),
                    Some("8.8.8.0/24".into()),
                    Some("8.8.8.0/24".into())
                ),
            ]
        );
    }
}

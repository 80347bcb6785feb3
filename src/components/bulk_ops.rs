//! What a bulk action does to one row, against the server: the operations, their outcomes,
//! the changes they make to the list, and the shift-click range selection. Every write names
//! the version it changes (`If-Match`). A list item carries no ETag, so each row is read
//! first: a delete goes ahead only if the connection is still what the list showed (otherwise
//! the list is brought up to date and the row stays selected, with both versions to compare);
//! a tag change is applied to the current tags, so a change made elsewhere is kept.

use crate::api::{self, ApiError, ErrorKind, Replay};
use crate::components::connection_row::{Row, RowKey};
use crate::outbox::Outbox;
use crate::state::Session;
use peering_model::messages;
use peering_model::names::NameKind;
use peering_model::tags::check_tags;
use peering_model::targets::TAGS;
use peering_model::wire::PeeringService;
use peering_model::ResourceId;
use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub enum BulkOp {
    Delete,
    AddTag { key: String, value: String },
    RemoveTag { key: String },
}

impl BulkOp {
    pub(crate) fn progress(&self) -> String {
        match self {
            BulkOp::Delete => "Deleting".into(),
            BulkOp::AddTag { key, value } => format!("Adding tag {key}={value} to"),
            BulkOp::RemoveTag { key } => format!("Removing tag {key} from"),
        }
    }

    pub(crate) fn success(&self) -> &'static str {
        match self {
            BulkOp::Delete => "Deleted",
            BulkOp::AddTag { .. } => "Tag added",
            BulkOp::RemoveTag { .. } => "Tag removed",
        }
    }

    /// The tags of a connection after this change; `None` when there is nothing to change.
    pub fn retag(&self, tags: &BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
        let mut next = tags.clone();
        match self {
            BulkOp::Delete => return None,
            BulkOp::AddTag { key, value } => {
                next.insert(key.clone(), value.clone());
            }
            BulkOp::RemoveTag { key } => {
                next.remove(key);
            }
        }
        (next != *tags).then_some(next)
    }
}

/// What happened to one row.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Deleted (or found already deleted).
    Removed,
    /// Written; the row as it now is.
    Updated(Row),
    /// It was already so; nothing was sent.
    Unchanged,
    /// The write met no answer and waits in the outbox.
    Queued(String),
    /// The connection no longer exists; it leaves the list.
    Gone(String),
    /// Not written. `current` is the row as it now is, when it was found changed elsewhere.
    Failed {
        message: String,
        current: Option<Row>,
    },
}

impl Outcome {
    fn failed(message: String) -> Outcome {
        Outcome::Failed {
            message,
            current: None,
        }
    }

    pub(crate) fn succeeded(&self) -> bool {
        !matches!(self, Outcome::Failed { .. })
    }
}

/// A change to the list's rows that a bulk action made.
#[derive(Debug, Clone, PartialEq)]
pub enum RowChange {
    Removed(RowKey),
    Replaced(Box<Row>),
}

impl RowChange {
    /// The change applied to the list's rows in place.
    pub fn apply(self, rows: &mut Vec<Row>) {
        match self {
            RowChange::Removed(key) => rows.retain(|x| x.key() != key),
            RowChange::Replaced(row) => {
                let key = row.key();
                if let Some(x) = rows.iter_mut().find(|x| x.key() == key) {
                    *x = *row;
                }
            }
        }
    }
}

pub type OutcomeFuture = Pin<Box<dyn Future<Output = Outcome>>>;

/// What runs one row of a bulk action: against the server in the app ([`server_actions`]),
/// something else in a test.
#[derive(Clone)]
pub struct BulkActions(pub Arc<dyn Fn(BulkOp, Row) -> OutcomeFuture + Send + Sync>);

/// Bulk actions against the API of `session`.
pub fn server_actions(session: Session, outbox: Option<Outbox>) -> BulkActions {
    BulkActions(Arc::new(move |op, row| {
        let s = session.clone();
        Box::pin(async move { run_on_server(&s, outbox, &op, &row).await })
    }))
}

async fn run_on_server(s: &Session, outbox: Option<Outbox>, op: &BulkOp, row: &Row) -> Outcome {
    let id = ResourceId::from(s.service(&row.resource_group, &row.name));
    let current = match api::get::<PeeringService>(s, &id).await {
        Ok(c) => c,
        Err(e) if e.kind == ErrorKind::NotFound && *op == BulkOp::Delete => {
            return Outcome::Removed
        }
        Err(e) if e.kind == ErrorKind::NotFound => return Outcome::Gone(e.message),
        Err(e) => return Outcome::failed(e.message),
    };
    let Some(etag) = current.etag else {
        return Outcome::failed(api::no_etag(NameKind::Connection, &row.name).message);
    };
    let now = Row::from_wire(&current.value);
    let changed = |message: String| Outcome::Failed {
        message,
        current: Some(now.clone()),
    };
    if *op == BulkOp::Delete {
        let shown = Row {
            prefixes: None,
            ..row.clone()
        };
        if now != shown {
            return changed(format!(
                "{} The list now shows its current version; it is still selected.",
                messages::changed_elsewhere(NameKind::Connection, &row.name)
            ));
        }
        return match api::delete(s, &id, &etag).await {
            Ok(()) => Outcome::Removed,
            Err(e) if e.kind == ErrorKind::NotFound => Outcome::Removed,
            Err(e) if e.is_transient() && outbox.is_some() => {
                let write = Replay::Delete {
                    id: id.to_string(),
                    etag,
                };
                queue(
                    outbox,
                    format!("Delete connection '{}'", row.name),
                    write,
                    &e,
                )
            }
            Err(e) => Outcome::failed(e.message),
        };
    }
    let Some(tags) = op.retag(&now.tags) else {
        return Outcome::Unchanged;
    };
    if let Some(f) = check_tags(&tags).errors().next() {
        return Outcome::failed(f.message.clone());
    }
    match api::update_tags(s, &id, &tags, &etag).await {
        Ok(t) => Outcome::Updated(Row::from_wire(&t.value)),
        Err(e) if e.kind == ErrorKind::NotFound => Outcome::Gone(e.message),
        Err(e) if e.is_transient() && outbox.is_some() => {
            let body = serde_json::json!({ TAGS: tags });
            let write = Replay::Patch {
                id: id.to_string(),
                etag,
                body,
            };
            queue(
                outbox,
                format!("Change the tags of connection '{}'", row.name),
                write,
                &e,
            )
        }
        Err(e) => Outcome::failed(e.message),
    }
}

/// A row's write that met no answer (or a 5xx, a 429), handed to the outbox. (A read that
/// meets no answer leaves the row failed and selected: nothing was written, nothing is lost.)
fn queue(outbox: Option<Outbox>, label: String, write: Replay, e: &ApiError) -> Outcome {
    if let Some(o) = outbox {
        o.push(label, write, e);
    }
    Outcome::Queued(format!(
        "Not sent yet ({}); in the outbox, sent when the server answers",
        e.message
    ))
}

/// Shift-click: selects (or clears) every row from the last one clicked, `anchor`, to `pos`,
/// as the clicked one becomes; a plain click toggles one row. `keys` are the rows matching
/// the filter, in display order.
pub fn click_select(
    selected: &mut HashSet<RowKey>,
    keys: &[RowKey],
    anchor: Option<usize>,
    pos: usize,
    shift: bool,
) {
    let Some(key) = keys.get(pos) else { return };
    let on = !selected.contains(key);
    let (from, to) = match anchor {
        Some(a) if shift && a < keys.len() => (a.min(pos), a.max(pos)),
        _ => (pos, pos),
    };
    for k in &keys[from..=to] {
        if on {
            selected.insert(k.clone());
        } else {
            selected.remove(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: usize) -> Vec<RowKey> {
        (0..n).map(|i| ("rg".into(), format!("c{i}"))).collect()
    }

    #[test]
    fn shift_click_selects_or_clears_the_range_from_the_last_click() {
        let k = keys(10);
        let mut s = HashSet::new();
        click_select(&mut s, &k, None, 2, false);
        click_select(&mut s, &k, Some(2), 6, true);
        let mut got: Vec<_> = s.iter().map(|(_, n)| n.clone()).collect();
        got.sort();
        assert_eq!(got, ["c2", "c3", "c4", "c5", "c6"]);
        // Upwards, clearing (the clicked row was selected).
        click_select(&mut s, &k, Some(6), 4, true);
        let mut got: Vec<_> = s.iter().map(|(_, n)| n.clone()).collect();
        got.sort();
        assert_eq!(got, ["c2", "c3"]);
        // A plain click toggles one; an anchor beyond the rows (they shrank) is ignored.
        click_select(&mut s, &k, Some(40), 9, true);
        assert!(s.contains(&k[9]) && s.len() == 3);
    }

    #[test]
    fn retag_adds_replaces_removes_and_says_when_nothing_changes() {
        let tags = BTreeMap::from([("env".to_owned(), "prod".to_owned())]);
        let add = |k: &str, v: &str| BulkOp::AddTag {
            key: k.into(),
            value: v.into(),
        };
        assert_eq!(add("env", "prod").retag(&tags), None);
        assert_eq!(
            add("env", "test").retag(&tags),
            Some(BTreeMap::from([("env".into(), "test".into())]))
        );
        assert_eq!(add("team", "").retag(&tags).map(|t| t.len()), Some(2));
        let rm = |k: &str| BulkOp::RemoveTag { key: k.into() };
        assert_eq!(rm("team").retag(&tags), None);
        assert_eq!(rm("env").retag(&tags), Some(BTreeMap::new()));
        assert_eq!(BulkOp::Delete.retag(&tags), None);
    }
}

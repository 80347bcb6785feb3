//! `peeringServices/{name}/prefixes`: create/update, and what a prefix is for the shared read,
//! delete and list of [`crate::children`] (with `$expand=events`).
//!
//! A prefix's value is checked by `peering-model` (IPv4, canonical, public), its key must be
//! a GUID, its value cannot change once stored, and it must not overlap any other prefix of
//! the subscription. The overlap check reads the stored prefixes that can overlap the
//! candidate through the `(subscription, prefix_addr)` index inside the write transaction and
//! hands them to the model as a small `PrefixIndex`, which decides what conflicts and how it
//! is reported, as it does in the browser; the one writer connection serialises writers, so
//! two overlapping PUTs can never both pass.
//!
//! Events come only from route telemetry stored in `prefix_events`; none is made up, so a
//! prefix without telemetry has `"events": []` with `$expand=events`.

use crate::arm::{json_body, ApiVersion, ServicePath};
use crate::children::{self, Child, ChildMeta};
use crate::error::{ApiError, ApiResult};
use crate::{now_rfc3339, Caller, Ctx};
use axum::response::Response;
use peering_model::index::{validate_batch_into, PrefixIndex, PrefixRow as ImportRow};
use peering_model::names::NameKind;
use peering_model::prefix::{
    check_prefix_key, check_prefix_value, immutable_finding, ExistingPrefix, Ipv4Prefix,
};
use peering_model::wire::{PeeringServicePrefix, PrefixEvent, PrefixProperties, PREFIX_TYPE};
use peering_model::Finding;
use rusqlite::{params, Row, Transaction};
use std::collections::HashMap;

/// The validation state of a new prefix: there is no route telemetry yet to decide it.
pub const INITIAL_STATE: &str = "Pending";
pub const INITIAL_LEARNED_TYPE: &str = "None";

/// A stored prefix with its events.
#[derive(Debug, Clone)]
pub struct PrefixRow {
    pub meta: ChildMeta,
    pub prefix: String,
    pub key: Option<String>,
    pub validation_state: String,
    pub learned_type: String,
    pub error_message: Option<String>,
    pub events: Vec<PrefixEvent>,
}

impl Child for PrefixRow {
    const TABLE: &'static str = "prefixes";
    const SEGMENT: &'static str = "prefixes";
    const NAME_KIND: NameKind = NameKind::Prefix;
    const COLUMNS: &'static str =
        "c.prefix, c.prefix_key, c.validation_state, c.learned_type, c.error_message";

    type Wire = PeeringServicePrefix;

    fn from_row(meta: ChildMeta, r: &Row<'_>, i: usize) -> rusqlite::Result<Self> {
        Ok(PrefixRow {
            meta,
            prefix: r.get(i)?,
            key: r.get(i + 1)?,
            validation_state: r.get(i + 2)?,
            learned_type: r.get(i + 3)?,
            error_message: r.get(i + 4)?,
            events: Vec::new(),
        })
    }

    fn meta(&self) -> &ChildMeta {
        &self.meta
    }

    fn load_related(&mut self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let m = &self.meta;
        let mut st = tx.prepare_cached(
            "SELECT event_timestamp, event_type, event_summary, event_level, event_description FROM prefix_events
             WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND prefix_key = ?4 ORDER BY seq",
        )?;
        self.events = st
            .query_map(
                params![m.subscription, m.rg_key, m.service_key, m.name_key],
                |r| {
                    Ok(PrefixEvent {
                        event_timestamp: r.get(0)?,
                        event_type: r.get(1)?,
                        event_summary: r.get(2)?,
                        event_level: r.get(3)?,
                        event_description: r.get(4)?,
                    })
                },
            )?
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    fn expand(query: &HashMap<String, String>) -> ApiResult<bool> {
        match query.get("$expand").map(|s| s.trim()) {
            None | Some("") => Ok(false),
            Some(e) if e.eq_ignore_ascii_case("events") => Ok(true),
            Some(e) => Err(ApiError::bad_request(
                "InvalidParameter",
                format!(
                    "$expand='{e}' is not supported; the only expansion of a prefix is 'events'."
                ),
            )
            .with_target("$expand")),
        }
    }

    /// `expand`: with the events (`$expand=events`), an empty list when there are none.
    fn to_wire(&self, v: ApiVersion, expand: bool) -> PeeringServicePrefix {
        PeeringServicePrefix {
            id: Some(self.meta.id(Self::SEGMENT)),
            name: Some(self.meta.name.clone()),
            kind: Some(PREFIX_TYPE.to_owned()),
            properties: Some(PrefixProperties {
                prefix: Some(self.prefix.clone()),
                prefix_validation_state: Some(self.validation_state.clone()),
                learned_type: Some(self.learned_type.clone()),
                error_message: self.error_message.clone(),
                peering_service_prefix_key: self.key.clone(),
                events: expand.then(|| self.events.clone()),
                provisioning_state: Some("Succeeded".to_owned()),
            }),
            system_data: self.meta.system_data(v),
        }
    }
}

/// The stored prefixes of subscription `sub` that can overlap `candidate`, as a small
/// [`PrefixIndex`] for the model to judge.
///
/// This is only a prefilter: which stored prefixes conflict, in which order, how many are
/// listed and with which words is decided by the model on this index, exactly as the browser
/// decides it on its index of the whole subscription. That is sound because the model's
/// verdict on a candidate depends only on the stored prefixes that overlap it, and this
/// returns every one of them (a superset would do as well; the model skips the rest).
///
/// Two CIDR prefixes overlap exactly when one contains the other, so the overlapping ones are
/// (a) those whose first address lies inside the candidate (one index range; it also holds the
/// containers that start where the candidate starts) and (b) those that contain the candidate
/// and start before it: for each shorter length there is only one such value, so these are at
/// most 32 index lookups. No scan of the subscription's prefixes.
fn overlapping(
    tx: &Transaction<'_>,
    sub: &str,
    candidate: Ipv4Prefix,
) -> rusqlite::Result<PrefixIndex> {
    let columns = "SELECT p.prefix, s.resource_group, s.name, p.name
         FROM prefixes p JOIN peering_services s ON s.subscription = p.subscription AND s.rg_key = p.rg_key AND s.name_key = p.service_key";
    // Stored values were parsed before they were written; an unreadable one is skipped rather
    // than blocking every write of the subscription.
    let map = |r: &Row<'_>| -> rusqlite::Result<Option<ExistingPrefix>> {
        let Ok(prefix) = Ipv4Prefix::parse(&r.get::<_, String>(0)?) else {
            return Ok(None);
        };
        Ok(Some(ExistingPrefix {
            prefix,
            resource_group: r.get(1)?,
            connection: r.get(2)?,
            name: r.get(3)?,
        }))
    };
    let mut found = Vec::new();
    {
        let mut st = tx.prepare_cached(&format!(
            "{columns} WHERE p.subscription = ?1 AND p.prefix_addr BETWEEN ?2 AND ?3"
        ))?;
        for r in st.query_map(params![sub, candidate.addr(), candidate.last()], map)? {
            found.extend(r?);
        }
    }
    {
        let mut st = tx.prepare_cached(&format!(
            "{columns} WHERE p.subscription = ?1 AND p.prefix_addr = ?2 AND p.prefix_len = ?3"
        ))?;
        for len in (0..candidate.len()).rev() {
            let container = Ipv4Prefix::new_truncating(candidate.addr(), len);
            if container.addr() == candidate.addr() {
                continue; // found by the range above
            }
            for r in st.query_map(params![sub, container.addr(), container.len()], map)? {
                found.extend(r?);
            }
        }
    }
    Ok(found.into_iter().collect())
}

/// The overlap errors of putting prefix `name` = `value` (key `key`) into the connection of
/// `p`: the findings the browser's import preview shows for that row
/// ([`validate_batch_into`] on the subscription's index), computed on the candidates of
/// [`overlapping`]. So the order, the wording, the cap of
/// [`peering_model::index::MAX_LISTED_CONFLICTS`] listed conflicts with a count of the rest,
/// and that the prefix does not overlap itself, all come from the model.
///
/// Called after the value, key and immutability checks passed, so a stored prefix of that
/// name, if any, has this value: it is then among the candidates, and the model recognises it
/// as the resource being written rather than as a conflict.
fn overlap_errors(
    tx: &Transaction<'_>,
    p: &ServicePath,
    name: &str,
    value: &str,
    key: Option<&str>,
    candidate: Ipv4Prefix,
) -> rusqlite::Result<Vec<Finding>> {
    let index = overlapping(tx, &p.sub, candidate)?;
    let row = ImportRow {
        name: name.to_owned(),
        prefix: value.to_owned(),
        key: key.map(str::to_owned),
    };
    Ok(
        validate_batch_into(&index, &p.rg, &p.name, std::slice::from_ref(&row))
            .into_iter()
            .flat_map(|r| r.findings.0)
            .filter(Finding::is_error)
            .collect(),
    )
}

pub async fn put(ctx: Ctx, caller: Caller, p: ServicePath, name: String) -> ApiResult<Response> {
    children::check_child_path::<PrefixRow>(&p, &name)?;
    let body: PeeringServicePrefix =
        json_body(&ctx.headers, &ctx.body, &["", "properties", "systemData"])?;
    let props = body.properties.unwrap_or_default();
    let value = props.prefix.unwrap_or_default();
    let (candidate, mut findings) = check_prefix_value(&value);
    if let Some(f) = check_prefix_key(props.peering_service_prefix_key.as_deref()) {
        findings.push(f);
    }
    let candidate = match candidate {
        Some(c) if !findings.has_errors() => c,
        _ => return Err(ApiError::findings(&findings)),
    };
    let key = props.peering_service_prefix_key.filter(|k| !k.is_empty());
    let now = now_rfc3339();
    children::put(ctx, p, name, move |tx, p, name, existing: Option<&PrefixRow>| {
        if let Some(e) = existing {
            match Ipv4Prefix::parse(&e.prefix) {
                Ok(stored) if stored == candidate => {}
                Ok(stored) => return Err(ApiError::conflict_findings(&[immutable_finding(&e.meta.name, stored, candidate)])),
                // A stored value that no longer parses is named as it is stored.
                Err(_) => return Err(ApiError::conflict_findings(&[immutable_finding(&e.meta.name, &e.prefix, candidate)])),
            }
        }
        let conflicts = overlap_errors(tx, p, name, &value, key.as_deref(), candidate)?;
        if !conflicts.is_empty() {
            return Err(ApiError::conflict_findings(&conflicts));
        }
        let (rg_key, service_key, name_key) = (p.rg_key(), p.name_key(), name.to_ascii_lowercase());
        match existing {
            None => {
                tx.prepare_cached(
                    "INSERT INTO prefixes (subscription, rg_key, service_key, name_key, name, prefix, prefix_addr, prefix_len, prefix_key,
                         validation_state, learned_type, error_message, created_at, modified_at, created_by, modified_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, ?12, ?12, ?13, ?13)",
                )?
                .execute(params![
                    p.sub, rg_key, service_key, name_key, name, candidate.to_string(), candidate.addr(), candidate.len(), key,
                    INITIAL_STATE, INITIAL_LEARNED_TYPE, now, caller.id
                ])?;
            }
            Some(e) => {
                // A new key means the provider's registration must be checked again.
                let key_changed = e.key.as_deref().map(str::to_ascii_lowercase) != key.as_deref().map(str::to_ascii_lowercase);
                tx.prepare_cached(
                    "UPDATE prefixes SET prefix_key = ?5, modified_at = ?6, modified_by = ?7,
                         validation_state = CASE WHEN ?8 THEN ?9 ELSE validation_state END,
                         learned_type = CASE WHEN ?8 THEN ?10 ELSE learned_type END,
                         error_message = CASE WHEN ?8 THEN NULL ELSE error_message END
                     WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND name_key = ?4",
                )?
                .execute(params![
                    p.sub, rg_key, service_key, name_key, key, now, caller.id, key_changed, INITIAL_STATE, INITIAL_LEARNED_TYPE
                ])?;
            }
        }
        Ok(())
    })
    .await
}

//! `peeringServices/{name}/prefixes`: what a prefix PUT checks and writes, and `$expand`.
//!
//! A prefix's value is checked by `peering-model` (IPv4, canonical, public), its key must be
//! a GUID, its value cannot change once stored, and it must not overlap any other prefix of
//! the subscription. The store hands the decision every stored prefix that can overlap the
//! candidate, read inside the write transaction; the model decides what conflicts and how it
//! is reported, as it does in the browser. The store serialises writers (SQLite: one writer
//! connection), so two overlapping PUTs can never both pass.
//!
//! Events come only from route telemetry; none is made up, so a prefix without telemetry has
//! `"events": []` with `$expand=events`.

use crate::error::{ApiError, ApiResult};
use crate::http::request::{json_body, Ctx};
use crate::store::{ChildRecord, ChildWrite, DecideChild};
use peering_model::index::{validate_batch_into, PrefixIndex, PrefixRow};
use peering_model::prefix::{check_prefix_key, check_prefix_value, immutable_finding, Ipv4Prefix};
use peering_model::wire::{LearnedType, PeeringServicePrefix, PrefixValidationState};
use peering_model::{targets, Finding, ServiceId};
use std::collections::HashMap;

/// The validation state of a new prefix (or one whose key changed): there is no route
/// telemetry yet to decide it.
pub(crate) const INITIAL_STATE: (PrefixValidationState, LearnedType) =
    (PrefixValidationState::Pending, LearnedType::None);

pub(crate) fn expand(query: &HashMap<String, String>) -> ApiResult<bool> {
    match query.get(targets::EXPAND).map(|s| s.trim()) {
        None | Some("") => Ok(false),
        Some(e) if e.eq_ignore_ascii_case("events") => Ok(true),
        Some(e) => Err(ApiError::bad_request(
            "InvalidParameter",
            format!("$expand='{e}' is not supported; the only expansion of a prefix is 'events'."),
        )
        .with_target(targets::EXPAND)),
    }
}

/// Checks the body, then returns the prefix whose overlapping stored prefixes the decision
/// needs, and the decision itself.
pub(crate) fn decide(
    ctx: &Ctx,
    p: &ServiceId,
    name: &str,
) -> ApiResult<(Option<Ipv4Prefix>, DecideChild)> {
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
    let (rg, conn, name) = (p.resource_group.clone(), p.name.clone(), name.to_owned());
    let decide: DecideChild = Box::new(move |existing, overlapping| {
        let existing = match existing {
            None => None,
            Some(ChildRecord::Prefix(e)) => Some(e),
            Some(other) => {
                return Err(ApiError::internal(format!(
                    "a prefix read as {:?}",
                    other.meta().name
                )))
            }
        };
        if let Some(e) = &existing {
            match Ipv4Prefix::parse(&e.prefix) {
                Ok(stored) if stored == candidate => {}
                Ok(stored) => {
                    return Err(ApiError::conflict_findings(&[immutable_finding(
                        &e.meta.name,
                        stored,
                        candidate,
                    )]))
                }
                // A stored value that no longer parses is named as it is stored.
                Err(_) => {
                    return Err(ApiError::conflict_findings(&[immutable_finding(
                        &e.meta.name,
                        &e.prefix,
                        candidate,
                    )]))
                }
            }
        }
        // The findings the browser's import preview shows for this row, on the candidates
        // the store found: the order, the wording, the cap of listed conflicts and that the
        // prefix does not overlap itself all come from the model. A stored prefix of this
        // name (checked above to have this value) is among the candidates, and the model
        // recognises it as the resource being written rather than a conflict.
        let index: PrefixIndex = overlapping.into_iter().collect();
        let row = PrefixRow {
            name: name.clone(),
            prefix: value.clone(),
            key: key.clone(),
        };
        let conflicts: Vec<Finding> =
            validate_batch_into(&index, &rg, &conn, std::slice::from_ref(&row))
                .into_iter()
                .flat_map(|r| r.findings.0)
                .filter(Finding::is_error)
                .collect();
        if !conflicts.is_empty() {
            return Err(ApiError::conflict_findings(&conflicts));
        }
        // A new key means the provider's registration must be checked again.
        let reset_state = match &existing {
            None => Some(INITIAL_STATE),
            Some(e) => {
                let lower = |k: &Option<String>| k.as_deref().map(str::to_ascii_lowercase);
                (lower(&e.key) != lower(&key)).then_some(INITIAL_STATE)
            }
        };
        Ok(ChildWrite::Prefix {
            name,
            prefix: candidate,
            key,
            reset_state,
        })
    });
    Ok((Some(candidate), decide))
}

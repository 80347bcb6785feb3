//! `peeringServices/{name}/alertRules` (an extension): what a rule PUT checks and writes. The
//! rule's fields are checked by `peering_model::alerts::validate_rule`, as the console checks
//! them; a stored rule is evaluated with every change of its connection's telemetry.

use crate::error::{ApiError, ApiResult};
use crate::http::request::{json_body, Ctx};
use crate::store::{ChildWrite, DecideChild};
use peering_model::alerts::{validate_rule, AlertRule};
use peering_model::prefix::Ipv4Prefix;

pub(crate) fn decide(ctx: &Ctx, name: &str) -> ApiResult<(Option<Ipv4Prefix>, DecideChild)> {
    let body: AlertRule = json_body(&ctx.headers, &ctx.body, &["", "properties", "systemData"])?;
    let (condition, findings) = validate_rule(&body.properties.unwrap_or_default());
    let Some(condition) = condition.filter(|_| !findings.has_errors()) else {
        return Err(ApiError::findings(&findings));
    };
    let write = ChildWrite::AlertRule {
        name: name.to_owned(),
        condition,
    };
    Ok((None, Box::new(move |_, _| Ok(write))))
}

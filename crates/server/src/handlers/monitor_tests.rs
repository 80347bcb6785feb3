//! `peeringServices/{name}/connectionMonitorTests`: what a test PUT checks and writes.

use crate::error::{ApiError, ApiResult};
use crate::http::request::{json_body, Ctx};
use crate::store::{ChildWrite, DecideChild};
use peering_model::monitor_test::{validate_monitor_test, MonitorTestDraft};
use peering_model::prefix::Ipv4Prefix;
use peering_model::wire::ConnectionMonitorTest;

pub(crate) fn decide(ctx: &Ctx, name: &str) -> ApiResult<(Option<Ipv4Prefix>, DecideChild)> {
    let body: ConnectionMonitorTest =
        json_body(&ctx.headers, &ctx.body, &["", "properties", "systemData"])?;
    let draft = MonitorTestDraft::from(&body);
    let findings = validate_monitor_test(&draft);
    if findings.has_errors() {
        return Err(ApiError::findings(&findings));
    }
    // Checked: both are in range, so they fit an i32.
    let port = draft.destination_port.and_then(|v| i32::try_from(v).ok());
    let freq = draft
        .test_frequency_in_sec
        .and_then(|v| i32::try_from(v).ok());
    let (Some(destination_port), Some(frequency_sec)) = (port, freq) else {
        return Err(ApiError::internal(
            "a checked monitor test does not fit i32",
        ));
    };
    let name = name.to_owned();
    let write = ChildWrite::MonitorTest {
        name,
        source_agent: draft.source_agent,
        destination: draft.destination,
        destination_port,
        frequency_sec,
    };
    Ok((None, Box::new(move |_, _| Ok(write))))
}

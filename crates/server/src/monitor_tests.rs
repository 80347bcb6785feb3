//! `peeringServices/{name}/connectionMonitorTests`: create/replace, and what a test is for the
//! shared read, delete and list of [`crate::children`].
//! Tests are stored as written; no agent runs them yet, so `isTestSuccessful` is false and
//! `path` is empty.

use crate::arm::{json_body, ApiVersion, ServicePath};
use crate::children::{self, Child, ChildMeta};
use crate::error::{ApiError, ApiResult};
use crate::{now_rfc3339, Caller, Ctx};
use axum::response::Response;
use peering_model::connection::{validate_monitor_test, MonitorTestDraft};
use peering_model::names::NameKind;
use peering_model::wire::{
    ConnectionMonitorTest, ConnectionMonitorTestProperties, MONITOR_TEST_TYPE,
};
use rusqlite::{params, Row};

#[derive(Debug, Clone)]
pub struct MonitorTestRow {
    pub meta: ChildMeta,
    pub source_agent: String,
    pub destination: String,
    pub destination_port: i32,
    pub frequency_sec: i32,
}

impl Child for MonitorTestRow {
    const TABLE: &'static str = "monitor_tests";
    const SEGMENT: &'static str = "connectionMonitorTests";
    const NAME_KIND: NameKind = NameKind::MonitorTest;
    const COLUMNS: &'static str =
        "c.source_agent, c.destination, c.destination_port, c.frequency_sec";

    type Wire = ConnectionMonitorTest;

    fn from_row(meta: ChildMeta, r: &Row<'_>, i: usize) -> rusqlite::Result<Self> {
        Ok(MonitorTestRow {
            meta,
            source_agent: r.get(i)?,
            destination: r.get(i + 1)?,
            destination_port: r.get(i + 2)?,
            frequency_sec: r.get(i + 3)?,
        })
    }

    fn meta(&self) -> &ChildMeta {
        &self.meta
    }

    /// A monitor test has no expansion.
    fn to_wire(&self, v: ApiVersion, _expand: bool) -> ConnectionMonitorTest {
        ConnectionMonitorTest {
            id: Some(self.meta.id(Self::SEGMENT)),
            name: Some(self.meta.name.clone()),
            kind: Some(MONITOR_TEST_TYPE.to_owned()),
            properties: Some(ConnectionMonitorTestProperties {
                source_agent: Some(self.source_agent.clone()),
                destination: Some(self.destination.clone()),
                destination_port: Some(self.destination_port),
                test_frequency_in_sec: Some(self.frequency_sec),
                is_test_successful: Some(false),
                path: Some(Vec::new()),
                provisioning_state: Some("Succeeded".to_owned()),
            }),
            system_data: self.meta.system_data(v),
        }
    }
}

pub async fn put(ctx: Ctx, caller: Caller, p: ServicePath, name: String) -> ApiResult<Response> {
    children::check_child_path::<MonitorTestRow>(&p, &name)?;
    let body: ConnectionMonitorTest =
        json_body(&ctx.headers, &ctx.body, &["", "properties", "systemData"])?;
    let props = body.properties.unwrap_or_default();
    let draft = MonitorTestDraft {
        source_agent: props.source_agent.unwrap_or_default(),
        destination: props.destination.unwrap_or_default(),
        destination_port: props.destination_port.map(i64::from),
        test_frequency_in_sec: props.test_frequency_in_sec.map(i64::from),
    };
    let findings = validate_monitor_test(&draft);
    if findings.has_errors() {
        return Err(ApiError::findings(&findings));
    }
    let now = now_rfc3339();
    children::put(ctx, p, name, move |tx, p, name, _: Option<&MonitorTestRow>| {
        tx.prepare_cached(
            "INSERT INTO monitor_tests (subscription, rg_key, service_key, name_key, name, source_agent, destination, destination_port, frequency_sec,
                 created_at, modified_at, created_by, modified_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?11)
             ON CONFLICT (subscription, rg_key, service_key, name_key) DO UPDATE SET
                 source_agent = excluded.source_agent, destination = excluded.destination,
                 destination_port = excluded.destination_port, frequency_sec = excluded.frequency_sec,
                 modified_at = excluded.modified_at, modified_by = excluded.modified_by",
        )?
        .execute(params![
            p.sub, p.rg_key(), p.name_key(), name.to_ascii_lowercase(), name, draft.source_agent, draft.destination,
            draft.destination_port, draft.test_frequency_in_sec, now, caller.id
        ])?;
        Ok(())
    })
    .await
}

//! The records of the activity log: what the dispatcher knows of a write before it runs
//! ([`Activity`]), what a read asks for ([`ActivityQuery`]) and what is stored
//! ([`ActivityRow`]).

use super::Author;
use peering_model::activity::{ChangeType, Operation, Outcome};

/// A write as the dispatcher sees it before it runs: who, what, on which resource, from
/// where. A store write records it, with its outcome and the resource's representation
/// before and after, in the write's own transaction; a refused write is recorded on its own.
#[derive(Debug, Clone)]
pub struct Activity {
    /// A fresh GUID (`eventDataId`).
    pub event_id: String,
    /// When, in Unix milliseconds.
    pub at_ms: i64,
    pub subscription: String,
    pub resource_id: String,
    pub resource_group: Option<String>,
    pub operation: Operation,
    pub method: String,
    pub caller: String,
    /// `User` or `Application`.
    pub caller_type: &'static str,
    pub request_id: String,
    pub correlation_id: String,
    pub client_request_id: Option<String>,
    pub client_ip: Option<String>,
}

/// Unix milliseconds as RFC 3339 with milliseconds, UTC.
pub fn rfc3339_ms(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        ms.rem_euclid(1000)
    )
}

impl Activity {
    /// Who writes and when, as the resource's `systemData` names them: the record's author
    /// at the record's moment.
    pub fn author(&self) -> Author {
        Author {
            id: self.caller.clone(),
            kind: self.caller_type,
            at: rfc3339_ms(self.at_ms),
        }
    }
}

/// How a write ended, with the representations (JSON text) before and after.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub status: Outcome,
    pub http_status: u16,
    /// A refused write's error code and message.
    pub error: Option<(String, String)>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A stored record.
#[derive(Debug, Clone)]
pub struct ActivityRow {
    pub id: i64,
    pub activity: Activity,
    pub status: Outcome,
    pub http_status: u16,
    pub sub_status: Option<String>,
    pub message: Option<String>,
    pub change_type: Option<ChangeType>,
    /// Only when the read asked for them.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Which records a read wants, newest first.
#[derive(Debug, Clone, Default)]
pub struct ActivityQuery {
    pub subscription: String,
    /// Inclusive bounds, Unix milliseconds.
    pub from_ms: i64,
    pub to_ms: i64,
    pub caller: Option<String>,
    /// The resource group in lower case.
    pub rg_key: Option<String>,
    pub operation: Option<Operation>,
    pub status: Option<Outcome>,
    pub correlation_id: Option<String>,
    /// A resource id in lower case, and whether the resources under it are wanted too.
    pub resource: Option<(String, bool)>,
    /// The (at_ms, id) of the last record of the previous page.
    pub after: Option<(i64, i64)>,
    pub limit: usize,
    /// Whether the snapshots are read (to tell what changed, field by field).
    pub with_changes: bool,
}

//! The records of a connection's children (prefixes, monitor tests, alert rules) and what a
//! write of one stores.

use peering_model::prefix::Ipv4Prefix;
use peering_model::wire::{LearnedType, PrefixEvent, PrefixValidationState};
use peering_model::ServiceId;

/// Where a child lives and who made it, with the casing of its connection and resource group.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildMeta {
    pub subscription: String,
    pub rg_key: String,
    pub service_key: String,
    pub name_key: String,
    pub resource_group: String,
    pub connection: String,
    pub name: String,
    pub created_at: String,
    pub created_by: String,
    /// `User`, `Application`, or `Key` (written before people signed in).
    pub created_by_type: String,
    pub modified_at: String,
    pub modified_by: String,
    pub modified_by_type: String,
}

impl ChildMeta {
    /// The connection it belongs to, as stored.
    pub fn parent(&self) -> ServiceId {
        ServiceId::new(&self.subscription, &self.resource_group, &self.connection)
    }
}

/// The most events of one prefix a read returns (the newest): a prefix's history grows
/// without end, an answer must not.
pub const MAX_EVENTS: usize = 100;

/// A stored prefix with its newest [`MAX_EVENTS`] events (left empty in a list that does not
/// expand them).
#[derive(Debug, Clone, PartialEq)]
pub struct PrefixRecord {
    pub meta: ChildMeta,
    pub prefix: String,
    pub key: Option<String>,
    pub validation_state: PrefixValidationState,
    pub learned_type: LearnedType,
    pub error_message: Option<String>,
    pub events: Vec<PrefixEvent>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonitorTestRecord {
    pub meta: ChildMeta,
    pub source_agent: String,
    pub destination: String,
    pub destination_port: i32,
    pub frequency_sec: i32,
    /// The newest result a collector reported; None before the first.
    pub last: Option<LastResult>,
}

/// The newest run of a monitor test.
#[derive(Debug, Clone, PartialEq)]
pub struct LastResult {
    pub at: String,
    pub success: bool,
    pub hops: Vec<String>,
}

/// A stored alert rule: its checked condition.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRuleRecord {
    pub meta: ChildMeta,
    pub condition: peering_model::alerts::Condition,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChildRecord {
    Prefix(PrefixRecord),
    MonitorTest(MonitorTestRecord),
    AlertRule(AlertRuleRecord),
}

impl ChildRecord {
    pub fn meta(&self) -> &ChildMeta {
        match self {
            ChildRecord::Prefix(p) => &p.meta,
            ChildRecord::MonitorTest(t) => &t.meta,
            ChildRecord::AlertRule(r) => &r.meta,
        }
    }
}

/// What a write of a child stores: the child's own fields, with who writes and when.
#[derive(Debug, Clone)]
pub enum ChildWrite {
    Prefix {
        name: String,
        prefix: Ipv4Prefix,
        key: Option<String>,
        /// Set on create, and when a new key means the provider's registration must be
        /// checked again; `None` keeps the stored state.
        reset_state: Option<(PrefixValidationState, LearnedType)>,
    },
    MonitorTest {
        name: String,
        source_agent: String,
        destination: String,
        destination_port: i32,
        frequency_sec: i32,
    },
    AlertRule {
        name: String,
        condition: peering_model::alerts::Condition,
    },
}

//! The storage layer: what the handlers need from a database, as one trait, [`Store`].
//!
//! Handlers never write SQL; they call these operations. Each operation is one transaction:
//! a write loads what it must decide on, hands it to the caller's `decide` closure (pure: the
//! model's rules, preconditions, the new record) and writes what that returns, all before it
//! commits, so what is checked is what is written and nothing is half-written. A backend
//! depends on the records below, the model and [`crate::error`], never on a handler: the
//! closures are how the decision comes in. A second backend implements this trait and plugs in
//! at [`crate::AppState::store`] without a handler changing. Both backends run one body of
//! logic, [`sql`], over [`sql::db`].
//!
//! Keys: names are unique case-insensitively. `rg_key` is the resource group in lower case
//! (Unicode), a connection's or child's `*_key` its name in ASCII lower case; the records keep
//! the casing first used.

mod activity;
mod children;
mod pool;
#[cfg(feature = "test-util")]
pub use pool::Hold;
pub mod postgres;
pub mod sql;
pub mod sqlite;
mod telemetry;

pub use children::{
    AlertRuleRecord, ChildMeta, ChildRecord, ChildWrite, LastResult, MonitorTestRecord,
    PrefixRecord, MAX_EVENTS,
};

pub use activity::{rfc3339_ms, Activity, ActivityQuery, ActivityRow, Recorded};

pub use telemetry::{
    Attempt, DueDelivery, IngestReport, LatencyRow, MonitorRun, Observed, RegisteredKey,
};

use crate::error::ApiResult;
use peering_model::prefix::{ExistingPrefix, Ipv4Prefix};
use peering_model::wire::{PrefixEvent, PrefixValidationState};
use peering_model::{ChildKind, ServiceId};
use std::future::Future;
use std::pin::Pin;

/// What every store operation returns: a future that may be sent between threads.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = ApiResult<T>> + Send + 'a>>;

/// A stored connection. `tags` and `sku` hold the JSON text they were stored as.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRecord {
    pub subscription: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub tags: Option<String>,
    pub sku: Option<String>,
    pub peering_service_location: String,
    pub provider: String,
    pub primary: String,
    pub backup: Option<String>,
    pub created_at: String,
    pub created_by: String,
    /// `User`, `Application`, or `Key` (written before people signed in).
    pub created_by_type: String,
    pub modified_at: String,
    pub modified_by: String,
    pub modified_by_type: String,
    /// The agents that reported monitor test results (a JSON array of strings as stored);
    /// kept by the store, never written by a connection PUT.
    pub connected_agents: Option<String>,
}

/// A connection's representation, stored with it and written in the same transaction, so a
/// read copies bytes instead of serialising columns. Made by [`crate::repr::service`]; to the
/// store it is opaque text.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRepr {
    /// The JSON object without its closing brace: the same for every api-version.
    pub body: String,
    /// `,"systemData":{...}`, added for 2025-05-01.
    pub system_data: String,
    /// The hash of the fullest representation.
    pub etag: String,
}

/// A stored connection with the ETag of its stored representation (what a GET sends, so what
/// a client's `If-Match` names).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredService {
    pub record: ServiceRecord,
    pub etag: String,
}

/// What a connection write stores. `changed: false` writes nothing (a PATCH without tags).
pub struct ServiceWrite {
    pub record: ServiceRecord,
    pub repr: StoredRepr,
    pub changed: bool,
}

/// Makes the representation of a record; given to the store when it opens, to rewrite stored
/// representations of an older format.
pub type Render = fn(&ServiceRecord) -> Result<StoredRepr, String>;

/// Which connections a list wants, after which key, and how much.
#[derive(Debug, Clone)]
pub struct ServiceListQuery {
    pub subscription: String,
    /// `None`: the whole subscription, in (resource group, name) order.
    pub resource_group: Option<String>,
    /// The key (rg_key, name_key) of the last item of the previous page.
    pub after: Option<(String, String)>,
    pub limit: usize,
    /// A page stops early once its items hold this many bytes, so a page of large
    /// connections (50 tags each) never builds more than a few MB.
    pub max_bytes: usize,
}

/// One page of connections: the items' stored `body` and `system_data` one after the other in
/// one buffer (one allocation per page, not two per item), each item as the two ranges of its
/// parts, and the key after which the next page starts, if there is one.
pub struct ServicePage {
    /// As stored (JSON text the server wrote; sent as it is, not re-checked as UTF-8).
    pub text: Vec<u8>,
    pub items: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>,
    pub next: Option<(String, String)>,
}

impl ServicePage {
    /// Each item's `(body, system_data)`.
    pub fn items(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.items
            .iter()
            .map(|(b, s)| (&self.text[b.clone()], &self.text[s.clone()]))
    }
}

/// One connection's prefixes counted by validation state.
#[derive(Debug, Clone, PartialEq)]
pub struct PrefixCounts {
    pub resource_group: String,
    pub connection: String,
    pub by_state: Vec<(PrefixValidationState, u32)>,
    /// Its prefixes, by name.
    pub prefixes: Vec<peering_model::wire::SummaryPrefix>,
    /// The median of its prefixes' latency samples since the `since` asked for.
    pub latency_p50_ms: Option<f64>,
    /// The newest event of its prefixes, with the prefix's name.
    pub latest_event: Option<(String, PrefixEvent)>,
}

/// A page of [`PrefixCounts`] and the key (rg_key, name_key) to continue after, if any.
pub type PrefixCountsPage = (Vec<PrefixCounts>, Option<(String, String)>);

/// Who writes, whether a person (`User`) or a static token (`Application`), and when (RFC
/// 3339).
#[derive(Debug, Clone)]
pub struct Author {
    pub id: String,
    pub kind: &'static str,
    pub at: String,
}

/// A child looked up under a connection.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<T> {
    Found(T),
    /// The connection exists, the child does not.
    Missing,
    /// The connection does not exist.
    NoParent,
}

/// Decides a connection write from the stored connection (if any).
pub type DecideService = Box<dyn FnOnce(Option<StoredService>) -> ApiResult<ServiceWrite> + Send>;
/// Checks a delete's preconditions against what is stored.
pub type CheckDelete<T> = Box<dyn FnOnce(Option<&T>) -> ApiResult<()> + Send>;
/// Decides a child write from the stored child (if any) and, for a prefix, the stored prefixes
/// of the subscription that overlap it (every one of them, possibly more).
pub type DecideChild =
    Box<dyn FnOnce(Option<ChildRecord>, Vec<ExistingPrefix>) -> ApiResult<ChildWrite> + Send>;

/// The storage operations of the API. Every method is one transaction.
pub trait Store: Send + Sync {
    /// A connection's stored representation.
    fn get_service(&self, id: ServiceId) -> StoreFuture<'_, Option<StoredRepr>>;

    /// A page of connections by key.
    fn list_services(&self, q: ServiceListQuery) -> StoreFuture<'_, ServicePage>;

    /// Creates or replaces a connection: `decide` gets the stored one. Answers whether it was
    /// created, and what is now stored.
    fn write_service(
        &self,
        id: ServiceId,
        activity: Activity,
        decide: DecideService,
    ) -> StoreFuture<'_, (bool, StoredRepr)>;

    /// Deletes a connection with its children; `check` (when given) sees the stored one
    /// first. Answers whether there was one.
    fn delete_service(
        &self,
        id: ServiceId,
        activity: Activity,
        check: Option<CheckDelete<StoredService>>,
    ) -> StoreFuture<'_, bool>;

    /// One child, with what it keeps elsewhere (a prefix's events: its ETag covers them).
    fn get_child(
        &self,
        parent: ServiceId,
        kind: ChildKind,
        name: String,
    ) -> StoreFuture<'_, Lookup<ChildRecord>>;

    /// Up to `limit` children by name key after `after` (with what they keep elsewhere only
    /// when `expand`); `None` when the connection does not exist.
    fn list_children(
        &self,
        parent: ServiceId,
        kind: ChildKind,
        after: String,
        limit: usize,
        expand: bool,
    ) -> StoreFuture<'_, Option<Vec<ChildRecord>>>;

    /// Creates or updates a child of kind `kind`: `decide` gets the stored child and, when
    /// `overlapping` is given, the subscription's stored prefixes that overlap that prefix.
    /// Both closures see the stored child with what it keeps elsewhere. `None` when the
    /// connection does not exist; else whether it was created, and the child as now stored.
    fn write_child(
        &self,
        parent: ServiceId,
        kind: ChildKind,
        name: String,
        overlapping: Option<Ipv4Prefix>,
        activity: Activity,
        decide: DecideChild,
    ) -> StoreFuture<'_, Option<(bool, ChildRecord)>>;

    /// For up to `limit` connections of the subscription that have prefixes, after the key
    /// (rg_key, name_key) `after`, in key order: their prefixes counted by validation state,
    /// the median of their latency samples from `since` (Unix seconds) and their newest
    /// event; and the key to continue after, when there are more.
    fn prefix_counts(
        &self,
        subscription: String,
        after: Option<(String, String)>,
        limit: usize,
        since: i64,
    ) -> StoreFuture<'_, PrefixCountsPage>;

    /// Stores route observations of the subscription's providers, with the events they make
    /// (the newest `keep_events` kept per prefix), and re-evaluates the prefixes they concern.
    fn ingest_routes(
        &self,
        subscription: String,
        items: Vec<Observed>,
        keep_events: usize,
    ) -> StoreFuture<'_, IngestReport>;

    /// Stores providers' prefix key registrations and re-evaluates the prefixes they concern.
    fn ingest_keys(
        &self,
        subscription: String,
        items: Vec<RegisteredKey>,
    ) -> StoreFuture<'_, IngestReport>;

    /// Stores monitor test results (the newest `keep` kept per test); refuses the whole batch
    /// when an item names no stored test.
    fn ingest_results(
        &self,
        subscription: String,
        items: Vec<MonitorRun>,
        keep: usize,
    ) -> StoreFuture<'_, IngestReport>;

    /// Merges latency sketches (prefix, tier, bucket start → sketch, see [`crate::latency`])
    /// into the stored ones, then removes each tier's buckets that start before its entry of
    /// `keep_from` (tier, Unix seconds).
    fn ingest_latency(
        &self,
        subscription: String,
        folded: Vec<LatencyRow>,
        keep_from: Vec<(i64, i64)>,
    ) -> StoreFuture<'_, ()>;

    /// The stored buckets (start, sketch bytes) of `tier` from `from` on, of every prefix
    /// the samples of `prefix` are kept under (itself, or the /24s inside it), oldest first.
    fn latency(
        &self,
        subscription: String,
        prefix: Ipv4Prefix,
        tier: i64,
        from: i64,
    ) -> StoreFuture<'_, Vec<(i64, Vec<u8>)>>;

    /// Records that the subscription was initialized for connection monitor tests (by whom
    /// and when; the first time is kept). Answers whether it already was.
    fn initialize_connection_monitor(
        &self,
        subscription: String,
        activity: Activity,
    ) -> StoreFuture<'_, bool>;

    /// The newest `limit` results of a monitor test, newest first; None when there is no
    /// such test.
    fn monitor_results(
        &self,
        parent: ServiceId,
        test: String,
        limit: usize,
    ) -> StoreFuture<'_, Option<Vec<peering_model::telemetry::MonitorTestRun>>>;

    /// The newest `limit` alerts of the subscription, or of one connection (None when it
    /// does not exist), newest first; only the open ones when `open_only`.
    fn alerts(
        &self,
        subscription: String,
        connection: Option<ServiceId>,
        open_only: bool,
        limit: usize,
    ) -> StoreFuture<'_, Option<Vec<peering_model::alerts::Alert>>>;

    /// Claims up to `limit` webhook deliveries due at `now` (Unix seconds), oldest first:
    /// none of them is due again before `until` unless an attempt is recorded.
    fn claim_deliveries(
        &self,
        now: i64,
        until: i64,
        limit: usize,
    ) -> StoreFuture<'_, Vec<DueDelivery>>;

    /// Evaluates the rules that depend on time passing as well as on telemetry (p95 latency
    /// over the last minutes) in every subscription, so such an alert resolves when samples
    /// stop; answers how many subscriptions were evaluated (one that fails is logged, the
    /// others still evaluated).
    fn evaluate_time_alerts(&self) -> StoreFuture<'_, usize>;

    /// Records an attempt at delivery `id` and what follows it.
    fn record_attempt(&self, id: i64, attempt: Attempt) -> StoreFuture<'_, ()>;

    /// The subscription's newest `limit` deliveries, with their attempts.
    fn deliveries(
        &self,
        subscription: String,
        limit: usize,
    ) -> StoreFuture<'_, Vec<peering_model::alerts::WebhookDelivery>>;

    /// Deletes a child; `check` (when given) sees the stored one first. `None` when the
    /// connection does not exist; else whether there was such a child.
    fn delete_child(
        &self,
        parent: ServiceId,
        kind: ChildKind,
        name: String,
        activity: Activity,
        check: Option<CheckDelete<ChildRecord>>,
    ) -> StoreFuture<'_, Option<bool>>;

    /// Records a write that was refused (nothing of it was stored), on its own.
    fn record_refusal(
        &self,
        activity: Activity,
        http_status: u16,
        code: String,
        message: String,
    ) -> StoreFuture<'_, ()>;

    /// A page of the activity log, newest first.
    fn activity(&self, q: ActivityQuery) -> StoreFuture<'_, Vec<ActivityRow>>;

    /// One record of the activity log, with the representations before and after.
    fn activity_record(
        &self,
        subscription: String,
        event_id: String,
    ) -> StoreFuture<'_, Option<ActivityRow>>;

    /// Removes up to `limit` records older than `before_ms` (Unix milliseconds), oldest
    /// first; answers how many.
    fn expire_activity(&self, before_ms: i64, limit: usize) -> StoreFuture<'_, usize>;
}

/// A child's representation as the activity log keeps it (JSON text); given to the store
/// when it opens, as [`Render`] is.
pub type RenderChild = fn(&ChildRecord) -> String;

//! Typed client for the server's ARM API.
//!
//! * Paths come from `peering_model::resource_id` ([`ServiceId`], [`ResourceId`], [`ArmPath`]),
//!   query keys from `peering_model::targets`, so the app and the server spell them alike.
//! * Every request gets its own `AbortController`, aborted when the reactive owner that
//!   started it is cleaned up (the component unmounts, or the resource re-runs), as leptos'
//!   `examples/hackernews` does. An abort is told from the signal, never from error text.
//! * Every failure has an [`ErrorKind`], decided from the status or the situation; callers
//!   match on it.
//! * Reads of one resource return its `ETag` ([`Tagged`]); writes send it back (`If-Match`), creates `If-None-Match: *`.
//! * Lists follow `nextLink` in one helper ([`list`]), only to the API's own origin ([`checked_next`]).

use crate::state::{Config, Session};
use gloo_net::http::{Method, Request, RequestBuilder, Response};
use leptos::prelude::{on_cleanup, StoredValue, WithValue};
use peering_model::messages;
use peering_model::names::NameKind;
use peering_model::resource_id::encode_segment;
use peering_model::targets::API_VERSION;
use peering_model::wire::{ErrorResponse, PeeringService};
use peering_model::{ApiVersion, ResourceId};
use serde::de::DeserializeOwned;
use serde::Serialize;
use web_sys::{AbortController, AbortSignal};

mod activity;
mod error;
mod links;
mod lists;
mod replay;
mod telemetry;
pub use activity::{activity_page, activity_record, activity_url};
pub use error::{ApiError, ErrorKind};
pub use links::{api_origin_base, checked_next};
pub use lists::{
    list, list_children, list_children_tagged, list_connection_pages, list_connections, list_pages,
    list_prefix_summary_pages, probe_list, Validators,
};
pub use replay::{holds, replay, same_properties, Replay};
pub use telemetry::{alerts, monitor_test_results, prefix_latency, webhook_deliveries};

/// A resource as read, with the `ETag` of that version (`None` when the server sent none).
#[derive(Debug, Clone, PartialEq)]
pub struct Tagged<T> {
    pub value: T,
    pub etag: Option<String>,
}

/// The URL of an API path, with the api-version and `query` (values percent-encoded).
fn url(config: &Config, path: &str, query: &[(&str, &str)]) -> String {
    url_at(config, path, query, ApiVersion::DEFAULT)
}

/// [`url`] at api-version `v`.
fn url_at(config: &Config, path: &str, query: &[(&str, &str)], v: ApiVersion) -> String {
    let mut u = format!(
        "{}{path}?{API_VERSION}={v}",
        config.api_base.trim_end_matches('/'),
    );
    for (k, v) in query {
        u.push_str(&format!("&{k}={}", encode_segment(v)));
    }
    u
}

/// A new `AbortSignal` whose controller is aborted when the current reactive owner is cleaned
/// up. Called when a request starts: a resource's fetcher runs under the resource's owner
/// (cleaned up when it re-runs or its component unmounts), a task spawned with
/// `spawn_local_scoped` under its component's.
pub fn abort_on_cleanup() -> Option<AbortSignal> {
    let controller = AbortController::new().ok()?;
    let signal = controller.signal();
    // The owner runs its cleanups before it drops what it stores, so the controller is there.
    let held = StoredValue::new_local(controller);
    on_cleanup(move || {
        held.try_with_value(AbortController::abort);
    });
    Some(signal)
}

fn aborted(signal: &Option<AbortSignal>) -> bool {
    signal.as_ref().is_some_and(AbortSignal::aborted)
}

/// What a write requires of the stored version.
enum Precondition<'a> {
    None,
    /// `If-Match`: exactly the version shown.
    Matches(&'a str),
    /// `If-None-Match: *`: nothing there yet.
    Absent,
    /// `If-None-Match: <etag>` on a read: 304 if it is still that version.
    Changed(&'a str),
}

/// An answer, with the signal of its request (reading the body can be aborted too).
struct Sent {
    res: Response,
    signal: Option<AbortSignal>,
}

async fn send<B: Serialize + ?Sized>(
    s: &Session,
    method: Method,
    url: &str,
    precondition: Precondition<'_>,
    body: Option<&B>,
) -> Result<Sent, ApiError> {
    let signal = abort_on_cleanup();
    let mut b = RequestBuilder::new(url)
        .method(method)
        .header("Authorization", &format!("Bearer {}", s.token.get()))
        .header("Accept", "application/json")
        .abort_signal(signal.as_ref());
    b = match precondition {
        Precondition::None => b,
        Precondition::Matches(etag) => b.header("If-Match", etag),
        Precondition::Absent => b.header("If-None-Match", "*"),
        Precondition::Changed(etag) => b.header("If-None-Match", etag),
    };
    let req: Result<Request, _> = match body {
        Some(body) => b.json(body),
        None => b.build(),
    };
    let req = req.map_err(|e| {
        ApiError::new(
            ErrorKind::Invalid,
            "InvalidRequest",
            format!("The request could not be built: {e}"),
        )
    })?;
    match req.send().await {
        Ok(res) => {
            // The token was refused (expired, revoked): a portal framing the app is asked for
            // a new one (docs/embedding.md); the view that failed retries when it comes.
            if res.status() == 401 && s.token.refused_first_time() {
                crate::embed::post(
                    &serde_json::json!({"type": crate::embed::READY}),
                    &s.config.allowed_parent_origins,
                );
            }
            Ok(Sent { res, signal })
        }
        Err(_) if aborted(&signal) => Err(ApiError::aborted()),
        Err(e) => Err(ApiError::network(e)),
    }
}

impl Sent {
    fn ok(&self) -> bool {
        (200..300).contains(&self.res.status())
    }

    /// A 2xx answer's JSON body and ETag, or the error it is.
    async fn json<T: DeserializeOwned>(self) -> Result<Tagged<T>, ApiError> {
        if !self.ok() {
            return Err(self.error().await);
        }
        let etag = self.res.headers().get("ETag");
        match self.res.json::<T>().await {
            Ok(value) => Ok(Tagged { value, etag }),
            Err(_) if aborted(&self.signal) => Err(ApiError::aborted()),
            Err(e) => Err(ApiError {
                status: self.res.status(),
                ..ApiError::new(
                    ErrorKind::BadResponse,
                    "InvalidResponse",
                    format!("The server's answer could not be read: {e}"),
                )
            }),
        }
    }

    /// A 2xx answer whose body does not matter, or the error it is.
    async fn empty(self) -> Result<(), ApiError> {
        if self.ok() {
            Ok(())
        } else {
            Err(self.error().await)
        }
    }

    async fn error(self) -> ApiError {
        let status = self.res.status();
        let kind = ErrorKind::of_status(status);
        // Only the delta-seconds form; an HTTP date is rare from an API and falls back to the
        // outbox's own backoff.
        let retry_after = self
            .res
            .headers()
            .get("Retry-After")
            .and_then(|v| v.trim().parse::<u32>().ok());
        let mut e = match self.res.json::<ErrorResponse>().await {
            Ok(e) => ApiError {
                kind,
                status,
                code: e.error.code,
                message: e.error.message,
                target: e.error.target,
                retry_after,
            },
            Err(_) if aborted(&self.signal) => return ApiError::aborted(),
            Err(_) => ApiError {
                kind,
                status,
                code: format!("Http{status}"),
                message: format!("The server answered {status} {}.", self.res.status_text()),
                target: None,
                retry_after,
            },
        };
        if kind == ErrorKind::Unauthorized {
            e.message = messages::TOKEN_REFUSED.to_owned();
        }
        e
    }
}

/// Whether what `url` answers is no longer the version `etag`: `None` while it is (304, no
/// body sent), else its new ETag (or "" when it sent none).
pub async fn probe(s: &Session, url: &str, etag: &str) -> Result<Option<String>, ApiError> {
    let sent = send::<()>(s, Method::GET, url, Precondition::Changed(etag), None).await?;
    match sent.res.status() {
        304 => Ok(None),
        200..=299 => Ok(Some(sent.res.headers().get("ETag").unwrap_or_default())),
        _ => Err(sent.error().await),
    }
}

/// [`probe`] for one resource.
pub async fn probe_resource(
    s: &Session,
    id: &ResourceId,
    etag: &str,
) -> Result<Option<String>, ApiError> {
    probe(s, &url(&s.config, &id.to_string(), &[]), etag).await
}

/// One resource (a connection or a child), with its ETag: read at the newest api-version, whose
/// `systemData` says who created and last changed it (the ETag is the same at every version).
pub async fn get<T: DeserializeOwned>(s: &Session, id: &ResourceId) -> Result<Tagged<T>, ApiError> {
    let u = url_at(&s.config, &id.to_string(), &[], ApiVersion::NEWEST);
    send::<()>(s, Method::GET, &u, Precondition::None, None)
        .await?
        .json()
        .await
}

/// Creates a resource; never replaces one (`If-None-Match: *`): an existing name (in any
/// casing) answers 412, [`ErrorKind::PreconditionFailed`].
pub async fn create<T: Serialize + DeserializeOwned>(
    s: &Session,
    id: &ResourceId,
    body: &T,
) -> Result<Tagged<T>, ApiError> {
    let u = url(&s.config, &id.to_string(), &[]);
    send(s, Method::PUT, &u, Precondition::Absent, Some(body))
        .await?
        .json()
        .await
}

/// Replaces a connection's tags (`PATCH` with `If-Match`: only the version shown is changed;
/// if someone changed it since, the server answers 412 and nothing is written).
pub async fn update_tags(
    s: &Session,
    id: &ResourceId,
    tags: &std::collections::BTreeMap<String, String>,
    etag: &str,
) -> Result<Tagged<PeeringService>, ApiError> {
    let u = url(&s.config, &id.to_string(), &[]);
    let body = PeeringService {
        tags: Some(tags.clone()),
        ..PeeringService::default()
    };
    send(
        s,
        Method::PATCH,
        &u,
        Precondition::Matches(etag),
        Some(&body),
    )
    .await?
    .json()
    .await
}

/// Deletes the version whose ETag is `etag` (`If-Match`): if someone changed or deleted it
/// since, the server answers 412 and nothing is deleted.
pub async fn delete(s: &Session, id: &ResourceId, etag: &str) -> Result<(), ApiError> {
    let u = url(&s.config, &id.to_string(), &[]);
    send::<()>(s, Method::DELETE, &u, Precondition::Matches(etag), None)
        .await?
        .empty()
        .await
}

/// Deletes a list item if it is still the version shown. List items carry no ETag, so the one
/// item is read (for its ETag) when the user confirms; if it is no longer equal to what the
/// list showed, nothing is sent and its current version comes back (`Ok(Some)`), for the user
/// to compare; otherwise it is deleted with `If-Match: <that ETag>` (`Ok(None)`), so a change
/// in between is refused by the server too. Gone already: "changed elsewhere".
pub async fn delete_unless_changed<T: DeserializeOwned + PartialEq + Serialize>(
    s: &Session,
    id: &ResourceId,
    kind: NameKind,
    name: &str,
    shown: &T,
) -> Result<Option<Tagged<serde_json::Value>>, ApiError> {
    let current = match get::<T>(s, id).await {
        Ok(c) => c,
        Err(e) if e.kind == ErrorKind::NotFound => return Err(ApiError::changed(kind, name)),
        Err(e) => return Err(e),
    };
    // What the server moves by itself (a prefix's validation and events, a test's result) is
    // no change anyone made, so it does not hold a delete back; the same rule as a replay's.
    let same = match (
        serde_json::to_value(&current.value),
        serde_json::to_value(shown),
    ) {
        (Ok(now), Ok(then)) => replay::same_properties(&now, &then),
        _ => current.value == *shown,
    };
    match current.etag {
        Some(etag) if same => delete(s, id, &etag).await.map(|()| None),
        Some(etag) => Ok(Some(Tagged {
            value: serde_json::to_value(&current.value).unwrap_or_default(),
            etag: Some(etag),
        })),
        None => Err(no_etag(kind, name)),
    }
}

/// [`delete_unless_changed`] where a change elsewhere is just a refusal.
pub async fn delete_if_unchanged<T: DeserializeOwned + PartialEq + Serialize>(
    s: &Session,
    id: &ResourceId,
    kind: NameKind,
    name: &str,
    shown: &T,
) -> Result<(), ApiError> {
    match delete_unless_changed(s, id, kind, name, shown).await? {
        None => Ok(()),
        Some(_) => Err(ApiError::changed(kind, name)),
    }
}

/// The server sent no ETag, so a write cannot say which version it replaces.
pub fn no_etag(kind: NameKind, name: &str) -> ApiError {
    ApiError::new(
        ErrorKind::BadResponse,
        "MissingETag",
        format!(
            "The server did not say which version of the {} '{name}' this is (no ETag), so it was not changed; reload and try again.",
            kind.noun_only()
        ),
    )
}

/// A file beside `index.html` (relative to the page: the app may be served from any
/// directory, and its routes are in the fragment, so the page is always that directory), as
/// text; None when the host has no such file.
pub async fn file_beside_the_app(name: &str) -> Result<Option<String>, String> {
    let signal = abort_on_cleanup();
    let res = match Request::get(name)
        .abort_signal(signal.as_ref())
        .send()
        .await
    {
        Ok(res) => res,
        Err(e) => return Err(format!("{name} could not be loaded: {e}")),
    };
    if res.status() == 404 {
        return Ok(None);
    }
    if !res.ok() {
        return Err(format!(
            "{name} could not be loaded: the server answered {}.",
            res.status()
        ));
    }
    res.text()
        .await
        .map(Some)
        .map_err(|e| format!("{name} could not be read: {e}"))
}

/// Reads `config.json`. No file means the defaults; a file that is not valid JSON is an
/// error, never silently ignored.
pub async fn load_config() -> Result<Config, String> {
    match file_beside_the_app("config.json").await? {
        None => Ok(Config::default()),
        Some(text) => {
            let config: Config = serde_json::from_str(&text)
                .map_err(|e| format!("config.json is not valid: {e}"))?;
            config.check()?;
            Ok(config)
        }
    }
}

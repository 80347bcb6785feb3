//! Typed client for the server's ARM API: one function per endpoint, abortable.

use crate::state::{Config, Session};
use gloo_net::http::{Request, RequestBuilder, Response};
use peering_model::wire::{
    ConnectionMonitorTest, ErrorResponse, ListResult, PeeringService, PeeringServicePrefix,
};
use peering_model::ApiVersion;
use serde::de::DeserializeOwned;
use web_sys::AbortSignal;

/// A failed call: an ARM error from the server, or no answer at all (status 0).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub target: Option<String>,
}

impl ApiError {
    fn network(e: impl std::fmt::Display) -> Self {
        ApiError {
            status: 0,
            code: "NetworkError".into(),
            message: format!("The server could not be reached ({e}). Check that peering-server is running, then retry."),
            target: None,
        }
    }

    pub fn is_aborted(&self) -> bool {
        self.code == "Aborted"
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn enc(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

pub fn services_path(sub: &str) -> String {
    format!(
        "/subscriptions/{}/providers/Microsoft.Peering/peeringServices",
        enc(sub)
    )
}

pub fn service_path(sub: &str, rg: &str, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Peering/peeringServices/{}",
        enc(sub),
        enc(rg),
        enc(name)
    )
}

fn url(config: &Config, path: &str) -> String {
    format!(
        "{}{}?api-version={}",
        config.api_base.trim_end_matches('/'),
        path,
        ApiVersion::DEFAULT
    )
}

fn authorized(b: RequestBuilder, s: &Session, signal: Option<&AbortSignal>) -> RequestBuilder {
    b.header("Authorization", &format!("Bearer {}", s.token))
        .header("Accept", "application/json")
        .abort_signal(signal)
}

async fn send(req: Request) -> Result<Response, ApiError> {
    req.send().await.map_err(|e| {
        let text = e.to_string();
        if text.contains("abort") || text.contains("Abort") {
            ApiError {
                status: 0,
                code: "Aborted".into(),
                message: "The request was cancelled.".into(),
                target: None,
            }
        } else {
            ApiError::network(text)
        }
    })
}

async fn decode<T: DeserializeOwned>(res: Response) -> Result<T, ApiError> {
    let status = res.status();
    if (200..300).contains(&status) {
        return res.json::<T>().await.map_err(|e| ApiError {
            status,
            code: "InvalidResponse".into(),
            message: format!("The server's answer could not be read: {e}"),
            target: None,
        });
    }
    Err(error_of(res).await)
}

async fn error_of(res: Response) -> ApiError {
    let status = res.status();
    match res.json::<ErrorResponse>().await {
        Ok(e) => ApiError {
            status,
            code: e.error.code,
            message: e.error.message,
            target: e.error.target,
        },
        Err(_) => ApiError {
            status,
            code: format!("Http{status}"),
            message: format!("The server answered {status} {}.", res.status_text()),
            target: None,
        },
    }
}

/// Every connection of the session's subscription, following `nextLink`.
pub async fn list_connections(
    s: &Session,
    signal: Option<&AbortSignal>,
) -> Result<Vec<PeeringService>, ApiError> {
    let mut all = Vec::new();
    // Large pages: one request per 1,000 connections instead of per 100.
    let mut next = Some(format!(
        "{}&$top=1000",
        url(&s.config, &services_path(&s.subscription))
    ));
    while let Some(u) = next.take() {
        let req = authorized(Request::get(&u), s, signal)
            .build()
            .map_err(ApiError::network)?;
        let page: ListResult<PeeringService> = decode(send(req).await?).await?;
        all.extend(page.value);
        next = checked_next(&s.config, page.next_link)?;
    }
    Ok(all)
}

/// Create a connection; never replaces one (`If-None-Match: *`): an existing name answers 412.
pub async fn create_connection(
    s: &Session,
    rg: &str,
    name: &str,
    body: &PeeringService,
    signal: Option<&AbortSignal>,
) -> Result<PeeringService, ApiError> {
    let req = authorized(
        Request::put(&url(&s.config, &service_path(&s.subscription, rg, name))),
        s,
        signal,
    )
    .header("If-None-Match", "*")
    .json(body)
    .map_err(ApiError::network)?;
    decode(send(req).await?).await
}

/// Fetches `/config.json` (absolute, so deep links find it too). No file means the defaults;
/// a file that is not valid JSON is an error, never silently ignored.
pub async fn load_config() -> Result<Config, String> {
    let res = match Request::get("/config.json").send().await {
        Ok(res) => res,
        Err(e) => return Err(format!("config.json could not be loaded: {e}")),
    };
    if res.status() == 404 {
        return Ok(Config::default());
    }
    if !res.ok() {
        return Err(format!(
            "config.json could not be loaded: the server answered {}.",
            res.status()
        ));
    }
    let text = res
        .text()
        .await
        .map_err(|e| format!("config.json could not be read: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("config.json is not valid: {e}"))
}

/// Follows a `nextLink` only to the API's own origin, so the token never goes elsewhere.
fn checked_next(config: &Config, link: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(link) = link else { return Ok(None) };
    let base = if config.api_base.is_empty() {
        web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default()
    } else {
        config.api_base.trim_end_matches('/').to_owned()
    };
    if link.starts_with(&format!("{base}/")) || link.starts_with('/') && !link.starts_with("//") {
        Ok(Some(link))
    } else {
        Err(ApiError {
            status: 0,
            code: "UntrustedNextLink".into(),
            message: format!("The server's next page link ({link}) is not on {base}; the list was not followed there."),
            target: None,
        })
    }
}

pub fn prefixes_path(sub: &str, rg: &str, name: &str) -> String {
    format!("{}/prefixes", service_path(sub, rg, name))
}

pub fn prefix_path(sub: &str, rg: &str, name: &str, prefix: &str) -> String {
    format!("{}/{}", prefixes_path(sub, rg, name), enc(prefix))
}

async fn no_content(res: Response) -> Result<(), ApiError> {
    if (200..300).contains(&res.status()) {
        Ok(())
    } else {
        Err(error_of(res).await)
    }
}

pub async fn get_connection(
    s: &Session,
    rg: &str,
    name: &str,
    signal: Option<&AbortSignal>,
) -> Result<PeeringService, ApiError> {
    let req = authorized(
        Request::get(&url(&s.config, &service_path(&s.subscription, rg, name))),
        s,
        signal,
    )
    .build()
    .map_err(ApiError::network)?;
    decode(send(req).await?).await
}

pub async fn delete_connection(s: &Session, rg: &str, name: &str) -> Result<(), ApiError> {
    let req = authorized(
        Request::delete(&url(&s.config, &service_path(&s.subscription, rg, name))),
        s,
        None,
    )
    .build()
    .map_err(ApiError::network)?;
    no_content(send(req).await?).await
}

/// Every prefix of a connection, following `nextLink`.
pub async fn list_prefixes(
    s: &Session,
    rg: &str,
    name: &str,
    signal: Option<&AbortSignal>,
) -> Result<Vec<PeeringServicePrefix>, ApiError> {
    let mut all = Vec::new();
    let mut next = Some(url(&s.config, &prefixes_path(&s.subscription, rg, name)));
    while let Some(u) = next.take() {
        let req = authorized(Request::get(&u), s, signal)
            .build()
            .map_err(ApiError::network)?;
        let page: ListResult<PeeringServicePrefix> = decode(send(req).await?).await?;
        all.extend(page.value);
        next = checked_next(&s.config, page.next_link)?;
    }
    Ok(all)
}

/// Create a prefix; never replaces one (`If-None-Match: *`): an existing name answers 412.
pub async fn create_prefix(
    s: &Session,
    rg: &str,
    name: &str,
    prefix_name: &str,
    body: &PeeringServicePrefix,
) -> Result<PeeringServicePrefix, ApiError> {
    let req = authorized(
        Request::put(&url(
            &s.config,
            &prefix_path(&s.subscription, rg, name, prefix_name),
        )),
        s,
        None,
    )
    .header("If-None-Match", "*")
    .json(body)
    .map_err(ApiError::network)?;
    decode(send(req).await?).await
}

pub async fn delete_prefix(
    s: &Session,
    rg: &str,
    name: &str,
    prefix_name: &str,
) -> Result<(), ApiError> {
    let req = authorized(
        Request::delete(&url(
            &s.config,
            &prefix_path(&s.subscription, rg, name, prefix_name),
        )),
        s,
        None,
    )
    .build()
    .map_err(ApiError::network)?;
    no_content(send(req).await?).await
}

pub fn monitor_tests_path(sub: &str, rg: &str, name: &str) -> String {
    format!("{}/connectionMonitorTests", service_path(sub, rg, name))
}

pub async fn list_monitor_tests(
    s: &Session,
    rg: &str,
    name: &str,
) -> Result<Vec<ConnectionMonitorTest>, ApiError> {
    let mut all = Vec::new();
    let mut next = Some(url(
        &s.config,
        &monitor_tests_path(&s.subscription, rg, name),
    ));
    while let Some(u) = next.take() {
        let req = authorized(Request::get(&u), s, None)
            .build()
            .map_err(ApiError::network)?;
        let page: ListResult<ConnectionMonitorTest> = decode(send(req).await?).await?;
        all.extend(page.value);
        next = checked_next(&s.config, page.next_link)?;
    }
    Ok(all)
}

/// Create a monitor test; never replaces one (`If-None-Match: *`).
pub async fn create_monitor_test(
    s: &Session,
    rg: &str,
    name: &str,
    test: &str,
    body: &ConnectionMonitorTest,
) -> Result<ConnectionMonitorTest, ApiError> {
    let path = format!(
        "{}/{}",
        monitor_tests_path(&s.subscription, rg, name),
        enc(test)
    );
    let req = authorized(Request::put(&url(&s.config, &path)), s, None)
        .header("If-None-Match", "*")
        .json(body)
        .map_err(ApiError::network)?;
    decode(send(req).await?).await
}

pub async fn delete_monitor_test(
    s: &Session,
    rg: &str,
    name: &str,
    test: &str,
) -> Result<(), ApiError> {
    let path = format!(
        "{}/{}",
        monitor_tests_path(&s.subscription, rg, name),
        enc(test)
    );
    let req = authorized(Request::delete(&url(&s.config, &path)), s, None)
        .build()
        .map_err(ApiError::network)?;
    no_content(send(req).await?).await
}

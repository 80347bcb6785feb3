//! WebDriver helpers for the end-to-end test: a Chromium session, waits for what the app
//! renders asynchronously, and API calls made from inside the page (another client, as far as
//! the server can tell, with the page's origin and the token).

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::Value;
use std::time::{Duration, Instant};

pub async fn connect(port: u16) -> Result<Client, String> {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": crate::setup::CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--window-size=1280,900"]
        }),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match ClientBuilder::rustls()
            .map_err(|e| e.to_string())?
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return Ok(c),
            Err(e) if Instant::now() > deadline => {
                return Err(format!("cannot reach chromedriver: {e}"))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Loads `url` as a new page, as a user opening a link would: through `about:blank`, since the
/// app's routes are in the fragment and a change of the fragment alone loads nothing again.
pub async fn load(c: &Client, url: &str) -> Result<(), String> {
    c.goto("about:blank").await.map_err(|e| e.to_string())?;
    c.goto(url).await.map_err(|e| format!("goto {url}: {e}"))
}

/// Waits for an element; the app renders asynchronously.
pub async fn wait_for(c: &Client, css: &str) -> Result<fantoccini::elements::Element, String> {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .map_err(|e| format!("waiting for {css}: {e}"))
}

/// Clicks `css` after scrolling it to the middle of the window (at the top, the sticky top
/// bar would take the click).
pub async fn click_centered(c: &Client, css: &str) -> Result<(), String> {
    let el = wait_for(c, css).await?;
    c.execute(
        "arguments[0].scrollIntoView({block: 'center'});",
        vec![serde_json::to_value(&el).map_err(|e| e.to_string())?],
    )
    .await
    .map_err(|e| format!("scrolling to {css}: {e}"))?;
    el.click().await.map_err(|e| format!("clicking {css}: {e}"))
}

pub async fn wait_for_text(c: &Client, css: &str, text: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = match c.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if found.contains(text) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "'{css}' never showed '{text}' (it shows '{found}')"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn select(c: &Client, css: &str, value: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let el = wait_for(c, css).await?;
        // Options appear as the cascade resolves; retry until this one is there.
        match el.select_by_value(value).await {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() > deadline => {
                return Err(format!("selecting '{value}' in {css}: {e}"))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Runs `script` in the page; what it returns.
pub async fn exec(c: &Client, script: &str, args: Vec<Value>) -> Result<Value, String> {
    c.execute(script, args)
        .await
        .map_err(|e| format!("{script}: {e}"))
}

/// An API call made with `fetch` from the page: (status, JSON body or null, ETag).
pub async fn api(
    c: &Client,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
    if_match: Option<&str>,
) -> Result<(u16, Value, Option<String>), String> {
    let script = r#"
        const [token, method, path, body, ifMatch, done] = arguments;
        const headers = {Authorization: 'Bearer ' + token, 'Content-Type': 'application/json'};
        if (ifMatch) headers['If-Match'] = ifMatch;
        fetch(path, {method, headers, body: body === null ? undefined : JSON.stringify(body)})
            .then(async r => { const t = await r.text(); done([r.status, t ? JSON.parse(t) : null, r.headers.get('ETag')]); })
            .catch(e => done([0, String(e), null]));
    "#;
    let args = vec![
        token.into(),
        method.into(),
        path.into(),
        body.unwrap_or(Value::Null),
        if_match.map_or(Value::Null, Value::from),
    ];
    let out = c
        .execute_async(script, args)
        .await
        .map_err(|e| format!("{method} {path}: {e}"))?;
    let status = out[0].as_u64().unwrap_or(0) as u16;
    if status == 0 {
        return Err(format!("{method} {path}: {}", out[1]));
    }
    Ok((status, out[1].clone(), out[2].as_str().map(str::to_owned)))
}

/// A DevTools protocol command, sent through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Runs a DevTools command (`Emulation.setEmulatedMedia`, …) in the session.
pub async fn cdp(c: &Client, cmd: &'static str, params: Value) -> Result<(), String> {
    c.issue_cmd(Cdp { cmd, params })
        .await
        .map(|_| ())
        .map_err(|e| format!("{cmd}: {e}"))
}

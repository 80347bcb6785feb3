// tidy: long file: the command line, each flag documented where clap reads it, and its checks.
use clap::{Parser, Subcommand, ValueEnum};
use peering_server::auth::Tokens;
use peering_server::serve::{serve, Drained};
use peering_server::{app, AppState, Settings};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Peering Console server: the Microsoft.Peering ARM API over SQLite, and the built app.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on (use port 0 for any free port; the chosen one is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The database: a SQLite file, created and migrated on first start; or PostgreSQL,
    /// postgres://user[:password]@host[:port]/dbname (migrated at start; several instances
    /// may share it). PEERING_DB in the environment, so a password need not be on the
    /// command line.
    #[arg(
        long,
        env = "PEERING_DB",
        hide_env_values = true,
        default_value = "peering.db"
    )]
    db: PathBuf,
    /// Connections to PostgreSQL this instance keeps open (with --db postgres://…).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pg_connections: u16,
    /// Directory of the built app (Trunk's dist/) to serve at /.
    #[arg(long = "static")]
    static_dir: Option<PathBuf>,
    /// JSON file of access tokens: [{"token": "...", "name": "...", "subscriptions": ["*"] or [ids],
    /// "role": "contributor" | "reader" | "collector", "expires": "2027-01-31T00:00:00Z"}], and with
    /// --oidc-issuer, grants to people: {"subject" | "group" | "appRole": "...", "subscriptions":
    /// [...], "role": ...}. Read again on SIGHUP. Without it, one contributor token for all
    /// subscriptions is generated and kept beside the database (`<db>.token`, mode 0600), so it
    /// survives a restart.
    #[arg(long)]
    tokens: Option<PathBuf>,
    /// The OpenID Connect issuer whose access tokens are accepted (people signing in), exactly
    /// as the tokens' `iss` says it; its keys come from <issuer>/.well-known/openid-configuration.
    /// With --oidc-audience.
    #[arg(long, env = "PEERING_OIDC_ISSUER", requires = "oidc_audience")]
    oidc_issuer: Option<String>,
    /// The audience the access tokens must name (`aud`), such as api://peering-console. With
    /// --oidc-issuer.
    #[arg(long, env = "PEERING_OIDC_AUDIENCE", requires = "oidc_issuer")]
    oidc_audience: Option<String>,
    /// A proxy (an address or a CIDR range) allowed to name the client's address in Forwarded
    /// or X-Forwarded-For, for the limit on failed sign-ins and the logs; repeatable. Default:
    /// none, so the connection's peer is the client.
    #[arg(long = "trusted-proxy", value_parser = parse_proxy)]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Replace the kept token with a new one (the old one stops working). Not with --tokens.
    #[arg(long, conflicts_with = "tokens")]
    new_token: bool,
    /// An origin allowed to embed the app in a frame (CSP frame-ancestors); repeatable. Default: none.
    #[arg(long = "frame-ancestor")]
    frame_ancestors: Vec<String>,
    /// Largest request body accepted, in bytes; larger ones get 413.
    #[arg(long, default_value_t = 1024 * 1024)]
    body_limit: usize,
    /// An origin (scheme://host[:port]) allowed to call the API from a browser (CORS); repeatable.
    /// Default: none, and CORS stays off.
    #[arg(long = "cors-origin")]
    cors_origins: Vec<String>,
    /// Requests per second allowed per token (bursts up to the same number), and failed
    /// authentications per second per client address; more get 429 with Retry-After.
    /// Default: no limit.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    rate_limit: Option<u32>,
    /// The public base URL of the API, http(s)://host[:port][/path], used for every nextLink
    /// (for a server behind a reverse proxy); https also turns on HSTS. Default: the address
    /// the client connected to. The request's Host header is never used.
    #[arg(long, value_parser = peering_server::parse_public_url)]
    public_url: Option<String>,
    /// Seconds a request may take from its first byte to its answer (408 after).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    request_timeout: u64,
    /// Seconds a client may take to send a request's headers before it is cut off.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    header_timeout: u64,
    /// Connections served at once; more wait to be accepted.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    max_connections: u64,
    /// Seconds SIGTERM or Ctrl-C waits for requests in flight before the server exits.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=3600))]
    drain_timeout: u64,
    /// Ask browsers to report Content-Security-Policy violations on the app's pages
    /// (`report-uri /csp-reports`) and append each report, one JSON object per line, to this
    /// file (bounded: 16 KiB a report, 10 MiB in all). For tests and for trying a new policy.
    #[arg(long)]
    csp_report_log: Option<PathBuf>,
    /// Fill subscription 00000000-0000-0000-0000-000000000000 with simulated connections from
    /// the catalog and run a simulated collector feeding their telemetry through the ingestion
    /// endpoints (resource group demo-simulated, tag simulated=true). For trying the console.
    #[arg(long)]
    demo: bool,
    /// How long one-minute latency buckets are kept (the 6-hour window; at least 6h).
    #[arg(long = "keep-latency-1m", default_value = "7h", value_parser = peering_server::settings::parse_duration)]
    keep_latency_1m: i64,
    /// How long five-minute latency buckets are kept (12 hours and 1 day; at least 1d).
    #[arg(long = "keep-latency-5m", default_value = "25h", value_parser = peering_server::settings::parse_duration)]
    keep_latency_5m: i64,
    /// How long one-hour latency buckets are kept (7 and 30 days; at least 30d).
    #[arg(long = "keep-latency-1h", default_value = "31d", value_parser = peering_server::settings::parse_duration)]
    keep_latency_1h: i64,
    /// How long the activity log keeps a record of each write (at least 1h; Azure keeps its
    /// Activity Log 90 days).
    #[arg(long = "keep-activity", default_value = "90d", value_parser = peering_server::settings::parse_duration)]
    keep_activity: i64,
    /// How many events are kept per prefix (the newest).
    #[arg(long, default_value_t = 1000)]
    keep_events: usize,
    /// How many results are kept per connection monitor test (the newest).
    #[arg(long, default_value_t = 1000)]
    keep_monitor_results: usize,
    /// A URL (http or https) that gets every opening and resolution of an alert, as JSON
    /// signed with HMAC-SHA256 (header X-Peering-Signature); repeatable. Needs a secret:
    /// --alert-webhook-secret-file, or PEERING_WEBHOOK_SECRET in the environment.
    #[arg(long = "alert-webhook")]
    alert_webhooks: Vec<String>,
    /// A file holding the webhook secret (its first line).
    #[arg(long)]
    alert_webhook_secret_file: Option<PathBuf>,
    /// How the log is written (to stderr); the level comes from RUST_LOG (default info).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal, never into a file or a collector.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Copy every row of a SQLite database into PostgreSQL: the target's tables are replaced in
    /// one transaction, each table's row count and checksum compared before it commits (a
    /// failed copy changes nothing; running it again gives the same copy).
    Migrate {
        /// The SQLite database file (as --db takes it).
        #[arg(long)]
        from: PathBuf,
        /// postgres://user[:password]@host[:port]/dbname; PEERING_DB in the environment when
        /// absent (so the password need not be on the command line).
        #[arg(long)]
        to: Option<String>,
    },
}

/// `peering-server migrate`: the copy, and a line per table.
async fn migrate(from: PathBuf, to: Option<String>) -> Result<(), String> {
    let url = match to.or_else(|| std::env::var("PEERING_DB").ok()) {
        Some(u) => u,
        None => return Err("migrate needs --to postgres://… (or PEERING_DB)".into()),
    };
    let started = std::time::Instant::now();
    let pool =
        peering_server::store::postgres::pool(peering_server::store::postgres::config(&url)?, 1)?;
    let copied = peering_server::store::postgres::copy::copy_from_sqlite(&from, &pool).await?;
    let mut total = 0;
    for t in &copied {
        println!("{:<34} {:>10} rows  sha256 {}", t.table, t.rows, t.checksum);
        total += t.rows;
    }
    println!(
        "migrate: copied {total} rows of {} tables from {} in {:.1} s; counts and checksums match",
        copied.len(),
        from.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[tokio::main]
async fn main() {
    let mut cli = Cli::parse();
    init_logging(cli.log_format);
    if let Some(Command::Migrate { from, to }) = cli.command.take() {
        if let Err(e) = migrate(from, to).await {
            eprintln!("peering-server migrate: {e}");
            std::process::exit(1);
        }
        return;
    }
    if let Err(e) = run(cli).await {
        tracing::error!("{e}");
        eprintln!("peering-server: {e}");
        std::process::exit(1);
    }
}

/// A `--trusted-proxy`: a CIDR range, or one address.
fn parse_proxy(s: &str) -> Result<ipnet::IpNet, String> {
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("'{s}' is neither an address nor a CIDR range such as 10.0.0.0/8"))
}

/// Reads the tokens file again on every SIGHUP: a revoked or expired token stops working and a
/// new one starts, without a restart; a bad file is reported and changes nothing.
#[cfg(unix)]
fn reload_on_hangup(tokens: Tokens, path: PathBuf) {
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::warn!("cannot listen for SIGHUP; the tokens file is read at start only");
            return;
        };
        while hup.recv().await.is_some() {
            match tokens.reload(&path) {
                Ok((statics, people)) => tracing::info!(
                    file = %path.display(),
                    static_tokens = statics,
                    identity_grants = people,
                    "SIGHUP: tokens file read again"
                ),
                Err(e) => tracing::error!("SIGHUP: {e}; the tokens in force are unchanged"),
            }
        }
    });
}

#[cfg(not(unix))]
fn reload_on_hangup(_: Tokens, _: PathBuf) {}

/// Where the generated token is kept: `peering.db` → `peering.db.token`.
fn token_file(db: &std::path::Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".token");
    PathBuf::from(name)
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}

/// The webhooks' secret: none without webhooks; required with them.
fn webhook_secret(cli: &Cli) -> Result<Option<Vec<u8>>, String> {
    if cli.alert_webhooks.is_empty() {
        return Ok(None);
    }
    if let Some(bad) = cli.alert_webhooks.iter().find(|u| {
        !(u.starts_with("http://") || u.starts_with("https://"))
            || u.parse::<axum::http::Uri>().is_err()
    }) {
        return Err(format!(
            "--alert-webhook '{bad}' is not an http:// or https:// URL"
        ));
    }
    let secret = match &cli.alert_webhook_secret_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned(),
        None => std::env::var("PEERING_WEBHOOK_SECRET").unwrap_or_default(),
    };
    if secret.len() < 16 {
        return Err("--alert-webhook needs a secret of at least 16 characters: --alert-webhook-secret-file FILE, or PEERING_WEBHOOK_SECRET".into());
    }
    Ok(Some(secret.into_bytes()))
}

async fn run(cli: Cli) -> Result<(), String> {
    let db_text = cli.db.to_string_lossy().into_owned();
    let postgres = peering_server::store::postgres::is_url(&db_text);
    if postgres && cli.tokens.is_none() {
        // A generated token is kept in a file beside a SQLite database; instances on one
        // PostgreSQL must accept the same tokens, so they are given the same file.
        return Err("with --db postgres://… give every instance the same --tokens FILE (a token generated by one instance would not open another)".into());
    }
    peering_server::cors_layer(&cli.cors_origins).map(drop)?;
    if let Some(bad) = cli
        .frame_ancestors
        .iter()
        .find(|a| !peering_server::is_csp_source(a))
    {
        return Err(format!(
            "--frame-ancestor '{bad}' is not a CSP source such as https://portal.example.com"
        ));
    }
    let webhook_secret = webhook_secret(&cli)?;
    let (store, shown_db) = if postgres {
        let store =
            peering_server::open_postgres(&db_text, usize::from(cli.pg_connections)).await?;
        (store, peering_server::store::postgres::shown(&db_text)?)
    } else {
        (
            peering_server::open_sqlite(&cli.db, 4)?,
            cli.db.display().to_string(),
        )
    };
    let store = Arc::new(store.with_webhooks(cli.alert_webhooks.clone()));
    let (mut tokens, generated) = match &cli.tokens {
        Some(path) => (Tokens::load(path)?, None),
        None => {
            let (t, token) = Tokens::kept_in(&token_file(&cli.db), cli.new_token)?;
            (t, Some(token))
        }
    };
    let catalog = peering_model::Catalog::embedded();
    let listener = tokio::net::TcpListener::bind(cli.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", cli.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let settings = Settings {
        static_dir: cli.static_dir.clone(),
        frame_ancestors: cli.frame_ancestors.clone(),
        body_limit: cli.body_limit,
        cors_origins: cli.cors_origins.clone(),
        rate_limit: cli.rate_limit,
        public_url: cli.public_url.clone(),
        request_timeout: Duration::from_secs(cli.request_timeout),
        header_timeout: Duration::from_secs(cli.header_timeout),
        max_connections: cli.max_connections as usize,
        drain_timeout: Duration::from_secs(cli.drain_timeout),
        csp_report_log: cli.csp_report_log.clone(),
        trusted_proxies: cli.trusted_proxies.clone(),
        // The console signs in from the browser: it fetches the provider's configuration and
        // tokens.
        connect_sources: cli
            .oidc_issuer
            .as_deref()
            .and_then(peering_server::auth::oidc::origin_of)
            .into_iter()
            .collect(),
        retention: peering_server::settings::Retention {
            latency_minute: cli.keep_latency_1m,
            latency_five_minutes: cli.keep_latency_5m,
            latency_hour: cli.keep_latency_1h,
            events_per_prefix: cli.keep_events,
            results_per_test: cli.keep_monitor_results,
            activity_secs: cli.keep_activity,
        },
        ..Settings::default()
    };
    settings.retention.check()?;
    let demo = cli.demo.then(peering_server::demo::Demo::default);
    if let Some(d) = &demo {
        tokens.add(d.grants());
    }
    if let (Some(issuer), Some(audience)) = (&cli.oidc_issuer, &cli.oidc_audience) {
        let verifier = Arc::new(peering_server::auth::oidc::Verifier::new(
            peering_server::auth::oidc::OidcConfig::new(issuer, audience),
        )?);
        // The keys are fetched now, so the first person to sign in does not wait for them; a
        // provider that is down is tried again when a token needs its keys.
        tokio::spawn({
            let v = verifier.clone();
            async move {
                v.refresh().await;
            }
        });
        tokens = tokens.with_oidc(verifier);
        println!("signing in with {issuer} (audience {audience})");
    }
    if let Some(path) = &cli.tokens {
        tokens.check_provider(path)?;
        reload_on_hangup(tokens.clone(), path.clone());
    }
    tokio::spawn(peering_server::alert_clock::run(
        store.clone(),
        peering_server::alert_clock::PERIOD,
    ));
    tokio::spawn(peering_server::activity_expiry::run(
        store.clone(),
        cli.keep_activity,
        peering_server::activity_expiry::PERIOD,
    ));
    if let Some(secret) = webhook_secret {
        let sender = peering_server::webhooks::Sender::new(secret);
        tokio::spawn(sender.run(store.clone()));
    }
    let state = Arc::new(AppState {
        store,
        tokens,
        settings: settings.clone(),
    });
    let router = app(state);
    if let Some(d) = demo {
        println!(
            "demo: simulated connections in subscription {} (resource group {}), with a simulated collector reporting every {} s",
            peering_server::demo::SUBSCRIPTION,
            peering_server::demo::RESOURCE_GROUP,
            peering_server::demo::TICK.as_secs()
        );
        tokio::spawn(d.run(router.clone()));
    }
    println!(
        "peering-server: database {shown_db}, catalog of {} countries and {} providers",
        catalog.countries.len(),
        catalog.providers.len()
    );
    if addr.ip().is_unspecified() && cli.public_url.is_none() {
        tracing::warn!(
            "listening on every interface without --public-url: nextLinks will name the address each client connected to; set --public-url to the address clients use"
        );
    }
    println!("listening on http://{addr}");
    // The generated token is a secret: printed for a person at a terminal, never into a log
    // file or a service manager's journal, which get the file that holds it instead.
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    match generated {
        Some(token) if terminal => println!("open http://{addr}/#token={token}"),
        Some(_) => println!(
            "open http://{addr}/#token=<the token in {}>",
            token_file(&cli.db).display()
        ),
        None => println!(
            "open http://{addr}/#token=<your token from {}>",
            cli.tokens
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ),
    }
    let drained = serve(listener, router, &settings, shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    match drained {
        Drained::All => tracing::info!("every request in flight finished; stopped"),
        Drained::TimedOut => tracing::warn!(
            "stopped after {} s with requests still in flight",
            cli.drain_timeout
        ),
    }
    Ok(())
}

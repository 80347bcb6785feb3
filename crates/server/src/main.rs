use clap::Parser;
use peering_server::auth::Tokens;
use peering_server::db::Db;
use peering_server::{app, AppState, Settings};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Peering Console server: the Microsoft.Peering ARM API over SQLite, and the built app.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// Address to listen on (use port 0 for any free port; the chosen one is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// SQLite database file; created and migrated on first start.
    #[arg(long, default_value = "peering.db")]
    db: PathBuf,
    /// Directory of the built app (Trunk's dist/) to serve at /.
    #[arg(long = "static")]
    static_dir: Option<PathBuf>,
    /// JSON file of access tokens: [{"token": "...", "subscriptions": ["*"] or [ids], "role": "contributor" | "reader"}].
    /// Without it, one contributor token for all subscriptions is generated and printed.
    #[arg(long)]
    tokens: Option<PathBuf>,
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
    /// Requests per second allowed per token (bursts up to the same number); more get 429 with
    /// Retry-After. Default: no limit.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    rate_limit: Option<u32>,
    /// The public base URL of the API, http(s)://host[:port][/path], used for every nextLink
    /// (for a server behind a reverse proxy that rewrites Host). Default: the request's Host
    /// header, with X-Forwarded-Proto when it says http or https.
    #[arg(long, value_parser = peering_server::parse_public_url)]
    public_url: Option<String>,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli).await {
        eprintln!("peering-server: {e}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), String> {
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
    let db = Db::open(&cli.db, 4)?;
    let (tokens, generated) = match &cli.tokens {
        Some(path) => (Tokens::load(path)?, None),
        None => {
            let (t, token) = Tokens::generate();
            (t, Some(token))
        }
    };
    let catalog = peering_model::Catalog::embedded();
    let listener = tokio::net::TcpListener::bind(cli.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", cli.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let state = Arc::new(AppState {
        db,
        tokens,
        settings: Settings {
            static_dir: cli.static_dir.clone(),
            frame_ancestors: cli.frame_ancestors.clone(),
            body_limit: cli.body_limit,
            cors_origins: cli.cors_origins.clone(),
            rate_limit: cli.rate_limit,
            public_url: cli.public_url.clone(),
            ..Settings::default()
        },
    });
    println!(
        "peering-server: database {}, catalog of {} countries and {} providers",
        cli.db.display(),
        catalog.countries.len(),
        catalog.providers.len()
    );
    println!("listening on http://{addr}");
    match generated {
        Some(token) => println!("open http://{addr}/#token={token}"),
        None => println!(
            "open http://{addr}/#token=<your token from {}>",
            cli.tokens
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ),
    }
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}

//! `cargo xtask <command>`: everything a fresh machine needs, in one place.
//!
//! * `setup` — installs the tools (idempotent; seconds when all are present)
//! * `run`   — setup, `dist`, then the server on 127.0.0.1:8080 with peering.db
//! * `dist`  — setup, then the release app in `dist/`, split into modules fetched when needed
//! * `lint`  — `cargo fmt --check`, clippy with `-D warnings` (native and wasm32), the tidy rules
//! * `test`  — setup, lint, then every test: cargo, browser (wasm-bindgen-test), Python SDK, end to end
//! * `e2e`   — only the end-to-end test (expects `dist/` and the server to be buildable)
//! * `bench` — `bench api` (load generator), `bench model` (criterion), `bench browser`
//! * `map`   — the map's boundaries into `public/map.json` (Trunk runs it before each build)

mod bench_nav;
mod compress;
mod dist;
mod e2e;
mod map;
mod setup;
mod tidy;
mod webdriver;

use setup::For;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("xtask lives in crates/xtask")
        .to_owned()
}

/// A command with the project's tools first on PATH.
pub fn cmd(program: &str) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root());
    c.env("PATH", setup::tool_path());
    c
}

pub fn run(c: &mut Command) -> Result<(), String> {
    let what = std::iter::once(c.get_program())
        .chain(c.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    eprintln!("xtask: {what}");
    let status = c
        .status()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("failed ({status}): {what}"))
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::setup(For::All).map(|_| ()),
        Some("run") => run_app(&args[1..]),
        Some("lint") => setup::setup(For::Build).and_then(|_| lint()),
        Some("test") => test_all(),
        Some("dist") => setup::setup(For::Build).and_then(|_| build_app()),
        Some("e2e") => setup::setup(For::Test)
            .and_then(|_| build_server())
            .and_then(|bin| e2e::run(&bin, &root().join("dist"))),
        Some("bench") => bench(args.get(1).map(String::as_str)),
        // Trunk's pre-build hook (Trunk.toml): the map's boundaries into public/map.json.
        Some("map") => map::build(&root().join("public/map.json")),
        _ => {
            eprintln!(
                "usage: cargo xtask <setup | run [--demo] | lint | test | dist | e2e | bench [api|telemetry|model|browser] | map>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The release app in `dist/`, split, with precompressed copies of its hashed files.
fn build_app() -> Result<(), String> {
    dist::build()
}

/// Builds the server with the `server` profile and returns the binary's path.
fn build_server() -> Result<PathBuf, String> {
    run(cmd("cargo").args(["build", "--profile", "server", "-p", "peering-server"]))?;
    Ok(root().join("target/server/peering-server"))
}

/// The newest modification time of anything under `path`.
fn newest(path: &Path) -> Option<std::time::SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| newest(&e.path()))
        .max()
}

/// Whether `dist/` was built after every input of the app changed (then the ~10 s of
/// `wasm-opt` that every `trunk build --release` spends can be skipped).
fn app_is_fresh() -> bool {
    let root = root();
    let Some(built) = newest(&root.join("dist/index.html")) else {
        return false;
    };
    let inputs = [
        "src",
        "style",
        "public",
        "index.html",
        "Trunk.toml",
        ".cargo/config.toml",
        "Cargo.toml",
        "Cargo.lock",
        "data",
        "crates/model/src",
        "crates/model/Cargo.toml",
        "crates/xtask/src/dist",
        "crates/xtask/src/compress.rs",
        "crates/xtask/src/map.rs",
        "crates/xtask/src/setup.rs",
    ];
    inputs
        .iter()
        .all(|i| newest(&root.join(i)).is_some_and(|t| t < built))
}

/// `cargo xtask run [--demo]`: the app on the embedded default (with `--demo`, the server's
/// simulated sites and collector as well).
fn run_app(extra: &[String]) -> Result<(), String> {
    if let Some(bad) = extra.iter().find(|a| *a != "--demo") {
        return Err(format!("run takes only --demo, not {bad}"));
    }
    let started = Instant::now();
    setup::setup(For::Build)?;
    if app_is_fresh() {
        eprintln!("xtask: dist/ is newer than every input of the app; not rebuilding it");
    } else {
        build_app()?;
    }
    let bin = build_server()?;
    eprintln!(
        "xtask: set up and built in {:.1} s; starting the server",
        started.elapsed().as_secs_f64()
    );
    run(cmd(bin.to_str().unwrap_or("peering-server"))
        .args([
            "--listen",
            "127.0.0.1:8080",
            "--db",
            "peering.db",
            "--static",
            "dist",
        ])
        .args(extra))
}

fn browser_env(c: &mut Command) -> &mut Command {
    c.env("CHROMEDRIVER", setup::CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120");
    if let Ok(tmp) = chromium_tmp() {
        c.env("TMPDIR", tmp);
    }
    c
}

/// Where chromedriver and Chromium keep their temporary files (`TMPDIR`): under `target/`,
/// removed after each browser run. A Chromium stopped by its driver leaves directories in the
/// system's `/tmp` (gigabytes over many runs); here they go with the run.
fn chromium_tmp() -> Result<PathBuf, String> {
    let dir = root().join("target/chromium-tmp");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

fn remove_chromium_tmp() {
    let _ = std::fs::remove_dir_all(root().join("target/chromium-tmp"));
}

/// The packages built for the browser (the app and the model), linted and tested for wasm32.
const WASM_PACKAGES: [&str; 4] = ["-p", "peering-console", "-p", "peering-model"];

/// The lint gate: formatting, clippy with every warning an error for the native and the
/// wasm32 targets, and the tidy rules.
fn lint() -> Result<(), String> {
    run(cmd("cargo").args(["fmt", "--all", "--check"]))?;
    run(cmd("cargo").args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cmd("cargo")
        .args(["clippy", "--target", "wasm32-unknown-unknown"])
        .args(WASM_PACKAGES)
        .args(["--all-targets", "--", "-D", "warnings"]))?;
    // The app as the release build compiles it (`--cfg split`: the split points of
    // src/lazy.rs become wasm-split's), with the flags and target directory of `dist`.
    run(cmd("cargo")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .args([
            "clippy",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "peering-console",
        ])
        .args([
            "--target-dir",
            "target/split",
            "--config",
            dist::SPLIT_RUSTFLAGS,
        ])
        .args(["--", "-D", "warnings"]))?;
    let problems = tidy::check(&root());
    if problems.is_empty() {
        eprintln!("xtask: tidy: every rule holds");
        Ok(())
    } else {
        Err(format!("tidy:\n{}", problems.join("\n")))
    }
}

fn test_all() -> Result<(), String> {
    setup::setup(For::Test)?;
    lint()?;
    // On SQLite, whatever the caller's environment says (the run on PostgreSQL follows).
    run(cmd("cargo")
        .args(["test", "--workspace"])
        .env_remove("PEERING_TEST_PG"))?;
    let browser_tests = run(browser_env(&mut cmd("cargo"))
        .args(["test", "--target", "wasm32-unknown-unknown"])
        .args(WASM_PACKAGES));
    remove_chromium_tmp();
    browser_tests?;
    let bin = build_server()?;
    sdk_tests(&bin, None)?;
    {
        // The black-box API suite and the SDK suite again, on a throw-away PostgreSQL
        // (each test makes a database of its own on it); stopped and removed when dropped.
        eprintln!("xtask: starting a throw-away PostgreSQL cluster");
        let cluster = peering_pgtest::PgCluster::start_with(300);
        let url = cluster.url();
        run(cmd("cargo")
            .args(["test", "-p", "peering-server", "--test", "api"])
            .env("PEERING_TEST_PG", &url))?;
        sdk_tests(&bin, Some(&url))?;
    }
    build_app()?;
    e2e::run(&bin, &root().join("dist"))?;
    eprintln!("xtask: all tests passed");
    Ok(())
}

/// The official Python SDK (`azure-mgmt-peering`) against the real server, on SQLite or (with
/// `postgres`, a server's URL) on PostgreSQL.
fn sdk_tests(server: &Path, postgres: Option<&str>) -> Result<(), String> {
    let suite = root().join("crates/server/tests/sdk");
    if !suite.join("requirements.txt").exists() {
        return Err(format!("the SDK suite is missing at {}", suite.display()));
    }
    let venv = root().join(".venv");
    if !venv.join("bin/pip").exists() {
        // A half-made venv (say, from a run before python3-venv was installed) is replaced.
        let _ = std::fs::remove_dir_all(&venv);
        run(cmd("python3").args(["-m", "venv", ".venv"]))?;
    }
    let pip = venv.join("bin/pip");
    run(cmd(pip.to_str().unwrap())
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(suite.join("requirements.txt")))?;
    let mut pytest = cmd(venv.join("bin/pytest").to_str().unwrap());
    pytest
        .arg("-q")
        .arg(&suite)
        .env("PEERING_SERVER_BIN", server);
    match postgres {
        Some(url) => pytest.env("PEERING_TEST_PG", url),
        None => pytest.env_remove("PEERING_TEST_PG"),
    };
    run(&mut pytest)
}

fn bench(what: Option<&str>) -> Result<(), String> {
    // The browser benchmark's baseline is Trunk's unsplit build; the others need the tests' tools.
    setup::setup(if what == Some("browser") {
        For::All
    } else {
        For::Test
    })?;
    match what {
        Some("api") => run(cmd("cargo").args([
            "run",
            "--profile",
            "server",
            "-p",
            "peering-server",
            "--example",
            "loadgen",
        ])),
        Some("telemetry") => run(cmd("cargo").args([
            "run",
            "--profile",
            "server",
            "-p",
            "peering-server",
            "--example",
            "telemetry_bench",
        ])),
        Some("model") => run(cmd("cargo").args(["bench", "-p", "peering-model"])),
        Some("browser") => {
            // The model's 10,000-row import, then the app's list at 10,000 connections.
            for (package, test) in [
                ("peering-model", "bench_wasm"),
                ("peering-console", "bench_list"),
            ] {
                run(browser_env(&mut cmd("cargo")).args([
                    "test",
                    "--release",
                    "--target",
                    "wasm32-unknown-unknown",
                    "-p",
                    package,
                    "--test",
                    test,
                    "--",
                    "--nocapture",
                ]))?;
            }
            // Then a navigation to the list served by the real server, at 1,000 and 10,000
            // connections stored.
            let bin = build_server()?;
            build_app()?;
            // The baseline: the same commit unsplit, as `trunk build --release` makes it.
            let unsplit = root().join("target/unsplit-dist");
            run(cmd("trunk")
                .args(["build", "--release", "--dist"])
                .arg(&unsplit))?;
            compress::precompress(&unsplit)?;
            bench_nav::run_all(
                &bin,
                &[
                    ("split (cargo xtask dist)", &root().join("dist")),
                    ("unsplit (trunk build --release)", &unsplit),
                ],
            )
        }
        _ => Err("bench what? api | telemetry | model | browser".into()),
    }
}

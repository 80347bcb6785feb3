//! Installs, idempotently, the tools the project needs on a machine that has rustup, Node/npm
//! and apt. Each step first checks what is there and skips it when the version is right. Each
//! command asks only for what it uses ([`For`]), so a first `cargo xtask run` compiles no Trunk
//! and installs no browser or database.

use crate::{root, run};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

pub const TRUNK_VERSION: &str = "0.21.14";
/// Must equal the `=` pin of `wasm-bindgen` in Cargo.toml (checked by a test below).
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";
pub const BINARYEN_VERSION: &str = "132.0.0";
/// The splitter of the release build (`dist/mod.rs`): `wasm-split-cli` of the crate
/// `wasm_split_cli_support`. Its 0.2 line reads what the runtime in the lock file,
/// `wasm_split_helpers` 0.2 (through Leptos), marks (checked by a test below).
pub const WASM_SPLIT_VERSION: &str = "0.2.4";
/// What npm puts in the ignored `.tools/` for building the app, at exact versions: `wasm-opt`
/// (binaryen) for the release build and the public-domain boundaries the map is drawn from
/// (`world-atlas`: Natural Earth; `us-atlas`: US Census).
pub const NPM_BUILD_PACKAGES: [(&str, &str); 3] = [
    ("binaryen", BINARYEN_VERSION),
    ("world-atlas", "2.0.2"),
    ("us-atlas", "3.0.1"),
];
/// What the tests add: `axe-core`, injected into the end-to-end browser session, and
/// `oidc-provider`, the OpenID Provider the sign-in tests start on loopback.
pub const NPM_TEST_PACKAGES: [(&str, &str); 2] =
    [("axe-core", "4.11.0"), ("oidc-provider", "9.13.3")];

/// What a command needs installed; each includes the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum For {
    /// Building and serving the app (`run`, `dist`, `lint`): the wasm target, wasm-bindgen,
    /// wasm-split, wasm-opt and the map's sources.
    Build,
    /// Every suite (`test`, `e2e`): Chromium, PostgreSQL, Python's venv, the test npm packages.
    Test,
    /// Everything, Trunk included: `cargo xtask setup` (for `trunk serve`) and the browser
    /// benchmark, whose baseline is Trunk's unsplit build.
    All,
}
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// PATH with the project's npm tools (wasm-opt) and cargo's bin first.
pub fn tool_path() -> String {
    let mut parts = vec![root()
        .join(".tools/node_modules/.bin")
        .display()
        .to_string()];
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    if let Some(home) = cargo_home {
        parts.push(home.join("bin").display().to_string());
    }
    parts.push(std::env::var("PATH").unwrap_or_default());
    parts.join(":")
}

fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .env("PATH", tool_path())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn have_version(program: &str, version: &str) -> bool {
    output(program, &["--version"]).is_some_and(|v| {
        v.split_whitespace()
            .any(|w| w.trim_start_matches('v') == version)
    })
}

fn apt_install(packages: &[&str]) -> Result<(), String> {
    let root_user = output("id", &["-u"]).is_some_and(|u| u.trim() == "0");
    let apt = |args: &[&str]| {
        let mut c = if root_user {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    let mut install = apt(&["install", "-y", "--no-install-recommends"]);
    install.args(packages);
    if run(&mut install).is_ok() {
        return Ok(());
    }
    run(&mut apt(&["update"]))?;
    let mut install = apt(&["install", "-y", "--no-install-recommends"]);
    install.args(packages);
    run(&mut install)
}

/// Installs what `need` asks for; returns whether anything had to be installed.
pub fn setup(need: For) -> Result<bool, String> {
    let started = Instant::now();
    let mut installed = Vec::new();

    let targets = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
        installed.push("wasm32-unknown-unknown target");
    }
    if need >= For::All && !have_version("trunk", TRUNK_VERSION) {
        run(Command::new("cargo").args([
            "install",
            "--locked",
            &format!("trunk@{TRUNK_VERSION}"),
        ]))?;
        installed.push("trunk");
    }
    if !have_version("wasm-bindgen", WASM_BINDGEN_VERSION)
        || !have_version("wasm-bindgen-test-runner", WASM_BINDGEN_VERSION)
    {
        // Not --locked: a dependency version its lock file names is missing from the registry.
        run(Command::new("cargo").args([
            "install",
            "--force",
            "wasm-bindgen-cli",
            "--version",
            WASM_BINDGEN_VERSION,
        ]))?;
        installed.push("wasm-bindgen-cli");
    }
    let listed = output("cargo", &["install", "--list"]).unwrap_or_default();
    let split_line = format!("wasm_split_cli_support v{WASM_SPLIT_VERSION}:");
    if !listed.lines().any(|l| l.trim() == split_line)
        || output("wasm-split-cli", &["--help"]).is_none()
    {
        run(Command::new("cargo").args([
            "install",
            "--locked",
            "--force",
            &format!("wasm_split_cli_support@{WASM_SPLIT_VERSION}"),
            "--features",
            "build-binary",
        ]))?;
        installed.push("wasm-split-cli");
    }
    let tools = root().join(".tools");
    let packages: Vec<(&str, &str)> = NPM_BUILD_PACKAGES
        .iter()
        .chain(if need >= For::Test {
            &NPM_TEST_PACKAGES[..]
        } else {
            &[]
        })
        .copied()
        .collect();
    let missing = packages.iter().any(|(name, version)| {
        !std::fs::read_to_string(tools.join(format!("node_modules/{name}/package.json")))
            .is_ok_and(|p| p.contains(&format!("\"version\": \"{version}\"")))
    });
    if missing || !tools.join("node_modules/.bin/wasm-opt").exists() {
        std::fs::create_dir_all(&tools)
            .map_err(|e| format!("cannot create {}: {e}", tools.display()))?;
        // npm keeps what `.tools/package.json` already lists, so a build-only install after a
        // test install removes nothing.
        let named: Vec<String> = packages
            .iter()
            .map(|(name, version)| format!("{name}@{version}"))
            .collect();
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&tools)
            .args(&named))?;
        installed.push("npm tools");
    }
    if need < For::Test {
        return Ok(report(started, &installed));
    }
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        apt_install(&["chromium", "chromium-driver"])?;
        installed.push("chromium + chromedriver");
    }
    // The PostgreSQL tests start throw-away clusters with Debian's server binaries.
    if peering_pgtest::bin_dir().is_none() {
        apt_install(&["postgresql"])?;
        installed.push("postgresql");
    }
    // Debian's python3 has no ensurepip without python3-venv; the SDK tests need a venv.
    let venv_ok = Command::new("python3")
        .args(["-c", "import ensurepip, venv"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !venv_ok {
        apt_install(&["python3-venv"])?;
        installed.push("python3-venv");
    }
    Ok(report(started, &installed))
}

/// Says what was installed (or that nothing had to be); whether anything was.
fn report(started: Instant, installed: &[&str]) -> bool {
    if installed.is_empty() {
        eprintln!(
            "xtask setup: every tool is present ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
    } else {
        eprintln!(
            "xtask setup: installed {} in {:.0} s",
            installed.join(", "),
            started.elapsed().as_secs_f64()
        );
    }
    !installed.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_splitter_reads_what_the_locked_runtime_marks() {
        let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
        let runtime = lock
            .split("name = \"wasm_split_helpers\"\nversion = \"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("wasm_split_helpers is in Cargo.lock");
        let minor = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
        assert_eq!(minor(runtime), minor(WASM_SPLIT_VERSION));
    }

    #[test]
    fn wasm_bindgen_pin_matches_the_cli_we_install() {
        let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains(&format!("wasm-bindgen = \"={WASM_BINDGEN_VERSION}\"")),
            "Cargo.toml pins another wasm-bindgen than xtask installs"
        );
        let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
        assert!(lock.contains(&format!(
            "name = \"wasm-bindgen\"\nversion = \"{WASM_BINDGEN_VERSION}\""
        )));
    }
}

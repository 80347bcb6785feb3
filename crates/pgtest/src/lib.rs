//! A throw-away PostgreSQL cluster for a test: made with Debian's `initdb` in a temporary
//! directory, listening on a free loopback port, stopped and removed when dropped. As root,
//! the server binaries run as the `postgres` user (initdb refuses root). `cargo xtask setup`
//! installs the `postgresql` package when its binaries are missing.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    pub port: u16,
}

/// The directory of Debian's PostgreSQL server binaries (`initdb`, `pg_ctl`), the newest
/// version installed; None when there is none (`cargo xtask setup` installs them).
pub fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

impl PgCluster {
    /// A cluster allowing 60 connections.
    pub fn start() -> PgCluster {
        PgCluster::start_with(60)
    }

    /// A cluster allowing `max_connections` connections, without `fsync` (a test's data need
    /// not survive a power cut).
    pub fn start_with(max_connections: u32) -> PgCluster {
        PgCluster::start_as(max_connections, false, None)
    }

    /// A cluster that syncs its commits to disk as a production one does (`fsync=on`,
    /// `synchronous_commit=on`): for benchmarks set beside SQLite's `synchronous=FULL`.
    pub fn start_durable(max_connections: u32) -> PgCluster {
        PgCluster::start_as(max_connections, true, None)
    }

    /// A cluster that also accepts TLS, with this certificate and key (PEM).
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> PgCluster {
        PgCluster::start_as(60, false, Some((cert_pem, key_pem)))
    }

    fn start_as(max_connections: u32, durable: bool, tls: Option<(&str, &str)>) -> PgCluster {
        let dir = tempfile::tempdir().unwrap();
        let as_postgres = is_root();
        if as_postgres {
            let ok = Command::new("chown")
                .arg("postgres:")
                .arg(dir.path())
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown postgres {}", dir.path().display());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let c = PgCluster {
            bin: bin_dir().expect(
                "PostgreSQL is not installed: cargo xtask setup installs Debian's postgresql",
            ),
            as_postgres,
            port,
            dir,
        };
        let data = c.data();
        c.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let fsync = if durable { "on" } else { "off" };
        let mut options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync={fsync} -c max_connections={max_connections}",
            c.dir.path().display()
        );
        if let Some((cert, key)) = tls {
            // The key must be the server user's and private to it.
            let (cert_file, key_file) = (
                c.dir.path().join("server.crt"),
                c.dir.path().join("server.key"),
            );
            std::fs::write(&cert_file, cert).unwrap();
            std::fs::write(&key_file, key).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
            if c.as_postgres {
                for f in [&cert_file, &key_file] {
                    assert!(Command::new("chown")
                        .arg("postgres:")
                        .arg(f)
                        .status()
                        .unwrap()
                        .success());
                }
            }
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                cert_file.display(),
                key_file.display()
            ));
        }
        let log = c.dir.path().join("server.log");
        c.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
        c
    }

    /// Stops the server (dropping every connection, as a crash or a failover would) and starts
    /// it again on the same data and port.
    pub fn restart(&self) {
        let (data, log) = (self.data(), self.dir.path().join("server.log"));
        // The log again: without it the new server would write to pg_ctl's stdout, a pipe
        // that then never closes.
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "restart",
            ],
        );
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A server binary's command, run as `postgres` when this process is root.
    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self
            .command(tool)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
    }

    /// The URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl")
            .args([
                "-D",
                data.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ])
            .output();
    }
}

//! A throwaway PostgreSQL cluster for integration tests: a real `postgres` that the harness starts itself.
//!
//! [`cluster()`] lazily starts ONE cluster per test process: `initdb` into a fresh temp dir, a random free port,
//! listening on 127.0.0.1 only, readiness via `pg_ctl -w` (no sleeps, no polling here). Every test then takes its own
//! empty database from [`TestPostgres::fresh_database`], so tests stay isolated while sharing one server. A test
//! that reconfigures its server (turns TLS on) takes [`separate_cluster()`] instead, a second one started the same
//! way, so the shared one keeps its settings.
//!
//! Cleanup without `Drop` (statics are never dropped): a small supervising `sh` ([`SUPERVISOR`]) creates the temp
//! dir, runs initdb and starts the server; its stdin is a pipe whose only write end lives in the static below. When
//! the test process ends (normally, on panic, or killed, at any stage of the start-up) the kernel closes that pipe,
//! the supervisor sees end-of-file, stops the server (`pg_ctl -m immediate stop`) and deletes the temp dir. No
//! cluster outlives its test binary (gone ~0.2 s after it exits). The supervisor runs in its own process group, so
//! a Ctrl-C at the terminal kills the test binary but not the cleanup.
//!
//! The temp dir lives on `/dev/shm` when that is a roomy RAM disk (see [`temp_base`]; override with
//! `$ANIP_TEST_PG_TMPDIR`), else under the system temp dir.
//!
//! Binaries: `$ANIP_TEST_PG_BIN` (a bin dir), else the newest `/usr/lib/postgresql/*/bin` holding `initdb`, else
//! `initdb` on `PATH`. `initdb` and `postgres` refuse to run as root, so as root the cluster's commands run as the OS
//! user `postgres` (created by the Debian package) through `runuser`, and the temp dir is chowned to it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const INSTALL_HINT: &str = "install PostgreSQL (Debian/Ubuntu: `apt-get install -y postgresql`; .ci/run does this) \
                            or set ANIP_TEST_PG_BIN to a directory holding initdb, pg_ctl, postgres and psql";

/// How many random ports to try when the one picked is taken between probing and binding.
const PORT_TRIES: usize = 5;

/// The supervisor: owns the cluster's whole life, so a test process dying at ANY point (even during initdb) still
/// leaves nothing behind. Arguments: bin dir, base dir for the temp dir, "1" if running as root.
///
/// Protocol on stdout (one line each): `dir <path>`, then `initialized` (or `failed`); then for each port the
/// test process writes to stdin, `ready` (or `failed`, after which it waits for another port). After `ready`, or
/// whenever stdin reaches end-of-file (the test process closed it or exited), it stops the server and removes the
/// temp dir. Its stderr goes to `<dir>/supervisor.log`.
const SUPERVISOR: &str = r#"
set -u
bin=$1 base=$2 root=$3
trap '' PIPE
pg() { if [ "$root" = 1 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
dir=$(mktemp -d "$base/anip-test-pg-XXXXXXXX" 2>&1) || { echo "failed: mktemp: $dir"; exit 1; }
exec 2>>"$dir/supervisor.log"
echo "dir $dir"
cleanup() {
    pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
    rm -rf "$dir"
}
fail() { echo failed; cat >/dev/null; cleanup; exit 1; }
mkdir "$dir/sock" || fail
if [ "$root" = 1 ]; then chown -R postgres "$dir" || fail; fi
ni=
if "$bin/initdb" --help 2>/dev/null | grep -q -- --no-instructions; then ni=--no-instructions; fi
pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync $ni >&2 || fail
echo initialized
while read -r port; do
    opts="-p $port -c listen_addresses=127.0.0.1 -k '$dir/sock' -c fsync=off -c synchronous_commit=off"
    opts="$opts -c full_page_writes=off -c max_connections=200"
    if pg "$bin/pg_ctl" -D "$dir/data" -o "$opts" -w -t 60 -l "$dir/postgres.log" start >&2; then
        echo ready
        exec >/dev/null
        cat >/dev/null
        break
    fi
    pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
    echo failed
done
cleanup
"#;

/// A test cluster, [`cluster()`] or [`separate_cluster()`] (see the module docs).
#[derive(Debug)]
pub(crate) struct TestPostgres {
    port: u16,
    bin_dir: PathBuf,
    dir: PathBuf,
    started_in: Duration,
    /// `STRATEGY FILE_COPY` on PostgreSQL 15+: for a tiny database it beats the default, WAL_LOG (~25 ms vs ~40 ms).
    create_database_suffix: &'static str,
    /// Never written to and never closed by us: the kernel closes it when the process exits, which is the
    /// supervisor's signal to stop the server and delete `dir`.
    lifeline: ChildStdin,
    supervisor: Child,
}

static CLUSTER: OnceLock<Result<TestPostgres, String>> = OnceLock::new();
static SEPARATE_CLUSTER: OnceLock<Result<TestPostgres, String>> = OnceLock::new();
static NEXT_DATABASE: AtomicU64 = AtomicU64::new(0);

/// The test process's cluster, started on first use. Panics (in every test that asks) if it cannot be started;
/// a failed start is not retried.
pub(crate) fn cluster() -> &'static TestPostgres {
    match try_cluster() {
        Ok(cluster) => cluster,
        Err(e) => panic!("test PostgreSQL cluster unavailable: {e}"),
    }
}

/// Like [`cluster()`], but returns the reason instead of panicking.
pub(crate) fn try_cluster() -> Result<&'static TestPostgres, String> {
    CLUSTER
        .get_or_init(TestPostgres::start)
        .as_ref()
        .map_err(Clone::clone)
}

/// A second cluster of the test process, apart from [`cluster()`], for a test that changes its server's settings
/// (which the tests sharing [`cluster()`] must never see). Started on first use; panics like [`cluster()`].
pub(crate) fn separate_cluster() -> &'static TestPostgres {
    match SEPARATE_CLUSTER.get_or_init(TestPostgres::start) {
        Ok(cluster) => cluster,
        Err(e) => panic!("separate test PostgreSQL cluster unavailable: {e}"),
    }
}

impl TestPostgres {
    /// The TCP port the server listens on (127.0.0.1 only).
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The superuser's URL for the maintenance database `postgres`.
    pub(crate) fn admin_url(&self) -> String {
        self.url("postgres")
    }

    /// The superuser's URL for `database` on this cluster (trust auth, no password).
    pub(crate) fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// How long starting the cluster took (initdb plus server start).
    pub(crate) fn started_in(&self) -> Duration {
        self.started_in
    }

    /// The server's log file (useful in a failing test's message).
    pub(crate) fn server_log(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    /// The directory of the cluster's binaries (`psql`, `pg_dump`, ...).
    pub(crate) fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// Creates a brand-new, empty database with a unique name and returns its `postgres://` URL. Blocking (one
    /// `psql` run, tens of milliseconds); fine to call at the top of a `#[tokio::test]`.
    pub(crate) fn fresh_database(&self) -> String {
        match self.try_fresh_database() {
            Ok(url) => url,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`Self::fresh_database`], but returns the reason instead of panicking.
    pub(crate) fn try_fresh_database(&self) -> Result<String, String> {
        let n = NEXT_DATABASE.fetch_add(1, Ordering::Relaxed);
        let name = format!("anip_test_{}_{n}", std::process::id());
        let sql = format!("CREATE DATABASE {name}{}", self.create_database_suffix);
        self.psql(&self.admin_url(), &sql)
            .map_err(|e| format!("creating test database {name}: {e}"))?;
        Ok(self.url(&name))
    }

    /// Runs `sql` through the cluster's own `psql` against `url` and returns its unaligned, tuples-only output
    /// (one row per line, columns separated by `|`), trimmed at the end.
    pub(crate) fn psql(&self, url: &str, sql: &str) -> Result<String, String> {
        let output = Command::new(self.bin_dir.join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                url,
                "-c",
                sql,
            ])
            .env("PGCONNECT_TIMEOUT", "10")
            .env_remove("PGOPTIONS")
            .env_remove("PGSERVICE")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("running psql from {}: {e}", self.bin_dir.display()))?;
        if !output.status.success() {
            return Err(format!(
                "psql -c {sql:?} on {url} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_owned())
    }

    fn start() -> Result<Self, String> {
        let began = Instant::now();
        let bin_dir = find_bin_dir()?;
        for tool in ["initdb", "pg_ctl", "postgres", "psql"] {
            if !bin_dir.join(tool).is_file() {
                return Err(format!(
                    "{} has no {tool}; {INSTALL_HINT}",
                    bin_dir.display()
                ));
            }
        }
        let as_root = running_as_root()?;
        if as_root {
            let has_user = Command::new("id")
                .args(["-u", "postgres"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !has_user {
                return Err(format!(
                    "running as root, so the cluster must run as OS user `postgres`, which does not exist; \
                     {INSTALL_HINT}, or run the tests as a non-root user"
                ));
            }
        }
        let base = temp_base();
        if base.to_string_lossy().contains(['\'', '"', '\\', ' ']) {
            return Err(format!(
                "temp dir base {} contains a quote, backslash or space; set ANIP_TEST_PG_TMPDIR",
                base.display()
            ));
        }

        let mut supervisor = Command::new("sh")
            .arg("-c")
            .arg(SUPERVISOR)
            .arg("anip-test-postgres")
            .arg(&bin_dir)
            .arg(&base)
            .arg(if as_root { "1" } else { "0" })
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("spawning the supervising sh: {e}"))?;
        let (Some(lifeline), Some(stdout)) = (supervisor.stdin.take(), supervisor.stdout.take())
        else {
            return Err("supervisor spawned without pipes".to_owned());
        };
        let mut starting = Starting {
            supervisor,
            lifeline,
            stdout: BufReader::new(stdout),
            dir: PathBuf::new(),
        };
        let started = starting.run();
        match started {
            Ok(port) => {
                let Starting {
                    supervisor,
                    lifeline,
                    dir,
                    ..
                } = starting;
                let mut cluster = TestPostgres {
                    port,
                    bin_dir,
                    dir,
                    started_in: Duration::ZERO,
                    create_database_suffix: "",
                    lifeline,
                    supervisor,
                };
                let version = cluster.psql(&cluster.admin_url(), "SHOW server_version_num")?;
                if version.parse::<u32>().is_ok_and(|v| v >= 150_000) {
                    cluster.create_database_suffix = " STRATEGY FILE_COPY";
                }
                cluster.started_in = began.elapsed();
                Ok(cluster)
            }
            Err(e) => {
                // Closing the lifeline makes the supervisor stop whatever runs and delete the temp dir.
                let Starting {
                    mut supervisor,
                    lifeline,
                    ..
                } = starting;
                drop(lifeline);
                let _ = supervisor.wait();
                Err(e)
            }
        }
    }
}

/// The test process's side of the supervisor protocol (see [`SUPERVISOR`]) until the server is ready.
struct Starting {
    supervisor: Child,
    lifeline: ChildStdin,
    stdout: BufReader<ChildStdout>,
    dir: PathBuf,
}

impl Starting {
    /// Returns the port of the ready server.
    fn run(&mut self) -> Result<u16, String> {
        let line = self.line();
        let Some(dir) = line.strip_prefix("dir ") else {
            return Err(format!(
                "the supervising sh did not create a temp dir: {line:?}"
            ));
        };
        self.dir = PathBuf::from(dir);
        // Blocks for initdb (about half a second).
        let line = self.line();
        if line != "initialized" {
            return Err(format!("initdb failed ({line:?}):\n{}", self.logs(0)));
        }
        let server_log = self.dir.join("postgres.log");
        let mut error = String::new();
        for _ in 0..PORT_TRIES {
            let port = free_port()?;
            let log_offset = fs::metadata(&server_log).map_or(0, |m| m.len());
            writeln!(self.lifeline, "{port}")
                .and_then(|()| self.lifeline.flush())
                .map_err(|e| format!("talking to the supervising sh: {e}"))?;
            // Blocks until `pg_ctl -w start` returns: ready, failed, or its own 60 s timeout.
            let line = self.line();
            if line == "ready" {
                return Ok(port);
            }
            let server_said = read_from(&server_log, log_offset);
            error = format!(
                "postgres did not start on port {port} ({line:?}):\n{}",
                self.logs(log_offset)
            );
            if !(server_said.contains("Address already in use")
                || server_said.contains("could not bind"))
            {
                break;
            }
        }
        Err(error)
    }

    /// The supervisor's next stdout line, trimmed; empty at end-of-file.
    fn line(&mut self) -> String {
        let mut line = String::new();
        let _ = self.stdout.read_line(&mut line);
        line.trim().to_owned()
    }

    /// The tails of the server log (from `server_offset`) and of the supervisor's log.
    fn logs(&self, server_offset: u64) -> String {
        let server_log = self.dir.join("postgres.log");
        let supervisor_log = self.dir.join("supervisor.log");
        format!(
            "--- {} (tail) ---\n{}\n--- {} (tail; initdb and pg_ctl output) ---\n{}",
            server_log.display(),
            tail(&read_from(&server_log, server_offset)),
            supervisor_log.display(),
            tail(&read_from(&supervisor_log, 0))
        )
    }
}

/// `$ANIP_TEST_PG_BIN`, else the newest `/usr/lib/postgresql/<version>/bin` with initdb, else initdb's dir on PATH.
fn find_bin_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("ANIP_TEST_PG_BIN") {
        let dir = PathBuf::from(dir);
        if dir.join("initdb").is_file() {
            return Ok(dir);
        }
        return Err(format!(
            "ANIP_TEST_PG_BIN={} holds no initdb; {INSTALL_HINT}",
            dir.display()
        ));
    }
    let mut versions: Vec<(Vec<u32>, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let version = name
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<Vec<u32>>>()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|dir| dir.join("initdb").is_file())
        .ok_or_else(|| format!("no PostgreSQL server binaries found (no /usr/lib/postgresql/*/bin/initdb, no initdb on PATH); {INSTALL_HINT}"))
}

fn running_as_root() -> Result<bool, String> {
    let out = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| format!("running `id -u`: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Where the cluster's temp dir goes: `$ANIP_TEST_PG_TMPDIR`, else `/dev/shm` when it is a RAM disk with at least
/// 1 GiB free, else the system temp dir. RAM matters: on a disk mounted with `discard` (this project's CI VMs),
/// initdb takes ~1.6 s instead of ~0.4 s and each CREATE DATABASE ~330 ms instead of ~25 ms.
fn temp_base() -> PathBuf {
    if let Some(dir) = std::env::var_os("ANIP_TEST_PG_TMPDIR") {
        return PathBuf::from(dir);
    }
    let shm = Path::new("/dev/shm");
    let free_kib = Command::new("df")
        .args(["-Pk", "/dev/shm"])
        .stderr(Stdio::null())
        .output()
        .ok()
        .and_then(|out| {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.lines()
                .nth(1)?
                .split_whitespace()
                .nth(3)?
                .parse::<u64>()
                .ok()
        });
    if shm.is_dir() && free_kib.is_some_and(|kib| kib >= 1024 * 1024) {
        return shm.to_owned();
    }
    std::env::temp_dir()
}

/// A port that was free on 127.0.0.1 a moment ago (the listener is dropped before postgres binds it).
fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

fn read_from(path: &Path, offset: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path) {
        let _ = file.seek(SeekFrom::Start(offset));
        let mut bytes = Vec::new();
        let _ = file.read_to_end(&mut bytes);
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    text
}

/// The last 20 lines of `text`.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

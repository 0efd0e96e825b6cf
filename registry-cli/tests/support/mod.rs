//! Test support: a real registry served in-process, a rewriting HTTP proxy in front of it, and a runner for the
//! built `registry` binary.

pub mod proxy;
pub mod pump;
pub mod tls;

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser as _;
use registry_server::config::Config;
use serde_json::Value;
use tokio::sync::oneshot;

pub use proxy::{Answer, Proxy};
pub use pump::Pump;

/// The publish token every test registry accepts.
pub const TOKEN: &str = "cli-test-publish-token-0123456789abcdef-0123456789";

/// The admin token every test registry accepts.
pub const ADMIN_TOKEN: &str = "cli-test-admin-token-0123456789abcdef-0123456789";

/// A registry served in-process on `127.0.0.1:0` over a SQLite file in a temp dir, on its own tokio runtime (kept
/// alive as long as this value).
pub struct Registry {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The address it listens on.
    pub addr: std::net::SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    runtime: Option<tokio::runtime::Runtime>,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// Starts a fresh registry (dev mode, the public development key, publish token [`TOKEN`]) with `extra` server
    /// arguments.
    pub fn start_with(extra: &[&str]) -> Registry {
        Self::start_in(tempfile::tempdir().unwrap(), extra)
    }

    /// Stops this registry and starts it again on the same store (a new port).
    pub fn restart(mut self, extra: &[&str]) -> Registry {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(std::time::Duration::from_secs(10));
        }
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir().unwrap());
        Self::start_in(dir, extra)
    }

    /// The `sqlite://` URL of its store (to change rows behind its back).
    pub fn database_url(&self) -> String {
        format!(
            "sqlite://{}",
            self._dir.path().join("registry.db").display()
        )
    }

    fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> Registry {
        registry_server::telemetry::init_for_test();
        let database_url = format!("sqlite://{}", dir.path().join("registry.db").display());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut args = vec![
            "registry-server",
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            &database_url,
            "--publish-token",
            TOKEN,
            "--admin-token",
            ADMIN_TOKEN,
            "--log-format",
            "text",
            // Tests here refuse tokens many times over (50 wrong-token publishes in a row); the failed-auth limit
            // is the server's own tests' subject.
            "--auth-failures-per-minute",
            "0",
        ];
        args.extend_from_slice(extra);
        let settings = Config::try_parse_from(args).unwrap().settings().unwrap();
        let (state, listener) = runtime.block_on(async {
            let state = registry_server::prepare(settings).await.unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            (state, listener)
        });
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        runtime.spawn(async move {
            registry_server::run(state, listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Registry {
            base: format!("http://{addr}"),
            addr,
            shutdown: Some(tx),
            runtime: Some(runtime),
            _dir: dir,
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A test's world: a registry and a scratch directory.
pub struct World {
    /// The registry.
    pub registry: Registry,
    /// Scratch files.
    pub dir: tempfile::TempDir,
}

impl World {
    /// A fresh registry and scratch directory.
    pub fn new() -> World {
        Self::with(&[])
    }

    /// Like [`new`](Self::new) with extra server arguments.
    pub fn with(extra: &[&str]) -> World {
        World {
            registry: Registry::start_with(extra),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A path in the scratch directory, as a string.
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Writes `bytes` to a scratch file and returns its path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Writes the demo publish request for `id@version` to a scratch file and returns its path.
    pub fn demo_request(&self, id: &str, version: &str) -> String {
        let request = registry_server::demo::demo_request(id, version).unwrap();
        self.write(
            &format!("{id}-{version}-request.json"),
            &serde_json::to_vec_pretty(&request).unwrap(),
        )
    }

    /// Publishes the demo package as `id@version` with the binary itself, asserting success.
    pub fn publish_demo(&self, id: &str, version: &str) {
        let request = self.demo_request(id, version);
        let run = cli(&[
            "publish",
            &request,
            "--registry-url",
            &self.registry.base,
            "--token",
            TOKEN,
        ]);
        run.assert_code(0);
        run.assert_stdout_contains(&format!("published {id}@{version}"));
    }
}

/// The path of a fixture under `tests/fixtures/anip/`.
pub fn fixture(relative: &str) -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/anip"
    ))
    .join(relative)
}

/// A fixture's JSON.
pub fn fixture_json(relative: &str) -> Value {
    serde_json::from_slice(&std::fs::read(fixture(relative)).unwrap()).unwrap()
}

/// A finished run of the binary.
#[derive(Debug)]
pub struct Run {
    /// The arguments, for messages.
    pub args: Vec<String>,
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `registry <args>` with no registry URL or token from the environment and no colour.
pub fn cli(args: &[&str]) -> Run {
    cli_with_env(args, &[("NO_COLOR", "1")])
}

thread_local! {
    /// Each test thread's own state directory (the log checkpoints seen), so that tests never meet in one another's
    /// state (nor in the user's); tests of registries sharing an origin on purpose pass their own.
    static STATE_HOME: tempfile::TempDir = tempfile::tempdir().unwrap();
}

/// The binary, with no registry URL, token, colour setting or config file from the test's environment, and the
/// test thread's own `XDG_STATE_HOME` (a test may pass another one in `env`).
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_registry"));
    STATE_HOME.with(|dir| {
        command.env("XDG_STATE_HOME", dir.path());
    });
    for name in [
        "ANIP_REGISTRY_URL",
        "ANIP_REGISTRY_PUBLISH_TOKEN",
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "ANIP_REGISTRY_TRUSTED_KEYS",
        "ANIP_REGISTRY_FORMAT",
        "XDG_CONFIG_HOME",
        "ANIP_REGISTRY_CA_FILE",
    ] {
        command.env_remove(name);
    }
    // No test reads or writes the credentials of whoever runs it, nor an admin token of theirs.
    command.env(
        "ANIP_REGISTRY_CREDENTIALS",
        "/nonexistent/anip-registry-test/credentials.json",
    );
    command.env_remove("ANIP_REGISTRY_ADMIN_TOKEN");
    // No config file from the machine running the tests (a test that wants one sets ANIP_REGISTRY_CONFIG).
    command.env("ANIP_REGISTRY_CONFIG", "");
    command
}

/// Runs `registry <args>` with exactly `env` set of the variables [`command`] removes.
pub fn cli_with_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = command()
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Run {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "registry {}\n--- exit {} ---\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }

    /// Asserts the exit code.
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "wrong exit code:\n{}", self.describe());
        self
    }

    /// Asserts stderr contains `needle`.
    pub fn assert_stderr_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr does not contain {needle:?}:\n{}",
            self.describe()
        );
        self
    }

    /// Asserts stdout contains `needle`.
    pub fn assert_stdout_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout does not contain {needle:?}:\n{}",
            self.describe()
        );
        self
    }

    /// stdout as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.describe()))
    }

    /// The status (`pass`, `fail`, `warn`) and detail of the check `name` in a `--format json` report on stdout.
    pub fn check(&self, name: &str) -> (String, String) {
        let report = self.json();
        let check = report["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no check {name}:\n{}", self.describe()));
        (
            check["status"].as_str().unwrap_or_default().to_owned(),
            check["detail"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// Asserts the check `name` has `status`, returning its detail.
    pub fn assert_check(&self, name: &str, status: &str) -> String {
        let (actual, detail) = self.check(name);
        assert_eq!(
            actual,
            status,
            "check {name}: {detail}\n{}",
            self.describe()
        );
        detail
    }
}

/// An address on 127.0.0.1 nothing listens on (a port bound and released).
pub fn unreachable_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// A plain HTTP/1.1 request over a fresh connection; returns the status and the body.
pub fn http(method: &str, url: &str, token: &str, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "{method} /{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

/// The payload of an HTTP/1.1 chunked body (streamed listings are sent this way).
fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.push_str(&tail[..size]);
        rest = &tail[size + 2..];
    }
    out
}

//! The `registry-server` binary itself: help, production refusals, migrate-only, the dev token, and a graceful
//! exit on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::postgres;

fn server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_registry-server"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

#[test]
fn help_documents_every_variable() {
    let output = server().arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for variable in [
        "ANIP_REGISTRY_ADDR",
        "ANIP_REGISTRY_DATABASE_URL",
        "ANIP_REGISTRY_MODE",
        "ANIP_REGISTRY_KEY_ID",
        "ANIP_REGISTRY_ED25519_PRIVATE_KEY",
        "ANIP_REGISTRY_EXTRA_PUBLIC_KEYS",
        "ANIP_REGISTRY_PUBLISH_TOKEN",
        "ANIP_REGISTRY_PUBLISHER_ID",
        "ANIP_REGISTRY_PUBLISHER_TYPE",
        "ANIP_REGISTRY_RUN_MIGRATIONS",
        "ANIP_REGISTRY_MIGRATE_ONLY",
        "ANIP_REGISTRY_SEED_DEMO",
        "ANIP_REGISTRY_HEADER_READ_TIMEOUT",
        "ANIP_REGISTRY_IDLE_TIMEOUT",
        "ANIP_REGISTRY_MAX_CONNECTIONS",
        "ANIP_REGISTRY_REQUEST_TIMEOUT",
        "ANIP_REGISTRY_STORE_ACQUIRE_TIMEOUT",
        "ANIP_REGISTRY_LOG_ORIGIN",
        "ANIP_REGISTRY_LOG_SEQUENCE_TIMEOUT_MS",
        "ANIP_REGISTRY_LOG_INTERVAL_MS",
        "ANIP_REGISTRY_LOG_WITNESSES",
        "ANIP_REGISTRY_STORE_PROBE_INTERVAL",
        "ANIP_REGISTRY_LOG_BUFFER_LINES",
    ] {
        assert!(
            help.contains(variable),
            "--help does not mention {variable}"
        );
    }
}

/// `--version` names the git commit the binary was built from (build.rs; `unknown` without git).
#[test]
fn version_names_the_git_commit() {
    let output = server().arg("--version").output().unwrap();
    assert!(output.status.success());
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!(
            "registry-server {} (commit {head})",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn production_refuses_unsafe_configurations() {
    let dev_seed = verifier::keys::SigningKey::dev().seed_base64();
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[], "ANIP_REGISTRY_ED25519_PRIVATE_KEY is required"),
        (
            &[
                ("ANIP_REGISTRY_KEY_ID", "k"),
                ("ANIP_REGISTRY_ED25519_PRIVATE_KEY", &dev_seed),
            ],
            "development key",
        ),
        (
            &[
                ("ANIP_REGISTRY_KEY_ID", "k"),
                (
                    "ANIP_REGISTRY_ED25519_PRIVATE_KEY",
                    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                ),
                ("ANIP_REGISTRY_PUBLISH_TOKEN", "too-short"),
            ],
            "at least 32 characters",
        ),
        (&[("ANIP_REGISTRY_SEED_DEMO", "perhaps")], "not a boolean"),
    ];
    for (env, message) in cases {
        let output = server()
            .env("ANIP_REGISTRY_MODE", "production")
            .env("ANIP_REGISTRY_DATA_DIR", dir.path())
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(!output.status.success(), "{message}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "expected {message:?} in {stderr}");
        assert!(!stderr.contains(&dev_seed), "a secret was echoed");
    }
}

#[test]
fn migrate_only_applies_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let output = server()
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("registry_migrate_only_complete"));
    assert!(dir.path().join("registry.db").exists());
}

#[test]
fn serves_then_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = server()
        .args(["--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The JSON log names the bound address; the dev token goes to stderr, once, and never to the log.
    let mut addr = String::new();
    let mut log = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        log.push(line.clone());
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        if event["message"] == "registry_listening" {
            addr = event["addr"].as_str().unwrap().to_owned();
            break;
        }
    }
    let health: serde_json::Value =
        reqwest::blocking_get(&format!("http://{addr}/registry-api/v1/healthz"));
    assert_eq!(health["status"], "ok");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "exit status {exit:?}");
    // The buffered log writer is flushed on the way out: the request line and the shutdown line are there.
    log.extend(lines.map(Result::unwrap));
    let events: Vec<serde_json::Value> = log
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e["message"] == "registry_http_request"
                && e["route"] == "/registry-api/v1/healthz"
                && e["request_id"].is_string()),
        "{log:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["message"] == "registry_shutting_down"),
        "{log:?}"
    );
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let token = stderr
        .split("ANIP_REGISTRY_PUBLISH_TOKEN=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    assert!(token.starts_with("anip_dev_"));
    assert!(
        log.iter().all(|line| !line.contains(token)),
        "the token reached the log"
    );
}

#[test]
fn raises_the_open_file_limit_to_the_hard_limit() {
    let dir = tempfile::tempdir().unwrap();
    // A shell lowers the soft limit, then becomes the server.
    let mut child = Command::new("sh")
        .args(["-c", "ulimit -S -n 256 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_registry-server"))
        .args(["--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut limits = serde_json::Value::Null;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let event: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        if event["message"] == "registry_connection_limits" {
            limits = event.clone();
        }
        if event["message"] == "registry_listening" {
            break;
        }
    }
    let proc_limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let row: Vec<&str> = proc_limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .split_whitespace()
        .collect();
    let (soft, hard) = (row[3], row[4]);
    assert_eq!(soft, hard, "soft limit raised to the hard limit");
    assert_ne!(soft, "256");
    assert_eq!(limits["open_files"].to_string(), soft, "{limits}");
    let cap = limits["max_connections"].as_u64().unwrap();
    assert!((1..=4096).contains(&cap), "{limits}");
}

/// Starts the binary with `args` and returns it with the address its log says it listens on.
fn start(args: &[&str]) -> (Child, String) {
    let mut child = server()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server exited before listening")
            .unwrap();
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        if event["message"] == "registry_listening" {
            break event["addr"].as_str().unwrap().to_owned();
        }
    };
    // Keep reading the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

#[test]
fn two_processes_share_one_postgres() {
    let url = postgres::cluster().fresh_database();
    let token = "two-process-token-0123456789abcdef-0123";
    let args = [
        "--addr",
        "127.0.0.1:0",
        "--database-url",
        &url,
        "--publish-token",
        token,
    ];
    // Both start at once on an empty database and race to migrate it.
    let (mut a, addr_a) = start(&args);
    let (mut b, addr_b) = start(&args);
    let publishers: Vec<_> = (0..10)
        .map(|i| {
            let addr = if i % 2 == 0 {
                addr_a.clone()
            } else {
                addr_b.clone()
            };
            std::thread::spawn(move || {
                let request =
                    registry_server::demo::demo_request(&format!("proc-{i}"), "1.0.0").unwrap();
                let body = serde_json::to_vec(&request).unwrap();
                reqwest::post(
                    &format!("http://{addr}/registry-api/v1/publications"),
                    token,
                    &body,
                )
            })
        })
        .collect();
    for publisher in publishers {
        assert_eq!(publisher.join().unwrap(), 201);
    }
    for addr in [&addr_a, &addr_b] {
        let keys_json = reqwest::blocking_get(&format!("http://{addr}/registry-api/v1/keys"));
        let mut keys = verifier::keys::KeySet::new();
        for item in keys_json["items"].as_array().unwrap() {
            keys.insert(
                verifier::keys::KeyId::new(item["key_id"].as_str().unwrap()).unwrap(),
                verifier::keys::PublicKey::from_base64(item["public_key"].as_str().unwrap())
                    .unwrap(),
            )
            .unwrap();
        }
        for i in 0..10 {
            let base = format!("http://{addr}/registry-api/v1/packages/proc-{i}/1.0.0");
            let record: verifier::record::PackageRecord =
                serde_json::from_value(reqwest::blocking_get(&base)).unwrap();
            let receipt: verifier::receipt::Receipt =
                serde_json::from_value(reqwest::blocking_get(&format!("{base}/receipt"))).unwrap();
            let verification = verifier::verify::verify_package(&record, &receipt, &keys);
            assert!(
                verification.is_verified(),
                "proc-{i} via {addr}: {:?}",
                verification.checks
            );
        }
    }
    for child in [&mut a, &mut b] {
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(child.wait().unwrap().success());
    }
}

/// Turns TLS on for the test cluster (a self-signed certificate made with `openssl`, then `ALTER SYSTEM` and a
/// reload) and returns once a client that requires TLS gets it.
fn enable_tls(pg: &postgres::TestPostgres) {
    let dir = pg.server_log().parent().unwrap().to_owned();
    let (crt, key) = (dir.join("tls.crt"), dir.join("tls.key"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl is needed for the TLS test");
    assert!(made.success());
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    // As root the cluster runs as `postgres`, which must own the key; otherwise it runs as us.
    let _ = Command::new("chown")
        .arg("postgres")
        .args([&crt, &key])
        .stderr(Stdio::null())
        .status();
    let admin = pg.admin_url();
    for sql in [
        format!("ALTER SYSTEM SET ssl_cert_file = '{}'", crt.display()),
        format!("ALTER SYSTEM SET ssl_key_file = '{}'", key.display()),
        "ALTER SYSTEM SET ssl = on".to_owned(),
        "SELECT pg_reload_conf()".to_owned(),
    ] {
        pg.psql(&admin, &sql).unwrap();
    }
    // The server applies a reload on its own time: wait (bounded) until a TLS-only client connects.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let required = format!("{admin}?sslmode=require");
    while pg.psql(&required, "SELECT 1").is_err() {
        assert!(std::time::Instant::now() < deadline, "TLS never came on");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn sslmode_require_uses_tls() {
    // Its own cluster: TLS stays off on the shared one (`store_setup` expects `sslmode=require` to fail there).
    let pg = postgres::separate_cluster();
    enable_tls(pg);
    let url = pg.fresh_database();
    let database = url.rsplit('/').next().unwrap().to_owned();
    let token = "tls-process-token-0123456789abcdef-0123";
    let (mut child, addr) = start(&[
        "--addr",
        "127.0.0.1:0",
        "--database-url",
        &format!("{url}?sslmode=require"),
        "--publish-token",
        token,
    ]);
    let request = registry_server::demo::demo_request("tls-demo", "1.0.0").unwrap();
    let status = reqwest::post(
        &format!("http://{addr}/registry-api/v1/publications"),
        token,
        &serde_json::to_vec(&request).unwrap(),
    );
    assert_eq!(status, 201);
    let encrypted = pg
        .psql(
            &pg.admin_url(),
            &format!(
                "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                 WHERE a.datname = '{database}'"
            ),
        )
        .unwrap();
    assert_eq!(encrypted, "t", "the registry's connections are encrypted");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

mod reqwest {
    //! A tiny blocking GET over a plain TCP socket (the test crate's reqwest is async-only).
    use std::io::{Read, Write};

    pub(crate) fn blocking_get(url: &str) -> serde_json::Value {
        let rest = url.strip_prefix("http://").unwrap();
        let (host, path) = rest.split_once('/').unwrap();
        let mut stream = std::net::TcpStream::connect(host).unwrap();
        write!(
            stream,
            "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let body = response.split("\r\n\r\n").nth(1).unwrap();
        serde_json::from_str(body).unwrap()
    }

    /// A POST with a bearer token; returns the status.
    pub(crate) fn post(url: &str, token: &str, body: &[u8]) -> u16 {
        let rest = url.strip_prefix("http://").unwrap();
        let (host, path) = rest.split_once('/').unwrap();
        let mut stream = std::net::TcpStream::connect(host).unwrap();
        write!(
            stream,
            "POST /{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        stream.write_all(body).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

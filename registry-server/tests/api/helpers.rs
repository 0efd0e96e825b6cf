//! `TestApp`: a registry served in-process on `127.0.0.1:0` over a fresh store, with a client and its token.

use std::path::PathBuf;

use clap::Parser as _;
use registry_server::config::Config;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;

/// Which store a test app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a fresh temp dir.
    Sqlite,
    /// A fresh database on the harness's Postgres cluster.
    Postgres,
}

/// The publish token every test app accepts.
pub const TOKEN: &str = "test-publish-token-0123456789abcdef-0123456789";

/// The admin token every test app accepts.
pub const ADMIN_TOKEN: &str = "test-admin-token-fedcba9876543210-fedcba9876";

/// A running registry.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// `<base>/registry-api/v1`.
    pub api: String,
    /// The database URL it runs on.
    pub database_url: String,
    /// A client.
    pub client: Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestApp {
    /// A registry on a fresh store of `backend`, dev mode, publish token [`TOKEN`].
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, &[]).await
    }

    /// Like [`spawn`](Self::spawn) with extra command-line arguments.
    pub async fn spawn_with(backend: Backend, extra: &[&str]) -> TestApp {
        let (url, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let path: PathBuf = dir.path().join("registry.db");
                (format!("sqlite://{}", path.display()), Some(dir))
            }
            Backend::Postgres => (crate::postgres::cluster().fresh_database(), None),
        };
        let mut app = Self::spawn_on(&url, extra).await;
        app._dir = dir;
        app
    }

    /// A registry on an existing database URL (several apps may share one).
    pub async fn spawn_on(database_url: &str, extra: &[&str]) -> TestApp {
        Self::spawn_adjusted(database_url, extra, |state| state).await
    }

    /// Like [`spawn_on`](Self::spawn_on), with `adjust` applied to the state before it serves (an injected clock).
    pub async fn spawn_adjusted(
        database_url: &str,
        extra: &[&str],
        adjust: impl FnOnce(registry_server::state::AppState) -> registry_server::state::AppState,
    ) -> TestApp {
        registry_server::telemetry::init_for_test();
        let mut args = vec![
            "registry-server",
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            database_url,
            "--publish-token",
            TOKEN,
            "--admin-token",
            ADMIN_TOKEN,
            "--log-format",
            "text",
        ];
        args.extend_from_slice(extra);
        let settings = Config::try_parse_from(args).unwrap().settings().unwrap();
        let state = adjust(registry_server::prepare(settings).await.unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            registry_server::run(state, listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestApp {
            api: format!("{base}/registry-api/v1"),
            base,
            database_url: database_url.to_owned(),
            client: Client::new(),
            shutdown: Some(tx),
            server: Some(server),
            _dir: None,
        }
    }

    /// Stops serving and waits for in-flight requests to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
    }

    /// `POST /publications` with the token.
    pub async fn publish(&self, body: impl Into<reqwest::Body>) -> Response {
        self.client
            .post(format!("{}/publications", self.api))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// `GET <api><path>`.
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.api))
            .send()
            .await
            .unwrap()
    }

    /// `GET <api><path>` as JSON, asserting the status.
    pub async fn get_json(&self, path: &str, status: StatusCode) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), status, "GET {path}");
        response.json().await.unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The bytes of a fixture under `tests/fixtures/anip/`.
pub fn fixture(relative: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/anip")
        .join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The demo publish request (valid, small) under a given id and version.
pub fn demo(package_id: &str, version: &str) -> Vec<u8> {
    serde_json::to_vec(&registry_server::demo::demo_request(package_id, version).unwrap()).unwrap()
}

/// The `code` and status of an error response, after checking the envelope has `error` and `code`.
pub async fn error_of(response: Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].is_string(), "no error message: {body}");
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

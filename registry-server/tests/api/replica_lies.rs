//! `registry-server --mirror-of` in front of an origin that lies through a proxy (an altered record, missing
//! entries, a rolled-back checkpoint, a swapped key): the replica refuses, says why, and keeps what it had.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, demo};
use crate::replica::{bytes, replica_of, save_keys, wait_readyz, wait_synced};

/// How the proxy lies about one answer: `(path and query, status, body)` → the answer served.
pub(crate) type Lie = Box<dyn Fn(&str, u16, Vec<u8>) -> (u16, Vec<u8>) + Send + Sync>;

/// An HTTP proxy on `127.0.0.1:0` in front of `origin`, passing answers through until [`Proxy::lie`] is set.
pub(crate) struct Proxy {
    pub(crate) base: String,
    lie: Arc<Mutex<Option<Lie>>>,
    requests: Arc<AtomicUsize>,
}

impl Proxy {
    pub(crate) async fn start(origin: &str) -> Proxy {
        let lie: Arc<Mutex<Option<Lie>>> = Arc::default();
        let requests: Arc<AtomicUsize> = Arc::default();
        let (target, rewrite, count) = (origin.to_owned(), lie.clone(), requests.clone());
        let client = reqwest::Client::new();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let (target, rewrite, client) = (target.clone(), rewrite.clone(), client.clone());
            count.fetch_add(1, Ordering::SeqCst);
            async move {
                let path = uri
                    .path_and_query()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default();
                let answer = client.get(format!("{target}{path}")).send().await.unwrap();
                let status = answer.status().as_u16();
                let body = answer.bytes().await.unwrap().to_vec();
                let (status, body) = match &*rewrite.lock().unwrap() {
                    Some(lie) => lie(&path, status, body),
                    None => (status, body),
                };
                (axum::http::StatusCode::from_u16(status).unwrap(), body)
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Proxy {
            base,
            lie,
            requests,
        }
    }

    pub(crate) fn lie(&self, lie: Lie) {
        *self.lie.lock().unwrap() = Some(lie);
    }

    /// Passes answers through again.
    pub(crate) fn honest(&self) {
        *self.lie.lock().unwrap() = None;
    }

    /// Requests received so far.
    pub(crate) fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

pub(crate) fn json_lie(body: &[u8], change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(body).unwrap();
    change(&mut value);
    serde_json::to_vec(&value).unwrap()
}

/// A lie that alters `id@version`'s definition digest wherever its record is served: its own record route and the
/// bulk `/log/records` answer.
pub(crate) fn altered_record(id: &'static str, version: &'static str) -> Lie {
    let own = format!("/registry-api/v1/packages/{id}/{version}?");
    let zero = format!("sha256:{}", "0".repeat(64));
    Box::new(move |path: &str, status, body: Vec<u8>| {
        if path.starts_with(&own) {
            return (
                status,
                json_lie(&body, |r| r["definition_digest"] = zero.clone().into()),
            );
        }
        if path.starts_with("/registry-api/v1/log/records?") && status == 200 {
            let body = json_lie(&body, |answer| {
                for item in answer["items"].as_array_mut().into_iter().flatten() {
                    let record = &mut item["record"];
                    if record["package_id"] == id && record["package_version"] == version {
                        record["definition_digest"] = zero.clone().into();
                    }
                }
            });
            return (status, body);
        }
        (status, body)
    })
}

/// Each way an origin can lie, through a proxy: the replica stops with the reason in `/readyz` and its metrics,
/// and serves exactly what it had.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_origin_is_refused_and_the_replica_keeps_what_it_had() {
    let origin = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = save_keys(&origin, &dir).await;
    assert_eq!(
        origin.publish(demo("demo-lie", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    let old_checkpoint = origin.get("/log/checkpoint").await.text().await.unwrap();
    assert_eq!(
        origin.publish(demo("demo-lie", "1.0.1")).await.status(),
        StatusCode::CREATED
    );
    let scenarios: Vec<(&str, Backend, Lie)> = vec![
        (
            "version_not_verified",
            Backend::Postgres,
            altered_record("demo-lie", "1.0.2"),
        ),
        (
            "missing_from_origin",
            Backend::Sqlite,
            Box::new(|path: &str, status, body| {
                if path.starts_with("/registry-api/v1/log/tile/entries/") {
                    return (404, br#"{"error":"gone","code":"tile_not_found"}"#.to_vec());
                }
                (status, body)
            }),
        ),
        (
            "checkpoint_rolled_back",
            Backend::Sqlite,
            Box::new(move |path: &str, status, body| {
                if path == "/registry-api/v1/log/checkpoint" {
                    return (200, old_checkpoint.clone().into_bytes());
                }
                (status, body)
            }),
        ),
        (
            "key_changed",
            Backend::Sqlite,
            Box::new(|path: &str, status, body: Vec<u8>| {
                if path == "/registry-api/v1/keys" {
                    let id = verifier::keys::KeyId::new("other").unwrap();
                    let other = verifier::keys::SigningKey::from_seed(id, &[7; 32])
                        .public_key()
                        .to_base64();
                    return (
                        status,
                        json_lie(&body, |k| k["items"][0]["public_key"] = other.into()),
                    );
                }
                (status, body)
            }),
        ),
    ];
    for (next, (code, backend, lie)) in (2..).zip(scenarios) {
        let proxy = Proxy::start(&origin.base).await;
        let replica = replica_of(backend, &proxy.base, &keys).await;
        wait_synced(&replica, &origin).await;
        let checkpoint = bytes(&replica, "/log/checkpoint").await;
        let listing = replica.get_json("/packages/demo-lie", StatusCode::OK).await;

        proxy.lie(lie);
        assert_eq!(
            origin
                .publish(demo("demo-lie", &format!("1.0.{next}")))
                .await
                .status(),
            StatusCode::CREATED
        );
        let (status, body) = wait_readyz(&replica, |status, _| {
            status == StatusCode::SERVICE_UNAVAILABLE
        })
        .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["code"], code, "{body}");
        assert!(
            body["mirror"]["evidence"]
                .as_str()
                .is_some_and(|e| !e.is_empty()),
            "{body}"
        );
        // Nothing of the bad batch was stored: the same checkpoint, the same versions.
        assert_eq!(
            bytes(&replica, "/log/checkpoint").await,
            checkpoint,
            "{code}"
        );
        assert_eq!(
            replica.get_json("/packages/demo-lie", StatusCode::OK).await,
            listing,
            "{code}"
        );
        let metrics = replica
            .client
            .get(format!("{}/metrics", replica.api))
            .send()
            .await
            .unwrap();
        assert!(
            metrics
                .text()
                .await
                .unwrap()
                .contains("anip_registry_mirror_inconsistent 1"),
            "{code}"
        );
    }
}

//! The replica reads a batch's receipts and records with the bulk routes (`/log/receipts`, `/log/records`), falls
//! back to each version's own routes for what they leave out (an origin without them, answers it cannot use), and
//! refuses a bulk answer that lies exactly as it refuses a lying record route.

use std::sync::{Arc, Mutex};

use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, demo};
use crate::replica::{bytes, replica_of, save_keys, wait_readyz, wait_synced};
use crate::replica_lies::{Lie, Proxy, json_lie};

const RECORDS: &str = "/registry-api/v1/log/records?";
const RECEIPTS: &str = "/registry-api/v1/log/receipts?";

/// The replica serves a record and a receipt with the origin's status and bytes (`case` names the failure).
async fn same_bytes(replica: &TestApp, origin: &TestApp, case: &str) {
    for path in [
        "/packages/demo-bulk/1.0.0",
        "/packages/demo-bulk/1.0.1/receipt",
    ] {
        assert_eq!(
            bytes(replica, path).await,
            bytes(origin, path).await,
            "{case}: {path}"
        );
    }
}

/// Every path the proxy was asked, then `lie` applied.
fn recorded(paths: &Arc<Mutex<Vec<String>>>, lie: Lie) -> Lie {
    let paths = paths.clone();
    Box::new(move |path: &str, status, body| {
        paths.lock().unwrap().push(path.to_owned());
        lie(path, status, body)
    })
}

/// Whether a version's own record or receipt route was asked.
fn asked_per_version(paths: &Arc<Mutex<Vec<String>>>) -> (bool, bool) {
    let paths = paths.lock().unwrap();
    let record = paths
        .iter()
        .any(|p| p.starts_with("/registry-api/v1/packages/demo-bulk/1.0.0?"));
    let receipt = paths
        .iter()
        .any(|p| p == "/registry-api/v1/packages/demo-bulk/1.0.0/receipt");
    (record, receipt)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replica_reads_in_bulk_and_falls_back_or_refuses() {
    let origin = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = save_keys(&origin, &dir).await;
    for version in ["1.0.0", "1.0.1"] {
        assert_eq!(
            origin.publish(demo("demo-bulk", version)).await.status(),
            StatusCode::CREATED
        );
    }

    // An honest origin: both bulk routes read, no version's own record or receipt route.
    let paths = Arc::new(Mutex::new(Vec::new()));
    let proxy = Proxy::start(&origin.base).await;
    proxy.lie(recorded(&paths, Box::new(|_: &str, s, b| (s, b))));
    let replica = replica_of(Backend::Sqlite, &proxy.base, &keys).await;
    wait_synced(&replica, &origin).await;
    {
        let asked = paths.lock().unwrap();
        assert!(asked.iter().any(|p| p.starts_with(RECORDS)), "{asked:?}");
        assert!(asked.iter().any(|p| p.starts_with(RECEIPTS)), "{asked:?}");
    }
    assert_eq!(asked_per_version(&paths), (false, false));
    same_bytes(&replica, &origin, "honest").await;
    replica.stop().await;

    // Bulk routes missing (an older origin) or answering what cannot be used (a server error, an `end` that does
    // not move forward, receipts of the other kind): every version read from its own routes, all stored.
    let fallbacks: Vec<(&str, Lie)> = vec![
        (
            "missing",
            Box::new(|path: &str, status, body| {
                if path.starts_with(RECORDS) || path.starts_with(RECEIPTS) {
                    return (404, br#"{"error":"no","code":"not_found"}"#.to_vec());
                }
                (status, body)
            }),
        ),
        (
            "unusable",
            Box::new(|path: &str, status, body: Vec<u8>| {
                if path.starts_with(RECORDS) {
                    return (status, json_lie(&body, |a| a["end"] = 0.into()));
                }
                if path.starts_with(RECEIPTS) {
                    let body = json_lie(&body, |a| {
                        for item in a["items"].as_array_mut().into_iter().flatten() {
                            item["kind"] = "template".into();
                        }
                    });
                    return (status, body);
                }
                (status, body)
            }),
        ),
        (
            "failing",
            Box::new(|path: &str, status, body| {
                if path.starts_with(RECORDS) || path.starts_with(RECEIPTS) {
                    return (500, br#"{"error":"down","code":"internal"}"#.to_vec());
                }
                (status, body)
            }),
        ),
    ];
    for (name, lie) in fallbacks {
        let paths = Arc::new(Mutex::new(Vec::new()));
        let proxy = Proxy::start(&origin.base).await;
        proxy.lie(recorded(&paths, lie));
        let replica = replica_of(Backend::Sqlite, &proxy.base, &keys).await;
        wait_synced(&replica, &origin).await;
        assert_eq!(asked_per_version(&paths), (true, true), "{name}");
        same_bytes(&replica, &origin, name).await;
        replica.stop().await;
    }

    // A bulk answer that alters a record or a receipt: refused, nothing of the batch stored.
    let zero = format!("sha256:{}", "0".repeat(64));
    let lies: Vec<(&str, Lie)> = vec![
        (
            "record",
            Box::new(move |path: &str, status, body: Vec<u8>| {
                if path.starts_with(RECORDS) {
                    let body = json_lie(&body, |a| {
                        a["items"][0]["record"]["definition_digest"] = zero.clone().into()
                    });
                    return (status, body);
                }
                (status, body)
            }),
        ),
        (
            "receipt",
            Box::new(|path: &str, status, body: Vec<u8>| {
                if path.starts_with(RECEIPTS) {
                    let body = json_lie(&body, |a| {
                        a["items"][1]["receipt"]["package_version"] = "9.9.9".into()
                    });
                    return (status, body);
                }
                (status, body)
            }),
        ),
    ];
    for (name, lie) in lies {
        let proxy = Proxy::start(&origin.base).await;
        proxy.lie(lie);
        let replica = replica_of(Backend::Sqlite, &proxy.base, &keys).await;
        let (status, body) =
            wait_readyz(&replica, |_, body| body["code"] == "version_not_verified").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{name}");
        assert!(
            body["mirror"]["evidence"]
                .as_str()
                .is_some_and(|e| !e.is_empty()),
            "{name}: {body}"
        );
        assert_eq!(
            replica.get("/packages/demo-bulk/1.0.0").await.status(),
            StatusCode::NOT_FOUND,
            "{name}"
        );
        replica.stop().await;
    }
}

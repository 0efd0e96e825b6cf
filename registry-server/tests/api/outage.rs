//! The database going away: 503 `store_unavailable` (never an empty list or a 404), at once once the store is
//! known to be down (no request waits for a connection), and recovery by itself, without a restart, when it comes
//! back. Postgres is reached through a TCP relay the test can cut and restore.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::helpers::{TestApp, demo, error_of};

/// A TCP relay to `upstream` on a fixed local address; dropping it closes the listener and every connection.
pub(crate) struct Relay {
    tasks: JoinSet<()>,
}

impl Relay {
    pub(crate) async fn start(listen: SocketAddr, upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind(listen).await.unwrap();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Relay { tasks }
    }

    async fn cut(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// A fresh database on the test cluster reached through a relay: the relay, its address, the cluster's address
/// and the database URL through the relay.
async fn relayed_database() -> (Relay, SocketAddr, SocketAddr, String) {
    let cluster = crate::postgres::cluster();
    let direct = cluster.fresh_database();
    let database = direct.rsplit('/').next().unwrap().to_owned();
    let upstream: SocketAddr = format!("127.0.0.1:{}", cluster.port()).parse().unwrap();
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = probe.local_addr().unwrap();
    drop(probe);
    let relay = Relay::start(listen, upstream).await;
    let url = format!("postgres://postgres@{listen}/{database}");
    (relay, listen, upstream, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_is_503_and_recovers() {
    let (relay, listen, upstream, url) = relayed_database().await;
    let app = TestApp::spawn_on(&url, &[]).await;
    assert_eq!(
        app.publish(demo("outage", "1.0.0")).await.status(),
        StatusCode::CREATED
    );

    relay.cut().await;
    // The first request finds the store down (after waiting for a connection); from then on requests that need
    // the store are answered at once, far below the 3 s a connection wait takes.
    let (status, code) = error_of(app.get("/publications").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable")
    );
    let fast = reqwest::Client::builder()
        .timeout(Duration::from_millis(1500))
        .build()
        .unwrap();
    for path in [
        "/registry-api/v1/packages/outage/1.0.0",
        "/registry-api/v1/publications",
        "/registry-api/v1/templates",
        "/registry/packages",
        "/registry/packages/outage/1.0.0",
    ] {
        let response = fast
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path} waited for the store: {e}"));
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        if path.starts_with("/registry-api") {
            let (_, code) = error_of(response).await;
            assert_eq!(code, "store_unavailable", "{path}");
        } else {
            assert!(
                response
                    .text()
                    .await
                    .unwrap()
                    .contains("temporarily unavailable"),
                "{path}"
            );
        }
    }
    for path in [
        "/packages/outage/1.0.0",
        "/publications",
        "/packages/outage/1.0.0/download",
    ] {
        let (status, code) = error_of(app.get(path).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
            "{path}"
        );
    }
    assert_eq!(
        app.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    // The UI answers with its own 503 page (the message template in the layout), never the API's JSON.
    for page in [
        "/registry/packages",
        "/registry/packages/outage/1.0.0",
        "/registry/templates",
    ] {
        let response = app
            .client
            .get(format!("{}{page}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{page}");
        assert!(
            response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'"),
            "{page}"
        );
        let body = response.text().await.unwrap();
        assert!(
            body.contains("<title>Registry temporarily unavailable · ANIP Registry</title>")
                && body.contains("<p class=\"status-code\">503</p>")
                && body.contains("<h1>Registry temporarily unavailable</h1>"),
            "{page}: {body}"
        );
    }
    let (status, code) = error_of(app.publish(demo("outage", "1.0.1")).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable")
    );
    assert_eq!(
        app.get("/healthz").await.status(),
        StatusCode::OK,
        "the process itself stays up"
    );

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("anip_registry_store_down 1"), "{metrics}");

    // Back: the breaker's own probe finds the store again, with no /readyz call to help it.
    let relay = Relay::start(listen, upstream).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = app.get("/packages/outage/1.0.0").await.status();
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            Instant::now() < deadline,
            "the registry never recovered by itself"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    let record = app.get_json("/packages/outage/1.0.0", StatusCode::OK).await;
    assert_eq!(record["package_id"], "outage");
    assert_eq!(
        app.publish(demo("outage", "1.0.1")).await.status(),
        StatusCode::CREATED
    );
    relay.cut().await;
}

/// Downloads counted in memory but not yet flushed when the store goes away: the flush keeps failing and retrying,
/// and a read of that version must still be answered (503) in about the time a connection wait takes, never held
/// until the request timeout by a reader waiting for a moment with no flush in flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unflushed_downloads_never_hold_reads_while_the_store_is_down() {
    let (relay, _, _, url) = relayed_database().await;
    // The default flush interval (1 s) and connection wait (3 s): once the store is gone, each failed flush is
    // followed at once by the next, so a flush is nearly always in flight.
    let app = TestApp::spawn_on(&url, &[]).await;
    assert_eq!(
        app.publish(demo("unflushed", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    for _ in 0..3 {
        assert_eq!(
            app.get("/packages/unflushed/1.0.0/download").await.status(),
            StatusCode::OK
        );
    }
    relay.cut().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(12))
        .build()
        .unwrap();
    for path in [
        "/registry-api/v1/packages/unflushed/1.0.0",
        "/registry-api/v1/packages/unflushed/1.0.0/lock",
        "/registry-api/v1/packages/unflushed/1.0.0/download",
        "/registry-api/v1/packages/unflushed/1.0.0",
    ] {
        let response = client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path} was held while the store is down: {e}"));
        let (status, code) = error_of(response).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
            "{path}"
        );
    }
}

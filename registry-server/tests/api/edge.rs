//! The HTTP edge over real TCP on loopback: slow request heads and idle connections are closed, the connection
//! cap holds, answers are compressed, a panic is a 500 JSON answer, and every route (UI and assets too) carries a
//! request id, honouring a valid incoming one.

use std::io::Read as _;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::helpers::{Backend, TestApp, demo, fixture};

/// A guard against a hang when the server fails to close: far above every timeout the tests configure.
const GUARD: Duration = Duration::from_secs(30);

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection; returns what it sent. Fails if it stays open past [`GUARD`].
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let closed = tokio::time::timeout(GUARD, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server kept the connection open");
    received
}

/// Sends one keep-alive GET on `stream` and reads its (small, non-chunked) response head and body.
async fn get_on(stream: &mut TcpStream, path: &str) -> String {
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(GUARD, stream.read(&mut buf))
            .await
            .expect("no response")
            .unwrap();
        assert!(n > 0, "closed before the response");
        response.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&response).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap();
            if body.len() >= length {
                return text;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_request_head_is_cut_off_while_healthz_answers() {
    let app = TestApp::spawn_with(Backend::Sqlite, &["--header-read-timeout", "1s"]).await;
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
        stream
            .write_all(b"GET /registry-api/v1/healthz HTTP/1.1\r\nHost: test\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(stream);
    }
    let health = app.get("/healthz").await;
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "healthz answers beside slow clients"
    );
    for stream in &mut slow {
        let sent = read_until_closed(stream).await;
        assert!(
            !String::from_utf8_lossy(&sent).contains("200 OK"),
            "an unfinished head was answered"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed() {
    let app = TestApp::spawn_with(Backend::Sqlite, &["--header-read-timeout", "1s"]).await;
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    let response = get_on(&mut stream, "/registry-api/v1/healthz").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        read_until_closed(&mut stream).await.is_empty(),
        "nothing more is sent on an idle connection before it is closed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_stops_moving_bytes_is_closed() {
    // A request head in time, then a body that never comes: the idle timeout closes it well before the request
    // timeout would answer.
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &["--idle-timeout", "1s", "--request-timeout", "120s"],
    )
    .await;
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    stream
        .write_all(
            b"POST /registry-api/v1/publications HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
              Content-Length: 1000\r\n\r\n{\"package_id\":",
        )
        .await
        .unwrap();
    let sent = read_until_closed(&mut stream).await;
    assert!(
        !String::from_utf8_lossy(&sent).contains("request_timeout"),
        "closed by the idle timeout, not answered by the request timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_cap_holds_and_waiting_clients_are_served_later() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &["--max-connections", "2", "--header-read-timeout", "60s"],
    )
    .await;
    let mut first = TcpStream::connect(addr(&app)).await.unwrap();
    let mut second = TcpStream::connect(addr(&app)).await.unwrap();
    for stream in [&mut first, &mut second] {
        assert!(
            get_on(stream, "/registry-api/v1/healthz")
                .await
                .starts_with("HTTP/1.1 200")
        );
    }
    let mut third = TcpStream::connect(addr(&app)).await.unwrap();
    third
        .write_all(b"GET /registry-api/v1/healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    assert!(
        tokio::time::timeout(Duration::from_millis(500), third.read(&mut buf))
            .await
            .is_err(),
        "a third connection was served beyond the cap of two"
    );
    drop(first);
    let n = tokio::time::timeout(GUARD, third.read(&mut buf))
        .await
        .expect("the waiting client was never served")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(
        get_on(&mut second, "/registry-api/v1/healthz")
            .await
            .starts_with("HTTP/1.1 200")
    );
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_and_pages_are_compressed_when_asked() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let request = fixture("packages/github-fronting-showcase-0.2.0-publish-request.json");
    assert_eq!(app.publish(request).await.status(), StatusCode::CREATED);
    let record = "/registry-api/v1/packages/github-fronting-showcase/0.2.0";
    let plain = app
        .client
        .get(format!("{}{record}", app.base))
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().await.unwrap();
    for (path, kind) in [
        (record, "application/json"),
        // The unpaged listings are streamed bodies: the compressor must see their end once, not poll past it.
        ("/registry-api/v1/publications", "application/json"),
        ("/registry-api/v1/templates", "application/json"),
        ("/registry/packages", "text/html"),
        (
            "/registry/packages/github-fronting-showcase/0.2.0",
            "text/html",
        ),
        ("/registry/assets/style.css", "text/css"),
    ] {
        for encoding in ["gzip", "br"] {
            let response = app
                .client
                .get(format!("{}{path}", app.base))
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let content_type = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(content_type.starts_with(kind), "{path}: {content_type}");
            assert_eq!(response.headers()["content-encoding"], encoding, "{path}");
            let body = response.bytes().await.unwrap();
            if encoding == "gzip" && path.ends_with("s") && path.starts_with("/registry-api") {
                let listing: serde_json::Value = serde_json::from_slice(&gunzip(&body)).unwrap();
                assert!(listing["items"].is_array(), "{path}: {listing}");
            }
            if encoding == "gzip" && path == record {
                assert!(
                    body.len() * 4 < plain.len(),
                    "{} of {}",
                    body.len(),
                    plain.len()
                );
                assert_eq!(gunzip(&body), plain, "the decoded record is the record");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_has_a_request_id_and_honours_a_valid_one() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert_eq!(
        app.publish(demo("rid", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    let paths = [
        "/registry-api/v1/keys",
        "/registry-api/v1/packages/rid/1.0.0",
        "/registry-api/v1/nope",
        "/registry/packages",
        "/registry/packages/rid/1.0.0",
        "/registry/keys",
        "/registry/assets/style.css",
        "/registry/assets/favicon.svg",
        "/registry/nope",
        "/",
    ];
    let long = "x".repeat(129);
    for path in paths {
        let url = format!("{}{path}", app.base);
        let echoed = app
            .client
            .get(&url)
            .header("x-request-id", "trace-42.a_b:c")
            .send()
            .await
            .unwrap();
        assert_eq!(echoed.headers()["x-request-id"], "trace-42.a_b:c", "{path}");
        for bad in [long.as_str(), "has space", "tab\there", ""] {
            let response = app
                .client
                .get(&url)
                .header("x-request-id", bad)
                .send()
                .await
                .unwrap();
            let id = response.headers()["x-request-id"].to_str().unwrap();
            assert!(
                id.starts_with("req-") && id != bad,
                "{path}: {bad:?} became {id:?}"
            );
        }
        let generated = app.client.get(&url).send().await.unwrap();
        assert!(
            generated.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .starts_with("req-")
        );
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for route in [
        "/registry/packages",
        "/registry/assets/style.css",
        "/registry/packages/{*path}",
    ] {
        assert!(
            metrics.contains(&format!("route=\"{route}\"")),
            "no metrics for the UI route {route}"
        );
    }
}

async fn boom() -> &'static str {
    panic!("a handler bug")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_answers_500_json_and_the_server_keeps_serving() {
    registry_server::telemetry::init_for_test();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("r.db").display());
    let settings = <registry_server::config::Config as clap::Parser>::try_parse_from([
        "registry-server",
        "--database-url",
        &url,
    ])
    .unwrap()
    .settings()
    .unwrap();
    let state = registry_server::prepare(settings).await.unwrap();
    let app = Router::new()
        .route("/boom", get(boom))
        .route("/fine", get(|| async { "fine" }));
    let app = registry_server::routes::edge(app, &state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(registry_server::server::serve(
        listener,
        app,
        state.settings.edge,
        state.metrics.clone(),
        async {
            let _ = rx.await;
        },
    ));
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{base}/boom"))
        .header("x-request-id", "panic-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(response.headers()["x-request-id"], "panic-1");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "internal_error");
    assert!(
        !body.to_string().contains("a handler bug"),
        "the panic message leaked: {body}"
    );
    let fine = client.get(format!("{base}/fine")).send().await.unwrap();
    assert_eq!(fine.text().await.unwrap(), "fine");
    assert!(
        state
            .metrics
            .render()
            .contains("route=\"/boom\",status=\"500\"")
    );
    tx.send(()).unwrap();
    server.await.unwrap();
}

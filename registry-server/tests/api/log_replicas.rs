//! The log with several servers on one Postgres, a sequencing timeout, and a server killed with SIGKILL mid-burst:
//! one consistent log, no gap, no acknowledged entry lost, no entry appended twice.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Connection as _;

use crate::helpers::{TOKEN, TestApp, demo, error_of};
use crate::log::{all_entries, root_of, verified_checkpoint};

/// How many `package_version` entries each `id@version` has in the whole log; asserts the log's root.
async fn versions_in_log(app: &TestApp) -> HashMap<String, usize> {
    let (size, root, _) = verified_checkpoint(app).await;
    let entries = all_entries(app, size).await;
    assert_eq!(
        root_of(&entries),
        root,
        "the entries rebuild the checkpoint root (no gap, no reorder)"
    );
    let mut seen = HashMap::new();
    for e in &entries {
        let v: Value = serde_json::from_slice(e).unwrap();
        if v["kind"] == "package_version" {
            let key = format!(
                "{}@{}",
                v["package_id"].as_str().unwrap(),
                v["package_version"].as_str().unwrap()
            );
            *seen.entry(key).or_insert(0) += 1;
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_appending_at_once_build_one_log() {
    let url = crate::postgres::cluster().fresh_database();
    let (a, b) = tokio::join!(TestApp::spawn_on(&url, &[]), TestApp::spawn_on(&url, &[]));
    let (a, b) = (Arc::new(a), Arc::new(b));
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let app = if i % 2 == 0 {
                Arc::clone(&a)
            } else {
                Arc::clone(&b)
            };
            tokio::spawn(async move {
                app.publish(demo(&format!("replica-{i}"), "1.0.0"))
                    .await
                    .status()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::CREATED);
    }
    for app in [&a, &b] {
        let seen = versions_in_log(app).await;
        assert_eq!(seen.len(), 40);
        assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_not_sequenced_in_time_is_stored_and_its_retry_is_identical() {
    let url = crate::postgres::cluster().fresh_database();
    let app = TestApp::spawn_on(&url, &["--log-sequence-timeout-ms", "300"]).await;
    // Another holder of the coordination row (as a stalled replica would be) keeps the integrator out.
    let mut holder = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut tx = holder.begin().await.unwrap();
    sqlx::query("SELECT tree_size FROM log_state WHERE id = 1 FOR UPDATE")
        .execute(&mut *tx)
        .await
        .unwrap();
    let body = demo("late-entry", "1.0.0");
    let (status, code) = error_of(app.publish(body.clone()).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "log_unavailable")
    );
    assert_eq!(
        app.get("/packages/late-entry/1.0.0").await.status(),
        StatusCode::OK,
        "the version is stored"
    );
    tx.rollback().await.unwrap();
    let retry = app.publish(body).await;
    assert_eq!(
        retry.status(),
        StatusCode::OK,
        "the retry answers as an identical re-publish"
    );
    let seen = versions_in_log(&app).await;
    assert_eq!(
        seen.get("late-entry@1.0.0"),
        Some(&1),
        "appended once: {seen:?}"
    );
}

fn start_server(url: &str) -> (Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_registry-server"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .args([
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            url,
            "--publish-token",
            TOKEN,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server exited before listening")
            .unwrap();
        let event: Value = serde_json::from_str(&line).unwrap();
        if event["message"] == "registry_listening" {
            break event["addr"].as_str().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, format!("http://{addr}/registry-api/v1"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_loses_no_acknowledged_entry_and_leaves_no_gap() {
    let url = crate::postgres::cluster().fresh_database();
    let (mut child, api) = start_server(&url);
    let client = reqwest::Client::new();
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let publishers: Vec<_> = (0..8)
        .map(|p| {
            let (client, api, acked) = (client.clone(), api.clone(), acked_tx.clone());
            tokio::spawn(async move {
                for i in 0.. {
                    let id = format!("burst-{p}-{i}");
                    let sent = client
                        .post(format!("{api}/publications"))
                        .bearer_auth(TOKEN)
                        .header("content-type", "application/json")
                        .body(demo(&id, "1.0.0"))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == StatusCode::CREATED => {
                            if acked.send(format!("{id}@1.0.0")).is_err() {
                                return;
                            }
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    drop(acked_tx);
    let mut acked = Vec::new();
    while acked.len() < 40 {
        acked.push(acked_rx.recv().await.unwrap());
    }
    Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    for p in publishers {
        p.await.unwrap();
    }
    while let Ok(id) = acked_rx.try_recv() {
        acked.push(id);
    }
    // A new server on the same database: its first publish is sequenced after everything pending before it.
    let app = TestApp::spawn_on(&url, &[]).await;
    assert_eq!(
        app.publish(demo("after-restart", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    let seen = versions_in_log(&app).await;
    for id in &acked {
        assert_eq!(
            seen.get(id),
            Some(&1),
            "acknowledged {id} is in the log once"
        );
    }
    assert!(seen.values().all(|n| *n == 1), "no version appended twice");
}

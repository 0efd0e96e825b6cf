//! Independent implementations check the log: the PyPI `aics-tlog` verifier reads our checkpoint, tiles and
//! proofs over HTTP, and the PyPI `aics-witness` (a C2SP tlog-witness) cosigns our checkpoints and refuses a
//! rolled-back one. Both are installed by `.ci/run` (`pip install --ignore-requires-python aics-tlog aics-witness`).

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser as _;
use reqwest::StatusCode;
use serde_json::Value;
use verifier::keys::SigningKey;
use verifier::tlog::{SignedCheckpoint, VerifierKey};

use crate::helpers::{Backend, TestApp, demo};
use crate::log::verified_checkpoint;

/// The origin of the witness test's logs (named: its second log shares it on purpose).
const ORIGIN: &str = "witnessed.example/anip-registry";

fn log_vkey(origin: &str) -> String {
    VerifierKey::log(origin, &SigningKey::dev().public_key())
        .unwrap()
        .to_string()
}

/// `python3 -m aics_tlog <args>`: its JSON report (it exits non-zero when a check fails).
fn aics_tlog(args: &[&str]) -> Value {
    let out = Command::new("python3")
        .arg("-m")
        .arg("aics_tlog")
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let report: Value =
        serde_json::from_str(text.lines().last().unwrap_or("{}")).unwrap_or_else(|_| {
            panic!(
                "aics-tlog {args:?}: {text} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    report
}

async fn aics_tlog_verifies_our_checkpoint_tiles_and_proofs(app: &TestApp) {
    for v in ["1.0.0", "1.0.1", "1.0.2"] {
        assert_eq!(
            app.publish(demo("oracle", v)).await.status(),
            StatusCode::CREATED
        );
    }
    let (size, root, _) = verified_checkpoint(app).await;
    let tiles = format!("{}/log/", app.api);
    let dir = tempfile::tempdir().unwrap();
    let keys = app.get_json("/keys", StatusCode::OK).await;
    let key = log_vkey(keys["log"]["origin"].as_str().unwrap());
    for index in 0..size {
        let proved = app
            .get_json(
                &format!("/packages/oracle/1.0.{index}/receipt?proof=1"),
                StatusCode::OK,
            )
            .await;
        let entry = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            proved["log_entry"].as_str().unwrap(),
        )
        .unwrap();
        let leaf = dir.path().join(format!("leaf{index}"));
        std::fs::write(&leaf, &entry).unwrap();
        let i = index.to_string();
        let report = aics_tlog(&[
            "verify-inclusion",
            "--tiles",
            &tiles,
            "--log-key",
            &key,
            "--index",
            &i,
            "--leaf",
            leaf.to_str().unwrap(),
        ]);
        assert_eq!(report["ok"], true, "{report}");
        assert_eq!(report["size"], size);
    }
    let old = app
        .get_json("/log/proof/inclusion?index=0&tree_size=1", StatusCode::OK)
        .await;
    let report = aics_tlog(&[
        "verify-consistency",
        "--tiles",
        &tiles,
        "--log-key",
        &key,
        "--old-size",
        "1",
        "--old-root",
        old["root_hash"].as_str().unwrap(),
    ]);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(
        report["new_root"],
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, root.0)
    );
    // A wrong leaf is refused by the oracle (the check can fail).
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, b"{}").unwrap();
    let report = aics_tlog(&[
        "verify-inclusion",
        "--tiles",
        &tiles,
        "--log-key",
        &key,
        "--index",
        "0",
        "--leaf",
        wrong.to_str().unwrap(),
    ]);
    assert_eq!(report["ok"], false, "{report}");
}

crate::on_both_stores!(aics_tlog_verifies_our_checkpoint_tiles_and_proofs);

/// A running `aics-witness` trusting our log key: `(process, vkey, url)`.
fn start_witness(dir: &std::path::Path) -> (Child, String, String) {
    let config = dir.join("witness.json");
    let config = config.to_str().unwrap();
    let init = Command::new("aics-witness")
        .args([
            "init",
            "-c",
            config,
            "--name",
            "witness.test/w1",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let vkey = String::from_utf8(init.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();
    let added = Command::new("aics-witness")
        .args([
            "add-log",
            "-c",
            config,
            "--origin",
            ORIGIN,
            "--vkey",
            &log_vkey(ORIGIN),
        ])
        .output()
        .unwrap();
    assert!(added.status.success());
    let mut child = Command::new("aics-witness")
        .args(["serve", "-c", config])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the witness exited before listening")
            .unwrap();
        if let Some(rest) = line.split_once("listening on ").map(|(_, r)| r) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, vkey, url)
}

/// The served checkpoint once it carries a cosignature of a tree of at least `size` (the push runs after the
/// publish is acknowledged; this waits for its outcome, up to 10 s).
async fn cosigned(app: &TestApp, witness: &VerifierKey, size: u64) -> SignedCheckpoint {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = app.get("/log/checkpoint").await.text().await.unwrap();
        let signed = SignedCheckpoint::parse(&text).unwrap();
        let cosignatures = signed
            .verify_cosignatures(std::slice::from_ref(witness))
            .unwrap();
        if !cosignatures.is_empty() && signed.checkpoint.size >= size {
            return signed;
        }
        assert!(Instant::now() < deadline, "no cosignature on {text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_witness_cosigns_our_checkpoints_and_refuses_a_rolled_back_one() {
    let dir = tempfile::tempdir().unwrap();
    let (mut witness, vkey, url) = start_witness(dir.path());
    let key = VerifierKey::parse(&vkey).unwrap();
    let configured = format!("{vkey}={url}");
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &["--log-witnesses", &configured, "--log-origin", ORIGIN],
    )
    .await;
    assert_eq!(
        app.publish(demo("witnessed", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    cosigned(&app, &key, 1).await;
    assert_eq!(
        app.publish(demo("witnessed", "1.0.1")).await.status(),
        StatusCode::CREATED
    );
    let signed = cosigned(&app, &key, 2).await;
    // The cosigned checkpoint still verifies under the log key, and aics-tlog counts the witness.
    let text = signed.to_text();
    let note = dir.path().join("cosigned");
    std::fs::write(&note, &text).unwrap();
    let report = aics_tlog(&[
        "verify-checkpoint",
        "--note",
        note.to_str().unwrap(),
        "--log-key",
        &log_vkey(ORIGIN),
        "--witness-key",
        &vkey,
        "--quorum",
        "1",
    ]);
    assert_eq!(report["ok"], true, "{report}");

    // A log with the same key and origin but a shorter history (rolled back): the witness refuses it.
    let other = TestApp::spawn_with(Backend::Sqlite, &["--log-origin", ORIGIN]).await;
    assert_eq!(
        other.publish(demo("witnessed", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    let (_, _, rolled_back) = verified_checkpoint(&other).await;
    let refused = reqwest::Client::new()
        .post(format!("{url}/add-checkpoint"))
        .body(format!("old 0\n\n{rolled_back}"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert_eq!(
        refused.text().await.unwrap().trim(),
        signed.checkpoint.size.to_string()
    );
    witness.kill().unwrap();
    witness.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_witness_over_https_with_a_private_ca_cosigns() {
    let dir = tempfile::tempdir().unwrap();
    let (mut witness, vkey, url) = start_witness(dir.path());
    let front =
        crate::tls::tls_front(url.trim_start_matches("http://").trim_end_matches('/')).await;
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &front.ca_pem).unwrap();
    let configured = format!("{vkey}={}", front.url);
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            "--log-witnesses",
            &configured,
            "--log-origin",
            ORIGIN,
            "--ca-file",
            ca.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(
        app.publish(demo("witnessed-tls", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    cosigned(&app, &VerifierKey::parse(&vkey).unwrap(), 1).await;
    witness.kill().unwrap();
    witness.wait().unwrap();

    // A CA file that is not one stops the server at startup.
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    for path in [junk.to_str().unwrap(), "/nonexistent/ca.pem"] {
        let refused =
            registry_server::config::Config::try_parse_from(["registry-server", "--ca-file", path])
                .unwrap()
                .settings()
                .unwrap_err()
                .to_string();
        assert!(refused.contains("ANIP_REGISTRY_CA_FILE"), "{refused}");
    }
}

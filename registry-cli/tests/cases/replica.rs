//! A `registry-server --mirror-of` replica seen by the `registry` binary: with the origin's pinned keys, `verify`
//! (inclusion and consistency against the replica's log, which is the origin's) and `log audit` pass.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Registry, TOKEN, World, cli, fixture, http};

fn checkpoint_size(base: &str) -> u64 {
    let (status, text) = http(
        "GET",
        &format!("{base}/registry-api/v1/log/checkpoint"),
        "",
        b"",
    );
    assert_eq!(status, 200, "{text}");
    text.lines().nth(1).unwrap().parse().unwrap()
}

#[test]
fn verify_and_log_audit_pass_against_a_replica_with_the_origins_trust() {
    let world = World::new();
    let request = fixture("packages/github-fronting-showcase-0.2.0-publish-request.json");
    cli(&[
        "publish",
        request.to_str().unwrap(),
        "--registry-url",
        &world.registry.base,
        "--token",
        TOKEN,
    ])
    .assert_code(0);
    world.publish_demo("demo-replica", "1.0.0");
    world.publish_demo("demo-replica", "1.1.0");
    let keys = world.path("keys.txt");
    cli(&[
        "keys",
        "--registry-url",
        &world.registry.base,
        "--save",
        &keys,
    ])
    .assert_code(0);
    let replica = Registry::start_with(&[
        "--mirror-of",
        &world.registry.base,
        "--mirror-trusted-keys",
        &keys,
        "--mirror-interval-ms",
        "50",
    ]);
    let size = checkpoint_size(&world.registry.base);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = http(
            "GET",
            &format!("{}/registry-api/v1/readyz", replica.base),
            "",
            b"",
        );
        let body: Value = serde_json::from_str(&body).unwrap_or_default();
        if status == 200 && body["mirror"]["mirrored_size"] == size {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the replica never synced: {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    for version in [
        "github-fronting-showcase@0.2.0",
        "demo-replica@1.0.0",
        "demo-replica@1.1.0",
    ] {
        let run = cli(&[
            "verify",
            version,
            "--registry-url",
            &replica.base,
            "--trusted-keys",
            &keys,
            "--format",
            "json",
        ]);
        run.assert_code(0);
        run.assert_check("receipt_signature_valid", "pass");
        run.assert_check("log_inclusion", "pass");
    }
    let run = cli(&[
        "log",
        "audit",
        "--registry-url",
        &replica.base,
        "--trusted-keys",
        &keys,
        "--format",
        "json",
    ]);
    run.assert_code(0);
    assert_eq!(run.json()["status"], "verified", "{}", run.stdout);
    assert_eq!(run.json()["versions_checked"], 3);
}

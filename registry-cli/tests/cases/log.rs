//! The transparency log from the command line, against real registries: inclusion of a version (its entry rebuilt
//! from receipt and record), consistency with the newest checkpoint remembered across runs (state file 0600 in a
//! 0700 directory), a fork (two registries under one origin and key, i.e. a split view) as exit 3 with the
//! evidence, two development registries (each its own origin) never taken for a fork, `log audit` of an honest log
//! (altered records: `log_audit.rs`), and a bundle's embedded proof checked offline.

use std::os::unix::fs::PermissionsExt as _;

use serde_json::Value;

use crate::support::{World, cli, cli_with_env, http};

/// The log origin `/keys` announces.
fn origin_of(world: &World) -> String {
    let (status, body) = http(
        "GET",
        &format!("{}/registry-api/v1/keys", world.registry.base),
        "",
        b"",
    );
    assert_eq!(status, 200, "{body}");
    let keys: Value = serde_json::from_str(&body).unwrap();
    keys["log"]["origin"].as_str().unwrap().to_owned()
}

fn verify_json(registry: &str, package: &str, state: &str) -> crate::support::Run {
    cli_with_env(
        &[
            "verify",
            package,
            "--registry-url",
            registry,
            "--format",
            "json",
        ],
        &[("NO_COLOR", "1"), ("XDG_STATE_HOME", state)],
    )
}

fn state_files(state: &std::path::Path) -> Vec<std::path::PathBuf> {
    let dir = state.join("anip-registry/checkpoints");
    std::fs::read_dir(&dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

#[test]
fn verify_proves_inclusion_and_consistency_across_runs() {
    let world = World::new();
    let state = tempfile::tempdir().unwrap();
    let state_path = state.path().to_str().unwrap();
    world.publish_demo("demo-log", "1.0.0");

    let run = verify_json(&world.registry.base, "demo-log@1.0.0", state_path);
    run.assert_code(0);
    run.assert_check("log_entry_matches", "pass");
    let detail = run.assert_check("log_inclusion", "pass");
    assert!(
        detail.contains("is in the signed checkpoint of size"),
        "{detail}"
    );
    let detail = run.assert_check("log_consistency", "pass");
    assert!(detail.contains("first checkpoint seen"), "{detail}");
    let files = state_files(state.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&files[0]), 0o600);
    assert_eq!(mode(files[0].parent().unwrap()), 0o700);
    let first = std::fs::read_to_string(&files[0]).unwrap();

    // The log grows; the next run proves the new checkpoint extends the remembered one and remembers it.
    world.publish_demo("demo-log", "1.0.1");
    world.publish_demo("demo-log", "1.0.2");
    let run = verify_json(&world.registry.base, "demo-log@1.0.0", state_path);
    run.assert_code(0);
    let detail = run.assert_check("log_consistency", "pass");
    assert!(
        detail.contains("consistent with size") && detail.contains("remembered"),
        "{detail}"
    );
    let second = std::fs::read_to_string(&files[0]).unwrap();
    assert_ne!(first, second, "the newer checkpoint is remembered");

    // resolve checks the same and pins the position in the lock it writes.
    let lock = world.path("log.lock.json");
    cli_with_env(
        &[
            "resolve",
            "demo-log@1.0.1",
            "--registry-url",
            &world.registry.base,
            "--lock-file",
            &lock,
            "--write-lock",
            "--out",
            &world.path("record.json"),
        ],
        &[("XDG_STATE_HOME", state_path)],
    )
    .assert_code(0);
    let written: Value = serde_json::from_slice(&std::fs::read(&lock).unwrap()).unwrap();
    assert!(written["log_index"].is_u64(), "{written}");
    assert!(
        written["log_checkpoint"]
            .as_str()
            .unwrap()
            .contains("\n\n— "),
        "{written}"
    );
    // The lock verifies later against a grown log (its checkpoint provably extended).
    world.publish_demo("demo-log", "1.0.3");
    let run = cli_with_env(
        &["verify", "--lock-file", &lock, "--format", "json"],
        &[("XDG_STATE_HOME", state_path)],
    );
    run.assert_code(0);
    run.assert_check("log_consistent_with_lock", "pass");
    run.assert_check("package_lock_matches", "pass");
}

#[test]
fn a_fork_is_exit_3_with_both_checkpoints_and_the_failed_proof() {
    // Two registries with the same origin and the same (development) key but different histories: a split view.
    let origin = ["--log-origin", "localhost/anip-registry"];
    let honest = World::with(&origin);
    let other = World::with(&origin);
    let state = tempfile::tempdir().unwrap();
    let state_path = state.path().to_str().unwrap();
    honest.publish_demo("demo-fork", "1.0.0");
    honest.publish_demo("demo-fork", "1.0.1");
    other.publish_demo("demo-fork", "1.0.0");
    other.publish_demo("demo-evil", "1.0.0");
    other.publish_demo("demo-evil", "1.0.1");

    verify_json(&honest.registry.base, "demo-fork@1.0.0", state_path).assert_code(0);
    let seen = std::fs::read_to_string(&state_files(state.path())[0]).unwrap();

    let run = verify_json(&other.registry.base, "demo-fork@1.0.0", state_path);
    run.assert_code(3);
    run.assert_stderr_contains("FORK: the log localhost/anip-registry");
    run.assert_stderr_contains(&seen);
    run.assert_stderr_contains("--- checkpoint served now ---");
    run.assert_stderr_contains("--- consistency proof (old 2 -> new 3) ---");
    run.assert_stderr_contains("GET /log/proof/consistency?old=2&new=3");
    run.assert_stderr_contains("consistency proof does not verify");
    // The remembered checkpoint is unchanged by the forked one.
    assert_eq!(
        std::fs::read_to_string(&state_files(state.path())[0]).unwrap(),
        seen
    );

    // `log checkpoint` reports the same fork.
    cli_with_env(
        &["log", "checkpoint", "--registry-url", &other.registry.base],
        &[("XDG_STATE_HOME", state_path)],
    )
    .assert_code(3)
    .assert_stderr_contains("FORK");
}

#[test]
fn two_development_registries_are_two_logs_and_a_restart_keeps_its_history() {
    // Neither names an origin: each log's default origin carries its own id, so one machine checking both sees two
    // logs (the same names published to each, different histories), not one log that forked.
    let a = World::new();
    let b = World::new();
    let state = tempfile::tempdir().unwrap();
    let state_path = state.path().to_str().unwrap();
    a.publish_demo("demo-two", "1.0.0");
    a.publish_demo("demo-two", "1.0.1");
    b.publish_demo("demo-two", "1.0.0");
    let (origin_a, origin_b) = (origin_of(&a), origin_of(&b));
    assert!(
        origin_a.starts_with("localhost/anip-registry/"),
        "{origin_a}"
    );
    assert_ne!(origin_a, origin_b);
    verify_json(&a.registry.base, "demo-two@1.0.0", state_path).assert_code(0);
    let run = verify_json(&b.registry.base, "demo-two@1.0.0", state_path);
    run.assert_code(0);
    assert!(
        run.assert_check("log_consistency", "pass")
            .contains("first checkpoint seen")
    );
    assert_eq!(state_files(state.path()).len(), 2);

    // Restarted on its store (a new port), registry A is the same log: its grown checkpoint is proven consistent
    // with the one remembered before the restart.
    let World { registry, dir } = a;
    let a = World {
        registry: registry.restart(&[]),
        dir,
    };
    assert_eq!(origin_of(&a), origin_a);
    a.publish_demo("demo-two", "1.0.2");
    let run = verify_json(&a.registry.base, "demo-two@1.0.2", state_path);
    run.assert_code(0);
    let detail = run.assert_check("log_consistency", "pass");
    assert!(detail.contains("remembered"), "{detail}");
    assert_eq!(state_files(state.path()).len(), 2);
}

#[test]
fn log_checkpoint_and_audit_of_an_honest_log() {
    let world = World::new();
    for v in ["1.0.0", "1.0.1", "1.0.2"] {
        world.publish_demo("demo-audit", v);
    }
    let run = cli(&[
        "log",
        "checkpoint",
        "--registry-url",
        &world.registry.base,
        "--format",
        "json",
    ]);
    run.assert_code(0);
    let cp = run.json();
    assert_eq!(cp["tree_size"], 3);
    assert_eq!(cp["origin"], origin_of(&world).as_str());

    let run = cli(&[
        "log",
        "audit",
        "--registry-url",
        &world.registry.base,
        "--format",
        "json",
    ]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["status"], "verified", "{report}");
    assert_eq!(report["root_matches"], true);
    assert_eq!(report["versions_checked"], 3);
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn a_bundle_carries_its_proof_and_verifies_offline() {
    let world = World::new();
    world.publish_demo("demo-bundle", "1.0.0");
    let api = format!("{}/registry-api/v1", world.registry.base);
    let get = |path: &str| -> Value {
        let (status, body) = crate::support::http("GET", &format!("{api}{path}"), "", b"");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    let bundle = serde_json::json!({
        "bundle_schema_version": "anip-package-bundle/v1",
        "package": get("/packages/demo-bundle/1.0.0"),
        "receipt": get("/packages/demo-bundle/1.0.0/receipt"),
    });
    let path = world.write(
        "demo.anip-package.json",
        &serde_json::to_vec_pretty(&bundle).unwrap(),
    );
    let verify = |file: &str| {
        cli(&[
            "verify",
            "--bundle",
            file,
            "--trust-bundle-keys",
            "--format",
            "json",
        ])
    };
    verify(&path).assert_check("log_inclusion", "warn");

    cli(&[
        "log",
        "proof",
        "demo-bundle@1.0.0",
        "--registry-url",
        &world.registry.base,
        "--bundle",
        &path,
        "--out",
        &world.path("demo"),
    ])
    .assert_code(0);
    // Offline: `verify --bundle` names no registry.
    let run = verify(&path);
    run.assert_code(0);
    let detail = run.assert_check("log_inclusion", "pass");
    assert!(detail.contains("(offline)"), "{detail}");

    // The written proof and entry verify with `log verify` under a policy naming the development log key.
    let proof = std::fs::read_to_string(world.path("demo.tlog-proof")).unwrap();
    assert!(
        proof.starts_with("c2sp.org/tlog-proof@v1\nindex 0\n"),
        "{proof}"
    );
    let dev = verifier::keys::SigningKey::dev().public_key();
    let vkey = verifier::tlog::VerifierKey::log(&origin_of(&world), &dev).unwrap();
    let policy = world.write(
        "dev.policy",
        format!("log {vkey}\nquorum none\n").as_bytes(),
    );
    cli(&[
        "log",
        "verify",
        &world.path("demo.tlog-proof"),
        "--entry",
        &world.path("demo.entry"),
        "--log-policy",
        &policy,
    ])
    .assert_code(0)
    .assert_stdout_contains("verified: entry 0 is in the checkpoint of size 1");

    // A bundle whose proof is moved to another index, or whose record changed, fails.
    let mut moved: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    moved["transparency_log"]["log_index"] = Value::from(1);
    let moved_path = world.write(
        "moved.anip-package.json",
        &serde_json::to_vec(&moved).unwrap(),
    );
    verify(&moved_path)
        .assert_code(2)
        .assert_check("log_inclusion", "fail");
    let mut edited: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edited["transparency_log"]["tlog_proof"] =
        Value::String(proof.replacen("index 0", "index 1", 1));
    edited["transparency_log"]["log_index"] = Value::from(1);
    let edited_path = world.write(
        "edited.anip-package.json",
        &serde_json::to_vec(&edited).unwrap(),
    );
    verify(&edited_path)
        .assert_code(2)
        .assert_check("log_inclusion", "fail");
}

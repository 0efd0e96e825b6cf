//! Locks never name the registry's active key (`registry_active_key_id`): ANIP's generator compares it with the
//! registry's current active key, so a lock carrying it breaks at the first key rotation. Served locks (`/lock`)
//! and locks `resolve --write-lock` writes leave it out; a lock that has it (an older tool's) still reads.

use serde_json::Value;

use crate::support::{World, cli, http};

#[test]
fn served_and_written_locks_leave_out_the_active_key_id() {
    let world = World::new();
    world.publish_demo("demo-l", "1.0.0");
    let url = format!(
        "{}/registry-api/v1/packages/demo-l/1.0.0/lock",
        world.registry.base
    );
    let (status, served) = http("GET", &url, "", b"");
    assert_eq!(status, 200, "{served}");
    let served: Value = serde_json::from_str(&served).unwrap();
    assert_eq!(served["package_id"], "demo-l");
    assert!(served["receipt_key_id"].is_string(), "{served}");
    assert!(served.get("registry_active_key_id").is_none(), "{served}");

    let lock = world.path("anip.lock.json");
    cli(&[
        "resolve",
        "demo-l@1.0.0",
        "--registry-url",
        &world.registry.base,
        "--lock-file",
        &lock,
        "--write-lock",
        "--out",
        &world.path("record.json"),
    ])
    .assert_code(0);
    let mut written: Value = serde_json::from_slice(&std::fs::read(&lock).unwrap()).unwrap();
    assert!(written["receipt_key_id"].is_string(), "{written}");
    assert!(written.get("registry_active_key_id").is_none(), "{written}");

    // A lock from an older tool names an active key the registry no longer has (a rotation since): it still reads
    // and resolves, because its receipt's key is still trusted.
    written["registry_active_key_id"] = "registry-key-before-rotation".into();
    let old = world.write(
        "old.lock.json",
        &serde_json::to_vec_pretty(&written).unwrap(),
    );
    cli(&[
        "resolve",
        "demo-l@1.0.0",
        "--lock-file",
        &old,
        "--out",
        &world.path("again.json"),
    ])
    .assert_code(0);
    cli(&["verify", "--lock-file", &old]).assert_code(0);
}

/// `resolve … --write-lock` writes the bytes `/lock` serves (two-space indent, final newline), against a real server.
#[test]
fn written_and_served_locks_have_the_same_bytes() {
    let world = World::new();
    world.publish_demo("demo-b", "1.0.0");
    let lock = world.path("anip.lock.json");
    cli(&[
        "resolve",
        "demo-b@1.0.0",
        "--registry-url",
        &world.registry.base,
        "--lock-file",
        &lock,
        "--write-lock",
        "--out",
        &world.path("record.json"),
    ])
    .assert_code(0);
    let written = std::fs::read_to_string(&lock).unwrap();
    let url = format!(
        "{}/registry-api/v1/packages/demo-b/1.0.0/lock",
        world.registry.base
    );
    let (status, served) = http("GET", &url, "", b"");
    assert_eq!(status, 200, "{served}");
    assert_served_plus_log(&served, &written);
    assert!(written.ends_with("}\n") && written.contains("\n  \"package_id\": \"demo-b\""));
}

/// A lock that no longer matches fails and says how to update it; `--update-lock` rewrites it only when every other
/// check passes, and prints each change.
#[test]
fn update_lock_rewrites_only_after_every_check_and_prints_the_changes() {
    let world = World::new();
    let base = &world.registry.base;
    world.publish_demo("demo-u", "1.0.0");
    world.publish_demo("demo-u", "1.1.0");
    let lock = world.path("anip.lock.json");
    let out = world.path("record.json");
    let resolve = |package: &str, extra: &[&str]| {
        let mut args = vec![
            "resolve",
            package,
            "--registry-url",
            base,
            "--lock-file",
            &lock,
            "--out",
            &out,
        ];
        args.extend(extra);
        cli(&args)
    };
    resolve("demo-u@1.0.0", &["--write-lock"]).assert_code(0);
    let pinned = std::fs::read(&lock).unwrap();

    // Without --update-lock: exit 2, the mismatch, and the command that accepts it deliberately.
    resolve("demo-u@1.1.0", &[])
        .assert_code(2)
        .assert_stderr_contains("package_version: the lock pins 1.0.0 but the registry gave 1.1.0")
        .assert_stderr_contains(&format!(
            "accept it deliberately: registry resolve demo-u@1.1.0 --lock-file {lock} --update-lock"
        ));
    assert_eq!(std::fs::read(&lock).unwrap(), pinned);

    // Another check failing: the lock is not rewritten.
    resolve(
        "demo-u@1.1.0",
        &["--update-lock", "--require-mode", "production"],
    )
    .assert_code(2);
    assert_eq!(std::fs::read(&lock).unwrap(), pinned);

    // Every check passing: rewritten, the changes printed, and it is what the registry serves.
    resolve("demo-u@1.1.0", &["--update-lock"])
        .assert_code(0)
        .assert_stderr_contains(&format!("updated lock {lock}:"))
        .assert_stderr_contains("  package_version: 1.0.0 -> 1.1.0");
    let updated = std::fs::read_to_string(&lock).unwrap();
    let (_, served) = http(
        "GET",
        &format!("{base}/registry-api/v1/packages/demo-u/1.1.0/lock"),
        "",
        b"",
    );
    assert_served_plus_log(&served, &updated);
    // Nothing more to update: the lock is left as it is.
    let again = resolve("demo-u@1.1.0", &["--update-lock"]);
    again.assert_code(0);
    assert!(!again.stderr.contains("updated lock"), "{again:?}");
    resolve("demo-u@1.1.0", &[]).assert_code(0);
}

/// `verify --lock-file` compares the receipt signature the lock pinned.
#[test]
fn verify_lock_file_compares_the_pinned_receipt_signature() {
    let world = World::new();
    world.publish_demo("demo-s", "1.0.0");
    world.publish_demo("demo-s", "1.0.1");
    let lock = world.path("anip.lock.json");
    cli(&[
        "resolve",
        "demo-s@1.0.0",
        "--registry-url",
        &world.registry.base,
        "--lock-file",
        &lock,
        "--write-lock",
        "--out",
        &world.path("record.json"),
    ])
    .assert_code(0);
    cli(&["verify", "--lock-file", &lock]).assert_code(0);
    // The signature of another (valid) receipt by the same key: every other field still matches.
    let (_, other) = http(
        "GET",
        &format!(
            "{}/registry-api/v1/packages/demo-s/1.0.1/receipt",
            world.registry.base
        ),
        "",
        b"",
    );
    let other: Value = serde_json::from_str(&other).unwrap();
    let mut pinned: Value = serde_json::from_slice(&std::fs::read(&lock).unwrap()).unwrap();
    pinned["receipt_signature"] = other["registry_signature"].clone();
    let changed = world.write(
        "changed.lock.json",
        &serde_json::to_vec_pretty(&pinned).unwrap(),
    );
    cli(&["verify", "--lock-file", &changed])
        .assert_code(2)
        .assert_stderr_contains("receipt_signature: the lock pins");
}

/// The lock written is the lock served, byte for byte, followed by the log position `resolve` pins (`log_index`,
/// `log_checkpoint`; ANIP's tools ignore them).
fn assert_served_plus_log(served: &str, written: &str) {
    let head = served.strip_suffix("\n}\n").expect(served);
    assert!(
        written.starts_with(&format!("{head},\n  \"log_index\": ")),
        "{written}"
    );
    let value: serde_json::Value = serde_json::from_str(written).unwrap();
    assert!(value["log_checkpoint"].is_string(), "{written}");
}

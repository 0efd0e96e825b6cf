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

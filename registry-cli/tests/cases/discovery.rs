//! `registry search`, `registry info`, and `ID@latest` / SemVer requirements wherever a command reads a version:
//! the highest usable match (never a pre-release for `latest`, never a yanked version), and `resolve` pins the exact
//! version it chose.

use serde_json::Value;

use crate::support::{ADMIN_TOKEN, World, cli, http};

fn yank(world: &World, id: &str, version: &str) {
    let (status, answer) = http(
        "PATCH",
        &format!(
            "{}/registry-api/v1/admin/packages/{id}/{version}/lifecycle",
            world.registry.base
        ),
        ADMIN_TOKEN,
        br#"{"status":"yanked","reason":"broken build"}"#,
    );
    assert_eq!(status, 200, "{answer}");
}

/// demo-v: 1.0.0, 1.1.0 (yanked), 1.2.0-rc.1, 2.0.0-rc.1.
fn world_with_versions() -> World {
    let world = World::new();
    for version in ["1.0.0", "1.1.0", "1.2.0-rc.1", "2.0.0-rc.1"] {
        world.publish_demo("demo-v", version);
    }
    yank(&world, "demo-v", "1.1.0");
    world
}

#[test]
fn latest_and_requirements_choose_the_highest_usable_version() {
    let world = world_with_versions();
    let base = &world.registry.base;
    let verified = |spec: &str| {
        let run = cli(&["verify", spec, "--registry-url", base, "--format", "json"]);
        run.assert_code(0);
        run.json()["package_version"].as_str().unwrap().to_owned()
    };
    // 1.1.0 is yanked, the rest are pre-releases.
    assert_eq!(verified("demo-v@latest"), "1.0.0");
    assert_eq!(verified("demo-v@^1"), "1.0.0");
    // A requirement that names a pre-release may choose one (SemVer's rule, from the pinned crate).
    assert_eq!(verified("demo-v@>=1.2.0-rc.1, <2"), "1.2.0-rc.1");
    assert_eq!(verified("demo-v@1.0.0"), "1.0.0");
    // Nothing matches: exit 2, the listed versions named.
    cli(&["verify", "demo-v@^3", "--registry-url", base])
        .assert_code(2)
        .assert_stderr_contains("demo-v has no usable version matching ^3")
        .assert_stderr_contains("listed: 2.0.0-rc.1, 1.2.0-rc.1, 1.1.0, 1.0.0");
    // No such id: exit 1.
    cli(&["verify", "nothing-here@latest", "--registry-url", base])
        .assert_code(1)
        .assert_stderr_contains("nothing-here: no such package");

    // resolve pins the exact version it chose.
    let lock = world.path("anip.lock.json");
    cli(&[
        "resolve",
        "demo-v@^1",
        "--registry-url",
        base,
        "--lock-file",
        &lock,
        "--write-lock",
        "--out",
        &world.path("record.json"),
    ])
    .assert_code(0);
    let pinned: Value = serde_json::from_slice(&std::fs::read(&lock).unwrap()).unwrap();
    assert_eq!(pinned["package_version"], "1.0.0");
}

#[test]
fn a_lock_holds_its_version_until_update_lock_moves_it() {
    let world = World::new();
    let base = &world.registry.base;
    world.publish_demo("demo-m", "1.0.0");
    let lock = world.path("anip.lock.json");
    let out = world.path("record.json");
    let resolve = |extra: &[&str]| {
        let mut args = vec![
            "resolve",
            "demo-m@^1",
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
    resolve(&["--write-lock"]).assert_code(0);
    // ^1 moves on.
    world.publish_demo("demo-m", "1.3.0");
    let run = resolve(&[]);
    run.assert_code(0);
    assert!(!run.stderr.contains("updated lock"), "{run:?}");
    let record: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(record["package_version"], "1.0.0");
    // Deliberately: the lock moves to 1.3.0, and says so.
    resolve(&["--update-lock"])
        .assert_code(0)
        .assert_stderr_contains("  package_version: 1.0.0 -> 1.3.0");
    let pinned: Value = serde_json::from_slice(&std::fs::read(&lock).unwrap()).unwrap();
    assert_eq!(pinned["package_version"], "1.3.0");
    let record: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(record["package_version"], "1.3.0");
}

#[test]
fn info_shows_versions_latest_and_digests() {
    let world = world_with_versions();
    let base = &world.registry.base;
    let run = cli(&["info", "demo-v", "--registry-url", base]);
    run.assert_code(0)
        .assert_stdout_contains("  latest     1.0.0")
        .assert_stdout_contains("  demo-v@1.0.0\n")
        .assert_stdout_contains("1.1.0                yanked");
    // The digests are the registry's record's.
    let (_, record) = http(
        "GET",
        &format!("{base}/registry-api/v1/packages/demo-v/1.0.0"),
        "",
        b"",
    );
    let record: Value = serde_json::from_str(&record).unwrap();
    let json = cli(&[
        "info",
        "demo-v@1.0.0",
        "--registry-url",
        base,
        "--format",
        "json",
    ]);
    json.assert_code(0);
    let info = json.json();
    assert_eq!(info["latest"], "1.0.0");
    assert_eq!(info["version"], "1.0.0");
    for field in [
        "definition_digest",
        "manifest_digest",
        "lock_digest",
        "package_execution_signature",
    ] {
        assert_eq!(info["digests"][field], record[field], "{field}");
    }
    let listed: Vec<&str> = info["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["package_version"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["2.0.0-rc.1", "1.2.0-rc.1", "1.1.0", "1.0.0"]);
    // A yanked version still shows its digests.
    let yanked = cli(&[
        "info",
        "demo-v@1.1.0",
        "--registry-url",
        base,
        "--format",
        "json",
    ]);
    assert!(yanked.json()["digests"]["manifest_digest"].is_string());
    // Refusals.
    cli(&["info", "demo-v@9.9.9", "--registry-url", base])
        .assert_code(1)
        .assert_stderr_contains("no such version");
    cli(&["info", "nothing-here", "--registry-url", base]).assert_code(1);
    cli(&["info", "demo-v@!", "--registry-url", base]).assert_code(64);
}

#[test]
fn search_lists_matching_versions() {
    let world = World::new();
    let base = &world.registry.base;
    world.publish_demo("findable-thing", "1.0.0");
    world.publish_demo("other-pkg", "1.0.0");
    let run = cli(&["search", "findable", "--registry-url", base]);
    run.assert_code(0)
        .assert_stdout_contains("findable-thing@1.0.0");
    assert!(!run.stdout.contains("other-pkg"), "{run:?}");
    let json = cli(&[
        "search",
        "findable",
        "--registry-url",
        base,
        "--format",
        "json",
    ]);
    json.assert_code(0);
    assert_eq!(json.json()["items"][0]["package_id"], "findable-thing");
    let none = cli(&["search", "zzzz-no-match", "--registry-url", base]);
    none.assert_code(0)
        .assert_stderr_contains("nothing matches");
    cli(&["search", "findable", "--registry-url", base, "--limit", "0"]).assert_code(64);
}

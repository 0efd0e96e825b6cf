//! `registry mirror` against real registries: a folder mirror of the accepted fixtures that `verify` and `resolve`
//! read as a registry (`file://` and a plain path), incremental runs (only new entries; a yank replayed), and an
//! origin that lies through a proxy (refused, the folder unchanged).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::{ADMIN_TOKEN, Proxy, TOKEN, World, cli, fixture, http};

pub(super) fn yank(world: &World, id: &str, version: &str) {
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

pub(super) fn mirror(from: &str, to: &str, keys: &str) -> crate::support::Run {
    cli(&[
        "mirror",
        "--from",
        from,
        "--to",
        to,
        "--trusted-keys",
        keys,
        "--format",
        "json",
    ])
}

/// Every file under `dir` (relative path → bytes).
pub(super) fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// The accepted fixture requests plus demo packages, mirrored; every version verifies from the folder.
#[test]
fn a_mirrored_folder_is_a_registry_and_follows_the_origin() {
    let world = World::new();
    let mut versions = Vec::new();
    for name in [
        "github-fronting-showcase-0.2.0-publish-request.json",
        "gtm-pipeline-q2-review-0.4.5-publish-request.json",
    ] {
        let path = fixture(&format!("packages/{name}"));
        cli(&[
            "publish",
            path.to_str().unwrap(),
            "--registry-url",
            &world.registry.base,
            "--token",
            TOKEN,
        ])
        .assert_code(0);
        let request: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let manifest = &request["manifest"];
        versions.push(format!(
            "{}@{}",
            manifest["package_id"].as_str().unwrap_or_default(),
            manifest["package_version"].as_str().unwrap_or_default()
        ));
    }
    let template = fixture("templates/github-fronting-starter-0.2.0.anip-template.json");
    cli(&[
        "publish",
        template.to_str().unwrap(),
        "--registry-url",
        &world.registry.base,
        "--token",
        TOKEN,
    ])
    .assert_code(0);
    world.publish_demo("demo-m", "1.0.0");
    world.publish_demo("demo-m", "1.1.0");
    versions.push("demo-m@1.0.0".into());
    versions.push("demo-m@1.1.0".into());
    let keys = world.path("keys.txt");
    cli(&[
        "keys",
        "--registry-url",
        &world.registry.base,
        "--save",
        &keys,
    ])
    .assert_code(0);
    let to = world.path("mirror");

    let run = mirror(&world.registry.base, &to, &keys);
    run.assert_code(0);
    assert_eq!(run.json()["versions_written"], 5, "{}", run.stdout);
    assert_eq!(run.json()["new_size"], 5);
    let run = cli(&[
        "verify",
        "--template",
        "github-fronting-starter@0.2.0",
        "--registry-url",
        &to,
        "--trusted-keys",
        &keys,
        "--format",
        "json",
    ]);
    run.assert_code(0);
    run.assert_check("receipt_signature_valid", "pass");

    for (n, version) in versions.iter().enumerate() {
        // file:// and a plain path both read the folder; each proves inclusion from the folder's own log.
        let url = if n % 2 == 0 {
            format!("file://{to}")
        } else {
            to.clone()
        };
        let run = cli(&[
            "verify",
            version,
            "--registry-url",
            &url,
            "--trusted-keys",
            &keys,
            "--format",
            "json",
        ]);
        run.assert_code(0);
        run.assert_check("log_inclusion", "pass");
        run.assert_check("log_entry_matches", "pass");
    }
    cli(&["keys", "--registry-url", &to]).assert_code(0);
    cli(&["info", "demo-m", "--registry-url", &to])
        .assert_code(0)
        .assert_stdout_contains("1.1.0");
    cli(&[
        "log",
        "checkpoint",
        "--registry-url",
        &to,
        "--trusted-keys",
        &keys,
    ])
    .assert_code(0);
    cli(&[
        "log",
        "audit",
        "--registry-url",
        &to,
        "--trusted-keys",
        &keys,
    ])
    .assert_code(0);
    let lock = world.path("anip.lock.json");
    cli(&[
        "resolve",
        "demo-m@^1",
        "--registry-url",
        &to,
        "--trusted-keys",
        &keys,
        "--lock-file",
        &lock,
        "--write-lock",
        "--out",
        &world.path("record.json"),
    ])
    .assert_code(0);
    let pinned: Value = serde_json::from_slice(&std::fs::read(&lock).unwrap()).unwrap();
    assert_eq!(pinned["package_version"], "1.1.0");

    // Nothing new: nothing fetched, nothing changed.
    let before = snapshot(Path::new(&to));
    let run = mirror(&world.registry.base, &to, &keys);
    run.assert_code(0);
    assert_eq!(run.json()["versions_written"], 0);
    assert_eq!(before, snapshot(Path::new(&to)));

    // More published and a yank: only the new entries are mirrored, and the yank shows in the folder.
    world.publish_demo("demo-m", "1.2.0");
    yank(&world, "demo-m", "1.0.0");
    let run = mirror(&world.registry.base, &to, &keys);
    run.assert_code(0);
    let summary = run.json();
    assert_eq!(summary["old_size"], 5, "{summary}");
    assert_eq!(summary["new_size"], 7, "{summary}");
    assert_eq!(summary["versions_written"], 2, "{summary}");
    assert_eq!(summary["lifecycle_entries"], 1, "{summary}");
    cli(&[
        "verify",
        "demo-m@1.0.0",
        "--registry-url",
        &to,
        "--trusted-keys",
        &keys,
    ])
    .assert_code(2);
    cli(&[
        "verify",
        "demo-m@1.0.0",
        "--registry-url",
        &to,
        "--trusted-keys",
        &keys,
        "--allow-yanked",
    ])
    .assert_code(0);
    cli(&[
        "verify",
        "demo-m@1.2.0",
        "--registry-url",
        &to,
        "--trusted-keys",
        &keys,
    ])
    .assert_code(0);
    // The unchanged fixtures' folders were not rewritten.
    let after = snapshot(Path::new(&to));
    for (path, bytes) in &before {
        if path.contains("github-fronting-showcase") {
            assert_eq!(after.get(path), Some(bytes), "{path}");
        }
    }
}

/// An origin that serves an altered record: refused with the evidence, exit 2, the folder unchanged.
#[test]
fn an_origin_that_lies_is_refused_and_the_folder_is_kept() {
    let world = World::new();
    world.publish_demo("demo-lie", "1.0.0");
    let keys = world.path("keys.txt");
    cli(&[
        "keys",
        "--registry-url",
        &world.registry.base,
        "--save",
        &keys,
    ])
    .assert_code(0);
    let to = world.path("mirror");
    mirror(&world.registry.base, &to, &keys).assert_code(0);
    let before = snapshot(Path::new(&to));

    world.publish_demo("demo-lie", "1.0.1");
    // The altered record served by the version's own route (the bulk routes missing: read per version), then by
    // the bulk `/log/records` answer.
    for bulk in [false, true] {
        let proxy = Proxy::rewriting(world.registry.addr, move |path, answer| {
            let zero = Value::String(format!("sha256:{}", "0".repeat(64)));
            let bulk_route = path.starts_with("/registry-api/v1/log/records?")
                || path.starts_with("/registry-api/v1/log/receipts?");
            if !bulk && bulk_route {
                answer.status = 404;
                answer.body = br#"{"error":"no","code":"not_found"}"#.to_vec();
            }
            if !bulk && path.split('?').next() == Some("/registry-api/v1/packages/demo-lie/1.0.1") {
                let mut record = answer.json();
                record["definition_digest"] = zero.clone();
                answer.set_json(&record);
            }
            if bulk && path.starts_with("/registry-api/v1/log/records?") {
                let mut records = answer.json();
                for item in records["items"].as_array_mut().into_iter().flatten() {
                    if item["record"]["package_version"] == "1.0.1" {
                        item["record"]["definition_digest"] = zero.clone();
                    }
                }
                answer.set_json(&records);
            }
        });
        let run = mirror(&proxy.base, &to, &keys);
        run.assert_code(2);
        run.assert_stderr_contains("demo-lie@1.0.1");
        run.assert_stderr_contains("the mirror folder was left as it was");
        assert_eq!(before, snapshot(Path::new(&to)), "bulk: {bulk}");
    }

    // The honest origin afterwards: mirrored.
    mirror(&world.registry.base, &to, &keys).assert_code(0);
}

/// A swapped key in the origin's `/keys` and a rolled-back checkpoint: each refused (exit 2), the folder unchanged.
#[test]
fn a_swapped_key_or_a_rolled_back_checkpoint_is_refused() {
    let world = World::new();
    world.publish_demo("demo-roll", "1.0.0");
    let (_, old_checkpoint) = http(
        "GET",
        &format!("{}/registry-api/v1/log/checkpoint", world.registry.base),
        "",
        b"",
    );
    world.publish_demo("demo-roll", "1.0.1");
    let to = world.path("mirror");
    // No --trusted-keys: the first run trusts the origin's keys; later runs pin the keys the folder holds.
    cli(&["mirror", "--from", &world.registry.base, "--to", &to]).assert_code(0);
    let before = snapshot(Path::new(&to));

    let rolled_back = Proxy::rewriting(world.registry.addr, move |path, answer| {
        if path == "/registry-api/v1/log/checkpoint" {
            answer.body = old_checkpoint.clone().into_bytes();
        }
    });
    cli(&["mirror", "--from", &rolled_back.base, "--to", &to])
        .assert_code(2)
        .assert_stderr_contains("checkpoint_rolled_back");
    assert_eq!(before, snapshot(Path::new(&to)));

    let swapped = Proxy::rewriting(world.registry.addr, |path, answer| {
        if path == "/registry-api/v1/keys" {
            let mut keys = answer.json();
            for item in keys["items"].as_array_mut().into_iter().flatten() {
                item["public_key"] =
                    Value::String("DElQ5a28dUvzFfTpROrvS44/vNdVUzUPBUTT1UNVJpo=".into());
            }
            answer.set_json(&keys);
        }
    });
    cli(&["mirror", "--from", &swapped.base, "--to", &to])
        .assert_code(2)
        .assert_stderr_contains("key_changed");
    assert_eq!(before, snapshot(Path::new(&to)));
}

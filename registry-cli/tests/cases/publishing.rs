//! `registry check`, `publish --dry-run`, `publish --output` and `--force`, templates through `publish`, an identical
//! re-publish ("already published, unchanged") and a 409 that shows the stored digests and the next version.

use serde_json::Value;

use crate::support::{TOKEN, World, cli, fixture, http};

/// Every fixture request, bundle and template, judged by `registry check` and by a real registry: `check` passes
/// exactly the files the registry accepts, and lists the problem codes the registry lists.
#[test]
fn check_agrees_with_the_registry_on_every_fixture() {
    let world = World::new();
    let mut files = Vec::new();
    for dir in ["packages", "templates"] {
        for entry in std::fs::read_dir(fixture(dir)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    files.sort();
    let (mut passed, mut failed) = (0, 0);
    for file in &files {
        let path = file.to_str().unwrap();
        let run = cli(&["check", path, "--format", "json"]);
        let report = run.json();
        let kind = report["kind"].as_str().unwrap().to_owned();
        // What the registry says about the same file, sent as `publish --output --force` writes it.
        let request = world.path("request.json");
        cli(&["publish", path, "--output", &request, "--force"]);
        let Ok(body) = std::fs::read(&request) else {
            // Not even a request (a bundle without its parts): check must have failed it.
            assert_eq!(run.code, 2, "{path}: {report}");
            continue;
        };
        std::fs::remove_file(&request).unwrap();
        let route = if kind == "template" {
            "templates"
        } else {
            "publications"
        };
        let url = format!("{}/registry-api/v1/{route}", world.registry.base);
        let (status, answer) = http("POST", &url, TOKEN, &body);
        if status == 201 || status == 200 {
            assert_eq!(
                run.code, 0,
                "{path}: the registry accepted it ({status}): {report}"
            );
            assert_eq!(report["status"], "ok");
            passed += 1;
        } else {
            assert_eq!(status, 400, "{path}: {answer}");
            assert_eq!(run.code, 2, "{path}: the registry refused it: {answer}");
            let answer: Value = serde_json::from_str(&answer).unwrap();
            let codes = |v: &Value| -> Vec<String> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|p| format!("{} {}", p["path"], p["code"]))
                    .collect()
            };
            assert_eq!(
                codes(&report["problems"]),
                codes(&answer["problems"]),
                "{path}"
            );
            failed += 1;
        }
    }
    assert!(
        passed >= 5 && failed >= 3,
        "{passed} passed, {failed} failed"
    );
}

#[test]
fn check_prints_each_problem_with_its_path_on_its_own_line() {
    let world = World::new();
    let mut request: Value =
        serde_json::from_slice(&std::fs::read(world.demo_request("demo-c", "1.0.0")).unwrap())
            .unwrap();
    let ok = world.write("ok.json", &serde_json::to_vec(&request).unwrap());
    cli(&["check", &ok])
        .assert_code(0)
        .assert_stdout_contains("demo-c@1.0.0 (publish request) passes every publish-time rule");
    request["package_version"] = "1.0".into();
    request["manifest"]["anip_spec_version"] = "anip/0.1".into();
    let bad = world.write("bad.json", &serde_json::to_vec(&request).unwrap());
    let run = cli(&["check", &bad]);
    run.assert_code(2)
        .assert_stderr_contains("breaks 2 publish rule(s)")
        .assert_stderr_contains("\n  package_version: ")
        .assert_stderr_contains("[invalid_version]\n  manifest.anip_spec_version: ");
    let json = cli(&["check", &bad, "--format", "json"]);
    json.assert_code(2);
    assert_eq!(
        json.json()["problems"][1]["path"],
        "manifest.anip_spec_version"
    );
    // Not JSON; not there.
    let garbage = world.write("garbage.json", b"{\"package_id\": ");
    cli(&["check", &garbage])
        .assert_code(2)
        .assert_stderr_contains("[invalid_json]");
    cli(&["check", &world.path("missing.json")])
        .assert_code(1)
        .assert_stderr_contains("reading ");
    // --template forces the template rules on a package request.
    cli(&["check", &ok, "--template"]).assert_code(2);
}

#[test]
fn output_refuses_a_request_the_registry_would_reject_unless_forced() {
    let world = World::new();
    let mut request: Value =
        serde_json::from_slice(&std::fs::read(world.demo_request("demo-o", "1.0.0")).unwrap())
            .unwrap();
    request["package_version"] = "01.0.0".into();
    let bad = world.write("bad.json", &serde_json::to_vec(&request).unwrap());
    let out = world.path("out.json");
    cli(&["publish", &bad, "--output", &out])
        .assert_code(2)
        .assert_stderr_contains("not writing")
        .assert_stderr_contains("package_version: ");
    assert!(!std::path::Path::new(&out).exists());
    cli(&["publish", &bad, "--output", &out, "--force"])
        .assert_code(0)
        .assert_stderr_contains("--force: wrote a request a registry would refuse");
    let written: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(written["package_version"], "01.0.0");
    // --force means nothing without --output: a usage error.
    cli(&["publish", &bad, "--force"]).assert_code(64);
}

#[test]
fn dry_run_says_free_unchanged_or_taken() {
    let world = World::new();
    let base = &world.registry.base;
    let request = world.demo_request("demo-d", "1.0.0");
    let dry = |file: &str| cli(&["publish", file, "--dry-run", "--registry-url", base]);
    dry(&request)
        .assert_code(0)
        .assert_stdout_contains("its version is free; nothing was sent");
    // Nothing was sent.
    cli(&["verify", "demo-d@1.0.0", "--registry-url", base]).assert_code(1);
    world.publish_demo("demo-d", "1.0.0");
    dry(&request)
        .assert_code(0)
        .assert_stdout_contains("already published with exactly this content");
    let json = cli(&[
        "publish",
        &request,
        "--dry-run",
        "--registry-url",
        base,
        "--format",
        "json",
    ]);
    json.assert_code(0);
    assert_eq!(json.json()["status"], "unchanged");

    // Other content under the same version: exit 2, the stored digests, the next version.
    let other = other_content(&world, "demo-d", "1.0.0");
    let run = dry(&other);
    run.assert_code(2)
        .assert_stderr_contains("demo-d@1.0.0 is already published with other content")
        .assert_stderr_contains("\n  manifest_digest: stored sha256:")
        .assert_stderr_contains("for example to 1.0.1");
    // A broken rule stops a dry run before the registry is asked.
    let mut bad: Value = serde_json::from_slice(&std::fs::read(&request).unwrap()).unwrap();
    bad["package_version"] = "1.0".into();
    let bad = world.write("bad.json", &serde_json::to_vec(&bad).unwrap());
    cli(&[
        "publish",
        &bad,
        "--dry-run",
        "--registry-url",
        &crate::support::unreachable_url(),
    ])
    .assert_code(2)
    .assert_stderr_contains("[invalid_version]");
}

/// The demo request for `id@version` with a manifest that differs (so other digests).
fn other_content(world: &World, id: &str, version: &str) -> String {
    let mut request: Value =
        serde_json::from_slice(&std::fs::read(world.demo_request(id, version)).unwrap()).unwrap();
    request["manifest"]["description"] = "another build of the same version".into();
    world.write("other.json", &serde_json::to_vec(&request).unwrap())
}

#[test]
fn a_conflict_shows_the_stored_digests_and_the_next_version() {
    let world = World::new();
    let base = &world.registry.base;
    world.publish_demo("demo-x", "1.0.0");
    world.publish_demo("demo-x", "1.2.0");
    let other = other_content(&world, "demo-x", "1.0.0");
    let run = cli(&["publish", &other, "--registry-url", base, "--token", TOKEN]);
    run.assert_code(2)
        .assert_stderr_contains("error: demo-x@1.0.0 is already published with other content\n")
        .assert_stderr_contains("\n  manifest_digest: stored sha256:")
        .assert_stderr_contains(", yours sha256:")
        .assert_stderr_contains("\n  published_at: ");
    let json = cli(&[
        "publish",
        &other,
        "--registry-url",
        base,
        "--token",
        TOKEN,
        "--format",
        "json",
    ]);
    json.assert_code(2);
    let error = json.json();
    assert_eq!(error["code"], "version_exists");
    assert_eq!(error["exit_code"], 2);
    // The next patch after the highest listed version (1.2.0), not after the requested one.
    let last = error["problems"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .contains("for example to 1.2.1"),
        "{error}"
    );
}

#[test]
fn templates_publish_through_publish_and_again_unchanged() {
    let world = World::new();
    let base = &world.registry.base;
    let template = fixture("templates/github-fronting-starter-0.2.0.anip-template.json");
    let template = template.to_str().unwrap();
    let publish = |extra: &[&str]| {
        let mut args = vec![
            "publish",
            template,
            "--registry-url",
            base,
            "--token",
            TOKEN,
        ];
        args.extend(extra);
        cli(&args)
    };
    publish(&[])
        .assert_code(0)
        .assert_stdout_contains("published github-fronting-starter@0.2.0")
        .assert_stdout_contains("template_digest");
    publish(&["--template"])
        .assert_code(0)
        .assert_stdout_contains("already published, unchanged github-fronting-starter@0.2.0");
    let json = publish(&["--format", "json"]);
    json.assert_code(0);
    assert_eq!(json.json()["status"], "unchanged");
    assert_eq!(json.json()["kind"], "template");
    cli(&[
        "verify",
        "--template",
        "github-fronting-starter@0.2.0",
        "--registry-url",
        base,
    ])
    .assert_code(0);
    // A dry run of a template: unchanged; templates are read by `latest` too.
    publish(&["--dry-run"])
        .assert_code(0)
        .assert_stdout_contains("already published with exactly this content");
    cli(&[
        "verify",
        "--template",
        "github-fronting-starter@latest",
        "--registry-url",
        base,
    ])
    .assert_code(0);
    cli(&[
        "info",
        "github-fronting-starter",
        "--template",
        "--registry-url",
        base,
    ])
    .assert_code(0)
    .assert_stdout_contains("  latest     0.2.0")
    .assert_stdout_contains("template_digest");
}

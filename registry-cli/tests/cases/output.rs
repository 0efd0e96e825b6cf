//! Exit codes (0, 1, 2 and 64 for usage errors), JSON error documents, `--version` with the git commit,
//! completions and the man page.

use crate::support::{World, cli, unreachable_url};

#[test]
fn usage_errors_are_64_never_2() {
    for args in [
        vec![],
        vec!["no-such-command"],
        vec!["verify", "--no-such-flag"],
        vec!["resolve", "demo@1.0.0"],
        vec!["verify", "--all", "--jobs", "0"],
        vec!["verify", "--format", "yaml", "demo@1.0.0"],
        vec!["completions", "tcsh"],
        vec!["verify", "demo@not-a-version-or-requirement!"],
    ] {
        let run = cli(&args);
        assert_eq!(run.code, 64, "{args:?}: {run:?}");
        assert!(
            run.stderr.contains("error:") || run.stderr.contains("Usage:"),
            "{run:?}"
        );
    }
    // Help and version are not errors.
    cli(&["--help"]).assert_code(0);
    cli(&["verify", "--help"]).assert_code(0);
}

#[test]
fn json_format_prints_an_error_document_on_stdout() {
    let nowhere = unreachable_url();
    // Could not run: exit 1.
    let run = cli(&["keys", "--registry-url", &nowhere, "--format", "json"]);
    run.assert_code(1)
        .assert_stderr_contains("error: cannot reach");
    let error = run.json();
    assert_eq!(error["code"], "could_not_run");
    assert_eq!(error["exit_code"], 1);
    assert!(
        error["error"].as_str().unwrap().contains("cannot reach"),
        "{error}"
    );
    assert!(error["problems"].is_array());
    // A usage error: exit 64, still one document.
    let run = cli(&["verify", "--format", "json", "--no-such-flag"]);
    run.assert_code(64);
    assert_eq!(run.json()["code"], "usage_error");
    let run = cli(&["verify", "--format=json", "demo"]);
    run.assert_code(64);
    assert_eq!(run.json()["code"], "usage_error");
    // A failed check whose report is the document: exactly one document, the report.
    let world = World::new();
    world.publish_demo("demo-j", "1.0.0");
    let run = cli(&[
        "verify",
        "demo-j@1.0.0",
        "--registry-url",
        &world.registry.base,
        "--require-mode",
        "production",
        "--format",
        "json",
    ]);
    run.assert_code(2);
    assert_eq!(run.json()["status"], "failed");
}

#[test]
fn version_names_the_git_commit() {
    let run = cli(&["--version"]);
    run.assert_code(0);
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    assert_eq!(
        run.stdout.trim(),
        format!("registry {} (commit {head})", env!("CARGO_PKG_VERSION"))
    );
}

#[path = "../../build/git_commit.rs"]
#[allow(dead_code)]
mod git_commit;

#[test]
fn without_git_the_commit_is_unknown() {
    // No git program (a minimal build image).
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        git_commit::commit_with(
            "/nonexistent/git",
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        ),
        "unknown"
    );
    // A directory outside any checkout, as `cargo install` from an unpacked tarball builds in (when the temp dir is
    // not itself inside one).
    let inside_a_checkout = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir.path())
        .output()
        .is_ok_and(|o| o.status.success());
    if !inside_a_checkout {
        assert_eq!(git_commit::commit_with("git", dir.path()), "unknown");
    }
    // In this checkout: the commit.
    let here = git_commit::commit_with("git", std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(here.len() == 12 || here == "unknown", "{here}");
}

#[test]
fn completions_and_man_page() {
    let bash = cli(&["completions", "bash"]);
    bash.assert_code(0)
        .assert_stdout_contains("_registry()")
        .assert_stdout_contains("--update-lock");
    cli(&["completions", "zsh"])
        .assert_code(0)
        .assert_stdout_contains("#compdef registry");
    cli(&["completions", "fish"])
        .assert_code(0)
        .assert_stdout_contains("complete -c registry");
    let man = cli(&["man"]);
    man.assert_code(0)
        .assert_stdout_contains(".TH registry 1")
        .assert_stdout_contains("completions");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    cli(&["man", "--out-dir", out.to_str().unwrap()]).assert_code(0);
    for page in [
        "registry.1",
        "registry-publish.1",
        "registry-check.1",
        "registry-resolve.1",
    ] {
        let text = std::fs::read_to_string(out.join(page)).unwrap();
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{page}");
    }
}

//! A closed stdout or stderr (`registry keys | head -2`, `registry verify --all --format json | true`) never makes
//! a subcommand panic (exit 101): reports are cut short quietly and the exit code is the command's own; only a
//! record `resolve` was to deliver on stdout makes it exit 1.

use std::process::Stdio;

use crate::support::{TOKEN, World, command, fixture};

/// Runs the binary with stdout and/or stderr connected to a pipe whose reading end is already closed.
fn with_closed(args: &[&str], close_stdout: bool, close_stderr: bool) -> (i32, String) {
    let closed = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        Stdio::from(writer)
    };
    let mut command = command();
    command.args(args).env("NO_COLOR", "1").stdin(Stdio::null());
    command.stdout(if close_stdout {
        closed()
    } else {
        Stdio::null()
    });
    command.stderr(if close_stderr {
        closed()
    } else {
        Stdio::piped()
    });
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn every_subcommand_handles_a_closed_stdout_or_stderr_quietly() {
    let world = World::new();
    world.publish_demo("demo-p", "1.0.0");
    let url = world.registry.base.as_str();
    let keys = world.path("keys.txt");
    let lock = world.path("anip.lock.json");
    let bundle = fixture("packages/gitlab-fronting-showcase-0.2.0.anip-package.json");
    let bundle = bundle.to_str().unwrap();
    let request = world.demo_request("demo-p", "1.0.0");
    crate::support::cli(&["keys", "--registry-url", url, "--save", &keys]).assert_code(0);
    crate::support::cli(&[
        "resolve",
        "demo-p@1.0.0",
        "--registry-url",
        url,
        "--lock-file",
        &lock,
        "--write-lock",
        "--out",
        &world.path("first.json"),
    ])
    .assert_code(0);

    // (arguments, exit code expected with a closed stdout)
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["keys", "--registry-url", url], 0),
        (vec!["keys", "--registry-url", url, "--format", "json"], 0),
        (
            vec!["verify", "--all", "--registry-url", url, "--format", "json"],
            0,
        ),
        (vec!["verify", "--all", "--registry-url", url], 0),
        (
            vec![
                "verify",
                "demo-p@1.0.0",
                "--registry-url",
                url,
                "--trusted-keys",
                &keys,
            ],
            0,
        ),
        (vec!["verify", "--lock-file", &lock, "--format", "json"], 0),
        (vec!["verify", "--bundle", bundle], 2),
        (
            vec!["publish", &request, "--registry-url", url, "--token", TOKEN],
            0,
        ),
        (
            vec![
                "publish",
                &request,
                "--registry-url",
                url,
                "--token",
                TOKEN,
                "--format",
                "json",
            ],
            0,
        ),
        // The record is resolve's product: not delivered is a failure, reported on stderr.
        (
            vec![
                "resolve",
                "demo-p@1.0.0",
                "--registry-url",
                url,
                "--lock-file",
                &lock,
            ],
            1,
        ),
        (vec!["--help"], 0),
        (vec!["verify", "--help"], 0),
    ];
    for (args, code) in &cases {
        let (actual, stderr) = with_closed(args, true, false);
        assert!(
            !stderr.contains("panicked"),
            "registry {}: {stderr}",
            args.join(" ")
        );
        assert_eq!(
            actual,
            *code,
            "registry {} (stdout closed): {stderr}",
            args.join(" ")
        );
        // Both closed: still no panic, the same code.
        let (both, _) = with_closed(args, true, true);
        assert_eq!(
            both,
            *code,
            "registry {} (stdout and stderr closed)",
            args.join(" ")
        );
    }
    let (code, stderr) = with_closed(&cases[9].0, true, false);
    assert_eq!(code, 1);
    assert!(stderr.contains("writing the record to stdout"), "{stderr}");
    // A closed stderr alone (warnings, progress, errors) changes nothing either.
    let (code, _) = with_closed(&["verify", "--all", "--registry-url", url], false, true);
    assert_eq!(code, 0);
    let (code, _) = with_closed(&["verify", "x@1.0.0", "--registry-url", url], false, true);
    assert_eq!(code, 1);
}

/// Runs the binary through `sh` with stdout redirected by `redirect` (`>/dev/full`, `>/dev/null`).
fn with_stdout(args: &[&str], redirect: &str) -> (i32, String) {
    let template = command();
    let program = template.get_program().to_owned();
    // The test thread's own state directory, as `command()` sets it.
    let state = template
        .get_envs()
        .find(|(name, _)| *name == "XDG_STATE_HOME")
        .and_then(|(_, value)| value.map(ToOwned::to_owned))
        .unwrap();
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("exec \"$0\" \"$@\" {redirect}"))
        .arg(program)
        .args(args)
        .env_remove("ANIP_REGISTRY_URL")
        .env_remove("ANIP_REGISTRY_PUBLISH_TOKEN")
        .env_remove("CLICOLOR_FORCE")
        .env("NO_COLOR", "1")
        .env("XDG_STATE_HOME", state)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn lost_output_fails_the_command() {
    let world = World::new();
    world.publish_demo("demo-p", "1.0.0");
    let url = world.registry.base.as_str();
    let keys = world.path("keys.txt");
    crate::support::cli(&["keys", "--registry-url", url, "--save", &keys]).assert_code(0);
    let verify = [
        "verify",
        "demo-p@1.0.0",
        "--registry-url",
        url,
        "--trusted-keys",
        &keys,
        "--format",
        "json",
    ];
    // A full disk is not a reader that stopped: the report was lost, exit 1 with a message.
    let (code, stderr) = with_stdout(&verify, ">/dev/full");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("writing to stdout failed"), "{stderr}");
    let (code, stderr) = with_stdout(&["keys", "--registry-url", url], ">/dev/full");
    assert_eq!(code, 1, "{stderr}");
    // The same command with somewhere to write succeeds.
    let (code, stderr) = with_stdout(&verify, ">/dev/null");
    assert_eq!(code, 0, "{stderr}");
    // resolve's record with stdout not open at all was not delivered either.
    let lock = world.path("anip.lock.json");
    let resolve = [
        "resolve",
        "demo-p@1.0.0",
        "--registry-url",
        url,
        "--lock-file",
        &lock,
        "--write-lock",
    ];
    let (code, stderr) = with_stdout(&resolve, ">/dev/full");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("writing the record to stdout"), "{stderr}");
    let (code, stderr) = with_stdout(&resolve, ">/dev/null");
    assert_eq!(code, 0, "{stderr}");
}

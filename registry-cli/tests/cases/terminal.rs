//! Colour and progress: on a terminal only (a pseudo-terminal made by util-linux's `script`), never with
//! `NO_COLOR` (warnings included), and no escape code in a pipe.

use std::process::Command;

use crate::support::{World, cli_with_env, fixture};

const ESC: &str = "\u{1b}[";

/// Runs `registry <args>` on a pseudo-terminal (stdout and stderr both) with `env`; returns what it showed.
fn on_terminal(args: &[&str], env: &[(&str, &str)]) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let line = std::iter::once(env!("CARGO_BIN_EXE_registry"))
        .chain(args.iter().copied())
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ");
    let mut script = Command::new("script");
    script.args(["-qec", &line, "/dev/null"]);
    for name in [
        "ANIP_REGISTRY_URL",
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "XDG_CONFIG_HOME",
    ] {
        script.env_remove(name);
    }
    script.env("ANIP_REGISTRY_CONFIG", "");
    // Its own state directory: checkpoints seen are never the user's (nor another run's: test registries share
    // the development origin).
    let state = tempfile::tempdir().unwrap();
    script.env("XDG_STATE_HOME", state.path());
    let output = script
        .envs(env.iter().copied())
        .env("TERM", "xterm-256color")
        .output()
        .expect("util-linux `script` is needed for the terminal tests (package bsdutils)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn colour_on_a_terminal_only_and_never_with_no_color() {
    let bundle = fixture("packages/gitlab-fronting-showcase-0.2.0.anip-package.json");
    let args = ["verify", "--bundle", bundle.to_str().unwrap()];

    // A terminal: badges and the warning are coloured (this also shows the pseudo-terminal works).
    let shown = on_terminal(&args, &[]);
    assert!(shown.contains("FAIL") && shown.contains(ESC), "{shown:?}");
    assert!(shown.contains(&format!("{ESC}33mwarning:")), "{shown:?}");

    // NO_COLOR: not one escape code, the warning included.
    let shown = on_terminal(&args, &[("NO_COLOR", "1")]);
    assert!(
        shown.contains("FAIL") && shown.contains("warning:"),
        "{shown:?}"
    );
    assert!(!shown.contains(ESC), "NO_COLOR ignored: {shown:?}");

    // Pipes: none either, without NO_COLOR.
    let run = cli_with_env(&args, &[]);
    run.assert_code(2);
    assert!(run.stdout.contains("FAIL") && run.stderr.contains("warning:"));
    assert!(
        !run.stdout.contains(ESC) && !run.stderr.contains(ESC),
        "{run:?}"
    );
}

#[test]
fn verify_all_shows_progress_on_a_terminal_only() {
    let world = World::new();
    world.publish_demo("demo-t", "1.0.0");
    world.publish_demo("demo-t", "1.0.1");
    let args = ["verify", "--all", "--registry-url", &world.registry.base];
    let shown = on_terminal(&args, &[("NO_COLOR", "1")]);
    assert!(
        shown.contains("/2 versions"),
        "no progress bar on a terminal: {shown:?}"
    );
    let run = cli_with_env(&args, &[]);
    run.assert_code(0);
    assert!(
        !run.stderr.contains("versions,") && !run.stderr.contains(ESC),
        "{run:?}"
    );
    assert!(!run.stdout.contains(ESC), "{run:?}");
}

#[test]
fn errors_are_red_on_a_terminal_only_one_problem_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, br#"{"package_id": "a", "package_version": "1.0"}"#).unwrap();
    let args = ["check", bad.to_str().unwrap()];
    let shown = on_terminal(&args, &[]);
    assert!(shown.contains(ESC) && shown.contains("error:"), "{shown:?}");
    // One problem per line, never a literal `\n`.
    assert!(
        shown.contains("\n  package_version: ") || shown.contains("\r\n  package_version: "),
        "{shown:?}"
    );
    assert!(!shown.contains("\\n"), "{shown:?}");
    let plain = on_terminal(&args, &[("NO_COLOR", "1")]);
    assert!(
        plain.contains("error: ") && !plain.contains(ESC),
        "{plain:?}"
    );
    let piped = cli_with_env(&args, &[]);
    piped.assert_code(2);
    assert!(!piped.stderr.contains(ESC), "{piped:?}");
}

/// Drives `argv` on a pseudo-terminal: waits for the token prompt and for the terminal's echo to be off (at most
/// 10 s), types the token from `$TYPED`, and prints all the terminal showed. (Python's `pty`: no Rust pty crate here.)
const TYPE_ON_TERMINAL: &str = r#"
import os, pty, select, sys, termios, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
shown = b""
def read(timeout):
    global shown
    if not select.select([fd], [], [], timeout)[0]:
        return True
    try:
        data = os.read(fd, 4096)
    except OSError:
        return False
    shown += data
    return bool(data)
deadline = time.monotonic() + 10
while b"not shown" not in shown and time.monotonic() < deadline and read(0.05):
    pass
while termios.tcgetattr(fd)[3] & termios.ECHO and time.monotonic() < deadline:
    read(0.01)
os.write(fd, os.environb[b"TYPED"] + b"\n")
while read(10):
    pass
os.waitpid(pid, 0)
sys.stdout.buffer.write(shown)
"#;

/// `registry login` on a terminal: the typed token is read (the registry checks it) but never shown.
#[test]
fn login_does_not_echo_a_token_typed_on_a_terminal() {
    let world = World::new();
    let typed = "anip_pat_typed-on-the-terminal-0123456789";
    let home = tempfile::tempdir().unwrap();
    let output = Command::new("python3")
        .args([
            "-c",
            TYPE_ON_TERMINAL,
            env!("CARGO_BIN_EXE_registry"),
            "login",
        ])
        .args(["--registry-url", &world.registry.base])
        .env("TYPED", typed)
        .env("ANIP_REGISTRY_CONFIG", "")
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("python3 drives the pseudo-terminal");
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(shown.contains("publisher token"), "no prompt: {shown:?}");
    // Read: the registry was asked about it (and refused a token it never issued).
    assert!(
        shown.contains("refused") || shown.contains("invalid_token"),
        "{shown:?}"
    );
    assert!(!shown.contains(typed), "the token was echoed: {shown:?}");
    assert!(
        !shown.contains("typed-on-the-terminal"),
        "part of the token was echoed: {shown:?}"
    );
}

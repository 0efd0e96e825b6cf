//! The config file (`$XDG_CONFIG_HOME/anip-registry/config.toml`, or `ANIP_REGISTRY_CONFIG`): registry URL,
//! trusted-keys file and output format, with a flag over its variable over the file.

use crate::support::{World, cli, command, unreachable_url};

/// Runs the binary with `XDG_CONFIG_HOME` set (and no `ANIP_REGISTRY_CONFIG`), plus `env`.
fn run_with_xdg(xdg: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> crate::support::Run {
    let output = command()
        .env_remove("ANIP_REGISTRY_CONFIG")
        .env("XDG_CONFIG_HOME", xdg)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    crate::support::Run {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn flag_over_environment_over_file() {
    let world = World::new();
    world.publish_demo("demo-cfg", "1.0.0");
    let xdg = tempfile::tempdir().unwrap();
    let dir = xdg.path().join("anip-registry");
    std::fs::create_dir_all(&dir).unwrap();
    // Trusted keys saved next to the config file, named relative to it.
    cli(&[
        "keys",
        "--registry-url",
        &world.registry.base,
        "--save",
        dir.join("keys.txt").to_str().unwrap(),
    ])
    .assert_code(0);
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "registry_url = \"{}\"\ntrusted_keys = \"keys.txt\"\nformat = \"json\"\n",
            world.registry.base
        ),
    )
    .unwrap();

    // The file alone: its registry, its keys (no warning about unpinned keys), JSON.
    let run = run_with_xdg(xdg.path(), &["verify", "demo-cfg@1.0.0"], &[]);
    run.assert_code(0);
    assert_eq!(run.json()["status"], "verified");
    assert!(!run.stderr.contains("no --trusted-keys"), "{run:?}");
    run.assert_check("registry_keys_match_pins", "pass");

    // The environment over the file; the flag over the environment.
    let nowhere = unreachable_url();
    let env = [
        ("ANIP_REGISTRY_URL", nowhere.as_str()),
        ("ANIP_REGISTRY_FORMAT", "text"),
    ];
    run_with_xdg(xdg.path(), &["verify", "demo-cfg@1.0.0"], &env)
        .assert_code(1)
        .assert_stderr_contains("cannot reach");
    let run = run_with_xdg(
        xdg.path(),
        &[
            "verify",
            "demo-cfg@1.0.0",
            "--registry-url",
            &world.registry.base,
        ],
        &env,
    );
    run.assert_code(0)
        .assert_stdout_contains("demo-cfg@1.0.0: verified");
    let run = run_with_xdg(
        xdg.path(),
        &[
            "verify",
            "demo-cfg@1.0.0",
            "--registry-url",
            &world.registry.base,
            "--format",
            "json",
        ],
        &env,
    );
    assert_eq!(run.json()["status"], "verified");

    // ANIP_REGISTRY_CONFIG names another file; empty means none.
    let run = run_with_xdg(
        xdg.path(),
        &["verify", "demo-cfg@1.0.0"],
        &[("ANIP_REGISTRY_CONFIG", "")],
    );
    run.assert_code(1).assert_stderr_contains("no registry");
}

#[test]
fn a_malformed_config_file_is_exit_1_naming_it() {
    let xdg = tempfile::tempdir().unwrap();
    let dir = xdg.path().join("anip-registry");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.toml");
    for text in [
        "registry_url = ",
        "registry = \"https://x\"\n",
        "format = \"yaml\"\n",
    ] {
        std::fs::write(&file, text).unwrap();
        let run = run_with_xdg(xdg.path(), &["keys"], &[]);
        run.assert_code(1)
            .assert_stderr_contains("is not valid")
            .assert_stderr_contains(file.to_str().unwrap());
    }
}

/// `account`, `admin` and `log` commands take their registry (and `log` its format) from the file too, with a flag
/// over its variable over the file.
#[test]
fn account_admin_and_log_commands_read_the_file() {
    let world = World::new();
    world.publish_demo("demo-cfg-log", "1.0.0");
    let xdg = tempfile::tempdir().unwrap();
    let dir = xdg.path().join("anip-registry");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "registry_url = \"{}\"\nformat = \"json\"\n",
            world.registry.base
        ),
    )
    .unwrap();
    let admin = ("ANIP_REGISTRY_ADMIN_TOKEN", crate::support::ADMIN_TOKEN);
    let publisher = ("ANIP_REGISTRY_PUBLISH_TOKEN", "anip_pat_not-issued-here");
    let nowhere = unreachable_url();
    let elsewhere = ("ANIP_REGISTRY_URL", nowhere.as_str());
    let flag = ["--registry-url", world.registry.base.as_str()];
    let commands: [(&[&str], &str); 3] = [
        // A token no registry issued: refused by the registry it reached.
        (&["whoami"], "invalid_token"),
        (&["admin", "audit"], "items"),
        (&["log", "checkpoint"], "tree_size"),
    ];
    for (args, reached) in commands {
        // The file alone.
        let run = run_with_xdg(xdg.path(), args, &[admin, publisher]);
        assert!(
            run.stdout.contains(reached) || run.stderr.contains(reached),
            "{args:?} from the file: {run:?}"
        );
        // Its variable over the file.
        run_with_xdg(xdg.path(), args, &[admin, publisher, elsewhere])
            .assert_stderr_contains("cannot reach");
        // The flag over the variable.
        let with_flag: Vec<&str> = args.iter().copied().chain(flag).collect();
        let run = run_with_xdg(xdg.path(), &with_flag, &[admin, publisher, elsewhere]);
        assert!(
            run.stdout.contains(reached) || run.stderr.contains(reached),
            "{args:?} with the flag: {run:?}"
        );
    }
    // `log` takes the file's format (JSON), and a flag over it.
    let run = run_with_xdg(xdg.path(), &["log", "checkpoint"], &[]);
    run.assert_code(0);
    assert!(run.json()["tree_size"].as_u64().unwrap() >= 1, "{run:?}");
    let run = run_with_xdg(xdg.path(), &["log", "checkpoint", "--format", "text"], &[]);
    run.assert_code(0);
    assert!(
        serde_json::from_str::<serde_json::Value>(&run.stdout).is_err(),
        "{run:?}"
    );
}

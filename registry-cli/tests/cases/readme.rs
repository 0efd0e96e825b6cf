//! The README's walk-through, run as written: the lines between `<!-- walkthrough:start -->` and
//! `<!-- walkthrough:end -->` are read from README.md at test time, so the test fails when the README drifts from the
//! command line. `export` lines set the environment (the registry URL and token become the test registry's); every
//! `registry …` line must exit 0, in a scratch directory holding the files the lines name.

use crate::support::{TOKEN, World, command, fixture};

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");

/// The walk-through's lines, comments and blank lines left out.
fn walkthrough() -> Vec<String> {
    let text = std::fs::read_to_string(README).unwrap();
    let start = text
        .find("<!-- walkthrough:start -->")
        .expect("README.md has no walk-through");
    let end = text[start..]
        .find("<!-- walkthrough:end -->")
        .expect("the walk-through has no end")
        + start;
    text[start..end]
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("```"))
        .map(|l| match l.find("  #") {
            Some(at) => l[..at].trim().to_owned(),
            None => l.trim().to_owned(),
        })
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let world = World::new();
    let scratch = tempfile::tempdir().unwrap();
    let mut env: Vec<(String, String)> = Vec::new();
    let lines = walkthrough();
    assert!(
        lines.iter().filter(|l| l.starts_with("registry ")).count() >= 8,
        "{lines:?}"
    );
    let mut published = false;
    for line in &lines {
        assert!(
            !line.contains(['"', '\'', '$', '|', '>', '<']),
            "keep walk-through lines free of shell syntax the test does not run: {line}"
        );
        if let Some(assignment) = line.strip_prefix("export ") {
            let (name, _) = assignment.split_once('=').unwrap();
            let value = match name {
                "ANIP_REGISTRY_URL" => world.registry.base.clone(),
                "ANIP_REGISTRY_PUBLISH_TOKEN" => TOKEN.to_owned(),
                other => panic!("the walk-through sets {other}, which this test does not know"),
            };
            env.push((name.to_owned(), value));
            continue;
        }
        let args: Vec<&str> = line
            .strip_prefix("registry ")
            .unwrap_or_else(|| panic!("not a registry command: {line}"))
            .split_whitespace()
            .collect();
        // Files the line names from the repository (fixtures) are copied to the same place in the scratch dir.
        for arg in &args {
            if let Some(relative) = arg.strip_prefix("tests/fixtures/anip/") {
                let target = scratch.path().join(arg);
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                std::fs::copy(fixture(relative), &target).unwrap();
            }
        }
        let output = command()
            .current_dir(scratch.path())
            .env("NO_COLOR", "1")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .args(&args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{line}\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        if args.first() == Some(&"publish") && !args.contains(&"--dry-run") {
            assert!(stdout.starts_with("published "), "{line}: {stdout}");
            published = true;
        }
    }
    assert!(published, "the walk-through publishes nothing");
    // It ended with a lock and a record on disk.
    assert!(scratch.path().join("anip.lock.json").exists());
    assert!(scratch.path().join("package.json").exists());
}

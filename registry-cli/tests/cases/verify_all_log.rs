//! `registry verify --all` checks the log like a single `verify`: every version's entry in one verified checkpoint
//! (whose entries must hash to its signed root), and that checkpoint consistent with the newest one seen (a split
//! view is a fork, exit 3).

use crate::support::{Proxy, World, cli_with_env};

fn verify_all(registry: &str, state: &str) -> crate::support::Run {
    cli_with_env(
        &[
            "verify",
            "--all",
            "--registry-url",
            registry,
            "--jobs",
            "4",
            "--format",
            "json",
        ],
        &[("NO_COLOR", "1"), ("XDG_STATE_HOME", state)],
    )
}

#[test]
fn verify_all_checks_every_version_against_one_checkpoint_and_the_one_seen() {
    // Two registries with the same origin and the same (development) key but different histories: a split view.
    let origin = ["--log-origin", "localhost/anip-registry"];
    let honest = World::with(&origin);
    let other = World::with(&origin);
    let state = tempfile::tempdir().unwrap();
    let state = state.path().to_str().unwrap();
    for v in ["1.0.0", "1.0.1", "1.0.2"] {
        honest.publish_demo("demo-all", v);
    }
    other.publish_demo("demo-all", "1.0.0");
    other.publish_demo("demo-other", "1.0.0");
    other.publish_demo("demo-other", "1.0.1");
    other.publish_demo("demo-other", "1.0.2");

    let run = verify_all(&honest.registry.base, state);
    run.assert_code(0);
    let results = run.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 3);
    for result in &results {
        let checks = result["checks"].as_array().unwrap();
        for name in ["log_entry_matches", "log_inclusion", "log_consistency"] {
            assert!(
                checks
                    .iter()
                    .any(|c| c["name"] == name && c["status"] == "pass"),
                "{name}: {result}"
            );
        }
    }

    // Entry bundles that do not hash to the signed root: refused.
    let altered = Proxy::rewriting(honest.registry.addr, |path, answer| {
        if path.starts_with("/registry-api/v1/log/tile/entries/") {
            let last = answer.body.len() - 2;
            answer.body[last] ^= 1;
        }
    });
    verify_all(&altered.base, state)
        .assert_code(2)
        .assert_stderr_contains("do not hash to its signed root");

    // Another history under the same origin and key, bigger than the one seen: a fork.
    verify_all(&other.registry.base, state)
        .assert_code(3)
        .assert_stderr_contains("FORK: the log localhost/anip-registry");
}

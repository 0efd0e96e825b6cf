//! The publisher scenario through the command line alone: the admin creates publishers, a publisher logs in
//! (token from stdin, credentials file mode 0600), mints a token, publishes, yanks, the admin transfers the id,
//! the token is revoked, and the audit trail reads back complete and in order.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::process::Stdio;

use serde_json::Value;

use crate::support::{ADMIN_TOKEN, Run, World, cli_with_env, command};

struct Session<'a> {
    world: &'a World,
    credentials: String,
}

impl Session<'_> {
    fn env<'e>(&'e self, extra: &'e [(&'e str, &'e str)]) -> Vec<(&'e str, &'e str)> {
        let mut env = vec![
            ("NO_COLOR", "1"),
            ("ANIP_REGISTRY_URL", self.world.registry.base.as_str()),
            ("ANIP_REGISTRY_CREDENTIALS", self.credentials.as_str()),
        ];
        env.extend_from_slice(extra);
        env
    }

    /// `registry <args>` as the logged-in publisher (stored credentials).
    fn publisher(&self, args: &[&str]) -> Run {
        cli_with_env(args, &self.env(&[]))
    }

    /// `registry admin <args>` with the admin token in the environment.
    fn admin(&self, args: &[&str]) -> Value {
        let mut all = vec!["admin"];
        all.extend_from_slice(args);
        let run = cli_with_env(
            &all,
            &self.env(&[("ANIP_REGISTRY_ADMIN_TOKEN", ADMIN_TOKEN)]),
        );
        run.assert_code(0);
        run.json()
    }

    /// `registry login`, the token on stdin.
    fn login(&self, token: &str) -> (i32, String) {
        let mut child = command()
            .args(["login"])
            .envs(self.env(&[]))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{token}\n").as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

#[test]
fn the_publisher_scenario_runs_through_the_cli_and_its_audit_trail_reads_back_in_order() {
    let world = World::new();
    let session = Session {
        world: &world,
        credentials: world.path("config/credentials.json"),
    };
    // Without the admin token the admin commands refuse to run.
    cli_with_env(&["admin", "audit"], &session.env(&[]))
        .assert_code(1)
        .assert_stderr_contains("ANIP_REGISTRY_ADMIN_TOKEN");
    let created = session.admin(&[
        "publisher",
        "create",
        "acme",
        "--name",
        "Acme Inc.",
        "--namespace",
        "acme",
    ]);
    let first = created["bearer_token"].as_str().unwrap().to_owned();
    session.admin(&[
        "publisher",
        "create",
        "beta",
        "--name",
        "Beta",
        "--namespace",
        "beta",
    ]);
    // A wrong token is not stored.
    let (code, stderr) = session.login("anip_pat_123e4567-e89b-42d3-a456-426614174000_00");
    assert_eq!(code, 1, "{stderr}");
    assert!(!std::path::Path::new(&session.credentials).exists());
    let (code, stderr) = session.login(&first);
    assert_eq!(code, 0, "{stderr}");
    let mode = std::fs::metadata(&session.credentials)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(!stderr.contains(&first), "the token is never echoed");
    let who = session.publisher(&["whoami"]);
    who.assert_code(0);
    assert_eq!(who.json()["publisher"]["publisher_id"], "acme");
    // A CI token, used through ANIP_REGISTRY_PUBLISH_TOKEN (which wins over the stored one).
    let minted = session.publisher(&[
        "token",
        "create",
        "--label",
        "ci",
        "--operation",
        "publish:package",
        "--namespace",
        "acme",
    ]);
    minted.assert_code(0);
    let minted = minted.json();
    let ci = minted["bearer_token"].as_str().unwrap();
    let ci_id = minted["token"]["token_id"].as_str().unwrap();
    let request = world.write(
        "acme-tools.json",
        &serde_json::to_vec(&registry_server::demo::demo_request("acme/tools", "1.0.0").unwrap())
            .unwrap(),
    );
    let published = cli_with_env(
        &["publish", &request],
        &session.env(&[("ANIP_REGISTRY_PUBLISH_TOKEN", ci)]),
    );
    published.assert_code(0);
    // The CI token cannot yank; the stored one (manage:lifecycle) can, and needs a reason.
    let refused = cli_with_env(
        &["yank", "acme/tools@1.0.0", "--reason", "x"],
        &session.env(&[("ANIP_REGISTRY_PUBLISH_TOKEN", ci)]),
    );
    refused
        .assert_code(1)
        .assert_stderr_contains("insufficient_scope");
    session
        .publisher(&["yank", "acme/tools@1.0.0"])
        .assert_code(1)
        .assert_stderr_contains("--reason");
    let yanked = session.publisher(&["yank", "acme/tools@1.0.0", "--reason", "broken build"]);
    yanked.assert_code(0);
    assert_eq!(
        yanked.json()["package"]["lifecycle"]["reason"],
        "broken build"
    );
    let owner = session.publisher(&["owner", "acme/tools"]);
    assert_eq!(owner.json()["publisher"]["publisher_id"], "acme");
    let moved = session.admin(&[
        "artifact",
        "transfer",
        "package",
        "acme/tools",
        "--to",
        "beta",
    ]);
    assert_eq!(moved["artifact"]["publisher_id"], "beta");
    assert_eq!(
        session.publisher(&["owner", "acme/tools"]).json()["publisher"]["publisher_id"],
        "beta"
    );
    let revoked = session.publisher(&["token", "revoke", ci_id]);
    revoked.assert_code(0);
    assert!(revoked.json()["token"]["revoked_at"].is_string());
    let again = cli_with_env(
        &["publish", &request],
        &session.env(&[("ANIP_REGISTRY_PUBLISH_TOKEN", ci)]),
    );
    again.assert_code(1).assert_stderr_contains("token_revoked");
    // The trail, complete and in order.
    let audit = session.admin(&["audit"]);
    let events: Vec<(String, String)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event_type"].as_str().unwrap().to_owned(),
                e["target_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("publisher.created", "acme"),
        ("namespace.created", "acme"),
        (
            "token.created",
            created["token"]["token_id"].as_str().unwrap(),
        ),
        ("publisher.created", "beta"),
        ("namespace.created", "beta"),
        ("token.created", ""),
        ("token.created", ci_id),
        ("artifact.claimed", "acme/tools"),
        ("package.published", "acme/tools@1.0.0"),
        ("package.yanked", "acme/tools@1.0.0"),
        ("artifact.ownership.transferred", "acme/tools"),
        ("artifact.ownership.transferred", "acme/tools"),
        ("token.revoked", ci_id),
    ]
    .iter()
    .map(|(e, t)| ((*e).to_owned(), (*t).to_owned()))
    .collect();
    assert_eq!(events.len(), expected.len(), "{events:?}");
    for (got, want) in events.iter().zip(&expected) {
        assert_eq!(got.0, want.0, "{events:?}");
        if !want.1.is_empty() {
            assert_eq!(got.1, want.1, "{events:?}");
        }
    }
    // Logged out: nothing stored, whoami cannot run.
    session.publisher(&["logout"]).assert_code(0);
    session
        .publisher(&["whoami"])
        .assert_code(1)
        .assert_stderr_contains("registry login");
}

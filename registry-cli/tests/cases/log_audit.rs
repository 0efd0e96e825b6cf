//! `registry log audit` against registries that lie: a record rewritten behind the server's back (in its store) or
//! on the wire (record route, bulk `/log/records`, bulk `/log/receipts`) is reported as `record_mismatch` in every
//! read mode (bulk, `--record-routes`, `--receipt-routes`); a registry without the bulk routes, or a bulk answer
//! that leaves a version out, is asked version by version; an entry bundle that does not hash to the root fails.

use serde_json::Value;

use crate::support::{Proxy, World, cli};

const MODES: [&[&str]; 3] = [&[], &["--record-routes"], &["--receipt-routes"]];

/// `registry log audit --format json` against `base` with `extra` flags: the exit code and the report.
fn audit(base: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["log", "audit", "--registry-url", base, "--format", "json"];
    args.extend_from_slice(extra);
    let run = cli(&args);
    (run.code, run.json())
}

/// Asserts the report's one finding: a record mismatch of `demo-audit@<version>` at `index`.
fn assert_one_mismatch(report: &Value, index: u64, version: &str) {
    assert_eq!(report["root_matches"], true, "{report}");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report}");
    assert_eq!(findings[0]["index"], index);
    assert_eq!(findings[0]["code"], "record_mismatch");
    let detail = findings[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("demo-audit@{version}")),
        "{detail}"
    );
}

const ZERO_DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

#[test]
fn a_record_changed_in_the_store_is_reported_in_every_mode() {
    let world = World::new();
    for v in ["1.0.0", "1.0.1", "1.0.2"] {
        world.publish_demo("demo-audit", v);
    }
    // Someone with write access to the database changes 1.0.1's definition digest; the restart empties the
    // server's caches so it serves the changed row.
    let url = world.registry.database_url();
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            use sqlx::Connection as _;
            let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
            let done = sqlx::query(
                "UPDATE packages SET definition_digest = ? \
                 WHERE package_id = 'demo-audit' AND package_version = '1.0.1'",
            )
            .bind(ZERO_DIGEST)
            .execute(&mut db)
            .await
            .unwrap();
            assert_eq!(done.rows_affected(), 1);
        });
    let World { registry, dir } = world;
    let world = World {
        registry: registry.restart(&[]),
        dir,
    };
    let served = crate::support::http(
        "GET",
        &format!(
            "{}/registry-api/v1/packages/demo-audit/1.0.1",
            world.registry.base
        ),
        "",
        b"",
    );
    assert!(served.1.contains(ZERO_DIGEST), "{served:?}");
    for mode in MODES {
        let (code, report) = audit(&world.registry.base, mode);
        assert_eq!(code, 2, "{mode:?}: {report}");
        assert_one_mismatch(&report, 1, "1.0.1");
        assert_eq!(report["versions_checked"], 3, "{mode:?}");
    }
}

#[test]
fn a_record_changed_on_the_wire_is_reported_by_the_route_it_was_read_from() {
    let world = World::new();
    world.publish_demo("demo-audit", "1.0.0");
    world.publish_demo("demo-audit", "1.0.1");
    // The version's own record route lies about 1.0.1: the modes that read it find it; the bulk read does not read
    // that route, and the honest bulk answer passes.
    let proxy = Proxy::rewriting(world.registry.addr, |path, answer| {
        if path.split('?').next() == Some("/registry-api/v1/packages/demo-audit/1.0.1") {
            let mut record = answer.json();
            record["definition_digest"] = Value::String(ZERO_DIGEST.into());
            answer.set_json(&record);
        }
    });
    for mode in [&["--record-routes"][..], &["--receipt-routes"]] {
        let (code, report) = audit(&proxy.base, mode);
        assert_eq!(code, 2, "{mode:?}: {report}");
        assert_one_mismatch(&report, 1, "1.0.1");
    }
    assert_eq!(audit(&proxy.base, &[]).0, 0);

    // The bulk records answer lies about 1.0.1: found.
    let proxy = Proxy::rewriting(world.registry.addr, |path, answer| {
        if path.starts_with("/registry-api/v1/log/records?") {
            let mut bulk = answer.json();
            for item in bulk["items"].as_array_mut().unwrap() {
                if item["record"]["package_version"] == "1.0.1" {
                    item["record"]["lock_digest"] = Value::String(ZERO_DIGEST.into());
                }
            }
            answer.set_json(&bulk);
        }
    });
    let (code, report) = audit(&proxy.base, &[]);
    assert_eq!(code, 2, "{report}");
    assert_one_mismatch(&report, 1, "1.0.1");

    // The bulk receipts answer lies about entry 0: found; each version's own receipt route (honest) passes.
    let proxy = Proxy::rewriting(world.registry.addr, |path, answer| {
        if path.starts_with("/registry-api/v1/log/receipts?") {
            let mut bulk = answer.json();
            bulk["items"][0]["receipt"]["issued_at"] = Value::String("2020-01-01T00:00:00Z".into());
            answer.set_json(&bulk);
        }
    });
    for mode in [&[][..], &["--record-routes"]] {
        let (code, report) = audit(&proxy.base, mode);
        assert_eq!(code, 2, "{mode:?}: {report}");
        assert_one_mismatch(&report, 0, "1.0.0");
    }
    assert_eq!(audit(&proxy.base, &["--receipt-routes"]).0, 0);
}

#[test]
fn what_the_bulk_routes_leave_out_is_read_version_by_version() {
    let world = World::new();
    world.publish_demo("demo-audit", "1.0.0");
    world.publish_demo("demo-audit", "1.0.1");
    // A registry without the bulk routes (an older server): every version is read from its own routes, and a lie
    // there is still found.
    let proxy = Proxy::rewriting(world.registry.addr, |path, answer| {
        if path.starts_with("/registry-api/v1/log/receipts?")
            || path.starts_with("/registry-api/v1/log/records?")
        {
            answer.status = 404;
            answer.body = br#"{"error":"not found","code":"not_found"}"#.to_vec();
        }
        if path.split('?').next() == Some("/registry-api/v1/packages/demo-audit/1.0.0") {
            let mut record = answer.json();
            record["manifest_digest"] = Value::String(ZERO_DIGEST.into());
            answer.set_json(&record);
        }
    });
    let (code, report) = audit(&proxy.base, &[]);
    assert_eq!(code, 2, "{report}");
    assert_one_mismatch(&report, 0, "1.0.0");
    assert_eq!(report["versions_checked"], 2);

    // A bulk records answer that leaves 1.0.1 out (and an item outside the range asked, ignored): 1.0.1 is read from
    // its own route, which lies, and is reported.
    let proxy = Proxy::rewriting(world.registry.addr, |path, answer| {
        if path.starts_with("/registry-api/v1/log/records?") {
            let mut bulk = answer.json();
            let items = bulk["items"].as_array_mut().unwrap();
            items.retain(|i| i["record"]["package_version"] != "1.0.1");
            let mut stray = items[0].clone();
            stray["index"] = Value::from(99);
            stray["record"]["definition_digest"] = Value::String(ZERO_DIGEST.into());
            items.push(stray);
            answer.set_json(&bulk);
        }
        if path.split('?').next() == Some("/registry-api/v1/packages/demo-audit/1.0.1") {
            let mut record = answer.json();
            record["definition_digest"] = Value::String(ZERO_DIGEST.into());
            answer.set_json(&record);
        }
    });
    let (code, report) = audit(&proxy.base, &[]);
    assert_eq!(code, 2, "{report}");
    assert_one_mismatch(&report, 1, "1.0.1");

    // A bulk records answer that does not move forward is an error, not a pass.
    let proxy = Proxy::rewriting(world.registry.addr, |path, answer| {
        if path.starts_with("/registry-api/v1/log/records?") {
            let mut bulk = answer.json();
            bulk["end"] = bulk["start"].clone();
            answer.set_json(&bulk);
        }
    });
    let run = cli(&["log", "audit", "--registry-url", &proxy.base]);
    run.assert_code(1);
    run.assert_stderr_contains("does not move forward");
}

#[test]
fn an_entry_bundle_that_does_not_hash_to_the_root_fails_the_audit() {
    let world = World::new();
    world.publish_demo("demo-audit", "1.0.0");
    world.publish_demo("demo-audit", "1.0.1");
    let proxy = Proxy::rewriting(world.registry.addr, |path, answer| {
        if path.starts_with("/registry-api/v1/log/tile/entries/") {
            let last = answer.body.len() - 2;
            answer.body[last] ^= 1;
        }
    });
    let (code, report) = audit(&proxy.base, &[]);
    assert_eq!(code, 2);
    assert_eq!(report["root_matches"], false);
}

//! `verify --all` checks versions with `--jobs` workers over a pool of kept-alive connections: no more connections
//! than workers, whatever the number of versions, and every version's result in the listing's order.

use crate::support::{Pump, World, cli, http};

/// The versions in the order `/publications` lists them.
fn listing_order(world: &World) -> Vec<String> {
    let url = format!("{}/registry-api/v1/publications", world.registry.base);
    let (status, body) = http("GET", &url, "", b"");
    assert_eq!(status, 200);
    let listing: serde_json::Value = serde_json::from_str(&body).unwrap();
    listing["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["package_version"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn verify_all_reuses_at_most_jobs_connections() {
    let world = World::new();
    let versions: Vec<String> = (0..12).map(|i| format!("1.0.{i}")).collect();
    for version in &versions {
        world.publish_demo("demo-j", version);
    }
    for jobs in ["1", "3"] {
        let pump = Pump::start(world.registry.addr);
        let run = cli(&[
            "verify",
            "--all",
            "--registry-url",
            &pump.base,
            "--jobs",
            jobs,
            "--format",
            "json",
        ]);
        run.assert_code(0);
        let report = run.json();
        assert_eq!(report["total"], 12);
        assert_eq!(report["failed"], 0);
        let listed: Vec<&str> = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["package_version"].as_str().unwrap())
            .collect();
        assert_eq!(listed, listing_order(&world));
        // 26 requests (keys, listing, a record and a receipt per version) over at most one connection per worker.
        let jobs: usize = jobs.parse().unwrap();
        assert!(
            pump.connections() <= jobs,
            "--jobs {jobs}: {} connections for 26 requests",
            pump.connections()
        );
    }
    // Out of range is refused by the parser (exit 2 is clap's usage error).
    let run = cli(&[
        "verify",
        "--all",
        "--registry-url",
        &world.registry.base,
        "--jobs",
        "0",
    ]);
    assert_ne!(run.code, 0);
}

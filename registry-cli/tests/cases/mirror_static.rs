//! A mirror folder served by a plain static file server (Python's `http.server`, which percent-decodes the whole
//! request path, `%2F` included, before it maps it to a file): namespaced ids and `+` versions, the listings ANIP's
//! clients call (unpaged `/publications`, `/templates`, an id's versions, every page of them merged), and
//! `resolve`, `verify` and `verify --all` through it.

use serde_json::Value;

use super::mirror::mirror;
use crate::support::{Proxy, TOKEN, World, cli};

/// Python's `http.server` started on port 0 over `dir`; killed when dropped.
struct StaticServer {
    child: std::process::Child,
    base: String,
}

impl StaticServer {
    fn start(dir: &str) -> StaticServer {
        use std::io::BufRead as _;
        let mut child = std::process::Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
                dir,
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3");
        // "Serving HTTP on 127.0.0.1 port 43121 (http://127.0.0.1:43121/) ..." once it listens.
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .unwrap_or_else(|| panic!("{line}"))
            .to_owned();
        StaticServer {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Publishes the demo package as `id@version` (ids with `/` too).
fn publish(world: &World, id: &str, version: &str) {
    let request = registry_server::demo::demo_request(id, version).unwrap();
    let file = world.write(
        &format!("{}-{version}.json", id.replace('/', "_")),
        &serde_json::to_vec(&request).unwrap(),
    );
    cli(&[
        "publish",
        &file,
        "--registry-url",
        &world.registry.base,
        "--token",
        TOKEN,
    ])
    .assert_code(0);
}

/// `GET url` as ANIP's Go clients make it: redirects followed (the static server sends a folder's path to `path/`).
fn get_json(url: &str) -> Value {
    let answer = ureq::get(url)
        .call()
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    serde_json::from_reader(answer.into_reader()).unwrap()
}

/// `(id, version)` of every item of a listing's `field` array.
fn names(listing: &Value, field: &str, id: &str, version: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = listing[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i[id]
                    .as_str()
                    .unwrap_or(listing[id].as_str().unwrap_or(""))
                    .to_owned(),
                i[version].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The folder served by a plain static file server is a registry: resolve and verify through it (namespaced ids and
/// build metadata in versions included), the log's proofs computed by the client from the served checkpoint and entry
/// bundles, and every listing answered in full although the origin pages it.
#[test]
fn a_static_file_server_serves_the_mirror() {
    let world = World::new();
    let published = [
        ("demo-s", "1.0.0"),
        ("demo-s", "1.1.0"),
        ("acme/demo-s", "1.0.0"),
        ("acme/demo-s", "2.0.0+build.7"),
        ("acme/tools/demo-s", "0.1.0"),
    ];
    for (id, version) in published {
        publish(&world, id, version);
    }
    let keys = world.path("keys.txt");
    cli(&[
        "keys",
        "--registry-url",
        &world.registry.base,
        "--save",
        &keys,
    ])
    .assert_code(0);
    // Through a proxy that asks the origin for one version a page: the mirror must follow every cursor.
    let one_a_page = Proxy::start(
        world.registry.addr,
        |target| target.replace("limit=1000", "limit=1"),
        |_, _| {},
    );
    let to = world.path("mirror");
    mirror(&one_a_page.base, &to, &keys).assert_code(0);
    assert!(
        std::path::Path::new(&to)
            .join("registry-api/v1/packages/acme/demo-s/2.0.0+build.7/receipt")
            .is_file()
    );
    let server = StaticServer::start(&to);
    let api = format!("{}/registry-api/v1", server.base);

    let mut expected: Vec<(String, String)> = published
        .iter()
        .map(|(i, v)| ((*i).to_owned(), (*v).to_owned()))
        .collect();
    expected.sort();
    let publications = get_json(&format!("{api}/publications"));
    assert_eq!(
        names(&publications, "items", "package_id", "package_version"),
        expected
    );
    // A paged request gets the whole listing in one page (a static server ignores the query).
    let versions = get_json(&format!("{api}/packages/acme%2Fdemo-s?limit=1"));
    assert_eq!(
        names(&versions, "versions", "package_id", "package_version"),
        [
            ("acme/demo-s".to_owned(), "1.0.0".to_owned()),
            ("acme/demo-s".to_owned(), "2.0.0+build.7".to_owned())
        ]
    );
    assert!(versions["next_cursor"].is_null(), "{versions}");
    assert_eq!(
        get_json(&format!("{api}/templates"))["items"],
        Value::Array(vec![])
    );

    for (id, version) in published {
        let run = cli(&[
            "verify",
            &format!("{id}@{version}"),
            "--registry-url",
            &server.base,
            "--trusted-keys",
            &keys,
            "--format",
            "json",
        ]);
        run.assert_code(0);
        run.assert_check("log_inclusion", "pass");
    }
    let run = cli(&[
        "verify",
        "--all",
        "--registry-url",
        &server.base,
        "--trusted-keys",
        &keys,
        "--format",
        "json",
    ]);
    run.assert_code(0);
    assert_eq!(run.json()["total"], published.len(), "{}", run.stdout);
    let lock = world.path("anip.lock.json");
    cli(&[
        "resolve",
        "acme/demo-s@^2.0.0",
        "--registry-url",
        &server.base,
        "--trusted-keys",
        &keys,
        "--lock-file",
        &lock,
        "--write-lock",
        "--out",
        &world.path("record.json"),
    ])
    .assert_code(0);
    let pinned: Value = serde_json::from_slice(&std::fs::read(&lock).unwrap()).unwrap();
    assert_eq!(pinned["package_version"], "2.0.0+build.7");

    // The origin grows and the folder follows: the same client proves the new checkpoint consistent with the old,
    // and the listings name the new version.
    publish(&world, "demo-s", "1.2.0");
    mirror(&world.registry.base, &to, &keys).assert_code(0);
    let run = cli(&[
        "verify",
        "demo-s@1.2.0",
        "--registry-url",
        &server.base,
        "--trusted-keys",
        &keys,
        "--format",
        "json",
    ]);
    run.assert_code(0);
    run.assert_check("log_consistency", "pass");
    let versions = get_json(&format!("{api}/packages/demo-s"));
    assert_eq!(
        versions["versions"].as_array().unwrap().len(),
        3,
        "{versions}"
    );
    let publications = get_json(&format!("{api}/publications"));
    assert_eq!(publications["items"].as_array().unwrap().len(), 6);
}

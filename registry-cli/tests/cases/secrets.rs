//! Credentials in a registry URL (`http://user:password@host`) are sent as Basic auth and never written into a file
//! (lock, trusted-keys file, record) or printed (reports, errors, `--format json`, `--help`).

use std::io::{Read as _, Write as _};
use std::net::TcpListener;

use base64::Engine as _;

use crate::support::{TOKEN, World, cli, cli_with_env, unreachable_url};

const PASSWORD: &str = "s3cret-Pa55";

/// `http://user:PASSWORD@host:port` for `http://host:port`.
fn with_credentials(base: &str) -> String {
    base.replacen("http://", &format!("http://ci-user:{PASSWORD}@"), 1)
}

fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains(PASSWORD) && !text.contains("ci-user"),
        "{what} shows the URL's credentials:\n{text}"
    );
}

#[test]
fn resolve_keys_and_verify_never_write_or_print_url_credentials() {
    let world = World::new();
    world.publish_demo("demo-s", "1.0.0");
    let url = with_credentials(&world.registry.base);
    let (lock, record, keys) = (
        world.path("anip.lock.json"),
        world.path("record.json"),
        world.path("keys.txt"),
    );
    let mut runs = vec![
        cli(&[
            "resolve",
            "demo-s@1.0.0",
            "--registry-url",
            &url,
            "--lock-file",
            &lock,
            "--write-lock",
            "--out",
            &record,
            "--format",
            "json",
        ]),
        cli(&["keys", "--registry-url", &url, "--save", &keys]),
        cli(&["keys", "--registry-url", &url, "--format", "json"]),
        cli(&[
            "verify",
            "demo-s@1.0.0",
            "--registry-url",
            &url,
            "--format",
            "json",
        ]),
        cli(&["verify", "--all", "--registry-url", &url]),
        cli(&["verify", "--lock-file", &lock, "--registry-url", &url]),
    ];
    for run in &runs {
        run.assert_code(0);
    }
    let all = cli(&[
        "verify",
        "--all",
        "--registry-url",
        &url,
        "--format",
        "json",
    ]);
    all.assert_code(0);
    assert_eq!(
        all.json()["registry"],
        format!("{}/registry-api/v1", world.registry.base)
    );
    runs.push(all);
    // Failures: a missing version, a refused publish.
    runs.push(cli(&["verify", "demo-s@9.9.9", "--registry-url", &url]));
    runs.last().unwrap().assert_code(1);
    runs.push(cli(&[
        "publish",
        &world.demo_request("demo-s", "2.0.0"),
        "--registry-url",
        &url,
        "--token",
        "wrong-token",
    ]));
    runs.last().unwrap().assert_code(1);
    for run in &runs {
        assert_clean(
            &format!("registry {}", run.args.join(" ")),
            &format!("{}{}", run.stdout, run.stderr),
        );
    }
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&lock).unwrap()).unwrap();
    assert_eq!(
        written["registry_url"],
        format!("{}/registry-api/v1", world.registry.base)
    );
    for path in [&lock, &record, &keys] {
        assert_clean(path, &std::fs::read_to_string(path).unwrap());
    }
    // The lock's URL (without credentials) still resolves.
    cli(&[
        "resolve",
        "demo-s@1.0.0",
        "--lock-file",
        &lock,
        "--out",
        &record,
    ])
    .assert_code(0);
}

#[test]
fn errors_and_help_never_repeat_url_credentials() {
    let nowhere = with_credentials(&unreachable_url());
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("l.json").display().to_string();
    for args in [
        vec!["keys", "--registry-url", &nowhere],
        vec!["verify", "--all", "--registry-url", &nowhere],
        vec!["verify", "x@1.0.0", "--registry-url", &nowhere],
        vec![
            "resolve",
            "x@1.0.0",
            "--registry-url",
            &nowhere,
            "--lock-file",
            &lock,
            "--write-lock",
        ],
        // URLs that do not parse or are not http(s) are refused without being repeated.
        vec!["keys", "--registry-url", "http://ci-user:s3cret-Pa55@[::1"],
        vec!["keys", "--registry-url", "ftp://ci-user:s3cret-Pa55@h"],
        vec!["keys", "--registry-url", "ci-user:s3cret-Pa55@h:1"],
        vec![
            "keys",
            "--registry-url",
            "http://ci-user:s3cret-Pa55@h:1/?q=1",
        ],
    ] {
        let run = cli(&args);
        run.assert_code(1);
        assert_clean(&args.join(" "), &format!("{}{}", run.stdout, run.stderr));
    }
    // The URL from the environment is not shown by --help.
    for sub in ["keys", "verify", "resolve", "publish"] {
        let run = cli_with_env(&[sub, "--help"], &[("ANIP_REGISTRY_URL", &nowhere)]);
        run.assert_code(0);
        assert_clean(&format!("{sub} --help"), &run.stdout);
    }
}

/// Accepts one connection, reads the request head, answers 503 and returns the head.
fn capture_one_request(args: &[&str]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!(
        "http://ci-user:{PASSWORD}@{}",
        listener.local_addr().unwrap()
    );
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
            head.push(byte[0]);
        }
        let body = br#"{"error":"down","code":"store_unavailable"}"#;
        write!(
            stream,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        stream.write_all(body).unwrap();
        String::from_utf8(head).unwrap()
    });
    let mut all = args.to_vec();
    all.extend(["--registry-url", &base]);
    cli(&all).assert_code(1);
    server.join().unwrap()
}

#[test]
fn url_credentials_are_sent_as_basic_auth_and_a_token_takes_their_place() {
    let head = capture_one_request(&["keys"]);
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("ci-user:{PASSWORD}"));
    assert!(
        head.contains(&format!("Authorization: Basic {expected}\r\n")),
        "{head}"
    );
    assert!(
        head.starts_with("GET /registry-api/v1/keys HTTP/1.1\r\n"),
        "{head}"
    );

    let dir = tempfile::tempdir().unwrap();
    let request = dir.path().join("request.json");
    let demo = registry_server::demo::demo_request("demo-b", "1.0.0").unwrap();
    std::fs::write(&request, serde_json::to_vec(&demo).unwrap()).unwrap();
    let head = capture_one_request(&["publish", request.to_str().unwrap(), "--token", TOKEN]);
    assert!(
        head.contains(&format!("Authorization: Bearer {TOKEN}\r\n")),
        "{head}"
    );
    assert!(!head.contains("Basic"), "{head}");
}

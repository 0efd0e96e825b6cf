//! Runs the built `registry-keygen` binary and checks its output, its files and its refusals.

// The helpers below run outside `#[test]` functions, where clippy's allow-in-tests settings do not reach.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt as _;
use std::process::{Command, Output};

use verifier::keys::{KeyId, SigningKey};

fn keygen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_registry-keygen"))
        .args(args)
        .output()
        .expect("run registry-keygen")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 stderr")
}

/// Checks the four environment lines and returns (key id, private seed, public key).
fn check_env(text: &str) -> (String, String, String) {
    assert!(text.ends_with('\n'), "{text:?}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text:?}");
    let key_id = lines[0]
        .strip_prefix("ANIP_REGISTRY_KEY_ID=")
        .expect("key id line");
    let seed = lines[1]
        .strip_prefix("ANIP_REGISTRY_ED25519_PRIVATE_KEY=")
        .expect("private key line");
    assert_eq!(lines[2], "# Public verification key for rotation lists:");
    let entry = lines[3]
        .strip_prefix("ANIP_REGISTRY_EXTRA_PUBLIC_KEYS=")
        .expect("public key line");
    let public = entry
        .strip_prefix(&format!("{key_id}="))
        .expect("entry starts with the key id");
    let key = SigningKey::from_base64(KeyId::new(key_id).unwrap(), seed).unwrap();
    assert_eq!(
        key.seed_base64(),
        seed,
        "the private key is the 32-byte seed"
    );
    assert_eq!(key.public_key().to_base64(), public);
    (key_id.to_owned(), seed.to_owned(), public.to_owned())
}

/// `registry-<yyyymmdd-HHMMSS>-<8 hex>`, the hex the start of SHA-256 of the public key (base64 `public`).
fn is_default_key_id(id: &str, public: &str) -> bool {
    let Some(rest) = id.strip_prefix("registry-") else {
        return false;
    };
    let Some((stamp, hex)) = rest.rsplit_once('-') else {
        return false;
    };
    let bytes = stamp.as_bytes();
    let key = verifier::keys::PublicKey::from_base64(public).unwrap();
    let digest = verifier::canonical::sha256_hex(&key.to_bytes());
    bytes.len() == 15
        && bytes[8] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 8 || b.is_ascii_digit())
        && hex == &digest["sha256:".len()..][..8]
}

#[test]
fn default_output_is_four_lines_with_a_timestamped_id_unique_to_the_key() {
    let first = keygen(&[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let (id, seed, public) = check_env(&stdout(&first));
    assert!(is_default_key_id(&id, &public), "{id}");

    // Two keys made in the same second still get different ids (ANIP's clients pin a registry by key id alone).
    let second = keygen(&[]);
    assert!(second.status.success());
    let (id2, seed2, public2) = check_env(&stdout(&second));
    assert_ne!(seed, seed2);
    assert_ne!(public, public2);
    assert!(is_default_key_id(&id2, &public2), "{id2}");
    assert_ne!(id, id2);
}

#[test]
fn key_id_flag_sets_the_id() {
    for args in [
        &["--key-id", "anip-registry-2026-q3"][..],
        &["--key-id=anip-registry-2026-q3"],
        &["-key-id", "anip-registry-2026-q3"],
        &["-key-id=anip-registry-2026-q3"],
    ] {
        let output = keygen(args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let (id, _, _) = check_env(&stdout(&output));
        assert_eq!(id, "anip-registry-2026-q3");
    }
}

#[test]
fn json_output_has_six_sorted_keys() {
    for flag in ["--json", "-json"] {
        let output = keygen(&[flag, "--key-id", "k1"]);
        assert!(output.status.success(), "{}", stderr(&output));
        let text = stdout(&output);
        assert!(text.ends_with("}\n"), "{text:?}");
        assert!(
            text.starts_with("{\n  \"algorithm\": \"ed25519\",\n"),
            "{text:?}"
        );

        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let object = value.as_object().unwrap();
        let names = [
            "algorithm",
            "extra_public_entry",
            "key_id",
            "private_key",
            "private_key_seed",
            "public_key",
        ];
        assert_eq!(object.len(), names.len());
        let positions: Vec<usize> = names
            .iter()
            .map(|name| text.find(&format!("\n  \"{name}\": ")).expect(name))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");

        let field = |name: &str| object[name].as_str().unwrap().to_owned();
        assert_eq!(field("algorithm"), "ed25519");
        assert_eq!(field("key_id"), "k1");
        let public = field("public_key");
        assert_eq!(field("extra_public_entry"), format!("k1={public}"));
        let id = KeyId::new("k1").unwrap();
        let from_pair = SigningKey::from_base64(id.clone(), &field("private_key")).unwrap();
        let from_seed = SigningKey::from_base64(id, &field("private_key_seed")).unwrap();
        assert_eq!(from_pair.public_key().to_base64(), public);
        assert_eq!(from_seed.public_key().to_base64(), public);
        assert_eq!(from_pair.keypair_base64(), field("private_key"));
        assert_eq!(from_seed.seed_base64(), field("private_key_seed"));
    }
}

#[test]
fn out_writes_a_new_private_file_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.env");
    let path_str = path.to_str().unwrap();

    let output = keygen(&["--key-id", "k-out", "--out", path_str]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let content = std::fs::read_to_string(&path).unwrap();
    let (id, seed, public) = check_env(&content);
    assert_eq!(id, "k-out");
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(!message.contains(&seed), "{message}");
    assert!(message.contains(&format!("k-out={public}")), "{message}");
    assert!(message.contains(path_str), "{message}");

    let again = keygen(&["--key-id", "k-out", "--out", path_str]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stdout(&again).is_empty());
    assert!(
        stderr(&again).starts_with("registry-keygen: "),
        "{}",
        stderr(&again)
    );
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), content);
}

#[test]
fn out_with_json_writes_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key.json");
    let output = keygen(&["-json", "-out", path.to_str().unwrap(), "-key-id", "kj"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(value["key_id"], "kj");
    let seed = value["private_key_seed"].as_str().unwrap();
    assert!(!stderr(&output).contains(seed));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn bad_key_ids_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let too_long = "k".repeat(129);
    for (index, bad) in ["", "a:b", "a,b", "a=b", "a b", "a\tb", too_long.as_str()]
        .into_iter()
        .enumerate()
    {
        let output = keygen(&["--key-id", bad]);
        assert_eq!(output.status.code(), Some(1), "{bad:?}");
        assert!(stdout(&output).is_empty(), "{bad:?}");
        let message = stderr(&output);
        assert!(message.starts_with("registry-keygen: "), "{message}");
        assert!(message.contains("key id"), "{bad:?}: {message}");

        let path = dir.path().join(format!("bad-{index}.env"));
        let output = keygen(&["--key-id", bad, "--out", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(1), "{bad:?}");
        assert!(stdout(&output).is_empty(), "{bad:?}");
        assert!(stderr(&output).contains("key id"), "{bad:?}");
        assert!(!path.exists(), "{bad:?}");
    }
}

#[test]
fn missing_out_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("key.env");
    let output = keygen(&["--out", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).is_empty());
    assert!(stderr(&output).starts_with("registry-keygen: cannot create "));
}

#[test]
fn help_describes_the_tool() {
    for flag in ["--help", "-help"] {
        let output = keygen(&[flag]);
        assert!(output.status.success());
        let text = stdout(&output);
        assert!(text.contains("Ed25519"), "{text}");
        assert!(text.contains("--key-id"), "{text}");
        assert!(text.contains("Example"), "{text}");
    }
}

#[test]
fn a_closed_stdout_or_stderr_is_no_panic() {
    let closed = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        std::process::Stdio::from(writer)
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("key.env");
    // The key goes to a file; the note about it to a closed stderr.
    let status = Command::new(env!("CARGO_BIN_EXE_registry-keygen"))
        .args(["--key-id", "k1", "--out", out.to_str().unwrap()])
        .stderr(closed())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(out.exists());
    // The key to a closed stdout: not delivered, so a failure, but no panic (101).
    let status = Command::new(env!("CARGO_BIN_EXE_registry-keygen"))
        .stdout(closed())
        .stderr(closed())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
}

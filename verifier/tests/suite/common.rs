//! Shared helpers for the verifier's integration tests: fixture loading and the known answers.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::Value;

/// The project's copy of the ANIP fixtures.
pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/anip")
}

/// The bytes of a fixture, by its path relative to the fixture folder.
pub fn fixture_bytes(relative: &str) -> Vec<u8> {
    let path = fixture_dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A fixture parsed with the strict reader.
pub fn fixture_json(relative: &str) -> Value {
    verifier::json::parse_strict(&fixture_bytes(relative))
        .unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// `expected.json`.
pub fn expected() -> Value {
    fixture_json("expected.json")
}

/// Every bundle fixture, by relative path.
pub fn bundle_paths() -> Vec<String> {
    let mut paths: Vec<String> = std::fs::read_dir(fixture_dir().join("packages"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".anip-package.json"))
        .map(|n| format!("packages/{n}"))
        .collect();
    paths.sort();
    paths
}

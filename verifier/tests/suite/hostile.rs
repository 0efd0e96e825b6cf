//! Hostile input stays bounded: deep nesting, huge strings, many keys and deep arrays end in a clear result, never
//! a panic or a stack overflow. (How long they take is a benchmark figure, not an assertion.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use verifier::FormatKind;
use verifier::publish::{PublishRequest, normalise};
use verifier::validate::validate_package;

/// Runs bytes through the publish path (strict parse, normalise, validate) and returns the problem codes or the
/// parse error's code.
fn outcome(body: &str) -> Result<Vec<&'static str>, &'static str> {
    let request = PublishRequest::from_json(body.as_bytes()).map_err(|e| e.kind.code())?;
    Ok(match validate_package(&normalise(request)) {
        Ok(()) => Vec::new(),
        Err(rejection) => rejection.problems.iter().map(|p| p.code).collect(),
    })
}

fn wrap(manifest_value: &str) -> String {
    format!(r#"{{"package_id":"a","package_version":"1.0.0","manifest":{{"x":{manifest_value}}}}}"#)
}

#[test]
fn ten_thousand_deep_objects_are_refused_by_the_reader() {
    let deep = "{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000);
    assert_eq!(outcome(&wrap(&deep)), Err(FormatKind::TooDeep.code()));
}

#[test]
fn ten_thousand_deep_arrays_are_refused_by_the_reader() {
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    assert_eq!(outcome(&wrap(&deep)), Err(FormatKind::TooDeep.code()));
}

#[test]
fn deep_but_readable_nesting_is_a_validation_problem() {
    let deep = "[".repeat(120) + &"]".repeat(120);
    let codes = outcome(&wrap(&deep)).unwrap();
    assert!(codes.contains(&"too_deep"), "{codes:?}");
}

#[test]
fn five_mib_strings() {
    let huge = "x".repeat(5 << 20);
    let codes = outcome(&wrap(&format!("\"{huge}\""))).unwrap();
    assert!(codes.contains(&"document_too_large"), "{codes:?}");
    let title = format!(r#"{{"package_id":"a","package_version":"1.0.0","readme":"{huge}"}}"#);
    assert!(outcome(&title).unwrap().contains(&"readme_too_large"));
}

#[test]
fn a_hundred_thousand_keys() {
    let members: Vec<String> = (0..100_000).map(|i| format!("\"k{i}\":{i}")).collect();
    let object = format!("{{{}}}", members.join(","));
    let codes = outcome(&wrap(&object)).unwrap();
    assert!(!codes.contains(&"too_deep"), "{codes:?}");
    let duplicate = format!("{{{},\"k5\":1}}", members.join(","));
    assert_eq!(
        outcome(&wrap(&duplicate)),
        Err(FormatKind::DuplicateKey.code())
    );
}

#[test]
fn wide_and_long_arrays() {
    let long = format!("[{}]", vec!["\"\\u0001\""; 200_000].join(","));
    let codes = outcome(&wrap(&long)).unwrap();
    assert_eq!(codes.len(), verifier::validate::MAX_PROBLEMS);
}

//! Unit tests of the strict JSON reader.

use super::*;

fn err(input: &str) -> FormatError {
    parse_strict(input.as_bytes()).unwrap_err()
}

#[test]
fn reads_ordinary_documents() {
    let v = parse_strict(br#" {"a": [1, -2.5, true, null, "x\u00e9\n"], "b": {}} "#).unwrap();
    assert_eq!(v["a"][0], Value::from(1));
    assert_eq!(v["a"][1], Value::from(-2.5));
    assert_eq!(v["a"][4], Value::from("xé\n"));
}

#[test]
fn duplicate_key_names_its_path() {
    let e = err(r#"{"manifest": {"lineage": {"a": 1, "a": 2}}}"#);
    assert_eq!(e.kind, FormatKind::DuplicateKey);
    assert_eq!(e.at, "manifest.lineage.a");
}

#[test]
fn integers_beyond_2_53_are_refused_with_path() {
    let e = err(r#"{"x": [0, 9007199254740993]}"#);
    assert_eq!(e.kind, FormatKind::NumberOutOfRange);
    assert_eq!(e.at, "x[1]");
    assert!(parse_strict(b"9007199254740992").is_ok());
    assert!(parse_strict(b"-9007199254740992").is_ok());
    assert_eq!(err("-9007199254740993").kind, FormatKind::NumberOutOfRange);
    assert_eq!(
        err("1152921504606846976").kind,
        FormatKind::NumberOutOfRange
    );
    // The canonical text of a large double reads back as that double.
    assert_eq!(
        parse_strict(b"100000000000000000000").unwrap(),
        Value::from(1e20)
    );
    assert_eq!(
        parse_strict(b"1152921504606847000").unwrap(),
        Value::from(1152921504606846976.0)
    );
    assert_eq!(err("1e400").kind, FormatKind::NumberOutOfRange);
    // Floats are doubles by nature and stay accepted.
    assert!(parse_strict(b"1e300").is_ok());
}

#[test]
fn negative_zero_survives() {
    let v = parse_strict(b"-0").unwrap();
    assert!(v.as_f64().unwrap().is_sign_negative());
}

#[test]
fn refuses_bad_text() {
    assert_eq!(err(r#""\ud800""#).kind, FormatKind::InvalidUtf8);
    assert_eq!(err(r#""\udc00\ud800""#).kind, FormatKind::InvalidUtf8);
    assert_eq!(
        parse_strict(b"\"\xff\"").unwrap_err().kind,
        FormatKind::InvalidUtf8
    );
    assert_eq!(err("{} x").kind, FormatKind::TrailingData);
    assert_eq!(err("{\"a\":1,}").kind, FormatKind::Json);
    assert_eq!(err("[01]").kind, FormatKind::Json);
    assert_eq!(err("\"a\u{1}\"").kind, FormatKind::Json);
    assert_eq!(err("").kind, FormatKind::Json);
    assert_eq!(err("\u{feff}{}").kind, FormatKind::Json);
}

#[test]
fn surrogate_pairs_decode() {
    assert_eq!(
        parse_strict(br#""\ud83d\ude00""#).unwrap(),
        Value::from("😀")
    );
}

#[test]
fn deep_nesting_is_bounded() {
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    assert_eq!(err(&deep).kind, FormatKind::TooDeep);
    let ok = "[".repeat(MAX_NESTING) + &"]".repeat(MAX_NESTING);
    assert!(parse_strict(ok.as_bytes()).is_ok());
}

//! Benchmark of the trust core on the largest fixture: parse, canonicalise-and-hash, stamping, receipt checks.
//! Run with `cargo bench -p verifier --bench trust_core` (or `scripts/bench-verifier.sh`); it prints a table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::hint::black_box;
use std::time::{Duration, Instant};

use verifier::canonical::{digest, digest_bytes};
use verifier::json::parse_strict;
use verifier::keys::{KeySet, SigningKey};
use verifier::publish::{PublishRequest, prepare};
use verifier::receipt::{Receipt, ReceiptPayload};

const FIXTURE: &str = "gtm-pipeline-q2-review-0.4.4-publish-request.json";

/// Runs `f` repeatedly for about `budget` and returns (iterations, seconds per iteration).
fn measure(budget: Duration, mut f: impl FnMut()) -> (u64, f64) {
    f(); // warm-up
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        f();
        n += 1;
    }
    (n, start.elapsed().as_secs_f64() / n as f64)
}

/// Times the hostile inputs of the validation tests through parse, normalise and validate.
fn hostile(budget: Duration) {
    let wrap = |v: &str| {
        format!(r#"{{"package_id":"a","package_version":"1.0.0","manifest":{{"x":{v}}}}}"#)
    };
    let keys: Vec<String> = (0..100_000).map(|i| format!("\"k{i}\":{i}")).collect();
    let cases = [
        (
            "hostile: 10,000-deep objects",
            wrap(&("{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000))),
        ),
        (
            "hostile: 10,000-deep arrays",
            wrap(&("[".repeat(10_000) + &"]".repeat(10_000))),
        ),
        (
            "hostile: 5 MiB string",
            wrap(&format!("\"{}\"", "x".repeat(5 << 20))),
        ),
        (
            "hostile: 100,000 keys",
            wrap(&format!("{{{}}}", keys.join(","))),
        ),
    ];
    for (name, body) in cases {
        let (_, t) = measure(budget / 4, || {
            if let Ok(request) = PublishRequest::from_json(black_box(body.as_bytes())) {
                black_box(
                    verifier::validate::validate_package(&verifier::publish::normalise(request))
                        .is_ok(),
                );
            }
        });
        println!("{name:<44} {:>9.3} ms", t * 1e3);
    }
}

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/anip/packages")
        .join(FIXTURE);
    let bytes = std::fs::read(&path).expect("fixture");
    let mb = bytes.len() as f64 / 1e6;
    let budget = Duration::from_secs(2);
    let value = parse_strict(&bytes).expect("parse");
    let canonical_len = digest_bytes(&value).len();

    println!(
        "verifier benchmark — {FIXTURE} ({} bytes, canonical {} bytes), one core",
        bytes.len(),
        canonical_len
    );
    println!("{:<44} {:>12} {:>14}", "operation", "per op", "throughput");

    let (_, t) = measure(budget, || {
        black_box(parse_strict(black_box(&bytes)).expect("parse"));
    });
    println!(
        "{:<44} {:>9.3} ms {:>9.1} MB/s",
        "strict parse",
        t * 1e3,
        mb / t
    );

    let (_, t) = measure(budget, || {
        black_box(digest(black_box(&value)));
    });
    println!(
        "{:<44} {:>9.3} ms {:>9.1} MB/s",
        "canonicalise + SHA-256 (digest)",
        t * 1e3,
        mb / t
    );

    let (_, t) = measure(budget, || {
        black_box(digest(&parse_strict(black_box(&bytes)).expect("parse")));
    });
    println!(
        "{:<44} {:>9.3} ms {:>9.1} MB/s",
        "parse + digest",
        t * 1e3,
        mb / t
    );

    let (_, t) = measure(budget, || {
        let request = PublishRequest::from_json(black_box(&bytes)).expect("request");
        black_box(prepare(request));
    });
    println!(
        "{:<44} {:>9.3} ms {:>9.1} MB/s",
        "full stamping (parse, normalise, stamp)",
        t * 1e3,
        mb / t
    );

    let request = PublishRequest::from_json(&bytes).expect("request");
    let normalised = verifier::publish::normalise(request.clone());
    let (_, t) = measure(budget, || {
        black_box(verifier::validate::validate_package(black_box(&normalised)).is_ok());
    });
    println!(
        "{:<44} {:>9.3} ms {:>9.1} MB/s",
        "validation (every package rule)",
        t * 1e3,
        mb / t
    );

    let (_, t) = measure(budget, || {
        let request = PublishRequest::from_json(black_box(&bytes)).expect("request");
        let normalised = verifier::publish::normalise(request);
        verifier::validate::validate_package(&normalised).expect("valid");
        black_box(verifier::publish::stamp(normalised));
    });
    println!(
        "{:<44} {:>9.3} ms {:>9.1} MB/s",
        "publish pipeline (parse, validate, stamp)",
        t * 1e3,
        mb / t
    );

    hostile(budget);

    let stamped = prepare(request);
    let record = stamped.to_record("studio-local", "studio", "2026-11-23T10:00:00Z");
    let key = SigningKey::dev();
    let payload = ReceiptPayload::from_record(&record, "2026-11-23T10:00:00Z");
    let receipt = Receipt::issue(&payload, &key);
    let keys = KeySet::of(key.key_id().clone(), key.public_key());

    let (_, t) = measure(budget, || {
        black_box(Receipt::issue(black_box(&payload), &key));
    });
    println!(
        "{:<44} {:>9.1} µs {:>9.0} /s",
        "receipt issue (payload, sign, receipt_id)",
        t * 1e6,
        1.0 / t
    );

    let signed = payload.signed_bytes(verifier::receipt::PayloadForm::Current);
    let signature: verifier::signature::RegistrySignature =
        receipt.registry_signature.parse().expect("signature");
    let public = key.public_key();
    let (_, t) = measure(budget, || {
        black_box(public.verify_strict(black_box(&signed), signature.bytes()));
    });
    println!(
        "{:<44} {:>9.1} µs {:>9.0} /s",
        "  of which Ed25519 verify_strict alone",
        t * 1e6,
        1.0 / t
    );

    let (_, t) = measure(budget, || {
        let outcome = receipt.verify(black_box(&payload), &keys);
        black_box(outcome);
    });
    println!(
        "{:<44} {:>9.1} µs {:>9.0} /s",
        "receipt verification (full)",
        t * 1e6,
        1.0 / t
    );
}

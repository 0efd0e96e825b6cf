//! The accept/reject verdicts of `expected.json`, for publish requests and for bundles turned into requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use crate::common::{expected, fixture_bytes};
use verifier::bundle::Bundle;
use verifier::publish::{PublishRequest, normalise};
use verifier::validate::{Rejection, validate_package};

/// The request a fixture stands for: a publish request as is, a bundle through `publish-bundle`'s transform.
fn request_for(entry: &str) -> PublishRequest {
    let name = entry.split(" (").next().unwrap();
    if name.ends_with(".anip-package.json") {
        Bundle::from_json(&fixture_bytes(name))
            .unwrap()
            .to_publish_request()
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    } else {
        PublishRequest::from_json(&fixture_bytes(name)).unwrap()
    }
}

fn verdict(entry: &str) -> Result<(), Rejection> {
    validate_package(&normalise(request_for(entry)))
}

fn accepted() -> Vec<String> {
    let e = expected();
    let expectations = &e["publish_expectations"];
    let mut names: Vec<String> = expectations["accepted"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    for entry in expectations["accepted_without_digest_values"]
        .as_array()
        .unwrap()
    {
        names.push(entry.as_str().unwrap().to_owned());
    }
    names
}

#[test]
fn accepted_fixtures_pass_every_rule() {
    let names = accepted();
    assert_eq!(names.len(), 12);
    let mut failures = Vec::new();
    for name in names {
        if let Err(rejection) = verdict(&name) {
            failures.push(format!("{name}: {:#?}", rejection.problems));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rejected_fixtures_fail_for_the_stated_reasons() {
    let e = expected();
    let rejected = e["publish_expectations"]["rejected_400"]
        .as_object()
        .unwrap();
    assert_eq!(rejected.len(), 5);
    // The reason expected.json gives, as the problem codes that must appear.
    let reasons: [(&str, &[&str]); 5] = [
        (
            "devops-infrastructure-showcase-0.1.0",
            &["missing_spec_version", "unknown_business_effect"],
        ),
        (
            "travel-booking-showcase-0.1.0",
            &["missing_spec_version", "unknown_business_effect"],
        ),
        (
            "gtm-pipeline-q2-review-0.2.0",
            &["missing_spec_version", "missing_agent_consumability"],
        ),
        (
            "gtm-pipeline-q2-review-0.3.5",
            &["missing_spec_version", "missing_agent_consumability"],
        ),
        (
            "gtm-pipeline-q2-review-0.3.6",
            &["agent_not_ready", "readiness_warnings"],
        ),
    ];
    for (name, _) in rejected {
        let rejection = verdict(name).expect_err(name);
        let codes: Vec<&str> = rejection.problems.iter().map(|p| p.code).collect();
        let (_, want) = reasons.iter().find(|(k, _)| name.contains(k)).unwrap();
        for code in *want {
            assert!(
                codes.contains(code),
                "{name}: expected {code} among {codes:?}"
            );
        }
        assert!(
            rejection.to_string().starts_with("invalid package: "),
            "{rejection}"
        );
    }
}

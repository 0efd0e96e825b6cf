//! Starter-template validation (reference §4 and our additions): the fixture verdicts, one case per rule, digests, reading.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use serde_json::{Value, json};
use verifier::FormatKind;
use verifier::canonical::{digest, digest_bytes};
use verifier::validate::{
    PreparedTemplate, Rejection, TEMPLATE_MANIFEST_SCHEMA, TEMPLATE_PACKAGE_KIND,
    TEMPLATE_PACKAGE_SCHEMA, TEMPLATE_SCHEMA, TemplateRequest, prepare_template,
};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/anip");

fn fixture(relative: &str) -> Vec<u8> {
    let path = format!("{FIXTURES}/{relative}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn prepare(request: &Value) -> Result<PreparedTemplate, Rejection> {
    prepare_template(TemplateRequest::from_json(&serde_json::to_vec(request).unwrap()).unwrap())
}

fn codes_and_paths(rejection: &Rejection) -> Vec<(&str, &str)> {
    rejection
        .problems
        .iter()
        .map(|p| (p.code, p.path.as_str()))
        .collect()
}

fn template_expectations() -> Value {
    let expected = verifier::json::parse_strict(&fixture("expected.json")).unwrap();
    expected["template_expectations"].clone()
}

#[test]
fn fixture_templates_meant_to_pass_pass() {
    let accepted = template_expectations()["accepted"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(accepted.len(), 5);
    for name in accepted {
        let name = name.as_str().unwrap();
        let request =
            TemplateRequest::from_json(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let supplied = request.package.clone().unwrap();
        let prepared = prepare_template(request)
            .unwrap_or_else(|rejection| panic!("{name} was rejected: {:#?}", rejection.problems));
        assert_eq!(
            prepared.manifest["template_digest"],
            prepared.template_digest.as_str(),
            "{name}"
        );
        assert_eq!(
            prepared.package,
            Value::Object(supplied),
            "{name}: the supplied package is served"
        );
        assert_eq!(prepared.package_digest, digest(&prepared.package), "{name}");
        assert_eq!(prepared.template_kind, "fronting_starter", "{name}");
        assert_eq!(prepared.anip_spec_version, "anip/0.24", "{name}");
        assert!(
            !prepared.systems.is_empty() && !prepared.industry.is_empty(),
            "{name}"
        );
    }
}

#[test]
fn fixture_template_with_an_oversized_document_is_rejected() {
    let rejected = template_expectations()["rejected_400"]
        .as_object()
        .unwrap()
        .clone();
    assert_eq!(rejected.len(), 1);
    for (name, why) in rejected {
        let request = TemplateRequest::from_json(&fixture(&name)).unwrap();
        let rejection = prepare_template(request).expect_err(&name);
        assert_eq!(
            codes_and_paths(&rejection),
            [(
                "template_document_too_large",
                "template.documents[2].content"
            )],
            "{name} ({why}): {:#?}",
            rejection.problems
        );
        assert!(
            rejection.problems[0].message.contains("41994"),
            "{:?}",
            rejection.problems[0]
        );
    }
}

#[test]
fn a_downloaded_template_package_can_be_posted_as_it_is() {
    // Like jira-fronting-starter-0.1.1 (reference §11.1): no `template_id`, no `package`, unknown keys at the top.
    let name = "templates/github-fronting-starter-0.2.0.anip-template.json";
    let downloaded = verifier::json::parse_strict(&fixture(name)).unwrap()["package"].clone();
    let request = TemplateRequest::from_value(downloaded.clone()).unwrap();
    assert!(request.package.is_none() && request.template_id.is_empty());
    let prepared = prepare_template(request).unwrap_or_else(|r| panic!("{:#?}", r.problems));
    assert_eq!(
        (
            prepared.template_id.as_str(),
            prepared.template_version.as_str()
        ),
        ("github-fronting-starter", "0.2.0")
    );
    assert_eq!(prepared.manifest, downloaded["manifest"]);
    assert_eq!(prepared.template, downloaded["template"]);
    let keys: Vec<&String> = prepared.package.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "manifest",
            "package_kind",
            "package_version",
            "schema",
            "template"
        ]
    );
}

/// A minimal valid request: id from the manifest, version from the request.
fn base() -> Value {
    let template = json!({
        "schema": TEMPLATE_SCHEMA,
        "id": "starter-x",
        "anipSpecVersion": "anip/0.24",
        "kind": "fronting_starter",
        "projectType": "governed_service_project",
        "documents": [{"filename": "intent.md", "content": "# Intent\n"}],
        "connections": [{"idSuffix": "api", "secret_ref": "API_TOKEN"}],
    });
    json!({
        "template_version": "1.0.0",
        "manifest": {
            "schema": TEMPLATE_MANIFEST_SCHEMA,
            "template_id": "starter-x",
            "anip_spec_version": "anip/0.24",
            "template_digest": digest(&template),
        },
        "template": template,
    })
}

/// One change to [`base`].
enum Edit {
    /// Set the value at a JSON pointer (its parent must exist).
    Set(&'static str, Value),
    /// Remove the member at a JSON pointer.
    Unset(&'static str),
    /// Add the package the registry would build from the request so far, plus export metadata.
    Package,
}

fn set(pointer: &'static str, value: impl Into<Value>) -> Edit {
    Edit::Set(pointer, value.into())
}

fn unset(pointer: &'static str) -> Edit {
    Edit::Unset(pointer)
}

fn refresh_digest(request: &mut Value) {
    request["manifest"]["template_digest"] = digest(&request["template"]).into();
}

/// [`base`] with `edits` applied in order; `manifest.template_digest` follows the template unless an edit sets it.
fn edited(edits: impl IntoIterator<Item = Edit>) -> Value {
    let mut request = base();
    let before = request["manifest"]["template_digest"].clone();
    for edit in edits {
        match edit {
            Edit::Set(pointer, value) => {
                let (parent, key) = pointer.rsplit_once('/').unwrap();
                match request.pointer_mut(parent).unwrap() {
                    Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
                    parent => parent[key] = value,
                }
            }
            Edit::Unset(pointer) => {
                let (parent, key) = pointer.rsplit_once('/').unwrap();
                let parent = request.pointer_mut(parent).unwrap();
                parent.as_object_mut().unwrap().remove(key).unwrap();
            }
            Edit::Package => {
                refresh_digest(&mut request);
                request["package"] = json!({
                    "schema": TEMPLATE_PACKAGE_SCHEMA,
                    "package_kind": TEMPLATE_PACKAGE_KIND,
                    "package_version": "1.0.0",
                    "exported_at": "2026-11-23T10:00:00Z",
                    "manifest": request["manifest"].clone(),
                    "template": request["template"].clone(),
                });
            }
        }
    }
    if request["manifest"].get("template_digest") == Some(&before) {
        refresh_digest(&mut request);
    }
    request
}

/// Asserts that `request` is rejected with exactly one problem, `code` at `path`.
#[track_caller]
fn assert_only(request: Value, code: &str, path: &str) {
    let rejection = prepare(&request).expect_err(&format!("expected {code} at {path}"));
    let found = codes_and_paths(&rejection);
    assert_eq!(
        found,
        [(code, path)],
        "expected only {code} at {path}: {:#?}",
        rejection.problems
    );
}

/// A table of `code at path => edits;` rows: [`base`] with the edits is rejected with exactly that problem.
macro_rules! rejects {
    ($($code:literal at $path:expr => $($edit:expr),+;)+) => {
        $(assert_only(edited([$($edit),+]), $code, $path);)+
    };
}

fn documents(n: usize) -> Value {
    (0..n)
        .map(|i| json!({"filename": format!("d{i}.md"), "content": "x"}))
        .collect()
}

fn objects(n: usize) -> Value {
    vec![json!({}); n].into()
}

/// A table of `name => edits;` rows: [`base`] with the edits is accepted.
macro_rules! accepts {
    ($($name:literal => $($edit:expr),*;)+) => {
        $(if let Err(rejection) = prepare(&edited([$($edit),*])) {
            panic!("{}: {:#?}", $name, rejection.problems);
        })+
    };
}

#[test]
fn the_minimal_request_and_edge_cases_are_accepted() {
    let (secret, filename) = (
        "/template/connections/0/secret_ref",
        "/template/documents/0/filename",
    );
    accepts! {
        "the base request" => ;
        "ids trimmed" => set("/template_version", " 1.0.0 "), set("/template_id", " starter-x");
        "version from the manifest" => unset("/template_version"), set("/manifest/package_version", "1.0.0");
        "upper-case .MD" => set(filename, "README.MD");
        // 10,240 two-byte characters: exactly 20 KiB.
        "20 KiB of content" => set("/template/documents/0/content", "é".repeat(10 << 10));
        "empty secret_ref" => set(secret, "");
        "128-character secret_ref" => set(secret, format!("A{}Z", "_9".repeat(63)));
        "no secret_ref" => unset(secret);
        "20 documents" => set("/template/documents", documents(20));
        "200 discovery records" => set("/template/discoveryRecords", objects(200));
        "a null list" => set("/template/capabilityMappings", Value::Null);
        "a null package" => set("/package", Value::Null);
        "a 100 KiB manifest" => set("/manifest/notes", "notes ".repeat((100 << 10) / 6));
        "a supplied package with the same documents" => Edit::Package;
        "a supplied package without a header" =>
            Edit::Package, unset("/package/schema"), unset("/package/package_kind"), unset("/package/package_version");
    }
}

#[test]
fn rule_2_a_valid_id_and_version_that_agree_with_the_manifest() {
    rejects! {
        "missing_field" at "template_id" => unset("/manifest/template_id"), unset("/template/id");
        "missing_field" at "template_version" => unset("/template_version");
        "missing_field" at "template_version" => set("/template_version", "  ");
        "invalid_id" at "template_id" => set("/manifest/template_id", "Starter X"), set("/template/id", "Starter X");
        "invalid_id" at "template_id" => set("/manifest/template_id", "../x"), set("/template/id", "../x");
        "invalid_version" at "template_version" => set("/template_version", "v1");
        "invalid_version" at "template_version" => set("/template_version", "1.0");
        "invalid_version" at "template_version" => set("/template_version", "1.0.0-01");
        "identity_mismatch" at "template_id" => set("/template_id", "other-starter");
        "identity_mismatch" at "template_version" => set("/manifest/package_version", "2.0.0");
    }
}

#[test]
fn rules_3_and_4_the_schemas() {
    rejects! {
        "unsupported_schema" at "package.schema" => Edit::Package, set("/package/schema", "anip-package/v1");
        "unsupported_package_kind" at "package.package_kind" => Edit::Package, set("/package/package_kind", "npm");
        "unsupported_schema" at "manifest.schema" => set("/manifest/schema", "anip-starter-template-manifest/v1");
        "missing_field" at "manifest.schema" => unset("/manifest/schema");
        "unsupported_schema" at "template.schema" => set("/template/schema", 0);
        "missing_field" at "template.schema" => unset("/template/schema");
    }
}

#[test]
fn rules_1_and_5_document_sizes_by_their_encoding() {
    // 128 KiB of manifest and 1 MiB of template, as encoded: an escaped control byte counts six.
    let cases = [
        (
            set("/manifest/notes", "notes ".repeat((128 << 10) / 6 + 1)),
            "manifest",
        ),
        (set("/manifest/notes", "\u{1}".repeat(22 << 10)), "manifest"),
        (
            set("/template/notes", "words ".repeat((1 << 20) / 6 + 1)),
            "template",
        ),
    ];
    for (edit, path) in cases {
        // Other walks may also object to these strings; the size problem must be among them.
        let rejection = prepare(&edited([edit])).expect_err(path);
        let found = codes_and_paths(&rejection);
        let problems = &rejection.problems;
        assert!(
            found.contains(&("document_too_large", path)),
            "{path}: {problems:#?}"
        );
    }
}

#[test]
fn rule_8_no_executable_keys_at_any_depth_of_any_document() {
    rejects! {
        "executable_key" at "manifest.postinstall" => set("/manifest/postinstall", "rm -rf /");
        "executable_key" at r#"template.connections[0].metadata["Install "]"#
            => set("/template/connections/0/metadata", json!({"Install ": true}));
        "executable_key" at "template.discoveryRecords[0][0].COMMANDS"
            => set("/template/discoveryRecords", json!([[{"COMMANDS": []}]]));
        "executable_key" at "package.selection.script" => Edit::Package, set("/package/selection", json!({"script": 1}));
        // A package member that is the validated template is not reported a second time.
        "executable_key" at "template.scripts" => set("/template/scripts", json!({})), Edit::Package;
    }
}

#[test]
fn rule_9_the_manifest_describes_the_template() {
    let zeros = format!("sha256:{}", "0".repeat(64));
    rejects! {
        "template_id_mismatch" at "manifest.template_id" => set("/template/id", "starter-y");
        "unsupported_spec_version" at "template.anipSpecVersion"
            => set("/template/anipSpecVersion", "anip/0.23"), set("/manifest/anip_spec_version", "anip/0.23");
        "missing_spec_version" at "template.anipSpecVersion"
            => unset("/template/anipSpecVersion"), unset("/manifest/anip_spec_version");
        "spec_version_mismatch" at "manifest.anip_spec_version" => set("/manifest/anip_spec_version", "anip/0.23");
        "template_digest_mismatch" at "manifest.template_digest" => set("/manifest/template_digest", zeros);
        "missing_field" at "manifest.template_digest" => unset("/manifest/template_digest");
    }
    // The digest covers the whole template: a change after the manifest was written shows.
    let mut stale = base();
    stale["template"]["title"] = "changed".into();
    assert_only(
        stale,
        "template_digest_mismatch",
        "manifest.template_digest",
    );
}

#[test]
fn rule_10_list_lengths_and_types() {
    rejects! {
        "too_many_items" at "template.documents" => set("/template/documents", documents(21));
        "too_many_items" at "template.connections" => set("/template/connections", objects(21));
        "too_many_items" at "template.discoveryRecords" => set("/template/discoveryRecords", objects(201));
        "too_many_items" at "template.capabilityMappings" => set("/template/capabilityMappings", objects(101));
        "wrong_type" at "template.documents" => set("/template/documents", json!({"a.md": {}}));
        "wrong_type" at "template.connections" => set("/template/connections", "API_TOKEN");
    }
}

#[test]
fn rule_11_documents_are_bounded_markdown_files() {
    let long = format!("{}!", "word ".repeat(4 << 10));
    rejects! {
        "invalid_document" at "template.documents[0]" => set("/template/documents/0", "intent.md");
        "missing_field" at "template.documents[0].filename" => unset("/template/documents/0/filename");
        "missing_field" at "template.documents[0].filename" => set("/template/documents/0/filename", " ");
        "wrong_type" at "template.documents[0].filename" => set("/template/documents/0/filename", 3);
        "invalid_filename" at "template.documents[0].filename" => set("/template/documents/0/filename", "../a.md");
        "invalid_filename" at "template.documents[0].filename" => set("/template/documents/0/filename", "..md");
        "invalid_filename" at "template.documents[0].filename" => set("/template/documents/0/filename", "docs/a.md");
        "invalid_filename" at "template.documents[0].filename" => set("/template/documents/0/filename", r"docs\a.md");
        "invalid_filename" at "template.documents[0].filename" => set("/template/documents/0/filename", "a.html");
        "invalid_filename" at "template.documents[0].filename" => set("/template/documents/0/filename", "a.md.txt");
        // Three bytes from the end of "aéé" is the middle of a character.
        "invalid_filename" at "template.documents[0].filename" => set("/template/documents/0/filename", "aéé");
        "template_document_too_large" at "template.documents[0].content" => set("/template/documents/0/content", long);
        "wrong_type" at "template.documents[0].content" => set("/template/documents/0/content", json!(["x"]));
    }
}

#[test]
fn rule_12_connections_name_environment_variables() {
    rejects! {
        "invalid_connection" at "template.connections[0]" => set("/template/connections/0", Value::Null);
        "invalid_secret_ref" at "template.connections[0].secret_ref" => set("/template/connections/0/secret_ref", "api");
        "invalid_secret_ref" at "template.connections[0].secret_ref" => set("/template/connections/0/secret_ref", "A");
        "invalid_secret_ref" at "template.connections[0].secret_ref" => set("/template/connections/0/secret_ref", "1PW");
        "invalid_secret_ref" at "template.connections[0].secret_ref" => set("/template/connections/0/secret_ref", "A-B");
        "invalid_secret_ref" at "template.connections[0].secret_ref" => set("/template/connections/0/secret_ref", " AB");
        "invalid_secret_ref" at "template.connections[0].secret_ref"
            => set("/template/connections/0/secret_ref", "A".repeat(129));
        "wrong_type" at "template.connections[0].secret_ref" => set("/template/connections/0/secret_ref", 7);
    }
}

#[test]
fn rule_13_the_supplied_package_is_what_was_validated() {
    rejects! {
        "package_mismatch" at "package.manifest" => Edit::Package, set("/package/manifest/industry", "finance");
        "package_mismatch" at "package.template" => Edit::Package, set("/package/template/documents", json!([]));
        "package_mismatch" at "package.template" => Edit::Package, unset("/package/template");
        "package_mismatch" at "package.package_version" => Edit::Package, set("/package/package_version", "9.9.9");
    }
    // The same documents written differently (an integer as a float) are the same by digest.
    let mut request = edited([set("/template/count", 2), Edit::Package]);
    request["package"]["template"]["count"] = json!(2.0);
    prepare(&request).unwrap();
}

#[test]
fn problems_are_collected_not_stopped_at_the_first() {
    let request = edited([
        set("/template_version", "latest"),
        set("/template/documents/0/filename", "run.sh"),
        set("/template/connections/0/secret_ref", "token"),
    ]);
    let rejection = prepare(&request).unwrap_err();
    assert_eq!(
        codes_and_paths(&rejection),
        [
            ("invalid_version", "template_version"),
            ("invalid_filename", "template.documents[0].filename"),
            ("invalid_secret_ref", "template.connections[0].secret_ref"),
        ]
    );
}

// Rules 6 and 7 belong to `limits::check_document` and `effects::check_effect_vocabulary`; these two tests only
// show that templates go through them (they pass once those walks are implemented).

#[test]
fn rule_6_the_document_walk_runs_on_the_manifest() {
    let request = edited([set("/manifest/template_title", "bell\u{7}")]);
    let rejection = prepare(&request).expect_err("a control character in a manifest string");
    assert!(
        rejection
            .problems
            .iter()
            .any(|p| p.path == "manifest.template_title"),
        "{:#?}",
        rejection.problems
    );
}

#[test]
fn rule_7_the_effect_vocabulary_runs_on_the_template() {
    let request = edited([set(
        "/template/business_effects",
        json!({"produces": ["teleportation"]}),
    )]);
    let rejection = prepare(&request).expect_err("an unknown business effect in the template");
    assert!(
        rejection
            .problems
            .iter()
            .any(|p| p.path.starts_with("template.business_effects")),
        "{:#?}",
        rejection.problems
    );
}

#[test]
fn prepared_digests_cover_the_stored_values_and_a_missing_package_is_built() {
    let prepared = prepare(&edited([
        set("/template_id", "  starter-x "),
        set("/publisher_id", " acme "),
        set(
            "/manifest/systems",
            json!([" github ", "", 5, "  ", "jira"]),
        ),
        set("/template/industry", "software_delivery"),
        set("/template/domain", "github"),
    ]))
    .unwrap();
    assert_eq!(
        (
            prepared.template_id.as_str(),
            prepared.template_version.as_str()
        ),
        ("starter-x", "1.0.0")
    );
    assert_eq!(prepared.publisher_id, "acme");
    assert_eq!(prepared.systems, ["github", "jira"]);
    assert_eq!(
        (prepared.industry.as_str(), prepared.domain.as_str()),
        ("software_delivery", "github")
    );
    assert_eq!(
        (
            prepared.template_kind.as_str(),
            prepared.project_type.as_str()
        ),
        ("fronting_starter", "governed_service_project")
    );
    for (value, text, claimed) in [
        (
            &prepared.manifest,
            &prepared.manifest_json,
            &prepared.manifest_digest,
        ),
        (
            &prepared.template,
            &prepared.template_json,
            &prepared.template_digest,
        ),
        (
            &prepared.package,
            &prepared.package_json,
            &prepared.package_digest,
        ),
    ] {
        assert_eq!(text.as_bytes(), digest_bytes(value));
        assert_eq!(claimed, &digest(value));
    }
    assert_eq!(
        prepared.manifest["template_digest"],
        prepared.template_digest.as_str()
    );
    let built = json!({
        "schema": TEMPLATE_PACKAGE_SCHEMA,
        "package_kind": TEMPLATE_PACKAGE_KIND,
        "package_version": "1.0.0",
        "manifest": prepared.manifest,
        "template": prepared.template,
    });
    assert_eq!(prepared.package, built);
    assert_eq!(prepared.package.as_object().unwrap().len(), 5);

    let both = [
        set("/manifest/industry", "analytics"),
        set("/template/industry", "software_delivery"),
    ];
    assert_eq!(prepare(&edited(both)).unwrap().industry, "analytics");
}

#[test]
fn reading_a_request_refuses_what_go_would_refuse_and_more() {
    for (input, kind, at) in [
        (&b"[]"[..], FormatKind::WrongType, "$"),
        (b"\"x\"", FormatKind::WrongType, "$"),
        (
            br#"{"template_id": 5}"#,
            FormatKind::WrongType,
            "template_id",
        ),
        (br#"{"manifest": "x"}"#, FormatKind::WrongType, "manifest"),
        (br#"{"package": []}"#, FormatKind::WrongType, "package"),
        (
            br#"{"template_id": "a", "template_id": "b"}"#,
            FormatKind::DuplicateKey,
            "template_id",
        ),
        (
            br#"{"template": {"documents": [{"filename": "a.md", "filename": "b.md"}]}}"#,
            FormatKind::DuplicateKey,
            "template.documents[0].filename",
        ),
    ] {
        let error =
            TemplateRequest::from_json(input).expect_err(std::str::from_utf8(input).unwrap());
        assert_eq!((error.kind, error.at.as_str()), (kind, at), "{error}");
    }
    // null reads as the zero value and unknown fields are ignored, as in Go.
    let request = TemplateRequest::from_json(
        br#"{"template_id": null, "manifest": null, "template": null, "package": null, "exported_at": "now"}"#,
    )
    .unwrap();
    assert_eq!(request, TemplateRequest::default());
}

#[test]
fn the_signed_publisher_follows_the_one_text_rule() {
    for (value, why) in [
        ("acme\u{202E}emca", "a bidi override"),
        ("acme\u{9b}31m", "a C1 CSI"),
    ] {
        let rejection = prepare(&edited([set("/publisher_id", value)])).expect_err(why);
        assert!(
            rejection
                .problems
                .iter()
                .any(|p| p.code == "invalid_field" && p.path == "publisher_id"),
            "{why}: {:#?}",
            rejection.problems
        );
    }
}

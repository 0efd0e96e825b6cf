//! Verifying a template version, the one rule the CLI (`registry verify --template`) and the registry's UI (the
//! template page's verdict) both apply: the record is the version asked for, its manifest, template and package
//! recompute to the recorded digests, the package carries the validated manifest and template, and the signed
//! template receipt verifies over the recomputed digests against the given keys.

use serde_json::Value;

use crate::canonical::digest;
use crate::keys::KeySet;
use crate::receipt::ReceiptOutcome;
use crate::report::Checks;
use crate::template_receipt::{TemplatePayload, TemplateReceipt};

/// The parts of a template record (reference §1.4) verification reads.
#[derive(Debug, Clone, Copy)]
pub struct TemplateParts<'a> {
    /// `template_id`.
    pub template_id: &'a str,
    /// `template_version`.
    pub template_version: &'a str,
    /// `publisher_id` (empty when absent).
    pub publisher_id: &'a str,
    /// `publisher_type` (empty when absent).
    pub publisher_type: &'a str,
    /// The recorded `manifest_digest`, `template_digest` and `package_digest`.
    pub digests: [&'a str; 3],
    /// The `manifest`, `template` and `package` documents.
    pub documents: [&'a Value; 3],
}

impl<'a> TemplateParts<'a> {
    /// The parts of a record as served (a JSON object); a missing member reads as empty text or `null`.
    pub fn of_record(record: &'a Value) -> Self {
        static NULL: Value = Value::Null;
        let text = |key: &str| record.get(key).and_then(Value::as_str).unwrap_or("");
        let document = |key: &str| record.get(key).unwrap_or(&NULL);
        TemplateParts {
            template_id: text("template_id"),
            template_version: text("template_version"),
            publisher_id: text("publisher_id"),
            publisher_type: text("publisher_type"),
            digests: [
                text("manifest_digest"),
                text("template_digest"),
                text("package_digest"),
            ],
            documents: [
                document("manifest"),
                document("template"),
                document("package"),
            ],
        }
    }
}

/// What verifying a template found.
#[derive(Debug, Clone)]
pub struct TemplateVerification {
    /// Every check, in order: `record_is_the_requested_template`, `{manifest,template,package}_digest_matches`,
    /// `package_is_the_validated_template`, `receipt_signature_valid`.
    pub checks: Checks,
    /// The receipt's outcome.
    pub receipt: ReceiptOutcome,
}

const PARTS: [&str; 3] = ["manifest", "template", "package"];

/// Verifies template `parts`, requested as `id@version`, and its `receipt` against `keys`. Pure CPU work
/// proportional to the documents; never fails (every finding is a check).
pub fn verify_template(
    id: &str,
    version: &str,
    parts: &TemplateParts<'_>,
    receipt: &TemplateReceipt,
    keys: &KeySet,
) -> TemplateVerification {
    let mut checks = Checks::default();
    checks.check(
        "record_is_the_requested_template",
        parts.template_id == id && parts.template_version == version,
        format!(
            "requested {id}@{version}, received {}@{}",
            parts.template_id, parts.template_version
        ),
    );
    let computed: [String; 3] = parts.documents.map(digest);
    for ((part, claimed), value) in PARTS.iter().zip(parts.digests).zip(&computed) {
        checks.check(
            &format!("{part}_digest_matches"),
            claimed == value,
            format!("{part}_digest: the record says {claimed}, the content computes {value}"),
        );
    }
    let package = parts.documents[2];
    let inner = |key: &str| package.get(key).map(digest);
    checks.check(
        "package_is_the_validated_template",
        inner("manifest").as_ref() == Some(&computed[0])
            && inner("template").as_ref() == Some(&computed[1]),
        "the served package carries the validated manifest and template",
    );
    let [manifest_digest, template_digest, package_digest] = computed;
    let payload = TemplatePayload {
        template_id: parts.template_id.to_owned(),
        template_version: parts.template_version.to_owned(),
        manifest_digest,
        template_digest,
        package_digest,
        issued_at: receipt.issued_at.clone(),
        publisher_id: parts.publisher_id.to_owned(),
        publisher_type: parts.publisher_type.to_owned(),
    };
    let outcome = receipt.verify(&payload, keys);
    match &outcome {
        ReceiptOutcome::Verified { key_id } => {
            checks.pass("receipt_signature_valid", format!("signed by key {key_id}"));
        }
        other => checks.fail("receipt_signature_valid", other.to_string()),
    }
    TemplateVerification {
        checks,
        receipt: outcome,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::keys::SigningKey;

    /// A record whose package holds `package_manifest`, with a receipt signed over its digests.
    fn signed(package_manifest: Value) -> (Value, TemplateReceipt, KeySet) {
        let manifest = json!({"name": "starter"});
        let template = json!({"documents": []});
        let package = json!({"manifest": package_manifest, "template": template});
        let key = SigningKey::dev();
        let payload = TemplatePayload {
            template_id: "starter".into(),
            template_version: "1.0.0".into(),
            manifest_digest: digest(&manifest),
            template_digest: digest(&template),
            package_digest: digest(&package),
            issued_at: "2026-11-23T10:00:00Z".into(),
            ..TemplatePayload::default()
        };
        let receipt = TemplateReceipt::issue(&payload, &key);
        let record = json!({
            "template_id": "starter", "template_version": "1.0.0",
            "manifest_digest": payload.manifest_digest, "template_digest": payload.template_digest,
            "package_digest": payload.package_digest,
            "manifest": manifest, "template": template, "package": package,
        });
        (
            record,
            receipt,
            KeySet::of(key.key_id().clone(), key.public_key()),
        )
    }

    fn failed(v: &TemplateVerification) -> Vec<&str> {
        v.checks.failures().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn a_faithful_template_verifies() {
        let (record, receipt, keys) = signed(json!({"name": "starter"}));
        let v = verify_template(
            "starter",
            "1.0.0",
            &TemplateParts::of_record(&record),
            &receipt,
            &keys,
        );
        assert!(v.checks.all_passed(), "{:?}", v.checks);
        assert!(matches!(v.receipt, ReceiptOutcome::Verified { .. }));
        assert_eq!(v.checks.0.len(), 6);
    }

    /// A package that does not carry the validated manifest fails even when its receipt signs it.
    #[test]
    fn a_package_with_another_manifest_fails() {
        let (record, receipt, keys) = signed(json!({"name": "something else"}));
        let v = verify_template(
            "starter",
            "1.0.0",
            &TemplateParts::of_record(&record),
            &receipt,
            &keys,
        );
        assert!(matches!(v.receipt, ReceiptOutcome::Verified { .. }));
        assert_eq!(failed(&v), ["package_is_the_validated_template"]);
    }

    #[test]
    fn another_version_digest_tampering_and_unknown_keys_fail() {
        let (mut record, receipt, keys) = signed(json!({"name": "starter"}));
        let v = verify_template(
            "starter",
            "2.0.0",
            &TemplateParts::of_record(&record),
            &receipt,
            &keys,
        );
        assert_eq!(failed(&v), ["record_is_the_requested_template"]);
        record["template"] = json!({"documents": [1]});
        let v = verify_template(
            "starter",
            "1.0.0",
            &TemplateParts::of_record(&record),
            &receipt,
            &keys,
        );
        assert_eq!(
            failed(&v),
            [
                "template_digest_matches",
                "package_is_the_validated_template",
                "receipt_signature_valid"
            ]
        );
        let (record, receipt, _) = signed(json!({"name": "starter"}));
        let v = verify_template(
            "starter",
            "1.0.0",
            &TemplateParts::of_record(&record),
            &receipt,
            &KeySet::new(),
        );
        assert!(matches!(v.receipt, ReceiptOutcome::UnknownKey { .. }));
        assert_eq!(failed(&v), ["receipt_signature_valid"]);
    }
}

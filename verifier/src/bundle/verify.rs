//! Verification of a bundle: its copies agree, every digest recomputes, and the receipt verifies.

use super::*;

impl Bundle {
    /// Verifies the bundle against `keys`: the copies it carries agree with each other, every digest and the
    /// execution signature recompute from the documents, and the receipt verifies.
    pub fn verify(&self, keys: &KeySet) -> Result<BundleVerification, FormatError> {
        let record = self.record()?;
        let receipt = self.receipt()?;
        let mut checks = Checks::default();
        self.check_copies(&record, &receipt, &mut checks);
        let (receipt_outcome, package_checks) = if receipt
            .registry_signature
            .starts_with("ed25519:")
        {
            let verification = verify_package(&record, &receipt, keys);
            (verification.receipt, verification.checks)
        } else {
            let mut only = verify_package(&record, &Receipt::default(), &KeySet::new()).checks;
            only.0.retain(|c| c.name != "receipt_signature_valid");
            let reason = if receipt.registry_signature.is_empty() {
                "the bundle carries no registry signature".to_owned()
            } else {
                format!(
                    "the receipt is not a registry signature but a local digest ({}), which anyone can compute",
                    receipt.registry_signature
                )
            };
            only.fail("receipt_signature_valid", reason.clone());
            (ReceiptOutcome::Failed { reason }, only)
        };
        checks.0.extend(package_checks.0);
        // A bundle's package is judged as the publish request it becomes (its record may leave references to the
        // publication section), with the same rules a registry applies.
        let rules = match self.to_publish_request() {
            Ok(request) => validate_package(&normalise(request)),
            Err(e) => Err(Rejection {
                problems: vec![Problem {
                    code: e.kind.code(),
                    path: e.at,
                    message: e.message,
                }],
                truncated: false,
            }),
        };
        rules_check(&mut checks, rules);
        Ok(BundleVerification {
            package_id: record.package_id,
            package_version: record.package_version,
            checks,
            receipt: receipt_outcome,
        })
    }

    /// Checks that the bundle's duplicated values agree: the digests section, the package's own documents, lineage
    /// copies and the identity in the publication and receipt.
    fn check_copies(&self, record: &PackageRecord, receipt: &Receipt, checks: &mut Checks) {
        let empty = Object::new();
        let package = self.object("package").unwrap_or(&empty);
        let digests = self.object("digests").unwrap_or(&empty);
        let publication = self.object("publication").unwrap_or(&empty);

        let mut identity = Vec::new();
        for (field, value) in [
            ("package_id", &record.package_id),
            ("package_version", &record.package_version),
        ] {
            for (place, other) in [
                (
                    "publication",
                    publication.get(field).and_then(Value::as_str).unwrap_or(""),
                ),
                ("receipt", receipt_field(receipt, field)),
            ] {
                if !other.is_empty() && other != value {
                    identity.push(format!(
                        "{field}: the package says {value:?}, the {place} says {other:?}"
                    ));
                }
            }
        }
        let contract = publication
            .get("contract_signature")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !contract.is_empty() && contract != record.contract_signature {
            identity.push(format!(
                "contract_signature: the package says {:?}, the publication says {contract:?}",
                record.contract_signature
            ));
        }
        checks.check(
            "bundle_identity_consistent",
            identity.is_empty(),
            identity.join("; "),
        );

        if !receipt.receipt_id.is_empty() {
            let computed = receipt_id(
                &receipt.issued_at,
                &receipt.package_id,
                &receipt.package_version,
            );
            checks.check(
                "receipt_id_matches",
                computed == receipt.receipt_id,
                format!(
                    "receipt_id: the receipt says {}, issued_at {:?} with its package_id and package_version give {computed}",
                    receipt.receipt_id, receipt.issued_at
                ),
            );
        }

        let mut copies = Vec::new();
        for (name, top, inner, section, claimed) in [
            (
                "definition_digest",
                "service_definition",
                "service_definition",
                "service_definition",
                &record.definition_digest,
            ),
            (
                "manifest_digest",
                "manifest",
                "manifest",
                "manifest",
                &record.manifest_digest,
            ),
            (
                "lock_digest",
                "lock",
                "recommended_lock",
                "lock",
                &record.lock_digest,
            ),
        ] {
            if let (Some(a), Some(b)) = (self.root.get(top), package.get(inner))
                && digest(a) != digest(b)
            {
                copies.push(format!(
                    "{top}: the top-level copy differs from package.{inner}"
                ));
            }
            if let Some(listed) = digests.get(section).and_then(Value::as_str)
                && !listed.is_empty()
                && listed != claimed
            {
                copies.push(format!(
                    "{name}: digests.{section} says {listed}, the package says {claimed}"
                ));
            }
        }
        let lineages: Vec<(&str, &Object)> = [
            ("package.lineage", package.get("lineage")),
            ("lineage", self.root.get("lineage")),
            ("publication.lineage", publication.get("lineage")),
        ]
        .into_iter()
        .filter_map(|(place, v)| {
            v.and_then(Value::as_object)
                .filter(|o| !o.is_empty())
                .map(|o| (place, o))
        })
        .collect();
        if let Some((first_place, first)) = lineages.first() {
            for (place, other) in &lineages[1..] {
                if let Some(key) = first_difference(first, other) {
                    copies.push(format!(
                        "lineage: {first_place} and {place} differ at {key}"
                    ));
                }
            }
        }
        checks.check(
            "bundle_copies_consistent",
            copies.is_empty(),
            copies.join("; "),
        );
    }
}

fn receipt_field<'a>(receipt: &'a Receipt, field: &str) -> &'a str {
    match field {
        "package_id" => &receipt.package_id,
        _ => &receipt.package_version,
    }
}

/// The first top-level key at which two objects differ.
fn first_difference(a: &Object, b: &Object) -> Option<String> {
    a.keys()
        .chain(b.keys())
        .find(|key| a.get(*key).map(digest) != b.get(*key).map(digest))
        .cloned()
}

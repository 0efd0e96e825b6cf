//! Stamping (reference §2.5): the definition digest, the stamped manifest and lock, the package execution signature
//! and the final digests.

use serde_json::Value;

use super::NormalisedPackage;
use crate::canonical::{
    Encoding, digest_bytes, sha256_hex, write_object_skipping, write_value, write_value_skipping,
};
use crate::record::{ImplementationMaterial, Lifecycle, Object, PackageRecord, SourceLink};

/// The ANIP spec version stamped into every lock.
pub const ANIP_SPEC_VERSION: &str = "anip/0.24";

/// The schema tag inside the execution-signature object.
pub const EXECUTION_SIGNATURE_SCHEMA: &str = "anip-package-execution-signature/v1";

const PES_KEY: &str = "package_execution_signature";

/// A package after stamping: the documents as stored and served, their canonical text and digests.
#[derive(Debug, Clone, PartialEq)]
pub struct StampedPackage {
    /// Identity, references and publisher, as normalised.
    pub package: NormalisedPackage,
    /// The stamped manifest.
    pub manifest: Value,
    /// The service definition.
    pub service_definition: Value,
    /// The stamped recommended lock.
    pub recommended_lock: Value,
    /// Digest encoding of the manifest (the text `manifest_digest` covers).
    pub manifest_json: String,
    /// Digest encoding of the service definition.
    pub service_definition_json: String,
    /// Digest encoding of the lock.
    pub recommended_lock_json: String,
    /// `sha256:` digest of the service definition.
    pub definition_digest: String,
    /// `sha256:` digest of the stamped manifest.
    pub manifest_digest: String,
    /// `sha256:` digest of the stamped lock.
    pub lock_digest: String,
    /// The package execution signature.
    pub package_execution_signature: String,
}

impl StampedPackage {
    /// README.
    pub fn readme(&self) -> &str {
        &self.package.readme
    }

    /// README links.
    pub fn source_links(&self) -> &[SourceLink] {
        &self.package.source_links
    }

    /// Implementation materials.
    pub fn implementation_materials(&self) -> &[ImplementationMaterial] {
        &self.package.implementation_materials
    }

    /// Lineage (empty when none).
    pub fn lineage(&self) -> &Object {
        &self.package.lineage
    }

    /// The record a registry stores and serves for this package, published by `publisher_id` /
    /// `publisher_type` at `published_at` (RFC 3339), active, never downloaded.
    pub fn to_record(
        &self,
        publisher_id: &str,
        publisher_type: &str,
        published_at: &str,
    ) -> PackageRecord {
        let p = &self.package;
        PackageRecord {
            package_id: p.package_id.clone(),
            package_version: p.package_version.clone(),
            project_ref: p.project_ref.clone(),
            product_revision_ref: p.product_revision_ref.clone(),
            developer_revision_ref: p.developer_revision_ref.clone(),
            contract_signature: p.contract_signature.clone(),
            publisher_id: publisher_id.to_owned(),
            publisher_type: publisher_type.to_owned(),
            publisher: None,
            lineage: p.lineage.clone(),
            schema_version: p.schema_version.clone(),
            manifest_digest: self.manifest_digest.clone(),
            definition_digest: self.definition_digest.clone(),
            lock_digest: self.lock_digest.clone(),
            package_execution_signature: self.package_execution_signature.clone(),
            published_at: published_at.to_owned(),
            download_count: 0,
            lifecycle: Lifecycle::default(),
            manifest: self.manifest.clone(),
            service_definition: self.service_definition.clone(),
            recommended_lock: self.recommended_lock.clone(),
            readme: p.readme.clone(),
            source_links: p.source_links.clone(),
            implementation_materials: p.implementation_materials.clone(),
        }
    }
}

/// Stamps a normalised (and validated) package: digests, stamped fields and the execution signature.
pub fn stamp(mut package: NormalisedPackage) -> StampedPackage {
    let service_definition = Value::Object(std::mem::take(&mut package.service_definition));
    let service_definition_json = canonical_text(&service_definition);
    let definition_digest = sha256_hex(service_definition_json.as_bytes());

    let mut manifest = std::mem::take(&mut package.manifest);
    let mut lock = std::mem::take(&mut package.recommended_lock);
    let text = |s: &str| Value::from(s);
    manifest.insert("service_definition_digest".into(), text(&definition_digest));
    manifest.insert("service_definition_digest_algorithm".into(), text("sha256"));
    manifest.insert("schema_version".into(), text(&package.schema_version));
    lock.insert("service_definition_digest".into(), text(&definition_digest));
    lock.insert("schema_version".into(), text(&package.schema_version));
    lock.insert("anip_spec_version".into(), text(ANIP_SPEC_VERSION));

    let package_execution_signature = signature_over(
        Definition::Canonical(&service_definition_json),
        &manifest,
        &lock,
        &package.implementation_materials,
        &package.lineage,
    );
    manifest.insert(PES_KEY.into(), text(&package_execution_signature));
    lock.insert(PES_KEY.into(), text(&package_execution_signature));

    let manifest = Value::Object(manifest);
    let recommended_lock = Value::Object(lock);
    let manifest_json = canonical_text(&manifest);
    let recommended_lock_json = canonical_text(&recommended_lock);
    StampedPackage {
        manifest_digest: sha256_hex(manifest_json.as_bytes()),
        lock_digest: sha256_hex(recommended_lock_json.as_bytes()),
        package,
        manifest,
        service_definition,
        recommended_lock,
        manifest_json,
        service_definition_json,
        recommended_lock_json,
        definition_digest,
        package_execution_signature,
    }
}

fn canonical_text(value: &Value) -> String {
    // The digest encoding of a `Value` is always UTF-8: it copies valid strings and adds ASCII only.
    String::from_utf8_lossy(&digest_bytes(value)).into_owned()
}

/// The package execution signature: the digest of
/// `{schema_version, service_definition, agent_consumability, agent_consumption_readiness,
/// agent_consumption_publication_gate, implementation_materials, recommended_lock, lineage}`, where the manifest's
/// three `agent_*` values and the lock have every `package_execution_signature` key removed at any depth.
pub fn execution_signature(
    service_definition: &Value,
    manifest: &Object,
    recommended_lock: &Object,
    materials: &[ImplementationMaterial],
    lineage: &Object,
) -> String {
    signature_over(
        Definition::Value(service_definition),
        manifest,
        recommended_lock,
        materials,
        lineage,
    )
}

/// The service definition, as a value or as its digest encoding already computed (which saves encoding a
/// definition of up to 2 MiB twice).
enum Definition<'a> {
    Value(&'a Value),
    Canonical(&'a str),
}

fn signature_over(
    service_definition: Definition<'_>,
    manifest: &Object,
    recommended_lock: &Object,
    materials: &[ImplementationMaterial],
    lineage: &Object,
) -> String {
    enum Piece<'a> {
        Stripped(Option<&'a Value>),
        StrippedObject(&'a Object),
        Plain(Value),
        Definition(Definition<'a>),
    }
    let mut pieces = [
        (
            "agent_consumability",
            Piece::Stripped(manifest.get("agent_consumability")),
        ),
        (
            "agent_consumption_publication_gate",
            Piece::Stripped(manifest.get("agent_consumption_publication_gate")),
        ),
        (
            "agent_consumption_readiness",
            Piece::Stripped(manifest.get("agent_consumption_readiness")),
        ),
        (
            "implementation_materials",
            Piece::Plain(Value::Array(
                materials
                    .iter()
                    .map(ImplementationMaterial::to_value)
                    .collect(),
            )),
        ),
        ("lineage", Piece::Plain(Value::Object(lineage.clone()))),
        ("recommended_lock", Piece::StrippedObject(recommended_lock)),
        (
            "schema_version",
            Piece::Plain(Value::from(EXECUTION_SIGNATURE_SCHEMA)),
        ),
        ("service_definition", Piece::Definition(service_definition)),
    ];
    pieces.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));

    let mut out = Vec::with_capacity(64 * 1024);
    out.push(b'{');
    for (i, (key, piece)) in pieces.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_value(&mut out, &Value::from(*key), Encoding::Digest);
        out.push(b':');
        match piece {
            Piece::Stripped(None) => out.extend_from_slice(b"null"),
            Piece::Stripped(Some(v)) => {
                write_value_skipping(&mut out, v, Encoding::Digest, PES_KEY)
            }
            Piece::StrippedObject(o) => {
                write_object_skipping(&mut out, o, Encoding::Digest, PES_KEY)
            }
            Piece::Plain(v) => write_value(&mut out, v, Encoding::Digest),
            Piece::Definition(Definition::Value(v)) => write_value(&mut out, v, Encoding::Digest),
            Piece::Definition(Definition::Canonical(text)) => {
                out.extend_from_slice(text.as_bytes())
            }
        }
    }
    out.push(b'}');
    sha256_hex(&out)
}

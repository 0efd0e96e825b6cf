//! Starter templates (reference §4): request shape, normalisation, validation and digests.
//!
//! [`prepare_template`] turns a `POST /templates` body into what the registry stores and serves: the normalised
//! identity, the three documents (manifest, template and the downloadable package), their canonical encodings and
//! digests, and the listing fields of a `RegistryTemplateRecord`. Beyond reference §4.2 it also requires a valid id
//! and SemVer version, walks the package like the other two documents, and requires a supplied package to carry
//! exactly the validated manifest and template (reference §13.1 item 11), so what Studio imports is what was checked.

#[path = "template_rules.rs"]
mod rules;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Problems, Rejection, effects, limits, str_at, text};
use crate::canonical;
use crate::error::FormatError;
use crate::record::{Object, nullable, object_into};

/// `package.schema` of a template package.
pub const TEMPLATE_PACKAGE_SCHEMA: &str = "anip-starter-template-package/v0";
/// `package.package_kind` of a template package.
pub const TEMPLATE_PACKAGE_KIND: &str = "anip_starter_template";
/// `manifest.schema` of a template manifest.
pub const TEMPLATE_MANIFEST_SCHEMA: &str = "anip-starter-template-manifest/v0";
/// `template.schema` of a template.
pub const TEMPLATE_SCHEMA: &str = "anip-starter-template/v0";

/// Largest template manifest (digest encoding), bytes.
const MAX_TEMPLATE_MANIFEST_BYTES: usize = 128 << 10;
/// Largest template (digest encoding), bytes.
const MAX_TEMPLATE_BYTES: usize = 1 << 20;

/// The body of `POST /registry-api/v1/templates`.
///
/// A JSON `null` reads as the field's zero value, as Go's decoder gives; unknown fields are ignored, which is what
/// lets a downloaded template package (`jira-fronting-starter-0.1.1`) be posted as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TemplateRequest {
    /// Template id (else `manifest.template_id`).
    #[serde(default, deserialize_with = "nullable")]
    pub template_id: String,
    /// Template version (else `manifest.package_version`).
    #[serde(default, deserialize_with = "nullable")]
    pub template_version: String,
    /// Publisher id (overwritten by the registry).
    #[serde(default, deserialize_with = "nullable")]
    pub publisher_id: String,
    /// Publisher type (overwritten by the registry).
    #[serde(default, deserialize_with = "nullable")]
    pub publisher_type: String,
    /// Template manifest.
    #[serde(default, deserialize_with = "nullable")]
    pub manifest: Object,
    /// The template.
    #[serde(default, deserialize_with = "nullable")]
    pub template: Object,
    /// The package served by the download route (built when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Object>,
}

impl TemplateRequest {
    /// Reads a request from strict JSON bytes (see [`crate::json::parse_strict`]).
    pub fn from_json(bytes: &[u8]) -> Result<Self, FormatError> {
        Self::from_value(crate::json::parse_strict(bytes)?)
    }

    /// Reads a request from a parsed value, naming the first field of the wrong type.
    pub fn from_value(value: Value) -> Result<Self, FormatError> {
        object_into(value, "a template request")
    }
}

/// A validated template with its digests: the fields of a `RegistryTemplateRecord` the registry derives.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedTemplate {
    /// Template id (trimmed; the request's, else `manifest.template_id`).
    pub template_id: String,
    /// Template version (trimmed; the request's, else `manifest.package_version`).
    pub template_version: String,
    /// Publisher id as requested (trimmed; the registry overwrites it with the authenticated identity).
    pub publisher_id: String,
    /// Publisher type as requested (trimmed; likewise overwritten).
    pub publisher_type: String,
    /// `template.kind`.
    pub template_kind: String,
    /// `template.projectType`.
    pub project_type: String,
    /// `template.anipSpecVersion`.
    pub anip_spec_version: String,
    /// `template.domain` (empty when absent).
    pub domain: String,
    /// `manifest.industry`, else `template.industry` (empty when neither).
    pub industry: String,
    /// `manifest.systems`: its non-blank strings, trimmed.
    pub systems: Vec<String>,
    /// The manifest.
    pub manifest: Value,
    /// The template.
    pub template: Value,
    /// The package the download route serves: the request's, or one built from the manifest and template.
    pub package: Value,
    /// The digest encoding of `manifest`.
    pub manifest_json: String,
    /// The digest encoding of `template`.
    pub template_json: String,
    /// The digest encoding of `package`.
    pub package_json: String,
    /// `sha256:` digest of `manifest_json`.
    pub manifest_digest: String,
    /// `sha256:` digest of `template_json`.
    pub template_digest: String,
    /// `sha256:` digest of `package_json`.
    pub package_digest: String,
}

/// A document's digest encoding and its digest.
#[derive(Debug)]
struct Encoded {
    text: String,
    digest: String,
}

impl Encoded {
    fn of(value: &Value) -> Self {
        let bytes = canonical::digest_bytes(value);
        let digest = canonical::sha256_hex(&bytes);
        // The encoding only writes UTF-8 strings and ASCII, so the lossy branch is never taken.
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Encoded { text, digest }
    }

    /// Encodes an object in place, without copying it into a `Value`.
    fn of_object(object: &mut Object) -> Self {
        let value = Value::Object(std::mem::take(object));
        let encoded = Self::of(&value);
        if let Value::Object(map) = value {
            *object = map;
        }
        encoded
    }
}

/// Whether a supplied package's `manifest` and `template` members are the validated documents (same digest).
#[derive(Debug, Clone, Copy)]
struct PackageMembers {
    manifest: bool,
    template: bool,
}

impl PackageMembers {
    fn of(package: &Object, manifest: &Encoded, template: &Encoded) -> Self {
        let is = |key: &str, encoded: &Encoded| {
            package
                .get(key)
                .is_some_and(|member| canonical::digest_bytes(member) == encoded.text.as_bytes())
        };
        PackageMembers {
            manifest: is("manifest", manifest),
            template: is("template", template),
        }
    }

    /// The package without the members that are the validated documents.
    fn rest(self, package: &Object) -> Object {
        package
            .iter()
            .filter(|(key, _)| match key.as_str() {
                "manifest" => !self.manifest,
                "template" => !self.template,
                _ => true,
            })
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    }

    /// Rule 13: a supplied package carries the validated manifest and template, at the template's version.
    fn check(self, package: &Object, template_version: &str, problems: &mut Problems) {
        for (key, same) in [("manifest", self.manifest), ("template", self.template)] {
            if !same {
                let message = if package.contains_key(key) {
                    format!(
                        "package.{key} differs from the {key} being published (their digests differ)"
                    )
                } else {
                    format!("package.{key} is missing; it must be the {key} being published")
                };
                problems.push("package_mismatch", format!("package.{key}"), message);
            }
        }
        match package.get("package_version") {
            None | Some(Value::Null) => {}
            Some(Value::String(version)) if version == template_version => {}
            Some(_) if template_version.is_empty() => {}
            Some(other) => problems.push(
                "package_mismatch",
                "package.package_version",
                format!(
                    "package.package_version is {other}; the template version is {template_version:?}"
                ),
            ),
        }
    }
}

/// Normalises and validates a template request (reference §4.1–4.3), collecting every problem found.
pub fn prepare_template(request: TemplateRequest) -> Result<PreparedTemplate, Rejection> {
    let normalised = Normalised::new(request);
    normalised.validate()?;
    Ok(normalised.into_prepared())
}

/// A request after normalisation (reference §4.1), with the encodings validation and storage share.
#[derive(Debug)]
struct Normalised {
    template_id: String,
    template_version: String,
    publisher_id: String,
    publisher_type: String,
    manifest: Object,
    template: Object,
    manifest_encoded: Encoded,
    template_encoded: Encoded,
    /// The supplied package, if any, and which of its members are the validated documents.
    supplied: Option<(Object, PackageMembers)>,
}

impl Normalised {
    fn new(request: TemplateRequest) -> Self {
        let TemplateRequest {
            template_id,
            template_version,
            publisher_id,
            publisher_type,
            mut manifest,
            mut template,
            package,
        } = request;
        let manifest_encoded = Encoded::of_object(&mut manifest);
        let template_encoded = Encoded::of_object(&mut template);
        let supplied = package.map(|package| {
            let members = PackageMembers::of(&package, &manifest_encoded, &template_encoded);
            (package, members)
        });
        Normalised {
            template_id: first_non_blank(&template_id, str_at(&manifest, "template_id")),
            template_version: first_non_blank(
                &template_version,
                str_at(&manifest, "package_version"),
            ),
            publisher_id: publisher_id.trim().to_owned(),
            publisher_type: publisher_type.trim().to_owned(),
            manifest,
            template,
            manifest_encoded,
            template_encoded,
            supplied,
        }
    }

    /// Every rule of reference §4.2 and ours, in rule order.
    fn validate(&self) -> Result<(), Rejection> {
        let (manifest, template) = (&self.manifest, &self.template);
        let mut problems = Problems::new();
        rules::check_identity(
            &self.template_id,
            &self.template_version,
            manifest,
            &mut problems,
        );
        // The publisher is signed into the template receipt: the text rules of every signed field.
        for (field, value) in [
            ("publisher_id", &self.publisher_id),
            ("publisher_type", &self.publisher_type),
        ] {
            text::check_text_field(field, value, false, &mut problems);
        }
        if let Some((package, _)) = &self.supplied {
            rules::check_package_header(package, &mut problems);
        }
        rules::check_schemas(manifest, template, &mut problems);
        let sizes = [
            (
                "manifest",
                &self.manifest_encoded,
                MAX_TEMPLATE_MANIFEST_BYTES,
            ),
            ("template", &self.template_encoded, MAX_TEMPLATE_BYTES),
        ];
        for (label, encoded, max) in sizes {
            rules::check_size(label, encoded.text.len(), max, &mut problems);
        }
        // The package members that are the validated documents were checked as those; the rest is walked here.
        let package_rest = match &self.supplied {
            Some((package, members)) => members.rest(package),
            None => package_header(&self.template_version),
        };
        let documents = [
            ("manifest", manifest),
            ("template", template),
            ("package", &package_rest),
        ];
        for (label, document) in documents {
            limits::check_document(label, document, &mut problems);
        }
        for (label, document) in documents {
            effects::check_effect_vocabulary(label, document, &mut problems);
        }
        for (label, document) in documents {
            rules::check_executable_keys(label, document, &mut problems);
        }
        rules::check_consistency(
            manifest,
            template,
            &self.template_encoded.digest,
            &mut problems,
        );
        rules::check_lists(template, &mut problems);
        rules::check_documents(template, &mut problems);
        rules::check_connections(template, &mut problems);
        if let Some((package, members)) = &self.supplied {
            members.check(package, &self.template_version, &mut problems);
        }
        problems.into_result()
    }

    /// The stored record's derived fields, documents, encodings and digests.
    fn into_prepared(self) -> PreparedTemplate {
        let (manifest, template) = (self.manifest, self.template);
        let package = match self.supplied {
            Some((package, _)) => package,
            None => {
                let mut built = package_header(&self.template_version);
                built.insert("manifest".to_owned(), Value::Object(manifest.clone()));
                built.insert("template".to_owned(), Value::Object(template.clone()));
                built
            }
        };
        let package = Value::Object(package);
        let package_encoded = Encoded::of(&package);
        let industry = match trimmed(&manifest, "industry") {
            "" => trimmed(&template, "industry"),
            industry => industry,
        };
        PreparedTemplate {
            template_id: self.template_id,
            template_version: self.template_version,
            publisher_id: self.publisher_id,
            publisher_type: self.publisher_type,
            template_kind: trimmed(&template, "kind").to_owned(),
            project_type: trimmed(&template, "projectType").to_owned(),
            anip_spec_version: trimmed(&template, "anipSpecVersion").to_owned(),
            domain: trimmed(&template, "domain").to_owned(),
            industry: industry.to_owned(),
            systems: systems(&manifest),
            manifest: Value::Object(manifest),
            template: Value::Object(template),
            package,
            manifest_json: self.manifest_encoded.text,
            template_json: self.template_encoded.text,
            package_json: package_encoded.text,
            manifest_digest: self.manifest_encoded.digest,
            template_digest: self.template_encoded.digest,
            package_digest: package_encoded.digest,
        }
    }
}

/// The trimmed request value, else the trimmed manifest value, else empty.
fn first_non_blank(requested: &str, from_manifest: Option<&str>) -> String {
    match requested.trim() {
        "" => from_manifest.map(str::trim).unwrap_or("").to_owned(),
        value => value.to_owned(),
    }
}

/// The top of a built package: everything but its manifest and template.
fn package_header(template_version: &str) -> Object {
    let mut header = Object::new();
    header.insert("schema".to_owned(), TEMPLATE_PACKAGE_SCHEMA.into());
    header.insert("package_kind".to_owned(), TEMPLATE_PACKAGE_KIND.into());
    header.insert("package_version".to_owned(), template_version.into());
    header
}

/// A string member, trimmed; empty when absent or not a string.
fn trimmed<'a>(object: &'a Object, key: &str) -> &'a str {
    str_at(object, key).map(str::trim).unwrap_or("")
}

/// `manifest.systems`: its non-blank strings, trimmed.
fn systems(manifest: &Object) -> Vec<String> {
    match manifest.get("systems") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

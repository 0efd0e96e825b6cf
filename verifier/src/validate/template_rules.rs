//! The template-specific rules of reference §4.2 (the generic walks are `limits` and `effects`), in rule order.

use serde_json::Value;

use super::{
    TEMPLATE_MANIFEST_SCHEMA, TEMPLATE_PACKAGE_KIND, TEMPLATE_PACKAGE_SCHEMA, TEMPLATE_SCHEMA,
};
use crate::record::Object;
use crate::validate::{Problems, REQUIRED_SPEC_VERSION, ids, index_path, key_path, str_at};

/// Keys that look like something to execute; refused at any depth (compared trimmed and lower-cased).
const EXECUTABLE_KEYS: [&str; 7] = [
    "script",
    "scripts",
    "preinstall",
    "postinstall",
    "install",
    "command",
    "commands",
];

/// The lists of a template, each with the most items it may hold.
const LISTS: [(&str, usize); 4] = [
    ("documents", 20),
    ("connections", 20),
    ("discoveryRecords", 200),
    ("capabilityMappings", 100),
];

/// The largest `content` of a template document, bytes.
const MAX_DOCUMENT_CONTENT_BYTES: usize = 20 << 10;

/// Rule 2: a valid id and version, and the same ones the manifest states.
pub(super) fn check_identity(
    template_id: &str,
    template_version: &str,
    manifest: &Object,
    problems: &mut Problems,
) {
    ids::check_artifact_id("template_id", template_id, problems);
    ids::check_version("template_version", template_version, problems);
    for (field, value, manifest_key) in [
        ("template_id", template_id, "template_id"),
        ("template_version", template_version, "package_version"),
    ] {
        if let Some(stated) = str_at(manifest, manifest_key)
            && !value.is_empty()
            && stated.trim() != value
        {
            problems.push(
                "identity_mismatch",
                field,
                format!("{field} is {value:?} but manifest.{manifest_key} is {stated:?}"),
            );
        }
    }
}

/// Rule 3: a supplied package's `schema` and `package_kind`, when present.
pub(super) fn check_package_header(package: &Object, problems: &mut Problems) {
    for (key, expected, code) in [
        ("schema", TEMPLATE_PACKAGE_SCHEMA, "unsupported_schema"),
        (
            "package_kind",
            TEMPLATE_PACKAGE_KIND,
            "unsupported_package_kind",
        ),
    ] {
        match package.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(value)) if value == expected => {}
            Some(other) => problems.push(
                code,
                key_path("package", key),
                format!("package.{key} is {other}; the registry accepts {expected:?}"),
            ),
        }
    }
}

/// Rule 4: the manifest and template schemas.
pub(super) fn check_schemas(manifest: &Object, template: &Object, problems: &mut Problems) {
    for (label, document, expected) in [
        ("manifest", manifest, TEMPLATE_MANIFEST_SCHEMA),
        ("template", template, TEMPLATE_SCHEMA),
    ] {
        let path = key_path(label, "schema");
        match document.get("schema") {
            Some(Value::String(schema)) if schema == expected => {}
            None | Some(Value::Null) => problems.push(
                "missing_field",
                path,
                format!("{label}.schema is required and must be {expected:?}"),
            ),
            Some(other) => problems.push(
                "unsupported_schema",
                path,
                format!("{label}.schema is {other}; the registry accepts {expected:?}"),
            ),
        }
    }
}

/// Rules 1 and 5: the size of a document's digest encoding.
pub(super) fn check_size(label: &str, len: usize, max: usize, problems: &mut Problems) {
    if len > max {
        problems.push(
            "document_too_large",
            label,
            format!("{label} is {len} bytes (canonical encoding); at most {max} are allowed"),
        );
    }
}

/// An object or array on the way down a document.
#[derive(Debug, Clone, Copy)]
enum Container<'a> {
    Object(&'a Object),
    Array(&'a [Value]),
}

impl<'a> Container<'a> {
    fn of(value: &'a Value) -> Option<Self> {
        match value {
            Value::Object(object) => Some(Container::Object(object)),
            Value::Array(items) => Some(Container::Array(items)),
            _ => None,
        }
    }
}

/// Rule 8: no executable-looking key at any depth of `document`.
pub(super) fn check_executable_keys(label: &str, document: &Object, problems: &mut Problems) {
    // An explicit stack: the depth of a value built in code is not bounded by the JSON reader.
    let mut stack = vec![(label.to_owned(), Container::Object(document))];
    while let Some((path, container)) = stack.pop() {
        if problems.is_full() {
            return;
        }
        match container {
            Container::Object(object) => {
                for key in object.keys() {
                    if EXECUTABLE_KEYS.contains(&key.trim().to_lowercase().as_str()) {
                        problems.push(
                            "executable_key",
                            key_path(&path, key),
                            format!("the key {key:?} looks executable; templates may not carry scripts or commands"),
                        );
                    }
                }
                for (key, value) in object.iter().rev() {
                    if let Some(inner) = Container::of(value) {
                        stack.push((key_path(&path, key), inner));
                    }
                }
            }
            Container::Array(items) => {
                for (index, item) in items.iter().enumerate().rev() {
                    if let Some(inner) = Container::of(item) {
                        stack.push((index_path(&path, index), inner));
                    }
                }
            }
        }
    }
}

/// Rule 9: the manifest describes this template (id, spec version, digest).
pub(super) fn check_consistency(
    manifest: &Object,
    template: &Object,
    template_digest: &str,
    problems: &mut Problems,
) {
    if manifest.get("template_id") != template.get("id") {
        problems.push(
            "template_id_mismatch",
            "manifest.template_id",
            format!(
                "manifest.template_id is {}; template.id is {}",
                shown(manifest.get("template_id")),
                shown(template.get("id"))
            ),
        );
    }
    let template_spec = template.get("anipSpecVersion");
    match template_spec {
        Some(Value::String(version)) if version == REQUIRED_SPEC_VERSION => {}
        None | Some(Value::Null) => problems.push(
            "missing_spec_version",
            "template.anipSpecVersion",
            format!("the template must declare anipSpecVersion {REQUIRED_SPEC_VERSION:?}"),
        ),
        Some(other) => problems.push(
            "unsupported_spec_version",
            "template.anipSpecVersion",
            format!("anipSpecVersion is {other}; the registry accepts {REQUIRED_SPEC_VERSION:?}"),
        ),
    }
    if manifest.get("anip_spec_version") != template_spec {
        problems.push(
            "spec_version_mismatch",
            "manifest.anip_spec_version",
            format!(
                "manifest.anip_spec_version is {}; template.anipSpecVersion is {}",
                shown(manifest.get("anip_spec_version")),
                shown(template_spec)
            ),
        );
    }
    match manifest.get("template_digest") {
        Some(Value::String(digest)) if digest == template_digest => {}
        None | Some(Value::Null) => problems.push(
            "missing_field",
            "manifest.template_digest",
            format!(
                "manifest.template_digest is required; the template's digest is {template_digest}"
            ),
        ),
        Some(other) => problems.push(
            "template_digest_mismatch",
            "manifest.template_digest",
            format!(
                "manifest.template_digest is {other}; the template's digest is {template_digest}"
            ),
        ),
    }
}

fn shown(value: Option<&Value>) -> String {
    value.map_or_else(|| "absent".to_owned(), Value::to_string)
}

/// Rule 10: the template's lists are arrays (or absent) and not too long.
pub(super) fn check_lists(template: &Object, problems: &mut Problems) {
    for (key, max) in LISTS {
        let path = key_path("template", key);
        match template.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) if items.len() > max => problems.push(
                "too_many_items",
                path,
                format!("{} items; at most {max} are allowed", items.len()),
            ),
            Some(Value::Array(_)) => {}
            Some(other) => problems.push(
                "wrong_type",
                path,
                format!("template.{key} must be an array, not {}", type_name(other)),
            ),
        }
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The items of `template[key]` when it is an array, each with its path.
fn items<'a>(template: &'a Object, key: &str) -> impl Iterator<Item = (String, &'a Value)> {
    let base = key_path("template", key);
    let items = match template.get(key) {
        Some(Value::Array(items)) => items.as_slice(),
        _ => &[],
    };
    items
        .iter()
        .enumerate()
        .map(move |(index, item)| (index_path(&base, index), item))
}

/// Rule 11: each document is an object with a plain Markdown file name and a bounded content.
pub(super) fn check_documents(template: &Object, problems: &mut Problems) {
    for (path, document) in items(template, "documents") {
        let Value::Object(document) = document else {
            problems.push("invalid_document", path, "each document must be an object");
            continue;
        };
        let filename_path = key_path(&path, "filename");
        match document.get("filename") {
            Some(Value::String(name)) if !name.trim().is_empty() => {
                if let Some(why) = filename_problem(name) {
                    problems.push("invalid_filename", filename_path, format!("{name:?} {why}"));
                }
            }
            None | Some(Value::Null | Value::String(_)) => {
                problems.push(
                    "missing_field",
                    filename_path,
                    "a document needs a filename",
                );
            }
            Some(other) => problems.push(
                "wrong_type",
                filename_path,
                format!("filename must be a string, not {}", type_name(other)),
            ),
        }
        match document.get("content") {
            Some(Value::String(content)) if content.len() > MAX_DOCUMENT_CONTENT_BYTES => problems
                .push(
                    "template_document_too_large",
                    key_path(&path, "content"),
                    format!(
                        "the document is {} bytes; at most {MAX_DOCUMENT_CONTENT_BYTES} are allowed",
                        content.len()
                    ),
                ),
            None | Some(Value::Null | Value::String(_)) => {}
            Some(other) => problems.push(
                "wrong_type",
                key_path(&path, "content"),
                format!("content must be a string, not {}", type_name(other)),
            ),
        }
    }
}

/// What is wrong with a document file name, if anything.
fn filename_problem(name: &str) -> Option<&'static str> {
    if name.contains("..") || name.contains('/') || name.contains('\\') {
        Some("is not a plain file name: '..', '/' and '\\' are not allowed")
    } else if !name
        .get(name.len().saturating_sub(3)..)
        .is_some_and(|extension| extension.eq_ignore_ascii_case(".md"))
    {
        Some("is not a Markdown file: the name must end in .md")
    } else {
        None
    }
}

/// Rule 12: each connection is an object whose `secret_ref`, if any, names an environment variable.
pub(super) fn check_connections(template: &Object, problems: &mut Problems) {
    for (path, connection) in items(template, "connections") {
        let Value::Object(connection) = connection else {
            problems.push(
                "invalid_connection",
                path,
                "each connection must be an object",
            );
            continue;
        };
        let secret_path = key_path(&path, "secret_ref");
        match connection.get("secret_ref") {
            Some(Value::String(secret)) if !secret.is_empty() && !is_environment_name(secret) => {
                problems.push(
                    "invalid_secret_ref",
                    secret_path,
                    format!(
                        "{secret:?} is not an environment variable name: 2 to 128 characters of A-Z, 0-9 and '_', \
                         starting with a letter"
                    ),
                );
            }
            None | Some(Value::Null | Value::String(_)) => {}
            Some(other) => problems.push(
                "wrong_type",
                secret_path,
                format!("secret_ref must be a string, not {}", type_name(other)),
            ),
        }
    }
}

/// `[A-Z][A-Z0-9_]{1,127}`.
fn is_environment_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (2..=128).contains(&bytes.len())
        && bytes[0].is_ascii_uppercase()
        && bytes[1..]
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

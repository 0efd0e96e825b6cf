//! Every publish-time rule, offline: what a registry checks in `POST /publications` (a request, or a bundle turned
//! into one) and `POST /templates`, with the verifier's own functions, so `registry check`, `publish --dry-run` and
//! `publish --output` refuse exactly what a registry would.

use serde_json::Value;
use verifier::FormatError;
use verifier::bundle::Bundle;
use verifier::publish::PublishRequest;
use verifier::validate::{
    MAX_PUBLISH_BODY_BYTES, MAX_TEMPLATE_BODY_BYTES, TEMPLATE_MANIFEST_SCHEMA,
    TEMPLATE_PACKAGE_KIND, TemplateRequest,
};

use crate::error::{CliError, Problem, Result};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A publish request (`POST /publications`).
    Request,
    /// An exported `.anip-package.json` bundle (published as the request it holds).
    Bundle,
    /// A starter template request (`POST /templates`).
    Template,
}

impl Kind {
    /// `publish request`, `bundle` or `template request`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Request => "publish request",
            Kind::Bundle => "bundle",
            Kind::Template => "template request",
        }
    }

    /// `package` or `template`: what the registry stores.
    pub fn artifact(self) -> &'static str {
        match self {
            Kind::Request | Kind::Bundle => "package",
            Kind::Template => "template",
        }
    }
}

/// The digests a registry would record (what an identical re-publish must match).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digests(pub Vec<(&'static str, String)>);

/// A checked file.
#[derive(Debug, Clone)]
pub struct Checked {
    /// What it holds.
    pub kind: Kind,
    /// The id (empty when it could not be read).
    pub id: String,
    /// The version (empty when it could not be read).
    pub version: String,
    /// Every broken rule, with its JSON path (empty: the registry would accept it).
    pub problems: Vec<Problem>,
    /// The body to send (pretty JSON), when the file could be read as its kind.
    pub body: Option<Vec<u8>>,
    /// What the registry would record, when every rule holds.
    pub digests: Digests,
}

impl Checked {
    /// Whether every rule holds.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// `id@version`, or the file's kind when they are unknown.
    pub fn name(&self) -> String {
        if self.id.is_empty() {
            format!("the {}", self.kind.artifact())
        } else {
            format!("{}@{}", self.id, self.version)
        }
    }

    /// The exit-2 error listing every problem.
    pub fn refusal(&self, file: &str) -> CliError {
        CliError::check_failed(
            "invalid_package",
            format!(
                "{file}: {} breaks {} publish rule(s); a registry would refuse it",
                self.name(),
                self.problems.len()
            ),
            self.problems.clone(),
        )
    }
}

fn format_problem(e: &FormatError) -> Problem {
    Problem {
        code: e.kind.code().to_owned(),
        path: e
            .at
            .trim_start_matches("$.")
            .trim_start_matches('$')
            .to_owned(),
        message: e.message.clone(),
    }
}

/// The kind of `value`: a bundle has `bundle_schema_version`; a template request or downloaded template package
/// has a `template` object, a template manifest or the template `package_kind`.
pub fn detect(value: &Value) -> Kind {
    let is_str = |v: Option<&Value>, s: &str| v.and_then(Value::as_str) == Some(s);
    if value.get("bundle_schema_version").is_some() {
        Kind::Bundle
    } else if value.get("template").is_some_and(Value::is_object)
        || is_str(value.pointer("/manifest/schema"), TEMPLATE_MANIFEST_SCHEMA)
        || is_str(value.get("package_kind"), TEMPLATE_PACKAGE_KIND)
    {
        Kind::Template
    } else {
        Kind::Request
    }
}

/// Reads `path` and runs every publish-time rule of its kind (`template` forces the template rules). An unreadable
/// file is an error (exit 1); a file that breaks rules is a [`Checked`] with problems.
pub fn check_file(path: &str, template: bool) -> Result<Checked> {
    let bytes =
        std::fs::read(path).map_err(|e| CliError::CouldNotRun(format!("reading {path}: {e}")))?;
    Ok(check_bytes(&bytes, template))
}

/// [`check_file`] on bytes.
pub fn check_bytes(bytes: &[u8], template: bool) -> Checked {
    let value = match verifier::json::parse_strict(bytes) {
        Ok(value) => value,
        Err(e) => {
            return Checked {
                kind: if template {
                    Kind::Template
                } else {
                    Kind::Request
                },
                id: String::new(),
                version: String::new(),
                problems: vec![format_problem(&e)],
                body: None,
                digests: Digests::default(),
            };
        }
    };
    let kind = if template {
        Kind::Template
    } else {
        detect(&value)
    };
    match kind {
        Kind::Template => check_template(value),
        Kind::Request | Kind::Bundle => check_package(value, kind),
    }
}

fn failed(kind: Kind, id: &str, version: &str, problems: Vec<Problem>) -> Checked {
    with_body(kind, id, version, problems, None)
}

fn with_body(
    kind: Kind,
    id: &str,
    version: &str,
    problems: Vec<Problem>,
    body: Option<Vec<u8>>,
) -> Checked {
    Checked {
        kind,
        id: id.to_owned(),
        version: version.to_owned(),
        problems,
        body,
        digests: Digests::default(),
    }
}

fn text_at<'a>(value: &'a Value, pointers: &[&str]) -> &'a str {
    pointers
        .iter()
        .find_map(|p| value.pointer(p).and_then(Value::as_str))
        .unwrap_or("")
}

fn check_package(value: Value, kind: Kind) -> Checked {
    let id = text_at(&value, &["/package_id", "/package/package_id"]).to_owned();
    let version = text_at(&value, &["/package_version", "/package/package_version"]).to_owned();
    let request = if kind == Kind::Bundle {
        Bundle::from_value(value).and_then(|b| b.to_publish_request())
    } else {
        PublishRequest::from_value(value)
    };
    let request = match request {
        Ok(request) => request,
        Err(e) => return failed(kind, &id, &version, vec![format_problem(&e)]),
    };
    let (id, version) = (request.package_id.clone(), request.package_version.clone());
    let mut body = serde_json::to_vec_pretty(&request).unwrap_or_default();
    let mut problems = Vec::new();
    if body.len() > MAX_PUBLISH_BODY_BYTES {
        problems.push(Problem {
            code: "payload_too_large".to_owned(),
            path: String::new(),
            message: format!(
                "the request is {} bytes; a registry reads at most {MAX_PUBLISH_BODY_BYTES}",
                body.len()
            ),
        });
    }
    let normalised = verifier::publish::normalise(request);
    if let Err(rejection) = verifier::validate::validate_package(&normalised) {
        problems.extend(rejection.problems.iter().map(Problem::from));
    }
    body.push(b'\n');
    if !problems.is_empty() {
        return with_body(kind, &id, &version, problems, Some(body));
    }
    let stamped = verifier::publish::stamp(normalised);
    Checked {
        kind,
        id,
        version,
        problems,
        body: Some(body),
        digests: Digests(vec![
            ("definition_digest", stamped.definition_digest),
            ("manifest_digest", stamped.manifest_digest),
            ("lock_digest", stamped.lock_digest),
            (
                "package_execution_signature",
                stamped.package_execution_signature,
            ),
        ]),
    }
}

fn check_template(value: Value) -> Checked {
    let kind = Kind::Template;
    let id = text_at(&value, &["/template_id", "/manifest/template_id"]).to_owned();
    let version = text_at(&value, &["/template_version", "/manifest/package_version"]).to_owned();
    let request = match TemplateRequest::from_value(value) {
        Ok(request) => request,
        Err(e) => return failed(kind, &id, &version, vec![format_problem(&e)]),
    };
    let mut body = serde_json::to_vec_pretty(&request).unwrap_or_default();
    let mut problems = Vec::new();
    if body.len() > MAX_TEMPLATE_BODY_BYTES {
        problems.push(Problem {
            code: "payload_too_large".to_owned(),
            path: String::new(),
            message: format!(
                "the request is {} bytes; a registry reads at most {MAX_TEMPLATE_BODY_BYTES}",
                body.len()
            ),
        });
    }
    body.push(b'\n');
    match verifier::validate::prepare_template(request) {
        Ok(prepared) if problems.is_empty() => Checked {
            kind,
            id: prepared.template_id,
            version: prepared.template_version,
            problems,
            body: Some(body),
            digests: Digests(vec![
                ("manifest_digest", prepared.manifest_digest),
                ("template_digest", prepared.template_digest),
                ("package_digest", prepared.package_digest),
            ]),
        },
        Ok(_) => with_body(kind, &id, &version, problems, Some(body)),
        Err(rejection) => {
            problems.extend(rejection.problems.iter().map(Problem::from));
            with_body(kind, &id, &version, problems, Some(body))
        }
    }
}

/// Runs `registry check FILE`: exit 0 when every rule holds, 2 when one breaks.
pub fn run(file: &str, template: bool, format: crate::output::Format) -> Result<()> {
    let checked = check_file(file, template)?;
    if format == crate::output::Format::Json {
        let problems: Vec<_> = checked.problems.clone();
        crate::output::print_json(&serde_json::json!({
            "file": file, "kind": checked.kind, "id": checked.id, "version": checked.version,
            "status": if checked.ok() { "ok" } else { "failed" }, "problems": problems,
        }));
    } else if checked.ok() {
        crate::outln!(
            "{file}: {} ({}) passes every publish-time rule",
            crate::output::safe(&checked.name()),
            checked.kind.name()
        );
    }
    if checked.ok() {
        Ok(())
    } else {
        Err(checked.refusal(file))
    }
}

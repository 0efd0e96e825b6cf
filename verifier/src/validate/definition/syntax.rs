//! The character-level grammars of a service definition, written as byte checks rather than regular expressions:
//! identifiers, service and capability ids, operation names, input types, path templates, mapping paths and
//! "safe text".

use serde_json::Value;

use crate::record::Object;

/// Longest safe text, bytes.
pub(super) const MAX_SAFE_TEXT_BYTES: usize = 8192;
/// Longest path template, characters.
pub(super) const MAX_PATH_TEMPLATE_CHARS: usize = 256;
/// Longest operation name (`^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$`), bytes.
const MAX_OPERATION_NAME_BYTES: usize = 128;

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `^[A-Za-z_][A-Za-z0-9_]*$`: input names, semantic types, step ids, path-template variables.
pub(super) fn is_identifier(s: &str) -> bool {
    match s.as_bytes().split_first() {
        Some((first, rest)) => is_ident_start(*first) && rest.iter().all(|b| is_ident_continue(*b)),
        None => false,
    }
}

/// `^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$`: topology service ids.
pub(super) fn is_service_id(s: &str) -> bool {
    if !s.as_bytes().first().is_some_and(u8::is_ascii_lowercase) {
        return false;
    }
    let mut after_separator = false;
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'0'..=b'9' => after_separator = false,
            b'-' | b'_' if !after_separator => after_separator = true,
            _ => return false,
        }
    }
    !after_separator
}

/// `^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$`: capability ids, which need at least one dot.
pub(super) fn is_capability_id(s: &str) -> bool {
    let mut parts = 0usize;
    for part in s.split('.') {
        let valid = match part.as_bytes().split_first() {
            Some((first, rest)) => {
                first.is_ascii_lowercase()
                    && rest
                        .iter()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
            }
            None => false,
        };
        if !valid {
            return false;
        }
        parts += 1;
    }
    parts >= 2
}

/// `^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$`: backend operations, output shapes, catalog refs, connection refs and raw
/// operation refs.
pub(super) fn is_operation_name(s: &str) -> bool {
    s.len() <= MAX_OPERATION_NAME_BYTES
        && match s.as_bytes().split_first() {
            Some((first, rest)) => {
                is_ident_start(*first)
                    && rest.iter().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-')
                    })
            }
            None => false,
        }
}

/// `[A-Za-z][A-Za-z0-9_]*`: one type name.
fn is_type_name(s: &str) -> bool {
    match s.as_bytes().split_first() {
        Some((first, rest)) => {
            first.is_ascii_alphabetic() && rest.iter().all(|b| is_ident_continue(*b))
        }
        None => false,
    }
}

/// `^T(<T(,T)*>)?$` with `T = [A-Za-z][A-Za-z0-9_]*`: `string`, `array<string>`, `map<string,integer>`. No spaces,
/// no nesting.
pub(super) fn is_input_type(s: &str) -> bool {
    match s.split_once('<') {
        None => is_type_name(s),
        Some((head, rest)) => match rest.strip_suffix('>') {
            Some(parameters) => is_type_name(head) && parameters.split(',').all(is_type_name),
            None => false,
        },
    }
}

/// Why `s` is not safe text (non-blank, at most 8192 bytes, no control characters but TAB, LF and CR), if it is not.
pub(super) fn safe_text_problem(s: &str) -> Option<&'static str> {
    if s.len() > MAX_SAFE_TEXT_BYTES {
        Some("is longer than 8192 bytes")
    } else if s.trim().is_empty() {
        Some("must not be blank")
    } else if s
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        Some("contains a control character")
    } else {
        None
    }
}

/// Why `template` is not a valid path template, if it is not: at most 256 characters, starting with `/`, without
/// `\`, `..` or `//`, safe text, and every segment either `[A-Za-z0-9._-]+` or `{identifier}`.
///
/// Judgement call: empty segments are skipped, so `/` alone and a trailing `/` are accepted (`//` never is).
pub(super) fn path_template_problem(template: &str) -> Option<&'static str> {
    if template.len() > 4 * MAX_PATH_TEMPLATE_CHARS
        || template.chars().count() > MAX_PATH_TEMPLATE_CHARS
    {
        return Some("is longer than 256 characters");
    }
    let Some(rest) = template.strip_prefix('/') else {
        return Some("must start with '/'");
    };
    if template.contains('\\') || template.contains("..") || template.contains("//") {
        return Some("must not contain '\\', '..' or '//'");
    }
    if let Some(why) = safe_text_problem(template) {
        return Some(why);
    }
    for segment in rest.split('/').filter(|s| !s.is_empty()) {
        let valid = match segment.strip_prefix('{') {
            Some(variable) => variable.strip_suffix('}').is_some_and(is_identifier),
            None => segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')),
        };
        if !valid {
            return Some("has a segment that is neither [A-Za-z0-9._-]+ nor {identifier}");
        }
    }
    None
}

/// Where a composition mapping value reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source<'a> {
    /// `$.input.<field>(.<field>)*`: the parent's input.
    Input,
    /// `$.steps.<id>.output.<field>(.<field>)*`: a step's output.
    Step(&'a str),
}

/// Parses a mapping JSONPath. Judgement call: at least one field after `$.input` and after `.output`, as in the
/// reference's examples; every field is an identifier (no indices, no wildcards).
pub(super) fn parse_mapping_path(path: &str) -> Option<Source<'_>> {
    let mut parts = path.strip_prefix("$.")?.split('.');
    let source = match parts.next()? {
        "input" => Source::Input,
        "steps" => {
            let id = parts.next().filter(|id| is_identifier(id))?;
            if parts.next()? != "output" {
                return None;
            }
            Source::Step(id)
        }
        _ => return None,
    };
    let mut fields = 0usize;
    for field in parts {
        if !is_identifier(field) {
            return None;
        }
        fields += 1;
    }
    (fields > 0).then_some(source)
}

/// An optional string member as Go's decoder sees it: absent, `null` and `""` all mean "not set".
#[derive(Debug, Clone, Copy)]
pub(super) enum Optional<'a> {
    /// Absent, `null` or empty.
    Unset,
    /// A non-empty string.
    Set(&'a str),
    /// Something other than a string.
    NotText,
}

/// Reads `key` of `object` as an [`Optional`] string.
pub(super) fn optional_str<'a>(object: &'a Object, key: &str) -> Optional<'a> {
    match object.get(key) {
        None | Some(Value::Null) => Optional::Unset,
        Some(Value::String(s)) if s.is_empty() => Optional::Unset,
        Some(Value::String(s)) => Optional::Set(s),
        Some(_) => Optional::NotText,
    }
}

/// `s` quoted for a message, cut to 64 characters so hostile values cannot swell the report.
pub(super) fn shown(s: &str) -> String {
    const MAX_CHARS: usize = 64;
    match s.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{:?}…", &s[..cut]),
        None => format!("{s:?}"),
    }
}

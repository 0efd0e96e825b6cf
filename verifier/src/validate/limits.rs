//! Generic limits: document sizes, depth, keys, control characters, example and attachment budgets, binary data.
//!
//! Sizes are measured on the digest encoding (what is stored and hashed), not on Go's HTML-escaped re-encoding,
//! which inflated `<`, `>` and `&` six-fold (reference §13.4 item 30).

use serde_json::Value;

use super::Problems;
use crate::canonical::{Encoding, write_map};
use crate::json::push_key;
use crate::record::Object;

/// Largest manifest (digest encoding), bytes.
pub(crate) const MAX_MANIFEST_BYTES: usize = 1 << 20;
/// Largest service definition, bytes.
pub(crate) const MAX_DEFINITION_BYTES: usize = 2 << 20;
/// Largest recommended lock, bytes.
pub(crate) const MAX_LOCK_BYTES: usize = 512 << 10;
/// Deepest value: the document itself is depth 0.
pub(crate) const MAX_DEPTH: usize = 48;
/// Longest object key, bytes.
pub(crate) const MAX_KEY_BYTES: usize = 160;
/// Budget for strings under a path mentioning `example`, bytes per document.
pub(crate) const MAX_EXAMPLE_BYTES: usize = 256 << 10;
/// Budget for strings under a path mentioning `attachment` or `artifact`, bytes per document.
pub(crate) const MAX_ATTACHMENT_BYTES: usize = 512 << 10;
/// Strings at least this long under a binary-sounding path are checked for base64 content.
const BINARY_MIN_BYTES: usize = 4096;

/// Checks the size of `document`'s digest encoding against `max`.
pub(crate) fn check_document_size(
    label: &str,
    document: &Object,
    max: usize,
    problems: &mut Problems,
) {
    let mut encoded = Vec::with_capacity(max.min(1 << 20));
    write_map(&mut encoded, document, Encoding::Digest);
    let size = encoded.len();
    if size > max {
        problems.push(
            "document_too_large",
            label,
            format!("{label} is {size} bytes; the limit is {max} bytes"),
        );
    }
}

/// Walks `document`: depth, keys, control characters, example and attachment budgets, binary payloads.
pub(crate) fn check_document(label: &str, document: &Object, problems: &mut Problems) {
    let mut walk = Walk {
        path: label.to_owned(),
        problems,
        example_bytes: 0,
        attachment_bytes: 0,
        in_example: 0,
        in_attachment: 0,
        in_binary_place: 0,
        too_deep_reported: false,
        examples_reported: false,
        attachments_reported: false,
    };
    walk.object(document, 0);
}

struct Walk<'a> {
    path: String,
    problems: &'a mut Problems,
    example_bytes: usize,
    attachment_bytes: usize,
    /// How many keys on the current path mention `example` (and so on below).
    in_example: usize,
    in_attachment: usize,
    in_binary_place: usize,
    too_deep_reported: bool,
    examples_reported: bool,
    attachments_reported: bool,
}

/// Which budgets a key puts its subtree under.
#[derive(Clone, Copy)]
struct KeyFlags {
    example: bool,
    attachment: bool,
    binary_place: bool,
}

fn key_flags(key: &str) -> KeyFlags {
    let lower = key.to_ascii_lowercase();
    KeyFlags {
        example: lower.contains("example"),
        attachment: lower.contains("attachment") || lower.contains("artifact"),
        binary_place: ["attachment", "payload", "blob", "binary", "content", "file"]
            .iter()
            .any(|w| lower.contains(w)),
    }
}

impl Walk<'_> {
    fn value(&mut self, value: &Value, depth: usize) {
        if depth > MAX_DEPTH {
            if !self.too_deep_reported {
                self.too_deep_reported = true;
                self.problems.push(
                    "too_deep",
                    self.path.clone(),
                    format!("values may nest at most {MAX_DEPTH} levels deep"),
                );
            }
            return;
        }
        match value {
            Value::Object(object) => self.object(object, depth),
            Value::Array(items) => {
                let len = self.path.len();
                for (i, item) in items.iter().enumerate() {
                    if self.problems.is_full() {
                        break;
                    }
                    self.path.push_str(&format!("[{i}]"));
                    self.value(item, depth + 1);
                    self.path.truncate(len);
                }
            }
            Value::String(s) => self.string(s),
            _ => {}
        }
    }

    fn object(&mut self, object: &Object, depth: usize) {
        let len = self.path.len();
        for (key, item) in object {
            if self.problems.is_full() {
                break;
            }
            push_key(&mut self.path, key);
            self.key(key);
            let flags = key_flags(key);
            self.enter(flags, 1);
            self.value(item, depth + 1);
            self.enter(flags, -1);
            self.path.truncate(len);
        }
    }

    fn enter(&mut self, flags: KeyFlags, step: isize) {
        let apply = |counter: &mut usize, on: bool| {
            if on {
                *counter = counter.saturating_add_signed(step);
            }
        };
        apply(&mut self.in_example, flags.example);
        apply(&mut self.in_attachment, flags.attachment);
        apply(&mut self.in_binary_place, flags.binary_place);
    }

    fn key(&mut self, key: &str) {
        if key.is_empty() {
            self.problems.push(
                "invalid_key",
                self.path.clone(),
                "object keys may not be empty",
            );
        } else if key.len() > MAX_KEY_BYTES {
            self.problems.push(
                "invalid_key",
                self.path.clone(),
                format!(
                    "object key is {} bytes; the limit is {MAX_KEY_BYTES}",
                    key.len()
                ),
            );
        } else if key.chars().any(char::is_control) {
            self.problems.push(
                "invalid_key",
                self.path.clone(),
                "object keys may not contain control characters",
            );
        }
    }

    fn string(&mut self, s: &str) {
        if let Some(c) = s
            .chars()
            .find(|&c| (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7f}')
        {
            self.problems.push(
                "control_character",
                self.path.clone(),
                format!(
                    "strings may not contain control character U+{:04X}",
                    u32::from(c)
                ),
            );
        }
        if self.in_example > 0 {
            self.example_bytes += s.len();
            if self.example_bytes > MAX_EXAMPLE_BYTES && !self.examples_reported {
                self.examples_reported = true;
                self.problems.push(
                    "examples_too_large",
                    self.path.clone(),
                    format!("example strings in this document pass {MAX_EXAMPLE_BYTES} bytes"),
                );
            }
        }
        if self.in_attachment > 0 {
            self.attachment_bytes += s.len();
            if self.attachment_bytes > MAX_ATTACHMENT_BYTES && !self.attachments_reported {
                self.attachments_reported = true;
                self.problems.push(
                    "attachments_too_large",
                    self.path.clone(),
                    format!("attachment and artifact strings in this document pass {MAX_ATTACHMENT_BYTES} bytes"),
                );
            }
        }
        if let Some(reason) = binary_reason(s, self.in_binary_place > 0) {
            self.problems
                .push("binary_payload", self.path.clone(), reason);
        }
    }
}

/// Why `s` looks like an embedded binary payload, if it does.
fn binary_reason(s: &str, binary_place: bool) -> Option<String> {
    let trimmed = s.trim();
    let starts_with = |prefix: &str| {
        trimmed
            .as_bytes()
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
    };
    if starts_with("data:application/octet-stream") || starts_with("data:binary") {
        return Some("binary data URIs are not publishable".to_owned());
    }
    if binary_place && trimmed.len() >= BINARY_MIN_BYTES {
        let base64ish = trimmed
            .bytes()
            .filter(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\r' | b'\n')
            })
            .count();
        if base64ish * 100 > trimmed.len() * 95 {
            return Some(format!(
                "a {}-byte string that is almost all base64 looks like an embedded binary payload",
                trimmed.len()
            ));
        }
    }
    None
}

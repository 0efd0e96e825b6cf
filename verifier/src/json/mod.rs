//! The strict JSON reader: one value, no duplicate keys, integers within ±2^53, valid UTF-8, bounded depth.
//!
//! ANIP's registry decodes with Go's `encoding/json`, which silently keeps the last of two duplicate keys, rounds
//! large integers to the nearest double and replaces invalid UTF-8. A document changed that way no longer matches
//! what its publisher wrote, so this reader refuses all three, and says where.

mod reader;

use reader::Reader;
#[cfg(test)]
mod tests;

use serde_json::Value;

use crate::error::{FormatError, FormatKind};

/// The deepest nesting of arrays and objects the reader accepts. ANIP's own limit for documents is 48 levels; this
/// bound only keeps the reader's recursion (and the drop of the value it builds) far from the stack's end.
pub const MAX_NESTING: usize = 128;

/// The largest magnitude an integer literal may have: 2^53, the last integer every double can carry exactly.
pub const MAX_SAFE_INTEGER: i64 = 1 << 53;

/// Parses `input` as exactly one JSON value (surrounding whitespace allowed) under the strict rules.
///
/// Every number becomes what Go's decoder would make of it: integer literals within ±2^53 are kept as integers
/// (they are exact doubles), everything else becomes an `f64`; `-0` stays a negative zero.
pub fn parse_strict(input: &[u8]) -> Result<Value, FormatError> {
    let text = std::str::from_utf8(input).map_err(|e| {
        FormatError::new(
            FormatKind::InvalidUtf8,
            format!("byte {}", e.valid_up_to()),
            "input is not valid UTF-8",
        )
    })?;
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    let value = reader.value().map_err(Failure::into_error)?;
    reader.skip_ws();
    if reader.pos < reader.bytes.len() {
        return Err(FormatError::new(
            FormatKind::TrailingData,
            format!("byte {}", reader.pos),
            "unexpected data after the JSON value",
        ));
    }
    Ok(value)
}

/// One step of a JSON path, collected while an error unwinds.
#[derive(Debug)]
pub(super) enum Segment {
    Key(String),
    Index(usize),
}

/// An error on its way out of the recursion, gathering the path to where it happened.
#[derive(Debug)]
pub(super) struct Failure {
    kind: FormatKind,
    message: String,
    offset: usize,
    path: Vec<Segment>,
}

impl Failure {
    fn into_error(self) -> FormatError {
        let mut at = String::new();
        for segment in self.path.iter().rev() {
            match segment {
                Segment::Key(key) => push_key(&mut at, key),
                Segment::Index(i) => at.push_str(&format!("[{i}]")),
            }
        }
        if at.is_empty() {
            at.push('$');
        }
        FormatError::new(
            self.kind,
            at,
            format!("{} (at byte {})", self.message, self.offset),
        )
    }

    fn within(mut self, segment: Segment) -> Self {
        self.path.push(segment);
        self
    }
}

/// Appends `key` to a JSON path: `a.b` for plain keys, `a["odd key"]` otherwise.
pub(crate) fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&Value::String(key.to_owned()).to_string());
        path.push(']');
    }
}

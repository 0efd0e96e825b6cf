//! The strict JSON reader: one value, no duplicate keys, integers within ±2^53, valid UTF-8, bounded depth.
//!
//! ANIP's registry decodes with Go's `encoding/json`, which silently keeps the last of two duplicate keys, rounds
//! large integers to the nearest double and replaces invalid UTF-8. A document changed that way no longer matches
//! what its publisher wrote, so this reader refuses all three, and says where.

use serde_json::{Map, Number, Value};

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
enum Segment {
    Key(String),
    Index(usize),
}

/// An error on its way out of the recursion, gathering the path to where it happened.
#[derive(Debug)]
struct Failure {
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

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

type Step<T> = Result<T, Failure>;

impl Reader<'_> {
    fn fail(&self, kind: FormatKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
            offset: self.pos,
            path: Vec::new(),
        }
    }

    fn syntax(&self, expected: &str) -> Failure {
        let found = match self.bytes.get(self.pos) {
            None => "end of input".to_owned(),
            Some(b) if b.is_ascii_graphic() => format!("'{}'", *b as char),
            Some(b) => format!("byte 0x{b:02x}"),
        };
        self.fail(
            FormatKind::Json,
            format!("expected {expected}, found {found}"),
        )
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Step<Value> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.syntax("a JSON value")),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Step<Value> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.syntax(word))
        }
    }

    fn enter(&mut self) -> Step<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.fail(
                FormatKind::TooDeep,
                format!("arrays and objects nest deeper than {MAX_NESTING} levels"),
            ));
        }
        self.pos += 1;
        Ok(())
    }

    fn object(&mut self) -> Step<Value> {
        self.enter()?;
        let mut map = Map::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Object(map));
        }
        loop {
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.syntax("a string key"));
            }
            let key_start = self.pos;
            let key = self.string()?;
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.syntax("':'"));
            }
            self.pos += 1;
            if map.contains_key(&key) {
                let mut failure = self.fail(
                    FormatKind::DuplicateKey,
                    format!("duplicate object key {}", Value::String(key.clone())),
                );
                failure.offset = key_start;
                return Err(failure.within(Segment::Key(key)));
            }
            let value = match self.value() {
                Ok(value) => value,
                Err(failure) => return Err(failure.within(Segment::Key(key))),
            };
            map.insert(key, value);
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Value::Object(map));
                }
                _ => return Err(self.syntax("',' or '}'")),
            }
        }
    }

    fn array(&mut self) -> Step<Value> {
        self.enter()?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Array(items));
        }
        loop {
            match self.value() {
                Ok(value) => items.push(value),
                Err(failure) => return Err(failure.within(Segment::Index(items.len()))),
            }
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.syntax("',' or ']'")),
            }
        }
    }

    /// Reads a string starting at the opening quote.
    fn string(&mut self) -> Step<String> {
        self.pos += 1;
        let start = self.pos;
        // Fast path: no escapes.
        loop {
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    let s = self.text[start..self.pos].to_owned();
                    self.pos += 1;
                    return Ok(s);
                }
                Some(b'\\') => break,
                Some(&b) if b < 0x20 => {
                    return Err(self.fail(
                        FormatKind::Json,
                        format!("unescaped control character 0x{b:02x} in string"),
                    ));
                }
                Some(_) => self.pos += 1,
                None => return Err(self.syntax("'\"' to close the string")),
            }
        }
        let mut out = String::with_capacity(self.pos - start + 16);
        out.push_str(&self.text[start..self.pos]);
        let mut run = self.pos;
        loop {
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    out.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(&self.text[run..self.pos]);
                    self.escape(&mut out)?;
                    run = self.pos;
                }
                Some(&b) if b < 0x20 => {
                    return Err(self.fail(
                        FormatKind::Json,
                        format!("unescaped control character 0x{b:02x} in string"),
                    ));
                }
                Some(_) => self.pos += 1,
                None => return Err(self.syntax("'\"' to close the string")),
            }
        }
    }

    /// Decodes one escape sequence starting at the backslash.
    fn escape(&mut self, out: &mut String) -> Step<()> {
        self.pos += 1;
        let c = match self.bytes.get(self.pos) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let unit = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&unit) {
                    if self.bytes.get(self.pos) == Some(&b'\\')
                        && self.bytes.get(self.pos + 1) == Some(&b'u')
                    {
                        self.pos += 2;
                        let low = self.hex4()?;
                        if !(0xDC00..0xE000).contains(&low) {
                            return Err(self.lone_surrogate());
                        }
                        0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        return Err(self.lone_surrogate());
                    }
                } else if (0xDC00..0xE000).contains(&unit) {
                    return Err(self.lone_surrogate());
                } else {
                    unit
                };
                out.push(char::from_u32(code).ok_or_else(|| self.lone_surrogate())?);
                return Ok(());
            }
            _ => return Err(self.syntax("a valid escape character after '\\'")),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn lone_surrogate(&self) -> Failure {
        self.fail(
            FormatKind::InvalidUtf8,
            "\\u escape encodes a lone UTF-16 surrogate, which is not a Unicode character",
        )
    }

    fn hex4(&mut self) -> Step<u32> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.syntax("four hex digits"))?;
        let mut value = 0u32;
        for &d in digits {
            let nibble = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.syntax("four hex digits"))?;
            value = value * 16 + nibble;
        }
        self.pos += 4;
        Ok(value)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Step<Value> {
        let start = self.pos;
        let negative = self.bytes[self.pos] == b'-';
        if negative {
            self.pos += 1;
        }
        match self.bytes.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.syntax("a digit")),
        }
        let mut integer = true;
        if self.bytes.get(self.pos) == Some(&b'.') {
            integer = false;
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.syntax("a digit after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            integer = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.syntax("a digit in the exponent"));
            }
        }
        let literal = &self.text[start..self.pos];
        if integer {
            let magnitude = literal.trim_start_matches('-');
            // Without leading zeros, 17 or more digits is at least 10^16 > 2^53.
            let value = if magnitude.len() <= 16 {
                literal.parse::<i64>().ok()
            } else {
                None
            };
            return match value {
                Some(0) if negative => Ok(Value::from(-0.0f64)),
                Some(n) if n.abs() <= MAX_SAFE_INTEGER => Ok(Value::from(n)),
                // Beyond 2^53 only the canonical text of a double is accepted (what the registry itself writes for
                // a number such as 1e20): any other integer would be silently changed.
                _ if is_canonical_double(literal) => literal
                    .parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| self.fail(FormatKind::NumberOutOfRange, "number is not finite")),
                _ => Err(Failure {
                    kind: FormatKind::NumberOutOfRange,
                    message: format!(
                        "integer {literal} is beyond ±2^53 and would be rounded by every ANIP client"
                    ),
                    offset: start,
                    path: Vec::new(),
                }),
            };
        }
        match literal.parse::<f64>() {
            Ok(x) if x.is_finite() => Number::from_f64(x)
                .map(Value::Number)
                .ok_or_else(|| self.fail(FormatKind::NumberOutOfRange, "number is not finite")),
            _ => Err(Failure {
                kind: FormatKind::NumberOutOfRange,
                message: format!("number {literal} does not fit in a 64-bit float"),
                offset: start,
                path: Vec::new(),
            }),
        }
    }
}

/// Whether an integer literal is exactly how the canonical encoding writes the double it denotes.
fn is_canonical_double(literal: &str) -> bool {
    match literal.parse::<f64>() {
        Ok(x) if x.is_finite() => {
            let mut text = Vec::with_capacity(literal.len());
            crate::canonical::write_f64(&mut text, x);
            text == literal.as_bytes()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(input: &str) -> FormatError {
        parse_strict(input.as_bytes()).unwrap_err()
    }

    #[test]
    fn reads_ordinary_documents() {
        let v = parse_strict(br#" {"a": [1, -2.5, true, null, "x\u00e9\n"], "b": {}} "#).unwrap();
        assert_eq!(v["a"][0], Value::from(1));
        assert_eq!(v["a"][1], Value::from(-2.5));
        assert_eq!(v["a"][4], Value::from("xé\n"));
    }

    #[test]
    fn duplicate_key_names_its_path() {
        let e = err(r#"{"manifest": {"lineage": {"a": 1, "a": 2}}}"#);
        assert_eq!(e.kind, FormatKind::DuplicateKey);
        assert_eq!(e.at, "manifest.lineage.a");
    }

    #[test]
    fn integers_beyond_2_53_are_refused_with_path() {
        let e = err(r#"{"x": [0, 9007199254740993]}"#);
        assert_eq!(e.kind, FormatKind::NumberOutOfRange);
        assert_eq!(e.at, "x[1]");
        assert!(parse_strict(b"9007199254740992").is_ok());
        assert!(parse_strict(b"-9007199254740992").is_ok());
        assert_eq!(err("-9007199254740993").kind, FormatKind::NumberOutOfRange);
        assert_eq!(
            err("1152921504606846976").kind,
            FormatKind::NumberOutOfRange
        );
        // The canonical text of a large double reads back as that double.
        assert_eq!(
            parse_strict(b"100000000000000000000").unwrap(),
            Value::from(1e20)
        );
        assert_eq!(
            parse_strict(b"1152921504606847000").unwrap(),
            Value::from(1152921504606846976.0)
        );
        assert_eq!(err("1e400").kind, FormatKind::NumberOutOfRange);
        // Floats are doubles by nature and stay accepted.
        assert!(parse_strict(b"1e300").is_ok());
    }

    #[test]
    fn negative_zero_survives() {
        let v = parse_strict(b"-0").unwrap();
        assert!(v.as_f64().unwrap().is_sign_negative());
    }

    #[test]
    fn refuses_bad_text() {
        assert_eq!(err(r#""\ud800""#).kind, FormatKind::InvalidUtf8);
        assert_eq!(err(r#""\udc00\ud800""#).kind, FormatKind::InvalidUtf8);
        assert_eq!(
            parse_strict(b"\"\xff\"").unwrap_err().kind,
            FormatKind::InvalidUtf8
        );
        assert_eq!(err("{} x").kind, FormatKind::TrailingData);
        assert_eq!(err("{\"a\":1,}").kind, FormatKind::Json);
        assert_eq!(err("[01]").kind, FormatKind::Json);
        assert_eq!(err("\"a\u{1}\"").kind, FormatKind::Json);
        assert_eq!(err("").kind, FormatKind::Json);
        assert_eq!(err("\u{feff}{}").kind, FormatKind::Json);
    }

    #[test]
    fn surrogate_pairs_decode() {
        assert_eq!(
            parse_strict(br#""\ud83d\ude00""#).unwrap(),
            Value::from("😀")
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(err(&deep).kind, FormatKind::TooDeep);
        let ok = "[".repeat(MAX_NESTING) + &"]".repeat(MAX_NESTING);
        assert!(parse_strict(ok.as_bytes()).is_ok());
    }
}

//! The recursive reader behind [`super::parse_strict`]: one pass over the bytes, errors carrying their JSON path.

use serde_json::{Map, Number, Value};

use super::{Failure, MAX_NESTING, MAX_SAFE_INTEGER, Segment};
use crate::error::FormatKind;

pub(super) struct Reader<'a> {
    pub(super) text: &'a str,
    pub(super) bytes: &'a [u8],
    pub(super) pos: usize,
    pub(super) depth: usize,
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

    pub(super) fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    pub(super) fn value(&mut self) -> Step<Value> {
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

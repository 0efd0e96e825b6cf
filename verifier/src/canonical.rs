//! The two canonical encodings of reference §2.7 (digest and signing) and `sha256:` digests over them.
//!
//! Both are what Go's `encoding/json` writes for a value decoded into `map[string]any`: compact, object keys sorted
//! by their UTF-8 bytes, Go's string escaping (U+2028 and U+2029 always escaped) and numbers as IEEE-754 doubles in
//! shortest round-trip form. The signing encoding additionally escapes `<`, `>` and `&`.

use std::io::Write as _;

use serde_json::{Map, Number, Value};
use sha2::{Digest as _, Sha256};

/// Which of the two encodings to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// For every digest: `<`, `>` and `&` are written as they are.
    Digest,
    /// For receipt signatures only: `<`, `>` and `&` are written as `\u003c`, `\u003e` and `\u0026`.
    Signing,
}

/// The prefix of every digest string.
pub const SHA256_PREFIX: &str = "sha256:";

/// The digest encoding of `value`.
pub fn digest_bytes(value: &Value) -> Vec<u8> {
    encode(value, Encoding::Digest)
}

/// The signing encoding of `value` (the bytes a receipt signature covers).
pub fn signing_bytes(value: &Value) -> Vec<u8> {
    encode(value, Encoding::Signing)
}

/// `value` in the given encoding.
pub fn encode(value: &Value, encoding: Encoding) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, value, encoding);
    out
}

/// `sha256:` + lowercase hex of the SHA-256 of the digest encoding of `value`.
pub fn digest(value: &Value) -> String {
    sha256_hex(&digest_bytes(value))
}

/// `sha256:` + lowercase hex of the SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(SHA256_PREFIX.len() + 64);
    out.push_str(SHA256_PREFIX);
    out.push_str(&hex::encode(Sha256::digest(bytes)));
    out
}

/// Whether `s` is a well-formed digest string: `sha256:` and 64 lowercase hex digits.
pub fn is_sha256_digest(s: &str) -> bool {
    s.strip_prefix(SHA256_PREFIX).is_some_and(|hex| {
        hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `value` in `encoding` to `out`.
pub fn write_value(out: &mut Vec<u8>, value: &Value, encoding: Encoding) {
    write_inner(out, value, encoding, None);
}

/// Appends `value` in `encoding` to `out`, leaving out every object member named `skip_key`, at any depth.
pub fn write_value_skipping(out: &mut Vec<u8>, value: &Value, encoding: Encoding, skip_key: &str) {
    write_inner(out, value, encoding, Some(skip_key));
}

/// Appends the object `map` in `encoding` without needing it wrapped in a `Value`.
pub fn write_map(out: &mut Vec<u8>, map: &Map<String, Value>, encoding: Encoding) {
    write_object(out, map, encoding, None);
}

/// Appends the object `map` like [`write_value_skipping`], without needing it wrapped in a `Value`.
pub fn write_object_skipping(
    out: &mut Vec<u8>,
    map: &Map<String, Value>,
    encoding: Encoding,
    skip_key: &str,
) {
    write_object(out, map, encoding, Some(skip_key));
}

fn write_inner(out: &mut Vec<u8>, value: &Value, encoding: Encoding, skip: Option<&str>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s, encoding),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_inner(out, item, encoding, skip);
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(out, map, encoding, skip),
    }
}

fn write_object(
    out: &mut Vec<u8>,
    map: &Map<String, Value>,
    encoding: Encoding,
    skip: Option<&str>,
) {
    let mut entries: Vec<(&String, &Value)> = map
        .iter()
        .filter(|(key, _)| Some(key.as_str()) != skip)
        .collect();
    // serde_json's default map is already in byte order; sort anyway so an enabled `preserve_order` feature
    // elsewhere in a build can never change a digest.
    if !entries.is_sorted_by(|a, b| a.0.as_bytes() <= b.0.as_bytes()) {
        entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    }
    out.push(b'{');
    for (i, (key, item)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(out, key, encoding);
        out.push(b':');
        write_inner(out, item, encoding, skip);
    }
    out.push(b'}');
}

/// How Go writes each ASCII byte inside a string: 0 = as is, otherwise the escape class.
const fn escape_table(html: bool) -> [u8; 128] {
    let mut table = [0u8; 128];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[0x08] = b'b';
    table[0x0c] = b'f';
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[b'\t' as usize] = b't';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    if html {
        table[b'<' as usize] = b'u';
        table[b'>' as usize] = b'u';
        table[b'&' as usize] = b'u';
    }
    table
}

const DIGEST_ESCAPES: [u8; 128] = escape_table(false);
const SIGNING_ESCAPES: [u8; 128] = escape_table(true);

/// Appends the JSON string `s` in `encoding` (quotes included).
pub fn write_string(out: &mut Vec<u8>, s: &str, encoding: Encoding) {
    let table = match encoding {
        Encoding::Digest => &DIGEST_ESCAPES,
        Encoding::Signing => &SIGNING_ESCAPES,
    };
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            let class = table[usize::from(b)];
            if class == 0 {
                i += 1;
                continue;
            }
            out.extend_from_slice(&bytes[start..i]);
            match class {
                b'u' => {
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 0xf)]);
                }
                other => {
                    out.push(b'\\');
                    out.push(other);
                }
            }
            i += 1;
            start = i;
        } else if b == 0xE2
            && bytes.get(i + 1) == Some(&0x80)
            && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9))
        {
            // U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR.
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(if bytes[i + 2] == 0xA8 {
                b"\\u2028"
            } else {
                b"\\u2029"
            });
            i += 3;
            start = i;
        } else {
            i += 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn write_number(out: &mut Vec<u8>, n: &Number) {
    if let Some(i) = n.as_i64()
        && i.unsigned_abs() <= 1 << 53
    {
        // An exact double whose shortest form is its integer digits.
        let _ = write!(out, "{i}");
        return;
    }
    // Everything else is first made a double, as Go's decoder does (large integers round).
    write_f64(out, n.as_f64().unwrap_or(f64::NAN));
}

/// Writes `x` as Go's `encoding/json` does: shortest round-trip digits (ties broken to even, as Go and
/// ECMAScript do), fixed notation for 1e-6 ≤ |x| < 1e21, exponent notation with an explicit sign otherwise.
///
/// ECMAScript's `Number::toString` has exactly these rules, so `ryu-js` writes every double but `-0` (which Go
/// keeps and ECMAScript drops) and non-finite values (which JSON cannot hold).
pub fn write_f64(out: &mut Vec<u8>, x: f64) {
    if x == 0.0 {
        out.extend_from_slice(if x.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    if !x.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    let mut buffer = ryu_js::Buffer::new();
    out.extend_from_slice(buffer.format_finite(x).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn enc(v: &Value) -> String {
        String::from_utf8(digest_bytes(v)).unwrap()
    }

    fn num(x: f64) -> String {
        let mut out = Vec::new();
        write_f64(&mut out, x);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_follow_go() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(0.1), "0.1");
        assert_eq!(num(1e20), "100000000000000000000");
        assert_eq!(num(1e21), "1e+21");
        assert_eq!(num(0.000001), "0.000001");
        assert_eq!(num(1.5e-7), "1.5e-7");
        assert_eq!(num(-1.5e-7), "-1.5e-7");
        assert_eq!(num(-0.0), "-0");
        assert_eq!(num(1.7976931348623157e308), "1.7976931348623157e+308");
        assert_eq!(num(5e-324), "5e-324");
        assert_eq!(num(123456789.125), "123456789.125");
        assert_eq!(enc(&json!(9007199254740993u64)), "9007199254740992");
        // Exact ties between two shortest forms go to the even digit, as in Go.
        assert_eq!(num(0.0625 + 2f64.powi(-18)), "0.06250381469726562");
        assert_eq!(num(1e10 + 2f64.powi(-7)), "10000000000.007812");
        assert_eq!(num(950556979639267.0 + 0.25), "950556979639267.2");
    }

    #[test]
    fn strings_follow_go() {
        let v = json!("<a&b>\u{2028}\u{2029}\u{7f}\u{1}\u{8}\u{c}\n\r\t\"\\/é");
        assert_eq!(
            enc(&v),
            "\"<a&b>\\u2028\\u2029\u{7f}\\u0001\\b\\f\\n\\r\\t\\\"\\\\/é\""
        );
        assert_eq!(
            String::from_utf8(signing_bytes(&v)).unwrap(),
            "\"\\u003ca\\u0026b\\u003e\\u2028\\u2029\u{7f}\\u0001\\b\\f\\n\\r\\t\\\"\\\\/é\""
        );
    }

    #[test]
    fn keys_sort_by_utf8_bytes() {
        // UTF-16 order would put U+FB01 before U+1F600; UTF-8 byte order puts it after.
        let v = json!({"😀": 1, "\u{fb01}": 2, "b": 3, "B": 4, "a": {"z": null, "y": []}});
        assert_eq!(
            enc(&v),
            "{\"B\":4,\"a\":{\"y\":[],\"z\":null},\"b\":3,\"\u{fb01}\":2,\"😀\":1}"
        );
    }

    #[test]
    fn digest_format() {
        let d = digest(&json!({}));
        assert!(is_sha256_digest(&d), "{d}");
        assert_eq!(
            d,
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert!(!is_sha256_digest("sha256:ABC"));
    }
}

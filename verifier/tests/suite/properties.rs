//! Property tests: the canonical encodings are invariant under re-rendering, idempotent and agree with RFC 8785 (JCS)
//! where Go's encoding and JCS coincide; numbers round-trip; and no parser panics on any input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr as _;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};
use verifier::bundle::Bundle;
use verifier::canonical::{digest, digest_bytes, signing_bytes, write_f64};
use verifier::json::{MAX_NESTING, parse_strict};
use verifier::keys::{KeyId, KeySet, PublicKey, SigningKey};
use verifier::lock::PackageLock;
use verifier::publish::{PublishRequest, prepare};
use verifier::signature::RegistrySignature;

/// 2^53, the largest integer magnitude the strict reader keeps as an integer.
const MAX_SAFE: i64 = 1 << 53;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Never write `proptest-regressions/` files next to the tests; a failure prints its minimal input.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------------------------

/// Characters that stress every escaping rule: HTML-sensitive ASCII, controls, U+2028/U+2029, non-ASCII, astral.
fn rich_char() -> BoxedStrategy<char> {
    prop_oneof![
        4 => proptest::char::range(' ', '~'),
        2 => proptest::char::range('\0', '\u{1f}'),
        2 => prop::sample::select(vec![
            '<', '>', '&', '"', '\\', '/', '\u{7f}', '\u{80}', '\u{a0}', '\u{2028}', '\u{2029}', 'é', 'ß',
            '\u{fb01}', '\u{fffd}', '\u{ffff}', '\u{e000}', '\u{d7ff}', '\u{feff}', '😀', '𝄞', '\u{10000}',
            '\u{10ffff}',
        ]),
        1 => any::<char>(),
    ]
    .boxed()
}

fn string_of(chars: BoxedStrategy<char>, max_len: usize) -> BoxedStrategy<String> {
    prop::collection::vec(chars, 0..=max_len)
        .prop_map(|cs| cs.into_iter().collect())
        .boxed()
}

fn rich_string() -> BoxedStrategy<String> {
    string_of(rich_char(), 12)
}

/// Integers the strict reader keeps as integers: within ±2^53, with the boundaries over-represented.
fn safe_int() -> BoxedStrategy<i64> {
    prop_oneof![
        3 => -1000i64..=1000,
        3 => -MAX_SAFE..=MAX_SAFE,
        1 => prop::sample::select(vec![0, 1, -1, MAX_SAFE, -MAX_SAFE, MAX_SAFE - 1, -(MAX_SAFE - 1)]),
    ]
    .boxed()
}

/// Boundary doubles for the number format.
fn special_f64s() -> Vec<f64> {
    vec![
        0.0,
        -0.0,
        1e-6,
        -1e-6,
        next_down(1e-6),
        next_up(1e-6),
        1e21,
        -1e21,
        next_down(1e21),
        next_up(1e21),
        1e20,
        f64::MIN_POSITIVE,
        5e-324,
        -5e-324,
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        9007199254740992.0,
        9007199254740993.0,
        0.1,
        0.2 + 0.1,
        1.5e-7,
        123456789.125,
        1e300,
        2f64.powi(60),
    ]
}

fn next_up(x: f64) -> f64 {
    f64::from_bits(x.to_bits() + 1)
}

fn next_down(x: f64) -> f64 {
    f64::from_bits(x.to_bits() - 1)
}

/// Every finite double: uniform over bit patterns (all magnitudes), short decimals and the boundaries.
fn finite_f64() -> BoxedStrategy<f64> {
    prop_oneof![
        3 => any::<u64>()
            .prop_map(f64::from_bits)
            .prop_filter("finite", |x| x.is_finite()),
        2 => (-10_000_000i64..10_000_000, 0i32..12).prop_map(|(m, e)| m as f64 / 10f64.powi(e)),
        1 => prop::sample::select(special_f64s()),
    ]
    .boxed()
}

/// Doubles written in fixed notation by both Go and JCS: 1e-6 ≤ |x| < 1e21.
fn fixed_range_f64() -> BoxedStrategy<f64> {
    prop_oneof![
        2 => (1.0f64..10.0, -6i32..=20, any::<bool>()).prop_map(|(m, e, neg)| {
            let x = m * 10f64.powi(e);
            if neg { -x } else { x }
        }),
        2 => (-10_000_000i64..10_000_000, 0i32..7).prop_map(|(m, e)| m as f64 / 10f64.powi(e)),
        1 => prop::sample::select(vec![1e-6, -1e-6, next_up(1e-6), next_down(1e21), 1e20, 0.1, 123456789.125]),
    ]
    .prop_filter("within the fixed-notation range", |x| {
        (1e-6..1e21).contains(&x.abs())
    })
    .boxed()
}

fn float_value(x: f64) -> Value {
    Value::Number(Number::from_f64(x).expect("finite"))
}

/// Leaves of arbitrary JSON: null, booleans, integers within ±2^53, finite doubles and rich strings.
fn any_leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => safe_int().prop_map(Value::from),
        2 => finite_f64().prop_map(float_value),
        4 => rich_string().prop_map(Value::String),
    ]
    .boxed()
}

/// A JSON tree over `leaf`, with object keys from `key`: depth at most 4, a few dozen nodes.
fn json_tree(leaf: BoxedStrategy<Value>, key: BoxedStrategy<String>) -> BoxedStrategy<Value> {
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Arbitrary JSON values with rich strings and keys.
fn any_json() -> BoxedStrategy<Value> {
    json_tree(any_leaf(), string_of(rich_char(), 6))
}

/// Smaller arbitrary JSON, for field values inside generated documents.
fn small_json() -> BoxedStrategy<Value> {
    any_leaf()
        .prop_recursive(2, 12, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((string_of(rich_char(), 4), inner), 0..4)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
        .boxed()
}

/// JSON values on which the Go-compatible digest encoding and RFC 8785 must coincide: no U+2028/U+2029 in strings,
/// ASCII keys (UTF-8 and UTF-16 order agree), numbers integral within ±2^53, in [1e-6, 1e21) or a positive zero.
fn jcs_compatible_json() -> BoxedStrategy<Value> {
    let chars = rich_char()
        .prop_filter("no U+2028/U+2029", |c| {
            !matches!(c, '\u{2028}' | '\u{2029}')
        })
        .boxed();
    let leaf = prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => safe_int().prop_map(Value::from),
        2 => fixed_range_f64().prop_map(float_value),
        1 => Just(float_value(0.0)),
        4 => string_of(chars, 12).prop_map(Value::String),
    ]
    .boxed();
    json_tree(
        leaf,
        string_of(proptest::char::range('\0', '\u{7f}').boxed(), 6),
    )
}

// ---------------------------------------------------------------------------------------------------------------
// A scrambling renderer: same value, different text
// ---------------------------------------------------------------------------------------------------------------

/// A small deterministic generator (xorshift64*) so a proptest seed fixes every rendering choice.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.below(options.len())]
    }
}

fn whitespace(rng: &mut Rng, out: &mut String) {
    out.push_str(rng.pick(&["", "", " ", "  ", "\n", "\t", "\r\n", " \n\t "]));
}

/// Writes `value` as valid JSON that means the same but differs from any canonical form: object members reversed or
/// shuffled, random whitespace between tokens, strings with gratuitous escapes, numbers in other notations.
fn render_scrambled(value: &Value, rng: &mut Rng, out: &mut String) {
    whitespace(rng, out);
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => render_number(n, rng, out),
        Value::String(s) => render_string(s, rng, out),
        Value::Array(items) => {
            out.push('[');
            whitespace(rng, out);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                render_scrambled(item, rng, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            if rng.below(2) == 0 {
                members.reverse();
            } else {
                for i in (1..members.len()).rev() {
                    let j = rng.below(i + 1);
                    members.swap(i, j);
                }
            }
            out.push('{');
            whitespace(rng, out);
            for (i, (key, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                    whitespace(rng, out);
                }
                render_string(key, rng, out);
                whitespace(rng, out);
                out.push(':');
                render_scrambled(item, rng, out);
            }
            out.push('}');
        }
    }
    whitespace(rng, out);
}

fn render_number(n: &Number, rng: &mut Rng, out: &mut String) {
    if let Some(i) = n.as_i64() {
        // An integer may as well be written as a float: the digest encoding sees the same double.
        let text = match rng.below(5) {
            0 => format!("{i}.0"),
            1 => format!("{i}e0"),
            2 => format!("{i}E+00"),
            _ => format!("{i}"),
        };
        out.push_str(&text);
    } else {
        let x = n.as_f64().expect("a finite double");
        // `{:?}` and `{:e}` always include '.' or 'e', so the literal stays a float whatever its magnitude.
        let text = match rng.below(3) {
            0 => format!("{x:e}"),
            1 => format!("{x:E}"),
            _ => format!("{x:?}"),
        };
        out.push_str(&text);
    }
}

fn render_string(s: &str, rng: &mut Rng, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        let must_escape = c == '"' || c == '\\' || c < ' ';
        if !must_escape && rng.below(4) != 0 {
            out.push(c);
            continue;
        }
        let short = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '/' => Some("\\/"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            _ => None,
        };
        match short {
            Some(escape) if rng.below(2) == 0 => out.push_str(escape),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    if rng.below(2) == 0 {
                        out.push_str(&format!("\\u{unit:04x}"));
                    } else {
                        out.push_str(&format!("\\u{unit:04X}"));
                    }
                }
            }
        }
    }
    out.push('"');
}

fn scrambled(value: &Value, seed: u64) -> String {
    let mut out = String::new();
    render_scrambled(value, &mut Rng::new(seed), &mut out);
    out
}

// ---------------------------------------------------------------------------------------------------------------
// 1–2. The digest is a function of the value, and canonicalising is idempotent
// ---------------------------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn digest_ignores_member_order_and_whitespace(value in any_json(), seed in any::<u64>()) {
        let expected = digest(&value);
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let from_pretty = parse_strict(pretty.as_bytes())
            .map_err(|e| TestCaseError::fail(format!("pretty rendering refused: {e}\n{pretty}")))?;
        prop_assert_eq!(digest(&from_pretty), expected.clone(), "pretty: {}", pretty);

        let text = scrambled(&value, seed);
        let from_scrambled = parse_strict(text.as_bytes())
            .map_err(|e| TestCaseError::fail(format!("scrambled rendering refused: {e}\n{text}")))?;
        prop_assert_eq!(digest(&from_scrambled), expected, "scrambled: {}", text);
    }

    #[test]
    fn canonicalising_twice_changes_nothing(
        value in any_json(),
    ) {
        let once = digest_bytes(&value);
        let reparsed = parse_strict(&once).map_err(|e| {
            TestCaseError::fail(format!("digest encoding refused: {e}\n{}", String::from_utf8_lossy(&once)))
        })?;
        prop_assert_eq!(String::from_utf8(digest_bytes(&reparsed)).unwrap(), String::from_utf8(once).unwrap());

        let signing = signing_bytes(&value);
        let reparsed = parse_strict(&signing).map_err(|e| {
            TestCaseError::fail(format!("signing encoding refused: {e}\n{}", String::from_utf8_lossy(&signing)))
        })?;
        prop_assert_eq!(String::from_utf8(signing_bytes(&reparsed)).unwrap(), String::from_utf8(signing).unwrap());
        // The signing encoding spells the same value: only `<`, `>` and `&` are written differently.
        prop_assert_eq!(digest(&reparsed), digest(&value));
    }

    #[test]
    fn signing_encoding_is_the_digest_encoding_with_html_escapes(value in any_json()) {
        let digest_text = String::from_utf8(digest_bytes(&value)).unwrap();
        let signing_text = String::from_utf8(signing_bytes(&value)).unwrap();
        let expected = digest_text.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026");
        prop_assert_eq!(signing_text, expected);
    }
}

/// Regression inputs for `canonicalising_twice_changes_nothing`. The digest encoding of an integral double beyond
/// 2^53 and below 1e21 (2^60, 1e20) is a bare integer literal, as Go writes it; the strict reader refuses every integer
/// literal beyond 2^53, even one that is an exact double, so canonical text the verifier produced cannot be read back.
#[test]
fn canonical_text_of_big_integral_doubles_reads_back() {
    for literal in [
        "1e20",
        "1152921504606846976.0",
        "9007199254740994.0",
        "-1e17",
    ] {
        let value = parse_strict(literal.as_bytes()).unwrap();
        let canonical = digest_bytes(&value);
        let reparsed = parse_strict(&canonical).unwrap_or_else(|e| {
            panic!(
                "{literal} canonicalises to {} which parse_strict refuses: {e}",
                String::from_utf8_lossy(&canonical)
            )
        });
        assert_eq!(digest_bytes(&reparsed), canonical);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Differential test against RFC 8785 (serde_jcs)
// ---------------------------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn digest_encoding_matches_jcs_where_they_coincide(value in jcs_compatible_json()) {
        let ours = String::from_utf8(digest_bytes(&value)).unwrap();
        let jcs = serde_jcs::to_string(&value).unwrap();
        prop_assert_eq!(ours, jcs);
    }
}

fn digest_text(value: &Value) -> String {
    String::from_utf8(digest_bytes(value)).unwrap()
}

#[test]
fn documented_differences_from_jcs() {
    // U+2028 and U+2029 are escaped by Go (and by us), written raw by JCS.
    let separators = json!("a\u{2028}b\u{2029}c");
    assert_eq!(digest_text(&separators), "\"a\\u2028b\\u2029c\"");
    assert_eq!(
        serde_jcs::to_string(&separators).unwrap(),
        "\"a\u{2028}b\u{2029}c\""
    );

    // Keys sort by UTF-8 bytes for us, by UTF-16 code units for JCS: an astral key and a high-BMP key swap.
    let keys = json!({"😀": 1, "\u{fb01}": 2});
    assert_eq!(digest_text(&keys), "{\"\u{fb01}\":2,\"😀\":1}");
    assert_eq!(
        serde_jcs::to_string(&keys).unwrap(),
        "{\"😀\":1,\"\u{fb01}\":2}"
    );

    // A negative zero stays "-0" for Go; JCS (ECMAScript) writes "0".
    let negative_zero = float_value(-0.0);
    assert_eq!(digest_text(&negative_zero), "-0");
    assert_eq!(serde_jcs::to_string(&negative_zero).unwrap(), "0");
}

/// Regression inputs for `digest_encoding_matches_jcs_where_they_coincide` and the number tests. Each double lies
/// exactly halfway between its two shortest round-trip decimals; Go's strconv (Ryū) and ECMAScript both pick the even
/// last digit, Rust's `Display` picks the odd one, so the digest differs from the one Go's registry computes.
#[test]
fn shortest_digits_break_ties_to_even_like_go() {
    for (x, go) in [
        // 2^-4 + 2^-18 = 0.062503814697265625
        (0.0625 + 2f64.powi(-18), "0.06250381469726562"),
        // 1e10 + 2^-7 = 10000000000.0078125
        (1e10 + 2f64.powi(-7), "10000000000.007812"),
        // 950556979639267.25
        (950556979639267.0 + 0.25, "950556979639267.2"),
    ] {
        assert_eq!(
            serde_jcs::to_string(&x).unwrap(),
            go,
            "ECMAScript agrees with Go"
        );
        assert_eq!(f64_text(x), go, "write_f64 of {x:e}");
        assert_eq!(digest_text(&float_value(x)), go);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Numbers
// ---------------------------------------------------------------------------------------------------------------

fn f64_text(x: f64) -> String {
    let mut out = Vec::new();
    write_f64(&mut out, x);
    String::from_utf8(out).unwrap()
}

/// Checks `digits` is a non-empty run of ASCII digits.
fn all_digits(digits: &str) -> bool {
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn write_f64_round_trips_in_the_right_notation(x in finite_f64()) {
        let text = f64_text(x);
        let back: f64 = text.parse().map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        prop_assert_eq!(back.to_bits(), x.to_bits(), "{} wrote {:?}", x, text);

        let exponent_expected = x != 0.0 && (x.abs() < 1e-6 || x.abs() >= 1e21);
        let unsigned = text.strip_prefix('-').unwrap_or(&text);
        prop_assert_eq!(text.starts_with('-'), x.is_sign_negative(), "sign of {:?}", text);
        match unsigned.split_once('e') {
            Some((mantissa, exponent)) => {
                prop_assert!(exponent_expected, "{} written in exponent form: {:?}", x, text);
                let (sign, digits) = exponent.split_at(1);
                prop_assert!(sign == "+" || sign == "-", "exponent without sign: {:?}", text);
                prop_assert!(all_digits(digits) && !digits.starts_with('0'), "bad exponent digits: {:?}", text);
                // One non-zero digit before the point; a fraction, when present, has no trailing zero.
                let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
                prop_assert!(int.len() == 1 && int != "0" && all_digits(int), "bad mantissa: {:?}", text);
                prop_assert!(frac.is_empty() || (all_digits(frac) && !frac.ends_with('0')), "bad mantissa: {:?}", text);
            }
            None => {
                prop_assert!(!exponent_expected, "{:e} written in fixed form: {:?}", x, text);
                prop_assert!(!text.contains(['E', '+']), "{:?}", text);
                let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
                prop_assert!(all_digits(int) && (int == "0" || !int.starts_with('0')), "bad integer part: {:?}", text);
                prop_assert!(frac.is_empty() || (all_digits(frac) && !frac.ends_with('0')), "bad fraction: {:?}", text);
            }
        }
    }

    /// Go's encoding/json formats doubles as ECMAScript does, so beyond the fixed range too (exponent notation) the
    /// only difference from JCS is the sign of zero.
    #[test]
    fn write_f64_matches_ecmascript_formatting(x in finite_f64()) {
        prop_assume!(x != 0.0 || x.is_sign_positive());
        prop_assert_eq!(f64_text(x), serde_jcs::to_string(&x).unwrap());
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 5. No parser panics, whatever the input
// ---------------------------------------------------------------------------------------------------------------

/// Fragments of JSON syntax, so random sequences get deep into the reader's states.
fn json_token() -> BoxedStrategy<String> {
    prop_oneof![
        6 => prop::sample::select(vec![
            "{", "}", "[", "]", "\"", ":", ",", "0", "1", "9", "-", "+", "e", "E", ".", "\\", "u", "t", "r", "n",
            "l", "a", "s", "f", "true", "false", "null", " ", "\n", "\t", "\\u", "\\ud83d", "\\ude00", "\\udc00",
            "d800", "00e9", "\\n", "\\\"", "\"a\":", "{\"a\":", "9007199254740993", "9007199254740992", "-0",
            "1e400", "1e-400", "0.", "01", "\u{2028}", "é", "😀", "\u{feff}", "\u{0}",
        ])
        .prop_map(str::to_owned),
        1 => rich_char().prop_map(String::from),
    ]
    .boxed()
}

fn json_looking() -> BoxedStrategy<String> {
    prop::collection::vec(json_token(), 0..48)
        .prop_map(|tokens| tokens.concat())
        .boxed()
}

/// Valid JSON text with a few random byte edits (delete, insert, replace, truncate).
fn mutated_json() -> BoxedStrategy<Vec<u8>> {
    (
        any_json(),
        any::<u64>(),
        prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..4),
    )
        .prop_map(|(value, seed, edits)| {
            let mut bytes = scrambled(&value, seed).into_bytes();
            for (at, op, byte) in edits {
                if bytes.is_empty() {
                    bytes.push(byte);
                    continue;
                }
                let i = at.index(bytes.len());
                match op {
                    0 => {
                        bytes.remove(i);
                    }
                    1 => bytes.insert(i, byte),
                    2 => bytes[i] = byte,
                    _ => bytes.truncate(i),
                }
            }
            bytes
        })
        .boxed()
}

/// Exercises whatever parse_strict returns, so a value it builds is also encoded (and dropped).
fn parse_and_encode(bytes: &[u8]) {
    if let Ok(value) = parse_strict(bytes) {
        let _ = digest_bytes(&value);
        let _ = signing_bytes(&value);
    }
}

/// The public development key, made once (key derivation is slow in a debug build).
fn dev_key() -> &'static SigningKey {
    static DEV: OnceLock<SigningKey> = OnceLock::new();
    DEV.get_or_init(SigningKey::dev)
}

fn base64_char() -> BoxedStrategy<char> {
    prop_oneof![
        8 => prop::sample::select(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".chars().collect::<Vec<_>>()
        ),
        1 => Just('='),
        1 => rich_char(),
    ]
    .boxed()
}

/// Base64-ish text: real encodings of random bytes (of all the lengths keys and signatures use) and near misses.
fn base64_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => prop::collection::vec(any::<u8>(), 0..=70).prop_map(|b| B64.encode(b)),
        2 => prop::sample::select(vec![31usize, 32, 33, 63, 64, 65])
            .prop_flat_map(|n| prop::collection::vec(any::<u8>(), n))
            .prop_map(|b| B64.encode(b)),
        1 => Just(dev_key().public_key().to_base64()),
        1 => Just(dev_key().seed_base64()),
        1 => Just(dev_key().keypair_base64()),
        2 => string_of(base64_char(), 90),
    ]
    .boxed()
}

/// Key-id-ish text: mostly valid ids, sometimes with the forbidden characters, sometimes far too long.
fn key_id_text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-z0-9._-]{1,20}",
        2 => string_of(rich_char(), 10),
        1 => Just("anip-registry-dev-ed25519-v1".to_owned()),
        1 => (120usize..140).prop_map(|n| "k".repeat(n)),
    ]
    .boxed()
}

/// Signature-ish strings: well-formed ones (real and random bytes), and every near miss of the format.
fn signature_text() -> BoxedStrategy<String> {
    prop_oneof![
        2 => (key_id_text(), base64_text()).prop_map(|(id, sig)| format!("ed25519:{id}:{sig}")),
        2 => (key_id_text(), prop::collection::vec(any::<u8>(), 64))
            .prop_map(|(id, sig)| format!("ed25519:{id}:{}", B64.encode(sig))),
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(|message| {
            RegistrySignature::sign(dev_key(), &message).to_string()
        }),
        1 => (string_of(rich_char(), 12), string_of(rich_char(), 12))
            .prop_map(|(a, b)| format!("ed25519:{a}:{b}")),
        1 => string_of(prop_oneof![4 => rich_char(), 1 => Just(':')].boxed(), 30),
    ]
    .boxed()
}

fn digest_text_like() -> BoxedStrategy<String> {
    prop_oneof![
        2 => "sha256:[0-9a-f]{64}",
        1 => "sha256:[0-9a-fA-F]{0,70}",
        1 => Just(digest(&json!({}))),
    ]
    .boxed()
}

/// A value for a field of a known document: sometimes the right shape, often not.
fn field_value() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => rich_string().prop_map(Value::String),
        2 => digest_text_like().prop_map(Value::String),
        2 => signature_text().prop_map(Value::String),
        1 => key_id_text().prop_map(Value::String),
        1 => base64_text().prop_map(Value::String),
        1 => Just(Value::String(String::new())),
        1 => Just(Value::String("   ".to_owned())),
        2 => Just(Value::Null),
        3 => small_json(),
    ]
    .boxed()
}

/// An object with up to `max_members` of `keys` (each holding a value from `value`) and perhaps a stray key.
fn object_with_keys(
    keys: &'static [&'static str],
    max_members: usize,
    value: BoxedStrategy<Value>,
) -> BoxedStrategy<Value> {
    (
        prop::collection::vec((prop::sample::select(keys), value.clone()), 0..=max_members),
        prop::option::weighted(0.2, (string_of(rich_char(), 6), value)),
    )
        .prop_map(|(members, stray)| {
            let mut map: Map<String, Value> = members
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            if let Some((k, v)) = stray {
                map.insert(k, v);
            }
            Value::Object(map)
        })
        .boxed()
}

const LOCK_KEYS: &[&str] = &[
    "lock_schema_version",
    "artifact_type",
    "source_kind",
    "registry_url",
    "package_id",
    "package_version",
    "contract_signature",
    "schema_version",
    "definition_digest",
    "manifest_digest",
    "lock_digest",
    "package_execution_signature",
    "receipt_signature",
    "receipt_authority",
    "receipt_key_id",
    "receipt_algorithm",
    "receipt_issued_at",
    "receipt_public_key",
    "registry_signing_mode",
    "registry_active_key_id",
    "publisher_id",
    "publisher_type",
];

/// A valid lock with a few fields replaced (by values of their type or anything), removed or added.
fn lock_value() -> BoxedStrategy<Value> {
    let valid = serde_json::to_value(PackageLock {
        lock_schema_version: "anip-package-lock/v1".to_owned(),
        artifact_type: "anip_package_lock".to_owned(),
        source_kind: "registry".to_owned(),
        package_id: "example.package".to_owned(),
        package_version: "1.0.0".to_owned(),
        definition_digest: digest(&json!(1)),
        manifest_digest: digest(&json!(2)),
        lock_digest: digest(&json!(3)),
        package_execution_signature: digest(&json!(4)),
        receipt_signature: RegistrySignature::sign(dev_key(), b"lock").to_string(),
        receipt_key_id: dev_key().key_id().to_string(),
        receipt_public_key: dev_key().public_key().to_base64(),
        ..PackageLock::default()
    })
    .unwrap();
    assert!(PackageLock::from_json(&serde_json::to_vec(&valid).unwrap()).is_ok());
    let keys: Vec<String> = LOCK_KEYS
        .iter()
        .map(|k| (*k).to_owned())
        .chain(["stray".to_owned()])
        .collect();
    let edit = prop::sample::select(keys).prop_flat_map(|key| {
        let value = prop_oneof![3 => typed_field(&key), 1 => lock_field_value()];
        (Just(key), prop::option::weighted(0.8, value))
    });
    prop::collection::vec(edit, 0..3)
        .prop_map(move |edits| {
            let mut lock = valid.clone();
            let map = lock.as_object_mut().unwrap();
            for (key, value) in edits {
                match value {
                    Some(value) => map.insert(key, value),
                    None => map.remove(&key),
                };
            }
            lock
        })
        .boxed()
}

fn lock_field_value() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => field_value(),
        1 => Just(json!("anip-package-lock/v1")),
        1 => Just(json!("anip_package_lock")),
        1 => Just(json!(dev_key().public_key().to_base64())),
    ]
    .boxed()
}

const RECORD_KEYS: &[&str] = &[
    "package_id",
    "package_version",
    "project_ref",
    "product_revision_ref",
    "developer_revision_ref",
    "contract_signature",
    "publisher_id",
    "publisher_type",
    "publisher",
    "lineage",
    "schema_version",
    "manifest_digest",
    "definition_digest",
    "lock_digest",
    "package_execution_signature",
    "published_at",
    "download_count",
    "lifecycle",
    "manifest",
    "service_definition",
    "recommended_lock",
    "readme",
    "source_links",
    "implementation_materials",
];

const RECEIPT_KEYS: &[&str] = &[
    "receipt_id",
    "package_id",
    "package_version",
    "registry_signature",
    "signature_algorithm",
    "key_id",
    "publisher_id",
    "publisher_type",
    "issued_at",
    "authority",
];

const DOCUMENT_KEYS: &[&str] = &[
    "package_execution_signature",
    "lineage",
    "readme",
    "source_links",
    "implementation_material",
    "implementation_materials",
    "project_ref",
    "product_revision",
    "developer_revision",
    "product_revision_ref",
    "developer_revision_ref",
    "contract_signature",
    "schema_version",
    "custom_code_bundles",
    "ref",
    "uri",
    "url",
    "title",
    "bundle_tree_sha256",
    "tree_sha256",
];

/// Values for the nested documents: random JSON, or objects with the keys normalisation and stamping look at.
fn document_value() -> BoxedStrategy<Value> {
    let inner = prop_oneof![
        3 => field_value(),
        1 => prop::collection::vec(object_with_keys(DOCUMENT_KEYS, 4, field_value()), 0..3).prop_map(Value::Array),
        1 => object_with_keys(DOCUMENT_KEYS, 4, field_value()),
    ]
    .boxed();
    prop_oneof![
        2 => field_value(),
        3 => object_with_keys(DOCUMENT_KEYS, 8, inner),
    ]
    .boxed()
}

fn record_field_value() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => field_value(),
        2 => document_value(),
        1 => prop::collection::vec(object_with_keys(DOCUMENT_KEYS, 4, field_value()), 0..3).prop_map(Value::Array),
        1 => any::<u64>().prop_map(Value::from),
    ]
    .boxed()
}

fn registry_keys_value() -> BoxedStrategy<Value> {
    prop::collection::vec(
        (
            prop::sample::select(vec!["ed25519", "ED25519", "rsa", ""]),
            key_id_text(),
            base64_text(),
        )
            .prop_map(|(algorithm, key_id, public_key)| {
                json!({"algorithm": algorithm, "key_id": key_id, "public_key": public_key})
            }),
        0..3,
    )
    .prop_map(Value::Array)
    .boxed()
}

/// A value of the type the field `key` has in the records, receipts, locks and requests (mostly), or anything.
fn typed_field(key: &str) -> BoxedStrategy<Value> {
    let string_ish = || {
        prop_oneof![
            8 => string_of(rich_char(), 12).prop_filter("not blank", |s| !s.trim().is_empty()).prop_map(Value::String),
            1 => prop_oneof![Just(String::new()), Just(" \t ".to_owned())].prop_map(Value::String),
            1 => Just(Value::Null),
        ]
        .boxed()
    };
    let typed = match key {
        "lineage" | "manifest" | "service_definition" | "recommended_lock" | "lock"
        | "publisher" => object_with_keys(DOCUMENT_KEYS, 8, document_value()),
        "source_links" => {
            prop::collection::vec(object_with_keys(&["title", "url"], 2, string_ish()), 0..3)
                .prop_map(Value::Array)
                .boxed()
        }
        "implementation_materials" | "implementation_material" => prop::collection::vec(
            object_with_keys(
                &[
                    "title",
                    "ref",
                    "uri",
                    "url",
                    "bundle_tree_sha256",
                    "tree_sha256",
                ],
                3,
                string_ish(),
            ),
            0..3,
        )
        .prop_map(Value::Array)
        .boxed(),
        "lifecycle" => object_with_keys(
            &[
                "status",
                "reason",
                "replacement",
                "updated_at",
                "updated_by",
                "package_id",
                "package_version",
            ],
            4,
            string_ish(),
        ),
        "download_count" => any::<u64>().prop_map(Value::from).boxed(),
        "registry_signature" | "receipt_signature" => {
            signature_text().prop_map(Value::String).boxed()
        }
        "key_id" | "receipt_key_id" | "registry_active_key_id" => {
            key_id_text().prop_map(Value::String).boxed()
        }
        "receipt_public_key" => base64_text().prop_map(Value::String).boxed(),
        "lock_schema_version" => Just(json!("anip-package-lock/v1")).boxed(),
        "artifact_type" => Just(json!("anip_package_lock")).boxed(),
        "signature_algorithm" | "receipt_algorithm" => Just(json!("ed25519")).boxed(),
        "receipt_id" | "package_execution_signature" => {
            digest_text_like().prop_map(Value::String).boxed()
        }
        key if key.ends_with("_digest") => digest_text_like().prop_map(Value::String).boxed(),
        _ => string_ish(),
    };
    prop_oneof![6 => typed, 1 => field_value()].boxed()
}

/// An object holding each of `keys` with probability `presence`, each with a value of (mostly) its type.
fn typed_object(keys: &[&str], presence: f64) -> BoxedStrategy<Value> {
    keys.iter()
        .map(|key| {
            let key = (*key).to_owned();
            prop::option::weighted(presence, typed_field(&key))
                .prop_map(move |v| v.map(|v| (key.clone(), v)))
        })
        .collect::<Vec<_>>()
        .prop_map(|members| Value::Object(members.into_iter().flatten().collect()))
        .boxed()
}

/// A bundle-shaped object: the v1 schema tag (mostly), and random or record-shaped parts.
fn bundle_value() -> BoxedStrategy<Value> {
    (
        prop::sample::select(vec![
            "anip-package-bundle/v1",
            "anip-package-bundle/v1",
            "anip-package-bundle/v2",
        ]),
        prop::option::weighted(
            0.9,
            prop_oneof![
                3 => typed_object(RECORD_KEYS, 0.8),
                1 => object_with_keys(RECORD_KEYS, 16, record_field_value()),
            ],
        ),
        prop::option::of(prop_oneof![
            3 => typed_object(RECEIPT_KEYS, 0.6),
            1 => object_with_keys(RECEIPT_KEYS, 10, field_value()),
            1 => field_value(),
        ]),
        prop::option::of(document_value()),
        prop::option::of(document_value()),
        prop::option::of(document_value()),
        prop::option::of(typed_object(REQUEST_KEYS, 0.3)),
        prop::option::of(document_value()),
        prop::option::of(object_with_keys(
            &["manifest", "service_definition", "lock", "receipt"],
            4,
            field_value(),
        )),
        prop::option::of(registry_keys_value()),
    )
        .prop_map(
            |(
                schema,
                package,
                receipt,
                lock,
                manifest,
                definition,
                publication,
                lineage,
                digests,
                keys,
            )| {
                let mut root = Map::new();
                root.insert("bundle_schema_version".to_owned(), Value::from(schema));
                for (key, part) in [
                    ("package", package),
                    ("receipt", receipt),
                    ("lock", lock),
                    ("manifest", manifest),
                    ("service_definition", definition),
                    ("publication", publication),
                    ("lineage", lineage),
                    ("digests", digests),
                    ("registry_keys", keys),
                ] {
                    if let Some(part) = part {
                        root.insert(key.to_owned(), part);
                    }
                }
                Value::Object(root)
            },
        )
        .boxed()
}

const REQUEST_KEYS: &[&str] = &[
    "package_id",
    "package_version",
    "project_ref",
    "product_revision_ref",
    "developer_revision_ref",
    "contract_signature",
    "publisher_id",
    "publisher_type",
    "lineage",
    "schema_version",
    "manifest",
    "service_definition",
    "recommended_lock",
    "readme",
    "source_links",
    "implementation_materials",
];

/// A publish-request value: fields mostly of their types, so that most requests parse and reach the pipeline.
fn request_value() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => typed_object(REQUEST_KEYS, 0.7),
        1 => object_with_keys(REQUEST_KEYS, 16, field_value()),
    ]
    .boxed()
}

/// Drives a parsed bundle through everything that reads it.
fn exercise_bundle(bundle: &Bundle) {
    let dev = dev_key();
    let with_dev = KeySet::of(dev.key_id().clone(), dev.public_key());
    let _ = bundle.verify(&KeySet::new());
    let _ = bundle.verify(&with_dev);
    if let Ok(keys) = bundle.registry_keys() {
        let _ = bundle.verify(&keys);
    }
    if let Ok(request) = bundle.to_publish_request() {
        let _ = prepare(request);
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn parse_strict_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        parse_and_encode(&bytes);
    }

    #[test]
    fn parse_strict_never_panics_on_json_looking_text(text in json_looking()) {
        parse_and_encode(text.as_bytes());
    }

    #[test]
    fn parse_strict_never_panics_on_mutated_json(bytes in mutated_json()) {
        parse_and_encode(&bytes);
    }

    #[test]
    fn signature_parser_never_panics(text in prop_oneof![string_of(rich_char(), 120), signature_text()]) {
        if let Ok(signature) = RegistrySignature::from_str(&text) {
            // A parsed signature prints back as what it parsed.
            prop_assert_eq!(signature.to_string(), text);
        }
    }

    #[test]
    fn key_parsers_never_panic(
        list in prop_oneof![
            string_of(rich_char(), 60),
            prop::collection::vec((key_id_text(), base64_text(), prop::sample::select(vec!["", " ", ",", " , "])), 0..4)
                .prop_map(|entries| entries
                    .into_iter()
                    .map(|(id, key, pad)| format!("{pad}{id}={key}{pad}"))
                    .collect::<Vec<_>>()
                    .join(",")),
        ],
        key in prop_oneof![string_of(rich_char(), 60), base64_text()],
        id in key_id_text(),
    ) {
        let _ = KeySet::parse_list(&list);
        let _ = PublicKey::from_base64(&key);
        if let Ok(id) = KeyId::new(&id) {
            let _ = SigningKey::from_base64(id, &key);
        }
        let _ = SigningKey::from_base64(KeyId::new("k").unwrap(), &key);
    }

    #[test]
    fn lock_parser_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..128),
        value in any_json(),
        lock in prop_oneof![
            2 => lock_value(),
            1 => typed_object(LOCK_KEYS, 0.7),
            1 => object_with_keys(LOCK_KEYS, 22, lock_field_value()),
        ],
    ) {
        let _ = PackageLock::from_json(&bytes);
        let _ = PackageLock::from_json(&serde_json::to_vec(&value).unwrap());
        let _ = PackageLock::from_json(&serde_json::to_vec(&lock).unwrap());
    }

    #[test]
    fn bundle_parser_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..128),
        value in bundle_value(),
    ) {
        let _ = Bundle::from_json(&bytes);
        if let Ok(bundle) = Bundle::from_json(&serde_json::to_vec(&value).unwrap()) {
            exercise_bundle(&bundle);
        }
    }

    #[test]
    fn publish_pipeline_never_panics(value in request_value()) {
        if let Ok(request) = PublishRequest::from_json(&serde_json::to_vec(&value).unwrap()) {
            let _ = prepare(request);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Mutations of a real bundle and a real publish request
// ---------------------------------------------------------------------------------------------------------------

fn fixture(relative: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/anip/packages")
        .join(relative);
    parse_strict(&std::fs::read(&path).unwrap()).unwrap()
}

fn gtm_bundle() -> &'static Value {
    static BUNDLE: OnceLock<Value> = OnceLock::new();
    BUNDLE.get_or_init(|| fixture("gtm-pipeline-q2-review-0.2.0.anip-package.json"))
}

fn gtm_request() -> &'static Value {
    static REQUEST: OnceLock<Value> = OnceLock::new();
    REQUEST.get_or_init(|| fixture("gtm-pipeline-q2-review-0.2.0-publish-request.json"))
}

/// One edit at a random place in a document: walk down by the `path` choices, then replace or remove what is there.
fn mutate(value: &mut Value, path: &[prop::sample::Index], replacement: Option<Value>) {
    // Find the place read-only, as a JSON pointer, then edit it.
    let mut pointer = String::new();
    let mut here: &Value = value;
    for step in path {
        let next = match here {
            Value::Object(map) if !map.is_empty() => {
                let key = map.keys().nth(step.index(map.len())).unwrap();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                map.get(key)
            }
            Value::Array(items) if !items.is_empty() => {
                let i = step.index(items.len());
                pointer.push_str(&format!("/{i}"));
                items.get(i)
            }
            _ => None,
        };
        match next {
            Some(next) => here = next,
            None => break,
        }
        // Stop early sometimes, so shallow fields are edited as often as deep ones.
        if step.index(8) == 0 {
            break;
        }
    }
    let here = value.pointer_mut(&pointer).unwrap();
    match (replacement, &mut *here) {
        (Some(replacement), _) => *here = replacement,
        (None, Value::Object(map)) if !map.is_empty() => {
            let key = map.keys().nth(path.len() % map.len()).cloned().unwrap();
            map.remove(&key);
        }
        (None, Value::Array(items)) if !items.is_empty() => {
            items.pop();
        }
        (None, other) => *other = Value::Null,
    }
}

fn edits() -> impl Strategy<Value = Vec<(Vec<prop::sample::Index>, Option<Value>)>> {
    prop::collection::vec(
        (
            prop::collection::vec(any::<prop::sample::Index>(), 0..6),
            prop::option::weighted(0.7, field_value()),
        ),
        1..4,
    )
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn mutated_fixture_bundle_never_panics(edits in edits()) {
        let mut value = gtm_bundle().clone();
        for (path, replacement) in edits {
            mutate(&mut value, &path, replacement);
        }
        if let Ok(bundle) = Bundle::from_value(value) {
            exercise_bundle(&bundle);
        }
    }

    #[test]
    fn mutated_fixture_request_never_panics(edits in edits()) {
        let mut value = gtm_request().clone();
        for (path, replacement) in edits {
            mutate(&mut value, &path, replacement);
        }
        if let Ok(request) = PublishRequest::from_value(value) {
            let _ = prepare(request);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 6. Extremes
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn deep_nesting_is_refused_without_overflow() {
    let depth = 10_000;
    let arrays = "[".repeat(depth) + &"]".repeat(depth);
    assert!(parse_strict(arrays.as_bytes()).is_err());
    let objects = "{\"a\":".repeat(depth) + "1" + &"}".repeat(depth);
    assert!(parse_strict(objects.as_bytes()).is_err());
    let unclosed = "[{\"a\":".repeat(depth);
    assert!(parse_strict(unclosed.as_bytes()).is_err());

    // The limit itself is accepted, for objects as for arrays.
    let at_limit = "{\"a\":".repeat(MAX_NESTING) + "1" + &"}".repeat(MAX_NESTING);
    let value = parse_strict(at_limit.as_bytes()).unwrap();
    assert_eq!(digest_bytes(&value), at_limit.into_bytes());
    let over = "{\"a\":".repeat(MAX_NESTING + 1) + "1" + &"}".repeat(MAX_NESTING + 1);
    assert!(parse_strict(over.as_bytes()).is_err());
}

#[test]
fn five_mebibyte_strings_parse() {
    let len = 5 << 20;
    let plain = format!("\"{}\"", "a".repeat(len));
    let value = parse_strict(plain.as_bytes()).unwrap();
    assert_eq!(value.as_str().map(str::len), Some(len));
    assert_eq!(digest_bytes(&value), plain.into_bytes());

    // An escape first sends the whole string through the reader's slow path.
    let escaped = format!("\"\\n{}\\u00e9\"", "é".repeat(len / 2));
    let value = parse_strict(escaped.as_bytes()).unwrap();
    assert_eq!(value.as_str().map(str::len), Some(1 + len + 2));
}

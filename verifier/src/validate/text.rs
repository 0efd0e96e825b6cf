//! The one text rule of every text a receipt signs (refs, contract signature, publisher id and type, every lineage
//! string): bounded, single-line, no control characters and no bidirectional controls.

use super::Problems;

/// The longest single-line text field (refs, contract signature, publisher id and type, lineage strings), in bytes.
pub const MAX_TEXT_FIELD_BYTES: usize = 2048;

/// Whether `c` is a Unicode bidirectional control (U+061C, U+200E/U+200F, U+202A–U+202E, U+2066–U+2069): text
/// that carries one can display in an order other than its bytes (Trojan-Source style spoofing).
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Whether `value` may stand as a signed single-line text: at most [`MAX_TEXT_FIELD_BYTES`] bytes, no control
/// character (C0, DEL or C1; tabs and newlines included) and no bidirectional control ([`is_bidi_control`]).
pub fn is_valid_text_field(value: &str) -> bool {
    value.len() <= MAX_TEXT_FIELD_BYTES
        && !value.chars().any(|c| c.is_control() || is_bidi_control(c))
}

/// Records `missing_field` when a `required` field is blank, `invalid_field` unless [`is_valid_text_field`].
pub fn check_text_field(field: &str, value: &str, required: bool, problems: &mut Problems) {
    if required && value.trim().is_empty() {
        problems.push("missing_field", field, format!("{field} is required"));
    } else if !is_valid_text_field(value) {
        problems.push(
            "invalid_field",
            field,
            format!(
                "{field} must be at most {MAX_TEXT_FIELD_BYTES} bytes with no control characters \
                 and no bidirectional controls"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_text() {
        for good in [
            "",
            "p",
            "git+https://x/y@main",
            "café ✓",
            &"p".repeat(MAX_TEXT_FIELD_BYTES),
        ] {
            assert!(is_valid_text_field(good), "{good:?}");
        }
        for bad in [
            "p\u{9b}31m",
            "a\tb",
            "a\nb",
            "a\u{7f}",
            "a\u{202E}b",
            "a\u{2066}b",
            "a\u{200F}",
            "a\u{061C}",
            &"p".repeat(MAX_TEXT_FIELD_BYTES + 1),
        ] {
            assert!(!is_valid_text_field(bad), "{bad:?}");
        }
    }
}

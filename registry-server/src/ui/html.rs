//! The UI's escaping and safe-markup rules, and the URL and query helpers the pages need (percent-coding by the
//! `percent-encoding` crate). Pages are `askama` templates (under the repository's `ui/templates/`); this module
//! supplies what they rely on.
//!
//! **Escaping.** Every value a template writes goes through [`Strict`], configured in `registry-server/askama.toml`
//! as the escaper of every `.html` template, so nothing needs remembering at each site. It is ours rather than
//! askama's built-in `Html` escaper because it is stricter: besides `& < > " '` it escapes `` ` = : `` and drops C0
//! controls, so that no stored text can spell a tag, an attribute assignment or a URL scheme (`javascript:`)
//! anywhere in a page's source, not only where HTML would parse it.
//!
//! **Markup that is already safe** (the rendered Markdown) is an [`Html`] value, which a template writes unescaped
//! only through [`Html::markup`]; nothing else reaches a page unescaped, and templates never use `|safe` (a test
//! scans them).

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Markup that is safe to insert as is: tags written by this crate around escaped text (the Markdown renderer's
/// output, a rendered page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Html(String);

impl Html {
    /// Markup written by this crate: static tags around text escaped with [`esc`], or a rendered template.
    pub(crate) fn trusted(markup: impl Into<String>) -> Self {
        Html(markup.into())
    }

    /// The markup, for a template to write unescaped (`{{ readme.markup() }}`).
    pub fn markup(&self) -> askama::filters::Safe<&str> {
        askama::filters::Safe(&self.0)
    }

    /// The markup.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The markup, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// The templates' escaper (see the module doc): HTML text and double- or single-quoted attribute values.
#[derive(Debug, Clone, Copy, Default)]
pub struct Strict;

impl askama::filters::Escaper for Strict {
    fn write_escaped_str<W: fmt::Write>(&self, mut dest: W, string: &str) -> fmt::Result {
        write!(dest, "{}", esc(string))
    }
}

/// Text escaped for HTML text and quoted attribute values, written without an intermediate allocation.
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(&'a str);

/// Escapes `text` for HTML (text content and double- or single-quoted attribute values).
pub fn esc(text: &str) -> Escaped<'_> {
    Escaped(text)
}

/// Escapes `text` into a new string.
pub fn escape(text: &str) -> String {
    esc(text).to_string()
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(|c: char| needs_escape(c)) {
            f.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or(' ');
            f.write_str(match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                '`' => "&#96;",
                '=' => "&#61;",
                ':' => "&#58;",
                // NUL and the other C0 controls but tab, LF and CR are not allowed in HTML text.
                _ => "\u{fffd}",
            })?;
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

fn needs_escape(c: char) -> bool {
    matches!(c, '&' | '<' | '>' | '"' | '\'' | '`' | '=' | ':')
        || (c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Everything but RFC 3986 unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A form query value's set: [`SEGMENT`] but space (written as `+` afterwards).
const QUERY_VALUE: &AsciiSet = &SEGMENT.remove(b' ');

/// Percent-encodes one path segment (everything but RFC 3986 unreserved characters).
pub fn encode_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// Percent-encodes a query value (form encoding: space as `+`).
pub fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE)
        .to_string()
        .replace(' ', "+")
}

/// Decodes `%XX` escapes (and, for query values, `+` as a space). Invalid escapes stay as they are; invalid UTF-8
/// becomes U+FFFD.
pub fn percent_decode(text: &str, plus_is_space: bool) -> String {
    if plus_is_space && text.contains('+') {
        percent_decode_str(&text.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    } else {
        percent_decode_str(text).decode_utf8_lossy().into_owned()
    }
}

/// The value of `name` in a query string (the first one), form-decoded.
pub fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key, true) == name).then(|| percent_decode(value, true))
    })
}

/// Characters browsers drop from URLs before parsing them (tab, LF, CR anywhere).
fn browser_cleaned(url: &str) -> String {
    url.chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .trim_matches(|c: char| c <= ' ')
        .to_owned()
}

/// The scheme of a URL, if it has one (`javascript` in `javascript:…`); `None` for a relative reference.
fn scheme(url: &str) -> Option<&str> {
    let colon = url.find(':')?;
    let head = &url[..colon];
    (!head.contains(['/', '?', '#'])).then_some(head)
}

/// Whether a Markdown link may be rendered as a link: `http`, `https`, `mailto` or a relative reference; never
/// `javascript:`, `data:`, `vbscript:` or any other scheme, however it is spelt (case, embedded tabs or newlines,
/// leading spaces or controls, backslashes).
pub fn is_safe_link(url: &str) -> bool {
    let cleaned = browser_cleaned(url);
    if cleaned.chars().any(|c| c.is_control() || c == '\\') {
        return false;
    }
    match scheme(&cleaned) {
        Some(scheme) => ["http", "https", "mailto"]
            .iter()
            .any(|s| scheme.eq_ignore_ascii_case(s)),
        None => true,
    }
}

/// Whether a URL is an absolute `http` or `https` URL, the only kind a source link is rendered as a link for.
pub fn is_http_url(url: &str) -> bool {
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
    {
        return false;
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup_and_no_scheme() {
        let hostile =
            "\"><script>alert(1)</script><img src=x onerror=alert(1)> javascript:x 'a' `b` \u{0}";
        let out = escape(hostile);
        for bad in ["<", ">", "\"", "'", "`", "onerror=", "javascript:", "\u{0}"] {
            assert!(!out.contains(bad), "{bad} in {out}");
        }
        assert!(out.contains("&lt;script&gt;"));
        assert_eq!(escape("plain text"), "plain text");
        assert_eq!(escape("é ü 漢"), "é ü 漢");
    }

    #[test]
    fn link_safety() {
        for good in [
            "https://example.com/x?y=1",
            "HTTP://example.com",
            "mailto:a@example.com",
            "docs/readme.md",
            "#section",
            "/registry/keys",
            "?q=1",
            "",
        ] {
            assert!(is_safe_link(good), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox",
            "file:///etc/passwd",
            "\\\\evil.example/x",
            "foo:bar",
        ] {
            assert!(!is_safe_link(bad), "{bad:?}");
        }
        assert!(is_http_url("https://example.com/a?q=\"><script>"));
        assert!(!is_http_url("javascript:alert(1)"));
        assert!(!is_http_url("ftp://example.com"));
    }

    #[test]
    fn percent_coding() {
        assert_eq!(percent_decode("ns%2Fname", false), "ns/name");
        assert_eq!(percent_decode("a+b%20c%zz%", true), "a b c%zz%");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("%41%e2%82%ac%ff", false), "A€\u{fffd}");
        assert_eq!(encode_segment("ns/name"), "ns%2Fname");
        assert_eq!(encode_query_value("a b&c=d"), "a+b%26c%3Dd");
        assert_eq!(
            query_value(Some("q=a+b&page=2"), "page").as_deref(),
            Some("2")
        );
        assert_eq!(
            query_value(Some("q=a+b&page=2"), "q").as_deref(),
            Some("a b")
        );
        assert_eq!(query_value(None, "q"), None);
    }
}

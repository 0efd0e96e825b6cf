//! The UI's whole "template engine": an escaping function, a type for markup that is already safe, a one-pass
//! placeholder filler for the templates under `ui/templates/`, and the URL and query helpers the pages need.
//!
//! The rule that keeps hostile text inert: every piece of text that did not come from this crate reaches a page only
//! through [`esc`] (or [`Html::text`]). Escaping covers `& < > " ' ` = :`, more than HTML strictly needs, so that
//! no stored text can spell a tag, an attribute assignment or a URL scheme anywhere in a page's source.

use std::fmt::{self, Write as _};

/// Markup that is safe to insert as is: our own tags around escaped text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Html(String);

impl Html {
    /// Empty markup.
    pub fn new() -> Self {
        Html(String::new())
    }

    /// Escaped text.
    pub fn text(text: &str) -> Self {
        Html(esc(text).to_string())
    }

    /// Markup written by this crate (static tags, or a `format!` whose arguments are all escaped or [`Html`]).
    pub(crate) fn trusted(markup: impl Into<String>) -> Self {
        Html(markup.into())
    }

    /// Appends other markup.
    pub fn push(&mut self, other: &Html) {
        self.0.push_str(&other.0);
    }

    /// Appends markup written by this crate.
    pub(crate) fn push_trusted(&mut self, markup: &str) {
        self.0.push_str(markup);
    }

    /// Whether there is no markup.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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

impl fmt::Display for Html {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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

/// Fills the `{{name}}` placeholders of `template` with `values`, in one pass: inserted markup is never scanned
/// again, so a value that contains `{{…}}` stays text. A placeholder without a value is left empty (and logged).
pub fn fill(template: &str, values: &[(&str, &Html)]) -> Html {
    let mut out = String::with_capacity(
        template.len() + values.iter().map(|(_, v)| v.0.len()).sum::<usize>(),
    );
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return Html(out);
        };
        let name = after[..end].trim();
        match values.iter().find(|(key, _)| *key == name) {
            Some((_, value)) => out.push_str(&value.0),
            None => tracing::warn!(
                placeholder = name,
                "ui template placeholder without a value"
            ),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Html(out)
}

/// Percent-encodes one path segment (everything but RFC 3986 unreserved characters).
pub fn encode_segment(segment: &str) -> String {
    encode(segment, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
    })
}

/// Percent-encodes a query value (form encoding: space as `+`).
pub fn encode_query_value(value: &str) -> String {
    encode(value, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b' ')
    })
    .replace(' ', "+")
}

fn encode(text: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if keep(b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes `%XX` escapes (and, for query values, `+` as a space). Invalid escapes stay as they are; invalid UTF-8
/// becomes U+FFFD.
pub fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
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

/// An external link: never sends the referrer, never gives the target a handle on this page.
pub fn external_link(url: &str, text: &Html) -> Html {
    Html::trusted(format!(
        "<a href=\"{}\" rel=\"nofollow noopener noreferrer ugc\">{text}</a>",
        esc(url)
    ))
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
    fn fill_is_one_pass() {
        let a = Html::text("{{b}}");
        let b = Html::trusted("<b>");
        let out = fill(
            "<p>{{a}}|{{ b }}|{{missing}}|{{unclosed",
            &[("a", &a), ("b", &b)],
        );
        assert_eq!(out.as_str(), "<p>{{b}}|<b>||{{unclosed");
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

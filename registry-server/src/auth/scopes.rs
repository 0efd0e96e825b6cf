//! Token scopes (reference §1.4): a closed list of operations, namespaces, and optional id grants; the namespace
//! syntax; and the folding that makes look-alike ids (`acme-tools`, `acme_tools`, `acme.tools`) one id.

use serde::{Deserialize, Serialize};

use crate::store::Kind;

/// Publish a package version.
pub const PUBLISH_PACKAGE: &str = "publish:package";
/// Publish a template version.
pub const PUBLISH_TEMPLATE: &str = "publish:template";
/// List, mint and revoke the publisher's tokens.
pub const MANAGE_TOKENS: &str = "manage:tokens";
/// Change the publisher's profile and claim namespaces; mint id grants for ids nobody owns.
pub const MANAGE_PUBLISHER: &str = "manage:publisher";
/// Yank and un-yank the publisher's own versions.
pub const MANAGE_LIFECYCLE: &str = "manage:lifecycle";

/// Every operation a token may hold; anything else is refused (`unknown_operation`).
pub const OPERATIONS: [&str; 5] = [
    PUBLISH_PACKAGE,
    PUBLISH_TEMPLATE,
    MANAGE_TOKENS,
    MANAGE_PUBLISHER,
    MANAGE_LIFECYCLE,
];

/// The longest namespace, in characters (ANIP's limit).
pub const MAX_NAMESPACE_LEN: usize = 80;

/// What a token may do: `{operations, namespaces, package_ids?, template_ids?}` on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scopes {
    /// Operations from [`OPERATIONS`].
    #[serde(default)]
    pub operations: Vec<String>,
    /// Namespaces whose ids the token may publish.
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Package ids granted one by one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub package_ids: Vec<String>,
    /// Template ids granted one by one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub template_ids: Vec<String>,
}

impl Scopes {
    /// Whether the token holds `operation` (exact match).
    pub fn allows(&self, operation: &str) -> bool {
        self.operations.iter().any(|o| o == operation)
    }

    /// The id grants for `kind`.
    pub fn ids(&self, kind: Kind) -> &[String] {
        match kind {
            Kind::Package => &self.package_ids,
            Kind::Template => &self.template_ids,
        }
    }

    /// The scoped namespace that covers `id` (equal to it or a `/`-prefix of it), longest first.
    pub fn namespace_covering(&self, id: &str) -> Option<&str> {
        self.namespaces
            .iter()
            .filter(|ns| covers(ns, id))
            .max_by_key(|ns| ns.len())
            .map(String::as_str)
    }
}

/// The operation that publishes `kind`.
pub fn publish_operation(kind: Kind) -> &'static str {
    match kind {
        Kind::Package => PUBLISH_PACKAGE,
        Kind::Template => PUBLISH_TEMPLATE,
    }
}

/// The wire name of `kind` (`package`, `template`).
pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Package => "package",
        Kind::Template => "template",
    }
}

/// Whether namespace `ns` covers `id`: `id == ns` or `id` starts with `ns/`.
pub fn covers(ns: &str, id: &str) -> bool {
    id == ns
        || id
            .strip_prefix(ns)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Every namespace that could cover `id`: each `/`-prefix of it and the id itself (`a`, `a/b`, `a/b/c`).
pub fn prefixes(id: &str) -> Vec<&str> {
    let mut out: Vec<&str> = id.match_indices('/').map(|(i, _)| &id[..i]).collect();
    out.push(id);
    out
}

/// Whether `ns` follows ANIP's namespace syntax: 1–80 characters of `[a-z0-9_/-]`, no leading or trailing `/`,
/// no `//`. (ANIP lower-cases first; we refuse upper case instead of changing what the client sent.)
pub fn is_valid_namespace(ns: &str) -> bool {
    !ns.is_empty()
        && ns.len() <= MAX_NAMESPACE_LEN
        && ns
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'/' | b'-'))
        && !ns.starts_with('/')
        && !ns.ends_with('/')
        && !ns.contains("//")
}

/// `id` with `-`, `_` and `.` made one character: ids equal after folding belong to one owner.
pub fn fold(id: &str) -> String {
    id.chars()
        .map(|c| match c {
            '_' | '.' => '-',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_makes_look_alikes_equal_and_keeps_the_rest_apart() {
        assert_eq!(fold("acme-tools"), fold("acme_tools"));
        assert_eq!(fold("acme.tools"), fold("acme_tools"));
        assert_ne!(fold("acme/tools"), fold("acme-tools"));
        assert_ne!(fold("acmetools"), fold("acme-tools"));
    }

    #[test]
    fn namespace_syntax_is_anips() {
        for ok in ["acme", "acme/tools", "a_b-c/d0", &"a".repeat(80)] {
            assert!(is_valid_namespace(ok), "{ok}");
        }
        for bad in [
            "",
            "Acme",
            "/acme",
            "acme/",
            "a//b",
            "a.b",
            "a b",
            &"a".repeat(81),
        ] {
            assert!(!is_valid_namespace(bad), "{bad}");
        }
    }

    #[test]
    fn coverage_is_by_whole_segments() {
        assert!(covers("acme", "acme"));
        assert!(covers("acme", "acme/tools/x"));
        assert!(covers("acme/tools", "acme/tools/x"));
        assert!(!covers("acme", "acme-evil/x"));
        assert!(!covers("acme/tools", "acme/toolsx"));
        assert_eq!(prefixes("a/b/c"), vec!["a", "a/b", "a/b/c"]);
        let scopes = Scopes {
            namespaces: vec!["acme".into(), "acme/tools".into()],
            ..Scopes::default()
        };
        assert_eq!(
            scopes.namespace_covering("acme/tools/x"),
            Some("acme/tools")
        );
        assert_eq!(scopes.namespace_covering("other/x"), None);
    }
}

//! README, source links, implementation materials and the custom-code-bundle reference grammar.

use super::{Problems, index_path};
use crate::canonical::is_sha256_digest;
use crate::record::{ImplementationMaterial, SourceLink};

/// Largest README, bytes.
pub(crate) const MAX_README_BYTES: usize = 64 << 10;
/// Most source links.
pub(crate) const MAX_SOURCE_LINKS: usize = 8;
/// Most implementation materials.
pub(crate) const MAX_MATERIALS: usize = 8;
/// Longest link or material title, bytes.
pub(crate) const MAX_TITLE_BYTES: usize = 120;
/// Longest URL or reference, bytes.
pub(crate) const MAX_URL_BYTES: usize = 2048;

/// Versions a registry ref may not name: they move.
const FLOATING_VERSIONS: [&str; 7] = [
    "head", "latest", "main", "master", "stable", "trunk", "default",
];

pub(crate) fn check_readme(readme: &str, problems: &mut Problems) {
    if readme.len() > MAX_README_BYTES {
        problems.push(
            "readme_too_large",
            "readme",
            format!(
                "the README is {} bytes; the limit is {MAX_README_BYTES}",
                readme.len()
            ),
        );
    }
}

pub(crate) fn check_source_links(links: &[SourceLink], problems: &mut Problems) {
    if links.len() > MAX_SOURCE_LINKS {
        problems.push(
            "too_many_source_links",
            "source_links",
            format!(
                "{} source links; at most {MAX_SOURCE_LINKS} are allowed",
                links.len()
            ),
        );
    }
    for (i, link) in links.iter().enumerate() {
        let at = index_path("source_links", i);
        if link.title.is_empty() {
            problems.push(
                "invalid_source_link",
                format!("{at}.title"),
                "a source link needs a title",
            );
        } else if link.title.len() > MAX_TITLE_BYTES {
            problems.push(
                "invalid_source_link",
                format!("{at}.title"),
                format!(
                    "title is {} bytes; the limit is {MAX_TITLE_BYTES}",
                    link.title.len()
                ),
            );
        }
        if let Err(why) = check_http_url(&link.url) {
            problems.push("invalid_source_link", format!("{at}.url"), why);
        }
    }
}

/// An absolute `http` or `https` URL with a host, at most 2048 bytes, without whitespace or control characters.
fn check_http_url(url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Err("a source link needs a url".to_owned());
    }
    if url.len() > MAX_URL_BYTES {
        return Err(format!(
            "url is {} bytes; the limit is {MAX_URL_BYTES}",
            url.len()
        ));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("url may not contain whitespace or control characters".to_owned());
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{url:?} is not an absolute http:// or https:// URL"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return Err(format!("{url:?} has no host"));
    }
    Ok(())
}

pub(crate) fn check_materials(materials: &[ImplementationMaterial], problems: &mut Problems) {
    if materials.len() > MAX_MATERIALS {
        problems.push(
            "too_many_implementation_materials",
            "implementation_materials",
            format!(
                "{} implementation materials; at most {MAX_MATERIALS} are allowed",
                materials.len()
            ),
        );
    }
    for (i, material) in materials.iter().enumerate() {
        let at = index_path("implementation_materials", i);
        if material.title.len() > MAX_TITLE_BYTES {
            problems.push(
                "invalid_implementation_material",
                format!("{at}.title"),
                format!(
                    "title is {} bytes; the limit is {MAX_TITLE_BYTES}",
                    material.title.len()
                ),
            );
        }
        if material.reference.is_empty() {
            problems.push(
                "invalid_implementation_material",
                format!("{at}.ref"),
                "an implementation material needs a ref",
            );
        } else if let Err(why) = check_bundle_ref(&material.reference) {
            problems.push("invalid_bundle_ref", format!("{at}.ref"), why);
        }
        if !material.bundle_tree_sha256.is_empty()
            && !is_sha256_digest(&material.bundle_tree_sha256)
        {
            problems.push(
                "invalid_digest",
                format!("{at}.bundle_tree_sha256"),
                format!(
                    "{:?} is not sha256: followed by 64 lowercase hex digits",
                    material.bundle_tree_sha256
                ),
            );
        }
    }
}

/// Checks a custom-code-bundle reference: an immutable, digest-pinned pointer to code, one of
/// `git+https://host/path@<commit>#sha256:<hex>`, `registry://<name>@<version>#sha256:<hex>`,
/// `object+https://host/path#sha256:<hex>` or `object+s3://<bucket>/<key>#sha256:<hex>`.
pub fn check_bundle_ref(reference: &str) -> Result<(), String> {
    let r = reference.trim();
    if r.len() > MAX_URL_BYTES {
        return Err(format!(
            "ref is {} bytes; the limit is {MAX_URL_BYTES}",
            r.len()
        ));
    }
    if let Some(c) = r
        .chars()
        .find(|&c| c.is_whitespace() || c.is_control() || "<>\"'`{}|^\\".contains(c))
    {
        return Err(format!("ref may not contain {c:?}"));
    }
    let (base, fragment) = r
        .split_once('#')
        .ok_or("ref must end with a #sha256:<64 hex> content digest")?;
    if !is_sha256_digest(fragment) {
        return Err("ref must end with a #sha256:<64 lowercase hex> content digest".to_owned());
    }
    if r.contains("..") {
        return Err("ref may not contain '..'".to_owned());
    }
    if base.contains('?') {
        return Err("ref may not carry a query".to_owned());
    }
    let (scheme, rest) = base
        .split_once("://")
        .ok_or("ref must start with a scheme such as git+https://")?;
    match scheme {
        "git+https" => {
            let (location, commit) = rest
                .rsplit_once('@')
                .ok_or("a git ref must pin a commit: git+https://host/path@<commit>")?;
            if !(40..=64).contains(&commit.len()) || !commit.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return Err(
                    "a git ref must pin a full commit hash (40 to 64 hex digits)".to_owned(),
                );
            }
            check_host_path(location)
        }
        "object+https" => check_host_path(rest),
        "object+s3" => {
            let (bucket, key) = rest
                .split_once('/')
                .ok_or("an s3 ref needs a bucket and a key")?;
            if bucket.is_empty()
                || !bucket
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            {
                return Err(format!("{bucket:?} is not an s3 bucket name"));
            }
            check_segments(key)
        }
        "registry" => {
            let (name, version) = rest
                .rsplit_once('@')
                .ok_or("a registry ref needs <name>@<version>")?;
            let name_ok = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-'));
            let version_ok = !version.is_empty()
                && version
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'));
            if !name_ok || !version_ok {
                return Err(
                    "a registry ref is registry://<name>@<version> with plain names".to_owned(),
                );
            }
            if FLOATING_VERSIONS
                .iter()
                .any(|f| f.eq_ignore_ascii_case(version))
            {
                return Err(format!("{version:?} moves; pin an exact version"));
            }
            Ok(())
        }
        other => Err(format!(
            "scheme {other:?} is not one of git+https, registry, object+https, object+s3"
        )),
    }
}

/// `host/path…` with no user info and well-formed path segments.
fn check_host_path(rest: &str) -> Result<(), String> {
    let (host, path) = rest.split_once('/').ok_or("ref needs a host and a path")?;
    if host.is_empty() || host.contains('@') {
        return Err("ref needs a plain host, without user info".to_owned());
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
    {
        return Err(format!("{host:?} is not a host name"));
    }
    check_segments(path)
}

fn check_segments(path: &str) -> Result<(), String> {
    for segment in path.split('/') {
        let mut bytes = segment.bytes();
        let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
        let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || b"._~+=,@-".contains(&b));
        if !first_ok || !rest_ok {
            return Err(format!(
                "path segment {segment:?} is empty or has characters outside [A-Za-z0-9._~+=,@-]"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn bundle_refs() {
        let commit = "a".repeat(40);
        for good in [
            format!("git+https://github.com/org/repo@{commit}#sha256:{H}"),
            format!("registry://anip/build-pack@1.2.3#sha256:{H}"),
            format!("object+https://cdn.example.com/bundles/x.tar.gz#sha256:{H}"),
            format!("object+s3://my-bucket/path/x.tgz#sha256:{H}"),
        ] {
            assert_eq!(check_bundle_ref(&good), Ok(()), "{good}");
        }
        for bad in [
            format!("git+https://github.com/org/repo#sha256:{H}"),
            format!("git+https://github.com/org/repo@main#sha256:{H}"),
            format!("git+https://user@github.com/org/repo@{commit}#sha256:{H}"),
            format!("registry://anip/pack@latest#sha256:{H}"),
            "registry://anip/pack@1.0.0".to_owned(),
            format!("object+https://cdn.example.com/a/../b#sha256:{H}"),
            format!("object+https://cdn.example.com/a//b#sha256:{H}"),
            format!("object+https://cdn.example.com/a?x=1#sha256:{H}"),
            format!("https://cdn.example.com/a#sha256:{H}"),
            format!("object+https://cdn.example.com/a b#sha256:{H}"),
            format!(
                "object+https://cdn.example.com/a#sha256:{}",
                H.to_uppercase()
            ),
            format!("object+https://cdn.example.com/<a>#sha256:{H}"),
        ] {
            assert!(check_bundle_ref(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn http_urls() {
        assert!(check_http_url("https://anip.dev/docs").is_ok());
        assert!(check_http_url("http://localhost:8080").is_ok());
        for bad in [
            "",
            "ftp://x/y",
            "https://",
            "https:///path",
            "/relative",
            "https://a b",
            "javascript:alert(1)",
        ] {
            assert!(check_http_url(bad).is_err(), "{bad}");
        }
    }
}

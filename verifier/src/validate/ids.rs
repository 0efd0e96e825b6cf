//! Package and template ids (lowercase, optionally one namespace) and strict SemVer 2.0 versions.

use super::Problems;

/// The longest id, in bytes.
pub(super) const MAX_ID_LEN: usize = 128;
/// The longest version, in bytes.
pub(super) const MAX_VERSION_LEN: usize = 128;

fn is_id_part(part: &str) -> bool {
    let mut bytes = part.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
}

/// Whether `id` is `[a-z0-9][a-z0-9._-]*`, optionally as `namespace/name`, at most 128 bytes.
pub fn is_valid_artifact_id(id: &str) -> bool {
    if id.len() > MAX_ID_LEN {
        return false;
    }
    match id.split_once('/') {
        Some((namespace, name)) => is_id_part(namespace) && is_id_part(name),
        None => is_id_part(id),
    }
}

/// Records a problem unless `id` is a valid package or template id.
pub fn check_artifact_id(field: &str, id: &str, problems: &mut Problems) {
    if id.is_empty() {
        problems.push("missing_field", field, format!("{field} is required"));
    } else if !is_valid_artifact_id(id) {
        problems.push(
            "invalid_id",
            field,
            format!(
                "{id:?} is not a valid id: lowercase letters, digits, '.', '_' and '-', starting with a letter or \
                 digit, optionally one 'namespace/' prefix, at most {MAX_ID_LEN} bytes"
            ),
        );
    }
}

fn is_numeric_identifier(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Whether `version` is a strict SemVer 2.0 version (`1.2.3`, `1.2.3-rc.1+build.5`), at most 128 bytes.
pub fn is_valid_version(version: &str) -> bool {
    if version.len() > MAX_VERSION_LEN {
        return false;
    }
    let (rest, build) = match version.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (version, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let mut parts = core.split('.');
    let core_ok =
        (0..3).all(|_| parts.next().is_some_and(is_numeric_identifier)) && parts.next().is_none();
    let pre_ok = pre.is_none_or(|pre| {
        pre.split('.').all(|id| {
            is_identifier(id)
                && (!id.bytes().all(|b| b.is_ascii_digit()) || is_numeric_identifier(id))
        })
    });
    let build_ok = build.is_none_or(|build| build.split('.').all(is_identifier));
    core_ok && pre_ok && build_ok
}

/// Records a problem unless `version` is strict SemVer 2.0.
pub fn check_version(field: &str, version: &str, problems: &mut Problems) {
    if version.is_empty() {
        problems.push("missing_field", field, format!("{field} is required"));
    } else if !is_valid_version(version) {
        problems.push(
            "invalid_version",
            field,
            format!("{version:?} is not a SemVer 2.0 version such as 1.4.0 or 2.0.0-rc.1"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for good in [
            "a",
            "work-item",
            "gtm-pipeline-q2-review",
            "anip/foo",
            "a.b_c-d",
            "0day",
        ] {
            assert!(is_valid_artifact_id(good), "{good}");
        }
        for bad in [
            "",
            "../x",
            "A Capital",
            "x@1",
            "latest/",
            "/x",
            "a/b/c",
            "-a",
            ".a",
            "a//b",
            "é",
            "a b",
            "ns/.hidden",
            "ns/..",
        ] {
            assert!(!is_valid_artifact_id(bad), "{bad}");
        }
        assert!(is_valid_artifact_id(&"a".repeat(128)));
        assert!(!is_valid_artifact_id(&"a".repeat(129)));
    }

    #[test]
    fn versions() {
        for good in [
            "0.0.0",
            "1.2.3",
            "10.20.30",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-0.3.7",
            "1.0.0+20130313144700",
            "1.0.0-beta+exp.sha.5114f85",
            "1.0.0-x-y-z.--",
        ] {
            assert!(is_valid_version(good), "{good}");
        }
        for bad in [
            "",
            "latest",
            "1",
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.02.3",
            "1.2.03",
            "1.2.3-",
            "1.2.3-01",
            "1.2.3+",
            "1.2.3-a..b",
            "v1.2.3",
            " 1.2.3",
            "1.2.3-é",
            "1.2.3+a+b",
        ] {
            assert!(!is_valid_version(bad), "{bad}");
        }
    }
}

//! Package and template ids (lowercase, optionally in nested namespaces as ANIP's) and SemVer 2.0 versions (through [`crate::version`]).

use super::Problems;
use crate::version::{MAX_VERSION_LEN, VersionError};

/// The longest id, in bytes.
pub(super) const MAX_ID_LEN: usize = 128;

fn is_id_part(part: &str) -> bool {
    let mut bytes = part.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
}

/// Whether `id` is `[a-z0-9][a-z0-9._-]*`, optionally under namespaces (`acme/name`, `acme/tools/name`: every
/// `/`-separated segment of that form), at most 128 bytes.
pub fn is_valid_artifact_id(id: &str) -> bool {
    if id.len() > MAX_ID_LEN {
        return false;
    }
    id.split('/').all(is_id_part)
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
                 digit, optionally under 'namespace/' prefixes (nested ones too), at most {MAX_ID_LEN} bytes"
            ),
        );
    }
}

/// Whether `version` is a SemVer 2.0.0 version (`1.2.3`, `1.2.3-rc.1+build.5`) of at most 128 bytes whose core
/// numbers fit in a `u64` (see [`crate::version`], the one parser).
pub fn is_valid_version(version: &str) -> bool {
    crate::version::is_valid(version)
}

/// Records a problem unless `version` is a valid version: `missing_field` when empty, `version_out_of_range` when a
/// core number passes `u64::MAX`, else `invalid_version`.
pub fn check_version(field: &str, version: &str, problems: &mut Problems) {
    match crate::version::parse(version) {
        Ok(_) => {}
        Err(VersionError::Empty) => {
            problems.push("missing_field", field, format!("{field} is required"))
        }
        Err(e @ VersionError::OutOfRange(_)) => problems.push(
            e.code(),
            field,
            format!("{version:?} has a major, minor or patch number larger than {}", u64::MAX),
        ),
        Err(e) => problems.push(
            e.code(),
            field,
            format!(
                "{version:?} is not a SemVer 2.0 version such as 1.4.0 or 2.0.0-rc.1 (at most {MAX_VERSION_LEN} bytes)"
            ),
        ),
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
            "acme/tools/superset",
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
            "a/b/",
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
            "1.0.0+001",
            "1.0.0-0a.00b",
            "18446744073709551615.0.0",
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
            "1.2.3 ",
            "1.2.3-a.01",
            "18446744073709551616.0.0",
        ] {
            assert!(!is_valid_version(bad), "{bad}");
        }
        assert!(is_valid_version(&format!("1.0.0-{}", "a".repeat(122))));
        assert!(!is_valid_version(&format!("1.0.0-{}", "a".repeat(123))));
        let mut problems = Problems::new();
        check_version("package_version", "18446744073709551616.0.0", &mut problems);
        check_version("template_version", "1.02.0", &mut problems);
        let got: Vec<_> = problems
            .as_slice()
            .iter()
            .map(|p| (p.code, p.path.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("version_out_of_range", "package_version"),
                ("invalid_version", "template_version")
            ]
        );
    }
}

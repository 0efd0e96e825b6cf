//! SemVer 2.0.0 versions: the one parser and the one order, everywhere (validation, ordering, "latest", the UI).
//!
//! Parsing and precedence come from the `semver` crate (pinned exactly, since its verdicts become ours). It follows
//! the SemVer 2.0.0 grammar as strictly as the grammar itself — no leading zeros in the core numbers or in numeric
//! pre-release identifiers, no empty identifiers, ASCII `[0-9A-Za-z-]` only, no `v` prefix or spaces, leading zeros
//! allowed in build metadata as the grammar allows — with one limit the grammar does not have: the major, minor and
//! patch numbers must fit in a `u64`. A larger number is refused with its own code ([`VersionError::OutOfRange`])
//! rather than accepted and ordered as text. On top of the crate this module adds ANIP's bound of
//! [`MAX_VERSION_LEN`] bytes.

use std::cmp::Ordering;

pub use semver::{BuildMetadata, Prerelease, Version, VersionReq};

/// The longest version, in bytes.
pub const MAX_VERSION_LEN: usize = 128;

/// Why a text is not a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionError {
    /// The text is empty.
    Empty,
    /// The text is longer than [`MAX_VERSION_LEN`] bytes.
    TooLong,
    /// A major, minor or patch number is larger than `u64::MAX`.
    OutOfRange(String),
    /// The text does not follow the SemVer 2.0.0 grammar; the words say where.
    Invalid(String),
}

impl VersionError {
    /// The stable code: `missing_field`, `invalid_version` or `version_out_of_range`.
    pub fn code(&self) -> &'static str {
        match self {
            VersionError::Empty => "missing_field",
            VersionError::TooLong | VersionError::Invalid(_) => "invalid_version",
            VersionError::OutOfRange(_) => "version_out_of_range",
        }
    }
}

impl std::fmt::Display for VersionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionError::Empty => f.write_str("the version is empty"),
            VersionError::TooLong => {
                write!(f, "the version is longer than {MAX_VERSION_LEN} bytes")
            }
            VersionError::OutOfRange(words) | VersionError::Invalid(words) => f.write_str(words),
        }
    }
}

/// Parses a SemVer 2.0.0 version (`1.2.3`, `1.2.3-rc.1+build.5`) of at most [`MAX_VERSION_LEN`] bytes.
pub fn parse(text: &str) -> Result<Version, VersionError> {
    if text.is_empty() {
        return Err(VersionError::Empty);
    }
    if text.len() > MAX_VERSION_LEN {
        return Err(VersionError::TooLong);
    }
    Version::parse(text).map_err(|e| {
        let words = e.to_string();
        // `semver` reports an overflow as "value of <part> exceeds u64::MAX" (pinned; a unit test holds it).
        if words.contains("exceeds u64::MAX") {
            VersionError::OutOfRange(words)
        } else {
            VersionError::Invalid(words)
        }
    })
}

/// Whether `text` is a version [`parse`] accepts.
pub fn is_valid(text: &str) -> bool {
    parse(text).is_ok()
}

/// The text that versions of equal precedence share: the version without its build metadata (`1.0.0-rc.1+b7` →
/// `1.0.0-rc.1`). Two valid versions have equal precedence exactly when their keys are equal, because a valid
/// version has one spelling of each number. `None` for a text that is not a version.
pub fn precedence_key(text: &str) -> Option<String> {
    let mut version = parse(text).ok()?;
    version.build = semver::BuildMetadata::EMPTY;
    Some(version.to_string())
}

/// Parses a SemVer requirement (`^1.2`, `~1.4.0`, `>=1.0.0, <2.0.0`, `=1.2.3`, `*`) with the same pinned crate.
pub fn parse_requirement(text: &str) -> Result<VersionReq, VersionError> {
    if text.trim().is_empty() {
        return Err(VersionError::Empty);
    }
    if text.len() > MAX_VERSION_LEN {
        return Err(VersionError::TooLong);
    }
    VersionReq::parse(text).map_err(|e| VersionError::Invalid(e.to_string()))
}

/// Orders two version texts by SemVer precedence, then by build metadata, so the order is total and stable. Texts
/// that are not versions sort below every version, and among themselves as text.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Ok(x), Ok(y)) => x.cmp_precedence(&y).then_with(|| x.cmp(&y)),
        (Ok(_), Err(_)) => Ordering::Greater,
        (Err(_), Ok(_)) => Ordering::Less,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_has_its_own_code() {
        for text in [
            "18446744073709551616.0.0",
            "0.18446744073709551616.0",
            "0.0.18446744073709551616",
            "99999999999999999999999.0.0-rc.1",
        ] {
            assert_eq!(
                parse(text).unwrap_err().code(),
                "version_out_of_range",
                "{text}"
            );
        }
        assert!(is_valid("18446744073709551615.0.0"));
        // Numeric pre-release identifiers have no bound in SemVer 2.0.0 and none here.
        assert!(is_valid("1.0.0-18446744073709551616"));
    }

    #[test]
    fn precedence() {
        let mut versions = [
            "1.0.0",
            "1.0.0-rc.1",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "2.0.0",
            "1.10.0",
            "1.9.0",
            "not-a-version",
        ];
        versions.sort_by(|a, b| compare(a, b));
        assert_eq!(
            versions,
            [
                "not-a-version",
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-alpha.beta",
                "1.0.0-beta",
                "1.0.0-beta.2",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0",
                "1.9.0",
                "1.10.0",
                "2.0.0",
            ]
        );
        assert_eq!(precedence_key("1.0.0+a").as_deref(), Some("1.0.0"));
        assert_eq!(
            precedence_key("1.0.0-rc.1+b.7").as_deref(),
            Some("1.0.0-rc.1")
        );
        assert_eq!(precedence_key("1.0.0"), precedence_key("1.0.0+b"));
        assert_eq!(precedence_key("1.0"), None);
        assert_eq!(compare("1.0.0+a", "1.0.0+b"), Ordering::Less);
    }
}

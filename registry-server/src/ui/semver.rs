//! SemVer 2.0 precedence, for picking a package's latest version and ordering its versions.

use std::cmp::Ordering;

/// Compares two versions by SemVer 2.0 precedence (build metadata ignored). Versions that do not parse sort below
/// every version that does, and among themselves by text, so the order is total.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x
            .core
            .cmp(&y.core)
            .then_with(|| compare_pre(&x.pre, &y.pre))
            .then_with(|| a.cmp(b)),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => a.cmp(b),
    }
}

struct Version<'a> {
    core: (u64, u64, u64),
    pre: Vec<&'a str>,
}

fn parse(text: &str) -> Option<Version<'_>> {
    let text = text.split_once('+').map_or(text, |(v, _)| v);
    let (core, pre) = match text.split_once('-') {
        Some((core, pre)) => (core, pre.split('.').collect()),
        None => (text, Vec::new()),
    };
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let version = Version {
        core: (parts.next()??, parts.next()??, parts.next()??),
        pre,
    };
    parts.next().is_none().then_some(version)
}

/// A release ranks above its pre-releases; identifiers compare numerically when both are numbers, numbers rank
/// below text, and a longer list wins when one is a prefix of the other.
fn compare_pre(a: &[&str], b: &[&str]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    for (x, y) in a.iter().zip(b) {
        let order = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_follows_the_spec() {
        // The example chain of SemVer 2.0 §11.
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.2.0",
            "1.10.0",
            "2.0.0",
        ];
        for pair in chain.windows(2) {
            assert_eq!(compare(pair[0], pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(compare(pair[1], pair[0]), Ordering::Greater, "{pair:?}");
        }
        assert_eq!(compare("1.0.0", "1.0.0"), Ordering::Equal);
        assert_eq!(compare("not-a-version", "0.0.1"), Ordering::Less);
    }
}

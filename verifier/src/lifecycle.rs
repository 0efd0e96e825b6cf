//! The lifecycle states of a package version (reference §5.2) and the rules that hang on them, in one place: which
//! states a client may use, which count as a current release, which need a reason. On the wire a state is its
//! lowercase name (`"active"`, `"superseded"`, `"deprecated"`, `"yanked"`, `"takedown"`); a name this registry
//! does not know (another registry's extension) is kept as it is and allows nothing.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A lifecycle state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum LifecycleStatus {
    /// In use (also what a record without a status means).
    #[default]
    Active,
    /// A newer version replaces it; still usable.
    Superseded,
    /// Discouraged; still usable.
    Deprecated,
    /// Withdrawn: downloads and locks refused unless a client explicitly allows yanked versions.
    Yanked,
    /// Removed by the registry: contents no longer served.
    Takedown,
    /// A state this registry does not know, as spelt.
    Other(String),
}

impl LifecycleStatus {
    /// The states this registry sets, in order.
    pub const KNOWN: [LifecycleStatus; 5] = [
        LifecycleStatus::Active,
        LifecycleStatus::Superseded,
        LifecycleStatus::Deprecated,
        LifecycleStatus::Yanked,
        LifecycleStatus::Takedown,
    ];

    /// The state named `name` (`""` is `active`, as a record without a status means).
    pub fn parse(name: &str) -> Self {
        match name {
            "active" | "" => LifecycleStatus::Active,
            "superseded" => LifecycleStatus::Superseded,
            "deprecated" => LifecycleStatus::Deprecated,
            "yanked" => LifecycleStatus::Yanked,
            "takedown" => LifecycleStatus::Takedown,
            other => LifecycleStatus::Other(other.to_owned()),
        }
    }

    /// Its wire name.
    pub fn as_str(&self) -> &str {
        match self {
            LifecycleStatus::Active => "active",
            LifecycleStatus::Superseded => "superseded",
            LifecycleStatus::Deprecated => "deprecated",
            LifecycleStatus::Yanked => "yanked",
            LifecycleStatus::Takedown => "takedown",
            LifecycleStatus::Other(name) => name,
        }
    }

    /// Whether this is one of the states this registry sets.
    pub fn is_known(&self) -> bool {
        !matches!(self, LifecycleStatus::Other(_))
    }

    /// Whether the version counts as a current release (`active`, `superseded`, `deprecated`): usable without
    /// asking, and eligible as a package's latest version.
    pub fn is_current(&self) -> bool {
        matches!(
            self,
            LifecycleStatus::Active | LifecycleStatus::Superseded | LifecycleStatus::Deprecated
        )
    }

    /// Whether `/download` and `/lock` serve the version (`yanked` only when the client allows it).
    pub fn is_usable(&self, allow_yanked: bool) -> bool {
        self.is_current() || (allow_yanked && *self == LifecycleStatus::Yanked)
    }

    /// Whether setting this state needs a reason (every state but `active`).
    pub fn needs_reason(&self) -> bool {
        *self != LifecycleStatus::Active
    }
}

impl fmt::Display for LifecycleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for LifecycleStatus {
    fn from(name: &str) -> Self {
        LifecycleStatus::parse(name)
    }
}

impl From<String> for LifecycleStatus {
    fn from(name: String) -> Self {
        LifecycleStatus::parse(&name)
    }
}

impl Serialize for LifecycleStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for LifecycleStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(LifecycleStatus::parse(&String::deserialize(deserializer)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for status in LifecycleStatus::KNOWN {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(
                serde_json::from_str::<LifecycleStatus>(&json).unwrap(),
                status
            );
        }
        let other: LifecycleStatus = serde_json::from_str("\"archived\"").unwrap();
        assert_eq!(other, LifecycleStatus::Other("archived".into()));
        assert_eq!(serde_json::to_string(&other).unwrap(), "\"archived\"");
        assert_eq!(LifecycleStatus::parse(""), LifecycleStatus::Active);
    }

    #[test]
    fn rules() {
        use LifecycleStatus::*;
        let usable: Vec<bool> = LifecycleStatus::KNOWN
            .iter()
            .map(|s| s.is_usable(false))
            .collect();
        assert_eq!(usable, [true, true, true, false, false]);
        assert!(Yanked.is_usable(true) && !Takedown.is_usable(true));
        assert!(!Other("archived".into()).is_usable(true));
        assert!(!Active.needs_reason() && Yanked.needs_reason());
    }
}

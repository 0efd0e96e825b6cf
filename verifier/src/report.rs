//! Verification reports: a list of named checks, each passed, failed or warned, with a detail that says why.

use serde::Serialize;

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// The check holds.
    Pass,
    /// The check does not hold.
    Fail,
    /// The check holds with a caveat worth a person's attention.
    Warn,
}

/// One named check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable snake_case name, such as `manifest_digest_matches`.
    pub name: String,
    /// Outcome.
    pub status: CheckStatus,
    /// What was compared, or what differs.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// An ordered list of checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Checks(pub Vec<Check>);

impl Checks {
    /// Records a check.
    pub fn push(&mut self, name: &str, status: CheckStatus, detail: impl Into<String>) {
        self.0.push(Check {
            name: name.to_owned(),
            status,
            detail: detail.into(),
        });
    }

    /// Records a pass.
    pub fn pass(&mut self, name: &str, detail: impl Into<String>) {
        self.push(name, CheckStatus::Pass, detail);
    }

    /// Records a failure.
    pub fn fail(&mut self, name: &str, detail: impl Into<String>) {
        self.push(name, CheckStatus::Fail, detail);
    }

    /// Records a warning.
    pub fn warn(&mut self, name: &str, detail: impl Into<String>) {
        self.push(name, CheckStatus::Warn, detail);
    }

    /// Records a pass or a failure.
    pub fn check(&mut self, name: &str, ok: bool, detail: impl Into<String>) {
        let status = if ok {
            CheckStatus::Pass
        } else {
            CheckStatus::Fail
        };
        self.push(name, status, detail);
    }

    /// Whether no check failed.
    pub fn all_passed(&self) -> bool {
        self.0.iter().all(|c| c.status != CheckStatus::Fail)
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.0.iter().filter(|c| c.status == CheckStatus::Fail)
    }

    /// The check with this name.
    pub fn get(&self, name: &str) -> Option<&Check> {
        self.0.iter().find(|c| c.name == name)
    }
}

//! The command line's one error type and its exit codes: 0 success, 1 could not run, 2 a trust or rule check
//! failed, 3 the registry's transparency log forked (a checkpoint not provably consistent with one seen before),
//! 64 a usage error (a bad flag or argument; `EX_USAGE` of sysexits.h). A panic is reported as exit 1.

use serde::Serialize;

/// Exit code when a trust or rule check failed.
pub const EXIT_CHECK_FAILED: u8 = 2;
/// Exit code when the command could not run.
pub const EXIT_COULD_NOT_RUN: u8 = 1;
/// Exit code when the registry's log forked.
pub const EXIT_FORK: u8 = 3;
/// Exit code of a usage error (unknown flag, missing argument, bad value): `EX_USAGE`.
pub const EXIT_USAGE: u8 = 64;

/// One problem under an error's headline: what is wrong and, when known, where (a JSON path) and its stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable snake_case code (empty when none).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub code: String,
    /// JSON path of the value, such as `manifest.anip_spec_version` (empty when none).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// What is wrong, in words.
    pub message: String,
}

impl Problem {
    /// A problem with only words.
    pub fn text(message: impl Into<String>) -> Self {
        Problem {
            code: String::new(),
            path: String::new(),
            message: message.into(),
        }
    }

    /// `path: message [code]`, or `code: message` without a path, or the message alone.
    pub fn line(&self) -> String {
        match (self.path.is_empty(), self.code.is_empty()) {
            (false, false) => format!("{}: {} [{}]", self.path, self.message, self.code),
            (false, true) => format!("{}: {}", self.path, self.message),
            (true, false) => format!("{}: {}", self.code, self.message),
            (true, true) => self.message.clone(),
        }
    }
}

impl From<&verifier::validate::Problem> for Problem {
    fn from(p: &verifier::validate::Problem) -> Self {
        Problem {
            code: p.code.to_owned(),
            path: p.path.clone(),
            message: p.message.clone(),
        }
    }
}

/// A failure with a headline, a stable code and a list of problems (one per line when printed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The exit code: [`EXIT_CHECK_FAILED`] or [`EXIT_COULD_NOT_RUN`].
    pub exit: u8,
    /// Stable snake_case code (`invalid_package`, `version_exists`, `lock_mismatch`, …).
    pub code: String,
    /// One line saying what failed.
    pub headline: String,
    /// Each problem, printed on its own line.
    pub problems: Vec<Problem>,
}

/// Why a command did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A trust check failed (exit 2); the report has already been printed.
    #[error("{0}")]
    CheckFailed(String),
    /// The registry's transparency log forked (exit 3): the evidence (both signed checkpoints and the failed
    /// proof) has already been printed.
    #[error("{0}")]
    Fork(String),
    /// The command could not run (exit 1): bad input, unreachable registry, a malformed answer.
    #[error("{0}")]
    CouldNotRun(String),
    /// A failure with problems listed one per line (exit 1 or 2, per [`Failure::exit`]).
    #[error("{}", .0.headline)]
    Detailed(Box<Failure>),
    /// A usage error (exit 64): what clap or a command found wrong with the arguments.
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// A check that failed with `problems` (exit 2).
    pub fn check_failed(code: &str, headline: impl Into<String>, problems: Vec<Problem>) -> Self {
        Self::detailed(EXIT_CHECK_FAILED, code, headline, problems)
    }

    /// A command that could not run, with `problems` (exit 1).
    pub fn could_not_run(code: &str, headline: impl Into<String>, problems: Vec<Problem>) -> Self {
        Self::detailed(EXIT_COULD_NOT_RUN, code, headline, problems)
    }

    fn detailed(exit: u8, code: &str, headline: impl Into<String>, problems: Vec<Problem>) -> Self {
        CliError::Detailed(Box::new(Failure {
            exit,
            code: code.to_owned(),
            headline: headline.into(),
            problems,
        }))
    }

    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::CheckFailed(_) => EXIT_CHECK_FAILED,
            CliError::Fork(_) => EXIT_FORK,
            CliError::CouldNotRun(_) => EXIT_COULD_NOT_RUN,
            CliError::Detailed(failure) => failure.exit,
            CliError::Usage(_) => EXIT_USAGE,
        }
    }

    /// The stable code of the `--format json` error document.
    pub fn code(&self) -> &str {
        match self {
            CliError::CheckFailed(_) => "check_failed",
            CliError::Fork(_) => "log_fork",
            CliError::CouldNotRun(_) => "could_not_run",
            CliError::Detailed(failure) => &failure.code,
            CliError::Usage(_) => "usage_error",
        }
    }

    /// The headline (first line of the message).
    pub fn headline(&self) -> String {
        match self {
            CliError::Detailed(failure) => failure.headline.clone(),
            CliError::Fork(evidence) => evidence.lines().next().unwrap_or_default().to_owned(),
            other => other.to_string(),
        }
    }

    /// The problems listed under the headline (a fork's evidence: one line each, so that the signed checkpoints
    /// and the failed proof print as they are).
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            CliError::Detailed(failure) => failure.problems.clone(),
            CliError::Fork(evidence) => evidence.lines().skip(1).map(Problem::text).collect(),
            _ => Vec::new(),
        }
    }

    /// The `--format json` error document: `{"error", "code", "exit_code", "problems": [...]}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": self.headline(),
            "code": self.code(),
            "exit_code": self.exit_code(),
            "problems": self.problems(),
        })
    }
}

impl From<verifier::FormatError> for CliError {
    fn from(e: verifier::FormatError) -> Self {
        CliError::CouldNotRun(e.to_string())
    }
}

impl From<verifier::Error> for CliError {
    fn from(e: verifier::Error) -> Self {
        CliError::CouldNotRun(e.to_string())
    }
}

/// The crate's result type.
pub type Result<T, E = CliError> = std::result::Result<T, E>;

//! The command line's one error type and its exit codes: 2 when a trust check failed, 3 when the registry's log
//! forked (a checkpoint not provably consistent with one seen before), 1 when it could not run.

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
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::CheckFailed(_) => 2,
            CliError::Fork(_) => 3,
            CliError::CouldNotRun(_) => 1,
        }
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

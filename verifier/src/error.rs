//! The crate's one error type, layered by concern: format, digest, signature, policy.

use std::fmt;

/// Every failure the trust core reports. Each variant is one concern and carries what failed and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input is not well-formed: bad JSON, a wrong type, a malformed key, signature or lock.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// A digest recomputed from content differs from the one claimed.
    #[error(transparent)]
    Digest(#[from] DigestError),
    /// A signature could not be checked or did not verify.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Well-formed input that a trust rule refuses (an unsupported version, a mismatched lock).
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A transparency-log object (entry, checkpoint, cosignature, tile path, proof, policy) is malformed or does not
    /// verify.
    #[error(transparent)]
    Log(#[from] LogError),
}

impl Error {
    /// A stable snake_case code for this error, suitable for API envelopes and JSON reports.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Format(e) => e.kind.code(),
            Error::Digest(_) => "digest_mismatch",
            Error::Signature(e) => e.code(),
            Error::Policy(e) => e.code,
            Error::Log(e) => e.code(),
        }
    }
}

/// What kind of format problem was found; each has a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatKind {
    /// Not valid JSON syntax.
    Json,
    /// Bytes after the single top-level JSON value.
    TrailingData,
    /// An object names the same key twice.
    DuplicateKey,
    /// An integer literal outside ±2^53, which IEEE-754 doubles cannot carry exactly.
    NumberOutOfRange,
    /// A string that is not valid UTF-8 or escapes a lone surrogate.
    InvalidUtf8,
    /// Nesting deeper than the reader allows.
    TooDeep,
    /// A value of the wrong JSON type, or a required value that is missing.
    WrongType,
    /// A field whose text does not follow its grammar (key id, base64, digest, signature string).
    Invalid,
    /// A key that differs from a known field only in case, which ANIP's decoder would read as that field.
    AmbiguousKey,
    /// A key that names no field of a body whose fields are all ours (`deny_unknown_fields`).
    UnknownField,
}

impl FormatKind {
    /// The stable code of this kind.
    pub fn code(self) -> &'static str {
        match self {
            FormatKind::Json => "invalid_json",
            FormatKind::TrailingData => "trailing_data",
            FormatKind::DuplicateKey => "duplicate_key",
            FormatKind::NumberOutOfRange => "number_out_of_range",
            FormatKind::InvalidUtf8 => "invalid_utf8",
            FormatKind::TooDeep => "too_deep",
            FormatKind::WrongType => "wrong_type",
            FormatKind::Invalid => "invalid_format",
            FormatKind::AmbiguousKey => "ambiguous_key",
            FormatKind::UnknownField => "unknown_field",
        }
    }
}

/// Input that is not well-formed, with the place (`at`: a JSON path, a byte offset or a field name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// The kind of problem.
    pub kind: FormatKind,
    /// Where: a JSON path such as `$.manifest.lineage`, or a field or flag name.
    pub at: String,
    /// What is wrong, in words.
    pub message: String,
}

impl FormatError {
    /// A format error of `kind` at `at`.
    pub fn new(kind: FormatKind, at: impl Into<String>, message: impl Into<String>) -> Self {
        FormatError {
            kind,
            at: at.into(),
            message: message.into(),
        }
    }

    /// A field that does not follow its grammar.
    pub fn invalid(at: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(FormatKind::Invalid, at, message)
    }

    /// A value of the wrong type or a missing value.
    pub fn wrong_type(at: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(FormatKind::WrongType, at, message)
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

impl std::error::Error for FormatError {}

/// A digest that does not match the content it claims to cover.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: expected {expected}, computed {actual}")]
pub struct DigestError {
    /// Which digest (`definition_digest`, `manifest_digest`, …).
    pub field: String,
    /// The value claimed by the record, lock or bundle.
    pub expected: String,
    /// The value computed from the content.
    pub actual: String,
}

/// Why a signature could not be checked or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signature string is not `ed25519:<key_id>:<base64 of 64 bytes>`.
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// The algorithm named is not Ed25519.
    #[error("unsupported signature algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// No trusted key has the signature's key id.
    #[error("no trusted key with id {0:?}")]
    UnknownKey(String),
    /// The signature does not verify over the bytes it is said to cover.
    #[error("signature does not verify: {0}")]
    Invalid(String),
}

impl SignatureError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::Malformed(_) => "malformed_signature",
            SignatureError::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            SignatureError::UnknownKey(_) => "unknown_key",
            SignatureError::Invalid(_) => "invalid_signature",
        }
    }
}

/// Well-formed input that a trust rule refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    /// Stable code of the rule, such as `unsupported_lock_version`.
    pub code: &'static str,
    /// What the rule says about this input.
    pub message: String,
}

impl PolicyError {
    /// A refusal by the rule `code`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        PolicyError {
            code,
            message: message.into(),
        }
    }
}

/// Why a transparency-log object was refused. Each variant has a stable code ([`LogError::code`]) and says what
/// failed in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    /// An entry is not a well-formed canonical log entry (`invalid_log_entry`).
    #[error("invalid log entry: {0}")]
    InvalidEntry(String),
    /// An entry is 64 KiB or longer (`log_entry_too_large`); the byte length is carried.
    #[error("log entry is {0} bytes; entries must stay under 65536 bytes")]
    EntryTooLarge(usize),
    /// An entry bundle is truncated, has a bad length prefix or holds a different count (`invalid_entry_bundle`).
    #[error("invalid entry bundle: {0}")]
    InvalidBundle(String),
    /// A signed note or checkpoint body is malformed (`invalid_checkpoint`).
    #[error("invalid checkpoint: {0}")]
    InvalidCheckpoint(String),
    /// A note verifier key, cosigner key or origin is malformed (`invalid_log_key`).
    #[error("invalid log key: {0}")]
    InvalidKey(String),
    /// No signature on the checkpoint is from a trusted log key (`unverified_checkpoint`).
    #[error("checkpoint is not signed by a trusted log key: {0}")]
    UnverifiedCheckpoint(String),
    /// A signature from a trusted key does not verify (`checkpoint_signature_invalid`).
    #[error("checkpoint signature does not verify: {0}")]
    BadSignature(String),
    /// The checkpoint's origin is not the expected log's (`origin_mismatch`).
    #[error("checkpoint origin {found:?} is not the expected {expected:?}")]
    OriginMismatch {
        /// The origin the trust configuration names.
        expected: String,
        /// The origin line of the checkpoint.
        found: String,
    },
    /// A C2SP tile or entry-bundle path does not follow the grammar (`invalid_tile_path`).
    #[error("invalid tile path {0:?}")]
    InvalidTilePath(String),
    /// A proof is malformed: bad base64, wrong hash length, too many hashes, bad text (`invalid_proof`).
    #[error("invalid proof: {0}")]
    InvalidProof(String),
    /// An inclusion proof does not show the entry in the tree (`inclusion_proof_failed`).
    #[error("inclusion proof does not verify: {0}")]
    InclusionFailed(String),
    /// A consistency proof does not show the old tree is a prefix of the new one (`consistency_proof_failed`).
    #[error("consistency proof does not verify: {0}")]
    ConsistencyFailed(String),
    /// A trust policy file is malformed (`invalid_log_policy`), with its 1-based line.
    #[error("invalid log policy, line {line}: {message}")]
    InvalidPolicy {
        /// 1-based line number (0 when the whole file is at fault).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The cosignatures on a checkpoint do not satisfy the policy's quorum (`quorum_not_met`).
    #[error("witness quorum not met: {0}")]
    QuorumNotMet(String),
}

impl LogError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            LogError::InvalidEntry(_) => "invalid_log_entry",
            LogError::EntryTooLarge(_) => "log_entry_too_large",
            LogError::InvalidBundle(_) => "invalid_entry_bundle",
            LogError::InvalidCheckpoint(_) => "invalid_checkpoint",
            LogError::InvalidKey(_) => "invalid_log_key",
            LogError::UnverifiedCheckpoint(_) => "unverified_checkpoint",
            LogError::BadSignature(_) => "checkpoint_signature_invalid",
            LogError::OriginMismatch { .. } => "origin_mismatch",
            LogError::InvalidTilePath(_) => "invalid_tile_path",
            LogError::InvalidProof(_) => "invalid_proof",
            LogError::InclusionFailed(_) => "inclusion_proof_failed",
            LogError::ConsistencyFailed(_) => "consistency_proof_failed",
            LogError::InvalidPolicy { .. } => "invalid_log_policy",
            LogError::QuorumNotMet(_) => "quorum_not_met",
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

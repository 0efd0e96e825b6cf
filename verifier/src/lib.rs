//! `verifier`: every trust rule of the ANIP registry, pure — no network, no async, no database.
//!
//! The registry server and the `registry` command line both call this crate, so a package the registry accepts is
//! exactly a package the verifier accepts. The pieces:
//!
//! - [`casefold`]: refusal of keys that differ from a known field only in case (ANIP's decoder would read them);
//! - [`json`]: the strict JSON reader (no duplicate keys, integers within ±2^53, valid UTF-8);
//! - [`canonical`]: the digest and signing encodings of ANIP Registry v1 and `sha256:` digests;
//! - [`keys`] and [`signature`]: Ed25519 keys, key ids, key sets and `ed25519:<key_id>:<base64>` strings;
//! - [`publish`]: normalisation and stamping of a publish request (digests and the execution signature);
//! - [`receipt`]: receipt payloads, `receipt_id`, issuing and verification;
//! - [`lock`]: `anip-package-lock/v1` files and their comparison with a resolved package;
//! - [`version`]: SemVer parsing and precedence (the `semver` crate), the one version rule everywhere;
//! - [`bundle`]: `anip-package-bundle/v1` exports: parsing, conversion to a publish request, verification;
//! - [`tlog`]: the transparency log: entries, checkpoints, cosignatures, tile paths, proofs and trust policies.
#![deny(missing_docs)]

pub mod bulk;
pub mod bundle;
pub mod canonical;
pub mod casefold;
mod error;
pub mod json;
pub mod keys;
pub mod lifecycle;
pub mod lock;
pub mod mirror;
pub mod publish;
pub mod receipt;
pub mod record;
pub mod report;
pub mod signature;
pub mod template_receipt;
pub mod template_verify;
pub mod tlog;
pub mod validate;
pub mod verify;
pub mod version;

pub use error::{
    DigestError, Error, FormatError, FormatKind, LogError, PolicyError, Result, SignatureError,
};

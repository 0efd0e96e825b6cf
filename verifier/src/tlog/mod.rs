//! The transparency log's pure side: entries, checkpoints, cosignatures, tile paths, proofs and trust policies.
//!
//! Built on the `signed_note` and `tlog_tiles` crates (ports of Go's `x/mod/sumdb`), formatted to the C2SP
//! specifications `signed-note`, `tlog-checkpoint`, `tlog-cosignature`, `tlog-tiles`, `tlog-proof` and
//! `tlog-policy`:
//!
//! - [`entry`]: canonical entries (`package_version`, `template_version`, `lifecycle`, `ownership`), leaf hashes,
//!   entry bundles;
//! - [`checkpoint`]: origins, note verifier keys, signing and verifying checkpoints;
//! - [`cosignature`]: `cosignature/v1` witness cosignatures;
//! - [`paths`]: C2SP tile and entry-bundle paths (height 8);
//! - [`proof`]: inclusion and consistency checks and `tlog-proof` text;
//! - [`policy`]: trust files (logs, witnesses, quorum) and their evaluation;
//! - [`tree`]: an in-memory tree for recomputing a log and serving its proofs and tiles.

pub mod checkpoint;
pub mod cosignature;
pub mod entry;
pub mod paths;
pub mod policy;
pub mod proof;
pub mod tree;

pub use checkpoint::{Checkpoint, SignedCheckpoint, VerifierKey};
pub use entry::{Entry, leaf_hash};
pub use paths::TilePath;
pub use policy::{Policy, VerifiedCheckpoint};
pub use proof::{TlogProof, check_consistency, check_inclusion};
/// The Merkle hash type (32 bytes) and the crates the log is built on, re-exported so the server and CLI use the
/// same pinned versions.
pub use tlog_tiles::{self, Hash, HashReader};

/// The RFC 6962 hash of the empty tree.
pub const EMPTY_ROOT: Hash = tlog_tiles::EMPTY_HASH;

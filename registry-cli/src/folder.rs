//! A registry in a folder (`--registry-url file:///path` or a plain directory): the static tree `registry mirror`
//! writes, read as the API. A path maps to `DIR/registry-api/v1/<path>` percent-decoded, as a static file server
//! such as `python3 -m http.server` maps it (so `/packages/acme%2Ftool/1.0.0` is the folder `packages/acme/tool/1.0.0`,
//! the one layout both read); a directory answers with its `index.html` (version records and listings); `receipt?proof=1` and `/log/proof/consistency` are computed from the
//! folder's own entry bundles and signed checkpoint, so the log checks run unchanged.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use verifier::tlog::entry::parse_bundle;
use verifier::tlog::paths::bundles_for_size;
use verifier::tlog::proof::encode_hash;
use verifier::tlog::tree::MemoryTree;
use verifier::tlog::{SignedCheckpoint, TlogProof, leaf_hash};

use crate::client::ApiFailure;
use crate::error::{CliError, Result};

/// The API's prefix inside a mirrored folder.
pub const API_DIR: &str = "registry-api/v1";

/// A folder registry.
#[derive(Debug)]
pub struct Folder {
    root: PathBuf,
    log: OnceLock<std::result::Result<FolderLog, String>>,
}

/// The folder's log: its signed checkpoint text, entries and tree.
#[derive(Debug)]
pub struct FolderLog {
    /// The signed checkpoint, verbatim.
    pub checkpoint: String,
    /// Every entry, by index.
    pub entries: Vec<Vec<u8>>,
    /// The tree of those entries.
    pub tree: MemoryTree,
}

/// `file:///path` or a plain path naming an existing directory → that directory.
pub fn folder_path(url: &str) -> Option<PathBuf> {
    let url = url.trim();
    if let Some(rest) = url.strip_prefix("file://") {
        let decoded = percent_encoding::percent_decode_str(rest).decode_utf8_lossy();
        return Some(PathBuf::from(decoded.as_ref()));
    }
    (!url.contains("://") && Path::new(url).is_dir()).then(|| PathBuf::from(url))
}

/// Reads the entries of a folder's log up to `size` from its entry bundles.
///
/// Errors: a missing or malformed bundle, as text.
pub fn read_entries(api_root: &Path, size: u64) -> std::result::Result<Vec<Vec<u8>>, String> {
    let mut entries = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    for path in bundles_for_size(size) {
        let file = api_root.join("log").join(path.to_string());
        let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let bundle = parse_bundle(&bytes, path.width() as usize)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        entries.extend(bundle.into_iter().map(<[u8]>::to_vec));
    }
    Ok(entries)
}

fn not_found(path: &str) -> ApiFailure {
    ApiFailure {
        status: 404,
        code: "not_found".to_owned(),
        message: format!("{path} is not in this folder"),
        body: None,
    }
}

impl Folder {
    /// A folder registry rooted at `dir` (which holds `registry-api/v1`).
    pub fn new(dir: PathBuf) -> Self {
        Folder {
            root: dir.join(API_DIR),
            log: OnceLock::new(),
        }
    }

    /// `file://<dir>/registry-api/v1`.
    pub fn api(&self) -> String {
        format!("file://{}", self.root.display())
    }

    /// The folder's log, read once.
    fn log(&self) -> std::result::Result<&FolderLog, String> {
        self.log
            .get_or_init(|| {
                FolderLog::load(&|path| match self.get_bytes(path) {
                    Ok(Ok(bytes)) => Ok(bytes),
                    Ok(Err(f)) => Err(format!("{path}: {}", f.describe())),
                    Err(e) => Err(e.to_string()),
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The bytes at API `path` (its query ignored), or 404.
    pub fn get_bytes(&self, path: &str) -> Result<std::result::Result<Vec<u8>, ApiFailure>> {
        let (plain, _) = path.split_once('?').unwrap_or((path, ""));
        // As a static file server maps a request: the whole path percent-decoded (`%2F` too), then split.
        let decoded = percent_encoding::percent_decode_str(plain).decode_utf8_lossy();
        let relative = decoded.trim_start_matches('/');
        if relative
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == ".." || s.contains('\\'))
        {
            return Ok(Err(not_found(plain)));
        }
        let mut file = self.root.join(relative);
        if file.is_dir() {
            file.push("index.html");
        }
        match std::fs::read(&file) {
            Ok(bytes) => Ok(Ok(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Err(not_found(plain))),
            Err(e) => Err(CliError::CouldNotRun(format!("{}: {e}", file.display()))),
        }
    }

    /// The JSON at API `path`; proofs computed from the folder's log.
    pub fn get(&self, path: &str) -> Result<std::result::Result<Value, ApiFailure>> {
        let (plain, query) = path.split_once('?').unwrap_or((path, ""));
        if plain == "/log/proof/consistency" {
            return self.consistency(query);
        }
        if plain.ends_with("/receipt") && query.split('&').any(|p| p == "proof=1") {
            return self.receipt_proof(plain);
        }
        let bytes = match self.get_bytes(path)? {
            Ok(bytes) => bytes,
            Err(f) => return Ok(Err(f)),
        };
        verifier::json::parse_strict(&bytes).map(Ok).map_err(|e| {
            CliError::CouldNotRun(format!("{plain} in the folder does not parse: {e}"))
        })
    }

    fn consistency(&self, query: &str) -> Result<std::result::Result<Value, ApiFailure>> {
        let log = self.log().map_err(CliError::CouldNotRun)?;
        Ok(log.consistency(query))
    }

    /// `{receipt, log_index, log_entry, tlog_proof}` from the version's `receipt` and `log_index` files.
    fn receipt_proof(&self, plain: &str) -> Result<std::result::Result<Value, ApiFailure>> {
        let receipt = match self.get(plain)? {
            Ok(r) => r,
            Err(f) => return Ok(Err(f)),
        };
        let log = self.log().map_err(CliError::CouldNotRun)?;
        Ok(log.receipt_proof(plain, receipt, |p| self.get_bytes(p).ok()?.ok()))
    }
}

impl FolderLog {
    /// Reads a static registry's log through `read` (API path → bytes): the checkpoint, then every entry bundle.
    ///
    /// Errors: a missing or malformed file, as text.
    pub fn load(
        read: &dyn Fn(&str) -> std::result::Result<Vec<u8>, String>,
    ) -> std::result::Result<FolderLog, String> {
        let checkpoint = String::from_utf8(read("/log/checkpoint")?)
            .map_err(|_| "/log/checkpoint is not UTF-8".to_owned())?;
        let size = SignedCheckpoint::parse(&checkpoint)
            .map_err(|e| format!("/log/checkpoint: {e}"))?
            .checkpoint
            .size;
        let mut entries = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        for path in bundles_for_size(size) {
            let bytes = read(&format!("/log/{path}"))?;
            let bundle = parse_bundle(&bytes, path.width() as usize)
                .map_err(|e| format!("/log/{path}: {e}"))?;
            entries.extend(bundle.into_iter().map(<[u8]>::to_vec));
        }
        let mut tree = MemoryTree::new();
        for entry in &entries {
            tree.push_leaf_hash(leaf_hash(entry));
        }
        Ok(FolderLog {
            checkpoint,
            entries,
            tree,
        })
    }

    /// The `/log/proof/consistency?old=M&new=N` answer, or 404.
    pub fn consistency(&self, query: &str) -> std::result::Result<Value, ApiFailure> {
        let number = |name: &str| {
            query
                .split('&')
                .find_map(|p| p.strip_prefix(name)?.strip_prefix('=')?.parse::<u64>().ok())
        };
        let (Some(old), Some(new)) = (number("old"), number("new")) else {
            return Err(not_found("/log/proof/consistency"));
        };
        match self.tree.consistency_proof(old, new) {
            Ok(hashes) => Ok(json!({
                "old": old, "new": new,
                "hashes": hashes.iter().map(encode_hash).collect::<Vec<_>>(),
            })),
            Err(_) => Err(not_found("/log/proof/consistency")),
        }
    }

    /// The `receipt?proof=1` answer for the version at `receipt_path` (`…/receipt`) whose receipt is `receipt`,
    /// its index read from the sibling `log_index` file through `read`; 404 when there is none.
    pub fn receipt_proof(
        &self,
        receipt_path: &str,
        receipt: Value,
        read: impl Fn(&str) -> Option<Vec<u8>>,
    ) -> std::result::Result<Value, ApiFailure> {
        let index_path = format!("{}/log_index", receipt_path.trim_end_matches("/receipt"));
        let Some(index) = read(&index_path)
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|t| t.trim().parse::<u64>().ok())
        else {
            return Err(not_found(&index_path));
        };
        let size = self.entries.len() as u64;
        let (Some(entry), Ok(hashes)) = (
            self.entries
                .get(usize::try_from(index).unwrap_or(usize::MAX)),
            self.tree.inclusion_proof(index, size),
        ) else {
            return Err(not_found(&index_path));
        };
        let proof = TlogProof {
            extra: None,
            index,
            hashes,
            checkpoint: self.checkpoint.clone(),
        };
        Ok(json!({
            "receipt": receipt,
            "log_index": index,
            "log_entry": B64.encode(entry),
            "tlog_proof": proof.encode(),
        }))
    }
}

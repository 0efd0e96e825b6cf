//! What this machine has seen of each registry's transparency log: the newest verified signed checkpoint per log
//! origin, under `$XDG_STATE_HOME/anip-registry/checkpoints/` (else `~/.local/state/anip-registry/checkpoints/`).
//!
//! Files are written atomically (a new temporary file in the same directory, synced, then renamed over the old
//! one) with mode 0600, in directories of mode 0700.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::PathBuf;

use crate::error::{CliError, Result};

/// The state directory: `$XDG_STATE_HOME/anip-registry`, else `$HOME/.local/state/anip-registry`.
pub fn state_dir() -> Result<PathBuf> {
    let base = match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(home) => PathBuf::from(home).join(".local/state"),
            None => {
                return Err(CliError::CouldNotRun(
                    "no state directory: set XDG_STATE_HOME or HOME".to_owned(),
                ));
            }
        },
    };
    Ok(base.join("anip-registry"))
}

/// The file holding the newest checkpoint seen for `origin`: the origin with every byte outside
/// `[A-Za-z0-9.-]` as `_`, then `-` and 16 hex digits of its SHA-256 (so distinct origins never share a file).
pub fn checkpoint_path(origin: &str) -> Result<PathBuf> {
    let safe: String = origin
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let digest = verifier::canonical::sha256_hex(origin.as_bytes());
    let hash = &digest[verifier::canonical::SHA256_PREFIX.len()..][..16];
    Ok(state_dir()?
        .join("checkpoints")
        .join(format!("{safe}-{hash}.checkpoint")))
}

/// The newest signed checkpoint seen for `origin`, if any.
pub fn load(origin: &str) -> Result<Option<String>> {
    let path = checkpoint_path(origin)?;
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::CouldNotRun(format!(
            "reading {}: {e}",
            path.display()
        ))),
    }
}

/// Replaces the checkpoint stored for `origin` atomically (mode 0600; directories 0700).
pub fn store(origin: &str, signed_checkpoint: &str) -> Result<()> {
    let path = checkpoint_path(origin)?;
    let dir = path
        .parent()
        .ok_or_else(|| CliError::CouldNotRun("state path has no directory".to_owned()))?;
    let fail = |what: &str, e: std::io::Error| {
        CliError::CouldNotRun(format!("{what} {}: {e}", dir.display()))
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| fail("creating", e))?;
    // Directories made by an older run (or by hand) are narrowed too.
    for d in [dir, dir.parent().unwrap_or(dir)] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| fail("restricting", e))?;
    }
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("checkpoint"),
        std::process::id()
    ));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(signed_checkpoint.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail("writing a checkpoint in", e));
    }
    Ok(())
}

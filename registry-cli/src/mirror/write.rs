//! Writing the mirror's static tree: files replaced atomically (a temporary name, then a rename), version folders
//! staged under `.staging` and renamed into place, the log's tiles and entry bundles.

use std::path::{Path, PathBuf};

use verifier::tlog::paths::{bundles_for_size, tiles_for_size};
use verifier::tlog::tree::MemoryTree;

use crate::error::{CliError, Result};

fn io(path: &Path, e: std::io::Error) -> CliError {
    CliError::CouldNotRun(format!("{}: {e}", path.display()))
}

/// Writes `bytes` to `path` atomically (a sibling temporary file renamed over it), creating parent folders.
///
/// Errors: any I/O failure (exit 1).
pub fn atomic_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&temp, bytes).map_err(|e| io(&temp, e))?;
    std::fs::rename(&temp, path).map_err(|e| io(path, e))
}

/// Writes a folder of files (`name → bytes`) at `staged`, to be moved to its place by [`move_into_place`].
///
/// Errors: any I/O failure (exit 1).
pub fn stage_dir(staged: &Path, files: &[(&str, &[u8])]) -> Result<()> {
    std::fs::create_dir_all(staged).map_err(|e| io(staged, e))?;
    for (name, bytes) in files {
        let file = staged.join(name);
        std::fs::write(&file, bytes).map_err(|e| io(&file, e))?;
    }
    Ok(())
}

/// Replaces `target` with the staged folder `staged` (or removes `target` when `staged` is `None`). The folder
/// is never half-written: the old one is moved aside, the new one renamed in, the old one deleted.
///
/// Errors: any I/O failure (exit 1).
pub fn move_into_place(staged: Option<&Path>, target: &Path) -> Result<()> {
    let parent = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    let aside: Option<PathBuf> = if target.exists() {
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("v");
        let aside = parent.join(format!(".{name}.old-{}", std::process::id()));
        std::fs::rename(target, &aside).map_err(|e| io(target, e))?;
        Some(aside)
    } else {
        None
    };
    if let Some(staged) = staged {
        std::fs::rename(staged, target).map_err(|e| io(target, e))?;
    }
    if let Some(aside) = aside {
        std::fs::remove_dir_all(&aside).map_err(|e| io(&aside, e))?;
    }
    Ok(())
}

/// Writes the entry bundles and hash tiles of a tree of `size` entries under `log_dir` (`…/log`); full bundles
/// and tiles that already exist are immutable and skipped. Returns how many files were written.
///
/// Errors: any I/O failure (exit 1); a tile the tree cannot make.
pub fn log_tiles(
    log_dir: &Path,
    entries: &[Vec<u8>],
    tree: &MemoryTree,
    size: u64,
) -> Result<usize> {
    let mut written = 0;
    for path in bundles_for_size(size) {
        let file = log_dir.join(path.to_string());
        if path.is_full() && file.exists() {
            continue;
        }
        let start = usize::try_from(path.start_entry()).unwrap_or(usize::MAX);
        let end = start + path.width() as usize;
        let mut bundle = Vec::new();
        for entry in &entries[start..end] {
            let len = u16::try_from(entry.len())
                .map_err(|_| CliError::CouldNotRun("an entry of 64 KiB or more".to_owned()))?;
            bundle.extend_from_slice(&len.to_be_bytes());
            bundle.extend_from_slice(entry);
        }
        atomic_file(&file, &bundle)?;
        written += 1;
    }
    for path in tiles_for_size(size) {
        let file = log_dir.join(path.to_string());
        if path.is_full() && file.exists() {
            continue;
        }
        let bytes = tree
            .tile(&path)
            .map_err(|e| CliError::CouldNotRun(format!("tile {path}: {e}")))?;
        atomic_file(&file, &bytes)?;
        written += 1;
    }
    Ok(written)
}

/// Repairs what an interrupted run (`kill -9`) left in `dir`: staging folders are deleted, and a version folder
/// moved aside (`.<version>.old-<pid>`) whose replacement never arrived is put back. Returns how many were repaired.
///
/// Errors: any I/O failure (exit 1).
pub fn recover(dir: &Path) -> Result<usize> {
    let mut repaired = 0;
    let Ok(top) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    for entry in top.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".staging-") {
            std::fs::remove_dir_all(entry.path()).map_err(|e| io(&entry.path(), e))?;
            repaired += 1;
        }
    }
    let mut stack = vec![dir.join(crate::folder::API_DIR)];
    while let Some(folder) = stack.pop() {
        let Ok(children) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in children.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if !path.is_dir() {
                continue;
            }
            let aside = name
                .strip_prefix('.')
                .and_then(|rest| rest.rsplit_once(".old-"))
                .map(|(original, _)| original.to_owned());
            match aside {
                Some(original) if !folder.join(&original).exists() => {
                    std::fs::rename(&path, folder.join(&original)).map_err(|e| io(&path, e))?;
                    repaired += 1;
                }
                Some(_) => {
                    std::fs::remove_dir_all(&path).map_err(|e| io(&path, e))?;
                    repaired += 1;
                }
                None => stack.push(path),
            }
        }
    }
    Ok(repaired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recover_puts_back_a_version_moved_aside_and_drops_staging() {
        let dir = tempfile::tempdir().unwrap();
        let versions = dir.path().join("registry-api/v1/packages/a");
        std::fs::create_dir_all(versions.join(".1.0.0.old-42")).unwrap();
        std::fs::write(versions.join(".1.0.0.old-42/receipt"), b"r").unwrap();
        std::fs::create_dir_all(versions.join("1.1.0")).unwrap();
        std::fs::create_dir_all(versions.join(".1.1.0.old-42")).unwrap();
        std::fs::create_dir_all(dir.path().join(".staging-42/0")).unwrap();
        assert_eq!(recover(dir.path()).unwrap(), 3);
        assert_eq!(std::fs::read(versions.join("1.0.0/receipt")).unwrap(), b"r");
        assert!(!versions.join(".1.1.0.old-42").exists());
        assert!(versions.join("1.1.0").exists());
        assert!(!dir.path().join(".staging-42").exists());
    }
}
